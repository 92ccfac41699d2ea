//! `dockwright swarm|node|service …`: docker-like Swarm commands over swarm-client.

use std::time::Duration;

use super::table::{node_table, render_table};
use clap::{Args, Subcommand};
use futures_util::StreamExt;
use serde_json::Value;
use swarm_client::Client;
use swarm_client::args::{Filters, key_value_map};
use swarm_client::converge::WaitOptions;
use swarm_client::exec::{ExecOptions, NodeEndpoints};
use swarm_client::flags::{self as docker_flags, CreateFlags, FlagDef, FlagsError, UpdateFlags};
use swarm_client::models::{Availability, NodeRole, Service, TaskState};
use swarm_client::nodes::NodeUpdate;
use swarm_client::services::LogsOptions;
use swarm_client::stream::StreamKind;
use swarm_client::swarm::{InitRequest, JoinRequest, Rotate};
use swarm_client::tasks::{ServiceSlot, TaskFilter};

use super::progress::{Display, Mode};
use super::{CliError, CliResult, connect, print_json, secs};

/// Commands of this area.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Swarm: init, join, join-token, leave, update, unlock, unlock-key.
    Swarm(Area<SwarmCommand>),
    /// Nodes: ls, inspect, update, rm, promote, demote.
    Node(Area<NodeCommand>),
    /// Services: create, update, ps, ls, inspect, logs, rm, rollback, scale, exec.
    Service(Area<ServiceCommand>),
}

/// A command group with the daemon to talk to.
#[derive(Debug, Args)]
pub struct Area<C: Subcommand> {
    /// Daemon socket to connect to (default: DOCKER_HOST / docker context / the default socket).
    #[arg(short = 'H', long = "host")]
    pub host: Option<String>,
    /// The command.
    #[command(subcommand)]
    pub command: C,
}

/// Subcommands of `swarm`.
#[derive(Debug, Subcommand)]
pub enum SwarmCommand {
    /// Initialize a swarm; prints the node ID.
    Init {
        /// Advertised address.
        #[arg(long)]
        advertise_addr: Option<String>,
        /// Listen address.
        #[arg(long, default_value = "0.0.0.0:2377")]
        listen_addr: String,
        /// Enable manager autolocking.
        #[arg(long)]
        autolock: bool,
        /// Force create a new cluster from current state.
        #[arg(long)]
        force_new_cluster: bool,
        /// Port number to use for data path traffic (default 4789).
        #[arg(long)]
        data_path_port: Option<u16>,
    },
    /// Join a swarm as a node and/or manager.
    Join {
        /// Token for entry into the swarm.
        #[arg(long)]
        token: String,
        /// Advertised address.
        #[arg(long)]
        advertise_addr: Option<String>,
        /// Listen address.
        #[arg(long, default_value = "0.0.0.0:2377")]
        listen_addr: String,
        /// A manager's address (HOST:PORT).
        remote: String,
    },
    /// Manage join tokens.
    JoinToken {
        /// Only display the token.
        #[arg(short, long)]
        quiet: bool,
        /// Rotate the join token.
        #[arg(long)]
        rotate: bool,
        /// `worker` or `manager`.
        role: String,
    },
    /// Leave the swarm.
    Leave {
        /// Force this node to leave the swarm, ignoring warnings.
        #[arg(short, long)]
        force: bool,
    },
    /// Unlock a locked manager: reads the unlock key from stdin.
    Unlock,
    /// Update the swarm's settings (only the flags given change).
    Update(super::cluster::UpdateArgs),
    /// Show (or rotate) the unlock key.
    UnlockKey {
        /// Only display the key.
        #[arg(short, long)]
        quiet: bool,
        /// Rotate the unlock key.
        #[arg(long)]
        rotate: bool,
    },
}

/// Subcommands of `node`.
#[derive(Debug, Subcommand)]
pub enum NodeCommand {
    /// List nodes.
    Ls {
        /// Only display IDs.
        #[arg(short, long)]
        quiet: bool,
        /// `table` (default) or `json`.
        #[arg(long, default_value = "table")]
        format: String,
    },
    /// Display detailed information on nodes (JSON).
    Inspect {
        /// Node IDs, names or `self`.
        #[arg(required = true)]
        nodes: Vec<String>,
    },
    /// Update a node.
    Update {
        /// `active`, `pause` or `drain`.
        #[arg(long)]
        availability: Option<String>,
        /// `worker` or `manager`.
        #[arg(long)]
        role: Option<String>,
        /// Add or update a node label (key=value).
        #[arg(long = "label-add")]
        label_add: Vec<String>,
        /// Remove a node label if exists.
        #[arg(long = "label-rm")]
        label_rm: Vec<String>,
        /// The node.
        node: String,
    },
    /// rm, promote, demote.
    #[command(flatten)]
    Op(super::cluster::NodeOp),
}

/// Flags shared by commands that wait for convergence.
#[derive(Debug, Clone, Args)]
pub struct WaitFlags {
    /// Exit immediately instead of waiting for the service to converge.
    #[arg(short, long)]
    pub detach: bool,
    /// Suppress progress output.
    #[arg(short, long)]
    pub quiet: bool,
    /// Stability window in seconds (default: the service's update monitor, else 5 like docker).
    #[arg(long = "stability-window")]
    pub stability_window: Option<f64>,
    /// Give up waiting after this many seconds.
    #[arg(long = "wait-timeout", default_value_t = 600.0)]
    pub wait_timeout: f64,
}

/// Subcommands of `service`.
#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Create a new service, with docker's flags and arguments (`--help` lists them); prints
    /// its ID and waits for convergence unless `-d`.
    #[command(disable_help_flag = true)]
    Create {
        /// `[OPTIONS] IMAGE [COMMAND] [ARG...]`, as `docker service create` takes them.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        args: Vec<String>,
    },
    /// Update a service, with docker's flags (`--help` lists them); waits unless `-d`.
    #[command(disable_help_flag = true)]
    Update {
        /// `[OPTIONS] SERVICE`, as `docker service update` takes them.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        args: Vec<String>,
    },
    /// The other service commands.
    #[command(flatten)]
    Other(ServiceOp),
}

/// The service commands other than `create` and `update`.
#[derive(Debug, Subcommand)]
pub enum ServiceOp {
    /// List the tasks of one or more services.
    Ps {
        /// Only display task IDs.
        #[arg(short, long)]
        quiet: bool,
        /// `table` or `json`.
        #[arg(long, default_value = "table")]
        format: String,
        /// Filter (`desired-state=running`, `node=…`, `name=…`).
        #[arg(short, long)]
        filter: Vec<String>,
        /// Services.
        #[arg(required = true)]
        services: Vec<String>,
    },
    /// List services.
    Ls {
        /// Only display IDs.
        #[arg(short, long)]
        quiet: bool,
        /// `table` or `json`.
        #[arg(long, default_value = "table")]
        format: String,
        /// Filter (`name=…`, `label=…`, `mode=…`).
        #[arg(short, long)]
        filter: Vec<String>,
    },
    /// Display detailed information on services (JSON).
    Inspect {
        /// Services.
        #[arg(required = true)]
        services: Vec<String>,
    },
    /// Fetch the logs of a service or a task.
    Logs {
        /// Follow log output.
        #[arg(short, long)]
        follow: bool,
        /// Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes).
        #[arg(long)]
        since: Option<String>,
        /// Number of lines to show from the end of the logs.
        #[arg(short = 'n', long, default_value = "all")]
        tail: String,
        /// Show timestamps.
        #[arg(short, long)]
        timestamps: bool,
        /// Do not neatly format logs (no `NAME.SLOT.TASK@NODE    | ` prefix).
        #[arg(long)]
        raw: bool,
        /// Do not include task IDs in output.
        #[arg(long)]
        no_task_ids: bool,
        /// Do not truncate output.
        #[arg(long)]
        no_trunc: bool,
        /// Do not map IDs to Names in output.
        #[arg(long)]
        no_resolve: bool,
        /// The service (name or ID), or a task ID.
        service: String,
    },
    /// Remove one or more services.
    Rm {
        /// Services.
        #[arg(required = true)]
        services: Vec<String>,
    },
    /// Revert changes to a service's configuration.
    Rollback {
        /// Waiting.
        #[command(flatten)]
        wait: WaitFlags,
        /// The service.
        service: String,
    },
    /// Scale one or multiple replicated services (SERVICE=REPLICAS).
    Scale {
        /// Waiting.
        #[command(flatten)]
        wait: WaitFlags,
        /// SERVICE=REPLICAS pairs.
        #[arg(required = true)]
        pairs: Vec<String>,
    },
    /// Run a command in the container of task SERVICE.SLOT; exits with its exit code.
    Exec {
        /// Daemon of a node, NODE=ENDPOINT (node ID, hostname or address), for tasks not on
        /// the manager.
        #[arg(long = "node-host")]
        node_host: Vec<String>,
        /// SERVICE.SLOT, e.g. web.1.
        target: String,
        /// The command.
        #[arg(last = true, required = true)]
        cmd: Vec<String>,
    },
}

/// Runs a command of this area.
///
/// # Errors
/// Whatever the SDK calls return, and bad arguments.
pub async fn run(cmd: Command) -> CliResult {
    match cmd {
        Command::Swarm(a) => swarm_cmd(a.host.as_deref(), a.command).await,
        Command::Node(a) => node_cmd(a.host.as_deref(), a.command).await,
        Command::Service(a) => service_cmd(a.host.as_deref(), a.command).await,
    }
}

async fn swarm_cmd(host: Option<&str>, cmd: SwarmCommand) -> CliResult {
    let c = connect(host).await?;
    match cmd {
        SwarmCommand::Init {
            advertise_addr,
            listen_addr,
            autolock,
            force_new_cluster,
            data_path_port,
        } => {
            let mut req = InitRequest::new(listen_addr).force_new_cluster(force_new_cluster);
            if autolock {
                req = req.autolock(true);
            }
            if let Some(a) = advertise_addr {
                req = req.advertise_addr(a);
            }
            if let Some(p) = data_path_port {
                req = req.data_path_port(p);
            }
            let id = c.swarm_init(&req).await?;
            println!("Swarm initialized: current node ({id}) is now a manager.");
        }
        SwarmCommand::Join {
            token,
            advertise_addr,
            listen_addr,
            remote,
        } => {
            let mut req = JoinRequest::new(remote, token).listen_addr(listen_addr);
            if let Some(a) = advertise_addr {
                req = req.advertise_addr(a);
            }
            c.swarm_join(&req).await?;
            println!("This node joined a swarm.");
        }
        SwarmCommand::JoinToken {
            quiet,
            rotate,
            role,
        } => {
            let r = match role.as_str() {
                "worker" => Rotate::worker(),
                "manager" => Rotate::manager(),
                other => {
                    return Err(format!("unknown role {other:?}: use worker or manager").into());
                }
            };
            let s = if rotate {
                c.swarm_rotate(r).await?
            } else {
                c.swarm_inspect().await?
            };
            let token = if role == "worker" {
                s.join_tokens.worker.clone()
            } else {
                s.join_tokens.manager.clone()
            };
            if rotate && !quiet {
                println!("Successfully rotated {role} join token.\n");
            }
            if quiet {
                println!("{token}");
            } else if let Some(m) = c
                .node_inspect(&c.local_node_id().await?)
                .await?
                .manager_status
            {
                // Like the docker CLI: the command to run names this manager's address.
                println!(
                    "To add a {role} to this swarm, run the following command:\n\n    docker swarm join --token {token} {}\n",
                    m.addr
                );
            }
        }
        SwarmCommand::Leave { force } => {
            c.swarm_leave(force).await?;
            println!("Node left the swarm.");
        }
        SwarmCommand::Unlock => {
            use std::io::IsTerminal as _;
            if std::io::stdin().is_terminal() {
                eprint!("Enter unlock key: ");
            }
            let mut key = String::new();
            std::io::stdin().read_line(&mut key)?;
            let key = key.trim();
            if key.is_empty() {
                return Err("no unlock key given on stdin".into());
            }
            c.swarm_unlock(&swarm_client::swarm::UnlockKey::new(key))
                .await?;
        }
        SwarmCommand::Update(args) => super::cluster::swarm_update(&c, &args).await?,
        SwarmCommand::UnlockKey { quiet, rotate } => {
            if rotate {
                c.swarm_rotate(Rotate::unlock_key()).await?;
            }
            let key = c.swarm_unlock_key().await?;
            if quiet {
                println!("{}", key.expose());
            } else {
                println!(
                    "To unlock a swarm manager after it restarts, run `docker swarm unlock` and provide:\n\n    {}\n",
                    key.expose()
                );
            }
        }
    }
    Ok(())
}

async fn node_cmd(host: Option<&str>, cmd: NodeCommand) -> CliResult {
    let c = connect(host).await?;
    match cmd {
        NodeCommand::Ls { quiet, format } => {
            let nodes = c.node_list().await?;
            if quiet {
                for n in &nodes {
                    println!("{}", n.id);
                }
            } else if format == "json" {
                print_json(&nodes)?;
            } else {
                let me = c.local_node_id().await.ok();
                print!("{}", node_table(&nodes, me.as_deref()));
            }
        }
        NodeCommand::Inspect { nodes } => {
            let mut out = Vec::new();
            for n in nodes {
                let id = if n == "self" {
                    c.local_node_id().await?
                } else {
                    n
                };
                out.push(c.node_inspect(&id).await?);
            }
            print_json(&out)?;
        }
        NodeCommand::Update {
            availability,
            role,
            label_add,
            label_rm,
            node,
        } => {
            let mut u = NodeUpdate::new();
            if let Some(a) = availability {
                let a = match a.as_str() {
                    "active" => Availability::Active,
                    "pause" => Availability::Pause,
                    "drain" => Availability::Drain,
                    other => {
                        return Err(format!(
                            "invalid availability {other:?}: active, pause or drain"
                        )
                        .into());
                    }
                };
                u = u.availability(a);
            }
            if let Some(r) = role {
                let r = match r.as_str() {
                    "worker" => NodeRole::Worker,
                    "manager" => NodeRole::Manager,
                    other => {
                        return Err(format!("invalid role {other:?}: worker or manager").into());
                    }
                };
                u = u.role(r);
            }
            for (k, v) in key_value_map("label-add", &label_add)? {
                u = u.label_add(k, v);
            }
            for k in label_rm {
                u = u.label_rm(k);
            }
            let n = c.node_update(&node, &u).await?;
            println!("{}", n.id);
        }
        NodeCommand::Op(op) => super::cluster::node_op(&c, op).await?,
    }
    Ok(())
}

fn wait_options(w: &WaitFlags, display: &Display, name: &str) -> CliResult<WaitOptions> {
    // Negative values mean zero, as before; NaN and infinity are errors, not panics.
    let mut o = WaitOptions::new().timeout(secs("wait-timeout", w.wait_timeout.max(0.0))?);
    if let Some(s) = w.stability_window {
        o = o.window(secs("stability-window", s.max(0.0))?);
    }
    if display.mode() != Mode::Quiet {
        o = o.on_progress(display.converge(name));
    }
    Ok(o)
}

/// Waits for service `id` (shown as `name`) to converge unless `-d`: a tasks bar on a
/// terminal, docker's progress lines in a pipe, nothing with `-q`.
async fn wait(c: &Client, id: &str, name: &str, w: &WaitFlags) -> CliResult {
    if w.detach {
        return Ok(());
    }
    let display = Display::detect(w.quiet);
    let done = c.wait_converged(id, wait_options(w, &display, name)?).await;
    display.finish();
    if let Some(msg) = done?.rolled_back {
        eprintln!("rollback: {msg}");
    }
    Ok(())
}

/// dockwright's own flags of `service create`, parsed along docker's.
const CREATE_EXTRA: &[FlagDef] = &[
    FlagDef::boolean("dry-run", "Print the ServiceSpec JSON and do not send it"),
    FlagDef::value(
        "stability-window",
        "float",
        "Seconds a converged service must stay so (default: its update monitor, else 5)",
    ),
    FlagDef::value(
        "wait-timeout",
        "float",
        "Give up waiting for convergence after this many seconds (default 600)",
    ),
];

/// dockwright's own flags of `service update`.
const UPDATE_EXTRA: &[FlagDef] = &[CREATE_EXTRA[1], CREATE_EXTRA[2]];

/// The waiting of `service create|update`: docker's `-d`/`-q` and dockwright's own flags.
fn wait_flags(
    common: &docker_flags::CommonFlags,
    extra: &docker_flags::ExtraValues,
) -> CliResult<WaitFlags> {
    let seconds = |name: &str| {
        extra
            .last(name)
            .map(|v| {
                sdk_grammar::go::parse_float(v)
                    .map_err(|e| format!("invalid argument {v:?} for \"--{name}\" flag: {e}"))
            })
            .transpose()
    };
    Ok(WaitFlags {
        detach: common.detach == Some(true),
        quiet: common.quiet == Some(true),
        stability_window: seconds("stability-window")?,
        wait_timeout: seconds("wait-timeout")?.unwrap_or(600.0),
    })
}

/// The docker config for `--with-registry-auth`, and why it could not be read.
fn docker_config() -> (Option<sdk_core::DockerConfig>, Option<sdk_core::Error>) {
    match sdk_core::DockerConfig::load() {
        Ok(c) => (Some(c), None),
        Err(e) => (None, Some(e)),
    }
}

/// A flags error, or the config's own error when the flags needed the config.
fn flags_error(e: FlagsError, config_error: Option<sdk_core::Error>) -> CliError {
    match (e, config_error) {
        (FlagsError::NeedsDockerConfig, Some(c)) => c.into(),
        (e, _) => e.into(),
    }
}

/// `dockwright service create ARGS…`: docker's arguments to swarm-client's flags, the spec
/// printed (`--dry-run`) or created.
async fn service_create(host: Option<&str>, args: &[String]) -> CliResult {
    let (flags, extra) = match CreateFlags::parse_with(args, CREATE_EXTRA) {
        Err(FlagsError::Help) => {
            print!("{}", docker_flags::create_help("dockwright", CREATE_EXTRA));
            print!("\n{}", super::help::example_text("service create"));
            return Ok(());
        }
        r => r?,
    };
    let w = wait_flags(&flags.common, &extra)?;
    if extra.is_true("dry-run") {
        return print_json(&flags.to_spec()?);
    }
    let c = connect(host).await?;
    let (config, config_error) = docker_config();
    let prepared = flags
        .prepare(&c, config.as_ref())
        .await
        .map_err(|e| flags_error(e, config_error))?;
    let created = c.service_create(&prepared.spec, &prepared.options).await?;
    for w in created.warnings.iter().chain(&prepared.warnings) {
        eprintln!("{w}");
    }
    println!("{}", created.id);
    wait(&c, &created.id, &prepared.spec.name, &w).await
}

/// `dockwright service update ARGS…`: docker's arguments to swarm-client's flags, sent.
async fn service_update(host: Option<&str>, args: &[String]) -> CliResult {
    let (flags, extra) = match UpdateFlags::parse_with(args, UPDATE_EXTRA) {
        Err(FlagsError::Help) => {
            print!("{}", docker_flags::update_help("dockwright", UPDATE_EXTRA));
            print!("\n{}", super::help::example_text("service update"));
            return Ok(());
        }
        r => r?,
    };
    let w = wait_flags(&flags.common, &extra)?;
    let c = connect(host).await?;
    let (config, config_error) = docker_config();
    let updated = flags
        .send(&c, config.as_ref())
        .await
        .map_err(|e| flags_error(e, config_error))?;
    for w in &updated.warnings {
        eprintln!("{w}");
    }
    println!("{}", flags.service);
    wait(&c, &updated.id, &flags.service, &w).await
}

async fn service_cmd(host: Option<&str>, cmd: ServiceCommand) -> CliResult {
    let cmd = match cmd {
        ServiceCommand::Create { args } => return service_create(host, &args).await,
        ServiceCommand::Update { args } => return service_update(host, &args).await,
        ServiceCommand::Other(op) => op,
    };
    let c = connect(host).await?;
    match cmd {
        ServiceOp::Ps {
            quiet,
            format,
            filter,
            services,
        } => {
            let filters = Filters::parse(&filter)?;
            let nodes = c.node_list().await?;
            let mut all = Vec::new();
            for s in &services {
                let svc = c.service_inspect(s).await?;
                let mut f = TaskFilter::new().service(&svc.id);
                for (k, v) in filters.iter() {
                    f = match k {
                        "desired-state" => f.desired_state(v),
                        "node" => f.node(v),
                        "name" => f.name(v),
                        "label" => f.label(v),
                        "id" => f.id(v),
                        other => return Err(format!("invalid filter {other:?}").into()),
                    };
                }
                let mut tasks = c.task_list(&f).await?;
                tasks.sort_by(|a, b| (a.slot, &b.created_at).cmp(&(b.slot, &a.created_at)));
                all.extend(tasks.into_iter().map(|t| (svc.name().to_owned(), t)));
            }
            print_tasks(&all, &nodes, quiet, &format)?;
        }
        ServiceOp::Ls {
            quiet,
            format,
            filter,
        } => {
            let list = c.service_list(&Filters::parse(&filter)?.pairs()).await?;
            if quiet {
                // docker service ls -q prints 12-character IDs (node ls -q prints them whole).
                for s in &list {
                    println!("{}", s.id.get(..12).unwrap_or(&s.id));
                }
            } else if format == "json" {
                print_json(&list)?;
            } else {
                print!("{}", service_table(&list));
            }
        }
        ServiceOp::Inspect { services } => {
            let mut out = Vec::new();
            for s in services {
                out.push(c.service_inspect(&s).await?);
            }
            print_json(&out)?;
        }
        ServiceOp::Logs {
            follow,
            since,
            tail,
            timestamps,
            raw,
            no_task_ids,
            no_trunc,
            no_resolve,
            service,
        } => {
            // Like `docker service logs`: the details carry node, service and task IDs for
            // the `NAME.SLOT.TASK@NODE    | ` prefix (unless --raw).
            let mut o = LogsOptions::new()
                .follow(follow)
                .tail(tail)
                .timestamps(timestamps)
                .details(!raw);
            if let Some(s) = since {
                o = o.since(s);
            }
            // A service first, else a task ID; the prefix is padded to the widest slot.
            let (tty, widest_slot, mut s) = match c.service_inspect(&service).await {
                Ok(svc) => {
                    let replicas = svc.spec.mode.replicas().unwrap_or(1);
                    let tty = svc.spec.container().is_some_and(|c| c.tty);
                    (tty, replicas, c.service_logs(&svc.id, &o).await?)
                }
                Err(swarm_client::Error::NotFound { .. }) => {
                    let task = c.task_inspect(&service).await.map_err(|e| match e {
                        swarm_client::Error::NotFound { .. } => {
                            format!("no such task or service: {service}").into()
                        }
                        e => CliError::from(e),
                    })?;
                    let tty = task.spec.container_spec.as_ref().is_some_and(|c| c.tty);
                    (
                        tty,
                        task.slot.unwrap_or(0),
                        c.task_logs(&task.id, &o).await?,
                    )
                }
                Err(e) => return Err(e.into()),
            };
            if tty && !raw {
                return Err("tty service logs only supported with --raw".into());
            }
            let mut prefix = (!tty && !raw).then(|| LogPrefix {
                padding: widest_slot.to_string().len(),
                timestamps,
                no_task_ids,
                no_trunc,
                no_resolve,
                cache: std::collections::HashMap::new(),
            });
            use std::io::Write as _;
            while let Some(f) = s.next().await {
                let f = f?;
                let data = match prefix.as_mut() {
                    Some(p) => p.line(&c, &f.data).await?,
                    None => f.data.to_vec(),
                };
                if f.kind == StreamKind::Stderr {
                    std::io::stderr().write_all(&data)?;
                } else {
                    std::io::stdout().write_all(&data)?;
                    std::io::stdout().flush()?;
                }
            }
        }
        ServiceOp::Rm { services } => {
            let mut failed = Vec::new();
            for s in services {
                match c.service_remove(&s).await {
                    Ok(()) => println!("{s}"),
                    Err(e) => failed.push(format!("{s}: {}", super::hints::with_hint(&e))),
                }
            }
            if !failed.is_empty() {
                return Err(failed.join("; ").into());
            }
        }
        ServiceOp::Rollback { wait: w, service } => {
            let s = c.service_rollback(&service).await?;
            println!("{service}");
            wait(&c, &s.id, &service, &w).await?;
        }
        ServiceOp::Scale { wait: w, pairs } => {
            let mut scaled = Vec::new();
            for p in &pairs {
                let (name, n) = p.split_once('=').ok_or_else(|| {
                    format!("invalid scale specifier {p:?}: expected SERVICE=REPLICAS")
                })?;
                let n: u64 = n
                    .parse()
                    .map_err(|_| format!("invalid replicas value {n:?} for {name}"))?;
                let s = c.service_scale(name, n).await?;
                println!("{name} scaled to {n}");
                scaled.push((s.id, name.to_owned()));
            }
            for (id, name) in scaled {
                wait(&c, &id, &name, &w).await?;
            }
        }
        ServiceOp::Exec {
            node_host,
            target,
            cmd,
        } => {
            let target: ServiceSlot = target.parse()?;
            let mut nodes = NodeEndpoints::new();
            for nh in node_host {
                let (node, ep) = nh
                    .split_once('=')
                    .ok_or_else(|| format!("bad --node-host {nh:?}: expected NODE=ENDPOINT"))?;
                nodes = nodes.with(node, Client::connect(ep).await?);
            }
            let r = c
                .exec_in_task(&target, &ExecOptions::new(cmd), &nodes)
                .await?;
            use std::io::Write as _;
            std::io::stdout().write_all(&r.output.stdout)?;
            std::io::stderr().write_all(&r.output.stderr)?;
            if r.exit_code != 0 {
                std::process::exit(i32::try_from(r.exit_code).unwrap_or(1));
            }
        }
    }
    Ok(())
}

/// The context prefix of `docker service logs` lines: `NAME.SLOT.TASK@NODE` (task ID cut to 12
/// characters unless `--no-trunc`, left out with `--no-task-ids`; IDs for names with
/// `--no-resolve`), padded to the width of the widest slot, then `    | `.
struct LogPrefix {
    padding: usize,
    timestamps: bool,
    no_task_ids: bool,
    no_trunc: bool,
    no_resolve: bool,
    /// Formatted contexts by (node, service, task) ID.
    cache: std::collections::HashMap<(String, String, String), String>,
}

impl LogPrefix {
    /// One log line as the API sends it with details (`[TIMESTAMP ]DETAILS MESSAGE`) in the
    /// docker CLI's form (`[TIMESTAMP ]CONTEXT    | MESSAGE`). A line without the swarm
    /// details (e.g. from a fake daemon that ignores `details=1`) is passed on unchanged,
    /// where the docker CLI would stop with an error.
    async fn line(&mut self, c: &Client, data: &[u8]) -> CliResult<Vec<u8>> {
        let n = if self.timestamps { 3 } else { 2 };
        let parts: Vec<&[u8]> = data.splitn(n, |b| *b == b' ').collect();
        if parts.len() != n {
            return Ok(data.to_vec());
        }
        let details = String::from_utf8_lossy(parts[n - 2]);
        let detail = |key: &str| {
            details
                .split(',')
                .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
                .map(str::to_owned)
        };
        let (Some(node), Some(service), Some(task)) = (
            detail("com.docker.swarm.node.id"),
            detail("com.docker.swarm.service.id"),
            detail("com.docker.swarm.task.id"),
        ) else {
            return Ok(data.to_vec());
        };
        let key = (node, service, task);
        if !self.cache.contains_key(&key) {
            let context = self.context(c, &key.0, &key.1, &key.2).await?;
            self.cache.insert(key.clone(), context);
        }
        let mut out = Vec::with_capacity(data.len() + 64);
        if self.timestamps {
            out.extend_from_slice(parts[0]);
            out.push(b' ');
        }
        out.extend_from_slice(self.cache[&key].as_bytes());
        out.extend_from_slice(b"    | ");
        out.extend_from_slice(parts[n - 1]);
        Ok(out)
    }

    async fn context(
        &self,
        c: &Client,
        node_id: &str,
        service_id: &str,
        task_id: &str,
    ) -> CliResult<String> {
        let (node, service) = if self.no_resolve {
            (node_id.to_owned(), service_id.to_owned())
        } else {
            let n = c.node_inspect(node_id).await?;
            let node = match n.spec.name.filter(|s| !s.is_empty()) {
                Some(name) => name,
                None if !n.description.hostname.is_empty() => n.description.hostname,
                None => node_id.to_owned(),
            };
            (node, c.service_inspect(service_id).await?.name().to_owned())
        };
        let task = c.task_inspect(task_id).await?;
        let slot = task.slot.unwrap_or(0).to_string();
        let mut name = format!("{service}.{slot}");
        if !self.no_task_ids {
            name.push('.');
            if self.no_trunc {
                name.push_str(&task.id);
            } else {
                name.extend(task.id.chars().take(12));
            }
        }
        let pad = " ".repeat(self.padding.saturating_sub(slot.len()));
        Ok(format!("{name}@{node}{pad}"))
    }
}

/// go-units' `HumanDuration` (what `docker service ps` prints in CURRENT STATE).
pub(crate) fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    let (mins, hours) = (secs / 60, secs / 3600);
    match () {
        () if secs < 1 => "Less than a second".into(),
        () if secs == 1 => "1 second".into(),
        () if secs < 60 => format!("{secs} seconds"),
        () if mins == 1 => "About a minute".into(),
        () if mins < 60 => format!("{mins} minutes"),
        () if hours == 1 => "About an hour".into(),
        () if hours < 48 => format!("{hours} hours"),
        () if hours < 24 * 7 * 2 => format!("{} days", hours / 24),
        () if hours < 24 * 30 * 2 => format!("{} weeks", hours / 24 / 7),
        () if hours < 24 * 365 * 2 => format!("{} months", hours / 24 / 30),
        () => format!("{} years", hours / 24 / 365),
    }
}

/// `Running 5 seconds ago`, like docker's CURRENT STATE column (the state alone when the
/// timestamp does not parse).
fn current_state(state: &str, timestamp: &str, now: std::time::SystemTime) -> String {
    match swarm_client::models::Timestamp::parse(timestamp) {
        Some(t) => {
            let ago = now.duration_since(t.to_system_time()).unwrap_or_default();
            format!("{state} {} ago", human_duration(ago).to_lowercase())
        }
        None => state.to_owned(),
    }
}

/// docker's PORTS column of `service ps`: `*:8080->80/tcp` for each host-mode port of the task.
fn task_ports(port_status: Option<&Value>) -> String {
    port_status
        .and_then(|p| p.get("Ports"))
        .and_then(Value::as_array)
        .map(|ports| {
            ports
                .iter()
                .map(|p| {
                    format!(
                        "*:{}->{}/{}",
                        p["PublishedPort"].as_u64().unwrap_or(0),
                        p["TargetPort"].as_u64().unwrap_or(0),
                        p["Protocol"].as_str().unwrap_or("tcp")
                    )
                })
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

/// `docker service ps` / `docker stack ps` table of (service name, task) rows.
pub(crate) fn task_table(
    all: &[(String, swarm_client::models::Task)],
    nodes: &[swarm_client::models::Node],
) -> String {
    let mut rows = vec![
        [
            "ID",
            "NAME",
            "IMAGE",
            "NODE",
            "DESIRED STATE",
            "CURRENT STATE",
            "ERROR",
            "PORTS",
        ]
        .map(String::from)
        .to_vec(),
    ];
    let mut last_slot = None;
    let now = std::time::SystemTime::now();
    for (name, t) in all {
        let node = nodes
            .iter()
            .find(|n| n.id == t.node_id)
            .map_or("", |n| n.description.hostname.as_str());
        let key = t.slot.map_or_else(|| t.node_id.clone(), |s| s.to_string());
        let tname = if last_slot.as_ref() == Some(&key) {
            format!(" \\_ {name}.{key}")
        } else {
            format!("{name}.{key}")
        };
        last_slot = Some(key);
        let image = t.image().split('@').next().unwrap_or("").to_owned();
        let cap = |s: &TaskState| {
            let s = s.as_str();
            let mut ch = s.chars();
            ch.next()
                .map_or_else(String::new, |f| f.to_uppercase().chain(ch).collect())
        };
        rows.push(vec![
            t.id.chars().take(12).collect(),
            tname,
            image,
            node.to_owned(),
            cap(&t.desired()),
            current_state(&cap(&t.state()), &t.status.timestamp, now),
            if t.status.err.is_empty() {
                String::new()
            } else {
                format!("\"{}\"", t.status.err)
            },
            task_ports(t.status.port_status.as_ref()),
        ]);
    }
    render_table(&rows)
}

/// `docker service ls` table.
pub(crate) fn service_table(list: &[Service]) -> String {
    let mut rows = vec![
        ["ID", "NAME", "MODE", "REPLICAS", "IMAGE", "PORTS"]
            .map(String::from)
            .to_vec(),
    ];
    let mut sorted: Vec<&Service> = list.iter().collect();
    sorted.sort_by(|a, b| a.name().cmp(b.name()));
    for s in sorted {
        let st = s.service_status.clone().unwrap_or_default();
        let replicas = format!("{}/{}", st.running_tasks, st.desired_tasks);
        let ports = s
            .endpoint
            .ports
            .iter()
            .map(|p| {
                format!(
                    "*:{}->{}/{}",
                    p.published_port,
                    p.target_port,
                    p.protocol.as_ref().map_or("tcp", |p| p.as_str())
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        rows.push(vec![
            s.id.chars().take(12).collect(),
            s.name().to_owned(),
            s.mode().as_str().to_owned(),
            replicas,
            s.image().split('@').next().unwrap_or("").to_owned(),
            ports,
        ]);
    }
    render_table(&rows)
}

/// `docker service ps` / `docker stack ps` output: IDs with `-q`, JSON with `--format json`,
/// else the table.
pub(crate) fn print_tasks(
    all: &[(String, swarm_client::models::Task)],
    nodes: &[swarm_client::models::Node],
    quiet: bool,
    format: &str,
) -> CliResult {
    if quiet {
        for (_, t) in all {
            println!("{}", t.id);
        }
    } else if format == "json" {
        print_json(&all.iter().map(|(_, t)| t).collect::<Vec<_>>())?;
    } else {
        print!("{}", task_table(all, nodes));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn log_lines_get_the_docker_cli_prefix() {
        let c = Client::builder("http://127.0.0.1:9")
            .api_version(swarm_client::ApiVersion::MIN)
            .build()
            .unwrap();
        let ids = |n: &str, s: &str, t: &str| (n.to_owned(), s.to_owned(), t.to_owned());
        let details = "com.docker.swarm.node.id=n1,com.docker.swarm.service.id=s1,com.docker.swarm.task.id=t1";
        let mut p = LogPrefix {
            padding: 2,
            timestamps: false,
            no_task_ids: false,
            no_trunc: false,
            no_resolve: false,
            cache: [(ids("n1", "s1", "t1"), "web.1.t1@vm ".to_owned())].into(),
        };
        let line = format!("{details} hello world\n");
        assert_eq!(
            p.line(&c, line.as_bytes()).await.unwrap(),
            b"web.1.t1@vm     | hello world\n"
        );
        p.timestamps = true;
        let line = format!("2024-01-01T00:00:00.000000000Z {details} hi\n");
        assert_eq!(
            p.line(&c, line.as_bytes()).await.unwrap(),
            b"2024-01-01T00:00:00.000000000Z web.1.t1@vm     | hi\n"
        );
        // Without the swarm details: the line as it came.
        p.timestamps = false;
        for raw in [&b"com.docker.swarm.node.id=n1 hi\n"[..], b"nospace\n"] {
            assert_eq!(p.line(&c, raw).await.unwrap(), raw);
        }
    }

    #[test]
    fn human_durations_like_go_units() {
        let h = |s| human_duration(Duration::from_secs(s));
        assert_eq!(
            human_duration(Duration::from_millis(300)),
            "Less than a second"
        );
        assert_eq!(h(1), "1 second");
        assert_eq!(h(42), "42 seconds");
        assert_eq!(h(60), "About a minute");
        assert_eq!(h(150), "2 minutes");
        assert_eq!(h(3600), "About an hour");
        assert_eq!(h(5 * 3600), "5 hours");
        assert_eq!(h(3 * 86400), "3 days");
        assert_eq!(h(20 * 86400), "2 weeks");
        assert_eq!(h(90 * 86400), "3 months");
        assert_eq!(h(800 * 86400), "2 years");
    }

    #[test]
    fn current_state_and_ports_columns() {
        let t = swarm_client::models::Timestamp::parse("2024-01-01T00:00:00.5Z")
            .unwrap()
            .to_system_time();
        assert_eq!(
            current_state(
                "Running",
                "2024-01-01T00:00:00Z",
                t + Duration::from_secs(5)
            ),
            "Running 5 seconds ago"
        );
        assert_eq!(
            current_state("Running", "2024-01-01T00:00:00Z", t),
            "Running less than a second ago"
        );
        assert_eq!(current_state("Pending", "", t), "Pending");
        let ports = serde_json::json!({"Ports": [
            {"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080, "PublishMode": "host"},
            {"Protocol": "udp", "TargetPort": 53, "PublishedPort": 5353, "PublishMode": "host"}]});
        assert_eq!(task_ports(Some(&ports)), "*:8080->80/tcp,*:5353->53/udp");
        assert_eq!(task_ports(None), "");
    }
}
