#![no_main]
//! Engine `/events` lines (swarm-client events decoder): chunking-independent, events round trip.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dockwright_fuzz::engine_events(data);
});
