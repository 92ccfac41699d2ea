//! Swarm: init, join, leave, inspect (join tokens), update with token rotation, unlock.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::models::{Swarm, SwarmSpec};

/// `POST /swarm/init` request.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
#[must_use]
pub struct InitRequest {
    /// Listen address, e.g. `127.0.0.1:2377`.
    pub listen_addr: String,
    /// Advertised address.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub advertise_addr: String,
    /// Data path address.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub data_path_addr: String,
    /// UDP port of the data path (VXLAN); 0 = dockerd's default, 4789.
    #[serde(skip_serializing_if = "is_zero")]
    pub data_path_port: u32,
    /// Force a new cluster from the current state.
    pub force_new_cluster: bool,
    /// Lock managers (autolock).
    pub auto_lock_managers: bool,
    /// Swarm spec, verbatim.
    pub spec: Value,
}

impl InitRequest {
    /// Init listening on `listen_addr` (e.g. `127.0.0.1:2377`).
    pub fn new(listen_addr: impl Into<String>) -> Self {
        Self {
            listen_addr: listen_addr.into(),
            advertise_addr: String::new(),
            data_path_addr: String::new(),
            data_path_port: 0,
            force_new_cluster: false,
            auto_lock_managers: false,
            spec: Value::Object(serde_json::Map::new()),
        }
    }

    /// Sets the advertised address.
    pub fn advertise_addr(mut self, addr: impl Into<String>) -> Self {
        self.advertise_addr = addr.into();
        self
    }

    /// The data path (VXLAN) UDP port, as `docker swarm init --data-path-port`.
    pub fn data_path_port(mut self, port: u16) -> Self {
        self.data_path_port = u32::from(port);
        self
    }

    /// Enables autolock. Like `docker swarm init --autolock`, this also sets the spec's
    /// `EncryptionConfig.AutoLockManagers`: dockerd merges the init spec over swarmkit's
    /// defaults, and a spec without it turned autolock off again (found by
    /// `tests/real_unlock.rs`: the unlock key came back empty).
    pub fn autolock(mut self, on: bool) -> Self {
        self.auto_lock_managers = on;
        if !self.spec.is_object() {
            self.spec = Value::Object(serde_json::Map::new());
        }
        self.spec["EncryptionConfig"]["AutoLockManagers"] = Value::Bool(on);
        self
    }

    /// Force a new cluster.
    pub fn force_new_cluster(mut self, on: bool) -> Self {
        self.force_new_cluster = on;
        self
    }
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(v: &u32) -> bool {
    *v == 0
}

/// `POST /swarm/join` request. Debug redacts the token.
#[derive(Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
#[must_use]
pub struct JoinRequest {
    /// Listen address.
    pub listen_addr: String,
    /// Advertised address.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub advertise_addr: String,
    /// Managers to contact.
    pub remote_addrs: Vec<String>,
    /// The join token (secret).
    pub join_token: String,
}

impl std::fmt::Debug for JoinRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinRequest")
            .field("listen_addr", &self.listen_addr)
            .field("advertise_addr", &self.advertise_addr)
            .field("remote_addrs", &self.remote_addrs)
            .field("join_token", &"<redacted>")
            .finish()
    }
}

impl JoinRequest {
    /// Join the swarm of `remote_addr` with `token`.
    pub fn new(remote_addr: impl Into<String>, token: impl Into<String>) -> Self {
        Self {
            listen_addr: "0.0.0.0:2377".into(),
            advertise_addr: String::new(),
            remote_addrs: vec![remote_addr.into()],
            join_token: token.into(),
        }
    }

    /// Sets the listen address.
    pub fn listen_addr(mut self, addr: impl Into<String>) -> Self {
        self.listen_addr = addr.into();
        self
    }

    /// Sets the advertised address.
    pub fn advertise_addr(mut self, addr: impl Into<String>) -> Self {
        self.advertise_addr = addr.into();
        self
    }
}

/// Which tokens/keys to rotate on [`Client::swarm_update`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rotate {
    /// Rotate the worker join token.
    pub worker_token: bool,
    /// Rotate the manager join token.
    pub manager_token: bool,
    /// Rotate the unlock key.
    pub unlock_key: bool,
}

impl Rotate {
    /// Rotate nothing.
    #[must_use]
    pub fn none() -> Self {
        Self::default()
    }

    /// Rotate the worker token.
    #[must_use]
    pub fn worker() -> Self {
        Self {
            worker_token: true,
            ..Self::default()
        }
    }

    /// Rotate the unlock key.
    #[must_use]
    pub fn unlock_key() -> Self {
        Self {
            unlock_key: true,
            ..Self::default()
        }
    }

    /// Rotate the manager token.
    #[must_use]
    pub fn manager() -> Self {
        Self {
            manager_token: true,
            ..Self::default()
        }
    }
}

/// An unlock key (secret: Debug is redacted).
#[derive(Clone, PartialEq, Eq)]
pub struct UnlockKey(String);

impl UnlockKey {
    /// Wraps a key.
    #[must_use]
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key (to show to the operator once).
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for UnlockKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UnlockKey(<redacted>)")
    }
}

/// A change to the swarm's cluster-wide settings, as `docker swarm update` makes it: only the
/// settings given are changed, everything else in the spec is sent back as the daemon returned it
/// (applied read-modify-write by [`Client::swarm_update_with`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
#[must_use]
pub struct SwarmUpdate {
    task_history_limit: Option<i64>,
    dispatcher_heartbeat: Option<Duration>,
    cert_expiry: Option<Duration>,
    max_snapshots: Option<u64>,
    snapshot_interval: Option<u64>,
    autolock: Option<bool>,
}

/// Nanoseconds of a duration for the Engine API's `int64` fields (saturating).
fn nanos(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

impl SwarmUpdate {
    /// No change.
    pub fn new() -> Self {
        Self::default()
    }

    /// `--task-history-limit`: `Orchestration.TaskHistoryRetentionLimit`.
    pub fn task_history_limit(mut self, limit: i64) -> Self {
        self.task_history_limit = Some(limit);
        self
    }

    /// `--dispatcher-heartbeat`: `Dispatcher.HeartbeatPeriod`.
    pub fn dispatcher_heartbeat(mut self, period: Duration) -> Self {
        self.dispatcher_heartbeat = Some(period);
        self
    }

    /// `--cert-expiry`: `CAConfig.NodeCertExpiry`.
    pub fn cert_expiry(mut self, expiry: Duration) -> Self {
        self.cert_expiry = Some(expiry);
        self
    }

    /// `--max-snapshots`: `Raft.KeepOldSnapshots`.
    pub fn max_snapshots(mut self, n: u64) -> Self {
        self.max_snapshots = Some(n);
        self
    }

    /// `--snapshot-interval`: `Raft.SnapshotInterval`.
    pub fn snapshot_interval(mut self, entries: u64) -> Self {
        self.snapshot_interval = Some(entries);
        self
    }

    /// `--autolock=true|false`: `EncryptionConfig.AutoLockManagers`.
    pub fn autolock(mut self, on: bool) -> Self {
        self.autolock = Some(on);
        self
    }

    /// Whether nothing would change (docker then still sends the update; so does
    /// [`Client::swarm_update_with`]).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Whether this change turns autolock on (the docker CLI then prints the unlock key).
    #[must_use]
    pub fn enables_autolock(&self) -> bool {
        self.autolock == Some(true)
    }

    /// Applies the change to a spec, as the docker CLI's `mergeSwarmSpec` does.
    pub fn apply(&self, spec: &mut SwarmSpec) {
        if let Some(v) = self.task_history_limit {
            spec.orchestration.task_history_retention_limit = Some(v);
        }
        if let Some(v) = self.dispatcher_heartbeat {
            spec.dispatcher.heartbeat_period = nanos(v);
        }
        if let Some(v) = self.cert_expiry {
            spec.ca_config.node_cert_expiry = nanos(v);
        }
        if let Some(v) = self.max_snapshots {
            spec.raft.keep_old_snapshots = Some(v);
        }
        if let Some(v) = self.snapshot_interval {
            spec.raft.snapshot_interval = v;
        }
        if let Some(v) = self.autolock {
            spec.encryption_config.auto_lock_managers = v;
        }
    }
}

impl Client {
    /// `POST /swarm/init`; returns the new node ID.
    ///
    /// # Errors
    /// [`Error::AlreadyInSwarm`] and other API errors.
    pub async fn swarm_init(&self, req: &InitRequest) -> Result<String> {
        self.post_json("/swarm/init", &[], req, &[]).await
    }

    /// `POST /swarm/join`.
    ///
    /// # Errors
    /// [`Error::AlreadyInSwarm`] and other API errors.
    pub async fn swarm_join(&self, req: &JoinRequest) -> Result<()> {
        self.post_unit("/swarm/join", &[], Some(req), &[]).await?;
        Ok(())
    }

    /// `POST /swarm/leave?force=`.
    ///
    /// # Errors
    /// [`Error::NotInSwarm`] and other API errors.
    pub async fn swarm_leave(&self, force: bool) -> Result<()> {
        self.post_unit::<()>("/swarm/leave", &[("force", force.to_string())], None, &[])
            .await?;
        Ok(())
    }

    /// `GET /swarm` (includes join tokens on a manager).
    ///
    /// # Errors
    /// [`Error::NotManager`], [`Error::SwarmLocked`] and other API errors.
    pub async fn swarm_inspect(&self) -> Result<Swarm> {
        self.get_json("/swarm", &[]).await
    }

    /// `POST /swarm/update?version=…&rotate…=`: writes `spec` (use `swarm_inspect().spec`,
    /// modified: every field the daemon returned is kept) at `version`, optionally rotating
    /// tokens/keys.
    ///
    /// # Errors
    /// [`Error::OutOfSequence`] when `version` is stale; other API errors.
    pub async fn swarm_update(&self, spec: &SwarmSpec, version: u64, rotate: Rotate) -> Result<()> {
        let q = [
            ("version", version.to_string()),
            ("rotateWorkerToken", rotate.worker_token.to_string()),
            ("rotateManagerToken", rotate.manager_token.to_string()),
            ("rotateManagerUnlockKey", rotate.unlock_key.to_string()),
        ];
        self.post_unit("/swarm/update", &q, Some(spec), &[]).await?;
        Ok(())
    }

    /// `docker swarm update`: inspect, apply `change` to the spec, update at the version read
    /// (retried on "update out of sequence"); returns the swarm as it is afterwards.
    ///
    /// # Errors
    /// As [`Client::swarm_inspect`] and [`Client::swarm_update`] (e.g. a value the daemon
    /// refuses, such as a certificate expiry under one hour).
    pub async fn swarm_update_with(&self, change: &SwarmUpdate) -> Result<Swarm> {
        let mut attempt = 0;
        loop {
            let s = self.swarm_inspect().await?;
            let mut spec = s.spec.clone();
            change.apply(&mut spec);
            match self
                .swarm_update(&spec, s.version.index, Rotate::none())
                .await
            {
                Ok(()) => return self.swarm_inspect().await,
                Err(e) if e.is_out_of_sequence() && attempt < 5 => attempt += 1,
                Err(e) => return Err(e),
            }
        }
    }

    /// Rotates join tokens: inspect, then update with the same spec.
    ///
    /// # Errors
    /// As [`Client::swarm_inspect`] and [`Client::swarm_update`].
    pub async fn swarm_rotate(&self, rotate: Rotate) -> Result<Swarm> {
        let s = self.swarm_inspect().await?;
        self.swarm_update(&s.spec, s.version.index, rotate).await?;
        self.swarm_inspect().await
    }

    /// `GET /swarm/unlockkey`.
    ///
    /// # Errors
    /// API errors.
    pub async fn swarm_unlock_key(&self) -> Result<UnlockKey> {
        let v: Value = self.get_json("/swarm/unlockkey", &[]).await?;
        let key = v
            .get("UnlockKey")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::Stream {
                endpoint: "GET /swarm/unlockkey".into(),
                message: "reply has no UnlockKey".into(),
            })?;
        Ok(UnlockKey::new(key))
    }

    /// `POST /swarm/unlock`.
    ///
    /// # Errors
    /// API errors (wrong key).
    pub async fn swarm_unlock(&self, key: &UnlockKey) -> Result<()> {
        let body = serde_json::json!({ "UnlockKey": key.0 });
        self.post_unit("/swarm/unlock", &[], Some(&body), &[])
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swarm_update_changes_only_what_was_given() {
        let mut spec: SwarmSpec = serde_json::from_value(serde_json::json!({
            "Name": "default",
            "Orchestration": {"TaskHistoryRetentionLimit": 5},
            "Raft": {"SnapshotInterval": 10000, "KeepOldSnapshots": 0, "ElectionTick": 10,
                     "HeartbeatTick": 1, "LogEntriesForSlowFollowers": 500},
            "Dispatcher": {"HeartbeatPeriod": 5_000_000_000_i64},
            "CAConfig": {"NodeCertExpiry": 7_776_000_000_000_000_i64},
            "TaskDefaults": {},
            "EncryptionConfig": {"AutoLockManagers": false},
            "Unknown": {"kept": true}
        }))
        .unwrap();
        let before = spec.clone();
        SwarmUpdate::new().apply(&mut spec);
        assert_eq!(spec, before, "an empty change changes nothing");
        assert!(SwarmUpdate::new().is_empty());
        let change = SwarmUpdate::new()
            .task_history_limit(2)
            .dispatcher_heartbeat(Duration::from_secs(7))
            .cert_expiry(Duration::from_secs(48 * 3600))
            .max_snapshots(3)
            .snapshot_interval(500)
            .autolock(true);
        assert!(change.enables_autolock() && !change.is_empty());
        change.apply(&mut spec);
        let v = serde_json::to_value(&spec).unwrap();
        assert_eq!(v["Orchestration"]["TaskHistoryRetentionLimit"], 2);
        assert_eq!(v["Dispatcher"]["HeartbeatPeriod"], 7_000_000_000_i64);
        assert_eq!(v["CAConfig"]["NodeCertExpiry"], 172_800_000_000_000_i64);
        assert_eq!(v["Raft"]["KeepOldSnapshots"], 3);
        assert_eq!(v["Raft"]["SnapshotInterval"], 500);
        assert_eq!(
            v["Raft"]["ElectionTick"], 10,
            "untouched fields are sent back"
        );
        assert_eq!(v["EncryptionConfig"]["AutoLockManagers"], true);
        assert_eq!(v["Unknown"], serde_json::json!({"kept": true}));
        assert_eq!(v["Name"], "default");
    }

    #[test]
    fn init_request_json_like_the_cli() {
        let v = serde_json::to_value(
            InitRequest::new("127.0.0.1:2377")
                .advertise_addr("127.0.0.1")
                .data_path_port(4790)
                .autolock(true),
        )
        .unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "ListenAddr": "127.0.0.1:2377",
                "AdvertiseAddr": "127.0.0.1",
                "DataPathPort": 4790,
                "ForceNewCluster": false,
                "AutoLockManagers": true,
                "Spec": {"EncryptionConfig": {"AutoLockManagers": true}}
            })
        );
        // Defaults leave the optional fields out.
        let v = serde_json::to_value(InitRequest::new("127.0.0.1:2377")).unwrap();
        assert!(v.get("DataPathPort").is_none() && v.get("AdvertiseAddr").is_none());
        assert_eq!(v["Spec"], serde_json::json!({}));
    }
}
