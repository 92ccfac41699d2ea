//! [`Client`] and [`ClientBuilder`]: the connection to one Docker Engine, API version negotiation
//! and the request helpers every resource module uses.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument as _;

use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use sdk_core::error_body::ErrorBody;
use sdk_core::{Endpoint, Idempotent, RegistryAuth, RetryPolicy, Transport};

use crate::error::{Error, Result};
use crate::models::Version;

/// An Engine API version such as `1.41`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiVersion {
    major: u32,
    minor: u32,
}

impl ApiVersion {
    /// The oldest API version this crate speaks (docker 20.10).
    pub const MIN: Self = Self::new(1, 41);
    /// The newest API version this crate knows (docker 28.x).
    pub const MAX: Self = Self::new(1, 51);

    /// A version `major.minor`.
    #[must_use]
    pub const fn new(major: u32, minor: u32) -> Self {
        Self { major, minor }
    }

    /// The major number.
    #[must_use]
    pub const fn major(self) -> u32 {
        self.major
    }

    /// The minor number.
    #[must_use]
    pub const fn minor(self) -> u32 {
        self.minor
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for ApiVersion {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let bad = || Error::InvalidArgument {
            what: "api version",
            message: format!("{s:?} is not MAJOR.MINOR"),
        };
        let s2 = s.strip_prefix('v').unwrap_or(s);
        let (a, b) = s2.split_once('.').ok_or_else(bad)?;
        Ok(Self {
            major: a.parse().map_err(|_| bad())?,
            minor: b.parse().map_err(|_| bad())?,
        })
    }
}

/// The default limit of a reply body read whole (JSON replies, `ClientBuilder::max_reply_size`):
/// 16 MiB, room for thousands of services or tasks in one list.
pub const DEFAULT_MAX_REPLY: usize = 16 * 1024 * 1024;

/// How much of an error reply is read for its message: 64 KiB (dockerd's messages are one
/// line); the rest is not read.
pub const MAX_ERROR_BODY: usize = sdk_core::error_body::ERROR_BODY_LIMIT;

/// The default of `ClientBuilder::timeout`: 60 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The default of `ClientBuilder::image_timeout`: 30 minutes. dockerd 20.10 writes a whole
/// `docker save` to a temporary directory before the first byte of `/images/get` (about 8 s
/// per GiB here), unpacks a whole `/images/load` archive before its first progress line, and a
/// build step or a layer download may be silent for minutes.
pub const DEFAULT_IMAGE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Builder of a [`Client`].
#[derive(Debug, Clone)]
#[must_use]
pub struct ClientBuilder {
    endpoint: std::result::Result<Endpoint, String>,
    transport: Option<Transport>,
    version: Option<ApiVersion>,
    timeout: Duration,
    connect_timeout: Duration,
    retry: Option<RetryPolicy>,
    registry_auth: Option<RegistryAuth>,
    max_reply: usize,
    image_timeout: Duration,
}

impl ClientBuilder {
    /// A builder for `endpoint` (`unix:///var/run/docker.sock`, `tcp://127.0.0.1:2375`,
    /// `http(s)://…`); parsed by sdk-core, errors reported by `build`.
    pub fn new(endpoint: &str) -> Self {
        Self::from_endpoint_result(
            endpoint
                .parse::<Endpoint>()
                .map_err(|e| format!("{endpoint:?}: {e}")),
        )
    }

    /// A builder for a parsed sdk-core [`Endpoint`] (e.g. `Endpoint::from_env()?`, with TLS).
    pub fn endpoint(endpoint: Endpoint) -> Self {
        Self::from_endpoint_result(Ok(endpoint))
    }

    /// A builder over an existing sdk-core [`Transport`] (shares its pool and retry policy).
    pub fn transport(transport: Transport) -> Self {
        let mut b = Self::from_endpoint_result(Ok(transport.endpoint().clone()));
        b.transport = Some(transport);
        b
    }

    fn from_endpoint_result(endpoint: std::result::Result<Endpoint, String>) -> Self {
        Self {
            endpoint,
            transport: None,
            version: None,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: Duration::from_secs(5),
            retry: None,
            registry_auth: None,
            max_reply: DEFAULT_MAX_REPLY,
            image_timeout: DEFAULT_IMAGE_TIMEOUT,
        }
    }

    /// Pins the API version instead of negotiating it in [`ClientBuilder::connect`].
    pub fn api_version(mut self, version: ApiVersion) -> Self {
        self.version = Some(version);
        self
    }

    /// How long the daemon may take, default [`DEFAULT_TIMEOUT`] (60 s); then
    /// [`Error::Timeout`]:
    /// - an ordinary (non-streaming) call as a whole: sending, retries, the reply's headers and
    ///   reading its body;
    /// - a streaming call (events, logs, exec output) until the reply's headers arrive;
    /// - the silence allowed in output that ends (exec, logs without follow) — unless
    ///   `ExecOptions::idle_timeout` says otherwise.
    ///
    /// Follow streams (`events`, logs with follow) are healthy while silent and are never timed
    /// out once open; they run until dropped.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long the image calls that legitimately work before their first byte may stay
    /// silent — before the reply's headers and between its bytes — default
    /// [`DEFAULT_IMAGE_TIMEOUT`] (30 min); then [`Error::Timeout`]: export
    /// (`/images/get`), load, build, pull and push. The silence is what is limited, never the
    /// length of a transfer that keeps moving.
    pub fn image_timeout(mut self, timeout: Duration) -> Self {
        self.image_timeout = timeout;
        self
    }

    /// The largest reply body read whole (a JSON reply), default [`DEFAULT_MAX_REPLY`]
    /// (16 MiB); a larger one is [`Error::TooLarge`] and is not read past the limit.
    pub fn max_reply_size(mut self, bytes: usize) -> Self {
        self.max_reply = bytes;
        self
    }

    /// Connect timeout; default 5 s (ignored with [`ClientBuilder::transport`]).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Retry policy of the transport (default sdk-core's; ignored with [`ClientBuilder::transport`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Registry auth sent as `X-Registry-Auth` on service create/update unless the call gives one.
    pub fn registry_auth(mut self, auth: RegistryAuth) -> Self {
        self.registry_auth = Some(auth);
        self
    }

    /// Builds the client without contacting the daemon. The API version is the pinned one or
    /// [`ApiVersion::MIN`] (which every supported daemon speaks).
    ///
    /// # Errors
    /// [`Error::Config`] for an unusable endpoint, [`Error::Transport`] when the transport cannot
    /// be set up (e.g. TLS files).
    pub fn build(self) -> Result<Client> {
        let endpoint = self.endpoint.map_err(Error::Config)?;
        let transport = match self.transport {
            Some(t) => t,
            None => {
                let mut b =
                    Transport::builder(endpoint.clone()).connect_timeout(self.connect_timeout);
                if let Some(r) = self.retry {
                    b = b.retry(r);
                }
                b.build().map_err(|source| Error::Transport {
                    endpoint: "client setup".into(),
                    source,
                })?
            }
        };
        Ok(Client {
            inner: Arc::new(Inner {
                transport,
                endpoint: endpoint.to_string(),
                version: self.version.unwrap_or(ApiVersion::MIN),
                timeout: self.timeout,
                registry_auth: self.registry_auth,
                max_reply: self.max_reply,
                image_timeout: self.image_timeout,
            }),
        })
    }

    /// Builds the client and negotiates the API version with `GET /version`: the lower of the
    /// daemon's `ApiVersion` and [`ApiVersion::MAX`] (unless one was pinned).
    ///
    /// # Errors
    /// As [`ClientBuilder::build`]; transport/API errors of `GET /version`;
    /// [`Error::UnsupportedApiVersion`] when the daemon is older than 1.41.
    pub async fn connect(self) -> Result<Client> {
        let pinned = self.version.is_some();
        let client = self.build()?;
        if pinned {
            return Ok(client);
        }
        client.negotiate().await
    }
}

#[derive(Clone)]
struct Inner {
    transport: Transport,
    endpoint: String,
    version: ApiVersion,
    timeout: Duration,
    registry_auth: Option<RegistryAuth>,
    max_reply: usize,
    image_timeout: Duration,
}

/// A client of one Docker Engine (a swarm manager for swarm/service calls, any node for exec).
///
/// Cheap to clone; clones share the connection pool.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.inner.endpoint)
            .field("api_version", &self.inner.version)
            .finish_non_exhaustive()
    }
}

/// One request to the Engine API, rebuildable for retries.
pub(crate) struct Req {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: Vec<(&'static str, String)>,
    pub(crate) body: Option<Vec<u8>>,
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) streaming: bool,
    pub(crate) versioned: bool,
    /// A one-shot streamed request body (never retried).
    pub(crate) stream_body: Option<reqwest::Body>,
    /// How long to wait for the reply's headers, when not the client's timeout.
    pub(crate) header_timeout: Option<Duration>,
}

impl Req {
    pub(crate) fn new(method: Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
            headers: Vec::new(),
            streaming: false,
            versioned: true,
            stream_body: None,
            header_timeout: None,
        }
    }

    pub(crate) fn query(mut self, q: &[(&'static str, String)]) -> Self {
        self.query.extend(q.iter().cloned());
        self
    }

    pub(crate) fn json<B: Serialize + ?Sized>(mut self, body: &B) -> Result<Self> {
        self.body = Some(serde_json::to_vec(body).map_err(|source| Error::Encode {
            what: "request body",
            source,
        })?);
        self.headers
            .push(("content-type", "application/json".into()));
        Ok(self)
    }

    pub(crate) fn headers(mut self, h: &[(&'static str, String)]) -> Self {
        self.headers.extend(h.iter().cloned());
        self
    }

    pub(crate) fn streaming(mut self) -> Self {
        self.streaming = true;
        self
    }

    /// A streamed body with its content type (sent once: a request with one is never retried).
    pub(crate) fn stream_body(mut self, body: reqwest::Body, content_type: &str) -> Self {
        self.stream_body = Some(body);
        self.headers.push(("content-type", content_type.to_owned()));
        self
    }

    /// Waits up to `timeout` for the reply's headers instead of the client's timeout.
    pub(crate) fn header_timeout(mut self, timeout: Duration) -> Self {
        self.header_timeout = Some(timeout);
        self
    }

    pub(crate) fn endpoint(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

impl Client {
    /// A builder for `endpoint`.
    pub fn builder(endpoint: &str) -> ClientBuilder {
        ClientBuilder::new(endpoint)
    }

    /// Connects to `endpoint` and negotiates the API version.
    ///
    /// # Errors
    /// See [`ClientBuilder::connect`].
    pub async fn connect(endpoint: &str) -> Result<Self> {
        ClientBuilder::new(endpoint).connect().await
    }

    /// Connects to the daemon the docker CLI would use (`DOCKER_HOST`, contexts,
    /// `DOCKER_TLS_VERIFY`/`DOCKER_CERT_PATH`, via sdk-core's `Endpoint::from_env`) and negotiates.
    ///
    /// # Errors
    /// [`Error::Transport`] for a bad environment; see [`ClientBuilder::connect`].
    pub async fn from_env() -> Result<Self> {
        let endpoint = Endpoint::from_env().map_err(|source| Error::Transport {
            endpoint: "DOCKER_HOST".into(),
            source,
        })?;
        ClientBuilder::endpoint(endpoint).connect().await
    }

    /// The endpoint this client talks to.
    #[must_use]
    pub fn endpoint(&self) -> &str {
        &self.inner.endpoint
    }

    /// The API version used in request paths.
    #[must_use]
    pub fn api_version(&self) -> ApiVersion {
        self.inner.version
    }

    /// The sdk-core transport.
    #[must_use]
    pub fn transport(&self) -> &Transport {
        &self.inner.transport
    }

    /// A copy of this client that sends `X-Registry-Auth` on service create/update by default.
    #[must_use]
    pub fn with_registry_auth(&self, auth: Option<RegistryAuth>) -> Self {
        let mut inner = (*self.inner).clone();
        inner.registry_auth = auth;
        Self {
            inner: Arc::new(inner),
        }
    }

    pub(crate) fn default_registry_auth(&self) -> Option<&RegistryAuth> {
        self.inner.registry_auth.as_ref()
    }

    /// The timeout of [`ClientBuilder::timeout`].
    pub(crate) fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// The timeout of [`ClientBuilder::image_timeout`].
    pub(crate) fn image_timeout(&self) -> Duration {
        self.inner.image_timeout
    }

    fn limits(&self, size: usize) -> Limits {
        Limits {
            size,
            timeout: self.inner.timeout,
        }
    }

    /// Reads (up to [`ClientBuilder::max_reply_size`]) and decodes a JSON reply of
    /// [`Client::call`].
    pub(crate) async fn decode<T: DeserializeOwned>(
        &self,
        resp: reqwest::Response,
        endpoint: &str,
    ) -> Result<T> {
        decode_limited(resp, endpoint, self.limits(self.inner.max_reply)).await
    }

    /// Runs `call` (a whole request: send, retries, reply read) within the client's timeout.
    async fn within_timeout<T>(
        &self,
        endpoint: &str,
        call: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        tokio::time::timeout(self.inner.timeout, call)
            .await
            .unwrap_or_else(|_| {
                Err(Error::Timeout {
                    what: format!("{endpoint} (no complete reply)"),
                    after: self.inner.timeout,
                })
            })
    }

    fn with_version(&self, version: ApiVersion) -> Self {
        let mut inner = (*self.inner).clone();
        inner.version = version;
        Self {
            inner: Arc::new(inner),
        }
    }

    /// `GET /version` (unversioned path).
    ///
    /// # Errors
    /// Transport and API errors.
    pub async fn version(&self) -> Result<Version> {
        let mut req = Req::new(Method::GET, "/version");
        req.versioned = false;
        self.within_timeout("GET /version", async {
            let resp = self.call(req).await?;
            decode_limited(resp, "GET /version", self.limits(self.inner.max_reply)).await
        })
        .await
    }

    async fn negotiate(self) -> Result<Self> {
        let v = self.version().await?;
        let server: ApiVersion = v.api_version.parse()?;
        if server < ApiVersion::MIN {
            return Err(Error::UnsupportedApiVersion {
                server: v.api_version,
                minimum: ApiVersion::MIN.to_string(),
            });
        }
        Ok(self.with_version(server.min(ApiVersion::MAX)))
    }

    /// Sends a request through the sdk-core transport (retrying idempotent methods) and maps
    /// error statuses to [`Error`].
    pub(crate) async fn call(&self, mut req: Req) -> Result<reqwest::Response> {
        let endpoint = req.endpoint();
        let path = if req.versioned {
            format!("/v{}{}", self.inner.version, req.path)
        } else {
            req.path.clone()
        };
        let url = self
            .inner
            .transport
            .url(&path)
            .map_err(|source| Error::Transport {
                endpoint: endpoint.clone(),
                source,
            })?;
        let timeout = (!req.streaming).then_some(self.inner.timeout);
        let header_timeout = req.header_timeout.unwrap_or(self.inner.timeout);
        let mut stream_body = req.stream_body.take();
        let idempotent = if stream_body.is_some() {
            Idempotent::No
        } else {
            Idempotent::ByMethod
        };
        let span = tracing::debug_span!("engine_request", endpoint = %endpoint);
        let sent = self
            .inner
            .transport
            .send(
                |c| {
                    let mut r = c.request(req.method.clone(), url.clone());
                    if !req.query.is_empty() {
                        r = r.query(&req.query);
                    }
                    for (k, v) in &req.headers {
                        r = r.header(*k, v);
                    }
                    if let Some(b) = &req.body {
                        r = r.body(b.clone());
                    }
                    if let Some(b) = stream_body.take() {
                        r = r.body(b);
                    }
                    if let Some(t) = timeout {
                        r = r.timeout(t);
                    }
                    r
                },
                idempotent,
            )
            .instrument(span);
        // A streaming reply has no overall timeout, but its headers must come in time.
        let Ok(sent) = tokio::time::timeout(header_timeout, sent).await else {
            return Err(Error::Timeout {
                what: format!("{endpoint} (no reply headers)"),
                after: header_timeout,
            });
        };
        let resp = sent.map_err(|source| match source {
            sdk_core::Error::Timeout { .. } => Error::Timeout {
                what: endpoint.clone(),
                after: self.inner.timeout,
            },
            source => Error::Transport {
                endpoint: endpoint.clone(),
                source,
            },
        })?;
        let status = resp.status();
        if status.is_success() || status == StatusCode::NOT_MODIFIED {
            return Ok(resp);
        }
        // Only the start of an error body is read: the message is one line.
        let (body, _) = read_capped(resp, self.limits(MAX_ERROR_BODY), &endpoint)
            .await
            .unwrap_or_default();
        Err(Error::from_status(
            status.as_u16(),
            endpoint,
            ErrorBody::parse(&body).message(),
        ))
    }

    /// GET a JSON value.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&'static str, String)],
    ) -> Result<T> {
        let req = Req::new(Method::GET, path).query(query);
        let endpoint = req.endpoint();
        self.within_timeout(&endpoint, async {
            let resp = self.call(req).await?;
            decode_limited(resp, &endpoint, self.limits(self.inner.max_reply)).await
        })
        .await
    }

    /// POST a JSON body, decode a JSON reply.
    pub(crate) async fn post_json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&'static str, String)],
        body: &B,
        headers: &[(&'static str, String)],
    ) -> Result<T> {
        let req = Req::new(Method::POST, path)
            .query(query)
            .json(body)?
            .headers(headers);
        let endpoint = req.endpoint();
        self.within_timeout(&endpoint, async {
            let resp = self.call(req).await?;
            decode_limited(resp, &endpoint, self.limits(self.inner.max_reply)).await
        })
        .await
    }

    /// POST (optionally a JSON body); returns the raw reply body.
    pub(crate) async fn post_unit<B: Serialize + ?Sized>(
        &self,
        path: &str,
        query: &[(&'static str, String)],
        body: Option<&B>,
        headers: &[(&'static str, String)],
    ) -> Result<bytes::Bytes> {
        let mut req = Req::new(Method::POST, path).query(query).headers(headers);
        if let Some(b) = body {
            req = req.json(b)?;
        }
        let endpoint = req.endpoint();
        self.within_timeout(&endpoint, async {
            let resp = self.call(req).await?;
            read_limited(resp, &endpoint, self.limits(self.inner.max_reply)).await
        })
        .await
    }

    /// DELETE a path.
    pub(crate) async fn delete(&self, path: &str, query: &[(&'static str, String)]) -> Result<()> {
        let req = Req::new(Method::DELETE, path).query(query);
        let endpoint = req.endpoint();
        self.within_timeout(&endpoint, async {
            let resp = self.call(req).await?;
            read_limited(resp, &endpoint, self.limits(MAX_ERROR_BODY)).await?;
            Ok(())
        })
        .await
    }
}

/// Reads (up to `limit` bytes) and decodes a JSON reply.
async fn decode_limited<T: DeserializeOwned>(
    resp: reqwest::Response,
    endpoint: &str,
    limit: Limits,
) -> Result<T> {
    let body = read_limited(resp, endpoint, limit).await?;
    serde_json::from_slice(&body).map_err(|source| Error::Decode {
        endpoint: endpoint.to_owned(),
        source,
    })
}

/// The bounds of reading one reply body: its size and the client's timeout (for the error when
/// the HTTP stack's own timer fires first).
#[derive(Debug, Clone, Copy)]
struct Limits {
    size: usize,
    timeout: Duration,
}

/// Reads a whole reply body of at most `limit.size` bytes: a larger `Content-Length` is refused
/// before reading, and a body without one is read only up to the limit.
async fn read_limited(
    resp: reqwest::Response,
    endpoint: &str,
    limit: Limits,
) -> Result<bytes::Bytes> {
    let too_large = || Error::TooLarge {
        endpoint: endpoint.to_owned(),
        what: "reply body",
        limit: limit.size as u64,
    };
    if resp.content_length().is_some_and(|n| n > limit.size as u64) {
        return Err(too_large());
    }
    let (body, complete) = read_capped(resp, limit, endpoint).await?;
    if complete {
        Ok(body.into())
    } else {
        Err(too_large())
    }
}

/// Reads at most `limit.size` bytes of a body; `complete` is false when the body had more
/// (which is left unread).
async fn read_capped(
    mut resp: reqwest::Response,
    limit: Limits,
    endpoint: &str,
) -> Result<(Vec<u8>, bool)> {
    let mut body = Vec::new();
    let (limit, limit_timeout) = (limit.size, limit.timeout);
    loop {
        let chunk = resp.chunk().await.map_err(|source| {
            if source.is_timeout() {
                Error::Timeout {
                    what: format!("{endpoint} (reply body)"),
                    after: limit_timeout,
                }
            } else {
                Error::Http {
                    endpoint: endpoint.to_owned(),
                    source: source.without_url(),
                }
            }
        })?;
        let Some(chunk) = chunk else {
            return Ok((body, true));
        };
        if body.len() + chunk.len() > limit {
            let take = limit - body.len();
            body.extend_from_slice(&chunk[..take]);
            return Ok((body, false));
        }
        body.extend_from_slice(&chunk);
    }
}

/// Encodes Engine API `filters` (`{"key":["v1","v2"]}`).
/// `[("filters", json)]`, or nothing when there are no filters.
pub(crate) fn filters_query(filters: &[(&str, &str)]) -> Vec<(&'static str, String)> {
    if filters.is_empty() {
        Vec::new()
    } else {
        vec![("filters", filters_json(filters))]
    }
}

pub(crate) fn filters_json(filters: &[(&str, &str)]) -> String {
    let mut map: std::collections::BTreeMap<&str, Vec<&str>> = std::collections::BTreeMap::new();
    for (k, v) in filters {
        map.entry(k).or_default().push(v);
    }
    serde_json::to_string(&map).unwrap_or_else(|_| "{}".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_version_parse_order() {
        let v: ApiVersion = "1.41".parse().unwrap();
        assert_eq!(v, ApiVersion::MIN);
        assert!("1.9".parse::<ApiVersion>().unwrap() < ApiVersion::MIN);
        assert!("1.50".parse::<ApiVersion>().unwrap() > ApiVersion::MIN);
        assert!("x".parse::<ApiVersion>().is_err());
        assert!("1.".parse::<ApiVersion>().is_err());
        assert_eq!(ApiVersion::new(1, 45).to_string(), "1.45");
    }
}
