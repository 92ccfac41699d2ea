//! IDs and names as URL path segments.
//!
//! Every ID or name that goes into a request path (given by the caller or returned by a server)
//! passes through [`segment`]: characters outside RFC 3986's unreserved set (`A-Z a-z 0-9 - . _
//! ~`) are percent-encoded, so `?`, `#`, `%`, `;` or spaces cannot start a query, a fragment or
//! an escape. What encoding cannot make safe is refused with [`Error::InvalidArgument`] naming
//! the value: the empty string, `.` and `..` (URL parsers resolve them as dot segments, encoded
//! or not: `%2e%2e` is `..` to the WHATWG URL parser), and `/` — dockerd decodes the path before
//! routing, so an encoded `%2F` still splits the segment there (`x%2Flogs` reaches the logs
//! route, `..%2Fsecrets%2FID` is cleaned into `/secrets/ID`). Values whose percent-decoding
//! would be one of those are refused too, for servers that decode twice.

use crate::error::{Error, Result};

/// `value` as one percent-encoded path segment.
///
/// # Errors
/// [`Error::InvalidArgument`] (with `what`) for an empty value, `.`, `..`, a value containing `/`,
/// or one that percent-decodes to any of these.
pub(crate) fn segment(what: &'static str, value: &str) -> Result<String> {
    check(what, value, value)?;
    Ok(encode(value))
}

/// An image reference for a route that spans segments (`/distribution/{name:.*}/json`): each
/// `/`-separated part is checked and encoded like a [`segment`], the slashes are kept.
///
/// # Errors
/// [`Error::InvalidArgument`] when the value is empty or any part is empty, `.`, `..` or
/// percent-decodes to a dot segment or a `/`.
pub(crate) fn segments(what: &'static str, value: &str) -> Result<String> {
    let mut out = String::with_capacity(value.len());
    for (i, part) in value.split('/').enumerate() {
        check(what, value, part)?;
        if i > 0 {
            out.push('/');
        }
        out.push_str(&encode(part));
    }
    Ok(out)
}

fn check(what: &'static str, whole: &str, part: &str) -> Result<()> {
    let refuse = |why: &str| {
        Err(Error::InvalidArgument {
            what,
            message: format!("{whole:?} {why}"),
        })
    };
    if part.is_empty() {
        return refuse("is empty or has an empty path segment");
    }
    let decoded = decode(part);
    for v in [part, decoded.as_str()] {
        if v == "." || v == ".." {
            return refuse("is a dot segment, which a server resolves to another path");
        }
        if v.contains('/') {
            return refuse("contains '/', which a server splits into several path segments");
        }
    }
    Ok(())
}

/// Percent-encodes everything but RFC 3986 unreserved characters (UTF-8 bytes, upper-case hex).
pub(crate) fn encode(value: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Percent-decodes once, as Go's `url.PathUnescape` (and so dockerd's router) does; an invalid
/// escape is kept as written and invalid UTF-8 is replaced.
pub(crate) fn decode(value: &str) -> String {
    let b = value.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(hex) = b.get(i + 1..i + 3)
            && let Ok(h) = std::str::from_utf8(hex)
            && let Ok(v) = u8::from_str_radix(h, 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_all_but_unreserved() {
        assert_eq!(segment("x", "web-1.a_b~").unwrap(), "web-1.a_b~");
        assert_eq!(segment("x", "N?force=true").unwrap(), "N%3Fforce%3Dtrue");
        assert_eq!(
            segment("x", "%2e%2e").unwrap_err().to_string(),
            "invalid argument x: \"%2e%2e\" is a dot segment, which a server resolves to another path"
        );
        assert_eq!(segment("x", "100%").unwrap(), "100%25");
        assert_eq!(segment("x", "...").unwrap(), "...");
        assert_eq!(
            segments("image", "127.0.0.1:5000/a/b:1").unwrap(),
            "127.0.0.1%3A5000/a/b%3A1"
        );
    }

    #[test]
    fn decode_is_the_inverse_of_encode() {
        for s in ["", "a b", "caf\u{e9}", "%", "%2", "%zz", "a%2Fb", "~._-"] {
            assert_eq!(decode(&encode(s)), s);
        }
        assert_eq!(decode("%2e%2E"), "..");
        assert_eq!(decode("%zz%4"), "%zz%4");
    }
}
