//! Black-box tests of `dockwright ref inspect`.

use serde_json::{Value, json};
use std::process::Command;

fn run(arg: &str) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dockwright"))
        .args(["ref", "inspect", arg])
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn inspect(arg: &str) -> Value {
    let (ok, stdout, stderr) = run(arg);
    assert!(ok, "{arg}: {stderr}");
    serde_json::from_str(&stdout).unwrap()
}

#[test]
fn official_image() {
    assert_eq!(
        inspect("nginx_lb"),
        json!({
            "domain": "docker.io",
            "path": "library/nginx_lb",
            "name": "docker.io/library/nginx_lb",
            "tag": null,
            "digest": null,
            "familiar": "nginx_lb",
            "canonical": "docker.io/library/nginx_lb:latest",
        })
    );
}

#[test]
fn user_image_and_local_registry() {
    let v = inspect("dev1johndoe/nginx_lb");
    assert_eq!(v["name"], "docker.io/dev1johndoe/nginx_lb");
    assert_eq!(v["familiar"], "dev1johndoe/nginx_lb");
    let v = inspect("localhost:5000/foo:tag");
    assert_eq!(v["domain"], "localhost:5000");
    assert_eq!(v["path"], "foo");
    assert_eq!(v["tag"], "tag");
    assert_eq!(v["familiar"], "localhost:5000/foo:tag");
    assert_eq!(v["canonical"], "localhost:5000/foo:tag");
}

#[test]
fn digest_only_gets_no_latest() {
    let d = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let v = inspect(&format!("[::1]:5000/app@{d}"));
    assert_eq!(v["domain"], "[::1]:5000");
    assert_eq!(v["tag"], Value::Null);
    assert_eq!(v["digest"], d);
    assert_eq!(v["canonical"], format!("[::1]:5000/app@{d}"));
}

#[test]
fn bad_input_is_one_line_error_and_failure() {
    for (input, want) in [
        (
            "Uppercase:tag",
            "repository name (library/Uppercase) must be lowercase",
        ),
        ("a/b:c:d", "invalid reference format"),
        (
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            "cannot specify 64-byte hexadecimal strings",
        ),
    ] {
        let (ok, stdout, stderr) = run(input);
        assert!(!ok, "{input} accepted");
        assert!(stdout.is_empty(), "{stdout}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(want), "{input}: {stderr}");
        assert!(stderr.contains(input), "input named: {stderr}");
    }
}

/// `dockwright … | head -n1`: when stdout's reader is gone, the CLI ends quietly with the status
/// of a SIGPIPE death (141), like the docker CLI, not with a panic message.
#[test]
fn a_closed_stdout_ends_quietly_like_docker() {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let child = Command::new(env!("CARGO_BIN_EXE_dockwright"))
        .args(["ref", "inspect", "nginx"])
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(141), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "",
        "nothing on stderr"
    );
}
