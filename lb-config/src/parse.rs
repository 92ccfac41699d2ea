//! The nginx config tokenizer and tree parser: comments, single and double quoted strings with
//! backslash escapes, any whitespace. Produces generic [`Directive`] trees that the typed model
//! converts from.

use crate::directive::Directive;
use crate::error::{Error, Result};

#[derive(Debug, PartialEq)]
enum Tok {
    Word(String),
    Semi,
    Open,
    Close,
}

fn tokenize(text: &str) -> Result<Vec<(Tok, usize)>> {
    let mut toks = Vec::new();
    let mut line = 1;
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            '\n' => {
                line += 1;
                chars.next();
            }
            c if c.is_whitespace() => {
                chars.next();
            }
            '#' => {
                while let Some(&c) = chars.peek() {
                    if c == '\n' {
                        break;
                    }
                    chars.next();
                }
            }
            ';' => {
                toks.push((Tok::Semi, line));
                chars.next();
            }
            '{' => {
                toks.push((Tok::Open, line));
                chars.next();
            }
            '}' => {
                toks.push((Tok::Close, line));
                chars.next();
            }
            '"' | '\'' => {
                let start = line;
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        None => {
                            return Err(Error::Parse {
                                line: start,
                                message: "unterminated quoted string".into(),
                            });
                        }
                        Some('\\') => match chars.next() {
                            Some(e) if e == c || e == '\\' => s.push(e),
                            Some('n') => s.push('\n'),
                            Some('t') => s.push('\t'),
                            Some('r') => s.push('\r'),
                            Some(e) => {
                                if e == '\n' {
                                    line += 1;
                                }
                                s.push('\\');
                                s.push(e);
                            }
                            None => {
                                return Err(Error::Parse {
                                    line: start,
                                    message: "unterminated quoted string".into(),
                                });
                            }
                        },
                        Some(e) if e == c => break,
                        Some(e) => {
                            if e == '\n' {
                                line += 1;
                            }
                            s.push(e);
                        }
                    }
                }
                if chars
                    .peek()
                    .is_some_and(|n| !(n.is_whitespace() || matches!(n, ';' | '{' | '}')))
                {
                    return Err(Error::Parse {
                        line,
                        message: "unexpected character after a quoted string".into(),
                    });
                }
                toks.push((Tok::Word(s), start));
            }
            _ => {
                let mut s = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || matches!(c, ';' | '{' | '}') {
                        break;
                    }
                    // `${var}` is one word in nginx: keep braces after '$'.
                    if (c == '"' || c == '\'') && s.is_empty() {
                        break;
                    }
                    s.push(c);
                    chars.next();
                }
                toks.push((Tok::Word(s), line));
            }
        }
    }
    Ok(toks)
}

/// Parses nginx config text into a list of directives (the block structure, no meaning).
///
/// # Errors
/// [`Error::Parse`] with the line number for unbalanced braces, missing `;`, unterminated strings.
pub fn parse_directives(text: &str) -> Result<Vec<Directive>> {
    let toks = tokenize(text)?;
    let mut pos = 0;
    let list = parse_list(&toks, &mut pos, false)?;
    Ok(list)
}

fn parse_list(toks: &[(Tok, usize)], pos: &mut usize, nested: bool) -> Result<Vec<Directive>> {
    let mut out = Vec::new();
    loop {
        let Some((tok, line)) = toks.get(*pos) else {
            if nested {
                let line = toks.last().map_or(1, |t| t.1);
                return Err(Error::Parse {
                    line,
                    message: "unexpected end of file, expecting '}'".into(),
                });
            }
            return Ok(out);
        };
        let line = *line;
        match tok {
            Tok::Close if nested => {
                *pos += 1;
                return Ok(out);
            }
            Tok::Close => {
                return Err(Error::Parse {
                    line,
                    message: "unexpected '}'".into(),
                });
            }
            Tok::Semi | Tok::Open => {
                return Err(Error::Parse {
                    line,
                    message: "expected a directive name".into(),
                });
            }
            Tok::Word(name) => {
                *pos += 1;
                let mut args = Vec::new();
                loop {
                    match toks.get(*pos) {
                        Some((Tok::Word(w), _)) => {
                            args.push(w.clone());
                            *pos += 1;
                        }
                        Some((Tok::Semi, _)) => {
                            *pos += 1;
                            out.push(Directive::raw(name.clone(), args, None));
                            break;
                        }
                        Some((Tok::Open, _)) => {
                            *pos += 1;
                            let children = parse_list(toks, pos, true)?;
                            out.push(Directive::raw(name.clone(), args, Some(children)));
                            break;
                        }
                        Some((Tok::Close, l)) => {
                            return Err(Error::Parse {
                                line: *l,
                                message: format!("directive {name:?} is not terminated by ';'"),
                            });
                        }
                        None => {
                            return Err(Error::Parse {
                                line,
                                message: format!("directive {name:?} is not terminated by ';'"),
                            });
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_comments_quotes_whitespace() {
        let d = parse_directives("# c\nupstream  lb\t{ least_conn ;\n server a:1 weight=2; } # trailing\nlog_format main '$a \"x\"' \"b\\\"c\";").unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].name(), "upstream");
        assert_eq!(d[0].args(), ["lb"]);
        let ch = d[0].children().unwrap();
        assert_eq!(ch[0].name(), "least_conn");
        assert_eq!(ch[1].args(), ["a:1", "weight=2"]);
        assert_eq!(d[1].args(), ["main", "$a \"x\"", "b\"c"]);
    }

    #[test]
    fn rejects_broken_text() {
        for (bad, line) in [
            ("a b", 1),
            ("a {\n b;", 2),
            ("}", 1),
            ("a 'x", 1),
            ("a { b }", 1),
            ("{", 1),
            ("a 'x'y;", 1),
        ] {
            match parse_directives(bad) {
                Err(Error::Parse { line: l, .. }) => assert_eq!(l, line, "{bad:?}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn raw_directives_round_trip() {
        let text = "x \"a b\" '' \"it's\" 'say \"hi\"' \"a\\\\b\" ok {\n    y;\n}\n";
        let d = parse_directives(text).unwrap();
        let rendered = d[0].to_string();
        assert_eq!(parse_directives(&rendered).unwrap(), d);
        assert_eq!(d[0].args(), ["a b", "", "it's", "say \"hi\"", "a\\b", "ok"]);
    }
}
