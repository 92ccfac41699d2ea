//! Docker Engine API client for Swarm: swarm, nodes, services, tasks, convergence, updates.

pub mod mount;
pub mod port;
pub mod spec;
