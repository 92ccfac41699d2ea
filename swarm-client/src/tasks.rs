//! Tasks: list with filters, inspect, find the task of `service.slot` and the node it runs on.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use crate::client::{Client, filters_json};
use crate::error::{Error, Result};
use crate::models::{Node, Task, TaskState};
use crate::path::segment;

/// Filters of [`Client::task_list`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
#[must_use]
pub struct TaskFilter {
    pairs: Vec<(&'static str, String)>,
}

impl TaskFilter {
    /// No filter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Tasks of a service (ID or name).
    pub fn service(mut self, s: impl Into<String>) -> Self {
        self.pairs.push(("service", s.into()));
        self
    }

    /// Tasks whose name starts with this (the daemon matches a prefix: `web.1` matches `web.10`).
    pub fn name(mut self, s: impl Into<String>) -> Self {
        self.pairs.push(("name", s.into()));
        self
    }

    /// Desired state (`running`, `shutdown`, `accepted`).
    pub fn desired_state(mut self, s: impl Into<String>) -> Self {
        self.pairs.push(("desired-state", s.into()));
        self
    }

    /// Tasks on a node (ID or name).
    pub fn node(mut self, s: impl Into<String>) -> Self {
        self.pairs.push(("node", s.into()));
        self
    }

    /// Label `key` or `key=value`.
    pub fn label(mut self, s: impl Into<String>) -> Self {
        self.pairs.push(("label", s.into()));
        self
    }

    /// Task ID.
    pub fn id(mut self, s: impl Into<String>) -> Self {
        self.pairs.push(("id", s.into()));
        self
    }

    /// Only tasks of the current service spec (the CLI's hidden `_up-to-date` filter).
    pub fn up_to_date(mut self) -> Self {
        self.pairs.push(("_up-to-date", "true".into()));
        self
    }

    pub(crate) fn to_query(&self) -> Vec<(&'static str, String)> {
        if self.pairs.is_empty() {
            return Vec::new();
        }
        let pairs: Vec<(&str, &str)> = self.pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        vec![("filters", filters_json(&pairs))]
    }
}

/// `SERVICE.SLOT` as the docker CLI names replicated tasks (`web.2`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServiceSlot {
    service: String,
    slot: u64,
}

impl ServiceSlot {
    /// A service name and slot (≥ 1).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty name or slot 0.
    pub fn new(service: impl Into<String>, slot: u64) -> Result<Self> {
        let service = service.into();
        if service.is_empty() || slot == 0 {
            return Err(Error::InvalidArgument {
                what: "service.slot",
                message: format!("{service:?}.{slot}: needs a service name and a slot ≥ 1"),
            });
        }
        Ok(Self { service, slot })
    }

    /// The service name.
    #[must_use]
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The slot.
    #[must_use]
    pub fn slot(&self) -> u64 {
        self.slot
    }
}

impl fmt::Display for ServiceSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.service, self.slot)
    }
}

impl FromStr for ServiceSlot {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let (svc, slot) = s.rsplit_once('.').ok_or_else(|| Error::InvalidArgument {
            what: "service.slot",
            message: format!("{s:?} is not SERVICE.SLOT (e.g. web.1)"),
        })?;
        let slot = slot.parse::<u64>().map_err(|_| Error::InvalidArgument {
            what: "service.slot",
            message: format!("{s:?}: slot {slot:?} is not a number"),
        })?;
        Self::new(svc, slot)
    }
}

/// A running task with where it runs: what a load balancer needs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TaskPlacement {
    /// Task ID.
    pub task_id: String,
    /// Slot (replicated services), `None` for global services.
    pub slot: Option<u64>,
    /// Node ID.
    pub node_id: String,
    /// Node hostname.
    pub hostname: String,
    /// The node's address as the swarm sees it (`Status.Addr`, e.g. `127.0.0.2`).
    pub node_addr: String,
    /// The container ID, when started.
    pub container_id: Option<String>,
    /// Observed state.
    pub state: TaskState,
}

impl TaskPlacement {
    /// A running task `task_id` on node `node_id` at `node_addr` (without a slot, hostname or
    /// container until set): for building placements in tests and in your own code.
    #[must_use]
    pub fn new(
        task_id: impl Into<String>,
        node_id: impl Into<String>,
        node_addr: impl Into<String>,
    ) -> Self {
        Self {
            task_id: task_id.into(),
            slot: None,
            node_id: node_id.into(),
            hostname: String::new(),
            node_addr: node_addr.into(),
            container_id: None,
            state: TaskState::Running,
        }
    }

    /// The same placement in slot `slot`.
    #[must_use]
    pub fn with_slot(mut self, slot: u64) -> Self {
        self.slot = Some(slot);
        self
    }
}

impl Client {
    /// `GET /tasks?filters=`.
    ///
    /// # Errors
    /// API errors.
    pub async fn task_list(&self, filter: &TaskFilter) -> Result<Vec<Task>> {
        self.get_json("/tasks", &filter.to_query()).await
    }

    /// `GET /tasks/{id}`.
    ///
    /// # Errors
    /// [`Error::NotFound`] and other API errors.
    pub async fn task_inspect(&self, id: &str) -> Result<Task> {
        self.get_json(&format!("/tasks/{}", segment("task", id)?), &[])
            .await
    }

    /// The task of `service.slot` whose desired state is running (the newest one if several),
    /// checking the slot exactly (the daemon's name filter is a prefix match).
    ///
    /// # Errors
    /// [`Error::NoTask`] when there is none; API errors.
    pub async fn task_for_slot(&self, target: &ServiceSlot) -> Result<Task> {
        let svc = self.service_inspect(target.service()).await?;
        let tasks = self
            .task_list(&TaskFilter::new().service(&svc.id).desired_state("running"))
            .await?;
        tasks
            .into_iter()
            .filter(|t| t.slot == Some(target.slot()))
            .max_by(|a, b| {
                (a.state() == TaskState::Running, &a.created_at)
                    .cmp(&(b.state() == TaskState::Running, &b.created_at))
            })
            .ok_or_else(|| Error::NoTask(target.to_string()))
    }

    /// The running tasks of a service with their node ID, hostname and address, sorted by slot
    /// (then node): what an nginx upstream over host-networked tasks is built from.
    ///
    /// # Errors
    /// API errors.
    pub async fn service_placements(&self, service: &str) -> Result<Vec<TaskPlacement>> {
        let svc = self.service_inspect(service).await?;
        let tasks = self
            .task_list(&TaskFilter::new().service(&svc.id).desired_state("running"))
            .await?;
        let nodes = self.node_list().await?;
        let mut out: Vec<TaskPlacement> = tasks
            .into_iter()
            .filter(|t| t.state() == TaskState::Running)
            .map(|t| placement(&t, &nodes))
            .collect();
        out.sort_by(|a, b| (a.slot, &a.node_id).cmp(&(b.slot, &b.node_id)));
        Ok(out)
    }

    /// `GET /info` → `Swarm.NodeID`: the node ID of the daemon this client talks to.
    ///
    /// # Errors
    /// API errors.
    pub async fn local_node_id(&self) -> Result<String> {
        let v: Value = self.get_json("/info", &[]).await?;
        Ok(v.pointer("/Swarm/NodeID")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned())
    }
}

pub(crate) fn placement(t: &Task, nodes: &[Node]) -> TaskPlacement {
    let node = nodes.iter().find(|n| n.id == t.node_id);
    TaskPlacement {
        task_id: t.id.clone(),
        slot: t.slot,
        node_id: t.node_id.clone(),
        hostname: node
            .map(|n| n.description.hostname.clone())
            .unwrap_or_default(),
        node_addr: node.map(|n| n.status.addr.clone()).unwrap_or_default(),
        container_id: t.container_id().map(str::to_owned),
        state: t.state(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_slot_grammar() {
        let s: ServiceSlot = "web.10".parse().unwrap();
        assert_eq!((s.service(), s.slot()), ("web", 10));
        assert_eq!(s.to_string(), "web.10");
        let s: ServiceSlot = "my.svc.2".parse().unwrap();
        assert_eq!(s.service(), "my.svc");
        assert!("web".parse::<ServiceSlot>().is_err());
        assert!("web.x".parse::<ServiceSlot>().is_err());
        assert!("web.0".parse::<ServiceSlot>().is_err());
        assert!(".1".parse::<ServiceSlot>().is_err());
    }

    #[test]
    fn filter_query() {
        let q = TaskFilter::new()
            .service("s")
            .desired_state("running")
            .label("a=b")
            .to_query();
        assert_eq!(
            q[0].1,
            r#"{"desired-state":["running"],"label":["a=b"],"service":["s"]}"#
        );
    }
}
