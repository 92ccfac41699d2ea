//! `dockwright` commands of this area. (Skeleton: commands land with their crate's issue.)

use super::CliResult;
use clap::Subcommand;

/// Commands of this area.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manifests: fetch and print.
    #[command(subcommand)]
    Manifest(ManifestCommand),
}

/// Subcommands of `manifest`.
#[derive(Debug, Subcommand)]
pub enum ManifestCommand {
    /// Not built yet.
    Todo,
}

/// Runs a command of this area.
///
/// # Errors
/// Whatever the SDK calls return.
pub async fn run(cmd: Command) -> CliResult {
    match cmd {
        Command::Manifest(ManifestCommand::Todo) => Err("not built yet".into()),
    }
}
