//! `GET /version` and `GET /info` (`/_ping` is plain plumbing).

use http::StatusCode;
use serde_json::json;

use crate::mock::render;
use crate::mock::shared::Shared;
use crate::mock::state::Membership;
use crate::mock::wire::{self, API_VERSION, ENGINE_VERSION, MIN_API_VERSION, Reply};
use crate::models::NodeRole;

/// `GET /version`.
pub(crate) fn version() -> Reply {
    wire::json(
        StatusCode::OK,
        &json!({
            "Platform": {"Name": "mock"},
            "Components": [{"Name": "Engine", "Version": ENGINE_VERSION, "Details": {"ApiVersion": API_VERSION, "MinAPIVersion": MIN_API_VERSION, "Os": "linux", "Arch": "amd64"}}],
            "Version": ENGINE_VERSION, "ApiVersion": API_VERSION, "MinAPIVersion": MIN_API_VERSION,
            "GitCommit": "mock", "GoVersion": "go1.19.8", "Os": "linux", "Arch": "amd64", "KernelVersion": "mock",
        }),
    )
}

/// `GET /info`, with the swarm part `docker info` shows.
pub(crate) fn info(shared: &Shared) -> Reply {
    let st = shared.lock();
    let swarm = if st.membership == Membership::Inactive {
        json!({"NodeID": "", "NodeAddr": "", "LocalNodeState": "inactive", "ControlAvailable": false, "Error": "", "RemoteManagers": null})
    } else {
        json!({
            "NodeID": st.self_node, "NodeAddr": shared.cfg.manager_addr(), "LocalNodeState": "active",
            "ControlAvailable": st.membership == Membership::Manager, "Error": "",
            "RemoteManagers": [{"NodeID": st.self_node, "Addr": "127.0.0.1:2377"}],
            "Nodes": st.nodes.len(), "Managers": st.nodes.iter().filter(|n| n.role() == NodeRole::Manager).count(),
            "Cluster": st.swarm.as_ref().map(|s| render::swarm(s, false)),
        })
    };
    wire::json(
        StatusCode::OK,
        &json!({
            "ID": "MOCK:SWARM", "Name": shared.cfg.manager_hostname(), "ServerVersion": ENGINE_VERSION, "NCPU": 2,
            "OperatingSystem": "mock", "OSType": "linux", "Architecture": "x86_64", "Swarm": swarm,
        }),
    )
}
