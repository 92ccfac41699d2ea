#![no_main]
//! Upload `Range`, download `Content-Range` and `Location` headers (registry-client blobs/client).

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dockwright_fuzz::upload_headers(data);
});
