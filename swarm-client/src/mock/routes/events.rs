//! `GET /events` with `since`, `until` and dockerd's filters: the recorded events, then (until
//! `until`, or for as long as the client listens) the new ones as they happen.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;

use sdk_core::test_server::{Request, streamed};

use crate::mock::filters::{Filters, labels_match};
use crate::mock::shared::Shared;
use crate::mock::stamps::{now_nanos, parse_api_time};
use crate::mock::wire::{self, Reply};
use crate::models::Event;

/// How often an open stream looks for new events.
const POLL: Duration = Duration::from_millis(25);

/// The actor kinds whose filters match an event's actor by ID or name.
const ACTOR_FILTERS: [&str; 6] = [
    "container",
    "service",
    "node",
    "config",
    "secret",
    "network",
];

/// When event `e` happened, in nanoseconds since the epoch.
fn nanos(e: &Event) -> u128 {
    u128::try_from(e.time_nano).unwrap_or(0)
}

/// Whether event `ev` passes `f` like dockerd's `events.Filter.Include`: `type`, `scope`
/// and `event` (the action, or its part before `:`) match exactly; `container`, `service`,
/// `node`, `config`, `secret`, `network` match the actor ID or its `name` attribute by exact
/// value or prefix, and exclude events of other types' actors; `label` (`k` or `k=v`) matches
/// the actor's attributes.
fn event_matches(f: &Filters, ev: &Event) -> bool {
    let id = ev.actor.id.as_str();
    let name = ev.actor.attributes.get("name").map_or("", String::as_str);
    let base_action = ev.action.split(':').next().unwrap_or_default();
    f.any("type", |t| t == ev.kind.as_str())
        && f.any("scope", |s| s == ev.scope)
        && f.any("event", |a| a == ev.action || a == base_action)
        && ACTOR_FILTERS.iter().all(|k| {
            f.any(k, |x| {
                !x.is_empty() && (id.starts_with(x) || (!name.is_empty() && name.starts_with(x)))
            })
        })
        && labels_match(&ev.actor.attributes, f.get("label").unwrap_or_default())
}

/// `GET /events`.
pub(crate) fn stream(shared: &Arc<Shared>, req: &Request) -> Reply {
    let mut times = [None, None];
    for (slot, key) in times.iter_mut().zip(["since", "until"]) {
        if let Some(v) = req.query_param(key).filter(|v| !v.is_empty()) {
            match parse_api_time(&v) {
                Some(t) => *slot = Some(t),
                None => {
                    return wire::error(
                        StatusCode::BAD_REQUEST,
                        &format!("invalid {key} value {v:?}"),
                    );
                }
            }
        }
    }
    let [since, until] = times;
    let f = match Filters::from_request(req) {
        Ok(f) => f,
        Err(e) => return wire::error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let start = now_nanos();
    // Without `since`, only what happens from now on; with it, the recorded events from then.
    let cursor = {
        let st = shared.lock();
        match since {
            Some(s) => st.events.iter().filter(|e| nanos(e) < s).count(),
            None => st.events.len(),
        }
    };
    let shared = Arc::clone(shared);
    let stream = futures_util::stream::unfold((shared, cursor), move |(shared, mut cursor)| {
        let f = f.clone();
        async move {
            loop {
                let now = now_nanos();
                let mut out = Vec::new();
                {
                    let st = shared.lock_ticked();
                    while cursor < st.events.len() {
                        let ev = &st.events[cursor];
                        cursor += 1;
                        if until.is_some_and(|u| nanos(ev) > u) {
                            continue;
                        }
                        if event_matches(&f, ev) {
                            out.extend(serde_json::to_vec(ev).unwrap_or_default());
                            out.push(b'\n');
                        }
                    }
                }
                if !out.is_empty() {
                    return Some((Ok::<_, io::Error>(Bytes::from(out)), (shared, cursor)));
                }
                if until.is_some_and(|u| now > u || u < start) {
                    return None;
                }
                tokio::time::sleep(POLL).await;
            }
        }
    });
    wire::streaming(streamed(stream), "application/json")
}
