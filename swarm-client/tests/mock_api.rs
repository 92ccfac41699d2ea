//! wiremock tests of the Engine API client: each states exactly what it expects, with a catch-all
//! 500 so an unexpected request fails loudly.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::json;
use swarm_client::converge::WaitOptions;
use swarm_client::models::TaskState;
use swarm_client::services::{CreateOptions, LogsOptions, UpdateOptions};
use swarm_client::stream::StreamKind;
use swarm_client::tasks::TaskFilter;
use swarm_client::{ApiVersion, Client, Error, RegistryAuth};
use wiremock::matchers::{body_partial_json, header, header_exists, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

async fn server() -> (MockServer, Client) {
    let server = MockServer::start().await;
    let client = Client::builder(&server.uri())
        .api_version(ApiVersion::MIN)
        .retry(sdk_core::RetryPolicy::none())
        .build()
        .unwrap();
    (server, client)
}

async fn catch_all(server: &MockServer) {
    Mock::given(wiremock::matchers::any())
        .respond_with(
            ResponseTemplate::new(500).set_body_json(json!({"message": "unexpected request"})),
        )
        .with_priority(u8::MAX)
        .expect(0)
        .mount(server)
        .await;
}

fn service_json(version: u64, replicas: u64) -> serde_json::Value {
    json!({
        "ID": "svc1", "Version": {"Index": version},
        "Spec": {"Name": "web", "Labels": {"keep": "me"}, "FutureField": {"x": 1},
                 "Mode": {"Replicated": {"Replicas": replicas}},
                 "TaskTemplate": {"ContainerSpec": {"Image": "busybox"}}},
        "UpdateStatus": {"State": "some_future_state"}
    })
}

#[tokio::test]
async fn not_a_manager_503_is_typed() {
    let (server, client) = server().await;
    catch_all(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1.41/services"))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({
            "message": "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again."
        })))
        .expect(1)
        .mount(&server)
        .await;
    let err = client.service_list(&[]).await.unwrap_err();
    match &err {
        Error::NotManager { message } => assert!(message.contains("not a swarm manager")),
        other => panic!("expected NotManager, got {other:?}"),
    }
}

#[tokio::test]
async fn name_conflict_409_is_typed() {
    let (server, client) = server().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1.41/services/create"))
        .and(header("content-type", "application/json"))
        .and(body_partial_json(json!({"Name": "web"})))
        .respond_with(ResponseTemplate::new(409).set_body_json(json!({
            "message": "rpc error: code = AlreadyExists desc = name conflicts with an existing object: service web already exists"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let spec = json!({"Name": "web", "TaskTemplate": {"ContainerSpec": {"Image": "busybox"}}});
    let err = client
        .service_create(&spec, &CreateOptions::new())
        .await
        .unwrap_err();
    match &err {
        Error::Conflict { endpoint, message } => {
            assert_eq!(endpoint, "POST /services/create");
            assert!(message.contains("already exists"));
        }
        other => panic!("expected Conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn update_retries_out_of_sequence_and_keeps_unknown_fields() {
    let (server, client) = server().await;
    catch_all(&server).await;
    // First inspect sees version 10, the second 11.
    Mock::given(method("GET"))
        .and(path("/v1.41/services/web"))
        .respond_with(ResponseTemplate::new(200).set_body_json(service_json(10, 2)))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.41/services/web"))
        .respond_with(ResponseTemplate::new(200).set_body_json(service_json(11, 2)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.41/services/svc1/update"))
        .and(query_param("version", "10"))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_string("rpc error: code = Unknown desc = update out of sequence\n"),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.41/services/svc1/update"))
        .and(query_param("version", "11"))
        .and(body_partial_json(json!({"Mode": {"Replicated": {"Replicas": 5}}, "FutureField": {"x": 1}, "Labels": {"keep": "me"}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"Warnings": null})))
        .expect(1)
        .mount(&server)
        .await;
    // After the write the service is read back by ID, so the caller sees the new version.
    Mock::given(method("GET"))
        .and(path("/v1.41/services/svc1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(service_json(12, 5)))
        .expect(1)
        .mount(&server)
        .await;
    let updated = client.service_scale("web", 5).await.unwrap();
    assert_eq!(updated.version.index, 12);
}

#[tokio::test]
async fn out_of_sequence_gives_up_with_typed_error() {
    let (server, client) = server().await;
    catch_all(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1.41/services/web"))
        .respond_with(ResponseTemplate::new(200).set_body_json(service_json(10, 2)))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.41/services/svc1/update"))
        .respond_with(ResponseTemplate::new(500).set_body_string("update out of sequence"))
        .expect(2)
        .mount(&server)
        .await;
    let err = client
        .service_update("web", &UpdateOptions::new().retries(1), |_| Ok(()))
        .await
        .unwrap_err();
    assert!(err.is_out_of_sequence(), "{err:?}");
}

#[tokio::test]
async fn unknown_enum_values_are_tolerated() {
    let (server, client) = server().await;
    catch_all(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1.41/tasks"))
        .and(query_param("filters", r#"{"service":["web"]}"#))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"ID": "t1", "Slot": 1, "NodeID": "n1", "DesiredState": "running",
             "Status": {"State": "hibernating", "Timestamp": "2024-01-01T00:00:00Z", "NewThing": true},
             "Unknown": [1, 2]},
            {"ID": "t2", "Slot": 2, "DesiredState": "running", "Status": {"State": "running"}}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    let tasks = client
        .task_list(&TaskFilter::new().service("web"))
        .await
        .unwrap();
    assert_eq!(tasks.len(), 2);
    assert_eq!(tasks[0].state(), TaskState::Unknown("hibernating".into()));
    assert_eq!(tasks[1].state(), TaskState::Running);
}

#[tokio::test]
async fn negotiates_the_api_version() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("GET"))
        .and(path("/version"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"ApiVersion": "1.45", "MinAPIVersion": "1.24", "Version": "26.1.0"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.45/nodes"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"ID": "n1", "Spec": {"Availability": "drain", "Role": "worker"}, "Status": {"State": "ready", "Addr": "127.0.0.2"}}])))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::connect(&server.uri()).await.unwrap();
    assert_eq!(client.api_version(), ApiVersion::new(1, 45));
    let nodes = client.node_list().await.unwrap();
    assert_eq!(nodes[0].status.addr, "127.0.0.2");
}

#[tokio::test]
async fn too_old_daemon_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/version"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ApiVersion": "1.40"})))
        .expect(1)
        .mount(&server)
        .await;
    let err = Client::connect(&server.uri()).await.unwrap_err();
    assert!(
        matches!(err, Error::UnsupportedApiVersion { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn create_sends_url_safe_registry_auth() {
    let (server, client) = server().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1.41/services/create"))
        .and(header_exists("X-Registry-Auth"))
        .respond_with(|req: &Request| {
            let v = req
                .headers
                .get("X-Registry-Auth")
                .unwrap()
                .to_str()
                .unwrap();
            let ok = !v.contains('+') && !v.contains('/') && RegistryAuth::decode(v).is_ok();
            if ok {
                ResponseTemplate::new(201).set_body_json(json!({"ID": "new1"}))
            } else {
                ResponseTemplate::new(400).set_body_json(json!({"message": "bad auth header"}))
            }
        })
        .expect(1)
        .mount(&server)
        .await;
    // A password whose standard base64 would contain '+' or '/'.
    let auth = RegistryAuth::new(
        sdk_core::Credentials::basic("u", "???>>>~~~"),
        "127.0.0.1:5000",
    );
    let spec = json!({"Name": "web"});
    let created = client
        .service_create(&spec, &CreateOptions::new().registry_auth(auth))
        .await
        .unwrap();
    assert_eq!(created.id, "new1");
}

#[tokio::test]
async fn logs_are_demultiplexed() {
    let (server, client) = server().await;
    catch_all(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1.41/services/web"))
        .respond_with(ResponseTemplate::new(200).set_body_json(service_json(3, 1)))
        .expect(1)
        .mount(&server)
        .await;
    let mut body = vec![1u8, 0, 0, 0, 0, 0, 0, 6];
    body.extend_from_slice(b"hello\n");
    body.extend_from_slice(&[2, 0, 0, 0, 0, 0, 0, 4]);
    body.extend_from_slice(b"err\n");
    Mock::given(method("GET"))
        .and(path("/v1.41/services/svc1/logs"))
        .and(query_param("tail", "10"))
        .and(query_param("follow", "false"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(body, "application/vnd.docker.multiplexed-stream"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let s = client
        .service_logs("web", &LogsOptions::new().tail("10"))
        .await
        .unwrap();
    let frames: Vec<_> = s.map(Result::unwrap).collect().await;
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[0].kind, StreamKind::Stdout);
    assert_eq!(&frames[0].data[..], b"hello\n");
    assert_eq!(frames[1].kind, StreamKind::Stderr);
}

fn tasks_json(state: &str, err: &str) -> serde_json::Value {
    json!([
        {"ID": "t1", "Slot": 1, "NodeID": "n1", "DesiredState": "running", "CreatedAt": "2024-01-01T00:00:01Z",
         "Status": {"State": "running", "Timestamp": "2024-01-01T00:00:02Z"}},
        {"ID": "t2", "Slot": 2, "NodeID": "n1", "DesiredState": "running", "CreatedAt": "2024-01-01T00:00:01Z",
         "Status": {"State": state, "Err": err, "Timestamp": "2024-01-01T00:00:02Z"}}
    ])
}

async fn mount_converge(server: &MockServer, tasks: serde_json::Value) {
    Mock::given(method("GET"))
        .and(path("/v1.41/services/web"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ID": "svc1", "Version": {"Index": 3},
            "Spec": {"Name": "web", "Mode": {"Replicated": {"Replicas": 2}}}})))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.41/services/svc1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ID": "svc1", "Version": {"Index": 3},
            "Spec": {"Name": "web", "Mode": {"Replicated": {"Replicas": 2}}}})))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.41/tasks"))
        .and(query_param(
            "filters",
            r#"{"_up-to-date":["true"],"service":["svc1"]}"#,
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(tasks))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.41/nodes"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([{"ID": "n1", "Status": {"State": "ready"}}])),
        )
        .mount(server)
        .await;
}

#[tokio::test]
async fn wait_converged_with_zero_window() {
    let (server, client) = server().await;
    catch_all(&server).await;
    mount_converge(&server, tasks_json("running", "")).await;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let s2 = std::sync::Arc::clone(&seen);
    let done = client
        .wait_converged(
            "web",
            WaitOptions::new()
                .window(Duration::ZERO)
                .use_events(false)
                .on_progress(move |p| s2.lock().unwrap().push(p.to_string())),
        )
        .await
        .unwrap();
    assert_eq!((done.running, done.desired), (2, 2));
    let seen = seen.lock().unwrap();
    assert!(
        seen.iter()
            .any(|l| l == "overall progress: 2 out of 2 tasks"),
        "{seen:?}"
    );
    assert_eq!(
        seen.last().map(String::as_str),
        Some("verify: Service converged")
    );
}

#[tokio::test]
async fn wait_converged_timeout_names_missing_image() {
    let (server, client) = server().await;
    catch_all(&server).await;
    mount_converge(
        &server,
        tasks_json("rejected", "No such image: 127.0.0.1:5000/absent/x:1"),
    )
    .await;
    let err = client
        .wait_converged(
            "web",
            WaitOptions::new()
                .window(Duration::ZERO)
                .use_events(false)
                .timeout(Duration::from_millis(300)),
        )
        .await
        .unwrap_err();
    match &err {
        Error::NotConverged(nc) => {
            assert_eq!(nc.missing_image(), Some("127.0.0.1:5000/absent/x:1"));
            assert_eq!((nc.running, nc.desired), (1, 2));
            assert_eq!(nc.tasks.len(), 1);
            assert_eq!(nc.tasks[0].task_id, "t2");
        }
        other => panic!("expected NotConverged, got {other:?}"),
    }
    assert!(err.to_string().contains("No such image"));
}
