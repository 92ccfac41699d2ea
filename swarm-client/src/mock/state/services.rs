//! Service orchestration: create, update, rollback and remove, with swarmkit's rules for when
//! tasks are replaced and how `UpdateStatus` moves (`updating` → `completed`,
//! `rollback_started` → `rollback_completed`).

use serde_json::Value;

use crate::mock::config::{PullAuth, Settings};
use crate::mock::stamps::{new_id, now_str};
use crate::models::{EventType, TaskState, UpdateState};
use crate::spec::{ServiceMode, ServiceSpec};

use super::model::{Refusal, ServiceRecord, State, UpdateProgress};

/// Fills in the defaults dockerd 20.10 adds to a stored service spec (checked against the
/// real daemon: `Labels`, `Mode`, `ForceUpdate`, `Runtime`, `ContainerSpec.Isolation`).
pub(crate) fn normalize_spec(spec: &mut ServiceSpec) {
    // `Labels` and `ForceUpdate` are always written by the typed spec.
    if let ServiceMode::Replicated(r) = &mut spec.mode {
        r.replicas.get_or_insert(1);
    }
    let tt = &mut spec.task_template;
    if tt.runtime.is_empty() {
        tt.runtime = "container".to_owned();
    }
    if let Some(cs) = &mut tt.container_spec
        && cs.isolation.is_empty()
    {
        cs.isolation = "default".to_owned();
    }
}

/// The credentials in a decoded `X-Registry-Auth` JSON.
fn pull_auth(decoded: &Value) -> Option<PullAuth> {
    let text = |k: &str| decoded.get(k).and_then(Value::as_str).map(str::to_owned);
    decoded.is_object().then(|| PullAuth {
        username: text("username"),
        password: text("password"),
    })
}

/// A change of a service's spec.
#[derive(Debug, Clone)]
pub(crate) enum SpecChange {
    /// `POST /services/{id}/update` with this spec.
    Update(Box<ServiceSpec>),
    /// `?rollback=previous`: back to the previous spec.
    Rollback,
}

impl State {
    /// Creates a service (named `mock_…` when the spec has no name) and schedules its tasks;
    /// `auth` is the decoded `X-Registry-Auth`, if one was sent. Returns the ID.
    pub(crate) fn create_service(
        &mut self,
        cfg: &Settings,
        mut spec: ServiceSpec,
        auth: Option<Value>,
    ) -> Result<String, Refusal> {
        if spec.name.is_empty() {
            spec.name = format!("mock_{}", &new_id()[..8]);
        }
        let name = spec.name.clone();
        if self.services.iter().any(|s| s.spec.name == name) {
            return Err(Refusal::NameConflict(name));
        }
        normalize_spec(&mut spec);
        let auth = auth.and_then(|a| self.record_auth(&name, a));
        let version = self.bump();
        let now = now_str();
        let id = new_id();
        self.services.push(ServiceRecord {
            id: id.clone(),
            spec,
            previous: None,
            version,
            created: now.clone(),
            updated: now,
            update_status: None,
            auth,
        });
        self.reconcile(cfg, self.services.len() - 1);
        self.event(EventType::Service, "create", &id, &[("name", &name)]);
        Ok(id)
    }

    /// Records a forwarded `X-Registry-Auth` and reads its credentials.
    fn record_auth(&mut self, service: &str, decoded: Value) -> Option<PullAuth> {
        let auth = pull_auth(&decoded);
        self.registry_auths.push((service.to_owned(), decoded));
        auth
    }

    /// Updates service `idx` (at `version`) to a new spec or back to its previous one. Like
    /// swarmkit's `IsTaskDirty`, tasks are replaced only when the task template or the
    /// endpoint spec changes (not for labels, name-level fields or replicas); a rollback always
    /// reports its progress, a plain update resets `UpdateStatus` and sets `updating` only when
    /// some task has to be replaced.
    pub(crate) fn update_service(
        &mut self,
        cfg: &Settings,
        idx: usize,
        version: u64,
        change: SpecChange,
        auth: Option<Value>,
    ) -> Result<(), Refusal> {
        if self.out_of_sequence > 0 || version != self.services[idx].version {
            self.out_of_sequence = self.out_of_sequence.saturating_sub(1);
            return Err(Refusal::OutOfSequence);
        }
        let rollback = matches!(change, SpecChange::Rollback);
        let new_spec = match change {
            SpecChange::Update(mut s) => {
                normalize_spec(&mut s);
                *s
            }
            SpecChange::Rollback => self.services[idx]
                .previous
                .clone()
                .ok_or(Refusal::NoPreviousSpec)?,
        };
        let name = self.services[idx].spec.name.clone();
        if new_spec.name != name {
            return Err(Refusal::Rename);
        }
        let auth = auth.and_then(|a| self.record_auth(&name, a));
        let version = self.bump();
        let svc = &mut self.services[idx];
        svc.auth = auth;
        let replace_tasks = svc.spec.task_template != new_spec.task_template
            || svc.spec.endpoint_spec != new_spec.endpoint_spec;
        svc.previous = Some(std::mem::replace(&mut svc.spec, new_spec));
        svc.version = version;
        svc.updated = now_str();
        svc.update_status = if rollback {
            Some(UpdateProgress::started(
                UpdateState::RollbackStarted,
                "manually requested rollback",
            ))
        } else if replace_tasks {
            Some(UpdateProgress::started(
                UpdateState::Updating,
                "update in progress",
            ))
        } else {
            None
        };
        let sid = svc.id.clone();
        if replace_tasks {
            for t in self
                .tasks
                .iter_mut()
                .filter(|t| t.service_id == sid && t.desired == TaskState::Running)
            {
                t.shut_down();
                t.reported = TaskState::Shutdown;
            }
        }
        self.reconcile(cfg, idx);
        self.event(EventType::Service, "update", &sid, &[("name", &name)]);
        Ok(())
    }

    /// Removes service `idx` and its tasks.
    pub(crate) fn remove_service(&mut self, idx: usize) {
        let s = self.services.remove(idx);
        self.tasks.retain(|t| t.service_id != s.id);
        self.event(
            EventType::Service,
            "remove",
            &s.id,
            &[("name", &s.spec.name)],
        );
    }

    /// Completes the updates and rollbacks whose tasks all run.
    pub(crate) fn complete_updates(&mut self) {
        for svc in &mut self.services {
            let done = self
                .tasks
                .iter()
                .filter(|t| t.service_id == svc.id && t.desired == TaskState::Running)
                .all(|t| t.reported == TaskState::Running);
            let Some(status) = &mut svc.update_status else {
                continue;
            };
            if !done || status.completed_at.is_some() {
                continue;
            }
            let (state, message) = match status.state {
                UpdateState::Updating => (UpdateState::Completed, "update completed"),
                UpdateState::RollbackStarted => {
                    (UpdateState::RollbackCompleted, "rollback completed")
                }
                _ => continue,
            };
            status.state = state;
            status.message = message.to_owned();
            status.completed_at = Some(now_str());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_specs_get_dockerds_defaults() {
        let mut spec: ServiceSpec = serde_json::from_value(serde_json::json!({
            "Name": "x", "TaskTemplate": {"ContainerSpec": {"Image": "i"}}, "Custom": [1]
        }))
        .unwrap();
        normalize_spec(&mut spec);
        assert_eq!(
            serde_json::to_value(&spec).unwrap(),
            serde_json::json!({
                "Name": "x", "Labels": {}, "Custom": [1],
                "TaskTemplate": {"ContainerSpec": {"Image": "i", "Isolation": "default"}, "ForceUpdate": 0, "Runtime": "container"},
                "Mode": {"Replicated": {"Replicas": 1}},
            })
        );
        let mut global: ServiceSpec =
            serde_json::from_value(serde_json::json!({"Mode": {"Global": {}}})).unwrap();
        normalize_spec(&mut global);
        assert_eq!(global.mode, ServiceMode::global());
    }

    #[test]
    fn auth_credentials_are_read_from_the_decoded_header() {
        let a = pull_auth(&serde_json::json!({"username": "u", "password": "p"})).unwrap();
        assert_eq!(a.username.as_deref(), Some("u"));
        assert_eq!(a.password.as_deref(), Some("p"));
        assert!(pull_auth(&Value::Null).is_none());
    }
}
