//! OCI Distribution registry client: references, auth challenges, push, pull, tag, copy.

pub mod digest;
pub mod image;
pub mod reference;

mod archive;
pub mod auth;
pub mod blobs;
pub mod client;
pub mod error;
pub mod manifests;
pub mod progress;
pub mod pull;
pub mod push;
pub mod tags;
mod token_cache;

pub use auth::{Challenge, Scope, parse_www_authenticate};
pub use client::{Client, ClientBuilder};
pub use error::{ApiError, Error, ErrorCode, OciError, Result};
pub use progress::{ProgressEvent, ProgressKind, ProgressSink};

/// Re-exported from sdk-core: credentials, docker config and retry policy used by [`ClientBuilder`].
pub use sdk_core::{Credentials, DockerConfig, RetryPolicy, Secret};

#[cfg(feature = "mock")]
pub mod mock;
