//! Configs and secrets: stored, looked up by ID or name, and kept while a service references
//! them.

use crate::mock::stamps::{new_id, now_str};

use super::model::{ObjectKind, ObjectRecord, Refusal, State, StoredObjectSpec};

impl State {
    /// The index of the config or secret with ID or name `key`.
    pub(crate) fn find_object(&self, kind: ObjectKind, key: &str) -> Option<usize> {
        self.objects(kind)
            .iter()
            .position(|o| o.id == key || o.spec.name == key)
    }

    /// Stores a config or secret; returns its ID.
    pub(crate) fn create_object(
        &mut self,
        kind: ObjectKind,
        spec: StoredObjectSpec,
    ) -> Result<String, Refusal> {
        if self.find_object(kind, &spec.name).is_some() {
            return Err(Refusal::NameConflict(spec.name));
        }
        let version = self.bump();
        let now = now_str();
        let id = new_id();
        let name = spec.name.clone();
        self.objects_mut(kind).push(ObjectRecord {
            id: id.clone(),
            version,
            created: now.clone(),
            updated: now,
            spec,
        });
        self.object_event(kind, "create", &id, &name);
        Ok(id)
    }

    /// Replaces the labels of config or secret `idx` (swarmkit allows no other change): name and
    /// data must stay (checked first), then the version must be the current one.
    pub(crate) fn update_object_labels(
        &mut self,
        kind: ObjectKind,
        idx: usize,
        version: Option<u64>,
        spec: &StoredObjectSpec,
    ) -> Result<(), Refusal> {
        let cur = &self.objects(kind)[idx];
        let data_changed = spec
            .data
            .as_deref()
            .is_some_and(|d| d != cur.spec.data.as_deref().unwrap_or(""));
        if spec.name != cur.spec.name || data_changed {
            return Err(Refusal::OnlyLabels);
        }
        if version != Some(cur.version) {
            return Err(Refusal::OutOfSequence);
        }
        let v = self.bump();
        let now = now_str();
        let o = &mut self.objects_mut(kind)[idx];
        o.spec.labels = Some(spec.labels.clone().unwrap_or_default());
        o.version = v;
        o.updated = now;
        let id = o.id.clone();
        self.object_event(kind, "update", &id, "");
        Ok(())
    }

    /// Removes config or secret `idx`, unless a service references it.
    pub(crate) fn remove_object(&mut self, kind: ObjectKind, idx: usize) -> Result<(), Refusal> {
        let id = self.objects(kind)[idx].id.clone();
        let in_use = self.services.iter().any(|s| {
            s.spec.container().is_some_and(|c| match kind {
                ObjectKind::Secret => c.secrets.iter().any(|r| r.secret_id == id),
                ObjectKind::Config => c.configs.iter().any(|r| r.config_id == id),
            })
        });
        if in_use {
            return Err(Refusal::InUse);
        }
        self.objects_mut(kind).remove(idx);
        self.object_event(kind, "remove", &id, "");
        Ok(())
    }
}
