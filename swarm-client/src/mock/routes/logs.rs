//! `GET /services/{id}/logs` and `GET /tasks/{id}/logs` with `stdout`, `stderr`, `tail`,
//! `since`, `timestamps`, `details` and `follow` (the stream stays open, sending appended
//! lines, until the service is removed or the client goes away).

use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;

use sdk_core::test_server::{Request, rfc3339, streamed};

use crate::mock::shared::Shared;
use crate::mock::stamps::{nanos_of, parse_api_time};
use crate::mock::state::{LogLine, State};
use crate::mock::wire::{self, Refused, Reply};
use crate::models::TaskState;

/// How often a `follow` stream looks for new lines.
const FOLLOW_POLL: Duration = Duration::from_millis(25);

/// `GET /services/{id}/logs`.
pub(crate) fn service(shared: &Arc<Shared>, st: &State, req: &Request, id: &str) -> Reply {
    let Some(i) = st.find_service(id) else {
        return wire::not_found("service", id);
    };
    let s = &st.services[i];
    logs(shared, st, req, None, s.id.clone(), s.spec.name.clone())
}

/// `GET /tasks/{id}/logs`: the lines set for the task ID, else its service's lines.
pub(crate) fn task(shared: &Arc<Shared>, st: &State, req: &Request, id: &str) -> Reply {
    let Some(t) = st.tasks.iter().find(|t| t.id == id) else {
        return wire::not_found("task", id);
    };
    let sname = st.service_name(&t.service_id);
    logs(
        shared,
        st,
        req,
        Some(t.id.clone()),
        t.service_id.clone(),
        sname,
    )
}

/// What a logs request asked for.
#[derive(Debug, Clone)]
struct Query {
    stdout: bool,
    stderr: bool,
    tail: Option<usize>,
    since: Option<u128>,
    timestamps: bool,
    follow: bool,
}

impl Query {
    /// Reads the query, or dockerd's refusal of it.
    fn parse(req: &Request) -> Result<Self, Refused> {
        let stdout = req.query_bool("stdout");
        let stderr = req.query_bool("stderr");
        if !stdout && !stderr {
            return Err(Refused::new(
                StatusCode::BAD_REQUEST,
                "Bad parameters: you must choose at least one stream",
            ));
        }
        let tail = match req.query_param("tail").as_deref() {
            None | Some("" | "all") => None,
            Some(n) => match n.parse::<i64>() {
                Ok(n) => usize::try_from(n).ok(),
                Err(_) => {
                    return Err(Refused::new(
                        StatusCode::BAD_REQUEST,
                        format!("invalid tail value {n:?}: must be a number or \"all\""),
                    ));
                }
            },
        };
        let since = match req.query_param("since").filter(|v| !v.is_empty()) {
            None => None,
            Some(v) => match parse_api_time(&v) {
                Some(t) => Some(t),
                None => {
                    // dockerd's words (and status) for a value that is not `SECONDS[.NANOS]`.
                    return Err(Refused::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        format!(
                            "could not parse since timestamp: strconv.ParseInt: parsing {:?}: invalid syntax",
                            v.split('.').next().unwrap_or_default()
                        ),
                    ));
                }
            },
        };
        Ok(Self {
            stdout,
            stderr,
            tail,
            since,
            timestamps: req.query_bool("timestamps"),
            follow: req.query_bool("follow"),
        })
    }
}

/// Renders log lines as multiplexed frames.
#[derive(Debug, Clone)]
struct Render {
    query: Query,
    /// `details=1`: the task attributes dockerd puts before each line.
    details: Option<String>,
}

impl Render {
    fn frames(&self, lines: &[LogLine]) -> Vec<u8> {
        let q = &self.query;
        let mut body = Vec::new();
        for l in lines {
            if q.since.is_some_and(|t| nanos_of(l.at) < t) {
                continue;
            }
            if (l.stream == 1 && q.stdout) || (l.stream == 2 && q.stderr) {
                let mut text = String::new();
                if q.timestamps {
                    text.push_str(&rfc3339(l.at));
                    text.push(' ');
                }
                if let Some(d) = &self.details {
                    text.push_str(d);
                }
                text.push_str(&l.text);
                body.extend(wire::frame(l.stream, text.as_bytes()));
            }
        }
        body
    }
}

/// The logs stream of a service (`task` `None`) or of one of its tasks.
fn logs(
    shared: &Arc<Shared>,
    st: &State,
    req: &Request,
    task: Option<String>,
    sid: String,
    sname: String,
) -> Reply {
    let query = match Query::parse(req) {
        Ok(q) => q,
        Err(refused) => return refused.reply(),
    };
    // `details=1`: dockerd puts the line's task attributes before it. The fake's lines
    // belong to the task they were set for, else to the service's lowest running slot.
    let details = req.query_bool("details").then(|| {
        let owner = match &task {
            Some(t) => st.tasks.iter().find(|x| x.id == *t),
            None => st
                .tasks
                .iter()
                .filter(|x| x.service_id == sid && x.desired == TaskState::Running)
                .min_by_key(|x| x.slot),
        };
        owner.map_or_else(String::new, |t| {
            format!(
                "com.docker.swarm.node.id={},com.docker.swarm.service.id={},com.docker.swarm.task.id={} ",
                t.node_id, t.service_id, t.id
            )
        })
    });
    let follow = query.follow;
    let tail = query.tail;
    let render = Render { query, details };
    let all = st
        .log_lines(&sid, &sname, task.as_deref())
        .unwrap_or_default();
    let first = tail.map_or(0, |n| all.len().saturating_sub(n));
    let initial = render.frames(&all[first..]);
    if !follow {
        return wire::raw_stream(initial);
    }
    let shared = Arc::clone(shared);
    let stream = futures_util::stream::unfold(
        (shared, all.len(), Some(initial)),
        move |(shared, mut cursor, initial)| {
            let render = render.clone();
            let (sid, sname, task) = (sid.clone(), sname.clone(), task.clone());
            async move {
                if let Some(first) = initial {
                    return Some((Ok(Bytes::from(first)), (shared, cursor, None)));
                }
                loop {
                    let lines = shared.lock().log_lines(&sid, &sname, task.as_deref())?;
                    cursor = cursor.min(lines.len());
                    if cursor < lines.len() {
                        let out = render.frames(&lines[cursor..]);
                        cursor = lines.len();
                        if !out.is_empty() {
                            return Some((
                                Ok::<_, io::Error>(Bytes::from(out)),
                                (shared, cursor, None),
                            ));
                        }
                    }
                    tokio::time::sleep(FOLLOW_POLL).await;
                }
            }
        },
    );
    wire::streaming(streamed(stream), "application/vnd.docker.raw-stream")
}
