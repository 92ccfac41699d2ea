//! Why docker's service flags were refused, and the API version check of the flags given.

use super::table::FlagDef;

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
    /// `--help` or `-h`: the caller prints [`create_help`](super::create_help) or [`update_help`](super::update_help).
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
