//! Variable interpolation exactly as docker's compose loader does it (`cli/compose/template` and
//! `cli/compose/interpolation`).
//!
//! Every form docker accepts: `$X`, `${X}`, `${X:-default}` (unset or empty), `${X-default}`
//! (unset), `${X:?error}` (unset or empty is an error), `${X?error}` (unset is an error), and
//! `$$` for a literal `$`. Names are `[_a-zA-Z][_a-zA-Z0-9]*`. docker's quirks are kept because
//! files rely on them: the unbraced form also takes a modifier up to the next `}` (`$X-a b`),
//! modifiers are recognised anywhere in the text (`${X:?a-b}` is a `-` default for the name
//! `X:?a`), and an error from one variable is forgotten when a later variable in the same string
//! resolves. Only string values are interpolated (never keys); a value whose text changed is
//! then cast where docker casts it (`deploy.replicas: ${N}` becomes an integer).

use std::collections::BTreeMap;

use crate::yaml::Value;

/// Why interpolation failed; the `Display` text is docker's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InterpolationError {
    /// A `$` that starts no valid variable, or a required variable with no value.
    #[error(
        "invalid interpolation format for {path}: {}; you may need to escape any $ with another $",
        sdk_grammar::go::quote(template)
    )]
    InvalidFormat {
        /// The dotted path of the value (`services.web.image`; list items are `[]`).
        path: String,
        /// The template docker reports (the whole value, or the required-variable message).
        template: String,
    },
    /// The interpolated text does not cast to the type docker expects at this path.
    #[error("error while interpolating {path}: failed to cast to expected type: {reason}")]
    Cast {
        /// The dotted path.
        path: String,
        /// Go's reason (`strconv.Atoi: parsing "x": invalid syntax`, `invalid boolean: x`).
        reason: String,
    },
}

/// Substitutes variables in one string, as `template.Substitute` does. `Err` holds the
/// template text docker reports.
///
/// ```
/// use swarm_stack::interpolate::substitute;
/// let env = |k: &str| (k == "TAG").then(|| "1.2".to_owned());
/// assert_eq!(substitute("nginx:${TAG:-latest}", &env).unwrap(), "nginx:1.2");
/// assert_eq!(substitute("$${HOME} ${NOPE-x}", &env).unwrap(), "${HOME} x");
/// assert!(substitute("${NOPE:?set it}", &env).is_err());
/// ```
///
/// # Errors
/// The template text docker puts in its message: the whole string for a malformed `$`, or
/// `required variable X is missing a value: …`.
pub fn substitute(
    template: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let b = template.as_bytes();
    let mut out = String::with_capacity(template.len());
    let mut err: Option<String> = None;
    let mut pos = 0;
    while let Some(off) = template[pos..].find('$') {
        let i = pos + off;
        out.push_str(&template[pos..i]);
        let next = b.get(i + 1).copied();
        if next == Some(b'$') {
            out.push('$');
            pos = i + 2;
            continue;
        }
        let (substitution, end) = if next.is_some_and(is_name_start) {
            let end = modifier_end(b, ident_end(b, i + 1));
            (&template[i + 1..end], end)
        } else if next == Some(b'{') && b.get(i + 2).copied().is_some_and(is_name_start) {
            let end = modifier_end(b, ident_end(b, i + 2));
            if b.get(end) == Some(&b'}') {
                (&template[i + 2..end], end + 1)
            } else {
                err = Some(template.to_owned());
                pos = i + 1;
                continue;
            }
        } else {
            err = Some(template.to_owned());
            pos = i + 1;
            continue;
        };
        pos = end;
        let (value, e) = apply(substitution, lookup);
        err = e;
        out.push_str(&value);
    }
    out.push_str(&template[pos..]);
    match err {
        Some(t) => Err(t),
        None => Ok(out),
    }
}

fn is_name_start(c: u8) -> bool {
    c == b'_' || c.is_ascii_alphabetic()
}

fn ident_end(b: &[u8], start: usize) -> usize {
    let mut j = start + 1;
    while j < b.len() && (b[j] == b'_' || b[j].is_ascii_alphanumeric()) {
        j += 1;
    }
    j
}

/// The end of the optional `:?[-?][^}]*` group after a name.
fn modifier_end(b: &[u8], j: usize) -> usize {
    let k = if b.get(j) == Some(&b':') { j + 1 } else { j };
    if !matches!(b.get(k), Some(b'-' | b'?')) {
        return j;
    }
    let mut e = k + 1;
    while e < b.len() && b[e] != b'}' {
        e += 1;
    }
    e
}

/// docker's substitute functions in their order; returns the value and the error state the
/// last function called left.
fn apply(sub: &str, lookup: &dyn Fn(&str) -> Option<String>) -> (String, Option<String>) {
    if let Some((name, default)) = sub.split_once(":-") {
        return match lookup(name) {
            Some(v) if !v.is_empty() => (v, None),
            _ => (default.to_owned(), None),
        };
    }
    if let Some((name, default)) = sub.split_once('-') {
        return (lookup(name).unwrap_or_else(|| default.to_owned()), None);
    }
    for (sep, non_empty) in [(":?", true), ("?", false)] {
        if let Some((name, message)) = sub.split_once(sep) {
            return match lookup(name) {
                Some(v) if !non_empty || !v.is_empty() => (v, None),
                _ => (
                    String::new(),
                    Some(format!(
                        "required variable {name} is missing a value: {message}"
                    )),
                ),
            };
        }
    }
    (lookup(sub).unwrap_or_default(), None)
}

/// What docker casts an interpolated value to.
#[derive(Clone, Copy)]
enum Cast {
    Int,
    Float,
    Bool,
}

/// docker's `interpolateTypeCastMapping` (`*` any key, `[]` any list item).
const CASTS: &[(&str, Cast)] = &[
    ("services.*.configs.[].mode", Cast::Int),
    ("services.*.secrets.[].mode", Cast::Int),
    ("services.*.healthcheck.retries", Cast::Int),
    ("services.*.healthcheck.disable", Cast::Bool),
    ("services.*.deploy.replicas", Cast::Int),
    ("services.*.deploy.update_config.parallelism", Cast::Int),
    (
        "services.*.deploy.update_config.max_failure_ratio",
        Cast::Float,
    ),
    ("services.*.deploy.rollback_config.parallelism", Cast::Int),
    (
        "services.*.deploy.rollback_config.max_failure_ratio",
        Cast::Float,
    ),
    ("services.*.deploy.restart_policy.max_attempts", Cast::Int),
    (
        "services.*.deploy.placement.max_replicas_per_node",
        Cast::Int,
    ),
    ("services.*.ports.[].target", Cast::Int),
    ("services.*.ports.[].published", Cast::Int),
    ("services.*.ulimits.*", Cast::Int),
    ("services.*.ulimits.*.hard", Cast::Int),
    ("services.*.ulimits.*.soft", Cast::Int),
    ("services.*.privileged", Cast::Bool),
    ("services.*.oom_score_adj", Cast::Int),
    ("services.*.read_only", Cast::Bool),
    ("services.*.stdin_open", Cast::Bool),
    ("services.*.tty", Cast::Bool),
    ("services.*.volumes.[].read_only", Cast::Bool),
    ("services.*.volumes.[].volume.nocopy", Cast::Bool),
    ("networks.*.external", Cast::Bool),
    ("networks.*.internal", Cast::Bool),
    ("networks.*.attachable", Cast::Bool),
    ("volumes.*.external", Cast::Bool),
    ("secrets.*.external", Cast::Bool),
    ("configs.*.external", Cast::Bool),
];

fn cast_for(path: &[String]) -> Option<Cast> {
    CASTS.iter().find_map(|(pattern, cast)| {
        let parts: Vec<&str> = pattern.split('.').collect();
        (parts.len() == path.len() && parts.iter().zip(path).all(|(p, k)| *p == "*" || p == k))
            .then_some(*cast)
    })
}

fn cast(c: Cast, s: &str) -> Result<Value, String> {
    match c {
        Cast::Int => go_atoi(s).map(Value::Int).ok_or_else(|| {
            format!(
                "strconv.Atoi: parsing {}: invalid syntax",
                sdk_grammar::go::quote(s)
            )
        }),
        Cast::Float => sdk_float(s).map(Value::Float).ok_or_else(|| {
            format!(
                "strconv.ParseFloat: parsing {}: invalid syntax",
                sdk_grammar::go::quote(s)
            )
        }),
        Cast::Bool => match s.to_lowercase().as_str() {
            "y" | "yes" | "true" | "on" => Ok(Value::Bool(true)),
            "n" | "no" | "false" | "off" => Ok(Value::Bool(false)),
            _ => Err(format!("invalid boolean: {s}")),
        },
    }
}

/// Go's `strconv.Atoi` (decimal, optional sign).
fn go_atoi(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Interpolates a whole file (its top-level mapping), as `interpolation.Interpolate` does.
///
/// # Errors
/// [`InterpolationError`] naming the path of the first value that fails.
pub fn interpolate(
    config: &BTreeMap<String, Value>,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<BTreeMap<String, Value>, InterpolationError> {
    let mut out = BTreeMap::new();
    for (k, v) in config {
        let mut path = vec![k.clone()];
        out.insert(k.clone(), walk(v, &mut path, lookup)?);
    }
    Ok(out)
}

fn walk(
    v: &Value,
    path: &mut Vec<String>,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Value, InterpolationError> {
    match v {
        Value::Str(s) => {
            let new =
                substitute(s, lookup).map_err(|template| InterpolationError::InvalidFormat {
                    path: path.join("."),
                    template,
                })?;
            if &new == s {
                return Ok(v.clone());
            }
            match cast_for(path) {
                None => Ok(Value::Str(new)),
                Some(c) => cast(c, &new).map_err(|reason| InterpolationError::Cast {
                    path: path.join("."),
                    reason,
                }),
            }
        }
        Value::Map(m) => {
            let mut out = BTreeMap::new();
            for (k, e) in m {
                path.push(k.clone());
                let r = walk(e, path, lookup);
                path.pop();
                out.insert(k.clone(), r?);
            }
            Ok(Value::Map(out))
        }
        Value::Seq(items) => {
            let mut out = Vec::with_capacity(items.len());
            for e in items {
                path.push("[]".into());
                let r = walk(e, path, lookup);
                path.pop();
                out.push(r?);
            }
            Ok(Value::Seq(out))
        }
        _ => Ok(v.clone()),
    }
}

/// Go's `strconv.ParseFloat`, `inf`/`nan` spellings included.
fn sdk_float(s: &str) -> Option<f64> {
    sdk_grammar::go::parse_float(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn env(k: &str) -> Option<String> {
        match k {
            "SET" => Some("v".into()),
            "EMPTY" => Some(String::new()),
            "N" => Some("3".into()),
            _ => None,
        }
    }

    fn s(t: &str) -> Result<String, String> {
        substitute(t, &env)
    }

    #[test]
    fn every_form() {
        assert_eq!(s("$SET ${SET}").unwrap(), "v v");
        assert_eq!(s("${UNSET:-d} ${EMPTY:-d} ${SET:-d}").unwrap(), "d d v");
        assert_eq!(s("${UNSET-d} [${EMPTY-d}] ${SET-d}").unwrap(), "d [] v");
        assert_eq!(s("${SET:?e} ${SET?e} [${EMPTY?e}]").unwrap(), "v v []");
        assert_eq!(
            s("${EMPTY:?must be set}"),
            Err("required variable EMPTY is missing a value: must be set".into())
        );
        assert_eq!(
            s("${UNSET?gone}"),
            Err("required variable UNSET is missing a value: gone".into())
        );
        assert_eq!(s("$$SET $${SET} $$").unwrap(), "$SET ${SET} $");
        assert_eq!(s("a$UNSET.b").unwrap(), "a.b");
        assert_eq!(s("{{.Task.Slot}}").unwrap(), "{{.Task.Slot}}");
    }

    #[test]
    fn docker_quirks_are_kept() {
        // The unbraced form takes a modifier up to the next '}' (or the end).
        assert_eq!(s("$UNSET-a b}c").unwrap(), "a b}c");
        // ':?' inside a '-' default is text of the name.
        assert_eq!(s("${UNSET:?a-b}").unwrap(), "b");
        // A later variable resets the error of an earlier one.
        assert_eq!(s("${UNSET?x} $SET").unwrap(), " v");
        assert_eq!(
            s("$SET ${UNSET?x}"),
            Err("required variable UNSET is missing a value: x".into())
        );
    }

    #[test]
    fn malformed_dollars() {
        for t in ["$", "a $ b", "${}", "${1}", "${A B}", "${A", "$-"] {
            assert_eq!(s(t), Err(t.to_owned()), "{t}");
        }
    }

    #[test]
    fn casts_and_paths() {
        let doc = crate::yaml::parse(
            "services:\n  web:\n    image: x:$SET\n    deploy: {replicas: '${N}'}\n    read_only: '${SET:-x}'\n    environment: ['A=$SET']\n",
        )
        .unwrap();
        let e = interpolate(&doc, &env).unwrap_err();
        assert_eq!(
            e.to_string(),
            "error while interpolating services.web.read_only: failed to cast to expected type: invalid boolean: v"
        );
        let doc = crate::yaml::parse(
            "services:\n  web:\n    deploy: {replicas: '${N}'}\n    environment: ['A=$SET', '${A']\n",
        )
        .unwrap();
        let e = interpolate(&doc, &env).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid interpolation format for services.web.environment.[]: \"${A\"; you may need to escape any $ with another $"
        );
        let doc =
            crate::yaml::parse("services:\n  web:\n    deploy: {replicas: '${N}'}\n    x: '3'\n")
                .unwrap();
        let out = interpolate(&doc, &env).unwrap();
        let web = out["services"].as_map().unwrap()["web"].as_map().unwrap();
        assert_eq!(web["deploy"].as_map().unwrap()["replicas"], Value::Int(3));
        assert_eq!(
            web["x"],
            Value::Str("3".into()),
            "unchanged text is not cast"
        );
    }

    proptest! {
        #[test]
        fn text_without_dollar_is_unchanged(t in "[^$]{0,40}") {
            prop_assert_eq!(s(&t).unwrap(), t);
        }

        #[test]
        fn escaped_dollars_come_back(t in "[a-z{}_ ]{0,20}") {
            let escaped = format!("$${t}");
            prop_assert_eq!(s(&escaped).unwrap(), format!("${t}"));
        }
    }
}
