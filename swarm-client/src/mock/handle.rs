//! The public face of the fake: [`MockSwarmBuilder`] sets it up and starts its server;
//! [`MockSwarm`] is the test's handle on it (its address, its state, the recorded requests,
//! execs and registry auths, the fault knobs).

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use sdk_core::test_server::{self as server, Fault, RecordedRequest};

use super::config::{MockNode, PrivateRegistry, Settings};
use super::render;
use super::router;
use super::shared::Shared;
use super::state::{ExecResult, State, canned_lines};
use crate::spec::ServiceSpec;

/// Builder of a [`MockSwarm`].
#[must_use]
#[derive(Debug, Clone)]
pub struct MockSwarmBuilder {
    cfg: Settings,
}

impl MockSwarmBuilder {
    /// Start as the manager of an initialised single-manager swarm (default `false`: a fresh
    /// daemon, `LocalNodeState` `inactive`, like `dockerd` before `docker swarm init`).
    pub fn initialized(mut self, yes: bool) -> Self {
        self.cfg.initialized = yes;
        self
    }

    /// Add a node that joins the swarm when it is initialised (e.g. a worker on `127.0.0.2`).
    pub fn node(mut self, node: MockNode) -> Self {
        self.cfg.nodes.push(node);
        self
    }

    /// Time a task takes from `new` to `running` (default 100 ms; `ZERO` = running at once).
    pub fn task_delay(mut self, delay: Duration) -> Self {
        self.cfg.task_delay = delay;
        self
    }

    /// The manager node itself (the daemon the API talks to): its hostname (default
    /// `mock-manager`) and the address it advertises when initialised without an
    /// `AdvertiseAddr` (default `127.0.0.1`).
    pub fn manager(mut self, hostname: impl Into<String>, addr: impl Into<String>) -> Self {
        self.cfg.manager = Some((hostname.into(), addr.into()));
        self
    }

    /// The three-node loopback cluster of the day-5 workflow: manager `swarm-docker-m` on
    /// `127.0.0.1`, workers `swarm-docker-w1` on `127.0.0.2` and `swarm-docker-w2` on
    /// `127.0.0.3` (the workers join at `swarm init`, or at once with
    /// [`Self::initialized`]). Other settings are kept; call it before adding more nodes.
    pub fn preset_day5(self) -> Self {
        self.manager("swarm-docker-m", "127.0.0.1")
            .node(MockNode::new("swarm-docker-w1", "127.0.0.2", "worker"))
            .node(MockNode::new("swarm-docker-w2", "127.0.0.3", "worker"))
    }

    /// Delay before a failed (e.g. rejected) task is replaced, for services whose spec has no
    /// `TaskTemplate.RestartPolicy.Delay` (default 5 s, dockerd's default; tests usually want
    /// less, e.g. 200 ms). A spec's own delay always wins, as in dockerd.
    pub fn restart_delay(mut self, delay: Duration) -> Self {
        self.cfg.restart_delay = delay;
        self
    }

    /// Tasks of services whose image is `image` (exactly, or `image` followed by `@digest`) are
    /// rejected with `No such image: IMAGE`, as dockerd does when the pull fails.
    pub fn missing_image(mut self, image: impl Into<String>) -> Self {
        self.cfg.missing_images.push(image.into());
        self
    }

    /// Tasks of services whose image is `image` (exactly, or followed by `@digest`) are
    /// rejected with `error` as their `Status.Err`, the way dockerd rejects a task it cannot
    /// prepare (e.g. `invalid mount config for type "volume": …`); they are replaced after the
    /// restart delay like any rejected task.
    pub fn task_error(mut self, image: impl Into<String>, error: impl Into<String>) -> Self {
        self.cfg.task_errors.push((image.into(), error.into()));
        self
    }

    /// Also serve on a unix socket `docker.sock` in a fresh temporary directory (removed on
    /// drop); see [`MockSwarm::unix_endpoint`].
    pub fn unix_socket(mut self, yes: bool) -> Self {
        self.cfg.unix_socket = yes;
        self
    }

    /// Images under `host/` need credentials: a task is rejected with `No such image: IMAGE`
    /// (what dockerd reports when the pull is denied) unless the service was created or last
    /// updated with an `X-Registry-Auth` header carrying this `username` and `password`, or its
    /// node pulled that image before (dockerd then runs the local copy).
    pub fn private_registry(
        mut self,
        host: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.cfg.private_registries.push(PrivateRegistry {
            host: host.into(),
            username: username.into(),
            password: password.into(),
        });
        self
    }

    /// `GET /distribution/{image}/json` answers with this manifest digest for `image`.
    pub fn image(mut self, image: impl Into<String>, digest: impl Into<String>) -> Self {
        self.cfg.images.push((image.into(), digest.into()));
        self
    }

    /// Binds 127.0.0.1:0 and starts serving on a tokio task.
    ///
    /// # Panics
    /// When no loopback port can be bound; use [`Self::try_start`] to get the error.
    pub async fn start(self) -> MockSwarm {
        match self.try_start().await {
            Ok(s) => s,
            Err(e) => panic!("MockSwarm: cannot bind 127.0.0.1:0: {e}"),
        }
    }

    /// Binds 127.0.0.1:0 and starts serving on a tokio task.
    ///
    /// # Errors
    /// The I/O error when no loopback port can be bound.
    pub async fn try_start(self) -> io::Result<MockSwarm> {
        let (listener, addr) = server::bind_loopback().await?;
        let cfg = self.cfg;
        let mut state = State::new();
        if cfg.initialized {
            let addr = cfg.manager_addr().to_owned();
            state.init(&cfg, &addr);
        }
        let unix_socket = cfg.unix_socket;
        let shared = Arc::new(Shared::new(addr, cfg, state));
        let handler = |shared: &Arc<Shared>| {
            let shared = Arc::clone(shared);
            move |req| {
                let shared = Arc::clone(&shared);
                async move { router::handle(&shared, &req) }
            }
        };
        let tcp = server::serve(server::Listener::Tcp(listener), handler(&shared));
        let unix = if unix_socket {
            let dir = std::env::temp_dir().join(format!("mockswarm-{}", server::random_hex(12)));
            std::fs::create_dir(&dir)?;
            let path = dir.join("docker.sock");
            let listener = match tokio::net::UnixListener::bind(&path) {
                Ok(l) => l,
                Err(e) => {
                    let _ = std::fs::remove_dir_all(&dir);
                    return Err(e);
                }
            };
            let srv = server::serve(server::Listener::Unix(listener), handler(&shared));
            Some((srv, dir))
        } else {
            None
        };
        Ok(MockSwarm {
            shared,
            _server: tcp,
            unix,
        })
    }
}

/// A command run through the exec endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExecRecord {
    /// Container the exec was created in.
    pub container_id: String,
    /// The command (`Cmd`), e.g. `["nginx", "-s", "reload"]`.
    pub cmd: Vec<String>,
    /// Whether `/exec/{id}/start` was called.
    pub started: bool,
}

/// A stateful fake Docker Engine API manager on `tcp://127.0.0.1:PORT` (API 1.41).
///
/// Stops serving when dropped.
///
/// ```no_run
/// # async fn demo() {
/// use swarm_client::mock::{MockNode, MockSwarm};
/// let swarm = MockSwarm::builder()
///     .initialized(true)
///     .node(MockNode::new("worker-1", "127.0.0.2", "worker"))
///     .start()
///     .await;
/// println!("DOCKER_HOST={}", swarm.endpoint());
/// # }
/// ```
pub struct MockSwarm {
    shared: Arc<Shared>,
    _server: server::ServerHandle,
    unix: Option<(server::ServerHandle, PathBuf)>,
}

impl Drop for MockSwarm {
    fn drop(&mut self) {
        if let Some((_, dir)) = &self.unix {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl std::fmt::Debug for MockSwarm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockSwarm")
            .field("addr", &self.shared.addr)
            .finish()
    }
}

impl MockSwarm {
    /// A builder (inactive daemon, no extra nodes, 100 ms task delay).
    pub fn builder() -> MockSwarmBuilder {
        MockSwarmBuilder {
            cfg: Settings::default(),
        }
    }

    /// Starts a fresh daemon (not in a swarm) with default options.
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub async fn start() -> Self {
        Self::builder().start().await
    }

    /// The socket address.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// `tcp://127.0.0.1:PORT`, usable as `DOCKER_HOST`.
    #[must_use]
    pub fn endpoint(&self) -> String {
        format!("tcp://{}", self.shared.addr)
    }

    /// `unix:///…/docker.sock` when built with [`MockSwarmBuilder::unix_socket`].
    #[must_use]
    pub fn unix_endpoint(&self) -> Option<String> {
        self.unix
            .as_ref()
            .map(|(_, dir)| format!("unix://{}", dir.join("docker.sock").display()))
    }

    /// `http://127.0.0.1:PORT`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.shared.addr)
    }

    /// The next `POST /services/{id}/update` is answered `500 update out of sequence`
    /// whatever its `version`.
    pub fn inject_out_of_sequence(&self) {
        self.shared.lock().out_of_sequence += 1;
    }

    /// The `n`-th request from now on (1 = the next) is answered with `status` and
    /// `{"message":"injected fault"}`.
    pub fn fail_nth(&self, n: u64, status: u16) {
        self.inject_fault(n, Fault::status(status));
    }

    /// Schedules any [`Fault`] for the `n`-th request from now on (1 = the next): a status
    /// with `Retry-After` ([`Fault::retry_after`]) or a connection dropped after half of the
    /// response body ([`Fault::DropConnection`]).
    pub fn inject_fault(&self, n: u64, fault: Fault) {
        self.shared.lock().log.inject(n, fault);
    }

    /// Stops the task clock: every task stays in the state it has reached (tasks created from
    /// now on stay `new`) and restart delays stand still, until [`Self::resume_tasks`]. An
    /// update or rollback that replaces tasks therefore stays in progress (`UpdateStatus`
    /// `updating` or `rollback_started`) for as long as a test needs to look at it, however
    /// slow the machine. Pausing a paused fake does nothing.
    pub fn pause_tasks(&self) {
        self.shared.lock().pause_tasks();
    }

    /// Starts the task clock again after [`Self::pause_tasks`]: tasks go on from where they
    /// stood (a task paused at `assigned` is `running` a little over half the task delay
    /// later). Does nothing when the clock runs.
    pub fn resume_tasks(&self) {
        self.shared.lock().resume_tasks(&self.shared.cfg);
    }

    /// An exec of exactly `cmd` prints `stdout`/`stderr` and exits with `exit_code`
    /// (default for any command: no output, exit 0).
    pub fn set_exec_result(&self, cmd: &[&str], stdout: &str, stderr: &str, exit_code: i64) {
        let cmd: Vec<String> = cmd.iter().map(|s| (*s).to_owned()).collect();
        let mut st = self.shared.lock();
        st.exec_results.retain(|r| r.cmd != cmd);
        st.exec_results.push(ExecResult {
            cmd,
            stdout: stdout.as_bytes().to_vec(),
            stderr: stderr.as_bytes().to_vec(),
            exit_code,
        });
    }

    /// Every exec created so far, in order of container ID.
    #[must_use]
    pub fn execs(&self) -> Vec<ExecRecord> {
        let st = self.shared.lock();
        let mut out: Vec<ExecRecord> = st
            .execs
            .values()
            .map(|e| ExecRecord {
                container_id: e.container_id.clone(),
                cmd: e.cmd.clone(),
                started: e.started,
            })
            .collect();
        out.sort_by(|a, b| a.container_id.cmp(&b.container_id));
        out
    }

    /// Canned log lines of `service` (name or ID) for `GET /services/{id}/logs` (and of its
    /// tasks' `GET /tasks/{id}/logs`; a task ID given here sets that task's own lines), replacing
    /// any earlier ones: each line is sent on stdout (`stream` 1) or stderr (`stream` 2); a `\n`
    /// is added when missing. Lines are stamped with the current time (for `timestamps` and
    /// `since`).
    pub fn set_service_logs(&self, service: &str, lines: &[(u8, &str)]) {
        let lines = canned_lines(lines);
        self.shared.lock().logs.insert(service.to_owned(), lines);
    }

    /// Appends log lines to `service` (name or ID), as a running task would print them: a
    /// `logs?follow=1` stream that is open sends them at once.
    pub fn append_service_logs(&self, service: &str, lines: &[(u8, &str)]) {
        let lines = canned_lines(lines);
        self.shared
            .lock()
            .logs
            .entry(service.to_owned())
            .or_default()
            .extend(lines);
    }

    /// The decoded `X-Registry-Auth` JSON sent with each service create/update, as
    /// `(service name, JSON)` in order; an undecodable header is recorded as `null`.
    #[must_use]
    pub fn registry_auths(&self) -> Vec<(String, Value)> {
        self.shared.lock().registry_auths.clone()
    }

    /// Every request received so far (secrets redacted).
    #[must_use]
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().log.requests().to_vec()
    }

    /// Forget the recorded requests.
    pub fn clear_requests(&self) {
        self.shared.lock().log.clear();
    }

    /// The current inspect JSON of every service (what `GET /services/{id}` answers).
    #[must_use]
    pub fn services(&self) -> Vec<Value> {
        let st = self.shared.lock_ticked();
        st.services
            .iter()
            .map(|s| render::service(&st, s, false))
            .collect()
    }

    /// The stored spec of service `name` (name or ID), typed: what the daemon keeps after
    /// filling in its defaults, fields the fake does not interpret included.
    #[must_use]
    pub fn service_spec(&self, name: &str) -> Option<ServiceSpec> {
        let st = self.shared.lock_ticked();
        st.find_service(name).map(|i| st.services[i].spec.clone())
    }

    /// The files of image `name` (ID, `name:tag` or `name@digest`) as a container would see
    /// them: every layer's regular files by path, upper layers winning (whiteouts are not
    /// applied). What a test of its own build automation asserts on: the context files a
    /// build copied in, after `.dockerignore`. `None` when the daemon has no such image.
    #[must_use]
    pub fn image_files(&self, name: &str) -> Option<BTreeMap<String, Vec<u8>>> {
        let st = self.shared.lock();
        let i = st.find_image(name)?;
        Some(st.images[i].files())
    }

    /// The `name:tag` references of every image the daemon holds (images without one are
    /// left out), sorted.
    #[must_use]
    pub fn image_tags(&self) -> Vec<String> {
        let st = self.shared.lock();
        let mut tags: Vec<String> = st
            .images
            .iter()
            .flat_map(|i| i.repo_tags.iter().cloned())
            .collect();
        tags.sort();
        tags
    }

    /// The current JSON of every task (what `GET /tasks/{id}` answers).
    #[must_use]
    pub fn tasks(&self) -> Vec<Value> {
        let st = self.shared.lock_ticked();
        let clock = st.clock(&self.shared.cfg);
        st.tasks.iter().map(|t| render::task(t, &clock)).collect()
    }
}
