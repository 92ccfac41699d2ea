//! `dockwright`: a small docker-like CLI over the dockwright SDK. See `dockwright --help`.

use clap::Parser;
use examples::cli::{Cli, error_chain, run};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("DOCKWRIGHT_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dockwright: {}", error_chain(e.as_ref()));
            std::process::ExitCode::FAILURE
        }
    }
}
