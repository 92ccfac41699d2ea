//! Reading and writing OCI image layout directories.

use super::{
    BlobLocation, DescDoc, ImageError, LocalArtifact, LocalImage, ManifestDoc, REF_NAME_ANNOTATION,
    RawManifest, Result, io_err, media_types, parse_digest, pick_platform,
};
use crate::digest::{Digest, HashingWriter};
use crate::temp_file::TempFile;
use serde_json::{Value, json};
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// Largest manifest / index / config read into memory from a layout.
const MAX_JSON_BLOB: u64 = 16 * 1024 * 1024;

/// An OCI image layout directory (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`).
///
/// Updates of `index.json` are atomic (temp file + rename) but not synchronised between
/// concurrent writers: write manifests of one layout from one task at a time.
#[derive(Debug, Clone)]
pub struct OciLayout {
    dir: PathBuf,
}

impl OciLayout {
    /// Opens an existing layout: checks `oci-layout` and that `index.json` parses.
    ///
    /// # Errors
    /// [`ImageError::InvalidLayout`] or I/O errors.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref().to_owned();
        let marker = dir.join("oci-layout");
        let bytes = fs::read(&marker).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                ImageError::InvalidLayout(format!(
                    "{} has no oci-layout file: not an OCI image layout",
                    dir.display()
                ))
            } else {
                ImageError::Io {
                    path: marker.clone(),
                    source: e,
                }
            }
        })?;
        let v: Value = serde_json::from_slice(&bytes).map_err(|source| ImageError::Json {
            what: marker.display().to_string(),
            source,
        })?;
        if v.get("imageLayoutVersion")
            .and_then(Value::as_str)
            .is_none()
        {
            return Err(ImageError::InvalidLayout(format!(
                "{} lacks imageLayoutVersion",
                marker.display()
            )));
        }
        let layout = Self { dir };
        layout.read_index()?;
        Ok(layout)
    }

    /// Opens the layout at `dir`, creating the directory, `oci-layout`, `blobs/sha256` and an
    /// empty `index.json` as needed.
    ///
    /// # Errors
    /// I/O errors, or an existing but invalid layout.
    pub fn create(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref().to_owned();
        let blobs = dir.join("blobs").join("sha256");
        fs::create_dir_all(&blobs).map_err(io_err(&blobs))?;
        let marker = dir.join("oci-layout");
        if !marker.exists() {
            write_atomic(&dir, &marker, br#"{"imageLayoutVersion":"1.0.0"}"#)?;
        }
        let index = dir.join("index.json");
        if !index.exists() {
            let empty =
                json!({"schemaVersion": 2, "mediaType": media_types::OCI_INDEX, "manifests": []});
            write_atomic(&dir, &index, empty.to_string().as_bytes())?;
        }
        Self::open(dir)
    }

    /// The layout directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn blobs_dir(&self) -> PathBuf {
        self.dir.join("blobs").join("sha256")
    }

    /// Where a blob with `digest` is (or would be) stored.
    #[must_use]
    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.dir
            .join("blobs")
            .join(digest.algorithm().as_str())
            .join(digest.hex())
    }

    /// True when the blob file exists.
    #[must_use]
    pub fn has_blob(&self, digest: &Digest) -> bool {
        self.blob_path(digest).is_file()
    }

    /// The blob's location (size from the file system; content not re-hashed).
    ///
    /// # Errors
    /// [`ImageError::NotFound`] when missing.
    pub fn blob(&self, digest: &Digest, media_type: &str) -> Result<BlobLocation> {
        let path = self.blob_path(digest);
        let meta = fs::metadata(&path).map_err(|_| {
            ImageError::NotFound(format!("blob {digest} in {}", self.dir.display()))
        })?;
        Ok(BlobLocation::new(
            digest.clone(),
            meta.len(),
            media_type,
            path,
            0,
        ))
    }

    /// The raw bytes of `index.json`.
    ///
    /// # Errors
    /// I/O errors.
    pub fn index_bytes(&self) -> Result<Vec<u8>> {
        let p = self.dir.join("index.json");
        fs::read(&p).map_err(io_err(p))
    }

    /// `index.json` parsed with oci-spec.
    ///
    /// # Errors
    /// I/O or JSON errors.
    pub fn index(&self) -> Result<oci_spec::image::ImageIndex> {
        serde_json::from_slice(&self.index_bytes()?).map_err(|source| ImageError::Json {
            what: "index.json".into(),
            source,
        })
    }

    fn read_index(&self) -> Result<ManifestDoc> {
        ManifestDoc::parse(&self.index_bytes()?, "index.json")
    }

    /// The `org.opencontainers.image.ref.name` values of `index.json`, in order.
    ///
    /// # Errors
    /// I/O or JSON errors.
    pub fn ref_names(&self) -> Result<Vec<String>> {
        Ok(self
            .read_index()?
            .manifests
            .iter()
            .filter_map(|d| d.annotations.get(REF_NAME_ANNOTATION).cloned())
            .collect())
    }

    /// Resolves `ref_name` (or, with `None`, the only entry) to an image: reads the manifest
    /// (descending into an index for the host's platform) and locates config and layers.
    ///
    /// # Errors
    /// [`ImageError::NotFound`], [`ImageError::Ambiguous`], missing blobs, digest mismatches
    /// of the manifest bytes, JSON errors.
    pub fn image(&self, ref_name: Option<&str>) -> Result<LocalImage> {
        let desc = self.select(ref_name)?;
        self.image_from_descriptor(&desc, 0)
    }

    /// Resolves `ref_name` (or, with `None`, the only entry) to what a push sends: an image, or
    /// an index with every image it lists (no platform is picked).
    ///
    /// # Errors
    /// As [`OciLayout::image`]; [`ImageError::InvalidLayout`] for an index inside an index.
    pub fn artifact(&self, ref_name: Option<&str>) -> Result<LocalArtifact> {
        let desc = self.select(ref_name)?;
        let (bytes, doc, media_type, is_index) = self.read_manifest(&desc)?;
        if !is_index {
            return self
                .image_from_doc(&desc, bytes, &doc, media_type)
                .map(LocalArtifact::Image);
        }
        let mut images = Vec::with_capacity(doc.manifests.len());
        for child in &doc.manifests {
            let (child_bytes, child_doc, child_type, nested) = self.read_manifest(child)?;
            if nested {
                return Err(ImageError::InvalidLayout(format!(
                    "index {} lists another index ({}); nested indexes are not supported",
                    desc.digest, child.digest
                )));
            }
            images.push(self.image_from_doc(child, child_bytes, &child_doc, child_type)?);
        }
        Ok(LocalArtifact::Index {
            manifest: RawManifest::new(bytes, media_type),
            images,
        })
    }

    /// The `index.json` entry named `ref_name`, or with `None` the only one.
    fn select(&self, ref_name: Option<&str>) -> Result<DescDoc> {
        let index = self.read_index()?;
        let desc = match ref_name {
            Some(name) => index
                .manifests
                .iter()
                .find(|d| d.annotations.get(REF_NAME_ANNOTATION).map(String::as_str) == Some(name))
                .ok_or_else(|| ImageError::NotFound(format!("{name} in {}", self.dir.display())))?,
            None => match index.manifests.as_slice() {
                [one] => one,
                [] => {
                    return Err(ImageError::NotFound(format!(
                        "no image in {}",
                        self.dir.display()
                    )));
                }
                many => {
                    return Err(ImageError::Ambiguous {
                        count: many.len(),
                        names: many
                            .iter()
                            .map(|d| {
                                d.annotations
                                    .get(REF_NAME_ANNOTATION)
                                    .cloned()
                                    .unwrap_or_else(|| d.digest.clone())
                            })
                            .collect::<Vec<_>>()
                            .join(", "),
                    });
                }
            },
        };
        Ok(desc.clone())
    }

    fn read_json_blob(&self, desc: &DescDoc) -> Result<(Digest, Vec<u8>)> {
        let digest = parse_digest(&desc.digest)?;
        let loc = self.blob(&digest, &desc.media_type)?;
        if loc.size != desc.size {
            return Err(ImageError::SizeMismatch {
                digest,
                expected: desc.size,
                actual: loc.size,
            });
        }
        Ok((digest, loc.read_verified(MAX_JSON_BLOB)?))
    }

    /// Reads a manifest blob: its bytes, the parsed document, its media type and whether it is
    /// an index.
    fn read_manifest(&self, desc: &DescDoc) -> Result<(Vec<u8>, ManifestDoc, String, bool)> {
        let (_, bytes) = self.read_json_blob(desc)?;
        let doc = ManifestDoc::parse(&bytes, &format!("manifest {}", desc.digest))?;
        let media_type = doc.effective_media_type(&desc.media_type);
        let is_index = media_types::is_index(&media_type) || !doc.manifests.is_empty();
        Ok((bytes, doc, media_type, is_index))
    }

    fn image_from_descriptor(&self, desc: &DescDoc, depth: u8) -> Result<LocalImage> {
        let (bytes, doc, media_type, is_index) = self.read_manifest(desc)?;
        if is_index {
            if depth > 2 {
                return Err(ImageError::InvalidLayout("indexes nested too deep".into()));
            }
            let inner = pick_platform(&doc.manifests, &desc.digest)?.clone();
            return self.image_from_descriptor(&inner, depth + 1);
        }
        self.image_from_doc(desc, bytes, &doc, media_type)
    }

    fn image_from_doc(
        &self,
        desc: &DescDoc,
        bytes: Vec<u8>,
        doc: &ManifestDoc,
        media_type: String,
    ) -> Result<LocalImage> {
        let config = doc.config.as_ref().ok_or_else(|| {
            ImageError::InvalidLayout(format!("manifest {} has no config", desc.digest))
        })?;
        let config = self.checked_blob(config)?;
        let layers = doc
            .layers
            .iter()
            .map(|l| self.checked_blob(l))
            .collect::<Result<Vec<_>>>()?;
        Ok(LocalImage {
            manifest: RawManifest::new(bytes, media_type),
            config,
            layers,
        })
    }

    fn checked_blob(&self, d: &DescDoc) -> Result<BlobLocation> {
        let digest = parse_digest(&d.digest)?;
        let loc = self.blob(&digest, &d.media_type)?;
        if loc.size != d.size {
            return Err(ImageError::SizeMismatch {
                digest,
                expected: d.size,
                actual: loc.size,
            });
        }
        Ok(loc)
    }

    /// Starts writing a blob of unknown digest; see [`BlobWriter::commit`].
    ///
    /// # Errors
    /// I/O errors creating the temp file.
    pub fn blob_writer(&self) -> Result<BlobWriter> {
        let tmp = TempFile::new(&self.blobs_dir());
        let f = File::create(tmp.path()).map_err(io_err(tmp.path()))?;
        Ok(BlobWriter {
            layout: self.clone(),
            writer: Some(HashingWriter::new(BufWriter::with_capacity(1024 * 1024, f))),
            tmp: Some(tmp),
        })
    }

    /// Streams `reader` into the blob store, verifying it hashes to `expected`; nothing is
    /// stored on mismatch.
    ///
    /// # Errors
    /// I/O errors, [`ImageError::DigestMismatch`].
    pub fn write_blob_streaming<R: Read>(
        &self,
        expected: &Digest,
        mut reader: R,
    ) -> Result<BlobLocation> {
        let mut w = self.blob_writer()?;
        crate::digest::copy_large(&mut reader, &mut w).map_err(io_err(self.blobs_dir()))?;
        w.commit(expected)
    }

    /// Stores `bytes` as a blob and returns its digest. An existing file is kept only when it
    /// holds exactly these bytes (a corrupted one is replaced).
    ///
    /// # Errors
    /// I/O errors.
    pub fn write_blob_bytes(&self, bytes: &[u8]) -> Result<Digest> {
        let digest = Digest::sha256_of(bytes);
        let dest = self.blob_path(&digest);
        let intact = std::fs::metadata(&dest)
            .is_ok_and(|m| m.is_file() && m.len() == bytes.len() as u64)
            && std::fs::read(&dest).is_ok_and(|have| have == bytes);
        if !intact {
            write_atomic(&self.blobs_dir(), &dest, bytes)?;
        }
        Ok(digest)
    }

    /// Stores a manifest (or index) blob and records it in `index.json`, replacing an entry
    /// with the same `ref_name` (without a name, an entry with the same digest).
    ///
    /// # Errors
    /// I/O or JSON errors.
    pub fn put_manifest(
        &self,
        bytes: &[u8],
        media_type: &str,
        ref_name: Option<&str>,
    ) -> Result<Digest> {
        let digest = self.write_blob_bytes(bytes)?;
        let index_path = self.dir.join("index.json");
        let mut index: Value =
            serde_json::from_slice(&self.index_bytes()?).map_err(|source| ImageError::Json {
                what: "index.json".into(),
                source,
            })?;
        let obj = index
            .as_object_mut()
            .ok_or_else(|| ImageError::InvalidLayout("index.json is not an object".into()))?;
        let manifests = obj
            .entry("manifests")
            .or_insert_with(|| Value::Array(Vec::new()));
        let list = manifests.as_array_mut().ok_or_else(|| {
            ImageError::InvalidLayout("index.json manifests is not a list".into())
        })?;
        list.retain(|m| match ref_name {
            Some(name) => {
                m.pointer("/annotations/org.opencontainers.image.ref.name")
                    .and_then(Value::as_str)
                    != Some(name)
            }
            None => {
                m.get("digest").and_then(Value::as_str) != Some(digest.as_str())
                    || m.get("annotations").is_some()
            }
        });
        let mut desc =
            json!({"mediaType": media_type, "digest": digest.as_str(), "size": bytes.len()});
        if let Some(name) = ref_name {
            desc["annotations"] = json!({ REF_NAME_ANNOTATION: name });
        }
        list.push(desc);
        let out = serde_json::to_vec(&index).map_err(|source| ImageError::Json {
            what: "index.json".into(),
            source,
        })?;
        write_atomic(&self.dir, &index_path, &out)?;
        Ok(digest)
    }
}

impl OciLayout {
    /// Renames a finished temp blob into place under `digest`, after checking it equals
    /// `expected` (on mismatch the temp file is removed).
    fn store_temp(
        &self,
        tmp: TempFile,
        digest: Digest,
        len: u64,
        expected: Option<&Digest>,
    ) -> Result<BlobLocation> {
        if let Some(expected) = expected
            && &digest != expected
        {
            return Err(ImageError::DigestMismatch(crate::digest::DigestMismatch {
                expected: expected.clone(),
                actual: digest,
                len,
            }));
        }
        let dest = self.blob_path(&digest);
        tmp.persist(&dest).map_err(io_err(&dest))?;
        Ok(BlobLocation::new(digest, len, "", dest, 0))
    }
}

fn write_atomic(dir: &Path, dest: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = TempFile::new(dir);
    fs::write(tmp.path(), bytes).map_err(io_err(tmp.path()))?;
    tmp.persist(dest).map_err(io_err(dest))
}

/// Writes one blob into a layout while hashing it; [`commit`](Self::commit) renames it into
/// place once the digest is checked. Dropping it without commit removes the temp file.
#[derive(Debug)]
pub struct BlobWriter {
    layout: OciLayout,
    writer: Option<HashingWriter<BufWriter<File>>>,
    tmp: Option<TempFile>,
}

impl BlobWriter {
    /// Bytes written so far.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.writer.as_ref().map_or(0, HashingWriter::len)
    }

    /// True when nothing was written yet.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn finish(&mut self) -> Result<(Digest, u64, TempFile)> {
        let (Some(w), Some(tmp)) = (self.writer.take(), self.tmp.take()) else {
            return Err(ImageError::InvalidLayout(
                "blob writer already finished".into(),
            ));
        };
        let (mut inner, digest, len) = w.finish();
        inner.flush().map_err(io_err(tmp.path()))?;
        Ok((digest, len, tmp))
    }

    /// Checks the bytes against `expected` and stores the blob.
    ///
    /// # Errors
    /// [`ImageError::DigestMismatch`] (the temp file is removed), I/O errors.
    pub fn commit(mut self, expected: &Digest) -> Result<BlobLocation> {
        let (digest, len, tmp) = self.finish()?;
        self.layout.store_temp(tmp, digest, len, Some(expected))
    }

    /// Stores the blob under the digest of what was written.
    ///
    /// # Errors
    /// I/O errors.
    pub fn commit_unverified(mut self) -> Result<BlobLocation> {
        let (digest, len, tmp) = self.finish()?;
        self.layout.store_temp(tmp, digest, len, None)
    }
}

impl Write for BlobWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.writer {
            Some(w) => w.write(buf),
            None => Err(io::Error::other("blob writer already finished")),
        }
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.writer {
            Some(w) => w.write_all(buf),
            None => Err(io::Error::other("blob writer already finished")),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match &mut self.writer {
            Some(w) => w.flush(),
            None => Ok(()),
        }
    }
}

impl OciLayout {
    /// Starts writing a blob from async code (e.g. a pull streaming an HTTP body); see
    /// [`AsyncBlobWriter::commit`].
    ///
    /// # Errors
    /// I/O errors creating the temp file.
    pub async fn async_blob_writer(&self) -> Result<AsyncBlobWriter> {
        let tmp = TempFile::new(&self.blobs_dir());
        let f = tokio::fs::File::create(tmp.path())
            .await
            .map_err(io_err(tmp.path()))?;
        Ok(AsyncBlobWriter {
            layout: self.clone(),
            file: Some(tokio::io::BufWriter::with_capacity(1024 * 1024, f)),
            digester: Some(crate::digest::Digester::sha256()),
            tmp: Some(tmp),
        })
    }
}

/// The async counterpart of [`BlobWriter`]: [`write`](Self::write) chunks, then
/// [`commit`](Self::commit) checks the digest and renames the blob into place. Dropping it
/// without commit removes the temp file.
#[derive(Debug)]
pub struct AsyncBlobWriter {
    layout: OciLayout,
    file: Option<tokio::io::BufWriter<tokio::fs::File>>,
    digester: Option<crate::digest::Digester>,
    tmp: Option<TempFile>,
}

impl AsyncBlobWriter {
    /// Appends a chunk.
    ///
    /// # Errors
    /// I/O errors, or the writer was already committed.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        use tokio::io::AsyncWriteExt;
        let (Some(f), Some(d), Some(tmp)) = (&mut self.file, &mut self.digester, &self.tmp) else {
            return Err(ImageError::InvalidLayout(
                "blob writer already finished".into(),
            ));
        };
        f.write_all(chunk).await.map_err(io_err(tmp.path()))?;
        d.update(chunk);
        Ok(())
    }

    /// Bytes written so far.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.digester
            .as_ref()
            .map_or(0, crate::digest::Digester::len)
    }

    /// True when nothing was written yet.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks the bytes against `expected` and stores the blob.
    ///
    /// # Errors
    /// [`ImageError::DigestMismatch`] (the temp file is removed), I/O errors.
    pub async fn commit(mut self, expected: &Digest) -> Result<BlobLocation> {
        use tokio::io::AsyncWriteExt;
        let (Some(mut f), Some(d), Some(tmp)) =
            (self.file.take(), self.digester.take(), self.tmp.take())
        else {
            return Err(ImageError::InvalidLayout(
                "blob writer already finished".into(),
            ));
        };
        f.flush().await.map_err(io_err(tmp.path()))?;
        drop(f);
        let len = d.len();
        self.layout.store_temp(tmp, d.finish(), len, Some(expected))
    }
}
