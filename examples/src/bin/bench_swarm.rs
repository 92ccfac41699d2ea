//! Benchmark: `service create` → converged and `update` → converged, dockwright vs the docker
//! CLI with the same stability window (the service's update monitor), and with a zero window the
//! delay from the last task's `running` timestamp to `wait_converged` returning.
//!
//! Usage: `bench_swarm IMAGE [REPLICAS]` with `DOCKER_HOST` pointing at a swarm manager. The image
//! must run `httpd` (busybox). Services are named `swarmclient-bench-*` and removed at the end.

use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;
use swarm_client::Client;
use swarm_client::converge::WaitOptions;
use swarm_client::models::{TaskState, Timestamp};
use swarm_client::services::{CreateOptions, UpdateOptions};
use swarm_client::tasks::TaskFilter;

type BoxResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

struct Rm(String, String);

impl Drop for Rm {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["-H", &self.0, "service", "rm", &self.1])
            .output();
    }
}

fn spec(name: &str, image: &str, replicas: u64, port: u32) -> serde_json::Value {
    json!({
        "Name": name,
        "TaskTemplate": {
            "ContainerSpec": {"Image": image,
                "Command": ["sh", "-c", "exec httpd -f -p 127.0.0.1:$PORT -h /"],
                "Env": [format!("PORT={port}{{{{.Task.Slot}}}}")], "StopGracePeriod": 1_000_000_000u64},
            "Networks": [{"Target": "host"}]
        },
        "Mode": {"Replicated": {"Replicas": replicas}},
        "UpdateConfig": {"Parallelism": 0, "Monitor": 1_000_000_000u64, "FailureAction": "pause", "Order": "stop-first"}
    })
}

fn docker(host: &str, args: &[&str]) -> BoxResult<Duration> {
    let t = Instant::now();
    let out = Command::new("docker")
        .arg("-H")
        .arg(host)
        .args(args)
        .output()?;
    if !out.status.success() {
        return Err(format!("docker {args:?}: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(t.elapsed())
}

#[tokio::main]
async fn main() -> BoxResult<()> {
    let mut argv = std::env::args().skip(1);
    let image = argv.next().ok_or("usage: bench_swarm IMAGE [REPLICAS]")?;
    let replicas: u64 = argv.next().map_or(Ok(3), |r| r.parse())?;
    let host = std::env::var("DOCKER_HOST").map_err(|_| "set DOCKER_HOST to the manager")?;
    let c = Client::connect(&host).await?;
    let suffix = SystemTime::now()
        .duration_since(UNIX_EPOCH)?
        .subsec_micros();

    // dockwright: create → converged, update → converged (window = the spec's monitor, 1 s).
    // Port prefixes unique per run (tasks of a previous run may still hold their ports).
    let base = 20 + suffix % 40;
    let name = format!("swarmclient-bench-dw-{suffix}");
    let _g1 = Rm(host.clone(), name.clone());
    let t = Instant::now();
    let created = c
        .service_create(
            &spec(&name, &image, replicas, base * 10 + 1),
            &CreateOptions::new(),
        )
        .await?;
    c.wait_converged(&created.id, WaitOptions::new()).await?;
    let dw_create = t.elapsed();
    let t = Instant::now();
    c.service_update(&created.id, &UpdateOptions::new(), |s| {
        if let Some(e) = s["TaskTemplate"]["ContainerSpec"]["Env"].as_array_mut() {
            e.push(json!("V=2"));
        }
        Ok(())
    })
    .await?;
    c.wait_converged(&created.id, WaitOptions::new()).await?;
    let dw_update = t.elapsed();

    // docker CLI with the same flags (update monitor 1 s = its stability window).
    let cname = format!("swarmclient-bench-cli-{suffix}");
    let _g2 = Rm(host.clone(), cname.clone());
    let env = format!("PORT={}{{{{.Task.Slot}}}}", base * 10 + 2);
    let reps = replicas.to_string();
    let cli_create = docker(
        &host,
        &[
            "service",
            "create",
            "-q",
            "--name",
            &cname,
            "--replicas",
            &reps,
            "--network",
            "host",
            "--update-monitor",
            "1s",
            "--update-parallelism",
            "0",
            "--stop-grace-period",
            "1s",
            "-e",
            &env,
            "--no-resolve-image",
            &image,
            "sh",
            "-c",
            "exec httpd -f -p 127.0.0.1:$PORT -h /",
        ],
    )?;
    let cli_update = docker(
        &host,
        &["service", "update", "-q", "--env-add", "V=2", &cname],
    )?;

    // Zero window: delay from the last task's running timestamp to wait_converged returning.
    let zname = format!("swarmclient-bench-zero-{suffix}");
    let _g3 = Rm(host.clone(), zname.clone());
    let created = c
        .service_create(
            &spec(&zname, &image, replicas, base * 10 + 3),
            &CreateOptions::new(),
        )
        .await?;
    c.wait_converged(&created.id, WaitOptions::new().window(Duration::ZERO))
        .await?;
    let returned = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos() as i128;
    let tasks = c
        .task_list(
            &TaskFilter::new()
                .service(&created.id)
                .desired_state("running"),
        )
        .await?;
    let last_running = tasks
        .iter()
        .filter(|t| t.state() == TaskState::Running)
        .filter_map(|t| Timestamp::parse(&t.status.timestamp))
        .max()
        .ok_or("no running task")?;
    let delay_ms = (returned - last_running.unix_nanos()) as f64 / 1e6;

    println!("replicas={replicas} window=1s (UpdateConfig.Monitor)");
    println!(
        "create->converged  dockwright {:>7.2}s   docker CLI {:>7.2}s",
        dw_create.as_secs_f64(),
        cli_create.as_secs_f64()
    );
    println!(
        "update->converged  dockwright {:>7.2}s   docker CLI {:>7.2}s",
        dw_update.as_secs_f64(),
        cli_update.as_secs_f64()
    );
    println!("zero window: last task running -> wait_converged returned: {delay_ms:.0} ms");
    Ok(())
}
