//! Small text helpers shared by the grammars: strict numbers, escapes, CSV fields, FNV-1a.

use crate::error::{Error, Result};

/// Parses a plain decimal number (digits only, no sign, no leading zero unless it is `0`)
/// and checks it against `min..=max`.
pub(crate) fn number(option: &str, value: &str, min: u64, max: u64) -> Result<u64> {
    let plain = !value.is_empty()
        && value.bytes().all(|b| b.is_ascii_digit())
        && (value == "0" || !value.starts_with('0'));
    if !plain {
        return Err(Error::InvalidNumber {
            option: option.to_owned(),
            value: value.to_owned(),
        });
    }
    let out_of_range = || Error::OutOfRange {
        option: option.to_owned(),
        value: value.to_owned(),
        min,
        max,
    };
    let n: u64 = value.parse().map_err(|_| out_of_range())?;
    if n < min || n > max {
        return Err(out_of_range());
    }
    Ok(n)
}

/// Checks that an option word (key or value) has no whitespace, comma or control character.
pub(crate) fn check_word(what: &'static str, value: &str) -> Result<()> {
    if let Some(ch) = value
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || *c == ',')
    {
        return Err(Error::InvalidCharacter {
            what,
            value: value.to_owned(),
            ch,
        });
    }
    Ok(())
}

/// A path that must be absolute (mount points, `--mount` targets).
pub(crate) fn check_absolute(what: &'static str, value: &str) -> Result<()> {
    if value.starts_with('/') {
        Ok(())
    } else {
        Err(Error::RelativePath {
            what,
            value: value.to_owned(),
        })
    }
}

/// Checks that a path-like value has no control characters (newline, NUL, …).
pub(crate) fn check_no_control(what: &'static str, value: &str) -> Result<()> {
    if let Some(ch) = value.chars().find(|c| c.is_control() && *c != '\t') {
        return Err(Error::InvalidCharacter {
            what,
            value: value.to_owned(),
            ch,
        });
    }
    Ok(())
}

/// Escapes space, tab, newline and backslash as fstab(5) does (`\040`, `\011`, `\012`, `\134`).
pub(crate) fn octal_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            ' ' => out.push_str("\\040"),
            '\t' => out.push_str("\\011"),
            '\n' => out.push_str("\\012"),
            '\\' => out.push_str("\\134"),
            c => out.push(c),
        }
    }
    out
}

/// Reverses [`octal_escape`]; any other backslash sequence is an error, so decoding then
/// escaping gives back the same bytes.
pub(crate) fn octal_unescape(what: &'static str, raw: &str) -> Result<String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let esc = rest.get(i..i + 4).unwrap_or("");
        let c = match esc {
            "\\040" => ' ',
            "\\011" => '\t',
            "\\012" => '\n',
            "\\134" => '\\',
            _ => {
                return Err(Error::InvalidEscape {
                    what,
                    value: raw.to_owned(),
                });
            }
        };
        out.push(c);
        rest = &rest[i + 4..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Splits one CSV record as Go's `encoding/csv` reader does (the docker CLI's `--mount`
/// grammar, through `sdk-grammar`), keeping whether each field was quoted. Newlines are refused
/// here: a `--mount` value is one line.
pub(crate) fn csv_split(input: &str) -> Result<Vec<sdk_grammar::csv::Field>> {
    let err = |reason| Error::Csv {
        input: input.to_owned(),
        reason,
    };
    if input.contains(['\n', '\r']) {
        return Err(err("newlines are not allowed"));
    }
    if input.is_empty() {
        // Go reads nothing (EOF); as a --mount value it is one empty field.
        return Ok(vec![sdk_grammar::csv::Field::new("", false)]);
    }
    sdk_grammar::csv::read_record(input).map_err(|e| match e {
        sdk_grammar::Error::Csv { reason, .. } => err(reason),
        _ => err("not a CSV record"),
    })
}

/// 64-bit FNV-1a.
pub(crate) fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Splits `s` into whitespace-separated tokens, returning the tokens and the separators:
/// `seps.len() == tokens.len() + 1` (leading run, runs between tokens, trailing run).
pub(crate) fn split_ws(s: &str) -> (Vec<&str>, Vec<String>) {
    let mut tokens = Vec::new();
    let mut seps = Vec::new();
    let mut rest = s;
    loop {
        let ws_end = rest
            .find(|c: char| c != ' ' && c != '\t')
            .unwrap_or(rest.len());
        seps.push(rest[..ws_end].to_owned());
        rest = &rest[ws_end..];
        if rest.is_empty() {
            break;
        }
        let tok_end = rest.find([' ', '\t']).unwrap_or(rest.len());
        tokens.push(&rest[..tok_end]);
        rest = &rest[tok_end..];
    }
    if seps.len() == tokens.len() {
        seps.push(String::new());
    }
    (tokens, seps)
}

/// One word for a POSIX shell (see `sdk_grammar::shell::quote`).
pub(crate) fn shell_quote(word: &str) -> String {
    sdk_grammar::shell::quote(word)
}

/// Splits a command line into words like a POSIX shell without expansions (see
/// `sdk_grammar::shell::split`); the error is what did not close.
pub(crate) fn shell_split(s: &str) -> std::result::Result<Vec<String>, &'static str> {
    sdk_grammar::shell::split(s).map_err(|e| match e {
        sdk_grammar::Error::Shell { reason } => reason,
        _ => "not shell words",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_strict() {
        assert_eq!(number("x", "0", 0, 5), Ok(0));
        assert_eq!(number("x", "5", 0, 5), Ok(5));
        assert!(matches!(
            number("x", "05", 0, 5),
            Err(Error::InvalidNumber { .. })
        ));
        assert!(matches!(
            number("x", "+5", 0, 5),
            Err(Error::InvalidNumber { .. })
        ));
        assert!(matches!(
            number("x", "", 0, 5),
            Err(Error::InvalidNumber { .. })
        ));
        assert!(matches!(
            number("x", "6", 0, 5),
            Err(Error::OutOfRange { .. })
        ));
        assert!(matches!(
            number("x", "99999999999999999999999", 0, 5),
            Err(Error::OutOfRange { .. })
        ));
    }

    #[test]
    fn escapes_round_trip_and_reject_others() {
        let raw = "/a\\040b\\011c\\134d\\012";
        let dec = octal_unescape("p", raw).unwrap();
        assert_eq!(dec, "/a b\tc\\d\n");
        assert_eq!(octal_escape(&dec), raw);
        assert!(octal_unescape("p", "/a\\101").is_err());
        assert!(octal_unescape("p", "/a\\04").is_err());
    }

    #[test]
    fn csv_keeps_quoting_and_refuses_newlines() {
        let f = csv_split(r#"a,"b,c""#).unwrap();
        assert_eq!((f[1].value.as_str(), f[1].quoted), ("b,c", true));
        assert!(matches!(csv_split("a\nb"), Err(Error::Csv { .. })));
        assert!(matches!(csv_split("\"ab"), Err(Error::Csv { .. })));
    }

    #[test]
    fn fnv_known_values() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn split_ws_keeps_separators() {
        let (t, s) = split_ws(" a\tb  c ");
        assert_eq!(t, ["a", "b", "c"]);
        assert_eq!(s, [" ", "\t", "  ", " "]);
        let (t, s) = split_ws("a");
        assert_eq!(t, ["a"]);
        assert_eq!(s, ["", ""]);
    }
}
