//! The error type of lb-config's pure model, parser and validation.

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can be wrong with a load-balancer config, before nginx sees it.
///
/// Each nginx rule this crate checks has its own variant naming the offending value, so callers and
/// tests can match on exactly what was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value contains a character that would end or open a directive, start a comment, or split an
    /// argument (`;`, `{`, `}`, quotes, `#`, `\`, whitespace, control characters), or is empty.
    #[error("invalid {what} {value:?}: {reason}")]
    UnsafeValue {
        /// Which field was being set (e.g. "upstream name", "access_log path").
        what: &'static str,
        /// The rejected value.
        value: String,
        /// Why, e.g. "contains ';'".
        reason: String,
    },
    /// An upstream without any `server` line (nginx: "no servers are inside upstream").
    #[error("upstream {upstream:?} has no servers")]
    EmptyUpstream {
        /// The upstream name.
        upstream: String,
    },
    /// An upstream whose servers are all `backup` (nginx: "no servers in upstream"): backups only
    /// take over from primary servers, so at least one server must not be `backup`.
    #[error("upstream {upstream:?} has only backup servers; at least one must not be backup")]
    OnlyBackupServers {
        /// The upstream name.
        upstream: String,
    },
    /// A `backup` server in an upstream whose method does not support it (hash, ip_hash, random).
    #[error(
        "upstream {upstream:?}: balancing method {method:?} does not support the backup server {server:?}"
    )]
    BackupNotSupported {
        /// The upstream name.
        upstream: String,
        /// The method line, e.g. `ip_hash`.
        method: String,
        /// The backup server's address.
        server: String,
    },
    /// `weight=0` (nginx requires a weight of at least 1).
    #[error("server {server:?}: weight must be at least 1, got 0")]
    ZeroWeight {
        /// The server's address.
        server: String,
    },
    /// `resolve` on a server of an upstream without a shared-memory `zone`.
    #[error(
        "upstream {upstream:?}: server {server:?} uses resolve, which needs a zone in the upstream"
    )]
    ResolveWithoutZone {
        /// The upstream name.
        upstream: String,
        /// The server's address.
        server: String,
    },
    /// An IPv6 address without brackets, e.g. `::1` instead of `[::1]`.
    #[error("IPv6 address {value:?} must be written in brackets, e.g. \"[::1]:80\"")]
    UnbracketedIpv6 {
        /// The rejected address.
        value: String,
    },
    /// A server address that is not IPv4, `[IPv6]`, a hostname or `unix:/path`.
    #[error("invalid server address {value:?}: {reason}")]
    InvalidAddress {
        /// The rejected address.
        value: String,
        /// Why.
        reason: String,
    },
    /// A port that is not a number in 1..=65535.
    #[error("invalid port {value:?} (expected 1-65535)")]
    InvalidPort {
        /// The rejected port text.
        value: String,
    },
    /// A malformed nginx value (time, size, number, method, listen, proxy_pass, server parameter …).
    #[error("invalid {what} {value:?}: {reason}")]
    InvalidValue {
        /// What kind of value, e.g. "fail_timeout".
        what: &'static str,
        /// The rejected text.
        value: String,
        /// Why.
        reason: String,
    },
    /// Two upstreams with the same name.
    #[error("upstream {name:?} is defined twice")]
    DuplicateUpstream {
        /// The duplicated name.
        name: String,
    },
    /// The same server address listed twice in an upstream with different parameters.
    #[error("upstream {upstream:?}: server {server:?} is listed twice with different parameters")]
    ConflictingServer {
        /// The upstream name.
        upstream: String,
        /// The address.
        server: String,
    },
    /// A directive given twice where nginx allows it once (e.g. two balancing methods).
    #[error("{context}: directive {directive:?} is given more than once")]
    DuplicateDirective {
        /// Where, e.g. `upstream "lb"`.
        context: String,
        /// The directive name.
        directive: String,
    },
    /// An `access_log` refers to a log format that is neither predefined (`combined`) nor defined.
    #[error(
        "access_log {path:?} uses log format {format:?}, which is not defined (only \"combined\" is predefined)"
    )]
    UndefinedLogFormat {
        /// The access log path.
        path: String,
        /// The undefined format name.
        format: String,
    },
    /// Blocks nested deeper than the parser follows (nginx's own contexts nest a handful of
    /// levels; the limit keeps hostile text from exhausting the stack).
    #[error("line {line}: blocks nested deeper than {limit} levels")]
    NestingTooDeep {
        /// 1-based line of the `{` that went too deep.
        line: usize,
        /// The limit, [`crate::MAX_BLOCK_DEPTH`].
        limit: usize,
    },
    /// The config text could not be parsed.
    #[error("line {line}: {message}")]
    Parse {
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        message: String,
    },
}

impl Error {
    pub(crate) fn invalid(
        what: &'static str,
        value: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self::InvalidValue {
            what,
            value: value.into(),
            reason: reason.into(),
        }
    }
}
