//! docker's short port syntax in compose files (`nat.ParsePortSpecs` then
//! `swarmopts.ConvertPortToPortConfig`): `80`, `8080:80`, `127.0.0.1:8080:80/udp`,
//! `8000-8001:80-81`, `9000-9002:80`. Unlike `--publish`, a host IP is accepted and ignored with
//! docker's warning.

use std::net::IpAddr;

use crate::model::Port;

fn split_proto_port(raw: &str) -> (&str, &str) {
    let parts: Vec<&str> = raw.split('/').collect();
    if raw.is_empty() || parts[0].is_empty() {
        return ("", "");
    }
    if parts.len() == 1 {
        return ("tcp", raw);
    }
    if parts[1].is_empty() {
        return ("tcp", parts[0]);
    }
    (parts[1], parts[0])
}

fn port_u16(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<u16>().ok().map(u64::from)
}

/// `nat.ParsePortRange`.
fn port_range(s: &str) -> Result<(u64, u64), String> {
    if s.is_empty() {
        return Err("empty string specified for ports".into());
    }
    match s.split_once('-') {
        None => port_u16(s)
            .map(|p| (p, p))
            .ok_or_else(|| format!("invalid port {s}")),
        Some((a, rest)) => {
            let b = rest.split('-').next().unwrap_or_default();
            let start = port_u16(a).ok_or_else(|| format!("invalid port {a}"))?;
            let end = port_u16(b).ok_or_else(|| format!("invalid port {b}"))?;
            if end < start {
                return Err(format!("invalid range specified for port: {s}"));
            }
            Ok((start, end))
        }
    }
}

/// One mapping of `nat.ParsePortSpec`: (container port key `80/tcp`, host ip, host port).
type Mapping = (u64, String, String, String);

/// `nat.ParsePortSpec`.
///
/// # Errors
/// nat's texts (`invalid IP address: …`, `no port specified: …`, `invalid containerPort: …`,
/// `invalid hostPort: …`, `invalid ranges specified …`, `invalid proto: …`).
fn parse_port_spec(raw: &str) -> Result<Vec<Mapping>, String> {
    let parts: Vec<&str> = raw.split(':').collect();
    let n = parts.len();
    let (mut ip, host_port, container) = match n {
        1 => (String::new(), "", parts[0]),
        2 => (String::new(), parts[0], parts[1]),
        3 => (parts[0].to_owned(), parts[1], parts[2]),
        _ => (parts[..n - 2].join(":"), parts[n - 2], parts[n - 1]),
    };
    let (proto, container) = split_proto_port(container);
    if ip.starts_with('[') {
        ip = ip
            .strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .map(str::to_owned)
            .ok_or_else(|| format!("invalid IP address {ip}"))?;
    }
    if !ip.is_empty() && ip.parse::<IpAddr>().is_err() {
        return Err(format!("invalid IP address: {ip}"));
    }
    if container.is_empty() {
        return Err(format!("no port specified: {raw}<empty>"));
    }
    let (start, end) =
        port_range(container).map_err(|_| format!("invalid containerPort: {container}"))?;
    let (mut hstart, mut hend) = (0, 0);
    if !host_port.is_empty() {
        (hstart, hend) =
            port_range(host_port).map_err(|_| format!("invalid hostPort: {host_port}"))?;
    }
    if !host_port.is_empty() && end - start != hend.wrapping_sub(hstart) && end != start {
        return Err(format!(
            "invalid ranges specified for container and host Ports: {container} and {host_port}"
        ));
    }
    let proto = proto.to_lowercase();
    if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        return Err(format!("invalid proto: {proto}"));
    }
    let mut out = Vec::new();
    for i in 0..=(end - start) {
        let mut hp = if host_port.is_empty() {
            String::new()
        } else {
            (hstart + i).to_string()
        };
        if start == end && hstart != hend {
            hp = format!("{hp}-{hend}");
        }
        out.push((start + i, proto.clone(), ip.clone(), hp));
    }
    Ok(out)
}

/// Checks a value against docker's schema `ports` format (`nat.ParsePortSpec`).
#[must_use]
pub fn is_port_format(raw: &str) -> bool {
    parse_port_spec(raw).is_ok()
}

/// Expands one short-syntax entry into ports as docker's loader does (ports sorted by their
/// `PORT/PROTO` key as text), with docker's warnings for host IPs it ignores.
///
/// # Errors
/// The reason the entry is not a port spec.
pub fn parse_short(raw: &str) -> Result<(Vec<Port>, Vec<String>), String> {
    let mut mappings = parse_port_spec(raw)?;
    mappings.sort_by_key(|(p, proto, _, _)| format!("{p}/{proto}"));
    let mut ports = Vec::new();
    let mut warnings = Vec::new();
    for (target, proto, ip, hp) in mappings {
        if let Ok(addr) = ip.parse::<IpAddr>()
            && !addr.is_unspecified()
        {
            let host = if addr.is_ipv6() {
                format!("[{ip}]")
            } else {
                ip.clone()
            };
            warnings.push(format!(
                "ignoring IP-address ({host}:{hp}:{target}/{proto}) service will listen on '0.0.0.0'"
            ));
        }
        let (s, e) = if hp.is_empty() {
            (0, 0)
        } else {
            port_range(&hp)
                .map_err(|_| format!("invalid hostport binding ({hp}) for port ({target})"))?
        };
        for published in s..=e {
            ports.push(Port {
                mode: "ingress".into(),
                target: u32::try_from(target).unwrap_or_default(),
                published: u32::try_from(published).unwrap_or_default(),
                protocol: proto.clone(),
            });
        }
    }
    Ok((ports, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ports(s: &str) -> Vec<(u32, u32, String)> {
        parse_short(s)
            .unwrap()
            .0
            .into_iter()
            .map(|p| (p.target, p.published, p.protocol))
            .collect()
    }

    #[test]
    fn forms() {
        assert_eq!(ports("80"), vec![(80, 0, "tcp".into())]);
        assert_eq!(ports("8080:80/udp"), vec![(80, 8080, "udp".into())]);
        assert_eq!(
            ports("8000-8001:80-81"),
            vec![(80, 8000, "tcp".into()), (81, 8001, "tcp".into())]
        );
        assert_eq!(ports("9000-9002:80").len(), 3);
        // sorted by the "PORT/proto" text, as docker sorts its map keys
        assert_eq!(
            ports("99-100").iter().map(|p| p.0).collect::<Vec<_>>(),
            vec![100, 99]
        );
        let (p, w) = parse_short("127.0.0.1:8080:80").unwrap();
        assert_eq!(p[0].published, 8080);
        assert_eq!(
            w,
            vec!["ignoring IP-address (127.0.0.1:8080:80/tcp) service will listen on '0.0.0.0'"]
        );
        assert!(parse_short("0.0.0.0:81:80").unwrap().1.is_empty());
    }

    #[test]
    fn refusals() {
        for bad in [
            "80:80:80:80",
            "x",
            "80/xyz",
            "70000",
            "81-80",
            "8000-8002:80-81",
            "",
            "1.2.3:80:80",
        ] {
            assert!(parse_short(bad).is_err(), "{bad}");
        }
    }
}
