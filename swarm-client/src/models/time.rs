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
}
