//! The crate's own `Client` against `MockRegistry`: proves the fake speaks the protocol well
//! enough for a real client (auth dance, uploads, manifests, pagination, faults).
#![cfg(feature = "mock")]

use std::time::Duration;

use bytes::Bytes;
use registry_client::digest::Digest;
use registry_client::manifests::RawManifest;
use registry_client::mock::MockRegistry;
use registry_client::reference::Reference;
use registry_client::{Client, Credentials, Error, RetryPolicy};
use serde_json::json;

fn reference(reg: &MockRegistry, rest: &str) -> Reference {
    format!("{}/{rest}", reg.host()).parse().expect("reference")
}

fn manifest_for(config: &[u8], layer: &[u8]) -> RawManifest {
    let bytes = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": Digest::sha256_of(config).to_string(), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": Digest::sha256_of(layer).to_string(), "size": layer.len()}],
    }))
    .expect("json");
    RawManifest::from_bytes(bytes).expect("manifest")
}

/// A client logging in to `reg` as `user`/`pass`.
fn client_for(reg: &MockRegistry, user: &str, pass: &str) -> Client {
    Client::builder()
        .credentials(&reg.host(), Credentials::basic(user, pass))
        .build()
        .expect("client")
}

async fn push_image(client: &Client, r: &Reference, layer: &[u8]) -> Digest {
    let config = br#"{"architecture":"amd64","os":"linux"}"#;
    for blob in [&config[..], layer] {
        client
            .push_blob_bytes(r, &Digest::sha256_of(blob), Bytes::copy_from_slice(blob))
            .await
            .expect("push blob");
    }
    client
        .put_manifest(r, &manifest_for(config, layer))
        .await
        .expect("put manifest")
}

#[tokio::test]
async fn client_pushes_and_pulls_through_bearer_auth() {
    let reg = MockRegistry::builder()
        .bearer_token_server("alice", "s3cret")
        .paginate_tags(true)
        .start()
        .await;
    let client = client_for(&reg, "alice", "s3cret");
    let r = reference(&reg, "team/app:1.0");
    let d = push_image(&client, &r, b"layer-bytes").await;
    assert_eq!(
        reg.manifest("team/app", "1.0").expect("stored").digest,
        d.to_string()
    );
    let got = client.get_manifest(&r).await.expect("get manifest");
    assert_eq!(got.digest, d);
    let layer = Digest::sha256_of(b"layer-bytes");
    // HEAD reports the blob's size from Content-Length.
    assert_eq!(
        client.blob_exists(&r, &layer).await.expect("head"),
        Some(b"layer-bytes".len() as u64)
    );
    assert_eq!(
        client
            .blob_exists(&r, &Digest::sha256_of(b"absent"))
            .await
            .expect("head"),
        None
    );
    assert_eq!(
        client
            .blob_bytes(&r, &layer, 1 << 20)
            .await
            .expect("get")
            .as_ref(),
        b"layer-bytes"
    );
    for tag in ["a", "b", "c", "d"] {
        client.tag(&r, tag).await.expect("tag");
    }
    let tags = client.list_tags(&r, Some(2)).await.expect("tags");
    assert_eq!(tags, ["1.0", "a", "b", "c", "d"]);
    // The client asked the token server for scoped tokens.
    let token_requests: Vec<_> = reg
        .requests()
        .into_iter()
        .filter(|q| q.path == "/token")
        .collect();
    assert!(!token_requests.is_empty());
    assert!(
        token_requests.iter().any(|q| q
            .query
            .contains("scope=repository%3Ateam%2Fapp%3Apull%2Cpush")
            || q.query.contains("scope=repository:team/app:pull,push")),
        "{token_requests:?}"
    );
}

#[tokio::test]
async fn wrong_password_is_an_auth_error() {
    let reg = MockRegistry::builder()
        .basic_auth("bob", "right")
        .start()
        .await;
    let client = Client::builder()
        .credentials(&reg.host(), Credentials::basic("bob", "wrong"))
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    let err = client
        .get_manifest(&reference(&reg, "x:1"))
        .await
        .expect_err("must fail");
    let text = format!("{err} {err:?}");
    assert!(!text.contains("wrong\""), "password leaked: {text}");
}

#[tokio::test]
async fn client_retries_a_503_with_retry_after() {
    let reg = MockRegistry::start().await;
    let client = Client::builder()
        .retry(
            RetryPolicy::new()
                .with_max_attempts(3)
                .with_base_delay(Duration::from_millis(10)),
        )
        .build()
        .expect("client");
    let r = reference(&reg, "retry/app:1");
    reg.put_blob("retry/app", b"x".to_vec());
    reg.fail_nth_with_retry_after(1, 503, 1);
    let start = std::time::Instant::now();
    assert!(
        client
            .blob_exists(&r, &Digest::sha256_of(b"x"))
            .await
            .expect("retried")
            .is_some()
    );
    assert!(
        start.elapsed() >= Duration::from_millis(900),
        "Retry-After: 1 was not honoured"
    );
    // The first request (whatever it was) got the 503 and was sent again.
    let reqs = reg.requests();
    assert!(reqs.len() >= 2);
    assert_eq!(
        (&reqs[0].method, &reqs[0].path),
        (&reqs[1].method, &reqs[1].path)
    );
}

#[tokio::test]
async fn corrupt_blob_is_detected() {
    let reg = MockRegistry::start().await;
    let client = Client::builder()
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    let r = reference(&reg, "c/app:1");
    let d = reg.put_blob("c/app", b"precious".to_vec());
    reg.corrupt_blob(&d);
    let err = client
        .blob_bytes(&r, &d.parse().expect("digest"), 1 << 20)
        .await
        .expect_err("must detect");
    assert!(matches!(err, Error::DigestMismatch { .. }), "{err:?}");
}

#[tokio::test]
async fn dropped_connection_is_resumed_or_reported() {
    let reg = MockRegistry::start().await;
    let client = Client::builder()
        .retry(
            RetryPolicy::new()
                .with_max_attempts(3)
                .with_base_delay(Duration::from_millis(10)),
        )
        .build()
        .expect("client");
    let r = reference(&reg, "d/app:1");
    let data = vec![42u8; 100_000];
    let d = reg.put_blob("d/app", data.clone());
    reg.drop_connection_nth(1);
    let got = client
        .blob_bytes(&r, &d.parse().expect("digest"), 1 << 20)
        .await
        .expect("resumed");
    assert_eq!(got.as_ref(), &data[..]);
    let gets: Vec<_> = reg
        .requests()
        .into_iter()
        .filter(|q| q.method == "GET")
        .collect();
    assert!(gets.len() >= 2, "a second request is needed after the drop");
}

#[tokio::test]
async fn client_pushes_with_an_identity_token_through_the_oauth2_post_flow() {
    let reg = MockRegistry::builder()
        .bearer_token_server("alice", "s3cret")
        .start()
        .await;
    // What `docker login` stores as `identitytoken`: a refresh token from the token server.
    let login = sdk_core::test_server::TestClient::new(&reg.host())
        .expect("test client")
        .send(
            "POST",
            "/token",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            b"grant_type=password&service=mock-registry&client_id=docker&access_type=offline&username=alice&password=s3cret",
        )
        .await
        .expect("login");
    assert_eq!(login.status, 200, "{}", login.text());
    let refresh = login.json().expect("JSON body")["refresh_token"]
        .as_str()
        .expect("refresh_token")
        .to_owned();
    let client = Client::builder()
        .credentials(
            &reg.host(),
            Credentials::IdentityToken {
                username: Some("alice".to_owned()),
                token: refresh.as_str().into(),
            },
        )
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    let r = reference(&reg, "team/idtoken:1.0");
    let d = push_image(&client, &r, b"identity-layer").await;
    assert_eq!(client.get_manifest(&r).await.expect("pull").digest, d);
    let posts: Vec<_> = reg
        .requests()
        .into_iter()
        .filter(|q| q.method == "POST" && q.path == "/token")
        .collect();
    assert!(
        posts
            .iter()
            .any(|q| q.body.contains("grant_type=refresh_token")),
        "the client used the OAuth2 refresh grant: {posts:?}"
    );
    assert!(
        !format!("{posts:?}").contains(&refresh),
        "refresh token recorded"
    );
}

/// A credential helper is a process: while a slow one runs, the async runtime keeps working
/// (it runs on tokio's blocking pool). On a current-thread runtime a blocking call would
/// starve the ticker below for the whole second.
#[tokio::test(flavor = "current_thread")]
async fn a_slow_credential_helper_does_not_block_the_runtime() {
    use std::os::unix::fs::PermissionsExt as _;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};
    let reg = MockRegistry::builder()
        .basic_auth("alice", "s3cret")
        .start()
        .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let helper = dir.path().join("docker-credential-slow");
    std::fs::write(
        &helper,
        "#!/bin/sh\nread server\nsleep 1\nprintf '{\"ServerURL\":\"%s\",\"Username\":\"alice\",\"Secret\":\"s3cret\"}' \"$server\"\n",
    )
    .expect("write helper");
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let config_path = dir.path().join("config.json");
    let text = json!({"credHelpers": {reg.host(): "slow"}}).to_string();
    let config = sdk_core::DockerConfig::parse(&config_path, &text)
        .expect("config")
        .with_helper_dir(dir.path());
    let client = Client::builder()
        .docker_config(config)
        .build()
        .expect("client");

    let ticks = Arc::new(AtomicU32::new(0));
    let ticker = {
        let ticks = ticks.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(20)).await;
                ticks.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let start = std::time::Instant::now();
    let r = reference(&reg, "team/app:1.0");
    let blob = b"helper-authenticated";
    client
        .push_blob_bytes(&r, &Digest::sha256_of(blob), Bytes::from_static(blob))
        .await
        .expect("push with the helper's credentials");
    let took = start.elapsed();
    ticker.abort();
    assert!(took >= Duration::from_secs(1), "the helper ran: {took:?}");
    let n = ticks.load(Ordering::Relaxed);
    assert!(
        n >= 25,
        "only {n} ticks in {took:?}: the runtime was blocked by the helper"
    );
}

/// A shared buffer for what a tracing subscriber prints.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

thread_local! {
    static CAPTURING: std::cell::RefCell<Option<Captured>> = const { std::cell::RefCell::new(None) };
}

impl Captured {
    /// Captures what this thread logs until the guard is dropped. One global subscriber (set
    /// once for the test binary) writes each event into the buffer of the thread that emitted
    /// it. A scoped `set_default` subscriber per test races with other tests registering the
    /// same callsites in parallel (tracing's interest cache) and now and then loses events.
    fn capture(&self) -> StopCapture {
        static INIT: std::sync::Once = std::sync::Once::new();
        INIT.call_once(|| {
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::DEBUG)
                .with_ansi(false)
                .with_span_events(tracing_subscriber::fmt::format::FmtSpan::NEW)
                .with_writer(|| ThreadWriter)
                .finish();
            tracing::subscriber::set_global_default(subscriber).expect("one global subscriber");
        });
        CAPTURING.with(|c| *c.borrow_mut() = Some(self.clone()));
        StopCapture
    }
}

/// Ends a [`Captured::capture`].
struct StopCapture;

impl Drop for StopCapture {
    fn drop(&mut self) {
        CAPTURING.with(|c| *c.borrow_mut() = None);
    }
}

/// Writes into the buffer of the current thread's capture, if any.
struct ThreadWriter;

impl std::io::Write for ThreadWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURING.with(|c| {
            if let Some(out) = &*c.borrow() {
                out.0.lock().expect("lock").extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every request runs in a span (`registry_request`) naming the method and the redacted URL,
/// with the token fetch and retries as events inside it; nothing a subscriber receives carries the password, the Basic
/// header, a bearer token or an upload URL's query.
#[tokio::test]
async fn requests_are_traced_in_spans_without_secrets() {
    let out = Captured::default();
    let _capture = out.capture();

    let reg = MockRegistry::builder()
        .bearer_token_server("alice", "s3cret-pw")
        .start()
        .await;
    let client = client_for(&reg, "alice", "s3cret-pw");
    let r = reference(&reg, "team/traced:1.0");
    push_image(&client, &r, b"traced-layer").await;
    client.get_manifest(&r).await.expect("get manifest");
    reg.fail_nth(1, 503);
    client.get_manifest(&r).await.expect("get after a 503");

    let text = String::from_utf8(out.0.lock().expect("lock").clone()).expect("utf-8");
    assert!(text.contains("registry_request{method=PUT"), "{text}");
    assert!(
        text.contains("fetching bearer token")
            && text.contains("scope=repository:team/traced:pull,push"),
        "{text}"
    );
    assert!(
        text.contains("status=503") && text.contains("retrying"),
        "the 503 retry is logged: {text}"
    );
    assert!(
        text.contains(&format!("url={}/v2/team/traced/manifests/1.0", reg.url())),
        "{text}"
    );
    for secret in [
        "s3cret-pw",
        "YWxpY2U6czNjcmV0LXB3",
        "Bearer",
        "Authorization",
    ] {
        assert!(
            !text.contains(secret),
            "{secret:?} leaked into the trace:\n{text}"
        );
    }
    // Upload URLs are logged with their signed state redacted.
    assert!(text.contains("_state=<redacted>"), "{text}");
    assert_eq!(
        text.matches("_state=").count(),
        text.matches("_state=<redacted>").count(),
        "{text}"
    );
}

/// `copy` within a registry behind a Docker-Hub-like token server: the mount's token carries
/// `pull` on the source repository (the fake grants a mount only then), so every blob is
/// mounted and none uploaded; the token requests name both repositories.
#[tokio::test]
async fn copy_mounts_with_a_token_scoped_for_the_source_repository() {
    let reg = MockRegistry::builder()
        .bearer_token_server("alice", "s3cret")
        .start()
        .await;
    let client = client_for(&reg, "alice", "s3cret");
    let src = reference(&reg, "team/src:1.0");
    let d = push_image(&client, &src, b"mounted-layer").await;
    reg.clear_requests();
    let dst = reference(&reg, "other/dst:1.0");
    let report = client.copy(&src, &dst).await.expect("copy");
    assert_eq!(report.digest, d);
    assert_eq!((report.mounted, report.uploaded), (2, 0), "{report:?}");
    assert_eq!(
        reg.manifest("other/dst", "1.0").expect("copied").digest,
        d.to_string()
    );
    let token_scopes: Vec<String> = reg
        .requests()
        .iter()
        .filter(|r| r.path == "/token")
        .flat_map(|r| {
            url::form_urlencoded::parse(r.query.as_bytes())
                .filter(|(k, _)| k == "scope")
                .map(|(_, v)| v.into_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        token_scopes.iter().any(|s| s == "repository:team/src:pull"),
        "{token_scopes:?}"
    );
    assert!(
        token_scopes
            .iter()
            .any(|s| s == "repository:other/dst:pull,push"),
        "{token_scopes:?}"
    );
    // No blob went through an upload session's PUT: only mounts.
    assert!(
        !reg.requests()
            .iter()
            .any(|r| r.method == "PUT" && r.path.contains("/blobs/uploads/")),
        "{:?}",
        reg.requests()
    );
}
