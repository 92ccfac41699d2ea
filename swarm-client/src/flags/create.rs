//! `docker service create [OPTIONS] IMAGE [COMMAND] [ARG...]`: the typed flags and the
//! `ServiceSpec` the docker CLI builds from them (its `ToService`, `ParseSecrets`,
//! `setConfigs`, and the client library's image tagging).

use std::collections::BTreeMap;

use super::common::CommonFlags;
use super::ids::{ObjectIds, ObjectNames, tag_name_only};
use super::values::{self as v, SetResult};
use super::{FlagsError, table};
use crate::mount::MountSpec;
use crate::port::PortSpec;
use crate::spec::{
    ConfigReference, ContainerSpec, DnsConfig, EndpointMode, EndpointSpec, FailureAction,
    HealthConfig, Limit, LogDriver, NetworkAttachmentConfig, Placement, PlacementPreference,
    Privileges, Replicated, ReplicatedJob, ResourceRequirements, Resources, RestartCondition,
    RestartPolicy, SecretReference, ServiceMode, ServiceSpec, SpreadOver, TaskSpec, Ulimit,
    UpdateConfig, UpdateOrder,
};

/// The flags and arguments of `docker service create`, as typed values (`None` or empty for a
/// flag not given).
///
/// Build it with [`CreateFlags::parse`] from docker's argument list, or in code from
/// [`CreateFlags::new`] and its public fields. [`CreateFlags::to_spec`] gives the
/// `ServiceSpec` the docker CLI sends when no name needs looking up;
/// [`Client::service_create_from_args`](crate::Client::service_create_from_args) and
/// [`CreateFlags::prepare`] also look up secrets, configs and networks, pin the image's digest
/// and take registry credentials, as the CLI does.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct CreateFlags {
    /// The flags `service update` has too.
    pub common: CommonFlags,
    /// `--mode` (`replicated`, `global`, `replicated-job`, `global-job`; default replicated).
    pub mode: Option<String>,
    /// `--name`.
    pub name: Option<String>,
    /// `-l, --label` (`KEY=VALUE`).
    pub labels: Vec<String>,
    /// `--container-label`.
    pub container_labels: Vec<String>,
    /// `-e, --env` (`KEY=VALUE`; a bare `KEY` was looked up in this process's environment).
    pub env: Vec<String>,
    /// `--env-file` paths (read when the spec is built).
    pub env_files: Vec<String>,
    /// `--mount`.
    pub mounts: Vec<MountSpec>,
    /// `--constraint`.
    pub constraints: Vec<String>,
    /// `--placement-pref spread=…`: the spread descriptors.
    pub placement_prefs: Vec<String>,
    /// `--network` (target: a name or ID until looked up).
    pub networks: Vec<NetworkAttachmentConfig>,
    /// `--secret` (by name; the ID is looked up).
    pub secrets: Vec<SecretReference>,
    /// `--config` (by name; the ID is looked up).
    pub configs: Vec<ConfigReference>,
    /// `-p, --publish`.
    pub publish: Vec<PortSpec>,
    /// `--group`.
    pub groups: Vec<String>,
    /// `--dns` (canonical addresses).
    pub dns: Vec<String>,
    /// `--dns-option`.
    pub dns_options: Vec<String>,
    /// `--dns-search`.
    pub dns_search: Vec<String>,
    /// `--host` (`HOST:IP`).
    pub hosts: Vec<String>,
    /// `--sysctl` (`KEY=VALUE`).
    pub sysctls: Vec<String>,
    /// `--ulimit`.
    pub ulimits: Vec<Ulimit>,
    /// `--generic-resource` (`KIND=N`).
    pub generic_resources: Vec<String>,
    /// `IMAGE`.
    pub image: String,
    /// `[COMMAND] [ARG...]`.
    pub args: Vec<String>,
}

/// `docker service create`'s short description.
pub(crate) const CREATE_SHORT: &str = "Create a new service";

impl CreateFlags {
    /// No flags, `image` as the image.
    #[must_use]
    pub fn new(image: impl Into<String>) -> Self {
        Self {
            image: image.into(),
            ..Self::default()
        }
    }

    /// Parses docker's argument list as it follows `docker service create`, with docker's
    /// (pflag) rules: flags until the image, then the command and its arguments (which may
    /// look like flags).
    ///
    /// ```
    /// use swarm_client::flags::CreateFlags;
    ///
    /// let f = CreateFlags::parse(["--name", "web", "-e", "A=1", "nginx", "nginx", "-g", "daemon off;"])?;
    /// assert_eq!((f.name.as_deref(), f.image.as_str()), (Some("web"), "nginx"));
    /// assert_eq!(f.args, ["nginx", "-g", "daemon off;"]);
    /// # Ok::<(), swarm_client::flags::FlagsError>(())
    /// ```
    ///
    /// # Errors
    /// [`FlagsError`] with pflag's and docker's texts: an unknown flag, a missing or bad value
    /// (`invalid argument "x" for "--replicas" flag: …`), no image; [`FlagsError::Help`] for
    /// `--help`/`-h`.
    pub fn parse<I, S>(args: I) -> Result<Self, FlagsError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let args: Vec<String> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let (flags, _, result) = Self::parse_partial(&args, &[]);
        result.map(|()| flags)
    }

    /// As [`parse`](Self::parse), with a program's own flags parsed along docker's (by the same
    /// rules; a boolean takes `--name=false`), e.g. a `--dry-run` of its own; their values come
    /// back separately.
    ///
    /// # Errors
    /// As [`parse`](Self::parse); `flag redefined: NAME` for an extra flag that clashes with
    /// one of docker's.
    pub fn parse_with<I, S>(
        args: I,
        extra: &[super::FlagDef],
    ) -> Result<(Self, super::ExtraValues), FlagsError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let args: Vec<String> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let (flags, extras, result) = Self::parse_partial(&args, extra);
        result.map(|()| (flags, extras))
    }

    /// Parses what it can: the flags set before an error stay set (the docker CLI checks their
    /// API versions before it reports the parse error).
    pub(crate) fn parse_partial(
        args: &[String],
        extra: &[super::FlagDef],
    ) -> (Self, super::ExtraValues, Result<(), FlagsError>) {
        let mut flags = Self::default();
        let (extras, rest) =
            super::extra::parse_args(table::CREATE, extra, args, false, |name, value| {
                flags.set(name, value)
            });
        let rest = match rest {
            Ok(r) => r,
            Err(e) => return (flags, extras, Err(e)),
        };
        let mut positionals = rest.args.into_iter();
        let Some(image) = positionals.next() else {
            return (
                flags,
                extras,
                Err(FlagsError::MissingArguments {
                    command: "service create",
                    expected: "at least 1 argument",
                }),
            );
        };
        flags.image = image;
        flags.args = positionals.collect();
        (flags, extras, Ok(()))
    }

    /// pflag's `Set` for one flag of `service create`.
    fn set(&mut self, name: &str, value: &str) -> Option<SetResult<()>> {
        let r = match name {
            "mode" => {
                self.mode = Some(value.to_owned());
                Ok(())
            }
            "name" => {
                self.name = Some(value.to_owned());
                Ok(())
            }
            "label" => v::label(value).map(|x| self.labels.push(x)),
            "container-label" => v::label(value).map(|x| self.container_labels.push(x)),
            "env" => v::env(value).map(|x| self.env.push(x)),
            "env-file" => {
                self.env_files.push(value.to_owned());
                Ok(())
            }
            "mount" => value
                .parse::<MountSpec>()
                .map(|m| self.mounts.push(m))
                .map_err(|e| e.to_string()),
            "constraint" => {
                self.constraints.push(value.to_owned());
                Ok(())
            }
            "placement-pref" => v::placement_pref(value).map(|x| self.placement_prefs.push(x)),
            "network" => v::network(value).map(|x| self.networks.push(x)),
            "secret" => v::secret(value).map(|x| self.secrets.push(x)),
            "config" => v::config(value).map(|x| self.configs.push(x)),
            "publish" => value
                .parse::<PortSpec>()
                .map(|p| self.publish.push(p))
                .map_err(|e| e.to_string()),
            "group" => {
                self.groups.push(value.to_owned());
                Ok(())
            }
            "dns" => v::ip_address(value).map(|x| self.dns.push(x)),
            "dns-option" => {
                self.dns_options.push(value.to_owned());
                Ok(())
            }
            "dns-search" => v::dns_search(value).map(|x| self.dns_search.push(x)),
            "host" => v::extra_host(value).map(|x| self.hosts.push(x)),
            "sysctl" => {
                self.sysctls.push(value.to_owned());
                Ok(())
            }
            "ulimit" => v::ulimit(value).map(|x| self.ulimits.push(x)),
            "generic-resource" => {
                v::generic_resource(value).map(|x| self.generic_resources.push(x))
            }
            _ => return self.common.set(name, value),
        };
        Some(r)
    }

    /// The names of the flags given, sorted (as pflag visits them).
    #[must_use]
    pub fn changed(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.common.changed(&mut out);
        for (name, given) in [
            ("mode", self.mode.is_some()),
            ("name", self.name.is_some()),
            ("label", !self.labels.is_empty()),
            ("container-label", !self.container_labels.is_empty()),
            ("env", !self.env.is_empty()),
            ("env-file", !self.env_files.is_empty()),
            ("mount", !self.mounts.is_empty()),
            ("constraint", !self.constraints.is_empty()),
            ("placement-pref", !self.placement_prefs.is_empty()),
            ("network", !self.networks.is_empty()),
            ("secret", !self.secrets.is_empty()),
            ("config", !self.configs.is_empty()),
            ("publish", !self.publish.is_empty()),
            ("group", !self.groups.is_empty()),
            ("dns", !self.dns.is_empty()),
            ("dns-option", !self.dns_options.is_empty()),
            ("dns-search", !self.dns_search.is_empty()),
            ("host", !self.hosts.is_empty()),
            ("sysctl", !self.sysctls.is_empty()),
            ("ulimit", !self.ulimits.is_empty()),
            ("generic-resource", !self.generic_resources.is_empty()),
        ] {
            if given {
                out.push(name.to_owned());
            }
        }
        out.sort();
        out
    }

    /// The secret, config and network names the docker CLI looks up before it sends the spec
    /// (the config of `--credential-spec config://NAME` included).
    #[must_use]
    pub fn object_names(&self) -> ObjectNames {
        let mut configs: Vec<String> = self.configs.iter().map(|c| c.config_name.clone()).collect();
        if let Some(name) = self.credential_config() {
            configs.push(name);
        }
        ObjectNames {
            secrets: self.secrets.iter().map(|s| s.secret_name.clone()).collect(),
            configs,
            networks: self.networks.iter().map(|n| n.target.clone()).collect(),
        }
    }

    /// The config name of `--credential-spec config://NAME`.
    fn credential_config(&self) -> Option<String> {
        let cs = v::credential_spec_value(self.common.credential_spec.as_deref()?)?;
        Some(cs.config).filter(|c| !c.is_empty())
    }

    /// The `ServiceSpec` the docker CLI sends for these flags, built without the Engine API:
    /// network names are sent as given (the daemon resolves them), the image is tagged
    /// `:latest` when it has neither tag nor digest but not pinned to a digest (as with
    /// `--no-resolve-image`).
    ///
    /// ```
    /// use swarm_client::flags::CreateFlags;
    ///
    /// let spec = CreateFlags::parse(["--replicas", "3", "-p", "8080:80", "nginx"])?.to_spec()?;
    /// assert_eq!(spec.mode.replicas(), Some(3));
    /// assert_eq!(spec.container().map(|c| c.image.as_str()), Some("nginx:latest"));
    /// # Ok::<(), swarm_client::flags::FlagsError>(())
    /// ```
    ///
    /// # Errors
    /// [`FlagsError::NeedsLookup`] when a `--secret`, `--config` or `--credential-spec
    /// config://` needs an ID from the Engine API; the errors of
    /// [`to_spec_with`](Self::to_spec_with).
    pub fn to_spec(&self) -> Result<ServiceSpec, FlagsError> {
        self.to_spec_with(&ObjectIds::default())
    }

    /// As [`to_spec`](Self::to_spec) with the IDs of secrets, configs and networks by name (what
    /// the docker CLI looks up; [`Client::lookup_object_ids`](crate::Client::lookup_object_ids)
    /// fetches them). A network found in `ids` is sent by ID and the attachments sorted by ID,
    /// as the CLI does; one not found is sent by name.
    ///
    /// # Errors
    /// [`FlagsError::Rejected`] with the docker CLI's text for what it refuses after parsing:
    /// an unreadable `--env-file`, `--no-healthcheck` with `--health-*`, an unknown `--mode`,
    /// replicas or max-concurrent with the wrong mode, update/rollback settings for a job, bad
    /// generic resources, two secrets (configs) with one target;
    /// [`FlagsError::InvalidArgument`] for a value built in code that the flag's grammar
    /// refuses; [`FlagsError::NeedsLookup`] for a secret or config missing from `ids`.
    pub fn to_spec_with(&self, ids: &ObjectIds) -> Result<ServiceSpec, FlagsError> {
        self.build(ids, true)
    }

    /// The CLI's `ToService`, `ParseSecrets` and `setConfigs`; without `strict`, names missing
    /// from `ids` are left without an ID (for the checks before the lookups).
    #[allow(clippy::too_many_lines)] // one block per group of the CLI's ToService
    pub(crate) fn build(&self, ids: &ObjectIds, strict: bool) -> Result<ServiceSpec, FlagsError> {
        let c = &self.common;
        self.revalidate()?;
        // makeEnv: env files first, then -e; a later entry replaces an earlier one of the
        // same name (an identical entry is kept twice, like the CLI).
        let mut all = Vec::new();
        for f in &self.env_files {
            all.extend(v::read_env_file(f).map_err(FlagsError::Rejected)?);
        }
        all.extend(self.env.iter().cloned());
        let mut env: Vec<String> = Vec::new();
        for e in all {
            let k = e.split_once('=').map_or(e.as_str(), |(k, _)| k);
            if !env.contains(&e) {
                let prefix = format!("{k}=");
                env.retain(|c| !c.starts_with(&prefix));
            }
            env.push(e);
        }
        let healthcheck = self.health_config()?;
        let mode = self.service_mode()?;
        let update_config = policy(&c.update);
        let rollback_config = policy(&c.rollback);
        if mode.is_job() && (update_config.is_some() || rollback_config.is_some()) {
            return Err(FlagsError::Rejected(
                "update and rollback configuration is not supported for jobs".into(),
            ));
        }
        let mut networks = self.networks.clone();
        for n in &mut networks {
            if let Some(id) = ids.networks.get(&n.target) {
                n.target.clone_from(id);
            }
        }
        networks.sort_by(|a, b| a.target.cmp(&b.target));
        let generic =
            v::generic_resources(&self.generic_resources).map_err(FlagsError::Rejected)?;
        let (cap_add, cap_drop) = v::effective_caps(&c.cap_add, &c.cap_drop);

        let container = ContainerSpec {
            image: tag_name_only(&self.image),
            labels: v::kv_map(&self.container_labels),
            command: c.entrypoint.clone().unwrap_or_default(),
            args: self.args.clone(),
            hostname: c.hostname.clone().unwrap_or_default(),
            env,
            dir: c.workdir.clone().unwrap_or_default(),
            user: c.user.clone().unwrap_or_default(),
            groups: self.groups.clone(),
            init: Some(c.init.unwrap_or(false)),
            stop_signal: c.stop_signal.clone().unwrap_or_default(),
            tty: c.tty.unwrap_or(false),
            read_only: c.read_only.unwrap_or(false),
            mounts: self.mounts.iter().map(|m| m.mount().clone()).collect(),
            stop_grace_period: c.stop_grace_period,
            healthcheck,
            hosts: self.hosts.iter().filter_map(|h| v::swarm_host(h)).collect(),
            dns_config: Some(DnsConfig {
                nameservers: self.dns.clone(),
                search: self.dns_search.clone(),
                options: self.dns_options.clone(),
                ..DnsConfig::default()
            }),
            isolation: c.isolation.clone().unwrap_or_default(),
            sysctls: v::kv_map(&self.sysctls),
            capability_add: cap_add,
            capability_drop: cap_drop,
            ulimits: v::ulimit_list(&self.ulimits),
            oom_score_adj: c.oom_score_adj.unwrap_or(0),
            ..ContainerSpec::default()
        };
        let mut spec = ServiceSpec {
            name: self.name.clone().unwrap_or_default(),
            labels: v::kv_map(&self.labels),
            task_template: TaskSpec {
                container_spec: Some(container),
                resources: Some(ResourceRequirements {
                    limits: Some(Limit {
                        nano_cpus: c.limit_cpu.unwrap_or(0),
                        memory_bytes: c.limit_memory.unwrap_or(0),
                        pids: c.limit_pids.unwrap_or(0),
                        ..Limit::default()
                    }),
                    reservations: Some(Resources {
                        nano_cpus: c.reserve_cpu.unwrap_or(0),
                        memory_bytes: c.reserve_memory.unwrap_or(0),
                        generic_resources: generic,
                        ..Resources::default()
                    }),
                    ..ResourceRequirements::default()
                }),
                restart_policy: restart_policy(c),
                placement: Some(Placement {
                    constraints: self.constraints.clone(),
                    preferences: self.placement_prefs.iter().map(|d| spread(d)).collect(),
                    max_replicas: c.replicas_max_per_node.unwrap_or(0),
                    ..Placement::default()
                }),
                networks,
                log_driver: log_driver(c.log_driver.as_deref(), &c.log_opt),
                ..TaskSpec::default()
            },
            mode,
            update_config,
            rollback_config,
            endpoint_spec: Some(EndpointSpec {
                mode: non_empty(c.endpoint_mode.as_deref().unwrap_or("vip").to_lowercase())
                    .map(EndpointMode::from),
                ports: self
                    .publish
                    .iter()
                    .flat_map(|p| p.configs().iter().cloned())
                    .collect(),
                ..EndpointSpec::default()
            }),
            ..ServiceSpec::default()
        };
        let cred = c
            .credential_spec
            .as_deref()
            .filter(|s| !s.is_empty())
            .and_then(v::credential_spec_value);
        let cs = spec.container_mut();
        if let Some(cred) = &cred {
            cs.privileges = Some(privileges(cred.clone()));
        }
        if !self.secrets.is_empty() {
            cs.secrets = resolve_secrets(&self.secrets, ids, strict)?;
        }
        let mut configs = self.configs.clone();
        if let Some(name) = cred
            .as_ref()
            .map(|c| c.config.clone())
            .filter(|n| !n.is_empty())
        {
            configs.push(runtime_config(name));
        }
        if !configs.is_empty() {
            let resolved = resolve_configs(&configs, ids, strict)?;
            if let Some(name) = self.credential_config() {
                let id = resolved
                    .iter()
                    .find(|r| r.config_name == name)
                    .map(|r| r.config_id.clone());
                if let (Some(id), Some(Some(cs))) = (
                    id,
                    cs.privileges
                        .as_mut()
                        .and_then(|p| p.credential_spec.as_mut()),
                ) {
                    cs.config = id;
                }
            }
            cs.configs = resolved;
        }
        Ok(spec)
    }

    /// The list values checked again with their flag's grammar (they may be built in code).
    fn revalidate(&self) -> Result<(), FlagsError> {
        let check = |name: &'static str, values: &[String], f: fn(&str) -> SetResult<String>| {
            for value in values {
                f(value).map_err(|reason| invalid(table::CREATE, name, value, reason))?;
            }
            Ok::<(), FlagsError>(())
        };
        check("label", &self.labels, v::label)?;
        check("container-label", &self.container_labels, v::label)?;
        check("env", &self.env, v::env)?;
        check("dns", &self.dns, v::ip_address)?;
        check("dns-search", &self.dns_search, v::dns_search)?;
        check("host", &self.hosts, v::extra_host)?;
        check(
            "generic-resource",
            &self.generic_resources,
            v::generic_resource,
        )?;
        check("log-opt", &self.common.log_opt, v::env)?;
        if let Some(cs) = &self.common.credential_spec {
            check(
                "credential-spec",
                std::slice::from_ref(cs),
                v::credential_spec,
            )?;
        }
        Ok(())
    }

    /// The CLI's `toHealthConfig`.
    fn health_config(&self) -> Result<Option<HealthConfig>, FlagsError> {
        let h = &self.common.health;
        let have = h.cmd.as_ref().is_some_and(|c| !c.is_empty())
            || h.interval.is_some()
            || h.timeout.is_some()
            || h.start_period.is_some()
            || h.start_interval.is_some()
            || h.retries.is_some_and(|r| r != 0);
        if h.no_healthcheck == Some(true) {
            if have {
                return Err(no_healthcheck_conflict());
            }
            return Ok(Some(HealthConfig {
                test: vec!["NONE".into()],
                ..HealthConfig::default()
            }));
        }
        if !have {
            return Ok(None);
        }
        Ok(Some(HealthConfig {
            test: h
                .cmd
                .as_ref()
                .filter(|c| !c.is_empty())
                .map(|c| vec!["CMD-SHELL".to_owned(), c.clone()])
                .unwrap_or_default(),
            interval: h.interval.unwrap_or(0),
            timeout: h.timeout.unwrap_or(0),
            retries: h.retries.unwrap_or(0),
            start_period: h.start_period.unwrap_or(0),
            start_interval: h.start_interval.unwrap_or(0),
            ..HealthConfig::default()
        }))
    }

    /// The CLI's `ToServiceMode`.
    fn service_mode(&self) -> Result<ServiceMode, FlagsError> {
        let c = &self.common;
        let reject = |m: &str| Err(FlagsError::Rejected(m.to_owned()));
        const REPLICAS: &str = "replicas can only be used with replicated or replicated-job mode";
        const MAX_PER_NODE: &str =
            "replicas-max-per-node can only be used with replicated or replicated-job mode";
        const CONCURRENT: &str = "max-concurrent can only be used with replicated-job mode";
        let max_per_node = c.replicas_max_per_node.unwrap_or(0) > 0;
        match self.mode.as_deref().unwrap_or("replicated") {
            "global" => {
                if c.replicas.is_some() {
                    return reject(REPLICAS);
                }
                if max_per_node {
                    return reject(MAX_PER_NODE);
                }
                if c.max_concurrent.is_some() {
                    return reject(CONCURRENT);
                }
                Ok(ServiceMode::global())
            }
            "replicated" => {
                if c.max_concurrent.is_some() {
                    return reject(CONCURRENT);
                }
                Ok(ServiceMode::Replicated(Replicated {
                    replicas: c.replicas,
                    ..Replicated::default()
                }))
            }
            "replicated-job" => Ok(ServiceMode::ReplicatedJob(ReplicatedJob {
                max_concurrent: c.max_concurrent.or(c.replicas),
                total_completions: c.replicas,
                ..ReplicatedJob::default()
            })),
            "global-job" => {
                if max_per_node {
                    return reject(MAX_PER_NODE);
                }
                if c.max_concurrent.is_some() {
                    return reject(CONCURRENT);
                }
                if c.replicas.is_some() {
                    return reject(REPLICAS);
                }
                Ok(ServiceMode::GlobalJob(crate::spec::Empty {}))
            }
            other => Err(FlagsError::Rejected(format!(
                "Unknown mode: {other}, only replicated and global supported"
            ))),
        }
    }
}

/// `FlagsError::InvalidArgument` for `--name` of `table`, as pflag words it.
pub(crate) fn invalid(
    table: &[table::FlagDef],
    name: &str,
    value: &str,
    reason: String,
) -> FlagsError {
    let flag = table
        .iter()
        .find(|f| f.name == name)
        .and_then(|f| f.short)
        .map_or_else(|| format!("--{name}"), |c| format!("-{c}, --{name}"));
    FlagsError::InvalidArgument {
        value: value.to_owned(),
        flag,
        reason,
    }
}

/// `--no-healthcheck` together with a `--health-*` flag.
pub(crate) fn no_healthcheck_conflict() -> FlagsError {
    FlagsError::Rejected("--no-healthcheck conflicts with --health-* options".into())
}

/// `Some(s)` unless empty (Go's `omitempty` on a string).
pub(crate) fn non_empty(s: String) -> Option<String> {
    Some(s).filter(|s| !s.is_empty())
}

/// A spread placement preference.
pub(crate) fn spread(descriptor: &str) -> PlacementPreference {
    PlacementPreference {
        spread: Some(SpreadOver {
            spread_descriptor: descriptor.to_owned(),
            ..SpreadOver::default()
        }),
        ..PlacementPreference::default()
    }
}

/// The CLI's `updateConfig`/`rollbackConfig` on create: `None` unless a flag of the group is
/// given, else swarmkit's defaults with the given flags applied.
fn policy(p: &super::PolicyFlags) -> Option<UpdateConfig> {
    if !p.any() {
        return None;
    }
    let mut u = UpdateConfig::default();
    apply_policy(&mut u, p);
    Some(u)
}

/// Sets the given `--update-*`/`--rollback-*` values on an update config.
pub(crate) fn apply_policy(u: &mut UpdateConfig, p: &super::PolicyFlags) {
    if let Some(x) = p.parallelism {
        u.parallelism = x;
    }
    if let Some(x) = p.delay {
        u.delay = x;
    }
    if let Some(x) = p.monitor {
        u.monitor = x;
    }
    if let Some(x) = &p.failure_action {
        u.failure_action = non_empty(x.clone()).map(FailureAction::from);
    }
    if let Some(x) = p.max_failure_ratio {
        u.max_failure_ratio = x;
    }
    if let Some(x) = &p.order {
        // Go writes `Order` even when empty.
        u.order = Some(UpdateOrder::from(x.clone()));
    }
}

/// swarmkit's default restart policy: on any exit, after 5 s, no limit.
pub(crate) fn default_restart_policy() -> RestartPolicy {
    RestartPolicy {
        condition: Some(RestartCondition::Any),
        delay: Some(5_000_000_000),
        max_attempts: Some(0),
        ..RestartPolicy::default()
    }
}

/// Sets the given `--restart-*` values on a restart policy.
pub(crate) fn apply_restart(p: &mut RestartPolicy, c: &CommonFlags) {
    if let Some(x) = &c.restart_condition {
        p.condition = non_empty(x.clone()).map(RestartCondition::from);
    }
    if let Some(x) = c.restart_delay {
        p.delay = Some(x);
    }
    if let Some(x) = c.restart_max_attempts {
        p.max_attempts = Some(x);
    }
    if let Some(x) = c.restart_window {
        p.window = Some(x);
    }
}

/// Whether a `--restart-*` flag is given.
pub(crate) fn restart_given(c: &CommonFlags) -> bool {
    c.restart_condition.is_some()
        || c.restart_delay.is_some()
        || c.restart_max_attempts.is_some()
        || c.restart_window.is_some()
}

/// The CLI's `ToRestartPolicy` on create.
fn restart_policy(c: &CommonFlags) -> Option<RestartPolicy> {
    if !restart_given(c) {
        return None;
    }
    let mut p = default_restart_policy();
    apply_restart(&mut p, c);
    Some(p)
}

/// `--log-driver`/`--log-opt`: none for an empty driver name (the options alone set nothing).
pub(crate) fn log_driver(name: Option<&str>, opts: &[String]) -> Option<LogDriver> {
    let name = name.filter(|n| !n.is_empty())?;
    Some(LogDriver {
        name: name.to_owned(),
        options: v::kv_map(opts),
        ..LogDriver::default()
    })
}

/// `Privileges` with a credential spec, as the docker CLI 28 sends it.
pub(crate) fn privileges(cs: crate::spec::CredentialSpec) -> Privileges {
    Privileges {
        credential_spec: Some(Some(cs)),
        selinux_context: Some(None),
        extra: BTreeMap::from([("NoNewPrivileges".to_owned(), serde_json::Value::Bool(false))]),
    }
}

/// The runtime config reference of a `config://NAME` credential spec.
pub(crate) fn runtime_config(name: String) -> ConfigReference {
    ConfigReference {
        runtime: Some(serde_json::json!({})),
        config_name: name,
        ..ConfigReference::default()
    }
}

/// The CLI's `ParseSecrets`: two references with one target file are refused, the IDs filled
/// in by name.
pub(crate) fn resolve_secrets(
    refs: &[SecretReference],
    ids: &ObjectIds,
    strict: bool,
) -> Result<Vec<SecretReference>, FlagsError> {
    let mut targets: Vec<&str> = Vec::new();
    for r in refs {
        let target = r.file.as_ref().map_or("", |f| f.name.as_str());
        if targets.contains(&target) {
            return Err(FlagsError::Rejected(format!(
                "duplicate secret target for {} not allowed",
                r.secret_name
            )));
        }
        targets.push(target);
    }
    refs.iter()
        .map(|r| {
            let mut r = r.clone();
            match ids.secrets.get(&r.secret_name) {
                Some(id) => r.secret_id.clone_from(id),
                None if strict => {
                    return Err(FlagsError::NeedsLookup {
                        kind: "secret",
                        name: r.secret_name,
                    });
                }
                None => {}
            }
            Ok(r)
        })
        .collect()
}

/// The CLI's `ParseConfigs`: file references (two with one target refused) then runtime
/// references (one per config name), the IDs filled in by name.
pub(crate) fn resolve_configs(
    refs: &[ConfigReference],
    ids: &ObjectIds,
    strict: bool,
) -> Result<Vec<ConfigReference>, FlagsError> {
    let mut files: Vec<ConfigReference> = Vec::new();
    let mut runtime: Vec<ConfigReference> = Vec::new();
    for r in refs {
        if r.runtime.is_some() {
            if let Some(i) = runtime.iter().position(|x| x.config_name == r.config_name) {
                runtime[i] = r.clone();
            } else {
                runtime.push(r.clone());
            }
            continue;
        }
        let target = r.file.as_ref().map_or("", |f| f.name.as_str());
        if files
            .iter()
            .any(|x| x.file.as_ref().map_or("", |f| f.name.as_str()) == target)
        {
            return Err(FlagsError::Rejected(format!(
                "duplicate config target for {} not allowed",
                r.config_name
            )));
        }
        files.push(r.clone());
    }
    files
        .into_iter()
        .chain(runtime)
        .map(|mut r| {
            match ids.configs.get(&r.config_name) {
                Some(id) => r.config_id.clone_from(id),
                None if strict => {
                    return Err(FlagsError::NeedsLookup {
                        kind: "config",
                        name: r.config_name,
                    });
                }
                None => {}
            }
            Ok(r)
        })
        .collect()
}
