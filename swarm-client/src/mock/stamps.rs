//! Object IDs and times as the daemon writes and reads them.

use std::time::{SystemTime, UNIX_EPOCH};

use sdk_core::test_server::{random_hex, rfc3339};

/// A swarm object ID: 25 characters of `[0-9a-z]`.
pub(crate) fn new_id() -> String {
    let hex = random_hex(50);
    hex.as_bytes()
        .chunks(2)
        .map(|c| {
            let v = u8::from_str_radix(std::str::from_utf8(c).unwrap_or("0"), 16).unwrap_or(0) % 36;
            char::from_digit(u32::from(v), 36).unwrap_or('0')
        })
        .collect()
}

/// A container or exec ID: 64 hex characters.
pub(crate) fn long_id() -> String {
    random_hex(64)
}

/// Nanoseconds since the epoch of `t` (0 before it).
pub(crate) fn nanos_of(t: SystemTime) -> u128 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// Nanoseconds since the epoch, now.
pub(crate) fn now_nanos() -> u128 {
    nanos_of(SystemTime::now())
}

/// Now, as the daemon writes times in JSON (RFC 3339 with nanoseconds).
pub(crate) fn now_str() -> String {
    rfc3339(SystemTime::now())
}

/// Parses a Docker API time argument (`SECONDS[.NANOS]`, what `since`/`until` carry) into
/// nanoseconds since the epoch.
pub(crate) fn parse_api_time(s: &str) -> Option<u128> {
    let (secs, frac) = s.split_once('.').unwrap_or((s, "0"));
    let secs: u128 = secs.parse().ok()?;
    let frac = format!("{frac:0<9}");
    Some(secs * 1_000_000_000 + frac.get(..9)?.parse::<u128>().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_like_swarm_ids() {
        let id = new_id();
        assert_eq!(id.len(), 25);
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
        );
        assert_ne!(id, new_id());
        assert_eq!(long_id().len(), 64);
    }

    #[test]
    fn api_times_are_seconds_with_optional_nanos() {
        assert_eq!(parse_api_time("12"), Some(12_000_000_000));
        assert_eq!(parse_api_time("12.5"), Some(12_500_000_000));
        assert_eq!(parse_api_time("12.000000001"), Some(12_000_000_001));
        assert_eq!(parse_api_time("x"), None);
        assert_eq!(parse_api_time("1.x"), None);
    }
}
