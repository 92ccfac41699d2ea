//! Push from the daemon and pull into it on the fakes only (`MockSwarm` as the daemon,
//! `MockRegistry` as the registry): what a user's test of their own release automation runs.
//! The fake daemon's `docker save` archive goes through the streaming push, and the pulled
//! archive through its `/images/load`, ending as the same image.

use dockwright::image::{pull_into_daemon, push_from_daemon};
use registry_client::mock::MockRegistry;
use registry_client::reference::Reference;
use registry_client::save_pull::ArchiveOptions;
use registry_client::save_push::{SaveCompression, SavePushOptions};
use swarm_client::build::BuildOptions;
use swarm_client::mock::MockSwarm;

#[tokio::test]
async fn built_pushed_and_pulled_back_on_the_fakes() {
    let daemon = MockSwarm::start().await;
    let engine = swarm_client::Client::connect(&daemon.endpoint())
        .await
        .unwrap();
    let fake_registry = MockRegistry::start().await;
    let registry = registry_client::Client::builder().build().unwrap();

    let ctx = tempfile::tempdir().unwrap();
    std::fs::write(ctx.path().join("index.html"), "hello").unwrap();
    std::fs::write(ctx.path().join("app.conf"), "port=80").unwrap();
    std::fs::write(
        ctx.path().join("Dockerfile"),
        "FROM scratch\nCOPY index.html /site/\nCOPY app.conf /etc/\nCMD [\"/app\"]\n",
    )
    .unwrap();
    let id = engine
        .build(ctx.path(), &BuildOptions::new().tag("web:1"))
        .await
        .unwrap()
        .finish()
        .await
        .unwrap()
        .image_id
        .unwrap();

    let target: Reference = format!("{}/team/web:1", fake_registry.host())
        .parse()
        .unwrap();
    let report = push_from_daemon(
        &engine,
        &registry,
        "web:1",
        &target,
        &SavePushOptions::new(),
    )
    .await
    .unwrap();
    // Two layers and the config.
    assert_eq!((report.uploaded, report.skipped), (3, 0), "{report:?}");
    // Again: the registry has every blob, nothing goes up, the same manifest.
    let again = push_from_daemon(
        &engine,
        &registry,
        "web:1",
        &target,
        &SavePushOptions::new(),
    )
    .await
    .unwrap();
    assert_eq!((again.uploaded, again.skipped), (0, 3), "{again:?}");
    assert_eq!(again.digest, report.digest);
    // Gzipped to another repository: pullable the same.
    let gz: Reference = format!("{}/team/web-gz:1", fake_registry.host())
        .parse()
        .unwrap();
    push_from_daemon(
        &engine,
        &registry,
        "web:1",
        &gz,
        &SavePushOptions::new().compression(SaveCompression::gzip()),
    )
    .await
    .unwrap();

    // Into another fake daemon: the same image ID, tagged as `docker pull` tags it.
    let other = MockSwarm::start().await;
    let engine2 = swarm_client::Client::connect(&other.endpoint())
        .await
        .unwrap();
    let pulled = pull_into_daemon(&registry, &engine2, &target, &ArchiveOptions::new())
        .await
        .unwrap();
    assert_eq!(pulled.image_id, id);
    assert_eq!(pulled.tags, [target.familiar()]);
    let files = other.image_files(&target.familiar()).expect("loaded");
    assert_eq!(files["site/index.html"], b"hello");
    assert_eq!(files["etc/app.conf"], b"port=80");
    let inspect = engine2.image_inspect(&id).await.unwrap();
    assert_eq!(inspect.config.cmd, ["/app"]);
    let third = MockSwarm::start().await;
    let engine3 = swarm_client::Client::connect(&third.endpoint())
        .await
        .unwrap();
    let pulled = pull_into_daemon(&registry, &engine3, &gz, &ArchiveOptions::new())
        .await
        .unwrap();
    assert_eq!(pulled.image_id, id);

    // An image the daemon does not have.
    let err = push_from_daemon(
        &engine,
        &registry,
        "web:absent",
        &target,
        &SavePushOptions::new(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, dockwright::Error::Swarm(e) if e.is_not_found()),
        "{err:?}"
    );
}
