//! A `docker-credential-<name>` stand-in for tests of credential-helper lookups.

use std::io;
use std::path::{Path, PathBuf};

/// Writes an executable `docker-credential-<name>` shell script into `dir` that speaks the
/// credential-helper protocol for the given `(server, username, secret)` entries, and returns
/// `dir` (put it first on `PATH`, or hand it to code that runs `docker-credential-<name>`).
///
/// `get` reads a server address on stdin and prints
/// `{"ServerURL":…,"Username":…,"Secret":…}` for an exact match, or prints
/// `credentials not found in native keychain` and exits 1; `list` prints `{"server":"username",…}`;
/// `store` and `erase` read stdin and succeed. Every invocation appends its action to
/// `dir/docker-credential-<name>.log`, so tests can check how the helper was used.
///
/// # Errors
/// When `name` is not a plain helper name (`[A-Za-z0-9_.-]+`), or when the files cannot be
/// written.
pub fn write_credential_helper(
    dir: &Path,
    name: &str,
    credentials: &[(&str, &str, &str)],
) -> io::Result<PathBuf> {
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid credential helper name {name:?}"),
        ));
    }
    let data = dir.join(format!(".docker-credential-{name}.d"));
    std::fs::create_dir_all(&data)?;
    let mut list = serde_json::Map::new();
    for (i, (server, user, secret)) in credentials.iter().enumerate() {
        std::fs::write(data.join(format!("{i}.url")), server)?;
        let entry = serde_json::json!({"ServerURL": server, "Username": user, "Secret": secret});
        std::fs::write(data.join(format!("{i}.json")), entry.to_string())?;
        list.insert(
            (*server).to_owned(),
            serde_json::Value::String((*user).to_owned()),
        );
    }
    std::fs::write(
        data.join("list.json"),
        serde_json::Value::Object(list).to_string(),
    )?;
    let script = format!(
        r#"#!/bin/sh
# docker-credential-{name}: test stand-in written by registry_client::mock::write_credential_helper
here=$(cd "$(dirname "$0")" && pwd)
data="$here/.docker-credential-{name}.d"
echo "$1" >> "$here/docker-credential-{name}.log"
case "$1" in
  get)
    read -r url || true
    for f in "$data"/*.url; do
      [ -e "$f" ] || continue
      if [ "$(cat "$f")" = "$url" ]; then cat "${{f%.url}}.json"; exit 0; fi
    done
    echo "credentials not found in native keychain"
    exit 1
    ;;
  list) cat "$data/list.json" ;;
  store|erase) cat > /dev/null ;;
  *) echo "unknown action: $1" >&2; exit 1 ;;
esac
"#
    );
    let path = dir.join(format!("docker-credential-{name}"));
    let tmp = dir.join(format!(".docker-credential-{name}.tmp"));
    std::fs::write(&tmp, script)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))?;
    }
    std::fs::rename(&tmp, &path)?;
    Ok(dir.to_path_buf())
}
