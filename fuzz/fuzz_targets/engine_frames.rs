#![no_main]
//! Engine log/exec frames (swarm-client `stream::Demux`): chunked decoding agrees with the format.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dockwright_fuzz::engine_frames(data);
});
