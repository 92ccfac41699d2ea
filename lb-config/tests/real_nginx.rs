//! Real nginx (nginx-light's /usr/sbin/nginx) and busybox httpd backends on loopback.
//! Ignored by default: `scripts/test` runs them.
#![cfg(feature = "nginx")]

use lb_config::nginx::{Applied, ApplyError, Nginx, NginxRunner, apply};
use lb_config::{
    AccessLog, Config, Directive, Error, Location, Method, NginxConf, Server, ServerAddr, Upstream,
    UpstreamServer, Zone,
};
use proptest::prelude::*;
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

mod common;

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
    /// A minimal nginx.conf around raw http-context text, logging into the temp dir.
    fn raw_conf(&self, http: &str) -> String {
        let t = self.path().display();
        format!("error_log {t}/error.log;\nevents {{}}\nhttp {{\n{http}\n}}\n")
    }
    /// The running master's pid, from the pid file (`None` before nginx wrote it).
    fn master_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.path().join("nginx.pid"))
            .ok()
            .and_then(|p| p.trim().parse().ok())
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
        if let Some(pid) = self.master_pid() {
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
    // The hand-written configs the model tests parse: the issue's example (its log path moved
    // into the temp dir; nginx -t does not bind its default `listen 80`) and one full of
    // directives the model only keeps.
    for text in [
        common::ISSUE_EXAMPLE.replace("/var/log/nginx", &t),
        common::KEPT_DIRECTIVES.to_owned(),
    ] {
        configs.push(text.parse().unwrap());
    }
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// What the model's proptest renders, given to nginx: batches of generated upstreams (each
    /// behind a location) must all pass `nginx -t`. One nginx -t per case; shrinking finds the
    /// smallest upstream nginx refuses.
    #[test]
    #[ignore = "needs real servers: run scripts/test"]
    fn generated_upstreams_pass_nginx_t(
        ups in proptest::collection::vec(common::arb_upstream(true), 1..24)
    ) {
        let n = NginxDir::new();
        // Names (and the zones named after them) must be unique in one config.
        let by_name: BTreeMap<String, Upstream> =
            ups.into_iter().map(|u| (u.name().to_owned(), u)).collect();
        let listen = format!("127.0.0.1:{}", free_port());
        let mut server = Server::builder().listen(listen.parse().unwrap());
        let mut http = Config::builder();
        for (name, u) in by_name {
            server = server.location(
                Location::builder(format!("/{name}/"))
                    .proxy_pass_upstream(&name)
                    .build()
                    .unwrap(),
            );
            http = http.upstream(u);
        }
        let http = http.server(server.build().unwrap()).build().unwrap();
        let full = n.full_conf(http).render();
        let verdict = n.test(&full);
        prop_assert!(
            verdict.is_ok(),
            "nginx -t rejected:\n{full}\n{}",
            verdict.unwrap_err()
        );
    }
}

/// The version nginx -v reports, e.g. "1.22.1".
fn nginx_version() -> String {
    let o = Command::new(NGINX).arg("-v").output().unwrap();
    let text = String::from_utf8_lossy(&o.stderr).into_owned();
    text.trim()
        .rsplit_once('/')
        .map_or(text.clone(), |(_, v)| v.to_owned())
}

/// One nginx rule, shown from both sides.
struct Rule {
    /// The raw http-context text someone would write, with the fault.
    raw: String,
    /// What nginx 1.22 says about exactly this fault (a substring of its `[emerg]` line).
    nginx_says: String,
    /// Edits that each remove the fault (every `from` replaced by `to`); nginx must accept each
    /// result, so the rejection above is this rule and not some other mistake in the text.
    fixes: Vec<(String, String)>,
    /// Our typed attempt at the faulty value, and the variant it must fail with.
    ours: Result<(), Error>,
    kind: &'static str,
    /// Our typed value with the fault removed: it must build, and nginx must accept its rendering.
    ours_fixed: Result<Config, Error>,
}

fn fix(from: &str, to: &str) -> (String, String) {
    (from.to_owned(), to.to_owned())
}

/// The typed counterpart of the raw rows: the upstream and a server proxying to it.
fn typed_lb(up: Result<Upstream, Error>) -> Result<Config, Error> {
    let up = up?;
    let server = Server::builder()
        .listen("127.0.0.1:18999".parse()?)
        .location(
            Location::builder("/")
                .proxy_pass_upstream(up.name())
                .build()?,
        )
        .build()?;
    Config::builder().upstream(up).server(server).build()
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn each_rule_is_rejected_by_nginx_and_by_our_builder() {
    let n = NginxDir::new();
    let t = n.path().display().to_string();
    let version = nginx_version();
    let srv = |name: &str| {
        format!("server {{ listen 127.0.0.1:18999; location / {{ proxy_pass http://{name}; }} }}")
    };
    let up = |name: &str, body: &str| format!("upstream {name} {{ {body} }}\n{}", srv(name));
    let a = |s: &str| s.parse::<ServerAddr>();
    let s80 = || UpstreamServer::new(a("127.0.0.1:80").unwrap());
    let s81 = || UpstreamServer::new(a("127.0.0.1:81").unwrap());
    let backup81 = || "127.0.0.1:81 backup".parse::<UpstreamServer>().unwrap();
    // An upstream with a primary server and a backup one: the backup rows fail for the method,
    // not for having no primary server.
    let with_backup = |m: Method, backup: bool| {
        let b81 = if backup { backup81() } else { s81() };
        Upstream::builder("lb")
            .method(m)
            .server_entry(s80())
            .server_entry(b81)
            .build()
    };
    let random_two = || Method::Random {
        two: true,
        least_conn: false,
    };
    let unsupported = "balancing method does not support parameter \"backup\"";
    let mut table: Vec<Rule> = vec![
        Rule {
            raw: up("lb", ""),
            nginx_says: "no servers are inside upstream".into(),
            fixes: vec![fix("{  }", "{ server 127.0.0.1:81; }")],
            ours: Upstream::builder("lb").build().map(|_| ()),
            kind: "EmptyUpstream",
            ours_fixed: typed_lb(Upstream::builder("lb").server_entry(s81()).build()),
        },
        Rule {
            raw: up("lb", "server 127.0.0.1:81 backup;"),
            nginx_says: "no servers in upstream \"lb\"".into(),
            fixes: vec![
                fix(" backup;", ";"),
                fix(
                    "server 127.0.0.1:81 backup;",
                    "server 127.0.0.1:80; server 127.0.0.1:81 backup;",
                ),
            ],
            ours: Upstream::builder("lb")
                .server_entry(backup81())
                .build()
                .map(|_| ()),
            kind: "OnlyBackupServers",
            ours_fixed: typed_lb(with_backup(Method::RoundRobin, true)),
        },
        Rule {
            raw: up(
                "lb",
                "ip_hash; server 127.0.0.1:80; server 127.0.0.1:81 backup;",
            ),
            nginx_says: unsupported.into(),
            fixes: vec![fix(" backup;", ";"), fix("ip_hash;", "least_conn;")],
            ours: with_backup(Method::IpHash, true).map(|_| ()),
            kind: "BackupNotSupported",
            ours_fixed: typed_lb(with_backup(Method::LeastConn, true)),
        },
        Rule {
            raw: up(
                "lb",
                "hash $remote_addr consistent; server 127.0.0.1:80; server 127.0.0.1:81 backup;",
            ),
            nginx_says: unsupported.into(),
            fixes: vec![
                fix(" backup;", ";"),
                fix("hash $remote_addr consistent;", ""),
            ],
            ours: with_backup(Method::hash("$remote_addr", true).unwrap(), true).map(|_| ()),
            kind: "BackupNotSupported",
            ours_fixed: typed_lb(with_backup(Method::RoundRobin, true)),
        },
        Rule {
            raw: up(
                "lb",
                "random two; server 127.0.0.1:80; server 127.0.0.1:81 backup;",
            ),
            nginx_says: unsupported.into(),
            fixes: vec![fix(" backup;", ";"), fix("random two;", "least_conn;")],
            ours: with_backup(random_two(), true).map(|_| ()),
            kind: "BackupNotSupported",
            ours_fixed: typed_lb(with_backup(random_two(), false)),
        },
        Rule {
            raw: up("lb", "server 127.0.0.1:81 weight=0;"),
            nginx_says: "invalid parameter \"weight=0\"".into(),
            fixes: vec![fix("weight=0", "weight=1")],
            ours: UpstreamServer::builder(a("127.0.0.1:81").unwrap())
                .weight(0)
                .build()
                .map(|_| ()),
            kind: "ZeroWeight",
            ours_fixed: typed_lb(
                UpstreamServer::builder(a("127.0.0.1:81").unwrap())
                    .weight(1)
                    .build()
                    .and_then(|s| Upstream::builder("lb").server_entry(s).build()),
            ),
        },
        Rule {
            raw: up("lb", "server 127.0.0.1:81 fail_timeout=500ms;"),
            nginx_says: "invalid parameter \"fail_timeout=500ms\"".into(),
            fixes: vec![fix("=500ms", "=1s")],
            ours: UpstreamServer::builder(a("127.0.0.1:81").unwrap())
                .fail_timeout("500ms")
                .build()
                .map(|_| ()),
            kind: "InvalidValue",
            ours_fixed: typed_lb(
                UpstreamServer::builder(a("127.0.0.1:81").unwrap())
                    .fail_timeout("1s")
                    .build()
                    .and_then(|s| Upstream::builder("lb").server_entry(s).build()),
            ),
        },
        Rule {
            raw: up("lb", "server 127.0.0.1:81; keepalive 0;"),
            nginx_says: "invalid value \"0\" in \"keepalive\" directive".into(),
            fixes: vec![fix("keepalive 0;", "keepalive 1;")],
            ours: Upstream::builder("lb")
                .server_entry(s81())
                .keepalive(0)
                .build()
                .map(|_| ()),
            kind: "InvalidValue",
            ours_fixed: typed_lb(
                Upstream::builder("lb")
                    .server_entry(s81())
                    .keepalive(1)
                    .build(),
            ),
        },
        // `resolve` in open-source nginx needs >= 1.27.3; nginx 1.22 (nginx-light here) does not
        // know the parameter at all, with or without a zone (checked below), so on 1.22 the nginx
        // side of this row shows only that `resolve` is refused, not the zone rule itself.
        Rule {
            raw: up("lb", "server localhost:81 resolve;"),
            nginx_says: "invalid parameter \"resolve\"".into(),
            fixes: vec![fix(" resolve;", ";")],
            ours: Upstream::builder("lb")
                .server_entry(
                    UpstreamServer::builder(a("localhost:81").unwrap())
                        .resolve(true)
                        .build()
                        .unwrap(),
                )
                .build()
                .map(|_| ()),
            kind: "ResolveWithoutZone",
            ours_fixed: typed_lb(
                Upstream::builder("lb")
                    .server(a("localhost:81").unwrap())
                    .build(),
            ),
        },
        Rule {
            raw: up("lb", "server ::1:81;"),
            nginx_says: "invalid port in upstream \"::1:81\"".into(),
            fixes: vec![fix("::1:81", "[::1]:81")],
            ours: a("::1:81").map(|_| ()),
            kind: "UnbracketedIpv6",
            ours_fixed: typed_lb(
                Upstream::builder("lb")
                    .server(a("[::1]:81").unwrap())
                    .build(),
            ),
        },
        Rule {
            raw: up("lb", "server 2001:db8::1;"),
            nginx_says: "invalid port in upstream \"2001:db8::1\"".into(),
            fixes: vec![fix("2001:db8::1", "[2001:db8::1]")],
            ours: a("2001:db8::1").map(|_| ()),
            kind: "UnbracketedIpv6",
            ours_fixed: typed_lb(
                Upstream::builder("lb")
                    .server(a("[2001:db8::1]").unwrap())
                    .build(),
            ),
        },
    ];
    // Injection: naive string interpolation of a bad name vs. the typed setter. What nginx says
    // is how the character broke the text apart; the same text with the name `lb` passes.
    for (name, says) in [
        ("lb;x", "directive \"upstream\" has no opening \"{\""),
        ("l{b", "unknown directive \"b\""),
        ("}lb", "unexpected \"}\""),
        ("\"lb", "unexpected \"l\""),
        ("'lb", "unexpected \"l\""),
        ("#lb", "\"listen\" directive is not allowed here"),
        (
            "l b",
            "invalid number of arguments in \"upstream\" directive",
        ),
        (
            "l\nb",
            "invalid number of arguments in \"upstream\" directive",
        ),
    ] {
        table.push(Rule {
            raw: up(name, "server 127.0.0.1:81;"),
            nginx_says: says.into(),
            fixes: vec![fix(name, "lb")],
            ours: Upstream::builder(name)
                .server(a("127.0.0.1:81").unwrap())
                .build()
                .map(|_| ()),
            kind: "UnsafeValue",
            ours_fixed: typed_lb(
                Upstream::builder("lb")
                    .server(a("127.0.0.1:81").unwrap())
                    .build(),
            ),
        });
    }
    let logged = |log: Result<AccessLog, Error>| -> Result<Config, Error> {
        let server = Server::builder()
            .listen("127.0.0.1:18999".parse()?)
            .access_log(log?)
            .location(Location::builder("/").proxy_pass_upstream("lb").build()?)
            .build()?;
        Config::builder()
            .upstream(Upstream::builder("lb").server(a("127.0.0.1:81")?).build()?)
            .server(server)
            .build()
    };
    let log = format!("{t}/a.log;x");
    table.push(Rule {
        raw: format!(
            "upstream lb {{ server 127.0.0.1:81; }}\nserver {{ listen 127.0.0.1:18999; access_log {log}; location / {{ proxy_pass http://lb; }} }}"
        ),
        nginx_says: "unknown directive \"x\"".into(),
        fixes: vec![fix(&log, &format!("{t}/a.log"))],
        ours: AccessLog::path(&log, None).map(|_| ()),
        kind: "UnsafeValue",
        ours_fixed: logged(AccessLog::path(&format!("{t}/a.log"), None)),
    });
    table.push(Rule {
        raw: up("lb", "hash $remote_addr;x; server 127.0.0.1:81;"),
        nginx_says: "unknown directive \"x\"".into(),
        fixes: vec![fix("$remote_addr;x;", "$remote_addr;")],
        ours: Method::hash("$remote_addr;x", false).map(|_| ()),
        kind: "UnsafeValue",
        ours_fixed: typed_lb(Method::hash("$remote_addr", false).and_then(|m| {
            Upstream::builder("lb")
                .method(m)
                .server_entry(s81())
                .build()
        })),
    });
    // A log format nobody defined (nginx predefines only `combined`; `main` too is undefined
    // in a raw nginx.conf, which is why NginxConf defines it when it is used).
    let fancy = format!(
        "upstream lb {{ server 127.0.0.1:81; }}\nserver {{ listen 127.0.0.1:18999; access_log {t}/x.log fancy; location / {{ proxy_pass http://lb; }} }}"
    );
    table.push(Rule {
        nginx_says: "unknown log format \"fancy\"".into(),
        fixes: vec![fix(" fancy;", " combined;")],
        ours: NginxConf::builder(fancy.parse::<Config>().unwrap())
            .build()
            .map(|_| ()),
        kind: "UndefinedLogFormat",
        ours_fixed: logged(AccessLog::path(&format!("{t}/x.log"), Some("combined"))),
        raw: fancy,
    });

    let rows = table.len();
    for r in table {
        let text = n.raw_conf(&r.raw);
        let nginx_err = n
            .test(&text)
            .expect_err(&format!("nginx accepted:\n{text}"));
        assert!(
            nginx_err.contains("[emerg]") && nginx_err.contains(&r.nginx_says),
            "expected nginx {version} to say {:?} about:\n{text}\nit said: {nginx_err}",
            r.nginx_says
        );
        assert!(!r.fixes.is_empty());
        for (from, to) in &r.fixes {
            assert!(
                r.raw.contains(from.as_str()),
                "{from:?} is not in:\n{}",
                r.raw
            );
            let control = n.raw_conf(&r.raw.replace(from.as_str(), to));
            n.test(&control).unwrap_or_else(|e| {
                panic!("the control without the fault was rejected too:\n{control}\n{e}")
            });
        }
        let ours = r
            .ours
            .expect_err(&format!("our builder accepted the value of:\n{}", r.raw));
        assert!(
            format!("{ours:?}").starts_with(r.kind),
            "{}: expected {}, got {ours:?}",
            r.raw,
            r.kind
        );
        assert!(!ours.to_string().is_empty());
        let fixed = r
            .ours_fixed
            .unwrap_or_else(|e| panic!("our builder rejected the fixed value of:\n{}\n{e}", r.raw));
        let full = n.full_conf(fixed).render();
        n.test(&full)
            .unwrap_or_else(|e| panic!("nginx -t rejected our fixed config:\n{full}\n{e}"));
        eprintln!(
            "ok: nginx: {} | ours: {ours}",
            nginx_err
                .lines()
                .next()
                .unwrap_or("")
                .split_once("[emerg] ")
                .and_then(|(_, m)| m.split_once(": "))
                .map_or("", |(_, m)| m)
        );
    }
    assert_eq!(rows, 22, "a row went missing");

    // `resolve` with the zone our rule asks for: our builder accepts it, and nginx 1.22 still
    // refuses the parameter itself, in the raw text and in our rendering alike (nginx >= 1.27.3
    // accepts both). So a config with `resolve` needs a newer nginx than nginx-light's 1.22.
    let zoned = n.raw_conf(&up("lb", "zone lb 64k; server localhost:81 resolve;"));
    let e = n.test(&zoned).unwrap_err();
    assert!(
        e.contains("invalid parameter \"resolve\""),
        "nginx {version} on:\n{zoned}\n{e}"
    );
    let ours = typed_lb(
        Upstream::builder("lb")
            .zone(Zone::new("lb", Some("64k")).unwrap())
            .server_entry("localhost:81 resolve".parse().unwrap())
            .build(),
    )
    .unwrap();
    let full = n.full_conf(ours).render();
    let e = n.test(&full).unwrap_err();
    assert!(
        e.contains("invalid parameter \"resolve\""),
        "nginx {version} on:\n{full}\n{e}"
    );
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

/// One request of the load clients.
struct Req {
    start: Instant,
    end: Instant,
    failure: Option<String>,
}

/// Clients sending GETs back to back until told to stop (or dropped, so a failing test does not
/// leave them running); each request's start, end and outcome are kept.
struct Load {
    stop: Arc<AtomicBool>,
    done: Arc<AtomicUsize>,
    clients: Vec<JoinHandle<(Vec<Req>, bool)>>,
}

impl Load {
    /// A safety net only: the test stops the clients long before.
    const DEADLINE: Duration = Duration::from_secs(120);

    fn start(port: u16, clients: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicUsize::new(0));
        let clients = (0..clients)
            .map(|_| {
                let (stop, done) = (stop.clone(), done.clone());
                std::thread::spawn(move || {
                    let deadline = Instant::now() + Self::DEADLINE;
                    let mut reqs = Vec::new();
                    loop {
                        if stop.load(Ordering::SeqCst) {
                            return (reqs, true);
                        }
                        if Instant::now() > deadline {
                            return (reqs, false);
                        }
                        let start = Instant::now();
                        let failure = get(port).err();
                        reqs.push(Req {
                            start,
                            end: Instant::now(),
                            failure,
                        });
                        done.fetch_add(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        Self {
            stop,
            done,
            clients,
        }
    }

    /// Waits until `n` more requests have completed and at least `min` has passed.
    fn keep_going(&self, n: usize, min: Duration) {
        let (from, t0) = (self.done.load(Ordering::SeqCst), Instant::now());
        loop {
            let more = self.done.load(Ordering::SeqCst) - from;
            if more >= n && t0.elapsed() >= min {
                return;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(60),
                "the load stalled: {more} requests in {:?}",
                t0.elapsed()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Stops the clients and returns every request; each client must have been stopped by the
    /// flag, not by its deadline.
    fn finish(mut self) -> Vec<Req> {
        self.stop.store(true, Ordering::SeqCst);
        let mut all = Vec::new();
        for c in self.clients.drain(..) {
            let (reqs, stopped) = c.join().unwrap();
            assert!(
                stopped,
                "a load client ran into its {:?} deadline",
                Self::DEADLINE
            );
            all.extend(reqs);
        }
        all
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Passes everything to `inner` and notes when the reload signal went out.
struct Probe<'a> {
    inner: &'a dyn NginxRunner,
    signalled: Cell<Option<Instant>>,
}

impl<'a> Probe<'a> {
    fn new(inner: &'a dyn NginxRunner) -> Self {
        Self {
            inner,
            signalled: Cell::new(None),
        }
    }
}

impl NginxRunner for Probe<'_> {
    fn validate(&self) -> Result<(), ApplyError> {
        self.inner.validate()
    }
    fn reload(&self) -> Result<(), ApplyError> {
        self.signalled.set(Some(Instant::now()));
        self.inner.reload()
    }
    fn workers(&self) -> Option<BTreeSet<u32>> {
        self.inner.workers()
    }
}

/// One applied change: when apply was called, when it sent the reload signal, when it returned
/// (the new workers alone accept connections).
struct Window {
    how: &'static str,
    called: Instant,
    signal: Instant,
    returned: Instant,
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn reloads_under_load_lose_no_request_and_invalid_config_is_rolled_back() {
    // Requests completed before each apply (and after the last one), so every reload happens in
    // the middle of the stream and the stream runs well past the final apply.
    const BETWEEN: usize = 400;
    const CLIENTS: usize = 2;
    let t0 = Instant::now();
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
    // Reload both ways: `nginx -s reload` and `kill -HUP <master>`.
    let by_command = n.runner();
    let by_signal = n.runner().sighup(true);

    let load = Load::start(listen, CLIENTS);
    // Several changes, each applied with a reload: remove one backend, add a new one, and so on.
    let mut live: Vec<u16> = backends.ports.clone();
    let mut windows = Vec::new();
    for round in 0..6 {
        load.keep_going(BETWEEN, Duration::from_millis(300));
        if round % 2 == 0 {
            live.remove(0);
        } else {
            let p = backends.add(10 + round);
            live.push(p);
        }
        let (how, runner) = if round % 2 == 0 {
            ("nginx -s reload", &by_command)
        } else {
            ("kill -HUP", &by_signal)
        };
        let probe = Probe::new(runner);
        let called = Instant::now();
        let outcome = apply(&conf, render(&live).as_bytes(), &probe).unwrap();
        let returned = Instant::now();
        assert_eq!(outcome, Applied::Reloaded { confirmed: true });
        windows.push(Window {
            how,
            called,
            signal: probe
                .signalled
                .get()
                .expect("apply reloaded without a signal"),
            returned,
        });
    }
    load.keep_going(BETWEEN, Duration::from_millis(300));
    // Unchanged bytes: no reload.
    let probe = Probe::new(&by_command);
    assert_eq!(
        apply(&conf, render(&live).as_bytes(), &probe).unwrap(),
        Applied::Unchanged
    );
    assert!(probe.signalled.get().is_none());
    // An invalid config: rejected before any reload, file restored, old config keeps serving.
    let good = std::fs::read(&conf).unwrap();
    let bad = render(&live).replace("least_conn;", "least_conn;\n        bogus_directive on;");
    let err = apply(&conf, bad.as_bytes(), &probe).unwrap_err();
    let last_apply = Instant::now();
    assert!(
        matches!(&err, ApplyError::Invalid { stderr } if stderr.contains("bogus_directive")),
        "{err}"
    );
    assert!(probe.signalled.get().is_none(), "nginx was signalled");
    assert_eq!(std::fs::read(&conf).unwrap(), good);
    load.keep_going(BETWEEN, Duration::from_millis(300));
    let reqs = load.finish();
    let elapsed = t0.elapsed();

    let count = |f: &dyn Fn(&Req) -> bool| reqs.iter().filter(|r| f(r)).count();
    let failures: Vec<&Req> = reqs.iter().filter(|r| r.failure.is_some()).collect();
    let mut report = Vec::new();
    for (i, w) in windows.iter().enumerate() {
        let next = windows.get(i + 1).map_or(last_apply, |n| n.called);
        // In flight while the reload ran: overlapping [signal, returned].
        let during = count(&|r| r.start < w.returned && r.end > w.signal);
        // Sent before the signal and answered after it.
        let across = count(&|r| r.start < w.signal && r.end > w.signal);
        // Served by the new config alone, before the next apply began.
        let after = count(&|r| r.start >= w.returned && r.end <= next);
        report.push(format!(
            "#{} {}: {during} in flight during the reload ({across} across the signal, {:?} signal..confirmed), {after} after it",
            i + 1,
            w.how,
            w.returned - w.signal
        ));
        assert!(
            during > 0,
            "no request was in flight during reload #{}",
            i + 1
        );
        assert!(
            after > 0,
            "no request between reload #{} and the next apply",
            i + 1
        );
    }
    let after_last = count(&|r| r.start >= last_apply);
    eprintln!(
        "zero-downtime: {} requests ({CLIENTS} clients) in {elapsed:?}, {} failed, {} reloads, {after_last} after the last apply",
        reqs.len(),
        failures.len(),
        windows.len()
    );
    for line in &report {
        eprintln!("  {line}");
    }
    assert!(after_last > 0, "the load stopped before the last apply");
    assert!(reqs.len() >= 2000, "only {} requests were sent", reqs.len());
    let since = |at: Instant| {
        windows
            .iter()
            .map(|w| {
                if at >= w.signal {
                    format!("+{:?}", at - w.signal)
                } else {
                    format!("-{:?}", w.signal - at)
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert!(
        failures.is_empty(),
        "{} failed, e.g. (start relative to each reload signal):\n{}",
        failures.len(),
        failures
            .iter()
            .take(5)
            .map(|r| format!("{:?} at {}", r.failure, since(r.start)))
            .collect::<Vec<_>>()
            .join("\n")
    );
    // After all changes the live backends serve.
    let mut seen = BTreeSet::new();
    for _ in 0..60 {
        seen.insert(get(listen).unwrap());
    }
    assert_eq!(seen.len(), live.len(), "{seen:?}");
    assert!(
        !seen.contains("backend-0"),
        "removed backend still served: {seen:?}"
    );
}

/// Validates with the real nginx; reloads and watches workers through another runner.
struct Split<'a> {
    check: &'a Nginx,
    reload: &'a Nginx,
}

impl NginxRunner for Split<'_> {
    fn validate(&self) -> Result<(), ApplyError> {
        self.check.validate()
    }
    fn reload(&self) -> Result<(), ApplyError> {
        self.reload.reload()
    }
    fn workers(&self) -> Option<BTreeSet<u32>> {
        self.reload.workers()
    }
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn sighup_reload_applies_and_confirms_the_new_workers() {
    let backends = Backends::start(2);
    let n = NginxDir::new();
    let listen = free_port();
    let render = |ports: &[u16]| {
        n.full_conf(lb_snippet(Method::LeastConn, ports, listen))
            .render()
    };
    std::fs::write(n.conf_path(), render(&backends.ports[..1])).unwrap();
    n.start();
    wait_listening(listen);
    assert_eq!(get(listen).unwrap(), "backend-0");
    let real = n.runner();
    // Its binary does not exist: only `kill -HUP <pid from the pid file>` can reload nginx.
    let hup = Nginx::new("/nonexistent-dw/nginx")
        .pid_file(n.path().join("nginx.pid"))
        .sighup(true);
    let master = n.master_pid().unwrap();
    let before = hup.workers().unwrap();
    assert!(!before.is_empty());
    let runner = Split {
        check: &real,
        reload: &hup,
    };
    assert_eq!(
        apply(
            &n.conf_path(),
            render(&backends.ports[1..]).as_bytes(),
            &runner
        )
        .unwrap(),
        Applied::Reloaded { confirmed: true }
    );
    let after = hup.workers().unwrap();
    assert!(
        !after.is_empty() && after.is_disjoint(&before),
        "{before:?} -> {after:?}"
    );
    assert_eq!(n.master_pid(), Some(master), "reloaded, not restarted");
    for _ in 0..5 {
        assert_eq!(get(listen).unwrap(), "backend-1");
    }
    // A pid file that names no master: the reload fails, the previous file is restored.
    let lost = Nginx::new("/nonexistent-dw/nginx")
        .pid_file(n.path().join("missing.pid"))
        .sighup(true);
    let current = std::fs::read(n.conf_path()).unwrap();
    let e = apply(
        &n.conf_path(),
        render(&backends.ports).as_bytes(),
        &Split {
            check: &real,
            reload: &lost,
        },
    )
    .unwrap_err();
    assert!(
        matches!(&e, ApplyError::Reload { stderr } if stderr.contains("missing.pid")),
        "{e}"
    );
    assert_eq!(std::fs::read(n.conf_path()).unwrap(), current);
    assert_eq!(get(listen).unwrap(), "backend-1");
}

/// `mount --bind SRC TARGET`, undone on drop. Declare it after the temp dirs it touches, so it is
/// dropped (unmounted) before they are removed.
struct BindMount {
    target: PathBuf,
}

impl BindMount {
    fn new(src: &Path, target: &Path) -> Self {
        let o = Command::new("mount")
            .arg("--bind")
            .arg(src)
            .arg(target)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "mount --bind {} {} failed (needs root, as scripts/test has): {}",
            src.display(),
            target.display(),
            String::from_utf8_lossy(&o.stderr)
        );
        Self {
            target: target.into(),
        }
    }
}

impl Drop for BindMount {
    fn drop(&mut self) {
        let unmounted = Command::new("umount")
            .arg(&self.target)
            .status()
            .is_ok_and(|s| s.success());
        if !unmounted {
            let _ = Command::new("umount").arg("-l").arg(&self.target).status();
        }
    }
}

/// Whether `p` is a mount point in this process's mount namespace.
fn is_mount_point(p: &Path) -> bool {
    let want = p.to_string_lossy().replace(' ', "\\040");
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .any(|l| l.split(' ').nth(4) == Some(want.as_str()))
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn apply_rewrites_a_bind_mounted_file_in_place() {
    use std::os::unix::fs::MetadataExt as _;
    let backends = Backends::start(2);
    let n = NginxDir::new();
    let listen = free_port();
    // The layout of `docker run -v ./lb.conf:/etc/nginx/conf.d/lb.conf nginx`: nginx.conf
    // includes conf.d/lb.conf, which is a file bind-mounted from elsewhere.
    let conf_d = n.path().join("conf.d");
    std::fs::create_dir(&conf_d).unwrap();
    let target = conf_d.join("lb.conf");
    let src_dir = tempfile::Builder::new()
        .prefix("dw-lb-src-")
        .tempdir()
        .unwrap();
    let src = src_dir.path().join("lb.conf");
    let snippet = |ports: &[u16]| lb_snippet(Method::LeastConn, ports, listen).render();
    let v1 = snippet(&backends.ports[..1]);
    std::fs::write(&src, &v1).unwrap();
    std::fs::write(&target, "").unwrap();
    let _mount = BindMount::new(&src, &target);
    assert!(is_mount_point(&target));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), v1);
    let inode = std::fs::metadata(&src).unwrap().ino();
    assert_eq!(std::fs::metadata(&target).unwrap().ino(), inode);
    // The precondition of the fallback: renaming over the mounted file fails with EBUSY.
    let probe = conf_d.join(".probe");
    std::fs::write(&probe, "x").unwrap();
    let e = std::fs::rename(&probe, &target).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(16), "{e}");
    std::fs::remove_file(&probe).unwrap();

    let include = Directive::new("include", [target.display().to_string()]).unwrap();
    let full = n
        .full_conf(Config::builder().directive(include).build().unwrap())
        .render();
    n.test(&full).unwrap();
    n.start();
    wait_listening(listen);
    assert_eq!(get(listen).unwrap(), "backend-0");
    let runner = n.runner();

    // A change: written through the mount into the source file, validated, reloaded, live.
    let v2 = snippet(&backends.ports[1..]);
    assert_eq!(
        apply(&target, v2.as_bytes(), &runner).unwrap(),
        Applied::Reloaded { confirmed: true }
    );
    assert_eq!(std::fs::read_to_string(&src).unwrap(), v2);
    assert!(is_mount_point(&target), "the mount was replaced");
    assert_eq!(std::fs::metadata(&target).unwrap().ino(), inode);
    let left: Vec<_> = std::fs::read_dir(&conf_d)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["lb.conf"], "temp files left behind");
    for _ in 0..5 {
        assert_eq!(get(listen).unwrap(), "backend-1");
    }
    // An invalid (and longer) config: rejected, and restored in place to exactly v2.
    let bad = v2.replace("least_conn;", "least_conn;\n    bogus_directive on;");
    let e = apply(&target, bad.as_bytes(), &runner).unwrap_err();
    assert!(
        matches!(&e, ApplyError::Invalid { stderr } if stderr.contains("bogus_directive")),
        "{e}"
    );
    assert_eq!(std::fs::read_to_string(&src).unwrap(), v2);
    assert!(is_mount_point(&target));
    assert_eq!(get(listen).unwrap(), "backend-1");
    assert_eq!(
        apply(&target, v2.as_bytes(), &runner).unwrap(),
        Applied::Unchanged
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

/// Every entry under `dir`, recursively: file bytes, or a symlink's target, keyed by path.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (&'static str, Vec<u8>)> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let m = std::fs::symlink_metadata(&p).unwrap();
            if m.file_type().is_symlink() {
                let t = std::fs::read_link(&p).unwrap();
                out.insert(p, ("link", t.into_os_string().into_encoded_bytes()));
            } else if m.is_dir() {
                out.insert(p.clone(), ("dir", Vec::new()));
                todo.push(p);
            } else {
                let b = std::fs::read(&p).unwrap();
                out.insert(p, ("file", b));
            }
        }
    }
    out
}

/// nginx -t "crashes": the apply stops where a killed process would, its state left on disk.
struct CrashInValidate;

impl NginxRunner for CrashInValidate {
    fn validate(&self) -> Result<(), ApplyError> {
        panic!("simulated crash during nginx -t");
    }
    fn reload(&self) -> Result<(), ApplyError> {
        panic!("simulated crash during reload");
    }
}

fn crash_during_apply(path: &Path, bytes: &[u8]) {
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        apply(path, bytes, &CrashInValidate)
    }));
    assert!(r.is_err(), "the simulated crash did not happen");
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn rejected_config_through_a_symlink_keeps_serving_and_changes_nothing_on_disk() {
    let backends = Backends::start(2);
    let n = NginxDir::new();
    let listen = free_port();
    // Debian's layout under its own conf dir: nginx.conf includes sites-enabled/*.conf, and
    // sites-enabled/lb.conf is a relative symlink to ../sites-available/lb.conf. nginx writes its
    // pid, logs and temp files outside this dir, so everything in it must stay as it was.
    let conf_dir = n.path().join("conf");
    let avail = conf_dir.join("sites-available");
    let enabled = conf_dir.join("sites-enabled");
    std::fs::create_dir_all(&avail).unwrap();
    std::fs::create_dir_all(&enabled).unwrap();
    let snippet = |ports: &[u16]| lb_snippet(Method::LeastConn, ports, listen).render();
    let v1 = snippet(&backends.ports[..1]);
    std::fs::write(avail.join("lb.conf"), &v1).unwrap();
    let link = enabled.join("lb.conf");
    std::os::unix::fs::symlink("../sites-available/lb.conf", &link).unwrap();
    let include = Directive::new("include", [format!("{}/*.conf", enabled.display())]).unwrap();
    let main = n
        .full_conf(Config::builder().directive(include).build().unwrap())
        .render();
    n.test(&main).unwrap();
    n.start();
    wait_listening(listen);
    assert_eq!(get(listen).unwrap(), "backend-0");
    let runner = n.runner();

    // A good change through the link: written to sites-available, the link kept, live.
    let v2 = snippet(&backends.ports[1..]);
    assert_eq!(
        apply(&link, v2.as_bytes(), &runner).unwrap(),
        Applied::Reloaded { confirmed: true }
    );
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        Path::new("../sites-available/lb.conf"),
        "the symlink was replaced"
    );
    assert_eq!(std::fs::read_to_string(avail.join("lb.conf")).unwrap(), v2);
    for _ in 0..5 {
        assert_eq!(get(listen).unwrap(), "backend-1");
    }

    // A config nginx -t rejects: the old upstream keeps serving, and every file, link and
    // directory in the conf dir (and nginx.conf) is byte for byte what it was.
    let before = (snapshot(&conf_dir), std::fs::read(n.conf_path()).unwrap());
    let bad = v2.replace("least_conn;", "least_conn;\n    bogus_directive on;");
    let e = apply(&link, bad.as_bytes(), &runner).unwrap_err();
    assert!(
        matches!(&e, ApplyError::Invalid { stderr } if stderr.contains("bogus_directive")),
        "{e}"
    );
    assert_eq!(
        (snapshot(&conf_dir), std::fs::read(n.conf_path()).unwrap()),
        before
    );
    for _ in 0..5 {
        assert_eq!(get(listen).unwrap(), "backend-1");
    }

    // An apply of the same bad config that crashed after writing it: the unvalidated file is on
    // disk. The next apply finds the backup, is rejected by nginx, and puts everything back.
    crash_during_apply(&link, bad.as_bytes());
    assert_eq!(std::fs::read_to_string(avail.join("lb.conf")).unwrap(), bad);
    let e = apply(&link, bad.as_bytes(), &runner).unwrap_err();
    assert!(matches!(&e, ApplyError::Invalid { .. }), "{e}");
    assert_eq!(
        (snapshot(&conf_dir), std::fs::read(n.conf_path()).unwrap()),
        before
    );
    for _ in 0..5 {
        assert_eq!(get(listen).unwrap(), "backend-1");
    }
    // Repaired: the validated bytes are unchanged again.
    assert_eq!(
        apply(&link, v2.as_bytes(), &runner).unwrap(),
        Applied::Unchanged
    );
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn a_crashed_in_place_rewrite_of_a_bind_mounted_file_is_restored_from_the_backup() {
    let backends = Backends::start(2);
    let n = NginxDir::new();
    let listen = free_port();
    let conf_d = n.path().join("conf.d");
    std::fs::create_dir(&conf_d).unwrap();
    let target = conf_d.join("lb.conf");
    let src_dir = tempfile::Builder::new()
        .prefix("dw-lb-src-")
        .tempdir()
        .unwrap();
    let src = src_dir.path().join("lb.conf");
    let snippet = |ports: &[u16]| lb_snippet(Method::LeastConn, ports, listen).render();
    let v1 = snippet(&backends.ports[..1]);
    std::fs::write(&src, &v1).unwrap();
    std::fs::write(&target, "").unwrap();
    let _mount = BindMount::new(&src, &target);
    assert!(is_mount_point(&target));
    let include = Directive::new("include", [target.display().to_string()]).unwrap();
    let full = n
        .full_conf(Config::builder().directive(include).build().unwrap())
        .render();
    n.test(&full).unwrap();
    n.start();
    wait_listening(listen);
    assert_eq!(get(listen).unwrap(), "backend-0");
    let runner = n.runner();

    // The rewrite in place happened, then the process died before nginx -t; then the file was
    // left half written (what a crash inside the in-place write leaves).
    let v2 = snippet(&backends.ports[1..]);
    crash_during_apply(&target, v2.as_bytes());
    assert_eq!(
        std::fs::read_to_string(&src).unwrap(),
        v2,
        "written in place"
    );
    std::fs::write(&src, &v2.as_bytes()[..v2.len() / 2]).unwrap();
    // The next apply is rejected; the last validated config comes back from the backup,
    // through the mount.
    let bad = v1.replace("least_conn;", "least_conn;\n    bogus_directive on;");
    let e = apply(&target, bad.as_bytes(), &runner).unwrap_err();
    assert!(
        matches!(&e, ApplyError::Invalid { stderr } if stderr.contains("bogus_directive")),
        "{e}"
    );
    assert_eq!(std::fs::read_to_string(&src).unwrap(), v1);
    assert!(is_mount_point(&target));
    let left: Vec<_> = std::fs::read_dir(&conf_d)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["lb.conf"], "backup or temp files left behind");
    for _ in 0..5 {
        assert_eq!(get(listen).unwrap(), "backend-0");
    }
}
