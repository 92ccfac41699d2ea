//! TLS configuration: CA certificates and client certificates, built into rustls configs with
//! the `ring` provider (no process-wide default provider needed).

use crate::{Error, Result};
use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where TLS trust and client identity come from.
///
/// By default the system's trust store is used; CA files are added to it (like dockerd's
/// `/etc/docker/certs.d` and the docker CLI's `DOCKER_CERT_PATH/ca.pem`), or replace it with
/// [`TlsConfig::system_roots`]`(false)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsConfig {
    ca_files: Vec<PathBuf>,
    identity: Option<(PathBuf, PathBuf)>,
    system_roots: bool,
    verify_server: bool,
}

impl Default for TlsConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl TlsConfig {
    /// Verification against the system trust store, no client certificate.
    #[must_use]
    pub fn new() -> Self {
        Self {
            ca_files: Vec::new(),
            identity: None,
            system_roots: true,
            verify_server: true,
        }
    }

    /// The docker CLI's certificate directory layout: `ca.pem`, `cert.pem` and `key.pem` in
    /// `dir`, each used when present (as `DOCKER_CERT_PATH`).
    #[must_use]
    pub fn from_cert_dir(dir: impl AsRef<Path>) -> Self {
        let dir = dir.as_ref();
        let mut tls = Self::new();
        let ca = dir.join("ca.pem");
        if ca.exists() {
            tls = tls.ca_file(ca);
        }
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        if cert.exists() || key.exists() {
            tls = tls.client_identity(cert, key);
        }
        tls
    }

    /// Adds a PEM file of CA certificates to trust.
    #[must_use]
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_files.push(path.into());
        self
    }

    /// Presents a client certificate (PEM chain) and its private key (PEM, PKCS#8/PKCS#1/SEC1).
    #[must_use]
    pub fn client_identity(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.identity = Some((cert.into(), key.into()));
        self
    }

    /// Whether the system trust store is used besides the CA files (default `true`).
    #[must_use]
    pub fn system_roots(mut self, yes: bool) -> Self {
        self.system_roots = yes;
        self
    }

    /// Skips the verification of the server's certificate chain and name: what the docker
    /// CLI does with `--tls` (or `DOCKER_TLS`) and without `--tlsverify`. The handshake is still
    /// encrypted, its signatures still checked, and a client certificate still presented, but
    /// anyone on the path can impersonate the server. Default `false`.
    #[must_use]
    pub fn danger_accept_invalid_certs(mut self, yes: bool) -> Self {
        self.verify_server = !yes;
        self
    }

    /// Whether the server's certificate is left unverified
    /// ([`danger_accept_invalid_certs`](Self::danger_accept_invalid_certs)).
    #[must_use]
    pub fn accepts_invalid_certs(&self) -> bool {
        !self.verify_server
    }

    /// The CA files added so far.
    #[must_use]
    pub fn ca_files(&self) -> &[PathBuf] {
        &self.ca_files
    }

    /// The client certificate and key files, if any.
    #[must_use]
    pub fn identity_files(&self) -> Option<(&Path, &Path)> {
        self.identity
            .as_ref()
            .map(|(c, k)| (c.as_path(), k.as_path()))
    }

    /// Builds the rustls client configuration (ring provider, HTTP/1.1 ALPN).
    ///
    /// # Errors
    /// [`Error::Tls`] naming the file when a CA, certificate or key file cannot be read or
    /// holds no usable PEM item, when the key does not match, or when the system verifier cannot
    /// be set up.
    pub fn client_config(&self) -> Result<rustls::ClientConfig> {
        let provider: Arc<CryptoProvider> = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = Vec::new();
        for path in &self.ca_files {
            roots.extend(read_certs(path)?);
        }
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_error(None, e))?;
        let builder = if !self.verify_server {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(NoServerVerification(provider)))
        } else if self.system_roots {
            let verifier = if roots.is_empty() {
                rustls_platform_verifier::Verifier::new(provider)
            } else {
                rustls_platform_verifier::Verifier::new_with_extra_roots(roots, provider)
            }
            .map_err(|e| tls_error(None, e))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verifier))
        } else {
            let mut store = RootCertStore::empty();
            for (cert, path) in roots.into_iter().zip(self.ca_files.iter().cycle()) {
                store.add(cert).map_err(|e| tls_error(Some(path), e))?;
            }
            builder.with_root_certificates(store)
        };
        let mut config = match &self.identity {
            Some((cert_path, key_path)) => {
                let certs = read_certs(cert_path)?;
                let key_pem = std::fs::read(key_path).map_err(|e| tls_error(Some(key_path), e))?;
                let key = PrivateKeyDer::from_pem_slice(&key_pem)
                    .map_err(|_| tls_error(Some(key_path), "no PEM private key found"))?;
                builder
                    .with_client_auth_cert(certs, key)
                    .map_err(|e| tls_error(Some(cert_path), e))?
            }
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }
}

/// Accepts any server certificate but still checks the handshake signatures with the
/// provider's algorithms (the docker CLI's `InsecureSkipVerify`).
#[derive(Debug)]
struct NoServerVerification(Arc<CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoServerVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &rustls_pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls_pki_types::UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Reads every certificate of a PEM file; at least one is required.
pub(crate) fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let pem = std::fs::read(path).map_err(|e| tls_error(Some(path), e))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls_error(Some(path), format!("bad PEM: {e}")))?;
    if certs.is_empty() {
        return Err(tls_error(Some(path), "no PEM certificate found"));
    }
    Ok(certs)
}

pub(crate) fn tls_error(path: Option<&Path>, message: impl ToString) -> Error {
    Error::Tls {
        path: path.map(Path::to_path_buf),
        message: message.to_string(),
    }
}

/// A rustls config without client certificates, trusting the system store: what plain
/// `http://`/unix clients get so reqwest never needs a process-wide crypto provider.
pub(crate) fn default_client_config() -> Result<rustls::ClientConfig> {
    TlsConfig::new().client_config()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_builds() {
        let cfg = TlsConfig::new().client_config().unwrap();
        assert_eq!(cfg.alpn_protocols, vec![b"http/1.1".to_vec()]);
    }

    #[test]
    fn missing_and_garbage_files_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.pem");
        let err = TlsConfig::new()
            .ca_file(&missing)
            .client_config()
            .unwrap_err();
        assert!(
            matches!(&err, Error::Tls { path: Some(p), .. } if p == &missing),
            "{err:?}"
        );
        let garbage = dir.path().join("ca.pem");
        std::fs::write(&garbage, "hello").unwrap();
        let err = TlsConfig::new()
            .ca_file(&garbage)
            .client_config()
            .unwrap_err();
        assert!(err.to_string().contains("ca.pem"), "{err}");
    }

    #[test]
    fn cert_dir_layout() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(TlsConfig::from_cert_dir(dir.path()), TlsConfig::new());
        std::fs::write(dir.path().join("ca.pem"), "x").unwrap();
        std::fs::write(dir.path().join("cert.pem"), "x").unwrap();
        let tls = TlsConfig::from_cert_dir(dir.path());
        assert_eq!(tls.ca_files(), &[dir.path().join("ca.pem")]);
        assert_eq!(
            tls.identity_files(),
            Some((
                dir.path().join("cert.pem").as_path(),
                dir.path().join("key.pem").as_path()
            ))
        );
    }
}
