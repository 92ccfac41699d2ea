//! `dockwright completion bash|zsh|fish|elvish|powershell`: the shell completion script on
//! stdout (clap_complete), generated from the same command tree `--help` shows.

use clap::Subcommand;
use clap_complete::Shell;

use super::CliResult;

/// Commands of this area.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a shell completion script (`source <(dockwright completion bash)`).
    Completion {
        /// The shell: bash, zsh, fish, elvish or powershell.
        shell: Shell,
    },
}

/// The completion script for `shell`.
#[must_use]
pub fn script(shell: Shell) -> Vec<u8> {
    let mut cmd = super::help::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "dockwright", &mut out);
    out
}

/// Runs a command of this area.
///
/// # Errors
/// Writing to stdout (a closed pipe ends the process quietly, as for other output).
pub fn run(cmd: &Command) -> CliResult {
    use std::io::Write as _;
    let Command::Completion { shell } = cmd;
    // Generated into memory first: clap_complete panics on a write error (`| head`).
    let mut out = std::io::stdout().lock();
    out.write_all(&script(*shell))?;
    out.flush()?;
    Ok(())
}
