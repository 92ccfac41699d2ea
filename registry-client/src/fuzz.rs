//! Entry points for the fuzz targets (`fuzz/` in the repository) into parsers of server
//! replies and local files that are not public. Not a public API: compiled only with the
//! `fuzzing` feature, hidden from the docs, and may change in any release.

use std::time::Duration;

use crate::error::Result;
use crate::image::{ImageError, ManifestDoc, pick_platform};
use crate::manifests::RawManifest;

/// A token endpoint's reply: the token and how long it is kept.
///
/// # Errors
/// `Error::Token` for a reply without a token or that is not the expected JSON.
pub fn token_reply(body: &[u8]) -> Result<(String, Duration)> {
    crate::token_cache::parse_token_reply(body, "https://auth.example/token")
}

/// An upload status `Range` header: the offset to continue a blob of `size` bytes from
/// (`None`: start over).
///
/// # Errors
/// Why the value is refused.
pub fn upload_range(value: &str, size: u64) -> std::result::Result<Option<u64>, &'static str> {
    crate::blobs::parse_upload_range(value, size)
}

/// The first byte of a `Content-Range` reply to a resumed download.
#[must_use]
pub fn content_range_start(value: &str) -> Option<u64> {
    crate::blobs::content_range_start(value)
}

/// A `Location` header (raw bytes) resolved against the URL of the reply that carried it;
/// `None` when `base` is not a URL or the bytes could not arrive as a header value.
#[must_use]
pub fn location(base: &str, value: &[u8]) -> Option<Result<url::Url>> {
    let base = url::Url::parse(base).ok()?;
    let value = reqwest::header::HeaderValue::from_bytes(value).ok()?;
    Some(crate::client::join_location(&base, &value))
}

/// The digests and sizes of the config and layers a manifest names, each once (what push,
/// pull and copy read from a manifest).
///
/// # Errors
/// `Error::InvalidManifest` for bytes that are not a manifest; `Error::Invalid` for a bad
/// digest.
pub fn manifest_blobs(manifest: &RawManifest) -> Result<Vec<(String, u64)>> {
    let parsed = manifest.parse()?;
    let mut out = Vec::new();
    if let Some(m) = parsed.as_image() {
        crate::manifests::add_blobs(&mut out, m)?;
    }
    Ok(out.into_iter().map(|(d, n)| (d.to_string(), n)).collect())
}

/// A manifest or index as the OCI layout and `docker save` readers parse it: its effective
/// media type, the number of layers and the digest the index picks for this host, if any.
///
/// # Errors
/// `ImageError::Json` for bytes that are not such a document.
pub fn layout_manifest(
    bytes: &[u8],
) -> std::result::Result<(String, usize, Option<String>), ImageError> {
    let doc = ManifestDoc::parse(bytes, "fuzz")?;
    let picked = pick_platform(&doc.manifests, "fuzz")
        .ok()
        .map(|d| d.digest.clone());
    Ok((doc.effective_media_type(""), doc.layers.len(), picked))
}

/// A `docker save` archive's `manifest.json`: the number of images it lists.
///
/// # Errors
/// `ImageError::Json` or `ImageError::InvalidLayout` (no image).
pub fn docker_save_manifest(bytes: &[u8]) -> std::result::Result<usize, ImageError> {
    crate::image::parse_save_manifest(bytes).map(|e| e.len())
}
