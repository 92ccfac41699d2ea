//! Reading `docker save` archives (the classic layout and the OCI layout docker ≥ 25 adds).

use super::tar_stream::normalise;
use super::{
    BlobLocation, ImageError, LocalImage, ManifestDoc, RawManifest, Result, io_err, media_types,
    parse_digest, pick_platform,
};
use crate::digest::Digest;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

const MAX_JSON: u64 = 16 * 1024 * 1024;

#[derive(Debug, Clone)]
enum Member {
    File { offset: u64, size: u64 },
    Link(String),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct SaveEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

/// A `docker save` (or `skopeo copy … docker-archive:`) tar file, read in place: blobs are
/// located as byte ranges of the tar, never extracted.
///
/// With an `index.json` + `blobs/sha256` inside (docker ≥ 25), the stored OCI manifest is used
/// as is (same digests as in docker). Otherwise (classic `manifest.json` layout) an OCI manifest
/// is generated: config digest = SHA-256 of the config file, layer digests computed by hashing
/// each layer tar (uncompressed layers get `application/vnd.oci.image.layer.v1.tar`).
#[derive(Debug, Clone)]
pub struct DockerArchive {
    path: PathBuf,
    members: HashMap<String, Member>,
    entries: Vec<SaveEntry>,
}

/// Reads a `docker save` archive's `manifest.json`: one entry per image (`Config`,
/// `RepoTags`, `Layers`), at least one.
pub(crate) fn parse_save_manifest(bytes: &[u8]) -> Result<Vec<SaveEntry>> {
    let entries: Vec<SaveEntry> =
        serde_json::from_slice(bytes).map_err(|source| ImageError::Json {
            what: "manifest.json".into(),
            source,
        })?;
    if entries.is_empty() {
        return Err(ImageError::InvalidLayout(
            "manifest.json lists no image".into(),
        ));
    }
    Ok(entries)
}

impl DockerArchive {
    /// Indexes the archive's members and reads `manifest.json`.
    ///
    /// # Errors
    /// I/O errors, a compressed archive, a missing or malformed `manifest.json`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_owned();
        let mut f = File::open(&path).map_err(io_err(&path))?;
        let mut magic = [0u8; 2];
        let n = f.read(&mut magic).map_err(io_err(&path))?;
        if n == 2 && magic == [0x1f, 0x8b] {
            return Err(ImageError::InvalidLayout(format!(
                "{} is gzip-compressed; decompress it first (docker save writes plain tar)",
                path.display()
            )));
        }
        let f = File::open(&path).map_err(io_err(&path))?;
        let mut ar = tar::Archive::new(f);
        let mut members = HashMap::new();
        for entry in ar.entries().map_err(io_err(&path))? {
            let entry = entry.map_err(io_err(&path))?;
            let name = normalise(&String::from_utf8_lossy(&entry.path_bytes()));
            let kind = entry.header().entry_type();
            let member = if kind.is_symlink() || kind.is_hard_link() {
                let target = entry
                    .link_name_bytes()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                let resolved = if kind.is_symlink() {
                    let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
                    normalise(&format!("{dir}/{target}"))
                } else {
                    normalise(&target)
                };
                Member::Link(resolved)
            } else if kind.is_file() {
                Member::File {
                    offset: entry.raw_file_position(),
                    size: entry.size(),
                }
            } else {
                continue;
            };
            members.insert(name, member);
        }
        let mut this = Self {
            path,
            members,
            entries: Vec::new(),
        };
        this.entries = parse_save_manifest(&this.read_member("manifest.json")?)?;
        Ok(this)
    }

    /// The archive file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// All `RepoTags` of all images in the archive.
    #[must_use]
    pub fn repo_tags(&self) -> Vec<String> {
        self.entries
            .iter()
            .flat_map(|e| e.repo_tags.clone().unwrap_or_default())
            .collect()
    }

    fn locate(&self, name: &str) -> Result<(u64, u64)> {
        let mut cur = normalise(name);
        for _ in 0..8 {
            match self.members.get(&cur) {
                Some(Member::File { offset, size }) => return Ok((*offset, *size)),
                Some(Member::Link(t)) => cur = t.clone(),
                None => break,
            }
        }
        Err(ImageError::InvalidLayout(format!(
            "{name} not found in {}",
            self.path.display()
        )))
    }

    fn location(&self, name: &str, digest: Digest, media_type: &str) -> Result<BlobLocation> {
        let (offset, size) = self.locate(name)?;
        Ok(BlobLocation::new(
            digest, size, media_type, &self.path, offset,
        ))
    }

    fn read_member(&self, name: &str) -> Result<Vec<u8>> {
        let (offset, size) = self.locate(name)?;
        if size > MAX_JSON {
            return Err(ImageError::InvalidLayout(format!(
                "{name} is too large ({size} bytes)"
            )));
        }
        let loc = BlobLocation::new(Digest::sha256_of(b""), size, "", &self.path, offset);
        let mut buf = Vec::new();
        loc.open()?
            .read_to_end(&mut buf)
            .map_err(io_err(&self.path))?;
        Ok(buf)
    }

    /// The image tagged `tag` (as in `RepoTags`, e.g. `busybox:latest`; familiar or full, a
    /// missing tag meaning `latest`), or
    /// with `None` the only image.
    ///
    /// # Errors
    /// [`ImageError::NotFound`], [`ImageError::Ambiguous`], missing members, I/O errors.
    pub fn image(&self, tag: Option<&str>) -> Result<LocalImage> {
        let entry = match tag {
            Some(t) => {
                let want = t.parse::<crate::reference::Reference>().ok();
                self.entries
                    .iter()
                    .find(|e| {
                        e.repo_tags.iter().flatten().any(|rt| {
                            rt == t
                                || want.as_ref().is_some_and(|w| {
                                    rt.parse::<crate::reference::Reference>()
                                        .is_ok_and(|r| r.canonical() == w.canonical())
                                })
                        })
                    })
                    .ok_or_else(|| {
                        ImageError::NotFound(format!("{t} in {}", self.path.display()))
                    })?
            }
            None => match self.entries.as_slice() {
                [one] => one,
                many => {
                    return Err(ImageError::Ambiguous {
                        count: many.len(),
                        names: self.repo_tags().join(", "),
                    });
                }
            },
        };
        if let Some(img) = self.oci_image(entry)? {
            return Ok(img);
        }
        self.classic_image(entry)
    }

    /// The OCI view when the archive carries `index.json` and the entry's config is a blob.
    fn oci_image(&self, entry: &SaveEntry) -> Result<Option<LocalImage>> {
        if !self.members.contains_key("index.json") {
            return Ok(None);
        }
        let Some(config_hex) = normalise(&entry.config)
            .strip_prefix("blobs/sha256/")
            .map(str::to_owned)
        else {
            return Ok(None);
        };
        let index = ManifestDoc::parse(&self.read_member("index.json")?, "index.json")?;
        let mut candidates = Vec::new();
        for d in &index.manifests {
            let bytes = self.read_blob_json(&d.digest)?;
            let doc = ManifestDoc::parse(&bytes, &d.digest)?;
            let mt = doc.effective_media_type(&d.media_type);
            if media_types::is_index(&mt) {
                let inner = pick_platform(&doc.manifests, &d.digest)?;
                let inner_bytes = self.read_blob_json(&inner.digest)?;
                let inner_doc = ManifestDoc::parse(&inner_bytes, &inner.digest)?;
                let imt = inner_doc.effective_media_type(&inner.media_type);
                candidates.push((inner_bytes, inner_doc, imt));
            } else {
                candidates.push((bytes, doc, mt));
            }
        }
        for (bytes, doc, mt) in candidates {
            let Some(cfg) = &doc.config else { continue };
            if parse_digest(&cfg.digest)?.hex() != config_hex {
                continue;
            }
            let config = self.blob_location(cfg.digest.as_str(), cfg.size, &cfg.media_type)?;
            let layers = doc
                .layers
                .iter()
                .map(|l| self.blob_location(&l.digest, l.size, &l.media_type))
                .collect::<Result<Vec<_>>>()?;
            return Ok(Some(LocalImage {
                manifest: RawManifest::new(bytes, mt),
                config,
                layers,
            }));
        }
        Ok(None)
    }

    fn read_blob_json(&self, digest: &str) -> Result<Vec<u8>> {
        let d = parse_digest(digest)?;
        let bytes = self.read_member(&format!("blobs/{}/{}", d.algorithm(), d.hex()))?;
        let mut v = d.verifier();
        v.update(&bytes);
        v.verify()?;
        Ok(bytes)
    }

    fn blob_location(&self, digest: &str, size: u64, media_type: &str) -> Result<BlobLocation> {
        let d = parse_digest(digest)?;
        let loc = self.location(
            &format!("blobs/{}/{}", d.algorithm(), d.hex()),
            d.clone(),
            media_type,
        )?;
        if loc.size != size {
            return Err(ImageError::SizeMismatch {
                digest: d,
                expected: size,
                actual: loc.size,
            });
        }
        Ok(loc)
    }

    /// Classic layout: generate an OCI manifest with computed digests.
    fn classic_image(&self, entry: &SaveEntry) -> Result<LocalImage> {
        let config_bytes = self.read_member(&entry.config)?;
        let config_digest = Digest::sha256_of(&config_bytes);
        let config = self.location(&entry.config, config_digest, media_types::OCI_CONFIG)?;
        let mut layers = Vec::with_capacity(entry.layers.len());
        for name in &entry.layers {
            let (offset, size) = self.locate(name)?;
            let probe = BlobLocation::new(Digest::sha256_of(b""), size, "", &self.path, offset);
            let mut head = [0u8; 2];
            let gz = size >= 2 && {
                probe
                    .open()?
                    .read_exact(&mut head)
                    .map_err(io_err(&self.path))?;
                head == [0x1f, 0x8b]
            };
            let (digest, n) =
                Digest::sha256_of_reader(probe.open()?).map_err(io_err(&self.path))?;
            if n != size {
                return Err(ImageError::SizeMismatch {
                    digest,
                    expected: size,
                    actual: n,
                });
            }
            let mt = if gz {
                media_types::OCI_LAYER_GZIP
            } else {
                media_types::OCI_LAYER
            };
            layers.push(BlobLocation::new(digest, size, mt, &self.path, offset));
        }
        let mut m = Map::new();
        m.insert("schemaVersion".into(), json!(2));
        m.insert("mediaType".into(), json!(media_types::OCI_MANIFEST));
        m.insert(
            "config".into(),
            json!({"mediaType": media_types::OCI_CONFIG, "digest": config.digest.as_str(), "size": config.size}),
        );
        m.insert(
            "layers".into(),
            Value::Array(
                layers
                    .iter()
                    .map(|l| json!({"mediaType": l.media_type, "digest": l.digest.as_str(), "size": l.size}))
                    .collect(),
            ),
        );
        let bytes = serde_json::to_vec(&Value::Object(m)).map_err(|source| ImageError::Json {
            what: "generated manifest".into(),
            source,
        })?;
        Ok(LocalImage {
            manifest: RawManifest::new(bytes, media_types::OCI_MANIFEST),
            config,
            layers,
        })
    }
}
