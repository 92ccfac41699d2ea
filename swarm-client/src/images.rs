//! Images in the daemon: list, inspect, tag, remove, prune (`docker image ls|inspect|tag|rm|
//! prune`), pull and push with typed progress ([`crate::progress`]), save (`/images/get`,
//! streamed) and load (`/images/load`, streamed).
//!
//! Pull and push send `X-Registry-Auth` always (dockerd 20.10 answers 400 to a push without
//! it): the options' auth, else the client's default, else an anonymous one for the image's
//! registry. [`registry_auth_for`] finds the credentials in the docker `config.json` the way
//! the docker CLI does.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use swarm_client::Client;
//! use swarm_client::images::{ListOptions, PushOptions, registry_auth_for};
//!
//! let client = Client::from_env().await?;
//! for image in client.image_list(&ListOptions::new()).await? {
//!     println!("{} {:?}", image.id, image.repo_tags);
//! }
//! // docker tag web:1 127.0.0.1:5000/web:1 && docker push 127.0.0.1:5000/web:1
//! client.image_tag("web:1", "127.0.0.1:5000/web:1").await?;
//! let config = sdk_core::DockerConfig::load()?;
//! let auth = registry_auth_for(&config, "127.0.0.1:5000/web:1")?;
//! let pushed = client
//!     .image_push("127.0.0.1:5000/web:1", &PushOptions::new().registry_auth(auth))
//!     .await?
//!     .finish()
//!     .await?; // an in-stream failure (unauthorised, missing tag) is an Err
//! println!("{:?}", pushed.pushed);
//! # Ok(())
//! # }
//! ```

use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use registry_client::reference::Reference;
use reqwest::Method;
use sdk_core::{Credentials, DockerConfig, RegistryAuth};

use crate::client::{Client, Req, filters_json};
use crate::error::{Error, Result};
use crate::models::{ImageDeleted, ImageInspect, ImagePruneReport, ImageSummary};
use crate::path::segments;
use crate::progress::ProgressStream;

/// Options of [`Client::image_list`] (`docker image ls`).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
#[must_use]
pub struct ListOptions {
    all: bool,
    digests: bool,
    filters: Vec<(String, String)>,
}

impl ListOptions {
    /// Tagged and dangling top-level images (`docker image ls`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Intermediate images too (`-a`).
    pub fn all(mut self, all: bool) -> Self {
        self.all = all;
        self
    }

    /// Fill in `RepoDigests` (`--digests`).
    pub fn digests(mut self, digests: bool) -> Self {
        self.digests = digests;
        self
    }

    /// A filter (`--filter key=value`): `dangling=true`, `label=k=v`, `reference=web*`,
    /// `before=IMAGE`, `since=IMAGE`; repeatable.
    pub fn filter(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.filters.push((key.into(), value.into()));
        self
    }

    fn query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        if self.all {
            q.push(("all", "1".to_owned()));
        }
        if self.digests {
            q.push(("digests", "1".to_owned()));
        }
        if !self.filters.is_empty() {
            let pairs: Vec<(&str, &str)> = self
                .filters
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            q.push(("filters", filters_json(&pairs)));
        }
        q
    }
}

/// Options of [`Client::image_remove`] (`docker image rm`).
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
#[must_use]
pub struct RemoveOptions {
    force: bool,
    no_prune: bool,
}

impl RemoveOptions {
    /// No force, prune untagged parents.
    pub fn new() -> Self {
        Self::default()
    }

    /// Remove even when containers use it or several references name it (`-f`).
    pub fn force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// Keep untagged parents (`--no-prune`).
    pub fn no_prune(mut self, no_prune: bool) -> Self {
        self.no_prune = no_prune;
        self
    }
}

/// Options of [`Client::image_prune`] (`docker image prune`).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
#[must_use]
pub struct PruneOptions {
    all: bool,
    filters: Vec<(String, String)>,
}

impl PruneOptions {
    /// Dangling images only.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every image no container uses, not only dangling ones (`-a`).
    pub fn all(mut self, all: bool) -> Self {
        self.all = all;
        self
    }

    /// A filter (`until=24h`, `label=k=v`, `label!=k`); repeatable.
    pub fn filter(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.filters.push((key.into(), value.into()));
        self
    }

    fn query(&self) -> Vec<(&'static str, String)> {
        let mut pairs: Vec<(&str, &str)> = self
            .filters
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        if self.all {
            pairs.push(("dangling", "false"));
        }
        if pairs.is_empty() {
            Vec::new()
        } else {
            vec![("filters", filters_json(&pairs))]
        }
    }
}

/// Options of [`Client::image_pull`] (`docker pull`).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
#[must_use]
pub struct PullOptions {
    platform: Option<String>,
    registry_auth: Option<RegistryAuth>,
    all_tags: bool,
}

impl PullOptions {
    /// The daemon's platform, anonymous unless the client has a default auth.
    pub fn new() -> Self {
        Self::default()
    }

    /// `--platform os/arch[/variant]`.
    pub fn platform(mut self, platform: impl Into<String>) -> Self {
        self.platform = Some(platform.into());
        self
    }

    /// Credentials for the registry (`X-Registry-Auth`).
    pub fn registry_auth(mut self, auth: RegistryAuth) -> Self {
        self.registry_auth = Some(auth);
        self
    }

    /// Every tag of the repository (`-a`).
    pub fn all_tags(mut self, all: bool) -> Self {
        self.all_tags = all;
        self
    }
}

/// Options of [`Client::image_push`] (`docker push`).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
#[must_use]
pub struct PushOptions {
    registry_auth: Option<RegistryAuth>,
    all_tags: bool,
}

impl PushOptions {
    /// Anonymous unless the client has a default auth.
    pub fn new() -> Self {
        Self::default()
    }

    /// Credentials for the registry (`X-Registry-Auth`).
    pub fn registry_auth(mut self, auth: RegistryAuth) -> Self {
        self.registry_auth = Some(auth);
        self
    }

    /// Every tag of the repository (`-a`).
    pub fn all_tags(mut self, all: bool) -> Self {
        self.all_tags = all;
        self
    }
}

/// The `X-Registry-Auth` the docker CLI sends for `image`: the credentials `config` holds for
/// the image's registry (helpers included), paired with the registry's key
/// (`https://index.docker.io/v1/` for Docker Hub).
///
/// # Errors
/// [`Error::InvalidArgument`] for a reference docker would refuse; a failing credential
/// helper ([`Error::Transport`] around sdk-core's error).
pub fn registry_auth_for(config: &DockerConfig, image: &str) -> Result<RegistryAuth> {
    let r = parse_reference(image)?;
    config
        .registry_auth(r.domain())
        .map_err(|source| Error::Transport {
            endpoint: "docker config".into(),
            source,
        })
}

fn parse_reference(image: &str) -> Result<Reference> {
    Reference::parse(image).map_err(|e| Error::InvalidArgument {
        what: "image reference",
        message: format!("{image:?}: {e}"),
    })
}

/// The header value for a pull or push of `image`: `auth`, else an anonymous auth naming the
/// image's registry (dockerd 20.10 refuses a push without the header).
fn auth_header(auth: Option<&RegistryAuth>, image: &Reference) -> (&'static str, String) {
    let value = auth.map_or_else(
        || {
            RegistryAuth::new(
                Credentials::Anonymous,
                DockerConfig::registry_key(image.domain()),
            )
            .encode()
        },
        RegistryAuth::encode,
    );
    ("X-Registry-Auth", value)
}

/// A `docker save` tar streamed from the daemon ([`Client::image_save`]): a stream of byte
/// chunks, or an [`tokio::io::AsyncRead`] with [`ImageExport::into_reader`].
pub struct ImageExport {
    inner: Pin<Box<dyn Stream<Item = Result<Bytes>> + Send>>,
}

impl std::fmt::Debug for ImageExport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ImageExport")
    }
}

impl Stream for ImageExport {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl ImageExport {
    /// The tar as an `AsyncRead`; an error of the stream is an `io::Error` whose inner error
    /// (`get_ref`) is this crate's [`Error`].
    pub fn into_reader(self) -> impl tokio::io::AsyncRead + Send + Unpin + 'static {
        tokio_util::io::StreamReader::new(self.map(|r| r.map_err(std::io::Error::other)))
    }

    /// Writes the whole tar to `w`; returns the number of bytes.
    ///
    /// # Errors
    /// The stream's errors; [`Error::Io`] when writing fails.
    pub async fn write_to<W: tokio::io::AsyncWrite + Unpin>(mut self, w: &mut W) -> Result<u64> {
        use tokio::io::AsyncWriteExt as _;
        let mut n = 0u64;
        while let Some(chunk) = self.next().await {
            let chunk = chunk?;
            n += chunk.len() as u64;
            w.write_all(&chunk).await.map_err(|source| Error::Io {
                what: "write",
                path: "image archive".into(),
                source,
            })?;
        }
        w.flush().await.map_err(|source| Error::Io {
            what: "write",
            path: "image archive".into(),
            source,
        })?;
        Ok(n)
    }

    /// Writes the whole tar to the file `path` (`docker save -o PATH`): streamed into a new
    /// temporary file beside it, synced, then renamed over `path`, so `path` never holds half an
    /// archive (on any error the temporary file is removed and `path` is untouched). Returns the
    /// number of bytes.
    ///
    /// # Errors
    /// The stream's errors; [`Error::Io`] when the file cannot be created, written or renamed.
    pub async fn write_to_file(self, path: &Path) -> Result<u64> {
        let io = |what: &'static str, p: &Path| {
            let p = p.to_owned();
            move |source| Error::Io {
                what,
                path: p,
                source,
            }
        };
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| Path::new("."));
        let name = path.file_name().map_or_else(
            || std::borrow::Cow::Borrowed("archive"),
            |n| n.to_string_lossy(),
        );
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos();
        let tmp = dir.join(format!(".{name}.{}-{nanos:x}.part", std::process::id()));
        let mut f = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .await
            .map_err(io("create", &tmp))?;
        let written = async {
            let n = self.write_to(&mut f).await?;
            f.sync_all().await.map_err(io("write", &tmp))?;
            drop(f);
            tokio::fs::rename(&tmp, path)
                .await
                .map_err(io("rename into place", path))?;
            Ok(n)
        }
        .await;
        if written.is_err() {
            let _ = tokio::fs::remove_file(&tmp).await;
        }
        written
    }
}

impl Client {
    /// `GET /images/json` (`docker image ls`).
    ///
    /// # Errors
    /// API errors (a bad filter is a 400).
    pub async fn image_list(&self, opts: &ListOptions) -> Result<Vec<ImageSummary>> {
        self.get_json("/images/json", &opts.query()).await
    }

    /// `GET /images/{name}/json` (`docker image inspect`): by name, `name:tag`, ID or ID prefix.
    ///
    /// # Errors
    /// [`Error::NotFound`] (`No such image: …`); other API errors.
    pub async fn image_inspect(&self, name: &str) -> Result<ImageInspect> {
        self.get_json(&format!("/images/{}/json", segments("image", name)?), &[])
            .await
    }

    /// `POST /images/{source}/tag?repo=&tag=` (`docker tag SOURCE TARGET`); `target` is a
    /// reference, its tag `latest` when it has none.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a target docker refuses (a digest reference, a bad name);
    /// [`Error::NotFound`] when `source` does not exist; other API errors.
    pub async fn image_tag(&self, source: &str, target: &str) -> Result<()> {
        let r = parse_reference(target)?;
        if r.digest().is_some() {
            return Err(Error::InvalidArgument {
                what: "tag",
                message: format!("refusing to create a tag with a digest reference: {target}"),
            });
        }
        let q = [
            ("repo", r.familiar_name()),
            ("tag", r.tag().unwrap_or("latest").to_owned()),
        ];
        self.post_unit::<()>(
            &format!("/images/{}/tag", segments("image", source)?),
            &q,
            None,
            &[],
        )
        .await?;
        Ok(())
    }

    /// `DELETE /images/{name}` (`docker image rm`): what was untagged and deleted.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Conflict`] when a container uses it or several
    /// repositories name it (without force); other API errors.
    pub async fn image_remove(
        &self,
        name: &str,
        opts: &RemoveOptions,
    ) -> Result<Vec<ImageDeleted>> {
        let mut q = Vec::new();
        if opts.force {
            q.push(("force", "1".to_owned()));
        }
        if opts.no_prune {
            q.push(("noprune", "1".to_owned()));
        }
        let req = Req::new(
            Method::DELETE,
            format!("/images/{}", segments("image", name)?),
        )
        .query(&q);
        let endpoint = req.endpoint();
        let resp = self.call(req).await?;
        self.decode(resp, &endpoint).await
    }

    /// `POST /images/prune` (`docker image prune [-a]`).
    ///
    /// # Errors
    /// API errors.
    pub async fn image_prune(&self, opts: &PruneOptions) -> Result<ImagePruneReport> {
        self.post_json("/images/prune", &opts.query(), &serde_json::json!({}), &[])
            .await
    }

    /// `POST /images/create?fromImage=&tag=` (`docker pull`): the daemon pulls; read the
    /// returned stream to the end ([`ProgressStream::finish`]) to know it succeeded.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a bad reference; API errors before the stream (an
    /// unknown manifest is a 404 on dockerd 20.10); failures inside it as stream items.
    pub async fn image_pull(&self, image: &str, opts: &PullOptions) -> Result<ProgressStream> {
        let r = parse_reference(image)?;
        let mut q = vec![("fromImage", r.familiar_name())];
        if !opts.all_tags {
            let tag = match (r.digest(), r.tag()) {
                (Some(d), _) => d.to_string(),
                (None, Some(t)) => t.to_owned(),
                (None, None) => "latest".to_owned(),
            };
            q.push(("tag", tag));
        }
        if let Some(p) = &opts.platform {
            q.push(("platform", p.to_ascii_lowercase()));
        }
        let auth = opts.registry_auth.as_ref().or(self.default_registry_auth());
        let req = Req::new(Method::POST, "/images/create")
            .query(&q)
            .headers(&[auth_header(auth, &r)]);
        self.progress(req).await
    }

    /// `POST /images/{name}/push?tag=` (`docker push`), with `X-Registry-Auth` always; read the
    /// returned stream to the end: an unauthorised push or a missing local tag fails inside it
    /// ([`Error::InStream`]).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a bad or digest reference; API errors before the stream;
    /// failures inside it as stream items.
    pub async fn image_push(&self, image: &str, opts: &PushOptions) -> Result<ProgressStream> {
        let r = parse_reference(image)?;
        if r.digest().is_some() {
            return Err(Error::InvalidArgument {
                what: "image reference",
                message: format!("cannot push a digest reference: {image}"),
            });
        }
        let mut q = Vec::new();
        if !opts.all_tags {
            q.push(("tag", r.tag().unwrap_or("latest").to_owned()));
        }
        let auth = opts.registry_auth.as_ref().or(self.default_registry_auth());
        let req = Req::new(
            Method::POST,
            format!("/images/{}/push", segments("image", &r.familiar_name())?),
        )
        .query(&q)
        .headers(&[auth_header(auth, &r)]);
        self.progress(req).await
    }

    /// `GET /images/get?names=…` (`docker save`): one or more images (names, `name:tag`, IDs)
    /// as a `docker save` tar, streamed as it comes. dockerd 20.10 writes the whole export to
    /// disk before its first byte; the wait for it and every later silence is limited by the
    /// client's `image_timeout`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] without names; [`Error::NotFound`] for an unknown image;
    /// transport errors and timeouts as stream items later.
    pub async fn image_save(&self, names: &[&str]) -> Result<ImageExport> {
        if names.is_empty() {
            return Err(Error::InvalidArgument {
                what: "names",
                message: "no image to save".into(),
            });
        }
        let q: Vec<(&'static str, String)> =
            names.iter().map(|n| ("names", (*n).to_owned())).collect();
        let idle = self.image_timeout();
        let req = Req::new(Method::GET, "/images/get")
            .query(&q)
            .streaming()
            .header_timeout(idle);
        let endpoint = req.endpoint();
        let resp = self.call(req).await?;
        let body = resp.bytes_stream();
        let inner = futures_util::stream::unfold(
            (Box::pin(body), endpoint, false),
            move |(mut body, endpoint, done)| async move {
                if done {
                    return None;
                }
                match tokio::time::timeout(idle, body.next()).await {
                    Err(_) => {
                        let e = Error::Timeout {
                            what: format!("{endpoint} sent nothing for {idle:?}"),
                            after: idle,
                        };
                        Some((Err(e), (body, endpoint, true)))
                    }
                    Ok(None) => None,
                    Ok(Some(Ok(chunk))) => Some((Ok(chunk), (body, endpoint, false))),
                    Ok(Some(Err(source))) => {
                        let e = Error::Http {
                            endpoint: endpoint.clone(),
                            source: source.without_url(),
                        };
                        Some((Err(e), (body, endpoint, true)))
                    }
                }
            },
        );
        Ok(ImageExport {
            inner: Box::pin(inner),
        })
    }

    /// `POST /images/load` (`docker load`) of a `docker save` tar streamed from `body` (chunks
    /// are sent as they come; nothing is buffered whole). When `body` fails, the upload is cut
    /// and the daemon loads nothing (the error comes back as a transport error of this call).
    ///
    /// # Errors
    /// API errors before the stream; the daemon's failures (a corrupt archive, a layer whose
    /// diff ID does not match its config) as stream items.
    pub async fn image_load<S, E>(&self, body: S, quiet: bool) -> Result<ProgressStream>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
    {
        let q = [("quiet", if quiet { "1" } else { "0" }.to_owned())];
        let req = Req::new(Method::POST, "/images/load")
            .query(&q)
            .stream_body(reqwest::Body::wrap_stream(body), "application/x-tar");
        self.progress(req).await
    }

    /// [`Client::image_load`] of an archive file (`docker load -i FILE`), streamed from disk.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be opened; as [`Client::image_load`].
    pub async fn image_load_file(&self, path: &Path, quiet: bool) -> Result<ProgressStream> {
        let f = tokio::fs::File::open(path)
            .await
            .map_err(|source| Error::Io {
                what: "open",
                path: path.to_owned(),
                source,
            })?;
        let body = tokio_util::io::ReaderStream::with_capacity(f, 256 * 1024);
        self.image_load(body, quiet).await
    }

    /// Sends a request whose reply is a JSON-message progress stream, waiting up to the image
    /// timeout for the headers and between lines.
    pub(crate) async fn progress(&self, req: Req) -> Result<ProgressStream> {
        let idle = self.image_timeout();
        let req = req.streaming().header_timeout(idle);
        let endpoint = req.endpoint();
        let resp = self.call(req).await?;
        Ok(ProgressStream::from_response(resp, endpoint, idle))
    }
}

/// Columns of [`image_table`] (`docker image ls --digests --no-trunc`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
#[must_use]
pub struct TableOptions {
    /// A `DIGEST` column (`--digests`).
    pub digests: bool,
    /// Full image IDs (`--no-trunc`).
    pub no_trunc: bool,
}

impl TableOptions {
    /// Truncated IDs, no digests.
    pub fn new() -> Self {
        Self::default()
    }

    /// With a `DIGEST` column.
    pub fn digests(mut self, on: bool) -> Self {
        self.digests = on;
        self
    }

    /// Full image IDs.
    pub fn no_trunc(mut self, on: bool) -> Self {
        self.no_trunc = on;
        self
    }
}

/// An image ID as `docker image ls` shows it: 12 hex characters, or the full `sha256:…`.
#[must_use]
pub fn short_id(id: &str, no_trunc: bool) -> String {
    if no_trunc {
        return id.to_owned();
    }
    let hex = id.split_once(':').map_or(id, |(_, h)| h);
    hex.chars().take(12).collect()
}

/// The IDs `docker image ls -q` prints: one per row of [`image_table`] with the same options
/// (an image with two tags is listed twice, as the docker CLI does).
#[must_use]
pub fn image_ids(images: &[ImageSummary], opts: TableOptions) -> Vec<String> {
    images
        .iter()
        .flat_map(|i| {
            let id = short_id(&i.id, opts.no_trunc);
            image_rows(i, opts.digests)
                .into_iter()
                .map(move |_| id.clone())
        })
        .collect()
}

/// The rows of one image: `(repository, tag, digest)` like the docker CLI's formatter (a row
/// per tag, digests of the same repository beside each tag, digest-only repositories after).
fn image_rows(img: &ImageSummary, digests: bool) -> Vec<(String, String, String)> {
    use std::collections::BTreeMap;
    let none = || "<none>".to_owned();
    let dangling = |v: &[String], marker: &str| v.is_empty() || v == [marker];
    if dangling(&img.repo_tags, "<none>:<none>") && dangling(&img.repo_digests, "<none>@<none>") {
        return vec![(none(), none(), none())];
    }
    let mut tags: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for t in &img.repo_tags {
        if let Ok(r) = Reference::parse(t)
            && let Some(tag) = r.tag()
        {
            tags.entry(r.familiar_name())
                .or_default()
                .push(tag.to_owned());
        }
    }
    let mut dig: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for d in &img.repo_digests {
        if let Ok(r) = Reference::parse(d)
            && let Some(digest) = r.digest()
        {
            dig.entry(r.familiar_name())
                .or_default()
                .push(digest.to_string());
        }
    }
    let mut rows = Vec::new();
    for (repo, ts) in &tags {
        let ds = dig.remove(repo).filter(|_| digests).unwrap_or_default();
        for t in ts {
            if ds.is_empty() {
                rows.push((repo.clone(), t.clone(), none()));
            }
            for d in &ds {
                rows.push((repo.clone(), t.clone(), d.clone()));
            }
        }
    }
    for (repo, ds) in dig {
        if digests {
            for d in ds {
                rows.push((repo.clone(), none(), d));
            }
        } else {
            rows.push((repo, none(), String::new()));
        }
    }
    rows
}

/// `docker image ls`'s table: `REPOSITORY TAG [DIGEST] IMAGE ID CREATED SIZE`, aligned like
/// the docker CLI's tabwriter (columns at least 10 wide, 3 spaces apart), `CREATED` relative
/// to `now`, sizes in go-units' decimal units with 3 digits.
#[must_use]
pub fn image_table(
    images: &[ImageSummary],
    opts: TableOptions,
    now: std::time::SystemTime,
) -> String {
    /// Go's zero time as Unix seconds: what dockerd reports for an image without `created`.
    const GO_ZERO_TIME: i64 = -62_135_596_800;
    let mut rows: Vec<Vec<String>> = vec![{
        let mut h = vec!["REPOSITORY".to_owned(), "TAG".to_owned()];
        if opts.digests {
            h.push("DIGEST".to_owned());
        }
        h.extend(["IMAGE ID", "CREATED", "SIZE"].map(str::to_owned));
        h
    }];
    for img in images {
        let created = if img.created == GO_ZERO_TIME {
            "N/A".to_owned()
        } else {
            let at = std::time::UNIX_EPOCH
                .checked_add(std::time::Duration::from_secs(
                    img.created.max(0).unsigned_abs(),
                ))
                .unwrap_or(std::time::UNIX_EPOCH);
            let ago = now.duration_since(at).unwrap_or_default();
            format!("{} ago", sdk_grammar::units::human_duration(ago))
        };
        #[allow(clippy::cast_precision_loss)] // a size shown with 3 digits
        let size = sdk_grammar::units::human_size_with_precision(img.size as f64, 3);
        for (repo, tag, digest) in image_rows(img, opts.digests) {
            let mut row = vec![repo, tag];
            if opts.digests {
                row.push(digest);
            }
            row.extend([
                short_id(&img.id, opts.no_trunc),
                created.clone(),
                size.clone(),
            ]);
            rows.push(row);
        }
    }
    tabwrite(&rows)
}

/// Go's `tabwriter` as the docker CLI sets it up (min width 10, padding 3): every column but
/// the last padded to its widest cell plus 3, at least 10.
fn tabwrite(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; cols];
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count() + 3).max(10);
        }
    }
    let mut out = String::new();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i + 1 == r.len() {
                out.push_str(c);
            } else {
                out.push_str(c);
                out.push_str(&" ".repeat(widths[i] - c.chars().count()));
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_like_the_docker_cli() {
        let images: Vec<ImageSummary> = serde_json::from_str(
            r#"[{"Id":"sha256:7337340ac3241b6f1a0e5e8c6b1f0f3e3b9c2a1d0e9f8a7b6c5d4e3f2a1b0c9d","RepoTags":["127.0.0.1:5000/web:1","127.0.0.1:5000/web:latest","busybox:1"],
                 "RepoDigests":["127.0.0.1:5000/web@sha256:b732a77f02e4d2322dc68ff768c22971381155e09a68ee6e4d55491299d33c78"],"Created":-62135596800,"Size":1980000},
                {"Id":"sha256:aaaaaaaaaaaabbbbbbbbbbbbccccccccccccddddddddddddeeeeeeeeeeeeffff","RepoTags":null,"RepoDigests":null,"Created":1000,"Size":1073741824}]"#,
        )
        .unwrap();
        let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1000 + 3 * 3600);
        let t = image_table(&images, TableOptions::new(), now);
        assert_eq!(
            t,
            "REPOSITORY           TAG       IMAGE ID       CREATED       SIZE\n\
             127.0.0.1:5000/web   1         7337340ac324   N/A           1.98MB\n\
             127.0.0.1:5000/web   latest    7337340ac324   N/A           1.98MB\n\
             busybox              1         7337340ac324   N/A           1.98MB\n\
             <none>               <none>    aaaaaaaaaaaa   3 hours ago   1.07GB\n"
        );
        let t = image_table(
            &images,
            TableOptions::new().digests(true).no_trunc(true),
            now,
        );
        assert!(
            t.starts_with("REPOSITORY           TAG       DIGEST "),
            "{t}"
        );
        assert!(t.contains("web   1         sha256:b732a77f"), "{t}");
        assert!(t.contains("sha256:aaaaaaaaaaaabbbb"), "{t}");
        // One ID per row, as `docker image ls -q` prints them.
        assert_eq!(
            image_ids(&images, TableOptions::new()),
            [
                "7337340ac324",
                "7337340ac324",
                "7337340ac324",
                "aaaaaaaaaaaa"
            ]
        );
        let full = image_ids(&images[1..], TableOptions::new().no_trunc(true));
        assert_eq!(full, [images[1].id.clone()]);
    }

    #[test]
    fn filters_and_auth_header() {
        let q = ListOptions::new()
            .all(true)
            .filter("dangling", "true")
            .query();
        assert_eq!(q[0], ("all", "1".to_owned()));
        assert_eq!(q[1], ("filters", r#"{"dangling":["true"]}"#.to_owned()));
        let q = PruneOptions::new().all(true).filter("until", "24h").query();
        assert_eq!(
            q,
            [(
                "filters",
                r#"{"dangling":["false"],"until":["24h"]}"#.to_owned()
            )]
        );
        let r = parse_reference("127.0.0.1:5000/web:1").unwrap();
        let (name, value) = auth_header(None, &r);
        assert_eq!(name, "X-Registry-Auth");
        let back = RegistryAuth::decode(&value).unwrap();
        assert_eq!(back.server_address(), "127.0.0.1:5000");
        assert!(back.credentials().is_anonymous());
        let hub = parse_reference("busybox").unwrap();
        let back = RegistryAuth::decode(&auth_header(None, &hub).1).unwrap();
        assert_eq!(back.server_address(), "https://index.docker.io/v1/");
    }
}
