//! Errors of the registry client.
//!
//! API errors keep what the registry said: the HTTP status, the endpoint (scheme, host, path and
//! query with any userinfo stripped) and the OCI error codes and messages parsed from the JSON body.

use crate::digest::Digest;
use std::fmt;

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error of the registry client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The registry answered with an error status.
    #[error("{0}")]
    Api(Box<ApiError>),
    /// Content did not match its digest: the bytes are rejected, never delivered as good data.
    #[error("digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch {
        /// The digest that was asked for or announced.
        expected: Digest,
        /// The digest of the bytes actually received.
        actual: Digest,
    },
    /// Content had a different size than its descriptor announced.
    #[error("size mismatch for {digest}: expected {expected} bytes, got {actual}")]
    SizeMismatch {
        /// The digest of the content.
        digest: Digest,
        /// The size the descriptor announced.
        expected: u64,
        /// The size received.
        actual: u64,
    },
    /// A manifest was larger than the configured limit (checked on `Content-Length` and while reading).
    #[error("manifest larger than the limit of {limit} bytes")]
    ManifestTooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// A manifest or index could not be parsed, or has an unsupported media type.
    #[error("invalid manifest: {reason}")]
    InvalidManifest {
        /// What was wrong.
        reason: String,
    },
    /// A `WWW-Authenticate` header could not be parsed or named no supported scheme.
    #[error("invalid WWW-Authenticate challenge: {reason}")]
    InvalidChallenge {
        /// What was wrong.
        reason: String,
    },
    /// The token endpoint answered without a usable token.
    #[error("token endpoint {endpoint} failed: {reason}")]
    Token {
        /// The token endpoint (no secrets).
        endpoint: String,
        /// What was wrong.
        reason: String,
    },
    /// A reply from the registry (a token reply, a tags or catalog page, …) was larger than
    /// its limit; reading stopped there.
    #[error("{what} from {endpoint} is larger than the limit of {limit} bytes")]
    TooLarge {
        /// What was being read (`token reply`, `tags/catalog page`…).
        what: &'static str,
        /// The endpoint (no secrets).
        endpoint: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// The server sent nothing for the idle timeout: no response headers, or no body bytes
    /// ([`crate::ClientBuilder::idle_timeout`]).
    #[error("no data from {endpoint} for {} ms (idle timeout)", after.as_millis())]
    Timeout {
        /// The endpoint (no secrets).
        endpoint: String,
        /// The idle timeout that expired.
        after: std::time::Duration,
    },
    /// The registry named a token realm the credentials must not be sent to (plain HTTP for
    /// an HTTPS registry or to a host that is not loopback, unless the client is insecure; a
    /// scheme other than http(s)). Nothing was sent to it.
    #[error("token realm {realm} named by {registry} refused: {reason}")]
    RealmRefused {
        /// The realm URL (no secrets).
        realm: String,
        /// The registry that named it.
        registry: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// The registry broke the protocol (a missing `Location`, a bad `Range` header, too many redirects…).
    #[error("protocol error from {endpoint}: {reason}")]
    Protocol {
        /// The endpoint (no secrets).
        endpoint: String,
        /// What was wrong.
        reason: String,
    },
    /// An invalid argument or configuration (bad registry address, bad digest, bad reference…).
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// What was invalid.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// No manifest in an index matched the requested platform.
    #[error("no manifest for platform {platform} in the index (available: {available})")]
    PlatformNotFound {
        /// The platform asked for (`os/arch[/variant]`).
        platform: String,
        /// The platforms the index lists.
        available: String,
    },
    /// An HTTP transport error (connection refused, reset, timeout…).
    #[error("HTTP request to {endpoint} failed")]
    Http {
        /// The endpoint (no secrets).
        endpoint: String,
        /// The transport error, with its URL removed.
        #[source]
        source: reqwest::Error,
    },
    /// Reading or writing a local file failed.
    #[error("{action} {path}")]
    Io {
        /// What was being done (`reading`, `writing`…).
        action: &'static str,
        /// The path involved.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// JSON could not be (de)serialised.
    #[error("JSON error in {what}")]
    Json {
        /// What was being parsed.
        what: &'static str,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },
    /// An error from sdk-core (credentials, docker config, credential helpers, TLS setup).
    #[error(transparent)]
    Core(sdk_core::Error),
    /// A `docker save` stream (or archive) that cannot be pushed as it is: not a tar, no
    /// `manifest.json`, a layer missing, a layer whose content does not match its diff ID.
    #[error("docker save stream: {0}")]
    Archive(String),
    /// An error from the OCI image layout / docker archive code.
    #[error("image source")]
    Image(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
}

impl Error {
    /// The API error details when the registry answered with an error status.
    #[must_use]
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(a) => Some(a),
            _ => None,
        }
    }

    /// The HTTP status when the registry answered with an error status.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        self.api().map(|a| a.status)
    }

    /// Whether any OCI error code in the registry's answer equals `code`.
    #[must_use]
    pub fn has_code(&self, code: &ErrorCode) -> bool {
        self.api()
            .is_some_and(|a| a.errors.iter().any(|e| &e.code == code))
    }

    pub(crate) fn protocol(endpoint: &str, reason: impl Into<String>) -> Self {
        Self::Protocol {
            endpoint: endpoint.to_owned(),
            reason: reason.into(),
        }
    }

    pub(crate) fn http(endpoint: &str, source: reqwest::Error) -> Self {
        Self::Http {
            endpoint: endpoint.to_owned(),
            source: source.without_url(),
        }
    }

    /// Maps a failed bounded or idle-limited read of a reply from `endpoint`.
    pub(crate) fn body(what: &'static str, endpoint: &str, e: sdk_core::body::BodyError) -> Self {
        use sdk_core::body::BodyError;
        match e {
            BodyError::TooLarge { limit } => Self::TooLarge {
                what,
                endpoint: endpoint.to_owned(),
                limit,
            },
            BodyError::Idle { after } => Self::Timeout {
                endpoint: endpoint.to_owned(),
                after,
            },
            BodyError::Transport(source) => Self::http(endpoint, source),
            other => Self::protocol(endpoint, other.to_string()),
        }
    }

    pub(crate) fn io(action: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io {
            action,
            path: path.display().to_string(),
            source,
        }
    }
}

impl From<sdk_core::Error> for Error {
    fn from(e: sdk_core::Error) -> Self {
        Self::Core(e)
    }
}

/// What a registry answered with an error status.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status code.
    pub status: u16,
    /// The HTTP method of the request.
    pub method: String,
    /// The endpoint, without userinfo.
    pub endpoint: String,
    /// The OCI errors from the JSON body (empty when the body had none).
    pub errors: Vec<OciError>,
    /// When the body had no OCI errors: its `{"message":…}` (the Engine API form, sent by
    /// some proxies) or its text, cleaned of credentials and cut at 1024 characters.
    pub message: Option<String>,
    /// Seconds from `Retry-After`, when given.
    pub retry_after: Option<u64>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "registry answered {} to {} {}",
            self.status, self.method, self.endpoint
        )?;
        for (i, e) in self.errors.iter().enumerate() {
            f.write_str(if i == 0 { ": " } else { "; " })?;
            write!(f, "{}", e.code)?;
            if !e.message.is_empty() {
                write!(f, " ({})", e.message)?;
            }
        }
        if self.errors.is_empty()
            && let Some(m) = &self.message
        {
            write!(f, ": {m}")?;
        }
        Ok(())
    }
}

/// One entry of the OCI error body `{"errors":[{"code","message","detail"}]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OciError {
    /// The error code.
    pub code: ErrorCode,
    /// The human-readable message.
    pub message: String,
    /// The `detail` field, as JSON text (`null` when absent).
    pub detail: String,
}

/// The OCI distribution-spec error codes; unknown codes are kept as they were sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `BLOB_UNKNOWN`
    BlobUnknown,
    /// `BLOB_UPLOAD_INVALID`
    BlobUploadInvalid,
    /// `BLOB_UPLOAD_UNKNOWN`
    BlobUploadUnknown,
    /// `DIGEST_INVALID`
    DigestInvalid,
    /// `MANIFEST_BLOB_UNKNOWN`
    ManifestBlobUnknown,
    /// `MANIFEST_INVALID`
    ManifestInvalid,
    /// `MANIFEST_UNKNOWN`
    ManifestUnknown,
    /// `NAME_INVALID`
    NameInvalid,
    /// `NAME_UNKNOWN`
    NameUnknown,
    /// `SIZE_INVALID`
    SizeInvalid,
    /// `UNAUTHORIZED`
    Unauthorized,
    /// `DENIED`
    Denied,
    /// `UNSUPPORTED`
    Unsupported,
    /// `TOOMANYREQUESTS`
    TooManyRequests,
    /// Any other code, as sent.
    Other(String),
}

impl ErrorCode {
    /// The code as the registry spells it.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::BlobUnknown => "BLOB_UNKNOWN",
            Self::BlobUploadInvalid => "BLOB_UPLOAD_INVALID",
            Self::BlobUploadUnknown => "BLOB_UPLOAD_UNKNOWN",
            Self::DigestInvalid => "DIGEST_INVALID",
            Self::ManifestBlobUnknown => "MANIFEST_BLOB_UNKNOWN",
            Self::ManifestInvalid => "MANIFEST_INVALID",
            Self::ManifestUnknown => "MANIFEST_UNKNOWN",
            Self::NameInvalid => "NAME_INVALID",
            Self::NameUnknown => "NAME_UNKNOWN",
            Self::SizeInvalid => "SIZE_INVALID",
            Self::Unauthorized => "UNAUTHORIZED",
            Self::Denied => "DENIED",
            Self::Unsupported => "UNSUPPORTED",
            Self::TooManyRequests => "TOOMANYREQUESTS",
            Self::Other(s) => s,
        }
    }
}

impl From<&str> for ErrorCode {
    fn from(s: &str) -> Self {
        match s {
            "BLOB_UNKNOWN" => Self::BlobUnknown,
            "BLOB_UPLOAD_INVALID" => Self::BlobUploadInvalid,
            "BLOB_UPLOAD_UNKNOWN" => Self::BlobUploadUnknown,
            "DIGEST_INVALID" => Self::DigestInvalid,
            "MANIFEST_BLOB_UNKNOWN" => Self::ManifestBlobUnknown,
            "MANIFEST_INVALID" => Self::ManifestInvalid,
            "MANIFEST_UNKNOWN" => Self::ManifestUnknown,
            "NAME_INVALID" => Self::NameInvalid,
            "NAME_UNKNOWN" => Self::NameUnknown,
            "SIZE_INVALID" => Self::SizeInvalid,
            "UNAUTHORIZED" => Self::Unauthorized,
            "DENIED" => Self::Denied,
            "UNSUPPORTED" => Self::Unsupported,
            "TOOMANYREQUESTS" => Self::TooManyRequests,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The OCI errors of a body decoded by sdk-core's decoder.
pub(crate) fn oci_errors(body: &sdk_core::error_body::ErrorBody) -> Vec<OciError> {
    body.errors
        .iter()
        .map(|e| OciError {
            code: ErrorCode::from(e.code.as_str()),
            message: e.message.clone(),
            detail: e.detail.clone().unwrap_or_else(|| "null".into()),
        })
        .collect()
}

/// Parses an OCI error body; anything that is not the expected JSON gives an empty list.
#[cfg(test)]
fn parse_error_body(body: &[u8]) -> Vec<OciError> {
    oci_errors(&sdk_core::error_body::ErrorBody::parse(body))
}

/// A URL for error messages and logs, through sdk-core's redaction: no userinfo, no fragment,
/// and secret query parameters (a redirected blob URL's `X-Amz-Signature`, `token`, …) blanked.
#[must_use]
pub(crate) fn redact_url(url: &url::Url) -> String {
    sdk_core::redact::endpoint_string(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_oci_error_body() {
        let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}},{"code":"WEIRD","message":""}]}"#;
        let errs = parse_error_body(body);
        assert_eq!(errs.len(), 2);
        assert_eq!(errs[0].code, ErrorCode::ManifestUnknown);
        assert_eq!(errs[0].message, "manifest unknown");
        assert_eq!(errs[0].detail, r#"{"Tag":"x"}"#);
        assert_eq!(errs[1].code, ErrorCode::Other("WEIRD".into()));
        assert!(parse_error_body(b"<html>").is_empty());
    }

    #[test]
    fn codes_round_trip() {
        for c in [
            "BLOB_UNKNOWN",
            "BLOB_UPLOAD_INVALID",
            "BLOB_UPLOAD_UNKNOWN",
            "DIGEST_INVALID",
            "MANIFEST_BLOB_UNKNOWN",
            "MANIFEST_INVALID",
            "MANIFEST_UNKNOWN",
            "NAME_INVALID",
            "NAME_UNKNOWN",
            "SIZE_INVALID",
            "UNAUTHORIZED",
            "DENIED",
            "UNSUPPORTED",
            "TOOMANYREQUESTS",
        ] {
            let code = ErrorCode::from(c);
            assert!(!matches!(code, ErrorCode::Other(_)), "{c}");
            assert_eq!(code.as_str(), c);
        }
    }

    #[test]
    fn redacts_userinfo() {
        let u = url::Url::parse("https://user:secret@r.example/v2/x?y=1").unwrap();
        let s = redact_url(&u);
        assert!(!s.contains("secret") && !s.contains("user"), "{s}");
        // A presigned blob redirect keeps its shape but not its signature.
        let u = url::Url::parse(
            "https://s3.example/b/sha256?X-Amz-Credential=AK&X-Amz-Signature=deadbeef&x=1",
        )
        .unwrap();
        let s = redact_url(&u);
        assert!(!s.contains("deadbeef") && s.ends_with("&x=1"), "{s}");
    }
}
