//! Every request enters here: it is recorded, answered with an injected fault when one is due,
//! else routed on its decoded path to its route group.

use std::sync::Arc;

use http::{Method, StatusCode};

use sdk_core::test_server::{Fault, Request, drop_midway};

use super::routes::{
    events, exec, images, logs, networks, nodes, objects, services, swarm, system, tasks,
};
use super::shared::Shared;
use super::state::{Membership, ObjectKind};
use super::wire::{self, Reply};

/// Answers one request.
pub(crate) fn handle(shared: &Arc<Shared>, req: &Request) -> Reply {
    let fault = shared.lock().log.record(req);
    match fault {
        Some(Fault::Status {
            status,
            retry_after,
        }) => {
            let mut resp = wire::error(
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                "injected fault",
            );
            if let Some(secs) = retry_after {
                resp.headers_mut()
                    .insert(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
            }
            resp
        }
        Some(Fault::DropConnection) => drop_midway(route(shared, req)),
        Some(_) | None => route(shared, req),
    }
}

/// Routes a request to its group.
fn route(shared: &Arc<Shared>, req: &Request) -> Reply {
    // dockerd routes on the decoded path (Go's `URL.Path`): `%2F` splits a segment, and
    // names arrive as they were before the client percent-encoded them.
    let path = match wire::api_path(&crate::path::decode(&req.path)) {
        Ok(p) => p,
        Err(refused) => return refused.reply(),
    };
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (&req.method, segs.as_slice()) {
        (&Method::GET | &Method::HEAD, ["_ping"]) => wire::ping(),
        (&Method::GET, ["version"]) => system::version(),
        (&Method::GET, ["info"]) => system::info(shared),
        (_, ["swarm", rest @ ..]) => swarm::handle(shared, req, rest),
        (&Method::GET, ["distribution", rest @ .., "json"]) => {
            images::distribution(shared, &rest.join("/"))
        }
        (&Method::POST, ["build"]) => images::build(shared, req),
        (_, ["images", rest @ ..]) => images::handle(shared, req, rest),
        (_, ["exec", id, action]) => exec::handle(shared, req, id, action),
        (&Method::POST, ["containers", id, "exec"]) => exec::create(shared, req, id),
        (&Method::GET, ["events"]) => events::stream(shared, req),
        (_, ["networks", rest @ ..]) => networks::handle(shared, req, rest),
        (
            _,
            [
                kind @ ("nodes" | "services" | "tasks" | "configs" | "secrets"),
                rest @ ..,
            ],
        ) => {
            let mut st = shared.lock();
            match st.membership {
                Membership::Inactive => return wire::not_in_swarm(),
                Membership::Worker => return wire::not_manager(),
                Membership::Manager => {}
            }
            st.tick(&shared.cfg);
            match (*kind, &req.method, rest) {
                ("nodes", ..) => nodes::handle(&shared.cfg, &mut st, req, rest),
                ("services", &Method::GET, [id, "logs"]) => logs::service(shared, &st, req, id),
                ("services", ..) => services::handle(&shared.cfg, &mut st, req, rest),
                ("tasks", &Method::GET, [id, "logs"]) => logs::task(shared, &st, req, id),
                ("tasks", ..) => tasks::handle(&shared.cfg, &st, req, rest),
                ("configs", ..) => objects::handle(ObjectKind::Config, &mut st, req, rest),
                _ => objects::handle(ObjectKind::Secret, &mut st, req, rest),
            }
        }
        _ => wire::page_not_found(),
    }
}
