//! Deploys with running tasks on the real swarm of scripts/test (host network only, a busybox
//! image pushed to the test registry): an unchanged re-deploy sends no update and restarts no
//! task; a change to one service updates that service only; changed configs and secrets are
//! rotated with the stack's labels and `docker stack rm` still removes every version; a
//! service that cannot run fails the deploy naming the service and the task error.

#[path = "../../swarm-client/tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use swarm_client::Client;
use swarm_client::tasks::TaskFilter;
use swarm_stack::convert::{StackSpec, convert};
use swarm_stack::deploy::{Action, DeployOptions, ResolveImage, deploy, plan};
use swarm_stack::{ComposeFile, Loader};

/// `docker stack rm` on drop, then waits until nothing labelled with the stack is left.
struct StackGuard(String);

impl Drop for StackGuard {
    fn drop(&mut self) {
        let host = common::manager_host();
        for _ in 0..100 {
            let _ = Command::new("docker")
                .args(["-H", &host, "stack", "rm", &self.0])
                .output();
            if left(&self.0) == 0 {
                // The managers list a removed object a moment longer at times: look twice.
                std::thread::sleep(Duration::from_millis(300));
                if left(&self.0) == 0 {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    }
}

/// Services, networks, configs and secrets labelled with the stack (via the docker CLI).
fn left(stack: &str) -> usize {
    let host = common::manager_host();
    let filter = format!("label=com.docker.stack.namespace={stack}");
    ["service", "network", "config", "secret"]
        .iter()
        .map(|k| {
            let out = Command::new("docker")
                .args(["-H", &host, k, "ls", "-q", "--filter", &filter])
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).lines().count()
        })
        .sum()
}

fn load(dir: &Path, stack: &str, env: &[(&str, &str)]) -> StackSpec {
    let l = Loader::new(dir.display().to_string())
        .envs(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())))
        .env("IMAGE", common::image())
        .file(ComposeFile::read(dir.join("stack.yml")).unwrap());
    let loaded = l.load().unwrap();
    convert(stack, &loaded.compose, &*l.file_reader()).unwrap()
}

fn opts() -> DeployOptions {
    DeployOptions::new()
        .resolve_image(ResolveImage::Never)
        .timeout(Duration::from_secs(90))
}

async fn running_tasks(c: &Client, stack: &str) -> BTreeMap<String, Vec<String>> {
    let tasks = c
        .task_list(
            &TaskFilter::new()
                .label(format!("com.docker.stack.namespace={stack}"))
                .desired_state("running"),
        )
        .await
        .unwrap();
    let services = c
        .service_list(&[("label", &format!("com.docker.stack.namespace={stack}"))])
        .await
        .unwrap();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for t in tasks {
        let name = services
            .iter()
            .find(|s| s.id == t.service_id)
            .map(|s| s.name().to_owned())
            .unwrap_or_default();
        out.entry(name).or_default().push(t.id.clone());
    }
    for v in out.values_mut() {
        v.sort();
    }
    out
}

async fn versions(c: &Client, stack: &str) -> BTreeMap<String, u64> {
    c.service_list(&[("label", &format!("com.docker.stack.namespace={stack}"))])
        .await
        .unwrap()
        .iter()
        .map(|s| (s.name().to_owned(), s.version.index))
        .collect()
}

const TWO_SERVICES: &str = "\
x-sleep: &sleep
  image: ${IMAGE}
  command: [sh, -c, 'exec sleep 3600']
  networks: [host]
  stop_grace_period: 1s
  deploy:
    replicas: 2
    update_config: {parallelism: 0, monitor: 1s}
    restart_policy: {condition: any, delay: 200ms}
services:
  a:
    <<: *sleep
    environment: [X=1]
  b:
    <<: *sleep
    environment: ['Y=${Y}']
networks:
  host: {external: true, name: host}
";

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn unchanged_redeploy_sends_nothing_and_one_change_updates_one_service() {
    let c = common::manager().await;
    let stack = format!("dwsr{}", std::process::id() % 100_000);
    let _g = StackGuard(stack.clone());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("stack.yml"), TWO_SERVICES).unwrap();

    let first = deploy(&c, &load(dir.path(), &stack, &[("Y", "1")]), &opts())
        .await
        .unwrap();
    assert_eq!(first.service_updates, 0);
    let tasks = running_tasks(&c, &stack).await;
    assert_eq!(tasks.values().map(Vec::len).sum::<usize>(), 4, "{tasks:?}");
    let v1 = versions(&c, &stack).await;

    // The plan of an unchanged stack is empty, and so is the deploy.
    let p = plan(&c, &load(dir.path(), &stack, &[("Y", "1")]), &opts())
        .await
        .unwrap();
    assert!(p.is_empty(), "{p}");
    let again = deploy(&c, &load(dir.path(), &stack, &[("Y", "1")]), &opts())
        .await
        .unwrap();
    assert_eq!(again.service_updates, 0);
    assert_eq!(versions(&c, &stack).await, v1, "no version changed");
    assert_eq!(running_tasks(&c, &stack).await, tasks, "no task restarted");

    // Y changes: the plan names the field, the deploy updates b only.
    let p = plan(&c, &load(dir.path(), &stack, &[("Y", "2")]), &opts())
        .await
        .unwrap();
    let b = format!("{stack}_b");
    let changed: Vec<_> = p
        .items
        .iter()
        .filter(|i| matches!(i.action, Action::Update(_)))
        .collect();
    assert_eq!(changed.len(), 1, "{p}");
    assert_eq!(changed[0].name, b);
    let Action::Update(fields) = &changed[0].action else {
        unreachable!()
    };
    assert_eq!(fields[0].path, "TaskTemplate.ContainerSpec.Env.0");
    let r = deploy(&c, &load(dir.path(), &stack, &[("Y", "2")]), &opts())
        .await
        .unwrap();
    assert_eq!(r.service_updates, 1);
    let v2 = versions(&c, &stack).await;
    let a = format!("{stack}_a");
    assert_eq!(v2[&a], v1[&a], "a untouched");
    assert!(v2[&b] > v1[&b], "b updated");
    let after = running_tasks(&c, &stack).await;
    assert_eq!(after[&a], tasks[&a], "a's tasks kept running");
    assert_ne!(after[&b], tasks[&b], "b's tasks replaced");
    assert_eq!(after[&b].len(), 2, "b converged with two new tasks");
}

const ROTATING: &str = "\
services:
  app:
    image: ${IMAGE}
    command: [sh, -c, 'cat /etc/app.conf /run/secrets/pw; exec sleep 3600']
    networks: [host]
    stop_grace_period: 1s
    configs: [{source: conf, target: /etc/app.conf}]
    secrets: [pw]
    deploy:
      replicas: 1
      update_config: {parallelism: 0, monitor: 1s}
configs:
  conf: {file: ./app.conf, labels: [role=conf]}
secrets:
  pw: {file: ./pw.txt}
networks:
  host: {external: true, name: host}
";

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn changed_configs_and_secrets_are_rotated_with_the_stack_labels() {
    let c = common::manager().await;
    let stack = format!("dwrot{}", std::process::id() % 100_000);
    let g = StackGuard(stack.clone());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("stack.yml"), ROTATING).unwrap();
    std::fs::write(dir.path().join("app.conf"), "v1\n").unwrap();
    std::fs::write(dir.path().join("pw.txt"), "secret-1\n").unwrap();
    deploy(&c, &load(dir.path(), &stack, &[]), &opts())
        .await
        .unwrap();
    let conf = format!("{stack}_conf");
    let pw = format!("{stack}_pw");
    assert!(c.config_id(&conf).await.is_ok());

    // Content changes: docker would fail ("only updates to Labels are allowed"); we rotate.
    std::fs::write(dir.path().join("app.conf"), "v2\n").unwrap();
    std::fs::write(dir.path().join("pw.txt"), "secret-2\n").unwrap();
    let r = deploy(&c, &load(dir.path(), &stack, &[]), &opts())
        .await
        .unwrap();
    let rotations: Vec<_> = r
        .plan
        .items
        .iter()
        .filter_map(|i| match &i.action {
            Action::Rotate { from, to } => Some((from.clone(), to.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        rotations,
        vec![
            (conf.clone(), format!("{conf}-v2")),
            (pw.clone(), format!("{pw}-v2"))
        ]
    );
    let cfg = c
        .config_inspect(&c.config_id(&format!("{conf}-v2")).await.unwrap())
        .await
        .unwrap();
    assert_eq!(cfg.spec.labels["com.docker.stack.namespace"], stack);
    assert_eq!(cfg.spec.labels["role"], "conf");
    let sec = c
        .secret_inspect(&c.secret_id(&format!("{pw}-v2")).await.unwrap())
        .await
        .unwrap();
    assert_eq!(sec.spec.labels["com.docker.stack.namespace"], stack);
    assert!(
        c.config_id(&conf).await.is_err(),
        "the old config was removed"
    );
    assert!(
        c.secret_id(&pw).await.is_err(),
        "the old secret was removed"
    );
    let svc = c.service_inspect(&format!("{stack}_app")).await.unwrap();
    let refs = serde_json::to_string(svc.spec.container().unwrap()).unwrap();
    assert!(refs.contains(&format!("{conf}-v2")) && refs.contains(&format!("{pw}-v2")));

    // Unchanged content now: nothing happens (the secret compared without being changed).
    let again = deploy(&c, &load(dir.path(), &stack, &[]), &opts())
        .await
        .unwrap();
    assert_eq!(again.service_updates, 0);
    assert!(again.plan.is_empty(), "{}", again.plan);

    // docker's own `stack rm` removes every version.
    drop(g);
    let mut n = left(&stack);
    for _ in 0..20 {
        if n == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
        n = left(&stack);
    }
    assert_eq!(n, 0, "objects of the stack left after docker stack rm");
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn a_service_that_cannot_run_fails_the_deploy_by_name() {
    let c = common::manager().await;
    let stack = format!("dwbad{}", std::process::id() % 100_000);
    let _g = StackGuard(stack.clone());
    let dir = tempfile::tempdir().unwrap();
    let registry = common::env("DOCKWRIGHT_TEST_REGISTRY");
    std::fs::write(
        dir.path().join("stack.yml"),
        format!(
            "services:\n  bad:\n    image: {registry}/absent/nothing:1\n    networks: [host]\n    deploy: {{replicas: 1}}\nnetworks:\n  host: {{external: true, name: host}}\n"
        ),
    )
    .unwrap();
    let e = deploy(
        &c,
        &load(dir.path(), &stack, &[]),
        &opts().timeout(Duration::from_secs(20)),
    )
    .await
    .unwrap_err();
    let text = e.to_string();
    assert!(
        text.starts_with(&format!("service {stack}_bad: ")),
        "{text}"
    );
    assert!(
        text.contains("task "),
        "names the task and its error: {text}"
    );
}
