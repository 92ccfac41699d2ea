//! The hyper HTTP/1.1 server plumbing: listeners, request collection, response helpers.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode};
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::Frame;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Body type of every response a test server sends (complete or streamed).
pub type Body = BoxBody<Bytes, io::Error>;

/// A complete body.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

/// A body that sends `prefix` and then fails, which makes hyper abort the connection (the
/// client sees fewer bytes than `Content-Length` declared).
pub fn truncated(prefix: Bytes) -> Body {
    let stream = futures_util::stream::unfold(0u8, move |step| {
        let prefix = prefix.clone();
        async move {
            match step {
                0 => Some((Ok(Frame::data(prefix)), 1)),
                1 => {
                    // Give hyper time to flush the prefix before failing the body.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Some((
                        Err(io::Error::new(
                            io::ErrorKind::ConnectionAborted,
                            "test server: connection dropped",
                        )),
                        2,
                    ))
                }
                _ => None,
            }
        }
    });
    StreamBody::new(stream).boxed()
}

/// Turns a complete response into one whose connection is dropped after half of its body (or
/// before the first byte of an empty body): `Content-Length` still declares the full length.
/// A streamed body that is not ready at once is treated as empty.
pub fn drop_midway(resp: Response<Body>) -> Response<Body> {
    let (mut parts, body) = resp.into_parts();
    let whole = futures_util::FutureExt::now_or_never(body.collect())
        .and_then(Result::ok)
        .map(http_body_util::Collected::to_bytes)
        .unwrap_or_default();
    parts.headers.insert(
        http::header::CONTENT_LENGTH,
        HeaderValue::from(whole.len().max(1)),
    );
    parts.headers.remove(http::header::TRANSFER_ENCODING);
    Response::from_parts(parts, truncated(whole.slice(..whole.len() / 2)))
}

/// A request with its body read completely.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The path, without the query.
    pub path: String,
    /// The raw query string without `?` (empty when none).
    pub query: String,
    /// The headers.
    pub headers: HeaderMap,
    /// The body (empty when the client sent none or it could not be read).
    pub body: Bytes,
}

impl Request {
    /// A request built by hand (for unit tests of handlers).
    #[must_use]
    pub fn new(method: Method, path_and_query: &str, headers: HeaderMap, body: Bytes) -> Self {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        Self {
            method,
            path: path.to_owned(),
            query: query.to_owned(),
            headers,
            body,
        }
    }

    /// First value of header `name` as text (`None` when absent or not visible ASCII).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Query parameters, percent-decoded, in order.
    #[must_use]
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .into_owned()
            .collect()
    }

    /// First query parameter called `name`.
    #[must_use]
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query_pairs()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// Query parameter `name` read as a boolean the way dockerd's `httputils.BoolValue` does:
    /// true unless absent, empty, `0`, `no`, `false` or `none` (any case).
    #[must_use]
    pub fn query_bool(&self, name: &str) -> bool {
        self.query_param(name).is_some_and(|v| {
            let v = v.trim().to_ascii_lowercase();
            !matches!(v.as_str(), "" | "0" | "no" | "false" | "none")
        })
    }

    /// Form fields of an `application/x-www-form-urlencoded` body, percent-decoded, in order.
    #[must_use]
    pub fn form_pairs(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(&self.body)
            .into_owned()
            .collect()
    }
}

/// A response with `status`, `headers` (invalid names or values are skipped) and a complete
/// `body`; `Content-Length` is added unless given or the status is 204.
pub fn response(
    status: StatusCode,
    headers: &[(&str, String)],
    body: impl Into<Bytes>,
) -> Response<Body> {
    let body: Bytes = body.into();
    let len = body.len();
    let mut resp = Response::new(full(body));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    for (name, value) in headers {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::try_from(*name),
            HeaderValue::try_from(value.as_str()),
        ) {
            h.append(n, v);
        }
    }
    if !h.contains_key(http::header::CONTENT_LENGTH) && status != StatusCode::NO_CONTENT {
        h.insert(http::header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    resp
}

/// A running server: dropping it stops accepting and closes its open connections.
#[derive(Debug)]
pub struct ServerHandle {
    task: JoinHandle<()>,
    _stop: watch::Sender<()>,
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A bound listener: TCP (on loopback) or a unix socket.
#[derive(Debug)]
#[non_exhaustive]
pub enum Listener {
    /// A TCP listener, e.g. from [`bind_loopback`].
    Tcp(TcpListener),
    /// A unix socket listener.
    Unix(UnixListener),
}

/// Binds `127.0.0.1:0` (a free loopback port).
///
/// # Errors
/// The I/O error when no port can be bound.
pub async fn bind_loopback() -> io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

/// Serves `handler` on `listener` on a tokio task (HTTP/1.1, keep-alive). Request bodies are
/// read completely before `handler` runs; answers to `HEAD` lose their body but keep their
/// headers. Must be called inside a tokio runtime.
pub fn serve<H, F>(listener: Listener, handler: H) -> ServerHandle
where
    H: Fn(Request) -> F + Send + Sync + 'static,
    F: Future<Output = Response<Body>> + Send + 'static,
{
    let (stop_tx, stop_rx) = watch::channel(());
    let handler = Arc::new(handler);
    let task = tokio::spawn(async move {
        loop {
            let handler = Arc::clone(&handler);
            let stop = stop_rx.clone();
            let spawned = match &listener {
                Listener::Tcp(l) => l
                    .accept()
                    .await
                    .map(|(s, _)| drop(tokio::spawn(serve_conn(s, handler, stop)))),
                Listener::Unix(l) => l
                    .accept()
                    .await
                    .map(|(s, _)| drop(tokio::spawn(serve_conn(s, handler, stop)))),
            };
            if spawned.is_err() {
                // E.g. too many open files: back off instead of spinning.
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    });
    ServerHandle {
        task,
        _stop: stop_tx,
    }
}

async fn serve_conn<S, H, F>(stream: S, handler: Arc<H>, mut stop: watch::Receiver<()>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    H: Fn(Request) -> F + Send + Sync + 'static,
    F: Future<Output = Response<Body>> + Send + 'static,
{
    let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let handler = Arc::clone(&handler);
        async move {
            let (parts, body) = req.into_parts();
            let body = match body.collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(_) => Bytes::new(),
            };
            let req = Request {
                method: parts.method,
                path: parts.uri.path().to_owned(),
                query: parts.uri.query().unwrap_or_default().to_owned(),
                headers: parts.headers,
                body,
            };
            let is_head = req.method == Method::HEAD;
            let mut resp = handler(req).await;
            if is_head {
                *resp.body_mut() = full(Bytes::new());
            }
            Ok::<_, Infallible>(resp)
        }
    });
    let conn =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = conn => {}
        _ = stop.changed() => {}
    }
}

/// A random lower-case hex string of `len` characters (not cryptographic; unique enough for
/// ids, upload UUIDs and tokens of a test server).
#[must_use]
pub fn random_hex(len: usize) -> String {
    use std::fmt::Write as _;
    use std::hash::BuildHasher;
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut out = String::with_capacity(len + 16);
    while out.len() < len {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let h = std::collections::hash_map::RandomState::new().hash_one(n);
        let _ = write!(out, "{h:016x}");
    }
    out.truncate(len);
    out
}

/// Headers as (lower-case name, value) pairs with credentials redacted: `Authorization` keeps
/// only its scheme (`Bearer <redacted>`); `X-Registry-Auth`, `X-Registry-Config` and `Cookie`
/// become `<redacted>`.
#[must_use]
pub fn redacted_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = value.to_str().unwrap_or("<binary>");
            let shown = match name.as_str() {
                "authorization" | "proxy-authorization" => match value.split_once(' ') {
                    Some((scheme, _)) => format!("{scheme} <redacted>"),
                    None => "<redacted>".to_owned(),
                },
                "x-registry-auth" | "x-registry-config" | "cookie" => "<redacted>".to_owned(),
                _ => value.to_owned(),
            };
            (name.as_str().to_owned(), shown)
        })
        .collect()
}

/// A streamed body: each item of `stream` is sent as it comes (chunked encoding); an error
/// aborts the connection. For endless answers such as `/events` or `logs?follow=1`.
pub fn streamed<S>(stream: S) -> Body
where
    S: futures_util::Stream<Item = io::Result<Bytes>> + Send + Sync + 'static,
{
    use futures_util::StreamExt as _;
    BodyExt::boxed(StreamBody::new(stream.map(|item| item.map(Frame::data))))
}

/// `t` as RFC 3339 in UTC with nanoseconds, like Go's `time.Time` in JSON
/// (`2025-11-25T09:30:18.116424948Z`). Times before 1970 print as the epoch.
#[must_use]
pub fn rfc3339(t: std::time::SystemTime) -> String {
    let d = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Civil from days (Howard Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:09}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        d.subsec_nanos()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn rfc3339_formats_utc() {
        let t = UNIX_EPOCH + Duration::new(1_764_063_018, 116_424_948);
        assert_eq!(rfc3339(t), "2025-11-25T09:30:18.116424948Z");
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000000000Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(rfc3339(leap), "2000-02-29T00:00:00.000000000Z");
    }

    #[test]
    fn random_hex_is_hex_and_unique() {
        let a = random_hex(50);
        assert_eq!(a.len(), 50);
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_ne!(a, random_hex(50));
    }

    #[test]
    fn query_and_form_helpers_decode() {
        let req = Request::new(
            Method::POST,
            "/token?follow=1&tail=a%20b",
            HeaderMap::new(),
            Bytes::from_static(b"grant_type=password&scope=repository%3Aa%3Apull"),
        );
        assert!(req.query_bool("follow"));
        assert!(!req.query_bool("timestamps"));
        assert_eq!(req.query_param("tail").as_deref(), Some("a b"));
        assert_eq!(req.form_pairs()[1].1, "repository:a:pull");
    }
}
