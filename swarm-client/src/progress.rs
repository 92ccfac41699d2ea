//! The JSON-message progress streams of pull, push, load and build, typed.
//!
//! dockerd answers these calls with `200 OK` and then one JSON object per line: `status` with
//! an `id` and `progressDetail` for each layer, `stream` for build output, `aux` for results
//! (the pushed digest, the built image ID), and — when something fails after the 200 —
//! `errorDetail`. A [`ProgressStream`] turns the lines into [`ProgressEvent`]s and an
//! `errorDetail` into [`Error::InStream`] (never a success); [`ProgressStream::finish`] reads
//! to the end and sums up what the daemon reported in an [`Outcome`].
//!
//! ```no_run
//! # async fn demo(client: swarm_client::Client) -> swarm_client::Result<()> {
//! use swarm_client::images::PushOptions;
//! use swarm_client::progress::{LayerPhase, ProgressEvent};
//!
//! let stream = client.image_push("127.0.0.1:5000/web:1", &PushOptions::new()).await?;
//! let outcome = stream
//!     .finish_with(|event| {
//!         if let ProgressEvent::Layer(layer) = event {
//!             if let LayerPhase::Pushing(t) = &layer.phase {
//!                 eprintln!("{}: {} of {:?} bytes", layer.id, t.current, t.total);
//!             }
//!         }
//!     })
//!     .await?; // an unauthorised push is an Err here, not a success
//! println!("pushed {:?}", outcome.pushed.map(|p| p.digest));
//! # Ok(())
//! # }
//! ```

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result, StreamErrorKind};
use crate::lines::Lines;

/// The longest progress line accepted: 1 MiB (dockerd's lines are a few hundred bytes; a
/// build's `RUN` output comes in lines of its own). A longer line ends the stream with
/// [`Error::TooLarge`].
pub const MAX_PROGRESS_LINE: usize = 1024 * 1024;

/// Bytes moved of a layer: `progressDetail.current` of `total` (`None` when the daemon does
/// not know the total).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Transfer {
    /// Bytes so far.
    pub current: u64,
    /// Bytes in all, when known.
    pub total: Option<u64>,
}

/// Where a layer is in a pull, push or load.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LayerPhase {
    /// Push: `Preparing`.
    Preparing,
    /// Pull and push: `Waiting` (for another transfer to finish first).
    Waiting,
    /// Pull: `Pulling fs layer`.
    PullingFsLayer,
    /// Pull: `Downloading`, with bytes.
    Downloading(Transfer),
    /// Pull: `Verifying Checksum`.
    Verifying,
    /// Pull: `Download complete`.
    DownloadComplete,
    /// Pull: `Extracting`, with bytes.
    Extracting(Transfer),
    /// Pull: `Pull complete` (the layer is in the daemon).
    PullComplete,
    /// Pull: `Already exists`; push: `Layer already exists` (nothing was moved).
    AlreadyExists,
    /// Push: `Pushing`, with bytes.
    Pushing(Transfer),
    /// Push: `Pushed`.
    Pushed,
    /// Push: `Mounted from REPO` (cross-repository mount, nothing was moved).
    Mounted {
        /// The repository the blob was mounted from.
        from: String,
    },
    /// Load: `Loading layer`, with bytes.
    Loading(Transfer),
    /// `Retrying in N seconds` after a failed transfer.
    Retrying(String),
}

impl LayerPhase {
    /// Whether this phase ends the layer's transfer (pulled, pushed, present or mounted).
    #[must_use]
    pub fn is_done(&self) -> bool {
        matches!(
            self,
            Self::PullComplete | Self::AlreadyExists | Self::Pushed | Self::Mounted { .. }
        )
    }

    fn parse(status: &str, detail: Option<&WireProgress>) -> Option<Self> {
        let bytes = || {
            let d = detail.cloned().unwrap_or_default();
            Transfer {
                current: d.current.max(0).unsigned_abs(),
                total: (d.total > 0).then(|| d.total.unsigned_abs()),
            }
        };
        Some(match status {
            "Preparing" => Self::Preparing,
            "Waiting" => Self::Waiting,
            "Pulling fs layer" => Self::PullingFsLayer,
            "Downloading" => Self::Downloading(bytes()),
            "Verifying Checksum" => Self::Verifying,
            "Download complete" => Self::DownloadComplete,
            "Extracting" => Self::Extracting(bytes()),
            "Pull complete" => Self::PullComplete,
            "Already exists" | "Layer already exists" => Self::AlreadyExists,
            "Pushing" => Self::Pushing(bytes()),
            "Pushed" => Self::Pushed,
            "Loading layer" => Self::Loading(bytes()),
            s if s.starts_with("Mounted from ") => Self::Mounted {
                from: s["Mounted from ".len()..].to_owned(),
            },
            s if s.starts_with("Retrying in ") => Self::Retrying(s.to_owned()),
            _ => return None,
        })
    }
}

/// One layer's progress line.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LayerProgress {
    /// The short layer ID dockerd shows (12 hex characters of the digest or diff ID).
    pub id: String,
    /// Where the layer is.
    pub phase: LayerPhase,
    /// The status text as the daemon wrote it.
    pub status: String,
}

/// The result line of a push (`aux` `{"Tag","Digest","Size"}`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct PushResult {
    /// The tag pushed.
    #[serde(default)]
    pub tag: String,
    /// The manifest digest in the registry, `sha256:…`.
    pub digest: String,
    /// The manifest's size in bytes.
    #[serde(default)]
    pub size: u64,
}

/// One event of a progress stream.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ProgressEvent {
    /// A layer moved on.
    Layer(LayerProgress),
    /// A status line that is not about a layer (`The push refers to repository […]`,
    /// `Digest: sha256:…`, `Status: Downloaded newer image for …`), with the `id` it came with.
    Status {
        /// The line's `id` (a tag, for `Pulling from …`), when any.
        id: Option<String>,
        /// The text.
        text: String,
    },
    /// Build output and load results (`Step 1/3 : FROM scratch`, `Loaded image: …`), as sent
    /// (with their newlines).
    Output(String),
    /// A push's result.
    Pushed(PushResult),
    /// A build's image ID (`aux` `{"ID": "sha256:…"}`).
    Built {
        /// The image ID.
        id: String,
    },
    /// Any other `aux` value, verbatim.
    Aux(Value),
}

/// What a finished progress stream reported ([`ProgressStream::finish`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Outcome {
    /// A push's result.
    pub pushed: Option<PushResult>,
    /// A build's image ID (from `aux`, or the `sha256:…` line of a quiet build).
    pub image_id: Option<String>,
    /// What a load loaded: the references of `Loaded image: REF` and the IDs of
    /// `Loaded image ID: sha256:…`.
    pub loaded: Vec<String>,
    /// A pull's manifest digest (`Digest: sha256:…`).
    pub digest: Option<String>,
    /// The last status line without an ID (`Status: Image is up to date for …`).
    pub status: Option<String>,
    /// Layers that ended as already present or mounted, and layers moved.
    pub layers_present: usize,
    /// Layers pulled, pushed or loaded.
    pub layers_moved: usize,
}

/// The wire form of one JSON message (moby's `jsonmessage.JSONMessage`).
#[derive(Debug, Default, Deserialize)]
struct Wire {
    #[serde(default)]
    stream: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default, rename = "progressDetail")]
    progress_detail: Option<WireProgress>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default, rename = "errorDetail")]
    error_detail: Option<WireError>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    aux: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct WireProgress {
    #[serde(default)]
    current: i64,
    #[serde(default)]
    total: i64,
}

#[derive(Debug, Default, Deserialize)]
struct WireError {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    message: String,
}

/// Decodes one line: an event, nothing (an empty message such as `{"progressDetail":{}}`), or
/// the daemon's in-stream error.
pub(crate) fn decode_line(line: &[u8], endpoint: &str) -> Result<Option<ProgressEvent>> {
    let w: Wire = serde_json::from_slice(line).map_err(|source| Error::Decode {
        endpoint: endpoint.to_owned(),
        source,
    })?;
    if w.error_detail.is_some() || w.error.as_deref().is_some_and(|e| !e.is_empty()) {
        let detail = w.error_detail.unwrap_or_default();
        let message = if detail.message.is_empty() {
            w.error.unwrap_or_default()
        } else {
            detail.message
        };
        return Err(Error::InStream {
            endpoint: endpoint.to_owned(),
            kind: StreamErrorKind::classify(&message),
            code: detail.code.filter(|c| *c != 0),
            message,
        });
    }
    if let Some(aux) = w.aux {
        if let Some(id) = aux.get("ID").and_then(Value::as_str) {
            return Ok(Some(ProgressEvent::Built { id: id.to_owned() }));
        }
        if aux.get("Digest").is_some()
            && let Ok(p) = serde_json::from_value::<PushResult>(aux.clone())
        {
            return Ok(Some(ProgressEvent::Pushed(p)));
        }
        return Ok(Some(ProgressEvent::Aux(aux)));
    }
    if let Some(s) = w.stream {
        return Ok(Some(ProgressEvent::Output(s)));
    }
    let Some(status) = w.status else {
        return Ok(None);
    };
    let id = w.id.filter(|i| !i.is_empty());
    if let Some(layer) = &id
        && let Some(phase) = LayerPhase::parse(&status, w.progress_detail.as_ref())
    {
        return Ok(Some(ProgressEvent::Layer(LayerProgress {
            id: layer.clone(),
            phase,
            status,
        })));
    }
    Ok(Some(ProgressEvent::Status { id, text: status }))
}

type Events = Pin<Box<dyn Stream<Item = Result<ProgressEvent>> + Send>>;

/// The events of a pull, push, load or build, in order; an in-stream failure is an
/// [`Error::InStream`] item and ends the stream. Each wait for the daemon is limited by the
/// client's `image_timeout`.
pub struct ProgressStream {
    inner: Events,
}

impl std::fmt::Debug for ProgressStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressStream")
    }
}

impl Stream for ProgressStream {
    type Item = Result<ProgressEvent>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl ProgressStream {
    /// Decodes the newline-delimited JSON of a reply body; each chunk must come within `idle`.
    pub(crate) fn from_response(resp: reqwest::Response, endpoint: String, idle: Duration) -> Self {
        let body = resp
            .bytes_stream()
            .map(|r| r.map_err(reqwest::Error::without_url));
        Self::from_bytes(Box::pin(body), endpoint, idle)
    }

    /// Decodes newline-delimited JSON messages from any byte stream (a recorded reply, a test
    /// fixture); each chunk must come within `idle`.
    pub fn from_bytes<S>(body: Pin<Box<S>>, endpoint: String, idle: Duration) -> Self
    where
        S: Stream<Item = std::result::Result<bytes::Bytes, reqwest::Error>>
            + Send
            + ?Sized
            + 'static,
    {
        let state = (body, Lines::new(MAX_PROGRESS_LINE), endpoint, false);
        let inner = futures_util::stream::unfold(
            state,
            move |(mut body, mut lines, endpoint, done)| async move {
                if done {
                    return None;
                }
                loop {
                    match lines.next_line() {
                        Ok(Some(line)) => {
                            let line = line.trim_ascii();
                            if line.is_empty() {
                                continue;
                            }
                            match decode_line(line, &endpoint) {
                                Ok(Some(ev)) => {
                                    return Some((Ok(ev), (body, lines, endpoint, false)));
                                }
                                Ok(None) => continue,
                                Err(e) => return Some((Err(e), (body, lines, endpoint, true))),
                            }
                        }
                        Ok(None) => {}
                        Err(_) => {
                            let e = Error::TooLarge {
                                endpoint: endpoint.clone(),
                                what: "progress line",
                                limit: MAX_PROGRESS_LINE as u64,
                            };
                            return Some((Err(e), (body, lines, endpoint, true)));
                        }
                    }
                    let Ok(next) = tokio::time::timeout(idle, body.next()).await else {
                        let e = Error::Timeout {
                            what: format!("{endpoint} sent nothing for {idle:?}"),
                            after: idle,
                        };
                        return Some((Err(e), (body, lines, endpoint, true)));
                    };
                    match next {
                        Some(Ok(chunk)) => lines.push(&chunk),
                        Some(Err(source)) => {
                            let e = Error::Http {
                                endpoint: endpoint.clone(),
                                source,
                            };
                            return Some((Err(e), (body, lines, endpoint, true)));
                        }
                        None => {
                            let rest = lines.rest();
                            let rest = rest.trim_ascii();
                            if rest.is_empty() {
                                return None;
                            }
                            return match decode_line(rest, &endpoint) {
                                Ok(Some(ev)) => Some((Ok(ev), (body, lines, endpoint, true))),
                                Ok(None) => None,
                                Err(e) => Some((Err(e), (body, lines, endpoint, true))),
                            };
                        }
                    }
                }
            },
        );
        Self {
            inner: Box::pin(inner),
        }
    }

    /// Reads the stream to its end and sums it up.
    ///
    /// # Errors
    /// The first error of the stream: [`Error::InStream`] when the daemon reported a failure,
    /// transport errors, [`Error::Timeout`] when the daemon stayed silent too long.
    pub async fn finish(self) -> Result<Outcome> {
        self.finish_with(|_| {}).await
    }

    /// [`ProgressStream::finish`], passing each event to `on_event` first (a progress display).
    ///
    /// # Errors
    /// As [`ProgressStream::finish`].
    pub async fn finish_with(
        mut self,
        mut on_event: impl FnMut(&ProgressEvent),
    ) -> Result<Outcome> {
        let mut out = Outcome::default();
        while let Some(ev) = self.next().await {
            let ev = ev?;
            on_event(&ev);
            match ev {
                ProgressEvent::Pushed(p) => out.pushed = Some(p),
                ProgressEvent::Built { id } => out.image_id = Some(id),
                ProgressEvent::Output(text) => {
                    for line in text.lines() {
                        let line = line.trim();
                        if let Some(r) = line.strip_prefix("Loaded image ID: ") {
                            out.loaded.push(r.to_owned());
                        } else if let Some(r) = line.strip_prefix("Loaded image: ") {
                            out.loaded.push(r.to_owned());
                        } else if out.image_id.is_none()
                            && line.starts_with("sha256:")
                            && line.len() == 71
                        {
                            // `build -q` prints only the ID.
                            out.image_id = Some(line.to_owned());
                        }
                    }
                }
                ProgressEvent::Status { id: None, text } => {
                    if let Some(d) = text.strip_prefix("Digest: ") {
                        out.digest = Some(d.trim().to_owned());
                    }
                    out.status = Some(text);
                }
                ProgressEvent::Layer(l) => match l.phase {
                    LayerPhase::AlreadyExists | LayerPhase::Mounted { .. } => {
                        out.layers_present += 1;
                    }
                    LayerPhase::PullComplete | LayerPhase::Pushed => out.layers_moved += 1,
                    _ => {}
                },
                _ => {}
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream_of(text: &'static str, chunk: usize) -> ProgressStream {
        let chunks: Vec<std::result::Result<bytes::Bytes, reqwest::Error>> = text
            .as_bytes()
            .chunks(chunk)
            .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
            .collect();
        ProgressStream::from_bytes(
            Box::pin(futures_util::stream::iter(chunks)),
            "POST /images/x/push".into(),
            Duration::from_secs(5),
        )
    }

    // Captured from dockerd 20.10 (push to an htpasswd registry without credentials).
    const UNAUTHORIZED: &str = "{\"status\":\"The push refers to repository [127.0.0.1:33805/x/unauth]\"}\r\n{\"status\":\"Preparing\",\"progressDetail\":{},\"id\":\"f60ff4e2094c\"}\r\n{\"errorDetail\":{\"message\":\"no basic auth credentials\"},\"error\":\"no basic auth credentials\"}\r\n";
    const PUSHED: &str = "{\"status\":\"The push refers to repository [127.0.0.1:55919/mocktest/busybox]\"}\r\n{\"status\":\"Preparing\",\"progressDetail\":{},\"id\":\"f60ff4e2094c\"}\r\n{\"status\":\"Pushing\",\"progressDetail\":{\"current\":512,\"total\":1024},\"progress\":\"[=>  ]\",\"id\":\"f60ff4e2094c\"}\r\n{\"status\":\"Layer already exists\",\"progressDetail\":{},\"id\":\"f60ff4e2094c\"}\r\n{\"status\":\"contract: digest: sha256:b732a77f02e4d2322dc68ff768c22971381155e09a68ee6e4d55491299d33c78 size: 527\"}\r\n{\"progressDetail\":{},\"aux\":{\"Tag\":\"contract\",\"Digest\":\"sha256:b732a77f02e4d2322dc68ff768c22971381155e09a68ee6e4d55491299d33c78\",\"Size\":527}}\r\n";

    #[tokio::test]
    async fn an_in_stream_error_is_a_typed_error_not_success() {
        for chunk in [1, 7, 1000] {
            let err = stream_of(UNAUTHORIZED, chunk).finish().await.unwrap_err();
            assert!(err.is_unauthorized(), "{err:?}");
            assert!(err.to_string().contains("no basic auth credentials"));
        }
        let missing = "{\"status\":\"The push refers to repository [x]\"}\r\n{\"errorDetail\":{\"message\":\"An image does not exist locally with the tag: x\"},\"error\":\"An image does not exist locally with the tag: x\"}\r\n";
        let err = stream_of(missing, 3).finish().await.unwrap_err();
        assert!(err.is_not_found(), "{err:?}");
        let step = "{\"stream\":\"Step 2/2 : RUN false\\n\"}\n{\"errorDetail\":{\"code\":1,\"message\":\"The command '/bin/sh -c false' returned a non-zero code: 1\"},\"error\":\"The command '/bin/sh -c false' returned a non-zero code: 1\"}\n";
        match stream_of(step, 5).finish().await.unwrap_err() {
            Error::InStream { kind, code, .. } => {
                assert_eq!((kind, code), (StreamErrorKind::BuildStep, Some(1)));
            }
            e => panic!("{e:?}"),
        }
    }

    #[tokio::test]
    async fn layer_events_are_typed_and_summed_up() {
        let mut phases = Vec::new();
        let out = stream_of(PUSHED, 9)
            .finish_with(|e| {
                if let ProgressEvent::Layer(l) = e {
                    phases.push(l.phase.clone());
                }
            })
            .await
            .unwrap();
        assert_eq!(
            phases,
            [
                LayerPhase::Preparing,
                LayerPhase::Pushing(Transfer {
                    current: 512,
                    total: Some(1024)
                }),
                LayerPhase::AlreadyExists
            ]
        );
        let pushed = out.pushed.unwrap();
        assert_eq!(pushed.tag, "contract");
        assert_eq!(pushed.size, 527);
        assert_eq!(out.layers_present, 1);
    }

    #[tokio::test]
    async fn build_and_load_results() {
        let build = "{\"stream\":\"Step 1/1 : FROM scratch\\n\"}\r\n{\"aux\":{\"ID\":\"sha256:aa\"}}\r\n{\"stream\":\"Successfully built aa\\n\"}\r\n";
        assert_eq!(
            stream_of(build, 4)
                .finish()
                .await
                .unwrap()
                .image_id
                .as_deref(),
            Some("sha256:aa")
        );
        let load = "{\"status\":\"Loading layer\",\"progressDetail\":{\"current\":32768,\"total\":1048576},\"id\":\"4ea36e8a07f4\"}\r\n{\"stream\":\"Loaded image: bench/exp:1\\n\"}\r\n";
        assert_eq!(
            stream_of(load, 4).finish().await.unwrap().loaded,
            ["bench/exp:1"]
        );
        let pull = "{\"status\":\"Pulling from x\",\"id\":\"1\"}\r\n{\"status\":\"Digest: sha256:bb\"}\r\n{\"status\":\"Status: Image is up to date for x:1\"}\r\n";
        let out = stream_of(pull, 2).finish().await.unwrap();
        assert_eq!(out.digest.as_deref(), Some("sha256:bb"));
        assert_eq!(
            out.status.as_deref(),
            Some("Status: Image is up to date for x:1")
        );
    }

    #[tokio::test]
    async fn a_silent_daemon_times_out_and_a_huge_line_is_refused() {
        let silent =
            futures_util::stream::pending::<std::result::Result<bytes::Bytes, reqwest::Error>>();
        let s = ProgressStream::from_bytes(
            Box::pin(silent),
            "POST /build".into(),
            Duration::from_millis(50),
        );
        assert!(matches!(
            s.finish().await.unwrap_err(),
            Error::Timeout { .. }
        ));
        let long = vec![b'x'; MAX_PROGRESS_LINE + 2];
        let s = ProgressStream::from_bytes(
            Box::pin(futures_util::stream::iter([Ok(bytes::Bytes::from(long))])),
            "POST /build".into(),
            Duration::from_secs(1),
        );
        assert!(matches!(
            s.finish().await.unwrap_err(),
            Error::TooLarge { .. }
        ));
    }
}
