//! `WWW-Authenticate` challenges and scopes.
//!
//! A header may hold several challenges (`Bearer realm="…",service="…", Basic realm="…"`);
//! parameter values are tokens or quoted strings with backslash escapes (RFC 9110 §11.6.1).

use crate::error::{Error, Result};
use std::collections::BTreeMap;

/// One authentication challenge from a `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Challenge {
    /// The scheme, lowercased (`bearer`, `basic`…).
    pub scheme: String,
    /// The auth parameters, names lowercased.
    pub params: BTreeMap<String, String>,
}

impl Challenge {
    /// A parameter by (case-insensitive) name.
    #[must_use]
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// Parses every challenge in a `WWW-Authenticate` header value.
///
/// # Errors
/// [`Error::InvalidChallenge`] when the value is not a valid list of challenges.
pub fn parse_www_authenticate(value: &str) -> Result<Vec<Challenge>> {
    let bad = |reason: &str| Error::InvalidChallenge {
        reason: format!("{reason} in {value:?}"),
    };
    let chars: Vec<char> = value.chars().collect();
    let mut i = 0;
    let mut out: Vec<Challenge> = Vec::new();
    let skip_ws = |i: &mut usize| {
        while *i < chars.len() && (chars[*i] == ' ' || chars[*i] == '\t') {
            *i += 1;
        }
    };
    let token = |i: &mut usize| {
        let start = *i;
        while *i < chars.len() && is_tchar(chars[*i]) {
            *i += 1;
        }
        chars[start..*i].iter().collect::<String>()
    };
    loop {
        // skip empty list elements
        skip_ws(&mut i);
        while i < chars.len() && chars[i] == ',' {
            i += 1;
            skip_ws(&mut i);
        }
        if i >= chars.len() {
            break;
        }
        let scheme = token(&mut i);
        if scheme.is_empty() {
            return Err(bad("expected an auth scheme"));
        }
        let mut ch = Challenge {
            scheme: scheme.to_ascii_lowercase(),
            params: BTreeMap::new(),
        };
        skip_ws(&mut i);
        // token68 or auth-params
        loop {
            skip_ws(&mut i);
            if i >= chars.len() {
                break;
            }
            let save = i;
            let name = token(&mut i);
            skip_ws(&mut i);
            if name.is_empty() || i >= chars.len() || chars[i] != '=' {
                // not a param: either a new challenge (scheme token) or a separator
                if name.is_empty() && chars.get(i) == Some(&',') {
                    i += 1;
                    continue;
                }
                i = save;
                break;
            }
            i += 1; // '='
            // token68 ends with '=' padding: `Basic abc==`; treat `name==` as token68
            skip_ws(&mut i);
            let val = if i < chars.len() && chars[i] == '"' {
                i += 1;
                let mut v = String::new();
                loop {
                    match chars.get(i) {
                        None => return Err(bad("unterminated quoted string")),
                        Some('"') => {
                            i += 1;
                            break;
                        }
                        Some('\\') => {
                            let Some(c) = chars.get(i + 1) else {
                                return Err(bad("dangling backslash"));
                            };
                            v.push(*c);
                            i += 2;
                        }
                        Some(c) => {
                            v.push(*c);
                            i += 1;
                        }
                    }
                }
                v
            } else {
                // lenient: an unquoted value runs to the next ',' or space (realms are often
                // sent unquoted although '/' and ':' are not token characters)
                let start = i;
                while i < chars.len() && chars[i] != ',' && chars[i] != ' ' && chars[i] != '\t' {
                    i += 1;
                }
                let v: String = chars[start..i].iter().collect();
                if v.is_empty() {
                    return Err(bad("empty parameter value"));
                }
                v
            };
            ch.params.insert(name.to_ascii_lowercase(), val);
            skip_ws(&mut i);
            match chars.get(i) {
                None => break,
                Some(',') => i += 1,
                Some(_) => return Err(bad("expected ',' after a parameter")),
            }
        }
        out.push(ch);
    }
    if out.is_empty() {
        return Err(bad("no challenge"));
    }
    Ok(out)
}

/// An access scope for the token endpoint: `repository:NAME:ACTIONS`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope {
    resource_type: String,
    name: String,
    actions: Vec<String>,
}

impl Scope {
    /// `repository:NAME:pull`.
    #[must_use]
    pub fn pull(repository: &str) -> Self {
        Self::repository(repository, &["pull"])
    }

    /// `repository:NAME:pull,push`.
    #[must_use]
    pub fn push(repository: &str) -> Self {
        Self::repository(repository, &["pull", "push"])
    }

    /// `repository:NAME:delete` plus pull.
    #[must_use]
    pub fn delete(repository: &str) -> Self {
        Self::repository(repository, &["pull", "delete"])
    }

    /// `registry:catalog:*`.
    #[must_use]
    pub fn catalog() -> Self {
        Self {
            resource_type: "registry".into(),
            name: "catalog".into(),
            actions: vec!["*".into()],
        }
    }

    fn repository(name: &str, actions: &[&str]) -> Self {
        Self {
            resource_type: "repository".into(),
            name: name.into(),
            actions: {
                let mut v: Vec<String> = actions.iter().map(|a| (*a).to_owned()).collect();
                v.sort();
                v
            },
        }
    }

    /// Parses `type:name:actions` (the name may itself contain `:` for a registry with a port).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let (rest, actions) = s.rsplit_once(':')?;
        let (ty, name) = rest.split_once(':')?;
        if ty.is_empty() || name.is_empty() {
            return None;
        }
        let mut actions: Vec<String> = actions
            .split(',')
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
            .collect();
        actions.sort();
        actions.dedup();
        Some(Self {
            resource_type: ty.into(),
            name: name.into(),
            actions,
        })
    }

    /// Whether this scope grants at least what `other` asks for.
    #[must_use]
    pub fn covers(&self, other: &Self) -> bool {
        self.resource_type == other.resource_type
            && self.name == other.name
            && other
                .actions
                .iter()
                .all(|a| self.actions.contains(a) || self.actions.iter().any(|x| x == "*"))
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}",
            self.resource_type,
            self.name,
            self.actions.join(",")
        )
    }
}

/// Merges scopes: same resource → union of actions; result sorted.
#[must_use]
pub(crate) fn merge_scopes(scopes: impl IntoIterator<Item = Scope>) -> Vec<Scope> {
    let mut map: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for s in scopes {
        let e = map.entry((s.resource_type, s.name)).or_default();
        e.extend(s.actions);
        e.sort();
        e.dedup();
    }
    map.into_iter()
        .map(|((resource_type, name), actions)| Scope {
            resource_type,
            name,
            actions,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_challenge() {
        let c = parse_www_authenticate(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#,
        )
        .unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, "bearer");
        assert_eq!(c[0].param("realm"), Some("https://auth.docker.io/token"));
        assert_eq!(c[0].param("Service"), Some("registry.docker.io"));
        assert_eq!(c[0].param("scope"), Some("repository:library/nginx:pull"));
    }

    #[test]
    fn several_challenges_escapes_and_tokens() {
        let c = parse_www_authenticate(
            r#"Basic realm="a \"quoted\\ realm\"", Bearer realm=https://t.example/token , service=reg,error=invalid_token"#,
        )
        .unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].scheme, "basic");
        assert_eq!(c[0].param("realm"), Some(r#"a "quoted\ realm""#));
        assert_eq!(c[1].scheme, "bearer");
        assert_eq!(c[1].param("realm"), Some("https://t.example/token"));
        assert_eq!(c[1].param("service"), Some("reg"));
        assert_eq!(c[1].param("error"), Some("invalid_token"));
    }

    #[test]
    fn scheme_without_params_and_rejects() {
        let c = parse_www_authenticate("Negotiate, Basic realm=x").unwrap();
        assert_eq!(c.len(), 2);
        assert!(c[0].params.is_empty());
        assert!(parse_www_authenticate("").is_err());
        assert!(parse_www_authenticate(r#"Bearer realm="open"#).is_err());
        assert!(parse_www_authenticate(r#"Bearer realm="x" junk"#).is_err());
        assert!(parse_www_authenticate("Bearer realm=").is_err());
    }

    #[test]
    fn scopes() {
        let s = Scope::parse("repository:localhost:5000/a/b:push,pull").unwrap();
        assert_eq!(s.to_string(), "repository:localhost:5000/a/b:pull,push");
        assert!(s.covers(&Scope::pull("localhost:5000/a/b")));
        assert!(!Scope::pull("x").covers(&Scope::push("x")));
        let m = merge_scopes([Scope::pull("x"), Scope::push("x"), Scope::pull("y")]);
        assert_eq!(
            m.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["repository:x:pull,push", "repository:y:pull"]
        );
        assert!(Scope::parse("nocolon").is_none());
    }
}
