//! [`RecordingRunner`]: an nginx stand-in for tests of automation that applies configs, and
//! [`light_check`], a pure-Rust check of a config file (re-exported from `nginx`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::runner::{ApplyError, NginxRunner};

/// A call an nginx runner received.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RunnerCall {
    /// `nginx -t`, with the bytes of the watched config file at that moment (empty when no file
    /// is watched or it could not be read).
    Validate(Vec<u8>),
    /// `nginx -s reload`.
    Reload,
}

#[derive(Debug, Default)]
struct State {
    calls: Vec<RunnerCall>,
    reject: Option<String>,
    fail_reload: Option<String>,
    generation: u32,
}

/// An nginx stand-in implementing [`NginxRunner`] without nginx: it records every `validate` and
/// `reload`, can reject the config with a message (like `nginx -t`), can fail the reload, and
/// simulates nginx's new worker generation after each reload, so `nginx::apply` sees a confirmed
/// reload. With [`Self::check_file`] its `validate` reads the written file and runs
/// [`light_check`] on it.
///
/// Clones share their record, so a test can keep one clone and hand another to the code under
/// test (also across threads).
///
/// ```
/// use lb_config::nginx::{Applied, RecordingRunner, RunnerCall, apply};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let conf = dir.path().join("lb.conf");
/// let nginx = RecordingRunner::new().check_file(&conf);
/// let v1 = b"upstream lb {\n    server 127.0.0.1:8081;\n}\n";
/// assert_eq!(apply(&conf, v1, &nginx)?, Applied::Reloaded { confirmed: true });
/// assert_eq!(nginx.calls(), [RunnerCall::Validate(v1.to_vec()), RunnerCall::Reload]);
///
/// // The next config is rejected: the file is restored and nothing is reloaded.
/// nginx.set_reject(Some("nginx: [emerg] host not found in upstream"));
/// assert!(apply(&conf, b"upstream lb {\n    server nowhere:80;\n}\n", &nginx).is_err());
/// assert_eq!(std::fs::read(&conf)?, v1);
/// assert_eq!(nginx.reloads(), 1);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct RecordingRunner {
    state: Arc<Mutex<State>>,
    file: Option<PathBuf>,
    observable: bool,
    new_workers: bool,
}

impl RecordingRunner {
    /// A runner that accepts every config, reloads, and starts a new worker generation.
    pub fn new() -> Self {
        Self {
            state: Arc::default(),
            file: None,
            observable: true,
            new_workers: true,
        }
    }

    /// Validate reads `path` (records its bytes) and runs [`light_check`] on it.
    pub fn check_file(mut self, path: impl AsRef<Path>) -> Self {
        self.file = Some(path.as_ref().to_path_buf());
        self
    }

    /// Reject every config with `stderr` (as `nginx -t` would), until [`Self::set_reject`]`(None)`.
    pub fn reject_with(self, stderr: impl Into<String>) -> Self {
        self.set_reject(Some(stderr));
        self
    }

    /// Reloads fail with `stderr` (e.g. nginx is not running).
    pub fn fail_reload(self, stderr: impl Into<String>) -> Self {
        self.lock().fail_reload = Some(stderr.into());
        self
    }

    /// `false`: [`NginxRunner::workers`] returns `None`, like nginx in another pid namespace, so
    /// `apply` reports `Reloaded { confirmed: false }`.
    pub fn observable(mut self, yes: bool) -> Self {
        self.observable = yes;
        self
    }

    /// `false`: a reload starts no new workers (a reload nginx ignored), so `apply` times out
    /// with `NotConfirmed` and restores the previous file.
    pub fn new_workers(mut self, yes: bool) -> Self {
        self.new_workers = yes;
        self
    }

    /// Changes whether (and with what message) `validate` rejects, for the next calls.
    pub fn set_reject(&self, stderr: Option<impl Into<String>>) {
        self.lock().reject = stderr.map(Into::into);
    }

    /// Every call so far, in order.
    #[must_use]
    pub fn calls(&self) -> Vec<RunnerCall> {
        self.lock().calls.clone()
    }

    /// How many reloads were requested.
    #[must_use]
    pub fn reloads(&self) -> usize {
        self.lock()
            .calls
            .iter()
            .filter(|c| **c == RunnerCall::Reload)
            .count()
    }

    /// The config bytes seen by each `validate`, in order.
    #[must_use]
    pub fn validated(&self) -> Vec<Vec<u8>> {
        self.lock()
            .calls
            .iter()
            .filter_map(|c| match c {
                RunnerCall::Validate(b) => Some(b.clone()),
                RunnerCall::Reload => None,
            })
            .collect()
    }

    /// The simulated worker generation (0 before the first successful reload).
    #[must_use]
    pub fn generation(&self) -> u32 {
        self.lock().generation
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl NginxRunner for RecordingRunner {
    fn validate(&self) -> Result<(), ApplyError> {
        let bytes = self
            .file
            .as_ref()
            .and_then(|p| std::fs::read(p).ok())
            .unwrap_or_default();
        let mut st = self.lock();
        st.calls.push(RunnerCall::Validate(bytes.clone()));
        if let Some(stderr) = &st.reject {
            return Err(ApplyError::Invalid {
                stderr: stderr.clone(),
            });
        }
        drop(st);
        if self.file.is_some() {
            light_check(&bytes)?;
        }
        Ok(())
    }

    fn reload(&self) -> Result<(), ApplyError> {
        let mut st = self.lock();
        st.calls.push(RunnerCall::Reload);
        if let Some(stderr) = &st.fail_reload {
            return Err(ApplyError::Reload {
                stderr: stderr.clone(),
            });
        }
        if self.new_workers {
            st.generation += 1;
        }
        Ok(())
    }

    fn workers(&self) -> Option<BTreeSet<u32>> {
        self.observable.then(|| {
            let g = self.lock().generation;
            // Two workers per generation, with pids that never repeat across generations.
            [10_000 + g * 2, 10_001 + g * 2].into()
        })
    }
}

/// A pure-Rust check of config text, as far as lb-config understands nginx: the text is UTF-8,
/// its braces and quotes balance, and it parses as a whole `nginx.conf` (when it has a top-level
/// `http` block) or an http-context snippet, with every rule lb-config validates (empty upstream,
/// `backup` with hash, `weight=0`, unbracketed IPv6, …). It does not know every nginx directive,
/// files, or hosts: `nginx -t` stays the authority.
///
/// ```
/// use lb_config::nginx::light_check;
/// assert!(light_check(b"upstream lb {\n    server 127.0.0.1:80;\n}\n").is_ok());
/// let e = light_check(b"upstream lb {\n}\n").unwrap_err();
/// assert!(e.to_string().contains("has no servers"), "{e}");
/// ```
///
/// # Errors
/// [`ApplyError::Invalid`] whose `stderr` names the problem.
pub fn light_check(text: &[u8]) -> Result<(), ApplyError> {
    let invalid = |m: String| ApplyError::Invalid {
        stderr: format!("lb-config light check: {m}"),
    };
    let text = std::str::from_utf8(text).map_err(|e| invalid(format!("not UTF-8: {e}")))?;
    let top = crate::parse_directives(text).map_err(|e| invalid(e.to_string()))?;
    let full = top
        .iter()
        .any(|d| d.name() == "http" && d.children().is_some());
    let r = if full {
        text.parse::<crate::NginxConf>().map(drop)
    } else {
        text.parse::<crate::Config>().map(drop)
    };
    r.map_err(|e| invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nginx::{Applied, apply, apply_with_timeout};
    use std::time::Duration;

    const V1: &[u8] = b"upstream lb {\n    server 127.0.0.1:8081;\n}\n";
    const V2: &[u8] = b"upstream lb {\n    server 127.0.0.1:8082;\n}\n";

    #[test]
    fn records_and_confirms_by_generation() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("lb.conf");
        let r = RecordingRunner::new().check_file(&p);
        let handle = r.clone();
        assert_eq!(
            apply(&p, V1, &r).unwrap(),
            Applied::Reloaded { confirmed: true }
        );
        assert_eq!(
            apply(&p, V2, &r).unwrap(),
            Applied::Reloaded { confirmed: true }
        );
        assert_eq!(apply(&p, V2, &r).unwrap(), Applied::Unchanged);
        assert_eq!(handle.validated(), [V1.to_vec(), V2.to_vec()]);
        assert_eq!(handle.reloads(), 2);
        assert_eq!(handle.generation(), 2);
    }

    #[test]
    fn light_check_rejects_and_restores() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("lb.conf");
        let r = RecordingRunner::new().check_file(&p);
        apply(&p, V1, &r).unwrap();
        for (bad, needle) in [
            (
                &b"upstream lb {\n    server 127.0.0.1:1 weight=0;\n}\n"[..],
                "weight",
            ),
            (b"upstream lb {\n    server ::1;\n}\n", "brackets"),
            (b"upstream lb {\n    server 127.0.0.1;\n", "end of file"),
            (b"\xff\xfe", "UTF-8"),
        ] {
            let e = apply(&p, bad, &r).unwrap_err();
            assert!(
                matches!(&e, ApplyError::Invalid { stderr } if stderr.contains("light check")),
                "{e}"
            );
            assert!(e.to_string().contains(needle), "{needle}: {e}");
            assert_eq!(std::fs::read(&p).unwrap(), V1, "restored");
        }
        assert_eq!(r.reloads(), 1, "no reload after a rejected config");
        // A whole nginx.conf is checked as one, including log_format references.
        assert!(light_check(b"events {\n}\nhttp {\n    server {\n        access_log /tmp/a.log fancy;\n    }\n}\n").is_err());
        assert!(
            light_check(b"events {\n}\nhttp {\n    server {\n        listen 80;\n    }\n}\n")
                .is_ok()
        );
    }

    #[test]
    fn configured_failures() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("lb.conf");
        std::fs::write(&p, V1).unwrap();
        let r = RecordingRunner::new().reject_with("nginx: [emerg] unknown directive \"x\"");
        let e = apply(&p, V2, &r).unwrap_err();
        assert!(e.to_string().contains("unknown directive"), "{e}");
        r.set_reject(None::<String>);
        assert!(apply(&p, V2, &r).is_ok());

        std::fs::write(&p, V1).unwrap();
        let r = RecordingRunner::new().fail_reload("nginx: [error] invalid PID number");
        assert!(matches!(apply(&p, V2, &r), Err(ApplyError::Reload { .. })));
        assert_eq!(std::fs::read(&p).unwrap(), V1);

        let r = RecordingRunner::new().observable(false);
        assert_eq!(
            apply(&p, V2, &r).unwrap(),
            Applied::Reloaded { confirmed: false }
        );

        std::fs::write(&p, V1).unwrap();
        let r = RecordingRunner::new().new_workers(false);
        let e = apply_with_timeout(&p, V2, &r, Duration::from_millis(60)).unwrap_err();
        assert!(matches!(e, ApplyError::NotConfirmed { .. }), "{e}");
        assert_eq!(std::fs::read(&p).unwrap(), V1);
        assert_eq!(
            r.calls(),
            [
                RunnerCall::Validate(Vec::new()),
                RunnerCall::Reload,
                RunnerCall::Reload
            ]
        );
    }

    #[test]
    fn shared_across_threads() {
        let r = RecordingRunner::new();
        let r2 = r.clone();
        std::thread::spawn(move || r2.reload().unwrap())
            .join()
            .unwrap();
        assert_eq!(r.reloads(), 1);
    }
}
