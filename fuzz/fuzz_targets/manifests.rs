#![no_main]
//! Manifests and indexes (registry-client `RawManifest`, the layout/archive reader): typed round trip.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dockwright_fuzz::manifests(data);
});
