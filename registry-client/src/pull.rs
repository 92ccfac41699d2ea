//! High level: pull an image into an OCI image layout directory, selecting a platform from an
//! index; every blob is verified and written through a temp file renamed into place.

use crate::client::Client;
use crate::digest::{Digest, Digester};
use crate::error::{Error, Result};
use crate::image::OciLayout;
use crate::manifests::{ParsedManifest, add_blobs, descriptor_digest};
use crate::progress::ProgressKind;
use crate::push::{run_blocking, tally};
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

pub(crate) fn select<'a>(
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

/// Whether the file at `path` is the blob `digest` of `size` bytes: the size is checked first,
/// then the content is hashed (a corrupted file of the right size is not the blob).
async fn holds_blob(path: &Path, digest: &Digest, size: u64) -> bool {
    if !tokio::fs::metadata(path)
        .await
        .is_ok_and(|m| m.is_file() && m.len() == size)
    {
        return false;
    }
    let (path, want) = (path.to_owned(), digest.clone());
    run_blocking(move || {
        let f = std::fs::File::open(&path).map_err(|e| Error::io("reading", &path, e))?;
        let mut d = Digester::new(want.algorithm());
        crate::digest::copy_large(&mut std::io::BufReader::new(f), &mut d)
            .map_err(|e| Error::io("reading", &path, e))?;
        Ok(d.finish() == want)
    })
    .await
    .unwrap_or(false)
}

impl Client {
    /// Pulls `reference` into the OCI image layout `dir` (created if needed) for `platform`
    /// (default `linux/amd64` when the reference names an index). The manifest is added to
    /// `index.json` with the tag as `org.opencontainers.image.ref.name`. A blob already in the
    /// layout is kept only when its size and digest match; otherwise it is downloaded again.
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
        let dir = dir.to_owned();
        let layout = run_blocking(move || Ok(OciLayout::create(dir)?)).await?;
        let mut wanted: Vec<(Digest, u64)> = Vec::new();
        add_blobs(&mut wanted, &m)?;
        let repo = reference.without_digest();
        let outcomes: Vec<(bool, u64)> =
            futures_util::stream::iter(wanted.into_iter().map(|(digest, size)| {
                let repo = repo.clone();
                let path = layout.blob_path(&digest);
                async move {
                    let (digest, size) = (&digest, &size);
                    if holds_blob(&path, digest, *size).await {
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
        let tag = reference.tag().map(str::to_owned);
        let (bytes, media_type) = (manifest.bytes.clone(), manifest.media_type.clone());
        run_blocking(move || Ok(layout.put_manifest(&bytes, &media_type, tag.as_deref())?)).await?;
        let (downloaded, present, bytes) = tally(&outcomes);
        let report = PullReport {
            digest: manifest.digest.clone(),
            downloaded,
            present,
            bytes,
        };
        Ok(report)
    }
}
