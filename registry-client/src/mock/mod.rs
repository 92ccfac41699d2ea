//! In-process fakes for tests (feature `mock`): test your own registry automation with no
//! registry installed.
//!
//! - [`MockRegistry`]: a stateful in-memory OCI Distribution registry speaking the real HTTP
//!   protocol on `127.0.0.1:PORT`. By default it behaves like Debian's registry 2.8 (checked by
//!   the contract suite `tests/mock_contract.rs`, which runs the same tests against a real
//!   registry): monolithic and chunked uploads with upload state, cross-repository mounts,
//!   manifests by tag and digest, tags, catalog, delete, OCI error bodies. Options: Basic auth
//!   ([`MockRegistryBuilder::basic_auth`]), a Bearer token server that checks scopes and speaks
//!   both the GET flow and the OAuth2 POST flow with refresh tokens
//!   ([`MockRegistryBuilder::bearer_token_server`]), tag pagination like newer registries.
//! - Fault knobs: fail the N-th request with a status (and `Retry-After`), drop a connection
//!   mid-body, corrupt a blob's bytes ([`MockRegistry::fail_nth`],
//!   [`MockRegistry::drop_connection_nth`], [`MockRegistry::corrupt_blob`]).
//! - Recording: [`MockRegistry::requests`] returns every request ([`RecordedRequest`], with
//!   `Authorization` and secret form fields redacted).
//! - [`write_credential_helper`]: a `docker-credential-<name>` stand-in script.
//!
//! The server plumbing lives in `sdk_core::test_server` (feature `test-server`, enabled by
//! `mock`), shared with `swarm_client::mock::MockSwarm`.
//!
//! # Quick start: a test of your own push code
//!
//! ```
//! use bytes::Bytes;
//! use registry_client::digest::Digest;
//! use registry_client::mock::MockRegistry;
//! use registry_client::{Client, Credentials, RetryPolicy};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // A registry that wants `docker login 127.0.0.1:PORT -u ci-bot`.
//! let registry = MockRegistry::builder()
//!     .basic_auth("ci-bot", "ci-password")
//!     .start()
//!     .await;
//! let client = Client::builder()
//!     .credentials(&registry.host(), Credentials::basic("ci-bot", "ci-password"))
//!     .retry(RetryPolicy::none())
//!     .build()?;
//!
//! // The code under test pushes a layer to 127.0.0.1:PORT/team/web.
//! let reference = format!("{}/team/web:1.0", registry.host()).parse()?;
//! let layer = b"layer bytes";
//! client
//!     .push_blob_bytes(&reference, &Digest::sha256_of(layer), Bytes::from_static(layer))
//!     .await?;
//!
//! // Assert on the registry's state and on what was sent (secrets redacted).
//! let digest = Digest::sha256_of(layer).to_string();
//! assert_eq!(registry.blob("team/web", &digest).as_deref(), Some(&layer[..]));
//! let put = registry
//!     .requests()
//!     .into_iter()
//!     .find(|r| r.method == "PUT")
//!     .expect("upload finished with a PUT");
//! assert_eq!(put.header("authorization"), Some("Basic <redacted>"));
//!
//! // Fault injection: the next request fails with 503 and `Retry-After: 1`.
//! registry.fail_nth_with_retry_after(1, 503, 1);
//! assert!(client.blob_exists(&reference, &Digest::sha256_of(layer)).await.is_err());
//! assert!(client.blob_exists(&reference, &Digest::sha256_of(layer)).await?.is_some());
//! # Ok(())
//! # }
//! ```

mod cred_helper;
mod registry;

pub use cred_helper::write_credential_helper;
pub use registry::{MockRegistry, MockRegistryBuilder, StoredManifest};
pub use sdk_core::test_server::{Fault, RecordedRequest};
