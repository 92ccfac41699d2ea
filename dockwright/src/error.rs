//! The error type of this crate.

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong where the crates meet.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The Engine API failed.
    #[error(transparent)]
    Swarm(#[from] swarm_client::Error),
    /// The registry failed (push, pull, a digest mismatch).
    #[error(transparent)]
    Registry(#[from] registry_client::Error),
    /// An image reference that is not valid.
    #[error(transparent)]
    Reference(#[from] registry_client::reference::ReferenceError),
    /// The docker config (credentials) could not be read.
    #[error(transparent)]
    Core(#[from] sdk_core::Error),
    /// A config value nginx would refuse (an lb-config rule).
    #[error(transparent)]
    Config(#[from] lb_config::Error),
    /// Writing, validating or reloading nginx failed (the previous config is back in place).
    #[error(transparent)]
    Apply(#[from] lb_config::nginx::ApplyError),
    /// A task's port or address cannot be worked out.
    #[error("{0}")]
    Backend(String),
    /// The watched service was removed.
    #[error("service {0:?} was removed")]
    ServiceRemoved(String),
    /// A blocking apply could not finish (its thread panicked or was cancelled).
    #[error("the apply task failed: {0}")]
    Join(String),
}
