//! [`Server`]: an nginx `server { … }` block with `listen`, `server_name`, `access_log` and
//! [`Location`]s that `proxy_pass` to an upstream.

use crate::directive::{Directive, indent};
use crate::error::{Error, Result};
use crate::upstream::line;
use crate::validate::{check_name, check_word};
use std::fmt;
use std::str::FromStr;

/// A `listen` value: an address or port and optional flags, e.g. `80`, `127.0.0.1:8080`,
/// `[::]:80 default_server`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Listen {
    words: Vec<String>,
}

impl FromStr for Listen {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let words: Vec<String> = s.split_whitespace().map(str::to_owned).collect();
        Self::from_words(words, s)
    }
}

impl Listen {
    fn from_words(words: Vec<String>, text: &str) -> Result<Self> {
        let Some(first) = words.first() else {
            return Err(Error::invalid("listen", text, "is empty"));
        };
        for w in &words {
            check_word("listen", w)?;
        }
        let port = first.rsplit_once(':').map_or(first.as_str(), |(_, p)| p);
        let is_port = !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit());
        if !first.starts_with("unix:") && !is_port && first.contains(':') {
            return Err(Error::invalid(
                "listen",
                text,
                "expected PORT, ADDR:PORT, [IPv6]:PORT or unix:/path",
            ));
        }
        if is_port && !matches!(port.parse::<u16>(), Ok(1..)) {
            return Err(Error::InvalidPort {
                value: port.to_owned(),
            });
        }
        if first.matches(':').count() > 1 && !first.starts_with('[') && !first.starts_with("unix:")
        {
            return Err(Error::UnbracketedIpv6 {
                value: first.clone(),
            });
        }
        Ok(Self { words })
    }
}

impl fmt::Display for Listen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.words.join(" "))
    }
}

/// An `access_log` directive: `off`, or a path with an optional log format name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AccessLog {
    /// `access_log off;`
    Off,
    /// `access_log PATH [FORMAT];` (built with [`AccessLog::path`], which checks the values).
    #[non_exhaustive]
    Path {
        /// The log file path.
        path: String,
        /// The format name (nginx's default is `combined`; `main` must be defined with `log_format`).
        format: Option<String>,
    },
}

impl AccessLog {
    /// `access_log PATH [FORMAT]`.
    ///
    /// # Errors
    /// [`Error::UnsafeValue`] when the path or format would inject directives.
    pub fn path(path: &str, format: Option<&str>) -> Result<Self> {
        check_word("access_log path", path)?;
        if path == "off" {
            return Err(Error::invalid(
                "access_log path",
                path,
                "use AccessLog::Off",
            ));
        }
        if let Some(f) = format {
            check_name("log format name", f)?;
        }
        Ok(Self::Path {
            path: path.to_owned(),
            format: format.map(str::to_owned),
        })
    }

    fn words(&self) -> Vec<String> {
        match self {
            Self::Off => vec!["access_log".into(), "off".into()],
            Self::Path { path, format } => {
                let mut v = vec!["access_log".into(), path.clone()];
                v.extend(format.clone());
                v
            }
        }
    }
}

/// A `proxy_pass` target: `http://UPSTREAM[/uri]` or `https://…`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProxyPass {
    url: String,
    host_len: (usize, usize),
}

impl ProxyPass {
    /// `proxy_pass http://UPSTREAM`.
    ///
    /// # Errors
    /// [`Error::UnsafeValue`] when the name is not a plain name.
    pub fn upstream(name: &str) -> Result<Self> {
        check_name("upstream name", name)?;
        format!("http://{name}").parse()
    }

    /// The host part: the upstream name for `http://UPSTREAM`.
    #[must_use]
    pub fn host(&self) -> &str {
        &self.url[self.host_len.0..self.host_len.1]
    }
}

impl FromStr for ProxyPass {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        check_word("proxy_pass", s)?;
        let start = if s.starts_with("http://") {
            7
        } else if s.starts_with("https://") {
            8
        } else {
            return Err(Error::invalid(
                "proxy_pass",
                s,
                "expected http://UPSTREAM or https://UPSTREAM",
            ));
        };
        let end = s[start..].find('/').map_or(s.len(), |i| start + i);
        if end == start {
            return Err(Error::invalid("proxy_pass", s, "missing host"));
        }
        Ok(Self {
            url: s.to_owned(),
            host_len: (start, end),
        })
    }
}

impl fmt::Display for ProxyPass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

/// A `location PATH { … }` block.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    path: Vec<String>,
    proxy_pass: Option<ProxyPass>,
    headers: Vec<(String, String)>,
    extra: Vec<Directive>,
}

impl Location {
    /// A builder for `location PATH`; `path` may carry a modifier, e.g. `= /health` or `/`.
    pub fn builder(path: impl Into<String>) -> LocationBuilder {
        LocationBuilder {
            path: path.into(),
            proxy_pass: None,
            headers: Vec::new(),
            extra: Vec::new(),
        }
    }
    /// The location's words, e.g. `["=", "/health"]`.
    #[must_use]
    pub fn path(&self) -> &[String] {
        &self.path
    }
    /// The `proxy_pass` target.
    #[must_use]
    pub fn proxy_pass(&self) -> Option<&ProxyPass> {
        self.proxy_pass.as_ref()
    }
    /// `proxy_set_header NAME VALUE` lines in order.
    #[must_use]
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }
    /// Other directives, kept in order.
    #[must_use]
    pub fn extra(&self) -> &[Directive] {
        &self.extra
    }

    fn from_directive(d: Directive) -> Result<Self> {
        let (_, args, block) = d.into_parts();
        let mut b = Self::builder(args.join(" "));
        for c in block.unwrap_or_default() {
            match (c.name(), c.args(), c.children()) {
                ("proxy_pass", [url], None) => {
                    if b.proxy_pass.is_some() {
                        return Err(Error::DuplicateDirective {
                            context: format!("location {:?}", args.join(" ")),
                            directive: "proxy_pass".into(),
                        });
                    }
                    b.proxy_pass = Some(url.parse()?);
                }
                ("proxy_set_header", [n, v], None) => b = b.header(n.clone(), v.clone()),
                _ => b = b.directive(c),
            }
        }
        b.build()
    }

    fn render_into(&self, out: &mut String, depth: usize) {
        indent(out, depth);
        out.push_str("location ");
        out.push_str(&self.path.join(" "));
        out.push_str(" {\n");
        if let Some(p) = &self.proxy_pass {
            line(out, depth + 1, &["proxy_pass".into(), p.to_string()]);
        }
        for (n, v) in &self.headers {
            line(
                out,
                depth + 1,
                &["proxy_set_header".into(), n.clone(), v.clone()],
            );
        }
        for d in &self.extra {
            d.render_into(out, depth + 1);
        }
        indent(out, depth);
        out.push_str("}\n");
    }
}

/// Builder of a [`Location`].
#[derive(Debug, Clone)]
#[must_use]
pub struct LocationBuilder {
    path: String,
    proxy_pass: Option<ProxyPass>,
    headers: Vec<(String, String)>,
    extra: Vec<Directive>,
}

impl LocationBuilder {
    /// `proxy_pass http://UPSTREAM` (the name is checked in `build`).
    pub fn proxy_pass_upstream(mut self, upstream: &str) -> Self {
        self.proxy_pass = Some(ProxyPass {
            url: format!("http://{upstream}"),
            host_len: (7, 7 + upstream.len()),
        });
        self
    }
    /// A `proxy_pass` target.
    pub fn proxy_pass(mut self, p: ProxyPass) -> Self {
        self.proxy_pass = Some(p);
        self
    }
    /// `proxy_set_header NAME VALUE` (the value may be empty, e.g. `Connection ""`).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
    /// Another directive, rendered after the known ones.
    pub fn directive(mut self, d: Directive) -> Self {
        self.extra.push(d);
        self
    }

    /// Checks and returns the location.
    ///
    /// # Errors
    /// [`Error::UnsafeValue`] for a path, upstream name, header name or value that would inject directives.
    pub fn build(self) -> Result<Location> {
        let path: Vec<String> = self.path.split(' ').map(str::to_owned).collect();
        for w in &path {
            check_word("location path", w)?;
        }
        if let Some(p) = &self.proxy_pass {
            check_word("proxy_pass", &p.url)?;
            p.url.parse::<ProxyPass>()?;
            if p.url.starts_with("http://") && !p.host().contains(['.', ':']) {
                check_name("upstream name", p.host())?;
            }
        }
        for (n, v) in &self.headers {
            check_word("proxy_set_header name", n)?;
            if !v.is_empty() {
                check_word("proxy_set_header value", v)?;
            }
        }
        Ok(Location {
            path,
            proxy_pass: self.proxy_pass,
            headers: self.headers,
            extra: self.extra,
        })
    }
}

/// An nginx `server { … }` block (the virtual server in the http context).
///
/// ```
/// use lb_config::{AccessLog, Location, Server};
/// let s = Server::builder()
///     .listen("80".parse().unwrap())
///     .access_log(AccessLog::path("/var/log/nginx/access_lb.log", Some("main")).unwrap())
///     .location(Location::builder("/").proxy_pass_upstream("loadbalance").build().unwrap())
///     .build()
///     .unwrap();
/// assert!(s.to_string().contains("        proxy_pass http://loadbalance;\n"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Server {
    listen: Vec<Listen>,
    server_name: Vec<String>,
    access_log: Option<AccessLog>,
    locations: Vec<Location>,
    extra: Vec<Directive>,
}

impl Server {
    /// A builder for an empty server block.
    pub fn builder() -> ServerBuilder {
        ServerBuilder {
            listen: Vec::new(),
            server_name: Vec::new(),
            access_log: None,
            locations: Vec::new(),
            extra: Vec::new(),
        }
    }
    /// `listen` lines.
    #[must_use]
    pub fn listen(&self) -> &[Listen] {
        &self.listen
    }
    /// `server_name` values.
    #[must_use]
    pub fn server_name(&self) -> &[String] {
        &self.server_name
    }
    /// `access_log`, if set.
    #[must_use]
    pub fn access_log(&self) -> Option<&AccessLog> {
        self.access_log.as_ref()
    }
    /// Locations in order.
    #[must_use]
    pub fn locations(&self) -> &[Location] {
        &self.locations
    }
    /// Other directives, kept in order.
    #[must_use]
    pub fn extra(&self) -> &[Directive] {
        &self.extra
    }

    pub(crate) fn from_directive(d: Directive) -> Result<Self> {
        let (_, args, block) = d.into_parts();
        if !args.is_empty() {
            return Err(Error::invalid(
                "server block",
                args.join(" "),
                "expected: server { … }",
            ));
        }
        let mut b = Self::builder();
        for c in block.unwrap_or_default() {
            match (c.name(), c.children()) {
                ("listen", None) => {
                    b = b.listen(Listen::from_words(c.args().to_vec(), &c.args().join(" "))?)
                }
                ("server_name", None) => {
                    for n in c.args() {
                        b = b.server_name(n.clone());
                    }
                }
                ("access_log", None) => {
                    if b.access_log.is_some() {
                        b = b.directive(c);
                        continue;
                    }
                    b = match c.args() {
                        [off] if off == "off" => b.access_log(AccessLog::Off),
                        [p] => b.access_log(AccessLog::path(p, None)?),
                        [p, f] => b.access_log(AccessLog::path(p, Some(f))?),
                        _ => b.directive(c),
                    };
                }
                ("location", Some(_)) => b = b.location(Location::from_directive(c)?),
                _ => b = b.directive(c),
            }
        }
        b.build()
    }

    pub(crate) fn render_into(&self, out: &mut String, depth: usize) {
        indent(out, depth);
        out.push_str("server {\n");
        for l in &self.listen {
            let mut w = vec!["listen".to_owned()];
            w.extend(l.words.iter().cloned());
            line(out, depth + 1, &w);
        }
        if !self.server_name.is_empty() {
            let mut w = vec!["server_name".to_owned()];
            w.extend(self.server_name.iter().cloned());
            line(out, depth + 1, &w);
        }
        if let Some(a) = &self.access_log {
            line(out, depth + 1, &a.words());
        }
        for d in &self.extra {
            d.render_into(out, depth + 1);
        }
        for l in &self.locations {
            l.render_into(out, depth + 1);
        }
        indent(out, depth);
        out.push_str("}\n");
    }
}

impl fmt::Display for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        self.render_into(&mut s, 0);
        f.write_str(&s)
    }
}

/// Builder of a [`Server`].
#[derive(Debug, Clone)]
#[must_use]
pub struct ServerBuilder {
    listen: Vec<Listen>,
    server_name: Vec<String>,
    access_log: Option<AccessLog>,
    locations: Vec<Location>,
    extra: Vec<Directive>,
}

impl ServerBuilder {
    /// Adds a `listen` line.
    pub fn listen(mut self, l: Listen) -> Self {
        self.listen.push(l);
        self
    }
    /// Adds a `server_name` value.
    pub fn server_name(mut self, n: impl Into<String>) -> Self {
        self.server_name.push(n.into());
        self
    }
    /// Sets `access_log`.
    pub fn access_log(mut self, a: AccessLog) -> Self {
        self.access_log = Some(a);
        self
    }
    /// Adds a location.
    pub fn location(mut self, l: Location) -> Self {
        self.locations.push(l);
        self
    }
    /// Adds another directive (rendered before the locations).
    pub fn directive(mut self, d: Directive) -> Self {
        self.extra.push(d);
        self
    }

    /// Checks and returns the server.
    ///
    /// # Errors
    /// [`Error::UnsafeValue`] for a server name that would inject directives.
    pub fn build(self) -> Result<Server> {
        for n in &self.server_name {
            check_word("server_name", n)?;
        }
        Ok(Server {
            listen: self.listen,
            server_name: self.server_name,
            access_log: self.access_log,
            locations: self.locations,
            extra: self.extra,
        })
    }
}
