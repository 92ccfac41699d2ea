//! `day5`: the workshop's day 5 as one program (registry login, tag and push, swarm, replicated
//! web service with NFS content, nginx load balancer with a least_conn upstream, reload).
//! Default: in-process fakes, no servers needed. `day5 --real`: the servers of scripts/test.
//! See `day5 --help`.

use clap::Parser;
use examples::cli::error_chain;
use examples::day5::{Args, run};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("DOCKWRIGHT_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    match run(args).await {
        Ok(_) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("day5: {}", error_chain(e.as_ref()));
            std::process::ExitCode::FAILURE
        }
    }
}
