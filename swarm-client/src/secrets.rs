//! Swarm secrets: create, list, inspect, remove. Reference one from a service spec with
//! `TaskTemplate.ContainerSpec.Secrets` (`{"SecretID", "SecretName", "File": {...}}`).

use std::collections::BTreeMap;

use base64::Engine as _;

use crate::client::{Client, filters_json};
use crate::error::Result;
use crate::models::{IdResponse, SwarmObject};

impl Client {
    /// `POST /secrets/create`: stores `data` under `name`; returns the ID.
    ///
    /// # Errors
    /// [`crate::Error::Conflict`] when the name exists; other API errors.
    pub async fn secret_create(
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
        let r: IdResponse = self.post_json("/secrets/create", &[], &body, &[]).await?;
        Ok(r.id)
    }

    /// `GET /secrets?filters=` (e.g. `[("name","x")]`, `[("label","a=b")]`).
    ///
    /// # Errors
    /// API errors.
    pub async fn secret_list(&self, filters: &[(&str, &str)]) -> Result<Vec<SwarmObject>> {
        let q = if filters.is_empty() {
            Vec::new()
        } else {
            vec![("filters", filters_json(filters))]
        };
        self.get_json("/secrets", &q).await
    }

    /// `GET /secrets/{id}`.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] and other API errors.
    pub async fn secret_inspect(&self, id: &str) -> Result<SwarmObject> {
        self.get_json(&format!("/secrets/{id}"), &[]).await
    }

    /// `DELETE /secrets/{id}`.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`], [`crate::Error::Conflict`] (in use), other API errors.
    pub async fn secret_remove(&self, id: &str) -> Result<()> {
        self.delete(&format!("/secrets/{id}"), &[]).await
    }
}
