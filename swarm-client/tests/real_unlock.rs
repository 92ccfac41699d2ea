//! Swarm autolock against a real dockerd of its own: init with autolock, read the unlock key,
//! restart the daemon (the swarm comes back locked), refuse a wrong key, unlock with the right
//! one. The test swarm of scripts/test is left alone: this daemon has its own data root, socket
//! and swarm on 127.0.0.3 (data path port 4790), and is stopped, unmounted and removed on drop,
//! even when the test fails.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use swarm_client::Client;
use swarm_client::swarm::{InitRequest, UnlockKey};

/// A dockerd in a temp dir (flags as scripts/servers.sh: no bridge, no iptables).
struct Daemon {
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl Daemon {
    fn start() -> Self {
        // Its own dir under /tmp keeps the socket path short (sun_path is 108 bytes).
        let dir = tempfile::Builder::new()
            .prefix("dw-unlock-")
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

    fn stop(&mut self) {
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

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.path().join("dockerd.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
        // containerd (started by this dockerd) and its shims live under our exec root.
        let root = self.path().to_string_lossy().into_owned();
        let _ = Command::new("pkill").args(["-f", &root]).status();
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

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn autolocked_swarm_unlocks_after_a_restart() {
    let mut d = Daemon::start();
    let c = d.client().await;
    let node = c
        .swarm_init(
            &InitRequest::new("127.0.0.3:2377")
                .advertise_addr("127.0.0.3")
                .data_path_port(4790)
                .autolock(true),
        )
        .await
        .unwrap_or_else(|e| panic!("swarm init: {e}\n{}", d.log_tail()));
    assert!(!node.is_empty());
    let key = c.swarm_unlock_key().await.unwrap();
    assert!(
        key.expose().starts_with("SWMKEY-1-"),
        "an unlock key, got {} chars",
        key.expose().len()
    );
    assert!(!format!("{key:?}").contains(key.expose()), "Debug redacts");

    // A restarted manager of an autolocked swarm is locked until it gets the key.
    d.stop();
    d.spawn();
    let c = d.client().await;
    let locked = c.swarm_inspect().await.unwrap_err();
    assert!(
        locked.to_string().to_lowercase().contains("locked"),
        "inspect on a locked swarm: {locked}"
    );
    let wrong = c
        .swarm_unlock(&UnlockKey::new(
            "SWMKEY-1-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ))
        .await
        .unwrap_err();
    assert!(
        !wrong.to_string().contains("SWMKEY"),
        "the key never appears in errors: {wrong}"
    );
    c.swarm_unlock(&key)
        .await
        .unwrap_or_else(|e| panic!("unlock: {e}\n{}", d.log_tail()));
    let deadline = Instant::now() + Duration::from_secs(30);
    let swarm = loop {
        match c.swarm_inspect().await {
            Ok(s) => break s,
            Err(e) => {
                assert!(Instant::now() < deadline, "still locked: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    assert!(!swarm.id.is_empty());
    c.swarm_leave(true).await.unwrap();
}
