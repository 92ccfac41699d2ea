//! Building blocks for in-process HTTP test servers (feature `test-server`): the shared
//! plumbing of `registry_client::mock::MockRegistry` and `swarm_client::mock::MockSwarm`, and
//! of any fake a user writes for their own tests.
//!
//! - [`serve`] runs a handler `Fn(Request) -> Future<Output = Response<Body>>` on a loopback
//!   TCP port ([`bind_loopback`]) or a unix socket ([`Listener`]) until the returned
//!   [`ServerHandle`] is dropped.
//! - [`RequestLog`] counts and records requests ([`RecordedRequest`], credentials redacted)
//!   and hands out the [`Fault`]s scheduled for the N-th request (a status with optional
//!   `Retry-After`, or a connection dropped mid-body via [`drop_midway`]).
//! - [`TestClient`] sends exactly the request a test describes (on
//!   [`Transport`](crate::Transport), no retries, no redirects) and reports truncated bodies.
//!
//! ```no_run
//! use std::sync::{Arc, Mutex};
//!
//! use http::StatusCode;
//! use sdk_core::test_server::{
//!     Fault, Listener, RequestLog, TestClient, bind_loopback, response, serve,
//! };
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let log = Arc::new(Mutex::new(RequestLog::new(64 * 1024)));
//! let (listener, addr) = bind_loopback().await?;
//! let handler_log = Arc::clone(&log);
//! let _server = serve(Listener::Tcp(listener), move |req| {
//!     let fault = handler_log.lock().expect("log").record(&req);
//!     async move {
//!         match fault {
//!             Some(Fault::Status { status, .. }) => response(
//!                 StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
//!                 &[],
//!                 "injected",
//!             ),
//!             _ => response(StatusCode::OK, &[("Content-Type", "text/plain".to_owned())], "OK"),
//!         }
//!     }
//! });
//!
//! log.lock().expect("log").inject(2, Fault::Status { status: 503, retry_after: None });
//! let client = TestClient::new(&addr.to_string())?;
//! assert_eq!(client.send("GET", "/_ping", &[], b"").await?.status, 200);
//! assert_eq!(client.send("GET", "/_ping", &[], b"").await?.status, 503);
//! assert_eq!(log.lock().expect("log").requests().len(), 2);
//! # Ok(())
//! # }
//! ```

mod client;
mod log;
mod server;

pub use client::{TestClient, TestResponse};
pub use log::{Fault, RecordedRequest, RequestLog};
pub use server::{
    Body, Listener, Request, ServerHandle, bind_loopback, drop_midway, full, random_hex,
    redacted_headers, response, rfc3339, serve, streamed, truncated,
};
