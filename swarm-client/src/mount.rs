//! The docker CLI's `--mount` grammar ([`MountSpec`]) and the Engine API `Mount` model ([`Mount`]).
//!
//! A `--mount` value is one CSV record (Go `encoding/csv` rules: a field holding commas or quotes
//! is double-quoted whole, `""` inside quotes is one quote) of `key=value` fields. The parser
//! accepts exactly what docker CLI 28 accepts, rejects what it rejects with the CLI's reason text,
//! and produces the same Engine API `Mount` JSON (same `omitempty` behaviour).
//!
//! ```
//! use swarm_client::mount::MountSpec;
//!
//! let spec: MountSpec = "type=volume,source=www,target=/usr/share/nginx/html,\
//!     \"volume-opt=o=addr=127.0.0.1,nfsvers=4\",volume-opt=type=nfs,volume-nocopy"
//!     .parse()
//!     .unwrap();
//! assert_eq!(spec.mount().target, "/usr/share/nginx/html");
//! // Display writes a string the docker CLI accepts and that parses back to an equal value.
//! assert_eq!(spec.to_string().parse::<MountSpec>().unwrap(), spec);
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::serde_util::{is_false, is_zero};
use crate::string_enum::string_enum;

string_enum! {
    /// The type of a mount (`type=` of `--mount`); unknown values are kept as they are.
    MountType {
        /// `bind`: a host path.
        Bind = "bind",
        /// `volume`: a named or anonymous volume (the default).
        Volume = "volume",
        /// `tmpfs`: a tmpfs.
        Tmpfs = "tmpfs",
        /// `npipe`: a Windows named pipe.
        Npipe = "npipe",
        /// `cluster`: a cluster (CSI) volume.
        Cluster = "cluster",
        /// `image`: a path of an image.
        Image = "image",
    }
}

impl Default for MountType {
    /// `volume`, the CLI's default.
    fn default() -> Self {
        Self::Volume
    }
}

/// The Engine API `Mount` object (`api/types/mount.Mount`), as the docker CLI sends it.
///
/// Fields that Go marks `omitempty` are left out when empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct Mount {
    /// `Type`.
    #[serde(default)]
    pub r#type: MountType,
    /// `Source`: host path, volume name, image reference …
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    /// `Target`: the path in the container.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target: String,
    /// `ReadOnly`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub read_only: bool,
    /// `Consistency` (`default`, `consistent`, `cached`, `delegated`; passed through).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub consistency: String,
    /// `BindOptions`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bind_options: Option<BindOptions>,
    /// `VolumeOptions`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_options: Option<VolumeOptions>,
    /// `ImageOptions`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_options: Option<ImageOptions>,
    /// `TmpfsOptions`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tmpfs_options: Option<TmpfsOptions>,
    /// Fields this crate does not model (e.g. `ClusterOptions`, tmpfs `Options`), kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// `BindOptions` of a bind mount.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct BindOptions {
    /// `Propagation` (`private`, `rprivate`, `shared`, …; passed through lower-cased).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub propagation: String,
    /// `NonRecursive` (`bind-recursive=disabled`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub non_recursive: bool,
    /// `CreateMountpoint` (not settable from `--mount`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub create_mountpoint: bool,
    /// `ReadOnlyNonRecursive` (`bind-recursive=writable`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub read_only_non_recursive: bool,
    /// `ReadOnlyForceRecursive` (`bind-recursive=readonly`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub read_only_force_recursive: bool,
    /// Fields this crate does not model (e.g. `ClusterOptions`, tmpfs `Options`), kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// `VolumeOptions` of a volume mount.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct VolumeOptions {
    /// `NoCopy`: do not copy the image's content into a new volume.
    #[serde(default, skip_serializing_if = "is_false")]
    pub no_copy: bool,
    /// `Labels` of the volume created.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// `Subpath` of the volume to mount.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subpath: String,
    /// `DriverConfig`: the volume driver and its options (`type`, `o`, `device` for NFS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver_config: Option<Driver>,
    /// Fields this crate does not model (e.g. `ClusterOptions`, tmpfs `Options`), kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// A volume driver with options (`DriverConfig`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct Driver {
    /// `Name` of the driver (`local` when empty).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// `Options` passed to the driver.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
    /// Fields this crate does not model (e.g. `ClusterOptions`, tmpfs `Options`), kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// `ImageOptions` of an image mount.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct ImageOptions {
    /// `Subpath` of the image to mount.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subpath: String,
    /// Fields this crate does not model (e.g. `ClusterOptions`, tmpfs `Options`), kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// `TmpfsOptions` of a tmpfs mount.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct TmpfsOptions {
    /// `SizeBytes` (`tmpfs-size`, with units like the CLI: `64m`, `1g`, `512KiB`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub size_bytes: i64,
    /// `Mode` (`tmpfs-mode`, octal in the CLI, a number in JSON).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub mode: u32,
    /// Fields this crate does not model (e.g. `ClusterOptions`, tmpfs `Options`), kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// Why a `--mount` value was rejected. The `Display` text is the docker CLI's reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MountError {
    /// The value is not one valid CSV record.
    #[error(transparent)]
    Csv(#[from] sdk_grammar::Error),
    /// A field without `=` that is not a boolean flag.
    #[error("invalid field '{field}' must be a key=value pair")]
    NotKeyValue {
        /// The field as written.
        field: String,
    },
    /// A key the CLI does not know.
    #[error("unexpected key '{key}' in '{field}'")]
    UnexpectedKey {
        /// The key, lower-cased.
        key: String,
        /// The field as written.
        field: String,
    },
    /// A value that does not parse (boolean, size, octal mode).
    #[error("invalid value for {key}: {value}")]
    InvalidValue {
        /// The key, lower-cased.
        key: String,
        /// The value as written.
        value: String,
    },
    /// A `bind-recursive` value other than enabled/disabled/writable/readonly.
    #[error(
        "invalid value for {key}: {value} (must be \"enabled\", \"disabled\", \"writable\", or \"readonly\")"
    )]
    InvalidBindRecursive {
        /// The key, lower-cased.
        key: String,
        /// The value as written.
        value: String,
    },
    /// `type=` with an empty value.
    #[error("type is required")]
    TypeRequired,
    /// No (or an empty) target.
    #[error("target is required")]
    TargetRequired,
    /// Options of one mount type used with another type.
    #[error("cannot mix '{prefix}-*' options with mount type '{mount_type}'")]
    MixedOptions {
        /// `volume`, `image`, `bind` or `tmpfs`.
        prefix: &'static str,
        /// The mount's type.
        mount_type: String,
    },
    /// `bind-recursive=writable` without `readonly`.
    #[error("option 'bind-recursive=writable' requires 'readonly' to be specified in conjunction")]
    WritableNeedsReadonly,
    /// `bind-recursive=readonly` without `readonly`.
    #[error("option 'bind-recursive=readonly' requires 'readonly' to be specified in conjunction")]
    ForceReadonlyNeedsReadonly,
    /// `bind-recursive=readonly` without `bind-propagation=rprivate`.
    #[error(
        "option 'bind-recursive=readonly' requires 'bind-propagation=rprivate' to be specified in conjunction"
    )]
    ForceReadonlyNeedsRprivate,
    /// A [`Mount`] that no `--mount` string produces (e.g. a relative source starting with `.`, an empty label
    /// key), so it cannot become a [`MountSpec`].
    #[error("mount cannot be written as a --mount value: {reason}")]
    NotRepresentable {
        /// What does not fit.
        reason: String,
    },
}

/// One parsed `--mount` value: an Engine API [`Mount`] that some `--mount` string produces.
///
/// - [`FromStr`] accepts exactly what docker CLI 28 accepts (errors carry the CLI's reason).
///   Like the CLI (28.2), a relative source starting with `.` (`.`, `./x`, `../x`) is made
///   absolute against the current directory.
/// - [`Display`](fmt::Display) writes a `--mount` string the CLI accepts; it parses back to an
///   equal value.
/// - Serde: serialises as the Engine API `Mount` JSON; deserialises from that JSON or from a
///   `--mount` string, validated either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountSpec(Mount);

impl MountSpec {
    /// The Engine API mount.
    #[must_use]
    pub fn mount(&self) -> &Mount {
        &self.0
    }

    /// The Engine API mount, by value.
    #[must_use]
    pub fn into_mount(self) -> Mount {
        self.0
    }
}

impl From<MountSpec> for Mount {
    fn from(spec: MountSpec) -> Self {
        spec.0
    }
}

impl FromStr for MountSpec {
    type Err = MountError;

    #[allow(clippy::too_many_lines)] // one arm per key, mirroring the CLI's switch
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let fields = sdk_grammar::csv::read_values(value)?;
        let mut m = Mount::default();
        let bool_val = |key: &str, val: &str| {
            sdk_grammar::go::parse_bool(val).map_err(|_| MountError::InvalidValue {
                key: key.to_owned(),
                value: val.to_owned(),
            })
        };
        fn vol(m: &mut Mount) -> &mut VolumeOptions {
            let v = m.volume_options.get_or_insert_with(VolumeOptions::default);
            v.driver_config.get_or_insert_with(Driver::default);
            v
        }
        fn set_on_map(map: &mut BTreeMap<String, String>, value: &str) {
            let (k, v) = value.split_once('=').unwrap_or((value, ""));
            if !k.is_empty() {
                map.insert(k.to_owned(), v.to_owned());
            }
        }
        for field in &fields {
            let (key, val) = match field.split_once('=') {
                Some((k, v)) => (k.to_lowercase(), Some(v)),
                None => (field.to_lowercase(), None),
            };
            let Some(val) = val else {
                match key.as_str() {
                    "readonly" | "ro" => m.read_only = true,
                    "volume-nocopy" => vol(&mut m).no_copy = true,
                    "bind-nonrecursive" => {
                        m.bind_options
                            .get_or_insert_with(BindOptions::default)
                            .non_recursive = true;
                    }
                    _ => {
                        return Err(MountError::NotKeyValue {
                            field: field.clone(),
                        });
                    }
                }
                continue;
            };
            match key.as_str() {
                "type" => m.r#type = MountType::from(val.to_lowercase()),
                "source" | "src" => {
                    m.source = val.to_owned();
                    // docker 28's MountOpt: a relative source starting with `.` (`.`, `./x`,
                    // `../x`, `.x`) is made absolute against the working directory.
                    if !val.starts_with('/')
                        && val.starts_with('.')
                        && let Some(cwd) = std::env::current_dir()
                            .ok()
                            .as_ref()
                            .and_then(|c| c.to_str())
                    {
                        m.source = sdk_grammar::go::clean_path(&format!("{cwd}/{val}"));
                    }
                }
                "target" | "dst" | "destination" => m.target = val.to_owned(),
                "readonly" | "ro" => m.read_only = bool_val(&key, val)?,
                "consistency" => m.consistency = val.to_lowercase(),
                "bind-propagation" => {
                    m.bind_options
                        .get_or_insert_with(BindOptions::default)
                        .propagation = val.to_lowercase();
                }
                "bind-nonrecursive" => {
                    let b = bool_val(&key, val)?;
                    m.bind_options
                        .get_or_insert_with(BindOptions::default)
                        .non_recursive = b;
                }
                "bind-recursive" => match val {
                    "enabled" => {}
                    "disabled" => {
                        m.bind_options
                            .get_or_insert_with(BindOptions::default)
                            .non_recursive = true;
                    }
                    "writable" => {
                        m.bind_options
                            .get_or_insert_with(BindOptions::default)
                            .read_only_non_recursive = true;
                    }
                    "readonly" => {
                        m.bind_options
                            .get_or_insert_with(BindOptions::default)
                            .read_only_force_recursive = true;
                    }
                    _ => {
                        return Err(MountError::InvalidBindRecursive {
                            key,
                            value: val.to_owned(),
                        });
                    }
                },
                "volume-subpath" => vol(&mut m).subpath = val.to_owned(),
                "volume-nocopy" => {
                    let b = bool_val("volume-nocopy", val)?;
                    vol(&mut m).no_copy = b;
                }
                "volume-label" => set_on_map(&mut vol(&mut m).labels, val),
                "volume-driver" => {
                    if let Some(d) = vol(&mut m).driver_config.as_mut() {
                        d.name = val.to_owned();
                    }
                }
                "volume-opt" => {
                    if let Some(d) = vol(&mut m).driver_config.as_mut() {
                        set_on_map(&mut d.options, val);
                    }
                }
                "image-subpath" => {
                    m.image_options
                        .get_or_insert_with(ImageOptions::default)
                        .subpath = val.to_owned();
                }
                "tmpfs-size" => {
                    let size = sdk_grammar::units::ram_in_bytes(val).map_err(|_| {
                        MountError::InvalidValue {
                            key: key.clone(),
                            value: val.to_owned(),
                        }
                    })?;
                    m.tmpfs_options
                        .get_or_insert_with(TmpfsOptions::default)
                        .size_bytes = size;
                }
                "tmpfs-mode" => {
                    let mode = (!val.is_empty() && val.bytes().all(|c| (b'0'..=b'7').contains(&c)))
                        .then(|| u32::from_str_radix(val, 8).ok())
                        .flatten()
                        .ok_or_else(|| MountError::InvalidValue {
                            key: key.clone(),
                            value: val.to_owned(),
                        })?;
                    m.tmpfs_options
                        .get_or_insert_with(TmpfsOptions::default)
                        .mode = mode;
                }
                _ => {
                    return Err(MountError::UnexpectedKey {
                        key,
                        field: field.clone(),
                    });
                }
            }
        }
        validate(&m)?;
        Ok(Self(m))
    }
}

/// The CLI's checks after all fields are read.
fn validate(m: &Mount) -> Result<(), MountError> {
    if m.r#type.as_str().is_empty() {
        return Err(MountError::TypeRequired);
    }
    if m.target.is_empty() {
        return Err(MountError::TargetRequired);
    }
    let mix = |prefix| MountError::MixedOptions {
        prefix,
        mount_type: m.r#type.to_string(),
    };
    if m.volume_options.is_some() && m.r#type != MountType::Volume {
        return Err(mix("volume"));
    }
    if m.image_options.is_some() && m.r#type != MountType::Image {
        return Err(mix("image"));
    }
    if m.bind_options.is_some() && m.r#type != MountType::Bind {
        return Err(mix("bind"));
    }
    if m.tmpfs_options.is_some() && m.r#type != MountType::Tmpfs {
        return Err(mix("tmpfs"));
    }
    if let Some(b) = &m.bind_options {
        if b.read_only_non_recursive && !m.read_only {
            return Err(MountError::WritableNeedsReadonly);
        }
        if b.read_only_force_recursive {
            if !m.read_only {
                return Err(MountError::ForceReadonlyNeedsReadonly);
            }
            if b.propagation != "rprivate" {
                return Err(MountError::ForceReadonlyNeedsRprivate);
            }
        }
    }
    Ok(())
}

/// Writes one CSV field, quoting it when Go's reader would otherwise split or reject it.
fn write_field(out: &mut String, field: &str) {
    if !out.is_empty() {
        out.push(',');
    }
    if field.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

impl fmt::Display for MountSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = &self.0;
        let mut out = String::new();
        write_field(&mut out, &format!("type={}", m.r#type));
        if !m.source.is_empty() {
            write_field(&mut out, &format!("source={}", m.source));
        }
        write_field(&mut out, &format!("target={}", m.target));
        if m.read_only {
            write_field(&mut out, "readonly");
        }
        if !m.consistency.is_empty() {
            write_field(&mut out, &format!("consistency={}", m.consistency));
        }
        if let Some(b) = &m.bind_options {
            // `bind-propagation=` (possibly empty) creates the options object, like the CLI.
            write_field(&mut out, &format!("bind-propagation={}", b.propagation));
            if b.non_recursive {
                write_field(&mut out, "bind-recursive=disabled");
            }
            if b.read_only_non_recursive {
                write_field(&mut out, "bind-recursive=writable");
            }
            if b.read_only_force_recursive {
                write_field(&mut out, "bind-recursive=readonly");
            }
        }
        if let Some(v) = &m.volume_options {
            write_field(&mut out, &format!("volume-nocopy={}", v.no_copy));
            for (k, val) in &v.labels {
                write_field(&mut out, &format!("volume-label={k}={val}"));
            }
            if !v.subpath.is_empty() {
                write_field(&mut out, &format!("volume-subpath={}", v.subpath));
            }
            if let Some(d) = &v.driver_config {
                if !d.name.is_empty() {
                    write_field(&mut out, &format!("volume-driver={}", d.name));
                }
                for (k, val) in &d.options {
                    write_field(&mut out, &format!("volume-opt={k}={val}"));
                }
            }
        }
        if let Some(i) = &m.image_options {
            write_field(&mut out, &format!("image-subpath={}", i.subpath));
        }
        if let Some(t) = &m.tmpfs_options {
            // i64::MIN is what Go makes of an out-of-range size; 2^63 reproduces it.
            if t.size_bytes == i64::MIN {
                write_field(&mut out, "tmpfs-size=9223372036854775808");
            } else {
                write_field(&mut out, &format!("tmpfs-size={}", t.size_bytes));
            }
            if t.mode != 0 {
                write_field(&mut out, &format!("tmpfs-mode={:o}", t.mode));
            }
        }
        f.write_str(&out)
    }
}

impl TryFrom<Mount> for MountSpec {
    type Error = MountError;

    /// Accepts a [`Mount`] that some `--mount` string produces: it passes the CLI's checks and
    /// writes out and reads back unchanged (after giving volume options a `DriverConfig`, as
    /// the CLI always does).
    fn try_from(mut m: Mount) -> Result<Self, Self::Error> {
        if let Some(v) = m.volume_options.as_mut() {
            v.driver_config.get_or_insert_with(Driver::default);
        }
        validate(&m)?;
        let candidate = Self(m);
        let text = candidate.to_string();
        match text.parse::<Self>() {
            Ok(back) if back == candidate => Ok(candidate),
            Ok(_) => Err(MountError::NotRepresentable {
                reason: format!("`{text}` reads back as a different mount"),
            }),
            Err(e) => Err(MountError::NotRepresentable {
                reason: e.to_string(),
            }),
        }
    }
}

impl Serialize for MountSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for MountSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Text(String),
            Json(Box<Mount>),
        }
        match Either::deserialize(d)? {
            Either::Text(s) => s.parse().map_err(serde::de::Error::custom),
            Either::Json(m) => Self::try_from(*m).map_err(serde::de::Error::custom),
        }
    }
}
