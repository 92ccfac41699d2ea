//! Images in the daemon: `GET /images/json` summaries, `GET /images/{name}/json` inspect,
//! the replies of remove and prune. Read and written with the same types; fields this crate
//! does not model stay in `extra`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::serde_util::null_as_default;

/// One image of `GET /images/json` (`docker image ls`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct ImageSummary {
    /// `sha256:…` image ID (the config digest).
    #[serde(rename = "Id")]
    pub id: String,
    /// Parent image ID (images built by the classic builder), else empty.
    #[serde(rename = "ParentId")]
    pub parent_id: String,
    /// `name:tag` references (`null` from the daemon reads as empty).
    #[serde(deserialize_with = "null_as_default")]
    pub repo_tags: Vec<String>,
    /// `name@sha256:…` references of the manifests the image was pulled or pushed as.
    #[serde(deserialize_with = "null_as_default")]
    pub repo_digests: Vec<String>,
    /// Creation time, Unix seconds.
    pub created: i64,
    /// Size of the image's layers in bytes.
    pub size: i64,
    /// Bytes shared with other images (`-1` unless computed).
    pub shared_size: i64,
    /// Same as `size` on API 1.41.
    pub virtual_size: i64,
    /// Labels.
    #[serde(deserialize_with = "null_as_default")]
    pub labels: BTreeMap<String, String>,
    /// Containers using the image (`-1` unless computed).
    pub containers: i64,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// The parts of a container config an image carries (`Config` of an image inspect).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct ImageConfig {
    /// `USER`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub user: String,
    /// `ENV`, `KEY=value`.
    #[serde(
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub env: Vec<String>,
    /// `CMD`.
    #[serde(
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub cmd: Vec<String>,
    /// `ENTRYPOINT`.
    #[serde(
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub entrypoint: Vec<String>,
    /// `WORKDIR`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub working_dir: String,
    /// `LABEL`s.
    #[serde(
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub labels: BTreeMap<String, String>,
    /// `EXPOSE`d ports (`80/tcp` → `{}`).
    #[serde(
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub exposed_ports: BTreeMap<String, Value>,
    /// `VOLUME`s.
    #[serde(
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub volumes: BTreeMap<String, Value>,
    /// `STOPSIGNAL`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stop_signal: String,
    /// Fields this crate does not model (hostname, tty, healthcheck, …).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `RootFS` of an image: its layers' diff IDs (SHA-256 of each uncompressed layer tar), in
/// order, bottom first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct RootFs {
    /// `layers`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// `sha256:…` diff IDs.
    #[serde(deserialize_with = "null_as_default")]
    pub layers: Vec<String>,
}

/// `GET /images/{name}/json` (`docker image inspect`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct ImageInspect {
    /// `sha256:…` image ID.
    #[serde(rename = "Id")]
    pub id: String,
    /// `name:tag` references.
    #[serde(deserialize_with = "null_as_default")]
    pub repo_tags: Vec<String>,
    /// `name@sha256:…` references.
    #[serde(deserialize_with = "null_as_default")]
    pub repo_digests: Vec<String>,
    /// Parent image ID, else empty.
    pub parent: String,
    /// Commit message.
    pub comment: String,
    /// Creation time, RFC 3339.
    pub created: String,
    /// Docker version that built it.
    pub docker_version: String,
    /// `MAINTAINER` / author.
    pub author: String,
    /// The image's container config (`null` reads as the default).
    #[serde(deserialize_with = "null_as_default")]
    pub config: ImageConfig,
    /// `amd64`, `arm64`, …
    pub architecture: String,
    /// CPU variant (`v8`), when set.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub variant: String,
    /// `linux`.
    pub os: String,
    /// Size of the layers in bytes.
    pub size: i64,
    /// Same as `size` on API 1.41.
    pub virtual_size: i64,
    /// The layers.
    #[serde(rename = "RootFS")]
    pub root_fs: RootFs,
    /// Fields this crate does not model (container config of the last build step, graph
    /// driver data, metadata), verbatim.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// One line of the reply of `DELETE /images/{name}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct ImageDeleted {
    /// A reference that was removed (`Untagged: …`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub untagged: Option<String>,
    /// An image or layer ID that was deleted (`Deleted: sha256:…`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<String>,
}

/// The reply of `POST /images/prune`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct ImagePruneReport {
    /// What was untagged and deleted.
    #[serde(deserialize_with = "null_as_default")]
    pub images_deleted: Vec<ImageDeleted>,
    /// Bytes freed.
    pub space_reclaimed: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_and_inspect_decode_dockerd_replies_and_keep_unknown_fields() {
        let s: ImageSummary = serde_json::from_str(
            r#"{"Containers":-1,"Created":1700000000,"Id":"sha256:ab","Labels":null,
                "ParentId":"","RepoDigests":null,"RepoTags":["busybox:1"],"SharedSize":-1,
                "Size":1980000,"VirtualSize":1980000,"Future":1}"#,
        )
        .unwrap();
        assert_eq!(s.repo_tags, ["busybox:1"]);
        assert!(s.repo_digests.is_empty());
        assert_eq!(s.extra["Future"], 1);
        let back = serde_json::to_value(&s).unwrap();
        assert_eq!(back["Future"], 1);

        let i: ImageInspect = serde_json::from_str(
            r#"{"Id":"sha256:ab","RepoTags":[],"RepoDigests":[],"Parent":"","Comment":"",
                "Created":"2024-01-01T00:00:00Z","Container":"","ContainerConfig":{"Cmd":null},
                "DockerVersion":"20.10.24","Author":"","Config":{"Env":["PATH=/bin"],"Cmd":["sh"],
                "Hostname":""},"Architecture":"amd64","Os":"linux","Size":5,"VirtualSize":5,
                "GraphDriver":{"Data":null,"Name":"overlay2"},
                "RootFS":{"Type":"layers","Layers":["sha256:11","sha256:22"]},
                "Metadata":{"LastTagTime":"0001-01-01T00:00:00Z"}}"#,
        )
        .unwrap();
        assert_eq!(i.root_fs.layers, ["sha256:11", "sha256:22"]);
        assert_eq!(i.config.cmd, ["sh"]);
        assert_eq!(i.config.extra["Hostname"], "");
        assert_eq!(i.extra["GraphDriver"]["Name"], "overlay2");
        let back: ImageInspect = serde_json::from_value(serde_json::to_value(&i).unwrap()).unwrap();
        assert_eq!(back, i);
    }
}
