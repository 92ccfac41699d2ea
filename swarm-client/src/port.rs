//! The docker CLI's `--publish` grammar ([`PortSpec`]) and the Engine API `PortConfig` model.
//!
//! Long syntax: `mode=host,target=80,published=8080,protocol=udp` (one CSV record; keys and
//! values are case-insensitive; no ranges). Short syntax: `80`, `8080:80`, `8080:80/udp`,
//! `8000-8002:80-82`, `8000-8002:80` (one target, a range of published ports), `:80`; like
//! go-connections, anything after a second `/` is ignored (`80/udp/x`); a host IP is rejected
//! ("hostip is not supported"). Errors carry the docker CLI 28's reason texts.
//!
//! ```
//! use swarm_client::port::PortSpec;
//!
//! let p: PortSpec = "mode=host,target=80,published=8080".parse().unwrap();
//! assert_eq!(
//!     serde_json::to_string(&p).unwrap(),
//!     r#"[{"Protocol":"tcp","TargetPort":80,"PublishedPort":8080,"PublishMode":"host"}]"#
//! );
//! assert_eq!("8000-8001:80-81".parse::<PortSpec>().unwrap().configs().len(), 2);
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::serde_util::is_zero;
use crate::string_enum::string_enum;

string_enum! {
    /// `Protocol` of a published port.
    Protocol {
        /// `tcp`.
        Tcp = "tcp",
        /// `udp`.
        Udp = "udp",
        /// `sctp`.
        Sctp = "sctp",
    }
}

string_enum! {
    /// `PublishMode` of a published port.
    PublishMode {
        /// `ingress`: the routing mesh (every node).
        Ingress = "ingress",
        /// `host`: only on the node running the task.
        Host = "host",
    }
}

/// The Engine API `PortConfig` object, as the docker CLI sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct PortConfig {
    /// `Name`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// `Protocol`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
    /// `TargetPort`: the port inside the container.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub target_port: u32,
    /// `PublishedPort` (0 = the daemon picks one).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub published_port: u32,
    /// `PublishMode`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish_mode: Option<PublishMode>,
    /// Fields this crate does not model (e.g. `ClusterOptions`, tmpfs `Options`), kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// Why a `--publish` value was rejected. The `Display` text is the docker CLI's reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PortError {
    /// The long-syntax value is not one valid CSV record.
    #[error(transparent)]
    Csv(#[from] sdk_grammar::Error),
    /// A long-syntax field without `=` or with an empty key.
    #[error("invalid field: {0}")]
    InvalidField(String),
    /// A long-syntax key other than target/published/protocol/mode.
    #[error("invalid field key: {0}")]
    InvalidFieldKey(String),
    /// A protocol other than tcp/udp/sctp (long syntax).
    #[error("invalid protocol value '{0}'")]
    InvalidProtocolValue(String),
    /// A mode other than ingress/host.
    #[error("invalid publish mode value ({0}): must be either 'ingress' or 'host'")]
    InvalidPublishMode(String),
    /// A target port that is not a number in 0..=65535.
    #[error("invalid target port ({value}): value must be an integer: {reason}")]
    InvalidTargetPort {
        /// The value.
        value: String,
        /// `invalid syntax` or `value out of range`.
        reason: &'static str,
    },
    /// A published port that is not a number in 0..=65535.
    #[error("invalid published port ({value}): value must be an integer: {reason}")]
    InvalidPublishedPort {
        /// The value.
        value: String,
        /// `invalid syntax` or `value out of range`.
        reason: &'static str,
    },
    /// Long syntax without a (non-zero) target.
    #[error("missing mandatory field 'target'")]
    MissingTarget,
    /// Short syntax with nothing before an optional `/proto`.
    #[error("no port specified: {0}<empty>")]
    NoPort(String),
    /// A protocol other than tcp/udp/sctp (short syntax).
    #[error("invalid proto: {0}")]
    InvalidProto(String),
    /// A malformed host IP.
    #[error("invalid IP address: {0}")]
    InvalidIp(String),
    /// A malformed bracketed host IP.
    #[error("invalid IP address {ip}: address {addr}: {reason}")]
    InvalidBracketIp {
        /// The IP part as written.
        ip: String,
        /// What was split.
        addr: String,
        /// Go's `net.SplitHostPort` reason.
        reason: &'static str,
    },
    /// A host IP (swarm services publish on all addresses).
    #[error("hostip is not supported")]
    HostIpNotSupported,
    /// A bad container port or range.
    #[error("invalid containerPort: {0}")]
    InvalidContainerPort(String),
    /// A bad host port or range.
    #[error("invalid hostPort: {0}")]
    InvalidHostPort(String),
    /// Ranges of different lengths.
    #[error("invalid ranges specified for container and host Ports: {container} and {host}")]
    InvalidRanges {
        /// The container port range.
        container: String,
        /// The host port range.
        host: String,
    },
    /// A list of port configs that no `--publish` string produces.
    #[error("ports cannot be written as a --publish value: {0}")]
    NotRepresentable(String),
}

/// One parsed `--publish` value: the `PortConfig` list the docker CLI sends for it (a range
/// gives several entries, in ascending order).
///
/// Serde: serialises as the `PortConfig` JSON list; deserialises from a `--publish` string or
/// from such a list (validated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSpec(Vec<PortConfig>);

impl PortSpec {
    /// The port configs.
    #[must_use]
    pub fn configs(&self) -> &[PortConfig] {
        &self.0
    }
    /// The port configs, by value.
    #[must_use]
    pub fn into_configs(self) -> Vec<PortConfig> {
        self.0
    }
}

/// Go's `strconv.ParseUint(s, 10, 16)` reasons.
fn parse_u16(s: &str) -> Result<u32, &'static str> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err("invalid syntax");
    }
    match s.parse::<u64>() {
        Ok(v) if v <= 65535 => Ok(u32::try_from(v).unwrap_or(0)),
        _ => Err("value out of range"),
    }
}

/// go-connections `ParsePortRange`: `N` or `N-M` with `M >= N`.
fn parse_range(s: &str) -> Option<(u32, u32)> {
    if s.is_empty() {
        return None;
    }
    if !s.contains('-') {
        let v = parse_u16(s).ok()?;
        return Some((v, v));
    }
    let mut parts = s.split('-');
    let start = parse_u16(parts.next()?).ok()?;
    let end = parse_u16(parts.next()?).ok()?;
    (end >= start).then_some((start, end))
}

/// Whether the value contains `\w+=\w+` anywhere (the CLI's unanchored long-syntax test).
fn is_long_syntax(s: &str) -> bool {
    let b = s.as_bytes();
    let w = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    (1..b.len().saturating_sub(1)).any(|i| b[i] == b'=' && w(b[i - 1]) && w(b[i + 1]))
}

fn parse_long(value: &str) -> Result<PortConfig, PortError> {
    let fields = sdk_grammar::csv::read_values(value)?;
    let mut p = PortConfig::default();
    for field in &fields {
        let lower = field.to_lowercase();
        let Some((key, val)) = lower.split_once('=').filter(|(k, _)| !k.is_empty()) else {
            return Err(PortError::InvalidField(field.clone()));
        };
        match key {
            "protocol" => {
                let proto = Protocol::from(val);
                if matches!(proto, Protocol::Unknown(_)) {
                    return Err(PortError::InvalidProtocolValue(val.to_owned()));
                }
                p.protocol = Some(proto);
            }
            "mode" => {
                let mode = PublishMode::from(val);
                if matches!(mode, PublishMode::Unknown(_)) {
                    return Err(PortError::InvalidPublishMode(val.to_owned()));
                }
                p.publish_mode = Some(mode);
            }
            "target" => {
                p.target_port = parse_u16(val).map_err(|reason| PortError::InvalidTargetPort {
                    value: val.to_owned(),
                    reason,
                })?;
            }
            "published" => {
                p.published_port =
                    parse_u16(val).map_err(|reason| PortError::InvalidPublishedPort {
                        value: val.to_owned(),
                        reason,
                    })?;
            }
            _ => return Err(PortError::InvalidFieldKey(key.to_owned())),
        }
    }
    if p.target_port == 0 {
        return Err(PortError::MissingTarget);
    }
    p.publish_mode.get_or_insert(PublishMode::Ingress);
    p.protocol.get_or_insert(Protocol::Tcp);
    Ok(p)
}

/// Go's `net.SplitHostPort(ip + ":")` for a value starting with `[`: the host inside brackets.
fn strip_brackets(ip: &str) -> Result<String, PortError> {
    let addr = format!("{ip}:");
    let err = |reason| PortError::InvalidBracketIp {
        ip: ip.to_owned(),
        addr: addr.clone(),
        reason,
    };
    let Some(end) = addr.find(']') else {
        return Err(err("missing ']' in address"));
    };
    let rest = &addr[end + 1..];
    if rest == ":" {
        // fine: "[host]:"
    } else if rest.is_empty() {
        return Err(err("missing port in address"));
    } else if rest.starts_with(':') {
        return Err(err("too many colons in address"));
    } else {
        return Err(err("missing port in address"));
    }
    let host = &addr[1..end];
    if host.contains('[') {
        return Err(err("unexpected '[' in address"));
    }
    if addr[end + 1..].contains(']') {
        return Err(err("unexpected ']' in address"));
    }
    Ok(host.to_owned())
}

fn parse_short(raw: &str) -> Result<Vec<PortConfig>, PortError> {
    // go-connections `nat.ParsePortSpec`, its checks in its order.
    let parts: Vec<&str> = raw.split(':').collect();
    let n = parts.len();
    let (ip, host_port, container) = match n {
        1 => (String::new(), "", parts[0]),
        2 => (String::new(), parts[0], parts[1]),
        _ => (parts[..n - 2].join(":"), parts[n - 2], parts[n - 1]),
    };
    // `SplitProtoPort`: `PORT[/PROTO[/anything]]`; a missing or empty protocol is tcp.
    let pp: Vec<&str> = container.split('/').collect();
    let (proto, port) = match pp[..] {
        [""] | ["", ..] => ("", ""),
        [p] => ("tcp", p),
        [p, "", ..] => ("tcp", p),
        [p, proto, ..] => (proto, p),
        [] => ("", ""),
    };
    let mut ip = ip;
    if ip.starts_with('[') {
        ip = strip_brackets(&ip)?;
    }
    if !ip.is_empty() && ip.parse::<std::net::IpAddr>().is_err() {
        return Err(PortError::InvalidIp(ip));
    }
    if port.is_empty() {
        return Err(PortError::NoPort(raw.to_owned()));
    }
    let (start, end) =
        parse_range(port).ok_or_else(|| PortError::InvalidContainerPort(port.to_owned()))?;
    let mut host = None;
    if !host_port.is_empty() {
        let (hs, he) = parse_range(host_port)
            .ok_or_else(|| PortError::InvalidHostPort(host_port.to_owned()))?;
        if end - start != he - hs && end != start {
            return Err(PortError::InvalidRanges {
                container: port.to_owned(),
                host: host_port.to_owned(),
            });
        }
        host = Some((hs, he));
    }
    let protocol = Protocol::from(proto.to_lowercase());
    if matches!(protocol, Protocol::Unknown(_)) {
        return Err(PortError::InvalidProto(proto.to_owned()));
    }
    if !ip.is_empty() {
        return Err(PortError::HostIpNotSupported);
    }
    let config = |target, published| PortConfig {
        name: String::new(),
        protocol: Some(protocol.clone()),
        target_port: target,
        published_port: published,
        publish_mode: Some(PublishMode::Ingress),
        extra: BTreeMap::new(),
    };
    let mut out = Vec::new();
    match host {
        None => out.extend((start..=end).map(|t| config(t, 0))),
        Some((hs, he)) if start == end => out.extend((hs..=he).map(|h| config(start, h))),
        Some((hs, _)) => out.extend((start..=end).map(|t| config(t, hs + (t - start)))),
    }
    Ok(out)
}

impl FromStr for PortSpec {
    type Err = PortError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        if is_long_syntax(value) {
            Ok(Self(vec![parse_long(value)?]))
        } else {
            Ok(Self(parse_short(value)?))
        }
    }
}

impl fmt::Display for PortSpec {
    /// One config with a target port: the long syntax. Otherwise the short syntax
    /// (`[published[-end]:]target[-end]/proto`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let configs = &self.0;
        let Some(first) = configs.first() else {
            return Ok(());
        };
        let proto = first.protocol.as_ref().map_or("tcp", Protocol::as_str);
        if configs.len() == 1 && first.target_port != 0 {
            let mode = first
                .publish_mode
                .as_ref()
                .map_or("ingress", PublishMode::as_str);
            write!(f, "target={}", first.target_port)?;
            if first.published_port != 0 {
                write!(f, ",published={}", first.published_port)?;
            }
            return write!(f, ",protocol={proto},mode={mode}");
        }
        let last = &configs[configs.len() - 1];
        let range = |a: u32, b: u32| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            }
        };
        let targets = range(first.target_port, last.target_port);
        if first.published_port == 0 && last.published_port == 0 {
            write!(f, "{targets}/{proto}")
        } else if first.published_port == last.published_port {
            write!(f, "{}:{targets}/{proto}", first.published_port)
        } else {
            write!(
                f,
                "{}:{targets}/{proto}",
                range(first.published_port, last.published_port)
            )
        }
    }
}

impl TryFrom<Vec<PortConfig>> for PortSpec {
    type Error = PortError;

    /// Accepts a list that some `--publish` string produces (checked by writing it out and
    /// reading it back).
    fn try_from(configs: Vec<PortConfig>) -> Result<Self, Self::Error> {
        let candidate = Self(configs);
        let text = candidate.to_string();
        match text.parse::<Self>() {
            Ok(back) if back == candidate => Ok(candidate),
            Ok(_) => Err(PortError::NotRepresentable(format!(
                "`{text}` reads back differently"
            ))),
            Err(e) => Err(PortError::NotRepresentable(e.to_string())),
        }
    }
}

impl Serialize for PortSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for PortSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Text(String),
            Json(Vec<PortConfig>),
        }
        match Either::deserialize(d)? {
            Either::Text(s) => s.parse().map_err(serde::de::Error::custom),
            Either::Json(v) => Self::try_from(v).map_err(serde::de::Error::custom),
        }
    }
}
