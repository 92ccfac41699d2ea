//! The swarm and its nodes: init (the builder's nodes join), join as a worker, leave, swarm
//! update with token rotation, node update (a drained node's tasks move) and node removal.

use sdk_core::test_server::random_hex;

use crate::mock::config::Settings;
use crate::mock::stamps::{new_id, now_str};
use crate::models::{
    Availability, CaConfig, DispatcherConfig, EncryptionConfig, EventType, JoinTokens, NodeRole,
    NodeSpec, OrchestrationConfig, RaftConfig, SwarmSpec,
};

use super::model::{Membership, NodeRecord, Refusal, State, SwarmRecord};

/// The spec `docker swarm init` stores without flags (dockerd 20.10).
fn default_swarm_spec() -> SwarmSpec {
    SwarmSpec {
        name: "default".to_owned(),
        orchestration: OrchestrationConfig {
            task_history_retention_limit: Some(5),
            ..OrchestrationConfig::default()
        },
        raft: RaftConfig {
            snapshot_interval: 10_000,
            keep_old_snapshots: Some(0),
            log_entries_for_slow_followers: 500,
            election_tick: 10,
            heartbeat_tick: 1,
            ..RaftConfig::default()
        },
        dispatcher: DispatcherConfig {
            heartbeat_period: 5_000_000_000,
            ..DispatcherConfig::default()
        },
        ca_config: CaConfig {
            node_cert_expiry: 7_776_000_000_000_000,
            ..CaConfig::default()
        },
        encryption_config: EncryptionConfig::default(),
        ..SwarmSpec::default()
    }
}

/// A join token of the swarm whose root key is `root` (50 hex characters).
fn join_token(root: &str) -> String {
    format!("SWMTKN-1-{root}-{}", new_id())
}

/// Which join tokens `swarm update` rotates.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Rotate {
    pub(crate) worker: bool,
    pub(crate) manager: bool,
}

impl State {
    /// Makes the daemon the manager of a new swarm, advertising `addr`; the builder's nodes
    /// join it.
    pub(crate) fn init(&mut self, cfg: &Settings, addr: &str) {
        let now = now_str();
        let root = random_hex(50);
        let version = self.bump();
        self.swarm = Some(SwarmRecord {
            id: new_id(),
            version,
            created: now.clone(),
            updated: now.clone(),
            spec: default_swarm_spec(),
            join_tokens: JoinTokens {
                worker: join_token(&root),
                manager: join_token(&root),
            },
        });
        self.membership = Membership::Manager;
        let manager = (cfg.manager_hostname(), addr, NodeRole::Manager);
        let others = cfg.nodes.iter().map(|n| {
            (
                n.hostname.as_str(),
                n.addr.as_str(),
                NodeRole::from(n.role.as_str()),
            )
        });
        let mut nodes = Vec::new();
        for (i, (hostname, addr, role)) in std::iter::once(manager).chain(others).enumerate() {
            let version = self.bump();
            nodes.push(NodeRecord {
                id: if i == 0 {
                    self.self_node.clone()
                } else {
                    new_id()
                },
                hostname: hostname.to_owned(),
                addr: addr.to_owned(),
                spec: NodeSpec {
                    role: Some(role),
                    availability: Some(Availability::Active),
                    ..NodeSpec::default()
                },
                version,
                created: now.clone(),
                updated: now.clone(),
            });
        }
        self.nodes = nodes;
    }

    /// Joins a swarm as a worker (the fake then refuses swarm endpoints, as a worker does).
    pub(crate) fn join(&mut self) {
        self.membership = Membership::Worker;
    }

    /// Leaves the swarm: the swarm, its nodes, services, tasks, configs and secrets are gone.
    /// What the daemon keeps (images it pulled, its events) and what a test set or recorded
    /// stays.
    pub(crate) fn leave(&mut self) {
        self.membership = Membership::Inactive;
        self.swarm = None;
        self.nodes.clear();
        self.services.clear();
        self.tasks.clear();
        self.configs.clear();
        self.secrets.clear();
    }

    /// `swarm update` at `version`: the new spec (when the body was one) and rotated tokens.
    pub(crate) fn update_swarm(
        &mut self,
        version: Option<u64>,
        spec: Option<SwarmSpec>,
        rotate: Rotate,
    ) -> Result<(), Refusal> {
        let current = self.swarm.as_ref().map_or(0, |s| s.version);
        if version != Some(current) {
            return Err(Refusal::OutOfSequence);
        }
        let next = self.bump();
        let root = random_hex(50);
        if let Some(swarm) = &mut self.swarm {
            if let Some(spec) = spec {
                swarm.spec = spec;
            }
            swarm.version = next;
            if rotate.worker {
                swarm.join_tokens.worker = join_token(&root);
            }
            if rotate.manager {
                swarm.join_tokens.manager = join_token(&root);
            }
        }
        Ok(())
    }

    /// Updates node `idx` (at `version`): role and availability when given, labels and name as
    /// given. Tasks leave a node that stops being active and are scheduled again.
    pub(crate) fn update_node(
        &mut self,
        cfg: &Settings,
        idx: usize,
        version: Option<u64>,
        spec: NodeSpec,
    ) -> Result<(), Refusal> {
        if version != Some(self.nodes[idx].version) {
            return Err(Refusal::OutOfSequence);
        }
        let next = self.bump();
        let n = &mut self.nodes[idx];
        if let Some(role) = spec.role {
            n.spec.role = Some(role);
        }
        if let Some(availability) = spec.availability {
            n.spec.availability = Some(availability);
        }
        n.spec.labels = spec.labels;
        n.spec.name = spec.name;
        n.version = next;
        n.updated = now_str();
        let id = n.id.clone();
        if !n.is_active() {
            for t in self
                .tasks
                .iter_mut()
                .filter(|t| t.node_id == id && t.desired == crate::models::TaskState::Running)
            {
                t.shut_down();
            }
        }
        for k in 0..self.services.len() {
            self.reconcile(cfg, k);
        }
        self.event(EventType::Node, "update", &id, &[]);
        Ok(())
    }

    /// Removes node `idx` (only a worker, only with `force`: the fake's nodes never go down)
    /// and its tasks.
    pub(crate) fn remove_node(&mut self, idx: usize, force: bool) -> Result<(), Refusal> {
        let n = &self.nodes[idx];
        if n.role() == NodeRole::Manager {
            return Err(Refusal::NodeIsManager(n.id.clone()));
        }
        if !force {
            return Err(Refusal::NodeNotDown(n.id.clone()));
        }
        let n = self.nodes.remove(idx);
        self.tasks.retain(|t| t.node_id != n.id);
        self.event(EventType::Node, "remove", &n.id, &[]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_swarm_spec_is_what_dockerd_stores() {
        assert_eq!(
            serde_json::to_value(default_swarm_spec()).unwrap(),
            serde_json::json!({
                "Name": "default", "Labels": {}, "Orchestration": {"TaskHistoryRetentionLimit": 5},
                "Raft": {"SnapshotInterval": 10000, "KeepOldSnapshots": 0, "LogEntriesForSlowFollowers": 500, "ElectionTick": 10, "HeartbeatTick": 1},
                "Dispatcher": {"HeartbeatPeriod": 5_000_000_000_u64}, "CAConfig": {"NodeCertExpiry": 7_776_000_000_000_000_u64},
                "TaskDefaults": {}, "EncryptionConfig": {"AutoLockManagers": false},
            })
        );
    }

    #[test]
    fn join_tokens_have_the_swarmkit_shape() {
        let t = join_token(&"a".repeat(50));
        let parts: Vec<&str> = t.split('-').collect();
        assert_eq!(parts.len(), 4);
        assert_eq!((parts[0], parts[1]), ("SWMTKN", "1"));
        assert_eq!((parts[2].len(), parts[3].len()), (50, 25));
    }
}
