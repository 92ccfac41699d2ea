//! The low-level pieces every registry call shares: the request type ([`Req`], rebuilt on
//! every attempt) and its bodies, the `Authorization` header values, the retry delay, and the
//! decoding of error replies (through sdk-core's one decoder).
//!
//! This module sits below `client`, `blobs`, `manifests`, `tags` and `token_cache`: they
//! import it, it imports none of them (only `auth`, `error` and `progress`), so no module
//! cycle runs through it.

use crate::auth::Scope;
use crate::error::{ApiError, Error, Result, oci_errors};
use crate::progress::{BlobProgress, ProgressKind};
use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use reqwest::Method;
use reqwest::header::{self, HeaderMap, HeaderValue};
use sdk_core::RetryPolicy;
use sdk_core::body::{Activity, BodyError};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use url::Url;

/// A stream of verified body bytes (what `blobs::BlobStream` is).
pub(crate) type ByteStream = BoxStream<'static, Result<Bytes>>;

/// The delay before retry `attempt + 1`: the server's `Retry-After` (capped), else backoff.
pub(crate) fn retry_delay(
    policy: &RetryPolicy,
    attempt: u32,
    retry_after: Option<Duration>,
) -> Duration {
    retry_after.map_or_else(
        || policy.backoff(attempt + 1),
        |r| r.min(policy.max_delay()),
    )
}

/// A request body that can be rebuilt for a retry.
#[derive(Debug, Clone)]
pub(crate) enum ReqBody {
    Empty,
    Bytes(Bytes),
    /// `len` bytes of a file from `offset`, streamed.
    File {
        path: PathBuf,
        offset: u64,
        len: u64,
        progress: Option<BlobProgress>,
        /// Bytes already reported before this body (resumed uploads).
        reported: u64,
    },
    /// A one-shot stream (copy between registries): a retry after it was taken fails.
    Stream(OneShot, u64),
    /// A one-shot stream of unknown length, sent with chunked transfer encoding (a layer
    /// uploaded while it streams out of the daemon).
    Chunked(OneShot),
}

/// A body stream that can be sent once.
#[derive(Clone)]
pub(crate) struct OneShot(pub(crate) Arc<Mutex<Option<ByteStream>>>);

impl OneShot {
    pub(crate) fn new(stream: ByteStream) -> Self {
        Self(Arc::new(Mutex::new(Some(stream))))
    }
}

impl std::fmt::Debug for OneShot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OneShot")
    }
}

/// A request to a registry, rebuilt on every attempt.
#[derive(Debug, Clone)]
pub(crate) struct Req {
    pub(crate) method: Method,
    pub(crate) registry: String,
    pub(crate) url: Url,
    pub(crate) headers: HeaderMap,
    pub(crate) body: ReqBody,
    pub(crate) scopes: Vec<Scope>,
    /// Whether 429/5xx/connection errors are retried.
    pub(crate) retry: bool,
    /// Whether redirects are followed.
    pub(crate) follow: bool,
}

impl Req {
    pub(crate) fn new(method: Method, registry: &str, url: Url, scopes: Vec<Scope>) -> Self {
        Self {
            method,
            registry: registry.to_owned(),
            url,
            headers: HeaderMap::new(),
            body: ReqBody::Empty,
            scopes,
            retry: true,
            follow: true,
        }
    }

    pub(crate) fn header(mut self, name: header::HeaderName, value: &str) -> Result<Self> {
        let v = HeaderValue::from_str(value).map_err(|_| Error::Invalid {
            what: "header value",
            reason: format!("{name}: {value:?}"),
        })?;
        self.headers.insert(name, v);
        Ok(self)
    }

    pub(crate) fn body(mut self, body: ReqBody) -> Self {
        self.body = body;
        self
    }

    pub(crate) fn no_retry(mut self) -> Self {
        self.retry = false;
        self
    }

    pub(crate) fn no_follow(mut self) -> Self {
        self.follow = false;
        self
    }
}

/// A header value holding a credential: marked sensitive (hyper never logs it).
pub(crate) fn header_value(v: &str) -> Result<HeaderValue> {
    let mut h = HeaderValue::from_str(v).map_err(|_| Error::Invalid {
        what: "credentials",
        reason: "contain characters not allowed in an HTTP header".into(),
    })?;
    h.set_sensitive(true);
    Ok(h)
}

/// `Basic base64(user:pass)`.
pub(crate) fn basic_header(user: &str, pass: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    )
}

/// Builds [`Error::Api`] from an error reply, through sdk-core's decoder (at most 64 KiB of
/// the body, each chunk awaited at most `idle`; registry, Engine and text forms; credentials
/// cleaned out).
pub(crate) async fn api_error(
    resp: reqwest::Response,
    method: &str,
    endpoint: &str,
    idle: Duration,
) -> Error {
    let reply = sdk_core::error_body::read_error_reply(resp, idle).await;
    Error::Api(Box::new(ApiError {
        status: reply.status.as_u16(),
        method: method.to_owned(),
        endpoint: endpoint.to_owned(),
        errors: oci_errors(&reply.body),
        message: reply.body.message.clone(),
        retry_after: reply.retry_after.map(|d| d.as_secs()),
    }))
}

/// Request bodies held in memory are handed to the connection in chunks of this size, so
/// that each chunk taken records activity.
const BODY_CHUNK: usize = 64 * 1024;

/// The body of one attempt and its length (`None` for a chunked body), each chunk recording
/// `activity` when the connection takes it (a slow but moving upload never meets the idle
/// timeout; one the server stops reading does). `None` for no body.
///
/// # Errors
/// [`Error::Io`] when a file cannot be opened; [`Error::Protocol`] when a one-shot stream
/// was already sent (it cannot be resent after a redirect or retry).
pub(crate) async fn attempt_body(
    body: &ReqBody,
    activity: &Activity,
    endpoint: &str,
) -> Result<Option<(reqwest::Body, Option<u64>)>> {
    Ok(match body {
        ReqBody::Empty => None,
        ReqBody::Bytes(b) => {
            let b = b.clone();
            let chunks: Vec<std::io::Result<Bytes>> = (0..b.len())
                .step_by(BODY_CHUNK)
                .map(|i| Ok(b.slice(i..(i + BODY_CHUNK).min(b.len()))))
                .collect();
            let stream = activity.track(futures_util::stream::iter(chunks));
            Some((reqwest::Body::wrap_stream(stream), Some(b.len() as u64)))
        }
        ReqBody::File {
            path,
            offset,
            len,
            progress,
            reported,
        } => {
            let stream = file_stream(path, *offset, *len, progress.clone(), *reported).await?;
            Some((
                reqwest::Body::wrap_stream(activity.track(stream)),
                Some(*len),
            ))
        }
        ReqBody::Stream(cell, len) => {
            let taken = cell.0.lock().expect("stream lock").take();
            let Some(stream) = taken else {
                return Err(Error::protocol(endpoint, "cannot resend a streamed body"));
            };
            Some((
                reqwest::Body::wrap_stream(activity.track(stream)),
                Some(*len),
            ))
        }
        ReqBody::Chunked(cell) => {
            let taken = cell.0.lock().expect("stream lock").take();
            let Some(stream) = taken else {
                return Err(Error::protocol(endpoint, "cannot resend a streamed body"));
            };
            Some((reqwest::Body::wrap_stream(activity.track(stream)), None))
        }
    })
}

/// Whether a failed attempt (no response) is worth retrying: an idle timeout, or a transport
/// error sdk-core's [`RetryPolicy`] classifies as retryable.
pub(crate) fn is_retryable(e: &BodyError) -> bool {
    match e {
        BodyError::Idle { .. } => true,
        BodyError::Transport(e) => RetryPolicy::is_retryable_error(e),
        _ => false,
    }
}

/// Streams `len` bytes of a file from `offset`, reporting progress.
async fn file_stream(
    path: &std::path::Path,
    offset: u64,
    len: u64,
    progress: Option<BlobProgress>,
    reported: u64,
) -> Result<impl futures_util::Stream<Item = std::io::Result<Bytes>> + Send + 'static> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let mut f = tokio::fs::File::open(path)
        .await
        .map_err(|e| Error::io("opening", path, e))?;
    if offset > 0 {
        f.seek(std::io::SeekFrom::Start(offset))
            .await
            .map_err(|e| Error::io("seeking", path, e))?;
    }
    let reader = f.take(len);
    let stream = tokio_util::io::ReaderStream::with_capacity(reader, 256 * 1024);
    let mut sent = reported;
    let mut last_report = reported;
    let stream = stream.map(move |chunk| {
        if let (Ok(c), Some(p)) = (&chunk, &progress) {
            sent += c.len() as u64;
            if sent - last_report >= 1024 * 1024 {
                last_report = sent;
                p.emit(ProgressKind::Advanced, sent);
            }
        }
        chunk
    });
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays() {
        let r = RetryPolicy::new()
            .with_jitter(false)
            .with_base_delay(Duration::from_millis(100))
            .with_max_delay(Duration::from_secs(1));
        assert_eq!(retry_delay(&r, 0, None), Duration::from_millis(100));
        assert_eq!(retry_delay(&r, 2, None), Duration::from_millis(400));
        assert_eq!(retry_delay(&r, 9, None), Duration::from_secs(1));
        assert_eq!(
            retry_delay(&r, 0, Some(Duration::from_secs(5))),
            Duration::from_secs(1)
        );
    }
}
