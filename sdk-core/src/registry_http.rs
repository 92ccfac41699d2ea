//! HTTP clients for registries, configured like dockerd: per-registry CAs and client
//! certificates from `/etc/docker/certs.d/<host>/`, proxies from the environment, timeouts.

use crate::tls::tls_error;
use crate::transport::DEFAULT_USER_AGENT;
use crate::{Error, Result, TlsConfig};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// dockerd's directory of per-registry certificates.
pub const DEFAULT_CERTS_DIR: &str = "/etc/docker/certs.d";

/// Options of [`registry_http_client`]. Setters never fail.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct ClientOptions {
    certs_dir: PathBuf,
    connect_timeout: Option<Duration>,
    timeout: Option<Duration>,
    user_agent: String,
    follow_redirects: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientOptions {
    /// Defaults: certificates from [`DEFAULT_CERTS_DIR`], 30 s connect timeout, no total
    /// timeout (blobs can be large), [`DEFAULT_USER_AGENT`], redirects NOT followed.
    pub fn new() -> Self {
        Self {
            certs_dir: PathBuf::from(DEFAULT_CERTS_DIR),
            connect_timeout: Some(Duration::from_secs(30)),
            timeout: None,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            follow_redirects: false,
        }
    }

    /// Sets the certificate root directory (`<dir>/<host>/` is read).
    pub fn certs_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.certs_dir = dir.into();
        self
    }

    /// Sets the connect timeout.
    pub fn connect_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.connect_timeout = timeout.into();
        self
    }

    /// Sets a total per-request timeout.
    pub fn timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.timeout = timeout.into();
        self
    }

    /// Sets the `User-Agent`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Whether reqwest follows redirects itself (default `false`). Leave it off when sending
    /// credentials: registry blob redirects go to other hosts (object storage) that must not
    /// see the registry's `Authorization`; the registry client follows them itself.
    pub fn follow_redirects(mut self, yes: bool) -> Self {
        self.follow_redirects = yes;
        self
    }
}

/// The TLS settings dockerd would use for `host` (`host` or `host:port`, as in the certs.d
/// directory name): system roots plus `*.crt` CAs, and a client identity from a `*.cert` file
/// with the `*.key` of the same name.
///
/// # Errors
/// [`Error::Tls`] for a `*.cert` without its `*.key` or the reverse, or an unreadable directory.
pub fn registry_tls_config(host: &str, certs_dir: &Path) -> Result<TlsConfig> {
    let mut tls = TlsConfig::new();
    if host.is_empty() || host.contains(['/', '\\']) || host == "." || host == ".." {
        return Err(tls_error(None, format!("invalid registry host {host:?}")));
    }
    let dir = certs_dir.join(host);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(tls),
        Err(e) => return Err(tls_error(Some(&dir), e)),
    };
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    let mut identity_set = false;
    for file in &files {
        match file.extension().and_then(|e| e.to_str()) {
            Some("crt") => tls = tls.ca_file(file),
            Some("cert") => {
                let key = file.with_extension("key");
                if !key.exists() {
                    return Err(tls_error(Some(file), "missing key file (same name, .key)"));
                }
                if !identity_set {
                    tls = tls.client_identity(file, key);
                    identity_set = true;
                }
            }
            Some("key") if !file.with_extension("cert").exists() => {
                return Err(tls_error(
                    Some(file),
                    "missing client certificate (same name, .cert)",
                ));
            }
            _ => {}
        }
    }
    Ok(tls)
}

/// A reqwest client for the registry `host` (`host[:port]`): TLS like dockerd (see
/// [`registry_tls_config`]), proxies from `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`, the options'
/// timeouts and user agent, and no redirect following unless asked.
///
/// # Errors
/// [`Error::Tls`] for bad certificate files; [`Error::ClientBuild`] when reqwest rejects the
/// configuration.
pub fn registry_http_client(host: &str, options: &ClientOptions) -> Result<reqwest::Client> {
    let tls = registry_tls_config(host, &options.certs_dir)?.client_config()?;
    let redirect = if options.follow_redirects {
        reqwest::redirect::Policy::limited(10)
    } else {
        reqwest::redirect::Policy::none()
    };
    crate::transport::client_builder(
        tls,
        &options.user_agent,
        redirect,
        options.connect_timeout,
        options.timeout,
    )
    .build()
    .map_err(|source| Error::ClientBuild { source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certs_d_layout() {
        let root = tempfile::tempdir().unwrap();
        let opts = ClientOptions::new().certs_dir(root.path());
        // No directory for the host: system roots only, client builds.
        assert_eq!(
            registry_tls_config("reg:5000", root.path()).unwrap(),
            TlsConfig::new()
        );
        registry_http_client("reg:5000", &opts).unwrap();

        let dir = root.path().join("reg:5000");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("ca.crt"), "x").unwrap();
        std::fs::write(dir.join("client.cert"), "x").unwrap();
        std::fs::write(dir.join("client.key"), "x").unwrap();
        let tls = registry_tls_config("reg:5000", root.path()).unwrap();
        assert_eq!(tls.ca_files(), &[dir.join("ca.crt")]);
        assert!(tls.identity_files().is_some());
        // Garbage PEM: a typed error naming the file.
        let err = registry_http_client("reg:5000", &opts).unwrap_err();
        assert!(err.to_string().contains("ca.crt"), "{err}");

        std::fs::remove_file(dir.join("client.key")).unwrap();
        let err = registry_tls_config("reg:5000", root.path()).unwrap_err();
        assert!(err.to_string().contains("client.cert"), "{err}");
        assert!(registry_tls_config("../etc", root.path()).is_err());
    }
}
