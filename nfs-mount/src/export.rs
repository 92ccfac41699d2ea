//! exports(5) lines: `/www 192.168.1.0/24(rw,sync,no_subtree_check)`.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::options::SecFlavor;
use crate::text::{check_no_control, check_word, number, octal_escape, octal_unescape, split_ws};

/// An on/off export option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExportFlag {
    /// `rw`.
    Rw,
    /// `ro`.
    Ro,
    /// `sync`.
    Sync,
    /// `async`.
    Async,
    /// `secure` (requests from ports below 1024).
    Secure,
    /// `insecure`.
    Insecure,
    /// `subtree_check`.
    SubtreeCheck,
    /// `no_subtree_check`.
    NoSubtreeCheck,
    /// `wdelay`.
    Wdelay,
    /// `no_wdelay`.
    NoWdelay,
    /// `hide`.
    Hide,
    /// `nohide`.
    Nohide,
    /// `crossmnt`.
    Crossmnt,
    /// `nocrossmnt`.
    NoCrossmnt,
    /// `root_squash` (the default).
    RootSquash,
    /// `no_root_squash`.
    NoRootSquash,
    /// `all_squash`.
    AllSquash,
    /// `no_all_squash`.
    NoAllSquash,
    /// `secure_locks`.
    SecureLocks,
    /// `insecure_locks`.
    InsecureLocks,
    /// `auth_nlm`.
    AuthNlm,
    /// `no_auth_nlm`.
    NoAuthNlm,
    /// `acl`.
    Acl,
    /// `no_acl`.
    NoAcl,
    /// `pnfs`.
    Pnfs,
    /// `no_pnfs`.
    NoPnfs,
    /// `security_label`.
    SecurityLabel,
    /// `nordirplus`.
    Nordirplus,
}

/// Each flag with its name and the setting it controls (two flags of one setting conflict).
const FLAGS: &[(ExportFlag, &str, &str)] = &[
    (ExportFlag::Rw, "rw", "rw"),
    (ExportFlag::Ro, "ro", "rw"),
    (ExportFlag::Sync, "sync", "sync"),
    (ExportFlag::Async, "async", "sync"),
    (ExportFlag::Secure, "secure", "secure"),
    (ExportFlag::Insecure, "insecure", "secure"),
    (ExportFlag::SubtreeCheck, "subtree_check", "subtree"),
    (ExportFlag::NoSubtreeCheck, "no_subtree_check", "subtree"),
    (ExportFlag::Wdelay, "wdelay", "wdelay"),
    (ExportFlag::NoWdelay, "no_wdelay", "wdelay"),
    (ExportFlag::Hide, "hide", "hide"),
    (ExportFlag::Nohide, "nohide", "hide"),
    (ExportFlag::Crossmnt, "crossmnt", "crossmnt"),
    (ExportFlag::NoCrossmnt, "nocrossmnt", "crossmnt"),
    (ExportFlag::RootSquash, "root_squash", "root_squash"),
    (ExportFlag::NoRootSquash, "no_root_squash", "root_squash"),
    (ExportFlag::AllSquash, "all_squash", "all_squash"),
    (ExportFlag::NoAllSquash, "no_all_squash", "all_squash"),
    (ExportFlag::SecureLocks, "secure_locks", "locks"),
    (ExportFlag::InsecureLocks, "insecure_locks", "locks"),
    (ExportFlag::AuthNlm, "auth_nlm", "locks"),
    (ExportFlag::NoAuthNlm, "no_auth_nlm", "locks"),
    (ExportFlag::Acl, "acl", "acl"),
    (ExportFlag::NoAcl, "no_acl", "acl"),
    (ExportFlag::Pnfs, "pnfs", "pnfs"),
    (ExportFlag::NoPnfs, "no_pnfs", "pnfs"),
    (
        ExportFlag::SecurityLabel,
        "security_label",
        "security_label",
    ),
    (ExportFlag::Nordirplus, "nordirplus", "nordirplus"),
];

impl ExportFlag {
    /// The flag as written.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        FLAGS
            .iter()
            .find(|(f, ..)| *f == self)
            .map_or("", |(_, n, _)| n)
    }

    fn slot(self) -> &'static str {
        FLAGS
            .iter()
            .find(|(f, ..)| *f == self)
            .map_or("", |(_, _, s)| s)
    }
}

/// `fsid=` values.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Fsid {
    /// A number (`fsid=0` marks the NFSv4 pseudo-root).
    Num(u32),
    /// `root` (same as 0).
    Root,
    /// A UUID: 32 hex digits, `-` and `:` allowed between them (kept as written).
    Uuid(String),
}

/// One export option.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExportOption {
    /// An on/off flag (`rw`, `no_root_squash`, …).
    Flag(ExportFlag),
    /// `anonuid=N`.
    AnonUid(u32),
    /// `anongid=N`.
    AnonGid(u32),
    /// `sec=` a colon-separated flavor list (may repeat: options after it apply to it).
    Sec(Vec<SecFlavor>),
    /// `fsid=`.
    Fsid(Fsid),
    /// `mountpoint[=path]` (`mp` when `short`).
    Mountpoint {
        /// Written `mp` rather than `mountpoint`.
        short: bool,
        /// The path, if given.
        path: Option<String>,
    },
    /// `refer=path@host[+host][:path@host…]` (kept as text).
    Refer(String),
    /// `replicas=path@host[+host][:path@host…]` (kept as text).
    Replicas(String),
    /// Anything else, kept as written.
    Other(String, Option<String>),
}

impl ExportOption {
    fn slot(&self) -> Option<&'static str> {
        Some(match self {
            Self::Flag(f) => f.slot(),
            Self::AnonUid(_) => "anonuid",
            Self::AnonGid(_) => "anongid",
            Self::Fsid(_) => "fsid",
            Self::Mountpoint { .. } => "mountpoint",
            Self::Refer(_) => "refer",
            Self::Replicas(_) => "replicas",
            Self::Sec(_) | Self::Other(..) => return None,
        })
    }
}

impl fmt::Display for ExportOption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Flag(x) => f.write_str(x.as_str()),
            Self::AnonUid(n) => write!(f, "anonuid={n}"),
            Self::AnonGid(n) => write!(f, "anongid={n}"),
            Self::Sec(list) => {
                let mut s = String::from("sec=");
                SecFlavor::write_list(&mut s, list);
                f.write_str(&s)
            }
            Self::Fsid(Fsid::Num(n)) => write!(f, "fsid={n}"),
            Self::Fsid(Fsid::Root) => f.write_str("fsid=root"),
            Self::Fsid(Fsid::Uuid(u)) => write!(f, "fsid={u}"),
            Self::Mountpoint { short, path } => {
                f.write_str(if *short { "mp" } else { "mountpoint" })?;
                match path {
                    Some(p) => write!(f, "={p}"),
                    None => Ok(()),
                }
            }
            Self::Refer(r) => write!(f, "refer={r}"),
            Self::Replicas(r) => write!(f, "replicas={r}"),
            Self::Other(k, Some(v)) => write!(f, "{k}={v}"),
            Self::Other(k, None) => f.write_str(k),
        }
    }
}

fn parse_export_option(item: &str) -> Result<ExportOption> {
    check_word("export option", item)?;
    if item.contains(['(', ')']) {
        return Err(Error::InvalidCharacter {
            what: "export option",
            value: item.to_owned(),
            ch: if item.contains('(') { '(' } else { ')' },
        });
    }
    let (key, value) = match item.split_once('=') {
        Some((k, v)) => (k, Some(v)),
        None => (item, None),
    };
    let need = || -> Result<&str> {
        match value {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(Error::MissingValue {
                option: key.to_owned(),
            }),
        }
    };
    #[allow(clippy::cast_possible_truncation)]
    let id = || -> Result<u32> { number(key, need()?, 0, u64::from(u32::MAX)).map(|n| n as u32) };
    if let Some(&(flag, ..)) = FLAGS.iter().find(|(_, n, _)| *n == key) {
        if let Some(v) = value {
            return Err(Error::UnexpectedValue {
                option: key.to_owned(),
                value: v.to_owned(),
            });
        }
        return Ok(ExportOption::Flag(flag));
    }
    Ok(match key {
        "" => {
            return Err(Error::InvalidCharacter {
                what: "export option",
                value: item.to_owned(),
                ch: '=',
            });
        }
        "anonuid" => ExportOption::AnonUid(id()?),
        "anongid" => ExportOption::AnonGid(id()?),
        "sec" => ExportOption::Sec(SecFlavor::parse_list(key, value.unwrap_or(""))?),
        "fsid" => {
            let v = need()?;
            ExportOption::Fsid(if v == "root" {
                Fsid::Root
            } else if v.bytes().all(|b| b.is_ascii_digit()) {
                #[allow(clippy::cast_possible_truncation)]
                Fsid::Num(number(key, v, 0, u64::from(u32::MAX))? as u32)
            } else {
                let hex = v.chars().filter(|c| !matches!(c, '-' | ':'));
                let ok = v
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || matches!(c, '-' | ':'))
                    && hex.count() == 32;
                if !ok {
                    return Err(Error::InvalidValue {
                        option: key.to_owned(),
                        value: v.to_owned(),
                        expected: "a number, root, or a UUID of 32 hex digits",
                    });
                }
                Fsid::Uuid(v.to_owned())
            })
        }
        "mountpoint" | "mp" => ExportOption::Mountpoint {
            short: key == "mp",
            path: match value {
                None => None,
                Some(_) => Some(need()?.to_owned()),
            },
        },
        "refer" => ExportOption::Refer(need()?.to_owned()),
        "replicas" => ExportOption::Replicas(need()?.to_owned()),
        _ => ExportOption::Other(key.to_owned(), value.map(str::to_owned)),
    })
}

/// A comma-separated export option list (what goes in the parentheses), order kept.
///
/// The same setting twice with different values (`rw,ro`, `root_squash,no_root_squash`,
/// `anonuid=1,anonuid=2`) between two `sec=` options is [`Error::ConflictingOptions`];
/// `sec=` may repeat (exports(5) applies the options after each `sec=` to its flavors, so
/// `sec=krb5p,rw,sec=sys,ro` is accepted).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ExportOptions {
    opts: Vec<ExportOption>,
}

impl ExportOptions {
    /// The options in order.
    pub fn iter(&self) -> std::slice::Iter<'_, ExportOption> {
        self.opts.iter()
    }

    /// Whether the list is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.opts.is_empty()
    }

    /// Whether a flag is present.
    #[must_use]
    pub fn has(&self, flag: ExportFlag) -> bool {
        self.opts.contains(&ExportOption::Flag(flag))
    }
}

impl FromStr for ExportOptions {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        if s.is_empty() {
            return Ok(Self::default());
        }
        let opts = s
            .split(',')
            .map(|i| {
                if i.is_empty() {
                    Err(Error::EmptyOption { list: s.to_owned() })
                } else {
                    parse_export_option(i)
                }
            })
            .collect::<Result<Vec<_>>>()?;
        // A `sec=` starts a new section: rw/ro etc. may differ per flavor.
        for (i, a) in opts.iter().enumerate() {
            let Some(slot) = a.slot() else { continue };
            if let Some(b) = opts[i + 1..]
                .iter()
                .take_while(|b| !matches!(b, ExportOption::Sec(_)))
                .find(|b| b.slot() == Some(slot) && *b != a)
            {
                return Err(Error::ConflictingOptions {
                    first: a.to_string(),
                    second: b.to_string(),
                });
            }
        }
        Ok(Self { opts })
    }
}

impl fmt::Display for ExportOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, o) in self.opts.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{o}")?;
        }
        Ok(())
    }
}

/// A network prefix: `/24` or a netmask `/255.255.255.0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Prefix {
    /// Prefix length.
    Len(u8),
    /// IPv4 netmask.
    Mask(Ipv4Addr),
}

/// What an exports(5) client names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ClientSpec {
    /// `*`: everyone.
    World,
    /// A host name.
    Host(String),
    /// A wildcard host name (`*.example.com`, `web?.lan`).
    Wildcard(String),
    /// `@netgroup`.
    Netgroup(String),
    /// An IPv4/IPv6 address or network.
    Network {
        /// The address.
        addr: IpAddr,
        /// The prefix, if any.
        prefix: Option<Prefix>,
    },
}

fn parse_client_spec(s: &str) -> Result<ClientSpec> {
    let bad = |reason| Error::InvalidClient {
        value: s.to_owned(),
        reason,
    };
    if s.is_empty() {
        return Err(bad("empty client"));
    }
    if s == "*" {
        return Ok(ClientSpec::World);
    }
    if let Some(g) = s.strip_prefix('@') {
        if g.is_empty()
            || !g
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        {
            return Err(bad("invalid netgroup name"));
        }
        return Ok(ClientSpec::Netgroup(g.to_owned()));
    }
    let (addr_part, prefix_part) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let looks_ip =
        addr_part.contains(':') || addr_part.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if looks_ip {
        let addr: IpAddr = addr_part.parse().map_err(|_| bad("invalid IP address"))?;
        let prefix = match prefix_part {
            None => None,
            Some(p) if p.bytes().all(|b| b.is_ascii_digit()) && !p.is_empty() => {
                let max = if addr.is_ipv4() { 32 } else { 128 };
                let n = number("prefix length", p, 0, max)
                    .map_err(|_| bad("prefix length out of range"))?;
                #[allow(clippy::cast_possible_truncation)]
                Some(Prefix::Len(n as u8))
            }
            Some(p) => {
                let mask: Ipv4Addr = p.parse().map_err(|_| bad("invalid prefix or netmask"))?;
                if !addr.is_ipv4() {
                    return Err(bad("a dotted netmask needs an IPv4 address"));
                }
                Some(Prefix::Mask(mask))
            }
        };
        return Ok(ClientSpec::Network { addr, prefix });
    }
    if prefix_part.is_some() {
        return Err(bad("a /prefix needs an IP address"));
    }
    if !s.bytes().all(|b| {
        b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'*' | b'?' | b'[' | b']')
    }) {
        return Err(bad("invalid character in host name"));
    }
    if s.contains(['*', '?', '[']) {
        Ok(ClientSpec::Wildcard(s.to_owned()))
    } else {
        Ok(ClientSpec::Host(s.to_owned()))
    }
}

/// One client of an export line, with its options if it has any (`host(rw)`, or `host`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExportClient {
    host: String,
    spec: ClientSpec,
    options: Option<ExportOptions>,
}

impl ExportClient {
    /// A client from its text (`192.168.1.0/24`, `*.lan`, `@ng`, `*`, `host`) and options.
    ///
    /// # Errors
    /// [`Error::InvalidClient`].
    pub fn new(host: &str, options: Option<ExportOptions>) -> Result<Self> {
        Ok(Self {
            spec: parse_client_spec(host)?,
            host: host.to_owned(),
            options,
        })
    }

    /// The client as written.
    #[must_use]
    pub fn host(&self) -> &str {
        &self.host
    }

    /// What the client names.
    #[must_use]
    pub fn spec(&self) -> &ClientSpec {
        &self.spec
    }

    /// Its options (`None` when written without parentheses: exportfs defaults apply).
    #[must_use]
    pub fn options(&self) -> Option<&ExportOptions> {
        self.options.as_ref()
    }
}

impl FromStr for ExportClient {
    type Err = Error;

    fn from_str(tok: &str) -> Result<Self> {
        if tok.starts_with('(') {
            return Err(Error::OptionsWithoutClient {
                token: tok.to_owned(),
            });
        }
        match tok.split_once('(') {
            None => Self::new(tok, None),
            Some((host, rest)) => {
                let inner = rest.strip_suffix(')').ok_or_else(|| Error::InvalidClient {
                    value: tok.to_owned(),
                    reason: "option list without a closing ')'",
                })?;
                Self::new(host, Some(inner.parse()?))
            }
        }
    }
}

impl fmt::Display for ExportClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.host)?;
        if let Some(o) = &self.options {
            write!(f, "({o})")?;
        }
        Ok(())
    }
}

/// An export path: plain with `\040`-style escapes for space, tab, newline and backslash,
/// or in double quotes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExportPath {
    path: String,
    quoted: bool,
}

impl ExportPath {
    /// A path written plain (escaped where needed).
    ///
    /// # Errors
    /// [`Error::InvalidExportPath`] when not absolute.
    pub fn new(path: &str) -> Result<Self> {
        Self::check(path, path)?;
        Ok(Self {
            path: path.to_owned(),
            quoted: false,
        })
    }

    /// A path written in double quotes.
    ///
    /// # Errors
    /// [`Error::InvalidExportPath`] when not absolute or holding a `"` or newline.
    pub fn quoted(path: &str) -> Result<Self> {
        Self::check(path, path)?;
        if path.contains(['"', '\n']) {
            return Err(Error::InvalidExportPath {
                value: path.to_owned(),
                reason: "a quoted path cannot hold '\"' or a newline",
            });
        }
        Ok(Self {
            path: path.to_owned(),
            quoted: true,
        })
    }

    fn check(raw: &str, path: &str) -> Result<()> {
        if !path.starts_with('/') {
            return Err(Error::InvalidExportPath {
                value: raw.to_owned(),
                reason: "must be an absolute path",
            });
        }
        check_no_control("export path", path.trim_end_matches('\n'))
    }

    /// The path (unescaped).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.path
    }
}

impl fmt::Display for ExportPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.quoted {
            write!(f, "\"{}\"", self.path)
        } else {
            f.write_str(&octal_escape(&self.path))
        }
    }
}

/// One exports(5) line: `PATH [-DEFAULTS] CLIENT[(OPTIONS)] …`.
///
/// Rules: the path is absolute, plain (`\040`-escaped) or double-quoted; at least one client
/// (write `*` for everyone); no whitespace between a client and its `(`. A token that starts
/// with `(` — as in `host (rw)` — is rejected with [`Error::OptionsWithoutClient`]: exports(5)
/// would apply those options to the whole world, which is almost never meant. A `-opts`
/// token of default options is accepted right after the path only. The separators of a parsed
/// line (spaces, tabs) are kept, so parse → render gives the same bytes; a built line uses
/// single spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExportEntry {
    path: ExportPath,
    defaults: Option<ExportOptions>,
    clients: Vec<ExportClient>,
    seps: Vec<String>,
}

impl ExportEntry {
    /// Starts a builder for `path`.
    pub fn builder(path: impl Into<String>) -> ExportEntryBuilder {
        ExportEntryBuilder {
            path: path.into(),
            quoted: false,
            defaults: None,
            clients: Vec::new(),
        }
    }

    /// The exported path.
    #[must_use]
    pub fn path(&self) -> &ExportPath {
        &self.path
    }

    /// The `-opts` default options, if any.
    #[must_use]
    pub fn defaults(&self) -> Option<&ExportOptions> {
        self.defaults.as_ref()
    }

    /// The clients in order.
    #[must_use]
    pub fn clients(&self) -> &[ExportClient] {
        &self.clients
    }

    /// Whether some client has root squashed (root mapped to the anonymous user): the
    /// default unless `no_root_squash` is given; always with `all_squash`.
    #[must_use]
    pub fn squashes_root(&self) -> bool {
        let has = |c: &ExportClient, f| {
            c.options.as_ref().is_some_and(|o| o.has(f))
                || self.defaults.as_ref().is_some_and(|o| o.has(f))
        };
        self.clients
            .iter()
            .any(|c| has(c, ExportFlag::AllSquash) || !has(c, ExportFlag::NoRootSquash))
    }
}

/// Whether a Docker volume on this export should be mounted with `volume-nocopy`.
///
/// When a container first mounts an empty named volume, Docker copies the image's files at
/// the target into it, as root. On an export that squashes root (the exports(5) default,
/// `root_squash`, or `all_squash`) that copy runs as the anonymous user and fails or leaves
/// files owned by nobody, so the task fails or serves the wrong content: skip the copy.
#[must_use]
pub fn volume_nocopy_recommended(export: &ExportEntry) -> bool {
    export.squashes_root()
}

impl FromStr for ExportEntry {
    type Err = Error;

    fn from_str(line: &str) -> Result<Self> {
        check_no_control("exports line", line)?;
        let lead_len = line.len() - line.trim_start_matches([' ', '\t']).len();
        let lead = &line[..lead_len];
        let body = &line[lead_len..];
        let (path, rest) = if let Some(q) = body.strip_prefix('"') {
            let end = q.find('"').ok_or_else(|| Error::InvalidExportPath {
                value: body.to_owned(),
                reason: "unterminated quote",
            })?;
            let after = &q[end + 1..];
            if !(after.is_empty() || after.starts_with([' ', '\t'])) {
                return Err(Error::InvalidExportPath {
                    value: body.to_owned(),
                    reason: "text after the closing quote",
                });
            }
            (ExportPath::quoted(&q[..end])?, after)
        } else {
            let end = body.find([' ', '\t']).unwrap_or(body.len());
            let raw = &body[..end];
            if raw.is_empty() {
                return Err(Error::InvalidExportPath {
                    value: String::new(),
                    reason: "empty line",
                });
            }
            let decoded = octal_unescape("export path", raw)?;
            ExportPath::check(raw, &decoded)?;
            (
                ExportPath {
                    path: decoded,
                    quoted: false,
                },
                &body[end..],
            )
        };
        let (tokens, mut seps) = split_ws(rest);
        // split_ws's first separator is the run between the path and the first token.
        seps.insert(0, lead.to_owned());
        let mut defaults = None;
        let mut clients = Vec::new();
        for (i, tok) in tokens.iter().enumerate() {
            if let Some(d) = tok.strip_prefix('-') {
                if i != 0 {
                    return Err(Error::InvalidClient {
                        value: (*tok).to_owned(),
                        reason: "default options (-opts) are accepted only right after the path",
                    });
                }
                defaults = Some(d.parse()?);
                continue;
            }
            clients.push(tok.parse::<ExportClient>()?);
        }
        if clients.is_empty() {
            return Err(Error::Missing {
                what: "export client (write * for everyone)",
            });
        }
        Ok(Self {
            path,
            defaults,
            clients,
            seps,
        })
    }
}

impl fmt::Display for ExportEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sep = |i: usize| {
            self.seps
                .get(i)
                .map_or(if i == 0 { "" } else { " " }, String::as_str)
        };
        write!(f, "{}{}", sep(0), self.path)?;
        let mut i = 1;
        if let Some(d) = &self.defaults {
            write!(f, "{}-{d}", sep(i))?;
            i += 1;
        }
        for c in &self.clients {
            write!(f, "{}{c}", sep(i))?;
            i += 1;
        }
        f.write_str(self.seps.get(i).map_or("", String::as_str))
    }
}

impl TryFrom<String> for ExportEntry {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

impl From<ExportEntry> for String {
    fn from(e: ExportEntry) -> Self {
        e.to_string()
    }
}

impl serde::Serialize for ExportEntry {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ExportEntry {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// Builds an [`ExportEntry`]; setters take text and never fail, [`build`](Self::build)
/// checks by rendering and parsing back.
#[derive(Debug, Clone)]
#[must_use]
pub struct ExportEntryBuilder {
    path: String,
    quoted: bool,
    defaults: Option<String>,
    clients: Vec<(String, Option<String>)>,
}

impl ExportEntryBuilder {
    /// Write the path in double quotes instead of escaping.
    pub fn quote_path(mut self, yes: bool) -> Self {
        self.quoted = yes;
        self
    }

    /// `-opts` default options.
    pub fn defaults(mut self, options: impl Into<String>) -> Self {
        self.defaults = Some(options.into());
        self
    }

    /// A client with options (`"192.168.1.0/24"`, `"rw,sync,no_subtree_check"`).
    pub fn client(mut self, host: impl Into<String>, options: impl Into<String>) -> Self {
        self.clients.push((host.into(), Some(options.into())));
        self
    }

    /// A client without options.
    pub fn client_without_options(mut self, host: impl Into<String>) -> Self {
        self.clients.push((host.into(), None));
        self
    }

    /// Checks and builds.
    ///
    /// # Errors
    /// Any rule of [`ExportEntry`].
    pub fn build(self) -> Result<ExportEntry> {
        let path = if self.quoted {
            ExportPath::quoted(&self.path)?
        } else {
            ExportPath::new(&self.path)?
        };
        let mut line = path.to_string();
        if let Some(d) = &self.defaults {
            line.push_str(" -");
            line.push_str(d);
        }
        for (h, o) in &self.clients {
            let text = format!("{h}({})", o.as_deref().unwrap_or(""));
            if h.chars()
                .chain(o.as_deref().unwrap_or("").chars())
                .any(|c| c.is_whitespace() || c == '(' || c == ')')
            {
                return Err(Error::InvalidClient {
                    value: text,
                    reason: "whitespace or a parenthesis inside a client or its options",
                });
            }
            line.push(' ');
            line.push_str(h);
            if let Some(o) = o {
                line.push('(');
                line.push_str(o);
                line.push(')');
            }
        }
        line.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_lines_round_trip_byte_for_byte() {
        for s in [
            "/www/nginx\t192.168.1.0/24(rw,sync,no_subtree_check)",
            "/www 192.168.1.0/24(rw,sync,no_subtree_check)",
        ] {
            let e: ExportEntry = s.parse().unwrap();
            assert_eq!(e.to_string(), s);
            assert_eq!(e.clients().len(), 1);
            let c = &e.clients()[0];
            assert_eq!(
                c.spec(),
                &ClientSpec::Network {
                    addr: "192.168.1.0".parse().unwrap(),
                    prefix: Some(Prefix::Len(24))
                }
            );
            let o = c.options().unwrap();
            assert!(
                o.has(ExportFlag::Rw)
                    && o.has(ExportFlag::Sync)
                    && o.has(ExportFlag::NoSubtreeCheck)
            );
            assert!(e.squashes_root());
            assert!(volume_nocopy_recommended(&e));
        }
    }

    #[test]
    fn valid_lines_round_trip() {
        for s in [
            "\"/srv/my share\" *(ro,all_squash,anonuid=65534,anongid=65534)",
            "/srv/my\\040share\t\t@trusted(rw,no_root_squash) *.example.com(ro) host",
            "  /a -sync,rw 10.0.0.0/255.0.0.0(fsid=root,crossmnt) 2001:db8::/32(sec=krb5p:krb5i,rw,sec=sys,ro)",
            "/b web?.lan(fsid=12) web[0-9].lan(fsid=01234567-89ab-cdef-0123-456789abcdef) *(mp=/b,insecure) ",
            "/c h(mountpoint,refer=/x@srv1+srv2,replicas=/y@s3,pnfs,unknown_opt,x=y) h2()",
            "/d 192.168.1.5 FE80::1(rw)",
        ] {
            let e: ExportEntry = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(e.to_string(), s);
        }
        let e: ExportEntry = "/srv/my\\040share h(no_root_squash)".parse().unwrap();
        assert_eq!(e.path().as_str(), "/srv/my share");
        assert!(!e.squashes_root());
        assert!(!volume_nocopy_recommended(&e));
        let e: ExportEntry = "/a -no_root_squash h(rw) g(all_squash)".parse().unwrap();
        assert!(e.squashes_root());
    }

    #[test]
    fn invalid_lines() {
        let e = |s: &str| s.parse::<ExportEntry>().unwrap_err();
        assert_eq!(
            e("/www 192.168.1.0/24 (rw)"),
            Error::OptionsWithoutClient {
                token: "(rw)".into()
            }
        );
        assert_eq!(
            e("/www"),
            Error::Missing {
                what: "export client (write * for everyone)"
            }
        );
        assert_eq!(
            e("www *(rw)"),
            Error::InvalidExportPath {
                value: "www".into(),
                reason: "must be an absolute path"
            }
        );
        assert_eq!(
            e("\"/www *(rw)"),
            Error::InvalidExportPath {
                value: "\"/www *(rw)".into(),
                reason: "unterminated quote"
            }
        );
        assert_eq!(
            e("/a\\101 *"),
            Error::InvalidEscape {
                what: "export path",
                value: "/a\\101".into()
            }
        );
        assert_eq!(
            e("/a h(rw,ro)"),
            Error::ConflictingOptions {
                first: "rw".into(),
                second: "ro".into()
            }
        );
        assert_eq!(
            e("/a h(rw,,sync)"),
            Error::EmptyOption {
                list: "rw,,sync".into()
            }
        );
        assert_eq!(
            e("/a h(rw"),
            Error::InvalidClient {
                value: "h(rw".into(),
                reason: "option list without a closing ')'"
            }
        );
        assert_eq!(
            e("/a 10.0.0.0/33(rw)"),
            Error::InvalidClient {
                value: "10.0.0.0/33".into(),
                reason: "prefix length out of range"
            }
        );
        assert_eq!(
            e("/a 10.0.0.300(rw)"),
            Error::InvalidClient {
                value: "10.0.0.300".into(),
                reason: "invalid IP address"
            }
        );
        assert_eq!(
            e("/a ::1/255.0.0.0"),
            Error::InvalidClient {
                value: "::1/255.0.0.0".into(),
                reason: "a dotted netmask needs an IPv4 address"
            }
        );
        assert_eq!(
            e("/a host/24"),
            Error::InvalidClient {
                value: "host/24".into(),
                reason: "a /prefix needs an IP address"
            }
        );
        assert_eq!(
            e("/a @(rw)"),
            Error::InvalidClient {
                value: "@".into(),
                reason: "invalid netgroup name"
            }
        );
        assert_eq!(
            e("/a h(anonuid=-2)"),
            Error::InvalidNumber {
                option: "anonuid".into(),
                value: "-2".into()
            }
        );
        assert_eq!(
            e("/a h(fsid=xyz)"),
            Error::InvalidValue {
                option: "fsid".into(),
                value: "xyz".into(),
                expected: "a number, root, or a UUID of 32 hex digits"
            }
        );
        assert_eq!(
            e("/a h(sec=krb4)"),
            Error::UnknownSecFlavor {
                value: "krb4".into()
            }
        );
        assert_eq!(
            e("/a h(rw=1)"),
            Error::UnexpectedValue {
                option: "rw".into(),
                value: "1".into()
            }
        );
        assert!(matches!(e("/a h(rw) -sync"), Error::InvalidClient { .. }));
    }

    #[test]
    fn builder() {
        let e = ExportEntry::builder("/www")
            .client("192.168.1.0/24", "rw,sync,no_subtree_check")
            .client_without_options("@admins")
            .build()
            .unwrap();
        assert_eq!(
            e.to_string(),
            "/www 192.168.1.0/24(rw,sync,no_subtree_check) @admins"
        );
        let q = ExportEntry::builder("/my www")
            .quote_path(true)
            .client("*", "ro")
            .build()
            .unwrap();
        assert_eq!(q.to_string(), "\"/my www\" *(ro)");
        let p = ExportEntry::builder("/my www")
            .client("*", "ro")
            .build()
            .unwrap();
        assert_eq!(p.to_string(), "/my\\040www *(ro)");
        assert!(
            ExportEntry::builder("/w")
                .client("h", "rw) x(ro")
                .build()
                .is_err()
        );
    }
}
