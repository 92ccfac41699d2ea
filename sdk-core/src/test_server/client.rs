//! A small HTTP client for tests of servers (fakes and real ones alike), on [`Transport`].

use std::time::Duration;

use crate::{Endpoint, Error, Result, RetryPolicy, Transport};

/// A complete response as a test sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TestResponse {
    /// The HTTP status code.
    pub status: u16,
    /// Headers as (lower-case name, value) pairs, in order.
    pub headers: Vec<(String, String)>,
    /// The body bytes received (for `HEAD`, none).
    pub body: Vec<u8>,
    /// Whether the body ended early (the connection was dropped before the declared length).
    pub truncated: bool,
}

impl TestResponse {
    /// First value of header `name` (case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }

    /// The body parsed as JSON.
    ///
    /// # Errors
    /// The serde error when the body is not JSON.
    pub fn json(&self) -> serde_json::Result<serde_json::Value> {
        serde_json::from_slice(&self.body)
    }

    /// The body as text (invalid UTF-8 replaced).
    #[must_use]
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The `code` of the first error of an OCI Distribution error body (`{"errors":[{"code":…}]}`),
    /// or an empty string when the body is not one.
    #[must_use]
    pub fn oci_error_code(&self) -> String {
        self.json()
            .ok()
            .and_then(|v| v["errors"][0]["code"].as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// An HTTP client for tests: sends exactly the method, headers and body given, never retries,
/// never follows redirects, and reports truncated bodies instead of failing on them.
///
/// Endpoints: `tcp://HOST:PORT`, `unix:///path/docker.sock`, `http://HOST:PORT` or a bare
/// `HOST:PORT` (plain HTTP). Targets are paths (`/v2/`) or absolute `http://` URLs (e.g. a
/// `Location` header).
#[derive(Debug, Clone)]
pub struct TestClient {
    transport: Transport,
}

impl TestClient {
    /// A client for `endpoint` with a 60 s request timeout.
    ///
    /// # Errors
    /// [`Error::InvalidEndpoint`] for an endpoint that cannot be parsed; [`Error::ClientBuild`]
    /// when the HTTP client cannot be built.
    pub fn new(endpoint: &str) -> Result<Self> {
        let endpoint = if endpoint.contains("://") {
            endpoint.to_owned()
        } else {
            format!("tcp://{endpoint}")
        };
        let endpoint: Endpoint = endpoint.parse()?;
        let transport = Transport::builder(endpoint)
            .retry(RetryPolicy::none())
            .timeout(Duration::from_secs(60))
            .build()?;
        Ok(Self { transport })
    }

    /// The transport underneath (for requests this type does not cover).
    #[must_use]
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Starts a request and returns as soon as the response headers arrived, for streamed
    /// bodies (`/events`, `logs?follow=1`): read them with [`reqwest::Response::chunk`].
    ///
    /// # Errors
    /// [`Error::InvalidEndpoint`] for a bad target or method, and the transport errors of
    /// [`Transport::send`].
    pub async fn open(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<reqwest::Response> {
        let url = if target.starts_with("http://") || target.starts_with("https://") {
            url::Url::parse(target).map_err(|e| Error::InvalidEndpoint {
                input: crate::redact::redact_input(target),
                reason: e.to_string(),
            })?
        } else {
            self.transport.url(target)?
        };
        let method =
            reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| Error::InvalidEndpoint {
                input: method.to_owned(),
                reason: e.to_string(),
            })?;
        let body = body.to_vec();
        self.transport
            .send(
                |c| {
                    let mut rb = c.request(method.clone(), url.clone());
                    for (k, v) in headers {
                        rb = rb.header(*k, *v);
                    }
                    rb.body(body.clone())
                },
                crate::Idempotent::No,
            )
            .await
    }

    /// Sends one request and reads the whole response; a body cut short by the server is kept
    /// with [`TestResponse::truncated`] set.
    ///
    /// # Errors
    /// As [`Self::open`] (connection refused, timeouts, bad targets).
    pub async fn send(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<TestResponse> {
        let mut resp = self.open(method, target, headers, body).await?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = Vec::new();
        let mut truncated = false;
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(_) => {
                    truncated = true;
                    break;
                }
            }
        }
        Ok(TestResponse {
            status,
            headers,
            body,
            truncated,
        })
    }
}
