//! Services: create, inspect, list, update (read-modify-write), rollback, scale, remove, logs.

use reqwest::Method;
use sdk_core::RegistryAuth;
use serde::Serialize;
use serde_json::Value;

use crate::client::{Client, Req, filters_json};
use crate::error::{Error, Result};
use crate::models::{IdResponse, Service, ServiceMode};
use crate::stream::{FrameStream, frames};

/// Options of [`Client::service_create`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
#[must_use]
pub struct CreateOptions {
    registry_auth: Option<RegistryAuth>,
}

impl CreateOptions {
    /// No options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends `X-Registry-Auth` so nodes can pull a private image.
    pub fn registry_auth(mut self, auth: RegistryAuth) -> Self {
        self.registry_auth = Some(auth);
        self
    }
}

/// Where the daemon takes registry auth from on update when none is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistryAuthFrom {
    /// From the current spec (`registryAuthFrom=spec`, the default).
    Spec,
    /// From the previous spec (`registryAuthFrom=previous-spec`).
    PreviousSpec,
}

/// Options of [`Client::service_update`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
#[must_use]
pub struct UpdateOptions {
    registry_auth: Option<RegistryAuth>,
    registry_auth_from: Option<RegistryAuthFrom>,
    retries: Option<u32>,
}

impl UpdateOptions {
    /// No options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends `X-Registry-Auth`.
    pub fn registry_auth(mut self, auth: RegistryAuth) -> Self {
        self.registry_auth = Some(auth);
        self
    }

    /// Sets `registryAuthFrom`.
    pub fn registry_auth_from(mut self, from: RegistryAuthFrom) -> Self {
        self.registry_auth_from = Some(from);
        self
    }

    /// How often a read-modify-write is retried on "update out of sequence" (default 5).
    pub fn retries(mut self, n: u32) -> Self {
        self.retries = Some(n);
        self
    }
}

/// The reply of service create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Created {
    /// The service ID.
    pub id: String,
    /// Daemon warnings (e.g. image could not be resolved).
    pub warnings: Vec<String>,
}

/// What `GET /distribution/{image}/json` says about an image.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Distribution {
    /// The manifest (or index) digest, `sha256:…`.
    pub digest: String,
    /// (architecture, os) of each platform the image has.
    pub platforms: Vec<(String, String)>,
}

/// Options of [`Client::service_logs`].
#[derive(Debug, Clone)]
#[non_exhaustive]
#[must_use]
pub struct LogsOptions {
    follow: bool,
    since: Option<String>,
    tail: Option<String>,
    timestamps: bool,
    stdout: bool,
    stderr: bool,
    details: bool,
}

impl Default for LogsOptions {
    fn default() -> Self {
        Self {
            follow: false,
            since: None,
            tail: None,
            timestamps: false,
            stdout: true,
            stderr: true,
            details: false,
        }
    }
}

impl LogsOptions {
    /// stdout and stderr, everything, no follow.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keep streaming new output.
    pub fn follow(mut self, on: bool) -> Self {
        self.follow = on;
        self
    }

    /// Only logs since a time, as the docker CLI's `--since` takes it: a duration back from
    /// now (`42m`), an RFC 3339 time or date, or a Unix timestamp (see
    /// [`api_time_arg`](crate::models::api_time_arg)). A value that is none of these makes the
    /// logs call fail with [`Error::InvalidArgument`].
    pub fn since(mut self, since: impl Into<String>) -> Self {
        self.since = Some(since.into());
        self
    }

    /// Only the last N lines (`--tail N` or `all`).
    pub fn tail(mut self, tail: impl Into<String>) -> Self {
        self.tail = Some(tail.into());
        self
    }

    /// Prefix timestamps.
    pub fn timestamps(mut self, on: bool) -> Self {
        self.timestamps = on;
        self
    }

    /// Include extra details (task/node attributes).
    pub fn details(mut self, on: bool) -> Self {
        self.details = on;
        self
    }

    /// Include stdout / stderr.
    pub fn streams(mut self, stdout: bool, stderr: bool) -> Self {
        self.stdout = stdout;
        self.stderr = stderr;
        self
    }

    fn query(&self) -> Result<Vec<(&'static str, String)>> {
        let mut q = vec![
            ("stdout", self.stdout.to_string()),
            ("stderr", self.stderr.to_string()),
            ("follow", self.follow.to_string()),
            ("timestamps", self.timestamps.to_string()),
            ("details", self.details.to_string()),
        ];
        if let Some(s) = &self.since {
            let at = crate::models::api_time_arg(s, std::time::SystemTime::now()).map_err(
                |message| Error::InvalidArgument {
                    what: "since",
                    message,
                },
            )?;
            q.push(("since", at));
        }
        if let Some(t) = &self.tail {
            q.push(("tail", t.clone()));
        }
        Ok(q)
    }
}

fn auth_headers(auth: Option<&RegistryAuth>) -> Vec<(&'static str, String)> {
    auth.map(|a| vec![("X-Registry-Auth", a.encode())])
        .unwrap_or_default()
}

impl Client {
    /// `POST /services/create` with a spec (swarm-client's `ServiceSpec` or any JSON value).
    ///
    /// # Errors
    /// [`Error::Conflict`] when the name is taken, [`Error::NotManager`], other API errors.
    pub async fn service_create<S: Serialize + ?Sized>(
        &self,
        spec: &S,
        opts: &CreateOptions,
    ) -> Result<Created> {
        let auth = opts.registry_auth.as_ref().or(self.default_registry_auth());
        let r: IdResponse = self
            .post_json("/services/create", &[], spec, &auth_headers(auth))
            .await?;
        Ok(Created {
            id: r.id,
            warnings: r.warnings.unwrap_or_default(),
        })
    }

    /// `GET /services/{id}` (ID, name or ID prefix).
    ///
    /// # Errors
    /// [`Error::NotFound`] and other API errors.
    pub async fn service_inspect(&self, id: &str) -> Result<Service> {
        self.get_json(
            &format!("/services/{id}"),
            &[("insertDefaults", "false".to_owned())],
        )
        .await
    }

    /// `GET /services?status=true&filters=` (filters like `[("name","web")]`, `[("label","a=b")]`).
    ///
    /// # Errors
    /// API errors.
    pub async fn service_list(&self, filters: &[(&str, &str)]) -> Result<Vec<Service>> {
        let mut q = vec![("status", "true".to_owned())];
        if !filters.is_empty() {
            q.push(("filters", filters_json(filters)));
        }
        self.get_json("/services", &q).await
    }

    /// `POST /services/{id}/update?version=` with a full spec. Returns daemon warnings.
    ///
    /// # Errors
    /// [`Error::OutOfSequence`] when `version` is stale; other API errors.
    pub async fn service_update_spec<S: Serialize + ?Sized>(
        &self,
        id: &str,
        version: u64,
        spec: &S,
        opts: &UpdateOptions,
    ) -> Result<Vec<String>> {
        self.update_raw(id, version, spec, opts, false).await
    }

    async fn update_raw<S: Serialize + ?Sized>(
        &self,
        id: &str,
        version: u64,
        spec: &S,
        opts: &UpdateOptions,
        rollback: bool,
    ) -> Result<Vec<String>> {
        let mut q = vec![("version", version.to_string())];
        if rollback {
            q.push(("rollback", "previous".to_owned()));
        }
        if let Some(from) = opts.registry_auth_from {
            q.push((
                "registryAuthFrom",
                match from {
                    RegistryAuthFrom::Spec => "spec",
                    RegistryAuthFrom::PreviousSpec => "previous-spec",
                }
                .to_owned(),
            ));
        }
        let auth = opts.registry_auth.as_ref().or(self.default_registry_auth());
        let r: Value = self
            .post_json(
                &format!("/services/{id}/update"),
                &q,
                spec,
                &auth_headers(auth),
            )
            .await?;
        Ok(r.get("Warnings")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|w| w.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Read-modify-write update: inspects the service, lets `change` edit its spec (raw JSON, so
    /// fields this crate does not know survive) and writes it back with `?version=`, retrying on
    /// "update out of sequence".
    ///
    /// Returns the service as inspected after the update was accepted: its `Spec` is the new
    /// spec, its `PreviousSpec` the old one and its `Version` the new version.
    ///
    /// # Errors
    /// What `change` returns; [`Error::OutOfSequence`] after the retries; other API errors.
    pub async fn service_update<F>(
        &self,
        id: &str,
        opts: &UpdateOptions,
        change: F,
    ) -> Result<Service>
    where
        F: FnMut(&mut Value) -> Result<()>,
    {
        self.update_with_retry(id, opts, false, change).await
    }

    /// Inspect, `change` the spec, write it at the inspected version (`rollback=previous` when
    /// `rollback`), again on "update out of sequence" up to `opts.retries` times (default 5).
    async fn update_with_retry<F>(
        &self,
        id: &str,
        opts: &UpdateOptions,
        rollback: bool,
        mut change: F,
    ) -> Result<Service>
    where
        F: FnMut(&mut Value) -> Result<()>,
    {
        let retries = opts.retries.unwrap_or(5);
        let mut attempt = 0;
        loop {
            let svc = self.service_inspect(id).await?;
            let mut spec = svc.spec.clone();
            change(&mut spec)?;
            match self
                .update_raw(&svc.id, svc.version.index, &spec, opts, rollback)
                .await
            {
                Ok(_) => return self.service_inspect(&svc.id).await,
                Err(e) if e.is_out_of_sequence() && attempt < retries => {
                    attempt += 1;
                    tracing::debug!(
                        attempt,
                        rollback,
                        "service update out of sequence, retrying"
                    );
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// `docker service rollback`: update with `rollback=previous` at the current version.
    ///
    /// Returns the service as inspected after the rollback was accepted (its `Spec` is the
    /// previous spec again).
    ///
    /// # Errors
    /// API errors (e.g. no previous spec).
    pub async fn service_rollback(&self, id: &str) -> Result<Service> {
        self.update_with_retry(id, &UpdateOptions::new(), true, |_| Ok(()))
            .await
    }

    /// Sets the replica count of a replicated service; returns the updated service.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a non-replicated service; as [`Client::service_update`].
    pub async fn service_scale(&self, id: &str, replicas: u64) -> Result<Service> {
        self.service_update(id, &UpdateOptions::new(), |spec| {
            match ServiceMode::of_spec(spec) {
                ServiceMode::Replicated(_) => {}
                other => {
                    return Err(Error::InvalidArgument {
                        what: "service",
                        message: format!(
                            "scale can only be used with replicated mode (is {})",
                            other.as_str()
                        ),
                    });
                }
            }
            let mode = spec
                .as_object_mut()
                .ok_or_else(|| Error::InvalidArgument {
                    what: "service spec",
                    message: "not a JSON object".into(),
                })?
                .entry("Mode")
                .or_insert_with(|| serde_json::json!({"Replicated": {}}));
            mode["Replicated"]["Replicas"] = Value::from(replicas);
            Ok(())
        })
        .await
    }

    /// `DELETE /services/{id}`.
    ///
    /// # Errors
    /// [`Error::NotFound`] and other API errors.
    pub async fn service_remove(&self, id: &str) -> Result<()> {
        self.delete(&format!("/services/{id}"), &[]).await
    }

    /// `GET /services/{id}/logs` as a stream of stdout/stderr frames (raw when the service has a TTY).
    ///
    /// # Errors
    /// API errors when the stream is opened; stream errors as items.
    pub async fn service_logs(&self, id: &str, opts: &LogsOptions) -> Result<FrameStream> {
        let svc = self.service_inspect(id).await?;
        let tty = svc
            .spec
            .pointer("/TaskTemplate/ContainerSpec/TTY")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        self.logs_of("services", &svc.id, tty, opts).await
    }

    /// `GET /tasks/{id}/logs`: the output of one task (`docker service logs TASK_ID`), decoded
    /// like [`Client::service_logs`].
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown task, [`Error::InvalidArgument`] for a bad `since`,
    /// other API errors.
    pub async fn task_logs(&self, task_id: &str, opts: &LogsOptions) -> Result<FrameStream> {
        let task = self.task_inspect(task_id).await?;
        let tty = task
            .spec
            .pointer("/ContainerSpec/TTY")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        self.logs_of("tasks", &task.id, tty, opts).await
    }

    async fn logs_of(
        &self,
        kind: &str,
        id: &str,
        tty: bool,
        opts: &LogsOptions,
    ) -> Result<FrameStream> {
        let req = Req::new(Method::GET, format!("/{kind}/{id}/logs"))
            .query(&opts.query()?)
            .streaming();
        let endpoint = req.endpoint();
        let resp = self.call(req).await?;
        Ok(frames(resp, endpoint, tty))
    }

    /// `GET /distribution/{image}/json`: the digest and the platforms the registry has for
    /// `image`, as the docker CLI's `--resolve-image` reads them (`arm` architectures are
    /// cleared, as the CLI clears them).
    ///
    /// # Errors
    /// API errors (e.g. unknown image, registry unreachable); [`Error::Stream`] when the reply
    /// has no digest.
    pub async fn distribution_inspect(
        &self,
        image: &str,
        auth: Option<&RegistryAuth>,
    ) -> Result<Distribution> {
        let req = Req::new(Method::GET, format!("/distribution/{image}/json"))
            .headers(&auth_headers(auth.or(self.default_registry_auth())));
        let endpoint = req.endpoint();
        let resp = self.call(req).await?;
        let v: Value = crate::client::decode(resp, &endpoint).await?;
        let digest = v
            .pointer("/Descriptor/digest")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| Error::Stream {
                endpoint,
                message: "reply has no Descriptor.digest".into(),
            })?;
        let platforms = v
            .get("Platforms")
            .and_then(Value::as_array)
            .map(|ps| {
                ps.iter()
                    .map(|p| {
                        let arch = p
                            .get("architecture")
                            .and_then(Value::as_str)
                            .unwrap_or_default();
                        let os = p.get("os").and_then(Value::as_str).unwrap_or_default();
                        let arch = if arch.eq_ignore_ascii_case("arm") {
                            ""
                        } else {
                            arch
                        };
                        (arch.to_owned(), os.to_owned())
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Distribution { digest, platforms })
    }

    /// `GET /distribution/{image}/json`: the digest the registry has for `image`
    /// (`sha256:…`), for pinning `image:tag@digest` like the docker CLI.
    ///
    /// # Errors
    /// API errors (e.g. unknown image, registry unreachable).
    pub async fn distribution_digest(
        &self,
        image: &str,
        auth: Option<&RegistryAuth>,
    ) -> Result<String> {
        let req = Req::new(Method::GET, format!("/distribution/{image}/json"))
            .headers(&auth_headers(auth.or(self.default_registry_auth())));
        let endpoint = req.endpoint();
        let resp = self.call(req).await?;
        let v: Value = crate::client::decode(resp, &endpoint).await?;
        v.pointer("/Descriptor/digest")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| Error::Stream {
                endpoint,
                message: "reply has no Descriptor.digest".into(),
            })
    }
}
