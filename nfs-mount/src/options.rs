//! NFS mount options (nfs(5)): typed, ordered, rendered and parsed byte-for-byte.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::text::{check_word, number};

/// An NFS protocol version as `vers=` / `nfsvers=` take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NfsVersion {
    /// `2` (legacy; most kernels no longer build it).
    V2,
    /// `3`.
    V3,
    /// `4` (the client negotiates the highest minor version).
    V4,
    /// `4.0`.
    V4_0,
    /// `4.1`.
    V4_1,
    /// `4.2`.
    V4_2,
}

impl NfsVersion {
    /// Whether this is NFS version 4 (any minor version).
    #[must_use]
    pub fn is_v4(self) -> bool {
        matches!(self, Self::V4 | Self::V4_0 | Self::V4_1 | Self::V4_2)
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::V2 => "2",
            Self::V3 => "3",
            Self::V4 => "4",
            Self::V4_0 => "4.0",
            Self::V4_1 => "4.1",
            Self::V4_2 => "4.2",
        }
    }

    fn parse(option: &str, v: &str) -> Result<Self> {
        Ok(match v {
            "2" => Self::V2,
            "3" => Self::V3,
            "4" => Self::V4,
            "4.0" => Self::V4_0,
            "4.1" => Self::V4_1,
            "4.2" => Self::V4_2,
            _ => return Err(invalid(option, v, "2, 3, 4, 4.0, 4.1 or 4.2")),
        })
    }
}

impl fmt::Display for NfsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which spelling of the version option was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VersKey {
    /// `vers=`.
    Vers,
    /// `nfsvers=`.
    NfsVers,
}

/// A transport as `proto=` / `mountproto=` take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Proto {
    /// `tcp`.
    Tcp,
    /// `udp`.
    Udp,
    /// `rdma`.
    Rdma,
    /// `tcp6`.
    Tcp6,
    /// `udp6`.
    Udp6,
    /// `rdma6`.
    Rdma6,
}

impl Proto {
    /// Whether this is UDP (v4 or v6).
    #[must_use]
    pub fn is_udp(self) -> bool {
        matches!(self, Self::Udp | Self::Udp6)
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Tcp => "tcp",
            Self::Udp => "udp",
            Self::Rdma => "rdma",
            Self::Tcp6 => "tcp6",
            Self::Udp6 => "udp6",
            Self::Rdma6 => "rdma6",
        }
    }

    fn parse(option: &str, v: &str) -> Result<Self> {
        Ok(match v {
            "tcp" => Self::Tcp,
            "udp" => Self::Udp,
            "rdma" => Self::Rdma,
            "tcp6" => Self::Tcp6,
            "udp6" => Self::Udp6,
            "rdma6" => Self::Rdma6,
            _ => return Err(invalid(option, v, "tcp, udp, rdma, tcp6, udp6 or rdma6")),
        })
    }
}

impl fmt::Display for Proto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happens when the server does not answer: `hard`, `soft` or `softerr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Recovery {
    /// `hard`: retry forever (the default).
    Hard,
    /// `soft`: fail with EIO after `retrans` retries.
    Soft,
    /// `softerr`: fail with ETIMEDOUT after `retrans` retries.
    SoftErr,
}

/// A security flavor of `sec=` (nfs(5) and exports(5)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecFlavor {
    /// `sys` (AUTH_SYS, the default).
    Sys,
    /// `krb5`: Kerberos authentication.
    Krb5,
    /// `krb5i`: plus integrity.
    Krb5i,
    /// `krb5p`: plus privacy.
    Krb5p,
    /// `none`.
    None,
}

impl SecFlavor {
    fn as_str(self) -> &'static str {
        match self {
            Self::Sys => "sys",
            Self::Krb5 => "krb5",
            Self::Krb5i => "krb5i",
            Self::Krb5p => "krb5p",
            Self::None => "none",
        }
    }

    /// Parses a colon-separated flavor list (`krb5p:krb5i:sys`).
    pub(crate) fn parse_list(option: &str, v: &str) -> Result<Vec<Self>> {
        if v.is_empty() {
            return Err(Error::MissingValue {
                option: option.to_owned(),
            });
        }
        v.split(':')
            .map(|f| {
                Ok(match f {
                    "sys" => Self::Sys,
                    "krb5" => Self::Krb5,
                    "krb5i" => Self::Krb5i,
                    "krb5p" => Self::Krb5p,
                    "none" => Self::None,
                    _ => {
                        return Err(Error::UnknownSecFlavor {
                            value: f.to_owned(),
                        });
                    }
                })
            })
            .collect()
    }

    pub(crate) fn write_list(out: &mut String, list: &[Self]) {
        for (i, s) in list.iter().enumerate() {
            if i > 0 {
                out.push(':');
            }
            out.push_str(s.as_str());
        }
    }
}

impl fmt::Display for SecFlavor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `local_lock=` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LocalLock {
    /// `none`.
    None,
    /// `all`.
    All,
    /// `flock`.
    Flock,
    /// `posix`.
    Posix,
}

/// `lookupcache=` values (`pos` and `positive` are kept apart so they render as written).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LookupCache {
    /// `all`.
    All,
    /// `none`.
    None,
    /// `pos`.
    Pos,
    /// `positive`.
    Positive,
}

/// `xprtsec=` values (RPC-with-TLS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Xprtsec {
    /// `none`.
    None,
    /// `tls`.
    Tls,
    /// `mtls`.
    Mtls,
}

/// On/off options written `NAME` / `noNAME`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Switch {
    /// `intr` / `nointr` (ignored since Linux 2.6.25).
    Intr,
    /// `softreval` / `nosoftreval`.
    SoftReval,
    /// `lock` / `nolock`.
    Lock,
    /// `ac` / `noac`.
    Ac,
    /// `cto` / `nocto`.
    Cto,
    /// `fsc` / `nofsc` (`fsc=ID` is [`NfsOption::FscTag`]).
    Fsc,
    /// `sharecache` / `nosharecache`.
    ShareCache,
    /// `resvport` / `noresvport`.
    ResvPort,
    /// `rdirplus` / `nordirplus`.
    RdirPlus,
    /// `acl` / `noacl` (v3).
    Acl,
    /// `migration` / `nomigration` (v4).
    Migration,
    /// `trunkdiscovery` / `notrunkdiscovery` (v4.1+).
    TrunkDiscovery,
}

const SWITCHES: &[(Switch, &str)] = &[
    (Switch::Intr, "intr"),
    (Switch::SoftReval, "softreval"),
    (Switch::Lock, "lock"),
    (Switch::Ac, "ac"),
    (Switch::Cto, "cto"),
    (Switch::Fsc, "fsc"),
    (Switch::ShareCache, "sharecache"),
    (Switch::ResvPort, "resvport"),
    (Switch::RdirPlus, "rdirplus"),
    (Switch::Acl, "acl"),
    (Switch::Migration, "migration"),
    (Switch::TrunkDiscovery, "trunkdiscovery"),
];

impl Switch {
    fn name(self) -> &'static str {
        SWITCHES
            .iter()
            .find(|(s, _)| *s == self)
            .map_or("", |(_, n)| n)
    }
}

/// The mount(8) options common to all file systems that nfs-mount recognises (they pass
/// through unchanged, typed only so that `rw`/`ro` conflicts are caught).
const GENERIC: &[&str] = &[
    "rw",
    "ro",
    "defaults",
    "atime",
    "noatime",
    "relatime",
    "norelatime",
    "strictatime",
    "nostrictatime",
    "diratime",
    "nodiratime",
    "lazytime",
    "nolazytime",
    "exec",
    "noexec",
    "suid",
    "nosuid",
    "dev",
    "nodev",
    "sync",
    "async",
    "dirsync",
    "auto",
    "noauto",
    "user",
    "nouser",
    "users",
    "owner",
    "group",
    "nofail",
    "_netdev",
    "bg",
    "fg",
    "iversion",
    "noiversion",
    "mand",
    "nomand",
    "silent",
    "loud",
];

/// One NFS mount option.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NfsOption {
    /// `addr=IP`: the server's address, as the kernel takes it (an IP literal, never a name).
    Addr(IpAddr),
    /// `clientaddr=IP`: the client's callback address (v4).
    ClientAddr(IpAddr),
    /// `vers=` or `nfsvers=`.
    Vers(VersKey, NfsVersion),
    /// `minorversion=0..=2` (v4).
    MinorVersion(u8),
    /// `proto=`.
    Proto(Proto),
    /// `mountproto=`.
    MountProto(Proto),
    /// `port=0..=65535` (0: ask rpcbind).
    Port(u16),
    /// `mountport=0..=65535`.
    MountPort(u16),
    /// `mounthost=NAME`.
    MountHost(String),
    /// `mountvers=1..=3`.
    MountVers(u8),
    /// `rsize=1024..=1048576` bytes.
    Rsize(u32),
    /// `wsize=1024..=1048576` bytes.
    Wsize(u32),
    /// `timeo=` tenths of a second, at least 1.
    Timeo(u32),
    /// `retrans=` retries.
    Retrans(u32),
    /// `retry=` minutes (mount.nfs).
    Retry(u32),
    /// `hard`, `soft`, `softerr`.
    Recovery(Recovery),
    /// `NAME` (true) / `noNAME` (false).
    Switch(Switch, bool),
    /// `sec=` a colon-separated flavor list.
    Sec(Vec<SecFlavor>),
    /// `local_lock=`.
    LocalLock(LocalLock),
    /// `actimeo=` seconds.
    Actimeo(u32),
    /// `acregmin=` seconds.
    AcRegMin(u32),
    /// `acregmax=` seconds.
    AcRegMax(u32),
    /// `acdirmin=` seconds.
    AcDirMin(u32),
    /// `acdirmax=` seconds.
    AcDirMax(u32),
    /// `lookupcache=`.
    LookupCache(LookupCache),
    /// `nconnect=1..=16`.
    Nconnect(u8),
    /// `max_connect=1..=16`.
    MaxConnect(u8),
    /// `namlen=`.
    Namlen(u32),
    /// `xprtsec=`.
    Xprtsec(Xprtsec),
    /// `fsc=ID`: FS-Cache with a unique ID.
    FscTag(String),
    /// A generic mount(8) flag (`rw`, `ro`, `noatime`, `nofail`, …), passed through.
    Generic(String),
    /// Anything else, passed through untouched: key and optional value.
    Other(String, Option<String>),
}

impl NfsOption {
    /// The setting this option controls: two options with the same slot and different text
    /// conflict. `None` for options that may repeat freely.
    fn slot(&self) -> Option<&'static str> {
        Some(match self {
            Self::Addr(_) => "addr",
            Self::ClientAddr(_) => "clientaddr",
            Self::Vers(..) => "vers",
            Self::MinorVersion(_) => "minorversion",
            Self::Proto(_) => "proto",
            Self::MountProto(_) => "mountproto",
            Self::Port(_) => "port",
            Self::MountPort(_) => "mountport",
            Self::MountHost(_) => "mounthost",
            Self::MountVers(_) => "mountvers",
            Self::Rsize(_) => "rsize",
            Self::Wsize(_) => "wsize",
            Self::Timeo(_) => "timeo",
            Self::Retrans(_) => "retrans",
            Self::Retry(_) => "retry",
            Self::Recovery(_) => "hard",
            Self::Switch(s, _) => s.name(),
            Self::Sec(_) => "sec",
            Self::LocalLock(_) => "local_lock",
            Self::Actimeo(_) => "actimeo",
            Self::AcRegMin(_) => "acregmin",
            Self::AcRegMax(_) => "acregmax",
            Self::AcDirMin(_) => "acdirmin",
            Self::AcDirMax(_) => "acdirmax",
            Self::LookupCache(_) => "lookupcache",
            Self::Nconnect(_) => "nconnect",
            Self::MaxConnect(_) => "max_connect",
            Self::Namlen(_) => "namlen",
            Self::Xprtsec(_) => "xprtsec",
            Self::FscTag(_) => "fsc",
            Self::Generic(g) if g == "rw" || g == "ro" => "rw",
            Self::Generic(_) | Self::Other(..) => return None,
        })
    }

    fn write(&self, out: &mut String) {
        use std::fmt::Write as _;
        match self {
            Self::Addr(ip) => {
                let _ = write!(out, "addr={ip}");
            }
            Self::ClientAddr(ip) => {
                let _ = write!(out, "clientaddr={ip}");
            }
            Self::Vers(k, v) => {
                out.push_str(match k {
                    VersKey::Vers => "vers=",
                    VersKey::NfsVers => "nfsvers=",
                });
                out.push_str(v.as_str());
            }
            Self::MinorVersion(n) => {
                let _ = write!(out, "minorversion={n}");
            }
            Self::Proto(p) => {
                let _ = write!(out, "proto={p}");
            }
            Self::MountProto(p) => {
                let _ = write!(out, "mountproto={p}");
            }
            Self::Port(n) => {
                let _ = write!(out, "port={n}");
            }
            Self::MountPort(n) => {
                let _ = write!(out, "mountport={n}");
            }
            Self::MountHost(h) => {
                let _ = write!(out, "mounthost={h}");
            }
            Self::MountVers(n) => {
                let _ = write!(out, "mountvers={n}");
            }
            Self::Rsize(n) => {
                let _ = write!(out, "rsize={n}");
            }
            Self::Wsize(n) => {
                let _ = write!(out, "wsize={n}");
            }
            Self::Timeo(n) => {
                let _ = write!(out, "timeo={n}");
            }
            Self::Retrans(n) => {
                let _ = write!(out, "retrans={n}");
            }
            Self::Retry(n) => {
                let _ = write!(out, "retry={n}");
            }
            Self::Recovery(r) => out.push_str(match r {
                Recovery::Hard => "hard",
                Recovery::Soft => "soft",
                Recovery::SoftErr => "softerr",
            }),
            Self::Switch(s, on) => {
                if !on {
                    out.push_str("no");
                }
                out.push_str(s.name());
            }
            Self::Sec(list) => {
                out.push_str("sec=");
                SecFlavor::write_list(out, list);
            }
            Self::LocalLock(l) => out.push_str(match l {
                LocalLock::None => "local_lock=none",
                LocalLock::All => "local_lock=all",
                LocalLock::Flock => "local_lock=flock",
                LocalLock::Posix => "local_lock=posix",
            }),
            Self::Actimeo(n) => {
                let _ = write!(out, "actimeo={n}");
            }
            Self::AcRegMin(n) => {
                let _ = write!(out, "acregmin={n}");
            }
            Self::AcRegMax(n) => {
                let _ = write!(out, "acregmax={n}");
            }
            Self::AcDirMin(n) => {
                let _ = write!(out, "acdirmin={n}");
            }
            Self::AcDirMax(n) => {
                let _ = write!(out, "acdirmax={n}");
            }
            Self::LookupCache(l) => out.push_str(match l {
                LookupCache::All => "lookupcache=all",
                LookupCache::None => "lookupcache=none",
                LookupCache::Pos => "lookupcache=pos",
                LookupCache::Positive => "lookupcache=positive",
            }),
            Self::Nconnect(n) => {
                let _ = write!(out, "nconnect={n}");
            }
            Self::MaxConnect(n) => {
                let _ = write!(out, "max_connect={n}");
            }
            Self::Namlen(n) => {
                let _ = write!(out, "namlen={n}");
            }
            Self::Xprtsec(x) => out.push_str(match x {
                Xprtsec::None => "xprtsec=none",
                Xprtsec::Tls => "xprtsec=tls",
                Xprtsec::Mtls => "xprtsec=mtls",
            }),
            Self::FscTag(t) => {
                let _ = write!(out, "fsc={t}");
            }
            Self::Generic(g) => out.push_str(g),
            Self::Other(k, v) => {
                out.push_str(k);
                if let Some(v) = v {
                    out.push('=');
                    out.push_str(v);
                }
            }
        }
    }
}

impl fmt::Display for NfsOption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        self.write(&mut s);
        f.write_str(&s)
    }
}

fn invalid(option: &str, value: &str, expected: &'static str) -> Error {
    Error::InvalidValue {
        option: option.to_owned(),
        value: value.to_owned(),
        expected,
    }
}

/// Parses an IP literal; non-canonical spellings (`FE80::1`, `::0:1`) are refused so that
/// rendering gives back the same bytes.
pub(crate) fn ip(option: &str, v: &str) -> Result<IpAddr> {
    let ip: IpAddr = v.parse().map_err(|_| Error::NotAnIpAddress {
        option: option.to_owned(),
        value: v.to_owned(),
    })?;
    if ip.to_string() != v {
        return Err(invalid(
            option,
            v,
            "an IP address in canonical form (lowercase, shortest IPv6 form)",
        ));
    }
    Ok(ip)
}

#[allow(clippy::cast_possible_truncation)] // ranges checked by `number`
fn parse_option(item: &str) -> Result<NfsOption> {
    check_word("option", item)?;
    let (key, value) = match item.split_once('=') {
        Some((k, v)) => (k, Some(v)),
        None => (item, None),
    };
    let need = || -> Result<&str> {
        match value {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(Error::MissingValue {
                option: key.to_owned(),
            }),
        }
    };
    let num = |min: u64, max: u64| -> Result<u64> { number(key, need()?, min, max) };
    let u32max = u64::from(u32::MAX);
    let flag = |opt: NfsOption| -> Result<NfsOption> {
        match value {
            None => Ok(opt),
            Some(v) => Err(Error::UnexpectedValue {
                option: key.to_owned(),
                value: v.to_owned(),
            }),
        }
    };
    Ok(match key {
        "" => {
            return Err(Error::InvalidCharacter {
                what: "option",
                value: item.to_owned(),
                ch: '=',
            });
        }
        "addr" => NfsOption::Addr(ip(key, need()?)?),
        "clientaddr" => NfsOption::ClientAddr(ip(key, need()?)?),
        "vers" => NfsOption::Vers(VersKey::Vers, NfsVersion::parse(key, need()?)?),
        "nfsvers" => NfsOption::Vers(VersKey::NfsVers, NfsVersion::parse(key, need()?)?),
        "minorversion" => NfsOption::MinorVersion(num(0, 2)? as u8),
        "proto" => NfsOption::Proto(Proto::parse(key, need()?)?),
        "mountproto" => NfsOption::MountProto(Proto::parse(key, need()?)?),
        "port" => NfsOption::Port(num(0, 65535)? as u16),
        "mountport" => NfsOption::MountPort(num(0, 65535)? as u16),
        "mounthost" => NfsOption::MountHost(need()?.to_owned()),
        "mountvers" => NfsOption::MountVers(num(1, 3)? as u8),
        "rsize" => NfsOption::Rsize(num(1024, 1_048_576)? as u32),
        "wsize" => NfsOption::Wsize(num(1024, 1_048_576)? as u32),
        "timeo" => NfsOption::Timeo(num(1, u32max)? as u32),
        "retrans" => NfsOption::Retrans(num(0, u32max)? as u32),
        "retry" => NfsOption::Retry(num(0, u32max)? as u32),
        "hard" => flag(NfsOption::Recovery(Recovery::Hard))?,
        "soft" => flag(NfsOption::Recovery(Recovery::Soft))?,
        "softerr" => flag(NfsOption::Recovery(Recovery::SoftErr))?,
        "sec" => NfsOption::Sec(SecFlavor::parse_list(key, value.unwrap_or(""))?),
        "local_lock" => NfsOption::LocalLock(match need()? {
            "none" => LocalLock::None,
            "all" => LocalLock::All,
            "flock" => LocalLock::Flock,
            "posix" => LocalLock::Posix,
            v => return Err(invalid(key, v, "none, all, flock or posix")),
        }),
        "actimeo" => NfsOption::Actimeo(num(0, u32max)? as u32),
        "acregmin" => NfsOption::AcRegMin(num(0, u32max)? as u32),
        "acregmax" => NfsOption::AcRegMax(num(0, u32max)? as u32),
        "acdirmin" => NfsOption::AcDirMin(num(0, u32max)? as u32),
        "acdirmax" => NfsOption::AcDirMax(num(0, u32max)? as u32),
        "lookupcache" => NfsOption::LookupCache(match need()? {
            "all" => LookupCache::All,
            "none" => LookupCache::None,
            "pos" => LookupCache::Pos,
            "positive" => LookupCache::Positive,
            v => return Err(invalid(key, v, "all, none, pos or positive")),
        }),
        "nconnect" => NfsOption::Nconnect(num(1, 16)? as u8),
        "max_connect" => NfsOption::MaxConnect(num(1, 16)? as u8),
        "namlen" => NfsOption::Namlen(num(0, u32max)? as u32),
        "xprtsec" => NfsOption::Xprtsec(match need()? {
            "none" => Xprtsec::None,
            "tls" => Xprtsec::Tls,
            "mtls" => Xprtsec::Mtls,
            v => return Err(invalid(key, v, "none, tls or mtls")),
        }),
        "fsc" if value.is_some() => NfsOption::FscTag(need()?.to_owned()),
        _ => {
            if let Some(&(s, _)) = SWITCHES.iter().find(|(_, n)| *n == key) {
                flag(NfsOption::Switch(s, true))?
            } else if let Some(&(s, _)) = key
                .strip_prefix("no")
                .and_then(|k| SWITCHES.iter().find(|(_, n)| *n == k))
            {
                flag(NfsOption::Switch(s, false))?
            } else if value.is_none() && GENERIC.contains(&key) {
                NfsOption::Generic(key.to_owned())
            } else {
                NfsOption::Other(key.to_owned(), value.map(str::to_owned))
            }
        }
    })
}

/// An ordered list of NFS mount options (the `o=` of a Docker NFS volume, the options of an
/// fstab line or of `mount -o`).
///
/// Parsing keeps the order and spelling of the input, so `s.parse::<NfsOptions>()?.to_string()
/// == s` for every string accepted. Options nfs-mount does not know are kept as
/// [`NfsOption::Other`] in place. Rules checked (each a typed [`Error`]): numbers are plain
/// decimal within nfs(5)'s ranges; `addr=`/`clientaddr=` are IP literals; UDP is not combined
/// with v4; `minorversion` needs v4; the same setting given twice with different values
/// (`hard,soft`, `rw,ro`) is a [`Error::ConflictingOptions`] (the kernel would silently take
/// the last); an empty element is [`Error::EmptyOption`]. The empty string is the empty list.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct NfsOptions {
    opts: Vec<NfsOption>,
}

impl NfsOptions {
    /// Starts a builder; built values render in canonical order: `addr=` first, then the
    /// options in the order they were added.
    pub fn builder() -> NfsOptionsBuilder {
        NfsOptionsBuilder::default()
    }

    /// The options in order.
    pub fn iter(&self) -> std::slice::Iter<'_, NfsOption> {
        self.opts.iter()
    }

    /// Number of options.
    #[must_use]
    pub fn len(&self) -> usize {
        self.opts.len()
    }

    /// Whether there are no options.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.opts.is_empty()
    }

    /// The `addr=` option, if any.
    #[must_use]
    pub fn addr(&self) -> Option<IpAddr> {
        self.opts.iter().find_map(|o| match o {
            NfsOption::Addr(ip) => Some(*ip),
            _ => None,
        })
    }

    /// The NFS version from `vers=`/`nfsvers=`, if given.
    #[must_use]
    pub fn version(&self) -> Option<NfsVersion> {
        self.opts.iter().find_map(|o| match o {
            NfsOption::Vers(_, v) => Some(*v),
            _ => None,
        })
    }

    /// The transport from `proto=`, if given.
    #[must_use]
    pub fn proto(&self) -> Option<Proto> {
        self.opts.iter().find_map(|o| match o {
            NfsOption::Proto(p) => Some(*p),
            _ => None,
        })
    }

    /// Whether `ro` is set.
    #[must_use]
    pub fn is_read_only(&self) -> bool {
        self.opts
            .iter()
            .any(|o| matches!(o, NfsOption::Generic(g) if g == "ro"))
    }

    /// The same options without `addr=` (for fstab and mount(8), where the server is in the
    /// device).
    #[must_use]
    pub fn without_addr(&self) -> Self {
        self.retain(|o| !matches!(o, NfsOption::Addr(_)))
    }

    /// The same options with `addr=IP` first and any other `addr=` removed.
    #[must_use]
    pub fn with_addr_first(&self, addr: IpAddr) -> Self {
        let mut opts = vec![NfsOption::Addr(addr)];
        opts.extend(self.without_addr().opts);
        Self { opts }
    }

    /// The options `keep` says yes to, in order. Removing options never breaks the rules a
    /// valid list already passed, so nothing is checked again.
    pub(crate) fn retain(&self, keep: impl Fn(&NfsOption) -> bool) -> Self {
        Self {
            opts: self.opts.iter().filter(|o| keep(o)).cloned().collect(),
        }
    }

    fn from_vec(opts: Vec<NfsOption>) -> Result<Self> {
        let me = Self { opts };
        me.check()?;
        Ok(me)
    }

    fn check(&self) -> Result<()> {
        // conflicts
        for (i, a) in self.opts.iter().enumerate() {
            let Some(slot) = a.slot() else { continue };
            for b in &self.opts[i + 1..] {
                if b.slot() == Some(slot) && a.to_string() != b.to_string() {
                    // vers=4 and nfsvers=4 say the same: allow.
                    if let (NfsOption::Vers(_, x), NfsOption::Vers(_, y)) = (a, b)
                        && x == y
                    {
                        continue;
                    }
                    return Err(Error::ConflictingOptions {
                        first: a.to_string(),
                        second: b.to_string(),
                    });
                }
            }
        }
        let version = self.version();
        if let Some(v) = version.filter(|v| v.is_v4()) {
            for o in &self.opts {
                if let NfsOption::Proto(p) = o
                    && p.is_udp()
                {
                    return Err(Error::UdpWithV4 {
                        proto: p.to_string(),
                        version: v.to_string(),
                    });
                }
            }
        }
        if let Some(v) = version.filter(|v| !v.is_v4()) {
            for o in &self.opts {
                if let NfsOption::MinorVersion(m) = o {
                    return Err(Error::MinorVersionNeedsV4 {
                        minor: *m,
                        version: v.to_string(),
                    });
                }
            }
        }
        Ok(())
    }
}

impl<'a> IntoIterator for &'a NfsOptions {
    type Item = &'a NfsOption;
    type IntoIter = std::slice::Iter<'a, NfsOption>;
    fn into_iter(self) -> Self::IntoIter {
        self.opts.iter()
    }
}

impl FromStr for NfsOptions {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        if s.is_empty() {
            return Ok(Self::default());
        }
        let opts = s
            .split(',')
            .map(|item| {
                if item.is_empty() {
                    Err(Error::EmptyOption { list: s.to_owned() })
                } else {
                    parse_option(item)
                }
            })
            .collect::<Result<Vec<_>>>()?;
        Self::from_vec(opts)
    }
}

impl fmt::Display for NfsOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        for (i, o) in self.opts.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            o.write(&mut s);
        }
        f.write_str(&s)
    }
}

impl TryFrom<String> for NfsOptions {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

impl TryFrom<&str> for NfsOptions {
    type Error = Error;
    fn try_from(s: &str) -> Result<Self> {
        s.parse()
    }
}

impl From<NfsOptions> for String {
    fn from(o: NfsOptions) -> Self {
        o.to_string()
    }
}

impl serde::Serialize for NfsOptions {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for NfsOptions {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Builds [`NfsOptions`] in code. Setters never fail; [`build`](Self::build) checks everything
/// by rendering and parsing back, so a built value always round-trips.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct NfsOptionsBuilder {
    addr: Option<IpAddr>,
    opts: Vec<NfsOption>,
    raw: Vec<String>,
}

impl NfsOptionsBuilder {
    /// Sets `addr=` (always rendered first).
    pub fn addr(mut self, addr: IpAddr) -> Self {
        self.addr = Some(addr);
        self
    }

    /// Adds `nfsvers=`.
    pub fn nfsvers(self, v: NfsVersion) -> Self {
        self.option(NfsOption::Vers(VersKey::NfsVers, v))
    }

    /// Adds `proto=`.
    pub fn proto(self, p: Proto) -> Self {
        self.option(NfsOption::Proto(p))
    }

    /// Adds `hard`, `soft` or `softerr`.
    pub fn recovery(self, r: Recovery) -> Self {
        self.option(NfsOption::Recovery(r))
    }

    /// Adds a typed option.
    pub fn option(mut self, o: NfsOption) -> Self {
        self.opts.push(o);
        self
    }

    /// Adds options written as text (`"rw,noatime"`), checked in [`build`](Self::build).
    pub fn options_str(mut self, s: impl Into<String>) -> Self {
        self.raw.push(s.into());
        self
    }

    /// Checks and builds.
    ///
    /// # Errors
    /// Any rule of [`NfsOptions`]; also a typed option whose text would not parse back to
    /// itself (e.g. a [`NfsOption::Other`] key with a comma).
    pub fn build(self) -> Result<NfsOptions> {
        let mut opts: Vec<NfsOption> = Vec::new();
        if let Some(a) = self.addr {
            opts.push(NfsOption::Addr(a));
        }
        for o in self.opts {
            // Each typed option must read back as one option (no comma in a string field).
            parse_option(&o.to_string())?;
            opts.push(o);
        }
        let mut text = NfsOptions { opts }.to_string();
        for r in self.raw.iter().filter(|r| !r.is_empty()) {
            if !text.is_empty() {
                text.push(',');
            }
            text.push_str(r);
        }
        let parsed: NfsOptions = text.parse()?;
        Ok(match parsed.addr() {
            Some(a) => parsed.with_addr_first(a),
            None => parsed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt(s: &str) {
        let o: NfsOptions = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(o.to_string(), s);
    }

    #[test]
    fn valid_lists_round_trip_byte_for_byte() {
        for s in [
            "",
            "addr=192.168.1.220",
            "addr=192.168.1.220,nfsvers=4",
            "nfsvers=4.1,addr=fe80::1,rw",
            "vers=3,proto=udp,mountproto=udp,mountport=0,mounthost=srv,mountvers=3",
            "vers=4.2,minorversion=2,proto=tcp6,port=2049",
            "rsize=1048576,wsize=1024,timeo=600,retrans=2,retry=0",
            "hard,softreval,nointr,sec=krb5p:krb5i:sys,nolock,local_lock=flock",
            "soft,noac,actimeo=30,acregmin=3,acregmax=60,acdirmin=30,acdirmax=60",
            "softerr,lookupcache=pos,lookupcache=pos,nconnect=16,max_connect=1",
            "clientaddr=10.0.0.1,namlen=255,nocto,fsc,nosharecache,noresvport,nordirplus",
            "xprtsec=mtls,fsc=cache1,rw,noatime,nodiratime,_netdev,nofail,x-systemd.automount",
            "weird=a=b,flag,vers=4,nfsvers=4",
            "sec=none,acl,nomigration,trunkdiscovery,lookupcache=positive,local_lock=none",
        ] {
            rt(s);
        }
    }

    #[test]
    fn typed_values() {
        let o: NfsOptions = "nfsvers=4.1,addr=10.1.2.3,proto=rdma,unknown=x"
            .parse()
            .unwrap();
        assert_eq!(o.addr(), Some("10.1.2.3".parse().unwrap()));
        assert_eq!(o.version(), Some(NfsVersion::V4_1));
        assert_eq!(o.proto(), Some(Proto::Rdma));
        assert_eq!(
            o.iter().last(),
            Some(&NfsOption::Other("unknown".into(), Some("x".into())))
        );
        assert_eq!(
            o.with_addr_first("10.1.2.3".parse().unwrap()).to_string(),
            "addr=10.1.2.3,nfsvers=4.1,proto=rdma,unknown=x"
        );
        assert_eq!(
            o.without_addr().to_string(),
            "nfsvers=4.1,proto=rdma,unknown=x"
        );
    }

    #[test]
    fn invalid_lists_have_typed_errors() {
        let s = |x: &str| x.to_owned();
        let table: Vec<(&str, Error)> = vec![
            ("rw,,ro", Error::EmptyOption { list: s("rw,,ro") }),
            (",rw", Error::EmptyOption { list: s(",rw") }),
            ("rw,", Error::EmptyOption { list: s("rw,") }),
            (
                "addr=nfs.example.com",
                Error::NotAnIpAddress {
                    option: s("addr"),
                    value: s("nfs.example.com"),
                },
            ),
            (
                "clientaddr=me",
                Error::NotAnIpAddress {
                    option: s("clientaddr"),
                    value: s("me"),
                },
            ),
            ("addr=", Error::MissingValue { option: s("addr") }),
            ("rsize", Error::MissingValue { option: s("rsize") }),
            ("sec=", Error::MissingValue { option: s("sec") }),
            (
                "proto=udp,nfsvers=4",
                Error::UdpWithV4 {
                    proto: s("udp"),
                    version: s("4"),
                },
            ),
            (
                "vers=4.2,proto=udp6",
                Error::UdpWithV4 {
                    proto: s("udp6"),
                    version: s("4.2"),
                },
            ),
            (
                "vers=3,minorversion=1",
                Error::MinorVersionNeedsV4 {
                    minor: 1,
                    version: s("3"),
                },
            ),
            (
                "port=65536",
                Error::OutOfRange {
                    option: s("port"),
                    value: s("65536"),
                    min: 0,
                    max: 65535,
                },
            ),
            (
                "nconnect=17",
                Error::OutOfRange {
                    option: s("nconnect"),
                    value: s("17"),
                    min: 1,
                    max: 16,
                },
            ),
            (
                "nconnect=0",
                Error::OutOfRange {
                    option: s("nconnect"),
                    value: s("0"),
                    min: 1,
                    max: 16,
                },
            ),
            (
                "max_connect=99",
                Error::OutOfRange {
                    option: s("max_connect"),
                    value: s("99"),
                    min: 1,
                    max: 16,
                },
            ),
            (
                "minorversion=3",
                Error::OutOfRange {
                    option: s("minorversion"),
                    value: s("3"),
                    min: 0,
                    max: 2,
                },
            ),
            (
                "rsize=512",
                Error::OutOfRange {
                    option: s("rsize"),
                    value: s("512"),
                    min: 1024,
                    max: 1_048_576,
                },
            ),
            (
                "timeo=0",
                Error::OutOfRange {
                    option: s("timeo"),
                    value: s("0"),
                    min: 1,
                    max: u64::from(u32::MAX),
                },
            ),
            (
                "mountvers=4",
                Error::OutOfRange {
                    option: s("mountvers"),
                    value: s("4"),
                    min: 1,
                    max: 3,
                },
            ),
            (
                "rsize=8k",
                Error::InvalidNumber {
                    option: s("rsize"),
                    value: s("8k"),
                },
            ),
            (
                "timeo=-1",
                Error::InvalidNumber {
                    option: s("timeo"),
                    value: s("-1"),
                },
            ),
            (
                "retrans=02",
                Error::InvalidNumber {
                    option: s("retrans"),
                    value: s("02"),
                },
            ),
            (
                "nfsvers=5",
                Error::InvalidValue {
                    option: s("nfsvers"),
                    value: s("5"),
                    expected: "2, 3, 4, 4.0, 4.1 or 4.2",
                },
            ),
            (
                "proto=sctp",
                Error::InvalidValue {
                    option: s("proto"),
                    value: s("sctp"),
                    expected: "tcp, udp, rdma, tcp6, udp6 or rdma6",
                },
            ),
            (
                "local_lock=some",
                Error::InvalidValue {
                    option: s("local_lock"),
                    value: s("some"),
                    expected: "none, all, flock or posix",
                },
            ),
            (
                "lookupcache=neg",
                Error::InvalidValue {
                    option: s("lookupcache"),
                    value: s("neg"),
                    expected: "all, none, pos or positive",
                },
            ),
            (
                "xprtsec=ssl",
                Error::InvalidValue {
                    option: s("xprtsec"),
                    value: s("ssl"),
                    expected: "none, tls or mtls",
                },
            ),
            ("sec=krb4", Error::UnknownSecFlavor { value: s("krb4") }),
            ("sec=sys::krb5", Error::UnknownSecFlavor { value: s("") }),
            (
                "hard=1",
                Error::UnexpectedValue {
                    option: s("hard"),
                    value: s("1"),
                },
            ),
            (
                "noac=yes",
                Error::UnexpectedValue {
                    option: s("noac"),
                    value: s("yes"),
                },
            ),
            (
                "hard,soft",
                Error::ConflictingOptions {
                    first: s("hard"),
                    second: s("soft"),
                },
            ),
            (
                "rw,ro",
                Error::ConflictingOptions {
                    first: s("rw"),
                    second: s("ro"),
                },
            ),
            (
                "ac,noac",
                Error::ConflictingOptions {
                    first: s("ac"),
                    second: s("noac"),
                },
            ),
            (
                "nfsvers=3,vers=4",
                Error::ConflictingOptions {
                    first: s("nfsvers=3"),
                    second: s("vers=4"),
                },
            ),
            (
                "addr=1.2.3.4,addr=1.2.3.5",
                Error::ConflictingOptions {
                    first: s("addr=1.2.3.4"),
                    second: s("addr=1.2.3.5"),
                },
            ),
            (
                "addr=FE80::1",
                Error::InvalidValue {
                    option: s("addr"),
                    value: s("FE80::1"),
                    expected: "an IP address in canonical form (lowercase, shortest IPv6 form)",
                },
            ),
            (
                "addr=fe80::1%eth0",
                Error::NotAnIpAddress {
                    option: s("addr"),
                    value: s("fe80::1%eth0"),
                },
            ),
            (
                "=x",
                Error::InvalidCharacter {
                    what: "option",
                    value: s("=x"),
                    ch: '=',
                },
            ),
            (
                "rw, ro",
                Error::InvalidCharacter {
                    what: "option",
                    value: s(" ro"),
                    ch: ' ',
                },
            ),
        ];
        for (input, want) in table {
            assert_eq!(input.parse::<NfsOptions>(), Err(want), "input {input:?}");
        }
    }

    #[test]
    fn builder_puts_addr_first() {
        let o = NfsOptions::builder()
            .nfsvers(NfsVersion::V4_1)
            .recovery(Recovery::Hard)
            .options_str("rw,noatime")
            .addr("192.168.1.220".parse().unwrap())
            .build()
            .unwrap();
        assert_eq!(
            o.to_string(),
            "addr=192.168.1.220,nfsvers=4.1,hard,rw,noatime"
        );
        assert_eq!(
            NfsOptions::builder()
                .option(NfsOption::Other("a,b".into(), None))
                .build(),
            Err(Error::InvalidCharacter {
                what: "option",
                value: "a,b".into(),
                ch: ','
            })
        );
        assert_eq!(
            NfsOptions::builder()
                .option(NfsOption::Rsize(4096))
                .option(NfsOption::Addr("::1".parse().unwrap()))
                .build()
                .unwrap()
                .to_string(),
            "addr=::1,rsize=4096"
        );
        assert!(
            NfsOptions::builder()
                .proto(Proto::Udp)
                .nfsvers(NfsVersion::V4)
                .build()
                .is_err()
        );
    }
}
