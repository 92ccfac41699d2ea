//! docker's env files (`kvfile.Parse`): what `docker service create --env-file` and compose
//! files' `env_file` read.

use crate::error::{Error, Result};

/// Reads an env file's bytes: `KEY=VALUE` lines are kept as they are, a bare `KEY` takes its
/// value from `lookup` (and is left out when `lookup` has none), blank lines and `#` comments
/// are skipped, a leading UTF-8 BOM and `\r` line ends are dropped.
///
/// # Errors
/// [`Error::EnvFile`] with docker's texts: invalid UTF-8 on a line, a line without a variable
/// name, a name with whitespace.
///
/// ```
/// use sdk_grammar::envfile::parse;
/// let env = parse(b"# comment\nA=1\nHOME\nUNSET\n  B= two \n", &|k| {
///     (k == "HOME").then(|| "/root".to_owned())
/// })?;
/// assert_eq!(env, ["A=1", "HOME=/root", "B= two "]);
/// # Ok::<(), sdk_grammar::Error>(())
/// ```
pub fn parse(bytes: &[u8], lookup: &dyn Fn(&str) -> Option<String>) -> Result<Vec<String>> {
    let invalid = |reason: String| Error::EnvFile { reason };
    let mut out = Vec::new();
    for (n, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let raw = if n == 0 {
            raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw)
        } else {
            raw
        };
        let line = std::str::from_utf8(raw)
            .map_err(|_| invalid(format!("invalid utf8 bytes at line {}: {raw:?}", n + 1)))?;
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, has_value) = match line.split_once('=') {
            Some((k, _)) => (k, true),
            None => (line, false),
        };
        if key.is_empty() {
            return Err(invalid(format!("no variable name on line '{line}'")));
        }
        if key.contains([' ', '\t']) {
            return Err(invalid(format!("variable '{key}' contains whitespaces")));
        }
        if has_value {
            out.push(line.to_owned());
        } else if let Some(v) = lookup(line) {
            out.push(format!("{key}={v}"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_like_docker() {
        let none = |_: &str| None;
        assert_eq!(
            parse(b"\xEF\xBB\xBFA=1\r\nB=2", &none).unwrap(),
            ["A=1", "B=2"]
        );
        assert_eq!(parse(b"\n\n# x\n", &none).unwrap(), Vec::<String>::new());
        assert_eq!(
            parse(b"=1", &none).unwrap_err().to_string(),
            "no variable name on line '=1'"
        );
        assert_eq!(
            parse(b"A B=1", &none).unwrap_err().to_string(),
            "variable 'A B' contains whitespaces"
        );
        assert!(
            parse(b"A=\xff", &none)
                .unwrap_err()
                .to_string()
                .starts_with("invalid utf8 bytes at line 1")
        );
    }
}
