//! Swarm secrets: create, list, inspect, remove. Reference one from a service spec with
//! `TaskTemplate.ContainerSpec.Secrets` (`{"SecretID", "SecretName", "File": {...}}`).

use std::collections::BTreeMap;

use crate::client::Client;
use crate::error::Result;
use crate::models::SwarmObject;
use crate::objects::Kind;
pub use crate::objects::{MAX_SECRET_DATA, ObjectCreate};

impl Client {
    /// `POST /secrets/create`: stores `data` under `name`; returns the ID.
    ///
    /// # Errors
    /// [`crate::Error::DataTooLarge`] for more than [`MAX_SECRET_DATA`] bytes (nothing is sent);
    /// [`crate::Error::Conflict`] when the name exists; other API errors.
    pub async fn secret_create(
        &self,
        name: &str,
        data: &[u8],
        labels: &BTreeMap<String, String>,
    ) -> Result<String> {
        self.object_create(Kind::Secret, name, data, labels).await
    }

    /// `POST /secrets/create` with a full spec (labels, data, templating, driver); returns the ID.
    ///
    /// # Errors
    /// [`crate::Error::DataTooLarge`] for more than [`MAX_SECRET_DATA`] bytes of data (nothing is
    /// sent); [`crate::Error::Conflict`] when the name exists; other API errors.
    pub async fn secret_create_with(&self, spec: &ObjectCreate) -> Result<String> {
        self.object_create_with(Kind::Secret, spec).await
    }

    /// `POST /secrets/{id}/update?version=`: the daemon accepts label changes only (changed
    /// data is refused with "only updates to Labels are allowed").
    ///
    /// # Errors
    /// [`crate::Error::OutOfSequence`] for a stale version; other API errors.
    pub async fn secret_update(&self, id: &str, version: u64, spec: &ObjectCreate) -> Result<()> {
        self.object_update(Kind::Secret, id, version, spec).await
    }

    /// `GET /secrets?filters=` (e.g. `[("name","x")]`, `[("label","a=b")]`).
    ///
    /// # Errors
    /// API errors.
    pub async fn secret_list(&self, filters: &[(&str, &str)]) -> Result<Vec<SwarmObject>> {
        self.object_list(Kind::Secret, filters).await
    }

    /// `GET /secrets/{id}`.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] and other API errors.
    pub async fn secret_inspect(&self, id: &str) -> Result<SwarmObject> {
        self.object_inspect(Kind::Secret, id).await
    }

    /// The ID of the secret named exactly `name` (what `docker service create --secret NAME`
    /// looks up; the daemon's name filter alone also matches prefixes).
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] when no secret has that name; other API errors.
    pub async fn secret_id(&self, name: &str) -> Result<String> {
        self.object_id_by_name(Kind::Secret, name).await
    }

    /// `DELETE /secrets/{id}`.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`], [`crate::Error::Conflict`] (in use), other API errors.
    pub async fn secret_remove(&self, id: &str) -> Result<()> {
        self.object_remove(Kind::Secret, id).await
    }
}
