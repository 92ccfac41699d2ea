//! Real-server tests against the swarm of scripts/test (manager + worker on 127.0.0.2).

mod common;

use std::time::Duration;

use common::{ServiceGuard, httpd_spec, image, manager, unique, worker_host};
use futures_util::StreamExt;
use serde_json::{Value, json};
use swarm_client::converge::WaitOptions;
use swarm_client::exec::{ExecOptions, NodeEndpoints};
use swarm_client::models::TaskState;
use swarm_client::services::{CreateOptions, LogsOptions, UpdateOptions};
use swarm_client::stream::collect;
use swarm_client::tasks::{ServiceSlot, TaskFilter};
use swarm_client::{Client, Error, RegistryAuth};

const IGN: &str = "needs real servers: run scripts/test";

fn quick() -> WaitOptions {
    WaitOptions::new()
        .window(Duration::from_millis(500))
        .timeout(Duration::from_secs(60))
}

async fn create(client: &Client, spec: &Value) -> (ServiceGuard, String) {
    let guard = ServiceGuard::new(spec["Name"].as_str().unwrap());
    let created = client
        .service_create(spec, &CreateOptions::new())
        .await
        .expect("create");
    (guard, created.id)
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn node_ls_shows_both_nodes() {
    let _ = IGN;
    let c = manager().await;
    let nodes = c.node_list().await.unwrap();
    assert!(nodes.len() >= 2, "{nodes:?}");
    let worker = Client::connect(&worker_host())
        .await
        .unwrap()
        .local_node_id()
        .await
        .unwrap();
    assert!(
        nodes
            .iter()
            .any(|n| n.id == worker && n.spec.role == Some(swarm_client::models::NodeRole::Worker)),
        "{nodes:?}"
    );
    assert!(
        nodes
            .iter()
            .any(|n| n.manager_status.as_ref().is_some_and(|m| m.leader))
    );
    // (the `docker node ls` table is the CLI's: examples/tests/swarm_cli.rs compares it with
    // docker's own)
    let me = c.local_node_id().await.unwrap();
    assert!(nodes.iter().any(|n| n.id == me), "{nodes:?}");
    let s = c.swarm_inspect().await.unwrap();
    assert!(s.join_tokens.worker.starts_with("SWMTKN-"));
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn replicated_converges_scales_updates_and_rolls_back() {
    let c = manager().await;
    let name = unique("rep");
    let (_g, id) = create(&c, &httpd_spec(&name, &image(), 3)).await;
    let done = c.wait_converged(&id, quick()).await.unwrap();
    assert_eq!((done.running, done.desired), (3, 3));
    let placed = c.service_placements(&name).await.unwrap();
    assert_eq!(
        placed.iter().filter_map(|p| p.slot).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert!(placed.iter().all(|p| !p.node_addr.is_empty()));

    for n in [5, 2] {
        c.service_scale(&name, n).await.unwrap();
        let done = c.wait_converged(&id, quick()).await.unwrap();
        assert_eq!((done.running, done.desired), (n, n));
        assert_eq!(
            c.service_inspect(&id).await.unwrap().mode().replicas(),
            Some(n)
        );
    }

    // A good update rolls out; the returned service is the updated one.
    let before = c.service_inspect(&id).await.unwrap();
    let updated = c
        .service_update(&id, &UpdateOptions::new(), |spec| {
            spec.task_template
                .container_spec
                .as_mut()
                .unwrap()
                .env
                .push("GOOD=1".into());
            Ok(())
        })
        .await
        .unwrap();
    assert!(updated.version.index > before.version.index);
    let has_good = |c: Option<&swarm_client::spec::ContainerSpec>| {
        c.is_some_and(|c| c.env.iter().any(|e| e == "GOOD=1"))
    };
    assert!(has_good(updated.spec.container()));
    let done = c.wait_converged(&id, quick()).await.unwrap();
    assert_eq!(done.rolled_back, None);
    assert_eq!((done.running, done.desired), (2, 2));
    // Asked again once the update completed: the real counts at once, without a new window.
    let again = c
        .wait_converged(&id, quick().window(Duration::from_secs(30)))
        .await
        .unwrap();
    assert_eq!((again.running, again.desired), (2, 2));
    assert!(again.elapsed < Duration::from_secs(10), "{again:?}");
    let tasks = c
        .task_list(&TaskFilter::new().service(&id).desired_state("running"))
        .await
        .unwrap();
    assert!(!tasks.is_empty());
    assert!(
        tasks
            .iter()
            .all(|t| has_good(t.spec.container_spec.as_ref()))
    );

    // A bad update (command exits) is rolled back by the orchestrator.
    c.service_update(&id, &UpdateOptions::new(), |spec| {
        spec.task_template.container_spec.as_mut().unwrap().command =
            vec!["sh".into(), "-c".into(), "exit 3".into()];
        Ok(())
    })
    .await
    .unwrap();
    let done = c
        .wait_converged(&id, quick().timeout(Duration::from_secs(90)))
        .await
        .unwrap();
    assert!(done.rolled_back.is_some(), "{done:?}");
    let svc = c.service_inspect(&id).await.unwrap();
    let container = svc.spec.container().unwrap();
    assert!(
        container.command.join(" ").contains("httpd"),
        "spec not rolled back: {:?}",
        svc.spec
    );
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn missing_image_times_out_naming_it() {
    let c = manager().await;
    let name = unique("absent");
    let registry = common::env("DOCKWRIGHT_TEST_REGISTRY");
    let img = format!("{registry}/absent/swarmclient-nothing:1");
    let mut spec = httpd_spec(&name, &img, 1);
    spec["TaskTemplate"]["RestartPolicy"]["MaxAttempts"] = json!(1);
    let (_g, id) = create(&c, &spec).await;
    let err = c
        .wait_converged(
            &id,
            WaitOptions::new()
                .window(Duration::ZERO)
                .timeout(Duration::from_secs(15)),
        )
        .await
        .unwrap_err();
    match &err {
        Error::NotConverged(nc) => {
            assert_eq!(nc.running, 0);
            let missing = nc
                .missing_image()
                .unwrap_or_else(|| panic!("no image named: {err}"));
            assert!(missing.contains("absent/swarmclient-nothing"), "{err}");
        }
        other => panic!("expected NotConverged, got {other:?}"),
    }
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn exec_and_logs_on_both_nodes() {
    let c = manager().await;
    let name = unique("exec");
    let mut spec = httpd_spec(&name, &image(), 2);
    spec["TaskTemplate"]["Placement"] = json!({"MaxReplicas": 1});
    // The port base this spec got: `PORT=BASE{{.Task.Slot}}`.
    let prefix = spec["TaskTemplate"]["ContainerSpec"]["Env"][0]
        .as_str()
        .and_then(|e| e.strip_prefix("PORT="))
        .and_then(|e| e.strip_suffix("{{.Task.Slot}}"))
        .expect("PORT env")
        .to_owned();
    let (_g, id) = create(&c, &spec).await;
    c.wait_converged(&id, quick()).await.unwrap();
    // The two tasks run on two of the three nodes: every worker's daemon is given.
    let mut nodes = NodeEndpoints::new();
    for host in std::iter::once(worker_host())
        .chain(std::env::var("DOCKWRIGHT_TEST_WORKER2_DOCKER_HOST").ok())
    {
        let worker = Client::connect(&host).await.unwrap();
        let worker_id = worker.local_node_id().await.unwrap();
        nodes = nodes.with(worker_id, worker);
    }
    for slot in [1, 2] {
        let target = ServiceSlot::new(&name, slot).unwrap();
        let r = c
            .exec_in_task(
                &target,
                &ExecOptions::new(["sh", "-c", "echo out-$PORT; echo err >&2; exit 3"]),
                &nodes,
            )
            .await
            .unwrap();
        assert_eq!(r.exit_code, 3);
        // The container of exactly this slot ran it: its PORT is PREFIX{slot}.
        assert_eq!(
            r.output.stdout_str(),
            format!("out-{prefix}{slot}\n"),
            "{r:?}"
        );
        assert_eq!(r.output.stderr_str(), "err\n");
    }
    // Without the worker's endpoint, the task on the worker is unreachable, with a typed error.
    let mut saw_no_endpoint = false;
    for slot in [1, 2] {
        let target = ServiceSlot::new(&name, slot).unwrap();
        if let Err(Error::NoNodeEndpoint { .. }) = c
            .exec_in_task(&target, &ExecOptions::new(["true"]), &NodeEndpoints::new())
            .await
        {
            saw_no_endpoint = true;
        }
    }
    assert!(saw_no_endpoint);
    // Logs of both tasks.
    let out = tokio::time::timeout(
        Duration::from_secs(20),
        collect(
            c.service_logs(&id, &LogsOptions::new().tail("all"))
                .await
                .unwrap(),
        ),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        out.stdout_str().matches("hello-from-").count(),
        2,
        "{out:?}"
    );
    // `since` as the docker CLI takes it (a duration back from now), converted for dockerd,
    // which takes Unix timestamps only.
    let since = |v: &str| {
        let opts = LogsOptions::new().since(v);
        let c = &c;
        let id = &id;
        async move {
            collect(c.service_logs(id, &opts).await.unwrap())
                .await
                .unwrap()
        }
    };
    assert_eq!(
        since("1h")
            .await
            .stdout_str()
            .matches("hello-from-")
            .count(),
        2
    );
    assert_eq!(
        since("-1h").await.stdout_str(),
        "",
        "a time in the future: no lines"
    );
    assert!(matches!(
        c.service_logs(&id, &LogsOptions::new().since("yesterday"))
            .await,
        Err(Error::InvalidArgument { what: "since", .. })
    ));
    // Task logs: one task's lines only.
    let tasks = c
        .task_list(&TaskFilter::new().service(&id).desired_state("running"))
        .await
        .unwrap();
    assert_eq!(tasks.len(), 2);
    for t in &tasks {
        let out = collect(c.task_logs(&t.id, &LogsOptions::new()).await.unwrap())
            .await
            .unwrap();
        let slot = t.slot.expect("replicated task has a slot");
        assert_eq!(
            out.stdout_str(),
            format!("hello-from-{prefix}{slot}\n"),
            "{out:?}"
        );
    }
    // Follow: the stream stays open; the first frame arrives.
    let mut follow = c
        .service_logs(&id, &LogsOptions::new().follow(true).tail("1"))
        .await
        .unwrap();
    let first = tokio::time::timeout(Duration::from_secs(10), follow.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(!first.data.is_empty());
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn private_image_needs_registry_auth() {
    let c = manager().await;
    let registry = common::env("DOCKWRIGHT_TEST_AUTH_REGISTRY");
    let user = common::env("DOCKWRIGHT_TEST_REGISTRY_USER");
    let pass = common::env("DOCKWRIGHT_TEST_REGISTRY_PASSWORD");
    let dir = tempfile::tempdir().unwrap();
    common::build_layout(dir.path());
    // A tag no node has pulled before, so the no-auth service cannot fall back to a local image.
    let img = common::push_as(
        dir.path(),
        &registry,
        &format!("{}:1", unique("private")),
        Some(&format!("{user}:{pass}")),
    );

    let name = unique("noauth");
    let mut spec = httpd_spec(&name, &img, 1);
    spec["TaskTemplate"]["RestartPolicy"]["MaxAttempts"] = json!(1);
    let (_g1, id) = create(&c, &spec).await;
    let err = c
        .wait_converged(
            &id,
            WaitOptions::new()
                .window(Duration::ZERO)
                .timeout(Duration::from_secs(15)),
        )
        .await
        .unwrap_err();
    let Error::NotConverged(nc) = &err else {
        panic!("expected NotConverged, got {err:?}")
    };
    assert!(
        !nc.tasks.is_empty() && nc.tasks.iter().any(|t| !t.err.is_empty()),
        "{err}"
    );
    assert!(!err.to_string().contains(&pass));

    let name = unique("auth");
    let auth = RegistryAuth::new(sdk_core::Credentials::basic(user, pass.clone()), registry);
    let spec = httpd_spec(&name, &img, 1);
    let _g2 = ServiceGuard::new(&name);
    let created = c
        .service_create(&spec, &CreateOptions::new().registry_auth(auth))
        .await
        .unwrap();
    let done = c.wait_converged(&created.id, quick()).await.unwrap();
    assert_eq!(done.running, 1);
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn global_mode_one_task_per_node() {
    let c = manager().await;
    let name = unique("glob");
    let mut spec = httpd_spec(&name, &image(), 1);
    spec["Mode"] = json!({"Global": {}});
    spec["TaskTemplate"]["ContainerSpec"]["Command"] = json!(["sleep", "3600"]);
    let (_g, id) = create(&c, &spec).await;
    let done = c.wait_converged(&id, quick()).await.unwrap();
    let ready = c
        .node_list()
        .await
        .unwrap()
        .into_iter()
        .filter(|n| {
            n.status.state == Some(swarm_client::models::NodeState::Ready)
                && n.spec.availability == Some(swarm_client::models::Availability::Active)
        })
        .count() as u64;
    assert_eq!(done.running, ready);
    let tasks = c
        .task_list(&TaskFilter::new().service(&id).desired_state("running"))
        .await
        .unwrap();
    let mut nodes: Vec<_> = tasks
        .iter()
        .filter(|t| t.state() == TaskState::Running)
        .map(|t| t.node_id.clone())
        .collect();
    nodes.sort();
    let before = nodes.len();
    nodes.dedup();
    assert_eq!(nodes.len(), before, "two tasks on one node");
}
