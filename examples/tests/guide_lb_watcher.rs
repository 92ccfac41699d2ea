//! A program of your own that keeps an nginx load balancer in front of a swarm service: the
//! `dockwright` crate's watcher turns the service's running tasks into an `upstream { least_conn;
//! server …; }`, applies it, and follows the service as it scales. Here it runs against the
//! in-process fake swarm and an nginx stand-in (no servers); against a real swarm only the
//! client and the apply target change (see the guide).

use std::ops::ControlFlow;
use std::time::Duration;

use dockwright::lb::{Backends, Balancer, Cause, Kept, LbWatcher, LocalNginx, PortRule, Report};
use lb_config::Method;
use lb_config::nginx::RecordingRunner;
use swarm_client::Client;
use swarm_client::converge::WaitOptions;
use swarm_client::mock::{MockNode, MockSwarm};
use swarm_client::services::CreateOptions;
use swarm_client::spec::ServiceSpec;

/// The upstream's `server ADDR;` lines of the config file.
fn servers(conf: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(conf)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("server ") && l.ends_with(';'))
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_upstream_follows_the_service() -> Result<(), Box<dyn std::error::Error>> {
    // A swarm with a second node, and the day-5 web service: host networking, a port per slot.
    let mock = MockSwarm::builder()
        .initialized(true)
        .node(MockNode::new("swarm-docker-w1", "127.0.0.2", "worker"))
        .task_delay(Duration::from_millis(20))
        .start()
        .await;
    let swarm = Client::connect(&mock.endpoint()).await?;
    let web = ServiceSpec::builder("swarm_nginx", "127.0.0.1:5000/dev1johndoe/nginx:latest")
        .replicas(2)
        .env("PORT=808{{.Task.Slot}}")
        .network("host")
        .build()?;
    swarm.service_create(&web, &CreateOptions::new()).await?;
    let converged = WaitOptions::new()
        .window(Duration::ZERO)
        .timeout(Duration::from_secs(20));
    swarm
        .wait_converged("swarm_nginx", converged.clone())
        .await?;

    // The watcher: tasks → `server 127.0.0.1:808N;`, least_conn, written to a file and
    // "reloaded" by the stand-in (use lb_config::nginx::Nginx for the real binary, or
    // dockwright::lb::TaskNginx for nginx inside a swarm task).
    let dir = tempfile::tempdir()?;
    let conf = dir.path().join("loadbalance.conf");
    let watcher = LbWatcher::builder(
        swarm.clone(),
        "swarm_nginx",
        LocalNginx::new(&conf, RecordingRunner::new().check_file(&conf)),
    )
    .backends(Backends::new(PortRule::PerSlot { base: 808 }).addr([127, 0, 0, 1].into()))
    .balancer(Balancer::new("loadbalance").method(Method::LeastConn))
    .debounce(Duration::from_millis(100))
    .resync(Some(Duration::from_secs(30)))
    .build();

    // Run it; stop after the apply that follows the scale to 3, or when the service has no
    // task left (then the last good config stays).
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let run = tokio::spawn(async move {
        watcher
            .run(move |report| {
                println!("{report:?}");
                let _ = tx.send(report.clone());
                match report {
                    Report::Kept {
                        reason: Kept::NoRunningTasks,
                        ..
                    } => ControlFlow::Break(()),
                    _ => ControlFlow::Continue(()),
                }
            })
            .await
    });

    // The first apply: two servers.
    let first = rx.recv().await.ok_or("watcher stopped")?;
    assert!(
        matches!(
            first,
            Report::Applied {
                cause: Cause::Start,
                ..
            }
        ),
        "{first:?}"
    );
    assert_eq!(
        servers(&conf),
        ["server 127.0.0.1:8081;", "server 127.0.0.1:8082;"]
    );

    // docker service scale swarm_nginx=3: the watcher sees the events and applies three.
    swarm.service_scale("swarm_nginx", 3).await?;
    loop {
        let r = rx.recv().await.ok_or("watcher stopped")?;
        if matches!(&r, Report::Applied { servers, .. } if servers.len() == 3) {
            break;
        }
    }
    assert_eq!(servers(&conf).len(), 3);

    // Scaled to zero: nginx keeps the last good config (an empty upstream is not valid nginx).
    swarm.service_scale("swarm_nginx", 0).await?;
    run.await??;
    assert_eq!(servers(&conf).len(), 3);
    Ok(())
}
