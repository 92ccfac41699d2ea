//! What swarm configs and secrets share: both are `{Name, Labels, Data}` objects stored under
//! `/configs` or `/secrets` with the same create, list, inspect and remove endpoints.

use std::collections::BTreeMap;

use base64::Engine as _;

use crate::client::{Client, filters_query};
use crate::error::Result;
use crate::models::{IdResponse, SwarmObject};
use crate::path::segment;

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
