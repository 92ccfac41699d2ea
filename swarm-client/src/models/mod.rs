//! Typed Engine API response models.
//!
//! Every struct ignores unknown fields, every enum keeps unknown values in an `Unknown(String)`
//! variant, so newer daemons do not break decoding. Specs are kept as raw JSON
//! ([`serde_json::Value`]) where a read-modify-write must preserve every field the daemon sent.

mod image;
mod swarm_spec;
mod time;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::serde_util::null_as_default;

pub use image::{ImageConfig, ImageDeleted, ImageInspect, ImagePruneReport, ImageSummary, RootFs};
pub use swarm_spec::{
    CaConfig, DispatcherConfig, EncryptionConfig, OrchestrationConfig, RaftConfig, SwarmSpec,
    TaskDefaults,
};
pub use time::{Timestamp, api_time_arg};

use crate::port::PortConfig;
use crate::spec::{EndpointSpec, ServiceMode, ServiceSpec, TaskSpec};

use crate::string_enum::string_enum;

string_enum! {
    /// A task's observed or desired state.
    TaskState {
        /// new
        New = "new",
        /// allocated
        Allocated = "allocated",
        /// pending
        Pending = "pending",
        /// assigned
        Assigned = "assigned",
        /// accepted
        Accepted = "accepted",
        /// preparing
        Preparing = "preparing",
        /// ready
        Ready = "ready",
        /// starting
        Starting = "starting",
        /// running
        Running = "running",
        /// complete
        Complete = "complete",
        /// shutdown
        Shutdown = "shutdown",
        /// failed
        Failed = "failed",
        /// rejected
        Rejected = "rejected",
        /// remove
        Remove = "remove",
        /// orphaned
        Orphaned = "orphaned",
    }
}

impl TaskState {
    /// The docker CLI's ordering of states (0 for states it does not order).
    #[must_use]
    pub fn rank(&self) -> u8 {
        match self {
            Self::New => 1,
            Self::Allocated => 2,
            Self::Pending => 3,
            Self::Assigned => 4,
            Self::Accepted => 5,
            Self::Preparing => 6,
            Self::Ready => 7,
            Self::Starting => 8,
            Self::Running => 9,
            Self::Complete => 10,
            Self::Shutdown => 11,
            Self::Failed => 12,
            Self::Rejected => 13,
            _ => 0,
        }
    }

    /// A state after `running` (complete, shutdown, failed, rejected…).
    #[must_use]
    pub fn is_terminal(&self) -> bool {
        self.rank() > 9 || matches!(self, Self::Remove | Self::Orphaned)
    }
}

string_enum! {
    /// `UpdateStatus.State` of a service.
    UpdateState {
        /// updating
        Updating = "updating",
        /// paused
        Paused = "paused",
        /// completed
        Completed = "completed",
        /// rollback_started
        RollbackStarted = "rollback_started",
        /// rollback_paused
        RollbackPaused = "rollback_paused",
        /// rollback_completed
        RollbackCompleted = "rollback_completed",
    }
}

string_enum! {
    /// A node's role.
    NodeRole {
        /// worker
        Worker = "worker",
        /// manager
        Manager = "manager",
    }
}

string_enum! {
    /// A node's availability.
    Availability {
        /// active
        Active = "active",
        /// pause
        Pause = "pause",
        /// drain
        Drain = "drain",
    }
}

string_enum! {
    /// A node's observed state.
    NodeState {
        /// unknown
        UnknownState = "unknown",
        /// down
        Down = "down",
        /// ready
        Ready = "ready",
        /// disconnected
        Disconnected = "disconnected",
    }
}

string_enum! {
    /// A manager's reachability.
    Reachability {
        /// unknown
        UnknownState = "unknown",
        /// unreachable
        Unreachable = "unreachable",
        /// reachable
        Reachable = "reachable",
    }
}

/// `GET /version`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct Version {
    /// Engine version, e.g. `20.10.24`.
    pub version: String,
    /// API version, e.g. `1.41`.
    pub api_version: String,
    /// Oldest API version the daemon accepts.
    pub min_api_version: String,
    /// OS.
    pub os: String,
    /// Architecture.
    pub arch: String,
}

/// An object's version, sent back as `?version=` on updates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct ObjectVersion {
    /// The raft index.
    pub index: u64,
}

/// Join tokens of a swarm (secrets: Debug is redacted).
#[derive(Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct JoinTokens {
    /// Token to join as a worker.
    pub worker: String,
    /// Token to join as a manager.
    pub manager: String,
}

impl std::fmt::Debug for JoinTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JoinTokens { worker: <redacted>, manager: <redacted> }")
    }
}

/// `GET /swarm`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct Swarm {
    /// Swarm ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// Version for `update`.
    pub version: ObjectVersion,
    /// Creation time.
    pub created_at: String,
    /// Last update time.
    pub updated_at: String,
    /// The swarm spec (unknown fields kept, so it can be sent back to `swarm_update`).
    pub spec: SwarmSpec,
    /// Join tokens.
    pub join_tokens: JoinTokens,
    /// Whether the root rotation is in progress.
    pub root_rotation_in_progress: bool,
    /// Default address pools, verbatim.
    #[serde(deserialize_with = "null_as_default")]
    pub default_addr_pool: Vec<String>,
}

/// A node's spec.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct NodeSpec {
    /// User-given name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Labels.
    #[serde(deserialize_with = "null_as_default")]
    pub labels: BTreeMap<String, String>,
    /// Role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<NodeRole>,
    /// Availability.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability: Option<Availability>,
}

/// A node's engine description.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct EngineDescription {
    /// Engine version.
    pub engine_version: String,
    /// Engine labels.
    #[serde(deserialize_with = "null_as_default")]
    pub labels: BTreeMap<String, String>,
}

/// A node's platform.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct Platform {
    /// Architecture.
    pub architecture: String,
    /// OS.
    #[serde(rename = "OS")]
    pub os: String,
}

/// A node's description.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct NodeDescription {
    /// Hostname.
    pub hostname: String,
    /// Platform.
    pub platform: Platform,
    /// Engine.
    pub engine: EngineDescription,
}

/// A node's status.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct NodeStatus {
    /// State.
    pub state: Option<NodeState>,
    /// Message.
    pub message: String,
    /// The node's address as the managers see it (e.g. `127.0.0.2`).
    pub addr: String,
}

/// A manager's status.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct ManagerStatus {
    /// Leader.
    pub leader: bool,
    /// Reachability.
    pub reachability: Option<Reachability>,
    /// Raft address.
    pub addr: String,
}

/// `GET /nodes/{id}`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct Node {
    /// Node ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// Version for updates.
    pub version: ObjectVersion,
    /// Creation time.
    pub created_at: String,
    /// Update time.
    pub updated_at: String,
    /// Spec.
    pub spec: NodeSpec,
    /// Description.
    pub description: NodeDescription,
    /// Status.
    pub status: NodeStatus,
    /// Manager status (managers only).
    pub manager_status: Option<ManagerStatus>,
}

/// `UpdateStatus` of a service.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct UpdateStatus {
    /// State.
    pub state: Option<UpdateState>,
    /// Start time.
    pub started_at: Option<String>,
    /// Completion time.
    pub completed_at: Option<String>,
    /// Message.
    pub message: String,
}

/// `ServiceStatus` (with `status=true` on list).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct ServiceStatus {
    /// Running tasks.
    pub running_tasks: u64,
    /// Desired tasks.
    pub desired_tasks: u64,
    /// Completed tasks (jobs).
    pub completed_tasks: u64,
}

/// `GET /services/{id}`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct Service {
    /// Service ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// Version for updates.
    pub version: ObjectVersion,
    /// Creation time.
    pub created_at: String,
    /// Update time.
    pub updated_at: String,
    /// The spec (every field kept, known or not, so a read-modify-write loses nothing).
    pub spec: ServiceSpec,
    /// The spec before the last update (what `rollback` returns to).
    pub previous_spec: Option<ServiceSpec>,
    /// Endpoint: the ports the swarm actually published, the virtual IPs.
    pub endpoint: Endpoint,
    /// Update status.
    pub update_status: Option<UpdateStatus>,
    /// Task counts (list with `status=true`).
    pub service_status: Option<ServiceStatus>,
    /// Job status (jobs only), verbatim.
    pub job_status: Option<Value>,
}

/// `Endpoint` of a service: what the swarm made of its `EndpointSpec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct Endpoint {
    /// The endpoint spec in effect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spec: Option<EndpointSpec>,
    /// The published ports, with the published port the swarm chose when the spec left it 0.
    #[serde(
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub ports: Vec<PortConfig>,
    /// `VirtualIPs`, as the daemon sends them.
    #[serde(
        rename = "VirtualIPs",
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub virtual_ips: Vec<Value>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Service {
    /// `Spec.Name`.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// `Spec.TaskTemplate.ContainerSpec.Image`.
    #[must_use]
    pub fn image(&self) -> &str {
        self.spec.container().map_or("", |c| c.image.as_str())
    }

    /// `Spec.Mode`.
    #[must_use]
    pub fn mode(&self) -> &ServiceMode {
        &self.spec.mode
    }
}

/// A container's status inside a task status.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct ContainerStatus {
    /// Container ID.
    #[serde(rename = "ContainerID")]
    pub container_id: String,
    /// PID.
    #[serde(rename = "PID")]
    pub pid: i64,
    /// Exit code.
    pub exit_code: i64,
}

/// A task's status.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct TaskStatus {
    /// When the state was reached (RFC 3339 with nanoseconds).
    pub timestamp: String,
    /// Observed state.
    pub state: Option<TaskState>,
    /// Message.
    pub message: String,
    /// Error (e.g. `No such image: …`).
    pub err: String,
    /// The container.
    pub container_status: Option<ContainerStatus>,
    /// `PortStatus`: host-mode ports the task published (`{"Ports": [PortConfig…]}`), verbatim.
    pub port_status: Option<Value>,
}

/// `GET /tasks/{id}`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct Task {
    /// Task ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// Version.
    pub version: ObjectVersion,
    /// Creation time.
    pub created_at: String,
    /// Update time.
    pub updated_at: String,
    /// Labels.
    #[serde(deserialize_with = "null_as_default")]
    pub labels: BTreeMap<String, String>,
    /// The task spec (the service's task template when the task was created).
    pub spec: TaskSpec,
    /// Service ID.
    #[serde(rename = "ServiceID")]
    pub service_id: String,
    /// Slot (replicated services only).
    pub slot: Option<u64>,
    /// Node ID (empty until assigned).
    #[serde(rename = "NodeID")]
    pub node_id: String,
    /// Status.
    pub status: TaskStatus,
    /// Desired state.
    pub desired_state: Option<TaskState>,
}

impl Task {
    /// Observed state (`Unknown("")` when absent).
    #[must_use]
    pub fn state(&self) -> TaskState {
        self.status
            .state
            .clone()
            .unwrap_or(TaskState::Unknown(String::new()))
    }

    /// Desired state (`Unknown("")` when absent).
    #[must_use]
    pub fn desired(&self) -> TaskState {
        self.desired_state
            .clone()
            .unwrap_or(TaskState::Unknown(String::new()))
    }

    /// The container ID, when the task has a container.
    #[must_use]
    pub fn container_id(&self) -> Option<&str> {
        self.status
            .container_status
            .as_ref()
            .map(|c| c.container_id.as_str())
            .filter(|s| !s.is_empty())
    }

    /// `Spec.ContainerSpec.Image`.
    #[must_use]
    pub fn image(&self) -> &str {
        self.spec
            .container_spec
            .as_ref()
            .map_or("", |c| c.image.as_str())
    }
}

/// The actor of an event.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct EventActor {
    /// Object ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// Attributes (e.g. `name`, `com.docker.swarm.service.id`).
    #[serde(rename = "Attributes", deserialize_with = "null_as_default")]
    pub attributes: BTreeMap<String, String>,
}

string_enum! {
    /// The type of object an event is about.
    EventType {
        /// container
        Container = "container",
        /// image
        Image = "image",
        /// network
        Network = "network",
        /// volume
        Volume = "volume",
        /// daemon
        Daemon = "daemon",
        /// plugin
        Plugin = "plugin",
        /// node
        Node = "node",
        /// service
        Service = "service",
        /// secret
        Secret = "secret",
        /// config
        Config = "config",
    }
}

/// One `/events` message.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Event {
    /// Object type.
    #[serde(rename = "Type")]
    pub kind: EventType,
    /// Action (`create`, `update`, `start`, `die`, …).
    #[serde(rename = "Action", default)]
    pub action: String,
    /// The object.
    #[serde(rename = "Actor", default)]
    pub actor: EventActor,
    /// `local` or `swarm`.
    #[serde(default)]
    pub scope: String,
    /// Unix seconds.
    #[serde(default)]
    pub time: i64,
    /// Unix nanoseconds.
    #[serde(rename = "timeNano", default)]
    pub time_nano: i64,
}

/// Spec of a config or secret.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct ObjectSpec {
    /// Name.
    pub name: String,
    /// Labels.
    #[serde(deserialize_with = "null_as_default")]
    pub labels: BTreeMap<String, String>,
    /// `Data`, base64 (configs only: the Engine never returns a secret's data).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub data: String,
    /// `Templating` driver (`{"Name":"golang"}`), as JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub templating: Option<Value>,
    /// `Driver` of a secret from a secret store plugin, as JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<Value>,
}

/// `GET /configs/{id}` or `GET /secrets/{id}` (a secret's data is never returned).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct SwarmObject {
    /// ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// Version.
    pub version: ObjectVersion,
    /// Creation time.
    pub created_at: String,
    /// Update time.
    pub updated_at: String,
    /// Name and labels.
    pub spec: ObjectSpec,
}

/// `GET /networks`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct Network {
    /// Name.
    pub name: String,
    /// ID.
    #[serde(rename = "Id")]
    pub id: String,
    /// Driver. Empty for a swarm network the manager's allocator has not processed yet: dockerd
    /// lists a new overlay network at once but fills `Driver` a moment later.
    pub driver: String,
    /// `local` or `swarm`.
    pub scope: String,
    /// Attachable.
    pub attachable: bool,
    /// Internal.
    pub internal: bool,
    /// Ingress network.
    pub ingress: bool,
    /// Labels.
    #[serde(deserialize_with = "null_as_default")]
    pub labels: BTreeMap<String, String>,
    /// Fields this crate does not model (`Created`, `IPAM`, `Options`, `Containers`…), kept as
    /// the daemon sent them so an inspect prints everything.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A reply carrying an `ID` (`Id`).
#[derive(Debug, Clone, Default, Deserialize)]
#[non_exhaustive]
pub struct IdResponse {
    /// The ID.
    #[serde(alias = "ID", alias = "Id", default)]
    pub id: String,
    /// Warnings.
    #[serde(rename = "Warnings", default)]
    pub warnings: Option<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_enum_values_are_kept() {
        let s: Swarm =
            serde_json::from_str(r#"{"ID":"x","DefaultAddrPool":null,"Spec":{"Labels":null}}"#)
                .unwrap();
        assert!(s.default_addr_pool.is_empty());
        let t: Task = serde_json::from_str(
            r#"{"ID":"t1","Labels":null,"Status":{"State":"teleporting","Timestamp":"x"},"DesiredState":"running","Slot":2,"Extra":{"a":1}}"#,
        )
        .unwrap();
        assert_eq!(t.state(), TaskState::Unknown("teleporting".into()));
        assert_eq!(t.desired(), TaskState::Running);
        assert_eq!(t.slot, Some(2));
        assert_eq!(
            serde_json::to_string(&t.state()).unwrap(),
            "\"teleporting\""
        );
        assert!(!TaskState::Running.is_terminal());
        assert!(TaskState::Failed.is_terminal());
    }

    #[test]
    fn service_mode() {
        let s: Service = serde_json::from_str(
            r#"{"ID":"s","Spec":{"Name":"web","Mode":{"Replicated":{"Replicas":3}}},"UpdateStatus":{"State":"rollback_weird"}}"#,
        )
        .unwrap();
        assert_eq!(s.mode().replicas(), Some(3));
        assert_eq!(s.name(), "web");
        assert_eq!(
            s.update_status.unwrap().state,
            Some(UpdateState::Unknown("rollback_weird".into()))
        );
    }

    #[test]
    fn join_tokens_redacted() {
        let t = JoinTokens {
            worker: "SWMTKN-1-secret".into(),
            manager: "SWMTKN-1-other".into(),
        };
        assert!(!format!("{t:?}").contains("SWMTKN"));
    }
}
