//! Networks: list, create (overlay, attachable), remove.

use std::collections::BTreeMap;

use crate::client::{Client, filters_query};
use crate::error::Result;
use crate::models::{IdResponse, Network};

impl Client {
    /// `GET /networks?filters=`.
    ///
    /// # Errors
    /// API errors.
    pub async fn network_list(&self, filters: &[(&str, &str)]) -> Result<Vec<Network>> {
        self.get_json("/networks", &filters_query(filters)).await
    }

    /// `POST /networks/create` (e.g. driver `overlay`, attachable); returns the ID.
    ///
    /// # Errors
    /// [`crate::Error::Conflict`] when the name exists; other API errors.
    pub async fn network_create(
        &self,
        name: &str,
        driver: &str,
        attachable: bool,
        labels: &BTreeMap<String, String>,
    ) -> Result<String> {
        let body = serde_json::json!({
            "Name": name,
            "Driver": driver,
            "Attachable": attachable,
            "Labels": labels,
            "CheckDuplicate": true,
        });
        let r: IdResponse = self.post_json("/networks/create", &[], &body, &[]).await?;
        Ok(r.id)
    }

    /// `DELETE /networks/{id}`.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] and other API errors.
    pub async fn network_remove(&self, id: &str) -> Result<()> {
        self.delete(&format!("/networks/{id}"), &[]).await
    }
}
