//! Registry commands: `login`, `logout`, `tag`, `push`, `pull`, `copy`, `tags`, `manifest`.
//!
//! Loopback registries (`localhost`, 127.0.0.0/8, `::1`) are spoken to over HTTP like dockerd
//! does; others need `--insecure` for HTTP. Credentials come from the docker `config.json`
//! (`$DOCKER_CONFIG`), as the docker CLI's. Progress goes to stderr.

use super::{CliResult, print_json};
use clap::{Args, Subcommand};
use registry_client::pull::Platform;
use registry_client::reference::Reference;
use registry_client::{Client, Credentials, DockerConfig, ProgressKind, ProgressSink};
use std::io::{IsTerminal, Read};
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
    let mut b = Client::builder()
        .insecure(opts.insecure)
        .docker_config(DockerConfig::load()?);
    if let Some((reg, creds)) = extra {
        b = b.credentials(reg, creds);
    }
    if !opts.quiet {
        b = b.progress(if std::io::stderr().is_terminal() {
            progress_bar()
        } else {
            progress_lines()
        });
    }
    Ok(b.build()?)
}

/// One stderr line per blob event (not a terminal: logs, pipes).
fn progress_lines() -> ProgressSink {
    ProgressSink::callback(|e| {
        let short = e.digest.get(7..19).unwrap_or(&e.digest);
        let what = match e.kind {
            ProgressKind::Started => "started",
            ProgressKind::Skipped => "already exists",
            ProgressKind::Mounted => "mounted",
            ProgressKind::Done => "done",
            _ => return,
        };
        let size = e.total.map(|t| format!(" ({t} bytes)")).unwrap_or_default();
        eprintln!("{short}: {what}{size}");
    })
}

/// Per-blob state of the progress bar.
#[derive(Default)]
struct Bars {
    blobs: std::collections::BTreeMap<String, (u64, u64, bool)>,
    drawn: Option<std::time::Instant>,
}

/// A progress bar redrawn in place on stderr (at most 10 times a second): blobs done, bytes
/// moved of the total, and a bar.
fn progress_bar() -> ProgressSink {
    let state = std::sync::Mutex::new(Bars::default());
    ProgressSink::callback(move |e| {
        let Ok(mut st) = state.lock() else { return };
        let entry = st.blobs.entry(e.digest.clone()).or_default();
        let total = e.total.unwrap_or(entry.1);
        *entry = match e.kind {
            ProgressKind::Skipped | ProgressKind::Mounted => (total, total, true),
            ProgressKind::Done => (total.max(e.bytes), total.max(e.bytes), true),
            _ => (e.bytes, total, false),
        };
        let finished = e.kind != ProgressKind::Advanced && e.kind != ProgressKind::Started;
        if !finished && st.drawn.is_some_and(|t| t.elapsed().as_millis() < 100) {
            return;
        }
        st.drawn = Some(std::time::Instant::now());
        let done = st.blobs.values().filter(|b| b.2).count();
        let moved: u64 = st.blobs.values().map(|b| b.0).sum();
        let size: u64 = st.blobs.values().map(|b| b.1).sum();
        let frac = if size == 0 {
            0.0
        } else {
            moved as f64 / size as f64
        };
        let width = 30;
        let filled = ((frac * width as f64) as usize).min(width);
        eprint!(
            "\r[{}{}] {}/{} blobs {:.1}/{:.1} MB {:>3.0}%\x1b[K",
            "#".repeat(filled),
            " ".repeat(width - filled),
            done,
            st.blobs.len(),
            moved as f64 / 1e6,
            size as f64 / 1e6,
            frac * 100.0
        );
    })
}

/// Ends the progress bar's line (on a terminal) before the summary is printed.
fn end_progress(opts: &Opts) {
    if !opts.quiet && std::io::stderr().is_terminal() {
        eprintln!();
    }
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
                None => client(&opts, None)?.push(&source, &r).await?,
            };
            end_progress(&opts);
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
                end_progress(&opts);
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
            let rep = client(&opts, None)?.pull(&r, &dir, Some(&p)).await?;
            end_progress(&opts);
            eprintln!(
                "pulled {} blobs ({} bytes), {} already present",
                rep.downloaded, rep.bytes, rep.present
            );
            println!("{}", rep.digest);
            Ok(())
        }
        Command::Copy { src, dst, opts } => {
            let rep = client(&opts, None)?
                .copy(&parse(&src)?, &parse(&dst)?)
                .await?;
            end_progress(&opts);
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
