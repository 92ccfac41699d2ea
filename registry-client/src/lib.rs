//! OCI Distribution registry client: references, auth challenges, push, pull, tag, copy.
//!
//! - [`reference::Reference`]: the docker CLI's reference grammar and normalisation
//!   (`nginx_lb` → `docker.io/library/nginx_lb:latest`); [`digest::Digest`].
//! - [`Client`] (built with [`Client::builder`]): the auth challenge dance (Basic, Bearer with a
//!   scoped token cache), credentials given directly or looked up in the docker `config.json`
//!   ([`ClientBuilder::docker_config`], credential helpers included), retries with `Retry-After`;
//!   [`Client::push`] from an OCI image layout or a `docker save` archive, [`Client::pull`] into a
//!   layout, [`Client::tag`] (no layer transfer), [`Client::copy`], [`Client::list_tags`],
//!   manifests, blobs, catalog, delete. Loopback registries (`localhost`, `127.0.0.0/8`) are
//!   spoken to over plain HTTP, as dockerd does; others need [`ClientBuilder::insecure`].
//! - Against hostile or stalled servers: credentials go only to the registry's own origin and
//!   its (checked) token realm, never to an upload `Location` or redirect elsewhere; every body
//!   read is bounded (manifests, token replies, tag and catalog listings, error bodies); every
//!   call has an idle timeout ([`ClientBuilder::idle_timeout`], 60 s by default) and fails with
//!   [`Error::Timeout`] instead of hanging. The repository's `docs/security.md` lists each
//!   guarantee with its test.
//! - [`image`]: build an OCI image layout ([`image::ImageBuilder`]), read one
//!   or a `docker save` archive.
//! - Feature `mock`: `mock::MockRegistry`, a stateful in-memory registry on
//!   `127.0.0.1:PORT` (Basic or Bearer auth, fault injection, request recording) and
//!   `mock::write_credential_helper`, for testing your own automation without servers.
//!
//! # References
//!
//! ```
//! use registry_client::reference::Reference;
//!
//! # fn main() -> Result<(), registry_client::reference::ReferenceError> {
//! // `docker image tag nginx_lb:2.0 nginx_lb:latest` names these two images:
//! let src: Reference = "nginx_lb:2.0".parse()?;
//! assert_eq!(src.canonical(), "docker.io/library/nginx_lb:2.0");
//! let latest = src.with_tag("latest")?;
//! assert_eq!(latest.familiar(), "nginx_lb:latest");
//!
//! // `docker push nginx_lb:latest` would go to the official `library/` namespace, which is why
//! // the image has to be tagged with the account first:
//! let pushed: Reference = "dev1johndoe/nginx_lb:latest".parse()?;
//! assert_eq!(pushed.path(), "dev1johndoe/nginx_lb");
//! assert_eq!(pushed.api_host(), "registry-1.docker.io");
//!
//! // A private registry keeps its host and port.
//! let local: Reference = "127.0.0.1:5000/nginx_lb".parse()?;
//! assert_eq!((local.domain(), local.tag()), ("127.0.0.1:5000", None));
//! assert_eq!(local.canonical(), "127.0.0.1:5000/nginx_lb:latest");
//! assert!("Nginx_LB".parse::<Reference>().is_err()); // repository names are lower case
//! # Ok(())
//! # }
//! ```
//!
//! # Quick start: login, push, tag, pull
//!
//! `docker login`, `docker push`, `docker image tag` and `docker pull` against the in-process
//! fake (feature `mock`); against a real registry only the registry host changes.
//!
//! ```
//! # #[cfg(feature = "mock")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use registry_client::image::{ImageBuilder, ImageConfig, Layer};
//! use registry_client::mock::MockRegistry;
//! use registry_client::reference::Reference;
//! use registry_client::{Client, Credentials, DockerConfig};
//!
//! let registry = MockRegistry::builder().basic_auth("john", "s3cret").start().await;
//! let host = registry.host(); // 127.0.0.1:PORT
//!
//! // docker login: check the credentials, then store them in config.json.
//! let creds = Credentials::basic("john", "s3cret");
//! let client = Client::builder().credentials(&host, creds.clone()).build()?;
//! client.ping(&host).await?;
//! let dir = tempfile::tempdir()?;
//! let mut config = DockerConfig::empty(dir.path().join("config.json"));
//! config.store(&host, &creds)?;
//! config.save()?;
//!
//! // An image in an OCI image layout (a `docker save` archive works too).
//! let layout = dir.path().join("nginx_lb-oci");
//! ImageBuilder::new()
//!     .config(ImageConfig::new().cmd(["nginx", "-g", "daemon off;"]))
//!     .layer(Layer::new().bytes("etc/nginx/conf.d/default.conf", "# lb\n", 0o644))
//!     .ref_name("2.0")
//!     .build(&layout)?;
//!
//! // docker push HOST/dev1johndoe/nginx_lb:2.0, with the credentials from config.json.
//! let client = Client::builder().docker_config(DockerConfig::load_from(config.path())?).build()?;
//! let image: Reference = format!("{host}/dev1johndoe/nginx_lb:2.0").parse()?;
//! let pushed = client.push(&layout, &image).await?;
//!
//! // docker image tag …:2.0 …:latest (in the registry: the manifest gets a second tag).
//! let digest = client.tag(&image, "latest").await?;
//! assert_eq!(digest, pushed.digest);
//! assert_eq!(client.list_tags(&image, None).await?, ["2.0", "latest"]);
//!
//! // docker pull …:latest, into another layout directory.
//! let pulled = client
//!     .pull(&image.with_tag("latest")?, &dir.path().join("pulled"), None)
//!     .await?;
//! assert_eq!(pulled.digest, pushed.digest);
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "mock"))]
//! # fn main() {}
//! ```
//!
//! Against a real registry with the user's own `~/.docker/config.json`:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use registry_client::{Client, DockerConfig};
//! let client = Client::builder().docker_config(DockerConfig::load()?).build()?;
//! let src = "127.0.0.1:5000/dev1johndoe/nginx:1.0".parse()?;
//! let dst = "127.0.0.1:5000/dev1johndoe/nginx:latest".parse()?;
//! let report = client.copy(&src, &dst).await?;
//! println!("{} blobs uploaded, {} mounted", report.uploaded, report.mounted);
//! # Ok(())
//! # }
//! ```
//!
//! The whole day-5 workflow, each docker command beside the SDK call and the `dockwright` CLI
//! call, is in the repository's `docs/guide/`.

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod digest;
pub mod image;
pub mod reference;

pub mod auth;
pub mod blobs;
pub mod client;
pub mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzz;
mod gzip;
pub mod manifests;
pub mod progress;
pub mod pull;
pub mod push;
mod request;
pub mod save_pull;
pub mod save_push;
mod spool;
pub mod tags;
mod temp_file;
mod token_cache;

pub use auth::{Challenge, Scope, parse_www_authenticate};
pub use client::{Client, ClientBuilder};
pub use error::{ApiError, Error, ErrorCode, OciError, Result};
pub use progress::{ProgressEvent, ProgressKind, ProgressSink};

/// Re-exported from sdk-core: credentials, docker config and retry policy used by [`ClientBuilder`].
pub use sdk_core::{Credentials, DockerConfig, RetryPolicy, Secret};

#[cfg(feature = "mock")]
#[cfg_attr(docsrs, doc(cfg(feature = "mock")))]
pub mod mock;

/// The README's example, compiled (and run) as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
