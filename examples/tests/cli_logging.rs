//! `dockwright --debug` and `RUST_LOG` turn on the SDK's tracing on stderr, and no secret
//! reaches it: a login, a push and a tags listing against an in-process registry whose token
//! server hands out bearer tokens for a password, with every dockwright crate at `trace`.

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use base64::Engine as _;
use registry_client::mock::MockRegistry;

const USER: &str = "john";
const PASSWORD: &str = "pw-Zq8xK3vT9m";

fn dw(config: &std::path::Path, env: &[(&str, &str)], args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dockwright"))
        .args(args)
        .env("DOCKER_CONFIG", config)
        .env_remove("RUST_LOG")
        .env_remove("DOCKWRIGHT_LOG")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Every form a secret could leak in: the password, `user:password` in base64 (Basic auth and
/// config.json), and each bearer token the fake registry issued.
fn assert_no_secret(what: &str, out: &str, registry: &MockRegistry) {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    assert!(
        !out.contains(PASSWORD),
        "{what}: password in the logs:\n{out}"
    );
    assert!(
        !out.contains(&basic),
        "{what}: basic credentials in the logs:\n{out}"
    );
    // The fake's tokens are 48 lower-case hex digits; digests (64) and IDs are other lengths.
    let mut run = 0;
    for c in out.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() || ('a'..='f').contains(&c) {
            run += 1;
        } else {
            assert_ne!(run, 48, "{what}: a bearer token in the logs:\n{out}");
            run = 0;
        }
    }
    let _ = registry;
}

#[tokio::test(flavor = "multi_thread")]
async fn debug_logs_show_the_sdk_at_work_and_no_secret() {
    let registry = MockRegistry::builder()
        .bearer_token_server(USER, PASSWORD)
        .start()
        .await;
    let host = registry.host();
    let cfg = tempfile::tempdir().unwrap();
    let layout = cfg.path().join("layout");
    registry_client::image::ImageBuilder::new()
        .layer(registry_client::image::Layer::new().bytes("hello.txt", "hello\n", 0o644))
        .ref_name("1")
        .build(&layout)
        .unwrap();
    let cfg_path = cfg.path().to_owned();
    let layout_s = layout.display().to_string();
    let image = format!("{host}/team/app:1");
    let (host2, image2) = (host.clone(), image.clone());
    // The child processes block: run them off the runtime that serves the fake registry.
    let outs = tokio::task::spawn_blocking(move || {
        let login = dw(
            &cfg_path,
            &[],
            &["--debug", "login", &host2, "-u", USER, "--password-stdin"],
            &format!("{PASSWORD}\n"),
        );
        let push = dw(
            &cfg_path,
            &[("RUST_LOG", "trace")],
            &["push", &layout_s, &image2],
            "",
        );
        let tags = dw(
            &cfg_path,
            &[("RUST_LOG", "registry_client=trace,sdk_core=trace")],
            &["--debug", "tags", &image2],
            "",
        );
        let quiet = dw(&cfg_path, &[], &["tags", &image2], "");
        (login, push, tags, quiet)
    })
    .await
    .unwrap();
    let (login, push, tags, quiet) = outs;
    for (what, o) in [("login", &login), ("push", &push), ("tags", &tags)] {
        assert!(o.status.success(), "{what}: {}", text(&o.stderr));
        let err = text(&o.stderr);
        assert!(
            err.contains("DEBUG") || err.contains("TRACE"),
            "{what}: --debug / RUST_LOG show the SDK's events:\n{err}"
        );
        assert_no_secret(what, &err, &registry);
        assert_no_secret(what, &text(&o.stdout), &registry);
    }
    assert!(
        text(&push.stderr).contains("registry_client"),
        "events name their crate: {}",
        text(&push.stderr)
    );
    // Bearer tokens were really in play (so the check above could have failed).
    assert!(
        registry.requests().iter().any(|r| r
            .headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("authorization") && v.starts_with("Bearer "))),
        "the fake registry issued bearer tokens"
    );
    // Without --debug or RUST_LOG: no log lines at all.
    assert!(quiet.status.success(), "{}", text(&quiet.stderr));
    assert_eq!(text(&quiet.stderr), "", "quiet by default");
}
