//! The Engine API `ServiceSpec` model and a builder for it.
//!
//! Field names are Docker's (PascalCase); fields Go marks `omitempty` are left out when empty, so
//! a spec serialises to the JSON the docker CLI sends. Deserialisation is tolerant: unknown fields
//! of the larger objects are kept in `extra` (so a read-modify-write update does not lose them)
//! and unknown enum values are kept as strings. Durations are integer nanoseconds, as the Engine
//! API expects.
//!
//! ```
//! use swarm_client::spec::ServiceSpec;
//!
//! let spec = ServiceSpec::builder("web", "127.0.0.1:5000/httpd:1")
//!     .replicas(3)
//!     .env("PORT=81{{.Task.Slot}}")
//!     .network("host")
//!     .mount("type=bind,source=/srv/www,target=/www,readonly".parse().unwrap())
//!     .build()
//!     .unwrap();
//! let json = serde_json::to_value(&spec).unwrap();
//! assert_eq!(json["Mode"]["Replicated"]["Replicas"], 3);
//! assert_eq!(json["TaskTemplate"]["ContainerSpec"]["Env"][0], "PORT=81{{.Task.Slot}}");
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::mount::{Mount, MountSpec};
use crate::port::{PortConfig, PortSpec};
use crate::serde_util::{go_f32, is_false, is_zero, null_as_default, present};
use crate::string_enum::string_enum;

/// Nanoseconds of a [`Duration`], saturating at `i64::MAX` (292 years).
#[must_use]
pub fn nanos(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

/// A service spec (`POST /services/create` body, `Spec` of `GET /services/{id}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct ServiceSpec {
    /// `Name` of the service.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// `Labels` of the service (always sent, `{}` when empty, like the CLI).
    #[serde(default, deserialize_with = "null_as_default")]
    pub labels: BTreeMap<String, String>,
    /// `TaskTemplate`: what each task runs.
    #[serde(default)]
    pub task_template: TaskSpec,
    /// `Mode`: replicated, global, or a job.
    #[serde(default)]
    pub mode: ServiceMode,
    /// `UpdateConfig`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_config: Option<UpdateConfig>,
    /// `RollbackConfig`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_config: Option<UpdateConfig>,
    /// `EndpointSpec`: VIP/DNSRR and published ports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_spec: Option<EndpointSpec>,
    /// Fields this crate does not model, kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `TaskTemplate` of a service.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct TaskSpec {
    /// `ContainerSpec`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_spec: Option<ContainerSpec>,
    /// `Resources`: limits and reservations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    /// `RestartPolicy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<RestartPolicy>,
    /// `Placement`: constraints, preferences, max replicas per node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,
    /// `Networks` the tasks attach to.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub networks: Vec<NetworkAttachmentConfig>,
    /// `LogDriver`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_driver: Option<LogDriver>,
    /// `ForceUpdate`: a counter; changing it forces an update (always sent, like the CLI).
    #[serde(default)]
    pub force_update: u64,
    /// `Runtime` (`container`, `plugin`, `attachment`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub runtime: String,
    /// Fields this crate does not model, kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `ContainerSpec` of a task.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct ContainerSpec {
    /// `Image` reference; may be pinned `name:tag@sha256:…`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub image: String,
    /// `Labels` of the containers.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub labels: BTreeMap<String, String>,
    /// `Command` (the CLI's `--entrypoint`).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub command: Vec<String>,
    /// `Args` (the CLI's `[COMMAND] [ARG...]`). Templates like `{{.Task.Slot}}` pass through.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub args: Vec<String>,
    /// `Hostname`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hostname: String,
    /// `Env` as `KEY=value` strings.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub env: Vec<String>,
    /// `Dir`: working directory.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub dir: String,
    /// `User`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user: String,
    /// `Groups`: supplementary groups.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub groups: Vec<String>,
    /// `Privileges`: credential spec, SELinux context, and what newer daemons add.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privileges: Option<Privileges>,
    /// `Init`: run an init process (the CLI always sends it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<bool>,
    /// `StopSignal`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stop_signal: String,
    /// `TTY`.
    #[serde(default, rename = "TTY", skip_serializing_if = "is_false")]
    pub tty: bool,
    /// `OpenStdin`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub open_stdin: bool,
    /// `ReadOnly` root filesystem.
    #[serde(default, skip_serializing_if = "is_false")]
    pub read_only: bool,
    /// `Mounts`.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub mounts: Vec<Mount>,
    /// `StopGracePeriod` in nanoseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_grace_period: Option<i64>,
    /// `Healthcheck`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<HealthConfig>,
    /// `Hosts`: extra `/etc/hosts` lines (`IP HOST…`).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub hosts: Vec<String>,
    /// `DNSConfig` (the CLI always sends it, `{}` when empty).
    #[serde(default, rename = "DNSConfig", skip_serializing_if = "Option::is_none")]
    pub dns_config: Option<DnsConfig>,
    /// `Secrets` referenced.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub secrets: Vec<SecretReference>,
    /// `Configs` referenced.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub configs: Vec<ConfigReference>,
    /// `Isolation` (`default`, `process`, `hyperv`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub isolation: String,
    /// `Sysctls`.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub sysctls: BTreeMap<String, String>,
    /// `CapabilityAdd`.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub capability_add: Vec<String>,
    /// `CapabilityDrop`.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub capability_drop: Vec<String>,
    /// `Ulimits`.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub ulimits: Vec<Ulimit>,
    /// `OomScoreAdj`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub oom_score_adj: i64,
    /// Fields this crate does not model (`Privileges`, …), kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `Privileges` of a container.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct Privileges {
    /// `CredentialSpec` (Windows). Go always writes the key (`null` when none): `Some(None)`
    /// is that `null`, `None` a key that was left out (and stays out).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub credential_spec: Option<Option<CredentialSpec>>,
    /// `SELinuxContext` (kept as JSON), present/`null`/absent like `credential_spec`.
    #[serde(
        default,
        rename = "SELinuxContext",
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub selinux_context: Option<Option<Value>>,
    /// Fields this crate does not model, kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `CredentialSpec` of a Windows container: one of a config (by ID), a file or a registry key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct CredentialSpec {
    /// `Config`: the ID of a swarm config holding the spec.
    #[serde(default)]
    pub config: String,
    /// `File`: a file under the daemon's `CredentialSpecs` directory.
    #[serde(default)]
    pub file: String,
    /// `Registry`: a registry value name.
    #[serde(default)]
    pub registry: String,
    /// Fields this crate does not model, kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A user-defined resource a task reserves (`GenericResource`): discrete (`gpu=2`) or named.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct GenericResource {
    /// `NamedResourceSpec`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub named_resource_spec: Option<NamedGenericResource>,
    /// `DiscreteResourceSpec`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discrete_resource_spec: Option<DiscreteGenericResource>,
    /// Fields this crate does not model, kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl GenericResource {
    /// A discrete resource: `kind` × `value` (the CLI's `--generic-resource KIND=N`).
    #[must_use]
    pub fn discrete(kind: impl Into<String>, value: i64) -> Self {
        Self {
            discrete_resource_spec: Some(DiscreteGenericResource {
                kind: kind.into(),
                value,
                extra: BTreeMap::new(),
            }),
            ..Self::default()
        }
    }
}

/// `NamedResourceSpec` of a generic resource.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct NamedGenericResource {
    /// `Kind`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// `Value`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
    /// Fields this crate does not model, kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `DiscreteResourceSpec` of a generic resource.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct DiscreteGenericResource {
    /// `Kind`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// `Value` (left out when 0, as Go writes it).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub value: i64,
    /// Fields this crate does not model, kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A platform the service's image supports (`Platform`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Platform {
    /// `Architecture` (`amd64`; empty for `arm`, as the docker CLI records it).
    #[serde(default, rename = "Architecture")]
    pub architecture: String,
    /// `OS` (`linux`).
    #[serde(default, rename = "OS")]
    pub os: String,
    /// Fields this crate does not model, kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `Healthcheck` of a container (`HealthConfig`); durations in nanoseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct HealthConfig {
    /// `Test`: `["NONE"]`, `["CMD", …]` or `["CMD-SHELL", "cmd"]`.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub test: Vec<String>,
    /// `Interval`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub interval: i64,
    /// `Timeout`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub timeout: i64,
    /// `StartPeriod`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub start_period: i64,
    /// `StartInterval`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub start_interval: i64,
    /// `Retries`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retries: i64,
    /// Fields this crate does not model, kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `DNSConfig` of a container.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct DnsConfig {
    /// `Nameservers`.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub nameservers: Vec<String>,
    /// `Search` domains.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub search: Vec<String>,
    /// `Options`.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub options: Vec<String>,
    /// Fields this crate does not model, kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// Where a secret or config appears in the container (`File`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct FileTarget {
    /// `Name`: file name (under `/run/secrets` for secrets unless absolute).
    #[serde(default)]
    pub name: String,
    /// `UID`.
    #[serde(default, rename = "UID")]
    pub uid: String,
    /// `GID`.
    #[serde(default, rename = "GID")]
    pub gid: String,
    /// `Mode` (file mode bits).
    #[serde(default)]
    pub mode: u32,
    /// Fields this crate does not model, kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A secret referenced by a service (`SecretReference`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct SecretReference {
    /// `File` target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<FileTarget>,
    /// `SecretID` (the daemon needs the ID; resolve names first).
    #[serde(default, rename = "SecretID")]
    pub secret_id: String,
    /// `SecretName`.
    #[serde(default)]
    pub secret_name: String,
    /// Fields this crate does not model, kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A config referenced by a service (`ConfigReference`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct ConfigReference {
    /// `File` target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<FileTarget>,
    /// `Runtime` target (credential specs; kept as JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<Value>,
    /// `ConfigID` (the daemon needs the ID; resolve names first).
    #[serde(default, rename = "ConfigID")]
    pub config_id: String,
    /// `ConfigName`.
    #[serde(default)]
    pub config_name: String,
    /// Fields this crate does not model, kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A ulimit (`Ulimit`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct Ulimit {
    /// `Name` (`nofile`, …).
    pub name: String,
    /// `Hard` limit.
    pub hard: i64,
    /// `Soft` limit.
    pub soft: i64,
    /// Fields this crate does not model, kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `Resources` of a task.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct ResourceRequirements {
    /// `Limits`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<Limit>,
    /// `Reservations`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reservations: Option<Resources>,
    /// Fields this crate does not model, kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// Resource `Limits`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct Limit {
    /// `NanoCPUs` (1e9 = one CPU).
    #[serde(default, rename = "NanoCPUs", skip_serializing_if = "is_zero")]
    pub nano_cpus: i64,
    /// `MemoryBytes`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub memory_bytes: i64,
    /// `Pids` (0 = unlimited).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub pids: i64,
    /// Fields this crate does not model, kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// Resource `Reservations`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct Resources {
    /// `NanoCPUs` (1e9 = one CPU).
    #[serde(default, rename = "NanoCPUs", skip_serializing_if = "is_zero")]
    pub nano_cpus: i64,
    /// `MemoryBytes`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub memory_bytes: i64,
    /// `GenericResources` (the CLI's `--generic-resource KIND=N`).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub generic_resources: Vec<GenericResource>,
    /// Fields this crate does not model, kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

string_enum! {
    /// `RestartPolicy.Condition`.
    RestartCondition {
        /// `none`.
        None = "none",
        /// `on-failure`.
        OnFailure = "on-failure",
        /// `any` (the daemon's default).
        Any = "any",
    }
}

/// `RestartPolicy` of a task; durations in nanoseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct RestartPolicy {
    /// `Condition`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<RestartCondition>,
    /// `Delay` between restarts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<i64>,
    /// `MaxAttempts` (0 = unlimited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u64>,
    /// `Window` used to evaluate the policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<i64>,
    /// Fields this crate does not model, kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `Placement` of tasks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct Placement {
    /// `Constraints` like `node.role==manager`.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub constraints: Vec<String>,
    /// `Preferences` (spread over a label).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub preferences: Vec<PlacementPreference>,
    /// `MaxReplicas` per node (0 = unlimited).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub max_replicas: u64,
    /// `Platforms` the image supports (what the docker CLI records when it pins the digest).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub platforms: Vec<Platform>,
    /// Fields this crate does not model, kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A placement preference: `{"Spread":{"SpreadDescriptor":"node.labels.zone"}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct PlacementPreference {
    /// `Spread`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spread: Option<SpreadOver>,
    /// Fields this crate does not model, kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `Spread` of a placement preference.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct SpreadOver {
    /// `SpreadDescriptor`: a label like `node.labels.zone`.
    #[serde(default)]
    pub spread_descriptor: String,
    /// Fields this crate does not model, kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A network attachment (`NetworkAttachmentConfig`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct NetworkAttachmentConfig {
    /// `Target`: network name or ID (`host` for host networking).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target: String,
    /// `Aliases`.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub aliases: Vec<String>,
    /// `DriverOpts`.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub driver_opts: BTreeMap<String, String>,
    /// Fields this crate does not model, kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A log driver (`LogDriver`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct LogDriver {
    /// `Name`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// `Options`.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub options: BTreeMap<String, String>,
    /// Fields this crate does not model, kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `Mode` of a service: replicated (with a replica count), global, or one of the job modes.
///
/// Serialised as the Engine API writes it (`{"Replicated":{"Replicas":3}}`, `{"Global":{}}`);
/// a mode this crate does not know is kept verbatim in [`ServiceMode::Unknown`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub enum ServiceMode {
    /// `Replicated`: a fixed number of tasks.
    Replicated(Replicated),
    /// `Global`: one task per eligible node.
    Global(Empty),
    /// `ReplicatedJob`: tasks that run to completion.
    ReplicatedJob(ReplicatedJob),
    /// `GlobalJob`: one task to completion per eligible node.
    GlobalJob(Empty),
    /// A mode this crate does not know (or an empty `{}`), kept as it is.
    #[serde(untagged)]
    Unknown(Value),
}

impl Default for ServiceMode {
    /// Replicated without a count: the daemon runs one replica.
    fn default() -> Self {
        Self::Replicated(Replicated::default())
    }
}

impl ServiceMode {
    /// Replicated mode with `n` replicas.
    #[must_use]
    pub fn replicated(n: u64) -> Self {
        Self::Replicated(Replicated {
            replicas: Some(n),
            extra: BTreeMap::new(),
        })
    }

    /// Global mode.
    #[must_use]
    pub fn global() -> Self {
        Self::Global(Empty {})
    }

    /// The replica count of a replicated service (1 when the spec leaves it out, as the
    /// daemon does); `None` for other modes.
    #[must_use]
    pub fn replicas(&self) -> Option<u64> {
        match self {
            Self::Replicated(r) => Some(r.replicas.unwrap_or(1)),
            _ => None,
        }
    }

    /// Whether tasks run once per node (`global` or `global-job`).
    #[must_use]
    pub fn is_global(&self) -> bool {
        matches!(self, Self::Global(_) | Self::GlobalJob(_))
    }

    /// Whether this is a job mode (tasks run to completion).
    #[must_use]
    pub fn is_job(&self) -> bool {
        matches!(self, Self::ReplicatedJob(_) | Self::GlobalJob(_))
    }

    /// `replicated`, `global`, `replicated job`, `global job` as `docker service ls` prints
    /// the mode (`unknown` otherwise).
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Replicated(_) => "replicated",
            Self::Global(_) => "global",
            Self::ReplicatedJob(_) => "replicated job",
            Self::GlobalJob(_) => "global job",
            Self::Unknown(_) => "unknown",
        }
    }
}

/// `Replicated` mode.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct Replicated {
    /// `Replicas` (the daemon defaults to 1 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<u64>,
    /// Fields this crate does not model, kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `ReplicatedJob` mode.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct ReplicatedJob {
    /// `MaxConcurrent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent: Option<u64>,
    /// `TotalCompletions`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_completions: Option<u64>,
    /// Fields this crate does not model, kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// An empty JSON object (`Global`, `GlobalJob`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Empty {}

string_enum! {
    /// `FailureAction` of an update or rollback.
    FailureAction {
        /// `pause`.
        Pause = "pause",
        /// `continue`.
        Continue = "continue",
        /// `rollback` (updates only).
        Rollback = "rollback",
    }
}

string_enum! {
    /// `Order` of an update or rollback.
    UpdateOrder {
        /// `stop-first`.
        StopFirst = "stop-first",
        /// `start-first`.
        StartFirst = "start-first",
    }
}

/// `UpdateConfig` / `RollbackConfig`; durations in nanoseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct UpdateConfig {
    /// `Parallelism` (0 = all at once; always sent).
    #[serde(default)]
    pub parallelism: u64,
    /// `Delay` between batches.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub delay: i64,
    /// `FailureAction`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_action: Option<FailureAction>,
    /// `Monitor`: how long to watch each task after it is updated.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub monitor: i64,
    /// `MaxFailureRatio` (always sent, written as Go writes a `float32`).
    #[serde(default, serialize_with = "go_f32")]
    pub max_failure_ratio: f32,
    /// `Order`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<UpdateOrder>,
    /// Fields this crate does not model, kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Default for UpdateConfig {
    /// The docker CLI's defaults (swarmkit's): parallelism 1, no delay, pause on failure,
    /// monitor 5 s, failure ratio 0, stop-first.
    fn default() -> Self {
        Self {
            parallelism: 1,
            delay: 0,
            failure_action: Some(FailureAction::Pause),
            monitor: 5_000_000_000,
            max_failure_ratio: 0.0,
            order: Some(UpdateOrder::StopFirst),
            extra: BTreeMap::new(),
        }
    }
}

string_enum! {
    /// `EndpointSpec.Mode`.
    EndpointMode {
        /// `vip`: a virtual IP (the default).
        Vip = "vip",
        /// `dnsrr`: DNS round robin.
        Dnsrr = "dnsrr",
    }
}

/// `EndpointSpec` of a service.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct EndpointSpec {
    /// `Mode`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<EndpointMode>,
    /// `Ports` published.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub ports: Vec<PortConfig>,
    /// Fields this crate does not model, kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// Why [`ServiceSpecBuilder::build`] refused a spec.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// The image reference is empty.
    #[error("image is required")]
    ImageRequired,
    /// Replicas (or max concurrency) were set for a global service.
    #[error("replicas can only be used with replicated or replicated-job mode")]
    ReplicasWithGlobal,
    /// Max replicas per node was set for a global service.
    #[error("replicas-max-per-node can only be used with replicated or replicated-job mode")]
    MaxReplicasWithGlobal,
    /// An environment entry has an empty name.
    #[error("invalid environment variable: {0}")]
    InvalidEnv(String),
    /// A label has an empty key.
    #[error("invalid label '{0}': empty key")]
    InvalidLabel(String),
    /// A network name is empty.
    #[error("network name is empty")]
    EmptyNetwork,
}

/// The mode chosen on a builder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BuilderMode {
    Replicated,
    Global,
    ReplicatedJob,
    GlobalJob,
}

/// A consuming builder for [`ServiceSpec`] (see [`ServiceSpec::builder`]). Setters never fail;
/// [`build`](Self::build) checks.
#[derive(Debug, Clone)]
#[must_use]
pub struct ServiceSpecBuilder {
    spec: ServiceSpec,
    mode: BuilderMode,
    replicas: Option<u64>,
    labels: Vec<(String, String)>,
}

impl ServiceSpec {
    /// Starts a replicated service `name` running `image`, filled in like the docker CLI's
    /// `service create` without flags (labels `{}`, `Init: false`, `DNSConfig: {}`, empty
    /// resources and placement, VIP endpoint).
    pub fn builder(name: impl Into<String>, image: impl Into<String>) -> ServiceSpecBuilder {
        ServiceSpecBuilder {
            spec: Self {
                name: name.into(),
                task_template: TaskSpec {
                    container_spec: Some(ContainerSpec {
                        image: image.into(),
                        init: Some(false),
                        dns_config: Some(DnsConfig::default()),
                        ..ContainerSpec::default()
                    }),
                    resources: Some(ResourceRequirements {
                        limits: Some(Limit::default()),
                        reservations: Some(Resources::default()),
                        extra: BTreeMap::new(),
                    }),
                    placement: Some(Placement::default()),
                    ..TaskSpec::default()
                },
                endpoint_spec: Some(EndpointSpec {
                    mode: Some(EndpointMode::Vip),
                    ports: Vec::new(),
                    extra: BTreeMap::new(),
                }),
                ..Self::default()
            },
            mode: BuilderMode::Replicated,
            replicas: None,
            labels: Vec::new(),
        }
    }

    /// The container spec, if any.
    #[must_use]
    pub fn container(&self) -> Option<&ContainerSpec> {
        self.task_template.container_spec.as_ref()
    }

    /// The container spec to edit (an empty one is added when there is none).
    pub fn container_mut(&mut self) -> &mut ContainerSpec {
        self.task_template
            .container_spec
            .get_or_insert_with(ContainerSpec::default)
    }
}

impl ServiceSpecBuilder {
    fn container(&mut self) -> &mut ContainerSpec {
        self.spec
            .task_template
            .container_spec
            .get_or_insert_with(ContainerSpec::default)
    }
    fn placement(&mut self) -> &mut Placement {
        self.spec
            .task_template
            .placement
            .get_or_insert_with(Placement::default)
    }
    fn resources(&mut self) -> &mut ResourceRequirements {
        self.spec
            .task_template
            .resources
            .get_or_insert_with(ResourceRequirements::default)
    }
    fn endpoint(&mut self) -> &mut EndpointSpec {
        self.spec
            .endpoint_spec
            .get_or_insert_with(EndpointSpec::default)
    }

    /// Replicated mode with `n` replicas.
    pub fn replicas(mut self, n: u64) -> Self {
        self.replicas = Some(n);
        self
    }
    /// Global mode: one task per node.
    pub fn global(mut self) -> Self {
        self.mode = BuilderMode::Global;
        self
    }
    /// Replicated-job mode (replicas = total completions).
    pub fn replicated_job(mut self) -> Self {
        self.mode = BuilderMode::ReplicatedJob;
        self
    }
    /// Global-job mode.
    pub fn global_job(mut self) -> Self {
        self.mode = BuilderMode::GlobalJob;
        self
    }
    /// Adds an environment entry `KEY=value` (templates like `{{.Task.Slot}}` pass through).
    pub fn env(mut self, entry: impl Into<String>) -> Self {
        self.container().env.push(entry.into());
        self
    }
    /// Adds a service label.
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.push((key.into(), value.into()));
        self
    }
    /// Adds a container label.
    pub fn container_label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.container().labels.insert(key.into(), value.into());
        self
    }
    /// Sets the arguments (`[COMMAND] [ARG...]` of the CLI).
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.container().args = args.into_iter().map(Into::into).collect();
        self
    }
    /// Sets the command (the CLI's `--entrypoint`).
    pub fn command<I, S>(mut self, cmd: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.container().command = cmd.into_iter().map(Into::into).collect();
        self
    }
    /// Working directory.
    pub fn workdir(mut self, dir: impl Into<String>) -> Self {
        self.container().dir = dir.into();
        self
    }
    /// User (`name|uid[:group|gid]`).
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.container().user = user.into();
        self
    }
    /// Hostname (templates pass through).
    pub fn hostname(mut self, hostname: impl Into<String>) -> Self {
        self.container().hostname = hostname.into();
        self
    }
    /// Adds a mount.
    pub fn mount(mut self, mount: MountSpec) -> Self {
        self.container().mounts.push(mount.into_mount());
        self
    }
    /// Adds published ports (one `--publish` value).
    pub fn publish(mut self, port: PortSpec) -> Self {
        self.endpoint().ports.extend(port.into_configs());
        self
    }
    /// Attaches a network (`host` for host networking).
    pub fn network(mut self, target: impl Into<String>) -> Self {
        self.spec
            .task_template
            .networks
            .push(NetworkAttachmentConfig {
                target: target.into(),
                ..NetworkAttachmentConfig::default()
            });
        self
    }
    /// Adds a placement constraint (`node.role==manager`).
    pub fn constraint(mut self, c: impl Into<String>) -> Self {
        self.placement().constraints.push(c.into());
        self
    }
    /// Adds a spread placement preference over a label (`node.labels.zone`).
    pub fn placement_pref_spread(mut self, descriptor: impl Into<String>) -> Self {
        self.placement().preferences.push(PlacementPreference {
            spread: Some(SpreadOver {
                spread_descriptor: descriptor.into(),
                extra: BTreeMap::new(),
            }),
            extra: BTreeMap::new(),
        });
        self
    }
    /// Maximum replicas per node (0 = unlimited).
    pub fn max_replicas_per_node(mut self, n: u64) -> Self {
        self.placement().max_replicas = n;
        self
    }
    /// CPU and memory limits (0 = none).
    pub fn limits(mut self, nano_cpus: i64, memory_bytes: i64) -> Self {
        let l = self.resources().limits.get_or_insert_with(Limit::default);
        l.nano_cpus = nano_cpus;
        l.memory_bytes = memory_bytes;
        self
    }
    /// CPU and memory reservations (0 = none).
    pub fn reservations(mut self, nano_cpus: i64, memory_bytes: i64) -> Self {
        let r = self
            .resources()
            .reservations
            .get_or_insert_with(Resources::default);
        r.nano_cpus = nano_cpus;
        r.memory_bytes = memory_bytes;
        self
    }
    /// Restart policy.
    pub fn restart_policy(mut self, policy: RestartPolicy) -> Self {
        self.spec.task_template.restart_policy = Some(policy);
        self
    }
    /// Update config.
    pub fn update_config(mut self, config: UpdateConfig) -> Self {
        self.spec.update_config = Some(config);
        self
    }
    /// Rollback config.
    pub fn rollback_config(mut self, config: UpdateConfig) -> Self {
        self.spec.rollback_config = Some(config);
        self
    }
    /// Healthcheck.
    pub fn healthcheck(mut self, health: HealthConfig) -> Self {
        self.container().healthcheck = Some(health);
        self
    }
    /// Stop grace period.
    pub fn stop_grace_period(mut self, d: Duration) -> Self {
        self.container().stop_grace_period = Some(nanos(d));
        self
    }
    /// References a secret.
    pub fn secret(mut self, secret: SecretReference) -> Self {
        self.container().secrets.push(secret);
        self
    }
    /// References a config.
    pub fn config(mut self, config: ConfigReference) -> Self {
        self.container().configs.push(config);
        self
    }
    /// Endpoint mode (VIP or DNS round robin).
    pub fn endpoint_mode(mut self, mode: EndpointMode) -> Self {
        self.endpoint().mode = Some(mode);
        self
    }
    /// Log driver with options.
    pub fn log_driver(mut self, driver: LogDriver) -> Self {
        self.spec.task_template.log_driver = Some(driver);
        self
    }

    /// Checks and returns the spec.
    ///
    /// # Errors
    /// [`SpecError`] when the image is empty, replicas or max-per-node are combined with a
    /// global mode, an env entry or label has an empty name, or a network target is empty.
    pub fn build(mut self) -> Result<ServiceSpec, SpecError> {
        let c = self.container();
        if c.image.is_empty() {
            return Err(SpecError::ImageRequired);
        }
        if let Some(bad) = c.env.iter().find(|e| e.is_empty() || e.starts_with('=')) {
            return Err(SpecError::InvalidEnv(bad.clone()));
        }
        if self
            .spec
            .task_template
            .networks
            .iter()
            .any(|n| n.target.is_empty())
        {
            return Err(SpecError::EmptyNetwork);
        }
        for (k, v) in std::mem::take(&mut self.labels) {
            if k.is_empty() {
                return Err(SpecError::InvalidLabel(format!("={v}")));
            }
            self.spec.labels.insert(k, v);
        }
        let max_replicas = self
            .spec
            .task_template
            .placement
            .as_ref()
            .map_or(0, |p| p.max_replicas);
        self.spec.mode = match self.mode {
            BuilderMode::Replicated => ServiceMode::Replicated(Replicated {
                replicas: self.replicas,
                extra: BTreeMap::new(),
            }),
            BuilderMode::ReplicatedJob => ServiceMode::ReplicatedJob(ReplicatedJob {
                max_concurrent: self.replicas,
                total_completions: self.replicas,
                extra: BTreeMap::new(),
            }),
            BuilderMode::Global | BuilderMode::GlobalJob => {
                if self.replicas.is_some() {
                    return Err(SpecError::ReplicasWithGlobal);
                }
                if max_replicas > 0 {
                    return Err(SpecError::MaxReplicasWithGlobal);
                }
                if self.mode == BuilderMode::Global {
                    ServiceMode::Global(Empty {})
                } else {
                    ServiceMode::GlobalJob(Empty {})
                }
            }
        };
        Ok(self.spec)
    }
}
