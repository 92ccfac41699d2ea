//! `docker service update [OPTIONS] SERVICE`: the typed flags and their application to a
//! stored `ServiceSpec` with the docker CLI's rules (its `updateService`,
//! `getUpdatedSecrets`, `getUpdatedConfigs`, `updateCredSpecConfig`, and the client library's
//! image tagging).

use std::collections::{BTreeMap, BTreeSet};

use super::common::CommonFlags;
use super::create::{
    apply_policy, apply_restart, default_restart_policy, invalid, log_driver,
    no_healthcheck_conflict, non_empty, privileges, resolve_configs, resolve_secrets,
    restart_given, runtime_config, spread,
};
use super::ids::{ObjectIds, ObjectNames, tag_name_only};
use super::values::{self as v, SetResult};
use super::{FlagsError, table};
use crate::mount::{Mount, MountSpec};
use crate::port::{PortConfig, PortSpec};
use crate::spec::{
    ConfigReference, ContainerSpec, DnsConfig, EndpointMode, EndpointSpec, HealthConfig,
    NetworkAttachmentConfig, Placement, ResourceRequirements, SecretReference, ServiceMode,
    ServiceSpec, Ulimit, UpdateConfig,
};

/// The flags of `docker service update` and the service they name, as typed values (`None` or
/// empty for a flag not given).
///
/// Build it with [`UpdateFlags::parse`] from docker's argument list, or in code from
/// [`UpdateFlags::new`] and its public fields. [`UpdateFlags::apply`] edits a stored spec;
/// [`Client::service_update_from_args`](crate::Client::service_update_from_args) and
/// [`UpdateFlags::send`] do the whole `docker service update`.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct UpdateFlags {
    /// The flags `service create` has too.
    pub common: CommonFlags,
    /// `--image`.
    pub image: Option<String>,
    /// `--args` (split into words; replaces the arguments).
    pub args: Option<Vec<String>>,
    /// `--rollback`: back to the previous spec (no other flag but `-d`/`-q` allowed).
    pub rollback: Option<bool>,
    /// `--force`: `ForceUpdate` + 1.
    pub force: Option<bool>,
    /// `--env-add`.
    pub env_add: Vec<String>,
    /// `--env-rm` (names).
    pub env_rm: Vec<String>,
    /// `--label-add`.
    pub label_add: Vec<String>,
    /// `--label-rm` (keys).
    pub label_rm: Vec<String>,
    /// `--container-label-add`.
    pub container_label_add: Vec<String>,
    /// `--container-label-rm` (keys).
    pub container_label_rm: Vec<String>,
    /// `--mount-add` (replaces a mount with the same target).
    pub mount_add: Vec<MountSpec>,
    /// `--mount-rm` (targets).
    pub mount_rm: Vec<String>,
    /// `--publish-add`.
    pub publish_add: Vec<PortSpec>,
    /// `--publish-rm` (matched by target port, protocol and mode).
    pub publish_rm: Vec<PortSpec>,
    /// `--constraint-add`.
    pub constraint_add: Vec<String>,
    /// `--constraint-rm`.
    pub constraint_rm: Vec<String>,
    /// `--placement-pref-add spread=…`: descriptors.
    pub placement_pref_add: Vec<String>,
    /// `--placement-pref-rm spread=…`: descriptors.
    pub placement_pref_rm: Vec<String>,
    /// `--secret-add` (by name; the ID is looked up).
    pub secret_add: Vec<SecretReference>,
    /// `--secret-rm` (names).
    pub secret_rm: Vec<String>,
    /// `--config-add` (by name; the ID is looked up).
    pub config_add: Vec<ConfigReference>,
    /// `--config-rm` (names).
    pub config_rm: Vec<String>,
    /// `--network-add` (target: a name or ID until looked up).
    pub network_add: Vec<NetworkAttachmentConfig>,
    /// `--network-rm` (names or IDs).
    pub network_rm: Vec<String>,
    /// `--group-add`.
    pub group_add: Vec<String>,
    /// `--group-rm`.
    pub group_rm: Vec<String>,
    /// `--dns-add` (canonical addresses).
    pub dns_add: Vec<String>,
    /// `--dns-rm`.
    pub dns_rm: Vec<String>,
    /// `--dns-option-add`.
    pub dns_option_add: Vec<String>,
    /// `--dns-option-rm`.
    pub dns_option_rm: Vec<String>,
    /// `--dns-search-add`.
    pub dns_search_add: Vec<String>,
    /// `--dns-search-rm`.
    pub dns_search_rm: Vec<String>,
    /// `--host-add` (`HOST:IP`).
    pub host_add: Vec<String>,
    /// `--host-rm` (`HOST:IP` or `HOST`).
    pub host_rm: Vec<String>,
    /// `--sysctl-add` (`KEY=VALUE`).
    pub sysctl_add: Vec<String>,
    /// `--sysctl-rm` (`KEY` or `KEY=…`).
    pub sysctl_rm: Vec<String>,
    /// `--ulimit-add`.
    pub ulimit_add: Vec<Ulimit>,
    /// `--ulimit-rm` (`NAME` or `NAME=…`).
    pub ulimit_rm: Vec<String>,
    /// `--generic-resource-add` (`KIND=N`).
    pub generic_resource_add: Vec<String>,
    /// `--generic-resource-rm` (kinds).
    pub generic_resource_rm: Vec<String>,
    /// `SERVICE`: the service's name or ID.
    pub service: String,
}

/// `docker service update`'s short description.
pub(crate) const UPDATE_SHORT: &str = "Update a service";

/// `--flag` lists without validation, by name.
macro_rules! plain_lists {
    ($self:ident, $name:ident, $value:ident, { $($flag:literal => $field:ident,)* }) => {
        match $name {
            $($flag => {
                $self.$field.push($value.to_owned());
                return Some(Ok(()));
            })*
            _ => {}
        }
    };
}

impl UpdateFlags {
    /// No flags, for `service`.
    #[must_use]
    pub fn new(service: impl Into<String>) -> Self {
        Self {
            service: service.into(),
            ..Self::default()
        }
    }

    /// Parses docker's argument list as it follows `docker service update`, with docker's
    /// (pflag) rules: flags anywhere, exactly one positional argument (the service).
    ///
    /// ```
    /// use swarm_client::flags::UpdateFlags;
    ///
    /// let f = UpdateFlags::parse(["web", "--env-add", "A=2", "--replicas=5", "-d"])?;
    /// assert_eq!((f.service.as_str(), f.common.replicas), ("web", Some(5)));
    /// # Ok::<(), swarm_client::flags::FlagsError>(())
    /// ```
    ///
    /// # Errors
    /// [`FlagsError`] with pflag's and docker's texts; [`FlagsError::MissingArguments`] unless
    /// exactly one service is named; [`FlagsError::Help`] for `--help`/`-h`.
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

    /// Parses what it can (see [`super::CreateFlags::parse_partial`]).
    pub(crate) fn parse_partial(
        args: &[String],
        extra: &[super::FlagDef],
    ) -> (Self, super::ExtraValues, Result<(), FlagsError>) {
        let mut flags = Self::default();
        let (extras, rest) =
            super::extra::parse_args(table::UPDATE, extra, args, true, |name, value| {
                flags.set(name, value)
            });
        let rest = match rest {
            Ok(r) => r,
            Err(e) => return (flags, extras, Err(e)),
        };
        match <[String; 1]>::try_from(rest.args) {
            Ok([service]) => {
                flags.service = service;
                (flags, extras, Ok(()))
            }
            Err(_) => (
                flags,
                extras,
                Err(FlagsError::MissingArguments {
                    command: "service update",
                    expected: "1 argument",
                }),
            ),
        }
    }

    /// pflag's `Set` for one flag of `service update`.
    fn set(&mut self, name: &str, value: &str) -> Option<SetResult<()>> {
        plain_lists!(self, name, value, {
            "env-rm" => env_rm,
            "group-rm" => group_rm,
            "label-rm" => label_rm,
            "container-label-rm" => container_label_rm,
            "mount-rm" => mount_rm,
            "constraint-rm" => constraint_rm,
            "dns-rm" => dns_rm,
            "dns-option-rm" => dns_option_rm,
            "dns-search-rm" => dns_search_rm,
            "host-rm" => host_rm,
            "secret-rm" => secret_rm,
            "config-rm" => config_rm,
            "constraint-add" => constraint_add,
            "network-rm" => network_rm,
            "group-add" => group_add,
            "dns-option-add" => dns_option_add,
            "sysctl-add" => sysctl_add,
            "sysctl-rm" => sysctl_rm,
            "ulimit-rm" => ulimit_rm,
            "generic-resource-rm" => generic_resource_rm,
        });
        let r = match name {
            "image" => {
                self.image = Some(value.to_owned());
                Ok(())
            }
            "args" => v::shell_words(value).map(|x| self.args = Some(x)),
            "rollback" => v::boolean(value).map(|x| self.rollback = Some(x)),
            "force" => v::boolean(value).map(|x| self.force = Some(x)),
            "publish-rm" => value
                .parse::<PortSpec>()
                .map(|p| self.publish_rm.push(p))
                .map_err(|e| e.to_string()),
            "label-add" => v::label(value).map(|x| self.label_add.push(x)),
            "container-label-add" => v::label(value).map(|x| self.container_label_add.push(x)),
            "env-add" => v::env(value).map(|x| self.env_add.push(x)),
            "secret-add" => v::secret(value).map(|x| self.secret_add.push(x)),
            "config-add" => v::config(value).map(|x| self.config_add.push(x)),
            "mount-add" => value
                .parse::<MountSpec>()
                .map(|m| self.mount_add.push(m))
                .map_err(|e| e.to_string()),
            "placement-pref-add" => {
                v::placement_pref(value).map(|x| self.placement_pref_add.push(x))
            }
            "placement-pref-rm" => v::placement_pref(value).map(|x| self.placement_pref_rm.push(x)),
            "network-add" => v::network(value).map(|x| self.network_add.push(x)),
            "publish-add" => value
                .parse::<PortSpec>()
                .map(|p| self.publish_add.push(p))
                .map_err(|e| e.to_string()),
            "dns-add" => v::ip_address(value).map(|x| self.dns_add.push(x)),
            "dns-search-add" => v::dns_search(value).map(|x| self.dns_search_add.push(x)),
            "host-add" => v::extra_host(value).map(|x| self.host_add.push(x)),
            "ulimit-add" => v::ulimit(value).map(|x| self.ulimit_add.push(x)),
            "generic-resource-add" => {
                v::generic_resource(value).map(|x| self.generic_resource_add.push(x))
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
            ("image", self.image.is_some()),
            ("args", self.args.is_some()),
            ("rollback", self.rollback.is_some()),
            ("force", self.force.is_some()),
            ("env-add", !self.env_add.is_empty()),
            ("env-rm", !self.env_rm.is_empty()),
            ("label-add", !self.label_add.is_empty()),
            ("label-rm", !self.label_rm.is_empty()),
            ("container-label-add", !self.container_label_add.is_empty()),
            ("container-label-rm", !self.container_label_rm.is_empty()),
            ("mount-add", !self.mount_add.is_empty()),
            ("mount-rm", !self.mount_rm.is_empty()),
            ("publish-add", !self.publish_add.is_empty()),
            ("publish-rm", !self.publish_rm.is_empty()),
            ("constraint-add", !self.constraint_add.is_empty()),
            ("constraint-rm", !self.constraint_rm.is_empty()),
            ("placement-pref-add", !self.placement_pref_add.is_empty()),
            ("placement-pref-rm", !self.placement_pref_rm.is_empty()),
            ("secret-add", !self.secret_add.is_empty()),
            ("secret-rm", !self.secret_rm.is_empty()),
            ("config-add", !self.config_add.is_empty()),
            ("config-rm", !self.config_rm.is_empty()),
            ("network-add", !self.network_add.is_empty()),
            ("network-rm", !self.network_rm.is_empty()),
            ("group-add", !self.group_add.is_empty()),
            ("group-rm", !self.group_rm.is_empty()),
            ("dns-add", !self.dns_add.is_empty()),
            ("dns-rm", !self.dns_rm.is_empty()),
            ("dns-option-add", !self.dns_option_add.is_empty()),
            ("dns-option-rm", !self.dns_option_rm.is_empty()),
            ("dns-search-add", !self.dns_search_add.is_empty()),
            ("dns-search-rm", !self.dns_search_rm.is_empty()),
            ("host-add", !self.host_add.is_empty()),
            ("host-rm", !self.host_rm.is_empty()),
            ("sysctl-add", !self.sysctl_add.is_empty()),
            ("sysctl-rm", !self.sysctl_rm.is_empty()),
            ("ulimit-add", !self.ulimit_add.is_empty()),
            ("ulimit-rm", !self.ulimit_rm.is_empty()),
            (
                "generic-resource-add",
                !self.generic_resource_add.is_empty(),
            ),
            ("generic-resource-rm", !self.generic_resource_rm.is_empty()),
        ] {
            if given {
                out.push(name.to_owned());
            }
        }
        out.sort();
        out
    }

    /// The secret, config and network names the docker CLI looks up for this update: the
    /// secrets of `--secret-add`, the configs of `--config-add` and `--credential-spec
    /// config://NAME`, the networks of `--network-add` and `--network-rm`.
    #[must_use]
    pub fn object_names(&self) -> ObjectNames {
        let mut configs: Vec<String> = self
            .config_add
            .iter()
            .map(|c| c.config_name.clone())
            .collect();
        if let Some(cs) = self
            .common
            .credential_spec
            .as_deref()
            .and_then(v::credential_spec_value)
            .filter(|cs| !cs.config.is_empty())
        {
            configs.push(cs.config);
        }
        let mut networks: Vec<String> = self.network_add.iter().map(|n| n.target.clone()).collect();
        networks.extend(self.network_rm.iter().cloned());
        ObjectNames {
            secrets: self
                .secret_add
                .iter()
                .map(|s| s.secret_name.clone())
                .collect(),
            configs,
            networks,
        }
    }

    /// Applies the flags to a stored spec as the docker CLI 28 does before it sends the update:
    /// values replaced where given; env, labels and sysctls by key; mounts by target (sorted
    /// by source and target); ports by target port, protocol and mode (sorted); constraints,
    /// groups and DNS lists sorted without duplicates; hosts in order (`updateHosts`);
    /// capabilities as `updateCapabilities` (dropping an added one only un-adds it, `RESET`
    /// clears a list); ulimits by name; the health check as `updateHealthcheck` (which
    /// ignores `--health-start-interval`); update, rollback and restart settings filled with
    /// swarmkit's defaults when the service has none; `--force` increments `ForceUpdate`;
    /// secrets, configs and the credential spec's config as `getUpdatedSecrets`/
    /// `getUpdatedConfigs`/`updateCredSpecConfig`, with IDs from `ids`; networks as
    /// `updateNetworks` (by ID from `ids`, sorted); the image tagged `:latest` when it has
    /// neither tag nor digest. `--max-concurrent` is accepted and ignored, as by docker 28.
    ///
    /// ```
    /// use swarm_client::flags::{ObjectIds, UpdateFlags};
    /// use swarm_client::spec::ServiceSpec;
    ///
    /// let mut spec = ServiceSpec::builder("web", "nginx:1.27").env("A=1").replicas(2).build()?;
    /// UpdateFlags::parse(["--env-add", "B=2", "--env-rm", "A", "--replicas", "3", "web"])?
    ///     .apply(&mut spec, &ObjectIds::default())?;
    /// assert_eq!(spec.container().map(|c| c.env.clone()), Some(vec!["B=2".to_owned()]));
    /// assert_eq!(spec.mode.replicas(), Some(3));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`FlagsError::Rejected`] with the docker CLI's text: `--replicas` on a service that is
    /// not replicated, two `--mount-add` with one target, `--no-healthcheck` with
    /// `--health-*`, a `--generic-resource-rm` kind the service does not reserve, two added
    /// secrets (configs) with one target, a network the service is already attached to;
    /// [`FlagsError::NeedsLookup`] for a secret, config or network missing from `ids`;
    /// [`FlagsError::InvalidArgument`] for a value built in code that the flag's grammar
    /// refuses. On error `spec` may be partly edited (nothing is sent).
    #[allow(clippy::too_many_lines)] // one block per flag group, like the CLI's updateService
    pub fn apply(&self, spec: &mut ServiceSpec, ids: &ObjectIds) -> Result<(), FlagsError> {
        let c = &self.common;
        self.revalidate()?;
        update_map(&mut spec.labels, &self.label_add, &self.label_rm);
        {
            let cs = spec.container_mut();
            update_map(
                &mut cs.labels,
                &self.container_label_add,
                &self.container_label_rm,
            );
            set(&mut cs.image, self.image.as_ref());
            if let Some(a) = &self.args {
                cs.args.clone_from(a);
            }
            if let Some(e) = &c.entrypoint {
                cs.command.clone_from(e);
            }
            update_env(&mut cs.env, &self.env_add, &self.env_rm);
            set(&mut cs.dir, c.workdir.as_ref());
            set(&mut cs.user, c.user.as_ref());
            set(&mut cs.hostname, c.hostname.as_ref());
            if let Some(i) = c.init {
                cs.init = Some(i);
            }
            set(&mut cs.isolation, c.isolation.as_ref());
            update_mounts(&mut cs.mounts, &self.mount_add, &self.mount_rm)?;
            if !self.sysctl_rm.is_empty() {
                for k in v::kv_map(&self.sysctl_rm).keys() {
                    cs.sysctls.remove(k);
                }
            }
            cs.sysctls.extend(v::kv_map(&self.sysctl_add));
            update_ulimits(&mut cs.ulimits, &self.ulimit_add, &self.ulimit_rm);
        }
        let task = &mut spec.task_template;
        if c.limit_cpu.is_some() || c.limit_memory.is_some() || c.limit_pids.is_some() {
            let l = resources(&mut task.resources)
                .limits
                .get_or_insert_with(Default::default);
            if let Some(x) = c.limit_cpu {
                l.nano_cpus = x;
            }
            if let Some(x) = c.limit_memory {
                l.memory_bytes = x;
            }
            if let Some(x) = c.limit_pids {
                l.pids = x;
            }
        }
        if c.reserve_cpu.is_some() || c.reserve_memory.is_some() {
            let r = resources(&mut task.resources)
                .reservations
                .get_or_insert_with(Default::default);
            if let Some(x) = c.reserve_cpu {
                r.nano_cpus = x;
            }
            if let Some(x) = c.reserve_memory {
                r.memory_bytes = x;
            }
        }
        if let Some(x) = c.oom_score_adj {
            spec.container_mut().oom_score_adj = x;
        }
        self.update_generic_resources(spec)?;
        let task = &mut spec.task_template;
        if let Some(g) = c.stop_grace_period {
            task.container_spec
                .get_or_insert_with(ContainerSpec::default)
                .stop_grace_period = Some(g);
        }
        if restart_given(c) {
            let p = task
                .restart_policy
                .get_or_insert_with(default_restart_policy);
            apply_restart(p, c);
        }
        if !self.constraint_add.is_empty() || !self.constraint_rm.is_empty() {
            let p = task.placement.get_or_insert_with(Placement::default);
            p.constraints.extend(self.constraint_add.iter().cloned());
            p.constraints.retain(|x| !self.constraint_rm.contains(x));
            p.constraints.sort();
        }
        if !self.placement_pref_add.is_empty() || !self.placement_pref_rm.is_empty() {
            let p = task.placement.get_or_insert_with(Placement::default);
            p.preferences.retain(|existing| {
                !self.placement_pref_rm.iter().any(|rm| {
                    existing
                        .spread
                        .as_ref()
                        .is_some_and(|s| &s.spread_descriptor == rm)
                })
            });
            p.preferences
                .extend(self.placement_pref_add.iter().map(|d| spread(d)));
        }
        if !self.network_add.is_empty() || !self.network_rm.is_empty() {
            self.update_networks(spec, ids)?;
        }
        if let Some(r) = c.replicas {
            match &mut spec.mode {
                ServiceMode::Replicated(m) => m.replicas = Some(r),
                _ => {
                    return Err(FlagsError::Rejected(
                        "replicas can only be used with replicated mode".into(),
                    ));
                }
            }
        }
        if let Some(n) = c.replicas_max_per_node {
            spec.task_template
                .placement
                .get_or_insert_with(Placement::default)
                .max_replicas = n;
        }
        if c.update.any() {
            apply_policy(
                spec.update_config.get_or_insert_with(UpdateConfig::default),
                &c.update,
            );
        }
        if c.rollback.any() {
            apply_policy(
                spec.rollback_config
                    .get_or_insert_with(UpdateConfig::default),
                &c.rollback,
            );
        }
        if let Some(m) = &c.endpoint_mode {
            spec.endpoint_spec
                .get_or_insert_with(EndpointSpec::default)
                .mode = non_empty(m.clone()).map(EndpointMode::from);
        }
        if !self.group_add.is_empty() || !self.group_rm.is_empty() {
            let g = &mut spec.container_mut().groups;
            g.extend(self.group_add.iter().cloned());
            g.retain(|x| !self.group_rm.contains(x));
            g.sort();
        }
        if !self.publish_add.is_empty() || !self.publish_rm.is_empty() {
            let e = spec.endpoint_spec.get_or_insert_with(EndpointSpec::default);
            update_ports(&mut e.ports, &self.publish_add, &self.publish_rm);
        }
        self.update_dns(spec.container_mut());
        if !self.host_add.is_empty() || !self.host_rm.is_empty() {
            update_hosts(
                &mut spec.container_mut().hosts,
                &self.host_add,
                &self.host_rm,
            );
        }
        if c.log_driver.is_some()
            && let Some(l) = log_driver(c.log_driver.as_deref(), &c.log_opt)
        {
            spec.task_template.log_driver = Some(l);
        }
        if self.force == Some(true) {
            spec.task_template.force_update += 1;
        }
        self.update_health(spec.container_mut())?;
        let cs = spec.container_mut();
        if let Some(t) = c.tty {
            cs.tty = t;
        }
        if let Some(r) = c.read_only {
            cs.read_only = r;
        }
        set(&mut cs.stop_signal, c.stop_signal.as_ref());
        if !c.cap_add.is_empty() || !c.cap_drop.is_empty() {
            update_capabilities(cs, &c.cap_add, &c.cap_drop);
        }
        // runUpdate: secrets, configs, then the credential spec.
        let mut secrets: Vec<SecretReference> = std::mem::take(&mut cs.secrets);
        secrets.retain(|s| !self.secret_rm.contains(&s.secret_name));
        if !self.secret_add.is_empty() {
            secrets.extend(resolve_secrets(&self.secret_add, ids, true)?);
        }
        let cs = spec.container_mut();
        cs.secrets = secrets;
        self.update_configs(cs, ids)?;
        self.update_credential_spec(cs);
        // The client library tags the image before it sends the spec.
        cs.image = tag_name_only(&cs.image);
        Ok(())
    }

    /// The list values checked again with their flag's grammar (they may be built in code).
    fn revalidate(&self) -> Result<(), FlagsError> {
        let check = |name: &'static str, values: &[String], f: fn(&str) -> SetResult<String>| {
            for value in values {
                f(value).map_err(|reason| invalid(table::UPDATE, name, value, reason))?;
            }
            Ok::<(), FlagsError>(())
        };
        check("label-add", &self.label_add, v::label)?;
        check("container-label-add", &self.container_label_add, v::label)?;
        check("env-add", &self.env_add, v::env)?;
        check("dns-add", &self.dns_add, v::ip_address)?;
        check("dns-search-add", &self.dns_search_add, v::dns_search)?;
        check("host-add", &self.host_add, v::extra_host)?;
        check(
            "generic-resource-add",
            &self.generic_resource_add,
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

    /// `addGenericResources` then `removeGenericResources`.
    fn update_generic_resources(&self, spec: &mut ServiceSpec) -> Result<(), FlagsError> {
        if self.generic_resource_add.is_empty() && self.generic_resource_rm.is_empty() {
            return Ok(());
        }
        let reservations = spec
            .task_template
            .resources
            .get_or_insert_with(ResourceRequirements::default)
            .reservations
            .get_or_insert_with(Default::default);
        let mut by_kind = BTreeMap::new();
        for r in &reservations.generic_resources {
            let Some(d) = &r.discrete_resource_spec else {
                return Err(FlagsError::Rejected(format!(
                    "invalid generic-resource `{}` for service task",
                    serde_json::to_string(r).unwrap_or_default()
                )));
            };
            if by_kind.insert(d.kind.clone(), r.clone()).is_some() {
                return Err(FlagsError::Rejected(format!(
                    "duplicate generic-resource `{}` for service task",
                    d.kind
                )));
            }
        }
        if !self.generic_resource_add.is_empty() {
            for r in
                v::generic_resources(&self.generic_resource_add).map_err(FlagsError::Rejected)?
            {
                if let Some(d) = &r.discrete_resource_spec {
                    by_kind.insert(d.kind.clone(), r.clone());
                }
            }
        }
        for kind in &self.generic_resource_rm {
            if by_kind.remove(kind).is_none() {
                return Err(FlagsError::Rejected(format!(
                    "could not find generic-resource `{kind}` to remove it"
                )));
            }
        }
        reservations.generic_resources = by_kind.into_values().collect();
        Ok(())
    }

    /// `updateNetworks`: the task template's networks (or the deprecated top-level ones, then
    /// dropped) without the IDs of `--network-rm`, plus `--network-add` by ID, sorted by ID.
    fn update_networks(&self, spec: &mut ServiceSpec, ids: &ObjectIds) -> Result<(), FlagsError> {
        let id_of = |name: &str| {
            ids.networks
                .get(name)
                .cloned()
                .ok_or_else(|| FlagsError::NeedsLookup {
                    kind: "network",
                    name: name.to_owned(),
                })
        };
        let old = spec.extra.remove("Networks");
        let mut current = std::mem::take(&mut spec.task_template.networks);
        if current.is_empty()
            && let Some(old) = old
        {
            current = serde_json::from_value(old).unwrap_or_default();
        }
        let remove = self
            .network_rm
            .iter()
            .map(|n| id_of(n))
            .collect::<Result<Vec<_>, _>>()?;
        current.retain(|n| !remove.contains(&n.target));
        for add in &self.network_add {
            let id = id_of(&add.target)?;
            if current.iter().any(|n| n.target == id) {
                return Err(FlagsError::Rejected(format!(
                    "service is already attached to network {}",
                    add.target
                )));
            }
            let mut n = add.clone();
            n.target = id;
            current.push(n);
        }
        current.sort_by(|a, b| a.target.cmp(&b.target));
        spec.task_template.networks = current;
        Ok(())
    }

    /// `updateDNSConfig`: each list existing + added, without duplicates, without the removed,
    /// sorted; a new `DNSConfig` with only those lists.
    fn update_dns(&self, cs: &mut ContainerSpec) {
        let given = [
            &self.dns_add,
            &self.dns_rm,
            &self.dns_option_add,
            &self.dns_option_rm,
            &self.dns_search_add,
            &self.dns_search_rm,
        ];
        if given.iter().all(|v| v.is_empty()) {
            return;
        }
        let old = cs.dns_config.take().unwrap_or_default();
        let list = |existing: &[String], add: &[String], rm: &[String]| {
            let mut out: Vec<String> = Vec::new();
            for x in existing.iter().chain(add) {
                if !out.contains(x) {
                    out.push(x.clone());
                }
            }
            out.retain(|x| !rm.contains(x));
            out.sort();
            out
        };
        cs.dns_config = Some(DnsConfig {
            nameservers: list(&old.nameservers, &self.dns_add, &self.dns_rm),
            search: list(&old.search, &self.dns_search_add, &self.dns_search_rm),
            options: list(&old.options, &self.dns_option_add, &self.dns_option_rm),
            ..DnsConfig::default()
        });
    }

    /// `updateHealthcheck`.
    fn update_health(&self, cs: &mut ContainerSpec) -> Result<(), FlagsError> {
        let h = &self.common.health;
        let health = h.cmd.is_some()
            || h.interval.is_some()
            || h.retries.is_some()
            || h.timeout.is_some()
            || h.start_period.is_some();
        if !health && h.no_healthcheck.is_none() {
            return Ok(());
        }
        let hc = cs.healthcheck.get_or_insert_with(HealthConfig::default);
        if h.no_healthcheck == Some(true) {
            if health {
                return Err(no_healthcheck_conflict());
            }
            *hc = HealthConfig {
                test: vec!["NONE".into()],
                ..HealthConfig::default()
            };
            return Ok(());
        }
        if hc.test.first().is_some_and(|t| t == "NONE") {
            hc.test.clear();
        }
        if let Some(x) = h.interval {
            hc.interval = x;
        }
        if let Some(x) = h.timeout {
            hc.timeout = x;
        }
        if let Some(x) = h.start_period {
            hc.start_period = x;
        }
        if let Some(x) = h.retries {
            hc.retries = x;
        }
        if let Some(cmd) = &h.cmd {
            hc.test = if cmd.is_empty() {
                Vec::new()
            } else {
                vec!["CMD-SHELL".into(), cmd.clone()]
            };
        }
        Ok(())
    }

    /// `getUpdatedConfigs`: the kept references (a runtime one only while the credential spec
    /// uses it), then the added ones and the credential spec's, with their IDs.
    fn update_configs(&self, cs: &mut ContainerSpec, ids: &ObjectIds) -> Result<(), FlagsError> {
        let flag = self.common.credential_spec.as_deref();
        let mut cred_name = String::new();
        let mut cred_id = String::new();
        match flag {
            Some(value) => {
                cred_name = v::credential_spec_value(value)
                    .map(|c| c.config)
                    .unwrap_or_default();
            }
            None => {
                if let Some(Some(c)) = cs
                    .privileges
                    .as_ref()
                    .and_then(|p| p.credential_spec.as_ref())
                {
                    cred_id.clone_from(&c.config);
                }
            }
        }
        let mut configs: Vec<ConfigReference> = Vec::new();
        for r in std::mem::take(&mut cs.configs) {
            if r.runtime.is_some() {
                if r.config_name == cred_name || r.config_id == cred_id {
                    configs.push(r);
                }
                continue;
            }
            if !self.config_rm.contains(&r.config_name) {
                configs.push(r);
            }
        }
        let mut add = self.config_add.clone();
        if !cred_name.is_empty() {
            add.push(runtime_config(cred_name));
        }
        if !add.is_empty() {
            configs.extend(resolve_configs(&add, ids, true)?);
        }
        cs.configs = configs;
        Ok(())
    }

    /// `updateCredSpecConfig`: `--credential-spec ""` removes the credential spec, another value
    /// replaces it (a config by the ID of the reference with its name).
    fn update_credential_spec(&self, cs: &mut ContainerSpec) {
        let Some(value) = self.common.credential_spec.as_deref() else {
            return;
        };
        if value.is_empty() {
            if let Some(p) = cs.privileges.as_mut() {
                p.credential_spec = Some(None);
            }
            return;
        }
        let Some(mut cred) = v::credential_spec_value(value) else {
            return;
        };
        if !cred.config.is_empty()
            && let Some(r) = cs.configs.iter().find(|r| r.config_name == cred.config)
        {
            cred.config.clone_from(&r.config_id);
        }
        match cs.privileges.as_mut() {
            Some(p) => p.credential_spec = Some(Some(cred)),
            None => cs.privileges = Some(privileges(cred)),
        }
    }
}

/// Replaces `slot` with `value` when the flag is given.
fn set(slot: &mut String, value: Option<&String>) {
    if let Some(v) = value {
        slot.clone_from(v);
    }
}

/// The CLI's `taskResources`: the task's resources with limits and reservations, each
/// created empty when missing.
fn resources(r: &mut Option<ResourceRequirements>) -> &mut ResourceRequirements {
    let r = r.get_or_insert_with(ResourceRequirements::default);
    r.limits.get_or_insert_with(Default::default);
    r.reservations.get_or_insert_with(Default::default);
    r
}

/// `updateLabels`/`updateContainerLabels`: removed keys, then added `KEY=VALUE`s.
fn update_map(map: &mut BTreeMap<String, String>, add: &[String], rm: &[String]) {
    for k in rm {
        map.remove(k);
    }
    map.extend(v::kv_map(add));
}

/// `updateEnvironment`: `--env-rm` by name; `--env-add` replaces the entry of its name or
/// appends (the CLI rebuilds the list from a Go map; this keeps the order).
fn update_env(env: &mut Vec<String>, add: &[String], rm: &[String]) {
    let key = |e: &str| e.split_once('=').map_or(e, |(k, _)| k).to_owned();
    env.retain(|e| !rm.contains(&key(e)));
    for a in add {
        match env.iter_mut().find(|e| key(e) == key(a)) {
            Some(e) => e.clone_from(a),
            None => env.push(a.clone()),
        }
    }
}

/// `updateMounts`: added mounts (two with one target refused), then the old ones with other
/// targets, without the removed targets, sorted by source and target.
fn update_mounts(
    mounts: &mut Vec<Mount>,
    add: &[MountSpec],
    rm: &[String],
) -> Result<(), FlagsError> {
    // Runs on every update, like the CLI's: the stored mounts come back one per target, sorted.
    let mut by_target: BTreeMap<String, Mount> = BTreeMap::new();
    for m in add {
        let m = m.mount();
        if by_target.insert(m.target.clone(), m.clone()).is_some() {
            return Err(FlagsError::Rejected("duplicate mount target".into()));
        }
    }
    for m in mounts.drain(..) {
        by_target.entry(m.target.clone()).or_insert(m);
    }
    let mut out: Vec<Mount> = by_target
        .into_values()
        .filter(|m| !rm.contains(&m.target))
        .collect();
    out.sort_by(|a, b| (&a.source, &a.target).cmp(&(&b.source, &b.target)));
    *mounts = out;
    Ok(())
}

/// `updateUlimits`: by name, removed names (`NAME` or `NAME=…`), then added, sorted by name.
fn update_ulimits(ulimits: &mut Vec<Ulimit>, add: &[Ulimit], rm: &[String]) {
    if add.is_empty() && rm.is_empty() {
        // The CLI rebuilds the list every time: one per name, sorted.
        let mut by_name: BTreeMap<String, Ulimit> = BTreeMap::new();
        for u in ulimits.drain(..) {
            by_name.insert(u.name.clone(), u);
        }
        *ulimits = by_name.into_values().collect();
        return;
    }
    let mut by_name: BTreeMap<String, Ulimit> = BTreeMap::new();
    for u in ulimits.drain(..) {
        by_name.insert(u.name.clone(), u);
    }
    for k in v::kv_map(rm).keys() {
        by_name.remove(k);
    }
    for u in v::ulimit_list(add) {
        by_name.insert(u.name.clone(), u);
    }
    *ulimits = by_name.into_values().collect();
}

/// The CLI's `portConfigToString`: `PUBLISHED:TARGET/PROTOCOL/MODE`.
fn port_key(p: &PortConfig) -> String {
    format!(
        "{}:{}/{}/{}",
        p.published_port,
        p.target_port,
        p.protocol.as_ref().map_or("", |x| x.as_str()),
        p.publish_mode.as_ref().map_or("", |x| x.as_str())
    )
}

/// `updatePorts`: the ports (deduplicated) without those whose target, protocol and mode
/// match a `--publish-rm` value (an empty protocol counts as tcp, an empty mode as ingress),
/// plus added ports the service did not have, sorted by `portConfigToString`.
fn update_ports(ports: &mut Vec<PortConfig>, add: &[PortSpec], rm: &[PortSpec]) {
    let proto = |p: &PortConfig| p.protocol.as_ref().map_or("", |x| x.as_str()).to_owned();
    let mode = |p: &PortConfig| {
        p.publish_mode
            .as_ref()
            .map_or("", |x| x.as_str())
            .to_owned()
    };
    let same = |a: &str, b: &str, dflt: &str| {
        a == b || (a.is_empty() && b == dflt) || (b.is_empty() && a == dflt)
    };
    let mut set: Vec<PortConfig> = Vec::new();
    for p in ports.drain(..) {
        if !set.iter().any(|q| port_key(q) == port_key(&p)) {
            set.push(p);
        }
    }
    let before: BTreeSet<String> = set.iter().map(port_key).collect();
    let removes: Vec<&PortConfig> = rm.iter().flat_map(|r| r.configs()).collect();
    let mut out: Vec<PortConfig> = set
        .into_iter()
        .filter(|p| {
            !removes.iter().any(|r| {
                same(&proto(p), &proto(r), "tcp")
                    && p.target_port == r.target_port
                    && same(&mode(p), &mode(r), "ingress")
            })
        })
        .collect();
    for p in add.iter().flat_map(|a| a.configs()) {
        if !before.contains(&port_key(p)) {
            out.push(p.clone());
        }
    }
    out.sort_by_key(port_key);
    *ports = out;
}

/// `updateHosts`: `HOST:IP` removes HOST from the lines of IP, `HOST` from every line, a line
/// left without names goes; the added lines after; duplicates dropped.
fn update_hosts(hosts: &mut Vec<String>, add: &[String], rm: &[String]) {
    let rm: Vec<(&str, &str)> = rm
        .iter()
        .map(|r| r.split_once(':').unwrap_or((r, "")))
        .collect();
    let mut lines: Vec<String> = Vec::new();
    for entry in hosts.iter() {
        let mut parts = entry.split_whitespace();
        let Some(ip) = parts.next() else {
            continue;
        };
        let mut names: Vec<&str> = parts.collect();
        for (host, rm_ip) in &rm {
            if !rm_ip.is_empty() && rm_ip != &ip {
                continue;
            }
            // Go removes while iterating forward: after a removal it skips the next name.
            let mut i = 0;
            while i < names.len() {
                if names[i] == *host {
                    names.remove(i);
                }
                i += 1;
            }
        }
        if !names.is_empty() {
            lines.push(format!("{ip} {}", names.join(" ")));
        }
    }
    lines.extend(add.iter().filter_map(|h| v::swarm_host(h)));
    let mut out: Vec<String> = Vec::new();
    for l in lines {
        if !out.contains(&l) {
            out.push(l);
        }
    }
    *hosts = out;
}

/// `updateCapabilities`.
fn update_capabilities(cs: &mut ContainerSpec, add: &[String], drop: &[String]) {
    let set = |v: &[String]| v.iter().map(|c| v::capability(c)).collect::<BTreeSet<_>>();
    let mut cap_add = set(&cs.capability_add);
    let mut cap_drop = set(&cs.capability_drop);
    let mut to_add = set(add);
    let mut to_drop = set(drop);
    if to_add.remove("RESET") {
        cap_add.clear();
    }
    if to_drop.remove("RESET") {
        cap_drop.clear();
    }
    for c in &to_drop {
        if !to_add.contains(c) && !cap_add.remove(c) {
            cap_drop.insert(c.clone());
        }
    }
    for c in &to_add {
        if !cap_drop.remove(c) {
            cap_add.insert(c.clone());
        }
    }
    let list = |s: BTreeSet<String>| {
        if s.contains("ALL") {
            vec!["ALL".to_owned()]
        } else {
            s.into_iter().collect()
        }
    };
    cs.capability_add = list(cap_add);
    cs.capability_drop = list(cap_drop);
}
