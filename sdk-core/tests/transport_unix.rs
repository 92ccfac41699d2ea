//! The transport over a unix socket, against a minimal HTTP server in the test (no dockerd).

use sdk_core::{Endpoint, Idempotent, RetryPolicy, Transport};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

#[tokio::test]
async fn requests_go_over_the_unix_socket() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("api.sock");
    let listener = tokio::net::UnixListener::bind(&sock).unwrap();
    let server = tokio::spawn(async move {
        let (mut conn, _) = listener.accept().await.unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 1024];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = conn.read(&mut chunk).await.unwrap();
            assert!(n > 0, "client closed early");
            buf.extend_from_slice(&chunk[..n]);
        }
        conn.write_all(b"HTTP/1.1 200 OK\r\nApi-Version: 1.47\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK")
            .await
            .unwrap();
        String::from_utf8(buf).unwrap()
    });

    let endpoint: Endpoint = format!("unix://{}", sock.display()).parse().unwrap();
    let transport = Transport::builder(endpoint)
        .user_agent("dw-test/1")
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let url = transport.url("/v1.47/_ping?x=1").unwrap();
    assert_eq!(url.as_str(), "http://localhost/v1.47/_ping?x=1");
    let resp = transport
        .send(|c| c.get(url.clone()), Idempotent::ByMethod)
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["api-version"], "1.47");
    assert_eq!(resp.text().await.unwrap(), "OK");

    let request = server.await.unwrap();
    let mut lines = request.lines();
    assert_eq!(lines.next(), Some("GET /v1.47/_ping?x=1 HTTP/1.1"));
    let lower = request.to_ascii_lowercase();
    assert!(lower.contains("\r\nhost: localhost\r\n"), "{request}");
    assert!(lower.contains("\r\nuser-agent: dw-test/1\r\n"), "{request}");
}

#[tokio::test]
async fn missing_socket_is_a_connect_error() {
    let dir = tempfile::tempdir().unwrap();
    let endpoint: Endpoint = format!("unix://{}/nope.sock", dir.path().display())
        .parse()
        .unwrap();
    let transport = Transport::builder(endpoint)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let url = transport.url("/_ping").unwrap();
    let err = transport
        .send(|c| c.get(url.clone()), Idempotent::ByMethod)
        .await
        .unwrap_err();
    assert!(matches!(err, sdk_core::Error::Connect { .. }), "{err:?}");
}

#[test]
fn url_keeps_an_endpoint_path_prefix() {
    let endpoint: Endpoint = "http://127.0.0.1:9/prefix".parse().unwrap();
    let t = Transport::builder(endpoint).build().unwrap();
    assert_eq!(
        t.url("/v2/_catalog?n=1").unwrap().as_str(),
        "http://127.0.0.1:9/prefix/v2/_catalog?n=1"
    );
    assert_eq!(
        t.url("v2/").unwrap().as_str(),
        "http://127.0.0.1:9/prefix/v2/"
    );
}
