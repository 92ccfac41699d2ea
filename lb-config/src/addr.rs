//! [`ServerAddr`]: the address of an upstream server.

use crate::error::{Error, Result};
use crate::validate::check_word;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// The host part of a [`ServerAddr`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Host {
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 address (written `[addr]`).
    Ipv6(Ipv6Addr),
    /// A DNS name.
    Name(String),
    /// A unix socket path (written `unix:/path`).
    Unix(String),
}

/// An upstream server address: IPv4, `[IPv6]`, a hostname or `unix:/path`, with an optional port
/// (not for unix sockets).
///
/// ```
/// use lb_config::ServerAddr;
/// let a: ServerAddr = "[::1]:8080".parse().unwrap();
/// assert_eq!(a.to_string(), "[::1]:8080");
/// assert!("::1".parse::<ServerAddr>().is_err()); // IPv6 needs brackets
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServerAddr {
    host: Host,
    port: Option<u16>,
}

impl ServerAddr {
    /// The host part.
    #[must_use]
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The port, if one was given.
    #[must_use]
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// An IPv4 or IPv6 address with an optional port.
    #[must_use]
    pub fn ip(ip: std::net::IpAddr, port: Option<u16>) -> Self {
        let host = match ip {
            std::net::IpAddr::V4(a) => Host::Ipv4(a),
            std::net::IpAddr::V6(a) => Host::Ipv6(a),
        };
        Self { host, port }
    }
}

fn parse_port(s: &str) -> Result<u16> {
    match s.parse::<u16>() {
        Ok(p) if p > 0 && s.bytes().all(|b| b.is_ascii_digit()) => Ok(p),
        _ => Err(Error::InvalidPort {
            value: s.to_owned(),
        }),
    }
}

fn check_hostname(value: &str, host: &str) -> Result<()> {
    let bad = |reason: &str| Error::InvalidAddress {
        value: value.to_owned(),
        reason: reason.into(),
    };
    if host.is_empty() {
        return Err(bad("empty host"));
    }
    if host.len() > 253 {
        return Err(bad("hostname longer than 253 characters"));
    }
    for label in host.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(bad("hostname labels must be 1-63 characters"));
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(bad(
                "hostnames may contain only letters, digits, '-', '_' and '.'",
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(bad("hostname labels may not start or end with '-'"));
        }
    }
    if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(bad("not a valid IPv4 address"));
    }
    Ok(())
}

impl FromStr for ServerAddr {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        check_word("server address", s)?;
        // nginx matches `unix:` without regard to case (ngx_parse_url uses ngx_strncasecmp), so
        // `UNIX:/run/x.sock` is a socket too and `uniX:1` is not a host named `unix`.
        let unix_path = s
            .get(..5)
            .filter(|p| p.eq_ignore_ascii_case("unix:"))
            .map(|_| &s[5..]);
        if let Some(path) = unix_path {
            if !path.starts_with('/') {
                return Err(Error::InvalidAddress {
                    value: s.to_owned(),
                    reason: "unix socket paths must be absolute (unix:/path)".into(),
                });
            }
            return Ok(Self {
                host: Host::Unix(path.to_owned()),
                port: None,
            });
        }
        if let Some(rest) = s.strip_prefix('[') {
            let Some((inner, after)) = rest.split_once(']') else {
                return Err(Error::InvalidAddress {
                    value: s.to_owned(),
                    reason: "missing ']'".into(),
                });
            };
            let ip = inner
                .parse::<Ipv6Addr>()
                .map_err(|_| Error::InvalidAddress {
                    value: s.to_owned(),
                    reason: "not a valid IPv6 address inside the brackets".into(),
                })?;
            let port = match after {
                "" => None,
                p => match p.strip_prefix(':') {
                    Some(p) => Some(parse_port(p)?),
                    None => {
                        return Err(Error::InvalidAddress {
                            value: s.to_owned(),
                            reason: "expected ':PORT' after ']'".into(),
                        });
                    }
                },
            };
            return Ok(Self {
                host: Host::Ipv6(ip),
                port,
            });
        }
        if s.matches(':').count() > 1 {
            let looks_v6 = s.parse::<Ipv6Addr>().is_ok()
                || s.rsplit_once(':')
                    .is_some_and(|(a, _)| a.parse::<Ipv6Addr>().is_ok());
            if looks_v6 {
                return Err(Error::UnbracketedIpv6 {
                    value: s.to_owned(),
                });
            }
            return Err(Error::InvalidAddress {
                value: s.to_owned(),
                reason: "too many ':'".into(),
            });
        }
        let (host, port) = match s.split_once(':') {
            Some((h, p)) => (h, Some(parse_port(p)?)),
            None => (s, None),
        };
        let host = if let Ok(ip) = host.parse::<Ipv4Addr>() {
            Host::Ipv4(ip)
        } else {
            check_hostname(s, host)?;
            Host::Name(host.to_ascii_lowercase())
        };
        Ok(Self { host, port })
    }
}

impl TryFrom<&str> for ServerAddr {
    type Error = Error;
    fn try_from(s: &str) -> Result<Self> {
        s.parse()
    }
}

impl fmt::Display for ServerAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.host {
            Host::Ipv4(a) => write!(f, "{a}")?,
            Host::Ipv6(a) => write!(f, "[{a}]")?,
            Host::Name(n) => f.write_str(n)?,
            Host::Unix(p) => return write!(f, "unix:{p}"),
        }
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_addresses_round_trip() {
        for (input, shown) in [
            ("192.168.1.157", "192.168.1.157"),
            ("127.0.0.1:8080", "127.0.0.1:8080"),
            ("[::1]", "[::1]"),
            ("[2001:db8::1]:443", "[2001:db8::1]:443"),
            ("[2001:DB8:0::1]", "[2001:db8::1]"),
            ("backend.example.com:81", "backend.example.com:81"),
            ("Web_1", "web_1"),
            ("unix:/run/app.sock", "unix:/run/app.sock"),
            ("UNIX:/run/App.sock", "unix:/run/App.sock"),
        ] {
            let a: ServerAddr = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(a.to_string(), shown);
            assert_eq!(shown.parse::<ServerAddr>().unwrap(), a);
        }
    }

    #[test]
    fn bad_addresses() {
        assert_eq!(
            "::1".parse::<ServerAddr>(),
            Err(Error::UnbracketedIpv6 {
                value: "::1".into()
            })
        );
        assert_eq!(
            "2001:db8::1:80".parse::<ServerAddr>(),
            Err(Error::UnbracketedIpv6 {
                value: "2001:db8::1:80".into()
            })
        );
        assert_eq!(
            "h:0".parse::<ServerAddr>(),
            Err(Error::InvalidPort { value: "0".into() })
        );
        assert_eq!(
            "h:70000".parse::<ServerAddr>(),
            Err(Error::InvalidPort {
                value: "70000".into()
            })
        );
        assert_eq!(
            "h:+1".parse::<ServerAddr>(),
            Err(Error::InvalidPort { value: "+1".into() })
        );
        for bad in [
            "",
            "a;b",
            "a b",
            "[::1",
            "[zz]",
            "[::1]80",
            "unix:rel",
            // nginx reads any case of `unix:` as a socket (found by the nginx_config fuzz
            // target: this parsed as host `unix` port 1, then printed as `unix:1`)
            "uniX:1",
            "a..b",
            "-a",
            "1.2.3.256",
            "a:b:c",
        ] {
            assert!(bad.parse::<ServerAddr>().is_err(), "{bad:?}");
        }
        assert!(matches!(
            "h;x".parse::<ServerAddr>(),
            Err(Error::UnsafeValue { .. })
        ));
    }
}
