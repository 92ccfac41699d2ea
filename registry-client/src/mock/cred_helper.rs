//! A `docker-credential-<name>` stand-in for tests of credential-helper lookups.

use std::io;
use std::path::{Path, PathBuf};

/// Writes an executable `docker-credential-<name>` shell script into `dir` that speaks the
/// credential-helper protocol for the given `(server, username, secret)` entries, and returns
/// `dir` (put it first on `PATH`, or hand it to code that runs `docker-credential-<name>`).
///
/// It keeps state in `dir`, like a real helper's keychain:
/// - `get` reads a server address on stdin and prints `{"ServerURL":…,"Username":…,"Secret":…}`
///   for an exact match, or prints `credentials not found in native keychain` and exits 1;
/// - `store` reads that JSON on stdin and saves it (replacing an entry for the same server), so
///   a later `get` answers it: a `docker login` through the helper can be tested end to end;
/// - `erase` reads a server address and removes its entry (`credentials not found in native
///   keychain` and exit 1 when there is none, as the real helpers answer);
/// - `list` prints `{"server":"username",…}`.
///
/// Every invocation appends `ACTION SERVER` (just `list` for list; never a secret) to
/// `dir/docker-credential-<name>.log`, so tests can check how the helper was used. Server
/// addresses and user names given to `store` must not contain `"` or `\` (the script reads the
/// JSON with `sed`); secrets may contain anything.
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
    for (i, (server, user, secret)) in credentials.iter().enumerate() {
        let entry = serde_json::json!({"ServerURL": server, "Username": user, "Secret": secret});
        // The script finds entries by the address in `.url`, whatever the file is called.
        let key = format!("init-{i}");
        std::fs::write(data.join(format!("{key}.url")), server)?;
        std::fs::write(data.join(format!("{key}.json")), entry.to_string())?;
    }
    let script = format!(
        r#"#!/bin/sh
# docker-credential-{name}: test stand-in written by registry_client::mock::write_credential_helper
here=$(cd "$(dirname "$0")" && pwd)
data="$here/.docker-credential-{name}.d"
log="$here/docker-credential-{name}.log"
key() {{ printf '%s' "$1" | cksum | cut -d' ' -f1; }}
field() {{ sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p" | head -n 1; }}
# The entries of one server: exact address match.
entries() {{
  for f in "$data"/*.url; do
    [ -e "$f" ] || continue
    if [ "$(cat "$f")" = "$1" ]; then echo "${{f%.url}}"; fi
  done
}}
case "$1" in
  get)
    read -r url || true
    echo "get $url" >> "$log"
    e=$(entries "$url" | head -n 1)
    if [ -n "$e" ]; then cat "$e.json"; exit 0; fi
    echo "credentials not found in native keychain"
    exit 1
    ;;
  store)
    json=$(cat)
    url=$(printf '%s' "$json" | field ServerURL)
    echo "store $url" >> "$log"
    if [ -z "$url" ]; then echo "no ServerURL in the credentials" >&2; exit 1; fi
    entries "$url" | while IFS= read -r e; do rm -f "$e.url" "$e.json"; done
    k="$(key "$url")-s"
    printf '%s' "$json" > "$data/.$k.tmp" && mv "$data/.$k.tmp" "$data/$k.json"
    printf '%s' "$url" > "$data/$k.url"
    ;;
  erase)
    read -r url || true
    echo "erase $url" >> "$log"
    found=$(entries "$url")
    entries "$url" | while IFS= read -r e; do rm -f "$e.url" "$e.json"; done
    if [ -z "$found" ]; then echo "credentials not found in native keychain"; exit 1; fi
    ;;
  list)
    echo list >> "$log"
    sep=
    printf '{{'
    for f in "$data"/*.url; do
      [ -e "$f" ] || continue
      printf '%s"%s":"%s"' "$sep" "$(cat "$f")" "$(field Username < "${{f%.url}}.json")"
      sep=,
    done
    printf '}}\n'
    ;;
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
