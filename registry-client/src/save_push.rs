//! Push from a `docker save` stream as it is read: any [`AsyncRead`] (the daemon's
//! `/images/get`, a pipe, a file), never stored whole, never read twice from its source.
//!
//! Each layer is uploaded while it streams by (one chunked `PATCH` per layer, the digest given
//! at the closing `PUT`), hashed on the way. Layers upload in parallel (up to the client's
//! [concurrency](crate::client::ClientBuilder::concurrency)): when the registry takes a layer
//! more slowly than the stream brings it, the rest of that layer is spooled to an unlinked temp
//! file (at most [`SavePushOptions::spill_limit`] for the whole push, read back once while it
//! is in the page cache) and the stream moves on to the next layer, whose upload starts at
//! once; with [`SaveCompression::Gzip`] it is compressed
//! on the way too, in parallel 1 MiB blocks, each a gzip member. A layer the registry already has is
//! read and checked but not sent: which layer comes next is known before its bytes, from the
//! image's diff IDs ([`ExpectedImage`], e.g. from `docker image inspect`) and the legacy layer
//! IDs of the save (or the `blobs/sha256/…` names of newer daemons); which blobs the registry
//! has — compressed ones included, so a compressed re-push skips too — from the manifest
//! already under the target (and [`SavePushOptions::reuse_from`]), mounted across
//! repositories when needed. Every layer's content is checked against the config's diff IDs;
//! the manifest is put last, only when every blob is confirmed.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use registry_client::Client;
//! use registry_client::save_push::{SaveCompression, SavePushOptions};
//!
//! // docker save web:1 | (this) → 127.0.0.1:5000/web:1
//! let client = Client::builder().build()?;
//! let mut child = tokio::process::Command::new("docker")
//!     .args(["save", "web:1"])
//!     .stdout(std::process::Stdio::piped())
//!     .spawn()?;
//! let stdout = child.stdout.take().expect("piped");
//! let target = "127.0.0.1:5000/web:1".parse()?;
//! let opts = SavePushOptions::new().compression(SaveCompression::gzip());
//! let report = client.push_docker_save(stdout, &target, &opts).await?;
//! println!("{} ({} uploaded, {} skipped)", report.digest, report.uploaded, report.skipped);
//! # Ok(())
//! # }
//! ```

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use futures_util::{StreamExt, TryStreamExt};
use reqwest::{Method, header};
use serde::Deserialize;
use tokio::io::AsyncRead;
use tokio::task::JoinHandle;

use crate::auth::Scope;
use crate::blobs::with_digest;
use crate::client::Client;
use crate::digest::{Digest, Digester};
use crate::error::{Error, Result};
use crate::gzip::{default_workers, gzip};
use crate::image::legacy_id::identify;
use crate::image::media_types;
use crate::image::tar_stream::{EntryKind, TarStream, normalise};
use crate::manifests::{ParsedManifest, RawManifest};
use crate::progress::ProgressKind;
use crate::push::PushReport;
use crate::reference::Reference;
use crate::request::{OneShot, Req, ReqBody};
use crate::spool::{DiskBudget, SpoolError, SpoolReader, spool};

/// The largest JSON file of a save read into memory (configs, `manifest.json`).
const MAX_JSON: u64 = 16 * 1024 * 1024;
/// Blobs of a newer daemon's save (`blobs/sha256/…`) up to this size are kept in memory until
/// `manifest.json` says what they are (configs and manifests are that small).
const SMALL_BLOB: u64 = 1024 * 1024;
/// Chunk size read from the stream.
const CHUNK: usize = 1024 * 1024;

/// How layers are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SaveCompression {
    /// As saved (uncompressed tar, `application/vnd.oci.image.layer.v1.tar`): the fastest on a
    /// local network, the blob digest is the diff ID.
    #[default]
    None,
    /// Gzip at `level` (1 fastest … 9 smallest), compressed in parallel blocks
    /// (`…layer.v1.tar+gzip`); for registries across a slower network.
    Gzip {
        /// The zlib level.
        level: u32,
    },
}

impl SaveCompression {
    /// Gzip at level 1 (fast).
    #[must_use]
    pub fn gzip() -> Self {
        Self::Gzip { level: 1 }
    }
}

/// What the pushed image is expected to be (from the daemon: `docker image inspect`'s `Id` and
/// `RootFS.Layers`). With it, layers the registry has are skipped, and the image is found in a
/// save holding several.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExpectedImage {
    /// The image ID: the config's digest.
    pub config: Digest,
    /// The layers' diff IDs, bottom first.
    pub diff_ids: Vec<Digest>,
}

impl ExpectedImage {
    /// An image with config digest `config` and layers `diff_ids`.
    #[must_use]
    pub fn new(config: Digest, diff_ids: Vec<Digest>) -> Self {
        Self { config, diff_ids }
    }
}

/// Options of [`Client::push_docker_save`].
#[derive(Debug, Clone)]
#[non_exhaustive]
#[must_use]
pub struct SavePushOptions {
    compression: SaveCompression,
    expected: Option<ExpectedImage>,
    image: Option<String>,
    reuse_from: Vec<Reference>,
    read_ahead: usize,
    workers: usize,
    spill_limit: u64,
    spill_dir: Option<std::path::PathBuf>,
}

impl Default for SavePushOptions {
    fn default() -> Self {
        Self {
            compression: SaveCompression::None,
            expected: None,
            image: None,
            reuse_from: Vec::new(),
            read_ahead: 8 * CHUNK,
            workers: default_workers(),
            spill_limit: DEFAULT_SPILL_LIMIT,
            spill_dir: None,
        }
    }
}

impl SavePushOptions {
    /// Uncompressed, nothing known ahead: every layer is uploaded.
    pub fn new() -> Self {
        Self::default()
    }

    /// How layers are sent (default as saved).
    pub fn compression(mut self, c: SaveCompression) -> Self {
        self.compression = c;
        self
    }

    /// The image the stream holds (enables skipping what the registry has).
    pub fn expected(mut self, image: ExpectedImage) -> Self {
        self.expected = Some(image);
        self
    }

    /// Which image of a save holding several: one of its `RepoTags` (`web:1`).
    pub fn image(mut self, repo_tag: impl Into<String>) -> Self {
        self.image = Some(repo_tag.into());
        self
    }

    /// Another image whose blobs may be reused (checked, mounted when in another repository
    /// of the same registry); the target's current manifest is always looked at.
    pub fn reuse_from(mut self, reference: Reference) -> Self {
        self.reuse_from.push(reference);
        self
    }

    /// Bytes buffered between the stream and each upload (default 8 MiB).
    pub fn read_ahead(mut self, bytes: usize) -> Self {
        self.read_ahead = bytes.max(CHUNK);
        self
    }

    /// Compression threads (default: the machine's parallelism).
    pub fn workers(mut self, n: usize) -> Self {
        self.workers = n.max(1);
        self
    }

    /// Disk the push may use to spool layers that arrive faster than the registry takes them
    /// (default [`DEFAULT_SPILL_LIMIT`], 1 GiB). `0` never spools: layers then upload one after
    /// the other at the pace of the slower of the stream and the registry.
    pub fn spill_limit(mut self, bytes: u64) -> Self {
        self.spill_limit = bytes;
        self
    }

    /// Where spooled layers go (default: [`std::env::temp_dir`]). The files are unlinked as
    /// soon as they are created: nothing is left behind, whatever happens.
    pub fn spill_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.spill_dir = Some(dir.into());
        self
    }
}

/// The default of [`SavePushOptions::spill_limit`]: 1 GiB.
pub const DEFAULT_SPILL_LIMIT: u64 = 1 << 30;

/// A blob the registry has that holds a layer.
#[derive(Debug, Clone)]
struct Known {
    digest: Digest,
    size: u64,
    media_type: String,
    mounted: bool,
}

/// A layer as it ends up in the manifest.
#[derive(Debug, Clone)]
struct LayerOut {
    /// The SHA-256 of the layer as saved; `None` for a layer saved compressed (its diff ID is
    /// the uncompressed content's, which the puller checks).
    diff_id: Option<Digest>,
    digest: Digest,
    size: u64,
    media_type: String,
    /// 0 skipped, 1 mounted, 2 uploaded.
    how: u8,
}

enum Slot {
    Pending(JoinHandle<Result<LayerOut>>),
    Done(LayerOut),
    Alias(String),
    /// A small blob of a newer daemon's save, kept until we know what it is.
    Small(Bytes),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SaveEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct ConfigDoc {
    rootfs: RootFs,
}

#[derive(Debug, Deserialize)]
struct RootFs {
    #[serde(default)]
    diff_ids: Vec<String>,
}

fn archive(msg: impl Into<String>) -> Error {
    Error::Archive(msg.into())
}

fn read_err(e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::InvalidData || e.kind() == std::io::ErrorKind::UnexpectedEof
    {
        archive(e.to_string())
    } else {
        Error::Io {
            action: "reading",
            path: "the docker save stream".into(),
            source: e,
        }
    }
}

/// The OCI media type of a layer blob, from any of the names registries use for it.
fn oci_layer_type(media_type: &str) -> String {
    match media_type {
        "application/vnd.docker.image.rootfs.diff.tar.gzip" => media_types::OCI_LAYER_GZIP.into(),
        "application/vnd.docker.image.rootfs.diff.tar" => media_types::OCI_LAYER.into(),
        mt => mt.to_owned(),
    }
}

fn parse_digest(s: &str, what: &str) -> Result<Digest> {
    s.parse::<Digest>()
        .map_err(|e| archive(format!("{what} {s:?}: {e}")))
}

impl Client {
    /// Pushes the image of a `docker save` stream to `reference` (its tag, or `latest`) while
    /// reading it; see the [module docs](crate::save_push).
    ///
    /// # Errors
    /// [`Error::Archive`] for a stream that is not a usable save (truncated, no
    /// `manifest.json`, several images and none named, a layer that does not match the
    /// config's diff ID); [`Error::Io`] when reading fails (the source's own error inside);
    /// transport and API errors. On error no manifest was written.
    pub async fn push_docker_save<R>(
        &self,
        reader: R,
        reference: &Reference,
        opts: &SavePushOptions,
    ) -> Result<PushReport>
    where
        R: AsyncRead + Send + Unpin,
    {
        let repo = reference.without_digest();
        // What the registry has is looked up while the daemon prepares its export.
        let plan = self.plan_reuse(&repo, opts);
        let mut tar = TarStream::new(tokio::io::BufReader::with_capacity(CHUNK, reader));
        let first = tar.next_entry();
        let (known, first) = tokio::join!(plan, first);
        let (known, config_present) = known?;
        let first = first.map_err(read_err)?;
        let mut run = Run {
            client: self,
            repo: &repo,
            opts,
            known,
            slots: HashMap::new(),
            jsons: HashMap::new(),
            files: HashMap::new(),
            budget: DiskBudget::new(
                opts.spill_limit,
                opts.spill_dir.clone().unwrap_or_else(std::env::temp_dir),
            ),
            uploads: Arc::new(tokio::sync::Semaphore::new(self.inner.concurrency)),
        };
        let result = run.read_all(&mut tar, first).await;
        let result = match result {
            Ok(manifest) => run.finish(manifest, reference, config_present).await,
            Err(e) => Err(e),
        };
        if result.is_err() {
            for slot in run.slots.values() {
                if let Slot::Pending(h) = slot {
                    h.abort();
                }
            }
        }
        result
    }

    /// The blobs the registry has for the expected layers: from the manifests under the
    /// target and `reuse_from` (their configs say which diff ID each layer is), and, sent
    /// uncompressed, the diff ID itself. Whether the config is there too.
    async fn plan_reuse(
        &self,
        repo: &Reference,
        opts: &SavePushOptions,
    ) -> Result<(HashMap<Digest, Known>, bool)> {
        let Some(exp) = &opts.expected else {
            return Ok((HashMap::new(), false));
        };
        let wanted: HashSet<&Digest> = exp.diff_ids.iter().collect();
        let mut candidates: Vec<(Digest, Known, Reference)> = Vec::new();
        let sources = std::iter::once(repo.clone()).chain(opts.reuse_from.iter().cloned());
        for src in sources {
            // Best effort: an absent or unreadable manifest only means nothing to reuse.
            let Ok(m) = self.get_manifest(&src).await else {
                continue;
            };
            let Ok(ParsedManifest::Image(m)) = m.parse() else {
                continue;
            };
            let Ok(cfg_digest) = crate::manifests::descriptor_digest(m.config()) else {
                continue;
            };
            let Ok(cfg) = self.blob_bytes(&src, &cfg_digest, MAX_JSON).await else {
                continue;
            };
            let Ok(doc) = serde_json::from_slice::<ConfigDoc>(&cfg) else {
                continue;
            };
            for (diff, layer) in doc.rootfs.diff_ids.iter().zip(m.layers()) {
                let (Ok(diff), Ok(digest)) = (
                    diff.parse::<Digest>(),
                    crate::manifests::descriptor_digest(layer),
                ) else {
                    continue;
                };
                if wanted.contains(&diff) {
                    let known = Known {
                        digest,
                        size: layer.size(),
                        media_type: oci_layer_type(layer.media_type().as_ref()),
                        mounted: false,
                    };
                    candidates.push((diff, known, src.clone()));
                }
            }
        }
        if opts.compression == SaveCompression::None {
            for d in &exp.diff_ids {
                let known = Known {
                    digest: d.clone(),
                    size: 0,
                    media_type: media_types::OCI_LAYER.into(),
                    mounted: false,
                };
                candidates.push((d.clone(), known, repo.clone()));
            }
        }
        let checked: Vec<Option<(Digest, Known)>> = futures_util::stream::iter(
            candidates.into_iter().map(|(diff, mut k, src)| async move {
                if src.path() == repo.path() && src.api_host() == repo.api_host() {
                    return Ok::<_, Error>(self.blob_exists(repo, &k.digest).await?.map(|size| {
                        if k.size == 0 {
                            k.size = size;
                        }
                        (diff, k)
                    }));
                }
                if src.api_host() == repo.api_host()
                    && self.blob_exists(&src, &k.digest).await?.is_some()
                {
                    if self.blob_exists(repo, &k.digest).await?.is_some() {
                        return Ok(Some((diff, k)));
                    }
                    if self.mount_blob(repo, &k.digest, &src).await? {
                        k.mounted = true;
                        return Ok(Some((diff, k)));
                    }
                }
                Ok(None)
            }),
        )
        .buffered(self.inner.concurrency)
        .try_collect()
        .await?;
        let mut known = HashMap::new();
        for (diff, k) in checked.into_iter().flatten() {
            known.entry(diff).or_insert(k);
        }
        let config_present = self.blob_exists(repo, &exp.config).await?.is_some();
        Ok((known, config_present))
    }
}

/// The state of one push while the stream is read.
struct Run<'a> {
    client: &'a Client,
    repo: &'a Reference,
    opts: &'a SavePushOptions,
    known: HashMap<Digest, Known>,
    /// Layer files by path.
    slots: HashMap<String, Slot>,
    /// `<dir>/json` of classic saves, by directory.
    jsons: HashMap<String, String>,
    /// Small top-level files (configs, `manifest.json`) by path.
    files: HashMap<String, Bytes>,
    /// Disk for layers spooled while earlier ones upload.
    budget: Arc<DiskBudget>,
    /// Uploads at once.
    uploads: Arc<tokio::sync::Semaphore>,
}

impl Run<'_> {
    /// Reads the whole stream; returns `manifest.json`.
    async fn read_all<R: AsyncRead + Unpin>(
        &mut self,
        tar: &mut TarStream<R>,
        first: Option<crate::image::tar_stream::EntryHeader>,
    ) -> Result<Vec<u8>> {
        let mut next = first;
        let mut manifest = None;
        while let Some(e) = next {
            let name = e.name.clone();
            let parts: Vec<&str> = name.split('/').collect();
            match (&e.kind, parts.as_slice()) {
                (EntryKind::File, ["manifest.json"]) => {
                    manifest = Some(tar.read_all(MAX_JSON).await.map_err(read_err)?);
                }
                (EntryKind::File, [dir, "json"]) => {
                    let text = tar.read_all(MAX_JSON).await.map_err(read_err)?;
                    self.jsons.insert(
                        (*dir).to_owned(),
                        String::from_utf8_lossy(&text).into_owned(),
                    );
                }
                (EntryKind::File, [file]) if file.ends_with(".json") => {
                    let bytes = tar.read_all(MAX_JSON).await.map_err(read_err)?;
                    self.files.insert(name.clone(), bytes.into());
                }
                (EntryKind::File, [dir, "layer.tar"]) => {
                    let identity = self.identify_classic(dir);
                    self.layer(tar, &name, identity).await?;
                }
                (EntryKind::File, ["blobs", algo, hex]) => {
                    let digest = parse_digest(&format!("{algo}:{hex}"), "blob name")?;
                    let expected_layer = self
                        .opts
                        .expected
                        .as_ref()
                        .is_some_and(|x| x.diff_ids.contains(&digest));
                    if !expected_layer && e.size <= SMALL_BLOB {
                        let bytes = tar.read_all(SMALL_BLOB).await.map_err(read_err)?;
                        self.slots.insert(name.clone(), Slot::Small(bytes.into()));
                    } else {
                        self.layer(tar, &name, Some(digest)).await?;
                    }
                }
                (EntryKind::Symlink(target) | EntryKind::HardLink(target), _) => {
                    let resolved = if matches!(e.kind, EntryKind::Symlink(_)) {
                        let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
                        normalise(&format!("{dir}/{target}"))
                    } else {
                        normalise(target)
                    };
                    self.slots.insert(name.clone(), Slot::Alias(resolved));
                }
                _ => {}
            }
            next = tar.next_entry().await.map_err(read_err)?;
        }
        manifest.ok_or_else(|| archive("no manifest.json (not a docker save stream)"))
    }

    /// The diff ID of a classic save's layer directory: named by it (saves made by
    /// [`Client::pull_docker_archive`] of uncompressed layers), else from its legacy ID.
    fn identify_classic(&self, dir: &str) -> Option<Digest> {
        let exp = self.opts.expected.as_ref()?;
        if let Some(d) = exp.diff_ids.iter().find(|d| d.hex() == dir) {
            return Some(d.clone());
        }
        let json = self.jsons.get(dir)?;
        let diffs: Vec<String> = exp.diff_ids.iter().map(ToString::to_string).collect();
        identify(dir, json, &diffs).map(|i| exp.diff_ids[i].clone())
    }

    /// One layer file: checked and skipped when the registry has it, else uploaded while it
    /// streams (as it is when it was saved compressed).
    async fn layer<R: AsyncRead + Unpin>(
        &mut self,
        tar: &mut TarStream<R>,
        path: &str,
        identity: Option<Digest>,
    ) -> Result<()> {
        let client = self.client.clone();
        let label = identity
            .as_ref()
            .map_or_else(|| path.to_owned(), ToString::to_string);
        let first = read_chunk(tar).await?;
        let saved_compressed = first.starts_with(&[0x1f, 0x8b]);
        let (mut tx, rx) = spool(self.opts.read_ahead, Arc::clone(&self.budget));
        let handle = match identity.as_ref().and_then(|d| self.known.get(d)) {
            Some(k) if !saved_compressed => {
                let k = k.clone();
                let expected = identity.clone().unwrap_or_else(|| k.digest.clone());
                let progress = client.progress_for(&label, None);
                tokio::spawn(async move {
                    let diff_id = hash_only(rx).await?;
                    if diff_id != expected {
                        return Err(archive(format!(
                            "layer content is {diff_id}, expected {expected}"
                        )));
                    }
                    progress.emit(
                        if k.mounted {
                            ProgressKind::Mounted
                        } else {
                            ProgressKind::Skipped
                        },
                        0,
                    );
                    Ok(LayerOut {
                        diff_id: Some(diff_id),
                        digest: k.digest,
                        size: k.size,
                        media_type: k.media_type,
                        how: u8::from(k.mounted),
                    })
                })
            }
            _ => {
                let repo = self.repo.clone();
                let compression = if saved_compressed {
                    None
                } else {
                    Some(self.opts.compression)
                };
                let workers = self.opts.workers;
                let uploads = Arc::clone(&self.uploads);
                tokio::spawn(async move {
                    // Waiting for a turn, the layer spools (memory, then disk).
                    let _turn = uploads
                        .acquire_owned()
                        .await
                        .map_err(|e| Error::Image(Box::new(e)))?;
                    upload_layer(&client, &repo, rx, compression, workers, &label).await
                })
            }
        };
        self.slots.insert(path.to_owned(), Slot::Pending(handle));
        let mut chunk = first;
        while !chunk.is_empty() {
            let full = chunk.len() == CHUNK;
            match tx.send(chunk).await {
                Ok(()) => {}
                // The sink failed: its error comes out of its handle.
                Err(SpoolError::Closed) => return self.fail_fast(path).await,
                Err(SpoolError::Io(source)) => {
                    return Err(Error::Io {
                        action: "spooling",
                        path: format!(
                            "{path} to {}",
                            self.opts
                                .spill_dir
                                .clone()
                                .unwrap_or_else(std::env::temp_dir)
                                .display()
                        ),
                        source,
                    });
                }
            }
            if !full {
                break;
            }
            chunk = read_chunk(tar).await?;
        }
        tx.finish();
        Ok(())
    }

    /// The error of a sink that stopped taking data.
    async fn fail_fast(&mut self, path: &str) -> Result<()> {
        if let Some(Slot::Pending(h)) = self.slots.remove(path) {
            match h.await {
                Ok(Err(e)) => return Err(e),
                Err(e) => return Err(Error::Image(Box::new(e))),
                Ok(Ok(_)) => {}
            }
        }
        Err(archive(format!("{path}: the upload stopped early")))
    }

    /// After the stream: the image's config and layers checked against each other, blobs
    /// confirmed, the config uploaded, the manifest put last.
    async fn finish(
        &mut self,
        manifest: Vec<u8>,
        reference: &Reference,
        config_present: bool,
    ) -> Result<PushReport> {
        let entries: Vec<SaveEntry> = serde_json::from_slice(&manifest)
            .map_err(|e| archive(format!("manifest.json: {e}")))?;
        let entry = self.pick(&entries)?;
        let config_path = normalise(&entry.config);
        let config = match self.files.get(&config_path) {
            Some(b) => b.clone(),
            None => match self.slots.remove(&config_path) {
                Some(Slot::Small(b)) => b,
                _ => {
                    return Err(archive(format!(
                        "config {config_path} is not in the stream"
                    )));
                }
            },
        };
        let config_digest = Digest::sha256_of(&config);
        if let Some(exp) = &self.opts.expected
            && exp.config != config_digest
        {
            return Err(archive(format!(
                "the stream's image is {config_digest}, expected {}",
                exp.config
            )));
        }
        let doc: ConfigDoc = serde_json::from_slice(&config)
            .map_err(|e| archive(format!("config {config_path}: {e}")))?;
        if doc.rootfs.diff_ids.len() != entry.layers.len() {
            return Err(archive(format!(
                "config lists {} layers, manifest.json {}",
                doc.rootfs.diff_ids.len(),
                entry.layers.len()
            )));
        }
        // Wait for every upload (those of other images in the save too).
        let paths: Vec<String> = self.slots.keys().cloned().collect();
        for p in paths {
            if matches!(self.slots.get(&p), Some(Slot::Pending(_)))
                && let Some(Slot::Pending(h)) = self.slots.remove(&p)
            {
                let out = h.await.map_err(|e| Error::Image(Box::new(e)))??;
                self.slots.insert(p, Slot::Done(out));
            }
        }
        let mut layers = Vec::with_capacity(entry.layers.len());
        for (i, (path, diff)) in entry.layers.iter().zip(&doc.rootfs.diff_ids).enumerate() {
            let want = parse_digest(diff, "diff ID")?;
            let out = self.resolve(&normalise(path), &want).await?;
            if let Some(d) = &out.diff_id
                && *d != want
            {
                return Err(archive(format!(
                    "layer {i} ({path}) is {d}, the config says {want}"
                )));
            }
            layers.push(out);
        }
        let config_present = config_present
            || self
                .client
                .blob_exists(self.repo, &config_digest)
                .await?
                .is_some();
        if !config_present {
            self.client
                .push_blob_bytes(self.repo, &config_digest, config.clone())
                .await?;
        }
        let mut report = PushReport {
            digest: config_digest.clone(),
            uploaded: usize::from(!config_present),
            skipped: usize::from(config_present),
            mounted: 0,
            bytes: if config_present {
                0
            } else {
                config.len() as u64
            },
        };
        let mut seen = HashSet::new();
        for l in &layers {
            if !seen.insert(l.digest.clone()) {
                continue;
            }
            match l.how {
                0 => report.skipped += 1,
                1 => report.mounted += 1,
                _ => {
                    report.uploaded += 1;
                    report.bytes += l.size;
                }
            }
        }
        let doc = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": media_types::OCI_MANIFEST,
            "config": {
                "mediaType": media_types::OCI_CONFIG,
                "digest": config_digest.as_str(),
                "size": config.len(),
            },
            "layers": layers.iter().map(|l| serde_json::json!({
                "mediaType": l.media_type,
                "digest": l.digest.as_str(),
                "size": l.size,
            })).collect::<Vec<_>>(),
        });
        let bytes = serde_json::to_vec(&doc).map_err(|source| Error::Json {
            what: "manifest",
            source,
        })?;
        let raw = RawManifest::new(bytes, media_types::OCI_MANIFEST);
        report.digest = self
            .client
            .put_manifest(&reference.without_digest(), &raw)
            .await?;
        Ok(report)
    }

    /// The entry of `manifest.json` to push.
    fn pick<'e>(&self, entries: &'e [SaveEntry]) -> Result<&'e SaveEntry> {
        if let Some(want) = &self.opts.image {
            let canon = |s: &str| s.parse::<Reference>().map(|r| r.canonical()).ok();
            let w = canon(want);
            return entries
                .iter()
                .find(|e| {
                    e.repo_tags
                        .iter()
                        .flatten()
                        .any(|t| t == want || (w.is_some() && canon(t) == w))
                })
                .ok_or_else(|| archive(format!("no image tagged {want} in the stream")));
        }
        if let Some(exp) = &self.opts.expected {
            let hex = exp.config.hex();
            if let Some(e) = entries.iter().find(|e| {
                let c = normalise(&e.config);
                c == format!("{hex}.json") || c.ends_with(&format!("/{hex}"))
            }) {
                return Ok(e);
            }
        }
        match entries {
            [one] => Ok(one),
            [] => Err(archive("manifest.json lists no image")),
            many => Err(archive(format!(
                "{} images in the stream; name one",
                many.len()
            ))),
        }
    }

    /// The layer at `path` (following links), uploading a small blob kept in memory.
    async fn resolve(&mut self, path: &str, want: &Digest) -> Result<LayerOut> {
        let mut p = path.to_owned();
        for _ in 0..8 {
            match self.slots.get(&p) {
                Some(Slot::Alias(t)) => p = t.clone(),
                Some(Slot::Done(out)) => return Ok(out.clone()),
                Some(Slot::Small(b)) => {
                    let b = b.clone();
                    let digest = Digest::sha256_of(&b);
                    if self.client.blob_exists(self.repo, &digest).await?.is_none() {
                        self.client
                            .push_blob_bytes(self.repo, &digest, b.clone())
                            .await?;
                    }
                    let gz = b.starts_with(&[0x1f, 0x8b]);
                    let _ = want;
                    let out = LayerOut {
                        // A compressed small layer: its diff ID is checked by the puller.
                        diff_id: (!gz).then(|| digest.clone()),
                        digest,
                        size: b.len() as u64,
                        media_type: if gz {
                            media_types::OCI_LAYER_GZIP
                        } else {
                            media_types::OCI_LAYER
                        }
                        .into(),
                        how: 2,
                    };
                    self.slots.insert(p, Slot::Done(out.clone()));
                    return Ok(out);
                }
                Some(Slot::Pending(_)) | None => break,
            }
        }
        Err(archive(format!("layer {path} is not in the stream")))
    }
}

/// Up to [`CHUNK`] bytes of the current entry (fewer only at its end).
async fn read_chunk<R: AsyncRead + Unpin>(tar: &mut TarStream<R>) -> Result<Bytes> {
    let mut buf = BytesMut::zeroed(CHUNK);
    let mut filled = 0;
    while filled < CHUNK {
        let n = tar.read(&mut buf[filled..]).await.map_err(read_err)?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    buf.truncate(filled);
    Ok(buf.freeze())
}

/// Reads a layer to its end, returning its SHA-256.
async fn hash_only(mut rx: SpoolReader) -> Result<Digest> {
    let mut d = Digester::sha256();
    while let Some(b) = rx.next().await {
        d.update(&b.map_err(spool_err)?);
    }
    Ok(d.finish())
}

/// A spool's read error: the stream cut inside the layer, or the spill file unreadable.
fn spool_err(e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        archive("the stream ended inside a layer")
    } else {
        Error::Io {
            action: "reading back",
            path: "a spooled layer".into(),
            source: e,
        }
    }
}

/// The data of a layer as a body stream: hashed into `diff` on the way; a spool whose writer
/// went away before the end is an error (so a cut stream never becomes a complete-looking blob).
fn data_stream(
    rx: SpoolReader,
    diff: Arc<Mutex<Digester>>,
) -> impl futures_util::Stream<Item = Result<Bytes>> + Send + Unpin + 'static {
    Box::pin(futures_util::stream::unfold(
        (rx, diff, false),
        |(mut rx, diff, done)| async move {
            if done {
                return None;
            }
            match rx.next().await? {
                Ok(b) => {
                    diff.lock().expect("digest lock").update(&b);
                    Some((Ok(b), (rx, diff, false)))
                }
                Err(e) => Some((Err(spool_err(e)), (rx, diff, true))),
            }
        },
    ))
}

fn compress_err(e: std::io::Error) -> Error {
    Error::Io {
        action: "compressing",
        path: "a layer".into(),
        source: e,
    }
}

/// Uploads one layer as it streams: `POST` a session, one chunked `PATCH` with the (possibly
/// compressed) bytes, `PUT ?digest=` with the digest computed on the way. Chunked even when
/// the size is known: the body must be read to its end (the spool's end mark), which a
/// `Content-Length` body would leave unread.
async fn upload_layer(
    client: &Client,
    repo: &Reference,
    rx: SpoolReader,
    compression: Option<SaveCompression>,
    workers: usize,
    label: &str,
) -> Result<LayerOut> {
    let progress = client.progress_for(label, None);
    progress.emit(ProgressKind::Started, 0);
    let diff = Arc::new(Mutex::new(Digester::sha256()));
    let data = data_stream(rx, Arc::clone(&diff));
    // Sent as read (uncompressed, or saved compressed), the blob is the data: hashed once, in
    // `data_stream`. Compressed here, the blob's own digest is computed on the way out.
    let (body, media_type, blob): (crate::request::ByteStream, &str, _) = match compression {
        None => (data.boxed(), media_types::OCI_LAYER_GZIP, None),
        Some(SaveCompression::None) => (data.boxed(), media_types::OCI_LAYER, None),
        Some(SaveCompression::Gzip { level }) => (
            gzip(data, level, workers, compress_err).boxed(),
            media_types::OCI_LAYER_GZIP,
            Some(Arc::new(Mutex::new(Digester::sha256()))),
        ),
    };
    let tap = blob.clone();
    let progress_tap = progress.clone();
    let (mut sent, mut last) = (0u64, 0u64);
    let body = body
        .map_ok(move |b| {
            if let Some(tap) = &tap {
                tap.lock().expect("digest lock").update(&b);
            }
            sent += b.len() as u64;
            if sent - last >= 8 * 1024 * 1024 {
                last = sent;
                progress_tap.emit(ProgressKind::Advanced, last);
            }
            b
        })
        .boxed();
    let resp = client.start_upload(repo, "").await?;
    let location = client.resolve_location(&resp)?;
    let req = Req::new(
        Method::PATCH,
        repo.api_host(),
        location,
        vec![Scope::push(repo.path())],
    )
    .header(header::CONTENT_TYPE, "application/octet-stream")?
    .body(ReqBody::Chunked(OneShot::new(body)))
    .no_retry()
    .no_follow();
    let resp = client.send(&req).await?;
    let location = client.resolve_location(&resp)?;
    let take = |d: &Mutex<Digester>| {
        let d = std::mem::replace(&mut *d.lock().expect("digest lock"), Digester::sha256());
        let n = d.len();
        (d.finish(), n)
    };
    let (diff_id, diff_size) = take(&diff);
    let (digest, size) = match &blob {
        Some(blob) => take(blob),
        None => (diff_id.clone(), diff_size),
    };
    let req = Req::new(
        Method::PUT,
        repo.api_host(),
        with_digest(location, &digest),
        vec![Scope::push(repo.path())],
    )
    .header(header::CONTENT_LENGTH, "0")?
    .no_follow();
    client.send(&req).await?;
    progress.emit(ProgressKind::Done, size);
    Ok(LayerOut {
        diff_id: compression.is_some().then_some(diff_id),
        digest,
        size,
        media_type: media_type.to_owned(),
        how: 2,
    })
}
