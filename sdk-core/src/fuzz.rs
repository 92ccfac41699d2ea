//! Entry points for the fuzz targets (`fuzz/` in the repository) into parsers that are not
//! public. Not a public API: compiled only with the `fuzzing` feature, hidden from the docs,
//! and may change in any release.

use crate::helper::CredentialHelper;
use crate::{Credentials, Result};

fn helper() -> CredentialHelper {
    CredentialHelper::new("fuzz", None).expect("a valid helper name")
}

/// What [`CredentialHelper::get`] makes of a helper's exit status (`ok`) and stdout.
///
/// # Errors
/// As [`CredentialHelper::get`] (never quoting the output).
pub fn helper_get_output(ok: bool, stdout: &[u8]) -> Result<Credentials> {
    helper().parse_get(ok, stdout)
}

/// The JSON [`CredentialHelper::store`] writes to a helper's stdin.
///
/// # Errors
/// As [`CredentialHelper::store`] for credentials a helper cannot store.
pub fn helper_store_payload(server_url: &str, credentials: &Credentials) -> Result<Vec<u8>> {
    helper().store_payload(server_url, credentials)
}
