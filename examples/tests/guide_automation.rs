//! "My automation deploys the web service and regenerates the LB config", tested against the
//! in-process fakes only (features `swarm-client/mock`, `lb-config/nginx`).

use std::collections::BTreeSet;
use std::time::Duration;

use lb_config::{Config, Location, Method, Server, Upstream};
use nfs_mount::{NfsMount, NfsVolume};
use swarm_client::Client;
use swarm_client::converge::WaitOptions;
use swarm_client::exec::{ExecOptions, NodeEndpoints};
use swarm_client::mock::{MockNode, MockSwarm};
use swarm_client::services::CreateOptions;
use swarm_client::spec::ServiceSpec;
use swarm_client::tasks::ServiceSlot;

type BoxResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

// ---- the automation under test (what you would ship) ----

/// Creates `swarm_nginx` (3 replicas, NFS content, host-mode port), waits for convergence and
/// returns the nginx config balancing over the nodes its tasks run on.
async fn deploy_web(
    client: &Client,
    image: &str,
    port: u16,
    wait: WaitOptions,
) -> BoxResult<String> {
    let www = NfsVolume::new("192.168.1.220".parse()?, "/www")?;
    let mount = NfsMount::builder(www, "/usr/share/nginx/html/")
        .source("nfs_nginx")
        .volume_nocopy(true)
        .build()?;
    let spec = ServiceSpec::builder("swarm_nginx", image)
        .replicas(3)
        .mount(mount.to_string().parse()?) // nfs-mount renders, swarm-client parses
        .publish(format!("mode=host,target=80,published={port}").parse()?)
        .build()?;
    client.service_create(&spec, &CreateOptions::new()).await?;
    client.wait_converged("swarm_nginx", wait).await?;

    // One upstream server per node that runs a task (host-mode ports: one per node).
    let addrs: BTreeSet<String> = client
        .service_placements("swarm_nginx")
        .await?
        .into_iter()
        .map(|p| p.node_addr)
        .collect();
    let mut upstream = Upstream::builder("loadbalance").method(Method::LeastConn);
    for addr in &addrs {
        upstream = upstream.server(format!("{addr}:{port}").parse()?);
    }
    let server = Server::builder()
        .listen("80".parse()?)
        .location(
            Location::builder("/")
                .proxy_pass_upstream("loadbalance")
                .build()?,
        )
        .build()?;
    Ok(Config::builder()
        .upstream(upstream.build()?)
        .server(server)
        .build()?
        .render())
}

/// `docker exec swarm_nginx_lb.1.<task> nginx -s reload`, wherever slot 1 runs.
async fn reload_lb(client: &Client, daemons: &NodeEndpoints) -> BoxResult<()> {
    let out = client
        .exec_in_task(
            &ServiceSlot::new("swarm_nginx_lb", 1)?,
            &ExecOptions::new(["nginx", "-s", "reload"]),
            daemons,
        )
        .await?;
    if out.exit_code != 0 {
        return Err(format!(
            "nginx -s reload exited {}: {}",
            out.exit_code,
            String::from_utf8_lossy(&out.output.stderr)
        )
        .into());
    }
    Ok(())
}

// ---- the tests ----

async fn cluster() -> (MockSwarm, Client) {
    let mock = MockSwarm::builder()
        .initialized(true)
        .node(MockNode::new("swarm-docker-w1", "127.0.0.2", "worker"))
        .node(MockNode::new("swarm-docker-w2", "127.0.0.3", "worker"))
        .task_delay(Duration::from_millis(50))
        .start()
        .await;
    let client = Client::connect(&mock.endpoint())
        .await
        .expect("connect to the fake");
    (mock, client)
}

fn quick() -> WaitOptions {
    WaitOptions::new()
        .window(Duration::from_millis(100))
        .timeout(Duration::from_secs(10))
}

#[tokio::test]
async fn deploys_with_the_nfs_mount_and_balances_over_the_nodes() {
    let (mock, client) = cluster().await;
    let conf = deploy_web(
        &client,
        "127.0.0.1:5000/dev1johndoe/nginx:latest",
        8080,
        quick(),
    )
    .await
    .expect("deploy");

    // What was sent is what `docker service create --mount … --publish …` sends.
    let svc = &mock.services()[0];
    let m = &svc["Spec"]["TaskTemplate"]["ContainerSpec"]["Mounts"][0];
    assert_eq!(
        m["VolumeOptions"]["DriverConfig"]["Options"]["o"],
        "addr=192.168.1.220"
    );
    assert_eq!(m["VolumeOptions"]["NoCopy"], true);
    assert_eq!(
        svc["Spec"]["EndpointSpec"]["Ports"][0]["PublishMode"],
        "host"
    );

    // The generated config lists each node once, least_conn.
    assert!(conf.contains("least_conn;"), "{conf}");
    for addr in ["127.0.0.1", "127.0.0.2", "127.0.0.3"] {
        assert_eq!(
            conf.matches(&format!("server {addr}:8080;")).count(),
            1,
            "{conf}"
        );
    }
}

#[tokio::test]
async fn a_missing_image_fails_the_deploy_with_the_image_name() {
    let mock = MockSwarm::builder()
        .initialized(true)
        .missing_image("127.0.0.1:5000/dev1johndoe/nginx:latest")
        .start()
        .await;
    let client = Client::connect(&mock.endpoint()).await.expect("connect");
    let err = deploy_web(
        &client,
        "127.0.0.1:5000/dev1johndoe/nginx:latest",
        8080,
        quick().timeout(Duration::from_secs(2)),
    )
    .await
    .expect_err("tasks are rejected");
    assert!(err.to_string().contains("No such image"), "{err}");
}

#[tokio::test]
async fn reloads_nginx_in_the_lb_task_and_reports_failure() {
    let (mock, client) = cluster().await;
    let lb = ServiceSpec::builder(
        "swarm_nginx_lb",
        "127.0.0.1:5000/dev1johndoe/nginx_lb:latest",
    )
    .replicas(1)
    .build()
    .expect("spec");
    client
        .service_create(&lb, &CreateOptions::new())
        .await
        .expect("create");
    client
        .wait_converged("swarm_nginx_lb", quick())
        .await
        .expect("converged");
    let mut daemons = NodeEndpoints::new();
    for node in client.node_list().await.expect("nodes") {
        daemons = daemons
            .with_endpoint(&node.id, &mock.endpoint())
            .expect("endpoint");
    }

    reload_lb(&client, &daemons).await.expect("reload");
    assert!(
        mock.execs()
            .iter()
            .any(|e| e.cmd == ["nginx", "-s", "reload"] && e.started)
    );

    // Fault: nginx rejects the reload.
    mock.set_exec_result(
        &["nginx", "-s", "reload"],
        "",
        "nginx: [emerg] unexpected \"}\"",
        1,
    );
    let err = reload_lb(&client, &daemons).await.expect_err("exit 1");
    assert!(err.to_string().contains("[emerg]"), "{err}");
}

#[tokio::test]
async fn private_image_needs_with_registry_auth() {
    use sdk_core::{Credentials, DockerConfig};
    let mock = MockSwarm::builder()
        .initialized(true)
        .private_registry("127.0.0.1:5000", "john", "s3cret")
        .start()
        .await;
    let client = Client::connect(&mock.endpoint()).await.expect("connect");
    let dir = tempfile::tempdir().expect("tmp");
    let mut config = DockerConfig::empty(dir.path().join("config.json"));
    config
        .store("127.0.0.1:5000", &Credentials::basic("john", "s3cret"))
        .expect("store");

    // docker service create --with-registry-auth …
    let spec = ServiceSpec::builder("swarm_nginx", "127.0.0.1:5000/dev1johndoe/nginx:latest")
        .replicas(3)
        .build()
        .expect("spec");
    let auth = config.registry_auth("127.0.0.1:5000").expect("auth");
    client
        .service_create(&spec, &CreateOptions::new().registry_auth(auth))
        .await
        .expect("create");
    client
        .wait_converged("swarm_nginx", quick())
        .await
        .expect("converged with auth");
    assert_eq!(mock.registry_auths()[0].1["username"], "john");
}
