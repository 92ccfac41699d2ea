//! Bounded, idle-limited reads (`sdk_core::body`) and the shared error decoder
//! (`sdk_core::error_body`) against a scripted TCP server on 127.0.0.1: headers that never
//! come, bodies that stop, bodies that never end, and a slow but moving upload (which must not
//! time out).

use futures_util::StreamExt as _;
use sdk_core::body::{Activity, BodyError, read_limited, send_with_idle};
use sdk_core::error_body::{ERROR_BODY_LIMIT, read_error_reply};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const IDLE: Duration = Duration::from_millis(300);

/// Accepts one connection, reads the request head, then runs `script` on the socket.
async fn one_shot<F, Fut>(script: F) -> String
where
    F: FnOnce(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        let mut head = Vec::new();
        let mut b = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if s.read(&mut b).await.unwrap_or(0) == 0 {
                return;
            }
            head.push(b[0]);
        }
        script(s).await;
    });
    format!("http://{addr}/")
}

fn client() -> reqwest::Client {
    sdk_core::registry_http_client("127.0.0.1", &sdk_core::ClientOptions::new()).unwrap()
}

fn assert_about_idle(started: Instant) {
    let e = started.elapsed();
    assert!(
        e >= IDLE && e < IDLE * 4,
        "took {e:?} for an idle timeout of {IDLE:?}"
    );
}

#[tokio::test]
async fn headers_that_never_come_time_out() {
    let url = one_shot(|s| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(s);
    })
    .await;
    let started = Instant::now();
    let err = send_with_idle(client().get(url), IDLE, &Activity::new())
        .await
        .unwrap_err();
    assert!(
        matches!(err, BodyError::Idle { after } if after == IDLE),
        "{err:?}"
    );
    assert_about_idle(started);
}

#[tokio::test]
async fn a_body_that_stops_mid_way_times_out() {
    let url = one_shot(|mut s| async move {
        s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let resp = send_with_idle(client().get(url), IDLE, &Activity::new())
        .await
        .unwrap();
    let started = Instant::now();
    let err = read_limited(resp, 1 << 20, IDLE).await.unwrap_err();
    assert!(matches!(err, BodyError::Idle { .. }), "{err:?}");
    assert_about_idle(started);
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused_declared_or_not() {
    // Declared too large: refused before reading.
    let url = one_shot(|mut s| async move {
        s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5000000\r\n\r\n")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let resp = client().get(url).send().await.unwrap();
    let err = read_limited(resp, 1024, IDLE).await.unwrap_err();
    assert!(
        matches!(err, BodyError::TooLarge { limit: 1024 }),
        "{err:?}"
    );
    // Chunked without end: refused once past the limit.
    let url = one_shot(|mut s| async move {
        s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            .await
            .unwrap();
        let chunk = format!("{:x}\r\n{}\r\n", 4096, "a".repeat(4096));
        while s.write_all(chunk.as_bytes()).await.is_ok() {}
    })
    .await;
    let resp = client().get(url).send().await.unwrap();
    let err = read_limited(resp, 100_000, IDLE).await.unwrap_err();
    assert!(
        matches!(err, BodyError::TooLarge { limit: 100_000 }),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_endless_error_body_is_read_up_to_64_kib_and_decoded() {
    let url = one_shot(|mut s| async move {
        s.write_all(
            b"HTTP/1.1 500 Internal Server Error\r\nRetry-After: 7\r\nTransfer-Encoding: chunked\r\n\r\n",
        )
        .await
        .unwrap();
        let first = "upstream failed with Authorization: Bearer LEAKED ";
        let _ = s
            .write_all(format!("{:x}\r\n{first}\r\n", first.len()).as_bytes())
            .await;
        let chunk = format!("{:x}\r\n{}\r\n", 4096, "x".repeat(4096));
        while s.write_all(chunk.as_bytes()).await.is_ok() {}
    })
    .await;
    let resp = client().get(url).send().await.unwrap();
    let reply = read_error_reply(resp, IDLE).await;
    assert_eq!(reply.status, 500);
    assert!(reply.retryable);
    assert_eq!(reply.retry_after, Some(Duration::from_secs(7)));
    assert!(reply.body.truncated);
    let m = reply.body.message();
    assert!(
        m.starts_with("upstream failed with Authorization: Bearer <redacted>"),
        "{m}"
    );
    assert!(
        !m.contains("LEAKED") && m.len() < ERROR_BODY_LIMIT,
        "{}",
        m.len()
    );
}

#[tokio::test]
async fn an_error_body_that_stalls_still_gives_the_status() {
    let url = one_shot(|mut s| async move {
        s.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 100\r\n\r\n{\"message\":")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let resp = client().get(url).send().await.unwrap();
    let started = Instant::now();
    let reply = read_error_reply(resp, IDLE).await;
    assert_eq!(reply.status, 404);
    assert!(!reply.retryable);
    assert_eq!(reply.body.message(), "{\"message\":");
    assert_about_idle(started);
}

/// A slow but moving upload takes longer than the idle timeout in total and still succeeds:
/// the idle clock restarts with every body chunk the connection takes. The upload is larger
/// than the socket buffers (Linux lets a send buffer grow to 4 MiB), so chunks are taken
/// only as fast as the server reads.
#[tokio::test]
async fn a_slow_upload_that_keeps_moving_does_not_time_out() {
    const TOTAL: usize = 24 * 1024 * 1024;
    const UPLOAD_IDLE: Duration = Duration::from_millis(1500);
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", l.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        let mut got = 0usize;
        let mut buf = vec![0u8; 64 * 1024];
        // ~8 MB/s: the whole upload takes ~3 s, twice the idle timeout.
        let mut tick = tokio::time::interval(Duration::from_millis(8));
        while got < TOTAL {
            tick.tick().await;
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got += n,
            }
        }
        s.write_all(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
    });
    let activity = Activity::new();
    let chunks = futures_util::stream::iter(
        (0..TOTAL / (64 * 1024))
            .map(|_| Ok::<_, std::io::Error>(bytes::Bytes::from(vec![7u8; 64 * 1024]))),
    );
    let body = reqwest::Body::wrap_stream(activity.track(chunks));
    let started = Instant::now();
    let resp = send_with_idle(
        client().put(url).header("content-length", TOTAL).body(body),
        UPLOAD_IDLE,
        &activity,
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 201);
    assert!(
        started.elapsed() > UPLOAD_IDLE,
        "{:?}: the upload must outlast the idle timeout to prove anything",
        started.elapsed()
    );
}

/// The same upload to a server that stops reading times out after the idle time.
#[tokio::test]
async fn an_upload_the_server_stops_reading_times_out() {
    let url = one_shot(|s| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(s);
    })
    .await;
    let activity = Activity::new();
    let chunks = futures_util::stream::iter(
        (0..1000).map(|_| Ok::<_, std::io::Error>(bytes::Bytes::from(vec![7u8; 64 * 1024]))),
    )
    .boxed();
    let body = reqwest::Body::wrap_stream(activity.track(chunks));
    let started = Instant::now();
    let err = send_with_idle(client().put(url).body(body), IDLE, &activity)
        .await
        .unwrap_err();
    assert!(matches!(err, BodyError::Idle { .. }), "{err:?}");
    assert!(started.elapsed() < IDLE * 5, "{:?}", started.elapsed());
}
