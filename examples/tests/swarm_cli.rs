//! Black-box tests of `dockwright swarm|node|service` (no servers needed unless marked).

use std::process::Command;

fn dw() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dockwright"))
}

#[test]
fn create_dry_run_prints_the_spec_without_a_daemon() {
    let out = dw()
        .args([
            "service",
            "-H",
            "unix:///nonexistent/docker.sock",
            "create",
            "--dry-run",
            "--name",
            "web",
            "--replicas",
            "3",
            "busybox",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["Name"], "web");
    assert_eq!(v["Mode"]["Replicated"]["Replicas"], 3);
    assert_eq!(
        v["TaskTemplate"]["ContainerSpec"]["Image"],
        "busybox:latest"
    );
}

#[test]
fn bad_scale_and_slot_arguments_are_one_line_errors() {
    for args in [
        &[
            "service",
            "-H",
            "unix:///nonexistent/docker.sock",
            "scale",
            "web",
        ][..],
        &[
            "service",
            "-H",
            "unix:///nonexistent/docker.sock",
            "exec",
            "web",
            "--",
            "true",
        ][..],
        &["node", "-H", "unix:///nonexistent/docker.sock", "ls"][..],
    ] {
        let out = dw().args(args).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
    }
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn node_ls_table_and_json() {
    let host = std::env::var("DOCKWRIGHT_TEST_DOCKER_HOST")
        .expect("DOCKWRIGHT_TEST_DOCKER_HOST not set: run scripts/test");
    let out = dw().args(["node", "-H", &host, "ls"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("ID "), "{text}");
    assert!(text.lines().count() >= 3, "{text}");
    assert!(text.contains("Leader"), "{text}");
    let out = dw()
        .args(["node", "-H", &host, "ls", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.as_array().unwrap().len() >= 2);
}
