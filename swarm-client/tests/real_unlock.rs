//! Swarm autolock against a real dockerd of its own: init with autolock, read the unlock key,
//! restart the daemon (the swarm comes back locked), refuse a wrong key, unlock with the right
//! one. The test swarm of scripts/test is left alone: this daemon has its own data root, socket
//! and swarm on 127.0.0.40, above the shared swarm's 127.0.0.1-127.0.0.3 (data path port 4790),
//! and is stopped (by PID), unmounted and removed on drop, even when the test fails.

mod private_swarm;

use std::time::{Duration, Instant};

use private_swarm::Daemon;
use swarm_client::swarm::{InitRequest, UnlockKey};

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn autolocked_swarm_unlocks_after_a_restart() {
    let mut d = Daemon::start("127.0.0.40");
    let c = d.client().await;
    let node = c
        .swarm_init(
            &InitRequest::new("127.0.0.40:2377")
                .advertise_addr("127.0.0.40")
                .data_path_port(4790)
                .autolock(true),
        )
        .await
        .unwrap_or_else(|e| panic!("swarm init: {e}\n{}", d.log_tail()));
    assert!(!node.is_empty());
    let key = c.swarm_unlock_key().await.unwrap();
    assert!(
        key.expose().starts_with("SWMKEY-1-"),
        "an unlock key, got {} chars",
        key.expose().len()
    );
    assert!(!format!("{key:?}").contains(key.expose()), "Debug redacts");

    // A restarted manager of an autolocked swarm is locked until it gets the key.
    d.stop(Duration::from_secs(20));
    d.spawn();
    let c = d.client().await;
    let locked = c.swarm_inspect().await.unwrap_err();
    assert!(
        locked.to_string().to_lowercase().contains("locked"),
        "inspect on a locked swarm: {locked}"
    );
    let wrong = c
        .swarm_unlock(&UnlockKey::new(
            "SWMKEY-1-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ))
        .await
        .unwrap_err();
    assert!(
        !wrong.to_string().contains("SWMKEY"),
        "the key never appears in errors: {wrong}"
    );
    c.swarm_unlock(&key)
        .await
        .unwrap_or_else(|e| panic!("unlock: {e}\n{}", d.log_tail()));
    let deadline = Instant::now() + Duration::from_secs(30);
    let swarm = loop {
        match c.swarm_inspect().await {
            Ok(s) => break s,
            Err(e) => {
                assert!(Instant::now() < deadline, "still locked: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    assert!(!swarm.id.is_empty());
    c.swarm_leave(true).await.unwrap();
}
