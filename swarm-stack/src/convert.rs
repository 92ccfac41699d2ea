//! The loaded model → swarm objects, as docker's `cli/compose/convert` builds them: services
//! named `STACK_service` with the `com.docker.stack.namespace` and `com.docker.stack.image`
//! labels, the networks the services use (`STACK_default` when a service names none), and every
//! config and secret of the file (data read from their files).
//!
//! Secret and config references carry names only: their IDs are looked up when deploying.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value as Json, json};
use swarm_client::configs::ObjectCreate;
use swarm_client::mount::{BindOptions, Driver, Mount, MountType, TmpfsOptions, VolumeOptions};
use swarm_client::networks::{Ipam, IpamConfig, NetworkCreate};
use swarm_client::port::{PortConfig, Protocol, PublishMode};
use swarm_client::spec::{
    ConfigReference, ContainerSpec, DnsConfig, Empty, EndpointMode, EndpointSpec, FailureAction,
    FileTarget, GenericResource, HealthConfig, Limit, LogDriver, NetworkAttachmentConfig,
    Placement, PlacementPreference, Replicated, ReplicatedJob, ResourceRequirements, Resources,
    RestartCondition, RestartPolicy, SecretReference, ServiceMode, ServiceSpec, SpreadOver,
    TaskSpec, Ulimit, UpdateConfig, UpdateOrder,
};

use crate::error::LoadError;
use crate::model::{self, Compose, FileObject, Service};

/// The label naming the stack of an object.
pub const LABEL_NAMESPACE: &str = "com.docker.stack.namespace";
/// The service label holding the image as written in the compose file.
pub const LABEL_IMAGE: &str = "com.docker.stack.image";

/// Everything a stack deploy creates or updates.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct StackSpec {
    /// The stack name.
    pub namespace: String,
    /// Service specs by compose service key (spec names are `STACK_key`).
    pub services: BTreeMap<String, ServiceSpec>,
    /// Networks to create, by name (the driver is empty where docker defaults to `overlay`).
    pub networks: BTreeMap<String, NetworkCreate>,
    /// External networks the services use (must exist, swarm-scoped unless built in).
    pub external_networks: Vec<String>,
    /// Secrets to create (not external ones).
    pub secrets: Vec<ObjectCreate>,
    /// Configs to create (not external ones).
    pub configs: Vec<ObjectCreate>,
}

/// `Namespace.Scope`: `STACK_name`.
#[must_use]
pub fn scope(namespace: &str, name: &str) -> String {
    format!("{namespace}_{name}")
}

fn stack_labels(namespace: &str, labels: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut l = labels.clone();
    l.insert(LABEL_NAMESPACE.into(), namespace.into());
    l
}

/// Converts a loaded stack. `read` reads the files of secrets and configs.
///
/// # Errors
/// docker's conversion errors: [`LoadError::Service`] (`undefined network "x"`, `undefined
/// secret "x"`, `Unknown mode: x`, `replicas can only be used with replicated or
/// replicated-job mode`, CPU counts, restart policies, mounts, duplicate targets, …) and
/// [`LoadError::ObjectFile`] when a secret or config file cannot be read.
pub fn convert(
    namespace: &str,
    compose: &Compose,
    read: &dyn Fn(&str) -> Result<Vec<u8>, String>,
) -> Result<StackSpec, LoadError> {
    let mut out = StackSpec {
        namespace: namespace.to_owned(),
        ..StackSpec::default()
    };
    let mut used: BTreeSet<String> = BTreeSet::new();
    for s in compose.services.values() {
        if s.networks.is_empty() {
            used.insert("default".into());
        }
        used.extend(s.networks.keys().cloned());
    }
    for key in &used {
        let nw = compose.networks.get(key).cloned().unwrap_or_default();
        if nw.external {
            out.external_networks.push(nw.name.clone());
            continue;
        }
        let name = if nw.name.is_empty() {
            scope(namespace, key)
        } else {
            nw.name.clone()
        };
        let mut n = NetworkCreate::new(name.clone(), nw.driver.clone());
        n.options = nw.driver_opts.clone();
        n.labels = stack_labels(namespace, &nw.labels);
        n.internal = nw.internal;
        n.attachable = nw.attachable;
        if !nw.ipam_driver.is_empty() || !nw.ipam_subnets.is_empty() {
            let mut ipam = Ipam::default();
            ipam.driver = nw.ipam_driver.clone();
            ipam.config = nw.ipam_subnets.iter().map(IpamConfig::subnet).collect();
            n.ipam = Some(ipam);
        }
        out.networks.insert(name, n);
    }
    for (key, obj) in &compose.secrets {
        if !obj.external {
            out.secrets
                .push(file_object(namespace, key, obj, true, read)?);
        }
    }
    for (key, obj) in &compose.configs {
        if !obj.external {
            out.configs
                .push(file_object(namespace, key, obj, false, read)?);
        }
    }
    for (key, s) in &compose.services {
        let spec = service(namespace, s, compose).map_err(|reason| LoadError::Service {
            service: key.clone(),
            reason,
        })?;
        out.services.insert(key.clone(), spec);
    }
    Ok(out)
}

fn file_object(
    namespace: &str,
    key: &str,
    obj: &FileObject,
    secret: bool,
    read: &dyn Fn(&str) -> Result<Vec<u8>, String>,
) -> Result<ObjectCreate, LoadError> {
    let name = if obj.name.is_empty() {
        scope(namespace, key)
    } else {
        obj.name.clone()
    };
    let data = if secret && !obj.driver.is_empty() {
        Vec::new()
    } else {
        read(&obj.file).map_err(|reason| LoadError::ObjectFile {
            path: obj.file.clone(),
            reason,
        })?
    };
    let mut o = ObjectCreate::new(name, data);
    o.labels = stack_labels(namespace, &obj.labels);
    if secret && !obj.driver.is_empty() {
        let mut d = Driver::default();
        d.name = obj.driver.clone();
        d.options = obj.driver_opts.clone();
        o.driver = Some(d);
    }
    if !obj.template_driver.is_empty() {
        let mut d = Driver::default();
        d.name = obj.template_driver.clone();
        o.templating = Some(d);
    }
    Ok(o)
}

fn nonempty<T: From<String>>(s: &str) -> Option<T> {
    (!s.is_empty()).then(|| T::from(s.to_owned()))
}

/// `Service()` of docker's convert package for one service.
#[allow(clippy::too_many_lines)]
fn service(namespace: &str, s: &Service, compose: &Compose) -> Result<ServiceSpec, String> {
    let mut spec = ServiceSpec::default();
    spec.name = scope(namespace, &s.name);
    spec.labels = stack_labels(namespace, &s.deploy.labels);
    spec.labels.insert(LABEL_IMAGE.into(), s.image.clone());

    let mut endpoint = EndpointSpec::default();
    endpoint.mode = nonempty::<EndpointMode>(&s.deploy.endpoint_mode.to_lowercase());
    let mut ports: Vec<PortConfig> = s
        .ports
        .iter()
        .map(|p| {
            let mut c = PortConfig::default();
            c.protocol = nonempty::<Protocol>(&p.protocol);
            c.target_port = p.target;
            c.published_port = p.published;
            c.publish_mode = nonempty::<PublishMode>(&p.mode);
            c
        })
        .collect();
    ports.sort_by_key(|p| p.published_port);
    endpoint.ports = ports;
    spec.endpoint_spec = Some(endpoint);

    spec.mode = mode(&s.deploy.mode, s.deploy.replicas)?;

    let mut c = ContainerSpec::default();
    c.image = s.image.clone();
    c.command = s.entrypoint.clone();
    c.args = s.command.clone();
    c.hostname = s.hostname.clone();
    c.hosts = s
        .extra_hosts
        .iter()
        .filter_map(|h| h.split_once(':').map(|(host, ip)| format!("{ip} {host}")))
        .collect();
    if s.dns.is_some() || s.dns_search.is_some() {
        let mut d = DnsConfig::default();
        d.nameservers = s.dns.clone().unwrap_or_default();
        d.search = s.dns_search.clone().unwrap_or_default();
        c.dns_config = Some(d);
    }
    c.healthcheck = healthcheck(s.healthcheck.as_ref())?;
    let mut env: Vec<String> = s
        .environment
        .iter()
        .map(|(k, v)| match v {
            None => k.clone(),
            Some(v) => format!("{k}={v}"),
        })
        .collect();
    env.sort();
    c.env = env;
    c.labels = stack_labels(namespace, &s.labels);
    c.dir = s.working_dir.clone();
    c.user = s.user.clone();
    c.mounts = s
        .volumes
        .iter()
        .map(|v| mount(v, compose, namespace))
        .collect::<Result<_, _>>()?;
    c.stop_grace_period = s.stop_grace_period;
    c.stop_signal = s.stop_signal.clone();
    c.tty = s.tty;
    c.open_stdin = s.stdin_open;
    c.read_only = s.read_only;
    c.isolation = s.isolation.clone();
    c.init = s.init;
    c.sysctls = s.sysctls.clone();
    let (add, drop) = effective_caps(&s.cap_add, &s.cap_drop);
    c.capability_add = add;
    c.capability_drop = drop;
    c.ulimits = s
        .ulimits
        .iter()
        .map(|(name, u)| {
            let mut l = Ulimit::default();
            l.name = name.clone();
            if u.single == 0 {
                l.soft = u.soft;
                l.hard = u.hard;
            } else {
                l.soft = u.single;
                l.hard = u.single;
            }
            l
        })
        .collect();
    c.oom_score_adj = s.oom_score_adj;
    c.secrets = secret_refs(namespace, s, compose)?;
    c.configs = config_refs(namespace, s, compose)?;
    c.extra.insert(
        "Privileges".into(),
        json!({
            "CredentialSpec": credential_spec(namespace, &s.credential_spec, &c.configs)?,
            "SELinuxContext": null,
        }),
    );

    let mut t = TaskSpec::default();
    t.container_spec = Some(c);
    if let Some(l) = &s.logging {
        let mut d = LogDriver::default();
        d.name = l.driver.clone();
        d.options = l.options.clone();
        t.log_driver = Some(d);
    }
    t.resources = Some(resources(&s.deploy.resources)?);
    t.restart_policy = restart_policy(&s.restart, s.deploy.restart_policy.as_ref())?;
    let mut placement = Placement::default();
    placement.constraints = s.deploy.placement.constraints.clone();
    placement.preferences = s
        .deploy
        .placement
        .preferences
        .iter()
        .map(|d| {
            let mut over = SpreadOver::default();
            over.spread_descriptor = d.clone();
            let mut p = PlacementPreference::default();
            p.spread = Some(over);
            p
        })
        .collect();
    placement.max_replicas = s.deploy.placement.max_replicas;
    t.placement = Some(placement);
    t.networks = networks(namespace, s, compose)?;
    spec.task_template = t;
    spec.update_config = s.deploy.update_config.as_ref().map(update_config);
    spec.rollback_config = s.deploy.rollback_config.as_ref().map(update_config);
    Ok(spec)
}

fn mode(mode: &str, replicas: Option<u64>) -> Result<ServiceMode, String> {
    Ok(match mode {
        "global-job" | "global" => {
            if replicas.is_some() {
                return Err(
                    "replicas can only be used with replicated or replicated-job mode".into(),
                );
            }
            if mode == "global" {
                ServiceMode::Global(Empty::default())
            } else {
                ServiceMode::GlobalJob(Empty::default())
            }
        }
        "replicated-job" => {
            let mut j = ReplicatedJob::default();
            j.max_concurrent = replicas;
            j.total_completions = replicas;
            ServiceMode::ReplicatedJob(j)
        }
        "replicated" | "" => {
            let mut r = Replicated::default();
            r.replicas = replicas;
            ServiceMode::Replicated(r)
        }
        other => return Err(format!("Unknown mode: {other}")),
    })
}

fn healthcheck(h: Option<&model::Healthcheck>) -> Result<Option<HealthConfig>, String> {
    let Some(h) = h else { return Ok(None) };
    let mut out = HealthConfig::default();
    if h.disable {
        if !h.test.is_empty() {
            return Err("test and disable can't be set at the same time".into());
        }
        out.test = vec!["NONE".into()];
        return Ok(Some(out));
    }
    out.test = h.test.clone();
    out.timeout = h.timeout.unwrap_or(0);
    out.interval = h.interval.unwrap_or(0);
    out.start_period = h.start_period.unwrap_or(0);
    out.start_interval = h.start_interval.unwrap_or(0);
    out.retries = h
        .retries
        .map_or(0, |r| i64::try_from(r).unwrap_or(i64::MAX));
    Ok(Some(out))
}

/// `opts.EffectiveCapAddCapDrop`: `CAP_` names, `ALL` wins, adding beats dropping, sorted.
fn effective_caps(add: &[String], drop: &[String]) -> (Vec<String>, Vec<String>) {
    let norm = |c: &String| {
        let c = c.trim().to_uppercase();
        if c == "ALL" || c == "RESET" || c.starts_with("CAP_") {
            c
        } else {
            format!("CAP_{c}")
        }
    };
    let mut a: BTreeSet<String> = add.iter().map(norm).collect();
    let mut d: BTreeSet<String> = drop.iter().map(norm).collect();
    if a.contains("ALL") {
        a = BTreeSet::from(["ALL".to_owned()]);
    }
    if d.contains("ALL") {
        d = BTreeSet::from(["ALL".to_owned()]);
    }
    let drop = d
        .into_iter()
        .filter(|c| !a.contains(c) && c != "RESET")
        .collect();
    let add = a.into_iter().filter(|c| c != "RESET").collect();
    (add, drop)
}

fn file_ref(
    namespace: &str,
    r: &model::FileReference,
    objects: &BTreeMap<String, FileObject>,
    kind: &str,
) -> Result<(String, FileTarget), String> {
    let obj = objects
        .get(&r.source)
        .ok_or_else(|| format!("undefined {kind} \"{}\"", r.source))?;
    let name = if obj.name.is_empty() {
        scope(namespace, &r.source)
    } else {
        obj.name.clone()
    };
    let mut f = FileTarget::default();
    f.name = if r.target.is_empty() {
        r.source.clone()
    } else {
        r.target.clone()
    };
    f.uid = if r.uid.is_empty() {
        "0".into()
    } else {
        r.uid.clone()
    };
    f.gid = if r.gid.is_empty() {
        "0".into()
    } else {
        r.gid.clone()
    };
    f.mode = r.mode.unwrap_or(0o444);
    Ok((name, f))
}

fn secret_refs(
    namespace: &str,
    s: &Service,
    compose: &Compose,
) -> Result<Vec<SecretReference>, String> {
    let mut targets = BTreeSet::new();
    let mut out = Vec::new();
    for r in &s.secrets {
        let (name, file) = file_ref(namespace, r, &compose.secrets, "secret")?;
        if !targets.insert(file.name.clone()) {
            return Err(format!("duplicate secret target for {name} not allowed"));
        }
        let mut sr = SecretReference::default();
        sr.secret_name = name;
        sr.file = Some(file);
        out.push(sr);
    }
    out.sort_by(|a, b| {
        (&a.secret_name, a.file.as_ref().map(|f| &f.name))
            .cmp(&(&b.secret_name, b.file.as_ref().map(|f| &f.name)))
    });
    Ok(out)
}

fn config_refs(
    namespace: &str,
    s: &Service,
    compose: &Compose,
) -> Result<Vec<ConfigReference>, String> {
    let mut targets = BTreeSet::new();
    let mut out = Vec::new();
    for r in &s.configs {
        let (name, file) = file_ref(namespace, r, &compose.configs, "config")?;
        if !targets.insert(file.name.clone()) {
            return Err(format!("duplicate config target for {name} not allowed"));
        }
        let mut cr = ConfigReference::default();
        cr.config_name = name;
        cr.file = Some(file);
        out.push(cr);
    }
    let cs = &s.credential_spec.config;
    if !cs.is_empty() {
        let obj = compose
            .configs
            .get(cs)
            .ok_or_else(|| format!("undefined config \"{cs}\""))?;
        let name = if obj.name.is_empty() {
            scope(namespace, cs)
        } else {
            obj.name.clone()
        };
        if !out
            .iter()
            .any(|r| r.runtime.is_some() && r.config_name == name)
        {
            let mut cr = ConfigReference::default();
            cr.config_name = name;
            cr.runtime = Some(json!({}));
            out.push(cr);
        }
    }
    out.sort_by(|a, b| {
        (&a.config_name, a.file.as_ref().map(|f| &f.name))
            .cmp(&(&b.config_name, b.file.as_ref().map(|f| &f.name)))
    });
    Ok(out)
}

/// `convertCredentialSpec`; a config is named here and replaced by its ID when deploying.
fn credential_spec(
    namespace: &str,
    spec: &model::CredentialSpec,
    refs: &[ConfigReference],
) -> Result<Json, String> {
    let set: Vec<&str> = [
        ("\"Config\"", &spec.config),
        ("\"File\"", &spec.file),
        ("\"Registry\"", &spec.registry),
    ]
    .iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, _)| *k)
    .collect();
    match set.len() {
        0 => return Ok(Json::Null),
        1 => {}
        2 => {
            return Err(format!(
                "invalid credential spec: cannot specify both {} and {}",
                set[0], set[1]
            ));
        }
        _ => {
            return Err(format!(
                "invalid credential spec: cannot specify both {}, and {}",
                set[..set.len() - 1].join(", "),
                set[set.len() - 1]
            ));
        }
    }
    let mut config = spec.config.clone();
    if !config.is_empty() {
        let found = refs.iter().find(|r| r.config_name == config).or_else(|| {
            refs.iter()
                .find(|r| r.config_name == scope(namespace, &config))
        });
        match found {
            Some(r) => config = r.config_name.clone(),
            None => {
                return Err(format!(
                    "invalid credential spec: spec specifies config {config}, but no such config can be found"
                ));
            }
        }
    }
    Ok(json!({"Config": config, "File": spec.file, "Registry": spec.registry}))
}

fn resources(r: &model::Resources) -> Result<ResourceRequirements, String> {
    let mut out = ResourceRequirements::default();
    if let Some(l) = &r.limits {
        let mut lim = Limit::default();
        if !l.cpus.is_empty() {
            lim.nano_cpus = sdk_grammar::units::parse_cpus(&l.cpus).map_err(|e| e.to_string())?;
        }
        lim.memory_bytes = l.memory;
        lim.pids = l.pids;
        out.limits = Some(lim);
    }
    if let Some(rv) = &r.reservations {
        let mut res = Resources::default();
        if !rv.cpus.is_empty() {
            res.nano_cpus = sdk_grammar::units::parse_cpus(&rv.cpus).map_err(|e| e.to_string())?;
        }
        res.memory_bytes = rv.memory;
        res.generic_resources = rv
            .generic_resources
            .iter()
            .map(|g| match g {
                Some((kind, value)) => GenericResource::discrete(kind.clone(), *value),
                None => GenericResource::default(),
            })
            .collect();
        out.reservations = Some(res);
    }
    Ok(out)
}

/// `convertRestartPolicy`: `deploy.restart_policy`, else the (unsupported) `restart` key.
fn restart_policy(
    restart: &str,
    p: Option<&model::RestartPolicy>,
) -> Result<Option<RestartPolicy>, String> {
    let mut out = RestartPolicy::default();
    if let Some(p) = p {
        out.condition = nonempty::<RestartCondition>(&p.condition);
        out.delay = p.delay;
        out.max_attempts = p.max_attempts;
        out.window = p.window;
        return Ok(Some(out));
    }
    if restart.is_empty() {
        return Ok(None);
    }
    let (name, count) = match restart.split_once(':') {
        Some(("", _)) => {
            return Err("invalid restart policy format: no policy provided before colon".into());
        }
        Some((n, c)) => (n, c),
        None => (restart, ""),
    };
    let mut attempts = 0u64;
    if !count.is_empty() {
        let n: i64 = count.parse().map_err(|_| {
            "invalid restart policy format: maximum retry count must be an integer".to_owned()
        })?;
        attempts = n as u64;
    }
    match name {
        "no" | "" => Ok(None),
        "always" | "unless-stopped" => {
            out.condition = Some(RestartCondition::Any);
            Ok(Some(out))
        }
        "on-failure" => {
            out.condition = Some(RestartCondition::OnFailure);
            out.max_attempts = Some(attempts);
            Ok(Some(out))
        }
        _ => Err(format!("unknown restart policy: {restart}")),
    }
}

fn update_config(u: &model::UpdateConfig) -> UpdateConfig {
    let mut c = UpdateConfig::default();
    c.parallelism = u.parallelism.unwrap_or(1);
    c.delay = u.delay;
    c.failure_action = nonempty::<FailureAction>(&u.failure_action);
    c.monitor = u.monitor;
    c.max_failure_ratio = u.max_failure_ratio;
    c.order = nonempty::<UpdateOrder>(&u.order);
    c
}

/// `container.NetworkMode(target).IsUserDefined()`.
fn user_defined(target: &str) -> bool {
    !matches!(target, "default" | "bridge" | "host" | "none") && !target.starts_with("container:")
}

fn networks(
    namespace: &str,
    s: &Service,
    compose: &Compose,
) -> Result<Vec<NetworkAttachmentConfig>, String> {
    let default = BTreeMap::from([("default".to_owned(), None)]);
    let nets = if s.networks.is_empty() {
        &default
    } else {
        &s.networks
    };
    let mut out = Vec::new();
    for (key, cfg) in nets {
        let nw = compose.networks.get(key);
        if nw.is_none() && key != "default" {
            return Err(format!("undefined network \"{key}\""));
        }
        let target = match nw {
            Some(n) if !n.name.is_empty() => n.name.clone(),
            _ => scope(namespace, key),
        };
        let mut a = NetworkAttachmentConfig::default();
        if let Some(c) = cfg {
            a.aliases = c.aliases.clone();
            a.driver_opts = c.driver_opts.clone();
        }
        if user_defined(&target) {
            a.aliases.push(s.name.clone());
        }
        a.target = target;
        out.push(a);
    }
    out.sort_by(|a, b| a.target.cmp(&b.target));
    Ok(out)
}

fn mount(v: &model::ServiceVolume, compose: &Compose, namespace: &str) -> Result<Mount, String> {
    let mut m = Mount::default();
    m.r#type = MountType::from(v.r#type.as_str());
    m.target = v.target.clone();
    m.read_only = v.read_only;
    m.source = v.source.clone();
    m.consistency = v.consistency.clone();
    let t = v.r#type.as_str();
    let incompatible = |what: &str| Err(format!("{what} options are incompatible with type {t}"));
    match t {
        "volume" | "" => {
            m.r#type = MountType::Volume;
            if v.tmpfs.is_some() {
                return incompatible("tmpfs");
            }
            if v.bind.is_some() {
                return incompatible("bind");
            }
            if v.source.is_empty() {
                return Ok(m);
            }
            let stack_volume = compose
                .volumes
                .get(&v.source)
                .ok_or_else(|| format!("undefined volume \"{}\"", v.source))?;
            m.source = if stack_volume.name.is_empty() {
                scope(namespace, &v.source)
            } else {
                stack_volume.name.clone()
            };
            let mut o = VolumeOptions::default();
            if let Some((nocopy, sub)) = &v.volume {
                o.no_copy = *nocopy;
                o.subpath = sub.clone();
            }
            if !stack_volume.external {
                o.labels = stack_labels(namespace, &stack_volume.labels);
                if !stack_volume.driver.is_empty() || stack_volume.driver_opts.is_some() {
                    let mut d = Driver::default();
                    d.name = stack_volume.driver.clone();
                    d.options = stack_volume.driver_opts.clone().unwrap_or_default();
                    o.driver_config = Some(d);
                }
            }
            m.volume_options = Some(o);
        }
        "bind" | "npipe" => {
            if v.source.is_empty() {
                return Err(format!("invalid {t} source, source cannot be empty"));
            }
            if v.volume.is_some() {
                return incompatible("volume");
            }
            if v.tmpfs.is_some() {
                return incompatible("tmpfs");
            }
            if let Some(p) = &v.bind {
                let mut b = BindOptions::default();
                b.propagation = p.clone();
                m.bind_options = Some(b);
            }
        }
        "tmpfs" => {
            if !v.source.is_empty() {
                return Err("invalid tmpfs source, source must be empty".into());
            }
            if v.bind.is_some() {
                return incompatible("bind");
            }
            if v.volume.is_some() {
                return incompatible("volume");
            }
            if let Some(size) = v.tmpfs {
                let mut o = TmpfsOptions::default();
                o.size_bytes = size;
                m.tmpfs_options = Some(o);
            }
        }
        "image" => {
            if v.source.is_empty() {
                return Err("invalid image source, source cannot be empty".into());
            }
            if v.volume.is_some() {
                return incompatible("volume");
            }
            if v.bind.is_some() {
                return incompatible("bind");
            }
            if v.tmpfs.is_some() {
                return incompatible("tmpfs");
            }
        }
        "cluster" => {
            return Err("cluster volumes are not supported by swarm-stack yet".into());
        }
        _ => return Err("volume type must be volume, bind, tmpfs, npipe, or cluster".into()),
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ComposeFile, Loader};

    fn stack(yaml: &str) -> Result<StackSpec, LoadError> {
        let loaded = Loader::new("/w")
            .env("HOME", "/home/u")
            .file(ComposeFile::new("a.yml", yaml))
            .load()?;
        convert("st", &loaded.compose, &|p: &str| {
            Ok(format!("data of {p}").into_bytes())
        })
    }

    fn json_of(yaml: &str) -> Json {
        serde_json::to_value(&stack(yaml).unwrap().services["web"]).unwrap()
    }

    #[test]
    fn names_labels_and_the_default_network() {
        let s = stack("services:\n  web:\n    image: nginx\n    labels: [a=1]\n    deploy: {labels: {b: '2'}}\n").unwrap();
        let web = &s.services["web"];
        assert_eq!(web.name, "st_web");
        assert_eq!(web.labels["b"], "2");
        assert_eq!(web.labels[LABEL_NAMESPACE], "st");
        assert_eq!(web.labels[LABEL_IMAGE], "nginx");
        let c = web.container().unwrap();
        assert_eq!(c.labels["a"], "1");
        assert_eq!(c.labels[LABEL_NAMESPACE], "st");
        assert_eq!(web.task_template.networks[0].target, "st_default");
        assert_eq!(web.task_template.networks[0].aliases, ["web"]);
        let n = &s.networks["st_default"];
        assert_eq!(
            (n.driver.as_str(), n.labels[LABEL_NAMESPACE].as_str()),
            ("", "st")
        );
    }

    #[test]
    fn spec_json_matches_what_docker_sends() {
        let j = json_of(
            "services:\n  web:\n    image: nginx\n    command: nginx -g 'daemon off;'\n    environment: {B: '2', A: }\n    ports: ['8080:80', {target: 81, published: 81, mode: host}]\n    deploy:\n      replicas: 2\n      resources: {limits: {cpus: '0.5', memory: 64M}}\n      restart_policy: {condition: on-failure, max_attempts: 3}\n      update_config: {parallelism: 2, delay: 10s}\n    networks: [host]\nnetworks:\n  host: {external: true, name: host}\n",
        );
        assert_eq!(j["Mode"], json!({"Replicated": {"Replicas": 2}}));
        let c = &j["TaskTemplate"]["ContainerSpec"];
        assert_eq!(c["Args"], json!(["nginx", "-g", "daemon off;"]));
        assert_eq!(c["Env"], json!(["A", "B=2"]));
        assert_eq!(
            c["Privileges"],
            json!({"CredentialSpec": null, "SELinuxContext": null})
        );
        assert_eq!(
            j["TaskTemplate"]["Resources"]["Limits"],
            json!({"NanoCPUs": 500_000_000, "MemoryBytes": 64 << 20})
        );
        assert_eq!(
            j["TaskTemplate"]["RestartPolicy"],
            json!({"Condition": "on-failure", "MaxAttempts": 3})
        );
        assert_eq!(
            j["TaskTemplate"]["Networks"],
            json!([{"Target": "host"}]),
            "no alias on host"
        );
        assert_eq!(
            j["UpdateConfig"],
            json!({"Parallelism": 2, "Delay": 10_000_000_000u64, "MaxFailureRatio": 0})
        );
        assert_eq!(
            j["EndpointSpec"]["Ports"],
            json!([
                {"TargetPort": 81, "PublishedPort": 81, "PublishMode": "host"},
                {"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080, "PublishMode": "ingress"}
            ])
        );
    }

    #[test]
    fn volumes_secrets_and_configs() {
        let s = stack(
            "services:\n  web:\n    image: nginx\n    volumes: ['www:/html:ro', './site:/site', '~/x:/x']\n    secrets: [pw, {source: pw, target: /etc/pw2, mode: 0400}]\n    configs: [{source: conf, target: /etc/nginx.conf, mode: 0440}]\nvolumes:\n  www:\n    driver_opts: {type: nfs, o: 'addr=192.168.1.220,rw', device: ':/www'}\nsecrets:\n  pw: {file: ./pw.txt}\nconfigs:\n  conf: {file: nginx.conf, name: custom_conf}\n",
        )
        .unwrap();
        let web = &s.services["web"];
        let c = web.container().unwrap();
        let m = serde_json::to_value(&c.mounts).unwrap();
        assert_eq!(m[0]["Source"], "st_www");
        assert_eq!(m[0]["ReadOnly"], true);
        assert_eq!(
            m[0]["VolumeOptions"]["DriverConfig"]["Options"]["device"],
            ":/www"
        );
        assert_eq!(m[0]["VolumeOptions"]["Labels"][LABEL_NAMESPACE], "st");
        assert_eq!(m[1]["Source"], "/w/site");
        assert_eq!(m[2]["Source"], "/home/u/x");
        assert_eq!(c.secrets.len(), 2);
        assert_eq!(c.secrets[0].secret_name, "st_pw");
        let f = c.secrets[1].file.as_ref().unwrap();
        assert_eq!((f.name.as_str(), f.mode), ("pw", 0o444));
        let f = c.secrets[0].file.as_ref().unwrap();
        assert_eq!((f.name.as_str(), f.mode), ("/etc/pw2", 0o400));
        assert_eq!(c.configs[0].config_name, "custom_conf");
        assert_eq!(c.configs[0].file.as_ref().unwrap().mode, 0o440);
        assert_eq!(s.secrets[0].name, "st_pw");
        assert_eq!(s.secrets[0].data, b"data of /w/pw.txt");
        assert_eq!(s.configs[0].name, "custom_conf");
    }

    #[test]
    fn dockers_conversion_errors() {
        let err = |y: &str| stack(y).unwrap_err().to_string();
        assert_eq!(
            err("services:\n  web: {image: a, networks: [nope]}\n"),
            "service web: undefined network \"nope\""
        );
        assert_eq!(
            err("services:\n  web: {image: a, deploy: {mode: global, replicas: 2}}\n"),
            "service web: replicas can only be used with replicated or replicated-job mode"
        );
        assert_eq!(
            err("services:\n  web: {image: a, deploy: {mode: sometimes}}\n"),
            "service web: Unknown mode: sometimes"
        );
        assert_eq!(
            err("services:\n  web: {image: a, secrets: [x]}\n"),
            "service web: undefined secret \"x\""
        );
        assert_eq!(
            err("services:\n  web: {image: a, volumes: ['vol:/x']}\n"),
            "service web: undefined volume \"vol\""
        );
        assert_eq!(
            err("services:\n  web: {image: a, deploy: {resources: {limits: {cpus: 'lots'}}}}\n"),
            "service web: failed to parse lots as a rational number"
        );
    }

    #[test]
    fn restart_key_is_used_when_no_restart_policy() {
        let rp = |r: &str| {
            json_of(&format!("services:\n  web: {{image: a, restart: '{r}'}}\n"))["TaskTemplate"]
                ["RestartPolicy"]
                .clone()
        };
        assert_eq!(rp("always"), json!({"Condition": "any"}));
        assert_eq!(
            rp("on-failure:3"),
            json!({"Condition": "on-failure", "MaxAttempts": 3})
        );
        assert_eq!(rp("no"), Json::Null);
    }

    #[test]
    fn caps_are_normalised() {
        let (a, d) = effective_caps(
            &["net_admin".into(), "CAP_SYS_TIME".into()],
            &["NET_ADMIN".into(), "mknod".into()],
        );
        assert_eq!(a, ["CAP_NET_ADMIN", "CAP_SYS_TIME"]);
        assert_eq!(d, ["CAP_MKNOD"]);
    }
}
