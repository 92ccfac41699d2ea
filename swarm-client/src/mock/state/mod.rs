//! The state machine of the fake daemon: its objects and versions ([`model`]), the task
//! lifecycle with its delays and states ([`lifecycle`]), scheduling on nodes ([`scheduler`]),
//! service update and rollback orchestration ([`services`]), images and registries ([`images`]),
//! `docker save` archives ([`archive`]), the classic builder ([`build`], reading
//! [`dockerfile`]s and making [`layers`] of the context), the swarm and its nodes
//! ([`cluster`]), configs and secrets ([`objects`]), execs and logs ([`containers`]). It knows
//! nothing of HTTP: the routes parse requests, call it, and word its refusals.

mod archive;
mod build;
mod cluster;
mod containers;
mod dockerfile;
mod image_types;
mod images;
mod layers;
mod lifecycle;
mod model;
mod objects;
mod scheduler;
mod services;

pub(crate) use archive::{read_archive, write_archive};
pub(crate) use build::{BuildRequest, BuildResult};
pub(crate) use cluster::Rotate;
pub(crate) use containers::canned_lines;
pub(crate) use images::{ImageRecord, ImageRefusal, LocalRef, repo_of};
pub(crate) use lifecycle::TaskClock;
pub(crate) use model::{
    ExecResult, LogLine, Membership, NodeRecord, ObjectKind, ObjectRecord, Refusal, ServiceRecord,
    State, StoredObjectSpec, SwarmRecord, TaskRecord,
};
pub(crate) use services::SpecChange;
