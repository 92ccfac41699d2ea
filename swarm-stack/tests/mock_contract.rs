//! One stack lifecycle, run on `MockSwarm` and on the real swarm of scripts/test, so the fake
//! stays faithful in what stack deploy uses: networks created with labels, configs and secrets
//! created, found by label and by name, label-only updates, the secret content check, services
//! found by label, rotation, and removal by label.
//!
//! The stack starts no task: `replicas: 0` (it creates an overlay network).

use std::collections::BTreeMap;
use std::time::Duration;

use swarm_client::Client;
use swarm_client::mock::MockSwarm;
use swarm_stack::convert::{StackSpec, convert};
use swarm_stack::deploy::{self, Action, DeployOptions, ResolveImage};
use swarm_stack::{ComposeFile, Loader};

fn stack(name: &str, conf: &str, label: &str) -> StackSpec {
    let yaml = "\
services:
  web:
    image: 127.0.0.1:5000/absent/web:1
    deploy: {replicas: 0}
    networks: [front]
    configs: [{source: conf, target: /etc/app.conf}]
    secrets: [pw]
networks:
  front: {driver: overlay, labels: {tier: front}}
configs:
  conf: {file: app.conf, labels: ['role=${ROLE}']}
secrets:
  pw: {file: pw.txt}
";
    let files: BTreeMap<String, Vec<u8>> = [
        ("/w/app.conf".to_owned(), conf.as_bytes().to_vec()),
        ("/w/pw.txt".to_owned(), b"hunter2".to_vec()),
    ]
    .into();
    let loader = Loader::new("/w")
        .env("ROLE", label)
        .file(ComposeFile::new("stack.yml", yaml))
        .reader(std::sync::Arc::new(move |p: &str| {
            files
                .get(p)
                .cloned()
                .ok_or_else(|| format!("open {p}: no such file"))
        }));
    let loaded = loader.load().unwrap();
    convert(name, &loaded.compose, &*loader.file_reader()).unwrap()
}

fn opts() -> DeployOptions {
    DeployOptions::new()
        .resolve_image(ResolveImage::Never)
        .timeout(Duration::from_secs(30))
}

fn actions(p: &deploy::Plan) -> Vec<(String, String)> {
    p.items
        .iter()
        .map(|i| {
            let a = match &i.action {
                Action::Create => "create".to_owned(),
                Action::Unchanged => "unchanged".to_owned(),
                Action::Update(f) => format!("update {}", f[0].path),
                Action::Rotate { to, .. } => format!("rotate to {to}"),
                Action::Remove => "remove".to_owned(),
                other => format!("{other:?}"),
            };
            (format!("{} {}", i.kind, i.name), a)
        })
        .collect()
}

async fn lifecycle(c: &Client, ns: &str) {
    let label = format!("com.docker.stack.namespace={ns}");
    let by_label = [("label", label.as_str())];
    let p = deploy::plan(c, &stack(ns, "v1", "a"), &opts())
        .await
        .unwrap();
    assert!(p.items.iter().all(|i| i.action == Action::Create), "{p}");

    let r = deploy::deploy(c, &stack(ns, "v1", "a"), &opts())
        .await
        .unwrap();
    assert_eq!(r.service_updates, 0);
    let nets = c.network_list(&by_label).await.unwrap();
    assert_eq!(nets.len(), 1);
    assert_eq!(nets[0].name, format!("{ns}_front"));
    assert_eq!(nets[0].labels["tier"], "front");
    assert_eq!(c.config_list(&by_label).await.unwrap().len(), 1);
    assert_eq!(c.secret_list(&by_label).await.unwrap().len(), 1);
    assert_eq!(c.service_list(&by_label).await.unwrap().len(), 1);

    // Unchanged: nothing to do (the secret's content compared without a write).
    let p = deploy::plan(c, &stack(ns, "v1", "a"), &opts())
        .await
        .unwrap();
    assert!(p.is_empty(), "{p}");

    // A label of the config changes: a label update, in place.
    let r = deploy::deploy(c, &stack(ns, "v1", "b"), &opts())
        .await
        .unwrap();
    assert_eq!(
        actions(&r.plan)
            .into_iter()
            .filter(|(_, a)| a != "unchanged")
            .collect::<Vec<_>>(),
        vec![(format!("config {ns}_conf"), "update Labels".to_owned())]
    );
    let cfg = c
        .config_inspect(&c.config_id(&format!("{ns}_conf")).await.unwrap())
        .await
        .unwrap();
    assert_eq!(cfg.spec.labels["role"], "b");

    // Its content changes: rotated, the service moved to it, the old one removed.
    let r = deploy::deploy(c, &stack(ns, "v2", "b"), &opts())
        .await
        .unwrap();
    assert!(
        actions(&r.plan).contains(&(
            format!("config {ns}_conf"),
            format!("rotate to {ns}_conf-v2")
        )),
        "{}",
        r.plan
    );
    assert_eq!(r.service_updates, 1);
    let names: Vec<String> = c
        .config_list(&by_label)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.spec.name)
        .collect();
    assert_eq!(names, vec![format!("{ns}_conf-v2")]);

    // docker stack rm's view: everything found by label goes.
    let removed = deploy::remove(c, ns).await.unwrap();
    assert!(removed.failures.is_empty(), "{:?}", removed.failures);
    let kinds: Vec<&str> = removed.objects.iter().map(|(k, _)| *k).collect();
    assert_eq!(kinds, ["service", "secret", "config", "network"]);
    for _ in 0..50 {
        if c.network_list(&by_label).await.unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(c.network_list(&by_label).await.unwrap().is_empty());
    assert!(c.config_list(&by_label).await.unwrap().is_empty());
    assert!(c.secret_list(&by_label).await.unwrap().is_empty());
    assert!(c.service_list(&by_label).await.unwrap().is_empty());
    assert!(matches!(
        deploy::remove(c, ns).await,
        Err(swarm_stack::Error::Check(m)) if m == format!("Nothing found in stack: {ns}")
    ));
}

#[tokio::test]
async fn stack_lifecycle_on_the_fake() {
    let mock = MockSwarm::builder().initialized(true).start().await;
    let c = Client::connect(&mock.endpoint()).await.unwrap();
    lifecycle(&c, "dwmock").await;
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn stack_lifecycle_on_dockerd() {
    let host = std::env::var("DOCKWRIGHT_TEST_DOCKER_HOST").expect("DOCKWRIGHT_TEST_DOCKER_HOST");
    let c = Client::connect(&host).await.unwrap();
    let ns = format!("dwcontract{}", std::process::id() % 100_000);
    struct Rm(String, String);
    impl Drop for Rm {
        fn drop(&mut self) {
            let _ = std::process::Command::new("docker")
                .args(["-H", &self.0, "stack", "rm", &self.1])
                .output();
        }
    }
    let _g = Rm(host.clone(), ns.clone());
    lifecycle(&c, &ns).await;
}
