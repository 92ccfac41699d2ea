//! Hostile servers and bad input (issue 11): credentials stay with their own origin and realm,
//! nothing hangs, nothing panics, nothing is lost. Each test fails on the code before its fix.
//!
//! wiremock for what it can express, and a tiny scripted TCP server (`RawServer`) for what it
//! cannot: replies that stop mid-body and connections dropped before any reply.

use registry_client::digest::Digest;
use registry_client::reference::Reference;
use registry_client::{Client, Credentials, DockerConfig, Error};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn server() -> MockServer {
    let s = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500).set_body_string("unexpected request"))
        .with_priority(u8::MAX)
        .mount(&s)
        .await;
    s
}

fn host(s: &MockServer) -> String {
    s.uri().trim_start_matches("http://").to_owned()
}

fn reference(s: &MockServer, rest: &str) -> Reference {
    Reference::parse(&format!("{}/{rest}", host(s))).unwrap()
}

/// The Debug of a builder and a client holding a docker config shows no secret of it.
#[test]
fn client_debug_never_shows_the_docker_configs_secrets() {
    let cfg = DockerConfig::parse(
        "/home/u/.docker/config.json",
        r#"{"auths": {
            "reg.example": {"auth": "dXNlcjpBVVRILVNFQ1JFVA=="},
            "tok.example": {"identitytoken": "IDENTITY-SECRET"},
            "bear.example": {"registrytoken": "REGISTRY-SECRET"},
            "pw.example": {"username": "carol", "password": "PASSWORD-SECRET"}}}"#,
    )
    .unwrap();
    let builder = Client::builder()
        .docker_config(cfg)
        .credentials("r.example", Credentials::basic("u", "EXPLICIT-SECRET"));
    let shown_builder = format!("{builder:?} {builder:#?}");
    let client = builder.build().unwrap();
    let shown_client = format!("{client:?} {client:#?}");
    for shown in [shown_builder, shown_client] {
        for secret in [
            "dXNlcjpBVVRILVNFQ1JFVA==",
            "IDENTITY-SECRET",
            "REGISTRY-SECRET",
            "PASSWORD-SECRET",
            "EXPLICIT-SECRET",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("/home/u/.docker/config.json"), "{shown}");
    }
}

/// Error replies go through sdk-core's one decoder: the registry form, the Engine form
/// (`{"message":…}`, what proxies in front of registries often send) and text all give a
/// message, cleaned of anything that looks like a credential.
#[tokio::test]
async fn error_replies_in_every_form_give_a_clean_message() {
    use wiremock::matchers::{method, path};
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&s)
        .await;
    let cases = [
        (
            "engine",
            403,
            r#"{"message":"blocked by policy for Authorization: Bearer LEAKED-TOKEN"}"#,
            "blocked by policy",
        ),
        (
            "text",
            502,
            "upstream down; retry at https://x.example/?token=LEAKED-TOKEN",
            "upstream down",
        ),
        (
            "registry",
            404,
            r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#,
            "MANIFEST_UNKNOWN (manifest unknown)",
        ),
    ];
    for (repo, status, body, _) in &cases {
        Mock::given(method("GET"))
            .and(path(format!("/v2/team/{repo}/manifests/1")))
            .respond_with(ResponseTemplate::new(*status).set_body_string(*body))
            .mount(&s)
            .await;
    }
    let c = Client::builder()
        .retry(registry_client::RetryPolicy::none())
        .build()
        .unwrap();
    for (repo, status, _, shown) in cases {
        let err = c
            .get_manifest(&reference(&s, &format!("team/{repo}:1")))
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(status));
        let text = err.to_string();
        assert!(text.contains(shown), "{repo}: {text}");
        assert!(
            !format!("{text} {err:?}").contains("LEAKED-TOKEN"),
            "{repo}: {err:?}"
        );
    }
}

/// A request matcher: no `Authorization` header.
struct NoAuthorization;
impl wiremock::Match for NoAuthorization {
    fn matches(&self, r: &wiremock::Request) -> bool {
        !r.headers.contains_key("authorization")
    }
}

/// The registry `s` asks for `auth` ("basic" or "bearer" with its token endpoint on `s`).
async fn protect(s: &MockServer, auth: &str) {
    use wiremock::matchers::{method, path};
    let challenge = match auth {
        "basic" => r#"Basic realm="reg""#.to_owned(),
        _ => format!(r#"Bearer realm="{}/token",service="reg""#, s.uri()),
    };
    Mock::given(method("GET"))
        .and(path("/v2/"))
        .respond_with(ResponseTemplate::new(401).insert_header("WWW-Authenticate", challenge))
        .mount(s)
        .await;
    Mock::given(method("GET"))
        .and(path("/token"))
        .and(wiremock::matchers::header(
            "authorization",
            "Basic dXNlcjpwYXNz",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"token":"PUSH-TOKEN"}"#))
        .mount(s)
        .await;
}

fn authorization(auth: &str) -> &'static str {
    if auth == "basic" {
        "Basic dXNlcjpwYXNz" // user:pass
    } else {
        "Bearer PUSH-TOKEN"
    }
}

/// An upload `Location` on another origin (object storage, or a hostile registry) receives
/// the upload but never the registry's credentials, Basic password or push token alike.
#[tokio::test]
async fn an_upload_location_on_another_origin_gets_no_credentials() {
    use wiremock::matchers::{header, method, path, query_param};
    for auth in ["basic", "bearer"] {
        let s = server().await;
        let storage = server().await;
        protect(&s, auth).await;
        let data = b"layer".to_vec();
        let d = Digest::sha256_of(&data);
        Mock::given(method("POST"))
            .and(path("/v2/team/app/blobs/uploads/"))
            .and(header("authorization", authorization(auth)))
            .respond_with(
                ResponseTemplate::new(202)
                    .insert_header("Location", format!("{}/upload/1?_state=abc", storage.uri())),
            )
            .expect(1)
            .mount(&s)
            .await;
        Mock::given(method("PUT"))
            .and(path("/upload/1"))
            .and(query_param("digest", d.as_str()))
            .and(NoAuthorization)
            .respond_with(ResponseTemplate::new(201))
            .expect(1)
            .mount(&storage)
            .await;
        let c = Client::builder()
            .credentials(&host(&s), Credentials::basic("user", "pass"))
            .build()
            .unwrap();
        c.push_blob_bytes(&reference(&s, "team/app"), &d, data.into())
            .await
            .unwrap_or_else(|e| panic!("{auth}: {e:?}"));
    }
}

/// A 401 from a foreign `Location` is an error of that request: it neither sends the
/// credentials to the realm the foreign server names nor replaces the registry's own cached
/// challenge (the next registry call still uses Basic, without a new ping).
#[tokio::test]
async fn a_401_from_a_foreign_location_does_not_replace_the_registrys_challenge() {
    use wiremock::matchers::{header, method, path};
    let s = server().await;
    let foreign = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/"))
        .respond_with(
            ResponseTemplate::new(401).insert_header("WWW-Authenticate", r#"Basic realm="reg""#),
        )
        .expect(1)
        .mount(&s)
        .await;
    let data = b"layer".to_vec();
    let d = Digest::sha256_of(&data);
    Mock::given(method("POST"))
        .and(path("/v2/team/app/blobs/uploads/"))
        .and(header("authorization", "Basic dXNlcjpwYXNz"))
        .respond_with(
            ResponseTemplate::new(202)
                .insert_header("Location", format!("{}/upload/1", foreign.uri())),
        )
        .mount(&s)
        .await;
    Mock::given(method("PUT"))
        .and(path("/upload/1"))
        .respond_with(ResponseTemplate::new(401).insert_header(
            "WWW-Authenticate",
            format!(r#"Bearer realm="{}/steal",service="x""#, foreign.uri()),
        ))
        .mount(&foreign)
        .await;
    Mock::given(path("/steal"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"token":"t"}"#))
        .expect(0)
        .mount(&foreign)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/team/app/tags/list"))
        .and(header("authorization", "Basic dXNlcjpwYXNz"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"tags":["a"]}"#))
        .expect(1)
        .mount(&s)
        .await;
    let c = Client::builder()
        .credentials(&host(&s), Credentials::basic("user", "pass"))
        .build()
        .unwrap();
    let r = reference(&s, "team/app");
    let err = c.push_blob_bytes(&r, &d, data.into()).await.unwrap_err();
    assert_eq!(err.status(), Some(401), "{err:?}");
    assert_eq!(c.list_tags(&r, None).await.unwrap(), ["a"]);
}

/// A blob GET redirected to another origin (object storage, like S3) carries no
/// `Authorization` there, Basic or Bearer; a redirect back to the registry's own origin does.
#[tokio::test]
async fn redirects_to_another_origin_carry_no_credentials() {
    use wiremock::matchers::{header, method, path};
    for auth in ["basic", "bearer"] {
        let s = server().await;
        let storage = server().await;
        protect(&s, auth).await;
        let content = b"layer bytes from storage".to_vec();
        let digest = Digest::sha256_of(&content);
        Mock::given(method("GET"))
            .and(path(format!("/v2/team/app/blobs/{digest}")))
            .and(header("authorization", authorization(auth)))
            .respond_with(ResponseTemplate::new(307).insert_header(
                "Location",
                format!("{}/bucket/obj?X-Amz-Signature=abc", storage.uri()),
            ))
            .expect(1)
            .mount(&s)
            .await;
        Mock::given(method("GET"))
            .and(path("/bucket/obj"))
            .and(NoAuthorization)
            .respond_with(
                ResponseTemplate::new(302)
                    .insert_header("Location", format!("{}/v2/home/blob", s.uri())),
            )
            .expect(1)
            .mount(&storage)
            .await;
        Mock::given(method("GET"))
            .and(path("/v2/home/blob"))
            .and(header("authorization", authorization(auth)))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(content.clone()))
            .expect(1)
            .mount(&s)
            .await;
        let c = Client::builder()
            .credentials(&host(&s), Credentials::basic("user", "pass"))
            .build()
            .unwrap();
        let got = c
            .blob_bytes(&reference(&s, "team/app"), &digest, 1024)
            .await
            .unwrap_or_else(|e| panic!("{auth}: {e:?}"));
        assert_eq!(got, content);
    }
}

/// A token realm must not carry the credentials where they could be read: a realm that is not
/// http(s), or plain HTTP to a host that is not loopback (here `0.0.0.0`, which the kernel
/// routes to this machine), is refused with an error naming the realm, before any request is
/// sent to it. Marking the registry insecure allows plain HTTP.
#[tokio::test]
async fn token_realms_that_would_leak_the_credentials_are_refused() {
    use wiremock::matchers::{method, path};
    let realm_server = server().await;
    let port = realm_server.address().port();
    Mock::given(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"token":"t"}"#))
        .expect(1) // only the insecure client below
        .mount(&realm_server)
        .await;
    for (realm, insecure_ok) in [
        (format!("http://0.0.0.0:{port}/token"), true),
        (format!("ftp://127.0.0.1:{port}/token"), false),
        ("file:///etc/passwd".to_owned(), false),
    ] {
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/v2/"))
            .respond_with(ResponseTemplate::new(401).insert_header(
                "WWW-Authenticate",
                format!(r#"Bearer realm="{realm}",service="reg""#),
            ))
            .mount(&s)
            .await;
        Mock::given(method("GET"))
            .and(path("/v2/team/app/tags/list"))
            .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"tags":["a"]}"#))
            .mount(&s)
            .await;
        let c = Client::builder()
            .credentials(&host(&s), Credentials::basic("user", "pass"))
            .build()
            .unwrap();
        let err = c
            .list_tags(&reference(&s, "team/app"), None)
            .await
            .unwrap_err();
        match &err {
            Error::RealmRefused { realm: r, .. } => assert_eq!(r, &realm, "{err}"),
            other => panic!("{realm}: {other:?}"),
        }
        assert!(err.to_string().contains(&realm), "{err}");
        let insecure = Client::builder()
            .insecure(true)
            .credentials(&host(&s), Credentials::basic("user", "pass"))
            .build()
            .unwrap();
        let got = insecure.list_tags(&reference(&s, "team/app"), None).await;
        assert_eq!(got.is_ok(), insecure_ok, "{realm}: {got:?}");
    }
}

/// A token endpoint that answers `expires_in` near `u64::MAX` gives a token that is used and
/// cached (its lifetime capped), not a panic in `Instant + Duration`.
#[tokio::test]
async fn a_token_lifetime_near_u64_max_is_capped_not_a_panic() {
    use wiremock::matchers::{header, method, path};
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/"))
        .respond_with(ResponseTemplate::new(401).insert_header(
            "WWW-Authenticate",
            format!(r#"Bearer realm="{}/token",service="reg""#, s.uri()),
        ))
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"{"token":"T","expires_in":18446744073709551615}"#),
        )
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/team/app/tags/list"))
        .and(header("authorization", "Bearer T"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"tags":["a"]}"#))
        .expect(2)
        .mount(&s)
        .await;
    let c = Client::builder().build().unwrap();
    let r = reference(&s, "team/app");
    assert_eq!(c.list_tags(&r, None).await.unwrap(), ["a"]);
    assert_eq!(
        c.list_tags(&r, None).await.unwrap(),
        ["a"],
        "cached token reused"
    );
}

/// A token reply is read up to 1 MiB: a larger one is a typed error, never buffered whole.
#[tokio::test]
async fn a_token_reply_over_1_mib_is_refused() {
    use wiremock::matchers::{method, path};
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/"))
        .respond_with(ResponseTemplate::new(401).insert_header(
            "WWW-Authenticate",
            format!(r#"Bearer realm="{}/token",service="reg""#, s.uri()),
        ))
        .mount(&s)
        .await;
    let huge = format!(r#"{{"token":"{}"}}"#, "a".repeat(2 * 1024 * 1024));
    Mock::given(method("GET"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_string(huge))
        .mount(&s)
        .await;
    let c = Client::builder().build().unwrap();
    let err = c
        .list_tags(&reference(&s, "team/app"), None)
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::TooLarge {
                what: "token reply",
                limit: 1_048_576,
                ..
            }
        ),
        "{err:?}"
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

fn fast_retry(attempts: u32) -> registry_client::RetryPolicy {
    registry_client::RetryPolicy::new()
        .with_max_attempts(attempts)
        .with_base_delay(std::time::Duration::from_millis(5))
}

/// A 127.0.0.1 port nothing listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Transport errors on signed URLs (a blob redirect's `X-Amz-Signature`, an upload's
/// `_state`) are retried and logged, but no log line, span or error carries the URL's secrets:
/// reqwest's error text includes the URL, so it is stripped before anything prints it.
#[tokio::test]
async fn transport_errors_on_signed_urls_are_logged_without_the_signature() {
    use wiremock::matchers::{method, path};
    let out = Captured::default();
    let _capture = out.capture();

    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&s)
        .await;
    let dead = format!("http://127.0.0.1:{}", closed_port());
    let content = b"x".to_vec();
    let digest = Digest::sha256_of(&content);
    Mock::given(method("GET"))
        .and(path(format!("/v2/team/app/blobs/{digest}")))
        .respond_with(ResponseTemplate::new(307).insert_header(
            "Location",
            format!("{dead}/bucket/obj?X-Amz-Credential=CREDSECRET&X-Amz-Signature=SIGSECRET"),
        ))
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/team/app/blobs/uploads/"))
        .respond_with(
            ResponseTemplate::new(202)
                .insert_header("Location", format!("{dead}/upload/1?_state=STATESECRET")),
        )
        .mount(&s)
        .await;
    let c = Client::builder().retry(fast_retry(3)).build().unwrap();
    let r = reference(&s, "team/app");
    let e1 = c.blob_bytes(&r, &digest, 1024).await.unwrap_err();
    let e2 = c
        .push_blob_bytes(&r, &digest, content.into())
        .await
        .unwrap_err();

    let text = String::from_utf8(out.0.lock().expect("lock").clone()).expect("utf-8");
    assert!(text.contains("retrying after transport error"), "{text}");
    let errors = format!("{e1} {e1:?} {e2} {e2:?}");
    for secret in ["SIGSECRET", "CREDSECRET", "STATESECRET"] {
        assert!(
            !text.contains(secret),
            "{secret} leaked into the trace:\n{text}"
        );
        assert!(
            !errors.contains(secret),
            "{secret} leaked into an error: {errors}"
        );
    }
}

/// A scripted HTTP/1.1 server on 127.0.0.1 for what wiremock cannot do: each connection's
/// request head is read and handed to the script, whose answer is written raw; then the
/// connection stays open without a byte more (a stall) or is closed, as the script says.
mod raw {
    use std::sync::{Arc, Mutex};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// What to do with one request.
    pub(super) enum Answer {
        /// Write these bytes and close the connection.
        Close(Vec<u8>),
        /// Write these bytes (headers and part of a body, or nothing) and then stall.
        Stall(Vec<u8>),
    }

    /// A complete reply with `Connection: close`.
    pub(super) fn reply(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
        let mut out = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
        for (k, v) in headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        let mut out = out.into_bytes();
        out.extend_from_slice(body);
        Answer::Close(out)
    }

    /// Headers announcing `len` bytes, then only `sent` of them, then silence.
    pub(super) fn stall_mid_body(
        status: &str,
        headers: &[(&str, &str)],
        len: usize,
        sent: &[u8],
    ) -> Answer {
        let mut out = format!("HTTP/1.1 {status}\r\n");
        for (k, v) in headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str(&format!("Content-Length: {len}\r\n\r\n"));
        let mut out = out.into_bytes();
        out.extend_from_slice(sent);
        Answer::Stall(out)
    }

    pub(super) struct Server {
        pub(super) addr: std::net::SocketAddr,
        /// The request lines seen (`GET /v2/ HTTP/1.1`), in order.
        pub(super) seen: Arc<Mutex<Vec<String>>>,
        task: tokio::task::JoinHandle<()>,
    }

    impl Drop for Server {
        fn drop(&mut self) {
            self.task.abort();
        }
    }

    impl Server {
        pub(super) fn host(&self) -> String {
            self.addr.to_string()
        }
    }

    /// Starts a server; `script(request_line, head)` answers each request.
    pub(super) async fn start(
        script: impl Fn(&str, &str) -> Answer + Send + Sync + 'static,
    ) -> Server {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let seen2 = seen.clone();
        let script = Arc::new(script);
        let task = tokio::spawn(async move {
            let mut stalled = Vec::new();
            loop {
                let Ok((mut s, _)) = l.accept().await else {
                    return;
                };
                let seen = seen2.clone();
                let script = script.clone();
                let (tx, rx) = tokio::sync::oneshot::channel();
                stalled.push(rx);
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut b = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        if s.read(&mut b).await.unwrap_or(0) == 0 {
                            return;
                        }
                        head.push(b[0]);
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    let line = head.lines().next().unwrap_or_default().to_owned();
                    seen.lock().unwrap().push(line.clone());
                    match script(&line, &head) {
                        Answer::Close(bytes) => {
                            // Read the request body before answering (a reply to a request
                            // still being sent would reset the connection).
                            let len: u64 = head
                                .lines()
                                .find_map(|l| {
                                    let (k, v) = l.split_once(':')?;
                                    k.eq_ignore_ascii_case("content-length")
                                        .then(|| v.trim().parse().ok())?
                                })
                                .unwrap_or(0);
                            let _ =
                                tokio::io::copy(&mut (&mut s).take(len), &mut tokio::io::sink())
                                    .await;
                            let _ = s.write_all(&bytes).await;
                            let _ = s.shutdown().await;
                        }
                        Answer::Stall(bytes) => {
                            let _ = s.write_all(&bytes).await;
                            let _ = s.flush().await;
                            // Keep the socket open (silent) until the server is dropped.
                            let _ = tx.send(s);
                        }
                    }
                });
            }
        });
        Server { addr, seen, task }
    }
}

const IDLE: std::time::Duration = std::time::Duration::from_millis(300);

fn idle_client() -> Client {
    Client::builder()
        .idle_timeout(IDLE)
        .retry(registry_client::RetryPolicy::none())
        .build()
        .unwrap()
}

/// Runs `f`, failing the test (instead of hanging it) after 10 s; checks that it ended in
/// [`Error::Timeout`] about one idle timeout after it started.
async fn assert_idle_timeout<T: std::fmt::Debug>(
    what: &str,
    f: impl std::future::Future<Output = Result<T, Error>>,
) {
    let started = std::time::Instant::now();
    let out = tokio::time::timeout(std::time::Duration::from_secs(10), f)
        .await
        .unwrap_or_else(|_| panic!("{what}: hung for 10 s"));
    let took = started.elapsed();
    match out {
        Err(Error::Timeout { after, .. }) => assert_eq!(after, IDLE, "{what}"),
        other => panic!("{what}: {other:?}"),
    }
    assert!(took >= IDLE && took < IDLE * 4, "{what}: {took:?}");
}

/// A registry that sends headers and part of a body, then nothing: a blob GET, a manifest GET,
/// a tags page and the token fetch each fail with a typed timeout after the idle time (set
/// short here; 60 s by default), instead of hanging forever.
#[tokio::test]
async fn a_server_that_stalls_mid_body_times_out_every_call() {
    use raw::{reply, stall_mid_body};
    let open = raw::start(|line, _| {
        if line.starts_with("GET /v2/ ") {
            reply("200 OK", &[], b"{}")
        } else if line.contains("/blobs/") {
            stall_mid_body("200 OK", &[], 1000, b"0123456789")
        } else if line.contains("/manifests/") {
            stall_mid_body(
                "200 OK",
                &[("Content-Type", "application/vnd.oci.image.manifest.v1+json")],
                500,
                br#"{"schemaVersion":2,"#,
            )
        } else {
            stall_mid_body("200 OK", &[], 100, br#"{"tags":["#)
        }
    })
    .await;
    let c = idle_client();
    let r: Reference = format!("{}/team/app:1", open.host()).parse().unwrap();
    let d = Digest::sha256_of(b"blob");
    assert_idle_timeout("blob GET", c.blob_bytes(&r, &d, 4096)).await;
    assert_idle_timeout("manifest GET", c.get_manifest(&r)).await;
    assert_idle_timeout("tags page", c.list_tags(&r, None)).await;

    let port = std::sync::Arc::new(std::sync::OnceLock::<u16>::new());
    let p2 = port.clone();
    let auth = raw::start(move |line, _| {
        if line.starts_with("GET /v2/ ") {
            let realm = format!(
                r#"Bearer realm="http://127.0.0.1:{}/token",service="reg""#,
                p2.get().unwrap()
            );
            reply("401 Unauthorized", &[("WWW-Authenticate", &realm)], b"")
        } else {
            stall_mid_body("200 OK", &[], 300, br#"{"token":"#)
        }
    })
    .await;
    port.set(auth.addr.port()).unwrap();
    let r: Reference = format!("{}/team/app:1", auth.host()).parse().unwrap();
    assert_idle_timeout("token fetch", c.list_tags(&r, None)).await;
}

/// Silence before any header (the `/v2/` ping, a manifest GET, an upload PUT the server
/// stops reading) times out the same way; an error reply whose body stalls still gives its
/// status after the idle time.
#[tokio::test]
async fn silence_before_headers_and_stalled_error_bodies_time_out() {
    use raw::{Answer, reply, stall_mid_body};
    let silent = raw::start(|_, _| Answer::Stall(Vec::new())).await;
    let c = idle_client();
    assert_idle_timeout("ping", c.ping(&silent.host())).await;

    let s = raw::start(|line, _| {
        if line.starts_with("GET /v2/ ") {
            reply("200 OK", &[], b"{}")
        } else if line.starts_with("POST ") {
            reply(
                "202 Accepted",
                &[("Location", "/v2/team/app/blobs/uploads/u1")],
                b"",
            )
        } else if line.contains("/manifests/1 ") {
            Answer::Stall(Vec::new())
        } else if line.contains("/manifests/") {
            stall_mid_body(
                "404 Not Found",
                &[("Content-Type", "application/json")],
                200,
                br#"{"errors":[{"code":"MANIFEST_UNKNOWN","#,
            )
        } else {
            // The upload PUT: never read, never answered.
            Answer::Stall(Vec::new())
        }
    })
    .await;
    let r: Reference = format!("{}/team/app:1", s.host()).parse().unwrap();
    assert_idle_timeout("manifest GET without headers", c.get_manifest(&r)).await;
    let big = bytes::Bytes::from(vec![7u8; 32 * 1024 * 1024]);
    let d = Digest::sha256_of(&big);
    assert_idle_timeout(
        "upload the server stops reading",
        c.push_blob_bytes(&r, &d, big),
    )
    .await;

    let started = std::time::Instant::now();
    let err = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        c.get_manifest(&r.with_tag("2").unwrap()),
    )
    .await
    .expect("hung")
    .unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");
    assert!(started.elapsed() < IDLE * 4, "{:?}", started.elapsed());
}

/// Tags and catalog listings are bounded as a whole (default 64 MiB over all `Link` pages,
/// `ClientBuilder::list_limit`): one huge page, or many pages that add up, is a typed error
/// instead of memory growing with whatever the registry sends.
#[tokio::test]
async fn tag_and_catalog_listings_are_bounded_over_all_pages() {
    use wiremock::matchers::{method, path, query_param};
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&s)
        .await;
    let page = |i: usize| {
        let tags: Vec<String> = (0..2000).map(|j| format!("tag-{i}-{j:0>40}")).collect();
        serde_json::json!({ "name": "team/app", "tags": tags }).to_string()
    };
    let one_page = page(0).len() as u64; // ~100 KB
    // Endless pages: each links to the next.
    for i in 0..50 {
        Mock::given(method("GET"))
            .and(path("/v2/team/app/tags/list"))
            .and(query_param("last", format!("p{i}")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_string(page(i))
                    .insert_header(
                        "Link",
                        format!(r#"</v2/team/app/tags/list?last=p{}>; rel="next""#, i + 1),
                    ),
            )
            .mount(&s)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/v2/team/app/tags/list"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(page(99))
                .insert_header("Link", r#"</v2/team/app/tags/list?last=p0>; rel="next""#),
        )
        .with_priority(10)
        .mount(&s)
        .await;
    let catalog: Vec<String> = (0..20_000).map(|j| format!("repo/{j:0>40}")).collect();
    Mock::given(method("GET"))
        .and(path("/v2/_catalog"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(serde_json::json!({ "repositories": catalog }).to_string()),
        )
        .mount(&s)
        .await;
    let limit = 5 * one_page / 2;
    let c = Client::builder().list_limit(limit).build().unwrap();
    let r = reference(&s, "team/app");
    let err = c.list_tags(&r, None).await.unwrap_err();
    assert!(
        matches!(&err, Error::TooLarge { what: "tags/catalog list", limit: l, .. } if *l == limit),
        "{err:?}"
    );
    let err = c.catalog(&host(&s), None).await.unwrap_err();
    assert!(matches!(&err, Error::TooLarge { .. }), "{err:?}");
    // Under the limit the same catalog is read whole.
    let c = Client::builder()
        .list_limit(64 * 1024 * 1024)
        .build()
        .unwrap();
    assert_eq!(c.catalog(&host(&s), None).await.unwrap().len(), 20_000);
}

/// A chunked upload whose first PATCH failed, and whose status then says `Range: 0-0`:
/// distribution answers that both for an empty upload and after one byte (`blobUploadResponse`
/// subtracts one only from a non-zero size), so the offset is unknown. The client must not
/// guess byte 1 (an empty upload answers 416 to that on every retry): it abandons that
/// session and uploads again from byte 0 in a new one.
#[tokio::test]
async fn an_ambiguous_range_0_0_restarts_the_upload_at_byte_0() {
    use wiremock::matchers::{header, method, path, query_param};
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&s)
        .await;
    let data: Vec<u8> = (0..25u8).collect();
    let digest = Digest::sha256_of(&data);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("blob");
    std::fs::write(&file, &data).unwrap();
    Mock::given(method("HEAD"))
        .and(path(format!("/v2/team/app/blobs/{digest}")))
        .respond_with(ResponseTemplate::new(404))
        .mount(&s)
        .await;
    for (session, priority) in [("u1", 1), ("u2", 2)] {
        Mock::given(method("POST"))
            .and(path("/v2/team/app/blobs/uploads/"))
            .respond_with(
                ResponseTemplate::new(202)
                    .insert_header("Location", format!("/v2/team/app/blobs/uploads/{session}")),
            )
            .up_to_n_times(1)
            .with_priority(priority)
            .expect(1)
            .mount(&s)
            .await;
    }
    Mock::given(method("PATCH"))
        .and(path("/v2/team/app/blobs/uploads/u1"))
        .respond_with(ResponseTemplate::new(500))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/team/app/blobs/uploads/u1"))
        .respond_with(ResponseTemplate::new(204).insert_header("Range", "0-0"))
        .expect(1)
        .mount(&s)
        .await;
    // The abandoned session is cancelled (best effort).
    Mock::given(method("DELETE"))
        .and(path("/v2/team/app/blobs/uploads/u1"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&s)
        .await;
    for range in ["0-9", "10-19", "20-24"] {
        Mock::given(method("PATCH"))
            .and(path("/v2/team/app/blobs/uploads/u2"))
            .and(header("content-range", range))
            .respond_with(
                ResponseTemplate::new(202)
                    .insert_header("Location", "/v2/team/app/blobs/uploads/u2"),
            )
            .expect(1)
            .mount(&s)
            .await;
    }
    Mock::given(method("PUT"))
        .and(path("/v2/team/app/blobs/uploads/u2"))
        .and(query_param("digest", digest.as_str()))
        .respond_with(ResponseTemplate::new(201))
        .expect(1)
        .mount(&s)
        .await;
    let c = Client::builder()
        .chunk_size(10)
        .retry(fast_retry(3))
        .build()
        .unwrap();
    assert!(
        c.push_blob_file(&reference(&s, "team/app"), &digest, &file, 0, 25)
            .await
            .unwrap()
    );
    let first_u2 = s
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.method.as_str() == "PATCH" && r.url.path().ends_with("/u2"))
        .unwrap();
    assert_eq!(first_u2.body, data[..10]);
}

/// A hostile upload status: `Range: 0-18446744073709551615` (`end + 1` overflowed), an end
/// beyond the blob, or a range that does not start at 0 is a typed protocol error naming the
/// header, never a panic or a wrapped offset.
#[tokio::test]
async fn hostile_upload_ranges_are_typed_errors() {
    use wiremock::matchers::{method, path};
    for range in ["0-18446744073709551615", "0-99", "5-9", "bytes=x-y"] {
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/v2/"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&s)
            .await;
        let data: Vec<u8> = (0..25u8).collect();
        let digest = Digest::sha256_of(&data);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("blob");
        std::fs::write(&file, &data).unwrap();
        Mock::given(method("HEAD"))
            .respond_with(ResponseTemplate::new(404))
            .mount(&s)
            .await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(202)
                    .insert_header("Location", "/v2/team/app/blobs/uploads/u1"),
            )
            .mount(&s)
            .await;
        Mock::given(method("PATCH"))
            .respond_with(ResponseTemplate::new(500))
            .mount(&s)
            .await;
        Mock::given(method("GET"))
            .and(path("/v2/team/app/blobs/uploads/u1"))
            .respond_with(ResponseTemplate::new(204).insert_header("Range", range))
            .mount(&s)
            .await;
        let c = Client::builder()
            .chunk_size(10)
            .retry(fast_retry(3))
            .build()
            .unwrap();
        let err = c
            .push_blob_file(&reference(&s, "team/app"), &digest, &file, 0, 25)
            .await
            .unwrap_err();
        match &err {
            Error::Protocol { reason, .. } => assert!(reason.contains(range), "{err}"),
            other => panic!("{range}: {other:?}"),
        }
    }
}

/// A blob already in the pull's layout is trusted only when its digest matches: a corrupted
/// file of the right size is detected, downloaded again and replaced.
#[tokio::test]
async fn pull_repairs_a_corrupted_layout_blob_of_the_right_size() {
    use registry_client::image::{ImageBuilder, ImageConfig, Layer};
    use registry_client::mock::MockRegistry;
    let reg = MockRegistry::start().await;
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("src");
    ImageBuilder::new()
        .config(ImageConfig::new().cmd(["sh"]))
        .layer(Layer::new().bytes("etc/motd", "hello from the layer\n", 0o644))
        .ref_name("1.0")
        .build(&layout)
        .unwrap();
    let c = Client::builder().build().unwrap();
    let r: Reference = format!("{}/team/app:1.0", reg.host()).parse().unwrap();
    c.push(&layout, &r).await.unwrap();
    let out = dir.path().join("pulled");
    let first = c.pull(&r, &out, None).await.unwrap();
    assert_eq!(first.present, 0);
    // Corrupt every blob in place, keeping its size.
    let blobs = out.join("blobs/sha256");
    let mut corrupted = 0;
    for e in std::fs::read_dir(&blobs).unwrap() {
        let p = e.unwrap().path();
        let mut bytes = std::fs::read(&p).unwrap();
        if Digest::sha256_of(&bytes).hex() == p.file_name().unwrap().to_str().unwrap() {
            if bytes.is_empty() {
                continue;
            }
            bytes[0] ^= 0xff;
            std::fs::write(&p, &bytes).unwrap();
            corrupted += 1;
        }
    }
    assert!(corrupted >= 2, "config and layer");
    let again = c.pull(&r, &out, None).await.unwrap();
    assert_eq!(again.downloaded, first.downloaded, "{again:?}");
    assert_eq!(again.present, 0, "{again:?}");
    for e in std::fs::read_dir(&blobs).unwrap() {
        let p = e.unwrap().path();
        let bytes = std::fs::read(&p).unwrap();
        assert_eq!(
            Digest::sha256_of(&bytes).hex(),
            p.file_name().unwrap().to_str().unwrap(),
            "{} repaired",
            p.display()
        );
    }
    // Intact blobs are still skipped.
    let third = c.pull(&r, &out, None).await.unwrap();
    assert_eq!((third.downloaded, third.present), (0, first.downloaded));
}

/// A DELETE whose reply is lost (the registry deletes, then the connection drops before the
/// answer) is retried; the retry's 404 means what was asked holds, so the call succeeds and
/// the trace says why. A 404 without a lost reply stays an error.
#[tokio::test]
async fn a_delete_retried_after_a_lost_reply_reports_success() {
    use raw::{Answer, reply};
    let out = Captured::default();
    let _capture = out.capture();

    let deleted = std::sync::Arc::new(std::sync::Mutex::new(std::collections::HashSet::new()));
    let d2 = deleted.clone();
    let s = raw::start(move |line, _| {
        if line.starts_with("GET /v2/ ") {
            return reply("200 OK", &[], b"{}");
        }
        let target = line.split(' ').nth(1).unwrap_or_default().to_owned();
        let code = if target.contains("/manifests/") {
            "MANIFEST_UNKNOWN"
        } else {
            "BLOB_UNKNOWN"
        };
        let not_found = reply(
            "404 Not Found",
            &[("Content-Type", "application/json")],
            format!(r#"{{"errors":[{{"code":"{code}","message":"unknown"}}]}}"#).as_bytes(),
        );
        if target.contains("/never/") {
            return not_found;
        }
        // The first DELETE is performed, but its reply is lost; the retry finds nothing.
        if d2.lock().unwrap().insert(target) {
            Answer::Close(Vec::new())
        } else {
            not_found
        }
    })
    .await;
    let c = Client::builder().retry(fast_retry(3)).build().unwrap();
    let d = Digest::sha256_of(b"m");
    let m: Reference = format!("{}/team/app@{d}", s.host()).parse().unwrap();
    c.delete_manifest(&m)
        .await
        .expect("the manifest was deleted");
    let repo: Reference = format!("{}/team/app", s.host()).parse().unwrap();
    c.delete_blob(&repo, &d)
        .await
        .expect("the blob was deleted");
    let deletes = s
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.starts_with("DELETE "))
        .count();
    assert_eq!(deletes, 4, "each DELETE sent twice");
    let text = String::from_utf8(out.0.lock().expect("lock").clone()).expect("utf-8");
    assert_eq!(
        text.matches("DELETE answered 404 after a lost reply")
            .count(),
        2,
        "{text}"
    );
    // A plain 404 (no lost reply) is the error it always was.
    let never: Reference = format!("{}/team/never@{d}", s.host()).parse().unwrap();
    let err = c.delete_manifest(&never).await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");
}

/// Tokens are asked with the narrowest scopes for the call: pull and tags read `pull` only,
/// push `pull` to check blobs and `pull,push` to upload, on the target repository only,
/// delete `delete,pull`; never `*`, never another repository.
#[tokio::test]
async fn tokens_are_asked_with_the_narrowest_scopes() {
    use registry_client::image::{ImageBuilder, ImageConfig, Layer};
    use registry_client::mock::MockRegistry;
    let reg = MockRegistry::builder()
        .bearer_token_server("alice", "pw")
        .start()
        .await;
    let scopes = |reg: &MockRegistry| {
        let mut v: Vec<String> = reg
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
        v.sort();
        v.dedup();
        reg.clear_requests();
        v
    };
    let client = || {
        Client::builder()
            .credentials(&reg.host(), Credentials::basic("alice", "pw"))
            .build()
            .unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    ImageBuilder::new()
        .config(ImageConfig::new().cmd(["sh"]))
        .layer(Layer::new().bytes("a", "b", 0o644))
        .ref_name("1")
        .build(dir.path().join("img"))
        .unwrap();
    let r: Reference = format!("{}/team/app:1", reg.host()).parse().unwrap();
    let pushed = client().push(&dir.path().join("img"), &r).await.unwrap();
    // `pull` for the HEAD checks, `pull,push` for the uploads and the manifest.
    assert_eq!(
        scopes(&reg),
        ["repository:team/app:pull", "repository:team/app:pull,push"]
    );
    client()
        .pull(&r, &dir.path().join("out"), None)
        .await
        .unwrap();
    assert_eq!(scopes(&reg), ["repository:team/app:pull"]);
    client().list_tags(&r, None).await.unwrap();
    assert_eq!(scopes(&reg), ["repository:team/app:pull"]);
    let by_digest = r.without_tag().with_digest(pushed.digest);
    client().delete_manifest(&by_digest).await.unwrap();
    assert_eq!(scopes(&reg), ["repository:team/app:delete,pull"]);
}

/// A wiremock `Respond` that records when each request arrived (by path) and answers with a
/// fixed template (possibly delayed: the confirmation then comes later).
struct Stamp(
    std::sync::Arc<std::sync::Mutex<Vec<(String, std::time::Instant)>>>,
    ResponseTemplate,
);
impl wiremock::Respond for Stamp {
    fn respond(&self, r: &wiremock::Request) -> ResponseTemplate {
        self.0.lock().unwrap().push((
            format!("{} {}", r.method, r.url.path()),
            std::time::Instant::now(),
        ));
        self.1.clone()
    }
}

/// The manifest goes last: against a fake that would accept any manifest (distribution itself
/// refuses one naming unknown blobs), the client PUTs it only after the registry confirmed
/// every blob upload (each confirmation delayed here), and not at all when one blob failed.
#[tokio::test]
async fn the_manifest_is_put_only_after_every_blob_is_confirmed() {
    use registry_client::image::{ImageBuilder, ImageConfig, Layer};
    use wiremock::matchers::{method, path, path_regex};
    const CONFIRM: std::time::Duration = std::time::Duration::from_millis(300);
    let dir = tempfile::tempdir().unwrap();
    ImageBuilder::new()
        .config(ImageConfig::new().cmd(["sh"]))
        .layer(Layer::new().bytes("a", "1", 0o644))
        .layer(Layer::new().bytes("b", "2", 0o644))
        .layer(Layer::new().bytes("c", "3", 0o644))
        .ref_name("1")
        .build(dir.path().join("img"))
        .expect("build the test image");
    for fail_one in [false, true] {
        let s = server().await;
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        Mock::given(method("GET"))
            .and(path("/v2/"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&s)
            .await;
        Mock::given(method("HEAD"))
            .and(path_regex("/blobs/"))
            .respond_with(ResponseTemplate::new(404))
            .mount(&s)
            .await;
        Mock::given(method("POST"))
            .and(path("/v2/team/app/blobs/uploads/"))
            .respond_with(
                ResponseTemplate::new(202)
                    .insert_header("Location", "/v2/team/app/blobs/uploads/u"),
            )
            .mount(&s)
            .await;
        let blob_reply = ResponseTemplate::new(201).set_delay(CONFIRM);
        Mock::given(method("PUT"))
            .and(path("/v2/team/app/blobs/uploads/u"))
            .respond_with(Stamp(log.clone(), blob_reply))
            .up_to_n_times(if fail_one { 3 } else { 4 })
            .mount(&s)
            .await;
        if fail_one {
            Mock::given(method("PUT"))
                .and(path("/v2/team/app/blobs/uploads/u"))
                .respond_with(ResponseTemplate::new(400).set_body_string(
                    r#"{"errors":[{"code":"BLOB_UPLOAD_INVALID","message":"no"}]}"#,
                ))
                .with_priority(6)
                .mount(&s)
                .await;
        }
        // This fake accepts any manifest, blobs or not.
        Mock::given(method("PUT"))
            .and(path("/v2/team/app/manifests/1"))
            .respond_with(Stamp(log.clone(), ResponseTemplate::new(201)))
            .expect(u64::from(!fail_one))
            .mount(&s)
            .await;
        let c = Client::builder().build().unwrap();
        let r = reference(&s, "team/app:1");
        let result = c.push(&dir.path().join("img"), &r).await;
        let log = log.lock().unwrap().clone();
        if fail_one {
            let err = result.unwrap_err();
            assert_eq!(err.status(), Some(400), "{err:?}");
            assert!(
                log.iter().all(|(what, _)| !what.contains("/manifests/")),
                "{log:?}"
            );
        } else {
            let report = result.unwrap();
            assert_eq!(report.uploaded, 4, "config and three layers");
            let (manifest_at, blobs): (Vec<_>, Vec<_>) = log
                .iter()
                .partition(|(what, _)| what.contains("/manifests/"));
            assert_eq!((manifest_at.len(), blobs.len()), (1, 4), "{log:?}");
            for (_, at) in &blobs {
                assert!(
                    manifest_at[0].1 >= *at + CONFIRM,
                    "the manifest came before a blob's confirmation: {log:?}"
                );
            }
        }
    }
}

/// `push`, `pull` and `copy` futures can be handed to `tokio::spawn` (they did not compile
/// there: a per-blob closure over borrowed items failed rustc's higher-ranked `Send` check).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_pull_and_copy_can_be_spawned() {
    use registry_client::image::{ImageBuilder, ImageConfig, Layer};
    use registry_client::mock::MockRegistry;
    let reg = MockRegistry::start().await;
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("img");
    ImageBuilder::new()
        .config(ImageConfig::new().cmd(["sh"]))
        .layer(Layer::new().bytes("a", "spawned", 0o644))
        .ref_name("1")
        .build(&layout)
        .unwrap();
    let c = Client::builder().build().unwrap();
    let r: Reference = format!("{}/team/app:1", reg.host()).parse().unwrap();
    let pushed = tokio::spawn({
        let (c, layout, r) = (c.clone(), layout.clone(), r.clone());
        async move { c.push(&layout, &r).await }
    })
    .await
    .unwrap()
    .unwrap();
    let out = dir.path().join("out");
    let pulled = tokio::spawn({
        let (c, r) = (c.clone(), r.clone());
        async move { c.pull(&r, &out, None).await }
    })
    .await
    .unwrap()
    .unwrap();
    let dst: Reference = format!("{}/team/copy:1", reg.host()).parse().unwrap();
    let copied = tokio::spawn(async move { c.copy(&r, &dst).await })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pulled.digest, pushed.digest);
    assert_eq!(copied.digest, pushed.digest);
}

/// A token reply that is not the expected JSON is a typed error that quotes none of it (serde's
/// own messages quote values: here an `expires_in` that is a string holding the token).
#[tokio::test]
async fn a_malformed_token_reply_is_reported_without_its_content() {
    use wiremock::matchers::{method, path};
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/"))
        .respond_with(ResponseTemplate::new(401).insert_header(
            "WWW-Authenticate",
            format!(r#"Bearer realm="{}/token",service="reg""#, s.uri()),
        ))
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"{"token":"SECRET-TOKEN","expires_in":"SECRET-TOKEN"}"#),
        )
        .mount(&s)
        .await;
    let err = Client::builder()
        .build()
        .unwrap()
        .list_tags(&reference(&s, "team/app"), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Token { .. }), "{err:?}");
    assert!(
        !format!("{err} {err:?}").contains("SECRET-TOKEN"),
        "{err:?}"
    );
}

/// A tags `Link` to another origin is refused before anything is sent there (the next page
/// would carry the registry's credentials).
#[tokio::test]
async fn a_tags_link_to_another_origin_is_refused() {
    use wiremock::matchers::{method, path};
    let s = server().await;
    let other = server().await;
    protect(&s, "basic").await;
    Mock::given(method("GET"))
        .and(path("/v2/team/app/tags/list"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header(
                    "Link",
                    format!(
                        r#"<{}/v2/team/app/tags/list?last=a>; rel="next""#,
                        other.uri()
                    ),
                )
                .set_body_string(r#"{"tags":["a"]}"#),
        )
        .mount(&s)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&other)
        .await;
    let c = Client::builder()
        .credentials(&host(&s), Credentials::basic("user", "pass"))
        .build()
        .unwrap();
    let err = c
        .list_tags(&reference(&s, "team/app"), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err:?}");
}
