//! Black-box tests of `dockwright lb …`.

use std::process::Command;

fn dw(args: &[&str]) -> (bool, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_dockwright"))
        .args(args)
        .output()
        .unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn render_prints_the_issue_snippet() {
    let (ok, out, err) = dw(&[
        "lb",
        "render",
        "--method",
        "least_conn",
        "--server",
        "192.168.1.193",
        "--server",
        "192.168.1.157",
        "--server",
        "192.168.1.160",
        "--access-log",
        "/var/log/nginx/access_lb.log",
        "--log-format",
        "main",
    ]);
    assert!(ok, "{err}");
    assert_eq!(
        out,
        "upstream loadbalance {\n    least_conn;\n    server 192.168.1.157;\n    server 192.168.1.160;\n    server 192.168.1.193;\n}\n\
         server {\n    listen 80;\n    access_log /var/log/nginx/access_lb.log main;\n    location / {\n        proxy_pass http://loadbalance;\n    }\n}\n"
    );
    // The snippet needs a `log_format main` that nginx does not predefine: the CLI says so.
    assert!(
        err.contains("\"main\" is not predefined") && err.contains("--full"),
        "{err}"
    );
}

#[test]
fn render_parameters_methods_and_full() {
    let (ok, out, err) = dw(&[
        "lb",
        "render",
        "--name",
        "web",
        "--method",
        "hash $remote_addr consistent",
        "--server",
        "[::1]:8080 weight=2 max_fails=3 fail_timeout=10s",
        "--server",
        "127.0.0.1:8081 down",
        "--listen",
        "127.0.0.1:8000",
        "--access-log",
        "/tmp/a.log",
        "--log-format",
        "main",
        "--full",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("    upstream web {\n        hash $remote_addr consistent;\n        server 127.0.0.1:8081 down;\n        server [::1]:8080 weight=2 max_fails=3 fail_timeout=10s;\n    }\n"), "{out}");
    assert!(
        out.contains("events {\n    worker_connections 1024;\n}\nhttp {\n    log_format main "),
        "{out}"
    );
    assert!(out.parse::<lb_config::NginxConf>().is_ok());
}

#[test]
fn bad_input_exits_non_zero_with_one_line_error() {
    for (args, needle) in [
        (
            vec!["--server", "10.0.0.1 weight=0"],
            "weight must be at least 1",
        ),
        (vec!["--server", "::1"], "must be written in brackets"),
        (
            vec!["--server", "10.0.0.1 backup", "--method", "ip_hash"],
            "does not support the backup",
        ),
        (
            vec!["--server", "10.0.0.1", "--name", "lb;evil"],
            "contains ';'",
        ),
        (
            vec!["--server", "10.0.0.1", "--access-log", "/tmp/a b"],
            "contains whitespace",
        ),
        (
            vec!["--server", "10.0.0.1", "--method", "fastest"],
            "invalid balancing method",
        ),
        (
            vec![
                "--server",
                "10.0.0.1",
                "--access-log",
                "/tmp/a.log",
                "--log-format",
                "fancy",
                "--full",
            ],
            "not defined",
        ),
    ] {
        let mut a = vec!["lb", "render"];
        a.extend(args.iter().copied());
        let (ok, out, err) = dw(&a);
        assert!(!ok, "{a:?} succeeded: {out}");
        assert!(out.is_empty(), "{out}");
        assert!(err.contains(needle), "{a:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn apply_writes_validates_and_restores_on_error() {
    assert!(
        std::path::Path::new("/usr/sbin/nginx").exists(),
        "/usr/sbin/nginx missing: run scripts/test"
    );
    let t = tempfile::Builder::new()
        .prefix("dw-lb-cli-")
        .tempdir()
        .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let conf = t.path().join("nginx.conf");
    let td = t.path().display().to_string();
    let globals = format!("pid {td}/nginx.pid; error_log {td}/error.log;");
    let listen = format!("127.0.0.1:{port}");
    let base = |servers: &[&'static str]| -> Vec<String> {
        let mut v = vec![
            "lb",
            "apply",
            "--full",
            "--nginx-bin",
            "/usr/sbin/nginx",
            "--listen",
            &listen,
        ];
        for s in servers {
            v.push("--server");
            v.push(s);
        }
        v.into_iter().map(str::to_owned).collect()
    };
    // Start nginx with a first config.
    let (ok, out, err) = dw(&[
        "lb",
        "render",
        "--full",
        "--server",
        "127.0.0.1:9",
        "--listen",
        &listen,
    ]);
    assert!(ok, "{err}");
    std::fs::write(&conf, &out).unwrap();
    let st = Command::new("/usr/sbin/nginx")
        .arg("-p")
        .arg(t.path())
        .arg("-c")
        .arg(&conf)
        .arg("-g")
        .arg(&globals)
        .status()
        .unwrap();
    assert!(st.success());
    struct Stop(String);
    impl Drop for Stop {
        fn drop(&mut self) {
            if let Ok(pid) = std::fs::read_to_string(format!("{}/nginx.pid", self.0)) {
                let _ = Command::new("kill").arg(pid.trim()).status();
            }
        }
    }
    let _stop = Stop(td.clone());
    let conf_s = conf.display().to_string();
    let mut args = base(&["127.0.0.1:10", "127.0.0.1:11"]);
    args.extend(["--conf", &conf_s, "--prefix", &td, "--globals", &globals].map(str::to_owned));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (ok, out, err) = dw(&args);
    assert!(ok, "{err}");
    assert!(
        out.starts_with("applied:") && out.contains("new workers running"),
        "{out}"
    );
    assert!(
        std::fs::read_to_string(&conf)
            .unwrap()
            .contains("server 127.0.0.1:11;")
    );
    let (ok, out, _) = dw(&args);
    assert!(ok && out.starts_with("unchanged:"), "{out}");
    // A config that passes our checks but nginx rejects: its access log directory does not exist.
    let before = std::fs::read(&conf).unwrap();
    let mut bad = base(&["127.0.0.1:12"]);
    bad.extend(["--access-log", "/nonexistent-dw-lb/a.log"].map(str::to_owned));
    bad.extend(["--conf", &conf_s, "--prefix", &td, "--globals", &globals].map(str::to_owned));
    let bad: Vec<&str> = bad.iter().map(String::as_str).collect();
    let (ok, _, err) = dw(&bad);
    assert!(!ok);
    assert!(
        err.contains("nginx -t rejected") && err.contains("/nonexistent-dw-lb/a.log"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert_eq!(std::fs::read(&conf).unwrap(), before);
}

// ---- lb from-service / lb watch against the in-process fake swarm ----

use std::collections::BTreeSet;
use std::time::Duration;
use swarm_client::Client;
use swarm_client::converge::WaitOptions;
use swarm_client::mock::{MockNode, MockSwarm};
use swarm_client::services::CreateOptions;

async fn dw_async(args: &[&str]) -> (bool, String, String) {
    let o = tokio::process::Command::new(env!("CARGO_BIN_EXE_dockwright"))
        .args(args)
        .output()
        .await
        .unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

async fn mock_with_web(replicas: u64) -> (MockSwarm, Client) {
    let m = MockSwarm::builder()
        .initialized(true)
        .node(MockNode::new("worker-1", "127.0.0.2", "worker"))
        .task_delay(Duration::from_millis(50))
        .start()
        .await;
    let c = Client::connect(&m.endpoint()).await.unwrap();
    let spec = serde_json::json!({
        "Name": "web",
        "TaskTemplate": {"ContainerSpec": {"Image": "127.0.0.1:5000/web:1", "Env": ["PORT=3123{{.Task.Slot}}"]}},
        "Mode": {"Replicated": {"Replicas": replicas}},
        "EndpointSpec": {"Ports": [
            {"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080, "PublishMode": "host"},
            {"Protocol": "tcp", "TargetPort": 443, "PublishedPort": 8443, "PublishMode": "host"}
        ]}
    });
    c.service_create(&spec, &CreateOptions::new())
        .await
        .unwrap();
    converge(&c, "web").await;
    (m, c)
}

async fn converge(c: &Client, svc: &str) {
    c.wait_converged(
        svc,
        WaitOptions::new()
            .window(Duration::ZERO)
            .timeout(Duration::from_secs(20)),
    )
    .await
    .unwrap();
}

/// The `server` lines of a rendered upstream.
fn server_lines(conf: &str) -> Vec<String> {
    conf.lines()
        .map(str::trim)
        .filter(|l| l.starts_with("server ") && l.ends_with(';'))
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_service_uses_node_addresses_and_ports_of_running_tasks() {
    let (m, c) = mock_with_web(3).await;
    let host = m.endpoint();
    let placements = c.service_placements("web").await.unwrap();
    assert_eq!(placements.len(), 3);
    let nodes: BTreeSet<&str> = placements.iter().map(|p| p.node_addr.as_str()).collect();
    assert_eq!(nodes, BTreeSet::from(["127.0.0.1", "127.0.0.2"]), "spread");

    // A port per slot: PORT=3123{{.Task.Slot}}.
    let (ok, out, err) = dw_async(&[
        "lb",
        "from-service",
        "web",
        "-H",
        &host,
        "--port-base",
        "3123",
        "--method",
        "least_conn",
        "--listen",
        "127.0.0.1:8000",
    ])
    .await;
    assert!(ok, "{err}");
    let mut want: Vec<String> = placements
        .iter()
        .map(|p| format!("server {}:3123{};", p.node_addr, p.slot.unwrap()))
        .collect();
    want.sort();
    assert_eq!(server_lines(&out), want, "{out}");
    assert!(
        out.starts_with("upstream loadbalance {\n    least_conn;\n"),
        "{out}"
    );
    assert!(out.contains("    listen 127.0.0.1:8000;\n"), "{out}");
    assert!(out.parse::<lb_config::Config>().is_ok());

    // The host-mode published port of target 80: one server per node.
    let (ok, out, err) = dw_async(&[
        "lb",
        "from-service",
        "web",
        "-H",
        &host,
        "--target-port",
        "80",
        "--name",
        "web_lb",
        "--access-log",
        "/var/log/nginx/access_lb.log",
        "--server-params",
        "max_fails=3",
    ])
    .await;
    assert!(ok, "{err}");
    assert_eq!(
        server_lines(&out),
        [
            "server 127.0.0.1:8080 max_fails=3;",
            "server 127.0.0.2:8080 max_fails=3;"
        ],
        "{out}"
    );
    assert!(out.contains("proxy_pass http://web_lb;"), "{out}");

    // Errors: two published ports and no choice; no such service; a slot that overflows a port.
    for (args, needle) in [
        (vec![], "several host-mode ports"),
        (vec!["--port-base", "65535"], "not a valid TCP port"),
        (
            vec!["--port", "8080", "--port-base", "3"],
            "cannot be used with",
        ),
    ] {
        let mut a = vec!["lb", "from-service", "web", "-H", &host];
        a.extend(args);
        let (ok, out, err) = dw_async(&a).await;
        assert!(!ok && out.is_empty(), "{a:?}: {out}");
        assert!(err.contains(needle), "{a:?}: {err}");
    }
    let (ok, _, err) = dw_async(&["lb", "from-service", "nope", "-H", &host]).await;
    assert!(!ok);
    assert!(err.to_lowercase().contains("nope"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_reapplies_when_the_service_scales() {
    let (m, c) = mock_with_web(2).await;
    let host = m.endpoint();
    let dir = tempfile::Builder::new()
        .prefix("dw-lb-watch-")
        .tempdir()
        .unwrap();
    let conf = dir.path().join("lb.conf");
    let conf_s = conf.display().to_string();

    // --once: one apply, then exit.
    let (ok, out, err) = dw_async(&[
        "lb",
        "watch",
        "web",
        "-H",
        &host,
        "--port-base",
        "3123",
        "--conf",
        &conf_s,
        "--no-nginx",
        "--once",
    ])
    .await;
    assert!(ok, "{err}");
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.starts_with(&format!("applied: {conf_s} (2 servers) (no nginx")),
        "{out}"
    );
    assert_eq!(
        server_lines(&std::fs::read_to_string(&conf).unwrap()).len(),
        2
    );

    // Follow events: scale to 3 while watching; one event (the service update) is enough.
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_dockwright"))
        .args([
            "lb",
            "watch",
            "web",
            "-H",
            &host,
            "--port-base",
            "3123",
            "--conf",
            &conf_s,
            "--no-nginx",
            "--max-events",
            "1",
            "--timeout",
            "30",
            "--debounce",
            "100",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // The first line (unchanged) proves it subscribed before we scale.
    let mut child = child;
    let mut stdout = tokio::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    tokio::time::timeout(Duration::from_secs(20), async {
        use tokio::io::AsyncBufReadExt as _;
        stdout.read_line(&mut first).await.unwrap();
    })
    .await
    .expect("first apply line");
    assert!(
        first.starts_with(&format!("unchanged: {conf_s} (2 servers)")),
        "{first}"
    );
    let t0 = std::time::Instant::now();
    c.service_scale("web", 3).await.unwrap();
    let o = tokio::time::timeout(Duration::from_secs(40), child.wait_with_output())
        .await
        .expect("lb watch exits after --max-events")
        .unwrap();
    let rest = {
        use tokio::io::AsyncReadExt as _;
        let mut s = String::new();
        stdout.read_to_string(&mut s).await.unwrap();
        s
    };
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    eprintln!("re-applied {:?} after the scale", t0.elapsed());
    assert_eq!(rest.lines().count(), 1, "one line per apply: {rest}");
    assert!(
        rest.starts_with(&format!("applied: {conf_s} (3 servers)")),
        "{rest}"
    );
    let text = std::fs::read_to_string(&conf).unwrap();
    let placements = c.service_placements("web").await.unwrap();
    let mut want: Vec<String> = placements
        .iter()
        .map(|p| format!("server {}:3123{};", p.node_addr, p.slot.unwrap()))
        .collect();
    want.sort();
    assert_eq!(server_lines(&text), want, "{text}");

    // --timeout without --max-events ends quietly; with unmet --max-events it is an error.
    let (ok, out, err) = dw_async(&[
        "lb",
        "watch",
        "web",
        "-H",
        &host,
        "--port-base",
        "3123",
        "--conf",
        &conf_s,
        "--no-nginx",
        "--timeout",
        "0.5",
    ])
    .await;
    assert!(ok, "{err}");
    assert!(out.starts_with("unchanged:"), "{out}");
    let (ok, _, err) = dw_async(&[
        "lb",
        "watch",
        "web",
        "-H",
        &host,
        "--port-base",
        "3123",
        "--conf",
        &conf_s,
        "--no-nginx",
        "--timeout",
        "0.5",
        "--max-events",
        "2",
    ])
    .await;
    assert!(!ok);
    assert!(err.contains("timed out after 0 event(s)"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_resync_puts_back_a_hand_edited_config_and_is_quiet_otherwise() {
    let (m, _c) = mock_with_web(2).await;
    let host = m.endpoint();
    let dir = tempfile::Builder::new()
        .prefix("dw-lb-resync-")
        .tempdir()
        .unwrap();
    let conf = dir.path().join("lb.conf");
    let conf_s = conf.display().to_string();
    let watch = {
        let (host, conf_s) = (host.clone(), conf_s.clone());
        tokio::spawn(async move {
            dw_async(&[
                "lb",
                "watch",
                "web",
                "-H",
                &host,
                "--port-base",
                "3123",
                "--conf",
                &conf_s,
                "--no-nginx",
                "--resync",
                "0.2",
                "--timeout",
                "3",
            ])
            .await
        })
    };
    // Wait for the first apply, then edit the file by hand: no event, yet it comes back.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !conf.exists() {
        assert!(std::time::Instant::now() < deadline, "no first apply");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let good = std::fs::read_to_string(&conf).unwrap();
    std::fs::write(&conf, "upstream loadbalance { server 127.0.0.9:1; }\n").unwrap();
    let (ok, out, err) = watch.await.unwrap();
    assert!(ok, "{err}");
    assert_eq!(std::fs::read_to_string(&conf).unwrap(), good, "put back");
    let lines: Vec<&str> = out.lines().collect();
    // The first apply, then exactly one resync line: unchanged resyncs print nothing.
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("applied:"), "{out}");
    assert!(
        lines[1].starts_with("applied:") && lines[1].ends_with("(resync)"),
        "{out}"
    );

    let (ok, _, err) = dw_async(&[
        "lb",
        "watch",
        "web",
        "-H",
        &host,
        "--conf",
        &conf_s,
        "--no-nginx",
        "--resync",
        "0",
    ])
    .await;
    assert!(!ok);
    assert!(
        err.contains("--resync 0: must be more than 0 seconds"),
        "{err}"
    );
}

#[test]
fn apply_without_nginx_light_checks_and_restores() {
    let dir = tempfile::Builder::new()
        .prefix("dw-lb-apply-")
        .tempdir()
        .unwrap();
    let conf = dir.path().join("lb.conf");
    let conf_s = conf.display().to_string();
    let (ok, out, err) = dw(&[
        "lb",
        "apply",
        "--no-nginx",
        "--conf",
        &conf_s,
        "--server",
        "127.0.0.1:8081",
        "--version-marker",
    ]);
    assert!(ok, "{err}");
    assert!(
        out.starts_with(&format!("applied: {conf_s} (1 server) (no nginx")),
        "{out}"
    );
    let text = std::fs::read_to_string(&conf).unwrap();
    let parsed: lb_config::Config = text.parse().unwrap();
    let hash = parsed.version_marker().expect("marker rendered").to_owned();
    assert_eq!(
        hash,
        lb_config::config_hash(&parsed.without_version_marker().unwrap().render())
    );
    let (ok, out, _) = dw(&[
        "lb",
        "apply",
        "--no-nginx",
        "--conf",
        &conf_s,
        "--server",
        "127.0.0.1:8081",
        "--version-marker",
    ]);
    assert!(ok && out.starts_with("unchanged:"), "{out}");
    // A bad server is refused before anything is written.
    let (ok, _, err) = dw(&[
        "lb",
        "apply",
        "--no-nginx",
        "--conf",
        &conf_s,
        "--server",
        "127.0.0.1:8081 weight=0",
    ]);
    assert!(!ok && err.contains("weight"), "{err}");
    assert_eq!(std::fs::read_to_string(&conf).unwrap(), text);
}

// ---- real swarm + real nginx (ignored; scripts/test runs them) ----

fn env_var(name: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| panic!("{name} is not set: run scripts/test (real servers needed)"))
}

fn unique(tag: &str) -> String {
    format!("lbcli-{tag}-{:08x}", fastrand_u32())
}

fn fastrand_u32() -> u32 {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    n.subsec_nanos() ^ (std::process::id() << 12) ^ (n.as_secs() as u32)
}

/// A base B (4100..=4999) such that ports B0..=B9 are free on 127.0.0.1 now.
fn port_base() -> u32 {
    let start = fastrand_u32() % 900;
    for i in 0..900 {
        let base = 4100 + (start + i) % 900;
        if (0..10)
            .all(|d| std::net::TcpListener::bind(("127.0.0.1", (base * 10 + d) as u16)).is_ok())
        {
            return base;
        }
    }
    panic!("no free port base 4100..=4999 on 127.0.0.1");
}

/// Removes a swarm service with the docker CLI on drop.
struct ServiceGuard {
    host: String,
    name: String,
}

impl Drop for ServiceGuard {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["-H", &self.host, "service", "rm", &self.name])
            .output();
    }
}

/// Stops the nginx whose pid file is in the dir on drop (the TempDir is removed after).
struct NginxGuard(std::path::PathBuf);

impl Drop for NginxGuard {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(self.0.join("nginx.pid")) {
            let pid = pid.trim().to_owned();
            let _ = Command::new("kill").arg("-TERM").arg(&pid).status();
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            while std::path::Path::new(&format!("/proc/{pid}")).exists()
                && std::time::Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// One HTTP/1.0 GET / over loopback; the body on 200.
fn http_get(port: u16) -> Result<String, String> {
    use std::io::{Read as _, Write as _};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"GET / HTTP/1.0\r\nHost: lb\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).map_err(|e| e.to_string())?;
    let (head, body) = buf.split_once("\r\n\r\n").ok_or("no header end")?;
    if !head.starts_with("HTTP/1.1 200") {
        return Err(head.lines().next().unwrap_or("").to_owned());
    }
    Ok(body.trim().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs real servers: run scripts/test"]
async fn real_swarm_from_service_and_watch_scale_behind_real_nginx() {
    let host = env_var("DOCKWRIGHT_TEST_DOCKER_HOST");
    let registry = env_var("DOCKWRIGHT_TEST_REGISTRY");
    assert!(
        std::path::Path::new("/usr/sbin/nginx").exists()
            && std::path::Path::new("/bin/busybox").exists(),
        "nginx-light / busybox-static missing: run scripts/test"
    );
    // The busybox image, built with registry-client and pushed with the CLI.
    let img_dir = tempfile::Builder::new()
        .prefix("dw-lb-img-")
        .tempdir()
        .unwrap();
    let layout = img_dir.path().join("layout");
    example_images::busybox_image("/bin/busybox")
        .ref_name("1")
        .build(&layout)
        .unwrap();
    let image = format!("{registry}/lbcli-test/busybox:1");
    let (ok, _, err) = dw_async(&["push", &layout.display().to_string(), &image]).await;
    assert!(ok, "push: {err}");

    // A host-networked httpd service, a port per slot, each task answering with its slot.
    let name = unique("web");
    let base = port_base();
    let c = Client::connect(&host).await.unwrap();
    let spec = serde_json::json!({
        "Name": name,
        "Labels": {"dockwright.test": "lb"},
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": image,
                "Command": ["sh", "-c", "echo slot-$SLOT > /tmp/index.html; exec httpd -f -p 127.0.0.1:$PORT -h /tmp"],
                "Env": [format!("PORT={base}{{{{.Task.Slot}}}}"), "SLOT={{.Task.Slot}}"],
                "StopGracePeriod": 1_000_000_000u64
            },
            "RestartPolicy": {"Condition": "any", "Delay": 200_000_000u64, "MaxAttempts": 0},
            "Networks": [{"Target": "host"}]
        },
        "Mode": {"Replicated": {"Replicas": 2}},
        "UpdateConfig": {"Parallelism": 0, "Monitor": 1_000_000_000u64, "Order": "stop-first"}
    });
    let _svc = ServiceGuard {
        host: host.clone(),
        name: name.clone(),
    };
    c.service_create(&spec, &CreateOptions::new())
        .await
        .unwrap();
    converge(&c, &name).await;

    // nginx in a temp dir, including conf.d/lb.conf inside http {}.
    let t = tempfile::Builder::new()
        .prefix("dw-lb-ngx-")
        .tempdir()
        .unwrap();
    let td = t.path().display().to_string();
    std::fs::create_dir_all(t.path().join("conf.d")).unwrap();
    let main_conf = t.path().join("nginx.conf");
    std::fs::write(
        &main_conf,
        format!(
            "worker_processes 1;\nerror_log {td}/error.log;\nevents {{\n    worker_connections 256;\n}}\n\
             http {{\n    client_body_temp_path {td}/body;\n    proxy_temp_path {td}/proxy;\n    \
             fastcgi_temp_path {td}/fastcgi;\n    uwsgi_temp_path {td}/uwsgi;\n    scgi_temp_path {td}/scgi;\n    \
             include {td}/conf.d/*.conf;\n}}\n"
        ),
    )
    .unwrap();
    let lb_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{lb_port}");
    let base_s = base.to_string();
    let spec_flags = [
        "--port-base",
        &base_s,
        "--method",
        "least_conn",
        "--listen",
        &listen,
        "--access-log",
        "off",
        "--version-marker",
    ];
    let mut a = vec!["lb", "from-service", &name, "-H", &host];
    a.extend(spec_flags);
    let (ok, first, err) = dw_async(&a).await;
    assert!(ok, "{err}");
    assert_eq!(
        server_lines(&first),
        [
            format!("server 127.0.0.1:{base}1;"),
            format!("server 127.0.0.1:{base}2;")
        ],
        "{first}"
    );
    let lb_conf = t.path().join("conf.d/lb.conf");
    std::fs::write(&lb_conf, &first).unwrap();
    let globals = format!("pid {td}/nginx.pid;");
    let _nginx = NginxGuard(t.path().to_path_buf());
    let st = Command::new("/usr/sbin/nginx")
        .args([
            "-p",
            &td,
            "-c",
            &main_conf.display().to_string(),
            "-g",
            &globals,
        ])
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "nginx: {}",
        String::from_utf8_lossy(&st.stderr)
    );

    // lb watch follows the events; scale to 3 once it has applied (unchanged) the first config.
    let lb_conf_s = lb_conf.display().to_string();
    let main_s = main_conf.display().to_string();
    let mut args = vec![
        "lb",
        "watch",
        &name,
        "-H",
        &host,
        "--conf",
        &lb_conf_s,
        "--main-conf",
        &main_s,
        "--prefix",
        &td,
        "--globals",
        &globals,
        "--nginx-bin",
        "/usr/sbin/nginx",
        "--max-events",
        "1",
        "--timeout",
        "120",
    ];
    args.extend(spec_flags);
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_dockwright"))
        .args(&args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = tokio::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    {
        use tokio::io::AsyncBufReadExt as _;
        tokio::time::timeout(Duration::from_secs(30), stdout.read_line(&mut line))
            .await
            .expect("first apply line")
            .unwrap();
    }
    assert!(
        line.starts_with(&format!("unchanged: {lb_conf_s} (2 servers)")),
        "{line}"
    );
    let t0 = std::time::Instant::now();
    c.service_scale(&name, 3).await.unwrap();
    let o = tokio::time::timeout(Duration::from_secs(150), child.wait_with_output())
        .await
        .expect("lb watch exits")
        .unwrap();
    let mut rest = String::new();
    {
        use tokio::io::AsyncReadExt as _;
        stdout.read_to_string(&mut rest).await.unwrap();
    }
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    eprintln!("scale 2→3 re-applied in {:?}: {rest}", t0.elapsed());
    assert!(
        rest.starts_with(&format!(
            "applied: {lb_conf_s} (3 servers) (nginx reloaded, version marker confirmed)"
        )),
        "{rest} / {err}"
    );
    let text = std::fs::read_to_string(&lb_conf).unwrap();
    assert_eq!(
        server_lines(&text),
        (1..=3)
            .map(|s| format!("server 127.0.0.1:{base}{s};"))
            .collect::<Vec<_>>(),
        "{text}"
    );
    // nginx serves from all three tasks.
    let counts = tokio::task::spawn_blocking(move || {
        let mut counts = std::collections::BTreeMap::<String, usize>::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while std::time::Instant::now() < deadline {
            for _ in 0..30 {
                if let Ok(b) = http_get(lb_port) {
                    *counts.entry(b).or_default() += 1;
                }
            }
            if counts.len() == 3 {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        counts
    })
    .await
    .unwrap();
    eprintln!("responses per task: {counts:?}");
    assert_eq!(
        counts.keys().cloned().collect::<Vec<_>>(),
        ["slot-1", "slot-2", "slot-3"],
        "{counts:?}"
    );
}
