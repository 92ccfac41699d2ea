#![no_main]
//! `docker save` archives and their `manifest.json` (registry-client `DockerArchive`).

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dockwright_fuzz::docker_save(data);
});
