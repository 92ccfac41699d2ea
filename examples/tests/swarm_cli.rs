//! Black-box tests of `dockwright swarm|node|service` (no servers needed unless marked): the
//! real-swarm tests run each command beside the docker CLI 28 (the reference) against the
//! dockerd swarm of `scripts/test`.

use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

fn dw() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dockwright"))
}

#[test]
fn create_dry_run_prints_the_spec_without_a_daemon() {
    let out = dw()
        .args([
            "service",
            "-H",
            "unix:///nonexistent/docker.sock",
            "create",
            "--dry-run",
            "--name",
            "web",
            "--replicas",
            "3",
            "busybox",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["Name"], "web");
    assert_eq!(v["Mode"]["Replicated"]["Replicas"], 3);
    assert_eq!(
        v["TaskTemplate"]["ContainerSpec"]["Image"],
        "busybox:latest"
    );
}

#[test]
fn bad_scale_and_slot_arguments_are_one_line_errors() {
    for args in [
        &[
            "service",
            "-H",
            "unix:///nonexistent/docker.sock",
            "scale",
            "web",
        ][..],
        &[
            "service",
            "-H",
            "unix:///nonexistent/docker.sock",
            "exec",
            "web",
            "--",
            "true",
        ][..],
        &["node", "-H", "unix:///nonexistent/docker.sock", "ls"][..],
    ] {
        let out = dw().args(args).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        // No daemon listens there: the line names the endpoint, where it came from, and a hint.
        assert!(
            err.contains(
                "cannot reach the Docker daemon at unix:///nonexistent/docker.sock \
                 (from -H unix:///nonexistent/docker.sock)"
            ) && err.contains("is dockerd running there?"),
            "{args:?}: {err}"
        );
    }
}

/// Against the fake swarm (which sends `details=1` attributes as dockerd does), lines get
/// docker's `NAME.SLOT.TASK@NODE    | ` prefix, stdout and stderr kept apart; `--raw` prints
/// them bare.
#[tokio::test]
async fn service_logs_from_the_fake_daemon_are_prefixed_like_docker() {
    let m = swarm_client::mock::MockSwarm::builder()
        .initialized(true)
        .start()
        .await;
    let c = swarm_client::Client::connect(&m.endpoint()).await.unwrap();
    let spec = serde_json::json!({
        "Name": "web",
        "TaskTemplate": {"ContainerSpec": {"Image": "127.0.0.1:5000/web:1"}},
        "Mode": {"Replicated": {"Replicas": 1}}
    });
    c.service_create(&spec, &swarm_client::services::CreateOptions::new())
        .await
        .unwrap();
    let tasks = c
        .task_list(&swarm_client::tasks::TaskFilter::new().service("web"))
        .await
        .unwrap();
    let task12 = &tasks[0].id[..12];
    m.set_service_logs("web", &[(1, "hello"), (2, "oops"), (1, "bye")]);
    let logs = |extra: &[&str]| {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_dockwright"));
        cmd.args(["service", "-H", &m.endpoint(), "logs"])
            .args(extra)
            .arg("web");
        async move {
            let o = cmd.output().await.unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            (
                String::from_utf8_lossy(&o.stdout).into_owned(),
                String::from_utf8_lossy(&o.stderr).into_owned(),
            )
        }
    };
    let (out, err) = logs(&[]).await;
    let prefix = format!("web.1.{task12}@mock-manager    | ");
    assert_eq!(out, format!("{prefix}hello\n{prefix}bye\n"));
    assert_eq!(err, format!("{prefix}oops\n"));
    let (out, err) = logs(&["--raw"]).await;
    assert_eq!((out.as_str(), err.as_str()), ("hello\nbye\n", "oops\n"));
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn node_ls_table_and_json() {
    let host = std::env::var("DOCKWRIGHT_TEST_DOCKER_HOST")
        .expect("DOCKWRIGHT_TEST_DOCKER_HOST not set: run scripts/test");
    let out = dw().args(["node", "-H", &host, "ls"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("ID "), "{text}");
    assert!(text.lines().count() >= 3, "{text}");
    assert!(text.contains("Leader"), "{text}");
    let out = dw()
        .args(["node", "-H", &host, "ls", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.as_array().unwrap().len() >= 2);
}

// ---- the real swarm (ignored; scripts/test runs them) ----
//
// Every service is host-networked busybox httpd from the open registry: task SLOT listens on
// 127.0.0.1:<BASE><SLOT> (`PORT=<BASE>{{.Task.Slot}}`), serves `slot-SLOT` and first prints
// `hello-from-slot-SLOT`. A `ServiceGuard` removes each service even when the test fails.

/// A required environment variable; panics with how to get it (never skips).
fn env(name: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| panic!("{name} is not set: run scripts/test (real servers needed)"))
}

/// What one command printed.
struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Out {
    fn ok(&self) -> bool {
        self.code == Some(0)
    }

    /// Panics with what the command printed unless it succeeded.
    #[track_caller]
    fn expect_ok(self, what: &str) -> Self {
        assert!(
            self.ok(),
            "{what}: exit {:?}\nstdout: {}\nstderr: {}",
            self.code,
            self.stdout,
            self.stderr
        );
        self
    }
}

fn output(cmd: &mut Command) -> Out {
    let o = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    Out {
        code: o.status.code(),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// `dockwright AREA -H MANAGER ARGS…` (AREA: `swarm`, `node` or `service`).
fn dw_on(area: &str, args: &[&str]) -> Out {
    output(
        dw().arg(area)
            .arg("-H")
            .arg(env("DOCKWRIGHT_TEST_DOCKER_HOST"))
            .args(args),
    )
}

/// `dockwright service -H MANAGER ARGS…`.
fn dw_service(args: &[&str]) -> Out {
    dw_on("service", args)
}

/// The docker CLI (the reference) against the manager.
fn docker(args: &[&str]) -> Out {
    output(
        Command::new("docker")
            .arg("-H")
            .arg(env("DOCKWRIGHT_TEST_DOCKER_HOST"))
            .args(args),
    )
}

/// A name unique to this process and test.
fn unique(tag: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "swarmcli-{tag}-{:x}{:x}{}",
        std::process::id() % 0xfff,
        t % 0xfffff,
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// A port base B in 6100..=6499 such that 127.0.0.1:B0..=B9 are free now (ports 61000..=64999,
/// above the kernel's ephemeral range). Bases are handed out once per process from a random
/// start, so parallel tests and leftovers of earlier runs do not collide.
fn port_base() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
        ^ std::process::id();
    let _ = NEXT.compare_exchange(u32::MAX, seed % 400, Ordering::SeqCst, Ordering::SeqCst);
    for _ in 0..400 {
        let base = 6100 + NEXT.fetch_add(1, Ordering::SeqCst) % 400;
        if (0..10).all(|d| {
            std::net::TcpListener::bind(("127.0.0.1", u16::try_from(base * 10 + d).unwrap()))
                .is_ok()
        }) {
            return base;
        }
    }
    panic!("no free port base 6100..=6499 on 127.0.0.1");
}

/// Removes a service with the docker CLI when dropped, even when the test panics.
struct ServiceGuard(String);

impl Drop for ServiceGuard {
    fn drop(&mut self) {
        if let Ok(host) = std::env::var("DOCKWRIGHT_TEST_DOCKER_HOST") {
            let _ = Command::new("docker")
                .args(["-H", &host, "service", "rm", &self.0])
                .output();
        }
    }
}

/// The busybox image in the open registry: built with registry-client and pushed with
/// `dockwright push`, once per test binary.
fn image() -> &'static str {
    static IMAGE: OnceLock<String> = OnceLock::new();
    IMAGE.get_or_init(|| {
        let registry = env("DOCKWRIGHT_TEST_REGISTRY");
        assert!(
            std::path::Path::new("/bin/busybox").exists(),
            "/bin/busybox missing (busybox-static): run scripts/test"
        );
        let dir = tempfile::Builder::new()
            .prefix("dw-swarmcli-")
            .tempdir()
            .unwrap();
        let layout = dir.path().join("layout");
        example_images::busybox_image("/bin/busybox")
            .ref_name("1")
            .build(&layout)
            .unwrap();
        let image = format!("{registry}/swarmcli-test/busybox:1");
        output(dw().args(["push", "-q"]).arg(&layout).arg(&image))
            .expect_ok("push the busybox image");
        image
    })
}

/// The digest the registry serves for `image` (`REGISTRY/REPO:TAG`).
fn registry_digest(image: &str) -> String {
    let (registry, rest) = image.split_once('/').unwrap();
    let (repo, tag) = rest.rsplit_once(':').unwrap();
    let out = output(Command::new("curl").args([
        "-sSfI",
        "-H",
        "Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, \
         application/vnd.docker.distribution.manifest.v2+json, \
         application/vnd.docker.distribution.manifest.list.v2+json",
        &format!("http://{registry}/v2/{repo}/manifests/{tag}"),
    ]))
    .expect_ok("HEAD manifest");
    out.stdout
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("docker-content-digest")
                .then(|| v.trim().to_owned())
        })
        .unwrap_or_else(|| panic!("no Docker-Content-Digest in {}", out.stdout))
}

/// `service create` flags of the httpd service NAME with REPLICAS tasks on port base BASE:
/// host network, a short update monitor, fast stops, all tasks updated at once.
fn httpd_flags(name: &str, replicas: u32, base: u32) -> Vec<String> {
    [
        "--name",
        name,
        "--replicas",
        &replicas.to_string(),
        "--network",
        "host",
        "--label",
        "dockwright.test=swarmcli",
        "-e",
        &format!("PORT={base}{{{{.Task.Slot}}}}"),
        "-e",
        "SLOT={{.Task.Slot}}",
        "--init",
        "--stop-grace-period",
        "1s",
        "--restart-delay",
        "200ms",
        "--update-monitor",
        "500ms",
        "--update-parallelism",
        "0",
        "--rollback-monitor",
        "500ms",
        "--rollback-parallelism",
        "0",
        "--wait-timeout",
        "120",
        image(),
        "sh",
        "-c",
        "echo hello-from-slot-$SLOT; echo slot-$SLOT > /tmp/index.html; \
         exec httpd -f -p 127.0.0.1:$PORT -h /tmp",
    ]
    .map(String::from)
    .to_vec()
}

/// `dockwright service create EXTRA… FLAGS…`, guarded; returns the guard and what it printed.
fn create(name: &str, replicas: u32, base: u32, extra: &[&str]) -> (ServiceGuard, Out) {
    let guard = ServiceGuard(name.to_owned());
    let flags = httpd_flags(name, replicas, base);
    let mut args = vec!["create"];
    args.extend_from_slice(extra);
    args.extend(flags.iter().map(String::as_str));
    (guard, dw_service(&args))
}

/// Retries `f` every 200 ms until it returns `Ok`, panicking with its last error after `limit`.
#[track_caller]
fn eventually<T>(limit: Duration, mut f: impl FnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        match f() {
            Ok(v) => return v,
            Err(e) if Instant::now() >= deadline => panic!("after {limit:?}: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// One HTTP/1.0 GET / on 127.0.0.1:PORT; the body of a 200.
fn http_get(port: u32) -> Result<String, String> {
    use std::io::{Read as _, Write as _};
    let port = u16::try_from(port).map_err(|e| e.to_string())?;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    s.write_all(b"GET / HTTP/1.0\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).map_err(|e| e.to_string())?;
    let (head, body) = buf.split_once("\r\n\r\n").ok_or("no header end")?;
    if !head.starts_with("HTTP/1.0 200") && !head.starts_with("HTTP/1.1 200") {
        return Err(format!(
            "port {port}: {}",
            head.lines().next().unwrap_or("")
        ));
    }
    Ok(body.trim().to_owned())
}

/// `docker service inspect --format TEMPLATE NAME`, trimmed.
fn docker_inspect(name: &str, template: &str) -> String {
    docker(&["service", "inspect", "--format", template, name])
        .expect_ok("docker service inspect")
        .stdout
        .trim()
        .to_owned()
}

/// `dockwright service inspect NAME` (the one service).
fn dw_inspect(name: &str) -> serde_json::Value {
    let out = dw_service(&["inspect", name]).expect_ok("service inspect");
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v.as_array().map(Vec::len), Some(1), "{v}");
    v[0].clone()
}

/// The tasks of NAME that should be running, from `service ps --format json`.
fn running_tasks(name: &str) -> Vec<serde_json::Value> {
    let out = dw_service(&[
        "ps",
        "--format",
        "json",
        "-f",
        "desired-state=running",
        name,
    ])
    .expect_ok("service ps --format json");
    serde_json::from_str::<serde_json::Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// A table's columns: cells are separated by runs of two or more spaces (as docker's
/// tabwriter pads them), so `DESIRED STATE` stays one column.
fn columns(line: &str) -> Vec<String> {
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect()
}

/// Asserts `s` is a 25-character swarm object ID.
#[track_caller]
fn assert_swarm_id(s: &str) {
    assert!(
        s.len() == 25
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
        "not a swarm ID: {s:?}"
    );
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn service_create_waits_pins_the_digest_and_detach_returns_at_once() {
    let started = Instant::now();
    let name = unique("create");
    let base = port_base();
    let (_g, out) = create(&name, 2, base, &[]);
    let out = out.expect_ok("service create");
    // stdout: the ID alone, like `docker service create`; progress on stderr.
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    let id = out.stdout.trim();
    assert_swarm_id(id);
    assert!(
        out.stderr.contains("overall progress: 2 out of 2 tasks"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .lines()
            .last()
            .unwrap_or("")
            .contains("converged"),
        "{}",
        out.stderr
    );
    assert_eq!(docker_inspect(&name, "{{.ID}}"), id);
    // Converged when it returned: both tasks run, each on its own port.
    let tasks = running_tasks(&name);
    assert_eq!(tasks.len(), 2, "{tasks:?}");
    for t in &tasks {
        assert_eq!(t["Status"]["State"], "running", "{t}");
    }
    for slot in 1..=2 {
        let body = eventually(Duration::from_secs(10), || http_get(base * 10 + slot));
        assert_eq!(body, format!("slot-{slot}"));
    }
    // The stored image is pinned to the digest the registry serves (like the docker CLI).
    let stored = docker_inspect(&name, "{{.Spec.TaskTemplate.ContainerSpec.Image}}");
    assert_eq!(
        stored,
        format!("{}@{}", image(), registry_digest(image())),
        "digest pinning"
    );

    // -d --no-resolve-image: the ID at once, no progress, the tag as given.
    let name2 = unique("detach");
    let base2 = port_base();
    let t0 = Instant::now();
    let (_g2, out) = create(&name2, 1, base2, &["-d", "--no-resolve-image"]);
    let detached_in = t0.elapsed();
    let out = out.expect_ok("service create -d");
    assert_swarm_id(out.stdout.trim());
    assert!(
        !out.stderr.contains("progress") && !out.stderr.contains("converged"),
        "-d printed progress: {}",
        out.stderr
    );
    assert_eq!(
        docker_inspect(&name2, "{{.Spec.TaskTemplate.ContainerSpec.Image}}"),
        image(),
        "--no-resolve-image keeps the tag"
    );
    // It still comes up by itself.
    let body = eventually(Duration::from_secs(30), || http_get(base2 * 10 + 1));
    assert_eq!(body, "slot-1");
    eprintln!(
        "create: converged and pinned; -d returned in {detached_in:?}; {:?} in all",
        started.elapsed()
    );
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn service_ls_and_ps_tables_and_json() {
    let name = unique("ls");
    let (_g, out) = create(&name, 2, port_base(), &["-q"]);
    let id = out.expect_ok("service create").stdout.trim().to_owned();

    // `service ls`: docker's header; our row with mode, replicas and the image without digest.
    let filter = format!("name={name}");
    let ours = dw_service(&["ls", "-f", &filter]).expect_ok("service ls");
    let theirs = docker(&["service", "ls", "-f", &filter]).expect_ok("docker service ls");
    let lines: Vec<&str> = ours.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", ours.stdout);
    assert_eq!(
        columns(lines[0]),
        columns(theirs.stdout.lines().next().unwrap()),
        "ls header"
    );
    assert_eq!(
        columns(lines[1]),
        [&id[..12], &name, "replicated", "2/2", image()],
        "{}",
        ours.stdout
    );
    // The same row as docker's (its empty PORTS cell is padding).
    assert_eq!(
        columns(lines[1]),
        columns(theirs.stdout.lines().nth(1).unwrap())
    );
    let q = dw_service(&["ls", "-q", "-f", &filter]).expect_ok("service ls -q");
    let theirs_q = docker(&["service", "ls", "-q", "-f", &filter]).expect_ok("docker ls -q");
    assert_eq!(
        q.stdout, theirs_q.stdout,
        "12-character IDs, as docker prints"
    );
    assert_eq!(q.stdout.trim(), &id[..12]);
    let json = dw_service(&["ls", "--format", "json", "-f", &filter]).expect_ok("ls json");
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 1, "{v}");
    assert_eq!(list[0]["ID"], id.as_str());
    assert_eq!(list[0]["Spec"]["Name"], name.as_str());
    assert_eq!(list[0]["Spec"]["Mode"]["Replicated"]["Replicas"], 2);

    // `service ps`: docker's header; NAME.1 and NAME.2 running on a node.
    let ours = dw_service(&["ps", &name]).expect_ok("service ps");
    let theirs = docker(&["service", "ps", &name]).expect_ok("docker service ps");
    let lines: Vec<&str> = ours.stdout.lines().collect();
    assert_eq!(
        columns(lines[0]),
        columns(theirs.stdout.lines().next().unwrap()),
        "ps header"
    );
    assert_eq!(
        columns(lines[0]),
        [
            "ID",
            "NAME",
            "IMAGE",
            "NODE",
            "DESIRED STATE",
            "CURRENT STATE",
            "ERROR",
            "PORTS"
        ]
    );
    assert_eq!(lines.len(), 3, "{}", ours.stdout);
    let mut docker_rows: Vec<Vec<String>> = theirs.stdout.lines().skip(1).map(columns).collect();
    for (slot, line) in lines[1..].iter().enumerate() {
        let cols = columns(line);
        assert_eq!(cols[1], format!("{name}.{}", slot + 1), "{line}");
        assert_eq!(cols[2], image(), "{line}");
        assert_eq!(cols[4], "Running", "{line}");
        assert!(cols[5].starts_with("Running "), "{line}");
        assert!(cols[5].ends_with(" ago"), "{line}");
        // ID, name, image, node and desired state as docker shows them.
        let row = docker_rows
            .iter()
            .position(|r| r[0] == cols[0])
            .unwrap_or_else(|| panic!("{line} not in docker's\n{}", theirs.stdout));
        assert_eq!(docker_rows.remove(row)[..5], cols[..5], "{line}");
    }
    let q = dw_service(&["ps", "-q", &name]).expect_ok("service ps -q");
    let json = dw_service(&["ps", "--format", "json", &name]).expect_ok("ps json");
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let tasks = v.as_array().unwrap();
    assert_eq!(tasks.len(), 2, "{v}");
    let mut ids: Vec<&str> = tasks.iter().map(|t| t["ID"].as_str().unwrap()).collect();
    let mut q_ids: Vec<&str> = q.stdout.lines().collect();
    ids.sort_unstable();
    q_ids.sort_unstable();
    assert_eq!(ids, q_ids);
    for t in tasks {
        assert_swarm_id(t["ID"].as_str().unwrap());
        assert_eq!(t["ServiceID"], id.as_str());
        assert_eq!(t["DesiredState"], "running");
    }
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn service_scale_update_and_rollback_converge() {
    let started = Instant::now();
    let name = unique("scale");
    let base = port_base();
    let (_g, out) = create(&name, 1, base, &["-q"]);
    out.expect_ok("service create");

    // scale NAME=3: waits until three tasks run.
    let out = dw_service(&["scale", &format!("{name}=3")]).expect_ok("service scale");
    assert_eq!(out.stdout.trim(), format!("{name} scaled to 3"));
    assert!(out.stderr.contains("3 out of 3 tasks"), "{}", out.stderr);
    assert_eq!(
        docker_inspect(&name, "{{.Spec.Mode.Replicated.Replicas}}"),
        "3"
    );
    let tasks = running_tasks(&name);
    assert_eq!(tasks.len(), 3, "{tasks:?}");
    assert!(tasks.iter().all(|t| t["Status"]["State"] == "running"));
    for slot in 1..=3 {
        eventually(Duration::from_secs(10), || http_get(base * 10 + slot));
    }
    let scaled_at = started.elapsed();

    // update --env-add: rolled out to every task before it returns.
    let out = dw_service(&["update", "--env-add", "FOO=bar", &name]).expect_ok("update");
    assert_eq!(out.stdout.trim(), name);
    let svc = dw_inspect(&name);
    // The Env of a ContainerSpec (`Spec.TaskTemplate.ContainerSpec` of a service,
    // `Spec.ContainerSpec` of a task).
    let env_of = |v: &serde_json::Value| -> Vec<String> {
        v["Env"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap().to_owned())
            .collect()
    };
    let with_foo = env_of(&svc["Spec"]["TaskTemplate"]["ContainerSpec"]);
    let without_foo = env_of(&svc["PreviousSpec"]["TaskTemplate"]["ContainerSpec"]);
    assert!(with_foo.contains(&"FOO=bar".to_owned()), "{with_foo:?}");
    assert!(
        !without_foo.contains(&"FOO=bar".to_owned()),
        "{without_foo:?}"
    );
    assert_eq!(
        svc["UpdateStatus"]["State"], "completed",
        "{}",
        svc["UpdateStatus"]
    );
    // Three tasks run, each with `env` in its spec.
    let three_run_with = |env: &[String]| {
        let tasks = running_tasks(&name);
        assert_eq!(tasks.len(), 3, "{tasks:?}");
        for t in &tasks {
            assert_eq!(t["Status"]["State"], "running", "{t}");
            assert_eq!(env_of(&t["Spec"]["ContainerSpec"]), env, "task {}", t["ID"]);
        }
    };
    three_run_with(&with_foo);
    let updated_at = started.elapsed();

    // rollback: back to the previous spec, rolled out, and docker sees the same.
    let out = dw_service(&["rollback", &name]).expect_ok("rollback");
    assert_eq!(out.stdout.trim(), name);
    let svc = dw_inspect(&name);
    assert_eq!(
        env_of(&svc["Spec"]["TaskTemplate"]["ContainerSpec"]),
        without_foo
    );
    assert_eq!(
        env_of(&svc["PreviousSpec"]["TaskTemplate"]["ContainerSpec"]),
        with_foo
    );
    assert_eq!(
        svc["UpdateStatus"]["State"], "rollback_completed",
        "{}",
        svc["UpdateStatus"]
    );
    assert_eq!(
        docker_inspect(&name, "{{json .Spec.TaskTemplate.ContainerSpec.Env}}"),
        serde_json::to_string(&without_foo).unwrap()
    );
    assert_eq!(
        docker_inspect(&name, "{{.Spec.Mode.Replicated.Replicas}}"),
        "3"
    );
    three_run_with(&without_foo);
    for slot in 1..=3 {
        eventually(Duration::from_secs(10), || http_get(base * 10 + slot));
    }
    eprintln!(
        "scale {scaled_at:?}, update {:?}, rollback {:?}",
        updated_at - scaled_at,
        started.elapsed() - updated_at
    );
}

/// Lines sorted (tasks' logs interleave in any order).
fn sorted_lines(s: &str) -> Vec<&str> {
    let mut v: Vec<&str> = s.lines().collect();
    v.sort_unstable();
    v
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn service_logs_of_a_service_and_a_task() {
    let name = unique("logs");
    let (_g, out) = create(&name, 2, port_base(), &["-q"]);
    out.expect_ok("service create");
    let tasks = running_tasks(&name);
    let node_names: serde_json::Value = serde_json::from_str(
        &dw_on("node", &["ls", "--format", "json"])
            .expect_ok("node ls")
            .stdout,
    )
    .unwrap();
    let hostname = |node_id: &serde_json::Value| {
        node_names
            .as_array()
            .unwrap()
            .iter()
            .find(|n| &n["ID"] == node_id)
            .map(|n| n["Description"]["Hostname"].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("node {node_id} not in node ls"))
    };

    // Both tasks' line, prefixed `NAME.SLOT.TASK@NODE    | ` like the docker CLI's (logs reach
    // the manager shortly after the tasks start).
    let all = eventually(Duration::from_secs(20), || {
        let out = dw_service(&["logs", &name]);
        if !out.ok() {
            return Err(out.stderr);
        }
        if out.stdout.lines().count() >= 2 {
            Ok(out.stdout)
        } else {
            Err(format!("not both tasks yet: {}", out.stdout))
        }
    });
    let mut expected: Vec<String> = tasks
        .iter()
        .map(|t| {
            let slot = t["Slot"].as_u64().unwrap();
            let id = t["ID"].as_str().unwrap();
            format!(
                "{name}.{slot}.{}@{}    | hello-from-slot-{slot}",
                &id[..12],
                hostname(&t["NodeID"])
            )
        })
        .collect();
    expected.sort_unstable();
    assert_eq!(sorted_lines(&all), expected, "{all}");
    let theirs = docker(&["service", "logs", &name]).expect_ok("docker service logs");
    assert_eq!(sorted_lines(&all), sorted_lines(&theirs.stdout));
    let raw = dw_service(&["logs", "--raw", &name]).expect_ok("logs --raw");
    assert_eq!(
        sorted_lines(&raw.stdout),
        ["hello-from-slot-1", "hello-from-slot-2"]
    );
    let since = dw_service(&["logs", "--since", "1h", &name]).expect_ok("logs --since 1h");
    assert_eq!(sorted_lines(&since.stdout), expected);
    let tail = dw_service(&["logs", "-n", "1", "--no-task-ids", &name]).expect_ok("logs -n 1");
    let mut short: Vec<String> = tasks
        .iter()
        .map(|t| {
            let slot = t["Slot"].as_u64().unwrap();
            format!(
                "{name}.{slot}@{}    | hello-from-slot-{slot}",
                hostname(&t["NodeID"])
            )
        })
        .collect();
    short.sort_unstable();
    assert_eq!(sorted_lines(&tail.stdout), short);

    // A bad --since is a one-line error naming the value, like the docker CLI's.
    let bad = dw_service(&["logs", "--since", "yesterday", &name]);
    assert!(!bad.ok(), "{}", bad.stdout);
    assert_eq!(bad.stdout, "");
    assert_eq!(bad.stderr.trim().lines().count(), 1, "{}", bad.stderr);
    assert!(bad.stderr.contains("yesterday"), "{}", bad.stderr);
    assert!(!docker(&["service", "logs", "--since", "yesterday", &name]).ok());

    // `service logs TASK_ID`: only that task's output, as docker prints it.
    let task = tasks.iter().find(|t| t["Slot"] == 1).expect("slot 1");
    let task_id = task["ID"].as_str().unwrap();
    let out = dw_service(&["logs", task_id]).expect_ok("logs TASK_ID");
    assert_eq!(
        out.stdout,
        format!(
            "{name}.1.{}@{}    | hello-from-slot-1\n",
            &task_id[..12],
            hostname(&task["NodeID"])
        )
    );
    let theirs = docker(&["service", "logs", task_id]).expect_ok("docker logs TASK_ID");
    assert_eq!(out.stdout, theirs.stdout);
    let missing = dw_service(&["logs", "swarmcli-no-such-service-or-task"]);
    assert!(!missing.ok());
    assert_eq!(
        missing.stderr.trim(),
        "dockwright: no such task or service: swarmcli-no-such-service-or-task"
    );
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn service_exec_returns_the_exit_code_and_stdout() {
    // Every worker of scripts/test (…_WORKER_DOCKER_HOST, …_WORKER2_DOCKER_HOST): the swarm
    // has a manager and two workers.
    let workers: Vec<String> = [
        "DOCKWRIGHT_TEST_WORKER_DOCKER_HOST",
        "DOCKWRIGHT_TEST_WORKER2_DOCKER_HOST",
    ]
    .iter()
    .filter_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    .collect();
    assert!(
        !workers.is_empty(),
        "DOCKWRIGHT_TEST_WORKER_DOCKER_HOST is not set: run scripts/test"
    );
    let name = unique("exec");
    let base = port_base();
    // One task per node: one slot runs on each worker.
    let (_g, out) = create(
        &name,
        u32::try_from(workers.len() + 1).unwrap(),
        base,
        &["-q", "--replicas-max-per-node", "1"],
    );
    out.expect_ok("service create");
    // Tasks on a worker are reached through its daemon, keyed by its node ID (every node is
    // `vm` at 127.0.0.1 here; a worker cannot inspect nodes, so ask its `info`).
    let mut worker_ids = Vec::new();
    let mut node_hosts = Vec::new();
    for worker in &workers {
        let worker_id = output(Command::new("docker").args([
            "-H",
            worker,
            "info",
            "--format",
            "{{.Swarm.NodeID}}",
        ]))
        .expect_ok("docker info on the worker")
        .stdout
        .trim()
        .to_owned();
        assert_swarm_id(&worker_id);
        node_hosts.push("--node-host".to_owned());
        node_hosts.push(format!("{worker_id}={worker}"));
        worker_ids.push(worker_id);
    }
    let mut on_worker = 0;
    for t in running_tasks(&name) {
        let slot = t["Slot"].as_u64().unwrap();
        on_worker += usize::from(worker_ids.iter().any(|w| t["NodeID"] == w.as_str()));
        let target = format!("{name}.{slot}");
        let mut args: Vec<&str> = vec!["exec"];
        args.extend(node_hosts.iter().map(String::as_str));
        args.extend([
            target.as_str(),
            "--",
            "sh",
            "-c",
            "echo out-$SLOT-$PORT; echo err-$SLOT >&2; exit 3",
        ]);
        let out = dw_service(&args);
        assert_eq!(out.code, Some(3), "{target}: {}", out.stderr);
        assert_eq!(out.stdout, format!("out-{slot}-{base}{slot}\n"), "{target}");
        assert!(
            out.stderr.contains(&format!("err-{slot}")),
            "{}",
            out.stderr
        );
        let mut args: Vec<&str> = vec!["exec"];
        args.extend(node_hosts.iter().map(String::as_str));
        args.extend([target.as_str(), "--", "true"]);
        let ok = dw_service(&args);
        assert_eq!(ok.code, Some(0), "{target}: {}", ok.stderr);
        assert_eq!(ok.stdout, "");
    }
    assert_eq!(on_worker, workers.len(), "one task runs on each worker");
    let none = dw_service(&["exec", &format!("{name}.9"), "--", "true"]);
    assert!(!none.ok());
    assert_eq!(none.stderr.trim().lines().count(), 1, "{}", none.stderr);
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn service_rm_removes_and_join_token_prints_the_join_command() {
    let name = unique("rm");
    let (_g, out) = create(&name, 1, port_base(), &["-d"]);
    out.expect_ok("service create -d");
    let out = dw_service(&["rm", &name]).expect_ok("service rm");
    assert_eq!(out.stdout.trim(), name);
    let gone = docker(&["service", "inspect", &name]);
    assert!(!gone.ok(), "still there: {}", gone.stdout);
    let again = dw_service(&["rm", &name]);
    assert!(!again.ok());
    assert_eq!(again.stderr.trim().lines().count(), 1, "{}", again.stderr);

    for role in ["worker", "manager"] {
        let token = dw_on("swarm", &["join-token", "-q", role]).expect_ok("join-token -q");
        let token = token.stdout.trim().to_owned();
        let parts: Vec<&str> = token.split('-').collect();
        assert!(
            parts.len() == 4 && parts[0] == "SWMTKN" && parts[1] == "1",
            "{token}"
        );
        let theirs = docker(&["swarm", "join-token", "-q", role]).expect_ok("docker -q");
        assert_eq!(token, theirs.stdout.trim());
        // The whole text, the manager's address included, as the docker CLI prints it.
        let ours = dw_on("swarm", &["join-token", role]).expect_ok("join-token");
        assert!(
            ours.stdout.contains(&format!(
                "    docker swarm join --token {token} 127.0.0.1:2377\n"
            )),
            "{}",
            ours.stdout
        );
        let theirs = docker(&["swarm", "join-token", role]).expect_ok("docker join-token");
        assert_eq!(ours.stdout, theirs.stdout);
    }
    let bad = dw_on("swarm", &["join-token", "bogus"]);
    assert!(!bad.ok());
    assert_eq!(bad.stderr.trim().lines().count(), 1, "{}", bad.stderr);
}
