//! The load-balancer watcher keeps the upstream equal to the running tasks while its event
//! stream is cut under it: the connections to the daemon are dropped (and refused for a while)
//! exactly while the service scales, with the periodic resync set longer than the test's
//! deadline, so only the reconnect can bring the upstream up to date.
//!
//! Run against the in-process fake (plain `cargo test`) and against the real swarm (ignored:
//! `scripts/test`).

use std::collections::BTreeSet;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use dockwright::lb::{Backends, Balancer, Cause, Kept, LbWatcher, LocalNginx, PortRule, Report};
use lb_config::Method;
use lb_config::nginx::RecordingRunner;
use swarm_client::Client;
use swarm_client::converge::WaitOptions;
use swarm_client::mock::{MockNode, MockSwarm};
use swarm_client::services::CreateOptions;
use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream, UnixStream};
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinSet;

/// A TCP proxy in front of a daemon (TCP or unix socket) that can drop every connection it
/// carries and refuse new ones until it is opened again.
struct CutProxy {
    endpoint: String,
    open: Arc<AtomicBool>,
    cut: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl CutProxy {
    async fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("tcp://{}", listener.local_addr().unwrap());
        let upstream = upstream.to_owned();
        let open = Arc::new(AtomicBool::new(true));
        let cut = Arc::new(Notify::new());
        let (o, c) = (Arc::clone(&open), Arc::clone(&cut));
        let task = tokio::spawn(async move {
            let mut conns = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((mut down, _)) = accepted else { continue };
                        if !o.load(Ordering::SeqCst) {
                            drop(down); // refused while cut
                            continue;
                        }
                        let up = upstream.clone();
                        conns.spawn(async move {
                            if let Some(path) = up.strip_prefix("unix://") {
                                if let Ok(mut s) = UnixStream::connect(path).await {
                                    let _ = copy_bidirectional(&mut down, &mut s).await;
                                }
                            } else if let Ok(mut s) =
                                TcpStream::connect(up.trim_start_matches("tcp://")).await
                            {
                                let _ = copy_bidirectional(&mut down, &mut s).await;
                            }
                        });
                    }
                    () = c.notified() => conns.abort_all(),
                }
            }
        });
        Self {
            endpoint,
            open,
            cut,
            task,
        }
    }

    /// Drops every connection and refuses new ones.
    fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        self.cut.notify_one();
    }

    fn reopen(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn server_lines(conf: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(conf)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("server ") && l.ends_with(';'))
        .map(str::to_owned)
        .collect()
}

fn expected(base: u32, slots: impl IntoIterator<Item = u64>) -> BTreeSet<String> {
    slots
        .into_iter()
        .map(|s| format!("server 127.0.0.1:{base}{s};"))
        .collect()
}

/// Waits until `pred` holds for the reports seen so far (returns them), or panics at the
/// deadline with what was seen.
async fn until(
    rx: &mut mpsc::UnboundedReceiver<Report>,
    seen: &mut Vec<Report>,
    deadline: Duration,
    what: &str,
    pred: impl Fn(&[Report]) -> bool,
) {
    let end = tokio::time::Instant::now() + deadline;
    while !pred(seen) {
        match tokio::time::timeout_at(end, rx.recv()).await {
            Ok(Some(r)) => seen.push(r),
            Ok(None) => panic!("watcher ended while waiting for {what}; saw {seen:#?}"),
            Err(_) => panic!("timed out waiting for {what}; saw {seen:#?}"),
        }
    }
}

/// The body shared by the fake and the real swarm: `control` manages the service directly,
/// the watcher goes through a proxy that the test cuts.
async fn cut_stream_while_scaling(control: Client, daemon: &str, service: &str, base: u32) {
    let proxy = CutProxy::start(daemon).await;
    let watched = Client::builder(&proxy.endpoint)
        .retry(sdk_core::RetryPolicy::none())
        .build()
        .unwrap();
    let dir = tempfile::Builder::new()
        .prefix("dw-lbw-")
        .tempdir()
        .unwrap();
    let conf = dir.path().join("lb.conf");
    let watcher = LbWatcher::builder(
        watched,
        service,
        LocalNginx::new(&conf, RecordingRunner::new().check_file(&conf)),
    )
    .backends(Backends::new(PortRule::PerSlot { base }).addr([127, 0, 0, 1].into()))
    .balancer(Balancer::new("loadbalance").method(Method::LeastConn))
    .debounce(Duration::from_millis(100))
    // Longer than the whole test: only events and reconnects can bring the upstream up to date.
    .resync(Some(Duration::from_secs(600)))
    .converge_timeout(Duration::from_secs(60))
    .watch_options(
        swarm_client::watch::WatchOptions::new()
            .backoff(Duration::from_millis(50), Duration::from_millis(400)),
    )
    .build();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let run = tokio::spawn(async move {
        watcher
            .run(move |r| {
                let _ = tx.send(r.clone());
                ControlFlow::Continue(())
            })
            .await
    });
    let mut seen = Vec::new();
    until(
        &mut rx,
        &mut seen,
        Duration::from_secs(60),
        "the first apply",
        |s| {
            s.iter().any(|r| {
                matches!(
                    r,
                    Report::Applied {
                        cause: Cause::Start,
                        ..
                    }
                )
            })
        },
    )
    .await;
    assert_eq!(server_lines(&conf), expected(base, 1..=2));

    // Cut the stream, scale while it is down, bring it back.
    proxy.cut();
    control.service_scale(service, 4).await.unwrap();
    control
        .wait_converged(
            service,
            WaitOptions::new()
                .window(Duration::ZERO)
                .timeout(Duration::from_secs(60)),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await; // a few refused reconnects
    proxy.reopen();
    until(
        &mut rx,
        &mut seen,
        Duration::from_secs(60),
        "an apply of 4 servers after the reconnect",
        |s| {
            s.iter().any(|r| matches!(r, Report::StreamLost { .. }))
                && s.iter()
                    .any(|r| matches!(r, Report::Applied { servers, .. } if servers.len() == 4))
        },
    )
    .await;
    assert_eq!(server_lines(&conf), expected(base, 1..=4));
    assert!(
        !seen.iter().any(|r| matches!(
            r,
            Report::Applied {
                cause: Cause::Resync,
                ..
            }
        )),
        "a resync did the work: {seen:#?}"
    );

    // Scale to zero: the last good config stays and the watcher says so.
    control.service_scale(service, 0).await.unwrap();
    until(
        &mut rx,
        &mut seen,
        Duration::from_secs(60),
        "kept (no tasks)",
        |s| {
            s.iter().any(|r| {
                matches!(
                    r,
                    Report::Kept {
                        reason: Kept::NoRunningTasks,
                        ..
                    }
                )
            })
        },
    )
    .await;
    assert_eq!(server_lines(&conf), expected(base, 1..=4));

    // Removing the service ends the watcher with a typed error.
    control.service_remove(service).await.unwrap();
    let end = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("watcher did not stop after the service was removed")
        .unwrap();
    assert!(
        matches!(end, Err(dockwright::Error::ServiceRemoved(_))),
        "{end:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_follows_the_tasks_through_a_cut_event_stream_on_the_fake() {
    let mock = MockSwarm::builder()
        .initialized(true)
        .node(MockNode::new("worker-1", "127.0.0.2", "worker"))
        .task_delay(Duration::from_millis(50))
        .start()
        .await;
    let control = Client::connect(&mock.endpoint()).await.unwrap();
    let spec = serde_json::json!({
        "Name": "web",
        "TaskTemplate": {"ContainerSpec": {"Image": "127.0.0.1:5000/web:1",
                                            "Env": ["PORT=3123{{.Task.Slot}}"]}},
        "Mode": {"Replicated": {"Replicas": 2}}
    });
    control
        .service_create(&spec, &CreateOptions::new())
        .await
        .unwrap();
    control
        .wait_converged(
            "web",
            WaitOptions::new()
                .window(Duration::ZERO)
                .timeout(Duration::from_secs(20)),
        )
        .await
        .unwrap();
    cut_stream_while_scaling(control, &mock.endpoint(), "web", 3123).await;
}

/// Removes the service when dropped, even when the test fails.
struct ServiceGuard {
    host: String,
    name: String,
}

impl Drop for ServiceGuard {
    fn drop(&mut self) {
        let _ = std::process::Command::new("docker")
            .args(["-H", &self.host, "service", "rm", &self.name])
            .output();
    }
}

fn env_var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run scripts/test"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs real servers: run scripts/test"]
async fn upstream_follows_the_tasks_through_a_cut_event_stream_on_the_real_swarm() {
    let host = env_var("DOCKWRIGHT_TEST_DOCKER_HOST");
    let registry = env_var("DOCKWRIGHT_TEST_REGISTRY");
    // The busybox image, built and pushed with registry-client.
    let img = tempfile::Builder::new()
        .prefix("dw-lbw-img-")
        .tempdir()
        .unwrap();
    let layout = img.path().join("layout");
    example_images::busybox_image("/bin/busybox")
        .ref_name("1")
        .build(&layout)
        .unwrap();
    let image = format!("{registry}/lbwatch-test/busybox:1");
    let reg = registry_client::Client::builder().build().unwrap();
    reg.push(&layout, &image.parse().unwrap()).await.unwrap();

    // Host-networked httpd tasks, a port per slot (random base so parallel runs do not clash).
    let name = format!("lbwatch-{:08x}", fastrand_u32());
    let base = 30_000 + fastrand_u32() % 2_000;
    let base = base / 10; // four digits: slots 1..4 make five-digit ports
    let control = Client::connect(&host).await.unwrap();
    let spec = serde_json::json!({
        "Name": name,
        "Labels": {"dockwright.test": "lbwatch"},
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": image,
                "Command": ["sh", "-c", "exec httpd -f -p 127.0.0.1:$PORT -h /"],
                "Env": [format!("PORT={base}{{{{.Task.Slot}}}}")],
                "StopGracePeriod": 1_000_000_000u64
            },
            "RestartPolicy": {"Condition": "any", "Delay": 200_000_000u64, "MaxAttempts": 0},
            "Networks": [{"Target": "host"}]
        },
        "Mode": {"Replicated": {"Replicas": 2}}
    });
    let _guard = ServiceGuard {
        host: host.clone(),
        name: name.clone(),
    };
    control
        .service_create(&spec, &CreateOptions::new())
        .await
        .unwrap();
    control
        .wait_converged(
            &name,
            WaitOptions::new()
                .window(Duration::ZERO)
                .timeout(Duration::from_secs(60)),
        )
        .await
        .unwrap();
    cut_stream_while_scaling(control, &host, &name, base).await;
}

fn fastrand_u32() -> u32 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    t.subsec_nanos() ^ std::process::id().rotate_left(16)
}
