//! Exec in a container (`POST /containers/{id}/exec`, `/exec/{id}/start`, `/exec/{id}/json`)
//! and in the container of a task `service.slot` through the daemon of the node it runs on.

use std::collections::HashMap;
use std::time::Duration;

use reqwest::Method;
use serde::Serialize;
use serde_json::Value;

use crate::client::{Client, Req};
use crate::error::{Error, Result};
use crate::models::IdResponse;
use crate::path::segment;
use crate::stream::{Output, collect_bounded, frames_idle};
use crate::tasks::ServiceSlot;

/// What to run with [`Client::exec`].
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
#[must_use]
pub struct ExecOptions {
    cmd: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    env: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    user: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    working_dir: String,
    tty: bool,
    privileged: bool,
    attach_stdout: bool,
    attach_stderr: bool,
    #[serde(skip)]
    idle_timeout: Option<Duration>,
    #[serde(skip)]
    max_output: usize,
}

/// How much output (stdout and stderr together) [`Client::exec`] collects by default: 16 MiB.
pub const DEFAULT_MAX_EXEC_OUTPUT: usize = 16 * 1024 * 1024;

impl ExecOptions {
    /// Runs `cmd` (argv, no shell).
    pub fn new<I, S>(cmd: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            cmd: cmd.into_iter().map(Into::into).collect(),
            env: Vec::new(),
            user: String::new(),
            working_dir: String::new(),
            tty: false,
            privileged: false,
            attach_stdout: true,
            attach_stderr: true,
            idle_timeout: None,
            max_output: DEFAULT_MAX_EXEC_OUTPUT,
        }
    }

    /// How long the command may stay silent (no output) before [`Client::exec`] gives up with
    /// [`Error::Timeout`]; default: the client's timeout (`ClientBuilder::timeout`, 60 s). Give a
    /// longer one for commands that work quietly for a long time.
    pub fn idle_timeout(mut self, idle: Duration) -> Self {
        self.idle_timeout = Some(idle);
        self
    }

    /// The most output (stdout and stderr together) to collect, default
    /// [`DEFAULT_MAX_EXEC_OUTPUT`]; more is [`Error::TooLarge`].
    pub fn max_output(mut self, bytes: usize) -> Self {
        self.max_output = bytes;
        self
    }

    /// Adds `KEY=VALUE`.
    pub fn env(mut self, kv: impl Into<String>) -> Self {
        self.env.push(kv.into());
        self
    }

    /// Runs as this user.
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = user.into();
        self
    }

    /// Working directory.
    pub fn workdir(mut self, dir: impl Into<String>) -> Self {
        self.working_dir = dir.into();
        self
    }

    /// Allocates a TTY (output is then raw, stderr merged into stdout).
    pub fn tty(mut self, on: bool) -> Self {
        self.tty = on;
        self
    }

    /// Privileged.
    pub fn privileged(mut self, on: bool) -> Self {
        self.privileged = on;
        self
    }
}

/// Output and exit code of an exec.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExecResult {
    /// stdout/stderr.
    pub output: Output,
    /// The exit code.
    pub exit_code: i64,
}

/// Daemon endpoints of swarm nodes, keyed by node ID, hostname or address (`127.0.0.2`).
#[derive(Debug, Clone, Default)]
pub struct NodeEndpoints {
    map: HashMap<String, Client>,
}

impl NodeEndpoints {
    /// Empty: only tasks on the manager the client talks to can be reached.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the daemon of a node (key: node ID, hostname or `Status.Addr`).
    #[must_use]
    pub fn with(mut self, node: impl Into<String>, client: Client) -> Self {
        self.map.insert(node.into(), client);
        self
    }

    /// Adds the daemon of a node by endpoint (connects lazily, API version pinned to the minimum).
    ///
    /// # Errors
    /// [`Error::Config`] for an unusable endpoint.
    pub fn with_endpoint(self, node: impl Into<String>, endpoint: &str) -> Result<Self> {
        let c = Client::builder(endpoint).build()?;
        Ok(self.with(node, c))
    }

    fn find(&self, keys: &[&str]) -> Option<&Client> {
        keys.iter()
            .filter(|k| !k.is_empty())
            .find_map(|k| self.map.get(*k))
    }
}

impl Client {
    /// Runs a command in a container of this daemon and waits for it: output and exit code.
    ///
    /// Every step is bounded: the create and inspect calls by the client's timeout, the output
    /// by [`ExecOptions::idle_timeout`] (silence) and [`ExecOptions::max_output`] (size), each
    /// frame by [`crate::stream::MAX_FRAME`].
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown container, [`Error::Conflict`] when it is not running,
    /// API and stream errors, [`Error::Timeout`] when the daemon stalls or the exit code never
    /// appears, [`Error::TooLarge`] for too much output.
    pub async fn exec(&self, container_id: &str, opts: &ExecOptions) -> Result<ExecResult> {
        let created: IdResponse = self
            .post_json(
                &format!("/containers/{}/exec", segment("container", container_id)?),
                &[],
                opts,
                &[],
            )
            .await?;
        let body = serde_json::json!({"Detach": false, "Tty": opts.tty});
        let exec_id = segment("exec ID", &created.id)?;
        let req = Req::new(Method::POST, format!("/exec/{exec_id}/start"))
            .json(&body)?
            .streaming();
        let endpoint = req.endpoint();
        let resp = self.call(req).await?;
        let idle = opts.idle_timeout.unwrap_or(self.timeout());
        let output = collect_bounded(
            frames_idle(resp, endpoint.clone(), opts.tty, Some(idle)),
            opts.max_output,
            &endpoint,
        )
        .await?;
        let inspect_path = format!("/exec/{exec_id}/json");
        for _ in 0..100 {
            let v: Value = self.get_json(&inspect_path, &[]).await?;
            let running = v.get("Running").and_then(Value::as_bool).unwrap_or(false);
            if !running {
                let exit_code = v.get("ExitCode").and_then(Value::as_i64).unwrap_or(-1);
                return Ok(ExecResult { output, exit_code });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(Error::Timeout {
            what: format!("exit code of exec {}", created.id),
            after: Duration::from_secs(5),
        })
    }

    /// Runs a command in the container of the running task `service.slot`, through the daemon of
    /// the node the task runs on: this client's daemon when it is that node, else the one in
    /// `nodes` (by node ID, address or hostname).
    ///
    /// # Errors
    /// [`Error::NoTask`] when the slot has no started task, [`Error::NoNodeEndpoint`] when the
    /// node's daemon is not known, and the errors of [`Client::exec`].
    pub async fn exec_in_task(
        &self,
        target: &ServiceSlot,
        opts: &ExecOptions,
        nodes: &NodeEndpoints,
    ) -> Result<ExecResult> {
        let task = self.task_for_slot(target).await?;
        let container = task
            .container_id()
            .ok_or_else(|| {
                Error::NoTask(format!("{target} (task {} has no container yet)", task.id))
            })?
            .to_owned();
        let local = self.local_node_id().await?;
        if task.node_id == local {
            return self.exec(&container, opts).await;
        }
        let node = self.node_inspect(&task.node_id).await?;
        let client = nodes
            .find(&[&node.id, &node.status.addr, &node.description.hostname])
            .ok_or_else(|| Error::NoNodeEndpoint {
                node: node.id.clone(),
                hostname: node.description.hostname.clone(),
            })?;
        client.exec(&container, opts).await
    }
}
