//! Tests of `registry_client::mock` itself: the behaviour the contract suite cannot reach on
//! the real registry (bearer tokens and scopes, pagination mode, fault knobs, recording).
#![cfg(feature = "mock")]

use base64::Engine as _;
use registry_client::mock::{MockRegistry, write_credential_helper};
use sdk_core::test_server::{TestClient, TestResponse as Resp};
use serde_json::json;
use sha2::{Digest as _, Sha256};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn basic(user: &str, pass: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    )
}

async fn send(
    reg: &MockRegistry,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    TestClient::new(&reg.host())
        .expect("test client")
        .send(method, target, headers, body)
        .await
        .expect("request")
}

/// Monolithic upload through POST + PUT.
async fn upload(reg: &MockRegistry, repo: &str, data: &[u8], auth: &[(&str, &str)]) -> Resp {
    let r = send(
        reg,
        "POST",
        &format!("/v2/{repo}/blobs/uploads/"),
        auth,
        b"",
    )
    .await;
    assert_eq!(r.status, 202, "{}", r.text());
    let loc = r.header("location").expect("Location");
    send(
        reg,
        "PUT",
        &format!("{loc}&digest={}", digest(data)),
        auth,
        data,
    )
    .await
}

fn param(challenge: &str, key: &str) -> Option<String> {
    let start = challenge.find(&format!("{key}=\""))? + key.len() + 2;
    let end = challenge[start..].find('"')? + start;
    Some(challenge[start..end].to_owned())
}

#[tokio::test]
async fn push_and_pull_an_image_round_trip() {
    let reg = MockRegistry::start().await;
    let layer = b"layer bytes".to_vec();
    let config = br#"{"os":"linux"}"#.to_vec();
    assert_eq!(upload(&reg, "app/web", &layer, &[]).await.status, 201);
    assert_eq!(upload(&reg, "app/web", &config, &[]).await.status, 201);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest(&config), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest(&layer), "size": layer.len()}],
    }))
    .expect("json");
    let r = send(
        &reg,
        "PUT",
        "/v2/app/web/manifests/1.0",
        &[("Content-Type", OCI_MANIFEST)],
        &manifest,
    )
    .await;
    assert_eq!(r.status, 201);
    assert_eq!(reg.blob("app/web", &digest(&layer)), Some(layer.clone()));
    assert_eq!(reg.blob("other", &digest(&layer)), None);
    let stored = reg.manifest("app/web", "1.0").expect("stored");
    assert_eq!(stored.bytes, manifest);
    assert_eq!(stored.media_type, OCI_MANIFEST);
    assert_eq!(stored.digest, digest(&manifest));
    assert_eq!(reg.tags("app/web"), ["1.0"]);
    let r = send(
        &reg,
        "GET",
        &format!("/v2/app/web/blobs/{}", digest(&layer)),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.body, layer);
    let r = send(&reg, "GET", "/v2/_catalog", &[], b"").await;
    assert_eq!(
        r.json().expect("JSON body"),
        json!({"repositories": ["app/web"]})
    );
}

#[tokio::test]
async fn seeding_helpers_are_served() {
    let reg = MockRegistry::start().await;
    let d = reg.put_blob("seed", b"seeded".to_vec());
    let m = reg.put_manifest(
        "seed",
        Some("v1"),
        b"{\"schemaVersion\":2}".to_vec(),
        "application/vnd.docker.distribution.manifest.v2+json",
    );
    let r = send(&reg, "GET", &format!("/v2/seed/blobs/{d}"), &[], b"").await;
    assert_eq!(r.body, b"seeded");
    let r = send(&reg, "GET", "/v2/seed/manifests/v1", &[], b"").await;
    assert_eq!(r.status, 200, "Docker media types need no Accept header");
    assert_eq!(r.header("docker-content-digest"), Some(m));
}

#[tokio::test]
async fn digest_mismatch_is_digest_invalid() {
    let reg = MockRegistry::start().await;
    let r = send(&reg, "POST", "/v2/a/blobs/uploads/", &[], b"").await;
    let loc = r.header("location").expect("Location");
    let wrong = digest(b"something else");
    let r = send(
        &reg,
        "PUT",
        &format!("{loc}&digest={wrong}"),
        &[],
        b"payload",
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json().expect("JSON body")["errors"][0]["code"],
        "DIGEST_INVALID"
    );
    assert_eq!(
        r.json().expect("JSON body")["errors"][0]["detail"]["Digest"],
        json!(wrong)
    );
    assert_eq!(reg.blob("a", &wrong), None);
}

#[tokio::test]
async fn wrong_content_range_is_416() {
    let reg = MockRegistry::start().await;
    let r = send(&reg, "POST", "/v2/a/blobs/uploads/", &[], b"").await;
    let loc = r.header("location").expect("Location");
    let r = send(&reg, "PATCH", &loc, &[("Content-Range", "3-5")], b"abc").await;
    assert_eq!(r.status, 416);
    assert_eq!(r.header("range").as_deref(), Some("0-0"));
    let r = send(&reg, "PATCH", &loc, &[("Content-Range", "0-2")], b"abc").await;
    assert_eq!(r.status, 202);
    assert_eq!(r.header("range").as_deref(), Some("0-2"));
}

#[tokio::test]
async fn monolithic_post_mode_stores_the_blob() {
    let reg = MockRegistry::builder().monolithic_post(true).start().await;
    let d = digest(b"mono");
    let r = send(
        &reg,
        "POST",
        &format!("/v2/m/blobs/uploads/?digest={d}"),
        &[],
        b"mono",
    )
    .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.header("docker-content-digest"), Some(d.clone()));
    assert_eq!(reg.blob("m", &d), Some(b"mono".to_vec()));
    let r = send(
        &reg,
        "POST",
        &format!("/v2/m/blobs/uploads/?digest={d}"),
        &[],
        b"not mono",
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.oci_error_code(), "DIGEST_INVALID");
}

#[tokio::test]
async fn tags_pagination_mode_follows_link() {
    let reg = MockRegistry::builder().paginate_tags(true).start().await;
    for tag in ["a", "b", "c", "d", "e"] {
        reg.put_manifest(
            "p",
            Some(tag),
            format!("{{\"t\":\"{tag}\"}}").into_bytes(),
            OCI_MANIFEST,
        );
    }
    let mut seen = Vec::new();
    let mut next = Some("/v2/p/tags/list?n=2".to_owned());
    let mut pages = 0;
    while let Some(target) = next.take() {
        pages += 1;
        let r = send(&reg, "GET", &target, &[], b"").await;
        assert_eq!(r.status, 200);
        for t in r.json().expect("JSON body")["tags"]
            .as_array()
            .expect("tags")
        {
            seen.push(t.as_str().expect("str").to_owned());
        }
        next = r.header("link").map(|l| {
            assert!(l.ends_with("; rel=\"next\""), "{l}");
            l[l.find('<').expect("<") + 1..l.find('>').expect(">")].to_owned()
        });
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!(seen, ["a", "b", "c", "d", "e"]);
    assert_eq!(pages, 3);
    // Default mode ignores n.
    let plain = MockRegistry::start().await;
    plain.put_manifest("p", Some("a"), b"{}".to_vec(), OCI_MANIFEST);
    plain.put_manifest("p", Some("b"), b"{}".to_vec(), OCI_MANIFEST);
    let r = send(&plain, "GET", "/v2/p/tags/list?n=1", &[], b"").await;
    assert_eq!(r.json().expect("JSON body")["tags"], json!(["a", "b"]));
    assert_eq!(r.header("link"), None);
}

#[tokio::test]
async fn bearer_flow_checks_scopes() {
    let reg = MockRegistry::builder()
        .bearer_token_server("alice", "s3cret")
        .start()
        .await;
    // Unauthenticated: challenge with realm, service and scope.
    let r = send(&reg, "GET", "/v2/team/app/tags/list", &[], b"").await;
    assert_eq!(r.status, 401);
    let challenge = r.header("www-authenticate").expect("challenge");
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    let realm = param(&challenge, "realm").expect("realm");
    assert_eq!(realm, format!("{}/token", reg.url()));
    assert_eq!(
        param(&challenge, "service").as_deref(),
        Some("mock-registry")
    );
    assert_eq!(
        param(&challenge, "scope").as_deref(),
        Some("repository:team/app:pull")
    );

    // Wrong password: no token.
    let token_url = format!("{realm}?service=mock-registry&scope=repository:team/app:pull");
    let r = send(
        &reg,
        "GET",
        &token_url,
        &[("Authorization", &basic("alice", "nope"))],
        b"",
    )
    .await;
    assert_eq!(r.status, 401);
    let r = send(&reg, "GET", &token_url, &[], b"").await;
    assert_eq!(r.status, 401, "anonymous tokens are off by default");

    // A pull token reads but cannot push.
    let r = send(
        &reg,
        "GET",
        &token_url,
        &[("Authorization", &basic("alice", "s3cret"))],
        b"",
    )
    .await;
    assert_eq!(r.status, 200);
    let pull = format!(
        "Bearer {}",
        r.json().expect("JSON body")["token"]
            .as_str()
            .expect("token")
    );
    assert_eq!(
        r.json().expect("JSON body")["access"][0],
        json!({"type": "repository", "name": "team/app", "actions": ["pull"]})
    );
    let r = send(
        &reg,
        "GET",
        "/v2/team/app/tags/list",
        &[("Authorization", &pull)],
        b"",
    )
    .await;
    assert_eq!(
        r.status, 404,
        "authorized; the repository just does not exist"
    );
    let r = send(
        &reg,
        "POST",
        "/v2/team/app/blobs/uploads/",
        &[("Authorization", &pull)],
        b"",
    )
    .await;
    assert_eq!(r.status, 401);
    let challenge = r.header("www-authenticate").expect("challenge");
    assert_eq!(
        param(&challenge, "scope").as_deref(),
        Some("repository:team/app:pull,push")
    );
    assert_eq!(
        param(&challenge, "error").as_deref(),
        Some("insufficient_scope")
    );
    // Another repository is out of scope too.
    let r = send(
        &reg,
        "GET",
        "/v2/team/other/tags/list",
        &[("Authorization", &pull)],
        b"",
    )
    .await;
    assert_eq!(r.status, 401);

    // A pull,push token pushes.
    let push_url = format!("{realm}?service=mock-registry&scope=repository:team/app:pull,push");
    let r = send(
        &reg,
        "GET",
        &push_url,
        &[("Authorization", &basic("alice", "s3cret"))],
        b"",
    )
    .await;
    let push = format!(
        "Bearer {}",
        r.json().expect("JSON body")["token"]
            .as_str()
            .expect("token")
    );
    let r = upload(&reg, "team/app", b"blob", &[("Authorization", &push)]).await;
    assert_eq!(r.status, 201);
    // Forged tokens are refused.
    let r = send(
        &reg,
        "GET",
        "/v2/",
        &[("Authorization", "Bearer forged")],
        b"",
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(
        param(&r.header("www-authenticate").expect("c"), "error").as_deref(),
        Some("invalid_token")
    );
    // The recorded Authorization headers are redacted.
    let recorded = reg.requests();
    assert!(
        recorded
            .iter()
            .any(|q| q.header("authorization") == Some("Bearer <redacted>"))
    );
    assert!(
        recorded
            .iter()
            .any(|q| q.header("authorization") == Some("Basic <redacted>"))
    );
    let dump = format!("{recorded:?}");
    assert!(
        !dump.contains("s3cret") && !dump.contains(&basic("alice", "s3cret")[6..]),
        "secret leaked: {dump}"
    );
    assert!(!format!("{reg:?}").contains("s3cret"));
}

#[tokio::test]
async fn anonymous_pull_tokens() {
    let reg = MockRegistry::builder()
        .bearer_token_server("u", "p")
        .anonymous_pull(true)
        .start()
        .await;
    let r = send(
        &reg,
        "GET",
        "/token?service=mock-registry&scope=repository:x:pull,push",
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json().expect("JSON body")["access"][0]["actions"],
        json!(["pull"]),
        "anonymous gets pull only"
    );
}

#[tokio::test]
async fn basic_auth_mode() {
    let reg = MockRegistry::builder()
        .basic_auth("bob", "pw")
        .start()
        .await;
    let r = send(&reg, "GET", "/v2/", &[], b"").await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("www-authenticate").as_deref(),
        Some("Basic realm=\"mock-registry\"")
    );
    let r = send(
        &reg,
        "GET",
        "/v2/",
        &[("Authorization", &basic("bob", "pw"))],
        b"",
    )
    .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn fail_nth_with_retry_after() {
    let reg = MockRegistry::start().await;
    reg.fail_nth_with_retry_after(2, 429, 3);
    assert_eq!(send(&reg, "GET", "/v2/", &[], b"").await.status, 200);
    let r = send(&reg, "GET", "/v2/", &[], b"").await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after").as_deref(), Some("3"));
    assert_eq!(r.oci_error_code(), "TOOMANYREQUESTS");
    assert_eq!(send(&reg, "GET", "/v2/", &[], b"").await.status, 200);
    reg.fail_nth(1, 503);
    let r = send(&reg, "GET", "/v2/", &[], b"").await;
    assert_eq!(r.status, 503);
    assert_eq!(r.header("retry-after"), None);
}

#[tokio::test]
async fn drop_connection_truncates_the_body() {
    let reg = MockRegistry::start().await;
    let data = vec![7u8; 10_000];
    let d = reg.put_blob("big", data.clone());
    reg.drop_connection_nth(1);
    let r = send(&reg, "GET", &format!("/v2/big/blobs/{d}"), &[], b"").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length").as_deref(), Some("10000"));
    assert!(r.truncated, "body should be cut short");
    assert!(r.body.len() < data.len());
    // The next request is served normally.
    let r = send(&reg, "GET", &format!("/v2/big/blobs/{d}"), &[], b"").await;
    assert_eq!(r.body, data);
    assert!(!r.truncated);
}

#[tokio::test]
async fn corrupt_blob_serves_wrong_bytes() {
    let reg = MockRegistry::start().await;
    let d = reg.put_blob("c", b"good bytes".to_vec());
    reg.corrupt_blob(&d);
    let r = send(&reg, "GET", &format!("/v2/c/blobs/{d}"), &[], b"").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len(), 10);
    assert_ne!(digest(&r.body), d);
    assert_eq!(
        r.header("docker-content-digest"),
        Some(d.clone()),
        "it still claims the right digest"
    );
    assert_eq!(
        reg.blob("c", &d),
        Some(b"good bytes".to_vec()),
        "the stored blob is intact"
    );
}

#[tokio::test]
async fn requests_are_recorded_in_order() {
    let reg = MockRegistry::start().await;
    send(&reg, "GET", "/v2/", &[("User-Agent", "mock-test")], b"").await;
    send(&reg, "HEAD", "/v2/x/manifests/latest?q=1", &[], b"").await;
    let recorded = reg.requests();
    assert_eq!(recorded.len(), 2);
    assert_eq!(
        (recorded[0].method.as_str(), recorded[0].path.as_str()),
        ("GET", "/v2/")
    );
    assert_eq!(recorded[0].header("User-Agent"), Some("mock-test"));
    assert_eq!(
        (recorded[1].method.as_str(), recorded[1].query.as_str()),
        ("HEAD", "q=1")
    );
    reg.clear_requests();
    assert!(reg.requests().is_empty());
}

#[tokio::test]
async fn invalid_names_and_digests_are_rejected() {
    let reg = MockRegistry::start().await;
    let r = send(&reg, "GET", "/v2/Upper/tags/list", &[], b"").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.oci_error_code(), "NAME_INVALID");
    let r = send(&reg, "GET", "/v2/ok/blobs/sha256:xyz", &[], b"").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.oci_error_code(), "DIGEST_INVALID");
    let r = send(
        &reg,
        "PUT",
        "/v2/ok/manifests/v1",
        &[("Content-Type", OCI_MANIFEST)],
        b"{not json",
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.oci_error_code(), "MANIFEST_INVALID");
}

#[tokio::test]
async fn index_needs_its_manifests() {
    let reg = MockRegistry::start().await;
    let child = reg.put_manifest("i", None, b"{\"schemaVersion\":2}".to_vec(), OCI_MANIFEST);
    let missing = digest(b"missing");
    let index = |d: &str| {
        serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [{"mediaType": OCI_MANIFEST, "digest": d, "size": 1}]})).expect("json")
    };
    let r = send(
        &reg,
        "PUT",
        "/v2/i/manifests/multi",
        &[("Content-Type", "application/vnd.oci.image.index.v1+json")],
        &index(&missing),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.oci_error_code(), "MANIFEST_BLOB_UNKNOWN");
    let r = send(
        &reg,
        "PUT",
        "/v2/i/manifests/multi",
        &[("Content-Type", "application/vnd.oci.image.index.v1+json")],
        &index(&child),
    )
    .await;
    assert_eq!(r.status, 201);
}

#[tokio::test]
async fn dropping_the_registry_stops_it() {
    let reg = MockRegistry::start().await;
    let host = reg.host();
    assert_eq!(
        TestClient::new(&host)
            .expect("test client")
            .send("GET", "/v2/", &[], b"")
            .await
            .expect("up")
            .status,
        200
    );
    drop(reg);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert!(
        TestClient::new(&host)
            .expect("test client")
            .send("GET", "/v2/", &[], b"")
            .await
            .is_err(),
        "still serving after drop"
    );
}

#[test]
fn credential_helper_stand_in_speaks_the_protocol() {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_credential_helper(
        dir.path(),
        "mocktest",
        &[("127.0.0.1:5000", "carol", "pa$$ 'word\"")],
    )
    .expect("write");
    assert_eq!(path, dir.path());
    let run = |action: &str, input: &str| {
        let mut child = Command::new(dir.path().join("docker-credential-mocktest"))
            .arg(action)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write");
        let out = child.wait_with_output().expect("wait");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, out) = run("get", "127.0.0.1:5000\n");
    assert_eq!(code, Some(0));
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        v,
        json!({"ServerURL": "127.0.0.1:5000", "Username": "carol", "Secret": "pa$$ 'word\""})
    );
    let (code, out) = run("get", "other.example\n");
    assert_eq!(code, Some(1));
    assert_eq!(out.trim(), "credentials not found in native keychain");
    let (code, out) = run("list", "");
    assert_eq!(code, Some(0));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).expect("json"),
        json!({"127.0.0.1:5000": "carol"})
    );
    // store keeps state: a later get answers it, erase removes it.
    let (code, _) = run(
        "store",
        r#"{"ServerURL":"reg.example:5000","Username":"dave","Secret":"s3 cr\"et"}"#,
    );
    assert_eq!(code, Some(0));
    let (code, out) = run("get", "reg.example:5000\n");
    assert_eq!(code, Some(0));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).expect("json"),
        json!({"ServerURL": "reg.example:5000", "Username": "dave", "Secret": "s3 cr\"et"})
    );
    // a second store replaces the entry
    let (code, _) = run(
        "store",
        r#"{"ServerURL":"reg.example:5000","Username":"erin","Secret":"x"}"#,
    );
    assert_eq!(code, Some(0));
    let (_, out) = run("list", "");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).expect("json"),
        json!({"127.0.0.1:5000": "carol", "reg.example:5000": "erin"})
    );
    assert_eq!(run("erase", "reg.example:5000\n").0, Some(0));
    let (code, out) = run("get", "reg.example:5000\n");
    assert_eq!(
        (code, out.trim()),
        (Some(1), "credentials not found in native keychain")
    );
    let (code, out) = run("erase", "reg.example:5000\n");
    assert_eq!(
        (code, out.trim()),
        (Some(1), "credentials not found in native keychain")
    );
    let log =
        std::fs::read_to_string(dir.path().join("docker-credential-mocktest.log")).expect("log");
    assert_eq!(
        log.lines().collect::<Vec<_>>(),
        [
            "get 127.0.0.1:5000",
            "get other.example",
            "list",
            "store reg.example:5000",
            "get reg.example:5000",
            "store reg.example:5000",
            "list",
            "erase reg.example:5000",
            "get reg.example:5000",
            "erase reg.example:5000",
        ]
    );
    assert!(!log.contains("s3 cr"), "no secret in the log");
    assert!(write_credential_helper(dir.path(), "../evil", &[]).is_err());
}

/// `docker login` / `docker logout` through a `credHelpers` entry, as a user would test them:
/// sdk-core's `DockerConfig` stores through the stand-in, reads back, erases.
#[test]
fn login_and_logout_through_the_credential_helper_stand_in() {
    use sdk_core::{CredentialSource, Credentials, DockerConfig};
    let dir = tempfile::tempdir().expect("tempdir");
    let helpers = dir.path().join("bin");
    std::fs::create_dir(&helpers).expect("mkdir");
    write_credential_helper(&helpers, "standin", &[]).expect("write");
    let path = dir.path().join("config.json");
    std::fs::write(
        &path,
        r#"{"credHelpers":{"127.0.0.1:5000":"standin"},"psFormat":"table {{.ID}}"}"#,
    )
    .expect("write config");
    let load = || {
        DockerConfig::load_from(&path)
            .expect("load")
            .with_helper_dir(&helpers)
    };
    let mut cfg = load();
    let source = cfg
        .store("127.0.0.1:5000", &Credentials::basic("carol", "pa55 word"))
        .expect("store");
    assert!(
        matches!(source, CredentialSource::Helper(ref h) if h == "standin"),
        "{source:?}"
    );
    cfg.save().expect("save");
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(
        !text.contains("pa55"),
        "the secret went to the helper, not the file: {text}"
    );
    assert!(text.contains("psFormat"), "unknown fields kept: {text}");

    let (creds, _) = load().credentials_for("127.0.0.1:5000").expect("get");
    assert_eq!(creds, Credentials::basic("carol", "pa55 word"));

    let mut cfg = load();
    cfg.erase("127.0.0.1:5000").expect("erase");
    cfg.save().expect("save");
    let (creds, _) = load()
        .credentials_for("127.0.0.1:5000")
        .expect("get after logout");
    assert!(creds.is_anonymous(), "{creds:?}");
    let log = std::fs::read_to_string(helpers.join("docker-credential-standin.log")).expect("log");
    assert_eq!(
        log.lines().collect::<Vec<_>>(),
        [
            "store 127.0.0.1:5000",
            "get 127.0.0.1:5000",
            "erase 127.0.0.1:5000",
            "get 127.0.0.1:5000",
        ]
    );
}

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
        .into_bytes()
}

async fn post_token(reg: &MockRegistry, pairs: &[(&str, &str)]) -> Resp {
    send(
        reg,
        "POST",
        "/token",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &form(pairs),
    )
    .await
}

#[tokio::test]
async fn oauth2_post_token_password_and_refresh_grants() {
    let reg = MockRegistry::builder()
        .bearer_token_server("alice", "s3cret")
        .start()
        .await;
    let base = [("service", "mock-registry"), ("client_id", "dockwright")];
    let scope = ("scope", "repository:team/app:pull,push");
    // Password grant with access_type=offline: an access token and a refresh token.
    let mut pairs = base.to_vec();
    pairs.extend([
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", "s3cret"),
        ("access_type", "offline"),
        scope,
    ]);
    let r = post_token(&reg, &pairs).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json().expect("JSON body");
    assert_eq!(body["scope"], "repository:team/app:pull,push");
    assert!(body["issued_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    let access = body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned();
    let refresh = body["refresh_token"]
        .as_str()
        .expect("refresh_token")
        .to_owned();
    // The access token works for the scope it was issued for, and only that one.
    let bearer = format!("Bearer {access}");
    let r = send(
        &reg,
        "GET",
        "/v2/team/app/tags/list",
        &[("Authorization", &bearer)],
        b"",
    )
    .await;
    assert_eq!(r.status, 404, "authorized, but no such repository yet");
    let r = send(
        &reg,
        "GET",
        "/v2/other/tags/list",
        &[("Authorization", &bearer)],
        b"",
    )
    .await;
    assert_eq!(r.status, 401);
    // Refresh grant: a new access token for another scope, without the password.
    let mut pairs = base.to_vec();
    pairs.extend([
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
        ("scope", "repository:other:pull"),
    ]);
    let r = post_token(&reg, &pairs).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let again = r.json().expect("JSON body")["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned();
    assert_ne!(again, access);
    let r = send(
        &reg,
        "GET",
        "/v2/other/tags/list",
        &[("Authorization", &format!("Bearer {again}"))],
        b"",
    )
    .await;
    assert_eq!(r.status, 404);
    // Without access_type=offline there is no refresh token.
    let mut pairs = base.to_vec();
    pairs.extend([
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", "s3cret"),
    ]);
    let r = post_token(&reg, &pairs).await;
    assert_eq!(r.status, 200);
    assert!(r.json().expect("JSON body").get("refresh_token").is_none());
    // RFC 6749 errors.
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![
                ("grant_type", "password"),
                ("username", "alice"),
                ("password", "nope"),
            ],
            "invalid_grant",
        ),
        (
            vec![("grant_type", "refresh_token"), ("refresh_token", "forged")],
            "invalid_grant",
        ),
        (
            vec![("grant_type", "client_credentials")],
            "unsupported_grant_type",
        ),
        (vec![], "invalid_request"),
    ];
    for (extra, error) in cases {
        let mut pairs = base.to_vec();
        pairs.extend(extra);
        let r = post_token(&reg, &pairs).await;
        assert_eq!(r.status, 400, "{pairs:?}");
        assert_eq!(r.json().expect("JSON body")["error"], error, "{pairs:?}");
    }
    let r = post_token(
        &reg,
        &[
            ("service", "mock-registry"),
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "s3cret"),
        ],
    )
    .await;
    assert_eq!(
        r.json().expect("JSON body")["error"],
        "invalid_request",
        "client_id is required"
    );
    // Recorded token requests never show the password or the refresh token.
    let shown = format!("{:?}", reg.requests());
    assert!(
        !shown.contains("s3cret") && !shown.contains(&refresh),
        "{shown}"
    );
    assert!(shown.contains("grant_type=refresh_token"));
}

#[tokio::test]
async fn get_token_with_offline_token_returns_a_refresh_token() {
    let reg = MockRegistry::builder()
        .bearer_token_server("alice", "s3cret")
        .start()
        .await;
    let target = "/token?service=mock-registry&client_id=docker&offline_token=true";
    let r = send(
        &reg,
        "GET",
        target,
        &[("Authorization", &basic("alice", "s3cret"))],
        b"",
    )
    .await;
    assert_eq!(r.status, 200);
    let refresh = r.json().expect("JSON body")["refresh_token"]
        .as_str()
        .expect("refresh_token")
        .to_owned();
    let r = post_token(
        &reg,
        &[
            ("service", "mock-registry"),
            ("client_id", "docker"),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
        ],
    )
    .await;
    assert_eq!(r.status, 200);
    // Without offline_token: none.
    let r = send(
        &reg,
        "GET",
        "/token?service=mock-registry",
        &[("Authorization", &basic("alice", "s3cret"))],
        b"",
    )
    .await;
    assert!(r.json().expect("JSON body").get("refresh_token").is_none());
}
