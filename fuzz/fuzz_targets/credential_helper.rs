#![no_main]
//! A credential helper's `get` output (sdk-core helper): no panic, no secret shown, store payload round trip.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dockwright_fuzz::credential_helper(data);
});
