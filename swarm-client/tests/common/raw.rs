//! A raw HTTP/1.1 server on 127.0.0.1 for faults wiremock cannot script: replies that stall
//! after their headers or mid-body, endless chunked bodies, silence for a while before data.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// What the server does after writing a reply's first bytes.
pub enum Then {
    /// Nothing more: the reply was complete; the connection serves the next request.
    Done,
    /// Keeps the connection open and writes nothing more.
    Stall,
    /// Waits, writes these bytes, then stalls.
    After(Duration, Vec<u8>),
    /// Writes these bytes again and again until the client goes away.
    Endless(Vec<u8>),
}

/// One scripted reply.
pub struct Script {
    /// Status line, headers and whatever body comes at once.
    pub first: Vec<u8>,
    /// What follows.
    pub then: Then,
}

impl Script {
    /// A complete JSON reply.
    pub fn json(status: u16, body: &str) -> Self {
        Self {
            first: format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes(),
            then: Then::Done,
        }
    }

    /// Headers (and `body_start`) of a reply, then `then`.
    pub fn head(headers: &str, body_start: &[u8], then: Then) -> Self {
        let mut first = format!("HTTP/1.1 200 OK\r\n{headers}\r\n\r\n").into_bytes();
        first.extend_from_slice(body_start);
        Self { first, then }
    }
}

/// Starts the server; `answer(method, path)` scripts each request. Returns `tcp://127.0.0.1:PORT`.
/// The server lives as long as the test's runtime.
pub async fn start<F>(answer: F) -> String
where
    F: Fn(&str, &str) -> Script + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let answer = Arc::clone(&answer);
            tokio::spawn(async move {
                let _ = serve(sock, &*answer).await;
            });
        }
    });
    format!("tcp://{addr}")
}

async fn serve(
    mut sock: TcpStream,
    answer: &(dyn Fn(&str, &str) -> Script + Send + Sync),
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    loop {
        // One request: the head, then a Content-Length body.
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 4096];
            let n = sock.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let len: usize = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse().ok())?
            })
            .unwrap_or(0);
        while buf.len() < head_end + len {
            let mut chunk = [0u8; 4096];
            let n = sock.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        buf.drain(..head_end + len);
        let mut words = head.split_whitespace();
        let method = words.next().unwrap_or_default().to_owned();
        let target = words.next().unwrap_or_default();
        let path = target.split('?').next().unwrap_or_default().to_owned();
        let script = answer(&method, &path);
        sock.write_all(&script.first).await?;
        match script.then {
            Then::Done => {}
            Then::Stall => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return Ok(());
            }
            Then::After(wait, bytes) => {
                tokio::time::sleep(wait).await;
                sock.write_all(&bytes).await?;
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return Ok(());
            }
            Then::Endless(bytes) => loop {
                sock.write_all(&bytes).await?;
            },
        }
    }
}
