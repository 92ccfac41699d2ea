//! Parity with the docker CLI 28.2.2 against the real daemon, through the library's own
//! argument parsing (`swarm_client::flags`):
//!
//! - for each `service create` flag set, the service the library creates from docker's
//!   argument list ([`Client::service_create_from_args`]) is stored exactly like the one the
//!   docker CLI creates from the same arguments;
//! - for each `service update` flag set, two services created alike end up equal when the CLI
//!   updates one and the library ([`Client::service_update_from_args`]) the other;
//! - argument lists the CLI refuses, the library refuses with the same message;
//! - `--mount`/`--publish` values the CLI rejects, the library rejects with the same reason;
//! - every spec created or updated here (by the CLI or the library), read back with
//!   `service_inspect`, serialises JSON-equal to the raw `Spec` dockerd returned for it (with
//!   `insertDefaults=false`, what `service_inspect` reads, and `true`), explicit zeros
//!   included: a read-modify-write loses nothing.
//!
//! Images live under `$DOCKWRIGHT_TEST_REGISTRY/absent/…`, a namespace nothing pushes to, so no
//! task ever starts (the NFS addresses in the specs are data only).

use std::process::Command;

use serde_json::Value;
use swarm_client::Client;
use swarm_client::flags::{CreateFlags, FlagsError};
use swarm_client::mount::MountSpec;
use swarm_client::port::PortSpec;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run scripts/test"))
}

/// Removes the services it names when dropped, even when the test fails.
struct Cleanup {
    host: String,
    names: Vec<String>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for n in &self.names {
            let _ = Command::new("docker")
                .args(["-H", &self.host, "service", "rm", n])
                .output();
        }
    }
}

fn docker(host: &str, args: &[&str]) -> (bool, String, String) {
    docker_in(host, None, args)
}

/// `docker -H HOST ARGS…`, with `DOCKER_CONFIG=config_dir` when given.
fn docker_in(
    host: &str,
    config_dir: Option<&std::path::Path>,
    args: &[&str],
) -> (bool, String, String) {
    let mut cmd = Command::new("docker");
    if let Some(dir) = config_dir {
        cmd.env("DOCKER_CONFIG", dir);
    }
    let out = cmd.arg("-H").arg(host).args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The spec as the docker CLI shows it (`docker service inspect --format '{{json .Spec}}'`,
/// defaults inserted), without the name, ports of a range sorted.
fn inspect_spec(host: &str, name: &str) -> Value {
    let (ok, out, err) = docker(
        host,
        &["service", "inspect", "--format", "{{json .Spec}}", name],
    );
    assert!(ok, "inspect {name}: {err}");
    let mut v: Value = serde_json::from_str(&out).unwrap();
    v.as_object_mut().unwrap().remove("Name");
    // Ports of a short-syntax range come from a Go map in random order: compare them sorted.
    if let Some(ports) = v
        .pointer_mut("/EndpointSpec/Ports")
        .and_then(|p| p.as_array_mut())
    {
        ports.sort_by_key(|p| p.to_string());
    }
    v
}

fn curl_json(socket: &str, method: &str, url: &str, body: Option<&str>) -> Value {
    let mut cmd = Command::new("curl");
    cmd.args([
        "-sS",
        "--fail-with-body",
        "--unix-socket",
        socket,
        "-X",
        method,
    ]);
    if let Some(b) = body {
        cmd.args(["-H", "Content-Type: application/json", "-d", b]);
    }
    let out = cmd
        .arg(format!("http://localhost/v1.41{url}"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{method} {url}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
}

/// Reads `name` back with `service_inspect` and checks that its typed spec serialises
/// JSON-equal to the raw `Spec` dockerd returns (insertDefaults false and true); returns the
/// number of specs checked.
async fn assert_typed_round_trip(client: &Client, socket: &str, name: &str) -> usize {
    let svc = client.service_inspect(name).await.unwrap();
    let typed = serde_json::to_value(&svc.spec).unwrap();
    let raw = curl_json(
        socket,
        "GET",
        &format!("/services/{name}?insertDefaults=false"),
        None,
    );
    assert_eq!(
        typed, raw["Spec"],
        "{name}: the typed spec is not what dockerd returned\n raw:   {}\n typed: {typed}",
        raw["Spec"]
    );
    let mut n = 1;
    if let Some(prev) = raw.get("PreviousSpec") {
        let back =
            serde_json::to_value(svc.previous_spec.as_ref().expect("previous spec")).unwrap();
        assert_eq!(
            &back, prev,
            "{name}: PreviousSpec changed in the round trip"
        );
        n += 1;
    }
    let with_defaults = curl_json(
        socket,
        "GET",
        &format!("/services/{name}?insertDefaults=true"),
        None,
    );
    let spec: swarm_client::spec::ServiceSpec =
        serde_json::from_value(with_defaults["Spec"].clone()).unwrap();
    assert_eq!(
        serde_json::to_value(&spec).unwrap(),
        with_defaults["Spec"],
        "{name}: the spec with defaults inserted changed in the round trip"
    );
    n + 1
}

/// Removes a swarm object (`secret`, `config`) when dropped.
struct ObjectCleanup {
    host: String,
    kind: &'static str,
    name: String,
}

impl Drop for ObjectCleanup {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["-H", &self.host, self.kind, "rm", &self.name])
            .output();
    }
}

/// Creates a secret or config named `name` holding `data`; returns its guard and ID.
fn create_object(
    host: &str,
    kind: &'static str,
    name: &str,
    data: &str,
) -> (ObjectCleanup, String) {
    let guard = ObjectCleanup {
        host: host.to_owned(),
        kind,
        name: name.to_owned(),
    };
    let mut child = Command::new("docker")
        .args(["-H", host, kind, "create", name, "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(data.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{kind} create {name}");
    (
        guard,
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
    )
}

/// Creates an overlay network that nothing ever runs on (the services have no tasks) and
/// removes it when dropped, retrying while dockerd still counts a removed service as a user.
struct NetworkGuard {
    host: String,
    name: String,
}

impl NetworkGuard {
    fn create(host: &str, name: &str) -> (Self, String) {
        let (ok, out, err) = docker(host, &["network", "create", "-d", "overlay", name]);
        assert!(ok, "network create {name}: {err}");
        (
            Self {
                host: host.to_owned(),
                name: name.to_owned(),
            },
            out.trim().to_owned(),
        )
    }
}

impl Drop for NetworkGuard {
    fn drop(&mut self) {
        for _ in 0..50 {
            let (ok, _, err) = docker(&self.host, &["network", "rm", &self.name]);
            if ok || err.contains("not found") {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}

fn fastrand_suffix() -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    format!("{:x}{:x}", t.subsec_nanos(), std::process::id())
}

/// The docker CLI's error as the library words it: the first lines of stderr before the usage
/// text, without the daemon's prefix, with `docker: 'docker service …'` as `'service …'`.
fn cli_error(stderr: &str) -> String {
    let text = stderr.split("\n\nUsage:").next().unwrap_or_default().trim();
    text.replace("Error response from daemon: ", "")
        .replace("docker: 'docker ", "'")
}

/// A docker config directory (removed when dropped) with credentials for the registry that
/// needs them, for `--with-registry-auth`; the same config as a `DockerConfig`.
fn auth_config() -> (tempfile::TempDir, sdk_core::DockerConfig) {
    use base64::Engine as _;
    let dir = tempfile::tempdir().unwrap();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        env("DOCKWRIGHT_TEST_REGISTRY_USER"),
        env("DOCKWRIGHT_TEST_REGISTRY_PASSWORD")
    ));
    let path = dir.path().join("config.json");
    std::fs::write(
        &path,
        serde_json::json!({"auths": {env("DOCKWRIGHT_TEST_AUTH_REGISTRY"): {"auth": auth}}})
            .to_string(),
    )
    .unwrap();
    let config = sdk_core::DockerConfig::load_from(&path).unwrap();
    (dir, config)
}

async fn client() -> Client {
    Client::connect(&env("DOCKWRIGHT_TEST_DOCKER_HOST"))
        .await
        .unwrap()
}

/// Flag sets (`IMG` is replaced by an absent image).
const FLAG_SETS: &[&[&str]] = &[
    &[
        "--mount",
        "type=volume,volume-opt=o=addr=192.168.1.220,volume-opt=device=:/www,volume-opt=type=nfs,source=nfs_nginx,target=/usr/share/nginx/html/,volume-nocopy=true",
        "--replicas=3",
        "--publish",
        "mode=host,target=80,published=8080",
        "IMG/dev1johndoe/nginx",
    ],
    &[
        "--mount",
        "type=volume,volume-opt=o=addr=192.168.1.220,volume-opt=device=:/www/nginx,volume-opt=type=nfs,source=nfs_nginx_lb,target=/etc/nginx/,volume-nocopy=true",
        "--replicas=1",
        "--publish",
        "mode=host,target=80,published=80",
        "IMG/dev1johndoe/nginx_lb",
    ],
    &["IMG/plain"],
    &["--replicas", "0", "IMG/zero"],
    &["--mode", "global", "IMG/global"],
    &["--mode", "replicated-job", "--replicas", "2", "IMG/job"],
    &["--mode", "global-job", "IMG/gjob"],
    &[
        "-e",
        "A=1",
        "--env",
        "B=x{{.Task.Slot}}",
        "-e",
        "A=2",
        "IMG/env",
    ],
    &[
        "-l",
        "a=1",
        "--label",
        "b",
        "--container-label",
        "c=3",
        "IMG/labels",
    ],
    &[
        "--mount",
        "type=bind,source=/tmp,target=/data,readonly",
        "IMG/bind",
    ],
    &[
        "--mount",
        "type=tmpfs,target=/t,tmpfs-size=64m,tmpfs-mode=1770",
        "IMG/tmpfs",
    ],
    &[
        "--mount",
        "\"volume-opt=o=addr=127.0.0.1,nfsvers=4,rw\",volume-opt=type=nfs,volume-opt=device=:/x,source=v1,target=/v,volume-label=k=v",
        "IMG/nfsquoted",
    ],
    &[
        "--mount",
        "type=bind,src=/tmp,dst=/b,bind-propagation=rslave",
        "IMG/bprop",
    ],
    &["-p", "8080:80", "IMG/p1"],
    &["-p", "80", "--publish", "9090:90/udp", "IMG/p2"],
    &["-p", "18000-18002:80-82", "IMG/prange"],
    &[
        "--publish",
        "mode=ingress,target=80,published=18081,protocol=udp",
        "IMG/plong",
    ],
    &["--network", "host", "IMG/hostnet"],
    &[
        "--constraint",
        "node.role==manager",
        "--constraint",
        "node.labels.zone!=x",
        "IMG/cons",
    ],
    &[
        "--placement-pref",
        "spread=node.labels.zone",
        "--replicas-max-per-node",
        "2",
        "IMG/pref",
    ],
    &[
        "--limit-cpu",
        "0.5",
        "--limit-memory",
        "64m",
        "--reserve-cpu",
        "0.25",
        "--reserve-memory",
        "32MiB",
        "IMG/res",
    ],
    &[
        "--restart-condition",
        "on-failure",
        "--restart-max-attempts",
        "3",
        "IMG/restart",
    ],
    &[
        "--restart-delay",
        "2s",
        "--restart-window",
        "1m",
        "IMG/restart2",
    ],
    &[
        "--update-delay",
        "1s",
        "--update-parallelism",
        "2",
        "IMG/upd",
    ],
    &[
        "--update-failure-action",
        "rollback",
        "--update-monitor",
        "500ms",
        "--update-order",
        "start-first",
        "--update-max-failure-ratio",
        "0.5",
        "IMG/upd2",
    ],
    &[
        "--rollback-parallelism",
        "0",
        "--rollback-order",
        "start-first",
        "--rollback-monitor",
        "2s",
        "IMG/rb",
    ],
    &[
        "-w",
        "/srv",
        "-u",
        "nobody",
        "--hostname",
        "h{{.Task.Slot}}",
        "IMG/wu",
    ],
    &["--entrypoint", "sh -c", "IMG/entry", "echo", "hello world"],
    &[
        "--health-cmd",
        "true",
        "--health-interval",
        "5s",
        "--health-retries",
        "2",
        "--health-timeout",
        "1s",
        "--health-start-period",
        "3s",
        "IMG/health",
    ],
    &["--no-healthcheck", "IMG/nohealth"],
    &[
        "--stop-grace-period",
        "30s",
        "--stop-signal",
        "SIGTERM",
        "--init",
        "-t",
        "--read-only",
        "IMG/stop",
    ],
    &[
        "--dns",
        "127.0.0.53",
        "--dns-search",
        "example.com",
        "--dns-option",
        "ndots:2",
        "--host",
        "db:127.0.0.1",
        "--group",
        "users",
        "IMG/dns",
    ],
    &["--endpoint-mode", "dnsrr", "IMG/dnsrr"],
    &[
        "--cap-add",
        "NET_ADMIN",
        "--cap-drop",
        "MKNOD",
        "--sysctl",
        "net.core.somaxconn=1024",
        "IMG/caps",
    ],
    &[
        "--log-driver",
        "json-file",
        "--log-opt",
        "max-size=1m",
        "IMG/log",
    ],
    &["--secret", "SECRET", "--config", "CONFIG", "IMG/objs"],
    &[
        "--secret",
        "source=SECRET,target=db.pw,uid=33,gid=44,mode=0400",
        "--config",
        "src=CONFIG,target=/etc/nginx/nginx.conf,mode=0440",
        "IMG/objs2",
    ],
    &["--env-file", "ENVFILE", "-e", "B=override", "IMG/envfile"],
    &[
        "--ulimit",
        "nofile=1024:2048",
        "--ulimit",
        "nproc=512",
        "--ulimit",
        "core=0",
        "IMG/ulimit",
    ],
    &["--network", "name=host,alias=web,alias=www", "IMG/netlong"],
    &[
        "--dns",
        "::0001",
        "--dns-search",
        " Ex-a.com. ",
        "--host",
        "h=[::1]",
        "--init=false",
        "-t=true",
        "--health-cmd",
        "",
        "--health-retries",
        "0",
        "IMG/normalized",
    ],
];

const MOUNT_REJECTS: &[&str] = &[
    "",
    "a,b",
    "\"a,b",
    "type=,target=/x",
    "source=/x",
    "target=/x,ro=yes",
    "target=/x,Foo=bar",
    "target=/x,a\"b",
    "type=bind,target=/x,volume-nocopy",
    "target=/x,tmpfs-size=1k",
    "type=tmpfs,target=/x,tmpfs-mode=9",
    "type=bind,target=/x,bind-recursive=foo",
    "type=bind,target=/x,bind-recursive=writable",
    "type=bind,target=/x,ro,bind-recursive=readonly",
];

const PUBLISH_REJECTS: &[&str] = &[
    "127.0.0.1:8080:80",
    "8000-8003:80-82",
    "abc",
    "70000:80",
    "80/xyz",
    "",
    "mode=host",
    "target=70000",
    "mode=foo,target=80",
    "protocol=xyz,target=80",
    "target=80,foo=1",
    "target=80,x",
    "[::1:80:80",
    "80:80:80:80",
];

/// `service update` flag sets, applied to two services created alike by the docker CLI.
const UPDATE_SETS: &[&[&str]] = &[
    &["--image", "IMG/upd:2", "--env-add", "B=2", "--env-rm", "A"],
    &["--env-add", "A=9", "--env-add", "C=3"],
    &[
        "--label-add",
        "b=2",
        "--label-rm",
        "a",
        "--container-label-add",
        "c=3",
        "--container-label-rm",
        "k",
    ],
    &[
        "--mount-add",
        "type=volume,source=v,target=/v,volume-nocopy",
        "--mount-rm",
        "/t",
    ],
    &[
        "--mount-add",
        "type=tmpfs,target=/t,tmpfs-size=1m",
        "--mount-add",
        "type=bind,source=/tmp,target=/b",
    ],
    &[
        "--publish-add",
        "mode=host,target=91,published=18191,protocol=udp",
        "--publish-rm",
        "80",
    ],
    &["--publish-add", "mode=host,target=80,published=18192"],
    &[
        "--publish-rm",
        "mode=host,target=80",
        "--publish-add",
        "mode=host,target=93,published=18193,protocol=udp",
        "--publish-add",
        "mode=host,target=80,published=18190",
    ],
    &[
        "--constraint-add",
        "node.labels.x==y",
        "--constraint-rm",
        "node.role==manager",
    ],
    &[
        "--update-parallelism",
        "2",
        "--update-delay",
        "1s",
        "--rollback-monitor",
        "2s",
        "--rollback-order",
        "start-first",
    ],
    &[
        "--update-failure-action",
        "rollback",
        "--update-max-failure-ratio",
        "0.25",
    ],
    &["--args", "sh -c 'echo hi'", "--replicas", "0", "--force"],
    &[
        "--limit-cpu",
        "0.5",
        "--limit-memory",
        "64m",
        "--reserve-cpu",
        "0.25",
        "--reserve-memory",
        "32m",
    ],
    &[
        "--secret-rm",
        "SECRET",
        "--secret-add",
        "source=SECRET2,target=pw,mode=0400",
        "--config-add",
        "source=CONFIG,target=/etc/lb.conf,uid=101",
    ],
    &["--secret-add", "SECRET2", "--config-rm", "CONFIG"],
    &["--network-rm", "NET1", "--network-add", "NET2"],
    &[
        "--network-add",
        "name=NET2,alias=web,driver-opt=com.docker.network.driver.mtu=1400",
    ],
    &[
        "--cap-add",
        "net_admin",
        "--cap-drop",
        "MKNOD",
        "--sysctl-add",
        "net.core.somaxconn=1024",
        "--ulimit-add",
        "nofile=1024:2048",
        "--group-add",
        "users",
        "--host-add",
        "db:127.0.0.1",
        "--dns-add",
        "127.0.0.53",
        "--dns-search-add",
        "example.com.",
        "--dns-option-add",
        "ndots:2",
    ],
    &[
        "--init",
        "-t",
        "--read-only",
        "-w",
        "/srv",
        "-u",
        "nobody:users",
        "--hostname",
        "h{{.Task.Slot}}",
        "--entrypoint",
        "sh -c",
        "--stop-signal",
        "SIGTERM",
        "--stop-grace-period",
        "30s",
        "--isolation",
        "process",
        "--endpoint-mode",
        "dnsrr",
        "--limit-pids",
        "100",
        "--max-concurrent",
        "2",
    ],
    &[
        "--restart-condition",
        "on-failure",
        "--restart-max-attempts",
        "3",
        "--replicas-max-per-node",
        "2",
        "--placement-pref-add",
        "spread=node.labels.zone",
        "--generic-resource-add",
        "gpu=2",
        "--generic-resource-add",
        "ssd=0",
        "--log-driver",
        "json-file",
        "--log-opt",
        "max-size=1m",
    ],
    &[
        "--health-cmd",
        "curl -f localhost",
        "--health-interval",
        "5s",
        "--health-retries",
        "3",
        "--health-timeout",
        "2s",
        "--health-start-period",
        "1m",
    ],
    &["--no-healthcheck", "--credential-spec", "config://CONFIG"],
];

/// `service update` flag sets applied to services created with extra flags (after the base
/// flags of [`UPDATE_SETS`]): updates of values the services already have.
const UPDATE_SETS_ON: &[(&[&str], &[&str])] = &[
    (
        &[
            "--cap-add",
            "NET_ADMIN",
            "--cap-drop",
            "MKNOD",
            "--cap-drop",
            "CHOWN",
        ],
        &[
            "--cap-add",
            "mknod",
            "--cap-drop",
            "net_admin",
            "--cap-drop",
            "NET_RAW",
            "--cap-add",
            "SYS_TIME",
        ],
    ),
    (
        &["--cap-add", "NET_ADMIN", "--cap-drop", "MKNOD"],
        &[
            "--cap-add",
            "ALL",
            "--cap-drop",
            "all",
            "--cap-drop",
            "NET_ADMIN",
        ],
    ),
    (
        &["--cap-add", "ALL", "--cap-drop", "MKNOD"],
        &["--cap-drop", "ALL", "--cap-add", "chown"],
    ),
    (
        &[
            "--ulimit",
            "nofile=10:20",
            "--ulimit",
            "core=0",
            "--sysctl",
            "a.b=1",
            "--sysctl",
            "c.d=2",
            "--group",
            "zz",
            "--group",
            "aa",
        ],
        &[
            "--ulimit-rm",
            "core",
            "--ulimit-add",
            "nproc=5",
            "--ulimit-add",
            "nofile=1:2",
            "--sysctl-rm",
            "a.b=7",
            "--sysctl-add",
            "e.f=3",
            "--group-add",
            "bb",
            "--group-add",
            "aa",
            "--group-rm",
            "zz",
        ],
    ),
    (
        &["--ulimit", "core=0", "--sysctl", "a=1", "--group", "aa"],
        &[
            "--ulimit-rm",
            "core=1",
            "--sysctl-rm",
            "a",
            "--group-rm",
            "aa",
        ],
    ),
    (
        &[
            "--dns",
            "127.0.0.9",
            "--dns",
            "127.0.0.2",
            "--dns-search",
            "z.com",
            "--dns-search",
            "a.com",
            "--dns-option",
            "ndots:2",
            "--dns-option",
            "b",
            "--host",
            "db:127.0.0.1",
            "--host",
            "web:127.0.0.2",
            "--host",
            "a:127.0.0.1",
            "--host",
            "c:127.0.0.3",
        ],
        &[
            "--dns-add",
            "127.0.0.3",
            "--dns-add",
            "::0001",
            "--dns-add",
            "127.0.0.2",
            "--dns-rm",
            "127.0.0.9",
            "--dns-search-add",
            "b.com",
            "--dns-search-add",
            "a.com.",
            "--dns-search-add",
            "m.com",
            "--dns-search-rm",
            "z.com",
            "--dns-option-add",
            "a",
            "--dns-option-add",
            "a",
            "--dns-option-rm",
            "b",
            "--host-add",
            "x:127.0.0.5",
            "--host-add",
            "db=127.0.0.1",
            "--host-add",
            "v6=[::1]",
            "--host-rm",
            "web:127.0.0.2",
            "--host-rm",
            "a",
            "--host-rm",
            "c:127.0.0.9",
        ],
    ),
    (
        &[
            "--dns",
            "127.0.0.9",
            "--dns-search",
            "a.com",
            "--dns-option",
            "x",
            "--host",
            "a:127.0.0.1",
        ],
        &[
            "--dns-rm",
            "127.0.0.9",
            "--dns-search-rm",
            "a.com",
            "--dns-option-rm",
            "x",
            "--host-rm",
            "a:127.0.0.1",
        ],
    ),
    (
        &["--no-healthcheck"],
        &["--health-cmd", "true", "--health-retries", "2"],
    ),
    (
        &[
            "--health-cmd",
            "true",
            "--health-retries",
            "3",
            "--health-timeout",
            "2s",
        ],
        &["--no-healthcheck"],
    ),
    (
        &[
            "--health-cmd",
            "true",
            "--health-retries",
            "3",
            "--health-timeout",
            "2s",
        ],
        &[
            "--health-cmd",
            "",
            "--health-retries",
            "0",
            "--health-interval",
            "1s",
        ],
    ),
    (&["--no-healthcheck"], &["--no-healthcheck=false"]),
    (
        &["--restart-max-attempts", "4", "--restart-window", "1m"],
        &[
            "--restart-delay",
            "1s",
            "--restart-window",
            "0s",
            "--restart-condition",
            "none",
        ],
    ),
    (
        &[
            "--placement-pref",
            "spread=a",
            "--placement-pref",
            "spread=b",
            "--placement-pref",
            "spread=a",
            "--replicas-max-per-node",
            "3",
        ],
        &[
            "--placement-pref-rm",
            "spread=a",
            "--placement-pref-add",
            "spread=c",
            "--placement-pref-add",
            "spread=b",
            "--replicas-max-per-node",
            "0",
        ],
    ),
    (
        &[
            "--generic-resource",
            "gpu=2",
            "--generic-resource",
            "fpga=1",
            "--limit-pids",
            "7",
            "--limit-cpu",
            "1",
        ],
        &[
            "--generic-resource-add",
            "ssd=4",
            "--generic-resource-add",
            "gpu=3",
            "--generic-resource-rm",
            "fpga",
            "--limit-memory",
            "5m",
        ],
    ),
    (
        &["--generic-resource", "gpu=2", "--limit-pids", "7"],
        &["--generic-resource-rm", "gpu", "--limit-pids", "0"],
    ),
    (
        &[
            "--init",
            "-t",
            "--read-only",
            "-w",
            "/x",
            "-u",
            "me",
            "--hostname",
            "h",
            "--entrypoint",
            "a b",
            "--stop-signal",
            "TERM",
            "--stop-grace-period",
            "3s",
            "--isolation",
            "default",
            "--endpoint-mode",
            "dnsrr",
        ],
        &[
            "--init=false",
            "--tty=false",
            "--read-only=0",
            "-w",
            "",
            "-u",
            "",
            "--hostname",
            "",
            "--entrypoint",
            "",
            "--stop-signal",
            "",
            "--isolation",
            "",
            "--stop-grace-period",
            "0s",
            "--endpoint-mode",
            "vip",
        ],
    ),
    (
        &["--log-driver", "json-file", "--log-opt", "a=1"],
        &["--log-opt", "b=2"],
    ),
    (
        &["--log-driver", "json-file", "--log-opt", "a=1"],
        &["--log-driver", "syslog", "--log-opt", "tag=x"],
    ),
    (
        &["--credential-spec", "config://CONFIG"],
        &["--env-add", "X=1", "--config-rm", "CONFIG"],
    ),
    (
        &["--credential-spec", "config://CONFIG"],
        &["--credential-spec", "config://CONFIG"],
    ),
    (
        &["--credential-spec", "config://CONFIG"],
        &[
            "--credential-spec",
            "file://spec.json",
            "--config-add",
            "CONFIG2",
        ],
    ),
    (
        &["--credential-spec", "registry://key"],
        &["--credential-spec", ""],
    ),
];

/// More `service create` sets: the parity defects of issue 10 (`--limit-pids`,
/// `--generic-resource`, relative bind sources, a `--publish` protocol suffix) and flags or
/// value forms the first sets do not cover.
const MORE_FLAG_SETS: &[&[&str]] = &[
    &["--limit-pids", "64", "IMG/pids"],
    &[
        "--generic-resource",
        "gpu=2",
        "--generic-resource",
        "ssd=1",
        "IMG/generic",
    ],
    &[
        "--mount",
        "type=bind,source=./data/../www,target=/w",
        "--mount",
        "type=bind,src=../up,dst=/u",
        "--mount",
        "type=bind,source=.hidden,target=/h",
        "IMG/relbind",
    ],
    &["-p", "18083:83/udp/x", "-p", "18084:84/", "IMG/pextra"],
    &["--credential-spec", "registry://key", "IMG/credreg"],
    &["--credential-spec", "config://CONFIG", "IMG/credcfg"],
    &[
        "--network",
        "name=host,alias=web,ip=10.0.0.9,gw-priority=3",
        "IMG/netip",
    ],
    &[
        "--cap-add",
        "CHOWN",
        "--cap-drop",
        "chown",
        "--cap-add",
        "RESET",
        "--cap-drop",
        "net_raw",
        "IMG/capoverlap",
    ],
    &["--cap-add", "ALL", "--cap-drop", "MKNOD", "IMG/capall"],
    &[
        "--mode",
        "replicated-job",
        "--max-concurrent",
        "2",
        "--replicas",
        "4",
        "IMG/jobconc",
    ],
    &[
        "--update-max-failure-ratio",
        "0.1",
        "--rollback-max-failure-ratio",
        "0.7",
        "IMG/ratios",
    ],
    &[
        "--limit-cpu",
        "1/4",
        "--reserve-cpu",
        "2e-1",
        "IMG/rationals",
    ],
    &["--endpoint-mode", "DNSRR", "IMG/epupper"],
    &[
        "--log-driver",
        "json-file",
        "--log-opt",
        "max-size=1m",
        "--log-opt",
        "HOME",
        "IMG/logenv",
    ],
    &["-e", "HOME", "-e", "SWARMSPEC_UNSET_VAR", "IMG/envbare"],
    &[
        "--sysctl",
        "net.ipv4.ip_forward=1",
        "--group",
        "b",
        "--group",
        "a",
        "IMG/sysgrp",
    ],
    &["--entrypoint", "", "IMG/emptyentry", "--", "-x", "--name"],
    &[
        "--no-healthcheck=false",
        "--health-retries",
        "3",
        "IMG/healthretries",
    ],
    &["--init=1", "-t=F", "--read-only=T", "IMG/gobools"],
    &[
        "--replicas=0x3",
        "--replicas-max-per-node=0o2",
        "IMG/hexreplicas",
    ],
    &["-dqt", "IMG/grouped"],
    &["--dns-option", "ndots:1", "--dns-search", ".", "IMG/dnsdot"],
    &["--host", "gw:host-gateway", "IMG/hostgw"],
    &[
        "--ulimit",
        "nofile=-1",
        "--ulimit",
        "core=1:-1",
        "IMG/ulimitunl",
    ],
    &[
        "--publish",
        "published=18085,target=85,mode=ingress",
        "--publish",
        "18086:86/sctp",
        "IMG/pmix",
    ],
    &[
        "--label",
        "a",
        "--label",
        "a=1",
        "--container-label",
        "b=",
        "IMG/labeldup",
    ],
    &[
        "--stop-grace-period",
        "0s",
        "--restart-window",
        "0s",
        "--update-delay",
        "0s",
        "IMG/zeros",
    ],
    &[
        "--restart-condition",
        "none",
        "--restart-max-attempts",
        "0",
        "IMG/restartnone",
    ],
    &[
        "--isolation",
        "process",
        "--stop-signal",
        "SIGUSR1",
        "IMG/isolation",
    ],
    &[
        "--rollback-delay",
        "3s",
        "--rollback-failure-action",
        "continue",
        "IMG/rollback2",
    ],
    &["--with-registry-auth", "AUTHIMG/private"],
];

/// `service create` argument lists the docker CLI refuses (`IMG` as above, `SECRET` a secret
/// that exists).
const CREATE_REFUSALS: &[&[&str]] = &[
    &["--mode", "replicated-job", "--update-delay", "1s", "IMG/x"],
    &[
        "--mode",
        "global-job",
        "--rollback-order",
        "start-first",
        "IMG/x",
    ],
    &["--mode", "global", "--replicas", "2", "IMG/x"],
    &["--mode", "global", "--replicas-max-per-node", "2", "IMG/x"],
    &["--mode", "global-job", "--max-concurrent", "2", "IMG/x"],
    &["--max-concurrent", "2", "IMG/x"],
    &["--mode", "bogus", "IMG/x"],
    &["--oom-score-adj", "5", "IMG/x"],
    &[
        "--health-start-interval",
        "1s",
        "--oom-score-adj",
        "1",
        "IMG/x",
    ],
    &["--oom-score-adj", "1", "--bogus", "IMG/x"],
    &["--no-healthcheck", "--health-cmd", "x", "IMG/x"],
    &[
        "--secret",
        "source=SECRET,target=a",
        "--secret",
        "source=SECRET,target=a",
        "IMG/x",
    ],
    &["--secret", "swarmspec-no-such-secret", "IMG/x"],
    &["--config", "swarmspec-no-such-config", "IMG/x"],
    &["--network", "swarmspec-no-such-net", "IMG/x"],
    &["--generic-resource", "gpu=u1", "IMG/x"],
    &["--generic-resource", "gpu", "IMG/x"],
    &["--env-file", "/nonexistent/swarmspec.env", "IMG/x"],
    &["--replicas", "x", "IMG/x"],
    &["-e", "=x", "IMG/x"],
    &["-l", " =x", "IMG/x"],
    &["--bogus", "IMG/x"],
    &["-Z", "IMG/x"],
    &["-dZ", "IMG/x"],
    &["--name"],
    &["-e"],
    &["---x", "IMG/x"],
    &["-d"],
    &["--ulimit", "nofile=5:1", "IMG/x"],
    &["--ulimit", "nofile=x", "IMG/x"],
    &["--network", "name=a,bogus=1", "IMG/x"],
    &["--credential-spec", "bad", "IMG/x"],
    &["--limit-cpu", "1.0000000001", "IMG/x"],
    &["--limit-cpu", "lots", "IMG/x"],
    &["--limit-memory", "12x", "IMG/x"],
    &["--update-max-failure-ratio", "1e39", "IMG/x"],
    &["--placement-pref", "Spread=x", "IMG/x"],
    &["--dns", "foo", "IMG/x"],
    &["--dns-search", "a..b", "IMG/x"],
    &["--host", "foo", "IMG/x"],
    &["--entrypoint", "\"unterminated", "IMG/x"],
    &["--mount", "type=bind,target=/x,bind-recursive=bad", "IMG/x"],
    &["--health-interval", "-1s", "IMG/x"],
    &["--stop-grace-period", "10", "IMG/x"],
    &["--tty=maybe", "IMG/x"],
    &["--secret", "source=s,mode=rw", "IMG/x"],
];

/// `service update` argument lists the docker CLI refuses, on a service created like the
/// update sets' (`NET1` attached, `SECRET` and `CONFIG` referenced).
const UPDATE_REFUSALS: &[&[&str]] = &[
    &[
        "--mount-add",
        "type=tmpfs,target=/d",
        "--mount-add",
        "type=tmpfs,target=/d",
    ],
    &["--generic-resource-rm", "gpu"],
    &["--no-healthcheck", "--health-cmd", "x"],
    &["--rollback", "--env-add", "A=1"],
    &["--network-add", "NET1"],
    &["--network-rm", "swarmupd-no-such-net"],
    &["--secret-add", "swarmupd-no-such-secret"],
    &[
        "--secret-add",
        "source=SECRET2,target=t",
        "--secret-add",
        "source=SECRET2,target=t",
    ],
    &["--config-add", "swarmupd-no-such-config"],
    &["--oom-score-adj", "1"],
    &["--health-start-interval", "1s"],
    &["--bogus"],
    &["--replicas", "x"],
    &["--publish-rm", "80/xyz"],
    &["--env-add", "=1"],
];

/// Replaces the placeholders of a flag set.
struct Names {
    img: String,
    auth_img: String,
    secret: String,
    secret2: String,
    config: String,
    config2: String,
    net1: String,
    net2: String,
    env_file: String,
}

impl Names {
    fn subst(&self, a: &str) -> String {
        a.replace("AUTHIMG", &self.auth_img)
            .replace("IMG", &self.img)
            .replace("SECRET2", &self.secret2)
            .replace("SECRET", &self.secret)
            .replace("CONFIG2", &self.config2)
            .replace("CONFIG", &self.config)
            .replace("NET1", &self.net1)
            .replace("NET2", &self.net2)
            .replace("ENVFILE", &self.env_file)
    }
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn service_create_specs_equal_the_docker_cli() {
    let host = env("DOCKWRIGHT_TEST_DOCKER_HOST");
    let registry = env("DOCKWRIGHT_TEST_REGISTRY");
    let socket = host
        .strip_prefix("unix://")
        .expect("a unix:// docker host")
        .to_owned();
    let client = client().await;
    let run = fastrand_suffix();
    // Secrets and configs the flag sets reference (dropped after every service is gone).
    let secret_name = format!("swarmspec-sec-{run}");
    let config_name = format!("swarmspec-cfg-{run}");
    let (_secret, _) = create_object(&host, "secret", &secret_name, "pw\n");
    let (_config, _) = create_object(&host, "config", &config_name, "user root;\n");
    let (config_dir, config) = auth_config();
    let env_dir = tempfile::tempdir().unwrap();
    let env_file = env_dir.path().join("env");
    std::fs::write(
        &env_file,
        "# comment\n\nA=1\nB=2\n  C=x y\nHOME\nSWARMSPEC_UNSET_VAR\n",
    )
    .unwrap();
    let names = Names {
        img: format!("{registry}/absent"),
        auth_img: format!("{}/absent", env("DOCKWRIGHT_TEST_AUTH_REGISTRY")),
        secret: secret_name.clone(),
        secret2: secret_name,
        config: config_name.clone(),
        config2: config_name,
        net1: String::new(),
        net2: String::new(),
        env_file: env_file.display().to_string(),
    };
    let mut failures = Vec::new();
    let mut round_trips = 0;
    let sets: Vec<&[&str]> = FLAG_SETS.iter().chain(MORE_FLAG_SETS).copied().collect();
    for (i, set) in sets.iter().enumerate() {
        let cli_name = format!("swarmspec-cli-{run}-{i}");
        let dw_name = format!("swarmspec-dw-{run}-{i}");
        let _cleanup = Cleanup {
            host: host.clone(),
            names: vec![cli_name.clone(), dw_name.clone()],
        };
        let flags: Vec<String> = set.iter().map(|a| names.subst(a)).collect();
        let mut cli_args = vec![
            "service",
            "create",
            "-d",
            "--no-resolve-image",
            "--name",
            &cli_name,
        ];
        cli_args.extend(flags.iter().map(String::as_str));
        let (ok, _, err) = docker_in(&host, Some(config_dir.path()), &cli_args);
        assert!(ok, "docker CLI refused {set:?}: {err}");
        let cli = inspect_spec(&host, &cli_name);
        round_trips += assert_typed_round_trip(&client, &socket, &cli_name).await;
        // Ingress ports cannot be held by two services at once: remove the CLI's first.
        let (ok, _, err) = docker(&host, &["service", "rm", &cli_name]);
        assert!(ok, "rm {cli_name}: {err}");

        let mut args = vec![
            "-d".to_owned(),
            "--no-resolve-image".to_owned(),
            "--name".to_owned(),
            dw_name.clone(),
        ];
        args.extend(flags.iter().cloned());
        let (parsed, created) = client
            .service_create_from_args(&args, Some(&config))
            .await
            .unwrap_or_else(|e| panic!("{set:?}: {e}"));
        assert_eq!(parsed.common.detach, Some(true));
        assert!(!created.id.is_empty());
        round_trips += assert_typed_round_trip(&client, &socket, &dw_name).await;
        let (mut cli, mut ours) = (cli, inspect_spec(&host, &dw_name));
        // The CLI's generic resources come from a Go map (random order): compare them sorted.
        for v in [&mut cli, &mut ours] {
            if let Some(l) = v
                .pointer_mut("/TaskTemplate/Resources/Reservations/GenericResources")
                .and_then(|e| e.as_array_mut())
            {
                l.sort_by_key(|e| e.to_string());
            }
        }
        if cli != ours {
            let sent = CreateFlags::parse(&args).and_then(|f| f.to_spec());
            failures.push(format!(
                "{set:?}\n  cli:  {cli}\n  ours: {ours}\n  offline: {}",
                sent.map_or_else(|e| e.to_string(), |s| serde_json::to_string(&s).unwrap())
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        sets.len(),
        failures.join("\n")
    );
    eprintln!(
        "parity: {} of {} create flag sets equal; {round_trips} specs read back JSON-equal",
        sets.len(),
        sets.len()
    );
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn create_refusals_have_the_cli_message() {
    let host = env("DOCKWRIGHT_TEST_DOCKER_HOST");
    let registry = env("DOCKWRIGHT_TEST_REGISTRY");
    let client = client().await;
    let run = fastrand_suffix();
    let secret_name = format!("swarmspec-rsec-{run}");
    let (_secret, _) = create_object(&host, "secret", &secret_name, "pw\n");
    let names = Names {
        img: format!("{registry}/absent"),
        auth_img: format!("{}/absent", env("DOCKWRIGHT_TEST_AUTH_REGISTRY")),
        secret: secret_name.clone(),
        secret2: secret_name,
        config: String::new(),
        config2: String::new(),
        net1: String::new(),
        net2: String::new(),
        env_file: String::new(),
    };
    let mut failures = Vec::new();
    for (i, set) in CREATE_REFUSALS.iter().enumerate() {
        let name = format!("swarmspec-refused-{run}-{i}");
        // Should either side accept the set, the service goes.
        let _cleanup = Cleanup {
            host: host.clone(),
            names: vec![name.clone()],
        };
        let flags: Vec<String> = set.iter().map(|a| names.subst(a)).collect();
        let mut cli_args = vec!["service", "create", "--name", &name];
        cli_args.extend(flags.iter().map(String::as_str));
        let (ok, _, err) = docker(&host, &cli_args);
        assert!(!ok, "docker CLI accepted {set:?}");
        let mut args = vec!["--name".to_owned(), name.clone()];
        args.extend(flags.iter().cloned());
        let ours = client
            .service_create_from_args(&args, None)
            .await
            .map(|_| ())
            .expect_err(&format!("the library accepted {set:?}"));
        let (cli, ours) = (cli_error(&err), ours.to_string());
        if cli != ours {
            failures.push(format!("{set:?}\n  cli:  {cli}\n  ours: {ours}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        CREATE_REFUSALS.len(),
        failures.join("\n")
    );
    eprintln!(
        "create refusals: {} argument lists, same message as the docker CLI",
        CREATE_REFUSALS.len()
    );
}

/// The reason after `flag: ` in the CLI's `invalid argument "…" for "…" flag: REASON`.
fn cli_reason(flag: &str, value: &str) -> String {
    let host = env("DOCKWRIGHT_TEST_DOCKER_HOST");
    let (ok, _, err) = docker(
        &host,
        &[
            "service",
            "create",
            flag,
            value,
            "--no-such-flag-swarmspec",
            "x",
        ],
    );
    assert!(!ok);
    let first = err.lines().next().unwrap_or_default();
    let (_, reason) = first
        .split_once(" flag: ")
        .unwrap_or_else(|| panic!("CLI accepted {value:?}: {first}"));
    reason.to_owned()
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn rejected_values_have_the_cli_reason() {
    let mut n = 0;
    for v in MOUNT_REJECTS {
        assert_eq!(
            v.parse::<MountSpec>().unwrap_err().to_string(),
            cli_reason("--mount", v),
            "{v:?}"
        );
        // The same reason through the argument parser, in pflag's words.
        let e = CreateFlags::parse(["--mount", v, "img"]).unwrap_err();
        assert!(
            matches!(e, FlagsError::InvalidArgument { .. }),
            "{v:?}: {e}"
        );
        n += 1;
    }
    for v in PUBLISH_REJECTS {
        assert_eq!(
            v.parse::<PortSpec>().unwrap_err().to_string(),
            cli_reason("--publish", v),
            "{v:?}"
        );
        n += 1;
    }
    eprintln!("rejects: {n} values, same reason as the docker CLI");
}

#[test]
#[ignore = "needs the docker CLI 28.2.2 on PATH: run scripts/test"]
fn help_is_the_docker_cli_help() {
    // Without a daemon the CLI hides no flag for its API version.
    for (cmd, ours) in [
        ("create", swarm_client::flags::create_help("docker", &[])),
        ("update", swarm_client::flags::update_help("docker", &[])),
    ] {
        let out = Command::new("docker")
            .args([
                "-H",
                "unix:///nonexistent/docker.sock",
                "service",
                cmd,
                "--help",
            ])
            .output()
            .unwrap();
        assert_eq!(
            ours,
            String::from_utf8_lossy(&out.stdout),
            "service {cmd} --help"
        );
    }
}

/// The base flags of the update sets' services.
fn base_args<'a>(name: &'a str, names: &'a Names) -> Vec<&'a str> {
    vec![
        "service",
        "create",
        "-d",
        "--no-resolve-image",
        "--name",
        name,
        "--replicas",
        "0",
        "-e",
        "A=1",
        "-l",
        "a=1",
        "--container-label",
        "k=v",
        "--mount",
        "type=tmpfs,target=/t",
        "--publish",
        "mode=host,target=80,published=18190",
        "--constraint",
        "node.role==manager",
        "--secret",
        &names.secret,
        "--config",
        &names.config,
        "--network",
        &names.net1,
    ]
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn service_update_specs_equal_the_docker_cli() {
    let host = env("DOCKWRIGHT_TEST_DOCKER_HOST");
    let registry = env("DOCKWRIGHT_TEST_REGISTRY");
    let socket = host
        .strip_prefix("unix://")
        .expect("a unix:// docker host")
        .to_owned();
    let client = client().await;
    let run = fastrand_suffix();
    // The base services carry SECRET and CONFIG; the sets add SECRET2, CONFIG and CONFIG2, remove
    // others.
    let names = Names {
        img: format!("{registry}/absent"),
        auth_img: format!("{}/absent", env("DOCKWRIGHT_TEST_AUTH_REGISTRY")),
        secret: format!("swarmupd-sec-{run}"),
        secret2: format!("swarmupd-sec2-{run}"),
        config: format!("swarmupd-cfg-{run}"),
        config2: format!("swarmupd-cfg2-{run}"),
        net1: format!("swarmupd-net1-{run}"),
        net2: format!("swarmupd-net2-{run}"),
        env_file: String::new(),
    };
    let (_g1, _) = create_object(&host, "secret", &names.secret, "pw\n");
    let (_g2, _) = create_object(&host, "secret", &names.secret2, "pw2\n");
    let (_g3, _) = create_object(&host, "config", &names.config, "upstream lb {}\n");
    let (_g4, _) = create_object(&host, "config", &names.config2, "{}\n");
    let (_n1, _) = NetworkGuard::create(&host, &names.net1);
    let (_n2, _) = NetworkGuard::create(&host, &names.net2);
    let (config_dir, config) = auth_config();
    let sets: Vec<(&[&str], &[&str])> = UPDATE_SETS
        .iter()
        .map(|s| (&[][..], *s))
        .chain(UPDATE_SETS_ON.iter().copied())
        .chain(MORE_UPDATE_SETS_ON.iter().copied())
        .collect();
    let mut failures = Vec::new();
    let mut round_trips = 0;
    for (i, (base, set)) in sets.iter().enumerate() {
        let cli_name = format!("swarmupd-cli-{run}-{i}");
        let dw_name = format!("swarmupd-dw-{run}-{i}");
        let _cleanup = Cleanup {
            host: host.clone(),
            names: vec![cli_name.clone(), dw_name.clone()],
        };
        let image = format!("{}/base:1", names.img);
        let base: Vec<String> = base.iter().map(|a| names.subst(a)).collect();
        for name in [&cli_name, &dw_name] {
            let mut args = base_args(name, &names);
            args.extend(base.iter().map(String::as_str));
            args.push(&image);
            let (ok, _, err) = docker(&host, &args);
            assert!(ok, "create {name} with {base:?}: {err}");
        }
        let flags: Vec<String> = set.iter().map(|a| names.subst(a)).collect();
        let mut cli_args = vec!["service", "update", "-d", "--no-resolve-image"];
        cli_args.extend(flags.iter().map(String::as_str));
        cli_args.push(&cli_name);
        let (ok, _, err) = docker_in(&host, Some(config_dir.path()), &cli_args);
        assert!(ok, "docker CLI refused {set:?} on {base:?}: {err}");

        // The service name first: flags may follow it, as in docker.
        let mut args = vec![
            dw_name.clone(),
            "-d".to_owned(),
            "--no-resolve-image".to_owned(),
        ];
        args.extend(flags.iter().cloned());
        let (_, updated) = client
            .service_update_from_args(&args, Some(&config))
            .await
            .unwrap_or_else(|e| panic!("{set:?} on {base:?}: {e}"));
        assert!(!updated.id.is_empty());
        round_trips += assert_typed_round_trip(&client, &socket, &cli_name).await;
        round_trips += assert_typed_round_trip(&client, &socket, &dw_name).await;

        let (mut cli, mut ours) = (
            inspect_spec(&host, &cli_name),
            inspect_spec(&host, &dw_name),
        );
        // The CLI rebuilds Env, generic resources and added configs from Go maps (random
        // order): compare them sorted.
        for v in [&mut cli, &mut ours] {
            for list in [
                "/TaskTemplate/ContainerSpec/Env",
                "/TaskTemplate/ContainerSpec/Configs",
                "/TaskTemplate/Resources/Reservations/GenericResources",
            ] {
                if let Some(l) = v.pointer_mut(list).and_then(|e| e.as_array_mut()) {
                    l.sort_by_key(|e| e.to_string());
                }
            }
        }
        if cli != ours {
            failures.push(format!(
                "{set:?} on {base:?}\n  cli:  {cli}\n  ours: {ours}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        sets.len(),
        failures.join("\n")
    );
    eprintln!(
        "update parity: {} of {} flag sets equal; {round_trips} specs read back JSON-equal",
        sets.len(),
        sets.len()
    );
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn update_refusals_and_rollback_match_the_docker_cli() {
    let host = env("DOCKWRIGHT_TEST_DOCKER_HOST");
    let registry = env("DOCKWRIGHT_TEST_REGISTRY");
    let socket = host
        .strip_prefix("unix://")
        .expect("a unix:// docker host")
        .to_owned();
    let client = client().await;
    let run = fastrand_suffix();
    let names = Names {
        img: format!("{registry}/absent"),
        auth_img: format!("{}/absent", env("DOCKWRIGHT_TEST_AUTH_REGISTRY")),
        secret: format!("swarmref-sec-{run}"),
        secret2: format!("swarmref-sec2-{run}"),
        config: format!("swarmref-cfg-{run}"),
        config2: String::new(),
        net1: format!("swarmref-net1-{run}"),
        net2: String::new(),
        env_file: String::new(),
    };
    let (_g1, _) = create_object(&host, "secret", &names.secret, "pw\n");
    let (_g2, _) = create_object(&host, "secret", &names.secret2, "pw2\n");
    let (_g3, _) = create_object(&host, "config", &names.config, "{}\n");
    let (_n1, _) = NetworkGuard::create(&host, &names.net1);
    let (cli_name, dw_name) = (format!("swarmref-cli-{run}"), format!("swarmref-dw-{run}"));
    let _cleanup = Cleanup {
        host: host.clone(),
        names: vec![cli_name.clone(), dw_name.clone()],
    };
    let image = format!("{}/base:1", names.img);
    for name in [&cli_name, &dw_name] {
        let mut args = base_args(name, &names);
        args.push(&image);
        let (ok, _, err) = docker(&host, &args);
        assert!(ok, "create {name}: {err}");
    }
    let mut failures = Vec::new();
    for set in UPDATE_REFUSALS {
        let flags: Vec<String> = set.iter().map(|a| names.subst(a)).collect();
        let mut cli_args = vec!["service", "update", "-d"];
        cli_args.extend(flags.iter().map(String::as_str));
        cli_args.push(&cli_name);
        let (ok, _, err) = docker(&host, &cli_args);
        assert!(!ok, "docker CLI accepted {set:?}");
        let mut args = flags.clone();
        args.push(dw_name.clone());
        let ours = client
            .service_update_from_args(&args, None)
            .await
            .map(|_| ())
            .expect_err(&format!("the library accepted {set:?}"));
        let (cli, ours) = (cli_error(&err), ours.to_string());
        if cli != ours {
            failures.push(format!("{set:?}\n  cli:  {cli}\n  ours: {ours}"));
        }
    }
    // Wrong numbers of services.
    for args in [&["-d"][..], &["-d", "a", "b"]] {
        let mut cli_args = vec!["service", "update"];
        cli_args.extend(args);
        let (ok, _, err) = docker(&host, &cli_args);
        assert!(!ok);
        let ours = client
            .service_update_from_args(args.iter().copied(), None)
            .await
            .map(|_| ())
            .unwrap_err();
        assert_eq!(ours.to_string(), cli_error(&err), "{args:?}");
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        UPDATE_REFUSALS.len(),
        failures.join("\n")
    );
    // Neither side changed its service.
    assert_eq!(
        inspect_spec(&host, &cli_name),
        inspect_spec(&host, &dw_name)
    );

    // An update, then `--rollback` (with -d, the only other flag it takes): both services are
    // back to their first spec.
    let first = inspect_spec(&host, &dw_name);
    for (name, ours) in [(&cli_name, false), (&dw_name, true)] {
        for step in [&["--env-add", "B=2"][..], &["--rollback"]] {
            let mut args: Vec<String> = vec!["-d".into(), "--no-resolve-image".into()];
            if step == ["--rollback"] {
                args.pop();
            }
            args.extend(step.iter().map(|s| (*s).to_owned()));
            args.push(name.clone());
            if ours {
                client.service_update_from_args(&args, None).await.unwrap();
            } else {
                let mut cli_args = vec!["service", "update"];
                cli_args.extend(args.iter().map(String::as_str));
                let (ok, _, err) = docker(&host, &cli_args);
                assert!(ok, "{step:?}: {err}");
            }
        }
        round_trip_after_rollback(&client, &socket, name).await;
    }
    assert_eq!(inspect_spec(&host, &dw_name), first);
    assert_eq!(inspect_spec(&host, &cli_name), first);
    eprintln!(
        "update refusals: {} argument lists, same message as the docker CLI; rollback equal",
        UPDATE_REFUSALS.len()
    );
}

async fn round_trip_after_rollback(client: &Client, socket: &str, name: &str) {
    assert!(assert_typed_round_trip(client, socket, name).await >= 2);
}

/// More `service update` sets (base flags, update flags): what the first sets do not cover.
const MORE_UPDATE_SETS_ON: &[(&[&str], &[&str])] = &[
    (
        &[
            "--mount",
            "type=volume,source=zz,target=/z",
            "--mount",
            "type=bind,source=/aa,target=/a",
        ],
        &["--env-add", "X=1"],
    ),
    (&[], &["--image", "IMG/other", "--args", ""]),
    (&[], &["--limit-pids", "9", "--reserve-cpu", "1/2"]),
    (&[], &["--max-concurrent", "3", "--force"]),
    (
        &[],
        &[
            "-q",
            "--rollback-failure-action",
            "continue",
            "--rollback-max-failure-ratio",
            "0.2",
            "--rollback-parallelism",
            "3",
            "--update-monitor",
            "3s",
            "--update-order",
            "start-first",
        ],
    ),
    (
        &[],
        &["--with-registry-auth", "--image", "AUTHIMG/private:2"],
    ),
    (
        &["--cap-add", "CHOWN", "--cap-drop", "MKNOD"],
        &[
            "--cap-add",
            "RESET",
            "--cap-drop",
            "RESET",
            "--cap-add",
            "NET_RAW",
        ],
    ),
    (
        &["--endpoint-mode", "dnsrr"],
        &["--endpoint-mode", "vip", "--publish-rm", "80"],
    ),
    (
        &["--host", "a:127.0.0.1", "--host", "b:127.0.0.1"],
        &[
            "--host-rm",
            "a",
            "--host-add",
            "c:127.0.0.3",
            "--host-add",
            "c:127.0.0.3",
        ],
    ),
    (
        &["--update-order", "start-first"],
        &[
            "--update-max-failure-ratio",
            "0.3",
            "--rollback-delay",
            "2s",
        ],
    ),
    (
        &[],
        &[
            "--label-rm",
            "nope",
            "--container-label-add",
            "n=",
            "--group-rm",
            "x",
        ],
    ),
    (
        &["--network", "NET2"],
        &[
            "--network-rm",
            "NET1",
            "--network-rm",
            "NET2",
            "--publish-rm",
            "80/tcp/x",
            "--publish-add",
            "mode=host,target=95,published=18195,protocol=udp",
        ],
    ),
];
