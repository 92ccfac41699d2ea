//! The load balancer side of day5: the upstream over the tasks and HTTP requests through it
//! (nginx in the task container is `dockwright::lb::TaskNginx`).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use lb_config::{AccessLog, Config, Directive, Location, Method, Server, ServerAddr, Upstream};
use swarm_client::port::PublishMode;
use swarm_client::spec::ServiceSpec;
use swarm_client::tasks::TaskPlacement;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::seed::Result;

/// The upstream's name, as in the seed.
pub(crate) const UPSTREAM: &str = "loadbalance";

/// The backends of the upstream: in `--real` mode `127.0.0.1:{base}{slot}` per task (host
/// networking, a port per slot); with the fakes each task's node address and the host-mode port
/// the spec publishes for target 80.
pub(crate) fn backends(
    placements: &[TaskPlacement],
    spec: &ServiceSpec,
    real_port_base: Option<u16>,
) -> Result<Vec<ServerAddr>> {
    let mut out = Vec::new();
    for p in placements {
        let addr = if let Some(base) = real_port_base {
            let slot = p.slot.ok_or("a replicated task without a slot")?;
            let port = dockwright::lb::port_for_slot(u32::from(base), slot)?;
            ServerAddr::ip([127, 0, 0, 1].into(), Some(port))
        } else {
            let published = spec
                .endpoint_spec
                .as_ref()
                .and_then(|e| {
                    e.ports
                        .iter()
                        .find(|c| c.target_port == 80 && c.publish_mode == Some(PublishMode::Host))
                })
                .map(|c| c.published_port)
                .ok_or("the web service publishes no host-mode port for target 80")?;
            let port = u16::try_from(published).map_err(|_| "published port out of range")?;
            let ip: std::net::IpAddr = p.node_addr.parse().map_err(|_| {
                format!("node {} has no IP address ({:?})", p.hostname, p.node_addr)
            })?;
            ServerAddr::ip(ip, Some(port))
        };
        if !out.contains(&addr) {
            out.push(addr);
        }
    }
    if out.is_empty() {
        return Err("the web service has no running task".into());
    }
    Ok(out)
}

/// `upstream loadbalance { least_conn; server …; }` and the server that proxies to it.
pub(crate) fn render(servers: &[ServerAddr], listen: &str) -> Result<Config> {
    let mut up = Upstream::builder(UPSTREAM).method(Method::LeastConn);
    for s in servers {
        up = up.server(s.clone());
    }
    let server = Server::builder()
        .listen(listen.parse()?)
        .access_log(AccessLog::path("/var/log/nginx/access_lb.log", None)?)
        .location(
            Location::builder("/")
                .proxy_pass_upstream(UPSTREAM)
                .build()?,
        )
        .build()?;
    Ok(Config::builder()
        .upstream(up.build()?)
        .server(server)
        .build()?)
}

/// The load balancer's first config: the upstream is not configured yet, so it answers
/// `502 Bad Gateway` (what John saw before fixing the config).
pub(crate) fn placeholder(listen: &str) -> Result<Config> {
    let server = Server::builder()
        .listen(listen.parse()?)
        .location(
            Location::builder("/")
                .directive(Directive::new("return", ["502"])?)
                .build()?,
        )
        .build()?;
    Ok(Config::builder().server(server).build()?)
}

/// One `GET /` on `127.0.0.1:port` (HTTP/1.0): status and body.
pub(crate) async fn get(port: u16) -> Result<(u16, String)> {
    let mut s = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::net::TcpStream::connect(("127.0.0.1", port)),
    )
    .await
    .map_err(|_| format!("connecting to 127.0.0.1:{port} timed out"))??;
    s.write_all(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\nUser-Agent: day5\r\n\r\n")
        .await?;
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf))
        .await
        .map_err(|_| format!("reading from 127.0.0.1:{port} timed out"))??;
    let text = String::from_utf8_lossy(&buf);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| format!("127.0.0.1:{port} sent no HTTP status line"))?;
    Ok((status, body.trim().to_owned()))
}

/// Retries [`get`] until `ok(status)` or `within` has passed.
pub(crate) async fn get_with_retry(
    port: u16,
    within: Duration,
    ok: impl Fn(u16) -> bool,
) -> Result<(u16, String)> {
    let start = Instant::now();
    loop {
        let r = get(port).await;
        match &r {
            Ok((status, _)) if ok(*status) => return r,
            _ if start.elapsed() >= within => {
                return match r {
                    Ok((status, body)) => Err(format!(
                        "127.0.0.1:{port} answered {status} after {within:?}: {body}"
                    )
                    .into()),
                    Err(e) => Err(format!("127.0.0.1:{port}: {e}").into()),
                };
            }
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Sends `n` sequential requests through the load balancer and counts the bodies (each backend
/// serves its slot's page). Any non-200 answer is an error.
pub(crate) async fn count_backends(port: u16, n: u32) -> Result<BTreeMap<String, u32>> {
    let mut counts = BTreeMap::new();
    for i in 0..n {
        let (status, body) = get(port).await?;
        if status != 200 {
            return Err(format!(
                "request {} through the load balancer: {status} {body}",
                i + 1
            )
            .into());
        }
        *counts.entry(body).or_insert(0) += 1;
    }
    Ok(counts)
}

/// Simulates `n` sequential requests over the upstream of `config_text` (parsed back with
/// lb-config): with no concurrent connections nginx's `least_conn` picks by weighted round robin
/// (smooth WRR, as nginx does). Returns each server with its count, in config order.
pub(crate) fn simulate(config_text: &str, n: u32) -> Result<Vec<(String, u32)>> {
    let config: Config = config_text.parse()?;
    let up = config
        .upstreams()
        .iter()
        .find(|u| u.name() == UPSTREAM)
        .ok_or("the config has no upstream loadbalance")?;
    let servers: Vec<(String, i64)> = up
        .servers()
        .iter()
        .filter(|s| !s.is_down() && !s.is_backup())
        .map(|s| (s.addr().to_string(), i64::from(s.weight().unwrap_or(1))))
        .collect();
    if servers.is_empty() {
        return Err("the upstream has no usable server".into());
    }
    let total: i64 = servers.iter().map(|(_, w)| w).sum();
    let mut current = vec![0i64; servers.len()];
    let mut counts = vec![0u32; servers.len()];
    for _ in 0..n {
        for (c, (_, w)) in current.iter_mut().zip(&servers) {
            *c += w;
        }
        let best = (0..servers.len())
            .max_by_key(|&i| (current[i], std::cmp::Reverse(i)))
            .unwrap_or(0);
        current[best] -= total;
        counts[best] += 1;
    }
    Ok(servers.into_iter().map(|(s, _)| s).zip(counts).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulate_spreads_evenly_and_by_weight() {
        let text = "upstream loadbalance {\n    least_conn;\n    server 127.0.0.1:8080;\n    server 127.0.0.2:8080 weight=2;\n}\n";
        let r = simulate(text, 30).unwrap();
        assert_eq!(
            r,
            vec![
                ("127.0.0.1:8080".to_owned(), 10),
                ("127.0.0.2:8080".to_owned(), 20)
            ]
        );
        assert!(simulate("server { listen 80; }\n", 3).is_err());
    }

    #[test]
    fn render_has_least_conn_and_every_server() {
        let servers: Vec<ServerAddr> = ["127.0.0.3:8080", "127.0.0.1:8080", "127.0.0.2:8080"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let text = render(&servers, "80").unwrap().render();
        assert!(text.contains("least_conn;"), "{text}");
        for s in &servers {
            assert!(text.contains(&format!("server {s};")), "{text}");
        }
        assert!(text.contains("proxy_pass http://loadbalance;"), "{text}");
        assert!(
            placeholder("127.0.0.1:8081")
                .unwrap()
                .render()
                .contains("return 502;")
        );
    }
}
