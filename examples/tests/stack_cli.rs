//! Black-box tests of `dockwright stack` against the in-process `MockSwarm` (no servers): docker's
//! output lines for deploy and rm, the plan, the ls/services tables, and docker's messages for a
//! bad file (checked before any daemon is contacted).

use std::process::{Command, Output};

use swarm_client::mock::MockSwarm;

const STACK: &str = "\
services:
  web:
    image: 127.0.0.1:5000/absent/web:1
    deploy: {replicas: 0}
    build: .
configs:
  conf: {file: ./app.conf}
";

async fn dw(args: Vec<String>, dir: std::path::PathBuf) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_dockwright"))
            .current_dir(dir)
            .args(args)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_plan_ls_services_rm_on_the_fake() {
    let mock = MockSwarm::builder().initialized(true).start().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("stack.yml"), STACK).unwrap();
    std::fs::write(dir.path().join("app.conf"), "x").unwrap();
    let host = mock.endpoint();
    let args = |a: &[&str]| -> Vec<String> {
        let mut v = vec!["stack".to_owned(), "-H".to_owned(), host.clone()];
        v.extend(a.iter().map(|s| (*s).to_owned()));
        v
    };
    let d = dir.path().to_path_buf();

    let out = dw(
        args(&["plan", "--resolve-image", "never", "-c", "stack.yml", "st"]),
        d.clone(),
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "+ network st_default\n+ config st_conf\n+ service st_web\n"
    );

    let out = dw(
        args(&[
            "deploy",
            "--resolve-image",
            "never",
            "-c",
            "stack.yml",
            "st",
        ]),
        d.clone(),
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "Creating network st_default\nCreating config st_conf\nCreating service st_web\n"
    );
    assert!(
        text(&out.stderr).starts_with("Ignoring unsupported options: build\n\n"),
        "{}",
        text(&out.stderr)
    );

    // Unchanged: nothing to do.
    let out = dw(
        args(&[
            "deploy",
            "--resolve-image",
            "never",
            "-c",
            "stack.yml",
            "st",
        ]),
        d.clone(),
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");
    assert!(
        text(&out.stderr).contains("stack st is up to date"),
        "{}",
        text(&out.stderr)
    );

    let out = dw(args(&["ls"]), d.clone()).await;
    assert_eq!(text(&out.stdout), "NAME   SERVICES\nst     1\n");
    let out = dw(args(&["services", "st"]), d.clone()).await;
    let table = text(&out.stdout);
    assert!(table.starts_with("ID "), "{table}");
    assert!(
        table.contains(" st_web ") && table.contains(" replicated "),
        "{table}"
    );

    let out = dw(args(&["rm", "st"]), d.clone()).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "Removing service st_web\nRemoving config st_conf\nRemoving network st_default\n"
    );
    let out = dw(args(&["rm", "st"]), d).await;
    assert!(out.status.success());
    assert_eq!(text(&out.stderr), "Nothing found in stack: st\n");
}

#[tokio::test]
async fn bad_files_fail_with_dockers_message_before_any_daemon_call() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.yml"),
        "services:\n  web:\n    image: a\n    read_only: yes\n",
    )
    .unwrap();
    let base = [
        "stack",
        "-H",
        "unix:///nonexistent/docker.sock",
        "deploy",
        "-c",
    ];
    let run = |extra: &[&str]| {
        let mut a: Vec<String> = base.iter().map(|s| (*s).to_owned()).collect();
        a.extend(extra.iter().map(|s| (*s).to_owned()));
        a
    };
    let out = dw(run(&["bad.yml", "st"]), dir.path().to_path_buf()).await;
    assert!(!out.status.success());
    assert_eq!(
        text(&out.stderr),
        "dockwright: services.web.read_only must be a boolean\n"
    );
    let out = dw(
        run(&["bad.yml", "--resolve-image", "sometimes", "st"]),
        dir.path().to_path_buf(),
    )
    .await;
    assert!(!out.status.success());
    let out = dw(run(&["bad.yml", " '' "]), dir.path().to_path_buf()).await;
    assert_eq!(
        text(&out.stderr),
        "dockwright: invalid stack name: \" '' \"\n"
    );
}
