//! The `--mount` CSV string of `docker service create` / `docker run` for an NFS volume.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::text::{check_absolute, check_no_control, csv_split};
use crate::volume::{DriverOpts, NfsVolume};
use sdk_grammar::csv::{needs_quotes as csv_needs_quotes, write_field as csv_field};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Field {
    /// The key as written (case kept).
    key: String,
    value: Option<String>,
    quoted: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Type,
    Source,
    Target,
    ReadOnly,
    NoCopy,
    Driver,
}

/// A `--mount` value for an NFS volume, e.g. the docker CLI's
/// `type=volume,volume-opt=o=addr=192.168.1.220,volume-opt=device=:/www,volume-opt=type=nfs,source=nfs_nginx,target=/usr/share/nginx/html/,volume-nocopy=true`.
///
/// Read as the docker CLI reads it (Go `encoding/csv`: a field holding a comma or quote is
/// wholly double-quoted, inner quotes doubled; keys case-insensitive; booleans as Go's
/// `strconv.ParseBool`). Fields nfs-mount handles: `type` (must be `volume`; absent means
/// volume), `source`/`src`, `target`/`dst`/`destination` (required, absolute),
/// `readonly`/`ro`, `volume-nocopy`, `volume-driver` (must be `local`), `volume-opt=K=V`
/// (the local driver's `type`, `o`, `device`). Anything else is
/// [`Error::InvalidMountField`] (swarm-client's `MountSpec` has the full grammar); a repeated
/// field is [`Error::Duplicate`].
///
/// Parsing keeps every field's order, key spelling and quoting, so parse → render gives the
/// same bytes. A value built in code renders as
/// `type=volume,source=S,target=T,volume-opt=type=nfs,"volume-opt=o=addr=…,…",volume-opt=device=:/p[,volume-nocopy=true][,readonly=true]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NfsMount {
    fields: Vec<Field>,
    volume: NfsVolume,
    source: Option<String>,
    target: String,
    nocopy: bool,
    read_only: bool,
}

fn parse_bool(field: &str, v: &str) -> Result<bool> {
    sdk_grammar::go::parse_bool(v).map_err(|_| Error::InvalidBool {
        field: field.to_owned(),
        value: v.to_owned(),
    })
}

impl NfsMount {
    /// Starts a builder for `volume` mounted at `target`.
    pub fn builder(volume: NfsVolume, target: impl Into<String>) -> NfsMountBuilder {
        NfsMountBuilder {
            volume,
            target: target.into(),
            source: None,
            nocopy: false,
            read_only: false,
        }
    }

    /// The NFS volume (the `volume-opt=` fields).
    #[must_use]
    pub fn volume(&self) -> &NfsVolume {
        &self.volume
    }

    /// The volume name (`source=`), if any.
    #[must_use]
    pub fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    /// The path in the container (`target=`).
    #[must_use]
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Whether `volume-nocopy` is set.
    #[must_use]
    pub fn volume_nocopy(&self) -> bool {
        self.nocopy
    }

    /// Whether `readonly` is set.
    #[must_use]
    pub fn read_only(&self) -> bool {
        self.read_only
    }

    fn from_fields(input: &str, fields: Vec<Field>) -> Result<Self> {
        let mut seen: Vec<Kind> = Vec::new();
        let mut opts: Vec<(String, String)> = Vec::new();
        let (mut source, mut target, mut nocopy, mut read_only) = (None, None, false, false);
        for f in &fields {
            let whole = match &f.value {
                Some(v) => format!("{}={v}", f.key),
                None => f.key.clone(),
            };
            check_no_control("--mount field", &whole)?;
            let bad = |reason| Error::InvalidMountField {
                field: whole.clone(),
                reason,
            };
            let key = f.key.to_ascii_lowercase();
            if key == "volume-opt" {
                let v = f.value.as_deref().unwrap_or("");
                let (k, val) = v
                    .split_once('=')
                    .ok_or_else(|| bad("volume-opt needs KEY=VALUE"))?;
                opts.push((k.to_owned(), val.to_owned()));
                continue;
            }
            let kind = match key.as_str() {
                "type" => Kind::Type,
                "source" | "src" => Kind::Source,
                "target" | "dst" | "destination" => Kind::Target,
                "readonly" | "ro" => Kind::ReadOnly,
                "volume-nocopy" => Kind::NoCopy,
                "volume-driver" => Kind::Driver,
                "" => return Err(bad("empty field")),
                _ => {
                    return Err(bad(
                        "not handled by nfs-mount (swarm-client's MountSpec reads every --mount field)",
                    ));
                }
            };
            if seen.contains(&kind) {
                return Err(Error::Duplicate {
                    what: "--mount field",
                    key: f.key.clone(),
                });
            }
            seen.push(kind);
            match (kind, f.value.as_deref()) {
                (Kind::ReadOnly, None) => read_only = true,
                (Kind::NoCopy, None) => nocopy = true,
                (_, None) => return Err(bad("must be a key=value pair")),
                (Kind::Type, Some(v)) => {
                    if !v.eq_ignore_ascii_case("volume") {
                        return Err(Error::NotVolumeMount {
                            value: v.to_owned(),
                        });
                    }
                }
                (Kind::Source, Some(v)) => source = Some(v.to_owned()),
                (Kind::Target, Some(v)) => target = Some(v.to_owned()),
                (Kind::ReadOnly, Some(v)) => read_only = parse_bool(&f.key, v)?,
                (Kind::NoCopy, Some(v)) => nocopy = parse_bool(&f.key, v)?,
                (Kind::Driver, Some(v)) => {
                    if v != "local" {
                        return Err(Error::NotLocalDriver {
                            value: v.to_owned(),
                        });
                    }
                }
            }
        }
        let _ = input;
        let target = target.ok_or(Error::Missing {
            what: "--mount target",
        })?;
        check_absolute("--mount target", &target)?;
        let volume = NfsVolume::try_from(DriverOpts::from_pairs(opts))?;
        Ok(Self {
            fields,
            volume,
            source,
            target,
            nocopy,
            read_only,
        })
    }
}

impl FromStr for NfsMount {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let fields = csv_split(s)?
            .into_iter()
            .map(|f| {
                let (key, value) = match f.value.split_once('=') {
                    Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
                    None => (f.value, None),
                };
                Field {
                    key,
                    value,
                    quoted: f.quoted,
                }
            })
            .collect();
        Self::from_fields(s, fields)
    }
}

impl fmt::Display for NfsMount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        for (i, field) in self.fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let text = match &field.value {
                Some(v) => format!("{}={v}", field.key),
                None => field.key.clone(),
            };
            csv_field(&mut out, &text, field.quoted);
        }
        f.write_str(&out)
    }
}

impl TryFrom<String> for NfsMount {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

impl From<NfsMount> for String {
    fn from(m: NfsMount) -> Self {
        m.to_string()
    }
}

impl serde::Serialize for NfsMount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for NfsMount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// Builds an [`NfsMount`]; setters never fail, [`build`](Self::build) checks.
#[derive(Debug, Clone)]
#[must_use]
pub struct NfsMountBuilder {
    volume: NfsVolume,
    target: String,
    source: Option<String>,
    nocopy: bool,
    read_only: bool,
}

impl NfsMountBuilder {
    /// The volume name (`source=`). Without one, Docker creates an anonymous volume.
    pub fn source(mut self, name: impl Into<String>) -> Self {
        self.source = Some(name.into());
        self
    }

    /// `volume-nocopy=true`: do not copy the image's files into the volume (recommended for
    /// root_squash exports, see [`crate::volume_nocopy_recommended`]).
    pub fn volume_nocopy(mut self, yes: bool) -> Self {
        self.nocopy = yes;
        self
    }

    /// `readonly=true`.
    pub fn read_only(mut self, yes: bool) -> Self {
        self.read_only = yes;
        self
    }

    /// Checks and builds the canonical string (see [`NfsMount`]).
    ///
    /// # Errors
    /// [`Error::RelativePath`] for a relative target, [`Error::InvalidCharacter`] for control
    /// characters.
    pub fn build(self) -> Result<NfsMount> {
        let mut fields = vec![("type".to_owned(), "volume".to_owned())];
        if let Some(s) = self.source {
            fields.push(("source".to_owned(), s));
        }
        fields.push(("target".to_owned(), self.target));
        for (k, v) in self.volume.driver_opts().into_vec() {
            fields.push(("volume-opt".to_owned(), format!("{k}={v}")));
        }
        if self.nocopy {
            fields.push(("volume-nocopy".to_owned(), "true".to_owned()));
        }
        if self.read_only {
            fields.push(("readonly".to_owned(), "true".to_owned()));
        }
        let mut text = String::new();
        for (i, (k, v)) in fields.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            let whole = format!("{k}={v}");
            csv_field(&mut text, &whole, csv_needs_quotes(&whole));
        }
        text.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED1: &str = "type=volume,volume-opt=o=addr=192.168.1.220,volume-opt=device=:/www,volume-opt=type=nfs,source=nfs_nginx,target=/usr/share/nginx/html/,volume-nocopy=true";
    const SEED2: &str = "type=volume,volume-opt=o=addr=192.168.1.220,volume-opt=device=:/www/nginx,volume-opt=type=nfs,source=nfs_nginx_lb,target=/etc/nginx/,volume-nocopy=true";

    #[test]
    fn seed_mounts_round_trip_byte_for_byte() {
        for (s, dev, src, tgt) in [
            (SEED1, ":/www", "nfs_nginx", "/usr/share/nginx/html/"),
            (SEED2, ":/www/nginx", "nfs_nginx_lb", "/etc/nginx/"),
        ] {
            let m: NfsMount = s.parse().unwrap();
            assert_eq!(m.to_string(), s);
            assert_eq!(m.volume().device().to_string(), dev);
            assert_eq!(m.volume().addr(), Some("192.168.1.220".parse().unwrap()));
            assert_eq!(m.source(), Some(src));
            assert_eq!(m.target(), tgt);
            assert!(m.volume_nocopy());
            assert!(!m.read_only());
            assert_eq!(
                m.volume().driver_opts().into_vec(),
                [
                    ("o".to_owned(), "addr=192.168.1.220".to_owned()),
                    ("device".to_owned(), dev.to_owned()),
                    ("type".to_owned(), "nfs".to_owned()),
                ]
            );
        }
    }

    #[test]
    fn built_mount_quotes_the_o_field() {
        let v = NfsVolume::builder("192.168.1.220".parse().unwrap(), "/www")
            .options_str("nfsvers=4,rw,foo=\"x\"")
            .build()
            .unwrap();
        let m = NfsMount::builder(v, "/usr/share/nginx/html")
            .source("nfs_nginx")
            .volume_nocopy(true)
            .build()
            .unwrap();
        assert_eq!(
            m.to_string(),
            r#"type=volume,source=nfs_nginx,target=/usr/share/nginx/html,volume-opt=type=nfs,"volume-opt=o=addr=192.168.1.220,nfsvers=4,rw,foo=""x""",volume-opt=device=:/www,volume-nocopy=true"#
        );
        assert_eq!(m.to_string().parse::<NfsMount>().unwrap(), m);
    }

    #[test]
    fn other_spellings_round_trip() {
        for s in [
            "TYPE=Volume,src=v,dst=/d,Volume-Opt=type=nfs4,volume-opt=device=srv:/x,ro,volume-nocopy",
            "\"target=/a,b\",volume-opt=type=nfs,volume-opt=o=addr=::1,volume-opt=device=:/p,readonly=0,volume-driver=local",
            "\"target=/t\",\"volume-opt=type=nfs\",volume-opt=device=[::1]:/p,volume-nocopy=False",
        ] {
            let m: NfsMount = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(m.to_string(), s);
        }
    }

    #[test]
    fn invalid_mounts() {
        let e = |s: &str| s.parse::<NfsMount>().unwrap_err();
        let base = "volume-opt=type=nfs,volume-opt=o=addr=1.2.3.4,volume-opt=device=:/p";
        assert_eq!(
            e(&format!("type=bind,target=/t,{base}")),
            Error::NotVolumeMount {
                value: "bind".into()
            }
        );
        assert_eq!(
            e(base),
            Error::Missing {
                what: "--mount target"
            }
        );
        assert_eq!(
            e(&format!("target=t,{base}")),
            Error::RelativePath {
                what: "--mount target",
                value: "t".into()
            }
        );
        assert_eq!(
            e(&format!("target=/t,target=/u,{base}")),
            Error::Duplicate {
                what: "--mount field",
                key: "target".into()
            }
        );
        assert_eq!(
            e(&format!("target=/t,volume-nocopy=yes,{base}")),
            Error::InvalidBool {
                field: "volume-nocopy".into(),
                value: "yes".into()
            }
        );
        assert_eq!(
            e(&format!("target=/t,volume-driver=nfsplugin,{base}")),
            Error::NotLocalDriver {
                value: "nfsplugin".into()
            }
        );
        assert_eq!(
            e(&format!("target=/t,bind-propagation=rshared,{base}")),
            Error::InvalidMountField {
                field: "bind-propagation=rshared".into(),
                reason: "not handled by nfs-mount (swarm-client's MountSpec reads every --mount field)"
            }
        );
        assert_eq!(
            e(&format!("target=/t,volume-opt=nfs,{base}")),
            Error::InvalidMountField {
                field: "volume-opt=nfs".into(),
                reason: "volume-opt needs KEY=VALUE"
            }
        );
        assert_eq!(
            e(&format!("target=/t,,{base}")),
            Error::InvalidMountField {
                field: String::new(),
                reason: "empty field"
            }
        );
        assert_eq!(
            e(&format!("target=/t,source,{base}")),
            Error::InvalidMountField {
                field: "source".into(),
                reason: "must be a key=value pair"
            }
        );
        // unquoted comma inside o= splits the field: "nfsvers=4" is then an unknown field
        assert_eq!(
            e(
                "target=/t,volume-opt=type=nfs,volume-opt=o=addr=1.2.3.4,nfsvers=4,volume-opt=device=:/p"
            ),
            Error::InvalidMountField {
                field: "nfsvers=4".into(),
                reason: "not handled by nfs-mount (swarm-client's MountSpec reads every --mount field)"
            }
        );
        assert!(matches!(
            e("target=/t,volume-opt=o=a\"b"),
            Error::Csv { .. }
        ));
        assert_eq!(
            e("target=/t,volume-opt=type=nfs,volume-opt=device=:/p"),
            Error::MissingAddr {
                device: ":/p".into()
            }
        );
    }
}
