//! Errors: [`LoadError`] for reading and converting compose files (pure, comparable in tests),
//! [`Error`] for everything, including the daemon's answers when deploying.

use std::collections::BTreeMap;

use crate::interpolate::InterpolationError;
use crate::yaml::YamlError;

/// Why compose files could not be loaded or converted. The `Display` texts are docker's where
/// docker has one, so a message names the same key and service docker names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// No compose file was given.
    #[error("Specify a Compose file (with --compose-file)")]
    NoFiles,
    /// The stack name is empty (or only quotes and spaces).
    #[error("invalid stack name: {0:?}")]
    InvalidStackName(String),
    /// A file could not be read.
    #[error("{path}: {reason}")]
    Read {
        /// The path.
        path: String,
        /// The OS error.
        reason: String,
    },
    /// A file is not YAML docker reads.
    #[error("{file}: {source}")]
    Yaml {
        /// The file name.
        file: String,
        /// The YAML problem.
        #[source]
        source: YamlError,
    },
    /// `version:` names no schema docker has.
    #[error("unsupported Compose file version: {0}")]
    UnsupportedVersion(String),
    /// Two files name different versions.
    #[error("version mismatched between two composefiles : {0} and {1}")]
    VersionMismatch(String, String),
    /// Keys docker refuses outright (`extends`, `volumes_from`, `cpu_shares`, …): name → why.
    #[error("Compose file contains unsupported options:\n\n{}\n", property_lines(.0))]
    Forbidden(BTreeMap<String, String>),
    /// Interpolation failed.
    #[error(transparent)]
    Interpolation(#[from] InterpolationError),
    /// docker's schema refuses a value: `field` is the dotted path (`services.web.read_only`,
    /// `(root)` for the top level), `problem` docker's description.
    #[error("{field} {problem}")]
    Schema {
        /// The dotted path of the value.
        field: String,
        /// docker's description (`must be a boolean`, `Additional property foo is not allowed`).
        problem: String,
    },
    /// A value passed the schema but docker's loader could not use it.
    #[error("{path}: {reason}")]
    Transform {
        /// Where.
        path: String,
        /// Why.
        reason: String,
    },
    /// Settings that exclude each other (docker's text).
    #[error("{0}")]
    Conflict(String),
    /// An `env_file` could not be read or parsed.
    #[error("{reason}")]
    EnvFile {
        /// The file.
        path: String,
        /// docker's text.
        reason: String,
    },
    /// A service has no image or an invalid one.
    #[error("invalid image reference for service {service}: {reason}")]
    Image {
        /// The service.
        service: String,
        /// Why.
        reason: String,
    },
    /// A service could not be converted to a swarm spec (docker's `service NAME: …`).
    #[error("service {service}: {reason}")]
    Service {
        /// The service key.
        service: String,
        /// docker's text (`undefined network "x"`, `Unknown mode: x`, …).
        reason: String,
    },
    /// The file of a secret or config could not be read.
    #[error("open {path}: {reason}")]
    ObjectFile {
        /// The file.
        path: String,
        /// The OS error.
        reason: String,
    },
}

fn property_lines(props: &BTreeMap<String, String>) -> String {
    props
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The compose files could not be loaded or converted.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The daemon refused or failed a call.
    #[cfg(feature = "client")]
    #[cfg_attr(docsrs, doc(cfg(feature = "client")))]
    #[error("{context}: {source}")]
    Api {
        /// What was being done (`create service web_app`).
        context: String,
        /// The client error.
        #[source]
        source: Box<swarm_client::Error>,
    },
    /// A check against the swarm failed before anything was created.
    #[error("{0}")]
    Check(String),
    /// A service did not converge: its name and the task error the daemon reports.
    #[error("service {service}: {message}")]
    NotConverged {
        /// The service name.
        service: String,
        /// The task error (`No such image: …`) or what was still missing at the deadline.
        message: String,
    },
    /// A flag value docker refuses (`Invalid option x for flag --resolve-image`).
    #[error("{0}")]
    InvalidOption(String),
}

/// This crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
