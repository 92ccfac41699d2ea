//! Swarm-wide calls against a private two-node swarm (a manager on 127.0.0.41 and a worker on
//! 127.0.0.42, data path port 4791; the shared test swarm is left alone): `swarm_join`,
//! `node_inspect`, `swarm_update`/`swarm_update_with`, join-token rotation, `node_set_role`,
//! `node_remove`.

mod private_swarm;

use std::time::{Duration, Instant};

use private_swarm::PrivateSwarm;
use swarm_client::models::{NodeRole, NodeState};
use swarm_client::swarm::{Rotate, SwarmUpdate};

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn join_inspect_update_rotate_promote_and_remove_on_a_private_swarm() {
    let s = PrivateSwarm::start("127.0.0.41", "127.0.0.42", 4791).await;

    // swarm_join: the worker is in the swarm, as a worker, at its own address.
    let worker_id = s.worker_id().await;
    let info = s.w.version().await.unwrap();
    assert!(!info.version.is_empty());
    let node = s.m.node_inspect(&worker_id).await.unwrap();
    assert_eq!(node.id, worker_id);
    assert_eq!(node.spec.role, Some(NodeRole::Worker));
    // The address the manager saw the worker connect from (on loopback, its source address).
    assert!(node.status.addr.starts_with("127."), "{}", node.status.addr);
    assert!(node.manager_status.is_none());
    let me = s.m.node_inspect(&s.manager_id).await.unwrap();
    let ms = me.manager_status.expect("the manager's status");
    assert!(ms.leader);
    assert_eq!(ms.addr, "127.0.0.41:2377");
    let missing = s.m.node_inspect("nosuchnode").await.unwrap_err();
    assert!(
        matches!(missing, swarm_client::Error::NotFound { .. }),
        "{missing}"
    );
    // A worker cannot answer for the swarm.
    let not_manager = s.w.node_list().await.unwrap_err();
    assert!(
        matches!(not_manager, swarm_client::Error::NotManager { .. }),
        "{not_manager}"
    );

    // swarm_update_with: the given settings change, the others are sent back unchanged.
    let before = s.m.swarm_inspect().await.unwrap();
    let after =
        s.m.swarm_update_with(
            &SwarmUpdate::new()
                .task_history_limit(2)
                .snapshot_interval(5000)
                .dispatcher_heartbeat(Duration::from_secs(1))
                .cert_expiry(Duration::from_secs(48 * 3600)),
        )
        .await
        .unwrap();
    assert!(after.version.index > before.version.index);
    assert_eq!(
        after.spec.orchestration.task_history_retention_limit,
        Some(2)
    );
    assert_eq!(after.spec.raft.snapshot_interval, 5000);
    assert_eq!(after.spec.dispatcher.heartbeat_period, 1_000_000_000);
    assert_eq!(
        after.spec.ca_config.node_cert_expiry,
        48 * 3600 * 1_000_000_000
    );
    assert_eq!(
        after.spec.raft.election_tick,
        before.spec.raft.election_tick
    );
    assert_eq!(after.spec.name, before.spec.name);
    assert_eq!(
        after.join_tokens.worker, before.join_tokens.worker,
        "an update rotates nothing"
    );
    // swarm_update at a stale version is refused as out of sequence.
    let stale =
        s.m.swarm_update(&after.spec, before.version.index, Rotate::none())
            .await
            .unwrap_err();
    assert!(stale.is_out_of_sequence(), "{stale}");
    // A value the daemon refuses comes back as its error, and changes nothing.
    let refused =
        s.m.swarm_update_with(&SwarmUpdate::new().cert_expiry(Duration::from_secs(60)))
            .await
            .unwrap_err();
    assert!(refused.to_string().contains("expiry"), "{refused}");

    // Rotation: only the worker token changes.
    let rotated = s.m.swarm_rotate(Rotate::worker()).await.unwrap();
    assert_ne!(rotated.join_tokens.worker, after.join_tokens.worker);
    assert_eq!(rotated.join_tokens.manager, after.join_tokens.manager);
    assert!(rotated.join_tokens.worker.starts_with("SWMTKN-1-"));
    let rotated2 = s.m.swarm_rotate(Rotate::manager()).await.unwrap();
    assert_ne!(rotated2.join_tokens.manager, rotated.join_tokens.manager);
    assert_eq!(rotated2.join_tokens.worker, rotated.join_tokens.worker);

    // node_set_role: promote, promote again (no change), demote.
    assert!(
        s.m.node_set_role(&worker_id, NodeRole::Manager)
            .await
            .unwrap()
    );
    assert!(
        !s.m.node_set_role(&worker_id, NodeRole::Manager)
            .await
            .unwrap()
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    // Demotion needs the new manager in the raft member list (reachable) first.
    while s
        .m
        .node_inspect(&worker_id)
        .await
        .unwrap()
        .manager_status
        .is_none_or(|m| m.reachability != Some(swarm_client::models::Reachability::Reachable))
    {
        assert!(Instant::now() < deadline, "never became a manager");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        s.m.node_set_role(&worker_id, NodeRole::Worker)
            .await
            .unwrap()
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let n = s.m.node_inspect(&worker_id).await.unwrap();
        if n.manager_status.is_none() && n.spec.role == Some(NodeRole::Worker) {
            break;
        }
        assert!(Instant::now() < deadline, "never demoted: {n:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // node_remove: refused while the node is up, done once it left and is down.
    let up = s.m.node_remove(&worker_id, false).await.unwrap_err();
    assert!(up.to_string().contains("down"), "{up}");
    // Demotion takes the worker through a role change: wait until it settled before leaving.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match s.w.swarm_leave(false).await {
            Ok(()) => break,
            Err(e) => {
                assert!(Instant::now() < deadline, "worker cannot leave: {e}");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while s.m.node_inspect(&worker_id).await.unwrap().status.state != Some(NodeState::Down) {
        assert!(Instant::now() < deadline, "the worker never went down");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    s.m.node_remove(&worker_id, false).await.unwrap();
    let gone = s.m.node_inspect(&worker_id).await.unwrap_err();
    assert!(
        matches!(gone, swarm_client::Error::NotFound { .. }),
        "{gone}"
    );
    assert_eq!(s.m.node_list().await.unwrap().len(), 1);
    s.m.swarm_leave(true).await.unwrap();
}
