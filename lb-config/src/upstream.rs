//! [`Upstream`]: an nginx `upstream` block — balancing method, servers, keepalive, zone.

use crate::addr::ServerAddr;
use crate::directive::{Directive, indent, push_arg};
use crate::error::{Error, Result};
use crate::validate::{check_name, check_size, check_time, check_word, parse_u32};
use std::fmt;
use std::str::FromStr;

/// The load-balancing method of an upstream.
///
/// Parsed from and displayed as the method directive without `;`: `least_conn`, `ip_hash`,
/// `hash $request_uri consistent`, `random two least_conn`; round robin is the empty method
/// (also parsed from `round_robin`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Method {
    /// Weighted round robin (nginx's default; no method line).
    #[default]
    RoundRobin,
    /// `least_conn`.
    LeastConn,
    /// `ip_hash`.
    IpHash,
    /// `hash KEY [consistent]`.
    Hash {
        /// The key, e.g. `$remote_addr`.
        key: String,
        /// Ketama consistent hashing.
        consistent: bool,
    },
    /// `random`, `random two`, `random two least_conn`.
    Random {
        /// Pick two servers at random, then choose between them.
        two: bool,
        /// With `two`: choose the one with fewer connections (`least_conn`).
        least_conn: bool,
    },
}

impl Method {
    /// `hash KEY [consistent]`.
    ///
    /// # Errors
    /// [`Error::UnsafeValue`] when the key is not one bare word.
    pub fn hash(key: &str, consistent: bool) -> Result<Self> {
        check_word("hash key", key)?;
        Ok(Self::Hash {
            key: key.to_owned(),
            consistent,
        })
    }

    /// Whether servers may be marked `backup` with this method.
    #[must_use]
    pub fn supports_backup(&self) -> bool {
        matches!(self, Self::RoundRobin | Self::LeastConn)
    }

    fn words(&self) -> Vec<String> {
        match self {
            Self::RoundRobin => vec![],
            Self::LeastConn => vec!["least_conn".into()],
            Self::IpHash => vec!["ip_hash".into()],
            Self::Hash { key, consistent } => {
                let mut v = vec!["hash".into(), key.clone()];
                if *consistent {
                    v.push("consistent".into());
                }
                v
            }
            Self::Random { two, least_conn } => {
                let mut v = vec!["random".to_owned()];
                if *two {
                    v.push("two".into());
                    if *least_conn {
                        v.push("least_conn".into());
                    }
                }
                v
            }
        }
    }

    fn from_words(words: &[&str]) -> Result<Self> {
        let text = words.join(" ");
        let bad = |r: &str| Error::invalid("balancing method", text.clone(), r);
        Ok(match words {
            [] | ["round_robin"] => Self::RoundRobin,
            ["least_conn"] => Self::LeastConn,
            ["ip_hash"] => Self::IpHash,
            ["hash", key] => Self::hash(key, false)?,
            ["hash", key, "consistent"] => Self::hash(key, true)?,
            ["hash", ..] => return Err(bad("expected: hash KEY [consistent]")),
            ["random"] => Self::Random {
                two: false,
                least_conn: false,
            },
            ["random", "two"] => Self::Random {
                two: true,
                least_conn: false,
            },
            ["random", "two", "least_conn"] => Self::Random {
                two: true,
                least_conn: true,
            },
            ["random", ..] => return Err(bad("expected: random [two [least_conn]]")),
            _ => {
                return Err(bad(
                    "expected round_robin, least_conn, ip_hash, hash KEY [consistent] or random [two [least_conn]]",
                ));
            }
        })
    }

    fn is_method_directive(name: &str) -> bool {
        matches!(name, "least_conn" | "ip_hash" | "hash" | "random")
    }
}

impl FromStr for Method {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let words: Vec<&str> = s.split_whitespace().collect();
        Self::from_words(&words)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.words().join(" "))
    }
}

/// One `server` line of an upstream: an address and its parameters.
///
/// Parsed from and displayed as the directive's arguments:
/// `"127.0.0.1:8080 weight=2 max_fails=3 fail_timeout=10s backup"`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UpstreamServer {
    addr: ServerAddr,
    weight: Option<u32>,
    max_conns: Option<u32>,
    max_fails: Option<u32>,
    fail_timeout: Option<String>,
    backup: bool,
    down: bool,
    resolve: bool,
}

impl UpstreamServer {
    /// A server with no parameters.
    #[must_use]
    pub fn new(addr: ServerAddr) -> Self {
        Self {
            addr,
            weight: None,
            max_conns: None,
            max_fails: None,
            fail_timeout: None,
            backup: false,
            down: false,
            resolve: false,
        }
    }

    /// A builder for a server at `addr`.
    pub fn builder(addr: ServerAddr) -> UpstreamServerBuilder {
        UpstreamServerBuilder {
            server: Self::new(addr),
            fail_timeout: None,
        }
    }

    /// The address.
    #[must_use]
    pub fn addr(&self) -> &ServerAddr {
        &self.addr
    }
    /// `weight=N`, if given.
    #[must_use]
    pub fn weight(&self) -> Option<u32> {
        self.weight
    }
    /// `max_conns=N`, if given.
    #[must_use]
    pub fn max_conns(&self) -> Option<u32> {
        self.max_conns
    }
    /// `max_fails=N`, if given.
    #[must_use]
    pub fn max_fails(&self) -> Option<u32> {
        self.max_fails
    }
    /// `fail_timeout=TIME`, if given.
    #[must_use]
    pub fn fail_timeout(&self) -> Option<&str> {
        self.fail_timeout.as_deref()
    }
    /// Whether marked `backup`.
    #[must_use]
    pub fn is_backup(&self) -> bool {
        self.backup
    }
    /// Whether marked `down`.
    #[must_use]
    pub fn is_down(&self) -> bool {
        self.down
    }
    /// Whether marked `resolve`.
    #[must_use]
    pub fn is_resolve(&self) -> bool {
        self.resolve
    }

    fn from_args(args: &[String]) -> Result<Self> {
        let Some((addr, params)) = args.split_first() else {
            return Err(Error::invalid("upstream server", "", "missing address"));
        };
        let addr: ServerAddr = addr.parse()?;
        let mut b = Self::builder(addr);
        for p in params {
            check_word("server parameter", p)?;
            b = match p.split_once('=') {
                Some(("weight", v)) => b.weight(parse_u32("weight", v)?),
                Some(("max_conns", v)) => b.max_conns(parse_u32("max_conns", v)?),
                Some(("max_fails", v)) => b.max_fails(parse_u32("max_fails", v)?),
                Some(("fail_timeout", v)) => b.fail_timeout(v),
                None if p == "backup" => b.backup(true),
                None if p == "down" => b.down(true),
                None if p == "resolve" => b.resolve(true),
                _ => {
                    return Err(Error::invalid(
                        "server parameter",
                        p.clone(),
                        "expected weight=N, max_conns=N, max_fails=N, fail_timeout=TIME, backup, down or resolve",
                    ));
                }
            };
        }
        b.build()
    }

    fn args(&self) -> Vec<String> {
        let mut v = vec![self.addr.to_string()];
        if let Some(w) = self.weight {
            v.push(format!("weight={w}"));
        }
        if let Some(n) = self.max_conns {
            v.push(format!("max_conns={n}"));
        }
        if let Some(n) = self.max_fails {
            v.push(format!("max_fails={n}"));
        }
        if let Some(t) = &self.fail_timeout {
            v.push(format!("fail_timeout={t}"));
        }
        if self.backup {
            v.push("backup".into());
        }
        if self.down {
            v.push("down".into());
        }
        if self.resolve {
            v.push("resolve".into());
        }
        v
    }
}

impl FromStr for UpstreamServer {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let args: Vec<String> = s.split_whitespace().map(str::to_owned).collect();
        Self::from_args(&args)
    }
}

impl fmt::Display for UpstreamServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.args().join(" "))
    }
}

/// Builder of an [`UpstreamServer`]; setters never fail, [`UpstreamServerBuilder::build`] checks.
#[derive(Debug, Clone)]
#[must_use]
pub struct UpstreamServerBuilder {
    server: UpstreamServer,
    fail_timeout: Option<String>,
}

impl UpstreamServerBuilder {
    /// `weight=N` (at least 1).
    pub fn weight(mut self, w: u32) -> Self {
        self.server.weight = Some(w);
        self
    }
    /// `max_conns=N`.
    pub fn max_conns(mut self, n: u32) -> Self {
        self.server.max_conns = Some(n);
        self
    }
    /// `max_fails=N`.
    pub fn max_fails(mut self, n: u32) -> Self {
        self.server.max_fails = Some(n);
        self
    }
    /// `fail_timeout=TIME`, an nginx time in seconds such as `10s` or `1m30s` (not `ms`: nginx
    /// refuses it for `fail_timeout`).
    pub fn fail_timeout(mut self, t: impl Into<String>) -> Self {
        self.fail_timeout = Some(t.into());
        self
    }
    /// `backup`.
    pub fn backup(mut self, yes: bool) -> Self {
        self.server.backup = yes;
        self
    }
    /// `down`.
    pub fn down(mut self, yes: bool) -> Self {
        self.server.down = yes;
        self
    }
    /// `resolve` (re-resolve the hostname at run time; needs a `zone` in the upstream and nginx ≥ 1.27.3).
    pub fn resolve(mut self, yes: bool) -> Self {
        self.server.resolve = yes;
        self
    }

    /// Checks and returns the server.
    ///
    /// # Errors
    /// [`Error::ZeroWeight`] for `weight(0)`; [`Error::InvalidValue`] for a malformed fail_timeout
    /// or one in milliseconds.
    pub fn build(self) -> Result<UpstreamServer> {
        let mut s = self.server;
        if s.weight == Some(0) {
            return Err(Error::ZeroWeight {
                server: s.addr.to_string(),
            });
        }
        if let Some(t) = self.fail_timeout {
            check_word("fail_timeout", &t)?;
            check_time("fail_timeout", &t, false)?;
            s.fail_timeout = Some(t);
        }
        Ok(s)
    }
}

/// The shared-memory zone of an upstream: `zone NAME [SIZE]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Zone {
    name: String,
    size: Option<String>,
}

impl Zone {
    /// `zone NAME [SIZE]`.
    ///
    /// # Errors
    /// [`Error::UnsafeValue`] for a bad name, [`Error::InvalidValue`] for a bad size.
    pub fn new(name: &str, size: Option<&str>) -> Result<Self> {
        check_name("zone name", name)?;
        if let Some(s) = size {
            check_size("zone size", s)?;
        }
        Ok(Self {
            name: name.to_owned(),
            size: size.map(str::to_owned),
        })
    }
    /// The zone name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The size, if given.
    #[must_use]
    pub fn size(&self) -> Option<&str> {
        self.size.as_deref()
    }
}

/// An nginx `upstream NAME { … }` block.
///
/// Built with [`Upstream::builder`] or parsed with [`FromStr`]; servers are kept sorted and
/// deduplicated so equal inputs render to the same bytes.
///
/// ```
/// use lb_config::{Method, Upstream};
/// let up = Upstream::builder("loadbalance")
///     .method(Method::LeastConn)
///     .server("192.168.1.160".parse().unwrap())
///     .server("192.168.1.157".parse().unwrap())
///     .build()
///     .unwrap();
/// assert_eq!(
///     up.to_string(),
///     "upstream loadbalance {\n    least_conn;\n    server 192.168.1.157;\n    server 192.168.1.160;\n}\n"
/// );
/// assert_eq!(up.to_string().parse::<Upstream>().unwrap(), up);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Upstream {
    name: String,
    method: Method,
    zone: Option<Zone>,
    servers: Vec<UpstreamServer>,
    keepalive: Option<u32>,
    extra: Vec<Directive>,
}

impl Upstream {
    /// A builder for an upstream called `name`.
    pub fn builder(name: impl Into<String>) -> UpstreamBuilder {
        UpstreamBuilder {
            name: name.into(),
            method: Method::RoundRobin,
            zone: None,
            servers: Vec::new(),
            keepalive: None,
            extra: Vec::new(),
        }
    }

    /// The name (`proxy_pass http://NAME`).
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The balancing method.
    #[must_use]
    pub fn method(&self) -> &Method {
        &self.method
    }
    /// The zone, if any.
    #[must_use]
    pub fn zone(&self) -> Option<&Zone> {
        self.zone.as_ref()
    }
    /// The servers, sorted.
    #[must_use]
    pub fn servers(&self) -> &[UpstreamServer] {
        &self.servers
    }
    /// `keepalive N`, if any.
    #[must_use]
    pub fn keepalive(&self) -> Option<u32> {
        self.keepalive
    }
    /// Directives this crate does not model, kept in order.
    #[must_use]
    pub fn extra(&self) -> &[Directive] {
        &self.extra
    }

    /// Converts a parsed `upstream` directive.
    pub(crate) fn from_directive(d: Directive) -> Result<Self> {
        let (_, args, block) = d.into_parts();
        let [name] = args.as_slice() else {
            return Err(Error::invalid(
                "upstream",
                args.join(" "),
                "expected: upstream NAME { … }",
            ));
        };
        let Some(children) = block else {
            return Err(Error::invalid(
                "upstream",
                name.clone(),
                "expected a block { … }",
            ));
        };
        let mut b = Self::builder(name.clone());
        let ctx = || format!("upstream {name:?}");
        let (mut seen_method, mut seen_zone, mut seen_keepalive) = (false, false, false);
        let once = |seen: &mut bool, directive: &str| {
            if std::mem::replace(seen, true) {
                Err(Error::DuplicateDirective {
                    context: ctx(),
                    directive: directive.to_owned(),
                })
            } else {
                Ok(())
            }
        };
        for c in children {
            if c.children().is_some() {
                b = b.directive(c);
                continue;
            }
            let name = c.name().to_owned();
            if Method::is_method_directive(&name) {
                once(&mut seen_method, &name)?;
                let mut words: Vec<&str> = vec![&name];
                words.extend(c.args().iter().map(String::as_str));
                b = b.method(Method::from_words(&words)?);
            } else if name == "server" {
                b = b.server_entry(UpstreamServer::from_args(c.args())?);
            } else if name == "zone" {
                once(&mut seen_zone, "zone")?;
                b = match c.args() {
                    [n] => b.zone(Zone::new(n, None)?),
                    [n, s] => b.zone(Zone::new(n, Some(s))?),
                    a => {
                        return Err(Error::invalid(
                            "zone",
                            a.join(" "),
                            "expected: zone NAME [SIZE]",
                        ));
                    }
                };
            } else if name == "keepalive" {
                once(&mut seen_keepalive, "keepalive")?;
                let [n] = c.args() else {
                    return Err(Error::invalid(
                        "keepalive",
                        c.args().join(" "),
                        "expected: keepalive N",
                    ));
                };
                b = b.keepalive(parse_u32("keepalive", n)?);
            } else {
                b = b.directive(c);
            }
        }
        b.build()
    }

    pub(crate) fn render_into(&self, out: &mut String, depth: usize) {
        indent(out, depth);
        out.push_str("upstream ");
        out.push_str(&self.name);
        out.push_str(" {\n");
        if self.method != Method::RoundRobin {
            line(out, depth + 1, &self.method.words());
        }
        if let Some(z) = &self.zone {
            let mut w = vec!["zone".to_owned(), z.name.clone()];
            w.extend(z.size.clone());
            line(out, depth + 1, &w);
        }
        for s in &self.servers {
            let mut w = vec!["server".to_owned()];
            w.extend(s.args());
            line(out, depth + 1, &w);
        }
        if let Some(k) = self.keepalive {
            line(out, depth + 1, &["keepalive".to_owned(), k.to_string()]);
        }
        for d in &self.extra {
            d.render_into(out, depth + 1);
        }
        indent(out, depth);
        out.push_str("}\n");
    }
}

pub(crate) fn line(out: &mut String, depth: usize, words: &[String]) {
    indent(out, depth);
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        push_arg(out, w);
    }
    out.push_str(";\n");
}

impl fmt::Display for Upstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        self.render_into(&mut s, 0);
        f.write_str(&s)
    }
}

impl FromStr for Upstream {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let mut ds = crate::parse::parse_directives(s)?;
        match (ds.len(), ds.first().map(Directive::name)) {
            (1, Some("upstream")) => Self::from_directive(ds.remove(0)),
            _ => Err(Error::Parse {
                line: 1,
                message: "expected exactly one upstream block".into(),
            }),
        }
    }
}

/// Builder of an [`Upstream`]; setters never fail, [`UpstreamBuilder::build`] checks nginx's rules.
#[derive(Debug, Clone)]
#[must_use]
pub struct UpstreamBuilder {
    name: String,
    method: Method,
    zone: Option<Zone>,
    servers: Vec<UpstreamServer>,
    keepalive: Option<u32>,
    extra: Vec<Directive>,
}

impl UpstreamBuilder {
    /// The balancing method (default round robin).
    pub fn method(mut self, m: Method) -> Self {
        self.method = m;
        self
    }
    /// Adds a server with no parameters.
    pub fn server(self, addr: ServerAddr) -> Self {
        self.server_entry(UpstreamServer::new(addr))
    }
    /// Adds a server with parameters.
    pub fn server_entry(mut self, s: UpstreamServer) -> Self {
        self.servers.push(s);
        self
    }
    /// `zone NAME [SIZE]`.
    pub fn zone(mut self, z: Zone) -> Self {
        self.zone = Some(z);
        self
    }
    /// `keepalive N`: idle connections to keep open per worker (at least 1).
    pub fn keepalive(mut self, n: u32) -> Self {
        self.keepalive = Some(n);
        self
    }
    /// A directive this crate does not model, rendered after the known ones.
    pub fn directive(mut self, d: Directive) -> Self {
        self.extra.push(d);
        self
    }

    /// Checks nginx's rules, sorts and deduplicates the servers, and returns the upstream.
    ///
    /// # Errors
    /// [`Error::UnsafeValue`] (name), [`Error::EmptyUpstream`], [`Error::BackupNotSupported`],
    /// [`Error::ResolveWithoutZone`], [`Error::ConflictingServer`], [`Error::ZeroWeight`],
    /// [`Error::OnlyBackupServers`], [`Error::InvalidValue`] for `keepalive(0)`.
    pub fn build(self) -> Result<Upstream> {
        check_name("upstream name", &self.name)?;
        let mut servers = self.servers;
        servers.sort();
        servers.dedup();
        if servers.is_empty() {
            return Err(Error::EmptyUpstream {
                upstream: self.name,
            });
        }
        for w in servers.windows(2) {
            if w[0].addr == w[1].addr {
                return Err(Error::ConflictingServer {
                    upstream: self.name,
                    server: w[0].addr.to_string(),
                });
            }
        }
        for s in &servers {
            if s.weight == Some(0) {
                return Err(Error::ZeroWeight {
                    server: s.addr.to_string(),
                });
            }
            if s.backup && !self.method.supports_backup() {
                return Err(Error::BackupNotSupported {
                    upstream: self.name,
                    method: self.method.to_string(),
                    server: s.addr.to_string(),
                });
            }
            if s.resolve && self.zone.is_none() {
                return Err(Error::ResolveWithoutZone {
                    upstream: self.name,
                    server: s.addr.to_string(),
                });
            }
        }
        // After the per-server checks, as nginx: `ip_hash; server a backup;` is refused for the
        // method first, `server a backup;` alone for having no primary server.
        if servers.iter().all(|s| s.backup) {
            return Err(Error::OnlyBackupServers {
                upstream: self.name,
            });
        }
        if self.keepalive == Some(0) {
            return Err(Error::invalid(
                "keepalive",
                "0",
                "must be at least 1 (idle connections cached per worker)",
            ));
        }
        Ok(Upstream {
            name: self.name,
            method: self.method,
            zone: self.zone,
            servers,
            keepalive: self.keepalive,
            extra: self.extra,
        })
    }
}
