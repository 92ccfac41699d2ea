//! Fixtures of the real-server tests: environment, a busybox image pushed with skopeo, unique
//! names and a Drop guard that removes every service a test creates; the contract tests' macro
//! that runs one body on the fake and on the real servers.
#![allow(dead_code, unreachable_pub)]

pub mod images;
pub mod raw;

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use serde_json::{Value, json};
use swarm_client::Client;

/// A required environment variable; panics with how to get it.
pub fn env(name: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| panic!("{name} is not set: run scripts/test (real servers needed)"))
}

/// The manager's endpoint.
pub fn manager_host() -> String {
    env("DOCKWRIGHT_TEST_DOCKER_HOST")
}

/// The worker's endpoint.
pub fn worker_host() -> String {
    env("DOCKWRIGHT_TEST_WORKER_DOCKER_HOST")
}

/// A client of the manager.
pub async fn manager() -> Client {
    Client::connect(&manager_host())
        .await
        .expect("connect to the manager")
}

/// A unique name with the area prefix.
pub fn unique(tag: &str) -> String {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "swarmclient-{tag}-{:x}{:x}",
        std::process::id() % 0xfff,
        n % 0xfffff
    )
}

/// A port base `3NNN` so that `3NNN{{.Task.Slot}}` is unique per test run: bases are handed out
/// once per process (an atomic counter from a random start) and only when all ten ports
/// `3NNN0..=3NNN9` can be bound on 127.0.0.1 right now, so parallel tests and leftovers of
/// earlier runs do not collide.
pub fn port_prefix() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
        .wrapping_add(std::process::id());
    let _ = NEXT.compare_exchange(u32::MAX, seed % 899, Ordering::SeqCst, Ordering::SeqCst);
    for _ in 0..899 {
        let base = 3000 + 100 + NEXT.fetch_add(1, Ordering::SeqCst) % 899;
        let free = (0..10)
            .all(|d| std::net::TcpListener::bind(("127.0.0.1", (base * 10 + d) as u16)).is_ok());
        if free {
            return base.to_string();
        }
    }
    panic!("no free port base 3100..=3999 on 127.0.0.1");
}

/// Removes a service with the docker CLI on drop (even when the test panics).
pub struct ServiceGuard {
    pub name: String,
}

impl ServiceGuard {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
        }
    }
}

impl Drop for ServiceGuard {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["-H", &manager_host(), "service", "rm", &self.name])
            .output();
    }
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Builds a one-layer busybox OCI layout (bin/busybox + sh/httpd/sleep/echo/cat links) in `dir`.
pub fn build_layout(dir: &Path) {
    let root = dir.join("rootfs");
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::create_dir_all(root.join("tmp")).unwrap();
    std::fs::copy("/bin/busybox", root.join("bin/busybox")).unwrap();
    for l in ["sh", "httpd", "sleep", "echo", "cat", "ls", "wget", "env"] {
        std::os::unix::fs::symlink("busybox", root.join("bin").join(l)).unwrap();
    }
    let blobs = dir.join("layout/blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let layer = dir.join("layer.tar");
    run(Command::new("tar")
        .args([
            "--sort=name",
            "--mtime=@0",
            "--owner=0",
            "--group=0",
            "--numeric-owner",
            "-cf",
        ])
        .arg(&layer)
        .arg("-C")
        .arg(&root)
        .args(["bin", "tmp"]));
    let data = std::fs::read(&layer).unwrap();
    let put = |bytes: &[u8]| -> (String, usize) {
        let out = Command::new("sha256sum")
            .arg("-")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write;
                c.stdin.take().unwrap().write_all(bytes)?;
                c.wait_with_output()
            })
            .unwrap();
        let hex = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned();
        std::fs::write(blobs.join(&hex), bytes).unwrap();
        (format!("sha256:{hex}"), bytes.len())
    };
    let (layer_digest, layer_size) = put(&data);
    let config = json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/bin"], "Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]}
    });
    let (config_digest, config_size) = put(config.to_string().as_bytes());
    let manifest = json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": layer_size}]
    });
    let (m_digest, m_size) = put(manifest.to_string().as_bytes());
    let index = json!({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": m_digest, "size": m_size,
                       "annotations": {"org.opencontainers.image.ref.name": "latest"}}]
    });
    std::fs::write(dir.join("layout/index.json"), index.to_string()).unwrap();
    std::fs::write(
        dir.join("layout/oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
}

/// Pushes the layout to `registry/swarmclient-test/busybox:1` (optionally with creds); returns
/// the reference.
pub fn push(dir: &Path, registry: &str, creds: Option<&str>) -> String {
    push_as(dir, registry, "busybox:1", creds)
}

/// Pushes the layout to `registry/swarmclient-test/NAME_TAG`; returns the reference.
pub fn push_as(dir: &Path, registry: &str, name_tag: &str, creds: Option<&str>) -> String {
    let reference = format!("{registry}/swarmclient-test/{name_tag}");
    let mut cmd = Command::new("skopeo");
    cmd.args(["copy", "-q", "--dest-tls-verify=false"]);
    if let Some(c) = creds {
        cmd.args(["--dest-creds", c]);
    }
    cmd.arg(format!("oci:{}:latest", dir.join("layout").display()))
        .arg(format!("docker://{reference}"));
    run(&mut cmd);
    reference
}

static IMAGE: OnceLock<String> = OnceLock::new();

/// The busybox image in the open registry (built and pushed once per test binary).
pub fn image() -> String {
    IMAGE
        .get_or_init(|| {
            let registry = env("DOCKWRIGHT_TEST_REGISTRY");
            let dir = tempfile::tempdir().unwrap();
            build_layout(dir.path());
            push(dir.path(), &registry, None)
        })
        .clone()
}

/// A host-networked busybox httpd spec: a port per slot, short update/monitor windows.
pub fn httpd_spec(name: &str, image: &str, replicas: u64) -> Value {
    json!({
        "Name": name,
        "Labels": {"dockwright.test": "swarmclient"},
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": image,
                "Command": ["sh", "-c", "echo hello-from-$PORT; exec httpd -f -p 127.0.0.1:$PORT -h /"],
                "Env": [format!("PORT={}{{{{.Task.Slot}}}}", port_prefix())],
                "StopGracePeriod": 1_000_000_000u64
            },
            "RestartPolicy": {"Condition": "any", "Delay": 200_000_000u64, "MaxAttempts": 0},
            "Networks": [{"Target": "host"}],
            "ForceUpdate": 0
        },
        "Mode": {"Replicated": {"Replicas": replicas}},
        "UpdateConfig": {"Parallelism": 0, "Delay": 0, "FailureAction": "rollback", "Monitor": 1_000_000_000u64, "MaxFailureRatio": 0.0, "Order": "stop-first"},
        "RollbackConfig": {"Parallelism": 0, "Delay": 0, "FailureAction": "pause", "Monitor": 1_000_000_000u64, "MaxFailureRatio": 0.0, "Order": "stop-first"}
    })
}

/// Removes a swarm object (`config`, `secret`, `network`) with the docker CLI on drop.
pub struct ObjectGuard {
    pub kind: &'static str,
    pub name: String,
}

impl ObjectGuard {
    pub fn new(kind: &'static str, name: &str) -> Self {
        Self {
            kind,
            name: name.to_owned(),
        }
    }
}

impl Drop for ObjectGuard {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["-H", &manager_host(), self.kind, "rm", &self.name])
            .output();
    }
}

/// A wiremock server with a catch-all 500 (expected never to be hit, so an unexpected request
/// fails the test) and a client of it at API 1.41 without retries.
pub async fn wiremock() -> (wiremock::MockServer, Client) {
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(
            ResponseTemplate::new(500).set_body_json(json!({"message": "unexpected request"})),
        )
        .with_priority(u8::MAX)
        .expect(0)
        .mount(&server)
        .await;
    let client = Client::builder(&server.uri())
        .api_version(swarm_client::ApiVersion::MIN)
        .retry(sdk_core::RetryPolicy::none())
        .build()
        .unwrap();
    (server, client)
}

/// `contract!(module, check)`: one contract body run twice, as `module::mock` on the fake
/// (`Target::mock().await`) and as `module::real` on the servers of `scripts/test`
/// (`Target::real().await`, ignored by default). Any difference between the two fails.
#[allow(unused_macros)] // only the contract suites use it
macro_rules! contract {
    ($name:ident, $check:ident) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn mock() {
                $check(Target::mock().await).await;
            }
            #[tokio::test]
            #[ignore = "needs real servers: run scripts/test"]
            async fn real() {
                $check(Target::real().await).await;
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use contract;
