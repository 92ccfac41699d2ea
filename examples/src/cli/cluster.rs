//! `dockwright node rm|promote|demote` and `dockwright swarm update`: docker's flags and
//! messages over swarm-client's [`swarm_client::nodes`] and [`swarm_client::swarm::SwarmUpdate`].

use clap::{Args, Subcommand};
use swarm_client::Client;
use swarm_client::models::NodeRole;
use swarm_client::swarm::SwarmUpdate;

use super::CliResult;

/// Node commands that change the cluster (added to `node`'s own).
#[derive(Debug, Subcommand)]
pub enum NodeOp {
    /// Remove one or more nodes from the swarm.
    #[command(alias = "remove")]
    Rm {
        /// Force remove a node from the swarm.
        #[arg(short, long)]
        force: bool,
        /// Node IDs or hostnames.
        #[arg(required = true)]
        nodes: Vec<String>,
    },
    /// Promote one or more nodes to manager in the swarm.
    Promote {
        /// Node IDs or hostnames.
        #[arg(required = true)]
        nodes: Vec<String>,
    },
    /// Demote one or more nodes from manager in the swarm.
    Demote {
        /// Node IDs or hostnames.
        #[arg(required = true)]
        nodes: Vec<String>,
    },
}

/// Flags of `swarm update` (docker's: only the ones given change).
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Change manager autolocking setting (true|false).
    #[arg(long, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    autolock: Option<String>,
    /// Validity period for node certificates (ns|us|ms|s|m|h), e.g. 2160h0m0s.
    #[arg(long)]
    cert_expiry: Option<String>,
    /// Dispatcher heartbeat period (ns|us|ms|s|m|h), e.g. 5s.
    #[arg(long)]
    dispatcher_heartbeat: Option<String>,
    /// Number of additional Raft snapshots to retain.
    #[arg(long)]
    max_snapshots: Option<u64>,
    /// Number of log entries between Raft snapshots.
    #[arg(long)]
    snapshot_interval: Option<u64>,
    /// Task history retention limit.
    #[arg(long)]
    task_history_limit: Option<i64>,
}

/// A Go duration flag (`90s`, `2160h`): a non-negative [`std::time::Duration`].
fn duration(flag: &str, v: &str) -> CliResult<std::time::Duration> {
    let ns = sdk_grammar::go::parse_duration(v)
        .map_err(|e| format!("invalid argument {v:?} for \"--{flag}\" flag: {e}"))?;
    let ns = u64::try_from(ns)
        .map_err(|_| format!("invalid argument {v:?} for \"--{flag}\" flag: negative"))?;
    Ok(std::time::Duration::from_nanos(ns))
}

impl UpdateArgs {
    /// The change these flags ask for.
    ///
    /// # Errors
    /// A duration or boolean docker would refuse, naming the flag.
    pub fn change(&self) -> CliResult<SwarmUpdate> {
        let mut u = SwarmUpdate::new();
        if let Some(v) = &self.autolock {
            let on = sdk_grammar::go::parse_bool(v)
                .map_err(|e| format!("invalid argument {v:?} for \"--autolock\" flag: {e}"))?;
            u = u.autolock(on);
        }
        if let Some(v) = &self.cert_expiry {
            u = u.cert_expiry(duration("cert-expiry", v)?);
        }
        if let Some(v) = &self.dispatcher_heartbeat {
            u = u.dispatcher_heartbeat(duration("dispatcher-heartbeat", v)?);
        }
        if let Some(v) = self.max_snapshots {
            u = u.max_snapshots(v);
        }
        if let Some(v) = self.snapshot_interval {
            u = u.snapshot_interval(v);
        }
        if let Some(v) = self.task_history_limit {
            u = u.task_history_limit(v);
        }
        Ok(u)
    }
}

/// `swarm update`: prints `Swarm updated.`, and the unlock key when autolock was turned on.
///
/// # Errors
/// Bad flags, API errors.
pub async fn swarm_update(c: &Client, args: &UpdateArgs) -> CliResult {
    let change = args.change()?;
    c.swarm_update_with(&change).await?;
    println!("Swarm updated.");
    if change.enables_autolock() {
        let key = c.swarm_unlock_key().await?;
        println!(
            "To unlock a swarm manager after it restarts, run the `docker swarm unlock`\n\
             command and provide the following key:\n\n    {}\n\n\
             Remember to store this key in a password manager, since without it you\n\
             will not be able to restart the manager.",
            key.expose()
        );
    }
    Ok(())
}

/// Runs a node command, docker's messages per node; fails naming the nodes that failed.
///
/// # Errors
/// API errors (unknown node, a manager removed without `--force`, the last manager demoted).
pub async fn node_op(c: &Client, op: NodeOp) -> CliResult {
    let mut failed = Vec::new();
    match op {
        NodeOp::Rm { force, nodes } => {
            for n in nodes {
                match c.node_remove(&n, force).await {
                    Ok(()) => println!("{n}"),
                    Err(e) => failed.push(format!("{n}: {}", super::hints::with_hint(&e))),
                }
            }
        }
        NodeOp::Promote { nodes } => {
            for n in nodes {
                match c.node_set_role(&n, NodeRole::Manager).await {
                    Ok(true) => println!("Node {n} promoted to a manager in the swarm."),
                    Ok(false) => println!("Node {n} is already a manager."),
                    Err(e) => failed.push(format!("{n}: {}", super::hints::with_hint(&e))),
                }
            }
        }
        NodeOp::Demote { nodes } => {
            for n in nodes {
                match c.node_set_role(&n, NodeRole::Worker).await {
                    Ok(true) => println!("Manager {n} demoted in the swarm."),
                    Ok(false) => println!("Node {n} is already a worker."),
                    Err(e) => failed.push(format!("{n}: {}", super::hints::with_hint(&e))),
                }
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("; ").into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> UpdateArgs {
        #[derive(clap::Parser)]
        struct T {
            #[command(flatten)]
            a: UpdateArgs,
        }
        let mut v = vec!["t"];
        v.extend_from_slice(list);
        <T as clap::Parser>::try_parse_from(v).unwrap().a
    }

    #[test]
    fn update_flags_to_a_change() {
        assert!(args(&[]).change().unwrap().is_empty());
        let c = args(&["--autolock", "--task-history-limit", "2"])
            .change()
            .unwrap();
        assert_eq!(c, SwarmUpdate::new().autolock(true).task_history_limit(2));
        let c = args(&["--autolock=false", "--cert-expiry", "2h30m"])
            .change()
            .unwrap();
        assert_eq!(
            c,
            SwarmUpdate::new()
                .autolock(false)
                .cert_expiry(std::time::Duration::from_secs(9000))
        );
        let e = args(&["--dispatcher-heartbeat=-5s"]).change().unwrap_err();
        assert!(e.to_string().contains("--dispatcher-heartbeat"), "{e}");
        let e = args(&["--autolock=maybe"]).change().unwrap_err();
        assert!(e.to_string().contains("--autolock"), "{e}");
    }
}
