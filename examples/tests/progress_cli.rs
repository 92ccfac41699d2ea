//! Progress on a terminal, plain lines in a pipe: `dockwright push`, `pull` and
//! `service create` run under a pseudo-terminal (util-linux `script`) draw indicatif bars
//! (layer bytes and rate; service tasks), and with stderr in a pipe print one plain line per
//! state change, with no escape sequences and no carriage returns.

use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run scripts/test"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Runs dockwright with `args` under a pseudo-terminal: `script -qec CMD /dev/null` gives the
/// child a pty for stdin, stdout and stderr; what it wrote comes back on script's stdout.
fn on_tty(config: &std::path::Path, args: &[&str]) -> (bool, String) {
    let mut cmd = quote(env!("CARGO_BIN_EXE_dockwright"));
    for a in args {
        cmd.push(' ');
        cmd.push_str(&quote(a));
    }
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("DOCKER_CONFIG", config)
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .output()
        .expect("script (util-linux) runs the command under a pty");
    (out.status.success(), text(&out.stdout))
}

/// Runs dockwright with stdout and stderr in pipes.
fn in_pipe(config: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dockwright"))
        .args(args)
        .env("DOCKER_CONFIG", config)
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn unique(tag: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "progress-{tag}-{:x}{:x}{}",
        std::process::id() % 0xfff,
        t % 0xfffff,
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// An image layout with one layer of `size` fresh pseudo-random bytes (so no registry has it).
fn layout(dir: &std::path::Path, size: usize) -> std::path::PathBuf {
    let mut x: u64 = u64::from(std::process::id())
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
    let data: Vec<u8> = (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let path = dir.join("layout");
    registry_client::image::ImageBuilder::new()
        .layer(registry_client::image::Layer::new().bytes("data.bin", data, 0o644))
        .ref_name("1")
        .build(&path)
        .unwrap();
    path
}

/// Bars: indicatif's cursor movement and line clearing, a `[===>  ]` bar.
fn assert_bars(what: &str, out: &str) {
    assert!(
        out.contains("\x1b["),
        "{what}: no escape sequences, no bars:\n{out}"
    );
    assert!(
        out.contains("[===") || out.contains("=>"),
        "{what}: no bar drawn:\n{out}"
    );
}

/// Plain lines: no escape sequence, no carriage return.
fn assert_plain(what: &str, err: &str) {
    assert!(
        !err.contains('\x1b'),
        "{what}: escape sequences in a pipe:\n{err}"
    );
    assert!(
        !err.contains('\r'),
        "{what}: carriage returns in a pipe:\n{err}"
    );
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn push_and_pull_draw_layer_bars_on_a_tty_and_lines_in_a_pipe() {
    let registry = env("DOCKWRIGHT_TEST_REGISTRY");
    let dir = tempfile::tempdir().unwrap();
    let src = layout(dir.path(), 3 << 20);
    let src_s = src.display().to_string();
    let repo = unique("push");

    let (ok, out) = on_tty(
        dir.path(),
        &["push", &src_s, &format!("{registry}/{repo}:tty")],
    );
    assert!(ok, "{out}");
    assert_bars("push", &out);
    assert!(
        out.contains("MiB/s") || out.contains("KiB/s"),
        "a rate: {out}"
    );
    assert!(out.contains("3.00 MiB"), "layer bytes and total: {out}");
    assert!(out.contains("done"), "{out}");

    // The same layer again, into another repository, in a pipe: one line per blob.
    let piped = in_pipe(
        dir.path(),
        &["push", &src_s, &format!("{registry}/{repo}-pipe:1")],
    );
    assert!(piped.status.success(), "{}", text(&piped.stderr));
    let err = text(&piped.stderr);
    assert_plain("push", &err);
    assert!(
        err.lines()
            .any(|l| l.ends_with(&format!(": done ({} bytes)", 3 << 20)) || l.contains(": done (")),
        "{err}"
    );
    assert!(err.lines().any(|l| l.contains(": started (")), "{err}");
    assert!(
        text(&piped.stdout).starts_with("sha256:"),
        "the digest on stdout"
    );

    let (ok, out) = on_tty(
        dir.path(),
        &[
            "pull",
            &format!("{registry}/{repo}:tty"),
            &dir.path().join("pulled").display().to_string(),
        ],
    );
    assert!(ok, "{out}");
    assert_bars("pull", &out);

    // --quiet: nothing but the result.
    let q = in_pipe(
        dir.path(),
        &["push", "-q", &src_s, &format!("{registry}/{repo}:quiet")],
    );
    assert!(q.status.success(), "{}", text(&q.stderr));
    assert!(
        !text(&q.stderr).contains(": started"),
        "{}",
        text(&q.stderr)
    );
}

/// Removes a service with the docker CLI when dropped, even when the test panics.
struct ServiceGuard(String);

impl Drop for ServiceGuard {
    fn drop(&mut self) {
        if let Ok(host) = std::env::var("DOCKWRIGHT_TEST_DOCKER_HOST") {
            let _ = Command::new("docker")
                .args(["-H", &host, "service", "rm", &self.0])
                .output();
        }
    }
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn service_create_draws_a_tasks_bar_on_a_tty_and_docker_lines_in_a_pipe() {
    let host = env("DOCKWRIGHT_TEST_DOCKER_HOST");
    let registry = env("DOCKWRIGHT_TEST_REGISTRY");
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("busybox");
    example_images::busybox_image("/bin/busybox")
        .ref_name("1")
        .build(&layout)
        .unwrap();
    let image = format!("{registry}/progress-test/busybox:1");
    let pushed = in_pipe(
        dir.path(),
        &["push", "-q", &layout.display().to_string(), &image],
    );
    assert!(pushed.status.success(), "{}", text(&pushed.stderr));

    let create = |name: &str| {
        vec![
            "service".to_owned(),
            "-H".to_owned(),
            host.clone(),
            "create".to_owned(),
            "--name".to_owned(),
            name.to_owned(),
            "--replicas".to_owned(),
            "2".to_owned(),
            "--network".to_owned(),
            "host".to_owned(),
            "--stability-window".to_owned(),
            "1".to_owned(),
            image.clone(),
            "sleep".to_owned(),
            "600".to_owned(),
        ]
    };
    let name = unique("tty");
    let _g = ServiceGuard(name.clone());
    let args = create(&name);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (ok, out) = on_tty(dir.path(), &args);
    assert!(ok, "{out}");
    assert_bars("service create", &out);
    assert!(out.contains("2/2 tasks"), "the tasks bar: {out}");
    assert!(out.contains(&name), "the bar names the service: {out}");
    assert!(out.contains("verify: Service converged"), "{out}");

    let name = unique("pipe");
    let _g2 = ServiceGuard(name.clone());
    let args = create(&name);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = in_pipe(dir.path(), &args);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert_plain("service create", &err);
    assert!(
        err.lines()
            .any(|l| l == "overall progress: 2 out of 2 tasks"),
        "docker's lines: {err}"
    );
    assert!(
        err.lines().any(|l| l == "verify: Service converged"),
        "{err}"
    );
}
