//! Nodes: list, inspect, update (availability, labels, role), remove, and a `docker node ls` view.

use crate::client::{Client, filters_json};
use crate::error::Result;
use crate::models::{Availability, Node, NodeRole, NodeSpec};
use crate::path::segment;

/// A change to a node's spec, applied read-modify-write by [`Client::node_update`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
#[must_use]
pub struct NodeUpdate {
    availability: Option<Availability>,
    role: Option<NodeRole>,
    add_labels: Vec<(String, String)>,
    rm_labels: Vec<String>,
}

impl NodeUpdate {
    /// No change.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets availability (`active`, `pause`, `drain`).
    pub fn availability(mut self, a: Availability) -> Self {
        self.availability = Some(a);
        self
    }

    /// Sets the role.
    pub fn role(mut self, r: NodeRole) -> Self {
        self.role = Some(r);
        self
    }

    /// Adds or replaces a label.
    pub fn label_add(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.add_labels.push((key.into(), value.into()));
        self
    }

    /// Removes a label.
    pub fn label_rm(mut self, key: impl Into<String>) -> Self {
        self.rm_labels.push(key.into());
        self
    }

    fn apply(&self, spec: &mut NodeSpec) {
        if let Some(a) = &self.availability {
            spec.availability = Some(a.clone());
        }
        if let Some(r) = &self.role {
            spec.role = Some(r.clone());
        }
        for k in &self.rm_labels {
            spec.labels.remove(k);
        }
        for (k, v) in &self.add_labels {
            spec.labels.insert(k.clone(), v.clone());
        }
    }
}

impl Client {
    /// `GET /nodes`.
    ///
    /// # Errors
    /// [`crate::Error::NotManager`] and other API errors.
    pub async fn node_list(&self) -> Result<Vec<Node>> {
        self.get_json("/nodes", &[]).await
    }

    /// `GET /nodes?filters=` (e.g. `[("role","worker")]`).
    ///
    /// # Errors
    /// API errors.
    pub async fn node_list_filtered(&self, filters: &[(&str, &str)]) -> Result<Vec<Node>> {
        self.get_json("/nodes", &[("filters", filters_json(filters))])
            .await
    }

    /// `GET /nodes/{id}` (ID, name or hostname).
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] and other API errors.
    pub async fn node_inspect(&self, id: &str) -> Result<Node> {
        self.get_json(&format!("/nodes/{}", segment("node", id)?), &[])
            .await
    }

    /// `POST /nodes/{id}/update?version=` with a full spec.
    ///
    /// # Errors
    /// [`crate::Error::OutOfSequence`] when `version` is stale; other API errors.
    pub async fn node_update_spec(&self, id: &str, version: u64, spec: &NodeSpec) -> Result<()> {
        self.post_unit(
            &format!("/nodes/{}/update", segment("node", id)?),
            &[("version", version.to_string())],
            Some(spec),
            &[],
        )
        .await?;
        Ok(())
    }

    /// Read-modify-write of a node's spec, retrying once on "update out of sequence".
    ///
    /// # Errors
    /// As [`Client::node_inspect`] and [`Client::node_update_spec`].
    pub async fn node_update(&self, id: &str, change: &NodeUpdate) -> Result<Node> {
        let mut attempt = 0;
        loop {
            let node = self.node_inspect(id).await?;
            let mut spec = node.spec.clone();
            change.apply(&mut spec);
            match self
                .node_update_spec(&node.id, node.version.index, &spec)
                .await
            {
                Ok(()) => return self.node_inspect(&node.id).await,
                Err(e) if e.is_out_of_sequence() && attempt < 5 => attempt += 1,
                Err(e) => return Err(e),
            }
        }
    }

    /// `docker node promote` / `docker node demote`: sets the node's role, read-modify-write
    /// (retried on "update out of sequence"). Returns `false`, changing nothing, when the node
    /// already had that role (the docker CLI then prints "Node X is already a manager.").
    ///
    /// # Errors
    /// As [`Client::node_inspect`] and [`Client::node_update_spec`] (the daemon refuses to
    /// demote the last manager).
    pub async fn node_set_role(&self, id: &str, role: NodeRole) -> Result<bool> {
        let mut attempt = 0;
        loop {
            let node = self.node_inspect(id).await?;
            if node.spec.role.as_ref() == Some(&role) {
                return Ok(false);
            }
            let mut spec = node.spec.clone();
            spec.role = Some(role.clone());
            match self
                .node_update_spec(&node.id, node.version.index, &spec)
                .await
            {
                Ok(()) => return Ok(true),
                Err(e) if e.is_out_of_sequence() && attempt < 5 => attempt += 1,
                Err(e) => return Err(e),
            }
        }
    }

    /// `DELETE /nodes/{id}?force=`.
    ///
    /// # Errors
    /// API errors.
    pub async fn node_remove(&self, id: &str, force: bool) -> Result<()> {
        self.delete(
            &format!("/nodes/{}", segment("node", id)?),
            &[("force", force.to_string())],
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_update_applies() {
        let mut spec = NodeSpec::default();
        spec.labels.insert("old".into(), "1".into());
        NodeUpdate::new()
            .availability(Availability::Drain)
            .label_add("zone", "a")
            .label_rm("old")
            .apply(&mut spec);
        assert_eq!(spec.availability, Some(Availability::Drain));
        assert_eq!(spec.labels.get("zone").map(String::as_str), Some("a"));
        assert!(!spec.labels.contains_key("old"));
    }
}
