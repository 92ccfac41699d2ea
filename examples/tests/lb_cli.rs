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
