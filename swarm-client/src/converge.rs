//! Waiting for a service to converge, like the docker CLI's progress output
//! (`cli/command/service/progress/progress.go`): replicated and global modes, update states
//! (`updating`, `paused`, `completed`, `rollback_*`), a stability window that a failed task
//! resets, progress events, and a timeout naming the tasks that did not converge.
//!
//! Event-driven where it can be: the `/events` stream (service and container events of this
//! service) wakes the waiter early; polling covers what the manager's events do not show (task
//! state changes on other nodes).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::sync::Notify;

use crate::client::Client;
use crate::error::{Error, Result};
pub use crate::error::{NotConverged, TaskProblem};
use crate::events::EventFilter;
use crate::models::{EventType, NodeState, Service, Task, TaskState, UpdateState};
use crate::spec::ServiceMode;
use crate::tasks::TaskFilter;
use crate::watch::{WatchEvent, WatchOptions};

/// One progress report of [`Client::wait_converged`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Progress {
    /// `overall progress: N out of M tasks` (`rollback` when rolling back).
    Overall {
        /// Running tasks.
        running: u64,
        /// Desired tasks.
        desired: u64,
        /// Whether a rollback is in progress.
        rollback: bool,
    },
    /// The state of one slot (`1/3`) or node (global).
    Task {
        /// `slot/replicas` or the node ID.
        id: String,
        /// Observed state.
        state: TaskState,
        /// The task's error, if any.
        err: Option<String>,
    },
    /// All tasks are running; waiting `remaining` to verify they are stable.
    Verifying {
        /// Time left in the stability window.
        remaining: Duration,
    },
    /// A task failed during the stability window; the window restarts.
    TaskFailure,
    /// The orchestrator started a rollback (with its message).
    RollbackStarted {
        /// `UpdateStatus.Message`.
        message: String,
    },
    /// The daemon could not be reached (restarting, connection lost); waiting for it until
    /// the timeout. The stability window starts again once it answers.
    DaemonUnavailable {
        /// The error, as text.
        message: String,
    },
    /// Converged.
    Converged,
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Overall {
                running,
                desired,
                rollback: false,
            } => write!(f, "overall progress: {running} out of {desired} tasks"),
            Self::Overall {
                running, desired, ..
            } => {
                write!(
                    f,
                    "overall progress: rolling back update: {running} out of {desired} tasks"
                )
            }
            Self::Task {
                id, err: Some(e), ..
            } => write!(f, "{id}: {e}"),
            Self::Task { id, state, .. } => write!(f, "{id}: {state}"),
            Self::Verifying { remaining } => write!(
                f,
                "verify: Waiting {} seconds to verify that tasks are stable...",
                remaining.as_secs() + 1
            ),
            Self::TaskFailure => f.write_str("verify: Detected task failure"),
            Self::RollbackStarted { message } => write!(f, "rollback: {message}"),
            Self::DaemonUnavailable { message } => {
                write!(f, "daemon unavailable, waiting for it: {message}")
            }
            Self::Converged => f.write_str("verify: Service converged"),
        }
    }
}

/// A progress callback.
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// Options of [`Client::wait_converged`].
#[derive(Clone)]
#[non_exhaustive]
#[must_use]
pub struct WaitOptions {
    window: Option<Duration>,
    timeout: Duration,
    poll: Duration,
    events: bool,
    progress: Option<ProgressFn>,
}

impl fmt::Debug for WaitOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitOptions")
            .field("window", &self.window)
            .field("timeout", &self.timeout)
            .field("poll", &self.poll)
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

impl Default for WaitOptions {
    fn default() -> Self {
        Self {
            window: None,
            timeout: Duration::from_secs(300),
            poll: Duration::from_millis(100),
            events: true,
            progress: None,
        }
    }
}

impl WaitOptions {
    /// Defaults: window from the spec's `UpdateConfig.Monitor` or 5 s (like the CLI), timeout
    /// 5 min, poll every 100 ms, events on.
    pub fn new() -> Self {
        Self::default()
    }

    /// The stability window (overrides the spec's monitor period); zero returns as soon as
    /// every task runs.
    pub fn window(mut self, w: Duration) -> Self {
        self.window = Some(w);
        self
    }

    /// Gives up after this long with [`Error::NotConverged`].
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    /// Poll interval when no event arrives.
    pub fn poll_interval(mut self, p: Duration) -> Self {
        self.poll = p;
        self
    }

    /// Whether to subscribe to `/events` to wake up early (default on).
    pub fn use_events(mut self, on: bool) -> Self {
        self.events = on;
        self
    }

    /// Calls `f` with every progress report.
    pub fn on_progress(mut self, f: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }
}

/// Success of [`Client::wait_converged`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Converged {
    /// Running tasks.
    pub running: u64,
    /// Desired tasks.
    pub desired: u64,
    /// Set when the orchestrator rolled an update back (its message); the service then runs the
    /// previous spec.
    pub rolled_back: Option<String>,
    /// How long the wait took.
    pub elapsed: Duration,
}

/// The CLI's choice of one task per slot (or node): lowest desired state, then lowest observed.
fn pick<'a, K: std::hash::Hash + Eq>(
    tasks: &'a [Task],
    key: impl Fn(&Task) -> Option<K>,
    active: &HashSet<String>,
    check_node: bool,
) -> HashMap<K, &'a Task> {
    let mut by: HashMap<K, &Task> = HashMap::new();
    for t in tasks {
        let (d, s) = (t.desired().rank(), t.state().rank());
        if d == 0 || s == 0 {
            continue;
        }
        if check_node && !t.node_id.is_empty() && !active.contains(&t.node_id) {
            continue;
        }
        let Some(k) = key(t) else { continue };
        if let Some(e) = by.get(&k) {
            let (ed, es) = (e.desired().rank(), e.state().rank());
            if ed < d || (ed == d && es <= s) {
                continue;
            }
        }
        by.insert(k, t);
    }
    by
}

/// Evaluates one snapshot: (running, desired, converged, per-slot reports).
fn evaluate(
    svc: &Service,
    tasks: &[Task],
    active: &HashSet<String>,
) -> (u64, u64, bool, Vec<Progress>) {
    let mut reports = Vec::new();
    let report = |t: &Task, id: String| Progress::Task {
        id,
        state: t.state(),
        err: Some(t.status.err.clone()).filter(|e| !e.is_empty()),
    };
    match svc.mode() {
        ServiceMode::Replicated(r) => {
            let replicas = r.replicas.unwrap_or(1);
            let by = pick(tasks, |t| t.slot, active, true);
            let mut running = 0;
            let mut slots: Vec<_> = by.iter().collect();
            slots.sort_by_key(|(k, _)| **k);
            for (slot, t) in slots {
                if !t.desired().is_terminal() && t.state() == TaskState::Running {
                    running += 1;
                }
                reports.push(report(t, format!("{slot}/{replicas}")));
            }
            (running, replicas, running == replicas, reports)
        }
        ServiceMode::Global(_) => {
            let by = pick(tasks, |t| Some(t.node_id.clone()), active, false);
            let n = by.len() as u64;
            let mut running = 0;
            for (node, t) in &by {
                if active.contains(node) {
                    if !t.desired().is_terminal() && t.state() == TaskState::Running {
                        running += 1;
                    }
                    reports.push(report(t, node.chars().take(12).collect()));
                }
            }
            (running, n, n > 0 && running == n, reports)
        }
        _ => {
            // Jobs: done when every task of the current spec reached `complete`.
            let complete = tasks
                .iter()
                .filter(|t| t.state() == TaskState::Complete)
                .count() as u64;
            let pending = tasks
                .iter()
                .filter(|t| !t.state().is_terminal() && !t.desired().is_terminal())
                .count();
            (
                complete,
                complete + pending as u64,
                complete > 0 && pending == 0,
                reports,
            )
        }
    }
}

fn problems(svc: &Service, tasks: &[Task]) -> Vec<TaskProblem> {
    // Last error per slot (replicated) or node (global), newest task first.
    let mut sorted: Vec<&Task> = tasks.iter().collect();
    sorted.sort_by(|a, b| b.created_at.cmp(&a.created_at));
    let global = matches!(svc.mode(), ServiceMode::Global(_));
    let mut out: BTreeMap<String, TaskProblem> = BTreeMap::new();
    let mut ok: HashSet<String> = HashSet::new();
    for t in &sorted {
        let key = if global {
            t.node_id.clone()
        } else {
            t.slot.map_or_else(|| t.id.clone(), |s| format!("{s:08}"))
        };
        if !t.desired().is_terminal() && t.state() == TaskState::Running {
            ok.insert(key.clone());
        }
    }
    for t in &sorted {
        let key = if global {
            t.node_id.clone()
        } else {
            t.slot.map_or_else(|| t.id.clone(), |s| format!("{s:08}"))
        };
        if ok.contains(&key) {
            continue;
        }
        match out.get_mut(&key) {
            None => {
                out.insert(
                    key,
                    TaskProblem {
                        task_id: t.id.clone(),
                        slot: t.slot,
                        node_id: t.node_id.clone(),
                        state: t.state(),
                        err: t.status.err.clone(),
                    },
                );
            }
            Some(p) if p.err.is_empty() && !t.status.err.is_empty() => {
                p.err.clone_from(&t.status.err)
            }
            Some(_) => {}
        }
    }
    out.into_values().collect()
}

fn monitor_of(svc: &Service) -> Option<Duration> {
    let ns = svc.spec.update_config.as_ref()?.monitor;
    u64::try_from(ns)
        .ok()
        .filter(|ns| *ns > 0)
        .map(Duration::from_nanos)
}

impl Client {
    /// Waits until the service's tasks run and stay running for the stability window, like
    /// `docker service create/update` without `-d`.
    ///
    /// Returns [`Converged`] (with `rolled_back` set when the orchestrator rolled an update back)
    /// with the running and desired counts of the last snapshot.
    ///
    /// When the daemon reports the rolling update `completed` and every task runs, it returns at
    /// once (the orchestrator already watched each new task for its monitor period). Unlike the
    /// docker CLI it does not return while tasks are still missing. (The daemon clears the status
    /// on every spec change, a scale included, so a `completed` status is never left over from an
    /// earlier update.)
    ///
    /// # Errors
    /// [`Error::NotConverged`] after the timeout (naming the tasks and their last error, e.g.
    /// `No such image: …`); [`Error::DaemonUnavailable`] when the timeout ends while the
    /// daemon cannot be reached (until then a restarting daemon, a refused or cut connection,
    /// a 5xx answer or, after the service was seen, "not a swarm manager" (a daemon stopping
    /// or starting its swarm component says that) is waited out, reported as
    /// [`Progress::DaemonUnavailable`]);
    /// [`Error::UpdatePaused`] / [`Error::RollbackPaused`] when the orchestrator paused; other
    /// API errors.
    pub async fn wait_converged(&self, service: &str, opts: WaitOptions) -> Result<Converged> {
        let start = Instant::now();
        // The daemon may be restarting when the wait starts: wait for it like below.
        let mut reported = false;
        let svc0 = loop {
            match self.service_inspect(service).await {
                Ok(svc) => break svc,
                Err(e) if e.is_transient() => {
                    if start.elapsed() >= opts.timeout {
                        return Err(self.unreachable(service, &opts, e));
                    }
                    if !reported {
                        reported = true;
                        if let Some(f) = &opts.progress {
                            f(&Progress::DaemonUnavailable {
                                message: e.to_string(),
                            });
                        }
                    }
                    let left = opts.timeout.saturating_sub(start.elapsed());
                    tokio::time::sleep(opts.poll.max(Duration::from_millis(200)).min(left)).await;
                }
                Err(e) => return Err(e),
            }
        };
        let id = svc0.id.clone();
        let notify = Arc::new(Notify::new());
        let watcher = if opts.events {
            self.spawn_event_watcher(&id, Arc::clone(&notify)).await
        } else {
            None
        };
        let result = self.wait_loop(&id, &opts, start, &notify).await;
        if let Some(h) = watcher {
            h.abort();
        }
        result
    }

    /// The error of a wait whose timeout ended while the daemon was unreachable.
    fn unreachable(&self, service: &str, opts: &WaitOptions, last: Error) -> Error {
        Error::DaemonUnavailable {
            service: service.to_owned(),
            endpoint: self.endpoint().to_owned(),
            after: opts.timeout,
            source: Box::new(last),
        }
    }

    /// Wakes the poller on every event of this service and after every reconnect of the
    /// event stream (events may have been missed while it was down).
    #[allow(clippy::unused_async)] // kept async: callers await it before polling starts
    async fn spawn_event_watcher(
        &self,
        id: &str,
        notify: Arc<Notify>,
    ) -> Option<tokio::task::JoinHandle<()>> {
        let filter = EventFilter::new().kind("service").kind("container");
        let mut stream = self.watch_events(filter, WatchOptions::new());
        let id = id.to_owned();
        Some(tokio::spawn(async move {
            while let Some(item) = stream.next().await {
                let ours = match item {
                    Ok(WatchEvent::Event(ev)) => match ev.kind {
                        EventType::Service => ev.actor.id == id,
                        EventType::Container => {
                            ev.actor.attributes.get("com.docker.swarm.service.id") == Some(&id)
                        }
                        _ => false,
                    },
                    Ok(WatchEvent::Connected { resumed }) => resumed,
                    Ok(_) => false,
                    Err(e) => {
                        tracing::debug!(error = %e, "events unavailable, polling only");
                        break;
                    }
                };
                if ours {
                    notify.notify_one();
                }
            }
        }))
    }

    async fn wait_loop(
        &self,
        id: &str,
        opts: &WaitOptions,
        start: Instant,
        notify: &Notify,
    ) -> Result<Converged> {
        let emit = |p: Progress| {
            if let Some(f) = &opts.progress {
                f(&p);
            }
        };
        let mut converged_at: Option<Instant> = None;
        let mut rollback = false;
        let mut rolled_back: Option<String> = None;
        let mut last_overall: Option<(u64, u64, bool)> = None;
        // Verifying is reported once per second of the window left, not on every poll.
        let mut last_verify: Option<u64> = None;
        let mut last_reports: HashMap<String, Progress> = HashMap::new();
        let mut nodes_cache: Option<(Instant, HashSet<String>)> = None;
        let mut fast_until = start + Duration::from_secs(1);
        let mut unavailable = false;
        // A transient error (the daemon restarting, a cut connection) is waited out until the
        // timeout; any other error ends the wait.
        macro_rules! or_wait {
            ($call:expr) => {
                match $call {
                    Ok(v) => v,
                    // A daemon shutting down or starting answers "not a swarm manager" while
                    // its swarm component is stopped: it was one when the wait began.
                    Err(e) if e.is_transient() || matches!(e, Error::NotManager { .. }) => {
                        if start.elapsed() >= opts.timeout {
                            return Err(self.unreachable(id, opts, e));
                        }
                        if !unavailable {
                            unavailable = true;
                            emit(Progress::DaemonUnavailable {
                                message: e.to_string(),
                            });
                        }
                        converged_at = None;
                        last_verify = None;
                        nodes_cache = None;
                        let left = opts.timeout.saturating_sub(start.elapsed());
                        tokio::time::sleep(opts.poll.max(Duration::from_millis(200)).min(left))
                            .await;
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            };
        }
        loop {
            let svc = or_wait!(self.service_inspect(id).await);
            let window = opts
                .window
                .or_else(|| monitor_of(&svc))
                .unwrap_or(Duration::from_secs(5));
            let mut update_completed = false;
            if let Some(us) = &svc.update_status {
                match &us.state {
                    Some(UpdateState::Updating) => rollback = false,
                    Some(UpdateState::Completed) => update_completed = true,
                    Some(UpdateState::Paused) => {
                        return Err(Error::UpdatePaused {
                            message: us.message.clone(),
                        });
                    }
                    Some(UpdateState::RollbackStarted) => {
                        if !rollback && !us.message.is_empty() {
                            emit(Progress::RollbackStarted {
                                message: us.message.clone(),
                            });
                        }
                        rollback = true;
                        rolled_back = Some(us.message.clone());
                    }
                    Some(UpdateState::RollbackPaused) => {
                        return Err(Error::RollbackPaused {
                            message: us.message.clone(),
                        });
                    }
                    Some(UpdateState::RollbackCompleted) => {
                        if converged_at.is_none() {
                            rolled_back = Some(us.message.clone());
                        }
                        rollback = true;
                    }
                    _ => {}
                }
            }
            let tasks = or_wait!(
                self.task_list(&TaskFilter::new().service(id).up_to_date())
                    .await
            );
            let active = match &nodes_cache {
                Some((at, set)) if at.elapsed() < Duration::from_secs(2) => set.clone(),
                _ => {
                    let set: HashSet<String> = or_wait!(self.node_list().await)
                        .into_iter()
                        .filter(|n| n.status.state != Some(NodeState::Down))
                        .map(|n| n.id)
                        .collect();
                    nodes_cache = Some((Instant::now(), set.clone()));
                    set
                }
            };
            unavailable = false;
            let (running, desired, converged, reports) = evaluate(&svc, &tasks, &active);
            for r in reports {
                if let Progress::Task { id: key, .. } = &r
                    && last_reports.get(key) != Some(&r)
                {
                    last_reports.insert(key.clone(), r.clone());
                    emit(r);
                }
            }
            if last_overall != Some((running, desired, rollback)) {
                last_overall = Some((running, desired, rollback));
                emit(Progress::Overall {
                    running,
                    desired,
                    rollback,
                });
            }
            if converged {
                // A job, or a rolling update the orchestrator reports completed (it already
                // watched every new task for its monitor period): no window of our own.
                if svc.job_status.is_some() || update_completed {
                    emit(Progress::Converged);
                    return Ok(Converged {
                        running,
                        desired,
                        rolled_back,
                        elapsed: start.elapsed(),
                    });
                }
                let at = *converged_at.get_or_insert_with(Instant::now);
                let since = at.elapsed();
                if since >= window {
                    emit(Progress::Converged);
                    return Ok(Converged {
                        running,
                        desired,
                        rolled_back,
                        elapsed: start.elapsed(),
                    });
                }
                let remaining = window.saturating_sub(since);
                if last_verify != Some(remaining.as_secs()) {
                    last_verify = Some(remaining.as_secs());
                    emit(Progress::Verifying { remaining });
                }
            } else {
                if converged_at.is_some() {
                    emit(Progress::TaskFailure);
                }
                converged_at = None;
                last_verify = None;
            }
            if start.elapsed() >= opts.timeout {
                return Err(Error::NotConverged(Box::new(NotConverged {
                    service: id.to_owned(),
                    after: opts.timeout,
                    running,
                    desired,
                    tasks: problems(&svc, &tasks),
                })));
            }
            // Sleep: short after an event, the poll interval otherwise, never past the window end
            // or the timeout.
            let now = Instant::now();
            let mut sleep = if now < fast_until {
                Duration::from_millis(20)
            } else {
                opts.poll
            };
            if let Some(at) = converged_at {
                sleep = sleep.min((at + window).saturating_duration_since(now));
            }
            sleep = sleep.min(opts.timeout.saturating_sub(start.elapsed()));
            tokio::select! {
                () = tokio::time::sleep(sleep) => {}
                () = notify.notified() => {
                    fast_until = Instant::now() + Duration::from_millis(500);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: &str, slot: u64, state: &str, desired: &str, err: &str) -> Task {
        serde_json::from_value(serde_json::json!({
            "ID": id, "Slot": slot, "NodeID": "n1", "DesiredState": desired,
            "CreatedAt": format!("2024-01-01T00:00:0{slot}Z"),
            "Status": {"State": state, "Err": err}
        }))
        .unwrap()
    }

    fn svc(replicas: u64) -> Service {
        serde_json::from_value(serde_json::json!({
            "ID": "s", "Spec": {"Mode": {"Replicated": {"Replicas": replicas}}}
        }))
        .unwrap()
    }

    #[test]
    fn replicated_counts_like_the_cli() {
        let active: HashSet<String> = ["n1".to_owned()].into();
        let tasks = vec![
            task("a", 1, "running", "running", ""),
            task("b", 2, "failed", "shutdown", "boom"),
            task("c", 2, "preparing", "running", ""),
        ];
        let (running, desired, converged, reports) = evaluate(&svc(2), &tasks, &active);
        assert_eq!((running, desired, converged), (1, 2, false));
        assert!(reports.contains(&Progress::Task {
            id: "2/2".into(),
            state: TaskState::Preparing,
            err: None
        }));
        let tasks = vec![
            task("a", 1, "running", "running", ""),
            task("c", 2, "running", "running", ""),
        ];
        assert!(evaluate(&svc(2), &tasks, &active).2);
        // A task on a down node does not count.
        let none: HashSet<String> = HashSet::new();
        assert!(!evaluate(&svc(2), &tasks, &none).2);
    }

    #[test]
    fn problems_name_the_missing_image() {
        let tasks = vec![
            task(
                "a",
                1,
                "rejected",
                "shutdown",
                "No such image: 127.0.0.1:5000/absent/x:1",
            ),
            task("b", 1, "preparing", "running", ""),
        ];
        let p = problems(&svc(1), &tasks);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].err, "No such image: 127.0.0.1:5000/absent/x:1");
        let nc = NotConverged {
            service: "s".into(),
            after: Duration::from_secs(1),
            running: 0,
            desired: 1,
            tasks: p,
        };
        assert_eq!(nc.missing_image(), Some("127.0.0.1:5000/absent/x:1"));
        assert!(nc.to_string().contains("No such image"));
    }

    #[test]
    fn progress_text_like_the_cli() {
        assert_eq!(
            Progress::Overall {
                running: 1,
                desired: 3,
                rollback: false
            }
            .to_string(),
            "overall progress: 1 out of 3 tasks"
        );
        assert_eq!(Progress::Converged.to_string(), "verify: Service converged");
    }
}
