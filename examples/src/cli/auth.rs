//! `dockwright` commands of this area. (Skeleton: commands land with their crate's issue.)

use super::CliResult;
use clap::Subcommand;

/// Commands of this area.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Credentials: which source answers for a registry, and the X-Registry-Auth header.
    #[command(subcommand)]
    Auth(AuthCommand),
}

/// Subcommands of `auth`.
#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Not built yet.
    Todo,
}

/// Runs a command of this area.
///
/// # Errors
/// Whatever the SDK calls return.
pub async fn run(cmd: Command) -> CliResult {
    match cmd {
        Command::Auth(AuthCommand::Todo) => Err("not built yet".into()),
    }
}
