//! The fake daemon's objects, stored typed: services as [`ServiceSpec`]s (with the previous
//! spec, version, times and update status), tasks with their [`TaskSpec`], the swarm's
//! [`SwarmSpec`], nodes with their [`NodeSpec`]. Fields the fake does not interpret stay in the
//! specs' `extra` maps and come back unchanged.
//!
//! [`State`] holds them all behind the server's one lock, with what a test reads back (recorded
//! requests, execs, registry auths) and the knobs it turns (faults, canned logs, paused tasks).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Instant, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use sdk_core::test_server::RequestLog;

use crate::mock::config::PullAuth;
use crate::mock::stamps::{new_id, now_nanos};
use crate::models::{
    Availability, Event, EventActor, EventType, JoinTokens, NodeRole, NodeSpec, SwarmSpec,
    TaskState, UpdateState,
};
use crate::spec::{ServiceSpec, TaskSpec};

/// Whether and how the daemon is part of a swarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Membership {
    /// Not in a swarm (`LocalNodeState` `inactive`).
    #[default]
    Inactive,
    /// The manager of the fake cluster.
    Manager,
    /// Joined as a worker: swarm endpoints refuse to answer.
    Worker,
}

/// The swarm object (`GET /swarm`).
#[derive(Debug, Clone)]
pub(crate) struct SwarmRecord {
    pub(crate) id: String,
    pub(crate) version: u64,
    pub(crate) created: String,
    pub(crate) updated: String,
    pub(crate) spec: SwarmSpec,
    pub(crate) join_tokens: JoinTokens,
}

/// A node of the cluster.
#[derive(Debug, Clone)]
pub(crate) struct NodeRecord {
    pub(crate) id: String,
    pub(crate) hostname: String,
    pub(crate) addr: String,
    /// Role and availability are always set.
    pub(crate) spec: NodeSpec,
    pub(crate) version: u64,
    pub(crate) created: String,
    pub(crate) updated: String,
}

impl NodeRecord {
    /// The node's role.
    pub(crate) fn role(&self) -> NodeRole {
        self.spec.role.clone().unwrap_or(NodeRole::Worker)
    }

    /// Whether tasks may be scheduled on it.
    pub(crate) fn is_active(&self) -> bool {
        self.spec.availability.as_ref() == Some(&Availability::Active)
    }
}

/// `UpdateStatus` of a service: state, message, completion time (`StartedAt` is the service's
/// `UpdatedAt`).
#[derive(Debug, Clone)]
pub(crate) struct UpdateProgress {
    pub(crate) state: UpdateState,
    pub(crate) message: String,
    pub(crate) completed_at: Option<String>,
}

impl UpdateProgress {
    /// An update or rollback that has just started.
    pub(crate) fn started(state: UpdateState, message: &str) -> Self {
        Self {
            state,
            message: message.to_owned(),
            completed_at: None,
        }
    }
}

/// A service.
#[derive(Debug, Clone)]
pub(crate) struct ServiceRecord {
    pub(crate) id: String,
    pub(crate) spec: ServiceSpec,
    pub(crate) previous: Option<ServiceSpec>,
    pub(crate) version: u64,
    pub(crate) created: String,
    pub(crate) updated: String,
    pub(crate) update_status: Option<UpdateProgress>,
    /// Credentials forwarded with the last create or update.
    pub(crate) auth: Option<PullAuth>,
}

impl ServiceRecord {
    /// `Spec.TaskTemplate.ContainerSpec.Image` (empty when none).
    pub(crate) fn image(&self) -> &str {
        self.spec.container().map_or("", |c| c.image.as_str())
    }

    /// Whether the service runs one task per node (the fake schedules every other mode by
    /// replica slots).
    pub(crate) fn is_global(&self) -> bool {
        matches!(self.spec.mode, crate::spec::ServiceMode::Global(_))
    }

    /// The replica count the fake schedules for a non-global service (1 unless given).
    pub(crate) fn replicas(&self) -> u64 {
        self.spec.mode.replicas().unwrap_or(1)
    }
}

/// A task. Its observed state follows from the time since `start` (see
/// [`TaskClock`](super::TaskClock)); `reported` is the state last turned into events.
#[derive(Debug, Clone)]
pub(crate) struct TaskRecord {
    pub(crate) id: String,
    pub(crate) service_id: String,
    /// The replica slot (0 for a global service's task).
    pub(crate) slot: u64,
    /// Empty while the task waits for a suitable node.
    pub(crate) node_id: String,
    pub(crate) spec: TaskSpec,
    pub(crate) version: u64,
    pub(crate) created: SystemTime,
    /// When the task started moving through its states.
    pub(crate) start: Instant,
    pub(crate) start_wall: SystemTime,
    /// Why the task is rejected when it reaches `preparing`.
    pub(crate) error: Option<String>,
    pub(crate) desired: TaskState,
    pub(crate) shutdown: bool,
    pub(crate) container_id: String,
    pub(crate) reported: TaskState,
    /// Why no node can take the task (it stays `pending`).
    pub(crate) unschedulable: Option<String>,
    /// For a restarted task (desired state `ready`): when the restart delay is over.
    pub(crate) release_at: Option<Instant>,
}

impl TaskRecord {
    /// Whether the task counts for its slot (desired `running`, or `ready` after a restart).
    pub(crate) fn is_live(&self) -> bool {
        matches!(self.desired, TaskState::Running | TaskState::Ready)
    }

    /// Shuts the task down (desired and observed state `shutdown`).
    pub(crate) fn shut_down(&mut self) {
        self.desired = TaskState::Shutdown;
        self.shutdown = true;
    }
}

/// Configs or secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ObjectKind {
    Config,
    Secret,
}

impl ObjectKind {
    /// `config` or `secret`, as dockerd names the kind in messages and events.
    pub(crate) fn singular(self) -> &'static str {
        match self {
            Self::Config => "config",
            Self::Secret => "secret",
        }
    }

    /// The event type of the kind.
    fn event_type(self) -> EventType {
        match self {
            Self::Config => EventType::Config,
            Self::Secret => EventType::Secret,
        }
    }
}

/// The spec of a config or secret (`POST /{configs,secrets}/create` body).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct StoredObjectSpec {
    #[serde(default)]
    pub(crate) name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) labels: Option<BTreeMap<String, String>>,
    /// Base64 data (a secret's is never shown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) data: Option<String>,
    /// Fields the fake does not interpret (`Templating`, `Driver`, …), kept as they are.
    #[serde(flatten)]
    pub(crate) extra: BTreeMap<String, Value>,
}

/// A config or secret.
#[derive(Debug, Clone)]
pub(crate) struct ObjectRecord {
    pub(crate) id: String,
    pub(crate) version: u64,
    pub(crate) created: String,
    pub(crate) updated: String,
    pub(crate) spec: StoredObjectSpec,
}

/// An exec instance.
#[derive(Debug, Clone)]
pub(crate) struct Exec {
    pub(crate) container_id: String,
    pub(crate) cmd: Vec<String>,
    pub(crate) started: bool,
    pub(crate) exit: Option<i64>,
}

/// A configured exec answer.
#[derive(Debug, Clone)]
pub(crate) struct ExecResult {
    pub(crate) cmd: Vec<String>,
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr: Vec<u8>,
    pub(crate) exit_code: i64,
}

/// One canned log line of a service or task.
#[derive(Debug, Clone)]
pub(crate) struct LogLine {
    /// 1 stdout, 2 stderr.
    pub(crate) stream: u8,
    /// The text, ending in `\n`.
    pub(crate) text: String,
    pub(crate) at: SystemTime,
}

/// Why the state machine refused a change (the routes word it as dockerd does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The `version` is not the object's current one (or a test injected the error).
    OutOfSequence,
    /// An object of that kind and name exists.
    NameConflict(String),
    /// A rollback of a service that was never updated.
    NoPreviousSpec,
    /// An update that renames the service.
    Rename,
    /// A manager node cannot be removed (its ID).
    NodeIsManager(String),
    /// A node that is up cannot be removed without `force` (its ID).
    NodeNotDown(String),
    /// A config or secret a service references cannot be removed.
    InUse,
    /// A config or secret update that changes more than its labels.
    OnlyLabels,
    /// No running container has that ID.
    NoSuchContainer,
}

/// Everything the fake daemon knows.
#[derive(Debug)]
pub(crate) struct State {
    /// The raft index: every change takes the next one as its version.
    pub(crate) index: u64,
    /// The ID of the daemon's own node.
    pub(crate) self_node: String,
    pub(crate) membership: Membership,
    pub(crate) swarm: Option<SwarmRecord>,
    pub(crate) nodes: Vec<NodeRecord>,
    pub(crate) services: Vec<ServiceRecord>,
    pub(crate) tasks: Vec<TaskRecord>,
    pub(crate) configs: Vec<ObjectRecord>,
    pub(crate) secrets: Vec<ObjectRecord>,
    /// Networks created through the API (the predefined `host` and `bridge` are not stored),
    /// as `GET /networks/{id}` shows them.
    pub(crate) networks: Vec<Value>,
    /// `(node ID, image)` pairs a node has pulled: like dockerd, a node that has an image runs
    /// it even when a later pull without credentials fails.
    pub(crate) pulled: HashSet<(String, String)>,
    pub(crate) events: Vec<Event>,
    pub(crate) execs: BTreeMap<String, Exec>,
    pub(crate) exec_results: Vec<ExecResult>,
    /// Canned log lines by service name or ID, or task ID.
    pub(crate) logs: HashMap<String, Vec<LogLine>>,
    /// `(service name, decoded X-Registry-Auth)` of each create and update that sent one.
    pub(crate) registry_auths: Vec<(String, Value)>,
    /// How many service updates to refuse as out of sequence.
    pub(crate) out_of_sequence: u32,
    pub(crate) log: RequestLog,
    /// While set: when the task clock stopped.
    pub(crate) paused_at: Option<Instant>,
    /// The daemon's images.
    pub(crate) images: Vec<super::image_types::ImageRecord>,
    /// What the registries the fake pushes to and pulls from hold.
    pub(crate) registries: super::image_types::Registries,
    /// Cache keys of the build steps done so far.
    pub(crate) build_cache: HashSet<String>,
}

impl State {
    /// A daemon that is not in a swarm.
    pub(crate) fn new() -> Self {
        Self {
            index: 10,
            self_node: new_id(),
            membership: Membership::Inactive,
            swarm: None,
            nodes: Vec::new(),
            services: Vec::new(),
            tasks: Vec::new(),
            configs: Vec::new(),
            secrets: Vec::new(),
            networks: Vec::new(),
            pulled: HashSet::new(),
            events: Vec::new(),
            execs: BTreeMap::new(),
            exec_results: Vec::new(),
            logs: HashMap::new(),
            registry_auths: Vec::new(),
            out_of_sequence: 0,
            log: RequestLog::new(usize::MAX),
            paused_at: None,
            images: Vec::new(),
            registries: super::image_types::Registries::default(),
            build_cache: HashSet::new(),
        }
    }

    /// The next raft index.
    pub(crate) fn bump(&mut self) -> u64 {
        self.index += 1;
        self.index
    }

    /// Records an event about object `id` (`scope` `local` for containers, else `swarm`).
    pub(crate) fn event(
        &mut self,
        kind: EventType,
        action: &str,
        id: &str,
        attrs: &[(&str, &str)],
    ) {
        let nanos = i64::try_from(now_nanos()).unwrap_or(i64::MAX);
        let scope = if matches!(kind, EventType::Container | EventType::Image) {
            "local"
        } else {
            "swarm"
        };
        self.events.push(Event {
            kind,
            action: action.to_owned(),
            actor: EventActor {
                id: id.to_owned(),
                attributes: attrs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            },
            scope: scope.to_owned(),
            time: nanos / 1_000_000_000,
            time_nano: nanos,
        });
    }

    /// Records an event about a config or secret.
    pub(crate) fn object_event(&mut self, kind: ObjectKind, action: &str, id: &str, name: &str) {
        if name.is_empty() {
            self.event(kind.event_type(), action, id, &[]);
        } else {
            self.event(kind.event_type(), action, id, &[("name", name)]);
        }
    }

    /// The index of the service with ID or name `key`, or whose ID alone starts with it.
    pub(crate) fn find_service(&self, key: &str) -> Option<usize> {
        self.services
            .iter()
            .position(|s| s.id == key || s.spec.name == key)
            .or_else(|| {
                let m: Vec<usize> = self
                    .services
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.id.starts_with(key))
                    .map(|(i, _)| i)
                    .collect();
                (m.len() == 1 && !key.is_empty()).then(|| m[0])
            })
    }

    /// The name of the service with ID `id` (empty when it is gone).
    pub(crate) fn service_name(&self, id: &str) -> String {
        self.services
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.spec.name.clone())
            .unwrap_or_default()
    }

    /// The index of the node with ID or hostname `key`, or whose ID starts with it.
    pub(crate) fn find_node(&self, key: &str) -> Option<usize> {
        self.nodes.iter().position(|n| {
            n.id == key || n.hostname == key || (!key.is_empty() && n.id.starts_with(key))
        })
    }

    /// The IDs of the nodes that take tasks.
    pub(crate) fn active_nodes(&self) -> Vec<String> {
        self.nodes
            .iter()
            .filter(|n| n.is_active())
            .map(|n| n.id.clone())
            .collect()
    }

    /// The configs or the secrets.
    pub(crate) fn objects(&self, kind: ObjectKind) -> &Vec<ObjectRecord> {
        match kind {
            ObjectKind::Config => &self.configs,
            ObjectKind::Secret => &self.secrets,
        }
    }

    /// The configs or the secrets, to change.
    pub(crate) fn objects_mut(&mut self, kind: ObjectKind) -> &mut Vec<ObjectRecord> {
        match kind {
            ObjectKind::Config => &mut self.configs,
            ObjectKind::Secret => &mut self.secrets,
        }
    }
}
