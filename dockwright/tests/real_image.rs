//! Images between the real daemon and the real registry: an image built in the daemon is
//! pushed straight from its export (uncompressed and gzip, re-pushes skipping everything),
//! dockerd pulls it back and runs it as a container; our pull loads it into the daemon, and a
//! blob whose digest does not match leaves the daemon with nothing loaded or tagged.
//!
//! Ignored by default: `cargo test -p dockwright --test real_image -- --include-ignored` with
//! the servers of `scripts/test`.

mod common;

use std::process::Command;

use common::{ImageGuard, build_id, connect, env, pull, unique};
use dockwright::image::{pull_into_daemon, push_from_daemon};
use registry_client::image::{ImageBuilder, ImageConfig, Layer};
use registry_client::mock::MockRegistry;
use registry_client::reference::Reference;
use registry_client::save_pull::ArchiveOptions;
use registry_client::save_push::{SaveCompression, SavePushOptions};
use swarm_client::build::BuildOptions;
use swarm_client::images::RemoveOptions;

/// `docker run --rm --network none IMAGE ARGS…` on the test daemon: stdout.
fn run(image: &str, args: &[&str]) -> String {
    let out = Command::new("docker")
        .args([
            "-H",
            &env("DOCKWRIGHT_TEST_DOCKER_HOST"),
            "run",
            "--rm",
            "--network",
            "none",
            image,
        ])
        .args(args)
        .output()
        .expect("docker run");
    assert!(
        out.status.success(),
        "docker run {image}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn engine() -> swarm_client::Client {
    connect(&env("DOCKWRIGHT_TEST_DOCKER_HOST")).await
}

/// The busybox image in the open registry and in the daemon.
async fn base(engine: &swarm_client::Client, registry: &registry_client::Client) -> Reference {
    let dir = tempfile::tempdir().unwrap();
    example_images::busybox_image("/bin/busybox")
        .ref_name("1")
        .build(dir.path())
        .unwrap();
    let r: Reference = format!(
        "{}/dockwright-image/busybox:1",
        env("DOCKWRIGHT_TEST_REGISTRY")
    )
    .parse()
    .unwrap();
    registry.push(dir.path(), &r).await.unwrap();
    pull(engine, &r.to_string()).await;
    r
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn pushed_from_the_daemon_dockerd_pulls_and_runs_it() {
    let engine = engine().await;
    let registry = registry_client::Client::builder().build().unwrap();
    let base = base(&engine, &registry).await;
    let mut guard = ImageGuard(Vec::new());

    // An image of three layers built in the daemon: busybox, files, a RUN. `noise.bin` (2 MiB
    // of pseudo-random bytes) does not compress: gzip writes its blocks stored, and dockerd
    // must read those back.
    let ctx = tempfile::tempdir().unwrap();
    let stamp = unique("stamp");
    std::fs::write(ctx.path().join("hello.txt"), format!("hello {stamp}\n")).unwrap();
    let mut x = 0x9e37_79b9_7f4a_7c15_u64 ^ stamp.len() as u64;
    let noise: Vec<u8> = (0..2 * 1024 * 1024 / 8)
        .flat_map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()
        })
        .collect();
    std::fs::write(ctx.path().join("noise.bin"), &noise).unwrap();
    let noise_sum = registry_client::digest::Digest::sha256_of(&noise);
    std::fs::write(
        ctx.path().join("Dockerfile"),
        format!("FROM {base}\nCOPY hello.txt noise.bin /\nRUN echo built > /built\n"),
    )
    .unwrap();
    let local = format!("dockwright-image/{}:1", unique("app"));
    guard.0.push(local.clone());
    let opts = BuildOptions::new().tag(&local).network_mode("none");
    let id = build_id(&engine, ctx.path(), &opts).await;
    guard.0.push(id.clone());

    let reg = env("DOCKWRIGHT_TEST_REGISTRY");
    let repo = unique("pushed");
    let plain: Reference = format!("{reg}/dockwright-image/{repo}:plain")
        .parse()
        .unwrap();
    let gz: Reference = format!("{reg}/dockwright-image/{repo}:gz").parse().unwrap();

    // Uncompressed; the busybox layer is mounted from the base's repository.
    let opts = SavePushOptions::new().reuse_from(base.clone());
    let first = push_from_daemon(&engine, &registry, &local, &plain, &opts)
        .await
        .unwrap();
    assert_eq!((first.mounted, first.uploaded), (1, 3), "{first:?}");
    let again = push_from_daemon(&engine, &registry, &local, &plain, &opts)
        .await
        .unwrap();
    assert_eq!(again.uploaded, 0, "{again:?}");
    assert_eq!(again.digest, first.digest);

    // Gzip; its re-push skips everything too.
    let gz_opts = SavePushOptions::new().compression(SaveCompression::gzip());
    let zipped = push_from_daemon(&engine, &registry, &local, &gz, &gz_opts)
        .await
        .unwrap();
    // Three compressed layers sent; the config is the one the plain push sent.
    assert_eq!((zipped.uploaded, zipped.skipped), (3, 1), "{zipped:?}");
    let rezipped = push_from_daemon(&engine, &registry, &local, &gz, &gz_opts)
        .await
        .unwrap();
    assert_eq!(
        (rezipped.uploaded, rezipped.skipped),
        (0, 4),
        "{rezipped:?}"
    );
    assert_eq!(rezipped.digest, zipped.digest);

    // dockerd pulls both and runs them: the same image ID as built.
    for r in [&plain, &gz] {
        guard.0.push(r.to_string());
        let out = pull(&engine, &r.to_string()).await;
        assert!(out.digest.is_some(), "{out:?}");
        assert_eq!(engine.image_inspect(&r.to_string()).await.unwrap().id, id);
    }
    // Gone from the daemon, pulled from the registry, run.
    engine
        .image_remove(&id, &RemoveOptions::new().force(true))
        .await
        .unwrap();
    pull(&engine, &gz.to_string()).await;
    assert_eq!(engine.image_inspect(&gz.to_string()).await.unwrap().id, id);
    assert_eq!(
        run(&gz.to_string(), &["cat", "/hello.txt", "/built"]),
        format!("hello {stamp}\nbuilt\n")
    );
    assert_eq!(
        run(&gz.to_string(), &["busybox", "sha256sum", "/noise.bin"]),
        format!("{}  /noise.bin\n", noise_sum.hex())
    );

    // An image the daemon does not have: the daemon's own error.
    let err = push_from_daemon(
        &engine,
        &registry,
        "dockwright-image/absent:1",
        &plain,
        &opts,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, dockwright::Error::Swarm(e) if e.is_not_found()),
        "{err:?}"
    );
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn pulled_into_the_daemon_verified_and_nothing_tagged_on_a_mismatch() {
    let engine = engine().await;
    let registry = registry_client::Client::builder().build().unwrap();
    let mut guard = ImageGuard(Vec::new());
    let reg = env("DOCKWRIGHT_TEST_REGISTRY");

    // An image only the registry has (unique content, so a new image ID).
    let dir = tempfile::tempdir().unwrap();
    let stamp = unique("pull");
    let built = example_images::busybox_image("/bin/busybox")
        .layer(Layer::new().bytes("stamp.txt", format!("{stamp}\n"), 0o644))
        .ref_name("1")
        .build(dir.path().join("oci"))
        .unwrap();
    let r: Reference = format!("{reg}/dockwright-image/{stamp}:1").parse().unwrap();
    registry.push(&dir.path().join("oci"), &r).await.unwrap();
    guard.0.push(r.familiar());
    guard.0.push(built.config_digest.to_string());

    let pulled = pull_into_daemon(&registry, &engine, &r, &ArchiveOptions::new())
        .await
        .unwrap();
    assert_eq!(pulled.image_id, built.config_digest.to_string());
    assert_eq!(pulled.tags, [r.familiar()]);
    assert_eq!(
        engine.image_inspect(&r.to_string()).await.unwrap().id,
        pulled.image_id
    );
    assert_eq!(
        run(&r.to_string(), &["cat", "/stamp.txt"]),
        format!("{stamp}\n")
    );

    // A registry that serves a corrupt layer: the load is cut, nothing is loaded or tagged.
    let fake = MockRegistry::start().await;
    let dir2 = tempfile::tempdir().unwrap();
    let bad_stamp = unique("corrupt");
    let bad = ImageBuilder::new()
        .config(ImageConfig::new().cmd(["sh"]))
        .layer(Layer::new().bytes("x.bin", vec![7u8; 3 << 20], 0o644))
        .layer(Layer::new().bytes("stamp.txt", bad_stamp.clone(), 0o644))
        .ref_name("1")
        .build(dir2.path())
        .unwrap();
    let bad_ref: Reference = format!("{}/dockwright-image/{bad_stamp}:1", fake.host())
        .parse()
        .unwrap();
    registry.push(dir2.path(), &bad_ref).await.unwrap();
    fake.corrupt_blob(bad.layers[1].digest.as_str());
    guard.0.push(bad_ref.familiar());
    guard.0.push(bad.config_digest.to_string());
    let err = pull_into_daemon(&registry, &engine, &bad_ref, &ArchiveOptions::new())
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            dockwright::Error::Registry(registry_client::Error::DigestMismatch { .. })
        ),
        "{err:?}"
    );
    assert!(
        engine
            .image_inspect(&bad_ref.to_string())
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(
        engine
            .image_inspect(bad.config_digest.as_str())
            .await
            .unwrap_err()
            .is_not_found()
    );
}
