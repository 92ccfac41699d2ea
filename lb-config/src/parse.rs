//! The nginx config tokenizer and tree parser: comments, single and double quoted strings with
//! backslash escapes, any whitespace. Produces generic [`Directive`] trees that the typed model
//! converts from.

use crate::directive::Directive;
use crate::error::{Error, Result};

/// How deeply blocks may nest in text given to [`parse_directives`]. nginx's contexts nest a
/// handful of levels (`http` → `server` → `location` → nested `location` → `if`); deeper text is
/// refused with [`Error::NestingTooDeep`] instead of recursing without bound.
pub const MAX_BLOCK_DEPTH: usize = 64;

#[derive(Debug, PartialEq)]
enum Tok {
    Word(String),
    Semi,
    Open,
    Close,
}

/// The characters that separate words in nginx (`ngx_conf_read_token`): space, tab, CR, LF.
/// Other (Unicode) whitespace is part of a word there, so it is here.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// nginx's unescaping of a word (quoted or not): `\"`, `\'` and `\\` stand for the character,
/// `\t`, `\r`, `\n` for tab, CR, LF; any other backslash is kept.
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut it = raw.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\\' {
            let escaped = match it.peek() {
                Some(&e @ ('"' | '\'' | '\\')) => Some(e),
                Some('t') => Some('\t'),
                Some('r') => Some('\r'),
                Some('n') => Some('\n'),
                _ => None,
            };
            if let Some(e) = escaped {
                it.next();
                out.push(e);
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// Splits text into words and punctuation by nginx's own rules (`ngx_conf_read_token` in
/// `src/core/ngx_conf_file.c`): a `{` right after `$` belongs to the variable (`${var}`), `}` and
/// `#` end or start something only at the start of a word, a backslash escapes the next
/// character, and after a closing quote only a separator, `;`, `{` or `)` may follow.
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
            c if is_space(c) => {
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
                let unterminated = || Error::Parse {
                    line: start,
                    message: "unterminated quoted string".into(),
                };
                let mut raw = String::new();
                loop {
                    match chars.next() {
                        None => return Err(unterminated()),
                        Some('\\') => {
                            let e = chars.next().ok_or_else(unterminated)?;
                            if e == '\n' {
                                line += 1;
                            }
                            raw.push('\\');
                            raw.push(e);
                        }
                        Some(e) if e == c => break,
                        Some(e) => {
                            if e == '\n' {
                                line += 1;
                            }
                            raw.push(e);
                        }
                    }
                }
                // nginx's `need_space`: `)` is allowed too (`if ($a = "b")`) and starts a word.
                if chars
                    .peek()
                    .is_some_and(|&n| !(is_space(n) || matches!(n, ';' | '{' | ')')))
                {
                    return Err(Error::Parse {
                        line,
                        message: "unexpected character after a quoted string".into(),
                    });
                }
                toks.push((Tok::Word(unescape(&raw)), start));
            }
            _ => {
                let start = line;
                let mut raw = String::new();
                // Whether the previous character was an unescaped `$` (or a `{` right after one).
                let mut variable = false;
                while let Some(&c) = chars.peek() {
                    if c == '\\' {
                        chars.next();
                        raw.push('\\');
                        if let Some(e) = chars.next() {
                            if e == '\n' {
                                line += 1;
                            }
                            raw.push(e);
                        }
                        variable = false;
                        continue;
                    }
                    if c == '{' && variable {
                        raw.push(c);
                        chars.next();
                        continue;
                    }
                    variable = c == '$';
                    if is_space(c) || matches!(c, ';' | '{') {
                        break;
                    }
                    raw.push(c);
                    chars.next();
                }
                toks.push((Tok::Word(unescape(&raw)), start));
            }
        }
    }
    Ok(toks)
}

/// Parses nginx config text into a list of directives (the block structure, no meaning).
///
/// # Errors
/// [`Error::Parse`] with the line number for unbalanced braces, missing `;`, unterminated strings;
/// [`Error::NestingTooDeep`] for blocks nested deeper than [`MAX_BLOCK_DEPTH`].
pub fn parse_directives(text: &str) -> Result<Vec<Directive>> {
    let toks = tokenize(text)?;
    let mut pos = 0;
    let list = parse_list(&toks, &mut pos, 0)?;
    Ok(list)
}

/// The directives up to the end of the text (`depth` 0) or up to the `}` closing the block
/// `depth` levels deep.
fn parse_list(toks: &[(Tok, usize)], pos: &mut usize, depth: usize) -> Result<Vec<Directive>> {
    let nested = depth > 0;
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
                        Some((Tok::Open, l)) => {
                            if depth >= MAX_BLOCK_DEPTH {
                                return Err(Error::NestingTooDeep {
                                    line: *l,
                                    limit: MAX_BLOCK_DEPTH,
                                });
                            }
                            *pos += 1;
                            let children = parse_list(toks, pos, depth + 1)?;
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
    fn braced_variables_are_one_word_as_in_nginx() {
        // ngx_conf_read_token: a '{' right after '$' belongs to the variable, and '}' only ends
        // a word at its start (where it closes a block), so `${var}` is one argument.
        let d = parse_directives("set $a ${b}c;\nproxy_pass http://${backend}:8080/;").unwrap();
        assert_eq!(d[0].args(), ["$a", "${b}c"]);
        assert_eq!(d[1].args(), ["http://${backend}:8080/"]);
        // The same inside a block, and a block still opens after a plain word.
        let d = parse_directives("location / { return 200 ${x}; }").unwrap();
        assert_eq!(d[0].args(), ["/"]);
        assert_eq!(d[0].children().unwrap()[0].args(), ["200", "${x}"]);
        // A '{' after a non-variable character still opens a block.
        let d = parse_directives("map $a$b {default x;}").unwrap();
        assert_eq!(d[0].args(), ["$a$b"]);
        assert_eq!(d[0].children().unwrap()[0].args(), ["x"]);
        // A backslash escapes the next character in an unquoted word, as in nginx (which keeps
        // the backslash unless it escapes a quote, a backslash, t, r or n).
        let d = parse_directives("a b\\;c\\ d e\\\"f\\tg;").unwrap();
        assert_eq!(d[0].args(), ["b\\;c\\ d", "e\"f\tg"]);
        // `if ($a = "b")`: a ')' may follow a quoted string and starts a new word.
        let d = parse_directives("if ($a = \"b\") { return 404; }").unwrap();
        assert_eq!(d[0].args(), ["($a", "=", "b", ")"]);
        // Rendering keeps such a value one argument.
        let text = d[0].to_string();
        assert_eq!(parse_directives(&text).unwrap(), d);
        let set = Directive::new("set", ["$a", "${b}c"]).unwrap().to_string();
        assert_eq!(parse_directives(&set).unwrap()[0].args(), ["$a", "${b}c"]);
    }

    #[test]
    fn deep_nesting_is_a_typed_error_not_a_stack_overflow() {
        let deep = "a {".repeat(100_000) + &"}".repeat(100_000);
        assert_eq!(
            parse_directives(&deep),
            Err(Error::NestingTooDeep {
                line: 1,
                limit: MAX_BLOCK_DEPTH
            })
        );
        let bare = "a{".repeat(1_000_000);
        assert!(matches!(
            parse_directives(&bare),
            Err(Error::NestingTooDeep { .. })
        ));
        // Just inside the limit parses.
        let ok = "a {".repeat(MAX_BLOCK_DEPTH) + &"}".repeat(MAX_BLOCK_DEPTH);
        let mut d = parse_directives(&ok).unwrap();
        let mut depth = 0;
        while let Some(mut ch) = d.pop().and_then(|x| x.into_parts().2) {
            depth += 1;
            d = std::mem::take(&mut ch);
        }
        assert_eq!(depth, MAX_BLOCK_DEPTH);
        let over = "a {".repeat(MAX_BLOCK_DEPTH + 1) + &"}".repeat(MAX_BLOCK_DEPTH + 1);
        assert!(matches!(
            parse_directives(&over),
            Err(Error::NestingTooDeep { .. })
        ));
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
