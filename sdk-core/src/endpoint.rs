//! Where the Docker Engine API (or any HTTP server) is: a unix socket or a TCP/TLS URL.

use crate::config::config_dir_with;
use crate::redact::{endpoint_string, redact_input};
use crate::{DockerConfig, Error, Result, TlsConfig};
use sha2::Digest as _;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use url::Url;

/// The docker default host.
pub const DEFAULT_DOCKER_HOST: &str = "unix:///var/run/docker.sock";

/// An API endpoint: `unix:///path`, `tcp://host:port` (HTTP, or HTTPS when TLS is configured),
/// `http://…` or `https://…`, with optional TLS settings.
///
/// Parse with [`str::parse`]; `Display` writes the canonical form (user info never shown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    kind: Kind,
    tls: Option<TlsConfig>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Unix(PathBuf),
    /// `tcp://`: the URL keeps scheme `http`; it becomes `https` with TLS.
    Tcp(Url),
    Http(Url),
}

fn invalid(input: &str, reason: impl Into<String>) -> Error {
    Error::InvalidEndpoint {
        input: redact_input(input),
        reason: reason.into(),
    }
}

impl Endpoint {
    /// A unix socket endpoint.
    #[must_use]
    pub fn unix(path: impl Into<PathBuf>) -> Self {
        Self {
            kind: Kind::Unix(path.into()),
            tls: None,
        }
    }

    /// Uses TLS: `tcp://` endpoints become `https://`; `https://` endpoints use these settings
    /// instead of the defaults. Ignored for unix sockets; on an `http://` URL
    /// [`crate::TransportBuilder::build`] refuses it (the URL says plain HTTP).
    #[must_use]
    pub fn with_tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// The TLS settings, if any were given.
    #[must_use]
    pub fn tls(&self) -> Option<&TlsConfig> {
        self.tls.as_ref()
    }

    /// The socket path of a unix endpoint.
    #[must_use]
    pub fn unix_socket(&self) -> Option<&Path> {
        match &self.kind {
            Kind::Unix(p) => Some(p),
            _ => None,
        }
    }

    /// Whether requests go over TLS.
    #[must_use]
    pub fn is_tls(&self) -> bool {
        self.base_url().scheme() == "https"
    }

    /// The base URL requests are made against: `http://localhost/` for unix sockets (the socket
    /// carries the connection), `https://…` for `tcp://` with TLS, else the URL as given.
    #[must_use]
    pub fn base_url(&self) -> Url {
        match &self.kind {
            Kind::Unix(_) => Url::parse("http://localhost/").expect("static URL is valid"),
            Kind::Tcp(url) => {
                let mut url = url.clone();
                if self.tls.is_some() {
                    // http → https is always a valid scheme change.
                    let _ = url.set_scheme("https");
                }
                url
            }
            Kind::Http(url) => url.clone(),
        }
    }

    /// Reads `DOCKER_HOST`, `DOCKER_CONTEXT` (and the CLI's `currentContext`),
    /// `DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH` and `DOCKER_CONFIG` from the process environment,
    /// like the docker CLI. See [`Endpoint::from_env_with`].
    ///
    /// # Errors
    /// As [`Endpoint::from_env_with`].
    pub fn from_env() -> Result<Self> {
        Self::from_env_with(|k| std::env::var(k).ok())
    }

    /// [`Endpoint::from_env`] with a variable lookup function instead of the process environment
    /// (for tests and embedding).
    ///
    /// 1. `DOCKER_HOST`, when set, is parsed (`tcp://`, `unix://` or `host:port`; like the
    ///    docker CLI, `http://` and `https://` are refused); with `DOCKER_TLS_VERIFY` non-empty, TLS uses
    ///    `ca.pem`/`cert.pem`/`key.pem` from `DOCKER_CERT_PATH` (default: the config directory).
    ///    With only `DOCKER_TLS` non-empty, TLS presents the client certificate but does not
    ///    verify the server's, like the CLI's `--tls` (see
    ///    [`TlsConfig::danger_accept_invalid_certs`]).
    /// 2. Else the context `DOCKER_CONTEXT` or config.json's `currentContext` (unless `default`):
    ///    `<config dir>/contexts/meta/<sha256(name)>/meta.json` → `Endpoints.docker.Host`, with
    ///    TLS files from `<config dir>/contexts/tls/<sha256(name)>/docker/` when present.
    /// 3. Else [`DEFAULT_DOCKER_HOST`].
    ///
    /// # Errors
    /// [`Error::InvalidEndpoint`] for a bad host (an `http://` or `https://` DOCKER_HOST
    /// included: "invalid bind address format", as the docker CLI says) or an unknown context; [`Error::ConfigParse`]
    /// for a bad config.json or meta.json; [`Error::Config`] when they cannot be read.
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let var = |k: &str| lookup(k).filter(|v| !v.is_empty());
        if let Some(host) = var("DOCKER_HOST") {
            // The docker CLI's `parseDockerDaemonHost` accepts only tcp://, unix:// (and npipe,
            // fd, ssh) here: an http:// host with DOCKER_TLS_VERIFY would otherwise silently
            // go without TLS.
            let scheme = host
                .trim()
                .split_once("://")
                .map(|(s, _)| s.to_ascii_lowercase());
            if matches!(scheme.as_deref(), Some("http" | "https")) {
                return Err(invalid(
                    host.trim(),
                    format!(
                        "invalid bind address format: {} (DOCKER_HOST takes tcp:// or unix://; \
                         TLS comes from DOCKER_TLS_VERIFY and DOCKER_CERT_PATH)",
                        redact_input(host.trim())
                    ),
                ));
            }
            let mut endpoint: Self = host.parse()?;
            let verify = var("DOCKER_TLS_VERIFY").is_some();
            if (verify || var("DOCKER_TLS").is_some()) && endpoint.unix_socket().is_none() {
                let dir = match var("DOCKER_CERT_PATH") {
                    Some(d) => PathBuf::from(d),
                    None => config_dir_with(&lookup)?,
                };
                let tls = TlsConfig::from_cert_dir(dir);
                endpoint = endpoint.with_tls(if verify {
                    tls
                } else {
                    // The CLI's `--tls` without `--tlsverify`: encrypted, server not verified.
                    tls.danger_accept_invalid_certs(true)
                });
            }
            return Ok(endpoint);
        }
        let context = match var("DOCKER_CONTEXT") {
            Some(c) => Some(c),
            None => {
                let dir = config_dir_with(&lookup).ok();
                match dir {
                    Some(dir) => DockerConfig::load_from(dir.join("config.json"))?
                        .current_context()
                        .map(str::to_owned),
                    None => None,
                }
            }
        };
        match context {
            Some(name) if name != "default" => {
                Self::from_context(&config_dir_with(&lookup)?, &name)
            }
            _ => DEFAULT_DOCKER_HOST.parse(),
        }
    }

    /// The endpoint of a docker CLI context stored under `config_dir` (`~/.docker`).
    ///
    /// # Errors
    /// [`Error::InvalidEndpoint`] when the context does not exist or has no docker endpoint;
    /// [`Error::ConfigParse`] when its meta.json is invalid.
    pub fn from_context(config_dir: &Path, name: &str) -> Result<Self> {
        let hash = hex::encode(sha2::Sha256::digest(name.as_bytes()));
        let meta = config_dir
            .join("contexts")
            .join("meta")
            .join(&hash)
            .join("meta.json");
        let text = match std::fs::read_to_string(&meta) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(invalid(
                    &format!("context {name}"),
                    format!("context not found ({} does not exist)", meta.display()),
                ));
            }
            Err(source) => return Err(Error::Config { path: meta, source }),
        };
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| Error::ConfigParse {
                path: meta.clone(),
                message: format!("not valid JSON (line {}, column {})", e.line(), e.column()),
            })?;
        let host = value
            .pointer("/Endpoints/docker/Host")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| Error::ConfigParse {
                path: meta.clone(),
                message: "no Endpoints.docker.Host string".into(),
            })?;
        let mut endpoint: Self = host.parse()?;
        let tls_dir = config_dir
            .join("contexts")
            .join("tls")
            .join(&hash)
            .join("docker");
        // As the CLI: TLS when the context stores TLS files or sets SkipTLSVerify, which then
        // leaves the server's certificate unverified.
        let skip_verify = value
            .pointer("/Endpoints/docker/SkipTLSVerify")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false);
        if (tls_dir.is_dir() || skip_verify) && endpoint.unix_socket().is_none() {
            let tls = if tls_dir.is_dir() {
                TlsConfig::from_cert_dir(tls_dir)
            } else {
                TlsConfig::new()
            };
            endpoint = endpoint.with_tls(tls.danger_accept_invalid_certs(skip_verify));
        }
        Ok(endpoint)
    }
}

impl FromStr for Endpoint {
    type Err = Error;

    fn from_str(input: &str) -> Result<Self> {
        let s = input.trim();
        if s.is_empty() {
            return Err(invalid(input, "empty"));
        }
        let (scheme, rest) = match s.split_once("://") {
            Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
            None if s.starts_with('/') => {
                return Err(invalid(input, "a socket path needs the unix:// prefix"));
            }
            None => ("tcp".to_owned(), s),
        };
        match scheme.as_str() {
            "unix" => {
                if !rest.starts_with('/') || rest.len() < 2 {
                    return Err(invalid(input, "unix socket path must be absolute"));
                }
                if rest.contains('\0') {
                    return Err(invalid(input, "NUL in socket path"));
                }
                Ok(Self::unix(rest))
            }
            "tcp" | "http" | "https" => {
                let default_port = if scheme == "tcp" { "2375" } else { "" };
                let http_scheme = if scheme == "tcp" {
                    "http"
                } else {
                    scheme.as_str()
                };
                let mut url = Url::parse(&format!("{http_scheme}://{rest}"))
                    .map_err(|e| invalid(input, e.to_string()))?;
                if url.host_str().is_none_or(str::is_empty) {
                    return Err(invalid(input, "no host"));
                }
                if !url.username().is_empty() || url.password().is_some() {
                    return Err(invalid(input, "user info is not allowed in an endpoint"));
                }
                if url.query().is_some() || url.fragment().is_some() {
                    return Err(invalid(input, "query and fragment are not allowed"));
                }
                if url.port().is_none() && !default_port.is_empty() {
                    // Setting a port on an http URL with a host cannot fail.
                    let _ = url.set_port(Some(2375));
                }
                if !url.path().ends_with('/') {
                    let path = format!("{}/", url.path());
                    url.set_path(&path);
                }
                Ok(Self {
                    kind: if scheme == "tcp" {
                        Kind::Tcp(url)
                    } else {
                        Kind::Http(url)
                    },
                    tls: None,
                })
            }
            other => Err(invalid(
                input,
                format!("unsupported scheme {other:?} (use unix://, tcp://, http:// or https://)"),
            )),
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Unix(p) => write!(f, "unix://{}", p.display()),
            Kind::Tcp(url) => {
                let s = endpoint_string(url);
                let s = s.strip_prefix("http://").unwrap_or(&s);
                write!(f, "tcp://{}", s.trim_end_matches('/'))
            }
            Kind::Http(url) => f.write_str(endpoint_string(url).trim_end_matches('/')),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn parses_the_forms() {
        let e: Endpoint = "unix:///var/run/docker.sock".parse().unwrap();
        assert_eq!(e.unix_socket(), Some(Path::new("/var/run/docker.sock")));
        assert_eq!(e.base_url().as_str(), "http://localhost/");
        assert_eq!(e.to_string(), "unix:///var/run/docker.sock");

        let e: Endpoint = "tcp://127.0.0.1:2376".parse().unwrap();
        assert_eq!(e.base_url().as_str(), "http://127.0.0.1:2376/");
        assert_eq!(e.to_string(), "tcp://127.0.0.1:2376");
        let e = e.with_tls(TlsConfig::new());
        assert_eq!(e.base_url().as_str(), "https://127.0.0.1:2376/");
        assert!(e.is_tls());

        let e: Endpoint = "tcp://localhost".parse().unwrap();
        assert_eq!(e.base_url().as_str(), "http://localhost:2375/");
        let e: Endpoint = "127.0.0.1:1234".parse().unwrap();
        assert_eq!(e.to_string(), "tcp://127.0.0.1:1234");

        let e: Endpoint = "https://example.com/prefix".parse().unwrap();
        assert_eq!(e.base_url().as_str(), "https://example.com/prefix/");
        assert_eq!(e.to_string(), "https://example.com/prefix");
        let e: Endpoint = "http://[::1]:8080".parse().unwrap();
        assert_eq!(e.base_url().as_str(), "http://[::1]:8080/");
    }

    #[test]
    fn rejects_bad_input_without_leaking() {
        for bad in [
            "",
            "unix://",
            "unix://relative",
            "/var/run/docker.sock",
            "ssh://host",
            "npipe:////./pipe/docker",
            "tcp://",
            "tcp://host:notaport",
            "https://user:SECRETPW@host",
            "http://host/?token=x",
        ] {
            let err = bad.parse::<Endpoint>().unwrap_err();
            assert!(
                matches!(err, Error::InvalidEndpoint { .. }),
                "{bad}: {err:?}"
            );
            assert!(!err.to_string().contains("SECRETPW"), "{err}");
        }
    }

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn env_docker_host_and_tls() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().to_str().unwrap();
        let e = Endpoint::from_env_with(env(&[("HOME", home)])).unwrap();
        assert_eq!(e.to_string(), DEFAULT_DOCKER_HOST);

        let e = Endpoint::from_env_with(env(&[
            ("DOCKER_HOST", "tcp://127.0.0.1:2376"),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", "/certs"),
        ]))
        .unwrap();
        assert!(e.is_tls());
        assert_eq!(e.tls(), Some(&TlsConfig::from_cert_dir("/certs")));

        let e = Endpoint::from_env_with(env(&[("DOCKER_HOST", "tcp://127.0.0.1:2375")])).unwrap();
        assert!(!e.is_tls());

        // DOCKER_TLS alone: TLS that does not verify the server; with DOCKER_TLS_VERIFY it does.
        let tls_only = [
            ("DOCKER_HOST", "tcp://127.0.0.1:2376"),
            ("DOCKER_TLS", "1"),
            ("DOCKER_CERT_PATH", "/certs"),
        ];
        let e = Endpoint::from_env_with(env(&tls_only)).unwrap();
        assert!(e.is_tls());
        assert!(e.tls().unwrap().accepts_invalid_certs());
        let mut both = tls_only.to_vec();
        both.push(("DOCKER_TLS_VERIFY", "1"));
        let e = Endpoint::from_env_with(env(&both)).unwrap();
        assert!(!e.tls().unwrap().accepts_invalid_certs());
        // A unix socket never gets TLS.
        let e = Endpoint::from_env_with(env(&[
            ("DOCKER_HOST", "unix:///run/docker.sock"),
            ("DOCKER_TLS", "1"),
        ]))
        .unwrap();
        assert!(!e.is_tls());
    }

    /// docker CLI 28 refuses an `http://` or `https://` DOCKER_HOST ("invalid bind address
    /// format"): with DOCKER_TLS_VERIFY=1 an `http://` host would otherwise silently go
    /// without TLS.
    #[test]
    fn env_docker_host_refuses_http_and_https_like_the_cli() {
        for host in [
            "http://127.0.0.1:2376",
            "https://127.0.0.1:2376",
            "HTTP://127.0.0.1:2376",
        ] {
            for tls in [None, Some("DOCKER_TLS_VERIFY"), Some("DOCKER_TLS")] {
                let mut vars = vec![("DOCKER_HOST", host), ("DOCKER_CERT_PATH", "/certs")];
                if let Some(t) = tls {
                    vars.push((t, "1"));
                }
                let err = Endpoint::from_env_with(env(&vars)).unwrap_err();
                match &err {
                    Error::InvalidEndpoint { input, reason } => {
                        assert!(input.contains("127.0.0.1:2376"), "{err}");
                        assert!(reason.contains("invalid bind address format"), "{err}");
                    }
                    other => panic!("{host} {tls:?}: {other:?}"),
                }
            }
        }
        // tcp:// (and no scheme) stay accepted, TLS on top when asked.
        let e = Endpoint::from_env_with(env(&[
            ("DOCKER_HOST", "127.0.0.1:2376"),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", "/certs"),
        ]))
        .unwrap();
        assert!(e.is_tls());
    }

    #[test]
    fn env_context() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path();
        let hash = hex::encode(sha2::Sha256::digest(b"remote"));
        let meta = cfg.join("contexts/meta").join(&hash);
        std::fs::create_dir_all(&meta).unwrap();
        std::fs::write(
            meta.join("meta.json"),
            r#"{"Name":"remote","Metadata":{},"Endpoints":{"docker":{"Host":"tcp://127.0.0.9:2376","SkipTLSVerify":false}}}"#,
        )
        .unwrap();
        std::fs::create_dir_all(cfg.join("contexts/tls").join(&hash).join("docker")).unwrap();
        let cfg_s = cfg.to_str().unwrap();

        let e = Endpoint::from_env_with(env(&[
            ("DOCKER_CONFIG", cfg_s),
            ("DOCKER_CONTEXT", "remote"),
        ]))
        .unwrap();
        assert_eq!(e.base_url().as_str(), "https://127.0.0.9:2376/");
        assert!(!e.tls().unwrap().accepts_invalid_certs());

        // SkipTLSVerify: TLS without verifying the server, even without stored TLS files.
        let hash2 = hex::encode(sha2::Sha256::digest(b"skip"));
        let meta2 = cfg.join("contexts/meta").join(&hash2);
        std::fs::create_dir_all(&meta2).unwrap();
        std::fs::write(
            meta2.join("meta.json"),
            r#"{"Name":"skip","Endpoints":{"docker":{"Host":"tcp://127.0.0.9:2376","SkipTLSVerify":true}}}"#,
        )
        .unwrap();
        let e = Endpoint::from_context(cfg, "skip").unwrap();
        assert!(e.is_tls());
        assert!(e.tls().unwrap().accepts_invalid_certs());

        std::fs::write(cfg.join("config.json"), r#"{"currentContext":"remote"}"#).unwrap();
        let e = Endpoint::from_env_with(env(&[("DOCKER_CONFIG", cfg_s)])).unwrap();
        assert_eq!(e.to_string(), "tcp://127.0.0.9:2376");
        // DOCKER_HOST wins over the context; "default" means the default host.
        let e = Endpoint::from_env_with(env(&[
            ("DOCKER_CONFIG", cfg_s),
            ("DOCKER_HOST", "unix:///x.sock"),
        ]))
        .unwrap();
        assert_eq!(e.to_string(), "unix:///x.sock");
        let e = Endpoint::from_env_with(env(&[
            ("DOCKER_CONFIG", cfg_s),
            ("DOCKER_CONTEXT", "default"),
        ]))
        .unwrap();
        assert_eq!(e.to_string(), DEFAULT_DOCKER_HOST);

        let err = Endpoint::from_env_with(env(&[
            ("DOCKER_CONFIG", cfg_s),
            ("DOCKER_CONTEXT", "missing"),
        ]))
        .unwrap_err();
        assert!(matches!(err, Error::InvalidEndpoint { .. }), "{err:?}");
    }
}
