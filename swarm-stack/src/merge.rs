//! Several `-c` files merged as docker merges them (`loader/merge.go`: mergo with override,
//! appended slices and a few special cases). Later files win; what "win" means depends on the
//! field, and docker's rules are kept as they are, oddities included:
//! - a string, number or `true` overrides; an empty string, `0` or `false` does not;
//! - lists (`cap_add`, `dns`, `extra_hosts`, `healthcheck.test`, placement constraints, …) are
//!   appended, duplicates kept; `command`/`entrypoint` are replaced;
//! - `ports`, `secrets`, `configs` and `volumes` of a service present in both files are merged
//!   by published port, source and target, then sorted by them (so two unpublished ports of the
//!   first file collapse into one, as with docker);
//! - maps merge per key (`labels`, `environment` where a non-empty value wins, `ulimits`,
//!   `networks` where aliases are replaced and addresses override);
//! - `replicas`, `parallelism`, `max_attempts`, `retries` override when written, even as `0`;
//! - logging options merge when the drivers agree, otherwise the later logging replaces it;
//! - top-level networks, volumes, secrets and configs are replaced whole by key.

use std::collections::BTreeMap;

use crate::model::{
    Compose, Deploy, FileReference, Healthcheck, Limits, Logging, Port, Reservations,
    RestartPolicy, Service, ServiceVolume, UpdateConfig,
};

/// Merges `over` into `base` (docker's `merge`).
#[must_use]
pub fn merge(mut base: Compose, over: Compose) -> Compose {
    for (name, s) in over.services {
        match base.services.remove(&name) {
            Some(b) => {
                base.services.insert(name, merge_service(b, s));
            }
            None => {
                base.services.insert(name, s);
            }
        }
    }
    base.networks.extend(over.networks);
    base.volumes.extend(over.volumes);
    base.secrets.extend(over.secrets);
    base.configs.extend(over.configs);
    base
}

fn string(dst: &mut String, src: String) {
    if !src.is_empty() {
        *dst = src;
    }
}

fn flag(dst: &mut bool, src: bool) {
    if src {
        *dst = true;
    }
}

fn nonzero<T: PartialEq + Default>(dst: &mut T, src: T) {
    if src != T::default() {
        *dst = src;
    }
}

/// A Go pointer to a number: set when unset, else overridden by a non-zero value.
fn ptr_nonzero<T: PartialEq + Default>(dst: &mut Option<T>, src: Option<T>) {
    match (dst.as_mut(), src) {
        (None, s) => *dst = s,
        (Some(d), Some(s)) => nonzero(d, s),
        (Some(_), None) => {}
    }
}

/// docker's `mergeUint64`: any written value overrides.
fn ptr_any<T>(dst: &mut Option<T>, src: Option<T>) {
    if src.is_some() {
        *dst = src;
    }
}

fn map_override<V>(dst: &mut BTreeMap<String, V>, src: BTreeMap<String, V>) {
    dst.extend(src);
}

/// docker's keyed slice merge: entries by key (later entries win), then sorted by key.
fn keyed<T, K: Ord>(dst: &mut Vec<T>, src: Vec<T>, key: impl Fn(&T) -> K) {
    if dst.is_empty() {
        *dst = src;
        return;
    }
    let mut m: BTreeMap<K, T> = BTreeMap::new();
    for e in std::mem::take(dst).into_iter().chain(src) {
        m.insert(key(&e), e);
    }
    *dst = m.into_values().collect();
}

#[allow(clippy::needless_pass_by_value)]
fn merge_service(mut b: Service, s: Service) -> Service {
    for (d, v) in [
        (&mut b.cgroupns_mode, s.cgroupns_mode),
        (&mut b.cgroup_parent, s.cgroup_parent),
        (&mut b.container_name, s.container_name),
        (&mut b.domainname, s.domainname),
        (&mut b.hostname, s.hostname),
        (&mut b.image, s.image),
        (&mut b.ipc, s.ipc),
        (&mut b.isolation, s.isolation),
        (&mut b.mac_address, s.mac_address),
        (&mut b.network_mode, s.network_mode),
        (&mut b.pid, s.pid),
        (&mut b.restart, s.restart),
        (&mut b.shm_size, s.shm_size),
        (&mut b.stop_signal, s.stop_signal),
        (&mut b.user, s.user),
        (&mut b.userns_mode, s.userns_mode),
        (&mut b.working_dir, s.working_dir),
    ] {
        string(d, v);
    }
    flag(&mut b.privileged, s.privileged);
    flag(&mut b.read_only, s.read_only);
    flag(&mut b.stdin_open, s.stdin_open);
    flag(&mut b.tty, s.tty);
    nonzero(&mut b.oom_score_adj, s.oom_score_adj);
    if s.build.is_some() {
        b.build = s.build;
    }
    for (d, v) in [
        (&mut b.cap_add, s.cap_add),
        (&mut b.cap_drop, s.cap_drop),
        (&mut b.depends_on, s.depends_on),
        (&mut b.devices, s.devices),
        (&mut b.env_file, s.env_file),
        (&mut b.expose, s.expose),
        (&mut b.external_links, s.external_links),
        (&mut b.extra_hosts, s.extra_hosts),
        (&mut b.links, s.links),
        (&mut b.security_opt, s.security_opt),
        (&mut b.tmpfs, s.tmpfs),
    ] {
        d.extend(v);
    }
    for (d, v) in [(&mut b.dns, s.dns), (&mut b.dns_search, s.dns_search)] {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            d.get_or_insert_with(Vec::new).extend(v);
        }
    }
    if !s.command.is_empty() {
        b.command = s.command;
    }
    if !s.entrypoint.is_empty() {
        b.entrypoint = s.entrypoint;
    }
    string(&mut b.credential_spec.config, s.credential_spec.config);
    string(&mut b.credential_spec.file, s.credential_spec.file);
    string(&mut b.credential_spec.registry, s.credential_spec.registry);
    merge_deploy(&mut b.deploy, s.deploy);
    for (k, v) in s.environment {
        let keep = match (b.environment.get(&k), &v) {
            (_, Some(x)) if !x.is_empty() => false,
            (Some(Some(d)), _) => !d.is_empty(),
            _ => false,
        };
        if !keep {
            b.environment.insert(k, v);
        }
    }
    map_override(&mut b.labels, s.labels);
    map_override(&mut b.sysctls, s.sysctls);
    map_override(&mut b.ulimits, s.ulimits);
    map_override(&mut b.extras, s.extras);
    for (k, v) in s.networks {
        match (b.networks.get_mut(&k), v) {
            (None, v) => {
                b.networks.insert(k, v);
            }
            (Some(d @ None), v) => *d = v,
            (Some(Some(d)), Some(v)) => {
                d.aliases = v.aliases;
                string(&mut d.ipv4_address, v.ipv4_address);
                string(&mut d.ipv6_address, v.ipv6_address);
            }
            (Some(Some(_)), None) => {}
        }
    }
    keyed(&mut b.ports, s.ports, |p: &Port| p.published);
    keyed(&mut b.secrets, s.secrets, |r: &FileReference| {
        r.source.clone()
    });
    keyed(&mut b.configs, s.configs, |r: &FileReference| {
        r.source.clone()
    });
    keyed(&mut b.volumes, s.volumes, |v: &ServiceVolume| {
        v.target.clone()
    });
    b.healthcheck = match (b.healthcheck, s.healthcheck) {
        (None, h) => h,
        (Some(d), None) => Some(d),
        (Some(mut d), Some(h)) => {
            merge_health(&mut d, h);
            Some(d)
        }
    };
    b.logging = match (b.logging, s.logging) {
        (None, l) => l,
        (Some(d), None) => Some(d),
        (Some(d), Some(l)) => Some(merge_logging(d, l)),
    };
    ptr_nonzero(&mut b.stop_grace_period, s.stop_grace_period);
    match (b.init, s.init) {
        (None, v) => b.init = v,
        (Some(_), Some(true)) => b.init = Some(true),
        _ => {}
    }
    b
}

fn merge_health(d: &mut Healthcheck, h: Healthcheck) {
    d.test.extend(h.test);
    ptr_nonzero(&mut d.timeout, h.timeout);
    ptr_nonzero(&mut d.interval, h.interval);
    ptr_nonzero(&mut d.start_period, h.start_period);
    ptr_nonzero(&mut d.start_interval, h.start_interval);
    ptr_any(&mut d.retries, h.retries);
    flag(&mut d.disable, h.disable);
}

fn merge_logging(mut d: Logging, l: Logging) -> Logging {
    if d.driver == l.driver || d.driver.is_empty() || l.driver.is_empty() {
        if d.driver.is_empty() {
            d.driver = l.driver;
        }
        d.options.extend(l.options);
        d
    } else {
        l
    }
}

fn merge_update(d: &mut Option<UpdateConfig>, s: Option<UpdateConfig>) {
    match (d.as_mut(), s) {
        (None, s) => *d = s,
        (Some(_), None) => {}
        (Some(d), Some(s)) => {
            ptr_any(&mut d.parallelism, s.parallelism);
            nonzero(&mut d.delay, s.delay);
            nonzero(&mut d.monitor, s.monitor);
            string(&mut d.failure_action, s.failure_action);
            string(&mut d.order, s.order);
            if s.max_failure_ratio != 0.0 {
                d.max_failure_ratio = s.max_failure_ratio;
            }
        }
    }
}

fn merge_deploy(d: &mut Deploy, s: Deploy) {
    string(&mut d.mode, s.mode);
    string(&mut d.endpoint_mode, s.endpoint_mode);
    ptr_any(&mut d.replicas, s.replicas);
    map_override(&mut d.labels, s.labels);
    merge_update(&mut d.update_config, s.update_config);
    merge_update(&mut d.rollback_config, s.rollback_config);
    match (d.resources.limits.as_mut(), s.resources.limits) {
        (None, l) => d.resources.limits = l,
        (Some(_), None) => {}
        (Some(dl), Some(Limits { cpus, memory, pids })) => {
            string(&mut dl.cpus, cpus);
            nonzero(&mut dl.memory, memory);
            nonzero(&mut dl.pids, pids);
        }
    }
    match (d.resources.reservations.as_mut(), s.resources.reservations) {
        (None, r) => d.resources.reservations = r,
        (Some(_), None) => {}
        (
            Some(dr),
            Some(Reservations {
                cpus,
                memory,
                generic_resources,
            }),
        ) => {
            string(&mut dr.cpus, cpus);
            nonzero(&mut dr.memory, memory);
            dr.generic_resources.extend(generic_resources);
        }
    }
    match (d.restart_policy.as_mut(), s.restart_policy) {
        (None, r) => d.restart_policy = r,
        (Some(_), None) => {}
        (
            Some(dr),
            Some(RestartPolicy {
                condition,
                delay,
                max_attempts,
                window,
            }),
        ) => {
            string(&mut dr.condition, condition);
            ptr_nonzero(&mut dr.delay, delay);
            ptr_nonzero(&mut dr.window, window);
            ptr_any(&mut dr.max_attempts, max_attempts);
        }
    }
    d.placement.constraints.extend(s.placement.constraints);
    d.placement.preferences.extend(s.placement.preferences);
    nonzero(&mut d.placement.max_replicas, s.placement.max_replicas);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ServiceNetwork;

    fn port(published: u32, target: u32) -> Port {
        Port {
            mode: "ingress".into(),
            target,
            published,
            protocol: "tcp".into(),
        }
    }

    /// The same merge `docker stack config -c a.yml -c b.yml` prints (checked against docker
    /// CLI 28.2.2).
    #[test]
    fn docker_merge_rules() {
        let mut a = Service {
            image: "nginx".into(),
            read_only: true,
            cap_add: vec!["NET_ADMIN".into()],
            command: vec!["a".into(), "b".into()],
            dns: Some(vec!["1.1.1.1".into()]),
            ports: vec![port(0, 80), port(0, 81), port(8080, 90)],
            ..Service::default()
        };
        a.environment.insert("A".into(), Some("1".into()));
        a.environment.insert("E".into(), Some(String::new()));
        a.environment.insert("F".into(), Some("f".into()));
        a.deploy.replicas = Some(3);
        a.healthcheck = Some(Healthcheck {
            test: vec!["CMD".into(), "a".into()],
            retries: Some(3),
            ..Healthcheck::default()
        });
        a.networks.insert(
            "n1".into(),
            Some(ServiceNetwork {
                aliases: vec!["x".into()],
                ipv4_address: "1.2.3.4".into(),
                ..ServiceNetwork::default()
            }),
        );
        let mut b = Service {
            read_only: false,
            cap_add: vec!["NET_ADMIN".into(), "SYS_ADMIN".into()],
            dns: Some(vec!["8.8.8.8".into()]),
            ..Service::default()
        };
        b.environment.insert("A".into(), Some("9".into()));
        b.environment.insert("C".into(), None);
        b.environment.insert("E".into(), Some("e".into()));
        b.environment.insert("F".into(), Some(String::new()));
        b.deploy.replicas = Some(0);
        b.healthcheck = Some(Healthcheck {
            test: vec!["CMD".into(), "b".into()],
            retries: Some(0),
            ..Healthcheck::default()
        });
        b.networks.insert(
            "n1".into(),
            Some(ServiceNetwork {
                aliases: vec!["y".into()],
                ..ServiceNetwork::default()
            }),
        );
        let m = merge_service(a, b);
        assert!(m.read_only, "false does not override");
        assert_eq!(m.cap_add, ["NET_ADMIN", "NET_ADMIN", "SYS_ADMIN"]);
        assert_eq!(m.command, ["a", "b"]);
        assert_eq!(m.dns.unwrap(), ["1.1.1.1", "8.8.8.8"]);
        assert_eq!(
            m.ports,
            vec![port(0, 81), port(8080, 90)],
            "unpublished ports collapse"
        );
        assert_eq!(m.environment["A"].as_deref(), Some("9"));
        assert_eq!(m.environment["C"], None);
        assert_eq!(m.environment["E"].as_deref(), Some("e"));
        assert_eq!(m.environment["F"].as_deref(), Some("f"));
        assert_eq!(m.deploy.replicas, Some(0), "replicas 0 overrides");
        let h = m.healthcheck.unwrap();
        assert_eq!(h.test, ["CMD", "a", "CMD", "b"]);
        assert_eq!(h.retries, Some(0));
        let n = m.networks["n1"].clone().unwrap();
        assert_eq!(
            (n.aliases, n.ipv4_address.as_str()),
            (vec!["y".to_owned()], "1.2.3.4")
        );
    }

    #[test]
    fn logging_merges_for_the_same_driver_only() {
        let l = |d: &str, k: &str| Logging {
            driver: d.into(),
            options: [(k.to_owned(), "1".to_owned())].into(),
        };
        let m = merge_logging(l("json-file", "a"), l("", "b"));
        assert_eq!((m.driver.as_str(), m.options.len()), ("json-file", 2));
        let m = merge_logging(l("json-file", "a"), l("syslog", "b"));
        assert_eq!((m.driver.as_str(), m.options.len()), ("syslog", 1));
    }
}
