//! Deploying a [`StackSpec`] through [`swarm_client::Client`]: what `docker stack deploy` does,
//! then better.
//!
//! Like docker: networks the stack lacks are created (`overlay` by default), configs and
//! secrets created, services created or updated with docker's specs, `--prune` removes the
//! stack's services the files no longer name, `--resolve-image always|changed|never` pins
//! images to their digest as the CLI does, `--with-registry-auth` sends credentials.
//!
//! Better than docker:
//! - [`plan`] says what a deploy would create, update (field by field) and remove, and changes
//!   nothing;
//! - every check (manager, external networks, config and secret files, image references)
//!   runs before the first object is created;
//! - an unchanged service is not updated (docker updates every service each time), so a
//!   re-deploy of an unchanged file sends no update and restarts no task;
//! - by default the deploy waits until every service runs the spec just deployed, with one
//!   progress view, and fails naming the service and its task error (`detach` returns at once);
//! - a config or secret whose content changed (which the daemon refuses to update in place) is
//!   rotated: a new object `NAME-vN` with the same labels, the services switched to it, and the
//!   old one removed once the stack converged (`docker stack rm` still finds every version).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value as Json, json};
use swarm_client::configs::ObjectCreate;
use swarm_client::converge::{Progress, WaitOptions};
use swarm_client::models::{Network, Service, SwarmObject, Task};
use swarm_client::services::{CreateOptions, UpdateOptions};
use swarm_client::spec::ServiceSpec;
use swarm_client::tasks::TaskFilter;
use swarm_client::{Client, RegistryAuth};

use crate::convert::{LABEL_IMAGE, LABEL_NAMESPACE, StackSpec};
use crate::error::{Error, Result};

/// `--resolve-image`: when to ask the registry for an image's digest and platforms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ResolveImage {
    /// Always (docker's default).
    #[default]
    Always,
    /// Only for images that changed since the last deploy.
    Changed,
    /// Never: images are sent as written.
    Never,
}

impl std::str::FromStr for ResolveImage {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "always" => Ok(Self::Always),
            "changed" => Ok(Self::Changed),
            "never" => Ok(Self::Never),
            _ => Err(Error::InvalidOption(format!(
                "Invalid option {s} for flag --resolve-image"
            ))),
        }
    }
}

/// Looks up the registry credentials for an image (`--with-registry-auth`).
pub type AuthLookup = Arc<dyn Fn(&str) -> Option<RegistryAuth> + Send + Sync>;

/// Progress reports of [`deploy`], one stream for the whole stack.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// An object was created (`Creating network day5_default` in docker's words).
    Created {
        /// `network`, `config`, `secret` or `service`.
        kind: &'static str,
        /// Its name.
        name: String,
    },
    /// A service was updated, or a config or secret got new labels.
    Updated {
        /// `config`, `secret` or `service`.
        kind: &'static str,
        /// Its name.
        name: String,
    },
    /// A service, config or secret was removed (prune, rotation clean-up).
    Removed {
        /// `config`, `secret` or `service`.
        kind: &'static str,
        /// Its name.
        name: String,
    },
    /// A warning (image not resolvable, daemon warnings).
    Warning(String),
    /// Running and desired tasks of every service still converging.
    Progress(BTreeMap<String, (u64, u64)>),
    /// Every service converged.
    Converged,
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Created { kind, name } => write!(f, "Creating {kind} {name}"),
            Self::Updated { kind, name } => write!(f, "Updating {kind} {name}"),
            Self::Removed { kind, name } => write!(f, "Removing {kind} {name}"),
            Self::Warning(w) => f.write_str(w),
            Self::Progress(m) => {
                let parts: Vec<String> =
                    m.iter().map(|(s, (r, d))| format!("{s} {r}/{d}")).collect();
                write!(f, "converging: {}", parts.join(", "))
            }
            Self::Converged => f.write_str("stack converged"),
        }
    }
}

type EventFn = Arc<dyn Fn(&Event) + Send + Sync>;

/// Options of [`deploy`] and [`plan`].
#[derive(Clone)]
#[must_use]
pub struct DeployOptions {
    prune: bool,
    resolve: ResolveImage,
    auth: Option<AuthLookup>,
    detach: bool,
    timeout: Duration,
    window: Duration,
    on_event: Option<EventFn>,
}

impl fmt::Debug for DeployOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeployOptions")
            .field("prune", &self.prune)
            .field("resolve", &self.resolve)
            .field("with_registry_auth", &self.auth.is_some())
            .field("detach", &self.detach)
            .field("timeout", &self.timeout)
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

impl Default for DeployOptions {
    fn default() -> Self {
        Self {
            prune: false,
            resolve: ResolveImage::Always,
            auth: None,
            detach: false,
            timeout: Duration::from_secs(300),
            window: Duration::ZERO,
            on_event: None,
        }
    }
}

impl DeployOptions {
    /// docker's defaults, except that the deploy waits for convergence.
    pub fn new() -> Self {
        Self::default()
    }
    /// `--prune`: remove the stack's services the files no longer name.
    pub fn prune(mut self, on: bool) -> Self {
        self.prune = on;
        self
    }
    /// `--resolve-image`.
    pub fn resolve_image(mut self, r: ResolveImage) -> Self {
        self.resolve = r;
        self
    }
    /// `--with-registry-auth`: credentials for each image, sent to the nodes.
    pub fn registry_auth(mut self, lookup: AuthLookup) -> Self {
        self.auth = Some(lookup);
        self
    }
    /// `--detach`: return once the objects are created or updated.
    pub fn detach(mut self, on: bool) -> Self {
        self.detach = on;
        self
    }
    /// How long to wait for convergence (default 5 min).
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }
    /// A stability window after every task runs (default none, like `--detach=false` of
    /// docker 28 which returns when the tasks run).
    pub fn window(mut self, w: Duration) -> Self {
        self.window = w;
        self
    }
    /// Receives every [`Event`].
    pub fn on_event(mut self, f: impl Fn(&Event) + Send + Sync + 'static) -> Self {
        self.on_event = Some(Arc::new(f));
        self
    }

    fn emit(&self, e: &Event) {
        if let Some(f) = &self.on_event {
            f(e);
        }
    }
}

/// What a deploy changes about one object.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Action {
    /// Created.
    Create,
    /// Updated, with the fields that differ (dotted JSON paths of the Engine spec).
    Update(Vec<FieldChange>),
    /// Its content changed: a new object `to` replaces `from`.
    Rotate {
        /// The object in use.
        from: String,
        /// The object created.
        to: String,
    },
    /// Nothing to do.
    Unchanged,
    /// Removed (`--prune`).
    Remove,
}

/// One field that differs between the stored and the desired spec.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FieldChange {
    /// Dotted path (`TaskTemplate.ContainerSpec.Env.1`).
    pub path: String,
    /// Stored value (`None`: absent).
    pub before: Option<Json>,
    /// Desired value (`None`: absent).
    pub after: Option<Json>,
}

/// One line of a [`Plan`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PlanItem {
    /// `network`, `config`, `secret` or `service`.
    pub kind: &'static str,
    /// The object's name.
    pub name: String,
    /// What happens to it.
    pub action: Action,
}

/// What a deploy would do.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Plan {
    /// The stack.
    pub namespace: String,
    /// Networks, configs, secrets, then services, in the order a deploy handles them.
    pub items: Vec<PlanItem>,
    /// Warnings (images that could not be resolved).
    pub warnings: Vec<String>,
}

impl Plan {
    /// Whether the deploy would change nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.iter().all(|i| i.action == Action::Unchanged)
    }

    /// How many services would be updated.
    #[must_use]
    pub fn service_updates(&self) -> usize {
        self.items
            .iter()
            .filter(|i| i.kind == "service" && matches!(i.action, Action::Update(_)))
            .count()
    }
}

fn show(v: Option<&Json>) -> String {
    v.map_or_else(|| "(none)".into(), Json::to_string)
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for i in &self.items {
            match &i.action {
                Action::Create => writeln!(f, "+ {} {}", i.kind, i.name)?,
                Action::Remove => writeln!(f, "- {} {}", i.kind, i.name)?,
                Action::Unchanged => writeln!(f, "= {} {}", i.kind, i.name)?,
                Action::Rotate { from, to } => {
                    writeln!(
                        f,
                        "~ {} {} (content changed: {from} -> {to})",
                        i.kind, i.name
                    )?;
                }
                Action::Update(changes) => {
                    writeln!(f, "~ {} {}", i.kind, i.name)?;
                    for c in changes {
                        writeln!(
                            f,
                            "    {}: {} -> {}",
                            c.path,
                            show(c.before.as_ref()),
                            show(c.after.as_ref())
                        )?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// The result of [`deploy`].
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Report {
    /// What was done.
    pub plan: Plan,
    /// Service update calls sent (zero for an unchanged stack).
    pub service_updates: usize,
    /// Service IDs by name.
    pub service_ids: BTreeMap<String, String>,
}

/// The spec stored in a service.
#[allow(clippy::unnecessary_wraps)] // kept fallible: callers treat a spec as possibly unreadable
fn stored_spec(svc: &Service) -> Result<ServiceSpec> {
    Ok(svc.spec.clone())
}

fn api(context: impl Into<String>) -> impl FnOnce(swarm_client::Error) -> Error {
    let context = context.into();
    move |source| Error::Api {
        context,
        source: Box::new(source),
    }
}

fn label_filter(ns: &str) -> String {
    format!("{LABEL_NAMESPACE}={ns}")
}

/// What the swarm holds for a stack.
struct State {
    services: BTreeMap<String, Service>,
    networks: Vec<Network>,
    configs: BTreeMap<String, SwarmObject>,
    secrets: BTreeMap<String, SwarmObject>,
}

fn not_manager(context: &'static str) -> impl FnOnce(swarm_client::Error) -> Error {
    move |e| {
        match e {
        swarm_client::Error::NotManager { .. } => Error::Check(
            "this node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again".into(),
        ),
        e => Error::Api {
            context: context.into(),
            source: Box::new(e),
        },
    }
    }
}

/// Reads what the swarm holds for the stack, the independent calls at once (a re-deploy of an
/// unchanged stack is these reads and nothing else).
async fn gather(c: &Client, stack: &StackSpec) -> Result<State> {
    use futures_util::future::{join_all, try_join4};
    let filter = label_filter(&stack.namespace);
    let by_label = [("label", filter.as_str())];
    let (services, networks, config_list, secret_list) = try_join4(
        async {
            c.service_list(&by_label)
                .await
                .map_err(not_manager("list services"))
        },
        async {
            c.network_list(&[])
                .await
                .map_err(not_manager("list networks"))
        },
        async {
            c.config_list(&by_label)
                .await
                .map_err(not_manager("list configs"))
        },
        async {
            c.secret_list(&by_label)
                .await
                .map_err(not_manager("list secrets"))
        },
    )
    .await?;
    let services = services
        .into_iter()
        .map(|s| (s.name().to_owned(), s))
        .collect();
    let mut configs: BTreeMap<String, SwarmObject> = config_list
        .into_iter()
        .map(|o| (o.spec.name.clone(), o))
        .collect();
    let mut secrets: BTreeMap<String, SwarmObject> = secret_list
        .into_iter()
        .map(|o| (o.spec.name.clone(), o))
        .collect();
    // Objects of the same name without the stack's label (docker updates those too).
    let missing_configs: Vec<&str> = stack
        .configs
        .iter()
        .map(|w| w.name.as_str())
        .filter(|n| !configs.contains_key(*n))
        .collect();
    let missing_secrets: Vec<&str> = stack
        .secrets
        .iter()
        .map(|w| w.name.as_str())
        .filter(|n| !secrets.contains_key(*n))
        .collect();
    for r in join_all(
        missing_configs
            .iter()
            .map(|n| async move { c.config_list(&[("name", n)]).await }),
    )
    .await
    {
        for o in r.map_err(api("list configs"))? {
            configs.insert(o.spec.name.clone(), o);
        }
    }
    for r in join_all(
        missing_secrets
            .iter()
            .map(|n| async move { c.secret_list(&[("name", n)]).await }),
    )
    .await
    {
        for o in r.map_err(api("list secrets"))? {
            secrets.insert(o.spec.name.clone(), o);
        }
    }
    Ok(State {
        services,
        networks,
        configs,
        secrets,
    })
}

/// How a desired config or secret maps onto what exists.
#[derive(Debug, Clone)]
struct ObjDecision {
    /// The desired name (what docker would use).
    name: String,
    /// The name the services will reference.
    use_name: String,
    /// Existing ID of `use_name`, if it exists.
    id: Option<String>,
    action: Action,
    /// The spec to create (with `use_name`) or to update labels with.
    spec: ObjectCreate,
    /// Version of the existing object (for label updates).
    version: u64,
}

/// `NAME-vN` names of rotated versions.
fn version_of(name: &str, candidate: &str) -> Option<u64> {
    candidate
        .strip_prefix(name)?
        .strip_prefix("-v")?
        .parse()
        .ok()
}

fn same_driver(stored: Option<&Json>, want: Option<&swarm_client::mount::Driver>) -> bool {
    let want = want.map(|d| serde_json::to_value(d).unwrap_or(Json::Null));
    let norm = |v: Option<Json>| match v {
        Some(Json::Object(m)) if m.is_empty() => None,
        Some(Json::Null) | None => None,
        Some(v) => Some(v),
    };
    norm(stored.cloned()) == norm(want)
}

/// Whether `obj` holds `want`'s content: configs compare data; secrets are asked with an update
/// at a wrong version, which the manager refuses before writing anything ("update out of
/// sequence" when the data is the same, "only updates to Labels are allowed" when not).
async fn same_content(
    c: &Client,
    secret: bool,
    obj: &SwarmObject,
    want: &ObjectCreate,
) -> Result<bool> {
    if !same_driver(obj.spec.templating.as_ref(), want.templating.as_ref())
        || (secret && !same_driver(obj.spec.driver.as_ref(), want.driver.as_ref()))
    {
        return Ok(false);
    }
    if !secret {
        let data = base64::engine::general_purpose::STANDARD
            .decode(&obj.spec.data)
            .unwrap_or_default();
        return Ok(data == want.data);
    }
    if want.driver.is_some() {
        return Ok(true);
    }
    let mut probe = want.clone();
    probe.name = obj.spec.name.clone();
    probe.labels = obj.spec.labels.clone();
    match c
        .secret_update(&obj.id, obj.version.index + 1_000_000, &probe)
        .await
    {
        Err(swarm_client::Error::OutOfSequence { .. }) => Ok(true),
        Err(e) if e.to_string().contains("only updates to Labels are allowed") => Ok(false),
        Err(e) => Err(Error::Api {
            context: format!("compare secret {}", obj.spec.name),
            source: Box::new(e),
        }),
        Ok(()) => Ok(true),
    }
}

async fn decide_objects(
    c: &Client,
    secret: bool,
    wanted: &[ObjectCreate],
    existing: &BTreeMap<String, SwarmObject>,
) -> Result<Vec<ObjDecision>> {
    let wanted_names: BTreeSet<&str> = wanted.iter().map(|w| w.name.as_str()).collect();
    let mut out = Vec::new();
    for want in wanted {
        let mut d = ObjDecision {
            name: want.name.clone(),
            use_name: want.name.clone(),
            id: None,
            action: Action::Create,
            spec: want.clone(),
            version: 0,
        };
        // The base name and its rotated versions (`NAME-vN`), newest first.
        let mut candidates: Vec<(u64, &SwarmObject)> = existing
            .iter()
            .filter(|(n, _)| !wanted_names.contains(n.as_str()))
            .filter_map(|(n, o)| version_of(&want.name, n).map(|v| (v, o)))
            .collect();
        candidates.sort_by_key(|c| std::cmp::Reverse(c.0));
        if let Some(base) = existing.get(&want.name) {
            candidates.push((1, base));
        }
        if candidates.is_empty() {
            out.push(d);
            continue;
        }
        let mut found = None;
        for (_, o) in &candidates {
            if same_content(c, secret, o, want).await? {
                found = Some(*o);
                break;
            }
        }
        match found {
            Some(o) => {
                d.use_name = o.spec.name.clone();
                d.id = Some(o.id.clone());
                d.version = o.version.index;
                d.spec.name = o.spec.name.clone();
                d.action = if o.spec.labels == want.labels {
                    Action::Unchanged
                } else {
                    Action::Update(vec![FieldChange {
                        path: "Labels".into(),
                        before: Some(json!(o.spec.labels)),
                        after: Some(json!(want.labels)),
                    }])
                };
            }
            None => {
                let next = candidates.iter().map(|(v, _)| *v).max().unwrap_or(1) + 1;
                let to = format!("{}-v{next}", want.name);
                d.use_name = to.clone();
                d.spec.name = to.clone();
                d.action = Action::Rotate {
                    from: candidates
                        .first()
                        .map_or_else(|| want.name.clone(), |(_, o)| o.spec.name.clone()),
                    to,
                };
            }
        }
        out.push(d);
    }
    Ok(out)
}

/// The daemon's defaults, applied to a spec so a stored spec and a desired one compare equal
/// when the daemon would store the desired one unchanged.
fn normalize(spec: &ServiceSpec, network_ids: &BTreeMap<String, String>, api_minor: u32) -> Json {
    let mut v = serde_json::to_value(spec).unwrap_or(Json::Null);
    strip_newer_fields(&mut v, api_minor);
    let set_default = |o: &mut Json, k: &str, d: Json| {
        if let Some(m) = o.as_object_mut() {
            let absent = m.get(k).is_none_or(Json::is_null);
            if absent {
                m.insert(k.to_owned(), d);
            }
        }
    };
    if let Some(t) = v.get_mut("TaskTemplate") {
        if let Some(c) = t.get_mut("ContainerSpec") {
            set_default(c, "Isolation", json!("default"));
        }
        set_default(t, "Runtime", json!("container"));
        if let Some(Json::Array(nets)) = t.get_mut("Networks") {
            for n in nets {
                if let Some(target) = n.get("Target").and_then(Json::as_str)
                    && let Some(id) = network_ids.get(target)
                {
                    n["Target"] = json!(id);
                }
            }
        }
        if let Some(p) = t.get_mut("Placement").and_then(|p| p.get_mut("Platforms"))
            && let Json::Array(ps) = p
        {
            ps.sort_by_key(Json::to_string);
        }
    }
    for k in ["UpdateConfig", "RollbackConfig"] {
        if let Some(u) = v.get_mut(k)
            && u.is_object()
        {
            set_default(u, "FailureAction", json!("pause"));
            set_default(u, "Order", json!("stop-first"));
        }
    }
    match v.get_mut("EndpointSpec") {
        Some(e) if e.is_object() => {
            set_default(e, "Mode", json!("vip"));
            if let Some(Json::Array(ports)) = e.get_mut("Ports") {
                for p in ports {
                    set_default(p, "Protocol", json!("tcp"));
                    set_default(p, "PublishMode", json!("ingress"));
                }
            }
        }
        _ => v["EndpointSpec"] = json!({"Mode": "vip"}),
    }
    if let Some(r) = v.pointer_mut("/Mode/Replicated") {
        set_default(r, "Replicas", json!(1));
    }
    if let Some(r) = v.pointer_mut("/TaskTemplate/RestartPolicy")
        && r.is_object()
    {
        set_default(r, "MaxAttempts", json!(0));
    }
    prune_empty(&mut v);
    v
}

/// Fields a daemon older than their API version does not store (the docker CLI sends them
/// anyway in a stack deploy; the daemon drops them), so they do not count as a change there.
fn strip_newer_fields(v: &mut Json, api_minor: u32) {
    let remove = |v: &mut Json, parent: &str, key: &str| {
        if let Some(Json::Object(m)) = v.pointer_mut(parent) {
            m.remove(key);
        }
    };
    let cs = "/TaskTemplate/ContainerSpec";
    if api_minor < 44 {
        remove(v, &format!("{cs}/Healthcheck"), "StartInterval");
    }
    if api_minor < 46 {
        remove(v, cs, "OomScoreAdj");
    }
    if let Some(Json::Array(mounts)) = v.pointer_mut(&format!("{cs}/Mounts")) {
        for m in mounts {
            if api_minor < 45 {
                remove(m, "/VolumeOptions", "Subpath");
            }
            if api_minor < 47
                && let Some(o) = m.as_object_mut()
            {
                o.remove("ImageOptions");
            }
            if api_minor < 44 {
                remove(m, "/BindOptions", "ReadOnlyNonRecursive");
                remove(m, "/BindOptions", "ReadOnlyForceRecursive");
            }
        }
    }
}

/// Removes nulls, empty strings, empty arrays and empty objects (the daemon drops them).
fn prune_empty(v: &mut Json) {
    match v {
        Json::Object(m) => {
            for e in m.values_mut() {
                prune_empty(e);
            }
            m.retain(|_, e| !matches!(e, Json::Null) && !is_empty(e));
        }
        Json::Array(a) => a.iter_mut().for_each(prune_empty),
        _ => {}
    }
}

fn is_empty(v: &Json) -> bool {
    match v {
        Json::String(s) => s.is_empty(),
        Json::Array(a) => a.is_empty(),
        Json::Object(m) => m.is_empty(),
        _ => false,
    }
}

/// The fields that differ, as dotted paths.
fn diff(before: &Json, after: &Json, path: &str, out: &mut Vec<FieldChange>) {
    let child = |k: &str| {
        if path.is_empty() {
            k.to_owned()
        } else {
            format!("{path}.{k}")
        }
    };
    match (before, after) {
        (Json::Object(a), Json::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => diff(x, y, &child(k), out),
                    (x, y) => out.push(FieldChange {
                        path: child(k),
                        before: x.cloned(),
                        after: y.cloned(),
                    }),
                }
            }
        }
        (Json::Array(a), Json::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                diff(x, y, &child(&i.to_string()), out);
            }
        }
        (a, b) if a != b => out.push(FieldChange {
            path: path.to_owned(),
            before: Some(a.clone()),
            after: Some(b.clone()),
        }),
        _ => {}
    }
}

/// Pins the image of `spec` as the docker client's `QueryRegistry` does (swarm-client's
/// `pin_image`, shared with `service create`).
async fn resolve(
    c: &Client,
    spec: &mut ServiceSpec,
    auth: Option<&RegistryAuth>,
    warnings: &mut Vec<String>,
) {
    if let Some(w) = c.pin_image(spec, auth).await {
        warnings.push(w);
    }
}

/// Fills object IDs into the service's secret and config references (and a credential spec
/// config), like the CLI's `ParseSecrets`/`ParseConfigs`.
fn fill_ids(
    spec: &mut ServiceSpec,
    configs: &BTreeMap<String, (String, String)>,
    secrets: &BTreeMap<String, (String, String)>,
) -> Result<()> {
    let Some(cs) = spec.task_template.container_spec.as_mut() else {
        return Ok(());
    };
    for r in &mut cs.secrets {
        let (name, id) = secrets
            .get(&r.secret_name)
            .cloned()
            .ok_or_else(|| Error::Check(format!("secret not found: {}", r.secret_name)))?;
        r.secret_name = name;
        r.secret_id = id;
    }
    for r in &mut cs.configs {
        let (name, id) = configs
            .get(&r.config_name)
            .cloned()
            .ok_or_else(|| Error::Check(format!("config not found: {}", r.config_name)))?;
        r.config_name = name;
        r.config_id = id;
    }
    if let Some(cfg) = cs
        .extra
        .get_mut("Privileges")
        .and_then(|p| p.get_mut("CredentialSpec"))
        .and_then(|c| c.get_mut("Config"))
        && let Some(name) = cfg.as_str().filter(|n| !n.is_empty())
        && let Some((_, id)) = configs.get(name)
    {
        *cfg = json!(id);
    }
    Ok(())
}

/// Everything decided before the first change.
struct Prepared {
    plan: Plan,
    state: State,
    configs: Vec<ObjDecision>,
    secrets: Vec<ObjDecision>,
    /// Desired specs (image resolved, force-update kept), by service name.
    services: BTreeMap<String, ServiceSpec>,
    network_ids: BTreeMap<String, String>,
    to_create_networks: Vec<String>,
    prune: Vec<Service>,
}

async fn prepare(c: &Client, stack: &StackSpec, opts: &DeployOptions) -> Result<Prepared> {
    let state = gather(c, stack).await?;
    let ns = &stack.namespace;
    let mut plan = Plan {
        namespace: ns.clone(),
        ..Plan::default()
    };
    // External networks: they must exist and be swarm-scoped (docker's checks and texts).
    for name in &stack.external_networks {
        if matches!(name.as_str(), "default" | "bridge" | "host" | "none")
            || name.starts_with("container:")
        {
            continue;
        }
        let found = state
            .networks
            .iter()
            .find(|n| &n.name == name || &n.id == name);
        match found {
            None => {
                return Err(Error::Check(format!(
                    "network \"{name}\" is declared as external, but could not be found. You need to create a swarm-scoped network before the stack is deployed"
                )));
            }
            Some(n) if n.scope != "swarm" => {
                return Err(Error::Check(format!(
                    "network \"{name}\" is declared as external, but it is not in the right scope: \"{}\" instead of \"swarm\"",
                    n.scope
                )));
            }
            Some(_) => {}
        }
    }
    let mut network_ids: BTreeMap<String, String> = BTreeMap::new();
    for n in &state.networks {
        network_ids
            .entry(n.name.clone())
            .or_insert_with(|| n.id.clone());
    }
    let stack_networks: BTreeSet<&str> = state
        .networks
        .iter()
        .filter(|n| n.labels.get(LABEL_NAMESPACE) == Some(ns))
        .map(|n| n.name.as_str())
        .collect();
    let mut to_create_networks = Vec::new();
    for name in stack.networks.keys() {
        let action = if stack_networks.contains(name.as_str()) {
            Action::Unchanged
        } else {
            to_create_networks.push(name.clone());
            Action::Create
        };
        plan.items.push(PlanItem {
            kind: "network",
            name: name.clone(),
            action,
        });
    }
    // Services store swarm-scoped network IDs (`host` has one of its own).
    let targets: BTreeSet<String> = stack
        .services
        .values()
        .flat_map(|s| s.task_template.networks.iter().map(|n| n.target.clone()))
        .collect();
    let lookups: Vec<String> = targets
        .into_iter()
        .filter(|t| !to_create_networks.contains(t))
        .collect();
    let found = futures_util::future::join_all(lookups.iter().map(|t| c.network_id(t))).await;
    for (t, id) in lookups.into_iter().zip(found) {
        if let Ok(id) = id {
            network_ids.insert(t, id);
        }
    }
    let api_minor = c.api_version().minor();
    let configs = decide_objects(c, false, &stack.configs, &state.configs).await?;
    let secrets = decide_objects(c, true, &stack.secrets, &state.secrets).await?;
    for (kind, ds) in [("config", &configs), ("secret", &secrets)] {
        for d in ds {
            plan.items.push(PlanItem {
                kind,
                name: d.name.clone(),
                action: d.action.clone(),
            });
        }
    }
    let ids = |ds: &[ObjDecision]| -> BTreeMap<String, (String, String)> {
        ds.iter()
            .map(|d| {
                (
                    d.name.clone(),
                    (
                        d.use_name.clone(),
                        d.id.clone()
                            .unwrap_or_else(|| format!("<new {}>", d.use_name)),
                    ),
                )
            })
            .collect()
    };
    let (config_ids, secret_ids) = (ids(&configs), ids(&secrets));
    // External configs and secrets: look them up by name.
    let mut ext_configs = config_ids.clone();
    let mut ext_secrets = secret_ids.clone();
    for spec in stack.services.values() {
        if let Some(cs) = spec.container() {
            for r in &cs.configs {
                if !ext_configs.contains_key(&r.config_name) {
                    let id = c.config_id(&r.config_name).await.map_err(|_| {
                        Error::Check(format!("config not found: {}", r.config_name))
                    })?;
                    ext_configs.insert(r.config_name.clone(), (r.config_name.clone(), id));
                }
            }
            for r in &cs.secrets {
                if !ext_secrets.contains_key(&r.secret_name) {
                    let id = c.secret_id(&r.secret_name).await.map_err(|_| {
                        Error::Check(format!("secret not found: {}", r.secret_name))
                    })?;
                    ext_secrets.insert(r.secret_name.clone(), (r.secret_name.clone(), id));
                }
            }
        }
    }
    let mut services = BTreeMap::new();
    for spec in stack.services.values() {
        let mut want = spec.clone();
        fill_ids(&mut want, &ext_configs, &ext_secrets)?;
        let image = want
            .container()
            .map(|c| c.image.clone())
            .unwrap_or_default();
        let auth = opts.auth.as_ref().and_then(|f| f(&image));
        let existing = state.services.get(&want.name);
        let stored = existing.map(stored_spec).transpose()?;
        match (&stored, opts.resolve) {
            (None, ResolveImage::Always | ResolveImage::Changed) => {
                resolve(c, &mut want, auth.as_ref(), &mut plan.warnings).await;
            }
            (None, ResolveImage::Never) => {}
            (Some(old), r) => {
                let unchanged_image = old.labels.get(LABEL_IMAGE) == Some(&image);
                if r == ResolveImage::Always || (r == ResolveImage::Changed && !unchanged_image) {
                    resolve(c, &mut want, auth.as_ref(), &mut plan.warnings).await;
                } else if unchanged_image
                    && let (Some(cs), Some(old_cs)) = (
                        want.task_template.container_spec.as_mut(),
                        old.task_template.container_spec.as_ref(),
                    )
                {
                    cs.image.clone_from(&old_cs.image);
                }
                want.task_template.force_update = old.task_template.force_update;
            }
        }
        let action = match &stored {
            None => Action::Create,
            Some(old) => {
                let mut changes = Vec::new();
                diff(
                    &normalize(old, &network_ids, api_minor),
                    &normalize(&want, &network_ids, api_minor),
                    "",
                    &mut changes,
                );
                if changes.is_empty() {
                    Action::Unchanged
                } else {
                    Action::Update(changes)
                }
            }
        };
        plan.items.push(PlanItem {
            kind: "service",
            name: want.name.clone(),
            action,
        });
        services.insert(want.name.clone(), want);
    }
    let mut prune = Vec::new();
    if opts.prune {
        for (name, s) in &state.services {
            if !services.contains_key(name) {
                prune.push(s.clone());
                plan.items.push(PlanItem {
                    kind: "service",
                    name: name.clone(),
                    action: Action::Remove,
                });
            }
        }
    }
    Ok(Prepared {
        plan,
        state,
        configs,
        secrets,
        services,
        network_ids,
        to_create_networks,
        prune,
    })
}

/// What a deploy of `stack` would do, changing nothing (a secret's content is compared with
/// an update the manager refuses before it writes anything).
///
/// # Errors
/// The checks a deploy runs first ([`Error::Check`]), API errors.
pub async fn plan(c: &Client, stack: &StackSpec, opts: &DeployOptions) -> Result<Plan> {
    Ok(prepare(c, stack, opts).await?.plan)
}

/// Deploys `stack`: checks, then creates and updates what the plan says, then (unless
/// detached) waits for convergence and removes rotated-out configs and secrets.
///
/// # Errors
/// [`Error::Check`] before anything is created; [`Error::Api`] naming the call that failed;
/// [`Error::NotConverged`] naming the service and its task error.
#[allow(clippy::too_many_lines)]
pub async fn deploy(c: &Client, stack: &StackSpec, opts: &DeployOptions) -> Result<Report> {
    let p = prepare(c, stack, opts).await?;
    for w in &p.plan.warnings {
        opts.emit(&Event::Warning(w.clone()));
    }
    let mut created: Vec<(&'static str, String)> = Vec::new();
    match apply(c, stack, opts, &p, &mut created).await {
        Ok(r) => Ok(r),
        Err(e) => {
            // Leave nothing half-made: what this deploy created goes again (newest first);
            // what existed before stays as it was.
            for (kind, id) in created.iter().rev() {
                let _ = match *kind {
                    "service" => c.service_remove(id).await,
                    "network" => c.network_remove(id).await,
                    "config" => c.config_remove(id).await,
                    _ => c.secret_remove(id).await,
                };
            }
            Err(e)
        }
    }
}

#[allow(clippy::too_many_lines)]
async fn apply(
    c: &Client,
    stack: &StackSpec,
    opts: &DeployOptions,
    p: &Prepared,
    created: &mut Vec<(&'static str, String)>,
) -> Result<Report> {
    let ns = &stack.namespace;
    for s in &p.prune {
        opts.emit(&Event::Removed {
            kind: "service",
            name: s.name().to_owned(),
        });
        c.service_remove(&s.id)
            .await
            .map_err(api(format!("remove service {}", s.name())))?;
    }
    let mut network_ids = p.network_ids.clone();
    for name in &p.to_create_networks {
        let mut n = stack.networks[name].clone();
        if n.driver.is_empty() {
            n.driver = "overlay".into();
        }
        opts.emit(&Event::Created {
            kind: "network",
            name: name.clone(),
        });
        let id = c
            .network_create_with(&n)
            .await
            .map_err(api(format!("create network {name}")))?;
        created.push(("network", id.clone()));
        network_ids.insert(name.clone(), id);
    }
    let mut ids: [BTreeMap<String, (String, String)>; 2] = Default::default();
    for (i, (kind, ds)) in [("config", &p.configs), ("secret", &p.secrets)]
        .into_iter()
        .enumerate()
    {
        for d in ds {
            let id = match &d.action {
                Action::Create | Action::Rotate { .. } => {
                    opts.emit(&Event::Created {
                        kind,
                        name: d.use_name.clone(),
                    });
                    let r = if kind == "config" {
                        c.config_create_with(&d.spec).await
                    } else {
                        c.secret_create_with(&d.spec).await
                    };
                    let id = r.map_err(api(format!("create {kind} {}", d.use_name)))?;
                    created.push((kind, id.clone()));
                    id
                }
                Action::Update(_) => {
                    let id = d.id.clone().unwrap_or_default();
                    opts.emit(&Event::Updated {
                        kind,
                        name: d.use_name.clone(),
                    });
                    let r = if kind == "config" {
                        c.config_update(&id, d.version, &d.spec).await
                    } else {
                        c.secret_update(&id, d.version, &d.spec).await
                    };
                    r.map_err(api(format!("update {kind} {}", d.use_name)))?;
                    id
                }
                _ => d.id.clone().unwrap_or_default(),
            };
            ids[i].insert(d.name.clone(), (d.use_name.clone(), id));
        }
    }
    let mut report = Report {
        plan: p.plan.clone(),
        ..Report::default()
    };
    let mut touched = Vec::new();
    let mut fresh = BTreeSet::new();
    let mut to_create: Vec<(String, ServiceSpec, CreateOptions)> = Vec::new();
    for (name, spec) in &p.services {
        let mut want = spec.clone();
        // References to objects created just now get their IDs.
        if let Some(cs) = want.task_template.container_spec.as_mut() {
            for r in &mut cs.secrets {
                if let Some((_, (n, id))) = ids[1].iter().find(|(_, (n, _))| *n == r.secret_name) {
                    r.secret_name.clone_from(n);
                    r.secret_id.clone_from(id);
                }
            }
            for r in &mut cs.configs {
                if let Some((_, (n, id))) = ids[0].iter().find(|(_, (n, _))| *n == r.config_name) {
                    r.config_name.clone_from(n);
                    r.config_id.clone_from(id);
                }
            }
        }
        let image = want
            .container()
            .map(|c| c.image.clone())
            .unwrap_or_default();
        let auth = opts.auth.as_ref().and_then(|f| f(&image));
        match p.state.services.get(name) {
            None => {
                // New services are created together below, one round trip for all.
                let mut co = CreateOptions::new();
                if let Some(a) = auth {
                    co = co.registry_auth(a);
                }
                to_create.push((name.clone(), want, co));
            }
            Some(old) => {
                report.service_ids.insert(name.clone(), old.id.clone());
                let stored = stored_spec(old)?;
                let mut changes = Vec::new();
                diff(
                    &normalize(&stored, &network_ids, c.api_version().minor()),
                    &normalize(&want, &network_ids, c.api_version().minor()),
                    "",
                    &mut changes,
                );
                if changes.is_empty() {
                    continue;
                }
                opts.emit(&Event::Updated {
                    kind: "service",
                    name: name.clone(),
                });
                let mut uo = UpdateOptions::new();
                if let Some(a) = auth {
                    uo = uo.registry_auth(a);
                }
                // The manager bumps a new service's version once it allocated it: on "update
                // out of sequence" read the version again and resend (the spec is ours).
                let mut version = old.version.index;
                let mut attempt = 0;
                let warnings = loop {
                    match c.service_update_spec(&old.id, version, &want, &uo).await {
                        Err(swarm_client::Error::OutOfSequence { .. }) if attempt < 5 => {
                            attempt += 1;
                            version = c
                                .service_inspect(&old.id)
                                .await
                                .map_err(api(format!("inspect service {name}")))?
                                .version
                                .index;
                        }
                        r => break r.map_err(api(format!("update service {name}")))?,
                    }
                };
                for w in warnings {
                    opts.emit(&Event::Warning(w));
                }
                report.service_updates += 1;
                touched.push(name.clone());
            }
        }
    }
    for (name, _, _) in &to_create {
        opts.emit(&Event::Created {
            kind: "service",
            name: name.clone(),
        });
    }
    let results = futures_util::future::join_all(
        to_create
            .iter()
            .map(|(_, want, co)| c.service_create(want, co)),
    )
    .await;
    let mut first_err = None;
    for ((name, want, _), r) in to_create.iter().zip(results) {
        match r {
            Ok(made) => {
                for w in &made.warnings {
                    opts.emit(&Event::Warning(w.clone()));
                }
                report.service_ids.insert(name.clone(), made.id.clone());
                created.push(("service", made.id.clone()));
                touched.push(name.clone());
                let job = want.mode.is_job();
                if !job {
                    fresh.insert(name.clone());
                }
            }
            Err(e) => {
                first_err.get_or_insert(Error::Api {
                    context: format!("create service {name}"),
                    source: Box::new(e),
                });
            }
        }
    }
    if let Some(e) = first_err {
        return Err(e);
    }
    if opts.detach {
        return Ok(report);
    }
    wait_stack(c, ns, &touched, &fresh, opts).await?;
    opts.emit(&Event::Converged);
    // Rotated-out objects: removed once no service of the stack references them.
    let rotated: Vec<(&'static str, String)> = p
        .configs
        .iter()
        .map(|d| ("config", d))
        .chain(p.secrets.iter().map(|d| ("secret", d)))
        .filter_map(|(k, d)| match &d.action {
            Action::Rotate { from, .. } => Some((k, from.clone())),
            _ => None,
        })
        .collect();
    if !rotated.is_empty() {
        let filter = label_filter(ns);
        let services = c
            .service_list(&[("label", &filter)])
            .await
            .map_err(api("list services"))?;
        let referenced: BTreeSet<String> = services
            .iter()
            .flat_map(|s| {
                let spec = stored_spec(s).unwrap_or_default();
                let cs = spec.task_template.container_spec.unwrap_or_default();
                cs.configs
                    .into_iter()
                    .map(|r| r.config_name)
                    .chain(cs.secrets.into_iter().map(|r| r.secret_name))
                    .collect::<Vec<_>>()
            })
            .collect();
        for (kind, name) in rotated {
            if referenced.contains(&name) {
                continue;
            }
            let obj = if kind == "config" {
                p.state.configs.get(&name)
            } else {
                p.state.secrets.get(&name)
            };
            if let Some(o) = obj {
                opts.emit(&Event::Removed {
                    kind,
                    name: name.clone(),
                });
                let r = if kind == "config" {
                    c.config_remove(&o.id).await
                } else {
                    c.secret_remove(&o.id).await
                };
                if let Err(e) = r {
                    opts.emit(&Event::Warning(format!(
                        "could not remove {kind} {name}: {e}"
                    )));
                }
            }
        }
    }
    Ok(report)
}

/// Waits until every service in `names` converged, reporting one progress map.
///
/// Services created by this deploy (`fresh`, not jobs) converge when all their tasks run: one
/// list call per poll for the whole stack tells (the daemon counts running and desired tasks).
/// Updated services and jobs go through [`Client::wait_converged`], which follows the update
/// state and the tasks of the new spec.
async fn wait_stack(
    c: &Client,
    ns: &str,
    names: &[String],
    fresh: &BTreeSet<String>,
    opts: &DeployOptions,
) -> Result<()> {
    let progress: Arc<Mutex<BTreeMap<String, (u64, u64)>>> = Arc::new(Mutex::new(BTreeMap::new()));
    let started = Instant::now();
    let report = {
        let progress = progress.clone();
        let on_event = opts.on_event.clone();
        move |name: &str, running: u64, desired: u64| {
            let snapshot = {
                let mut m = progress
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if m.get(name) == Some(&(running, desired)) {
                    return;
                }
                m.insert(name.to_owned(), (running, desired));
                m.clone()
            };
            if let Some(f) = &on_event {
                f(&Event::Progress(snapshot));
            }
        }
    };
    let (fast, slow): (Vec<&String>, Vec<&String>) = names
        .iter()
        .partition(|n| fresh.contains(*n) && opts.window.is_zero());
    let slow_waits = slow.iter().map(|name| {
        let report = report.clone();
        let name2 = (*name).clone();
        let wo = WaitOptions::new()
            .window(opts.window)
            .timeout(opts.timeout)
            .poll_interval(Duration::from_millis(50))
            .on_progress(move |p: &Progress| {
                if let Progress::Overall {
                    running, desired, ..
                } = p
                {
                    report(&name2, *running, *desired);
                }
            });
        async move {
            (
                (*name).clone(),
                c.wait_converged(name, wo).await.map(|_| ()),
            )
        }
    });
    let fast_wait = async {
        if fast.is_empty() {
            return Ok(());
        }
        let filter = label_filter(ns);
        loop {
            let list = c
                .service_list(&[("label", &filter)])
                .await
                .map_err(api("list services"))?;
            let mut done = true;
            for name in &fast {
                let st = list
                    .iter()
                    .find(|s| s.name() == name.as_str())
                    .and_then(|s| s.service_status.clone())
                    .unwrap_or_default();
                report(name, st.running_tasks, st.desired_tasks);
                if st.running_tasks < st.desired_tasks
                    || list.iter().all(|s| s.name() != name.as_str())
                {
                    done = false;
                }
            }
            if done {
                return Ok(());
            }
            if started.elapsed() > opts.timeout {
                // Name the first service still short of tasks, with its tasks' last error.
                for name in &fast {
                    let Some(s) = list.iter().find(|s| s.name() == name.as_str()) else {
                        continue;
                    };
                    let st = s.service_status.clone().unwrap_or_default();
                    if st.running_tasks >= st.desired_tasks {
                        continue;
                    }
                    let tasks = c
                        .task_list(&TaskFilter::new().service(&s.id))
                        .await
                        .unwrap_or_default();
                    let err = tasks.iter().find(|t| !t.status.err.is_empty()).map_or_else(
                        || format!("{} of {} tasks running", st.running_tasks, st.desired_tasks),
                        |t| format!("task {}: {}", t.id, t.status.err),
                    );
                    return Err(Error::NotConverged {
                        service: (*name).clone(),
                        message: format!("{err} (after {:?})", started.elapsed()),
                    });
                }
                return Ok(());
            }
            // One list call a poll for the whole stack: cheap enough to look often.
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    };
    let (fast_result, slow_results) =
        futures_util::future::join(fast_wait, futures_util::future::join_all(slow_waits)).await;
    fast_result?;
    for (name, r) in slow_results {
        if let Err(e) = r {
            let message = match &e {
                swarm_client::Error::NotConverged(nc) => {
                    nc.tasks.iter().find(|t| !t.err.is_empty()).map_or_else(
                        || e.to_string(),
                        |t| format!("task {}: {}", t.task_id, t.err),
                    )
                }
                _ => e.to_string(),
            };
            return Err(Error::NotConverged {
                service: name,
                message: format!("{message} (after {:?})", started.elapsed()),
            });
        }
    }
    Ok(())
}

/// One stack of [`list`]: its name and number of services.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StackSummary {
    /// The stack name.
    pub name: String,
    /// Its services.
    pub services: usize,
}

/// `docker stack ls`: stacks by the namespace label of their services, sorted by name.
///
/// # Errors
/// API errors.
pub async fn list(c: &Client) -> Result<Vec<StackSummary>> {
    let services = c
        .service_list(&[("label", LABEL_NAMESPACE)])
        .await
        .map_err(api("list services"))?;
    let mut m: BTreeMap<String, usize> = BTreeMap::new();
    for s in &services {
        let spec = stored_spec(s)?;
        if let Some(ns) = spec.labels.get(LABEL_NAMESPACE) {
            *m.entry(ns.clone()).or_default() += 1;
        }
    }
    Ok(m.into_iter()
        .map(|(name, services)| StackSummary { name, services })
        .collect())
}

/// `docker stack services`: the services of a stack, sorted by name.
///
/// # Errors
/// API errors.
pub async fn services(c: &Client, namespace: &str) -> Result<Vec<Service>> {
    let mut s = c
        .service_list(&[("label", &label_filter(namespace))])
        .await
        .map_err(api("list services"))?;
    s.sort_by(|a, b| a.name().cmp(b.name()));
    Ok(s)
}

/// `docker stack ps`: the tasks of a stack.
///
/// # Errors
/// [`Error::Check`] `nothing found in stack: NAME` when there are none; API errors.
pub async fn tasks(c: &Client, namespace: &str) -> Result<Vec<Task>> {
    let t = c
        .task_list(&TaskFilter::new().label(label_filter(namespace)))
        .await
        .map_err(api("list tasks"))?;
    if t.is_empty() {
        return Err(Error::Check(format!("nothing found in stack: {namespace}")));
    }
    Ok(t)
}

/// What [`remove`] removed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Removed {
    /// (kind, name) in the order removed: services, secrets, configs, networks.
    pub objects: Vec<(&'static str, String)>,
    /// Failures (docker goes on and reports them at the end).
    pub failures: Vec<String>,
}

/// `docker stack rm`: the stack's services, secrets, configs and networks (found by label).
///
/// # Errors
/// [`Error::Check`] `Nothing found in stack: NAME`; a failure of any removal (after trying
/// all, as docker does); API errors listing the objects.
pub async fn remove(c: &Client, namespace: &str) -> Result<Removed> {
    let filter = label_filter(namespace);
    let f = [("label", filter.as_str())];
    let mut svcs = c.service_list(&f).await.map_err(api("list services"))?;
    svcs.sort_by(|a, b| a.name().cmp(b.name()));
    let nets = c.network_list(&f).await.map_err(api("list networks"))?;
    let secrets = c.secret_list(&f).await.map_err(api("list secrets"))?;
    let configs = c.config_list(&f).await.map_err(api("list configs"))?;
    if svcs.is_empty() && nets.is_empty() && secrets.is_empty() && configs.is_empty() {
        return Err(Error::Check(format!("Nothing found in stack: {namespace}")));
    }
    let mut out = Removed::default();
    for s in &svcs {
        match c.service_remove(&s.id).await {
            Ok(()) => out.objects.push(("service", s.name().to_owned())),
            // Gone already (another `rm` raced us): nothing left to do.
            Err(e) if e.is_not_found() => {}
            Err(e) => out
                .failures
                .push(format!("Failed to remove service {}: {e}", s.id)),
        }
    }
    for s in &secrets {
        match c.secret_remove(&s.id).await {
            Ok(()) => out.objects.push(("secret", s.spec.name.clone())),
            // Gone already (another `rm` raced us): nothing left to do.
            Err(e) if e.is_not_found() => {}
            Err(e) => out
                .failures
                .push(format!("Failed to remove secret {}: {e}", s.id)),
        }
    }
    for s in &configs {
        match c.config_remove(&s.id).await {
            Ok(()) => out.objects.push(("config", s.spec.name.clone())),
            // Gone already (another `rm` raced us): nothing left to do.
            Err(e) if e.is_not_found() => {}
            Err(e) => out
                .failures
                .push(format!("Failed to remove config {}: {e}", s.id)),
        }
    }
    for n in &nets {
        match c.network_remove(&n.id).await {
            Ok(()) => out.objects.push(("network", n.name.clone())),
            // Gone already (another `rm` raced us): nothing left to do.
            Err(e) if e.is_not_found() => {}
            Err(e) => out
                .failures
                .push(format!("Failed to remove network {}: {e}", n.id)),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_image_flag() {
        assert_eq!(
            "changed".parse::<ResolveImage>().unwrap(),
            ResolveImage::Changed
        );
        assert_eq!(
            "sometimes".parse::<ResolveImage>().unwrap_err().to_string(),
            "Invalid option sometimes for flag --resolve-image"
        );
    }

    #[test]
    fn normalized_specs_ignore_daemon_defaults() {
        let desired: ServiceSpec = serde_json::from_value(json!({
            "Name": "s_web", "Labels": {},
            "TaskTemplate": {"ContainerSpec": {"Image": "a", "Privileges": {"CredentialSpec": null, "SELinuxContext": null}},
                "Resources": {}, "Placement": {}, "Networks": [{"Target": "s_default", "Aliases": ["web"]}], "ForceUpdate": 0},
            "Mode": {"Replicated": {}},
            "UpdateConfig": {"Parallelism": 2, "MaxFailureRatio": 0.0},
            "EndpointSpec": {"Ports": [{"TargetPort": 80, "PublishedPort": 8080}]}
        }))
        .unwrap();
        let stored: ServiceSpec = serde_json::from_value(json!({
            "Name": "s_web", "Labels": {},
            "TaskTemplate": {"ContainerSpec": {"Image": "a", "Isolation": "default", "Privileges": {"CredentialSpec": null, "SELinuxContext": null}},
                "Resources": {}, "Placement": {}, "Networks": [{"Target": "n1d", "Aliases": ["web"]}], "ForceUpdate": 0, "Runtime": "container"},
            "Mode": {"Replicated": {"Replicas": 1}},
            "UpdateConfig": {"Parallelism": 2, "FailureAction": "pause", "MaxFailureRatio": 0, "Order": "stop-first"},
            "EndpointSpec": {"Mode": "vip", "Ports": [{"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080, "PublishMode": "ingress"}]}
        }))
        .unwrap();
        let ids = BTreeMap::from([("s_default".to_owned(), "n1d".to_owned())]);
        let mut changes = Vec::new();
        diff(
            &normalize(&stored, &ids, 41),
            &normalize(&desired, &ids, 41),
            "",
            &mut changes,
        );
        assert_eq!(changes, vec![]);
        let mut changed = desired.clone();
        changed
            .task_template
            .container_spec
            .as_mut()
            .unwrap()
            .oom_score_adj = -5;
        diff(
            &normalize(&stored, &ids, 41),
            &normalize(&changed, &ids, 41),
            "",
            &mut changes,
        );
        assert_eq!(changes, vec![], "a 1.41 daemon does not store OomScoreAdj");
        changed.task_template.container_spec.as_mut().unwrap().env = vec!["A=1".into()];
        diff(
            &normalize(&stored, &ids, 41),
            &normalize(&changed, &ids, 41),
            "",
            &mut changes,
        );
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].path, "TaskTemplate.ContainerSpec.Env");
        assert_eq!(changes[0].before, None);
    }

    #[test]
    fn rotated_names() {
        assert_eq!(version_of("st_conf", "st_conf-v3"), Some(3));
        assert_eq!(version_of("st_conf", "st_conf-vx"), None);
        assert_eq!(version_of("st_conf", "st_confx-v2"), None);
    }
}
