//! What to do next, appended to an error's line (the error stays one line): log in when a
//! registry wants credentials, list what exists when a name is unknown, and say which daemon was
//! tried (and where its address came from) when it cannot be reached.

use std::error::Error as StdError;

/// The daemon could not be reached: names the endpoint tried and where it came from.
#[derive(Debug, thiserror::Error)]
#[error("cannot reach the Docker daemon at {endpoint} (from {origin})")]
pub struct DaemonUnreachable {
    /// The endpoint tried (`unix:///…`, `tcp://…`).
    pub endpoint: String,
    /// Where it came from: `-H`, `DOCKER_HOST`, a docker context, or the default.
    pub origin: String,
    /// The connection error.
    #[source]
    pub source: swarm_client::Error,
}

/// Where the daemon address comes from when no `-H` is given, for `env` (the process
/// environment in the CLI): `DOCKER_HOST=…`, `DOCKER_CONTEXT=…`, or the default.
#[must_use]
pub fn origin(host: Option<&str>, env: impl Fn(&str) -> Option<String>) -> String {
    if let Some(h) = host {
        return format!("-H {h}");
    }
    match (env("DOCKER_HOST"), env("DOCKER_CONTEXT")) {
        (Some(h), _) if !h.is_empty() => format!("DOCKER_HOST={h}"),
        (_, Some(c)) if !c.is_empty() => format!("DOCKER_CONTEXT={c}"),
        _ => "the docker context or the default socket; DOCKER_HOST is not set".to_owned(),
    }
}

/// Wraps a connect failure in [`DaemonUnreachable`] (other errors pass unchanged).
#[must_use]
pub fn daemon_error(
    e: swarm_client::Error,
    host: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> super::CliError {
    if !e.is_unreachable() {
        return e.into();
    }
    let endpoint = match host {
        Some(h) => h.to_owned(),
        None => sdk_core::Endpoint::from_env_with(&env)
            .map_or_else(|_| "<DOCKER_HOST>".to_owned(), |e| e.to_string()),
    };
    Box::new(DaemonUnreachable {
        endpoint,
        origin: origin(host, &env),
        source: e,
    })
}

/// The command listing what exists, for a swarm-client `NotFound` on `endpoint`.
fn list_command(endpoint: &str) -> Option<&'static str> {
    let path = endpoint.split_once(' ').map_or(endpoint, |(_, p)| p);
    let path = path.split('?').next().unwrap_or(path);
    let path = path.strip_prefix('/').unwrap_or(path);
    // A versioned path (`/v1.41/services/x`) names the resource after the version.
    let mut parts = path.split('/');
    let mut first = parts.next().unwrap_or("");
    if first.starts_with('v') && first[1..].starts_with(|c: char| c.is_ascii_digit()) {
        first = parts.next().unwrap_or("");
    }
    Some(match first {
        "services" => "dockwright service ls",
        "nodes" => "dockwright node ls",
        "tasks" => "dockwright service ps SERVICE",
        "secrets" => "dockwright secret ls",
        "configs" => "dockwright config ls",
        "networks" => "dockwright network ls",
        _ => return None,
    })
}

/// `host[:port]` of an endpoint URL (`http://127.0.0.1:5000/v2/…`).
fn registry_host(endpoint: &str) -> Option<&str> {
    let rest = endpoint.split_once("://")?.1;
    let host = rest.split(['/', '?']).next()?;
    (!host.is_empty()).then_some(host)
}

/// `error; hint` for one item of a multi-item command (`rm A B`), keeping the item's line.
#[must_use]
pub fn with_hint(err: &(dyn StdError + 'static)) -> String {
    match hint(err) {
        Some(h) => format!("{err}; {h}"),
        None => err.to_string(),
    }
}

/// What to do next after `err`, if there is something to say.
#[must_use]
pub fn hint(err: &(dyn StdError + 'static)) -> Option<String> {
    let mut cur = Some(err);
    while let Some(e) = cur {
        if e.downcast_ref::<DaemonUnreachable>().is_some() {
            return Some(
                "is dockerd running there? Pass -H unix:///PATH/docker.sock (or tcp://HOST:PORT), \
                 or set DOCKER_HOST"
                    .to_owned(),
            );
        }
        if let Some(swarm_client::Error::NotFound { endpoint, .. }) =
            e.downcast_ref::<swarm_client::Error>()
        {
            return list_command(endpoint).map(|c| format!("`{c}` lists what exists"));
        }
        if let Some(swarm_client::Error::NotManager { .. }) =
            e.downcast_ref::<swarm_client::Error>()
        {
            return Some(
                "point -H (or DOCKER_HOST) at a manager, or run `dockwright swarm init`".into(),
            );
        }
        if let Some(r) = e.downcast_ref::<registry_client::Error>() {
            let denied = r.status() == Some(401)
                || r.has_code(&registry_client::ErrorCode::Unauthorized)
                || r.has_code(&registry_client::ErrorCode::Denied);
            if denied {
                let host = r
                    .api()
                    .and_then(|a| registry_host(&a.endpoint))
                    .unwrap_or("REGISTRY");
                return Some(format!(
                    "log in first: `dockwright login {host} -u USER --password-stdin` \
                     (credentials are read from $DOCKER_CONFIG/config.json, as docker's)"
                ));
            }
        }
        cur = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_points_at_the_listing() {
        let e = swarm_client::Error::NotFound {
            endpoint: "GET /v1.41/services/web".into(),
            message: "service web not found".into(),
        };
        assert_eq!(
            hint(&e).as_deref(),
            Some("`dockwright service ls` lists what exists")
        );
        let e = swarm_client::Error::NotFound {
            endpoint: "DELETE /nodes/x".into(),
            message: "node x not found".into(),
        };
        assert!(hint(&e).unwrap().contains("dockwright node ls"));
        assert_eq!(list_command("GET /version"), None);
        assert_eq!(
            registry_host("http://127.0.0.1:5000/v2/x/tags/list"),
            Some("127.0.0.1:5000")
        );
        assert_eq!(registry_host("GET /x"), None);
    }

    #[test]
    fn origin_names_the_source() {
        let none = |_: &str| None;
        assert_eq!(origin(Some("tcp://h:1"), none), "-H tcp://h:1");
        assert!(origin(None, none).contains("DOCKER_HOST is not set"));
        let host = |k: &str| (k == "DOCKER_HOST").then(|| "unix:///x.sock".to_owned());
        assert_eq!(origin(None, host), "DOCKER_HOST=unix:///x.sock");
    }
}
