//! The local-image model shared by the builder and the readers: errors, where a blob lives,
//! the manifest documents as read.

use crate::digest::{Digest, DigestError, DigestMismatch};
use crate::manifests::RawManifest;
use sdk_grammar::media_types;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::PathBuf;

/// The OCI annotation holding an image's name in an image layout's `index.json`.
pub const REF_NAME_ANNOTATION: &str = "org.opencontainers.image.ref.name";

/// Errors of building and reading local images.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// Reading or writing a file failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A path inside the image is not acceptable (empty, `..`).
    #[error("invalid path in image: {path:?}: {reason}")]
    InvalidPath {
        /// The path as given.
        path: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A file type that layers cannot hold (socket, device, fifo).
    #[error("unsupported file type: {0}")]
    UnsupportedFileType(PathBuf),
    /// A JSON document (manifest, config, index) is malformed.
    #[error("invalid JSON in {what}: {source}")]
    Json {
        /// Which document.
        what: String,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// The directory or archive is not a valid image layout / docker save archive.
    #[error("invalid image layout: {0}")]
    InvalidLayout(String),
    /// No image matches the requested name.
    #[error("image not found: {0}")]
    NotFound(String),
    /// Several images are present and none was named.
    #[error("{count} images present, name one of: {names}")]
    Ambiguous {
        /// How many images there are.
        count: usize,
        /// Their names, comma separated.
        names: String,
    },
    /// A blob's content does not match its digest.
    #[error(transparent)]
    DigestMismatch(#[from] DigestMismatch),
    /// A blob's size does not match its descriptor.
    #[error("size mismatch for {digest}: expected {expected} bytes, found {actual}")]
    SizeMismatch {
        /// The blob.
        digest: Digest,
        /// Size in the descriptor.
        expected: u64,
        /// Size found.
        actual: u64,
    },
    /// A digest string is malformed.
    #[error("invalid digest {value:?}: {source}")]
    InvalidDigest {
        /// The string.
        value: String,
        /// Why.
        #[source]
        source: DigestError,
    },
    /// `ldd` output named a library that was not found, or `ldd` failed.
    #[error("ldd: {0}")]
    Ldd(String),
}

/// Result alias of this module.
pub type Result<T, E = ImageError> = std::result::Result<T, E>;

// Here, not in `error`: an error type does not import the module whose errors it wraps.
impl From<ImageError> for crate::error::Error {
    fn from(e: ImageError) -> Self {
        Self::Image(Box::new(e))
    }
}

pub(crate) fn io_err(path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> ImageError {
    let path = path.into();
    move |source| ImageError::Io { path, source }
}

/// Where a blob lives on disk: a region of a file (a whole blob file in a layout, or an entry
/// inside a `docker save` tar).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BlobLocation {
    /// The blob's digest.
    pub digest: Digest,
    /// The blob's size in bytes.
    pub size: u64,
    /// The media type of the descriptor that references it.
    pub media_type: String,
    /// The file holding it.
    pub path: PathBuf,
    /// Offset of the first byte in `path`.
    pub offset: u64,
}

impl BlobLocation {
    /// A blob stored at `offset..offset+size` of `path`.
    #[must_use]
    pub fn new(
        digest: Digest,
        size: u64,
        media_type: impl Into<String>,
        path: impl Into<PathBuf>,
        offset: u64,
    ) -> Self {
        Self {
            digest,
            size,
            media_type: media_type.into(),
            path: path.into(),
            offset,
        }
    }

    /// Opens the blob for streaming: a reader of exactly `size` bytes.
    ///
    /// # Errors
    /// When the file cannot be opened or seeked.
    pub fn open(&self) -> Result<io::Take<File>> {
        let mut f = File::open(&self.path).map_err(io_err(&self.path))?;
        if self.offset > 0 {
            f.seek(SeekFrom::Start(self.offset))
                .map_err(io_err(&self.path))?;
        }
        Ok(f.take(self.size))
    }

    /// Reads the whole blob, refusing blobs over `max` bytes, and verifies its digest.
    ///
    /// # Errors
    /// I/O errors, [`ImageError::SizeMismatch`] when over `max` or short,
    /// [`ImageError::DigestMismatch`].
    pub fn read_verified(&self, max: u64) -> Result<Vec<u8>> {
        if self.size > max {
            return Err(ImageError::SizeMismatch {
                digest: self.digest.clone(),
                expected: max,
                actual: self.size,
            });
        }
        let mut buf = Vec::with_capacity(usize::try_from(self.size).unwrap_or(0));
        self.open()?
            .read_to_end(&mut buf)
            .map_err(io_err(&self.path))?;
        if buf.len() as u64 != self.size {
            return Err(ImageError::SizeMismatch {
                digest: self.digest.clone(),
                expected: self.size,
                actual: buf.len() as u64,
            });
        }
        let mut v = self.digest.verifier();
        v.update(&buf);
        v.verify()?;
        Ok(buf)
    }

    /// Hashes the blob from disk and checks digest and size.
    ///
    /// # Errors
    /// I/O errors, [`ImageError::SizeMismatch`], [`ImageError::DigestMismatch`].
    pub fn verify(&self) -> Result<()> {
        let mut v = self.digest.verifier();
        let n = crate::digest::copy_large(&mut self.open()?, &mut v).map_err(io_err(&self.path))?;
        if n != self.size {
            return Err(ImageError::SizeMismatch {
                digest: self.digest.clone(),
                expected: self.size,
                actual: n,
            });
        }
        v.verify()?;
        Ok(())
    }
}

/// An image ready to push: raw manifest, config blob and layer blobs on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LocalImage {
    /// The manifest bytes to PUT.
    pub manifest: RawManifest,
    /// The config blob.
    pub config: BlobLocation,
    /// The layer blobs, in manifest order.
    pub layers: Vec<BlobLocation>,
}

impl LocalImage {
    /// All blobs the manifest references: layers first, then the config (the order a push
    /// uploads them in).
    pub fn blobs(&self) -> impl Iterator<Item = &BlobLocation> {
        self.layers.iter().chain(std::iter::once(&self.config))
    }

    /// Total size of all blobs.
    #[must_use]
    pub fn total_size(&self) -> u64 {
        self.blobs().map(|b| b.size).sum()
    }
}

/// Everything a name in an image layout stands for, as a push needs it: one image, or an index
/// (manifest list) together with each image it lists.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LocalArtifact {
    /// A single image manifest with its blobs.
    Image(LocalImage),
    /// An index and its images, in index order.
    Index {
        /// The index bytes to PUT (after the images, which are PUT by digest).
        manifest: RawManifest,
        /// The images the index lists.
        images: Vec<LocalImage>,
    },
}

impl LocalArtifact {
    /// The top manifest: the image's, or the index.
    #[must_use]
    pub fn manifest(&self) -> &RawManifest {
        match self {
            Self::Image(i) => &i.manifest,
            Self::Index { manifest, .. } => manifest,
        }
    }

    /// The images: one, or each one the index lists.
    #[must_use]
    pub fn images(&self) -> &[LocalImage] {
        match self {
            Self::Image(i) => std::slice::from_ref(i),
            Self::Index { images, .. } => images,
        }
    }

    /// Every blob of every image, each digest once.
    #[must_use]
    pub fn blobs(&self) -> Vec<&BlobLocation> {
        let mut out: Vec<&BlobLocation> = Vec::new();
        for b in self.images().iter().flat_map(LocalImage::blobs) {
            if !out.iter().any(|x| x.digest == b.digest) {
                out.push(b);
            }
        }
        out
    }
}

/// Platform of the running host in OCI terms (`amd64`, `arm64`, …).
pub(crate) fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

pub(crate) fn parse_digest(value: &str) -> Result<Digest> {
    value.parse().map_err(|source| ImageError::InvalidDigest {
        value: value.to_owned(),
        source,
    })
}

/// Minimal descriptor as found in manifests and indexes (deserialisation only).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DescDoc {
    #[serde(default)]
    pub(crate) media_type: String,
    pub(crate) digest: String,
    pub(crate) size: u64,
    #[serde(default)]
    pub(crate) annotations: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) platform: Option<PlatformDoc>,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub(crate) struct PlatformDoc {
    #[serde(default)]
    pub(crate) os: String,
    #[serde(default)]
    pub(crate) architecture: String,
}

/// Minimal manifest / index document (deserialisation only).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ManifestDoc {
    #[serde(default)]
    pub(crate) media_type: Option<String>,
    #[serde(default)]
    pub(crate) config: Option<DescDoc>,
    #[serde(default)]
    pub(crate) layers: Vec<DescDoc>,
    #[serde(default)]
    pub(crate) manifests: Vec<DescDoc>,
}

impl ManifestDoc {
    pub(crate) fn parse(bytes: &[u8], what: &str) -> Result<Self> {
        serde_json::from_slice(bytes).map_err(|source| ImageError::Json {
            what: what.to_owned(),
            source,
        })
    }

    /// Media type from the document, falling back to what its shape says.
    pub(crate) fn effective_media_type(&self, fallback: &str) -> String {
        if let Some(m) = &self.media_type {
            return m.clone();
        }
        if !fallback.is_empty() {
            return fallback.to_owned();
        }
        if self.manifests.is_empty() {
            media_types::OCI_MANIFEST.to_owned()
        } else {
            media_types::OCI_INDEX.to_owned()
        }
    }
}

/// Picks a manifest from an index: the host's platform (linux), else the only entry.
pub(crate) fn pick_platform<'a>(manifests: &'a [DescDoc], what: &str) -> Result<&'a DescDoc> {
    let arch = host_arch();
    if let Some(d) = manifests.iter().find(|d| {
        d.platform
            .as_ref()
            .is_some_and(|p| p.os == "linux" && p.architecture == arch)
    }) {
        return Ok(d);
    }
    match manifests {
        [one] => Ok(one),
        [] => Err(ImageError::NotFound(format!("{what}: empty index"))),
        _ => Err(ImageError::NotFound(format!(
            "{what}: no manifest for linux/{arch} in the index"
        ))),
    }
}
