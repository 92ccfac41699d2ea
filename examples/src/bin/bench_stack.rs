//! Benchmark: the loopback day-5 stack (examples/day5/stack-loopback.yml: two services, 3 + 1
//! replicas of real busybox tasks on the host network, a config) with `dockwright stack
//! deploy` against `docker stack deploy`, both with `--resolve-image never`, best of N:
//! - from nothing to converged: ours waits by itself; docker's `stack deploy` returns at once,
//!   so its time includes polling the services every 50 ms until every replica runs;
//! - a re-deploy of the unchanged stack: docker's plain `stack deploy` (it sends an update for
//!   every service and waits for nothing) against ours, which must send no update (checked:
//!   service versions unchanged).
//!
//! Usage: `bench_stack --registry HOST:PORT [--host ENDPOINT] [--runs 5]` (`--host` defaults
//! to `DOCKER_HOST`; the busybox image is built from `/bin/busybox` and pushed to the
//! registry). The load balancer runs busybox too (`sleep`, via a second compose file, which
//! also exercises `-c` merging). Stacks are named `dwbench-*` and removed at the end, also on
//! failure. Tasks listen on 127.0.0.1 only.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use clap::Parser;
use swarm_client::Client;

use examples::bench::{BoxResult, push_busybox};

/// Command line.
#[derive(Parser)]
#[command(about = "stack deploy -> converged, and an unchanged re-deploy: dockwright vs docker")]
struct Args {
    /// Registry (HOST:PORT, plain HTTP on loopback) to push the busybox image to.
    #[arg(long)]
    registry: String,
    /// Docker endpoint of the swarm manager (default: DOCKER_HOST).
    #[arg(long)]
    host: Option<String>,
    /// Runs of each measurement (the best counts).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// busybox-static binary for the image.
    #[arg(long, default_value = "/bin/busybox")]
    busybox: PathBuf,
}

/// Removes a stack with the docker CLI (on drop too) and waits until its services are gone.
struct Stack {
    host: String,
    name: String,
}

impl Stack {
    fn remove(&self, c: &Client) {
        let _ = Command::new("docker")
            .args(["-H", &self.host, "stack", "rm", &self.name])
            .output();
        let filter = format!("label=com.docker.stack.namespace={}", self.name);
        let rt = tokio::runtime::Handle::current();
        for _ in 0..200 {
            let left = tokio::task::block_in_place(|| {
                rt.block_on(async {
                    c.task_list(
                        &swarm_client::tasks::TaskFilter::new()
                            .label(filter.trim_start_matches("label=")),
                    )
                    .await
                    .map(|t| t.len())
                    .unwrap_or(1)
                })
            });
            let svcs = Command::new("docker")
                .args(["-H", &self.host, "service", "ls", "-q", "--filter", &filter])
                .output()
                .map(|o| o.stdout.len())
                .unwrap_or(1);
            if left == 0 && svcs == 0 {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["-H", &self.host, "stack", "rm", &self.name])
            .output();
    }
}

fn run(cmd: &mut Command) -> BoxResult<Duration> {
    let t = Instant::now();
    let out = cmd.output()?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )
        .into());
    }
    Ok(t.elapsed())
}

/// Polls every 50 ms until every service of the stack runs all its replicas.
async fn poll_converged(c: &Client, stack: &str, services: usize) -> BoxResult<()> {
    let filter = format!("com.docker.stack.namespace={stack}");
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        let list = c.service_list(&[("label", &filter)]).await?;
        let done = list.len() == services
            && list.iter().all(|s| {
                s.service_status
                    .as_ref()
                    .is_some_and(|st| st.desired_tasks > 0 && st.running_tasks == st.desired_tasks)
            });
        if done {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("stack {stack} did not converge in 120 s").into())
}

async fn versions(c: &Client, stack: &str) -> BoxResult<Vec<u64>> {
    let filter = format!("com.docker.stack.namespace={stack}");
    let mut v: Vec<u64> = c
        .service_list(&[("label", &filter)])
        .await?
        .iter()
        .map(|s| s.version.index)
        .collect();
    v.sort_unstable();
    Ok(v)
}

/// A port prefix P with P0..P9 free on 127.0.0.1.
fn free_prefix() -> BoxResult<u32> {
    let start = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .subsec_nanos()
        % 900;
    for k in 0..900 {
        let p = 4100 + (start + k) % 900;
        let free = (0..10).all(|d| {
            u16::try_from(p * 10 + d)
                .is_ok_and(|port| std::net::TcpListener::bind(("127.0.0.1", port)).is_ok())
        });
        if free {
            return Ok(p);
        }
    }
    Err("no free port prefix 4100..=4999 on 127.0.0.1".into())
}

fn best(v: &[Duration]) -> Duration {
    v.iter().min().copied().unwrap_or_default()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> BoxResult<()> {
    let args = Args::parse();
    let host = match args.host {
        Some(h) => h,
        None => std::env::var("DOCKER_HOST").map_err(|_| "give --host or set DOCKER_HOST")?,
    };
    let c = Client::connect(&host).await?;
    let image = push_busybox(&args.registry, &args.busybox).await?;
    let dw = std::env::current_exe()?
        .parent()
        .ok_or("no bin dir")?
        .join("dockwright");
    if !dw.is_file() {
        return Err(format!(
            "{} not built (cargo build -p examples --release)",
            dw.display()
        )
        .into());
    }
    let dir = tempfile::Builder::new().prefix("bench-stack-").tempdir()?;
    let d = dir.path();
    std::fs::write(
        d.join("stack-loopback.yml"),
        include_str!("../../day5/stack-loopback.yml"),
    )?;
    std::fs::write(d.join("httpd.conf"), include_str!("../../day5/httpd.conf"))?;
    std::fs::write(
        d.join("bench.yml"),
        "services:\n  swarm_nginx_lb:\n    command: [sh, -c, 'exec sleep 3600']\n",
    )?;
    for slot in 1..=3 {
        std::fs::create_dir_all(d.join(format!("www/{slot}")))?;
        std::fs::write(
            d.join(format!("www/{slot}/index.html")),
            format!("slot {slot}\n"),
        )?;
    }
    std::fs::create_dir_all(d.join("conf.d"))?;
    let prefix = free_prefix()?;
    let env = [
        ("WEB_IMAGE", image.clone()),
        ("LB_IMAGE", image.clone()),
        ("WWW_DIR", d.join("www").display().to_string()),
        ("CONF_DIR", d.join("conf.d").display().to_string()),
        ("WEB_PORT_BASE", prefix.to_string()),
    ];
    let files = ["-c", "stack-loopback.yml", "-c", "bench.yml"];
    let docker_deploy = |stack: &str| {
        let mut cmd = Command::new("docker");
        cmd.current_dir(d)
            .envs(env.iter().cloned())
            .args(["-H", &host, "stack", "deploy", "--resolve-image", "never"])
            .args(files)
            .arg(stack);
        cmd
    };
    let our_deploy = |stack: &str| {
        let mut cmd = Command::new(&dw);
        cmd.current_dir(d)
            .envs(env.iter().cloned())
            .args([
                "stack",
                "-H",
                &host,
                "deploy",
                "-q",
                "--resolve-image",
                "never",
            ])
            .args(files)
            .arg(stack);
        cmd
    };

    // Warm-up (untimed): every node pulls the image once.
    let warm = Stack {
        host: host.clone(),
        name: format!("dwbench-warm{}", std::process::id()),
    };
    run(&mut our_deploy(&warm.name))?;
    warm.remove(&c);

    let (mut docker_up, mut our_up, mut docker_re, mut our_re) = (vec![], vec![], vec![], vec![]);
    for i in 0..args.runs {
        // docker: deploy, then poll until every replica runs; then its plain re-deploy.
        let s = Stack {
            host: host.clone(),
            name: format!("dwbench-d{}-{i}", std::process::id()),
        };
        let t = Instant::now();
        run(&mut docker_deploy(&s.name))?;
        poll_converged(&c, &s.name, 2).await?;
        docker_up.push(t.elapsed());
        docker_re.push(run(&mut docker_deploy(&s.name))?);
        s.remove(&c);

        // ours: deploy (waits until converged), then the unchanged re-deploy.
        let s = Stack {
            host: host.clone(),
            name: format!("dwbench-o{}-{i}", std::process::id()),
        };
        our_up.push(run(&mut our_deploy(&s.name))?);
        poll_converged(&c, &s.name, 2).await?;
        let before = versions(&c, &s.name).await?;
        our_re.push(run(&mut our_deploy(&s.name))?);
        if versions(&c, &s.name).await? != before {
            return Err("the unchanged re-deploy changed a service version".into());
        }
        s.remove(&c);
        eprintln!(
            "run {}: up docker {:.3}s ours {:.3}s; re-deploy docker {:.3}s ours {:.3}s",
            i + 1,
            docker_up[i].as_secs_f64(),
            our_up[i].as_secs_f64(),
            docker_re[i].as_secs_f64(),
            our_re[i].as_secs_f64()
        );
    }
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    println!("best of {} (--resolve-image never):", args.runs);
    println!(
        "  nothing -> converged: dockwright {:.3}s, docker stack deploy + polling {:.3}s, ratio {:.2}",
        best(&our_up).as_secs_f64(),
        best(&docker_up).as_secs_f64(),
        ratio(best(&our_up), best(&docker_up))
    );
    println!(
        "  unchanged re-deploy:  dockwright {:.3}s (0 updates), docker stack deploy {:.3}s, ratio {:.2}",
        best(&our_re).as_secs_f64(),
        best(&docker_re).as_secs_f64(),
        ratio(best(&our_re), best(&docker_re))
    );
    Ok(())
}
