//! `dockwright` commands of this area. (Skeleton: commands land with their crate's issue.)

use super::CliResult;
use clap::Subcommand;

/// Commands of this area.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Image references: parse and normalise like the docker CLI.
    #[command(subcommand)]
    Ref(RefCommand),
}

/// Subcommands of `ref`.
#[derive(Debug, Subcommand)]
pub enum RefCommand {
    /// Not built yet.
    Todo,
}

/// Runs a command of this area.
///
/// # Errors
/// Whatever the SDK calls return.
pub async fn run(cmd: Command) -> CliResult {
    match cmd {
        Command::Ref(RefCommand::Todo) => Err("not built yet".into()),
    }
}
