//! Push from the daemon and pull into it on the fakes only (`MockSwarm` as the daemon,
//! `MockRegistry` as the registry): what a user's test of their own release automation runs.
//! The fake daemon's `docker save` archive goes through the streaming push, and the pulled
//! archive through its `/images/load`, ending as the same image.

mod common;

use common::{build_id, connect};
use dockwright::image::{PulledImage, pull_into_daemon, push_from_daemon};
use registry_client::mock::MockRegistry;
use registry_client::reference::Reference;
use registry_client::save_pull::ArchiveOptions;
use registry_client::save_push::{SaveCompression, SavePushOptions};
use swarm_client::build::BuildOptions;
use swarm_client::mock::MockSwarm;

/// Pulls `r` into a fresh fake daemon: the daemon, a client of it, and what the pull reports.
async fn pulled_into_a_new_fake(
    registry: &registry_client::Client,
    r: &Reference,
) -> (MockSwarm, swarm_client::Client, PulledImage) {
    let daemon = MockSwarm::start().await;
    let engine = connect(&daemon.endpoint()).await;
    let pulled = pull_into_daemon(registry, &engine, r, &ArchiveOptions::new())
        .await
        .unwrap();
    (daemon, engine, pulled)
}

#[tokio::test]
async fn built_pushed_and_pulled_back_on_the_fakes() {
    let daemon = MockSwarm::start().await;
    let engine = connect(&daemon.endpoint()).await;
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
    let id = build_id(&engine, ctx.path(), &BuildOptions::new().tag("web:1")).await;

    let target: Reference = format!("{}/team/web:1", fake_registry.host())
        .parse()
        .unwrap();
    let plain = SavePushOptions::new();
    let report = push_from_daemon(&engine, &registry, "web:1", &target, &plain)
        .await
        .unwrap();
    // Two layers and the config.
    assert_eq!((report.uploaded, report.skipped), (3, 0), "{report:?}");
    // Again: the registry has every blob, nothing goes up, the same manifest.
    let again = push_from_daemon(&engine, &registry, "web:1", &target, &plain)
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
    let (other, engine2, pulled) = pulled_into_a_new_fake(&registry, &target).await;
    assert_eq!(pulled.image_id, id);
    assert_eq!(pulled.tags, [target.familiar()]);
    let files = other.image_files(&target.familiar()).expect("loaded");
    assert_eq!(files["site/index.html"], b"hello");
    assert_eq!(files["etc/app.conf"], b"port=80");
    let inspect = engine2.image_inspect(&id).await.unwrap();
    assert_eq!(inspect.config.cmd, ["/app"]);
    let (_third, _, pulled) = pulled_into_a_new_fake(&registry, &gz).await;
    assert_eq!(pulled.image_id, id);

    // An image the daemon does not have.
    let err = push_from_daemon(&engine, &registry, "web:absent", &target, &plain)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, dockwright::Error::Swarm(e) if e.is_not_found()),
        "{err:?}"
    );
}
