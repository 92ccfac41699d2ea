//! Progress events per blob, delivered to a callback or a channel.

use std::sync::Arc;

/// What happened to a blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProgressKind {
    /// The transfer started.
    Started,
    /// Bytes moved (`bytes` is the running total for this blob).
    Advanced,
    /// The registry already had the blob; nothing was sent.
    Skipped,
    /// The blob was mounted from another repository; nothing was sent.
    Mounted,
    /// The transfer finished and was verified.
    Done,
}

/// One progress event.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProgressEvent {
    /// The blob's digest (`sha256:…`).
    pub digest: String,
    /// What happened.
    pub kind: ProgressKind,
    /// Bytes transferred so far.
    pub bytes: u64,
    /// The blob's size, when known.
    pub total: Option<u64>,
}

/// Where progress events go: a callback (which may forward into a channel).
#[derive(Clone)]
pub struct ProgressSink(Arc<dyn Fn(&ProgressEvent) + Send + Sync>);

impl std::fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressSink")
    }
}

impl ProgressSink {
    /// Events are passed to `f` (called from the transfer tasks: keep it quick).
    pub fn callback(f: impl Fn(&ProgressEvent) + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// Events are sent into an unbounded tokio channel; a closed receiver is ignored.
    #[must_use]
    pub fn channel(tx: tokio::sync::mpsc::UnboundedSender<ProgressEvent>) -> Self {
        Self::callback(move |e| {
            let _ = tx.send(e.clone());
        })
    }

    pub(crate) fn emit(&self, digest: &str, kind: ProgressKind, bytes: u64, total: Option<u64>) {
        (self.0)(&ProgressEvent {
            digest: digest.to_owned(),
            kind,
            bytes,
            total,
        });
    }
}

/// Optional sink plus the blob it reports on.
#[derive(Debug, Clone)]
pub(crate) struct BlobProgress {
    pub(crate) sink: Option<ProgressSink>,
    pub(crate) digest: String,
    pub(crate) total: Option<u64>,
}

impl BlobProgress {
    pub(crate) fn emit(&self, kind: ProgressKind, bytes: u64) {
        if let Some(s) = &self.sink {
            s.emit(&self.digest, kind, bytes, self.total);
        }
    }
}
