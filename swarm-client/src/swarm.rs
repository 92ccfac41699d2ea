//! Swarm: init, join, leave, inspect (join tokens), update with token rotation, unlock.

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
