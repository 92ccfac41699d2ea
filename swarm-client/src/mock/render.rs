//! The JSON dockerd answers for each object, written from the typed state: the stored specs
//! are serialised as they are (fields the fake does not interpret included), around them the
//! envelope dockerd 20.10 writes (versions, times, statuses).

use serde_json::{Value, json};

use sdk_core::test_server::rfc3339;

use super::state::{NodeRecord, ServiceRecord, State, SwarmRecord, TaskClock, TaskRecord};
use super::wire::ENGINE_VERSION;
use crate::models::{NodeRole, TaskState};

/// `GET /swarm` (with the join tokens; `GET /info` shows it without them).
pub(crate) fn swarm(s: &SwarmRecord, with_tokens: bool) -> Value {
    let mut v = json!({
        "ID": s.id,
        "Version": {"Index": s.version},
        "CreatedAt": s.created, "UpdatedAt": s.updated,
        "Spec": s.spec,
        "TLSInfo": {},
        "RootRotationInProgress": false, "DefaultAddrPool": ["10.0.0.0/8"], "SubnetSize": 24, "DataPathPort": 4789,
    });
    if with_tokens {
        v["JoinTokens"] = json!({"Worker": s.join_tokens.worker, "Manager": s.join_tokens.manager});
    }
    v
}

/// `GET /nodes/{id}`.
pub(crate) fn node(st: &State, n: &NodeRecord) -> Value {
    let mut v = json!({
        "ID": n.id,
        "Version": {"Index": n.version},
        "CreatedAt": n.created, "UpdatedAt": n.updated,
        "Spec": n.spec,
        "Description": {"Hostname": n.hostname, "Platform": {"Architecture": "x86_64", "OS": "linux"},
                        "Resources": {"NanoCPUs": 2_000_000_000_u64, "MemoryBytes": 4_294_967_296_u64},
                        "Engine": {"EngineVersion": ENGINE_VERSION}, "TLSInfo": {}},
        "Status": {"State": "ready", "Addr": n.addr},
    });
    if n.role() == NodeRole::Manager {
        v["ManagerStatus"] = json!({"Leader": n.id == st.self_node, "Reachability": "reachable", "Addr": format!("{}:2377", n.addr)});
    }
    v
}

/// `GET /services/{id}`; with `status`, the task counts `GET /services?status=true` adds.
pub(crate) fn service(st: &State, s: &ServiceRecord, status: bool) -> Value {
    let mut v = json!({
        "ID": s.id,
        "Version": {"Index": s.version},
        "CreatedAt": s.created, "UpdatedAt": s.updated,
        "Spec": s.spec,
        "Endpoint": {"Spec": s.spec.endpoint_spec.as_ref().map_or_else(|| json!({}), |e| json!(e))},
    });
    if let Some(p) = &s.previous {
        v["PreviousSpec"] = json!(p);
    }
    if let Some(u) = &s.update_status {
        v["UpdateStatus"] = json!({"State": u.state, "StartedAt": s.updated, "Message": u.message});
        if let Some(at) = &u.completed_at {
            v["UpdateStatus"]["CompletedAt"] = json!(at);
        }
    }
    if status {
        let running = st
            .tasks
            .iter()
            .filter(|t| {
                t.service_id == s.id
                    && t.desired == TaskState::Running
                    && t.reported == TaskState::Running
            })
            .count();
        let desired = if s.is_global() {
            st.nodes.iter().filter(|n| n.is_active()).count() as u64
        } else {
            s.replicas()
        };
        v["ServiceStatus"] =
            json!({"RunningTasks": running, "DesiredTasks": desired, "CompletedTasks": 0});
    }
    v
}

/// `GET /tasks/{id}`, as the task stands on `clock`.
pub(crate) fn task(t: &TaskRecord, clock: &TaskClock) -> Value {
    let (state, at) = clock.observe(t);
    let has_container = t.error.is_none()
        && matches!(
            state,
            TaskState::Running | TaskState::Starting | TaskState::Shutdown
        );
    let message = match state {
        TaskState::Running => "started",
        TaskState::Rejected | TaskState::Preparing => "preparing",
        TaskState::Starting => "starting",
        TaskState::Shutdown => "shutdown",
        TaskState::Assigned => "assigned",
        TaskState::Pending => "pending task scheduling",
        _ => "created",
    };
    let container_id = if has_container {
        t.container_id.as_str()
    } else {
        ""
    };
    let pid = if state == TaskState::Running { 4242 } else { 0 };
    let mut status = json!({
        "Timestamp": rfc3339(at),
        "State": state,
        "Message": message,
        "ContainerStatus": {"ContainerID": container_id, "PID": pid, "ExitCode": 0},
        "PortStatus": {},
    });
    if state == TaskState::Rejected {
        status["Err"] = json!(t.error.clone().unwrap_or_default());
    }
    if let Some(reason) = t
        .unschedulable
        .as_ref()
        .filter(|_| state == TaskState::Pending)
    {
        status["Err"] = json!(reason);
    }
    // Like swarmkit: no container status before the agent starts preparing.
    if matches!(
        state,
        TaskState::New | TaskState::Pending | TaskState::Assigned
    ) && let Some(st) = status.as_object_mut()
    {
        st.remove("ContainerStatus");
    }
    let mut v = json!({
        "ID": t.id,
        "Version": {"Index": t.version},
        "CreatedAt": rfc3339(t.created),
        "UpdatedAt": rfc3339(at),
        "Labels": {},
        "Spec": t.spec,
        "ServiceID": t.service_id,
        "Status": status,
        "DesiredState": t.desired,
    });
    // Like swarmkit: no node before the scheduler assigns one.
    if !matches!(state, TaskState::New | TaskState::Pending) {
        v["NodeID"] = json!(t.node_id);
    }
    if t.slot > 0 {
        v["Slot"] = json!(t.slot);
    }
    v
}
