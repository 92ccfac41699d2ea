//! RFC 3339 timestamps as the daemon writes them (`2024-05-01T12:34:56.123456789Z`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A parsed daemon timestamp (nanoseconds since the Unix epoch, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    nanos: i128,
}

impl Timestamp {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`; `None` when malformed.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let t = s.get(r)?;
            if !t.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            t.parse().ok()
        };
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
            return None;
        }
        let mut i = 19;
        let mut frac: i128 = 0;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let digits = &s[start..i];
            if digits.is_empty() {
                return None;
            }
            let mut n: i128 = 0;
            for (k, c) in digits.bytes().enumerate() {
                if k < 9 {
                    n = n * 10 + i128::from(c - b'0');
                }
            }
            for _ in digits.len()..9 {
                n *= 10;
            }
            frac = n;
        }
        let offset_secs: i64 = match s.get(i..)? {
            "Z" | "z" => 0,
            tz if tz.len() == 6 && (tz.starts_with('+') || tz.starts_with('-')) => {
                let oh = num(i + 1..i + 3)?;
                let om = num(i + 4..i + 6)?;
                let sign = if tz.starts_with('-') { -1 } else { 1 };
                sign * (oh * 3600 + om * 60)
            }
            _ => return None,
        };
        let days = days_from_civil(y, mo, d);
        let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset_secs;
        Some(Self {
            nanos: i128::from(secs) * 1_000_000_000 + frac,
        })
    }

    /// Nanoseconds since the Unix epoch.
    #[must_use]
    pub fn unix_nanos(self) -> i128 {
        self.nanos
    }

    /// As a [`SystemTime`].
    #[must_use]
    pub fn to_system_time(self) -> SystemTime {
        if self.nanos >= 0 {
            UNIX_EPOCH + Duration::from_nanos(u64::try_from(self.nanos).unwrap_or(u64::MAX))
        } else {
            UNIX_EPOCH - Duration::from_nanos(u64::try_from(-self.nanos).unwrap_or(u64::MAX))
        }
    }
}

/// Converts a `--since`/`--until` value the way the docker CLI does (its `GetTimestamp`) into
/// what the Engine API takes (`seconds[.nanoseconds]` since the Unix epoch):
///
/// - a Go duration (`42m`, `1h30m`, `1.5s`, `300ms`) counts back from `now` (whole seconds);
/// - an RFC 3339 time (`2024-05-01T12:34:56Z`, `…+02:00`, fractions, `T15` and `T15:04`) or a
///   date (`2024-05-01`); without a zone it is read as UTC (the CLI reads the local zone);
/// - a Unix timestamp (`1714566896` or `1714566896.123456789`) is sent as given.
///
/// # Errors
/// A message naming the value when it is none of these (as the CLI's
/// `failed to parse value as time or duration`).
pub fn api_time_arg(value: &str, now: SystemTime) -> Result<String, String> {
    let fail = || format!("failed to parse value as time or duration: {value:?}");
    let v = value.trim();
    if v.is_empty() {
        return Err(fail());
    }
    if v != "0"
        && let Ok(nanos) = sdk_grammar::go::parse_duration(v).map(i128::from)
    {
        let now = i128::try_from(
            now.duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos(),
        )
        .unwrap_or(i128::MAX);
        return Ok((now - nanos).div_euclid(1_000_000_000).to_string());
    }
    if v.contains('-') {
        let t = rfc3339_like(v).ok_or_else(fail)?;
        let n = t.unix_nanos();
        return Ok(format!(
            "{}.{:09}",
            n.div_euclid(1_000_000_000),
            n.rem_euclid(1_000_000_000)
        ));
    }
    let (secs, frac) = v.split_once('.').unwrap_or((v, ""));
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit());
    if digits(secs) && (frac.is_empty() || digits(frac)) && frac.len() <= 9 && secs.len() <= 19 {
        return Ok(v.to_owned());
    }
    Err(fail())
}

/// `2024-05-01`, `2024-05-01T15`, `2024-05-01T15:04`, `2024-05-01T15:04:05[.frac]`, each with
/// an optional `Z` or `±HH:MM` (UTC without one).
fn rfc3339_like(v: &str) -> Option<Timestamp> {
    let (date, time) = match v.find(['T', 't']) {
        Some(i) => (&v[..i], &v[i + 1..]),
        None => (v, ""),
    };
    if date.len() != 10 {
        return None;
    }
    let zone_at = time
        .find(['Z', 'z', '+'])
        .or_else(|| time.rfind('-'))
        .unwrap_or(time.len());
    let (clock, zone) = time.split_at(zone_at);
    let zone = if zone.is_empty() { "Z" } else { zone };
    let (hms, frac) = match clock.split_once('.') {
        Some((h, f)) => (h, Some(f)),
        None => (clock, None),
    };
    let hms = match hms.len() {
        0 if frac.is_none() => "00:00:00".to_owned(),
        2 => format!("{hms}:00:00"),
        5 => format!("{hms}:00"),
        8 => hms.to_owned(),
        _ => return None,
    };
    let frac = frac.map(|f| format!(".{f}")).unwrap_or_default();
    Timestamp::parse(&format!("{date}T{hms}{frac}{zone}"))
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_daemon_timestamps() {
        let t = Timestamp::parse("1970-01-01T00:00:01.5Z").unwrap();
        assert_eq!(t.unix_nanos(), 1_500_000_000);
        let t = Timestamp::parse("2024-05-01T12:34:56.123456789Z").unwrap();
        assert_eq!(t.unix_nanos(), 1_714_566_896_123_456_789);
        let t2 = Timestamp::parse("2024-05-01T14:34:56.123456789+02:00").unwrap();
        assert_eq!(t, t2);
        assert!(Timestamp::parse("2024-05-01").is_none());
        assert!(Timestamp::parse("2024-13-01T00:00:00Z").is_none());
        assert!(Timestamp::parse("2024-05-01T00:00:00.Z").is_none());
        assert!(Timestamp::parse("0001-01-01T00:00:00Z").is_some());
    }

    #[test]
    fn api_time_args_like_the_cli() {
        let now = UNIX_EPOCH + Duration::from_secs(1_714_566_896) + Duration::from_millis(700);
        let ok = |v: &str| api_time_arg(v, now).unwrap();
        // durations count back from now, whole seconds
        assert_eq!(ok("42m"), (1_714_566_896 - 42 * 60).to_string());
        assert_eq!(ok("1h30m"), (1_714_566_896 - 5400).to_string());
        assert_eq!(ok("1.5s"), "1714566895");
        assert_eq!(ok("300ms"), "1714566896");
        assert_eq!(ok("-10s"), "1714566906");
        // RFC 3339 and dates
        assert_eq!(ok("2024-05-01T12:34:56Z"), "1714566896.000000000");
        assert_eq!(ok("2024-05-01T14:34:56.5+02:00"), "1714566896.500000000");
        assert_eq!(ok("2024-05-01T12:34:56"), "1714566896.000000000");
        assert_eq!(ok("2024-05-01T12:34"), "1714566840.000000000");
        assert_eq!(ok("2024-05-01T12"), "1714564800.000000000");
        assert_eq!(ok("2024-05-01"), "1714521600.000000000");
        assert_eq!(ok("2024-05-01T12:34:56-01:00"), "1714570496.000000000");
        // Unix timestamps pass through
        assert_eq!(ok("1714566896"), "1714566896");
        assert_eq!(ok("1714566896.123456789"), "1714566896.123456789");
        assert_eq!(ok("0"), "0");
        for bad in [
            "",
            "yesterday",
            "42x",
            "2024-13-01",
            "2024-05-01T25",
            "1.2.3",
            "1714566896.1234567890",
            "m",
            "-",
        ] {
            let e = api_time_arg(bad, now).unwrap_err();
            assert!(
                e.contains("failed to parse value as time or duration"),
                "{bad}: {e}"
            );
        }
    }
}
