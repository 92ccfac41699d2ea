//! Tests of `swarm_client::mock::MockSwarm` itself (behaviour the contract suite does not cover).
#![cfg(feature = "mock")]

use std::time::{Duration, Instant};

use base64::Engine as _;
use sdk_core::test_server::{TestClient, TestResponse as Resp};
use serde_json::{Value, json};
use swarm_client::mock::{MockNode, MockSwarm};

async fn send(m: &MockSwarm, method: &str, target: &str, body: Option<&Value>) -> Resp {
    send_h(m, method, target, &[], body).await
}

async fn send_h(
    m: &MockSwarm,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Resp {
    let bytes = body
        .map(|b| serde_json::to_vec(b).expect("json"))
        .unwrap_or_default();
    let mut all = headers.to_vec();
    if body.is_some() {
        all.push(("Content-Type", "application/json"));
    }
    TestClient::new(&m.endpoint())
        .expect("test client")
        .send(method, target, &all, &bytes)
        .await
        .expect("request")
}

fn filters(v: Value) -> String {
    let raw = v.to_string();
    let enc: String = url::form_urlencoded::byte_serialize(raw.as_bytes()).collect();
    format!("filters={enc}")
}

fn spec(name: &str, image: &str, replicas: u64) -> Value {
    json!({"Name": name, "TaskTemplate": {"ContainerSpec": {"Image": image}}, "Mode": {"Replicated": {"Replicas": replicas}}})
}

async fn tasks(m: &MockSwarm, f: Value) -> Vec<Value> {
    let r = send(m, "GET", &format!("/v1.41/tasks?{}", filters(f)), None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
        .expect("JSON body")
        .as_array()
        .expect("array")
        .clone()
}

async fn wait_running(m: &MockSwarm, service: &str, n: usize) -> Vec<Value> {
    let start = Instant::now();
    loop {
        let list = tasks(
            m,
            json!({"service": [service], "desired-state": ["running"]}),
        )
        .await;
        if list
            .iter()
            .filter(|t| t["Status"]["State"] == "running")
            .count()
            == n
        {
            return list;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "tasks never ran: {list:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn initialized() -> MockSwarm {
    MockSwarm::builder()
        .initialized(true)
        .task_delay(Duration::from_millis(100))
        .start()
        .await
}

#[tokio::test]
async fn fresh_daemon_inits_and_leaves() {
    let m = MockSwarm::start().await;
    let r = send(&m, "GET", "/v1.41/services", None).await;
    assert_eq!(r.status, 503);
    assert!(
        r.json().expect("JSON body")["message"]
            .as_str()
            .expect("m")
            .contains("docker swarm init")
    );
    assert_eq!(
        send(&m, "GET", "/info", None)
            .await
            .json()
            .expect("JSON body")["Swarm"]["LocalNodeState"],
        "inactive"
    );
    let r = send(
        &m,
        "POST",
        "/v1.41/swarm/init",
        Some(&json!({"ListenAddr": "127.0.0.1:2377", "AdvertiseAddr": "127.0.0.1"})),
    )
    .await;
    assert_eq!(r.status, 200);
    let node_id = r
        .json()
        .expect("JSON body")
        .as_str()
        .expect("node id string")
        .to_owned();
    let info = send(&m, "GET", "/info", None)
        .await
        .json()
        .expect("JSON body");
    assert_eq!(info["Swarm"]["NodeID"], json!(node_id));
    assert_eq!(info["Swarm"]["ControlAvailable"], true);
    let nodes = send(&m, "GET", "/v1.41/nodes", None)
        .await
        .json()
        .expect("JSON body");
    assert_eq!(nodes.as_array().expect("a").len(), 1);
    let r = send(&m, "POST", "/v1.41/swarm/leave", None).await;
    assert_eq!(r.status, 503, "a manager must force");
    let r = send(&m, "POST", "/v1.41/swarm/leave?force=true", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(send(&m, "GET", "/v1.41/swarm", None).await.status, 503);
}

#[tokio::test]
async fn join_makes_a_worker() {
    let m = MockSwarm::start().await;
    let r = send(
        &m,
        "POST",
        "/swarm/join",
        Some(&json!({"RemoteAddrs": ["127.0.0.1:2377"], "JoinToken": "bogus"})),
    )
    .await;
    assert_eq!(r.status, 400);
    let token = "SWMTKN-1-abc-def";
    let r = send(
        &m,
        "POST",
        "/swarm/join",
        Some(&json!({"RemoteAddrs": ["127.0.0.1:2377"], "JoinToken": token})),
    )
    .await;
    assert_eq!(r.status, 200);
    let info = send(&m, "GET", "/info", None)
        .await
        .json()
        .expect("JSON body");
    assert_eq!(info["Swarm"]["LocalNodeState"], "active");
    assert_eq!(info["Swarm"]["ControlAvailable"], false);
    let r = send(&m, "GET", "/services", None).await;
    assert_eq!(r.status, 503);
    assert!(
        r.json().expect("JSON body")["message"]
            .as_str()
            .expect("m")
            .contains("Worker nodes can't be used")
    );
}

#[tokio::test]
async fn swarm_update_rotates_tokens() {
    let m = initialized().await;
    let swarm = send(&m, "GET", "/swarm", None)
        .await
        .json()
        .expect("JSON body");
    let v = swarm["Version"]["Index"].as_u64().expect("v");
    let r = send(
        &m,
        "POST",
        &format!("/swarm/update?version={v}&rotateWorkerToken=true"),
        Some(&swarm["Spec"]),
    )
    .await;
    assert_eq!(r.status, 200);
    let after = send(&m, "GET", "/swarm", None)
        .await
        .json()
        .expect("JSON body");
    assert_ne!(after["JoinTokens"]["Worker"], swarm["JoinTokens"]["Worker"]);
    assert_eq!(
        after["JoinTokens"]["Manager"],
        swarm["JoinTokens"]["Manager"]
    );
    let r = send(
        &m,
        "POST",
        &format!("/swarm/update?version={v}"),
        Some(&swarm["Spec"]),
    )
    .await;
    assert_eq!(r.status, 500);
}

#[tokio::test]
async fn replicas_spread_over_nodes_and_filters_select() {
    let m = MockSwarm::builder()
        .initialized(true)
        .task_delay(Duration::from_millis(50))
        .node(MockNode::new("worker-1", "127.0.0.2", "worker"))
        .start()
        .await;
    let r = send(
        &m,
        "POST",
        "/services/create",
        Some(&spec("web", "img:1", 3)),
    )
    .await;
    assert_eq!(r.status, 201);
    let running = wait_running(&m, "web", 3).await;
    let mut slots: Vec<u64> = running
        .iter()
        .map(|t| t["Slot"].as_u64().expect("slot"))
        .collect();
    slots.sort_unstable();
    assert_eq!(slots, [1, 2, 3]);
    let nodes = send(&m, "GET", "/nodes", None)
        .await
        .json()
        .expect("JSON body");
    let worker = nodes
        .as_array()
        .expect("a")
        .iter()
        .find(|n| n["Description"]["Hostname"] == "worker-1")
        .expect("worker")
        .clone();
    assert_eq!(worker["Status"]["Addr"], "127.0.0.2");
    assert_eq!(worker["Spec"]["Role"], "worker");
    let on_worker = tasks(&m, json!({"service": ["web"], "node": [worker["ID"]]})).await;
    assert_eq!(on_worker.len(), 1);
    let by_name = tasks(&m, json!({"name": ["web.2"]})).await;
    assert_eq!(by_name.len(), 1);
    assert_eq!(by_name[0]["Slot"], 2);
    // The old map form of filters is accepted too.
    let r = send(
        &m,
        "GET",
        &format!("/tasks?{}", filters(json!({"service": {"web": true}}))),
        None,
    )
    .await;
    assert_eq!(r.json().expect("JSON body").as_array().expect("a").len(), 3);
    let r = send(&m, "GET", "/tasks?filters=notjson", None).await;
    assert_eq!(r.status, 500, "dockerd answers 500 to undecodable filters");
    let r = send(
        &m,
        "GET",
        &format!("/tasks?{}", filters(json!({"service": ["nope"]}))),
        None,
    )
    .await;
    assert_eq!(r.status, 404);
    // Global service: one task per node, no slot.
    let mut g = spec("agent", "img:1", 0);
    g["Mode"] = json!({"Global": {}});
    assert_eq!(
        send(&m, "POST", "/services/create", Some(&g)).await.status,
        201
    );
    let agents = wait_running(&m, "agent", 2).await;
    assert!(agents.iter().all(|t| t.get("Slot").is_none()));
    let st = send(
        &m,
        "GET",
        &format!(
            "/services?status=1&{}",
            filters(json!({"mode": ["global"]}))
        ),
        None,
    )
    .await
    .json()
    .expect("JSON body");
    assert_eq!(st[0]["ServiceStatus"]["DesiredTasks"], 2);
    // Draining the worker moves its tasks.
    let v = worker["Version"]["Index"].as_u64().expect("v");
    let mut node_spec = worker["Spec"].clone();
    node_spec["Availability"] = json!("drain");
    let r = send(
        &m,
        "POST",
        &format!(
            "/nodes/{}/update?version={v}",
            worker["ID"].as_str().expect("id")
        ),
        Some(&node_spec),
    )
    .await;
    assert_eq!(r.status, 200);
    let live = tasks(
        &m,
        json!({"service": ["web"], "desired-state": ["running"]}),
    )
    .await;
    assert!(live.iter().all(|t| t["NodeID"] != worker["ID"]));
    assert_eq!(live.len(), 3);
    // Removing a worker needs force.
    let wid = worker["ID"].as_str().expect("id");
    assert_eq!(
        send(&m, "DELETE", &format!("/nodes/{wid}"), None)
            .await
            .status,
        400
    );
    assert_eq!(
        send(&m, "DELETE", &format!("/nodes/{wid}?force=true"), None)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn update_replaces_tasks_and_rolls_back() {
    let m = initialized().await;
    let r = send(
        &m,
        "POST",
        "/services/create",
        Some(&spec("app", "img:1", 2)),
    )
    .await;
    let id = r.json().expect("JSON body")["ID"]
        .as_str()
        .expect("id")
        .to_owned();
    let first = wait_running(&m, "app", 2).await;
    let svc = send(&m, "GET", &format!("/services/{id}"), None)
        .await
        .json()
        .expect("JSON body");
    let v = svc["Version"]["Index"].as_u64().expect("v");
    m.inject_out_of_sequence();
    let new = spec("app", "img:2", 2);
    let r = send(
        &m,
        "POST",
        &format!("/services/{id}/update?version={v}"),
        Some(&new),
    )
    .await;
    assert_eq!(r.status, 500);
    assert_eq!(
        r.json().expect("JSON body")["message"],
        "rpc error: code = Unknown desc = update out of sequence"
    );
    // The task clock stands still while the test looks at the update in progress: the
    // replacement tasks cannot finish it however slow the machine is.
    m.pause_tasks();
    let r = send(
        &m,
        "POST",
        &format!("/services/{id}/update?version={v}"),
        Some(&new),
    )
    .await;
    assert_eq!(r.status, 200, "only one injected failure");
    let svc = send(&m, "GET", &format!("/services/{id}"), None)
        .await
        .json()
        .expect("JSON body");
    assert_eq!(svc["UpdateStatus"]["State"], "updating");
    m.resume_tasks();
    let second = wait_running(&m, "app", 2).await;
    assert!(
        second
            .iter()
            .all(|t| t["Spec"]["ContainerSpec"]["Image"] == "img:2")
    );
    assert!(
        second
            .iter()
            .all(|t| first.iter().all(|f| f["ID"] != t["ID"]))
    );
    let old = tasks(
        &m,
        json!({"service": ["app"], "desired-state": ["shutdown"]}),
    )
    .await;
    assert_eq!(old.len(), 2);
    assert!(old.iter().all(|t| t["Status"]["State"] == "shutdown"));
    let svc = send(&m, "GET", &format!("/services/{id}"), None)
        .await
        .json()
        .expect("JSON body");
    assert_eq!(svc["UpdateStatus"]["State"], "completed");
    assert_eq!(
        svc["PreviousSpec"]["TaskTemplate"]["ContainerSpec"]["Image"],
        "img:1"
    );
    // Rollback, held in progress the same way.
    let v = svc["Version"]["Index"].as_u64().expect("v");
    m.pause_tasks();
    let r = send(
        &m,
        "POST",
        &format!("/services/{id}/update?version={v}&rollback=previous"),
        Some(&svc["Spec"]),
    )
    .await;
    assert_eq!(r.status, 200);
    let svc = send(&m, "GET", &format!("/services/{id}"), None)
        .await
        .json()
        .expect("JSON body");
    assert_eq!(
        svc["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"],
        "img:1"
    );
    assert_eq!(svc["UpdateStatus"]["State"], "rollback_started");
    m.resume_tasks();
    // Scaling keeps running tasks.
    wait_running(&m, "app", 2).await;
    let svc = send(&m, "GET", &format!("/services/{id}"), None)
        .await
        .json()
        .expect("JSON body");
    assert_eq!(svc["UpdateStatus"]["State"], "rollback_completed");
    let before: Vec<Value> = tasks(
        &m,
        json!({"service": ["app"], "desired-state": ["running"]}),
    )
    .await;
    let mut scaled = svc["Spec"].clone();
    scaled["Mode"]["Replicated"]["Replicas"] = json!(3);
    let v = svc["Version"]["Index"].as_u64().expect("v");
    assert_eq!(
        send(
            &m,
            "POST",
            &format!("/services/{id}/update?version={v}"),
            Some(&scaled)
        )
        .await
        .status,
        200
    );
    let after = wait_running(&m, "app", 3).await;
    assert!(
        before
            .iter()
            .all(|b| after.iter().any(|a| a["ID"] == b["ID"]))
    );
}

#[tokio::test]
async fn registry_auth_header_is_decoded() {
    let m = initialized().await;
    let auth = json!({"username": "u", "password": "hunter2", "serveraddress": "127.0.0.1:5000"});
    let header = base64::engine::general_purpose::URL_SAFE.encode(auth.to_string());
    let r = send_h(
        &m,
        "POST",
        "/services/create",
        &[("X-Registry-Auth", &header)],
        Some(&spec("priv", "127.0.0.1:5000/p:1", 1)),
    )
    .await;
    assert_eq!(r.status, 201);
    assert_eq!(m.registry_auths(), vec![("priv".to_owned(), auth)]);
    let recorded = m.requests();
    let create = recorded
        .iter()
        .find(|q| q.path == "/services/create")
        .expect("recorded");
    assert_eq!(create.header("x-registry-auth"), Some("<redacted>"));
    assert!(!format!("{recorded:?}").contains(&header));
    let r = send_h(
        &m,
        "POST",
        "/services/create",
        &[("X-Registry-Auth", "!!!")],
        Some(&spec("bad", "x", 1)),
    )
    .await;
    assert_eq!(r.status, 201);
    assert_eq!(m.registry_auths()[1], ("bad".to_owned(), Value::Null));
}

#[tokio::test]
async fn logs_are_multiplexed_frames() {
    let m = initialized().await;
    send(
        &m,
        "POST",
        "/services/create",
        Some(&spec("logger", "x", 1)),
    )
    .await;
    m.set_service_logs("logger", &[(1, "hello"), (2, "oops\n"), (1, "bye")]);
    let r = send(
        &m,
        "GET",
        "/v1.41/services/logger/logs?stdout=1&stderr=1",
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    let mut frames = Vec::new();
    let mut rest = &r.body[..];
    while rest.len() >= 8 {
        let len = u32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
        assert_eq!(&rest[1..4], &[0, 0, 0]);
        frames.push((
            rest[0],
            String::from_utf8(rest[8..8 + len].to_vec()).expect("utf8"),
        ));
        rest = &rest[8 + len..];
    }
    assert!(rest.is_empty());
    assert_eq!(
        frames,
        [
            (1, "hello\n".to_owned()),
            (2, "oops\n".to_owned()),
            (1, "bye\n".to_owned())
        ]
    );
    let r = send(&m, "GET", "/services/logger/logs?stdout=1", None).await;
    assert_eq!(r.body.len(), 2 * 8 + 6 + 4);
    let r = send(&m, "GET", "/services/logger/logs", None).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn exec_records_commands_and_exit_codes() {
    let m = MockSwarm::builder()
        .initialized(true)
        .task_delay(Duration::ZERO)
        .start()
        .await;
    send(
        &m,
        "POST",
        "/services/create",
        Some(&spec("lb", "nginx", 1)),
    )
    .await;
    let t = wait_running(&m, "lb", 1).await;
    let cid = t[0]["Status"]["ContainerStatus"]["ContainerID"]
        .as_str()
        .expect("cid")
        .to_owned();
    let r = send(
        &m,
        "POST",
        "/containers/nope/exec",
        Some(&json!({"Cmd": ["true"]})),
    )
    .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json().expect("JSON body")["message"],
        "No such container: nope"
    );
    // Default: no output, exit 0.
    let id = send(
        &m,
        "POST",
        &format!("/containers/{}/exec", &cid[..12]),
        Some(&json!({"Cmd": ["nginx", "-s", "reload"]})),
    )
    .await
    .json()
    .expect("JSON body")["Id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(
        send(&m, "GET", &format!("/exec/{id}/json"), None)
            .await
            .json()
            .expect("JSON body")["ExitCode"],
        Value::Null
    );
    let r = send(
        &m,
        "POST",
        &format!("/exec/{id}/start"),
        Some(&json!({"Detach": false})),
    )
    .await;
    assert!(r.body.is_empty());
    assert_eq!(
        send(&m, "GET", &format!("/exec/{id}/json"), None)
            .await
            .json()
            .expect("JSON body")["ExitCode"],
        0
    );
    // Configured failure.
    m.set_exec_result(&["nginx", "-t"], "", "nginx: [emerg] bad\n", 1);
    let id = send(
        &m,
        "POST",
        &format!("/containers/{cid}/exec"),
        Some(&json!({"Cmd": ["nginx", "-t"]})),
    )
    .await
    .json()
    .expect("JSON body")["Id"]
        .as_str()
        .expect("id")
        .to_owned();
    let r = send(&m, "POST", &format!("/exec/{id}/start"), Some(&json!({}))).await;
    assert_eq!(r.body[0], 2, "stderr frame");
    assert_eq!(&r.body[8..], b"nginx: [emerg] bad\n");
    assert_eq!(
        send(&m, "GET", &format!("/exec/{id}/json"), None)
            .await
            .json()
            .expect("JSON body")["ExitCode"],
        1
    );
    let execs = m.execs();
    assert_eq!(execs.len(), 2);
    assert!(execs.iter().all(|e| e.container_id == cid && e.started));
    assert!(execs.iter().any(|e| e.cmd == ["nginx", "-s", "reload"]));
}

#[tokio::test]
async fn events_stream_service_and_container_events() {
    let m = MockSwarm::builder()
        .initialized(true)
        .task_delay(Duration::from_millis(50))
        .start()
        .await;
    let mut events = TestClient::new(&m.endpoint())
        .expect("test client")
        .open("GET", "/v1.41/events", &[], b"")
        .await
        .expect("events");
    assert_eq!(events.status(), 200);
    tokio::time::sleep(Duration::from_millis(50)).await;
    send(
        &m,
        "POST",
        "/services/create",
        Some(&spec("evented", "x", 1)),
    )
    .await;
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !(seen.contains("\"Action\":\"create\"") && seen.contains("\"Action\":\"start\"")) {
        assert!(Instant::now() < deadline, "events not seen: {seen}");
        let chunk = tokio::time::timeout(Duration::from_secs(5), events.chunk())
            .await
            .expect("timeout")
            .expect("read")
            .expect("stream closed early");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("\"com.docker.swarm.service.name\":\"evented\""));
    // `until` in the past ends the stream.
    let r = send(&m, "GET", "/events?since=0&until=1", None).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn distribution_configs_secrets_networks() {
    let m = MockSwarm::builder()
        .initialized(true)
        .image("127.0.0.1:5000/web:1", "sha256:abc")
        .start()
        .await;
    let r = send(
        &m,
        "GET",
        "/v1.41/distribution/127.0.0.1:5000/web:1/json",
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json().expect("JSON body")["Descriptor"]["digest"],
        "sha256:abc"
    );
    assert_eq!(
        send(&m, "GET", "/distribution/other:1/json", None)
            .await
            .status,
        403
    );

    let data = base64::engine::general_purpose::STANDARD.encode("upstream x {}");
    let r = send(
        &m,
        "POST",
        "/configs/create",
        Some(&json!({"Name": "lb.conf", "Data": data})),
    )
    .await;
    assert_eq!(r.status, 201);
    let cid = r.json().expect("JSON body")["ID"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(
        send(
            &m,
            "POST",
            "/configs/create",
            Some(&json!({"Name": "lb.conf", "Data": data}))
        )
        .await
        .status,
        409
    );
    let list = send(
        &m,
        "GET",
        &format!("/configs?{}", filters(json!({"name": ["lb.conf"]}))),
        None,
    )
    .await
    .json()
    .expect("JSON body");
    assert_eq!(list[0]["Spec"]["Data"], json!(data));
    assert_eq!(
        send(&m, "DELETE", &format!("/configs/{cid}"), None)
            .await
            .status,
        204
    );
    assert_eq!(
        send(&m, "GET", &format!("/configs/{cid}"), None)
            .await
            .status,
        404
    );

    let r = send(
        &m,
        "POST",
        "/secrets/create",
        Some(&json!({"Name": "pw", "Data": data})),
    )
    .await;
    assert_eq!(r.status, 201);
    let s = send(&m, "GET", "/secrets/pw", None)
        .await
        .json()
        .expect("JSON body");
    assert_eq!(s["Spec"]["Name"], "pw");
    assert_eq!(s["Spec"].get("Data"), None, "secret data is never returned");

    let nets = send(&m, "GET", "/networks", None)
        .await
        .json()
        .expect("JSON body");
    assert!(
        nets.as_array()
            .expect("a")
            .iter()
            .any(|n| n["Name"] == "host")
    );
}

#[tokio::test]
async fn fail_nth_and_versions() {
    let m = initialized().await;
    m.fail_nth(2, 503);
    assert_eq!(send(&m, "GET", "/_ping", None).await.status, 200);
    assert_eq!(send(&m, "GET", "/_ping", None).await.status, 503);
    assert_eq!(send(&m, "GET", "/_ping", None).await.status, 200);
    let r = send(&m, "GET", "/v1.11/version", None).await;
    assert_eq!(r.status, 400);
    assert!(
        r.json().expect("JSON body")["message"]
            .as_str()
            .expect("m")
            .contains("is too old")
    );
    assert_eq!(send(&m, "HEAD", "/_ping", None).await.status, 200);
    assert_eq!(m.requests().len(), 5);
}

#[tokio::test]
async fn inspection_helpers_show_state() {
    let m = MockSwarm::builder()
        .initialized(true)
        .task_delay(Duration::ZERO)
        .missing_image("gone:1")
        .start()
        .await;
    send(
        &m,
        "POST",
        "/services/create",
        Some(&spec("ok", "here:1", 1)),
    )
    .await;
    send(
        &m,
        "POST",
        "/services/create",
        Some(&spec("bad", "gone:1", 1)),
    )
    .await;
    assert_eq!(m.services().len(), 2);
    let all = m.tasks();
    assert!(all.iter().any(|t| t["Status"]["State"] == "running"));
    let rejected = all
        .iter()
        .find(|t| t["Status"]["State"] == "rejected")
        .expect("rejected");
    assert_eq!(rejected["Status"]["Err"], "No such image: gone:1");
    assert!(m.endpoint().starts_with("tcp://127.0.0.1:"));
}

#[tokio::test]
async fn placement_constraints_pick_nodes_or_keep_tasks_pending() {
    let m = MockSwarm::builder()
        .initialized(true)
        .task_delay(Duration::ZERO)
        .node(MockNode::new("worker-1", "127.0.0.2", "worker"))
        .node(MockNode::new("worker-2", "127.0.0.3", "worker"))
        .start()
        .await;
    let mut lb = spec("lb", "nginx", 2);
    lb["TaskTemplate"]["Placement"] = json!({"Constraints": ["node.role==manager"]});
    send(&m, "POST", "/services/create", Some(&lb)).await;
    let mut pinned = spec("pinned", "web", 2);
    pinned["TaskTemplate"]["Placement"] =
        json!({"Constraints": ["node.hostname!=worker-1", "node.role==worker"]});
    send(&m, "POST", "/services/create", Some(&pinned)).await;
    let nodes = send(&m, "GET", "/nodes", None)
        .await
        .json()
        .expect("JSON body");
    let id_of = |host: &str| {
        nodes
            .as_array()
            .expect("a")
            .iter()
            .find(|n| n["Description"]["Hostname"] == host)
            .expect("node")["ID"]
            .clone()
    };
    let lb_tasks = wait_running(&m, "lb", 2).await;
    assert!(
        lb_tasks
            .iter()
            .all(|t| t["NodeID"] == id_of("mock-manager"))
    );
    let pinned_tasks = wait_running(&m, "pinned", 2).await;
    assert!(
        pinned_tasks
            .iter()
            .all(|t| t["NodeID"] == id_of("worker-2"))
    );

    // No node has the label: the task stays pending with the scheduler's error.
    let mut labelled = spec("labelled", "web", 1);
    labelled["TaskTemplate"]["Placement"] = json!({"Constraints": ["node.labels.zone==a"]});
    send(&m, "POST", "/services/create", Some(&labelled)).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let t = tasks(&m, json!({"service": ["labelled"]})).await;
    assert_eq!(t.len(), 1);
    assert_eq!(t[0]["Status"]["State"], "pending");
    assert_eq!(
        t[0]["Status"]["Err"],
        "no suitable node (scheduling constraints not satisfied on 3 nodes)"
    );
    // Labelling a node schedules it.
    let w1 = send(
        &m,
        "GET",
        &format!("/nodes/{}", id_of("worker-1").as_str().expect("id")),
        None,
    )
    .await
    .json()
    .expect("JSON body");
    let mut node_spec = w1["Spec"].clone();
    node_spec["Labels"] = json!({"zone": "a"});
    let v = w1["Version"]["Index"].as_u64().expect("v");
    let r = send(
        &m,
        "POST",
        &format!(
            "/nodes/{}/update?version={v}",
            w1["ID"].as_str().expect("id")
        ),
        Some(&node_spec),
    )
    .await;
    assert_eq!(r.status, 200);
    let t = wait_running(&m, "labelled", 1).await;
    assert_eq!(t[0]["NodeID"], w1["ID"]);
}

#[tokio::test]
async fn private_registry_needs_forwarded_auth() {
    let m = MockSwarm::builder()
        .initialized(true)
        .task_delay(Duration::ZERO)
        .private_registry("127.0.0.1:5000", "deployer", "pw")
        .start()
        .await;
    // Without X-Registry-Auth the pull is denied.
    send(
        &m,
        "POST",
        "/services/create",
        Some(&spec("noauth", "127.0.0.1:5000/app:1", 1)),
    )
    .await;
    let t = tasks(&m, json!({"service": ["noauth"]})).await;
    assert_eq!(t[0]["Status"]["State"], "rejected");
    assert_eq!(t[0]["Status"]["Err"], "No such image: 127.0.0.1:5000/app:1");
    // Wrong password: denied too; right one: runs.
    for (name, pass, state) in [
        ("wrongauth", "nope", "rejected"),
        ("withauth", "pw", "running"),
    ] {
        let auth =
            json!({"username": "deployer", "password": pass, "serveraddress": "127.0.0.1:5000"});
        let header = base64::engine::general_purpose::URL_SAFE.encode(auth.to_string());
        let r = send_h(
            &m,
            "POST",
            "/services/create",
            &[("X-Registry-Auth", &header)],
            Some(&spec(name, "127.0.0.1:5000/app:1", 1)),
        )
        .await;
        assert_eq!(r.status, 201);
        let t = tasks(&m, json!({"service": [name]})).await;
        assert_eq!(t[0]["Status"]["State"], state, "{name}");
    }
    // Other registries are open.
    send(
        &m,
        "POST",
        "/services/create",
        Some(&spec("public", "127.0.0.1:6000/app:1", 1)),
    )
    .await;
    assert_eq!(
        tasks(&m, json!({"service": ["public"]})).await[0]["Status"]["State"],
        "running"
    );
}

#[tokio::test]
async fn unix_socket_serves_the_same_state() {
    let m = MockSwarm::builder()
        .initialized(true)
        .unix_socket(true)
        .start()
        .await;
    let endpoint = m.unix_endpoint().expect("unix endpoint");
    let path = endpoint
        .strip_prefix("unix://")
        .expect("unix://")
        .to_owned();
    send(&m, "POST", "/services/create", Some(&spec("both", "x", 1))).await;
    let r = TestClient::new(&endpoint)
        .expect("test client")
        .send("GET", "/v1.41/services/both", &[], b"")
        .await
        .expect("unix request");
    assert_eq!(r.status, 200);
    assert_eq!(r.json().expect("JSON body")["Spec"]["Name"], "both");
    let dir = std::path::Path::new(&path)
        .parent()
        .expect("dir")
        .to_owned();
    drop(m);
    assert!(!dir.exists(), "socket dir not removed");
    assert!(MockSwarm::start().await.unix_endpoint().is_none());
}

/// Splits a multiplexed log body into (stream, text) frames.
fn log_frames(mut rest: &[u8]) -> Vec<(u8, String)> {
    let mut frames = Vec::new();
    while rest.len() >= 8 {
        let len = u32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
        frames.push((
            rest[0],
            String::from_utf8(rest[8..8 + len].to_vec()).expect("utf8"),
        ));
        rest = &rest[8 + len..];
    }
    assert!(rest.is_empty(), "partial frame");
    frames
}

#[tokio::test]
async fn logs_honour_tail_since_and_timestamps() {
    let m = initialized().await;
    send(
        &m,
        "POST",
        "/services/create",
        Some(&spec("tailed", "x", 1)),
    )
    .await;
    m.set_service_logs("tailed", &[(1, "one"), (2, "two"), (1, "three")]);
    let texts =
        |r: &Resp| -> Vec<String> { log_frames(&r.body).into_iter().map(|(_, t)| t).collect() };
    let r = send(
        &m,
        "GET",
        "/v1.41/services/tailed/logs?stdout=1&stderr=1&tail=2",
        None,
    )
    .await;
    assert_eq!(texts(&r), ["two\n", "three\n"]);
    let r = send(
        &m,
        "GET",
        "/v1.41/services/tailed/logs?stdout=1&stderr=1&tail=all",
        None,
    )
    .await;
    assert_eq!(texts(&r).len(), 3);
    let r = send(
        &m,
        "GET",
        "/v1.41/services/tailed/logs?stdout=1&tail=0",
        None,
    )
    .await;
    assert!(r.body.is_empty());
    let r = send(
        &m,
        "GET",
        "/v1.41/services/tailed/logs?stdout=1&tail=many",
        None,
    )
    .await;
    assert_eq!(r.status, 400);
    // Timestamps: RFC 3339 nanoseconds and a space before each line.
    let r = send(
        &m,
        "GET",
        "/v1.41/services/tailed/logs?stdout=1&timestamps=1",
        None,
    )
    .await;
    let lines = texts(&r);
    assert_eq!(lines.len(), 2);
    for (line, want) in lines.iter().zip(["one\n", "three\n"]) {
        let (ts, text) = line.split_once(' ').expect("timestamp");
        assert_eq!(text, want);
        assert_eq!(ts.len(), "2025-11-25T09:30:18.116424948Z".len(), "{ts}");
        assert!(ts.ends_with('Z') && ts.as_bytes()[10] == b'T', "{ts}");
    }
    // since: only lines stamped at or after it.
    let cut = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock");
    tokio::time::sleep(Duration::from_millis(20)).await;
    m.append_service_logs("tailed", &[(1, "late")]);
    let since = format!("{}.{:09}", cut.as_secs(), cut.subsec_nanos());
    let r = send(
        &m,
        "GET",
        &format!("/v1.41/services/tailed/logs?stdout=1&stderr=1&since={since}"),
        None,
    )
    .await;
    assert_eq!(texts(&r), ["late\n"]);
    let r = send(
        &m,
        "GET",
        "/v1.41/services/tailed/logs?stdout=1&since=yesterday",
        None,
    )
    .await;
    assert_eq!(
        r.status, 500,
        "dockerd answers 500 for a since it cannot parse"
    );
}

#[tokio::test]
async fn logs_follow_streams_appended_lines_until_the_service_is_removed() {
    let m = initialized().await;
    send(
        &m,
        "POST",
        "/services/create",
        Some(&spec("followed", "x", 1)),
    )
    .await;
    m.set_service_logs("followed", &[(1, "old")]);
    let mut stream = TestClient::new(&m.endpoint())
        .expect("test client")
        .open(
            "GET",
            "/v1.41/services/followed/logs?stdout=1&follow=1&tail=1",
            &[],
            b"",
        )
        .await
        .expect("logs");
    assert_eq!(stream.status(), 200);
    let mut seen = Vec::new();
    let next = |seen: &mut Vec<u8>, chunk: bytes::Bytes| seen.extend_from_slice(&chunk);
    let chunk = tokio::time::timeout(Duration::from_secs(5), stream.chunk())
        .await
        .expect("first chunk in time")
        .expect("read")
        .expect("open");
    next(&mut seen, chunk);
    assert_eq!(log_frames(&seen), [(1, "old\n".to_owned())]);
    m.append_service_logs("followed", &[(2, "err-ignored"), (1, "new")]);
    let chunk = tokio::time::timeout(Duration::from_secs(5), stream.chunk())
        .await
        .expect("appended line in time")
        .expect("read")
        .expect("open");
    next(&mut seen, chunk);
    assert_eq!(
        log_frames(&seen),
        [(1, "old\n".to_owned()), (1, "new\n".to_owned())],
        "stderr lines are not sent without stderr=1"
    );
    send(&m, "DELETE", "/services/followed", None).await;
    let end = tokio::time::timeout(Duration::from_secs(5), stream.chunk())
        .await
        .expect("stream ends in time")
        .expect("read");
    assert!(end.is_none(), "stream must end when the service is removed");
}

#[tokio::test]
async fn events_honour_since_until_and_filters() {
    let m = MockSwarm::builder()
        .initialized(true)
        .task_delay(Duration::ZERO)
        .start()
        .await;
    let t0 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock");
    tokio::time::sleep(Duration::from_millis(20)).await;
    send(
        &m,
        "POST",
        "/services/create",
        Some(&spec("ev-web", "x", 1)),
    )
    .await;
    send(&m, "POST", "/services/create", Some(&spec("ev-db", "x", 1))).await;
    // Let the tasks start (container start events) before `until`.
    let _ = m.tasks();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let _ = m.tasks();
    let t1 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock");
    tokio::time::sleep(Duration::from_millis(20)).await;
    send(&m, "DELETE", "/services/ev-db", None).await;
    let at = |d: Duration| format!("{}.{:09}", d.as_secs(), d.subsec_nanos());
    let history = |f: Value, since: Duration, until: Duration| {
        let m = &m;
        async move {
            let r = send(
                m,
                "GET",
                &format!(
                    "/v1.41/events?since={}&until={}&{}",
                    at(since),
                    at(until),
                    filters(f)
                ),
                None,
            )
            .await;
            assert_eq!(r.status, 200, "{}", r.text());
            r.text()
                .lines()
                .map(|l| serde_json::from_str::<Value>(l).expect("event JSON"))
                .map(|e| {
                    format!(
                        "{} {} {}",
                        e["Type"].as_str().unwrap_or_default(),
                        e["Action"].as_str().unwrap_or_default(),
                        e["Actor"]["Attributes"]["name"]
                            .as_str()
                            .unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let now = t1 + Duration::from_secs(1);
    // Everything between t0 and t1: two creates and two container starts, no remove.
    let all = history(json!({}), t0, t1).await;
    assert_eq!(
        all.iter()
            .filter(|e| e.starts_with("service create"))
            .count(),
        2,
        "{all:?}"
    );
    assert_eq!(
        all.iter()
            .filter(|e| e.starts_with("container start"))
            .count(),
        2,
        "{all:?}"
    );
    assert!(!all.iter().any(|e| e.contains("remove")), "{all:?}");
    // since t1: only the remove.
    assert_eq!(history(json!({}), t1, now).await, ["service remove ev-db"]);
    // type and event filters.
    assert_eq!(
        history(json!({"type": ["service"], "event": ["create"]}), t0, now).await,
        ["service create ev-web", "service create ev-db"]
    );
    // Name filters are dockerd's fuzzy match (ID or `name` attribute, exact or prefix) on
    // every event: `service=ev-web` also matches its task containers (SERVICE.SLOT.TASK).
    let web = history(json!({"service": ["ev-web"]}), t0, now).await;
    assert_eq!(web.len(), 2, "{web:?}");
    assert_eq!(web[0], "service create ev-web");
    assert!(web[1].starts_with("container start ev-web.1."), "{web:?}");
    let web_containers = history(
        json!({"type": ["container"], "container": ["ev-web"]}),
        t0,
        now,
    )
    .await;
    assert_eq!(web_containers.len(), 1, "{web_containers:?}");
    assert!(web_containers[0].starts_with("container start ev-web.1."));
    let swarm_scope = history(json!({"scope": ["local"]}), t0, now).await;
    assert!(
        swarm_scope.iter().all(|e| e.starts_with("container")),
        "{swarm_scope:?}"
    );
    // Bad times are a 400.
    let r = send(&m, "GET", "/v1.41/events?since=soon", None).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn rejected_tasks_are_replaced_after_the_restart_delay() {
    let m = MockSwarm::builder()
        .initialized(true)
        .task_delay(Duration::from_millis(50))
        .restart_delay(Duration::from_millis(300))
        .missing_image("gone:1")
        .start()
        .await;
    send(
        &m,
        "POST",
        "/services/create",
        Some(&spec("flappy", "gone:1", 1)),
    )
    .await;
    let start = Instant::now();
    // The first rejection brings a replacement at once, waiting with desired state `ready`.
    let list = loop {
        let list = tasks(&m, json!({"service": ["flappy"]})).await;
        if list.len() >= 2 {
            break list;
        }
        assert!(start.elapsed() < Duration::from_secs(5));
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert!(
        start.elapsed() < Duration::from_millis(300),
        "replacement created at once"
    );
    assert!(
        list.iter().any(|t| t["DesiredState"] == "ready"),
        "{list:?}"
    );
    assert!(
        list.iter()
            .any(|t| t["DesiredState"] == "shutdown" && t["Status"]["State"] == "rejected")
    );
    // Then one new task per delay; at most 5 kept per slot (TaskHistoryRetentionLimit).
    loop {
        let n = tasks(&m, json!({"service": ["flappy"]})).await.len();
        if n >= 4 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(5));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        start.elapsed() >= Duration::from_millis(600),
        "{:?}",
        start.elapsed()
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(tasks(&m, json!({"service": ["flappy"]})).await.len(), 5);
    // A spec's own RestartPolicy wins; Condition none never restarts.
    let mut never = spec("never", "gone:1", 1);
    never["TaskTemplate"]["RestartPolicy"] = json!({"Condition": "none"});
    send(&m, "POST", "/services/create", Some(&never)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let list = tasks(&m, json!({"service": ["never"]})).await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["Status"]["State"], "rejected");
}

#[tokio::test]
async fn preset_day5_names_three_loopback_nodes() {
    let m = MockSwarm::builder()
        .preset_day5()
        .initialized(true)
        .start()
        .await;
    let r = send(&m, "GET", "/v1.41/nodes", None).await;
    let mut nodes: Vec<(String, String, String)> = r
        .json()
        .expect("JSON body")
        .as_array()
        .expect("array")
        .iter()
        .map(|n| {
            (
                n["Description"]["Hostname"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                n["Status"]["Addr"].as_str().unwrap_or_default().to_owned(),
                n["Spec"]["Role"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    nodes.sort();
    let want = [
        ("swarm-docker-m", "127.0.0.1", "manager"),
        ("swarm-docker-w1", "127.0.0.2", "worker"),
        ("swarm-docker-w2", "127.0.0.3", "worker"),
    ];
    let want: Vec<(String, String, String)> = want
        .iter()
        .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
        .collect();
    assert_eq!(nodes, want);
    let info = send(&m, "GET", "/info", None)
        .await
        .json()
        .expect("JSON body");
    assert_eq!(info["Name"], "swarm-docker-m");
    assert_eq!(info["Swarm"]["NodeAddr"], "127.0.0.1");
}

#[tokio::test]
async fn injected_faults_retry_after_and_dropped_connections() {
    let m = initialized().await;
    m.inject_fault(1, swarm_client::mock::Fault::retry_after(503, 7));
    let r = send(&m, "GET", "/v1.41/nodes", None).await;
    assert_eq!(r.status, 503);
    assert_eq!(r.header("retry-after").as_deref(), Some("7"));
    assert_eq!(r.json().expect("JSON body")["message"], "injected fault");
    m.inject_fault(2, swarm_client::mock::Fault::DropConnection);
    let whole = send(&m, "GET", "/v1.41/nodes", None).await;
    assert!(!whole.truncated);
    let cut = send(&m, "GET", "/v1.41/nodes", None).await;
    assert!(cut.truncated, "body should be cut short");
    assert!(cut.body.len() < whole.body.len());
    assert_eq!(send(&m, "GET", "/v1.41/nodes", None).await.body, whole.body);
}

/// A new task walks new → pending → assigned → preparing → starting → running, in that order,
/// and is not running before the configured task delay.
#[tokio::test]
async fn tasks_move_through_the_states_in_order_after_the_delay() {
    let delay = Duration::from_millis(600);
    let m = MockSwarm::builder()
        .initialized(true)
        .task_delay(delay)
        .start()
        .await;
    let created = Instant::now();
    let r = send(
        &m,
        "POST",
        "/v1.41/services/create",
        Some(&spec("walk", "127.0.0.1:5000/walk:1", 1)),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let order = [
        "new",
        "pending",
        "assigned",
        "preparing",
        "starting",
        "running",
    ];
    let mut seen: Vec<String> = Vec::new();
    let running_after = loop {
        let list = tasks(&m, json!({"service": ["walk"]})).await;
        assert_eq!(list.len(), 1, "{list:?}");
        let state = list[0]["Status"]["State"]
            .as_str()
            .expect("state")
            .to_owned();
        if seen.last() != Some(&state) {
            seen.push(state.clone());
        }
        if state == "running" {
            break created.elapsed();
        }
        assert!(created.elapsed() < Duration::from_secs(5), "{seen:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert!(running_after >= delay, "running after {running_after:?}");
    assert!(
        seen.len() >= 4,
        "most states observed at 10 ms polls: {seen:?}"
    );
    let positions: Vec<usize> = seen
        .iter()
        .map(|s| order.iter().position(|o| o == s).expect("a known state"))
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "out of order: {seen:?}"
    );
}

/// `task_error(image, message)`: the tasks are rejected with that message (as dockerd rejects a
/// task it cannot prepare) and the slot is retried with a new task.
#[tokio::test]
async fn task_error_rejects_tasks_with_the_given_message() {
    let msg = "invalid mount config for type \"volume\": mount options not supported";
    let m = MockSwarm::builder()
        .initialized(true)
        .task_delay(Duration::from_millis(50))
        .restart_delay(Duration::from_millis(100))
        .task_error("127.0.0.1:5000/broken:1", msg)
        .start()
        .await;
    let r = send(
        &m,
        "POST",
        "/v1.41/services/create",
        Some(&spec("broken", "127.0.0.1:5000/broken:1", 1)),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let start = Instant::now();
    loop {
        let list = tasks(&m, json!({"service": ["broken"]})).await;
        let rejected: Vec<&Value> = list
            .iter()
            .filter(|t| t["Status"]["State"] == "rejected")
            .collect();
        if rejected.len() >= 2 {
            for t in rejected {
                assert_eq!(t["Status"]["Err"], msg, "{t}");
                assert_eq!(t["Slot"], 1);
            }
            assert!(list.iter().all(|t| t["Status"]["State"] != "running"));
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "{list:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn paused_tasks_stand_still_until_resumed() {
    let m = initialized().await;
    m.pause_tasks();
    let r = send(
        &m,
        "POST",
        "/services/create",
        Some(&spec("held", "img:1", 2)),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let held = tasks(&m, json!({"service": ["held"]})).await;
    assert_eq!(held.len(), 2);
    // Three task delays later nothing has moved: same states, same timestamps.
    tokio::time::sleep(Duration::from_millis(300)).await;
    m.pause_tasks(); // pausing again changes nothing
    let later = tasks(&m, json!({"service": ["held"]})).await;
    for t in &later {
        assert_eq!(t["Status"]["State"], "new", "{t}");
        let before = held.iter().find(|h| h["ID"] == t["ID"]).expect("same task");
        assert_eq!(t["Status"]["Timestamp"], before["Status"]["Timestamp"]);
    }
    assert!(m.tasks().iter().all(|t| t["Status"]["State"] == "new"));
    m.resume_tasks();
    let running = wait_running(&m, "held", 2).await;
    assert!(
        running
            .iter()
            .all(|t| held.iter().any(|h| h["ID"] == t["ID"])),
        "the same tasks go on: {running:?}"
    );
    m.resume_tasks(); // resuming a running clock changes nothing
    assert_eq!(wait_running(&m, "held", 2).await.len(), 2);
}

#[tokio::test]
async fn the_stored_spec_is_typed_and_keeps_unknown_fields() {
    let m = initialized().await;
    let sent = json!({
        "Name": "typed",
        "Labels": {"team": "web"},
        "TaskTemplate": {
            "ContainerSpec": {"Image": "img:1", "Env": ["A=1"], "FutureContainerField": {"x": 1}},
            "FutureTaskField": [1, 2],
        },
        "Mode": {"Replicated": {"Replicas": 2}},
        "FutureServiceField": "kept",
    });
    let r = send(&m, "POST", "/services/create", Some(&sent)).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let spec = m.service_spec("typed").expect("stored");
    assert_eq!(spec.mode.replicas(), Some(2));
    assert_eq!(spec.labels["team"], "web");
    assert_eq!(spec.container().expect("container").env, ["A=1"]);
    assert_eq!(spec.extra["FutureServiceField"], "kept");
    assert_eq!(spec.task_template.extra["FutureTaskField"], json!([1, 2]));
    assert!(m.service_spec("absent").is_none());
    // The inspect JSON is the typed spec written back: what was sent plus dockerd's defaults.
    let inspect = send(&m, "GET", "/services/typed", None)
        .await
        .json()
        .expect("JSON body");
    let mut expected = sent.clone();
    expected["TaskTemplate"]["ForceUpdate"] = json!(0);
    expected["TaskTemplate"]["Runtime"] = json!("container");
    expected["TaskTemplate"]["ContainerSpec"]["Isolation"] = json!("default");
    assert_eq!(inspect["Spec"], expected);
    let task = &wait_running(&m, "typed", 2).await[0];
    assert_eq!(task["Spec"], expected["TaskTemplate"]);
}

#[tokio::test]
async fn leaving_the_swarm_keeps_what_the_test_set_and_recorded() {
    let m = initialized().await;
    m.set_exec_result(&["true"], "out", "", 0);
    m.set_service_logs("web", &[(1, "line")]);
    let r = send(&m, "POST", "/v1.41/swarm/leave?force=1", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(send(&m, "GET", "/v1.41/services", None).await.status, 503);
    // The request log (bodies included), faults and canned answers outlive the swarm.
    m.fail_nth(2, 418);
    let r = send(
        &m,
        "POST",
        "/v1.41/swarm/init",
        Some(&json!({"AdvertiseAddr": "127.0.0.1"})),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(send(&m, "GET", "/v1.41/nodes", None).await.status, 418);
    let recorded = m.requests();
    assert_eq!(recorded.len(), 4, "{recorded:?}");
    assert!(recorded[0].path.ends_with("/swarm/leave"));
    assert!(recorded[2].body.contains("127.0.0.1"), "{:?}", recorded[2]);
    let r = send(
        &m,
        "POST",
        "/services/create",
        Some(&spec("web", "img:1", 1)),
    )
    .await;
    assert_eq!(r.status, 201);
    let task = &wait_running(&m, "web", 1).await[0];
    let cid = task["Status"]["ContainerStatus"]["ContainerID"]
        .as_str()
        .expect("cid")
        .to_owned();
    let exec = send(
        &m,
        "POST",
        &format!("/containers/{cid}/exec"),
        Some(&json!({"Cmd": ["true"]})),
    )
    .await
    .json()
    .expect("JSON body");
    let r = send(
        &m,
        "POST",
        &format!("/exec/{}/start", exec["Id"].as_str().expect("Id")),
        Some(&json!({})),
    )
    .await;
    assert_eq!(&r.body[8..], b"out");
    let logs = send(&m, "GET", "/services/web/logs?stdout=1", None).await;
    assert_eq!(&logs.body[8..], b"line\n");
}
