//! The error type of sdk-core, shared pieces the client crates wrap.

use std::path::PathBuf;

/// Result of sdk-core operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in sdk-core.
///
/// No variant ever carries a secret: endpoints are stripped of user info and secret-looking query
/// parameters (see [`crate::redact::endpoint_string`]), reqwest errors are stored without their
/// URL, and credential helper output is never copied into a message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The docker config file could not be read or written.
    #[error("cannot access docker config {}", path.display())]
    Config {
        /// The file (or directory) that could not be accessed.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The docker config file (or a context's meta.json) is not valid.
    #[error("invalid docker config {}: {message}", path.display())]
    ConfigParse {
        /// The file that is invalid.
        path: PathBuf,
        /// What is wrong with it (never contains credential values).
        message: String,
    },
    /// A `docker-credential-<helper>` program failed or answered something unusable.
    #[error("credential helper docker-credential-{helper} failed: {message}")]
    CredentialHelper {
        /// The helper's name (the part after `docker-credential-`).
        helper: String,
        /// What went wrong (never the helper's raw output).
        message: String,
    },
    /// Credentials that cannot be used for the requested operation.
    #[error("invalid credentials: {message}")]
    InvalidCredentials {
        /// What is wrong (never contains the secret).
        message: String,
    },
    /// An `X-Registry-Auth` value that cannot be decoded.
    #[error("invalid X-Registry-Auth value: {message}")]
    InvalidRegistryAuth {
        /// What is wrong (never contains the secret).
        message: String,
    },
    /// An endpoint string (`unix:///…`, `tcp://…`, `http(s)://…`) that cannot be parsed.
    #[error("invalid endpoint {input:?}: {reason}")]
    InvalidEndpoint {
        /// The input, with any user info or secret query parameters redacted.
        input: String,
        /// Why it was rejected.
        reason: String,
    },
    /// TLS material (CA, certificate, key) that cannot be loaded or used.
    #[error("TLS configuration error{}: {message}", path.as_ref().map(|p| format!(" in {}", p.display())).unwrap_or_default())]
    Tls {
        /// The file at fault, when there is one.
        path: Option<PathBuf>,
        /// What went wrong.
        message: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot build HTTP client")]
    ClientBuild {
        /// The underlying reqwest error.
        #[source]
        source: reqwest::Error,
    },
    /// The connection to the endpoint could not be established.
    #[error("cannot connect to {endpoint}")]
    Connect {
        /// The endpoint, secrets stripped.
        endpoint: String,
        /// The underlying reqwest error (without its URL).
        #[source]
        source: reqwest::Error,
    },
    /// A request failed after the connection was made (or could not be built).
    #[error("request to {endpoint} failed")]
    Request {
        /// The endpoint, secrets stripped.
        endpoint: String,
        /// The underlying reqwest error (without its URL).
        #[source]
        source: reqwest::Error,
    },
    /// A request or connection timed out.
    #[error("request to {endpoint} timed out")]
    Timeout {
        /// The endpoint, secrets stripped.
        endpoint: String,
    },
    /// The server answered with an error status. Kept for client crates to reuse or wrap.
    #[error("{endpoint} answered {status}{}: {message}", code.as_ref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Api {
        /// The HTTP status.
        status: http::StatusCode,
        /// The endpoint, secrets stripped.
        endpoint: String,
        /// The server's error code, when it sent one (e.g. `UNAUTHORIZED`).
        code: Option<String>,
        /// The server's error message.
        message: String,
    },
    /// Any other I/O error.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl Error {
    /// Classifies a reqwest error into [`Error::Timeout`], [`Error::Connect`] or
    /// [`Error::Request`], stripping the URL from it and recording the endpoint without secrets.
    #[must_use]
    pub fn from_reqwest(err: reqwest::Error) -> Self {
        let endpoint = err.url().map_or_else(
            || "<unknown endpoint>".to_owned(),
            crate::redact::endpoint_string,
        );
        let err = err.without_url();
        if err.is_timeout() {
            Self::Timeout { endpoint }
        } else if err.is_connect() {
            Self::Connect {
                endpoint,
                source: err,
            }
        } else {
            Self::Request {
                endpoint,
                source: err,
            }
        }
    }

    /// The HTTP status of an [`Error::Api`], if this is one.
    #[must_use]
    pub fn status(&self) -> Option<http::StatusCode> {
        match self {
            Self::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}
