//! `github.com/docker/go-units` sizes, as the docker CLI reads `--limit-memory`,
//! `--reserve-memory`, `tmpfs-size=` and compose files read `mem_limit`/`shm_size`.

use crate::error::{Error, Result};
use crate::go;

/// `units.RAMInBytes` (go-units v0.5): a number, an optional space, then an optional binary
/// unit `k`, `m`, `g`, `t`, `p` (any case, optionally followed by `b` or `ib`) or just `b`.
/// The number is read by `strconv.ParseFloat` and truncated to an integer as Go converts.
///
/// # Errors
/// [`Error::Size`] without a number or for a negative one, [`Error::SizeSuffix`] for an
/// unknown unit, [`Error::Float`] for a malformed number — the texts go-units returns.
///
/// ```
/// use sdk_grammar::units::ram_in_bytes;
/// assert_eq!(ram_in_bytes("64m"), Ok(64 << 20));
/// assert_eq!(ram_in_bytes("1.5 GiB"), Ok(3 << 29));
/// assert_eq!(ram_in_bytes("lots").unwrap_err().to_string(), "invalid size: 'lots'");
/// assert_eq!(ram_in_bytes("12x").unwrap_err().to_string(), "invalid suffix: 'x'");
/// ```
pub fn ram_in_bytes(s: &str) -> Result<i64> {
    parse_size(s, |u| match u {
        b'k' => Some(1 << 10),
        b'm' => Some(1 << 20),
        b'g' => Some(1 << 30),
        b't' => Some(1 << 40),
        b'p' => Some(1 << 50),
        _ => None,
    })
}

/// `units.FromHumanSize`: as [`ram_in_bytes`] with decimal units (`k` = 1000, …).
///
/// # Errors
/// As [`ram_in_bytes`].
///
/// ```
/// assert_eq!(sdk_grammar::units::from_human_size("1.5kB"), Ok(1500));
/// ```
pub fn from_human_size(s: &str) -> Result<i64> {
    parse_size(s, |u| match u {
        b'k' => Some(1_000),
        b'm' => Some(1_000_000),
        b'g' => Some(1_000_000_000),
        b't' => Some(1_000_000_000_000),
        b'p' => Some(1_000_000_000_000_000),
        _ => None,
    })
}

/// docker's `opts.ParseCPUs` (`--limit-cpu`, compose `cpus`): a rational number of CPUs
/// (`0.5`, `1/4`, `2e-1`, as Go's `big.Rat.SetString` reads them) in nano CPUs.
///
/// # Errors
/// [`Error::Cpus`] with docker's texts: `failed to parse X as a rational number`, `value is
/// too precise`.
///
/// ```
/// use sdk_grammar::units::parse_cpus;
/// assert_eq!(parse_cpus("0.5"), Ok(500_000_000));
/// assert_eq!(parse_cpus("1/4"), Ok(250_000_000));
/// assert_eq!(parse_cpus("0.0000000001").unwrap_err().to_string(), "value is too precise");
/// ```
pub fn parse_cpus(s: &str) -> Result<i64> {
    let bad = |too_precise| Error::Cpus {
        input: s.to_owned(),
        too_precise,
    };
    let (num, den) = go::parse_rat(s).ok_or_else(|| bad(false))?;
    let scaled = num.checked_mul(1_000_000_000).ok_or_else(|| bad(false))?;
    if scaled % den != 0 {
        return Err(bad(true));
    }
    let n = scaled / den;
    // big.Int.Int64: the low 64 bits of the magnitude, with the sign.
    #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
    let low = n.unsigned_abs() as u64 as i64;
    Ok(if n < 0 { low.wrapping_neg() } else { low })
}

fn parse_size(s: &str, unit: impl Fn(u8) -> Option<u64>) -> Result<i64> {
    let invalid = || Error::Size {
        input: s.to_owned(),
    };
    let sep = s
        .rfind(|c: char| c.is_ascii_digit() || c == '.' || c == ' ')
        .ok_or_else(invalid)?;
    let (num, sfx) = if s.as_bytes()[sep] == b' ' {
        (&s[..sep], &s[sep + 1..])
    } else {
        (&s[..=sep], &s[sep + 1..])
    };
    let size = go::parse_float(num)?;
    if size < 0.0 {
        return Err(invalid());
    }
    if sfx.is_empty() {
        return Ok(go_f64_to_i64(size));
    }
    let lower = sfx.to_ascii_lowercase();
    let bad_suffix = || Error::SizeSuffix {
        suffix: lower.clone(),
    };
    let b = lower.as_bytes();
    if b.len() > 3 {
        return Err(bad_suffix());
    }
    if b[0] == b'b' {
        return if b.len() > 1 {
            Err(bad_suffix())
        } else {
            Ok(go_f64_to_i64(size))
        };
    }
    let mul = unit(b[0]).ok_or_else(bad_suffix)?;
    if (b.len() == 2 && b[1] != b'b') || (b.len() == 3 && &lower[1..] != "ib") {
        return Err(bad_suffix());
    }
    #[allow(clippy::cast_precision_loss)] // the multipliers are exact in f64
    Ok(go_f64_to_i64(size * mul as f64))
}

/// Go's float64 → int64 conversion on amd64: truncation, and the "integer indefinite" value
/// `i64::MIN` when out of range or NaN.
#[allow(clippy::cast_possible_truncation)]
fn go_f64_to_i64(v: f64) -> i64 {
    if v.is_nan() || !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&v) {
        i64::MIN
    } else {
        v as i64
    }
}

/// go-units' decimal size names.
const DECIMAL: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];

/// `units.HumanSizeWithPrecision`: bytes in decimal units with `precision` significant
/// digits, as Go's `%.*g` prints them (`docker image ls` uses precision 3).
///
/// ```
/// use sdk_grammar::units::human_size_with_precision;
/// assert_eq!(human_size_with_precision(1_980_000.0, 3), "1.98MB");
/// assert_eq!(human_size_with_precision(1_073_741_824.0, 3), "1.07GB");
/// assert_eq!(human_size_with_precision(999_900.0, 3), "1e+03kB");
/// ```
#[must_use]
pub fn human_size_with_precision(size: f64, precision: usize) -> String {
    let mut size = size;
    let mut i = 0;
    while size >= 1000.0 && i < DECIMAL.len() - 1 {
        size /= 1000.0;
        i += 1;
    }
    format!("{}{}", go_g(size, precision), DECIMAL[i])
}

/// `units.HumanSize`: [`human_size_with_precision`] with 4 digits.
#[must_use]
pub fn human_size(size: f64) -> String {
    human_size_with_precision(size, 4)
}

/// Go's `%.*g`: `prec` significant digits, trailing zeros dropped, scientific notation
/// (`1e+03`) when the exponent is below -4 or at least `prec`.
fn go_g(v: f64, prec: usize) -> String {
    let prec = prec.max(1);
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let sci = format!("{:.*e}", prec - 1, v);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let trim = |s: &str| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        } else {
            s.to_owned()
        }
    };
    if exp < -4 || exp >= i32::try_from(prec).unwrap_or(i32::MAX) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mantissa), exp.abs())
    } else {
        let decimals = usize::try_from(i32::try_from(prec).unwrap_or(0) - 1 - exp).unwrap_or(0);
        trim(&format!("{v:.decimals$}"))
    }
}

/// `units.HumanDuration`: how long ago, as `docker image ls` and `docker ps` print it
/// (`Less than a second`, `About a minute`, `3 hours`, `2 weeks`, …).
///
/// ```
/// use std::time::Duration;
/// use sdk_grammar::units::human_duration;
/// assert_eq!(human_duration(Duration::from_secs(90)), "About a minute");
/// assert_eq!(human_duration(Duration::from_secs(5400)), "2 hours"); // rounded like go-units
/// ```
#[must_use]
pub fn human_duration(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    let minutes = secs / 60;
    // go-units rounds hours: int(d.Hours() + 0.5).
    let hours = (d.as_secs_f64() / 3600.0 + 0.5).floor();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // non-negative, small
    let hours = hours as u64;
    if secs < 1 {
        "Less than a second".into()
    } else if secs == 1 {
        "1 second".into()
    } else if secs < 60 {
        format!("{secs} seconds")
    } else if minutes == 1 {
        "About a minute".into()
    } else if minutes < 60 {
        format!("{minutes} minutes")
    } else if hours == 1 {
        "About an hour".into()
    } else if hours < 48 {
        format!("{hours} hours")
    } else if hours < 24 * 7 * 2 {
        format!("{} days", hours / 24)
    } else if hours < 24 * 30 * 2 {
        format!("{} weeks", hours / 24 / 7)
    } else if hours < 24 * 365 * 2 {
        format!("{} months", hours / 24 / 30)
    } else {
        format!("{} years", secs / 3600 / 24 / 365)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // go-units size_test.go TestHumanSize / TestHumanSizeWithPrecision.
    #[test]
    fn human_sizes_like_go_units() {
        for (size, want) in [
            (1000.0, "1kB"),
            (1024.0, "1.024kB"),
            (1_000_000.0, "1MB"),
            (1_048_576.0, "1.049MB"),
            (2.0 * 1e6, "2MB"),
            (3.42 * 1e9, "3.42GB"),
            (5.372 * 1e12, "5.372TB"),
            (2.22 * 1e15, "2.22PB"),
            (1e21, "1ZB"),
            (1e24, "1YB"),
            (1e27, "1000YB"),
            (0.0, "0B"),
            (512.0, "512B"),
        ] {
            assert_eq!(human_size(size), want, "{size}");
        }
        assert_eq!(human_size_with_precision(1_048_576.0, 3), "1.05MB");
        assert_eq!(human_size_with_precision(11_800_000.0, 3), "11.8MB");
        assert_eq!(human_size_with_precision(0.0001, 3), "0.0001B");
        assert_eq!(human_size_with_precision(0.00001, 3), "1e-05B");
    }

    // go-units duration_test.go.
    #[test]
    fn human_durations_like_go_units() {
        use std::time::Duration;
        let s = Duration::from_secs;
        for (d, want) in [
            (Duration::from_millis(500), "Less than a second"),
            (s(1), "1 second"),
            (s(47), "47 seconds"),
            (s(60), "About a minute"),
            (s(47 * 60), "47 minutes"),
            (s(3600), "About an hour"),
            (s(3600 + 29 * 60), "About an hour"),
            (s(3600 + 31 * 60), "2 hours"),
            (s(47 * 3600), "47 hours"),
            (s(48 * 3600), "2 days"),
            (s(14 * 24 * 3600), "2 weeks"),
            (s(60 * 24 * 3600), "2 months"),
            (s(3 * 365 * 24 * 3600), "3 years"),
        ] {
            assert_eq!(human_duration(d), want, "{d:?}");
        }
    }

    // go-units size_test.go TestRAMInBytes.
    #[test]
    fn ram_like_go_units() {
        for (s, want) in [
            ("32", 32),
            ("32b", 32),
            ("32B", 32),
            ("32k", 32 * 1024),
            ("32K", 32 * 1024),
            ("32kb", 32 * 1024),
            ("32Kb", 32 * 1024),
            ("32Kib", 32 * 1024),
            ("32KIB", 32 * 1024),
            ("32Mb", 32 << 20),
            ("32Gb", 32 << 30),
            ("32Tb", 32 << 40),
            ("32Pb", 32 << 50),
            ("32PB", 32 << 50),
            ("32P", 32 << 50),
            ("32.3", 32),
            ("32 GiB", 32 << 30),
            ("0.3MB", 314_572),
            ("1.", 1),
            ("100b", 100),
        ] {
            assert_eq!(ram_in_bytes(s), Ok(want), "{s}");
        }
        for bad in [
            "", "hello", "-32", " 32 ", "32m b", "32bm", "32 BB", "32 b b", "32   b", "32 # b",
            "32b ", "32 mb ", "32mb ", "3.2.1", "0.3XB",
        ] {
            assert!(ram_in_bytes(bad).is_err(), "{bad:?}");
        }
        assert_eq!(from_human_size("32kB"), Ok(32_000));
    }

    #[test]
    fn cpus_like_docker() {
        assert_eq!(parse_cpus("0.5"), Ok(500_000_000));
        assert_eq!(parse_cpus("1/4"), Ok(250_000_000));
        assert_eq!(parse_cpus("2e-1"), Ok(200_000_000));
        assert_eq!(parse_cpus("3"), Ok(3_000_000_000));
        assert_eq!(
            parse_cpus("0.0000000001").unwrap_err().to_string(),
            "value is too precise"
        );
        assert_eq!(
            parse_cpus("x").unwrap_err().to_string(),
            "failed to parse x as a rational number"
        );
        assert_eq!(from_human_size("1.5 MB"), Ok(1_500_000));
    }
}
