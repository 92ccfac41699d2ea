#![no_main]
//! `WWW-Authenticate` challenges and `X-Registry-Auth` headers: never a panic.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(challenges) = registry_client::auth::parse_www_authenticate(s) {
            for c in &challenges {
                let _ = format!("{c:?}");
            }
        }
        let _ = sdk_core::RegistryAuth::decode(s);
    }
});
