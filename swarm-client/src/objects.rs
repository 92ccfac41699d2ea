//! What swarm configs and secrets share: both are `{Name, Labels, Data}` objects stored under
//! `/configs` or `/secrets` with the same create, list, inspect and remove endpoints.

use std::collections::BTreeMap;

use base64::Engine as _;

use serde::Serialize;

use crate::client::{Client, filters_query};
use crate::error::Result;
use crate::models::{IdResponse, SwarmObject};
use crate::mount::Driver;
use crate::path::segment;

/// The spec of a config or secret to create or update (`ConfigSpec` / `SecretSpec`): name,
/// labels, data, and optionally a templating driver (`golang`) or, for secrets, a secret store
/// driver. `Debug` never shows the data.
#[derive(Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct ObjectCreate {
    /// `Name`.
    pub name: String,
    /// `Labels` (always sent, `{}` when empty).
    pub labels: BTreeMap<String, String>,
    /// `Data` (sent base64).
    #[serde(serialize_with = "base64_data")]
    pub data: Vec<u8>,
    /// `Driver` (secrets from a secret store plugin).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<Driver>,
    /// `Templating` driver.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub templating: Option<Driver>,
}

impl ObjectCreate {
    /// A spec with a name and data, no labels.
    pub fn new(name: impl Into<String>, data: impl Into<Vec<u8>>) -> Self {
        Self {
            name: name.into(),
            data: data.into(),
            ..Self::default()
        }
    }
}

impl std::fmt::Debug for ObjectCreate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectCreate")
            .field("name", &self.name)
            .field("labels", &self.labels)
            .field("data", &format_args!("<{} bytes>", self.data.len()))
            .field("driver", &self.driver)
            .field("templating", &self.templating)
            .finish()
    }
}

fn base64_data<S: serde::Serializer>(data: &[u8], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(data))
}

/// The kind of a stored swarm object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Config,
    Secret,
}

impl Kind {
    fn path(self) -> &'static str {
        match self {
            Self::Config => "/configs",
            Self::Secret => "/secrets",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Self::Config => "config",
            Self::Secret => "secret",
        }
    }
}

impl Client {
    pub(crate) async fn object_create(
        &self,
        kind: Kind,
        name: &str,
        data: &[u8],
        labels: &BTreeMap<String, String>,
    ) -> Result<String> {
        let body = serde_json::json!({
            "Name": name,
            "Labels": labels,
            "Data": base64::engine::general_purpose::STANDARD.encode(data),
        });
        let path = format!("{}/create", kind.path());
        let r: IdResponse = self.post_json(&path, &[], &body, &[]).await?;
        Ok(r.id)
    }

    pub(crate) async fn object_create_with(
        &self,
        kind: Kind,
        spec: &ObjectCreate,
    ) -> Result<String> {
        let path = format!("{}/create", kind.path());
        let r: IdResponse = self.post_json(&path, &[], spec, &[]).await?;
        Ok(r.id)
    }

    pub(crate) async fn object_update(
        &self,
        kind: Kind,
        id: &str,
        version: u64,
        spec: &ObjectCreate,
    ) -> Result<()> {
        let path = format!("{}/{}/update", kind.path(), segment(kind.what(), id)?);
        self.post_unit(&path, &[("version", version.to_string())], Some(spec), &[])
            .await
            .map(|_| ())
    }

    pub(crate) async fn object_list(
        &self,
        kind: Kind,
        filters: &[(&str, &str)],
    ) -> Result<Vec<SwarmObject>> {
        self.get_json(kind.path(), &filters_query(filters)).await
    }

    pub(crate) async fn object_inspect(&self, kind: Kind, id: &str) -> Result<SwarmObject> {
        let id = segment(kind.what(), id)?;
        self.get_json(&format!("{}/{id}", kind.path()), &[]).await
    }

    pub(crate) async fn object_remove(&self, kind: Kind, id: &str) -> Result<()> {
        let id = segment(kind.what(), id)?;
        self.delete(&format!("{}/{id}", kind.path()), &[]).await
    }

    /// The ID of the object named exactly `name` (the list filter matches prefixes too).
    pub(crate) async fn object_id_by_name(&self, kind: Kind, name: &str) -> Result<String> {
        self.object_list(kind, &[("name", name)])
            .await?
            .into_iter()
            .find(|o| o.spec.name == name)
            .map(|o| o.id)
            .ok_or_else(|| crate::Error::NotFound {
                endpoint: format!("GET {}", kind.path()),
                message: format!(
                    "{} not found: {name}",
                    match kind {
                        Kind::Config => "config",
                        Kind::Secret => "secret",
                    }
                ),
            })
    }
}
