//! High level: pull an image into an OCI image layout directory, selecting a platform from an
//! index; every blob is verified and written through a temp file renamed into place.

use crate::client::Client;
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::manifests::{ParsedManifest, RawManifest};
use crate::progress::ProgressKind;
use crate::push::{REF_NAME_ANNOTATION, blob_path};
use crate::reference::Reference;
use futures_util::{StreamExt, TryStreamExt};
use std::path::Path;

/// A platform `os/arch[/variant]` for choosing a manifest from an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    os: String,
    arch: String,
    variant: Option<String>,
}

impl Platform {
    /// `os/arch` with an optional variant.
    #[must_use]
    pub fn new(os: &str, arch: &str, variant: Option<&str>) -> Self {
        Self {
            os: os.into(),
            arch: arch.into(),
            variant: variant.map(Into::into),
        }
    }
}

impl Default for Platform {
    /// `linux/amd64`.
    fn default() -> Self {
        Self::new("linux", "amd64", None)
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.arch)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Platform {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let parts: Vec<&str> = s.split('/').collect();
        let ok = |p: &str| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        match parts.as_slice() {
            [os, arch] if ok(os) && ok(arch) => Ok(Self::new(os, arch, None)),
            [os, arch, v] if ok(os) && ok(arch) && ok(v) => Ok(Self::new(os, arch, Some(v))),
            _ => Err(Error::Invalid {
                what: "platform",
                reason: format!("{s:?} is not os/arch[/variant]"),
            }),
        }
    }
}

/// What a pull did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PullReport {
    /// The digest of the image manifest written to the layout.
    pub digest: Digest,
    /// Blobs downloaded.
    pub downloaded: usize,
    /// Blobs already in the layout.
    pub present: usize,
    /// Bytes downloaded.
    pub bytes: u64,
}

fn select<'a>(
    idx: &'a oci_spec::image::ImageIndex,
    want: &Platform,
) -> Result<&'a oci_spec::image::Descriptor> {
    let matches = |d: &&oci_spec::image::Descriptor| {
        d.platform().as_ref().is_some_and(|p| {
            p.os().to_string() == want.os
                && p.architecture().to_string() == want.arch
                && match &want.variant {
                    None => true,
                    Some(v) => p.variant().as_deref() == Some(v.as_str()),
                }
        })
    };
    idx.manifests()
        .iter()
        .find(matches)
        .ok_or_else(|| Error::PlatformNotFound {
            platform: want.to_string(),
            available: idx
                .manifests()
                .iter()
                .filter_map(|d| d.platform().as_ref())
                .map(|p| format!("{}/{}", p.os(), p.architecture()))
                .collect::<Vec<_>>()
                .join(", "),
        })
}

impl Client {
    /// Pulls `reference` into the OCI image layout `dir` (created if needed) for `platform`
    /// (default `linux/amd64` when the reference names an index). The manifest is added to
    /// `index.json` with the tag as `org.opencontainers.image.ref.name`.
    ///
    /// # Errors
    /// [`Error::PlatformNotFound`], digest/size mismatches, transport, API and I/O errors.
    pub async fn pull(
        &self,
        reference: &Reference,
        dir: &Path,
        platform: Option<&Platform>,
    ) -> Result<PullReport> {
        let mut manifest = self.get_manifest(reference).await?;
        if manifest.is_index() {
            let ParsedManifest::Index(idx) = manifest.parse()? else {
                unreachable!("is_index checked")
            };
            let want = platform.cloned().unwrap_or_default();
            let d = select(&idx, &want)?;
            let digest: Digest = d.digest().as_ref().parse().map_err(|e| Error::Invalid {
                what: "digest",
                reason: format!("{e}"),
            })?;
            manifest = self
                .get_manifest(&reference.without_tag().with_digest(digest))
                .await?;
        }
        let ParsedManifest::Image(m) = manifest.parse()? else {
            return Err(Error::InvalidManifest {
                reason: "an index inside an index".into(),
            });
        };
        let blobs_dir = dir.join("blobs").join("sha256");
        tokio::fs::create_dir_all(&blobs_dir)
            .await
            .map_err(|e| Error::io("creating", &blobs_dir, e))?;
        let mut wanted: Vec<(Digest, u64)> = Vec::new();
        for d in std::iter::once(m.config()).chain(m.layers().iter()) {
            let digest: Digest = d.digest().as_ref().parse().map_err(|e| Error::Invalid {
                what: "digest",
                reason: format!("{e}"),
            })?;
            if !wanted.iter().any(|(x, _)| *x == digest) {
                wanted.push((digest, d.size()));
            }
        }
        let repo = reference.without_digest();
        let outcomes: Vec<(bool, u64)> =
            futures_util::stream::iter(wanted.iter().map(|(digest, size)| {
                let repo = repo.clone();
                async move {
                    let path = blob_path(dir, digest);
                    if let Some(parent) = path.parent() {
                        tokio::fs::create_dir_all(parent)
                            .await
                            .map_err(|e| Error::io("creating", parent, e))?;
                    }
                    if tokio::fs::metadata(&path)
                        .await
                        .is_ok_and(|m| m.len() == *size)
                    {
                        self.progress_for(digest.as_str(), Some(*size))
                            .emit(ProgressKind::Skipped, 0);
                        return Ok::<_, Error>((false, 0));
                    }
                    let n = self.blob_to_file(&repo, digest, Some(*size), &path).await?;
                    Ok((true, n))
                }
            }))
            .buffer_unordered(self.inner.concurrency)
            .try_collect()
            .await?;
        write_manifest_blob(dir, &manifest).await?;
        update_layout_index(dir, &manifest, reference.tag()).await?;
        let mut report = PullReport {
            digest: manifest.digest.clone(),
            downloaded: 0,
            present: 0,
            bytes: 0,
        };
        for (downloaded, n) in outcomes {
            if downloaded {
                report.downloaded += 1;
                report.bytes += n;
            } else {
                report.present += 1;
            }
        }
        Ok(report)
    }
}

async fn write_manifest_blob(dir: &Path, m: &RawManifest) -> Result<()> {
    let path = blob_path(dir, &m.digest);
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(|e| Error::io("creating", parent, e))?;
    }
    let stream = futures_util::stream::iter([Ok(m.bytes.clone())]).boxed();
    crate::blobs::write_verified(stream, &path).await?;
    Ok(())
}

async fn update_layout_index(dir: &Path, m: &RawManifest, tag: Option<&str>) -> Result<()> {
    let layout = dir.join("oci-layout");
    let layout_json = br#"{"imageLayoutVersion":"1.0.0"}"#;
    crate::blobs::write_verified(
        futures_util::stream::iter([Ok(bytes::Bytes::from_static(layout_json))]).boxed(),
        &layout,
    )
    .await?;
    let index_path = dir.join("index.json");
    let mut index: serde_json::Value = match tokio::fs::read(&index_path).await {
        Ok(b) => serde_json::from_slice(&b).map_err(|e| Error::Json {
            what: "index.json",
            source: e,
        })?,
        Err(_) => {
            serde_json::json!({"schemaVersion": 2, "mediaType": crate::manifests::OCI_INDEX, "manifests": []})
        }
    };
    let mut desc = serde_json::json!({
        "mediaType": m.media_type,
        "digest": m.digest.as_str(),
        "size": m.bytes.len(),
    });
    if let Some(t) = tag {
        desc["annotations"] = serde_json::json!({ REF_NAME_ANNOTATION: t });
    }
    let list = index
        .get_mut("manifests")
        .and_then(|v| v.as_array_mut())
        .ok_or_else(|| Error::Invalid {
            what: "OCI layout",
            reason: format!("{}: index.json has no manifests list", index_path.display()),
        })?;
    list.retain(|d| {
        let same_tag = tag.is_some()
            && d.get("annotations")
                .and_then(|a| a.get(REF_NAME_ANNOTATION))
                .and_then(|n| n.as_str())
                == tag;
        let same_digest_untagged =
            tag.is_none() && d.get("digest").and_then(|x| x.as_str()) == Some(m.digest.as_str());
        !same_tag && !same_digest_untagged
    });
    list.push(desc);
    let bytes = serde_json::to_vec_pretty(&index).map_err(|e| Error::Json {
        what: "index.json",
        source: e,
    })?;
    crate::blobs::write_verified(
        futures_util::stream::iter([Ok(bytes::Bytes::from(bytes))]).boxed(),
        &index_path,
    )
    .await?;
    Ok(())
}
