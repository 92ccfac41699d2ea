//! `dockwright` commands of this area. (Skeleton: commands land with their crate's issue.)

use super::CliResult;
use clap::Subcommand;

/// Commands of this area.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Swarm: init, join, join-token, leave.
    #[command(subcommand)]
    Swarm(SwarmCommand),
}

/// Subcommands of `swarm`.
#[derive(Debug, Subcommand)]
pub enum SwarmCommand {
    /// Not built yet.
    Todo,
}

/// Runs a command of this area.
///
/// # Errors
/// Whatever the SDK calls return.
pub async fn run(cmd: Command) -> CliResult {
    match cmd {
        Command::Swarm(SwarmCommand::Todo) => Err("not built yet".into()),
    }
}
