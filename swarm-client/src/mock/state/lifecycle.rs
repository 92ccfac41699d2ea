//! The task lifecycle: a task moves `new` → `pending` → `assigned` → `preparing` →
//! `starting` → `running`, one step per fifth of the task delay (a rejected task stops at
//! `preparing` and shows `rejected`); [`State::tick`] turns what happened since the last look
//! into events, restarts failed tasks after the restart delay like swarmkit's restart
//! supervisor, and completes updates. A test can stop the task clock
//! ([`State::pause_tasks`]) to look at an in-between state for as long as it needs.

use std::time::{Duration, Instant, SystemTime};

use crate::mock::config::Settings;
use crate::models::{EventType, TaskState};
use crate::spec::RestartCondition;

use super::model::{State, TaskRecord};

/// The states a task moves through, in order.
const STATES: [TaskState; 6] = [
    TaskState::New,
    TaskState::Pending,
    TaskState::Assigned,
    TaskState::Preparing,
    TaskState::Starting,
    TaskState::Running,
];

/// The index in [`STATES`] where a task that will be rejected stops.
const PREPARING: usize = 3;

/// How far tasks have moved: the step between two states, and the instant the clock shows
/// (now, or when it was paused).
#[derive(Debug, Clone, Copy)]
pub(crate) struct TaskClock {
    step: Duration,
    now: Instant,
}

impl TaskClock {
    /// The index in [`STATES`] task `t` reached, and when.
    fn progress(&self, t: &TaskRecord) -> (usize, SystemTime) {
        let elapsed = self.now.saturating_duration_since(t.start);
        let idx = if self.step.is_zero() {
            STATES.len() - 1
        } else {
            usize::try_from(elapsed.as_nanos() / self.step.as_nanos())
                .unwrap_or(usize::MAX)
                .min(STATES.len() - 1)
        };
        let idx = idx.min(final_index(t));
        (
            idx,
            t.start_wall + self.step * u32::try_from(idx).unwrap_or(0),
        )
    }

    /// The observed state of task `t`, and when it was reached.
    pub(crate) fn observe(&self, t: &TaskRecord) -> (TaskState, SystemTime) {
        if t.unschedulable.is_some() && !t.shutdown {
            return (TaskState::Pending, t.start_wall);
        }
        let (idx, at) = self.progress(t);
        if t.shutdown {
            return (TaskState::Shutdown, at);
        }
        if t.error.is_some() && idx >= PREPARING {
            return (TaskState::Rejected, at);
        }
        (STATES[idx].clone(), at)
    }
}

/// The last state index task `t` can reach.
fn final_index(t: &TaskRecord) -> usize {
    if t.error.is_some() {
        PREPARING
    } else {
        STATES.len() - 1
    }
}

/// The restart delay of a service's tasks: `TaskTemplate.RestartPolicy.Delay`, else the
/// builder's restart delay; `None` when the policy's `Condition` is `none` (failed tasks stay
/// failed).
fn restart_delay(spec: &crate::spec::ServiceSpec, cfg: &Settings) -> Option<Duration> {
    let policy = spec.task_template.restart_policy.as_ref();
    if policy.and_then(|p| p.condition.as_ref()) == Some(&RestartCondition::None) {
        return None;
    }
    Some(
        policy
            .and_then(|p| p.delay)
            .and_then(|d| u64::try_from(d).ok())
            .map_or(cfg.restart_delay, Duration::from_nanos),
    )
}

impl State {
    /// The task clock: where tasks stand now (or when [`Self::pause_tasks`] stopped it).
    pub(crate) fn clock(&self, cfg: &Settings) -> TaskClock {
        TaskClock {
            step: cfg.task_delay / 5,
            now: self.paused_at.unwrap_or_else(Instant::now),
        }
    }

    /// Stops the task clock: tasks stay in the state they reached, new tasks stay `new`, and
    /// restart delays stop running, until [`Self::resume_tasks`].
    pub(crate) fn pause_tasks(&mut self) {
        self.paused_at.get_or_insert_with(Instant::now);
    }

    /// Starts the task clock again: every task goes on from where it stood, as if the pause
    /// had not happened.
    pub(crate) fn resume_tasks(&mut self, cfg: &Settings) {
        let Some(paused_at) = self.paused_at else {
            return;
        };
        let clock = self.clock(cfg);
        let now = Instant::now();
        for t in &mut self.tasks {
            let stood_still = now.saturating_duration_since(t.start.max(paused_at));
            if clock.progress(t).0 < final_index(t) {
                t.start += stood_still;
                t.start_wall += stood_still;
            }
            if let Some(r) = &mut t.release_at
                && *r > paused_at
            {
                *r += stood_still;
            }
        }
        self.paused_at = None;
    }

    /// Advances time-driven state: reports task transitions as events, replaces rejected
    /// tasks, and completes updates.
    pub(crate) fn tick(&mut self, cfg: &Settings) {
        let clock = self.clock(cfg);
        let now = clock.now;
        let mut started = Vec::new();
        // Failed tasks to restart: (service, slot, node).
        let mut restart = Vec::new();
        for t in &mut self.tasks {
            let (state, _) = clock.observe(t);
            if state != t.reported {
                if state == TaskState::Running {
                    started.push((
                        t.container_id.clone(),
                        t.service_id.clone(),
                        t.id.clone(),
                        if t.slot > 0 {
                            t.slot.to_string()
                        } else {
                            t.node_id.clone()
                        },
                    ));
                }
                t.reported = state.clone();
            }
            // Like swarmkit's restart supervisor: a failed task is shut down and replaced at
            // once by a task with desired state `ready`, which may start (desired `running`)
            // only when the restart delay is over; one that failed meanwhile is replaced then.
            if t.desired == TaskState::Ready && t.release_at.is_some_and(|r| now >= r) {
                t.release_at = None;
                if state == TaskState::Rejected {
                    t.desired = TaskState::Shutdown;
                    restart.push((t.service_id.clone(), t.slot, t.node_id.clone()));
                } else {
                    t.desired = TaskState::Running;
                }
            } else if state == TaskState::Rejected && t.desired == TaskState::Running {
                t.desired = TaskState::Shutdown;
                restart.push((t.service_id.clone(), t.slot, t.node_id.clone()));
            }
        }
        for (sid, slot, node) in restart {
            self.restart(cfg, &sid, slot, node);
        }
        for (cid, sid, tid, slot) in started {
            let name = self.service_name(&sid);
            // dockerd names task containers SERVICE.SLOT.TASKID (SERVICE.NODEID.TASKID for global).
            let container_name = format!("{name}.{slot}.{tid}");
            self.event(
                EventType::Container,
                "start",
                &cid,
                &[
                    ("com.docker.swarm.service.id", &sid),
                    ("com.docker.swarm.service.name", &name),
                    ("com.docker.swarm.task.id", &tid),
                    ("name", &container_name),
                ],
            );
        }
        self.complete_updates();
    }

    /// Replaces the failed task of `slot` (or of `node` for a global service) with one that
    /// may start when the restart delay is over.
    fn restart(&mut self, cfg: &Settings, sid: &str, slot: u64, node: String) {
        let Some(service) = self.services.iter().find(|s| s.id == sid).cloned() else {
            return;
        };
        let Some(delay) = restart_delay(&service.spec, cfg) else {
            return;
        };
        // TaskHistoryRetentionLimit 5: at most 5 tasks per slot, the new one included.
        let same_slot = |t: &TaskRecord| {
            t.service_id == sid && t.slot == slot && (slot > 0 || t.node_id == node)
        };
        while self.tasks.iter().filter(|t| same_slot(t)).count() >= 5 {
            match self
                .tasks
                .iter()
                .position(|t| same_slot(t) && t.desired == TaskState::Shutdown)
            {
                Some(pos) => drop(self.tasks.remove(pos)),
                None => break,
            }
        }
        self.new_task(cfg, &service, slot, node);
        if let Some(t) = self.tasks.last_mut() {
            t.desired = TaskState::Ready;
            t.release_at = Some(Instant::now() + delay);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::RestartPolicy;

    #[test]
    fn restart_delay_follows_the_spec_then_the_builder() {
        let cfg = Settings {
            restart_delay: Duration::from_millis(7),
            ..Settings::default()
        };
        let mut spec = crate::spec::ServiceSpec::default();
        assert_eq!(restart_delay(&spec, &cfg), Some(Duration::from_millis(7)));
        spec.task_template.restart_policy = Some(RestartPolicy {
            delay: Some(1_000),
            ..RestartPolicy::default()
        });
        assert_eq!(restart_delay(&spec, &cfg), Some(Duration::from_micros(1)));
        spec.task_template.restart_policy = Some(RestartPolicy {
            condition: Some(RestartCondition::None),
            delay: Some(1_000),
            ..RestartPolicy::default()
        });
        assert_eq!(restart_delay(&spec, &cfg), None);
    }
}
