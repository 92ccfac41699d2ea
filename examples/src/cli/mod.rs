//! The `dockwright` command line: a small docker-like CLI over the dockwright SDK.
//!
//! One module per area; each defines a clap `Command` enum flattened into [`Command`] and an
//! async `run` function. Output: JSON on stdout for parse/inspect commands, tables for `ls`/`ps`;
//! errors go to stderr as one line and a non-zero exit.

pub mod auth;
pub mod cluster;
pub mod completion;
pub mod help;
pub mod hints;
pub mod images;
pub mod lb;
pub mod logging;
pub mod nfs;
pub mod objects;
pub mod progress;
pub mod refs;
pub mod registry;
pub mod registry_admin;
pub mod specs;
pub mod stack;
pub mod swarm;
pub mod table;

use clap::{Parser, Subcommand};

/// Errors of CLI commands: any SDK error, printed with its source chain.
pub type CliError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Result of a CLI command.
pub type CliResult<T = ()> = Result<T, CliError>;

/// A seconds flag as a [`std::time::Duration`]: `--FLAG VALUE: reason` for a negative, NaN or
/// too large value (never a panic).
pub(crate) fn secs(flag: &str, v: f64) -> CliResult<std::time::Duration> {
    std::time::Duration::try_from_secs_f64(v).map_err(|e| format!("--{flag} {v}: {e}").into())
}

/// The swarm manager of `-H HOST`, else the one the docker CLI would use (`DOCKER_HOST`,
/// contexts); the API version negotiated.
/// An unreachable daemon is a [`hints::DaemonUnreachable`] naming the endpoint tried and where
/// it came from.
pub(crate) async fn connect(host: Option<&str>) -> CliResult<swarm_client::Client> {
    let r = match host {
        Some(h) => swarm_client::Client::connect(h).await,
        None => swarm_client::Client::from_env().await,
    };
    r.map_err(|e| hints::daemon_error(e, host, |k| std::env::var(k).ok()))
}

/// The dockwright CLI.
#[derive(Debug, Parser)]
#[command(
    name = "dockwright",
    version,
    about = "Registry, Swarm, nginx and NFS automation over the dockwright SDK"
)]
pub struct Cli {
    /// Turn on the SDK's debug logs (secrets redacted; RUST_LOG for other filters).
    #[arg(long, global = true)]
    pub debug: bool,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// All top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Credentials and registry auth (sdk-core).
    #[command(flatten)]
    Auth(auth::Command),
    /// Image reference commands (registry-client).
    #[command(flatten)]
    Refs(refs::Command),
    /// Registry commands (registry-client).
    #[command(flatten)]
    Registry(registry::Command),
    /// Images in the Docker daemon and builds (swarm-client).
    #[command(flatten)]
    Images(images::Command),
    /// Registry administration: catalog, delete (registry-client).
    #[command(flatten)]
    RegistryAdmin(registry_admin::Command),
    /// `--mount` / `--publish` spec commands (swarm-client).
    #[command(flatten)]
    Specs(specs::Command),
    /// Swarm commands (swarm-client).
    #[command(flatten)]
    Swarm(swarm::Command),
    /// Secrets, configs and networks (swarm-client).
    #[command(flatten)]
    Objects(objects::Command),
    /// Stack commands: compose files deployed like docker stack (swarm-stack).
    #[command(flatten)]
    Stack(stack::Command),
    /// Load balancer commands (lb-config).
    #[command(flatten)]
    Lb(lb::Command),
    /// NFS commands (nfs-mount).
    #[command(flatten)]
    Nfs(nfs::Command),
    /// Shell completions.
    #[command(flatten)]
    Completion(completion::Command),
}

/// Runs one parsed command.
///
/// # Errors
/// Whatever the command's SDK calls return; the caller prints it and exits non-zero.
pub async fn run(cli: Cli) -> CliResult {
    match cli.command {
        Command::Auth(c) => auth::run(c).await,
        Command::Refs(c) => refs::run(c).await,
        Command::Registry(c) => registry::run(c).await,
        Command::Images(c) => images::run(c).await,
        Command::RegistryAdmin(c) => registry_admin::run(c).await,
        Command::Objects(c) => objects::run(c).await,
        Command::Completion(c) => completion::run(&c),
        Command::Specs(c) => specs::run(c).await,
        Command::Swarm(c) => swarm::run(c).await,
        Command::Stack(c) => stack::run(c).await,
        Command::Lb(c) => lb::run(c).await,
        Command::Nfs(c) => nfs::run(c).await,
    }
}

/// Formats an error with its whole `source()` chain on one line: `a: b: c`.
#[must_use]
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        let s = e.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cur = e.source();
    }
    out
}

/// Prints a value as pretty JSON on stdout.
///
/// # Errors
/// When the value cannot be serialised.
pub fn print_json<T: serde::Serialize>(value: &T) -> CliResult {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
