//! Images between the Docker daemon and a registry, without `docker push`/`docker pull`:
//!
//! - [`push_from_daemon`]: the daemon's export (`/images/get`, swarm-client) streamed straight
//!   into registry-client's push of a `docker save` stream — each layer uploaded while the
//!   daemon sends it, layers the registry has skipped (compressed ones too), optional parallel
//!   gzip. Nothing is written to disk on this side, nothing is read twice.
//! - [`pull_into_daemon`]: registry-client's verified, parallel pull as a `docker save` stream,
//!   loaded with one streamed `/images/load`; a blob whose digest does not match cuts the load
//!   before `manifest.json`, so the daemon tags nothing.
//!
//! How a daemon image is named on the command line: `docker-daemon:NAME[:TAG]` (skopeo's
//! transport name), e.g. `dockwright push docker-daemon:web:1 127.0.0.1:5000/web:1`.
//!
//! ```no_run
//! # async fn demo() -> dockwright::Result<()> {
//! use dockwright::image::{pull_into_daemon, push_from_daemon};
//! use registry_client::save_pull::ArchiveOptions;
//! use registry_client::save_push::{SaveCompression, SavePushOptions};
//!
//! let engine = swarm_client::Client::from_env().await?;
//! let registry = registry_client::Client::builder()
//!     .docker_config(registry_client::DockerConfig::load()?)
//!     .build()?;
//! let target = "127.0.0.1:5000/web:1".parse()?;
//! // docker push, from the daemon, gzip on (for a registry across a network).
//! let opts = SavePushOptions::new().compression(SaveCompression::gzip());
//! let pushed = push_from_daemon(&engine, &registry, "web:1", &target, &opts).await?;
//! println!("pushed {}", pushed.digest);
//! // docker pull, into the daemon.
//! let pulled = pull_into_daemon(&registry, &engine, &target, &ArchiveOptions::new()).await?;
//! println!("loaded {} as {:?}", pulled.image_id, pulled.tags);
//! # Ok(())
//! # }
//! ```

use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use registry_client::digest::Digest;
use registry_client::push::PushReport;
use registry_client::reference::Reference;
use registry_client::save_pull::ArchiveOptions;
use registry_client::save_push::{ExpectedImage, SavePushOptions};

use crate::error::{Error, Result};

/// The prefix that names an image in the Docker daemon on the `dockwright` command line
/// (skopeo's transport name).
pub const DAEMON_PREFIX: &str = "docker-daemon:";

/// The daemon image named by `source` when it has the [`DAEMON_PREFIX`]
/// (`docker-daemon:web:1` → `web:1`).
#[must_use]
pub fn daemon_image(source: &str) -> Option<&str> {
    source.strip_prefix(DAEMON_PREFIX).filter(|s| !s.is_empty())
}

fn digest(s: &str, what: &str) -> Result<Digest> {
    s.parse::<Digest>()
        .map_err(|e| Error::Backend(format!("the daemon's {what} {s:?}: {e}")))
}

/// A registry error, with the daemon's own error brought out when the export failed.
fn from_push(e: registry_client::Error) -> Error {
    match e {
        registry_client::Error::Io {
            action,
            path,
            source,
        } => {
            if source
                .get_ref()
                .is_some_and(|inner| inner.is::<swarm_client::Error>())
            {
                let inner = source.into_inner().expect("checked: has an inner error");
                match inner.downcast::<swarm_client::Error>() {
                    Ok(daemon) => Error::Swarm(*daemon),
                    Err(other) => Error::Registry(registry_client::Error::Io {
                        action,
                        path,
                        source: std::io::Error::other(other),
                    }),
                }
            } else {
                Error::Registry(registry_client::Error::Io {
                    action,
                    path,
                    source,
                })
            }
        }
        e => Error::Registry(e),
    }
}

/// Pushes `image` (a name, `name:tag` or ID in the daemon) to `target`: the daemon's export
/// streamed into the registry, the image's layers known ahead from `docker image inspect` so
/// that those the registry has are skipped. `opts` chooses compression and more places to
/// reuse blobs from (its expected image is set here).
///
/// # Errors
/// The daemon's errors ([`Error::Swarm`]: no such image, export failures); the registry's
/// ([`Error::Registry`]). On error no manifest was written.
pub async fn push_from_daemon(
    engine: &swarm_client::Client,
    registry: &registry_client::Client,
    image: &str,
    target: &Reference,
    opts: &SavePushOptions,
) -> Result<PushReport> {
    let inspect = engine.image_inspect(image).await?;
    let expected = ExpectedImage::new(
        digest(&inspect.id, "image ID")?,
        inspect
            .root_fs
            .layers
            .iter()
            .map(|l| digest(l, "layer diff ID"))
            .collect::<Result<_>>()?,
    );
    // Export by ID: the tar then holds exactly this image.
    let export = engine.image_save(&[inspect.id.as_str()]).await?;
    let opts = opts.clone().expected(expected);
    registry
        .push_docker_save(export.into_reader(), target, &opts)
        .await
        .map_err(from_push)
}

/// What [`pull_into_daemon`] loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PulledImage {
    /// The image ID in the daemon (the config digest).
    pub image_id: String,
    /// The manifest digest pulled.
    pub manifest_digest: Digest,
    /// The references the daemon reported loading.
    pub tags: Vec<String>,
    /// The tar's size in bytes.
    pub bytes: u64,
}

/// Pulls `reference` from the registry into the daemon: a verified, parallel pull streamed
/// into one `/images/load`, tagged as `docker pull` would (or as `opts` says).
///
/// # Errors
/// The registry's errors ([`Error::Registry`]: a digest mismatch cuts the load, so nothing is
/// loaded or tagged); the daemon's ([`Error::Swarm`]: a load it refuses);
/// [`Error::Backend`] when the daemon did not end up holding the image.
pub async fn pull_into_daemon(
    registry: &registry_client::Client,
    engine: &swarm_client::Client,
    reference: &Reference,
    opts: &ArchiveOptions,
) -> Result<PulledImage> {
    let archive = registry.pull_docker_archive(reference, opts).await?;
    let image_id = archive.config_digest().to_string();
    let manifest_digest = archive.manifest_digest().clone();
    let bytes = archive.size();
    // The registry's error is kept here; the upload only learns that its body failed.
    let failed: Arc<Mutex<Option<registry_client::Error>>> = Arc::new(Mutex::new(None));
    let slot = Arc::clone(&failed);
    let body = archive.map(move |item| {
        item.map_err(|e| {
            let msg = e.to_string();
            slot.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get_or_insert(e);
            std::io::Error::other(msg)
        })
    });
    let loaded = match engine.image_load(body, true).await {
        Ok(progress) => progress.finish().await,
        Err(e) => Err(e),
    };
    let registry_failure = failed
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take();
    if let Some(e) = registry_failure {
        return Err(Error::Registry(e));
    }
    let loaded = loaded?;
    let held = engine.image_inspect(&image_id).await?;
    if held.id != image_id {
        return Err(Error::Backend(format!(
            "the daemon holds {} after loading {image_id}",
            held.id
        )));
    }
    Ok(PulledImage {
        image_id,
        manifest_digest,
        tags: loaded.loaded,
        bytes,
    })
}
