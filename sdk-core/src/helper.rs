//! The docker credential helper protocol: `docker-credential-<name> get|store|erase`.
//!
//! `get` and `erase` read the server URL on stdin; `store` reads the JSON
//! `{"ServerURL","Username","Secret"}`. `get` answers that JSON on stdout; the username `<token>`
//! means the secret is an identity token. A helper that has nothing for the server prints
//! `credentials not found in native keychain` and exits non-zero: that is anonymous, not an error.
//!
//! The helpers' output may contain secrets, so it is never copied into errors or logs.

use crate::{Credentials, Error, Result, Secret};
use serde::{Deserialize, Serialize};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// How long a helper may run before it is killed and the call fails.
pub const HELPER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// The most a helper may print on stdout (1 MiB): a helper that prints more is stopped (its
/// stdout is closed) and the call fails.
pub const HELPER_OUTPUT_LIMIT: usize = 1024 * 1024;

/// The username credential helpers use to mark an identity token.
pub const TOKEN_USERNAME: &str = "<token>";

/// A credential helper program, `docker-credential-<name>`, looked up on `PATH` or in a given
/// directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialHelper {
    name: String,
    dir: Option<PathBuf>,
}

#[derive(Serialize, Deserialize)]
struct HelperCredentials {
    #[serde(rename = "ServerURL", default)]
    server_url: String,
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

impl CredentialHelper {
    /// The helper `docker-credential-<name>`, found in `dir` when given, else on `PATH`.
    ///
    /// # Errors
    /// [`Error::CredentialHelper`] when the name is empty or contains a path separator.
    pub fn new(name: impl Into<String>, dir: Option<&Path>) -> Result<Self> {
        let name = name.into();
        if name.is_empty() || name.contains(['/', '\\', '\0']) || name == "." || name == ".." {
            return Err(Error::CredentialHelper {
                helper: name.escape_debug().to_string(),
                message: "invalid helper name".into(),
            });
        }
        Ok(Self {
            name,
            dir: dir.map(Path::to_path_buf),
        })
    }

    /// The helper's name (after `docker-credential-`).
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The program that is run.
    #[must_use]
    pub fn program(&self) -> PathBuf {
        let file = format!("docker-credential-{}", self.name);
        match &self.dir {
            Some(dir) => dir.join(file),
            None => PathBuf::from(file),
        }
    }

    fn error(&self, message: impl Into<String>) -> Error {
        Error::CredentialHelper {
            helper: self.name.clone(),
            message: message.into(),
        }
    }

    /// Runs the helper with one action and stdin; returns (success, stdout). Blocking; a helper
    /// that runs longer than [`HELPER_TIMEOUT`] is killed, one that prints more than
    /// [`HELPER_OUTPUT_LIMIT`] bytes fails.
    fn run(&self, action: &str, input: &[u8]) -> Result<(bool, Vec<u8>)> {
        tracing::debug!(helper = %self.name, action, "running credential helper");
        let mut child = Command::new(self.program())
            .arg(action)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| self.error(format!("cannot run {}: {e}", self.program().display())))?;
        if let Some(mut stdin) = child.stdin.take() {
            // A helper that exits without reading stdin gives EPIPE: judged by its exit status.
            let _ = stdin.write_all(input);
        }
        // Read stdout on a thread so a chatty helper cannot block on a full pipe; at most one
        // byte over the limit is kept, then the pipe is closed (the helper gets EPIPE).
        let reader = child.stdout.take().map(|out| {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let limit = u64::try_from(HELPER_OUTPUT_LIMIT).unwrap_or(u64::MAX);
                let _ = std::io::Read::read_to_end(
                    &mut std::io::Read::take(out, limit.saturating_add(1)),
                    &mut buf,
                );
                buf
            })
        });
        let deadline = std::time::Instant::now() + HELPER_TIMEOUT;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(self.error(format!(
                        "{action} timed out after {} s",
                        HELPER_TIMEOUT.as_secs()
                    )));
                }
                Err(e) => return Err(self.error(format!("waiting for helper: {e}"))),
            }
        };
        let stdout = reader.and_then(|r| r.join().ok()).unwrap_or_default();
        if stdout.len() > HELPER_OUTPUT_LIMIT {
            return Err(self.error(format!(
                "{action} printed more than {HELPER_OUTPUT_LIMIT} bytes (output withheld)"
            )));
        }
        Ok((status.success(), stdout))
    }

    /// `get`: the credentials stored for `server_url`; [`Credentials::Anonymous`] when the helper
    /// has none. Blocking (runs a process).
    ///
    /// # Errors
    /// [`Error::CredentialHelper`] when the helper cannot be run, fails, prints something that is
    /// not the expected JSON or more than [`HELPER_OUTPUT_LIMIT`] bytes. The helper's output is
    /// never included.
    pub fn get(&self, server_url: &str) -> Result<Credentials> {
        let (ok, stdout) = self.run("get", server_url.as_bytes())?;
        self.parse_get(ok, &stdout)
    }

    /// What `get` answered: its exit status and stdout, read as credentials. The output is
    /// never quoted in an error.
    pub(crate) fn parse_get(&self, ok: bool, stdout: &[u8]) -> Result<Credentials> {
        if !ok {
            if is_not_found(stdout) {
                return Ok(Credentials::Anonymous);
            }
            return Err(self.error("get failed (output withheld: it may contain secrets)"));
        }
        let creds: HelperCredentials = serde_json::from_slice(stdout)
            .map_err(|_| self.error("get printed invalid JSON (output withheld)"))?;
        Ok(if creds.secret.is_empty() && creds.username.is_empty() {
            Credentials::Anonymous
        } else if creds.username == TOKEN_USERNAME {
            Credentials::IdentityToken {
                username: None,
                token: Secret::new(creds.secret),
            }
        } else {
            Credentials::Basic {
                username: creds.username,
                password: Secret::new(creds.secret),
            }
        })
    }

    /// `store`: saves credentials for `server_url`. Blocking.
    ///
    /// # Errors
    /// [`Error::InvalidCredentials`] for anonymous or bearer credentials (helpers store a username
    /// and a secret); [`Error::CredentialHelper`] when the helper fails.
    pub fn store(&self, server_url: &str, credentials: &Credentials) -> Result<()> {
        let payload = self.store_payload(server_url, credentials)?;
        let (ok, _) = self.run("store", &payload)?;
        if ok {
            Ok(())
        } else {
            Err(self.error("store failed (output withheld: it may contain secrets)"))
        }
    }

    /// The JSON `store` reads on stdin: `{"ServerURL","Username","Secret"}`, the username
    /// [`TOKEN_USERNAME`] for an identity token.
    pub(crate) fn store_payload(
        &self,
        server_url: &str,
        credentials: &Credentials,
    ) -> Result<Vec<u8>> {
        let (username, secret) = match credentials {
            Credentials::Basic { username, password } => (username.clone(), password),
            Credentials::IdentityToken { token, .. } => (TOKEN_USERNAME.to_owned(), token),
            Credentials::Anonymous | Credentials::Bearer(_) => {
                return Err(Error::InvalidCredentials {
                    message: format!(
                        "a credential helper cannot store {} credentials",
                        credentials.kind()
                    ),
                });
            }
        };
        serde_json::to_vec(&HelperCredentials {
            server_url: server_url.to_owned(),
            username,
            secret: secret.expose_secret().to_owned(),
        })
        .map_err(|_| self.error("cannot encode credentials"))
    }

    /// `erase`: removes the credentials for `server_url`; nothing stored is not an error. Blocking.
    ///
    /// # Errors
    /// [`Error::CredentialHelper`] when the helper cannot be run or fails.
    pub fn erase(&self, server_url: &str) -> Result<()> {
        let (ok, stdout) = self.run("erase", server_url.as_bytes())?;
        if ok || is_not_found(&stdout) {
            Ok(())
        } else {
            Err(self.error("erase failed (output withheld: it may contain secrets)"))
        }
    }
}

fn is_not_found(stdout: &[u8]) -> bool {
    String::from_utf8_lossy(stdout)
        .to_ascii_lowercase()
        .contains("credentials not found")
}
