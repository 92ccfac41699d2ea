//! The only I/O of this crate (feature `nginx`): write a config atomically, run `nginx -t`, reload,
//! confirm the new config is live, and restore the previous file on any failure.
//!
//! Confirmation has two parts, each used when it can be observed. The version marker: render
//! with `Config::with_version_marker` and pass [`ApplyOptions::confirm_marker`] to [`apply_with`],
//! which asks nginx over loopback HTTP until it answers the new hash several times in a row. The
//! worker generation ([`NginxRunner::workers`]): wait until every worker that accepts connections
//! is new, so no later connection can land on an old worker that has not yet closed its
//! listening socket (under CPU load that takes a moment after the new workers already answer).
//! [`RecordingRunner`] stands in for nginx in tests; [`light_check`] is a pure-Rust check of a
//! config file.
//!
//! [`apply`] writes through symlinks (keeping them), lets one apply at a time work on a directory
//! (an `flock` on it), and keeps a durable backup of the previous file while the new one is not yet
//! validated, so an apply interrupted by a crash is repaired by the next one.
//!
//! Uses `std::fs`, `std::net` and `std::process` only. The errors here wrap `std::io::Error`, which is neither
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
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub use crate::recording::{RecordingRunner, RunnerCall, light_check};
pub use crate::runner::{ApplyError, NginxRunner};

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
        let children = children_of(master).ok()?;
        Some(
            children
                .into_iter()
                .filter(|pid| {
                    fs::read(format!("/proc/{pid}/cmdline"))
                        .is_ok_and(|c| is_accepting_worker(&String::from_utf8_lossy(&c)))
                })
                .collect(),
        )
    }
}

/// Whether an nginx process title (`/proc/PID/cmdline`, `ps` args) is a worker that still
/// accepts connections: `nginx: worker process`, not `… is shutting down`, not the master or a
/// cache manager.
///
/// ```
/// use lb_config::nginx::is_accepting_worker;
/// assert!(is_accepting_worker("nginx: worker process"));
/// assert!(!is_accepting_worker("nginx: worker process is shutting down"));
/// assert!(!is_accepting_worker("nginx: master process nginx -g daemon off;"));
/// ```
#[must_use]
pub fn is_accepting_worker(title: &str) -> bool {
    let t = title.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    t.contains("nginx: worker process") && !t.contains("shutting down")
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

/// How many consecutive answers with the new hash confirm a version marker.
const MARKER_STREAK: u32 = 5;

/// How long [`apply`] waits for the new worker generation.
pub const CONFIRM_TIMEOUT: Duration = Duration::from_secs(10);

/// How long [`apply`] waits for another apply on the same directory to finish (it may itself wait
/// up to its confirmation timeout, then restore and reload back).
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// Applies `new_bytes` to `config_path`: only when the bytes changed, writes atomically, runs
/// `nginx -t` on the full config, reloads, and waits until nginx runs new workers (the new config
/// is live). On any failure the previous file is restored (and nginx reloaded back if it was already
/// signalled) and the error says why, with nginx's stderr.
///
/// Safety of the file on disk:
/// - A symlinked `config_path` (Debian's `sites-enabled/x → ../sites-available/x`) is written
///   through: the link's final target is replaced (atomically, in its own directory) and the link
///   stays.
/// - Applies take turns: each holds an exclusive lock (`flock`) on the directory of the config's
///   target for its whole run, so two applies never interleave their write, `nginx -t`, reload and
///   restore. The lock goes away with the process; it leaves no file behind.
/// - Before the new bytes go live, the previous file is saved durably beside it as a hidden
///   backup (`.NAME.dockwright-backup`), removed once the apply has finished (applied, or
///   restored). An apply interrupted by a crash leaves the backup behind; the next apply finds it,
///   takes it as the last known-good config, and validates and reloads whatever it writes, even
///   bytes equal to those on disk: a config that was never validated is never reported
///   [`Applied::Unchanged`]. When that next config is rejected, the backup is restored (also over a
///   half-written file) and nginx is reloaded back to it.
/// - A bind-mounted file (rename fails with EBUSY/EXDEV) is rewritten in place, which is not
///   atomic; the durable backup is what makes that safe to restore from.
///
/// # Errors
/// [`ApplyError::Invalid`], [`ApplyError::Reload`], [`ApplyError::NotConfirmed`], [`ApplyError::Io`],
/// [`ApplyError::Spawn`], [`ApplyError::Locked`] when another apply held the lock too long, or
/// [`ApplyError::RestoreFailed`] when restoring failed too.
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
    apply_with(
        config_path,
        new_bytes,
        runner,
        &ApplyOptions::new().timeout(timeout),
    )
}

/// Options of [`apply_with`]: the confirmation timeout and how to confirm.
#[derive(Debug, Clone)]
#[non_exhaustive]
#[must_use]
pub struct ApplyOptions {
    timeout: Duration,
    lock_timeout: Duration,
    marker: Option<MarkerCheck>,
}

/// Where and what the version marker confirmation asks (see [`ApplyOptions::confirm_marker`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MarkerCheck {
    /// The address nginx listens on (e.g. `127.0.0.1:8080`).
    pub addr: SocketAddr,
    /// The `Host` header to send (selects the server block; default `localhost`).
    pub host: String,
    /// The hash the new config's marker returns.
    pub expected: String,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl ApplyOptions {
    /// Confirm by the worker generation within [`CONFIRM_TIMEOUT`].
    pub fn new() -> Self {
        Self {
            timeout: CONFIRM_TIMEOUT,
            lock_timeout: LOCK_TIMEOUT,
            marker: None,
        }
    }

    /// How long to wait for confirmation.
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    /// How long to wait while another apply holds the lock on the config's directory (default
    /// [`LOCK_TIMEOUT`]); then [`ApplyError::Locked`].
    pub fn lock_timeout(mut self, t: Duration) -> Self {
        self.lock_timeout = t;
        self
    }

    /// Confirm by asking nginx over HTTP: `GET /__dockwright/config` on `addr` until the body is
    /// `expected` (the hash from `lb_config::Config::with_version_marker`). This works where the
    /// workers cannot be observed (nginx in another pid namespace, e.g. a swarm task with host
    /// networking); it takes precedence over the worker generation.
    pub fn confirm_marker(mut self, addr: SocketAddr, expected: impl Into<String>) -> Self {
        self.marker = Some(MarkerCheck {
            addr,
            host: "localhost".into(),
            expected: expected.into(),
        });
        self
    }

    /// The `Host` header of the marker request (when the server block has a `server_name`).
    pub fn marker_host(mut self, host: impl Into<String>) -> Self {
        if let Some(m) = &mut self.marker {
            m.host = host.into();
        }
        self
    }
}

/// One `GET /__dockwright/config` over plain HTTP/1.0 on `addr` with `Host: host`, bounded by
/// `timeout` for connect, write and read: `Ok(Some(body))` on a 200 answer, `Ok(None)` on another
/// status (e.g. 404 from a config without the marker).
///
/// # Errors
/// The I/O error when nginx cannot be reached or does not answer in time.
pub fn fetch_marker(addr: SocketAddr, host: &str, timeout: Duration) -> io::Result<Option<String>> {
    use std::io::Read as _;
    let mut s = TcpStream::connect_timeout(&addr, timeout)?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    write!(
        s,
        "GET {} HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n",
        crate::MARKER_PATH
    )?;
    let mut buf = Vec::new();
    s.take(64 * 1024).read_to_end(&mut buf)?;
    let text = String::from_utf8_lossy(&buf);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no HTTP header end"))?;
    let status = head.split_whitespace().nth(1);
    Ok((status == Some("200")).then(|| body.trim().to_owned()))
}

/// [`apply`] with [`ApplyOptions`]: the timeout, and the version marker confirmation for nginx
/// whose workers cannot be observed.
///
/// # Errors
/// As [`apply`]; [`ApplyError::NotConfirmed`] when the marker never showed the new hash.
pub fn apply_with(
    config_path: &Path,
    new_bytes: &[u8],
    runner: &dyn NginxRunner,
    opts: &ApplyOptions,
) -> Result<Applied, ApplyError> {
    let timeout = opts.timeout;
    let target = resolve_links(config_path)?;
    let _lock = lock_dir(dir_of(&target), opts.lock_timeout)?;
    let backup = backup_path(&target);
    // A backup left behind means an apply was interrupted: what is on disk may never have been
    // validated, and nginx may be running either version. The backup is the last known-good file.
    let (recovering, old) = match read_backup(&backup)? {
        Some(old) => (true, old),
        None => {
            let old = match fs::read(&target) {
                Ok(b) => Some(b),
                Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                Err(source) => {
                    return Err(ApplyError::Io {
                        op: "read",
                        path: target,
                        source,
                    });
                }
            };
            if old.as_deref() == Some(new_bytes) {
                return Ok(Applied::Unchanged);
            }
            write_backup(&backup, old.as_deref())?;
            (false, old)
        }
    };
    let done = || remove_backup(&backup);
    let restore = |first: ApplyError, reload_back: bool| -> ApplyError {
        restore_previous(runner, &target, &backup, old.as_deref(), first, reload_back)
    };
    // After an interrupted apply nginx may be running the unvalidated file: a failure here
    // reloads it back to the restored one.
    if let Err(e) = write_atomic_to(&target, new_bytes) {
        return Err(restore(e, recovering));
    }
    if let Err(e) = runner.validate() {
        return Err(restore(e, recovering));
    }
    let before = runner.workers();
    if let Err(e) = runner.reload() {
        return Err(restore(e, false));
    }
    let start = Instant::now();
    let not_confirmed = || {
        restore(
            ApplyError::NotConfirmed {
                waited: start.elapsed(),
            },
            true,
        )
    };
    if let Some(m) = &opts.marker {
        // Old workers may still accept a connection or two right after the reload (they close
        // their listening sockets when the master tells them to quit), so one new answer is not
        // enough: ask until MARKER_STREAK answers in a row carry the new hash.
        let mut streak = 0;
        let live = poll_until(start, timeout, || {
            let left = timeout.saturating_sub(start.elapsed());
            let per_try = left.clamp(Duration::from_millis(10), Duration::from_secs(1));
            match fetch_marker(m.addr, &m.host, per_try) {
                Ok(Some(body)) if body == m.expected => streak += 1,
                _ => streak = 0,
            }
            streak >= MARKER_STREAK
        });
        if !live {
            return Err(not_confirmed());
        }
    }
    let Some(before) = before else {
        done();
        return Ok(Applied::Reloaded {
            confirmed: opts.marker.is_some(),
        });
    };
    // The new generation answers; wait until the old one has stopped accepting too.
    let old_gone = poll_until(start, timeout, || {
        runner
            .workers()
            .is_some_and(|now| !now.is_empty() && now.is_disjoint(&before))
    });
    if old_gone {
        done();
        Ok(Applied::Reloaded { confirmed: true })
    } else {
        Err(not_confirmed())
    }
}

/// Calls `done` every 20 ms until it says yes (`true`) or `timeout` has passed since `start`
/// (`false`).
fn poll_until(start: Instant, timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    loop {
        if done() {
            return true;
        }
        if start.elapsed() >= timeout {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Puts the previous file back (removes it when there was none), reloads nginx back when asked,
/// and removes the backup once that worked. When restoring fails the backup stays, so the next
/// apply restores it first.
fn restore_previous(
    runner: &dyn NginxRunner,
    target: &Path,
    backup: &Path,
    old: Option<&[u8]>,
    first: ApplyError,
    reload_back: bool,
) -> ApplyError {
    let r = match old {
        Some(b) => write_atomic_to(target, b),
        None => match fs::remove_file(target) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(ApplyError::Io {
                op: "remove",
                path: target.into(),
                source: e,
            }),
            _ => Ok(()),
        },
    };
    let r = r.and_then(|()| if reload_back { runner.reload() } else { Ok(()) });
    match r {
        Ok(()) => {
            remove_backup(backup);
            first
        }
        Err(e) => ApplyError::RestoreFailed {
            first: Box::new(first),
            restore: Box::new(e),
        },
    }
}

/// How many symlinks [`resolve_links`] follows (Linux's own limit, `MAXSYMLINKS`).
const MAX_LINKS: usize = 40;

/// The file `path` finally names: symlinks of the last component followed (relative targets
/// from the link's own directory), so writing there keeps every link. A path that does not exist
/// (or a dangling link's target) is returned as is, to be created.
fn resolve_links(path: &Path) -> Result<PathBuf, ApplyError> {
    let mut p = path.to_path_buf();
    for _ in 0..=MAX_LINKS {
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let t = fs::read_link(&p).map_err(|source| ApplyError::Io {
                    op: "read symlink",
                    path: p.clone(),
                    source,
                })?;
                p = dir_of(&p).join(t);
            }
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                return Err(ApplyError::Io {
                    op: "stat",
                    path: p,
                    source: e,
                });
            }
            _ => return Ok(p),
        }
    }
    Err(ApplyError::Io {
        op: "resolve symlinks of",
        path: path.into(),
        // ELOOP
        source: io::Error::from_raw_os_error(40),
    })
}

/// The directory holding `path` (`.` for a bare file name).
fn dir_of(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Takes the exclusive lock of `dir` (`flock` on the directory itself, so no lock file is left
/// behind), waiting up to `timeout` while another apply holds it. Released when the returned
/// handle is dropped or the process dies.
fn lock_dir(dir: &Path, timeout: Duration) -> Result<fs::File, ApplyError> {
    let f = fs::File::open(dir).map_err(|source| ApplyError::Io {
        op: "open (to lock)",
        path: dir.into(),
        source,
    })?;
    let start = Instant::now();
    loop {
        match f.try_lock() {
            Ok(()) => return Ok(f),
            Err(fs::TryLockError::WouldBlock) => {}
            Err(fs::TryLockError::Error(source)) => {
                return Err(ApplyError::Io {
                    op: "lock",
                    path: dir.into(),
                    source,
                });
            }
        }
        if start.elapsed() >= timeout {
            return Err(ApplyError::Locked {
                path: dir.into(),
                waited: start.elapsed(),
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The hidden backup beside `target`: `.NAME.dockwright-backup` (nginx's `include *.conf`
/// globs do not match it).
fn backup_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map_or_else(|| "config".into(), |n| n.to_string_lossy().into_owned());
    dir_of(target).join(format!(".{name}.dockwright-backup"))
}

/// The first line of a backup: whether the file existed, then its bytes.
const BACKUP_PRESENT: &[u8] = b"dockwright apply backup: file present\n";
const BACKUP_ABSENT: &[u8] = b"dockwright apply backup: file absent\n";

/// Saves the previous file (or that there was none) durably before the new bytes go live.
fn write_backup(backup: &Path, old: Option<&[u8]>) -> Result<(), ApplyError> {
    let body = match old {
        Some(b) => [BACKUP_PRESENT, b].concat(),
        None => BACKUP_ABSENT.to_vec(),
    };
    replace_file(backup, &body, false)
}

/// The previous file saved by an interrupted apply: `None` when there is no backup,
/// `Some(None)` when the file did not exist before.
fn read_backup(backup: &Path) -> Result<Option<Option<Vec<u8>>>, ApplyError> {
    let io = |op: &'static str| {
        move |source| ApplyError::Io {
            op,
            path: backup.into(),
            source,
        }
    };
    let b = match fs::read(backup) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io("read backup")(e)),
    };
    if let Some(rest) = b.strip_prefix(BACKUP_PRESENT) {
        Ok(Some(Some(rest.to_vec())))
    } else if b == BACKUP_ABSENT {
        Ok(Some(None))
    } else {
        Err(io("read backup")(io::Error::new(
            io::ErrorKind::InvalidData,
            "not a dockwright apply backup; move it away to apply",
        )))
    }
}

/// Removes the backup once the file on disk is known good. Failing to remove it is harmless: the
/// next apply then validates and reloads even unchanged bytes.
fn remove_backup(backup: &Path) {
    if fs::remove_file(backup).is_ok()
        && let Ok(d) = fs::File::open(dir_of(backup))
    {
        let _ = d.sync_all();
    }
}

/// Writes `bytes` to `path` atomically: a temp file in the same directory, fsync, rename over the
/// target, fsync of the directory. A symlinked `path` is written through: the link's final target
/// is replaced (the temp file sits in the target's directory) and the links stay. When the rename
/// fails with EBUSY or EXDEV (the target is a bind-mounted file), falls back to rewriting the file
/// in place.
///
/// # Errors
/// [`ApplyError::Io`] naming the step and file (also for a symlink loop).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ApplyError> {
    write_atomic_to(&resolve_links(path)?, bytes)
}

/// [`write_atomic`] on a path whose symlinks are already resolved.
fn write_atomic_to(path: &Path, bytes: &[u8]) -> Result<(), ApplyError> {
    replace_file(path, bytes, true)
}

/// Temp file beside `path`, fsync, rename over `path`, fsync of the directory; with `in_place_ok`
/// a rename refused with EBUSY/EXDEV rewrites the file in place instead.
fn replace_file(path: &Path, bytes: &[u8], in_place_ok: bool) -> Result<(), ApplyError> {
    let dir = dir_of(path);
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
            Err(e) if in_place_ok && rename_needs_in_place(&e) => {
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

/// Whether a failed rename over the target means it cannot be replaced, only rewritten in place:
/// EBUSY (16), which Linux returns when the target is a mount point (a file bind-mounted into a
/// container, `docker run -v ./lb.conf:/etc/nginx/conf.d/lb.conf`), or EXDEV (18), "not on the
/// same mount", kept as a safeguard (the temp file sits beside the target, so Linux answers a
/// bind-mounted target with EBUSY, as `tests/real_nginx.rs` checks). Any other error
/// (permissions, a missing directory) is reported, not worked around.
fn rename_needs_in_place(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(16 | 18))
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
    use std::collections::BTreeMap;

    /// A stand-in nginx: records calls, can reject, and simulates a new worker generation on reload.
    struct Fake {
        reject: Option<String>,
        reload_fails: bool,
        confirm: bool,
        calls: RefCell<Vec<&'static str>>,
        generation: Cell<u32>,
        /// How many `workers()` polls after a reload still show the old worker accepting.
        old_lingers: Cell<u32>,
        polls: Cell<u32>,
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
                old_lingers: Cell::new(0),
                polls: Cell::new(0),
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
            self.polls.set(self.polls.get() + 1);
            let g = self.generation.get();
            let mut w: BTreeSet<u32> = [g * 100].into();
            if g > 1 && self.old_lingers.get() > 0 {
                self.old_lingers.set(self.old_lingers.get() - 1);
                w.insert((g - 1) * 100);
            }
            Some(w)
        }
    }

    #[test]
    fn waits_until_no_old_worker_accepts() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("lb.conf");
        fs::write(&p, b"old").unwrap();
        let f = Fake::new(&p);
        // The new worker is up at once, the old one still accepts for three more polls.
        f.old_lingers.set(3);
        assert_eq!(
            apply(&p, b"new", &f).unwrap(),
            Applied::Reloaded { confirmed: true }
        );
        // One poll before the reload, three with the old worker still there, one clean.
        assert_eq!(f.polls.get(), 5);
        assert_eq!(f.old_lingers.get(), 0);

        // An old worker that never stops accepting is not a confirmed reload.
        let f = Fake::new(&p);
        f.old_lingers.set(u32::MAX);
        let e = apply_with_timeout(&p, b"newer", &f, Duration::from_millis(100)).unwrap_err();
        assert!(matches!(e, ApplyError::NotConfirmed { .. }), "{e}");
        assert_eq!(fs::read(&p).unwrap(), b"new", "previous file restored");
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

    /// Every entry under `dir` (recursively): its path, and its bytes or, for a symlink, its
    /// target, so a test can compare a directory before and after.
    fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (bool, Vec<u8>)> {
        let mut out = BTreeMap::new();
        let mut todo = vec![dir.to_path_buf()];
        while let Some(d) = todo.pop() {
            for e in fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                let m = fs::symlink_metadata(&p).unwrap();
                if m.file_type().is_symlink() {
                    let t = fs::read_link(&p).unwrap();
                    out.insert(p, (true, t.into_os_string().into_encoded_bytes()));
                } else if m.is_dir() {
                    todo.push(p);
                } else {
                    let b = fs::read(&p).unwrap();
                    out.insert(p, (false, b));
                }
            }
        }
        out
    }

    #[test]
    fn a_symlinked_config_is_written_through_and_the_link_kept() {
        // Debian's layout: sites-enabled/lb.conf -> ../sites-available/lb.conf.
        let d = tempfile::tempdir().unwrap();
        let avail = d.path().join("sites-available");
        let enabled = d.path().join("sites-enabled");
        fs::create_dir(&avail).unwrap();
        fs::create_dir(&enabled).unwrap();
        fs::write(avail.join("lb.conf"), b"old").unwrap();
        let link = enabled.join("lb.conf");
        std::os::unix::fs::symlink("../sites-available/lb.conf", &link).unwrap();
        let f = Fake::new(&link);
        assert_eq!(
            apply(&link, b"new", &f).unwrap(),
            Applied::Reloaded { confirmed: true }
        );
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(
            fs::read_link(&link).unwrap(),
            Path::new("../sites-available/lb.conf")
        );
        assert_eq!(fs::read(avail.join("lb.conf")).unwrap(), b"new");
        assert_eq!(*f.seen_on_validate.borrow(), [b"new".to_vec()]);
        assert_eq!(
            fs::read_dir(&enabled).unwrap().count(),
            1,
            "temp files left"
        );
        assert_eq!(fs::read_dir(&avail).unwrap().count(), 1, "temp files left");

        // A rejected config through the link: the link and its target are as before.
        let before = snapshot(d.path());
        let mut f = Fake::new(&link);
        f.reject = Some("nginx: [emerg] unknown directive \"bogus\"".into());
        assert!(matches!(
            apply(&link, b"bogus;", &f),
            Err(ApplyError::Invalid { .. })
        ));
        assert_eq!(snapshot(d.path()), before);

        // A chain of links with an absolute target, and `write_atomic` alone, keep them all.
        let chain = d.path().join("chain.conf");
        std::os::unix::fs::symlink(&link, &chain).unwrap();
        write_atomic(&chain, b"newer").unwrap();
        assert!(
            fs::symlink_metadata(&chain)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(avail.join("lb.conf")).unwrap(), b"newer");

        // A link loop is an error naming the file, not a hang.
        let a = d.path().join("a.conf");
        let b = d.path().join("b.conf");
        std::os::unix::fs::symlink(&b, &a).unwrap();
        std::os::unix::fs::symlink(&a, &b).unwrap();
        let e = write_atomic(&a, b"x").unwrap_err();
        assert!(e.to_string().contains("a.conf"), "{e}");
    }

    /// An nginx stand-in for concurrent applies: counts validations in flight.
    struct Slow {
        path: PathBuf,
        in_flight: std::sync::atomic::AtomicUsize,
        most: std::sync::atomic::AtomicUsize,
        seen: std::sync::Mutex<Vec<Vec<u8>>>,
    }

    impl NginxRunner for Slow {
        fn validate(&self) -> Result<(), ApplyError> {
            use std::sync::atomic::Ordering::SeqCst;
            let now = self.in_flight.fetch_add(1, SeqCst) + 1;
            self.most.fetch_max(now, SeqCst);
            self.seen
                .lock()
                .unwrap()
                .push(fs::read(&self.path).unwrap());
            std::thread::sleep(Duration::from_millis(150));
            self.in_flight.fetch_sub(1, SeqCst);
            Ok(())
        }
        fn reload(&self) -> Result<(), ApplyError> {
            Ok(())
        }
    }

    #[test]
    fn concurrent_applies_take_turns() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("lb.conf");
        fs::write(&p, b"old").unwrap();
        let nginx = Slow {
            path: p.clone(),
            in_flight: 0.into(),
            most: 0.into(),
            seen: std::sync::Mutex::default(),
        };
        let start = std::sync::Barrier::new(4);
        let results: Vec<_> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..4)
                .map(|i| {
                    let (p, nginx, start) = (&p, &nginx, &start);
                    s.spawn(move || {
                        let mine = format!("v{i}").into_bytes();
                        start.wait();
                        apply(p, &mine, nginx)
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for r in results {
            assert_eq!(r.unwrap(), Applied::Reloaded { confirmed: false });
        }
        use std::sync::atomic::Ordering::SeqCst;
        assert_eq!(
            nginx.most.load(SeqCst),
            1,
            "two applies ran nginx -t at once"
        );
        // Each validation saw one whole apply's bytes, each apply's exactly once.
        let mut seen = nginx.seen.lock().unwrap().clone();
        seen.sort();
        assert_eq!(seen, [b"v0", b"v1", b"v2", b"v3"]);
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1, "files left");
    }

    #[test]
    fn an_apply_waits_for_the_lock_then_gives_up_with_a_typed_error() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("lb.conf");
        fs::write(&p, b"old").unwrap();
        let held = lock_dir(d.path(), Duration::ZERO).unwrap();
        let f = Fake::new(&p);
        let t = Instant::now();
        let e = apply_with(
            &p,
            b"new",
            &f,
            &ApplyOptions::new().lock_timeout(Duration::from_millis(200)),
        )
        .unwrap_err();
        assert!(
            matches!(&e, ApplyError::Locked { path, .. } if path == d.path()),
            "{e}"
        );
        assert!(t.elapsed() >= Duration::from_millis(200));
        assert!(f.calls.borrow().is_empty());
        assert_eq!(fs::read(&p).unwrap(), b"old");
        drop(held);
        assert_eq!(
            apply(&p, b"new", &f).unwrap(),
            Applied::Reloaded { confirmed: true }
        );
    }

    /// A stand-in nginx that "crashes" (panics) in `nginx -t`: the apply stops where a killed
    /// process would, leaving its intermediate state on disk.
    struct Crash;

    impl NginxRunner for Crash {
        fn validate(&self) -> Result<(), ApplyError> {
            panic!("simulated crash during nginx -t");
        }
        fn reload(&self) -> Result<(), ApplyError> {
            panic!("simulated crash during reload");
        }
    }

    fn crash_during(p: &Path, bytes: &[u8]) {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| apply(p, bytes, &Crash)));
        assert!(r.is_err(), "the simulated crash did not happen");
    }

    #[test]
    fn an_apply_interrupted_before_validation_is_never_reported_unchanged() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("lb.conf");
        fs::write(&p, b"v1").unwrap();
        crash_during(&p, b"v2");
        // The crash left v2 on disk, never validated.
        assert_eq!(fs::read(&p).unwrap(), b"v2");
        // The same bytes again: validated and reloaded, not `Unchanged`.
        let f = Fake::new(&p);
        assert_eq!(
            apply(&p, b"v2", &f).unwrap(),
            Applied::Reloaded { confirmed: true }
        );
        assert_eq!(*f.calls.borrow(), ["validate", "reload"]);
        assert_eq!(fs::read(&p).unwrap(), b"v2");
        // Now it is known good: the same bytes are `Unchanged`, and nothing is left beside it.
        assert_eq!(apply(&p, b"v2", &f).unwrap(), Applied::Unchanged);
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1, "files left");

        // Interrupted, then the previous bytes are applied again: nginx may be running either, so
        // this is validated and reloaded too.
        crash_during(&p, b"v3");
        let f = Fake::new(&p);
        assert_eq!(
            apply(&p, b"v2", &f).unwrap(),
            Applied::Reloaded { confirmed: true }
        );
        assert_eq!(*f.seen_on_validate.borrow(), [b"v2".to_vec()]);
    }

    #[test]
    fn a_torn_write_is_restored_from_the_backup_when_the_next_config_is_rejected() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("lb.conf");
        fs::write(&p, b"upstream lb { server 127.0.0.1:1; }\n").unwrap();
        crash_during(&p, b"upstream lb { server 127.0.0.1:2; }\n");
        // What an in-place rewrite (bind-mounted file) cut short by a crash leaves: half a file.
        fs::write(&p, b"upstream lb { ser").unwrap();
        let mut f = Fake::new(&p);
        f.reject = Some("nginx: [emerg] unknown directive \"bogus\"".into());
        assert!(matches!(
            apply(&p, b"bogus;", &f),
            Err(ApplyError::Invalid { .. })
        ));
        // The last validated config is back, not the torn one, and nginx was told to load it.
        assert_eq!(
            fs::read(&p).unwrap(),
            b"upstream lb { server 127.0.0.1:1; }\n"
        );
        assert_eq!(*f.calls.borrow(), ["validate", "reload"]);
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1, "files left");

        // A file that did not exist before the interrupted apply is removed again.
        let q = d.path().join("new.conf");
        crash_during(&q, b"half");
        assert!(apply(&q, b"bogus;", &f).is_err());
        assert!(!q.exists());
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1, "files left");
    }

    #[test]
    fn atomic_write_errors_name_the_file() {
        let e = write_atomic(Path::new("/nonexistent-dir-dw/x.conf"), b"x").unwrap_err();
        assert!(e.to_string().contains("/nonexistent-dir-dw"), "{e}");
    }

    #[test]
    fn only_busy_or_cross_device_renames_fall_back_to_in_place() {
        // EBUSY and EXDEV (Linux numbering) fall back; the real EBUSY of a bind-mounted file is
        // exercised in tests/real_nginx.rs (`apply_rewrites_a_bind_mounted_file_in_place`).
        assert!(rename_needs_in_place(&io::Error::from_raw_os_error(16)));
        assert!(rename_needs_in_place(&io::Error::from_raw_os_error(18)));
        for errno in [1, 2, 13, 20, 21, 28, 30] {
            // EPERM, ENOENT, EACCES, ENOTDIR, EISDIR, ENOSPC, EROFS
            assert!(
                !rename_needs_in_place(&io::Error::from_raw_os_error(errno)),
                "errno {errno}"
            );
        }
        assert!(!rename_needs_in_place(&io::Error::other("busy")));
        // A rename that fails for another reason is an error naming the step: here the target
        // is a non-empty directory (EISDIR/ENOTEMPTY), and no temp file is left behind.
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("lb.conf");
        fs::create_dir(&p).unwrap();
        fs::write(p.join("keep"), b"x").unwrap();
        let e = write_atomic(&p, b"new").unwrap_err();
        assert!(
            matches!(&e, ApplyError::Io { op: "rename", path, .. } if path == &p),
            "{e}"
        );
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1, "temp file left");
    }

    #[test]
    fn sighup_reload_signals_the_master_from_the_pid_file() {
        use std::os::unix::process::ExitStatusExt as _;
        let d = tempfile::tempdir().unwrap();
        let pid_file = d.path().join("nginx.pid");
        // A stand-in master: `sleep` dies of SIGHUP (its default action), so how it ended shows
        // which signal reached it. `env --default-signal` restores that action in case the test
        // runs with SIGHUP ignored (under nohup), which `sleep` would inherit.
        let mut master = Command::new("env")
            .args(["--default-signal=HUP", "sleep", "30"])
            .spawn()
            .unwrap();
        fs::write(&pid_file, format!("{}\n", master.id())).unwrap();
        // The binary does not exist, so `nginx -s reload` cannot be what succeeds.
        let hup = Nginx::new("/nonexistent-dw/nginx")
            .pid_file(&pid_file)
            .sighup(true);
        if let Err(e) = hup.reload() {
            let _ = master.kill();
            let _ = master.wait();
            panic!("the SIGHUP reload failed: {e}");
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        let status = loop {
            if let Some(s) = master.try_wait().unwrap() {
                break Some(s);
            }
            if Instant::now() > deadline {
                let _ = master.kill();
                let _ = master.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let status =
            status.expect("the stand-in master did not die of SIGHUP (is SIGHUP ignored?)");
        assert_eq!(status.signal(), Some(1), "{status:?}");

        // Without sighup the same runner runs the binary, which is missing.
        let e = Nginx::new("/nonexistent-dw/nginx")
            .pid_file(&pid_file)
            .reload()
            .unwrap_err();
        assert!(
            matches!(&e, ApplyError::Spawn { bin, .. } if bin == "/nonexistent-dw/nginx"),
            "{e}"
        );
        // No pid file: nothing to signal, and the error names the file.
        let e = Nginx::new("nginx")
            .pid_file(d.path().join("missing.pid"))
            .sighup(true)
            .reload()
            .unwrap_err();
        assert!(
            matches!(&e, ApplyError::Reload { stderr } if stderr.contains("no master pid in") && stderr.contains("missing.pid")),
            "{e}"
        );
        // A pid above any pid_max (2^22): kill fails, and its complaint is kept.
        fs::write(&pid_file, "99999999\n").unwrap();
        let e = hup.reload().unwrap_err();
        assert!(
            matches!(&e, ApplyError::Reload { stderr } if stderr.contains("99999999")),
            "{e}"
        );
        // The pid file named by `-g "pid …;"` is the one signalled when none is given.
        let e = Nginx::new("nginx")
            .globals(format!("pid {};", d.path().join("g.pid").display()))
            .sighup(true)
            .reload()
            .unwrap_err();
        assert!(e.to_string().contains("g.pid"), "{e}");
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
