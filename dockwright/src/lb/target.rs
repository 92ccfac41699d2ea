//! Where a rendered config goes: an nginx on this machine, or nginx inside a swarm task
//! (validated and reloaded with `exec` through the daemon of the node the task runs on).

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lb_config::nginx::{Applied, ApplyError, ApplyOptions, NginxRunner, apply_with};
use swarm_client::Client;
use swarm_client::exec::{ExecOptions, NodeEndpoints};
use swarm_client::tasks::ServiceSlot;

use super::balancer::Rendered;
use crate::error::Result;

/// Writes a rendered config, validates it, reloads nginx and confirms, or leaves the previous
/// config serving. Blocking: [`crate::lb::LbWatcher`] calls it on a blocking thread.
pub trait ApplyTarget: Send + Sync {
    /// Applies `config`.
    ///
    /// # Errors
    /// [`crate::Error::Apply`] when nginx refuses or cannot be reloaded (the previous config is
    /// back in place, as [`lb_config::nginx::apply_with`] guarantees).
    fn apply(&self, config: &Rendered) -> Result<Applied>;

    /// One line naming where configs go (for reports and logs).
    fn describe(&self) -> String;
}

/// How long to wait for nginx to confirm a reload, and where to ask for a version marker.
#[derive(Debug, Clone)]
struct Confirm {
    timeout: Duration,
    marker_at: Option<(SocketAddr, Option<String>)>,
}

impl Confirm {
    fn options(&self, config: &Rendered) -> ApplyOptions {
        let mut opts = ApplyOptions::new().timeout(self.timeout);
        if let (Some(hash), Some((addr, host))) = (&config.marker, &self.marker_at) {
            opts = opts.confirm_marker(*addr, hash.clone());
            if let Some(h) = host {
                opts = opts.marker_host(h.clone());
            }
        }
        opts
    }
}

/// An nginx this process can run: the config file and the runner that validates and reloads
/// (`lb_config::nginx::Nginx` for the real binary, `RecordingRunner` for a dry run).
#[must_use]
pub struct LocalNginx {
    conf: PathBuf,
    runner: Box<dyn NginxRunner + Send + Sync>,
    confirm: Confirm,
}

impl std::fmt::Debug for LocalNginx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalNginx")
            .field("conf", &self.conf)
            .field("confirm", &self.confirm)
            .finish_non_exhaustive()
    }
}

impl LocalNginx {
    /// Configs go to `conf`; `runner` validates and reloads. Reloads are confirmed within 10 s.
    pub fn new(conf: impl Into<PathBuf>, runner: impl NginxRunner + Send + Sync + 'static) -> Self {
        Self {
            conf: conf.into(),
            runner: Box::new(runner),
            confirm: Confirm {
                timeout: Duration::from_secs(10),
                marker_at: None,
            },
        }
    }

    /// How long to wait for a reload to be confirmed.
    pub fn confirm_timeout(mut self, t: Duration) -> Self {
        self.confirm.timeout = t;
        self
    }

    /// Confirm reloads by asking `addr` for the version marker (configs rendered with
    /// [`crate::lb::Balancer::version_marker`]), sending `host` as `Host` when given.
    pub fn confirm_marker_at(mut self, addr: SocketAddr, host: Option<String>) -> Self {
        self.confirm.marker_at = Some((addr, host));
        self
    }

    /// The config file.
    #[must_use]
    pub fn conf(&self) -> &Path {
        &self.conf
    }
}

impl ApplyTarget for LocalNginx {
    fn apply(&self, config: &Rendered) -> Result<Applied> {
        let opts = self.confirm.options(config);
        Ok(apply_with(
            &self.conf,
            config.text.as_bytes(),
            self.runner.as_ref(),
            &opts,
        )?)
    }

    fn describe(&self) -> String {
        self.conf.display().to_string()
    }
}

/// nginx inside the container of a swarm task (`SERVICE.SLOT`, slot 1 by default): the config
/// file is written on this machine where the task sees it (a bind-mounted directory or an NFS
/// share mounted here too), and `nginx -t` / `nginx -s reload` run in the task's container with
/// `exec`, through the daemon of the node the task runs on (found in `nodes`).
pub struct TaskNginx {
    conf: PathBuf,
    runner: TaskExec,
    confirm: Confirm,
}

impl std::fmt::Debug for TaskNginx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskNginx")
            .field("conf", &self.conf)
            .field("slot", &self.runner.slot)
            .finish_non_exhaustive()
    }
}

impl TaskNginx {
    /// nginx in task 1 of `service`; configs are written to `conf_on_host`. Must be called
    /// inside a tokio runtime (exec runs on it).
    ///
    /// # Errors
    /// [`crate::Error::Swarm`] for an invalid service name.
    pub fn new(
        client: Client,
        service: &str,
        conf_on_host: impl Into<PathBuf>,
        nodes: NodeEndpoints,
    ) -> Result<Self> {
        Ok(Self {
            conf: conf_on_host.into(),
            runner: TaskExec {
                client,
                slot: ServiceSlot::new(service, 1)?,
                nodes,
                handle: tokio::runtime::Handle::current(),
                log: Arc::default(),
            },
            confirm: Confirm {
                timeout: Duration::from_secs(10),
                marker_at: None,
            },
        })
    }

    /// The task's slot (default 1).
    ///
    /// # Errors
    /// [`crate::Error::Swarm`] for slot 0.
    pub fn slot(mut self, slot: u64) -> Result<Self> {
        self.runner.slot = ServiceSlot::new(self.runner.slot.service(), slot)?;
        Ok(self)
    }

    /// How long to wait for a reload to be confirmed.
    #[must_use]
    pub fn confirm_timeout(mut self, t: Duration) -> Self {
        self.confirm.timeout = t;
        self
    }

    /// Confirm reloads by asking `addr` for the version marker.
    #[must_use]
    pub fn confirm_marker_at(mut self, addr: SocketAddr, host: Option<String>) -> Self {
        self.confirm.marker_at = Some((addr, host));
        self
    }

    /// What was run in the task, one line each (`exec in SVC.1: nginx -t → exit 0 (12 ms)`).
    #[must_use]
    pub fn exec_log(&self) -> Vec<String> {
        self.runner
            .log
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default()
    }

    /// The runner alone, for `lb_config::nginx::apply_with` with your own file handling.
    #[must_use]
    pub fn runner(&self) -> &(dyn NginxRunner + Send + Sync) {
        &self.runner
    }
}

impl ApplyTarget for TaskNginx {
    fn apply(&self, config: &Rendered) -> Result<Applied> {
        let opts = self.confirm.options(config);
        Ok(apply_with(
            &self.conf,
            config.text.as_bytes(),
            &self.runner,
            &opts,
        )?)
    }

    fn describe(&self) -> String {
        format!("{} (nginx in {})", self.conf.display(), self.runner.slot)
    }
}

/// `nginx -t`, `nginx -s reload` and `ps` in a task's container.
struct TaskExec {
    client: Client,
    slot: ServiceSlot,
    nodes: NodeEndpoints,
    handle: tokio::runtime::Handle,
    log: Arc<Mutex<Vec<String>>>,
}

impl TaskExec {
    /// Runs `cmd` in the task; `Ok` is stdout, `Err` stderr (or the API error). Logged unless
    /// it is a poll.
    fn exec(&self, cmd: &[&str], log: bool) -> std::result::Result<Vec<u8>, String> {
        let opts = ExecOptions::new(cmd.iter().copied());
        let started = std::time::Instant::now();
        let r = self
            .handle
            .block_on(self.client.exec_in_task(&self.slot, &opts, &self.nodes));
        if log {
            let line = match &r {
                Ok(res) => format!(
                    "exec in {}: {} → exit {} ({} ms){}",
                    self.slot,
                    cmd.join(" "),
                    res.exit_code,
                    started.elapsed().as_millis(),
                    one_line(&res.output.stderr)
                        .map(|s| format!(": {s}"))
                        .unwrap_or_default()
                ),
                Err(e) => format!("exec in {}: {} failed: {e}", self.slot, cmd.join(" ")),
            };
            tracing::debug!("{line}");
            if let Ok(mut l) = self.log.lock() {
                l.push(line);
            }
        }
        match r {
            Ok(res) if res.exit_code == 0 => Ok(res.output.stdout),
            Ok(res) => Err(format!(
                "exit {}: {}",
                res.exit_code,
                String::from_utf8_lossy(&res.output.stderr).trim()
            )),
            Err(e) => Err(e.to_string()),
        }
    }
}

fn one_line(b: &[u8]) -> Option<String> {
    let s = String::from_utf8_lossy(b);
    let s: Vec<&str> = s.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    (!s.is_empty()).then(|| s.join(" | "))
}

impl NginxRunner for TaskExec {
    fn validate(&self) -> std::result::Result<(), ApplyError> {
        self.exec(&["nginx", "-t"], true)
            .map(drop)
            .map_err(|stderr| ApplyError::Invalid { stderr })
    }

    fn reload(&self) -> std::result::Result<(), ApplyError> {
        self.exec(&["nginx", "-s", "reload"], true)
            .map(drop)
            .map_err(|stderr| ApplyError::Reload { stderr })
    }

    /// The accepting workers, from `ps` in the task (busybox's), so an apply also waits until
    /// no old worker can take a new connection.
    fn workers(&self) -> Option<BTreeSet<u32>> {
        let out = self.exec(&["ps", "-o", "pid,args"], false).ok()?;
        accepting_workers(&String::from_utf8_lossy(&out))
    }
}

/// The pids of `ps -o pid,args` lines that are nginx workers still accepting connections; `None`
/// when the output shows no nginx master (nothing observed).
fn accepting_workers(ps: &str) -> Option<BTreeSet<u32>> {
    if !ps.contains("nginx: master process") {
        return None;
    }
    let pids = ps
        .lines()
        .filter_map(|l| {
            let (pid, args) = l.trim().split_once(char::is_whitespace)?;
            let pid = pid.parse::<u32>().ok()?;
            lb_config::nginx::is_accepting_worker(args).then_some(pid)
        })
        .collect();
    Some(pids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepting_workers_from_busybox_ps() {
        let ps = "PID   USER     TIME  COMMAND\n    1 root      0:00 nginx: master process nginx -g daemon off;\n   14 nobody    0:00 nginx: worker process is shutting down\n   21 nobody    0:00 nginx: worker process\n   22 nobody    0:00 nginx: worker process\n   30 root      0:00 ps -o pid,args\n";
        // `-o pid,args` prints only two columns; the wider default format must not confuse it.
        let narrow = "PID   COMMAND\n    1 nginx: master process nginx -g daemon off;\n   14 nginx: worker process is shutting down\n   21 nginx: worker process\n";
        assert_eq!(accepting_workers(ps), Some([21, 22].into()));
        assert_eq!(accepting_workers(narrow), Some([21].into()));
        // Only old workers left: observed, none accepting.
        let old_only = "PID   COMMAND\n    1 nginx: master process nginx\n   14 nginx: worker process is shutting down\n";
        assert_eq!(accepting_workers(old_only), Some(BTreeSet::new()));
        // No nginx master in the output (a fake exec): nothing observed.
        assert_eq!(accepting_workers("PID   COMMAND\n"), None);
        assert_eq!(accepting_workers(""), None);
    }
}
