//! Scheduling: which tasks a service lacks and on which node each goes (replica slots spread
//! over the active nodes that satisfy the placement constraints, one task per node for a global
//! service), and whether a node can pull the task's image.

use std::time::{Instant, SystemTime};

use crate::mock::config::Settings;
use crate::mock::stamps::{long_id, new_id};
use crate::models::TaskState;

use super::model::{NodeRecord, ServiceRecord, State, TaskRecord};

/// Whether node `n` satisfies a placement constraint like `node.role==manager`,
/// `node.hostname!=web-1`, `node.labels.zone==a`, `node.id==…`, `node.platform.os==linux`.
/// Unknown keys never match `==` (so such services stay pending, as with an unknown label).
pub(crate) fn constraint_matches(n: &NodeRecord, c: &str) -> bool {
    let (key, want, eq) = if let Some((k, v)) = c.split_once("!=") {
        (k.trim(), v.trim(), false)
    } else if let Some((k, v)) = c.split_once("==") {
        (k.trim(), v.trim(), true)
    } else {
        return false;
    };
    let have: Option<String> = match key {
        "node.id" => Some(n.id.clone()),
        "node.hostname" => Some(n.hostname.clone()),
        "node.role" => Some(n.role().as_str().to_owned()),
        "node.platform.os" => Some("linux".to_owned()),
        "node.platform.arch" => Some("x86_64".to_owned()),
        _ => key
            .strip_prefix("node.labels.")
            .and_then(|l| n.spec.labels.get(l))
            .cloned(),
    };
    match have {
        Some(h) => (h == want) == eq,
        None => !eq,
    }
}

impl State {
    /// Adds a task of `service` for `slot` on node `node_id`; it is rejected at `preparing`
    /// when the node cannot get the image (missing, or private without the right credentials
    /// and not pulled before) or the image has a configured task error.
    pub(crate) fn new_task(
        &mut self,
        cfg: &Settings,
        service: &ServiceRecord,
        slot: u64,
        node_id: String,
    ) {
        let image = service.image().to_owned();
        let cached = self.pulled.contains(&(node_id.clone(), image.clone()));
        let missing = cfg.image_missing(&image)
            || (cfg.pull_denied(&image, service.auth.as_ref()) && !cached);
        if !missing {
            self.pulled.insert((node_id.clone(), image.clone()));
        }
        let error = if missing {
            Some(format!("No such image: {image}"))
        } else {
            cfg.task_error(&image).map(str::to_owned)
        };
        let version = self.bump();
        let now = SystemTime::now();
        self.tasks.push(TaskRecord {
            id: new_id(),
            service_id: service.id.clone(),
            slot,
            node_id,
            spec: service.spec.task_template.clone(),
            version,
            created: now,
            start: Instant::now(),
            start_wall: now,
            error,
            desired: TaskState::Running,
            shutdown: false,
            container_id: long_id(),
            reported: TaskState::New,
            unschedulable: None,
            release_at: None,
        });
    }

    /// Creates the tasks service `idx` lacks (per slot, or per node for a global service) and
    /// shuts down replicas above its count.
    pub(crate) fn reconcile(&mut self, cfg: &Settings, idx: usize) {
        let service = self.services[idx].clone();
        let all_active = self.active_nodes();
        let constraints: &[String] = service
            .spec
            .task_template
            .placement
            .as_ref()
            .map_or(&[], |p| p.constraints.as_slice());
        let nodes: Vec<String> = all_active
            .iter()
            .filter(|id| {
                self.nodes
                    .iter()
                    .find(|n| n.id == **id)
                    .is_some_and(|n| constraints.iter().all(|c| constraint_matches(n, c)))
            })
            .cloned()
            .collect();
        let live = |t: &TaskRecord| t.service_id == service.id && t.is_live();
        if nodes.is_empty() {
            if !service.is_global() && !all_active.is_empty() {
                let reason = format!(
                    "no suitable node (scheduling constraints not satisfied on {} node{})",
                    all_active.len(),
                    if all_active.len() == 1 { "" } else { "s" }
                );
                for slot in 1..=service.replicas() {
                    if !self.tasks.iter().any(|t| live(t) && t.slot == slot) {
                        self.new_task(cfg, &service, slot, String::new());
                        if let Some(t) = self.tasks.last_mut() {
                            t.unschedulable = Some(reason.clone());
                        }
                    }
                }
            }
            return;
        }
        // Tasks that waited for a suitable node are placed now.
        self.tasks
            .retain(|t| !(t.service_id == service.id && t.unschedulable.is_some()));
        if service.is_global() {
            for node in nodes {
                if !self.tasks.iter().any(|t| live(t) && t.node_id == node) {
                    self.new_task(cfg, &service, 0, node);
                }
            }
        } else {
            let replicas = service.replicas();
            for t in self.tasks.iter_mut().filter(|t| {
                t.service_id == service.id && t.slot > replicas && t.desired == TaskState::Running
            }) {
                t.shut_down();
            }
            for slot in 1..=replicas {
                if !self.tasks.iter().any(|t| live(t) && t.slot == slot) {
                    let node = nodes[usize::try_from(slot - 1).unwrap_or(0) % nodes.len()].clone();
                    self.new_task(cfg, &service, slot, node);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{Availability, NodeRole, NodeSpec};

    fn node(role: NodeRole, labels: &[(&str, &str)]) -> NodeRecord {
        NodeRecord {
            id: "abc".into(),
            hostname: "web-1".into(),
            addr: "127.0.0.2".into(),
            spec: NodeSpec {
                labels: labels
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
                role: Some(role),
                availability: Some(Availability::Active),
                ..NodeSpec::default()
            },
            version: 1,
            created: String::new(),
            updated: String::new(),
        }
    }

    #[test]
    fn constraints_match_role_hostname_labels() {
        let n = node(NodeRole::Worker, &[("zone", "a")]);
        assert!(constraint_matches(&n, "node.role==worker"));
        assert!(!constraint_matches(&n, "node.role==manager"));
        assert!(constraint_matches(&n, "node.hostname != web-2"));
        assert!(constraint_matches(&n, "node.labels.zone==a"));
        assert!(!constraint_matches(&n, "node.labels.rack==1"));
        assert!(constraint_matches(&n, "node.labels.rack!=1"));
        assert!(!constraint_matches(&n, "node.role"));
    }
}
