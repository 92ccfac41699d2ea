//! `dockwright swarm update|join-token --rotate` and `node inspect|promote|demote|rm` against
//! a private two-node swarm (manager 127.0.0.43, worker 127.0.0.44, data path port 4792),
//! beside the docker CLI 28: swarm-wide changes never touch the shared test swarm.

#[path = "../../swarm-client/tests/private_swarm/mod.rs"]
mod private_swarm;

use std::process::Command;
use std::time::{Duration, Instant};

struct Out {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command) -> Out {
    let o = cmd.output().unwrap();
    Out {
        ok: o.status.success(),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// `dockwright AREA -H HOST ARGS…`, off the async runtime.
async fn dw(area: &str, host: &str, args: &[&str]) -> Out {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dockwright"));
    cmd.args([area, "-H", host]).args(args);
    tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .unwrap()
}

async fn docker(host: &str, args: &[&str]) -> Out {
    let mut cmd = Command::new("docker");
    cmd.args(["-H", host]).args(args);
    tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .unwrap()
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn swarm_and_node_commands_on_a_private_swarm_match_docker() {
    let s = private_swarm::PrivateSwarm::start("127.0.0.43", "127.0.0.44", 4792).await;
    let (m, w) = (s.manager.endpoint(), s.worker.endpoint());
    let worker = s.worker_id().await;

    // node ls and node inspect.
    let ls = dw("node", &m, &["ls", "-q"]).await;
    assert!(ls.ok, "{}", ls.stderr);
    assert_eq!(ls.stdout.lines().count(), 2, "{}", ls.stdout);
    let ins = dw("node", &m, &["inspect", &worker, "self"]).await;
    assert!(ins.ok, "{}", ins.stderr);
    let v: serde_json::Value = serde_json::from_str(&ins.stdout).unwrap();
    assert_eq!(v[0]["ID"], worker.as_str());
    assert_eq!(v[0]["Spec"]["Role"], "worker");
    assert_eq!(v[1]["ID"], s.manager_id.as_str());

    // swarm update: docker's message, the setting changed (read back with the docker CLI).
    let up = dw(
        "swarm",
        &m,
        &[
            "update",
            "--task-history-limit",
            "3",
            "--dispatcher-heartbeat",
            "1s",
        ],
    )
    .await;
    assert!(up.ok, "{}", up.stderr);
    let theirs = docker(&m, &["swarm", "update", "--snapshot-interval", "6000"]).await;
    assert!(theirs.ok, "{}", theirs.stderr);
    assert_eq!(up.stdout, theirs.stdout, "docker's output");
    let spec = docker(&m, &["info", "--format", "{{json .Swarm.Cluster.Spec}}"]).await;
    let spec: serde_json::Value = serde_json::from_str(spec.stdout.trim()).unwrap();
    assert_eq!(spec["Orchestration"]["TaskHistoryRetentionLimit"], 3);
    assert_eq!(spec["Dispatcher"]["HeartbeatPeriod"], 1_000_000_000_i64);
    assert_eq!(
        spec["Raft"]["SnapshotInterval"], 6000,
        "docker's change kept"
    );
    let bad = dw("swarm", &m, &["update", "--cert-expiry", "soon"]).await;
    assert!(!bad.ok);
    assert!(bad.stderr.contains("--cert-expiry"), "{}", bad.stderr);
    assert_eq!(bad.stderr.trim().lines().count(), 1, "{}", bad.stderr);

    // --autolock prints the unlock key, as docker does; --autolock=false turns it off.
    let lock = dw("swarm", &m, &["update", "--autolock"]).await;
    assert!(lock.ok, "{}", lock.stderr);
    assert!(
        lock.stdout.starts_with("Swarm updated.\n"),
        "{}",
        lock.stdout
    );
    let key = dw("swarm", &m, &["unlock-key", "-q"]).await;
    assert!(lock.stdout.contains(key.stdout.trim()), "{}", lock.stdout);
    assert!(key.stdout.starts_with("SWMKEY-1-"), "{}", key.stdout);
    let unlock = dw("swarm", &m, &["update", "--autolock=false"]).await;
    assert_eq!(unlock.stdout, "Swarm updated.\n", "{}", unlock.stderr);

    // join-token --rotate: docker's text, a new token; the other role's token unchanged.
    let old = dw("swarm", &m, &["join-token", "-q", "worker"]).await;
    let old_manager = dw("swarm", &m, &["join-token", "-q", "manager"]).await;
    let rot = dw("swarm", &m, &["join-token", "--rotate", "worker"]).await;
    assert!(rot.ok, "{}", rot.stderr);
    assert!(
        rot.stdout.starts_with(
            "Successfully rotated worker join token.\n\nTo add a worker to this swarm"
        ),
        "{}",
        rot.stdout
    );
    let new = dw("swarm", &m, &["join-token", "-q", "worker"]).await;
    assert_ne!(old.stdout, new.stdout);
    assert!(rot.stdout.contains(new.stdout.trim()), "{}", rot.stdout);
    assert_eq!(
        dw("swarm", &m, &["join-token", "-q", "manager"])
            .await
            .stdout,
        old_manager.stdout
    );
    let theirs = docker(&m, &["swarm", "join-token", "--rotate", "-q", "worker"]).await;
    assert!(theirs.ok, "{}", theirs.stderr);
    assert_ne!(theirs.stdout, new.stdout);
    assert_eq!(
        dw("swarm", &m, &["join-token", "-q", "worker"])
            .await
            .stdout,
        theirs.stdout
    );

    // promote / demote, with docker's messages.
    let p = dw("node", &m, &["promote", &worker]).await;
    assert_eq!(
        p.stdout,
        format!("Node {worker} promoted to a manager in the swarm.\n"),
        "{}",
        p.stderr
    );
    let again = dw("node", &m, &["promote", &worker]).await;
    assert_eq!(
        again.stdout,
        format!("Node {worker} is already a manager.\n")
    );
    let theirs = docker(&m, &["node", "promote", &worker]).await;
    assert_eq!(theirs.stdout, again.stdout, "docker says the same");
    // Demotion needs the new manager in the raft member list first.
    let deadline = Instant::now() + Duration::from_secs(30);
    while s
        .m
        .node_inspect(&worker)
        .await
        .unwrap()
        .manager_status
        .is_none_or(|st| st.reachability != Some(swarm_client::models::Reachability::Reachable))
    {
        assert!(
            Instant::now() < deadline,
            "never became a reachable manager"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let d = dw("node", &m, &["demote", &worker]).await;
    assert_eq!(
        d.stdout,
        format!("Manager {worker} demoted in the swarm.\n"),
        "{}",
        d.stderr
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while s
        .m
        .node_inspect(&worker)
        .await
        .unwrap()
        .manager_status
        .is_some()
    {
        assert!(Instant::now() < deadline, "never demoted");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // node rm: refused while up (one line), done once the worker left and is down.
    let up = dw("node", &m, &["rm", &worker]).await;
    assert!(!up.ok);
    assert_eq!(up.stderr.trim().lines().count(), 1, "{}", up.stderr);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = dw("swarm", &w, &["leave"]).await;
        if left.ok {
            assert_eq!(left.stdout, "Node left the swarm.\n");
            break;
        }
        assert!(Instant::now() < deadline, "cannot leave: {}", left.stderr);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while s.m.node_inspect(&worker).await.unwrap().status.state
        != Some(swarm_client::models::NodeState::Down)
    {
        assert!(Instant::now() < deadline, "never down");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let rm = dw("node", &m, &["rm", &worker]).await;
    assert!(rm.ok, "{}", rm.stderr);
    assert_eq!(rm.stdout, format!("{worker}\n"));
    let gone = dw("node", &m, &["inspect", &worker]).await;
    assert!(!gone.ok);
    assert!(
        gone.stderr.contains("dockwright node ls"),
        "a hint: {}",
        gone.stderr
    );
    s.m.swarm_leave(true).await.unwrap();
}
