//! Reading replies from servers that may be hostile or stalled: every body read is bounded in
//! size, and every wait for a server (response headers, each body chunk) is bounded by an idle
//! timeout.
//!
//! An *idle* timeout fires when nothing moved for that long: no request-body chunk was taken
//! by the connection, no response header arrived, no body bytes came. It never limits how long
//! a healthy transfer may take, so a 1 GiB upload is fine while a server that sends headers
//! and then stops is abandoned after the idle time.
//!
//! reqwest's own `ClientBuilder::read_timeout` is not used for this: its clock for the
//! response headers starts when the request starts and is not reset while the request body is
//! being sent, so a large upload would time out although bytes are moving.
//!
//! ```no_run
//! use std::time::Duration;
//! use sdk_core::body::{Activity, read_limited, send_with_idle};
//!
//! # async fn demo(client: reqwest::Client) -> Result<(), Box<dyn std::error::Error>> {
//! let idle = Duration::from_secs(60);
//! let activity = Activity::new();
//! let resp = send_with_idle(client.get("http://127.0.0.1:5000/v2/"), idle, &activity).await?;
//! let body = read_limited(resp, 1024 * 1024, idle).await?; // at most 1 MiB
//! # let _ = body;
//! # Ok(())
//! # }
//! ```

use bytes::{Bytes, BytesMut};
use futures_util::stream::{BoxStream, Stream, StreamExt};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Why reading a reply (or waiting for one) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// The body was longer than the limit; reading stopped there.
    #[error("body larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// Nothing arrived (no headers, or no body bytes) for the idle timeout.
    #[error("no data for {} ms (idle timeout)", after.as_millis())]
    Idle {
        /// The idle timeout that expired.
        after: Duration,
    },
    /// The transport failed (connection reset, TLS error…); the error carries no URL.
    #[error("transport error")]
    Transport(#[source] reqwest::Error),
}

impl BodyError {
    fn transport(e: reqwest::Error) -> Self {
        Self::Transport(e.without_url())
    }
}

/// When data last moved on a request: shared between the request body (each chunk taken by
/// the connection touches it) and [`send_with_idle`] (which waits for the response headers
/// until the idle time has passed since the last touch). Cheap to clone.
#[derive(Debug, Clone)]
pub struct Activity(Arc<Mutex<Instant>>);

impl Default for Activity {
    fn default() -> Self {
        Self::new()
    }
}

impl Activity {
    /// Activity now.
    #[must_use]
    pub fn new() -> Self {
        Self(Arc::new(Mutex::new(Instant::now())))
    }

    /// Records that data moved now.
    pub fn touch(&self) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Instant::now();
    }

    /// When data last moved.
    #[must_use]
    pub fn last(&self) -> Instant {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Wraps a request-body stream so that every chunk taken records activity.
    pub fn track<S, T, E>(&self, stream: S) -> impl Stream<Item = Result<T, E>> + Send + 'static
    where
        S: Stream<Item = Result<T, E>> + Send + 'static,
    {
        let me = self.clone();
        stream.map(move |item| {
            me.touch();
            item
        })
    }
}

/// Sends a request and waits for the response headers for at most `idle` after the last
/// [`Activity`] (the request's start, or the last body chunk sent when the body is wrapped
/// with [`Activity::track`]).
///
/// # Errors
/// [`BodyError::Idle`] when the server stayed silent for `idle`; [`BodyError::Transport`] when
/// the request failed.
pub async fn send_with_idle(
    request: reqwest::RequestBuilder,
    idle: Duration,
    activity: &Activity,
) -> Result<reqwest::Response, BodyError> {
    activity.touch();
    let send = request.send();
    tokio::pin!(send);
    loop {
        let deadline = activity.last() + idle;
        tokio::select! {
            r = &mut send => return r.map_err(BodyError::transport),
            () = tokio::time::sleep_until(deadline) => {
                if activity.last() + idle <= Instant::now() {
                    return Err(BodyError::Idle { after: idle });
                }
            }
        }
    }
}

/// The response body as a stream whose every chunk must arrive within `idle` of the previous
/// one (or of the call); the stream ends after the first error.
pub fn idle_stream(
    resp: reqwest::Response,
    idle: Duration,
) -> BoxStream<'static, Result<Bytes, BodyError>> {
    let inner = resp.bytes_stream().boxed();
    futures_util::stream::unfold(Some(inner), move |state| async move {
        let mut inner = state?;
        match tokio::time::timeout(idle, inner.next()).await {
            Err(_) => Some((Err(BodyError::Idle { after: idle }), None)),
            Ok(None) => None,
            Ok(Some(Ok(chunk))) => Some((Ok(chunk), Some(inner))),
            Ok(Some(Err(e))) => Some((Err(BodyError::transport(e)), None)),
        }
    })
    .boxed()
}

/// Reads a whole body, refusing more than `limit` bytes (a `Content-Length` above it is
/// refused before reading) and waiting at most `idle` for each chunk.
///
/// # Errors
/// [`BodyError::TooLarge`], [`BodyError::Idle`], [`BodyError::Transport`].
pub async fn read_limited(
    resp: reqwest::Response,
    limit: u64,
    idle: Duration,
) -> Result<Bytes, BodyError> {
    if resp.content_length().is_some_and(|l| l > limit) {
        return Err(BodyError::TooLarge { limit });
    }
    let mut out = BytesMut::new();
    let mut stream = idle_stream(resp, idle);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if (out.len() + chunk.len()) as u64 > limit {
            return Err(BodyError::TooLarge { limit });
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out.freeze())
}

/// Reads at most `limit` bytes of a body and stops there, without error: for bodies that are
/// only looked at (error replies). A stall or transport error ends the read with what came.
/// Returns the bytes and whether the body was cut.
pub async fn read_prefix(resp: reqwest::Response, limit: usize, idle: Duration) -> (Bytes, bool) {
    let mut out = BytesMut::new();
    let mut stream = idle_stream(resp, idle);
    while let Some(Ok(chunk)) = stream.next().await {
        let room = limit - out.len();
        if chunk.len() > room {
            out.extend_from_slice(&chunk[..room]);
            return (out.freeze(), true);
        }
        out.extend_from_slice(&chunk);
        if out.len() == limit {
            // Exactly at the limit: cut only if more follows (not waited for).
            return (out.freeze(), true);
        }
    }
    (out.freeze(), false)
}
