//! `dockwright mount parse`, `dockwright publish parse`, and [`ServiceFlags`]: the docker CLI 28's
//! `service create` flags and their translation into a [`ServiceSpec`] exactly as the CLI fills it.

use super::{CliResult, print_json};
use clap::{Args, Subcommand};
use swarm_client::mount::MountSpec;
use swarm_client::port::PortSpec;
use swarm_client::spec::{
    EndpointMode, FailureAction, HealthConfig, LogDriver, RestartCondition, RestartPolicy,
    ServiceSpec, SpecError, UpdateConfig, UpdateOrder,
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

/// The docker CLI 28.2.2's `service create` flags (the subset dockwright understands), for
/// `#[command(flatten)]` into `service create` / `service update`.
#[derive(Debug, Clone, Default, Args)]
#[allow(clippy::struct_excessive_bools)] // mirrors the docker CLI's flags
pub struct ServiceFlags {
    /// Service name.
    #[arg(long)]
    pub name: Option<String>,
    /// Number of tasks.
    #[arg(long)]
    pub replicas: Option<u64>,
    /// Service mode ("replicated", "global", "replicated-job", "global-job").
    #[arg(long, default_value = "replicated")]
    pub mode: String,
    /// Number of job tasks to run concurrently (default equal to --replicas).
    #[arg(long = "max-concurrent")]
    pub max_concurrent: Option<u64>,
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
    /// Network attachments.
    #[arg(long = "network")]
    pub network: Vec<String>,
    /// Placement constraints.
    #[arg(long = "constraint")]
    pub constraint: Vec<String>,
    /// Add a placement preference (`spread=node.labels.zone`).
    #[arg(long = "placement-pref")]
    pub placement_pref: Vec<String>,
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
    #[arg(long = "no-healthcheck")]
    pub no_healthcheck: bool,
    /// Time to wait before force killing a container (ns|us|ms|s|m|h).
    #[arg(long = "stop-grace-period")]
    pub stop_grace_period: Option<String>,
    /// Signal to stop the container.
    #[arg(long = "stop-signal")]
    pub stop_signal: Option<String>,
    /// Use an init inside each service container.
    #[arg(long)]
    pub init: bool,
    /// Allocate a pseudo-TTY.
    #[arg(short = 't', long)]
    pub tty: bool,
    /// Mount the container's root filesystem as read only.
    #[arg(long = "read-only")]
    pub read_only: bool,
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
    /// Add Linux capabilities.
    #[arg(long = "cap-add")]
    pub cap_add: Vec<String>,
    /// Drop Linux capabilities.
    #[arg(long = "cap-drop")]
    pub cap_drop: Vec<String>,
    /// Sysctl options.
    #[arg(long)]
    pub sysctl: Vec<String>,
    /// Service container isolation mode.
    #[arg(long)]
    pub isolation: Option<String>,
    /// Logging driver for service.
    #[arg(long = "log-driver")]
    pub log_driver: Option<String>,
    /// Logging driver options.
    #[arg(long = "log-opt")]
    pub log_opt: Vec<String>,
    /// Endpoint mode (vip or dnsrr).
    #[arg(long = "endpoint-mode", default_value = "vip")]
    pub endpoint_mode: String,
    /// Send registry authentication details to swarm agents.
    #[arg(long = "with-registry-auth")]
    pub with_registry_auth: bool,
    /// Image to run.
    pub image: String,
    /// Command (arguments) to run.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

/// Go's `time.ParseDuration` (the CLI's duration flags) in nanoseconds.
fn go_duration(flag: &'static str, s: &str) -> Result<i64, FlagsError> {
    let bad = || FlagsError::InvalidFlag {
        flag,
        value: s.to_owned(),
        reason: format!("time: invalid duration \"{s}\""),
    };
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
    let bad = |reason: &str| FlagsError::InvalidFlag {
        flag,
        value: s.to_owned(),
        reason: reason.to_owned(),
    };
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

/// `go-units.RAMInBytes` through the mount grammar's implementation.
fn mem_bytes(flag: &'static str, s: &str) -> Result<i64, FlagsError> {
    let m: MountSpec = format!(
        "type=tmpfs,target=/t,\"tmpfs-size={}\"",
        s.replace('"', "\"\"")
    )
    .parse()
    .map_err(|_| FlagsError::InvalidFlag {
        flag,
        value: s.to_owned(),
        reason: format!("invalid size: '{s}'"),
    })?;
    Ok(m.mount().tmpfs_options.as_ref().map_or(0, |t| t.size_bytes))
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
        if let Some(n) = self.replicas {
            b = b.replicas(n);
        }
        // Env: later entries replace earlier ones with the same name.
        let mut env: Vec<String> = Vec::new();
        for e in &self.env {
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
        let mut networks = self.network.clone();
        networks.sort();
        for n in networks {
            b = b.network(n);
        }
        for c in &self.constraint {
            b = b.constraint(c.clone());
        }
        for p in &self.placement_pref {
            let Some((strategy, arg)) = p.split_once('=') else {
                return Err(FlagsError::InvalidFlag {
                    flag: "placement-pref",
                    value: p.clone(),
                    reason: "placement preference must be of the format \"<strategy>=<arg>\""
                        .into(),
                });
            };
            if !strategy.eq_ignore_ascii_case("spread") {
                return Err(FlagsError::InvalidFlag {
                    flag: "placement-pref",
                    value: p.clone(),
                    reason: format!(
                        "unsupported placement preference {strategy} (only spread is supported)"
                    ),
                });
            }
            b = b.placement_pref_spread(arg);
        }
        if let Some(n) = self.replicas_max_per_node {
            b = b.max_replicas_per_node(n);
        }
        let lc = self
            .limit_cpu
            .as_deref()
            .map(|s| nano_cpus("limit-cpu", s))
            .transpose()?
            .unwrap_or(0);
        let lm = self
            .limit_memory
            .as_deref()
            .map(|s| mem_bytes("limit-memory", s))
            .transpose()?
            .unwrap_or(0);
        let rc = self
            .reserve_cpu
            .as_deref()
            .map(|s| nano_cpus("reserve-cpu", s))
            .transpose()?
            .unwrap_or(0);
        let rm = self
            .reserve_memory
            .as_deref()
            .map(|s| mem_bytes("reserve-memory", s))
            .transpose()?
            .unwrap_or(0);
        b = b.limits(lc, lm).reservations(rc, rm);
        if self.restart_condition.is_some()
            || self.restart_delay.is_some()
            || self.restart_max_attempts.is_some()
            || self.restart_window.is_some()
        {
            let mut p = RestartPolicy::default();
            p.condition = Some(RestartCondition::from(
                self.restart_condition
                    .clone()
                    .unwrap_or_else(|| "any".into()),
            ));
            p.delay = Some(match &self.restart_delay {
                Some(d) => go_duration("restart-delay", d)?,
                None => 5_000_000_000,
            });
            p.max_attempts = Some(self.restart_max_attempts.unwrap_or(0));
            p.window = self
                .restart_window
                .as_deref()
                .map(|w| go_duration("restart-window", w))
                .transpose()?;
            b = b.restart_policy(p);
        }
        if let Some(u) = update_config(
            ["update-delay", "update-monitor"],
            self.update_parallelism,
            self.update_delay.as_deref(),
            self.update_failure_action.as_deref(),
            self.update_monitor.as_deref(),
            self.update_max_failure_ratio,
            self.update_order.as_deref(),
        )? {
            b = b.update_config(u);
        }
        if let Some(u) = update_config(
            ["rollback-delay", "rollback-monitor"],
            self.rollback_parallelism,
            self.rollback_delay.as_deref(),
            self.rollback_failure_action.as_deref(),
            self.rollback_monitor.as_deref(),
            self.rollback_max_failure_ratio,
            self.rollback_order.as_deref(),
        )? {
            b = b.rollback_config(u);
        }
        if let Some(w) = &self.workdir {
            b = b.workdir(w.clone());
        }
        if let Some(u) = &self.user {
            b = b.user(u.clone());
        }
        if let Some(h) = &self.hostname {
            b = b.hostname(h.clone());
        }
        if let Some(e) = &self.entrypoint {
            b = b.command(shell_split(e));
        }
        if !self.args.is_empty() {
            b = b.args(self.args.clone());
        }
        let have_health = self.health_cmd.is_some()
            || self.health_interval.is_some()
            || self.health_timeout.is_some()
            || self.health_start_period.is_some()
            || self.health_start_interval.is_some()
            || self.health_retries.is_some_and(|r| r != 0);
        if self.no_healthcheck {
            if have_health {
                return Err(FlagsError::Conflict(
                    "--no-healthcheck conflicts with --health-* options".into(),
                ));
            }
            let mut h = HealthConfig::default();
            h.test = vec!["NONE".into()];
            b = b.healthcheck(h);
        } else if have_health {
            let mut h = HealthConfig::default();
            if let Some(c) = self.health_cmd.as_ref().filter(|c| !c.is_empty()) {
                h.test = vec!["CMD-SHELL".into(), c.clone()];
            }
            let d = |f, v: &Option<String>| {
                v.as_deref()
                    .map(|s| go_duration(f, s))
                    .transpose()
                    .map(Option::unwrap_or_default)
            };
            h.interval = d("health-interval", &self.health_interval)?;
            h.timeout = d("health-timeout", &self.health_timeout)?;
            h.start_period = d("health-start-period", &self.health_start_period)?;
            h.start_interval = d("health-start-interval", &self.health_start_interval)?;
            h.retries = self.health_retries.unwrap_or(0);
            b = b.healthcheck(h);
        }
        if let Some(g) = &self.stop_grace_period {
            let ns = go_duration("stop-grace-period", g)?;
            b = b.stop_grace_period(std::time::Duration::from_nanos(
                u64::try_from(ns).unwrap_or(0),
            ));
        }
        b = b.endpoint_mode(EndpointMode::from(self.endpoint_mode.to_lowercase()));
        if let Some(d) = &self.log_driver {
            let mut l = LogDriver::default();
            l.name = d.clone();
            l.options = kv_map(&self.log_opt);
            b = b.log_driver(l);
        }
        let mut spec = b.build()?;
        if let Some(c) = spec.task_template.container_spec.as_mut() {
            c.init = Some(self.init);
            c.tty = self.tty;
            c.read_only = self.read_only;
            c.stop_signal = self.stop_signal.clone().unwrap_or_default();
            c.groups.clone_from(&self.group);
            c.isolation = self.isolation.clone().unwrap_or_default();
            c.sysctls = kv_map(&self.sysctl);
            (c.capability_add, c.capability_drop) = effective_caps(&self.cap_add, &self.cap_drop);
            c.hosts = self
                .host
                .iter()
                .filter_map(|h| {
                    h.split_once([':', '='])
                        .map(|(host, ip)| format!("{ip} {host}"))
                })
                .collect();
            if let Some(dns) = c.dns_config.as_mut() {
                dns.nameservers.clone_from(&self.dns);
                dns.search.clone_from(&self.dns_search);
                dns.options.clone_from(&self.dns_option);
            }
        }
        if let Some(max) = self.max_concurrent {
            match spec.mode.replicated_job.as_mut() {
                Some(j) => j.max_concurrent = Some(max),
                None => {
                    return Err(FlagsError::Conflict(
                        "max-concurrent can only be used with replicated-job mode".into(),
                    ));
                }
            }
        }
        if spec.mode.replicated_job.is_some() || spec.mode.global_job.is_some() {
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
    let norm = |c: &String| {
        let c = c.trim().to_uppercase();
        if c == "ALL" || c.starts_with("CAP_") {
            c
        } else {
            format!("CAP_{c}")
        }
    };
    let add: BTreeSet<String> = add.iter().map(norm).collect();
    let drop: BTreeSet<String> = drop.iter().map(norm).collect();
    let pick = |a: &BTreeSet<String>, b: &BTreeSet<String>| {
        if a.contains("ALL") {
            vec!["ALL".to_owned()]
        } else {
            a.difference(b).cloned().collect()
        }
    };
    (pick(&add, &drop), pick(&drop, &add))
}

/// The CLI's `updateConfig(flags)`: `None` unless a flag of the group is given, else swarmkit's
/// defaults with the given flags applied.
fn update_config(
    names: [&'static str; 2],
    parallelism: Option<u64>,
    delay: Option<&str>,
    failure_action: Option<&str>,
    monitor: Option<&str>,
    ratio: Option<f32>,
    order: Option<&str>,
) -> Result<Option<UpdateConfig>, FlagsError> {
    if parallelism.is_none()
        && delay.is_none()
        && failure_action.is_none()
        && monitor.is_none()
        && ratio.is_none()
        && order.is_none()
    {
        return Ok(None);
    }
    let mut u = UpdateConfig::default();
    if let Some(p) = parallelism {
        u.parallelism = p;
    }
    if let Some(d) = delay {
        u.delay = go_duration(names[0], d)?;
    }
    if let Some(a) = failure_action {
        u.failure_action = Some(FailureAction::from(a));
    }
    if let Some(m) = monitor {
        u.monitor = go_duration(names[1], m)?;
    }
    if let Some(r) = ratio {
        u.max_failure_ratio = r;
    }
    if let Some(o) = order {
        u.order = Some(UpdateOrder::from(o));
    }
    Ok(Some(u))
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
    fn shell_words() {
        assert_eq!(shell_split("sh -c 'echo a b'"), ["sh", "-c", "echo a b"]);
        assert_eq!(shell_split("a \"b c\" d\\ e"), ["a", "b c", "d e"]);
    }
}
