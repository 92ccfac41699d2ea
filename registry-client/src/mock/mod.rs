//! In-process fakes for tests (feature `mock`).
//!
//! - [`MockRegistry`]: a stateful in-memory OCI Distribution registry speaking the real HTTP
//!   protocol on `127.0.0.1:PORT` (Basic auth or a Bearer token server with scope checks, uploads,
//!   mounts, manifests, tags, catalog, OCI error bodies, fault injection, request recording).
//! - [`write_credential_helper`]: a `docker-credential-<name>` stand-in script.

mod cred_helper;
mod registry;
mod server;

pub use cred_helper::write_credential_helper;
pub use registry::{MockRegistry, MockRegistryBuilder, RecordedRequest, StoredManifest};
