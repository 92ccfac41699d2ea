//! `dockwright` commands of this area. (Skeleton: commands land with their crate's issue.)

use super::CliResult;
use clap::Subcommand;

/// Commands of this area.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// NFS volume options, --mount strings, fstab lines and exports.
    #[command(subcommand)]
    Nfs(NfsCommand),
}

/// Subcommands of `nfs`.
#[derive(Debug, Subcommand)]
pub enum NfsCommand {
    /// Not built yet.
    Todo,
}

/// Runs a command of this area.
///
/// # Errors
/// Whatever the SDK calls return.
pub async fn run(cmd: Command) -> CliResult {
    match cmd {
        Command::Nfs(NfsCommand::Todo) => Err("not built yet".into()),
    }
}
