//! `dockwright`: a small docker-like CLI over the dockwright SDK. See `dockwright --help`.

use examples::cli::help::parse;
use examples::cli::hints::hint;
use examples::cli::{error_chain, run};

/// The exit status of a process killed by SIGPIPE (128 + 13), what the docker CLI (and any
/// program with the default SIGPIPE action) ends with when its reader goes away.
const SIGPIPE_EXIT: i32 = 141;

/// Whether `err` or one of its sources is an I/O error of kind `BrokenPipe`.
fn is_broken_pipe(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(err);
    while let Some(e) = cur {
        if e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
        {
            return true;
        }
        cur = e.source();
    }
    false
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // `dockwright service ps -q | head -n1`: once the reader is gone, stop quietly like the
    // docker CLI, instead of panicking in `println!` ("failed printing to stdout: Broken pipe").
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if msg.starts_with("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(SIGPIPE_EXIT);
        }
        default_hook(info);
    }));
    let cli = parse();
    examples::cli::logging::init(cli.debug);
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(e.as_ref()) => std::process::ExitCode::from(SIGPIPE_EXIT as u8),
        Err(e) => {
            // One line: the error with its causes, then what to do next.
            match hint(e.as_ref()) {
                Some(next) => eprintln!("dockwright: {}; {next}", error_chain(e.as_ref())),
                None => eprintln!("dockwright: {}", error_chain(e.as_ref())),
            }
            std::process::ExitCode::FAILURE
        }
    }
}
