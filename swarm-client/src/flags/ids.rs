//! The names a flag set looks up and the IDs they resolve to, and the docker client
//! library's image-tag rule: data shared by the offline flag code and the Client side.

use std::collections::BTreeMap;

use registry_client::reference::Reference;

/// The names a flag set refers to that the docker CLI looks up through the Engine API.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectNames {
    /// Secret names.
    pub secrets: Vec<String>,
    /// Config names.
    pub configs: Vec<String>,
    /// Network names or IDs.
    pub networks: Vec<String>,
}

impl ObjectNames {
    /// Whether there is nothing to look up.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty() && self.configs.is_empty() && self.networks.is_empty()
    }
}

/// Name → ID maps for the offline entry points ([`CreateFlags::to_spec_with`](super::CreateFlags::to_spec_with),
/// [`UpdateFlags::apply`](super::UpdateFlags::apply));
/// [`Client::lookup_object_ids`](crate::Client::lookup_object_ids) fills one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectIds {
    /// Secret name → ID.
    pub secrets: BTreeMap<String, String>,
    /// Config name → ID.
    pub configs: BTreeMap<String, String>,
    /// Network name (or ID, as given) → ID.
    pub networks: BTreeMap<String, String>,
}

impl ObjectIds {
    /// No IDs.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// With the ID of secret `name`.
    #[must_use]
    pub fn secret(mut self, name: impl Into<String>, id: impl Into<String>) -> Self {
        self.secrets.insert(name.into(), id.into());
        self
    }

    /// With the ID of config `name`.
    #[must_use]
    pub fn config(mut self, name: impl Into<String>, id: impl Into<String>) -> Self {
        self.configs.insert(name.into(), id.into());
        self
    }

    /// With the ID of network `name`.
    #[must_use]
    pub fn network(mut self, name: impl Into<String>, id: impl Into<String>) -> Self {
        self.networks.insert(name.into(), id.into());
        self
    }
}

/// The docker client library's `imageWithTagString`: the familiar reference with `:latest`
/// added when it has neither tag nor digest; an image that is no valid reference as it is.
pub(crate) fn tag_name_only(image: &str) -> String {
    match Reference::parse(image) {
        Ok(r) if r.tag().is_none() && r.digest().is_none() => r
            .with_tag(registry_client::reference::DEFAULT_TAG)
            .map_or_else(|_| image.to_owned(), |t| t.familiar()),
        Ok(r) => r.familiar(),
        Err(_) => image.to_owned(),
    }
}
