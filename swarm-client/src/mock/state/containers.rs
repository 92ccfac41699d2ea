//! What runs inside task containers: exec instances with their canned results, and the canned
//! log lines of services and tasks.

use std::time::SystemTime;

use crate::mock::stamps::long_id;
use crate::models::TaskState;

use super::model::{Exec, LogLine, Refusal, State};

/// Canned log lines stamped with the current time; a `\n` is added where missing.
pub(crate) fn canned_lines(lines: &[(u8, &str)]) -> Vec<LogLine> {
    let at = SystemTime::now();
    lines
        .iter()
        .map(|(stream, l)| LogLine {
            stream: *stream,
            text: if l.ends_with('\n') {
                (*l).to_owned()
            } else {
                format!("{l}\n")
            },
            at,
        })
        .collect()
}

impl State {
    /// The full ID of the container whose ID starts with `prefix`, when a running task has
    /// such a container.
    pub(crate) fn running_container(&self, prefix: &str) -> Result<String, Refusal> {
        let running = self.tasks.iter().any(|t| {
            t.reported == TaskState::Running
                && !prefix.is_empty()
                && t.container_id.starts_with(prefix)
        });
        if !running {
            return Err(Refusal::NoSuchContainer);
        }
        Ok(self
            .tasks
            .iter()
            .find(|t| t.container_id.starts_with(prefix))
            .map(|t| t.container_id.clone())
            .unwrap_or_default())
    }

    /// Creates an exec instance of `cmd` in container `container_id`; returns its ID.
    pub(crate) fn create_exec(&mut self, container_id: String, cmd: Vec<String>) -> String {
        let id = long_id();
        self.execs.insert(
            id.clone(),
            Exec {
                container_id,
                cmd,
                started: false,
                exit: None,
            },
        );
        id
    }

    /// Runs exec `id`: its canned stdout and stderr (none, exit 0, unless set).
    pub(crate) fn start_exec(&mut self, id: &str) -> Option<(Vec<u8>, Vec<u8>)> {
        let cmd = self.execs.get(id)?.cmd.clone();
        let (out, err, code) = self
            .exec_results
            .iter()
            .find(|r| r.cmd == cmd)
            .map_or((Vec::new(), Vec::new(), 0), |r| {
                (r.stdout.clone(), r.stderr.clone(), r.exit_code)
            });
        let exec = self.execs.get_mut(id)?;
        exec.started = true;
        exec.exit = Some(code);
        Some((out, err))
    }

    /// The log lines of service `sid` (named `sname`), or of its task `task`: the lines set for
    /// the task, else the service's (by ID, then name). `None` once the service or task is gone.
    pub(crate) fn log_lines(
        &self,
        sid: &str,
        sname: &str,
        task: Option<&str>,
    ) -> Option<Vec<LogLine>> {
        self.services.iter().find(|s| s.id == sid)?;
        if let Some(t) = task {
            self.tasks.iter().find(|x| x.id == t)?;
        }
        Some(
            task.and_then(|t| self.logs.get(t))
                .or_else(|| self.logs.get(sid))
                .or_else(|| self.logs.get(sname))
                .cloned()
                .unwrap_or_default(),
        )
    }
}
