//! Registry credentials and where they came from.

use crate::Secret;
use std::fmt;
use std::path::PathBuf;

/// Credentials for a registry. `Debug` and `Display` never show a secret.
#[derive(Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Credentials {
    /// No credentials.
    #[default]
    Anonymous,
    /// Username and password (HTTP Basic, or the password grant of the token flow).
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: Secret,
    },
    /// An identity (refresh) token, used with the OAuth2 `refresh_token` grant of the token flow.
    /// Credential helpers signal it with the username `<token>`.
    IdentityToken {
        /// The user name, when known.
        username: Option<String>,
        /// The refresh token.
        token: Secret,
    },
    /// A registry bearer token, sent as `Authorization: Bearer …` as is.
    Bearer(Secret),
}

impl Credentials {
    /// Username and password credentials.
    #[must_use]
    pub fn basic(username: impl Into<String>, password: impl Into<Secret>) -> Self {
        Self::Basic {
            username: username.into(),
            password: password.into(),
        }
    }

    /// Whether these are [`Credentials::Anonymous`].
    #[must_use]
    pub fn is_anonymous(&self) -> bool {
        matches!(self, Self::Anonymous)
    }

    /// The user name, when there is one.
    #[must_use]
    pub fn username(&self) -> Option<&str> {
        match self {
            Self::Basic { username, .. } => Some(username),
            Self::IdentityToken { username, .. } => username.as_deref(),
            Self::Anonymous | Self::Bearer(_) => None,
        }
    }

    /// A short name for the kind: `anonymous`, `basic`, `identity_token` or `bearer`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Anonymous => "anonymous",
            Self::Basic { .. } => "basic",
            Self::IdentityToken { .. } => "identity_token",
            Self::Bearer(_) => "bearer",
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Anonymous => f.write_str("Anonymous"),
            Self::Basic { username, password } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", password)
                .finish(),
            Self::IdentityToken { username, token } => f
                .debug_struct("IdentityToken")
                .field("username", username)
                .field("token", token)
                .finish(),
            Self::Bearer(token) => f.debug_tuple("Bearer").field(token).finish(),
        }
    }
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.username() {
            Some(user) => write!(f, "{} (user {user})", self.kind()),
            None => f.write_str(self.kind()),
        }
    }
}

/// Where credentials for a registry were found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialSource {
    /// A per-registry helper from `credHelpers` (`docker-credential-<name>`).
    Helper(String),
    /// The default credential store from `credsStore` (`docker-credential-<name>`).
    Store(String),
    /// The `auths` section of this config file.
    File(PathBuf),
    /// No source had credentials: anonymous.
    None,
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Helper(name) => write!(f, "helper docker-credential-{name}"),
            Self::Store(name) => write!(f, "store docker-credential-{name}"),
            Self::File(path) => write!(f, "file {}", path.display()),
            Self::None => f.write_str("none"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_secrets() {
        let all = [
            Credentials::basic("alice", "pw-SECRET-1"),
            Credentials::IdentityToken {
                username: Some("alice".into()),
                token: Secret::new("pw-SECRET-1"),
            },
            Credentials::Bearer(Secret::new("pw-SECRET-1")),
        ];
        for c in &all {
            for s in [format!("{c:?}"), format!("{c:#?}"), c.to_string()] {
                assert!(!s.contains("SECRET"), "leak: {s}");
                assert!(s.contains("redacted") || !s.contains("Basic"), "{s}");
            }
        }
        assert_eq!(all[0].to_string(), "basic (user alice)");
        assert_eq!(all[2].to_string(), "bearer");
        assert_eq!(all[0].username(), Some("alice"));
        assert_eq!(Credentials::Anonymous.kind(), "anonymous");
    }
}
