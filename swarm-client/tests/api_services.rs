//! wiremock and `MockSwarm` tests of what `service_update` returns and of `wait_converged` when the
//! daemon already reports the rolling update `completed`. Each wiremock test states what it
//! expects, with a catch-all 500 so an unexpected request fails loudly.

mod common;

use std::time::Duration;

use serde_json::{Value, json};
use swarm_client::converge::WaitOptions;
use swarm_client::services::UpdateOptions;
use swarm_client::{Client, Error};
use wiremock::matchers::{body_partial_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn server() -> (MockServer, Client) {
    common::wiremock().await
}

fn service(version: u64, image: &str, update_status: Option<Value>, updated_at: &str) -> Value {
    let mut v = json!({
        "ID": "svc1", "Version": {"Index": version}, "UpdatedAt": updated_at,
        "Spec": {"Name": "web", "Mode": {"Replicated": {"Replicas": 3}},
                 "TaskTemplate": {"ContainerSpec": {"Image": image}}},
    });
    if let Some(us) = update_status {
        v["UpdateStatus"] = us;
    }
    v
}

fn running_tasks(n: u64, of: u64) -> Value {
    (1..=of)
        .map(|slot| {
            let state = if slot <= n { "running" } else { "preparing" };
            json!({"ID": format!("t{slot}"), "ServiceID": "svc1", "Slot": slot, "NodeID": "n1",
                   "DesiredState": "running", "Status": {"State": state}})
        })
        .collect()
}

async fn mount_tasks_and_nodes(server: &MockServer, tasks: Value) {
    Mock::given(method("GET"))
        .and(path("/v1.41/tasks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(tasks))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.41/nodes"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!([{"ID": "n1", "Spec": {"Role": "manager", "Availability": "active"},
                    "Status": {"State": "ready", "Addr": "127.0.0.1"}}]),
        ))
        .mount(server)
        .await;
}

#[tokio::test]
async fn service_update_returns_the_service_after_the_update() {
    let (server, client) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1.41/services/web"))
        .respond_with(ResponseTemplate::new(200).set_body_json(service(
            10,
            "busybox:1",
            None,
            "2024-01-01T00:00:00Z",
        )))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.41/services/svc1/update"))
        .and(query_param("version", "10"))
        .and(body_partial_json(
            json!({"TaskTemplate": {"ContainerSpec": {"Image": "busybox:2"}}}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"Warnings": null})))
        .expect(1)
        .mount(&server)
        .await;
    let mut after = service(11, "busybox:2", None, "2024-01-01T00:00:01Z");
    after["PreviousSpec"] = service(10, "busybox:1", None, "")["Spec"].clone();
    Mock::given(method("GET"))
        .and(path("/v1.41/services/svc1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(after))
        .expect(1)
        .mount(&server)
        .await;
    let svc = client
        .service_update("web", &UpdateOptions::new(), |spec| {
            spec.container_mut().image = "busybox:2".into();
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(svc.version.index, 11);
    assert_eq!(svc.image(), "busybox:2");
    assert_eq!(
        svc.previous_spec.unwrap().container().unwrap().image,
        "busybox:1"
    );
}

#[tokio::test]
async fn service_update_scale_and_rollback_return_the_new_spec_on_mock_swarm() {
    let mock = swarm_client::mock::MockSwarm::builder()
        .initialized(true)
        .start()
        .await;
    let client = Client::connect(&mock.endpoint()).await.unwrap();
    let spec = json!({"Name": "web", "Mode": {"Replicated": {"Replicas": 1}},
                      "TaskTemplate": {"ContainerSpec": {"Image": "busybox:1"}}});
    let created = client
        .service_create(&spec, &swarm_client::services::CreateOptions::new())
        .await
        .unwrap();
    let before = client.service_inspect(&created.id).await.unwrap();
    let svc = client
        .service_update("web", &UpdateOptions::new(), |s| {
            s.container_mut().image = "busybox:2".into();
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(svc.image(), "busybox:2");
    assert!(svc.version.index > before.version.index, "{svc:?}");
    let svc = client.service_scale("web", 4).await.unwrap();
    assert_eq!(svc.mode(), &swarm_client::spec::ServiceMode::replicated(4));
    let svc = client.service_rollback("web").await.unwrap();
    assert_eq!(svc.mode(), &swarm_client::spec::ServiceMode::replicated(1));
}

#[tokio::test]
async fn completed_on_the_first_poll_reports_the_real_counts_at_once() {
    let (server, client) = server().await;
    let status = json!({"State": "completed", "Message": "update completed",
                        "StartedAt": "2024-01-01T00:00:01Z", "CompletedAt": "2024-01-01T00:00:09Z"});
    Mock::given(method("GET"))
        .and(path("/v1.41/services/svc1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(service(
            11,
            "busybox:2",
            Some(status),
            "2024-01-01T00:00:01Z",
        )))
        .mount(&server)
        .await;
    mount_tasks_and_nodes(&server, running_tasks(3, 3)).await;
    let done = client
        .wait_converged(
            "svc1",
            WaitOptions::new()
                .use_events(false)
                .window(Duration::from_secs(30))
                .timeout(Duration::from_secs(10)),
        )
        .await
        .unwrap();
    assert_eq!((done.running, done.desired), (3, 3));
    // No window of its own: the orchestrator already monitored the updated tasks.
    assert!(done.elapsed < Duration::from_secs(5), "{done:?}");
    assert_eq!(done.rolled_back, None);
}

#[tokio::test]
async fn completed_with_tasks_missing_keeps_waiting() {
    let (server, client) = server().await;
    let status = json!({"State": "completed", "Message": "update completed",
                        "CompletedAt": "2024-01-01T00:00:09Z"});
    Mock::given(method("GET"))
        .and(path("/v1.41/services/svc1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(service(
            11,
            "busybox:2",
            Some(status),
            "2024-01-01T00:00:01Z",
        )))
        .mount(&server)
        .await;
    mount_tasks_and_nodes(&server, running_tasks(1, 3)).await;
    let err = client
        .wait_converged(
            "svc1",
            WaitOptions::new()
                .use_events(false)
                .timeout(Duration::from_millis(400)),
        )
        .await
        .unwrap_err();
    let Error::NotConverged(nc) = err else {
        panic!("expected NotConverged, got {err:?}")
    };
    assert_eq!((nc.running, nc.desired), (1, 3));
    assert_eq!(nc.tasks.len(), 2, "{nc:?}");
}

#[tokio::test]
async fn completed_after_the_window_started_ends_the_wait() {
    // As dockerd does: the first polls say `updating` (the updater still monitors), then
    // `completed`, with `UpdatedAt` a few microseconds after `CompletedAt` (the store write).
    // The waiter stops at `completed` instead of sitting out its own long window.
    let (server, client) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1.41/services/svc1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(service(
            11,
            "busybox:2",
            Some(json!({"State": "updating", "Message": "update in progress"})),
            "2024-01-01T00:00:01Z",
        )))
        .up_to_n_times(3)
        .expect(3)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.41/services/svc1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(service(
            11,
            "busybox:2",
            Some(json!({"State": "completed", "Message": "update completed",
                        "CompletedAt": "2024-01-01T00:00:09.083342534Z"})),
            "2024-01-01T00:00:09.083417716Z",
        )))
        .mount(&server)
        .await;
    mount_tasks_and_nodes(&server, running_tasks(3, 3)).await;
    let done = client
        .wait_converged(
            "svc1",
            WaitOptions::new()
                .use_events(false)
                .window(Duration::from_secs(30))
                .poll_interval(Duration::from_millis(50))
                .timeout(Duration::from_secs(10)),
        )
        .await
        .unwrap();
    assert_eq!((done.running, done.desired), (3, 3));
    assert!(done.elapsed < Duration::from_secs(5), "{done:?}");
}
