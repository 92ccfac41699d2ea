//! The error type of this crate.

use std::fmt;
use std::time::Duration;

use crate::models::TaskState;

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong talking to a Docker Engine in swarm mode.
///
/// Every variant that comes from the daemon keeps the daemon's own message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The endpoint string or client configuration is not usable.
    #[error("invalid client configuration: {0}")]
    Config(String),
    /// A transport failure from sdk-core (connect, TLS, timeout, I/O), after its retries.
    #[error("transport error on {endpoint}")]
    Transport {
        /// `METHOD /path` of the request.
        endpoint: String,
        /// The underlying sdk-core error.
        #[source]
        source: sdk_core::Error,
    },
    /// An HTTP failure (connect, I/O, body read) from the HTTP stack.
    #[error("HTTP error on {endpoint}")]
    Http {
        /// `METHOD /path` of the request.
        endpoint: String,
        /// The underlying HTTP error (URL stripped).
        #[source]
        source: reqwest::Error,
    },
    /// The daemon is not a swarm manager (HTTP 503).
    #[error("not a swarm manager: {message}")]
    NotManager {
        /// The daemon's message.
        message: String,
    },
    /// The node is not part of a swarm (HTTP 503).
    #[error("not part of a swarm: {message}")]
    NotInSwarm {
        /// The daemon's message.
        message: String,
    },
    /// The node is already part of a swarm (init/join, HTTP 503).
    #[error("already in a swarm: {message}")]
    AlreadyInSwarm {
        /// The daemon's message.
        message: String,
    },
    /// The swarm is locked and needs `unlock` first (HTTP 503).
    #[error("swarm is locked: {message}")]
    SwarmLocked {
        /// The daemon's message.
        message: String,
    },
    /// A name or state conflict (HTTP 409), e.g. a service name already in use.
    #[error("conflict on {endpoint}: {message}")]
    Conflict {
        /// `METHOD /path` of the request.
        endpoint: String,
        /// The daemon's message.
        message: String,
    },
    /// The object does not exist (HTTP 404).
    #[error("not found on {endpoint}: {message}")]
    NotFound {
        /// `METHOD /path` of the request.
        endpoint: String,
        /// The daemon's message.
        message: String,
    },
    /// The object's version changed between read and write ("update out of sequence").
    #[error("update out of sequence on {endpoint}: {message}")]
    OutOfSequence {
        /// `METHOD /path` of the request.
        endpoint: String,
        /// The daemon's message.
        message: String,
    },
    /// Any other error status from the daemon.
    #[error("daemon answered {status} on {endpoint}: {message}")]
    Api {
        /// HTTP status code.
        status: u16,
        /// `METHOD /path` of the request.
        endpoint: String,
        /// The daemon's message.
        message: String,
    },
    /// The daemon's reply could not be decoded.
    #[error("cannot decode the reply of {endpoint}")]
    Decode {
        /// `METHOD /path` of the request.
        endpoint: String,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// A JSON value (spec) given by the caller could not be serialised.
    #[error("cannot serialise {what}")]
    Encode {
        /// What was serialised.
        what: &'static str,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// The daemon speaks an API version older than the minimum supported (1.41).
    #[error("daemon API version {server} is older than the minimum supported {minimum}")]
    UnsupportedApiVersion {
        /// What the daemon reported.
        server: String,
        /// Our minimum.
        minimum: String,
    },
    /// A bad argument (e.g. `service.slot` without a slot, an empty name).
    #[error("invalid argument {what}: {message}")]
    InvalidArgument {
        /// Which argument.
        what: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The service did not converge within the timeout.
    #[error("{0}")]
    NotConverged(Box<NotConverged>),
    /// `Client::wait_converged` reached its timeout while the daemon could not be reached or
    /// did not answer usefully: stopped or restarting, connection refused or cut, a call timing
    /// out, a 5xx answer, or (once the wait had seen the service) "not a swarm manager", which
    /// a daemon answers while its swarm component shuts down or starts. The last such error is
    /// the source.
    #[error(
        "service {service} did not converge within {after:?}: the daemon at {endpoint} is unreachable or unavailable"
    )]
    DaemonUnavailable {
        /// The service as given to the wait (ID or name).
        service: String,
        /// The daemon's endpoint (`Client::endpoint`).
        endpoint: String,
        /// The timeout of the wait.
        after: Duration,
        /// The last error from the daemon.
        #[source]
        source: Box<Self>,
    },
    /// The service update was paused by the orchestrator (`UpdateStatus.State` = paused).
    #[error("service update paused: {message}")]
    UpdatePaused {
        /// `UpdateStatus.Message`.
        message: String,
    },
    /// The service rollback was paused (`rollback_paused`).
    #[error("service rollback paused: {message}")]
    RollbackPaused {
        /// `UpdateStatus.Message`.
        message: String,
    },
    /// An operation did not finish in time.
    #[error("timed out after {after:?}: {what}")]
    Timeout {
        /// What timed out.
        what: String,
        /// The limit.
        after: Duration,
    },
    /// A task or container could not be found for `service.slot`.
    #[error("no running task for {0}")]
    NoTask(String),
    /// No daemon endpoint is known for the node a task runs on.
    #[error("no daemon endpoint for node {node} ({hostname}); pass one for this node")]
    NoNodeEndpoint {
        /// Node ID.
        node: String,
        /// Node hostname, when known.
        hostname: String,
    },
    /// A reply, event line, log/exec frame or exec output from the daemon was larger than the
    /// limit for it (see `ClientBuilder::max_reply_size`, `events::MAX_EVENT_LINE`,
    /// `stream::MAX_FRAME`, `exec::ExecOptions::max_output`); nothing beyond the limit was read.
    #[error("{what} from {endpoint} is larger than the limit of {limit} bytes")]
    TooLarge {
        /// `METHOD /path` of the request.
        endpoint: String,
        /// What was too large, e.g. "reply body", "event line".
        what: &'static str,
        /// The limit in bytes.
        limit: u64,
    },
    /// The data of a config or secret to create is more than a swarm holds
    /// ([`configs::MAX_CONFIG_DATA`](crate::configs::MAX_CONFIG_DATA),
    /// [`secrets::MAX_SECRET_DATA`](crate::secrets::MAX_SECRET_DATA)); nothing was sent. The
    /// data itself is never shown.
    #[error(
        "{kind} {name:?} has {len} bytes of data, more than the {limit} a swarm {kind} can hold"
    )]
    DataTooLarge {
        /// `config` or `secret`.
        kind: &'static str,
        /// The object's name.
        name: String,
        /// The size of the data given, in bytes.
        len: usize,
        /// The most the swarm holds, in bytes.
        limit: usize,
    },
    /// The daemon answered 200 and then reported a failure inside its progress stream (pull,
    /// push, load, build: `errorDetail` in the JSON messages); nothing after it was done.
    #[error("{endpoint} failed in the daemon ({kind}): {message}")]
    InStream {
        /// `METHOD /path` of the request.
        endpoint: String,
        /// What the failure is about, from the daemon's message.
        kind: StreamErrorKind,
        /// `errorDetail.code` when the daemon set one (a build step's exit code).
        code: Option<i64>,
        /// The daemon's message.
        message: String,
    },
    /// Reading local files failed (a build context, an archive to load).
    #[error("cannot {what} {}", path.display())]
    Io {
        /// What was being done (`read`, `open`, `list`).
        what: &'static str,
        /// The file or directory.
        path: std::path::PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A build context docker would refuse: no Dockerfile, a bad `.dockerignore` pattern, a
    /// context that is not a directory.
    #[error("build context {}: {message}", path.display())]
    BuildContext {
        /// The context directory (or the Dockerfile).
        path: std::path::PathBuf,
        /// What is wrong, in docker's words where it has them.
        message: String,
    },
    /// A multiplexed stream was malformed.
    #[error("malformed stream from {endpoint}: {message}")]
    Stream {
        /// `METHOD /path` of the request.
        endpoint: String,
        /// What was wrong.
        message: String,
    },
}

impl Error {
    /// Classifies an error reply of the daemon by status and message.
    pub(crate) fn from_status(status: u16, endpoint: String, message: String) -> Self {
        let lower = message.to_ascii_lowercase();
        if lower.contains("update out of sequence") {
            return Self::OutOfSequence { endpoint, message };
        }
        match status {
            503 if lower.contains("not a swarm manager") => Self::NotManager { message },
            503 if lower.contains("already part of a swarm") => Self::AlreadyInSwarm { message },
            503 if lower.contains("not part of a swarm") => Self::NotInSwarm { message },
            503 if lower.contains("locked") || lower.contains("needs to be unlocked") => {
                Self::SwarmLocked { message }
            }
            404 => Self::NotFound { endpoint, message },
            409 => Self::Conflict { endpoint, message },
            _ => Self::Api {
                status,
                endpoint,
                message,
            },
        }
    }

    /// True for [`Error::NotFound`], and for an in-stream failure about something missing
    /// ([`StreamErrorKind::NotFound`]: no such local tag to push, no such manifest).
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            Self::NotFound { .. }
                | Self::InStream {
                    kind: StreamErrorKind::NotFound,
                    ..
                }
        )
    }

    /// Whether trying again later can succeed: the connection failed or broke, a stream was
    /// cut, or the daemon answered 5xx for a reason other than the swarm's state (a daemon
    /// restarting). Not for answers it will give again (404, 409, 400, not a manager, …).
    #[must_use]
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Transport { .. }
            | Self::Http { .. }
            | Self::Stream { .. }
            | Self::DaemonUnavailable { .. } => true,
            Self::Timeout { .. } => true,
            Self::Api { status, .. } => *status >= 500,
            _ => false,
        }
    }

    /// Whether the daemon could not be reached at all, rather than answering: the connection was
    /// refused or timed out, the socket file does not exist, or it may not be opened. Read from
    /// the transport error's chain of sources ([`Error::Transport`], [`Error::Http`], and the
    /// last error of an [`Error::DaemonUnavailable`] wait); any answer from the daemon, even a
    /// 5xx, is not this (see [`Error::is_transient`] for what may succeed when tried again), nor
    /// is a local file that cannot be read ([`Error::Io`], a docker config file or TLS files).
    ///
    /// A program connecting to a daemon can tell "is dockerd running there?" apart from a
    /// daemon that refused the request:
    ///
    /// ```no_run
    /// # async fn f() {
    /// match swarm_client::Client::connect("unix:///var/run/docker.sock").await {
    ///     Ok(client) => println!("API {}", client.api_version()),
    ///     Err(e) if e.is_unreachable() => eprintln!("no daemon listens there: {e}"),
    ///     Err(e) => eprintln!("the daemon answered with an error: {e}"),
    /// }
    /// # }
    /// ```
    #[must_use]
    pub fn is_unreachable(&self) -> bool {
        if !matches!(
            self,
            Self::Transport { .. } | Self::Http { .. } | Self::DaemonUnavailable { .. }
        ) {
            return false;
        }
        let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(self);
        while let Some(e) = cur {
            if let Some(core) = e.downcast_ref::<sdk_core::Error>() {
                match core {
                    sdk_core::Error::Connect { .. } | sdk_core::Error::Timeout { .. } => {
                        return true;
                    }
                    // Connected, then failed: look at what broke below.
                    sdk_core::Error::Request { .. } => {}
                    // A local setup problem (config file, endpoint, TLS files), not the daemon.
                    _ => return false,
                }
            }
            if let Some(io) = e.downcast_ref::<std::io::Error>()
                && matches!(
                    io.kind(),
                    std::io::ErrorKind::NotFound
                        | std::io::ErrorKind::ConnectionRefused
                        | std::io::ErrorKind::PermissionDenied
                )
            {
                return true;
            }
            cur = e.source();
        }
        false
    }

    /// True for an in-stream failure about credentials ([`StreamErrorKind::Unauthorized`]).
    #[must_use]
    pub fn is_unauthorized(&self) -> bool {
        matches!(
            self,
            Self::InStream {
                kind: StreamErrorKind::Unauthorized,
                ..
            }
        )
    }

    /// True for [`Error::OutOfSequence`].
    #[must_use]
    pub fn is_out_of_sequence(&self) -> bool {
        matches!(self, Self::OutOfSequence { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_daemon_messages() {
        let e = Error::from_status(
            503,
            "GET /services".into(),
            "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again.".into(),
        );
        assert!(matches!(e, Error::NotManager { .. }), "{e:?}");
        let e = Error::from_status(
            500,
            "POST /services/x/update".into(),
            "rpc error: code = Unknown desc = update out of sequence".into(),
        );
        assert!(e.is_out_of_sequence());
        let e = Error::from_status(
            503,
            "POST /swarm/init".into(),
            "This node is already part of a swarm. Use \"docker swarm leave\" to leave this swarm and join another one.".into(),
        );
        assert!(matches!(e, Error::AlreadyInSwarm { .. }));
        let e = Error::from_status(
            503,
            "GET /swarm".into(),
            "Swarm is encrypted and needs to be unlocked before it can be used. Please use \"docker swarm unlock\" to unlock it.".into(),
        );
        assert!(matches!(e, Error::SwarmLocked { .. }));
        let e = Error::from_status(409, "POST /services/create".into(), "name conflicts".into());
        assert!(matches!(e, Error::Conflict { .. }));
        assert!(e.to_string().contains("name conflicts"));
        let e = Error::from_status(418, "GET /x".into(), "teapot".into());
        assert!(matches!(e, Error::Api { status: 418, .. }));
    }

    #[test]
    fn unreachable_is_read_from_the_transport_chain_only() {
        let timeout = || Error::Transport {
            endpoint: "GET /_ping".into(),
            source: sdk_core::Error::Timeout {
                endpoint: "tcp://127.0.0.1:2375".into(),
            },
        };
        assert!(timeout().is_unreachable());
        let wait = Error::DaemonUnavailable {
            service: "web".into(),
            endpoint: "tcp://127.0.0.1:2375".into(),
            after: Duration::from_secs(1),
            source: Box::new(timeout()),
        };
        assert!(wait.is_unreachable());
        // An answer, even one worth retrying, is not "unreachable".
        let busy = Error::from_status(503, "GET /services".into(), "restarting".into());
        assert!(busy.is_transient() && !busy.is_unreachable(), "{busy:?}");
        let gone = Error::from_status(404, "GET /services/x".into(), "not found".into());
        assert!(!gone.is_unreachable());
        // A local file that does not exist is not a missing socket.
        let local = Error::Io {
            what: "read",
            path: "/nonexistent/Dockerfile".into(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        };
        assert!(!local.is_unreachable());
        // Nor is a docker config file that cannot be read while finding the endpoint.
        let config = Error::Transport {
            endpoint: "DOCKER_HOST".into(),
            source: sdk_core::Error::Config {
                path: "/nonexistent/config.json".into(),
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            },
        };
        assert!(!config.is_unreachable());
    }

    #[tokio::test]
    async fn no_daemon_at_the_endpoint_is_unreachable() {
        let dir = tempfile::tempdir().unwrap();
        let sock = format!("unix://{}/docker.sock", dir.path().display());
        // A port that was just free: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        for endpoint in [sock, format!("tcp://127.0.0.1:{port}")] {
            let e = crate::Client::connect(&endpoint).await.unwrap_err();
            assert!(e.is_unreachable(), "{endpoint}: {e:?}");
        }
    }

    #[tokio::test]
    async fn a_daemon_that_answers_is_reachable() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
            while let Ok((mut s, _)) = listener.accept().await {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let body = r#"{"message":"boom"}"#;
                let reply = format!(
                    "HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(reply.as_bytes()).await;
            }
        });
        let e = crate::ClientBuilder::new(&format!("tcp://127.0.0.1:{port}"))
            .connect()
            .await
            .unwrap_err();
        server.abort();
        assert!(!e.is_unreachable(), "{e:?}");
    }
}

/// What an in-stream failure ([`Error::InStream`]) is about, read from the daemon's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StreamErrorKind {
    /// The registry refused the credentials or wanted some (`unauthorized: authentication
    /// required`, `no basic auth credentials`, `denied: …`).
    Unauthorized,
    /// Something named does not exist (`An image does not exist locally with the tag: …`,
    /// `manifest unknown`, `not found`).
    NotFound,
    /// A build step failed (`The command '…' returned a non-zero code: N`).
    BuildStep,
    /// Anything else.
    Other,
}

impl StreamErrorKind {
    /// Classifies a daemon's in-stream error message.
    #[must_use]
    pub fn classify(message: &str) -> Self {
        let m = message.to_ascii_lowercase();
        if m.contains("unauthorized")
            || m.contains("authentication required")
            || m.contains("no basic auth credentials")
            || m.contains("denied")
        {
            Self::Unauthorized
        } else if m.contains("returned a non-zero code") {
            Self::BuildStep
        } else if m.contains("does not exist")
            || m.contains("not found")
            || m.contains("manifest unknown")
            || m.contains("no such image")
        {
            Self::NotFound
        } else {
            Self::Other
        }
    }
}

impl fmt::Display for StreamErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Unauthorized => "unauthorized",
            Self::NotFound => "not found",
            Self::BuildStep => "build step failed",
            Self::Other => "error",
        })
    }
}

/// A task that did not converge.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TaskProblem {
    /// Task ID.
    pub task_id: String,
    /// Slot (replicated).
    pub slot: Option<u64>,
    /// Node ID (may be empty).
    pub node_id: String,
    /// Observed state.
    pub state: TaskState,
    /// The last error seen for this slot/node (e.g. `No such image: …`).
    pub err: String,
}

/// Details of a timeout of `Client::wait_converged`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NotConverged {
    /// Service ID.
    pub service: String,
    /// The timeout.
    pub after: Duration,
    /// Running tasks at the end.
    pub running: u64,
    /// Desired tasks.
    pub desired: u64,
    /// Tasks not running, with their last error.
    pub tasks: Vec<TaskProblem>,
}

impl NotConverged {
    /// The image named by a `No such image: …` task error, if any.
    #[must_use]
    pub fn missing_image(&self) -> Option<&str> {
        self.tasks.iter().find_map(|t| {
            let i = t.err.find("No such image: ")?;
            Some(t.err[i + "No such image: ".len()..].trim())
        })
    }
}

impl fmt::Display for NotConverged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "service {} did not converge within {:?}: {} of {} tasks running",
            self.service, self.after, self.running, self.desired
        )?;
        for t in &self.tasks {
            let slot = t.slot.map(|s| format!(" (slot {s})")).unwrap_or_default();
            write!(f, "; task {}{slot}: {}", t.task_id, t.state)?;
            if !t.err.is_empty() {
                write!(f, ": {}", t.err)?;
            }
        }
        Ok(())
    }
}
