//! Swarm configs: create, list, inspect, remove. Reference one from a service spec with
//! `TaskTemplate.ContainerSpec.Configs` (`{"ConfigID", "ConfigName", "File": {...}}`).

use std::collections::BTreeMap;

use crate::client::Client;
use crate::error::Result;
use crate::models::SwarmObject;
use crate::objects::Kind;
pub use crate::objects::{MAX_CONFIG_DATA, ObjectCreate};

impl Client {
    /// `POST /configs/create`: stores `data` under `name`; returns the ID.
    ///
    /// # Errors
    /// [`crate::Error::DataTooLarge`] for more than [`MAX_CONFIG_DATA`] bytes (nothing is sent);
    /// [`crate::Error::Conflict`] when the name exists; other API errors.
    pub async fn config_create(
        &self,
        name: &str,
        data: &[u8],
        labels: &BTreeMap<String, String>,
    ) -> Result<String> {
        self.object_create(Kind::Config, name, data, labels).await
    }

    /// `POST /configs/create` with a full spec (labels, data, templating); returns the ID.
    ///
    /// # Errors
    /// [`crate::Error::DataTooLarge`] for more than [`MAX_CONFIG_DATA`] bytes of data (nothing is
    /// sent); [`crate::Error::Conflict`] when the name exists; other API errors.
    pub async fn config_create_with(&self, spec: &ObjectCreate) -> Result<String> {
        self.object_create_with(Kind::Config, spec).await
    }

    /// `POST /configs/{id}/update?version=`: the daemon accepts label changes only (changed
    /// data is refused with "only updates to Labels are allowed").
    ///
    /// # Errors
    /// [`crate::Error::OutOfSequence`] for a stale version; other API errors.
    pub async fn config_update(&self, id: &str, version: u64, spec: &ObjectCreate) -> Result<()> {
        self.object_update(Kind::Config, id, version, spec).await
    }

    /// `GET /configs?filters=` (e.g. `[("name","x")]`, `[("label","a=b")]`).
    ///
    /// # Errors
    /// API errors.
    pub async fn config_list(&self, filters: &[(&str, &str)]) -> Result<Vec<SwarmObject>> {
        self.object_list(Kind::Config, filters).await
    }

    /// `GET /configs/{id}`.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] and other API errors.
    pub async fn config_inspect(&self, id: &str) -> Result<SwarmObject> {
        self.object_inspect(Kind::Config, id).await
    }

    /// The ID of the config named exactly `name` (what `docker service create --config NAME`
    /// looks up; the daemon's name filter alone also matches prefixes).
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] when no config has that name; other API errors.
    pub async fn config_id(&self, name: &str) -> Result<String> {
        self.object_id_by_name(Kind::Config, name).await
    }

    /// `DELETE /configs/{id}`.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`], [`crate::Error::Conflict`] (in use), other API errors.
    pub async fn config_remove(&self, id: &str) -> Result<()> {
        self.object_remove(Kind::Config, id).await
    }
}
