//! Load on the real swarm, bounded in count and time: 50 concurrent read-modify-write updates
//! (`Client::service_update`) spread over 10 services, each setting an env var to a value no
//! other update uses. No task ever starts: the services have 0 replicas and an image that does
//! not exist. They are removed on drop, even when the test fails.
//!
//! "Last writer" is defined by the order in which the daemon accepted the writes. Each
//! service has a counter; every attempt of an update takes the next value *after* it read the
//! service (inside the `change` callback) and writes `SEQ=<value>`. A write at version V is
//! accepted only if no other write was accepted since the read that returned V, so a write
//! accepted later read the service after every earlier accepted write and took a larger
//! counter value: the order of accepted writes is the order of their counter values. The
//! last writer is therefore the acknowledged update with the highest value, and the final
//! spec must hold exactly that value.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{ServiceGuard, env, manager, unique};
use swarm_client::services::{CreateOptions, UpdateOptions};
use swarm_client::spec::ServiceSpec;

const SERVICES: usize = 10;
const UPDATES: usize = 50;

fn seq_of(spec: &ServiceSpec) -> Option<u64> {
    spec.container()?
        .env
        .iter()
        .find_map(|e| e.strip_prefix("SEQ="))
        .and_then(|v| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs real servers: run scripts/test"]
async fn fifty_concurrent_updates_over_ten_services_keep_the_last_writer() {
    let started = Instant::now();
    let c = manager().await;
    // An image that does not exist, and no replicas: no task is ever scheduled.
    let image = format!(
        "{}/swarmclient-test/absent-load:none",
        env("DOCKWRIGHT_TEST_REGISTRY")
    );
    let base = unique("load");
    let mut guards = Vec::new();
    let mut ids = Vec::new();
    for i in 0..SERVICES {
        let name = format!("{base}-{i}");
        guards.push(ServiceGuard::new(&name));
        let spec = ServiceSpec::builder(&name, &image)
            .replicas(0)
            .env("SEQ=0")
            .label("dockwright.test", "swarmclient")
            .build()
            .unwrap();
        ids.push(
            c.service_create(&spec, &CreateOptions::new())
                .await
                .unwrap()
                .id,
        );
    }
    let mut before = Vec::new();
    for id in &ids {
        before.push(c.service_inspect(id).await.unwrap().version.index);
    }

    let counters: Vec<Arc<AtomicU64>> =
        (0..SERVICES).map(|_| Arc::new(AtomicU64::new(1))).collect();
    let gate = Arc::new(tokio::sync::Barrier::new(UPDATES));
    let mut handles = Vec::new();
    for u in 0..UPDATES {
        let s = u % SERVICES;
        let (c, id, counter, gate) = (
            c.clone(),
            ids[s].clone(),
            Arc::clone(&counters[s]),
            Arc::clone(&gate),
        );
        handles.push(tokio::spawn(async move {
            gate.wait().await;
            let mut mine = 0;
            let mut attempts = 0u32;
            let result = c
                .service_update(&id, &UpdateOptions::new(), |spec| {
                    attempts += 1;
                    mine = counter.fetch_add(1, Ordering::SeqCst);
                    let env = &mut spec.container_mut().env;
                    env.retain(|e| !e.starts_with("SEQ="));
                    env.push(format!("SEQ={mine}"));
                    Ok(())
                })
                .await;
            (s, result, mine, attempts)
        }));
    }
    let mut acknowledged: Vec<Vec<u64>> = vec![Vec::new(); SERVICES];
    let (mut retries, mut most) = (0, 0);
    let mut lost = Vec::new();
    for h in handles {
        let (s, result, mine, attempts) = h.await.unwrap();
        retries += attempts - 1;
        most = most.max(attempts);
        match result {
            Ok(svc) => {
                assert_eq!(svc.id, ids[s]);
                acknowledged[s].push(mine);
            }
            Err(e) => lost.push(format!("service {s}: {e}")),
        }
    }
    assert!(lost.is_empty(), "updates lost: {lost:#?}");

    for (s, id) in ids.iter().enumerate() {
        let svc = c.service_inspect(id).await.unwrap();
        let last = *acknowledged[s].iter().max().unwrap();
        assert_eq!(acknowledged[s].len(), UPDATES / SERVICES);
        assert_eq!(
            seq_of(&svc.spec),
            Some(last),
            "service {s}: the final spec does not hold its last writer's value (acknowledged {:?})",
            acknowledged[s]
        );
        // Every acknowledged write made a new version of the service.
        assert!(
            svc.version.index >= before[s] + (UPDATES / SERVICES) as u64,
            "service {s}: version {} -> {}",
            before[s],
            svc.version.index
        );
        let env = &svc.spec.container().unwrap().env;
        assert_eq!(
            env.iter().filter(|e| e.starts_with("SEQ=")).count(),
            1,
            "{env:?}"
        );
    }
    let elapsed = started.elapsed();
    eprintln!(
        "{UPDATES} updates over {SERVICES} services: {retries} out-of-sequence retries (at most {most} attempts for one update), {elapsed:?}"
    );
    assert!(elapsed < Duration::from_secs(60), "took {elapsed:?}");
    drop(guards);
}
