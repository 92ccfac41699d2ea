//! Progress on a terminal, quiet in pipes: one renderer for the typed progress events the
//! libraries emit (registry-client's per-blob [`ProgressEvent`]s, swarm-client's convergence
//! [`Progress`], swarm-stack's deploy [`Event`]s), usable by every command that moves bytes or
//! waits for tasks.
//!
//! - [`Mode::Bars`] (stderr is a terminal): one bar per layer (bytes, total and rate) and one
//!   per service (running of desired tasks), redrawn in place by indicatif;
//! - [`Mode::Lines`] (stderr is a pipe or a file): one plain line per state change, no escape
//!   sequences, no carriage returns;
//! - [`Mode::Quiet`] (`--quiet`): nothing.
//!
//! A command creates one [`Display`] with [`Display::detect`], hands its adapters to the library
//! calls ([`Display::registry_sink`], [`Display::converge`], [`Display::stack_event`]), or calls
//! [`Display::transfer`] and [`Display::tasks`] with its own events, and calls
//! [`Display::finish`] before printing its result.
//!
//! ```no_run
//! use examples::cli::progress::{Display, Transfer, TransferState};
//! let display = Display::detect(false);
//! display.transfer(&Transfer::new("sha256:0123456789abcdef", TransferState::Advanced, 512, Some(1024)));
//! display.tasks("web", 1, 3);
//! display.finish();
//! ```

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use registry_client::{ProgressEvent, ProgressKind, ProgressSink};
use swarm_client::converge::Progress;
use swarm_stack::deploy::Event;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Bars redrawn in place (stderr is a terminal).
    Bars,
    /// One plain line per state change (stderr is not a terminal).
    Lines,
    /// Nothing.
    Quiet,
}

impl Mode {
    /// `Quiet` when `quiet`, else `Bars` when stderr is a terminal (and `TERM` is not `dumb`),
    /// else `Lines`.
    #[must_use]
    pub fn detect(quiet: bool) -> Self {
        if quiet {
            Self::Quiet
        } else if std::io::stderr().is_terminal()
            && std::env::var("TERM").map_or(true, |t| t != "dumb")
        {
            Self::Bars
        } else {
            Self::Lines
        }
    }
}

/// What happened to one transfer unit (a layer, a config, a manifest, a build step's output).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransferState {
    /// The transfer started.
    Started,
    /// Bytes moved (`bytes` is the running total).
    Advanced,
    /// Nothing to move: the other side already had it.
    Skipped,
    /// Mounted from another repository: nothing moved.
    Mounted,
    /// Finished and verified.
    Done,
    /// Failed, with the reason.
    Failed(String),
}

/// One transfer event, the renderer's input for anything that moves bytes. Commands that get
/// other typed events (e.g. an image build's) convert them to this.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Transfer {
    /// What is moved: a digest (`sha256:…`, shown as its first 12 hex digits) or a name.
    pub id: String,
    /// What happened.
    pub state: TransferState,
    /// Bytes moved so far.
    pub bytes: u64,
    /// The size, when known.
    pub total: Option<u64>,
}

impl Transfer {
    /// An event for `id`.
    #[must_use]
    pub fn new(
        id: impl Into<String>,
        state: TransferState,
        bytes: u64,
        total: Option<u64>,
    ) -> Self {
        Self {
            id: id.into(),
            state,
            bytes,
            total,
        }
    }
}

impl From<&ProgressEvent> for Transfer {
    fn from(e: &ProgressEvent) -> Self {
        let state = match e.kind {
            ProgressKind::Started => TransferState::Started,
            ProgressKind::Skipped => TransferState::Skipped,
            ProgressKind::Mounted => TransferState::Mounted,
            ProgressKind::Done => TransferState::Done,
            _ => TransferState::Advanced,
        };
        Self::new(e.digest.clone(), state, e.bytes, e.total)
    }
}

/// The short form of a transfer id: 12 hex digits of a digest, else the id itself.
fn short(id: &str) -> &str {
    match id.split_once(':') {
        Some((_, hex)) if hex.len() >= 12 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
            &hex[..12]
        }
        _ => id,
    }
}

struct Inner {
    mode: Mode,
    multi: MultiProgress,
    /// Bars by key (`t:ID` for transfers, `s:NAME` for services).
    bars: Mutex<HashMap<String, ProgressBar>>,
    /// Lines mode: the last line printed per key, so a repeated state prints nothing.
    last: Mutex<HashMap<String, String>>,
}

/// The progress renderer. Cheap to clone; every clone draws on the same stderr.
#[derive(Clone)]
pub struct Display(Arc<Inner>);

impl std::fmt::Debug for Display {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Display")
            .field("mode", &self.0.mode)
            .finish_non_exhaustive()
    }
}

const BYTES_TEMPLATE: &str =
    "{prefix:12} [{bar:30}] {bytes:>10}/{total_bytes:<10} {binary_bytes_per_sec:>12} {msg}";
const TASKS_TEMPLATE: &str = "{prefix:20} [{bar:30}] {pos}/{len} tasks {msg}";

impl Display {
    /// A renderer in `mode`.
    #[must_use]
    pub fn new(mode: Mode) -> Self {
        let target = match mode {
            // 10 redraws a second are enough for a person and cheap for a pty.
            Mode::Bars => ProgressDrawTarget::stderr_with_hz(10),
            _ => ProgressDrawTarget::hidden(),
        };
        Self(Arc::new(Inner {
            mode,
            multi: MultiProgress::with_draw_target(target),
            bars: Mutex::new(HashMap::new()),
            last: Mutex::new(HashMap::new()),
        }))
    }

    /// A renderer for this process's stderr: see [`Mode::detect`].
    #[must_use]
    pub fn detect(quiet: bool) -> Self {
        Self::new(Mode::detect(quiet))
    }

    /// The mode.
    #[must_use]
    pub fn mode(&self) -> Mode {
        self.0.mode
    }

    fn bar(&self, key: &str, make: impl FnOnce() -> ProgressBar) -> ProgressBar {
        let mut bars = self
            .0
            .bars
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        bars.entry(key.to_owned())
            .or_insert_with(|| self.0.multi.add(make()))
            .clone()
    }

    /// Lines mode: prints `line` unless it is what was last printed for `key`.
    fn line_once(&self, key: &str, line: String) {
        let mut last = self
            .0
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.get(key) != Some(&line) {
            eprintln!("{line}");
            last.insert(key.to_owned(), line);
        }
    }

    /// A message: above the bars on a terminal, a line otherwise, nothing when quiet.
    pub fn message(&self, line: &str) {
        match self.0.mode {
            Mode::Bars => {
                let _ = self.0.multi.println(line);
            }
            Mode::Lines => eprintln!("{line}"),
            Mode::Quiet => {}
        }
    }

    /// Renders one transfer event: a bar per id with bytes, total and rate; or the lines
    /// `ID: started (N bytes)`, `ID: already exists`, `ID: mounted`, `ID: done (N bytes)`.
    pub fn transfer(&self, t: &Transfer) {
        let id = short(&t.id);
        match self.0.mode {
            Mode::Quiet => {}
            Mode::Lines => {
                let size = t.total.map(|n| format!(" ({n} bytes)")).unwrap_or_default();
                let what = match &t.state {
                    TransferState::Started => format!("started{size}"),
                    TransferState::Skipped => "already exists".to_owned(),
                    TransferState::Mounted => "mounted".to_owned(),
                    TransferState::Done => {
                        let n = t.total.unwrap_or(t.bytes).max(t.bytes);
                        format!("done ({n} bytes)")
                    }
                    TransferState::Failed(why) => format!("failed: {why}"),
                    TransferState::Advanced => return,
                };
                self.line_once(&format!("t:{}", t.id), format!("{id}: {what}"));
            }
            Mode::Bars => {
                let pb = self.bar(&format!("t:{}", t.id), || {
                    let pb = ProgressBar::new(t.total.unwrap_or(0));
                    pb.set_style(
                        ProgressStyle::with_template(BYTES_TEMPLATE)
                            .unwrap_or_else(|_| ProgressStyle::default_bar())
                            .progress_chars("=> "),
                    );
                    pb.set_prefix(id.to_owned());
                    pb
                });
                if let Some(total) = t.total {
                    pb.set_length(total.max(t.bytes));
                }
                match &t.state {
                    TransferState::Started | TransferState::Advanced => {
                        pb.set_position(t.bytes);
                    }
                    TransferState::Skipped => {
                        pb.set_position(pb.length().unwrap_or(0));
                        pb.finish_with_message("already exists");
                    }
                    TransferState::Mounted => {
                        pb.set_position(pb.length().unwrap_or(0));
                        pb.finish_with_message("mounted");
                    }
                    TransferState::Done => {
                        let n = t.total.unwrap_or(t.bytes).max(t.bytes);
                        pb.set_length(n);
                        pb.set_position(n);
                        pb.finish_with_message("done");
                    }
                    TransferState::Failed(why) => pb.abandon_with_message(format!("failed: {why}")),
                }
            }
        }
    }

    /// Renders a service's tasks: a bar `NAME [===> ] running/desired tasks`, or the line
    /// `NAME: running/desired tasks` when the numbers change.
    pub fn tasks(&self, service: &str, running: u64, desired: u64) {
        match self.0.mode {
            Mode::Quiet => {}
            Mode::Lines => self.line_once(
                &format!("s:{service}"),
                format!("{service}: {running}/{desired} tasks"),
            ),
            Mode::Bars => {
                let pb = self.service_bar(service);
                pb.set_length(desired);
                pb.set_position(running.min(desired));
            }
        }
    }

    fn service_bar(&self, service: &str) -> ProgressBar {
        self.bar(&format!("s:{service}"), || {
            let pb = ProgressBar::new(0);
            pb.set_style(
                ProgressStyle::with_template(TASKS_TEMPLATE)
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            pb.set_prefix(service.to_owned());
            pb.enable_steady_tick(Duration::from_millis(250));
            pb
        })
    }

    /// A registry-client progress sink feeding [`Display::transfer`] (push, pull, copy).
    #[must_use]
    pub fn registry_sink(&self) -> ProgressSink {
        let d = self.clone();
        ProgressSink::callback(move |e| d.transfer(&Transfer::from(e)))
    }

    /// A convergence callback for `WaitOptions::on_progress` of `service`: its bar (running of
    /// desired tasks, the latest task state or the stability countdown as its message), or
    /// docker's lines (`overall progress: 1 out of 3 tasks`, `1/3: running`,
    /// `verify: Service converged`).
    pub fn converge(&self, service: &str) -> impl Fn(&Progress) + Send + Sync + 'static + use<> {
        let d = self.clone();
        let service = service.to_owned();
        move |p: &Progress| match d.0.mode {
            Mode::Quiet => {}
            Mode::Lines => {
                if !matches!(p, Progress::Verifying { .. }) {
                    eprintln!("{p}");
                }
            }
            Mode::Bars => match p {
                Progress::Overall {
                    running, desired, ..
                } => d.tasks(&service, *running, *desired),
                Progress::Converged => {
                    d.service_bar(&service)
                        .finish_with_message("verify: Service converged");
                }
                Progress::RollbackStarted { .. } | Progress::DaemonUnavailable { .. } => {
                    d.message(&p.to_string());
                }
                other => d.service_bar(&service).set_message(other.to_string()),
            },
        }
    }

    /// Renders a stack deploy event: created/updated/removed objects as lines (docker prints
    /// them on stdout: the caller does), warnings as messages, a bar per converging service.
    pub fn stack_event(&self, e: &Event) {
        match e {
            Event::Progress(map) => {
                if self.0.mode == Mode::Lines {
                    self.line_once("stack", e.to_string());
                } else {
                    for (name, (running, desired)) in map {
                        self.tasks(name, *running, *desired);
                    }
                }
            }
            Event::Converged => {
                if self.0.mode == Mode::Bars {
                    let bars = self
                        .0
                        .bars
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    for (k, pb) in bars.iter() {
                        if k.starts_with("s:") {
                            pb.set_position(pb.length().unwrap_or(0));
                            pb.finish_with_message("converged");
                        }
                    }
                }
                self.message(&e.to_string());
            }
            Event::Warning(w) => self.message(w),
            _ => {}
        }
    }

    /// Stops every bar where it is (a finished bar stays on screen), so the command's result
    /// prints below them.
    pub fn finish(&self) {
        let bars = self
            .0
            .bars
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for pb in bars.values() {
            if !pb.is_finished() {
                pb.abandon();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_ids() {
        assert_eq!(short("sha256:0123456789abcdef0123"), "0123456789ab");
        assert_eq!(short("sha256:0123"), "sha256:0123");
        assert_eq!(short("config.json"), "config.json");
    }

    #[test]
    fn quiet_and_hidden_renderers_draw_nothing_and_do_not_panic() {
        for mode in [Mode::Quiet, Mode::Bars] {
            let d = Display::new(mode);
            d.transfer(&Transfer::new(
                "sha256:00",
                TransferState::Started,
                0,
                Some(10),
            ));
            d.transfer(&Transfer::new(
                "sha256:00",
                TransferState::Done,
                10,
                Some(10),
            ));
            d.tasks("web", 1, 2);
            (d.converge("web"))(&Progress::Converged);
            d.finish();
        }
    }
}
