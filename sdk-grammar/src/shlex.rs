//! `github.com/google/shlex`'s `Split`: how the docker CLI splits `--entrypoint` and compose
//! files' `command`/`entrypoint` strings. Not a POSIX shell (see [`crate::shell`]): a
//! backslash escapes any character, inside double quotes too, and a `#` at the start of a word
//! begins a comment that runs to the end of the line.

use crate::error::{Error, Result};

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    InWord,
    Escaping,
    EscapingQuoted,
    QuotingEscaping,
    Quoting,
    Comment,
}

/// Splits `s` into words as `shlex.Split` does.
///
/// # Errors
/// [`Error::Shell`] with shlex's texts: `EOF found after escape character`, `EOF found when
/// expecting closing quote`.
///
/// ```
/// use sdk_grammar::shlex::split;
/// assert_eq!(split(r#"nginx -g "daemon off;""#)?, ["nginx", "-g", "daemon off;"]);
/// assert_eq!(split(r#"a "b\c" # a comment"#)?, ["a", "bc"]);
/// assert_eq!(split("a#b")?, ["a#b"]);
/// # Ok::<(), sdk_grammar::Error>(())
/// ```
pub fn split(s: &str) -> Result<Vec<String>> {
    const AFTER_ESCAPE: &str = "EOF found after escape character";
    const NO_CLOSING: &str = "EOF found when expecting closing quote";
    let mut words = Vec::new();
    let mut state = State::Start;
    let mut value = String::new();
    let mut chars = s.chars();
    loop {
        let next = chars.next();
        match state {
            State::Start => match next {
                None => return Ok(words),
                Some(' ' | '\t' | '\r' | '\n') => {}
                Some('"') => state = State::QuotingEscaping,
                Some('\'') => state = State::Quoting,
                Some('\\') => state = State::Escaping,
                Some('#') => state = State::Comment,
                Some(c) => {
                    value.push(c);
                    state = State::InWord;
                }
            },
            State::InWord => match next {
                None | Some(' ' | '\t' | '\r' | '\n') => {
                    words.push(std::mem::take(&mut value));
                    state = State::Start;
                    if next.is_none() {
                        return Ok(words);
                    }
                }
                Some('"') => state = State::QuotingEscaping,
                Some('\'') => state = State::Quoting,
                Some('\\') => state = State::Escaping,
                Some(c) => value.push(c),
            },
            State::Escaping => match next {
                None => {
                    return Err(Error::Shell {
                        reason: AFTER_ESCAPE,
                    });
                }
                Some(c) => {
                    value.push(c);
                    state = State::InWord;
                }
            },
            State::EscapingQuoted => match next {
                None => {
                    return Err(Error::Shell {
                        reason: AFTER_ESCAPE,
                    });
                }
                Some(c) => {
                    value.push(c);
                    state = State::QuotingEscaping;
                }
            },
            State::QuotingEscaping => match next {
                None => return Err(Error::Shell { reason: NO_CLOSING }),
                Some('"') => state = State::InWord,
                Some('\\') => state = State::EscapingQuoted,
                Some(c) => value.push(c),
            },
            State::Quoting => match next {
                None => return Err(Error::Shell { reason: NO_CLOSING }),
                Some('\'') => state = State::InWord,
                Some(c) => value.push(c),
            },
            State::Comment => match next {
                None => return Ok(words),
                Some('\n') => {
                    value.clear();
                    state = State::Start;
                }
                Some(_) => {}
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // google/shlex's own shlex_test.go: testString and its expected words.
    #[test]
    fn splits_like_google_shlex() {
        let input = "one two \"three four\" \"five \\\"six\\\"\" seven#eight # nine # ten\n eleven 'twelve\\' thirteen=13 fourteen/14";
        assert_eq!(
            split(input).unwrap(),
            [
                "one",
                "two",
                "three four",
                "five \"six\"",
                "seven#eight",
                "eleven",
                "twelve\\",
                "thirteen=13",
                "fourteen/14"
            ]
        );
        assert_eq!(split("").unwrap(), Vec::<String>::new());
        assert_eq!(split("\"\"").unwrap(), [""]);
        assert_eq!(split("a\\ b").unwrap(), ["a b"]);
        assert_eq!(
            split("a\\").unwrap_err().to_string(),
            "EOF found after escape character"
        );
        assert_eq!(
            split("'a").unwrap_err().to_string(),
            "EOF found when expecting closing quote"
        );
        assert_eq!(
            split("\"a\\").unwrap_err().to_string(),
            "EOF found after escape character"
        );
    }
}
