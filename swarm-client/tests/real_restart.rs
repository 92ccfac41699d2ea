//! dockerd restarted while `Client::wait_converged` runs, on a dockerd of its own: a one-node
//! swarm on 127.0.0.20 (data path port 4791) with its own data root and socket, so the swarm
//! of scripts/test is not disturbed. The service runs a busybox httpd (image built with
//! example-images, pushed with registry-client to `$DOCKWRIGHT_TEST_REGISTRY`) on the host
//! network at 127.0.0.20 and a free port.
//!
//! - A wait that outlives the restart ends converged after it: it reported the daemon
//!   unavailable, its event stream reconnected, and the task it saw running serves HTTP.
//! - A wait whose timeout ends while the daemon is down fails with
//!   [`swarm_client::Error::DaemonUnavailable`], which names the daemon's endpoint and keeps
//!   the connection error as its source; once the daemon is back a new wait converges.
//!
//! Everything the test starts is stopped by PID on drop, even when it fails: dockerd, the
//! containerd it runs, and the shims and container processes containerd recorded under this
//! daemon's exec root (each checked to be ours before it is signalled). Mounts below the temp
//! dir are unmounted and the dir removed.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use registry_client::reference::Reference;
use swarm_client::converge::{Progress, WaitOptions};
use swarm_client::services::{CreateOptions, UpdateOptions};
use swarm_client::spec::ServiceSpec;
use swarm_client::swarm::InitRequest;
use swarm_client::tasks::TaskFilter;
use swarm_client::{Client, Error};

const ADDR: &str = "127.0.0.20";

/// A process recorded by PID and start time (field 22 of `/proc/PID/stat`): a later process
/// that got the same PID is not ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Proc {
    pid: u32,
    start: u64,
}

impl Proc {
    fn of(pid: u32) -> Option<Self> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // The command name (field 2) is in parentheses and may hold spaces.
        let after = &stat[stat.rfind(')')? + 2..];
        let fields: Vec<&str> = after.split_whitespace().collect();
        Some(Self {
            pid,
            start: fields.get(19)?.parse().ok()?,
        })
    }

    fn ppid(self) -> Option<u32> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).ok()?;
        stat[stat.rfind(')')? + 2..]
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    }

    fn alive(self) -> bool {
        Self::of(self.pid) == Some(self)
    }

    fn signal(self, sig: &str) {
        if self.alive() {
            let _ = Command::new("kill")
                .args([sig, &self.pid.to_string()])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// A dockerd in a temp dir (flags as scripts/servers.sh: no bridge, no iptables).
struct Daemon {
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl Daemon {
    fn start() -> Self {
        // Its own dir under /tmp keeps the socket path short (sun_path is 108 bytes).
        let dir = tempfile::Builder::new()
            .prefix("dw-restart-")
            .tempdir_in("/tmp")
            .expect("tempdir");
        let mut d = Self { dir, child: None };
        d.spawn();
        d
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn endpoint(&self) -> String {
        format!("unix://{}", self.path().join("docker.sock").display())
    }

    fn spawn(&mut self) {
        let p = self.path().to_path_buf();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p.join("dockerd.log"))
            .expect("log file");
        let child = Command::new("dockerd")
            .arg("--host")
            .arg(self.endpoint())
            .arg("--data-root")
            .arg(p.join("data"))
            .arg("--exec-root")
            .arg(p.join("exec"))
            .arg("--pidfile")
            .arg(p.join("pid"))
            .args(["--iptables=false", "--ip-masq=false", "--bridge=none"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("dockerd is needed: run scripts/test (it installs docker.io)");
        self.child = Some(child);
    }

    /// Waits until the daemon answers `/_ping`.
    async fn client(&self) -> Client {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(c) = Client::connect(&self.endpoint()).await {
                return c;
            }
            assert!(
                Instant::now() < deadline,
                "dockerd did not start: {}",
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// What this dockerd started and that may outlive it: its process tree (containerd), and
    /// the shims and container inits containerd recorded in pid files under the exec root. A
    /// shim counts only if its command line names this daemon's dir, an init only if its
    /// parent is such a shim (a pid file may be stale).
    fn started(&self) -> HashSet<Proc> {
        let mut out = HashSet::new();
        let Some(root) = self.child.as_ref().and_then(|c| Proc::of(c.id())) else {
            return out;
        };
        let all: Vec<Proc> = std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse().ok())
            .filter_map(Proc::of)
            .collect();
        let mut frontier = vec![root.pid];
        while let Some(parent) = frontier.pop() {
            for p in &all {
                if p.ppid() == Some(parent) && out.insert(*p) {
                    frontier.push(p.pid);
                }
            }
        }
        let dir = self.path().to_string_lossy().into_owned();
        let tasks = self
            .path()
            .join("exec/containerd/daemon/io.containerd.runtime.v2.task");
        for ns in std::fs::read_dir(&tasks).into_iter().flatten().flatten() {
            for bundle in std::fs::read_dir(ns.path()).into_iter().flatten().flatten() {
                let pid_in = |name: &str| -> Option<Proc> {
                    let pid = std::fs::read_to_string(bundle.path().join(name)).ok()?;
                    Proc::of(pid.trim().parse().ok()?)
                };
                let Some(shim) = pid_in("shim.pid") else {
                    continue;
                };
                let cmdline = std::fs::read(format!("/proc/{}/cmdline", shim.pid))
                    .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
                    .unwrap_or_default();
                if !cmdline.contains("containerd-shim") || !cmdline.contains(&dir) {
                    continue;
                }
                out.insert(shim);
                if let Some(init) = pid_in("init.pid")
                    && init.ppid() == Some(shim.pid)
                {
                    out.insert(init);
                }
            }
        }
        out
    }

    /// SIGTERM to dockerd and a wait for it to exit (it stops its containers and containerd),
    /// SIGKILL after `grace`. Returns what it had started, to be checked later.
    fn stop(&mut self, grace: Duration) -> HashSet<Proc> {
        let started = self.started();
        if let Some(mut c) = self.child.take() {
            if let Some(p) = Proc::of(c.id()) {
                p.signal("-TERM");
            }
            let deadline = Instant::now() + grace;
            while Instant::now() < deadline {
                if let Ok(Some(_)) = c.try_wait() {
                    return started;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
        started
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.path().join("dockerd.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let mut ours = self.stop(Duration::from_secs(20));
        ours.extend(self.started());
        // What outlived dockerd: TERM, 5 s, KILL; each checked by PID and start time.
        for p in &ours {
            p.signal("-TERM");
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while ours.iter().any(|p| p.alive()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        for p in &ours {
            p.signal("-KILL");
        }
        // dockerd leaves netns and overlay mounts below its roots: unmount them, deepest
        // first, so the temp dir can be removed.
        let root = self.path().to_string_lossy().into_owned();
        let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
        let mut mine: Vec<PathBuf> = mounts
            .lines()
            .filter_map(|l| l.split_whitespace().nth(1))
            .filter(|m| m.starts_with(&root))
            .map(PathBuf::from)
            .collect();
        mine.sort_by_key(|m| std::cmp::Reverse(m.as_os_str().len()));
        for m in mine {
            let _ = Command::new("umount").arg("-l").arg(&m).status();
        }
    }
}

/// A port free on `ADDR` right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind((ADDR, 0))
        .and_then(|l| l.local_addr())
        .expect("a free port on 127.0.0.20")
        .port()
}

/// The status line of `GET /` on `ADDR:port`, if anything answers.
fn http_status(port: u16) -> Option<String> {
    let mut s = std::net::TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 20], port)),
        Duration::from_secs(2),
    )
    .ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.write_all(b"GET / HTTP/1.0\r\n\r\n").ok()?;
    let mut buf = Vec::new();
    let _ = s.take(4096).read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    text.lines()
        .next()
        .filter(|l| l.starts_with("HTTP/"))
        .map(str::to_owned)
}

/// The busybox image, pushed once to the test registry.
async fn busybox(registry: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    example_images::busybox_image("/bin/busybox")
        .ref_name("latest")
        .build(dir.path())
        .unwrap();
    let reference = format!("{registry}/swarmclient-test/busybox-restart:1");
    let r: Reference = reference.parse().unwrap();
    registry_client::Client::builder()
        .build()
        .unwrap()
        .push(dir.path(), &r)
        .await
        .unwrap();
    reference
}

type Seen = Arc<Mutex<Vec<Progress>>>;

fn recording(opts: WaitOptions) -> (WaitOptions, Seen) {
    let seen: Seen = Arc::default();
    let s = Arc::clone(&seen);
    (
        opts.on_progress(move |p| s.lock().unwrap().push(p.clone())),
        seen,
    )
}

async fn running_task(c: &Client, id: &str) -> Option<String> {
    c.task_list(&TaskFilter::new().service(id))
        .await
        .unwrap()
        .into_iter()
        .find(|t| {
            t.state() == swarm_client::models::TaskState::Running && !t.desired().is_terminal()
        })
        .map(|t| t.id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs real servers: run scripts/test"]
async fn dockerd_restarted_while_waiting_for_convergence() {
    let registry = std::env::var("DOCKWRIGHT_TEST_REGISTRY")
        .expect("DOCKWRIGHT_TEST_REGISTRY is not set: run scripts/test (real servers needed)");
    let image = busybox(&registry).await;
    let mut d = Daemon::start();
    let c = d.client().await;
    c.swarm_init(
        &InitRequest::new(format!("{ADDR}:2377"))
            .advertise_addr(ADDR)
            .data_path_port(4791),
    )
    .await
    .unwrap_or_else(|e| panic!("swarm init: {e}\n{}", d.log_tail()));

    let port = free_port();
    let spec = ServiceSpec::builder("restart-httpd", &image)
        .replicas(1)
        .network("host")
        .command(["httpd", "-f", "-p", &format!("{ADDR}:{port}"), "-h", "/"])
        .env("ROUND=0")
        // httpd as PID 1 ignores SIGTERM: 1 s instead of 10 s before dockerd kills it on stop.
        .stop_grace_period(Duration::from_secs(1))
        .build()
        .unwrap();
    let id = c
        .service_create(&spec, &CreateOptions::new())
        .await
        .unwrap()
        .id;
    c.wait_converged(
        &id,
        WaitOptions::new()
            .window(Duration::from_secs(1))
            .timeout(Duration::from_secs(60)),
    )
    .await
    .unwrap_or_else(|e| panic!("first convergence: {e}\n{}", d.log_tail()));
    assert!(http_status(port).is_some(), "httpd does not answer");

    // 1. The wait outlives the restart: it ends converged after it.
    c.service_update(&id, &UpdateOptions::new(), |s| {
        s.container_mut().env = vec!["ROUND=1".into()];
        Ok(())
    })
    .await
    .unwrap();
    let (opts, seen) = recording(
        WaitOptions::new()
            .window(Duration::from_secs(3))
            .timeout(Duration::from_secs(120)),
    );
    let waiter = {
        let (c, id) = (c.clone(), id.clone());
        tokio::spawn(async move { c.wait_converged(&id, opts).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before: HashSet<String> = c
        .task_list(&TaskFilter::new().service(&id))
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    let stopped_at = Instant::now();
    d.stop(Duration::from_secs(30));
    let down_for = stopped_at.elapsed();
    if waiter.is_finished() {
        let r = waiter.await.unwrap();
        panic!(
            "the wait ended while dockerd was down: {r:?}\n{:?}",
            seen.lock().unwrap()
        );
    }
    d.spawn();
    let converged = tokio::time::timeout(Duration::from_secs(150), waiter)
        .await
        .expect("the wait did not end")
        .unwrap()
        .unwrap_or_else(|e| {
            panic!(
                "the wait across the restart failed: {e:?}\n{}",
                d.log_tail()
            )
        });
    let restart_took = stopped_at.elapsed();
    assert_eq!((converged.running, converged.desired), (1, 1));
    let status = http_status(port);
    assert!(status.is_some(), "converged, but httpd does not answer");
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.iter()
            .any(|p| matches!(p, Progress::DaemonUnavailable { .. })),
        "the wait never saw the daemon down: {seen:?}"
    );
    assert_eq!(seen.last(), Some(&Progress::Converged), "{seen:?}");
    // The running task is one started after the restart (dockerd stopped the old container).
    let now_running = running_task(&c, &id).await.expect("a running task");
    assert!(
        !before.contains(&now_running),
        "the task running now ({now_running}) existed before the restart"
    );
    eprintln!(
        "restart: dockerd down after {down_for:?}, wait converged {restart_took:?} after the stop ({}), {status:?}",
        seen.iter()
            .filter(|p| matches!(p, Progress::DaemonUnavailable { .. }))
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" | ")
    );

    // 2. The wait's timeout ends while dockerd is down: a typed error naming the daemon.
    c.service_update(&id, &UpdateOptions::new(), |s| {
        s.container_mut().env = vec!["ROUND=2".into()];
        Ok(())
    })
    .await
    .unwrap();
    // Longer than dockerd takes to stop (about 2 s here), shorter than it stays down.
    let timeout = Duration::from_secs(8);
    let (opts, seen) = recording(
        WaitOptions::new()
            .window(Duration::from_secs(3))
            .timeout(timeout),
    );
    let waiter = {
        let (c, id) = (c.clone(), id.clone());
        tokio::spawn(async move { c.wait_converged(&id, opts).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stopped_at = Instant::now();
    d.stop(Duration::from_secs(30));
    let err = tokio::time::timeout(Duration::from_secs(60), waiter)
        .await
        .expect("the wait did not end")
        .unwrap()
        .expect_err("converged while dockerd was down");
    let failed_after = stopped_at.elapsed();
    eprintln!("timeout while down: {err} ({failed_after:?} after the stop): {err:?}");
    match &err {
        Error::DaemonUnavailable {
            service,
            endpoint,
            after,
            source,
        } => {
            assert_eq!(service, &id);
            assert_eq!(endpoint, &d.endpoint());
            assert_eq!(*after, timeout);
            // The daemon was gone at the deadline: the last error is the refused connection.
            assert!(
                matches!(**source, Error::Transport { .. } | Error::Http { .. }),
                "{source:?}"
            );
        }
        other => panic!("expected DaemonUnavailable, got {other:?}"),
    }
    assert!(err.to_string().contains(&d.endpoint()), "{err}");
    assert!(err.is_transient());
    assert!(std::error::Error::source(&err).is_some());
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .any(|p| matches!(p, Progress::DaemonUnavailable { .. }))
    );
    // Back up, a new wait converges.
    d.spawn();
    let c = d.client().await;
    c.wait_converged(
        &id,
        WaitOptions::new()
            .window(Duration::from_secs(1))
            .timeout(Duration::from_secs(90)),
    )
    .await
    .unwrap_or_else(|e| panic!("after the daemon came back: {e}\n{}", d.log_tail()));
    assert!(http_status(port).is_some());
}
