//! Parity with the docker CLI 28.2.2 against the real daemon: for each `service create` flag set,
//! the spec dockwright builds ([`ServiceFlags::to_spec`]) and POSTs is stored exactly like the
//! spec the docker CLI sends for the same flags; for each `service update` flag set, two services
//! created alike end up with equal specs when the CLI updates one and dockwright
//! ([`UpdateFlags::apply_with_ids`]) the other; `--mount`/`--publish` values the CLI rejects,
//! dockwright rejects with the same reason.
//!
//! Images live under `$DOCKWRIGHT_TEST_REGISTRY/absent/…`, a namespace nothing pushes to, so no
//! task ever starts (the NFS addresses in the specs are data only).

use clap::Parser;
use examples::cli::specs::{ObjectIds, ServiceFlags, UpdateFlags, fill_object_ids};
use std::process::Command;
use swarm_client::mount::MountSpec;
use swarm_client::port::PortSpec;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run scripts/test"))
}

#[derive(Parser)]
struct Wrap {
    #[command(flatten)]
    flags: ServiceFlags,
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
    let out = Command::new("docker")
        .arg("-H")
        .arg(host)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn inspect_spec(host: &str, name: &str) -> serde_json::Value {
    let (ok, out, err) = docker(
        host,
        &["service", "inspect", "--format", "{{json .Spec}}", name],
    );
    assert!(ok, "inspect {name}: {err}");
    let mut v: serde_json::Value = serde_json::from_str(&out).unwrap();
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

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn service_create_specs_equal_the_docker_cli() {
    let host = env("DOCKWRIGHT_TEST_DOCKER_HOST");
    let registry = env("DOCKWRIGHT_TEST_REGISTRY");
    let socket = host
        .strip_prefix("unix://")
        .expect("a unix:// docker host")
        .to_owned();
    let run = fastrand_suffix();
    // Secrets and configs the flag sets reference (dropped after every service is gone).
    let secret_name = format!("swarmspec-sec-{run}");
    let config_name = format!("swarmspec-cfg-{run}");
    let (_secret, secret_id) = create_object(&host, "secret", &secret_name, "pw\n");
    let (_config, config_id) = create_object(&host, "config", &config_name, "user root;\n");
    let secrets = [(secret_name.clone(), secret_id)].into();
    let configs = [(config_name.clone(), config_id)].into();
    let env_dir = tempfile::tempdir().unwrap();
    let env_file = env_dir.path().join("env");
    std::fs::write(
        &env_file,
        "# comment\n\nA=1\nB=2\n  C=x y\nHOME\nSWARMSPEC_UNSET_VAR\n",
    )
    .unwrap();
    let env_file = env_file.display().to_string();
    let mut failures = Vec::new();
    for (i, set) in FLAG_SETS.iter().enumerate() {
        let cli_name = format!("swarmspec-cli-{run}-{i}");
        let dw_name = format!("swarmspec-dw-{run}-{i}");
        let _cleanup = Cleanup {
            host: host.clone(),
            names: vec![cli_name.clone(), dw_name.clone()],
        };
        let flags: Vec<String> = set
            .iter()
            .map(|a| {
                a.replace("IMG", &format!("{registry}/absent"))
                    .replace("SECRET", &secret_name)
                    .replace("CONFIG", &config_name)
                    .replace("ENVFILE", &env_file)
            })
            .collect();
        let mut cli_args = vec![
            "service",
            "create",
            "-d",
            "--no-resolve-image",
            "--name",
            &cli_name,
        ];
        cli_args.extend(flags.iter().map(String::as_str));
        let (ok, _, err) = docker(&host, &cli_args);
        assert!(ok, "docker CLI refused {set:?}: {err}");
        let cli = inspect_spec(&host, &cli_name);
        // Ingress ports cannot be held by two services at once: remove the CLI's first.
        let (ok, _, err) = docker(&host, &["service", "rm", &cli_name]);
        assert!(ok, "rm {cli_name}: {err}");

        let mut argv = vec!["x".to_owned(), "--name".to_owned(), dw_name.clone()];
        argv.extend(flags.iter().cloned());
        let mut spec = Wrap::try_parse_from(&argv)
            .unwrap_or_else(|e| panic!("{set:?}: {e}"))
            .flags
            .to_spec()
            .unwrap();
        fill_object_ids(&mut spec, &secrets, &configs).unwrap();
        let body = serde_json::to_string(&spec).unwrap();
        let out = Command::new("curl")
            .args([
                "-sS",
                "--fail-with-body",
                "--unix-socket",
                &socket,
                "-H",
                "Content-Type: application/json",
                "-d",
                &body,
                "http://localhost/v1.41/services/create",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "create {set:?}: {}",
            String::from_utf8_lossy(&out.stdout)
        );

        let ours = inspect_spec(&host, &dw_name);
        if cli != ours {
            failures.push(format!(
                "{set:?}\n  cli:  {cli}\n  ours: {ours}\n  sent: {body}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        FLAG_SETS.len(),
        failures.join("\n")
    );
    eprintln!(
        "parity: {} of {} flag sets equal",
        FLAG_SETS.len(),
        FLAG_SETS.len()
    );
}

fn fastrand_suffix() -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    format!("{:x}{:x}", t.subsec_nanos(), std::process::id())
}

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

fn curl_json(socket: &str, method: &str, url: &str, body: Option<&str>) -> serde_json::Value {
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
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn service_update_specs_equal_the_docker_cli() {
    let host = env("DOCKWRIGHT_TEST_DOCKER_HOST");
    let registry = env("DOCKWRIGHT_TEST_REGISTRY");
    let socket = host
        .strip_prefix("unix://")
        .expect("a unix:// docker host")
        .to_owned();
    let run = fastrand_suffix();
    let img = format!("{registry}/absent");
    // The base services carry SECRET and CONFIG; the sets add SECRET2, CONFIG and CONFIG2, remove
    // others.
    let (secret, secret2, config, config2) = (
        format!("swarmupd-sec-{run}"),
        format!("swarmupd-sec2-{run}"),
        format!("swarmupd-cfg-{run}"),
        format!("swarmupd-cfg2-{run}"),
    );
    let (_g1, secret_id) = create_object(&host, "secret", &secret, "pw\n");
    let (_g2, secret2_id) = create_object(&host, "secret", &secret2, "pw2\n");
    let (_g3, config_id) = create_object(&host, "config", &config, "upstream lb {}\n");
    let (_g4, config2_id) = create_object(&host, "config", &config2, "{}\n");
    let (net1, net2) = (
        format!("swarmupd-net1-{run}"),
        format!("swarmupd-net2-{run}"),
    );
    let (_n1, net1_id) = NetworkGuard::create(&host, &net1);
    let (_n2, net2_id) = NetworkGuard::create(&host, &net2);
    let ids = ObjectIds {
        secrets: [(secret.clone(), secret_id), (secret2.clone(), secret2_id)].into(),
        configs: [(config.clone(), config_id), (config2.clone(), config2_id)].into(),
        networks: [(net1.clone(), net1_id), (net2.clone(), net2_id)].into(),
    };
    let subst = |a: &str| {
        a.replace("IMG", &img)
            .replace("SECRET2", &secret2)
            .replace("SECRET", &secret)
            .replace("CONFIG2", &config2)
            .replace("CONFIG", &config)
            .replace("NET1", &net1)
            .replace("NET2", &net2)
    };
    let sets: Vec<(&[&str], &[&str])> = UPDATE_SETS
        .iter()
        .map(|s| (&[][..], *s))
        .chain(UPDATE_SETS_ON.iter().copied())
        .collect();
    let mut failures = Vec::new();
    for (i, (base, set)) in sets.iter().enumerate() {
        let cli_name = format!("swarmupd-cli-{run}-{i}");
        let dw_name = format!("swarmupd-dw-{run}-{i}");
        let _cleanup = Cleanup {
            host: host.clone(),
            names: vec![cli_name.clone(), dw_name.clone()],
        };
        let image = format!("{img}/base:1");
        let base: Vec<String> = base.iter().map(|a| subst(a)).collect();
        for name in [&cli_name, &dw_name] {
            let mut args = vec![
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
                &secret,
                "--config",
                &config,
                "--network",
                &net1,
            ];
            args.extend(base.iter().map(String::as_str));
            args.push(&image);
            let (ok, _, err) = docker(&host, &args);
            assert!(ok, "create {name} with {base:?}: {err}");
        }
        let flags: Vec<String> = set.iter().map(|a| subst(a)).collect();
        let mut cli_args = vec!["service", "update", "-d", "--no-resolve-image"];
        cli_args.extend(flags.iter().map(String::as_str));
        cli_args.push(&cli_name);
        let (ok, _, err) = docker(&host, &cli_args);
        assert!(ok, "docker CLI refused {set:?} on {base:?}: {err}");

        let mut argv = vec!["x".to_owned()];
        argv.extend(flags.iter().cloned());
        let upd = UpdWrap::try_parse_from(&argv)
            .unwrap_or_else(|e| panic!("{set:?}: {e}"))
            .flags;
        let svc = curl_json(&socket, "GET", &format!("/services/{dw_name}"), None);
        let mut spec = svc["Spec"].clone();
        upd.apply_with_ids(&mut spec, &ids).unwrap();
        let version = svc["Version"]["Index"].as_u64().unwrap();
        curl_json(
            &socket,
            "POST",
            &format!("/services/{dw_name}/update?version={version}"),
            Some(&spec.to_string()),
        );

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
        "update parity: {} of {} flag sets equal",
        sets.len(),
        sets.len()
    );
}

#[derive(Parser)]
struct UpdWrap {
    #[command(flatten)]
    flags: UpdateFlags,
}
