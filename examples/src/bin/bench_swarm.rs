//! Benchmark: `service create` → converged and `update` → converged, dockwright vs the docker
//! CLI with the same stability window (the service's update monitor), and with a zero window the
//! delay from the last task's `running` timestamp to `wait_converged` returning.
//!
//! Usage: `bench_swarm [IMAGE] [--replicas N] [--window SECS] [--registry HOST:PORT]
//! [--host ENDPOINT]` (`--host` defaults to `DOCKER_HOST`, which must be a swarm manager). The
//! image must run busybox `httpd`; with `--registry` and no IMAGE, the busybox image (from
//! `/bin/busybox`, busybox-static) is built with registry-client and pushed there as
//! `dockwright-bench/busybox:1`. An untimed global warm-up service first makes every node pull
//! the image, so the tool measured first does not pay the pull (it did: 2.5 s against 1.45 s).
//! Tasks use host networking on 127.0.0.1 with free ports. Services
//! are named `swarmclient-bench-*` and removed at the end, also on failure; any failure exits
//! non-zero. Smoke run: `bench_swarm --registry 127.0.0.1:5000 --replicas 2 --window 1`.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use serde_json::json;
use swarm_client::Client;
use swarm_client::converge::WaitOptions;
use swarm_client::models::{TaskState, Timestamp};
use swarm_client::services::{CreateOptions, UpdateOptions};
use swarm_client::tasks::TaskFilter;

use examples::bench::{BoxResult, push_busybox};

/// Command line.
#[derive(Parser)]
#[command(about = "service create/update -> converged: dockwright vs the docker CLI")]
struct Args {
    /// An image that runs busybox httpd (default: build and push one to --registry).
    image: Option<String>,
    /// Replicas per service (1 to 9: ports are PREFIX{{.Task.Slot}}).
    #[arg(long, default_value_t = 3)]
    replicas: u64,
    /// Stability window in seconds (the services' update monitor; the CLI waits the same).
    #[arg(long, default_value_t = 1.0)]
    window: f64,
    /// Registry (HOST:PORT, plain HTTP on loopback) to push the busybox image to.
    #[arg(long)]
    registry: Option<String>,
    /// busybox-static binary for the image.
    #[arg(long, default_value = "/bin/busybox")]
    busybox: PathBuf,
    /// Docker endpoint of the swarm manager (default: DOCKER_HOST).
    #[arg(long)]
    host: Option<String>,
    /// How many zero-window services to measure the detection delay on.
    #[arg(long, default_value_t = 5)]
    samples: usize,
    /// Give up on any single wait after this many seconds.
    #[arg(long, default_value_t = 120)]
    timeout: u64,
}

struct Rm(String, String);

impl Drop for Rm {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["-H", &self.0, "service", "rm", &self.1])
            .output();
    }
}

fn spec(name: &str, image: &str, replicas: u64, port: u32, window: Duration) -> serde_json::Value {
    json!({
        "Name": name,
        "Labels": {"dockwright.bench": "swarm"},
        "TaskTemplate": {
            "ContainerSpec": {"Image": image,
                "Command": ["sh", "-c", "exec httpd -f -p 127.0.0.1:$PORT -h /"],
                "Env": [format!("PORT={port}{{{{.Task.Slot}}}}")], "StopGracePeriod": 1_000_000_000u64},
            "Networks": [{"Target": "host"}]
        },
        "Mode": {"Replicated": {"Replicas": replicas}},
        "UpdateConfig": {"Parallelism": 0, "Monitor": swarm_client::spec::nanos(window), "FailureAction": "pause", "Order": "stop-first"}
    })
}

/// A port prefix P (P0..P9 free on 127.0.0.1 right now), not in `used`.
fn free_prefix(used: &[u32]) -> BoxResult<u32> {
    let start = SystemTime::now().duration_since(UNIX_EPOCH)?.subsec_nanos() % 900;
    for k in 0..900 {
        let p = 2100 + (start + k) % 900;
        if used.contains(&p) {
            continue;
        }
        let free = (0..10).all(|d| {
            u16::try_from(p * 10 + d)
                .is_ok_and(|port| std::net::TcpListener::bind(("127.0.0.1", port)).is_ok())
        });
        if free {
            return Ok(p);
        }
    }
    Err("no free port prefix 2100..=2999 on 127.0.0.1".into())
}

fn docker(host: &str, timeout: u64, args: &[&str]) -> BoxResult<Duration> {
    let t = Instant::now();
    let out = Command::new("timeout")
        .arg(timeout.to_string())
        .arg("docker")
        .arg("-H")
        .arg(host)
        .args(args)
        .output()?;
    if !out.status.success() {
        return Err(format!(
            "docker {args:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )
        .into());
    }
    Ok(t.elapsed())
}

fn check(done: &swarm_client::converge::Converged, replicas: u64, what: &str) -> BoxResult<()> {
    if (done.running, done.desired) != (replicas, replicas) || done.rolled_back.is_some() {
        return Err(format!("{what}: converged with {done:?}, expected {replicas} running").into());
    }
    Ok(())
}

#[tokio::main]
async fn main() -> BoxResult<()> {
    let args = Args::parse();
    if !(1..=9).contains(&args.replicas) {
        return Err("--replicas must be 1 to 9".into());
    }
    let host = match &args.host {
        Some(h) => h.clone(),
        None => {
            std::env::var("DOCKER_HOST").map_err(|_| "set --host or DOCKER_HOST to the manager")?
        }
    };
    let image = match (&args.image, &args.registry) {
        (Some(i), _) => i.clone(),
        (None, Some(r)) => push_busybox(r, &args.busybox).await?,
        (None, None) => return Err("give an IMAGE or --registry HOST:PORT to push one to".into()),
    };
    let replicas = args.replicas;
    let window = Duration::from_secs_f64(args.window.max(0.0));
    let timeout = Duration::from_secs(args.timeout);
    let c = Client::connect(&host).await?;
    let suffix = SystemTime::now()
        .duration_since(UNIX_EPOCH)?
        .subsec_micros();
    let wait = || WaitOptions::new().timeout(timeout);

    // Warm-up, not timed: one task per node of the same image, so every node has pulled it and
    // neither tool pays the first pull.
    let warm = format!("swarmclient-bench-warm-{suffix}");
    let gw = Rm(host.clone(), warm.clone());
    let mut wspec = spec(&warm, &image, 1, 0, Duration::ZERO);
    wspec["Mode"] = json!({"Global": {}});
    wspec["TaskTemplate"]["ContainerSpec"]["Command"] = json!(["sleep", "600"]);
    let w = c.service_create(&wspec, &CreateOptions::new()).await?;
    c.wait_converged(&w.id, wait()).await?;
    drop(gw);

    // dockwright: create → converged, update → converged (window = the spec's monitor).
    let p1 = free_prefix(&[])?;
    let name = format!("swarmclient-bench-dw-{suffix}");
    let g1 = Rm(host.clone(), name.clone());
    let t = Instant::now();
    let created = c
        .service_create(
            &spec(&name, &image, replicas, p1, window),
            &CreateOptions::new(),
        )
        .await?;
    check(
        &c.wait_converged(&created.id, wait()).await?,
        replicas,
        "create",
    )?;
    let dw_create = t.elapsed();
    let t = Instant::now();
    c.service_update(&created.id, &UpdateOptions::new(), |s| {
        if let Some(c) = s.task_template.container_spec.as_mut() {
            c.env.push("V=2".into());
        }
        Ok(())
    })
    .await?;
    check(
        &c.wait_converged(&created.id, wait()).await?,
        replicas,
        "update",
    )?;
    let dw_update = t.elapsed();
    drop(g1);

    // docker CLI with the same flags (update monitor = its stability window).
    let p2 = free_prefix(&[p1])?;
    let cname = format!("swarmclient-bench-cli-{suffix}");
    let g2 = Rm(host.clone(), cname.clone());
    let env = format!("PORT={p2}{{{{.Task.Slot}}}}");
    let reps = replicas.to_string();
    let monitor = format!("{}ms", window.as_millis());
    let cli_create = docker(
        &host,
        args.timeout,
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
            &monitor,
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
        args.timeout,
        &["service", "update", "-q", "--env-add", "V=2", &cname],
    )?;
    drop(g2);

    // Zero window: delay from the last task's running timestamp to wait_converged returning,
    // on `--samples` fresh services (each removed before the next).
    let mut used = vec![p1, p2];
    let mut delays = Vec::new();
    for i in 0..args.samples.max(1) {
        // A fresh port prefix each time: the last service's tasks may still hold theirs.
        let p3 = free_prefix(&used)?;
        used.push(p3);
        let zname = format!("swarmclient-bench-zero-{suffix}-{i}");
        let g3 = Rm(host.clone(), zname.clone());
        let created = c
            .service_create(
                &spec(&zname, &image, replicas, p3, window),
                &CreateOptions::new(),
            )
            .await?;
        let done = c
            .wait_converged(&created.id, wait().window(Duration::ZERO))
            .await?;
        let returned = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos() as i128;
        check(&done, replicas, "zero-window create")?;
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
        delays.push((returned - last_running.unix_nanos()) as f64 / 1e6);
        drop(g3);
    }
    delays.sort_by(f64::total_cmp);
    let median = delays[delays.len() / 2];
    let max = delays[delays.len() - 1];

    println!(
        "replicas={replicas} window={:.1}s (UpdateConfig.Monitor) image={image}",
        window.as_secs_f64()
    );
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
    println!(
        "ratios: create dockwright/CLI {:.2}, update dockwright/CLI {:.2}",
        dw_create.as_secs_f64() / cli_create.as_secs_f64(),
        dw_update.as_secs_f64() / cli_update.as_secs_f64()
    );
    println!(
        "zero window: last task running -> wait_converged returned: median {median:.0} ms, \
         min {:.0} ms, max {max:.0} ms over {} services (target < 300 ms: {})",
        delays[0],
        delays.len(),
        if max < 300.0 { "met" } else { "MISSED" }
    );
    Ok(())
}
