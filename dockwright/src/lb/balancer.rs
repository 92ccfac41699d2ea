//! The nginx config of a load balancer over a set of upstream servers.

use lb_config::{
    AccessLog, Config, Directive, Listen, Location, Method, NginxConf, Server, Upstream,
    UpstreamServer,
};

use crate::error::Result;

/// Everything about the balancer but its servers: the upstream's name and method, the server
/// block (`listen`, `server_name`, `access_log`) that proxies to it, and whether to render a
/// whole `nginx.conf` and a version marker.
///
/// ```
/// use dockwright::lb::Balancer;
/// use lb_config::{Method, UpstreamServer};
///
/// let servers: Vec<UpstreamServer> = vec!["127.0.0.1:8081".parse()?, "127.0.0.1:8082".parse()?];
/// let conf = Balancer::new("loadbalance").method(Method::LeastConn).render(&servers)?;
/// assert!(conf.text.contains("least_conn;"));
/// assert!(conf.text.contains("server 127.0.0.1:8082;"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Balancer {
    name: String,
    method: Method,
    listen: Option<Listen>,
    server_names: Vec<String>,
    access_log: Option<AccessLog>,
    full: bool,
    version_marker: bool,
}

/// A rendered config: its text, its version-marker hash when asked for, and its servers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rendered {
    /// The config file's text.
    pub text: String,
    /// The hash `location = /__dockwright/config` answers (with [`Balancer::version_marker`]).
    pub marker: Option<String>,
    /// The upstream servers it balances over.
    pub servers: Vec<UpstreamServer>,
}

impl Balancer {
    /// Upstream `name`, round robin, a server block listening on port 80.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            method: Method::RoundRobin,
            listen: None,
            server_names: Vec::new(),
            access_log: None,
            full: false,
            version_marker: false,
        }
    }

    /// The balancing method (`least_conn`, `ip_hash`, `hash $key consistent`, …).
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// The server block's `listen` (default `80`).
    pub fn listen(mut self, listen: Listen) -> Self {
        self.listen = Some(listen);
        self
    }

    /// Adds a `server_name`.
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_names.push(name.into());
        self
    }

    /// The server block's `access_log`.
    pub fn access_log(mut self, log: AccessLog) -> Self {
        self.access_log = Some(log);
        self
    }

    /// Render a whole `nginx.conf` (events, http) instead of an http-context snippet.
    pub fn full_conf(mut self, full: bool) -> Self {
        self.full = full;
        self
    }

    /// Add `location = /__dockwright/config { return 200 HASH; }`, so a reload can be confirmed
    /// over HTTP even when nginx runs in another pid namespace (a swarm task).
    pub fn version_marker(mut self, on: bool) -> Self {
        self.version_marker = on;
        self
    }

    /// The first `server_name`, if any (the `Host` a marker check should send).
    #[must_use]
    pub fn first_server_name(&self) -> Option<&str> {
        self.server_names.first().map(String::as_str)
    }

    /// The `listen` value.
    #[must_use]
    pub fn listen_value(&self) -> String {
        self.listen
            .as_ref()
            .map_or_else(|| "80".to_owned(), ToString::to_string)
    }

    /// The config over `servers`.
    ///
    /// # Errors
    /// [`crate::Error::Config`] for what nginx would refuse (an empty upstream, a bad name, …).
    pub fn render(&self, servers: &[UpstreamServer]) -> Result<Rendered> {
        let mut up = Upstream::builder(self.name.clone()).method(self.method.clone());
        for s in servers {
            up = up.server_entry(s.clone());
        }
        let listen = match &self.listen {
            Some(l) => l.clone(),
            None => "80".parse()?,
        };
        let mut server = Server::builder().listen(listen).location(
            Location::builder("/")
                .proxy_pass_upstream(&self.name)
                .build()?,
        );
        for n in &self.server_names {
            server = server.server_name(n.clone());
        }
        if let Some(log) = &self.access_log {
            server = server.access_log(log.clone());
        }
        let up = up.build()?;
        let servers = up.servers().to_vec();
        let mut snippet = Config::builder()
            .upstream(up)
            .server(server.build()?)
            .build()?;
        let mut marker = None;
        if self.version_marker {
            let (marked, h) = snippet.with_version_marker()?;
            snippet = marked;
            marker = Some(h);
        }
        let text = if self.full {
            NginxConf::builder(snippet)
                .main_directive(Directive::new("worker_processes", ["auto"])?)
                .events_directive(Directive::new("worker_connections", ["1024"])?)
                .build()?
                .render()
        } else {
            snippet.render()
        };
        Ok(Rendered {
            text,
            marker,
            servers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_snippets_and_whole_files() {
        let servers: Vec<UpstreamServer> = vec!["127.0.0.1:8081".parse().unwrap()];
        let b = Balancer::new("lb")
            .method(Method::LeastConn)
            .listen("127.0.0.1:8080".parse().unwrap())
            .server_name("example.test")
            .access_log(AccessLog::Off);
        let r = b.render(&servers).unwrap();
        assert!(r.text.contains("upstream lb {"), "{}", r.text);
        assert!(r.text.contains("listen 127.0.0.1:8080;"), "{}", r.text);
        assert!(r.text.contains("proxy_pass http://lb;"), "{}", r.text);
        assert!(r.marker.is_none());
        let full = b.clone().full_conf(true).version_marker(true);
        let r = full.render(&servers).unwrap();
        assert!(r.text.contains("events {"), "{}", r.text);
        let hash = r.marker.unwrap();
        assert!(r.text.contains(&hash), "{}", r.text);
        // nginx refuses an upstream without servers: so does the render
        assert!(b.render(&[]).is_err());
    }
}
