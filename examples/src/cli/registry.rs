//! Registry commands: `login`, `logout`, `tag`, `push`, `pull`, `copy`, `tags`, `manifest`.
//!
//! Loopback registries (`localhost`, 127.0.0.0/8, `::1`) are spoken to over HTTP like dockerd
//! does; others need `--insecure` for HTTP. Credentials come from the docker `config.json`
//! (`$DOCKER_CONFIG`), as the docker CLI's. Progress goes to stderr.

use super::progress::Display;
use super::{CliResult, print_json};
use clap::{Args, Subcommand};
use registry_client::pull::Platform;
use registry_client::reference::Reference;
use registry_client::{Client, Credentials, DockerConfig};
use std::io::Read;
use std::path::PathBuf;

/// Registry commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in to a registry: verify the credentials, then store them in the docker config.
    Login {
        /// The registry (`host[:port]`).
        registry: String,
        /// The username.
        #[arg(short, long)]
        username: String,
        /// Read the password from stdin.
        #[arg(long)]
        password_stdin: bool,
        /// Shared registry options.
        #[command(flatten)]
        opts: Opts,
    },
    /// Remove a registry's credentials from the docker config.
    Logout {
        /// The registry (`host[:port]`).
        registry: String,
    },
    /// Give an image a new tag in the same repository (no layer transfer).
    Tag {
        /// The source reference.
        src: String,
        /// The new reference (same repository) or just a tag.
        dst: String,
        /// Shared registry options.
        #[command(flatten)]
        opts: Opts,
    },
    /// Push an OCI image layout directory, a `docker save` archive, or an image of the Docker
    /// daemon named `docker-daemon:IMAGE` (streamed from the daemon's export).
    Push {
        /// The layout directory, archive file, or `docker-daemon:IMAGE`.
        source: PathBuf,
        /// The target reference.
        reference: String,
        /// Gzip the layers (parallel, fast level) when pushing from the daemon.
        #[arg(long)]
        gzip: bool,
        /// The Docker daemon of `docker-daemon:` (default: as the docker CLI).
        #[arg(short = 'H', long = "host")]
        host: Option<String>,
        /// Shared registry options.
        #[command(flatten)]
        opts: Opts,
    },
    /// Pull an image into an OCI image layout directory, or into the Docker daemon with
    /// `docker-daemon:[NAME]` (tagged NAME, default as `docker pull` tags it).
    Pull {
        /// The reference.
        reference: String,
        /// The layout directory (created if needed), or `docker-daemon:[NAME]`.
        dir: PathBuf,
        /// The Docker daemon of `docker-daemon:` (default: as the docker CLI).
        #[arg(short = 'H', long = "host")]
        host: Option<String>,
        /// Platform to choose from an index (`os/arch[/variant]`).
        #[arg(long, default_value = "linux/amd64")]
        platform: String,
        /// Shared registry options.
        #[command(flatten)]
        opts: Opts,
    },
    /// Copy an image between repositories or registries.
    Copy {
        /// The source reference.
        src: String,
        /// The destination reference.
        dst: String,
        /// Shared registry options.
        #[command(flatten)]
        opts: Opts,
    },
    /// List a repository's tags.
    Tags {
        /// The repository reference.
        reference: String,
        /// Shared registry options.
        #[command(flatten)]
        opts: Opts,
    },
    /// Print a manifest (or index) as JSON.
    Manifest {
        /// The reference.
        reference: String,
        /// Shared registry options.
        #[command(flatten)]
        opts: Opts,
    },
}

/// Options shared by the registry commands.
#[derive(Debug, Args)]
pub struct Opts {
    /// Use plain HTTP for non-loopback registries.
    #[arg(long)]
    insecure: bool,
    /// Do not print progress.
    #[arg(long, short)]
    quiet: bool,
}

pub(crate) fn client(opts: &Opts, extra: Option<(&str, Credentials)>) -> CliResult<Client> {
    Ok(builder(opts, extra)?.build()?)
}

fn builder(
    opts: &Opts,
    extra: Option<(&str, Credentials)>,
) -> CliResult<registry_client::ClientBuilder> {
    let mut b = Client::builder()
        .insecure(opts.insecure)
        .docker_config(DockerConfig::load()?);
    if let Some((reg, creds)) = extra {
        b = b.credentials(reg, creds);
    }
    Ok(b)
}

/// A client whose transfers are rendered by a [`Display`]: bars with bytes and rate per layer
/// on a terminal, one line per blob in a pipe, nothing with `--quiet`.
fn client_with_progress(opts: &Opts) -> CliResult<(Client, Display)> {
    let display = Display::detect(opts.quiet);
    let client = builder(opts, None)?
        .progress(display.registry_sink())
        .build()?;
    Ok((client, display))
}

fn parse(r: &str) -> CliResult<Reference> {
    Ok(Reference::parse(r).map_err(|e| format!("invalid reference {r:?}: {e}"))?)
}

/// Runs a registry command.
///
/// # Errors
/// Bad references, registry and I/O errors.
pub async fn run(cmd: Command) -> CliResult {
    match cmd {
        Command::Login {
            registry,
            username,
            password_stdin,
            opts,
        } => {
            if !password_stdin {
                return Err("only --password-stdin is supported".into());
            }
            let mut pw = String::new();
            std::io::stdin().read_to_string(&mut pw)?;
            let pw = pw.trim_end_matches(['\n', '\r']).to_owned();
            if pw.is_empty() {
                return Err("empty password on stdin".into());
            }
            let creds = Credentials::basic(username, pw);
            let c = client(&opts, Some((&registry, creds.clone())))?;
            c.ping(&registry).await?;
            let mut cfg = DockerConfig::load()?;
            cfg.store(&registry, &creds)?;
            cfg.save()?;
            println!("Login Succeeded");
            Ok(())
        }
        Command::Logout { registry } => {
            let mut cfg = DockerConfig::load()?;
            cfg.erase(&registry)?;
            cfg.save()?;
            println!("Removing login credentials for {registry}");
            Ok(())
        }
        Command::Tag { src, dst, opts } => {
            let s = parse(&src)?;
            let tag = if dst.contains(['/', ':']) {
                let d = parse(&dst)?;
                if d.name() != s.name() {
                    return Err(
                        format!("{dst} is not in the repository {}; use copy", s.name()).into(),
                    );
                }
                d.tag().ok_or("the new reference needs a tag")?.to_owned()
            } else {
                dst
            };
            let digest = client(&opts, None)?.tag(&s, &tag).await?;
            println!("{digest}");
            Ok(())
        }
        Command::Push {
            source,
            reference,
            gzip,
            host,
            opts,
        } => {
            let r = parse(&reference)?;
            let daemon = source
                .to_str()
                .and_then(dockwright::image::daemon_image)
                .map(str::to_owned);
            let rep = match daemon {
                Some(image) => {
                    let c = client(&opts, None)?;
                    super::images::push_from_daemon(&c, &image, &r, gzip, host.as_deref()).await?
                }
                None if gzip => {
                    return Err("--gzip is for pushes from the daemon (docker-daemon:IMAGE)".into());
                }
                None => {
                    let (c, display) = client_with_progress(&opts)?;
                    let rep = c.push(&source, &r).await?;
                    display.finish();
                    rep
                }
            };
            eprintln!(
                "pushed {} blobs ({} bytes), {} already present",
                rep.uploaded, rep.bytes, rep.skipped
            );
            println!("{}", rep.digest);
            Ok(())
        }
        Command::Pull {
            reference,
            dir,
            host,
            platform,
            opts,
        } => {
            let r = parse(&reference)?;
            if let Some(name) = dir
                .to_str()
                .and_then(|d| d.strip_prefix(dockwright::image::DAEMON_PREFIX))
            {
                if !name.is_empty() {
                    parse(name)?;
                }
                let c = client(&opts, None)?;
                let got = super::images::pull_into_daemon(&c, &r, name, host.as_deref()).await?;
                eprintln!(
                    "loaded {} ({} bytes) as {}",
                    got.manifest_digest,
                    got.bytes,
                    got.tags.join(", ")
                );
                println!("{}", got.image_id);
                return Ok(());
            }
            let p: Platform = platform.parse()?;
            let (c, display) = client_with_progress(&opts)?;
            let rep = c.pull(&r, &dir, Some(&p)).await?;
            display.finish();
            eprintln!(
                "pulled {} blobs ({} bytes), {} already present",
                rep.downloaded, rep.bytes, rep.present
            );
            println!("{}", rep.digest);
            Ok(())
        }
        Command::Copy { src, dst, opts } => {
            let (c, display) = client_with_progress(&opts)?;
            let rep = c.copy(&parse(&src)?, &parse(&dst)?).await?;
            display.finish();
            eprintln!(
                "copied {} blobs ({} bytes), {} mounted, {} already present",
                rep.uploaded, rep.bytes, rep.mounted, rep.skipped
            );
            println!("{}", rep.digest);
            Ok(())
        }
        Command::Tags { reference, opts } => {
            let tags = client(&opts, None)?
                .list_tags(&parse(&reference)?, None)
                .await?;
            print_json(&tags)
        }
        Command::Manifest { reference, opts } => {
            let m = client(&opts, None)?
                .get_manifest(&parse(&reference)?)
                .await?;
            let v: serde_json::Value = serde_json::from_slice(&m.bytes)?;
            print_json(&serde_json::json!({
                "digest": m.digest.as_str(),
                "mediaType": m.media_type,
                "size": m.bytes.len(),
                "manifest": v,
            }))
        }
    }
}
