//! Docker Engine API client for Swarm: swarm, nodes, services, tasks, convergence, updates.
//!
//! ```no_run
//! # async fn demo() -> Result<(), swarm_client::Error> {
//! use swarm_client::{Client, converge::WaitOptions};
//! let client = Client::connect("unix:///var/run/docker.sock").await?;
//! for node in client.node_list().await? {
//!     println!("{} {}", node.id, node.description.hostname);
//! }
//! let svc = client.service_inspect("web").await?;
//! client.wait_converged(&svc.id, WaitOptions::default()).await?;
//! # Ok(()) }
//! ```

pub mod client;
pub mod configs;
pub mod converge;
pub mod error;
pub mod events;
pub mod exec;
pub mod models;
pub mod networks;
pub mod nodes;
pub mod services;
pub mod stream;
pub mod swarm;
pub mod tasks;

pub mod mount;
pub mod port;
pub mod spec;

#[cfg(feature = "mock")]
pub mod mock;

pub use client::{ApiVersion, Client, ClientBuilder};
pub use error::{Error, Result};
pub use sdk_core::RegistryAuth;
