#![no_main]
//! nginx configs: what parses renders to text that parses to the same rendering.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        dockwright_fuzz::round_trip::<lb_config::Config>(s);
        dockwright_fuzz::round_trip::<lb_config::Upstream>(s);
        dockwright_fuzz::round_trip::<lb_config::ServerAddr>(s);
        let _ = lb_config::parse_directives(s);
    }
});
