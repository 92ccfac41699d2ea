//! A private dockerd for tests that restart a daemon or change swarm-wide settings (swarm
//! update, autolock, token rotation, node promote/demote/rm) without touching the swarm of
//! scripts/test: its own temp dir under /tmp with its own socket, data and exec roots (flags as
//! scripts/servers.sh: no bridge, no iptables), and a swarm on a loopback address outside the
//! shared swarm's 127.0.0.1-127.0.0.3 (each caller its own address and data path port).
//!
//! Everything it starts is stopped by PID on drop, even when the test fails: dockerd, the
//! containerd it runs, and the shims and container processes containerd recorded under its
//! exec root, each checked to be ours (process tree, command line naming our dir, parent,
//! start time) before it is signalled; never by name or pattern. Mounts below the temp dir are
//! unmounted and the dir removed.
//!
//! Shared by swarm-client's tests and the dockwright CLI's (`#[path]` include).

#![allow(dead_code, unreachable_pub)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use swarm_client::Client;

/// A process recorded by PID and start time (field 22 of `/proc/PID/stat`): a later process
/// that got the same PID is not ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Proc {
    pid: u32,
    start: u64,
}

impl Proc {
    pub fn of(pid: u32) -> Option<Self> {
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

    pub fn alive(self) -> bool {
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
pub struct Daemon {
    dir: tempfile::TempDir,
    child: Option<Child>,
    /// The loopback address its swarm listens on and advertises.
    pub addr: String,
}

impl Daemon {
    /// Starts dockerd in a new temp dir `/tmp/dw-priv-XXXXXX`; its swarm will use `addr`
    /// (e.g. `127.0.0.41`).
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

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

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

    /// Waits until the daemon answers `/_ping`.
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

    /// What this dockerd started and that may outlive it: its process tree (containerd), and
    /// the shims and container inits containerd recorded in pid files under the exec root. A
    /// shim counts only if its command line names this daemon's dir, an init only if its
    /// parent is such a shim (a pid file may be stale).
    pub fn started(&self) -> HashSet<Proc> {
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
    pub fn stop(&mut self, grace: Duration) -> HashSet<Proc> {
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

    pub fn log_tail(&self) -> String {
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
