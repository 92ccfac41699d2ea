#![no_main]
//! `--mount` and `--publish` values (the docker CLI's grammars), `service.slot`, `--since`, and
//! `docker service create`/`update` argument lists (NUL-separated) through `swarm_client::flags`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        dockwright_fuzz::round_trip::<swarm_client::mount::MountSpec>(s);
        dockwright_fuzz::round_trip::<swarm_client::port::PortSpec>(s);
        let _ = s.parse::<swarm_client::tasks::ServiceSlot>();
        let _ = swarm_client::models::api_time_arg(s, std::time::UNIX_EPOCH);
        let args: Vec<&str> = s.split('\0').collect();
        if let Ok(f) = swarm_client::flags::CreateFlags::parse(args.iter().copied()) {
            let _ = f.to_spec();
        }
        if let Ok(f) = swarm_client::flags::UpdateFlags::parse(args.iter().copied()) {
            let mut spec = swarm_client::spec::ServiceSpec::default();
            let _ = f.apply(&mut spec, &swarm_client::flags::ObjectIds::default());
        }
    }
});
