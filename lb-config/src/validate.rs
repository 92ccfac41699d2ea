//! Checks of nginx's own rules on single values: characters that would inject directives, times,
//! sizes and numbers. The structural rules (empty upstream, backup with hash, resolve without zone)
//! live in the builders that use these checks.

use crate::error::{Error, Result};

/// Returns why `c` may not appear in a bare nginx word, if it may not.
fn forbidden(c: char) -> Option<&'static str> {
    match c {
        ';' => Some("contains ';', which would end the directive"),
        '{' => Some("contains '{', which would open a block"),
        '}' => Some("contains '}', which would close a block"),
        '"' | '\'' => Some("contains a quote"),
        '#' => Some("contains '#', which would start a comment"),
        '\\' => Some("contains a backslash"),
        '\n' | '\r' => Some("contains a newline"),
        c if c.is_whitespace() => Some("contains whitespace"),
        c if c.is_control() => Some("contains a control character"),
        _ => None,
    }
}

/// Checks that `value` is one non-empty bare nginx word: no `;`, `{`, `}`, quotes, `#`, `\`,
/// whitespace or control characters.
///
/// # Errors
/// [`Error::UnsafeValue`] naming `what` and the value.
pub fn check_word(what: &'static str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::UnsafeValue {
            what,
            value: String::new(),
            reason: "is empty".into(),
        });
    }
    if let Some(reason) = value.chars().find_map(forbidden) {
        return Err(Error::UnsafeValue {
            what,
            value: value.to_owned(),
            reason: reason.into(),
        });
    }
    Ok(())
}

/// Checks a name (upstream, zone, log format): a bare word without `$`, `/` or `:`.
pub(crate) fn check_name(what: &'static str, value: &str) -> Result<()> {
    check_word(what, value)?;
    if let Some(c) = value.chars().find(|c| matches!(c, '$' | '/' | ':')) {
        return Err(Error::UnsafeValue {
            what,
            value: value.to_owned(),
            reason: format!("contains {c:?}"),
        });
    }
    Ok(())
}

/// Checks an nginx time such as `10s`, `30`, `1m30s`, and with `millis` also `500ms`. Times nginx
/// keeps in whole seconds (`fail_timeout`) are parsed by nginx without `ms`: it refuses
/// `fail_timeout=500ms` with "invalid parameter", so `millis` is `false` for them.
pub(crate) fn check_time(what: &'static str, value: &str, millis: bool) -> Result<()> {
    let bad = |reason: &str| Error::invalid(what, value, reason);
    if value.is_empty() {
        return Err(bad("is empty"));
    }
    let mut rest = value;
    while !rest.is_empty() {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad("expected a number such as 10s, 30 or 1m30s"));
        }
        rest = &rest[digits..];
        let unit = ["ms", "s", "m", "h", "d", "w", "M", "y"]
            .into_iter()
            .find(|u| rest.starts_with(u));
        match unit {
            Some("ms") if !millis => {
                return Err(bad(
                    "nginx keeps this time in whole seconds: no ms (e.g. 1s, 30s, 1m30s)",
                ));
            }
            Some(u) => rest = &rest[u.len()..],
            None if rest.is_empty() => {}
            None => return Err(bad("unknown time unit (ms, s, m, h, d, w, M, y)")),
        }
    }
    Ok(())
}

/// Checks an nginx size such as `64k`, `1m`, `4096`.
pub(crate) fn check_size(what: &'static str, value: &str) -> Result<()> {
    let digits = value.chars().take_while(char::is_ascii_digit).count();
    let unit = &value[digits..];
    if digits == 0 || !matches!(unit, "" | "k" | "K" | "m" | "M" | "g" | "G") {
        return Err(Error::invalid(
            what,
            value,
            "expected a size such as 64k or 1m",
        ));
    }
    Ok(())
}

/// Parses a non-negative decimal number.
pub(crate) fn parse_u32(what: &'static str, value: &str) -> Result<u32> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid(
            what,
            value,
            "expected a non-negative number",
        ));
    }
    value
        .parse()
        .map_err(|_| Error::invalid(what, value, "number too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        for ok in ["lb", "/var/log/nginx/a.log", "$remote_addr", "a-b_c.d"] {
            assert_eq!(check_word("x", ok), Ok(()), "{ok}");
        }
        for bad in [
            "", "a;b", "a{", "}", "a\"", "'", "a#b", "a b", "a\nb", "a\tb", "a\\b", "a\u{7}",
        ] {
            assert!(
                matches!(check_word("x", bad), Err(Error::UnsafeValue { .. })),
                "{bad:?}"
            );
        }
        assert!(check_name("n", "a$b").is_err());
    }

    #[test]
    fn times_sizes_numbers() {
        for ok in ["10s", "30", "1m30s", "1h", "0", "1d", "1w", "1M", "1y"] {
            assert_eq!(check_time("t", ok, false), Ok(()), "{ok}");
            assert_eq!(check_time("t", ok, true), Ok(()), "{ok}");
        }
        for ms in ["500ms", "1s500ms", "0ms"] {
            assert_eq!(check_time("t", ms, true), Ok(()), "{ms}");
            assert!(
                matches!(check_time("t", ms, false), Err(Error::InvalidValue { reason, .. }) if reason.contains("no ms")),
                "{ms}"
            );
        }
        for bad in ["", "s", "10x", "1.5s", "-1"] {
            assert!(check_time("t", bad, true).is_err(), "{bad}");
        }
        for ok in ["64k", "1m", "4096", "1G"] {
            assert_eq!(check_size("s", ok), Ok(()));
        }
        for bad in ["", "k", "64kb", "1.5m"] {
            assert!(check_size("s", bad).is_err(), "{bad}");
        }
        assert_eq!(parse_u32("n", "42"), Ok(42));
        assert!(parse_u32("n", "+1").is_err());
        assert!(parse_u32("n", "99999999999").is_err());
    }
}
