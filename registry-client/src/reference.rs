//! Image references with exactly the grammar and normalisation of the docker CLI
//! (`github.com/distribution/reference`, `ParseNormalizedNamed`).
//!
//! ```text
//! reference        := name [ ":" tag ] [ "@" digest ]
//! name             := [domain '/'] remote-name
//! domain           := host [':' port-number]
//! host             := domain-name | IPv4address | \[ IPv6address \]
//! domain-name      := domain-component ['.' domain-component]*
//! domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
//! path-component   := /[a-z0-9]+/ [separator /[a-z0-9]+/]*      separator := [._] | __ | -+
//! tag              := /[\w][\w.-]{0,127}/
//! digest           := algorithm ":" hex     (sha256, sha384, sha512; lowercase hex)
//! ```
//!
//! Normalisation: the first `/`-separated component is a registry domain when it contains a `.`
//! or a `:`, is `localhost`, or has uppercase letters; otherwise the domain is `docker.io`.
//! `index.docker.io` becomes `docker.io`, and single-component Docker Hub names get `library/`.
//!
//! ```
//! use registry_client::reference::Reference;
//! let r: Reference = "nginx_lb".parse().unwrap();
//! assert_eq!(r.name(), "docker.io/library/nginx_lb");
//! assert_eq!(r.canonical(), "docker.io/library/nginx_lb:latest");
//! assert_eq!(r.familiar(), "nginx_lb");
//! let r: Reference = "localhost:5000/foo:tag".parse().unwrap();
//! assert_eq!((r.domain(), r.path(), r.tag()), ("localhost:5000", "foo", Some("tag")));
//! ```

use crate::digest::{Digest, DigestError};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

pub use sdk_grammar::registry::{DEFAULT_DOMAIN, DOCKER_HUB_API_HOST, LEGACY_DEFAULT_DOMAIN};
/// The namespace of official Docker Hub images.
pub const OFFICIAL_REPO_PREFIX: &str = "library/";
/// The tag used when a reference has neither tag nor digest.
pub const DEFAULT_TAG: &str = "latest";
/// Maximum length of a repository path.
pub const NAME_TOTAL_LENGTH_MAX: usize = 255;

/// Why a string is not a valid image reference. Texts are the docker CLI's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReferenceError {
    /// The string does not match the reference grammar.
    #[error("invalid reference format")]
    InvalidFormat,
    /// The repository name contains uppercase letters (and would be valid lowercased).
    #[error("invalid reference format: repository name must be lowercase")]
    NameContainsUppercase,
    /// The repository path (named) contains uppercase letters.
    #[error("invalid reference format: repository name ({0}) must be lowercase")]
    RemoteNameNotLowercase(String),
    /// The repository name is empty.
    #[error("repository name must have at least one component")]
    NameEmpty,
    /// The repository path is longer than 255 characters.
    #[error("repository name must not be more than 255 characters")]
    NameTooLong {
        /// The offending path's length.
        length: usize,
    },
    /// A bare 64-hex string, which docker reserves for image IDs.
    #[error("invalid repository name ({0}), cannot specify 64-byte hexadecimal strings")]
    HexIdentifier(String),
    /// A tag that does not match `[\w][\w.-]{0,127}`.
    #[error("invalid tag format")]
    InvalidTag,
    /// The digest part is not a valid digest.
    #[error(transparent)]
    InvalidDigest(#[from] DigestError),
}

/// A normalised image reference: domain, path, optional tag, optional digest.
///
/// `Display` writes the normalised form (`docker.io/library/nginx:1.27`), with no tag added;
/// [`Reference::canonical`] adds `:latest` when there is neither tag nor digest.
/// `parse(display(r)) == r` holds for every reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Reference {
    domain: String,
    path: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

impl Reference {
    /// Parses and normalises like the docker CLI (`ParseNormalizedNamed`).
    ///
    /// # Errors
    /// A [`ReferenceError`] naming what is wrong.
    pub fn parse(s: &str) -> Result<Self, ReferenceError> {
        parse_normalized(s)
    }

    /// The registry domain, e.g. `docker.io`, `localhost:5000`, `[::1]:5000`.
    ///
    /// Empty only in the docker corner case of a first component that looks like a domain but
    /// is not a valid host (`foo_bar.com/x`), which docker keeps as a path.
    #[must_use]
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The repository path within the registry, e.g. `library/nginx`.
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The full name: `domain/path`.
    #[must_use]
    pub fn name(&self) -> String {
        if self.domain.is_empty() {
            self.path.clone()
        } else {
            format!("{}/{}", self.domain, self.path)
        }
    }

    /// The tag, if any.
    #[must_use]
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest, if any.
    #[must_use]
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// The short name docker shows: `docker.io` and (for single-component paths) `library/`
    /// removed, tag and digest kept: `nginx_lb`, `dev1johndoe/nginx_lb`, `localhost:5000/foo:tag`.
    #[must_use]
    pub fn familiar(&self) -> String {
        let mut out = self.familiar_name();
        self.push_suffix(&mut out);
        out
    }

    /// The familiar name without tag or digest.
    #[must_use]
    pub fn familiar_name(&self) -> String {
        if self.domain == DEFAULT_DOMAIN {
            if let Some(rest) = self.path.strip_prefix(OFFICIAL_REPO_PREFIX)
                && !rest.contains('/')
            {
                return rest.to_owned();
            }
            self.path.clone()
        } else {
            self.name()
        }
    }

    /// The canonical form: the normalised reference with `:latest` added when it has neither
    /// tag nor digest (docker's `TagNameOnly`), e.g. `docker.io/library/nginx_lb:latest`.
    #[must_use]
    pub fn canonical(&self) -> String {
        if self.tag.is_none() && self.digest.is_none() {
            format!("{}:{DEFAULT_TAG}", self.name())
        } else {
            self.to_string()
        }
    }

    /// The same repository with `tag` (the digest is kept).
    ///
    /// # Errors
    /// [`ReferenceError::InvalidTag`] when `tag` does not match the tag grammar.
    pub fn with_tag(&self, tag: &str) -> Result<Self, ReferenceError> {
        if !is_tag(tag) {
            return Err(ReferenceError::InvalidTag);
        }
        Ok(Self {
            tag: Some(tag.to_owned()),
            ..self.clone()
        })
    }

    /// The same repository with `digest` (the tag is kept).
    #[must_use]
    pub fn with_digest(&self, digest: Digest) -> Self {
        Self {
            digest: Some(digest),
            ..self.clone()
        }
    }

    /// The same reference without its tag.
    #[must_use]
    pub fn without_tag(&self) -> Self {
        Self {
            tag: None,
            ..self.clone()
        }
    }

    /// The same reference without its digest.
    #[must_use]
    pub fn without_digest(&self) -> Self {
        Self {
            digest: None,
            ..self.clone()
        }
    }

    /// What to put in `/v2/<path>/manifests/<reference>`: the digest if there is one, else the
    /// tag, else `latest`.
    #[must_use]
    pub fn manifest_reference(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => DEFAULT_TAG.to_owned(),
        }
    }

    /// True for Docker Hub references (`docker.io`).
    #[must_use]
    pub fn is_docker_hub(&self) -> bool {
        self.domain == DEFAULT_DOMAIN
    }

    /// The host (and port) that serves the registry API: `registry-1.docker.io` for Docker
    /// Hub, the domain otherwise.
    #[must_use]
    pub fn api_host(&self) -> &str {
        if self.is_docker_hub() {
            DOCKER_HUB_API_HOST
        } else {
            &self.domain
        }
    }

    fn push_suffix(&self, out: &mut String) {
        if let Some(t) = &self.tag {
            out.push(':');
            out.push_str(t);
        }
        if let Some(d) = &self.digest {
            out.push('@');
            out.push_str(d.as_str());
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = self.name();
        self.push_suffix(&mut out);
        f.write_str(&out)
    }
}

impl FromStr for Reference {
    type Err = ReferenceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_normalized(s)
    }
}

impl TryFrom<String> for Reference {
    type Error = ReferenceError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        parse_normalized(&s)
    }
}

impl TryFrom<&str> for Reference {
    type Error = ReferenceError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        parse_normalized(s)
    }
}

impl From<Reference> for String {
    fn from(r: Reference) -> Self {
        r.to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// Grammar pieces (hand-written equivalents of regexp.go).

fn is_alnum_lower(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// `[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]`
fn is_domain_component(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
}

/// `host optionalPort` where host is a domain name or a bracketed IPv6 address.
fn is_domain_and_port(s: &str) -> bool {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let Some(end) = rest.find(']') else {
            return false;
        };
        let inner = &rest[..end];
        if inner.is_empty() || !inner.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
            return false;
        }
        (None, &rest[end + 1..])
    } else {
        match s.find(':') {
            Some(i) => (Some(&s[..i]), &s[i..]),
            None => (Some(s), ""),
        }
    };
    if let Some(h) = host
        && !h.split('.').all(is_domain_component)
    {
        return false;
    }
    port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
fn is_path_component(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() || !is_alnum_lower(b[0]) || !is_alnum_lower(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if is_alnum_lower(b[i]) {
            i += 1;
            continue;
        }
        // A separator run between two alphanumerics.
        let start = i;
        while i < b.len() && !is_alnum_lower(b[i]) {
            i += 1;
        }
        let sep = &b[start..i];
        let ok = sep == b"." || sep == b"_" || sep == b"__" || sep.iter().all(|c| *c == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn is_remote_name(s: &str) -> bool {
    s.split('/').all(is_path_component)
}

/// `[\w][\w.-]{0,127}`
fn is_tag(s: &str) -> bool {
    let b = s.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    !b.is_empty()
        && b.len() <= 128
        && word(b[0])
        && b[1..].iter().all(|c| word(*c) || *c == b'.' || *c == b'-')
}

/// `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,}`
fn is_digest_pattern(s: &str) -> bool {
    let Some((alg, hex)) = s.split_once(':') else {
        return false;
    };
    let alg_ok = alg.split(['-', '_', '+', '.']).all(|c| {
        let b = c.as_bytes();
        !b.is_empty() && b[0].is_ascii_alphabetic() && b.iter().all(u8::is_ascii_alphanumeric)
    });
    alg_ok && hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `^(?:(domainAndPort)/)?(remoteName)$` with the regexp's preference for the domain group.
fn split_name(name: &str) -> Option<(&str, &str)> {
    if let Some((first, rest)) = name.split_once('/')
        && is_domain_and_port(first)
        && is_remote_name(rest)
    {
        return Some((first, rest));
    }
    is_remote_name(name).then_some(("", name))
}

struct RawParts<'a> {
    domain: &'a str,
    path: &'a str,
    tag: Option<&'a str>,
    digest: Option<&'a str>,
}

/// The anchored `ReferenceRegexp` match.
fn raw_match(s: &str) -> Option<RawParts<'_>> {
    let (left, digest) = match s.split_once('@') {
        Some((l, d)) => {
            if !is_digest_pattern(d) {
                return None;
            }
            (l, Some(d))
        }
        None => (s, None),
    };
    let last_slash = left.rfind('/');
    let (name, tag) = match left.rfind(':') {
        Some(c) if last_slash.is_none_or(|sl| c > sl) => {
            let t = &left[c + 1..];
            if !is_tag(t) {
                return None;
            }
            (&left[..c], Some(t))
        }
        _ => (left, None),
    };
    let (domain, path) = split_name(name)?;
    Some(RawParts {
        domain,
        path,
        tag,
        digest,
    })
}

/// distribution/reference `Parse` (restricted to named references).
fn parse_raw(s: &str) -> Result<Reference, ReferenceError> {
    if s.is_empty() {
        return Err(ReferenceError::NameEmpty);
    }
    let Some(parts) = raw_match(s) else {
        let lower = s.to_lowercase();
        if lower != s && raw_match(&lower).is_some() {
            return Err(ReferenceError::NameContainsUppercase);
        }
        return Err(ReferenceError::InvalidFormat);
    };
    if parts.path.len() > NAME_TOTAL_LENGTH_MAX {
        return Err(ReferenceError::NameTooLong {
            length: parts.path.len(),
        });
    }
    let digest = parts.digest.map(str::parse::<Digest>).transpose()?;
    Ok(Reference {
        domain: parts.domain.to_owned(),
        path: parts.path.to_owned(),
        tag: parts.tag.map(str::to_owned),
        digest,
    })
}

/// distribution/reference `splitDockerDomain`.
fn split_docker_domain(name: &str) -> (String, String) {
    let Some((maybe_domain, maybe_remote)) = name.split_once('/') else {
        return (
            DEFAULT_DOMAIN.to_owned(),
            format!("{OFFICIAL_REPO_PREFIX}{name}"),
        );
    };
    let (domain, mut remote) = if maybe_domain == "localhost" {
        (maybe_domain.to_owned(), maybe_remote.to_owned())
    } else if maybe_domain == LEGACY_DEFAULT_DOMAIN {
        (DEFAULT_DOMAIN.to_owned(), maybe_remote.to_owned())
    } else if maybe_domain.contains(['.', ':']) || maybe_domain.to_lowercase() != maybe_domain {
        (maybe_domain.to_owned(), maybe_remote.to_owned())
    } else {
        (DEFAULT_DOMAIN.to_owned(), name.to_owned())
    };
    if domain == DEFAULT_DOMAIN && !remote.contains('/') {
        remote = format!("{OFFICIAL_REPO_PREFIX}{remote}");
    }
    (domain, remote)
}

fn is_identifier(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// distribution/reference `ParseNormalizedNamed`.
fn parse_normalized(s: &str) -> Result<Reference, ReferenceError> {
    if is_identifier(s) {
        return Err(ReferenceError::HexIdentifier(s.to_owned()));
    }
    let (domain, remainder) = split_docker_domain(s);
    let remote = remainder.split(':').next().unwrap_or_default();
    if remote.to_lowercase() != remote {
        return Err(ReferenceError::RemoteNameNotLowercase(remote.to_owned()));
    }
    parse_raw(&format!("{domain}/{remainder}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_components() {
        for ok in ["a", "a.b", "a_b", "a__b", "a-b", "a---b", "a1-2.3_4", "0"] {
            assert!(is_path_component(ok), "{ok}");
        }
        for bad in [
            "", "A", "a.", ".a", "a..b", "a___b", "a._b", "a-", "a_-b", "a/b",
        ] {
            assert!(!is_path_component(bad), "{bad}");
        }
    }

    #[test]
    fn domains() {
        for ok in [
            "a",
            "a.b",
            "A-b.c:5000",
            "[::1]",
            "[::1]:5000",
            "1.2.3.4:1",
            "xn--n3h.com",
        ] {
            assert!(is_domain_and_port(ok), "{ok}");
        }
        for bad in [
            "",
            "a:",
            "a:b",
            "-a",
            "a-",
            "a..b",
            "[]",
            "[::1",
            "[fe80::1%eth0]",
            "a_b",
        ] {
            assert!(!is_domain_and_port(bad), "{bad}");
        }
    }

    #[test]
    fn tags() {
        assert!(is_tag("latest"));
        assert!(is_tag("_x.Y-1"));
        assert!(is_tag(&"a".repeat(128)));
        assert!(!is_tag(&"a".repeat(129)));
        assert!(!is_tag(".a"));
        assert!(!is_tag("-a"));
        assert!(!is_tag(""));
        assert!(!is_tag("a/b"));
    }
}
