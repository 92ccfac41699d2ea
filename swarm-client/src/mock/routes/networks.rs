//! `GET /networks` and `GET /networks/{id}`: the networks every daemon has (the fake does not
//! create networks).

use http::StatusCode;
use serde_json::{Value, json};

use crate::mock::wire::{self, Reply};

/// The networks of the daemon.
fn networks() -> Vec<Value> {
    vec![
        json!({"Name": "host", "Id": "mockhostnetwork", "Scope": "local", "Driver": "host", "Ingress": false, "Labels": {}}),
        json!({"Name": "bridge", "Id": "mockbridgenetwork", "Scope": "local", "Driver": "bridge", "Ingress": false, "Labels": {}}),
    ]
}

/// `GET /networks[/{id}]` (`rest` is the path after `networks`).
pub(crate) fn handle(rest: &[&str]) -> Reply {
    match rest {
        [] => wire::json(StatusCode::OK, &networks()),
        [id] => match networks()
            .into_iter()
            .find(|n| n["Id"] == *id || n["Name"] == *id)
        {
            Some(n) => wire::json(StatusCode::OK, &n),
            None => wire::not_found("network", id),
        },
        _ => wire::page_not_found(),
    }
}
