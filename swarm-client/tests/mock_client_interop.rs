//! The crate's own `Client` against `MockSwarm`: proves the fake is good enough for a real
//! Engine API client (version negotiation, create, convergence, update retry, exec, logs).
#![cfg(feature = "mock")]

use std::time::Duration;

use serde_json::json;
use swarm_client::converge::WaitOptions;
use swarm_client::exec::ExecOptions;
use swarm_client::mock::{MockNode, MockSwarm};
use swarm_client::services::{CreateOptions, LogsOptions, UpdateOptions};
use swarm_client::swarm::InitRequest;
use swarm_client::{Client, RegistryAuth};

fn spec(name: &str, image: &str, replicas: u64) -> serde_json::Value {
    json!({"Name": name, "TaskTemplate": {"ContainerSpec": {"Image": image}}, "Mode": {"Replicated": {"Replicas": replicas}}})
}

#[tokio::test]
async fn client_deploys_updates_and_execs_on_the_fake() {
    let mock = MockSwarm::builder()
        .task_delay(Duration::from_millis(100))
        .node(MockNode::new("worker-1", "127.0.0.2", "worker"))
        .start()
        .await;
    let client = Client::connect(&mock.endpoint()).await.expect("connect");
    let node_id = client
        .swarm_init(&InitRequest::new("127.0.0.1:2377").advertise_addr("127.0.0.1"))
        .await
        .expect("init");
    assert!(!node_id.is_empty());
    assert_eq!(client.node_list().await.expect("nodes").len(), 2);

    let auth = RegistryAuth::new(
        sdk_core::Credentials::basic("deployer", "pw-123"),
        "127.0.0.1:5000",
    );
    let created = client
        .service_create(
            &spec("web", "127.0.0.1:5000/web:1", 3),
            &CreateOptions::new().registry_auth(auth),
        )
        .await
        .expect("create");
    let (name, sent) = mock.registry_auths().pop().expect("auth sent");
    assert_eq!(name, "web");
    assert_eq!(sent["username"], "deployer");
    assert_eq!(sent["serveraddress"], "127.0.0.1:5000");
    let _ = created;

    let converged = client
        .wait_converged("web", WaitOptions::new().window(Duration::from_millis(200)))
        .await
        .expect("converged");
    assert_eq!((converged.running, converged.desired), (3, 3));

    // One injected out-of-sequence answer: the client re-reads and retries.
    mock.inject_out_of_sequence();
    let svc = client
        .service_update("web", &UpdateOptions::new(), |s| {
            s.task_template.container_spec.as_mut().unwrap().image = "127.0.0.1:5000/web:2".into();
            Ok(())
        })
        .await
        .expect("update");
    // `service_update` returns the service as inspected before the write; re-inspect.
    let _ = svc;
    let svc = client.service_inspect("web").await.expect("inspect");
    assert_eq!(svc.image(), "127.0.0.1:5000/web:2");
    let updates = mock
        .requests()
        .iter()
        .filter(|q| q.path.ends_with("/update"))
        .count();
    assert_eq!(updates, 2, "one out-of-sequence answer, one retry");
    let converged = client
        .wait_converged("web", WaitOptions::new().window(Duration::from_millis(200)))
        .await
        .expect("converged after update");
    let _ = converged; // its counts are 0 when UpdateStatus is already "completed" (reported)
    let running_v2 = mock
        .tasks()
        .iter()
        .filter(|t| {
            t["Status"]["State"] == "running"
                && t["Spec"]["ContainerSpec"]["Image"] == "127.0.0.1:5000/web:2"
        })
        .count();
    assert_eq!(running_v2, 3);

    // Exec in a task's container.
    mock.set_exec_result(
        &["nginx", "-s", "reload"],
        "",
        "signal process started\n",
        0,
    );
    let task = mock
        .tasks()
        .into_iter()
        .find(|t| t["Status"]["State"] == "running" && t["DesiredState"] == "running")
        .expect("running task");
    let cid = task["Status"]["ContainerStatus"]["ContainerID"]
        .as_str()
        .expect("cid")
        .to_owned();
    let out = client
        .exec(&cid, &ExecOptions::new(["nginx", "-s", "reload"]))
        .await
        .expect("exec");
    assert_eq!(out.exit_code, 0);
    assert_eq!(out.output.stderr, b"signal process started\n");
    assert!(
        mock.execs()
            .iter()
            .any(|e| e.cmd == ["nginx", "-s", "reload"])
    );

    // Logs.
    mock.set_service_logs("web", &[(1, "GET / 200"), (2, "warn")]);
    let logs = swarm_client::stream::collect(
        client
            .service_logs("web", &LogsOptions::new())
            .await
            .expect("logs"),
    )
    .await
    .expect("collect");
    assert_eq!(logs.stdout, b"GET / 200\n");
    assert_eq!(logs.stderr, b"warn\n");
    // Task logs: the service's lines, or the task's own when set by task ID.
    let tasks = client
        .task_list(&swarm_client::tasks::TaskFilter::new().service("web"))
        .await
        .expect("tasks");
    let task = &tasks[0].id;
    let lines = |opts: LogsOptions| {
        let client = &client;
        async move {
            swarm_client::stream::collect(client.task_logs(task, &opts).await.expect("task logs"))
                .await
                .expect("collect")
        }
    };
    assert_eq!(lines(LogsOptions::new()).await.stdout, b"GET / 200\n");
    mock.set_service_logs(task, &[(1, "only this task")]);
    assert_eq!(lines(LogsOptions::new()).await.stdout, b"only this task\n");
    assert_eq!(
        lines(LogsOptions::new().since("10m")).await.stdout,
        b"only this task\n",
        "a duration is sent as a Unix timestamp the fake (like dockerd) accepts"
    );
    assert!(matches!(
        client.task_logs("nope", &LogsOptions::new()).await,
        Err(swarm_client::Error::NotFound { .. })
    ));

    client.service_remove("web").await.expect("remove");
    assert!(mock.services().is_empty());
}

#[tokio::test]
async fn client_connects_over_the_unix_socket() {
    let mock = MockSwarm::builder()
        .initialized(true)
        .unix_socket(true)
        .start()
        .await;
    let client = Client::connect(&mock.unix_endpoint().expect("unix"))
        .await
        .expect("connect over unix socket");
    let swarm = client.swarm_inspect().await.expect("swarm inspect");
    let _ = swarm;
    assert!(mock.requests().iter().any(|q| q.path.ends_with("/swarm")));
}

#[tokio::test]
async fn network_ids_resolve_on_the_fake() {
    let mock = MockSwarm::builder().initialized(true).start().await;
    let client = Client::connect(&mock.endpoint()).await.expect("connect");
    let host = client.network_id("host").await.expect("host network");
    assert_eq!(client.network_id(&host).await.expect("by id"), host);
    let e = client.network_id("absent").await.unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
    assert!(e.to_string().contains("network absent not found"), "{e}");
}
