//! A user's test: "my automation deploys a service and regenerates the LB config".
//!
//! Written only against the crates' public APIs and their `mock` fakes, as a user of dockwright
//! would test their own automation: no servers, loopback only.

use std::path::Path;
use std::time::Duration;

use lb_config::{Config, Location, Method, Server, Upstream};
use registry_client::image::{ImageBuilder, ImageConfig, Layer};
use registry_client::mock::MockRegistry;
use registry_client::reference::Reference;
use registry_client::{Credentials, DockerConfig};
use serde_json::Value;
use swarm_client::RegistryAuth;
use swarm_client::converge::WaitOptions;
use swarm_client::mock::{MockNode, MockSwarm};
use swarm_client::services::CreateOptions;
use swarm_client::spec::ServiceSpec;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The user's automation: push the image, deploy it as a replicated service publishing port 8080
/// on each node, wait until it converged, and render the nginx config over the running tasks.
async fn deploy_and_regen(
    registry: &registry_client::Client,
    swarm: &swarm_client::Client,
    image_dir: &Path,
    image: &Reference,
    auth: Option<RegistryAuth>,
    service: &str,
    replicas: u64,
) -> Result<String, BoxError> {
    registry.push(image_dir, image).await?;
    let spec = ServiceSpec::builder(service, image.to_string())
        .replicas(replicas)
        .publish("mode=host,target=80,published=8080".parse()?)
        .build()?;
    let mut opts = CreateOptions::new();
    if let Some(auth) = auth {
        opts = opts.registry_auth(auth);
    }
    let created = swarm.service_create(&spec, &opts).await?;
    swarm
        .wait_converged(
            &created.id,
            WaitOptions::new()
                .window(Duration::from_millis(50))
                .timeout(Duration::from_secs(3)),
        )
        .await?;
    let mut upstream = Upstream::builder("loadbalance").method(Method::LeastConn);
    for task in swarm.service_placements(&created.id).await? {
        upstream = upstream.server(format!("{}:8080", task.node_addr).parse()?);
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

/// A small image (no host binaries needed).
fn build_image(dir: &Path) -> Result<(), BoxError> {
    ImageBuilder::new()
        .config(ImageConfig::new().cmd(["httpd", "-f", "-p", "80"]))
        .layer(Layer::new().bytes("www/index.html", "hello from my app\n", 0o644))
        .ref_name("1.0")
        .build(dir)?;
    Ok(())
}

struct Setup {
    registry: MockRegistry,
    swarm: MockSwarm,
    registry_client: registry_client::Client,
    swarm_client: swarm_client::Client,
    image: Reference,
    auth: RegistryAuth,
    _tmp: tempfile::TempDir,
}

async fn setup() -> Setup {
    let registry = MockRegistry::builder()
        .basic_auth("ci-bot", "ci-password")
        .start()
        .await;
    let swarm = MockSwarm::builder()
        .initialized(true)
        .node(MockNode::new("worker-1", "127.0.0.2", "worker"))
        .node(MockNode::new("worker-2", "127.0.0.3", "worker"))
        .private_registry(registry.host(), "ci-bot", "ci-password")
        .task_delay(Duration::from_millis(10))
        .start()
        .await;
    let tmp = tempfile::tempdir().unwrap();
    // My automation reads credentials from a docker config, as `docker login` leaves them.
    let mut config = DockerConfig::empty(tmp.path().join("config.json"));
    config
        .store(
            &registry.host(),
            &Credentials::basic("ci-bot", "ci-password"),
        )
        .unwrap();
    config.save().unwrap();
    let config = DockerConfig::load_from(tmp.path().join("config.json")).unwrap();
    let auth = config.registry_auth(&registry.host()).unwrap();
    let registry_client = registry_client::Client::builder()
        .docker_config(config)
        .build()
        .unwrap();
    let swarm_client = swarm_client::Client::connect(&swarm.endpoint())
        .await
        .unwrap();
    let image = Reference::parse(&format!("{}/team/web:1.0", registry.host())).unwrap();
    Setup {
        registry,
        swarm,
        registry_client,
        swarm_client,
        image,
        auth,
        _tmp: tmp,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn my_automation_deploys_a_service_and_regenerates_the_lb_config() {
    let s = setup().await;
    build_image(&s._tmp.path().join("oci")).unwrap();
    let text = deploy_and_regen(
        &s.registry_client,
        &s.swarm_client,
        &s._tmp.path().join("oci"),
        &s.image,
        Some(s.auth.clone()),
        "web",
        3,
    )
    .await
    .unwrap();

    // The image is in the registry, pushed with Basic auth (recorded redacted).
    let manifest = s
        .registry
        .manifest("team/web", "1.0")
        .expect("manifest pushed");
    assert!(manifest.digest.starts_with("sha256:"));
    let put = s
        .registry
        .requests()
        .into_iter()
        .find(|r| r.method == "PUT" && r.path == "/v2/team/web/manifests/1.0")
        .expect("manifest PUT recorded");
    assert_eq!(put.header("authorization"), Some("Basic <redacted>"));

    // The service was created with X-Registry-Auth carrying my credentials for that registry.
    let auths = s.swarm.registry_auths();
    let (name, auth) = auths.first().expect("X-Registry-Auth sent");
    assert_eq!(name, "web");
    assert_eq!(auth["username"], "ci-bot");
    assert_eq!(auth["password"], "ci-password");
    assert_eq!(auth["serveraddress"], s.registry.host().as_str());
    let create = s
        .swarm
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/services/create"))
        .expect("create recorded");
    let header = create.header("x-registry-auth").expect("header recorded");
    assert!(
        !header.contains("ci-password"),
        "recorded unredacted: {header}"
    );

    // The spec is what my automation meant.
    let services = s.swarm.services();
    assert_eq!(services.len(), 1);
    let spec = &services[0]["Spec"];
    assert_eq!(spec["Name"], "web");
    assert_eq!(spec["Mode"]["Replicated"]["Replicas"], 3);
    assert_eq!(
        spec["TaskTemplate"]["ContainerSpec"]["Image"],
        s.image.to_string().as_str()
    );
    let port = &spec["EndpointSpec"]["Ports"][0];
    assert_eq!(port["TargetPort"], 80);
    assert_eq!(port["PublishedPort"], 8080);
    assert_eq!(port["PublishMode"], "host");

    // The upstream has least_conn and every running task's node, on the published port.
    let tasks = s.swarm.tasks();
    let running: Vec<&Value> = tasks
        .iter()
        .filter(|t| t["Status"]["State"] == "running")
        .collect();
    assert_eq!(running.len(), 3, "{tasks:?}");
    assert!(text.contains("least_conn;"), "{text}");
    let nodes = s.swarm_client.node_list().await.unwrap();
    for t in running {
        let node = nodes
            .iter()
            .find(|n| n.id == t["NodeID"].as_str().unwrap_or_default())
            .expect("task's node");
        let line = format!("server {}:8080;", node.status.addr);
        assert!(text.contains(&line), "{line} missing:\n{text}");
    }
    assert_eq!(text.matches("    server ").count(), 3, "{text}");
    // What my automation renders, lb-config parses back unchanged.
    assert_eq!(text.parse::<Config>().unwrap().render(), text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_registry_auth_the_private_image_never_runs() {
    let s = setup().await;
    build_image(&s._tmp.path().join("oci")).unwrap();
    let err = deploy_and_regen(
        &s.registry_client,
        &s.swarm_client,
        &s._tmp.path().join("oci"),
        &s.image,
        None,
        "web",
        2,
    )
    .await
    .unwrap_err();
    let err = err
        .downcast::<swarm_client::Error>()
        .expect("a swarm-client error");
    let swarm_client::Error::NotConverged(nc) = *err else {
        panic!("expected NotConverged, got {err}");
    };
    assert_eq!(nc.running, 0);
    assert_eq!(nc.missing_image(), Some(s.image.to_string().as_str()));
    assert!(s.swarm.registry_auths().is_empty());
}
