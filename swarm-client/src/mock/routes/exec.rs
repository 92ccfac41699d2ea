//! `POST /containers/{id}/exec`, `POST /exec/{id}/start`, `GET /exec/{id}/json`: commands in
//! a running task's container, answered with the canned results a test set.

use http::{Method, StatusCode};
use serde_json::{Value, json};

use sdk_core::test_server::Request;

use crate::mock::shared::Shared;
use crate::mock::wire::{self, Reply};

/// `POST /containers/{container}/exec`.
pub(crate) fn create(shared: &Shared, req: &Request, container: &str) -> Reply {
    let mut st = shared.lock_ticked();
    let Ok(container_id) = st.running_container(container) else {
        return wire::error(
            StatusCode::NOT_FOUND,
            &format!("No such container: {container}"),
        );
    };
    let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
        return wire::error(StatusCode::BAD_REQUEST, "invalid JSON");
    };
    let cmd: Vec<String> = body
        .get("Cmd")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|c| c.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if cmd.is_empty() {
        return wire::error(StatusCode::BAD_REQUEST, "No exec command specified");
    }
    let id = st.create_exec(container_id, cmd);
    wire::json(StatusCode::CREATED, &json!({"Id": id}))
}

/// `/exec/{id}/{action}`.
pub(crate) fn handle(shared: &Shared, req: &Request, id: &str, action: &str) -> Reply {
    let mut st = shared.lock();
    let Some(exec) = st.execs.get(id).cloned() else {
        return wire::error(
            StatusCode::NOT_FOUND,
            &format!("No such exec instance: {id}"),
        );
    };
    match (&req.method, action) {
        (&Method::POST, "start") => {
            let (out, err) = st.start_exec(id).unwrap_or_default();
            let detach = serde_json::from_slice::<Value>(&req.body)
                .ok()
                .and_then(|b| b.get("Detach").and_then(Value::as_bool))
                .unwrap_or(false);
            if detach {
                return wire::empty(StatusCode::OK);
            }
            let mut body = Vec::new();
            if !out.is_empty() {
                body.extend(wire::frame(1, &out));
            }
            if !err.is_empty() {
                body.extend(wire::frame(2, &err));
            }
            wire::raw_stream(body)
        }
        (&Method::GET, "json") => wire::json(
            StatusCode::OK,
            &json!({
                "ID": id, "Running": false, "ExitCode": exec.exit, "ContainerID": exec.container_id,
                "OpenStdin": false, "OpenStderr": true, "OpenStdout": true, "CanRemove": false, "DetachKeys": "", "Pid": 0,
                "ProcessConfig": {"tty": false, "entrypoint": exec.cmd[0], "arguments": exec.cmd[1..].to_vec(), "privileged": false},
            }),
        ),
        _ => wire::page_not_found(),
    }
}
