//! Go grammars the compose loader needs, in one module so they are easy to swap for the
//! workspace's shared grammar crate when it lands: `strconv.ParseInt(s, 0, 64)` and friends,
//! `fmt.Sprint` of a float, `time.ParseDuration`, `big.Rat`'s CPU counts (`opts.ParseCPUs`),
//! and `github.com/google/shlex` word splitting (compose `command: "a 'b c'"`).

/// Go's `strconv.ParseInt(s, 0, 64)` (sign, `0x`/`0o`/`0b` prefixes, a leading `0` is octal;
/// underscores must already be removed).
#[must_use]
pub(crate) fn go_parse_int_base0(s: &str) -> Option<i64> {
    let (neg, rest) = split_sign(s);
    let u = go_parse_uint_base0(rest)?;
    if neg {
        if u == 1 << 63 {
            Some(i64::MIN)
        } else {
            i64::try_from(u).ok().map(|i| -i)
        }
    } else {
        i64::try_from(u).ok()
    }
}

fn split_sign(s: &str) -> (bool, &str) {
    match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    }
}

/// Go's `strconv.ParseUint(s, 0, 64)` (no sign accepted).
#[must_use]
pub(crate) fn go_parse_uint_base0(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    let (radix, digits) = if b.len() >= 2 && b[0] == b'0' {
        match b[1] {
            b'x' | b'X' => (16, &s[2..]),
            b'o' | b'O' => (8, &s[2..]),
            b'b' | b'B' => (2, &s[2..]),
            _ => (8, &s[1..]),
        }
    } else {
        (10, s)
    };
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// Go's `strconv.ParseFloat(s, 64)` for decimal text (`1.5`, `.5`, `5.`, `1e3`).
#[must_use]
pub(crate) fn go_parse_float(s: &str) -> Option<f64> {
    if s.is_empty()
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    s.parse().ok()
}

/// Go's `fmt.Sprint(f)` of a `float64` (`%g` with the shortest digits: `1`, `0.5`, `1e+06`).
#[must_use]
pub(crate) fn go_float_string(f: f64) -> String {
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
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        format!("{f}")
    }
}

/// Go's `time.ParseDuration` in nanoseconds; `None` when malformed or out of range.
#[must_use]
pub(crate) fn go_duration(s: &str) -> Option<i64> {
    let (neg, mut rest) = split_sign(s);
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let num = &rest[..num_end];
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return None;
        }
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale: i128 = match &rest[..unit_end] {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        rest = &rest[unit_end..];
        let (whole, frac) = num.split_once('.').unwrap_or((num, ""));
        let whole: i128 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        let mut part = whole.checked_mul(scale)?;
        let mut div: i128 = 1;
        for c in frac.bytes().take(18) {
            div *= 10;
            part = part.checked_add(i128::from(c - b'0') * scale / div)?;
        }
        total = total.checked_add(part)?;
        if total > i128::from(i64::MAX) + i128::from(neg) {
            return None;
        }
    }
    let total = if neg { -total } else { total };
    i64::try_from(total).ok()
}

/// Go's `time.Duration.String()` (`1m30s`, `500ms`, `0s`): the inverse the tests check against.
#[cfg(test)]
fn go_duration_string(ns: i64) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let neg = ns < 0;
    let u = ns.unsigned_abs();
    let sign = if neg { "-" } else { "" };
    if u < 1_000_000_000 {
        let (div, unit) = if u < 1_000 {
            (1, "ns")
        } else if u < 1_000_000 {
            (1_000, "µs")
        } else {
            (1_000_000, "ms")
        };
        return format!("{sign}{}{unit}", frac_string(u, div));
    }
    let h = u / 3_600_000_000_000;
    let m = (u / 60_000_000_000) % 60;
    let s = u % 60_000_000_000;
    let mut out = sign.to_owned();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if h > 0 || m > 0 {
        out.push_str(&format!("{m}m"));
    }
    out.push_str(&format!("{}s", frac_string(s, 1_000_000_000)));
    out
}

#[cfg(test)]
fn frac_string(v: u64, div: u64) -> String {
    let whole = v / div;
    let frac = v % div;
    if frac == 0 {
        return whole.to_string();
    }
    let width = div.ilog10() as usize;
    let f = format!("{frac:0width$}");
    format!("{whole}.{}", f.trim_end_matches('0'))
}

/// `opts.ParseCPUs`: a rational number of CPUs (`0.5`, `1.5e0`, `1/2`) in nano CPUs.
///
/// # Errors
/// docker's texts: `failed to parse 1.x as a rational number`, `value is too precise`.
pub(crate) fn parse_cpus(s: &str) -> Result<i64, String> {
    let bad = || format!("failed to parse {s} as a rational number");
    let (num, den) = rational(s).ok_or_else(bad)?;
    let n = num.checked_mul(1_000_000_000).ok_or_else(bad)?;
    if n % den != 0 {
        return Err("value is too precise".into());
    }
    i64::try_from(n / den).map_err(|_| bad())
}

/// `big.Rat.SetString`: `a/b`, or a decimal with an optional exponent; as (numerator,
/// positive denominator).
fn rational(s: &str) -> Option<(i128, i128)> {
    if let Some((a, b)) = s.split_once('/') {
        let a: i128 = a.parse().ok()?;
        let b: i128 = b.parse().ok()?;
        if b <= 0 {
            return None;
        }
        return Some((a, b));
    }
    let (neg, rest) = split_sign(s);
    let (mant, exp) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], rest[i + 1..].parse::<i32>().ok()?),
        None => (rest, 0),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let digits = format!("{int}{frac}");
    let mut num: i128 = digits.trim_start_matches('0').parse().unwrap_or(0);
    let scale = exp - i32::try_from(frac.len()).ok()?;
    let mut den: i128 = 1;
    if scale >= 0 {
        num = num.checked_mul(10i128.checked_pow(scale.unsigned_abs())?)?;
    } else {
        den = 10i128.checked_pow(scale.unsigned_abs())?;
    }
    Some((if neg { -num } else { num }, den))
}

/// `github.com/google/shlex`'s `Split`: POSIX-like words with `'…'`, `"…"` (where `\` escapes
/// any character), `\` outside quotes, and `#` comments at the start of a word.
///
/// # Errors
/// shlex's texts: `EOF found when expecting closing quote`, `EOF found after escape character`.
pub(crate) fn shlex_split(s: &str) -> Result<Vec<String>, String> {
    #[derive(Clone, Copy, PartialEq)]
    enum St {
        Start,
        Word,
        Escaping,
        EscapingQuoted,
        QuotingEscaping,
        Quoting,
        Comment,
    }
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut st = St::Start;
    for c in s.chars() {
        let space = matches!(c, ' ' | '\t' | '\r' | '\n');
        st = match st {
            St::Start => match c {
                _ if space => St::Start,
                '"' => St::QuotingEscaping,
                '\'' => St::Quoting,
                '\\' => St::Escaping,
                '#' => St::Comment,
                _ => {
                    cur.push(c);
                    St::Word
                }
            },
            St::Word => match c {
                _ if space => {
                    words.push(std::mem::take(&mut cur));
                    St::Start
                }
                '"' => St::QuotingEscaping,
                '\'' => St::Quoting,
                '\\' => St::Escaping,
                _ => {
                    cur.push(c);
                    St::Word
                }
            },
            St::Escaping => {
                cur.push(c);
                St::Word
            }
            St::EscapingQuoted => {
                cur.push(c);
                St::QuotingEscaping
            }
            St::QuotingEscaping => match c {
                '"' => St::Word,
                '\\' => St::EscapingQuoted,
                _ => {
                    cur.push(c);
                    St::QuotingEscaping
                }
            },
            St::Quoting => match c {
                '\'' => St::Word,
                _ => {
                    cur.push(c);
                    St::Quoting
                }
            },
            St::Comment => {
                if c == '\n' {
                    St::Start
                } else {
                    St::Comment
                }
            }
        };
    }
    match st {
        St::Start | St::Comment => {}
        St::Word => words.push(cur),
        St::Escaping | St::EscapingQuoted => {
            return Err("EOF found after escape character".into());
        }
        St::QuotingEscaping | St::Quoting => {
            return Err("EOF found when expecting closing quote".into());
        }
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ints() {
        assert_eq!(go_parse_int_base0("0440"), Some(288));
        assert_eq!(go_parse_int_base0("-0x10"), Some(-16));
        assert_eq!(go_parse_int_base0("08"), None);
        assert_eq!(go_parse_int_base0("0"), Some(0));
        assert_eq!(go_parse_int_base0("0x"), None);
        assert_eq!(go_parse_int_base0("9223372036854775808"), None);
        assert_eq!(go_parse_uint_base0("9223372036854775808"), Some(1 << 63));
    }

    #[test]
    fn durations() {
        assert_eq!(go_duration("1m30s"), Some(90_000_000_000));
        assert_eq!(go_duration("1.5h"), Some(5_400_000_000_000));
        assert_eq!(go_duration("-2ms"), Some(-2_000_000));
        assert_eq!(go_duration("0"), Some(0));
        assert_eq!(go_duration("10"), None);
        assert_eq!(go_duration("10x"), None);
        assert_eq!(go_duration(""), None);
        assert_eq!(go_duration("3000000h"), None);
        assert_eq!(go_duration_string(90_000_000_000), "1m30s");
        assert_eq!(go_duration_string(1_500_000), "1.5ms");
        assert_eq!(go_duration_string(3_600_000_000_000), "1h0m0s");
    }

    #[test]
    fn cpus() {
        assert_eq!(parse_cpus("0.5"), Ok(500_000_000));
        assert_eq!(parse_cpus("1/4"), Ok(250_000_000));
        assert_eq!(parse_cpus("2e-1"), Ok(200_000_000));
        assert_eq!(
            parse_cpus("0.0000000001"),
            Err("value is too precise".into())
        );
        assert_eq!(
            parse_cpus("x"),
            Err("failed to parse x as a rational number".into())
        );
    }

    #[test]
    fn shlex() {
        assert_eq!(
            shlex_split(r#"sh -c 'echo "a b"' "x\y" z\ w # c"#).unwrap(),
            vec!["sh", "-c", "echo \"a b\"", "xy", "z w"]
        );
        assert_eq!(shlex_split("a#b").unwrap(), vec!["a#b"]);
        assert_eq!(shlex_split(r#""""#).unwrap(), vec![""]);
        assert!(shlex_split("'a").is_err());
        assert!(shlex_split("a\\").is_err());
    }

    proptest! {
        #[test]
        fn durations_round_trip(ns in -9_000_000_000_000_000i64..9_000_000_000_000_000) {
            prop_assert_eq!(go_duration(&go_duration_string(ns)), Some(ns));
        }

        #[test]
        fn plain_words_split_back(words in proptest::collection::vec("[a-z0-9_./=-]{1,8}", 0..6)) {
            prop_assert_eq!(shlex_split(&words.join(" ")).unwrap(), words);
        }
    }
}
