//! Parity with `docker stack deploy` (docker CLI 28) on the real swarm of scripts/test.
//!
//! Each case is deployed once by the docker CLI and once by this crate, one after the other
//! (so published ports and subnets do not clash), under two stack names. The swarm objects
//! each left behind are read back raw from the Engine API and compared field by field:
//! services (every `Spec` field), networks (driver, options, labels, scope, flags, IPAM),
//! configs (name, labels, data, templating) and secrets (name, labels, driver, templating).
//! Stack names are mapped to one token, object IDs to the names of the objects they point to.
//! After each successful deploy of ours, the same files are deployed again: no service update
//! may be sent and no service version may change. A case docker refuses must be refused by us
//! too, with nothing created.
//!
//! Network rule: every stack here either uses the external `host` network only, or starts no
//! task (`replicas: 0`, or images under `$DOCKWRIGHT_TEST_REGISTRY/absent/` that do not exist);
//! the NFS server address of the seed is data only.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};
use swarm_client::Client;
use swarm_stack::deploy::{DeployOptions, ResolveImage, deploy};
use swarm_stack::{ComposeFile, Loader, convert};

fn host() -> String {
    std::env::var("DOCKWRIGHT_TEST_DOCKER_HOST").expect("DOCKWRIGHT_TEST_DOCKER_HOST")
}

fn registry() -> String {
    std::env::var("DOCKWRIGHT_TEST_REGISTRY").expect("DOCKWRIGHT_TEST_REGISTRY")
}

/// GET on the Engine API, raw JSON (curl over the unix socket, so nothing of ours decodes it).
fn raw(path: &str) -> Json {
    let h = host();
    let sock = h.strip_prefix("unix://").expect("unix socket host");
    let out = Command::new("curl")
        .args([
            "-sf",
            "--unix-socket",
            sock,
            &format!("http://d/v1.41{path}"),
        ])
        .output()
        .expect("curl");
    assert!(
        out.status.success(),
        "GET {path}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

fn label_query(ns: &str) -> String {
    let f = json!({"label": {format!("com.docker.stack.namespace={ns}"): true}}).to_string();
    format!("filters={}", urlencode(&f))
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Removes a stack (docker's `stack rm`) and waits until nothing of it is left.
struct StackGuard(String);

impl StackGuard {
    fn remove(&self) {
        let _ = Command::new("docker")
            .args(["-H", &host(), "stack", "rm", &self.0])
            .output();
        let q = label_query(&self.0);
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let left = ["services", "networks", "configs", "secrets"]
                .iter()
                .map(|k| raw(&format!("/{k}?{q}")).as_array().map_or(0, Vec::len))
                .sum::<usize>();
            if left == 0 {
                return;
            }
            let _ = Command::new("docker")
                .args(["-H", &host(), "stack", "rm", &self.0])
                .output();
            std::thread::sleep(Duration::from_millis(300));
        }
    }
}

impl Drop for StackGuard {
    fn drop(&mut self) {
        self.remove();
    }
}

/// One deploy of a case: files (relative to the case dir), environment, flags.
#[derive(Clone)]
struct Step {
    files: Vec<&'static str>,
    env: Vec<(&'static str, String)>,
    prune: bool,
    resolve: &'static str,
}

fn step(files: &[&'static str]) -> Step {
    Step {
        files: files.to_vec(),
        env: Vec::new(),
        prune: false,
        resolve: "never",
    }
}

struct Case {
    name: &'static str,
    /// Files written into the case directory (`$REG` is the test registry).
    files: Vec<(&'static str, String)>,
    steps: Vec<Step>,
    /// docker refuses the last step.
    fails: bool,
}

fn case(name: &'static str, yaml: &str) -> Case {
    Case {
        name,
        files: vec![("stack.yml", yaml.to_owned())],
        steps: vec![step(&["stack.yml"])],
        fails: false,
    }
}

fn base_env(step: &Step) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = ["PATH", "HOME"]
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| ((*k).to_owned(), v)))
        .collect();
    env.extend(step.env.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    env
}

fn docker_deploy(dir: &Path, stack: &str, s: &Step) -> Result<(), String> {
    let mut cmd = Command::new("docker");
    cmd.current_dir(dir).env_clear().envs(base_env(s));
    cmd.args([
        "-H",
        &host(),
        "stack",
        "deploy",
        "--resolve-image",
        s.resolve,
    ]);
    if s.prune {
        cmd.arg("--prune");
    }
    for f in &s.files {
        cmd.args(["-c", f]);
    }
    cmd.arg(stack);
    let out = cmd.output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

async fn our_deploy(
    c: &Client,
    dir: &Path,
    stack: &str,
    s: &Step,
) -> Result<swarm_stack::deploy::Report, String> {
    let mut l = Loader::new(dir.display().to_string()).envs(base_env(s));
    for f in &s.files {
        l = l.file(ComposeFile::read(dir.join(f)).map_err(|e| e.to_string())?);
    }
    let loaded = l.load().map_err(|e| e.to_string())?;
    let reader = l.file_reader();
    let spec = convert::convert(stack, &loaded.compose, &*reader).map_err(|e| e.to_string())?;
    let opts = DeployOptions::new()
        .prune(s.prune)
        .resolve_image(
            s.resolve
                .parse::<ResolveImage>()
                .map_err(|e| e.to_string())?,
        )
        .detach(true);
    deploy(c, &spec, &opts).await.map_err(|e| e.to_string())
}

/// Replaces `from` by `to` in every string of `v`.
fn map_strings(v: &mut Json, f: &dyn Fn(&str) -> String) {
    match v {
        Json::String(s) => *s = f(s),
        Json::Array(a) => a.iter_mut().for_each(|e| map_strings(e, f)),
        Json::Object(m) => {
            let old = std::mem::take(m);
            for (k, mut e) in old {
                map_strings(&mut e, f);
                m.insert(f(&k), e);
            }
        }
        _ => {}
    }
}

/// Everything of a stack the comparison looks at, with IDs replaced by names and the stack
/// name by `STACK`.
fn snapshot(ns: &str, written: &str) -> Json {
    let q = label_query(ns);
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let nets_all = raw("/networks");
    for n in nets_all.as_array().unwrap() {
        names.insert(
            n["Id"].as_str().unwrap().into(),
            format!("net:{}", n["Name"].as_str().unwrap()),
        );
    }
    let mut configs = serde_json::Map::new();
    for o in raw("/configs").as_array().unwrap() {
        names.insert(
            o["ID"].as_str().unwrap().into(),
            format!("config:{}", o["Spec"]["Name"].as_str().unwrap()),
        );
    }
    for o in raw(&format!("/configs?{q}")).as_array().unwrap() {
        configs.insert(
            o["Spec"]["Name"].as_str().unwrap().into(),
            o["Spec"].clone(),
        );
    }
    let mut secrets = serde_json::Map::new();
    for o in raw("/secrets").as_array().unwrap() {
        names.insert(
            o["ID"].as_str().unwrap().into(),
            format!("secret:{}", o["Spec"]["Name"].as_str().unwrap()),
        );
    }
    for o in raw(&format!("/secrets?{q}")).as_array().unwrap() {
        secrets.insert(
            o["Spec"]["Name"].as_str().unwrap().into(),
            o["Spec"].clone(),
        );
    }
    let mut services = serde_json::Map::new();
    for s in raw(&format!("/services?{q}")).as_array().unwrap() {
        services.insert(
            s["Spec"]["Name"].as_str().unwrap().into(),
            s["Spec"].clone(),
        );
    }
    let mut networks = serde_json::Map::new();
    for n in raw(&format!("/networks?{q}")).as_array().unwrap() {
        let full = raw(&format!("/networks/{}", n["Id"].as_str().unwrap()));
        let mut opts = full["Options"].clone();
        if let Some(o) = opts.as_object_mut() {
            o.remove("com.docker.network.driver.overlay.vxlanid_list");
        }
        // Subnets the allocator picks differ between two deploys; subnets written in the
        // file are compared.
        let ipam_cfg: Vec<Json> = full["IPAM"]["Config"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|c| match c["Subnet"].as_str() {
                        Some(sn) if written.contains(sn) => c["Subnet"].clone(),
                        _ => json!("(allocated)"),
                    })
                    .collect()
            })
            .unwrap_or_default();
        networks.insert(
            n["Name"].as_str().unwrap().into(),
            json!({
                "Driver": full["Driver"], "Scope": full["Scope"], "Internal": full["Internal"],
                "Attachable": full["Attachable"], "Ingress": full["Ingress"], "EnableIPv6": full["EnableIPv6"],
                "Labels": full["Labels"], "Options": opts, "IPAM.Driver": full["IPAM"]["Driver"],
                "IPAM.Options": full["IPAM"]["Options"], "IPAM.Subnets": ipam_cfg,
            }),
        );
    }
    let mut snap =
        json!({"services": services, "networks": networks, "configs": configs, "secrets": secrets});
    let ns = ns.to_owned();
    map_strings(&mut snap, &|s: &str| {
        if let Some(n) = names.get(s) {
            return n.replace(&ns, "STACK");
        }
        s.replace(&ns, "STACK")
    });
    snap
}

fn diff(a: &Json, b: &Json, path: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                diff(
                    x.get(k).unwrap_or(&Json::Null),
                    y.get(k).unwrap_or(&Json::Null),
                    &format!("{path}.{k}"),
                    out,
                );
            }
        }
        (Json::Array(x), Json::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                diff(p, q, &format!("{path}[{i}]"), out);
            }
        }
        _ if a != b => out.push(format!("{path}: docker {a} / ours {b}")),
        _ => {}
    }
}

fn versions(ns: &str) -> BTreeMap<String, u64> {
    raw(&format!("/services?{}", label_query(ns)))
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["Spec"]["Name"].as_str().unwrap().to_owned(),
                s["Version"]["Index"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Runs one case; returns a description of what differs (empty: parity).
async fn run_case(c: &Client, n: usize, case: &Case) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in &case.files {
        std::fs::write(dir.path().join(name), text.replace("$REG", &registry())).unwrap();
    }
    let theirs = format!("dwpd{n:02}{}", std::process::id() % 1000);
    let ours = format!("dwpo{n:02}{}", std::process::id() % 1000);
    let mut problems = Vec::new();

    let g = StackGuard(theirs.clone());
    let mut docker_result = Ok(());
    for s in &case.steps {
        docker_result = docker_deploy(dir.path(), &theirs, s);
    }
    let written: String = case.files.iter().map(|(_, t)| t.as_str()).collect();
    let docker_snap = snapshot(&theirs, &written);
    g.remove();
    drop(g);

    let g = StackGuard(ours.clone());
    let mut our_result = Ok(Default::default());
    for s in &case.steps {
        our_result = our_deploy(c, dir.path(), &ours, s).await;
    }
    let our_snap = snapshot(&ours, &written);
    match (&docker_result, &our_result) {
        (Ok(()), Ok(_)) => {
            diff(&docker_snap, &our_snap, "", &mut problems);
            // Re-deploy the same files: no update, no version change.
            let before = versions(&ours);
            let last = case.steps.last().unwrap();
            match our_deploy(c, dir.path(), &ours, last).await {
                Ok(r) if r.service_updates == 0 => {}
                Ok(r) => problems.push(format!(
                    "re-deploy sent {} service updates: {}",
                    r.service_updates, r.plan
                )),
                Err(e) => problems.push(format!("re-deploy failed: {e}")),
            }
            if versions(&ours) != before {
                problems.push("re-deploy changed service versions".into());
            }
        }
        (Err(d), Err(o)) => {
            if case.steps.len() == 1 && our_snap != snapshot("dw-nothing-here", "") {
                problems.push(format!("we refused but left objects: {our_snap}"));
            }
            eprintln!(
                "case {}: both refused\n  docker: {}\n  ours:   {o}",
                case.name,
                d.trim()
            );
        }
        (Ok(()), Err(o)) => problems.push(format!("docker deployed, we failed: {o}")),
        (Err(d), Ok(_)) => problems.push(format!("docker failed ({}), we deployed", d.trim())),
    }
    if case.fails != docker_result.is_err() {
        problems.push(format!(
            "expected docker to {}: {docker_result:?}",
            if case.fails { "fail" } else { "succeed" }
        ));
    }
    g.remove();
    problems
}

#[allow(clippy::too_many_lines)]
fn cases() -> Vec<Case> {
    let mut v = vec![
        case("minimal", "services:\n  web:\n    image: $REG/absent/web:1\n    deploy: {replicas: 0}\n"),
        case(
            "ports",
            "services:\n  web:\n    image: $REG/absent/web:1\n    deploy: {replicas: 0}\n    ports:\n      - '39080:80'\n      - '39081:81/udp'\n      - '39090-39091:90-91'\n      - 92\n      - '127.0.0.1:39093:93'\n      - {target: 94, published: 39094, mode: host}\n      - {target: 95, published: 39095, protocol: udp, mode: ingress}\n",
        ),
        case(
            "volumes",
            "services:\n  web:\n    image: $REG/absent/web:1\n    deploy: {replicas: 0}\n    volumes:\n      - www:/usr/share/nginx/html:ro,nocopy\n      - ./site:/site:rshared\n      - /data\n      - ext:/ext\n      - {type: tmpfs, target: /t, tmpfs: {size: 65536}}\n      - {type: bind, source: /tmp, target: /host-tmp, read_only: true, bind: {propagation: rprivate}}\n      - {type: volume, source: www, target: /w2, volume: {nocopy: true}}\nvolumes:\n  www:\n    driver_opts: {type: nfs, o: 'addr=192.168.1.220,rw,nfsvers=4', device: ':/www'}\n    labels: [tier=web]\n  ext:\n    external: true\n",
        ),
        Case {
            name: "secrets and configs",
            files: vec![
                ("stack.yml", "services:\n  web:\n    image: $REG/absent/web:1\n    deploy: {replicas: 0}\n    secrets: [pw, {source: api, target: /run/api.key, uid: '100', gid: '101', mode: 0400}]\n    configs: [{source: conf, target: /etc/app.conf, mode: 0440}, tmpl]\nsecrets:\n  pw: {file: ./pw.txt}\n  api: {file: api.key, labels: {k: v}}\nconfigs:\n  conf: {file: ./app.conf, name: custom-conf-$NAME}\n  tmpl: {file: tmpl.conf, template_driver: golang}\n".into()),
                ("pw.txt", "hunter2\n".into()),
                ("api.key", "key-123".into()),
                ("app.conf", "listen 80;\n".into()),
                ("tmpl.conf", "service {{.Service.Name}}\n".into()),
            ],
            steps: vec![Step { env: vec![("NAME", "x1".into())], ..step(&["stack.yml"]) }],
            fails: false,
        },
        case(
            "resources",
            "services:\n  web:\n    image: $REG/absent/web:1\n    deploy:\n      replicas: 0\n      resources:\n        limits: {cpus: '0.5', memory: 64M, pids: 100}\n        reservations: {cpus: '1/4', memory: 1g, generic_resources: [{discrete_resource_spec: {kind: gpu, value: 2}}]}\n",
        ),
        case(
            "update and rollback",
            "services:\n  web:\n    image: $REG/absent/web:1\n    deploy:\n      replicas: 0\n      restart_policy: {condition: on-failure, delay: 2s, max_attempts: 3, window: 1m}\n      update_config: {parallelism: 2, delay: 10s, failure_action: rollback, monitor: 30s, max_failure_ratio: 0.25, order: start-first}\n      rollback_config: {parallelism: 0, order: stop-first, failure_action: continue}\n",
        ),
        case(
            "placement",
            "services:\n  web:\n    image: $REG/absent/web:1\n    deploy:\n      replicas: 0\n      placement:\n        constraints: [node.role==manager, 'node.labels.zone != x']\n        preferences: [{spread: node.labels.zone}, {spread: node.id}]\n        max_replicas_per_node: 2\n",
        ),
        case(
            "global and dnsrr",
            "services:\n  lb:\n    image: $REG/absent/lb:1\n    deploy: {mode: global, endpoint_mode: dnsrr}\n",
        ),
        case(
            "jobs",
            "services:\n  once:\n    image: $REG/absent/job:1\n    deploy: {mode: replicated-job, replicas: 0}\n  each:\n    image: $REG/absent/job:1\n    deploy: {mode: global-job, placement: {constraints: [node.labels.nothing==here]}}\n",
        ),
        case(
            "healthchecks",
            "services:\n  a:\n    image: $REG/absent/a:1\n    deploy: {replicas: 0}\n    healthcheck: {test: 'curl -f http://localhost', interval: 5s, timeout: 2s, retries: 3, start_period: 10s, start_interval: 1s}\n  b:\n    image: $REG/absent/b:1\n    deploy: {replicas: 0}\n    healthcheck: {test: [CMD, /bin/check, --fast]}\n  c:\n    image: $REG/absent/c:1\n    deploy: {replicas: 0}\n    healthcheck: {disable: true}\n",
        ),
        case(
            "logging",
            "services:\n  web:\n    image: $REG/absent/web:1\n    deploy: {replicas: 0}\n    logging:\n      driver: json-file\n      options: {max-size: 10m, max-file: 3}\n",
        ),
        case(
            "ulimits sysctls caps",
            "services:\n  web:\n    image: $REG/absent/web:1\n    deploy: {replicas: 0}\n    ulimits: {nofile: {soft: 1024, hard: 4096}, nproc: 512}\n    sysctls: {net.core.somaxconn: 1024, net.ipv4.tcp_syncookies: '0'}\n    cap_add: [net_admin, SYS_TIME]\n    cap_drop: [ALL]\n",
        ),
        case(
            "hosts and dns",
            "services:\n  a:\n    image: $REG/absent/a:1\n    deploy: {replicas: 0}\n    extra_hosts: ['db:10.0.0.5', 'v6=::1']\n    dns: 9.9.9.9\n    dns_search: [example.com, corp]\n  b:\n    image: $REG/absent/b:1\n    deploy: {replicas: 0}\n    extra_hosts: {cache: 10.0.0.6, old: '[fe80::1]'}\n    dns: []\n",
        ),
        case(
            "container settings",
            "services:\n  web:\n    image: $REG/absent/web:1\n    deploy: {replicas: 0}\n    init: true\n    tty: true\n    stdin_open: true\n    read_only: true\n    user: '1000:1000'\n    working_dir: /srv\n    hostname: '{{.Service.Name}}-{{.Task.Slot}}'\n    stop_signal: SIGQUIT\n    stop_grace_period: 1m30s\n    oom_score_adj: -500\n    isolation: default\n",
        ),
        Case {
            name: "environment and labels",
            files: vec![
                ("stack.yml", "services:\n  web:\n    image: $REG/absent/web:1\n    deploy: {replicas: 0, labels: {svc: label, num: 3}}\n    env_file: [./web.env]\n    environment:\n      - FROM_SHELL\n      - EMPTY=\n      - LITERAL=a=b\n      - PORT=81{{.Task.Slot}}\n    labels:\n      - com.example.tier=web\n      - flag\n".into()),
                ("web.env", "# comment\nFILE_VAR=from file\n  INDENTED=yes\nFROM_SHELL=overridden\nLOOKUP\n".into()),
            ],
            steps: vec![Step {
                env: vec![("FROM_SHELL", "shell value".into()), ("LOOKUP", "looked up".into()), ("EMPTY", "set".into())],
                ..step(&["stack.yml"])
            }],
            fails: false,
        },
        case(
            "command and entrypoint",
            "services:\n  a:\n    image: $REG/absent/a:1\n    deploy: {replicas: 0}\n    entrypoint: /bin/sh -c\n    command: \"echo 'hello world' \\\"$$HOME\\\" # comment\"\n  b:\n    image: $REG/absent/b:1\n    deploy: {replicas: 0}\n    entrypoint: [httpd, -f]\n    command: [-p, '127.0.0.1:8080', -h, /www]\n",
        ),
        Case {
            name: "interpolation",
            files: vec![(
                "stack.yml",
                "services:\n  web:\n    image: $REG/absent/${IMG:-web}:${TAG}\n    deploy:\n      replicas: '${REPLICAS}'\n      labels:\n        - a=${UNSET-dflt}\n        - b=${EMPTY:-soft}\n        - c=${EMPTY-hard}\n        - d=$$literal\n        - e=${SET?needed}\n        - f=${SET:?needed}\n        - g=$SET-x}y\n    environment: ['X=$SET', 'Y=${SET}x']\n    read_only: '${RO}'\n".into(),
            )],
            steps: vec![Step {
                env: vec![("TAG", "2".into()), ("REPLICAS", "0".into()), ("EMPTY", String::new()), ("SET", "v".into()), ("RO", "yes".into())],
                ..step(&["stack.yml"])
            }],
            fails: false,
        },
        case(
            "anchors merge keys extensions",
            "x-defaults: &defaults\n  image: $REG/absent/base:1\n  deploy: &deploy {replicas: 0, labels: [from=anchor]}\n  environment: {A: '1'}\nx-env: &env {B: '2'}\nservices:\n  a:\n    <<: *defaults\n    x-note: ignored\n  b:\n    <<: *defaults\n    image: $REG/absent/b:1\n    environment:\n      <<: *env\n      C: '3'\n    deploy:\n      <<: *deploy\n      mode: replicated\n",
        ),
        Case {
            name: "two files merged",
            files: vec![
                ("base.yml", "services:\n  web:\n    image: $REG/absent/web:1\n    deploy: {replicas: 0, placement: {constraints: [node.role==manager]}}\n    ports: ['39180:80', '39181:81']\n    environment: {A: '1', B: '2'}\n    labels: [x=1]\n    cap_add: [NET_ADMIN]\n    command: a b\n  db:\n    image: $REG/absent/db:1\n    deploy: {replicas: 0}\n".into()),
                ("override.yml", "services:\n  web:\n    image: $REG/absent/web:2\n    deploy: {placement: {constraints: [node.labels.a==b]}}\n    ports: [{target: 82, published: 39180}]\n    environment: {A: '9', C: }\n    labels: {y: '2'}\n    cap_add: [SYS_ADMIN]\n  cache:\n    image: $REG/absent/cache:1\n    deploy: {replicas: 0}\n".into()),
            ],
            steps: vec![step(&["base.yml", "override.yml"])],
            fails: false,
        },
        Case {
            name: "three files with networks",
            files: vec![
                ("a.yml", "services:\n  web:\n    image: $REG/absent/web:1\n    deploy: {replicas: 0}\n    networks: [front]\nnetworks:\n  front: {driver: overlay, labels: [a=1]}\n".into()),
                ("b.yml", "services:\n  web:\n    networks: {back: {aliases: [api]}}\nnetworks:\n  back: {attachable: true}\n".into()),
                ("c.yml", "networks:\n  front: {driver: overlay, driver_opts: {encrypted: ''}, labels: {b: '2'}}\n".into()),
            ],
            steps: vec![step(&["a.yml", "b.yml", "c.yml"])],
            fails: false,
        },
        case(
            "networks",
            "services:\n  web:\n    image: $REG/absent/web:1\n    deploy: {replicas: 0}\n    networks:\n      front: {aliases: [www, site]}\n      back:\n      internal_net: {driver_opts: {com.docker.network.endpoint.sysctls: 'net.ipv4.conf.IFNAME.log_martians=1'}}\n  lb:\n    image: $REG/absent/lb:1\n    deploy: {replicas: 0}\nnetworks:\n  front: {driver: overlay, attachable: true, labels: {role: front}}\n  back: {ipam: {config: [{subnet: 10.251.17.0/24}]}}\n  internal_net: {internal: true, name: custom-internal-net}\n",
        ),
        case(
            "external host network",
            "services:\n  web:\n    image: $REG/absent/web:1\n    deploy: {replicas: 0}\n    networks: [host]\nnetworks:\n  host: {external: true, name: host}\n",
        ),
        case(
            "version 3.8",
            "version: '3.8'\nservices:\n  web:\n    image: $REG/absent/web:1\n    deploy: {replicas: 0, placement: {max_replicas_per_node: 1}}\n    init: false\n",
        ),
        case(
            "ignored keys",
            "services:\n  web:\n    image: $REG/absent/web:1\n    build: .\n    container_name: web1\n    restart: on-failure:5\n    privileged: true\n    expose: [80]\n    depends_on: [db]\n    links: [db]\n    deploy: {replicas: 0}\n  db:\n    image: $REG/absent/db:1\n    restart: always\n    deploy: {replicas: 0}\n",
        ),
        case(
            "day5 seed topology",
            "services:\n  swarm_nginx:\n    image: $REG/absent/dev1johndoe/nginx:latest\n    deploy: {replicas: 0}\n    ports: [{mode: host, target: 80, published: 8080}]\n    volumes:\n      - {type: volume, source: nfs_nginx, target: /usr/share/nginx/html/, volume: {nocopy: true}}\n  nginx_lb:\n    image: $REG/absent/dev1johndoe/nginx_lb:latest\n    deploy: {replicas: 0}\n    ports: ['39280:80']\nvolumes:\n  nfs_nginx:\n    driver_opts: {type: nfs, o: 'addr=192.168.1.220,rw,nfsvers=4', device: ':/www'}\n",
        ),
        case(
            "resolve image always",
            "services:\n  web:\n    image: $REG/swarmclient-test/busybox:1\n    deploy: {replicas: 0}\n  gone:\n    image: $REG/absent/gone:1\n    deploy: {replicas: 0}\n",
        ),
    ];
    let last = v.len() - 1;
    v[last].steps[0].resolve = "always";
    v.push(Case {
        name: "prune",
        files: vec![
            ("two.yml", "services:\n  a:\n    image: $REG/absent/a:1\n    deploy: {replicas: 0}\n  b:\n    image: $REG/absent/b:1\n    deploy: {replicas: 0}\n".into()),
            ("one.yml", "services:\n  a:\n    image: $REG/absent/a:2\n    deploy: {replicas: 0}\n".into()),
        ],
        steps: vec![step(&["two.yml"]), Step { prune: true, ..step(&["one.yml"]) }],
        fails: false,
    });
    v.push(Case {
        name: "resolve image changed",
        files: vec![
            ("v1.yml", "services:\n  web:\n    image: $REG/swarmclient-test/busybox:1\n    deploy: {replicas: 0}\n  other:\n    image: $REG/absent/other:1\n    deploy: {replicas: 0}\n".into()),
            ("v2.yml", "services:\n  web:\n    image: $REG/swarmclient-test/busybox:1\n    deploy: {replicas: 0}\n  other:\n    image: $REG/absent/other:2\n    deploy: {replicas: 0}\n".into()),
        ],
        steps: vec![
            Step { resolve: "always", ..step(&["v1.yml"]) },
            Step { resolve: "changed", ..step(&["v2.yml"]) },
        ],
        fails: false,
    });
    v.push(Case {
        name: "secret with driver refused by the daemon",
        ..case(
            "",
            "services:\n  web:\n    image: $REG/absent/web:1\n    deploy: {replicas: 0}\n    secrets: [vault]\nsecrets:\n  vault: {driver: no-such-secret-driver, driver_opts: {path: x}}\n",
        )
    });
    v.last_mut().unwrap().fails = true;
    for (name, yaml) in [
        (
            "invalid: schema",
            "services:\n  web:\n    image: $REG/absent/web:1\n    read_only: maybe\n",
        ),
        (
            "invalid: undefined network",
            "services:\n  web:\n    image: $REG/absent/web:1\n    deploy: {replicas: 0}\n    networks: [nowhere]\nnetworks:\n  front: {}\n",
        ),
        (
            "invalid: external network missing",
            "services:\n  web:\n    image: $REG/absent/web:1\n    deploy: {replicas: 0}\n    networks: [gone]\nnetworks:\n  gone: {external: true, name: dw-no-such-network}\n",
        ),
        (
            "invalid: secret file missing",
            "services:\n  web:\n    image: $REG/absent/web:1\n    deploy: {replicas: 0}\n    secrets: [s]\nsecrets:\n  s: {file: ./nope.txt}\n",
        ),
        (
            "invalid: required variable",
            "services:\n  web:\n    image: $REG/absent/web:${MUST:?set MUST}\n",
        ),
        (
            "invalid: global with replicas",
            "services:\n  web:\n    image: $REG/absent/web:1\n    deploy: {mode: global, replicas: 2}\nnetworks:\n  n: {}\n",
        ),
        (
            "invalid: forbidden key",
            "services:\n  web:\n    image: $REG/absent/web:1\n    cpu_shares: 5\n",
        ),
        (
            "invalid: no image",
            "services:\n  web:\n    deploy: {replicas: 0}\n",
        ),
        (
            "invalid: bad cpus",
            "services:\n  web:\n    image: $REG/absent/web:1\n    deploy: {resources: {limits: {cpus: 'one'}}}\n",
        ),
    ] {
        let mut c = case(name, yaml);
        c.fails = true;
        v.push(c);
    }
    v
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn docker_stack_deploy_parity() {
    let c = Client::connect(&host()).await.unwrap();
    let only = std::env::var("PARITY_CASE").ok();
    let mut report = Vec::new();
    let mut failed = 0;
    let all = cases();
    for (n, case) in all.iter().enumerate() {
        if only.as_deref().is_some_and(|o| !case.name.contains(o)) {
            continue;
        }
        let problems = run_case(&c, n, case).await;
        if problems.is_empty() {
            report.push(format!("ok   {}", case.name));
        } else {
            failed += 1;
            report.push(format!(
                "FAIL {}\n    {}",
                case.name,
                problems.join("\n    ")
            ));
        }
    }
    eprintln!(
        "{}\n{} cases, {failed} failed",
        report.join("\n"),
        report.len()
    );
    assert!(all.len() >= 30, "at least 30 cases");
    assert_eq!(failed, 0, "{}", report.join("\n"));
}
