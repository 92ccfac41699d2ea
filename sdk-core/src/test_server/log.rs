//! Request recording and scheduled faults ("fail the N-th request").

use std::collections::BTreeMap;

use super::server::{Request, redacted_headers};

/// One request received by a test server, as recorded for assertions.
///
/// Credentials are redacted (see [`redacted_headers`]): `Authorization` keeps only its scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// HTTP method, e.g. `PUT`.
    pub method: String,
    /// Path as sent, e.g. `/v2/library/nginx/manifests/latest` or `/v1.41/services/create`.
    pub path: String,
    /// Raw query string without `?` (empty when none).
    pub query: String,
    /// Request headers (lower-case names) with secrets redacted.
    pub headers: Vec<(String, String)>,
    /// Length of the request body in bytes.
    pub body_len: usize,
    /// The body as text (invalid UTF-8 replaced) when it is at most the log's text limit
    /// ([`RequestLog::new`]); empty otherwise (e.g. large blob uploads). Secrets are redacted:
    /// in form bodies and JSON objects, values under names that look secret (`password`,
    /// `*token*`, `*secret*`, `UnlockKey`, and `Data` of `/secrets` requests) read
    /// `<redacted>`.
    pub body: String,
}

impl RecordedRequest {
    /// First value of header `name` (case-insensitive), redacted as recorded.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Whether a form field or JSON key names a secret.
fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        "password",
        "passwd",
        "token",
        "secret",
        "unlockkey",
        "authorization",
    ]
    .iter()
    .any(|s| lower.contains(s))
}

fn redact_json(v: &mut serde_json::Value, secret_data: bool) {
    match v {
        serde_json::Value::Object(o) => {
            for (k, val) in o.iter_mut() {
                if is_secret_name(k) || (secret_data && k == "Data") {
                    *val = serde_json::Value::String("<redacted>".to_owned());
                } else {
                    redact_json(val, secret_data);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| redact_json(x, secret_data)),
        _ => {}
    }
}

/// The body of `req` as text with secrets redacted.
fn redacted_body(req: &Request) -> String {
    let content_type = req.header("content-type").unwrap_or_default();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let pairs = req.form_pairs().into_iter().map(|(k, v)| {
            let v = if is_secret_name(&k) {
                "<redacted>".to_owned()
            } else {
                v
            };
            (k, v)
        });
        return url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
    }
    if let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(&req.body)
        && (v.is_object() || v.is_array())
    {
        redact_json(&mut v, req.path.contains("/secrets"));
        return v.to_string();
    }
    String::from_utf8_lossy(&req.body).into_owned()
}

/// A fault a test server injects into one request instead of (or while) answering it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this status (and the server's usual error body) without processing the
    /// request, optionally with `Retry-After: SECS`.
    Status {
        /// The HTTP status, e.g. 503.
        status: u16,
        /// Seconds for a `Retry-After` header.
        retry_after: Option<u64>,
    },
    /// Process the request, then drop the connection after half of the response body.
    DropConnection,
}

impl Fault {
    /// [`Fault::Status`] without `Retry-After`.
    #[must_use]
    pub fn status(status: u16) -> Self {
        Self::Status {
            status,
            retry_after: None,
        }
    }

    /// [`Fault::Status`] with `Retry-After: SECS`.
    #[must_use]
    pub fn retry_after(status: u16, secs: u64) -> Self {
        Self::Status {
            status,
            retry_after: Some(secs),
        }
    }
}

/// Counts and records the requests of a test server and hands out the faults scheduled for
/// them. Keep it inside the server's own state lock.
#[derive(Debug, Clone, Default)]
pub struct RequestLog {
    count: u64,
    faults: BTreeMap<u64, Fault>,
    requests: Vec<RecordedRequest>,
    max_body_text: usize,
}

impl RequestLog {
    /// A log that keeps request bodies of at most `max_body_text` bytes as text
    /// (`usize::MAX`: all of them; 0: none).
    #[must_use]
    pub fn new(max_body_text: usize) -> Self {
        Self {
            max_body_text,
            ..Self::default()
        }
    }

    /// Counts and records `req`; returns the fault scheduled for it, if any.
    pub fn record(&mut self, req: &Request) -> Option<Fault> {
        self.count += 1;
        let body = if req.body.len() <= self.max_body_text {
            redacted_body(req)
        } else {
            String::new()
        };
        self.requests.push(RecordedRequest {
            method: req.method.to_string(),
            path: req.path.clone(),
            query: req.query.clone(),
            headers: redacted_headers(&req.headers),
            body_len: req.body.len(),
            body,
        });
        self.faults.remove(&self.count)
    }

    /// Schedules `fault` for the `n`-th request from now on (1 = the next one; 0 counts as 1).
    /// A later fault for the same request replaces an earlier one.
    pub fn inject(&mut self, n: u64, fault: Fault) {
        let at = self.count + n.max(1);
        self.faults.insert(at, fault);
    }

    /// How many requests were received.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Every request recorded so far, in order.
    #[must_use]
    pub fn requests(&self) -> &[RecordedRequest] {
        &self.requests
    }

    /// Forgets the recorded requests (the count and scheduled faults stay).
    pub fn clear(&mut self) {
        self.requests.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http::{HeaderMap, HeaderValue, Method};

    fn req(body: &'static [u8]) -> Request {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", HeaderValue::from_static("Basic dTpw"));
        Request::new(
            Method::PUT,
            "/v2/a/blobs/uploads/1?digest=x",
            headers,
            Bytes::from_static(body),
        )
    }

    #[test]
    fn faults_hit_the_nth_request_only() {
        let mut log = RequestLog::new(usize::MAX);
        log.record(&req(b""));
        log.inject(
            2,
            Fault::Status {
                status: 503,
                retry_after: Some(1),
            },
        );
        assert_eq!(log.record(&req(b"")), None);
        assert_eq!(
            log.record(&req(b"")),
            Some(Fault::Status {
                status: 503,
                retry_after: Some(1)
            })
        );
        assert_eq!(log.record(&req(b"")), None);
        assert_eq!(log.count(), 4);
    }

    #[test]
    fn records_redacted_and_limits_body_text() {
        let mut log = RequestLog::new(4);
        log.record(&req(b"abcd"));
        log.record(&req(b"abcde"));
        let r = log.requests();
        assert_eq!(r[0].body, "abcd");
        assert_eq!(r[1].body, "");
        assert_eq!(r[1].body_len, 5);
        assert_eq!(r[0].query, "digest=x");
        assert_eq!(r[0].header("Authorization"), Some("Basic <redacted>"));
        assert!(!format!("{r:?}").contains("dTpw"));
        log.clear();
        assert!(log.requests().is_empty());
        assert_eq!(log.count(), 2);
    }

    #[test]
    fn secrets_in_bodies_are_redacted() {
        let mut log = RequestLog::new(usize::MAX);
        let mut form = HeaderMap::new();
        form.insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        log.record(&Request::new(
            Method::POST,
            "/token",
            form,
            Bytes::from_static(
                b"grant_type=password&username=u&password=hunter2&refresh_token=rt99",
            ),
        ));
        log.record(&Request::new(
            Method::POST,
            "/v1.41/swarm/join",
            HeaderMap::new(),
            Bytes::from_static(br#"{"JoinToken":"SWMTKN-1-abc","RemoteAddrs":["127.0.0.1"]}"#),
        ));
        log.record(&Request::new(
            Method::POST,
            "/v1.41/secrets/create",
            HeaderMap::new(),
            Bytes::from_static(br#"{"Name":"db","Data":"c2VjcmV0"}"#),
        ));
        let shown = format!("{:?}", log.requests());
        for secret in ["hunter2", "rt99", "SWMTKN-1-abc", "c2VjcmV0"] {
            assert!(!shown.contains(secret), "{secret} leaked: {shown}");
        }
        assert!(log.requests()[0].body.contains("username=u"));
        assert!(log.requests()[1].body.contains("127.0.0.1"));
        assert!(log.requests()[2].body.contains("\"Name\":\"db\""));
    }
}
