//! `GET /distribution/{image}/json`: the manifest digest of an image the builder named.

use http::StatusCode;
use serde_json::json;

use crate::mock::config::Settings;
use crate::mock::wire::{self, Reply};

/// `GET /distribution/{image}/json`.
pub(crate) fn distribution(cfg: &Settings, image: &str) -> Reply {
    match cfg.image_digest(image) {
        Some(digest) => wire::json(
            StatusCode::OK,
            &json!({
                "Descriptor": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest, "size": 0},
                "Platforms": [{"architecture": "amd64", "os": "linux"}],
            }),
        ),
        None => wire::error(
            StatusCode::FORBIDDEN,
            &format!("Error response from daemon: manifest unknown: {image}"),
        ),
    }
}
