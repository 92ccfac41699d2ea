//! NFS devices and Docker local-driver NFS volumes: driver options, JSON, `docker volume
//! create` arguments, Compose `driver_opts`, volume names.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::options::NfsOptions;
use crate::text::{check_no_control, fnv1a64};

/// The file system type: `nfs` or `nfs4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FsType {
    /// `nfs` (the version comes from `nfsvers=`/`vers=` or negotiation).
    #[default]
    Nfs,
    /// `nfs4`.
    Nfs4,
}

impl FsType {
    /// The type's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nfs => "nfs",
            Self::Nfs4 => "nfs4",
        }
    }
}

impl fmt::Display for FsType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FsType {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "nfs" => Ok(Self::Nfs),
            "nfs4" => Ok(Self::Nfs4),
            _ => Err(Error::NotNfs {
                value: s.to_owned(),
            }),
        }
    }
}

/// An NFS device: `host:/path`, `[ipv6]:/path`, or `:/path` (the server then comes from
/// `addr=`, as Docker's local driver wants it).
///
/// The host is kept as written (an IP literal or a host name; names are allowed here because
/// a device is only text handed to mount). The path must be absolute and may hold spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Device {
    host: Option<String>,
    path: String,
}

impl Device {
    /// `:/path`: no server part.
    ///
    /// # Errors
    /// [`Error::RelativePath`] when `path` does not start with `/`;
    /// [`Error::InvalidCharacter`] for control characters.
    pub fn new(path: &str) -> Result<Self> {
        check_path(path)?;
        Ok(Self {
            host: None,
            path: path.to_owned(),
        })
    }

    /// `IP:/path` (`[IPv6]:/path`).
    ///
    /// # Errors
    /// As [`Device::new`].
    pub fn with_addr(addr: IpAddr, path: &str) -> Result<Self> {
        check_path(path)?;
        Ok(Self {
            host: Some(addr.to_string()),
            path: path.to_owned(),
        })
    }

    /// The server part as written (without IPv6 brackets), if any.
    #[must_use]
    pub fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }

    /// The server part as an IP address, when it is an IP literal.
    #[must_use]
    pub fn host_ip(&self) -> Option<IpAddr> {
        self.host.as_deref().and_then(|h| h.parse().ok())
    }

    /// The export path on the server.
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The same path with no server part.
    #[must_use]
    pub fn without_host(&self) -> Self {
        Self {
            host: None,
            path: self.path.clone(),
        }
    }
}

fn check_path(path: &str) -> Result<()> {
    if !path.starts_with('/') {
        return Err(Error::RelativePath {
            what: "export path",
            value: path.to_owned(),
        });
    }
    check_no_control("export path", path)
}

fn valid_hostname(h: &str) -> bool {
    !h.is_empty()
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        && !h.starts_with(['-', '.'])
}

impl FromStr for Device {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let (host, path) = if let Some(rest) = s.strip_prefix('[') {
            let (h, p) = rest.split_once("]:").ok_or_else(|| Error::InvalidHost {
                value: s.to_owned(),
            })?;
            if h.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(Error::InvalidHost {
                    value: h.to_owned(),
                });
            }
            (Some(h), p)
        } else {
            if let Some((h, _)) = s.rsplit_once(":/")
                && h.parse::<std::net::Ipv6Addr>().is_ok()
            {
                return Err(Error::InvalidHost {
                    value: h.to_owned(),
                });
            }
            let (h, p) = s.split_once(':').ok_or_else(|| Error::DeviceWithoutColon {
                value: s.to_owned(),
            })?;
            if h.is_empty() {
                (None, p)
            } else {
                let numeric = h.bytes().all(|b| b.is_ascii_digit() || b == b'.');
                if (numeric && h.parse::<std::net::Ipv4Addr>().is_err()) || !valid_hostname(h) {
                    return Err(Error::InvalidHost {
                        value: h.to_owned(),
                    });
                }
                (Some(h), p)
            }
        };
        check_path(path)?;
        Ok(Self {
            host: host.map(str::to_owned),
            path: path.to_owned(),
        })
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.host {
            Some(h) if h.contains(':') => write!(f, "[{h}]:{}", self.path),
            Some(h) => write!(f, "{h}:{}", self.path),
            None => write!(f, ":{}", self.path),
        }
    }
}

/// Docker local-driver options in order: what `docker volume create --opt`, a `--mount`
/// string's `volume-opt=`, `docker volume inspect`'s `Options` and a Compose `driver_opts` map
/// hold.
///
/// Serialises as a map in this order (so JSON is `{"type":"nfs","o":"…","device":":/www"}`)
/// and deserialises from any map, keeping the order it was given in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DriverOpts(Vec<(String, String)>);

impl DriverOpts {
    /// From key/value pairs, in order (not checked: [`NfsVolume::try_from`] checks).
    #[must_use]
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// The pairs in order.
    #[must_use]
    pub fn as_slice(&self) -> &[(String, String)] {
        &self.0
    }

    /// The pairs in order.
    #[must_use]
    pub fn into_vec(self) -> Vec<(String, String)> {
        self.0
    }

    /// The value of `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// JSON object text in order, e.g. `{"type":"nfs","o":"addr=…","device":":/www"}`.
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut out = String::from("{");
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json_str(&mut out, k);
            out.push(':');
            json_str(&mut out, v);
        }
        out.push('}');
        out
    }
}

fn json_str(out: &mut String, s: &str) {
    use std::fmt::Write as _;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `key: value` of one YAML line (both sides unquoted); `None` when malformed.
fn split_yaml_pair(line: &str) -> Option<(String, String)> {
    let (key, rest) = if line.starts_with(['"', '\'']) {
        let (k, rest) = yaml_scalar_quoted(line)?;
        (k, rest.strip_prefix(':')?)
    } else {
        let at = line
            .find(": ")
            .or_else(|| line.strip_suffix(':').map(str::len))?;
        (line[..at].trim_end().to_owned(), &line[at + 1..])
    };
    if key.is_empty() {
        return None;
    }
    let rest = rest.trim();
    let value = if rest.starts_with(['"', '\'']) {
        let (v, after) = yaml_scalar_quoted(rest)?;
        let after = after.trim_start();
        if !(after.is_empty() || after.starts_with('#')) {
            return None;
        }
        v
    } else {
        // a plain scalar, up to a ` #` comment
        let v = rest.split(" #").next().unwrap_or_default().trim_end();
        if v.starts_with(['&', '*', '{', '[', '|', '>', '!']) {
            return None;
        }
        v.to_owned()
    };
    Some((key, value))
}

/// A double-quoted (JSON-style escapes) or single-quoted (`''` for `'`) YAML scalar at the
/// start of `s`: the value and the rest of `s` after the closing quote.
fn yaml_scalar_quoted(s: &str) -> Option<(String, &str)> {
    let mut chars = s.char_indices();
    let (_, q) = chars.next()?;
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        match (q, c) {
            ('\'', '\'') => {
                if s[i + 1..].starts_with('\'') {
                    out.push('\'');
                    chars.next();
                } else {
                    return Some((out, &s[i + 1..]));
                }
            }
            ('"', '"') => return Some((out, &s[i + 1..])),
            ('"', '\\') => {
                let (_, e) = chars.next()?;
                match e {
                    '"' => out.push('"'),
                    '\\' => out.push('\\'),
                    '/' => out.push('/'),
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'u' => {
                        let hex: String = (0..4)
                            .filter_map(|_| chars.next().map(|(_, h)| h))
                            .collect();
                        out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                    }
                    _ => return None,
                }
            }
            _ => out.push(c),
        }
    }
    None
}

impl serde::Serialize for DriverOpts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> serde::Deserialize<'de> for DriverOpts {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = DriverOpts;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of string driver options")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<DriverOpts, A::Error> {
                let mut v = Vec::new();
                while let Some((k, val)) = map.next_entry::<String, String>()? {
                    v.push((k, val));
                }
                Ok(DriverOpts(v))
            }
        }
        d.deserialize_map(V)
    }
}

/// A key of the local driver's NFS options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum DriverKey {
    Type,
    O,
    Device,
}

/// An NFS volume of Docker's `local` driver: file system type, mount options (holding
/// `addr=`) and device.
///
/// Renders as [`DriverOpts`] (`type`, `o`, `device`), JSON, `docker volume create`
/// arguments, a Compose volume, a `--mount` string ([`crate::NfsMount`]), an fstab line
/// ([`crate::FstabEntry`]) and mount(8) arguments ([`crate::MountCommand`]); parsed back
/// from each. A volume parsed from driver options keeps their order; one built in code
/// renders in canonical order `type`, `o`, `device` with `addr=` first in `o`.
///
/// Rules: the type is `nfs` or `nfs4`; the device has a `:`; a device with no server part
/// needs `addr=` in the options ([`Error::MissingAddr`]); the options follow
/// [`NfsOptions`]' rules.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NfsVolume {
    fs_type: FsType,
    options: NfsOptions,
    device: Device,
    /// Key order when parsed and different from the canonical order.
    order: Option<Vec<DriverKey>>,
}

impl NfsVolume {
    /// A volume `type=nfs`, `o=addr=ADDR`, `device=:PATH`.
    ///
    /// # Errors
    /// [`Error::RelativePath`] and [`Error::InvalidCharacter`] for a bad path.
    pub fn new(addr: IpAddr, path: &str) -> Result<Self> {
        Self::builder(addr, path).build()
    }

    /// Starts a builder for a volume on server `addr`, export `path`.
    pub fn builder(addr: IpAddr, path: impl Into<String>) -> NfsVolumeBuilder {
        NfsVolumeBuilder {
            addr,
            path: path.into(),
            fs_type: FsType::Nfs,
            options: String::new(),
        }
    }

    /// From parts, checked. `options` is used as given (no reordering).
    ///
    /// # Errors
    /// [`Error::MissingAddr`] when the device has no host and `options` no `addr=`.
    pub fn from_parts(fs_type: FsType, options: NfsOptions, device: Device) -> Result<Self> {
        let v = Self {
            fs_type,
            options,
            device,
            order: None,
        };
        v.check()?;
        Ok(v)
    }

    fn check(&self) -> Result<()> {
        check_parts(self.fs_type, &self.device, &self.options)
    }

    /// The file system type.
    #[must_use]
    pub fn fs_type(&self) -> FsType {
        self.fs_type
    }

    /// The mount options (the `o=` value).
    #[must_use]
    pub fn options(&self) -> &NfsOptions {
        &self.options
    }

    /// The device (`:/www`).
    #[must_use]
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The server's address: `addr=` or else the device's host if it is an IP literal.
    #[must_use]
    pub fn addr(&self) -> Option<IpAddr> {
        self.options.addr().or_else(|| self.device.host_ip())
    }

    /// The export path on the server.
    #[must_use]
    pub fn path(&self) -> &str {
        self.device.path()
    }

    fn keys(&self) -> Vec<DriverKey> {
        self.order.clone().unwrap_or_else(|| self.canonical_keys())
    }

    fn canonical_keys(&self) -> Vec<DriverKey> {
        if self.options.is_empty() {
            vec![DriverKey::Type, DriverKey::Device]
        } else {
            vec![DriverKey::Type, DriverKey::O, DriverKey::Device]
        }
    }

    /// The local driver's options, in order.
    #[must_use]
    pub fn driver_opts(&self) -> DriverOpts {
        DriverOpts(
            self.keys()
                .into_iter()
                .map(|k| match k {
                    DriverKey::Type => ("type".to_owned(), self.fs_type.to_string()),
                    DriverKey::O => ("o".to_owned(), self.options.to_string()),
                    DriverKey::Device => ("device".to_owned(), self.device.to_string()),
                })
                .collect(),
        )
    }

    /// The driver options as JSON text: `{"type":"nfs","o":"addr=…,…","device":":/www"}`.
    #[must_use]
    pub fn to_json(&self) -> String {
        self.driver_opts().to_json()
    }

    /// Arguments of `docker volume create` (without the leading `docker`):
    /// `volume create --driver local --opt type=nfs --opt o=… --opt device=:/www NAME`.
    #[must_use]
    pub fn volume_create_args(&self, name: &str) -> Vec<String> {
        let mut args: Vec<String> = ["volume", "create", "--driver", "local"]
            .map(str::to_owned)
            .into();
        for (k, v) in self.driver_opts().0 {
            args.push("--opt".to_owned());
            args.push(format!("{k}={v}"));
        }
        args.push(name.to_owned());
        args
    }

    /// Reads a `docker volume create …` command line back, split into words as a POSIX shell
    /// would (quotes and backslashes, as [`MountCommand`](crate::MountCommand)'s `FromStr`), then
    /// as [`NfsVolume::from_volume_create_args`].
    ///
    /// # Errors
    /// [`Error::VolumeCreateArgs`] for unbalanced quotes, and as
    /// [`NfsVolume::from_volume_create_args`].
    pub fn from_volume_create_command(line: &str) -> Result<(String, Self)> {
        let words = crate::text::shell_split(line).map_err(|reason| Error::VolumeCreateArgs {
            args: line.to_owned(),
            reason,
        })?;
        Self::from_volume_create_args(&words)
    }

    /// Reads `docker volume create` arguments back: an optional leading `docker`, then
    /// `volume create`, `--driver local` / `-d local` / `--driver=local` (optional),
    /// `--opt K=V` / `-o K=V` / `--opt=K=V`, and one volume name. Returns the name and the
    /// volume.
    ///
    /// # Errors
    /// [`Error::VolumeCreateArgs`] for other flags, a missing name or a driver other than
    /// `local`; the driver option rules of [`NfsVolume::try_from`].
    pub fn from_volume_create_args<S: AsRef<str>>(args: &[S]) -> Result<(String, Self)> {
        let all: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
        let err = |reason| Error::VolumeCreateArgs {
            args: all.join(" "),
            reason,
        };
        let mut it = all.iter().copied().peekable();
        if it.peek() == Some(&"docker") {
            it.next();
        }
        if it.next() != Some("volume") || it.next() != Some("create") {
            return Err(err("expected `volume create`"));
        }
        let mut opts = Vec::new();
        let mut name = None;
        while let Some(a) = it.next() {
            let (flag, inline) = match a.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f, Some(v)),
                _ => (a, None),
            };
            match flag {
                "--driver" | "-d" | "--opt" | "-o" => {
                    let v = match inline {
                        Some(v) => v,
                        None => it.next().ok_or_else(|| err("flag without a value"))?,
                    };
                    if matches!(flag, "--driver" | "-d") {
                        if v != "local" {
                            return Err(err("NFS volumes use the local driver"));
                        }
                    } else {
                        let (k, val) = v
                            .split_once('=')
                            .ok_or_else(|| err("--opt value without '='"))?;
                        opts.push((k.to_owned(), val.to_owned()));
                    }
                }
                f if f.starts_with('-') => return Err(err("unsupported flag")),
                n => {
                    if name.replace(n.to_owned()).is_some() {
                        return Err(err("more than one volume name"));
                    }
                }
            }
        }
        let name = name.ok_or_else(|| err("missing volume name"))?;
        Ok((name, Self::try_from(DriverOpts(opts))?))
    }

    /// A Compose top-level `volumes:` entry for this volume (YAML, strings double-quoted):
    ///
    /// ```text
    /// NAME:
    ///   driver: local
    ///   driver_opts:
    ///     type: "nfs"
    ///     o: "addr=192.168.1.220,nfsvers=4"
    ///     device: ":/www"
    /// ```
    ///
    /// The `driver_opts` map itself is [`NfsVolume::driver_opts`], which any serde format
    /// (e.g. a YAML crate) reads back in order.
    #[must_use]
    pub fn compose_yaml(&self, name: &str) -> String {
        let mut out = String::new();
        json_str(&mut out, name);
        out.push_str(":\n  driver: local\n  driver_opts:\n");
        for (k, v) in self.driver_opts().0 {
            out.push_str("    ");
            out.push_str(&k);
            out.push_str(": ");
            json_str(&mut out, &v);
            out.push('\n');
        }
        out
    }

    /// Reads a Compose volume entry back, as [`NfsVolume::compose_yaml`] writes it and as
    /// people write it by hand: `NAME:` (plain, `"double"` or `'single'` quoted), an optional
    /// `driver: local`, and a `driver_opts:` block of `key: value` lines (values plain or
    /// quoted). Indentation is any number of spaces, deeper for the options than for
    /// `driver_opts:`; blank lines and `#` comment lines are skipped. It reads this one shape,
    /// not YAML in general (anchors, flow maps, multi-line scalars are errors). Returns the name
    /// and the volume, its options in the order written.
    ///
    /// # Errors
    /// [`Error::ComposeYaml`] naming the line for anything else, a driver other than `local`,
    /// or no `driver_opts`; the driver option rules of [`NfsVolume::try_from`].
    pub fn from_compose_yaml(text: &str) -> Result<(String, Self)> {
        /// Where the reader is: before the name, in the entry's body, just after
        /// `driver_opts:` (its indentation and line), or in the options (their indentation).
        enum At {
            Name,
            Body,
            OptsStart(usize, usize),
            Opts(usize),
        }
        let mut at = At::Name;
        let mut name = String::new();
        let mut opts: Vec<(String, String)> = Vec::new();
        let mut saw_opts = false;
        for (i, raw) in text.lines().enumerate() {
            let err = |reason| Error::ComposeYaml {
                line: i + 1,
                reason,
            };
            let trimmed = raw.trim_end();
            let body = trimmed.trim_start();
            if body.is_empty() || body.starts_with('#') {
                continue;
            }
            if raw.contains('\t') && raw.starts_with(|c: char| c.is_whitespace()) {
                return Err(err("tabs are not allowed in YAML indentation"));
            }
            let indent = trimmed.len() - body.len();
            let (key, value) = split_yaml_pair(body).ok_or_else(|| err("expected `key: value`"))?;
            if let At::OptsStart(outer, line) = at {
                if indent <= outer {
                    return Err(Error::ComposeYaml {
                        line,
                        reason: "driver_opts has no options",
                    });
                }
                at = At::Opts(indent);
            }
            match at {
                At::Name => {
                    if indent != 0 || !value.is_empty() {
                        return Err(err("expected the volume name, as `NAME:`"));
                    }
                    name = key;
                    at = At::Body;
                    continue;
                }
                At::Opts(level) if indent > level => return Err(err("inconsistent indentation")),
                At::Opts(level) if indent == level => {
                    if value.is_empty() {
                        return Err(err("a driver option needs a value"));
                    }
                    opts.push((key, value));
                    continue;
                }
                _ => at = At::Body,
            }
            if indent == 0 {
                return Err(err("one volume per entry"));
            }
            match key.as_str() {
                "driver" if value == "local" => {}
                "driver" => return Err(err("NFS volumes use the local driver")),
                "driver_opts" if value.is_empty() && !saw_opts => {
                    saw_opts = true;
                    at = At::OptsStart(indent, i + 1);
                }
                "driver_opts" => {
                    return Err(err("driver_opts must be a block of `key: value` lines"));
                }
                _ => return Err(err("expected driver or driver_opts")),
            }
        }
        match at {
            At::Name => Err(Error::ComposeYaml {
                line: 1,
                reason: "no volume entry",
            }),
            At::OptsStart(_, line) => Err(Error::ComposeYaml {
                line,
                reason: "driver_opts has no options",
            }),
            _ if !saw_opts => Err(Error::ComposeYaml {
                line: text.lines().count().max(1),
                reason: "no driver_opts",
            }),
            _ => Ok((name, Self::try_from(DriverOpts(opts))?)),
        }
    }

    /// A Docker volume name for this volume: `PREFIX-` and 12 hex digits of a FNV-1a hash of
    /// the driver options (`type`, `o`, `device`, in canonical key order). Docker never
    /// updates an existing volume's options, so a name that changes whenever the options
    /// change makes a changed volume a new volume. The order of the keys does not change the
    /// name; the order of the options inside `o=` does.
    ///
    /// # Errors
    /// [`Error::InvalidVolumeName`] when `prefix` is not `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
    pub fn volume_name(&self, prefix: &str) -> Result<String> {
        let ok = prefix
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
            && prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if !ok {
            return Err(Error::InvalidVolumeName {
                value: prefix.to_owned(),
            });
        }
        let text = format!(
            "type={}\0o={}\0device={}",
            self.fs_type, self.options, self.device
        );
        let h = fnv1a64(text.as_bytes()) >> 16;
        Ok(format!("{prefix}-{h:012x}"))
    }
}

impl TryFrom<DriverOpts> for NfsVolume {
    type Error = Error;

    /// Reads the local driver's options. Keys: `type` (required, `nfs`/`nfs4`), `o`
    /// (optional), `device` (required); order kept.
    fn try_from(opts: DriverOpts) -> Result<Self> {
        let mut keys = Vec::new();
        let (mut fs_type, mut options, mut device) = (None, None, None);
        for (k, v) in &opts.0 {
            let key = match k.as_str() {
                "type" => DriverKey::Type,
                "o" => DriverKey::O,
                "device" => DriverKey::Device,
                _ => return Err(Error::UnknownDriverOption { key: k.clone() }),
            };
            if keys.contains(&key) {
                return Err(Error::Duplicate {
                    what: "driver option",
                    key: k.clone(),
                });
            }
            keys.push(key);
            match key {
                DriverKey::Type => fs_type = Some(v.parse::<FsType>()?),
                DriverKey::O => options = Some(v.parse::<NfsOptions>()?),
                DriverKey::Device => device = Some(v.parse::<Device>()?),
            }
        }
        let fs_type = fs_type.ok_or(Error::Missing {
            what: "driver option type",
        })?;
        let device = device.ok_or(Error::Missing {
            what: "driver option device",
        })?;
        let has_o = options.is_some();
        let mut v = Self::from_parts(fs_type, options.unwrap_or_default(), device)?;
        // An explicit empty `o=` is kept; otherwise canonical order is not recorded.
        if keys != v.canonical_keys() || (has_o && v.options.is_empty()) {
            v.order = Some(keys);
        }
        Ok(v)
    }
}

impl From<&NfsVolume> for DriverOpts {
    fn from(v: &NfsVolume) -> Self {
        v.driver_opts()
    }
}

impl serde::Serialize for NfsVolume {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.driver_opts().serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for NfsVolume {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Self::try_from(DriverOpts::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// Builds an [`NfsVolume`] in code; setters never fail, [`build`](Self::build) checks.
#[derive(Debug, Clone)]
#[must_use]
pub struct NfsVolumeBuilder {
    addr: IpAddr,
    path: String,
    fs_type: FsType,
    options: String,
}

impl NfsVolumeBuilder {
    /// `nfs4` instead of `nfs`.
    pub fn fs_type(mut self, t: FsType) -> Self {
        self.fs_type = t;
        self
    }

    /// Options after `addr=` (text, e.g. `"nfsvers=4,rw"`; appended to earlier calls).
    pub fn options_str(mut self, s: impl AsRef<str>) -> Self {
        let s = s.as_ref();
        if !s.is_empty() {
            if !self.options.is_empty() {
                self.options.push(',');
            }
            self.options.push_str(s);
        }
        self
    }

    /// Options after `addr=` (an `addr=` in them must equal the builder's address).
    pub fn options(self, o: &NfsOptions) -> Self {
        self.options_str(o.to_string())
    }

    /// Checks and builds: `type`, `o=addr=ADDR,…`, `device=:PATH`.
    ///
    /// # Errors
    /// Any [`NfsOptions`] rule (e.g. [`Error::ConflictingOptions`] for a different `addr=`),
    /// [`Error::RelativePath`] for a relative path.
    pub fn build(self) -> Result<NfsVolume> {
        let options = NfsOptions::builder()
            .addr(self.addr)
            .options_str(self.options)
            .build()?;
        NfsVolume::from_parts(self.fs_type, options, Device::new(&self.path)?)
    }
}

/// The server must be named somewhere: in the device (`host:/path`) or as `addr=`.
/// The rules across a volume's parts: a server is named (by the device or `addr=`), and
/// `-t nfs4` is not asked to use UDP (the options alone catch `nfsvers=4` with UDP).
pub(crate) fn check_parts(fs_type: FsType, device: &Device, options: &NfsOptions) -> Result<()> {
    if device.host.is_none() && options.addr().is_none() {
        return Err(Error::MissingAddr {
            device: device.to_string(),
        });
    }
    if fs_type == FsType::Nfs4
        && let Some(p) = options.proto().filter(|p| p.is_udp())
    {
        return Err(Error::UdpWithV4 {
            proto: p.to_string(),
            version: options
                .version()
                .map_or_else(|| "4".to_owned(), |v| v.to_string()),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices() {
        for s in [
            ":/www",
            "host:/www",
            "[fe80::1]:/p",
            "192.168.1.220:/www/nginx",
            ":/a b",
        ] {
            assert_eq!(s.parse::<Device>().unwrap().to_string(), s);
        }
        let e = |s: &str| s.parse::<Device>().unwrap_err();
        assert_eq!(
            e("/www"),
            Error::DeviceWithoutColon {
                value: "/www".into()
            }
        );
        assert_eq!(
            e("host:www"),
            Error::RelativePath {
                what: "export path",
                value: "www".into()
            }
        );
        assert_eq!(
            e("fe80::1:/p"),
            Error::InvalidHost {
                value: "fe80::1".into()
            }
        );
        assert_eq!(
            e("[host]:/p"),
            Error::InvalidHost {
                value: "host".into()
            }
        );
        assert_eq!(
            e("1.2.3.999:/p"),
            Error::InvalidHost {
                value: "1.2.3.999".into()
            }
        );
        assert_eq!(
            e("a b:/p"),
            Error::InvalidHost {
                value: "a b".into()
            }
        );
    }

    #[test]
    fn driver_opts_order_and_json() {
        let v = NfsVolume::builder("192.168.1.220".parse().unwrap(), "/www")
            .options_str("nfsvers=4,rw")
            .build()
            .unwrap();
        assert_eq!(
            v.to_json(),
            r#"{"type":"nfs","o":"addr=192.168.1.220,nfsvers=4,rw","device":":/www"}"#
        );
        let seed = DriverOpts::from_pairs([
            ("o", "addr=192.168.1.220"),
            ("device", ":/www"),
            ("type", "nfs"),
        ]);
        let p = NfsVolume::try_from(seed.clone()).unwrap();
        assert_eq!(p.driver_opts(), seed);
        assert_eq!(
            p.volume_create_args("v"),
            [
                "volume",
                "create",
                "--driver",
                "local",
                "--opt",
                "o=addr=192.168.1.220",
                "--opt",
                "device=:/www",
                "--opt",
                "type=nfs",
                "v"
            ]
        );
        let (n, back) = NfsVolume::from_volume_create_args(&p.volume_create_args("v")).unwrap();
        assert_eq!((n.as_str(), &back), ("v", &p));
    }

    #[test]
    fn driver_opts_errors() {
        let t = |pairs: &[(&str, &str)]| {
            NfsVolume::try_from(DriverOpts::from_pairs(pairs.iter().copied()))
        };
        assert_eq!(
            t(&[("type", "nfs"), ("size", "1")]),
            Err(Error::UnknownDriverOption { key: "size".into() })
        );
        // nfs4 is version 4 whatever the options say: no UDP.
        assert_eq!(
            t(&[
                ("type", "nfs4"),
                ("o", "addr=1.2.3.4,proto=udp"),
                ("device", ":/p")
            ]),
            Err(Error::UdpWithV4 {
                proto: "udp".into(),
                version: "4".into()
            })
        );
        assert!(
            t(&[
                ("type", "nfs"),
                ("o", "addr=1.2.3.4,proto=udp"),
                ("device", ":/p")
            ])
            .is_ok()
        );
        assert_eq!(
            t(&[("type", "cifs")]),
            Err(Error::NotNfs {
                value: "cifs".into()
            })
        );
        assert_eq!(
            t(&[("type", "nfs"), ("type", "nfs")]),
            Err(Error::Duplicate {
                what: "driver option",
                key: "type".into()
            })
        );
        assert_eq!(
            t(&[("device", ":/www")]),
            Err(Error::Missing {
                what: "driver option type"
            })
        );
        assert_eq!(
            t(&[("type", "nfs")]),
            Err(Error::Missing {
                what: "driver option device"
            })
        );
        assert_eq!(
            t(&[("type", "nfs"), ("device", ":/www")]),
            Err(Error::MissingAddr {
                device: ":/www".into()
            })
        );
        assert_eq!(
            t(&[("type", "nfs"), ("o", "nfsvers=4"), ("device", ":/www")]),
            Err(Error::MissingAddr {
                device: ":/www".into()
            })
        );
        assert!(t(&[("type", "nfs"), ("device", "srv:/www")]).is_ok());
    }

    #[test]
    fn volume_names_follow_options() {
        let a = NfsVolume::new("192.168.1.220".parse().unwrap(), "/www").unwrap();
        let b = NfsVolume::builder("192.168.1.220".parse().unwrap(), "/www")
            .options_str("nfsvers=4")
            .build()
            .unwrap();
        let na = a.volume_name("nfs_nginx").unwrap();
        assert!(
            na.starts_with("nfs_nginx-") && na.len() == "nfs_nginx-".len() + 12,
            "{na}"
        );
        assert_eq!(na, a.clone().volume_name("nfs_nginx").unwrap());
        assert_ne!(na, b.volume_name("nfs_nginx").unwrap());
        assert_eq!(
            a.volume_name("-x"),
            Err(Error::InvalidVolumeName { value: "-x".into() })
        );
        assert_eq!(
            a.volume_name(""),
            Err(Error::InvalidVolumeName {
                value: String::new()
            })
        );
        // key order alone does not change the name
        let reordered = NfsVolume::try_from(DriverOpts::from_pairs([
            ("device", ":/www"),
            ("o", "addr=192.168.1.220"),
            ("type", "nfs"),
        ]))
        .unwrap();
        assert_eq!(
            reordered.volume_name("p").unwrap(),
            a.volume_name("p").unwrap()
        );
    }

    #[test]
    fn compose_yaml() {
        let v = NfsVolume::new("10.0.0.1".parse().unwrap(), "/www").unwrap();
        let text = v.compose_yaml("web");
        assert_eq!(
            text,
            "\"web\":\n  driver: local\n  driver_opts:\n    type: \"nfs\"\n    o: \"addr=10.0.0.1\"\n    device: \":/www\"\n"
        );
        assert_eq!(
            NfsVolume::from_compose_yaml(&text).unwrap(),
            ("web".into(), v)
        );
    }

    #[test]
    fn compose_yaml_by_hand() {
        let text = "# the seed's share\nnfs_nginx:\n    driver: local\n    driver_opts:\n        type: nfs\n        o: 'addr=192.168.1.220,nfsvers=4'   # v4\n\n        device: \":/www\"\n";
        let (name, v) = NfsVolume::from_compose_yaml(text).unwrap();
        assert_eq!(name, "nfs_nginx");
        assert_eq!(v.device().to_string(), ":/www");
        assert_eq!(v.options().to_string(), "addr=192.168.1.220,nfsvers=4");
        // written order kept: type, o, device
        assert_eq!(
            v.to_json(),
            "{\"type\":\"nfs\",\"o\":\"addr=192.168.1.220,nfsvers=4\",\"device\":\":/www\"}"
        );
        let e = |t: &str| NfsVolume::from_compose_yaml(t).unwrap_err();
        let c = |line, reason| Error::ComposeYaml { line, reason };
        assert_eq!(e(""), c(1, "no volume entry"));
        assert_eq!(e("v:\n  driver: local\n"), c(2, "no driver_opts"));
        assert_eq!(
            e("v:\n  driver: nfs\n"),
            c(2, "NFS volumes use the local driver")
        );
        assert_eq!(
            e("v:\n  driver_opts:\n"),
            c(2, "driver_opts has no options")
        );
        assert_eq!(
            e("v:\n  driver_opts: nfs\n"),
            c(2, "driver_opts must be a block of `key: value` lines")
        );
        assert_eq!(
            e("v:\n  driver_opts: {type: nfs}\n"),
            c(2, "expected `key: value`")
        );
        assert_eq!(
            e("v:\n  driver_opts:\n    type\n"),
            c(3, "expected `key: value`")
        );
        assert_eq!(
            e("v:\n  driver_opts:\n    type: nfs\n      o: x\n"),
            c(4, "inconsistent indentation")
        );
        assert_eq!(
            e("v:\n  driver_opts:\n    o: *anchor\n"),
            c(3, "expected `key: value`")
        );
        assert_eq!(e("v:\nw:\n"), c(2, "one volume per entry"));
        assert_eq!(e("  v:\n"), c(1, "expected the volume name, as `NAME:`"));
        assert_eq!(
            e("v:\n  driver_opts:\n    o: \"unterminated\n"),
            c(3, "expected `key: value`")
        );
        assert_eq!(
            e("v:\n  driver_opts:\n    type: nfs\n    device: \":/x\"\n"),
            Error::MissingAddr {
                device: ":/x".into()
            }
        );
    }
}
