//! The version marker: an opt-in `location = /__dockwright/config { return 200 HASH; }` in every
//! server block, so whoever applied a config can ask nginx over HTTP which config it serves —
//! the confirmation that works when the master's workers cannot be observed (nginx in another
//! pid namespace, e.g. a swarm task).
//!
//! The hash is a 64-bit FNV-1a of the config rendered *without* the marker, as 16 lowercase hex
//! digits: it detects a change, it is not a cryptographic digest (the config is not a secret).

use crate::conf::Config;
use crate::directive::Directive;
use crate::error::Result;
use crate::server::{Location, Server};

/// The path the marker location answers on.
pub const MARKER_PATH: &str = "/__dockwright/config";

/// The 16-hex-digit FNV-1a 64 hash of `text`.
///
/// ```
/// assert_eq!(lb_config::config_hash(""), "cbf29ce484222325");
/// assert_ne!(lb_config::config_hash("a"), lb_config::config_hash("b"));
/// ```
#[must_use]
pub fn config_hash(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn is_marker(l: &Location) -> bool {
    l.path() == ["=", MARKER_PATH]
}

impl Server {
    fn without_marker(&self) -> Result<Self> {
        let mut b = Self::builder();
        for l in self.listen() {
            b = b.listen(l.clone());
        }
        for n in self.server_name() {
            b = b.server_name(n.clone());
        }
        if let Some(a) = self.access_log() {
            b = b.access_log(a.clone());
        }
        for d in self.extra() {
            b = b.directive(d.clone());
        }
        for l in self.locations().iter().filter(|l| !is_marker(l)) {
            b = b.location(l.clone());
        }
        b.build()
    }

    fn with_marker(&self, hash: &str) -> Result<Self> {
        let mut b = Self::builder();
        for l in self.listen() {
            b = b.listen(l.clone());
        }
        for n in self.server_name() {
            b = b.server_name(n.clone());
        }
        if let Some(a) = self.access_log() {
            b = b.access_log(a.clone());
        }
        for d in self.extra() {
            b = b.directive(d.clone());
        }
        for l in self.locations() {
            b = b.location(l.clone());
        }
        let marker = Location::builder(format!("= {MARKER_PATH}"))
            .directive(Directive::new("access_log", ["off"])?)
            .directive(Directive::new("default_type", ["text/plain"])?)
            .directive(Directive::new("return", ["200", hash])?)
            .build()?;
        b.location(marker).build()
    }
}

impl Config {
    /// This config without any version marker location.
    ///
    /// # Errors
    /// Only the builders' checks, which the parts of a built config already passed.
    pub fn without_version_marker(&self) -> Result<Self> {
        let mut b = Self::builder();
        for d in self.extra() {
            b = b.directive(d.clone());
        }
        for u in self.upstreams() {
            b = b.upstream(u.clone());
        }
        for s in self.servers() {
            b = b.server(s.without_marker()?);
        }
        b.build()
    }

    /// This config with a version marker in every server block, and the marker's value: the
    /// [`config_hash`] of the config rendered without a marker (so applying it twice gives the
    /// same bytes). nginx then answers `GET /__dockwright/config` with the hash as the body.
    ///
    /// ```
    /// use lb_config::{Config, Location, Server, Upstream};
    /// let c = Config::builder()
    ///     .upstream(Upstream::builder("lb").server("127.0.0.1:8081".parse().unwrap()).build().unwrap())
    ///     .server(Server::builder().listen("8080".parse().unwrap())
    ///         .location(Location::builder("/").proxy_pass_upstream("lb").build().unwrap())
    ///         .build().unwrap())
    ///     .build().unwrap();
    /// let (marked, hash) = c.with_version_marker().unwrap();
    /// assert!(marked.render().contains(&format!("return 200 {hash};")));
    /// assert_eq!(marked.version_marker(), Some(hash.as_str()));
    /// assert_eq!(marked.with_version_marker().unwrap().0, marked);
    /// ```
    ///
    /// # Errors
    /// Only the builders' checks, which the parts of a built config already passed.
    pub fn with_version_marker(&self) -> Result<(Self, String)> {
        let plain = self.without_version_marker()?;
        let hash = config_hash(&plain.render());
        let mut b = Self::builder();
        for d in plain.extra() {
            b = b.directive(d.clone());
        }
        for u in plain.upstreams() {
            b = b.upstream(u.clone());
        }
        for s in plain.servers() {
            b = b.server(s.with_marker(&hash)?);
        }
        Ok((b.build()?, hash))
    }

    /// The hash of the first version marker location, if the config has one.
    #[must_use]
    pub fn version_marker(&self) -> Option<&str> {
        self.servers()
            .iter()
            .flat_map(Server::locations)
            .filter(|l| is_marker(l))
            .flat_map(Location::extra)
            .find_map(|d| match d.args() {
                [code, hash] if d.name() == "return" && code == "200" => Some(hash.as_str()),
                _ => None,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_round_trips_and_changes_with_the_config() {
        let text = "upstream lb {\n    server 127.0.0.1:8081;\n}\nserver {\n    listen 8080;\n    location / {\n        proxy_pass http://lb;\n    }\n}\n";
        let c: Config = text.parse().unwrap();
        assert_eq!(c.version_marker(), None);
        let (m, h) = c.with_version_marker().unwrap();
        assert_eq!(h, config_hash(text));
        let rendered = m.render();
        assert!(
            rendered.contains(&format!(
                "    location = /__dockwright/config {{\n        access_log off;\n        default_type text/plain;\n        return 200 {h};\n    }}\n"
            )),
            "{rendered}"
        );
        let back: Config = rendered.parse().unwrap();
        assert_eq!(back, m);
        assert_eq!(back.version_marker(), Some(h.as_str()));
        assert_eq!(back.without_version_marker().unwrap(), c);
        let other: Config = text.replace("8081", "8082").parse().unwrap();
        assert_ne!(other.with_version_marker().unwrap().1, h);
    }
}
