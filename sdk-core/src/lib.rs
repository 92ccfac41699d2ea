//! Shared foundations of the dockwright crates: errors, registry credentials, the docker CLI's
//! `config.json` and credential helpers, the `X-Registry-Auth` header, and an HTTP transport
//! (unix socket, TCP, TLS with rustls/ring) with a retry policy.
//!
//! # Quick start
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

mod config;
mod credentials;
mod endpoint;
mod error;
pub mod helper;
pub mod redact;
mod registry_auth;
mod registry_http;
mod retry;
mod secret;
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
