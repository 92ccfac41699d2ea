//! [`Config`] (an http-context snippet: upstreams and servers) and [`NginxConf`] (a whole
//! `nginx.conf`: main directives, `events`, `http` with `log_format`s).

use crate::directive::{Directive, indent, push_arg};
use crate::error::{Error, Result};
use crate::server::{AccessLog, Server};
use crate::upstream::Upstream;
use crate::validate::{check_name, check_word};
use std::fmt;
use std::str::FromStr;

/// An http-context snippet: upstream blocks (sorted by name), server blocks (in order) and other
/// directives — what goes into `/etc/nginx/conf.d/*.conf`.
///
/// ```
/// let text = "upstream loadbalance {\n    least_conn;\n    server 192.168.1.157;\n}\n\
///             server {\n    location / {\n        proxy_pass http://loadbalance;\n    }\n}\n";
/// let conf: lb_config::Config = text.parse().unwrap();
/// assert_eq!(conf.to_string(), text);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Config {
    upstreams: Vec<Upstream>,
    servers: Vec<Server>,
    extra: Vec<Directive>,
}

impl Config {
    /// A builder for an empty snippet.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder {
            upstreams: Vec::new(),
            servers: Vec::new(),
            extra: Vec::new(),
        }
    }
    /// Upstreams, sorted by name.
    #[must_use]
    pub fn upstreams(&self) -> &[Upstream] {
        &self.upstreams
    }
    /// Server blocks in order.
    #[must_use]
    pub fn servers(&self) -> &[Server] {
        &self.servers
    }
    /// Other directives, kept in order.
    #[must_use]
    pub fn extra(&self) -> &[Directive] {
        &self.extra
    }

    /// Renders the snippet: other directives, then upstreams, then servers; 4-space indentation.
    #[must_use]
    pub fn render(&self) -> String {
        let mut s = String::new();
        self.render_into(&mut s, 0);
        s
    }

    fn render_into(&self, out: &mut String, depth: usize) {
        for d in &self.extra {
            d.render_into(out, depth);
        }
        for u in &self.upstreams {
            u.render_into(out, depth);
        }
        for s in &self.servers {
            s.render_into(out, depth);
        }
    }

    fn from_directives(ds: Vec<Directive>) -> Result<Self> {
        let mut b = Self::builder();
        for d in ds {
            match (d.name(), d.children().is_some()) {
                ("upstream", true) => b = b.upstream(Upstream::from_directive(d)?),
                ("server", true) => b = b.server(Server::from_directive(d)?),
                _ => b = b.directive(d),
            }
        }
        b.build()
    }
}

impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

impl FromStr for Config {
    type Err = Error;
    /// Parses an http-context snippet (hand-written or rendered).
    fn from_str(s: &str) -> Result<Self> {
        Self::from_directives(crate::parse::parse_directives(s)?)
    }
}

/// Builder of a [`Config`].
#[derive(Debug, Clone)]
#[must_use]
pub struct ConfigBuilder {
    upstreams: Vec<Upstream>,
    servers: Vec<Server>,
    extra: Vec<Directive>,
}

impl ConfigBuilder {
    /// Adds an upstream.
    pub fn upstream(mut self, u: Upstream) -> Self {
        self.upstreams.push(u);
        self
    }
    /// Adds a server block.
    pub fn server(mut self, s: Server) -> Self {
        self.servers.push(s);
        self
    }
    /// Adds another http-context directive.
    pub fn directive(mut self, d: Directive) -> Self {
        self.extra.push(d);
        self
    }
    /// Sorts the upstreams and returns the snippet.
    ///
    /// # Errors
    /// [`Error::DuplicateUpstream`] when two upstreams share a name.
    pub fn build(self) -> Result<Config> {
        let mut upstreams = self.upstreams;
        upstreams.sort_by(|a, b| a.name().cmp(b.name()));
        for w in upstreams.windows(2) {
            if w[0].name() == w[1].name() {
                return Err(Error::DuplicateUpstream {
                    name: w[0].name().to_owned(),
                });
            }
        }
        Ok(Config {
            upstreams,
            servers: self.servers,
            extra: self.extra,
        })
    }
}

/// A `log_format NAME [escape=…] STRING…` definition.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LogFormat {
    name: String,
    escape: Option<String>,
    parts: Vec<String>,
}

impl LogFormat {
    /// A format called `name` made of the concatenated `parts`.
    ///
    /// # Errors
    /// [`Error::UnsafeValue`] for a bad name; [`Error::InvalidValue`] when there are no parts.
    pub fn new(name: &str, parts: Vec<String>) -> Result<Self> {
        check_name("log format name", name)?;
        if parts.is_empty() {
            return Err(Error::invalid(
                "log_format",
                name,
                "needs at least one format string",
            ));
        }
        Ok(Self {
            name: name.to_owned(),
            escape: None,
            parts,
        })
    }

    /// The conventional `main` format of nginx's packaged nginx.conf (not predefined by nginx).
    #[must_use]
    pub fn main() -> Self {
        Self {
            name: "main".into(),
            escape: None,
            parts: vec![
                "$remote_addr - $remote_user [$time_local] \"$request\" ".into(),
                "$status $body_bytes_sent \"$http_referer\" ".into(),
                "\"$http_user_agent\" \"$http_x_forwarded_for\"".into(),
            ],
        }
    }

    /// The name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    fn from_args(args: &[String]) -> Result<Self> {
        let Some((name, rest)) = args.split_first() else {
            return Err(Error::invalid("log_format", "", "missing name"));
        };
        let (escape, parts) = match rest.split_first() {
            Some((e, p)) if e.starts_with("escape=") => (Some(e["escape=".len()..].to_owned()), p),
            _ => (None, rest),
        };
        if let Some(e) = &escape {
            check_word("log_format escape", e)?;
        }
        let mut f = Self::new(name, parts.to_vec())?;
        f.escape = escape;
        Ok(f)
    }

    fn render_into(&self, out: &mut String, depth: usize) {
        indent(out, depth);
        out.push_str("log_format ");
        out.push_str(&self.name);
        if let Some(e) = &self.escape {
            out.push_str(" escape=");
            out.push_str(e);
        }
        for (i, p) in self.parts.iter().enumerate() {
            if i > 0 {
                out.push('\n');
                indent(out, depth + 3);
            } else {
                out.push(' ');
            }
            push_arg(out, p);
        }
        out.push_str(";\n");
    }
}

/// A whole `nginx.conf`: main-context directives, an `events` block and an `http` block holding
/// `log_format`s and a [`Config`].
///
/// The `main` log format is not predefined by nginx: when an `access_log` uses `main` and no
/// `log_format main` is given, [`NginxConfBuilder::build`] adds nginx's conventional definition; any
/// other undefined format is an [`Error::UndefinedLogFormat`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NginxConf {
    main: Vec<Directive>,
    events: Vec<Directive>,
    log_formats: Vec<LogFormat>,
    http: Config,
}

impl NginxConf {
    /// A builder around an http snippet.
    pub fn builder(http: Config) -> NginxConfBuilder {
        NginxConfBuilder {
            main: Vec::new(),
            events: Vec::new(),
            log_formats: Vec::new(),
            http,
        }
    }
    /// The http snippet.
    #[must_use]
    pub fn http(&self) -> &Config {
        &self.http
    }
    /// The log formats, in order.
    #[must_use]
    pub fn log_formats(&self) -> &[LogFormat] {
        &self.log_formats
    }
    /// Main-context directives (`worker_processes`, `error_log`, `pid`, …).
    #[must_use]
    pub fn main_directives(&self) -> &[Directive] {
        &self.main
    }

    /// Renders the whole file.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = String::new();
        for d in &self.main {
            d.render_into(&mut out, 0);
        }
        out.push_str("events {\n");
        for d in &self.events {
            d.render_into(&mut out, 1);
        }
        out.push_str("}\nhttp {\n");
        for f in &self.log_formats {
            f.render_into(&mut out, 1);
        }
        self.http.render_into(&mut out, 1);
        out.push_str("}\n");
        out
    }
}

impl fmt::Display for NginxConf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

impl FromStr for NginxConf {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let mut main = Vec::new();
        let mut events = None;
        let mut http = None;
        for d in crate::parse::parse_directives(s)? {
            match (d.name(), d.children().is_some()) {
                ("events", true) if events.is_none() => {
                    events = Some(d.into_parts().2.unwrap_or_default())
                }
                ("http", true) if http.is_none() => {
                    http = Some(d.into_parts().2.unwrap_or_default())
                }
                ("events" | "http", true) => {
                    return Err(Error::DuplicateDirective {
                        context: "nginx.conf".into(),
                        directive: d.name().into(),
                    });
                }
                _ => main.push(d),
            }
        }
        let Some(http) = http else {
            return Err(Error::Parse {
                line: 1,
                message: "nginx.conf has no http block".into(),
            });
        };
        let mut formats = Vec::new();
        let mut rest = Vec::new();
        for d in http {
            if d.name() == "log_format" && d.children().is_none() {
                formats.push(LogFormat::from_args(d.args())?);
            } else {
                rest.push(d);
            }
        }
        let mut b = Self::builder(Config::from_directives(rest)?);
        b.main = main;
        b.events = events.unwrap_or_default();
        b.log_formats = formats;
        b.build()
    }
}

/// Builder of an [`NginxConf`].
#[derive(Debug, Clone)]
#[must_use]
pub struct NginxConfBuilder {
    main: Vec<Directive>,
    events: Vec<Directive>,
    log_formats: Vec<LogFormat>,
    http: Config,
}

impl NginxConfBuilder {
    /// Adds a main-context directive, e.g. `worker_processes 1`, `error_log PATH`, `pid PATH`.
    pub fn main_directive(mut self, d: Directive) -> Self {
        self.main.push(d);
        self
    }
    /// Adds a directive inside `events { }`, e.g. `worker_connections 1024`.
    pub fn events_directive(mut self, d: Directive) -> Self {
        self.events.push(d);
        self
    }
    /// Adds a `log_format`.
    pub fn log_format(mut self, f: LogFormat) -> Self {
        self.log_formats.push(f);
        self
    }

    /// Checks log formats and returns the whole config.
    ///
    /// # Errors
    /// [`Error::UndefinedLogFormat`] when an access_log names an undefined format other than `main`;
    /// [`Error::DuplicateDirective`] for two `log_format`s with one name.
    pub fn build(self) -> Result<NginxConf> {
        let mut formats = self.log_formats;
        for (i, f) in formats.iter().enumerate() {
            if formats[..i].iter().any(|g| g.name == f.name) || f.name == "combined" {
                return Err(Error::DuplicateDirective {
                    context: "http".into(),
                    directive: format!("log_format {}", f.name),
                });
            }
        }
        for s in self.http.servers() {
            if let Some(AccessLog::Path {
                path,
                format: Some(fmt),
            }) = s.access_log()
            {
                check_word("access_log path", path)?;
                if fmt == "combined" || formats.iter().any(|f| &f.name == fmt) {
                    continue;
                }
                if fmt == "main" {
                    formats.insert(0, LogFormat::main());
                } else {
                    return Err(Error::UndefinedLogFormat {
                        path: path.clone(),
                        format: fmt.clone(),
                    });
                }
            }
        }
        Ok(NginxConf {
            main: self.main,
            events: self.events,
            log_formats: formats,
            http: self.http,
        })
    }
}
