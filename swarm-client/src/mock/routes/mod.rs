//! The route groups of the fake Engine API, one module each. Each parses its requests, asks the
//! state machine, and answers with dockerd's JSON or dockerd's words for a refusal.

pub(crate) mod events;
pub(crate) mod exec;
pub(crate) mod images;
pub(crate) mod logs;
pub(crate) mod networks;
pub(crate) mod nodes;
pub(crate) mod objects;
pub(crate) mod services;
pub(crate) mod swarm;
pub(crate) mod system;
pub(crate) mod tasks;
