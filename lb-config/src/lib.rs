//! nginx load-balancer configs: a typed model of `upstream` and `server` blocks, deterministic
//! rendering, a parser for rendered and hand-written configs (round trip), and validation of nginx's
//! own rules before nginx sees the text. The crate does no I/O; the optional `nginx` feature adds
//! `nginx::apply` (atomic write, `nginx -t`, reload, confirm, restore on failure).
//!
//! # Quick start
//! ```
//! use lb_config::{AccessLog, Config, Location, Method, NginxConf, Server, Upstream, UpstreamServer};
//!
//! # fn main() -> Result<(), lb_config::Error> {
//! let upstream = Upstream::builder("loadbalance")
//!     .method(Method::LeastConn)
//!     .server("192.168.1.157".parse()?)
//!     .server_entry("192.168.1.160 weight=2 max_fails=3 fail_timeout=10s".parse::<UpstreamServer>()?)
//!     .build()?;
//! let server = Server::builder()
//!     .listen("80".parse()?)
//!     .access_log(AccessLog::path("/var/log/nginx/access_lb.log", Some("main"))?)
//!     .location(Location::builder("/").proxy_pass_upstream("loadbalance").build()?)
//!     .build()?;
//! let snippet = Config::builder().upstream(upstream).server(server).build()?;
//! let text = snippet.render();
//! assert_eq!(text.parse::<Config>()?, snippet);
//!
//! // A whole nginx.conf; `log_format main` is defined because the access_log uses it.
//! let full = NginxConf::builder(snippet).build()?;
//! assert!(full.render().contains("log_format main "));
//!
//! // nginx's rules are checked before nginx sees the text:
//! let err = Upstream::builder("lb").method(Method::IpHash)
//!     .server_entry("10.0.0.1 backup".parse()?).build().unwrap_err();
//! assert!(matches!(err, lb_config::Error::BackupNotSupported { .. }));
//! # Ok(()) }
//! ```
//!
//! # Applying it, and testing that without nginx
//!
//! With the `nginx` feature, `nginx::apply` writes the file atomically, runs `nginx -t`,
//! reloads and confirms, restoring the previous file on failure. It drives nginx through the
//! `nginx::NginxRunner` trait, so a test can stand in for nginx and record what happened (for
//! nginx inside a swarm task, `validate`/`reload` would run `nginx -t` / `nginx -s reload`
//! through swarm-client's `exec_in_task`):
//!
//! ```
//! # #[cfg(feature = "nginx")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::cell::RefCell;
//! use lb_config::nginx::{Applied, ApplyError, NginxRunner, apply};
//!
//! /// Records calls; rejects the config while `reject` is set, like `nginx -t` would.
//! #[derive(Default)]
//! struct FakeNginx { calls: RefCell<Vec<&'static str>>, reject: bool }
//! impl NginxRunner for FakeNginx {
//!     fn validate(&self) -> Result<(), ApplyError> {
//!         self.calls.borrow_mut().push("nginx -t");
//!         if self.reject {
//!             return Err(ApplyError::Invalid { stderr: "unexpected \"}\"".into() });
//!         }
//!         Ok(())
//!     }
//!     fn reload(&self) -> Result<(), ApplyError> {
//!         self.calls.borrow_mut().push("nginx -s reload");
//!         Ok(())
//!     }
//! }
//!
//! let dir = tempfile::tempdir()?;
//! let conf = dir.path().join("default.conf");
//! let v1 = b"upstream loadbalance { least_conn; server 127.0.0.1:8081; }\n";
//! let nginx = FakeNginx::default();
//! assert_eq!(apply(&conf, v1, &nginx)?, Applied::Reloaded { confirmed: false });
//! assert_eq!(apply(&conf, v1, &nginx)?, Applied::Unchanged); // same bytes: no reload
//! assert_eq!(*nginx.calls.borrow(), ["nginx -t", "nginx -s reload"]);
//!
//! // A rejected config never stays on disk.
//! let strict = FakeNginx { reject: true, ..FakeNginx::default() };
//! assert!(apply(&conf, b"upstream broken {\n", &strict).is_err());
//! assert_eq!(std::fs::read(&conf)?, v1);
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "nginx"))]
//! # fn main() {}
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

mod addr;
mod conf;
mod directive;
mod error;
mod marker;
mod parse;
#[cfg(feature = "nginx")]
mod recording;
#[cfg(feature = "nginx")]
mod runner;
mod server;
mod upstream;
mod validate;

#[cfg(feature = "nginx")]
#[cfg_attr(docsrs, doc(cfg(feature = "nginx")))]
pub mod nginx;

pub use addr::{Host, ServerAddr};
pub use conf::{Config, ConfigBuilder, LogFormat, NginxConf, NginxConfBuilder};
pub use directive::Directive;
pub use error::{Error, Result};
pub use marker::{MARKER_PATH, config_hash};
pub use parse::{MAX_BLOCK_DEPTH, parse_directives};
pub use server::{AccessLog, Listen, Location, LocationBuilder, ProxyPass, Server, ServerBuilder};
pub use upstream::{
    Method, Upstream, UpstreamBuilder, UpstreamServer, UpstreamServerBuilder, Zone,
};
pub use validate::check_word;

/// The README's example, compiled (and run) as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
