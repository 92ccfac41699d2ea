//! `ImageBuilder`: an OCI image layout from files, directories, tars and in-memory entries.

use super::layout::OciLayout;
use super::{ImageError, Result, io_err, media_types};
use crate::digest::{Digest, Digester};
use crate::temp_file::TempFile;
use flate2::write::GzEncoder;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// Layer compression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Compression {
    /// Uncompressed tar (`application/vnd.oci.image.layer.v1.tar`); digest == diff_id.
    #[default]
    None,
    /// Gzip (`…layer.v1.tar+gzip`), default level.
    Gzip,
}

/// Image configuration: what `docker inspect` shows under `Config`, plus the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImageConfig {
    /// `Entrypoint`.
    pub entrypoint: Option<Vec<String>>,
    /// `Cmd`.
    pub cmd: Option<Vec<String>>,
    /// `Env`, as `KEY=value`.
    pub env: Vec<String>,
    /// `WorkingDir`.
    pub working_dir: Option<String>,
    /// `User`.
    pub user: Option<String>,
    /// `ExposedPorts`, as `80/tcp`.
    pub exposed_ports: Vec<String>,
    /// `Labels`.
    pub labels: BTreeMap<String, String>,
    /// `StopSignal`.
    pub stop_signal: Option<String>,
    /// `os` (default `linux`).
    pub os: String,
    /// `architecture` (default: the host's, e.g. `amd64`).
    pub architecture: String,
    /// `created` timestamp (RFC 3339); none by default, so builds are reproducible.
    pub created: Option<String>,
}

impl Default for ImageConfig {
    fn default() -> Self {
        Self {
            entrypoint: None,
            cmd: None,
            env: Vec::new(),
            working_dir: None,
            user: None,
            exposed_ports: Vec::new(),
            labels: BTreeMap::new(),
            stop_signal: None,
            os: "linux".to_owned(),
            architecture: super::host_arch().to_owned(),
            created: None,
        }
    }
}

fn strings<I, S>(items: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    items.into_iter().map(Into::into).collect()
}

impl ImageConfig {
    /// An empty linux config for the host's architecture.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets `Entrypoint`.
    #[must_use]
    pub fn entrypoint<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Self {
        self.entrypoint = Some(strings(args));
        self
    }
    /// Sets `Cmd`.
    #[must_use]
    pub fn cmd<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Self {
        self.cmd = Some(strings(args));
        self
    }
    /// Adds an environment variable (replaces an earlier one with the same key).
    #[must_use]
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let key = key.into();
        self.env
            .retain(|e| e.split_once('=').map_or(e.as_str(), |(k, _)| k) != key);
        self.env.push(format!("{key}={}", value.into()));
        self
    }
    /// Sets `WorkingDir`.
    #[must_use]
    pub fn working_dir(mut self, dir: impl Into<String>) -> Self {
        self.working_dir = Some(dir.into());
        self
    }
    /// Sets `User`.
    #[must_use]
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }
    /// Adds an exposed port such as `80/tcp` (`80` means tcp).
    #[must_use]
    pub fn expose(mut self, port: impl Into<String>) -> Self {
        let mut p = port.into();
        if !p.contains('/') {
            p.push_str("/tcp");
        }
        if !self.exposed_ports.contains(&p) {
            self.exposed_ports.push(p);
        }
        self
    }
    /// Adds a label.
    #[must_use]
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.insert(key.into(), value.into());
        self
    }
    /// Sets `StopSignal`.
    #[must_use]
    pub fn stop_signal(mut self, signal: impl Into<String>) -> Self {
        self.stop_signal = Some(signal.into());
        self
    }
    /// Sets os and architecture.
    #[must_use]
    pub fn platform(mut self, os: impl Into<String>, architecture: impl Into<String>) -> Self {
        self.os = os.into();
        self.architecture = architecture.into();
        self
    }
    /// Sets the `created` timestamp (RFC 3339).
    #[must_use]
    pub fn created(mut self, created: impl Into<String>) -> Self {
        self.created = Some(created.into());
        self
    }

    fn to_json(&self, diff_ids: &[Digest]) -> Value {
        let mut cfg = Map::new();
        if let Some(c) = &self.cmd {
            cfg.insert("Cmd".into(), json!(c));
        }
        if let Some(e) = &self.entrypoint {
            cfg.insert("Entrypoint".into(), json!(e));
        }
        if !self.env.is_empty() {
            cfg.insert("Env".into(), json!(self.env));
        }
        if !self.exposed_ports.is_empty() {
            let mut ports = self.exposed_ports.clone();
            ports.sort();
            let m: Map<String, Value> = ports.into_iter().map(|p| (p, json!({}))).collect();
            cfg.insert("ExposedPorts".into(), Value::Object(m));
        }
        if !self.labels.is_empty() {
            cfg.insert("Labels".into(), json!(self.labels));
        }
        if let Some(s) = &self.stop_signal {
            cfg.insert("StopSignal".into(), json!(s));
        }
        if let Some(u) = &self.user {
            cfg.insert("User".into(), json!(u));
        }
        if let Some(w) = &self.working_dir {
            cfg.insert("WorkingDir".into(), json!(w));
        }
        let mut doc = Map::new();
        doc.insert("architecture".into(), json!(self.architecture));
        doc.insert("config".into(), Value::Object(cfg));
        if let Some(c) = &self.created {
            doc.insert("created".into(), json!(c));
        }
        doc.insert("os".into(), json!(self.os));
        let ids: Vec<&str> = diff_ids.iter().map(Digest::as_str).collect();
        doc.insert("rootfs".into(), json!({"type": "layers", "diff_ids": ids}));
        Value::Object(doc)
    }
}

#[derive(Debug, Clone)]
enum Pending {
    File {
        src: PathBuf,
        dest: String,
        mode: Option<u32>,
    },
    Tree {
        src: PathBuf,
        dest: String,
    },
    Bytes {
        dest: String,
        data: Vec<u8>,
        mode: u32,
    },
    Dir {
        dest: String,
        mode: u32,
    },
    Symlink {
        dest: String,
        target: String,
    },
}

/// One layer: entries added with the methods below, or an existing tar.
///
/// Entries are written sorted by path with uid/gid 0, mtime 0 and no user names, parents are
/// added as `0755` directories when missing, and a later entry for the same path replaces an
/// earlier one: the same input always gives the same bytes and digests.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct Layer {
    pending: Vec<Pending>,
    tar: Option<PathBuf>,
    compression: Compression,
}

impl Layer {
    /// An empty, uncompressed layer.
    pub fn new() -> Self {
        Self::default()
    }

    /// A layer whose content is an existing tar file (plain or gzip), copied entry for entry
    /// as bytes (re-compressed when the layer's compression differs).
    pub fn from_tar(path: impl Into<PathBuf>) -> Self {
        Self {
            tar: Some(path.into()),
            ..Self::default()
        }
    }

    /// Sets the compression.
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Gzip-compresses the layer.
    pub fn gzip(self) -> Self {
        self.compression(Compression::Gzip)
    }

    /// Adds the host file `src` (symlinks followed) at `dest`, keeping its permission bits.
    pub fn file(mut self, src: impl Into<PathBuf>, dest: impl Into<String>) -> Self {
        self.pending.push(Pending::File {
            src: src.into(),
            dest: dest.into(),
            mode: None,
        });
        self
    }

    /// Adds the host file `src` at `dest` with permission bits `mode`.
    pub fn file_with_mode(
        mut self,
        src: impl Into<PathBuf>,
        dest: impl Into<String>,
        mode: u32,
    ) -> Self {
        self.pending.push(Pending::File {
            src: src.into(),
            dest: dest.into(),
            mode: Some(mode),
        });
        self
    }

    /// Adds the host directory `src` recursively under `dest` (modes kept, symlinks kept as
    /// symlinks; sockets, fifos and devices are an error at build time).
    pub fn dir(mut self, src: impl Into<PathBuf>, dest: impl Into<String>) -> Self {
        self.pending.push(Pending::Tree {
            src: src.into(),
            dest: dest.into(),
        });
        self
    }

    /// Adds an in-memory file.
    pub fn bytes(mut self, dest: impl Into<String>, data: impl Into<Vec<u8>>, mode: u32) -> Self {
        self.pending.push(Pending::Bytes {
            dest: dest.into(),
            data: data.into(),
            mode,
        });
        self
    }

    /// Adds an (empty) directory.
    pub fn mkdir(mut self, dest: impl Into<String>, mode: u32) -> Self {
        self.pending.push(Pending::Dir {
            dest: dest.into(),
            mode,
        });
        self
    }

    /// Adds a symbolic link at `dest` pointing to `target` (kept verbatim).
    pub fn symlink(mut self, dest: impl Into<String>, target: impl Into<String>) -> Self {
        self.pending.push(Pending::Symlink {
            dest: dest.into(),
            target: target.into(),
        });
        self
    }
}

/// Normalises a path inside the image: no leading `/`, no `.` or empty components, no `..`.
pub(crate) fn clean_dest(dest: &str) -> Result<String> {
    let mut parts = Vec::new();
    for c in dest.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                return Err(ImageError::InvalidPath {
                    path: dest.to_owned(),
                    reason: "`..` is not allowed",
                });
            }
            c if c.contains('\0') => {
                return Err(ImageError::InvalidPath {
                    path: dest.to_owned(),
                    reason: "NUL byte",
                });
            }
            c => parts.push(c),
        }
    }
    if parts.is_empty() {
        return Err(ImageError::InvalidPath {
            path: dest.to_owned(),
            reason: "empty path (the root cannot be an entry)",
        });
    }
    Ok(parts.join("/"))
}

#[derive(Debug, Clone)]
enum Entry {
    File { src: PathBuf, mode: u32 },
    Bytes { data: Vec<u8>, mode: u32 },
    Dir { mode: u32 },
    Symlink { target: PathBuf },
}

#[cfg(unix)]
fn mode_of(meta: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn mode_of(meta: &fs::Metadata) -> u32 {
    if meta.is_dir() { 0o755 } else { 0o644 }
}

fn walk(src: &Path, dest: &str, out: &mut BTreeMap<String, Entry>) -> Result<()> {
    let meta = fs::symlink_metadata(src).map_err(io_err(src))?;
    let ft = meta.file_type();
    if ft.is_symlink() {
        let target = fs::read_link(src).map_err(io_err(src))?;
        out.insert(dest.to_owned(), Entry::Symlink { target });
    } else if ft.is_file() {
        out.insert(
            dest.to_owned(),
            Entry::File {
                src: src.to_owned(),
                mode: mode_of(&meta),
            },
        );
    } else if ft.is_dir() {
        out.insert(
            dest.to_owned(),
            Entry::Dir {
                mode: mode_of(&meta),
            },
        );
        let mut children: Vec<_> = fs::read_dir(src)
            .map_err(io_err(src))?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<io::Result<_>>()
            .map_err(io_err(src))?;
        children.sort();
        for name in children {
            let Some(n) = name.to_str() else {
                return Err(ImageError::InvalidPath {
                    path: src.join(&name).display().to_string(),
                    reason: "file name is not UTF-8",
                });
            };
            walk(&src.join(&name), &format!("{dest}/{n}"), out)?;
        }
    } else {
        return Err(ImageError::UnsupportedFileType(src.to_owned()));
    }
    Ok(())
}

fn collect(pending: &[Pending]) -> Result<BTreeMap<String, Entry>> {
    let mut out = BTreeMap::new();
    for p in pending {
        match p {
            Pending::File { src, dest, mode } => {
                let dest = clean_dest(dest)?;
                let meta = fs::metadata(src).map_err(io_err(src))?;
                if !meta.is_file() {
                    return Err(ImageError::UnsupportedFileType(src.clone()));
                }
                let mode = mode.unwrap_or_else(|| mode_of(&meta));
                out.insert(
                    dest,
                    Entry::File {
                        src: src.clone(),
                        mode,
                    },
                );
            }
            Pending::Tree { src, dest } => {
                let dest = clean_dest(dest)?;
                walk(src, &dest, &mut out)?;
            }
            Pending::Bytes { dest, data, mode } => {
                out.insert(
                    clean_dest(dest)?,
                    Entry::Bytes {
                        data: data.clone(),
                        mode: *mode,
                    },
                );
            }
            Pending::Dir { dest, mode } => {
                out.insert(clean_dest(dest)?, Entry::Dir { mode: *mode });
            }
            Pending::Symlink { dest, target } => {
                out.insert(
                    clean_dest(dest)?,
                    Entry::Symlink {
                        target: PathBuf::from(target),
                    },
                );
            }
        }
    }
    // Missing parents as 0755 directories.
    let keys: Vec<String> = out.keys().cloned().collect();
    for k in keys {
        let mut cur = k.as_str();
        while let Some((parent, _)) = cur.rsplit_once('/') {
            out.entry(parent.to_owned())
                .or_insert(Entry::Dir { mode: 0o755 });
            cur = parent;
        }
    }
    Ok(out)
}

/// Fails with `UnexpectedEof` when the file is shorter than announced in the tar header.
struct ExactReader<R> {
    inner: R,
    remaining: u64,
}

impl<R: Read> Read for ExactReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 {
            return Ok(0);
        }
        let max = usize::try_from(self.remaining.min(buf.len() as u64)).unwrap_or(buf.len());
        let n = self.inner.read(&mut buf[..max])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "file shrank while being added to the layer",
            ));
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

enum Sink {
    Plain(BufWriter<File>),
    Gzip(Box<GzEncoder<crate::digest::HashingWriter<BufWriter<File>>>>),
}

/// Tar bytes go through here: hashed for the diff_id, then (maybe) gzip, then the file.
struct LayerWriter {
    diff: Digester,
    sink: Sink,
}

impl Write for LayerWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = match &mut self.sink {
            Sink::Plain(w) => w.write(buf)?,
            Sink::Gzip(w) => w.write(buf)?,
        };
        self.diff.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Plain(w) => w.flush(),
            Sink::Gzip(w) => w.flush(),
        }
    }
}

impl LayerWriter {
    /// Returns (diff_id, digest, compressed size, uncompressed size).
    fn finish(self) -> io::Result<(Digest, Digest, u64, u64)> {
        let raw_len = self.diff.len();
        let diff_id = self.diff.finish();
        match self.sink {
            Sink::Plain(mut w) => {
                w.flush()?;
                Ok((diff_id.clone(), diff_id, raw_len, raw_len))
            }
            Sink::Gzip(gz) => {
                let hw = gz.finish()?;
                let (mut w, digest, len) = hw.finish();
                w.flush()?;
                Ok((diff_id, digest, len, raw_len))
            }
        }
    }
}

fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_size(size);
    h
}

fn write_entries<W: Write>(
    b: &mut tar::Builder<W>,
    entries: &BTreeMap<String, Entry>,
) -> Result<()> {
    for (path, e) in entries {
        let werr = |source| ImageError::Io {
            path: PathBuf::from(path),
            source,
        };
        match e {
            Entry::Dir { mode } => {
                let mut h = header(tar::EntryType::Directory, *mode, 0);
                b.append_data(&mut h, format!("{path}/"), io::empty())
                    .map_err(werr)?;
            }
            Entry::Symlink { target } => {
                let mut h = header(tar::EntryType::Symlink, 0o777, 0);
                b.append_link(&mut h, path, target).map_err(werr)?;
            }
            Entry::Bytes { data, mode } => {
                let mut h = header(tar::EntryType::Regular, *mode, data.len() as u64);
                b.append_data(&mut h, path, &data[..]).map_err(werr)?;
            }
            Entry::File { src, mode } => {
                let f = File::open(src).map_err(io_err(src))?;
                let size = f.metadata().map_err(io_err(src))?.len();
                let mut h = header(tar::EntryType::Regular, *mode, size);
                let reader = ExactReader {
                    inner: io::BufReader::with_capacity(256 * 1024, f),
                    remaining: size,
                };
                b.append_data(&mut h, path, reader).map_err(io_err(src))?;
            }
        }
    }
    Ok(())
}

/// What was written for one layer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LayerInfo {
    /// Digest of the blob (compressed bytes for gzip layers).
    pub digest: Digest,
    /// Digest of the uncompressed tar (the config's `rootfs.diff_ids`).
    pub diff_id: Digest,
    /// Blob size.
    pub size: u64,
    /// Uncompressed tar size.
    pub uncompressed_size: u64,
    /// The layer's media type.
    pub media_type: String,
}

/// The result of [`ImageBuilder::build`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BuiltImage {
    /// The layout directory.
    pub layout_dir: PathBuf,
    /// Manifest digest (what `skopeo inspect` reports as `Digest`).
    pub manifest_digest: Digest,
    /// Manifest size.
    pub manifest_size: u64,
    /// Config blob digest (the image ID).
    pub config_digest: Digest,
    /// Config size.
    pub config_size: u64,
    /// The layers, bottom first.
    pub layers: Vec<LayerInfo>,
    /// The `org.opencontainers.image.ref.name` written to `index.json`, if any.
    pub ref_name: Option<String>,
}

/// Builds an OCI image layout. Consuming builder; everything is checked in [`build`](Self::build).
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct ImageBuilder {
    config: ImageConfig,
    layers: Vec<Layer>,
    ref_name: Option<String>,
    annotations: BTreeMap<String, String>,
}

impl ImageBuilder {
    /// A builder with an empty config and no layers.
    pub fn new() -> Self {
        Self::default()
    }
    /// Replaces the whole config.
    pub fn config(mut self, config: ImageConfig) -> Self {
        self.config = config;
        self
    }
    /// Changes the config in place.
    pub fn with_config(mut self, f: impl FnOnce(ImageConfig) -> ImageConfig) -> Self {
        self.config = f(self.config);
        self
    }
    /// Appends a layer (bottom first).
    pub fn layer(mut self, layer: Layer) -> Self {
        self.layers.push(layer);
        self
    }
    /// Sets the `org.opencontainers.image.ref.name` annotation of the `index.json` entry
    /// (e.g. `latest`, or a full reference); an entry with the same name is replaced.
    pub fn ref_name(mut self, name: impl Into<String>) -> Self {
        self.ref_name = Some(name.into());
        self
    }
    /// Adds a manifest annotation.
    pub fn annotation(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.annotations.insert(key.into(), value.into());
        self
    }

    /// Writes the image into the layout directory `dir` (created if missing; an existing
    /// layout keeps its other images). Layers are streamed to disk while hashed.
    ///
    /// # Errors
    /// Unreadable sources, invalid paths, unsupported file types, I/O errors. Nothing is left
    /// half written: blobs are renamed into place once complete, `index.json` last.
    pub fn build(self, dir: impl AsRef<Path>) -> Result<BuiltImage> {
        let layout = OciLayout::create(dir.as_ref())?;
        let mut infos = Vec::with_capacity(self.layers.len());
        for layer in &self.layers {
            infos.push(write_layer(&layout, layer)?);
        }
        let diff_ids: Vec<Digest> = infos.iter().map(|l| l.diff_id.clone()).collect();
        let config_bytes =
            serde_json::to_vec(&self.config.to_json(&diff_ids)).map_err(|source| {
                ImageError::Json {
                    what: "image config".into(),
                    source,
                }
            })?;
        let config_digest = layout.write_blob_bytes(&config_bytes)?;
        let layers_json: Vec<Value> = infos
            .iter()
            .map(
                |l| json!({"mediaType": l.media_type, "digest": l.digest.as_str(), "size": l.size}),
            )
            .collect();
        let mut manifest = Map::new();
        manifest.insert("schemaVersion".into(), json!(2));
        manifest.insert("mediaType".into(), json!(media_types::OCI_MANIFEST));
        manifest.insert(
            "config".into(),
            json!({"mediaType": media_types::OCI_CONFIG, "digest": config_digest.as_str(), "size": config_bytes.len()}),
        );
        manifest.insert("layers".into(), Value::Array(layers_json));
        if !self.annotations.is_empty() {
            manifest.insert("annotations".into(), json!(self.annotations));
        }
        let manifest_bytes =
            serde_json::to_vec(&Value::Object(manifest)).map_err(|source| ImageError::Json {
                what: "image manifest".into(),
                source,
            })?;
        let manifest_digest = layout.put_manifest(
            &manifest_bytes,
            media_types::OCI_MANIFEST,
            self.ref_name.as_deref(),
        )?;
        Ok(BuiltImage {
            layout_dir: layout.dir().to_owned(),
            manifest_digest,
            manifest_size: manifest_bytes.len() as u64,
            config_digest,
            config_size: config_bytes.len() as u64,
            layers: infos,
            ref_name: self.ref_name,
        })
    }
}

fn write_layer(layout: &OciLayout, layer: &Layer) -> Result<LayerInfo> {
    let tmp = TempFile::new(&layout.blobs_dir());
    let file = File::create(tmp.path()).map_err(io_err(tmp.path()))?;
    let buffered = BufWriter::with_capacity(1024 * 1024, file);
    let sink = match layer.compression {
        Compression::None => Sink::Plain(buffered),
        Compression::Gzip => Sink::Gzip(Box::new(GzEncoder::new(
            crate::digest::HashingWriter::new(buffered),
            flate2::Compression::default(),
        ))),
    };
    let mut writer = LayerWriter {
        diff: Digester::sha256(),
        sink,
    };
    if let Some(src) = &layer.tar {
        copy_tar(src, &mut writer)?;
    } else {
        let entries = collect(&layer.pending)?;
        let mut b = tar::Builder::new(&mut writer);
        b.mode(tar::HeaderMode::Deterministic);
        write_entries(&mut b, &entries)?;
        b.finish().map_err(io_err(tmp.path()))?;
    }
    let (diff_id, digest, size, uncompressed_size) = writer.finish().map_err(io_err(tmp.path()))?;
    let dest = layout.blob_path(&digest);
    tmp.persist(&dest).map_err(io_err(&dest))?;
    let media_type = match layer.compression {
        Compression::None => media_types::OCI_LAYER,
        Compression::Gzip => media_types::OCI_LAYER_GZIP,
    };
    Ok(LayerInfo {
        digest,
        diff_id,
        size,
        uncompressed_size,
        media_type: media_type.to_owned(),
    })
}

/// Copies an existing tar (plain or gzip) into the layer writer as uncompressed tar bytes.
fn copy_tar(src: &Path, w: &mut LayerWriter) -> Result<()> {
    let mut f = io::BufReader::with_capacity(256 * 1024, File::open(src).map_err(io_err(src))?);
    let head = io::BufRead::fill_buf(&mut f).map_err(io_err(src))?;
    let gz = head.starts_with(&[0x1f, 0x8b]);
    if gz {
        let mut d = flate2::bufread::MultiGzDecoder::new(f);
        crate::digest::copy_large(&mut d, w).map_err(io_err(src))?;
    } else {
        crate::digest::copy_large(&mut f, w).map_err(io_err(src))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_dest_rules() {
        assert_eq!(clean_dest("/bin//busybox").unwrap(), "bin/busybox");
        assert_eq!(clean_dest("./etc/./passwd").unwrap(), "etc/passwd");
        assert!(matches!(
            clean_dest("../etc"),
            Err(ImageError::InvalidPath { .. })
        ));
        assert!(matches!(
            clean_dest("/"),
            Err(ImageError::InvalidPath { .. })
        ));
        assert!(matches!(
            clean_dest(""),
            Err(ImageError::InvalidPath { .. })
        ));
    }

    #[test]
    fn env_replaces_and_ports_default_tcp() {
        let c = ImageConfig::new()
            .env("A", "1")
            .env("B", "2")
            .env("A", "3")
            .expose("80")
            .expose("53/udp")
            .expose("80/tcp");
        assert_eq!(c.env, vec!["B=2", "A=3"]);
        assert_eq!(c.exposed_ports, vec!["80/tcp", "53/udp"]);
    }
}
