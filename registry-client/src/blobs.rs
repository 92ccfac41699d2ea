//! Blobs: HEAD, verified streaming GET with Range resume, monolithic and chunked uploads with
//! resume from the upload's status, cross-repository mount, delete.
//!
//! The repository of a call is taken from a [`Reference`] (its registry and path; tag and digest
//! are ignored).

use crate::auth::Scope;
use crate::client::Client;
use crate::digest::{Digest, Digester};
use crate::error::{Error, Result, redact_url};
use crate::progress::{BlobProgress, ProgressKind};
use crate::reference::Reference;
use crate::request::{Req, ReqBody, api_error, retry_delay};
use crate::temp_file::TempFile;
use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use reqwest::header;
use reqwest::{Method, StatusCode};
use sdk_core::RetryPolicy;
use sdk_core::body::{BodyError, idle_stream};
use std::path::Path;
use tokio::io::AsyncWriteExt;

/// At most this many times a dropped or stalled blob download is resumed with `Range` (and
/// never more often than the retry policy allows retries).
const MAX_RESUMES: u32 = 5;
/// How many times a failed chunk upload is resumed from the upload's status.
const MAX_UPLOAD_RESUMES: u32 = 5;

/// A verified blob byte stream: the last chunk is handed over only after the whole blob's size and
/// digest were checked, so a corrupt blob ends in an error, never in complete-looking data.
pub type BlobStream = BoxStream<'static, Result<Bytes>>;

struct Download {
    client: Client,
    req: Req,
    stream: Option<BoxStream<'static, Result<Bytes, BodyError>>>,
    digester: Digester,
    expected: Digest,
    size: Option<u64>,
    held: Option<Bytes>,
    /// Bytes to drop from the start of the current response (a 200 answer to a Range request).
    skip: u64,
    resumes: u32,
    done: bool,
    progress: BlobProgress,
    last_report: u64,
}

impl Download {
    fn received(&self) -> u64 {
        self.digester.len()
    }

    async fn reopen(&mut self) -> Result<()> {
        let from = self.received();
        let req = self
            .req
            .clone()
            .header(header::RANGE, &format!("bytes={from}-"))?;
        let resp = self.client.send(&req).await?;
        let endpoint = redact_url(resp.url());
        match resp.status() {
            StatusCode::PARTIAL_CONTENT => {
                let cr = resp
                    .headers()
                    .get(header::CONTENT_RANGE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                if content_range_start(cr) != Some(from) {
                    return Err(Error::protocol(
                        &endpoint,
                        format!("asked for bytes {from}- but got Content-Range {cr:?}"),
                    ));
                }
                self.skip = 0;
            }
            _ => self.skip = from,
        }
        self.stream = Some(idle_stream(resp, self.client.inner.idle));
        Ok(())
    }

    async fn next_item(&mut self) -> Option<Result<Bytes>> {
        if self.done {
            return None;
        }
        loop {
            let item = match self.stream.as_mut() {
                Some(s) => s.next().await,
                None => None,
            };
            match item {
                Some(Ok(mut chunk)) => {
                    if self.skip > 0 {
                        let n = (self.skip).min(chunk.len() as u64) as usize;
                        self.skip -= n as u64;
                        chunk = chunk.slice(n..);
                        if chunk.is_empty() {
                            continue;
                        }
                    }
                    self.digester.update(&chunk);
                    if let Some(size) = self.size
                        && self.received() > size
                    {
                        self.done = true;
                        return Some(Err(Error::SizeMismatch {
                            digest: self.expected.clone(),
                            expected: size,
                            actual: self.received(),
                        }));
                    }
                    if self.received() - self.last_report >= 1024 * 1024 {
                        self.last_report = self.received();
                        self.progress.emit(ProgressKind::Advanced, self.received());
                    }
                    if let Some(prev) = self.held.replace(chunk) {
                        return Some(Ok(prev));
                    }
                }
                Some(Err(e)) => {
                    // A dropped connection or a stall (idle timeout): resumed with `Range`
                    // within the retry policy's attempts (at most MAX_RESUMES times).
                    let endpoint = redact_url(&self.req.url);
                    let budget = MAX_RESUMES.min(self.client.inner.retry.max_attempts() - 1);
                    if self.resumes >= budget {
                        self.done = true;
                        return Some(Err(Error::body("blob", &endpoint, e)));
                    }
                    self.resumes += 1;
                    tracing::debug!(%endpoint, received = self.received(), error = %e, "resuming blob download");
                    if let Err(e) = self.reopen().await {
                        self.done = true;
                        return Some(Err(e));
                    }
                }
                None => {
                    self.done = true;
                    let len = self.received();
                    if let Some(size) = self.size
                        && len != size
                    {
                        return Some(Err(Error::SizeMismatch {
                            digest: self.expected.clone(),
                            expected: size,
                            actual: len,
                        }));
                    }
                    let algo = self.expected.algorithm();
                    let actual =
                        std::mem::replace(&mut self.digester, Digester::new(algo)).finish();
                    if actual != self.expected {
                        return Some(Err(Error::DigestMismatch {
                            expected: self.expected.clone(),
                            actual,
                        }));
                    }
                    self.progress.emit(ProgressKind::Done, len);
                    return self.held.take().map(Ok);
                }
            }
        }
    }
}

impl Client {
    /// A request on `/v2/<repo>/blobs/<digest>`.
    fn blob_req(
        &self,
        method: Method,
        repo: &Reference,
        digest: &Digest,
        scope: Scope,
    ) -> Result<Req> {
        let url = self.repo_url(repo.api_host(), repo.path(), &format!("blobs/{digest}"))?;
        Ok(Req::new(method, repo.api_host(), url, vec![scope]))
    }

    /// HEAD a blob: `Some(size)` when the registry has it, `None` on 404.
    ///
    /// # Errors
    /// Transport and API errors other than 404.
    pub async fn blob_exists(&self, repo: &Reference, digest: &Digest) -> Result<Option<u64>> {
        let req = self.blob_req(Method::HEAD, repo, digest, Scope::pull(repo.path()))?;
        let resp = self.send_raw(&req).await?;
        match resp.status() {
            // `Response::content_length` is the body's length, 0 for a HEAD: read the header.
            s if s.is_success() => Ok(Some(content_length(&resp).unwrap_or(0))),
            StatusCode::NOT_FOUND => Ok(None),
            _ => {
                let ep = redact_url(resp.url());
                Err(api_error(resp, "HEAD", &ep, self.inner.idle).await)
            }
        }
    }

    /// GETs a blob as a verified stream (see [`BlobStream`]); a dropped or stalled connection
    /// (no bytes for the idle timeout) is resumed with `Range`, as often as the retry policy
    /// allows retries (at most 5 times). `size`, when known, is checked too.
    ///
    /// # Errors
    /// The first request's errors here; later ones (transport, [`Error::DigestMismatch`],
    /// [`Error::SizeMismatch`]) as stream items.
    pub async fn blob_stream(
        &self,
        repo: &Reference,
        digest: &Digest,
        size: Option<u64>,
    ) -> Result<BlobStream> {
        let req = self.blob_req(Method::GET, repo, digest, Scope::pull(repo.path()))?;
        let resp = self.send(&req).await?;
        let progress = self.progress_for(digest.as_str(), size);
        progress.emit(ProgressKind::Started, 0);
        let dl = Download {
            client: self.clone(),
            req,
            stream: Some(idle_stream(resp, self.inner.idle)),
            digester: Digester::new(digest.algorithm()),
            expected: digest.clone(),
            size,
            held: None,
            skip: 0,
            resumes: 0,
            done: false,
            progress,
            last_report: 0,
        };
        Ok(futures_util::stream::unfold(dl, |mut dl| async move {
            dl.next_item().await.map(|item| (item, dl))
        })
        .boxed())
    }

    /// GETs a whole blob into memory (configs), refusing more than `limit` bytes.
    ///
    /// # Errors
    /// As [`Client::blob_stream`], plus [`Error::SizeMismatch`] above `limit`.
    pub async fn blob_bytes(&self, repo: &Reference, digest: &Digest, limit: u64) -> Result<Bytes> {
        let mut s = self.blob_stream(repo, digest, None).await?;
        let mut out = Vec::new();
        while let Some(chunk) = s.next().await {
            let chunk = chunk?;
            out.extend_from_slice(&chunk);
            if out.len() as u64 > limit {
                return Err(Error::SizeMismatch {
                    digest: digest.clone(),
                    expected: limit,
                    actual: out.len() as u64,
                });
            }
        }
        Ok(out.into())
    }

    /// GETs a blob into `path`: written to a temporary file next to it and renamed only after the
    /// digest (and `size`, when given) were verified. Returns the size.
    ///
    /// # Errors
    /// As [`Client::blob_stream`], plus [`Error::Io`]; on any error no file is left at `path`.
    pub async fn blob_to_file(
        &self,
        repo: &Reference,
        digest: &Digest,
        size: Option<u64>,
        path: &Path,
    ) -> Result<u64> {
        let stream = self.blob_stream(repo, digest, size).await?;
        write_verified(stream, path).await
    }

    /// Checks for, or uploads, a blob from a file: skipped when the registry has it already.
    /// Returns `true` when bytes were sent.
    ///
    /// # Errors
    /// Transport, API and I/O errors.
    pub async fn push_blob_file(
        &self,
        repo: &Reference,
        digest: &Digest,
        path: &Path,
        offset: u64,
        size: u64,
    ) -> Result<bool> {
        let progress = self.progress_for(digest.as_str(), Some(size));
        if self.blob_exists(repo, digest).await?.is_some() {
            progress.emit(ProgressKind::Skipped, 0);
            return Ok(false);
        }
        progress.emit(ProgressKind::Started, 0);
        match self.inner.chunk_size {
            Some(chunk) => {
                self.upload_chunked(repo, digest, path, offset, size, chunk, &progress)
                    .await?;
            }
            None => {
                self.upload_monolithic(repo, digest, path, offset, size, &progress)
                    .await?;
            }
        }
        progress.emit(ProgressKind::Done, size);
        Ok(true)
    }

    pub(crate) async fn start_upload(
        &self,
        repo: &Reference,
        query: &str,
    ) -> Result<reqwest::Response> {
        let mut url = self.repo_url(repo.api_host(), repo.path(), "blobs/uploads/")?;
        if !query.is_empty() {
            url.set_query(Some(query));
        }
        let req = Req::new(
            Method::POST,
            repo.api_host(),
            url,
            vec![Scope::push(repo.path())],
        )
        .header(header::CONTENT_LENGTH, "0")?;
        self.send(&req).await
    }

    /// Monolithic upload: POST for an upload URL, then one PUT `?digest=` streamed from the file.
    async fn upload_monolithic(
        &self,
        repo: &Reference,
        digest: &Digest,
        path: &Path,
        offset: u64,
        size: u64,
        progress: &BlobProgress,
    ) -> Result<()> {
        let resp = self.start_upload(repo, "").await?;
        let location = self.resolve_location(&resp)?;
        let body = ReqBody::File {
            path: path.to_owned(),
            offset,
            len: size,
            progress: Some(progress.clone()),
            reported: 0,
        };
        self.finish_upload(repo, with_digest(location, digest), body, true)
            .await?;
        Ok(())
    }

    /// The closing `PUT <location>?digest=` of an upload, carrying `body` (the whole blob, or
    /// nothing after PATCHes); `retry` only for bodies that can be sent again.
    pub(crate) async fn finish_upload(
        &self,
        repo: &Reference,
        url: url::Url,
        body: ReqBody,
        retry: bool,
    ) -> Result<reqwest::Response> {
        let mut req = Req::new(
            Method::PUT,
            repo.api_host(),
            url,
            vec![Scope::push(repo.path())],
        )
        .header(header::CONTENT_TYPE, "application/octet-stream")?
        .body(body)
        .no_follow();
        if !retry {
            req = req.no_retry();
        }
        self.send(&req).await
    }

    /// Uploads a small blob in a single `POST ?digest=` request (the OCI single-request
    /// monolithic upload); falls back to POST+PUT when the registry answers 202 without storing.
    ///
    /// # Errors
    /// Transport and API errors.
    pub async fn push_blob_bytes(
        &self,
        repo: &Reference,
        digest: &Digest,
        data: Bytes,
    ) -> Result<()> {
        let mut url = self.repo_url(repo.api_host(), repo.path(), "blobs/uploads/")?;
        url.query_pairs_mut().append_pair("digest", digest.as_str());
        let req = Req::new(
            Method::POST,
            repo.api_host(),
            url,
            vec![Scope::push(repo.path())],
        )
        .header(header::CONTENT_TYPE, "application/octet-stream")?
        .body(ReqBody::Bytes(data.clone()))
        .no_follow();
        let resp = self.send(&req).await?;
        if resp.status() == StatusCode::CREATED {
            return Ok(());
        }
        // 202: the registry opened a session instead; finish with a PUT.
        let location = self.resolve_location(&resp)?;
        self.finish_upload(
            repo,
            with_digest(location, digest),
            ReqBody::Bytes(data),
            true,
        )
        .await?;
        Ok(())
    }

    /// Chunked upload: PATCH with `Content-Range`, honouring `OCI-Chunk-Min-Length`; after a
    /// failed chunk the upload's status (`Range: 0-N`) says where to resume. When it cannot
    /// say (`0-0`, which distribution sends both for an empty upload and after one byte, no
    /// `Range`, or no status at all) the session is abandoned and the blob uploaded again
    /// from byte 0 in a new one.
    #[allow(clippy::too_many_arguments)]
    async fn upload_chunked(
        &self,
        repo: &Reference,
        digest: &Digest,
        path: &Path,
        offset: u64,
        size: u64,
        chunk: u64,
        progress: &BlobProgress,
    ) -> Result<()> {
        let (mut location, chunk) = self.start_chunked(repo, chunk).await?;
        let mut done: u64 = 0;
        let mut resumes = 0;
        let scopes = vec![Scope::push(repo.path())];
        while done < size {
            let len = chunk.min(size - done);
            let req = Req::new(
                Method::PATCH,
                repo.api_host(),
                location.clone(),
                scopes.clone(),
            )
            .header(header::CONTENT_TYPE, "application/octet-stream")?
            .header(
                header::CONTENT_RANGE,
                &format!("{}-{}", done, done + len - 1),
            )?
            .body(ReqBody::File {
                path: path.to_owned(),
                offset: offset + done,
                len,
                progress: Some(progress.clone()),
                reported: done,
            })
            .no_retry()
            .no_follow();
            let err = match self.send(&req).await {
                Ok(resp) => {
                    location = self.resolve_location(&resp)?;
                    done += len;
                    continue;
                }
                Err(e) => e,
            };
            let recoverable = match &err {
                Error::Http { .. } | Error::Timeout { .. } => true,
                Error::Api(a) => {
                    a.status == 416
                        || http::StatusCode::from_u16(a.status)
                            .is_ok_and(RetryPolicy::is_retryable_status)
                }
                _ => false,
            };
            if !recoverable || resumes >= MAX_UPLOAD_RESUMES {
                return Err(err);
            }
            resumes += 1;
            tokio::time::sleep(retry_delay(&self.inner.retry, resumes - 1, None)).await;
            let status = match self.upload_status(repo, &location, size).await {
                Ok(s) => s,
                // A hostile or broken status answer is an error of its own.
                Err(e @ Error::Protocol { .. }) => return Err(e),
                // The session is gone or refuses to say (distribution answers 416 when the
                // failed chunk moved the upload past the offset its `_state` signs).
                Err(e) => {
                    tracing::debug!(error = %e, "upload status unavailable");
                    None
                }
            };
            if let Some((loc, next)) = status {
                tracing::debug!(from = next, error = %err, "resuming chunked upload");
                location = loc;
                done = next;
            } else {
                tracing::debug!(error = %err, "upload offset unknown: restarting in a new session at byte 0");
                self.cancel_upload(repo, &location).await;
                location = self.start_chunked(repo, chunk).await?.0;
                done = 0;
            }
        }
        let req = Req::new(
            Method::PUT,
            repo.api_host(),
            with_digest(location, digest),
            scopes,
        )
        .header(header::CONTENT_LENGTH, "0")?
        .no_follow();
        self.send(&req).await?;
        Ok(())
    }

    /// Opens a chunked upload: its location and the chunk size raised to the registry's
    /// `OCI-Chunk-Min-Length`.
    async fn start_chunked(&self, repo: &Reference, chunk: u64) -> Result<(url::Url, u64)> {
        let resp = self.start_upload(repo, "").await?;
        let min = resp
            .headers()
            .get("oci-chunk-min-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0);
        Ok((self.resolve_location(&resp)?, chunk.max(min).max(1)))
    }

    /// Cancels an upload session (best effort: a failure only leaves it to expire).
    async fn cancel_upload(&self, repo: &Reference, location: &url::Url) {
        let req = Req::new(
            Method::DELETE,
            repo.api_host(),
            location.clone(),
            vec![Scope::push(repo.path())],
        )
        .no_retry()
        .no_follow();
        let _ = self.send_raw(&req).await;
    }

    /// GETs an upload's status: its (new) location and the offset to continue from, or
    /// `None` when the status cannot tell (`Range: 0-0` or no `Range`).
    ///
    /// # Errors
    /// [`Error::Protocol`] for a `Range` that is not `0-N` with `N` below `size`; transport
    /// and API errors of the status request.
    async fn upload_status(
        &self,
        repo: &Reference,
        location: &url::Url,
        size: u64,
    ) -> Result<Option<(url::Url, u64)>> {
        let req = Req::new(
            Method::GET,
            repo.api_host(),
            location.clone(),
            vec![Scope::push(repo.path())],
        )
        .no_follow();
        let resp = self.send(&req).await?;
        let endpoint = redact_url(resp.url());
        let loc = if resp.headers().contains_key(header::LOCATION) {
            self.resolve_location(&resp)?
        } else {
            location.clone()
        };
        let Some(raw) = resp.headers().get(header::RANGE) else {
            return Ok(None);
        };
        let raw = raw
            .to_str()
            .map_err(|_| Error::protocol(&endpoint, "non-ASCII upload Range"))?;
        match parse_upload_range(raw, size) {
            Ok(None) => Ok(None),
            Ok(Some(next)) => Ok(Some((loc, next))),
            Err(reason) => Err(Error::protocol(
                &endpoint,
                format!("bad upload Range {raw:?}: {reason}"),
            )),
        }
    }

    /// Mounts a blob from another repository of the same registry. `true` = mounted (201);
    /// `false` = the registry opened an upload instead (202), which is cancelled.
    ///
    /// # Errors
    /// Transport and API errors.
    pub async fn mount_blob(
        &self,
        repo: &Reference,
        digest: &Digest,
        from: &Reference,
    ) -> Result<bool> {
        let mut url = self.repo_url(repo.api_host(), repo.path(), "blobs/uploads/")?;
        url.query_pairs_mut()
            .append_pair("mount", digest.as_str())
            .append_pair("from", from.path());
        let req = Req::new(
            Method::POST,
            repo.api_host(),
            url,
            vec![Scope::push(repo.path()), Scope::pull(from.path())],
        )
        .header(header::CONTENT_LENGTH, "0")?
        .no_follow();
        let resp = self.send(&req).await?;
        if resp.status() == StatusCode::CREATED {
            return Ok(true);
        }
        if let Ok(loc) = self.resolve_location(&resp) {
            let req = Req::new(
                Method::DELETE,
                repo.api_host(),
                loc,
                vec![Scope::push(repo.path())],
            )
            .no_follow();
            let _ = self.send_raw(&req).await;
        }
        Ok(false)
    }

    /// Deletes a blob (the registry must allow deletes).
    ///
    /// # Errors
    /// Transport and API errors (`UNSUPPORTED`…; `BLOB_UNKNOWN`, except when it answers a
    /// retry after a lost reply: the earlier attempt deleted it, so the call succeeds and a
    /// tracing event says so).
    pub async fn delete_blob(&self, repo: &Reference, digest: &Digest) -> Result<()> {
        let req = self.blob_req(Method::DELETE, repo, digest, Scope::delete(repo.path()))?;
        self.send_delete(&req).await
    }
}

/// The first byte a `Content-Range: bytes START-END/TOTAL` reply carries.
pub(crate) fn content_range_start(value: &str) -> Option<u64> {
    value
        .strip_prefix("bytes ")
        .and_then(|r| r.split('-').next())
        .and_then(|s| s.parse::<u64>().ok())
}

/// The offset an upload's `Range: 0-N` status says to continue from (`N + 1`), for a blob of
/// `size` bytes; `None` for `0-0`, which distribution sends both for an empty upload and after
/// one byte.
pub(crate) fn parse_upload_range(
    raw: &str,
    size: u64,
) -> std::result::Result<Option<u64>, &'static str> {
    let r = raw.trim();
    let r = r.strip_prefix("bytes=").unwrap_or(r);
    let (start, end) = r.split_once('-').ok_or("not START-END")?;
    let (start, end) = (
        start.trim().parse::<u64>().map_err(|_| "not a number")?,
        end.trim().parse::<u64>().map_err(|_| "not a number")?,
    );
    if start != 0 {
        return Err("an upload's range starts at 0");
    }
    if end == 0 {
        return Ok(None);
    }
    match end.checked_add(1) {
        Some(next) if next <= size => Ok(Some(next)),
        _ => Err("beyond the end of the blob"),
    }
}

/// The `Content-Length` header (also on HEAD replies, whose body is empty).
pub(crate) fn content_length(resp: &reqwest::Response) -> Option<u64> {
    resp.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// Appends `digest=` to an upload URL (keeping the registry's own query parameters).
pub(crate) fn with_digest(mut url: url::Url, digest: &Digest) -> url::Url {
    url.query_pairs_mut().append_pair("digest", digest.as_str());
    url
}

/// Writes a verified stream to a temp file beside `path`, renaming it into place at the end; on
/// error the temp file is removed.
pub(crate) async fn write_verified(
    mut stream: impl Stream<Item = Result<Bytes>> + Unpin,
    path: &Path,
) -> Result<u64> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let tmp = TempFile::new(dir);
    let f = tokio::fs::File::create(tmp.path())
        .await
        .map_err(|e| Error::io("creating", tmp.path(), e))?;
    let mut w = tokio::io::BufWriter::with_capacity(1024 * 1024, f);
    let mut n = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        n += chunk.len() as u64;
        w.write_all(&chunk)
            .await
            .map_err(|e| Error::io("writing", tmp.path(), e))?;
    }
    w.flush()
        .await
        .map_err(|e| Error::io("writing", tmp.path(), e))?;
    drop(w);
    tmp.persist(path)
        .map_err(|e| Error::io("renaming into", path, e))?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_ranges() {
        assert_eq!(parse_upload_range("0-14", 25), Ok(Some(15)));
        assert_eq!(parse_upload_range("bytes=0-24", 25), Ok(Some(25)));
        assert_eq!(
            parse_upload_range(" 0-0 ", 25),
            Ok(None),
            "empty or one byte"
        );
        assert!(parse_upload_range("0-18446744073709551615", u64::MAX).is_err());
        assert!(parse_upload_range("0-25", 25).is_err());
        assert!(parse_upload_range("3-9", 25).is_err());
        for bad in ["", "-", "0-", "x-1", "0-1-2", "0--1"] {
            assert!(parse_upload_range(bad, 25).is_err(), "{bad}");
        }
    }
}
