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
use crate::spec::string_enum;

string_enum! {
    /// The type of a mount (`type=` of `--mount`); unknown values are kept as they are.
    MountType {
        /// `bind`: a host path.
        Bind => "bind",
        /// `volume`: a named or anonymous volume (the default).
        Volume => "volume",
        /// `tmpfs`: a tmpfs.
        Tmpfs => "tmpfs",
        /// `npipe`: a Windows named pipe.
        Npipe => "npipe",
        /// `cluster`: a cluster (CSI) volume.
        Cluster => "cluster",
        /// `image`: a path of an image.
        Image => "image",
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
}

/// `ImageOptions` of an image mount.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct ImageOptions {
    /// `Subpath` of the image to mount.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subpath: String,
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
}

/// Why a `--mount` value was rejected. The `Display` text is the docker CLI's reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MountError {
    /// The value is not one valid CSV record.
    #[error(transparent)]
    Csv(#[from] CsvError),
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
    /// A [`Mount`] that no `--mount` string produces (e.g. a relative `./` source, an empty label
    /// key), so it cannot become a [`MountSpec`].
    #[error("mount cannot be written as a --mount value: {reason}")]
    NotRepresentable {
        /// What does not fit.
        reason: String,
    },
}

/// A CSV syntax error, worded like Go's `encoding/csv` (which the docker CLI uses).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CsvError {
    /// Empty input (Go's `io.EOF`).
    #[error("EOF")]
    Eof,
    /// A quote inside an unquoted field.
    #[error("{}", fmt_pos(*start_line, *line, *column, "bare \" in non-quoted-field"))]
    BareQuote {
        /// Line where the record starts (1-based).
        start_line: usize,
        /// Line of the error (1-based).
        line: usize,
        /// Column of the error (1-based, in bytes).
        column: usize,
    },
    /// A stray or missing quote in a quoted field.
    #[error("{}", fmt_pos(*start_line, *line, *column, "extraneous or missing \" in quoted-field"))]
    Quote {
        /// Line where the record starts (1-based).
        start_line: usize,
        /// Line of the error (1-based).
        line: usize,
        /// Column of the error (1-based, in bytes).
        column: usize,
    },
}

fn fmt_pos(start_line: usize, line: usize, column: usize, what: &str) -> String {
    if start_line == line {
        format!("parse error on line {line}, column {column}: {what}")
    } else {
        format!("record on line {start_line}; parse error on line {line}, column {column}: {what}")
    }
}

/// Splits one CSV record exactly like Go's `csv.NewReader(…).Read()` (what the docker CLI uses
/// for `--mount`, `--secret`, `--config`, `--network` values): a field with commas is
/// double-quoted whole, `""` is a quote inside a quoted field.
///
/// # Errors
/// [`CsvError`] with Go's text for a stray or missing quote or an empty input.
pub fn split_csv_record(input: &str) -> Result<Vec<String>, CsvError> {
    read_csv_record(input)
}

/// Reads the first record of `input` exactly like Go's `csv.NewReader(…).Read()` with default
/// settings (comma separator, no lazy quotes, no leading-space trimming).
pub(crate) fn read_csv_record(input: &str) -> Result<Vec<String>, CsvError> {
    // Lines as Go's readLine gives them: keep '\n', fold "\r\n" to "\n", drop a trailing '\r'
    // at EOF.
    fn read_line(rest: &mut &str, num_line: &mut usize) -> Option<String> {
        if rest.is_empty() {
            return None;
        }
        let (mut line, tail) = match rest.find('\n') {
            Some(i) => (rest[..=i].to_owned(), &rest[i + 1..]),
            None => {
                let mut l = (*rest).to_owned();
                if l.ends_with('\r') {
                    l.pop();
                }
                (l, "")
            }
        };
        *rest = tail;
        *num_line += 1;
        if line.ends_with("\r\n") {
            line.truncate(line.len() - 2);
            line.push('\n');
        }
        Some(line)
    }
    let nl = |l: &str| usize::from(l.ends_with('\n'));
    let mut rest = input;
    let mut lines_read = 0usize;

    // Skip empty lines; nothing left is Go's io.EOF.
    let mut cur = loop {
        match read_line(&mut rest, &mut lines_read) {
            None => return Err(CsvError::Eof),
            Some(l) if l.len() == nl(&l) => {}
            Some(l) => break l,
        }
    };
    let rec_line = lines_read;
    let mut pos_line = lines_read;
    let mut pos_col = 1usize;
    let mut off = 0usize;
    let mut fields = Vec::new();
    let mut buf = String::new();
    'field: loop {
        let l = &cur[off..];
        if !l.starts_with('"') {
            let i = l.find(',');
            let field = match i {
                Some(i) => &l[..i],
                None => &l[..l.len() - nl(l)],
            };
            if let Some(j) = field.find('"') {
                return Err(CsvError::BareQuote {
                    start_line: rec_line,
                    line: lines_read,
                    column: pos_col + j,
                });
            }
            fields.push(field.to_owned());
            if let Some(i) = i {
                off += i + 1;
                pos_col += i + 1;
                continue 'field;
            }
            break 'field;
        }
        // Quoted field.
        off += 1;
        pos_col += 1;
        buf.clear();
        loop {
            let l = &cur[off..];
            if let Some(i) = l.find('"') {
                buf.push_str(&l[..i]);
                off += i + 1;
                pos_col += i + 1;
                let l = &cur[off..];
                if l.starts_with('"') {
                    buf.push('"');
                    off += 1;
                    pos_col += 1;
                } else if l.starts_with(',') {
                    off += 1;
                    pos_col += 1;
                    fields.push(std::mem::take(&mut buf));
                    continue 'field;
                } else if nl(l) == l.len() {
                    fields.push(std::mem::take(&mut buf));
                    break 'field;
                } else {
                    return Err(CsvError::Quote {
                        start_line: rec_line,
                        line: lines_read,
                        column: pos_col - 1,
                    });
                }
            } else if !l.is_empty() {
                buf.push_str(l);
                pos_col += l.len();
                off = 0;
                if let Some(next) = read_line(&mut rest, &mut lines_read) {
                    pos_line += 1;
                    pos_col = 1;
                    cur = next;
                } else {
                    cur = String::new();
                }
            } else {
                // Abrupt end of input inside quotes.
                return Err(CsvError::Quote {
                    start_line: rec_line,
                    line: pos_line,
                    column: pos_col,
                });
            }
        }
    }
    Ok(fields)
}

/// Go's `strconv.ParseBool`.
pub(crate) fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// `github.com/docker/go-units.RAMInBytes` (v0.5): a number with an optional binary unit suffix
/// (`k`, `m`, `g`, `t`, `p`, optionally followed by `b` or `ib`, any case; a space may separate).
/// What the docker CLI reads `tmpfs-size=`, `--limit-memory` and `--reserve-memory` with.
///
/// ```
/// use swarm_client::mount::ram_in_bytes;
/// assert_eq!(ram_in_bytes("64m"), Some(64 << 20));
/// assert_eq!(ram_in_bytes("lots"), None);
/// ```
#[must_use]
pub fn ram_in_bytes(s: &str) -> Option<i64> {
    let sep = s.rfind(|c: char| c.is_ascii_digit() || c == '.' || c == ' ')?;
    let (num, sfx) = if s.as_bytes()[sep] == b' ' {
        (&s[..sep], &s[sep + 1..])
    } else {
        (&s[..=sep], &s[sep + 1..])
    };
    let size = parse_go_float(num)?;
    if size < 0.0 {
        return None;
    }
    let mul: f64 = if sfx.is_empty() {
        1.0
    } else {
        if sfx.len() > 3 {
            return None;
        }
        let sfx = sfx.to_ascii_lowercase();
        let b = sfx.as_bytes();
        if b[0] == b'b' {
            if b.len() > 1 {
                return None;
            }
            1.0
        } else {
            let m = match b[0] {
                b'k' => 1u64 << 10,
                b'm' => 1 << 20,
                b'g' => 1 << 30,
                b't' => 1 << 40,
                b'p' => 1 << 50,
                _ => return None,
            };
            if (b.len() == 2 && b[1] != b'b') || (b.len() == 3 && &sfx[1..] != "ib") {
                return None;
            }
            #[allow(clippy::cast_precision_loss)] // powers of two are exact
            {
                m as f64
            }
        }
    };
    Some(go_f64_to_i64(size * mul))
}

/// Go's float64 → int64 conversion on amd64: truncation, and the "integer indefinite" value
/// `i64::MIN` when out of range.
#[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
fn go_f64_to_i64(v: f64) -> i64 {
    if v.is_nan() || !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&v) {
        i64::MIN
    } else {
        v as i64
    }
}

/// A decimal float as Go's `strconv.ParseFloat` reads it (hex floats and `_` are not supported
/// and rejected; `inf`/`nan` cannot reach here because the number ends with a digit or `.`).
fn parse_go_float(s: &str) -> Option<f64> {
    if s.is_empty()
        || s.contains(['_', 'x', 'X', 'i', 'I', 'n', 'N'])
        || !s
            .bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    s.parse::<f64>().ok()
}

/// Go's `filepath.Clean` for Unix paths.
fn clean_path(p: &str) -> String {
    let rooted = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    let joined = out.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

/// One parsed `--mount` value: an Engine API [`Mount`] that some `--mount` string produces.
///
/// - [`FromStr`] accepts exactly what docker CLI 28 accepts (errors carry the CLI's reason).
///   Like the CLI, a source of `.` or starting with `./` is made absolute against the current
///   directory.
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
        let fields = read_csv_record(value)?;
        let mut m = Mount::default();
        let bool_val = |key: &str, val: &str| {
            parse_go_bool(val).ok_or_else(|| MountError::InvalidValue {
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
                    let cwd = std::env::current_dir().ok();
                    if let Some(cwd) = cwd.as_ref().and_then(|c| c.to_str())
                        && (val == "." || val.starts_with("./"))
                    {
                        m.source = clean_path(&format!("{cwd}/{val}"));
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
                    let size = ram_in_bytes(val).ok_or_else(|| MountError::InvalidValue {
                        key: key.clone(),
                        value: val.to_owned(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_like_go() {
        assert_eq!(read_csv_record("a,b").unwrap(), ["a", "b"]);
        assert_eq!(read_csv_record("\"a,b\",c").unwrap(), ["a,b", "c"]);
        assert_eq!(read_csv_record("\"a\"\"b\"").unwrap(), ["a\"b"]);
        assert_eq!(read_csv_record("a,").unwrap(), ["a", ""]);
        assert_eq!(read_csv_record("a\nb").unwrap(), ["a"]);
        assert_eq!(read_csv_record("\n\na").unwrap(), ["a"]);
        assert_eq!(read_csv_record("a\r").unwrap(), ["a"]);
        assert_eq!(read_csv_record("\"a\nb\"").unwrap(), ["a\nb"]);
        assert_eq!(read_csv_record(""), Err(CsvError::Eof));
        assert_eq!(read_csv_record("\n"), Err(CsvError::Eof));
        assert_eq!(
            read_csv_record("\"a,b").unwrap_err().to_string(),
            "parse error on line 1, column 5: extraneous or missing \" in quoted-field"
        );
        assert_eq!(
            read_csv_record("target=/x,a\"b").unwrap_err().to_string(),
            "parse error on line 1, column 12: bare \" in non-quoted-field"
        );
        assert_eq!(
            read_csv_record("target=80,protocol=\"tcp,mode=ingress\"")
                .unwrap_err()
                .to_string(),
            "parse error on line 1, column 20: bare \" in non-quoted-field"
        );
        assert_eq!(
            read_csv_record("\"a\"b").unwrap_err().to_string(),
            "parse error on line 1, column 3: extraneous or missing \" in quoted-field"
        );
        assert_eq!(
            read_csv_record("\"a\nb\"c").unwrap_err().to_string(),
            "record on line 1; parse error on line 2, column 2: extraneous or missing \" in quoted-field"
        );
        assert_eq!(
            read_csv_record("\"a\nb").unwrap_err().to_string(),
            "record on line 1; parse error on line 2, column 2: extraneous or missing \" in quoted-field"
        );
    }

    #[test]
    fn sizes_like_go_units() {
        assert_eq!(ram_in_bytes("1k"), Some(1024));
        assert_eq!(ram_in_bytes("1.5KiB"), Some(1536));
        assert_eq!(ram_in_bytes("64m"), Some(64 << 20));
        assert_eq!(ram_in_bytes("10 GB"), Some(10 << 30));
        assert_eq!(ram_in_bytes("100"), Some(100));
        assert_eq!(ram_in_bytes("100b"), Some(100));
        assert_eq!(ram_in_bytes("-1"), None);
        assert_eq!(ram_in_bytes("1kx"), None);
        assert_eq!(ram_in_bytes("k"), None);
        assert_eq!(ram_in_bytes("1kbb"), None);
    }

    #[test]
    fn clean_like_go() {
        assert_eq!(clean_path("/a/./b/../c/"), "/a/c");
        assert_eq!(clean_path("/a/."), "/a");
        assert_eq!(clean_path("/.."), "/");
    }
}
