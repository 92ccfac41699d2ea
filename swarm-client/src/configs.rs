//! Swarm configs: create, list, inspect, remove. Reference one from a service spec with
//! `TaskTemplate.ContainerSpec.Configs` (`{"ConfigID", "ConfigName", "File": {...}}`).

use std::collections::BTreeMap;

use base64::Engine as _;

use crate::client::{Client, filters_json};
use crate::error::Result;
use crate::models::{IdResponse, SwarmObject};

impl Client {
    /// `POST /configs/create`: stores `data` under `name`; returns the ID.
    ///
    /// # Errors
    /// [`crate::Error::Conflict`] when the name exists; other API errors.
    pub async fn config_create(
        &self,
        name: &str,
        data: &[u8],
        labels: &BTreeMap<String, String>,
    ) -> Result<String> {
        let body = serde_json::json!({
            "Name": name,
            "Labels": labels,
            "Data": base64::engine::general_purpose::STANDARD.encode(data),
        });
        let r: IdResponse = self.post_json("/configs/create", &[], &body, &[]).await?;
        Ok(r.id)
    }

    /// `GET /configs?filters=` (e.g. `[("name","x")]`, `[("label","a=b")]`).
    ///
    /// # Errors
    /// API errors.
    pub async fn config_list(&self, filters: &[(&str, &str)]) -> Result<Vec<SwarmObject>> {
        let q = if filters.is_empty() {
            Vec::new()
        } else {
            vec![("filters", filters_json(filters))]
        };
        self.get_json("/configs", &q).await
    }

    /// `GET /configs/{id}`.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] and other API errors.
    pub async fn config_inspect(&self, id: &str) -> Result<SwarmObject> {
        self.get_json(&format!("/configs/{id}"), &[]).await
    }

    /// `DELETE /configs/{id}`.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`], [`crate::Error::Conflict`] (in use), other API errors.
    pub async fn config_remove(&self, id: &str) -> Result<()> {
        self.delete(&format!("/configs/{id}"), &[]).await
    }
}
