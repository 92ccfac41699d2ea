//! Compose files deployed to a Docker Swarm exactly as `docker stack deploy` (docker CLI 28)
//! deploys them, then better: a plan before changing anything, idempotent re-deploys, a wait
//! until the whole stack converged, and safe rotation of configs and secrets.
//!
//! - [`Loader`] reads one or more compose files as docker reads them: YAML with anchors,
//!   aliases and `<<` merge keys, values typed as docker's go-yaml v3 types them (`mode: 0440`
//!   is octal, `yes` is a string), variable interpolation in every form docker accepts, `x-`
//!   extension fields, docker's schema checks with docker's messages, its warnings for ignored
//!   keys, and several files merged with docker's rules. No I/O beyond reading the files the
//!   compose files name, no daemon.
//! - [`convert`] turns the loaded model into swarm objects with docker's names
//!   (`STACK_service`) and labels (`com.docker.stack.namespace`, `com.docker.stack.image`):
//!   [`swarm_client::spec::ServiceSpec`]s, networks, configs and secrets.
//!
//! ```
//! use swarm_stack::{ComposeFile, Loader, convert};
//!
//! let yaml = "\
//! services:
//!   web:
//!     image: 127.0.0.1:5000/httpd:1
//!     networks: [host]
//!     deploy: {replicas: 3}
//! networks:
//!   host: {external: true, name: host}
//! ";
//! let loaded = Loader::new("/srv/day5").file(ComposeFile::new("stack.yml", yaml)).load()?;
//! let stack = convert::convert("day5", &loaded.compose, &|_: &str| Err("no files".to_owned()))?;
//! let web = &stack.services["web"];
//! assert_eq!(web.name, "day5_web");
//! assert_eq!(web.labels["com.docker.stack.namespace"], "day5");
//! assert!(stack.networks.is_empty(), "host is external: nothing to create");
//! # Ok::<(), swarm_stack::LoadError>(())
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod convert;
#[cfg(feature = "client")]
#[cfg_attr(docsrs, doc(cfg(feature = "client")))]
pub mod deploy;
pub mod error;
pub mod interpolate;
pub mod load;
pub mod merge;
pub mod model;
pub mod ports;
pub mod volumes;
pub mod yaml;

mod decode;
mod paths;

pub use error::{Error, LoadError, Result};
pub use load::{ComposeFile, Loaded, Loader, validate_stack_name};

/// The README's example, compiled (and run) as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
