//! One decoder for HTTP error replies, shared by the client crates (registry and Engine API).
//!
//! [`read_error_reply`] reads at most [`ERROR_BODY_LIMIT`] bytes of the body (waiting at most
//! the idle timeout for each chunk; a stall or reset ends the read with what came) and
//! [`ErrorBody::parse`] understands:
//! - the registry form `{"errors":[{"code":"…","message":"…","detail":…}]}` (OCI
//!   distribution spec),
//! - the Engine API form `{"message":"…"}`,
//! - anything else as text.
//!
//! Messages are cleaned before they are kept: control characters become spaces, the word after
//! `Bearer`/`Basic`, secret-looking `name=value` pairs and URLs' user info and secret query
//! parameters are replaced by `<redacted>`, and each message is cut at
//! [`MESSAGE_LIMIT`] characters. A server that echoes a request header back therefore cannot
//! put a credential into an error, a log line or a panic message.
//!
//! ```
//! use sdk_core::error_body::ErrorBody;
//!
//! let registry = ErrorBody::parse(br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#);
//! assert_eq!(registry.errors[0].code, "MANIFEST_UNKNOWN");
//! assert_eq!(registry.message(), "MANIFEST_UNKNOWN: manifest unknown");
//!
//! let engine = ErrorBody::parse(br#"{"message":"rpc error: update out of sequence"}"#);
//! assert_eq!(engine.message(), "rpc error: update out of sequence");
//!
//! let text = ErrorBody::parse(b"upstream said: Authorization: Bearer abc.def\n");
//! assert_eq!(text.message(), "upstream said: Authorization: Bearer <redacted>");
//! ```

use crate::body::read_prefix;
use crate::retry::RetryPolicy;
use std::time::Duration;

/// At most this many bytes of an error body are read (64 KiB).
pub const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// Each message kept from an error body is cut at this many characters.
pub const MESSAGE_LIMIT: usize = 1024;

/// One entry of a registry error body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorEntry {
    /// The error code as sent (`MANIFEST_UNKNOWN`, `UNAUTHORIZED`…; empty when absent).
    pub code: String,
    /// The message, cleaned.
    pub message: String,
    /// The `detail` field as compact JSON text, cleaned (`None` when absent or null).
    pub detail: Option<String>,
}

/// What an error body said.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ErrorBody {
    /// The entries of the registry form (empty for other bodies).
    pub errors: Vec<ErrorEntry>,
    /// The Engine form's `message`, or the body as text when it was neither JSON form
    /// (cleaned; `None` for an empty body).
    pub message: Option<String>,
    /// Whether the body was longer than [`ERROR_BODY_LIMIT`] and cut.
    pub truncated: bool,
}

impl ErrorBody {
    /// Decodes an error body (possibly a prefix of one). Never fails: what cannot be
    /// understood is kept as text.
    #[must_use]
    pub fn parse(body: &[u8]) -> Self {
        #[derive(serde::Deserialize)]
        struct Registry {
            errors: Vec<Entry>,
        }
        #[derive(serde::Deserialize)]
        struct Entry {
            #[serde(default)]
            code: String,
            #[serde(default)]
            message: String,
            #[serde(default)]
            detail: serde_json::Value,
        }
        #[derive(serde::Deserialize)]
        struct Engine {
            message: String,
        }
        if let Ok(r) = serde_json::from_slice::<Registry>(body) {
            return Self {
                errors: r
                    .errors
                    .into_iter()
                    .map(|e| ErrorEntry {
                        code: clean(&e.code),
                        message: clean(&e.message),
                        detail: (!e.detail.is_null()).then(|| clean(&e.detail.to_string())),
                    })
                    .collect(),
                message: None,
                truncated: false,
            };
        }
        if let Ok(e) = serde_json::from_slice::<Engine>(body) {
            return Self {
                errors: Vec::new(),
                message: Some(clean(&e.message)),
                truncated: false,
            };
        }
        let text = clean(&String::from_utf8_lossy(body));
        Self {
            errors: Vec::new(),
            message: (!text.is_empty()).then_some(text),
            truncated: false,
        }
    }

    /// One line for an error message: the Engine message, else `CODE: message` of each
    /// registry entry joined by `; `, else the text; empty when the body said nothing.
    #[must_use]
    pub fn message(&self) -> String {
        if let Some(m) = &self.message {
            return m.clone();
        }
        self.errors
            .iter()
            .map(|e| match (e.code.is_empty(), e.message.is_empty()) {
                (false, false) => format!("{}: {}", e.code, e.message),
                (false, true) => e.code.clone(),
                (true, _) => e.message.clone(),
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The first registry error code, if any.
    #[must_use]
    pub fn code(&self) -> Option<&str> {
        self.errors
            .iter()
            .map(|e| e.code.as_str())
            .find(|c| !c.is_empty())
    }
}

/// A decoded error reply: its status, `Retry-After` and body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorReply {
    /// The HTTP status.
    pub status: http::StatusCode,
    /// `Retry-After` as sent (seconds or HTTP date), not capped.
    pub retry_after: Option<Duration>,
    /// Whether [`RetryPolicy`] classifies the status as worth retrying (408, 429, 5xx but 501
    /// and 505).
    pub retryable: bool,
    /// The decoded body.
    pub body: ErrorBody,
}

/// Reads and decodes an error reply: at most [`ERROR_BODY_LIMIT`] bytes of its body, each
/// chunk awaited at most `idle`. Never fails (a body that cannot be read is empty).
pub async fn read_error_reply(resp: reqwest::Response, idle: Duration) -> ErrorReply {
    let status = resp.status();
    let retry_after = RetryPolicy::parse_retry_after(resp.headers());
    let (bytes, truncated) = read_prefix(resp, ERROR_BODY_LIMIT, idle).await;
    let mut body = ErrorBody::parse(&bytes);
    body.truncated = truncated;
    ErrorReply {
        status,
        retry_after,
        retryable: RetryPolicy::is_retryable_status(status),
        body,
    }
}

/// Whether a word (lower case, `=`-free) names a secret.
fn is_secret_name(name: &str) -> bool {
    let n = name.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '_' && c != '-');
    n == "auth"
        || n == "authorization"
        || n == "sig"
        || n == "key"
        || [
            "token",
            "secret",
            "password",
            "passwd",
            "signature",
            "credential",
        ]
        .iter()
        .any(|w| n.contains(w))
}

/// Cleans a message from a server: no control characters, no credentials (the word after
/// `Bearer`/`Basic`, `secret=value` pairs, URL user info and secret query parameters), at
/// most [`MESSAGE_LIMIT`] characters.
#[must_use]
pub fn clean(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut out: Vec<String> = Vec::new();
    let mut redact_next = false;
    for word in flat.split_whitespace() {
        let lower = word.to_ascii_lowercase();
        let bare = lower.trim_matches(|c: char| !c.is_ascii_alphanumeric());
        // Words, not credentials: `no basic auth credentials` (dockerd), `Bearer token`.
        let prose = matches!(
            bare,
            "auth" | "authentication" | "credentials" | "credential" | "token" | "realm"
        ) && word.len() == bare.len();
        if redact_next && prose {
            out.push(word.to_owned());
            redact_next = false;
            continue;
        }
        if redact_next && bare != "bearer" && bare != "basic" {
            out.push("<redacted>".into());
            redact_next = false;
            continue;
        }
        if bare == "bearer" || bare == "basic" {
            out.push(word.to_owned());
            redact_next = true;
            continue;
        }
        if word.contains("://") {
            let start = word.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(0);
            let (lead, rest) = word.split_at(start);
            // Punctuation around a quoted URL (`"http://h/x":`) is not part of it.
            let end = rest
                .trim_end_matches(['"', '\'', ',', ';', ':', ')', ']', '>', '.'])
                .len();
            let (url, tail) = rest.split_at(end);
            out.push(format!("{lead}{}{tail}", crate::redact::redact_input(url)));
            continue;
        }
        if let Some((name, value)) = word.split_once(['=', ':'])
            && is_secret_name(&name.to_ascii_lowercase())
        {
            if value.is_empty() {
                // `Authorization: VALUE`, `password: VALUE`: the next word is the secret
                // (unless it names a scheme, handled above on the next round).
                out.push(word.to_owned());
                redact_next = true;
            } else {
                let sep = &word[name.len()..=name.len()];
                out.push(format!("{name}{sep}<redacted>"));
            }
            continue;
        }
        out.push(word.to_owned());
    }
    let joined = out.join(" ");
    if joined.chars().count() > MESSAGE_LIMIT {
        let mut cut: String = joined.chars().take(MESSAGE_LIMIT).collect();
        cut.push('…');
        cut
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_form_with_detail() {
        let b = ErrorBody::parse(
            br#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied","detail":[{"Type":"repository","Name":"a/b","Action":"push"}]},{"code":"WEIRD"}]}"#,
        );
        assert_eq!(b.errors.len(), 2);
        assert_eq!(b.code(), Some("DENIED"));
        assert_eq!(
            b.errors[0].detail.as_deref(),
            Some(r#"[{"Action":"push","Name":"a/b","Type":"repository"}]"#)
        );
        assert_eq!(b.errors[1].detail, None);
        assert_eq!(
            b.message(),
            "DENIED: requested access to the resource is denied; WEIRD"
        );
    }

    #[test]
    fn engine_form_text_and_empty() {
        let b = ErrorBody::parse(br#"{"message":"No such service: web"}"#);
        assert!(b.errors.is_empty());
        assert_eq!(b.message(), "No such service: web");
        let b = ErrorBody::parse(b"<html><body>502 Bad\r\nGateway</body></html>");
        assert_eq!(b.message(), "<html><body>502 Bad Gateway</body></html>");
        assert_eq!(ErrorBody::parse(b"").message(), "");
        assert_eq!(ErrorBody::parse(b"").message, None);
        // Invalid UTF-8 and a cut-off JSON body are text.
        let b = ErrorBody::parse(b"\xff\xfe{\"errors\":[");
        assert!(b.message().contains("{\"errors\":["), "{b:?}");
    }

    #[test]
    fn messages_are_cleaned_of_credentials_and_cut() {
        for (raw, secret) in [
            (
                "denied for Authorization: Basic dXNlcjpwYXNz",
                "dXNlcjpwYXNz",
            ),
            ("token=abc.def.ghi expired", "abc.def.ghi"),
            ("password:hunter2 rejected", "hunter2"),
            (
                "fetch https://u:pw@s3.example/b?X-Amz-Signature=SIGSIG&x=1 failed",
                "SIGSIG",
            ),
            ("at (http://r/v2/x?_state=STATESTATE).", "STATESTATE"),
            ("bearer ABCTOKEN", "ABCTOKEN"),
            ("Authorization: RAWTOKEN", "RAWTOKEN"),
        ] {
            let c = clean(raw);
            assert!(!c.contains(secret), "{raw} -> {c}");
            assert!(c.contains("<redacted>"), "{raw} -> {c}");
        }
        // dockerd's own words stay readable; a quoted URL keeps its quotes.
        let raw = r#"Head "http://127.0.0.1:5001/v2/a/b/manifests/1": no basic auth credentials"#;
        assert_eq!(clean(raw), raw);
        let c = clean("fetch https://u:pw@s3.example/b?x=1 failed");
        assert!(!c.contains("pw@"), "{c}");
        assert_eq!(
            clean("plain words, key-value pairs a=b"),
            "plain words, key-value pairs a=b"
        );
        let long = "x".repeat(5000);
        assert_eq!(clean(&long).chars().count(), MESSAGE_LIMIT + 1);
        let b = ErrorBody::parse(
            br#"{"errors":[{"code":"UNAUTHORIZED","message":"bad Bearer tok3n"}]}"#,
        );
        assert!(!b.message().contains("tok3n"), "{}", b.message());
        let b = ErrorBody::parse(br#"{"message":"token=SEKRIT"}"#);
        assert!(!b.message().contains("SEKRIT"), "{}", b.message());
    }
}
