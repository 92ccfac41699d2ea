//! Black-box tests of the `day5` program: the default (fake) mode, its errors, and (ignored:
//! needs the servers of scripts/test) `day5 --real`.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const REAL_VARS: &[&str] = &[
    "DOCKWRIGHT_TEST_DOCKER_HOST",
    "DOCKWRIGHT_TEST_WORKER_DOCKER_HOST",
    "DOCKWRIGHT_TEST_AUTH_REGISTRY",
    "DOCKWRIGHT_TEST_REGISTRY_USER",
    "DOCKWRIGHT_TEST_REGISTRY_PASSWORD",
];

struct Run {
    ok: bool,
    out: String,
    err: String,
    took: Duration,
}

fn day5(args: &[&str], stdin: Option<&str>, clear_env: bool) -> Run {
    let mut c = Command::new(env!("CARGO_BIN_EXE_day5"));
    c.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if clear_env {
        for k in REAL_VARS {
            c.env_remove(k);
        }
    }
    let t = Instant::now();
    let mut child = c.spawn().expect("day5 starts");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    let o = child.wait_with_output().expect("day5 runs");
    Run {
        ok: o.status.success(),
        out: String::from_utf8_lossy(&o.stdout).into_owned(),
        err: String::from_utf8_lossy(&o.stderr).into_owned(),
        took: t.elapsed(),
    }
}

/// The lines of the `upstream loadbalance { … }` block printed in step `step`.
fn upstream_block(out: &str, step: usize) -> Vec<String> {
    let start = out
        .find(&format!("[{step}/10]"))
        .unwrap_or_else(|| panic!("no step {step}:\n{out}"));
    let lines: Vec<&str> = out[start..]
        .lines()
        .map(str::trim)
        .skip_while(|l| *l != "upstream loadbalance {")
        .collect();
    assert!(
        !lines.is_empty(),
        "no upstream block in step {step}:\n{out}"
    );
    lines[1..]
        .iter()
        .take_while(|l| **l != "}")
        .map(|l| (*l).to_owned())
        .collect()
}

fn assert_step_headers(out: &str) {
    for n in 1..=10 {
        assert!(
            out.contains(&format!("\n[{n}/10] ")),
            "step {n} missing:\n{out}"
        );
    }
    assert!(out.contains("\nSummary\n"), "{out}");
}

#[test]
fn fake_mode_runs_the_whole_workflow_in_seconds() {
    let r = day5(&[], None, true);
    assert!(r.ok, "day5 failed: {}\n{}", r.err, r.out);
    let out = &r.out;
    assert_step_headers(out);
    // the docker commands each step stands for
    for cmd in [
        "$ docker login 127.0.0.1:",
        "$ docker image tag nginx_lb:2.0 nginx_lb:latest",
        "/nginx_lb:2.0\n",
        "$ docker tag nginx_lb:latest dev1johndoe/nginx_lb:latest && docker push 127.0.0.1:",
        "$ docker tag johns_nginx:1.0 dev1johndoe/nginx:latest && docker push 127.0.0.1:",
        "$ docker swarm init",
        "docker swarm join --token SWMTKN-1-",
        "$ docker node ls",
        "--replicas=3 --name swarm_nginx --publish mode=host,target=80,published=8080 dev1johndoe/nginx\n",
        "--replicas=1 --name swarm_nginx_lb --publish mode=host,target=80,published=80 dev1johndoe/nginx_lb\n",
        "nginx -s reload\n",
        "$ docker service rm swarm_nginx swarm_nginx_lb",
    ] {
        assert!(out.contains(cmd), "missing {cmd:?}:\n{out}");
    }
    assert!(out.contains("Login Succeeded"), "{out}");
    assert!(out.contains("tags of 127.0.0.1:"), "{out}");
    assert!(out.contains("/nginx_lb: 2.0, latest"), "{out}");
    // the seed's NFS mounts, built with nfs-mount
    for part in [
        "volume-opt=o=addr=192.168.1.220",
        "volume-opt=device=:/www,",
        "volume-opt=device=:/www/nginx,",
        "source=nfs_nginx,",
        "target=/usr/share/nginx/html/",
        "volume-nocopy=true",
    ] {
        assert!(out.contains(part), "missing {part:?}:\n{out}");
    }
    // three nodes, convergence of both services
    for node in ["swarm-docker-w1", "swarm-docker-w2", "Leader"] {
        assert!(out.contains(node), "node ls lacks {node}:\n{out}");
    }
    assert_eq!(out.matches("verify: Service converged").count(), 2, "{out}");
    assert!(out.contains("converged: 3/3 tasks running"), "{out}");
    assert!(out.contains("converged: 1/1 tasks running"), "{out}");
    // the upstream: least_conn over three distinct servers (the nodes, published port 8080)
    let up = upstream_block(out, 6);
    assert_eq!(up[0], "least_conn;", "{up:?}");
    let servers: Vec<&String> = up.iter().filter(|l| l.starts_with("server ")).collect();
    assert_eq!(servers.len(), 3, "{up:?}");
    for s in &servers {
        assert!(s.ends_with(":8080;"), "{s}");
    }
    let distinct: std::collections::BTreeSet<&String> = servers.iter().copied().collect();
    assert_eq!(distinct.len(), 3, "three distinct nodes: {up:?}");
    // the reload, recorded by the fake
    assert!(out.contains(": nginx -t → exit 0"), "{out}");
    assert!(out.contains(": nginx -s reload → exit 0"), "{out}");
    assert!(
        out.contains("MockSwarm recorded the exec `nginx -s reload`"),
        "{out}"
    );
    // the simulated plan names every server of the upstream
    assert!(out.contains("no request is sent"), "{out}");
    for s in &servers {
        let addr = s.trim_start_matches("server ").trim_end_matches(';');
        assert!(out.contains(&format!("10 → {addr}\n")), "{addr}:\n{out}");
    }
    assert!(
        r.took < Duration::from_secs(30),
        "fake mode took {:?}",
        r.took
    );
}

#[test]
fn fake_mode_takes_the_password_from_stdin_and_never_prints_it() {
    let pw = "s3cret-Day5-pw-7781";
    let r = day5(
        &["--password-stdin", "-u", "john", "--requests", "6"],
        Some(&format!("{pw}\n")),
        true,
    );
    assert!(r.ok, "{}\n{}", r.err, r.out);
    assert!(r.out.contains("-u john --password-stdin"), "{}", r.out);
    assert!(r.out.contains("2 → "), "{}", r.out);
    assert!(
        !r.out.contains(pw) && !r.err.contains(pw),
        "password leaked"
    );
}

#[test]
fn empty_password_on_stdin_is_a_one_line_error() {
    let r = day5(&["--password-stdin"], Some("\n"), true);
    assert!(!r.ok);
    assert_eq!(r.err.trim().lines().count(), 1, "{}", r.err);
    assert!(r.err.contains("empty password"), "{}", r.err);
}

#[test]
fn real_mode_without_servers_names_dev_up() {
    let r = day5(&["--real"], None, true);
    assert!(!r.ok, "{}", r.out);
    let err = r.err.trim();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("day5: "), "{err}");
    assert!(err.contains("scripts/dev-up"), "{err}");
    for k in REAL_VARS {
        assert!(err.contains(k), "{err}");
    }
}

#[test]
fn help_documents_real_mode_and_its_variables() {
    let r = day5(&["--help"], None, true);
    assert!(r.ok, "{}", r.err);
    assert!(r.out.contains("--real"), "{}", r.out);
    assert!(r.out.contains("scripts/dev-up"), "{}", r.out);
    for k in REAL_VARS {
        assert!(r.out.contains(k), "{k} undocumented:\n{}", r.out);
    }
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn real_mode_serves_through_all_three_backends() {
    for k in REAL_VARS {
        assert!(
            std::env::var(k).is_ok_and(|v| !v.is_empty()),
            "{k} is not set: run scripts/test (or scripts/dev-up and source its env file)"
        );
    }
    let r = day5(&["--real"], None, false);
    assert!(r.ok, "day5 --real failed: {}\n{}", r.err, r.out);
    let out = &r.out;
    assert_step_headers(out);
    assert!(out.contains("converged: 3/3 tasks running"), "{out}");
    assert!(out.contains("converged: 1/1 tasks running"), "{out}");
    let up = upstream_block(out, 6);
    assert_eq!(up[0], "least_conn;", "{up:?}");
    assert_eq!(
        up.iter()
            .filter(|l| l.starts_with("server 127.0.0.1:"))
            .count(),
        3,
        "{up:?}"
    );
    assert!(out.contains("→ 502 (the old config"), "{out}");
    assert!(out.contains("→ 200: the new config is live"), "{out}");
    for slot in 1..=3 {
        assert!(
            out.contains(&format!(
                "× Welcome to Johns Swarm environment (slot {slot})"
            )),
            "slot {slot} did not serve:\n{out}"
        );
    }
    assert!(out.contains("all 3 backends served"), "{out}");
    // the images were built by the daemon and pushed from it (the tasks ran what was pushed)
    assert!(
        out.contains("Build the images (docker build in the swarm manager's daemon)"),
        "{out}"
    );
    let built: Vec<String> = out
        .lines()
        .filter_map(|l| l.split(" and tagged ").nth(1))
        .filter_map(|t| t.split_whitespace().next())
        .map(ToOwned::to_owned)
        .collect();
    assert_eq!(built.len(), 2, "two images built in the daemon:\n{out}");
    assert!(built[0].starts_with("johns_nginx_"), "{built:?}");
    assert!(built[1].starts_with("nginx_lb_"), "{built:?}");
    for image in &built {
        assert!(
            out.contains(&format!("$ docker tag {image} 127.0.0.1:")),
            "{image} not pushed from the daemon:\n{out}"
        );
    }
    // (layers an earlier run pushed are skipped: the rootfs tars are the same bytes each time)
    assert_eq!(
        out.matches(" blobs uploaded, ").count(),
        2,
        "nginx_lb and johns_nginx pushed:\n{out}"
    );
    // the services it created are gone
    let name = out
        .split("--name ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .expect("service name printed")
        .to_owned();
    assert!(name.starts_with("swarm_nginx_"), "{name}");
    let host = std::env::var("DOCKWRIGHT_TEST_DOCKER_HOST").unwrap_or_default();
    let ls = Command::new("docker")
        .args(["-H", &host, "service", "ls", "-q", "--filter"])
        .arg(format!("name={name}"))
        .output()
        .expect("docker CLI");
    assert!(ls.status.success());
    assert!(
        String::from_utf8_lossy(&ls.stdout).trim().is_empty(),
        "{name} still exists"
    );
    // and so are the images it built in the daemon
    for image in &built {
        let ls = Command::new("docker")
            .args(["-H", &host, "image", "ls", "-q", image])
            .output()
            .expect("docker CLI");
        assert!(ls.status.success());
        assert!(
            String::from_utf8_lossy(&ls.stdout).trim().is_empty(),
            "{image} still in the daemon"
        );
    }
}

#[test]
fn no_daemon_build_needs_real_mode() {
    let r = day5(&["--no-daemon-build"], None, true);
    assert!(!r.ok, "{}", r.out);
    assert!(r.err.contains("--real"), "{}", r.err);
}

#[test]
fn fake_mode_without_nginx_and_busybox_builds_stand_ins() {
    let r = day5(
        &[
            "--nginx",
            "/nonexistent/nginx",
            "--busybox",
            "/nonexistent/busybox",
            "--requests",
            "3",
        ],
        None,
        true,
    );
    assert!(r.ok, "{}\n{}", r.err, r.out);
    assert!(
        r.out
            .contains("/nonexistent/busybox not found (install busybox-static)"),
        "{}",
        r.out
    );
    assert!(
        r.out
            .contains("/nonexistent/nginx not found (install nginx-light)"),
        "{}",
        r.out
    );
    assert!(r.out.contains("verify: Service converged"), "{}", r.out);
}

#[test]
fn real_mode_refuses_to_run_without_nginx() {
    // The check happens before any server is contacted, so this needs no servers: the variables
    // point at nothing that listens.
    let dir = tempfile::tempdir().unwrap();
    let sock = format!("unix://{}/none.sock", dir.path().display());
    let o = Command::new(env!("CARGO_BIN_EXE_day5"))
        .args(["--real", "--nginx", "/nonexistent/nginx"])
        .env("DOCKWRIGHT_TEST_DOCKER_HOST", &sock)
        .env("DOCKWRIGHT_TEST_WORKER_DOCKER_HOST", &sock)
        .env("DOCKWRIGHT_TEST_AUTH_REGISTRY", "127.0.0.1:9")
        .env("DOCKWRIGHT_TEST_REGISTRY_USER", "u")
        .env("DOCKWRIGHT_TEST_REGISTRY_PASSWORD", "p")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("/nonexistent/nginx (package nginx-light): not found"),
        "{err}"
    );
    assert!(
        o.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn real_stack_mode_deploys_the_loopback_compose_file_and_removes_it() {
    let r = day5(&["--real", "--stack"], None, false);
    assert!(r.ok, "day5 --real --stack failed: {}\n{}", r.err, r.out);
    let out = &r.out;
    assert_step_headers(out);
    assert!(out.contains("docker stack deploy --with-registry-auth --resolve-image never -c examples/day5/stack-loopback.yml"), "{out}");
    assert!(out.contains("Creating config "), "{out}");
    assert!(
        out.contains("was deployed with the stack in step 5"),
        "{out}"
    );
    assert!(out.contains("→ 200: the new config is live"), "{out}");
    for slot in 1..=3 {
        assert!(
            out.contains(&format!(
                "× Welcome to Johns Swarm environment (slot {slot})"
            )),
            "{out}"
        );
    }
    // The stack went at the end: no service or config of a day5 stack is left.
    let host = std::env::var("DOCKWRIGHT_TEST_DOCKER_HOST").unwrap();
    let stack = out
        .split_whitespace()
        .skip_while(|w| *w != "examples/day5/stack-loopback.yml")
        .nth(1)
        .unwrap()
        .to_owned();
    for kind in ["service", "config"] {
        let ls = std::process::Command::new("docker")
            .args([
                "-H",
                &host,
                kind,
                "ls",
                "-q",
                "--filter",
                &format!("label=com.docker.stack.namespace={stack}"),
            ])
            .output()
            .unwrap();
        assert!(
            ls.stdout.is_empty(),
            "{kind}s of {stack} left: {}",
            String::from_utf8_lossy(&ls.stdout)
        );
    }
}
