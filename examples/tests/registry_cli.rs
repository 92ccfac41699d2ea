//! Black-box tests of the `dockwright` registry commands.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn dw(config: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    dw_env(config, &[], args, stdin)
}

/// `dw` with extra environment variables (e.g. a `PATH` holding a credential helper).
fn dw_env(
    config: &Path,
    vars: &[(&str, &std::ffi::OsStr)],
    args: &[&str],
    stdin: Option<&str>,
) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dockwright"))
        .args(args)
        .env("DOCKER_CONFIG", config)
        .envs(vars.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run scripts/test"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn bad_reference_is_a_one_line_error() {
    let cfg = tempfile::tempdir().unwrap();
    let o = dw(cfg.path(), &["tags", "UPPER/Case"], None);
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert!(err.contains("invalid reference"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn login_requires_password_stdin_and_unreachable_registry_fails() {
    let cfg = tempfile::tempdir().unwrap();
    let o = dw(cfg.path(), &["login", "127.0.0.1:1", "-u", "u"], None);
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("--password-stdin"));
    let o = dw(
        cfg.path(),
        &["login", "127.0.0.1:1", "-u", "u", "--password-stdin"],
        Some("pw\n"),
    );
    assert!(!o.status.success());
    assert!(!text(&o.stderr).contains("pw\n"));
    assert!(
        !cfg.path().join("config.json").exists(),
        "nothing stored after a failed login"
    );
}

fn write_layout(dir: &Path) {
    use sha2_free::sha256_hex;
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let layer: Vec<u8> = (0..100_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 7) as u8)
        .collect();
    let config = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{}}"#;
    let (ld, cd) = (sha256_hex(&layer), sha256_hex(config));
    std::fs::write(blobs.join(&ld), &layer).unwrap();
    std::fs::write(blobs.join(&cd), config).unwrap();
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{cd}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:{ld}","size":{}}}]}}"#,
        config.len(),
        layer.len()
    );
    let md = sha256_hex(manifest.as_bytes());
    std::fs::write(blobs.join(&md), &manifest).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    std::fs::write(
        dir.join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{md}","size":{}}}]}}"#,
            manifest.len()
        ),
    )
    .unwrap();
}

/// SHA-256 through registry-client's digest module (no extra dependency).
mod sha2_free {
    pub(crate) fn sha256_hex(b: &[u8]) -> String {
        registry_client::digest::Digest::sha256_of(b)
            .hex()
            .to_owned()
    }
}

fn suffix() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
            % 0xffff_ffff
    )
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn push_tags_manifest_tag_copy_pull_open_registry() {
    let reg = env("DOCKWRIGHT_TEST_REGISTRY");
    let cfg = tempfile::tempdir().unwrap();
    let src = tempfile::tempdir().unwrap();
    write_layout(src.path());
    let r = format!("{reg}/regclient-test-{}/cli:v1", suffix());
    let o = dw(
        cfg.path(),
        &["push", src.path().to_str().unwrap(), &r],
        None,
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let digest = text(&o.stdout).trim().to_owned();
    assert!(digest.starts_with("sha256:"));
    // not a terminal: one plain line per blob event, no bar redrawn with \r
    let err = text(&o.stderr);
    assert!(!err.contains('\r'), "{err:?}");
    assert_eq!(
        err.lines()
            .filter(|l| l.ends_with("bytes)") && l.contains(": done"))
            .count(),
        2,
        "{err}"
    );
    let o = dw(cfg.path(), &["tag", &r, "v2"], None);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout).trim(), digest);
    let o = dw(cfg.path(), &["tags", &r], None);
    let mut tags: Vec<String> = serde_json::from_slice(&o.stdout).unwrap();
    tags.sort();
    assert_eq!(tags, ["v1", "v2"]);
    let o = dw(cfg.path(), &["manifest", &r], None);
    let m: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(m["digest"], digest.as_str());
    assert_eq!(m["manifest"]["schemaVersion"], 2);
    let dst = r.replace("/cli:v1", "/cli-copy:c");
    let o = dw(cfg.path(), &["copy", &r, &dst], None);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = tempfile::tempdir().unwrap();
    let o = dw(
        cfg.path(),
        &["pull", &dst, out.path().to_str().unwrap()],
        None,
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout).trim(), digest);
    for e in std::fs::read_dir(src.path().join("blobs/sha256")).unwrap() {
        let e = e.unwrap();
        let got = std::fs::read(out.path().join("blobs/sha256").join(e.file_name())).unwrap();
        assert_eq!(got, std::fs::read(e.path()).unwrap());
    }
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn login_push_logout_htpasswd_registry() {
    let reg = env("DOCKWRIGHT_TEST_AUTH_REGISTRY");
    let user = env("DOCKWRIGHT_TEST_REGISTRY_USER");
    let pw = env("DOCKWRIGHT_TEST_REGISTRY_PASSWORD");
    let cfg = tempfile::tempdir().unwrap();
    let o = dw(
        cfg.path(),
        &["login", &reg, "-u", &user, "--password-stdin"],
        Some("wrong-password\n"),
    );
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("401"), "{}", text(&o.stderr));
    let o = dw(
        cfg.path(),
        &["login", &reg, "-u", &user, "--password-stdin"],
        Some(&format!("{pw}\n")),
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(!text(&o.stdout).contains(&pw) && !text(&o.stderr).contains(&pw));
    assert!(cfg.path().join("config.json").exists());
    let src = tempfile::tempdir().unwrap();
    write_layout(src.path());
    let r = format!("{reg}/regclient-test-{}/auth:v1", suffix());
    let o = dw(
        cfg.path(),
        &["push", "-q", src.path().to_str().unwrap(), &r],
        None,
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = dw(cfg.path(), &["logout", &reg], None);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = dw(cfg.path(), &["tags", &r], None);
    assert!(!o.status.success(), "after logout the registry must refuse");
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn push_on_a_terminal_draws_a_progress_bar() {
    let reg = env("DOCKWRIGHT_TEST_REGISTRY");
    let cfg = tempfile::tempdir().unwrap();
    let src = tempfile::tempdir().unwrap();
    write_layout(src.path());
    let r = format!("{reg}/regclient-test-{}/tty:v1", suffix());
    // `script` gives the command a pseudo-terminal and copies what it writes to our stdout
    let cmd = format!(
        "DOCKER_CONFIG={} {} push {} {r}",
        cfg.path().display(),
        env!("CARGO_BIN_EXE_dockwright"),
        src.path().display()
    );
    let o = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .unwrap();
    let out = text(&o.stdout);
    assert!(o.status.success(), "{out}");
    // One bar per layer, redrawn in place (cursor up, clear line), each full at the end.
    assert!(
        out.contains("\u{1b}[1A") && out.contains("\r\u{1b}[2K"),
        "no bar redrawn in place: {out:?}"
    );
    assert!(
        out.matches("[==============================]").count() >= 2,
        "both layers' bars full: {out:?}"
    );
    assert!(out.contains("pushed 2 blobs"), "{out:?}");
    assert!(
        !out.contains(": done ("),
        "plain lines on a terminal: {out:?}"
    );
}

/// `docker login` through a credential helper found on PATH, against the real htpasswd
/// registry: config.json's `credHelpers` names `docker-credential-dwtest` (the stateful stand-in
/// of `registry_client::mock`); login stores through it, pushes and tag lists read it back,
/// logout erases it, and config.json never holds the password.
#[test]
#[ignore = "needs real servers: run scripts/test"]
fn login_and_logout_through_a_credential_helper_on_path_htpasswd_registry() {
    let reg = env("DOCKWRIGHT_TEST_AUTH_REGISTRY");
    let user = env("DOCKWRIGHT_TEST_REGISTRY_USER");
    let pw = env("DOCKWRIGHT_TEST_REGISTRY_PASSWORD");
    let cfg = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    registry_client::mock::write_credential_helper(bin.path(), "dwtest", &[]).unwrap();
    std::fs::write(
        cfg.path().join("config.json"),
        format!(r#"{{"credHelpers": {{"{reg}": "dwtest"}}}}"#),
    )
    .unwrap();
    let path = std::env::join_paths(std::iter::once(bin.path().to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let run = |args: &[&str], stdin: Option<&str>| {
        dw_env(cfg.path(), &[("PATH", path.as_os_str())], args, stdin)
    };
    let r = format!("{reg}/regclient-test-{}/helper:v1", suffix());
    // Nothing stored yet: the registry answers 401.
    let o = run(&["tags", &r], None);
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("401"), "{}", text(&o.stderr));
    let o = run(
        &["login", &reg, "-u", &user, "--password-stdin"],
        Some(&format!("{pw}\n")),
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let stored = std::fs::read_to_string(cfg.path().join("config.json")).unwrap();
    assert!(
        !stored.contains(&pw),
        "the password went to the helper: {stored}"
    );
    let src = tempfile::tempdir().unwrap();
    write_layout(src.path());
    let o = run(&["push", "-q", src.path().to_str().unwrap(), &r], None);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = run(&["tags", &r], None);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let tags: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(tags, serde_json::json!(["v1"]));
    let o = run(&["logout", &reg], None);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = run(&["tags", &r], None);
    assert!(!o.status.success(), "after logout the registry must refuse");
    let log = std::fs::read_to_string(bin.path().join("docker-credential-dwtest.log")).unwrap();
    let actions: Vec<&str> = log.lines().collect();
    assert!(actions.contains(&format!("store {reg}").as_str()), "{log}");
    assert!(actions.contains(&format!("get {reg}").as_str()), "{log}");
    assert!(actions.contains(&format!("erase {reg}").as_str()), "{log}");
    assert!(!log.contains(&pw), "{log}");
}

/// Proxies come from the usual environment variables (`HTTP_PROXY`, as curl and dockerd read
/// them): the registry is reached through the proxy, which sees absolute-form
/// requests for it. The proxy is a stand-in on 127.0.0.1 and the registry 127.0.0.2:5999, where
/// nothing listens: only loopback is ever contacted, even if the proxy were not used.
#[test]
fn registry_requests_go_through_http_proxy_from_the_environment() {
    use std::io::{BufRead as _, BufReader};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let log = std::sync::Arc::clone(&seen);
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { break };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).is_err() || h == "\r\n" || h.is_empty() {
                    break;
                }
            }
            let target = line
                .split_whitespace()
                .nth(1)
                .unwrap_or_default()
                .to_owned();
            log.lock().unwrap().push(target.clone());
            let body = if target.ends_with("/tags/list") {
                r#"{"name":"team/app","tags":["via-proxy"]}"#
            } else {
                "{}"
            };
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDocker-Distribution-API-Version: registry/2.0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let cfg = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_dockwright"))
        .args(["tags", "--insecure", "127.0.0.2:5999/team/app"])
        .env("DOCKER_CONFIG", cfg.path())
        .env("HTTP_PROXY", format!("http://127.0.0.1:{port}"))
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let tags: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(tags, serde_json::json!(["via-proxy"]));
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.iter()
            .any(|t| t == "http://127.0.0.2:5999/v2/team/app/tags/list"),
        "{seen:?}"
    );
}
