//! `dockwright mount parse`, `dockwright publish parse`, [`ServiceFlags`]: the docker CLI 28's
//! `service create` flags and their translation into a [`ServiceSpec`] exactly as the CLI fills it,
//! and [`UpdateFlags`]: its `service update` flags, applied to a stored spec as the CLI does.

use super::{CliResult, print_json};
use clap::{Args, Subcommand};
use swarm_client::mount::MountSpec;
use swarm_client::port::PortSpec;
use swarm_client::spec::{
    ConfigReference, EndpointMode, FailureAction, FileTarget, HealthConfig, LogDriver,
    NetworkAttachmentConfig, RestartPolicy, SecretReference, ServiceSpec, SpecError, Ulimit,
    UpdateConfig, UpdateOrder,
};

/// Commands of this area.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Docker `--mount` strings: parse into the Engine API Mount JSON.
    #[command(subcommand)]
    Mount(MountCommand),
    /// Docker `--publish` strings: parse into the Engine API PortConfig JSON list.
    #[command(subcommand)]
    Publish(PublishCommand),
}

/// Subcommands of `mount`.
#[derive(Debug, Subcommand)]
pub enum MountCommand {
    /// Parse a `--mount` value (one CSV record) and print the Mount JSON the docker CLI sends.
    Parse {
        /// The `--mount` value, e.g. `type=volume,source=v,target=/data`.
        csv: String,
    },
}

/// Subcommands of `publish`.
#[derive(Debug, Subcommand)]
pub enum PublishCommand {
    /// Parse a `--publish` value and print the PortConfig JSON list the docker CLI sends.
    Parse {
        /// The `--publish` value, e.g. `mode=host,target=80,published=8080` or `8080:80`.
        spec: String,
    },
}

/// Runs a command of this area.
///
/// # Errors
/// The grammar's error (the docker CLI's reason text) for a rejected value.
#[allow(clippy::unused_async)] // all area `run` functions are async
pub async fn run(cmd: Command) -> CliResult {
    match cmd {
        Command::Mount(MountCommand::Parse { csv }) => {
            let m: MountSpec = csv.parse()?;
            print_json(&m)
        }
        Command::Publish(PublishCommand::Parse { spec }) => {
            let p: PortSpec = spec.parse()?;
            print_json(&p)
        }
    }
}

/// Why [`ServiceFlags::to_spec`] failed; texts follow the docker CLI where it has one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FlagsError {
    /// A flag value that does not parse.
    #[error("invalid argument {value:?} for \"--{flag}\" flag: {reason}")]
    InvalidFlag {
        /// The flag name.
        flag: &'static str,
        /// The value.
        value: String,
        /// Why.
        reason: String,
    },
    /// Conflicting or unusable flag combinations.
    #[error("{0}")]
    Conflict(String),
    /// The spec builder refused.
    #[error(transparent)]
    Spec(#[from] SpecError),
}

impl FlagsError {
    /// [`FlagsError::InvalidFlag`] for `--flag value`.
    fn invalid(flag: &'static str, value: &str, reason: String) -> Self {
        Self::InvalidFlag {
            flag,
            value: value.to_owned(),
            reason,
        }
    }
}

/// The docker CLI 28.2.2's `service create` flags (the subset dockwright understands), for
/// `#[command(flatten)]` into `service create` / `service update`.
#[derive(Debug, Clone, Default, Args)]
pub struct ServiceFlags {
    /// Service name.
    #[arg(long)]
    pub name: Option<String>,
    /// Service mode ("replicated", "global", "replicated-job", "global-job").
    #[arg(long, default_value = "replicated")]
    pub mode: String,
    /// The flags `service update` has too.
    #[command(flatten)]
    pub common: CommonFlags,
    /// Set environment variables.
    #[arg(short = 'e', long = "env")]
    pub env: Vec<String>,
    /// Service labels.
    #[arg(short = 'l', long = "label")]
    pub label: Vec<String>,
    /// Container labels.
    #[arg(long = "container-label")]
    pub container_label: Vec<String>,
    /// Attach a filesystem mount to the service.
    #[arg(long = "mount")]
    pub mount: Vec<MountSpec>,
    /// Publish a port as a node port.
    #[arg(short = 'p', long = "publish")]
    pub publish: Vec<PortSpec>,
    /// Network attachments (`NAME` or `name=NAME,alias=A,driver-opt=K=V`).
    #[arg(long = "network")]
    pub network: Vec<String>,
    /// Specify secrets to expose to the service (`NAME` or
    /// `source=NAME,target=FILE,uid=0,gid=0,mode=0400`); IDs are looked up by name.
    #[arg(long = "secret")]
    pub secret: Vec<String>,
    /// Specify configurations to expose to the service (as `--secret`).
    #[arg(long = "config")]
    pub config: Vec<String>,
    /// Read in a file of environment variables.
    #[arg(long = "env-file")]
    pub env_file: Vec<std::path::PathBuf>,
    /// Ulimit options (`nofile=1024[:2048]`).
    #[arg(long = "ulimit")]
    pub ulimit: Vec<String>,
    /// Placement constraints.
    #[arg(long = "constraint")]
    pub constraint: Vec<String>,
    /// Add a placement preference (`spread=node.labels.zone`).
    #[arg(long = "placement-pref")]
    pub placement_pref: Vec<String>,
    /// Set custom DNS servers.
    #[arg(long)]
    pub dns: Vec<String>,
    /// Set DNS options.
    #[arg(long = "dns-option")]
    pub dns_option: Vec<String>,
    /// Set custom DNS search domains.
    #[arg(long = "dns-search")]
    pub dns_search: Vec<String>,
    /// Set one or more custom host-to-IP mappings (host:ip).
    #[arg(long)]
    pub host: Vec<String>,
    /// Set one or more supplementary user groups for the container.
    #[arg(long)]
    pub group: Vec<String>,
    /// Sysctl options.
    #[arg(long)]
    pub sysctl: Vec<String>,
    /// Send registry authentication details to swarm agents.
    #[arg(long = "with-registry-auth")]
    pub with_registry_auth: bool,
    /// Image to run.
    pub image: String,
    /// Command (arguments) to run.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

/// The flags `service create` and `service update` share (the docker CLI's `addServiceFlags`).
/// `service update` changes only what is given; boolean flags take `--flag=false` too.
#[derive(Debug, Clone, Default, Args)]
pub struct CommonFlags {
    /// Number of tasks.
    #[arg(long)]
    pub replicas: Option<u64>,
    /// Number of job tasks to run concurrently (default equal to --replicas). `service update`
    /// accepts and ignores it, as the docker CLI 28 does.
    #[arg(long = "max-concurrent")]
    pub max_concurrent: Option<u64>,
    /// Maximum number of tasks per node (default 0 = unlimited).
    #[arg(long = "replicas-max-per-node")]
    pub replicas_max_per_node: Option<u64>,
    /// Limit CPUs.
    #[arg(long = "limit-cpu")]
    pub limit_cpu: Option<String>,
    /// Limit Memory.
    #[arg(long = "limit-memory")]
    pub limit_memory: Option<String>,
    /// Limit maximum number of processes (default 0 = unlimited).
    #[arg(long = "limit-pids")]
    pub limit_pids: Option<i64>,
    /// Reserve CPUs.
    #[arg(long = "reserve-cpu")]
    pub reserve_cpu: Option<String>,
    /// Reserve Memory.
    #[arg(long = "reserve-memory")]
    pub reserve_memory: Option<String>,
    /// Restart when condition is met ("none", "on-failure", "any").
    #[arg(long = "restart-condition")]
    pub restart_condition: Option<String>,
    /// Delay between restart attempts (ns|us|ms|s|m|h).
    #[arg(long = "restart-delay")]
    pub restart_delay: Option<String>,
    /// Maximum number of restarts before giving up.
    #[arg(long = "restart-max-attempts")]
    pub restart_max_attempts: Option<u64>,
    /// Window used to evaluate the restart policy (ns|us|ms|s|m|h).
    #[arg(long = "restart-window")]
    pub restart_window: Option<String>,
    /// `--update-*` and `--rollback-*` settings.
    #[command(flatten)]
    pub policy: UpdatePolicyFlags,
    /// Working directory inside the container.
    #[arg(short = 'w', long = "workdir")]
    pub workdir: Option<String>,
    /// Username or UID (format: <name|uid>[:<group|gid>]).
    #[arg(short = 'u', long = "user")]
    pub user: Option<String>,
    /// Container hostname.
    #[arg(long)]
    pub hostname: Option<String>,
    /// Overwrite the default ENTRYPOINT of the image.
    #[arg(long)]
    pub entrypoint: Option<String>,
    /// Command to run to check health.
    #[arg(long = "health-cmd")]
    pub health_cmd: Option<String>,
    /// Time between running the check (ms|s|m|h).
    #[arg(long = "health-interval")]
    pub health_interval: Option<String>,
    /// Consecutive failures needed to report unhealthy.
    #[arg(long = "health-retries")]
    pub health_retries: Option<i64>,
    /// Maximum time to allow one check to run (ms|s|m|h).
    #[arg(long = "health-timeout")]
    pub health_timeout: Option<String>,
    /// Start period for the container to initialize (ms|s|m|h).
    #[arg(long = "health-start-period")]
    pub health_start_period: Option<String>,
    /// Time between running the check during the start period (ms|s|m|h).
    #[arg(long = "health-start-interval")]
    pub health_start_interval: Option<String>,
    /// Disable any container-specified HEALTHCHECK.
    #[arg(long = "no-healthcheck", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_parser = go_bool)]
    pub no_healthcheck: Option<bool>,
    /// Time to wait before force killing a container (ns|us|ms|s|m|h).
    #[arg(long = "stop-grace-period")]
    pub stop_grace_period: Option<String>,
    /// Signal to stop the container.
    #[arg(long = "stop-signal")]
    pub stop_signal: Option<String>,
    /// Use an init inside each service container.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true",
          value_parser = go_bool)]
    pub init: Option<bool>,
    /// Allocate a pseudo-TTY.
    #[arg(short = 't', long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_parser = go_bool)]
    pub tty: Option<bool>,
    /// Mount the container's root filesystem as read only.
    #[arg(long = "read-only", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_parser = go_bool)]
    pub read_only: Option<bool>,
    /// Service container isolation mode.
    #[arg(long)]
    pub isolation: Option<String>,
    /// Logging driver for service.
    #[arg(long = "log-driver")]
    pub log_driver: Option<String>,
    /// Logging driver options.
    #[arg(long = "log-opt")]
    pub log_opt: Vec<String>,
    /// Add Linux capabilities.
    #[arg(long = "cap-add")]
    pub cap_add: Vec<String>,
    /// Drop Linux capabilities.
    #[arg(long = "cap-drop")]
    pub cap_drop: Vec<String>,
    /// Endpoint mode (vip or dnsrr; `service create` defaults to vip).
    #[arg(long = "endpoint-mode")]
    pub endpoint_mode: Option<String>,
}

/// `--no-healthcheck` together with a `--health-*` flag.
fn no_healthcheck_conflict() -> FlagsError {
    FlagsError::Conflict("--no-healthcheck conflicts with --health-* options".into())
}

/// A typed spec part from the JSON built for it.
fn from_json<T: serde::de::DeserializeOwned>(
    what: &str,
    v: serde_json::Value,
) -> Result<T, FlagsError> {
    serde_json::from_value(v).map_err(|e| FlagsError::Conflict(format!("cannot build {what}: {e}")))
}

/// Go's `strconv.ParseBool`, for the value of the CLI's boolean flags (`--tty=false`).
fn go_bool(s: &str) -> Result<bool, String> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(format!("strconv.ParseBool: parsing {s:?}: invalid syntax")),
    }
}

impl CommonFlags {
    /// The `RestartPolicy` fields the `--restart-*` flags set (none when none is given).
    fn restart_fields(&self) -> Result<Vec<(&'static str, serde_json::Value)>, FlagsError> {
        use serde_json::json;
        let mut f = Vec::new();
        if let Some(c) = &self.restart_condition {
            f.push(("Condition", json!(c)));
        }
        if let Some(d) = &self.restart_delay {
            f.push(("Delay", json!(go_duration("restart-delay", d)?)));
        }
        if let Some(n) = self.restart_max_attempts {
            f.push(("MaxAttempts", json!(n)));
        }
        if let Some(w) = &self.restart_window {
            f.push(("Window", json!(go_duration("restart-window", w)?)));
        }
        Ok(f)
    }

    /// `--limit-cpu`, `--limit-memory`, `--reserve-cpu`, `--reserve-memory` as given, in nano
    /// CPUs and bytes.
    fn resource_values(&self) -> Result<[Option<i64>; 4], FlagsError> {
        let cpu = |flag, v: &Option<String>| v.as_deref().map(|s| nano_cpus(flag, s)).transpose();
        let mem = |flag, v: &Option<String>| v.as_deref().map(|s| mem_bytes(flag, s)).transpose();
        Ok([
            cpu("limit-cpu", &self.limit_cpu)?,
            mem("limit-memory", &self.limit_memory)?,
            cpu("reserve-cpu", &self.reserve_cpu)?,
            mem("reserve-memory", &self.reserve_memory)?,
        ])
    }

    /// Whether a `--health-*` flag (not `--no-healthcheck`) is given.
    fn health_given(&self) -> bool {
        self.health_cmd.is_some()
            || self.health_interval.is_some()
            || self.health_timeout.is_some()
            || self.health_start_period.is_some()
            || self.health_start_interval.is_some()
            || self.health_retries.is_some()
    }

    /// The `Healthcheck` fields the given `--health-*` flags set (`None`: remove the field, for
    /// an empty `--health-cmd`).
    fn health_fields(&self) -> Result<Vec<(&'static str, Option<serde_json::Value>)>, FlagsError> {
        use serde_json::json;
        let mut f = Vec::new();
        for (key, flag, v) in [
            ("Interval", "health-interval", &self.health_interval),
            ("Timeout", "health-timeout", &self.health_timeout),
            (
                "StartPeriod",
                "health-start-period",
                &self.health_start_period,
            ),
            (
                "StartInterval",
                "health-start-interval",
                &self.health_start_interval,
            ),
        ] {
            if let Some(d) = v {
                f.push((key, Some(json!(positive_duration(flag, d)?))));
            }
        }
        if let Some(r) = self.health_retries {
            f.push(("Retries", Some(json!(r))));
        }
        if let Some(c) = &self.health_cmd {
            f.push(("Test", (!c.is_empty()).then(|| json!(["CMD-SHELL", c]))));
        }
        Ok(f)
    }
}

/// The CLI's `RestartPolicy` defaults (swarmkit's): restart on any exit after 5 s, no limit.
fn default_restart_policy() -> serde_json::Value {
    serde_json::json!({"Condition": "any", "Delay": 5_000_000_000_i64, "MaxAttempts": 0})
}

/// Sets (`Some`) or removes (`None`) fields of a JSON object, making it one first.
fn set_fields<V: Into<Option<serde_json::Value>>>(
    slot: &mut serde_json::Value,
    fields: impl IntoIterator<Item = (&'static str, V)>,
) {
    if !slot.is_object() {
        *slot = serde_json::json!({});
    }
    if let Some(o) = slot.as_object_mut() {
        for (k, v) in fields {
            match v.into() {
                Some(v) => o.insert(k.to_owned(), v),
                None => o.remove(k),
            };
        }
    }
}

/// Go's `time.ParseDuration` (the CLI's duration flags) in nanoseconds.
fn go_duration(flag: &'static str, s: &str) -> Result<i64, FlagsError> {
    let bad = || FlagsError::invalid(flag, s, format!("time: invalid duration \"{s}\""));
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let num: f64 = rest[..n].parse().map_err(|_| bad())?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let mul = match &rest[..u] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(bad()),
        };
        total += num * mul;
        rest = &rest[u..];
    }
    #[allow(clippy::cast_possible_truncation)]
    let v = total.round() as i64;
    Ok(if neg { -v } else { v })
}

/// The CLI's `--limit-cpu`/`--reserve-cpu`: a decimal number of CPUs, in nano CPUs.
fn nano_cpus(flag: &'static str, s: &str) -> Result<i64, FlagsError> {
    let bad = |reason: &str| FlagsError::invalid(flag, s, reason.to_owned());
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad("failed to parse as a rational number"));
    }
    if frac.trim_end_matches('0').len() > 9 {
        return Err(bad("value is too precise"));
    }
    let frac9 = format!("{:0<9}", &frac[..frac.len().min(9)]);
    let i: i64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| bad("value out of range"))?
    };
    let f: i64 = frac9.parse().map_err(|_| bad("value out of range"))?;
    i.checked_mul(1_000_000_000)
        .and_then(|v| v.checked_add(f))
        .ok_or_else(|| bad("value out of range"))
}

/// `go-units.RAMInBytes`, as the CLI reads `--limit-memory`/`--reserve-memory`.
fn mem_bytes(flag: &'static str, s: &str) -> Result<i64, FlagsError> {
    sdk_grammar::units::ram_in_bytes(s).map_err(|e| FlagsError::invalid(flag, s, e.to_string()))
}

/// [`go_duration`] refusing negative values (the CLI's `PositiveDurationOpt`, `--health-*`).
fn positive_duration(flag: &'static str, s: &str) -> Result<i64, FlagsError> {
    let ns = go_duration(flag, s)?;
    if ns < 0 {
        return Err(FlagsError::invalid(
            flag,
            s,
            "duration cannot be negative".into(),
        ));
    }
    Ok(ns)
}

/// The CLI's `ValidateIPAddress` (`--dns`, `--dns-add`): the address in Go's canonical form.
fn ip_address(flag: &'static str, v: &str) -> Result<String, FlagsError> {
    let ip: std::net::IpAddr = v.trim().parse().map_err(|_| {
        FlagsError::invalid(
            flag,
            v,
            format!("IP address is not correctly formatted: {v}"),
        )
    })?;
    Ok(match ip {
        std::net::IpAddr::V6(a) => a
            .to_ipv4_mapped()
            .map_or_else(|| a.to_string(), |m| m.to_string()),
        std::net::IpAddr::V4(a) => a.to_string(),
    })
}

/// The CLI's `ValidateDNSSearch` (`--dns-search`, `--dns-search-add`): `.`, or a domain name
/// (its `domainRegexp`, colons included) without its trailing dot.
fn dns_search(flag: &'static str, v: &str) -> Result<String, FlagsError> {
    let t = v.trim_matches(' ');
    if t == "." {
        return Ok(t.to_owned());
    }
    let body = t.trim_end_matches(['\t', '\n', '\x0c', '\r', ' ']);
    let body = body.strip_suffix('.').unwrap_or(body);
    // `:?` before the first label twice, then `(:?\.:?LABEL)*`; a label is alphanumeric with
    // inner hyphens.
    let labels_ok = |mut rest: &str| {
        let mut first = true;
        loop {
            rest = rest.strip_prefix(':').unwrap_or(rest);
            if !first {
                let Some(r) = rest.strip_prefix('.') else {
                    return false;
                };
                rest = r;
            }
            rest = rest.strip_prefix(':').unwrap_or(rest);
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .unwrap_or(rest.len());
            let label = &rest[..end];
            if label.is_empty() || label.starts_with('-') || label.ends_with('-') {
                return false;
            }
            rest = &rest[end..];
            if rest.is_empty() {
                return true;
            }
            first = false;
        }
    };
    if t.bytes().any(|b| b.is_ascii_alphabetic()) && body.len() < 255 && labels_ok(body) {
        Ok(body.to_owned())
    } else {
        Err(FlagsError::invalid(
            flag,
            v,
            format!("{t} is not a valid domain"),
        ))
    }
}

/// The CLI's `ValidateExtraHost` (`HOST:IP`, `HOST=IP`, `[IPv6]` brackets, `host-gateway`)
/// as the swarm `Hosts` line `IP HOST` it sends.
fn extra_host(flag: &'static str, v: &str) -> Result<String, FlagsError> {
    let bad = |reason: String| FlagsError::invalid(flag, v, reason);
    let (host, ip) = v
        .split_once('=')
        .or_else(|| v.split_once(':'))
        .filter(|(h, _)| !h.is_empty() && !h.contains(':'))
        .ok_or_else(|| bad(format!("bad format for add-host: {v:?}")))?;
    let ip = if ip == "host-gateway" {
        ip
    } else {
        let ip = ip
            .strip_prefix('[')
            .and_then(|i| i.strip_suffix(']'))
            .filter(|i| !i.is_empty())
            .unwrap_or(ip);
        ip_address(flag, ip).map_err(|_| bad(format!("invalid IP address in add-host: {ip:?}")))?;
        ip
    };
    Ok(format!("{ip} {host}"))
}

/// The CLI's `--placement-pref` value `spread=DESCRIPTOR`: the descriptor.
fn placement_pref<'a>(flag: &'static str, v: &'a str) -> Result<&'a str, FlagsError> {
    let bad = |reason: String| FlagsError::invalid(flag, v, reason);
    let (strategy, arg) = v
        .split_once('=')
        .filter(|(s, _)| !s.is_empty())
        .ok_or_else(|| {
            bad("placement preference must be of the format \"<strategy>=<arg>\"".into())
        })?;
    if strategy != "spread" {
        return Err(bad(format!(
            "unsupported placement preference {strategy} (only spread is supported)"
        )));
    }
    Ok(arg)
}

/// `--log-driver`/`--log-opt`: no driver for an empty name (the options alone set nothing).
fn log_driver(name: Option<&str>, opts: &[String]) -> Option<LogDriver> {
    let name = name.filter(|n| !n.is_empty())?;
    let mut l = LogDriver::default();
    l.name = name.to_owned();
    l.options = kv_map(opts);
    Some(l)
}

/// The CLI's `NormalizeCapabilities` for one name: upper case, `CAP_` prefix except for `ALL`.
fn cap_name(c: &str) -> String {
    let c = c.trim().to_uppercase();
    if c == "ALL" || c.starts_with("CAP_") {
        c
    } else {
        format!("CAP_{c}")
    }
}

/// The CLI's `ParseGenericResources` (swarmkit's `genericresource.Parse`): `KIND=N` discrete
/// resources by kind; named resources are refused, as the CLI does for services.
fn generic_resources(
    flag: &'static str,
    values: &[String],
) -> Result<std::collections::BTreeMap<String, i64>, FlagsError> {
    let spec_err = |why: String| {
        FlagsError::Conflict(format!(
            "invalid generic resource specification: could not parse GenericResource: {why}"
        ))
    };
    let mut tokens: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for v in values {
        if !v.contains('=') {
            return Err(FlagsError::invalid(
                flag,
                v,
                format!("invalid generic-resource format `{v}` expected `name=value`"),
            ));
        }
        let kv: Vec<&str> = v.split('=').collect();
        let [k, val] = kv[..] else {
            return Err(spec_err(format!(
                "incorrect term {v}, missing '=' or malformed expression"
            )));
        };
        tokens
            .entry(k.trim().to_owned())
            .or_default()
            .push(val.trim().to_owned());
    }
    let mut out = std::collections::BTreeMap::new();
    for (k, vals) in tokens {
        let nums: Vec<Option<i64>> = vals.iter().map(|v| v.parse().ok()).collect();
        match nums[..] {
            [Some(n)] if n < 0 => {
                return Err(spec_err(format!("cannot ask for negative resource {k}")));
            }
            [Some(n)] => {
                out.insert(k, n);
            }
            _ if nums.iter().all(Option::is_none) => {
                return Err(FlagsError::Conflict(format!(
                    "invalid generic-resource request `{k}={}`, Named Generic Resources is not \
                     supported for service create or update",
                    vals[0]
                )));
            }
            _ => {
                return Err(spec_err(format!(
                    "mixed discrete and named resources in expression '{k}=[{}]'",
                    vals.join(" ")
                )));
            }
        }
    }
    Ok(out)
}

/// The CLI's `--credential-spec` value: `config://NAME`, `file://PATH`, `registry://NAME`, or
/// empty (remove the credential spec); the `CredentialSpec` JSON and the config name.
fn credential_spec(v: &str) -> Result<(serde_json::Value, Option<&str>), FlagsError> {
    let mut spec = serde_json::Map::new();
    let mut config = None;
    for (prefix, key) in [
        ("config://", "Config"),
        ("file://", "File"),
        ("registry://", "Registry"),
    ] {
        if let Some(rest) = v.strip_prefix(prefix) {
            if !rest.is_empty() {
                spec.insert(key.to_owned(), rest.into());
            }
            if key == "Config" {
                config = Some(rest).filter(|r| !r.is_empty());
            }
            return Ok((spec.into(), config));
        }
    }
    if v.is_empty() {
        return Ok((serde_json::Value::Null, None));
    }
    Err(FlagsError::invalid(
        "credential-spec",
        v,
        "invalid credential spec: value must be prefixed with \"config://\", \"file://\", or \
         \"registry://\""
            .into(),
    ))
}

/// `KEY=VALUE` list to a map, like the CLI's `ConvertKVStringsToMap` (a bare key maps to "").
fn kv_map(items: &[String]) -> std::collections::BTreeMap<String, String> {
    items
        .iter()
        .map(|i| {
            let (k, v) = i.split_once('=').unwrap_or((i, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

/// A minimal shell-words split (quotes and backslashes), like the CLI's `--entrypoint`.
fn shell_split(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut have = false;
    let mut chars = s.chars();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, c) if c.is_whitespace() => {
                if have {
                    out.push(std::mem::take(&mut cur));
                    have = false;
                }
            }
            (None, '\'' | '"') => {
                quote = Some(c);
                have = true;
            }
            (Some(q), c) if c == q => quote = None,
            (None | Some('"'), '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
                have = true;
            }
            (_, c) => {
                cur.push(c);
                have = true;
            }
        }
    }
    if have {
        out.push(cur);
    }
    out
}

/// Go's `strconv.ParseUint(s, 0, 32)`: decimal, `0`-prefixed octal, `0o`, `0x`, `0b`.
fn parse_uint_base0(s: &str) -> Option<u32> {
    let s = s.replace('_', "");
    let (digits, radix) = if let Some(r) = s.strip_prefix("0x").or(s.strip_prefix("0X")) {
        (r.to_owned(), 16)
    } else if let Some(r) = s.strip_prefix("0o").or(s.strip_prefix("0O")) {
        (r.to_owned(), 8)
    } else if let Some(r) = s.strip_prefix("0b").or(s.strip_prefix("0B")) {
        (r.to_owned(), 2)
    } else if s.len() > 1 && s.starts_with('0') {
        (s[1..].to_owned(), 8)
    } else {
        (s.clone(), 10)
    };
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return None;
    }
    u32::from_str_radix(&digits, radix).ok()
}

/// The CLI's `--secret`/`--config` value (`SecretOpt`/`ConfigOpt`): the object name and its
/// file target (`UID`/`GID` `0`, mode `0444` unless given; the target defaults to the name).
fn object_ref(flag: &'static str, value: &str) -> Result<(String, FileTarget), FlagsError> {
    let bad = |reason: String| FlagsError::invalid(flag, value, reason);
    let mut file = FileTarget::default();
    (file.uid, file.gid, file.mode) = ("0".into(), "0".into(), 0o444);
    let fields = sdk_grammar::csv::read_values(value).map_err(|e| bad(e.to_string()))?;
    if fields.len() == 1 && !fields[0].contains('=') {
        file.name.clone_from(&fields[0]);
        return Ok((fields[0].clone(), file));
    }
    let mut name = String::new();
    for field in &fields {
        let (k, v) = field
            .split_once('=')
            .filter(|(k, _)| !k.is_empty())
            .ok_or_else(|| bad(format!("invalid field '{field}' must be a key=value pair")))?;
        match k.to_lowercase().as_str() {
            "source" | "src" => name = v.to_owned(),
            "target" => file.name = v.to_owned(),
            "uid" => file.uid = v.to_owned(),
            "gid" => file.gid = v.to_owned(),
            "mode" => {
                file.mode = parse_uint_base0(v).ok_or_else(|| {
                    bad(format!(
                        "invalid mode specified: strconv.ParseUint: parsing \"{v}\": invalid syntax"
                    ))
                })?;
            }
            _ => return Err(bad(format!("invalid field in {flag} request: {k}"))),
        }
    }
    if name.is_empty() {
        return Err(bad("source is required".into()));
    }
    if file.name.is_empty() {
        file.name.clone_from(&name);
    }
    Ok((name, file))
}

/// The CLI's `--network` value (`NetworkOpt`): a name, or the long syntax
/// `name=N,alias=A,driver-opt=K=V`.
fn network_attachment(
    flag: &'static str,
    value: &str,
) -> Result<NetworkAttachmentConfig, FlagsError> {
    let bad = |reason: String| FlagsError::invalid(flag, value, reason);
    let mut n = NetworkAttachmentConfig::default();
    let long = value.split(',').all(|f| {
        f.split_once('=').is_some_and(|(k, v)| {
            !k.is_empty()
                && !v.is_empty()
                && k.chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        })
    });
    if !long {
        n.target = value.to_owned();
        return Ok(n);
    }
    let fields = sdk_grammar::csv::read_values(value).map_err(|e| bad(e.to_string()))?;
    for field in &fields {
        let (k, v) = field
            .split_once('=')
            .filter(|(k, _)| !k.is_empty())
            .ok_or_else(|| bad(format!("invalid field {field}")))?;
        let v = v.trim();
        match k.trim().to_lowercase().as_str() {
            "name" => n.target = v.to_owned(),
            "alias" => n.aliases.push(v.to_owned()),
            "driver-opt" => {
                let (dk, dv) = v
                    .split_once('=')
                    .ok_or_else(|| bad("invalid key value pair format in driver options".into()))?;
                n.driver_opts
                    .insert(dk.trim().to_lowercase(), dv.trim().to_lowercase());
            }
            other => return Err(bad(format!("invalid field key {other}"))),
        }
    }
    if n.target.is_empty() {
        return Err(bad("network name/id is not specified".into()));
    }
    Ok(n)
}

/// The CLI's `--ulimit NAME=SOFT[:HARD]` list (`go-units.ParseUlimit`), one per name (the last
/// wins), sorted by name.
fn ulimits(flag: &'static str, values: &[String]) -> Result<Vec<Ulimit>, FlagsError> {
    const NAMES: &[&str] = &[
        "as",
        "core",
        "cpu",
        "data",
        "fsize",
        "locks",
        "memlock",
        "msgqueue",
        "nice",
        "nofile",
        "nproc",
        "rss",
        "rtprio",
        "rttime",
        "sigpending",
        "stack",
    ];
    let mut by_name = std::collections::BTreeMap::new();
    for v in values {
        let bad = |reason: String| FlagsError::invalid(flag, v, reason);
        let (name, limits) = v
            .split_once('=')
            .ok_or_else(|| bad(format!("invalid ulimit argument: {v}")))?;
        if !NAMES.contains(&name) {
            return Err(bad(format!("invalid ulimit type: {name}")));
        }
        let (soft, hard) = limits.split_once(':').unwrap_or((limits, limits));
        let num = |s: &str| {
            s.parse::<i64>()
                .map_err(|_| bad(format!("invalid ulimit value: {s}")))
        };
        let (soft, hard) = (num(soft)?, num(hard)?);
        if soft > hard {
            return Err(bad(format!(
                "ulimit soft limit must be less than or equal to hard limit: {soft} > {hard}"
            )));
        }
        let mut u = Ulimit::default();
        (u.name, u.soft, u.hard) = (name.to_owned(), soft, hard);
        by_name.insert(name.to_owned(), u);
    }
    Ok(by_name.into_values().collect())
}

/// The CLI's `--env-file`: `KEY=VALUE` lines as they are, a bare `KEY` takes the value from the
/// environment (and is left out when unset), blank lines and `#` comments are skipped.
fn read_env_file(path: &std::path::Path) -> Result<Vec<String>, FlagsError> {
    let text = std::fs::read_to_string(path).map_err(|e| FlagsError::InvalidFlag {
        flag: "env-file",
        value: path.display().to_string(),
        reason: e.to_string(),
    })?;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let key = line.split_once('=').map_or(line, |(k, _)| k);
        if key.is_empty() || key.contains(char::is_whitespace) {
            return Err(FlagsError::InvalidFlag {
                flag: "env-file",
                value: path.display().to_string(),
                reason: format!("variable '{key}' contains whitespaces"),
            });
        }
        if line.contains('=') {
            out.push(line.to_owned());
        } else if let Ok(v) = std::env::var(line) {
            out.push(format!("{line}={v}"));
        }
    }
    Ok(out)
}

/// Fills `SecretID`/`ConfigID` of the `--secret`/`--config` references from name → ID maps (what
/// the docker CLI looks up through the API before it sends the spec).
///
/// # Errors
/// [`FlagsError::Conflict`] (`secret not found: NAME`) for a name missing from the maps.
pub fn fill_object_ids(
    spec: &mut ServiceSpec,
    secrets: &std::collections::BTreeMap<String, String>,
    configs: &std::collections::BTreeMap<String, String>,
) -> Result<(), FlagsError> {
    let Some(c) = spec.task_template.container_spec.as_mut() else {
        return Ok(());
    };
    for s in &mut c.secrets {
        s.secret_id = secrets
            .get(&s.secret_name)
            .cloned()
            .ok_or_else(|| FlagsError::Conflict(format!("secret not found: {}", s.secret_name)))?;
    }
    for x in &mut c.configs {
        x.config_id = configs
            .get(&x.config_name)
            .cloned()
            .ok_or_else(|| FlagsError::Conflict(format!("config not found: {}", x.config_name)))?;
    }
    Ok(())
}

/// Looks up the IDs of the spec's `--secret`/`--config` names through the API and fills them in
/// (see [`fill_object_ids`]).
///
/// # Errors
/// `secret not found: NAME` / `config not found: NAME`, and API errors.
pub async fn resolve_object_ids(
    spec: &mut ServiceSpec,
    client: &swarm_client::Client,
) -> CliResult {
    let mut names = ObjectNames::default();
    if let Some(c) = spec.task_template.container_spec.as_ref() {
        names.secrets = c.secrets.iter().map(|s| s.secret_name.clone()).collect();
        names.configs = c.configs.iter().map(|x| x.config_name.clone()).collect();
    }
    let ids = lookup_object_ids(client, &names).await?;
    fill_object_ids(spec, &ids.secrets, &ids.configs)?;
    Ok(())
}

/// Looks up the IDs of `names` through the API, as the docker CLI does before it sends a
/// service spec (`service create`, `service update`).
///
/// # Errors
/// `secret not found: NAME`, `config not found: NAME`, `network NAME not found`, and API
/// errors.
pub async fn lookup_object_ids(
    client: &swarm_client::Client,
    names: &ObjectNames,
) -> CliResult<ObjectIds> {
    let mut ids = ObjectIds::default();
    for n in &names.secrets {
        let id = client.secret_id(n).await.map_err(not_found_message)?;
        ids.secrets.insert(n.clone(), id);
    }
    for n in &names.configs {
        let id = client.config_id(n).await.map_err(not_found_message)?;
        ids.configs.insert(n.clone(), id);
    }
    for n in &names.networks {
        let id = client.network_id(n).await.map_err(not_found_message)?;
        ids.networks.insert(n.clone(), id);
    }
    Ok(ids)
}

/// The names of secrets, configs and networks a `service update` must look up
/// ([`UpdateFlags::object_names`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectNames {
    /// Secrets of `--secret-add`.
    pub secrets: Vec<String>,
    /// Configs of `--config-add` and `--credential-spec config://NAME`.
    pub configs: Vec<String>,
    /// Networks of `--network-add` and `--network-rm`.
    pub networks: Vec<String>,
}

/// Name → ID maps for [`UpdateFlags::apply_with_ids`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectIds {
    /// Secret name → ID.
    pub secrets: std::collections::BTreeMap<String, String>,
    /// Config name → ID.
    pub configs: std::collections::BTreeMap<String, String>,
    /// Network name (or ID, as given) → ID.
    pub networks: std::collections::BTreeMap<String, String>,
}

/// A failed ID lookup as the CLI says it: the not-found message as swarm-client has it
/// (`secret not found: NAME`, `config not found: NAME`, dockerd's `network NAME not found`);
/// other API errors as they are.
fn not_found_message(e: swarm_client::Error) -> super::CliError {
    match e {
        swarm_client::Error::NotFound { message, .. } => message.into(),
        e => super::CliError::from(e),
    }
}

/// Appends `:latest` when the reference has neither tag nor digest, as the CLI does.
fn tag_name_only(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    if image.contains('@') || last.contains(':') {
        image.to_owned()
    } else {
        format!("{image}:latest")
    }
}

impl ServiceFlags {
    /// Builds the [`ServiceSpec`] the docker CLI 28.2.2 sends for these flags: labels `{}`,
    /// `Init` always sent, `DNSConfig`/`Placement`/`Resources` always present, update, rollback
    /// and restart settings only when one of their flags is given (then filled with swarmkit's
    /// defaults), replicas absent unless given, `vip` endpoint, the image tagged `:latest`
    /// when it has no tag. Network names are sent as given (the daemon resolves them to IDs).
    ///
    /// # Errors
    /// [`FlagsError`] for a value that does not parse or a combination the CLI refuses.
    #[allow(clippy::too_many_lines)] // one block per flag group, like the CLI's ToService
    pub fn to_spec(&self) -> Result<ServiceSpec, FlagsError> {
        let mut b = ServiceSpec::builder(
            self.name.clone().unwrap_or_default(),
            tag_name_only(&self.image),
        );
        b = match self.mode.as_str() {
            "replicated" => b,
            "global" => b.global(),
            "replicated-job" => b.replicated_job(),
            "global-job" => b.global_job(),
            other => {
                return Err(FlagsError::Conflict(format!(
                    "Unknown mode: {other}, only replicated and global supported"
                )));
            }
        };
        let c = &self.common;
        if let Some(n) = c.replicas {
            b = b.replicas(n);
        }
        // Env: `--env-file` lines first, then `--env`; later entries replace earlier ones with
        // the same name.
        let mut env: Vec<String> = Vec::new();
        let mut all = Vec::new();
        for f in &self.env_file {
            all.extend(read_env_file(f)?);
        }
        all.extend(self.env.iter().cloned());
        for e in &all {
            let k = e.split_once('=').map_or(e.as_str(), |(k, _)| k);
            if !env.contains(e) {
                env.retain(|c| !c.starts_with(&format!("{k}=")));
            }
            env.push(e.clone());
        }
        for e in env {
            b = b.env(e);
        }
        for (k, v) in kv_map(&self.label) {
            b = b.label(k, v);
        }
        for (k, v) in kv_map(&self.container_label) {
            b = b.container_label(k, v);
        }
        for m in &self.mount {
            b = b.mount(m.clone());
        }
        for p in &self.publish {
            b = b.publish(p.clone());
        }
        for c in &self.constraint {
            b = b.constraint(c.clone());
        }
        for p in &self.placement_pref {
            b = b.placement_pref_spread(placement_pref("placement-pref", p)?);
        }
        if let Some(n) = c.replicas_max_per_node {
            b = b.max_replicas_per_node(n);
        }
        let [lc, lm, rc, rm] = c.resource_values()?.map(|v| v.unwrap_or(0));
        b = b.limits(lc, lm).reservations(rc, rm);
        let restart = c.restart_fields()?;
        if !restart.is_empty() {
            let mut p = default_restart_policy();
            set_fields(&mut p, restart.into_iter().map(|(k, v)| (k, Some(v))));
            b = b.restart_policy(from_json::<RestartPolicy>("RestartPolicy", p)?);
        }
        if let Some(u) = update_config(&c.policy.update())? {
            b = b.update_config(u);
        }
        if let Some(u) = update_config(&c.policy.rollback())? {
            b = b.rollback_config(u);
        }
        if let Some(w) = &c.workdir {
            b = b.workdir(w.clone());
        }
        if let Some(u) = &c.user {
            b = b.user(u.clone());
        }
        if let Some(h) = &c.hostname {
            b = b.hostname(h.clone());
        }
        if let Some(e) = &c.entrypoint {
            b = b.command(shell_split(e));
        }
        if !self.args.is_empty() {
            b = b.args(self.args.clone());
        }
        // Unlike `service update`, a zero `--health-retries` or an empty `--health-cmd` alone
        // sets no health check, as in the CLI's `toHealthConfig`.
        let have_health = c.health_cmd.as_ref().is_some_and(|c| !c.is_empty())
            || c.health_interval.is_some()
            || c.health_timeout.is_some()
            || c.health_start_period.is_some()
            || c.health_start_interval.is_some()
            || c.health_retries.is_some_and(|r| r != 0);
        if c.no_healthcheck == Some(true) {
            if have_health {
                return Err(no_healthcheck_conflict());
            }
            let mut h = HealthConfig::default();
            h.test = vec!["NONE".into()];
            b = b.healthcheck(h);
        } else if have_health {
            let mut h = serde_json::json!({});
            set_fields(&mut h, c.health_fields()?);
            b = b.healthcheck(from_json::<HealthConfig>("Healthcheck", h)?);
        }
        if let Some(g) = &c.stop_grace_period {
            let ns = go_duration("stop-grace-period", g)?;
            b = b.stop_grace_period(std::time::Duration::from_nanos(
                u64::try_from(ns).unwrap_or(0),
            ));
        }
        b = b.endpoint_mode(EndpointMode::from(
            c.endpoint_mode.as_deref().unwrap_or("vip").to_lowercase(),
        ));
        if let Some(l) = log_driver(c.log_driver.as_deref(), &c.log_opt) {
            b = b.log_driver(l);
        }
        for r in &self.secret {
            let (name, file) = object_ref("secret", r)?;
            let mut x = SecretReference::default();
            (x.secret_name, x.file) = (name, Some(file));
            b = b.secret(x);
        }
        for r in &self.config {
            let (name, file) = object_ref("config", r)?;
            let mut x = ConfigReference::default();
            (x.config_name, x.file) = (name, Some(file));
            b = b.config(x);
        }
        let mut spec = b.build()?;
        let mut networks = self
            .network
            .iter()
            .map(|n| network_attachment("network", n))
            .collect::<Result<Vec<_>, _>>()?;
        networks.sort_by(|a, b| a.target.cmp(&b.target));
        spec.task_template.networks = networks;
        if let Some(cs) = spec.task_template.container_spec.as_mut() {
            cs.init = Some(c.init.unwrap_or(false));
            cs.tty = c.tty.unwrap_or(false);
            cs.read_only = c.read_only.unwrap_or(false);
            cs.stop_signal = c.stop_signal.clone().unwrap_or_default();
            cs.groups.clone_from(&self.group);
            cs.isolation = c.isolation.clone().unwrap_or_default();
            cs.ulimits = ulimits("ulimit", &self.ulimit)?;
            cs.sysctls = kv_map(&self.sysctl);
            (cs.capability_add, cs.capability_drop) = effective_caps(&c.cap_add, &c.cap_drop);
            cs.hosts = self
                .host
                .iter()
                .map(|h| extra_host("host", h))
                .collect::<Result<_, _>>()?;
            if let Some(dns) = cs.dns_config.as_mut() {
                dns.nameservers = self
                    .dns
                    .iter()
                    .map(|d| ip_address("dns", d))
                    .collect::<Result<_, _>>()?;
                dns.search = self
                    .dns_search
                    .iter()
                    .map(|d| dns_search("dns-search", d))
                    .collect::<Result<_, _>>()?;
                dns.options.clone_from(&self.dns_option);
            }
        }
        if let Some(max) = c.max_concurrent {
            match &mut spec.mode {
                swarm_client::spec::ServiceMode::ReplicatedJob(j) => j.max_concurrent = Some(max),
                _ => {
                    return Err(FlagsError::Conflict(
                        "max-concurrent can only be used with replicated-job mode".into(),
                    ));
                }
            }
        }
        if spec.mode.is_job() {
            spec.update_config = None;
            spec.rollback_config = None;
        }
        Ok(spec)
    }
}

/// The CLI's `EffectiveCapAddCapDrop`: upper-case, `CAP_` prefix (except `ALL`), a capability
/// both added and dropped is neither, `ALL` wins, sorted.
fn effective_caps(add: &[String], drop: &[String]) -> (Vec<String>, Vec<String>) {
    use std::collections::BTreeSet;
    let add: BTreeSet<String> = add.iter().map(|c| cap_name(c)).collect();
    let drop: BTreeSet<String> = drop.iter().map(|c| cap_name(c)).collect();
    let pick = |a: &BTreeSet<String>, b: &BTreeSet<String>| {
        if a.contains("ALL") {
            vec!["ALL".to_owned()]
        } else {
            a.difference(b).cloned().collect()
        }
    };
    (pick(&add, &drop), pick(&drop, &add))
}

/// The `--update-*` and `--rollback-*` flags, shared by `service create` and `service update`.
#[derive(Debug, Clone, Default, Args)]
pub struct UpdatePolicyFlags {
    /// Delay between updates (ns|us|ms|s|m|h).
    #[arg(long = "update-delay")]
    pub update_delay: Option<String>,
    /// Maximum number of tasks updated simultaneously (0 to update all at once).
    #[arg(long = "update-parallelism")]
    pub update_parallelism: Option<u64>,
    /// Action on update failure ("pause", "continue", "rollback").
    #[arg(long = "update-failure-action")]
    pub update_failure_action: Option<String>,
    /// Duration after each task update to monitor for failure (ns|us|ms|s|m|h).
    #[arg(long = "update-monitor")]
    pub update_monitor: Option<String>,
    /// Update order ("start-first", "stop-first").
    #[arg(long = "update-order")]
    pub update_order: Option<String>,
    /// Failure rate to tolerate during an update.
    #[arg(long = "update-max-failure-ratio")]
    pub update_max_failure_ratio: Option<f32>,
    /// Delay between task rollbacks (ns|us|ms|s|m|h).
    #[arg(long = "rollback-delay")]
    pub rollback_delay: Option<String>,
    /// Maximum number of tasks rolled back simultaneously (0 to roll back all at once).
    #[arg(long = "rollback-parallelism")]
    pub rollback_parallelism: Option<u64>,
    /// Action on rollback failure ("pause", "continue").
    #[arg(long = "rollback-failure-action")]
    pub rollback_failure_action: Option<String>,
    /// Duration after each task rollback to monitor for failure (ns|us|ms|s|m|h).
    #[arg(long = "rollback-monitor")]
    pub rollback_monitor: Option<String>,
    /// Rollback order ("start-first", "stop-first").
    #[arg(long = "rollback-order")]
    pub rollback_order: Option<String>,
    /// Failure rate to tolerate during a rollback.
    #[arg(long = "rollback-max-failure-ratio")]
    pub rollback_max_failure_ratio: Option<f32>,
}

/// One group of [`UpdatePolicyFlags`] (`--update-*` or `--rollback-*`) as given.
#[derive(Debug, Clone, Copy)]
struct PolicyValues<'a> {
    /// Flag names of the delay and monitor durations, for error messages.
    names: [&'static str; 2],
    parallelism: Option<u64>,
    delay: Option<&'a str>,
    failure_action: Option<&'a str>,
    monitor: Option<&'a str>,
    ratio: Option<f32>,
    order: Option<&'a str>,
}

impl PolicyValues<'_> {
    /// Whether any flag of the group is given.
    fn any(&self) -> bool {
        self.parallelism.is_some()
            || self.delay.is_some()
            || self.failure_action.is_some()
            || self.monitor.is_some()
            || self.ratio.is_some()
            || self.order.is_some()
    }
}

impl UpdatePolicyFlags {
    /// The `--update-*` group.
    fn update(&self) -> PolicyValues<'_> {
        PolicyValues {
            names: ["update-delay", "update-monitor"],
            parallelism: self.update_parallelism,
            delay: self.update_delay.as_deref(),
            failure_action: self.update_failure_action.as_deref(),
            monitor: self.update_monitor.as_deref(),
            ratio: self.update_max_failure_ratio,
            order: self.update_order.as_deref(),
        }
    }

    /// The `--rollback-*` group.
    fn rollback(&self) -> PolicyValues<'_> {
        PolicyValues {
            names: ["rollback-delay", "rollback-monitor"],
            parallelism: self.rollback_parallelism,
            delay: self.rollback_delay.as_deref(),
            failure_action: self.rollback_failure_action.as_deref(),
            monitor: self.rollback_monitor.as_deref(),
            ratio: self.rollback_max_failure_ratio,
            order: self.rollback_order.as_deref(),
        }
    }
}

/// The CLI's `updateConfig(flags)`: `None` unless a flag of the group is given, else swarmkit's
/// defaults with the given flags applied.
fn update_config(v: &PolicyValues<'_>) -> Result<Option<UpdateConfig>, FlagsError> {
    if !v.any() {
        return Ok(None);
    }
    let mut u = UpdateConfig::default();
    if let Some(p) = v.parallelism {
        u.parallelism = p;
    }
    if let Some(d) = v.delay {
        u.delay = go_duration(v.names[0], d)?;
    }
    if let Some(a) = v.failure_action {
        u.failure_action = Some(FailureAction::from(a));
    }
    if let Some(m) = v.monitor {
        u.monitor = go_duration(v.names[1], m)?;
    }
    if let Some(r) = v.ratio {
        u.max_failure_ratio = r;
    }
    if let Some(o) = v.order {
        u.order = Some(UpdateOrder::from(o));
    }
    Ok(Some(u))
}

/// The docker CLI 28.2.2's `service update` flags (the subset dockwright understands), applied
/// to the current spec as raw JSON by [`UpdateFlags::apply`] (so fields this tool does not model
/// survive the read-modify-write).
#[derive(Debug, Clone, Default, Args)]
pub struct UpdateFlags {
    /// Service image tag.
    #[arg(long)]
    pub image: Option<String>,
    /// Service command args (replaces them; shell words).
    #[arg(long)]
    pub args: Option<String>,
    /// Force update even if no changes require it.
    #[arg(long)]
    pub force: bool,
    /// The flags `service create` has too (only those given change the spec).
    #[command(flatten)]
    pub common: CommonFlags,
    /// Add or update an environment variable.
    #[arg(long = "env-add")]
    pub env_add: Vec<String>,
    /// Remove an environment variable.
    #[arg(long = "env-rm")]
    pub env_rm: Vec<String>,
    /// Add or update a service label.
    #[arg(long = "label-add")]
    pub label_add: Vec<String>,
    /// Remove a label by its key.
    #[arg(long = "label-rm")]
    pub label_rm: Vec<String>,
    /// Add or update a container label.
    #[arg(long = "container-label-add")]
    pub container_label_add: Vec<String>,
    /// Remove a container label by its key.
    #[arg(long = "container-label-rm")]
    pub container_label_rm: Vec<String>,
    /// Add or update a mount on a service.
    #[arg(long = "mount-add")]
    pub mount_add: Vec<MountSpec>,
    /// Remove a mount by its target path.
    #[arg(long = "mount-rm")]
    pub mount_rm: Vec<String>,
    /// Add or update a published port.
    #[arg(long = "publish-add")]
    pub publish_add: Vec<PortSpec>,
    /// Remove a published port by its target port, protocol and mode (a `--publish` value:
    /// `80`, `80/udp`, `mode=host,target=80`).
    #[arg(long = "publish-rm")]
    pub publish_rm: Vec<PortSpec>,
    /// Add or update a placement constraint.
    #[arg(long = "constraint-add")]
    pub constraint_add: Vec<String>,
    /// Remove a constraint.
    #[arg(long = "constraint-rm")]
    pub constraint_rm: Vec<String>,
    /// Add a placement preference (`spread=node.labels.zone`).
    #[arg(long = "placement-pref-add")]
    pub placement_pref_add: Vec<String>,
    /// Remove a placement preference (every one equal to it).
    #[arg(long = "placement-pref-rm")]
    pub placement_pref_rm: Vec<String>,
    /// Add or update a secret on a service (`NAME` or `source=…,target=…,uid=…,gid=…,mode=…`).
    #[arg(long = "secret-add")]
    pub secret_add: Vec<String>,
    /// Remove a secret (by name).
    #[arg(long = "secret-rm")]
    pub secret_rm: Vec<String>,
    /// Add or update a config file on a service.
    #[arg(long = "config-add")]
    pub config_add: Vec<String>,
    /// Remove a config (by name).
    #[arg(long = "config-rm")]
    pub config_rm: Vec<String>,
    /// Credential spec for managed service account (Windows only): `config://NAME`,
    /// `file://PATH`, `registry://KEY`, or empty to remove it.
    #[arg(long = "credential-spec")]
    pub credential_spec: Option<String>,
    /// Add a network (`NAME` or `name=…,alias=…,driver-opt=K=V`).
    #[arg(long = "network-add")]
    pub network_add: Vec<String>,
    /// Remove a network (by name or ID).
    #[arg(long = "network-rm")]
    pub network_rm: Vec<String>,
    /// Add or update a custom DNS server.
    #[arg(long = "dns-add")]
    pub dns_add: Vec<String>,
    /// Remove a custom DNS server.
    #[arg(long = "dns-rm")]
    pub dns_rm: Vec<String>,
    /// Add or update a DNS option.
    #[arg(long = "dns-option-add")]
    pub dns_option_add: Vec<String>,
    /// Remove a DNS option.
    #[arg(long = "dns-option-rm")]
    pub dns_option_rm: Vec<String>,
    /// Add or update a custom DNS search domain.
    #[arg(long = "dns-search-add")]
    pub dns_search_add: Vec<String>,
    /// Remove a DNS search domain.
    #[arg(long = "dns-search-rm")]
    pub dns_search_rm: Vec<String>,
    /// Add a Generic resource (`KIND=N`).
    #[arg(long = "generic-resource-add")]
    pub generic_resource_add: Vec<String>,
    /// Remove a Generic resource (by kind).
    #[arg(long = "generic-resource-rm")]
    pub generic_resource_rm: Vec<String>,
    /// Add an additional supplementary user group to the container.
    #[arg(long = "group-add")]
    pub group_add: Vec<String>,
    /// Remove a previously added supplementary user group from the container.
    #[arg(long = "group-rm")]
    pub group_rm: Vec<String>,
    /// Add a custom host-to-IP mapping ("host:ip").
    #[arg(long = "host-add")]
    pub host_add: Vec<String>,
    /// Remove a custom host-to-IP mapping ("host:ip", or "host" for every IP).
    #[arg(long = "host-rm")]
    pub host_rm: Vec<String>,
    /// Tune host's OOM preferences (-1000 to 1000).
    #[arg(long = "oom-score-adj", allow_hyphen_values = true)]
    pub oom_score_adj: Option<i64>,
    /// Add or update a Sysctl option.
    #[arg(long = "sysctl-add")]
    pub sysctl_add: Vec<String>,
    /// Remove a Sysctl option.
    #[arg(long = "sysctl-rm")]
    pub sysctl_rm: Vec<String>,
    /// Add or update a ulimit option (`nofile=1024[:2048]`).
    #[arg(long = "ulimit-add")]
    pub ulimit_add: Vec<String>,
    /// Remove a ulimit option (by name).
    #[arg(long = "ulimit-rm")]
    pub ulimit_rm: Vec<String>,
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// `spec[a][b]…`, created as objects on the way.
fn at<'a>(spec: &'a mut serde_json::Value, path: &[&str]) -> &'a mut serde_json::Value {
    let mut v = spec;
    for k in path {
        if !v.is_object() {
            *v = serde_json::json!({});
        }
        v = v
            .as_object_mut()
            .map(|o| o.entry(*k).or_insert(serde_json::Value::Null))
            .expect("made an object above");
    }
    v
}

/// `(existing + add) - rm`, sorted (duplicates kept): the CLI's constraint and group lists.
fn merged(existing: &serde_json::Value, add: &[String], rm: &[String]) -> Vec<String> {
    let mut v = strings(existing);
    v.extend(add.iter().cloned());
    v.retain(|x| !rm.contains(x));
    v.sort();
    v
}

/// The given fields of a `[(key, value if the flag is given)]` table.
fn given<const N: usize>(
    fields: [(&'static str, Option<serde_json::Value>); N],
) -> Vec<(&'static str, serde_json::Value)> {
    fields
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?)))
        .collect()
}

/// Applies `--label-add`/`--label-rm` style changes to a JSON map (`rm` are keys).
fn update_map(map: &mut serde_json::Value, add: &[String], rm: &[String]) {
    if add.is_empty() && rm.is_empty() {
        return;
    }
    if !map.is_object() {
        *map = serde_json::json!({});
    }
    if let Some(o) = map.as_object_mut() {
        for k in rm {
            o.remove(k);
        }
        for (k, v) in kv_map(add) {
            o.insert(k, serde_json::Value::String(v));
        }
    }
}

impl UpdateFlags {
    /// The names whose IDs [`apply_with_ids`](Self::apply_with_ids) needs, as the docker CLI
    /// looks them up through the API: the secrets of `--secret-add`, the configs of
    /// `--config-add` and `--credential-spec config://NAME`, the networks of `--network-add` and
    /// `--network-rm`.
    ///
    /// # Errors
    /// [`FlagsError::InvalidFlag`] for a malformed reference.
    pub fn object_names(&self) -> Result<ObjectNames, FlagsError> {
        let names = |flag, values: &[String]| -> Result<Vec<String>, FlagsError> {
            values
                .iter()
                .map(|v| object_ref(flag, v).map(|(name, _)| name))
                .collect()
        };
        let mut networks = self
            .network_add
            .iter()
            .map(|v| network_attachment("network-add", v).map(|n| n.target))
            .collect::<Result<Vec<_>, _>>()?;
        networks.extend(self.network_rm.iter().cloned());
        let mut configs = names("config-add", &self.config_add)?;
        if let Some(v) = &self.credential_spec {
            configs.extend(credential_spec(v)?.1.map(str::to_owned));
        }
        Ok(ObjectNames {
            secrets: names("secret-add", &self.secret_add)?,
            configs,
            networks,
        })
    }

    /// [`apply_with_ids`](Self::apply_with_ids) without object IDs: for flag sets that name
    /// no secret, config or network to look up (those fail with `secret not found: NAME`…).
    ///
    /// # Errors
    /// As [`apply_with_ids`](Self::apply_with_ids).
    pub fn apply(&self, spec: &mut serde_json::Value) -> Result<(), FlagsError> {
        self.apply_with_ids(spec, &ObjectIds::default())
    }

    /// Applies the flags to `spec` (a service `Spec` as JSON) like the docker CLI's
    /// `service update`: env and labels by key, mounts by target, ports by target port and
    /// protocol, constraints and groups sorted, an `UpdateConfig`/`RollbackConfig` filled with
    /// swarmkit's defaults when the service had none, `ForceUpdate` incremented by `--force`.
    /// Where the CLI's order comes from a Go map (env, added secrets and configs, generic
    /// resources), this keeps the existing order and appends new entries (generic resources:
    /// sorted by kind).
    ///
    /// Secrets and configs as the CLI's `getUpdatedSecrets`/`getUpdatedConfigs`: the references
    /// named by `--*-rm` are dropped, the `--*-add` ones appended with their IDs from `ids`; a
    /// config with a runtime target stays only while the credential spec names it, and
    /// `--credential-spec config://NAME` appends one (the credential spec then holds its ID).
    /// Networks as its `updateNetworks`: `TaskTemplate.Networks` (or the deprecated top-level
    /// `Networks`, then removed) without the IDs of `--network-rm`, plus `--network-add` with its
    /// target replaced by the ID, sorted by ID. `--limit-*`/`--reserve-*` set only the values
    /// given. DNS lists are sorted without duplicates, hosts keep their order
    /// (`updateHosts`), capabilities follow `updateCapabilities` (dropping an added one only
    /// un-adds it), ulimits are by name, the health check follows `updateHealthcheck`, the
    /// restart policy starts from swarmkit's defaults. `--max-concurrent` is accepted and
    /// ignored, as the docker CLI 28 does.
    ///
    /// # Errors
    /// [`FlagsError`] for a bad value, for `--replicas` on a service that is not replicated,
    /// `secret not found: NAME` (`config`, `network`) for a name missing from `ids`, two added
    /// references with the same target file, a network the service is already attached to,
    /// `--no-healthcheck` with a `--health-*` flag, and a `--generic-resource-rm` kind the
    /// service does not reserve. `spec` may then be partly edited: callers such as
    /// `swarm_client::Client::service_update` send nothing when the edit fails.
    #[allow(clippy::too_many_lines)] // one block per flag group, like the CLI's updateService
    pub fn apply_with_ids(
        &self,
        spec: &mut serde_json::Value,
        ids: &ObjectIds,
    ) -> Result<(), FlagsError> {
        use serde_json::{Value, json};
        self.apply_container_values(spec)?;
        if let Some(r) = self.common.replicas {
            if spec.pointer("/Mode/Replicated").is_none() {
                return Err(FlagsError::Conflict(
                    "replicas can only be used with replicated mode".into(),
                ));
            }
            *at(spec, &["Mode", "Replicated", "Replicas"]) = json!(r);
        }
        if !self.env_add.is_empty() || !self.env_rm.is_empty() {
            let key = |e: &str| e.split_once('=').map_or(e, |(k, _)| k).to_owned();
            let slot = at(spec, &["TaskTemplate", "ContainerSpec", "Env"]);
            let mut env: Vec<String> = strings(slot);
            env.retain(|e| !self.env_rm.contains(&key(e)));
            for a in &self.env_add {
                match env.iter_mut().find(|e| key(e) == key(a)) {
                    Some(e) => e.clone_from(a),
                    None => env.push(a.clone()),
                }
            }
            *slot = json!(env);
        }
        update_map(at(spec, &["Labels"]), &self.label_add, &self.label_rm);
        update_map(
            at(spec, &["TaskTemplate", "ContainerSpec", "Labels"]),
            &self.container_label_add,
            &self.container_label_rm,
        );
        if !self.mount_add.is_empty() || !self.mount_rm.is_empty() {
            let slot = at(spec, &["TaskTemplate", "ContainerSpec", "Mounts"]);
            let mut mounts: Vec<Value> = slot.as_array().cloned().unwrap_or_default();
            let target = |m: &Value| m["Target"].as_str().unwrap_or("").to_owned();
            for m in &self.mount_add {
                let v = serde_json::to_value(m.mount())
                    .map_err(|e| FlagsError::Conflict(format!("cannot encode mount {m}: {e}")))?;
                mounts.retain(|x| target(x) != target(&v));
                mounts.push(v);
            }
            mounts.retain(|x| !self.mount_rm.contains(&target(x)));
            mounts.sort_by_key(|m| (m["Source"].as_str().unwrap_or("").to_owned(), target(m)));
            *slot = json!(mounts);
        }
        if !self.publish_add.is_empty() || !self.publish_rm.is_empty() {
            // The CLI's updatePorts: dedupe by `published:target/protocol/mode`, remove ports
            // whose target, protocol and mode match a `--publish-rm` value (published port
            // ignored; "" counts as tcp / ingress), add the new ones the service did not have
            // before, sort by that string.
            let slot = at(spec, &["EndpointSpec", "Ports"]);
            let norm = |v: &Value, k: &str, dflt: &str| {
                v[k].as_str()
                    .filter(|s| !s.is_empty())
                    .unwrap_or(dflt)
                    .to_owned()
            };
            let key = |p: &Value| {
                format!(
                    "{}:{}/{}/{}",
                    p["PublishedPort"].as_u64().unwrap_or(0),
                    p["TargetPort"].as_u64().unwrap_or(0),
                    p["Protocol"].as_str().unwrap_or(""),
                    p["PublishMode"].as_str().unwrap_or("")
                )
            };
            let encode = |spec: &PortSpec| -> Result<Vec<Value>, FlagsError> {
                spec.clone()
                    .into_configs()
                    .iter()
                    .map(|c| {
                        serde_json::to_value(c).map_err(|e| {
                            FlagsError::Conflict(format!("cannot encode port {spec}: {e}"))
                        })
                    })
                    .collect()
            };
            let mut rm = Vec::new();
            for r in &self.publish_rm {
                rm.extend(encode(r)?);
            }
            let mut ports: Vec<Value> = Vec::new();
            for p in slot.as_array().cloned().unwrap_or_default() {
                if !ports.iter().any(|q| key(q) == key(&p)) {
                    ports.push(p);
                }
            }
            let before: Vec<String> = ports.iter().map(key).collect();
            ports.retain(|p| {
                !rm.iter().any(|r| {
                    p["TargetPort"] == r["TargetPort"]
                        && norm(p, "Protocol", "tcp") == norm(r, "Protocol", "tcp")
                        && norm(p, "PublishMode", "ingress") == norm(r, "PublishMode", "ingress")
                })
            });
            for a in &self.publish_add {
                for v in encode(a)? {
                    // Like the CLI: a port the service had is not added again, even when
                    // `--publish-rm` removed it.
                    if !before.contains(&key(&v)) && !ports.iter().any(|q| key(q) == key(&v)) {
                        ports.push(v);
                    }
                }
            }
            ports.sort_by_key(key);
            *slot = json!(ports);
        }
        if !self.constraint_add.is_empty() || !self.constraint_rm.is_empty() {
            let slot = at(spec, &["TaskTemplate", "Placement", "Constraints"]);
            *slot = json!(merged(slot, &self.constraint_add, &self.constraint_rm));
        }
        for (key, v) in [
            ("UpdateConfig", self.common.policy.update()),
            ("RollbackConfig", self.common.policy.rollback()),
        ] {
            if !v.any() {
                continue;
            }
            let slot = at(spec, &[key]);
            if !slot.is_object() {
                // swarmkit's defaults: only `Parallelism: 1` set, the flags are applied below.
                let defaults = update_config(&PolicyValues {
                    names: v.names,
                    parallelism: Some(1),
                    delay: None,
                    failure_action: None,
                    monitor: None,
                    ratio: None,
                    order: None,
                })?;
                *slot = serde_json::to_value(defaults)
                    .map_err(|e| FlagsError::Conflict(format!("cannot encode {key}: {e}")))?;
            }
            if let Some(p) = v.parallelism {
                slot["Parallelism"] = json!(p);
            }
            if let Some(d) = v.delay {
                slot["Delay"] = json!(go_duration(v.names[0], d)?);
            }
            if let Some(a) = v.failure_action {
                slot["FailureAction"] = json!(a);
            }
            if let Some(m) = v.monitor {
                slot["Monitor"] = json!(go_duration(v.names[1], m)?);
            }
            if let Some(r) = v.ratio {
                slot["MaxFailureRatio"] = json!(r);
            }
            if let Some(o) = v.order {
                slot["Order"] = json!(o);
            }
        }
        let [lc, lm, rc, rm] = self.common.resource_values()?;
        let num = |v: Option<i64>| v.map(|v| json!(v));
        for (key, fields) in [
            (
                "Limits",
                [
                    ("NanoCPUs", num(lc)),
                    ("MemoryBytes", num(lm)),
                    ("Pids", num(self.common.limit_pids)),
                ],
            ),
            (
                "Reservations",
                [("NanoCPUs", num(rc)), ("MemoryBytes", num(rm)), ("", None)],
            ),
        ] {
            let fields = given(fields);
            if !fields.is_empty() {
                set_fields(at(spec, &["TaskTemplate", "Resources", key]), fields);
            }
        }
        self.apply_generic_resources(spec)?;
        // The credential spec's config: the one `--credential-spec config://NAME` names, else
        // (flag not given) the current one, by ID (the CLI's `getUpdatedConfigs`).
        let cred = self
            .credential_spec
            .as_deref()
            .map(credential_spec)
            .transpose()?;
        let cred_name = cred.as_ref().and_then(|c| c.1);
        let cred_id = match cred {
            Some(_) => None,
            None => spec
                .pointer("/TaskTemplate/ContainerSpec/Privileges/CredentialSpec/Config")
                .cloned()
                .filter(|c| c.as_str().is_some_and(|c| !c.is_empty())),
        };
        for (kind, flag, add, rm, ids, keys) in [
            (
                "secret",
                "secret-add",
                &self.secret_add,
                &self.secret_rm,
                &ids.secrets,
                ["Secrets", "SecretName", "SecretID"],
            ),
            (
                "config",
                "config-add",
                &self.config_add,
                &self.config_rm,
                &ids.configs,
                ["Configs", "ConfigName", "ConfigID"],
            ),
        ] {
            let [list_key, name_key, id_key] = keys;
            let mut refs: Vec<Value> = spec
                .pointer(&format!("/TaskTemplate/ContainerSpec/{list_key}"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            // Runtime targets (configs of credential specs) are checked on every update.
            let runtime = kind == "config"
                && (cred.is_some() || refs.iter().any(|r| !r["Runtime"].is_null()));
            if add.is_empty() && rm.is_empty() && !runtime {
                continue;
            }
            refs.retain(|r| {
                if r["Runtime"].is_null() {
                    !rm.iter().any(|n| r[name_key].as_str() == Some(n.as_str()))
                } else {
                    // Kept while the credential spec uses it, whatever `--config-rm` says.
                    cred_name.is_some_and(|n| r[name_key] == n)
                        || cred_id.as_ref().is_some_and(|i| r[id_key] == *i)
                }
            });
            let mut targets: Vec<String> = Vec::new();
            for value in add {
                let (name, file) = object_ref(flag, value)?;
                if targets.contains(&file.name) {
                    return Err(FlagsError::Conflict(format!(
                        "duplicate {kind} target for {name} not allowed"
                    )));
                }
                targets.push(file.name.clone());
                let id = ids
                    .get(&name)
                    .ok_or_else(|| FlagsError::Conflict(format!("{kind} not found: {name}")))?;
                refs.push(json!({
                    "File": {"Name": file.name, "UID": file.uid, "GID": file.gid, "Mode": file.mode},
                    id_key: id,
                    name_key: name,
                }));
            }
            if let Some(name) = cred_name.filter(|_| kind == "config") {
                // Appended even when a kept reference has it already, like the CLI.
                let id = ids
                    .get(name)
                    .ok_or_else(|| FlagsError::Conflict(format!("config not found: {name}")))?;
                refs.push(json!({"Runtime": {}, id_key: id, name_key: name}));
            }
            *at(spec, &["TaskTemplate", "ContainerSpec", list_key]) = json!(refs);
        }
        if let Some((mut cred_spec, name)) = cred {
            let cs = at(spec, &["TaskTemplate", "ContainerSpec"]);
            if cred_spec.is_null() {
                if let Some(p) = cs.get_mut("Privileges").filter(|p| p.is_object()) {
                    p["CredentialSpec"] = Value::Null;
                }
            } else {
                if let Some(name) = name {
                    let id = cs["Configs"]
                        .as_array()
                        .and_then(|a| a.iter().find(|c| c["ConfigName"] == name))
                        .map(|c| c["ConfigID"].clone());
                    if let Some(id) = id {
                        cred_spec["Config"] = id;
                    }
                }
                *at(cs, &["Privileges", "CredentialSpec"]) = cred_spec;
            }
        }
        if !self.network_add.is_empty() || !self.network_rm.is_empty() {
            let id_of = |name: &str| {
                ids.networks
                    .get(name)
                    .cloned()
                    .ok_or_else(|| FlagsError::Conflict(format!("network {name} not found")))
            };
            let from_template = spec
                .pointer("/TaskTemplate/Networks")
                .and_then(Value::as_array)
                .filter(|a| !a.is_empty())
                .cloned();
            let old = spec.as_object_mut().and_then(|o| o.remove("Networks"));
            let current = from_template
                .or_else(|| old.and_then(|v| v.as_array().cloned()))
                .unwrap_or_default();
            let remove = self
                .network_rm
                .iter()
                .map(|n| id_of(n))
                .collect::<Result<Vec<_>, _>>()?;
            let target = |v: &Value| v["Target"].as_str().unwrap_or("").to_owned();
            let mut nets: Vec<Value> = current
                .into_iter()
                .filter(|n| !remove.contains(&target(n)))
                .collect();
            for value in &self.network_add {
                let mut n = network_attachment("network-add", value)?;
                let id = id_of(&n.target)?;
                if nets.iter().any(|x| target(x) == id) {
                    return Err(FlagsError::Conflict(format!(
                        "service is already attached to network {}",
                        n.target
                    )));
                }
                n.target = id;
                nets.push(serde_json::to_value(&n).map_err(|e| {
                    FlagsError::Conflict(format!("cannot encode network {value}: {e}"))
                })?);
            }
            nets.sort_by_key(|n| target(n));
            *at(spec, &["TaskTemplate", "Networks"]) = json!(nets);
        }
        self.apply_container_lists(spec)?;
        self.apply_health(spec)?;
        self.apply_task(spec)?;
        if self.force {
            let n = spec
                .pointer("/TaskTemplate/ForceUpdate")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            *at(spec, &["TaskTemplate", "ForceUpdate"]) = json!(n + 1);
        }
        Ok(())
    }
}

impl UpdateFlags {
    /// The `ContainerSpec` fields `updateService` sets as given: image, args, entrypoint,
    /// workdir, user, hostname, init, isolation, stop grace period and signal, TTY, read-only
    /// root, OOM score.
    fn apply_container_values(&self, spec: &mut serde_json::Value) -> Result<(), FlagsError> {
        use serde_json::json;
        let c = &self.common;
        let text = |v: &Option<String>| v.as_ref().map(|v| json!(v));
        let words = |v: &Option<String>| v.as_deref().map(|v| json!(shell_split(v)));
        let flag = |v: Option<bool>| v.map(|v| json!(v));
        let grace = c
            .stop_grace_period
            .as_deref()
            .map(|g| go_duration("stop-grace-period", g))
            .transpose()?;
        let fields = given([
            ("Image", text(&self.image)),
            ("Args", words(&self.args)),
            ("Command", words(&c.entrypoint)),
            ("Dir", text(&c.workdir)),
            ("User", text(&c.user)),
            ("Hostname", text(&c.hostname)),
            ("Init", flag(c.init)),
            ("Isolation", text(&c.isolation)),
            ("StopGracePeriod", grace.map(|g| json!(g))),
            ("TTY", flag(c.tty)),
            ("ReadOnly", flag(c.read_only)),
            ("StopSignal", text(&c.stop_signal)),
            ("OomScoreAdj", self.oom_score_adj.map(|v| json!(v))),
        ]);
        if !fields.is_empty() {
            set_fields(at(spec, &["TaskTemplate", "ContainerSpec"]), fields);
        }
        Ok(())
    }

    /// The `ContainerSpec` lists: groups (sorted), DNS servers, options and search domains
    /// (sorted, without duplicates; a new `DNSConfig`), hosts (the CLI's `updateHosts`),
    /// capabilities (`updateCapabilities`), ulimits (by name, sorted) and sysctls.
    fn apply_container_lists(&self, spec: &mut serde_json::Value) -> Result<(), FlagsError> {
        use serde_json::json;
        const CS: [&str; 2] = ["TaskTemplate", "ContainerSpec"];
        let path = |key| [CS[0], CS[1], key];
        if !self.group_add.is_empty() || !self.group_rm.is_empty() {
            let slot = at(spec, &path("Groups"));
            *slot = json!(merged(slot, &self.group_add, &self.group_rm));
        }
        if [
            &self.dns_add,
            &self.dns_rm,
            &self.dns_option_add,
            &self.dns_option_rm,
            &self.dns_search_add,
            &self.dns_search_rm,
        ]
        .iter()
        .any(|v| !v.is_empty())
        {
            let parse =
                |f: fn(&'static str, &str) -> Result<String, FlagsError>, flag, v: &[String]| {
                    v.iter().map(|x| f(flag, x)).collect::<Result<Vec<_>, _>>()
                };
            let servers = parse(ip_address, "dns-add", &self.dns_add)?;
            let search = parse(dns_search, "dns-search-add", &self.dns_search_add)?;
            let slot = at(spec, &path("DNSConfig"));
            let list = |key, add: &[String], rm: &[String]| {
                let mut v = merged(&slot[key], add, rm);
                v.dedup();
                (key, (!v.is_empty()).then(|| json!(v)))
            };
            let fields = given([
                list("Nameservers", &servers, &self.dns_rm),
                list("Search", &search, &self.dns_search_rm),
                list("Options", &self.dns_option_add, &self.dns_option_rm),
            ]);
            *slot = json!({});
            set_fields(slot, fields);
        }
        if !self.host_add.is_empty() || !self.host_rm.is_empty() {
            let add = self
                .host_add
                .iter()
                .map(|h| extra_host("host-add", h))
                .collect::<Result<Vec<_>, _>>()?;
            // `HOST:IP` removes HOST from the lines of IP, `HOST` from every line; a line
            // left without names, or not of the form `IP NAME…`, goes.
            let rm: Vec<(&str, &str)> = self
                .host_rm
                .iter()
                .map(|r| r.split_once(':').unwrap_or((r, "")))
                .collect();
            let slot = at(spec, &path("Hosts"));
            let mut kept: Vec<String> = Vec::new();
            for line in strings(slot) {
                let mut fields = line.split_whitespace();
                let ip = fields.next().unwrap_or_default();
                let names: Vec<&str> = fields
                    .filter(|n| !rm.iter().any(|(h, i)| h == n && (i.is_empty() || *i == ip)))
                    .collect();
                if !names.is_empty() {
                    kept.push(format!("{ip} {}", names.join(" ")));
                }
            }
            let mut hosts: Vec<String> = Vec::new();
            for h in kept.into_iter().chain(add) {
                if !hosts.contains(&h) {
                    hosts.push(h);
                }
            }
            *slot = json!(hosts);
        }
        if !self.common.cap_add.is_empty() || !self.common.cap_drop.is_empty() {
            use std::collections::BTreeSet;
            let cs = at(spec, &CS);
            let set = |v: &serde_json::Value| {
                strings(v)
                    .iter()
                    .map(|c| cap_name(c))
                    .collect::<BTreeSet<_>>()
            };
            let (mut add, mut drop) = (set(&cs["CapabilityAdd"]), set(&cs["CapabilityDrop"]));
            let to_add: BTreeSet<String> =
                self.common.cap_add.iter().map(|c| cap_name(c)).collect();
            // Dropping an added capability only un-adds it (and the other way round); adding
            // wins over dropping in one update.
            for c in self.common.cap_drop.iter().map(|c| cap_name(c)) {
                if !to_add.contains(&c) && !add.remove(&c) {
                    drop.insert(c);
                }
            }
            for c in to_add {
                if !drop.remove(&c) {
                    add.insert(c);
                }
            }
            let list = |s: BTreeSet<String>| {
                if s.contains("ALL") {
                    json!(["ALL"])
                } else {
                    json!(s)
                }
            };
            cs["CapabilityAdd"] = list(add);
            cs["CapabilityDrop"] = list(drop);
        }
        if !self.ulimit_add.is_empty() || !self.ulimit_rm.is_empty() {
            let add = ulimits("ulimit-add", &self.ulimit_add)?;
            let slot = at(spec, &path("Ulimits"));
            let mut by_name: std::collections::BTreeMap<String, serde_json::Value> = slot
                .as_array()
                .into_iter()
                .flatten()
                .map(|u| (u["Name"].as_str().unwrap_or_default().to_owned(), u.clone()))
                .collect();
            for k in kv_map(&self.ulimit_rm).keys() {
                by_name.remove(k);
            }
            for u in add {
                by_name.insert(u.name.clone(), json!(u));
            }
            *slot = json!(by_name.into_values().collect::<Vec<_>>());
        }
        if !self.sysctl_add.is_empty() || !self.sysctl_rm.is_empty() {
            let rm: Vec<String> = kv_map(&self.sysctl_rm).into_keys().collect();
            update_map(at(spec, &path("Sysctls")), &self.sysctl_add, &rm);
        }
        Ok(())
    }

    /// The CLI's `updateHealthcheck`: `--no-healthcheck` sets `NONE` (and conflicts with any
    /// `--health-*` flag), the others clear `NONE` and set what is given.
    fn apply_health(&self, spec: &mut serde_json::Value) -> Result<(), FlagsError> {
        let c = &self.common;
        let health = c.health_given();
        if !health && c.no_healthcheck.is_none() {
            return Ok(());
        }
        let slot = at(spec, &["TaskTemplate", "ContainerSpec", "Healthcheck"]);
        if !slot.is_object() {
            *slot = serde_json::json!({});
        }
        if c.no_healthcheck == Some(true) {
            if health {
                return Err(no_healthcheck_conflict());
            }
            *slot = serde_json::json!({"Test": ["NONE"]});
            return Ok(());
        }
        if slot["Test"][0] == "NONE" {
            set_fields(slot, [("Test", None)]);
        }
        set_fields(slot, c.health_fields()?);
        Ok(())
    }

    /// The task and endpoint settings: restart policy (swarmkit's defaults first when the
    /// service has none), placement preferences (`--placement-pref-rm` drops every equal one,
    /// `--placement-pref-add` appends), max replicas per node, log driver, endpoint mode.
    fn apply_task(&self, spec: &mut serde_json::Value) -> Result<(), FlagsError> {
        use serde_json::json;
        let c = &self.common;
        let restart = c.restart_fields()?;
        if !restart.is_empty() {
            let slot = at(spec, &["TaskTemplate", "RestartPolicy"]);
            if !slot.is_object() {
                *slot = default_restart_policy();
            }
            set_fields(slot, restart);
        }
        if !self.placement_pref_add.is_empty() || !self.placement_pref_rm.is_empty() {
            let prefs = |flag, v: &[String]| {
                v.iter()
                    .map(|p| {
                        placement_pref(flag, p).map(|d| json!({"Spread": {"SpreadDescriptor": d}}))
                    })
                    .collect::<Result<Vec<_>, _>>()
            };
            let (add, rm) = (
                prefs("placement-pref-add", &self.placement_pref_add)?,
                prefs("placement-pref-rm", &self.placement_pref_rm)?,
            );
            let slot = at(spec, &["TaskTemplate", "Placement", "Preferences"]);
            let mut list = slot.as_array().cloned().unwrap_or_default();
            list.retain(|p| !rm.contains(p));
            list.extend(add);
            *slot = json!(list);
        }
        if let Some(n) = c.replicas_max_per_node {
            *at(spec, &["TaskTemplate", "Placement", "MaxReplicas"]) = json!(n);
        }
        if let Some(l) = log_driver(c.log_driver.as_deref(), &c.log_opt) {
            *at(spec, &["TaskTemplate", "LogDriver"]) = json!(l);
        }
        if let Some(m) = &c.endpoint_mode {
            *at(spec, &["EndpointSpec", "Mode"]) = json!(m);
        }
        Ok(())
    }

    /// The CLI's `addGenericResources`/`removeGenericResources`: the reserved discrete
    /// resources by kind (sorted here; the CLI's order comes from a Go map), `--*-add` replacing
    /// a kind, `--*-rm` of a kind the service does not reserve refused.
    fn apply_generic_resources(&self, spec: &mut serde_json::Value) -> Result<(), FlagsError> {
        use serde_json::json;
        if self.generic_resource_add.is_empty() && self.generic_resource_rm.is_empty() {
            return Ok(());
        }
        let add = generic_resources("generic-resource-add", &self.generic_resource_add)?;
        let slot = at(
            spec,
            &[
                "TaskTemplate",
                "Resources",
                "Reservations",
                "GenericResources",
            ],
        );
        let mut by_kind = std::collections::BTreeMap::new();
        for r in slot.as_array().cloned().unwrap_or_default() {
            let Some(kind) = r
                .pointer("/DiscreteResourceSpec/Kind")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
            else {
                return Err(FlagsError::Conflict(format!(
                    "invalid generic-resource `{r}` for service task"
                )));
            };
            if by_kind.insert(kind.clone(), r).is_some() {
                return Err(FlagsError::Conflict(format!(
                    "duplicate generic-resource `{kind}` for service task"
                )));
            }
        }
        for (kind, n) in add {
            let r = json!({"DiscreteResourceSpec": {"Kind": kind, "Value": n}});
            by_kind.insert(kind, r);
        }
        for kind in &self.generic_resource_rm {
            if by_kind.remove(kind).is_none() {
                return Err(FlagsError::Conflict(format!(
                    "could not find generic-resource `{kind}` to remove it"
                )));
            }
        }
        *slot = json!(by_kind.into_values().collect::<Vec<_>>());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_like_go() {
        assert_eq!(go_duration("x", "10s").unwrap(), 10_000_000_000);
        assert_eq!(go_duration("x", "1m30s").unwrap(), 90_000_000_000);
        assert_eq!(go_duration("x", "1.5h").unwrap(), 5_400_000_000_000);
        assert_eq!(go_duration("x", "500ms").unwrap(), 500_000_000);
        assert_eq!(go_duration("x", "0").unwrap(), 0);
        assert!(go_duration("x", "10").is_err());
        assert!(go_duration("x", "").is_err());
        assert!(go_duration("x", "1d").is_err());
    }

    #[test]
    fn cpus_like_the_cli() {
        assert_eq!(nano_cpus("x", "0.5").unwrap(), 500_000_000);
        assert_eq!(nano_cpus("x", "2").unwrap(), 2_000_000_000);
        assert!(nano_cpus("x", "0.0000000001").is_err());
        assert!(nano_cpus("x", "abc").is_err());
    }

    #[test]
    fn secret_and_config_values_like_the_cli() {
        let (n, f) = object_ref("secret", "db").unwrap();
        assert_eq!(
            (n.as_str(), f.name.as_str(), f.uid.as_str(), f.mode),
            ("db", "db", "0", 0o444)
        );
        let (n, f) = object_ref("config", "src=c,target=/etc/x,uid=33,gid=44,mode=0400").unwrap();
        assert_eq!(
            (n.as_str(), f.name.as_str(), f.gid.as_str(), f.mode),
            ("c", "/etc/x", "44", 0o400)
        );
        assert_eq!(
            object_ref("secret", "source=s,mode=256").unwrap().1.mode,
            256
        );
        for (bad, why) in [
            ("target=/x", "source is required"),
            ("source=s,foo=1", "invalid field in secret request: foo"),
            ("source=s,mode=rw", "invalid mode specified"),
            ("source=s,x", "invalid field 'x' must be a key=value pair"),
        ] {
            let e = object_ref("secret", bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn network_long_syntax() {
        let n = network_attachment(
            "network",
            "name=backend,alias=web,alias=www,driver-opt=com.x=1",
        )
        .unwrap();
        assert_eq!(n.target, "backend");
        assert_eq!(n.aliases, ["web", "www"]);
        assert_eq!(n.driver_opts.get("com.x").map(String::as_str), Some("1"));
        assert_eq!(
            network_attachment("network", "host").unwrap().target,
            "host"
        );
        assert!(
            network_attachment("network", "alias=web")
                .unwrap_err()
                .to_string()
                .contains("not specified")
        );
        assert!(
            network_attachment("network", "name=a,bogus=1")
                .unwrap_err()
                .to_string()
                .contains("invalid field key bogus")
        );
    }

    #[test]
    fn ulimits_and_env_files() {
        let u = ulimits(
            "ulimit",
            &["nproc=10".into(), "nofile=1:2".into(), "nproc=20".into()],
        )
        .unwrap();
        assert_eq!(
            u.iter()
                .map(|u| (u.name.as_str(), u.soft, u.hard))
                .collect::<Vec<_>>(),
            [("nofile", 1, 2), ("nproc", 20, 20)]
        );
        assert!(
            ulimits("ulimit", &["nofile=5:1".into()])
                .unwrap_err()
                .to_string()
                .contains("soft limit")
        );
        assert!(
            ulimits("ulimit", &["bogus=1".into()])
                .unwrap_err()
                .to_string()
                .contains("invalid ulimit type")
        );
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("env");
        std::fs::write(&f, "# c\n\nA=1\n  B=x y\nDW_SURELY_UNSET_VAR\n").unwrap();
        assert_eq!(read_env_file(&f).unwrap(), ["A=1", "B=x y"]);
        std::fs::write(&f, "BAD KEY=1\n").unwrap();
        assert!(
            read_env_file(&f)
                .unwrap_err()
                .to_string()
                .contains("whitespaces")
        );
        assert!(read_env_file(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn update_flags_resources_secrets_configs() {
        use clap::Parser;
        #[derive(Parser)]
        struct W {
            #[command(flatten)]
            f: UpdateFlags,
        }
        let mut spec = serde_json::json!({
            "TaskTemplate": {
                "ContainerSpec": {"Image": "i:1", "Secrets": [
                    {"File": {"Name": "old", "UID": "0", "GID": "0", "Mode": 292},
                     "SecretID": "id-old", "SecretName": "old"},
                    {"File": {"Name": "keep", "UID": "0", "GID": "0", "Mode": 292},
                     "SecretID": "id-keep", "SecretName": "keep"}]},
                "Resources": {"Limits": {"MemoryBytes": 1024}}
            }
        });
        let f = W::try_parse_from([
            "x",
            "--limit-cpu",
            "0.5",
            "--reserve-memory",
            "64m",
            "--secret-rm",
            "old",
            "--secret-add",
            "source=db,target=db.pw,mode=0400",
            "--config-add",
            "lb",
        ])
        .unwrap()
        .f;
        let names = f.object_names().unwrap();
        assert_eq!(
            (names.secrets, names.configs),
            (vec!["db".to_owned()], vec!["lb".to_owned()])
        );
        // Without the IDs the added names are reported missing, as the CLI does.
        let e = f.apply(&mut spec.clone()).unwrap_err().to_string();
        assert!(e.contains("secret not found: db"), "{e}");
        let ids = ObjectIds {
            secrets: [("db".to_owned(), "id-db".to_owned())].into(),
            configs: [("lb".to_owned(), "id-lb".to_owned())].into(),
            ..ObjectIds::default()
        };
        f.apply_with_ids(&mut spec, &ids).unwrap();
        let r = &spec["TaskTemplate"]["Resources"];
        assert_eq!(r["Limits"]["NanoCPUs"], 500_000_000);
        assert_eq!(r["Limits"]["MemoryBytes"], 1024, "untouched value kept");
        assert_eq!(r["Reservations"]["MemoryBytes"], 64 * 1024 * 1024);
        assert!(r["Reservations"].get("NanoCPUs").is_none());
        let cs = &spec["TaskTemplate"]["ContainerSpec"];
        let names: Vec<&str> = cs["Secrets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["SecretName"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["keep", "db"]);
        assert_eq!(
            cs["Secrets"][1],
            serde_json::json!({"File": {"Name": "db.pw", "UID": "0", "GID": "0", "Mode": 256},
                "SecretID": "id-db", "SecretName": "db"})
        );
        assert_eq!(cs["Configs"][0]["ConfigID"], "id-lb");
        assert_eq!(cs["Configs"][0]["ConfigName"], "lb");
        assert_eq!(cs["Configs"][0]["File"]["Name"], "lb");

        // Two added references with one target file are refused, like the CLI.
        let dup = W::try_parse_from([
            "x",
            "--secret-add",
            "db",
            "--secret-add",
            "source=db2,target=db",
        ])
        .unwrap()
        .f;
        let ids = ObjectIds {
            secrets: [
                ("db".to_owned(), "1".to_owned()),
                ("db2".to_owned(), "2".to_owned()),
            ]
            .into(),
            ..ObjectIds::default()
        };
        let e = dup
            .apply_with_ids(&mut serde_json::json!({}), &ids)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("duplicate secret target for db2 not allowed"),
            "{e}"
        );
        let bad = W::try_parse_from(["x", "--limit-cpu", "lots"]).unwrap().f;
        assert!(
            bad.apply(&mut serde_json::json!({}))
                .unwrap_err()
                .to_string()
                .contains("limit-cpu")
        );
    }

    #[test]
    fn update_flags_networks_like_update_networks() {
        use clap::Parser;
        #[derive(Parser)]
        struct W {
            #[command(flatten)]
            f: UpdateFlags,
        }
        let ids = ObjectIds {
            networks: [
                ("front", "id-b"),
                ("back", "id-a"),
                ("id-a", "id-a"),
                ("mid", "id-c"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
            ..ObjectIds::default()
        };
        // The deprecated top-level Networks is moved into the task template.
        let mut spec = serde_json::json!({
            "Networks": [{"Target": "id-c"}, {"Target": "id-a", "Aliases": ["x"]}],
            "TaskTemplate": {}
        });
        let f = W::try_parse_from([
            "x",
            "--network-rm",
            "id-a",
            "--network-add",
            "name=front,alias=web,driver-opt=MTU=1400",
        ])
        .unwrap()
        .f;
        assert_eq!(
            f.object_names().unwrap().networks,
            ["front".to_owned(), "id-a".to_owned()]
        );
        f.apply_with_ids(&mut spec, &ids).unwrap();
        assert!(spec.get("Networks").is_none());
        assert_eq!(
            spec["TaskTemplate"]["Networks"],
            serde_json::json!([
                {"Target": "id-b", "Aliases": ["web"], "DriverOpts": {"mtu": "1400"}},
                {"Target": "id-c"}
            ])
        );
        // Already attached (by another name for the same ID), and unknown names.
        let again = W::try_parse_from(["x", "--network-add", "mid"]).unwrap().f;
        let e = again.apply_with_ids(&mut spec.clone(), &ids).unwrap_err();
        assert_eq!(e.to_string(), "service is already attached to network mid");
        let unknown = W::try_parse_from(["x", "--network-rm", "nope"]).unwrap().f;
        let e = unknown.apply_with_ids(&mut spec, &ids).unwrap_err();
        assert_eq!(e.to_string(), "network nope not found");
    }

    #[test]
    fn update_flags_edit_the_raw_spec() {
        use clap::Parser;
        #[derive(Parser)]
        struct W {
            #[command(flatten)]
            f: UpdateFlags,
        }
        let mut spec = serde_json::json!({
            "Name": "web", "Labels": {"a": "1"}, "Future": {"kept": true},
            "Mode": {"Replicated": {"Replicas": 1}},
            "TaskTemplate": {"ContainerSpec": {"Image": "i:1", "Env": ["A=1", "B=1"],
                "Mounts": [{"Type": "tmpfs", "Target": "/t"}]},
                "Placement": {"Constraints": ["z==1"]}, "ForceUpdate": 2},
            "EndpointSpec": {"Ports": [{"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080, "PublishMode": "ingress"}]}
        });
        let f = W::try_parse_from([
            "x",
            "--image",
            "i:2",
            "--replicas",
            "3",
            "--env-add",
            "B=2",
            "--env-add",
            "C=3",
            "--env-rm",
            "A",
            "--label-add",
            "b=2",
            "--label-rm",
            "a",
            "--mount-rm",
            "/t",
            "--mount-add",
            "type=volume,source=v,target=/v",
            "--publish-rm",
            "80",
            "--publish-add",
            "9090:90/udp",
            "--constraint-add",
            "a==1",
            "--update-parallelism",
            "2",
            "--update-monitor",
            "2s",
            "--force",
            "--args",
            "sh -c 'echo hi'",
        ])
        .unwrap()
        .f;
        f.apply(&mut spec).unwrap();
        assert_eq!(spec["Future"]["kept"], true);
        assert_eq!(spec["Mode"]["Replicated"]["Replicas"], 3);
        let cs = &spec["TaskTemplate"]["ContainerSpec"];
        assert_eq!(cs["Image"], "i:2");
        assert_eq!(cs["Env"], serde_json::json!(["B=2", "C=3"]));
        assert_eq!(cs["Args"], serde_json::json!(["sh", "-c", "echo hi"]));
        assert_eq!(
            cs["Mounts"],
            serde_json::json!([{"Type": "volume", "Source": "v", "Target": "/v"}])
        );
        assert_eq!(spec["Labels"], serde_json::json!({"b": "2"}));
        assert_eq!(
            spec["TaskTemplate"]["Placement"]["Constraints"],
            serde_json::json!(["a==1", "z==1"])
        );
        assert_eq!(spec["TaskTemplate"]["ForceUpdate"], 3);
        let ports = spec["EndpointSpec"]["Ports"].as_array().unwrap();
        assert_eq!(ports.len(), 1);
        assert_eq!(
            (
                ports[0]["TargetPort"].as_u64(),
                ports[0]["Protocol"].as_str()
            ),
            (Some(90), Some("udp"))
        );
        let u = &spec["UpdateConfig"];
        assert_eq!(
            (u["Parallelism"].as_u64(), u["Monitor"].as_u64()),
            (Some(2), Some(2_000_000_000))
        );
        assert_eq!(u["FailureAction"], "pause");
        // --replicas on a global service is refused.
        let mut global = serde_json::json!({"Mode": {"Global": {}}});
        let f = W::try_parse_from(["x", "--replicas", "2"]).unwrap().f;
        assert!(
            f.apply(&mut global)
                .unwrap_err()
                .to_string()
                .contains("replicated")
        );
    }

    #[test]
    fn shared_value_grammars_like_the_cli() {
        assert_eq!(ip_address("dns", " ::0001").unwrap(), "::1");
        assert_eq!(ip_address("dns", "::ffff:1.2.3.4").unwrap(), "1.2.3.4");
        assert_eq!(
            ip_address("dns", "foo").unwrap_err().to_string(),
            "invalid argument \"foo\" for \"--dns\" flag: IP address is not correctly formatted: foo"
        );
        for (v, want) in [
            (" Ex-a.com. ", "Ex-a.com"),
            (".", "."),
            ("::a.com", "::a.com"),
            ("b:.:c.", "b:.:c"),
            ("9a", "9a"),
        ] {
            assert_eq!(dns_search("dns-search", v).unwrap(), want, "{v:?}");
        }
        for v in [
            "a..com", "-a.com", "a-.com", "12.34", "a com", "a.com..", "_a.com",
        ] {
            let e = dns_search("dns-search", v).unwrap_err().to_string();
            assert!(
                e.ends_with(&format!("{v} is not a valid domain")),
                "{v:?}: {e}"
            );
        }
        assert_eq!(extra_host("host", "h=[::1]").unwrap(), "::1 h");
        assert_eq!(extra_host("host", "db:::1").unwrap(), "::1 db");
        assert_eq!(
            extra_host("host", "gw:host-gateway").unwrap(),
            "host-gateway gw"
        );
        for (v, why) in [
            ("foo", "bad format for add-host: \"foo\""),
            (":1.2.3.4", "bad format for add-host"),
            ("foo:bar", "invalid IP address in add-host: \"bar\""),
            (
                "gw=[host-gateway]",
                "invalid IP address in add-host: \"host-gateway\"",
            ),
        ] {
            let e = extra_host("host-add", v).unwrap_err().to_string();
            assert!(e.contains(why), "{v:?}: {e}");
        }
        assert_eq!(placement_pref("p", "spread=node.id").unwrap(), "node.id");
        for (v, why) in [
            ("=x", "must be of the format"),
            ("Spread=x", "unsupported placement preference Spread"),
        ] {
            let e = placement_pref("p", v).unwrap_err().to_string();
            assert!(e.contains(why), "{v:?}: {e}");
        }
        assert_eq!((go_bool("T"), go_bool("0")), (Ok(true), Ok(false)));
        assert!(go_bool("yes").is_err());
        assert!(
            positive_duration("health-interval", "-1s")
                .unwrap_err()
                .to_string()
                .contains("cannot be negative")
        );
        let g = generic_resources("g", &["gpu=2".into(), " ssd = 0".into()]).unwrap();
        assert_eq!(
            g.into_iter().collect::<Vec<_>>(),
            [("gpu".into(), 2), ("ssd".into(), 0)]
        );
        for (v, why) in [
            (
                &["gpu"][..],
                "invalid generic-resource format `gpu` expected `name=value`",
            ),
            (&["gpu=-1"], "cannot ask for negative resource gpu"),
            (
                &["gpu=u1"],
                "request `gpu=u1`, Named Generic Resources is not supported",
            ),
            (
                &["gpu=1", "gpu=2"],
                "mixed discrete and named resources in expression 'gpu=[1 2]'",
            ),
            (
                &["a=b=c"],
                "incorrect term a=b=c, missing '=' or malformed expression",
            ),
        ] {
            let v: Vec<String> = v.iter().map(|s| (*s).to_owned()).collect();
            let e = generic_resources("g", &v).unwrap_err().to_string();
            assert!(e.contains(why), "{v:?}: {e}");
        }
        assert_eq!(
            credential_spec("config://c").unwrap(),
            (serde_json::json!({"Config": "c"}), Some("c"))
        );
        assert_eq!(credential_spec("").unwrap().0, serde_json::Value::Null);
        assert!(
            credential_spec("c")
                .unwrap_err()
                .to_string()
                .contains("must be prefixed")
        );
    }

    #[test]
    fn update_flags_container_and_task_settings() {
        use clap::Parser;
        use serde_json::json;
        #[derive(Parser)]
        struct W {
            #[command(flatten)]
            f: UpdateFlags,
        }
        let parse = |args: &[&str]| {
            W::try_parse_from(std::iter::once("x").chain(args.iter().copied()))
                .unwrap()
                .f
        };
        // Settings the CLI refuses on daemons older than API 1.44/1.46 (so no parity set).
        let mut spec = json!({"Mode": {"ReplicatedJob": {"MaxConcurrent": 1}},
            "TaskTemplate": {"ContainerSpec": {"Healthcheck": {"Test": ["NONE"]},
            "Hosts": ["bogus", "127.0.0.1   a b c", "127.0.0.2 c", "127.0.0.1 a", "db:1.2.3.4"]}}});
        parse(&[
            "--oom-score-adj",
            "-500",
            "--health-start-interval",
            "2s",
            "--max-concurrent",
            "4",
            "--host-rm",
            "a:127.0.0.1",
            "--host-add",
            "d= 127.0.0.4",
            "-t=false",
        ])
        .apply(&mut spec)
        .unwrap();
        let cs = &spec["TaskTemplate"]["ContainerSpec"];
        assert_eq!(cs["OomScoreAdj"], -500);
        assert_eq!(cs["TTY"], false);
        assert_eq!(
            cs["Healthcheck"],
            json!({"StartInterval": 2_000_000_000_i64})
        );
        assert_eq!(
            cs["Hosts"],
            json!(["127.0.0.1 b c", "127.0.0.2 c", " 127.0.0.4 d"])
        );
        assert_eq!(
            spec["Mode"]["ReplicatedJob"]["MaxConcurrent"], 1,
            "ignored, like the CLI"
        );
        let e = parse(&["--replicas", "2"]).apply(&mut spec).unwrap_err();
        assert_eq!(
            e.to_string(),
            "replicas can only be used with replicated mode"
        );
        let e = parse(&["--no-healthcheck", "--health-retries", "0"])
            .apply(&mut spec)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "--no-healthcheck conflicts with --health-* options"
        );

        // A credential spec's runtime config: added with the looked-up ID, dropped when unused.
        let ids = ObjectIds {
            configs: [("cs".to_owned(), "id-cs".to_owned())].into(),
            ..ObjectIds::default()
        };
        let set = parse(&["--credential-spec", "config://cs"]);
        assert_eq!(set.object_names().unwrap().configs, ["cs"]);
        let mut spec = json!({"TaskTemplate": {"ContainerSpec": {}}});
        set.apply_with_ids(&mut spec, &ids).unwrap();
        let cs = &spec["TaskTemplate"]["ContainerSpec"];
        assert_eq!(
            cs["Privileges"]["CredentialSpec"],
            json!({"Config": "id-cs"})
        );
        assert_eq!(
            cs["Configs"],
            json!([{"Runtime": {}, "ConfigID": "id-cs", "ConfigName": "cs"}])
        );
        parse(&["--env-add", "A=1"]).apply(&mut spec).unwrap();
        assert_eq!(
            spec["TaskTemplate"]["ContainerSpec"]["Configs"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        parse(&["--credential-spec", ""]).apply(&mut spec).unwrap();
        let cs = &spec["TaskTemplate"]["ContainerSpec"];
        assert_eq!(
            (&cs["Privileges"]["CredentialSpec"], &cs["Configs"]),
            (&json!(null), &json!([]))
        );

        let e = parse(&["--generic-resource-rm", "gpu"])
            .apply(&mut json!({}))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "could not find generic-resource `gpu` to remove it"
        );
        let e = parse(&["--ulimit-add", "nofile=2:1"])
            .apply(&mut json!({}))
            .unwrap_err();
        assert!(e.to_string().contains("\"--ulimit-add\" flag"), "{e}");
    }

    #[test]
    fn shell_words() {
        assert_eq!(shell_split("sh -c 'echo a b'"), ["sh", "-c", "echo a b"]);
        assert_eq!(shell_split("a \"b c\" d\\ e"), ["a", "b c", "d e"]);
    }
}
