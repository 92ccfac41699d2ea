//! One compose file's interpolated mapping → the typed [`Compose`] model, with the checks of
//! docker's JSON schema (`config_schema_v3.x.json`) and the transforms of its loader.
//!
//! Schema problems are collected over the whole file and reported as docker's validator
//! reports them: the most specific field wins (deepest path; on a tie a type error), with
//! gojsonschema's descriptions (`services.web.read_only must be a boolean`,
//! `services.web Additional property foo is not allowed`, `… Does not match format 'ports'`).
//! Keys newer than the file's `version` are refused as that version's schema refuses them.

use std::collections::BTreeMap;

use crate::error::LoadError;
use crate::model::{
    Compose, CredentialSpec, Deploy, FileObject, FileReference, Healthcheck, Limits, Logging,
    Network, Placement, Port, Reservations, Resources, RestartPolicy, Service, ServiceNetwork,
    ServiceVolume, Ulimit, UpdateConfig, Volume,
};
use crate::paths;
use crate::yaml::Value;

type Map = BTreeMap<String, Value>;

/// A schema violation as gojsonschema reports it.
#[derive(Debug, Clone)]
struct SchemaErr {
    field: String,
    desc: String,
    invalid_type: bool,
    one_of: bool,
}

/// What the decoder needs from outside: the version, the working directory, the variable
/// lookup and a file reader (for `env_file`).
pub(crate) struct Ctx<'a> {
    pub(crate) minor: u32,
    pub(crate) working_dir: &'a str,
    pub(crate) lookup: &'a dyn Fn(&str) -> Option<String>,
    pub(crate) read_file: &'a dyn Fn(&str) -> Result<Vec<u8>, String>,
    pub(crate) warnings: &'a mut Vec<String>,
}

struct Cx<'a, 'b> {
    ctx: &'b mut Ctx<'a>,
    errors: Vec<SchemaErr>,
    transform: Option<LoadError>,
}

fn join(path: &str, key: &str) -> String {
    if path == "(root)" {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn is_type(v: &Value, t: &str) -> bool {
    match t {
        "string" => matches!(v, Value::Str(_)),
        "boolean" => matches!(v, Value::Bool(_)),
        "null" => matches!(v, Value::Null),
        "array" => matches!(v, Value::Seq(_)),
        "object" => matches!(v, Value::Map(_)),
        "number" => matches!(v, Value::Int(_) | Value::Uint(_) | Value::Float(_)),
        "integer" => v.kind() == "integer",
        _ => false,
    }
}

fn human(t: &str) -> &str {
    match t {
        "object" => "mapping",
        "array" => "list",
        t => t,
    }
}

fn human_types(types: &[&str]) -> String {
    match types {
        [one] => human(one).to_owned(),
        [init @ .., last] => format!(
            "{} or {}",
            init.iter().map(|t| human(t)).collect::<Vec<_>>().join(", "),
            human(last)
        ),
        [] => String::new(),
    }
}

/// The names of compose objects (`^[a-zA-Z0-9._-]+$`).
fn valid_name(k: &str) -> bool {
    !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

impl Cx<'_, '_> {
    fn since(&self, minor: u32) -> bool {
        self.ctx.minor >= minor
    }

    fn err(&mut self, field: &str, desc: impl Into<String>) {
        self.errors.push(SchemaErr {
            field: field.to_owned(),
            desc: desc.into(),
            invalid_type: false,
            one_of: false,
        });
    }

    fn transform_err(&mut self, e: LoadError) {
        if self.transform.is_none() {
            self.transform = Some(e);
        }
    }

    /// Checks the type; records docker's `must be a …` when it does not match.
    fn want(&mut self, v: &Value, path: &str, types: &[&str]) -> bool {
        if types.iter().any(|t| is_type(v, t)) {
            return true;
        }
        self.errors.push(SchemaErr {
            field: path.to_owned(),
            desc: format!("must be a {}", human_types(types)),
            invalid_type: true,
            one_of: false,
        });
        false
    }

    fn one_of_failed(&mut self, path: &str) {
        self.errors.push(SchemaErr {
            field: path.to_owned(),
            desc: "Must validate one and only one schema (oneOf)".into(),
            invalid_type: false,
            one_of: true,
        });
    }

    /// An object with the given keys (`x-` keys too when `x_ok`).
    fn object<'v>(
        &mut self,
        v: &'v Value,
        path: &str,
        known: &[&str],
        x_ok: bool,
    ) -> Option<&'v Map> {
        if !self.want(v, path, &["object"]) {
            return None;
        }
        let m = v.as_map()?;
        for k in m.keys() {
            if !(known.contains(&k.as_str()) || x_ok && k.starts_with("x-")) {
                self.err(path, format!("Additional property {k} is not allowed"));
            }
        }
        Some(m)
    }

    fn string(&mut self, v: &Value, path: &str) -> String {
        if self.want(v, path, &["string"]) {
            v.as_str().unwrap_or_default().to_owned()
        } else {
            String::new()
        }
    }

    fn boolean(&mut self, v: &Value, path: &str) -> bool {
        self.want(v, path, &["boolean"]) && matches!(v, Value::Bool(true))
    }

    fn integer(&mut self, v: &Value, path: &str) -> i64 {
        if self.want(v, path, &["integer"]) {
            num_i64(v)
        } else {
            0
        }
    }

    fn uint(&mut self, v: &Value, path: &str, types: &[&str]) -> u64 {
        if !self.want(v, path, types) {
            return 0;
        }
        let i = num_i64(v);
        if i < 0 {
            self.transform_err(LoadError::Transform {
                path: path.to_owned(),
                reason: format!("cannot parse '{path}', {i} overflows uint"),
            });
            return 0;
        }
        match v {
            Value::Uint(u) => *u,
            _ => i.unsigned_abs(),
        }
    }

    fn number(&mut self, v: &Value, path: &str) -> f64 {
        if !self.want(v, path, &["number"]) {
            return 0.0;
        }
        match v {
            Value::Int(i) => *i as f64,
            Value::Uint(u) => *u as f64,
            Value::Float(f) => *f,
            _ => 0.0,
        }
    }

    /// A string with `format: duration` (from `fmt_since`), in nanoseconds.
    fn duration(&mut self, v: &Value, path: &str, fmt_since: u32) -> Option<i64> {
        let s = self.string(v, path);
        if !matches!(v, Value::Str(_)) {
            return None;
        }
        match sdk_grammar::go::parse_duration(&s) {
            Ok(d) => Some(d),
            Err(_) => {
                if self.since(fmt_since) {
                    self.err(path, "Does not match format 'duration'");
                } else {
                    self.transform_err(LoadError::Transform {
                        path: path.to_owned(),
                        reason: format!("time: invalid duration {}", sdk_grammar::go::quote(&s)),
                    });
                }
                None
            }
        }
    }

    /// `uniqueItems`: the first duplicate pair.
    fn unique(&mut self, items: &[Value], path: &str) {
        for j in 1..items.len() {
            if let Some(i) = items[..j].iter().position(|x| x == &items[j]) {
                self.err(path, format!("array items[{i},{j}] must be unique"));
                return;
            }
        }
    }

    /// `type: array, items: {type: string}` (unique when `unique`).
    fn strings(&mut self, v: &Value, path: &str, unique: bool) -> Vec<String> {
        if !self.want(v, path, &["array"]) {
            return Vec::new();
        }
        let Value::Seq(items) = v else {
            return Vec::new();
        };
        let out = items
            .iter()
            .enumerate()
            .map(|(i, e)| self.string(e, &join(path, &i.to_string())))
            .collect();
        if unique {
            self.unique(items, path);
        }
        out
    }

    /// `string_or_list`.
    fn string_or_list(&mut self, v: &Value, path: &str) -> Vec<String> {
        match v {
            Value::Str(s) => vec![s.clone()],
            Value::Seq(_) => self.strings(v, path, true),
            _ => {
                self.one_of_failed(path);
                self.want(v, path, &["string"]);
                Vec::new()
            }
        }
    }

    /// `oneOf: [string, array of strings]` (command, entrypoint, healthcheck.test).
    fn string_or_strings(&mut self, v: &Value, path: &str) -> Option<Result<String, Vec<String>>> {
        match v {
            Value::Str(s) => Some(Ok(s.clone())),
            Value::Seq(_) => Some(Err(self.strings(v, path, false))),
            _ => {
                self.one_of_failed(path);
                self.want(v, path, &["string"]);
                None
            }
        }
    }

    /// `list_or_dict`, as (key, value) pairs in docker's transform for a separator: a map's
    /// null values and a list entry without the separator give `None`.
    fn list_or_dict(&mut self, v: &Value, path: &str, sep: char) -> Vec<(String, Option<String>)> {
        match v {
            Value::Map(m) => {
                let mut out = Vec::new();
                for (k, e) in m {
                    let p = join(path, k);
                    if self.want(e, &p, &["string", "number", "null"]) {
                        out.push((
                            k.clone(),
                            e.go_string().filter(|_| !matches!(e, Value::Null)),
                        ));
                    }
                }
                out
            }
            Value::Seq(_) => self
                .strings(v, path, true)
                .into_iter()
                .map(|s| match s.split_once(sep) {
                    Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
                    None => (s, None),
                })
                .collect(),
            _ => {
                self.one_of_failed(path);
                self.want(v, path, &["object"]);
                Vec::new()
            }
        }
    }

    /// `list_or_dict` as `Labels`/`Mapping` (no value → empty string).
    fn labels(&mut self, v: &Value, path: &str) -> BTreeMap<String, String> {
        self.list_or_dict(v, path, '=')
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect()
    }

    /// An object of `[string, number]` values (`driver_opts`; `null` too where allowed).
    fn string_map(&mut self, v: &Value, path: &str, null_ok: bool) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        if !self.want(v, path, &["object"]) {
            return out;
        }
        for (k, e) in v.as_map().into_iter().flatten() {
            let p = join(path, k);
            let types: &[&str] = if null_ok {
                &["string", "number", "null"]
            } else {
                &["string", "number"]
            };
            if self.want(e, &p, types) {
                out.insert(
                    k.clone(),
                    if matches!(e, Value::Null) {
                        String::new()
                    } else {
                        e.go_string().unwrap_or_default()
                    },
                );
            }
        }
        out
    }

    /// Reports the most specific schema error as docker does, or the first transform error.
    fn finish(self) -> Result<(), LoadError> {
        if let Some(e) = most_specific(&self.errors) {
            return Err(e);
        }
        match self.transform {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// docker's `getMostSpecificError` over gojsonschema's errors.
fn most_specific(errs: &[SchemaErr]) -> Option<LoadError> {
    let spec = |e: &SchemaErr| e.field.split('.').count();
    let mut best = 0;
    for (i, e) in errs.iter().enumerate().skip(1) {
        let b = &errs[best];
        if spec(e) > spec(b) || (spec(e) == spec(b) && e.invalid_type && !b.invalid_type) {
            best = i;
        }
    }
    let parent = errs.get(best)?;
    let desc = if parent.one_of {
        errs.get(best + 1)
            .map_or(parent.desc.clone(), |c| c.desc.clone())
    } else {
        parent.desc.clone()
    };
    Some(LoadError::Schema {
        field: parent.field.clone(),
        problem: desc,
    })
}

fn num_i64(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        Value::Uint(u) => i64::try_from(*u).unwrap_or(i64::MAX),
        #[allow(clippy::cast_possible_truncation)]
        Value::Float(f) => *f as i64,
        _ => 0,
    }
}

/// Decodes one interpolated file.
pub(crate) fn decode_file(root: &Map, ctx: &mut Ctx<'_>) -> Result<Compose, LoadError> {
    let mut cx = Cx {
        ctx,
        errors: Vec::new(),
        transform: None,
    };
    let mut known = vec!["version", "services", "networks", "volumes"];
    if cx.since(1) {
        known.push("secrets");
    }
    if cx.since(3) {
        known.push("configs");
    }
    let x_ok = cx.since(4);
    for k in root.keys() {
        if !(known.contains(&k.as_str()) || x_ok && k.starts_with("x-")) {
            cx.err("(root)", format!("Additional property {k} is not allowed"));
        }
    }
    if let Some(v) = root.get("version") {
        cx.string(v, "version");
    }
    let mut out = Compose::default();
    if let Some(v) = root.get("services")
        && let Some(m) = section(&mut cx, v, "services", true)
    {
        for (name, s) in m {
            let svc = decode_service(&mut cx, name, s);
            out.services.insert(name.clone(), svc);
        }
    }
    if let Some(v) = root.get("networks")
        && let Some(m) = section(&mut cx, v, "networks", false)
    {
        for (name, n) in m {
            let net = decode_network(&mut cx, name, n);
            out.networks.insert(name.clone(), net);
        }
    }
    if let Some(v) = root.get("volumes")
        && let Some(m) = section(&mut cx, v, "volumes", true)
    {
        for (name, n) in m {
            let vol = decode_volume(&mut cx, name, n);
            out.volumes.insert(name.clone(), vol);
        }
    }
    for (key, kind) in [("secrets", "secret"), ("configs", "config")] {
        if let Some(v) = root.get(key)
            && known.contains(&key)
            && let Some(m) = section(&mut cx, v, key, true)
        {
            for (name, n) in m {
                let obj = decode_file_object(&mut cx, kind, name, n);
                if key == "secrets" {
                    out.secrets.insert(name.clone(), obj);
                } else {
                    out.configs.insert(name.clone(), obj);
                }
            }
        }
    }
    out.extras = root
        .iter()
        .filter(|(k, _)| k.starts_with("x-"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    cx.finish()?;
    Ok(out)
}

/// A top-level section: an object whose keys are names (`additionalProperties: false` except
/// for networks, where docker's schema lets other names through).
fn section<'v>(cx: &mut Cx<'_, '_>, v: &'v Value, key: &str, strict: bool) -> Option<&'v Map> {
    if !cx.want(v, key, &["object"]) {
        return None;
    }
    let m = v.as_map()?;
    if strict {
        for k in m.keys() {
            if !valid_name(k) {
                cx.err(key, format!("Additional property {k} is not allowed"));
            }
        }
    }
    Some(m)
}

fn extras(m: &Map) -> BTreeMap<String, Value> {
    m.iter()
        .filter(|(k, _)| k.starts_with("x-"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[allow(clippy::too_many_lines)]
fn decode_service(cx: &mut Cx<'_, '_>, name: &str, v: &Value) -> Service {
    let path = format!("services.{name}");
    let mut known: Vec<&str> = vec![
        "build",
        "cap_add",
        "cap_drop",
        "cgroup_parent",
        "command",
        "container_name",
        "depends_on",
        "deploy",
        "devices",
        "dns",
        "dns_search",
        "domainname",
        "entrypoint",
        "env_file",
        "environment",
        "expose",
        "external_links",
        "extra_hosts",
        "healthcheck",
        "hostname",
        "image",
        "ipc",
        "labels",
        "links",
        "logging",
        "mac_address",
        "network_mode",
        "networks",
        "pid",
        "ports",
        "privileged",
        "read_only",
        "restart",
        "security_opt",
        "shm_size",
        "stdin_open",
        "stop_grace_period",
        "stop_signal",
        "sysctls",
        "tmpfs",
        "tty",
        "ulimits",
        "user",
        "userns_mode",
        "volumes",
        "working_dir",
    ];
    for (key, minor) in [
        ("secrets", 1),
        ("configs", 3),
        ("credential_spec", 3),
        ("isolation", 5),
        ("init", 7),
        ("cgroupns_mode", 9),
        ("oom_score_adj", 13),
    ] {
        if cx.since(minor) {
            known.push(key);
        }
    }
    let x_ok = cx.since(7);
    let mut s = Service {
        name: name.to_owned(),
        ..Service::default()
    };
    let Some(m) = cx.object(v, &path, &known, x_ok) else {
        return s;
    };
    for (k, e) in m {
        if !known.contains(&k.as_str()) {
            continue;
        }
        let p = join(&path, k);
        match k.as_str() {
            "build" => {
                match e {
                    Value::Str(_) => {}
                    Value::Map(_) => {
                        let mut bk = vec!["context", "dockerfile", "args"];
                        for (key, minor) in [
                            ("cache_from", 2),
                            ("labels", 3),
                            ("network", 4),
                            ("target", 4),
                            ("shm_size", 5),
                            ("extra_hosts", 9),
                        ] {
                            if cx.since(minor) {
                                bk.push(key);
                            }
                        }
                        let open = cx.since(11);
                        if let Some(b) = cx.object(e, &p, if open { &[] } else { &bk }, open) {
                            for (bk2, bv) in b {
                                let bp = join(&p, bk2);
                                match bk2.as_str() {
                                    "context" | "dockerfile" | "network" | "target" => {
                                        cx.string(bv, &bp);
                                    }
                                    "args" | "labels" | "extra_hosts" => {
                                        cx.list_or_dict(bv, &bp, '=');
                                    }
                                    "cache_from" => {
                                        cx.strings(bv, &bp, true);
                                    }
                                    "shm_size" => {
                                        cx.want(bv, &bp, &["integer", "string"]);
                                    }
                                    _ => {}
                                }
                            }
                        }
                    }
                    _ => {
                        cx.one_of_failed(&p);
                        cx.want(e, &p, &["string"]);
                    }
                }
                s.build = Some(e.clone());
            }
            "cap_add" => s.cap_add = cx.strings(e, &p, true),
            "cap_drop" => s.cap_drop = cx.strings(e, &p, true),
            "devices" => s.devices = cx.strings(e, &p, true),
            "external_links" => s.external_links = cx.strings(e, &p, true),
            "links" => s.links = cx.strings(e, &p, true),
            "security_opt" => s.security_opt = cx.strings(e, &p, true),
            "depends_on" => s.depends_on = cx.strings(e, &p, true),
            "cgroupns_mode" => s.cgroupns_mode = cx.string(e, &p),
            "cgroup_parent" => s.cgroup_parent = cx.string(e, &p),
            "container_name" => s.container_name = cx.string(e, &p),
            "domainname" => s.domainname = cx.string(e, &p),
            "hostname" => s.hostname = cx.string(e, &p),
            "image" => s.image = cx.string(e, &p),
            "ipc" => s.ipc = cx.string(e, &p),
            "isolation" => s.isolation = cx.string(e, &p),
            "mac_address" => s.mac_address = cx.string(e, &p),
            "network_mode" => s.network_mode = cx.string(e, &p),
            "restart" => s.restart = cx.string(e, &p),
            "stop_signal" => s.stop_signal = cx.string(e, &p),
            "user" => s.user = cx.string(e, &p),
            "userns_mode" => s.userns_mode = cx.string(e, &p),
            "working_dir" => s.working_dir = cx.string(e, &p),
            "pid" if cx.want(e, &p, &["string", "null"]) => {
                s.pid = e.as_str().unwrap_or_default().to_owned();
            }
            "shm_size" if cx.want(e, &p, &["number", "string"]) => {
                s.shm_size = e.go_string().unwrap_or_default();
            }
            "command" | "entrypoint" => {
                let words = match cx.string_or_strings(e, &p) {
                    Some(Ok(text)) => match sdk_grammar::shlex::split(&text) {
                        Ok(w) => w,
                        Err(e) => {
                            let reason = e.to_string();
                            cx.transform_err(LoadError::Transform {
                                path: p.clone(),
                                reason,
                            });
                            Vec::new()
                        }
                    },
                    Some(Err(list)) => list,
                    None => Vec::new(),
                };
                if k == "command" {
                    s.command = words;
                } else {
                    s.entrypoint = words;
                }
            }
            "configs" | "secrets" => {
                let refs = file_refs(cx, e, &p);
                if k == "configs" {
                    s.configs = refs;
                } else {
                    s.secrets = refs;
                }
            }
            "credential_spec" => {
                let mut ck = vec!["file", "registry"];
                if cx.since(8) {
                    ck.push("config");
                }
                if let Some(c) = cx.object(e, &p, &ck, false) {
                    let mut spec = CredentialSpec::default();
                    for (ck2, cv) in c {
                        let cp = join(&p, ck2);
                        let val = cx.string(cv, &cp);
                        match ck2.as_str() {
                            "file" => spec.file = val,
                            "registry" => spec.registry = val,
                            "config" => spec.config = val,
                            _ => {}
                        }
                    }
                    s.credential_spec = spec;
                }
            }
            "deploy" => s.deploy = decode_deploy(cx, e, &p),
            "dns" => s.dns = Some(cx.string_or_list(e, &p)),
            "dns_search" => s.dns_search = Some(cx.string_or_list(e, &p)),
            "env_file" => s.env_file = cx.string_or_list(e, &p),
            "tmpfs" => s.tmpfs = cx.string_or_list(e, &p),
            "environment" => {
                s.environment = cx.list_or_dict(e, &p, '=').into_iter().collect();
            }
            "labels" => s.labels = cx.labels(e, &p),
            "sysctls" => s.sysctls = cx.labels(e, &p),
            "extra_hosts" => s.extra_hosts = extra_hosts(cx, e, &p),
            "expose" => {
                if cx.want(e, &p, &["array"])
                    && let Value::Seq(items) = e
                {
                    for (i, it) in items.iter().enumerate() {
                        if cx.want(it, &join(&p, &i.to_string()), &["string", "number"]) {
                            s.expose.push(it.go_string().unwrap_or_default());
                        }
                    }
                    cx.unique(items, &p);
                }
            }
            "healthcheck" => s.healthcheck = decode_healthcheck(cx, e, &p),
            "init" if cx.want(e, &p, &["boolean"]) => {
                s.init = Some(matches!(e, Value::Bool(true)));
            }
            "logging" => {
                if let Some(l) = cx.object(e, &p, &["driver", "options"], false) {
                    let mut lg = Logging::default();
                    for (lk, lv) in l {
                        let lp = join(&p, lk);
                        match lk.as_str() {
                            "driver" => lg.driver = cx.string(lv, &lp),
                            "options" => lg.options = cx.string_map(lv, &lp, true),
                            _ => {}
                        }
                    }
                    s.logging = Some(lg);
                }
            }
            "networks" => s.networks = service_networks(cx, e, &p),
            "ports" => s.ports = ports(cx, e, &p),
            "privileged" => s.privileged = cx.boolean(e, &p),
            "read_only" => s.read_only = cx.boolean(e, &p),
            "stdin_open" => s.stdin_open = cx.boolean(e, &p),
            "tty" => s.tty = cx.boolean(e, &p),
            "stop_grace_period" => s.stop_grace_period = cx.duration(e, &p, 0),
            "ulimits" => s.ulimits = ulimits(cx, e, &p),
            "oom_score_adj" => s.oom_score_adj = cx.integer(e, &p),
            "volumes" => s.volumes = service_volumes(cx, e, &p),
            _ => {}
        }
    }
    s.extras = extras(m);
    resolve_environment(cx, &mut s, &path);
    resolve_volume_paths(cx, &mut s);
    s
}

/// `resolveEnvironment`: `env_file` entries, then `environment`; a name without a value (or
/// with an empty one) takes the value of the variable when it is set.
fn resolve_environment(cx: &mut Cx<'_, '_>, s: &mut Service, path: &str) {
    let mut env: BTreeMap<String, Option<String>> = BTreeMap::new();
    let lookup = cx.ctx.lookup;
    let update = |env: &mut BTreeMap<String, Option<String>>, k: String, v: Option<String>| {
        let from_env = lookup(&k);
        let value = match (&v, from_env) {
            (None, Some(e)) => Some(e),
            (Some(s), Some(e)) if s.is_empty() => Some(e),
            _ => v,
        };
        env.insert(k, value);
    };
    if !s.env_file.is_empty() {
        let mut vars: BTreeMap<String, Option<String>> = BTreeMap::new();
        for file in &s.env_file {
            let full = paths::abs(cx.ctx.working_dir, file);
            let lines = match (cx.ctx.read_file)(&full) {
                Ok(bytes) => match parse_env_file(&bytes, lookup) {
                    Ok(lines) => lines,
                    Err(reason) => {
                        cx.transform_err(LoadError::EnvFile {
                            path: full.clone(),
                            reason: format!("invalid env file ({full}): {reason}"),
                        });
                        continue;
                    }
                },
                Err(reason) => {
                    cx.transform_err(LoadError::EnvFile {
                        path: full.clone(),
                        reason,
                    });
                    continue;
                }
            };
            for line in lines {
                match line.split_once('=') {
                    Some((k, v)) => vars.insert(k.to_owned(), Some(v.to_owned())),
                    None => vars.insert(line, None),
                };
            }
        }
        for (k, v) in vars {
            update(&mut env, k, v);
        }
    }
    let _ = path;
    for (k, v) in std::mem::take(&mut s.environment) {
        update(&mut env, k, v);
    }
    s.environment = env;
}

/// docker's `kvfile` reader of `env_file`s (sdk-grammar's).
///
/// # Errors
/// docker's texts for invalid UTF-8, a missing name, or a name with whitespace.
pub(crate) fn parse_env_file(
    bytes: &[u8],
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<String>, String> {
    sdk_grammar::envfile::parse(bytes, lookup).map_err(|e| e.to_string())
}

/// `resolveVolumePaths`: bind sources made absolute (`~` from `HOME`).
fn resolve_volume_paths(cx: &mut Cx<'_, '_>, s: &mut Service) {
    for v in &mut s.volumes {
        if v.r#type != "bind" {
            continue;
        }
        if v.source.is_empty() {
            cx.transform_err(LoadError::Transform {
                path: format!("services.{}.volumes", s.name),
                reason: "invalid mount config for type \"bind\": field Source must not be empty"
                    .into(),
            });
            continue;
        }
        let mut src = v.source.clone();
        if src.starts_with('~') {
            match (cx.ctx.lookup)("HOME") {
                Some(home) => src = src.replacen('~', &home, 1),
                None => cx
                    .ctx
                    .warnings
                    .push("cannot expand '~', because the environment lacks HOME".into()),
            }
        }
        if !paths::is_abs_any(&src) {
            src = paths::abs(cx.ctx.working_dir, &src);
        }
        v.source = src;
    }
}

fn file_refs(cx: &mut Cx<'_, '_>, v: &Value, path: &str) -> Vec<FileReference> {
    let mut out = Vec::new();
    if !cx.want(v, path, &["array"]) {
        return out;
    }
    let Value::Seq(items) = v else { return out };
    for (i, it) in items.iter().enumerate() {
        let p = join(path, &i.to_string());
        match it {
            Value::Str(s) => out.push(FileReference {
                source: s.clone(),
                ..FileReference::default()
            }),
            Value::Map(m) => {
                let mut r = FileReference::default();
                for (k, e) in m {
                    let kp = join(&p, k);
                    match k.as_str() {
                        "source" => r.source = cx.string(e, &kp),
                        "target" => r.target = cx.string(e, &kp),
                        "uid" => r.uid = cx.string(e, &kp),
                        "gid" => r.gid = cx.string(e, &kp),
                        "mode" => {
                            let n = cx.number(e, &kp);
                            if n >= 0.0 && n <= f64::from(u32::MAX) {
                                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                                {
                                    r.mode = Some(n as u32);
                                }
                            } else if matches!(e, Value::Int(_) | Value::Float(_) | Value::Uint(_))
                            {
                                cx.transform_err(LoadError::Transform {
                                    path: kp.clone(),
                                    reason: format!("cannot parse '{kp}', {n} overflows uint"),
                                });
                            }
                        }
                        _ => {}
                    }
                }
                out.push(r);
            }
            _ => {
                cx.one_of_failed(&p);
                cx.want(it, &p, &["string"]);
            }
        }
    }
    out
}

fn extra_hosts(cx: &mut Cx<'_, '_>, v: &Value, path: &str) -> Vec<String> {
    let pairs: Vec<String> = match v {
        Value::Map(m) => {
            let mut list: Vec<String> = Vec::new();
            for (k, e) in m {
                if cx.want(e, &join(path, k), &["string", "number", "null"])
                    && !matches!(e, Value::Null)
                {
                    list.push(format!("{k}:{}", e.go_string().unwrap_or_default()));
                }
            }
            list.sort();
            list
        }
        Value::Seq(_) => cx
            .strings(v, path, true)
            .into_iter()
            .filter_map(|e| {
                e.split_once('=')
                    .or_else(|| e.split_once(':'))
                    .map(|(k, v)| format!("{k}:{v}"))
            })
            .collect(),
        _ => {
            cx.one_of_failed(path);
            cx.want(v, path, &["object"]);
            Vec::new()
        }
    };
    pairs
        .into_iter()
        .map(|hip| {
            let (host, ip) = hip.split_once(':').unwrap_or((&hip, ""));
            let ip = if ip.len() > 2 && ip.starts_with('[') && ip.ends_with(']') {
                &ip[1..ip.len() - 1]
            } else {
                ip
            };
            format!("{host}:{ip}")
        })
        .collect()
}

fn decode_healthcheck(cx: &mut Cx<'_, '_>, v: &Value, path: &str) -> Option<Healthcheck> {
    let mut known = vec!["disable", "interval", "retries", "test", "timeout"];
    if cx.since(4) {
        known.push("start_period");
    }
    if cx.since(12) {
        known.push("start_interval");
    }
    let m = cx.object(v, path, &known, false)?;
    let mut h = Healthcheck::default();
    for (k, e) in m {
        let p = join(path, k);
        match k.as_str() {
            "disable" => h.disable = cx.boolean(e, &p),
            "interval" => h.interval = cx.duration(e, &p, 4),
            "timeout" => h.timeout = cx.duration(e, &p, 4),
            "start_period" => h.start_period = cx.duration(e, &p, 4),
            "start_interval" => h.start_interval = cx.duration(e, &p, 4),
            "retries" => h.retries = Some(cx.uint(e, &p, &["number"])),
            "test" => {
                h.test = match cx.string_or_strings(e, &p) {
                    Some(Ok(s)) => vec!["CMD-SHELL".into(), s],
                    Some(Err(list)) => list,
                    None => Vec::new(),
                }
            }
            _ => {}
        }
    }
    Some(h)
}

fn service_networks(
    cx: &mut Cx<'_, '_>,
    v: &Value,
    path: &str,
) -> BTreeMap<String, Option<ServiceNetwork>> {
    let mut out = BTreeMap::new();
    match v {
        Value::Seq(_) => {
            for n in cx.strings(v, path, true) {
                out.insert(n, None);
            }
        }
        Value::Map(m) => {
            for (name, e) in m {
                let p = join(path, name);
                if !valid_name(name) {
                    cx.err(path, format!("Additional property {name} is not allowed"));
                    continue;
                }
                match e {
                    Value::Null => {
                        out.insert(name.clone(), None);
                    }
                    Value::Map(_) => {
                        let mut known = vec!["aliases", "ipv4_address", "ipv6_address"];
                        if cx.since(13) {
                            known.push("driver_opts");
                        }
                        let mut sn = ServiceNetwork::default();
                        if let Some(nm) = cx.object(e, &p, &known, false) {
                            for (k, x) in nm {
                                let kp = join(&p, k);
                                match k.as_str() {
                                    "aliases" => sn.aliases = cx.strings(x, &kp, true),
                                    "ipv4_address" => sn.ipv4_address = cx.string(x, &kp),
                                    "ipv6_address" => sn.ipv6_address = cx.string(x, &kp),
                                    "driver_opts" => sn.driver_opts = cx.string_map(x, &kp, false),
                                    _ => {}
                                }
                            }
                        }
                        out.insert(name.clone(), Some(sn));
                    }
                    _ => {
                        cx.one_of_failed(&p);
                        cx.want(e, &p, &["object"]);
                    }
                }
            }
        }
        _ => {
            cx.one_of_failed(path);
            cx.want(v, path, &["array"]);
        }
    }
    out
}

fn ports(cx: &mut Cx<'_, '_>, v: &Value, path: &str) -> Vec<Port> {
    let mut out = Vec::new();
    if !cx.want(v, path, &["array"]) {
        return out;
    }
    let Value::Seq(items) = v else { return out };
    cx.unique(items, path);
    let long_ok = cx.since(2);
    for (i, it) in items.iter().enumerate() {
        let p = join(path, &i.to_string());
        let text = match it {
            Value::Int(_) | Value::Uint(_) | Value::Float(_) => {
                let n = num_i64(it);
                Some(n.to_string())
            }
            Value::Str(s) => Some(s.clone()),
            Value::Map(_) if long_ok => {
                if let Some(m) =
                    cx.object(it, &p, &["mode", "target", "published", "protocol"], false)
                {
                    let mut port = Port::default();
                    for (k, e) in m {
                        let kp = join(&p, k);
                        match k.as_str() {
                            "mode" => port.mode = cx.string(e, &kp),
                            "protocol" => port.protocol = cx.string(e, &kp),
                            "target" | "published" => {
                                let n = cx.integer(e, &kp);
                                let n = u32::try_from(n).unwrap_or_else(|_| {
                                    cx.transform_err(LoadError::Transform {
                                        path: kp.clone(),
                                        reason: format!("cannot parse '{kp}', {n} overflows uint"),
                                    });
                                    0
                                });
                                if k == "target" {
                                    port.target = n;
                                } else {
                                    port.published = n;
                                }
                            }
                            _ => {}
                        }
                    }
                    out.push(port);
                }
                None
            }
            _ => {
                if long_ok {
                    cx.one_of_failed(&p);
                    cx.want(it, &p, &["number"]);
                } else {
                    cx.want(it, &p, &["string", "number"]);
                }
                None
            }
        };
        if let Some(text) = text {
            match crate::ports::parse_short(&text) {
                Ok((ports, warns)) => {
                    out.extend(ports);
                    cx.ctx.warnings.extend(warns);
                }
                Err(_) => {
                    if long_ok {
                        cx.one_of_failed(&p);
                    }
                    cx.err(&p, "Does not match format 'ports'");
                }
            }
        }
    }
    out
}

fn ulimits(cx: &mut Cx<'_, '_>, v: &Value, path: &str) -> BTreeMap<String, Ulimit> {
    let mut out = BTreeMap::new();
    if !cx.want(v, path, &["object"]) {
        return out;
    }
    for (name, e) in v.as_map().into_iter().flatten() {
        let p = join(path, name);
        let checked = !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase());
        match e {
            Value::Map(m) => {
                if checked {
                    cx.object(e, &p, &["soft", "hard"], false);
                    for req in ["soft", "hard"] {
                        if !m.contains_key(req) {
                            cx.err(&p, format!("{req} is required"));
                        }
                    }
                }
                let soft = m.get("soft").map_or(0, |x| {
                    if checked {
                        cx.integer(x, &join(&p, "soft"))
                    } else {
                        num_i64(x)
                    }
                });
                let hard = m.get("hard").map_or(0, |x| {
                    if checked {
                        cx.integer(x, &join(&p, "hard"))
                    } else {
                        num_i64(x)
                    }
                });
                out.insert(
                    name.clone(),
                    Ulimit {
                        single: 0,
                        soft,
                        hard,
                    },
                );
            }
            _ if e.kind() == "integer" => {
                out.insert(
                    name.clone(),
                    Ulimit {
                        single: num_i64(e),
                        ..Ulimit::default()
                    },
                );
            }
            _ => {
                if checked {
                    cx.one_of_failed(&p);
                    cx.want(e, &p, &["integer"]);
                } else {
                    cx.transform_err(LoadError::Transform {
                        path: p.clone(),
                        reason: format!("invalid type {} for ulimits", e.kind()),
                    });
                }
            }
        }
    }
    out
}

fn service_volumes(cx: &mut Cx<'_, '_>, v: &Value, path: &str) -> Vec<ServiceVolume> {
    let mut out = Vec::new();
    if !cx.want(v, path, &["array"]) {
        return out;
    }
    let Value::Seq(items) = v else { return out };
    let long_ok = cx.since(2);
    if !long_ok {
        cx.unique(items, path);
    }
    for (i, it) in items.iter().enumerate() {
        let p = join(path, &i.to_string());
        match it {
            Value::Str(s) => match crate::volumes::parse_volume(s) {
                Ok(vol) => out.push(vol),
                Err(reason) => cx.transform_err(LoadError::Transform { path: p, reason }),
            },
            Value::Map(m) if long_ok => {
                let mut known = vec![
                    "type",
                    "source",
                    "target",
                    "read_only",
                    "consistency",
                    "bind",
                    "volume",
                ];
                if cx.since(6) {
                    known.push("tmpfs");
                }
                cx.object(it, &p, &known, false);
                if !m.contains_key("type") {
                    cx.err(&p, "type is required");
                }
                let mut vol = ServiceVolume::default();
                for (k, e) in m {
                    let kp = join(&p, k);
                    match k.as_str() {
                        "type" => vol.r#type = cx.string(e, &kp),
                        "source" => vol.source = cx.string(e, &kp),
                        "target" => vol.target = cx.string(e, &kp),
                        "consistency" => vol.consistency = cx.string(e, &kp),
                        "read_only" => vol.read_only = cx.boolean(e, &kp),
                        "bind" if cx.want(e, &kp, &["object"]) => {
                            let prop = e
                                .as_map()
                                .and_then(|b| b.get("propagation"))
                                .map(|x| cx.string(x, &join(&kp, "propagation")))
                                .unwrap_or_default();
                            vol.bind = Some(prop);
                        }
                        "volume" if cx.want(e, &kp, &["object"]) => {
                            let vm = e.as_map();
                            let nocopy = vm
                                .and_then(|b| b.get("nocopy"))
                                .is_some_and(|x| cx.boolean(x, &join(&kp, "nocopy")));
                            let sub = vm
                                .and_then(|b| b.get("subpath"))
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_owned();
                            vol.volume = Some((nocopy, sub));
                        }
                        "tmpfs" if cx.want(e, &kp, &["object"]) => {
                            let size = e.as_map().and_then(|b| b.get("size")).map_or(0, |x| {
                                let sp = join(&kp, "size");
                                let n = cx.integer(x, &sp);
                                if n < 0 {
                                    cx.err(&sp, format!("{sp} must be greater than or equal to 0"));
                                }
                                n
                            });
                            vol.tmpfs = Some(size);
                        }
                        _ => {}
                    }
                }
                out.push(vol);
            }
            _ => {
                if long_ok {
                    cx.one_of_failed(&p);
                }
                cx.want(it, &p, &["string"]);
            }
        }
    }
    out
}

fn update_config(
    cx: &mut Cx<'_, '_>,
    v: &Value,
    path: &str,
    order_since: u32,
) -> Option<UpdateConfig> {
    let mut known = vec![
        "parallelism",
        "delay",
        "failure_action",
        "monitor",
        "max_failure_ratio",
    ];
    if cx.since(order_since) {
        known.push("order");
    }
    let m = cx.object(v, path, &known, false)?;
    let mut u = UpdateConfig::default();
    for (k, e) in m {
        let p = join(path, k);
        match k.as_str() {
            "parallelism" => u.parallelism = Some(cx.uint(e, &p, &["integer"])),
            "delay" => u.delay = cx.duration(e, &p, 0).unwrap_or(0),
            "monitor" => u.monitor = cx.duration(e, &p, 0).unwrap_or(0),
            "failure_action" => u.failure_action = cx.string(e, &p),
            #[allow(clippy::cast_possible_truncation)]
            "max_failure_ratio" => u.max_failure_ratio = cx.number(e, &p) as f32,
            "order" => {
                u.order = cx.string(e, &p);
                if matches!(e, Value::Str(_))
                    && !matches!(u.order.as_str(), "start-first" | "stop-first")
                {
                    cx.err(
                        &p,
                        format!(
                            "{p} must be one of the following: \"start-first\", \"stop-first\""
                        ),
                    );
                }
            }
            _ => {}
        }
    }
    Some(u)
}

fn decode_deploy(cx: &mut Cx<'_, '_>, v: &Value, path: &str) -> Deploy {
    let mut d = Deploy::default();
    if matches!(v, Value::Null) {
        return d;
    }
    let mut known = vec![
        "mode",
        "replicas",
        "labels",
        "update_config",
        "resources",
        "restart_policy",
        "placement",
    ];
    if cx.since(2) {
        known.push("endpoint_mode");
    }
    if cx.since(7) {
        known.push("rollback_config");
    }
    if !cx.want(v, path, &["object", "null"]) {
        return d;
    }
    let Some(m) = cx.object(v, path, &known, false) else {
        return d;
    };
    for (k, e) in m {
        let p = join(path, k);
        match k.as_str() {
            "mode" => d.mode = cx.string(e, &p),
            "endpoint_mode" => d.endpoint_mode = cx.string(e, &p),
            "replicas" => d.replicas = Some(cx.uint(e, &p, &["integer"])),
            "labels" => d.labels = cx.labels(e, &p),
            "update_config" => d.update_config = update_config(cx, e, &p, 4),
            "rollback_config" => d.rollback_config = update_config(cx, e, &p, 7),
            "resources" => d.resources = resources(cx, e, &p),
            "restart_policy" => {
                if let Some(r) = cx.object(
                    e,
                    &p,
                    &["condition", "delay", "max_attempts", "window"],
                    false,
                ) {
                    let mut rp = RestartPolicy::default();
                    for (rk, rv) in r {
                        let rpth = join(&p, rk);
                        match rk.as_str() {
                            "condition" => rp.condition = cx.string(rv, &rpth),
                            "delay" => rp.delay = cx.duration(rv, &rpth, 0),
                            "window" => rp.window = cx.duration(rv, &rpth, 0),
                            "max_attempts" => {
                                rp.max_attempts = Some(cx.uint(rv, &rpth, &["integer"]))
                            }
                            _ => {}
                        }
                    }
                    d.restart_policy = Some(rp);
                }
            }
            "placement" => d.placement = placement(cx, e, &p),
            _ => {}
        }
    }
    d
}

fn resources(cx: &mut Cx<'_, '_>, v: &Value, path: &str) -> Resources {
    let mut r = Resources::default();
    let Some(m) = cx.object(v, path, &["limits", "reservations"], false) else {
        return r;
    };
    for (k, e) in m {
        let p = join(path, k);
        let mut known = vec!["cpus", "memory"];
        if k == "limits" && cx.since(9) {
            known.push("pids");
        }
        if k == "reservations" && cx.since(5) {
            known.push("generic_resources");
        }
        let Some(rm) = cx.object(e, &p, &known, false) else {
            continue;
        };
        let mut cpus = String::new();
        let mut memory = 0;
        let mut pids = 0;
        let mut generic = Vec::new();
        for (rk, rv) in rm {
            let rp = join(&p, rk);
            match rk.as_str() {
                "cpus" => cpus = cx.string(rv, &rp),
                "memory" => {
                    let s = cx.string(rv, &rp);
                    if matches!(rv, Value::Str(_)) {
                        match sdk_grammar::units::ram_in_bytes(&s) {
                            Ok(n) => memory = n,
                            Err(_) => cx.transform_err(LoadError::Transform {
                                path: rp.clone(),
                                reason: format!("invalid size: '{s}'"),
                            }),
                        }
                    }
                }
                "pids" => pids = cx.integer(rv, &rp),
                "generic_resources" => generic = generic_resources(cx, rv, &rp),
                _ => {}
            }
        }
        if k == "limits" {
            r.limits = Some(Limits { cpus, memory, pids });
        } else {
            r.reservations = Some(Reservations {
                cpus,
                memory,
                generic_resources: generic,
            });
        }
    }
    r
}

fn generic_resources(cx: &mut Cx<'_, '_>, v: &Value, path: &str) -> Vec<Option<(String, i64)>> {
    let mut out = Vec::new();
    if !cx.want(v, path, &["array"]) {
        return out;
    }
    let Value::Seq(items) = v else { return out };
    for (i, it) in items.iter().enumerate() {
        let p = join(path, &i.to_string());
        let Some(m) = cx.object(it, &p, &["discrete_resource_spec"], false) else {
            continue;
        };
        let mut res = None;
        if let Some(d) = m.get("discrete_resource_spec") {
            let dp = join(&p, "discrete_resource_spec");
            if let Some(dm) = cx.object(d, &dp, &["kind", "value"], false) {
                let kind = dm
                    .get("kind")
                    .map(|k| cx.string(k, &join(&dp, "kind")))
                    .unwrap_or_default();
                #[allow(clippy::cast_possible_truncation)]
                let value = dm
                    .get("value")
                    .map_or(0, |x| cx.number(x, &join(&dp, "value")) as i64);
                res = Some((kind, value));
            }
        }
        out.push(res);
    }
    out
}

fn placement(cx: &mut Cx<'_, '_>, v: &Value, path: &str) -> Placement {
    let mut pl = Placement::default();
    let mut known = vec!["constraints"];
    if cx.since(3) {
        known.push("preferences");
    }
    if cx.since(8) {
        known.push("max_replicas_per_node");
    }
    let Some(m) = cx.object(v, path, &known, false) else {
        return pl;
    };
    for (k, e) in m {
        let p = join(path, k);
        match k.as_str() {
            "constraints" => pl.constraints = cx.strings(e, &p, false),
            "max_replicas_per_node" => pl.max_replicas = cx.uint(e, &p, &["integer"]),
            "preferences" => {
                if cx.want(e, &p, &["array"])
                    && let Value::Seq(items) = e
                {
                    for (i, it) in items.iter().enumerate() {
                        let ip = join(&p, &i.to_string());
                        if let Some(pm) = cx.object(it, &ip, &["spread"], false) {
                            let spread = pm
                                .get("spread")
                                .map(|s| cx.string(s, &join(&ip, "spread")))
                                .unwrap_or_default();
                            pl.preferences.push(spread);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    pl
}

/// `external: true|false|{name: …}` → (external, deprecated external name).
fn external(cx: &mut Cx<'_, '_>, v: &Value, path: &str, strict: bool) -> (bool, String) {
    if !cx.want(v, path, &["boolean", "object"]) {
        return (false, String::new());
    }
    match v {
        Value::Bool(b) => (*b, String::new()),
        Value::Map(m) => {
            if strict {
                cx.object(v, path, &["name"], false);
            }
            let name = m
                .get("name")
                .map(|n| cx.string(n, &join(path, "name")))
                .unwrap_or_default();
            (true, name)
        }
        _ => (false, String::new()),
    }
}

fn decode_network(cx: &mut Cx<'_, '_>, key: &str, v: &Value) -> Network {
    let path = format!("networks.{key}");
    let mut n = Network::default();
    if matches!(v, Value::Null) {
        return n;
    }
    let mut known = vec![
        "driver",
        "driver_opts",
        "ipam",
        "external",
        "internal",
        "labels",
    ];
    if cx.since(2) {
        known.push("attachable");
    }
    if cx.since(5) {
        known.push("name");
    }
    if !cx.want(v, &path, &["object", "null"]) {
        return n;
    }
    let Some(m) = cx.object(v, &path, &known, cx.since(7)) else {
        return n;
    };
    let mut ext_name = String::new();
    for (k, e) in m {
        let p = join(&path, k);
        match k.as_str() {
            "name" => n.name = cx.string(e, &p),
            "driver" => n.driver = cx.string(e, &p),
            "driver_opts" => n.driver_opts = cx.string_map(e, &p, false),
            "internal" => n.internal = cx.boolean(e, &p),
            "attachable" => n.attachable = cx.boolean(e, &p),
            "labels" => n.labels = cx.labels(e, &p),
            "external" => (n.external, ext_name) = external(cx, e, &p, true),
            "ipam" => {
                if let Some(im) = cx.object(e, &p, &["driver", "config"], false) {
                    for (ik, iv) in im {
                        let ip = join(&p, ik);
                        match ik.as_str() {
                            "driver" => n.ipam_driver = cx.string(iv, &ip),
                            "config" => {
                                if cx.want(iv, &ip, &["array"])
                                    && let Value::Seq(items) = iv
                                {
                                    for (i, it) in items.iter().enumerate() {
                                        let cp = join(&ip, &i.to_string());
                                        if let Some(cm) = cx.object(it, &cp, &["subnet"], false) {
                                            let subnet = cm
                                                .get("subnet")
                                                .map(|s| cx.string(s, &join(&cp, "subnet")))
                                                .unwrap_or_default();
                                            n.ipam_subnets.push(subnet);
                                        }
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                }
            }
            _ => {}
        }
    }
    n.extras = extras(m);
    if n.external {
        external_name(cx, "network", key, ext_name, &mut n.name, 5);
    }
    n
}

/// The name of an external network, volume, config or secret `key`: its `external.name`
/// (which conflicts with `name`, and is deprecated from file format 3.`deprecated_from`), else
/// its `name`, else the key.
fn external_name(
    cx: &mut Cx<'_, '_>,
    kind: &str,
    key: &str,
    ext_name: String,
    name: &mut String,
    deprecated_from: u32,
) {
    if !ext_name.is_empty() {
        if !name.is_empty() {
            cx.transform_err(LoadError::Conflict(format!(
                "{kind} {key}: {kind}.external.name and {kind}.name conflict; only use {kind}.name"
            )));
        }
        if cx.since(deprecated_from) {
            cx.ctx.warnings.push(format!(
                "{kind} {key}: {kind}.external.name is deprecated in favor of {kind}.name"
            ));
        }
        *name = ext_name;
    } else if name.is_empty() {
        *name = key.to_owned();
    }
}

fn decode_volume(cx: &mut Cx<'_, '_>, key: &str, v: &Value) -> Volume {
    let path = format!("volumes.{key}");
    let mut vol = Volume::default();
    if matches!(v, Value::Null) {
        return vol;
    }
    let mut known = vec!["driver", "driver_opts", "external", "labels"];
    if cx.since(4) {
        known.push("name");
    }
    if cx.since(10) {
        known.push("x-cluster-spec");
    }
    if !cx.want(v, &path, &["object", "null"]) {
        return vol;
    }
    let Some(m) = cx.object(v, &path, &known, cx.since(7)) else {
        return vol;
    };
    let mut ext_name = String::new();
    for (k, e) in m {
        let p = join(&path, k);
        match k.as_str() {
            "name" => vol.name = cx.string(e, &p),
            "driver" => vol.driver = cx.string(e, &p),
            "driver_opts" => vol.driver_opts = Some(cx.string_map(e, &p, false)),
            "labels" => vol.labels = cx.labels(e, &p),
            "external" => (vol.external, ext_name) = external(cx, e, &p, true),
            _ => {}
        }
    }
    vol.extras = extras(m);
    if vol.external {
        let conflict = if !vol.driver.is_empty() {
            Some("driver")
        } else if vol.driver_opts.as_ref().is_some_and(|o| !o.is_empty()) {
            Some("driver_opts")
        } else if !vol.labels.is_empty() {
            Some("labels")
        } else {
            None
        };
        if let Some(c) = conflict {
            cx.transform_err(LoadError::Conflict(format!(
                "conflicting parameters \"external\" and \"{c}\" specified for volume \"{key}\""
            )));
        } else {
            external_name(cx, "volume", key, ext_name, &mut vol.name, 4);
        }
    }
    vol
}

fn decode_file_object(cx: &mut Cx<'_, '_>, kind: &str, key: &str, v: &Value) -> FileObject {
    let path = format!("{kind}s.{key}");
    let mut o = FileObject::default();
    let mut known = vec!["file", "external", "labels"];
    if cx.since(5) {
        known.push("name");
    }
    if cx.since(8) {
        known.push("template_driver");
        if kind == "secret" {
            known.push("driver");
            known.push("driver_opts");
        }
    }
    let Some(m) = cx.object(v, &path, &known, cx.since(7)) else {
        return o;
    };
    let mut ext_name = String::new();
    for (k, e) in m {
        let p = join(&path, k);
        match k.as_str() {
            "name" => o.name = cx.string(e, &p),
            "file" => o.file = cx.string(e, &p),
            "labels" => o.labels = cx.labels(e, &p),
            "driver" => o.driver = cx.string(e, &p),
            "driver_opts" => o.driver_opts = cx.string_map(e, &p, false),
            "template_driver" => o.template_driver = cx.string(e, &p),
            "external" => (o.external, ext_name) = external(cx, e, &p, false),
            _ => {}
        }
    }
    o.extras = extras(m);
    if o.external {
        external_name(cx, kind, key, ext_name, &mut o.name, 5);
    } else if !o.driver.is_empty() {
        if !o.file.is_empty() {
            cx.transform_err(LoadError::Conflict(format!(
                "{kind} {key}: {kind}.driver and {kind}.file conflict; only use {kind}.driver"
            )));
        }
    } else {
        o.file = paths::abs(cx.ctx.working_dir, &o.file);
    }
    o
}
