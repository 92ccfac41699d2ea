//! `dockwright mount parse`, `dockwright publish parse`, and [`ServiceFlags`]: the docker CLI 28's
//! `service create` flags and their translation into a [`ServiceSpec`] exactly as the CLI fills it.

use super::{CliResult, print_json};
use clap::{Args, Subcommand};
use swarm_client::mount::MountSpec;
use swarm_client::port::PortSpec;
use swarm_client::spec::{
    ConfigReference, EndpointMode, FailureAction, FileTarget, HealthConfig, LogDriver,
    NetworkAttachmentConfig, RestartCondition, RestartPolicy, SecretReference, ServiceSpec,
    SpecError, Ulimit, UpdateConfig, UpdateOrder,
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

/// `go-units.RAMInBytes`, as the CLI reads `--limit-memory`/`--reserve-memory`.
fn mem_bytes(flag: &'static str, s: &str) -> Result<i64, FlagsError> {
    swarm_client::mount::ram_in_bytes(s).ok_or_else(|| FlagsError::InvalidFlag {
        flag,
        value: s.to_owned(),
        reason: format!("invalid size: '{s}'"),
    })
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
    let bad = |reason: String| FlagsError::InvalidFlag {
        flag,
        value: value.to_owned(),
        reason,
    };
    let mut file = FileTarget::default();
    (file.uid, file.gid, file.mode) = ("0".into(), "0".into(), 0o444);
    let fields = swarm_client::mount::split_csv_record(value).map_err(|e| bad(e.to_string()))?;
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
    let bad = |reason: String| FlagsError::InvalidFlag {
        flag,
        value: value.to_owned(),
        reason,
    };
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
    let fields = swarm_client::mount::split_csv_record(value).map_err(|e| bad(e.to_string()))?;
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
fn ulimits(values: &[String]) -> Result<Vec<Ulimit>, FlagsError> {
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
        let bad = |reason: String| FlagsError::InvalidFlag {
            flag: "ulimit",
            value: v.clone(),
            reason,
        };
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
    /// Configs of `--config-add`.
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
        if let Some(n) = self.replicas {
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
        if let Some(u) = update_config(&self.policy.update())? {
            b = b.update_config(u);
        }
        if let Some(u) = update_config(&self.policy.rollback())? {
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
        if let Some(c) = spec.task_template.container_spec.as_mut() {
            c.init = Some(self.init);
            c.tty = self.tty;
            c.read_only = self.read_only;
            c.stop_signal = self.stop_signal.clone().unwrap_or_default();
            c.groups.clone_from(&self.group);
            c.isolation = self.isolation.clone().unwrap_or_default();
            c.ulimits = ulimits(&self.ulimit)?;
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
#[allow(clippy::struct_excessive_bools)] // mirrors the docker CLI's flags
pub struct UpdateFlags {
    /// Service image tag.
    #[arg(long)]
    pub image: Option<String>,
    /// Number of tasks.
    #[arg(long)]
    pub replicas: Option<u64>,
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
    /// Service command args (replaces them; shell words).
    #[arg(long)]
    pub args: Option<String>,
    /// Force update even if no changes require it.
    #[arg(long)]
    pub force: bool,
    /// Limit CPUs.
    #[arg(long = "limit-cpu")]
    pub limit_cpu: Option<String>,
    /// Limit Memory.
    #[arg(long = "limit-memory")]
    pub limit_memory: Option<String>,
    /// Reserve CPUs.
    #[arg(long = "reserve-cpu")]
    pub reserve_cpu: Option<String>,
    /// Reserve Memory.
    #[arg(long = "reserve-memory")]
    pub reserve_memory: Option<String>,
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
    /// Add a network (`NAME` or `name=…,alias=…,driver-opt=K=V`).
    #[arg(long = "network-add")]
    pub network_add: Vec<String>,
    /// Remove a network (by name or ID).
    #[arg(long = "network-rm")]
    pub network_rm: Vec<String>,
    /// `--update-*` and `--rollback-*` settings.
    #[command(flatten)]
    pub policy: UpdatePolicyFlags,
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

/// Applies `--label-add`/`--label-rm` style changes to a JSON map.
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
    /// `--config-add`, the networks of `--network-add` and `--network-rm`.
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
        Ok(ObjectNames {
            secrets: names("secret-add", &self.secret_add)?,
            configs: names("config-add", &self.config_add)?,
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
    /// protocol, constraints sorted, an `UpdateConfig`/`RollbackConfig` filled with swarmkit's
    /// defaults when the service had none, `ForceUpdate` incremented by `--force`. Where the CLI's
    /// order comes from a Go map (env), this keeps the existing order and appends new entries.
    ///
    /// Secrets and configs as the CLI's `getUpdatedSecrets`/`getUpdatedConfigs`: the references
    /// named by `--*-rm` are dropped, the `--*-add` ones appended with their IDs from `ids`.
    /// Networks as its `updateNetworks`: `TaskTemplate.Networks` (or the deprecated top-level
    /// `Networks`, then removed) without the IDs of `--network-rm`, plus `--network-add` with its
    /// target replaced by the ID, sorted by ID. `--limit-*`/`--reserve-*` set only the values
    /// given.
    ///
    /// # Errors
    /// [`FlagsError`] for a bad value, for `--replicas` on a service that is not replicated,
    /// `secret not found: NAME` (`config`, `network`) for a name missing from `ids`, two added
    /// references with the same target file, and a network the service is already attached to. `spec` may then be partly edited: callers such as
    /// `swarm_client::Client::service_update` send nothing when the edit fails.
    #[allow(clippy::too_many_lines)] // one block per flag group, like the CLI's updateService
    pub fn apply_with_ids(
        &self,
        spec: &mut serde_json::Value,
        ids: &ObjectIds,
    ) -> Result<(), FlagsError> {
        use serde_json::{Value, json};
        if let Some(i) = &self.image {
            *at(spec, &["TaskTemplate", "ContainerSpec", "Image"]) = json!(i);
        }
        if let Some(a) = &self.args {
            *at(spec, &["TaskTemplate", "ContainerSpec", "Args"]) = json!(shell_split(a));
        }
        if let Some(r) = self.replicas {
            if spec.pointer("/Mode/Replicated").is_none() {
                return Err(FlagsError::Conflict(
                    "replicas can only be used with replicated or replicated-job mode".into(),
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
            let mut c = strings(slot);
            c.extend(self.constraint_add.iter().cloned());
            c.retain(|x| !self.constraint_rm.contains(x));
            c.sort();
            *slot = json!(c);
        }
        for (key, v) in [
            ("UpdateConfig", self.policy.update()),
            ("RollbackConfig", self.policy.rollback()),
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
        for (key, cpu, mem, flags) in [
            (
                "Limits",
                &self.limit_cpu,
                &self.limit_memory,
                ["limit-cpu", "limit-memory"],
            ),
            (
                "Reservations",
                &self.reserve_cpu,
                &self.reserve_memory,
                ["reserve-cpu", "reserve-memory"],
            ),
        ] {
            if cpu.is_none() && mem.is_none() {
                continue;
            }
            let slot = at(spec, &["TaskTemplate", "Resources", key]);
            if !slot.is_object() {
                *slot = json!({});
            }
            if let Some(c) = cpu {
                slot["NanoCPUs"] = json!(nano_cpus(flags[0], c)?);
            }
            if let Some(m) = mem {
                slot["MemoryBytes"] = json!(mem_bytes(flags[1], m)?);
            }
        }
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
            if add.is_empty() && rm.is_empty() {
                continue;
            }
            let [list_key, name_key, id_key] = keys;
            let slot = at(spec, &["TaskTemplate", "ContainerSpec", list_key]);
            let mut refs: Vec<Value> = slot.as_array().cloned().unwrap_or_default();
            refs.retain(|r| !rm.iter().any(|n| r[name_key].as_str() == Some(n.as_str())));
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
            *slot = json!(refs);
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
        let u = ulimits(&["nproc=10".into(), "nofile=1:2".into(), "nproc=20".into()]).unwrap();
        assert_eq!(
            u.iter()
                .map(|u| (u.name.as_str(), u.soft, u.hard))
                .collect::<Vec<_>>(),
            [("nofile", 1, 2), ("nproc", 20, 20)]
        );
        assert!(
            ulimits(&["nofile=5:1".into()])
                .unwrap_err()
                .to_string()
                .contains("soft limit")
        );
        assert!(
            ulimits(&["bogus=1".into()])
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
    fn shell_words() {
        assert_eq!(shell_split("sh -c 'echo a b'"), ["sh", "-c", "echo a b"]);
        assert_eq!(shell_split("a \"b c\" d\\ e"), ["a", "b c", "d e"]);
    }
}
