//! In-process fakes for tests (feature `mock`): test your own swarm automation with no daemon
//! installed.
//!
//! [`MockSwarm`] is a stateful fake Docker Engine API (a swarm manager, API 1.41) served over
//! plain HTTP on `tcp://127.0.0.1:PORT` (and optionally a unix socket). The contract suite
//! `tests/mock_contract.rs` runs the same tests against it and a real dockerd, so it answers
//! like the real daemon where it matters:
//!
//! - swarm init/join/leave/inspect/update with join tokens; nodes list/inspect/update (drain
//!   moves tasks)/remove; the day-5 cluster in one call ([`MockSwarmBuilder::preset_day5`]);
//! - services create/inspect/list/update (version index, `update out of sequence`,
//!   `PreviousSpec`, `UpdateStatus` only when tasks are replaced)/rollback/remove, with filters;
//! - tasks that move `new` → `running` after [`MockSwarmBuilder::task_delay`], or are rejected
//!   (`No such image`, [`MockSwarmBuilder::missing_image`], private registries without
//!   `X-Registry-Auth`; any message with [`MockSwarmBuilder::task_error`]) and replaced after the restart delay like swarmkit
//!   ([`MockSwarmBuilder::restart_delay`], or the spec's `RestartPolicy`);
//! - service and task logs with `stdout`/`stderr`/`tail`/`since`/`timestamps`/`follow`
//!   ([`MockSwarm::set_service_logs`], [`MockSwarm::append_service_logs`]); `/events` with
//!   `since`/`until` and dockerd's filters; exec with canned results; configs, secrets (with
//!   swarmkit's data limits and messages);
//! - images: list (filters), inspect, tag, remove (dockerd's conflicts), prune, save and load
//!   (`docker save` archives; a cut one fails inside the stream), pull and push through
//!   in-memory registries ([`MockSwarmBuilder::private_registry`] ones want credentials), and
//!   the classic builder: it reads the context tar, refuses a missing Dockerfile as dockerd
//!   does, and yields an image holding the context files its `COPY`/`ADD` steps name
//!   ([`MockSwarm::image_files`]); `RUN` runs nothing. Pull, push, load and build answer with
//!   dockerd's JSON progress stream, their failures inside it (`errorDetail`); image events
//!   (`tag`, `untag`, `delete`, `push`, `pull`, `save`, `load`) as dockerd records them;
//! - recording ([`MockSwarm::requests`], secrets redacted; [`MockSwarm::registry_auths`];
//!   the stored, typed [`MockSwarm::service_spec`]), faults ([`MockSwarm::fail_nth`],
//!   [`MockSwarm::inject_fault`] for `Retry-After` or a dropped connection,
//!   [`MockSwarm::inject_out_of_sequence`]) and a paused task clock
//!   ([`MockSwarm::pause_tasks`]: tasks stay where they are, so an update in progress can be
//!   looked at however slow the machine).
//!
//! The fake stores what dockerd stores, typed: service specs as
//! [`ServiceSpec`](crate::spec::ServiceSpec)s, tasks with their
//! [`TaskSpec`](crate::spec::TaskSpec), the swarm's [`SwarmSpec`](crate::models::SwarmSpec);
//! fields it does not interpret stay in the specs' `extra` maps and come back unchanged.
//!
//! The server plumbing lives in `sdk_core::test_server` (feature `test-server`, enabled by
//! `mock`), shared with `registry_client::mock::MockRegistry`.
//!
//! # Quick start: a test of your own deployment code
//!
//! ```
//! use std::time::Duration;
//!
//! use swarm_client::Client;
//! use swarm_client::mock::MockSwarm;
//! use swarm_client::services::CreateOptions;
//! use swarm_client::spec::ServiceSpec;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // swarm-docker-m (127.0.0.1) with workers swarm-docker-w1/-w2 (127.0.0.2/3), initialised,
//! // tasks running after 10 ms instead of dockerd's seconds.
//! let swarm = MockSwarm::builder()
//!     .preset_day5()
//!     .initialized(true)
//!     .task_delay(Duration::from_millis(10))
//!     .start()
//!     .await;
//! let client = Client::connect(&swarm.endpoint()).await?; // or DOCKER_HOST=tcp://127.0.0.1:PORT
//!
//! // The code under test deploys a service.
//! let spec = ServiceSpec::builder("web", "127.0.0.1:5000/web:1.0")
//!     .replicas(3)
//!     .build()?;
//! client.service_create(&spec, &CreateOptions::new()).await?;
//!
//! // Assert on the fake's state: the stored spec, the tasks, what was sent.
//! let services = swarm.services();
//! assert_eq!(services[0]["Spec"]["Mode"]["Replicated"]["Replicas"], 3);
//! let stored = swarm.service_spec("web").expect("created"); // typed, defaults filled in
//! assert_eq!(stored.mode.replicas(), Some(3));
//! assert_eq!(swarm.tasks().len(), 3);
//! assert!(swarm.requests().iter().any(|r| r.path.ends_with("/services/create")));
//!
//! // Canned logs, and a fault for the next request.
//! swarm.set_service_logs("web", &[(1, "GET / 200")]);
//! swarm.fail_nth(1, 400);
//! assert!(client.node_list().await.is_err());
//! assert_eq!(client.node_list().await?.len(), 3);
//! # Ok(())
//! # }
//! ```

//! # A test of your own build automation
//!
//! ```
//! use swarm_client::Client;
//! use swarm_client::build::BuildOptions;
//! use swarm_client::mock::MockSwarm;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let daemon = MockSwarm::start().await;
//! let client = Client::connect(&daemon.endpoint()).await?;
//! let dir = tempfile::tempdir()?;
//! std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\nCOPY . /site/\n")?;
//! std::fs::write(dir.path().join(".dockerignore"), "*.log\n")?;
//! std::fs::write(dir.path().join("index.html"), "hello")?;
//! std::fs::write(dir.path().join("debug.log"), "not shipped")?;
//!
//! // The code under test builds and tags the image.
//! let built = client
//!     .build(dir.path(), &BuildOptions::new().tag("web:1"))
//!     .await?
//!     .finish()
//!     .await?;
//!
//! let files = daemon.image_files("web:1").expect("built");
//! assert_eq!(files["site/index.html"], b"hello");
//! assert!(!files.contains_key("site/debug.log"));
//! assert_eq!(client.image_inspect("web:1").await?.id, built.image_id.unwrap());
//! # Ok(())
//! # }
//! ```

mod config;
mod filters;
mod handle;
mod render;
mod router;
mod routes;
mod shared;
mod stamps;
mod state;
mod wire;

pub use config::MockNode;
pub use handle::{ExecRecord, MockSwarm, MockSwarmBuilder};
pub use sdk_core::test_server::{Fault, RecordedRequest};
