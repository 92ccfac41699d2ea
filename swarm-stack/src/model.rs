//! The compose model after loading: what docker's `cli/compose/types` holds once a file is
//! interpolated, validated, transformed and merged. Field names are compose's (`snake_case`);
//! "empty" means what Go's zero value means (an empty string is "not set"), `Option` is
//! where docker keeps a pointer (so an explicit `0` differs from "not set").

use std::collections::BTreeMap;

use crate::yaml::Value;

/// A loaded stack: services, networks, volumes, secrets and configs of one or more files.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Compose {
    /// The compose file version the files were validated against (`3.13` when absent).
    pub version: String,
    /// Services by name.
    pub services: BTreeMap<String, Service>,
    /// Top-level networks by key.
    pub networks: BTreeMap<String, Network>,
    /// Top-level volumes by key.
    pub volumes: BTreeMap<String, Volume>,
    /// Top-level secrets by key.
    pub secrets: BTreeMap<String, FileObject>,
    /// Top-level configs by key.
    pub configs: BTreeMap<String, FileObject>,
    /// `x-` extension fields at the top level (of the first file).
    pub extras: BTreeMap<String, Value>,
}

/// One service.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
#[allow(missing_docs)] // fields are the compose keys of the same name
pub struct Service {
    /// The service key.
    pub name: String,
    /// `build` (ignored by stack deploy, kept as written).
    pub build: Option<Value>,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub cgroupns_mode: String,
    pub cgroup_parent: String,
    /// `command`, split like a shell when written as a string.
    pub command: Vec<String>,
    pub configs: Vec<FileReference>,
    pub container_name: String,
    pub credential_spec: CredentialSpec,
    pub depends_on: Vec<String>,
    pub deploy: Deploy,
    pub devices: Vec<String>,
    /// `dns` (`None` when not written, so `dns: []` still sends an empty DNS config).
    pub dns: Option<Vec<String>>,
    pub dns_search: Option<Vec<String>>,
    pub domainname: String,
    /// `entrypoint`, split like a shell when written as a string.
    pub entrypoint: Vec<String>,
    /// `environment` after `env_file` and the lookup of bare names (`None`: no value).
    pub environment: BTreeMap<String, Option<String>>,
    pub env_file: Vec<String>,
    pub expose: Vec<String>,
    pub external_links: Vec<String>,
    /// `extra_hosts` as `host:ip`.
    pub extra_hosts: Vec<String>,
    pub hostname: String,
    pub healthcheck: Option<Healthcheck>,
    pub image: String,
    pub init: Option<bool>,
    pub ipc: String,
    pub isolation: String,
    pub labels: BTreeMap<String, String>,
    pub links: Vec<String>,
    pub logging: Option<Logging>,
    pub mac_address: String,
    pub network_mode: String,
    /// Networks the service joins; `None` where no per-network settings were written.
    pub networks: BTreeMap<String, Option<ServiceNetwork>>,
    pub pid: String,
    pub ports: Vec<Port>,
    pub privileged: bool,
    pub read_only: bool,
    pub restart: String,
    pub secrets: Vec<FileReference>,
    pub security_opt: Vec<String>,
    pub shm_size: String,
    pub stdin_open: bool,
    /// `stop_grace_period` in nanoseconds.
    pub stop_grace_period: Option<i64>,
    pub stop_signal: String,
    pub sysctls: BTreeMap<String, String>,
    pub tmpfs: Vec<String>,
    pub tty: bool,
    pub ulimits: BTreeMap<String, Ulimit>,
    pub user: String,
    pub oom_score_adj: i64,
    pub userns_mode: String,
    pub volumes: Vec<ServiceVolume>,
    pub working_dir: String,
    /// `x-` fields of the service.
    pub extras: BTreeMap<String, Value>,
}

/// `credential_spec`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CredentialSpec {
    /// `config`: a config key of the stack.
    pub config: String,
    /// `file`.
    pub file: String,
    /// `registry`.
    pub registry: String,
}

/// `deploy`.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Deploy {
    /// `mode`: `replicated` (default), `global`, `replicated-job`, `global-job`.
    pub mode: String,
    /// `replicas`.
    pub replicas: Option<u64>,
    /// `labels` (service labels).
    pub labels: BTreeMap<String, String>,
    /// `update_config`.
    pub update_config: Option<UpdateConfig>,
    /// `rollback_config`.
    pub rollback_config: Option<UpdateConfig>,
    /// `resources`.
    pub resources: Resources,
    /// `restart_policy`.
    pub restart_policy: Option<RestartPolicy>,
    /// `placement`.
    pub placement: Placement,
    /// `endpoint_mode`: `vip` or `dnsrr`.
    pub endpoint_mode: String,
}

/// `update_config` / `rollback_config`; durations in nanoseconds.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct UpdateConfig {
    pub parallelism: Option<u64>,
    pub delay: i64,
    pub failure_action: String,
    pub monitor: i64,
    pub max_failure_ratio: f32,
    pub order: String,
}

/// `resources`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Resources {
    /// `limits`.
    pub limits: Option<Limits>,
    /// `reservations`.
    pub reservations: Option<Reservations>,
}

/// `resources.limits`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// `cpus` as written (`"0.5"`).
    pub cpus: String,
    /// `memory` in bytes.
    pub memory: i64,
    /// `pids`.
    pub pids: i64,
}

/// `resources.reservations`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reservations {
    /// `cpus` as written.
    pub cpus: String,
    /// `memory` in bytes.
    pub memory: i64,
    /// `generic_resources` as (kind, value); `None` kind where no `discrete_resource_spec`.
    pub generic_resources: Vec<Option<(String, i64)>>,
}

/// `restart_policy`; durations in nanoseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct RestartPolicy {
    pub condition: String,
    pub delay: Option<i64>,
    pub max_attempts: Option<u64>,
    pub window: Option<i64>,
}

/// `placement`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Placement {
    /// `constraints`.
    pub constraints: Vec<String>,
    /// `preferences` (each a `spread` descriptor).
    pub preferences: Vec<String>,
    /// `max_replicas_per_node`.
    pub max_replicas: u64,
}

/// `healthcheck`; durations in nanoseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct Healthcheck {
    pub test: Vec<String>,
    pub timeout: Option<i64>,
    pub interval: Option<i64>,
    pub retries: Option<u64>,
    pub start_period: Option<i64>,
    pub start_interval: Option<i64>,
    pub disable: bool,
}

/// `logging`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Logging {
    /// `driver`.
    pub driver: String,
    /// `options`.
    pub options: BTreeMap<String, String>,
}

/// Per-network settings of a service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct ServiceNetwork {
    pub aliases: Vec<String>,
    pub driver_opts: BTreeMap<String, String>,
    pub ipv4_address: String,
    pub ipv6_address: String,
}

/// A published port (short syntax expanded, long syntax as written).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct Port {
    pub mode: String,
    pub target: u32,
    pub published: u32,
    pub protocol: String,
}

/// A service volume (short syntax parsed, long syntax as written).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct ServiceVolume {
    pub r#type: String,
    pub source: String,
    pub target: String,
    pub read_only: bool,
    pub consistency: String,
    /// `bind.propagation`.
    pub bind: Option<String>,
    /// `volume`: (`nocopy`, `subpath`).
    pub volume: Option<(bool, String)>,
    /// `tmpfs.size`.
    pub tmpfs: Option<i64>,
}

/// A secret or config a service references.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct FileReference {
    pub source: String,
    pub target: String,
    pub uid: String,
    pub gid: String,
    pub mode: Option<u32>,
}

/// `ulimits.NAME`: a single value or soft/hard.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Ulimit {
    /// The single-number form (0 when soft/hard were written).
    pub single: i64,
    /// `soft`.
    pub soft: i64,
    /// `hard`.
    pub hard: i64,
}

/// A top-level network.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct Network {
    pub name: String,
    pub driver: String,
    pub driver_opts: BTreeMap<String, String>,
    /// `ipam.driver`.
    pub ipam_driver: String,
    /// `ipam.config[].subnet`.
    pub ipam_subnets: Vec<String>,
    pub external: bool,
    pub internal: bool,
    pub attachable: bool,
    pub labels: BTreeMap<String, String>,
    pub extras: BTreeMap<String, Value>,
}

/// A top-level volume.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct Volume {
    pub name: String,
    pub driver: String,
    /// `driver_opts` (`None` when not written: docker then sends no driver config).
    pub driver_opts: Option<BTreeMap<String, String>>,
    pub external: bool,
    pub labels: BTreeMap<String, String>,
    pub extras: BTreeMap<String, Value>,
}

/// A top-level secret or config.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct FileObject {
    pub name: String,
    /// `file`, made absolute against the working directory.
    pub file: String,
    pub external: bool,
    pub labels: BTreeMap<String, String>,
    pub driver: String,
    pub driver_opts: BTreeMap<String, String>,
    pub template_driver: String,
    pub extras: BTreeMap<String, Value>,
}
