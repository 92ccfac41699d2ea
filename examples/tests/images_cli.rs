//! Black-box tests of `dockwright image …`, `build`, and `push`/`pull` with `docker-daemon:`,
//! against the real daemon and registry of `scripts/test` (ignored by default), next to the
//! docker CLI doing the same.

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run scripts/test"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `dockwright ARGS` against the test daemon, with an empty docker config.
fn dw(cfg: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dockwright"))
        .args(args)
        .env("DOCKER_CONFIG", cfg)
        .env("DOCKER_HOST", env("DOCKWRIGHT_TEST_DOCKER_HOST"))
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}{}",
        text(&o.stderr),
        text(&o.stdout)
    );
    text(&o.stdout)
}

fn docker(args: &[&str]) -> String {
    let o = Command::new("docker")
        .args(["-H", &env("DOCKWRIGHT_TEST_DOCKER_HOST")])
        .args(args)
        .env("DOCKER_BUILDKIT", "0")
        .output()
        .unwrap();
    ok(&o)
}

fn unique(what: &str) -> String {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{what}-{:x}", (n as u64) ^ u64::from(std::process::id()))
}

/// Removes daemon images when dropped.
struct Guard(Vec<String>);

impl Drop for Guard {
    fn drop(&mut self) {
        for i in self.0.iter().rev() {
            let _ = Command::new("docker")
                .args(["-H", &env("DOCKWRIGHT_TEST_DOCKER_HOST"), "rmi", "-f", i])
                .output();
        }
    }
}

#[test]
fn bad_arguments_are_one_line_errors() {
    let cfg = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_dockwright"))
        .args(["build", "-t", "UPPER:case", "."])
        .env("DOCKER_CONFIG", cfg.path())
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert_eq!(
        text(&o.stderr).trim_end().lines().count(),
        1,
        "{}",
        text(&o.stderr)
    );
    let o = Command::new(env!("CARGO_BIN_EXE_dockwright"))
        .args(["push", "--gzip", "/nonexistent", "127.0.0.1:5000/x:1"])
        .env("DOCKER_CONFIG", cfg.path())
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("docker-daemon:"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn build_ls_inspect_tag_save_load_rm_like_docker() {
    let cfg = tempfile::tempdir().unwrap();
    let mut guard = Guard(Vec::new());
    let ctx = tempfile::tempdir().unwrap();
    let label = unique("cli");
    std::fs::write(ctx.path().join("a.txt"), "a\n").unwrap();
    std::fs::write(ctx.path().join(".dockerignore"), "*.tmp\n").unwrap();
    std::fs::write(ctx.path().join("b.tmp"), "b\n").unwrap();
    std::fs::write(
        ctx.path().join("Dockerfile"),
        "FROM scratch\nARG WHO=nobody\nLABEL who=$WHO\nCOPY . /\n",
    )
    .unwrap();
    let repo = format!("dwcli/{label}");
    let out = ok(&dw(
        cfg.path(),
        &[
            "build",
            "-q",
            "-t",
            &format!("{repo}:1"),
            "--build-arg",
            "WHO=me",
            "--label",
            &format!("dockwright.test={label}"),
            &ctx.path().display().to_string(),
        ],
    ));
    let id = out.trim().to_owned();
    guard.0.push(format!("{repo}:1"));
    guard.0.push(id.clone());
    assert!(id.starts_with("sha256:") && id.len() == 71, "{out}");

    // The same table as docker's for the same filter.
    ok(&dw(
        cfg.path(),
        &["image", "tag", &format!("{repo}:1"), &format!("{repo}:2")],
    ));
    guard.0.push(format!("{repo}:2"));
    let filter = format!("reference={repo}");
    let ours = ok(&dw(cfg.path(), &["image", "ls", "--filter", &filter]));
    let theirs = docker(&["image", "ls", "--filter", &filter]);
    let sorted = |s: &str| {
        let mut l: Vec<String> = s.lines().map(str::to_owned).collect();
        l[1..].sort();
        l
    };
    assert_eq!(sorted(&ours), sorted(&theirs));
    assert_eq!(
        ok(&dw(cfg.path(), &["image", "ls", "-q", "--filter", &filter])),
        docker(&["image", "ls", "-q", "--filter", &filter]) + "\n"
    );
    let inspect: serde_json::Value = serde_json::from_str(&ok(&dw(
        cfg.path(),
        &["image", "inspect", &format!("{repo}:1")],
    )))
    .unwrap();
    assert_eq!(inspect[0]["Id"], id);
    assert_eq!(inspect[0]["Config"]["Labels"]["who"], "me");

    // dockwright save -o → docker load; docker save → dockwright load.
    let dir = tempfile::tempdir().unwrap();
    let ours_tar = dir.path().join("ours.tar");
    ok(&dw(
        cfg.path(),
        &[
            "image",
            "save",
            "-o",
            &ours_tar.display().to_string(),
            &format!("{repo}:1"),
        ],
    ));
    ok(&dw(cfg.path(), &["image", "rm", &format!("{repo}:1")]));
    let loaded = docker(&["load", "-i", &ours_tar.display().to_string()]);
    assert!(loaded.contains(&format!("{repo}:1")), "{loaded}");
    let theirs_tar = dir.path().join("theirs.tar");
    docker(&[
        "save",
        "-o",
        &theirs_tar.display().to_string(),
        &format!("{repo}:2"),
    ]);
    let rm = ok(&dw(cfg.path(), &["image", "rm", &format!("{repo}:2")]));
    assert_eq!(rm.trim(), format!("Untagged: {repo}:2"));
    let loaded = ok(&dw(
        cfg.path(),
        &["image", "load", "-i", &theirs_tar.display().to_string()],
    ));
    assert_eq!(loaded.trim(), format!("Loaded image: {repo}:2"));
    assert_eq!(
        docker(&[
            "image",
            "inspect",
            "--format",
            "{{.Id}}",
            &format!("{repo}:2")
        ]),
        id
    );
    // rm of the last tags deletes the image.
    let rm = ok(&dw(
        cfg.path(),
        &["image", "rm", &format!("{repo}:1"), &format!("{repo}:2")],
    ));
    assert!(rm.contains(&format!("Deleted: {id}")), "{rm}");
    let o = dw(cfg.path(), &["image", "rm", &format!("{repo}:1")]);
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("No such image"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn push_from_and_pull_into_the_daemon() {
    let cfg = tempfile::tempdir().unwrap();
    let mut guard = Guard(Vec::new());
    let reg = env("DOCKWRIGHT_TEST_REGISTRY");
    let ctx = tempfile::tempdir().unwrap();
    let stamp = unique("daemon");
    std::fs::write(ctx.path().join("stamp"), &stamp).unwrap();
    std::fs::write(
        ctx.path().join("Dockerfile"),
        "FROM scratch\nCOPY stamp /\n",
    )
    .unwrap();
    let local = format!("dwcli/{stamp}:1");
    let id = ok(&dw(
        cfg.path(),
        &[
            "build",
            "-q",
            "-t",
            &local,
            &ctx.path().display().to_string(),
        ],
    ))
    .trim()
    .to_owned();
    guard.0.push(local.clone());
    guard.0.push(id.clone());
    let target = format!("{reg}/dwcli/{stamp}:1");
    let o = dw(
        cfg.path(),
        &[
            "push",
            "-q",
            "--gzip",
            &format!("docker-daemon:{local}"),
            &target,
        ],
    );
    let digest = ok(&o).trim().to_owned();
    assert!(digest.starts_with("sha256:"), "{digest}");
    // What the registry now has, pulled into the daemon under another name.
    let named = format!("dwcli/{stamp}-pulled:1");
    guard.0.push(named.clone());
    let pulled = ok(&dw(
        cfg.path(),
        &["pull", "-q", &target, &format!("docker-daemon:{named}")],
    ));
    assert_eq!(pulled.trim(), id);
    assert_eq!(
        docker(&["image", "inspect", "--format", "{{.Id}}", &named]),
        id
    );
    // And dockerd pulls what we pushed.
    guard.0.push(target.clone());
    docker(&["pull", "-q", &target]);
    assert_eq!(
        docker(&["image", "inspect", "--format", "{{.Id}}", &target]),
        id
    );
    // An image the daemon does not have: one line, non-zero.
    let o = dw(
        cfg.path(),
        &["push", "-q", "docker-daemon:dwcli/absent:1", &target],
    );
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("No such image"),
        "{}",
        text(&o.stderr)
    );
}
