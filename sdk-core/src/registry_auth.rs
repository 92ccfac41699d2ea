//! The `X-Registry-Auth` header dockerd expects (service create/update, image pull/push).

use crate::{Credentials, Error, Result, Secret};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Registry credentials plus the server address, as encoded in `X-Registry-Auth`.
///
/// [`RegistryAuth::encode`] gives URL-safe base64 (with padding, like the docker CLI's
/// `base64.URLEncoding`) of the JSON `{"username","password","serveraddress"}`, or
/// `{"identitytoken","serveraddress"}` for an identity token, or `{"registrytoken",…}` for a
/// bearer token. `Debug` never shows a secret.
#[derive(Clone, PartialEq, Eq)]
pub struct RegistryAuth {
    credentials: Credentials,
    server_address: String,
}

/// The wire form (field order as the docker CLI's `AuthConfig`).
#[derive(Serialize, Deserialize, Default)]
struct Wire {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    username: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    password: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    auth: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    email: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    serveraddress: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    identitytoken: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    registrytoken: String,
}

impl RegistryAuth {
    /// Pairs credentials with the registry's server address (e.g. `127.0.0.1:5000`, or
    /// `https://index.docker.io/v1/` for Docker Hub, as [`crate::DockerConfig::registry_key`] gives).
    #[must_use]
    pub fn new(credentials: Credentials, server_address: impl Into<String>) -> Self {
        Self {
            credentials,
            server_address: server_address.into(),
        }
    }

    /// The credentials.
    #[must_use]
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The server address.
    #[must_use]
    pub fn server_address(&self) -> &str {
        &self.server_address
    }

    /// The header value: URL-safe base64 (padded) of the JSON auth config.
    #[must_use]
    pub fn encode(&self) -> String {
        let mut wire = Wire {
            serveraddress: self.server_address.clone(),
            ..Wire::default()
        };
        match &self.credentials {
            Credentials::Anonymous => {}
            Credentials::Basic { username, password } => {
                wire.username.clone_from(username);
                wire.password = password.expose_secret().to_owned();
            }
            Credentials::IdentityToken { username, token } => {
                wire.username = username.clone().unwrap_or_default();
                wire.identitytoken = token.expose_secret().to_owned();
            }
            Credentials::Bearer(token) => {
                wire.registrytoken = token.expose_secret().to_owned();
            }
        }
        // Serialising a struct of strings cannot fail.
        let json = serde_json::to_vec(&wire).unwrap_or_default();
        URL_SAFE.encode(json)
    }

    /// Decodes a header value. Accepts URL-safe base64 with or without padding (and, leniently,
    /// standard base64), and a JSON `auth` field holding base64 `user:password`.
    ///
    /// # Errors
    /// [`Error::InvalidRegistryAuth`] when the value is not base64 of a JSON object of strings;
    /// the message never repeats the value.
    pub fn decode(value: &str) -> Result<Self> {
        let value = value.trim();
        let bytes = [URL_SAFE, URL_SAFE_NO_PAD, STANDARD, STANDARD_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(value).ok())
            .ok_or_else(|| invalid("not base64"))?;
        let wire: Wire = serde_json::from_slice(&bytes)
            .map_err(|_| invalid("not a JSON object of string fields"))?;
        let credentials = if !wire.identitytoken.is_empty() {
            Credentials::IdentityToken {
                username: (!wire.username.is_empty()).then_some(wire.username),
                token: Secret::new(wire.identitytoken),
            }
        } else if !wire.registrytoken.is_empty() {
            Credentials::Bearer(Secret::new(wire.registrytoken))
        } else if !wire.username.is_empty() || !wire.password.is_empty() {
            Credentials::Basic {
                username: wire.username,
                password: Secret::new(wire.password),
            }
        } else if !wire.auth.is_empty() {
            let (username, password) = decode_basic_auth(&wire.auth)
                .ok_or_else(|| invalid("field auth is not base64 of user:password"))?;
            Credentials::Basic { username, password }
        } else {
            Credentials::Anonymous
        };
        Ok(Self {
            credentials,
            server_address: wire.serveraddress,
        })
    }
}

/// Decodes the `auth` field of config.json / AuthConfig: standard base64 of `user:password`.
pub(crate) fn decode_basic_auth(auth: &str) -> Option<(String, Secret)> {
    let bytes = STANDARD
        .decode(auth.trim())
        .or_else(|_| STANDARD_NO_PAD.decode(auth.trim()))
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_owned(), Secret::new(pass.trim_end_matches('\0'))))
}

/// Encodes `user:password` as the `auth` field of config.json.
pub(crate) fn encode_basic_auth(username: &str, password: &Secret) -> String {
    STANDARD.encode(format!("{username}:{}", password.expose_secret()))
}

fn invalid(message: &str) -> Error {
    Error::InvalidRegistryAuth {
        message: message.to_owned(),
    }
}

impl fmt::Debug for RegistryAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistryAuth")
            .field("credentials", &self.credentials)
            .field("server_address", &self.server_address)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_the_docker_cli() {
        let auth = RegistryAuth::new(Credentials::basic("alice", "s3cr3t?>"), "127.0.0.1:5000");
        let enc = auth.encode();
        let json = URL_SAFE.decode(&enc).unwrap();
        assert_eq!(
            String::from_utf8(json).unwrap(),
            r#"{"username":"alice","password":"s3cr3t?>","serveraddress":"127.0.0.1:5000"}"#
        );
        assert!(!enc.contains('+') && !enc.contains('/'));
        assert_eq!(RegistryAuth::decode(&enc).unwrap(), auth);
        // Without padding, too.
        assert_eq!(
            RegistryAuth::decode(enc.trim_end_matches('=')).unwrap(),
            auth
        );
    }

    #[test]
    fn identity_token_form() {
        let auth = RegistryAuth::new(
            Credentials::IdentityToken {
                username: None,
                token: Secret::new("refresh-XYZ"),
            },
            "https://index.docker.io/v1/",
        );
        let json = String::from_utf8(URL_SAFE.decode(auth.encode()).unwrap()).unwrap();
        assert_eq!(
            json,
            r#"{"serveraddress":"https://index.docker.io/v1/","identitytoken":"refresh-XYZ"}"#
        );
        assert_eq!(RegistryAuth::decode(&auth.encode()).unwrap(), auth);
    }

    #[test]
    fn decodes_auth_field_and_anonymous() {
        let json = r#"{"auth":"Ym9iOnB3","serveraddress":"h:1"}"#;
        let got = RegistryAuth::decode(&URL_SAFE.encode(json)).unwrap();
        assert_eq!(got.credentials(), &Credentials::basic("bob", "pw"));
        let anon = RegistryAuth::decode(&URL_SAFE.encode("{}")).unwrap();
        assert!(anon.credentials().is_anonymous());
        assert_eq!(anon.server_address(), "");
    }

    #[test]
    fn bad_values_are_typed_errors_without_secrets() {
        for bad in [
            "***".to_owned(),
            URL_SAFE.encode("not json SECRETVALUE"),
            URL_SAFE.encode(r#"{"password": 5, "username": "SECRETVALUE"}"#),
            URL_SAFE.encode(r#"{"auth": "SECRETVALUE"}"#),
        ] {
            let err = RegistryAuth::decode(&bad).unwrap_err();
            assert!(matches!(err, Error::InvalidRegistryAuth { .. }), "{err:?}");
            assert!(!err.to_string().contains("SECRETVALUE"));
            assert!(!format!("{err:?}").contains("SECRETVALUE"));
        }
    }

    #[test]
    fn debug_is_redacted() {
        let auth = RegistryAuth::new(Credentials::basic("alice", "TOPSECRET"), "h");
        let dbg = format!("{auth:?}");
        assert!(!dbg.contains("TOPSECRET"));
        assert!(dbg.contains("alice"));
    }
}
