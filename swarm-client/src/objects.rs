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

/// The most bytes of data a swarm secret holds: swarmkit refuses `Data` of `MaxSecretSize`
/// (500 KiB) or more, and empty `Data` unless a secret store driver is named ("secret data must
/// be larger than 0 and less than 512000 bytes"), on every daemon.
/// [`Client::secret_create`] and [`Client::secret_create_with`] refuse more with
/// [`Error::DataTooLarge`](crate::Error::DataTooLarge) before sending anything.
///
/// A program reading the data from a file or a pipe can stop reading there:
///
/// ```no_run
/// use std::io::Read as _;
/// use swarm_client::secrets::MAX_SECRET_DATA;
///
/// let mut data = Vec::new();
/// std::io::stdin().take(MAX_SECRET_DATA as u64 + 1).read_to_end(&mut data)?;
/// if data.len() > MAX_SECRET_DATA {
///     eprintln!("more than the {MAX_SECRET_DATA} bytes a secret can hold");
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
pub const MAX_SECRET_DATA: usize = 500 * 1024 - 1;

/// The most bytes of data a swarm config holds: swarmkit refuses `Data` of `MaxConfigSize`
/// (1000 KiB) or more, and empty `Data` ("config data must be larger than 0 and less than
/// 1024000 bytes"). That is the limit of docker 23 and later and of the 20.10 daemon this crate
/// is tested against; older 20.10 builds stopped at 500 KiB and refuse more themselves.
/// [`Client::config_create`] and [`Client::config_create_with`] refuse more with
/// [`Error::DataTooLarge`](crate::Error::DataTooLarge) before sending anything.
///
/// ```
/// use swarm_client::configs::MAX_CONFIG_DATA;
///
/// let nginx_conf = b"events {}\nhttp { include /etc/nginx/conf.d/*.conf; }\n";
/// assert!(nginx_conf.len() <= MAX_CONFIG_DATA);
/// assert_eq!(MAX_CONFIG_DATA, 1_023_999);
/// ```
pub const MAX_CONFIG_DATA: usize = 1000 * 1024 - 1;

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

    /// The most bytes of data an object of this kind holds.
    fn max_data(self) -> usize {
        match self {
            Self::Config => MAX_CONFIG_DATA,
            Self::Secret => MAX_SECRET_DATA,
        }
    }

    /// Refuses data the swarm would refuse for being too large, before anything is sent.
    fn check_data(self, name: &str, data: &[u8]) -> Result<()> {
        let limit = self.max_data();
        if data.len() > limit {
            return Err(crate::Error::DataTooLarge {
                kind: self.what(),
                name: name.to_owned(),
                len: data.len(),
                limit,
            });
        }
        Ok(())
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
        kind.check_data(name, data)?;
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
        kind.check_data(&spec.name, &spec.data)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_up_to_the_swarm_limit_passes() {
        assert_eq!(MAX_SECRET_DATA, 511_999, "swarmkit: less than 500 KiB");
        assert_eq!(MAX_CONFIG_DATA, 1_023_999, "swarmkit: less than 1000 KiB");
        for kind in [Kind::Secret, Kind::Config] {
            let limit = kind.max_data();
            assert!(kind.check_data("x", &vec![b'x'; limit]).is_ok());
            let e = kind.check_data("x", &vec![b'x'; limit + 1]).unwrap_err();
            match &e {
                crate::Error::DataTooLarge {
                    kind: k,
                    name,
                    len,
                    limit: l,
                } => {
                    assert_eq!(
                        (*k, name.as_str(), *len, *l),
                        (kind.what(), "x", limit + 1, limit)
                    );
                }
                other => panic!("{other:?}"),
            }
            assert_eq!(
                e.to_string(),
                format!(
                    "{0} \"x\" has {1} bytes of data, more than the {limit} a swarm {0} can hold",
                    kind.what(),
                    limit + 1
                )
            );
        }
        // A secret's limit is below a config's: what fits a config may not fit a secret.
        let between = vec![0u8; MAX_SECRET_DATA + 1];
        assert!(Kind::Config.check_data("c", &between).is_ok());
        assert!(Kind::Secret.check_data("s", &between).is_err());
    }
}
