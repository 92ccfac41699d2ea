//! Push from a `docker save` stream and pull into one, against the in-process registry: round
//! trips, skipping what the registry has (compressed re-push included), parallel gzip that any
//! gzip reader reads, and every way a stream can be bad failing before a manifest is written.

use std::io::Read;

use bytes::Bytes;
use futures_util::StreamExt;
use registry_client::Client;
use registry_client::Error;
use registry_client::digest::Digest;
use registry_client::image::{ImageBuilder, ImageConfig, Layer};
use registry_client::mock::MockRegistry;
use registry_client::reference::Reference;
use registry_client::save_pull::ArchiveOptions;
use registry_client::save_push::{ExpectedImage, SaveCompression, SavePushOptions};

/// A pseudo-random, incompressible-ish payload.
fn payload(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x & 0xff) as u8
        })
        .collect()
}

struct Fixture {
    registry: MockRegistry,
    client: Client,
    source: Reference,
    /// The source image as a docker save tar.
    save: Vec<u8>,
    expected: ExpectedImage,
    _dir: tempfile::TempDir,
}

/// A three-layer image (one of them 3 MiB) pushed to the mock, then pulled as a save tar.
async fn fixture() -> Fixture {
    let registry = MockRegistry::start().await;
    let client = Client::builder().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let built = ImageBuilder::new()
        .config(ImageConfig::new().cmd(["sh"]))
        .layer(Layer::new().bytes("a.txt", "a\n", 0o644))
        .layer(Layer::new().bytes("big.bin", payload(3 * 1024 * 1024 + 77, 7), 0o644))
        .layer(Layer::new().bytes("c.txt", "text ".repeat(100_000), 0o600))
        .ref_name("1")
        .build(dir.path().join("oci"))
        .unwrap();
    let source: Reference = format!("{}/src/app:1", registry.host()).parse().unwrap();
    client.push(&dir.path().join("oci"), &source).await.unwrap();
    let archive = client
        .pull_docker_archive(&source, &ArchiveOptions::new().tag("app:1"))
        .await
        .unwrap();
    let config = archive.config_digest().clone();
    let size = archive.size();
    let save: Vec<u8> = archive
        .map(|c| c.unwrap())
        .collect::<Vec<Bytes>>()
        .await
        .concat();
    assert_eq!(save.len() as u64, size, "announced size is exact");
    let diff_ids = built
        .layers
        .iter()
        .map(|l| l.diff_id.clone())
        .collect::<Vec<Digest>>();
    Fixture {
        registry,
        client,
        source,
        save,
        expected: ExpectedImage::new(config, diff_ids),
        _dir: dir,
    }
}

fn layers(m: &registry_client::manifests::RawManifest) -> Vec<oci_spec::image::Descriptor> {
    m.parse().unwrap().as_image().unwrap().layers().clone()
}

fn target(f: &Fixture, path: &str) -> Reference {
    format!("{}/{path}", f.registry.host()).parse().unwrap()
}

/// A reader handing out the bytes in small pieces, like a socket.
fn reader(bytes: Vec<u8>) -> impl tokio::io::AsyncRead + Send + Unpin {
    let (mut w, r) = tokio::io::duplex(64 * 1024);
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        let _ = w.write_all(&bytes).await;
    });
    r
}

#[tokio::test]
async fn the_save_format_is_what_docker_load_reads() {
    let f = fixture().await;
    let mut a = tar::Archive::new(f.save.as_slice());
    let names: Vec<String> = a
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string())
        .collect();
    assert_eq!(names.len(), 5);
    assert!(
        names[..3].iter().all(|n| n.ends_with("/layer.tar")),
        "{names:?}"
    );
    assert_eq!(names[3], format!("{}.json", f.expected.config.hex()));
    assert_eq!(names[4], "manifest.json", "manifest.json last");
    // It reads back with the archive reader too (same image).
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("s.tar"), &f.save).unwrap();
    let img = registry_client::image::DockerArchive::open(d.path().join("s.tar"))
        .unwrap()
        .image(Some("app:1"))
        .unwrap();
    assert_eq!(img.config.digest, f.expected.config);
}

#[tokio::test]
async fn push_uncompressed_then_repush_skips_everything() {
    let f = fixture().await;
    let dst = target(&f, "dst/app:1");
    let opts = SavePushOptions::new().expected(f.expected.clone());
    let first = f
        .client
        .push_docker_save(reader(f.save.clone()), &dst, &opts)
        .await
        .unwrap();
    assert_eq!((first.uploaded, first.skipped), (4, 0), "{first:?}");
    // Uncompressed: the same manifest as the source's (same blobs, same media types).
    let src_m = f.client.get_manifest(&f.source).await.unwrap();
    let dst_m = f.client.get_manifest(&dst).await.unwrap();
    assert_eq!(first.digest, dst_m.digest);
    assert_eq!(layers(&src_m), layers(&dst_m));
    f.registry.clear_requests();
    let again = f
        .client
        .push_docker_save(reader(f.save.clone()), &dst, &opts)
        .await
        .unwrap();
    assert_eq!((again.uploaded, again.skipped), (0, 4), "{again:?}");
    assert_eq!(again.digest, first.digest);
    assert!(
        !f.registry
            .requests()
            .iter()
            .any(|r| r.method == "PATCH" || r.path.ends_with("/uploads/")),
        "nothing uploaded on a re-push"
    );
    // Without knowing the image ahead, everything is sent again (and still correct).
    let blind = f
        .client
        .push_docker_save(reader(f.save.clone()), &dst, &SavePushOptions::new())
        .await
        .unwrap();
    assert_eq!(blind.digest, first.digest);
    assert_eq!(blind.uploaded, 3, "layers sent, config found");
}

/// Layers spooled while an earlier one uploads, or uploaded one at a time without any disk:
/// the same image either way, and no spill file left behind.
#[tokio::test]
async fn one_upload_at_a_time_with_or_without_spooling() {
    let f = fixture().await;
    let client = Client::builder().concurrency(1).build().unwrap();
    let spill = tempfile::tempdir().unwrap();
    let src_m = f.client.get_manifest(&f.source).await.unwrap();
    for (path, limit) in [("spooled/app:1", 1 << 30), ("sequential/app:1", 0)] {
        let dst = target(&f, path);
        let opts = SavePushOptions::new()
            .read_ahead(1)
            .spill_limit(limit)
            .spill_dir(spill.path());
        let r = client
            .push_docker_save(reader(f.save.clone()), &dst, &opts)
            .await
            .unwrap();
        assert_eq!(r.uploaded, 4, "{path}: {r:?}");
        let dst_m = client.get_manifest(&dst).await.unwrap();
        assert_eq!(layers(&src_m), layers(&dst_m), "{path}");
        assert_eq!(
            std::fs::read_dir(spill.path()).unwrap().count(),
            0,
            "{path}: spill files are unlinked"
        );
    }
    // A spill directory that cannot be written: an I/O error naming it if the push had to
    // spool, else success; never a manifest with a broken blob.
    let dst = target(&f, "nodir/app:1");
    let opts = SavePushOptions::new()
        .read_ahead(1)
        .spill_dir(spill.path().join("missing"));
    match client
        .push_docker_save(reader(f.save.clone()), &dst, &opts)
        .await
    {
        Ok(r) => assert_eq!(r.uploaded, 4),
        Err(e) => {
            assert!(e.to_string().contains("missing"), "{e}");
            assert!(f.registry.manifest("nodir/app", "1").is_none());
        }
    }
}

#[tokio::test]
async fn gzip_push_is_readable_and_a_compressed_repush_skips() {
    let f = fixture().await;
    let dst = target(&f, "gz/app:1");
    let opts = SavePushOptions::new()
        .expected(f.expected.clone())
        .compression(SaveCompression::gzip())
        .workers(3);
    let first = f
        .client
        .push_docker_save(reader(f.save.clone()), &dst, &opts)
        .await
        .unwrap();
    assert_eq!(first.uploaded, 4);
    let m = f.client.get_manifest(&dst).await.unwrap();
    let gz_layers = layers(&m);
    let src = f.client.get_manifest(&f.source).await.unwrap();
    for (gz, plain) in gz_layers.iter().zip(layers(&src)) {
        assert_eq!(
            gz.media_type().to_string(),
            "application/vnd.oci.image.layer.v1.tar+gzip"
        );
        let blob = f
            .registry
            .blob("gz/app", gz.digest().as_ref())
            .expect("blob stored");
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(blob.as_slice())
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(Digest::sha256_of(&out).as_str(), plain.digest().as_ref());
    }
    // The compressed text layer shrank.
    assert!(gz_layers[2].size() < layers(&src)[2].size() / 4);
    f.registry.clear_requests();
    let again = f
        .client
        .push_docker_save(reader(f.save.clone()), &dst, &opts)
        .await
        .unwrap();
    assert_eq!((again.uploaded, again.skipped), (0, 4), "{again:?}");
    assert_eq!(again.digest, first.digest, "same manifest");
    assert!(!f.registry.requests().iter().any(|r| r.method == "PATCH"));
    // Another repository of the same registry: blobs are mounted, not sent.
    let other = target(&f, "other/app:1");
    let mounted = f
        .client
        .push_docker_save(
            reader(f.save.clone()),
            &other,
            &opts.clone().reuse_from(dst.clone()),
        )
        .await
        .unwrap();
    assert_eq!(mounted.mounted, 3, "{mounted:?}");
    assert_eq!(mounted.uploaded, 1, "only the config: {mounted:?}");
}

#[tokio::test]
async fn bad_streams_fail_before_any_manifest() {
    let f = fixture().await;
    let opts = SavePushOptions::new().expected(f.expected.clone());
    // Cut in the middle of the big layer.
    let dst = target(&f, "cut/app:1");
    let err = f
        .client
        .push_docker_save(reader(f.save[..f.save.len() / 2].to_vec()), &dst, &opts)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Archive(_)), "{err:?}");
    assert!(f.registry.manifest("cut/app", "1").is_none());
    // A flipped byte inside a layer: its content no longer matches the config's diff ID.
    let mut flipped = f.save.clone();
    flipped[2048 + 100] ^= 0x55;
    let dst = target(&f, "flip/app:1");
    let err = f
        .client
        .push_docker_save(reader(flipped.clone()), &dst, &SavePushOptions::new())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("the config says"), "{err}");
    assert!(f.registry.manifest("flip/app", "1").is_none());
    // Not a tar at all.
    let err = f
        .client
        .push_docker_save(reader(b"hello".repeat(200)), &dst, &opts)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Archive(_)), "{err:?}");
    // Several images named none: refused; named, fine.
    let two = f
        .client
        .push_docker_save(
            reader(f.save.clone()),
            &dst,
            &SavePushOptions::new().image("nope:1"),
        )
        .await
        .unwrap_err();
    assert!(two.to_string().contains("no image tagged nope:1"), "{two}");
    f.client
        .push_docker_save(
            reader(f.save.clone()),
            &dst,
            &SavePushOptions::new().image("app:1"),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_corrupt_blob_ends_the_pull_stream_before_manifest_json() {
    let f = fixture().await;
    let m = f.client.get_manifest(&f.source).await.unwrap();
    let big = layers(&m)[1].digest().to_string();
    f.registry.corrupt_blob(&big);
    let archive = f
        .client
        .pull_docker_archive(&f.source, &ArchiveOptions::new())
        .await
        .unwrap();
    let items: Vec<registry_client::Result<Bytes>> = archive.collect().await;
    let err = items
        .iter()
        .find_map(|i| i.as_ref().err())
        .expect("an error");
    assert!(matches!(err, Error::DigestMismatch { .. }), "{err:?}");
    assert!(items.last().unwrap().is_err(), "nothing after the error");
    let sent: Vec<u8> = items
        .iter()
        .filter_map(|i| i.as_ref().ok())
        .flat_map(|b| b.to_vec())
        .collect();
    assert!(
        !sent.windows(13).any(|w| w == b"manifest.json"),
        "manifest.json never sent"
    );
}
