//! Nothing is lost on a read-modify-write: every spec the daemon returned (the captured
//! fixtures in `tests/fixtures/`), read into the typed model and written back, is JSON-equal to
//! what the daemon sent — fields this crate does not model included, explicit zeros included.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use swarm_client::models::{Node, Service, Swarm, SwarmSpec, Task};
use swarm_client::spec::{ServiceSpec, TaskSpec};

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Reads `v` as `T` and writes it back; panics with both texts when they differ.
fn assert_round_trip<T: DeserializeOwned + Serialize>(what: &str, v: &Value) {
    let typed: T = serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{what}: {e}"));
    let back = serde_json::to_value(&typed).unwrap();
    assert_eq!(
        &back, v,
        "{what}: typed round trip changed the JSON\n sent: {v}\n back: {back}"
    );
}

fn items(v: Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a,
        one => vec![one],
    }
}

#[test]
fn service_specs_of_every_fixture_survive_a_typed_round_trip() {
    let mut n = 0;
    for f in ["engine_service.json", "engine_services.json"] {
        for svc in items(fixture(f)) {
            assert_round_trip::<ServiceSpec>(f, &svc["Spec"]);
            if let Some(prev) = svc.get("PreviousSpec") {
                assert_round_trip::<ServiceSpec>(f, prev);
            }
            // The whole object reads too, and its spec is the same typed value.
            let whole: Service = serde_json::from_value(svc.clone()).unwrap();
            assert_eq!(serde_json::to_value(&whole.spec).unwrap(), svc["Spec"]);
            n += 1;
        }
    }
    assert!(n >= 2);
}

#[test]
fn task_specs_of_every_fixture_survive_a_typed_round_trip() {
    let mut n = 0;
    for f in ["engine_tasks.json", "engine_tasks_absent.json"] {
        for t in items(fixture(f)) {
            assert_round_trip::<TaskSpec>(f, &t["Spec"]);
            let whole: Task = serde_json::from_value(t.clone()).unwrap();
            assert_eq!(serde_json::to_value(&whole.spec).unwrap(), t["Spec"]);
            n += 1;
        }
    }
    assert!(n >= 2);
}

#[test]
fn swarm_and_node_specs_survive_a_typed_round_trip() {
    let swarm = fixture("engine_swarm.json");
    assert_round_trip::<SwarmSpec>("engine_swarm.json", &swarm["Spec"]);
    let whole: Swarm = serde_json::from_value(swarm.clone()).unwrap();
    assert_eq!(serde_json::to_value(&whole.spec).unwrap(), swarm["Spec"]);
    for node in items(fixture("engine_nodes.json")) {
        let whole: Node = serde_json::from_value(node.clone()).unwrap();
        assert_eq!(serde_json::to_value(&whole.spec).unwrap(), node["Spec"]);
    }
}

#[test]
fn unknown_fields_and_explicit_zeros_survive_at_every_level() {
    // A spec as a newer daemon might send it: fields this crate does not model at each level,
    // explicit zeros where Go always writes them, a mode it does not know.
    let spec = serde_json::json!({
        "Name": "web",
        "Labels": {},
        "FutureTop": {"x": 1},
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": "busybox",
                "Init": false,
                "Privileges": {"NoNewPrivileges": true},
                "FutureContainer": [1, 2]
            },
            "ForceUpdate": 0,
            "FutureTask": "t"
        },
        "Mode": {"Replicated": {"Replicas": 0}},
        "UpdateConfig": {"Parallelism": 0, "MaxFailureRatio": 0, "FutureUpdate": true},
        "RollbackConfig": {"Parallelism": 1, "MaxFailureRatio": 0.1},
        "EndpointSpec": {"Mode": "vip"}
    });
    assert_round_trip::<ServiceSpec>("synthetic", &spec);
    let typed: ServiceSpec = serde_json::from_value(spec).unwrap();
    assert_eq!(typed.mode.replicas(), Some(0));

    let odd_mode = serde_json::json!({"Name": "x", "Labels": {}, "TaskTemplate": {"ForceUpdate": 0},
        "Mode": {"Teleported": {"Where": "mars"}}});
    assert_round_trip::<ServiceSpec>("unknown mode", &odd_mode);
    let typed: ServiceSpec = serde_json::from_value(odd_mode).unwrap();
    assert_eq!(typed.mode.as_str(), "unknown");
}
