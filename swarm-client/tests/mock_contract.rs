//! Contract tests: the same checks run against the real swarm manager of `scripts/test`
//! (ignored by default) and against `swarm_client::mock::MockSwarm`. Any difference is a
//! failing test.
#![cfg(feature = "mock")]

mod common;

use std::time::{Duration, Instant};

use common::contract;
use sdk_core::test_server::{TestClient, TestResponse as Resp};
use serde_json::{Value, json};
use swarm_client::mock::MockSwarm;
use swarm_client::stream::{Demux, StreamKind};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run scripts/test (it starts the real servers)")
    })
}

enum Target {
    Real { endpoint: String, registry: String },
    Mock(MockSwarm),
}

/// Removes a service from the real swarm when dropped (even when the test fails).
struct ServiceGuard {
    endpoint: Option<String>,
    name: String,
}

impl Drop for ServiceGuard {
    fn drop(&mut self) {
        if let Some(ep) = &self.endpoint {
            let _ = std::process::Command::new("docker")
                .args(["-H", ep, "service", "rm", &self.name])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}

impl Target {
    async fn real() -> Self {
        Self::Real {
            endpoint: env("DOCKWRIGHT_TEST_DOCKER_HOST"),
            registry: env("DOCKWRIGHT_TEST_REGISTRY"),
        }
    }

    async fn mock() -> Self {
        Self::Mock(
            MockSwarm::builder()
                .initialized(true)
                .task_delay(Duration::from_millis(300))
                .start()
                .await,
        )
    }

    fn host(&self) -> String {
        match self {
            Self::Real { endpoint, .. } => endpoint.clone(),
            Self::Mock(m) => m.endpoint(),
        }
    }

    async fn send(&self, method: &str, target: &str, body: Option<&Value>) -> Resp {
        self.send_with(method, target, body, &[]).await
    }

    async fn send_with(
        &self,
        method: &str,
        target: &str,
        body: Option<&Value>,
        extra: &[(&str, &str)],
    ) -> Resp {
        let bytes = body
            .map(|b| serde_json::to_vec(b).expect("json"))
            .unwrap_or_default();
        let mut headers: Vec<(&str, &str)> = extra.to_vec();
        if body.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        TestClient::new(&self.host())
            .expect("test client")
            .send(method, target, &headers, &bytes)
            .await
            .expect("request failed")
    }

    fn guard(&self, name: &str) -> ServiceGuard {
        let endpoint = match self {
            Self::Real { endpoint, .. } => Some(endpoint.clone()),
            Self::Mock(_) => None,
        };
        ServiceGuard {
            endpoint,
            name: name.to_owned(),
        }
    }

    /// A small image that runs here: the busybox image pushed to the test registry
    /// (`pushed_busybox`), any name for the fake.
    async fn busybox_image(&self) -> String {
        match self {
            Self::Real { registry, .. } => pushed_busybox(registry),
            Self::Mock(_) => "127.0.0.1:5000/mocktest/busybox:1".to_owned(),
        }
    }

    fn absent_image(&self, name: &str) -> String {
        match self {
            Self::Real { registry, .. } => format!("{registry}/absent/{name}:1"),
            Self::Mock(_) => format!("127.0.0.1:5000/absent/{name}:1"),
        }
    }
}

/// Builds a one-layer busybox OCI layout and pushes it with skopeo; returns the reference.
fn pushed_busybox(registry: &str) -> String {
    pushed_busybox_as(registry, "mocktest/busybox:contract", None)
}

/// Like [`pushed_busybox`], to `registry/path`, with `user:password` for an htpasswd registry.
fn pushed_busybox_as(registry: &str, path: &str, creds: Option<&str>) -> String {
    let reference = format!("{registry}/{path}");
    let dest_creds = creds
        .map(|c| format!("--dest-creds '{c}'"))
        .unwrap_or_default();
    let dir = tempfile::tempdir().expect("tempdir");
    let script = format!(
        r#"set -e; cd "{d}"; mkdir -p root/bin; cp /bin/busybox root/bin/; for l in sh httpd sleep echo; do ln -s busybox root/bin/$l; done
tar --owner=0 --group=0 --numeric-owner --sort=name --mtime=@0 -C root -cf layer.tar bin
mkdir -p oci/blobs/sha256; L=$(sha256sum layer.tar|cut -d' ' -f1); cp layer.tar oci/blobs/sha256/$L; LS=$(stat -c%s layer.tar)
printf '{{"architecture":"amd64","os":"linux","config":{{}},"rootfs":{{"type":"layers","diff_ids":["sha256:%s"]}}}}' $L > cfg.json
C=$(sha256sum cfg.json|cut -d' ' -f1); cp cfg.json oci/blobs/sha256/$C; CS=$(stat -c%s cfg.json)
printf '{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}}]}}' $C $CS $L $LS > m.json
M=$(sha256sum m.json|cut -d' ' -f1); cp m.json oci/blobs/sha256/$M; MS=$(stat -c%s m.json)
printf '{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s}}]}}' $M $MS > oci/index.json
echo '{{"imageLayoutVersion":"1.0.0"}}' > oci/oci-layout
skopeo copy -q --dest-tls-verify=false {dest_creds} oci:oci docker://{reference}"#,
        d = dir.path().display()
    );
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .status()
        .expect("sh");
    assert!(
        status.success(),
        "building/pushing the busybox image failed"
    );
    reference
}

fn unique(what: &str) -> String {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    format!(
        "mocktest-{what}-{:x}",
        (n as u64) ^ u64::from(std::process::id())
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

fn filters(v: Value) -> String {
    let raw = v.to_string();
    let enc: String = url::form_urlencoded::byte_serialize(raw.as_bytes()).collect();
    format!("filters={enc}")
}

/// Polls the tasks of `service` until `pred` holds for one of them or `limit` passes.
async fn wait_task(
    t: &Target,
    service: &str,
    limit: Duration,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    let start = Instant::now();
    loop {
        let r = t
            .send(
                "GET",
                &format!("/v1.41/tasks?{}", filters(json!({"service": [service]}))),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        if let Some(task) = r
            .json()
            .expect("JSON body")
            .as_array()
            .expect("array")
            .iter()
            .find(|t| pred(t))
        {
            return task.clone();
        }
        assert!(
            start.elapsed() < limit,
            "no matching task of {service} after {limit:?}: {}",
            r.text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn ping_and_version(t: Target) {
    let r = t.send("GET", "/_ping", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "OK");
    assert!(r.header("api-version").is_some());
    let r = t.send("GET", "/version", None).await;
    assert_eq!(r.status, 200);
    let v = r.json().expect("JSON body");
    assert_eq!(v["ApiVersion"], "1.41");
    assert_eq!(v["MinAPIVersion"], "1.12");
    let r = t.send("GET", "/v1.41/version", None).await;
    assert_eq!(r.status, 200);
    let r = t.send("GET", "/v1.99/version", None).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json().expect("JSON body")["message"],
        "client version 1.99 is too new. Maximum supported API version is 1.41"
    );
}

async fn swarm_state(t: Target) {
    let info = t
        .send("GET", "/v1.41/info", None)
        .await
        .json()
        .expect("JSON body");
    assert_eq!(info["Swarm"]["LocalNodeState"], "active");
    assert_eq!(info["Swarm"]["ControlAvailable"], true);
    let node_id = info["Swarm"]["NodeID"].as_str().expect("NodeID").to_owned();
    assert!(!node_id.is_empty());
    let swarm = t.send("GET", "/v1.41/swarm", None).await;
    assert_eq!(swarm.status, 200);
    let swarm = swarm.json().expect("JSON body");
    assert!(swarm["Version"]["Index"].is_u64());
    for role in ["Worker", "Manager"] {
        let tok = swarm["JoinTokens"][role].as_str().expect("token");
        assert!(
            tok.starts_with("SWMTKN-1-") && tok.split('-').count() == 4,
            "{tok}"
        );
    }
    let r = t
        .send(
            "POST",
            "/v1.41/swarm/init",
            Some(&json!({"ListenAddr": "127.0.0.1:2377", "AdvertiseAddr": "127.0.0.1"})),
        )
        .await;
    assert_eq!(r.status, 503);
    assert!(
        r.json().expect("JSON body")["message"]
            .as_str()
            .expect("msg")
            .starts_with("This node is already part of a swarm.")
    );
    let node = t
        .send("GET", &format!("/v1.41/nodes/{node_id}"), None)
        .await;
    assert_eq!(node.status, 200);
    let node = node.json().expect("JSON body");
    assert_eq!(node["Spec"]["Role"], "manager");
    assert_eq!(node["ManagerStatus"]["Leader"], true);
    assert_eq!(node["Status"]["State"], "ready");
    let r = t
        .send(
            "POST",
            &format!("/v1.41/nodes/{node_id}/update?version=1"),
            Some(&node["Spec"]),
        )
        .await;
    assert_eq!(r.status, 500);
    assert_eq!(
        r.json().expect("JSON body")["message"],
        "rpc error: code = Unknown desc = update out of sequence"
    );
    let r = t.send("GET", "/v1.41/nodes/nosuchnode", None).await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json().expect("JSON body")["message"],
        "node nosuchnode not found"
    );
}

async fn service_lifecycle(t: Target) {
    let name = unique("svc");
    let _guard = t.guard(&name);
    let image = t.busybox_image().await;
    let port = free_port();
    let spec = json!({
        "Name": name,
        "Labels": {"dockwright.test": "contract"},
        "TaskTemplate": {
            "ContainerSpec": {"Image": image, "Args": ["sh", "-c", format!("httpd -f -p 127.0.0.1:{port} -h /")]},
            "Placement": {"Constraints": ["node.role==manager"]},
            "Networks": [{"Target": "host"}],
        },
        "Mode": {"Replicated": {"Replicas": 1}},
    });
    let r = t.send("POST", "/v1.41/services/create", Some(&spec)).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json().expect("JSON body")["ID"]
        .as_str()
        .expect("ID")
        .to_owned();
    assert_eq!(id.len(), 25);

    let r = t.send("POST", "/v1.41/services/create", Some(&spec)).await;
    assert_eq!(r.status, 409);
    assert_eq!(
        r.json().expect("JSON body")["message"],
        format!(
            "rpc error: code = AlreadyExists desc = name conflicts with an existing object: service {name} already exists"
        )
    );

    let by_name = t
        .send("GET", &format!("/v1.41/services/{name}"), None)
        .await
        .json()
        .expect("JSON body");
    let by_id = t
        .send("GET", &format!("/v1.41/services/{id}"), None)
        .await
        .json()
        .expect("JSON body");
    assert_eq!(by_name["ID"], json!(id));
    assert_eq!(by_id["Spec"]["Name"], json!(name));
    assert_eq!(
        by_id["Spec"]["Labels"],
        json!({"dockwright.test": "contract"})
    );
    assert_eq!(
        by_id["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"],
        json!(image)
    );
    assert_eq!(by_id["Spec"]["TaskTemplate"]["ForceUpdate"], 0);
    assert_eq!(by_id["Spec"]["TaskTemplate"]["Runtime"], "container");
    assert_eq!(
        by_id["Spec"]["TaskTemplate"]["ContainerSpec"]["Isolation"],
        "default"
    );
    assert_eq!(by_id["Spec"].get("EndpointSpec"), None);
    assert_eq!(by_id["Endpoint"]["Spec"], json!({}));
    assert!(by_id.get("PreviousSpec").is_none());
    let version = by_id["Version"]["Index"].as_u64().expect("index");

    let listed = t
        .send(
            "GET",
            &format!("/v1.41/services?{}", filters(json!({"name": [name]}))),
            None,
        )
        .await
        .json()
        .expect("JSON body");
    assert_eq!(listed.as_array().expect("array").len(), 1);

    // Tasks reach running.
    let task = wait_task(&t, &name, Duration::from_secs(60), |t| {
        t["Status"]["State"] == "running"
    })
    .await;
    assert_eq!(task["ServiceID"], json!(id));
    assert_eq!(task["Slot"], 1);
    assert_eq!(task["DesiredState"], "running");
    assert_eq!(task["Status"]["Message"], "started");
    assert!(task["NodeID"].as_str().is_some_and(|n| !n.is_empty()));
    let cid = task["Status"]["ContainerStatus"]["ContainerID"]
        .as_str()
        .expect("cid")
        .to_owned();
    assert_eq!(cid.len(), 64);
    assert!(
        task["Status"]["Timestamp"]
            .as_str()
            .is_some_and(|ts| ts.ends_with('Z'))
    );
    let status = t
        .send(
            "GET",
            &format!(
                "/v1.41/services?status=true&{}",
                filters(json!({"name": [name]}))
            ),
            None,
        )
        .await
        .json()
        .expect("JSON body");
    assert_eq!(status[0]["ServiceStatus"]["RunningTasks"], 1);
    assert_eq!(status[0]["ServiceStatus"]["DesiredTasks"], 1);
    let r = t
        .send(
            "GET",
            &format!(
                "/v1.41/tasks?{}",
                filters(json!({"service": [name], "desired-state": ["shutdown"]}))
            ),
            None,
        )
        .await;
    assert_eq!(r.json().expect("JSON body"), json!([]));

    // Exec in the task's container.
    if let Target::Mock(m) = &t {
        m.set_exec_result(&["sh", "-c", "echo hi; exit 3"], "hi\n", "", 3);
    }
    let r = t
        .send("POST", &format!("/v1.41/containers/{cid}/exec"), Some(&json!({"Cmd": ["sh", "-c", "echo hi; exit 3"], "AttachStdout": true, "AttachStderr": true})))
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let exec_id = r.json().expect("JSON body")["Id"]
        .as_str()
        .expect("Id")
        .to_owned();
    let r = t
        .send(
            "POST",
            &format!("/v1.41/exec/{exec_id}/start"),
            Some(&json!({"Detach": false, "Tty": false})),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        [&[1u8, 0, 0, 0, 0, 0, 0, 3][..], b"hi\n"].concat(),
        "one stdout frame"
    );
    let inspect = t
        .send("GET", &format!("/v1.41/exec/{exec_id}/json"), None)
        .await
        .json()
        .expect("JSON body");
    assert_eq!(inspect["ExitCode"], 3);
    assert_eq!(inspect["Running"], false);
    assert_eq!(inspect["ProcessConfig"]["entrypoint"], "sh");

    // Update: stale version, then the right one.
    let mut new_spec = by_id["Spec"].clone();
    new_spec["Labels"]["dockwright.step"] = json!("updated");
    let r = t
        .send(
            "POST",
            &format!("/v1.41/services/{id}/update?version={}", version - 1),
            Some(&new_spec),
        )
        .await;
    assert_eq!(r.status, 500);
    assert_eq!(
        r.json().expect("JSON body")["message"],
        "rpc error: code = Unknown desc = update out of sequence"
    );
    let r = t
        .send(
            "POST",
            &format!("/v1.41/services/{id}/update?version={version}"),
            Some(&new_spec),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json().expect("JSON body"), json!({"Warnings": null}));
    let after = t
        .send("GET", &format!("/v1.41/services/{id}"), None)
        .await
        .json()
        .expect("JSON body");
    assert!(after["Version"]["Index"].as_u64().expect("index") > version);
    assert_eq!(after["Spec"]["Labels"]["dockwright.step"], "updated");
    assert_eq!(
        after["PreviousSpec"]["Labels"],
        json!({"dockwright.test": "contract"})
    );
    let r = t
        .send(
            "POST",
            &format!("/v1.41/services/{id}/update?version={version}"),
            Some(&new_spec),
        )
        .await;
    assert_eq!(r.status, 500, "the old version is now out of sequence");
    // Service labels leave the tasks alone: swarmkit resets UpdateStatus and never starts
    // an update.
    assert!(
        after.get("UpdateStatus").is_none(),
        "label-only update: {}",
        after["UpdateStatus"]
    );

    // A task template change replaces the task: UpdateStatus goes to `completed`.
    let version = after["Version"]["Index"].as_u64().expect("index");
    let mut env_spec = after["Spec"].clone();
    env_spec["TaskTemplate"]["ContainerSpec"]["Env"] = json!(["DOCKWRIGHT_STEP=2"]);
    env_spec["UpdateConfig"] = json!({"Parallelism": 1, "Monitor": 200_000_000_u64});
    let r = t
        .send(
            "POST",
            &format!("/v1.41/services/{id}/update?version={version}"),
            Some(&env_spec),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let updated = wait_update_state(&t, &id, "completed", &["updating"]).await;
    assert_eq!(updated["UpdateStatus"]["Message"], "update completed");
    assert!(updated["UpdateStatus"]["StartedAt"].is_string());
    assert!(updated["UpdateStatus"]["CompletedAt"].is_string());
    assert!(updated["Version"]["Index"].as_u64().expect("index") > version);
    assert!(
        updated["PreviousSpec"]["TaskTemplate"]["ContainerSpec"]
            .get("Env")
            .is_none(),
        "{}",
        updated["PreviousSpec"]
    );
    assert_eq!(
        updated["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"],
        json!(["DOCKWRIGHT_STEP=2"])
    );
    let running = wait_task(&t, &name, Duration::from_secs(60), |task| {
        task["DesiredState"] == "running"
            && task["Status"]["State"] == "running"
            && task["Spec"]["ContainerSpec"]["Env"] == json!(["DOCKWRIGHT_STEP=2"])
    })
    .await;
    assert_eq!(running["Slot"], 1);

    // Rollback to the previous spec (`docker service rollback`): the spec swaps back, the
    // status goes rollback_started → rollback_completed, the task runs the old template again.
    let version = updated["Version"]["Index"].as_u64().expect("index");
    let r = t
        .send(
            "POST",
            &format!("/v1.41/services/{id}/update?version={version}&rollback=previous"),
            Some(&updated["Spec"]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let rolled = wait_update_state(&t, &id, "rollback_completed", &["rollback_started"]).await;
    assert_eq!(
        rolled["UpdateStatus"]["Message"], "rollback completed",
        "{}",
        rolled["UpdateStatus"]
    );
    assert!(
        rolled["Spec"]["TaskTemplate"]["ContainerSpec"]
            .get("Env")
            .is_none(),
        "{}",
        rolled["Spec"]
    );
    assert_eq!(
        rolled["PreviousSpec"]["TaskTemplate"]["ContainerSpec"]["Env"],
        json!(["DOCKWRIGHT_STEP=2"])
    );
    wait_task(&t, &name, Duration::from_secs(60), |task| {
        task["DesiredState"] == "running"
            && task["Status"]["State"] == "running"
            && task["Spec"]["ContainerSpec"].get("Env").is_none()
    })
    .await;

    // Remove.
    let r = t
        .send("DELETE", &format!("/v1.41/services/{id}"), None)
        .await;
    assert_eq!(r.status, 200);
    let r = t
        .send("GET", &format!("/v1.41/services/{name}"), None)
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json().expect("JSON body")["message"],
        format!("service {name} not found")
    );
    let r = t
        .send("DELETE", &format!("/v1.41/services/{id}"), None)
        .await;
    assert_eq!(r.status, 404);
}

async fn missing_image_is_rejected(t: Target) {
    let name = unique("absent");
    let _guard = t.guard(&name);
    let image = t.absent_image(&name);
    let t = match t {
        Target::Mock(_) => Target::Mock(
            MockSwarm::builder()
                .initialized(true)
                .task_delay(Duration::from_millis(300))
                .missing_image(image.clone())
                .start()
                .await,
        ),
        real => real,
    };
    let spec = json!({
        "Name": name,
        "TaskTemplate": {
            "ContainerSpec": {"Image": image},
            "Networks": [{"Target": "host"}],
            "Placement": {"Constraints": ["node.role==manager"]},
            "RestartPolicy": {"Condition": "any", "Delay": 1_000_000_000_u64},
        },
        "Mode": {"Replicated": {"Replicas": 1}},
    });
    let created = Instant::now();
    let r = t.send("POST", "/v1.41/services/create", Some(&spec)).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let task = wait_task(&t, &name, Duration::from_secs(60), |t| {
        t["Status"]["State"] == "rejected"
    })
    .await;
    assert_eq!(
        task["Status"]["Err"],
        json!(format!("No such image: {image}"))
    );
    assert_eq!(task["Status"]["ContainerStatus"]["ContainerID"], "");
    // The rejected task is marked for shutdown and the slot gets a new task.
    let task = wait_task(&t, &name, Duration::from_secs(60), |t| {
        t["Status"]["State"] == "rejected" && t["DesiredState"] == "shutdown"
    })
    .await;
    assert_eq!(task["Slot"], 1);
    // The replacement waits out RestartPolicy.Delay (1 s) with desired state `ready`, so a
    // failing slot gets one new task per delay: the 4th task exists only after 2 delays.
    wait_task(&t, &name, Duration::from_secs(60), |t| {
        t["DesiredState"] == "ready" && t["Slot"] == 1
    })
    .await;
    let four = loop {
        let list = t
            .send(
                "GET",
                &format!("/v1.41/tasks?{}", filters(json!({"service": [name]}))),
                None,
            )
            .await
            .json()
            .expect("JSON body");
        if list.as_array().is_some_and(|a| a.len() >= 4) {
            break created.elapsed();
        }
        assert!(
            created.elapsed() < Duration::from_secs(60),
            "no 4th task: {list}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        four >= Duration::from_millis(1900),
        "restart delay not honoured: 4 tasks after {four:?}"
    );
    let status = t
        .send(
            "GET",
            &format!(
                "/v1.41/services?status=true&{}",
                filters(json!({"name": [name]}))
            ),
            None,
        )
        .await
        .json()
        .expect("JSON body");
    assert_eq!(status[0]["ServiceStatus"]["RunningTasks"], 0);
    assert_eq!(status[0]["ServiceStatus"]["DesiredTasks"], 1);
    let r = t
        .send("DELETE", &format!("/v1.41/services/{name}"), None)
        .await;
    assert_eq!(r.status, 200);
}

async fn unsatisfiable_constraint_stays_pending(t: Target) {
    let name = unique("cons");
    let _guard = t.guard(&name);
    let t = match t {
        // The real test swarm has a manager and two workers: model the same three nodes.
        Target::Mock(_) => Target::Mock(
            MockSwarm::builder()
                .initialized(true)
                .node(swarm_client::mock::MockNode::new(
                    "worker",
                    "127.0.0.2",
                    "worker",
                ))
                .node(swarm_client::mock::MockNode::new(
                    "worker2",
                    "127.0.0.3",
                    "worker",
                ))
                .start()
                .await,
        ),
        real => real,
    };
    let spec = json!({
        "Name": name,
        "TaskTemplate": {
            "ContainerSpec": {"Image": t.absent_image(&name)},
            "Placement": {"Constraints": ["node.labels.mocktest==nowhere"]},
        },
        "Mode": {"Replicated": {"Replicas": 1}},
    });
    let r = t.send("POST", "/v1.41/services/create", Some(&spec)).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let task = wait_task(&t, &name, Duration::from_secs(30), |t| {
        t["Status"]["State"] == "pending" && t["Status"].get("Err").is_some()
    })
    .await;
    let nodes = t.send("GET", "/v1.41/nodes", None).await.json().unwrap();
    let nodes = nodes.as_array().map_or(0, Vec::len);
    assert_eq!(nodes, 3, "the test swarm: a manager and two workers");
    assert_eq!(
        task["Status"]["Err"],
        format!("no suitable node (scheduling constraints not satisfied on {nodes} nodes)")
    );
    assert_eq!(task["Status"]["Message"], "pending task scheduling");
    assert_eq!(task["DesiredState"], "running");
    assert!(task.get("NodeID").is_none(), "{task}");
    assert!(task["Status"].get("ContainerStatus").is_none(), "{task}");
    assert_eq!(
        t.send("DELETE", &format!("/v1.41/services/{name}"), None)
            .await
            .status,
        200
    );
}

async fn unknown_objects(t: Target) {
    let r = t.send("GET", "/v1.41/services/mocktest-none", None).await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json().expect("JSON body")["message"],
        "service mocktest-none not found"
    );
    let r = t
        .send(
            "POST",
            "/v1.41/services/mocktest-none/update?version=1",
            Some(&json!({"Name": "mocktest-none"})),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json().expect("JSON body")["message"],
        "mismatched Runtime and *Spec fields"
    );
    let r = t
        .send(
            "POST",
            "/v1.41/services/create",
            Some(&json!({"Name": "mocktest-none"})),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json().expect("JSON body")["message"],
        "mismatched Runtime and *Spec fields"
    );
    let spec = json!({"Name": "mocktest-none", "TaskTemplate": {"ContainerSpec": {"Image": "x"}}});
    let r = t
        .send(
            "POST",
            "/v1.41/services/mocktest-none/update?version=1",
            Some(&spec),
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json().expect("JSON body")["message"],
        "service mocktest-none not found"
    );
    let r = t
        .send("POST", "/v1.41/services/mocktest-none/update", Some(&spec))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json().expect("JSON body")["message"],
        "invalid service version '': strconv.ParseUint: parsing \"\": invalid syntax"
    );
    let r = t
        .send(
            "GET",
            &format!(
                "/v1.41/tasks?{}",
                filters(json!({"service": ["mocktest-none"]}))
            ),
            None,
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json().expect("JSON body")["message"],
        "service mocktest-none not found"
    );
    let r = t.send("GET", "/v1.41/tasks?filters=notjson", None).await;
    assert_eq!(r.status, 500);
    let r = t.send("GET", "/v1.41/exec/0000/json", None).await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json().expect("JSON body")["message"],
        "No such exec instance: 0000"
    );
}

/// Removes a config from the real swarm when dropped (even when the test fails).
struct ConfigGuard(Option<(String, String)>);

impl Drop for ConfigGuard {
    fn drop(&mut self) {
        if let Some((ep, name)) = &self.0 {
            let _ = std::process::Command::new("docker")
                .args(["-H", ep, "config", "rm", name])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}

/// dockerd decodes the path before it routes: what the client percent-encodes arrives as the
/// name it encodes (in not-found messages too), and an encoded '/' splits the segment.
async fn percent_encoded_paths(t: Target) {
    for (target, message) in [
        (
            "/v1.41/services/mocktest%20none%3Fx",
            "service mocktest none?x not found",
        ),
        (
            "/v1.41/nodes/N%3Fforce%3Dtrue",
            "node N?force=true not found",
        ),
        ("/v1.41/configs/x%23y", "config x#y not found"),
        ("/v1.41/tasks/t%3F", "task t? not found"),
        ("/v1.41/secrets/a%25b%2Fc", "page not found"),
    ] {
        let r = t.send("GET", target, None).await;
        assert_eq!(r.status, 404, "{target}");
        assert_eq!(r.json().expect("JSON body")["message"], message, "{target}");
    }
    // A config found and removed by its name with every character percent-encoded.
    let name = unique("enc");
    let _guard = ConfigGuard(match &t {
        Target::Real { endpoint, .. } => Some((endpoint.clone(), name.clone())),
        Target::Mock(_) => None,
    });
    let r = t
        .send(
            "POST",
            "/v1.41/configs/create",
            Some(&json!({"Name": name, "Data": "eA=="})),
        )
        .await;
    assert_eq!(r.status, 201);
    let encoded: String = name.bytes().map(|b| format!("%{b:02X}")).collect();
    let r = t
        .send("GET", &format!("/v1.41/configs/{encoded}"), None)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json().expect("JSON body")["Spec"]["Name"], name.as_str());
    let r = t
        .send("DELETE", &format!("/v1.41/configs/{encoded}"), None)
        .await;
    assert!((200..300).contains(&r.status), "{}", r.status);
    let r = t.send("GET", &format!("/v1.41/configs/{name}"), None).await;
    assert_eq!(r.status, 404);
}

/// Removes a config or secret from the real swarm when dropped (even when the test fails).
struct ObjectGuard {
    kind: &'static str,
    endpoint: Option<String>,
    name: String,
}

impl Drop for ObjectGuard {
    fn drop(&mut self) {
        if let Some(ep) = &self.endpoint {
            let _ = std::process::Command::new("docker")
                .args(["-H", ep, self.kind, "rm", &self.name])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}

/// swarmkit's data limits, which `configs::MAX_CONFIG_DATA` and `secrets::MAX_SECRET_DATA`
/// state: data of the limit is stored, one byte more (or none) is refused with dockerd's
/// message; the client refuses more before sending, so nothing is stored.
async fn object_data_limits(t: Target) {
    use base64::Engine as _;
    use swarm_client::configs::MAX_CONFIG_DATA;
    use swarm_client::secrets::MAX_SECRET_DATA;
    let b64 = |n: usize| base64::engine::general_purpose::STANDARD.encode(vec![b'x'; n]);
    let client = swarm_client::Client::connect(&t.host())
        .await
        .expect("connect");
    for (kind, limit) in [("config", MAX_CONFIG_DATA), ("secret", MAX_SECRET_DATA)] {
        let name = unique(kind);
        let _guard = ObjectGuard {
            kind,
            endpoint: match &t {
                Target::Real { endpoint, .. } => Some(endpoint.clone()),
                Target::Mock(_) => None,
            },
            name: name.clone(),
        };
        let create = format!("/v1.41/{kind}s/create");
        let refused = format!(
            "rpc error: code = InvalidArgument desc = {kind} data must be larger than 0 and less than {} bytes",
            limit + 1
        );
        for n in [limit + 1, 0] {
            let r = t
                .send(
                    "POST",
                    &create,
                    Some(&json!({"Name": name, "Data": b64(n)})),
                )
                .await;
            assert_eq!(r.status, 400, "{kind} of {n} bytes");
            assert_eq!(r.json().expect("JSON body")["message"], refused.as_str());
        }
        let spec = swarm_client::configs::ObjectCreate::new(name.as_str(), vec![b'x'; limit + 1]);
        let e = match kind {
            "config" => client.config_create_with(&spec).await,
            _ => client.secret_create_with(&spec).await,
        }
        .unwrap_err();
        assert!(
            matches!(e, swarm_client::Error::DataTooLarge { len, .. } if len == limit + 1),
            "{e:?}"
        );
        let list = t
            .send(
                "GET",
                &format!("/v1.41/{kind}s?{}", filters(json!({"name": [name]}))),
                None,
            )
            .await;
        assert_eq!(
            list.json().expect("JSON body"),
            json!([]),
            "nothing was stored"
        );
        let r = t
            .send(
                "POST",
                &create,
                Some(&json!({"Name": name, "Data": b64(limit)})),
            )
            .await;
        assert_eq!(r.status, 201, "{kind} of {limit} bytes");
    }
}

/// Polls service `id` until `UpdateStatus.State` is `done` (within 90 s); every state seen on
/// the way must be `done` or one of `between`. Returns the service.
async fn wait_update_state(t: &Target, id: &str, done: &str, between: &[&str]) -> Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let v = t
            .send("GET", &format!("/v1.41/services/{id}"), None)
            .await
            .json()
            .expect("JSON body");
        let state = v["UpdateStatus"]["State"].as_str().unwrap_or_default();
        assert!(
            state == done || between.contains(&state),
            "unexpected UpdateStatus on the way to {done}: {}",
            v["UpdateStatus"]
        );
        if state == done {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "not {done} after 90 s: {}",
            v["UpdateStatus"]
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Splits a multiplexed log body into `(stream, text)` frames with swarm-client's decoder.
fn frames(body: &[u8]) -> Vec<(u8, String)> {
    let mut demux = Demux::multiplexed();
    demux.push(body);
    let mut out = Vec::new();
    while let Some(f) = demux.next_frame().expect("frame header") {
        let stream = match f.kind {
            StreamKind::Stdout => 1,
            StreamKind::Stderr => 2,
            _ => 0,
        };
        out.push((stream, String::from_utf8_lossy(&f.data).into_owned()));
    }
    demux.finish().expect("no truncated frame");
    out
}

/// `GET /v1.41/services/{service}/logs?{query}`.
async fn service_logs(t: &Target, service: &str, query: &str) -> Resp {
    t.send(
        "GET",
        &format!("/v1.41/services/{service}/logs?{query}"),
        None,
    )
    .await
}

/// Service and task logs: multiplexed frames per stream, `stdout`/`stderr` selection, `tail`,
/// `since` as a Unix timestamp, a bad `since`, task logs by task ID.
async fn logs(t: Target) {
    let name = unique("logs");
    let _guard = t.guard(&name);
    let image = t.busybox_image().await;
    let spec = json!({
        "Name": name,
        "TaskTemplate": {
            "ContainerSpec": {"Image": image, "Args": ["sh", "-c", "echo out-1; sleep 0.3; echo err-1 >&2; sleep 0.3; echo out-2; exec sleep 3600"]},
            "Placement": {"Constraints": ["node.role==manager"]},
            "Networks": [{"Target": "host"}],
        },
        "Mode": {"Replicated": {"Replicas": 1}},
    });
    let r = t.send("POST", "/v1.41/services/create", Some(&spec)).await;
    assert_eq!(r.status, 201, "{}", r.text());
    if let Target::Mock(m) = &t {
        m.set_service_logs(&name, &[(1, "out-1"), (2, "err-1"), (1, "out-2")]);
    }
    let task = wait_task(&t, &name, Duration::from_secs(60), |t| {
        t["Status"]["State"] == "running"
    })
    .await;
    let task_id = task["ID"].as_str().expect("task ID").to_owned();
    // The lines may take a moment to reach the log driver.
    let start = Instant::now();
    let all = loop {
        let r = service_logs(&t, &name, "stdout=1&stderr=1").await;
        assert_eq!(r.status, 200, "{}", r.text());
        let f = frames(&r.body);
        if f.len() >= 3 || start.elapsed() > Duration::from_secs(20) {
            break f;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        vec![
            (1, "out-1\n".to_owned()),
            (1, "out-2\n".to_owned()),
            (2, "err-1\n".to_owned())
        ],
        "{all:?}"
    );
    let only_out = service_logs(&t, &name, "stdout=1").await;
    assert_eq!(
        frames(&only_out.body),
        vec![(1, "out-1\n".to_owned()), (1, "out-2\n".to_owned())]
    );
    let r = service_logs(&t, &name, "stdout=1&tail=1").await;
    assert_eq!(frames(&r.body), vec![(1, "out-2\n".to_owned())]);
    let r = service_logs(&t, &name, "stderr=1&tail=1").await;
    // `tail` counts lines of every stream before the stream selection: the last line is
    // stdout's, so stderr's tail of 1 is empty.
    assert_eq!(frames(&r.body), vec![]);
    let future = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        + 3600;
    let r = service_logs(&t, &name, &format!("stdout=1&stderr=1&since={future}")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(frames(&r.body), vec![]);
    let r = service_logs(&t, &name, "stdout=1&since=42m").await;
    // dockerd takes Unix timestamps only (the CLI converts durations); 500, not 400.
    assert_eq!(r.status, 500, "{}", r.text());
    assert_eq!(
        r.json().expect("JSON body")["message"],
        "could not parse since timestamp: strconv.ParseInt: parsing \"42m\": invalid syntax"
    );
    // `details=1`: each line starts with the task's attributes (what `docker service logs`
    // turns into its `NAME.SLOT.TASK@NODE |` prefix).
    let r = service_logs(&t, &name, "stdout=1&details=1&tail=1").await;
    let node = task["NodeID"].as_str().expect("node");
    let service = task["ServiceID"].as_str().expect("service");
    assert_eq!(
        frames(&r.body),
        vec![(
            1,
            format!(
                "com.docker.swarm.node.id={node},com.docker.swarm.service.id={service},com.docker.swarm.task.id={task_id} out-2\n"
            )
        )]
    );
    // Task logs: the same lines, by task ID.
    let r = t
        .send(
            "GET",
            &format!("/v1.41/tasks/{task_id}/logs?stdout=1"),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        frames(&r.body),
        vec![(1, "out-1\n".to_owned()), (1, "out-2\n".to_owned())]
    );
    let r = t
        .send(
            "GET",
            "/v1.41/tasks/0000000000000000000000000/logs?stdout=1",
            None,
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text());
}

/// A private image: with `X-Registry-Auth` (URL-safe base64 JSON) the task pulls it and runs;
/// without, the task is rejected with `No such image`.
async fn private_image_needs_registry_auth(t: Target) {
    let (t, image, user, pass, server) = match t {
        Target::Real { endpoint, registry } => {
            let auth_reg = env("DOCKWRIGHT_TEST_AUTH_REGISTRY");
            let user = env("DOCKWRIGHT_TEST_REGISTRY_USER");
            let pass = env("DOCKWRIGHT_TEST_REGISTRY_PASSWORD");
            // a tag no node has pulled, so the no-auth task cannot use a local copy
            let image = pushed_busybox_as(
                &auth_reg,
                &format!("mocktest/private:{}", unique("p")),
                Some(&format!("{user}:{pass}")),
            );
            (
                Target::Real { endpoint, registry },
                image,
                user,
                pass,
                auth_reg,
            )
        }
        Target::Mock(_) => {
            let server = "127.0.0.1:5001".to_owned();
            let mock = MockSwarm::builder()
                .initialized(true)
                .task_delay(Duration::from_millis(300))
                .private_registry(&server, "john", "s3cret")
                .start()
                .await;
            let image = format!("{server}/mocktest/private:1");
            (
                Target::Mock(mock),
                image,
                "john".to_owned(),
                "s3cret".to_owned(),
                server,
            )
        }
    };
    let spec = |name: &str| {
        json!({
            "Name": name,
            "TaskTemplate": {
                "ContainerSpec": {"Image": image, "Args": ["sleep", "3600"]},
                "Networks": [{"Target": "host"}],
                "Placement": {"Constraints": ["node.role==manager"]},
                "RestartPolicy": {"Condition": "none"},
            },
            "Mode": {"Replicated": {"Replicas": 1}},
        })
    };
    let auth =
        sdk_core::RegistryAuth::new(sdk_core::Credentials::basic(user, pass.as_str()), &server)
            .encode();
    let state_of = |name: String| {
        let t = &t;
        async move {
            wait_task(t, &name, Duration::from_secs(60), |t| {
                t["Status"]["State"] == "running" || t["Status"]["State"] == "rejected"
            })
            .await["Status"]
                .clone()
        }
    };
    // Without credentials first, while no node has the image.
    let without = unique("noauth");
    let _g1 = t.guard(&without);
    let r = t
        .send("POST", "/v1.41/services/create", Some(&spec(&without)))
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let status = state_of(without.clone()).await;
    assert_eq!(status["State"], "rejected", "{status}");
    assert_eq!(
        status["Err"],
        json!(format!("No such image: {image}")),
        "{status}"
    );

    let with = unique("auth");
    let _g2 = t.guard(&with);
    let r = t
        .send_with(
            "POST",
            "/v1.41/services/create",
            Some(&spec(&with)),
            &[("X-Registry-Auth", &auth)],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let status = state_of(with.clone()).await;
    assert_eq!(status["State"], "running", "{status}");

    // Now the node has the image: dockerd runs it without credentials too.
    let again = unique("cached");
    let _g3 = t.guard(&again);
    let r = t
        .send("POST", "/v1.41/services/create", Some(&spec(&again)))
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let status = state_of(again.clone()).await;
    assert_eq!(
        status["State"], "running",
        "a node's local copy runs: {status}"
    );
}

/// What the daemon stores of a spec, field by field: explicit zeros it keeps (`Replicas`,
/// `StopGracePeriod`, `MaxFailureRatio`), empty lists and zero durations it drops, fields the
/// typed model does not know (`Privileges`) verbatim, its own defaults added; and a
/// read-modify-write of that spec changes only what was modified.
async fn stored_spec_fidelity(t: Target) {
    let name = unique("stored");
    let _guard = t.guard(&name);
    let image = t.absent_image("stored");
    let sent = json!({
        "Name": name,
        "Labels": {"dockwright.test": "stored"},
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": image, "Args": ["sh"], "Env": [], "Secrets": [], "StopGracePeriod": 0,
                "Healthcheck": {"Test": ["NONE"], "Interval": 0},
                "Privileges": {"CredentialSpec": null, "SELinuxContext": {"Disable": false, "User": "u", "Role": "r", "Type": "t", "Level": "l"}},
            },
            "Placement": {},
            "ForceUpdate": 0,
        },
        "Mode": {"Replicated": {"Replicas": 0}},
        "UpdateConfig": {"Parallelism": 1, "Delay": 0, "FailureAction": "pause", "Monitor": 5_000_000_000_u64, "MaxFailureRatio": 0, "Order": "stop-first"},
        "EndpointSpec": {"Mode": "vip", "Ports": []},
    });
    let stored = json!({
        "Name": name,
        "Labels": {"dockwright.test": "stored"},
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": image, "Args": ["sh"], "StopGracePeriod": 0, "Isolation": "default",
                "Healthcheck": {"Test": ["NONE"]},
                "Privileges": {"CredentialSpec": null, "SELinuxContext": {"Disable": false, "User": "u", "Role": "r", "Type": "t", "Level": "l"}},
            },
            "Placement": {},
            "ForceUpdate": 0,
            "Runtime": "container",
        },
        "Mode": {"Replicated": {"Replicas": 0}},
        "UpdateConfig": {"Parallelism": 1, "FailureAction": "pause", "Monitor": 5_000_000_000_u64, "MaxFailureRatio": 0, "Order": "stop-first"},
        "EndpointSpec": {"Mode": "vip"},
    });
    let r = t.send("POST", "/v1.41/services/create", Some(&sent)).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let svc = t
        .send("GET", &format!("/v1.41/services/{name}"), None)
        .await
        .json()
        .expect("JSON body");
    assert_eq!(svc["Spec"], stored, "stored spec");

    let mut changed = svc["Spec"].clone();
    changed["Labels"]["dockwright.step"] = json!("2");
    let version = svc["Version"]["Index"].as_u64().expect("index");
    let r = t
        .send(
            "POST",
            &format!("/v1.41/services/{name}/update?version={version}"),
            Some(&changed),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let after = t
        .send("GET", &format!("/v1.41/services/{name}"), None)
        .await
        .json()
        .expect("JSON body");
    assert_eq!(after["Spec"], changed, "only the label changed");
    assert_eq!(after["PreviousSpec"], stored);
}

contract!(ping_contract, ping_and_version);
contract!(swarm_contract, swarm_state);
contract!(service_contract, service_lifecycle);
contract!(missing_image_contract, missing_image_is_rejected);
contract!(unknown_contract, unknown_objects);
contract!(constraint_contract, unsatisfiable_constraint_stays_pending);
contract!(logs_contract, logs);
contract!(private_image_contract, private_image_needs_registry_auth);
contract!(encoded_paths_contract, percent_encoded_paths);
contract!(stored_spec_contract, stored_spec_fidelity);
contract!(object_data_contract, object_data_limits);
