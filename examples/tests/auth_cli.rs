//! `dockwright auth show|header` as a black box, with DOCKER_CONFIG pointed at a temp dir.

use sdk_core::{Credentials, RegistryAuth};
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Output};

fn dockwright(config_dir: &Path, extra_path: Option<&Path>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dockwright"));
    cmd.args(args).env("DOCKER_CONFIG", config_dir);
    if let Some(dir) = extra_path {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut paths = vec![dir.to_path_buf()];
        paths.extend(std::env::split_paths(&path));
        cmd.env("PATH", std::env::join_paths(paths).unwrap());
    }
    cmd.output().unwrap()
}

fn stdout_json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn show_from_auths_never_prints_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    // base64("alice:pw-CLI-SECRET")
    std::fs::write(
        dir.path().join("config.json"),
        r#"{"auths": {"https://127.0.0.1:5000": {"auth": "YWxpY2U6cHctQ0xJLVNFQ1JFVA=="}}}"#,
    )
    .unwrap();
    let out = dockwright(dir.path(), None, &["auth", "show", "127.0.0.1:5000"]);
    let json = stdout_json(&out);
    assert_eq!(json["registry"], "127.0.0.1:5000");
    assert_eq!(json["key"], "127.0.0.1:5000");
    assert_eq!(json["source"], "file");
    assert_eq!(
        json["source_detail"],
        dir.path().join("config.json").display().to_string()
    );
    assert_eq!(json["kind"], "basic");
    assert_eq!(json["username"], "alice");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains("pw-CLI-SECRET") && !all.contains("YWxpY2U6cHctQ0xJLVNFQ1JFVA"));
}

#[test]
fn show_and_header_through_a_helper_on_path() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let helper = bin.join("docker-credential-dwcli");
    std::fs::write(
        &helper,
        "#!/bin/sh\n[ \"$1\" = get ] || exit 2\nread -r url\n[ \"$url\" = 'reg.test:5000' ] || { echo 'credentials not found in native keychain'; exit 1; }\nprintf '%s' '{\"ServerURL\":\"reg.test:5000\",\"Username\":\"bob\",\"Secret\":\"pw-HELPER-SECRET\"}'\n",
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(
        dir.path().join("config.json"),
        r#"{"credHelpers": {"reg.test:5000": "dwcli"}}"#,
    )
    .unwrap();

    let out = dockwright(dir.path(), Some(&bin), &["auth", "show", "reg.test:5000"]);
    let json = stdout_json(&out);
    assert_eq!(json["source"], "helper");
    assert_eq!(json["source_detail"], "dwcli");
    assert_eq!(json["kind"], "basic");
    assert_eq!(json["username"], "bob");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("pw-HELPER-SECRET"));

    let out = dockwright(dir.path(), Some(&bin), &["auth", "header", "reg.test:5000"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let value = String::from_utf8(out.stdout).unwrap();
    let decoded = RegistryAuth::decode(value.trim()).unwrap();
    assert_eq!(
        decoded.credentials(),
        &Credentials::basic("bob", "pw-HELPER-SECRET")
    );
    assert_eq!(decoded.server_address(), "reg.test:5000");
    assert!(
        !value.contains('+') && !value.contains('/'),
        "URL-safe base64"
    );

    // Without the helper on PATH: a one-line error naming the helper, non-zero exit.
    let out = dockwright(dir.path(), None, &["auth", "show", "reg.test:5000"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("docker-credential-dwcli"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn anonymous_and_docker_hub_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = dockwright(dir.path(), None, &["auth", "show", "docker.io"]);
    let json = stdout_json(&out);
    assert_eq!(json["key"], "https://index.docker.io/v1/");
    assert_eq!(json["source"], "none");
    assert_eq!(json["kind"], "anonymous");
    assert!(json["username"].is_null());

    let out = dockwright(dir.path(), None, &["auth", "header", "index.docker.io"]);
    assert!(out.status.success());
    let decoded = RegistryAuth::decode(String::from_utf8(out.stdout).unwrap().trim()).unwrap();
    assert!(decoded.credentials().is_anonymous());
    assert_eq!(decoded.server_address(), "https://index.docker.io/v1/");
}

#[test]
fn corrupt_config_is_a_one_line_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    std::fs::write(&path, "{\"auths\": ").unwrap();
    for cmd in ["show", "header"] {
        let out = dockwright(dir.path(), None, &["auth", cmd, "reg:1"]);
        assert!(!out.status.success());
        assert!(out.stdout.is_empty());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(path.to_str().unwrap()), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"auths\": ");
}
