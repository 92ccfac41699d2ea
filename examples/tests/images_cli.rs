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

/// `dockwright ARGS` prints the table `docker ARGS` prints (rows of one image in any order).
/// The CREATED column is relative to now: a second boundary between the two runs is retried.
fn same_table(cfg: &Path, args: &[&str]) {
    let rows = |s: &str| {
        let mut l: Vec<String> = s.lines().map(str::to_owned).collect();
        l[1..].sort();
        l
    };
    let mut last = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let ours = rows(&ok(&dw(cfg, args)));
        let theirs = rows(&docker(args));
        if ours == theirs {
            return;
        }
        last = (ours, theirs);
    }
    assert_eq!(last.0, last.1, "{args:?}");
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
    same_table(cfg.path(), &["image", "ls", "--filter", &filter]);
    assert_eq!(
        ok(&dw(cfg.path(), &["image", "ls", "-q", "--filter", &filter])),
        docker(&["image", "ls", "-q", "--filter", &filter])
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
        ])
        .trim(),
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
        docker(&["image", "inspect", "--format", "{{.Id}}", &named]).trim(),
        id
    );
    // And dockerd pulls what we pushed.
    guard.0.push(target.clone());
    docker(&["pull", "-q", &target]);
    assert_eq!(
        docker(&["image", "inspect", "--format", "{{.Id}}", &target]).trim(),
        id
    );
    // `docker-daemon:` without a name tags the image as `docker pull` would.
    docker(&["rmi", &target]);
    let pulled = ok(&dw(cfg.path(), &["pull", "-q", &target, "docker-daemon:"]));
    assert_eq!(pulled.trim(), id);
    assert_eq!(
        docker(&["image", "inspect", "--format", "{{.Id}}", &target]).trim(),
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

/// The layer digests dockerd holds for an image.
fn layers(image: &str) -> Vec<String> {
    serde_json::from_str(&docker(&[
        "image",
        "inspect",
        "--format",
        "{{json .RootFS.Layers}}",
        image,
    ]))
    .unwrap()
}

fn image_id(image: &str) -> String {
    docker(&["image", "inspect", "--format", "{{.Id}}", image])
        .trim()
        .to_owned()
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn build_flags_like_docker_build() {
    let cfg = tempfile::tempdir().unwrap();
    let mut guard = Guard(Vec::new());
    let label = unique("flags");
    let ctx = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(ctx.path().join("a.txt"), &label).unwrap();
    std::fs::write(ctx.path().join("skip.log"), "no").unwrap();
    // The daemon drops `.dockerignore` from what COPY sees only when it lists itself; else the
    // random name the CLI gives a Dockerfile from outside the context would be copied in it.
    std::fs::write(ctx.path().join(".dockerignore"), "*.log\n.dockerignore\n").unwrap();
    // -f outside the context, two stages, --target the first.
    let file = outside.path().join("Build.file");
    std::fs::write(
        &file,
        "FROM scratch AS one\nCOPY . /one/\nFROM scratch AS two\nCOPY a.txt /two\n",
    )
    .unwrap();
    let ctx_arg = ctx.path().display().to_string();
    let file_arg = file.display().to_string();
    let ours = format!("dwcli/{label}:ours");
    let theirs = format!("dwcli/{label}:theirs");
    let flags = ["-f", &file_arg, "--target", "one", "--label", "k=v"];
    let mut args = vec!["build", "-q", "-t", &ours];
    args.extend(flags);
    args.push(&ctx_arg);
    let id = ok(&dw(cfg.path(), &args)).trim().to_owned();
    guard.0.extend([ours.clone(), id.clone()]);
    let mut args = vec!["build", "-q", "-t", &theirs];
    args.extend(flags);
    args.push(&ctx_arg);
    docker(&args);
    guard.0.push(theirs.clone());
    assert_eq!(image_id(&ours), id);
    // The same context (Dockerfile outside it, *.log left out) and the same stage: same layers.
    assert_eq!(layers(&ours), layers(&theirs));
    assert_eq!(layers(&ours).len(), 1);
    assert_eq!(
        docker(&[
            "image",
            "inspect",
            "--format",
            "{{.Config.Labels.k}}",
            &ours
        ])
        .trim(),
        "v"
    );
    // The cache answers the same build with the same image; --no-cache builds a new one.
    let mut args = vec!["build", "-q"];
    args.extend(flags);
    args.push(&ctx_arg);
    assert_eq!(ok(&dw(cfg.path(), &args)).trim(), id);
    args.insert(1, "--no-cache");
    let fresh = ok(&dw(cfg.path(), &args)).trim().to_owned();
    guard.0.push(fresh.clone());
    assert_ne!(fresh, id);

    // Without output flags, the classic builder's steps are printed as docker prints them.
    let mut args = vec!["build"];
    args.extend(flags);
    args.push(&ctx_arg);
    let out = ok(&dw(cfg.path(), &args));
    assert!(out.contains("Step 1/"), "{out}");
    // (from the cache: one of the two images of those steps)
    assert!(
        [&id, &fresh]
            .iter()
            .any(|i| out.contains(&format!("Successfully built {}", &i[7..19]))),
        "{out}"
    );

    // A context without a Dockerfile: one line, non-zero, nothing sent.
    let empty = tempfile::tempdir().unwrap();
    let o = dw(cfg.path(), &["build", &empty.path().display().to_string()]);
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert!(err.contains("Cannot locate Dockerfile"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn build_pull_takes_the_base_from_the_registry() {
    let cfg = tempfile::tempdir().unwrap();
    let mut guard = Guard(Vec::new());
    let reg = env("DOCKWRIGHT_TEST_REGISTRY");
    let stamp = unique("pull");
    let base = format!("{reg}/dwcli/{stamp}-base:1");
    let build_from = |content: &str, tag: &str, extra: &[&str]| {
        let ctx = tempfile::tempdir().unwrap();
        std::fs::write(ctx.path().join("f"), content).unwrap();
        std::fs::write(ctx.path().join("Dockerfile"), "FROM scratch\nCOPY f /\n").unwrap();
        let ctx_arg = ctx.path().display().to_string();
        let mut args = vec!["build", "-q", "-t", tag];
        args.extend(extra);
        args.push(&ctx_arg);
        ok(&dw(cfg.path(), &args)).trim().to_owned()
    };
    // The registry's base holds "registry"; the daemon's own tag of that name holds "local".
    let in_registry = build_from("registry", &base, &[]);
    guard.0.extend([base.clone(), in_registry.clone()]);
    ok(&dw(
        cfg.path(),
        &["push", "-q", &format!("docker-daemon:{base}"), &base],
    ));
    let local = build_from("local", &base, &[]);
    guard.0.push(local.clone());
    assert_ne!(local, in_registry);
    let registry_layers = layers(&in_registry);
    let local_layers = layers(&local);

    let ctx = tempfile::tempdir().unwrap();
    std::fs::write(ctx.path().join("g"), &stamp).unwrap();
    std::fs::write(
        ctx.path().join("Dockerfile"),
        format!("FROM {base}\nCOPY g /\n"),
    )
    .unwrap();
    let ctx_arg = ctx.path().display().to_string();
    let plain = ok(&dw(cfg.path(), &["build", "-q", &ctx_arg]))
        .trim()
        .to_owned();
    guard.0.push(plain.clone());
    assert_eq!(layers(&plain)[0], local_layers[0]);
    let pulled = ok(&dw(cfg.path(), &["build", "-q", "--pull", &ctx_arg]))
        .trim()
        .to_owned();
    guard.0.push(pulled.clone());
    assert_eq!(layers(&pulled)[0], registry_layers[0]);
    assert_eq!(image_id(&base), in_registry);
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn prune_digests_and_pipes_like_docker() {
    let cfg = tempfile::tempdir().unwrap();
    let mut guard = Guard(Vec::new());
    let reg = env("DOCKWRIGHT_TEST_REGISTRY");
    let stamp = unique("prune");
    let tag = format!("dwcli/{stamp}:1");
    let filter_label = format!("label=dockwright.test={stamp}");
    let build = |content: &str| {
        let ctx = tempfile::tempdir().unwrap();
        std::fs::write(ctx.path().join("f"), content).unwrap();
        std::fs::write(ctx.path().join("Dockerfile"), "FROM scratch\nCOPY f /\n").unwrap();
        let ctx_arg = ctx.path().display().to_string();
        let label = format!("dockwright.test={stamp}");
        ok(&dw(
            cfg.path(),
            &["build", "-q", "-t", &tag, "--label", &label, &ctx_arg],
        ))
        .trim()
        .to_owned()
    };
    // Building the tag twice leaves the first image dangling.
    let first = build("1");
    guard.0.push(first.clone());
    let second = build("2");
    guard.0.extend([tag.clone(), second.clone()]);
    let dangling = ok(&dw(
        cfg.path(),
        &[
            "image",
            "ls",
            "-q",
            "--no-trunc",
            "--filter",
            "dangling=true",
            "--filter",
            &filter_label,
        ],
    ));
    assert_eq!(dangling.trim(), first);

    // Without -f, prune asks; an empty answer cancels.
    let o = dw(cfg.path(), &["image", "prune", "--filter", &filter_label]);
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("cancelled"), "{}", text(&o.stderr));
    assert_eq!(image_id(&first), first);
    let out = ok(&dw(
        cfg.path(),
        &["image", "prune", "-f", "--filter", &filter_label],
    ));
    assert!(
        out.starts_with(&format!("Deleted Images:\ndeleted: {first}\n")),
        "{out}"
    );
    assert!(out.contains("\nTotal reclaimed space: "), "{out}");
    assert_eq!(image_id(&tag), second);
    // -a removes the unused tagged one too.
    let out = ok(&dw(
        cfg.path(),
        &["image", "prune", "-a", "-f", "--filter", &filter_label],
    ));
    assert!(out.contains(&format!("untagged: {tag}\n")), "{out}");
    assert!(out.contains(&format!("deleted: {second}\n")), "{out}");

    // save to a pipe, load from a pipe; --digests and --no-trunc tables like docker's.
    let id = build("3");
    guard.0.extend([tag.clone(), id.clone()]);
    let remote = format!("{reg}/dwcli/{stamp}:1");
    guard.0.push(remote.clone());
    ok(&dw(
        cfg.path(),
        &["push", "-q", &format!("docker-daemon:{tag}"), &remote],
    ));
    docker(&["pull", "-q", &remote]);
    for flags in [
        &["--digests"][..],
        &["--no-trunc"],
        &["--digests", "--no-trunc"],
    ] {
        let mut args = vec!["image", "ls", "--filter", &filter_label];
        args.extend(flags);
        same_table(cfg.path(), &args);
    }
    let save = Command::new(env!("CARGO_BIN_EXE_dockwright"))
        .args(["image", "save", &tag])
        .env("DOCKER_CONFIG", cfg.path())
        .env("DOCKER_HOST", env("DOCKWRIGHT_TEST_DOCKER_HOST"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let archive = save.wait_with_output().unwrap();
    assert!(archive.status.success());
    ok(&dw(cfg.path(), &["image", "rm", &tag]));
    let mut load = Command::new(env!("CARGO_BIN_EXE_dockwright"))
        .args(["image", "load"])
        .env("DOCKER_CONFIG", cfg.path())
        .env("DOCKER_HOST", env("DOCKWRIGHT_TEST_DOCKER_HOST"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = load.stdin.take().unwrap();
        stdin.write_all(&archive.stdout).unwrap();
    }
    let loaded = ok(&load.wait_with_output().unwrap());
    assert_eq!(loaded.trim(), format!("Loaded image: {tag}"));
    assert_eq!(image_id(&tag), id);
    // A failed save -o leaves no file behind.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.tar");
    let o = dw(
        cfg.path(),
        &[
            "image",
            "save",
            "-o",
            &out.display().to_string(),
            &format!("dwcli/{stamp}-absent:1"),
        ],
    );
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("reference does not exist"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// `dockwright ARGS` against the daemon at `host`, with an empty docker config (blocking; the
/// fake runs on the runtime's other threads).
async fn dw_on(host: &str, cfg: &Path, args: &[&str]) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_dockwright"));
    cmd.args(args)
        .env("DOCKER_CONFIG", cfg)
        .env("DOCKER_HOST", host)
        .stdin(Stdio::null());
    cmd.output().await.unwrap()
}

/// The same commands against the fake daemon: no real servers needed, so CI runs it always.
#[tokio::test]
async fn build_ls_save_load_rm_on_the_fake() {
    let daemon = swarm_client::mock::MockSwarm::start().await;
    let host = daemon.endpoint();
    let cfg = tempfile::tempdir().unwrap();
    let ctx = tempfile::tempdir().unwrap();
    std::fs::write(ctx.path().join("index.html"), "hello").unwrap();
    std::fs::write(ctx.path().join("debug.log"), "no").unwrap();
    std::fs::write(ctx.path().join(".dockerignore"), "*.log\n").unwrap();
    std::fs::write(
        ctx.path().join("Dockerfile"),
        "FROM scratch\nARG WHO\nLABEL who=$WHO\nCOPY . /site/\n",
    )
    .unwrap();
    let ctx_arg = ctx.path().display().to_string();
    let out = ok(&dw_on(
        &host,
        cfg.path(),
        &["build", "-t", "web:1", "--build-arg", "WHO=me", &ctx_arg],
    )
    .await);
    assert!(out.contains("Step 4/4 : COPY . /site/"), "{out}");
    assert!(out.contains("Successfully tagged web:1"), "{out}");
    let files = daemon.image_files("web:1").expect("built");
    assert_eq!(files["site/index.html"], b"hello");
    assert!(!files.contains_key("site/debug.log"), "{files:?}");

    ok(&dw_on(&host, cfg.path(), &["image", "tag", "web:1", "web:2"]).await);
    let table = ok(&dw_on(&host, cfg.path(), &["image", "ls"]).await);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(
        lines[0].starts_with("REPOSITORY   TAG       IMAGE ID"),
        "{table}"
    );
    assert!(lines[1].starts_with("web          1  "), "{table}");
    let as_table = ok(&dw_on(&host, cfg.path(), &["image", "ls", "--format", "table"]).await);
    // (CREATED is relative to now: compare the other columns)
    let cols = |t: &str| -> Vec<Vec<String>> {
        t.lines()
            .skip(1)
            .map(|l| l.split_whitespace().take(3).map(str::to_owned).collect())
            .collect()
    };
    assert_eq!(cols(&as_table), cols(&table));
    assert!(
        as_table.starts_with("REPOSITORY   TAG       IMAGE ID       CREATED"),
        "{as_table}"
    );
    let listed: serde_json::Value = serde_json::from_str(&ok(&dw_on(
        &host,
        cfg.path(),
        &["image", "ls", "--format", "json"],
    )
    .await))
    .unwrap();
    assert_eq!(
        listed[0]["RepoTags"].as_array().map(Vec::len),
        Some(2),
        "{listed}"
    );
    let o = dw_on(&host, cfg.path(), &["image", "ls", "--format", "{{.ID}}"]).await;
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("unsupported --format"),
        "{}",
        text(&o.stderr)
    );
    let inspect: serde_json::Value = serde_json::from_str(&ok(&dw_on(
        &host,
        cfg.path(),
        &["image", "inspect", "web:2"],
    )
    .await))
    .unwrap();
    assert_eq!(inspect[0]["Config"]["Labels"]["who"], "me");

    let dir = tempfile::tempdir().unwrap();
    let tar = dir.path().join("web.tar");
    let tar_arg = tar.display().to_string();
    ok(&dw_on(
        &host,
        cfg.path(),
        &["image", "save", "-o", &tar_arg, "web:1"],
    )
    .await);
    let rm = ok(&dw_on(&host, cfg.path(), &["image", "rm", "web:1", "web:2"]).await);
    assert!(
        rm.contains("Untagged: web:1\nUntagged: web:2\nDeleted: sha256:"),
        "{rm}"
    );
    assert!(daemon.image_tags().is_empty());
    let loaded = ok(&dw_on(&host, cfg.path(), &["image", "load", "-i", &tar_arg]).await);
    assert_eq!(loaded.trim(), "Loaded image: web:1");
    assert_eq!(daemon.image_tags(), ["web:1"]);
    // A failure inside the daemon's stream is one line and a non-zero exit.
    std::fs::write(
        ctx.path().join("Dockerfile"),
        "FROM scratch\nCOPY absent /\n",
    )
    .unwrap();
    let o = dw_on(&host, cfg.path(), &["build", "-q", &ctx_arg]).await;
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert!(
        err.contains("COPY failed: file not found in build context"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}
