//! `dockwright auth …`: which credential source answers for a registry, and the
//! `X-Registry-Auth` header value, from the docker CLI's config (`$DOCKER_CONFIG/config.json`,
//! default `~/.docker/config.json`) and its credential helpers.

use super::{CliResult, print_json};
use clap::Subcommand;
use sdk_core::{CredentialSource, DockerConfig, RegistryAuth};
use serde::Serialize;

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
    /// Shows where the credentials for REGISTRY come from, as JSON
    /// `{registry, key, source, kind, username}`; secrets are never printed.
    Show {
        /// The registry (`host[:port]`, `docker.io`, or a URL).
        registry: String,
    },
    /// Prints the `X-Registry-Auth` header value for REGISTRY (URL-safe base64 JSON, as the
    /// docker CLI sends to dockerd). The value contains the credentials: handle it as a secret.
    Header {
        /// The registry (`host[:port]`, `docker.io`, or a URL).
        registry: String,
    },
}

/// Output of `auth show`.
#[derive(Debug, Serialize)]
struct ShowOutput {
    registry: String,
    key: String,
    /// `helper`, `store`, `file` or `none`.
    source: &'static str,
    /// The helper name or the config file path, when there is one.
    source_detail: Option<String>,
    kind: &'static str,
    username: Option<String>,
}

/// Runs a command of this area.
///
/// # Errors
/// A config file that cannot be read or parsed, a failing credential helper.
pub async fn run(cmd: Command) -> CliResult {
    match cmd {
        Command::Auth(AuthCommand::Show { registry }) => {
            let config = DockerConfig::load()?;
            let (creds, source) = config.credentials_for(&registry)?;
            let (source, source_detail) = match source {
                CredentialSource::Helper(name) => ("helper", Some(name)),
                CredentialSource::Store(name) => ("store", Some(name)),
                CredentialSource::File(path) => ("file", Some(path.display().to_string())),
                _ => ("none", None),
            };
            print_json(&ShowOutput {
                key: DockerConfig::registry_key(&registry),
                registry,
                source,
                source_detail,
                kind: creds.kind(),
                username: creds.username().map(str::to_owned),
            })
        }
        Command::Auth(AuthCommand::Header { registry }) => {
            let config = DockerConfig::load()?;
            let auth: RegistryAuth = config.registry_auth(&registry)?;
            println!("{}", auth.encode());
            Ok(())
        }
    }
}
