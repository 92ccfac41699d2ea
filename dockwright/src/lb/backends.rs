//! A service's running tasks as nginx upstream servers: where each task listens.

use std::net::IpAddr;

use lb_config::{ServerAddr, UpstreamServer};
use swarm_client::Client;
use swarm_client::models::Service;
use swarm_client::port::{PortConfig, PublishMode};
use swarm_client::tasks::TaskPlacement;

use crate::error::{Error, Result};

/// Which port of its node each task listens on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PortRule {
    /// Every task listens on this port.
    Fixed(u16),
    /// Host-networked tasks started with an env entry like `PORT=<base>{{.Task.Slot}}`: the
    /// port is the decimal concatenation of `base` and the slot ([`port_for_slot`]).
    PerSlot {
        /// The digits before the slot.
        base: u32,
    },
    /// The service's host-mode published port (`--publish mode=host,…`): the one for `target`
    /// when given, else the only one.
    Published {
        /// The container port whose published port is meant.
        target: Option<u32>,
    },
}

/// How a service's running tasks become upstream servers: the port rule, an optional address
/// for every task instead of its node's, and parameters for every server line.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Backends {
    ports: PortRule,
    addr: Option<IpAddr>,
    params: String,
}

impl Backends {
    /// Tasks at their node's address (`Status.Addr` as the swarm reports it), on `ports`.
    pub fn new(ports: PortRule) -> Self {
        Self {
            ports,
            addr: None,
            params: String::new(),
        }
    }

    /// Use this address for every task (e.g. `127.0.0.1` for a one-machine swarm).
    pub fn addr(mut self, addr: IpAddr) -> Self {
        self.addr = Some(addr);
        self
    }

    /// Parameters for every server line, e.g. `max_fails=3 fail_timeout=10s` (checked by
    /// lb-config when the servers are made).
    pub fn server_params(mut self, params: impl Into<String>) -> Self {
        self.params = params.into().trim().to_owned();
        self
    }

    /// The upstream servers of `placements` (the running tasks of `svc`), one per task, in the
    /// order given; duplicates (two tasks on one address) are kept once.
    ///
    /// # Errors
    /// [`Error::Backend`] when a port or address cannot be worked out (naming the task);
    /// [`Error::Config`] when the server parameters are not valid nginx.
    pub fn servers(
        &self,
        svc: &Service,
        placements: &[TaskPlacement],
    ) -> Result<Vec<UpstreamServer>> {
        let fixed = match &self.ports {
            PortRule::Fixed(p) => Some(*p),
            PortRule::PerSlot { .. } => None,
            PortRule::Published { target } => Some(published_port(svc, *target)?),
        };
        let mut out: Vec<UpstreamServer> = Vec::new();
        for p in placements {
            let port = match (fixed, &self.ports) {
                (Some(port), _) => port,
                (None, PortRule::PerSlot { base }) => {
                    let slot = p.slot.ok_or_else(|| {
                        Error::Backend(format!(
                            "task {} has no slot (a global service?): a per-slot port needs slots",
                            p.task_id
                        ))
                    })?;
                    port_for_slot(*base, slot)?
                }
                (None, _) => unreachable!("only PerSlot leaves the port open"),
            };
            let ip = match self.addr {
                Some(ip) => ip,
                None => p.node_addr.parse::<IpAddr>().map_err(|_| {
                    Error::Backend(format!(
                        "node {} ({}) of task {} has no IP address ({:?}): give an address",
                        p.hostname, p.node_id, p.task_id, p.node_addr
                    ))
                })?,
            };
            let addr = ServerAddr::ip(ip, Some(port));
            let server = if self.params.is_empty() {
                UpstreamServer::builder(addr).build()?
            } else {
                format!("{addr} {}", self.params).parse::<UpstreamServer>()?
            };
            if !out.contains(&server) {
                out.push(server);
            }
        }
        Ok(out)
    }

    /// Inspects `service` and returns it with the upstream servers of its running tasks.
    ///
    /// # Errors
    /// The Engine API's errors ([`swarm_client::Error::NotFound`] for an unknown service), and
    /// those of [`Backends::servers`].
    pub async fn resolve(
        &self,
        client: &Client,
        service: &str,
    ) -> Result<(Service, Vec<UpstreamServer>)> {
        let svc = client.service_inspect(service).await?;
        let placements = client.service_placements(&svc.id).await?;
        let servers = self.servers(&svc, &placements)?;
        Ok((svc, servers))
    }
}

/// The port of slot `slot` for tasks started with `PORT=<base>{{.Task.Slot}}`: the digits
/// joined, so slot 2 of base 3123 is 31232 and slot 12 is 312312 (not a port: an error).
///
/// # Errors
/// [`Error::Backend`] when the joined digits are not a TCP port.
///
/// ```
/// assert_eq!(dockwright::lb::port_for_slot(808, 1).unwrap(), 8081);
/// assert!(dockwright::lb::port_for_slot(3123, 12).is_err());
/// ```
pub fn port_for_slot(base: u32, slot: u64) -> Result<u16> {
    let s = format!("{base}{slot}");
    s.parse::<u16>().map_err(|_| {
        Error::Backend(format!(
            "port base {base} with slot {slot} gives port {s}, which is not a valid TCP port"
        ))
    })
}

/// The service's host-mode published port: from the ports the swarm published
/// (`Endpoint.Ports`), else from its spec; the one for `target` when given.
///
/// # Errors
/// [`Error::Backend`] when there is none, or several and no `target` picks one.
pub fn published_port(svc: &Service, target: Option<u32>) -> Result<u16> {
    let pick = |ports: &[PortConfig]| -> Vec<(u32, u32)> {
        let mut v: Vec<(u32, u32)> = ports
            .iter()
            .filter(|p| p.publish_mode == Some(PublishMode::Host) && p.published_port != 0)
            .filter(|p| target.is_none_or(|t| t == p.target_port))
            .map(|p| (p.target_port, p.published_port))
            .collect();
        v.dedup();
        v
    };
    let mut ports = pick(&svc.endpoint.ports);
    if ports.is_empty()
        && let Some(spec) = &svc.spec.endpoint_spec
    {
        ports = pick(&spec.ports);
    }
    let for_target = target.map_or_else(String::new, |t| format!(" for target {t}"));
    match ports.as_slice() {
        [(_, p)] => u16::try_from(*p)
            .map_err(|_| Error::Backend(format!("published port {p} is out of range"))),
        [] => Err(Error::Backend(format!(
            "service {:?} publishes no host-mode port{for_target}: give a fixed port, or a per-slot \
             port base for tasks started with PORT=<base>{{{{.Task.Slot}}}}",
            svc.name()
        ))),
        many => Err(Error::Backend(format!(
            "service {:?} publishes several host-mode ports (target→published {}): choose one \
             by its target port",
            svc.name(),
            many.iter()
                .map(|(t, p)| format!("{t}→{p}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(json: serde_json::Value) -> Service {
        serde_json::from_value(json).unwrap()
    }

    fn placement(slot: Option<u64>, addr: &str) -> TaskPlacement {
        let p = TaskPlacement::new(format!("t{}", slot.unwrap_or(0)), "n1", addr);
        match slot {
            Some(s) => p.with_slot(s),
            None => p,
        }
    }

    #[test]
    fn per_slot_ports_join_the_digits() {
        assert_eq!(port_for_slot(3123, 2).unwrap(), 31232);
        assert_eq!(port_for_slot(80, 10).unwrap(), 8010);
        assert!(port_for_slot(808, 10).is_err());
        assert!(matches!(port_for_slot(3123, 12), Err(Error::Backend(_))));
        let svc = service(serde_json::json!({"ID": "s", "Spec": {"Name": "web"}}));
        let b = Backends::new(PortRule::PerSlot { base: 808 });
        let servers = b
            .servers(
                &svc,
                &[
                    placement(Some(1), "127.0.0.1"),
                    placement(Some(2), "127.0.0.2"),
                ],
            )
            .unwrap();
        let text: Vec<String> = servers.iter().map(ToString::to_string).collect();
        assert_eq!(text, ["127.0.0.1:8081", "127.0.0.2:8082"]);
        let err = b
            .servers(&svc, &[placement(None, "127.0.0.1")])
            .unwrap_err();
        assert!(err.to_string().contains("no slot"), "{err}");
    }

    #[test]
    fn published_host_ports_and_params() {
        let svc = service(serde_json::json!({"ID": "s", "Spec": {"Name": "web",
        "EndpointSpec": {"Ports": [
            {"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080, "PublishMode": "host"},
            {"Protocol": "tcp", "TargetPort": 443, "PublishedPort": 8443, "PublishMode": "ingress"}
        ]}}}));
        assert_eq!(published_port(&svc, None).unwrap(), 8080);
        assert!(published_port(&svc, Some(443)).is_err());
        let b = Backends::new(PortRule::Published { target: Some(80) })
            .server_params("max_fails=3 fail_timeout=10s");
        let servers = b
            .servers(
                &svc,
                &[
                    placement(Some(1), "127.0.0.1"),
                    placement(Some(2), "127.0.0.1"),
                ],
            )
            .unwrap();
        // two tasks on one node and port: one server
        let text: Vec<String> = servers.iter().map(ToString::to_string).collect();
        assert_eq!(text, ["127.0.0.1:8080 max_fails=3 fail_timeout=10s"]);
        let bad = Backends::new(PortRule::Fixed(80)).server_params("weight=0");
        assert!(matches!(
            bad.servers(&svc, &[placement(Some(1), "127.0.0.1")]),
            Err(Error::Config(_))
        ));
        let none = Backends::new(PortRule::Fixed(80));
        let err = none
            .servers(&svc, &[placement(Some(1), "swarm-node-1")])
            .unwrap_err();
        assert!(err.to_string().contains("no IP address"), "{err}");
    }
}
