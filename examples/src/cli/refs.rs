//! `dockwright ref …`: image references parsed and normalised like the docker CLI.

use super::{CliResult, print_json};
use clap::Subcommand;
use registry_client::reference::{Reference, ReferenceError};
use serde::Serialize;

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
    /// Print a reference's parts as JSON:
    /// `{domain, path, name, tag, digest, familiar, canonical}` (null for a missing tag/digest).
    Inspect {
        /// The reference, e.g. `nginx`, `localhost:5000/app:1.0`, `repo@sha256:…`.
        reference: String,
    },
}

/// JSON output of `ref inspect`.
#[derive(Debug, Serialize)]
pub struct RefInfo {
    /// Registry domain (`docker.io`, `localhost:5000`).
    pub domain: String,
    /// Repository path (`library/nginx`).
    pub path: String,
    /// `domain/path`.
    pub name: String,
    /// Tag, if given.
    pub tag: Option<String>,
    /// Digest, if given.
    pub digest: Option<String>,
    /// Docker's short form (`nginx`, `user/app:1`).
    pub familiar: String,
    /// Full form with `:latest` added when neither tag nor digest was given.
    pub canonical: String,
}

impl From<&Reference> for RefInfo {
    fn from(r: &Reference) -> Self {
        Self {
            domain: r.domain().to_owned(),
            path: r.path().to_owned(),
            name: r.name(),
            tag: r.tag().map(str::to_owned),
            digest: r.digest().map(ToString::to_string),
            familiar: r.familiar(),
            canonical: r.canonical(),
        }
    }
}

/// A reference that failed to parse, with the input named.
#[derive(Debug, thiserror::Error)]
#[error("invalid reference {input:?}")]
pub struct InvalidReference {
    input: String,
    #[source]
    source: ReferenceError,
}

/// Runs a command of this area.
///
/// # Errors
/// [`InvalidReference`] for input that is not a valid reference.
pub async fn run(cmd: Command) -> CliResult {
    match cmd {
        Command::Ref(RefCommand::Inspect { reference }) => {
            let r = Reference::parse(&reference).map_err(|source| InvalidReference {
                input: reference.clone(),
                source,
            })?;
            print_json(&RefInfo::from(&r))
        }
    }
}
