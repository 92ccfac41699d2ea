//! Where day5 runs: the in-process fakes, or the real servers of `scripts/test`.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use registry_client::Credentials;
use registry_client::mock::MockRegistry;
use serde_json::Value;
use swarm_client::exec::NodeEndpoints;
use swarm_client::mock::{MockNode, MockSwarm};

use super::seed::{Result, SEED_NFS_ADDR, fake_credentials};

/// The variables `day5 --real` reads.
pub const REAL_ENV_VARS: &[&str] = &[
    "DOCKWRIGHT_TEST_DOCKER_HOST",
    "DOCKWRIGHT_TEST_WORKER_DOCKER_HOST",
    "DOCKWRIGHT_TEST_AUTH_REGISTRY",
    "DOCKWRIGHT_TEST_REGISTRY_USER",
    "DOCKWRIGHT_TEST_REGISTRY_PASSWORD",
];

/// The real servers, from the environment.
#[derive(Clone)]
pub(crate) struct RealServers {
    docker_host: String,
    worker_host: String,
    /// The second worker of scripts/test (`DOCKWRIGHT_TEST_WORKER2_DOCKER_HOST`), if set.
    worker2_host: Option<String>,
    registry: String,
    user: String,
    password: String,
}

impl std::fmt::Debug for RealServers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RealServers")
            .field("docker_host", &self.docker_host)
            .field("worker_host", &self.worker_host)
            .field("worker2_host", &self.worker2_host)
            .field("registry", &self.registry)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl RealServers {
    /// Reads [`REAL_ENV_VARS`].
    pub(crate) fn from_env() -> Result<Self> {
        let missing: Vec<&str> = REAL_ENV_VARS
            .iter()
            .copied()
            .filter(|k| std::env::var(k).map_or(true, |v| v.is_empty()))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "--real needs {} set: start the servers with scripts/dev-up and `source` the env file it names (or run scripts/test)",
                missing.join(", ")
            )
            .into());
        }
        let get = |k: &str| std::env::var(k).unwrap_or_default();
        Ok(Self {
            docker_host: get("DOCKWRIGHT_TEST_DOCKER_HOST"),
            worker_host: get("DOCKWRIGHT_TEST_WORKER_DOCKER_HOST"),
            worker2_host: std::env::var("DOCKWRIGHT_TEST_WORKER2_DOCKER_HOST")
                .ok()
                .filter(|v| !v.is_empty()),
            registry: get("DOCKWRIGHT_TEST_AUTH_REGISTRY"),
            user: get("DOCKWRIGHT_TEST_REGISTRY_USER"),
            password: get("DOCKWRIGHT_TEST_REGISTRY_PASSWORD"),
        })
    }
}

/// The fakes of the default mode.
pub(crate) struct Fakes {
    _registry: MockRegistry,
    swarm: MockSwarm,
}

enum Mode {
    Fake(Fakes),
    Real(RealServers),
}

/// Removes real services with the docker CLI when day5 ends without its own cleanup (a panic).
struct ServiceGuard {
    host: Option<String>,
    names: Vec<String>,
}

impl Drop for ServiceGuard {
    fn drop(&mut self) {
        if let Some(host) = &self.host
            && !self.names.is_empty()
        {
            let _ = Command::new("docker")
                .args(["-H", host, "service", "rm"])
                .args(&self.names)
                .output();
        }
    }
}

/// The servers day5 talks to, and what it created.
pub(crate) struct Env {
    /// `host:port` of the registry.
    pub(crate) registry: String,
    /// The login credentials.
    pub(crate) credentials: Credentials,
    /// The swarm manager.
    pub(crate) swarm: swarm_client::Client,
    user: String,
    mode: Mode,
    suffix: String,
    services: Vec<(String, String)>,
    guard: ServiceGuard,
    /// `--stack`: the stack deployed (removed with its config at the end).
    pub(crate) stack: Option<String>,
    web_port_base: u16,
    lb_port: u16,
    dirs: tempfile::TempDir,
}

impl Env {
    /// Starts the fakes, or connects to the real servers.
    pub(crate) async fn start(
        real: Option<RealServers>,
        user: Option<String>,
        password: Option<String>,
    ) -> Result<Self> {
        let dirs = tempfile::Builder::new().prefix("day5-").tempdir()?;
        match real {
            None => {
                let (user, credentials, password) = fake_credentials(user, password);
                let registry = MockRegistry::builder()
                    .basic_auth(&user, &password)
                    .start()
                    .await;
                let host = registry.host();
                let swarm = MockSwarm::builder()
                    .node(MockNode::new("swarm-docker-w1", "127.0.0.2", "worker"))
                    .node(MockNode::new("swarm-docker-w2", "127.0.0.3", "worker"))
                    .private_registry(&host, &user, &password)
                    .task_delay(Duration::from_millis(15))
                    .start()
                    .await;
                let client = swarm_client::Client::connect(&swarm.endpoint()).await?;
                Ok(Self {
                    registry: host,
                    credentials,
                    swarm: client,
                    user,
                    mode: Mode::Fake(Fakes {
                        _registry: registry,
                        swarm,
                    }),
                    suffix: String::new(),
                    services: Vec::new(),
                    guard: ServiceGuard {
                        host: None,
                        names: Vec::new(),
                    },
                    stack: None,
                    web_port_base: 0,
                    lb_port: 80,
                    dirs,
                })
            }
            Some(mut real) => {
                if let Some(u) = user {
                    real.user = u;
                }
                if let Some(p) = password {
                    real.password = p;
                }
                let client = swarm_client::Client::connect(&real.docker_host)
                    .await
                    .map_err(|e| {
                        format!("cannot reach the swarm manager {}: {e}", real.docker_host)
                    })?;
                let mut rng = fastrand::Rng::new();
                let suffix: String = (0..6).map(|_| rng.lowercase()).collect();
                Ok(Self {
                    registry: real.registry.clone(),
                    credentials: Credentials::basic(real.user.clone(), real.password.clone()),
                    swarm: client,
                    user: real.user.clone(),
                    guard: ServiceGuard {
                        host: Some(real.docker_host.clone()),
                        names: Vec::new(),
                    },
                    stack: None,
                    mode: Mode::Real(real),
                    suffix,
                    services: Vec::new(),
                    web_port_base: free_port_base(&mut rng)?,
                    lb_port: free_port()?,
                    dirs,
                })
            }
        }
    }

    pub(crate) fn is_real(&self) -> bool {
        matches!(self.mode, Mode::Real(_))
    }

    /// The swarm manager's daemon endpoint (`--real`).
    pub(crate) fn docker_host(&self) -> Option<&str> {
        match &self.mode {
            Mode::Real(r) => Some(&r.docker_host),
            Mode::Fake(_) => None,
        }
    }

    /// The random suffix of the names day5 gives what it creates (`--real`; empty with the
    /// fakes).
    pub(crate) fn suffix(&self) -> &str {
        &self.suffix
    }

    pub(crate) fn username(&self) -> &str {
        &self.user
    }

    pub(crate) fn fake(&self) -> Option<&Fakes> {
        match &self.mode {
            Mode::Fake(f) => Some(f),
            Mode::Real(_) => None,
        }
    }

    /// The seed's name; in `--real` mode with a random suffix (the swarm is shared).
    pub(crate) fn service_name(&self, base: &str) -> String {
        if self.suffix.is_empty() {
            base.to_owned()
        } else {
            format!("{base}_{}", self.suffix)
        }
    }

    /// Task slot N listens on `127.0.0.1:{base}{N}` (`--real`).
    pub(crate) fn web_port_base(&self) -> u16 {
        self.web_port_base
    }

    /// The load balancer's port (`--real`; 80 in the fake spec).
    pub(crate) fn lb_port(&self) -> u16 {
        self.lb_port
    }

    /// Records a created service for cleanup.
    pub(crate) fn created(&mut self, name: &str, id: &str) {
        self.services.push((name.to_owned(), id.to_owned()));
        if self.is_real() {
            self.guard.names.push(name.to_owned());
        }
    }

    pub(crate) fn services(&self) -> &[(String, String)] {
        &self.services
    }

    pub(crate) fn forget_services(&mut self) {
        self.services.clear();
        self.guard.names.clear();
    }

    /// Removes the services created (newest first).
    pub(crate) async fn remove_services(&mut self) -> Result {
        let mut first_err = None;
        for (name, id) in self.services.iter().rev() {
            if let Err(e) = self.swarm.service_remove(id).await
                && first_err.is_none()
            {
                first_err = Some(format!("removing {name}: {e}"));
            }
        }
        if first_err.is_none() {
            self.forget_services();
        }
        if let Some(stack) = self.stack.take() {
            match swarm_stack::deploy::remove(&self.swarm, &stack).await {
                Ok(_) | Err(swarm_stack::Error::Check(_)) => {}
                Err(e) => {
                    first_err.get_or_insert_with(|| format!("removing stack {stack}: {e}"));
                }
            }
        }
        first_err.map_or(Ok(()), |e| Err(e.into()))
    }

    /// `--real`: the directory standing in for the `/www` export: `N/index.html` per slot.
    pub(crate) fn web_content_dir(&self, welcome: &str, slots: u64) -> Result<PathBuf> {
        let www = self.dirs.path().join("www");
        for slot in 1..=slots {
            let d = www.join(slot.to_string());
            std::fs::create_dir_all(&d)?;
            std::fs::write(d.join("index.html"), format!("{welcome} (slot {slot})\n"))?;
        }
        set_mode(&www, 0o755)?;
        set_mode(self.dirs.path(), 0o755)?;
        Ok(www)
    }

    /// The directory standing in for `/www/nginx/conf.d` on the NFS server (bind-mounted into
    /// the LB task in `--real` mode).
    pub(crate) fn lb_conf_dir(&self) -> Result<PathBuf> {
        let d = self.dirs.path().join("www-nginx").join("conf.d");
        std::fs::create_dir_all(&d)?;
        set_mode(self.dirs.path(), 0o755)?;
        Ok(d)
    }

    /// Daemons of the nodes, for exec in a task on another node.
    pub(crate) async fn node_endpoints(&self) -> Result<NodeEndpoints> {
        match &self.mode {
            Mode::Fake(_) => {
                // The fake manager answers exec for the containers of every fake node.
                let mut eps = NodeEndpoints::new();
                for n in self.swarm.node_list().await? {
                    eps = eps.with(n.id, self.swarm.clone());
                }
                Ok(eps)
            }
            Mode::Real(r) => {
                // Every worker's daemon (scripts/test runs two), keyed by its node ID.
                let mut eps = NodeEndpoints::new();
                for host in std::iter::once(&r.worker_host).chain(&r.worker2_host) {
                    let worker = swarm_client::Client::connect(host)
                        .await
                        .map_err(|e| format!("cannot reach the worker daemon {host}: {e}"))?;
                    let id = worker.local_node_id().await?;
                    eps = eps.with(id, worker);
                }
                Ok(eps)
            }
        }
    }
}

fn set_mode(p: &std::path::Path, mode: u32) -> Result {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))?;
    Ok(())
}

fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// A prefix B such that 127.0.0.1:B1, B2 and B3 are free now.
fn free_port_base(rng: &mut fastrand::Rng) -> Result<u16> {
    for _ in 0..50 {
        let base = rng.u16(2000..6500);
        let free = (1..=3)
            .all(|slot| std::net::TcpListener::bind(("127.0.0.1", base * 10 + slot)).is_ok());
        if free {
            return Ok(base);
        }
    }
    Err("no free port triple on 127.0.0.1 for the web tasks".into())
}

impl Fakes {
    /// Checks the stored spec of the web service and the registry auth it was created with.
    pub(crate) fn check_web_service(
        &self,
        name: &str,
        mount: &str,
        registry: &str,
        user: &str,
    ) -> Result {
        let services = self.swarm.services();
        let svc = services
            .iter()
            .find(|s| s.pointer("/Spec/Name").and_then(Value::as_str) == Some(name))
            .ok_or_else(|| format!("MockSwarm has no service {name}"))?;
        let m = svc
            .pointer("/Spec/TaskTemplate/ContainerSpec/Mounts/0")
            .ok_or("the service has no mount")?;
        let opts = m.pointer("/VolumeOptions/DriverConfig/Options");
        let want_o = format!("addr={SEED_NFS_ADDR}");
        let ok = m["Type"] == "volume"
            && m["Source"] == "nfs_nginx"
            && m["Target"] == "/usr/share/nginx/html/"
            && m.pointer("/VolumeOptions/NoCopy") == Some(&Value::Bool(true))
            && opts.and_then(|o| o["type"].as_str()) == Some("nfs")
            && opts.and_then(|o| o["o"].as_str()) == Some(want_o.as_str())
            && opts.and_then(|o| o["device"].as_str()) == Some(":/www");
        if !ok {
            return Err(format!("the stored mount of {name} is not `{mount}`: {m}").into());
        }
        let p = svc
            .pointer("/Spec/EndpointSpec/Ports/0")
            .ok_or("the service publishes no port")?;
        if !(p["TargetPort"] == 80 && p["PublishedPort"] == 8080 && p["PublishMode"] == "host") {
            return Err(
                format!("the stored publish of {name} is not host-mode 8080:80: {p}").into(),
            );
        }
        let auths = self.swarm.registry_auths();
        let sent = auths.iter().any(|(svc, a)| {
            svc == name
                && a.get("username").and_then(Value::as_str) == Some(user)
                && a.get("serveraddress").and_then(Value::as_str) == Some(registry)
        });
        if !sent {
            return Err(
                format!("no X-Registry-Auth for {user}@{registry} was sent with {name}").into(),
            );
        }
        Ok(())
    }

    /// The recorded `nginx -s reload` exec (started).
    pub(crate) fn check_reload(&self) -> Result<Vec<String>> {
        self.swarm
            .execs()
            .into_iter()
            .find(|e| e.cmd == ["nginx", "-s", "reload"] && e.started)
            .map(|e| e.cmd)
            .ok_or_else(|| "MockSwarm recorded no started `nginx -s reload` exec".into())
    }

    /// The container the reload ran in.
    pub(crate) fn lb_container(&self) -> Result<String> {
        self.swarm
            .execs()
            .into_iter()
            .find(|e| e.cmd == ["nginx", "-s", "reload"])
            .map(|e| e.container_id)
            .ok_or_else(|| "no exec recorded".into())
    }
}
