//! `/nodes`: list (filters `role`, `id`, `name`), inspect, update, remove.

use http::{Method, StatusCode};
use serde_json::Value;

use sdk_core::test_server::Request;

use crate::mock::config::Settings;
use crate::mock::filters::Filters;
use crate::mock::render;
use crate::mock::state::{Refusal, State};
use crate::mock::wire::{self, Reply};
use crate::models::NodeSpec;

/// `/nodes/…` (`rest` is the path after `nodes`).
pub(crate) fn handle(cfg: &Settings, st: &mut State, req: &Request, rest: &[&str]) -> Reply {
    match (&req.method, rest) {
        (&Method::GET, []) => {
            let f = match Filters::from_request(req) {
                Ok(f) => f,
                Err(e) => return wire::error(StatusCode::INTERNAL_SERVER_ERROR, &e),
            };
            let list: Vec<Value> = st
                .nodes
                .iter()
                .filter(|n| f.any("role", |r| r == n.role().as_str()))
                .filter(|n| f.any("id", |i| n.id.starts_with(i)))
                .filter(|n| f.any("name", |h| n.hostname.starts_with(h)))
                .map(|n| render::node(st, n))
                .collect();
            wire::json(StatusCode::OK, &list)
        }
        (&Method::GET, [id]) => match st.find_node(id) {
            Some(i) => wire::json(StatusCode::OK, &render::node(st, &st.nodes[i])),
            None => wire::not_found("node", id),
        },
        (&Method::POST, [id, "update"]) => {
            let Some(i) = st.find_node(id) else {
                return wire::not_found("node", id);
            };
            let version = req
                .query_param("version")
                .and_then(|v| v.parse::<u64>().ok());
            if version != Some(st.nodes[i].version) {
                return wire::out_of_sequence();
            }
            let Ok(spec) = serde_json::from_slice::<NodeSpec>(&req.body) else {
                return wire::error(StatusCode::BAD_REQUEST, "invalid node spec");
            };
            match st.update_node(cfg, i, version, spec) {
                Ok(()) => wire::empty(StatusCode::OK),
                Err(_) => wire::out_of_sequence(),
            }
        }
        (&Method::DELETE, [id]) => {
            let Some(i) = st.find_node(id) else {
                return wire::not_found("node", id);
            };
            match st.remove_node(i, wire::flag(req.query_param("force"))) {
                Ok(()) => wire::empty(StatusCode::OK),
                Err(Refusal::NodeIsManager(id)) => wire::error(
                    StatusCode::BAD_REQUEST,
                    &format!(
                        "rpc error: code = FailedPrecondition desc = node {id} is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal"
                    ),
                ),
                Err(Refusal::NodeNotDown(id)) => wire::error(
                    StatusCode::BAD_REQUEST,
                    &format!(
                        "rpc error: code = FailedPrecondition desc = node {id} is not down and can't be removed"
                    ),
                ),
                Err(other) => wire::error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &format!("rpc error: code = Internal desc = {other:?}"),
                ),
            }
        }
        _ => wire::page_not_found(),
    }
}
