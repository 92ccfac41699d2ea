//! The flags `docker service create` and `docker service update` share (the docker CLI's
//! `addServiceFlags`, plus `--init` and `--oom-score-adj` that both add), as typed values.

use super::values as v;

/// Sets an optional value (a pflag `Set` that cannot fail).
#[allow(clippy::unnecessary_wraps)] // the same shape as the setters that can fail
fn put<T>(slot: &mut Option<T>, value: T) -> v::SetResult<()> {
    *slot = Some(value);
    Ok(())
}

/// Appends to a list (a pflag `ListOpts.Set` without validator).
#[allow(clippy::unnecessary_wraps)] // the same shape as the setters that can fail
fn push<T>(list: &mut Vec<T>, value: T) -> v::SetResult<()> {
    list.push(value);
    Ok(())
}

/// The `--update-*` or the `--rollback-*` group.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct PolicyFlags {
    /// `--*-parallelism`: tasks updated (rolled back) at once, 0 for all.
    pub parallelism: Option<u64>,
    /// `--*-delay` in nanoseconds.
    pub delay: Option<i64>,
    /// `--*-monitor` in nanoseconds.
    pub monitor: Option<i64>,
    /// `--*-failure-action` (`pause`, `continue`, `rollback`), passed on as given.
    pub failure_action: Option<String>,
    /// `--*-max-failure-ratio` (a Go `float32`).
    pub max_failure_ratio: Option<f32>,
    /// `--*-order` (`start-first`, `stop-first`), passed on as given.
    pub order: Option<String>,
}

impl PolicyFlags {
    /// Whether any flag of the group is given.
    #[must_use]
    pub fn any(&self) -> bool {
        self.parallelism.is_some()
            || self.delay.is_some()
            || self.monitor.is_some()
            || self.failure_action.is_some()
            || self.max_failure_ratio.is_some()
            || self.order.is_some()
    }

    fn changed(&self, prefix: &str, out: &mut Vec<String>) {
        for (name, given) in [
            ("parallelism", self.parallelism.is_some()),
            ("delay", self.delay.is_some()),
            ("monitor", self.monitor.is_some()),
            ("failure-action", self.failure_action.is_some()),
            ("max-failure-ratio", self.max_failure_ratio.is_some()),
            ("order", self.order.is_some()),
        ] {
            if given {
                out.push(format!("{prefix}-{name}"));
            }
        }
    }

    fn set(&mut self, name: &str, value: &str) -> Option<v::SetResult<()>> {
        let r = match name {
            "parallelism" => v::uint(value).map(|x| self.parallelism = Some(x)),
            "delay" => v::duration(value).map(|x| self.delay = Some(x)),
            "monitor" => v::duration(value).map(|x| self.monitor = Some(x)),
            "failure-action" => put(&mut self.failure_action, value.to_owned()),
            "max-failure-ratio" => v::float32(value).map(|x| self.max_failure_ratio = Some(x)),
            "order" => put(&mut self.order, value.to_owned()),
            _ => return None,
        };
        Some(r)
    }
}

/// The `--health-*` flags and `--no-healthcheck`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HealthFlags {
    /// `--health-cmd` (run with `CMD-SHELL`; empty removes the command on update).
    pub cmd: Option<String>,
    /// `--health-interval` in nanoseconds.
    pub interval: Option<i64>,
    /// `--health-timeout` in nanoseconds.
    pub timeout: Option<i64>,
    /// `--health-retries`.
    pub retries: Option<i64>,
    /// `--health-start-period` in nanoseconds.
    pub start_period: Option<i64>,
    /// `--health-start-interval` in nanoseconds (API 1.44; `service update` ignores it, as the
    /// docker CLI 28 does).
    pub start_interval: Option<i64>,
    /// `--no-healthcheck`.
    pub no_healthcheck: Option<bool>,
}

/// The flags both `service create` and `service update` have, as typed values: `None` (or
/// empty) for a flag not given. Durations are nanoseconds (Go's `time.Duration`, negative
/// values allowed where docker allows them), CPUs nano CPUs, memory bytes.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct CommonFlags {
    /// `-d, --detach`: do not wait for convergence (for the caller; the spec is the same).
    pub detach: Option<bool>,
    /// `-q, --quiet`: no progress output (for the caller).
    pub quiet: Option<bool>,
    /// `-w, --workdir`.
    pub workdir: Option<String>,
    /// `-u, --user`.
    pub user: Option<String>,
    /// `--credential-spec` as given (`config://NAME`, `file://PATH`, `registry://KEY`, or empty).
    pub credential_spec: Option<String>,
    /// `--hostname`.
    pub hostname: Option<String>,
    /// `--entrypoint`, split into words.
    pub entrypoint: Option<Vec<String>>,
    /// `--cap-add`.
    pub cap_add: Vec<String>,
    /// `--cap-drop`.
    pub cap_drop: Vec<String>,
    /// `--limit-cpu` in nano CPUs.
    pub limit_cpu: Option<i64>,
    /// `--limit-memory` in bytes.
    pub limit_memory: Option<i64>,
    /// `--reserve-cpu` in nano CPUs.
    pub reserve_cpu: Option<i64>,
    /// `--reserve-memory` in bytes.
    pub reserve_memory: Option<i64>,
    /// `--limit-pids` (0: unlimited).
    pub limit_pids: Option<i64>,
    /// `--stop-grace-period` in nanoseconds.
    pub stop_grace_period: Option<i64>,
    /// `--replicas`.
    pub replicas: Option<u64>,
    /// `--max-concurrent` (replicated jobs; `service update` ignores it, as docker 28 does).
    pub max_concurrent: Option<u64>,
    /// `--replicas-max-per-node` (0: unlimited).
    pub replicas_max_per_node: Option<u64>,
    /// `--restart-condition`, passed on as given.
    pub restart_condition: Option<String>,
    /// `--restart-delay` in nanoseconds.
    pub restart_delay: Option<i64>,
    /// `--restart-max-attempts`.
    pub restart_max_attempts: Option<u64>,
    /// `--restart-window` in nanoseconds.
    pub restart_window: Option<i64>,
    /// `--update-*`.
    pub update: PolicyFlags,
    /// `--rollback-*`.
    pub rollback: PolicyFlags,
    /// `--endpoint-mode` (`vip`, `dnsrr`).
    pub endpoint_mode: Option<String>,
    /// `--with-registry-auth`: send the registry credentials of the image (from the docker
    /// config) to the swarm agents.
    pub with_registry_auth: Option<bool>,
    /// `--no-resolve-image`: do not pin the image to its digest.
    pub no_resolve_image: Option<bool>,
    /// `--log-driver`.
    pub log_driver: Option<String>,
    /// `--log-opt` (`KEY=VALUE`).
    pub log_opt: Vec<String>,
    /// `--health-*`, `--no-healthcheck`.
    pub health: HealthFlags,
    /// `-t, --tty`.
    pub tty: Option<bool>,
    /// `--read-only`.
    pub read_only: Option<bool>,
    /// `--stop-signal`.
    pub stop_signal: Option<String>,
    /// `--isolation`.
    pub isolation: Option<String>,
    /// `--init`.
    pub init: Option<bool>,
    /// `--oom-score-adj` (API 1.46).
    pub oom_score_adj: Option<i64>,
}

impl CommonFlags {
    /// Sets flag `name` from its command-line `value` (pflag's `Set`); `None` for a name that
    /// is not one of these flags.
    pub(crate) fn set(&mut self, name: &str, value: &str) -> Option<v::SetResult<()>> {
        if let Some(rest) = name.strip_prefix("update-") {
            return self.update.set(rest, value);
        }
        if let Some(rest) = name.strip_prefix("rollback-") {
            return self.rollback.set(rest, value);
        }
        let h = &mut self.health;
        let r = match name {
            "detach" => v::boolean(value).map(|x| self.detach = Some(x)),
            "quiet" => v::boolean(value).map(|x| self.quiet = Some(x)),
            "workdir" => put(&mut self.workdir, value.to_owned()),
            "user" => put(&mut self.user, value.to_owned()),
            "credential-spec" => v::credential_spec(value).map(|x| self.credential_spec = Some(x)),
            "hostname" => put(&mut self.hostname, value.to_owned()),
            "entrypoint" => v::shell_words(value).map(|x| self.entrypoint = Some(x)),
            "cap-add" => push(&mut self.cap_add, value.to_owned()),
            "cap-drop" => push(&mut self.cap_drop, value.to_owned()),
            "limit-cpu" => v::nano_cpus(value).map(|x| self.limit_cpu = Some(x)),
            "limit-memory" => v::mem_bytes(value).map(|x| self.limit_memory = Some(x)),
            "reserve-cpu" => v::nano_cpus(value).map(|x| self.reserve_cpu = Some(x)),
            "reserve-memory" => v::mem_bytes(value).map(|x| self.reserve_memory = Some(x)),
            "limit-pids" => v::int(value).map(|x| self.limit_pids = Some(x)),
            "stop-grace-period" => v::duration(value).map(|x| self.stop_grace_period = Some(x)),
            "replicas" => v::uint(value).map(|x| self.replicas = Some(x)),
            "max-concurrent" => v::uint(value).map(|x| self.max_concurrent = Some(x)),
            "replicas-max-per-node" => v::uint(value).map(|x| self.replicas_max_per_node = Some(x)),
            "restart-condition" => put(&mut self.restart_condition, value.to_owned()),
            "restart-delay" => v::duration(value).map(|x| self.restart_delay = Some(x)),
            "restart-max-attempts" => v::uint(value).map(|x| self.restart_max_attempts = Some(x)),
            "restart-window" => v::duration(value).map(|x| self.restart_window = Some(x)),
            "endpoint-mode" => put(&mut self.endpoint_mode, value.to_owned()),
            "with-registry-auth" => v::boolean(value).map(|x| self.with_registry_auth = Some(x)),
            "no-resolve-image" => v::boolean(value).map(|x| self.no_resolve_image = Some(x)),
            "log-driver" => put(&mut self.log_driver, value.to_owned()),
            "log-opt" => v::env(value).map(|x| self.log_opt.push(x)),
            "health-cmd" => put(&mut h.cmd, value.to_owned()),
            "health-interval" => v::positive_duration(value).map(|x| h.interval = Some(x)),
            "health-timeout" => v::positive_duration(value).map(|x| h.timeout = Some(x)),
            "health-retries" => v::int(value).map(|x| h.retries = Some(x)),
            "health-start-period" => v::positive_duration(value).map(|x| h.start_period = Some(x)),
            "health-start-interval" => {
                v::positive_duration(value).map(|x| h.start_interval = Some(x))
            }
            "no-healthcheck" => v::boolean(value).map(|x| h.no_healthcheck = Some(x)),
            "tty" => v::boolean(value).map(|x| self.tty = Some(x)),
            "read-only" => v::boolean(value).map(|x| self.read_only = Some(x)),
            "stop-signal" => put(&mut self.stop_signal, value.to_owned()),
            "isolation" => put(&mut self.isolation, value.to_owned()),
            "init" => v::boolean(value).map(|x| self.init = Some(x)),
            "oom-score-adj" => v::int(value).map(|x| self.oom_score_adj = Some(x)),
            _ => return None,
        };
        Some(r)
    }

    /// The names of the flags given (what cobra's `Changed` reports), for the API version check.
    pub(crate) fn changed(&self, out: &mut Vec<String>) {
        let h = &self.health;
        for (name, given) in [
            ("detach", self.detach.is_some()),
            ("quiet", self.quiet.is_some()),
            ("workdir", self.workdir.is_some()),
            ("user", self.user.is_some()),
            ("credential-spec", self.credential_spec.is_some()),
            ("hostname", self.hostname.is_some()),
            ("entrypoint", self.entrypoint.is_some()),
            ("cap-add", !self.cap_add.is_empty()),
            ("cap-drop", !self.cap_drop.is_empty()),
            ("limit-cpu", self.limit_cpu.is_some()),
            ("limit-memory", self.limit_memory.is_some()),
            ("reserve-cpu", self.reserve_cpu.is_some()),
            ("reserve-memory", self.reserve_memory.is_some()),
            ("limit-pids", self.limit_pids.is_some()),
            ("stop-grace-period", self.stop_grace_period.is_some()),
            ("replicas", self.replicas.is_some()),
            ("max-concurrent", self.max_concurrent.is_some()),
            (
                "replicas-max-per-node",
                self.replicas_max_per_node.is_some(),
            ),
            ("restart-condition", self.restart_condition.is_some()),
            ("restart-delay", self.restart_delay.is_some()),
            ("restart-max-attempts", self.restart_max_attempts.is_some()),
            ("restart-window", self.restart_window.is_some()),
            ("endpoint-mode", self.endpoint_mode.is_some()),
            ("with-registry-auth", self.with_registry_auth.is_some()),
            ("no-resolve-image", self.no_resolve_image.is_some()),
            ("log-driver", self.log_driver.is_some()),
            ("log-opt", !self.log_opt.is_empty()),
            ("health-cmd", h.cmd.is_some()),
            ("health-interval", h.interval.is_some()),
            ("health-timeout", h.timeout.is_some()),
            ("health-retries", h.retries.is_some()),
            ("health-start-period", h.start_period.is_some()),
            ("health-start-interval", h.start_interval.is_some()),
            ("no-healthcheck", h.no_healthcheck.is_some()),
            ("tty", self.tty.is_some()),
            ("read-only", self.read_only.is_some()),
            ("stop-signal", self.stop_signal.is_some()),
            ("isolation", self.isolation.is_some()),
            ("init", self.init.is_some()),
            ("oom-score-adj", self.oom_score_adj.is_some()),
        ] {
            if given {
                out.push(name.to_owned());
            }
        }
        self.update.changed("update", out);
        self.rollback.changed("rollback", out);
    }
}
