//! The flag tables of docker CLI 28.2.2's `service create` and `service update` (names,
//! shorthands, value types, usage texts, the API version each needs) and the `--help` text
//! rendered from them as cobra and pflag render it.

use std::fmt::Write as _;

/// One flag of `docker service create` or `docker service update`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlagDef {
    pub(crate) name: &'static str,
    pub(crate) short: Option<char>,
    pub(crate) value_type: &'static str,
    pub(crate) usage: &'static str,
    pub(crate) version: Option<&'static str>,
}

impl FlagDef {
    /// A boolean flag of a program's own, parsed along docker's (see
    /// [`CreateFlags::parse_with`](super::CreateFlags::parse_with)): `--name`, `--name=false`.
    #[must_use]
    pub const fn boolean(name: &'static str, usage: &'static str) -> Self {
        Self::new(name, None, "", usage, None)
    }

    /// A flag of a program's own that takes a value, shown as `--name VALUE_TYPE` in help.
    #[must_use]
    pub const fn value(name: &'static str, value_type: &'static str, usage: &'static str) -> Self {
        Self::new(name, None, value_type, usage, None)
    }

    const fn new(
        name: &'static str,
        short: Option<char>,
        value_type: &'static str,
        usage: &'static str,
        version: Option<&'static str>,
    ) -> Self {
        Self {
            name,
            short,
            value_type,
            usage,
            version,
        }
    }

    /// The long name, without `--` (`replicas`).
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The one-letter shorthand (`e` for `-e, --env`), if any.
    #[must_use]
    pub fn shorthand(&self) -> Option<char> {
        self.short
    }

    /// The value type `--help` shows (`list`, `uint`, `duration`, `mount`, …); empty for a
    /// boolean flag.
    #[must_use]
    pub fn value_type(&self) -> &'static str {
        self.value_type
    }

    /// Whether the flag is a boolean (`--tty`, `--tty=false`; never a separate value).
    #[must_use]
    pub fn is_bool(&self) -> bool {
        self.value_type.is_empty()
    }

    /// The usage text, with the default value where docker shows one.
    #[must_use]
    pub fn usage(&self) -> &'static str {
        self.usage
    }

    /// The Engine API version the flag needs (its cobra `version` annotation), e.g. `1.44`.
    #[must_use]
    pub fn min_api_version(&self) -> Option<&'static str> {
        self.version
    }
}

/// `docker service create`'s usage line after the program name.
pub(crate) const CREATE_USE: &str = "service create [OPTIONS] IMAGE [COMMAND] [ARG...]";
/// `docker service update`'s usage line after the program name.
pub(crate) const UPDATE_USE: &str = "service update [OPTIONS] SERVICE";

/// The flags of `docker service create`, sorted by name (as pflag visits them).
pub(crate) static CREATE: &[FlagDef] = &[
    FlagDef::new(
        "cap-add",
        None,
        "list",
        "Add Linux capabilities",
        Some("1.41"),
    ),
    FlagDef::new(
        "cap-drop",
        None,
        "list",
        "Drop Linux capabilities",
        Some("1.41"),
    ),
    FlagDef::new(
        "config",
        None,
        "config",
        "Specify configurations to expose to the service",
        Some("1.30"),
    ),
    FlagDef::new("constraint", None, "list", "Placement constraints", None),
    FlagDef::new("container-label", None, "list", "Container labels", None),
    FlagDef::new(
        "credential-spec",
        None,
        "credential-spec",
        "Credential spec for managed service account (Windows only)",
        Some("1.29"),
    ),
    FlagDef::new(
        "detach",
        Some('d'),
        "",
        "Exit immediately instead of waiting for the service to converge",
        Some("1.29"),
    ),
    FlagDef::new("dns", None, "list", "Set custom DNS servers", Some("1.25")),
    FlagDef::new("dns-option", None, "list", "Set DNS options", Some("1.25")),
    FlagDef::new(
        "dns-search",
        None,
        "list",
        "Set custom DNS search domains",
        Some("1.25"),
    ),
    FlagDef::new(
        "endpoint-mode",
        None,
        "string",
        "Endpoint mode (vip or dnsrr) (default \"vip\")",
        None,
    ),
    FlagDef::new(
        "entrypoint",
        None,
        "command",
        "Overwrite the default ENTRYPOINT of the image",
        None,
    ),
    FlagDef::new("env", Some('e'), "list", "Set environment variables", None),
    FlagDef::new(
        "env-file",
        None,
        "list",
        "Read in a file of environment variables",
        None,
    ),
    FlagDef::new(
        "generic-resource",
        None,
        "list",
        "User defined resources",
        None,
    ),
    FlagDef::new(
        "group",
        None,
        "list",
        "Set one or more supplementary user groups for the container",
        Some("1.25"),
    ),
    FlagDef::new(
        "health-cmd",
        None,
        "string",
        "Command to run to check health",
        Some("1.25"),
    ),
    FlagDef::new(
        "health-interval",
        None,
        "duration",
        "Time between running the check (ms|s|m|h)",
        Some("1.25"),
    ),
    FlagDef::new(
        "health-retries",
        None,
        "int",
        "Consecutive failures needed to report unhealthy",
        Some("1.25"),
    ),
    FlagDef::new(
        "health-start-interval",
        None,
        "duration",
        "Time between running the check during the start period (ms|s|m|h)",
        Some("1.44"),
    ),
    FlagDef::new(
        "health-start-period",
        None,
        "duration",
        "Start period for the container to initialize before counting retries towards unstable (ms|s|m|h)",
        Some("1.29"),
    ),
    FlagDef::new(
        "health-timeout",
        None,
        "duration",
        "Maximum time to allow one check to run (ms|s|m|h)",
        Some("1.25"),
    ),
    FlagDef::new(
        "host",
        None,
        "list",
        "Set one or more custom host-to-IP mappings (host:ip)",
        Some("1.25"),
    ),
    FlagDef::new(
        "hostname",
        None,
        "string",
        "Container hostname",
        Some("1.25"),
    ),
    FlagDef::new(
        "init",
        None,
        "",
        "Use an init inside each service container to forward signals and reap processes",
        Some("1.37"),
    ),
    FlagDef::new(
        "isolation",
        None,
        "string",
        "Service container isolation mode",
        Some("1.35"),
    ),
    FlagDef::new("label", Some('l'), "list", "Service labels", None),
    FlagDef::new("limit-cpu", None, "decimal", "Limit CPUs", None),
    FlagDef::new("limit-memory", None, "bytes", "Limit Memory", None),
    FlagDef::new(
        "limit-pids",
        None,
        "int",
        "Limit maximum number of processes (default 0 = unlimited)",
        Some("1.41"),
    ),
    FlagDef::new(
        "log-driver",
        None,
        "string",
        "Logging driver for service",
        None,
    ),
    FlagDef::new("log-opt", None, "list", "Logging driver options", None),
    FlagDef::new(
        "max-concurrent",
        None,
        "uint",
        "Number of job tasks to run concurrently (default equal to --replicas)",
        Some("1.41"),
    ),
    FlagDef::new(
        "mode",
        None,
        "string",
        "Service mode (\"replicated\", \"global\", \"replicated-job\", \"global-job\") (default \"replicated\")",
        None,
    ),
    FlagDef::new(
        "mount",
        None,
        "mount",
        "Attach a filesystem mount to the service",
        None,
    ),
    FlagDef::new("name", None, "string", "Service name", None),
    FlagDef::new("network", None, "network", "Network attachments", None),
    FlagDef::new(
        "no-healthcheck",
        None,
        "",
        "Disable any container-specified HEALTHCHECK",
        Some("1.25"),
    ),
    FlagDef::new(
        "no-resolve-image",
        None,
        "",
        "Do not query the registry to resolve image digest and supported platforms",
        Some("1.30"),
    ),
    FlagDef::new(
        "oom-score-adj",
        None,
        "int",
        "Tune host's OOM preferences (-1000 to 1000) ",
        Some("1.46"),
    ),
    FlagDef::new(
        "placement-pref",
        None,
        "pref",
        "Add a placement preference",
        Some("1.28"),
    ),
    FlagDef::new(
        "publish",
        Some('p'),
        "port",
        "Publish a port as a node port",
        None,
    ),
    FlagDef::new("quiet", Some('q'), "", "Suppress progress output", None),
    FlagDef::new(
        "read-only",
        None,
        "",
        "Mount the container's root filesystem as read only",
        Some("1.28"),
    ),
    FlagDef::new("replicas", None, "uint", "Number of tasks", None),
    FlagDef::new(
        "replicas-max-per-node",
        None,
        "uint",
        "Maximum number of tasks per node (default 0 = unlimited)",
        Some("1.40"),
    ),
    FlagDef::new("reserve-cpu", None, "decimal", "Reserve CPUs", None),
    FlagDef::new("reserve-memory", None, "bytes", "Reserve Memory", None),
    FlagDef::new(
        "restart-condition",
        None,
        "string",
        "Restart when condition is met (\"none\", \"on-failure\", \"any\") (default \"any\")",
        None,
    ),
    FlagDef::new(
        "restart-delay",
        None,
        "duration",
        "Delay between restart attempts (ns|us|ms|s|m|h) (default 5s)",
        None,
    ),
    FlagDef::new(
        "restart-max-attempts",
        None,
        "uint",
        "Maximum number of restarts before giving up",
        None,
    ),
    FlagDef::new(
        "restart-window",
        None,
        "duration",
        "Window used to evaluate the restart policy (ns|us|ms|s|m|h)",
        None,
    ),
    FlagDef::new(
        "rollback-delay",
        None,
        "duration",
        "Delay between task rollbacks (ns|us|ms|s|m|h) (default 0s)",
        Some("1.28"),
    ),
    FlagDef::new(
        "rollback-failure-action",
        None,
        "string",
        "Action on rollback failure (\"pause\", \"continue\") (default \"pause\")",
        Some("1.28"),
    ),
    FlagDef::new(
        "rollback-max-failure-ratio",
        None,
        "float",
        "Failure rate to tolerate during a rollback (default 0)",
        Some("1.28"),
    ),
    FlagDef::new(
        "rollback-monitor",
        None,
        "duration",
        "Duration after each task rollback to monitor for failure (ns|us|ms|s|m|h) (default 5s)",
        Some("1.28"),
    ),
    FlagDef::new(
        "rollback-order",
        None,
        "string",
        "Rollback order (\"start-first\", \"stop-first\") (default \"stop-first\")",
        Some("1.29"),
    ),
    FlagDef::new(
        "rollback-parallelism",
        None,
        "uint",
        "Maximum number of tasks rolled back simultaneously (0 to roll back all at once) (default 1)",
        Some("1.28"),
    ),
    FlagDef::new(
        "secret",
        None,
        "secret",
        "Specify secrets to expose to the service",
        Some("1.25"),
    ),
    FlagDef::new(
        "stop-grace-period",
        None,
        "duration",
        "Time to wait before force killing a container (ns|us|ms|s|m|h) (default 10s)",
        None,
    ),
    FlagDef::new(
        "stop-signal",
        None,
        "string",
        "Signal to stop the container",
        Some("1.28"),
    ),
    FlagDef::new("sysctl", None, "list", "Sysctl options", Some("1.40")),
    FlagDef::new("tty", Some('t'), "", "Allocate a pseudo-TTY", Some("1.25")),
    FlagDef::new(
        "ulimit",
        None,
        "ulimit",
        "Ulimit options (default [])",
        Some("1.41"),
    ),
    FlagDef::new(
        "update-delay",
        None,
        "duration",
        "Delay between updates (ns|us|ms|s|m|h) (default 0s)",
        None,
    ),
    FlagDef::new(
        "update-failure-action",
        None,
        "string",
        "Action on update failure (\"pause\", \"continue\", \"rollback\") (default \"pause\")",
        None,
    ),
    FlagDef::new(
        "update-max-failure-ratio",
        None,
        "float",
        "Failure rate to tolerate during an update (default 0)",
        Some("1.25"),
    ),
    FlagDef::new(
        "update-monitor",
        None,
        "duration",
        "Duration after each task update to monitor for failure (ns|us|ms|s|m|h) (default 5s)",
        Some("1.25"),
    ),
    FlagDef::new(
        "update-order",
        None,
        "string",
        "Update order (\"start-first\", \"stop-first\") (default \"stop-first\")",
        Some("1.29"),
    ),
    FlagDef::new(
        "update-parallelism",
        None,
        "uint",
        "Maximum number of tasks updated simultaneously (0 to update all at once) (default 1)",
        None,
    ),
    FlagDef::new(
        "user",
        Some('u'),
        "string",
        "Username or UID (format: <name|uid>[:<group|gid>])",
        None,
    ),
    FlagDef::new(
        "with-registry-auth",
        None,
        "",
        "Send registry authentication details to swarm agents",
        None,
    ),
    FlagDef::new(
        "workdir",
        Some('w'),
        "string",
        "Working directory inside the container",
        None,
    ),
];

/// The flags of `docker service update`, sorted by name.
pub(crate) static UPDATE: &[FlagDef] = &[
    FlagDef::new("args", None, "command", "Service command args", None),
    FlagDef::new(
        "cap-add",
        None,
        "list",
        "Add Linux capabilities",
        Some("1.41"),
    ),
    FlagDef::new(
        "cap-drop",
        None,
        "list",
        "Drop Linux capabilities",
        Some("1.41"),
    ),
    FlagDef::new(
        "config-add",
        None,
        "config",
        "Add or update a config file on a service",
        Some("1.30"),
    ),
    FlagDef::new(
        "config-rm",
        None,
        "list",
        "Remove a configuration file",
        Some("1.30"),
    ),
    FlagDef::new(
        "constraint-add",
        None,
        "list",
        "Add or update a placement constraint",
        None,
    ),
    FlagDef::new("constraint-rm", None, "list", "Remove a constraint", None),
    FlagDef::new(
        "container-label-add",
        None,
        "list",
        "Add or update a container label",
        None,
    ),
    FlagDef::new(
        "container-label-rm",
        None,
        "list",
        "Remove a container label by its key",
        None,
    ),
    FlagDef::new(
        "credential-spec",
        None,
        "credential-spec",
        "Credential spec for managed service account (Windows only)",
        Some("1.29"),
    ),
    FlagDef::new(
        "detach",
        Some('d'),
        "",
        "Exit immediately instead of waiting for the service to converge",
        Some("1.29"),
    ),
    FlagDef::new(
        "dns-add",
        None,
        "list",
        "Add or update a custom DNS server",
        Some("1.25"),
    ),
    FlagDef::new(
        "dns-option-add",
        None,
        "list",
        "Add or update a DNS option",
        Some("1.25"),
    ),
    FlagDef::new(
        "dns-option-rm",
        None,
        "list",
        "Remove a DNS option",
        Some("1.25"),
    ),
    FlagDef::new(
        "dns-rm",
        None,
        "list",
        "Remove a custom DNS server",
        Some("1.25"),
    ),
    FlagDef::new(
        "dns-search-add",
        None,
        "list",
        "Add or update a custom DNS search domain",
        Some("1.25"),
    ),
    FlagDef::new(
        "dns-search-rm",
        None,
        "list",
        "Remove a DNS search domain",
        Some("1.25"),
    ),
    FlagDef::new(
        "endpoint-mode",
        None,
        "string",
        "Endpoint mode (vip or dnsrr)",
        None,
    ),
    FlagDef::new(
        "entrypoint",
        None,
        "command",
        "Overwrite the default ENTRYPOINT of the image",
        None,
    ),
    FlagDef::new(
        "env-add",
        None,
        "list",
        "Add or update an environment variable",
        None,
    ),
    FlagDef::new(
        "env-rm",
        None,
        "list",
        "Remove an environment variable",
        None,
    ),
    FlagDef::new(
        "force",
        None,
        "",
        "Force update even if no changes require it",
        Some("1.25"),
    ),
    FlagDef::new(
        "generic-resource-add",
        None,
        "list",
        "Add a Generic resource",
        None,
    ),
    FlagDef::new(
        "generic-resource-rm",
        None,
        "list",
        "Remove a Generic resource",
        None,
    ),
    FlagDef::new(
        "group-add",
        None,
        "list",
        "Add an additional supplementary user group to the container",
        Some("1.25"),
    ),
    FlagDef::new(
        "group-rm",
        None,
        "list",
        "Remove a previously added supplementary user group from the container",
        Some("1.25"),
    ),
    FlagDef::new(
        "health-cmd",
        None,
        "string",
        "Command to run to check health",
        Some("1.25"),
    ),
    FlagDef::new(
        "health-interval",
        None,
        "duration",
        "Time between running the check (ms|s|m|h)",
        Some("1.25"),
    ),
    FlagDef::new(
        "health-retries",
        None,
        "int",
        "Consecutive failures needed to report unhealthy",
        Some("1.25"),
    ),
    FlagDef::new(
        "health-start-interval",
        None,
        "duration",
        "Time between running the check during the start period (ms|s|m|h)",
        Some("1.44"),
    ),
    FlagDef::new(
        "health-start-period",
        None,
        "duration",
        "Start period for the container to initialize before counting retries towards unstable (ms|s|m|h)",
        Some("1.29"),
    ),
    FlagDef::new(
        "health-timeout",
        None,
        "duration",
        "Maximum time to allow one check to run (ms|s|m|h)",
        Some("1.25"),
    ),
    FlagDef::new(
        "host-add",
        None,
        "list",
        "Add a custom host-to-IP mapping (\"host:ip\")",
        Some("1.25"),
    ),
    FlagDef::new(
        "host-rm",
        None,
        "list",
        "Remove a custom host-to-IP mapping (\"host:ip\")",
        Some("1.25"),
    ),
    FlagDef::new(
        "hostname",
        None,
        "string",
        "Container hostname",
        Some("1.25"),
    ),
    FlagDef::new("image", None, "string", "Service image tag", None),
    FlagDef::new(
        "init",
        None,
        "",
        "Use an init inside each service container to forward signals and reap processes",
        Some("1.37"),
    ),
    FlagDef::new(
        "isolation",
        None,
        "string",
        "Service container isolation mode",
        Some("1.35"),
    ),
    FlagDef::new(
        "label-add",
        None,
        "list",
        "Add or update a service label",
        None,
    ),
    FlagDef::new("label-rm", None, "list", "Remove a label by its key", None),
    FlagDef::new("limit-cpu", None, "decimal", "Limit CPUs", None),
    FlagDef::new("limit-memory", None, "bytes", "Limit Memory", None),
    FlagDef::new(
        "limit-pids",
        None,
        "int",
        "Limit maximum number of processes (default 0 = unlimited)",
        Some("1.41"),
    ),
    FlagDef::new(
        "log-driver",
        None,
        "string",
        "Logging driver for service",
        None,
    ),
    FlagDef::new("log-opt", None, "list", "Logging driver options", None),
    FlagDef::new(
        "max-concurrent",
        None,
        "uint",
        "Number of job tasks to run concurrently (default equal to --replicas)",
        Some("1.41"),
    ),
    FlagDef::new(
        "mount-add",
        None,
        "mount",
        "Add or update a mount on a service",
        None,
    ),
    FlagDef::new(
        "mount-rm",
        None,
        "list",
        "Remove a mount by its target path",
        None,
    ),
    FlagDef::new(
        "network-add",
        None,
        "network",
        "Add a network",
        Some("1.29"),
    ),
    FlagDef::new("network-rm", None, "list", "Remove a network", Some("1.29")),
    FlagDef::new(
        "no-healthcheck",
        None,
        "",
        "Disable any container-specified HEALTHCHECK",
        Some("1.25"),
    ),
    FlagDef::new(
        "no-resolve-image",
        None,
        "",
        "Do not query the registry to resolve image digest and supported platforms",
        Some("1.30"),
    ),
    FlagDef::new(
        "oom-score-adj",
        None,
        "int",
        "Tune host's OOM preferences (-1000 to 1000) ",
        Some("1.46"),
    ),
    FlagDef::new(
        "placement-pref-add",
        None,
        "pref",
        "Add a placement preference",
        Some("1.28"),
    ),
    FlagDef::new(
        "placement-pref-rm",
        None,
        "pref",
        "Remove a placement preference",
        Some("1.28"),
    ),
    FlagDef::new(
        "publish-add",
        None,
        "port",
        "Add or update a published port",
        None,
    ),
    FlagDef::new(
        "publish-rm",
        None,
        "port",
        "Remove a published port by its target port",
        None,
    ),
    FlagDef::new("quiet", Some('q'), "", "Suppress progress output", None),
    FlagDef::new(
        "read-only",
        None,
        "",
        "Mount the container's root filesystem as read only",
        Some("1.28"),
    ),
    FlagDef::new("replicas", None, "uint", "Number of tasks", None),
    FlagDef::new(
        "replicas-max-per-node",
        None,
        "uint",
        "Maximum number of tasks per node (default 0 = unlimited)",
        Some("1.40"),
    ),
    FlagDef::new("reserve-cpu", None, "decimal", "Reserve CPUs", None),
    FlagDef::new("reserve-memory", None, "bytes", "Reserve Memory", None),
    FlagDef::new(
        "restart-condition",
        None,
        "string",
        "Restart when condition is met (\"none\", \"on-failure\", \"any\")",
        None,
    ),
    FlagDef::new(
        "restart-delay",
        None,
        "duration",
        "Delay between restart attempts (ns|us|ms|s|m|h)",
        None,
    ),
    FlagDef::new(
        "restart-max-attempts",
        None,
        "uint",
        "Maximum number of restarts before giving up",
        None,
    ),
    FlagDef::new(
        "restart-window",
        None,
        "duration",
        "Window used to evaluate the restart policy (ns|us|ms|s|m|h)",
        None,
    ),
    FlagDef::new(
        "rollback",
        None,
        "",
        "Rollback to previous specification",
        Some("1.25"),
    ),
    FlagDef::new(
        "rollback-delay",
        None,
        "duration",
        "Delay between task rollbacks (ns|us|ms|s|m|h)",
        Some("1.28"),
    ),
    FlagDef::new(
        "rollback-failure-action",
        None,
        "string",
        "Action on rollback failure (\"pause\", \"continue\")",
        Some("1.28"),
    ),
    FlagDef::new(
        "rollback-max-failure-ratio",
        None,
        "float",
        "Failure rate to tolerate during a rollback",
        Some("1.28"),
    ),
    FlagDef::new(
        "rollback-monitor",
        None,
        "duration",
        "Duration after each task rollback to monitor for failure (ns|us|ms|s|m|h)",
        Some("1.28"),
    ),
    FlagDef::new(
        "rollback-order",
        None,
        "string",
        "Rollback order (\"start-first\", \"stop-first\")",
        Some("1.29"),
    ),
    FlagDef::new(
        "rollback-parallelism",
        None,
        "uint",
        "Maximum number of tasks rolled back simultaneously (0 to roll back all at once)",
        Some("1.28"),
    ),
    FlagDef::new(
        "secret-add",
        None,
        "secret",
        "Add or update a secret on a service",
        Some("1.25"),
    ),
    FlagDef::new("secret-rm", None, "list", "Remove a secret", Some("1.25")),
    FlagDef::new(
        "stop-grace-period",
        None,
        "duration",
        "Time to wait before force killing a container (ns|us|ms|s|m|h)",
        None,
    ),
    FlagDef::new(
        "stop-signal",
        None,
        "string",
        "Signal to stop the container",
        Some("1.28"),
    ),
    FlagDef::new(
        "sysctl-add",
        None,
        "list",
        "Add or update a Sysctl option",
        Some("1.40"),
    ),
    FlagDef::new(
        "sysctl-rm",
        None,
        "list",
        "Remove a Sysctl option",
        Some("1.40"),
    ),
    FlagDef::new("tty", Some('t'), "", "Allocate a pseudo-TTY", Some("1.25")),
    FlagDef::new(
        "ulimit-add",
        None,
        "ulimit",
        "Add or update a ulimit option (default [])",
        Some("1.41"),
    ),
    FlagDef::new(
        "ulimit-rm",
        None,
        "list",
        "Remove a ulimit option",
        Some("1.41"),
    ),
    FlagDef::new(
        "update-delay",
        None,
        "duration",
        "Delay between updates (ns|us|ms|s|m|h)",
        None,
    ),
    FlagDef::new(
        "update-failure-action",
        None,
        "string",
        "Action on update failure (\"pause\", \"continue\", \"rollback\")",
        None,
    ),
    FlagDef::new(
        "update-max-failure-ratio",
        None,
        "float",
        "Failure rate to tolerate during an update",
        Some("1.25"),
    ),
    FlagDef::new(
        "update-monitor",
        None,
        "duration",
        "Duration after each task update to monitor for failure (ns|us|ms|s|m|h)",
        Some("1.25"),
    ),
    FlagDef::new(
        "update-order",
        None,
        "string",
        "Update order (\"start-first\", \"stop-first\")",
        Some("1.29"),
    ),
    FlagDef::new(
        "update-parallelism",
        None,
        "uint",
        "Maximum number of tasks updated simultaneously (0 to update all at once)",
        None,
    ),
    FlagDef::new(
        "user",
        Some('u'),
        "string",
        "Username or UID (format: <name|uid>[:<group|gid>])",
        None,
    ),
    FlagDef::new(
        "with-registry-auth",
        None,
        "",
        "Send registry authentication details to swarm agents",
        None,
    ),
    FlagDef::new(
        "workdir",
        Some('w'),
        "string",
        "Working directory inside the container",
        None,
    ),
];

/// cobra's help for a command: usage line, description and pflag's `FlagUsagesWrapped(79)`
/// (docker renders for an 80-column terminal).
pub(crate) fn help(program: &str, use_line: &str, short: &str, flags: &[FlagDef]) -> String {
    let mut lines: Vec<(String, String)> = Vec::with_capacity(flags.len());
    let mut maxlen = 0;
    for f in flags {
        let mut left = match f.short {
            Some(c) => format!("  -{c}, --{}", f.name),
            None => format!("      --{}", f.name),
        };
        if !f.value_type.is_empty() {
            left.push(' ');
            left.push_str(f.value_type);
        }
        // pflag counts the separator it puts after the name column.
        maxlen = maxlen.max(left.len() + 1);
        lines.push((left, f.usage.to_owned()));
    }
    let mut out = format!("Usage:  {program} {use_line}\n\n{short}\n\nOptions:\n");
    for (left, usage) in lines {
        let spacing = " ".repeat(maxlen - left.len());
        let _ = writeln!(out, "{left} {spacing} {}", wrap(maxlen + 2, 79, &usage));
    }
    out
}

/// pflag's `wrapN`: the first line of at most `i` (+`slop`) bytes, broken at a space.
fn wrap_n(i: usize, slop: usize, s: &str) -> (&str, &str) {
    if i + slop > s.len() {
        return (s, "");
    }
    match s[..i].rfind([' ', '\t', '\n']) {
        Some(w) if w > 0 => (&s[..w], &s[w + 1..]),
        _ => (s, ""),
    }
}

/// pflag's `wrap`: `s` wrapped to `w` columns, continuation lines indented by `i`.
fn wrap(i: usize, w: usize, s: &str) -> String {
    let width = w.saturating_sub(i);
    if width < 24 {
        return s.to_owned();
    }
    let slop = 5;
    let width = width - slop;
    let indent = " ".repeat(i);
    let (first, mut rest) = wrap_n(width, slop, s);
    let mut out = first.to_owned();
    while !rest.is_empty() {
        let (line, r) = wrap_n(width, slop, rest);
        out.push('\n');
        out.push_str(&indent);
        out.push_str(line);
        rest = r;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_and_unique() {
        for table in [CREATE, UPDATE] {
            for w in table.windows(2) {
                assert!(w[0].name < w[1].name, "{} before {}", w[0].name, w[1].name);
            }
        }
        assert_eq!((CREATE.len(), UPDATE.len()), (73, 92));
    }

    #[test]
    fn help_wraps_like_pflag() {
        let h = help("docker", CREATE_USE, "Create a new service", CREATE);
        assert!(h.starts_with(
            "Usage:  docker service create [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nCreate a new service\n\nOptions:\n      --cap-add list                       Add Linux capabilities\n"
        ));
        assert!(h.contains(
            "      --config config                      Specify configurations to\n                                           expose to the service\n"
        ));
        assert!(
            h.contains("  -e, --env list                           Set environment variables\n")
        );
        assert!(h.ends_with(
            "  -w, --workdir string                     Working directory inside the\n                                           container\n"
        ));
    }
}
