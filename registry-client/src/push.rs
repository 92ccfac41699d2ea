//! High level: push an OCI image layout (or a `docker save` archive), `tag`, `copy`.
//!
//! Order of a push: every blob first (config and layers, concurrently, skipping blobs the registry
//! has), the manifest last, so a failed push never leaves a tag naming missing blobs.

use crate::blobs::with_digest;
use crate::client::Client;
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::image::{DockerArchive, ImageError, LocalArtifact, OciLayout};
use crate::manifests::{ParsedManifest, add_blobs, descriptor_digest};
use crate::progress::ProgressKind;
use crate::reference::Reference;
use crate::request::{OneShot, ReqBody};
use futures_util::{StreamExt, TryStreamExt};
use std::path::Path;

pub use crate::image::REF_NAME_ANNOTATION;

/// Reads what `source` holds for a push to `reference`: an OCI image layout directory (the entry
/// named like the reference's tag, else the only one; an index is pushed whole) or a
/// `docker save` archive (its only image).
fn read_source(source: &Path, reference: &Reference) -> Result<LocalArtifact> {
    let meta = std::fs::metadata(source).map_err(|e| Error::io("reading", source, e))?;
    if !meta.is_dir() {
        let image = DockerArchive::open(source)?.image(None)?;
        return Ok(LocalArtifact::Image(image));
    }
    let layout = OciLayout::open(source)?;
    match reference.tag() {
        Some(tag) => match layout.artifact(Some(tag)) {
            Err(ImageError::NotFound(_)) => Ok(layout.artifact(None)?),
            other => Ok(other?),
        },
        None => Ok(layout.artifact(None)?),
    }
}

/// Runs blocking file work (reading or writing a layout) off the async threads.
pub(crate) async fn run_blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Image(Box::new(e)))?
}

/// Counts per-blob outcomes `(transferred, bytes)`: transferred, not transferred, total bytes.
pub(crate) fn tally(outcomes: &[(bool, u64)]) -> (usize, usize, u64) {
    let moved = outcomes.iter().filter(|(t, _)| *t).count();
    let bytes = outcomes.iter().filter(|(t, _)| *t).map(|(_, n)| n).sum();
    (moved, outcomes.len() - moved, bytes)
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
        let source = source.to_owned();
        let target = reference.clone();
        let artifact = run_blocking(move || read_source(&source, &target)).await?;
        self.push_artifact(&artifact, reference).await
    }

    /// Pushes an image (or an index with its images) read with [`crate::image::OciLayout`] or
    /// [`crate::image::DockerArchive`] to `reference`: blobs first (concurrently, present ones
    /// skipped), then the images of an index by digest, the top manifest last.
    ///
    /// # Errors
    /// Transport and API errors; on error the top manifest was not written.
    pub async fn push_artifact(
        &self,
        artifact: &LocalArtifact,
        reference: &Reference,
    ) -> Result<PushReport> {
        let repo = reference.without_digest();
        // Owned items (not references) in the per-blob closures keep the future `Send` for
        // `tokio::spawn` (a closure over `&BlobLocation` trips rustc's higher-ranked check).
        let blobs: Vec<crate::image::BlobLocation> =
            artifact.blobs().into_iter().cloned().collect();
        let results: Vec<(bool, u64)> = futures_util::stream::iter(blobs.into_iter().map(|b| {
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
        let (uploaded, skipped, bytes) = tally(&results);
        let mut report = PushReport {
            digest: artifact.manifest().digest.clone(),
            uploaded,
            skipped,
            mounted: 0,
            bytes,
        };
        if let LocalArtifact::Index { images, .. } = artifact {
            for image in images {
                let child = &image.manifest;
                let r = repo.without_tag().with_digest(child.digest.clone());
                self.put_manifest(&r, child).await?;
            }
        }
        report.digest = self.put_manifest(&repo, artifact.manifest()).await?;
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
        match top.parse()? {
            ParsedManifest::Image(m) => add_blobs(&mut blobs, &m)?,
            ParsedManifest::Index(idx) => {
                for d in idx.manifests() {
                    let r = src.without_tag().with_digest(descriptor_digest(d)?);
                    let child = self.get_manifest(&r).await?;
                    if let ParsedManifest::Image(m) = child.parse()? {
                        add_blobs(&mut blobs, &m)?;
                    }
                    children.push(child);
                }
            }
        }
        let dst_repo = dst.without_digest();
        let same_registry = src.api_host() == dst.api_host();
        let outcomes: Vec<(u8, u64)> =
            futures_util::stream::iter(blobs.into_iter().map(|(digest, size)| {
                let dst_repo = dst_repo.clone();
                async move {
                    let (digest, size) = (&digest, &size);
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
        let resp = self.start_upload(repo, "").await?;
        let location = with_digest(self.resolve_location(&resp)?, digest);
        let body = ReqBody::Stream(OneShot::new(stream), size);
        self.finish_upload(repo, location, body, false).await?;
        Ok(())
    }
}
