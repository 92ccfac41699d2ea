//! The swarm's own spec (`Spec` of `GET /swarm`, the body of `POST /swarm/update`).
//!
//! Fields mirror moby's `api/types/swarm.Spec`: what Go leaves out when empty (`omitempty`)
//! is left out here too, pointers are `Option`s, and fields this crate does not model are kept
//! in each struct's `extra` map, so a read-modify-write sends back what the daemon returned.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::serde_util::{is_zero, null_as_default};
use crate::spec::LogDriver;

/// `SwarmSpec`: name, labels and the cluster-wide settings `docker swarm update` changes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct SwarmSpec {
    /// `Name` (`default`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// `Labels` (always sent).
    #[serde(default, deserialize_with = "null_as_default")]
    pub labels: BTreeMap<String, String>,
    /// `Orchestration`.
    #[serde(default)]
    pub orchestration: OrchestrationConfig,
    /// `Raft`.
    #[serde(default)]
    pub raft: RaftConfig,
    /// `Dispatcher`.
    #[serde(default)]
    pub dispatcher: DispatcherConfig,
    /// `CAConfig`.
    #[serde(default, rename = "CAConfig")]
    pub ca_config: CaConfig,
    /// `TaskDefaults`.
    #[serde(default)]
    pub task_defaults: TaskDefaults,
    /// `EncryptionConfig`.
    #[serde(default)]
    pub encryption_config: EncryptionConfig,
    /// Fields this crate does not model, kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `Orchestration` settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct OrchestrationConfig {
    /// `TaskHistoryRetentionLimit` (`--task-history-limit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_history_retention_limit: Option<i64>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `Raft` settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct RaftConfig {
    /// `SnapshotInterval` (`--snapshot-interval`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub snapshot_interval: u64,
    /// `KeepOldSnapshots`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_old_snapshots: Option<u64>,
    /// `LogEntriesForSlowFollowers`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub log_entries_for_slow_followers: u64,
    /// `ElectionTick` (always sent).
    #[serde(default)]
    pub election_tick: i64,
    /// `HeartbeatTick` (always sent).
    #[serde(default)]
    pub heartbeat_tick: i64,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `Dispatcher` settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct DispatcherConfig {
    /// `HeartbeatPeriod` in nanoseconds (`--dispatcher-heartbeat`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub heartbeat_period: i64,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `CAConfig` settings.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct CaConfig {
    /// `NodeCertExpiry` in nanoseconds (`--cert-expiry`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub node_cert_expiry: i64,
    /// `ExternalCAs` (`--external-ca`), as the daemon writes them.
    #[serde(
        default,
        rename = "ExternalCAs",
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub external_cas: Vec<Value>,
    /// `SigningCACert` (PEM).
    #[serde(
        default,
        rename = "SigningCACert",
        skip_serializing_if = "String::is_empty"
    )]
    pub signing_ca_cert: String,
    /// `SigningCAKey` (PEM; a secret: never printed by `Debug`).
    #[serde(
        default,
        rename = "SigningCAKey",
        skip_serializing_if = "String::is_empty"
    )]
    pub signing_ca_key: String,
    /// `ForceRotate`: a counter; changing it rotates the CA.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub force_rotate: u64,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl std::fmt::Debug for CaConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaConfig")
            .field("node_cert_expiry", &self.node_cert_expiry)
            .field("external_cas", &self.external_cas)
            .field("signing_ca_cert", &self.signing_ca_cert)
            .field(
                "signing_ca_key",
                &if self.signing_ca_key.is_empty() {
                    ""
                } else {
                    "<redacted>"
                },
            )
            .field("force_rotate", &self.force_rotate)
            .field("extra", &self.extra)
            .finish()
    }
}

/// `TaskDefaults`: defaults for every task of the swarm.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct TaskDefaults {
    /// `LogDriver` (`--log-driver` of `docker swarm init`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_driver: Option<LogDriver>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `EncryptionConfig`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct EncryptionConfig {
    /// `AutoLockManagers` (`--autolock`; always sent).
    #[serde(default)]
    pub auto_lock_managers: bool,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}
