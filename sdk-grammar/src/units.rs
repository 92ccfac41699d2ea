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

#[cfg(test)]
mod tests {
    use super::*;

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
