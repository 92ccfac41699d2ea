//! `Client::wait_converged` when the daemon goes away, against the in-process fake (dropping
//! it closes its listener and every open connection, as a stopped dockerd does): the wait
//! rides the outage out until its timeout, then fails with `Error::DaemonUnavailable` naming
//! the daemon; a daemon that never answers is the same error, not an immediate failure.
//! The real dockerd restarted during a wait is `tests/real_restart.rs`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use swarm_client::converge::{Progress, WaitOptions};
use swarm_client::mock::MockSwarm;
use swarm_client::services::CreateOptions;
use swarm_client::spec::ServiceSpec;
use swarm_client::{ApiVersion, Client, Error};

fn client(endpoint: &str) -> Client {
    Client::builder(endpoint)
        .api_version(ApiVersion::MIN)
        .retry(sdk_core::RetryPolicy::none())
        .build()
        .unwrap()
}

fn recording(timeout: Duration) -> (WaitOptions, Arc<Mutex<Vec<Progress>>>) {
    let seen: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let s = Arc::clone(&seen);
    let opts = WaitOptions::new()
        .window(Duration::from_secs(30))
        .timeout(timeout)
        .poll_interval(Duration::from_millis(50))
        .on_progress(move |p| s.lock().unwrap().push(p.clone()));
    (opts, seen)
}

fn unavailable(seen: &Mutex<Vec<Progress>>) -> usize {
    seen.lock()
        .unwrap()
        .iter()
        .filter(|p| matches!(p, Progress::DaemonUnavailable { .. }))
        .count()
}

#[tokio::test]
async fn a_wait_whose_timeout_ends_while_the_daemon_is_gone_names_the_daemon() {
    let swarm = MockSwarm::builder().initialized(true).start().await;
    swarm.pause_tasks(); // tasks stay `new`: the service does not converge by itself
    let c = client(&swarm.endpoint());
    let spec = ServiceSpec::builder("web", "127.0.0.1:5000/web:1")
        .replicas(1)
        .build()
        .unwrap();
    let id = c
        .service_create(&spec, &CreateOptions::new())
        .await
        .unwrap()
        .id;

    // With the daemon up the same wait ends in NotConverged: the new error is about the outage.
    let (opts, seen) = recording(Duration::from_millis(600));
    let err = c.wait_converged(&id, opts).await.unwrap_err();
    assert!(matches!(err, Error::NotConverged(_)), "{err:?}");
    assert_eq!(unavailable(&seen), 0);

    let (opts, seen) = recording(Duration::from_millis(1500));
    let waiter = {
        let (c, id) = (c.clone(), id.clone());
        tokio::spawn(async move {
            let t = Instant::now();
            (c.wait_converged(&id, opts).await, t.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(swarm);
    let (result, took) = tokio::time::timeout(Duration::from_secs(20), waiter)
        .await
        .expect("the wait did not end")
        .unwrap();
    let err = result.unwrap_err();
    match &err {
        Error::DaemonUnavailable {
            service,
            endpoint,
            after,
            source,
        } => {
            assert_eq!(service, &id);
            assert_eq!(endpoint, c.endpoint());
            assert_eq!(*after, Duration::from_millis(1500));
            assert!(source.is_transient(), "{source:?}");
        }
        other => panic!("expected DaemonUnavailable, got {other:?}"),
    }
    assert!(err.to_string().contains(c.endpoint()), "{err}");
    assert!(err.to_string().contains("unreachable"), "{err}");
    assert!(err.is_transient());
    assert!(
        took >= Duration::from_millis(1500) && took < Duration::from_secs(10),
        "{took:?}"
    );
    assert_eq!(unavailable(&seen), 1, "reported once per outage");
}

#[tokio::test]
async fn a_wait_started_while_the_daemon_is_down_waits_until_its_timeout() {
    // A port nothing listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = client(&format!("tcp://127.0.0.1:{port}"));
    let (opts, seen) = recording(Duration::from_millis(800));
    let t = Instant::now();
    let err = c.wait_converged("web", opts).await.unwrap_err();
    let took = t.elapsed();
    assert!(
        matches!(&err, Error::DaemonUnavailable { service, .. } if service == "web"),
        "{err:?}"
    );
    assert!(took >= Duration::from_millis(800), "gave up after {took:?}");
    assert_eq!(unavailable(&seen), 1);
}

#[tokio::test]
async fn not_a_manager_during_the_wait_is_waited_out_like_a_restart() {
    // dockerd answers 503 "This node is not a swarm manager" while it shuts its swarm component
    // down (seen with a real dockerd stopped during a wait, tests/real_restart.rs). Here the
    // fake leaves its swarm in the middle of the wait.
    let swarm = MockSwarm::builder().initialized(true).start().await;
    swarm.pause_tasks();
    let c = client(&swarm.endpoint());
    let spec = ServiceSpec::builder("web", "127.0.0.1:5000/web:1")
        .replicas(1)
        .build()
        .unwrap();
    let id = c
        .service_create(&spec, &CreateOptions::new())
        .await
        .unwrap()
        .id;
    let (opts, seen) = recording(Duration::from_millis(1500));
    let waiter = {
        let (c, id) = (c.clone(), id.clone());
        tokio::spawn(async move {
            let t = Instant::now();
            (c.wait_converged(&id, opts).await, t.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    c.swarm_leave(true).await.unwrap();
    let (result, took) = waiter.await.unwrap();
    match result {
        Err(Error::DaemonUnavailable { source, .. }) => {
            assert!(matches!(*source, Error::NotManager { .. }), "{source:?}");
        }
        other => panic!("expected DaemonUnavailable, got {other:?}"),
    }
    assert!(
        took >= Duration::from_millis(1500),
        "gave up after {took:?}"
    );
    assert_eq!(unavailable(&seen), 1);
    // At the start of a wait "not a manager" is the caller's mistake: it fails at once.
    let t = Instant::now();
    let err = c
        .wait_converged(&id, WaitOptions::new().timeout(Duration::from_secs(30)))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotManager { .. }), "{err:?}");
    assert!(t.elapsed() < Duration::from_secs(5));
}
