//! `dockwright secret|config|network create|ls|inspect|rm` against the shared test swarm, and
//! `dockwright catalog|delete` against the open test registry, beside the docker CLI 28 (the
//! reference for tables and messages). Objects get unique names and are removed on drop.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run scripts/test"))
}

struct Out {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command, stdin: Option<&str>) -> Out {
    let mut child = cmd
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
    let o = child.wait_with_output().unwrap();
    Out {
        ok: o.status.success(),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn dw(area: &str, args: &[&str], stdin: Option<&str>) -> Out {
    run(
        Command::new(env!("CARGO_BIN_EXE_dockwright"))
            .args([area, "-H", &env("DOCKWRIGHT_TEST_DOCKER_HOST")])
            .args(args),
        stdin,
    )
}

fn docker(args: &[&str]) -> Out {
    run(
        Command::new("docker")
            .args(["-H", &env("DOCKWRIGHT_TEST_DOCKER_HOST")])
            .args(args),
        None,
    )
}

fn unique(tag: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "objcli-{tag}-{:x}{:x}{}",
        std::process::id() % 0xfff,
        t % 0xfffff,
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// Removes a swarm object with the docker CLI when dropped.
struct Guard(&'static str, String);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Ok(host) = std::env::var("DOCKWRIGHT_TEST_DOCKER_HOST") {
            let _ = Command::new("docker")
                .args(["-H", &host, self.0, "rm", &self.1])
                .output();
        }
    }
}

fn columns(line: &str) -> Vec<String> {
    line.split("   ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The row of `name` in a table, as columns.
fn row(table: &str, name: &str) -> Vec<String> {
    table
        .lines()
        .map(columns)
        .find(|c| c.get(1).is_some_and(|n| n == name))
        .unwrap_or_else(|| panic!("{name} not in\n{table}"))
}

/// `dockwright` against the fake swarm (served by this test's runtime, so the child is waited
/// for off it), its stdin closed: (success, stdout, stderr).
async fn dw_fake(args: &[&str]) -> (bool, String, String) {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let o = tokio::task::spawn_blocking(move || {
        run(
            Command::new(env!("CARGO_BIN_EXE_dockwright")).args(&args),
            None,
        )
    })
    .await
    .unwrap();
    (o.ok, o.stdout, o.stderr)
}

/// A bad `--filter`, `--label`, `--opt` or `--label-add` word is docker's one-line error naming
/// the flag and the word, and nothing is sent; good filters are read as docker reads them (key
/// lower-cased, blanks trimmed).
#[tokio::test]
async fn key_value_words_are_read_like_docker_on_the_fake() {
    let m = swarm_client::mock::MockSwarm::builder()
        .initialized(true)
        .start()
        .await;
    let h = m.endpoint();
    let filter_format = |w: &str| {
        format!(
            "invalid argument \"{w}\" for \"--filter\" flag: bad format of filter (expected name=value)"
        )
    };
    let empty_key =
        |w: &str, flag: &str| format!("invalid argument \"{w}\" for \"--{flag}\" flag: empty key");
    for (args, want) in [
        (
            &["secret", "-H", &h, "ls", "--filter", "name"][..],
            filter_format("name"),
        ),
        (
            &["config", "-H", &h, "ls", "-f", " =x"][..],
            empty_key(" =x", "filter"),
        ),
        (
            &["network", "-H", &h, "ls", "-f", "driver"][..],
            filter_format("driver"),
        ),
        (
            &["service", "-H", &h, "ls", "-f", "mode"][..],
            filter_format("mode"),
        ),
        (
            &["service", "-H", &h, "ps", "-f", "node", "web"][..],
            filter_format("node"),
        ),
        (
            &["image", "ls", "-H", &h, "--filter", "dangling"][..],
            filter_format("dangling"),
        ),
        (
            &["image", "prune", "-f", "-H", &h, "--filter", "x"][..],
            filter_format("x"),
        ),
        (
            &["network", "-H", &h, "create", "--label", "=x", "objcli-n1"][..],
            empty_key("=x", "label"),
        ),
        (
            &["network", "-H", &h, "create", "-o", "=1", "objcli-n2"][..],
            empty_key("=1", "opt"),
        ),
        (
            &[
                "config",
                "-H",
                &h,
                "create",
                "--label",
                "=x",
                "objcli-c1",
                "/dev/null",
            ][..],
            empty_key("=x", "label"),
        ),
        (
            &["node", "-H", &h, "update", "--label-add", "=x", "any-node"][..],
            empty_key("=x", "label-add"),
        ),
    ] {
        let (ok, _, err) = dw_fake(args).await;
        assert!(!ok, "{args:?}");
        assert_eq!(err.trim_end(), format!("dockwright: {want}"), "{args:?}");
    }
    let (ok, nets, _) = dw_fake(&["network", "-H", &h, "ls"]).await;
    assert!(ok && !nets.contains("objcli-n"), "{nets}");
    let (ok, configs, _) = dw_fake(&["config", "-H", &h, "ls"]).await;
    assert!(ok && !configs.contains("objcli-c1"), "{configs}");

    let c = swarm_client::Client::connect(&h).await.unwrap();
    let id = c
        .secret_create("objcli-db", b"pw", &std::collections::BTreeMap::new())
        .await
        .unwrap();
    c.secret_create("objcli-other", b"pw", &std::collections::BTreeMap::new())
        .await
        .unwrap();
    let (ok, out, err) = dw_fake(&[
        "secret",
        "-H",
        &h,
        "ls",
        "-q",
        "--filter",
        " NAME = objcli-db ",
    ])
    .await;
    assert!(ok, "{err}");
    assert_eq!(out.trim(), id);
}

/// `config create` and `secret create` take data up to the swarm's limit for each kind
/// (`configs::MAX_CONFIG_DATA`, `secrets::MAX_SECRET_DATA`) and refuse a larger file before
/// anything is sent.
#[tokio::test]
async fn object_data_up_to_the_swarms_limits_on_the_fake() {
    use swarm_client::configs::MAX_CONFIG_DATA;
    use swarm_client::secrets::MAX_SECRET_DATA;
    let m = swarm_client::mock::MockSwarm::builder()
        .initialized(true)
        .start()
        .await;
    let h = m.endpoint();
    let dir = tempfile::tempdir().unwrap();
    let file = |n: usize| {
        let p = dir.path().join(n.to_string());
        std::fs::write(&p, vec![b'x'; n]).unwrap();
        p.to_str().unwrap().to_owned()
    };
    // More than a secret holds, less than a config does: a config, not a secret.
    let between = file(MAX_SECRET_DATA + 1);
    let (ok, _, err) = dw_fake(&["config", "-H", &h, "create", "objcli-c", &between]).await;
    assert!(ok, "{err}");
    let (ok, _, err) = dw_fake(&["secret", "-H", &h, "create", "objcli-s", &between]).await;
    assert!(!ok);
    assert_eq!(
        err.trim_end(),
        format!(
            "dockwright: secret data from {between} is larger than the {MAX_SECRET_DATA} bytes a swarm secret can hold"
        )
    );
    let (ok, _, err) = dw_fake(&[
        "secret",
        "-H",
        &h,
        "create",
        "objcli-s",
        &file(MAX_SECRET_DATA),
    ])
    .await;
    assert!(ok, "{err}");
    let over = file(MAX_CONFIG_DATA + 1);
    let (ok, _, err) = dw_fake(&["config", "-H", &h, "create", "objcli-c2", &over]).await;
    assert!(
        !ok && err.contains(&format!("the {MAX_CONFIG_DATA} bytes a swarm config")),
        "{err}"
    );
    let (_, configs, _) = dw_fake(&["config", "-H", &h, "ls", "--format", "json"]).await;
    let names: Vec<String> = serde_json::from_str::<Vec<serde_json::Value>>(&configs)
        .unwrap()
        .iter()
        .map(|c| c["Spec"]["Name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["objcli-c"]);
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn secrets_and_configs_like_docker() {
    for kind in ["secret", "config"] {
        let name = unique(kind);
        let _g = Guard(kind, name.clone());
        let created = dw(
            kind,
            &["create", "--label", "app=objcli", &name, "-"],
            Some("s3cret-data\n"),
        );
        assert!(created.ok, "{}", created.stderr);
        let id = created.stdout.trim().to_owned();
        assert_eq!(id.len(), 25, "an ID: {id}");

        // The table: docker's header, and our row equal to docker's.
        let ours = dw(kind, &["ls", "--filter", &format!("name={name}")], None);
        let theirs = docker(&[kind, "ls", "--filter", &format!("name={name}")]);
        assert!(ours.ok && theirs.ok, "{}{}", ours.stderr, theirs.stderr);
        assert_eq!(
            columns(ours.stdout.lines().next().unwrap()),
            columns(theirs.stdout.lines().next().unwrap()),
            "header"
        );
        assert_eq!(row(&ours.stdout, &name), row(&theirs.stdout, &name));
        let q = dw(kind, &["ls", "-q", "--filter", "label=app=objcli"], None);
        assert!(q.stdout.lines().any(|l| l == id), "{}", q.stdout);
        let j = dw(
            kind,
            &[
                "ls",
                "--format",
                "json",
                "--filter",
                &format!("name={name}"),
            ],
            None,
        );
        let v: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
        assert_eq!(v[0]["Spec"]["Name"], name.as_str());
        assert_eq!(v[0]["Spec"]["Labels"]["app"], "objcli");

        let ins = dw(kind, &["inspect", &name], None);
        assert!(ins.ok, "{}", ins.stderr);
        let v: serde_json::Value = serde_json::from_str(&ins.stdout).unwrap();
        assert_eq!(v[0]["ID"], id.as_str());
        assert!(
            !ins.stdout.contains("s3cret-data"),
            "never the data in clear: {}",
            ins.stdout
        );

        // A name taken: the daemon's conflict, one line.
        let again = dw(kind, &["create", &name, "-"], Some("x"));
        assert!(!again.ok);
        assert_eq!(again.stderr.trim().lines().count(), 1, "{}", again.stderr);

        let rm = dw(kind, &["rm", &name], None);
        assert!(rm.ok, "{}", rm.stderr);
        assert_eq!(rm.stdout, format!("{name}\n"), "docker prints the name");
        let gone = dw(kind, &["inspect", &name], None);
        assert!(!gone.ok);
        assert!(
            gone.stderr.contains(&format!("dockwright {kind} ls")),
            "{}",
            gone.stderr
        );
        let missing = dw(
            kind,
            &["create", &unique("nofile"), "/nonexistent/file"],
            None,
        );
        assert!(!missing.ok);
        assert!(
            missing.stderr.contains("/nonexistent/file"),
            "{}",
            missing.stderr
        );
    }
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn networks_like_docker() {
    let name = unique("net");
    let _g = Guard("network", name.clone());
    let created = dw(
        "network",
        &[
            "create",
            "--driver",
            "overlay",
            "--attachable",
            "--label",
            "app=objcli",
            "--subnet",
            "10.231.7.0/24",
            &name,
        ],
        None,
    );
    assert!(created.ok, "{}", created.stderr);
    let id = created.stdout.trim().to_owned();
    let theirs = docker(&["network", "inspect", &name]);
    let v: serde_json::Value = serde_json::from_str(&theirs.stdout).unwrap();
    assert_eq!(v[0]["Id"], id.as_str());
    assert_eq!(v[0]["Driver"], "overlay");
    assert_eq!(v[0]["Attachable"], true);
    assert_eq!(v[0]["Labels"]["app"], "objcli");
    assert_eq!(v[0]["IPAM"]["Config"][0]["Subnet"], "10.231.7.0/24");

    let ours = dw("network", &["ls"], None);
    let theirs = docker(&["network", "ls"]);
    assert!(ours.ok, "{}", ours.stderr);
    assert_eq!(
        ours.stdout, theirs.stdout,
        "the whole table, as docker prints it"
    );
    let q = dw(
        "network",
        &["ls", "-q", "--filter", &format!("name={name}")],
        None,
    );
    assert_eq!(q.stdout.trim(), &id[..12]);
    let nt = dw(
        "network",
        &[
            "ls",
            "--no-trunc",
            "-q",
            "--filter",
            &format!("name={name}"),
        ],
        None,
    );
    assert_eq!(nt.stdout.trim(), id);

    let ins = dw("network", &["inspect", &name], None);
    let v: serde_json::Value = serde_json::from_str(&ins.stdout).unwrap();
    assert_eq!(v[0]["Name"], name.as_str());
    assert_eq!(
        v[0]["IPAM"]["Config"][0]["Subnet"], "10.231.7.0/24",
        "fields the model does not name are kept"
    );

    let rm = dw("network", &["rm", &name], None);
    assert!(rm.ok, "{}", rm.stderr);
    assert_eq!(rm.stdout, format!("{name}\n"));
    let gone = dw("network", &["rm", &name], None);
    assert!(!gone.ok);
    assert!(
        gone.stderr.contains("dockwright network ls"),
        "{}",
        gone.stderr
    );
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn catalog_lists_and_delete_removes_a_tag() {
    let registry = env("DOCKWRIGHT_TEST_REGISTRY");
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    registry_client::image::ImageBuilder::new()
        .layer(registry_client::image::Layer::new().bytes("x", unique("layer"), 0o644))
        .ref_name("1")
        .build(&layout)
        .unwrap();
    let repo = unique("repo");
    let image = format!("{registry}/{repo}:1");
    let cli = |args: &[&str]| {
        run(
            Command::new(env!("CARGO_BIN_EXE_dockwright"))
                .env("DOCKER_CONFIG", dir.path())
                .args(args),
            None,
        )
    };
    let pushed = cli(&["push", "-q", layout.to_str().unwrap(), &image]);
    assert!(pushed.ok, "{}", pushed.stderr);
    let digest = pushed.stdout.trim().to_owned();

    let table = cli(&["catalog", &registry]);
    assert!(table.ok, "{}", table.stderr);
    assert_eq!(table.stdout.lines().next(), Some("REPOSITORY"));
    assert!(table.stdout.lines().any(|l| l == repo), "{}", table.stdout);
    let json = cli(&["catalog", "--format", "json", "--page-size", "2", &registry]);
    let v: Vec<String> = serde_json::from_str(&json.stdout).unwrap();
    assert!(v.contains(&repo), "every page read: {v:?}");
    let q = cli(&["catalog", "-q", &registry]);
    assert!(q.stdout.lines().any(|l| l == repo) && !q.stdout.contains("REPOSITORY"));

    let del = cli(&["delete", &image]);
    assert!(del.ok, "{}", del.stderr);
    assert_eq!(del.stdout.trim(), digest, "the deleted digest");
    let gone = cli(&["manifest", &image]);
    assert!(!gone.ok, "{}", gone.stdout);
    assert!(gone.stderr.contains("MANIFEST_UNKNOWN"), "{}", gone.stderr);
    let again = cli(&["delete", &format!("{registry}/{repo}@{digest}")]);
    assert!(!again.ok);
    assert_eq!(again.stderr.trim().lines().count(), 1, "{}", again.stderr);
}
