//! The retry policy and transport against wiremock: what is retried, how often, how long.

use sdk_core::{Endpoint, Error, Idempotent, RetryPolicy, Transport};
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A catch-all answering 500 for anything unexpected; it must never be hit.
async fn catch_all(server: &MockServer) {
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(500).set_body_string("unexpected request"))
        .with_priority(u8::MAX)
        .expect(0)
        .named("catch-all")
        .mount(server)
        .await;
}

/// `METHOD PATH` answers `fail` `times` times, then `ok` once; each is expected exactly so.
async fn fail_then_succeed(
    server: &MockServer,
    verb: &str,
    at: &str,
    fail: ResponseTemplate,
    times: u64,
    ok: ResponseTemplate,
) {
    Mock::given(method(verb))
        .and(path(at))
        .respond_with(fail)
        .up_to_n_times(times)
        .expect(times)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method(verb))
        .and(path(at))
        .respond_with(ok)
        .expect(1)
        .with_priority(2)
        .mount(server)
        .await;
}

/// A transport to the mock server: no jitter, short delays, no connect timeout (a paused clock
/// would otherwise fire it while real I/O is pending) and no pool expiry timer (the paused clock
/// would jump to it).
fn transport(server: &MockServer, retry: RetryPolicy) -> Transport {
    let endpoint: Endpoint = server.uri().parse().unwrap();
    Transport::builder(endpoint)
        .connect_timeout(None)
        .pool_idle_timeout(None)
        .retry(retry)
        .build()
        .unwrap()
}

fn fast_policy() -> RetryPolicy {
    RetryPolicy::new()
        .with_jitter(false)
        .with_base_delay(Duration::from_millis(100))
}

#[tokio::test(start_paused = true)]
async fn get_503_503_200_succeeds_on_third_try() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    fail_then_succeed(
        &server,
        "GET",
        "/v2/",
        ResponseTemplate::new(503),
        2,
        ResponseTemplate::new(200).set_body_string("ok"),
    )
    .await;
    let t = transport(&server, fast_policy());
    let url = t.url("/v2/").unwrap();
    let start = tokio::time::Instant::now();
    let resp = t
        .send(|c| c.get(url.clone()), Idempotent::ByMethod)
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "ok");
    // Backoff 100 ms then 200 ms (no jitter).
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_millis(350),
        "{elapsed:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_one_second_is_honoured() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    fail_then_succeed(
        &server,
        "GET",
        "/x",
        ResponseTemplate::new(429).insert_header("Retry-After", "1"),
        1,
        ResponseTemplate::new(200),
    )
    .await;
    // A 5 s backoff shows that Retry-After replaced it.
    let t = transport(
        &server,
        RetryPolicy::new()
            .with_jitter(false)
            .with_base_delay(Duration::from_secs(5)),
    );
    let url = t.url("/x").unwrap();
    let start = tokio::time::Instant::now();
    let resp = t
        .send(|c| c.get(url.clone()), Idempotent::ByMethod)
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_secs(1) && elapsed < Duration::from_millis(1050),
        "waited {elapsed:?}, expected 1 s"
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_capped_by_max_delay() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "120"))
        .expect(2)
        .mount(&server)
        .await;
    let t = transport(
        &server,
        fast_policy()
            .with_max_attempts(2)
            .with_max_delay(Duration::from_secs(3)),
    );
    let url = t.url("/").unwrap();
    let start = tokio::time::Instant::now();
    let resp = t
        .send(|c| c.get(url.clone()), Idempotent::ByMethod)
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_secs(3) && elapsed < Duration::from_millis(3050),
        "{elapsed:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn max_attempts_is_respected() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("GET"))
        .and(path("/always-503"))
        .respond_with(ResponseTemplate::new(503))
        .expect(3)
        .mount(&server)
        .await;
    let t = transport(&server, fast_policy().with_max_attempts(3));
    let url = t.url("/always-503").unwrap();
    let resp = t
        .send(|c| c.get(url.clone()), Idempotent::ByMethod)
        .await
        .unwrap();
    // The final response is returned as is.
    assert_eq!(resp.status(), 503);
}

#[tokio::test(start_paused = true)]
async fn post_is_not_retried_unless_marked_safe() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/unsafe"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    fail_then_succeed(
        &server,
        "POST",
        "/safe",
        ResponseTemplate::new(503),
        1,
        ResponseTemplate::new(201),
    )
    .await;
    let t = transport(&server, fast_policy());
    let unsafe_url = t.url("/unsafe").unwrap();
    let resp = t
        .send(
            |c| c.post(unsafe_url.clone()).body("payload"),
            Idempotent::ByMethod,
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);

    let safe_url = t.url("/safe").unwrap();
    let resp = t
        .send(
            |c| c.post(safe_url.clone()).body("payload"),
            Idempotent::Yes,
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
}

#[tokio::test(start_paused = true)]
async fn get_marked_no_is_not_retried() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let t = transport(&server, fast_policy());
    let url = t.url("/").unwrap();
    let resp = t
        .send(|c| c.get(url.clone()), Idempotent::No)
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
}

#[tokio::test(start_paused = true)]
async fn client_errors_are_never_retried() {
    for status in [400u16, 401, 403, 404, 409, 501] {
        let server = MockServer::start().await;
        catch_all(&server).await;
        Mock::given(method("GET"))
            .and(path("/v2/"))
            .respond_with(
                ResponseTemplate::new(status)
                    .insert_header("WWW-Authenticate", "Basic realm=\"r\"")
                    .insert_header("Retry-After", "1"),
            )
            .expect(1)
            .mount(&server)
            .await;
        let t = transport(&server, fast_policy());
        let url = t.url("/v2/").unwrap();
        // Even a caller marking the request safe does not make 4xx retryable.
        let resp = t
            .send(|c| c.get(url.clone()), Idempotent::Yes)
            .await
            .unwrap();
        assert_eq!(resp.status(), status);
        server.verify().await;
    }
}

#[tokio::test]
async fn retry_policy_run_directly() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("HEAD"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .with_priority(2)
        .mount(&server)
        .await;
    let client = reqwest::Client::builder()
        .use_preconfigured_tls(sdk_core::TlsConfig::new().client_config().unwrap())
        .build()
        .unwrap();
    let policy = RetryPolicy::new().with_base_delay(Duration::from_millis(1));
    let mut calls = 0;
    let resp = policy
        .run(true, || {
            calls += 1;
            client.head(format!("{}/blob", server.uri())).send()
        })
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(calls, 2);
}

#[tokio::test]
async fn connection_refused_is_retried_then_a_typed_error_without_secrets() {
    // A port that was free a moment ago: nothing listens there.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let endpoint: Endpoint = format!("http://127.0.0.1:{port}").parse().unwrap();
    let t = Transport::builder(endpoint)
        .retry(RetryPolicy::new().with_base_delay(Duration::from_millis(5)))
        .build()
        .unwrap();
    let url = t.url("/v2/?token=SECRET-TOKEN-VALUE").unwrap();
    let mut attempts = 0;
    let err = t
        .send(
            |c| {
                attempts += 1;
                c.get(url.clone())
            },
            Idempotent::ByMethod,
        )
        .await
        .unwrap_err();
    assert_eq!(attempts, 4, "default policy makes 4 attempts");
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
    let text = format!("{err} {err:?} {}", sdk_core_error_chain(&err));
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert!(!text.contains("SECRET-TOKEN-VALUE"), "{text}");

    // POST: one attempt only.
    let mut attempts = 0;
    let _ = t
        .send(
            |c| {
                attempts += 1;
                c.post(url.clone())
            },
            Idempotent::ByMethod,
        )
        .await
        .unwrap_err();
    assert_eq!(attempts, 1);
}

#[tokio::test]
async fn per_call_timeout_is_a_timeout_error() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .expect(2)
        .mount(&server)
        .await;
    let t = transport(
        &server,
        RetryPolicy::new()
            .with_max_attempts(2)
            .with_base_delay(Duration::from_millis(1)),
    );
    let url = t.url("/slow?password=SECRETPW").unwrap();
    let start = std::time::Instant::now();
    let err = t
        .send(
            |c| c.get(url.clone()).timeout(Duration::from_millis(100)),
            Idempotent::ByMethod,
        )
        .await
        .unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(3));
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("SECRETPW"));
}

fn sdk_core_error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        out.push_str(": ");
        out.push_str(&e.to_string());
        cur = e.source();
    }
    out
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
                out.0.lock().unwrap().extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Each request gets an `http_request` span (method, redacted URL, whether it may be retried);
/// its attempts and retries are events inside it; a token in the query never reaches the log.
#[tokio::test(start_paused = true)]
async fn requests_are_traced_in_a_span_with_the_url_redacted() {
    let out = Captured::default();
    let _capture = out.capture();
    let server = MockServer::start().await;
    catch_all(&server).await;
    fail_then_succeed(
        &server,
        "GET",
        "/v2/",
        ResponseTemplate::new(503),
        1,
        ResponseTemplate::new(200),
    )
    .await;
    let t = transport(&server, fast_policy());
    let mut url = t.url("/v2/").unwrap();
    url.set_query(Some("token=hunter2-token&n=1"));
    let resp = t
        .send(|c| c.get(url.clone()), Idempotent::ByMethod)
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    let span = format!(
        "http_request{{method=GET url={}/v2/?token=<redacted>&n=1 retry=true}}",
        server.uri()
    );
    assert!(text.contains(&span), "{text}");
    assert!(text.contains("retrying HTTP request"), "{text}");
    assert_eq!(
        text.matches(&format!("{span}: sdk_core::retry: HTTP attempt"))
            .count(),
        2,
        "{text}"
    );
    assert!(!text.contains("hunter2"), "{text}");
}
