//! Progress output of day5: numbered steps, the docker command each stands for, results, timings.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use swarm_client::converge::Progress;

use super::env::Env;

const INDENT: &str = "       ";

pub(crate) struct Out {
    total: usize,
    current: Option<(String, Instant)>,
    timings: Vec<(String, Duration)>,
}

fn emit(line: &str) {
    let mut o = std::io::stdout().lock();
    let _ = writeln!(o, "{line}");
    let _ = o.flush();
}

impl Out {
    pub(crate) fn new(total: usize) -> Self {
        Self {
            total,
            current: None,
            timings: Vec::new(),
        }
    }

    pub(crate) fn banner(&self, real: bool) {
        if real {
            emit(
                "day5 --real: against the servers of scripts/test (DOCKWRIGHT_TEST_*); loopback only",
            );
        } else {
            emit(
                "day5: against in-process fakes (MockRegistry, MockSwarm); no servers, loopback only",
            );
        }
    }

    /// Starts the next numbered step.
    pub(crate) fn step(&mut self, title: &str) {
        self.done();
        let n = self.timings.len() + 1;
        emit(&format!("\n[{n}/{}] {title}", self.total));
        self.current = Some((title.to_owned(), Instant::now()));
    }

    /// Ends the current step (idempotent).
    pub(crate) fn done(&mut self) {
        if let Some((title, t)) = self.current.take() {
            let d = t.elapsed();
            emit(&format!("{INDENT}({:.2}s)", d.as_secs_f64()));
            self.timings.push((title, d));
        }
    }

    /// The command a step stands for.
    pub(crate) fn cmd(&self, cmd: &str) {
        emit(&format!("{INDENT}$ {cmd}"));
    }

    /// A result line.
    pub(crate) fn info(&self, line: &str) {
        emit(&format!("{INDENT}{line}"));
    }

    /// A multi-line block (a table, a config), indented.
    pub(crate) fn block(&self, text: &str) {
        for l in text.lines() {
            emit(&format!("{INDENT}  {l}"));
        }
    }

    /// A callback for `wait_converged` printing each new progress line once.
    pub(crate) fn progress_printer(&self) -> impl Fn(&Progress) + Send + Sync + 'static {
        let last: Mutex<HashMap<String, String>> = Mutex::new(HashMap::new());
        move |p: &Progress| {
            let key = match p {
                Progress::Overall { .. } => "overall".to_owned(),
                Progress::Task { id, .. } => format!("task {id}"),
                Progress::Verifying { .. } => "verify".to_owned(),
                _ => format!("{p}"),
            };
            let text = p.to_string();
            let Ok(mut last) = last.lock() else { return };
            if last.get(&key) != Some(&text) {
                emit(&format!("{INDENT}{text}"));
                last.insert(key, text);
            }
        }
    }

    pub(crate) fn timings(&self) -> Vec<(String, Duration)> {
        self.timings.clone()
    }

    pub(crate) fn summary(&mut self, total: Duration, env: &Env) {
        self.done();
        emit("\nSummary");
        for (i, (title, d)) in self.timings.iter().enumerate() {
            let label = format!("{:>2}. {title}", i + 1);
            emit(&format!("  {label:<80} {:>7.2}s", d.as_secs_f64()));
        }
        emit(&format!(
            "  {:<80} {:>7.2}s ({} mode, registry {})",
            "total",
            total.as_secs_f64(),
            if env.is_real() { "--real" } else { "fake" },
            env.registry
        ));
    }
}
