//! Real-registry tests (ignored by default; `scripts/test` runs them against the local registries).

use registry_client::digest::Digest;
use registry_client::reference::Reference;
use registry_client::{Client, Credentials, ErrorCode};
use std::path::Path;
use std::process::Command;

const IGNORE: &str = "needs real servers: run scripts/test";

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run scripts/test"))
}

fn suffix() -> String {
    format!("{:08x}", fastrand_like())
}

fn fastrand_like() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    h.finish() as u32
}

/// Writes a one-manifest OCI layout with a config and two random layers; returns the manifest bytes.
fn write_layout(dir: &Path, tag: &str) -> Vec<u8> {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| -> Digest {
        let d = Digest::sha256_of(bytes);
        std::fs::write(blobs.join(d.hex()), bytes).unwrap();
        d
    };
    let layers: Vec<(Digest, usize)> = (0..2)
        .map(|i| {
            let data: Vec<u8> = (0..(300_000 + i * 1000))
                .map(|j| ((j as u32).wrapping_mul(2654435761) >> 13) as u8 ^ fastrand_like() as u8)
                .collect();
            (put(&data), data.len())
        })
        .collect();
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["{}","{}"]}},"config":{{}}}}"#,
        layers[0].0, layers[1].0
    );
    let cd = put(config.as_bytes());
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{cd}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{}","size":{}}},{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{}","size":{}}}]}}"#,
        config.len(),
        layers[0].0,
        layers[0].1,
        layers[1].0,
        layers[1].1
    );
    let md = put(manifest.as_bytes());
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    std::fs::write(
        dir.join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{md}","size":{},"annotations":{{"org.opencontainers.image.ref.name":"{tag}"}}}}]}}"#,
            manifest.len()
        ),
    )
    .unwrap();
    manifest.into_bytes()
}

fn same_blobs(a: &Path, b: &Path) {
    let list = |d: &Path| {
        let mut v: Vec<_> = std::fs::read_dir(d.join("blobs/sha256"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        v.sort();
        v
    };
    assert_eq!(list(a), list(b));
    for name in list(a) {
        assert_eq!(
            std::fs::read(a.join("blobs/sha256").join(&name)).unwrap(),
            std::fs::read(b.join("blobs/sha256").join(&name)).unwrap()
        );
    }
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn push_pull_round_trip_tag_copy_tags_delete_open_registry() {
    let _ = IGNORE;
    let reg = env("DOCKWRIGHT_TEST_REGISTRY");
    let s = suffix();
    let src_dir = tempfile::tempdir().unwrap();
    let manifest = write_layout(src_dir.path(), "v1");
    let c = Client::builder().build().unwrap();
    let r = Reference::parse(&format!("{reg}/regclient-test-{s}/app:v1")).unwrap();
    let rep = c.push(src_dir.path(), &r).await.unwrap();
    assert_eq!(rep.digest, Digest::sha256_of(&manifest));
    assert_eq!(rep.uploaded, 3);
    // second push skips every blob
    let rep2 = c.push(src_dir.path(), &r).await.unwrap();
    assert_eq!((rep2.uploaded, rep2.skipped), (0, 3));

    let out = tempfile::tempdir().unwrap();
    let pulled = c.pull(&r, out.path(), None).await.unwrap();
    assert_eq!(pulled.digest, rep.digest);
    same_blobs(src_dir.path(), out.path());

    let d = c.tag(&r, "v2").await.unwrap();
    assert_eq!(d, rep.digest);
    let mut tags = c.list_tags(&r, None).await.unwrap();
    tags.sort();
    assert_eq!(tags, ["v1", "v2"]);

    // copy within the registry (mount) to another repository
    let dst = Reference::parse(&format!("{reg}/regclient-test-{s}/copy:c1")).unwrap();
    let cr = c.copy(&r, &dst).await.unwrap();
    assert_eq!(cr.digest, rep.digest);
    assert_eq!(cr.mounted, 3, "{cr:?}");
    assert_eq!(c.get_manifest(&dst).await.unwrap().bytes, manifest);

    // skopeo reads what we pushed
    let o = Command::new("skopeo")
        .args(["inspect", "--raw", "--tls-verify=false"])
        .arg(format!("docker://{reg}/regclient-test-{s}/app:v1"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.stdout, manifest);
    // ... and pulls it: every blob skopeo fetched (and digest-checked) is byte-identical.
    let sk = tempfile::tempdir().unwrap();
    let o = Command::new("skopeo")
        .args(["copy", "-q", "--preserve-digests", "--src-tls-verify=false"])
        .arg(format!("docker://{reg}/regclient-test-{s}/app:v1"))
        .arg(format!("oci:{}:v1", sk.path().display()))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    same_blobs(src_dir.path(), sk.path());

    // delete by digest
    let by_digest = r.without_tag().with_digest(rep.digest.clone());
    c.delete_manifest(&by_digest).await.unwrap();
    let err = c.get_manifest(&by_digest).await.unwrap_err();
    assert!(err.has_code(&ErrorCode::ManifestUnknown), "{err}");
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn what_skopeo_pushes_we_pull() {
    let reg = env("DOCKWRIGHT_TEST_REGISTRY");
    let s = suffix();
    let src = tempfile::tempdir().unwrap();
    write_layout(src.path(), "v1");
    let target = format!("{reg}/regclient-test-{s}/skopeo:v1");
    let o = Command::new("skopeo")
        .args(["copy", "--preserve-digests", "--dest-tls-verify=false"])
        .arg(format!("oci:{}:v1", src.path().display()))
        .arg(format!("docker://{target}"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let c = Client::builder().build().unwrap();
    let out = tempfile::tempdir().unwrap();
    c.pull(&Reference::parse(&target).unwrap(), out.path(), None)
        .await
        .unwrap();
    same_blobs(src.path(), out.path());
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn htpasswd_registry_needs_and_accepts_credentials() {
    let reg = env("DOCKWRIGHT_TEST_AUTH_REGISTRY");
    let user = env("DOCKWRIGHT_TEST_REGISTRY_USER");
    let pw = env("DOCKWRIGHT_TEST_REGISTRY_PASSWORD");
    let s = suffix();
    let src = tempfile::tempdir().unwrap();
    write_layout(src.path(), "v1");
    let r = Reference::parse(&format!("{reg}/regclient-test-{s}/auth:v1")).unwrap();
    let anon = Client::builder().build().unwrap();
    let err = anon.push(src.path(), &r).await.unwrap_err();
    assert_eq!(err.status(), Some(401), "{err}");
    let c = Client::builder()
        .credentials(&reg, Credentials::basic(user, pw.clone()))
        .build()
        .unwrap();
    c.push(src.path(), &r).await.unwrap();
    let out = tempfile::tempdir().unwrap();
    c.pull(&r, out.path(), None).await.unwrap();
    same_blobs(src.path(), out.path());
    // copy from the auth registry to the open one (streamed between registries)
    let open = env("DOCKWRIGHT_TEST_REGISTRY");
    let dst = Reference::parse(&format!("{open}/regclient-test-{s}/fromauth:v1")).unwrap();
    let rep = c.copy(&r, &dst).await.unwrap();
    assert_eq!(rep.uploaded, 3);
    assert!(!format!("{c:?}").contains(&pw));
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn push_blob_bytes_and_blob_exists_report_the_real_size() {
    let reg = env("DOCKWRIGHT_TEST_REGISTRY");
    let s = suffix();
    let r = Reference::parse(&format!("{reg}/regclient-test-{s}/blobs")).unwrap();
    let c = Client::builder().build().unwrap();
    let data = format!("a small blob {s} {}", "x".repeat(4000));
    let d = Digest::sha256_of(data.as_bytes());
    assert_eq!(c.blob_exists(&r, &d).await.unwrap(), None);
    c.push_blob_bytes(&r, &d, data.clone().into())
        .await
        .unwrap();
    assert_eq!(
        c.blob_exists(&r, &d).await.unwrap(),
        Some(data.len() as u64)
    );
    let back = c.blob_bytes(&r, &d, 1 << 20).await.unwrap();
    assert_eq!(back.as_ref(), data.as_bytes());
}

/// Builds the busybox preset image into `dir` (tag `v1`).
fn busybox_layout(dir: &Path) -> registry_client::image::BuiltImage {
    example_images::busybox_image("/bin/busybox")
        .ref_name("v1")
        .build(dir)
        .unwrap()
}

fn run(cmd: &mut Command) -> String {
    let o = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        o.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn push_from_a_docker_save_archive_and_pull_it_back() {
    let reg = env("DOCKWRIGHT_TEST_REGISTRY");
    let s = suffix();
    let tmp = tempfile::tempdir().unwrap();
    let built = busybox_layout(&tmp.path().join("oci"));
    let archive = tmp.path().join("busybox.tar");
    run(Command::new("skopeo")
        .arg("copy")
        .arg("-q")
        .arg(format!("oci:{}:v1", built.layout_dir.display()))
        .arg(format!("docker-archive:{}:busybox:v1", archive.display())));
    let r = Reference::parse(&format!("{reg}/regclient-test-{s}/fromarchive:v1")).unwrap();
    let c = Client::builder().build().unwrap();
    let rep = c.push(&archive, &r).await.unwrap();
    assert_eq!(rep.uploaded, 2, "{rep:?}"); // config + the one layer
    let out = tempfile::tempdir().unwrap();
    let pulled = c.pull(&r, out.path(), None).await.unwrap();
    assert_eq!(pulled.digest, rep.digest);
    // the layer bytes are the ones in the archive: the same digest as the layout's layer
    let img = registry_client::image::OciLayout::open(out.path())
        .unwrap()
        .image(Some("v1"))
        .unwrap();
    assert_eq!(img.layers.len(), 1);
    assert_eq!(img.layers[0].digest, built.layers[0].digest);
    img.layers[0].verify().unwrap();
    img.config.verify().unwrap();
    // and skopeo sees the same manifest digest
    let inspect = run(Command::new("skopeo")
        .args(["inspect", "--tls-verify=false", "--format", "{{.Digest}}"])
        .arg(format!("docker://{r}")));
    assert_eq!(inspect.trim(), rep.digest.as_str());
}

/// Removes a swarm service on drop, even when the test fails.
struct ServiceGuard {
    host: String,
    name: String,
}

impl Drop for ServiceGuard {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["-H", &self.host, "service", "rm", &self.name])
            .output();
    }
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn a_swarm_service_runs_the_image_we_pushed() {
    let reg = env("DOCKWRIGHT_TEST_REGISTRY");
    let docker = env("DOCKWRIGHT_TEST_DOCKER_HOST");
    let s = suffix();
    let tmp = tempfile::tempdir().unwrap();
    busybox_layout(tmp.path());
    let image = format!("{reg}/regclient-test-{s}/busybox:v1");
    let c = Client::builder().build().unwrap();
    let rep = c
        .push(tmp.path(), &Reference::parse(&image).unwrap())
        .await
        .unwrap();
    let name = format!("regclient-svc-{s}");
    let guard = ServiceGuard {
        host: docker.clone(),
        name: name.clone(),
    };
    run(Command::new("docker").args([
        "-H",
        &docker,
        "service",
        "create",
        "--detach",
        "--quiet",
        "--name",
        &name,
        "--network",
        "host",
        "--restart-condition",
        "none",
        "--stop-grace-period",
        "1s",
        &image,
        "sleep",
        "30",
    ]));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let states = loop {
        let states = run(Command::new("docker").args([
            "-H",
            &docker,
            "service",
            "ps",
            "--no-trunc",
            "--format",
            "{{.CurrentState}} {{.Error}}",
            &name,
        ]));
        if states.lines().any(|l| l.starts_with("Running")) {
            break states;
        }
        assert!(
            !states.contains("No such image") && !states.lines().any(|l| l.starts_with("Rejected")),
            "dockerd could not use the image: {states}"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "service never ran: {states}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    assert!(states.contains("Running"), "{states}");
    // the task runs the manifest we pushed (dockerd resolved the tag to our digest)
    let spec_image = run(Command::new("docker").args([
        "-H",
        &docker,
        "service",
        "inspect",
        "--format",
        "{{.Spec.TaskTemplate.ContainerSpec.Image}}",
        &name,
    ]));
    assert!(
        spec_image.trim().ends_with(&format!("@{}", rep.digest)),
        "{spec_image}"
    );
    drop(guard);
}
