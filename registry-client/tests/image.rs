//! ImageBuilder / OciLayout / DockerArchive tests. skopeo (installed on the dev machines and in
//! CI) validates what we write; it only reads local files here (`oci:` / `docker-archive:`).

use registry_client::digest::Digest;
use registry_client::image::{
    Compression, DockerArchive, ImageBuilder, ImageConfig, ImageError, Layer, OciLayout,
    media_types,
};
use serde_json::Value;
use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::Command;

fn skopeo(args: &[&str]) -> String {
    let out = Command::new("skopeo")
        .args(args)
        .output()
        .expect("skopeo must be installed (apt-get install skopeo)");
    assert!(
        out.status.success(),
        "skopeo {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn skopeo_inspect_oci(dir: &Path, name: &str) -> Value {
    let target = format!("oci:{}:{name}", dir.display());
    serde_json::from_str(&skopeo(&["inspect", &target])).unwrap()
}

/// A source tree with a file, an executable, a nested dir and a symlink.
fn source_tree(root: &Path) {
    fs::create_dir_all(root.join("www/sub")).unwrap();
    fs::write(root.join("www/index.html"), b"<h1>hello</h1>\n").unwrap();
    fs::write(root.join("www/sub/run.sh"), b"#!/bin/sh\necho hi\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(
            root.join("www/sub/run.sh"),
            fs::Permissions::from_mode(0o750),
        )
        .unwrap();
        std::os::unix::fs::symlink("index.html", root.join("www/link.html")).unwrap();
    }
}

fn sample_builder(src: &Path, compression: Compression) -> ImageBuilder {
    ImageBuilder::new()
        .config(
            ImageConfig::new()
                .entrypoint(["/bin/sh", "-c"])
                .cmd(["echo hi"])
                .env("PATH", "/bin")
                .env("MODE", "test")
                .working_dir("/www")
                .user("0:0")
                .expose("8080")
                .label("org.example.k", "v")
                .platform("linux", "amd64"),
        )
        .layer(
            Layer::new()
                .dir(src.join("www"), "/srv/www")
                .bytes("etc/motd", "hi\n", 0o644)
                .symlink("bin/sh", "busybox")
                .mkdir("tmp", 0o1777)
                .compression(compression),
        )
        .layer(Layer::new().bytes("second/file.txt", vec![7u8; 100_000], 0o600))
        .ref_name("v1")
}

fn blob_bytes(layout: &Path, d: &Digest) -> Vec<u8> {
    fs::read(layout.join("blobs/sha256").join(d.hex())).unwrap()
}

#[test]
fn build_is_valid_deterministic_and_diff_ids_are_right() {
    let tmp = tempfile::tempdir().unwrap();
    source_tree(tmp.path());
    let a = sample_builder(tmp.path(), Compression::Gzip)
        .build(tmp.path().join("a"))
        .unwrap();
    let b = sample_builder(tmp.path(), Compression::Gzip)
        .build(tmp.path().join("b"))
        .unwrap();
    assert_eq!(
        a.manifest_digest, b.manifest_digest,
        "same input, same digests"
    );
    assert_eq!(a.layers, b.layers);

    // gzip layer: digest is of the compressed blob, diff_id of the decompressed tar.
    let l0 = &a.layers[0];
    assert_eq!(l0.media_type, media_types::OCI_LAYER_GZIP);
    assert_ne!(l0.digest, l0.diff_id);
    let blob = blob_bytes(&a.layout_dir, &l0.digest);
    assert_eq!(Digest::sha256_of(&blob), l0.digest);
    assert_eq!(blob.len() as u64, l0.size);
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(&blob[..])
        .read_to_end(&mut raw)
        .unwrap();
    assert_eq!(Digest::sha256_of(&raw), l0.diff_id);
    assert_eq!(raw.len() as u64, l0.uncompressed_size);
    // uncompressed layer: digest == diff_id.
    let l1 = &a.layers[1];
    assert_eq!(l1.media_type, media_types::OCI_LAYER);
    assert_eq!(l1.digest, l1.diff_id);

    // Tar content: sorted, parents added, modes kept, mtime 0, symlinks kept.
    let mut ar = tar::Archive::new(&raw[..]);
    let mut seen = Vec::new();
    for e in ar.entries().unwrap() {
        let e = e.unwrap();
        let h = e.header();
        assert_eq!(h.mtime().unwrap(), 0);
        assert_eq!(h.uid().unwrap(), 0);
        let path = e.path().unwrap().to_string_lossy().into_owned();
        let link = e
            .link_name()
            .unwrap()
            .map(|l| l.to_string_lossy().into_owned());
        seen.push((path, h.mode().unwrap(), link));
    }
    let names: Vec<&str> = seen.iter().map(|(p, _, _)| p.as_str()).collect();
    assert_eq!(
        names,
        [
            "bin/",
            "bin/sh",
            "etc/",
            "etc/motd",
            "srv/",
            "srv/www/",
            "srv/www/index.html",
            "srv/www/link.html",
            "srv/www/sub/",
            "srv/www/sub/run.sh",
            "tmp/",
        ]
    );
    let find = |n: &str| seen.iter().find(|(p, _, _)| p == n).unwrap().clone();
    assert_eq!(find("srv/www/sub/run.sh").1, 0o750);
    assert_eq!(find("tmp/").1, 0o1777);
    assert_eq!(find("bin/sh").2.as_deref(), Some("busybox"));
    assert_eq!(find("srv/www/link.html").2.as_deref(), Some("index.html"));

    // Config has the diff_ids and settings.
    let cfg: Value = serde_json::from_slice(&blob_bytes(&a.layout_dir, &a.config_digest)).unwrap();
    assert_eq!(cfg["rootfs"]["diff_ids"][0], l0.diff_id.as_str());
    assert_eq!(cfg["rootfs"]["diff_ids"][1], l1.diff_id.as_str());
    assert_eq!(
        cfg["config"]["Env"],
        serde_json::json!(["PATH=/bin", "MODE=test"])
    );
    assert_eq!(
        cfg["config"]["ExposedPorts"],
        serde_json::json!({"8080/tcp": {}})
    );
    // ... and parses with oci-spec.
    let parsed: oci_spec::image::ImageConfiguration =
        serde_json::from_slice(&blob_bytes(&a.layout_dir, &a.config_digest)).unwrap();
    assert_eq!(parsed.rootfs().diff_ids().len(), 2);

    // skopeo agrees on digest and layers.
    let info = skopeo_inspect_oci(&a.layout_dir, "v1");
    assert_eq!(info["Digest"], a.manifest_digest.as_str());
    let layers: Vec<String> = a.layers.iter().map(|l| l.digest.to_string()).collect();
    assert_eq!(info["Layers"], serde_json::json!(layers));
    assert_eq!(info["Env"], serde_json::json!(["PATH=/bin", "MODE=test"]));
    assert_eq!(info["Architecture"], "amd64");

    // No temp files left behind.
    for e in fs::read_dir(a.layout_dir.join("blobs/sha256")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.starts_with(".tmp"), "left over {name}");
    }
}

#[test]
fn layout_reader_resolves_and_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    source_tree(tmp.path());
    let dir = tmp.path().join("layout");
    let built = sample_builder(tmp.path(), Compression::None)
        .build(&dir)
        .unwrap();
    // A second image in the same layout under another name.
    let other = ImageBuilder::new()
        .layer(Layer::new().bytes("x", "y", 0o644))
        .ref_name("other")
        .build(&dir)
        .unwrap();
    let layout = OciLayout::open(&dir).unwrap();
    assert_eq!(layout.ref_names().unwrap(), ["v1", "other"]);
    let img = layout.image(Some("v1")).unwrap();
    assert_eq!(img.manifest.digest, built.manifest_digest);
    assert_eq!(
        Digest::sha256_of(&img.manifest.bytes),
        built.manifest_digest
    );
    assert_eq!(img.manifest.media_type, media_types::OCI_MANIFEST);
    assert_eq!(img.config.digest, built.config_digest);
    assert_eq!(img.layers.len(), 2);
    for b in img.blobs() {
        b.verify().unwrap();
    }
    let parsed = img.manifest.parse().unwrap();
    let m = parsed.as_image().expect("an image manifest");
    assert_eq!(m.layers().len(), 2);
    assert!(matches!(
        layout.image(None),
        Err(ImageError::Ambiguous { count: 2, .. })
    ));
    assert!(matches!(
        layout.image(Some("nope")),
        Err(ImageError::NotFound(_))
    ));
    assert_eq!(
        layout.image(Some("other")).unwrap().manifest.digest,
        other.manifest_digest
    );
    // Rebuilding "v1" replaces the entry instead of adding one.
    sample_builder(tmp.path(), Compression::None)
        .build(&dir)
        .unwrap();
    assert_eq!(OciLayout::open(&dir).unwrap().ref_names().unwrap().len(), 2);
    // index.json parses with oci-spec.
    assert_eq!(layout.index().unwrap().manifests().len(), 2);

    // A corrupted layer is caught by verify().
    let victim = layout.blob_path(&img.layers[1].digest);
    let mut bytes = fs::read(&victim).unwrap();
    bytes[600] ^= 0xff;
    fs::write(&victim, bytes).unwrap();
    assert!(matches!(
        img.layers[1].verify(),
        Err(ImageError::DigestMismatch(_))
    ));
}

#[test]
fn writing_blobs_verifies_digests() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(tmp.path().join("pull")).unwrap();
    let data = vec![42u8; 3_000_000];
    let d = Digest::sha256_of(&data);
    let loc = layout.write_blob_streaming(&d, &data[..]).unwrap();
    assert_eq!(loc.size, 3_000_000);
    assert!(layout.has_blob(&d));
    let wrong = Digest::sha256_of(b"something else");
    let err = layout
        .write_blob_streaming(&wrong, &data[..10])
        .unwrap_err();
    assert!(matches!(err, ImageError::DigestMismatch(_)), "{err}");
    assert!(!layout.has_blob(&wrong));
    let leftovers: Vec<_> = fs::read_dir(tmp.path().join("pull/blobs/sha256"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
    // put_manifest writes index.json entries that OciLayout::image can resolve.
    let cfg_bytes = b"{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
    let cfg = layout.write_blob_bytes(cfg_bytes).unwrap();
    let manifest = format!(
        "{{\"schemaVersion\":2,\"mediaType\":\"{}\",\"config\":{{\"mediaType\":\"{}\",\"digest\":\"{cfg}\",\"size\":{}}},\"layers\":[{{\"mediaType\":\"{}\",\"digest\":\"{d}\",\"size\":3000000}}]}}",
        media_types::OCI_MANIFEST,
        media_types::OCI_CONFIG,
        cfg_bytes.len(),
        media_types::OCI_LAYER
    );
    let md = layout
        .put_manifest(
            manifest.as_bytes(),
            media_types::OCI_MANIFEST,
            Some("pulled"),
        )
        .unwrap();
    let img = layout.image(Some("pulled")).unwrap();
    assert_eq!(img.manifest.digest, md);
    assert_eq!(img.manifest.bytes, manifest.as_bytes());
    assert_eq!(img.layers[0].digest, d);
}

#[test]
fn bad_inputs_are_typed_errors_and_leave_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("l");
    let err = ImageBuilder::new()
        .layer(Layer::new().file(tmp.path().join("missing"), "x"))
        .build(&dir)
        .unwrap_err();
    match &err {
        ImageError::Io { path, .. } => assert!(path.ends_with("missing")),
        other => panic!("unexpected {other}"),
    }
    let err = ImageBuilder::new()
        .layer(Layer::new().bytes("../etc/passwd", "x", 0o644))
        .build(&dir)
        .unwrap_err();
    assert!(matches!(err, ImageError::InvalidPath { .. }), "{err}");
    assert_eq!(OciLayout::open(&dir).unwrap().ref_names().unwrap().len(), 0);
    assert_eq!(fs::read_dir(dir.join("blobs/sha256")).unwrap().count(), 0);
    assert!(matches!(
        OciLayout::open(tmp.path()),
        Err(ImageError::InvalidLayout(_))
    ));
}

#[test]
fn tar_layers_are_copied() {
    let tmp = tempfile::tempdir().unwrap();
    let tar_path = tmp.path().join("in.tar");
    {
        let mut b = tar::Builder::new(fs::File::create(&tar_path).unwrap());
        let mut h = tar::Header::new_gnu();
        h.set_size(5);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, "hello.txt", &b"hello"[..]).unwrap();
        b.finish().unwrap();
    }
    let tar_bytes = fs::read(&tar_path).unwrap();
    let built = ImageBuilder::new()
        .layer(Layer::from_tar(&tar_path))
        .layer(Layer::from_tar(&tar_path).gzip())
        .build(tmp.path().join("l"))
        .unwrap();
    assert_eq!(built.layers[0].digest, Digest::sha256_of(&tar_bytes));
    assert_eq!(built.layers[1].diff_id, Digest::sha256_of(&tar_bytes));
    assert_ne!(built.layers[1].digest, built.layers[1].diff_id);
    // A gzip input is stored decompressed in an uncompressed layer.
    let gz_path = tmp.path().join("in.tar.gz");
    let gz = fs::read(
        built
            .layout_dir
            .join("blobs/sha256")
            .join(built.layers[1].digest.hex()),
    )
    .unwrap();
    fs::write(&gz_path, gz).unwrap();
    let again = ImageBuilder::new()
        .layer(Layer::from_tar(&gz_path))
        .build(tmp.path().join("l2"))
        .unwrap();
    assert_eq!(again.layers[0].digest, Digest::sha256_of(&tar_bytes));
}

#[test]
fn busybox_image_is_valid() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("bb");
    let built = example_images::busybox_image("/bin/busybox")
        .ref_name("latest")
        .build(&dir)
        .unwrap();
    let info = skopeo_inspect_oci(&dir, "latest");
    assert_eq!(info["Digest"], built.manifest_digest.as_str());
    let blob = fs::read(dir.join("blobs/sha256").join(built.layers[0].digest.hex())).unwrap();
    let mut ar = tar::Archive::new(&blob[..]);
    let mut names = Vec::new();
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        if name == "bin/busybox" {
            let mut content = Vec::new();
            e.read_to_end(&mut content).unwrap();
            assert_eq!(content, fs::read("/bin/busybox").unwrap());
            assert_eq!(e.header().mode().unwrap(), 0o755);
        }
        if name == "bin/sh" {
            assert_eq!(e.link_name().unwrap().unwrap().to_str(), Some("busybox"));
        }
        names.push(name);
    }
    for want in ["bin/busybox", "bin/sh", "bin/httpd", "bin/sleep"] {
        assert!(names.iter().any(|n| n == want), "{want} missing: {names:?}");
    }
    // Deterministic across builds.
    let again = example_images::busybox_image("/bin/busybox")
        .ref_name("latest")
        .build(tmp.path().join("bb2"))
        .unwrap();
    assert_eq!(again.manifest_digest, built.manifest_digest);
}

#[test]
fn nginx_image_from_host_is_valid() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nginx");
    let built = example_images::nginx_image_from_host("/usr/sbin/nginx", "/bin/busybox")
        .unwrap()
        .ref_name("latest")
        .build(&dir)
        .unwrap();
    let info = skopeo_inspect_oci(&dir, "latest");
    assert_eq!(info["Digest"], built.manifest_digest.as_str());
    let blob = fs::read(dir.join("blobs/sha256").join(built.layers[0].digest.hex())).unwrap();
    let mut ar = tar::Archive::new(&blob[..]);
    let names: Vec<String> = ar
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
        .collect();
    for want in [
        "usr/sbin/nginx",
        "lib64/ld-linux-x86-64.so.2",
        "etc/passwd",
        "etc/group",
        "etc/nginx/nginx.conf",
        "etc/nginx/conf.d/",
        "bin/sh",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} missing: {names:?}");
    }
    assert!(names.iter().any(|n| n.contains("libc.so")), "{names:?}");
}

#[test]
fn docker_archive_from_skopeo_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("bb");
    let built = example_images::busybox_image("/bin/busybox")
        .layer(Layer::new().bytes("etc/hostname", "box\n", 0o644).gzip())
        .ref_name("latest")
        .build(&dir)
        .unwrap();
    let archive = tmp.path().join("save.tar");
    skopeo(&[
        "copy",
        "-q",
        &format!("oci:{}:latest", dir.display()),
        &format!("docker-archive:{}:regref/busybox:t1", archive.display()),
    ]);
    let ar = DockerArchive::open(&archive).unwrap();
    assert_eq!(ar.repo_tags(), ["docker.io/regref/busybox:t1"]);
    let img = ar.image(Some("regref/busybox:t1")).unwrap();
    // Same image via the familiar/normalised name, and as the only image.
    assert_eq!(ar.image(Some("docker.io/regref/busybox:t1")).unwrap(), img);
    assert_eq!(ar.image(None).unwrap(), img);
    assert!(matches!(
        ar.image(Some("other:tag")),
        Err(ImageError::NotFound(_))
    ));
    // Layers are stored uncompressed: their digests are the built image's diff_ids.
    let diff_ids: Vec<Digest> = built.layers.iter().map(|l| l.diff_id.clone()).collect();
    let got: Vec<Digest> = img.layers.iter().map(|l| l.digest.clone()).collect();
    assert_eq!(got, diff_ids);
    for b in img.blobs() {
        b.verify().unwrap();
    }
    assert_eq!(Digest::sha256_of(&img.manifest.bytes), img.manifest.digest);
    let parsed = img.manifest.parse().unwrap();
    let m = parsed.as_image().expect("an image manifest");
    assert_eq!(m.layers().len(), 2);
    assert_eq!(
        m.config().digest().to_string(),
        img.config.digest.to_string()
    );
    // The config's diff_ids match the layer digests.
    let cfg: Value = serde_json::from_slice(&img.config.read_verified(1 << 20).unwrap()).unwrap();
    let ids: Vec<String> = diff_ids.iter().map(ToString::to_string).collect();
    assert_eq!(cfg["rootfs"]["diff_ids"], serde_json::json!(ids));
}

#[test]
fn gzip_archive_is_refused_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("x.tar.gz");
    fs::write(&p, [0x1f, 0x8b, 0, 0]).unwrap();
    let err = DockerArchive::open(&p).unwrap_err();
    assert!(err.to_string().contains("gzip"), "{err}");
}

fn registry() -> String {
    std::env::var("DOCKWRIGHT_TEST_REGISTRY")
        .expect("DOCKWRIGHT_TEST_REGISTRY is not set: run scripts/test (real servers needed)")
}

/// The layout is valid for a real registry: skopeo pushes it unchanged and reports the same
/// manifest digest from the registry.
#[test]
#[ignore = "needs real servers: run scripts/test"]
fn busybox_layout_pushes_to_real_registry() {
    let reg = registry();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("bb");
    let built = example_images::busybox_image("/bin/busybox")
        .ref_name("latest")
        .build(&dir)
        .unwrap();
    let tag = format!("t{}", std::process::id());
    let dest = format!("docker://{reg}/regref-test/busybox-push:{tag}");
    let _cleanup = RegistryDeleteGuard(dest.clone());
    skopeo(&[
        "copy",
        "-q",
        "--preserve-digests",
        "--dest-tls-verify=false",
        &format!("oci:{}:latest", dir.display()),
        &dest,
    ]);
    let info: Value =
        serde_json::from_str(&skopeo(&["inspect", "--tls-verify=false", &dest])).unwrap();
    assert_eq!(info["Digest"], built.manifest_digest.as_str());
    let layers: Vec<String> = built.layers.iter().map(|l| l.digest.to_string()).collect();
    assert_eq!(info["Layers"], serde_json::json!(layers));
}

/// The docker ≥ 25 `docker save` layout: an OCI layout (index.json, blobs/sha256) plus a
/// manifest.json whose Config/Layers point into blobs/. The stored manifest is used unchanged.
#[test]
fn docker_archive_with_oci_layout_uses_stored_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("oci");
    let built = example_images::busybox_image("/bin/busybox")
        .ref_name("latest")
        .build(&dir)
        .unwrap();
    let save_manifest = serde_json::json!([{
        "Config": format!("blobs/sha256/{}", built.config_digest.hex()),
        "RepoTags": ["regref/busybox:latest"],
        "Layers": built.layers.iter().map(|l| format!("blobs/sha256/{}", l.digest.hex())).collect::<Vec<_>>(),
    }]);
    let archive = tmp.path().join("save.tar");
    {
        let mut b = tar::Builder::new(fs::File::create(&archive).unwrap());
        b.append_dir_all(".", &dir).unwrap();
        let bytes = serde_json::to_vec(&save_manifest).unwrap();
        let mut h = tar::Header::new_ustar();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, "manifest.json", &bytes[..]).unwrap();
        // The classic per-layer directory as a symlink into blobs/, like docker writes.
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        b.append_link(
            &mut h,
            "abc/layer.tar",
            format!("../blobs/sha256/{}", built.layers[0].digest.hex()),
        )
        .unwrap();
        b.finish().unwrap();
    }
    let ar = DockerArchive::open(&archive).unwrap();
    let err = ar.image(Some("regref/busybox:other")).unwrap_err();
    assert!(
        matches!(err, ImageError::NotFound(_)),
        "tag must match: {err}"
    );
    assert_eq!(
        ar.image(Some("regref/busybox")).unwrap().manifest.digest,
        built.manifest_digest,
        "no tag means latest"
    );
    let img = ar.image(Some("regref/busybox:latest")).unwrap();
    assert_eq!(img.manifest.digest, built.manifest_digest);
    assert_eq!(
        img.manifest.bytes,
        fs::read(dir.join("blobs/sha256").join(built.manifest_digest.hex())).unwrap()
    );
    assert_eq!(img.config.digest, built.config_digest);
    assert_eq!(img.layers[0].digest, built.layers[0].digest);
    assert_eq!(img.layers[0].path, archive);
    assert!(img.layers[0].offset > 0);
    for b in img.blobs() {
        b.verify().unwrap();
    }
}

/// Deletes a manifest from the test registry when dropped (each test uses its own repository,
/// since a delete removes every tag of the manifest's digest).
struct RegistryDeleteGuard(String);

impl Drop for RegistryDeleteGuard {
    fn drop(&mut self) {
        let _ = Command::new("skopeo")
            .args(["delete", "--tls-verify=false", &self.0])
            .output();
    }
}

/// Removes a docker image when dropped.
struct RmiGuard {
    host: String,
    image: String,
}

impl Drop for RmiGuard {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["-H", &self.host, "rmi", "-f", &self.image])
            .output();
    }
}

/// What dockerd pulls from the registry and `docker save`s is read back with the same layers.
#[test]
#[ignore = "needs real servers: run scripts/test"]
fn docker_save_of_pushed_busybox_is_read() {
    let reg = registry();
    let host = std::env::var("DOCKWRIGHT_TEST_DOCKER_HOST")
        .expect("DOCKWRIGHT_TEST_DOCKER_HOST is not set: run scripts/test (real servers needed)");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("bb");
    let built = example_images::busybox_image("/bin/busybox")
        .ref_name("latest")
        .build(&dir)
        .unwrap();
    let tag = format!(
        "save{}-{}",
        std::process::id(),
        built.manifest_digest.hex().get(..8).unwrap()
    );
    let image = format!("{reg}/regref-test/busybox-save:{tag}");
    let _cleanup = RegistryDeleteGuard(format!("docker://{image}"));
    skopeo(&[
        "copy",
        "-q",
        "--preserve-digests",
        "--dest-tls-verify=false",
        &format!("oci:{}:latest", dir.display()),
        &format!("docker://{image}"),
    ]);
    let _guard = RmiGuard {
        host: host.clone(),
        image: image.clone(),
    };
    let docker = |args: &[&str]| {
        let out = Command::new("docker")
            .args(["-H", &host])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "docker {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    docker(&["pull", "-q", &image]);
    let archive = tmp.path().join("save.tar");
    docker(&["save", "-o", archive.to_str().unwrap(), &image]);
    let ar = DockerArchive::open(&archive).unwrap();
    let img = ar.image(Some(&image)).unwrap();
    assert_eq!(img.layers.len(), 1);
    assert_eq!(img.layers[0].digest, built.layers[0].diff_id);
    for b in img.blobs() {
        b.verify().unwrap();
    }
}

#[test]
fn long_paths_and_link_targets_survive() {
    let tmp = tempfile::tempdir().unwrap();
    let long_dir = "d".repeat(90);
    let long_name = format!("{long_dir}/{}", "f".repeat(120));
    let long_target = format!("../{}", "t".repeat(150));
    let built = ImageBuilder::new()
        .layer(
            Layer::new()
                .bytes(long_name.as_str(), "x", 0o644)
                .symlink("l", long_target.as_str()),
        )
        .build(tmp.path().join("l"))
        .unwrap();
    let blob = fs::read(
        tmp.path()
            .join("l/blobs/sha256")
            .join(built.layers[0].digest.hex()),
    )
    .unwrap();
    let mut ar = tar::Archive::new(&blob[..]);
    let mut got = Vec::new();
    for e in ar.entries().unwrap() {
        let e = e.unwrap();
        got.push((
            e.path().unwrap().to_string_lossy().into_owned(),
            e.link_name()
                .unwrap()
                .map(|l| l.to_string_lossy().into_owned()),
        ));
    }
    assert_eq!(
        got,
        vec![
            (format!("{long_dir}/"), None),
            (long_name.clone(), None),
            ("l".to_owned(), Some(long_target.clone())),
        ]
    );
}

#[tokio::test]
async fn async_blob_writer_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(tmp.path().join("l")).unwrap();
    let data = vec![9u8; 2_500_000];
    let d = Digest::sha256_of(&data);
    let mut w = layout.async_blob_writer().await.unwrap();
    for c in data.chunks(100_000) {
        w.write(c).await.unwrap();
    }
    assert_eq!(w.len(), 2_500_000);
    let loc = w.commit(&d).await.unwrap();
    assert_eq!(loc.size, 2_500_000);
    loc.verify().unwrap();

    let mut w = layout.async_blob_writer().await.unwrap();
    w.write(b"not it").await.unwrap();
    let wrong = Digest::sha256_of(b"other");
    assert!(matches!(
        w.commit(&wrong).await,
        Err(ImageError::DigestMismatch(_))
    ));
    assert!(!layout.has_blob(&wrong));
    assert_eq!(
        fs::read_dir(tmp.path().join("l/blobs/sha256"))
            .unwrap()
            .count(),
        1,
        "only the committed blob remains"
    );
}
