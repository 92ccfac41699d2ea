//! The watcher: keeps an nginx upstream equal to a service's running tasks.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use lb_config::UpstreamServer;
use lb_config::nginx::Applied;
use swarm_client::Client;
use swarm_client::converge::WaitOptions;
use swarm_client::events::EventFilter;
use swarm_client::models::{Event, EventType};
use swarm_client::watch::{WatchEvent, WatchOptions, WatchStream};
use tokio::time::Instant;

use super::backends::{Backends, PortRule};
use super::balancer::Balancer;
use super::target::ApplyTarget;
use crate::error::{Error, Result};

/// Why the watcher applied (or tried to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cause {
    /// The first apply, when the watcher starts.
    Start,
    /// Events about the service (this many, folded into one apply by the debounce).
    Events(u64),
    /// The event stream came back after it was lost: events may have been missed.
    Reconnect,
    /// The periodic resync.
    Resync,
}

/// Why the config was left as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kept {
    /// The service has no running task: an empty upstream is not valid nginx, so the last
    /// good config keeps serving.
    NoRunningTasks,
    /// A task's port or address could not be worked out.
    Backend(String),
    /// nginx refused the config or the reload failed; the previous config is back in place.
    ApplyFailed(String),
    /// The daemon could not be reached (it is retried on the next event, reconnect or resync).
    DaemonUnavailable(String),
}

/// What the watcher did, for the caller's log or display.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Report {
    /// The config over `servers` is in place: `Applied::Unchanged` when the file already had
    /// it, else written, validated and reloaded.
    Applied {
        /// Why.
        cause: Cause,
        /// The upstream servers now configured.
        servers: Vec<UpstreamServer>,
        /// What `apply` did.
        outcome: Applied,
    },
    /// The last good config was kept.
    Kept {
        /// Why the watcher looked.
        cause: Cause,
        /// Why it changed nothing.
        reason: Kept,
    },
    /// The event stream was lost; it is being reconnected.
    StreamLost {
        /// The error, as text.
        error: String,
        /// When the next attempt starts.
        retry_in: Duration,
    },
}

/// Keeps an nginx load balancer's upstream equal to a swarm service's running tasks.
///
/// It subscribes to the Engine's events (service updates and removal, its containers' starts
/// and deaths), folds a burst into one apply (debounce), waits for the service to converge so
/// tasks on other nodes are included, and applies the config through an [`ApplyTarget`]
/// (nginx here, or nginx in a task reloaded with exec). The event stream reconnects by itself
/// ([`Client::watch_events`]) and every reconnect triggers a full reconcile, since events may
/// have been missed; a periodic resync covers what the followed daemon never reports (tasks
/// replaced on other nodes, a config file edited by hand). With no running task it keeps the
/// last good config and says so.
///
/// ```no_run
/// # async fn demo(client: swarm_client::Client) -> dockwright::Result<()> {
/// use std::ops::ControlFlow;
/// use dockwright::lb::{Backends, Balancer, LbWatcher, LocalNginx, PortRule};
/// use lb_config::Method;
/// use lb_config::nginx::Nginx;
///
/// let target = LocalNginx::new("/etc/nginx/conf.d/web.conf", Nginx::new("nginx"));
/// let watcher = LbWatcher::builder(client, "web", target)
///     .backends(Backends::new(PortRule::Published { target: Some(80) }))
///     .balancer(Balancer::new("loadbalance").method(Method::LeastConn))
///     .build();
/// watcher
///     .run(|report| {
///         println!("{report:?}");
///         ControlFlow::Continue(())
///     })
///     .await
/// # }
/// ```
pub struct LbWatcher {
    client: Client,
    service: String,
    backends: Backends,
    balancer: Balancer,
    target: Arc<dyn ApplyTarget>,
    debounce: Duration,
    resync: Option<Duration>,
    converge_timeout: Duration,
    watch: WatchOptions,
}

impl std::fmt::Debug for LbWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LbWatcher")
            .field("service", &self.service)
            .field("backends", &self.backends)
            .field("balancer", &self.balancer)
            .field("target", &self.target.describe())
            .field("debounce", &self.debounce)
            .field("resync", &self.resync)
            .finish_non_exhaustive()
    }
}

/// Builder of an [`LbWatcher`].
#[must_use]
pub struct LbWatcherBuilder {
    w: LbWatcher,
}

impl LbWatcher {
    /// A watcher of `service` (name or ID) applying through `target`. Defaults: tasks on
    /// their host-mode published port, a round-robin upstream `loadbalance` on port 80,
    /// 300 ms debounce, a resync every 60 s, 60 s to converge after an event.
    pub fn builder(
        client: Client,
        service: impl Into<String>,
        target: impl ApplyTarget + 'static,
    ) -> LbWatcherBuilder {
        LbWatcherBuilder {
            w: Self {
                client,
                service: service.into(),
                backends: Backends::new(PortRule::Published { target: None }),
                balancer: Balancer::new("loadbalance"),
                target: Arc::new(target),
                debounce: Duration::from_millis(300),
                resync: Some(Duration::from_secs(60)),
                converge_timeout: Duration::from_secs(60),
                watch: WatchOptions::new(),
            },
        }
    }

    /// Reads the service's running tasks and applies the config over them once.
    ///
    /// # Errors
    /// [`Error::ServiceRemoved`] when the service is gone; a config the balancer cannot render
    /// ([`Error::Config`]); Engine errors other than an unreachable daemon. Everything that
    /// leaves the last good config serving is a [`Report::Kept`], not an error.
    pub async fn reconcile(&self, cause: Cause) -> Result<Report> {
        let kept = |reason| Ok(Report::Kept { cause, reason });
        let svc = match self.client.service_inspect(&self.service).await {
            Ok(s) => s,
            Err(e) if e.is_not_found() => return Err(Error::ServiceRemoved(self.service.clone())),
            Err(e) if e.is_transient() => return kept(Kept::DaemonUnavailable(e.to_string())),
            Err(e) => return Err(e.into()),
        };
        let placements = match self.client.service_placements(&svc.id).await {
            Ok(p) => p,
            Err(e) if e.is_transient() => return kept(Kept::DaemonUnavailable(e.to_string())),
            Err(e) => return Err(e.into()),
        };
        if placements.is_empty() {
            return kept(Kept::NoRunningTasks);
        }
        let servers = match self.backends.servers(&svc, &placements) {
            Ok(s) => s,
            Err(Error::Backend(m)) => return kept(Kept::Backend(m)),
            Err(e) => return Err(e),
        };
        let rendered = self.balancer.render(&servers)?;
        let target = Arc::clone(&self.target);
        let outcome = tokio::task::spawn_blocking(move || target.apply(&rendered))
            .await
            .map_err(|e| Error::Join(e.to_string()))?;
        match outcome {
            Ok(outcome) => Ok(Report::Applied {
                cause,
                servers,
                outcome,
            }),
            Err(Error::Apply(e)) => kept(Kept::ApplyFailed(e.to_string())),
            Err(e) => Err(e),
        }
    }

    /// Applies once, then keeps the config in line until the service is removed, `on_report`
    /// breaks, or the returned future is dropped. Every apply, kept config and stream loss is
    /// passed to `on_report`.
    ///
    /// # Errors
    /// [`Error::ServiceRemoved`] when the service is removed, and the errors of
    /// [`LbWatcher::reconcile`]; an event stream error the daemon would repeat.
    pub async fn run(&self, mut on_report: impl FnMut(&Report) -> ControlFlow<()>) -> Result<()> {
        let svc = self.client.service_inspect(&self.service).await?;
        let (id, name) = (svc.id.clone(), svc.name().to_owned());
        let filter = EventFilter::new().kind("service").kind("container");
        let mut events = self.client.watch_events(filter, self.watch.clone());
        // Connect before the first apply, so no change between the two is missed.
        match events.next().await {
            Some(Ok(WatchEvent::Disconnected { error, retry_in }))
                if on_report(&Report::StreamLost {
                    error: error.to_string(),
                    retry_in,
                })
                .is_break() =>
            {
                return Ok(());
            }
            Some(Err(e)) => return Err(e.into()),
            _ => {}
        }
        if on_report(&self.reconcile(Cause::Start).await?).is_break() {
            return Ok(());
        }
        let mut next_resync = self.resync.map(|r| Instant::now() + r);
        loop {
            let item = match next_resync {
                Some(at) => match tokio::time::timeout_at(at, events.next()).await {
                    Ok(item) => item,
                    Err(_) => {
                        next_resync = self.resync.map(|r| Instant::now() + r);
                        if on_report(&self.reconcile(Cause::Resync).await?).is_break() {
                            return Ok(());
                        }
                        continue;
                    }
                },
                None => events.next().await,
            };
            let cause = match item {
                None => return Ok(()),
                Some(Err(e)) => return Err(e.into()),
                Some(Ok(WatchEvent::Event(ev))) => {
                    if !concerns(&ev, &id, &name) {
                        continue;
                    }
                    if removed(&ev) {
                        return Err(Error::ServiceRemoved(name));
                    }
                    let (n, removed_meanwhile) = self.debounce(&mut events, &id, &name).await;
                    if removed_meanwhile {
                        return Err(Error::ServiceRemoved(name));
                    }
                    // Container events only come from the daemon followed: wait until the swarm
                    // runs every task, so tasks on other nodes are included.
                    let wait = WaitOptions::new()
                        .window(Duration::ZERO)
                        .timeout(self.converge_timeout);
                    if let Err(e) = self.client.wait_converged(&id, wait).await {
                        tracing::info!(service = %name, error = %e, "not converged; applying the tasks that run now");
                    }
                    Cause::Events(1 + n)
                }
                Some(Ok(WatchEvent::Connected { resumed: true })) => Cause::Reconnect,
                Some(Ok(WatchEvent::Disconnected { error, retry_in })) => {
                    let report = Report::StreamLost {
                        error: error.to_string(),
                        retry_in,
                    };
                    if on_report(&report).is_break() {
                        return Ok(());
                    }
                    continue;
                }
                Some(Ok(_)) => continue,
            };
            if on_report(&self.reconcile(cause).await?).is_break() {
                return Ok(());
            }
        }
    }

    /// Collects the events that follow within the debounce window; returns how many concerned
    /// the service and whether one removed it. A reconnect within the window counts as one.
    async fn debounce(&self, events: &mut WatchStream, id: &str, name: &str) -> (u64, bool) {
        let mut n = 0;
        loop {
            let until = Instant::now() + self.debounce;
            match tokio::time::timeout_at(until, events.next()).await {
                Ok(Some(Ok(WatchEvent::Event(ev)))) if concerns(&ev, id, name) => {
                    if removed(&ev) {
                        return (n, true);
                    }
                    n += 1;
                }
                Ok(Some(Ok(WatchEvent::Connected { resumed: true }))) => n += 1,
                Ok(Some(Ok(_))) => {}
                Ok(Some(Err(_)) | None) | Err(_) => return (n, false),
            }
        }
    }
}

impl LbWatcherBuilder {
    /// How tasks become upstream servers.
    pub fn backends(mut self, backends: Backends) -> Self {
        self.w.backends = backends;
        self
    }

    /// The balancer around them.
    pub fn balancer(mut self, balancer: Balancer) -> Self {
        self.w.balancer = balancer;
        self
    }

    /// How long to wait for more events after one arrives, so a burst gives one apply.
    pub fn debounce(mut self, d: Duration) -> Self {
        self.w.debounce = d;
        self
    }

    /// Reconcile this often without an event (`None`: never).
    pub fn resync(mut self, every: Option<Duration>) -> Self {
        self.w.resync = every.filter(|d| !d.is_zero());
        self
    }

    /// How long to wait for the service to converge after an event before applying what runs.
    pub fn converge_timeout(mut self, t: Duration) -> Self {
        self.w.converge_timeout = t;
        self
    }

    /// How the event stream reconnects.
    pub fn watch_options(mut self, opts: WatchOptions) -> Self {
        self.w.watch = opts;
        self
    }

    /// The watcher.
    #[must_use]
    pub fn build(self) -> LbWatcher {
        self.w
    }
}

/// Whether an event concerns the service: its update or removal, or a start/death of one of its
/// task containers on the daemon followed.
fn concerns(ev: &Event, id: &str, name: &str) -> bool {
    let attr = |k: &str| ev.actor.attributes.get(k).map(String::as_str);
    match ev.kind {
        EventType::Service => {
            matches!(ev.action.as_str(), "update" | "remove")
                && (ev.actor.id == id || attr("name") == Some(name))
        }
        EventType::Container => {
            matches!(ev.action.as_str(), "start" | "die")
                && (attr("com.docker.swarm.service.id") == Some(id)
                    || attr("com.docker.swarm.service.name") == Some(name))
        }
        _ => false,
    }
}

fn removed(ev: &Event) -> bool {
    ev.kind == EventType::Service && ev.action == "remove"
}
