//! Fixtures of the image tests: environment, unique names, clients, a Drop guard that removes
//! the daemon images a test makes, and the build and pull requests read to their end.
#![allow(dead_code, unreachable_pub)]

use std::path::Path;
use std::process::Command;

use swarm_client::Client;
use swarm_client::build::BuildOptions;
use swarm_client::images::PullOptions;
use swarm_client::progress::Outcome;

/// A required environment variable; panics with how to get it.
pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run scripts/test"))
}

/// `what-` and a hex number unique to this moment and process.
pub fn unique(what: &str) -> String {
    let nanos = std::time::UNIX_EPOCH.elapsed().unwrap().as_nanos() as u64;
    format!("{what}-{:x}", nanos ^ u64::from(std::process::id()))
}

/// A client of the daemon at `endpoint`.
pub async fn connect(endpoint: &str) -> Client {
    Client::connect(endpoint).await.unwrap()
}

/// Removes daemon images (names or IDs) of the test daemon when dropped, even when the test
/// fails: the last added first.
pub struct ImageGuard(pub Vec<String>);

impl Drop for ImageGuard {
    fn drop(&mut self) {
        let Ok(host) = std::env::var("DOCKWRIGHT_TEST_DOCKER_HOST") else {
            return;
        };
        for name in self.0.iter().rev() {
            let _ = Command::new("docker")
                .args(["-H", &host, "rmi", "-f", name])
                .output();
        }
    }
}

/// Builds the context `dir` with `opts`: the image ID.
pub async fn build_id(engine: &Client, dir: &Path, opts: &BuildOptions) -> String {
    let out = engine
        .build(dir, opts)
        .await
        .unwrap()
        .finish()
        .await
        .unwrap();
    out.image_id.unwrap()
}

/// `docker pull REFERENCE` through the client, read to its end.
pub async fn pull(engine: &Client, reference: &str) -> Outcome {
    let progress = engine.image_pull(reference, &PullOptions::new()).await;
    progress.unwrap().finish().await.unwrap()
}
