//! Where the dockwright crates meet: workflows that join two of them.
//!
//! - [`lb`]: the nginx load-balancer watcher — a swarm service's running tasks
//!   (`swarm-client`) become an `upstream { least_conn; server …; }` (`lb-config`), applied to
//!   nginx on this machine or inside a swarm task and reloaded without downtime, and kept equal
//!   to the running tasks as they change, through event-stream losses and daemon restarts.
//!
//! - [`image`]: images between the Docker daemon and a registry — push straight from the
//!   daemon's export (each layer uploaded while it streams, optional parallel gzip, present
//!   blobs skipped) and pull straight into `/images/load` (verified, parallel).
//!
//! The pure crates (`lb-config`, `nfs-mount`) stay free of async and HTTP; the clients stay
//! free of each other. Code that needs two of them lives here.
//!
//! ```no_run
//! # async fn demo() -> dockwright::Result<()> {
//! use dockwright::lb::{Backends, Balancer, LbWatcher, LocalNginx, PortRule};
//! use lb_config::nginx::RecordingRunner;
//!
//! let client = swarm_client::Client::from_env().await?;
//! // Render once, without nginx: the upstream over the web service's tasks on port 8080.
//! let watcher = LbWatcher::builder(
//!     client,
//!     "web",
//!     LocalNginx::new("/tmp/web-lb.conf", RecordingRunner::new()),
//! )
//! .backends(Backends::new(PortRule::Fixed(8080)))
//! .balancer(Balancer::new("loadbalance"))
//! .build();
//! println!("{:?}", watcher.reconcile(dockwright::lb::Cause::Start).await?);
//! # Ok(())
//! # }
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;

pub mod image;
pub mod lb;

pub use error::{Error, Result};

/// The README's example, compiled (and run) as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
