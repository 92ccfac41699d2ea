//! dockerd restarted while `Client::wait_converged` runs, on a dockerd of its own: a one-node
//! swarm on 127.0.0.20 (data path port 4791) with its own data root and socket, so the swarm
//! of scripts/test is not disturbed. The service runs a busybox httpd (image built with
//! example-images, pushed with registry-client to `$DOCKWRIGHT_TEST_REGISTRY`) on the host
//! network at 127.0.0.20 and a free port.
//!
//! - A wait that outlives the restart ends converged after it: it reported the daemon
//!   unavailable, its event stream reconnected, and the task it saw running serves HTTP.
//! - A wait whose timeout ends while the daemon is down fails with
//!   [`swarm_client::Error::DaemonUnavailable`], which names the daemon's endpoint and keeps
//!   the connection error as its source; once the daemon is back a new wait converges.
//!
//! Everything the test starts is stopped by PID on drop, even when it fails (see
//! `private_swarm/mod.rs`).

mod private_swarm;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use private_swarm::Daemon;

use registry_client::reference::Reference;
use swarm_client::converge::{Progress, WaitOptions};
use swarm_client::models::Timestamp;
use swarm_client::services::{CreateOptions, UpdateOptions};
use swarm_client::spec::ServiceSpec;
use swarm_client::swarm::InitRequest;
use swarm_client::tasks::TaskFilter;
use swarm_client::{Client, Error};

const ADDR: &str = "127.0.0.20";

/// A port free on `ADDR` right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind((ADDR, 0))
        .and_then(|l| l.local_addr())
        .expect("a free port on 127.0.0.20")
        .port()
}

/// The status line of `GET /` on `ADDR:port`, if anything answers.
fn http_status(port: u16) -> Option<String> {
    let mut s = std::net::TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 20], port)),
        Duration::from_secs(2),
    )
    .ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.write_all(b"GET / HTTP/1.0\r\n\r\n").ok()?;
    let mut buf = Vec::new();
    let _ = s.take(4096).read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    text.lines()
        .next()
        .filter(|l| l.starts_with("HTTP/"))
        .map(str::to_owned)
}

/// The busybox image, pushed once to the test registry.
async fn busybox(registry: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    example_images::busybox_image("/bin/busybox")
        .ref_name("latest")
        .build(dir.path())
        .unwrap();
    let reference = format!("{registry}/swarmclient-test/busybox-restart:1");
    let r: Reference = reference.parse().unwrap();
    registry_client::Client::builder()
        .build()
        .unwrap()
        .push(dir.path(), &r)
        .await
        .unwrap();
    reference
}

type Seen = Arc<Mutex<Vec<Progress>>>;

fn recording(opts: WaitOptions) -> (WaitOptions, Seen) {
    let seen: Seen = Arc::default();
    let s = Arc::clone(&seen);
    (
        opts.on_progress(move |p| s.lock().unwrap().push(p.clone())),
        seen,
    )
}

/// When the service's running task became running.
async fn running_since(c: &Client, id: &str) -> Option<SystemTime> {
    c.task_list(&TaskFilter::new().service(id))
        .await
        .unwrap()
        .into_iter()
        .find(|t| {
            t.state() == swarm_client::models::TaskState::Running && !t.desired().is_terminal()
        })
        .and_then(|t| Timestamp::parse(&t.status.timestamp))
        .map(Timestamp::to_system_time)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs real servers: run scripts/test"]
async fn dockerd_restarted_while_waiting_for_convergence() {
    let registry = std::env::var("DOCKWRIGHT_TEST_REGISTRY")
        .expect("DOCKWRIGHT_TEST_REGISTRY is not set: run scripts/test (real servers needed)");
    let image = busybox(&registry).await;
    let mut d = Daemon::start(ADDR);
    let c = d.client().await;
    c.swarm_init(
        &InitRequest::new(format!("{ADDR}:2377"))
            .advertise_addr(ADDR)
            .data_path_port(4791),
    )
    .await
    .unwrap_or_else(|e| panic!("swarm init: {e}\n{}", d.log_tail()));

    let port = free_port();
    let spec = ServiceSpec::builder("restart-httpd", &image)
        .replicas(1)
        .network("host")
        .command(["httpd", "-f", "-p", &format!("{ADDR}:{port}"), "-h", "/"])
        .env("ROUND=0")
        // httpd as PID 1 ignores SIGTERM: 1 s instead of 10 s before dockerd kills it on stop.
        .stop_grace_period(Duration::from_secs(1))
        .build()
        .unwrap();
    let id = c
        .service_create(&spec, &CreateOptions::new())
        .await
        .unwrap()
        .id;
    c.wait_converged(
        &id,
        WaitOptions::new()
            .window(Duration::from_secs(1))
            .timeout(Duration::from_secs(60)),
    )
    .await
    .unwrap_or_else(|e| panic!("first convergence: {e}\n{}", d.log_tail()));
    assert!(http_status(port).is_some(), "httpd does not answer");

    // 1. The wait outlives the restart: it ends converged after it.
    c.service_update(&id, &UpdateOptions::new(), |s| {
        s.container_mut().env = vec!["ROUND=1".into()];
        Ok(())
    })
    .await
    .unwrap();
    let (opts, seen) = recording(
        WaitOptions::new()
            .window(Duration::from_secs(3))
            .timeout(Duration::from_secs(120)),
    );
    let waiter = {
        let (c, id) = (c.clone(), id.clone());
        tokio::spawn(async move { c.wait_converged(&id, opts).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stopped_wall = SystemTime::now();
    let stopped_at = Instant::now();
    d.stop(Duration::from_secs(30));
    let down_for = stopped_at.elapsed();
    if waiter.is_finished() {
        let r = waiter.await.unwrap();
        panic!(
            "the wait ended while dockerd was down: {r:?}\n{:?}",
            seen.lock().unwrap()
        );
    }
    d.spawn();
    let converged = tokio::time::timeout(Duration::from_secs(150), waiter)
        .await
        .expect("the wait did not end")
        .unwrap()
        .unwrap_or_else(|e| {
            panic!(
                "the wait across the restart failed: {e:?}\n{}",
                d.log_tail()
            )
        });
    let restart_took = stopped_at.elapsed();
    assert_eq!((converged.running, converged.desired), (1, 1));
    let status = http_status(port);
    assert!(status.is_some(), "converged, but httpd does not answer");
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.iter()
            .any(|p| matches!(p, Progress::DaemonUnavailable { .. })),
        "the wait never saw the daemon down: {seen:?}"
    );
    assert_eq!(seen.last(), Some(&Progress::Converged), "{seen:?}");
    // The task runs since after the stop: its container was (re)started by the restarted
    // daemon, not a state left over from before.
    let since = running_since(&c, &id).await.expect("a running task");
    assert!(
        since >= stopped_wall,
        "the running task is running since before the stop ({since:?} < {stopped_wall:?})"
    );
    eprintln!(
        "restart: dockerd down after {down_for:?}, wait converged {restart_took:?} after the stop ({}), {status:?}",
        seen.iter()
            .filter(|p| matches!(p, Progress::DaemonUnavailable { .. }))
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" | ")
    );

    // 2. The wait's timeout ends while dockerd is down: a typed error naming the daemon.
    c.service_update(&id, &UpdateOptions::new(), |s| {
        s.container_mut().env = vec!["ROUND=2".into()];
        Ok(())
    })
    .await
    .unwrap();
    // Longer than dockerd takes to stop (about 2 s here), shorter than it stays down.
    let timeout = Duration::from_secs(8);
    let (opts, seen) = recording(
        WaitOptions::new()
            .window(Duration::from_secs(3))
            .timeout(timeout),
    );
    let waiter = {
        let (c, id) = (c.clone(), id.clone());
        tokio::spawn(async move { c.wait_converged(&id, opts).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stopped_at = Instant::now();
    d.stop(Duration::from_secs(30));
    let err = tokio::time::timeout(Duration::from_secs(60), waiter)
        .await
        .expect("the wait did not end")
        .unwrap()
        .expect_err("converged while dockerd was down");
    let failed_after = stopped_at.elapsed();
    eprintln!("timeout while down: {err} ({failed_after:?} after the stop): {err:?}");
    match &err {
        Error::DaemonUnavailable {
            service,
            endpoint,
            after,
            source,
        } => {
            assert_eq!(service, &id);
            assert_eq!(endpoint, &d.endpoint());
            assert_eq!(*after, timeout);
            // The daemon was gone at the deadline: the last error is the refused connection.
            assert!(
                matches!(**source, Error::Transport { .. } | Error::Http { .. }),
                "{source:?}"
            );
        }
        other => panic!("expected DaemonUnavailable, got {other:?}"),
    }
    assert!(err.to_string().contains(&d.endpoint()), "{err}");
    assert!(err.is_transient());
    assert!(std::error::Error::source(&err).is_some());
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .any(|p| matches!(p, Progress::DaemonUnavailable { .. }))
    );
    // Back up, a new wait converges.
    d.spawn();
    let c = d.client().await;
    c.wait_converged(
        &id,
        WaitOptions::new()
            .window(Duration::from_secs(1))
            .timeout(Duration::from_secs(90)),
    )
    .await
    .unwrap_or_else(|e| panic!("after the daemon came back: {e}\n{}", d.log_tail()));
    assert!(http_status(port).is_some());
}
