//! Multi-platform images and deletes, one test body run on the in-process fake and on the real
//! registry of `scripts/test`: push an image index from an OCI layout, read it and its
//! children back, copy it to another repository, pull one platform, `delete_blob`, and
//! `delete_image` by tag.
#![cfg(feature = "mock")]

use registry_client::Client;
use registry_client::digest::Digest;
use registry_client::image::{ImageBuilder, ImageConfig, Layer, OciLayout};
use registry_client::mock::MockRegistry;
use registry_client::pull::Platform;
use registry_client::reference::Reference;

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

fn unique(tag: &str) -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "contract/{tag}-{:x}-{:x}",
        std::process::id(),
        t % 0xff_ffff
    )
}

/// A layout holding two single-layer images (linux/amd64 and linux/arm64) and an index over
/// both under the name `multi`; returns the layout dir and the two manifests' digests and
/// layer digests.
struct Multi {
    dir: tempfile::TempDir,
    amd64: (Digest, Digest),
    arm64: (Digest, Digest),
    index: Digest,
}

fn multi_platform_layout(salt: &str) -> Multi {
    let dir = tempfile::tempdir().unwrap();
    let mut built = Vec::new();
    for arch in ["amd64", "arm64"] {
        let b = ImageBuilder::new()
            .config(ImageConfig::new().platform("linux", arch).cmd(["/app"]))
            .layer(Layer::new().bytes("app", format!("{arch} {salt}"), 0o755))
            .ref_name(arch)
            .build(dir.path())
            .unwrap();
        built.push(b);
    }
    let entries: Vec<serde_json::Value> = built
        .iter()
        .zip(["amd64", "arm64"])
        .map(|(b, arch)| {
            serde_json::json!({
                "mediaType": OCI_MANIFEST,
                "digest": b.manifest_digest.as_str(),
                "size": b.manifest_size,
                "platform": {"os": "linux", "architecture": arch}
            })
        })
        .collect();
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": entries
    }))
    .unwrap();
    let index = OciLayout::open(dir.path())
        .unwrap()
        .put_manifest(&index, OCI_INDEX, Some("multi"))
        .unwrap();
    Multi {
        amd64: (
            built[0].manifest_digest.clone(),
            built[0].layers[0].digest.clone(),
        ),
        arm64: (
            built[1].manifest_digest.clone(),
            built[1].layers[0].digest.clone(),
        ),
        index,
        dir,
    }
}

async fn index_push_copy_pull_and_deletes(host: &str) {
    let c = Client::builder().build().unwrap();
    let m = multi_platform_layout(host);
    let src: Reference = format!("{host}/{}:multi", unique("index")).parse().unwrap();
    let dst: Reference = format!("{host}/{}:multi", unique("copy")).parse().unwrap();

    // Push: the index goes last, under the tag; both images by digest.
    let pushed = c.push(m.dir.path(), &src).await.unwrap();
    assert_eq!(pushed.digest, m.index);
    assert_eq!(pushed.uploaded, 4, "2 configs + 2 layers: {pushed:?}");
    let got = c.get_manifest(&src).await.unwrap();
    assert!(got.is_index(), "{}", got.media_type);
    assert_eq!(got.digest, m.index);
    let parsed = got.parse().unwrap();
    let platforms: Vec<String> = parsed
        .as_index()
        .expect("an index")
        .manifests()
        .iter()
        .map(|d| d.platform().as_ref().unwrap().architecture().to_string())
        .collect();
    assert_eq!(platforms, ["amd64", "arm64"]);
    for (child, layer) in [&m.amd64, &m.arm64] {
        let r = src.without_tag().with_digest(child.clone());
        assert_eq!(c.get_manifest(&r).await.unwrap().digest, *child);
        assert!(c.blob_exists(&src, layer).await.unwrap().is_some());
    }

    // Copy: the same index digest in the other repository, every blob there.
    let copied = c.copy(&src, &dst).await.unwrap();
    assert_eq!(copied.digest, m.index);
    assert_eq!(
        copied.uploaded + copied.mounted + copied.skipped,
        4,
        "{copied:?}"
    );
    assert_eq!(c.get_manifest(&dst).await.unwrap().digest, m.index);
    for (child, layer) in [&m.amd64, &m.arm64] {
        let r = dst.without_tag().with_digest(child.clone());
        assert!(c.head_manifest(&r).await.unwrap().is_some());
        assert!(c.blob_exists(&dst, layer).await.unwrap().is_some());
    }

    // Pull one platform out of the copy.
    let out = tempfile::tempdir().unwrap();
    let pulled = c
        .pull(
            &dst,
            out.path(),
            Some(&Platform::new("linux", "arm64", None)),
        )
        .await
        .unwrap();
    assert_eq!(pulled.digest, m.arm64.0);
    let missing = c
        .pull(
            &dst,
            out.path(),
            Some(&Platform::new("linux", "s390x", None)),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(missing, registry_client::Error::PlatformNotFound { .. }),
        "{missing}"
    );

    // delete_blob: gone from the source repository only; a second delete is refused.
    let layer = &m.amd64.1;
    c.delete_blob(&src, layer).await.unwrap();
    assert_eq!(c.blob_exists(&src, layer).await.unwrap(), None);
    assert!(c.blob_exists(&dst, layer).await.unwrap().is_some());
    let again = c.delete_blob(&src, layer).await.unwrap_err();
    assert_eq!(again.status(), Some(404), "{again}");

    // delete_image by tag: the index (and so the tag) goes; the children stay by digest.
    assert_eq!(c.delete_image(&dst).await.unwrap(), m.index);
    let gone = c.get_manifest(&dst).await.unwrap_err();
    assert_eq!(gone.status(), Some(404), "{gone}");
    let child = dst.without_tag().with_digest(m.arm64.0.clone());
    assert!(c.head_manifest(&child).await.unwrap().is_some());
    let unknown = c
        .delete_image(&dst.with_tag("nosuchtag").unwrap())
        .await
        .unwrap_err();
    assert_eq!(unknown.status(), Some(404), "{unknown}");
}

#[tokio::test]
async fn index_push_copy_pull_and_deletes_on_the_fake() {
    let registry = MockRegistry::start().await;
    index_push_copy_pull_and_deletes(&registry.host()).await;
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn index_push_copy_pull_and_deletes_on_the_real_registry() {
    let host = std::env::var("DOCKWRIGHT_TEST_REGISTRY")
        .expect("DOCKWRIGHT_TEST_REGISTRY is not set: run scripts/test");
    index_push_copy_pull_and_deletes(&host).await;
}
