//! [`Client`] and [`ClientBuilder`]: the HTTP machinery shared by every registry call —
//! scheme policy, the auth challenge dance (Basic, Bearer with a scoped token cache, one
//! re-challenge on 401), retries with `Retry-After`, and redirects followed by hand so that
//! `Authorization` never leaves the registry's host.

use crate::auth::{Challenge, Scope, merge_scopes, parse_www_authenticate};
use crate::error::{Error, Result, redact_url};
use crate::progress::{BlobProgress, ProgressSink};
use crate::request::{
    Req, api_error, attempt_body, basic_header, header_value, is_retryable, retry_delay,
};
use crate::token_cache::TokenCache;
use reqwest::header::{self, HeaderValue};
use reqwest::{Method, Response, StatusCode};
use sdk_core::body::{Activity, BodyError, send_with_idle};
use sdk_core::{ClientOptions, Credentials, DockerConfig, RetryPolicy};
use sdk_grammar::registry::{api_host, is_loopback};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::Instrument as _;
use url::Url;

/// Default limit on the size of a manifest read from a registry (4 MiB).
pub const DEFAULT_MANIFEST_LIMIT: u64 = 4 * 1024 * 1024;
/// Default number of blobs transferred at once.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// Default limit on a tags or catalog listing, all `Link` pages together (64 MiB).
pub const DEFAULT_LIST_LIMIT: u64 = 64 * 1024 * 1024;
/// Default idle timeout (60 s): how long any registry call waits while nothing moves — no
/// response headers, no body bytes, no request-body chunk taken — before it fails with
/// [`Error::Timeout`]. A transfer that keeps moving may take as long as it needs.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Builder of a [`Client`]. Setters never fail; [`ClientBuilder::build`] checks.
#[must_use]
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    credentials: HashMap<String, Credentials>,
    docker_config: Option<DockerConfig>,
    insecure: bool,
    retry: RetryPolicy,
    concurrency: usize,
    chunk_size: Option<u64>,
    manifest_limit: u64,
    list_limit: u64,
    progress: Option<ProgressSink>,
    timeout: Option<Duration>,
    idle_timeout: Duration,
    connect_timeout: Duration,
    user_agent: String,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            credentials: HashMap::new(),
            docker_config: None,
            insecure: false,
            retry: RetryPolicy::default(),
            concurrency: DEFAULT_CONCURRENCY,
            chunk_size: None,
            manifest_limit: DEFAULT_MANIFEST_LIMIT,
            list_limit: DEFAULT_LIST_LIMIT,
            progress: None,
            timeout: None,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            connect_timeout: Duration::from_secs(30),
            user_agent: concat!("dockwright-registry-client/", env!("CARGO_PKG_VERSION")).into(),
        }
    }
}

impl ClientBuilder {
    /// Credentials for `registry` (`host[:port]`; `docker.io` for Docker Hub).
    pub fn credentials(mut self, registry: &str, creds: Credentials) -> Self {
        self.credentials.insert(api_host(registry), creds);
        self
    }

    /// Look up credentials for registries without explicit ones in a docker `config.json`
    /// (`auths`, `credsStore`, `credHelpers`), like the docker CLI.
    pub fn docker_config(mut self, config: DockerConfig) -> Self {
        self.docker_config = Some(config);
        self
    }

    /// Use plain HTTP for every registry (default: only loopback registries use HTTP).
    pub fn insecure(mut self, insecure: bool) -> Self {
        self.insecure = insecure;
        self
    }

    /// Retry policy for 429, 5xx and connection errors (`Retry-After` honoured).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Maximum number of blobs transferred at once (must be ≥ 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n;
        self
    }

    /// Upload blobs in chunks of this many bytes (PATCH) instead of one streamed PUT.
    pub fn chunk_size(mut self, bytes: u64) -> Self {
        self.chunk_size = Some(bytes);
        self
    }

    /// Maximum manifest size read from a registry (default 4 MiB).
    pub fn manifest_limit(mut self, bytes: u64) -> Self {
        self.manifest_limit = bytes;
        self
    }

    /// Maximum size of a tags or catalog listing, all its `Link` pages together (default
    /// [`DEFAULT_LIST_LIMIT`], 64 MiB); more is [`Error::TooLarge`].
    pub fn list_limit(mut self, bytes: u64) -> Self {
        self.list_limit = bytes;
        self
    }

    /// Where progress events go.
    pub fn progress(mut self, sink: ProgressSink) -> Self {
        self.progress = Some(sink);
        self
    }

    /// A timeout for whole requests (default: none; blobs can be large). Stalls are caught by
    /// the idle timeout ([`ClientBuilder::idle_timeout`]) either way.
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = Some(t);
        self
    }

    /// How long a call may wait while nothing moves (default [`DEFAULT_IDLE_TIMEOUT`], 60 s):
    /// no response headers, no body bytes, no request-body chunk taken by the connection.
    /// Applies to every request (the `/v2/` ping, token fetches, manifests, blobs, uploads,
    /// tags, error bodies); a stalled blob download is resumed like a dropped one, within the
    /// retry policy. After the last chunk of an upload the operating system may still hold
    /// up to its socket buffer (a few MiB) in transit: keep the idle timeout above the time
    /// the slowest link needs for that.
    pub fn idle_timeout(mut self, t: Duration) -> Self {
        self.idle_timeout = t;
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a zero concurrency, chunk size, manifest or list limit or idle
    /// timeout;
    /// [`Error::Http`] when the HTTP client cannot be built.
    pub fn build(self) -> Result<Client> {
        if self.concurrency == 0 {
            return Err(Error::Invalid {
                what: "concurrency",
                reason: "must be at least 1".into(),
            });
        }
        if self.chunk_size == Some(0) {
            return Err(Error::Invalid {
                what: "chunk size",
                reason: "must be at least 1 byte".into(),
            });
        }
        if self.manifest_limit == 0 {
            return Err(Error::Invalid {
                what: "manifest limit",
                reason: "must be at least 1 byte".into(),
            });
        }
        if self.list_limit == 0 {
            return Err(Error::Invalid {
                what: "list limit",
                reason: "must be at least 1 byte".into(),
            });
        }
        if self.idle_timeout.is_zero() {
            return Err(Error::Invalid {
                what: "idle timeout",
                reason: "must be longer than zero".into(),
            });
        }
        let mut options = ClientOptions::new()
            .user_agent(self.user_agent.clone())
            .connect_timeout(self.connect_timeout)
            .follow_redirects(false);
        if let Some(t) = self.timeout {
            options = options.timeout(t);
        }
        Ok(Client {
            inner: Arc::new(Inner {
                options,
                http: Mutex::new(HashMap::new()),
                credentials: Mutex::new(
                    self.credentials
                        .into_iter()
                        .map(|(k, v)| (k, Arc::new(v)))
                        .collect(),
                ),
                docker_config: self.docker_config,
                insecure: self.insecure,
                retry: self.retry,
                concurrency: self.concurrency,
                chunk_size: self.chunk_size,
                manifest_limit: self.manifest_limit,
                list_limit: self.list_limit,
                idle: self.idle_timeout,
                progress: self.progress,
                auth: Mutex::new(HashMap::new()),
                tokens: TokenCache::default(),
            }),
        })
    }
}

/// An OCI distribution registry client. Cheap to clone; clones share connections and tokens.
#[derive(Debug, Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    options: ClientOptions,
    http: Mutex<HashMap<String, reqwest::Client>>,
    credentials: Mutex<HashMap<String, Arc<Credentials>>>,
    docker_config: Option<DockerConfig>,
    insecure: bool,
    pub(crate) retry: RetryPolicy,
    pub(crate) concurrency: usize,
    pub(crate) chunk_size: Option<u64>,
    pub(crate) manifest_limit: u64,
    pub(crate) list_limit: u64,
    /// The idle timeout of every call.
    pub(crate) idle: Duration,
    pub(crate) progress: Option<ProgressSink>,
    auth: Mutex<HashMap<String, AuthState>>,
    tokens: TokenCache,
}

#[derive(Debug, Clone)]
enum AuthState {
    Anonymous,
    Basic,
    Bearer { realm: Url, service: Option<String> },
}

/// Scheme, host (lower case) and port (the scheme's default when absent): what decides
/// whether a URL may receive the registry's credentials.
fn origin(u: &Url) -> (String, String, Option<u16>) {
    (
        u.scheme().to_owned(),
        u.host_str().unwrap_or("").to_ascii_lowercase(),
        u.port_or_known_default(),
    )
}

/// Whether the credentials may be sent to a token realm: over HTTPS (on any host: Docker
/// Hub's realm is `auth.docker.io`), or over plain HTTP only when the client is insecure or
/// both the registry and the realm are on loopback. Anything else (an `http://` realm named by
/// an `https://` registry, plain HTTP to another machine, other schemes) is refused.
fn realm_policy(registry: &Url, realm: &Url, insecure: bool) -> Result<(), &'static str> {
    match realm.scheme() {
        "https" if realm.has_host() => Ok(()),
        "http" if insecure => Ok(()),
        "http" if registry.scheme() == "https" => Err(
            "a plain-HTTP realm for an HTTPS registry would send the credentials in clear text (mark the registry insecure to allow it)",
        ),
        "http" if is_loopback(realm.host_str().unwrap_or_default()) => Ok(()),
        "http" => Err(
            "a plain-HTTP realm on a host that is not loopback would send the credentials in clear text (mark the registry insecure to allow it)",
        ),
        _ => Err("a token realm must be an http(s) URL"),
    }
}

/// Uncapped (what `ApiError::retry_after` reports); `retry_delay` caps it for sleeping.
fn retry_after(resp: &Response) -> Option<Duration> {
    RetryPolicy::parse_retry_after(resp.headers())
}

impl Client {
    /// A builder with defaults: no credentials, loopback registries over HTTP, 4 concurrent blobs,
    /// monolithic uploads, 4 MiB manifest limit, 64 MiB tag/catalog listing limit, 60 s idle
    /// timeout.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The base URL `scheme://registry/` for a registry.
    ///
    /// # Errors
    /// [`Error::Invalid`] when `registry` is not a valid `host[:port]`.
    pub fn base_url(&self, registry: &str) -> Result<Url> {
        let host = api_host(registry);
        let scheme = if self.inner.insecure || is_loopback(&host) {
            "http"
        } else {
            "https"
        };
        let u = Url::parse(&format!("{scheme}://{host}/")).map_err(|e| Error::Invalid {
            what: "registry",
            reason: format!("{registry:?}: {e}"),
        })?;
        if u.path() != "/" || u.query().is_some() || !u.username().is_empty() {
            return Err(Error::Invalid {
                what: "registry",
                reason: format!("{registry:?} is not host[:port]"),
            });
        }
        Ok(u)
    }

    /// `scheme://registry/v2/<repository>/<rest>`.
    pub(crate) fn repo_url(&self, registry: &str, repository: &str, rest: &str) -> Result<Url> {
        let base = self.base_url(registry)?;
        base.join(&format!("v2/{repository}/{rest}"))
            .map_err(|e| Error::Invalid {
                what: "repository",
                reason: format!("{repository:?}: {e}"),
            })
    }

    /// The reqwest client for a host (TLS like dockerd: `/etc/docker/certs.d/<host>`), cached.
    pub(crate) fn http(&self, host: &str) -> Result<reqwest::Client> {
        let mut map = self.inner.http.lock().expect("http lock");
        if let Some(c) = map.get(host) {
            return Ok(c.clone());
        }
        let c = sdk_core::registry_http_client(host, &self.inner.options)?;
        map.insert(host.to_owned(), c.clone());
        Ok(c)
    }

    fn http_for_url(&self, url: &Url) -> Result<reqwest::Client> {
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            _ => String::new(),
        };
        self.http(&host)
    }

    /// Credentials for a registry: explicit ones, else the docker config's (looked up once).
    /// A credential helper is a process that may take a while (up to its timeout): it runs on
    /// tokio's blocking pool, never on the async worker threads.
    async fn creds(&self, registry: &str) -> Result<Option<Arc<Credentials>>> {
        let key = api_host(registry);
        if let Some(c) = self.inner.credentials.lock().expect("creds lock").get(&key) {
            return Ok(Some(c.clone()));
        }
        let Some(cfg) = &self.inner.docker_config else {
            return Ok(None);
        };
        // sdk-core maps every Docker Hub alias (registry-1.docker.io too) to Hub's config key.
        let lookup = registry.to_owned();
        let cfg = cfg.clone();
        let (creds, _source) =
            match tokio::task::spawn_blocking(move || cfg.credentials_for(&lookup)).await {
                Ok(r) => r?,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => {
                    return Err(Error::Io {
                        action: "looking up credentials in",
                        path: "the docker config".into(),
                        source: std::io::Error::other(e),
                    });
                }
            };
        let creds = Arc::new(creds);
        self.inner
            .credentials
            .lock()
            .expect("creds lock")
            .insert(key, creds.clone());
        Ok(Some(creds))
    }

    /// Pings `/v2/` and records the registry's auth scheme.
    async fn auth_state(&self, registry: &str) -> Result<AuthState> {
        let key = api_host(registry);
        if let Some(s) = self.inner.auth.lock().expect("auth lock").get(&key) {
            return Ok(s.clone());
        }
        let url = self.base_url(registry)?.join("v2/").expect("static path");
        let endpoint = redact_url(&url);
        let mut attempt = 0;
        let resp = loop {
            let get = self.http_for_url(&url)?.get(url.clone());
            match send_with_idle(get, self.inner.idle, &Activity::new()).await {
                Ok(r)
                    if RetryPolicy::is_retryable_status(r.status())
                        && attempt + 1 < self.inner.retry.max_attempts() =>
                {
                    tokio::time::sleep(retry_delay(&self.inner.retry, attempt, retry_after(&r)))
                        .await;
                }
                Ok(r) => break r,
                Err(e) if attempt + 1 < self.inner.retry.max_attempts() && is_retryable(&e) => {
                    tokio::time::sleep(retry_delay(&self.inner.retry, attempt, None)).await;
                }
                Err(e) => return Err(Error::body("reply", &endpoint, e)),
            }
            attempt += 1;
        };
        let state = if resp.status() == StatusCode::UNAUTHORIZED {
            self.state_from_challenge(registry, &resp, &endpoint)?.0
        } else if resp.status().is_success() {
            AuthState::Anonymous
        } else {
            return Err(api_error(resp, "GET", &endpoint, self.inner.idle).await);
        };
        self.inner
            .auth
            .lock()
            .expect("auth lock")
            .insert(key, state.clone());
        Ok(state)
    }

    fn state_from_challenge(
        &self,
        registry: &str,
        resp: &Response,
        endpoint: &str,
    ) -> Result<(AuthState, Option<Challenge>)> {
        let mut challenges = Vec::new();
        for v in resp.headers().get_all(header::WWW_AUTHENTICATE) {
            let s = v.to_str().map_err(|_| Error::InvalidChallenge {
                reason: format!("non-ASCII header from {endpoint}"),
            })?;
            challenges.extend(parse_www_authenticate(s)?);
        }
        if let Some(b) = challenges.iter().find(|c| c.scheme == "bearer") {
            let realm = b.param("realm").ok_or_else(|| Error::InvalidChallenge {
                reason: format!("Bearer challenge without realm from {endpoint}"),
            })?;
            let realm = Url::parse(realm).map_err(|e| Error::InvalidChallenge {
                reason: format!("bad realm {realm:?}: {e}"),
            })?;
            if let Err(reason) =
                realm_policy(&self.base_url(registry)?, &realm, self.inner.insecure)
            {
                return Err(Error::RealmRefused {
                    realm: redact_url(&realm),
                    registry: registry.to_owned(),
                    reason,
                });
            }
            return Ok((
                AuthState::Bearer {
                    realm,
                    service: b.param("service").map(str::to_owned),
                },
                Some(b.clone()),
            ));
        }
        if challenges.iter().any(|c| c.scheme == "basic") {
            return Ok((AuthState::Basic, None));
        }
        Err(Error::InvalidChallenge {
            reason: format!("no Basic or Bearer challenge from {endpoint}"),
        })
    }

    /// The Authorization header for a request with the given scopes.
    async fn authorization(
        &self,
        registry: &str,
        state: &AuthState,
        scopes: &[Scope],
        refresh: bool,
    ) -> Result<Option<HeaderValue>> {
        if matches!(state, AuthState::Anonymous) {
            return Ok(None);
        }
        let creds = self.creds(registry).await?;
        let value = match (state, creds.as_deref()) {
            (AuthState::Anonymous, _) => return Ok(None),
            (AuthState::Basic, Some(Credentials::Basic { username, password })) => {
                basic_header(username, password.expose_secret())
            }
            (AuthState::Basic | AuthState::Bearer { .. }, Some(Credentials::Bearer(t))) => {
                format!("Bearer {}", t.expose_secret())
            }
            (AuthState::Basic, _) => return Ok(None),
            (AuthState::Bearer { realm, service }, creds) => {
                let key = api_host(registry);
                if !refresh && let Some(t) = self.inner.tokens.get(&key, scopes) {
                    return header_value(&format!("Bearer {t}")).map(Some);
                }
                let token = crate::token_cache::fetch_token(
                    &self.http_for_url(realm)?,
                    realm,
                    service.as_deref(),
                    scopes,
                    creds,
                    self.inner.idle,
                )
                .await?;
                let v = format!("Bearer {}", token.token);
                self.inner.tokens.insert(&key, scopes, token);
                v
            }
        };
        header_value(&value).map(Some)
    }

    /// Sends a request with auth, retries and redirects; returns the final response whatever its status.
    pub(crate) async fn send_raw(&self, req: &Req) -> Result<Response> {
        // One span per logical request: auth challenges, token fetches, retries and redirects
        // are inside it. The URL is redacted (no userinfo, no query: upload URLs carry state).
        let span = tracing::debug_span!(
            "registry_request",
            method = %req.method,
            url = %redact_url(&req.url),
            registry = %req.registry,
        );
        Ok(self.send_raw_inner(req).instrument(span).await?.0)
    }

    /// Sends a DELETE: success for 2xx, and for a 404 that answers a retry after an attempt
    /// whose reply was lost (the earlier attempt did the delete: what was asked holds; a
    /// tracing event records it). Any other status is [`Error::Api`].
    pub(crate) async fn send_delete(&self, req: &Req) -> Result<()> {
        let span = tracing::debug_span!(
            "registry_request",
            method = %req.method,
            url = %redact_url(&req.url),
            registry = %req.registry,
        );
        let (resp, lost_reply) = self.send_raw_inner(req).instrument(span.clone()).await?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let endpoint = redact_url(resp.url());
        if status == StatusCode::NOT_FOUND && lost_reply {
            span.in_scope(|| {
                tracing::info!(
                    %endpoint,
                    "DELETE answered 404 after a lost reply: the earlier attempt deleted it"
                );
            });
            return Ok(());
        }
        Err(api_error(resp, req.method.as_str(), &endpoint, self.inner.idle).await)
    }

    /// Sends with auth, retries and redirects. Also says whether an attempt before the final
    /// one failed after the request may have reached the server (not a connection failure):
    /// its reply was lost, so the request may have been performed.
    async fn send_raw_inner(&self, req: &Req) -> Result<(Response, bool)> {
        // Credentials go only to the registry's own origin (scheme, host, port of the registry
        // this client was asked about), never to where a request or a redirect points: an
        // upload `Location` or a blob redirect on another host or scheme gets no
        // `Authorization` (containerd drops its authorizer the same way), and a 401 from there
        // is that request's answer, not a new challenge for the registry.
        let registry_origin = origin(&self.base_url(&req.registry)?);
        let mut scopes = merge_scopes(req.scopes.iter().cloned());
        let mut auth = if origin(&req.url) == registry_origin {
            let state = self.auth_state(&req.registry).await?;
            self.authorization(&req.registry, &state, &scopes, false)
                .await?
        } else {
            None
        };
        let mut rechallenged = false;
        let mut attempt: u32 = 0;
        let mut lost_reply = false;
        let mut url = req.url.clone();
        let mut method = req.method.clone();
        let mut redirects = 0;
        loop {
            let endpoint = redact_url(&url);
            let mut rb = self
                .http_for_url(&url)?
                .request(method.clone(), url.clone());
            rb = rb.headers(req.headers.clone());
            if let Some(a) = &auth
                && origin(&url) == registry_origin
            {
                rb = rb.header(header::AUTHORIZATION, a.clone());
            }
            let is_redirected = url != req.url;
            let activity = Activity::new();
            if (!is_redirected || method == req.method)
                && let Some((body, len)) = attempt_body(&req.body, &activity, &endpoint).await?
            {
                if let Some(len) = len {
                    rb = rb.header(header::CONTENT_LENGTH, len);
                }
                rb = rb.body(body);
            }
            // Every wait for the server is bounded by the idle timeout: the response headers
            // must come within it of the last request-body chunk taken.
            let resp = match send_with_idle(rb, self.inner.idle, &activity).await {
                Ok(r) => r,
                Err(e) => {
                    // sdk-core strips the URL from reqwest's error (its text names the URL,
                    // query included: an upload's `_state`, a redirect's `X-Amz-Signature`);
                    // `endpoint` is the redacted URL.
                    if req.retry
                        && attempt + 1 < self.inner.retry.max_attempts()
                        && is_retryable(&e)
                    {
                        tracing::debug!(%endpoint, error = %e, "retrying after transport error");
                        lost_reply |= !matches!(&e, BodyError::Transport(t) if t.is_connect());
                        tokio::time::sleep(retry_delay(&self.inner.retry, attempt, None)).await;
                        attempt += 1;
                        continue;
                    }
                    return Err(Error::body("reply", &endpoint, e));
                }
            };
            let status = resp.status();
            if status == StatusCode::UNAUTHORIZED
                && !rechallenged
                && origin(&url) == registry_origin
            {
                rechallenged = true;
                let (new_state, challenge) =
                    self.state_from_challenge(&req.registry, &resp, &endpoint)?;
                if let Some(c) = challenge.as_ref().and_then(|c| c.param("scope")) {
                    scopes = merge_scopes(
                        scopes
                            .iter()
                            .cloned()
                            .chain(c.split(' ').filter_map(Scope::parse)),
                    );
                }
                self.inner
                    .auth
                    .lock()
                    .expect("auth lock")
                    .insert(api_host(&req.registry), new_state.clone());
                let key = api_host(&req.registry);
                self.inner.tokens.invalidate(&key, &scopes);
                auth = self
                    .authorization(&req.registry, &new_state, &scopes, true)
                    .await?;
                if auth.is_some() {
                    continue;
                }
                return Ok((resp, lost_reply));
            }
            if req.retry
                && RetryPolicy::is_retryable_status(status)
                && attempt + 1 < self.inner.retry.max_attempts()
            {
                let d = retry_delay(&self.inner.retry, attempt, retry_after(&resp));
                tracing::debug!(%endpoint, %status, delay = ?d, "retrying");
                tokio::time::sleep(d).await;
                attempt += 1;
                continue;
            }
            if req.follow && status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let Some(loc) = resp.headers().get(header::LOCATION) else {
                    return Ok((resp, lost_reply));
                };
                redirects += 1;
                if redirects > 10 {
                    return Err(Error::protocol(&endpoint, "more than 10 redirects"));
                }
                url = join_location(&url, loc)?;
                if status == StatusCode::SEE_OTHER
                    || ((status == StatusCode::MOVED_PERMANENTLY || status == StatusCode::FOUND)
                        && method == Method::POST)
                {
                    method = Method::GET;
                }
                continue;
            }
            return Ok((resp, lost_reply));
        }
    }

    /// Checks that the registry answers `/v2/` with the configured credentials (what `docker
    /// login` verifies): the auth challenge is followed, a token fetched when needed.
    ///
    /// # Errors
    /// [`Error::Api`] with 401 for wrong credentials; transport errors.
    pub async fn ping(&self, registry: &str) -> Result<()> {
        let url = self.base_url(registry)?.join("v2/").expect("static path");
        let req = Req::new(Method::GET, registry, url, Vec::new());
        self.send(&req).await?;
        Ok(())
    }

    /// Sends and turns any non-success status into [`Error::Api`].
    pub(crate) async fn send(&self, req: &Req) -> Result<Response> {
        let resp = self.send_raw(req).await?;
        if resp.status().is_success() {
            Ok(resp)
        } else {
            let endpoint = redact_url(resp.url());
            Err(api_error(resp, req.method.as_str(), &endpoint, self.inner.idle).await)
        }
    }

    pub(crate) fn progress_for(&self, digest: &str, total: Option<u64>) -> BlobProgress {
        BlobProgress {
            sink: self.inner.progress.clone(),
            digest: digest.to_owned(),
            total,
        }
    }

    /// Resolves an upload `Location` (may be relative) against the registry URL.
    pub(crate) fn resolve_location(&self, resp: &Response) -> Result<Url> {
        let loc = resp
            .headers()
            .get(header::LOCATION)
            .ok_or_else(|| Error::protocol(&redact_url(resp.url()), "missing Location header"))?;
        join_location(resp.url(), loc)
    }
}

/// Resolves a `Location` header value (absolute, or relative to `base`, the URL of the reply
/// that carried it).
///
/// # Errors
/// [`Error::Protocol`] for a value that is not ASCII or not a URL reference.
pub(crate) fn join_location(base: &Url, value: &header::HeaderValue) -> Result<Url> {
    let endpoint = redact_url(base);
    let loc = value
        .to_str()
        .map_err(|_| Error::protocol(&endpoint, "non-ASCII Location"))?;
    base.join(loc)
        .map_err(|e| Error::protocol(&endpoint, format!("bad Location {loc:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_registries_speak_http() {
        for r in [
            "localhost",
            "localhost:5000",
            "127.0.0.1:5000",
            "127.1.2.3",
            "[::1]:5000",
            "LOCALHOST:1",
        ] {
            assert!(is_loopback(r), "{r}");
        }
        for r in [
            "docker.io",
            "registry.example:5000",
            "10.0.0.1:5000",
            "[::2]:5000",
            "128.0.0.1",
        ] {
            assert!(!is_loopback(r), "{r}");
        }
    }

    #[test]
    fn scheme_policy() {
        let c = Client::builder().build().unwrap();
        assert_eq!(
            c.base_url("127.0.0.1:5000").unwrap().as_str(),
            "http://127.0.0.1:5000/"
        );
        assert_eq!(
            c.base_url("docker.io").unwrap().as_str(),
            "https://registry-1.docker.io/"
        );
        assert_eq!(c.base_url("r.example:443").unwrap().scheme(), "https");
        let c = Client::builder().insecure(true).build().unwrap();
        assert_eq!(c.base_url("r.example:5000").unwrap().scheme(), "http");
        assert!(c.base_url("a/b").is_err());
        assert!(c.base_url("u@h").is_err());
    }

    /// The origin a URL must share with the registry to get its credentials: a scheme
    /// downgrade, another port or another host is another origin; the default port and host
    /// case are not.
    #[test]
    fn origins_decide_where_credentials_go() {
        let o = |s: &str| origin(&Url::parse(s).unwrap());
        let home = o("https://r.example/v2/");
        assert_eq!(
            home,
            o("https://R.EXAMPLE:443/v2/x/blobs/uploads/1?_state=x")
        );
        assert_ne!(home, o("http://r.example/v2/"), "scheme downgrade");
        assert_ne!(
            home,
            o("http://r.example:443/v2/"),
            "scheme downgrade, same port"
        );
        assert_ne!(home, o("https://r.example:5000/v2/"));
        assert_ne!(home, o("https://storage.example/v2/"));
        let c = Client::builder().build().unwrap();
        assert_eq!(
            origin(&c.base_url("r.example").unwrap()),
            o("https://r.example/upload")
        );
    }

    #[test]
    fn realm_policy_keeps_credentials_off_clear_text() {
        let u = |s: &str| Url::parse(s).unwrap();
        let https = u("https://r.example/");
        let local = u("http://127.0.0.1:5000/");
        // HTTPS realms anywhere (Docker Hub's realm is on another host).
        assert!(realm_policy(&https, &u("https://auth.docker.io/token"), false).is_ok());
        assert!(realm_policy(&local, &u("https://auth.example/token"), false).is_ok());
        // A downgrade to plain HTTP: refused unless insecure.
        assert!(realm_policy(&https, &u("http://r.example/token"), false).is_err());
        assert!(realm_policy(&https, &u("http://127.0.0.1/token"), false).is_err());
        assert!(realm_policy(&https, &u("http://r.example/token"), true).is_ok());
        // A loopback registry's loopback realm is fine; clear text to another machine is not.
        assert!(realm_policy(&local, &u("http://localhost:5001/token"), false).is_ok());
        assert!(realm_policy(&local, &u("http://auth.example/token"), false).is_err());
        // Other schemes never.
        for bad in ["ftp://127.0.0.1/token", "file:///etc/passwd", "data:,x"] {
            assert!(realm_policy(&local, &u(bad), true).is_err(), "{bad}");
        }
    }

    #[test]
    fn builder_checks() {
        assert!(Client::builder().concurrency(0).build().is_err());
        assert!(Client::builder().chunk_size(0).build().is_err());
        assert!(Client::builder().manifest_limit(0).build().is_err());
    }

    #[test]
    fn credentials_debug_is_redacted() {
        let c = Credentials::basic("u", "hunter2");
        let b = Client::builder().credentials("r.example", c);
        assert!(!format!("{b:?}").contains("hunter2"));
        let client = b.build().unwrap();
        assert!(!format!("{client:?}").contains("hunter2"));
    }
}
