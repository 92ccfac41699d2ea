//! The Dockerfile grammar the fake builder reads: instructions with continuations and
//! comments, dockerd's refusal of an unknown one, variable substitution, words and quotes,
//! `KEY=value` pairs, the exec form, and the path rules of `COPY` sources.

use std::collections::BTreeMap;

/// One Dockerfile instruction.
#[derive(Debug, Clone)]
pub(super) struct Instr {
    /// Upper-case keyword.
    pub(super) cmd: String,
    /// The rest of the line (continuations joined).
    pub(super) args: String,
    /// The instruction as written (after joining continuations).
    pub(super) original: String,
}

pub(super) const KNOWN: &[&str] = &[
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// Parses a Dockerfile into instructions; dockerd's 400 message for an unknown one.
pub(super) fn parse_dockerfile(text: &str) -> Result<Vec<Instr>, String> {
    let mut out = Vec::new();
    let mut pending = String::new();
    let mut start = 0;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if pending.is_empty() && (line.is_empty() || line.starts_with('#')) {
            continue;
        }
        if !pending.is_empty() && line.starts_with('#') {
            continue;
        }
        if pending.is_empty() {
            start = n + 1;
        }
        if let Some(cont) = line.strip_suffix('\\') {
            pending.push_str(cont);
            pending.push(' ');
            continue;
        }
        pending.push_str(line);
        let whole = std::mem::take(&mut pending);
        let (cmd, args) = whole
            .split_once(char::is_whitespace)
            .unwrap_or((whole.as_str(), ""));
        let upper = cmd.to_ascii_uppercase();
        if !KNOWN.contains(&upper.as_str()) {
            return Err(format!(
                "dockerfile parse error line {start}: unknown instruction: {upper}"
            ));
        }
        out.push(Instr {
            cmd: upper,
            args: args.trim().to_owned(),
            original: whole.trim().to_owned(),
        });
    }
    if !pending.is_empty() {
        let whole = pending.trim().to_owned();
        let (cmd, args) = whole
            .split_once(char::is_whitespace)
            .unwrap_or((whole.as_str(), ""));
        out.push(Instr {
            cmd: cmd.to_ascii_uppercase(),
            args: args.trim().to_owned(),
            original: whole.clone(),
        });
    }
    if out.is_empty() {
        return Err("the Dockerfile (Dockerfile) cannot be empty".to_owned());
    }
    Ok(out)
}

/// `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR:+alt}` replaced from `vars`; `\$` stays `$`.
pub(super) fn subst(s: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && chars.get(i + 1) == Some(&'$') {
            out.push('$');
            i += 2;
            continue;
        }
        if c != '$' {
            out.push(c);
            i += 1;
            continue;
        }
        if chars.get(i + 1) == Some(&'{') {
            let Some(end) = chars[i..].iter().position(|&c| c == '}') else {
                out.push(c);
                i += 1;
                continue;
            };
            let inner: String = chars[i + 2..i + end].iter().collect();
            let value = if let Some((name, def)) = inner.split_once(":-") {
                vars.get(name)
                    .filter(|v| !v.is_empty())
                    .cloned()
                    .unwrap_or_else(|| def.to_owned())
            } else if let Some((name, alt)) = inner.split_once(":+") {
                if vars.get(name).is_some_and(|v| !v.is_empty()) {
                    alt.to_owned()
                } else {
                    String::new()
                }
            } else {
                vars.get(&inner).cloned().unwrap_or_default()
            };
            out.push_str(&value);
            i += end + 1;
            continue;
        }
        let name: String = chars[i + 1..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
            .collect();
        if name.is_empty() {
            out.push('$');
            i += 1;
            continue;
        }
        out.push_str(vars.get(&name).map_or("", String::as_str));
        i += 1 + name.chars().count();
    }
    out
}

/// Words of a line: whitespace-separated, quotes grouping and removed, `\x` escaping `x`.
pub(super) fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    let mut it = s.chars();
    while let Some(c) = it.next() {
        match (quote, c) {
            (None, '"' | '\'') => {
                quote = Some(c);
                any = true;
            }
            (Some(q), c) if c == q => quote = None,
            (_, '\\') => {
                if let Some(n) = it.next() {
                    cur.push(n);
                }
            }
            (None, c) if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (_, c) => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `LABEL`/`ENV` pairs: `k=v k2="v 2"`, or the legacy `k value with spaces`.
pub(super) fn pairs(args: &str, vars: &BTreeMap<String, String>) -> Vec<(String, String)> {
    let first = args.split_whitespace().next().unwrap_or("");
    if !first.contains('=') {
        let (k, v) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
        return vec![(subst(k, vars), subst(v.trim(), vars))];
    }
    // Words first, then variables: a value with spaces stays one value.
    words(args)
        .into_iter()
        .map(|w| match w.split_once('=') {
            Some((k, v)) => (k.to_owned(), subst(v, vars)),
            None => (w, String::new()),
        })
        .collect()
}

/// `CMD`/`ENTRYPOINT`/`VOLUME` arguments: a JSON array, else the shell form.
pub(super) fn exec_form(args: &str) -> Option<Vec<String>> {
    args.trim_start()
        .starts_with('[')
        .then(|| serde_json::from_str::<Vec<String>>(args).ok())
        .flatten()
}

/// Whether `name` matches glob `pat` (`*`, `?`; neither crosses `/`).
pub(super) fn glob(pat: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pat.chars().collect(), name.chars().collect());
    fn go(p: &[char], n: &[char]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some('*'), _) => {
                go(&p[1..], n) || (n.first().is_some_and(|c| *c != '/') && go(p, &n[1..]))
            }
            (Some('?'), Some(c)) if *c != '/' => go(&p[1..], &n[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &n[1..]),
            _ => false,
        }
    }
    go(&p, &n)
}

/// `path` cleaned the way Go's `path.Clean` does for a relative context path (`.` for root).
pub(super) fn clean(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_vars_and_globs() {
        let vars: BTreeMap<String, String> = [("A".to_owned(), "x y".to_owned())].into();
        assert_eq!(subst("$A-${A}-${B:-d}-\\$A", &vars), "x y-x y-d-$A");
        assert_eq!(
            pairs(r#"k="v 1" j=$A"#, &vars),
            [
                ("k".to_owned(), "v 1".to_owned()),
                ("j".to_owned(), "x y".to_owned())
            ]
        );
        assert_eq!(
            pairs("legacy some value", &vars),
            [("legacy".to_owned(), "some value".to_owned())]
        );
        assert!(glob("*.txt", "a.txt"));
        assert!(!glob("*.txt", "d/a.txt"));
        assert_eq!(clean("./a//b/../c/"), "a/c");
        assert!(
            parse_dockerfile("FROM scratch\nBOGUS x\n")
                .unwrap_err()
                .contains("line 2: unknown instruction: BOGUS")
        );
        let i = parse_dockerfile("# c\nFROM scratch\nLABEL a=1 \\\n  b=2\n").unwrap();
        assert_eq!(
            pairs(&i[1].args, &vars),
            [
                ("a".to_owned(), "1".to_owned()),
                ("b".to_owned(), "2".to_owned())
            ]
        );
    }
}
