//! `/networks`: the predefined `host` and `bridge`, and networks created through the API
//! (create with a name conflict check, list with `name`/`label` filters, inspect by ID or name,
//! remove unless predefined or used by a service) — what `docker stack deploy` uses.

use std::collections::BTreeMap;
use std::sync::Arc;

use http::{Method, StatusCode};
use serde_json::{Value, json};

use sdk_core::test_server::Request;

use crate::mock::filters::Filters;
use crate::mock::shared::Shared;
use crate::mock::stamps::{new_id, now_str};
use crate::mock::state::{Membership, State};
use crate::mock::wire::{self, Reply};
use crate::models::EventType;

/// The networks every daemon has.
fn predefined() -> Vec<Value> {
    vec![
        json!({"Name": "host", "Id": "mockhostnetwork", "Scope": "local", "Driver": "host", "Ingress": false, "Labels": {}}),
        json!({"Name": "bridge", "Id": "mockbridgenetwork", "Scope": "local", "Driver": "bridge", "Ingress": false, "Labels": {}}),
    ]
}

fn all(st: &State) -> Vec<Value> {
    let mut v = predefined();
    v.extend(st.networks.iter().cloned());
    v
}

fn find(items: &[Value], key: &str) -> Option<usize> {
    items
        .iter()
        .position(|n| n["Id"] == key || n["Name"] == key)
}

fn labels_of(n: &Value) -> BTreeMap<String, String> {
    n.get("Labels")
        .and_then(|l| serde_json::from_value(l.clone()).ok())
        .unwrap_or_default()
}

/// `/networks[/…]` (`rest` is the path after `networks`).
pub(crate) fn handle(shared: &Arc<Shared>, req: &Request, rest: &[&str]) -> Reply {
    let mut st = shared.lock();
    match (&req.method, rest) {
        (&Method::GET, []) => {
            let f = match Filters::from_request(req) {
                Ok(f) => f,
                Err(e) => return wire::error(StatusCode::INTERNAL_SERVER_ERROR, &e),
            };
            let items: Vec<Value> = all(&st)
                .into_iter()
                .filter(|n| {
                    f.any("name", |x| {
                        n["Name"].as_str().is_some_and(|m| m.contains(x))
                    })
                })
                .filter(|n| f.labels(&labels_of(n)))
                .collect();
            wire::json(StatusCode::OK, &items)
        }
        (&Method::GET, [id]) => {
            let items = all(&st);
            match find(&items, id) {
                Some(i) => wire::json(StatusCode::OK, &items[i]),
                None => wire::not_found("network", id),
            }
        }
        (&Method::POST, ["create"]) => create(&mut st, req),
        (&Method::DELETE, [id]) => remove(&mut st, id),
        _ => wire::page_not_found(),
    }
}

fn create(st: &mut State, req: &Request) -> Reply {
    let Ok(spec) = serde_json::from_slice::<Value>(&req.body) else {
        return wire::error(StatusCode::BAD_REQUEST, "invalid JSON");
    };
    let name = spec["Name"].as_str().unwrap_or_default().to_owned();
    if name.is_empty() {
        return wire::error(StatusCode::BAD_REQUEST, "network name is empty");
    }
    if find(&all(st), &name).is_some() {
        return wire::error(
            StatusCode::CONFLICT,
            &format!("network with name {name} already exists"),
        );
    }
    let driver = spec["Driver"]
        .as_str()
        .filter(|d| !d.is_empty())
        .unwrap_or("bridge")
        .to_owned();
    let swarm_scope = driver == "overlay";
    if swarm_scope && st.membership != Membership::Manager {
        return wire::not_manager();
    }
    let n = st.networks.len();
    // Data only: the fake never attaches anything to these addresses.
    let ipam_config = match spec.pointer("/IPAM/Config") {
        Some(Value::Array(c)) if !c.is_empty() => Value::Array(c.clone()),
        _ => {
            json!([{"Subnet": format!("10.0.{}.0/24", 100 + n), "Gateway": format!("10.0.{}.1", 100 + n)}])
        }
    };
    let id = new_id();
    let ipam_driver = spec
        .pointer("/IPAM/Driver")
        .and_then(Value::as_str)
        .filter(|d| !d.is_empty())
        .unwrap_or("default");
    let net = json!({
        "Name": name, "Id": id, "Created": now_str(),
        "Scope": if swarm_scope { "swarm" } else { "local" }, "Driver": driver,
        "EnableIPv6": false,
        "IPAM": {"Driver": ipam_driver, "Options": null, "Config": ipam_config},
        "Internal": spec["Internal"].as_bool().unwrap_or(false),
        "Attachable": spec["Attachable"].as_bool().unwrap_or(false),
        "Ingress": false, "ConfigFrom": {"Network": ""}, "ConfigOnly": false, "Containers": null,
        "Options": spec.get("Options").filter(|o| o.is_object()).cloned().unwrap_or_else(|| json!({})),
        "Labels": spec.get("Labels").filter(|o| o.is_object()).cloned().unwrap_or_else(|| json!({})),
    });
    st.networks.push(net);
    st.event(
        EventType::Network,
        "create",
        &id,
        &[("name", &name), ("type", &driver)],
    );
    wire::json(StatusCode::CREATED, &json!({"Id": id, "Warning": ""}))
}

fn remove(st: &mut State, id: &str) -> Reply {
    let Some(i) = find(&st.networks, id) else {
        return match find(&all(st), id) {
            Some(_) => wire::error(
                StatusCode::FORBIDDEN,
                &format!("{id} is a pre-defined network and cannot be removed"),
            ),
            None => wire::not_found("network", id),
        };
    };
    let nid = st.networks[i]["Id"].as_str().unwrap_or_default().to_owned();
    let name = st.networks[i]["Name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let user = st.services.iter().find(|s| {
        s.spec
            .task_template
            .networks
            .iter()
            .any(|n| n.target == nid || n.target == name)
    });
    if let Some(s) = user {
        return wire::error(
            StatusCode::FORBIDDEN,
            &format!(
                "rpc error: code = FailedPrecondition desc = network {nid} is in use by service {}",
                s.id
            ),
        );
    }
    st.networks.remove(i);
    st.event(EventType::Network, "destroy", &nid, &[("name", &name)]);
    wire::empty(StatusCode::NO_CONTENT)
}
