//! `dockwright` commands of this area. (Skeleton: commands land with their crate's issue.)

use super::CliResult;
use clap::Subcommand;

/// Commands of this area.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// nginx load balancer configs: render, apply, from-service.
    #[command(subcommand)]
    Lb(LbCommand),
}

/// Subcommands of `lb`.
#[derive(Debug, Subcommand)]
pub enum LbCommand {
    /// Not built yet.
    Todo,
}

/// Runs a command of this area.
///
/// # Errors
/// Whatever the SDK calls return.
pub async fn run(cmd: Command) -> CliResult {
    match cmd {
        Command::Lb(LbCommand::Todo) => Err("not built yet".into()),
    }
}
