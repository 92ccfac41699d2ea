//! The docker CLI's `config.json`: `auths`, `credsStore`, `credHelpers`, read and written back.

use crate::helper::CredentialHelper;
use crate::registry_auth::{decode_basic_auth, encode_basic_auth};
use crate::{CredentialSource, Credentials, Error, RegistryAuth, Result, Secret};
use serde_json::{Map, Value};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The key the docker CLI uses for Docker Hub in `auths` and with credential helpers.
pub const DOCKER_HUB_KEY: &str = sdk_grammar::registry::DOCKER_HUB_CONFIG_KEY;

use sdk_grammar::registry::hostname;

/// The docker CLI's configuration file (`$DOCKER_CONFIG/config.json`, default
/// `~/.docker/config.json`).
///
/// Only `auths`, `credsStore`, `credHelpers` and `currentContext` are interpreted; every other
/// field (and every unknown field inside an `auths` entry) is kept as is and written back by
/// [`DockerConfig::save`].
///
/// `Debug` shows the document with every secret (`auth`, `password`, `identitytoken`,
/// `registrytoken`, header values such as `HttpHeaders.Authorization`, any field whose name
/// says token, secret or password) replaced by `<redacted>`.
#[derive(Clone, PartialEq)]
pub struct DockerConfig {
    path: PathBuf,
    raw: Map<String, Value>,
    helper_dir: Option<PathBuf>,
}

impl std::fmt::Debug for DockerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut raw = Value::Object(self.raw.clone());
        redact_secrets(&mut raw, false);
        f.debug_struct("DockerConfig")
            .field("path", &self.path)
            .field("raw", &raw)
            .field("helper_dir", &self.helper_dir)
            .finish()
    }
}

/// Whether a config.json field name holds a secret (`auth`, `password`, `identitytoken`,
/// `registrytoken`, and anything named like a token, secret or password).
fn is_secret_field(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "auth"
        || lower == "authorization"
        || ["token", "secret", "password", "passwd"]
            .iter()
            .any(|w| lower.contains(w))
}

/// Replaces every secret string in a config document by `<redacted>`; all values inside a
/// `HttpHeaders` object are treated as secrets (they are sent as request headers).
fn redact_secrets(value: &mut Value, all_strings: bool) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if v.is_string() && (all_strings || is_secret_field(key)) {
                    *v = Value::String("<redacted>".into());
                } else {
                    redact_secrets(v, all_strings || key.eq_ignore_ascii_case("HttpHeaders"));
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| redact_secrets(v, all_strings)),
        Value::String(s) if all_strings => *s = "<redacted>".into(),
        _ => {}
    }
}

/// The config directory from a variable lookup: `$DOCKER_CONFIG`, else `$HOME/.docker`.
pub(crate) fn config_dir_with(lookup: &dyn Fn(&str) -> Option<String>) -> Result<PathBuf> {
    if let Some(dir) = lookup("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    match lookup("HOME").filter(|h| !h.is_empty()) {
        Some(home) => Ok(Path::new(&home).join(".docker")),
        None => Err(Error::Config {
            path: PathBuf::from("~/.docker"),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "neither DOCKER_CONFIG nor HOME is set",
            ),
        }),
    }
}

fn parse_error(path: &Path, message: impl Into<String>) -> Error {
    Error::ConfigParse {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

impl DockerConfig {
    /// An empty configuration that [`DockerConfig::save`] would write to `path`.
    #[must_use]
    pub fn empty(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            raw: Map::new(),
            helper_dir: None,
        }
    }

    /// The default config directory: `$DOCKER_CONFIG`, else `$HOME/.docker`. Reads the
    /// environment.
    ///
    /// # Errors
    /// [`Error::Config`] when neither variable is set.
    pub fn default_dir() -> Result<PathBuf> {
        config_dir_with(&|k| std::env::var(k).ok())
    }

    /// Loads `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`). Reads the
    /// environment; a missing file is an empty configuration.
    ///
    /// # Errors
    /// As [`DockerConfig::load_from`], and [`Error::Config`] when no directory can be determined.
    pub fn load() -> Result<Self> {
        Self::load_from(Self::default_dir()?.join("config.json"))
    }

    /// Loads the given config file. A missing (or empty) file is an empty configuration.
    ///
    /// # Errors
    /// [`Error::Config`] when the file exists but cannot be read; [`Error::ConfigParse`] (naming
    /// the file) when it is not JSON or `auths`, `credsStore` or `credHelpers` have the wrong
    /// shape.
    pub fn load_from(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::empty(path)),
            Err(source) => return Err(Error::Config { path, source }),
        };
        Self::parse(path, &text)
    }

    /// Parses config text as if read from `path`.
    ///
    /// # Errors
    /// [`Error::ConfigParse`] as for [`DockerConfig::load_from`].
    pub fn parse(path: impl Into<PathBuf>, text: &str) -> Result<Self> {
        let path = path.into();
        if text.trim().is_empty() {
            return Ok(Self::empty(path));
        }
        // serde_json's syntax errors give a position, never the text itself.
        let value: Value = serde_json::from_str(text).map_err(|e| {
            parse_error(
                &path,
                format!("not valid JSON (line {}, column {})", e.line(), e.column()),
            )
        })?;
        let Value::Object(raw) = value else {
            return Err(parse_error(&path, "top level is not a JSON object"));
        };
        match raw.get("auths") {
            None | Some(Value::Null) => {}
            Some(Value::Object(auths)) => {
                for (key, entry) in auths {
                    let Value::Object(entry) = entry else {
                        return Err(parse_error(
                            &path,
                            format!("auths[{key:?}] is not an object"),
                        ));
                    };
                    for field in [
                        "auth",
                        "username",
                        "password",
                        "identitytoken",
                        "registrytoken",
                    ] {
                        if !matches!(
                            entry.get(field),
                            None | Some(Value::String(_) | Value::Null)
                        ) {
                            return Err(parse_error(
                                &path,
                                format!("auths[{key:?}].{field} is not a string"),
                            ));
                        }
                    }
                }
            }
            Some(_) => return Err(parse_error(&path, "auths is not an object")),
        }
        if !matches!(
            raw.get("credsStore"),
            None | Some(Value::String(_) | Value::Null)
        ) {
            return Err(parse_error(&path, "credsStore is not a string"));
        }
        match raw.get("credHelpers") {
            None | Some(Value::Null) => {}
            Some(Value::Object(helpers)) => {
                if let Some((key, _)) = helpers.iter().find(|(_, v)| !v.is_string()) {
                    return Err(parse_error(
                        &path,
                        format!("credHelpers[{key:?}] is not a string"),
                    ));
                }
            }
            Some(_) => return Err(parse_error(&path, "credHelpers is not an object")),
        }
        Ok(Self {
            path,
            raw,
            helper_dir: None,
        })
    }

    /// Runs credential helpers from `dir` instead of looking them up on `PATH` (for tests and
    /// sandboxes).
    #[must_use]
    pub fn with_helper_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.helper_dir = Some(dir.into());
        self
    }

    /// The file this configuration is read from and saved to.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The whole document, unknown fields included.
    #[must_use]
    pub fn raw(&self) -> &Map<String, Value> {
        &self.raw
    }

    /// The key the docker CLI uses for a registry: [`DOCKER_HUB_KEY`] for `docker.io`,
    /// `index.docker.io` and `registry-1.docker.io`; otherwise the host (and port), without
    /// scheme or path.
    #[must_use]
    pub fn registry_key(registry: &str) -> String {
        sdk_grammar::registry::config_key(registry)
    }

    /// The default credential store (`credsStore`), if set.
    #[must_use]
    pub fn creds_store(&self) -> Option<&str> {
        self.raw
            .get("credsStore")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }

    /// The per-registry helper (`credHelpers`) for a registry, if set. Keys are matched by host.
    #[must_use]
    pub fn cred_helper(&self, registry: &str) -> Option<&str> {
        let host = hostname(registry);
        self.raw
            .get("credHelpers")
            .and_then(Value::as_object)?
            .iter()
            .find(|(k, _)| hostname(k) == host)
            .and_then(|(_, v)| v.as_str())
            .filter(|s| !s.is_empty())
    }

    /// The docker CLI's current context (`currentContext`), if set.
    #[must_use]
    pub fn current_context(&self) -> Option<&str> {
        self.raw
            .get("currentContext")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }

    /// The helper that answers for a registry, with its source: `credHelpers` first, then
    /// `credsStore` (like the docker CLI).
    fn helper_for(&self, registry: &str) -> Result<Option<(CredentialHelper, CredentialSource)>> {
        let dir = self.helper_dir.as_deref();
        if let Some(name) = self.cred_helper(registry) {
            return Ok(Some((
                CredentialHelper::new(name, dir)?,
                CredentialSource::Helper(name.to_owned()),
            )));
        }
        if let Some(name) = self.creds_store() {
            return Ok(Some((
                CredentialHelper::new(name, dir)?,
                CredentialSource::Store(name.to_owned()),
            )));
        }
        Ok(None)
    }

    /// The `auths` key matching a registry: the exact key first, then any key with the same host.
    fn auths_key(&self, registry: &str) -> Option<String> {
        let auths = self.raw.get("auths")?.as_object()?;
        let key = Self::registry_key(registry);
        if auths.contains_key(&key) {
            return Some(key);
        }
        let host = hostname(registry);
        auths.keys().find(|k| hostname(k) == host).cloned()
    }

    /// The credentials for a registry and where they came from.
    ///
    /// Like the docker CLI: a `credHelpers` entry for the registry's host wins, then `credsStore`,
    /// then `auths` (keys may be `host`, `https://host`, `http://host/v1/` …). Docker Hub
    /// aliases use the key [`DOCKER_HUB_KEY`]. No credentials anywhere is
    /// `(Credentials::Anonymous, CredentialSource::None)`. Runs a helper process when one is
    /// configured (blocking).
    ///
    /// # Errors
    /// [`Error::CredentialHelper`] when the helper fails; [`Error::ConfigParse`] when the matching
    /// `auths` entry's `auth` is not base64 of `user:password`.
    pub fn credentials_for(&self, registry: &str) -> Result<(Credentials, CredentialSource)> {
        let key = Self::registry_key(registry);
        if let Some((helper, source)) = self.helper_for(registry)? {
            let creds = helper.get(&key)?;
            let source = if creds.is_anonymous() {
                CredentialSource::None
            } else {
                source
            };
            return Ok((creds, source));
        }
        let Some(found) = self.auths_key(registry) else {
            return Ok((Credentials::Anonymous, CredentialSource::None));
        };
        let entry = self
            .raw
            .get("auths")
            .and_then(|a| a.get(&found))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let field = |name: &str| {
            entry
                .get(name)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let (mut username, mut password) = (field("username"), field("password").map(Secret::new));
        if let Some(auth) = field("auth") {
            let (u, p) = decode_basic_auth(&auth).ok_or_else(|| {
                parse_error(
                    &self.path,
                    format!("auths[{found:?}].auth is not base64 of user:password"),
                )
            })?;
            username = Some(u);
            password = Some(p);
        }
        let creds = if let Some(token) = field("identitytoken") {
            Credentials::IdentityToken {
                username: username.filter(|u| !u.is_empty()),
                token: Secret::new(token),
            }
        } else if let Some(token) = field("registrytoken") {
            Credentials::Bearer(Secret::new(token))
        } else if username.is_some() || password.is_some() {
            Credentials::Basic {
                username: username.unwrap_or_default(),
                password: password.unwrap_or_default(),
            }
        } else {
            Credentials::Anonymous
        };
        let source = if creds.is_anonymous() {
            CredentialSource::None
        } else {
            CredentialSource::File(self.path.clone())
        };
        Ok((creds, source))
    }

    /// The `X-Registry-Auth` value for a registry: [`DockerConfig::credentials_for`] paired with
    /// the registry's key as server address.
    ///
    /// # Errors
    /// As [`DockerConfig::credentials_for`].
    pub fn registry_auth(&self, registry: &str) -> Result<RegistryAuth> {
        let (creds, _) = self.credentials_for(registry)?;
        Ok(RegistryAuth::new(creds, Self::registry_key(registry)))
    }

    fn auths_mut(&mut self) -> &mut Map<String, Value> {
        let auths = self
            .raw
            .entry("auths")
            .or_insert_with(|| Value::Object(Map::new()));
        if !auths.is_object() {
            *auths = Value::Object(Map::new());
        }
        match auths {
            Value::Object(map) => map,
            _ => unreachable!("just made an object"),
        }
    }

    /// Stores credentials for a registry (what `docker login` does): through the registry's
    /// helper when one is configured (and an empty `auths` entry, like the docker CLI), else into
    /// `auths` (`auth` = base64 `user:password`, `identitytoken`, or `registrytoken`), keeping the
    /// entry's other fields. Call [`DockerConfig::save`] afterwards to write the file.
    /// Storing [`Credentials::Anonymous`] erases.
    ///
    /// # Errors
    /// [`Error::CredentialHelper`] when the helper fails; [`Error::InvalidCredentials`] for bearer
    /// credentials with a helper.
    pub fn store(&mut self, registry: &str, credentials: &Credentials) -> Result<CredentialSource> {
        if credentials.is_anonymous() {
            self.erase(registry)?;
            return Ok(CredentialSource::None);
        }
        let key = Self::registry_key(registry);
        if let Some((helper, source)) = self.helper_for(registry)? {
            helper.store(&key, credentials)?;
            let old = self.auths_key(registry);
            let auths = self.auths_mut();
            if let Some(old) = old {
                auths.remove(&old);
            }
            auths.insert(key, Value::Object(Map::new()));
            return Ok(source);
        }
        let old = self.auths_key(registry);
        let path = self.path.clone();
        let auths = self.auths_mut();
        let mut entry = old
            .and_then(|k| auths.remove(&k))
            .and_then(|v| match v {
                Value::Object(m) => Some(m),
                _ => None,
            })
            .unwrap_or_default();
        for field in [
            "auth",
            "username",
            "password",
            "identitytoken",
            "registrytoken",
        ] {
            entry.remove(field);
        }
        match credentials {
            Credentials::Basic { username, password } => {
                entry.insert("auth".into(), encode_basic_auth(username, password).into());
            }
            Credentials::IdentityToken { username, token } => {
                if let Some(user) = username {
                    entry.insert(
                        "auth".into(),
                        encode_basic_auth(user, &Secret::default()).into(),
                    );
                }
                entry.insert("identitytoken".into(), token.expose_secret().into());
            }
            Credentials::Bearer(token) => {
                entry.insert("registrytoken".into(), token.expose_secret().into());
            }
            Credentials::Anonymous => {}
        }
        auths.insert(key, Value::Object(entry));
        Ok(CredentialSource::File(path))
    }

    /// Removes the credentials for a registry (what `docker logout` does): through the helper
    /// when one is configured, and from `auths`. Call [`DockerConfig::save`] afterwards.
    ///
    /// # Errors
    /// [`Error::CredentialHelper`] when the helper fails.
    pub fn erase(&mut self, registry: &str) -> Result<()> {
        if let Some((helper, _)) = self.helper_for(registry)? {
            helper.erase(&Self::registry_key(registry))?;
        }
        while let Some(key) = self.auths_key(registry) {
            self.auths_mut().remove(&key);
        }
        Ok(())
    }

    /// Writes the configuration to [`DockerConfig::path`] atomically: a temporary file in the same
    /// directory (mode 0600), fsync, rename over the old file, fsync of the directory. A symlinked
    /// config.json is written through to its target. The directory is created (mode 0700) if
    /// missing. On failure the old file is untouched.
    ///
    /// # Errors
    /// [`Error::Config`] naming the file or directory that could not be written.
    pub fn save(&self) -> Result<()> {
        let target = match std::fs::canonicalize(&self.path) {
            Ok(p) => p,
            Err(_) => self.path.clone(),
        };
        let dir = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let io_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::Config { path, source }
        };
        create_dir_private(&dir).map_err(io_err(&dir))?;

        let mut body = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"\t");
        let mut ser = serde_json::Serializer::with_formatter(&mut body, formatter);
        serde::Serialize::serialize(&self.raw, &mut ser)
            .map_err(|e| io_err(&target)(std::io::Error::other(e)))?;
        body.push(b'\n');

        let file_name = target.file_name().map_or_else(
            || "config.json".into(),
            |n| n.to_string_lossy().into_owned(),
        );
        let tmp = dir.join(format!(
            ".{file_name}.{}.{:016x}.tmp",
            std::process::id(),
            fastrand::u64(..)
        ));
        let result = (|| {
            let mut file = open_private(&tmp)?;
            file.write_all(&body)?;
            file.sync_all()?;
            drop(file);
            std::fs::rename(&tmp, &target)
        })();
        if let Err(source) = result {
            let _ = std::fs::remove_file(&tmp);
            return Err(Error::Config {
                path: target,
                source,
            });
        }
        // Durability of the rename; failure here does not undo the write.
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

#[cfg(unix)]
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(unix)]
fn create_dir_private(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_dir_private(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_keys() {
        for hub in [
            "docker.io",
            "index.docker.io",
            "registry-1.docker.io",
            "https://index.docker.io/v1/",
            "DOCKER.IO",
        ] {
            assert_eq!(DockerConfig::registry_key(hub), DOCKER_HUB_KEY, "{hub}");
        }
        assert_eq!(
            DockerConfig::registry_key("localhost:5000"),
            "localhost:5000"
        );
        assert_eq!(
            DockerConfig::registry_key("https://Reg.example:443/v2/"),
            "reg.example:443"
        );
    }

    #[test]
    fn auths_lookup_by_host_forms() {
        for key in [
            "127.0.0.1:5000",
            "https://127.0.0.1:5000",
            "http://127.0.0.1:5000/v1/",
        ] {
            let text = format!(r#"{{"auths": {{"{key}": {{"auth": "Ym9iOnB3"}}}}}}"#);
            let cfg = DockerConfig::parse("/x/config.json", &text).unwrap();
            let (creds, src) = cfg.credentials_for("127.0.0.1:5000").unwrap();
            assert_eq!(creds, Credentials::basic("bob", "pw"), "{key}");
            assert_eq!(src, CredentialSource::File("/x/config.json".into()));
        }
        let cfg = DockerConfig::parse(
            "c.json",
            r#"{"auths": {"https://index.docker.io/v1/": {"auth": "Ym9iOnB3"}}}"#,
        )
        .unwrap();
        assert_eq!(
            cfg.credentials_for("docker.io").unwrap().0,
            Credentials::basic("bob", "pw")
        );
        assert_eq!(
            cfg.credentials_for("other:1").unwrap(),
            (Credentials::Anonymous, CredentialSource::None)
        );
    }

    #[test]
    fn identity_and_registry_tokens() {
        let cfg = DockerConfig::parse(
            "c.json",
            r#"{"auths": {"a": {"auth": "Ym9iOg==", "identitytoken": "rt"}, "b": {"registrytoken": "bt"}}}"#,
        )
        .unwrap();
        assert_eq!(
            cfg.credentials_for("a").unwrap().0,
            Credentials::IdentityToken {
                username: Some("bob".into()),
                token: Secret::new("rt")
            }
        );
        assert_eq!(
            cfg.credentials_for("b").unwrap().0,
            Credentials::Bearer(Secret::new("bt"))
        );
    }

    #[test]
    fn shape_errors_name_the_file() {
        for text in [
            "{",
            "[]",
            r#"{"auths": []}"#,
            r#"{"auths": {"h": 1}}"#,
            r#"{"auths": {"h": {"auth": 1}}}"#,
            r#"{"credsStore": 1}"#,
            r#"{"credHelpers": {"h": 1}}"#,
        ] {
            let err = DockerConfig::parse("/tmp/x/config.json", text).unwrap_err();
            assert!(matches!(err, Error::ConfigParse { .. }), "{text}: {err:?}");
            assert!(err.to_string().contains("/tmp/x/config.json"), "{err}");
        }
    }

    #[test]
    fn bad_auth_field_is_typed_error_without_secret() {
        let cfg = DockerConfig::parse("c.json", r#"{"auths": {"h": {"auth": "SECRET!!notb64"}}}"#)
            .unwrap();
        let err = cfg.credentials_for("h").unwrap_err();
        assert!(matches!(err, Error::ConfigParse { .. }));
        assert!(!err.to_string().contains("SECRET"));
    }

    #[test]
    fn helpers_take_precedence_and_names_are_checked() {
        let cfg = DockerConfig::parse(
            "c.json",
            r#"{"credsStore": "desktop", "credHelpers": {"https://reg:1": "pass", "bad": "../x"}, "auths": {"reg:1": {"auth": "Ym9iOnB3"}}}"#,
        )
        .unwrap();
        assert_eq!(cfg.cred_helper("reg:1"), Some("pass"));
        assert_eq!(cfg.cred_helper("other"), None);
        assert_eq!(cfg.creds_store(), Some("desktop"));
        let err = cfg.credentials_for("bad").unwrap_err();
        assert!(matches!(err, Error::CredentialHelper { .. }), "{err:?}");
    }

    #[test]
    fn config_dir_lookup() {
        let d = config_dir_with(&|k| (k == "DOCKER_CONFIG").then(|| "/cfg".to_owned())).unwrap();
        assert_eq!(d, PathBuf::from("/cfg"));
        let d = config_dir_with(&|k| (k == "HOME").then(|| "/home/u".to_owned())).unwrap();
        assert_eq!(d, PathBuf::from("/home/u/.docker"));
        assert!(config_dir_with(&|_| None).is_err());
    }
}
