//! A private dockerd for tests that change swarm-wide settings (swarm update, token rotation,
//! node promote/demote/rm): its own temp dir, socket, data and exec roots, and a swarm on a
//! loopback address above the shared test swarm's 127.0.0.1-127.0.0.3 (callers use
//! 127.0.0.40 and up, and their own data path port). Stopped on drop, even when the test
//! fails: dockerd by its PID (it stops its containerd), then any process still running whose
//! command line names this daemon's own temp dir (found by PID in /proc, never by name), then
//! the mounts under the dir are unmounted and the dir removed.
//!
//! Shared by swarm-client's tests and the dockwright CLI's (`#[path]` include).

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use swarm_client::Client;

/// A dockerd in a temp dir (flags as scripts/servers.sh: no bridge, no iptables).
pub struct Daemon {
    dir: tempfile::TempDir,
    child: Option<Child>,
    /// The loopback address its swarm listens on and advertises.
    pub addr: String,
}

impl Daemon {
    /// Starts a dockerd whose swarm will use `addr` (e.g. `127.0.0.41`).
    pub fn start(addr: &str) -> Self {
        // Its own dir under /tmp keeps the socket path short (sun_path is 108 bytes).
        let dir = tempfile::Builder::new()
            .prefix("dw-priv-")
            .tempdir_in("/tmp")
            .expect("tempdir");
        let mut d = Self {
            dir,
            child: None,
            addr: addr.to_owned(),
        };
        d.spawn();
        d
    }

    /// The daemon's temp dir.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `unix:///tmp/dw-priv-…/docker.sock`.
    pub fn endpoint(&self) -> String {
        format!("unix://{}", self.path().join("docker.sock").display())
    }

    /// `ADDR:2377`.
    pub fn listen(&self) -> String {
        format!("{}:2377", self.addr)
    }

    /// Starts the daemon (again, after [`Daemon::stop`]) on the same dirs.
    pub fn spawn(&mut self) {
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

    /// Waits until the daemon answers, then returns a client.
    pub async fn client(&self) -> Client {
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

    /// The last lines of the daemon's log (for failure messages).
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.path().join("dockerd.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }

    /// Stops the daemon by its PID (TERM, then KILL after 20 s); the dirs stay.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(c.id().to_string())
                .status();
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = c.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// PIDs of processes whose command line names `root` (this daemon's own temp dir).
fn pids_naming(root: &str) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in dir.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if pid == std::process::id() {
            continue;
        }
        let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains(root) {
            out.push(pid);
        }
    }
    out
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
        let root = self.path().to_string_lossy().into_owned();
        // containerd and shims this dockerd started outlive it only if it died badly.
        for pid in pids_naming(&root) {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(pid.to_string())
                .status();
        }
        // dockerd leaves netns and overlay mounts below its roots: unmount them, deepest first,
        // so the temp dir can be removed.
        let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
        let mut ours: Vec<PathBuf> = mounts
            .lines()
            .filter_map(|l| l.split_whitespace().nth(1))
            .filter(|m| m.starts_with(&root))
            .map(PathBuf::from)
            .collect();
        ours.sort_by_key(|m| std::cmp::Reverse(m.as_os_str().len()));
        for m in ours {
            let _ = Command::new("umount").arg("-l").arg(&m).status();
        }
    }
}

/// A two-node private swarm: a manager and a worker that joined it with
/// [`Client::swarm_join`].
pub struct PrivateSwarm {
    /// The manager's daemon (dropped last).
    pub manager: Daemon,
    /// The worker's daemon.
    pub worker: Daemon,
    /// A client of the manager.
    pub m: Client,
    /// A client of the worker.
    pub w: Client,
    /// The manager's node ID.
    pub manager_id: String,
}

impl PrivateSwarm {
    /// Starts both daemons (concurrently), inits the swarm on `manager_addr` with
    /// `data_path_port`, and joins the worker from `worker_addr`.
    pub async fn start(manager_addr: &str, worker_addr: &str, data_path_port: u16) -> Self {
        use swarm_client::swarm::{InitRequest, JoinRequest};
        let manager = Daemon::start(manager_addr);
        let worker = Daemon::start(worker_addr);
        let (m, w) = tokio::join!(manager.client(), worker.client());
        let manager_id = m
            .swarm_init(
                &InitRequest::new(manager.listen())
                    .advertise_addr(manager_addr)
                    .data_path_port(data_path_port),
            )
            .await
            .unwrap_or_else(|e| panic!("swarm init: {e}\n{}", manager.log_tail()));
        let token = m.swarm_inspect().await.unwrap().join_tokens.worker;
        w.swarm_join(
            &JoinRequest::new(manager.listen(), token)
                .listen_addr(worker.listen())
                .advertise_addr(worker_addr),
        )
        .await
        .unwrap_or_else(|e| panic!("swarm join: {e}\n{}", worker.log_tail()));
        Self {
            manager,
            worker,
            m,
            w,
            manager_id,
        }
    }

    /// The worker's node ID as the manager lists it (waits until it is listed).
    pub async fn worker_id(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let nodes = self.m.node_list().await.unwrap();
            if let Some(n) = nodes.iter().find(|n| n.id != self.manager_id) {
                return n.id.clone();
            }
            assert!(Instant::now() < deadline, "the worker never showed up");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
