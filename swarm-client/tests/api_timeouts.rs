//! A stalled Engine server cannot hang the client: ordinary calls fail with `Error::Timeout`
//! after the client's timeout (retries and body included), exec output after its idle timeout;
//! follow streams stay open while the daemon has nothing to say. Raw servers on 127.0.0.1 send
//! headers and stop, or never answer.

mod common;

use std::time::{Duration, Instant};

use common::raw::{Script, Then};
use futures_util::StreamExt as _;
use swarm_client::exec::ExecOptions;
use swarm_client::{ApiVersion, Client, Error};

const TIMEOUT: Duration = Duration::from_millis(500);

fn client_of(endpoint: &str, retry: sdk_core::RetryPolicy) -> Client {
    Client::builder(endpoint)
        .api_version(ApiVersion::MIN)
        .retry(retry)
        .timeout(TIMEOUT)
        .build()
        .unwrap()
}

/// Runs `f`, failing the test if it takes 10 s (a hang); returns its result and duration.
async fn timed<T>(f: impl std::future::Future<Output = T>) -> (T, Duration) {
    let t = Instant::now();
    let r = tokio::time::timeout(Duration::from_secs(10), f)
        .await
        .expect("the call hung on a stalled server");
    (r, t.elapsed())
}

fn about_the_timeout(e: &Error, took: Duration, limit: Duration) {
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    assert!(
        took >= limit.mul_f32(0.9) && took < limit + Duration::from_secs(2),
        "took {took:?} for a timeout of {limit:?}"
    );
}

#[tokio::test]
async fn a_json_call_fails_when_the_body_stalls_after_the_headers() {
    let endpoint = common::raw::start(|_, _| {
        Script::head(
            "Content-Type: application/json\r\nContent-Length: 100",
            b"[",
            Then::Stall,
        )
    })
    .await;
    // With retries on: the timeout is for the whole call, not per attempt.
    let client = client_of(&endpoint, sdk_core::RetryPolicy::new());
    let (r, took) = timed(client.service_list(&[])).await;
    about_the_timeout(&r.unwrap_err(), took, TIMEOUT);
}

#[tokio::test]
async fn a_json_call_fails_when_no_headers_come() {
    let endpoint = common::raw::start(|_, _| Script {
        first: Vec::new(),
        then: Then::Stall,
    })
    .await;
    let client = client_of(&endpoint, sdk_core::RetryPolicy::new());
    let (r, took) = timed(client.node_list()).await;
    about_the_timeout(&r.unwrap_err(), took, TIMEOUT);
    let (r, took) = timed(client.service_remove("web")).await;
    about_the_timeout(&r.unwrap_err(), took, TIMEOUT);
}

/// An Engine that creates the exec at once, then answers its start with `start`.
async fn exec_server(start: fn() -> Script) -> String {
    common::raw::start(move |m, p| match (m, p) {
        ("POST", "/v1.41/containers/c1/exec") => Script::json(201, r#"{"Id":"e1"}"#),
        ("POST", "/v1.41/exec/e1/start") => start(),
        _ => Script::json(404, r#"{"message":"unexpected"}"#),
    })
    .await
}

#[tokio::test]
async fn exec_fails_when_its_output_stalls() {
    // Headers and one frame of output, then nothing (the connection stays open).
    let endpoint = exec_server(|| {
        Script::head(
            "Content-Type: application/vnd.docker.multiplexed-stream",
            &[1, 0, 0, 0, 0, 0, 0, 3, b'a', b'b', b'c'],
            Then::Stall,
        )
    })
    .await;
    let client = client_of(&endpoint, sdk_core::RetryPolicy::none());
    let (r, took) = timed(client.exec("c1", &ExecOptions::new(["nginx", "-s", "reload"]))).await;
    about_the_timeout(&r.unwrap_err(), took, TIMEOUT);
    // A shorter idle timeout of its own.
    let slow = Client::builder(&endpoint)
        .api_version(ApiVersion::MIN)
        .retry(sdk_core::RetryPolicy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let idle = Duration::from_millis(300);
    let (r, took) = timed(slow.exec("c1", &ExecOptions::new(["x"]).idle_timeout(idle))).await;
    about_the_timeout(&r.unwrap_err(), took, idle);
}

#[tokio::test]
async fn exec_fails_when_its_start_never_answers() {
    let endpoint = exec_server(|| Script {
        first: Vec::new(),
        then: Then::Stall,
    })
    .await;
    let client = client_of(&endpoint, sdk_core::RetryPolicy::none());
    let (r, took) = timed(client.exec("c1", &ExecOptions::new(["x"]))).await;
    about_the_timeout(&r.unwrap_err(), took, TIMEOUT);
}

#[tokio::test]
async fn a_silent_event_stream_stays_open() {
    // Headers at once, the first event three timeouts later.
    let endpoint = common::raw::start(|_, _| {
        Script::head(
            "Content-Type: application/json",
            b"",
            Then::After(
                TIMEOUT * 3,
                br#"{"Type":"service","Action":"update","Actor":{"ID":"s1"},"time":1}
"#
                .to_vec(),
            ),
        )
    })
    .await;
    let client = client_of(&endpoint, sdk_core::RetryPolicy::none());
    let (events, _) = timed(client.events(&swarm_client::events::EventFilter::new())).await;
    let mut events = events.unwrap();
    let (first, took) = timed(events.next()).await;
    let ev = first.unwrap().unwrap();
    assert_eq!(ev.actor.id, "s1");
    assert!(took >= TIMEOUT * 2, "the event came after {took:?}");
}
