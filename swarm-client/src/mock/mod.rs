//! In-process fakes for tests (feature `mock`).
//!
//! [`MockSwarm`] is a stateful fake Docker Engine API (a swarm manager) served over plain HTTP on
//! `tcp://127.0.0.1:PORT`: swarm init/join/leave, nodes, services with version checks, tasks that
//! move to `running` after a delay (or are rejected for missing images), logs, events, exec,
//! distribution, configs, secrets and networks, with request recording and fault knobs.

mod server;
mod swarm;

pub use swarm::{ExecRecord, MockNode, MockSwarm, MockSwarmBuilder, RecordedRequest};
