//! What a [`MockSwarmBuilder`](super::MockSwarmBuilder) sets: the cluster's nodes, the task
//! timings and the image rules. The state machine reads these settings; nothing here changes
//! once the fake is started.

use std::time::Duration;

/// dockerd's default `RestartPolicy.Delay`.
const DEFAULT_RESTART_DELAY: Duration = Duration::from_secs(5);

/// A node of the fake cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MockNode {
    /// Node hostname (`Description.Hostname`).
    pub hostname: String,
    /// Node address (`Status.Addr`), e.g. `127.0.0.2`.
    pub addr: String,
    /// `manager` or `worker`.
    pub role: String,
}

impl MockNode {
    /// A node with `hostname`, `addr` and `role` (`manager` or `worker`).
    pub fn new(
        hostname: impl Into<String>,
        addr: impl Into<String>,
        role: impl Into<String>,
    ) -> Self {
        Self {
            hostname: hostname.into(),
            addr: addr.into(),
            role: role.into(),
        }
    }
}

/// A registry whose images need credentials.
#[derive(Clone)]
pub(crate) struct PrivateRegistry {
    pub(crate) host: String,
    pub(crate) username: String,
    pub(crate) password: String,
}

impl std::fmt::Debug for PrivateRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateRegistry")
            .field("host", &self.host)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Credentials a service was created or last updated with (from `X-Registry-Auth`).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PullAuth {
    pub(crate) username: Option<String>,
    pub(crate) password: Option<String>,
}

impl std::fmt::Debug for PullAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PullAuth")
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// The settings of a fake daemon.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) initialized: bool,
    pub(crate) nodes: Vec<MockNode>,
    /// Time a task takes from `new` to `running`.
    pub(crate) task_delay: Duration,
    pub(crate) missing_images: Vec<String>,
    /// `(image, error)`: tasks of the image are rejected with the error.
    pub(crate) task_errors: Vec<(String, String)>,
    pub(crate) private_registries: Vec<PrivateRegistry>,
    pub(crate) unix_socket: bool,
    /// `(image, digest)` answered by `GET /distribution/{image}/json`.
    pub(crate) images: Vec<(String, String)>,
    pub(crate) restart_delay: Duration,
    /// The manager's `(hostname, addr)`.
    pub(crate) manager: Option<(String, String)>,
}

impl Default for Settings {
    /// An inactive daemon, no extra nodes, 100 ms task delay, dockerd's 5 s restart delay.
    fn default() -> Self {
        Self {
            initialized: false,
            nodes: Vec::new(),
            task_delay: Duration::from_millis(100),
            missing_images: Vec::new(),
            task_errors: Vec::new(),
            private_registries: Vec::new(),
            unix_socket: false,
            images: Vec::new(),
            restart_delay: DEFAULT_RESTART_DELAY,
            manager: None,
        }
    }
}

/// Whether a rule for `rule` covers `image`: the same reference, or it pinned (`rule@digest`).
fn image_rule_matches(rule: &str, image: &str) -> bool {
    image == rule
        || image
            .strip_prefix(rule)
            .is_some_and(|rest| rest.starts_with('@'))
}

impl Settings {
    /// The manager's hostname (`mock-manager` unless set).
    pub(crate) fn manager_hostname(&self) -> &str {
        self.manager
            .as_ref()
            .map_or("mock-manager", |m| m.0.as_str())
    }

    /// The address the manager advertises when none is given (`127.0.0.1` unless set).
    pub(crate) fn manager_addr(&self) -> &str {
        self.manager.as_ref().map_or("127.0.0.1", |m| m.1.as_str())
    }

    /// Whether pulling `image` fails for every node.
    pub(crate) fn image_missing(&self, image: &str) -> bool {
        self.missing_images
            .iter()
            .any(|m| image_rule_matches(m, image))
    }

    /// The error a task of `image` is rejected with, if one was configured.
    pub(crate) fn task_error(&self, image: &str) -> Option<&str> {
        self.task_errors
            .iter()
            .find(|(m, _)| image_rule_matches(m, image))
            .map(|(_, e)| e.as_str())
    }

    /// Whether pulling `image` is denied to a service that forwarded `auth`.
    pub(crate) fn pull_denied(&self, image: &str, auth: Option<&PullAuth>) -> bool {
        self.private_registries.iter().any(|r| {
            image.starts_with(&format!("{}/", r.host))
                && !auth.is_some_and(|a| {
                    a.username.as_deref() == Some(r.username.as_str())
                        && a.password.as_deref() == Some(r.password.as_str())
                })
        })
    }

    /// The manifest digest configured for `image`.
    pub(crate) fn image_digest(&self, image: &str) -> Option<&str> {
        self.images
            .iter()
            .find(|(i, _)| i == image)
            .map(|(_, d)| d.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_rules_cover_the_reference_and_its_pinned_form() {
        assert!(image_rule_matches("a/b:1", "a/b:1"));
        assert!(image_rule_matches("a/b:1", "a/b:1@sha256:00"));
        assert!(!image_rule_matches("a/b:1", "a/b:10"));
        assert!(!image_rule_matches("a/b", "a/b:1"));
    }

    #[test]
    fn passwords_stay_out_of_debug() {
        let s = Settings {
            private_registries: vec![PrivateRegistry {
                host: "h".into(),
                username: "u".into(),
                password: "hunter2".into(),
            }],
            ..Settings::default()
        };
        assert!(!format!("{s:?}").contains("hunter2"));
        let a = PullAuth {
            username: Some("u".into()),
            password: Some("hunter2".into()),
        };
        assert!(!format!("{a:?}").contains("hunter2"));
    }
}
