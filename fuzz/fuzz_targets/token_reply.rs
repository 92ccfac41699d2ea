#![no_main]
//! Token endpoint replies (registry-client token cache): lifetime bounds, round trip, no token in errors.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dockwright_fuzz::token_reply(data);
});
