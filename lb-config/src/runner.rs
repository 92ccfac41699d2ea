//! What nginx is asked to do ([`NginxRunner`]) and what can fail ([`ApplyError`]): the lowest
//! layer of the `nginx` feature, shared by the real runner and the recording one.

use std::collections::BTreeSet;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// Errors of [`apply`](crate::nginx::apply) and of [`NginxRunner`]s.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApplyError {
    /// Reading, writing or renaming a file failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The nginx binary could not be run.
    #[error("could not run {bin}: {source}")]
    Spawn {
        /// The command.
        bin: String,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// `nginx -t` rejected the new config; the previous file was restored.
    #[error(
        "nginx -t rejected the new config (previous config restored): {}",
        one_line(stderr)
    )]
    Invalid {
        /// nginx's stderr.
        stderr: String,
    },
    /// The reload signal could not be sent; the previous file was restored.
    #[error("nginx reload failed (previous config restored): {}", one_line(stderr))]
    Reload {
        /// nginx's or kill's stderr.
        stderr: String,
    },
    /// nginx did not start new workers with the new config (or did not answer the new version
    /// marker) in time; the previous file was restored and nginx reloaded back.
    #[error("nginx did not confirm the new config within {waited:?} (previous config restored)")]
    NotConfirmed {
        /// How long we waited.
        waited: Duration,
    },
    /// Another apply held the lock on the config's directory for longer than
    /// [`ApplyOptions::lock_timeout`](crate::nginx::ApplyOptions::lock_timeout).
    #[error("another apply is running on {path} (waited {waited:?} for its lock)")]
    Locked {
        /// The directory whose lock was held.
        path: PathBuf,
        /// How long we waited.
        waited: Duration,
    },
    /// A step failed and restoring the previous file failed too. The backup of the previous file
    /// is kept, so the next apply restores it first.
    #[error("{first}; restoring the previous config also failed: {restore}")]
    RestoreFailed {
        /// The original failure.
        first: Box<Self>,
        /// The restore failure.
        restore: Box<Self>,
    },
}

/// nginx's multi-line stderr joined into one line for error messages.
fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" | ")
}

/// What nginx is asked to do; the real one is [`Nginx`](crate::nginx::Nginx), tests substitute fakes.
pub trait NginxRunner {
    /// Tests the full config (`nginx -t`). `Err` carries nginx's complaint.
    ///
    /// # Errors
    /// [`ApplyError::Invalid`] when nginx rejects the config, [`ApplyError::Spawn`] when it cannot run.
    fn validate(&self) -> Result<(), ApplyError>;

    /// Asks the running nginx to reload its config.
    ///
    /// # Errors
    /// [`ApplyError::Reload`] when the signal cannot be sent.
    fn reload(&self) -> Result<(), ApplyError>;

    /// The worker processes that accept new connections: the pids of the master's children titled
    /// `nginx: worker process`, leaving out old workers already `shutting down` after a reload
    /// (they have closed their listening sockets). `None` when it cannot be observed (then
    /// [`apply`](crate::nginx::apply) confirms only by a version marker, if one is given).
    ///
    /// After a reload [`apply`](crate::nginx::apply) waits until this set is non-empty and shares no pid with the set
    /// before the reload: from then on no new connection can reach the old config.
    fn workers(&self) -> Option<BTreeSet<u32>> {
        None
    }
}
