//! "My deploy program takes the operator's docker flags as they are": the day-5 web service
//! created from the argument list that follows `docker service create` in the seed, through
//! `swarm_client::flags`, then updated the same way; tested against the in-process fake
//! (feature `swarm-client/mock`).

use std::time::Duration;

use sdk_core::DockerConfig;
use swarm_client::Client;
use swarm_client::converge::WaitOptions;
use swarm_client::flags::{CreateFlags, FlagsError};
use swarm_client::mock::MockSwarm;

type BoxResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// What the operator typed after `docker service create` on day 5.
const WEB_SERVICE: &[&str] = &[
    "--mount",
    "type=volume,volume-opt=o=addr=192.168.1.220,volume-opt=device=:/www,\
     volume-opt=type=nfs,source=nfs_nginx,target=/usr/share/nginx/html/,volume-nocopy=true",
    "--replicas=3",
    "--name",
    "swarm_nginx",
    "--publish",
    "mode=host,target=80,published=8080",
    "--with-registry-auth",
    "dev1johndoe/nginx",
];

// ---- the program under test (what you would ship) ----

/// `docker service create ARGS…` and `docker service update ARGS…`: the flags mean what they
/// mean to docker; like the CLI, it waits for convergence unless `-d` is given.
async fn docker_service(
    client: &Client,
    config: &DockerConfig,
    command: &str,
    args: &[&str],
    wait: WaitOptions,
) -> BoxResult<String> {
    let (id, detach) = match command {
        "create" => {
            let (flags, created) = client.service_create_from_args(args, Some(config)).await?;
            for w in &created.warnings {
                eprintln!("{w}");
            }
            (created.id, flags.common.detach == Some(true))
        }
        "update" => {
            let (flags, updated) = client.service_update_from_args(args, Some(config)).await?;
            (updated.id, flags.common.detach == Some(true))
        }
        other => return Err(format!("unknown command {other}").into()),
    };
    if !detach {
        client.wait_converged(&id, wait).await?;
    }
    Ok(id)
}

// ---- its test ----

#[tokio::test]
async fn the_web_service_deploys_from_the_seeds_docker_flags() -> BoxResult<()> {
    let digest = "sha256:a8e1e0e72249c63c6d7d24bc6383ae9fb8cc53e08790a0fb0ee74f9e9a75ece2";
    let mock = MockSwarm::builder()
        .preset_day5()
        .initialized(true)
        .task_delay(Duration::from_millis(20))
        // The registry resolves the tag to this digest (`docker service create` pins it).
        .image("dev1johndoe/nginx:latest", digest)
        .start()
        .await;
    let client = Client::connect(&mock.endpoint()).await?;
    // The operator's ~/.docker/config.json (`docker login` as dev1johndoe), here in memory.
    let config = DockerConfig::parse(
        "/home/operator/.docker/config.json",
        r#"{"auths": {"https://index.docker.io/v1/": {"auth": "ZGV2MWpvaG5kb2U6czNjcmV0"}}}"#,
    )?;
    let wait = || WaitOptions::new().window(Duration::from_millis(100));

    docker_service(&client, &config, "create", WEB_SERVICE, wait()).await?;

    // The spec docker would have sent: 3 replicas, the NFS volume, the host-mode port, the
    // image pinned to its digest.
    let svc = client.service_inspect("swarm_nginx").await?;
    assert_eq!(svc.spec.mode.replicas(), Some(3));
    let container = svc.spec.container().expect("a container spec");
    assert_eq!(
        container.image,
        format!("dev1johndoe/nginx:latest@{digest}")
    );
    let mount = &container.mounts[0];
    assert_eq!(
        (mount.source.as_str(), mount.target.as_str()),
        ("nfs_nginx", "/usr/share/nginx/html/")
    );
    let nfs = mount
        .volume_options
        .as_ref()
        .and_then(|v| v.driver_config.as_ref());
    assert_eq!(
        nfs.and_then(|d| d.options.get("o")).map(String::as_str),
        Some("addr=192.168.1.220")
    );
    let port = &svc.spec.endpoint_spec.as_ref().expect("an endpoint").ports[0];
    assert_eq!((port.target_port, port.published_port), (80, 8080));
    // `--with-registry-auth`: the nodes got the operator's credentials.
    let auths = mock.registry_auths();
    assert_eq!(auths[0].0, "swarm_nginx");
    assert_eq!(auths[0].1["username"], "dev1johndoe");
    // Three tasks run.
    assert_eq!(client.service_placements("swarm_nginx").await?.len(), 3);

    // The same arguments build the same spec offline (no digest: like `--no-resolve-image`).
    let offline = CreateFlags::parse(WEB_SERVICE.iter().copied())?.to_spec()?;
    assert_eq!(
        offline.container().map(|c| c.mounts.clone()),
        Some(container.mounts.clone())
    );

    // docker service update --env-add, -d: changed without waiting.
    docker_service(
        &client,
        &config,
        "update",
        &["--env-add", "NGINX_PORT=80", "-d", "swarm_nginx"],
        wait(),
    )
    .await?;
    let svc = client.service_inspect("swarm_nginx").await?;
    assert_eq!(
        svc.spec.container().map(|c| c.env.clone()),
        Some(vec!["NGINX_PORT=80".to_owned()])
    );

    // What docker refuses is refused with docker's words, and nothing is sent.
    let err = docker_service(
        &client,
        &config,
        "create",
        &["--replicas", "three", "x"],
        wait(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid argument \"three\" for \"--replicas\" flag: strconv.ParseUint: parsing \"three\": invalid syntax"
    );
    let err = client
        .service_create_from_args(["--mode", "global-job", "--update-delay", "1s", "x"], None)
        .await
        .unwrap_err();
    assert!(matches!(err, FlagsError::Rejected(_)), "{err}");
    assert_eq!(mock.services().len(), 1);
    Ok(())
}
