//! `dockwright mount parse`, `dockwright publish parse`: print what swarm-client's `--mount` and
//! `--publish` grammars make of a value. (docker's `service create`/`update` flags live in
//! `swarm_client::flags`; `dockwright service create|update` pass their arguments to it.)

use super::{CliResult, print_json};
use clap::Subcommand;
use swarm_client::mount::MountSpec;
use swarm_client::port::PortSpec;

/// Commands of this area.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Docker `--mount` strings: parse into the Engine API Mount JSON.
    #[command(subcommand)]
    Mount(MountCommand),
    /// Docker `--publish` strings: parse into the Engine API PortConfig JSON list.
    #[command(subcommand)]
    Publish(PublishCommand),
}

/// Subcommands of `mount`.
#[derive(Debug, Subcommand)]
pub enum MountCommand {
    /// Parse a `--mount` value (one CSV record) and print the Mount JSON the docker CLI sends.
    Parse {
        /// The `--mount` value, e.g. `type=volume,source=v,target=/data`.
        csv: String,
    },
}

/// Subcommands of `publish`.
#[derive(Debug, Subcommand)]
pub enum PublishCommand {
    /// Parse a `--publish` value and print the PortConfig JSON list the docker CLI sends.
    Parse {
        /// The `--publish` value, e.g. `mode=host,target=80,published=8080` or `8080:80`.
        spec: String,
    },
}

/// Runs a command of this area.
///
/// # Errors
/// The grammar's error (the docker CLI's reason text) for a rejected value.
#[allow(clippy::unused_async)] // all area `run` functions are async
pub async fn run(cmd: Command) -> CliResult {
    match cmd {
        Command::Mount(MountCommand::Parse { csv }) => {
            let m: MountSpec = csv.parse()?;
            print_json(&m)
        }
        Command::Publish(PublishCommand::Parse { spec }) => {
            let p: PortSpec = spec.parse()?;
            print_json(&p)
        }
    }
}
