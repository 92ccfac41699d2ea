//! config.json reading and writing, and credential helpers (a shell script in a temp dir).

use sdk_core::{CredentialSource, Credentials, DockerConfig, Error, RegistryAuth, Secret};
use serde_json::{Value, json};
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

/// A credential helper speaking the protocol, storing JSON files under `<dir>/store`, logging
/// each action and its stdin to `<dir>/log`.
const TEST_HELPER: &str = r#"#!/bin/sh
dir="$(dirname "$0")"
mkdir -p "$dir/store"
input="$(cat)"
printf '%s %s\n' "$1" "$input" | sed 's/"Secret":"[^"]*"/"Secret":"***"/' >> "$dir/log"
case "$1" in
  get|erase) url="$input" ;;
  store) url="$(printf '%s' "$input" | sed -n 's/.*"ServerURL":"\([^"]*\)".*/\1/p')" ;;
  *) echo "unknown action"; exit 2 ;;
esac
key="$(printf '%s' "$url" | od -An -tx1 | tr -d ' \n')"
file="$dir/store/$key"
case "$1" in
  get) if [ -f "$file" ]; then cat "$file"; else echo "credentials not found in native keychain"; exit 1; fi ;;
  store) printf '%s' "$input" > "$file" ;;
  erase) if [ -f "$file" ]; then rm "$file"; else echo "credentials not found in native keychain"; exit 1; fi ;;
esac
"#;

fn write_exe(path: &Path, body: &str) {
    std::fs::write(path, body).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn round_trip_keeps_unknown_fields_and_other_entries() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    let original = json!({
        "auths": {
            "other.example:5000": {"auth": "b3RoZXI6b3RoZXJwdw==", "email": "o@example.com"},
            "reg.example:1": {"auth": "b2xkOm9sZA==", "x-custom": "keep me"}
        },
        "psFormat": "table {{.ID}}",
        "plugins": {"debug": {"hooks": "exec"}},
        "proxies": {"default": {"httpProxy": "http://127.0.0.1:3128"}},
        "currentContext": "default"
    });
    std::fs::write(&path, serde_json::to_string_pretty(&original).unwrap()).unwrap();

    let mut cfg = DockerConfig::load_from(&path).unwrap();
    let source = cfg
        .store(
            "https://reg.example:1/v2/",
            &Credentials::basic("alice", "pw-NEW"),
        )
        .unwrap();
    assert_eq!(source, CredentialSource::File(path.clone()));
    cfg.store(
        "docker.io",
        &Credentials::IdentityToken {
            username: Some("bob".into()),
            token: Secret::new("refresh-1"),
        },
    )
    .unwrap();
    cfg.save().unwrap();

    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "config.json must be private");
    let saved = read_json(&path);
    for field in ["psFormat", "plugins", "proxies", "currentContext"] {
        assert_eq!(saved[field], original[field], "{field} lost");
    }
    assert_eq!(
        saved["auths"]["other.example:5000"],
        original["auths"]["other.example:5000"]
    );
    // base64("alice:pw-NEW"), the entry's unknown field kept.
    assert_eq!(
        saved["auths"]["reg.example:1"],
        json!({"auth": "YWxpY2U6cHctTkVX", "x-custom": "keep me"})
    );
    assert_eq!(
        saved["auths"]["https://index.docker.io/v1/"],
        json!({"auth": "Ym9iOg==", "identitytoken": "refresh-1"})
    );
    // No temp files left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("config.json")]);

    // Read back what we wrote.
    let cfg = DockerConfig::load_from(&path).unwrap();
    assert_eq!(
        cfg.credentials_for("reg.example:1").unwrap().0,
        Credentials::basic("alice", "pw-NEW")
    );
    assert_eq!(
        cfg.credentials_for("index.docker.io").unwrap().0,
        Credentials::IdentityToken {
            username: Some("bob".into()),
            token: Secret::new("refresh-1")
        }
    );

    // Logout removes only that entry.
    let mut cfg = cfg;
    cfg.erase("reg.example:1").unwrap();
    cfg.save().unwrap();
    let saved = read_json(&path);
    assert!(saved["auths"].get("reg.example:1").is_none());
    assert!(saved["auths"].get("other.example:5000").is_some());
    assert_eq!(saved["plugins"], original["plugins"]);
}

#[test]
fn corrupt_config_is_a_typed_error_and_nothing_is_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    let corrupt = b"{\"auths\": {\"reg:1\": {\"auth\": \"c2VjcmV0\"}\n";
    std::fs::write(&path, corrupt).unwrap();
    let err = DockerConfig::load_from(&path).unwrap_err();
    match &err {
        Error::ConfigParse { path: p, .. } => assert_eq!(p, &path),
        other => panic!("expected ConfigParse, got {other:?}"),
    }
    assert!(err.to_string().contains(path.to_str().unwrap()), "{err}");
    assert!(!err.to_string().contains("c2VjcmV0"));
    assert_eq!(
        std::fs::read(&path).unwrap(),
        corrupt,
        "file must be unchanged"
    );
}

#[test]
fn missing_file_is_empty_and_save_creates_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/dir/config.json");
    let mut cfg = DockerConfig::load_from(&path).unwrap();
    assert_eq!(
        cfg.credentials_for("reg:1").unwrap(),
        (Credentials::Anonymous, CredentialSource::None)
    );
    cfg.store("reg:1", &Credentials::basic("u", "p")).unwrap();
    cfg.save().unwrap();
    assert_eq!(
        read_json(&path),
        json!({"auths": {"reg:1": {"auth": "dTpw"}}})
    );
    // Tab indentation, like the docker CLI.
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("\n\t\"auths\"")
    );
}

#[test]
fn save_writes_through_a_symlink() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.json");
    std::fs::write(&real, "{}").unwrap();
    let link = dir.path().join("config.json");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let mut cfg = DockerConfig::load_from(&link).unwrap();
    cfg.store("reg:1", &Credentials::basic("u", "p")).unwrap();
    cfg.save().unwrap();
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(read_json(&real)["auths"]["reg:1"]["auth"], "dTpw");
}

#[test]
fn cred_helper_get_store_erase() {
    let dir = tempfile::tempdir().unwrap();
    let helpers = dir.path().join("bin");
    std::fs::create_dir(&helpers).unwrap();
    write_exe(&helpers.join("docker-credential-dwtest"), TEST_HELPER);
    let path = dir.path().join("config.json");
    std::fs::write(
        &path,
        r#"{"credHelpers": {"127.0.0.1:5999": "dwtest"}, "auths": {"127.0.0.1:5999": {"auth": "ZmlsZTpmaWxl"}}, "keep": 1}"#,
    )
    .unwrap();
    let mut cfg = DockerConfig::load_from(&path)
        .unwrap()
        .with_helper_dir(&helpers);

    // Nothing stored yet: anonymous (the file's auths entry does not count when a helper is set).
    assert_eq!(
        cfg.credentials_for("127.0.0.1:5999").unwrap(),
        (Credentials::Anonymous, CredentialSource::None)
    );

    let source = cfg
        .store("127.0.0.1:5999", &Credentials::basic("alice", "pw-HELPER"))
        .unwrap();
    assert_eq!(source, CredentialSource::Helper("dwtest".into()));
    assert_eq!(
        cfg.credentials_for("http://127.0.0.1:5999/v2/").unwrap(),
        (
            Credentials::basic("alice", "pw-HELPER"),
            CredentialSource::Helper("dwtest".into())
        )
    );
    cfg.save().unwrap();
    let saved = read_json(&path);
    assert_eq!(
        saved["auths"]["127.0.0.1:5999"],
        json!({}),
        "no secret in the file"
    );
    assert_eq!(saved["keep"], 1);

    // The header carries the helper's credentials.
    let auth = cfg.registry_auth("127.0.0.1:5999").unwrap();
    let back = RegistryAuth::decode(&auth.encode()).unwrap();
    assert_eq!(
        back.credentials(),
        &Credentials::basic("alice", "pw-HELPER")
    );
    assert_eq!(back.server_address(), "127.0.0.1:5999");

    // Identity tokens travel as Username "<token>".
    cfg.store(
        "127.0.0.1:5999",
        &Credentials::IdentityToken {
            username: None,
            token: Secret::new("refresh-XYZ"),
        },
    )
    .unwrap();
    assert_eq!(
        cfg.credentials_for("127.0.0.1:5999").unwrap().0,
        Credentials::IdentityToken {
            username: None,
            token: Secret::new("refresh-XYZ")
        }
    );

    cfg.erase("127.0.0.1:5999").unwrap();
    assert_eq!(
        cfg.credentials_for("127.0.0.1:5999").unwrap().0,
        Credentials::Anonymous
    );
    // Erasing again: "not found" is not an error.
    cfg.erase("127.0.0.1:5999").unwrap();

    let log = std::fs::read_to_string(helpers.join("log")).unwrap();
    let actions: Vec<&str> = log.lines().map(|l| l.split(' ').next().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "get", "store", "get", "get", "store", "get", "erase", "get", "erase"
        ]
    );
    assert!(log.contains("get 127.0.0.1:5999"), "{log}");
    assert!(
        log.contains(r#""ServerURL":"127.0.0.1:5999","Username":"<token>""#),
        "{log}"
    );
}

#[test]
fn creds_store_is_used_with_the_hub_key() {
    let dir = tempfile::tempdir().unwrap();
    write_exe(&dir.path().join("docker-credential-dwstore"), TEST_HELPER);
    let mut cfg = DockerConfig::parse(
        dir.path().join("config.json"),
        r#"{"credsStore":"dwstore"}"#,
    )
    .unwrap()
    .with_helper_dir(dir.path());
    let src = cfg
        .store(
            "registry-1.docker.io",
            &Credentials::basic("hubuser", "hubpw"),
        )
        .unwrap();
    assert_eq!(src, CredentialSource::Store("dwstore".into()));
    assert_eq!(
        cfg.credentials_for("docker.io").unwrap(),
        (
            Credentials::basic("hubuser", "hubpw"),
            CredentialSource::Store("dwstore".into())
        )
    );
    let log = std::fs::read_to_string(dir.path().join("log")).unwrap();
    assert!(log.contains("get https://index.docker.io/v1/"), "{log}");
}

#[test]
fn failing_helpers_never_leak_their_output() {
    let dir = tempfile::tempdir().unwrap();
    write_exe(
        &dir.path().join("docker-credential-leaky"),
        "#!/bin/sh\necho 'boom: password=LEAKED-SECRET'; echo 'LEAKED-SECRET' >&2; exit 3\n",
    );
    write_exe(
        &dir.path().join("docker-credential-badjson"),
        "#!/bin/sh\necho '{\"Username\": \"u\", \"Secret\": LEAKED-SECRET'\n",
    );
    for helper in ["leaky", "badjson", "absent"] {
        let mut cfg = DockerConfig::parse(
            dir.path().join("config.json"),
            &format!(r#"{{"credHelpers": {{"reg:1": "{helper}"}}}}"#),
        )
        .unwrap()
        .with_helper_dir(dir.path());
        let mut errs = vec![cfg.credentials_for("reg:1").unwrap_err()];
        // The badjson helper's `store` exits 0: only the others fail there.
        if helper != "badjson" {
            errs.push(
                cfg.store("reg:1", &Credentials::basic("u", "LEAKED-SECRET"))
                    .unwrap_err(),
            );
        }
        for err in errs {
            assert!(
                matches!(&err, Error::CredentialHelper { helper: h, .. } if h == helper),
                "{err:?}"
            );
            let text = format!("{err} {err:?}");
            assert!(!text.contains("LEAKED-SECRET"), "{text}");
        }
    }
}

#[test]
fn no_secret_in_any_debug_or_display() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    let mut cfg = DockerConfig::empty(&path);
    cfg.store("reg:1", &Credentials::basic("user", "SUPER-SECRET-PW"))
        .unwrap();
    let (creds, source) = cfg.credentials_for("reg:1").unwrap();
    let auth = RegistryAuth::new(creds.clone(), "reg:1");
    let texts = [
        format!("{creds:?}"),
        format!("{creds:#?}"),
        creds.to_string(),
        format!("{source:?} {source}"),
        format!("{auth:?}"),
        format!("{auth:#?}"),
    ];
    for t in &texts {
        assert!(!t.contains("SUPER-SECRET-PW"), "{t}");
        // base64 of the secret must not show either.
        assert!(!t.contains("U1VQRVItU0VDUkVULVBX"), "{t}");
    }
    assert!(texts[0].contains("<redacted>"));
}

/// The config's `Debug` (and so the Debug of every client holding one) shows its shape but no
/// secret: `auth` (base64 `user:password`), `password`, `identitytoken`, `registrytoken`, and
/// header values such as `HttpHeaders.Authorization` are printed as `<redacted>`.
#[test]
fn docker_config_debug_redacts_every_secret() {
    let text = r#"{
        "auths": {
            "reg.example:5000": {"auth": "dXNlcjpBVVRILVNFQ1JFVA==", "email": "u@example.com"},
            "tok.example": {"identitytoken": "IDENTITY-SECRET", "username": "bob"},
            "bear.example": {"registrytoken": "REGISTRY-SECRET"},
            "pw.example": {"username": "carol", "password": "PASSWORD-SECRET"}
        },
        "HttpHeaders": {"Authorization": "Bearer HEADER-SECRET", "X-Meta-Source": "ci"},
        "credsStore": "desktop"
    }"#;
    let cfg = DockerConfig::parse("/home/u/.docker/config.json", text).unwrap();
    for shown in [format!("{cfg:?}"), format!("{cfg:#?}")] {
        for secret in [
            "dXNlcjpBVVRILVNFQ1JFVA==",
            "AUTH-SECRET",
            "IDENTITY-SECRET",
            "REGISTRY-SECRET",
            "PASSWORD-SECRET",
            "HEADER-SECRET",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        // Still useful for debugging: the path, registries, user names and other settings.
        for visible in [
            "/home/u/.docker/config.json",
            "reg.example:5000",
            "u@example.com",
            "carol",
            "desktop",
            "X-Meta-Source",
            "<redacted>",
        ] {
            assert!(shown.contains(visible), "{visible} missing from {shown}");
        }
    }
}

/// A helper's stdout is read up to a limit (1 MiB): a helper printing more is an error naming
/// the limit, never a buffer that grows with whatever the helper prints.
#[test]
fn credential_helper_output_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    write_exe(
        &dir.path().join("docker-credential-huge"),
        "#!/bin/sh\nhead -c 5000000 /dev/zero | tr '\\0' 'a'\n",
    );
    let cfg = DockerConfig::parse(
        dir.path().join("config.json"),
        r#"{"credHelpers": {"reg:1": "huge"}}"#,
    )
    .unwrap()
    .with_helper_dir(dir.path());
    let err = cfg.credentials_for("reg:1").unwrap_err();
    assert!(
        matches!(&err, Error::CredentialHelper { message, .. } if message.contains("more than 1048576 bytes")),
        "{err:?}"
    );
}

/// A helper that prints without end is stopped at the limit (its pipe closed), not after the
/// 60 s helper timeout with gigabytes buffered.
#[test]
fn endless_credential_helper_output_stops_at_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    write_exe(
        &dir.path().join("docker-credential-endless"),
        "#!/bin/sh\nexec yes\n",
    );
    let cfg = DockerConfig::parse(
        dir.path().join("config.json"),
        r#"{"credHelpers": {"reg:1": "endless"}}"#,
    )
    .unwrap()
    .with_helper_dir(dir.path());
    let started = std::time::Instant::now();
    let err = cfg.credentials_for("reg:1").unwrap_err();
    assert!(
        matches!(&err, Error::CredentialHelper { message, .. } if message.contains("more than")),
        "{err:?}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}
