#![no_main]
//! `--mount` and `--publish` values (the docker CLI's grammars), `service.slot`, `--since`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        dockwright_fuzz::round_trip::<swarm_client::mount::MountSpec>(s);
        dockwright_fuzz::round_trip::<swarm_client::port::PortSpec>(s);
        let _ = s.parse::<swarm_client::tasks::ServiceSlot>();
        let _ = swarm_client::models::api_time_arg(s, std::time::UNIX_EPOCH);
    }
});
