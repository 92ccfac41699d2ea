//! Images in the Docker daemon: `image ls|inspect|tag|rm|prune|save|load|build`, `build`, and
//! the daemon side of `push`/`pull`, where a daemon image is named `docker-daemon:IMAGE`
//! (skopeo's transport name): `push docker-daemon:web:1 127.0.0.1:5000/web:1`,
//! `pull 127.0.0.1:5000/web:1 docker-daemon:` (or `docker-daemon:NAME:TAG` to name it).
//!
//! The daemon is `-H HOST`, else the one the docker CLI would use (`DOCKER_HOST`, contexts).
//! Wiring and printing only: every behaviour is in swarm-client, registry-client and
//! `dockwright::image`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{ArgAction, Args, Subcommand};
use registry_client::reference::Reference;
use registry_client::save_pull::ArchiveOptions;
use registry_client::save_push::{SaveCompression, SavePushOptions};
use swarm_client::args::Filters;
use swarm_client::build::{BuildOptions, parse_build_arg, parse_label};
use swarm_client::images::{
    ListOptions, PruneOptions, RemoveOptions, TableOptions, image_ids, image_table,
};
use swarm_client::progress::ProgressEvent;

use super::{CliResult, connect, print_json};

/// Commands of this area.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Images in the Docker daemon (`docker image …`).
    #[command(subcommand)]
    Image(ImageCommand),
    /// Build an image from a Dockerfile with the classic builder (`DOCKER_BUILDKIT=0 docker
    /// build`).
    Build(BuildArgs),
}

/// `dockwright image …`.
#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// List images (`docker image ls`).
    #[command(visible_alias = "list")]
    Ls {
        /// Show all images (intermediate ones too).
        #[arg(short, long)]
        all: bool,
        /// Show digests.
        #[arg(long)]
        digests: bool,
        /// Filter (`dangling=true`, `label=k=v`, `reference=web*`, `before=…`, `since=…`).
        #[arg(short, long = "filter", value_name = "FILTER")]
        filter: Vec<String>,
        /// Only show image IDs.
        #[arg(short, long)]
        quiet: bool,
        /// Don't truncate output.
        #[arg(long)]
        no_trunc: bool,
        /// `table` (default), or `json`: the daemon's list as JSON (Go templates are not
        /// supported).
        #[arg(long)]
        format: Option<String>,
        /// The daemon.
        #[command(flatten)]
        daemon: Daemon,
    },
    /// Display detailed information on one or more images, as JSON.
    Inspect {
        /// Images (name, `name:tag`, ID).
        #[arg(required = true)]
        images: Vec<String>,
        /// The daemon.
        #[command(flatten)]
        daemon: Daemon,
    },
    /// Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE.
    Tag {
        /// The image to tag.
        source: String,
        /// The new reference.
        target: String,
        /// The daemon.
        #[command(flatten)]
        daemon: Daemon,
    },
    /// Remove one or more images.
    #[command(visible_alias = "remove")]
    Rm {
        /// Force removal of the image.
        #[arg(short, long)]
        force: bool,
        /// Do not delete untagged parents.
        #[arg(long)]
        no_prune: bool,
        /// Images.
        #[arg(required = true)]
        images: Vec<String>,
        /// The daemon.
        #[command(flatten)]
        daemon: Daemon,
    },
    /// Remove unused images.
    Prune {
        /// Remove all unused images, not just dangling ones.
        #[arg(short, long)]
        all: bool,
        /// Do not prompt for confirmation.
        #[arg(short, long)]
        force: bool,
        /// Filter (`until=24h`, `label=k=v`).
        #[arg(long = "filter", value_name = "FILTER")]
        filter: Vec<String>,
        /// The daemon.
        #[command(flatten)]
        daemon: Daemon,
    },
    /// Save one or more images to a tar archive (streamed to STDOUT by default).
    Save {
        /// Write to a file instead of STDOUT.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Images.
        #[arg(required = true)]
        images: Vec<String>,
        /// The daemon.
        #[command(flatten)]
        daemon: Daemon,
    },
    /// Load an image from a tar archive or STDIN.
    Load {
        /// Read from tar archive file, instead of STDIN.
        #[arg(short, long)]
        input: Option<PathBuf>,
        /// Suppress the load output.
        #[arg(short, long)]
        quiet: bool,
        /// The daemon.
        #[command(flatten)]
        daemon: Daemon,
    },
    /// Build an image from a Dockerfile.
    Build(BuildArgs),
}

/// The daemon to talk to.
#[derive(Debug, Args)]
pub struct Daemon {
    /// Daemon socket to connect to (default: as the docker CLI, `DOCKER_HOST` and contexts).
    #[arg(short = 'H', long = "host")]
    host: Option<String>,
}

/// `docker build`'s common flags.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Name and optionally a tag (`name:tag`); repeatable.
    #[arg(short, long = "tag")]
    tag: Vec<String>,
    /// Name of the Dockerfile (default: `PATH/Dockerfile`).
    #[arg(short, long = "file")]
    file: Option<PathBuf>,
    /// Set build-time variables (`KEY=VALUE`, or `KEY` to take it from the environment).
    #[arg(long = "build-arg")]
    build_arg: Vec<String>,
    /// Set metadata for an image (`KEY=VALUE`).
    #[arg(long = "label")]
    label: Vec<String>,
    /// Set the target build stage to build.
    #[arg(long)]
    target: Option<String>,
    /// Do not use cache when building the image.
    #[arg(long)]
    no_cache: bool,
    /// Always attempt to pull a newer version of the image.
    #[arg(long)]
    pull: bool,
    /// Suppress the build output and print image ID on success.
    #[arg(short, long)]
    quiet: bool,
    /// Set the networking mode for the RUN instructions during build.
    #[arg(long, default_value = "default")]
    network: String,
    /// Remove intermediate containers after a successful build.
    #[arg(long, default_value_t = true, action = ArgAction::Set)]
    rm: bool,
    /// Always remove intermediate containers.
    #[arg(long)]
    force_rm: bool,
    /// Set platform if server is multi-platform capable.
    #[arg(long)]
    platform: Option<String>,
    /// The build context directory.
    context: PathBuf,
    /// The daemon.
    #[command(flatten)]
    daemon: Daemon,
}

/// Runs a command of this area.
///
/// # Errors
/// Bad arguments, daemon and I/O errors.
pub async fn run(cmd: Command) -> CliResult {
    match cmd {
        Command::Build(b) | Command::Image(ImageCommand::Build(b)) => build(b).await,
        Command::Image(c) => image(c).await,
    }
}

async fn image(cmd: ImageCommand) -> CliResult {
    match cmd {
        ImageCommand::Ls {
            all,
            digests,
            filter,
            quiet,
            no_trunc,
            format,
            daemon,
        } => {
            let c = connect(daemon.host.as_deref()).await?;
            let mut opts = ListOptions::new().all(all).digests(digests);
            for (k, v) in Filters::parse(&filter)?.iter() {
                opts = opts.filter(k, v);
            }
            let images = c.image_list(&opts).await?;
            let t = TableOptions::new().digests(digests).no_trunc(no_trunc);
            if quiet {
                for id in image_ids(&images, t) {
                    println!("{id}");
                }
            } else if format.as_deref() == Some("json") {
                print_json(&images)?;
            } else if let Some(f) = format.filter(|f| f != "table") {
                return Err(format!("unsupported --format {f:?}: table (default) or json").into());
            } else {
                print!("{}", image_table(&images, t, std::time::SystemTime::now()));
            }
            Ok(())
        }
        ImageCommand::Inspect { images, daemon } => {
            let c = connect(daemon.host.as_deref()).await?;
            let mut out = Vec::new();
            for i in &images {
                out.push(c.image_inspect(i).await?);
            }
            print_json(&out)
        }
        ImageCommand::Tag {
            source,
            target,
            daemon,
        } => {
            let c = connect(daemon.host.as_deref()).await?;
            c.image_tag(&source, &target).await?;
            Ok(())
        }
        ImageCommand::Rm {
            force,
            no_prune,
            images,
            daemon,
        } => {
            let c = connect(daemon.host.as_deref()).await?;
            let opts = RemoveOptions::new().force(force).no_prune(no_prune);
            let mut failed = Vec::new();
            for i in &images {
                match c.image_remove(i, &opts).await {
                    Ok(gone) => {
                        for d in gone {
                            if let Some(u) = d.untagged {
                                println!("Untagged: {u}");
                            }
                            if let Some(d) = d.deleted {
                                println!("Deleted: {d}");
                            }
                        }
                    }
                    Err(e) => failed.push(super::error_chain(&e)),
                }
            }
            if failed.is_empty() {
                Ok(())
            } else {
                Err(failed.join("\n").into())
            }
        }
        ImageCommand::Prune {
            all,
            force,
            filter,
            daemon,
        } => {
            if !force {
                let what = if all {
                    "all images without at least one container associated to them"
                } else {
                    "all dangling images"
                };
                eprint!(
                    "WARNING! This will remove {what}.\nAre you sure you want to continue? [y/N] "
                );
                let mut answer = String::new();
                std::io::stdin().read_line(&mut answer)?;
                if !matches!(answer.trim(), "y" | "Y") {
                    return Err("image prune has been cancelled".into());
                }
            }
            let c = connect(daemon.host.as_deref()).await?;
            let mut opts = PruneOptions::new().all(all);
            for (k, v) in Filters::parse(&filter)?.iter() {
                opts = opts.filter(k, v);
            }
            let report = c.image_prune(&opts).await?;
            if !report.images_deleted.is_empty() {
                println!("Deleted Images:");
                for d in &report.images_deleted {
                    if let Some(u) = &d.untagged {
                        println!("untagged: {u}");
                    }
                    if let Some(d) = &d.deleted {
                        println!("deleted: {d}");
                    }
                }
                println!();
            }
            #[allow(clippy::cast_precision_loss)] // a size shown with 4 digits
            let size = sdk_grammar::units::human_size(report.space_reclaimed as f64);
            println!("Total reclaimed space: {size}");
            Ok(())
        }
        ImageCommand::Save {
            output,
            images,
            daemon,
        } => {
            if output.is_none() && std::io::stdout().is_terminal() {
                return Err(
                    "cowardly refusing to save to a terminal. Use the -o flag or redirect".into(),
                );
            }
            let c = connect(daemon.host.as_deref()).await?;
            let names: Vec<&str> = images.iter().map(String::as_str).collect();
            let export = c.image_save(&names).await?;
            match output {
                Some(path) => {
                    export.write_to_file(&path).await?;
                    Ok(())
                }
                None => {
                    let mut out = tokio::io::stdout();
                    export.write_to(&mut out).await?;
                    Ok(())
                }
            }
        }
        ImageCommand::Load {
            input,
            quiet,
            daemon,
        } => {
            let c = connect(daemon.host.as_deref()).await?;
            let stream = match input {
                Some(path) => c.image_load_file(&path, quiet).await?,
                None => {
                    if std::io::stdin().is_terminal() {
                        return Err("requested load from stdin, but stdin is empty".into());
                    }
                    let body = tokio_util_reader(tokio::io::stdin());
                    c.image_load(body, quiet).await?
                }
            };
            stream
                .finish_with(|e| {
                    if let ProgressEvent::Output(s) = e {
                        print!("{s}");
                    }
                })
                .await?;
            Ok(())
        }
        ImageCommand::Build(b) => build(b).await,
    }
}

/// stdin as a stream of chunks.
fn tokio_util_reader(
    r: impl tokio::io::AsyncRead + Send + Unpin + 'static,
) -> impl futures_util::Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static {
    futures_util::stream::unfold(r, |mut r| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 256 * 1024];
        match r.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(bytes::Bytes::from(buf)), r))
            }
            Err(e) => Some((Err(e), r)),
        }
    })
}

async fn build(b: BuildArgs) -> CliResult {
    let c = connect(b.daemon.host.as_deref()).await?;
    let mut opts = BuildOptions::new()
        .no_cache(b.no_cache)
        .pull(b.pull)
        .quiet(b.quiet)
        .network_mode(b.network)
        .rm(b.rm)
        .force_rm(b.force_rm);
    for t in b.tag {
        Reference::parse(&t)
            .map_err(|e| format!("invalid argument {t:?} for \"-t, --tag\" flag: {e}"))?;
        opts = opts.tag(t);
    }
    if let Some(f) = b.file {
        opts = opts.dockerfile(f);
    }
    for a in &b.build_arg {
        let (k, v) = parse_build_arg(a, |k| std::env::var(k).ok());
        opts = opts.build_arg(k, v.as_deref());
    }
    for l in &b.label {
        let (k, v) = parse_label(l);
        opts = opts.label(k, v);
    }
    if let Some(t) = b.target {
        opts = opts.target(t);
    }
    if let Some(p) = b.platform {
        opts = opts.platform(p);
    }
    let quiet = b.quiet;
    let out = c
        .build(&b.context, &opts)
        .await?
        .finish_with(|e| {
            if !quiet && let ProgressEvent::Output(s) = e {
                print!("{s}");
                let _ = std::io::stdout().flush();
            }
        })
        .await?;
    if quiet {
        println!("{}", out.image_id.unwrap_or_default());
    }
    Ok(())
}

/// `push docker-daemon:IMAGE REF`: the daemon's export streamed to the registry.
///
/// # Errors
/// Daemon and registry errors.
pub(crate) async fn push_from_daemon(
    registry: &registry_client::Client,
    image: &str,
    target: &Reference,
    gzip: bool,
    host: Option<&str>,
) -> CliResult<registry_client::push::PushReport> {
    let engine = connect(host).await?;
    let compression = if gzip {
        SaveCompression::gzip()
    } else {
        SaveCompression::None
    };
    let opts = SavePushOptions::new().compression(compression);
    Ok(dockwright::image::push_from_daemon(&engine, registry, image, target, &opts).await?)
}

/// `pull REF docker-daemon:[NAME]`: the registry's image loaded into the daemon, tagged `NAME`
/// (default: as `docker pull` tags it).
///
/// # Errors
/// Registry and daemon errors.
pub(crate) async fn pull_into_daemon(
    registry: &registry_client::Client,
    reference: &Reference,
    name: &str,
    host: Option<&str>,
) -> CliResult<dockwright::image::PulledImage> {
    let engine = connect(host).await?;
    let mut opts = ArchiveOptions::new();
    if !name.is_empty() {
        opts = opts.tag(name);
    }
    Ok(dockwright::image::pull_into_daemon(registry, &engine, reference, &opts).await?)
}
