//! Real nginx (nginx-light's /usr/sbin/nginx) and busybox httpd backends on loopback.
//! Ignored by default: `scripts/test` runs them.
#![cfg(feature = "nginx")]

use lb_config::nginx::{Applied, ApplyError, Nginx, apply};
use lb_config::{
    AccessLog, Config, Directive, Error, Location, Method, NginxConf, Server, ServerAddr, Upstream,
    UpstreamServer, Zone,
};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const NGINX: &str = "/usr/sbin/nginx";
const BUSYBOX: &str = "/bin/busybox";

fn require(bin: &str) {
    assert!(
        Path::new(bin).exists(),
        "{bin} is missing: run scripts/test (it installs nginx-light and busybox-static)"
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A temp prefix dir for one nginx; stops the master (if started) and removes the dir on drop.
struct NginxDir {
    dir: tempfile::TempDir,
}

impl NginxDir {
    fn new() -> Self {
        require(NGINX);
        Self {
            dir: tempfile::Builder::new().prefix("dw-lb-").tempdir().unwrap(),
        }
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
    fn conf_path(&self) -> PathBuf {
        self.path().join("nginx.conf")
    }
    fn runner(&self) -> Nginx {
        Nginx::new(NGINX)
            .prefix(self.path())
            .conf(self.conf_path())
            .globals(format!("pid {};", self.path().join("nginx.pid").display()))
    }
    /// Wraps an http snippet into a whole nginx.conf with everything inside the temp dir.
    fn full_conf(&self, http: Config) -> NginxConf {
        let t = self.path().display().to_string();
        let d = |n: &str, a: &[&str]| Directive::new(n, a.iter().map(|s| s.to_string())).unwrap();
        let mut http_b = Config::builder();
        for (n, sub) in [
            ("client_body_temp_path", "body"),
            ("proxy_temp_path", "proxy"),
            ("fastcgi_temp_path", "fastcgi"),
            ("uwsgi_temp_path", "uwsgi"),
            ("scgi_temp_path", "scgi"),
        ] {
            http_b = http_b.directive(d(n, &[&format!("{t}/{sub}")]));
        }
        for u in http.upstreams() {
            http_b = http_b.upstream(u.clone());
        }
        for s in http.servers() {
            http_b = http_b.server(s.clone());
        }
        for x in http.extra() {
            http_b = http_b.directive(x.clone());
        }
        NginxConf::builder(http_b.build().unwrap())
            .main_directive(d("worker_processes", &["1"]))
            .main_directive(d("error_log", &[&format!("{t}/error.log")]))
            .events_directive(d("worker_connections", &["1024"]))
            .build()
            .unwrap()
    }
    /// `nginx -t` on `text` written as the nginx.conf; Err = nginx's stderr.
    fn test(&self, text: &str) -> Result<(), String> {
        std::fs::write(self.conf_path(), text).unwrap();
        let o = Command::new(NGINX)
            .arg("-t")
            .arg("-p")
            .arg(self.path())
            .arg("-c")
            .arg(self.conf_path())
            .arg("-g")
            .arg(format!("pid {};", self.path().join("nginx.pid").display()))
            .output()
            .unwrap();
        if o.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&o.stderr).into_owned())
        }
    }
    fn start(&self) {
        let o = Command::new(NGINX)
            .arg("-p")
            .arg(self.path())
            .arg("-c")
            .arg(self.conf_path())
            .arg("-g")
            .arg(format!("pid {};", self.path().join("nginx.pid").display()))
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "nginx did not start: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

impl Drop for NginxDir {
    fn drop(&mut self) {
        // A pid file nginx has not written yet (or emptied) names nobody: never `kill ''`, and
        // never wait on `/proc/` itself.
        if let Some(pid) = std::fs::read_to_string(self.path().join("nginx.pid"))
            .ok()
            .and_then(|p| p.trim().parse::<u32>().ok())
        {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// busybox httpd backends serving distinct index.html files; killed on drop.
struct Backends {
    children: Vec<Child>,
    ports: Vec<u16>,
    _dir: tempfile::TempDir,
}

impl Backends {
    fn start(n: usize) -> Self {
        require(BUSYBOX);
        let dir = tempfile::Builder::new()
            .prefix("dw-lb-be-")
            .tempdir()
            .unwrap();
        let mut b = Self {
            children: Vec::new(),
            ports: Vec::new(),
            _dir: dir,
        };
        for i in 0..n {
            b.add(i);
        }
        b
    }
    fn add(&mut self, i: usize) -> u16 {
        let root = self._dir.path().join(format!("b{i}"));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("index.html"), format!("backend-{i}\n")).unwrap();
        let port = free_port();
        let child = Command::new(BUSYBOX)
            .args(["httpd", "-f", "-p", &format!("127.0.0.1:{port}"), "-h"])
            .arg(&root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.children.push(child);
        self.ports.push(port);
        wait_listening(port);
        port
    }
}

impl Drop for Backends {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn wait_listening(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nothing listens on 127.0.0.1:{port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One HTTP/1.0 GET over loopback; returns the body on 200.
fn get(port: u16) -> Result<String, String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"GET / HTTP/1.0\r\nHost: lb\r\n\r\n")
        .map_err(|e| format!("write: {e}"))?;
    let mut buf = String::new();
    s.read_to_string(&mut buf)
        .map_err(|e| format!("read: {e}"))?;
    let (head, body) = buf
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("no header end: {buf:?}"))?;
    if !head.starts_with("HTTP/1.1 200") {
        return Err(format!("status: {}", head.lines().next().unwrap_or("")));
    }
    Ok(body.trim().to_owned())
}

fn lb_snippet(method: Method, ports: &[u16], listen: u16) -> Config {
    let mut u = Upstream::builder("dwlb").method(method);
    for p in ports {
        u = u.server(format!("127.0.0.1:{p}").parse().unwrap());
    }
    let server = Server::builder()
        .listen(format!("127.0.0.1:{listen}").parse().unwrap())
        .access_log(AccessLog::Off)
        .location(
            Location::builder("/")
                .proxy_pass_upstream("dwlb")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    Config::builder()
        .upstream(u.build().unwrap())
        .server(server)
        .build()
        .unwrap()
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn every_rendered_config_passes_nginx_t() {
    let n = NginxDir::new();
    let t = n.path().display().to_string();
    let listen = free_port();
    let a = |s: &str| s.parse::<ServerAddr>().unwrap();
    let mut configs: Vec<Config> = Vec::new();
    let methods = [
        Method::RoundRobin,
        Method::LeastConn,
        Method::IpHash,
        Method::hash("$remote_addr", false).unwrap(),
        Method::hash("$request_uri", true).unwrap(),
        Method::Random {
            two: false,
            least_conn: false,
        },
        Method::Random {
            two: true,
            least_conn: false,
        },
        Method::Random {
            two: true,
            least_conn: true,
        },
    ];
    for m in methods {
        let backup_ok = m.supports_backup();
        let u = Upstream::builder("lb")
            .method(m)
            .zone(Zone::new("lb", Some("64k")).unwrap())
            .server(a("192.168.1.157"))
            .server_entry(
                "192.168.1.160:8080 weight=3 max_fails=2 fail_timeout=10s max_conns=100"
                    .parse()
                    .unwrap(),
            )
            .server_entry(
                UpstreamServer::builder(a("[::1]:81"))
                    .down(true)
                    .build()
                    .unwrap(),
            )
            .server_entry(
                UpstreamServer::builder(a("localhost:82"))
                    .backup(backup_ok)
                    .build()
                    .unwrap(),
            )
            .server(a("unix:/tmp/dw-lb.sock"))
            .keepalive(16)
            .build()
            .unwrap();
        let s = Server::builder()
            .listen(format!("127.0.0.1:{listen}").parse().unwrap())
            .server_name("lb.example.com")
            .access_log(AccessLog::path(&format!("{t}/access_lb.log"), Some("main")).unwrap())
            .location(
                Location::builder("/")
                    .proxy_pass_upstream("lb")
                    .header("Host", "$host")
                    .header("Connection", "")
                    .directive(Directive::new("proxy_http_version", ["1.1"]).unwrap())
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        configs.push(Config::builder().upstream(u).server(s).build().unwrap());
    }
    // The issue's hand-written example, with its log path moved into the temp dir.
    let issue = format!(
        "upstream loadbalance {{\n    least_conn;\n    server 192.168.1.157;\n    server 192.168.1.160;\n    server 192.168.1.193;\n}}\n\
         server {{\n    listen 127.0.0.1:{listen};\n    access_log {t}/access_lb.log main;\n    location / {{\n        proxy_pass http://loadbalance;\n    }}\n}}\n"
    );
    configs.push(issue.parse().unwrap());
    configs.push(lb_snippet(Method::LeastConn, &[8081, 8082, 8083], listen));
    for c in configs {
        let full = n.full_conf(c).render();
        n.test(&full)
            .unwrap_or_else(|e| panic!("nginx -t rejected:\n{full}\n{e}"));
        // and what we parse back from it renders to the same bytes, also accepted
        let back: NginxConf = full.parse().unwrap();
        assert_eq!(back.render(), full);
    }
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn each_rule_is_rejected_by_nginx_and_by_our_builder() {
    let n = NginxDir::new();
    let t = n.path().display().to_string();
    let srv = |name: &str| {
        format!("server {{ listen 127.0.0.1:18999; location / {{ proxy_pass http://{name}; }} }}")
    };
    let up = |name: &str, body: &str| format!("upstream {name} {{ {body} }}\n{}", srv(name));
    let a = |s: &str| s.parse::<ServerAddr>();
    let backup = || "127.0.0.1:81 backup".parse::<UpstreamServer>().unwrap();
    let with_backup = |m: Method| {
        Upstream::builder("lb")
            .method(m)
            .server_entry(backup())
            .build()
            .map(|_| ())
    };
    // (raw http text as someone would write it, our typed attempt at the same thing, expected error kind)
    let mut table: Vec<(String, Result<(), Error>, &str)> = vec![
        (
            up("lb", ""),
            Upstream::builder("lb").build().map(|_| ()),
            "EmptyUpstream",
        ),
        (
            up("lb", "ip_hash; server 127.0.0.1:81 backup;"),
            with_backup(Method::IpHash),
            "BackupNotSupported",
        ),
        (
            up(
                "lb",
                "hash $remote_addr consistent; server 127.0.0.1:81 backup;",
            ),
            with_backup(Method::hash("$remote_addr", true).unwrap()),
            "BackupNotSupported",
        ),
        (
            up("lb", "random two; server 127.0.0.1:81 backup;"),
            with_backup(Method::Random {
                two: true,
                least_conn: false,
            }),
            "BackupNotSupported",
        ),
        (
            up("lb", "server 127.0.0.1:81 weight=0;"),
            UpstreamServer::builder(a("127.0.0.1:81").unwrap())
                .weight(0)
                .build()
                .map(|_| ()),
            "ZeroWeight",
        ),
        // nginx 1.22 rejects `resolve` entirely; nginx >= 1.27.3 rejects it without a zone.
        (
            up("lb", "server localhost:81 resolve;"),
            Upstream::builder("lb")
                .server_entry(
                    UpstreamServer::builder(a("localhost:81").unwrap())
                        .resolve(true)
                        .build()
                        .unwrap(),
                )
                .build()
                .map(|_| ()),
            "ResolveWithoutZone",
        ),
        (
            up("lb", "server ::1:81;"),
            a("::1:81").map(|_| ()),
            "UnbracketedIpv6",
        ),
        (
            up("lb", "server 2001:db8::1;"),
            a("2001:db8::1").map(|_| ()),
            "UnbracketedIpv6",
        ),
    ];
    // Injection: naive string interpolation of a bad value vs. the typed setter.
    for name in ["lb;x", "l{b", "}lb", "\"lb", "'lb", "#lb", "l b", "l\nb"] {
        table.push((
            up(name, "server 127.0.0.1:81;"),
            Upstream::builder(name)
                .server(a("127.0.0.1:81").unwrap())
                .build()
                .map(|_| ()),
            "UnsafeValue",
        ));
    }
    let log = format!("{t}/a.log;x");
    table.push((
        format!("upstream lb {{ server 127.0.0.1:81; }}\nserver {{ access_log {log}; location / {{ proxy_pass http://lb; }} }}"),
        AccessLog::path(&log, None).map(|_| ()),
        "UnsafeValue",
    ));
    table.push((
        up("lb", "hash $remote_addr;x; server 127.0.0.1:81;"),
        Method::hash("$remote_addr;x", false).map(|_| ()),
        "UnsafeValue",
    ));
    table.push((
        "upstream lb { server 127.0.0.1:81; }\nserver { access_log /tmp/x.log main; location / { proxy_pass http://lb; } }".into(),
        NginxConf::builder(
            "upstream lb { server 127.0.0.1:81; }\nserver { access_log /tmp/x.log fancy; }".parse::<Config>().unwrap(),
        )
        .build()
        .map(|_| ()),
        "UndefinedLogFormat",
    ));
    for (raw, typed, kind) in table {
        let text = format!("error_log {t}/error.log;\nevents {{}}\nhttp {{\n{raw}\n}}\n");
        let nginx_err = n
            .test(&text)
            .expect_err(&format!("nginx accepted:\n{text}"));
        assert!(nginx_err.contains("[emerg]"), "{nginx_err}");
        let ours = typed.expect_err(&format!("our builder accepted the value of:\n{raw}"));
        assert!(
            format!("{ours:?}").starts_with(kind),
            "{raw}: expected {kind}, got {ours:?}"
        );
        assert!(!ours.to_string().is_empty());
        eprintln!(
            "ok: nginx: {} | ours: {ours}",
            nginx_err.lines().next().unwrap_or("")
        );
    }
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn least_conn_balances_across_three_backends() {
    let backends = Backends::start(3);
    let n = NginxDir::new();
    let listen = free_port();
    let full = n
        .full_conf(lb_snippet(Method::LeastConn, &backends.ports, listen))
        .render();
    n.test(&full).unwrap();
    n.start();
    wait_listening(listen);
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for _ in 0..300 {
        *counts.entry(get(listen).unwrap()).or_default() += 1;
    }
    eprintln!("responses per backend over 300 requests: {counts:?}");
    assert_eq!(counts.len(), 3, "{counts:?}");
    for i in 0..3 {
        assert!(counts[&format!("backend-{i}")] >= 30, "{counts:?}");
    }
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn reloads_under_load_lose_no_request_and_invalid_config_is_rolled_back() {
    let mut backends = Backends::start(3);
    let n = NginxDir::new();
    let listen = free_port();
    let conf = n.conf_path();
    let render = |ports: &[u16]| {
        n.full_conf(lb_snippet(Method::LeastConn, ports, listen))
            .render()
    };
    std::fs::write(&conf, render(&backends.ports)).unwrap();
    n.start();
    wait_listening(listen);
    let runner = n.runner();

    let stop = Arc::new(AtomicBool::new(false));
    let stats = Arc::new(Mutex::new((0usize, Vec::<String>::new())));
    let client = {
        let (stop, stats) = (stop.clone(), stats.clone());
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            let mut sent = 0;
            while !stop.load(Ordering::Relaxed) && sent < 20_000 && Instant::now() < deadline {
                let r = get(listen);
                sent += 1;
                let mut s = stats.lock().unwrap();
                s.0 += 1;
                if let Err(e) = r {
                    s.1.push(e);
                }
            }
        })
    };
    // Several changes, each applied with a reload: remove one backend, add a new one, and so on.
    let mut live: Vec<u16> = backends.ports.clone();
    let mut reloads = 0;
    for round in 0..6 {
        std::thread::sleep(Duration::from_millis(300));
        if round % 2 == 0 {
            live.remove(0);
        } else {
            let p = backends.add(10 + round);
            live.push(p);
        }
        let outcome = apply(&conf, render(&live).as_bytes(), &runner).unwrap();
        assert_eq!(outcome, Applied::Reloaded { confirmed: true });
        reloads += 1;
    }
    // Unchanged bytes: no reload.
    assert_eq!(
        apply(&conf, render(&live).as_bytes(), &runner).unwrap(),
        Applied::Unchanged
    );
    // An invalid config: rejected, file restored, old config keeps serving.
    let good = std::fs::read(&conf).unwrap();
    let bad = render(&live).replace("least_conn;", "least_conn;\n        bogus_directive on;");
    let err = apply(&conf, bad.as_bytes(), &runner).unwrap_err();
    assert!(
        matches!(&err, ApplyError::Invalid { stderr } if stderr.contains("bogus_directive")),
        "{err}"
    );
    assert_eq!(std::fs::read(&conf).unwrap(), good);
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    client.join().unwrap();
    let (sent, failures) = &*stats.lock().unwrap();
    eprintln!(
        "zero-downtime: {sent} requests, {} failed, {reloads} reloads",
        failures.len()
    );
    assert!(*sent >= 1000, "only {sent} requests were sent");
    assert!(
        failures.is_empty(),
        "{} failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    // After all changes the live backends serve.
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..60 {
        seen.insert(get(listen).unwrap());
    }
    assert_eq!(seen.len(), live.len(), "{seen:?}");
    assert!(
        !seen.contains("backend-0"),
        "removed backend still served: {seen:?}"
    );
}

/// nginx seen from another pid namespace: validate and reload work, workers cannot be observed.
struct Unobservable<'a> {
    inner: &'a Nginx,
    reload: bool,
}

impl lb_config::nginx::NginxRunner for Unobservable<'_> {
    fn validate(&self) -> Result<(), ApplyError> {
        self.inner.validate()
    }
    fn reload(&self) -> Result<(), ApplyError> {
        if self.reload {
            self.inner.reload()
        } else {
            Ok(())
        }
    }
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn version_marker_confirms_where_workers_are_unobservable() {
    use lb_config::nginx::{ApplyOptions, NginxRunner as _, apply_with, fetch_marker};
    let backends = Backends::start(2);
    let n = NginxDir::new();
    let listen = free_port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{listen}").parse().unwrap();
    let render = |ports: &[u16]| {
        let (marked, hash) = lb_snippet(Method::LeastConn, ports, listen)
            .with_version_marker()
            .unwrap();
        (n.full_conf(marked).render(), hash)
    };
    let (v1, h1) = render(&backends.ports[..1]);
    n.test(&v1).unwrap();
    n.start();
    wait_listening(listen);
    assert_eq!(
        fetch_marker(addr, "localhost", Duration::from_secs(2)).unwrap(),
        Some(h1.clone())
    );
    let real = n.runner();
    assert!(real.workers().is_some());
    let hidden = Unobservable {
        inner: &real,
        reload: true,
    };
    // Without the marker, apply cannot confirm.
    let (v2, h2) = render(&backends.ports);
    assert_ne!(h1, h2);
    assert_eq!(
        apply(&n.conf_path(), v2.as_bytes(), &hidden).unwrap(),
        Applied::Reloaded { confirmed: false }
    );
    // With it, it asks nginx over HTTP and sees the new hash.
    let (v3, h3) = render(&[backends.ports[1]]);
    let opts = ApplyOptions::new()
        .timeout(Duration::from_secs(5))
        .confirm_marker(addr, h3.clone());
    let t0 = Instant::now();
    assert_eq!(
        apply_with(&n.conf_path(), v3.as_bytes(), &hidden, &opts).unwrap(),
        Applied::Reloaded { confirmed: true }
    );
    eprintln!("marker confirmed in {:?}", t0.elapsed());
    assert_eq!(
        fetch_marker(addr, "localhost", Duration::from_secs(2)).unwrap(),
        Some(h3.clone())
    );
    for _ in 0..5 {
        assert_eq!(get(listen).unwrap(), "backend-1");
    }
    // A reload that never happens: the marker keeps the old hash, apply restores the file.
    let lazy = Unobservable {
        inner: &real,
        reload: false,
    };
    let (v4, h4) = render(&[backends.ports[0]]);
    let opts = ApplyOptions::new()
        .timeout(Duration::from_millis(500))
        .confirm_marker(addr, h4);
    let e = apply_with(&n.conf_path(), v4.as_bytes(), &lazy, &opts).unwrap_err();
    assert!(matches!(e, ApplyError::NotConfirmed { .. }), "{e}");
    assert_eq!(std::fs::read_to_string(n.conf_path()).unwrap(), v3);
    assert_eq!(
        fetch_marker(addr, "localhost", Duration::from_secs(2)).unwrap(),
        Some(h3)
    );
}
