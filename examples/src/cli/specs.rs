//! `dockwright` commands of this area. (Skeleton: commands land with their crate's issue.)

use super::CliResult;
use clap::Subcommand;

/// Commands of this area.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Docker --mount strings: parse into the Engine API Mount JSON.
    #[command(subcommand)]
    Mount(MountCommand),
}

/// Subcommands of `mount`.
#[derive(Debug, Subcommand)]
pub enum MountCommand {
    /// Not built yet.
    Todo,
}

/// Runs a command of this area.
///
/// # Errors
/// Whatever the SDK calls return.
pub async fn run(cmd: Command) -> CliResult {
    match cmd {
        Command::Mount(MountCommand::Todo) => Err("not built yet".into()),
    }
}
