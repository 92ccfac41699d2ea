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
use futures_util::StreamExt as _;
use lb_config::nginx::{Applied, ApplyOptions, Nginx, NginxRunner, RecordingRunner, apply_with};
use lb_config::{
    AccessLog, Config, Location, Method, NginxConf, Server, ServerAddr, Upstream, UpstreamServer,
};
use serde_json::Value;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;
use swarm_client::Client;
use swarm_client::converge::WaitOptions;
use swarm_client::events::{EventFilter, EventStream};
use swarm_client::models::{Event, EventType};
use swarm_client::tasks::TaskPlacement;
use tokio::time::Instant;

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

/// A rendered config and its version marker hash (with `--version-marker`).
struct Rendered {
    text: String,
    hash: Option<String>,
    servers: usize,
}

fn build(servers: Vec<UpstreamServer>, lb: &BalancerArgs) -> CliResult<Rendered> {
    let method: Method = lb.method.parse()?;
    let mut up = Upstream::builder(lb.name.clone()).method(method);
    for s in servers {
        up = up.server_entry(s);
    }
    let mut server = Server::builder().listen(lb.listen.parse()?).location(
        Location::builder("/")
            .proxy_pass_upstream(&lb.name)
            .build()?,
    );
    for n in &lb.server_name {
        server = server.server_name(n.clone());
    }
    match lb.access_log.as_deref() {
        Some("off") if lb.log_format.is_none() => server = server.access_log(AccessLog::Off),
        Some(p) => server = server.access_log(AccessLog::path(p, lb.log_format.as_deref())?),
        None => {}
    }
    let up = up.build()?;
    let count = up.servers().len();
    let mut snippet = Config::builder()
        .upstream(up)
        .server(server.build()?)
        .build()?;
    let mut hash = None;
    if lb.version_marker {
        let (marked, h) = snippet.with_version_marker()?;
        snippet = marked;
        hash = Some(h);
    }
    if !lb.full && lb.log_format.as_deref() == Some("main") {
        // The seed's conf.d file says `main`, which the official nginx image's nginx.conf
        // defines; nginx itself (and Debian's nginx.conf) does not.
        eprintln!(
            "note: log format \"main\" is not predefined by nginx: the official nginx image's \
             nginx.conf defines it, Debian's does not (--full renders a whole nginx.conf with it)"
        );
    }
    let text = if lb.full {
        let d = |n: &str, a: &str| lb_config::Directive::new(n, [a]);
        NginxConf::builder(snippet)
            .main_directive(d("worker_processes", "auto")?)
            .events_directive(d("worker_connections", "1024")?)
            .build()?
            .render()
    } else {
        snippet.render()
    };
    Ok(Rendered {
        text,
        hash,
        servers: count,
    })
}

fn parse_servers(servers: &[String]) -> CliResult<Vec<UpstreamServer>> {
    Ok(servers
        .iter()
        .map(|s| s.parse::<UpstreamServer>())
        .collect::<Result<_, _>>()?)
}

/// The port of slot `slot` for tasks started with `PORT=<base>{{.Task.Slot}}` (the digits
/// joined: slot 12 of base 3123 is 312312). day5 places its backends with it too.
pub(crate) fn port_for_slot(base: u32, slot: u64) -> CliResult<u16> {
    let s = format!("{base}{slot}");
    s.parse::<u16>().map_err(|_| {
        format!("--port-base {base} with slot {slot} gives port {s}, which is not a valid TCP port")
            .into()
    })
}

/// The host-mode published port from `Endpoint.Ports` (else `EndpointSpec.Ports`).
fn published_port(svc: &swarm_client::models::Service, target: Option<u32>) -> CliResult<u16> {
    let from = |v: Option<&Value>| -> Vec<(u64, u64)> {
        v.and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|p| p.get("PublishMode").and_then(Value::as_str) == Some("host"))
            .filter_map(|p| {
                Some((
                    p.get("TargetPort")?.as_u64()?,
                    p.get("PublishedPort")?.as_u64()?,
                ))
            })
            .filter(|(t, p)| *p != 0 && target.is_none_or(|want| u64::from(want) == *t))
            .collect()
    };
    let mut ports = from(svc.endpoint.get("Ports"));
    if ports.is_empty() {
        ports = svc
            .spec
            .endpoint_spec
            .iter()
            .flat_map(|e| &e.ports)
            .filter(|p| p.published_port != 0 && target.is_none_or(|want| want == p.target_port))
            .map(|p| (u64::from(p.target_port), u64::from(p.published_port)))
            .collect();
    }
    ports.dedup();
    match ports.as_slice() {
        [(_, p)] => Ok(u16::try_from(*p).map_err(|_| format!("published port {p} out of range"))?),
        [] => Err(format!(
            "service {:?} publishes no host-mode port{}: give --port, or --port-base for tasks \
             started with PORT=<base>{{{{.Task.Slot}}}}",
            svc.name(),
            target.map_or_else(String::new, |t| format!(" for target {t}"))
        )
        .into()),
        many => Err(format!(
            "service {:?} publishes several host-mode ports (target→published {}): choose one \
             with --target-port",
            svc.name(),
            many.iter()
                .map(|(t, p)| format!("{t}→{p}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
        .into()),
    }
}

/// The upstream servers of the service's running tasks (sorted and deduplicated by lb-config).
async fn service_servers(client: &Client, a: &ServiceArgs) -> CliResult<Vec<UpstreamServer>> {
    let svc = client.service_inspect(&a.service).await?;
    let placements: Vec<TaskPlacement> = client.service_placements(&svc.id).await?;
    if placements.is_empty() {
        return Err(format!("service {:?} has no running task", a.service).into());
    }
    let fixed = match (a.port, a.port_base) {
        (Some(p), _) => Some(p),
        (None, Some(_)) => None,
        (None, None) => Some(published_port(&svc, a.target_port)?),
    };
    let params = a.server_params.as_deref().unwrap_or("").trim();
    let mut out = Vec::new();
    for p in &placements {
        let port = match (fixed, a.port_base) {
            (Some(port), _) => port,
            (None, Some(base)) => {
                let slot = p.slot.ok_or_else(|| {
                    format!(
                        "task {} has no slot (a global service?): --port-base needs slots",
                        p.task_id
                    )
                })?;
                port_for_slot(base, slot)?
            }
            (None, None) => unreachable!("fixed is set when there is no base"),
        };
        let ip = match a.addr {
            Some(ip) => ip,
            None => p.node_addr.parse::<IpAddr>().map_err(|_| {
                format!(
                    "node {} ({}) of task {} has no IP address ({:?}): give --addr",
                    p.hostname, p.node_id, p.task_id, p.node_addr
                )
            })?,
        };
        let addr = ServerAddr::ip(ip, Some(port));
        let line = if params.is_empty() {
            addr.to_string()
        } else {
            format!("{addr} {params}")
        };
        out.push(line.parse::<UpstreamServer>()?);
    }
    Ok(out)
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

fn runner(n: &NginxArgs, full: bool) -> Box<dyn NginxRunner + Send> {
    if n.no_nginx {
        return Box::new(RecordingRunner::new().check_file(&n.conf));
    }
    let mut nginx = Nginx::new(&n.nginx_bin);
    if let Some(p) = &n.prefix {
        nginx = nginx.prefix(p);
    }
    match (&n.main_conf, full) {
        (Some(c), _) => nginx = nginx.conf(c),
        (None, true) => nginx = nginx.conf(&n.conf),
        (None, false) => {}
    }
    if let Some(g) = &n.globals {
        nginx = nginx.globals(g.clone());
    }
    Box::new(nginx)
}

/// Applies a rendered config; returns the one-line report.
async fn apply_rendered(n: &NginxArgs, lb: &BalancerArgs, r: Rendered) -> CliResult<String> {
    let runner = runner(n, lb.full);
    let timeout = secs("confirm-timeout", n.confirm_timeout)?;
    let mut opts = ApplyOptions::new().timeout(timeout);
    if let Some(h) = &r.hash
        && !n.no_nginx
    {
        opts = opts.confirm_marker(confirm_addr(n, lb)?, h.clone());
        if let Some(name) = lb.server_name.first() {
            opts = opts.marker_host(name.clone());
        }
    }
    let conf = n.conf.clone();
    let text = r.text;
    let outcome = tokio::task::spawn_blocking(move || {
        apply_with(&conf, text.as_bytes(), runner.as_ref(), &opts)
    })
    .await??;
    let what = format!(
        "{} ({} server{})",
        n.conf.display(),
        r.servers,
        if r.servers == 1 { "" } else { "s" }
    );
    Ok(match outcome {
        Applied::Unchanged => format!("unchanged: {what}"),
        Applied::Reloaded { .. } if n.no_nginx => {
            format!("applied: {what} (no nginx: light check passed, reload simulated)")
        }
        Applied::Reloaded { confirmed: true } if r.hash.is_some() => {
            format!("applied: {what} (nginx reloaded, version marker confirmed)")
        }
        Applied::Reloaded { confirmed: true } => {
            format!("applied: {what} (nginx reloaded, new workers running)")
        }
        Applied::Reloaded { confirmed: false } => {
            format!("applied: {what} (nginx reloaded; workers not observable)")
        }
        _ => format!("applied: {what}"),
    })
}

/// Whether an event concerns the service (its update/remove, or a start/die of one of its
/// task containers on the daemon we follow).
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

/// The next event about the service, or `None` at `deadline`.
async fn next_event(
    events: &mut EventStream,
    id: &str,
    name: &str,
    deadline: Option<Instant>,
) -> CliResult<Option<Event>> {
    loop {
        let next = match deadline {
            Some(d) => match tokio::time::timeout_at(d, events.next()).await {
                Ok(n) => n,
                Err(_) => return Ok(None),
            },
            None => events.next().await,
        };
        match next {
            Some(Ok(ev)) if concerns(&ev, id, name) => return Ok(Some(ev)),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.into()),
            None => return Err("the daemon closed the event stream".into()),
        }
    }
}

async fn watch(a: WatchArgs) -> CliResult {
    let client = connect(a.svc.host.as_deref()).await?;
    let svc = client.service_inspect(&a.svc.service).await?;
    let (id, name) = (svc.id.clone(), svc.name().to_owned());
    let deadline = match a.timeout {
        Some(s) => Some(Instant::now() + secs("timeout", s)?),
        None => None,
    };
    let converge = secs("converge-timeout", a.converge_timeout)?;
    let resync = match a.resync {
        Some(s) if s > 0.0 => Some(secs("resync", s)?),
        Some(s) => return Err(format!("--resync {s}: must be more than 0 seconds").into()),
        None => None,
    };
    // Subscribe before the first apply, so no change between the two is missed.
    let mut events = if a.once {
        None
    } else {
        let filter = EventFilter::new().kind("service").kind("container");
        Some(client.events(&filter).await?)
    };
    let apply_line = async |client: &Client| -> CliResult<String> {
        let servers = service_servers(client, &a.svc).await?;
        apply_rendered(&a.nginx, &a.lb, build(servers, &a.lb)?).await
    };
    let apply_now = async |client: &Client| -> CliResult {
        println!("{}", apply_line(client).await?);
        Ok(())
    };
    apply_now(&client).await?;
    let Some(events) = events.as_mut() else {
        return Ok(());
    };
    let mut seen: u64 = 0;
    loop {
        let tick = resync.map(|r| Instant::now() + r);
        let until = match (deadline, tick) {
            (Some(d), Some(t)) => Some(d.min(t)),
            (d, t) => d.or(t),
        };
        let Some(ev) = next_event(events, &id, &name, until).await? else {
            if deadline.is_none_or(|d| Instant::now() < d) {
                // A resync tick: apply what runs now, say so only when it changed something.
                let line = apply_line(&client).await?;
                if !line.starts_with("unchanged:") {
                    println!("{line} (resync)");
                }
                continue;
            }
            return match a.max_events {
                Some(m) => Err(format!(
                    "lb watch: timed out after {} event(s) about {name:?}, expected {m}",
                    seen
                )
                .into()),
                None => Ok(()),
            };
        };
        seen += 1;
        if ev.kind == EventType::Service && ev.action == "remove" {
            return Err(format!("lb watch: service {name:?} was removed").into());
        }
        // Debounce: a scale or update comes as a burst (service update, container starts/dies).
        let quiet = Duration::from_millis(a.debounce);
        loop {
            let until = Instant::now() + quiet;
            let until = deadline.map_or(until, |d| d.min(until));
            match next_event(events, &id, &name, Some(until)).await? {
                Some(_) => seen += 1,
                None => break,
            }
        }
        // Container events only come from the daemon we follow; wait until the swarm has every
        // task running (event-driven in swarm-client) so tasks on other nodes are included.
        if let Err(e) = client
            .wait_converged(
                &id,
                WaitOptions::new().window(Duration::ZERO).timeout(converge),
            )
            .await
        {
            eprintln!("lb watch: {name}: {e}; applying the tasks that run now");
        }
        apply_now(&client).await?;
        if a.max_events.is_some_and(|m| seen >= m) {
            return Ok(());
        }
    }
}

/// Runs a command of this area.
///
/// # Errors
/// A typed lb-config error for bad flags; swarm-client errors for `from-service`/`watch`; an
/// apply error (with nginx's stderr) for `apply`/`watch`.
pub async fn run(cmd: Command) -> CliResult {
    match cmd {
        Command::Lb(LbCommand::Render(a)) => {
            print!("{}", build(parse_servers(&a.servers)?, &a.lb)?.text);
            Ok(())
        }
        Command::Lb(LbCommand::Apply(a)) => {
            let r = build(parse_servers(&a.servers)?, &a.lb)?;
            println!("{}", apply_rendered(&a.nginx, &a.lb, r).await?);
            Ok(())
        }
        Command::Lb(LbCommand::FromService(a)) => {
            let client = connect(a.svc.host.as_deref()).await?;
            let servers = service_servers(&client, &a.svc).await?;
            print!("{}", build(servers, &a.lb)?.text);
            Ok(())
        }
        Command::Lb(LbCommand::Watch(a)) => watch(*a).await,
    }
}
