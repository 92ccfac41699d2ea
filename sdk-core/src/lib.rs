//! Shared foundations of the dockwright crates: errors, registry credentials, the docker CLI's
//! `config.json` and credential helpers, the `X-Registry-Auth` header, and an HTTP transport
//! (unix socket, TCP, TLS with rustls/ring) with a retry policy.
//!
//! - [`Credentials`] (anonymous, basic, identity token, bearer) and [`Secret`]: `Debug` and
//!   `Display` never show a secret.
//! - [`DockerConfig`]: `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`) with
//!   `auths`, `credsStore` and `credHelpers` ([`CredentialHelper`] runs
//!   `docker-credential-<name> get|store|erase`); [`DockerConfig::store`] + [`DockerConfig::save`]
//!   is `docker login`, [`DockerConfig::erase`] + save is `docker logout`. Writes are atomic and
//!   keep unknown fields.
//! - [`RegistryAuth`]: the `X-Registry-Auth` header dockerd wants on `service create`/`update`
//!   (`--with-registry-auth`).
//! - [`Endpoint`] and [`Transport`]: `unix:///var/run/docker.sock`, `tcp://host:2375`,
//!   `https://…`; [`Endpoint::from_env`] reads `DOCKER_HOST`, `DOCKER_CONTEXT`,
//!   `DOCKER_TLS_VERIFY`, `DOCKER_TLS`, `DOCKER_CERT_PATH` and `DOCKER_CONFIG` like the docker CLI (only there,
//!   never implicitly inside other calls). [`registry_http_client`] adds per-registry CAs from
//!   `/etc/docker/certs.d/HOST/` ([`DEFAULT_CERTS_DIR`]) like dockerd.
//! - [`RetryPolicy`]: exponential backoff with jitter, `Retry-After`, idempotent requests only
//!   unless marked safe ([`Idempotent`]); never retries 4xx auth or validation errors.
//! - [`error_body`]: the one decoder of HTTP error replies (registry `{"errors":[…]}`, Engine
//!   `{"message":…}`, text), bounded to 64 KiB and cleaned of credentials; [`body`]: bounded
//!   body reads and idle timeouts (a server that sends headers and stops is abandoned).
//!
//! # Credentials, config.json and `X-Registry-Auth`
//!
//! ```
//! use sdk_core::{CredentialSource, Credentials, DockerConfig, RegistryAuth};
//!
//! # fn main() -> sdk_core::Result<()> {
//! let dir = tempfile::tempdir().expect("temp dir");
//! let path = dir.path().join("config.json");
//!
//! // docker login 127.0.0.1:5000 -u john: stored as base64 user:password in `auths`.
//! let mut config = DockerConfig::empty(&path);
//! config.store("127.0.0.1:5000", &Credentials::basic("john", "s3cret"))?;
//! config.save()?;
//!
//! let config = DockerConfig::load_from(&path)?;
//! let (creds, source) = config.credentials_for("127.0.0.1:5000")?;
//! assert_eq!(source, CredentialSource::File(path.clone()));
//! assert_eq!(creds.username(), Some("john"));
//! assert_eq!(creds.to_string(), "basic (user john)"); // Display and Debug hide the password
//! assert!(!format!("{creds:?}").contains("s3cret"));
//!
//! // What `docker service create --with-registry-auth` sends to dockerd.
//! let header = config.registry_auth("127.0.0.1:5000")?.encode();
//! let back = RegistryAuth::decode(&header)?;
//! assert_eq!(back.server_address(), "127.0.0.1:5000");
//! assert_eq!(back.credentials(), &creds);
//!
//! // Docker Hub's entry lives under the docker CLI's legacy key.
//! assert_eq!(DockerConfig::registry_key("docker.io"), "https://index.docker.io/v1/");
//! # Ok(())
//! # }
//! ```
//!
//! # Finding the daemon like the docker CLI
//!
//! ```
//! use sdk_core::Endpoint;
//!
//! # fn main() -> sdk_core::Result<()> {
//! // The process environment is read only by `Endpoint::from_env()`; tests pass a lookup.
//! let env = |k: &str| match k {
//!     "DOCKER_HOST" => Some("tcp://127.0.0.1:2376".to_owned()),
//!     "DOCKER_TLS_VERIFY" => Some("1".to_owned()),
//!     "DOCKER_CERT_PATH" => Some("/home/john/.docker/certs".to_owned()),
//!     _ => None,
//! };
//! let endpoint = Endpoint::from_env_with(env)?;
//! assert!(endpoint.is_tls()); // ca.pem, cert.pem, key.pem from DOCKER_CERT_PATH
//! assert_eq!(endpoint.base_url().as_str(), "https://127.0.0.1:2376/");
//!
//! let socket: Endpoint = "unix:///var/run/docker.sock".parse()?;
//! assert_eq!(socket.to_string(), sdk_core::DEFAULT_DOCKER_HOST);
//! assert!("/var/run/docker.sock".parse::<Endpoint>().is_err()); // needs unix://
//! # Ok(())
//! # }
//! ```
//!
//! # Talking to the Engine API
//!
//! ```no_run
//! use sdk_core::{DockerConfig, Endpoint, Idempotent, RegistryAuth, Transport};
//!
//! # async fn demo() -> sdk_core::Result<()> {
//! // The Engine API, found like the docker CLI finds it (DOCKER_HOST, contexts, TLS variables).
//! let transport = Transport::builder(Endpoint::from_env()?).build()?;
//! let ping = transport.url("/_ping")?;
//! let resp = transport
//!     .send(|c| c.get(ping.clone()), Idempotent::ByMethod)
//!     .await?;
//! println!("ping: {}", resp.status());
//!
//! // Registry credentials from ~/.docker/config.json (helpers included), as X-Registry-Auth.
//! let config = DockerConfig::load()?;
//! let (credentials, source) = config.credentials_for("127.0.0.1:5000")?;
//! println!("{credentials} from {source}"); // never prints a secret
//! let header = RegistryAuth::new(credentials, "127.0.0.1:5000").encode();
//! # let _ = header;
//! # Ok(())
//! # }
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod body;
mod config;
mod credentials;
mod endpoint;
mod error;
pub mod error_body;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzz;
pub mod helper;
pub mod redact;
mod registry_auth;
mod registry_http;
mod retry;
mod secret;
#[cfg(feature = "test-server")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-server")))]
pub mod test_server;
mod tls;
mod transport;

pub use config::{DOCKER_HUB_KEY, DockerConfig};
pub use credentials::{CredentialSource, Credentials};
pub use endpoint::{DEFAULT_DOCKER_HOST, Endpoint};
pub use error::{Error, Result};
pub use helper::CredentialHelper;
pub use registry_auth::RegistryAuth;
pub use registry_http::{
    ClientOptions, DEFAULT_CERTS_DIR, registry_http_client, registry_tls_config,
};
pub use retry::RetryPolicy;
pub use secret::Secret;
pub use tls::TlsConfig;
pub use transport::{DEFAULT_USER_AGENT, Idempotent, Transport, TransportBuilder};

/// The README's example, compiled (and run) as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
