//! The image store's records, without the operations on the daemon's state (those are in
//! `images.rs`): images with their config blob and layers, and the registries' contents.

use std::collections::{BTreeMap, HashSet};

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use registry_client::digest::Digest;
use registry_client::reference::Reference;

use crate::models::ImageConfig;

/// `rootfs` of an image config blob.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub(crate) struct ConfigRootFs {
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) diff_ids: Vec<String>,
}

/// An image config blob (`application/vnd.docker.container.image.v1+json`), typed; fields the
/// fake does not read stay in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub(crate) struct ConfigBlob {
    pub(crate) architecture: String,
    pub(crate) os: String,
    pub(crate) created: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub(crate) author: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub(crate) parent: String,
    pub(crate) config: ImageConfig,
    pub(crate) rootfs: ConfigRootFs,
    #[serde(flatten)]
    pub(crate) extra: BTreeMap<String, Value>,
}

/// A layer: its diff ID and its uncompressed tar.
#[derive(Debug, Clone)]
pub(crate) struct LayerRecord {
    pub(crate) diff_id: String,
    pub(crate) tar: Bytes,
    /// Bytes of the files it holds (what dockerd counts as the image's size).
    pub(crate) size: i64,
}

impl LayerRecord {
    /// A layer of `tar` (its diff ID computed, its files' sizes summed).
    pub(crate) fn new(tar: Bytes) -> Self {
        let size = tar::Archive::new(&tar[..])
            .entries()
            .map(|es| {
                es.filter_map(Result::ok)
                    .filter(|e| e.header().entry_type().is_file())
                    .map(|e| i64::try_from(e.size()).unwrap_or(i64::MAX))
                    .sum()
            })
            .unwrap_or(0);
        Self {
            diff_id: Digest::sha256_of(&tar).to_string(),
            tar,
            size,
        }
    }
}

/// An image in the daemon.
#[derive(Debug, Clone)]
pub(crate) struct ImageRecord {
    /// `sha256:…` of `config_json`.
    pub(crate) id: String,
    /// The config blob as stored.
    pub(crate) config_json: Bytes,
    /// The config blob, typed.
    pub(crate) config: ConfigBlob,
    pub(crate) layers: Vec<LayerRecord>,
    /// The image it was built on (builds only), else empty.
    pub(crate) parent: String,
    /// `name:tag`, familiar form (`busybox:latest`, `127.0.0.1:5000/web:1`).
    pub(crate) repo_tags: Vec<String>,
    /// `name@sha256:…` of the manifests it was pushed or pulled as.
    pub(crate) repo_digests: Vec<String>,
    pub(crate) last_tag_time: String,
    /// What a build with the same base, steps, context and options would be (the cache).
    pub(crate) build_key: Option<String>,
}

impl ImageRecord {
    /// An image of `config_json` (refused when it is not an image config) and its layers.
    pub(crate) fn new(config_json: Bytes, layers: Vec<LayerRecord>) -> Result<Self, String> {
        let config: ConfigBlob = serde_json::from_slice(&config_json)
            .map_err(|e| format!("invalid image config: {e}"))?;
        let diff_ids: Vec<&str> = layers.iter().map(|l| l.diff_id.as_str()).collect();
        if config.rootfs.diff_ids != diff_ids {
            return Err(format!(
                "layers do not match the config's diff IDs: {:?} != {:?}",
                diff_ids, config.rootfs.diff_ids
            ));
        }
        Ok(Self {
            id: Digest::sha256_of(&config_json).to_string(),
            parent: config.parent.clone(),
            config_json,
            config,
            layers,
            repo_tags: Vec::new(),
            repo_digests: Vec::new(),
            last_tag_time: "0001-01-01T00:00:00Z".to_owned(),
            build_key: None,
        })
    }

    /// The regular files of its layers by path (upper layers win).
    pub(crate) fn files(&self) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        for l in &self.layers {
            let mut a = tar::Archive::new(&l.tar[..]);
            let Ok(entries) = a.entries() else { continue };
            for mut e in entries.filter_map(Result::ok) {
                if !e.header().entry_type().is_file() {
                    continue;
                }
                let Ok(path) = e.path().map(|p| p.to_string_lossy().into_owned()) else {
                    continue;
                };
                let mut data = Vec::new();
                if std::io::Read::read_to_end(&mut e, &mut data).is_ok() {
                    out.insert(path, data);
                }
            }
        }
        out
    }

    /// Bytes of the files of its layers.
    pub(crate) fn size(&self) -> i64 {
        self.layers.iter().map(|l| l.size).sum()
    }

    /// The ID as dockerd's messages show it: the first 12 hex digits.
    pub(crate) fn short_id(&self) -> String {
        crate::images::short_id(&self.id, false)
    }

    /// Whether it has neither tags nor digests.
    pub(crate) fn is_dangling(&self) -> bool {
        self.repo_tags.is_empty() && self.repo_digests.is_empty()
    }

    /// Creation time, Unix seconds (0 when unreadable).
    pub(crate) fn created_secs(&self) -> i64 {
        parse_rfc3339_secs(&self.config.created).unwrap_or(0)
    }
}

/// Seconds of an RFC 3339 UTC time (`2026-12-06T11:24:03.08Z`).
pub(crate) fn parse_rfc3339_secs(s: &str) -> Option<i64> {
    let (date, time) = s.split_once('T')?;
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let time = time.trim_end_matches('Z');
    let time = time.split(['.', '+']).next()?;
    let mut t = time.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (h, mi, sec) = (t.next()??, t.next()??, t.next()??);
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + sec)
}

/// A manifest a registry holds for `name:tag`.
#[derive(Debug, Clone)]
pub(crate) struct RemoteImage {
    /// The manifest's digest.
    pub(crate) digest: String,
    pub(crate) config_json: Bytes,
    pub(crate) layers: Vec<LayerRecord>,
}

/// What the fake's registries hold: manifests by `name:tag` (familiar form) and the layers
/// each repository has.
#[derive(Debug, Clone, Default)]
pub(crate) struct Registries {
    pub(crate) tags: BTreeMap<String, RemoteImage>,
    pub(crate) blobs: HashSet<(String, String)>,
}

/// A reference as dockerd stores it: `(familiar repository, tag or @digest suffix)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LocalRef {
    pub(crate) repo: String,
    /// `:tag` or `@sha256:…`.
    pub(crate) suffix: String,
}

impl LocalRef {
    /// `name` parsed with docker's grammar (`latest` when it has neither tag nor digest).
    pub(crate) fn parse(name: &str) -> Option<Self> {
        let r = Reference::parse(name).ok()?;
        let suffix = match (r.digest(), r.tag()) {
            (Some(d), _) => format!("@{d}"),
            (None, Some(t)) => format!(":{t}"),
            (None, None) => ":latest".to_owned(),
        };
        Some(Self {
            repo: r.familiar_name(),
            suffix,
        })
    }

    /// Whether it names a digest.
    pub(crate) fn is_digest(&self) -> bool {
        self.suffix.starts_with('@')
    }
}

impl std::fmt::Display for LocalRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.repo, self.suffix)
    }
}

/// The repository of a stored `name:tag` or `name@digest`.
pub(crate) fn repo_of(reference: &str) -> &str {
    if let Some((repo, _)) = reference.split_once('@') {
        return repo;
    }
    match reference.rfind(':') {
        Some(i) if !reference[i..].contains('/') => &reference[..i],
        _ => reference,
    }
}

/// Why the fake refused an image operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ImageRefusal {
    /// `No such image: NAME`.
    NoSuchImage(String),
    /// By ID, tagged in several repositories, without force.
    MustForce(String),
    /// By ID, other images are built on it.
    HasChildren(String),
}
