//! Networks: list, create (overlay, attachable), look up an ID, remove.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::client::{Client, filters_query};
use crate::error::Result;
use crate::models::{IdResponse, Network};
use crate::path::segment;

/// A network to create (`POST /networks/create`), with what `docker stack deploy` sets:
/// driver, driver options, labels, internal, attachable and IPAM.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct NetworkCreate {
    /// `Name`.
    pub name: String,
    /// `Driver` (`overlay` for swarm networks).
    pub driver: String,
    /// `Options` of the driver.
    pub options: BTreeMap<String, String>,
    /// `Labels`.
    pub labels: BTreeMap<String, String>,
    /// `Internal`: no outside connectivity.
    pub internal: bool,
    /// `Attachable`: standalone containers may join.
    pub attachable: bool,
    /// `IPAM`.
    #[serde(rename = "IPAM", skip_serializing_if = "Option::is_none")]
    pub ipam: Option<Ipam>,
}

impl NetworkCreate {
    /// A network `name` with driver `driver`.
    pub fn new(name: impl Into<String>, driver: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            driver: driver.into(),
            ..Self::default()
        }
    }
}

/// `IPAM` of a network.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct Ipam {
    /// `Driver` (`default` when empty).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub driver: String,
    /// `Config`: one entry per subnet.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub config: Vec<IpamConfig>,
}

/// One `IPAM.Config` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct IpamConfig {
    /// `Subnet` in CIDR form.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subnet: String,
}

impl IpamConfig {
    /// One subnet.
    pub fn subnet(subnet: impl Into<String>) -> Self {
        Self {
            subnet: subnet.into(),
        }
    }
}

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

    /// `POST /networks/create` with a full [`NetworkCreate`]; returns the ID. Sends
    /// `CheckDuplicate` so older daemons refuse a second network of the same name.
    ///
    /// # Errors
    /// [`crate::Error::Conflict`] when the name exists; other API errors.
    pub async fn network_create_with(&self, spec: &NetworkCreate) -> Result<String> {
        let mut body = serde_json::to_value(spec).map_err(|e| crate::Error::InvalidArgument {
            what: "network",
            message: e.to_string(),
        })?;
        body["CheckDuplicate"] = serde_json::Value::Bool(true);
        let r: IdResponse = self.post_json("/networks/create", &[], &body, &[]).await?;
        Ok(r.id)
    }

    /// `GET /networks/{id-or-name}` as the daemon returns it (any scope).
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] and other API errors.
    pub async fn network_inspect(&self, id_or_name: &str) -> Result<Network> {
        self.get_json(&format!("/networks/{id_or_name}"), &[]).await
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
