//! `dockwright lb …`: nginx load-balancer configs (lb-config): render a snippet or a whole
//! nginx.conf from flags or from a swarm service's running tasks, apply it to a running nginx
//! (write atomically, `nginx -t`, reload, confirm, restore on failure), and keep it applied while
//! the service's tasks change (following the Engine's `/events` stream).
//!
//! Ports of a service's tasks (`lb from-service`, `lb watch`):
//! - `--port N`: every task listens on port N of its node;
//! - `--port-base B`: the tasks run host-networked with a port per slot, from an env entry like
//!   `PORT=B{{.Task.Slot}}` (how the tests and day5 run them): the port is the *decimal
//!   concatenation* of B and the slot, e.g. base 3123 and slot 2 → 31232, slot 10 → 312310 (out of
//!   range: an error). For slots 1–9 that equals `B * 10 + slot`;
//! - neither: the host-mode published port of the service (`Endpoint.Ports`, else
//!   `EndpointSpec.Ports`, with `PublishMode` `host`; `--target-port` picks one when several).
//!
//! The address of each server is the task's node address as the swarm reports it
//! (`Status.Addr`; on a one-machine loopback swarm the manager reports 127.0.0.1 for every node),
//! or `--addr` for all of them.

use super::{CliResult, connect, secs};
use clap::{Args, Subcommand};
use dockwright::lb::{
    ApplyTarget as _, Backends, Balancer, Cause, Kept, LbWatcher, LocalNginx, PortRule, Report,
};
use lb_config::nginx::{Applied, Nginx, RecordingRunner};
use lb_config::{AccessLog, Listen, Method, UpstreamServer};
use std::net::{IpAddr, SocketAddr};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Duration;

/// Commands of this area.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// nginx load balancer configs: render, apply, from-service, watch.
    #[command(subcommand)]
    Lb(LbCommand),
}

/// Subcommands of `lb`.
#[derive(Debug, Subcommand)]
pub enum LbCommand {
    /// Print an http-context snippet (upstream + server), or a whole nginx.conf with `--full`.
    Render(Box<RenderArgs>),
    /// Write the config to `--conf`, run `nginx -t`, reload, and confirm the new config is live;
    /// on failure the previous file is restored.
    Apply(Box<ApplyArgs>),
    /// Print the config balancing over a swarm service's running tasks.
    FromService(Box<FromServiceArgs>),
    /// Apply the config of a swarm service's running tasks, and re-apply it whenever the tasks
    /// change (Docker events, debounced); prints one line per apply.
    Watch(Box<WatchArgs>),
}

/// The flags that describe the balancer (everything but its servers).
#[derive(Debug, Args)]
pub struct BalancerArgs {
    /// The upstream name (`proxy_pass http://NAME`).
    #[arg(long, default_value = "loadbalance")]
    pub name: String,
    /// The balancing method: round_robin, least_conn, ip_hash, `hash $key [consistent]`,
    /// random, `random two [least_conn]`.
    #[arg(long, default_value = "round_robin")]
    pub method: String,
    /// The `listen` value of the server block (port, ADDR:PORT, …).
    #[arg(long, default_value = "80")]
    pub listen: String,
    /// `server_name` values.
    #[arg(long = "server-name")]
    pub server_name: Vec<String>,
    /// The `access_log` path, or `off`.
    #[arg(long = "access-log")]
    pub access_log: Option<String>,
    /// The log format name of the access log (`main` is defined in `--full` output).
    #[arg(long = "log-format", requires = "access_log")]
    pub log_format: Option<String>,
    /// Print a whole nginx.conf (events, http, log_format) instead of an http snippet.
    #[arg(long)]
    pub full: bool,
    /// Add `location = /__dockwright/config { return 200 HASH; }` to the server block; `apply`
    /// and `watch` then confirm the reload by asking nginx for it over HTTP (works for nginx in
    /// another pid namespace, e.g. a swarm task).
    #[arg(long = "version-marker")]
    pub version_marker: bool,
}

/// Flags of `lb render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// An upstream server: `ADDR [weight=N] [max_fails=N] [fail_timeout=T] [max_conns=N] [backup] [down]`.
    #[arg(long = "server", required = true)]
    pub servers: Vec<String>,
    /// The balancer.
    #[command(flatten)]
    pub lb: BalancerArgs,
}

/// How the config is applied to nginx (`lb apply`, `lb watch`).
#[derive(Debug, Args)]
pub struct NginxArgs {
    /// The file to write (the nginx.conf itself with `--full`, or an included conf.d file).
    #[arg(long)]
    pub conf: PathBuf,
    /// The full nginx.conf nginx runs with (`-c`); defaults to `--conf` with `--full`, else nginx's default.
    #[arg(long = "main-conf")]
    pub main_conf: Option<PathBuf>,
    /// nginx's prefix (`-p`).
    #[arg(long)]
    pub prefix: Option<PathBuf>,
    /// Global directives (`-g`), e.g. "pid /tmp/t/nginx.pid;".
    #[arg(long = "globals")]
    pub globals: Option<String>,
    /// The nginx binary.
    #[arg(long = "nginx-bin", default_value = "nginx")]
    pub nginx_bin: PathBuf,
    /// No nginx: validate with lb-config's pure-Rust light check (`RecordingRunner`) and only
    /// simulate the reload — a dry run for machines without nginx, and for tests.
    #[arg(long = "no-nginx", conflicts_with_all = ["main_conf", "prefix", "globals"])]
    pub no_nginx: bool,
    /// Where to ask for the version marker (default: the `--listen` address, 127.0.0.1 for a
    /// bare port or a wildcard address).
    #[arg(long = "confirm-addr", requires = "version_marker")]
    pub confirm_addr: Option<SocketAddr>,
    /// Seconds to wait for nginx to confirm the new config.
    #[arg(long = "confirm-timeout", default_value_t = 10.0)]
    pub confirm_timeout: f64,
}

/// Flags of `lb apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// An upstream server: `ADDR [weight=N] [max_fails=N] [fail_timeout=T] [max_conns=N] [backup] [down]`.
    #[arg(long = "server", required = true)]
    pub servers: Vec<String>,
    /// How to apply.
    #[command(flatten)]
    pub nginx: NginxArgs,
    /// The balancer.
    #[command(flatten)]
    pub lb: BalancerArgs,
}

/// Which service, and how its tasks become upstream servers.
#[derive(Debug, Args)]
pub struct ServiceArgs {
    /// The service (name or ID).
    pub service: String,
    /// Daemon socket of a swarm manager (default: DOCKER_HOST / the default socket).
    #[arg(short = 'H', long = "host")]
    pub host: Option<String>,
    /// Tasks listen on port `<BASE><SLOT>` (decimal concatenation, as `PORT=BASE{{.Task.Slot}}`).
    #[arg(long = "port-base", conflicts_with = "port")]
    pub port_base: Option<u32>,
    /// Every task listens on this port of its node.
    #[arg(long)]
    pub port: Option<u16>,
    /// With neither `--port` nor `--port-base`: the target port whose host-mode published port is used.
    #[arg(long = "target-port")]
    pub target_port: Option<u32>,
    /// Use this address for every task instead of its node's address.
    #[arg(long)]
    pub addr: Option<IpAddr>,
    /// Extra parameters for every server line, e.g. "max_fails=3 fail_timeout=10s".
    #[arg(long = "server-params")]
    pub server_params: Option<String>,
}

/// Flags of `lb from-service`.
#[derive(Debug, Args)]
pub struct FromServiceArgs {
    /// The service.
    #[command(flatten)]
    pub svc: ServiceArgs,
    /// The balancer.
    #[command(flatten)]
    pub lb: BalancerArgs,
}

/// Flags of `lb watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// The service.
    #[command(flatten)]
    pub svc: ServiceArgs,
    /// How to apply.
    #[command(flatten)]
    pub nginx: NginxArgs,
    /// The balancer.
    #[command(flatten)]
    pub lb: BalancerArgs,
    /// Apply once and exit (no events).
    #[arg(long)]
    pub once: bool,
    /// Exit after the apply that handles the N-th event about the service.
    #[arg(long = "max-events")]
    pub max_events: Option<u64>,
    /// Exit after this many seconds (an error if `--max-events` events were not seen by then).
    #[arg(long)]
    pub timeout: Option<f64>,
    /// Milliseconds to wait for more events after one arrives, so a burst gives one apply.
    #[arg(long, default_value_t = 300)]
    pub debounce: u64,
    /// Seconds to wait for the service to converge after an event before applying what runs.
    #[arg(long = "converge-timeout", default_value_t = 60.0)]
    pub converge_timeout: f64,
    /// Also re-apply every SECS seconds without an event (prints only what changed): tasks
    /// on worker nodes can be replaced without an event on the manager this follows, and a
    /// config file edited by hand is put back.
    #[arg(long)]
    pub resync: Option<f64>,
}

impl BalancerArgs {
    /// The library's balancer for these flags.
    fn balancer(&self) -> CliResult<Balancer> {
        let mut b = Balancer::new(self.name.clone())
            .method(self.method.parse::<Method>()?)
            .listen(self.listen.parse::<Listen>()?)
            .full_conf(self.full)
            .version_marker(self.version_marker);
        for n in &self.server_name {
            b = b.server_name(n.clone());
        }
        match self.access_log.as_deref() {
            Some("off") if self.log_format.is_none() => b = b.access_log(AccessLog::Off),
            Some(p) => b = b.access_log(AccessLog::path(p, self.log_format.as_deref())?),
            None => {}
        }
        if !self.full && self.log_format.as_deref() == Some("main") {
            // The seed's conf.d file says `main`, which the official nginx image's nginx.conf
            // defines; nginx itself (and Debian's nginx.conf) does not.
            eprintln!(
                "note: log format \"main\" is not predefined by nginx: the official nginx image's \
                 nginx.conf defines it, Debian's does not (--full renders a whole nginx.conf with it)"
            );
        }
        Ok(b)
    }
}

impl ServiceArgs {
    /// The library's backends rule for these flags.
    fn backends(&self) -> Backends {
        let ports = match (self.port, self.port_base) {
            (Some(p), _) => PortRule::Fixed(p),
            (None, Some(base)) => PortRule::PerSlot { base },
            (None, None) => PortRule::Published {
                target: self.target_port,
            },
        };
        let mut b = Backends::new(ports);
        if let Some(ip) = self.addr {
            b = b.addr(ip);
        }
        if let Some(p) = &self.server_params {
            b = b.server_params(p.clone());
        }
        b
    }
}

fn parse_servers(servers: &[String]) -> CliResult<Vec<UpstreamServer>> {
    Ok(servers
        .iter()
        .map(|s| s.parse::<UpstreamServer>())
        .collect::<Result<_, _>>()?)
}

/// Where to ask for the version marker.
fn confirm_addr(n: &NginxArgs, lb: &BalancerArgs) -> CliResult<SocketAddr> {
    if let Some(a) = n.confirm_addr {
        return Ok(a);
    }
    let listen = lb.listen.split_whitespace().next().unwrap_or("");
    let loopback = |port: u16| SocketAddr::from(([127, 0, 0, 1], port));
    if let Ok(port) = listen.parse::<u16>() {
        return Ok(loopback(port));
    }
    if let Ok(a) = listen.parse::<SocketAddr>() {
        if a.ip().is_unspecified() {
            return Ok(loopback(a.port()));
        }
        return Ok(a);
    }
    if let Some(port) = listen
        .strip_prefix("*:")
        .or_else(|| listen.strip_prefix("localhost:"))
        .and_then(|p| p.parse::<u16>().ok())
    {
        return Ok(loopback(port));
    }
    Err(
        format!("cannot tell where nginx listens from --listen {listen:?}: give --confirm-addr")
            .into(),
    )
}

/// The nginx to apply to: the real binary, or the light check with `--no-nginx`.
fn target(n: &NginxArgs, lb: &BalancerArgs) -> CliResult<LocalNginx> {
    let mut t = if n.no_nginx {
        LocalNginx::new(&n.conf, RecordingRunner::new().check_file(&n.conf))
    } else {
        let mut nginx = Nginx::new(&n.nginx_bin);
        if let Some(p) = &n.prefix {
            nginx = nginx.prefix(p);
        }
        match (&n.main_conf, lb.full) {
            (Some(c), _) => nginx = nginx.conf(c),
            (None, true) => nginx = nginx.conf(&n.conf),
            (None, false) => {}
        }
        if let Some(g) = &n.globals {
            nginx = nginx.globals(g.clone());
        }
        LocalNginx::new(&n.conf, nginx)
    };
    t = t.confirm_timeout(secs("confirm-timeout", n.confirm_timeout)?);
    if lb.version_marker && !n.no_nginx {
        t = t.confirm_marker_at(confirm_addr(n, lb)?, lb.server_name.first().cloned());
    }
    Ok(t)
}

/// The one-line report of an apply.
fn applied_line(n: &NginxArgs, lb: &BalancerArgs, servers: usize, outcome: &Applied) -> String {
    let what = format!(
        "{} ({} server{})",
        n.conf.display(),
        servers,
        if servers == 1 { "" } else { "s" }
    );
    match outcome {
        Applied::Unchanged => format!("unchanged: {what}"),
        Applied::Reloaded { .. } if n.no_nginx => {
            format!("applied: {what} (no nginx: light check passed, reload simulated)")
        }
        Applied::Reloaded { confirmed: true } if lb.version_marker => {
            format!("applied: {what} (nginx reloaded, version marker confirmed)")
        }
        Applied::Reloaded { confirmed: true } => {
            format!("applied: {what} (nginx reloaded, new workers running)")
        }
        Applied::Reloaded { confirmed: false } => {
            format!("applied: {what} (nginx reloaded; workers not observable)")
        }
        _ => format!("applied: {what}"),
    }
}

/// The line for a watcher report (`None`: nothing to print), and whether it is an error line.
fn report_line(a: &WatchArgs, r: &Report) -> Option<(String, bool)> {
    match r {
        Report::Applied {
            cause: Cause::Resync,
            outcome: Applied::Unchanged,
            ..
        } => None,
        Report::Applied {
            cause,
            servers,
            outcome,
        } => {
            let line = applied_line(&a.nginx, &a.lb, servers.len(), outcome);
            Some((
                if *cause == Cause::Resync {
                    format!("{line} (resync)")
                } else {
                    line
                },
                false,
            ))
        }
        Report::Kept { reason, .. } => {
            let why = match reason {
                Kept::NoRunningTasks => "the service has no running task".to_owned(),
                Kept::Backend(m) | Kept::ApplyFailed(m) | Kept::DaemonUnavailable(m) => m.clone(),
                _ => format!("{reason:?}"),
            };
            Some((
                format!(
                    "kept: {} (the last good config keeps serving: {why})",
                    a.nginx.conf.display()
                ),
                false,
            ))
        }
        Report::StreamLost { error, retry_in } => Some((
            format!(
                "lb watch: event stream lost ({error}); reconnecting in {} ms",
                retry_in.as_millis()
            ),
            true,
        )),
        _ => None,
    }
}

async fn watch(a: WatchArgs) -> CliResult {
    let client = connect(a.svc.host.as_deref()).await?;
    let resync = match a.resync {
        Some(s) if s > 0.0 => Some(secs("resync", s)?),
        Some(s) => return Err(format!("--resync {s}: must be more than 0 seconds").into()),
        None => None,
    };
    let watcher = LbWatcher::builder(
        client.clone(),
        a.svc.service.clone(),
        target(&a.nginx, &a.lb)?,
    )
    .backends(a.svc.backends())
    .balancer(a.lb.balancer()?)
    .debounce(Duration::from_millis(a.debounce))
    .resync(resync)
    .converge_timeout(secs("converge-timeout", a.converge_timeout)?)
    .build();
    if a.once {
        let r = watcher.reconcile(Cause::Start).await?;
        if let Some((line, err)) = report_line(&a, &r) {
            if err {
                eprintln!("{line}")
            } else {
                println!("{line}")
            }
        }
        return Ok(());
    }
    let mut seen: u64 = 0;
    let run = watcher.run(|r| {
        if let Some((line, err)) = report_line(&a, r) {
            if err {
                eprintln!("{line}")
            } else {
                println!("{line}")
            }
        }
        if let Report::Applied {
            cause: Cause::Events(n),
            ..
        }
        | Report::Kept {
            cause: Cause::Events(n),
            ..
        } = r
        {
            seen += n;
            if a.max_events.is_some_and(|m| seen >= m) {
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    });
    let result = match a.timeout {
        Some(t) => match tokio::time::timeout(secs("timeout", t)?, run).await {
            Ok(r) => r,
            Err(_) => {
                return match a.max_events {
                    Some(m) => Err(format!(
                        "lb watch: timed out after {seen} event(s) about {:?}, expected {m}",
                        a.svc.service
                    )
                    .into()),
                    None => Ok(()),
                };
            }
        },
        None => run.await,
    };
    result.map_err(|e| format!("lb watch: {e}").into())
}

/// Runs a command of this area.
///
/// # Errors
/// A typed lb-config error for bad flags; swarm-client errors for `from-service`/`watch`; an
/// apply error (with nginx's stderr) for `apply`/`watch`.
pub async fn run(cmd: Command) -> CliResult {
    match cmd {
        Command::Lb(LbCommand::Render(a)) => {
            print!(
                "{}",
                a.lb.balancer()?.render(&parse_servers(&a.servers)?)?.text
            );
            Ok(())
        }
        Command::Lb(LbCommand::Apply(a)) => {
            let rendered = a.lb.balancer()?.render(&parse_servers(&a.servers)?)?;
            let t = target(&a.nginx, &a.lb)?;
            let servers = rendered.servers.len();
            let outcome = tokio::task::spawn_blocking(move || t.apply(&rendered)).await??;
            println!("{}", applied_line(&a.nginx, &a.lb, servers, &outcome));
            Ok(())
        }
        Command::Lb(LbCommand::FromService(a)) => {
            let client = connect(a.svc.host.as_deref()).await?;
            let (_, servers) = a.svc.backends().resolve(&client, &a.svc.service).await?;
            if servers.is_empty() {
                return Err(format!("service {:?} has no running task", a.svc.service).into());
            }
            print!("{}", a.lb.balancer()?.render(&servers)?.text);
            Ok(())
        }
        Command::Lb(LbCommand::Watch(a)) => watch(*a).await,
    }
}
