//! `Client::watch_events` against a scripted daemon that cuts the stream: it reconnects with a
//! `since` checkpoint, drops the replayed event, reports each loss and reconnect, and stops on an
//! error the daemon would repeat.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use swarm_client::events::EventFilter;
use swarm_client::watch::{WatchEvent, WatchOptions};
use swarm_client::{ApiVersion, Client, Error};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn event(id: &str, t: i64) -> String {
    format!(
        r#"{{"Type":"service","Action":"update","Actor":{{"ID":"{id}","Attributes":{{"name":"{id}"}}}},"scope":"swarm","time":0,"timeNano":{t}}}"#
    )
}

/// How one connection is answered.
enum Script {
    /// 200, these lines, then the connection is dropped without ending the body.
    Cut(Vec<String>),
    /// 200, these lines, then the body ends properly (the daemon closed the stream).
    Close(Vec<String>),
    /// 200, these lines, then stays open.
    Hold(Vec<String>),
    /// An error status with a JSON message.
    Status(u16, &'static str),
}

/// A one-thread HTTP/1.1 server answering connection N with script N; records request lines.
async fn scripted(scripts: Vec<Script>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        let mut held = Vec::new();
        for script in scripts {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = sock.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                head.extend_from_slice(&buf[..n]);
            }
            let line = String::from_utf8_lossy(&head)
                .lines()
                .next()
                .unwrap_or("")
                .to_owned();
            log.lock().unwrap().push(line);
            match script {
                Script::Status(code, msg) => {
                    let body = format!(r#"{{"message":"{msg}"}}"#);
                    let resp = format!(
                        "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    sock.write_all(resp.as_bytes()).await.unwrap();
                    drop(sock);
                }
                Script::Cut(lines) => held.extend(serve(sock, &lines, End::Cut).await),
                Script::Close(lines) => held.extend(serve(sock, &lines, End::Close).await),
                Script::Hold(lines) => held.extend(serve(sock, &lines, End::Hold).await),
            }
        }
        // keep held connections open until the test ends
        tokio::time::sleep(Duration::from_secs(60)).await;
        drop(held);
    });
    (format!("tcp://{addr}"), seen)
}

#[derive(Clone, Copy)]
enum End {
    Cut,
    Close,
    Hold,
}

/// 200 with `lines` as chunks, then ends as `end` says; returns the socket to keep open.
async fn serve(
    mut sock: tokio::net::TcpStream,
    lines: &[String],
    end: End,
) -> Option<tokio::net::TcpStream> {
    let chunk = |s: &str| format!("{:x}\r\n{s}\n\r\n", s.len() + 1);
    // `Connection: close`: one request per connection, as the scripts count them.
    let mut out = String::from(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
    );
    for l in lines {
        out.push_str(&chunk(l));
    }
    sock.write_all(out.as_bytes()).await.unwrap();
    sock.flush().await.unwrap();
    match end {
        End::Cut => {
            // the body never ends: the connection just goes away
            tokio::time::sleep(Duration::from_millis(50)).await;
            None
        }
        End::Close => {
            sock.write_all(b"0\r\n\r\n").await.unwrap();
            tokio::time::sleep(Duration::from_millis(50)).await;
            None
        }
        End::Hold => Some(sock),
    }
}

fn client(endpoint: &str) -> Client {
    Client::builder(endpoint)
        .api_version(ApiVersion::MIN)
        .retry(sdk_core::RetryPolicy::none())
        .build()
        .unwrap()
}

fn fast() -> WatchOptions {
    WatchOptions::new().backoff(Duration::from_millis(10), Duration::from_millis(40))
}

#[tokio::test]
async fn reconnects_with_a_checkpoint_and_never_delivers_an_event_twice() {
    let (endpoint, seen) = scripted(vec![
        Script::Cut(vec![event("a", 1_000_000_001), event("b", 1_000_000_002)]),
        // the daemon replays from the checkpoint, inclusive: b again, then c
        Script::Close(vec![event("b", 1_000_000_002), event("c", 2_000_000_000)]),
        Script::Hold(vec![event("c", 2_000_000_000), event("d", 3_000_000_000)]),
    ])
    .await;
    let c = client(&endpoint);
    let mut s = c.watch_events(EventFilter::new().kind("service"), fast());
    let mut trace = Vec::new();
    while trace.len() < 9 {
        let item = tokio::time::timeout(Duration::from_secs(10), s.next())
            .await
            .expect("stalled")
            .expect("ended")
            .expect("error");
        trace.push(match item {
            WatchEvent::Connected { resumed } => format!("connected resumed={resumed}"),
            WatchEvent::Event(ev) => format!("event {}", ev.actor.id),
            WatchEvent::Disconnected { retry_in, .. } => {
                assert!(retry_in <= Duration::from_millis(40));
                "disconnected".to_owned()
            }
            other => panic!("unexpected {other:?}"),
        });
    }
    assert_eq!(
        trace,
        [
            "connected resumed=false",
            "event a",
            "event b",
            "disconnected",
            "connected resumed=true",
            "event c",
            "disconnected",
            "connected resumed=true",
            "event d",
        ]
    );
    let lines = seen.lock().unwrap().clone();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(!lines[0].contains("since="), "{}", lines[0]);
    assert!(lines[1].contains("since=1.000000002"), "{}", lines[1]);
    assert!(lines[2].contains("since=2.000000000"), "{}", lines[2]);
    assert!(lines.iter().all(|l| l.contains("filters=")), "{lines:?}");
}

#[tokio::test]
async fn a_bad_filter_ends_the_stream_with_the_daemons_error() {
    let (endpoint, _) = scripted(vec![Script::Status(400, "invalid filter 'nope'")]).await;
    let c = client(&endpoint);
    let mut s = c.watch_events(EventFilter::new().kind("nope"), fast());
    let err = s.next().await.unwrap().unwrap_err();
    assert!(err.to_string().contains("invalid filter"), "{err}");
    assert!(s.next().await.is_none());
}

#[tokio::test]
async fn a_daemon_that_stays_down_is_retried_then_given_up_when_asked() {
    // A port nothing listens on: every attempt fails to connect.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = client(&format!("tcp://127.0.0.1:{port}"));
    let mut s = c.watch_events(EventFilter::new(), fast().max_attempts(3));
    let mut disconnects = 0;
    let last = loop {
        match s.next().await.expect("ended without an error") {
            Ok(WatchEvent::Disconnected { error, .. }) => {
                assert!(error.is_transient(), "{error}");
                disconnects += 1;
            }
            Ok(other) => panic!("unexpected {other:?}"),
            Err(e) => break e,
        }
    };
    assert_eq!(disconnects, 2);
    assert!(last.is_transient(), "{last}");
    assert!(
        matches!(last, Error::Transport { .. } | Error::Http { .. }),
        "{last:?}"
    );
    assert!(s.next().await.is_none());
}
