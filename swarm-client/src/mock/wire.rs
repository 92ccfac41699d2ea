//! The HTTP plumbing of the fake daemon (what goes on the wire): the API version prefix, replies with dockerd's
//! headers, its multiplexed stream frames, and its error replies worded as dockerd words them.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use serde::Serialize;
use serde_json::json;

use sdk_core::test_server::{Body, response};

/// The API version the fake speaks (dockerd 20.10).
pub(crate) const API_VERSION: &str = "1.41";
/// The oldest API version it accepts.
pub(crate) const MIN_API_VERSION: &str = "1.12";
/// The engine version it reports.
pub(crate) const ENGINE_VERSION: &str = "20.10.24+dfsg1";

/// A reply: a response ready to send.
pub(crate) type Reply = Response<Body>;

/// A refused request before it becomes an error reply: the status and dockerd's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refused {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
}

impl Refused {
    /// A refusal with `status` and `message`.
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    /// The error reply.
    pub(crate) fn reply(&self) -> Reply {
        error(self.status, &self.message)
    }
}

/// Strips and checks the `/vX.Y` prefix of a (decoded) path; the path without it, or dockerd's
/// `400` for a version it does not support.
pub(crate) fn api_path(path: &str) -> Result<String, Refused> {
    if let Some(rest) = path.strip_prefix("/v")
        && let Some((ver, tail)) = rest.split_once('/')
        && let Some(minor) = ver.strip_prefix("1.").and_then(|m| m.parse::<u32>().ok())
    {
        if minor > 41 {
            return Err(Refused::new(
                StatusCode::BAD_REQUEST,
                format!(
                    "client version {ver} is too new. Maximum supported API version is {API_VERSION}"
                ),
            ));
        }
        if minor < 12 {
            return Err(Refused::new(
                StatusCode::BAD_REQUEST,
                format!(
                    "client version {ver} is too old. Minimum supported API version is {MIN_API_VERSION}, please upgrade your client to a newer version"
                ),
            ));
        }
        return Ok(format!("/{tail}"));
    }
    Ok(path.to_owned())
}

/// A JSON reply with dockerd's headers.
pub(crate) fn json<T: Serialize + ?Sized>(status: StatusCode, v: &T) -> Reply {
    response(
        status,
        &[
            ("Api-Version", API_VERSION.to_owned()),
            ("Content-Type", "application/json".to_owned()),
            ("Docker-Experimental", "false".to_owned()),
            ("Ostype", "linux".to_owned()),
            ("Server", format!("Docker/{ENGINE_VERSION} (linux) mock")),
        ],
        serde_json::to_vec(v).unwrap_or_default(),
    )
}

/// An error reply: `{"message": …}` with `status`.
pub(crate) fn error(status: StatusCode, message: &str) -> Reply {
    json(status, &json!({ "message": message }))
}

/// A reply without a body.
pub(crate) fn empty(status: StatusCode) -> Reply {
    response(
        status,
        &[("Api-Version", API_VERSION.to_owned())],
        Bytes::new(),
    )
}

/// `GET /_ping`'s plain `OK`.
pub(crate) fn ping() -> Reply {
    response(
        StatusCode::OK,
        &[
            ("Api-Version", API_VERSION.to_owned()),
            ("Content-Type", "text/plain; charset=utf-8".to_owned()),
            ("Ostype", "linux".to_owned()),
        ],
        "OK",
    )
}

/// One frame of Docker's multiplexed stream: `[stream,0,0,0,len(u32 BE)] + payload`.
pub(crate) fn frame(stream: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![stream, 0, 0, 0];
    out.extend_from_slice(
        &u32::try_from(payload.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes(),
    );
    out.extend_from_slice(payload);
    out
}

/// A complete `application/vnd.docker.raw-stream` reply (multiplexed frames).
pub(crate) fn raw_stream(body: Vec<u8>) -> Reply {
    response(
        StatusCode::OK,
        &[
            ("Api-Version", API_VERSION.to_owned()),
            (
                "Content-Type",
                "application/vnd.docker.raw-stream".to_owned(),
            ),
        ],
        body,
    )
}

/// A streamed reply (`/events`, `logs?follow=1`) with `content_type`.
pub(crate) fn streaming(body: Body, content_type: &'static str) -> Reply {
    let mut resp = Response::new(body);
    let h = resp.headers_mut();
    h.insert("Api-Version", HeaderValue::from_static(API_VERSION));
    h.insert("Content-Type", HeaderValue::from_static(content_type));
    resp
}

/// `404 page not found`: no such route.
pub(crate) fn page_not_found() -> Reply {
    error(StatusCode::NOT_FOUND, "page not found")
}

/// `404 {what} {id} not found` (`service x not found`, `node x not found`, …).
pub(crate) fn not_found(what: &str, id: &str) -> Reply {
    error(StatusCode::NOT_FOUND, &format!("{what} {id} not found"))
}

/// The `500` an update with a stale `version` gets.
pub(crate) fn out_of_sequence() -> Reply {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "rpc error: code = Unknown desc = update out of sequence",
    )
}

/// The `503` of a swarm endpoint on a daemon that is not in a swarm.
pub(crate) fn not_in_swarm() -> Reply {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again.",
    )
}

/// The `503` of a swarm endpoint on a worker.
pub(crate) fn not_manager() -> Reply {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. Please run this command on a manager node or promote the current node to a manager.",
    )
}

/// The `503` of `swarm init`/`join` on a daemon already in a swarm.
pub(crate) fn already_in_swarm() -> Reply {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "This node is already part of a swarm. Use \"docker swarm leave\" to leave this swarm and join another one.",
    )
}

/// Whether a query flag such as `force` or `rotateWorkerToken` is set (`1` or `true`).
pub(crate) fn flag(value: Option<String>) -> bool {
    matches!(value.as_deref(), Some("1" | "true"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_have_docker_header() {
        assert_eq!(frame(2, b"hi"), vec![2, 0, 0, 0, 0, 0, 0, 2, b'h', b'i']);
    }

    #[test]
    fn version_prefix_is_stripped_or_refused() {
        assert_eq!(api_path("/v1.41/info").ok().as_deref(), Some("/info"));
        assert_eq!(api_path("/info").ok().as_deref(), Some("/info"));
        assert_eq!(api_path("/v1.12/info").ok().as_deref(), Some("/info"));
        let too_new = api_path("/v1.42/info").unwrap_err();
        assert_eq!(too_new.status, StatusCode::BAD_REQUEST);
        assert!(
            too_new.message.contains("1.42 is too new"),
            "{}",
            too_new.message
        );
        let too_old = api_path("/v1.11/info").unwrap_err();
        assert!(
            too_old.message.contains("1.11 is too old"),
            "{}",
            too_old.message
        );
    }
}
