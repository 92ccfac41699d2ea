//! Go's quoting, as its error texts print inputs: `strconv.Quote` and the `time` package's own.

/// `strconv.Quote`: the string in double quotes with Go's escapes (`\"`, `\\`, `\n`, `\t`,
/// `\x1b`, `\u00a0`, …). Printable characters are kept; the test for "printable" follows Go's
/// `unicode.IsPrint` for controls, spaces and the common format characters.
///
/// ```
/// assert_eq!(sdk_grammar::go::quote("a\"b\n"), r#""a\"b\n""#);
/// ```
#[must_use]
pub fn quote(s: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            c if c < ' ' || c == '\x7f' => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if is_print(c) => out.push(c),
            c if u32::from(c) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => {
                let _ = write!(out, "\\U{:08x}", u32::from(c));
            }
        }
    }
    out.push('"');
    out
}

/// Go's `unicode.IsPrint` as far as std can tell: no controls, no spaces but U+0020, no
/// format characters of the common ranges.
fn is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(u32::from(c),
        0xad | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x180e | 0x200b..=0x200f
        | 0x202a..=0x202e | 0x2060..=0x2064 | 0x2066..=0x206f | 0xfeff | 0xfff9..=0xfffb
        | 0xe000..=0xf8ff | 0xf0000..=0x10ffff)
}

/// Go's `time` package's own quoting in its error texts: `"` and `\` escaped, bytes of
/// non-ASCII or control characters as `\xNN`.
pub(crate) fn time_quote(s: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if !(' '..'\u{80}').contains(&c) {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "\\x{b:02x}");
            }
        } else {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_like_strconv() {
        assert_eq!(quote("abc"), "\"abc\"");
        assert_eq!(quote("\x1b[0m\t"), "\"\\x1b[0m\\t\"");
        assert_eq!(quote("\u{a0}é"), "\"\\u00a0é\"");
        assert_eq!(quote("\u{feff}"), "\"\\ufeff\"");
        assert_eq!(time_quote("é\"x"), "\"\\xc3\\xa9\\\"x\"");
    }
}
