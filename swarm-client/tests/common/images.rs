//! Fixtures of the image tests, on the real daemon and on the fake: a Drop guard that removes
//! the images a test makes, requests answered with a progress stream read to their end (with
//! the layer phases or the output lines on the way), build contexts written from a list, and
//! `docker save` archives collected, cut and loaded back.

use std::future::Future;
use std::path::Path;
use std::process::Command;

use bytes::Bytes;
use futures_util::StreamExt;
use swarm_client::build::BuildOptions;
use swarm_client::progress::{LayerPhase, Outcome, ProgressEvent, ProgressStream};
use swarm_client::{Client, Error, Result, StreamErrorKind};

/// Removes images (names or IDs) with the docker CLI when dropped, even when the test panics:
/// the last added first.
pub struct ImageGuard {
    host: Option<String>,
    names: Vec<String>,
}

impl ImageGuard {
    /// A guard of the manager's images.
    pub fn new() -> Self {
        Self::on(Some(super::manager_host()))
    }

    /// A guard of the images of the daemon at `host`; `None` (a fake daemon, gone with the
    /// test) removes nothing.
    pub fn on(host: Option<String>) -> Self {
        Self {
            host,
            names: Vec::new(),
        }
    }

    /// Removes `name` before every image added earlier.
    pub fn add(&mut self, name: impl Into<String>) {
        self.names.push(name.into());
    }

    /// Removes `name` after every other image (a base the others are built on).
    pub fn add_base(&mut self, name: impl Into<String>) {
        self.names.insert(0, name.into());
    }
}

impl Drop for ImageGuard {
    fn drop(&mut self) {
        let Some(host) = &self.host else { return };
        for name in self.names.iter().rev() {
            let _ = Command::new("docker")
                .args(["-H", host, "rmi", "-f", name])
                .output();
        }
    }
}

/// Sends a request answered with a progress stream (the request must be accepted) and reads
/// the stream to its end: the stream's outcome or its first error.
pub async fn streamed(request: impl Future<Output = Result<ProgressStream>>) -> Result<Outcome> {
    request.await.expect("request accepted").finish().await
}

/// [`streamed`], with what `pick` takes of the stream's events, in order.
pub async fn streamed_with<T>(
    request: impl Future<Output = Result<ProgressStream>>,
    pick: impl Fn(&ProgressEvent) -> Option<T>,
) -> (Result<Outcome>, Vec<T>) {
    let mut picked = Vec::new();
    let stream = request.await.expect("request accepted");
    let out = stream.finish_with(|e| picked.extend(pick(e))).await;
    (out, picked)
}

/// [`streamed`], with the phases of the stream's layer events in order.
pub async fn streamed_phases(
    request: impl Future<Output = Result<ProgressStream>>,
) -> (Result<Outcome>, Vec<LayerPhase>) {
    streamed_with(request, |e| match e {
        ProgressEvent::Layer(l) => Some(l.phase.clone()),
        _ => None,
    })
    .await
}

/// [`streamed`], with the text of the stream's output events in order (a build's steps).
pub async fn streamed_output(
    request: impl Future<Output = Result<ProgressStream>>,
) -> (Result<Outcome>, Vec<String>) {
    streamed_with(request, |e| match e {
        ProgressEvent::Output(s) => Some(s.clone()),
        _ => None,
    })
    .await
}

/// Builds the context `dir` with `opts`: the image ID.
pub async fn build_id(c: &Client, dir: &Path, opts: &BuildOptions) -> String {
    let out = streamed(c.build(dir, opts)).await.expect("build");
    out.image_id.expect("image ID")
}

/// Writes `files` (paths below `dir` and their text), making the directories on the way.
pub fn write(dir: &Path, files: &[(&str, &str)]) {
    for (p, text) in files {
        let p = dir.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// The `docker save` archive of `names` through the client, as the chunks it came in.
pub async fn saved(c: &Client, names: &[&str]) -> Vec<Bytes> {
    let export = c.image_save(names).await.expect("save");
    export.map(|c| c.expect("save stream")).collect().await
}

/// Loads an archive given as chunks, streamed to the daemon as they are.
pub async fn load(c: &Client, chunks: Vec<Bytes>, quiet: bool) -> Result<Outcome> {
    let body = futures_util::stream::iter(chunks.into_iter().map(Ok::<_, std::io::Error>));
    streamed(c.image_load(body, quiet)).await
}

/// The first half of an archive, as one chunk: a load of it must fail inside the stream.
pub fn first_half(archive: &[u8]) -> Vec<Bytes> {
    vec![Bytes::copy_from_slice(&archive[..archive.len() / 2])]
}

/// Whether `err` is a failure the daemon reported inside a stream, of `kind`.
pub fn in_stream(err: &Error, kind: StreamErrorKind) -> bool {
    matches!(err, Error::InStream { kind: k, .. } if *k == kind)
}

/// Whether inspecting `name` fails as not found (any other answer is `false`).
pub async fn absent(c: &Client, name: &str) -> bool {
    c.image_inspect(name).await.is_err_and(|e| e.is_not_found())
}
