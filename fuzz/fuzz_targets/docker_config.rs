#![no_main]
//! docker's `config.json` (sdk-core `DockerConfig`): parse, credentials, store and read back.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        dockwright_fuzz::docker_config(s);
    }
});
