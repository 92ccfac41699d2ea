//! Registry host names as the docker CLI and dockerd read them: Docker Hub's aliases, the key
//! of `config.json`'s `auths`, the host that serves the API, loopback hosts.

/// Docker Hub's domain in references (`docker.io/library/nginx`).
pub const DEFAULT_DOMAIN: &str = "docker.io";
/// Docker Hub's legacy domain, normalised to [`DEFAULT_DOMAIN`] in references.
pub const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
/// The host that serves Docker Hub's registry API.
pub const DOCKER_HUB_API_HOST: &str = "registry-1.docker.io";
/// The key the docker CLI uses for Docker Hub in `config.json` and with credential helpers.
pub const DOCKER_HUB_CONFIG_KEY: &str = "https://index.docker.io/v1/";

/// Whether `host` (lower-case) is one of Docker Hub's names.
#[must_use]
pub fn is_docker_hub(host: &str) -> bool {
    host.eq_ignore_ascii_case(DEFAULT_DOMAIN)
        || host.eq_ignore_ascii_case(LEGACY_DEFAULT_DOMAIN)
        || host.eq_ignore_ascii_case(DOCKER_HUB_API_HOST)
}

/// The docker CLI's `ConvertToHostname`: the host (and port) of a registry string with its
/// scheme and path removed, lower-cased; Docker Hub's names become `index.docker.io`.
///
/// ```
/// use sdk_grammar::registry::hostname;
/// assert_eq!(hostname("https://Registry.example:5000/v2/"), "registry.example:5000");
/// assert_eq!(hostname("registry-1.docker.io"), "index.docker.io");
/// ```
#[must_use]
pub fn hostname(registry: &str) -> String {
    let s = registry.trim();
    let s = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(s);
    let host = s.split('/').next().unwrap_or("").to_ascii_lowercase();
    if is_docker_hub(&host) {
        LEGACY_DEFAULT_DOMAIN.to_owned()
    } else {
        host
    }
}

/// The key of a registry in `config.json`'s `auths` (and for credential helpers):
/// [`DOCKER_HUB_CONFIG_KEY`] for Docker Hub, else [`hostname`].
///
/// ```
/// use sdk_grammar::registry::config_key;
/// assert_eq!(config_key("docker.io"), "https://index.docker.io/v1/");
/// assert_eq!(config_key("http://127.0.0.1:5000"), "127.0.0.1:5000");
/// ```
#[must_use]
pub fn config_key(registry: &str) -> String {
    let host = hostname(registry);
    if host == LEGACY_DEFAULT_DOMAIN {
        DOCKER_HUB_CONFIG_KEY.to_owned()
    } else {
        host
    }
}

/// The host (and port) that serves a registry's API: Docker Hub's names become
/// [`DOCKER_HUB_API_HOST`], others are lower-cased.
///
/// ```
/// assert_eq!(sdk_grammar::registry::api_host("docker.io"), "registry-1.docker.io");
/// assert_eq!(sdk_grammar::registry::api_host("LocalHost:5000"), "localhost:5000");
/// ```
#[must_use]
pub fn api_host(registry: &str) -> String {
    if is_docker_hub(registry) {
        DOCKER_HUB_API_HOST.to_owned()
    } else {
        registry.to_ascii_lowercase()
    }
}

/// Whether a registry host (with an optional port) is loopback — `localhost`, 127.0.0.0/8 or
/// `[::1]` — and so spoken to over plain HTTP, as dockerd does.
///
/// ```
/// use sdk_grammar::registry::is_loopback;
/// assert!(is_loopback("127.0.0.2:5000"));
/// assert!(is_loopback("[::1]:5000"));
/// assert!(!is_loopback("registry.example"));
/// ```
#[must_use]
pub fn is_loopback(registry: &str) -> bool {
    let host = if let Some(rest) = registry.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        registry.rsplit_once(':').map_or(registry, |(h, _)| h)
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_aliases() {
        for h in [
            "docker.io",
            "index.docker.io",
            "registry-1.docker.io",
            "Docker.IO",
        ] {
            assert_eq!(api_host(h), DOCKER_HUB_API_HOST);
            assert_eq!(config_key(h), DOCKER_HUB_CONFIG_KEY);
            assert_eq!(
                config_key(&format!("https://{h}/v1/")),
                DOCKER_HUB_CONFIG_KEY
            );
        }
        assert_eq!(config_key(" registry.example/path "), "registry.example");
    }

    #[test]
    fn loopback_hosts() {
        for r in [
            "localhost",
            "localhost:5000",
            "127.0.0.1",
            "127.1.2.3:80",
            "[::1]:5000",
            "[::1]",
        ] {
            assert!(is_loopback(r), "{r}");
        }
        for r in [
            "10.0.0.1:5000",
            "[::2]:5000",
            "example.com",
            "localhost.example",
            "",
        ] {
            assert!(!is_loopback(r), "{r}");
        }
    }
}
