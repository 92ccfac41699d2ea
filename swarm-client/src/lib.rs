//! Docker Engine API client for Swarm: swarm, nodes, services, tasks, convergence, updates.
//!
//! - [`Client`] ([`Client::from_env`] like the docker CLI, or [`Client::connect`] with
//!   `unix:///…`, `tcp://…`, `https://…`): [`swarm`] init/join/leave/join tokens, [`nodes`],
//!   [`services`] create/inspect/list/update/rollback/scale/remove/logs, [`tasks`] with filters
//!   and [`Client::service_placements`], [`converge`] (`verify: Service converged`), [`exec`] in a
//!   task's container (`nginx -s reload`), [`configs`], [`networks`], [`events`].
//! - [`spec::ServiceSpec`] and its builder, with the docker CLI's `--mount`
//!   ([`mount::MountSpec`]) and `--publish` ([`port::PortSpec`]) grammars: a spec built from the
//!   same flags serialises to the JSON `docker service create` sends.
//! - Images in the daemon: [`images`] list/inspect/tag/remove/prune, pull and push with
//!   `X-Registry-Auth`, save (`/images/get`, streamed) and load (streamed); [`build`] from a
//!   directory with the context the docker CLI sends ([`build_context`], [`dockerignore`]);
//!   typed [`progress`] streams whose in-stream failures are errors.
//! - [`flags`]: docker 28's `service create`/`service update` argument lists, parsed with
//!   docker's own rules, to the spec the docker CLI sends
//!   ([`Client::service_create_from_args`], [`Client::service_update_from_args`]).
//! - [`args`]: the `--filter key=value` arguments of docker's `ls`/`ps`/`prune` commands and its
//!   `--label`/`--opt` `key=value` lists, read with docker's rules for the list calls and specs.
//! - Feature `mock`: `mock::MockSwarm`, a stateful fake manager on `tcp://127.0.0.1:PORT` for
//!   testing your own automation (tasks move to `running` after a delay, version checks, exec and
//!   logs recording, fault knobs).
//!
//! # Quick start: the day-5 swarm steps
//!
//! `docker swarm init`, `docker node ls`, `docker service create --mount … --publish
//! mode=host,…`, `docker service ps` and `docker exec … nginx -s reload`. This runs against the
//! in-process fake (feature `mock`); against a real daemon only the first lines change
//! (`Client::from_env().await?`, no `MockSwarm`).
//!
//! ```
//! # #[cfg(feature = "mock")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use swarm_client::Client;
//! use swarm_client::converge::WaitOptions;
//! use swarm_client::exec::{ExecOptions, NodeEndpoints};
//! use swarm_client::mock::{MockNode, MockSwarm};
//! use swarm_client::services::CreateOptions;
//! use swarm_client::spec::ServiceSpec;
//! use swarm_client::swarm::{InitRequest, JoinRequest};
//! use swarm_client::tasks::ServiceSlot;
//!
//! // A fresh fake daemon whose two workers join when the swarm is initialised.
//! let mock = MockSwarm::builder()
//!     .node(MockNode::new("swarm-docker-w1", "127.0.0.2", "worker"))
//!     .node(MockNode::new("swarm-docker-w2", "127.0.0.3", "worker"))
//!     .start()
//!     .await;
//! let manager = Client::connect(&mock.endpoint()).await?;
//!
//! // docker swarm init --advertise-addr 127.0.0.1
//! let node_id = manager
//!     .swarm_init(&InitRequest::new("127.0.0.1:2377").advertise_addr("127.0.0.1"))
//!     .await?;
//! // docker swarm join-token -q worker; each worker then runs `docker swarm join --token …`:
//! let token = manager.swarm_inspect().await?.join_tokens.worker;
//! let join = JoinRequest::new("127.0.0.1:2377", token).advertise_addr("127.0.0.2");
//! // worker.swarm_join(&join).await?  (a client of the worker's own daemon)
//! # let _ = join;
//!
//! // docker node ls
//! let nodes = manager.node_list().await?;
//! for n in &nodes {
//!     println!("{} {} {:?}", n.id, n.description.hostname, n.spec.role);
//! }
//! assert_eq!(nodes.len(), 3);
//!
//! // docker service create --mount '…nfs…' --replicas=3 --name swarm_nginx
//! //   --publish mode=host,target=80,published=8080 dev1johndoe/nginx
//! let spec = ServiceSpec::builder("swarm_nginx", "dev1johndoe/nginx:latest")
//!     .replicas(3)
//!     .mount(
//!         "type=volume,volume-opt=o=addr=192.168.1.220,volume-opt=device=:/www,\
//!          volume-opt=type=nfs,source=nfs_nginx,target=/usr/share/nginx/html/,volume-nocopy=true"
//!             .parse()?,
//!     )
//!     .publish("mode=host,target=80,published=8080".parse()?)
//!     .build()?;
//! manager.service_create(&spec, &CreateOptions::new()).await?;
//! // … and waits like the docker CLI until `verify: Service converged`.
//! let done = manager
//!     .wait_converged("swarm_nginx", WaitOptions::new().window(Duration::from_millis(200)))
//!     .await?;
//! assert_eq!((done.running, done.desired), (3, 3));
//!
//! // docker service ps swarm_nginx: where the tasks run (what the nginx upstream lists).
//! for p in manager.service_placements("swarm_nginx").await? {
//!     println!("{} slot {:?} on {} ({})", p.task_id, p.slot, p.hostname, p.node_addr);
//! }
//!
//! // docker exec swarm_nginx.1.<task> nginx -s reload, on whichever node runs slot 1.
//! let mut daemons = NodeEndpoints::new();
//! for node in &nodes {
//!     // The fake serves every node; on a real cluster, each node's own daemon endpoint.
//!     daemons = daemons.with_endpoint(&node.id, &mock.endpoint())?;
//! }
//! let out = manager
//!     .exec_in_task(
//!         &ServiceSlot::new("swarm_nginx", 1)?,
//!         &ExecOptions::new(["nginx", "-s", "reload"]),
//!         &daemons,
//!     )
//!     .await?;
//! assert_eq!(out.exit_code, 0);
//! assert_eq!(mock.execs().last().map(|e| e.cmd.join(" ")).as_deref(), Some("nginx -s reload"));
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "mock"))]
//! # fn main() {}
//! ```
//!
//! The step by step guide with the docker commands, these calls and the `dockwright` CLI
//! beside each other is `docs/guide/` in the repository.

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod args;
pub mod build;
pub mod build_context;
pub mod client;
pub mod configs;
pub mod converge;
pub mod dockerignore;
pub mod error;
pub mod events;
pub mod exec;
pub mod flags;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzz;
pub mod images;
pub mod models;
pub mod networks;
pub mod nodes;
pub mod progress;
pub mod secrets;
pub mod services;
pub mod stream;
pub mod swarm;
pub mod tasks;
pub mod watch;

pub mod mount;
pub mod port;
pub mod spec;

mod lines;
mod objects;
mod path;
mod serde_util;
mod string_enum;

#[cfg(feature = "mock")]
#[cfg_attr(docsrs, doc(cfg(feature = "mock")))]
pub mod mock;
#[cfg(feature = "nfs")]
#[cfg_attr(docsrs, doc(cfg(feature = "nfs")))]
pub mod nfs;

pub use client::{ApiVersion, Client, ClientBuilder};
pub use error::{Error, Result, StreamErrorKind};
pub use sdk_core::RegistryAuth;

/// The README's example, compiled (and run) as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
