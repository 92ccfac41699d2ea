#![no_main]
//! Image references (distribution/reference grammar) and digests.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        dockwright_fuzz::round_trip::<registry_client::reference::Reference>(s);
        dockwright_fuzz::round_trip::<registry_client::digest::Digest>(s);
        dockwright_fuzz::round_trip::<sdk_core::Endpoint>(s);
    }
});
