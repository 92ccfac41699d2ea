//! `MockSwarm`: a stateful fake Docker Engine API (swarm manager) on a loopback HTTP server.

use std::collections::{HashMap, HashSet};
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use bytes::Bytes;
use http::{Method, Response, StatusCode};
use serde_json::{Value, json};

use sdk_core::test_server::{
    self as server, Body, Fault, RecordedRequest, Request as Req, RequestLog, response,
};

const API_VERSION: &str = "1.41";
const MIN_API_VERSION: &str = "1.12";
const NOT_IN_SWARM: &str = "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again.";
const NOT_MANAGER: &str = "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. Please run this command on a manager node or promote the current node to a manager.";
/// dockerd's default `RestartPolicy.Delay`.
const DEFAULT_RESTART_DELAY: Duration = Duration::from_secs(5);
const STATES: [&str; 6] = [
    "new",
    "pending",
    "assigned",
    "preparing",
    "starting",
    "running",
];

/// A node of the fake cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MockNode {
    /// Node hostname (`Description.Hostname`).
    pub hostname: String,
    /// Node address (`Status.Addr`), e.g. `127.0.0.2`.
    pub addr: String,
    /// `manager` or `worker`.
    pub role: String,
}

impl MockNode {
    /// A node with `hostname`, `addr` and `role` (`manager` or `worker`).
    pub fn new(
        hostname: impl Into<String>,
        addr: impl Into<String>,
        role: impl Into<String>,
    ) -> Self {
        Self {
            hostname: hostname.into(),
            addr: addr.into(),
            role: role.into(),
        }
    }
}

/// Builder of a [`MockSwarm`].
#[must_use]
#[derive(Debug, Clone)]
pub struct MockSwarmBuilder {
    initialized: bool,
    nodes: Vec<MockNode>,
    task_delay: Duration,
    missing_images: Vec<String>,
    task_errors: Vec<(String, String)>,
    private_registries: Vec<(String, String, String)>,
    unix_socket: bool,
    images: Vec<(String, String)>,
    restart_delay: Duration,
    manager: Option<(String, String)>,
}

impl MockSwarmBuilder {
    /// Start as the manager of an initialised single-manager swarm (default `false`: a fresh
    /// daemon, `LocalNodeState` `inactive`, like `dockerd` before `docker swarm init`).
    pub fn initialized(mut self, yes: bool) -> Self {
        self.initialized = yes;
        self
    }

    /// Add a node that joins the swarm when it is initialised (e.g. a worker on `127.0.0.2`).
    pub fn node(mut self, node: MockNode) -> Self {
        self.nodes.push(node);
        self
    }

    /// Time a task takes from `new` to `running` (default 100 ms; `ZERO` = running at once).
    pub fn task_delay(mut self, delay: Duration) -> Self {
        self.task_delay = delay;
        self
    }

    /// The manager node itself (the daemon the API talks to): its hostname (default
    /// `mock-manager`) and the address it advertises when initialised without an
    /// `AdvertiseAddr` (default `127.0.0.1`).
    pub fn manager(mut self, hostname: impl Into<String>, addr: impl Into<String>) -> Self {
        self.manager = Some((hostname.into(), addr.into()));
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

    fn manager_hostname(&self) -> &str {
        self.manager
            .as_ref()
            .map_or("mock-manager", |m| m.0.as_str())
    }

    fn manager_addr(&self) -> &str {
        self.manager.as_ref().map_or("127.0.0.1", |m| m.1.as_str())
    }

    /// Delay before a failed (e.g. rejected) task is replaced, for services whose spec has no
    /// `TaskTemplate.RestartPolicy.Delay` (default 5 s, dockerd's default; tests usually want
    /// less, e.g. 200 ms). A spec's own delay always wins, as in dockerd.
    pub fn restart_delay(mut self, delay: Duration) -> Self {
        self.restart_delay = delay;
        self
    }

    /// Tasks of services whose image is `image` (exactly, or `image` followed by `@digest`) are
    /// rejected with `No such image: IMAGE`, as dockerd does when the pull fails.
    pub fn missing_image(mut self, image: impl Into<String>) -> Self {
        self.missing_images.push(image.into());
        self
    }

    /// Tasks of services whose image is `image` (exactly, or followed by `@digest`) are
    /// rejected with `error` as their `Status.Err`, the way dockerd rejects a task it cannot
    /// prepare (e.g. `invalid mount config for type "volume": …`); they are replaced after the
    /// restart delay like any rejected task.
    pub fn task_error(mut self, image: impl Into<String>, error: impl Into<String>) -> Self {
        self.task_errors.push((image.into(), error.into()));
        self
    }

    /// Also serve on a unix socket `docker.sock` in a fresh temporary directory (removed on
    /// drop); see [`MockSwarm::unix_endpoint`].
    pub fn unix_socket(mut self, yes: bool) -> Self {
        self.unix_socket = yes;
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
        self.private_registries
            .push((host.into(), username.into(), password.into()));
        self
    }

    /// `GET /distribution/{image}/json` answers with this manifest digest for `image`.
    pub fn image(mut self, image: impl Into<String>, digest: impl Into<String>) -> Self {
        self.images.push((image.into(), digest.into()));
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
        let mut state = State {
            index: 10,
            log: RequestLog::new(usize::MAX),
            ..State::default()
        };
        state.self_node = new_id();
        if self.initialized {
            let addr = self.manager_addr().to_owned();
            state.init(&self, &addr);
        }
        let inner = Arc::new(Inner {
            addr,
            cfg: self,
            state: Mutex::new(state),
        });
        let make_handler = |inner: &Arc<Inner>| {
            let handler_inner = Arc::clone(inner);
            move |req| {
                let inner = Arc::clone(&handler_inner);
                async move { inner.handle(req) }
            }
        };
        let srv = server::serve(server::Listener::Tcp(listener), make_handler(&inner));
        let unix = if inner.cfg.unix_socket {
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
            let srv = server::serve(server::Listener::Unix(listener), make_handler(&inner));
            Some((srv, dir))
        } else {
            None
        };
        Ok(MockSwarm {
            inner,
            _server: srv,
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

#[derive(Debug, Clone)]
struct Node {
    id: String,
    hostname: String,
    addr: String,
    role: String,
    availability: String,
    labels: Value,
    version: u64,
    created: String,
    updated: String,
}

#[derive(Debug, Clone)]
struct Service {
    id: String,
    spec: Value,
    previous: Option<Value>,
    version: u64,
    created: String,
    updated: String,
    /// `UpdateStatus`: state, message, completion time.
    update_status: Option<(String, String, Option<String>)>,
    auth: Option<Value>,
}

#[derive(Debug, Clone)]
struct Task {
    id: String,
    service_id: String,
    slot: u64,
    node_id: String,
    spec: Value,
    version: u64,
    start: Instant,
    start_wall: SystemTime,
    error: Option<String>,
    desired: String,
    shutdown: bool,
    container_id: String,
    reported: String,
    unschedulable: Option<String>,
    /// For a restarted task (desired state `ready`): when the restart delay is over.
    release_at: Option<Instant>,
}

/// One canned log line of a service.
#[derive(Debug, Clone)]
struct LogLine {
    stream: u8,
    text: String,
    at: SystemTime,
}

/// A configured exec answer: (command, stdout, stderr, exit code).
type ExecResult = (Vec<String>, Vec<u8>, Vec<u8>, i64);

#[derive(Debug, Clone)]
struct Exec {
    container_id: String,
    cmd: Vec<String>,
    started: bool,
    exit: Option<i64>,
}

#[derive(Debug, Default)]
struct State {
    index: u64,
    swarm: Option<Value>,
    local_state: String,
    control: bool,
    self_node: String,
    nodes: Vec<Node>,
    services: Vec<Service>,
    tasks: Vec<Task>,
    configs: Vec<Value>,
    secrets: Vec<Value>,
    /// Networks created through the API (the predefined ones are [`mock_networks`]).
    networks: Vec<Value>,
    execs: HashMap<String, Exec>,
    exec_results: Vec<ExecResult>,
    logs: HashMap<String, Vec<LogLine>>,
    registry_auths: Vec<(String, Value)>,
    /// `(node ID, image)` pairs a node has pulled: like dockerd, a node that has an image runs
    /// it even when a later pull without credentials fails.
    pulled: HashSet<(String, String)>,
    out_of_sequence: u32,
    log: RequestLog,
    events: Vec<(u128, Value)>,
}

struct Inner {
    addr: SocketAddr,
    cfg: MockSwarmBuilder,
    state: Mutex<State>,
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
    inner: Arc<Inner>,
    _server: server::ServerHandle,
    unix: Option<(server::ServerHandle, std::path::PathBuf)>,
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
            .field("addr", &self.inner.addr)
            .finish()
    }
}

impl MockSwarm {
    /// A builder (inactive daemon, no extra nodes, 100 ms task delay).
    pub fn builder() -> MockSwarmBuilder {
        MockSwarmBuilder {
            initialized: false,
            nodes: Vec::new(),
            task_delay: Duration::from_millis(100),
            missing_images: Vec::new(),
            task_errors: Vec::new(),
            private_registries: Vec::new(),
            unix_socket: false,
            images: Vec::new(),
            restart_delay: DEFAULT_RESTART_DELAY,
            manager: None,
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
        self.inner.addr
    }

    /// `tcp://127.0.0.1:PORT`, usable as `DOCKER_HOST`.
    #[must_use]
    pub fn endpoint(&self) -> String {
        format!("tcp://{}", self.inner.addr)
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
        format!("http://{}", self.inner.addr)
    }

    /// The next `POST /services/{id}/update` is answered `500 update out of sequence`
    /// whatever its `version`.
    pub fn inject_out_of_sequence(&self) {
        self.inner.lock().out_of_sequence += 1;
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
        self.inner.lock().log.inject(n, fault);
    }

    /// An exec of exactly `cmd` prints `stdout`/`stderr` and exits with `exit_code`
    /// (default for any command: no output, exit 0).
    pub fn set_exec_result(&self, cmd: &[&str], stdout: &str, stderr: &str, exit_code: i64) {
        let cmd: Vec<String> = cmd.iter().map(|s| (*s).to_owned()).collect();
        let mut st = self.inner.lock();
        st.exec_results.retain(|(c, ..)| *c != cmd);
        st.exec_results.push((
            cmd,
            stdout.as_bytes().to_vec(),
            stderr.as_bytes().to_vec(),
            exit_code,
        ));
    }

    /// Every exec created so far, in order.
    #[must_use]
    pub fn execs(&self) -> Vec<ExecRecord> {
        let st = self.inner.lock();
        let mut v: Vec<(&String, &Exec)> = st.execs.iter().collect();
        v.sort_by_key(|(id, _)| (*id).clone());
        let mut out: Vec<ExecRecord> = v
            .into_iter()
            .map(|(_, e)| ExecRecord {
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
        let lines = log_lines(lines);
        self.inner.lock().logs.insert(service.to_owned(), lines);
    }

    /// Appends log lines to `service` (name or ID), as a running task would print them: a
    /// `logs?follow=1` stream that is open sends them at once.
    pub fn append_service_logs(&self, service: &str, lines: &[(u8, &str)]) {
        let lines = log_lines(lines);
        self.inner
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
        self.inner.lock().registry_auths.clone()
    }

    /// Every request received so far (secrets redacted).
    #[must_use]
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.inner.lock().log.requests().to_vec()
    }

    /// Forget the recorded requests.
    pub fn clear_requests(&self) {
        self.inner.lock().log.clear();
    }

    /// The current inspect JSON of every service.
    #[must_use]
    pub fn services(&self) -> Vec<Value> {
        let mut st = self.inner.lock();
        st.tick(&self.inner.cfg);
        st.services
            .iter()
            .map(|s| st.service_json(s, false))
            .collect()
    }

    /// The current JSON of every task.
    #[must_use]
    pub fn tasks(&self) -> Vec<Value> {
        let mut st = self.inner.lock();
        st.tick(&self.inner.cfg);
        let cfg = &self.inner.cfg;
        st.tasks.iter().map(|t| task_json(t, cfg)).collect()
    }
}

fn log_lines(lines: &[(u8, &str)]) -> Vec<LogLine> {
    let at = SystemTime::now();
    lines
        .iter()
        .map(|(stream, l)| LogLine {
            stream: *stream,
            text: if l.ends_with('\n') {
                (*l).to_owned()
            } else {
                format!("{l}\n")
            },
            at,
        })
        .collect()
}

/// Parses a Docker API time (`SECONDS[.NANOS]`) into nanoseconds since the epoch.
fn parse_api_time(s: &str) -> Option<u128> {
    let (secs, frac) = s.split_once('.').unwrap_or((s, "0"));
    let secs: u128 = secs.parse().ok()?;
    let frac = format!("{frac:0<9}");
    Some(secs * 1_000_000_000 + frac.get(..9)?.parse::<u128>().ok()?)
}

fn nanos_of(t: SystemTime) -> u128 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

fn new_id() -> String {
    // Swarm object IDs are 25 characters of [0-9a-z].
    let hex = server::random_hex(50);
    hex.as_bytes()
        .chunks(2)
        .map(|c| {
            let v = u8::from_str_radix(std::str::from_utf8(c).unwrap_or("0"), 16).unwrap_or(0) % 36;
            char::from_digit(u32::from(v), 36).unwrap_or('0')
        })
        .collect()
}

fn now_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

use sdk_core::test_server::rfc3339;

fn now_str() -> String {
    rfc3339(SystemTime::now())
}

/// The networks every mock daemon has (only these: the fake does not create networks).
fn mock_networks() -> Value {
    json!([
        {"Name": "host", "Id": "mockhostnetwork", "Scope": "local", "Driver": "host", "Ingress": false, "Labels": {}},
        {"Name": "bridge", "Id": "mockbridgenetwork", "Scope": "local", "Driver": "bridge", "Ingress": false, "Labels": {}},
    ])
}

fn msg(status: StatusCode, message: &str) -> Response<Body> {
    json_resp(status, &json!({ "message": message }))
}

fn json_resp(status: StatusCode, v: &Value) -> Response<Body> {
    response(
        status,
        &[
            ("Api-Version", API_VERSION.to_owned()),
            ("Content-Type", "application/json".to_owned()),
            ("Docker-Experimental", "false".to_owned()),
            ("Ostype", "linux".to_owned()),
            ("Server", "Docker/20.10.24+dfsg1 (linux) mock".to_owned()),
        ],
        serde_json::to_vec(v).unwrap_or_default(),
    )
}

fn empty_resp(status: StatusCode) -> Response<Body> {
    response(
        status,
        &[("Api-Version", API_VERSION.to_owned())],
        Bytes::new(),
    )
}

/// One frame of Docker's multiplexed stream: `[stream,0,0,0,len(u32 BE)] + payload`.
fn frame(stream: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![stream, 0, 0, 0];
    out.extend_from_slice(
        &u32::try_from(payload.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes(),
    );
    out.extend_from_slice(payload);
    out
}

fn raw_stream(body: Vec<u8>) -> Response<Body> {
    response(
        StatusCode::OK,
        &[
            ("Api-Version", API_VERSION.to_owned()),
            (
                "Content-Type",
                "application/vnd.docker.raw-stream".to_owned(),
            ),
        ],
        body,
    )
}

/// Parses `filters` (`{"k":["v"]}` or the old `{"k":{"v":true}}`).
fn filters(req: &Req) -> Result<HashMap<String, Vec<String>>, String> {
    let Some(raw) = req.query_param("filters") else {
        return Ok(HashMap::new());
    };
    if raw.is_empty() {
        return Ok(HashMap::new());
    }
    let v: Value = serde_json::from_str(&raw).map_err(|e| format!("invalid filter: {e}"))?;
    let obj = v
        .as_object()
        .ok_or_else(|| "invalid filter: not an object".to_owned())?;
    let mut out = HashMap::new();
    for (k, vals) in obj {
        let list: Vec<String> = match vals {
            Value::Array(a) => a
                .iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect(),
            Value::Object(o) => o
                .iter()
                .filter(|(_, b)| b.as_bool() == Some(true))
                .map(|(k, _)| k.clone())
                .collect(),
            _ => return Err(format!("invalid filter {k}")),
        };
        out.insert(k.clone(), list);
    }
    Ok(out)
}

fn labels_match(labels: &Value, wanted: &[String]) -> bool {
    wanted.iter().all(|w| match w.split_once('=') {
        Some((k, v)) => labels.get(k).and_then(Value::as_str) == Some(v),
        None => labels.get(w.as_str()).is_some(),
    })
}

fn image_of(spec: &Value) -> String {
    spec.pointer("/TaskTemplate/ContainerSpec/Image")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn name_of(spec: &Value) -> String {
    spec.get("Name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The state index a task reached, and the time it reached it.
fn progress(t: &Task, cfg: &MockSwarmBuilder) -> (usize, SystemTime) {
    let step = cfg.task_delay / 5;
    let elapsed = t.start.elapsed();
    let idx = if step.is_zero() {
        5
    } else {
        usize::try_from(elapsed.as_nanos() / step.as_nanos())
            .unwrap_or(5)
            .min(5)
    };
    let limit = if t.error.is_some() { 3 } else { 5 };
    let idx = idx.min(limit);
    (idx, t.start_wall + step * u32::try_from(idx).unwrap_or(5))
}

fn task_state(t: &Task, cfg: &MockSwarmBuilder) -> (String, SystemTime) {
    if t.unschedulable.is_some() && !t.shutdown {
        return ("pending".to_owned(), t.start_wall);
    }
    let (idx, at) = progress(t, cfg);
    if t.shutdown {
        return ("shutdown".to_owned(), at);
    }
    if t.error.is_some() && idx >= 3 {
        return ("rejected".to_owned(), at);
    }
    (STATES[idx].to_owned(), at)
}

fn task_json(t: &Task, cfg: &MockSwarmBuilder) -> Value {
    let (state, at) = task_state(t, cfg);
    let has_container =
        t.error.is_none() && (state == "running" || state == "starting" || state == "shutdown");
    let message = match state.as_str() {
        "running" => "started",
        "rejected" | "preparing" => "preparing",
        "starting" => "starting",
        "shutdown" => "shutdown",
        "assigned" => "assigned",
        "pending" => "pending task scheduling",
        _ => "created",
    };
    let mut status = json!({
        "Timestamp": rfc3339(at),
        "State": state,
        "Message": message,
        "ContainerStatus": {"ContainerID": if has_container { t.container_id.clone() } else { String::new() }, "PID": if state == "running" { 4242 } else { 0 }, "ExitCode": 0},
        "PortStatus": {},
    });
    if state == "rejected" {
        status["Err"] = json!(t.error.clone().unwrap_or_default());
    }
    if let Some(reason) = t.unschedulable.as_ref().filter(|_| state == "pending") {
        status["Err"] = json!(reason);
        status["Message"] = json!("pending task scheduling");
    }
    let mut v = json!({
        "ID": t.id,
        "Version": {"Index": t.version},
        "CreatedAt": rfc3339(t.start_wall),
        "UpdatedAt": rfc3339(at),
        "Labels": {},
        "Spec": t.spec,
        "ServiceID": t.service_id,
        "NodeID": t.node_id,
        "Status": status,
        "DesiredState": t.desired,
    });
    if t.slot > 0 {
        v["Slot"] = json!(t.slot);
    }
    // Like swarmkit: no node before the scheduler assigns one, no container status before
    // the agent starts preparing.
    if matches!(state.as_str(), "new" | "pending")
        && let Some(o) = v.as_object_mut()
    {
        o.remove("NodeID");
    }
    if matches!(state.as_str(), "new" | "pending" | "assigned")
        && let Some(st) = v.get_mut("Status").and_then(Value::as_object_mut)
    {
        st.remove("ContainerStatus");
    }
    v
}

impl State {
    fn bump(&mut self) -> u64 {
        self.index += 1;
        self.index
    }

    fn event(&mut self, typ: &str, action: &str, id: &str, attrs: Value) {
        let nanos = now_nanos();
        let ev = json!({
            "Type": typ, "Action": action,
            "Actor": {"ID": id, "Attributes": attrs},
            "scope": if typ == "container" { "local" } else { "swarm" },
            "time": nanos / 1_000_000_000, "timeNano": nanos,
        });
        self.events.push((nanos, ev));
    }

    fn init(&mut self, cfg: &MockSwarmBuilder, addr: &str) {
        let now = now_str();
        let cluster = new_id();
        let root = server::random_hex(50);
        let tok = |s: &str| format!("SWMTKN-1-{}-{}", &root[..50], &s[..25]);
        let v = self.bump();
        self.swarm = Some(json!({
            "ID": cluster,
            "Version": {"Index": v},
            "CreatedAt": now, "UpdatedAt": now,
            "Spec": {"Name": "default", "Labels": {}, "Orchestration": {"TaskHistoryRetentionLimit": 5},
                     "Raft": {"SnapshotInterval": 10000, "KeepOldSnapshots": 0, "LogEntriesForSlowFollowers": 500, "ElectionTick": 10, "HeartbeatTick": 1},
                     "Dispatcher": {"HeartbeatPeriod": 5_000_000_000_u64}, "CAConfig": {"NodeCertExpiry": 7_776_000_000_000_000_u64},
                     "TaskDefaults": {}, "EncryptionConfig": {"AutoLockManagers": false}},
            "TLSInfo": {},
            "RootRotationInProgress": false, "DefaultAddrPool": ["10.0.0.0/8"], "SubnetSize": 24, "DataPathPort": 4789,
            "JoinTokens": {"Worker": tok(&new_id()), "Manager": tok(&new_id())},
        }));
        self.local_state = "active".to_owned();
        self.control = true;
        let v = self.bump();
        let self_id = self.self_node.clone();
        self.nodes = vec![Node {
            id: self_id,
            hostname: cfg.manager_hostname().to_owned(),
            addr: addr.to_owned(),
            role: "manager".to_owned(),
            availability: "active".to_owned(),
            labels: json!({}),
            version: v,
            created: now.clone(),
            updated: now.clone(),
        }];
        for n in &cfg.nodes {
            let v = self.bump();
            self.nodes.push(Node {
                id: new_id(),
                hostname: n.hostname.clone(),
                addr: n.addr.clone(),
                role: n.role.clone(),
                availability: "active".to_owned(),
                labels: json!({}),
                version: v,
                created: now.clone(),
                updated: now.clone(),
            });
        }
    }

    fn node_json(&self, n: &Node) -> Value {
        let mut v = json!({
            "ID": n.id,
            "Version": {"Index": n.version},
            "CreatedAt": n.created, "UpdatedAt": n.updated,
            "Spec": {"Labels": n.labels, "Role": n.role, "Availability": n.availability},
            "Description": {"Hostname": n.hostname, "Platform": {"Architecture": "x86_64", "OS": "linux"},
                            "Resources": {"NanoCPUs": 2_000_000_000_u64, "MemoryBytes": 4_294_967_296_u64},
                            "Engine": {"EngineVersion": "20.10.24+dfsg1"}, "TLSInfo": {}},
            "Status": {"State": "ready", "Addr": n.addr},
        });
        if n.role == "manager" {
            v["ManagerStatus"] = json!({"Leader": n.id == self.self_node, "Reachability": "reachable", "Addr": format!("{}:2377", n.addr)});
        }
        v
    }

    fn service_json(&self, s: &Service, status: bool) -> Value {
        let mut v = json!({
            "ID": s.id,
            "Version": {"Index": s.version},
            "CreatedAt": s.created, "UpdatedAt": s.updated,
            "Spec": s.spec,
            "Endpoint": {"Spec": s.spec.get("EndpointSpec").cloned().unwrap_or_else(|| json!({}))},
        });
        if let Some(p) = &s.previous {
            v["PreviousSpec"] = p.clone();
        }
        if let Some((state, message, completed)) = &s.update_status {
            v["UpdateStatus"] = json!({"State": state, "StartedAt": s.updated, "Message": message});
            if let Some(at) = completed {
                v["UpdateStatus"]["CompletedAt"] = json!(at);
            }
        }
        if status {
            let running = self
                .tasks
                .iter()
                .filter(|t| {
                    t.service_id == s.id && t.desired == "running" && t.reported == "running"
                })
                .count();
            let desired = if s.spec.pointer("/Mode/Global").is_some() {
                self.nodes
                    .iter()
                    .filter(|n| n.availability == "active")
                    .count() as u64
            } else {
                s.spec
                    .pointer("/Mode/Replicated/Replicas")
                    .and_then(Value::as_u64)
                    .unwrap_or(1)
            };
            v["ServiceStatus"] =
                json!({"RunningTasks": running, "DesiredTasks": desired, "CompletedTasks": 0});
        }
        v
    }

    /// The name of the service with ID `id` (empty when it is gone).
    fn service_name(&self, id: &str) -> String {
        self.services
            .iter()
            .find(|s| s.id == id)
            .map(|s| name_of(&s.spec))
            .unwrap_or_default()
    }

    fn find_service(&self, key: &str) -> Option<usize> {
        self.services
            .iter()
            .position(|s| s.id == key || name_of(&s.spec) == key)
            .or_else(|| {
                let m: Vec<usize> = self
                    .services
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.id.starts_with(key))
                    .map(|(i, _)| i)
                    .collect();
                (m.len() == 1 && !key.is_empty()).then(|| m[0])
            })
    }

    fn new_task(&mut self, cfg: &MockSwarmBuilder, service: &Service, slot: u64, node_id: String) {
        let image = image_of(&service.spec);
        let missing = cfg
            .missing_images
            .iter()
            .any(|m| image == *m || image.starts_with(&format!("{m}@")));
        let denied = cfg.private_registries.iter().any(|(host, user, pass)| {
            image.starts_with(&format!("{host}/"))
                && !service.auth.as_ref().is_some_and(|a| {
                    a.get("username").and_then(Value::as_str) == Some(user.as_str())
                        && a.get("password").and_then(Value::as_str) == Some(pass.as_str())
                })
        });
        let cached = self.pulled.contains(&(node_id.clone(), image.clone()));
        let missing = missing || (denied && !cached);
        let custom = cfg
            .task_errors
            .iter()
            .find(|(m, _)| image == *m || image.starts_with(&format!("{m}@")))
            .map(|(_, e)| e.clone());
        if !missing {
            self.pulled.insert((node_id.clone(), image.clone()));
        }
        let version = self.bump();
        let t = Task {
            id: new_id(),
            service_id: service.id.clone(),
            slot,
            node_id,
            spec: service
                .spec
                .get("TaskTemplate")
                .cloned()
                .unwrap_or_else(|| json!({})),
            version,
            start: Instant::now(),
            start_wall: SystemTime::now(),
            error: if missing {
                Some(format!("No such image: {image}"))
            } else {
                custom
            },
            desired: "running".to_owned(),
            shutdown: false,
            container_id: server::random_hex(64),
            reported: "new".to_owned(),
            unschedulable: None,
            release_at: None,
        };
        self.tasks.push(t);
    }

    fn active_nodes(&self) -> Vec<String> {
        self.nodes
            .iter()
            .filter(|n| n.availability == "active")
            .map(|n| n.id.clone())
            .collect()
    }

    /// Creates the tasks a service lacks (per slot, or per node for global services).
    fn reconcile(&mut self, cfg: &MockSwarmBuilder, idx: usize) {
        let service = self.services[idx].clone();
        let all_active = self.active_nodes();
        let constraints: Vec<String> = service
            .spec
            .pointer("/TaskTemplate/Placement/Constraints")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|c| c.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let nodes: Vec<String> = all_active
            .iter()
            .filter(|id| {
                self.nodes
                    .iter()
                    .find(|n| n.id == **id)
                    .is_some_and(|n| constraints.iter().all(|c| constraint_matches(n, c)))
            })
            .cloned()
            .collect();
        if nodes.is_empty() {
            if service.spec.pointer("/Mode/Global").is_none() && !all_active.is_empty() {
                let reason = format!(
                    "no suitable node (scheduling constraints not satisfied on {} node{})",
                    all_active.len(),
                    if all_active.len() == 1 { "" } else { "s" }
                );
                let replicas = service
                    .spec
                    .pointer("/Mode/Replicated/Replicas")
                    .and_then(Value::as_u64)
                    .unwrap_or(1);
                for slot in 1..=replicas {
                    let live = |t: &Task| {
                        t.service_id == service.id
                            && (t.desired == "running" || t.desired == "ready")
                    };
                    if !self.tasks.iter().any(|t| live(t) && t.slot == slot) {
                        self.new_task(cfg, &service, slot, String::new());
                        if let Some(t) = self.tasks.last_mut() {
                            t.unschedulable = Some(reason.clone());
                        }
                    }
                }
            }
            return;
        }
        // Tasks that waited for a suitable node are placed now.
        self.tasks
            .retain(|t| !(t.service_id == service.id && t.unschedulable.is_some()));
        let live = |t: &Task| {
            t.service_id == service.id && (t.desired == "running" || t.desired == "ready")
        };
        if service.spec.pointer("/Mode/Global").is_some() {
            for node in nodes {
                if !self.tasks.iter().any(|t| live(t) && t.node_id == node) {
                    self.new_task(cfg, &service, 0, node);
                }
            }
        } else {
            let replicas = service
                .spec
                .pointer("/Mode/Replicated/Replicas")
                .and_then(Value::as_u64)
                .unwrap_or(1);
            for t in self.tasks.iter_mut().filter(|t| {
                t.service_id == service.id && t.slot > replicas && t.desired == "running"
            }) {
                t.desired = "shutdown".to_owned();
                t.shutdown = true;
            }
            for slot in 1..=replicas {
                if !self.tasks.iter().any(|t| live(t) && t.slot == slot) {
                    let node = nodes[usize::try_from(slot - 1).unwrap_or(0) % nodes.len()].clone();
                    self.new_task(cfg, &service, slot, node);
                }
            }
        }
    }

    /// Advances time-driven state: reports task transitions as events, replaces rejected tasks,
    /// and completes updates.
    fn tick(&mut self, cfg: &MockSwarmBuilder) {
        let mut events = Vec::new();
        let now = Instant::now();
        // Failed tasks to restart: (service, slot, node).
        let mut restart = Vec::new();
        for t in &mut self.tasks {
            let (state, _) = task_state(t, cfg);
            if state != t.reported {
                if state == "running" {
                    events.push((
                        "start",
                        t.container_id.clone(),
                        t.service_id.clone(),
                        t.id.clone(),
                        if t.slot > 0 {
                            t.slot.to_string()
                        } else {
                            t.node_id.clone()
                        },
                    ));
                }
                t.reported = state.clone();
            }
            // Like swarmkit's restart supervisor: a failed task is shut down and replaced at
            // once by a task with desired state `ready`, which may start (desired `running`)
            // only when the restart delay is over; one that failed meanwhile is replaced then.
            if t.desired == "ready" && t.release_at.is_some_and(|r| now >= r) {
                t.release_at = None;
                if state == "rejected" {
                    t.desired = "shutdown".to_owned();
                    restart.push((t.service_id.clone(), t.slot, t.node_id.clone()));
                } else {
                    t.desired = "running".to_owned();
                }
            } else if state == "rejected" && t.desired == "running" {
                t.desired = "shutdown".to_owned();
                restart.push((t.service_id.clone(), t.slot, t.node_id.clone()));
            }
        }
        for (sid, slot, node) in restart {
            let Some(service) = self.services.iter().find(|s| s.id == sid).cloned() else {
                continue;
            };
            let Some(delay) = restart_delay(&service.spec, cfg) else {
                continue;
            };
            // TaskHistoryRetentionLimit 5: at most 5 tasks per slot, the new one included.
            let same_slot =
                |t: &Task| t.service_id == sid && t.slot == slot && (slot > 0 || t.node_id == node);
            while self.tasks.iter().filter(|t| same_slot(t)).count() >= 5 {
                match self
                    .tasks
                    .iter()
                    .position(|t| same_slot(t) && t.desired == "shutdown")
                {
                    Some(pos) => drop(self.tasks.remove(pos)),
                    None => break,
                }
            }
            self.new_task(cfg, &service, slot, node);
            if let Some(t) = self.tasks.last_mut() {
                t.desired = "ready".to_owned();
                t.release_at = Some(now + delay);
            }
        }
        for (action, cid, sid, tid, slot) in events {
            let name = self
                .services
                .iter()
                .find(|s| s.id == sid)
                .map(|s| name_of(&s.spec))
                .unwrap_or_default();
            // dockerd names task containers SERVICE.SLOT.TASKID (SERVICE.NODEID.TASKID for global).
            let container_name = format!("{name}.{slot}.{tid}");
            self.event("container", action, &cid, json!({"com.docker.swarm.service.id": sid, "com.docker.swarm.service.name": name, "com.docker.swarm.task.id": tid, "name": container_name}));
        }
        for i in 0..self.services.len() {
            let sid = self.services[i].id.clone();
            let done = self
                .tasks
                .iter()
                .filter(|t| t.service_id == sid && t.desired == "running")
                .all(|t| t.reported == "running");
            if let Some((state, message, completed)) = &mut self.services[i].update_status {
                if done && state == "updating" {
                    *state = "completed".to_owned();
                    *message = "update completed".to_owned();
                    *completed = Some(now_str());
                } else if done && state == "rollback_started" {
                    *state = "rollback_completed".to_owned();
                    *message = "rollback completed".to_owned();
                    *completed = Some(now_str());
                }
            }
        }
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn handle(self: &Arc<Self>, req: Req) -> Response<Body> {
        let fault = self.lock().log.record(&req);
        match fault {
            Some(Fault::Status {
                status,
                retry_after,
            }) => {
                let mut resp = msg(
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                    "injected fault",
                );
                if let Some(secs) = retry_after {
                    resp.headers_mut()
                        .insert(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
                }
                resp
            }
            Some(Fault::DropConnection) => server::drop_midway(self.route(&req)),
            Some(_) | None => self.route(&req),
        }
    }

    fn route(self: &Arc<Self>, req: &Req) -> Response<Body> {
        let req = req.clone();
        // Strip and check an API version prefix.
        let mut path = req.path.clone();
        if let Some(rest) = path.strip_prefix("/v")
            && let Some((ver, tail)) = rest.split_once('/')
            && let Some(minor) = ver.strip_prefix("1.").and_then(|m| m.parse::<u32>().ok())
        {
            {
                {
                    if minor > 41 {
                        return msg(
                            StatusCode::BAD_REQUEST,
                            &format!(
                                "client version {ver} is too new. Maximum supported API version is {API_VERSION}"
                            ),
                        );
                    }
                    if minor < 12 {
                        return msg(
                            StatusCode::BAD_REQUEST,
                            &format!(
                                "client version {ver} is too old. Minimum supported API version is {MIN_API_VERSION}, please upgrade your client to a newer version"
                            ),
                        );
                    }
                    path = format!("/{tail}");
                }
            }
        }
        let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let m = req.method.clone();
        match (m, segs.as_slice()) {
            (Method::GET | Method::HEAD, ["_ping"]) => response(
                StatusCode::OK,
                &[
                    ("Api-Version", API_VERSION.to_owned()),
                    ("Content-Type", "text/plain; charset=utf-8".to_owned()),
                    ("Ostype", "linux".to_owned()),
                ],
                "OK",
            ),
            (Method::GET, ["version"]) => json_resp(
                StatusCode::OK,
                &json!({
                    "Platform": {"Name": "mock"},
                    "Components": [{"Name": "Engine", "Version": "20.10.24+dfsg1", "Details": {"ApiVersion": API_VERSION, "MinAPIVersion": MIN_API_VERSION, "Os": "linux", "Arch": "amd64"}}],
                    "Version": "20.10.24+dfsg1", "ApiVersion": API_VERSION, "MinAPIVersion": MIN_API_VERSION,
                    "GitCommit": "mock", "GoVersion": "go1.19.8", "Os": "linux", "Arch": "amd64", "KernelVersion": "mock",
                }),
            ),
            (Method::GET, ["info"]) => self.info(),
            (_, ["swarm", rest @ ..]) => self.swarm(&req, rest),
            (Method::GET, ["distribution", rest @ .., "json"]) => {
                self.distribution(&rest.join("/"))
            }
            (_, ["exec", id, action]) => self.exec(&req, id, action),
            (Method::POST, ["containers", id, "exec"]) => self.exec_create(&req, id),
            (Method::GET, ["events"]) => self.events(&req),
            (_, ["networks", rest @ ..]) => self.networks(&req, rest),
            (
                _,
                [
                    kind @ ("nodes" | "services" | "tasks" | "configs" | "secrets"),
                    rest @ ..,
                ],
            ) => {
                let mut st = self.lock();
                if st.local_state != "active" {
                    return msg(StatusCode::SERVICE_UNAVAILABLE, NOT_IN_SWARM);
                }
                if !st.control {
                    return msg(StatusCode::SERVICE_UNAVAILABLE, NOT_MANAGER);
                }
                st.tick(&self.cfg);
                match *kind {
                    "nodes" => self.nodes(&mut st, &req, rest),
                    "services" => match (&req.method, rest) {
                        (&Method::GET, [id, "logs"]) => self.service_logs(&st, &req, id),
                        _ => self.services(&mut st, &req, rest),
                    },
                    "tasks" => match (&req.method, rest) {
                        (&Method::GET, [id, "logs"]) => self.task_logs(&st, &req, id),
                        _ => self.tasks(&st, &req, rest),
                    },
                    other => self.objects(&mut st, &req, other, rest),
                }
            }
            _ => msg(StatusCode::NOT_FOUND, "page not found"),
        }
    }

    /// `/networks`: the predefined `host` and `bridge`, and networks created through the API
    /// (create with a name conflict check, list with `name`/`label` filters, inspect by ID or
    /// name, remove unless predefined or used by a service).
    fn networks(&self, req: &Req, rest: &[&str]) -> Response<Body> {
        let mut st = self.lock();
        let all = |st: &State| -> Vec<Value> {
            let mut v: Vec<Value> = mock_networks().as_array().cloned().unwrap_or_default();
            v.extend(st.networks.iter().cloned());
            v
        };
        let find = |items: &[Value], key: &str| {
            items
                .iter()
                .position(|n| n["Id"] == key || n["Name"] == key)
        };
        match (&req.method, rest) {
            (&Method::GET, []) => {
                let f = match filters(req) {
                    Ok(f) => f,
                    Err(e) => return msg(StatusCode::INTERNAL_SERVER_ERROR, &e),
                };
                let items: Vec<Value> = all(&st)
                    .into_iter()
                    .filter(|n| {
                        f.get("name").is_none_or(|v| {
                            v.iter().any(|x| {
                                n["Name"]
                                    .as_str()
                                    .is_some_and(|name| name.contains(x.as_str()))
                            })
                        }) && f.get("label").is_none_or(|v| {
                            labels_match(n.get("Labels").unwrap_or(&Value::Null), v)
                        })
                    })
                    .collect();
                json_resp(StatusCode::OK, &json!(items))
            }
            (&Method::GET, [id]) => {
                let items = all(&st);
                match find(&items, id) {
                    Some(i) => json_resp(StatusCode::OK, &items[i]),
                    None => msg(StatusCode::NOT_FOUND, &format!("network {id} not found")),
                }
            }
            (&Method::POST, ["create"]) => {
                let Ok(spec) = serde_json::from_slice::<Value>(&req.body) else {
                    return msg(StatusCode::BAD_REQUEST, "invalid JSON");
                };
                let name = spec["Name"].as_str().unwrap_or_default().to_owned();
                if name.is_empty() {
                    return msg(StatusCode::BAD_REQUEST, "network name is empty");
                }
                if find(&all(&st), &name).is_some() {
                    return msg(
                        StatusCode::CONFLICT,
                        &format!("network with name {name} already exists"),
                    );
                }
                let driver = spec["Driver"]
                    .as_str()
                    .filter(|d| !d.is_empty())
                    .unwrap_or("bridge");
                let swarm_scope = driver == "overlay";
                if swarm_scope && !st.control {
                    return msg(StatusCode::SERVICE_UNAVAILABLE, NOT_MANAGER);
                }
                let n = st.networks.len();
                let ipam_config = match spec.pointer("/IPAM/Config") {
                    Some(Value::Array(c)) if !c.is_empty() => Value::Array(c.clone()),
                    _ => {
                        json!([{"Subnet": format!("10.0.{}.0/24", 100 + n), "Gateway": format!("10.0.{}.1", 100 + n)}])
                    }
                };
                let id = new_id();
                let net = json!({
                    "Name": name, "Id": id, "Created": now_str(),
                    "Scope": if swarm_scope { "swarm" } else { "local" }, "Driver": driver,
                    "EnableIPv6": false,
                    "IPAM": {"Driver": spec.pointer("/IPAM/Driver").and_then(Value::as_str).filter(|d| !d.is_empty()).unwrap_or("default"), "Options": null, "Config": ipam_config},
                    "Internal": spec["Internal"].as_bool().unwrap_or(false),
                    "Attachable": spec["Attachable"].as_bool().unwrap_or(false),
                    "Ingress": false, "ConfigFrom": {"Network": ""}, "ConfigOnly": false, "Containers": null,
                    "Options": spec.get("Options").filter(|o| o.is_object()).cloned().unwrap_or_else(|| json!({})),
                    "Labels": spec.get("Labels").filter(|o| o.is_object()).cloned().unwrap_or_else(|| json!({})),
                });
                st.networks.push(net);
                st.event(
                    "network",
                    "create",
                    &id,
                    json!({"name": name, "type": driver}),
                );
                json_resp(StatusCode::CREATED, &json!({"Id": id, "Warning": ""}))
            }
            (&Method::DELETE, [id]) => {
                let Some(i) = find(&st.networks, id) else {
                    return match find(&all(&st), id) {
                        Some(_) => msg(
                            StatusCode::FORBIDDEN,
                            &format!("{id} is a pre-defined network and cannot be removed"),
                        ),
                        None => msg(StatusCode::NOT_FOUND, &format!("network {id} not found")),
                    };
                };
                let (nid, name) = (
                    st.networks[i]["Id"].as_str().unwrap_or_default().to_owned(),
                    st.networks[i]["Name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                );
                let user = st.services.iter().find(|s| {
                    s.spec
                        .pointer("/TaskTemplate/Networks")
                        .and_then(Value::as_array)
                        .is_some_and(|a| {
                            a.iter()
                                .any(|n| n["Target"] == *nid || n["Target"] == *name)
                        })
                });
                if let Some(s) = user {
                    return msg(
                        StatusCode::FORBIDDEN,
                        &format!(
                            "rpc error: code = FailedPrecondition desc = network {nid} is in use by service {}",
                            s.id
                        ),
                    );
                }
                st.networks.remove(i);
                st.event("network", "destroy", &nid, json!({"name": name}));
                empty_resp(StatusCode::NO_CONTENT)
            }
            _ => msg(StatusCode::NOT_FOUND, "page not found"),
        }
    }

    fn info(&self) -> Response<Body> {
        let st = self.lock();
        let swarm = if st.local_state == "active" {
            json!({
                "NodeID": st.self_node, "NodeAddr": self.cfg.manager_addr(), "LocalNodeState": "active",
                "ControlAvailable": st.control, "Error": "",
                "RemoteManagers": [{"NodeID": st.self_node, "Addr": "127.0.0.1:2377"}],
                "Nodes": st.nodes.len(), "Managers": st.nodes.iter().filter(|n| n.role == "manager").count(),
                "Cluster": st.swarm.clone().map(|mut s| { if let Some(o) = s.as_object_mut() { o.remove("JoinTokens"); } s }),
            })
        } else {
            json!({"NodeID": "", "NodeAddr": "", "LocalNodeState": "inactive", "ControlAvailable": false, "Error": "", "RemoteManagers": null})
        };
        json_resp(
            StatusCode::OK,
            &json!({
                "ID": "MOCK:SWARM", "Name": self.cfg.manager_hostname(), "ServerVersion": "20.10.24+dfsg1", "NCPU": 2,
                "OperatingSystem": "mock", "OSType": "linux", "Architecture": "x86_64", "Swarm": swarm,
            }),
        )
    }

    fn swarm(&self, req: &Req, rest: &[&str]) -> Response<Body> {
        let mut st = self.lock();
        match (&req.method, rest) {
            (&Method::GET, []) => {
                if st.local_state != "active" {
                    return msg(StatusCode::SERVICE_UNAVAILABLE, NOT_IN_SWARM);
                }
                if !st.control {
                    return msg(StatusCode::SERVICE_UNAVAILABLE, NOT_MANAGER);
                }
                json_resp(StatusCode::OK, st.swarm.as_ref().unwrap_or(&Value::Null))
            }
            (&Method::POST, ["init"]) => {
                if st.local_state == "active" {
                    return msg(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "This node is already part of a swarm. Use \"docker swarm leave\" to leave this swarm and join another one.",
                    );
                }
                let body: Value = serde_json::from_slice(&req.body).unwrap_or(json!({}));
                let addr = body
                    .get("AdvertiseAddr")
                    .and_then(Value::as_str)
                    .filter(|a| !a.is_empty())
                    .unwrap_or(self.cfg.manager_addr());
                let addr = addr.split(':').next().unwrap_or_default().to_owned();
                st.init(&self.cfg, &addr);
                json_resp(StatusCode::OK, &json!(st.self_node))
            }
            (&Method::POST, ["join"]) => {
                if st.local_state == "active" {
                    return msg(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "This node is already part of a swarm. Use \"docker swarm leave\" to leave this swarm and join another one.",
                    );
                }
                let body: Value = serde_json::from_slice(&req.body).unwrap_or(json!({}));
                let token = body
                    .get("JoinToken")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let parts: Vec<&str> = token.split('-').collect();
                if parts.len() != 4 || parts[0] != "SWMTKN" || parts[1] != "1" {
                    return msg(StatusCode::BAD_REQUEST, "invalid join token");
                }
                if body
                    .get("RemoteAddrs")
                    .and_then(Value::as_array)
                    .is_none_or(Vec::is_empty)
                {
                    return msg(
                        StatusCode::BAD_REQUEST,
                        "at least 1 RemoteAddr is required to join",
                    );
                }
                st.local_state = "active".to_owned();
                st.control = false;
                empty_resp(StatusCode::OK)
            }
            (&Method::POST, ["leave"]) => {
                if st.local_state != "active" {
                    return msg(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "This node is not part of a swarm",
                    );
                }
                let force = matches!(req.query_param("force").as_deref(), Some("1" | "true"));
                if st.control && !force {
                    return msg(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "You are attempting to leave the swarm on a node that is participating as a manager. Removing the last manager erases all current state of the swarm. Use `--force` to ignore this message. ",
                    );
                }
                let self_node = st.self_node.clone();
                *st = State {
                    index: st.index,
                    self_node,
                    ..State::default()
                };
                empty_resp(StatusCode::OK)
            }
            (&Method::POST, ["update"]) => {
                let Some(swarm) = st.swarm.clone() else {
                    return msg(StatusCode::SERVICE_UNAVAILABLE, NOT_IN_SWARM);
                };
                let current = swarm
                    .pointer("/Version/Index")
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
                if req
                    .query_param("version")
                    .and_then(|v| v.parse::<u64>().ok())
                    != Some(current)
                {
                    return msg(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "rpc error: code = Unknown desc = update out of sequence",
                    );
                }
                let v = st.bump();
                let mut swarm = swarm;
                if let Ok(spec) = serde_json::from_slice::<Value>(&req.body) {
                    swarm["Spec"] = spec;
                }
                swarm["Version"] = json!({"Index": v});
                let root = server::random_hex(50);
                for (param, key) in [
                    ("rotateWorkerToken", "Worker"),
                    ("rotateManagerToken", "Manager"),
                ] {
                    if matches!(req.query_param(param).as_deref(), Some("1" | "true")) {
                        swarm["JoinTokens"][key] = json!(format!("SWMTKN-1-{root}-{}", new_id()));
                    }
                }
                st.swarm = Some(swarm);
                empty_resp(StatusCode::OK)
            }
            _ => msg(StatusCode::NOT_FOUND, "page not found"),
        }
    }

    fn nodes(&self, st: &mut State, req: &Req, rest: &[&str]) -> Response<Body> {
        let find = |st: &State, key: &str| {
            st.nodes.iter().position(|n| {
                n.id == key || n.hostname == key || (!key.is_empty() && n.id.starts_with(key))
            })
        };
        match (&req.method, rest) {
            (&Method::GET, []) => {
                let f = match filters(req) {
                    Ok(f) => f,
                    Err(e) => return msg(StatusCode::INTERNAL_SERVER_ERROR, &e),
                };
                let list: Vec<Value> = st
                    .nodes
                    .iter()
                    .filter(|n| f.get("role").is_none_or(|r| r.contains(&n.role)))
                    .filter(|n| {
                        f.get("id")
                            .is_none_or(|r| r.iter().any(|i| n.id.starts_with(i)))
                    })
                    .filter(|n| {
                        f.get("name")
                            .is_none_or(|r| r.iter().any(|i| n.hostname.starts_with(i)))
                    })
                    .map(|n| st.node_json(n))
                    .collect();
                json_resp(StatusCode::OK, &json!(list))
            }
            (&Method::GET, [id]) => match find(st, id) {
                Some(i) => json_resp(StatusCode::OK, &st.node_json(&st.nodes[i])),
                None => msg(StatusCode::NOT_FOUND, &format!("node {id} not found")),
            },
            (&Method::POST, [id, "update"]) => {
                let Some(i) = find(st, id) else {
                    return msg(StatusCode::NOT_FOUND, &format!("node {id} not found"));
                };
                if req
                    .query_param("version")
                    .and_then(|v| v.parse::<u64>().ok())
                    != Some(st.nodes[i].version)
                {
                    return msg(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "rpc error: code = Unknown desc = update out of sequence",
                    );
                }
                let Ok(spec) = serde_json::from_slice::<Value>(&req.body) else {
                    return msg(StatusCode::BAD_REQUEST, "invalid node spec");
                };
                let v = st.bump();
                let n = &mut st.nodes[i];
                if let Some(r) = spec.get("Role").and_then(Value::as_str) {
                    n.role = r.to_owned();
                }
                if let Some(a) = spec.get("Availability").and_then(Value::as_str) {
                    n.availability = a.to_owned();
                }
                n.labels = spec.get("Labels").cloned().unwrap_or_else(|| json!({}));
                n.version = v;
                n.updated = now_str();
                let id = n.id.clone();
                if n.availability != "active" {
                    for t in st
                        .tasks
                        .iter_mut()
                        .filter(|t| t.node_id == id && t.desired == "running")
                    {
                        t.desired = "shutdown".to_owned();
                        t.shutdown = true;
                    }
                }
                for k in 0..st.services.len() {
                    st.reconcile(&self.cfg, k);
                }
                st.event("node", "update", &id, json!({}));
                empty_resp(StatusCode::OK)
            }
            (&Method::DELETE, [id]) => {
                let Some(i) = find(st, id) else {
                    return msg(StatusCode::NOT_FOUND, &format!("node {id} not found"));
                };
                let force = matches!(req.query_param("force").as_deref(), Some("1" | "true"));
                let n = st.nodes[i].clone();
                if n.role == "manager" {
                    return msg(
                        StatusCode::BAD_REQUEST,
                        &format!(
                            "rpc error: code = FailedPrecondition desc = node {} is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal",
                            n.id
                        ),
                    );
                }
                if !force {
                    return msg(
                        StatusCode::BAD_REQUEST,
                        &format!(
                            "rpc error: code = FailedPrecondition desc = node {} is not down and can't be removed",
                            n.id
                        ),
                    );
                }
                st.nodes.remove(i);
                st.tasks.retain(|t| t.node_id != n.id);
                st.event("node", "remove", &n.id, json!({}));
                empty_resp(StatusCode::OK)
            }
            _ => msg(StatusCode::NOT_FOUND, "page not found"),
        }
    }

    fn record_auth(st: &mut State, req: &Req, name: &str) -> Option<Value> {
        let h = req.header("x-registry-auth")?;
        {
            let trimmed = h.trim().trim_end_matches('=');
            let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(trimmed)
                .ok()
                .and_then(|raw| serde_json::from_slice::<Value>(&raw).ok())
                .unwrap_or(Value::Null);
            st.registry_auths.push((name.to_owned(), decoded.clone()));
            Some(decoded)
        }
    }

    fn services(&self, st: &mut State, req: &Req, rest: &[&str]) -> Response<Body> {
        match (&req.method, rest) {
            (&Method::GET, []) => {
                let f = match filters(req) {
                    Ok(f) => f,
                    Err(e) => return msg(StatusCode::INTERNAL_SERVER_ERROR, &e),
                };
                let status = matches!(req.query_param("status").as_deref(), Some("1" | "true"));
                let list: Vec<Value> = st
                    .services
                    .iter()
                    .filter(|s| {
                        f.get("name").is_none_or(|v| {
                            v.iter().any(|n| name_of(&s.spec).starts_with(n.as_str()))
                        })
                    })
                    .filter(|s| {
                        f.get("id")
                            .is_none_or(|v| v.iter().any(|i| s.id.starts_with(i.as_str())))
                    })
                    .filter(|s| {
                        f.get("label").is_none_or(|v| {
                            labels_match(s.spec.get("Labels").unwrap_or(&Value::Null), v)
                        })
                    })
                    .filter(|s| {
                        f.get("mode").is_none_or(|v| {
                            let mode = if s.spec.pointer("/Mode/Global").is_some() {
                                "global"
                            } else {
                                "replicated"
                            };
                            v.iter().any(|m| m == mode)
                        })
                    })
                    .map(|s| st.service_json(s, status))
                    .collect();
                json_resp(StatusCode::OK, &json!(list))
            }
            (&Method::POST, ["create"]) => {
                let mut spec = match parse_spec(&req.body) {
                    Ok(s) => s,
                    Err(resp) => return resp,
                };
                if image_of(&spec).is_empty() {
                    return msg(
                        StatusCode::BAD_REQUEST,
                        "rpc error: code = InvalidArgument desc = ContainerSpec: image reference must be provided",
                    );
                }
                let mut name = name_of(&spec);
                if name.is_empty() {
                    name = format!("mock_{}", &new_id()[..8]);
                    spec["Name"] = json!(name);
                }
                if st.services.iter().any(|s| name_of(&s.spec) == name) {
                    return msg(
                        StatusCode::CONFLICT,
                        &format!(
                            "rpc error: code = AlreadyExists desc = name conflicts with an existing object: service {name} already exists"
                        ),
                    );
                }
                normalize_spec(&mut spec);
                let auth = Self::record_auth(st, req, &name);
                let v = st.bump();
                let now = now_str();
                let id = new_id();
                st.services.push(Service {
                    id: id.clone(),
                    spec,
                    previous: None,
                    version: v,
                    created: now.clone(),
                    updated: now,
                    update_status: None,
                    auth,
                });
                let idx = st.services.len() - 1;
                st.reconcile(&self.cfg, idx);
                st.event("service", "create", &id, json!({"name": name}));
                json_resp(StatusCode::CREATED, &json!({"ID": id}))
            }
            (&Method::GET, [id]) => match st.find_service(id) {
                Some(i) => json_resp(StatusCode::OK, &st.service_json(&st.services[i], false)),
                None => msg(StatusCode::NOT_FOUND, &format!("service {id} not found")),
            },
            (&Method::DELETE, [id]) => {
                let Some(i) = st.find_service(id) else {
                    return msg(StatusCode::NOT_FOUND, &format!("service {id} not found"));
                };
                let s = st.services.remove(i);
                st.tasks.retain(|t| t.service_id != s.id);
                st.event(
                    "service",
                    "remove",
                    &s.id,
                    json!({"name": name_of(&s.spec)}),
                );
                empty_resp(StatusCode::OK)
            }
            (&Method::POST, [id, "update"]) => self.update_service(st, req, id),
            _ => msg(StatusCode::NOT_FOUND, "page not found"),
        }
    }

    /// `GET /services/{id}/logs` with `stdout`, `stderr`, `tail`, `since`, `timestamps`,
    /// `details` and `follow` (the stream stays open, sending appended lines, until the service is removed
    /// or the client goes away).
    fn service_logs(self: &Arc<Self>, st: &State, req: &Req, id: &str) -> Response<Body> {
        let Some(i) = st.find_service(id) else {
            return msg(StatusCode::NOT_FOUND, &format!("service {id} not found"));
        };
        let s = &st.services[i];
        self.logs(st, req, None, s.id.clone(), name_of(&s.spec))
    }

    /// `GET /tasks/{id}/logs`: the lines set for the task ID, else its service's lines.
    fn task_logs(self: &Arc<Self>, st: &State, req: &Req, id: &str) -> Response<Body> {
        let Some(t) = st.tasks.iter().find(|t| t.id == id) else {
            return msg(StatusCode::NOT_FOUND, &format!("task {id} not found"));
        };
        let sname = st.service_name(&t.service_id);
        self.logs(st, req, Some(t.id.clone()), t.service_id.clone(), sname)
    }

    /// The logs stream of a service (`task` `None`) or of one of its tasks.
    fn logs(
        self: &Arc<Self>,
        st: &State,
        req: &Req,
        task: Option<String>,
        sid: String,
        sname: String,
    ) -> Response<Body> {
        let stdout = req.query_bool("stdout");
        let stderr = req.query_bool("stderr");
        if !stdout && !stderr {
            return msg(
                StatusCode::BAD_REQUEST,
                "Bad parameters: you must choose at least one stream",
            );
        }
        let tail = match req.query_param("tail").as_deref() {
            None | Some("" | "all") => None,
            Some(n) => match n.parse::<i64>() {
                Ok(n) => usize::try_from(n).ok(),
                Err(_) => {
                    return msg(
                        StatusCode::BAD_REQUEST,
                        &format!("invalid tail value {n:?}: must be a number or \"all\""),
                    );
                }
            },
        };
        let since = match req.query_param("since").filter(|v| !v.is_empty()) {
            None => None,
            Some(v) => match parse_api_time(&v) {
                Some(t) => Some(t),
                None => {
                    // dockerd's words (and status) for a value that is not `SECONDS[.NANOS]`.
                    return msg(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        &format!(
                            "could not parse since timestamp: strconv.ParseInt: parsing {:?}: invalid syntax",
                            v.split('.').next().unwrap_or_default()
                        ),
                    );
                }
            },
        };
        let timestamps = req.query_bool("timestamps");
        let follow = req.query_bool("follow");
        // `details=1`: dockerd puts the line's task attributes before it. The fake's lines
        // belong to the task they were set for, else to the service's lowest running slot.
        let details = req.query_bool("details").then(|| {
            let owner = match &task {
                Some(t) => st.tasks.iter().find(|x| x.id == *t),
                None => st
                    .tasks
                    .iter()
                    .filter(|x| x.service_id == sid && x.desired == "running")
                    .min_by_key(|x| x.slot),
            };
            owner.map_or_else(String::new, |t| {
                format!(
                    "com.docker.swarm.node.id={},com.docker.swarm.service.id={},com.docker.swarm.task.id={} ",
                    t.node_id, t.service_id, t.id
                )
            })
        });
        let render = move |lines: &[LogLine]| -> Vec<u8> {
            let mut body = Vec::new();
            for l in lines {
                if since.is_some_and(|t| nanos_of(l.at) < t) {
                    continue;
                }
                if (l.stream == 1 && stdout) || (l.stream == 2 && stderr) {
                    let mut text = String::new();
                    if timestamps {
                        text.push_str(&rfc3339(l.at));
                        text.push(' ');
                    }
                    if let Some(d) = &details {
                        text.push_str(d);
                    }
                    text.push_str(&l.text);
                    body.extend(frame(l.stream, text.as_bytes()));
                }
            }
            body
        };
        let lines_of = move |st: &State| -> Option<Vec<LogLine>> {
            st.services.iter().find(|s| s.id == sid)?;
            if let Some(t) = &task {
                st.tasks.iter().find(|x| x.id == *t)?;
            }
            Some(
                task.as_ref()
                    .and_then(|t| st.logs.get(t))
                    .or_else(|| st.logs.get(&sid))
                    .or_else(|| st.logs.get(&sname))
                    .cloned()
                    .unwrap_or_default(),
            )
        };
        let all = lines_of(st).unwrap_or_default();
        let first = tail.map_or(0, |n| all.len().saturating_sub(n));
        let initial = render(&all[first..]);
        if !follow {
            return raw_stream(initial);
        }
        let inner = Arc::clone(self);
        let stream = futures_util::stream::unfold(
            (inner, all.len(), Some(initial)),
            move |(inner, mut cursor, initial)| {
                let lines_of = lines_of.clone();
                let render = render.clone();
                async move {
                    if let Some(first) = initial {
                        return Some((Ok(Bytes::from(first)), (inner, cursor, None)));
                    }
                    loop {
                        let lines = lines_of(&inner.lock())?;
                        cursor = cursor.min(lines.len());
                        if cursor < lines.len() {
                            let out = render(&lines[cursor..]);
                            cursor = lines.len();
                            if !out.is_empty() {
                                return Some((
                                    Ok::<_, io::Error>(Bytes::from(out)),
                                    (inner, cursor, None),
                                ));
                            }
                        }
                        tokio::time::sleep(Duration::from_millis(25)).await;
                    }
                }
            },
        );
        let mut resp = Response::new(server::streamed(stream));
        for (k, v) in [
            ("Api-Version", API_VERSION),
            ("Content-Type", "application/vnd.docker.raw-stream"),
        ] {
            resp.headers_mut()
                .insert(k, http::HeaderValue::from_static(v));
        }
        resp
    }

    fn update_service(&self, st: &mut State, req: &Req, id: &str) -> Response<Body> {
        let raw_version = req.query_param("version").unwrap_or_default();
        let Ok(version) = raw_version.parse::<u64>() else {
            return msg(
                StatusCode::BAD_REQUEST,
                &format!(
                    "invalid service version '{raw_version}': strconv.ParseUint: parsing \"{raw_version}\": invalid syntax"
                ),
            );
        };
        let rollback = req.query_param("rollback").as_deref() == Some("previous");
        let body_spec = if rollback {
            None
        } else {
            match parse_spec(&req.body) {
                Ok(s) => Some(s),
                Err(resp) => return resp,
            }
        };
        let Some(i) = st.find_service(id) else {
            return msg(StatusCode::NOT_FOUND, &format!("service {id} not found"));
        };
        if st.out_of_sequence > 0 || version != st.services[i].version {
            st.out_of_sequence = st.out_of_sequence.saturating_sub(1);
            return msg(
                StatusCode::INTERNAL_SERVER_ERROR,
                "rpc error: code = Unknown desc = update out of sequence",
            );
        }
        let new_spec = match body_spec {
            Some(mut s) => {
                normalize_spec(&mut s);
                s
            }
            None => match st.services[i].previous.clone() {
                Some(p) => p,
                None => {
                    return msg(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "rpc error: code = FailedPrecondition desc = service has no previous spec",
                    );
                }
            },
        };
        let old = st.services[i].spec.clone();
        let name = name_of(&old);
        if name_of(&new_spec) != name {
            return msg(
                StatusCode::INTERNAL_SERVER_ERROR,
                "rpc error: code = Unimplemented desc = renaming services is not supported",
            );
        }
        let auth = Self::record_auth(st, req, &name);
        st.services[i].auth = auth;
        let v = st.bump();
        // Like swarmkit's `IsTaskDirty`: tasks are replaced when the task template or the
        // published ports change, not for service labels, name-level fields or replicas.
        let replace_tasks = ["TaskTemplate", "EndpointSpec"]
            .iter()
            .any(|k| old.get(*k) != new_spec.get(*k));
        let svc = &mut st.services[i];
        svc.previous = Some(old);
        svc.spec = new_spec;
        svc.version = v;
        svc.updated = now_str();
        // Like swarmkit: a rollback always reports its progress; a plain update resets the
        // status, and the updater sets `updating` only when some task has to be replaced.
        svc.update_status = if rollback {
            Some((
                "rollback_started".to_owned(),
                "manually requested rollback".to_owned(),
                None,
            ))
        } else if replace_tasks {
            Some(("updating".to_owned(), "update in progress".to_owned(), None))
        } else {
            None
        };
        let sid = svc.id.clone();
        if replace_tasks {
            for t in st
                .tasks
                .iter_mut()
                .filter(|t| t.service_id == sid && t.desired == "running")
            {
                t.desired = "shutdown".to_owned();
                t.shutdown = true;
                t.reported = "shutdown".to_owned();
            }
        }
        st.reconcile(&self.cfg, i);
        st.event("service", "update", &sid, json!({"name": name}));
        json_resp(StatusCode::OK, &json!({"Warnings": null}))
    }

    fn tasks(&self, st: &State, req: &Req, rest: &[&str]) -> Response<Body> {
        match (&req.method, rest) {
            (&Method::GET, []) => {
                let f = match filters(req) {
                    Ok(f) => f,
                    Err(e) => return msg(StatusCode::INTERNAL_SERVER_ERROR, &e),
                };
                let service_ids: Option<Vec<String>> = f.get("service").map(|v| {
                    v.iter()
                        .filter_map(|k| st.find_service(k).map(|i| st.services[i].id.clone()))
                        .collect()
                });
                if let Some(ids) = &service_ids
                    && ids.is_empty()
                {
                    let key = f
                        .get("service")
                        .and_then(|v| v.first())
                        .cloned()
                        .unwrap_or_default();
                    return msg(StatusCode::NOT_FOUND, &format!("service {key} not found"));
                }
                let node_ids: Option<Vec<String>> = f.get("node").map(|v| {
                    v.iter()
                        .filter_map(|k| {
                            st.nodes
                                .iter()
                                .find(|n| {
                                    n.id == *k || n.hostname == *k || n.id.starts_with(k.as_str())
                                })
                                .map(|n| n.id.clone())
                        })
                        .collect()
                });
                let list: Vec<Value> = st
                    .tasks
                    .iter()
                    .filter(|t| {
                        service_ids
                            .as_ref()
                            .is_none_or(|ids| ids.contains(&t.service_id))
                    })
                    .filter(|t| node_ids.as_ref().is_none_or(|ids| ids.contains(&t.node_id)))
                    // `label`: the labels of the task's service (what `docker stack ps` filters).
                    .filter(|t| {
                        f.get("label").is_none_or(|v| {
                            st.services.iter().any(|s| {
                                s.id == t.service_id
                                    && labels_match(s.spec.get("Labels").unwrap_or(&Value::Null), v)
                            })
                        })
                    })
                    .filter(|t| {
                        f.get("desired-state")
                            .is_none_or(|v| v.contains(&t.desired))
                    })
                    .filter(|t| {
                        f.get("id")
                            .is_none_or(|v| v.iter().any(|i| t.id.starts_with(i.as_str())))
                    })
                    .filter(|t| {
                        f.get("name").is_none_or(|v| {
                            let sname = st.service_name(&t.service_id);
                            let tname = if t.slot > 0 {
                                format!("{sname}.{}", t.slot)
                            } else {
                                format!("{sname}.{}", t.node_id)
                            };
                            v.iter().any(|n| tname.starts_with(n.as_str()))
                        })
                    })
                    .map(|t| task_json(t, &self.cfg))
                    .collect();
                json_resp(StatusCode::OK, &json!(list))
            }
            (&Method::GET, [id]) => match st.tasks.iter().find(|t| t.id == *id) {
                Some(t) => json_resp(StatusCode::OK, &task_json(t, &self.cfg)),
                None => msg(StatusCode::NOT_FOUND, &format!("task {id} not found")),
            },
            _ => msg(StatusCode::NOT_FOUND, "page not found"),
        }
    }

    fn objects(&self, st: &mut State, req: &Req, kind: &str, rest: &[&str]) -> Response<Body> {
        let singular = &kind[..kind.len() - 1];
        let secret = kind == "secrets";
        let list = |st: &mut State| -> Vec<Value> {
            if secret {
                st.secrets.clone()
            } else {
                st.configs.clone()
            }
        };
        let public = |v: &Value| {
            let mut v = v.clone();
            if secret && let Some(spec) = v.get_mut("Spec").and_then(Value::as_object_mut) {
                spec.remove("Data");
            }
            v
        };
        let find = |items: &[Value], key: &str| {
            items
                .iter()
                .position(|o| o["ID"] == key || o["Spec"]["Name"] == key)
        };
        match (&req.method, rest) {
            (&Method::GET, []) => {
                let f = match filters(req) {
                    Ok(f) => f,
                    Err(e) => return msg(StatusCode::INTERNAL_SERVER_ERROR, &e),
                };
                let items: Vec<Value> = list(st)
                    .iter()
                    .filter(|o| {
                        f.get("name").is_none_or(|v| {
                            v.iter()
                                .any(|n| o["Spec"]["Name"].as_str() == Some(n.as_str()))
                        }) && f.get("label").is_none_or(|v| {
                            labels_match(o["Spec"].get("Labels").unwrap_or(&Value::Null), v)
                        })
                    })
                    .map(public)
                    .collect();
                json_resp(StatusCode::OK, &json!(items))
            }
            (&Method::POST, ["create"]) => {
                let Ok(spec) = serde_json::from_slice::<Value>(&req.body) else {
                    return msg(StatusCode::BAD_REQUEST, "invalid JSON");
                };
                let name = spec
                    .get("Name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                if name.is_empty() {
                    return msg(
                        StatusCode::BAD_REQUEST,
                        "rpc error: code = InvalidArgument desc = invalid name, only 64 [a-zA-Z0-9-_.] characters allowed, and the start and end character must be [a-zA-Z0-9]",
                    );
                }
                let data = spec.get("Data").and_then(Value::as_str).unwrap_or_default();
                if base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .is_err()
                {
                    return msg(StatusCode::BAD_REQUEST, "invalid JSON: illegal base64 data");
                }
                let items = list(st);
                if find(&items, &name).is_some() {
                    return msg(
                        StatusCode::CONFLICT,
                        &format!(
                            "rpc error: code = AlreadyExists desc = {singular} {name} already exists"
                        ),
                    );
                }
                let v = st.bump();
                let now = now_str();
                let id = new_id();
                let obj = json!({"ID": id, "Version": {"Index": v}, "CreatedAt": now, "UpdatedAt": now, "Spec": spec});
                if secret {
                    st.secrets.push(obj)
                } else {
                    st.configs.push(obj)
                }
                st.event(singular, "create", &id, json!({"name": name}));
                json_resp(StatusCode::CREATED, &json!({"ID": id}))
            }
            (&Method::GET, [id]) => {
                let items = list(st);
                match find(&items, id) {
                    Some(i) => json_resp(StatusCode::OK, &public(&items[i])),
                    None => msg(StatusCode::NOT_FOUND, &format!("{singular} {id} not found")),
                }
            }
            // swarmkit: name and data must stay (checked first), only labels change, and the
            // version must be the current one.
            (&Method::POST, [id, "update"]) => {
                let Ok(spec) = serde_json::from_slice::<Value>(&req.body) else {
                    return msg(StatusCode::BAD_REQUEST, "invalid JSON");
                };
                let items = list(st);
                let Some(i) = find(&items, id) else {
                    return msg(StatusCode::NOT_FOUND, &format!("{singular} {id} not found"));
                };
                let cur = &items[i];
                let data_changed = spec.get("Data").is_some_and(|d| {
                    !d.is_null() && d.as_str() != cur["Spec"]["Data"].as_str().or(Some(""))
                });
                if spec.get("Name") != cur["Spec"].get("Name") || data_changed {
                    return msg(
                        StatusCode::BAD_REQUEST,
                        "rpc error: code = InvalidArgument desc = only updates to Labels are allowed",
                    );
                }
                let version = req
                    .query_param("version")
                    .and_then(|v| v.parse::<u64>().ok());
                if version != cur["Version"]["Index"].as_u64() {
                    return msg(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "rpc error: code = Unknown desc = update out of sequence",
                    );
                }
                let v = st.bump();
                let target = if secret {
                    &mut st.secrets
                } else {
                    &mut st.configs
                };
                let o = &mut target[i];
                o["Spec"]["Labels"] = spec.get("Labels").cloned().unwrap_or_else(|| json!({}));
                o["Version"]["Index"] = json!(v);
                o["UpdatedAt"] = json!(now_str());
                let oid = o["ID"].as_str().unwrap_or_default().to_owned();
                st.event(singular, "update", &oid, json!({}));
                empty_resp(StatusCode::OK)
            }
            (&Method::DELETE, [id]) => {
                let items = list(st);
                let Some(i) = find(&items, id) else {
                    return msg(StatusCode::NOT_FOUND, &format!("{singular} {id} not found"));
                };
                let oid = items[i]["ID"].as_str().unwrap_or_default().to_owned();
                let in_use = st.services.iter().any(|s| {
                    let key = if secret {
                        "/TaskTemplate/ContainerSpec/Secrets"
                    } else {
                        "/TaskTemplate/ContainerSpec/Configs"
                    };
                    s.spec
                        .pointer(key)
                        .and_then(Value::as_array)
                        .is_some_and(|a| {
                            a.iter().any(|r| {
                                r[format!("{}ID", if secret { "Secret" } else { "Config" })]
                                    == oid.as_str()
                            })
                        })
                });
                if in_use {
                    return msg(
                        StatusCode::BAD_REQUEST,
                        &format!(
                            "rpc error: code = InvalidArgument desc = {singular} '{id}' is in use"
                        ),
                    );
                }
                if secret {
                    st.secrets.remove(i);
                } else {
                    st.configs.remove(i);
                }
                st.event(singular, "remove", &oid, json!({}));
                empty_resp(StatusCode::NO_CONTENT)
            }
            _ => msg(StatusCode::NOT_FOUND, "page not found"),
        }
    }

    fn distribution(&self, image: &str) -> Response<Body> {
        match self.cfg.images.iter().find(|(i, _)| i == image) {
            Some((_, digest)) => json_resp(
                StatusCode::OK,
                &json!({
                    "Descriptor": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest, "size": 0},
                    "Platforms": [{"architecture": "amd64", "os": "linux"}],
                }),
            ),
            None => msg(
                StatusCode::FORBIDDEN,
                &format!("Error response from daemon: manifest unknown: {image}"),
            ),
        }
    }

    fn exec_create(&self, req: &Req, container: &str) -> Response<Body> {
        let mut st = self.lock();
        st.tick(&self.cfg);
        let running = st.tasks.iter().any(|t| {
            t.reported == "running"
                && !container.is_empty()
                && t.container_id.starts_with(container)
        });
        if !running {
            return msg(
                StatusCode::NOT_FOUND,
                &format!("No such container: {container}"),
            );
        }
        let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
            return msg(StatusCode::BAD_REQUEST, "invalid JSON");
        };
        let cmd: Vec<String> = body
            .get("Cmd")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|c| c.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        if cmd.is_empty() {
            return msg(StatusCode::BAD_REQUEST, "No exec command specified");
        }
        let id = server::random_hex(64);
        let cid = st
            .tasks
            .iter()
            .find(|t| t.container_id.starts_with(container))
            .map(|t| t.container_id.clone())
            .unwrap_or_default();
        st.execs.insert(
            id.clone(),
            Exec {
                container_id: cid,
                cmd,
                started: false,
                exit: None,
            },
        );
        json_resp(StatusCode::CREATED, &json!({"Id": id}))
    }

    fn exec(&self, req: &Req, id: &str, action: &str) -> Response<Body> {
        let mut st = self.lock();
        let Some(exec) = st.execs.get(id).cloned() else {
            return msg(
                StatusCode::NOT_FOUND,
                &format!("No such exec instance: {id}"),
            );
        };
        match (&req.method, action) {
            (&Method::POST, "start") => {
                let result = st
                    .exec_results
                    .iter()
                    .find(|(c, ..)| *c == exec.cmd)
                    .cloned();
                let (out, err, code) =
                    result
                        .map(|(_, o, e, c)| (o, e, c))
                        .unwrap_or((Vec::new(), Vec::new(), 0));
                if let Some(e) = st.execs.get_mut(id) {
                    e.started = true;
                    e.exit = Some(code);
                }
                let detach = serde_json::from_slice::<Value>(&req.body)
                    .ok()
                    .and_then(|b| b.get("Detach").and_then(Value::as_bool))
                    .unwrap_or(false);
                if detach {
                    return empty_resp(StatusCode::OK);
                }
                let mut body = Vec::new();
                if !out.is_empty() {
                    body.extend(frame(1, &out));
                }
                if !err.is_empty() {
                    body.extend(frame(2, &err));
                }
                raw_stream(body)
            }
            (&Method::GET, "json") => json_resp(
                StatusCode::OK,
                &json!({
                    "ID": id, "Running": false, "ExitCode": exec.exit, "ContainerID": exec.container_id,
                    "OpenStdin": false, "OpenStderr": true, "OpenStdout": true, "CanRemove": false, "DetachKeys": "", "Pid": 0,
                    "ProcessConfig": {"tty": false, "entrypoint": exec.cmd[0], "arguments": exec.cmd[1..].to_vec(), "privileged": false},
                }),
            ),
            _ => msg(StatusCode::NOT_FOUND, "page not found"),
        }
    }

    fn events(self: &Arc<Self>, req: &Req) -> Response<Body> {
        let mut times = [None, None];
        for (slot, key) in times.iter_mut().zip(["since", "until"]) {
            if let Some(v) = req.query_param(key).filter(|v| !v.is_empty()) {
                match parse_api_time(&v) {
                    Some(t) => *slot = Some(t),
                    None => {
                        return msg(
                            StatusCode::BAD_REQUEST,
                            &format!("invalid {key} value {v:?}"),
                        );
                    }
                }
            }
        }
        let [since, until] = times;
        let f = match filters(req) {
            Ok(f) => f,
            Err(e) => return msg(StatusCode::INTERNAL_SERVER_ERROR, &e),
        };
        let start = now_nanos();
        let cursor = self
            .lock()
            .events
            .iter()
            .filter(|(t, _)| since.is_none_or(|s| *t < s))
            .count();
        let cursor = if since.is_some() {
            cursor
        } else {
            self.lock().events.len()
        };
        let inner = Arc::clone(self);
        let stream = futures_util::stream::unfold((inner, cursor), move |(inner, mut cursor)| {
            let f = f.clone();
            async move {
                loop {
                    let now = now_nanos();
                    let mut out = Vec::new();
                    {
                        let mut st = inner.lock();
                        st.tick(&inner.cfg);
                        while cursor < st.events.len() {
                            let (t, ev) = &st.events[cursor];
                            cursor += 1;
                            if until.is_some_and(|u| *t > u) {
                                continue;
                            }
                            if event_matches(&f, ev) {
                                out.extend(serde_json::to_vec(ev).unwrap_or_default());
                                out.push(b'\n');
                            }
                        }
                    }
                    if !out.is_empty() {
                        return Some((Ok::<_, io::Error>(Bytes::from(out)), (inner, cursor)));
                    }
                    if until.is_some_and(|u| now > u || u < start) {
                        return None;
                    }
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
            }
        });
        let mut resp = Response::new(server::streamed(stream));
        resp.headers_mut().insert(
            "Content-Type",
            http::HeaderValue::from_static("application/json"),
        );
        resp.headers_mut()
            .insert("Api-Version", http::HeaderValue::from_static(API_VERSION));
        resp
    }
}

/// The restart delay of a service's tasks: `TaskTemplate.RestartPolicy.Delay` (nanoseconds),
/// else the builder's [`MockSwarmBuilder::restart_delay`]; `None` when the policy's
/// `Condition` is `none` (failed tasks stay failed).
fn restart_delay(spec: &Value, cfg: &MockSwarmBuilder) -> Option<Duration> {
    let policy = spec.pointer("/TaskTemplate/RestartPolicy");
    if policy
        .and_then(|p| p.get("Condition"))
        .and_then(Value::as_str)
        == Some("none")
    {
        return None;
    }
    Some(
        policy
            .and_then(|p| p.get("Delay"))
            .and_then(Value::as_u64)
            .map_or(cfg.restart_delay, Duration::from_nanos),
    )
}

/// Whether event `ev` passes `filters` like dockerd's `events.Filter.Include`: `type`, `scope`
/// and `event` (the action, or its part before `:`) match exactly; `container`, `service`,
/// `node`, `config`, `secret`, `network` match the actor ID or its `name` attribute by exact
/// value or prefix, and exclude events of other types' actors; `label` (`k` or `k=v`) matches
/// the actor's attributes.
fn event_matches(f: &HashMap<String, Vec<String>>, ev: &Value) -> bool {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let (typ, action, scope) = (text(&ev["Type"]), text(&ev["Action"]), text(&ev["scope"]));
    let id = text(&ev["Actor"]["ID"]);
    let name = text(&ev["Actor"]["Attributes"]["name"]);
    let exact = |key: &str, have: &str| f.get(key).is_none_or(|v| v.iter().any(|x| x == have));
    let fuzzy = |key: &str| {
        f.get(key).is_none_or(|v| {
            v.iter().any(|x| {
                !x.is_empty()
                    && (id.starts_with(x.as_str())
                        || (!name.is_empty() && name.starts_with(x.as_str())))
            })
        })
    };
    let base_action = action.split(':').next().unwrap_or_default();
    exact("type", &typ)
        && exact("scope", &scope)
        && f.get("event")
            .is_none_or(|v| v.iter().any(|x| *x == action || x == base_action))
        && [
            "container",
            "service",
            "node",
            "config",
            "secret",
            "network",
        ]
        .iter()
        .all(|k| fuzzy(k))
        && labels_match(
            ev.pointer("/Actor/Attributes").unwrap_or(&Value::Null),
            f.get("label").map_or(&[][..], Vec::as_slice),
        )
}

/// Whether node `n` satisfies a placement constraint like `node.role==manager`,
/// `node.hostname!=web-1`, `node.labels.zone==a`, `node.id==…`, `node.platform.os==linux`.
/// Unknown keys never match `==` (so such services stay pending, as with an unknown label).
fn constraint_matches(n: &Node, c: &str) -> bool {
    let (key, want, eq) = if let Some((k, v)) = c.split_once("!=") {
        (k.trim(), v.trim(), false)
    } else if let Some((k, v)) = c.split_once("==") {
        (k.trim(), v.trim(), true)
    } else {
        return false;
    };
    let have: Option<String> = match key {
        "node.id" => Some(n.id.clone()),
        "node.hostname" => Some(n.hostname.clone()),
        "node.role" => Some(n.role.clone()),
        "node.platform.os" => Some("linux".to_owned()),
        "node.platform.arch" => Some("x86_64".to_owned()),
        _ => key
            .strip_prefix("node.labels.")
            .and_then(|l| n.labels.get(l))
            .and_then(Value::as_str)
            .map(str::to_owned),
    };
    match have {
        Some(h) => (h == want) == eq,
        None => !eq,
    }
}

/// Fills in the defaults dockerd 20.10 adds to a stored service spec (checked against the
/// real daemon: `Labels`, `ForceUpdate`, `Runtime`, `ContainerSpec.Isolation`).
fn normalize_spec(spec: &mut Value) {
    let Some(o) = spec.as_object_mut() else {
        return;
    };
    o.entry("Labels").or_insert_with(|| json!({}));
    o.entry("Mode")
        .or_insert_with(|| json!({"Replicated": {"Replicas": 1}}));
    if let Some(r) = o
        .get_mut("Mode")
        .and_then(|m| m.get_mut("Replicated"))
        .and_then(Value::as_object_mut)
    {
        r.entry("Replicas").or_insert(json!(1));
    }
    if let Some(tt) = o.get_mut("TaskTemplate").and_then(Value::as_object_mut) {
        tt.entry("ForceUpdate").or_insert(json!(0));
        tt.entry("Runtime").or_insert(json!("container"));
        if let Some(cs) = tt.get_mut("ContainerSpec").and_then(Value::as_object_mut) {
            cs.entry("Isolation").or_insert(json!("default"));
        }
    }
}

/// Decodes and checks a service spec body like the daemon does before any lookup.
#[allow(clippy::result_large_err)]
fn parse_spec(body: &[u8]) -> Result<Value, Response<Body>> {
    let spec = match serde_json::from_slice::<Value>(body) {
        Ok(s) if s.is_object() => s,
        _ => return Err(msg(StatusCode::BAD_REQUEST, "invalid JSON in service spec")),
    };
    if spec
        .pointer("/TaskTemplate/ContainerSpec")
        .is_none_or(|c| !c.is_object())
    {
        return Err(msg(
            StatusCode::BAD_REQUEST,
            "mismatched Runtime and *Spec fields",
        ));
    }
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_have_docker_header() {
        assert_eq!(frame(2, b"hi"), vec![2, 0, 0, 0, 0, 0, 0, 2, b'h', b'i']);
    }

    #[test]
    fn ids_look_like_swarm_ids() {
        let id = new_id();
        assert_eq!(id.len(), 25);
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
        );
        assert_ne!(id, new_id());
    }
}
