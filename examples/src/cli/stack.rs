//! `dockwright stack deploy|plan|ls|ps|services|rm`: argument wiring and printing over
//! `swarm-stack` (all semantics live there), with docker's flags and tables.

use std::io::Read as _;
use std::sync::Arc;

use clap::{Args, Subcommand};
use swarm_stack::deploy::{self, DeployOptions, Event, ResolveImage};
use swarm_stack::{ComposeFile, Loader, convert, validate_stack_name};

use super::progress::{Display, Mode};
use super::swarm::service_table;
use super::{CliResult, connect, print_json, secs};

/// Commands of this area.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Stacks: deploy, plan, ls, ps, services, rm (compose files, as docker stack does).
    Stack(StackArea),
}

/// `stack` with the daemon to talk to.
#[derive(Debug, Args)]
pub struct StackArea {
    /// Daemon socket to connect to (default: DOCKER_HOST / docker context / the default socket).
    #[arg(short = 'H', long = "host")]
    pub host: Option<String>,
    /// The command.
    #[command(subcommand)]
    pub command: StackCommand,
}

/// What `deploy` and `plan` read and how.
#[derive(Debug, Args)]
pub struct DeployFlags {
    /// Path to a Compose file, or "-" to read from stdin (repeatable; later files override).
    #[arg(
        short = 'c',
        long = "compose-file",
        required = true,
        value_delimiter = ','
    )]
    compose_file: Vec<String>,
    /// Prune services that are no longer referenced.
    #[arg(long)]
    prune: bool,
    /// Query the registry to resolve image digest and supported platforms ("always",
    /// "changed", "never").
    #[arg(long, default_value = "always")]
    resolve_image: String,
    /// Send registry authentication details to Swarm agents.
    #[arg(long)]
    with_registry_auth: bool,
    /// The stack.
    stack: String,
}

/// Subcommands of `stack`.
#[derive(Debug, Subcommand)]
pub enum StackCommand {
    /// Deploy a new stack or update an existing stack; waits until it converged unless -d.
    #[command(alias = "up")]
    Deploy {
        /// Files and flags.
        #[command(flatten)]
        flags: DeployFlags,
        /// Exit immediately instead of waiting for the stack services to converge.
        #[arg(short = 'd', long, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
        detach: Option<bool>,
        /// Suppress progress output.
        #[arg(short, long)]
        quiet: bool,
        /// Give up waiting after this many seconds.
        #[arg(long, default_value_t = 300.0)]
        timeout: f64,
        /// Seconds every task must keep running before the stack counts as converged.
        #[arg(long, default_value_t = 0.0)]
        stability_window: f64,
    },
    /// Show what a deploy would create, update (field by field) and remove; changes nothing.
    Plan {
        /// Files and flags.
        #[command(flatten)]
        flags: DeployFlags,
    },
    /// List stacks.
    #[command(alias = "list")]
    Ls {
        /// `table` or `json`.
        #[arg(long, default_value = "table")]
        format: String,
    },
    /// List the tasks in the stack.
    Ps {
        /// Only display task IDs.
        #[arg(short, long)]
        quiet: bool,
        /// `table` or `json`.
        #[arg(long, default_value = "table")]
        format: String,
        /// The stack.
        stack: String,
    },
    /// List the services in the stack.
    Services {
        /// Only display IDs.
        #[arg(short, long)]
        quiet: bool,
        /// `table` or `json`.
        #[arg(long, default_value = "table")]
        format: String,
        /// The stack.
        stack: String,
    },
    /// Remove one or more stacks.
    #[command(alias = "remove", alias = "down")]
    Rm {
        /// Stacks.
        #[arg(required = true)]
        stacks: Vec<String>,
    },
}

/// Loads and converts the files like `docker stack deploy`, printing docker's warnings.
fn load(flags: &DeployFlags) -> CliResult<swarm_stack::convert::StackSpec> {
    validate_stack_name(&flags.stack)?;
    let first = &flags.compose_file[0];
    let working_dir = if first == "-" && flags.compose_file.len() == 1 {
        std::env::current_dir()?
    } else {
        std::path::absolute(first)?
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default()
    };
    let mut loader = Loader::new(working_dir.display().to_string()).envs(std::env::vars());
    for f in &flags.compose_file {
        let file = if f == "-" {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text)?;
            ComposeFile::new("-", text)
        } else {
            ComposeFile::read(f)?
        };
        loader = loader.file(file);
    }
    let loaded = loader.load()?;
    eprint!("{}", loaded.ignored_text());
    for w in &loaded.warnings {
        eprintln!("WARN: {w}");
    }
    Ok(convert::convert(
        &flags.stack,
        &loaded.compose,
        &*loader.file_reader(),
    )?)
}

fn options(flags: &DeployFlags) -> CliResult<DeployOptions> {
    let mut o = DeployOptions::new()
        .prune(flags.prune)
        .resolve_image(flags.resolve_image.parse::<ResolveImage>()?);
    if flags.with_registry_auth {
        let config = sdk_core::DockerConfig::load()?;
        o = o.registry_auth(Arc::new(move |image: &str| {
            let domain = registry_client::reference::Reference::parse(image)
                .map(|r| r.domain().to_owned())
                .unwrap_or_else(|_| "docker.io".into());
            config.registry_auth(&domain).ok()
        }));
    }
    Ok(o)
}

/// Runs a command of this area.
///
/// # Errors
/// Whatever the SDK calls return, and bad arguments.
pub async fn run(cmd: Command) -> CliResult {
    let Command::Stack(area) = cmd;
    let host = area.host.as_deref();
    match area.command {
        StackCommand::Deploy {
            flags,
            detach,
            quiet,
            timeout,
            stability_window,
        } => {
            let spec = load(&flags)?;
            let c = connect(host).await?;
            // A bar per converging service on a terminal, `converging: …` lines in a pipe.
            let display = Display::detect(quiet);
            let shown = display.clone();
            let o = options(&flags)?
                .detach(detach.unwrap_or(false))
                .timeout(secs("timeout", timeout)?)
                .window(secs("stability-window", stability_window)?)
                .on_event(move |e: &Event| match e {
                    Event::Created { .. } | Event::Updated { .. } | Event::Removed { .. } => {
                        println!("{e}");
                    }
                    Event::Warning(w) if shown.mode() == Mode::Quiet => eprintln!("{w}"),
                    e => shown.stack_event(e),
                });
            let r = deploy::deploy(&c, &spec, &o).await;
            display.finish();
            let r = r?;
            if !quiet && r.service_updates == 0 && r.plan.is_empty() {
                eprintln!("stack {} is up to date", flags.stack);
            }
        }
        StackCommand::Plan { flags } => {
            let spec = load(&flags)?;
            let c = connect(host).await?;
            let p = deploy::plan(&c, &spec, &options(&flags)?).await?;
            for w in &p.warnings {
                eprintln!("{w}");
            }
            print!("{p}");
        }
        StackCommand::Ls { format } => {
            let c = connect(host).await?;
            let stacks = deploy::list(&c).await?;
            if format == "json" {
                let v: Vec<_> = stacks
                    .iter()
                    .map(|s| serde_json::json!({"Name": s.name, "Services": s.services}))
                    .collect();
                print_json(&v)?;
            } else {
                let mut rows = vec![vec!["NAME".to_owned(), "SERVICES".to_owned()]];
                rows.extend(
                    stacks
                        .iter()
                        .map(|s| vec![s.name.clone(), s.services.to_string()]),
                );
                print!("{}", super::table::render_table(&rows));
            }
        }
        StackCommand::Ps {
            quiet,
            format,
            stack,
        } => {
            let c = connect(host).await?;
            let tasks = deploy::tasks(&c, &stack).await?;
            let services = deploy::services(&c, &stack).await?;
            let nodes = c.node_list().await?;
            let mut all: Vec<(String, swarm_client::models::Task)> = tasks
                .into_iter()
                .map(|t| {
                    let name = services
                        .iter()
                        .find(|s| s.id == t.service_id)
                        .map(|s| s.name().to_owned())
                        .unwrap_or_else(|| t.service_id.clone());
                    (name, t)
                })
                .collect();
            all.sort_by(|(a, x), (b, y)| {
                (a, x.slot, &y.created_at).cmp(&(b, y.slot, &x.created_at))
            });
            super::swarm::print_tasks(&all, &nodes, quiet, &format)?;
        }
        StackCommand::Services {
            quiet,
            format,
            stack,
        } => {
            let c = connect(host).await?;
            let list = deploy::services(&c, &stack).await?;
            if list.is_empty() {
                eprintln!("Nothing found in stack: {stack}");
            } else if quiet {
                for s in &list {
                    println!("{}", s.id);
                }
            } else if format == "json" {
                print_json(&list)?;
            } else {
                print!("{}", service_table(&list));
            }
        }
        StackCommand::Rm { stacks } => {
            let c = connect(host).await?;
            let mut failed = Vec::new();
            for stack in &stacks {
                validate_stack_name(stack)?;
                match deploy::remove(&c, stack).await {
                    Ok(r) => {
                        for (kind, name) in &r.objects {
                            println!("Removing {kind} {name}");
                        }
                        for f in &r.failures {
                            eprintln!("{f}");
                        }
                        if !r.failures.is_empty() {
                            failed.push(format!(
                                "failed to remove some resources from stack: {stack}"
                            ));
                        }
                    }
                    Err(swarm_stack::Error::Check(m)) => eprintln!("{m}"),
                    Err(e) => return Err(e.into()),
                }
            }
            if !failed.is_empty() {
                return Err(failed.join("\n").into());
            }
        }
    }
    Ok(())
}
