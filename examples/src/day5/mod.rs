//! The `day5` program: the whole workshop workflow of day 5 as one program, step by step.
//!
//! Log in to a registry, build the web and load-balancer images (with the fakes: without a docker
//! daemon, as OCI layouts; with `--real`: `docker build` in the swarm manager's daemon, pushed
//! from it, see `day5::daemon`), tag and push them, initialise (or inspect) a swarm, create `swarm_nginx` (3 replicas) and wait for it to
//! converge, render a `least_conn` upstream over its tasks, create `swarm_nginx_lb`, write the
//! config and reload nginx in the task's container, show the balanced requests, clean up.
//!
//! Two modes:
//! - default: the in-process fakes (`registry_client::mock::MockRegistry` with basic auth and
//!   `swarm_client::mock::MockSwarm` with two workers); loopback only, no servers, a few seconds.
//! - `--real`: the servers `scripts/test` (or `scripts/dev-up`) starts, from the
//!   `DOCKWRIGHT_TEST_*` variables; NFS is replaced by bind mounts of local directories (the
//!   kernel has no NFS client and the seed's 192.168.1.220 is never contacted) and tasks use host
//!   networking with one port per slot.

mod daemon;
mod env;
mod lb;
mod output;
mod seed;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::cli::table::node_table;
use clap::Parser;
use lb_config::nginx::Applied;
use nfs_mount::{NfsMount, NfsVolume};
use registry_client::DockerConfig;
use registry_client::image::{ImageBuilder, ImageConfig, Layer};
use registry_client::reference::Reference;
use swarm_client::converge::{Progress, WaitOptions};
use swarm_client::mount::MountSpec;
use swarm_client::port::PortSpec;
use swarm_client::services::CreateOptions;
use swarm_client::spec::ServiceSpec;
use swarm_client::swarm::InitRequest;

pub use env::REAL_ENV_VARS;
use env::{Env, RealServers};
use output::Out;
pub use seed::{Error, NAMESPACE, Result, SEED_NFS_ADDR, STEPS, WELCOME};

/// Command line of `day5`.
#[derive(Debug, Parser)]
#[command(
    name = "day5",
    version,
    about = "Day 5 of the workshop as one program: registry login, tag and push, swarm, \
             replicated web service, nginx load balancer with a least_conn upstream, reload.",
    long_about = "Day 5 of the workshop as one program: log in to a registry, build the images \
                  (busybox httpd and nginx: without a docker daemon in the fake mode and with \
                  --no-daemon-build, else docker build in the swarm manager's daemon), tag and \
                  push them, init the \
                  swarm, create swarm_nginx (3 replicas) and wait for convergence, render the \
                  least_conn upstream over its tasks, create swarm_nginx_lb, write the config and \
                  reload nginx in its task container, show the balanced requests, clean up.\n\n\
                  By default everything runs against in-process fakes (MockRegistry, MockSwarm): \
                  no servers, no network other than loopback, a few seconds.",
    after_help = "--real reads the servers from the environment (start them with scripts/dev-up \
                  and `source` the env file it names; scripts/test sets them too):\n  \
                  DOCKWRIGHT_TEST_DOCKER_HOST         the swarm manager's daemon (unix://… or tcp://…)\n  \
                  DOCKWRIGHT_TEST_WORKER_DOCKER_HOST  the worker node's daemon (for exec on the worker)\n  \
                  DOCKWRIGHT_TEST_WORKER2_DOCKER_HOST the second worker's daemon (optional)\n  \
                  DOCKWRIGHT_TEST_AUTH_REGISTRY       host:port of the registry with htpasswd basic auth\n  \
                  DOCKWRIGHT_TEST_REGISTRY_USER       its user (unless --username)\n  \
                  DOCKWRIGHT_TEST_REGISTRY_PASSWORD   its password (unless --password-stdin)\n\
                  In --real mode NFS is not mounted (no kernel NFS client; 192.168.1.220 is never \
                  contacted): the content comes from bind mounts of local temporary directories, \
                  and tasks use host networking on 127.0.0.1 with a port per slot."
)]
pub struct Args {
    /// Use the real servers of scripts/test (see below) instead of the in-process fakes.
    #[arg(long)]
    pub real: bool,
    /// Keep the services running at the end (--real; the fakes always stop).
    #[arg(long)]
    pub keep: bool,
    /// With --real: deploy both services as one stack from examples/day5/stack-loopback.yml
    /// (swarm-stack, like `docker stack deploy`) instead of two `service create` steps.
    #[arg(long, requires = "real")]
    pub stack: bool,
    /// With --real: build the images without the Docker daemon (OCI layouts written from the
    /// host binaries and pushed from disk, as the fake mode does) instead of `docker build` in
    /// the swarm manager's daemon and a push from it.
    #[arg(long, requires = "real")]
    pub no_daemon_build: bool,
    /// Registry user (fake mode default: dev1johndoe; --real default:
    /// $DOCKWRIGHT_TEST_REGISTRY_USER).
    #[arg(long, short = 'u')]
    pub username: Option<String>,
    /// Read the registry password from stdin (fake mode default: a random one the fake registry
    /// is started with; --real default: $DOCKWRIGHT_TEST_REGISTRY_PASSWORD).
    #[arg(long)]
    pub password_stdin: bool,
    /// Requests sent through the load balancer in step 9.
    #[arg(long, default_value_t = 30)]
    pub requests: u32,
    /// The nginx binary the nginx_lb image is built from.
    #[arg(long, default_value = "/usr/sbin/nginx")]
    pub nginx: PathBuf,
    /// A static busybox the images are built from (package busybox-static).
    #[arg(long, default_value = "/bin/busybox")]
    pub busybox: PathBuf,
    /// Give up waiting for a service to converge after this many seconds.
    #[arg(long, default_value_t = 120)]
    pub timeout: u64,
}

/// What the run measured.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Summary {
    /// `(step title, duration)` for each step.
    pub steps: Vec<(String, Duration)>,
    /// The whole run.
    pub total: Duration,
}

/// Runs the workflow, printing each step on stdout.
///
/// # Errors
/// The first failing step's error (services created in `--real` mode are removed first, unless
/// `--keep`).
pub async fn run(args: Args) -> Result<Summary> {
    let started = Instant::now();
    let password = if args.password_stdin {
        let mut pw = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut pw)?;
        let pw = pw.trim_end_matches(['\n', '\r']).to_owned();
        if pw.is_empty() {
            return Err("--password-stdin: empty password on stdin".into());
        }
        Some(pw)
    } else {
        None
    };
    let real = if args.real {
        let servers = RealServers::from_env()?;
        for (tool, package) in [
            (&args.busybox, "busybox-static"),
            (&args.nginx, "nginx-light"),
        ] {
            if !tool.is_file() {
                return Err(format!(
                    "--real builds the images from {} (package {package}): not found",
                    tool.display()
                )
                .into());
            }
        }
        Some(servers)
    } else {
        None
    };
    let mut out = Out::new(STEPS);
    out.banner(real.is_some());
    let mut env = Env::start(real, args.username.clone(), password).await?;
    let result = workflow(&args, &mut env, &mut out).await;
    let cleanup = cleanup(&args, &mut env, &mut out).await;
    result?;
    cleanup?;
    let total = started.elapsed();
    out.summary(total, &env);
    Ok(Summary {
        steps: out.timings(),
        total,
    })
}

/// What `--stack` deployed in step 5.
struct Deployed {
    web_spec: ServiceSpec,
    web_id: String,
    lb_id: String,
}

/// `--real --stack`: both services from examples/day5/stack-loopback.yml as one stack, as
/// `docker stack deploy` would create them; waits until the stack converged.
#[allow(clippy::too_many_arguments)]
async fn deploy_stack(
    env: &Env,
    stack: &str,
    web_image: &Reference,
    lb_image: &Reference,
    auth: &swarm_client::RegistryAuth,
    registry: &str,
    args: &Args,
    out: &mut Out,
) -> Result<Deployed> {
    use swarm_stack::deploy::{DeployOptions, Event, ResolveImage, deploy};
    let files = tempfile::Builder::new().prefix("day5-stack-").tempdir()?;
    let yml = files.path().join("stack-loopback.yml");
    std::fs::write(&yml, include_str!("../../day5/stack-loopback.yml"))?;
    std::fs::write(
        files.path().join("httpd.conf"),
        include_str!("../../day5/httpd.conf"),
    )?;
    let www = env.web_content_dir(WELCOME, 3)?;
    let conf = env.lb_conf_dir()?;
    let vars = [
        ("WEB_IMAGE", web_image.to_string()),
        ("LB_IMAGE", lb_image.to_string()),
        ("WWW_DIR", www.display().to_string()),
        ("CONF_DIR", conf.display().to_string()),
        ("WEB_PORT_BASE", env.web_port_base().to_string()),
    ];
    out.cmd(&format!(
        "{} docker stack deploy --with-registry-auth --resolve-image never -c examples/day5/stack-loopback.yml {stack}",
        vars.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")
    ));
    out.info(&format!(
        "--stack: NFS is not mounted here (no kernel NFS client; {SEED_NFS_ADDR} is never contacted): {} and {} are bind-mounted, tasks use the host network on 127.0.0.1",
        www.display(),
        conf.display()
    ));
    let loader = swarm_stack::Loader::new(files.path().display().to_string())
        .envs(vars.iter().map(|(k, v)| ((*k).to_owned(), v.clone())))
        .file(swarm_stack::ComposeFile::read(&yml)?);
    let loaded = loader.load()?;
    let spec = swarm_stack::convert::convert(stack, &loaded.compose, &*loader.file_reader())?;
    let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = events.clone();
    let auth = auth.clone();
    let registry = registry.to_owned();
    let opts = DeployOptions::new()
        .resolve_image(ResolveImage::Never)
        .timeout(Duration::from_secs(args.timeout))
        .registry_auth(std::sync::Arc::new(move |image: &str| {
            image.starts_with(&registry).then(|| auth.clone())
        }))
        .on_event(move |e: &Event| {
            if !matches!(e, Event::Progress(_)) {
                sink.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(e.to_string());
            }
        });
    let report = deploy(&env.swarm, &spec, &opts).await?;
    for line in events
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
    {
        out.info(line);
    }
    let id = |key: &str| -> Result<String> {
        let name = &spec.services[key].name;
        report
            .service_ids
            .get(name)
            .cloned()
            .ok_or_else(|| format!("the stack deploy did not report {name}").into())
    };
    Ok(Deployed {
        web_spec: spec.services["swarm_nginx"].clone(),
        web_id: id("swarm_nginx")?,
        lb_id: id("swarm_nginx_lb")?,
    })
}

/// Where step 2 left the images.
enum Built {
    /// OCI layouts on disk (the fakes, `--no-daemon-build`).
    Layouts(Images),
    /// Tagged in the swarm manager's daemon (`--real`).
    Daemon(daemon::DaemonImages),
}

impl Built {
    /// Pushes the load-balancer (`lb`) or web image to `target`, printing `layout_cmd` (the
    /// workshop's command) for a layout, `docker tag LOCAL TARGET && docker push TARGET` for an
    /// image in the daemon.
    async fn push(
        &self,
        client: &registry_client::Client,
        lb: bool,
        target: &Reference,
        layout_cmd: &str,
        out: &mut Out,
    ) -> Result<registry_client::push::PushReport> {
        match self {
            Self::Layouts(i) => {
                out.cmd(layout_cmd);
                let dir = if lb { &i.lb_dir } else { &i.web_dir };
                Ok(client.push(dir, target).await?)
            }
            Self::Daemon(d) => {
                let local = if lb { &d.lb } else { &d.web };
                out.cmd(&format!(
                    "docker tag {local} {target} && docker push {target}"
                ));
                d.push(client, local, target).await
            }
        }
    }
}

/// Step 3: `nginx_lb:2.0` pushed, tagged `latest` in the registry and copied under the
/// namespace; the web image pushed under the namespace. Returns (lb image, web image).
async fn push_images(
    client: &registry_client::Client,
    registry: &str,
    images: &Built,
    out: &mut Out,
) -> Result<(Reference, Reference)> {
    let lb_20 = reference(&format!("{registry}/nginx_lb:2.0"))?;
    let layout_cmd = format!("docker push {lb_20}");
    let rep = images.push(client, true, &lb_20, &layout_cmd, out).await?;
    out.info(&format!(
        "pushed {} ({} blobs uploaded, {} bytes)",
        rep.digest, rep.uploaded, rep.bytes
    ));
    out.cmd("docker image tag nginx_lb:2.0 nginx_lb:latest");
    let latest_digest = client.tag(&lb_20, "latest").await?;
    out.info(&format!(
        "tagged {registry}/nginx_lb:latest → {latest_digest} (manifest only, no layer transfer)"
    ));
    let lb_latest = lb_20.with_tag("latest")?;
    let lb_image = reference(&format!("{registry}/{NAMESPACE}/nginx_lb:latest"))?;
    out.cmd(&format!(
        "docker tag nginx_lb:latest {NAMESPACE}/nginx_lb:latest && docker push {lb_image}"
    ));
    let rep = client.copy(&lb_latest, &lb_image).await?;
    out.info(&format!(
        "pushed {} ({} blobs: {} mounted from nginx_lb, {} uploaded, {} already there)",
        rep.digest,
        rep.mounted + rep.uploaded + rep.skipped,
        rep.mounted,
        rep.uploaded,
        rep.skipped
    ));
    let web_image = reference(&format!("{registry}/{NAMESPACE}/nginx:latest"))?;
    let layout_cmd =
        format!("docker tag johns_nginx:1.0 {NAMESPACE}/nginx:latest && docker push {web_image}");
    let rep = images
        .push(client, false, &web_image, &layout_cmd, out)
        .await?;
    out.info(&format!(
        "pushed {} ({} blobs uploaded, {} already there, {} bytes)",
        rep.digest, rep.uploaded, rep.skipped, rep.bytes
    ));
    let tags = client.list_tags(&lb_20, None).await?;
    out.info(&format!("tags of {registry}/nginx_lb: {}", tags.join(", ")));
    if !(tags.iter().any(|t| t == "2.0") && tags.iter().any(|t| t == "latest")) {
        return Err(format!("nginx_lb should have tags 2.0 and latest, has {tags:?}").into());
    }
    Ok((lb_image, web_image))
}

/// Images built in step 2 without a daemon.
struct Images {
    web_dir: PathBuf,
    lb_dir: PathBuf,
    _tmp: tempfile::TempDir,
}

async fn workflow(args: &Args, env: &mut Env, out: &mut Out) -> Result {
    // 1. docker login
    out.step("Log in to the registry");
    let registry = env.registry.clone();
    let user = env.username().to_owned();
    out.cmd(&format!(
        "docker login {registry} -u {user} --password-stdin"
    ));
    let config_dir = tempfile::Builder::new()
        .prefix("day5-docker-config-")
        .tempdir()?;
    let config_path = config_dir.path().join("config.json");
    {
        let probe = registry_client::Client::builder()
            .credentials(&registry, env.credentials.clone())
            .build()?;
        probe
            .ping(&registry)
            .await
            .map_err(|e| format!("login to {registry} as {user} failed: {e}"))?;
        let mut cfg = DockerConfig::empty(&config_path);
        cfg.store(&registry, &env.credentials)?;
        cfg.save()?;
    }
    // From here on, credentials come from the stored config, as the docker CLI would read them.
    let docker_config = DockerConfig::load_from(&config_path)?;
    let registry_auth = docker_config.registry_auth(&registry)?;
    let client = registry_client::Client::builder()
        .docker_config(docker_config)
        .build()?;
    out.info("Login Succeeded");
    out.info(&format!(
        "credentials stored in {} (a temporary DOCKER_CONFIG; ~/.docker is not touched)",
        config_path.display()
    ));
    out.done();

    // 2. build the images
    let images = match env.docker_host() {
        Some(host) if !args.no_daemon_build => {
            out.step("Build the images (docker build in the swarm manager's daemon)");
            let host = host.to_owned();
            let built = daemon::build(&env.swarm, &host, args, env.suffix(), out).await?;
            Built::Daemon(built)
        }
        _ => {
            out.step("Build the images (no docker daemon: OCI layouts from host binaries)");
            Built::Layouts(build_images(args, out).await?)
        }
    };
    out.done();

    // 3. tag and push
    out.step("Tag and push the images");
    let pushed = push_images(&client, &registry, &images, out).await;
    if let Built::Daemon(d) = images {
        // The daemon's copies are not needed any more: the swarm pulls from the registry.
        if args.keep {
            d.keep(out);
        } else {
            let removed = d.remove(out).await;
            if pushed.is_ok() {
                removed?;
            }
        }
    }
    let (lb_image, web_image) = pushed?;
    out.done();

    // 4. swarm
    let swarm = env.swarm.clone();
    if env.is_real() {
        out.step("Inspect the swarm (docker swarm init was done by scripts/test)");
        out.cmd("docker swarm join-token worker");
        let s = swarm.swarm_inspect().await?;
        out.info(
            "This node is already part of a swarm (the servers of scripts/test); not running init.",
        );
        out.info("To add a worker to this swarm, run the following command:");
        out.info(&format!(
            "    docker swarm join --token {} 127.0.0.1:2377",
            s.join_tokens.worker
        ));
    } else {
        out.step("Initialise the swarm");
        out.cmd("docker swarm init --advertise-addr 127.0.0.1");
        let id = swarm
            .swarm_init(&InitRequest::new("127.0.0.1:2377").advertise_addr("127.0.0.1"))
            .await?;
        out.info(&format!(
            "Swarm initialized: current node ({id}) is now a manager."
        ));
        let s = swarm.swarm_inspect().await?;
        out.info("To add a worker to this swarm, run the following command:");
        out.info(&format!(
            "    docker swarm join --token {} 127.0.0.1:2377",
            s.join_tokens.worker
        ));
        out.info("(fake: swarm-docker-w1 and swarm-docker-w2 join the MockSwarm at init)");
    }
    out.cmd("docker node ls");
    let nodes = swarm.node_list().await?;
    let me = swarm.local_node_id().await.ok();
    out.block(&node_table(&nodes, me.as_deref()));
    out.done();

    // 5. swarm_nginx
    out.step("Create swarm_nginx: 3 replicas with the NFS content");
    let web_volume = NfsVolume::new(SEED_NFS_ADDR.parse()?, "/www")?;
    let web_nfs = NfsMount::builder(web_volume, "/usr/share/nginx/html/")
        .source("nfs_nginx")
        .volume_nocopy(true)
        .build()?;
    let web_publish = "mode=host,target=80,published=8080";
    let web_name = env.service_name("swarm_nginx");
    out.cmd(&format!(
        "docker service create --mount '{web_nfs}' --replicas=3 --name {web_name} \
         --publish {web_publish} {NAMESPACE}/nginx"
    ));
    same_mount_as_seed(&web_nfs, SEED_WEB_MOUNT)?;
    out.info("(the same Engine API mount as the seed's --mount string, in nfs-mount's canonical field order)");
    let mut lb_id = None;
    let (web_spec, web_id) = if args.stack {
        let listen = format!("127.0.0.1:{}", env.lb_port());
        let conf_file = env.lb_conf_dir()?.join("default.conf");
        lb_config::nginx::write_atomic(&conf_file, lb::placeholder(&listen)?.render().as_bytes())?;
        // Set first: the stack is removed at the end even if the deploy fails half-way.
        let stack = env.service_name("day5");
        env.stack = Some(stack.clone());
        let d = deploy_stack(
            env,
            &stack,
            &web_image,
            &lb_image,
            &registry_auth,
            &registry,
            args,
            out,
        )
        .await?;
        lb_id = Some(d.lb_id);
        (d.web_spec, d.web_id)
    } else {
        let web_spec = if env.is_real() {
            let www = env.web_content_dir(WELCOME, 3)?;
            out.info(&format!(
                "--real: NFS is not mounted here (no kernel NFS client; {SEED_NFS_ADDR} is never contacted):"
            ));
            out.info(&format!(
                "  the content is a bind mount of {} standing in for the export, and each task",
                www.display()
            ));
            out.info(&format!(
                "  runs httpd with host networking on 127.0.0.1:{}<slot> instead of publishing 8080",
                env.web_port_base()
            ));
            let bind: MountSpec =
                format!("type=bind,source={},target=/www,readonly", www.display()).parse()?;
            ServiceSpec::builder(&web_name, web_image.to_string())
                .replicas(3)
                .network("host")
                .mount(bind)
                .env(format!("PORT={}{{{{.Task.Slot}}}}", env.web_port_base()))
                .env("SLOT={{.Task.Slot}}")
                .command(["sh", "-c", "exec httpd -f -p 127.0.0.1:$PORT -h /www/$SLOT"])
                .stop_grace_period(Duration::from_secs(1))
                .build()?
        } else {
            let nfs = MountSpec::try_from(&web_nfs)?;
            ServiceSpec::builder(&web_name, web_image.to_string())
                .replicas(3)
                .mount(nfs)
                .publish(web_publish.parse::<PortSpec>()?)
                .build()?
        };
        let created = swarm
            .service_create(
                &web_spec,
                &CreateOptions::new().registry_auth(registry_auth.clone()),
            )
            .await?;
        env.created(&web_name, &created.id);
        out.info(&format!(
            "{} (X-Registry-Auth sent for {registry})",
            created.id
        ));
        wait(&swarm, &created.id, args, env.is_real(), out).await?;
        (web_spec, created.id)
    };
    let web_name = web_spec.name.clone();
    if let Some(fake) = env.fake() {
        fake.check_web_service(&web_name, &web_nfs.to_string(), &registry, &user)?;
        out.info("(fake: the stored spec carries the NFS volume mount and the host-mode publish; MockSwarm mounts nothing)");
    }
    out.done();

    // 6. upstream over the tasks
    out.step("Render the least_conn upstream over the running tasks");
    out.cmd(&format!(
        "docker service ps {web_name} → upstream loadbalance {{ least_conn; server …; }}"
    ));
    let placements = swarm.service_placements(&web_id).await?;
    let servers = lb::backends(
        &placements,
        &web_spec,
        env.is_real().then(|| env.web_port_base()),
    )?;
    for (p, s) in placements.iter().zip(&servers) {
        out.info(&format!(
            "task {} slot {} on node {} {} ({}) → server {s}",
            short(&p.task_id),
            p.slot.map_or_else(|| "-".into(), |s| s.to_string()),
            short(&p.node_id),
            p.hostname,
            p.node_addr
        ));
    }
    let listen = if env.is_real() {
        format!("127.0.0.1:{}", env.lb_port())
    } else {
        "80".to_owned()
    };
    let config = lb::render(&servers, &listen)?;
    out.block(&config.render());
    out.done();

    // 7. swarm_nginx_lb
    out.step("Create swarm_nginx_lb: 1 replica with the nginx config share");
    let conf_dir = env.lb_conf_dir()?;
    let conf_file = conf_dir.join("default.conf");
    let lb_name = if let Some(id) = &lb_id {
        let name = swarm.service_inspect(id).await?.name().to_owned();
        out.info(&format!(
            "--stack: {name} was deployed with the stack in step 5 ({id}), with the old config in {}",
            conf_dir.display()
        ));
        name
    } else {
        // The LB starts with the old config (as in the seed: Bad Gateway until the reload).
        lb_config::nginx::write_atomic(&conf_file, lb::placeholder(&listen)?.render().as_bytes())?;
        let lb_volume = NfsVolume::new(SEED_NFS_ADDR.parse()?, "/www/nginx")?;
        let lb_nfs = NfsMount::builder(lb_volume, "/etc/nginx/")
            .source("nfs_nginx_lb")
            .volume_nocopy(true)
            .build()?;
        let lb_publish = "mode=host,target=80,published=80";
        let lb_name = env.service_name("swarm_nginx_lb");
        out.cmd(&format!(
            "docker service create --mount '{lb_nfs}' --replicas=1 --name {lb_name} \
         --publish {lb_publish} {NAMESPACE}/nginx_lb"
        ));
        same_mount_as_seed(&lb_nfs, SEED_LB_MOUNT)?;
        let lb_spec = if env.is_real() {
            out.info(&format!(
                "--real: {} is bind-mounted on /etc/nginx/conf.d (standing in for the NFS share);",
                conf_dir.display()
            ));
            out.info(&format!(
                "  nginx runs with host networking and listens on {listen}"
            ));
            let bind: MountSpec = format!(
                "type=bind,source={},target=/etc/nginx/conf.d",
                conf_dir.display()
            )
            .parse()?;
            ServiceSpec::builder(&lb_name, lb_image.to_string())
                .replicas(1)
                .network("host")
                .mount(bind)
                .stop_grace_period(Duration::from_secs(1))
                .build()?
        } else {
            let nfs = MountSpec::try_from(&lb_nfs)?;
            ServiceSpec::builder(&lb_name, lb_image.to_string())
                .replicas(1)
                .mount(nfs)
                .publish(lb_publish.parse::<PortSpec>()?)
                .build()?
        };
        let lb_created = swarm
            .service_create(
                &lb_spec,
                &CreateOptions::new().registry_auth(registry_auth.clone()),
            )
            .await?;
        env.created(&lb_name, &lb_created.id);
        out.info(&lb_created.id);
        wait(&swarm, &lb_created.id, args, env.is_real(), out).await?;
        lb_name
    };
    if env.is_real() {
        let (status, _) =
            lb::get_with_retry(env.lb_port(), Duration::from_secs(10), |s| s == 502).await?;
        out.info(&format!(
            "curl http://{listen}/ → {status} (the old config: Bad Gateway, as John saw)"
        ));
    }
    out.done();

    // 8. regenerate, write, reload
    out.step("Regenerate the config, write it to the share, reload nginx in the task");
    let placements = swarm.service_placements(&web_id).await?;
    let servers = lb::backends(
        &placements,
        &web_spec,
        env.is_real().then(|| env.web_port_base()),
    )?;
    let config = lb::render(&servers, &listen)?;
    // In --real mode nginx runs in a task whose workers this process cannot see, so the reload is
    // confirmed by a version marker: `GET /__dockwright/config` must answer the new config's hash
    // (old workers still answer for a moment after a reload; lb-config waits for 5 in a row).
    let (config, apply_opts) = if env.is_real() {
        let (marked, hash) = config.with_version_marker()?;
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], env.lb_port()));
        (
            marked,
            lb_config::nginx::ApplyOptions::new().confirm_marker(addr, hash),
        )
    } else {
        (config, lb_config::nginx::ApplyOptions::new())
    };
    let text = config.render();
    out.info(&format!(
        "{} servers from {} running tasks; writing {} (atomic rename)",
        servers.len(),
        placements.len(),
        conf_file.display()
    ));
    out.cmd(&format!(
        "docker exec {lb_name}.1.$(docker service ps -f 'name={lb_name}.1' {lb_name} -q --no-trunc | head -n1) nginx -s reload"
    ));
    let task_nginx = dockwright::lb::TaskNginx::new(
        swarm.clone(),
        &lb_name,
        &conf_file,
        env.node_endpoints().await?,
    )?;
    let applied = tokio::task::block_in_place(|| {
        lb_config::nginx::apply_with(
            &conf_file,
            text.as_bytes(),
            task_nginx.runner(),
            &apply_opts,
        )
    })?;
    for line in task_nginx.exec_log() {
        out.info(&line);
    }
    match applied {
        Applied::Reloaded { confirmed: true } if env.is_real() => out.info(
            "config written, nginx -t ok, nginx reloaded; confirmed: the marker answered the new \
             hash 5 times in a row and no old worker accepts connections any more",
        ),
        Applied::Reloaded { .. } => out.info("config written, nginx -t ok, nginx reloaded"),
        Applied::Unchanged => {
            return Err("the new config equals the old one: nothing was reloaded".into());
        }
        _ => out.info(&format!("{applied:?}")),
    }
    if let Some(fake) = env.fake() {
        let rec = fake.check_reload()?;
        out.info(&format!(
            "(fake: MockSwarm recorded the exec `{}` in container {})",
            rec.join(" "),
            short(&fake.lb_container()?)
        ));
    } else {
        let (status, _) =
            lb::get_with_retry(env.lb_port(), Duration::from_secs(10), |s| s == 200).await?;
        out.info(&format!(
            "curl http://{listen}/ → {status}: the new config is live"
        ));
    }
    out.done();

    // 9. balanced requests
    out.step("Show the balanced requests");
    let n = args.requests;
    if env.is_real() {
        out.cmd(&format!(
            "for i in $(seq {n}); do curl -s http://{listen}/; done | sort | uniq -c"
        ));
        let counts = lb::count_backends(env.lb_port(), n).await?;
        for (body, c) in &counts {
            out.info(&format!("{c:>4} × {body}"));
        }
        if counts.len() < 3 {
            return Err(format!(
                "only {} of 3 backends answered through the load balancer: {counts:?}",
                counts.len()
            )
            .into());
        }
        out.info(&format!("all 3 backends served ({n} requests)"));
    } else {
        out.cmd(&format!(
            "for i in $(seq {n}); do curl -s http://<lb>/; done"
        ));
        out.info("fake mode runs no containers, so no request is sent. The plan nginx follows for");
        out.info(&format!(
            "{n} sequential requests (least_conn with no concurrent connections = weighted round robin), simulated from the config:"
        ));
        for (server, c) in lb::simulate(&text, n)? {
            out.info(&format!("{c:>4} → {server}"));
        }
    }
    out.done();
    Ok(())
}

async fn cleanup(args: &Args, env: &mut Env, out: &mut Out) -> Result {
    out.step("Clean up");
    let r = if env.is_real() && args.keep {
        for (name, _) in env.services() {
            out.info(&format!(
                "--keep: {name} left running (docker service rm {name})"
            ));
        }
        env.forget_services();
        Ok(())
    } else {
        let names: Vec<String> = env.services().iter().map(|(n, _)| n.clone()).collect();
        if !names.is_empty() {
            out.cmd(&format!("docker service rm {}", names.join(" ")));
        }
        let r = env.remove_services().await;
        if env.is_real() {
            out.info("services removed; temporary directories removed");
        } else {
            out.info("the fakes stop when the program ends; temporary directories removed");
        }
        r
    };
    out.done();
    r
}

async fn build_images(args: &Args, out: &mut Out) -> Result<Images> {
    let tmp = tempfile::Builder::new().prefix("day5-images-").tempdir()?;
    let web_dir = tmp.path().join("johns_nginx");
    let lb_dir = tmp.path().join("nginx_lb");
    // `run` already refused --real without both tools; with the fakes a missing one gets a
    // stand-in.
    let have_busybox = args.busybox.is_file();
    let have_nginx = args.nginx.is_file();
    let index = format!("<h1>{WELCOME}</h1>\n");
    let content = Layer::new().bytes("usr/share/nginx/html/index.html", index, 0o644);
    let web = if have_busybox {
        out.cmd(&format!(
            "docker build -t johns_nginx:1.0 .   # busybox httpd from {}",
            args.busybox.display()
        ));
        example_images::busybox_image(&args.busybox)
            .layer(content)
            .with_config(|c| {
                c.cmd(["httpd", "-f", "-p", "80", "-h", "/usr/share/nginx/html"])
                    .expose("80/tcp")
            })
    } else {
        out.cmd("docker build -t johns_nginx:1.0 .");
        out.info(&format!(
            "fake mode: {} not found (install busybox-static): building a stand-in image with the content only",
            args.busybox.display()
        ));
        ImageBuilder::new()
            .config(ImageConfig::new().cmd([
                "httpd",
                "-f",
                "-p",
                "80",
                "-h",
                "/usr/share/nginx/html",
            ]))
            .layer(content)
    };
    let lb = if have_busybox && have_nginx {
        out.cmd(&format!(
            "docker build -t nginx_lb:2.0 .   # nginx from {} + its libraries (ldd)",
            args.nginx.display()
        ));
        example_images::nginx_image_from_host(&args.nginx, &args.busybox)?
    } else {
        out.cmd("docker build -t nginx_lb:2.0 .");
        out.info(&format!(
            "fake mode: {} not found (install nginx-light): building a busybox-based stand-in for the nginx_lb image",
            if have_nginx { args.busybox.display() } else { args.nginx.display() }
        ));
        let base = if have_busybox {
            example_images::busybox_image(&args.busybox)
        } else {
            ImageBuilder::new()
        };
        base.layer(Layer::new().bytes(
            "etc/nginx/nginx.conf",
            example_images::DEFAULT_NGINX_CONF,
            0o644,
        ))
        .with_config(|c| c.cmd(["sh", "-c", "echo nginx stand-in; exec sleep 2147483647"]))
    };
    let (wd, ld) = (web_dir.clone(), lb_dir.clone());
    let (web, lb) = tokio::task::spawn_blocking(move || {
        let w = web.ref_name("1.0").build(&wd)?;
        let l = lb.ref_name("2.0").build(&ld)?;
        Ok::<_, registry_client::image::ImageError>((w, l))
    })
    .await??;
    for (name, img) in [("johns_nginx:1.0", &web), ("nginx_lb:2.0", &lb)] {
        let size: u64 = img.layers.iter().map(|l| l.size).sum::<u64>() + img.config_size;
        out.info(&format!(
            "{name:<16} {} ({} blobs, {:.1} MB)",
            img.manifest_digest,
            img.layers.len() + 1,
            size as f64 / 1e6
        ));
    }
    Ok(Images {
        web_dir,
        lb_dir,
        _tmp: tmp,
    })
}

async fn wait(
    swarm: &swarm_client::Client,
    id: &str,
    args: &Args,
    real: bool,
    out: &Out,
) -> Result {
    let printer = out.progress_printer();
    let window = if real {
        Duration::from_secs(1)
    } else {
        Duration::from_millis(50)
    };
    let opts = WaitOptions::new()
        .window(window)
        .timeout(Duration::from_secs(args.timeout))
        .poll_interval(if real {
            Duration::from_millis(100)
        } else {
            Duration::from_millis(10)
        })
        .on_progress(move |p: &Progress| printer(p));
    let c = swarm.wait_converged(id, opts).await?;
    out.info(&format!(
        "converged: {}/{} tasks running after {:.2}s",
        c.running,
        c.desired,
        c.elapsed.as_secs_f64()
    ));
    Ok(())
}

/// The `--mount` of the seed's `swarm_nginx`.
pub const SEED_WEB_MOUNT: &str = "type=volume,volume-opt=o=addr=192.168.1.220,volume-opt=device=:/www,\
     volume-opt=type=nfs,source=nfs_nginx,target=/usr/share/nginx/html/,volume-nocopy=true";
/// The `--mount` of the seed's `swarm_nginx_lb`.
pub const SEED_LB_MOUNT: &str = "type=volume,volume-opt=o=addr=192.168.1.220,volume-opt=device=:/www/nginx,\
     volume-opt=type=nfs,source=nfs_nginx_lb,target=/etc/nginx/,volume-nocopy=true";

/// Checks that the mount built with nfs-mount is the seed's (as swarm-client parses both).
fn same_mount_as_seed(built: &NfsMount, seed: &str) -> Result {
    let ours = MountSpec::try_from(built)?;
    let theirs: MountSpec = seed.parse()?;
    if ours.mount() != theirs.mount() {
        return Err(format!("the built --mount `{built}` differs from the seed's `{seed}`").into());
    }
    Ok(())
}

fn reference(s: &str) -> Result<Reference> {
    Ok(Reference::parse(s).map_err(|e| format!("invalid reference {s:?}: {e}"))?)
}

fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}
