//! Registry administration: `dockwright catalog REGISTRY` (the repositories a registry holds)
//! and `dockwright delete REF` (a manifest, by tag or digest, as `skopeo delete`), over
//! registry-client's [`registry_client::Client::catalog`] and
//! [`registry_client::Client::delete_image`].

use clap::{Args, Subcommand};
use registry_client::reference::Reference;
use registry_client::{Client, DockerConfig};

use super::table::render_table;
use super::{CliResult, print_json};

/// Commands of this area.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the repositories of a registry (`/v2/_catalog`).
    Catalog {
        /// The registry (`host[:port]`).
        registry: String,
        /// Only display repository names (no header).
        #[arg(short, long)]
        quiet: bool,
        /// `table` (default) or `json`.
        #[arg(long, default_value = "table")]
        format: String,
        /// Page size asked of the registry (`n`); every page is read.
        #[arg(long)]
        page_size: Option<u32>,
        /// Registry connection options.
        #[command(flatten)]
        opts: Opts,
    },
    /// Delete an image's manifest from a registry, by tag or digest (every tag naming that
    /// manifest goes; the registry's garbage collection frees the blobs). Prints the digest.
    Delete {
        /// The reference (`host/repo:tag` or `host/repo@sha256:…`).
        reference: String,
        /// Registry connection options.
        #[command(flatten)]
        opts: Opts,
    },
}

/// Connection options of these commands.
#[derive(Debug, Args)]
pub struct Opts {
    /// Use plain HTTP for non-loopback registries.
    #[arg(long)]
    insecure: bool,
}

fn client(opts: &Opts) -> CliResult<Client> {
    Ok(Client::builder()
        .insecure(opts.insecure)
        .docker_config(DockerConfig::load()?)
        .build()?)
}

/// Runs a command of this area.
///
/// # Errors
/// Bad references, registry errors (a registry that denies the catalog or has deletes
/// disabled answers `UNSUPPORTED`/`UNAUTHORIZED`).
pub async fn run(cmd: Command) -> CliResult {
    match cmd {
        Command::Catalog {
            registry,
            quiet,
            format,
            page_size,
            opts,
        } => {
            let repos = client(&opts)?.catalog(&registry, page_size).await?;
            if quiet {
                for r in &repos {
                    println!("{r}");
                }
                Ok(())
            } else if format == "json" {
                print_json(&repos)
            } else if format == "table" {
                let mut rows = vec![vec!["REPOSITORY".to_owned()]];
                rows.extend(repos.iter().map(|r| vec![r.clone()]));
                print!("{}", render_table(&rows));
                Ok(())
            } else {
                Err(format!("unknown --format {format:?}: use table or json").into())
            }
        }
        Command::Delete { reference, opts } => {
            let r = Reference::parse(&reference)
                .map_err(|e| format!("invalid reference {reference:?}: {e}"))?;
            let digest = client(&opts)?.delete_image(&r).await?;
            println!("{digest}");
            Ok(())
        }
    }
}
