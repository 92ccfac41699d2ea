//! `/configs` and `/secrets`: list (filters `name`, `label`), create, inspect, label-only
//! update, remove. A secret's data is
//! never shown.

use std::collections::BTreeMap;

use base64::Engine as _;
use http::{Method, StatusCode};
use serde_json::{Value, json};

use sdk_core::test_server::Request;

use crate::mock::filters::Filters;
use crate::mock::state::{ObjectKind, ObjectRecord, Refusal, State, StoredObjectSpec};
use crate::mock::wire::{self, Reply};

/// `GET /{configs,secrets}/{id}`: the object as dockerd shows it.
fn render(kind: ObjectKind, o: &ObjectRecord) -> Value {
    let mut spec = o.spec.clone();
    if kind == ObjectKind::Secret {
        spec.data = None;
    }
    json!({"ID": o.id, "Version": {"Index": o.version}, "CreatedAt": o.created, "UpdatedAt": o.updated, "Spec": spec})
}

/// `/{configs,secrets}/…` (`rest` is the path after the kind).
pub(crate) fn handle(kind: ObjectKind, st: &mut State, req: &Request, rest: &[&str]) -> Reply {
    let singular = kind.singular();
    match (&req.method, rest) {
        (&Method::GET, []) => {
            let f = match Filters::from_request(req) {
                Ok(f) => f,
                Err(e) => return wire::error(StatusCode::INTERNAL_SERVER_ERROR, &e),
            };
            let items: Vec<Value> = st
                .objects(kind)
                .iter()
                .filter(|o| f.any("name", |n| o.spec.name == n))
                .filter(|o| f.labels(o.spec.labels.as_ref().unwrap_or(&BTreeMap::new())))
                .map(|o| render(kind, o))
                .collect();
            wire::json(StatusCode::OK, &items)
        }
        (&Method::POST, ["create"]) => {
            let Ok(raw) = serde_json::from_slice::<Value>(&req.body) else {
                return wire::error(StatusCode::BAD_REQUEST, "invalid JSON");
            };
            let spec: StoredObjectSpec = match serde_json::from_value(raw) {
                Ok(s) => s,
                Err(e) => {
                    return wire::error(StatusCode::BAD_REQUEST, &format!("invalid JSON: {e}"));
                }
            };
            if spec.name.is_empty() {
                return wire::error(
                    StatusCode::BAD_REQUEST,
                    "rpc error: code = InvalidArgument desc = invalid name, only 64 [a-zA-Z0-9-_.] characters allowed, and the start and end character must be [a-zA-Z0-9]",
                );
            }
            let data = spec.data.as_deref().unwrap_or_default();
            let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(data) else {
                return wire::error(StatusCode::BAD_REQUEST, "invalid JSON: illegal base64 data");
            };
            if let Some(reply) = data_refused(kind, &spec, bytes.len()) {
                return reply;
            }
            match st.create_object(kind, spec) {
                Ok(id) => wire::json(StatusCode::CREATED, &json!({"ID": id})),
                Err(r) => refused(kind, &r),
            }
        }
        (&Method::GET, [id]) => match st.find_object(kind, id) {
            Some(i) => wire::json(StatusCode::OK, &render(kind, &st.objects(kind)[i])),
            None => wire::not_found(singular, id),
        },
        (&Method::POST, [id, "update"]) => {
            let Ok(spec) = serde_json::from_slice::<StoredObjectSpec>(&req.body) else {
                return wire::error(StatusCode::BAD_REQUEST, "invalid JSON");
            };
            let Some(i) = st.find_object(kind, id) else {
                return wire::not_found(singular, id);
            };
            let version = req
                .query_param("version")
                .and_then(|v| v.parse::<u64>().ok());
            match st.update_object_labels(kind, i, version, &spec) {
                Ok(()) => wire::empty(StatusCode::OK),
                Err(Refusal::OutOfSequence) => wire::out_of_sequence(),
                Err(r) => refused(kind, &r),
            }
        }
        (&Method::DELETE, [id]) => {
            let Some(i) = st.find_object(kind, id) else {
                return wire::not_found(singular, id);
            };
            match st.remove_object(kind, i) {
                Ok(()) => wire::empty(StatusCode::NO_CONTENT),
                // dockerd names the object as the request did.
                Err(Refusal::InUse) => wire::error(
                    StatusCode::BAD_REQUEST,
                    &format!(
                        "rpc error: code = InvalidArgument desc = {singular} '{id}' is in use"
                    ),
                ),
                Err(r) => refused(kind, &r),
            }
        }
        _ => wire::page_not_found(),
    }
}

/// swarmkit's payload rule: data of at least 1 byte and less than `MaxConfigSize` (1000 KiB)
/// or `MaxSecretSize` (500 KiB); a secret from a secret store driver is not checked.
fn data_refused(kind: ObjectKind, spec: &StoredObjectSpec, len: usize) -> Option<Reply> {
    let max = match kind {
        ObjectKind::Config => crate::configs::MAX_CONFIG_DATA,
        ObjectKind::Secret if spec.extra.get("Driver").is_some_and(|d| !d.is_null()) => {
            return None;
        }
        ObjectKind::Secret => crate::secrets::MAX_SECRET_DATA,
    };
    (len == 0 || len > max).then(|| {
        wire::error(
            StatusCode::BAD_REQUEST,
            &format!(
                "rpc error: code = InvalidArgument desc = {} data must be larger than 0 and less than {} bytes",
                kind.singular(),
                max + 1
            ),
        )
    })
}

/// dockerd's words for a refused config or secret change.
fn refused(kind: ObjectKind, r: &Refusal) -> Reply {
    match r {
        Refusal::NameConflict(name) => wire::error(
            StatusCode::CONFLICT,
            &format!(
                "rpc error: code = AlreadyExists desc = {} {name} already exists",
                kind.singular()
            ),
        ),
        Refusal::OnlyLabels => wire::error(
            StatusCode::BAD_REQUEST,
            "rpc error: code = InvalidArgument desc = only updates to Labels are allowed",
        ),
        other => wire::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("rpc error: code = Internal desc = {other:?}"),
        ),
    }
}
