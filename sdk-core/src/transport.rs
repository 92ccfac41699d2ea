//! The HTTP transport: a configured reqwest client for one endpoint, plus the retry policy.

use crate::{Endpoint, Error, Result, RetryPolicy, TlsConfig};
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument as _;
use url::Url;

/// The default user agent: `dockwright/<version>`.
pub const DEFAULT_USER_AGENT: &str = concat!("dockwright/", env!("CARGO_PKG_VERSION"));

/// Whether a request may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Idempotent {
    /// Decided by the method: GET, HEAD, PUT, DELETE, OPTIONS and TRACE are retried.
    #[default]
    ByMethod,
    /// The caller marks the request safe to repeat, whatever its method.
    Yes,
    /// Never retried.
    No,
}

/// An HTTP transport to one endpoint (unix socket, TCP or TLS). Cheap to clone: clones share
/// the connection pool.
#[derive(Debug, Clone)]
pub struct Transport {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    client: reqwest::Client,
    endpoint: Endpoint,
    base: Url,
    retry: RetryPolicy,
}

/// Builder of a [`Transport`]; setters never fail, [`TransportBuilder::build`] checks.
#[derive(Debug, Clone)]
#[must_use]
pub struct TransportBuilder {
    endpoint: Endpoint,
    connect_timeout: Option<Duration>,
    timeout: Option<Duration>,
    pool_idle_timeout: Option<Duration>,
    user_agent: String,
    tls: Option<TlsConfig>,
    retry: RetryPolicy,
}

impl Transport {
    /// Starts building a transport to `endpoint`.
    pub fn builder(endpoint: Endpoint) -> TransportBuilder {
        TransportBuilder {
            tls: endpoint.tls().cloned(),
            endpoint,
            connect_timeout: Some(Duration::from_secs(30)),
            timeout: None,
            pool_idle_timeout: Some(Duration::from_secs(90)),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            retry: RetryPolicy::new(),
        }
    }

    /// The full URL for a path (and query) on the endpoint, e.g. `url("/v1.47/_ping")`; a
    /// path prefix of the endpoint is kept.
    ///
    /// # Errors
    /// [`Error::InvalidEndpoint`] when the result is not a valid URL.
    pub fn url(&self, path_and_query: &str) -> Result<Url> {
        let base = self.inner.base.as_str().trim_end_matches('/');
        let rest = path_and_query.trim_start_matches('/');
        let joined = format!("{base}/{rest}");
        Url::parse(&joined).map_err(|e| Error::InvalidEndpoint {
            input: crate::redact::redact_input(&joined),
            reason: e.to_string(),
        })
    }

    /// The underlying reqwest client (already bound to the unix socket for unix endpoints).
    #[must_use]
    pub fn client(&self) -> &reqwest::Client {
        &self.inner.client
    }

    /// The endpoint.
    #[must_use]
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    /// The retry policy [`Transport::send`] applies.
    #[must_use]
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// Sends a request built by `make` (called once per attempt, so bodies are rebuilt),
    /// applying the retry policy. Returns the final response whatever its status; per-call
    /// timeouts go on the request builder (`RequestBuilder::timeout`). Dropping the future
    /// cancels the request.
    ///
    /// # Errors
    /// [`Error::Connect`], [`Error::Timeout`] or [`Error::Request`] for transport failures after
    /// the retries (and for requests that cannot be built); never for HTTP statuses.
    pub async fn send<F>(&self, mut make: F, idempotent: Idempotent) -> Result<reqwest::Response>
    where
        F: FnMut(&reqwest::Client) -> reqwest::RequestBuilder,
    {
        let client = &self.inner.client;
        let first = make(client).build().map_err(Error::from_reqwest)?;
        let retry = match idempotent {
            Idempotent::Yes => true,
            Idempotent::No => false,
            Idempotent::ByMethod => RetryPolicy::is_idempotent_method(first.method()),
        };
        // One span per request (its attempts are events inside it); the URL without userinfo
        // or query, so no secret reaches a subscriber.
        let span = tracing::debug_span!(
            "http_request",
            method = %first.method(),
            url = %crate::redact::endpoint_string(first.url()),
            retry,
        );
        let mut first = Some(first);
        self.inner
            .retry
            .run(retry, || {
                let request = match first.take() {
                    Some(r) => Ok(r),
                    None => make(client).build(),
                };
                let client = client.clone();
                async move { client.execute(request?).await }
            })
            .instrument(span)
            .await
    }
}

impl TransportBuilder {
    /// Sets the connect timeout (default 30 s; `None` for none).
    pub fn connect_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.connect_timeout = timeout.into();
        self
    }

    /// Sets a total timeout for every request, body included (default: none; long-running
    /// calls such as logs and events need none). Per-call timeouts go on the request builder.
    pub fn timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.timeout = timeout.into();
        self
    }

    /// Sets how long idle pooled connections are kept (default 90 s; `None`: no expiry).
    ///
    /// Tests on tokio's paused clock should pass `None`: the pool's expiry timer is otherwise
    /// the next timer the paused clock jumps to while real I/O is pending.
    pub fn pool_idle_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.pool_idle_timeout = timeout.into();
        self
    }

    /// Sets the `User-Agent` (default [`DEFAULT_USER_AGENT`]).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Sets the TLS configuration (default: the endpoint's, else the system trust store).
    /// For a `tcp://` endpoint this switches to HTTPS.
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Sets the retry policy (default [`RetryPolicy::new`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Builds the transport.
    ///
    /// # Errors
    /// [`Error::Tls`] when TLS files cannot be loaded; [`Error::InvalidEndpoint`] for TLS
    /// settings on a plain `http://` endpoint; [`Error::ClientBuild`] when reqwest
    /// rejects the configuration (e.g. an invalid user agent).
    pub fn build(self) -> Result<Transport> {
        let endpoint = match self.tls.clone() {
            Some(tls) => self.endpoint.clone().with_tls(tls),
            None => self.endpoint.clone(),
        };
        if endpoint.tls().is_some()
            && endpoint.base_url().scheme() == "http"
            && endpoint.unix_socket().is_none()
        {
            // `with_tls` cannot turn an explicit http:// URL into TLS: refuse rather than
            // silently talk plain HTTP.
            return Err(Error::InvalidEndpoint {
                input: endpoint.to_string(),
                reason: "TLS settings given for a plain http:// endpoint (use tcp:// or https://)"
                    .into(),
            });
        }
        let tls_config = match endpoint.tls() {
            Some(tls) if endpoint.is_tls() => tls.client_config()?,
            _ => crate::tls::default_client_config()?,
        };
        let mut builder = client_builder(
            tls_config,
            &self.user_agent,
            reqwest::redirect::Policy::none(),
            self.connect_timeout,
            self.timeout,
        )
        .pool_idle_timeout(self.pool_idle_timeout);
        if let Some(path) = endpoint.unix_socket() {
            builder = builder.unix_socket(path.to_path_buf()).no_proxy();
        }
        let client = builder
            .build()
            .map_err(|source| Error::ClientBuild { source })?;
        Ok(Transport {
            inner: Arc::new(Inner {
                client,
                base: endpoint.base_url(),
                endpoint,
                retry: self.retry,
            }),
        })
    }
}

/// The reqwest builder every sdk-core client starts from: our rustls config (no process-wide
/// crypto provider), user agent, redirect policy and the optional timeouts.
pub(crate) fn client_builder(
    tls: rustls::ClientConfig,
    user_agent: &str,
    redirect: reqwest::redirect::Policy,
    connect_timeout: Option<Duration>,
    timeout: Option<Duration>,
) -> reqwest::ClientBuilder {
    let mut builder = reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .user_agent(user_agent)
        .redirect(redirect);
    if let Some(t) = connect_timeout {
        builder = builder.connect_timeout(t);
    }
    if let Some(t) = timeout {
        builder = builder.timeout(t);
    }
    builder
}

#[cfg(test)]
mod tests {
    use super::*;

    /// TLS settings on a plain `http://` endpoint were silently dropped: refused instead.
    #[test]
    fn tls_settings_on_a_plain_http_endpoint_are_refused() {
        let http: Endpoint = "http://127.0.0.1:2376".parse().unwrap();
        let err = Transport::builder(http.clone().with_tls(TlsConfig::new()))
            .build()
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidEndpoint { reason, .. } if reason.contains("TLS")),
            "{err:?}"
        );
        let err = Transport::builder(http.clone())
            .tls(TlsConfig::new())
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::InvalidEndpoint { .. }), "{err:?}");
        // Without TLS settings a plain http:// endpoint is fine; tcp:// switches to https.
        Transport::builder(http).build().unwrap();
        let tcp: Endpoint = "tcp://127.0.0.1:2376".parse().unwrap();
        let t = Transport::builder(tcp)
            .tls(TlsConfig::new())
            .build()
            .unwrap();
        assert_eq!(t.url("/").unwrap().scheme(), "https");
    }
}
