//! The state machine of the fake daemon: its objects and versions ([`model`]), the task
//! lifecycle with its delays and states ([`lifecycle`]), scheduling on nodes ([`scheduler`]),
//! service update and rollback orchestration ([`services`]), the swarm and its nodes
//! ([`cluster`]), configs and secrets ([`objects`]), execs and logs ([`containers`]). It knows
//! nothing of HTTP: the routes parse requests, call it, and word its refusals.

mod cluster;
mod containers;
mod lifecycle;
mod model;
mod objects;
mod scheduler;
mod services;

pub(crate) use cluster::Rotate;
pub(crate) use containers::canned_lines;
pub(crate) use lifecycle::TaskClock;
pub(crate) use model::{
    ExecResult, LogLine, Membership, NodeRecord, ObjectKind, ObjectRecord, Refusal, ServiceRecord,
    State, StoredObjectSpec, SwarmRecord, TaskRecord,
};
pub(crate) use services::SpecChange;
