//! POSIX shell words without expansions: how `mount -t nfs -o … SRC DIR` and
//! `docker volume create --opt …` lines split into arguments, and quoting for the reverse.

use crate::error::{Error, Result};

/// One word for a POSIX shell: as it is when it holds only `[A-Za-z0-9_./:,=@%+-]`, else in
/// single quotes (`'` written as `'\''`). [`split`] reads it back as the same word.
///
/// ```
/// use sdk_grammar::shell::quote;
/// assert_eq!(quote("addr=10.0.0.1,ro"), "addr=10.0.0.1,ro");
/// assert_eq!(quote("it's here"), r#"'it'\''s here'"#);
/// ```
#[must_use]
pub fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'_' | b'.' | b'/' | b':' | b',' | b'=' | b'@' | b'%' | b'+' | b'-'
                )
        });
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// Splits a command line into words like a POSIX shell without expansions: blanks and
/// newlines separate words, `'…'` is literal, in `"…"` a backslash escapes `"`, `\`, `$` and
/// `` ` `` (and a backslash-newline is removed), outside quotes a backslash escapes any
/// character. The reverse of [`quote`].
///
/// # Errors
/// [`Error::Shell`] for an unterminated quote or a trailing backslash.
///
/// ```
/// use sdk_grammar::shell::split;
/// assert_eq!(split(r#"mount -o 'a b' "c\"d" e\ f"#)?, ["mount", "-o", "a b", "c\"d", "e f"]);
/// # Ok::<(), sdk_grammar::Error>(())
/// ```
pub fn split(s: &str) -> Result<Vec<String>> {
    let fail = |reason| Err(Error::Shell { reason });
    let mut words = Vec::new();
    let (mut cur, mut in_word) = (String::new(), false);
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => cur.push(c),
                        None => return fail("unterminated single quote"),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => cur.push(c),
                            Some('\n') => {}
                            Some(c) => {
                                cur.push('\\');
                                cur.push(c);
                            }
                            None => return fail("unterminated double quote"),
                        },
                        Some(c) => cur.push(c),
                        None => return fail("unterminated double quote"),
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') => {}
                Some(c) => {
                    in_word = true;
                    cur.push(c);
                }
                None => return fail("a trailing backslash"),
            },
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn splits_like_sh() {
        assert_eq!(split("  a\tb\nc  ").unwrap(), ["a", "b", "c"]);
        assert_eq!(split("''").unwrap(), [""]);
        assert_eq!(split(r#""a\b""#).unwrap(), ["a\\b"]);
        assert_eq!(split("a\\\nb").unwrap(), ["ab"]);
        assert_eq!(split("x'y'\"z\"").unwrap(), ["xyz"]);
        assert!(split("'a").is_err());
        assert!(split("\"a").is_err());
        assert_eq!(
            split("a\\").unwrap_err(),
            Error::Shell {
                reason: "a trailing backslash"
            }
        );
    }

    proptest! {
        #[test]
        fn quoted_words_split_back(words in proptest::collection::vec("\\PC{0,10}", 0..5)) {
            let line = words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ");
            prop_assert_eq!(split(&line).unwrap(), words);
        }
    }
}
