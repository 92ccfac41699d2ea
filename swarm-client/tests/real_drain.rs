//! Drain on the swarm of scripts/test (a manager and two workers): draining a worker moves its
//! task to the other nodes, and setting it active again lets the scheduler use it.
//!
//! Draining the shared worker also moves other tests' tasks, so this binary is skipped in the main
//! run (`-- --skip serial_drain_`) and run on its own afterwards:
//! `cargo test -p dockwright-swarm --all-features --test real_drain -- --include-ignored`.
//! A Drop guard always sets the worker back to `active`, even when the test fails.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{ServiceGuard, httpd_spec, image, manager, manager_host, unique, worker_host};
use swarm_client::Client;
use swarm_client::converge::WaitOptions;
use swarm_client::models::{Availability, TaskState};
use swarm_client::nodes::NodeUpdate;
use swarm_client::services::CreateOptions;
use swarm_client::tasks::TaskFilter;

/// Sets the node active again on drop (through the docker CLI, so it works while panicking).
struct ActiveAgain {
    node: String,
}

impl Drop for ActiveAgain {
    fn drop(&mut self) {
        let out = Command::new("docker")
            .args([
                "-H",
                &manager_host(),
                "node",
                "update",
                "--availability",
                "active",
                &self.node,
            ])
            .output();
        match out {
            Ok(o) if o.status.success() => {}
            other => eprintln!("could not set node {} active again: {other:?}", self.node),
        }
    }
}

async fn running_nodes(c: &Client, service: &str) -> Vec<String> {
    let mut nodes: Vec<String> = c
        .task_list(&TaskFilter::new().service(service).desired_state("running"))
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.state() == TaskState::Running)
        .map(|t| t.node_id)
        .collect();
    nodes.sort();
    nodes
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn serial_drain_moves_tasks_off_the_worker() {
    let c = manager().await;
    let me = c.local_node_id().await.unwrap();
    let worker = Client::connect(&worker_host())
        .await
        .unwrap()
        .local_node_id()
        .await
        .unwrap();
    assert_ne!(me, worker);
    let quick = || {
        WaitOptions::new()
            .window(Duration::from_millis(500))
            .timeout(Duration::from_secs(60))
    };

    // One replica per node (a manager and two workers in scripts/test): the scheduler spreads
    // them, one per node.
    let nodes = u64::try_from(c.node_list().await.unwrap().len()).unwrap();
    let name = unique("drain");
    let _svc = ServiceGuard::new(&name);
    let created = c
        .service_create(&httpd_spec(&name, &image(), nodes), &CreateOptions::new())
        .await
        .unwrap();
    c.wait_converged(&created.id, quick()).await.unwrap();
    let before = running_nodes(&c, &created.id).await;
    assert!(
        before.contains(&worker),
        "no task on the worker before the drain: {before:?} (worker {worker})"
    );

    let _active = ActiveAgain {
        node: worker.clone(),
    };
    let n = c
        .node_update(
            &worker,
            &NodeUpdate::new().availability(Availability::Drain),
        )
        .await
        .unwrap();
    assert_eq!(n.spec.availability, Some(Availability::Drain));

    // The worker's task is shut down and replaced on another node.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let now = running_nodes(&c, &created.id).await;
        if now.len() as u64 == nodes && now.iter().all(|n| *n != worker) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "tasks did not leave the drained worker: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let done = c.wait_converged(&created.id, quick()).await.unwrap();
    assert_eq!((done.running, done.desired), (nodes, nodes));
    let on_worker = c
        .task_list(&TaskFilter::new().service(&created.id).node(&worker))
        .await
        .unwrap();
    assert!(
        on_worker
            .iter()
            .all(|t| t.desired().is_terminal() && t.state() != TaskState::Running),
        "{on_worker:?}"
    );

    // Active again: the node accepts tasks (a global service puts one there).
    let n = c
        .node_update(
            &worker,
            &NodeUpdate::new().availability(Availability::Active),
        )
        .await
        .unwrap();
    assert_eq!(n.spec.availability, Some(Availability::Active));
    let gname = unique("drain-glob");
    let _g = ServiceGuard::new(&gname);
    let mut spec = httpd_spec(&gname, &image(), 1);
    spec["Mode"] = serde_json::json!({"Global": {}});
    spec["TaskTemplate"]["ContainerSpec"]["Command"] = serde_json::json!(["sleep", "3600"]);
    let g = c
        .service_create(&spec, &CreateOptions::new())
        .await
        .unwrap();
    c.wait_converged(&g.id, quick()).await.unwrap();
    assert!(
        running_nodes(&c, &g.id).await.contains(&worker),
        "no global task on the reactivated worker"
    );
}
