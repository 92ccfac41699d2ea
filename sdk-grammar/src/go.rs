//! Go's standard-library grammars the docker CLI reads its flags with: `strconv.ParseBool`,
//! `ParseUint`/`ParseInt` (with base prefixes for base 0), `ParseFloat` (decimal, 64 and 32
//! bits), `math/big.Rat.SetString`, `net.ParseIP` and its printing, `time.ParseDuration`,
//! `strconv.Quote` and `path/filepath.Clean`.

use crate::error::{DurationError, Error, Result};
pub use crate::quote::quote;

/// `strconv.ParseBool`: `1 t T TRUE true True` and `0 f F FALSE false False`.
///
/// # Errors
/// [`Error::Bool`] for anything else (`strconv.ParseBool: parsing "yes": invalid syntax`).
///
/// ```
/// assert_eq!(sdk_grammar::go::parse_bool("True"), Ok(true));
/// assert!(sdk_grammar::go::parse_bool("yes").is_err());
/// ```
pub fn parse_bool(s: &str) -> Result<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(Error::Bool {
            input: s.to_owned(),
        }),
    }
}

/// `strconv.ParseUint(s, base, bit_size)`. Base 0 reads Go's prefixes (`0x`, `0o`, `0b`, and a
/// leading `0` for octal) and allows `_` between digits; `bit_size` is 1 to 64.
///
/// # Errors
/// [`Error::Int`] with Go's text: invalid syntax, or value out of range for `bit_size`.
///
/// ```
/// use sdk_grammar::go::parse_uint;
/// assert_eq!(parse_uint("0440", 0, 32), Ok(0o440));
/// assert_eq!(parse_uint("0x_1F", 0, 8), Ok(31));
/// assert_eq!(
///     parse_uint("256", 10, 8).unwrap_err().to_string(),
///     "strconv.ParseUint: parsing \"256\": value out of range"
/// );
/// ```
pub fn parse_uint(s: &str, base: u32, bit_size: u32) -> Result<u64> {
    parse_uint_as("ParseUint", s, base, bit_size)
}

fn parse_uint_as(func: &'static str, s0: &str, base: u32, bit_size: u32) -> Result<u64> {
    let syntax = || Error::Int {
        func,
        input: s0.to_owned(),
        out_of_range: false,
    };
    let range = || Error::Int {
        func,
        input: s0.to_owned(),
        out_of_range: true,
    };
    if s0.is_empty() || !(base == 0 || (2..=36).contains(&base)) || !(1..=64).contains(&bit_size) {
        return Err(syntax());
    }
    let base0 = base == 0;
    let mut s = s0.as_bytes();
    let mut base = u64::from(base);
    if base0 {
        base = 10;
        if s[0] == b'0' {
            let prefix = s.get(1).map(u8::to_ascii_lowercase);
            match prefix {
                Some(b'b') if s.len() >= 3 => (base, s) = (2, &s[2..]),
                Some(b'o') if s.len() >= 3 => (base, s) = (8, &s[2..]),
                Some(b'x') if s.len() >= 3 => (base, s) = (16, &s[2..]),
                _ => (base, s) = (8, &s[1..]),
            }
        }
    }
    let max = if bit_size == 64 {
        u64::MAX
    } else {
        (1u64 << bit_size) - 1
    };
    let mut underscores = false;
    let mut n: u64 = 0;
    for &c in s {
        let d = match c {
            b'_' if base0 => {
                underscores = true;
                continue;
            }
            b'0'..=b'9' => c - b'0',
            _ if c.is_ascii_alphabetic() => c.to_ascii_lowercase() - b'a' + 10,
            _ => return Err(syntax()),
        };
        if u64::from(d) >= base {
            return Err(syntax());
        }
        n = n
            .checked_mul(base)
            .and_then(|n| n.checked_add(u64::from(d)))
            .filter(|n| *n <= max)
            .ok_or_else(range)?;
    }
    if underscores && !underscore_ok(s0) {
        return Err(syntax());
    }
    Ok(n)
}

/// `strconv.ParseInt(s, base, bit_size)`: an optional sign, then as [`parse_uint`].
///
/// # Errors
/// [`Error::Int`] with Go's text (`strconv.ParseInt: …`).
///
/// ```
/// assert_eq!(sdk_grammar::go::parse_int("-0x10", 0, 64), Ok(-16));
/// ```
pub fn parse_int(s: &str, base: u32, bit_size: u32) -> Result<i64> {
    let rename = |e: Error| match e {
        Error::Int { out_of_range, .. } => Error::Int {
            func: "ParseInt",
            input: s.to_owned(),
            out_of_range,
        },
        other => other,
    };
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    if s.is_empty() || !(1..=64).contains(&bit_size) {
        return Err(Error::Int {
            func: "ParseInt",
            input: s.to_owned(),
            out_of_range: false,
        });
    }
    let un = match parse_uint_as("ParseInt", digits, base, bit_size) {
        Ok(n) => n,
        Err(e) => return Err(rename(e)),
    };
    let cutoff = 1u64 << (bit_size - 1);
    let range = || Error::Int {
        func: "ParseInt",
        input: s.to_owned(),
        out_of_range: true,
    };
    if neg {
        if un > cutoff {
            return Err(range());
        }
        // un <= 2^63, so this is exact (i64::MIN for 2^63).
        Ok(0i64.wrapping_sub_unsigned(un))
    } else if un >= cutoff {
        Err(range())
    } else {
        Ok(i64::try_from(un).map_err(|_| range())?)
    }
}

/// Go's `underscoreOK`: `_` only between digits (or after a base prefix).
fn underscore_ok(s: &str) -> bool {
    let mut s = s.as_bytes();
    if let Some(b'+' | b'-') = s.first() {
        s = &s[1..];
    }
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if s.len() >= 2 && s[0] == b'0' && matches!(s[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = s[1].eq_ignore_ascii_case(&b'x');
    }
    while i < s.len() {
        let c = s[i];
        i += 1;
        if c.is_ascii_digit() || hex && c.is_ascii_hexdigit() {
            saw = b'0';
            continue;
        }
        if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
            continue;
        }
        if saw == b'_' {
            return false;
        }
        saw = b'!';
    }
    saw != b'_'
}

/// `strconv.ParseFloat(s, 32)`: the grammar of [`parse_float`], rounded once, directly from the
/// decimal text to the nearest `float32` (as Go does; not through `f64`).
///
/// # Errors
/// [`Error::Float`]: invalid syntax, or out of range for a finite number beyond `f32`.
///
/// ```
/// use sdk_grammar::go::parse_float32;
/// assert_eq!(parse_float32("0.1"), Ok(0.1_f32));
/// assert_eq!(
///     parse_float32("1e39").unwrap_err().to_string(),
///     "strconv.ParseFloat: parsing \"1e39\": value out of range"
/// );
/// ```
pub fn parse_float32(s: &str) -> Result<f32> {
    // The grammar check (and its errors) of the 64-bit parser, then Rust's correctly rounded
    // f32 parser on the same digits.
    let wide = parse_float(s).map_err(|e| match e {
        Error::Float { out_of_range, .. } => Error::Float {
            input: s.to_owned(),
            out_of_range,
        },
        other => other,
    })?;
    if wide.is_nan() || wide.is_infinite() {
        #[allow(clippy::cast_possible_truncation)] // NaN and infinities convert exactly
        return Ok(wide as f32);
    }
    let plain: String = s.chars().filter(|c| *c != '_').collect();
    let v: f32 = plain.parse().map_err(|_| Error::Float {
        input: s.to_owned(),
        out_of_range: false,
    })?;
    if v.is_infinite() {
        return Err(Error::Float {
            input: s.to_owned(),
            out_of_range: true,
        });
    }
    Ok(v)
}

/// `math/big.Rat.SetString` for the forms people type: a decimal number with an optional
/// fraction and `e`/`E` exponent (`0.5`, `-1.25e-3`), or a fraction `a/b` of integers (each
/// decimal or with Go's `0x`/`0o`/`0b`/leading-`0` prefixes; only `a` may be signed).
///
/// Returns `(numerator, denominator)` with a positive denominator (not reduced), or `None` where
/// Go's `SetString` reports failure — and also for values beyond `i128` and for hexadecimal
/// floating-point mantissas (`0x1p-2`), which Go would accept.
///
/// ```
/// use sdk_grammar::go::parse_rat;
/// assert_eq!(parse_rat("0.25"), Some((25, 100)));
/// assert_eq!(parse_rat("-3/4"), Some((-3, 4)));
/// assert_eq!(parse_rat("1e2"), Some((100, 1)));
/// assert_eq!(parse_rat("1/0"), None);
/// assert_eq!(parse_rat("abc"), None);
/// ```
#[must_use]
pub fn parse_rat(s: &str) -> Option<(i128, i128)> {
    if s.is_empty() {
        return None;
    }
    if let Some((a, b)) = s.split_once('/') {
        let num = parse_big_int(a, true)?;
        let den = parse_big_int(b, false)?;
        if den == 0 {
            return None;
        }
        return Some((num, den));
    }
    let (neg, rest) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (mantissa, exp) = match rest.find(['e', 'E']) {
        Some(i) => {
            let e = &rest[i + 1..];
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            (&rest[..i], e.parse::<i32>().ok()?)
        }
        None => (rest, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|c| c.is_ascii_digit())
        || !frac.bytes().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let mut num: i128 = 0;
    for c in int.bytes().chain(frac.bytes()) {
        num = num.checked_mul(10)?.checked_add(i128::from(c - b'0'))?;
    }
    let scale = i32::try_from(frac.len()).ok()?.checked_sub(exp)?;
    let pow = |n: i32| 10i128.checked_pow(u32::try_from(n).ok()?);
    let (num, den) = if scale >= 0 {
        (num, pow(scale)?)
    } else {
        (num.checked_mul(pow(-scale)?)?, 1)
    };
    Some((if neg { -num } else { num }, den))
}

/// `big.Int.SetString(s, 0)` (a signed integer) or the natural number of a `Rat`'s denominator:
/// Go's base prefixes, `_` only with a prefix.
fn parse_big_int(s: &str, signed: bool) -> Option<i128> {
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') if signed => (true, &s[1..]),
        Some(b'+') if signed => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = digits.to_ascii_lowercase();
    let (radix, body, prefixed) = if let Some(r) = lower.strip_prefix("0x") {
        (16, r, true)
    } else if let Some(r) = lower.strip_prefix("0o") {
        (8, r, true)
    } else if let Some(r) = lower.strip_prefix("0b") {
        (2, r, true)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..], true)
    } else {
        (10, lower.as_str(), false)
    };
    if body.contains('_') && (!prefixed || !underscore_ok(digits)) {
        return None;
    }
    let body: String = body.chars().filter(|c| *c != '_').collect();
    if body.is_empty() {
        return None;
    }
    let mut n: i128 = 0;
    for c in body.chars() {
        let d = c.to_digit(radix)?;
        n = n
            .checked_mul(i128::from(radix))?
            .checked_add(i128::from(d))?;
    }
    Some(if neg { -n } else { n })
}

/// `net.ParseIP(s).String()`: the canonical text of an IPv4 or IPv6 address (IPv4-mapped IPv6
/// addresses print as IPv4, IPv6 zero runs as `::`), or `None` when Go's `ParseIP` refuses it
/// (zones, brackets, leading zeros in IPv4 octets).
///
/// ```
/// use sdk_grammar::go::parse_ip;
/// assert_eq!(parse_ip("0:0:0:0:0:0:0:1").as_deref(), Some("::1"));
/// assert_eq!(parse_ip("::ffff:10.0.0.1").as_deref(), Some("10.0.0.1"));
/// assert_eq!(parse_ip("[::1]"), None);
/// ```
#[must_use]
pub fn parse_ip(s: &str) -> Option<String> {
    match s.parse::<std::net::IpAddr>().ok()? {
        std::net::IpAddr::V4(a) => Some(a.to_string()),
        std::net::IpAddr::V6(a) => Some(
            a.to_ipv4_mapped()
                .map_or_else(|| a.to_string(), |m| m.to_string()),
        ),
    }
}

/// `strconv.ParseFloat(s, 64)` for decimal numbers: an optional sign, digits with an optional
/// fraction and exponent, `_` between digits, `inf`/`infinity`/`nan` in any case.
///
/// Hexadecimal floats (`0x1p-2`) are refused as invalid syntax: nothing the docker CLI reads
/// with it takes them in practice.
///
/// # Errors
/// [`Error::Float`] (invalid syntax, or out of range for a finite number beyond `f64`).
pub fn parse_float(s: &str) -> Result<f64> {
    let bad = |out_of_range: bool| Error::Float {
        input: s.to_owned(),
        out_of_range,
    };
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let lower = unsigned.to_ascii_lowercase();
    if matches!(lower.as_str(), "inf" | "infinity" | "nan") {
        return s.parse::<f64>().map_err(|_| bad(false));
    }
    let valid = !unsigned.is_empty()
        && unsigned
            .bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-' | b'_'))
        && !lower.starts_with("0x");
    if !valid || (unsigned.contains('_') && !underscore_ok(s)) {
        return Err(bad(false));
    }
    let plain: String = s.chars().filter(|c| *c != '_').collect();
    let v: f64 = plain.parse().map_err(|_| bad(false))?;
    if v.is_infinite() {
        return Err(bad(true));
    }
    Ok(v)
}

/// `time.ParseDuration`, in nanoseconds: `[-+]` then one or more `number unit` (units `ns`,
/// `us`, `µs`, `μs`, `ms`, `s`, `m`, `h`; the number may have a fraction); `0` alone is zero.
/// Exact like Go's (integer arithmetic, the fraction truncated to nanoseconds), including its
/// limit of ±2⁶³−1 ns (about 292 years).
///
/// # Errors
/// [`DurationError`] (as [`Error::Duration`]) with Go's three texts: invalid duration, missing
/// unit, unknown unit.
///
/// ```
/// use sdk_grammar::go::parse_duration;
/// assert_eq!(parse_duration("1.5h"), Ok(5_400_000_000_000));
/// assert_eq!(parse_duration("-300ms"), Ok(-300_000_000));
/// assert_eq!(
///     parse_duration("3d").unwrap_err().to_string(),
///     "time: unknown unit \"d\" in duration \"3d\""
/// );
/// ```
pub fn parse_duration(orig: &str) -> Result<i64> {
    parse_duration_inner(orig).map_err(Error::Duration)
}

fn parse_duration_inner(orig: &str) -> std::result::Result<i64, DurationError> {
    const LIMIT: u64 = 1 << 63;
    let invalid = || DurationError::Invalid {
        input: orig.to_owned(),
    };
    let mut s = orig;
    let mut neg = false;
    if let Some(c @ (b'-' | b'+')) = s.as_bytes().first().copied() {
        neg = c == b'-';
        s = &s[1..];
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut d: u64 = 0;
    while !s.is_empty() {
        let c = s.as_bytes()[0];
        if !(c == b'.' || c.is_ascii_digit()) {
            return Err(invalid());
        }
        // [0-9]*
        let int_len = s.bytes().take_while(u8::is_ascii_digit).count();
        let mut v: u64 = 0;
        for b in s[..int_len].bytes() {
            if v > LIMIT / 10 {
                return Err(invalid());
            }
            v = v * 10 + u64::from(b - b'0');
            if v > LIMIT {
                return Err(invalid());
            }
        }
        let pre = int_len > 0;
        s = &s[int_len..];
        // (\.[0-9]*)?
        let (mut f, mut scale, mut post) = (0u64, 1f64, false);
        if let Some(rest) = s.strip_prefix('.') {
            s = rest;
            let frac_len = s.bytes().take_while(u8::is_ascii_digit).count();
            let mut overflow = false;
            for b in s[..frac_len].bytes() {
                if overflow {
                    continue;
                }
                if f > (LIMIT - 1) / 10 {
                    overflow = true;
                    continue;
                }
                let y = f * 10 + u64::from(b - b'0');
                if y > LIMIT {
                    overflow = true;
                    continue;
                }
                f = y;
                scale *= 10.0;
            }
            post = frac_len > 0;
            s = &s[frac_len..];
        }
        if !pre && !post {
            return Err(invalid());
        }
        let unit_len = s
            .bytes()
            .take_while(|c| !(*c == b'.' || c.is_ascii_digit()))
            .count();
        if unit_len == 0 {
            return Err(DurationError::MissingUnit {
                input: orig.to_owned(),
            });
        }
        let u = &s[..unit_len];
        s = &s[unit_len..];
        let unit: u64 = match u {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(DurationError::UnknownUnit {
                    unit: u.to_owned(),
                    input: orig.to_owned(),
                });
            }
        };
        if v > LIMIT / unit {
            return Err(invalid());
        }
        v *= unit;
        if f > 0 {
            // Go: v += uint64(float64(f) * (float64(unit) / scale))
            #[allow(
                clippy::cast_precision_loss,
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss
            )]
            let add = (f as f64 * (unit as f64 / scale)) as u64;
            v = v.checked_add(add).ok_or_else(invalid)?;
            if v > LIMIT {
                return Err(invalid());
            }
        }
        d = d.checked_add(v).ok_or_else(invalid)?;
        if d > LIMIT {
            return Err(invalid());
        }
    }
    if neg {
        return Ok(0i64.wrapping_sub_unsigned(d));
    }
    i64::try_from(d).map_err(|_| invalid())
}

/// Go's `time.Duration.String()` for nanoseconds: `1h2m3.5s`, `1.5ms`, `0s`.
///
/// ```
/// use sdk_grammar::go::format_duration;
/// assert_eq!(format_duration(5_400_000_000_000), "1h30m0s");
/// assert_eq!(format_duration(1_500_000), "1.5ms");
/// assert_eq!(format_duration(0), "0s");
/// ```
#[must_use]
pub fn format_duration(d: i64) -> String {
    fn frac(v: u64, prec: u32) -> (String, u64) {
        // Go's fmtFrac: the fraction of v/10^prec without trailing zeros, and v/10^prec.
        let mut digits = String::new();
        let mut v = v;
        let mut print = false;
        for _ in 0..prec {
            let digit = v % 10;
            print = print || digit != 0;
            if print {
                digits.insert(0, char::from(b'0' + u8::try_from(digit).unwrap_or(0)));
            }
            v /= 10;
        }
        if print {
            digits.insert(0, '.');
        }
        (digits, v)
    }
    let neg = d < 0;
    let u = d.unsigned_abs();
    let mut out = if u < 1_000_000_000 {
        // Less than a second: ns, µs or ms with a fraction.
        let (prec, unit) = match u {
            0 => return "0s".to_owned(),
            1..1_000 => (0, "ns"),
            1_000..1_000_000 => (3, "µs"),
            _ => (6, "ms"),
        };
        let (f, whole) = frac(u, prec);
        format!("{whole}{f}{unit}")
    } else {
        let (f, secs) = frac(u, 9);
        let (s, mins) = (secs % 60, secs / 60);
        let mut out = format!("{s}{f}s");
        if mins > 0 {
            let (m, hours) = (mins % 60, mins / 60);
            out = format!("{m}m{out}");
            if hours > 0 {
                out = format!("{hours}h{out}");
            }
        }
        out
    };
    if neg {
        out.insert(0, '-');
    }
    out
}

/// Go's `fmt.Sprint` of a `float64` (`%v`, which is `strconv.FormatFloat(f, 'g', -1, 64)`:
/// the shortest digits, in `%e` style when the exponent is below -4 or from 6 on): `1`,
/// `0.5`, `123456`, `1e+06`, `1.234567e+06`, `1e-05`, `NaN`, `+Inf`.
///
/// ```
/// use sdk_grammar::go::format_float;
/// assert_eq!(format_float(1.0), "1");
/// assert_eq!(format_float(0.5), "0.5");
/// assert_eq!(format_float(123456.0), "123456");
/// assert_eq!(format_float(1e6), "1e+06");
/// assert_eq!(format_float(1234567.0), "1.234567e+06");
/// assert_eq!(format_float(0.00001), "1e-05");
/// ```
#[must_use]
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..6).contains(&exp) {
        format!("{f}")
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    }
}

/// `path/filepath.Clean` for Unix paths: one separator at a time, no `.`, `..` resolved
/// lexically (kept at the start of a relative path), `.` for an empty result.
///
/// ```
/// assert_eq!(sdk_grammar::go::clean_path("/a/./b/../c/"), "/a/c");
/// assert_eq!(sdk_grammar::go::clean_path("../x/.."), "..");
/// ```
#[must_use]
pub fn clean_path(p: &str) -> String {
    let rooted = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    let joined = out.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bools() {
        for t in ["1", "t", "T", "TRUE", "true", "True"] {
            assert_eq!(parse_bool(t), Ok(true));
        }
        for f in ["0", "f", "F", "FALSE", "false", "False"] {
            assert_eq!(parse_bool(f), Ok(false));
        }
        for bad in ["", "yes", "tRUE", "2", " true"] {
            assert!(parse_bool(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_bool("on").unwrap_err().to_string(),
            "strconv.ParseBool: parsing \"on\": invalid syntax"
        );
    }

    // Go's strconv atoi_test.go cases for ParseUint(s, 0, 32/64) and ParseInt.
    #[test]
    fn uints_like_go() {
        let ok = |s, base, bits| parse_uint(s, base, bits).unwrap();
        assert_eq!(ok("0", 0, 64), 0);
        assert_eq!(ok("0x10", 0, 64), 16);
        assert_eq!(ok("0X10", 0, 64), 16);
        assert_eq!(ok("010", 0, 64), 8);
        assert_eq!(ok("0o10", 0, 64), 8);
        assert_eq!(ok("0b101", 0, 64), 5);
        assert_eq!(ok("1_000", 0, 64), 1000);
        assert_eq!(ok("0x_1_0", 0, 64), 16);
        assert_eq!(ok("18446744073709551615", 10, 64), u64::MAX);
        assert_eq!(ok("4294967295", 0, 32), u64::from(u32::MAX));
        for bad in [
            "", "0x", "08", "1__0", "_1", "1_", "1_000", "-1", "+1", "0b", "0x_",
        ] {
            // 1_000 is refused outside base 0
            let base = if bad == "1_000" { 10 } else { 0 };
            let e = parse_uint(bad, base, 64).unwrap_err();
            assert!(e.to_string().ends_with("invalid syntax"), "{bad}: {e}");
        }
        assert_eq!(
            parse_uint("4294967296", 0, 32).unwrap_err().to_string(),
            "strconv.ParseUint: parsing \"4294967296\": value out of range"
        );
        assert!(matches!(
            parse_uint("18446744073709551616", 10, 64),
            Err(Error::Int {
                out_of_range: true,
                ..
            })
        ));
    }

    #[test]
    fn ints_like_go() {
        assert_eq!(parse_int("-9223372036854775808", 10, 64), Ok(i64::MIN));
        assert_eq!(parse_int("9223372036854775807", 10, 64), Ok(i64::MAX));
        assert_eq!(parse_int("-128", 10, 8), Ok(-128));
        assert_eq!(parse_int("+0x7f", 0, 8), Ok(127));
        assert_eq!(
            parse_int("128", 10, 8).unwrap_err().to_string(),
            "strconv.ParseInt: parsing \"128\": value out of range"
        );
        assert_eq!(
            parse_int("-12a", 10, 64).unwrap_err().to_string(),
            "strconv.ParseInt: parsing \"-12a\": invalid syntax"
        );
        assert!(parse_int("-", 10, 64).is_err());
        assert!(parse_int("", 10, 64).is_err());
    }

    #[test]
    fn floats() {
        assert_eq!(parse_float("1.5"), Ok(1.5));
        assert_eq!(parse_float("-1e3"), Ok(-1000.0));
        assert_eq!(parse_float("1_000.5"), Ok(1000.5));
        assert_eq!(parse_float(".5"), Ok(0.5));
        assert!(parse_float("inf").unwrap().is_infinite());
        assert!(parse_float("NaN").unwrap().is_nan());
        for bad in ["", "1.2.3", "0x1p2", "1e", "1__0", "abc", "1e400", "_1"] {
            assert!(parse_float(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_float("x").unwrap_err().to_string(),
            "strconv.ParseFloat: parsing \"x\": invalid syntax"
        );
        assert_eq!(
            parse_float("1e400").unwrap_err().to_string(),
            "strconv.ParseFloat: parsing \"1e400\": value out of range"
        );
    }

    // Go's time_test.go parseDurationTests, plus its error cases.
    #[test]
    fn durations_like_go() {
        let cases: &[(&str, i64)] = &[
            ("0", 0),
            ("5s", 5_000_000_000),
            ("30s", 30_000_000_000),
            ("1478s", 1_478_000_000_000),
            ("-5s", -5_000_000_000),
            ("+5s", 5_000_000_000),
            ("-0", 0),
            ("+0", 0),
            ("5.0s", 5_000_000_000),
            ("5.6s", 5_600_000_000),
            ("5.s", 5_000_000_000),
            (".5s", 500_000_000),
            ("1.0s", 1_000_000_000),
            ("1.00s", 1_000_000_000),
            ("1.004s", 1_004_000_000),
            ("1.0040s", 1_004_000_000),
            ("100.00100s", 100_001_000_000),
            ("10ns", 10),
            ("11us", 11_000),
            ("12µs", 12_000),
            ("12μs", 12_000),
            ("13ms", 13_000_000),
            ("14s", 14_000_000_000),
            ("15m", 900_000_000_000),
            ("16h", 57_600_000_000_000),
            ("3h30m", 12_600_000_000_000),
            ("10.5s4m", 250_500_000_000),
            ("-2m3.4s", -123_400_000_000),
            ("1h2m3s4ms5us6ns", 3_723_004_005_006),
            ("39h9m14.425s", 140_954_425_000_000),
            ("52763797000ns", 52_763_797_000),
            ("0.3333333333333333333h", 1_200_000_000_000),
            ("9007199254740993ns", 9_007_199_254_740_993),
            ("9223372036854775807ns", i64::MAX),
            ("9223372036854775.807us", i64::MAX),
            ("9223372036s854ms775us807ns", i64::MAX),
            ("-9223372036854775808ns", i64::MIN),
            ("-9223372036854775.808us", i64::MIN),
            ("-9223372036s854ms775us808ns", i64::MIN),
            ("-9223372036854775808ns", i64::MIN),
            ("-2562047h47m16.854775808s", i64::MIN),
            ("0.100000000000000000000h", 360_000_000_000),
            ("0.830103483285477580700h", 2_988_372_539_827),
        ];
        for (s, want) in cases {
            assert_eq!(parse_duration(s), Ok(*want), "{s}");
        }
        for bad in [
            "",
            "3",
            "-",
            "s",
            ".",
            "-.",
            ".s",
            "+.s",
            "1d",
            "\u{85}\u{85}",
            "9223372036854775808ns",
            "9223372036854775.808us",
            "9223372036854ms775us808ns",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            parse_duration("3").unwrap_err().to_string(),
            "time: missing unit in duration \"3\""
        );
        assert_eq!(
            parse_duration("1d").unwrap_err().to_string(),
            "time: unknown unit \"d\" in duration \"1d\""
        );
        assert_eq!(
            parse_duration("").unwrap_err().to_string(),
            "time: invalid duration \"\""
        );
        assert_eq!(
            parse_duration("\u{e9}s").unwrap_err().to_string(),
            "time: invalid duration \"\\xc3\\xa9s\""
        );
    }

    #[test]
    fn durations_format_like_go() {
        for (d, want) in [
            (0, "0s"),
            (1, "1ns"),
            (1_100, "1.1µs"),
            (2_200_000, "2.2ms"),
            (3_300_000_000, "3.3s"),
            (-4_000_000_000 - 60_000_000_000 * 4, "-4m4s"),
            (
                4_000_000_000 + 60_000_000_000 * 4 + 3_600_000_000_000 * 5,
                "5h4m4s",
            ),
            (i64::MAX, "2562047h47m16.854775807s"),
            (i64::MIN, "-2562047h47m16.854775808s"),
        ] {
            assert_eq!(format_duration(d), want);
            assert_eq!(parse_duration(want), Ok(d), "{want}");
        }
    }

    #[test]
    fn clean_paths_like_go() {
        for (p, want) in [
            ("", "."),
            ("abc", "abc"),
            ("abc/def", "abc/def"),
            ("a/b/c", "a/b/c"),
            (".", "."),
            ("..", ".."),
            ("../..", "../.."),
            ("../../abc", "../../abc"),
            ("/abc", "/abc"),
            ("/", "/"),
            ("abc/", "abc"),
            ("//abc", "/abc"),
            ("abc//def//ghi", "abc/def/ghi"),
            ("abc/./def", "abc/def"),
            ("/./abc/def", "/abc/def"),
            ("abc/def/ghi/../jkl", "abc/def/jkl"),
            ("abc/def/../ghi/../jkl", "abc/jkl"),
            ("abc/def/..", "abc"),
            ("abc/def/../..", "."),
            ("/abc/def/../..", "/"),
            ("abc/def/../../..", ".."),
            ("/abc/def/../../..", "/"),
            ("abc/def/../../../ghi/jkl/../../../mno", "../../mno"),
            ("/../abc", "/abc"),
        ] {
            assert_eq!(clean_path(p), want, "{p}");
        }
    }

    #[test]
    fn float32_rounds_once_like_go() {
        assert_eq!(parse_float32("0.5"), Ok(0.5));
        assert_eq!(parse_float32("1_0.5"), Ok(10.5));
        assert_eq!(parse_float32("16777217"), Ok(16_777_216.0));
        assert!(parse_float32("inf").unwrap().is_infinite());
        assert_eq!(
            parse_float32("x").unwrap_err().to_string(),
            "strconv.ParseFloat: parsing \"x\": invalid syntax"
        );
        assert_eq!(
            parse_float32("-4e38").unwrap_err().to_string(),
            "strconv.ParseFloat: parsing \"-4e38\": value out of range"
        );
    }

    #[test]
    fn rats_like_big_rat() {
        for (s, want) in [
            ("2", Some((2, 1))),
            ("+.5", Some((5, 10))),
            ("1.", Some((1, 1))),
            ("1.5e-1", Some((15, 100))),
            ("-2E2", Some((-200, 1))),
            ("010/2", Some((8, 2))),
            ("0x10/0b10", Some((16, 2))),
            ("-1/3", Some((-1, 3))),
            ("1/-3", None),
            ("1/0", None),
            ("", None),
            (".", None),
            ("1e", None),
            ("1.2.3", None),
            ("0x1p-2", None),
            ("1_000", None),
            ("0x1_0/1", Some((16, 1))),
        ] {
            assert_eq!(parse_rat(s), want, "{s:?}");
        }
    }

    #[test]
    fn ips_print_like_go() {
        assert_eq!(parse_ip("10.0.0.1").as_deref(), Some("10.0.0.1"));
        assert_eq!(parse_ip("fe80:0:0::1").as_deref(), Some("fe80::1"));
        assert_eq!(parse_ip("::1.2.3.4").as_deref(), Some("::102:304"));
        for bad in ["010.0.0.1", "fe80::1%eth0", "1.2.3", " 1.2.3.4", ""] {
            assert_eq!(parse_ip(bad), None, "{bad:?}");
        }
    }
}
