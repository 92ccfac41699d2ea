//! `/services`: list (filters `name`, `id`, `label`, `mode`; `status`), create, inspect,
//! update and rollback, remove. Logs are in [`super::logs`].

use base64::Engine as _;
use http::{Method, StatusCode};
use serde_json::{Value, json};

use sdk_core::test_server::Request;

use crate::mock::config::Settings;
use crate::mock::filters::Filters;
use crate::mock::render;
use crate::mock::state::{Refusal, SpecChange, State};
use crate::mock::wire::{self, Refused, Reply};
use crate::spec::ServiceSpec;

/// `/services/…` (`rest` is the path after `services`).
pub(crate) fn handle(cfg: &Settings, st: &mut State, req: &Request, rest: &[&str]) -> Reply {
    match (&req.method, rest) {
        (&Method::GET, []) => list(st, req),
        (&Method::POST, ["create"]) => create(cfg, st, req),
        (&Method::GET, [id]) => match st.find_service(id) {
            Some(i) => wire::json(StatusCode::OK, &render::service(st, &st.services[i], false)),
            None => wire::not_found("service", id),
        },
        (&Method::DELETE, [id]) => {
            let Some(i) = st.find_service(id) else {
                return wire::not_found("service", id);
            };
            st.remove_service(i);
            wire::empty(StatusCode::OK)
        }
        (&Method::POST, [id, "update"]) => update(cfg, st, req, id),
        _ => wire::page_not_found(),
    }
}

/// `GET /services`.
fn list(st: &State, req: &Request) -> Reply {
    let f = match Filters::from_request(req) {
        Ok(f) => f,
        Err(e) => return wire::error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let status = wire::flag(req.query_param("status"));
    let list: Vec<Value> = st
        .services
        .iter()
        .filter(|s| f.any("name", |n| s.spec.name.starts_with(n)))
        .filter(|s| f.any("id", |i| s.id.starts_with(i)))
        .filter(|s| f.labels(&s.spec.labels))
        .filter(|s| {
            let mode = if s.is_global() {
                "global"
            } else {
                "replicated"
            };
            f.any("mode", |m| m == mode)
        })
        .map(|s| render::service(st, s, status))
        .collect();
    wire::json(StatusCode::OK, &list)
}

/// Decodes and checks a service spec body like the daemon does before any lookup.
fn parse_spec(body: &[u8]) -> Result<ServiceSpec, Refused> {
    let raw = match serde_json::from_slice::<Value>(body) {
        Ok(s) if s.is_object() => s,
        _ => {
            return Err(Refused::new(
                StatusCode::BAD_REQUEST,
                "invalid JSON in service spec",
            ));
        }
    };
    if raw
        .pointer("/TaskTemplate/ContainerSpec")
        .is_none_or(|c| !c.is_object())
    {
        return Err(Refused::new(
            StatusCode::BAD_REQUEST,
            "mismatched Runtime and *Spec fields",
        ));
    }
    serde_json::from_value(raw).map_err(|e| {
        Refused::new(
            StatusCode::BAD_REQUEST,
            format!("invalid JSON in service spec: {e}"),
        )
    })
}

/// The decoded `X-Registry-Auth` header, when one was sent (`null` when it does not decode).
fn registry_auth(req: &Request) -> Option<Value> {
    let h = req.header("x-registry-auth")?;
    let trimmed = h.trim().trim_end_matches('=');
    Some(
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(trimmed)
            .ok()
            .and_then(|raw| serde_json::from_slice::<Value>(&raw).ok())
            .unwrap_or(Value::Null),
    )
}

/// `POST /services/create`.
fn create(cfg: &Settings, st: &mut State, req: &Request) -> Reply {
    let spec = match parse_spec(&req.body) {
        Ok(s) => s,
        Err(refused) => return refused.reply(),
    };
    if spec.container().is_none_or(|c| c.image.is_empty()) {
        return wire::error(
            StatusCode::BAD_REQUEST,
            "rpc error: code = InvalidArgument desc = ContainerSpec: image reference must be provided",
        );
    }
    match st.create_service(cfg, spec, registry_auth(req)) {
        Ok(id) => wire::json(StatusCode::CREATED, &json!({"ID": id})),
        Err(Refusal::NameConflict(name)) => wire::error(
            StatusCode::CONFLICT,
            &format!(
                "rpc error: code = AlreadyExists desc = name conflicts with an existing object: service {name} already exists"
            ),
        ),
        Err(other) => refused(&other),
    }
}

/// `POST /services/{id}/update[?rollback=previous]`.
fn update(cfg: &Settings, st: &mut State, req: &Request, id: &str) -> Reply {
    let raw_version = req.query_param("version").unwrap_or_default();
    let Ok(version) = raw_version.parse::<u64>() else {
        return wire::error(
            StatusCode::BAD_REQUEST,
            &format!(
                "invalid service version '{raw_version}': strconv.ParseUint: parsing \"{raw_version}\": invalid syntax"
            ),
        );
    };
    // A rollback ignores the body.
    let change = if req.query_param("rollback").as_deref() == Some("previous") {
        SpecChange::Rollback
    } else {
        match parse_spec(&req.body) {
            Ok(s) => SpecChange::Update(Box::new(s)),
            Err(refused) => return refused.reply(),
        }
    };
    let Some(i) = st.find_service(id) else {
        return wire::not_found("service", id);
    };
    match st.update_service(cfg, i, version, change, registry_auth(req)) {
        Ok(()) => wire::json(StatusCode::OK, &json!({"Warnings": null})),
        Err(r) => refused(&r),
    }
}

/// dockerd's words for a refused service change.
fn refused(r: &Refusal) -> Reply {
    let message = match r {
        Refusal::OutOfSequence => return wire::out_of_sequence(),
        Refusal::NoPreviousSpec => {
            "rpc error: code = FailedPrecondition desc = service has no previous spec"
        }
        Refusal::Rename => {
            "rpc error: code = Unimplemented desc = renaming services is not supported"
        }
        _ => "rpc error: code = Internal desc = unexpected refusal",
    };
    wire::error(StatusCode::INTERNAL_SERVER_ERROR, message)
}
