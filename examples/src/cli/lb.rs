//! `dockwright lb …`: nginx load-balancer configs (lb-config): render a snippet or a whole
//! nginx.conf from flags, and apply it to a running nginx (write atomically, `nginx -t`, reload,
//! confirm, restore on failure).

use super::CliResult;
use clap::{Args, Subcommand};
use lb_config::nginx::{Applied, Nginx, apply};
use lb_config::{AccessLog, Config, Location, Method, NginxConf, Server, Upstream, UpstreamServer};
use std::path::PathBuf;

/// Commands of this area.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// nginx load balancer configs: render, apply.
    #[command(subcommand)]
    Lb(LbCommand),
}

/// Subcommands of `lb`.
#[derive(Debug, Subcommand)]
pub enum LbCommand {
    /// Print an http-context snippet (upstream + server), or a whole nginx.conf with `--full`.
    Render(RenderArgs),
    /// Write the config to `--conf`, run `nginx -t`, reload, and confirm the new workers run it;
    /// on failure the previous file is restored.
    Apply(ApplyArgs),
}

/// The flags that describe the balancer.
#[derive(Debug, Args)]
pub struct SpecArgs {
    /// The upstream name (`proxy_pass http://NAME`).
    #[arg(long, default_value = "loadbalance")]
    pub name: String,
    /// The balancing method: round_robin, least_conn, ip_hash, `hash $key [consistent]`,
    /// random, `random two [least_conn]`.
    #[arg(long, default_value = "round_robin")]
    pub method: String,
    /// An upstream server: `ADDR [weight=N] [max_fails=N] [fail_timeout=T] [max_conns=N] [backup] [down]`.
    #[arg(long = "server", required = true)]
    pub servers: Vec<String>,
    /// The `listen` value of the server block (port, ADDR:PORT, …).
    #[arg(long, default_value = "80")]
    pub listen: String,
    /// `server_name` values.
    #[arg(long = "server-name")]
    pub server_name: Vec<String>,
    /// The `access_log` path.
    #[arg(long = "access-log")]
    pub access_log: Option<String>,
    /// The log format name of the access log (`main` is defined in `--full` output).
    #[arg(long = "log-format", requires = "access_log")]
    pub log_format: Option<String>,
    /// Print a whole nginx.conf (events, http, log_format) instead of an http snippet.
    #[arg(long)]
    pub full: bool,
}

/// Flags of `lb render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The balancer.
    #[command(flatten)]
    pub spec: SpecArgs,
}

/// Flags of `lb apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The file to write (the nginx.conf itself with `--full`, or an included conf.d file).
    #[arg(long)]
    pub conf: PathBuf,
    /// The full nginx.conf nginx runs with (`-c`); defaults to `--conf` with `--full`, else nginx's default.
    #[arg(long = "main-conf")]
    pub main_conf: Option<PathBuf>,
    /// nginx's prefix (`-p`).
    #[arg(long)]
    pub prefix: Option<PathBuf>,
    /// Global directives (`-g`), e.g. "pid /tmp/t/nginx.pid;".
    #[arg(long = "globals")]
    pub globals: Option<String>,
    /// The nginx binary.
    #[arg(long = "nginx-bin", default_value = "nginx")]
    pub nginx_bin: PathBuf,
    /// The balancer.
    #[command(flatten)]
    pub spec: SpecArgs,
}

fn build(spec: &SpecArgs) -> CliResult<String> {
    let method: Method = spec.method.parse()?;
    let mut up = Upstream::builder(spec.name.clone()).method(method);
    for s in &spec.servers {
        up = up.server_entry(s.parse::<UpstreamServer>()?);
    }
    let mut server = Server::builder().listen(spec.listen.parse()?).location(
        Location::builder("/")
            .proxy_pass_upstream(&spec.name)
            .build()?,
    );
    for n in &spec.server_name {
        server = server.server_name(n.clone());
    }
    if let Some(p) = &spec.access_log {
        server = server.access_log(AccessLog::path(p, spec.log_format.as_deref())?);
    }
    let snippet = Config::builder()
        .upstream(up.build()?)
        .server(server.build()?)
        .build()?;
    Ok(if spec.full {
        let d = |n: &str, a: &str| lb_config::Directive::new(n, [a]);
        NginxConf::builder(snippet)
            .main_directive(d("worker_processes", "auto")?)
            .events_directive(d("worker_connections", "1024")?)
            .build()?
            .render()
    } else {
        snippet.render()
    })
}

/// Runs a command of this area.
///
/// # Errors
/// A typed lb-config error for bad flags; an apply error (with nginx's stderr) for `apply`.
pub async fn run(cmd: Command) -> CliResult {
    match cmd {
        Command::Lb(LbCommand::Render(a)) => {
            print!("{}", build(&a.spec)?);
            Ok(())
        }
        Command::Lb(LbCommand::Apply(a)) => {
            let text = build(&a.spec)?;
            let mut nginx = Nginx::new(&a.nginx_bin);
            if let Some(p) = &a.prefix {
                nginx = nginx.prefix(p);
            }
            match (&a.main_conf, a.spec.full) {
                (Some(c), _) => nginx = nginx.conf(c),
                (None, true) => nginx = nginx.conf(&a.conf),
                (None, false) => {}
            }
            if let Some(g) = &a.globals {
                nginx = nginx.globals(g.clone());
            }
            let conf = a.conf.clone();
            let outcome =
                tokio::task::spawn_blocking(move || apply(&conf, text.as_bytes(), &nginx))
                    .await??;
            match outcome {
                Applied::Unchanged => println!("unchanged: {}", a.conf.display()),
                Applied::Reloaded { confirmed: true } => {
                    println!(
                        "applied: {} (nginx reloaded, new workers running)",
                        a.conf.display()
                    );
                }
                Applied::Reloaded { confirmed: false } => {
                    println!(
                        "applied: {} (nginx reloaded; workers not observable)",
                        a.conf.display()
                    );
                }
                _ => println!("applied: {}", a.conf.display()),
            }
            Ok(())
        }
    }
}
