//! The only I/O of this crate (feature `nginx`): write a config atomically, run `nginx -t`, reload,
//! confirm the new config is live, and restore the previous file on any failure.
//!
//! Uses `std::fs` and `std::process` only. The errors here wrap `std::io::Error`, which is neither
//! `Clone` nor `Eq`, so they live in their own [`ApplyError`] instead of the pure crate's `Error`.
//!
//! ```no_run
//! use lb_config::nginx::{Nginx, apply};
//! let nginx = Nginx::new("/usr/sbin/nginx").conf("/etc/nginx/nginx.conf");
//! let outcome = apply("/etc/nginx/conf.d/lb.conf".as_ref(), b"upstream lb { server 127.0.0.1:8080; }\n", &nginx)?;
//! println!("{outcome:?}");
//! # Ok::<(), lb_config::nginx::ApplyError>(())
//! ```

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Errors of [`apply`] and of [`NginxRunner`]s.
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
    /// nginx did not start new workers with the new config in time; the previous file was restored
    /// and nginx reloaded back.
    #[error("nginx did not confirm the new config within {waited:?} (previous config restored)")]
    NotConfirmed {
        /// How long we waited.
        waited: Duration,
    },
    /// A step failed and restoring the previous file failed too.
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

/// What nginx is asked to do; the real one is [`Nginx`], tests substitute fakes.
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

    /// The current worker generation: the pids of the master's children. `None` when it cannot be
    /// observed (then [`apply`] does not wait for confirmation).
    fn workers(&self) -> Option<BTreeSet<u32>> {
        None
    }
}

/// The real nginx: runs the binary with `-p PREFIX -c CONF -g GLOBALS`.
#[derive(Debug, Clone)]
#[must_use]
pub struct Nginx {
    bin: PathBuf,
    prefix: Option<PathBuf>,
    conf: Option<PathBuf>,
    globals: Option<String>,
    pid_file: Option<PathBuf>,
    sighup: bool,
}

impl Nginx {
    /// nginx at `bin` (e.g. `/usr/sbin/nginx` or `nginx` from `PATH`) with its compiled-in defaults.
    pub fn new(bin: impl Into<PathBuf>) -> Self {
        Self {
            bin: bin.into(),
            prefix: None,
            conf: None,
            globals: None,
            pid_file: None,
            sighup: false,
        }
    }
    /// `-p PREFIX`.
    pub fn prefix(mut self, p: impl Into<PathBuf>) -> Self {
        self.prefix = Some(p.into());
        self
    }
    /// `-c CONF` (the full nginx.conf that includes the applied file).
    pub fn conf(mut self, c: impl Into<PathBuf>) -> Self {
        self.conf = Some(c.into());
        self
    }
    /// `-g GLOBALS`, e.g. `pid /tmp/x/nginx.pid;` (a `pid` here is also used to find the master).
    pub fn globals(mut self, g: impl Into<String>) -> Self {
        self.globals = Some(g.into());
        self
    }
    /// The master's pid file (default: from `-g pid …;`, else `/run/nginx.pid`).
    pub fn pid_file(mut self, p: impl Into<PathBuf>) -> Self {
        self.pid_file = Some(p.into());
        self
    }
    /// Reload by `kill -HUP <pid>` instead of `nginx -s reload`.
    pub fn sighup(mut self, yes: bool) -> Self {
        self.sighup = yes;
        self
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.bin);
        if let Some(p) = &self.prefix {
            c.arg("-p").arg(p);
        }
        if let Some(p) = &self.conf {
            c.arg("-c").arg(p);
        }
        if let Some(g) = &self.globals {
            c.arg("-g").arg(g);
        }
        c
    }

    fn run(&self, mut c: Command) -> Result<std::process::Output, ApplyError> {
        c.output().map_err(|source| ApplyError::Spawn {
            bin: self.bin.display().to_string(),
            source,
        })
    }

    /// The master's pid file in use.
    #[must_use]
    pub fn pid_path(&self) -> PathBuf {
        if let Some(p) = &self.pid_file {
            return p.clone();
        }
        if let Some(g) = &self.globals {
            for part in g.split(';') {
                let words: Vec<&str> = part.split_whitespace().collect();
                if let ["pid", path] = words.as_slice() {
                    return PathBuf::from(path);
                }
            }
        }
        PathBuf::from("/run/nginx.pid")
    }

    fn master_pid(&self) -> Option<u32> {
        fs::read_to_string(self.pid_path())
            .ok()?
            .trim()
            .parse()
            .ok()
    }
}

fn stderr_of(o: &std::process::Output) -> String {
    let mut s = String::from_utf8_lossy(&o.stderr).trim().to_owned();
    if s.is_empty() {
        s = format!("exit status {}", o.status);
    }
    s
}

impl NginxRunner for Nginx {
    fn validate(&self) -> Result<(), ApplyError> {
        let mut c = self.command();
        c.arg("-t");
        let o = self.run(c)?;
        if o.status.success() {
            Ok(())
        } else {
            Err(ApplyError::Invalid {
                stderr: stderr_of(&o),
            })
        }
    }

    fn reload(&self) -> Result<(), ApplyError> {
        let o = if self.sighup {
            let Some(pid) = self.master_pid() else {
                return Err(ApplyError::Reload {
                    stderr: format!("no master pid in {}", self.pid_path().display()),
                });
            };
            let mut c = Command::new("kill");
            c.arg("-HUP").arg(pid.to_string());
            c.output().map_err(|source| ApplyError::Spawn {
                bin: "kill".into(),
                source,
            })?
        } else {
            let mut c = self.command();
            c.arg("-s").arg("reload");
            self.run(c)?
        };
        if o.status.success() {
            Ok(())
        } else {
            Err(ApplyError::Reload {
                stderr: stderr_of(&o),
            })
        }
    }

    fn workers(&self) -> Option<BTreeSet<u32>> {
        let master = self.master_pid()?;
        children_of(master).ok()
    }
}

/// The pids whose parent is `ppid`, from `/proc/*/stat`.
fn children_of(ppid: u32) -> io::Result<BTreeSet<u32>> {
    let mut out = BTreeSet::new();
    for e in fs::read_dir("/proc")? {
        let e = e?;
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid …; comm may contain spaces and parentheses: split after the last ')'.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let mut f = rest.split_whitespace();
        let state = f.next();
        if f.next().and_then(|p| p.parse::<u32>().ok()) == Some(ppid) && state != Some("Z") {
            out.insert(pid);
        }
    }
    Ok(out)
}

/// What [`apply`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Applied {
    /// The file already had these bytes; nothing was written or reloaded.
    Unchanged,
    /// Written, validated, reloaded; `confirmed` says whether a new worker generation was seen.
    Reloaded {
        /// A new worker generation was observed after the reload.
        confirmed: bool,
    },
}

/// How long [`apply`] waits for the new worker generation.
pub const CONFIRM_TIMEOUT: Duration = Duration::from_secs(10);

/// Applies `new_bytes` to `config_path`: only when the bytes changed, writes atomically, runs
/// `nginx -t` on the full config, reloads, and waits until nginx runs new workers (the new config
/// is live). On any failure the previous file is restored (and nginx reloaded back if it was already
/// signalled) and the error says why, with nginx's stderr.
///
/// # Errors
/// [`ApplyError::Invalid`], [`ApplyError::Reload`], [`ApplyError::NotConfirmed`], [`ApplyError::Io`],
/// [`ApplyError::Spawn`], or [`ApplyError::RestoreFailed`] when restoring failed too.
pub fn apply(
    config_path: &Path,
    new_bytes: &[u8],
    runner: &dyn NginxRunner,
) -> Result<Applied, ApplyError> {
    apply_with_timeout(config_path, new_bytes, runner, CONFIRM_TIMEOUT)
}

/// [`apply`] with a chosen confirmation timeout.
///
/// # Errors
/// As [`apply`].
pub fn apply_with_timeout(
    config_path: &Path,
    new_bytes: &[u8],
    runner: &dyn NginxRunner,
    timeout: Duration,
) -> Result<Applied, ApplyError> {
    let old = match fs::read(config_path) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(ApplyError::Io {
                op: "read",
                path: config_path.into(),
                source,
            });
        }
    };
    if old.as_deref() == Some(new_bytes) {
        return Ok(Applied::Unchanged);
    }
    write_atomic(config_path, new_bytes)?;
    let restore = |first: ApplyError, reload_back: bool| -> ApplyError {
        let r = match &old {
            Some(b) => write_atomic(config_path, b),
            None => fs::remove_file(config_path).map_err(|source| ApplyError::Io {
                op: "remove",
                path: config_path.into(),
                source,
            }),
        };
        let r = r.and_then(|()| if reload_back { runner.reload() } else { Ok(()) });
        match r {
            Ok(()) => first,
            Err(e) => ApplyError::RestoreFailed {
                first: Box::new(first),
                restore: Box::new(e),
            },
        }
    };
    if let Err(e) = runner.validate() {
        return Err(restore(e, false));
    }
    let before = runner.workers();
    if let Err(e) = runner.reload() {
        return Err(restore(e, false));
    }
    let Some(before) = before else {
        return Ok(Applied::Reloaded { confirmed: false });
    };
    let start = Instant::now();
    loop {
        if let Some(now) = runner.workers()
            && now.iter().any(|p| !before.contains(p))
        {
            return Ok(Applied::Reloaded { confirmed: true });
        }
        if start.elapsed() >= timeout {
            return Err(restore(
                ApplyError::NotConfirmed {
                    waited: start.elapsed(),
                },
                true,
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Writes `bytes` to `path` atomically: a temp file in the same directory, fsync, rename over the
/// target, fsync of the directory. When the rename fails with EBUSY or EXDEV (the target is a
/// bind-mounted file), falls back to rewriting the file in place.
///
/// # Errors
/// [`ApplyError::Io`] naming the step and file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ApplyError> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "config".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(
        ".{name}.dockwright-{}-{}.tmp",
        std::process::id(),
        unique()
    ));
    fn io<'a>(op: &'static str, p: &'a Path) -> impl FnOnce(io::Error) -> ApplyError + 'a {
        move |source| ApplyError::Io {
            op,
            path: p.to_path_buf(),
            source,
        }
    }
    let result = (|| {
        let mut f = fs::File::create(&tmp).map_err(io("create", &tmp))?;
        if let Ok(meta) = fs::metadata(path) {
            let _ = fs::set_permissions(&tmp, meta.permissions());
        }
        f.write_all(bytes).map_err(io("write", &tmp))?;
        f.sync_all().map_err(io("fsync", &tmp))?;
        drop(f);
        match fs::rename(&tmp, path) {
            Ok(()) => {
                if let Ok(d) = fs::File::open(dir) {
                    let _ = d.sync_all();
                }
                Ok(())
            }
            // EBUSY (16) / EXDEV (18): a bind-mounted file cannot be replaced; rewrite it in place.
            Err(e) if matches!(e.raw_os_error(), Some(16 | 18)) => {
                let mut f = fs::OpenOptions::new()
                    .write(true)
                    .truncate(true)
                    .open(path)
                    .map_err(io("open", path))?;
                f.write_all(bytes).map_err(io("write", path))?;
                f.sync_all().map_err(io("fsync", path))
            }
            Err(source) => Err(ApplyError::Io {
                op: "rename",
                path: path.to_path_buf(),
                source,
            }),
        }
    })();
    let _ = fs::remove_file(&tmp);
    result
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::{Cell, RefCell};

    /// A stand-in nginx: records calls, can reject, and simulates a new worker generation on reload.
    struct Fake {
        reject: Option<String>,
        reload_fails: bool,
        confirm: bool,
        calls: RefCell<Vec<&'static str>>,
        generation: Cell<u32>,
        seen_on_validate: RefCell<Vec<Vec<u8>>>,
        path: PathBuf,
    }

    impl Fake {
        fn new(path: &Path) -> Self {
            Self {
                reject: None,
                reload_fails: false,
                confirm: true,
                calls: RefCell::default(),
                generation: Cell::new(1),
                seen_on_validate: RefCell::default(),
                path: path.into(),
            }
        }
    }

    impl NginxRunner for Fake {
        fn validate(&self) -> Result<(), ApplyError> {
            self.calls.borrow_mut().push("validate");
            self.seen_on_validate
                .borrow_mut()
                .push(fs::read(&self.path).unwrap());
            match &self.reject {
                Some(s) => Err(ApplyError::Invalid { stderr: s.clone() }),
                None => Ok(()),
            }
        }
        fn reload(&self) -> Result<(), ApplyError> {
            self.calls.borrow_mut().push("reload");
            if self.reload_fails {
                return Err(ApplyError::Reload {
                    stderr: "kill: no such process".into(),
                });
            }
            if self.confirm {
                self.generation.set(self.generation.get() + 1);
            }
            Ok(())
        }
        fn workers(&self) -> Option<BTreeSet<u32>> {
            Some([self.generation.get() * 100].into())
        }
    }

    #[test]
    fn writes_validates_reloads_confirms() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("lb.conf");
        fs::write(&p, b"old").unwrap();
        let f = Fake::new(&p);
        assert_eq!(
            apply(&p, b"new", &f).unwrap(),
            Applied::Reloaded { confirmed: true }
        );
        assert_eq!(fs::read(&p).unwrap(), b"new");
        assert_eq!(*f.calls.borrow(), ["validate", "reload"]);
        assert_eq!(*f.seen_on_validate.borrow(), [b"new".to_vec()]);
        // Same bytes again: nothing happens.
        assert_eq!(apply(&p, b"new", &f).unwrap(), Applied::Unchanged);
        assert_eq!(f.calls.borrow().len(), 2);
        assert_eq!(
            fs::read_dir(d.path()).unwrap().count(),
            1,
            "no temp files left"
        );
    }

    #[test]
    fn invalid_config_restores_previous_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("lb.conf");
        fs::write(&p, b"old").unwrap();
        let mut f = Fake::new(&p);
        f.reject = Some("nginx: [emerg] unknown directive \"bogus\"".into());
        let e = apply(&p, b"bogus;", &f).unwrap_err();
        assert!(
            matches!(&e, ApplyError::Invalid { stderr } if stderr.contains("bogus")),
            "{e}"
        );
        assert!(e.to_string().contains("previous config restored"));
        assert_eq!(fs::read(&p).unwrap(), b"old");
        assert_eq!(*f.calls.borrow(), ["validate"]);
        // A file that did not exist before is removed again.
        let q = d.path().join("new.conf");
        assert!(apply(&q, b"bogus;", &f).is_err());
        assert!(!q.exists());
    }

    #[test]
    fn reload_failure_and_no_confirmation_restore() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("lb.conf");
        fs::write(&p, b"old").unwrap();
        let mut f = Fake::new(&p);
        f.reload_fails = true;
        assert!(matches!(
            apply(&p, b"new", &f),
            Err(ApplyError::Reload { .. })
        ));
        assert_eq!(fs::read(&p).unwrap(), b"old");

        let mut f = Fake::new(&p);
        f.confirm = false;
        let e = apply_with_timeout(&p, b"new", &f, Duration::from_millis(100)).unwrap_err();
        assert!(matches!(e, ApplyError::NotConfirmed { .. }), "{e}");
        assert_eq!(fs::read(&p).unwrap(), b"old");
        assert_eq!(
            *f.calls.borrow(),
            ["validate", "reload", "reload"],
            "reloaded back after restoring"
        );
    }

    #[test]
    fn atomic_write_errors_name_the_file() {
        let e = write_atomic(Path::new("/nonexistent-dir-dw/x.conf"), b"x").unwrap_err();
        assert!(e.to_string().contains("/nonexistent-dir-dw"), "{e}");
    }

    #[test]
    fn pid_path_from_globals() {
        assert_eq!(
            Nginx::new("nginx")
                .globals("daemon on; pid /tmp/t/nginx.pid;")
                .pid_path(),
            PathBuf::from("/tmp/t/nginx.pid")
        );
        assert_eq!(
            Nginx::new("nginx").pid_path(),
            PathBuf::from("/run/nginx.pid")
        );
    }
}
