//! Contract tests: the same checks run against the real registry of `scripts/test`
//! (ignored by default) and against `registry_client::mock::MockRegistry`, so the fake stays
//! faithful to Debian's registry 2.8. Any difference is a failing test.
#![cfg(feature = "mock")]

use registry_client::mock::MockRegistry;
use sdk_core::test_server::{TestClient, TestResponse as Resp};
use serde_json::json;
use sha2::{Digest as _, Sha256};

const NEEDS: &str = "needs real servers: run scripts/test";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// What the checks run against.
enum Target {
    Real {
        host: String,
        auth: Option<(String, String)>,
    },
    Mock {
        registry: MockRegistry,
        auth: Option<(String, String)>,
    },
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run scripts/test (it starts the real servers)")
    })
}

impl Target {
    fn real() -> Self {
        Self::Real {
            host: env("DOCKWRIGHT_TEST_REGISTRY"),
            auth: None,
        }
    }

    fn real_auth() -> Self {
        Self::Real {
            host: env("DOCKWRIGHT_TEST_AUTH_REGISTRY"),
            auth: Some((
                env("DOCKWRIGHT_TEST_REGISTRY_USER"),
                env("DOCKWRIGHT_TEST_REGISTRY_PASSWORD"),
            )),
        }
    }

    async fn mock() -> Self {
        Self::Mock {
            registry: MockRegistry::start().await,
            auth: None,
        }
    }

    async fn mock_auth() -> Self {
        let (user, pass) = ("contract-user".to_owned(), "contract-pass-3f9".to_owned());
        let registry = MockRegistry::builder()
            .basic_auth(user.clone(), pass.clone())
            .start()
            .await;
        Self::Mock {
            registry,
            auth: Some((user, pass)),
        }
    }

    fn auth(&self) -> Option<&(String, String)> {
        match self {
            Self::Real { auth, .. } | Self::Mock { auth, .. } => auth.as_ref(),
        }
    }

    fn host(&self) -> String {
        match self {
            Self::Real { host, .. } => host.clone(),
            Self::Mock { registry, .. } => registry.host(),
        }
    }

    /// Sends a request to `path_or_url` (absolute URLs are used as they are), with the
    /// target's credentials when it has some.
    async fn send(
        &self,
        method: &str,
        path_or_url: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Resp {
        let mut all: Vec<(&str, String)> =
            headers.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        if let Some((u, p)) = self.auth() {
            all.push(("Authorization", basic(u, p)));
        }
        let refs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
        TestClient::new(&self.host())
            .expect("test client")
            .send(method, path_or_url, &refs, &body)
            .await
            .expect("request failed")
    }
}

fn basic(user: &str, pass: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    )
}

/// The tags of a tags-list reply, sorted (registry 2.8 lists them in directory order).
fn sorted_tags(r: &Resp) -> Vec<String> {
    let mut v: Vec<String> =
        serde_json::from_value(r.json().expect("JSON body")["tags"].clone()).expect("tags array");
    v.sort();
    v
}

fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn unique_repo(what: &str) -> String {
    let n: u64 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos() as u64;
    format!("mocktest/{what}-{:x}{:x}", n, std::process::id())
}

/// Uploads `bytes` as a blob of `repo` with POST + PATCH + PUT; returns the digest.
async fn push_blob(t: &Target, repo: &str, bytes: &[u8]) -> String {
    let d = digest(bytes);
    let r = t
        .send("POST", &format!("/v2/{repo}/blobs/uploads/"), &[], vec![])
        .await;
    assert_eq!(r.status, 202);
    let loc = r.header("location").expect("Location");
    let r = t
        .send(
            "PATCH",
            &loc,
            &[("content-type", "application/octet-stream")],
            bytes.to_vec(),
        )
        .await;
    assert_eq!(r.status, 202);
    let loc = r.header("location").expect("Location");
    let sep = if loc.contains('?') { '&' } else { '?' };
    let r = t
        .send(
            "PUT",
            &format!("{loc}{sep}digest={d}"),
            &[("content-type", "application/octet-stream")],
            vec![],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    d
}

/// Pushes a config + one layer + an OCI manifest tagged `tag`; returns (manifest bytes, digest).
async fn push_image(t: &Target, repo: &str, tag: &str, layer: &[u8]) -> (Vec<u8>, String) {
    let config = br#"{"architecture":"amd64","os":"linux"}"#;
    let c = push_blob(t, repo, config).await;
    let l = push_blob(t, repo, layer).await;
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": c, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": l, "size": layer.len()}],
    }))
    .expect("json");
    let r = t
        .send(
            "PUT",
            &format!("/v2/{repo}/manifests/{tag}"),
            &[("content-type", OCI_MANIFEST)],
            manifest.clone(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let d = digest(&manifest);
    assert_eq!(r.header("docker-content-digest"), Some(d.clone()));
    assert!(
        r.header("location")
            .expect("Location")
            .ends_with(&format!("/v2/{repo}/manifests/{d}"))
    );
    (manifest, d)
}

async fn ping(t: Target) {
    let r = t.send("GET", "/v2/", &[], vec![]).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("docker-distribution-api-version").as_deref(),
        Some("registry/2.0")
    );
    assert_eq!(r.json().expect("JSON body"), json!({}));
}

async fn basic_auth_challenge(t: Target) {
    let Some((user, _)) = t.auth().cloned() else {
        panic!("auth target expected")
    };
    let host = t.host();
    let anonymous = TestClient::new(&host)
        .expect("test client")
        .send("GET", "/v2/", &[], b"")
        .await
        .expect("send");
    assert_eq!(anonymous.status, 401);
    let challenge = anonymous
        .header("www-authenticate")
        .expect("WWW-Authenticate");
    assert!(challenge.starts_with("Basic realm=\""), "{challenge}");
    assert_eq!(anonymous.oci_error_code(), "UNAUTHORIZED");
    let wrong = TestClient::new(&host)
        .expect("test client")
        .send(
            "GET",
            "/v2/",
            &[("Authorization", &basic(&user, "wrong-password"))],
            b"",
        )
        .await
        .expect("send");
    assert_eq!(wrong.status, 401);
    let tags = TestClient::new(&host)
        .expect("test client")
        .send("GET", "/v2/some/repo/tags/list", &[], b"")
        .await
        .expect("send");
    assert_eq!(tags.status, 401);
    // With the right credentials everything works.
    let r = t.send("GET", "/v2/", &[], vec![]).await;
    assert_eq!(r.status, 200);
    let repo = unique_repo("auth");
    push_image(&t, &repo, "v1", b"auth layer").await;
}

async fn blob_upload_and_fetch(t: Target) {
    let repo = unique_repo("blob");
    let data = b"hello, registry".to_vec();
    let d = digest(&data);
    let r = t
        .send("POST", &format!("/v2/{repo}/blobs/uploads/"), &[], vec![])
        .await;
    assert_eq!(r.status, 202);
    assert_eq!(r.header("range").as_deref(), Some("0-0"));
    let uuid = r.header("docker-upload-uuid").expect("Docker-Upload-UUID");
    let loc = r.header("location").expect("Location");
    assert!(
        loc.contains(&format!("/v2/{repo}/blobs/uploads/{uuid}")),
        "{loc}"
    );
    assert_eq!(r.body.len(), 0);

    let r = t
        .send(
            "PATCH",
            &loc,
            &[("content-type", "application/octet-stream")],
            data[..5].to_vec(),
        )
        .await;
    assert_eq!(r.status, 202);
    assert_eq!(r.header("range").as_deref(), Some("0-4"));
    let loc = r.header("location").expect("Location");
    let r = t
        .send(
            "PATCH",
            &loc,
            &[
                ("content-type", "application/octet-stream"),
                ("content-range", "5-14"),
            ],
            data[5..].to_vec(),
        )
        .await;
    assert_eq!(r.status, 202);
    assert_eq!(r.header("range").as_deref(), Some("0-14"));
    let loc = r.header("location").expect("Location");

    let r = t.send("GET", &loc, &[], vec![]).await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header("range").as_deref(), Some("0-14"));
    assert_eq!(r.header("docker-upload-uuid"), Some(uuid.clone()));

    let zero = format!("sha256:{}", "0".repeat(64));
    let r = t
        .send(
            "PUT",
            &format!("{loc}&digest={zero}"),
            &[("content-type", "application/octet-stream")],
            vec![],
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.oci_error_code(), "DIGEST_INVALID");

    let r = t
        .send(
            "PUT",
            &format!("{loc}&digest={d}"),
            &[("content-type", "application/octet-stream")],
            vec![],
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.header("docker-content-digest"), Some(d.clone()));
    assert!(
        r.header("location")
            .expect("Location")
            .ends_with(&format!("/v2/{repo}/blobs/{d}"))
    );

    let r = t
        .send("HEAD", &format!("/v2/{repo}/blobs/{d}"), &[], vec![])
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length").as_deref(), Some("15"));
    assert_eq!(r.header("docker-content-digest"), Some(d.clone()));
    assert_eq!(r.header("accept-ranges").as_deref(), Some("bytes"));
    assert!(r.body.is_empty());

    let r = t
        .send("GET", &format!("/v2/{repo}/blobs/{d}"), &[], vec![])
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, data);
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/octet-stream")
    );

    let r = t
        .send(
            "GET",
            &format!("/v2/{repo}/blobs/{d}"),
            &[("range", "bytes=7-14")],
            vec![],
        )
        .await;
    assert_eq!(r.status, 206);
    assert_eq!(r.header("content-range").as_deref(), Some("bytes 7-14/15"));
    assert_eq!(r.body, b"registry");

    // The upload is gone once finished.
    let r = t.send("GET", &loc, &[], vec![]).await;
    assert_eq!(r.status, 404);

    // Delete, then it is unknown.
    let r = t
        .send("DELETE", &format!("/v2/{repo}/blobs/{d}"), &[], vec![])
        .await;
    assert_eq!(r.status, 202);
    let r = t
        .send("GET", &format!("/v2/{repo}/blobs/{d}"), &[], vec![])
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.oci_error_code(), "BLOB_UNKNOWN");
}

async fn upload_state_is_required(t: Target) {
    let repo = unique_repo("state");
    let r = t
        .send("POST", &format!("/v2/{repo}/blobs/uploads/"), &[], vec![])
        .await;
    let loc = r.header("location").expect("Location");
    let bare = loc.split('?').next().expect("url").to_owned();
    let r = t
        .send(
            "PATCH",
            &bare,
            &[("content-type", "application/octet-stream")],
            b"abc".to_vec(),
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.oci_error_code(), "BLOB_UPLOAD_INVALID");
    // A stale state (before a PATCH) is refused too.
    let r = t
        .send(
            "PATCH",
            &loc,
            &[("content-type", "application/octet-stream")],
            b"abc".to_vec(),
        )
        .await;
    assert_eq!(r.status, 202);
    let r = t
        .send(
            "PATCH",
            &loc,
            &[("content-type", "application/octet-stream")],
            b"def".to_vec(),
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.oci_error_code(), "BLOB_UPLOAD_INVALID");
}

async fn monolithic_post_is_ignored(t: Target) {
    let repo = unique_repo("mono");
    let data = b"one shot".to_vec();
    let d = digest(&data);
    let r = t
        .send(
            "POST",
            &format!("/v2/{repo}/blobs/uploads/?digest={d}"),
            &[("content-type", "application/octet-stream")],
            data,
        )
        .await;
    assert_eq!(
        r.status, 202,
        "registry 2.8 starts an upload and ignores the body"
    );
    assert_eq!(r.header("range").as_deref(), Some("0-0"));
    let r = t
        .send("HEAD", &format!("/v2/{repo}/blobs/{d}"), &[], vec![])
        .await;
    assert_eq!(r.status, 404);
}

async fn manifests(t: Target) {
    let repo = unique_repo("man");
    let (manifest, d) = push_image(&t, &repo, "v1", b"layer one").await;

    // By tag with the OCI Accept header; by digest with none.
    let r = t
        .send(
            "GET",
            &format!("/v2/{repo}/manifests/v1"),
            &[("accept", OCI_MANIFEST)],
            vec![],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, manifest);
    assert_eq!(r.header("content-type").as_deref(), Some(OCI_MANIFEST));
    assert_eq!(r.header("docker-content-digest"), Some(d.clone()));
    let r = t
        .send(
            "GET",
            &format!("/v2/{repo}/manifests/{d}"),
            &[("accept", OCI_MANIFEST)],
            vec![],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, manifest);
    let r = t
        .send(
            "HEAD",
            &format!("/v2/{repo}/manifests/v1"),
            &[("accept", OCI_MANIFEST)],
            vec![],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length"), Some(manifest.len().to_string()));
    assert_eq!(r.header("docker-content-digest"), Some(d.clone()));
    assert!(r.body.is_empty());

    // Registry 2.8 hides an OCI manifest fetched by tag without the OCI Accept type.
    let r = t
        .send("GET", &format!("/v2/{repo}/manifests/v1"), &[], vec![])
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.oci_error_code(), "MANIFEST_UNKNOWN");

    // Second tag on the same manifest, tags list, unknown tag.
    let r = t
        .send(
            "PUT",
            &format!("/v2/{repo}/manifests/v2"),
            &[("content-type", OCI_MANIFEST)],
            manifest.clone(),
        )
        .await;
    assert_eq!(r.status, 201);
    let r = t
        .send("GET", &format!("/v2/{repo}/tags/list"), &[], vec![])
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json().expect("JSON body")["name"], json!(repo));
    assert_eq!(sorted_tags(&r), ["v1", "v2"]);
    let r = t
        .send(
            "GET",
            &format!("/v2/{repo}/manifests/nope"),
            &[("accept", OCI_MANIFEST)],
            vec![],
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json().expect("JSON body")["errors"][0],
        json!({"code": "MANIFEST_UNKNOWN", "message": "manifest unknown", "detail": {"Tag": "nope"}})
    );

    // PUT by digest that does not match.
    let zero = format!("sha256:{}", "1".repeat(64));
    let r = t
        .send(
            "PUT",
            &format!("/v2/{repo}/manifests/{zero}"),
            &[("content-type", OCI_MANIFEST)],
            manifest.clone(),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.oci_error_code(), "DIGEST_INVALID");

    // Delete by tag is refused by 2.8; by digest removes the manifest and its tags.
    let r = t
        .send("DELETE", &format!("/v2/{repo}/manifests/v1"), &[], vec![])
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.oci_error_code(), "DIGEST_INVALID");
    let r = t
        .send("DELETE", &format!("/v2/{repo}/manifests/{d}"), &[], vec![])
        .await;
    assert_eq!(r.status, 202);
    let r = t
        .send(
            "GET",
            &format!("/v2/{repo}/manifests/{d}"),
            &[("accept", OCI_MANIFEST)],
            vec![],
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.oci_error_code(), "MANIFEST_UNKNOWN");
    let r = t
        .send("DELETE", &format!("/v2/{repo}/manifests/{d}"), &[], vec![])
        .await;
    assert_eq!(r.status, 404);
    let r = t
        .send("GET", &format!("/v2/{repo}/tags/list"), &[], vec![])
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json().expect("JSON body"),
        json!({"name": repo, "tags": null})
    );
}

async fn manifest_blob_unknown(t: Target) {
    let repo = unique_repo("mbu");
    let config = push_blob(&t, &repo, b"{}").await;
    let missing = format!("sha256:{}", "2".repeat(64));
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 2},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": missing, "size": 3}],
    }))
    .expect("json");
    let r = t
        .send(
            "PUT",
            &format!("/v2/{repo}/manifests/v1"),
            &[("content-type", OCI_MANIFEST)],
            manifest,
        )
        .await;
    assert_eq!(r.status, 400);
    let errors = r.json().expect("JSON body")["errors"].clone();
    assert_eq!(
        errors,
        json!([{"code": "MANIFEST_BLOB_UNKNOWN", "message": "blob unknown to registry", "detail": missing}])
    );
}

async fn unknown_things(t: Target) {
    let repo = unique_repo("unknown");
    let d = format!("sha256:{}", "3".repeat(64));
    let r = t
        .send("GET", &format!("/v2/{repo}/blobs/{d}"), &[], vec![])
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json().expect("JSON body")["errors"][0],
        json!({"code": "BLOB_UNKNOWN", "message": "blob unknown to registry", "detail": d})
    );
    let r = t
        .send("HEAD", &format!("/v2/{repo}/blobs/{d}"), &[], vec![])
        .await;
    assert_eq!(r.status, 404);
    assert!(r.body.is_empty());
    let r = t
        .send("GET", &format!("/v2/{repo}/manifests/{d}"), &[], vec![])
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json().expect("JSON body")["errors"][0],
        json!({"code": "MANIFEST_UNKNOWN", "message": "manifest unknown", "detail": {"Name": repo, "Revision": d}})
    );
    let r = t
        .send("GET", &format!("/v2/{repo}/tags/list"), &[], vec![])
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json().expect("JSON body")["errors"][0],
        json!({"code": "NAME_UNKNOWN", "message": "repository name not known to registry", "detail": {"name": repo}})
    );
}

async fn cross_repo_mount(t: Target) {
    let src = unique_repo("mount-src");
    let dst = unique_repo("mount-dst");
    let d = push_blob(&t, &src, b"mount me").await;
    let r = t
        .send(
            "POST",
            &format!("/v2/{dst}/blobs/uploads/?mount={d}&from={src}"),
            &[],
            vec![],
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.header("docker-content-digest"), Some(d.clone()));
    assert!(
        r.header("location")
            .expect("Location")
            .ends_with(&format!("/v2/{dst}/blobs/{d}"))
    );
    let r = t
        .send("GET", &format!("/v2/{dst}/blobs/{d}"), &[], vec![])
        .await;
    assert_eq!(r.body, b"mount me");
    // Mount of a blob the source does not have: an ordinary upload starts.
    let other = format!("sha256:{}", "4".repeat(64));
    let r = t
        .send(
            "POST",
            &format!("/v2/{dst}/blobs/uploads/?mount={other}&from={src}"),
            &[],
            vec![],
        )
        .await;
    assert_eq!(r.status, 202);
    assert!(
        r.header("location")
            .expect("Location")
            .contains("/blobs/uploads/")
    );
}

async fn tags_are_not_paginated(t: Target) {
    let repo = unique_repo("tags");
    let (manifest, _) = push_image(&t, &repo, "a", b"tags layer").await;
    for tag in ["b", "c"] {
        let r = t
            .send(
                "PUT",
                &format!("/v2/{repo}/manifests/{tag}"),
                &[("content-type", OCI_MANIFEST)],
                manifest.clone(),
            )
            .await;
        assert_eq!(r.status, 201);
    }
    // Registry 2.8 lists tags in directory order (unspecified), so compare them sorted.
    let sorted = |r: &Resp| {
        let mut v: Vec<String> =
            serde_json::from_value(r.json().expect("JSON body")["tags"].clone())
                .expect("tags array");
        v.sort();
        v
    };
    let r = t
        .send("GET", &format!("/v2/{repo}/tags/list?n=1"), &[], vec![])
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(sorted(&r), ["a", "b", "c"]);
    assert_eq!(r.header("link"), None);
    let r = t
        .send(
            "GET",
            &format!("/v2/{repo}/tags/list?n=1&last=a"),
            &[],
            vec![],
        )
        .await;
    assert_eq!(sorted(&r), ["a", "b", "c"]);
}

macro_rules! contract {
    ($name:ident, $check:ident, $real:expr, $mock:expr) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn mock() {
                $check($mock.await).await;
            }
            #[tokio::test]
            #[ignore = "needs real servers: run scripts/test"]
            async fn real() {
                let _ = NEEDS;
                $check($real).await;
            }
        }
    };
}

contract!(ping_contract, ping, Target::real(), Target::mock());
contract!(
    basic_auth_contract,
    basic_auth_challenge,
    Target::real_auth(),
    Target::mock_auth()
);
contract!(
    blob_contract,
    blob_upload_and_fetch,
    Target::real(),
    Target::mock()
);
contract!(
    upload_state_contract,
    upload_state_is_required,
    Target::real(),
    Target::mock()
);
contract!(
    monolithic_post_contract,
    monolithic_post_is_ignored,
    Target::real(),
    Target::mock()
);
contract!(manifest_contract, manifests, Target::real(), Target::mock());
contract!(
    manifest_blob_unknown_contract,
    manifest_blob_unknown,
    Target::real(),
    Target::mock()
);
contract!(
    unknown_contract,
    unknown_things,
    Target::real(),
    Target::mock()
);
contract!(
    mount_contract,
    cross_repo_mount,
    Target::real(),
    Target::mock()
);
contract!(
    tags_contract,
    tags_are_not_paginated,
    Target::real(),
    Target::mock()
);
