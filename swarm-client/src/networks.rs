//! Networks: list, create (overlay, attachable), look up an ID, remove.

use std::collections::BTreeMap;

use crate::client::{Client, filters_query};
use crate::error::Result;
use crate::models::{IdResponse, Network};
use crate::path::segment;

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

    /// `GET /networks/{id-or-name}?scope=swarm`: the ID of a network the swarm can attach
    /// services to (what the docker CLI looks up for `--network` and `--network-add/-rm`).
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] when there is no such network; other API errors;
    /// [`crate::Error::InvalidArgument`] for a value that is no network name or ID (docker
    /// allows `[A-Za-z0-9][A-Za-z0-9_.-]*`), before any request.
    pub async fn network_id(&self, id_or_name: &str) -> Result<String> {
        let valid = id_or_name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
            && id_or_name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if !valid {
            return Err(crate::Error::InvalidArgument {
                what: "network",
                message: format!("{id_or_name:?} is not a network name or ID"),
            });
        }
        let n: Network = self
            .get_json(
                &format!("/networks/{}", segment("network", id_or_name)?),
                &[("scope", "swarm".to_owned())],
            )
            .await?;
        Ok(n.id)
    }

    /// `DELETE /networks/{id}`.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] and other API errors.
    pub async fn network_remove(&self, id: &str) -> Result<()> {
        self.delete(&format!("/networks/{}", segment("network", id)?), &[])
            .await
    }
}
