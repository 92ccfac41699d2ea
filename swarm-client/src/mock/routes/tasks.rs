//! `/tasks`: list (filters `service`, `node`, `desired-state`, `id`, `name`) and inspect.
//! Logs are in [`super::logs`].

use http::{Method, StatusCode};
use serde_json::Value;

use sdk_core::test_server::Request;

use crate::mock::config::Settings;
use crate::mock::filters::Filters;
use crate::mock::render;
use crate::mock::state::State;
use crate::mock::wire::{self, Reply};

/// `/tasks/…` (`rest` is the path after `tasks`).
pub(crate) fn handle(cfg: &Settings, st: &State, req: &Request, rest: &[&str]) -> Reply {
    let clock = st.clock(cfg);
    match (&req.method, rest) {
        (&Method::GET, []) => {
            let f = match Filters::from_request(req) {
                Ok(f) => f,
                Err(e) => return wire::error(StatusCode::INTERNAL_SERVER_ERROR, &e),
            };
            let service_ids: Option<Vec<&str>> = f.get("service").map(|v| {
                v.iter()
                    .filter_map(|k| st.find_service(k).map(|i| st.services[i].id.as_str()))
                    .collect()
            });
            if let Some(ids) = &service_ids
                && ids.is_empty()
            {
                let key = f
                    .get("service")
                    .and_then(|v| v.first())
                    .map_or("", String::as_str);
                return wire::not_found("service", key);
            }
            // Like the node list, but an empty key matches any node.
            let node_ids: Option<Vec<&str>> = f.get("node").map(|v| {
                v.iter()
                    .filter_map(|k| {
                        st.nodes
                            .iter()
                            .find(|n| {
                                n.id == *k || n.hostname == *k || n.id.starts_with(k.as_str())
                            })
                            .map(|n| n.id.as_str())
                    })
                    .collect()
            });
            let list: Vec<Value> = st
                .tasks
                .iter()
                .filter(|t| {
                    service_ids
                        .as_ref()
                        .is_none_or(|ids| ids.contains(&t.service_id.as_str()))
                })
                .filter(|t| {
                    node_ids
                        .as_ref()
                        .is_none_or(|ids| ids.contains(&t.node_id.as_str()))
                })
                // `label`: the labels of the task's service (what `docker stack ps` filters).
                .filter(|t| {
                    f.get("label").is_none()
                        || st
                            .find_service(&t.service_id)
                            .is_some_and(|i| f.labels(&st.services[i].spec.labels))
                })
                .filter(|t| f.any("desired-state", |d| d == t.desired.as_str()))
                .filter(|t| f.any("id", |i| t.id.starts_with(i)))
                .filter(|t| {
                    let sname = st.service_name(&t.service_id);
                    let tname = if t.slot > 0 {
                        format!("{sname}.{}", t.slot)
                    } else {
                        format!("{sname}.{}", t.node_id)
                    };
                    f.any("name", |n| tname.starts_with(n))
                })
                .map(|t| render::task(t, &clock))
                .collect();
            wire::json(StatusCode::OK, &list)
        }
        (&Method::GET, [id]) => match st.tasks.iter().find(|t| t.id == *id) {
            Some(t) => wire::json(StatusCode::OK, &render::task(t, &clock)),
            None => wire::not_found("task", id),
        },
        _ => wire::page_not_found(),
    }
}
