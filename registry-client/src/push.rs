//! High level: push an OCI image layout (or a `docker save` archive), `tag`, `copy`.
//!
//! Order of a push: every blob first (config and layers, concurrently, skipping blobs the registry
//! has), the manifest last, so a failed push never leaves a tag naming missing blobs.

use crate::auth::Scope;
use crate::client::{Client, OneShot, Req, ReqBody};
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::manifests::{ParsedManifest, RawManifest};
use crate::progress::ProgressKind;
use crate::reference::Reference;
use futures_util::{StreamExt, TryStreamExt};
use reqwest::{Method, header};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The annotation naming a manifest's tag in an OCI layout's `index.json`.
pub const REF_NAME_ANNOTATION: &str = "org.opencontainers.image.ref.name";

/// Where a blob to push lives: `len` bytes of `path` from `offset`.
#[derive(Debug, Clone)]
pub(crate) struct LocalBlob {
    pub(crate) digest: Digest,
    pub(crate) path: PathBuf,
    pub(crate) offset: u64,
    pub(crate) size: u64,
}

/// An image to push: its blobs on disk, its manifests (children of an index first) in push order.
#[derive(Debug, Clone)]
pub(crate) struct LocalImage {
    pub(crate) blobs: Vec<LocalBlob>,
    /// Child manifests (pushed by digest), then the top manifest (pushed under the tag).
    pub(crate) children: Vec<RawManifest>,
    pub(crate) top: RawManifest,
}

#[derive(serde::Deserialize)]
struct LayoutIndex {
    #[serde(default)]
    manifests: Vec<LayoutDescriptor>,
}

#[derive(serde::Deserialize)]
struct LayoutDescriptor {
    #[serde(rename = "mediaType", default)]
    media_type: String,
    digest: String,
    size: u64,
    #[serde(default)]
    annotations: std::collections::HashMap<String, String>,
}

pub(crate) fn blob_path(dir: &Path, digest: &Digest) -> PathBuf {
    dir.join("blobs")
        .join(digest.algorithm().as_str())
        .join(digest.hex())
}

fn read_small(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io("reading", path, e))?;
    if meta.len() > limit {
        return Err(Error::ManifestTooLarge { limit });
    }
    std::fs::read(path).map_err(|e| Error::io("reading", path, e))
}

fn parse_digest(s: &str) -> Result<Digest> {
    s.parse::<Digest>().map_err(|e| Error::Invalid {
        what: "digest",
        reason: format!("{s:?}: {e}"),
    })
}

/// Reads an OCI image layout: picks the manifest named `tag` (or the only one).
pub(crate) fn read_oci_layout(dir: &Path, tag: Option<&str>, limit: u64) -> Result<LocalImage> {
    let index_path = dir.join("index.json");
    let raw = read_small(&index_path, limit)?;
    let index: LayoutIndex = serde_json::from_slice(&raw).map_err(|e| Error::Json {
        what: "index.json",
        source: e,
    })?;
    let chosen = match index.manifests.as_slice() {
        [] => {
            return Err(Error::Invalid {
                what: "OCI layout",
                reason: format!("{}: index.json lists no manifest", dir.display()),
            });
        }
        [one] => one,
        many => {
            let by_tag = tag.and_then(|t| {
                many.iter().find(|d| {
                    d.annotations
                        .get(REF_NAME_ANNOTATION)
                        .is_some_and(|n| n == t)
                })
            });
            by_tag.ok_or_else(|| Error::Invalid {
                what: "OCI layout",
                reason: format!(
                    "{}: index.json lists {} manifests and none is named {:?}",
                    dir.display(),
                    many.len(),
                    tag.unwrap_or("")
                ),
            })?
        }
    };
    let top = read_layout_manifest(dir, &chosen.digest, chosen.size, &chosen.media_type, limit)?;
    let mut image = LocalImage {
        blobs: Vec::new(),
        children: Vec::new(),
        top: top.clone(),
    };
    match top.parse()? {
        ParsedManifest::Image(m) => add_image_blobs(dir, &m, &mut image.blobs)?,
        ParsedManifest::Index(idx) => {
            for d in idx.manifests() {
                let child = read_layout_manifest(
                    dir,
                    d.digest().as_ref(),
                    d.size(),
                    d.media_type().as_ref(),
                    limit,
                )?;
                if let ParsedManifest::Image(m) = child.parse()? {
                    add_image_blobs(dir, &m, &mut image.blobs)?;
                }
                image.children.push(child);
            }
        }
    }
    Ok(image)
}

fn read_layout_manifest(
    dir: &Path,
    digest: &str,
    size: u64,
    media_type: &str,
    limit: u64,
) -> Result<RawManifest> {
    let digest = parse_digest(digest)?;
    let bytes = read_small(&blob_path(dir, &digest), limit)?;
    let actual = Digest::sha256_of(&bytes);
    if actual != digest || bytes.len() as u64 != size {
        return Err(Error::DigestMismatch {
            expected: digest.to_string(),
            actual: actual.to_string(),
        });
    }
    let mut m = RawManifest::from_bytes(bytes)?;
    if !media_type.is_empty() {
        media_type.clone_into(&mut m.media_type);
    }
    Ok(m)
}

fn add_image_blobs(
    dir: &Path,
    m: &oci_spec::image::ImageManifest,
    out: &mut Vec<LocalBlob>,
) -> Result<()> {
    for d in std::iter::once(m.config()).chain(m.layers().iter()) {
        let digest = parse_digest(d.digest().as_ref())?;
        if out.iter().any(|b| b.digest == digest) {
            continue;
        }
        let path = blob_path(dir, &digest);
        let len = std::fs::metadata(&path)
            .map_err(|e| Error::io("reading", &path, e))?
            .len();
        if len != d.size() {
            return Err(Error::SizeMismatch {
                digest: digest.to_string(),
                expected: d.size(),
                actual: len,
            });
        }
        out.push(LocalBlob {
            digest,
            path,
            offset: 0,
            size: d.size(),
        });
    }
    Ok(())
}

/// What a push, tag or copy did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PushReport {
    /// The digest of the manifest (or index) now under the reference.
    pub digest: Digest,
    /// Blobs uploaded.
    pub uploaded: usize,
    /// Blobs the registry already had.
    pub skipped: usize,
    /// Blobs mounted from another repository.
    pub mounted: usize,
    /// Bytes uploaded.
    pub bytes: u64,
}

impl Client {
    /// Pushes an image from an OCI image layout directory or a `docker save` archive to
    /// `reference` (its tag, or `latest`). Blobs first (concurrently, present ones skipped), the
    /// manifest last.
    ///
    /// # Errors
    /// I/O and layout errors, transport and API errors; on error no manifest was written.
    pub async fn push(&self, source: &Path, reference: &Reference) -> Result<PushReport> {
        let meta = std::fs::metadata(source).map_err(|e| Error::io("reading", source, e))?;
        let image = if meta.is_dir() {
            read_oci_layout(source, reference.tag(), self.inner.manifest_limit)?
        } else {
            crate::archive::read_docker_archive(source, self.inner.manifest_limit)?
        };
        self.push_image(&image, reference).await
    }

    pub(crate) async fn push_image(
        &self,
        image: &LocalImage,
        reference: &Reference,
    ) -> Result<PushReport> {
        let repo = reference.without_digest();
        let results: Vec<(bool, u64)> = futures_util::stream::iter(image.blobs.iter().map(|b| {
            let repo = repo.clone();
            async move {
                let sent = self
                    .push_blob_file(&repo, &b.digest, &b.path, b.offset, b.size)
                    .await?;
                Ok::<_, Error>((sent, b.size))
            }
        }))
        .buffer_unordered(self.inner.concurrency)
        .try_collect()
        .await?;
        let mut report = PushReport {
            digest: image.top.digest.clone(),
            uploaded: 0,
            skipped: 0,
            mounted: 0,
            bytes: 0,
        };
        for (sent, size) in results {
            if sent {
                report.uploaded += 1;
                report.bytes += size;
            } else {
                report.skipped += 1;
            }
        }
        for child in &image.children {
            let r = repo.without_tag().with_digest(child.digest.clone());
            self.put_manifest(&r, child).await?;
        }
        report.digest = self.put_manifest(&repo, &image.top).await?;
        Ok(report)
    }

    /// Gives the manifest of `src` a new tag in the same repository (no layer transfer).
    ///
    /// # Errors
    /// [`Error::Invalid`] for a bad tag; transport and API errors.
    pub async fn tag(&self, src: &Reference, new_tag: &str) -> Result<Digest> {
        let dst = src
            .without_digest()
            .with_tag(new_tag)
            .map_err(|e| Error::Invalid {
                what: "tag",
                reason: format!("{new_tag:?}: {e}"),
            })?;
        let m = self.get_manifest(src).await?;
        self.put_manifest(&dst, &m).await
    }

    /// Copies an image (an index with all its manifests) from `src` to `dst`: within a registry
    /// blobs are mounted, between registries streamed (never stored locally); present blobs are
    /// skipped; manifests last.
    ///
    /// # Errors
    /// Transport and API errors; digest mismatches of streamed blobs.
    pub async fn copy(&self, src: &Reference, dst: &Reference) -> Result<PushReport> {
        let top = self.get_manifest(src).await?;
        let mut children = Vec::new();
        let mut blobs: Vec<(Digest, u64)> = Vec::new();
        let mut collect = |m: &oci_spec::image::ImageManifest| -> Result<()> {
            for d in std::iter::once(m.config()).chain(m.layers().iter()) {
                let digest = parse_digest(d.digest().as_ref())?;
                if !blobs.iter().any(|(x, _)| *x == digest) {
                    blobs.push((digest, d.size()));
                }
            }
            Ok(())
        };
        match top.parse()? {
            ParsedManifest::Image(m) => collect(&m)?,
            ParsedManifest::Index(idx) => {
                for d in idx.manifests() {
                    let r = src
                        .without_tag()
                        .with_digest(parse_digest(d.digest().as_ref())?);
                    let child = self.get_manifest(&r).await?;
                    if let ParsedManifest::Image(m) = child.parse()? {
                        collect(&m)?;
                    }
                    children.push(child);
                }
            }
        }
        let dst_repo = dst.without_digest();
        let same_registry = src.api_host() == dst.api_host();
        let outcomes: Vec<(u8, u64)> =
            futures_util::stream::iter(blobs.iter().map(|(digest, size)| {
                let dst_repo = dst_repo.clone();
                async move {
                    let progress = self.progress_for(digest.as_str(), Some(*size));
                    if self.blob_exists(&dst_repo, digest).await?.is_some() {
                        progress.emit(ProgressKind::Skipped, 0);
                        return Ok::<_, Error>((0u8, 0));
                    }
                    if same_registry
                        && src.path() != dst.path()
                        && self.mount_blob(&dst_repo, digest, src).await?
                    {
                        progress.emit(ProgressKind::Mounted, 0);
                        return Ok((1, 0));
                    }
                    let stream = self.blob_stream(src, digest, Some(*size)).await?;
                    self.upload_stream(&dst_repo, digest, stream, *size).await?;
                    Ok((2, *size))
                }
            }))
            .buffer_unordered(self.inner.concurrency)
            .try_collect()
            .await?;
        let mut report = PushReport {
            digest: top.digest.clone(),
            uploaded: 0,
            skipped: 0,
            mounted: 0,
            bytes: 0,
        };
        for (kind, bytes) in outcomes {
            match kind {
                0 => report.skipped += 1,
                1 => report.mounted += 1,
                _ => report.uploaded += 1,
            }
            report.bytes += bytes;
        }
        for child in &children {
            let r = dst_repo.without_tag().with_digest(child.digest.clone());
            self.put_manifest(&r, child).await?;
        }
        let target = match (dst.tag(), src.tag()) {
            (Some(_), _) => dst_repo.clone(),
            (None, Some(t)) => dst_repo.with_tag(t).map_err(|e| Error::Invalid {
                what: "tag",
                reason: e.to_string(),
            })?,
            (None, None) => dst_repo.with_digest(top.digest.clone()),
        };
        report.digest = self.put_manifest(&target, &top).await?;
        Ok(report)
    }

    /// Uploads a blob from a stream (POST, then one PUT streaming the body; not retried).
    async fn upload_stream(
        &self,
        repo: &Reference,
        digest: &Digest,
        stream: crate::blobs::BlobStream,
        size: u64,
    ) -> Result<()> {
        let mut url = self.repo_url(repo.api_host(), repo.path(), "blobs/uploads/")?;
        url.set_query(None);
        let req = Req::new(
            Method::POST,
            repo.api_host(),
            url,
            vec![Scope::push(repo.path())],
        )
        .header(header::CONTENT_LENGTH, "0")?;
        let resp = self.send(&req).await?;
        let mut location = self.resolve_location(&resp)?;
        location
            .query_pairs_mut()
            .append_pair("digest", digest.as_str());
        let req = Req::new(
            Method::PUT,
            repo.api_host(),
            location,
            vec![Scope::push(repo.path())],
        )
        .header(header::CONTENT_TYPE, "application/octet-stream")?
        .body(ReqBody::Stream(
            OneShot(Arc::new(Mutex::new(Some(stream)))),
            size,
        ))
        .no_retry()
        .no_follow();
        self.send(&req).await?;
        Ok(())
    }
}
