//! Pull into a `docker save` stream: an image from a registry as the tar `docker load` (the
//! Engine's `/images/load`) reads, produced while the blobs download — nothing stored on disk.
//!
//! Layers download in parallel (a few ahead of the one being streamed, each with a bounded
//! buffer) and are emitted in order, verified: a blob's last bytes are handed over only after
//! its digest and size were checked, so a corrupt blob ends the stream with an error before its
//! entry is complete. `manifest.json`, which names the image and its tags, comes last: a stream
//! cut short by an error leaves the daemon with nothing loaded and nothing tagged.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use futures_util::StreamExt;
//! use registry_client::Client;
//! use registry_client::save_pull::ArchiveOptions;
//!
//! let client = Client::builder().build()?;
//! let reference = "127.0.0.1:5000/web:1".parse()?;
//! let mut archive = client.pull_docker_archive(&reference, &ArchiveOptions::new()).await?;
//! println!("image {}", archive.config_digest());
//! let mut out = tokio::fs::File::create("/tmp/web.tar").await?;
//! while let Some(chunk) = archive.next().await {
//!     tokio::io::AsyncWriteExt::write_all(&mut out, &chunk?).await?; // or: docker load
//! }
//! # Ok(())
//! # }
//! ```

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};

use crate::client::Client;
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::manifests::{ParsedManifest, descriptor_digest};
use crate::pull::{Platform, select};
use crate::reference::Reference;

/// The largest config read (configs are a few KiB).
const MAX_CONFIG: u64 = 16 * 1024 * 1024;
const CHUNK: usize = 1024 * 1024;

/// Options of [`Client::pull_docker_archive`].
#[derive(Debug, Clone)]
#[non_exhaustive]
#[must_use]
pub struct ArchiveOptions {
    tags: Option<Vec<String>>,
    platform: Option<Platform>,
    read_ahead: usize,
    parallel: usize,
}

impl Default for ArchiveOptions {
    fn default() -> Self {
        Self {
            tags: None,
            platform: None,
            read_ahead: 8 * CHUNK,
            parallel: 3,
        }
    }
}

impl ArchiveOptions {
    /// Tagged like `docker pull` names the image (the reference's familiar form; none for a
    /// reference by digest only), `linux/amd64` from an index, three layers in flight.
    pub fn new() -> Self {
        Self::default()
    }

    /// A tag the loaded image gets (`RepoTags`); repeatable; replaces the default.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.get_or_insert_with(Vec::new).push(tag.into());
        self
    }

    /// No tag at all (the daemon loads the image by ID only).
    pub fn untagged(mut self) -> Self {
        self.tags = Some(Vec::new());
        self
    }

    /// The platform chosen from an index (default `linux/amd64`).
    pub fn platform(mut self, platform: Platform) -> Self {
        self.platform = Some(platform);
        self
    }

    /// Bytes buffered per layer downloading ahead (default 8 MiB).
    pub fn read_ahead(mut self, bytes: usize) -> Self {
        self.read_ahead = bytes.max(CHUNK);
        self
    }

    /// Layers downloading at once (default 3).
    pub fn parallel(mut self, n: usize) -> Self {
        self.parallel = n.max(1);
        self
    }
}

/// A `docker save` tar of one image, streamed as its blobs download
/// ([`Client::pull_docker_archive`]).
pub struct DockerArchiveStream {
    manifest_digest: Digest,
    config_digest: Digest,
    layers: usize,
    size: u64,
    inner: BoxStream<'static, Result<Bytes>>,
}

impl std::fmt::Debug for DockerArchiveStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DockerArchiveStream")
            .field("manifest_digest", &self.manifest_digest)
            .field("config_digest", &self.config_digest)
            .field("layers", &self.layers)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl DockerArchiveStream {
    /// The digest of the image manifest pulled.
    #[must_use]
    pub fn manifest_digest(&self) -> &Digest {
        &self.manifest_digest
    }

    /// The config's digest: the image ID the daemon will give the image.
    #[must_use]
    pub fn config_digest(&self) -> &Digest {
        &self.config_digest
    }

    /// How many layer blobs the tar holds.
    #[must_use]
    pub fn layers(&self) -> usize {
        self.layers
    }

    /// The exact size of the tar in bytes.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.size
    }
}

impl Stream for DockerArchiveStream {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// A ustar header for a regular file.
fn header(name: &str, size: u64) -> Result<Bytes> {
    let mut h = tar::Header::new_ustar();
    h.set_path(name).map_err(|e| Error::Invalid {
        what: "archive entry name",
        reason: format!("{name}: {e}"),
    })?;
    h.set_size(size);
    h.set_mode(0o644);
    h.set_mtime(0);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    Ok(Bytes::copy_from_slice(h.as_bytes()))
}

fn padding(size: u64) -> Bytes {
    let pad = usize::try_from((512 - size % 512) % 512).unwrap_or(0);
    Bytes::from(vec![0u8; pad])
}

fn entry_size(size: u64) -> u64 {
    512 + size.div_ceil(512) * 512
}

/// A whole small file as tar bytes (header, data, padding).
fn small_entry(name: &str, data: &[u8]) -> Result<Bytes> {
    let mut v = header(name, data.len() as u64)?.to_vec();
    v.extend_from_slice(data);
    v.extend_from_slice(&padding(data.len() as u64));
    Ok(v.into())
}

impl Client {
    /// Pulls `reference` as a `docker save` tar streamed while it downloads; see the
    /// [module docs](crate::save_pull). The manifest and config are fetched and checked before
    /// this returns; layers as the stream is read.
    ///
    /// # Errors
    /// Here: [`Error::PlatformNotFound`], manifest and config errors, transport and API errors.
    /// As stream items: a layer's transport errors, [`Error::DigestMismatch`],
    /// [`Error::SizeMismatch`] — each ends the stream before `manifest.json`.
    pub async fn pull_docker_archive(
        &self,
        reference: &Reference,
        opts: &ArchiveOptions,
    ) -> Result<DockerArchiveStream> {
        let mut manifest = self.get_manifest(reference).await?;
        if manifest.is_index() {
            let ParsedManifest::Index(idx) = manifest.parse()? else {
                unreachable!("is_index checked")
            };
            let want = opts.platform.clone().unwrap_or_default();
            let digest = descriptor_digest(select(&idx, &want)?)?;
            manifest = self
                .get_manifest(&reference.without_tag().with_digest(digest))
                .await?;
        }
        let ParsedManifest::Image(m) = manifest.parse()? else {
            return Err(Error::InvalidManifest {
                reason: "an index inside an index".into(),
            });
        };
        let repo = reference.without_digest();
        let config_digest = descriptor_digest(m.config())?;
        let config = self.blob_bytes(&repo, &config_digest, MAX_CONFIG).await?;
        let mut layers: Vec<(Digest, u64)> = Vec::new();
        let mut paths = Vec::new();
        for l in m.layers() {
            let d = descriptor_digest(l)?;
            paths.push(format!("{}/layer.tar", d.hex()));
            if !layers.iter().any(|(x, _)| *x == d) {
                layers.push((d, l.size()));
            }
        }
        let tags = match &opts.tags {
            Some(t) => t.clone(),
            None if reference.tag().is_some() || reference.digest().is_none() => {
                vec![reference.without_digest().familiar()]
            }
            None => Vec::new(),
        };
        let entry = serde_json::json!([{
            "Config": format!("{}.json", config_digest.hex()),
            "RepoTags": if tags.is_empty() { serde_json::Value::Null } else { serde_json::json!(tags) },
            "Layers": paths,
        }]);
        let manifest_json = serde_json::to_vec(&entry).map_err(|source| Error::Json {
            what: "manifest.json",
            source,
        })?;
        let config_entry = small_entry(&format!("{}.json", config_digest.hex()), &config)?;
        let manifest_entry = small_entry("manifest.json", &manifest_json)?;
        let size = layers.iter().map(|(_, s)| entry_size(*s)).sum::<u64>()
            + config_entry.len() as u64
            + manifest_entry.len() as u64
            + 1024;
        let count = layers.len();

        let client = self.clone();
        let capacity = (opts.read_ahead / CHUNK).max(1);
        // Each layer downloads into its own bounded channel; `buffered` keeps at most
        // `parallel` downloads started ahead of the one being streamed, in order.
        let downloads = futures_util::stream::iter(layers)
            .map(move |(digest, size)| {
                let client = client.clone();
                let repo = repo.clone();
                async move {
                    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes>>(capacity);
                    let d = digest.clone();
                    tokio::spawn(async move {
                        match client.blob_stream(&repo, &d, Some(size)).await {
                            Ok(mut s) => {
                                while let Some(item) = s.next().await {
                                    let stop = item.is_err();
                                    if tx.send(item).await.is_err() || stop {
                                        return;
                                    }
                                }
                            }
                            Err(e) => {
                                let _ = tx.send(Err(e)).await;
                            }
                        }
                    });
                    (digest, size, rx)
                }
            })
            .buffered(opts.parallel);
        let layer_bytes = downloads
            .map(|(digest, size, rx)| {
                let head = header(&format!("{}/layer.tar", digest.hex()), size);
                let body = futures_util::stream::unfold(rx, |mut rx| async move {
                    rx.recv().await.map(|item| (item, rx))
                });
                futures_util::stream::once(async move { head })
                    .chain(body)
                    .chain(futures_util::stream::once(async move { Ok(padding(size)) }))
            })
            .flatten();
        let tail = futures_util::stream::iter([
            Ok(config_entry),
            Ok(manifest_entry),
            Ok(Bytes::from(vec![0u8; 1024])),
        ]);
        // After the first error nothing more is emitted (never `manifest.json`).
        let inner = layer_bytes
            .chain(tail)
            .scan(false, |failed, item| {
                let out = if *failed {
                    None
                } else {
                    *failed = item.is_err();
                    Some(item)
                };
                futures_util::future::ready(out)
            })
            .boxed();
        Ok(DockerArchiveStream {
            manifest_digest: manifest.digest.clone(),
            config_digest,
            layers: count,
            size,
            inner,
        })
    }
}
