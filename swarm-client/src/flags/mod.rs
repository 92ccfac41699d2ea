//! docker CLI 28's `service create` and `service update` flags, parsed from docker's own
//! argument list with docker's (spf13/pflag + cobra) rules, and the `ServiceSpec` the docker
//! CLI sends for them.
//!
//! - [`CreateFlags::parse`] takes the arguments exactly as they follow `docker service create`
//!   (`--flag value`, `--flag=value`, `-f value`, `-fvalue`, grouped short booleans,
//!   `--bool=false`, `--`, repeatable flags; the first positional argument is the image and
//!   everything after it the command). [`UpdateFlags::parse`] takes what follows
//!   `docker service update` (flags anywhere, exactly one service). Errors carry pflag's and
//!   docker's texts (`unknown flag: --x`, `invalid argument "x" for "--replicas" flag: …`).
//! - The result is a typed value ([`CreateFlags`], [`UpdateFlags`]) that a program may also
//!   build or change in code.
//! - Offline: [`CreateFlags::to_spec`] gives the spec the CLI sends when nothing needs looking
//!   up; [`UpdateFlags::apply`] edits a stored [`ServiceSpec`](crate::spec::ServiceSpec) with the
//!   CLI's add/remove rules.
//! - Through a [`Client`](crate::Client): [`Client::service_create_from_args`](crate::Client::service_create_from_args) and
//!   [`Client::service_update_from_args`](crate::Client::service_update_from_args) do what the
//!   CLI does around that: refuse flags the daemon's API version is too old for (the CLI's
//!   message), look up secrets, configs and networks by name, pin the image to its digest
//!   (unless `--no-resolve-image`), send registry credentials (`--with-registry-auth`, from a
//!   [`DockerConfig`](sdk_core::DockerConfig) you pass), then create or update.
//! - [`create_help`]/[`update_help`] render docker's `--help` text from the flag tables
//!   ([`create_flags`], [`update_flags`]).
//!
//! Where the CLI's result depends on Go's map order (several `--secret`s, `--env-add` on
//! update, generic resources), this keeps the order given (generic resources: by kind).
//!
//! ```
//! use swarm_client::flags::CreateFlags;
//!
//! // docker service create --name web --replicas 3 --publish mode=host,target=80,published=8080 \
//! //   --mount type=bind,source=/srv/www,target=/usr/share/nginx/html,readonly nginx:1.27
//! let flags = CreateFlags::parse([
//!     "--name", "web", "--replicas", "3",
//!     "--publish", "mode=host,target=80,published=8080",
//!     "--mount", "type=bind,source=/srv/www,target=/usr/share/nginx/html,readonly",
//!     "nginx:1.27",
//! ])?;
//! let spec = flags.to_spec()?;
//! assert_eq!(spec.name, "web");
//! assert_eq!(spec.mode.replicas(), Some(3));
//! let ports = &spec.endpoint_spec.as_ref().expect("endpoint").ports;
//! assert_eq!((ports[0].target_port, ports[0].published_port), (80, 8080));
//! assert_eq!(spec.container().expect("container").mounts[0].source, "/srv/www");
//!
//! // What docker refuses, refused with docker's text.
//! let err = CreateFlags::parse(["--replicas", "three", "nginx"]).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "invalid argument \"three\" for \"--replicas\" flag: strconv.ParseUint: parsing \"three\": invalid syntax"
//! );
//! # Ok::<(), swarm_client::flags::FlagsError>(())
//! ```

mod common;
mod create;
mod error;
mod extra;
mod ids;
mod pflag;
mod resolve;
mod table;
mod update;
mod values;

pub use common::{CommonFlags, HealthFlags, PolicyFlags};
pub use create::CreateFlags;
pub use error::FlagsError;
pub use extra::ExtraValues;
use extra::with_extra;
pub use ids::{ObjectIds, ObjectNames};
pub use resolve::{PreparedCreate, Updated};
pub use table::FlagDef;
pub use update::UpdateFlags;

/// The flags of `docker service create`, sorted by name.
#[must_use]
pub fn create_flags() -> &'static [FlagDef] {
    table::CREATE
}

/// The flags of `docker service update`, sorted by name.
#[must_use]
pub fn update_flags() -> &'static [FlagDef] {
    table::UPDATE
}

/// docker's `service create --help` text, with `program` in place of `docker` in the usage
/// line and a program's own flags (see [`CreateFlags::parse_with`]) among docker's (an extra
/// flag that clashes with one of docker's is left out).
#[must_use]
pub fn create_help(program: &str, extra: &[FlagDef]) -> String {
    let flags = with_extra(table::CREATE, extra).unwrap_or_else(|_| table::CREATE.to_vec());
    table::help(program, table::CREATE_USE, create::CREATE_SHORT, &flags)
}

/// docker's `service update --help` text, with `program` in place of `docker` and a program's
/// own flags among docker's.
#[must_use]
pub fn update_help(program: &str, extra: &[FlagDef]) -> String {
    let flags = with_extra(table::UPDATE, extra).unwrap_or_else(|_| table::UPDATE.to_vec());
    table::help(program, table::UPDATE_USE, update::UPDATE_SHORT, &flags)
}
