#![no_main]
//! HTTP error bodies (sdk-core `error_body`): no panic, bounded clean messages, no credential survives.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dockwright_fuzz::error_body(data);
});
