//! `/swarm`: inspect, init, join, leave, update.

use http::{Method, StatusCode};
use serde_json::{Value, json};

use sdk_core::test_server::Request;

use crate::mock::render;
use crate::mock::shared::Shared;
use crate::mock::state::{Membership, Rotate};
use crate::mock::wire::{self, Reply};
use crate::models::SwarmSpec;

/// `/swarm/…` (`rest` is the path after `swarm`).
pub(crate) fn handle(shared: &Shared, req: &Request, rest: &[&str]) -> Reply {
    let mut st = shared.lock();
    let body = || serde_json::from_slice::<Value>(&req.body).unwrap_or_else(|_| json!({}));
    match (&req.method, rest) {
        (&Method::GET, []) => match st.membership {
            Membership::Inactive => wire::not_in_swarm(),
            Membership::Worker => wire::not_manager(),
            Membership::Manager => wire::json(
                StatusCode::OK,
                &st.swarm
                    .as_ref()
                    .map_or(Value::Null, |s| render::swarm(s, true)),
            ),
        },
        (&Method::POST, ["init"]) => {
            if st.membership != Membership::Inactive {
                return wire::already_in_swarm();
            }
            let body = body();
            let addr = body
                .get("AdvertiseAddr")
                .and_then(Value::as_str)
                .filter(|a| !a.is_empty())
                .unwrap_or(shared.cfg.manager_addr());
            let addr = addr.split(':').next().unwrap_or_default().to_owned();
            st.init(&shared.cfg, &addr);
            wire::json(StatusCode::OK, &st.self_node)
        }
        (&Method::POST, ["join"]) => {
            if st.membership != Membership::Inactive {
                return wire::already_in_swarm();
            }
            let body = body();
            let token = body
                .get("JoinToken")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let parts: Vec<&str> = token.split('-').collect();
            if parts.len() != 4 || parts[0] != "SWMTKN" || parts[1] != "1" {
                return wire::error(StatusCode::BAD_REQUEST, "invalid join token");
            }
            if body
                .get("RemoteAddrs")
                .and_then(Value::as_array)
                .is_none_or(Vec::is_empty)
            {
                return wire::error(
                    StatusCode::BAD_REQUEST,
                    "at least 1 RemoteAddr is required to join",
                );
            }
            st.join();
            wire::empty(StatusCode::OK)
        }
        (&Method::POST, ["leave"]) => {
            if st.membership == Membership::Inactive {
                return wire::error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "This node is not part of a swarm",
                );
            }
            if st.membership == Membership::Manager && !wire::flag(req.query_param("force")) {
                return wire::error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "You are attempting to leave the swarm on a node that is participating as a manager. Removing the last manager erases all current state of the swarm. Use `--force` to ignore this message. ",
                );
            }
            st.leave();
            wire::empty(StatusCode::OK)
        }
        (&Method::POST, ["update"]) => {
            if st.swarm.is_none() {
                return wire::not_in_swarm();
            }
            let version = req.query_param("version").and_then(|v| v.parse().ok());
            // A body that is no swarm spec leaves the spec as it is.
            let spec = serde_json::from_slice::<SwarmSpec>(&req.body).ok();
            let rotate = Rotate {
                worker: wire::flag(req.query_param("rotateWorkerToken")),
                manager: wire::flag(req.query_param("rotateManagerToken")),
            };
            match st.update_swarm(version, spec, rotate) {
                Ok(()) => wire::empty(StatusCode::OK),
                // The only refusal: a stale version.
                Err(_) => wire::out_of_sequence(),
            }
        }
        _ => wire::page_not_found(),
    }
}
