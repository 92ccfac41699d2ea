//! `MockRegistry`: a stateful in-memory OCI Distribution registry on a loopback HTTP server.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use base64::Engine as _;
use bytes::Bytes;
use http::{Method, Response, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use sdk_core::test_server::{
    self as server, Body, Fault, RecordedRequest, Request as Req, RequestLog, response,
};

const SERVICE: &str = "mock-registry";
/// Request bodies up to this size are recorded as text ([`RecordedRequest::body`]).
const MAX_RECORDED_BODY: usize = 64 * 1024;
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// How clients must authenticate to a [`MockRegistry`].
#[derive(Clone)]
enum Auth {
    None,
    Basic {
        user: String,
        pass: String,
    },
    Bearer {
        user: String,
        pass: String,
        anonymous_pull: bool,
    },
}

/// Builder of a [`MockRegistry`] with authentication and behaviour options.
#[must_use]
#[derive(Clone)]
pub struct MockRegistryBuilder {
    auth: Auth,
    paginate_tags: bool,
    monolithic_post: bool,
}

impl std::fmt::Debug for MockRegistryBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let auth = match &self.auth {
            Auth::None => "none",
            Auth::Basic { .. } => "basic <redacted>",
            Auth::Bearer { .. } => "bearer <redacted>",
        };
        f.debug_struct("MockRegistryBuilder")
            .field("auth", &auth)
            .field("paginate_tags", &self.paginate_tags)
            .field("monolithic_post", &self.monolithic_post)
            .finish()
    }
}

impl MockRegistryBuilder {
    /// Every `/v2/` request must carry `Authorization: Basic` with these credentials
    /// (like a registry with `auth.htpasswd`); otherwise 401 with `WWW-Authenticate: Basic`.
    pub fn basic_auth(mut self, user: impl Into<String>, pass: impl Into<String>) -> Self {
        self.auth = Auth::Basic {
            user: user.into(),
            pass: pass.into(),
        };
        self
    }

    /// Requests need a bearer token from the built-in token server at `/token`, which checks
    /// these Basic credentials and issues tokens bound to the requested scopes
    /// (`repository:NAME:pull,push`); a request whose token lacks the needed scope gets 401 with
    /// an `insufficient_scope` challenge.
    pub fn bearer_token_server(mut self, user: impl Into<String>, pass: impl Into<String>) -> Self {
        self.auth = Auth::Bearer {
            user: user.into(),
            pass: pass.into(),
            anonymous_pull: false,
        };
        self
    }

    /// In bearer mode, let the token server issue `pull`-only tokens to anonymous clients.
    pub fn anonymous_pull(mut self, allow: bool) -> Self {
        if let Auth::Bearer { anonymous_pull, .. } = &mut self.auth {
            *anonymous_pull = allow;
        }
        self
    }

    /// Honour `n`/`last` in tags lists and send `Link: <…>; rel="next"` (newer registries).
    /// Default `false`: like Debian's registry 2.8, which ignores `n` and `last` on tags lists.
    pub fn paginate_tags(mut self, paginate: bool) -> Self {
        self.paginate_tags = paginate;
        self
    }

    /// Accept a monolithic upload in a single `POST …/blobs/uploads/?digest=` (201).
    /// Default `false`: like registry 2.8, which ignores the body and `digest` and answers 202.
    pub fn monolithic_post(mut self, accept: bool) -> Self {
        self.monolithic_post = accept;
        self
    }

    /// Binds 127.0.0.1:0 and starts serving on a tokio task.
    ///
    /// # Panics
    /// When no loopback port can be bound; use [`Self::try_start`] to get the error instead.
    pub async fn start(self) -> MockRegistry {
        (self.try_start().await)
            .unwrap_or_else(|e| panic!("MockRegistry: cannot bind 127.0.0.1:0: {e}"))
    }

    /// Binds 127.0.0.1:0 and starts serving on a tokio task.
    ///
    /// # Errors
    /// The I/O error when no loopback port can be bound.
    pub async fn try_start(self) -> io::Result<MockRegistry> {
        let (listener, addr) = server::bind_loopback().await?;
        let inner = Arc::new(Inner {
            addr,
            cfg: self,
            state: Mutex::new(State {
                // Manifests and token forms are small; blob bodies are only counted.
                log: RequestLog::new(MAX_RECORDED_BODY),
                ..State::default()
            }),
        });
        let handler_inner = Arc::clone(&inner);
        let server = server::serve(server::Listener::Tcp(listener), move |req| {
            let inner = Arc::clone(&handler_inner);
            async move { inner.handle(req) }
        });
        Ok(MockRegistry {
            inner,
            _server: server,
        })
    }
}

/// A manifest as stored by a [`MockRegistry`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredManifest {
    /// The exact bytes that were pushed.
    pub bytes: Vec<u8>,
    /// The media type it was pushed with (`Content-Type`).
    pub media_type: String,
    /// `sha256:…` of the bytes.
    pub digest: String,
}

#[derive(Debug, Default)]
struct Repo {
    blobs: BTreeSet<String>,
    manifests: HashMap<String, (Bytes, String)>,
    tags: BTreeMap<String, String>,
    has_tags_dir: bool,
}

#[derive(Debug)]
struct Upload {
    repo: String,
    data: Vec<u8>,
    state: String,
}

#[derive(Debug, Default)]
struct State {
    blobs: HashMap<String, Bytes>,
    repos: BTreeMap<String, Repo>,
    uploads: HashMap<String, Upload>,
    tokens: HashMap<String, Vec<(String, BTreeSet<String>)>>,
    /// Refresh tokens issued (token → user name).
    refresh_tokens: HashMap<String, String>,
    corrupt: HashSet<String>,
    log: RequestLog,
}

struct Inner {
    addr: SocketAddr,
    cfg: MockRegistryBuilder,
    state: Mutex<State>,
}

/// A stateful in-memory OCI Distribution registry served over plain HTTP on 127.0.0.1.
///
/// It behaves like Debian's registry 2.8 unless the [builder](MockRegistry::builder) says
/// otherwise. It stops serving when dropped. Requests are recorded ([`MockRegistry::requests`])
/// and faults can be injected ([`MockRegistry::fail_nth`], [`MockRegistry::drop_connection_nth`],
/// [`MockRegistry::corrupt_blob`]).
///
/// ```no_run
/// # async fn demo() {
/// use registry_client::mock::MockRegistry;
/// let registry = MockRegistry::builder().basic_auth("user", "secret").start().await;
/// println!("push to {}/myapp:1.0", registry.host());
/// # }
/// ```
pub struct MockRegistry {
    inner: Arc<Inner>,
    _server: server::ServerHandle,
}

impl std::fmt::Debug for MockRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockRegistry")
            .field("addr", &self.inner.addr)
            .field("config", &self.inner.cfg)
            .finish()
    }
}

impl MockRegistry {
    /// A builder (no auth, no tag pagination, no monolithic POST).
    pub fn builder() -> MockRegistryBuilder {
        MockRegistryBuilder {
            auth: Auth::None,
            paginate_tags: false,
            monolithic_post: false,
        }
    }

    /// Starts an open registry with default behaviour.
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub async fn start() -> Self {
        Self::builder().start().await
    }

    /// The socket address it listens on.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    /// `127.0.0.1:PORT`, the registry host to put in image references.
    #[must_use]
    pub fn host(&self) -> String {
        self.inner.addr.to_string()
    }

    /// `http://127.0.0.1:PORT`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.inner.addr)
    }

    /// The `n`-th request from now on (1 = the next one) is answered with `status` and an OCI
    /// error body instead of being processed.
    pub fn fail_nth(&self, n: u64, status: u16) {
        self.inject_fault(n, Fault::status(status));
    }

    /// Like [`Self::fail_nth`], with a `Retry-After: SECS` header (e.g. for 429 or 503).
    pub fn fail_nth_with_retry_after(&self, n: u64, status: u16, retry_after_secs: u64) {
        self.inject_fault(n, Fault::retry_after(status, retry_after_secs));
    }

    /// The `n`-th request from now on (1 = the next one) is processed, but the connection is
    /// closed after half of the response body (or before any body byte for empty bodies).
    pub fn drop_connection_nth(&self, n: u64) {
        self.inject_fault(n, Fault::DropConnection);
    }

    /// Serve wrong bytes (same length, first byte flipped) for blob `digest` from now on.
    pub fn corrupt_blob(&self, digest: &str) {
        self.lock().corrupt.insert(digest.to_owned());
    }

    /// Every request received so far, in order (credentials redacted).
    #[must_use]
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().log.requests().to_vec()
    }

    /// Forget the recorded requests.
    pub fn clear_requests(&self) {
        self.lock().log.clear();
    }

    /// The bytes of blob `digest` when it is linked into repository `repo`.
    #[must_use]
    pub fn blob(&self, repo: &str, digest: &str) -> Option<Vec<u8>> {
        let st = self.lock();
        let linked = st.repos.get(repo).is_some_and(|r| r.blobs.contains(digest));
        if linked {
            st.blobs.get(digest).map(|b| b.to_vec())
        } else {
            None
        }
    }

    /// The manifest stored in `repo` under `reference` (a tag or a `sha256:` digest).
    #[must_use]
    pub fn manifest(&self, repo: &str, reference: &str) -> Option<StoredManifest> {
        let st = self.lock();
        let r = st.repos.get(repo)?;
        let digest = if reference.contains(':') {
            reference.to_owned()
        } else {
            r.tags.get(reference)?.clone()
        };
        let (bytes, media_type) = r.manifests.get(&digest)?;
        Some(StoredManifest {
            bytes: bytes.to_vec(),
            media_type: media_type.clone(),
            digest,
        })
    }

    /// The tags of `repo`, sorted (empty when the repository is unknown).
    #[must_use]
    pub fn tags(&self, repo: &str) -> Vec<String> {
        self.lock()
            .repos
            .get(repo)
            .map(|r| r.tags.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Stores `bytes` as a blob of `repo` (seeding for pull tests); returns its `sha256:` digest.
    pub fn put_blob(&self, repo: &str, bytes: impl Into<Vec<u8>>) -> String {
        let bytes = Bytes::from(bytes.into());
        let digest = sha256_digest(&bytes);
        let mut st = self.lock();
        st.blobs.insert(digest.clone(), bytes);
        st.repos
            .entry(repo.to_owned())
            .or_default()
            .blobs
            .insert(digest.clone());
        digest
    }

    /// Stores a manifest in `repo` (tagged `tag` when given) without checking its references;
    /// returns its `sha256:` digest.
    pub fn put_manifest(
        &self,
        repo: &str,
        tag: Option<&str>,
        bytes: impl Into<Vec<u8>>,
        media_type: &str,
    ) -> String {
        let bytes = Bytes::from(bytes.into());
        let digest = sha256_digest(&bytes);
        let mut st = self.lock();
        let r = st.repos.entry(repo.to_owned()).or_default();
        r.manifests
            .insert(digest.clone(), (bytes, media_type.to_owned()));
        if let Some(tag) = tag {
            r.tags.insert(tag.to_owned(), digest.clone());
            r.has_tags_dir = true;
        }
        digest
    }

    /// Schedules any [`Fault`] for the `n`-th request from now on (1 = the next one).
    pub fn inject_fault(&self, n: u64, fault: Fault) {
        self.lock().log.inject(n, fault);
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.lock()
    }
}

/// The current time as RFC 3339 UTC (`issued_at` of tokens).
fn rfc3339_now() -> String {
    server::rfc3339(std::time::SystemTime::now())
}

/// `sha256:` + lower-case hex of the SHA-256 of `bytes`.
fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn valid_digest(d: &str) -> bool {
    d.strip_prefix("sha256:").is_some_and(|h| {
        h.len() == 64
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// Repository name grammar of the distribution spec.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name.split('/').all(|comp| {
            let b = comp.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_alphanumeric()
                && b[b.len() - 1].is_ascii_alphanumeric()
                && b.iter().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'.' | b'_' | b'-')
                })
                && !comp.contains("..")
                && !comp.contains("___")
                && !comp.contains("._")
                && !comp.contains("_.")
        })
}

fn error_body(code: &str, message: &str, detail: Option<Value>) -> Vec<u8> {
    let mut e = json!({"code": code, "message": message});
    if let Some(d) = detail {
        e["detail"] = d;
    }
    serde_json::to_vec(&json!({ "errors": [e] })).unwrap_or_default()
}

const API_HEADER: (&str, &str) = ("Docker-Distribution-Api-Version", "registry/2.0");

fn api_error(
    status: StatusCode,
    code: &str,
    message: &str,
    detail: Option<Value>,
) -> Response<Body> {
    oci_error(status, code, message, detail, &[])
}

fn oci_error(
    status: StatusCode,
    code: &str,
    message: &str,
    detail: Option<Value>,
    extra: &[(&str, String)],
) -> Response<Body> {
    let mut headers = vec![
        ("Content-Type", "application/json; charset=utf-8".to_owned()),
        (API_HEADER.0, API_HEADER.1.to_owned()),
    ];
    headers.extend(extra.iter().cloned());
    response(status, &headers, error_body(code, message, detail))
}

fn ok_json(status: StatusCode, value: &Value, extra: &[(&str, String)]) -> Response<Body> {
    let mut headers = vec![
        ("Content-Type", "application/json; charset=utf-8".to_owned()),
        (API_HEADER.0, API_HEADER.1.to_owned()),
    ];
    headers.extend(extra.iter().cloned());
    response(
        status,
        &headers,
        serde_json::to_vec(value).unwrap_or_default(),
    )
}

fn empty(status: StatusCode, extra: &[(&str, String)]) -> Response<Body> {
    let mut headers = vec![(API_HEADER.0, API_HEADER.1.to_owned())];
    headers.extend(extra.iter().cloned());
    response(status, &headers, Bytes::new())
}

/// Scopes granted to a token: (`repository:NAME`, actions).
type Grants = Vec<(String, BTreeSet<String>)>;

/// What a request needs from a bearer token.
enum Need {
    Nothing,
    Repo(String, &'static [&'static str]),
    Catalog,
}

/// The parsed route of a `/v2/…` request.
enum Route {
    Ping,
    Catalog,
    Tags(String),
    Manifest(String, String),
    Blob(String, String),
    Uploads(String, Option<String>),
    NotFound,
}

fn route(path: &str) -> Route {
    if path == "/v2/" || path == "/v2" {
        return Route::Ping;
    }
    if path == "/v2/_catalog" {
        return Route::Catalog;
    }
    let Some(rest) = path.strip_prefix("/v2/") else {
        return Route::NotFound;
    };
    if let Some(name) = rest.strip_suffix("/tags/list") {
        return Route::Tags(name.to_owned());
    }
    if let Some(i) = rest.rfind("/blobs/uploads") {
        let tail = &rest[i + "/blobs/uploads".len()..];
        let uuid = tail.trim_start_matches('/');
        if !tail.is_empty() && !tail.starts_with('/') {
            return Route::NotFound;
        }
        let uuid = (!uuid.is_empty()).then(|| uuid.to_owned());
        return Route::Uploads(rest[..i].to_owned(), uuid);
    }
    if let Some(i) = rest.rfind("/blobs/") {
        return Route::Blob(rest[..i].to_owned(), rest[i + 7..].to_owned());
    }
    if let Some(i) = rest.rfind("/manifests/") {
        return Route::Manifest(rest[..i].to_owned(), rest[i + 11..].to_owned());
    }
    Route::NotFound
}

fn uuid() -> String {
    let h = server::random_hex(32);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

fn range_header(len: usize) -> String {
    format!("0-{}", len.saturating_sub(1))
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn handle(&self, req: Req) -> Response<Body> {
        let fault = self.lock().log.record(&req);
        match fault {
            Some(Fault::Status {
                status,
                retry_after,
            }) => {
                let status =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let code = match status.as_u16() {
                    401 => "UNAUTHORIZED",
                    403 => "DENIED",
                    429 => "TOOMANYREQUESTS",
                    503 => "UNAVAILABLE",
                    _ => "UNKNOWN",
                };
                let extra: Vec<(&str, String)> = retry_after
                    .map(|s| ("Retry-After", s.to_string()))
                    .into_iter()
                    .collect();
                oci_error(status, code, "injected fault", None, &extra)
            }
            Some(Fault::DropConnection) => server::drop_midway(self.dispatch(&req)),
            Some(_) | None => self.dispatch(&req),
        }
    }

    fn dispatch(&self, req: &Req) -> Response<Body> {
        if req.path == "/token" {
            return self.token(req);
        }
        let route = route(&req.path);
        let name = match &route {
            Route::Tags(n) | Route::Manifest(n, _) | Route::Blob(n, _) | Route::Uploads(n, _) => {
                Some(n.clone())
            }
            _ => None,
        };
        if let Some(n) = &name
            && !valid_name(n)
        {
            return api_error(
                StatusCode::BAD_REQUEST,
                "NAME_INVALID",
                "invalid repository name",
                Some(json!({"name": n})),
            );
        }
        let need = match (&route, name) {
            (Route::Ping, _) => Need::Nothing,
            (Route::Catalog, _) => Need::Catalog,
            (Route::NotFound, _) => {
                return response(
                    StatusCode::NOT_FOUND,
                    &[("Content-Type", "text/plain; charset=utf-8".to_owned())],
                    "404 page not found\n",
                );
            }
            (_, Some(n)) => {
                let actions: &'static [&'static str] = match req.method {
                    Method::GET | Method::HEAD => &["pull"],
                    Method::DELETE => &["delete"],
                    _ => &["pull", "push"],
                };
                Need::Repo(n, actions)
            }
            (_, None) => Need::Nothing,
        };
        let grants = match self.authorize(req, &need) {
            Ok(g) => g,
            Err(resp) => return resp,
        };
        match route {
            Route::Ping => ok_json(StatusCode::OK, &json!({}), &[]),
            Route::Catalog => self.catalog(req),
            Route::Tags(name) => self.tags_list(req, &name),
            Route::Manifest(name, reference) => self.manifest(req, &name, &reference),
            Route::Blob(name, digest) => self.blob(req, &name, &digest),
            Route::Uploads(name, uuid) => {
                self.uploads(req, &name, uuid.as_deref(), grants.as_deref())
            }
            Route::NotFound => api_error(StatusCode::NOT_FOUND, "UNSUPPORTED", "not found", None),
        }
    }

    /// Checks credentials; `Ok(Some(grants))` in bearer mode with the token's grants.
    #[allow(clippy::result_large_err)]
    fn authorize(&self, req: &Req, need: &Need) -> Result<Option<Grants>, Response<Body>> {
        match &self.cfg.auth {
            Auth::None => Ok(None),
            Auth::Basic { user, pass } => {
                if basic_matches(req, user, pass) {
                    Ok(None)
                } else {
                    Err(oci_error(
                        StatusCode::UNAUTHORIZED,
                        "UNAUTHORIZED",
                        "authentication required",
                        Some(Value::Null),
                        &[("WWW-Authenticate", format!("Basic realm=\"{SERVICE}\""))],
                    ))
                }
            }
            Auth::Bearer { .. } => {
                let token = req
                    .header("authorization")
                    .and_then(|h| h.strip_prefix("Bearer "))
                    .map(str::trim);
                let grants = token.and_then(|t| self.lock().tokens.get(t).cloned());
                let (scope, allowed) = match need {
                    Need::Nothing => (None, grants.is_some()),
                    Need::Catalog => (
                        Some("registry:catalog:*".to_owned()),
                        grants.as_ref().is_some_and(|g| {
                            g.iter()
                                .any(|(r, a)| r == "registry:catalog" && a.contains("*"))
                        }),
                    ),
                    Need::Repo(name, actions) => (
                        Some(format!("repository:{name}:{}", actions.join(","))),
                        grants.as_ref().is_some_and(|g| {
                            actions.iter().all(|act| {
                                g.iter().any(|(r, a)| {
                                    *r == format!("repository:{name}")
                                        && (a.contains(*act) || a.contains("*"))
                                })
                            })
                        }),
                    ),
                };
                if allowed {
                    return Ok(grants);
                }
                let mut challenge = format!(
                    "Bearer realm=\"{}/token\",service=\"{SERVICE}\"",
                    self.base()
                );
                if let Some(s) = &scope {
                    challenge.push_str(&format!(",scope=\"{s}\""));
                }
                if grants.is_some() {
                    challenge.push_str(",error=\"insufficient_scope\"");
                } else if token.is_some() {
                    challenge.push_str(",error=\"invalid_token\"");
                }
                Err(oci_error(
                    StatusCode::UNAUTHORIZED,
                    "UNAUTHORIZED",
                    "authentication required",
                    Some(Value::Null),
                    &[("WWW-Authenticate", challenge)],
                ))
            }
        }
    }

    /// The token server at `/token`: the GET flow of the Docker token spec and the OAuth2
    /// POST flow (`grant_type=password` or `refresh_token`).
    fn token(&self, req: &Req) -> Response<Body> {
        let Auth::Bearer {
            user,
            pass,
            anonymous_pull,
        } = &self.cfg.auth
        else {
            return api_error(
                StatusCode::NOT_FOUND,
                "UNSUPPORTED",
                "no token server",
                None,
            );
        };
        if req.method == Method::POST {
            return self.token_post(req, user, pass);
        }
        if req.method != Method::GET {
            return api_error(
                StatusCode::METHOD_NOT_ALLOWED,
                "UNSUPPORTED",
                "the token server supports GET and POST",
                None,
            );
        }
        let authenticated = match req.header("authorization") {
            Some(_) if basic_matches(req, user, pass) => true,
            Some(_) => {
                return ok_json(
                    StatusCode::UNAUTHORIZED,
                    &json!({"details": "incorrect username or password"}),
                    &[],
                );
            }
            None if *anonymous_pull => false,
            None => {
                return ok_json(
                    StatusCode::UNAUTHORIZED,
                    &json!({"details": "authentication required"}),
                    &[],
                );
            }
        };
        if req.query_param("service").as_deref() != Some(SERVICE) {
            return ok_json(
                StatusCode::BAD_REQUEST,
                &json!({"details": format!("service must be {SERVICE}")}),
                &[],
            );
        }
        let scopes: Vec<String> = req
            .query_pairs()
            .into_iter()
            .filter(|(k, _)| k == "scope")
            .map(|(_, v)| v)
            .collect();
        // `docker login` asks for a refresh token with `offline_token=true`.
        let refresh = (authenticated
            && req.query_param("offline_token").as_deref() == Some("true"))
        .then(|| user.clone());
        self.issue_token(authenticated, &scopes, refresh, false)
    }

    /// The OAuth2 flow (RFC 6749 section 4.3 and 6, as the distribution token spec uses it):
    /// a form with `grant_type`, `service`, `client_id`, `scope`, `access_type=offline` for a
    /// refresh token, and `username`/`password` or `refresh_token`. Errors are RFC 6749 JSON
    /// (`{"error": "invalid_grant", …}`) with status 400.
    fn token_post(&self, req: &Req, user: &str, pass: &str) -> Response<Body> {
        let form = req.form_pairs();
        let field = |name: &str| {
            form.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let oauth_error = |error: &str, description: &str| {
            ok_json(
                StatusCode::BAD_REQUEST,
                &json!({"error": error, "error_description": description}),
                &[],
            )
        };
        if field("service") != Some(SERVICE) {
            return oauth_error("invalid_request", &format!("service must be {SERVICE}"));
        }
        if field("client_id").is_none_or(str::is_empty) {
            return oauth_error("invalid_request", "missing client_id");
        }
        let subject = match field("grant_type") {
            Some("password") => {
                if field("username") != Some(user) || field("password") != Some(pass) {
                    return oauth_error("invalid_grant", "incorrect username or password");
                }
                user.to_owned()
            }
            Some("refresh_token") => {
                let known =
                    field("refresh_token").and_then(|t| self.lock().refresh_tokens.get(t).cloned());
                match known {
                    Some(subject) => subject,
                    None => return oauth_error("invalid_grant", "unknown refresh token"),
                }
            }
            Some(other) => {
                return oauth_error(
                    "unsupported_grant_type",
                    &format!("unsupported grant type {other:?}"),
                );
            }
            None => return oauth_error("invalid_request", "missing grant_type"),
        };
        let scopes: Vec<String> = field("scope").map(str::to_owned).into_iter().collect();
        let offline =
            field("access_type") == Some("offline") || field("grant_type") == Some("refresh_token");
        self.issue_token(true, &scopes, offline.then_some(subject), true)
    }

    /// Issues a token for the space-separated `scopes` (pull only unless `authenticated`),
    /// with a refresh token for `refresh_for` when given.
    fn issue_token(
        &self,
        authenticated: bool,
        scopes: &[String],
        refresh_for: Option<String>,
        oauth: bool,
    ) -> Response<Body> {
        let mut grants: Vec<(String, BTreeSet<String>)> = Vec::new();
        let mut access = Vec::new();
        let mut granted_scopes = Vec::new();
        for scope in scopes.iter().flat_map(|v| v.split(' ')) {
            let mut parts = scope.rsplitn(2, ':');
            let (Some(actions), Some(resource)) = (parts.next(), parts.next()) else {
                continue;
            };
            let granted: BTreeSet<String> = actions
                .split(',')
                .filter(|a| authenticated || *a == "pull")
                .map(str::to_owned)
                .collect();
            if granted.is_empty() {
                continue;
            }
            if let Some((typ, name)) = resource.split_once(':') {
                access.push(json!({"type": typ, "name": name, "actions": granted}));
            }
            granted_scopes.push(format!(
                "{resource}:{}",
                granted.iter().cloned().collect::<Vec<_>>().join(",")
            ));
            grants.push((resource.to_owned(), granted));
        }
        let token = server::random_hex(48);
        let refresh = refresh_for.map(|subject| (server::random_hex(40), subject));
        {
            let mut st = self.lock();
            st.tokens.insert(token.clone(), grants);
            if let Some((r, subject)) = &refresh {
                st.refresh_tokens.insert(r.clone(), subject.clone());
            }
        }
        let mut body = if oauth {
            json!({"access_token": token, "scope": granted_scopes.join(" "), "expires_in": 300, "issued_at": rfc3339_now()})
        } else {
            json!({"token": token, "access_token": token, "expires_in": 300, "issued_at": rfc3339_now(), "access": access})
        };
        if let Some((r, _)) = refresh {
            body["refresh_token"] = json!(r);
        }
        ok_json(StatusCode::OK, &body, &[])
    }

    fn catalog(&self, req: &Req) -> Response<Body> {
        let st = self.lock();
        let n = req
            .query_param("n")
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(100);
        let last = req.query_param("last").unwrap_or_default();
        let names: Vec<&String> = st
            .repos
            .keys()
            .filter(|r| r.as_str() > last.as_str())
            .collect();
        let page: Vec<&String> = names.iter().take(n).copied().collect();
        let mut extra = Vec::new();
        if names.len() > page.len()
            && let Some(l) = page.last()
        {
            extra.push((
                "Link",
                format!("</v2/_catalog?last={l}&n={n}>; rel=\"next\""),
            ));
        }
        ok_json(StatusCode::OK, &json!({ "repositories": page }), &extra)
    }

    fn tags_list(&self, req: &Req, name: &str) -> Response<Body> {
        let st = self.lock();
        let Some(repo) = st.repos.get(name).filter(|r| r.has_tags_dir) else {
            return api_error(
                StatusCode::NOT_FOUND,
                "NAME_UNKNOWN",
                "repository name not known to registry",
                Some(json!({"name": name})),
            );
        };
        let all: Vec<&String> = repo.tags.keys().collect();
        let mut extra = Vec::new();
        let tags: Vec<&String> = if self.cfg.paginate_tags {
            let last = req.query_param("last").unwrap_or_default();
            let after: Vec<&String> = all
                .into_iter()
                .filter(|t| t.as_str() > last.as_str())
                .collect();
            match req.query_param("n").and_then(|n| n.parse::<usize>().ok()) {
                Some(n) => {
                    let page: Vec<&String> = after.iter().take(n).copied().collect();
                    if after.len() > page.len()
                        && let Some(l) = page.last()
                    {
                        extra.push((
                            "Link",
                            format!("</v2/{name}/tags/list?last={l}&n={n}>; rel=\"next\""),
                        ));
                    }
                    page
                }
                None => after,
            }
        } else {
            all
        };
        let tags = if tags.is_empty() {
            Value::Null
        } else {
            json!(tags)
        };
        ok_json(StatusCode::OK, &json!({"name": name, "tags": tags}), &extra)
    }

    fn manifest(&self, req: &Req, name: &str, reference: &str) -> Response<Body> {
        let by_digest = reference.contains(':');
        if by_digest && !valid_digest(reference) {
            return api_error(
                StatusCode::BAD_REQUEST,
                "DIGEST_INVALID",
                "provided digest did not match uploaded content",
                None,
            );
        }
        match req.method {
            Method::GET | Method::HEAD => {
                let st = self.lock();
                let repo = st.repos.get(name);
                let digest = if by_digest {
                    Some(reference.to_owned())
                } else {
                    repo.and_then(|r| r.tags.get(reference).cloned())
                };
                let found = digest.as_ref().and_then(|d| {
                    repo.and_then(|r| r.manifests.get(d))
                        .map(|m| (d.clone(), m.clone()))
                });
                let Some((digest, (bytes, media_type))) = found else {
                    let detail = if by_digest {
                        json!({"Name": name, "Revision": reference})
                    } else {
                        json!({"Tag": reference})
                    };
                    return api_error(
                        StatusCode::NOT_FOUND,
                        "MANIFEST_UNKNOWN",
                        "manifest unknown",
                        Some(detail),
                    );
                };
                if !by_digest {
                    let accept = req
                        .headers
                        .get_all(http::header::ACCEPT)
                        .iter()
                        .filter_map(|v| v.to_str().ok())
                        .collect::<Vec<_>>()
                        .join(",");
                    let accepts = |t: &str| {
                        accept
                            .split(',')
                            .any(|a| a.split(';').next().unwrap_or("").trim() == t)
                    };
                    if media_type == OCI_MANIFEST && !accepts(OCI_MANIFEST) {
                        return api_error(
                            StatusCode::NOT_FOUND,
                            "MANIFEST_UNKNOWN",
                            "OCI manifest found, but accept header does not support OCI manifests",
                            None,
                        );
                    }
                    if media_type == OCI_INDEX && !accepts(OCI_INDEX) {
                        return api_error(
                            StatusCode::NOT_FOUND,
                            "MANIFEST_UNKNOWN",
                            "OCI index found, but accept header does not support OCI indexes",
                            None,
                        );
                    }
                }
                response(
                    StatusCode::OK,
                    &[
                        ("Content-Type", media_type),
                        ("Docker-Content-Digest", digest.clone()),
                        (API_HEADER.0, API_HEADER.1.to_owned()),
                        ("Etag", format!("\"{digest}\"")),
                    ],
                    bytes,
                )
            }
            Method::PUT => self.put_manifest(req, name, reference),
            Method::DELETE => {
                if !by_digest {
                    return api_error(
                        StatusCode::BAD_REQUEST,
                        "DIGEST_INVALID",
                        "provided digest did not match uploaded content",
                        None,
                    );
                }
                let mut st = self.lock();
                let Some(repo) = st
                    .repos
                    .get_mut(name)
                    .filter(|r| r.manifests.contains_key(reference))
                else {
                    return api_error(
                        StatusCode::NOT_FOUND,
                        "MANIFEST_UNKNOWN",
                        "manifest unknown",
                        None,
                    );
                };
                repo.manifests.remove(reference);
                repo.tags.retain(|_, d| d != reference);
                empty(StatusCode::ACCEPTED, &[])
            }
            _ => api_error(
                StatusCode::METHOD_NOT_ALLOWED,
                "UNSUPPORTED",
                "The operation is unsupported.",
                None,
            ),
        }
    }

    fn put_manifest(&self, req: &Req, name: &str, reference: &str) -> Response<Body> {
        let Ok(doc) = serde_json::from_slice::<Value>(&req.body) else {
            return api_error(
                StatusCode::BAD_REQUEST,
                "MANIFEST_INVALID",
                "manifest invalid",
                Some(json!({})),
            );
        };
        let media_type = req
            .header("content-type")
            .map(|c| c.split(';').next().unwrap_or("").trim().to_owned())
            .filter(|c| !c.is_empty())
            .or_else(|| {
                doc.get("mediaType")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_default();
        if ![OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST].contains(&media_type.as_str()) {
            return api_error(
                StatusCode::BAD_REQUEST,
                "MANIFEST_INVALID",
                "manifest invalid",
                Some(json!({"mediaType": media_type})),
            );
        }
        let digest = sha256_digest(&req.body);
        if reference.contains(':') && reference != digest {
            return api_error(
                StatusCode::BAD_REQUEST,
                "DIGEST_INVALID",
                "provided digest did not match uploaded content",
                None,
            );
        }
        let mut st = self.lock();
        let repo = st.repos.get(name);
        let mut errors = Vec::new();
        let is_index = media_type == OCI_INDEX || media_type == DOCKER_LIST;
        let digest_of = |v: &Value| v.get("digest").and_then(Value::as_str).map(str::to_owned);
        if is_index {
            for m in doc
                .get("manifests")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(d) = digest_of(m) else { continue };
                if !repo.is_some_and(|r| r.manifests.contains_key(&d)) {
                    errors.push(json!({"code": "MANIFEST_BLOB_UNKNOWN", "message": "blob unknown to registry", "detail": d}));
                }
            }
        } else {
            let refs = doc.get("config").into_iter().chain(
                doc.get("layers")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten(),
            );
            for v in refs {
                let Some(d) = digest_of(v) else {
                    errors.push(json!({"code": "MANIFEST_INVALID", "message": "manifest invalid", "detail": "descriptor without digest"}));
                    continue;
                };
                if !repo.is_some_and(|r| r.blobs.contains(&d)) {
                    errors.push(json!({"code": "MANIFEST_BLOB_UNKNOWN", "message": "blob unknown to registry", "detail": d}));
                }
            }
        }
        if !errors.is_empty() {
            let body = serde_json::to_vec(&json!({ "errors": errors })).unwrap_or_default();
            return response(
                StatusCode::BAD_REQUEST,
                &[
                    ("Content-Type", "application/json; charset=utf-8".to_owned()),
                    (API_HEADER.0, API_HEADER.1.to_owned()),
                ],
                body,
            );
        }
        let repo = st.repos.entry(name.to_owned()).or_default();
        repo.manifests
            .insert(digest.clone(), (req.body.clone(), media_type));
        if !reference.contains(':') {
            repo.tags.insert(reference.to_owned(), digest.clone());
            repo.has_tags_dir = true;
        }
        empty(
            StatusCode::CREATED,
            &[
                ("Docker-Content-Digest", digest.clone()),
                (
                    "Location",
                    format!("{}/v2/{name}/manifests/{digest}", self.base()),
                ),
            ],
        )
    }

    fn blob(&self, req: &Req, name: &str, digest: &str) -> Response<Body> {
        if !valid_digest(digest) {
            return api_error(
                StatusCode::BAD_REQUEST,
                "DIGEST_INVALID",
                "provided digest did not match uploaded content",
                None,
            );
        }
        let mut st = self.lock();
        let linked = st.repos.get(name).is_some_and(|r| r.blobs.contains(digest));
        let bytes = if linked {
            st.blobs.get(digest).cloned()
        } else {
            None
        };
        let Some(mut bytes) = bytes else {
            return api_error(
                StatusCode::NOT_FOUND,
                "BLOB_UNKNOWN",
                "blob unknown to registry",
                Some(json!(digest)),
            );
        };
        match req.method {
            Method::GET | Method::HEAD => {
                if st.corrupt.contains(digest) {
                    let mut v = bytes.to_vec();
                    match v.first_mut() {
                        Some(b) => *b ^= 0xff,
                        None => v.push(b'x'),
                    }
                    bytes = Bytes::from(v);
                }
                drop(st);
                let total = bytes.len();
                let mut headers = vec![
                    ("Accept-Ranges", "bytes".to_owned()),
                    ("Cache-Control", "max-age=31536000".to_owned()),
                    ("Content-Type", "application/octet-stream".to_owned()),
                    ("Docker-Content-Digest", digest.to_owned()),
                    (API_HEADER.0, API_HEADER.1.to_owned()),
                    ("Etag", format!("\"{digest}\"")),
                ];
                if let Some(range) = req.header("range").filter(|_| req.method == Method::GET) {
                    match parse_range(range, total) {
                        Some((start, end)) => {
                            headers.push(("Content-Range", format!("bytes {start}-{end}/{total}")));
                            return response(
                                StatusCode::PARTIAL_CONTENT,
                                &headers,
                                bytes.slice(start..=end),
                            );
                        }
                        None => {
                            return response(
                                StatusCode::RANGE_NOT_SATISFIABLE,
                                &[("Content-Range", format!("bytes */{total}"))],
                                Bytes::new(),
                            );
                        }
                    }
                }
                response(StatusCode::OK, &headers, bytes)
            }
            Method::DELETE => {
                if let Some(r) = st.repos.get_mut(name) {
                    r.blobs.remove(digest);
                }
                empty(
                    StatusCode::ACCEPTED,
                    &[("Docker-Content-Digest", digest.to_owned())],
                )
            }
            _ => api_error(
                StatusCode::METHOD_NOT_ALLOWED,
                "UNSUPPORTED",
                "The operation is unsupported.",
                None,
            ),
        }
    }

    fn upload_location(&self, name: &str, uuid: &str, state: &str) -> String {
        format!(
            "{}/v2/{name}/blobs/uploads/{uuid}?_state={state}",
            self.base()
        )
    }

    fn upload_headers(&self, name: &str, uuid: &str, up: &Upload) -> Vec<(&'static str, String)> {
        vec![
            ("Docker-Upload-Uuid", uuid.to_owned()),
            ("Location", self.upload_location(name, uuid, &up.state)),
            ("Range", range_header(up.data.len())),
        ]
    }

    fn blob_created(&self, name: &str, digest: &str) -> Response<Body> {
        empty(
            StatusCode::CREATED,
            &[
                ("Docker-Content-Digest", digest.to_owned()),
                (
                    "Location",
                    format!("{}/v2/{name}/blobs/{digest}", self.base()),
                ),
            ],
        )
    }

    fn uploads(
        &self,
        req: &Req,
        name: &str,
        uuid: Option<&str>,
        grants: Option<&[(String, BTreeSet<String>)]>,
    ) -> Response<Body> {
        let Some(uuid) = uuid else {
            if req.method != Method::POST {
                return api_error(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "UNSUPPORTED",
                    "The operation is unsupported.",
                    None,
                );
            }
            return self.start_upload(req, name, grants);
        };
        let mut st = self.lock();
        let state = req.query_param("_state");
        let valid = st
            .uploads
            .get(uuid)
            .is_some_and(|u| u.repo == name && Some(&u.state) == state.as_ref());
        if !valid {
            return api_error(
                StatusCode::NOT_FOUND,
                "BLOB_UPLOAD_INVALID",
                "blob upload invalid",
                Some(json!({})),
            );
        }
        match req.method {
            Method::GET => {
                let up = &st.uploads[uuid];
                let headers = self.upload_headers(name, uuid, up);
                empty(StatusCode::NO_CONTENT, &headers)
            }
            Method::PATCH => {
                let Some(up) = st.uploads.get_mut(uuid) else {
                    return api_error(
                        StatusCode::NOT_FOUND,
                        "BLOB_UPLOAD_UNKNOWN",
                        "blob upload unknown to registry",
                        None,
                    );
                };
                if let Some(cr) = req.header("content-range") {
                    let start = cr
                        .trim()
                        .trim_start_matches("bytes=")
                        .split('-')
                        .next()
                        .and_then(|s| s.parse::<usize>().ok());
                    if start != Some(up.data.len()) {
                        return response(
                            StatusCode::RANGE_NOT_SATISFIABLE,
                            &[
                                ("Location", self.upload_location(name, uuid, &up.state)),
                                ("Range", range_header(up.data.len())),
                                (API_HEADER.0, API_HEADER.1.to_owned()),
                            ],
                            Bytes::new(),
                        );
                    }
                }
                up.data.extend_from_slice(&req.body);
                up.state = server::random_hex(24);
                let headers = self.upload_headers(name, uuid, up);
                empty(StatusCode::ACCEPTED, &headers)
            }
            Method::PUT => {
                let Some(expected) = req.query_param("digest") else {
                    return api_error(
                        StatusCode::BAD_REQUEST,
                        "DIGEST_INVALID",
                        "provided digest did not match uploaded content",
                        None,
                    );
                };
                let Some(up) = st.uploads.get_mut(uuid) else {
                    return api_error(
                        StatusCode::NOT_FOUND,
                        "BLOB_UPLOAD_UNKNOWN",
                        "blob upload unknown to registry",
                        None,
                    );
                };
                let mut data = up.data.clone();
                data.extend_from_slice(&req.body);
                let actual = sha256_digest(&data);
                if actual != expected {
                    return api_error(
                        StatusCode::BAD_REQUEST,
                        "DIGEST_INVALID",
                        "provided digest did not match uploaded content",
                        Some(json!({"Digest": expected, "Reason": {}})),
                    );
                }
                st.uploads.remove(uuid);
                st.blobs.insert(actual.clone(), Bytes::from(data));
                st.repos
                    .entry(name.to_owned())
                    .or_default()
                    .blobs
                    .insert(actual.clone());
                drop(st);
                self.blob_created(name, &actual)
            }
            Method::DELETE => {
                st.uploads.remove(uuid);
                empty(StatusCode::NO_CONTENT, &[])
            }
            _ => api_error(
                StatusCode::METHOD_NOT_ALLOWED,
                "UNSUPPORTED",
                "The operation is unsupported.",
                None,
            ),
        }
    }

    fn start_upload(
        &self,
        req: &Req,
        name: &str,
        grants: Option<&[(String, BTreeSet<String>)]>,
    ) -> Response<Body> {
        let mut st = self.lock();
        if let (Some(mount), Some(from)) = (req.query_param("mount"), req.query_param("from")) {
            let may_pull = match grants {
                None => true,
                Some(g) => g.iter().any(|(r, a)| {
                    *r == format!("repository:{from}") && (a.contains("pull") || a.contains("*"))
                }),
            };
            let exists = may_pull
                && st
                    .repos
                    .get(&from)
                    .is_some_and(|r| r.blobs.contains(&mount))
                && st.blobs.contains_key(&mount);
            if exists {
                st.repos
                    .entry(name.to_owned())
                    .or_default()
                    .blobs
                    .insert(mount.clone());
                drop(st);
                return self.blob_created(name, &mount);
            }
        } else if let Some(expected) = req
            .query_param("digest")
            .filter(|_| self.cfg.monolithic_post)
        {
            let actual = sha256_digest(&req.body);
            if actual != expected {
                return api_error(
                    StatusCode::BAD_REQUEST,
                    "DIGEST_INVALID",
                    "provided digest did not match uploaded content",
                    Some(json!({"Digest": expected, "Reason": {}})),
                );
            }
            st.blobs.insert(actual.clone(), req.body.clone());
            st.repos
                .entry(name.to_owned())
                .or_default()
                .blobs
                .insert(actual.clone());
            drop(st);
            return self.blob_created(name, &actual);
        }
        let id = uuid();
        let up = Upload {
            repo: name.to_owned(),
            data: Vec::new(),
            state: server::random_hex(24),
        };
        let headers = self.upload_headers(name, &id, &up);
        st.repos.entry(name.to_owned()).or_default();
        st.uploads.insert(id, up);
        empty(StatusCode::ACCEPTED, &headers)
    }
}

fn basic_matches(req: &Req, user: &str, pass: &str) -> bool {
    req.header("authorization")
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|raw| String::from_utf8(raw).ok())
        .is_some_and(|s| {
            s.split_once(':')
                .is_some_and(|(u, p)| u == user && p == pass)
        })
}

/// Parses `bytes=START-END` / `bytes=START-` / `bytes=-SUFFIX` into inclusive bounds.
fn parse_range(header: &str, total: usize) -> Option<(usize, usize)> {
    let spec = header.trim().strip_prefix("bytes=")?;
    let (a, b) = spec.split_once('-')?;
    if total == 0 {
        return None;
    }
    let (start, end) = if a.is_empty() {
        let suffix: usize = b.parse().ok()?;
        (total.saturating_sub(suffix), total - 1)
    } else {
        let start: usize = a.parse().ok()?;
        let end: usize = if b.is_empty() {
            total - 1
        } else {
            b.parse::<usize>().ok()?.min(total - 1)
        };
        (start, end)
    };
    (start <= end && start < total).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=1-2", 5), Some((1, 2)));
        assert_eq!(parse_range("bytes=3-", 5), Some((3, 4)));
        assert_eq!(parse_range("bytes=-2", 5), Some((3, 4)));
        assert_eq!(parse_range("bytes=1-99", 5), Some((1, 4)));
        assert_eq!(parse_range("bytes=5-6", 5), None);
        assert_eq!(parse_range("items=1-2", 5), None);
    }

    #[test]
    fn names() {
        assert!(valid_name("library/nginx"));
        assert!(valid_name("a.b_c__d-e/f"));
        assert!(!valid_name("Upper"));
        assert!(!valid_name("a//b"));
        assert!(!valid_name("-a"));
    }

    #[test]
    fn routes() {
        assert!(matches!(route("/v2/a/b/blobs/uploads/"), Route::Uploads(n, None) if n == "a/b"));
        assert!(
            matches!(route("/v2/a/blobs/uploads/x-y"), Route::Uploads(n, Some(u)) if n == "a" && u == "x-y")
        );
        assert!(
            matches!(route("/v2/a/manifests/latest"), Route::Manifest(n, r) if n == "a" && r == "latest")
        );
        assert!(matches!(route("/v2/a/b/tags/list"), Route::Tags(n) if n == "a/b"));
        assert!(matches!(route("/v3/x"), Route::NotFound));
    }
}
