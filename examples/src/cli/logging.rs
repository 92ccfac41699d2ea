//! `--debug` and `RUST_LOG`: the SDK's tracing events on stderr. The SDK crates never put a
//! secret in an event (passwords, tokens and `X-Registry-Auth` values are redacted where they
//! are logged; `tests/cli_logging.rs` checks it through this subscriber).

use tracing_subscriber::EnvFilter;

/// The filter of `--debug`: every dockwright crate at `debug`, everything else at `warn`.
pub const DEBUG_FILTER: &str = "warn,sdk_core=debug,sdk_grammar=debug,registry_client=debug,\
swarm_client=debug,swarm_stack=debug,lb_config=debug,nfs_mount=debug,dockwright=debug,examples=debug";

/// The filter directives for `debug` and the environment's `RUST_LOG` / `DOCKWRIGHT_LOG`
/// (`RUST_LOG` first): the environment's directives, after `--debug`'s when both are given;
/// `warn` when neither is.
#[must_use]
pub fn directives(debug: bool, env: impl Fn(&str) -> Option<String>) -> String {
    let from_env = env("RUST_LOG")
        .or_else(|| env("DOCKWRIGHT_LOG"))
        .filter(|s| !s.trim().is_empty());
    match (debug, from_env) {
        (true, Some(e)) => format!("{DEBUG_FILTER},{e}"),
        (true, None) => DEBUG_FILTER.to_owned(),
        (false, Some(e)) => e,
        (false, None) => "warn".to_owned(),
    }
}

/// Installs the stderr subscriber. A filter that does not parse is reported on stderr and
/// replaced by `warn` (or the `--debug` filter), never a panic.
pub fn init(debug: bool) {
    let wanted = directives(debug, |k| std::env::var(k).ok());
    let filter = EnvFilter::try_new(&wanted).unwrap_or_else(|e| {
        eprintln!("dockwright: ignoring the log filter {wanted:?}: {e}");
        EnvFilter::new(if debug { DEBUG_FILTER } else { "warn" })
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_env_filters() {
        let none = |_: &str| None;
        assert_eq!(directives(false, none), "warn");
        assert_eq!(directives(true, none), DEBUG_FILTER);
        let rust_log = |k: &str| (k == "RUST_LOG").then(|| "registry_client=trace".to_owned());
        assert_eq!(directives(false, rust_log), "registry_client=trace");
        assert!(directives(true, rust_log).ends_with(",registry_client=trace"));
        let old = |k: &str| (k == "DOCKWRIGHT_LOG").then(|| "info".to_owned());
        assert_eq!(directives(false, old), "info");
        assert!(EnvFilter::try_new(DEBUG_FILTER).is_ok());
    }
}
