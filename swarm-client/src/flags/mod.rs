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
mod pflag;
mod resolve;
mod table;
mod update;
mod values;

pub use common::{CommonFlags, HealthFlags, PolicyFlags};
pub use create::CreateFlags;
pub use resolve::{ObjectIds, ObjectNames, PreparedCreate, Updated};
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

/// docker's table with `extra` added, sorted by name.
///
/// # Errors
/// [`FlagsError::Rejected`] (`flag redefined: NAME`, pflag's words) when an extra flag has
/// the name or shorthand of another.
pub(crate) fn with_extra(table: &[FlagDef], extra: &[FlagDef]) -> Result<Vec<FlagDef>, FlagsError> {
    let mut all: Vec<FlagDef> = table.to_vec();
    for f in extra {
        if all
            .iter()
            .any(|g| g.name == f.name || (f.short.is_some() && g.short == f.short))
        {
            return Err(FlagsError::Rejected(format!("flag redefined: {}", f.name)));
        }
        all.push(*f);
    }
    all.sort_by(|a, b| a.name.cmp(b.name));
    Ok(all)
}

/// The values of a program's own flags, parsed along docker's ([`CreateFlags::parse_with`],
/// [`UpdateFlags::parse_with`]): each occurrence in order (`true`/`false` for a boolean).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtraValues(Vec<(&'static str, String)>);

impl ExtraValues {
    /// The last value given for `name`.
    #[must_use]
    pub fn last(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value given for `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the boolean flag `name` was given and last set to true.
    #[must_use]
    pub fn is_true(&self, name: &str) -> bool {
        self.last(name) == Some("true")
    }

    pub(crate) fn push(&mut self, name: &'static str, value: String) {
        self.0.push((name, value));
    }
}

/// Why docker's service flags were refused; the texts are the docker CLI's (pflag's for
/// parse errors).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FlagsError {
    /// `--name` is not a flag of the command.
    #[error("unknown flag: --{0}")]
    UnknownFlag(String),
    /// `-x` is not a shorthand of the command.
    #[error("unknown shorthand flag: '{shorthand}' in -{group}")]
    UnknownShorthand {
        /// The letter.
        shorthand: char,
        /// The rest of the group it was found in.
        group: String,
    },
    /// A flag that takes a value came last (`--name`, as written).
    #[error("flag needs an argument: {0}")]
    NeedsArgument(String),
    /// A short flag that takes a value came last.
    #[error("flag needs an argument: '{shorthand}' in -{group}")]
    ShortNeedsArgument {
        /// The letter.
        shorthand: char,
        /// The rest of the group it was found in.
        group: String,
    },
    /// `---x`, `--=x`.
    #[error("bad flag syntax: {0}")]
    BadSyntax(String),
    /// A value the flag's grammar refuses.
    #[error(
        "invalid argument {} for {} flag: {reason}",
        sdk_grammar::go::quote(value),
        sdk_grammar::go::quote(flag)
    )]
    InvalidArgument {
        /// The value as given.
        value: String,
        /// The flag as pflag names it: `--replicas`, `-e, --env`.
        flag: String,
        /// The grammar's reason.
        reason: String,
    },
    /// `--help` or `-h`: the caller prints [`create_help`] or [`update_help`].
    #[error("help requested")]
    Help,
    /// Too few or too many positional arguments.
    #[error("'{command}' requires {expected}")]
    MissingArguments {
        /// `service create` or `service update`.
        command: &'static str,
        /// `at least 1 argument`, `1 argument`.
        expected: &'static str,
    },
    /// Flags the daemon's API version is too old for, one line each as the docker CLI says
    /// it: `"--oom-score-adj" requires API version 1.46, but the Docker daemon API version is
    /// 1.41`.
    #[error("{}", unsupported_text(flags, daemon))]
    UnsupportedByDaemon {
        /// `(flag, the API version it needs)`, sorted by flag name.
        flags: Vec<(String, String)>,
        /// The daemon's API version.
        daemon: String,
    },
    /// Flags or a combination the docker CLI refuses after parsing, with its text
    /// (`update and rollback configuration is not supported for jobs`, `replicas can only be
    /// used with replicated mode`, `duplicate secret target for db not allowed`, …).
    #[error("{0}")]
    Rejected(String),
    /// The offline entry point met a name only the Engine API can turn into an ID.
    #[error(
        "{kind} {name:?} is referenced by name: its ID must be looked up through the Engine API (use a Client, or pass the ID in ObjectIds)"
    )]
    NeedsLookup {
        /// `secret`, `config` or `network`.
        kind: &'static str,
        /// The name.
        name: String,
    },
    /// A looked-up name does not exist: `secret not found: NAME`, `config not found: NAME`,
    /// `network NAME not found`.
    #[error("{0}")]
    NotFound(String),
    /// `--with-registry-auth` without a docker config to take the credentials from.
    #[error(
        "--with-registry-auth needs the docker config to read registry credentials from (pass a DockerConfig)"
    )]
    NeedsDockerConfig,
    /// The image reference the registry credentials are looked up for is not valid.
    #[error("{reason}")]
    InvalidImage {
        /// The image.
        image: String,
        /// The reference grammar's reason (`invalid reference format`, …).
        reason: String,
    },
    /// Reading the registry credentials (a credential helper, the config file) failed.
    #[error("cannot read the registry credentials for {registry}")]
    RegistryAuth {
        /// The registry.
        registry: String,
        /// What failed.
        #[source]
        source: sdk_core::Error,
    },
    /// An Engine API call failed.
    #[error(transparent)]
    Api(#[from] crate::Error),
}

fn unsupported_text(flags: &[(String, String)], daemon: &str) -> String {
    flags
        .iter()
        .map(|(f, needs)| {
            format!(
                "\"--{f}\" requires API version {needs}, but the Docker daemon API version is {daemon}"
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The flags of `changed` (names) whose version annotation in `table` is newer than `version`:
/// docker's `areFlagsSupported`.
pub(crate) fn check_versions(
    table: &[FlagDef],
    changed: &[String],
    version: crate::ApiVersion,
) -> Result<(), FlagsError> {
    let mut flags: Vec<(String, String)> = Vec::new();
    for name in changed {
        let Some(needs) = table
            .iter()
            .find(|f| f.name == name.as_str())
            .and_then(|f| f.version)
        else {
            continue;
        };
        let ok = needs
            .parse::<crate::ApiVersion>()
            .is_ok_and(|n| version >= n);
        if !ok {
            flags.push((name.clone(), needs.to_owned()));
        }
    }
    flags.sort();
    if flags.is_empty() {
        Ok(())
    } else {
        Err(FlagsError::UnsupportedByDaemon {
            flags,
            daemon: version.to_string(),
        })
    }
}
