//! `dockwright secret|config|network create|ls|inspect|rm`: docker's commands, flags, tables and
//! messages over swarm-client's [`swarm_client::secrets`], [`swarm_client::configs`] and
//! [`swarm_client::networks`].

use std::io::Read as _;
use std::time::SystemTime;

use clap::{Args, Subcommand};
use swarm_client::Client;
use swarm_client::args::{Filters, key_value_map};
use swarm_client::configs::{MAX_CONFIG_DATA, ObjectCreate};
use swarm_client::models::{SwarmObject, Timestamp};
use swarm_client::mount::Driver;
use swarm_client::networks::{Ipam, IpamConfig, NetworkCreate};
use swarm_client::secrets::MAX_SECRET_DATA;

use super::swarm::{Area, human_duration};
use super::table::render_table;
use super::{CliResult, connect, print_json};

/// Commands of this area.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Swarm secrets: create, ls, inspect, rm.
    Secret(Area<SecretCommand>),
    /// Swarm configs: create, ls, inspect, rm.
    Config(Area<ConfigCommand>),
    /// Networks: create, ls, inspect, rm.
    Network(Area<NetworkCommand>),
}

/// The listing flags every `ls` takes.
#[derive(Debug, Args)]
pub struct ListFlags {
    /// Only display IDs.
    #[arg(short, long)]
    quiet: bool,
    /// `table` (default) or `json`.
    #[arg(long, default_value = "table")]
    format: String,
    /// Filter output based on conditions provided (`name=…`, `label=…`, `id=…`).
    #[arg(short, long)]
    filter: Vec<String>,
}

/// Subcommands of `secret`.
#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Create a secret from a file or STDIN as content; prints its ID.
    Create {
        /// Secret driver.
        #[arg(short, long)]
        driver: Option<String>,
        /// Secret labels (`key=value`).
        #[arg(short, long)]
        label: Vec<String>,
        /// Template driver.
        #[arg(long)]
        template_driver: Option<String>,
        /// The secret's name.
        name: String,
        /// The file with the data, or `-` for stdin (not needed with `--driver`).
        file: Option<String>,
    },
    /// List secrets.
    #[command(alias = "list")]
    Ls(ListFlags),
    /// Display detailed information on one or more secrets (JSON).
    Inspect {
        /// Secret names or IDs.
        #[arg(required = true)]
        secrets: Vec<String>,
    },
    /// Remove one or more secrets.
    #[command(alias = "remove")]
    Rm {
        /// Secret names or IDs.
        #[arg(required = true)]
        secrets: Vec<String>,
    },
}

/// Subcommands of `config`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Create a config from a file or STDIN; prints its ID.
    Create {
        /// Config labels (`key=value`).
        #[arg(short, long)]
        label: Vec<String>,
        /// Template driver.
        #[arg(long)]
        template_driver: Option<String>,
        /// The config's name.
        name: String,
        /// The file with the data, or `-` for stdin.
        file: String,
    },
    /// List configs.
    #[command(alias = "list")]
    Ls(ListFlags),
    /// Display detailed information on one or more configs (JSON).
    Inspect {
        /// Config names or IDs.
        #[arg(required = true)]
        configs: Vec<String>,
    },
    /// Remove one or more configs.
    #[command(alias = "remove")]
    Rm {
        /// Config names or IDs.
        #[arg(required = true)]
        configs: Vec<String>,
    },
}

/// Subcommands of `network`.
#[derive(Debug, Subcommand)]
pub enum NetworkCommand {
    /// Create a network; prints its ID.
    Create {
        /// Driver to manage the network.
        #[arg(short, long, default_value = "bridge")]
        driver: String,
        /// Enable manual container attachment.
        #[arg(long)]
        attachable: bool,
        /// Restrict external access to the network.
        #[arg(long)]
        internal: bool,
        /// Set metadata on a network (`key=value`).
        #[arg(long)]
        label: Vec<String>,
        /// Set driver specific options (`key=value`).
        #[arg(short = 'o', long = "opt")]
        opt: Vec<String>,
        /// Subnet in CIDR format that represents a network segment.
        #[arg(long)]
        subnet: Vec<String>,
        /// IP Address Management Driver.
        #[arg(long, default_value = "default")]
        ipam_driver: String,
        /// The network's name.
        name: String,
    },
    /// List networks.
    #[command(alias = "list")]
    Ls {
        /// Listing flags.
        #[command(flatten)]
        list: ListFlags,
        /// Do not truncate the output.
        #[arg(long)]
        no_trunc: bool,
    },
    /// Display detailed information on one or more networks (JSON).
    Inspect {
        /// Network names or IDs.
        #[arg(required = true)]
        networks: Vec<String>,
    },
    /// Remove one or more networks.
    #[command(alias = "remove")]
    Rm {
        /// Network names or IDs.
        #[arg(required = true)]
        networks: Vec<String>,
    },
}

/// Runs a command of this area.
///
/// # Errors
/// Whatever the SDK calls return, and bad arguments.
pub async fn run(cmd: Command) -> CliResult {
    match cmd {
        Command::Secret(a) => secret(&connect(a.host.as_deref()).await?, a.command).await,
        Command::Config(a) => config(&connect(a.host.as_deref()).await?, a.command).await,
        Command::Network(a) => network(&connect(a.host.as_deref()).await?, a.command).await,
    }
}

/// The data of a config or secret: a file or stdin (`-`), at most `limit` bytes (the swarm's
/// [`MAX_CONFIG_DATA`] or [`MAX_SECRET_DATA`]): a larger file is refused before it is read whole.
fn read_data(what: &str, file: &str, limit: usize) -> CliResult<Vec<u8>> {
    let mut data = Vec::new();
    let bound = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    if file == "-" {
        std::io::stdin().take(bound).read_to_end(&mut data)
    } else {
        std::fs::File::open(file)
            .map_err(|e| format!("error reading {what} content from {file}: {e}"))?
            .take(bound)
            .read_to_end(&mut data)
    }?;
    if data.len() > limit {
        return Err(format!(
            "{what} data from {file} is larger than the {limit} bytes a swarm {what} can hold"
        )
        .into());
    }
    Ok(data)
}

fn driver(name: &str) -> Driver {
    let mut d = Driver::default();
    d.name = name.to_owned();
    d
}

/// `About a minute ago`, docker's CREATED/UPDATED columns (the raw value when unparsable).
fn ago(ts: &str, now: SystemTime) -> String {
    match Timestamp::parse(ts) {
        Some(t) => format!(
            "{} ago",
            human_duration(now.duration_since(t.to_system_time()).unwrap_or_default())
        ),
        None => ts.to_owned(),
    }
}

/// `docker secret ls` (`with_driver`) and `docker config ls` tables: sorted by name.
pub(crate) fn object_table(list: &[SwarmObject], with_driver: bool, now: SystemTime) -> String {
    let mut header = vec!["ID", "NAME"];
    if with_driver {
        header.push("DRIVER");
    }
    header.extend(["CREATED", "UPDATED"]);
    let mut rows = vec![header.into_iter().map(String::from).collect::<Vec<_>>()];
    let mut sorted: Vec<&SwarmObject> = list.iter().collect();
    sorted.sort_by(|a, b| a.spec.name.cmp(&b.spec.name).then(a.id.cmp(&b.id)));
    for o in sorted {
        let mut row = vec![o.id.clone(), o.spec.name.clone()];
        if with_driver {
            row.push(
                o.spec
                    .driver
                    .as_ref()
                    .and_then(|d| d.get("Name"))
                    .and_then(|n| n.as_str())
                    .unwrap_or("")
                    .to_owned(),
            );
        }
        row.push(ago(&o.created_at, now));
        row.push(ago(&o.updated_at, now));
        rows.push(row);
    }
    render_table(&rows)
}

fn print_objects(list: &[SwarmObject], flags: &ListFlags, with_driver: bool) -> CliResult {
    if flags.quiet {
        for o in list {
            println!("{}", o.id);
        }
        Ok(())
    } else if flags.format == "json" {
        print_json(&list)
    } else if flags.format == "table" {
        print!("{}", object_table(list, with_driver, SystemTime::now()));
        Ok(())
    } else {
        Err(format!("unknown --format {:?}: use table or json", flags.format).into())
    }
}

/// Removes each of `names` with `rm`, printing each name removed like docker, then fails
/// naming the ones that could not be removed.
async fn remove_each<F, Fut>(names: Vec<String>, rm: F) -> CliResult
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = swarm_client::Result<()>>,
{
    let mut failed = Vec::new();
    for n in names {
        match rm(n.clone()).await {
            Ok(()) => println!("{n}"),
            Err(e) => failed.push(format!("{n}: {}", super::hints::with_hint(&e))),
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("; ").into())
    }
}

/// A secret or config by name or ID (the Engine API looks up both for inspect and remove).
async fn secret(c: &Client, cmd: SecretCommand) -> CliResult {
    match cmd {
        SecretCommand::Create {
            driver: drv,
            label,
            template_driver,
            name,
            file,
        } => {
            let data = match (&drv, file.as_deref()) {
                (_, Some(f)) => read_data("secret", f, MAX_SECRET_DATA)?,
                (Some(_), None) => Vec::new(),
                (None, None) => {
                    return Err(
                        "secret create needs a file (or - for stdin) unless --driver is given"
                            .into(),
                    );
                }
            };
            let mut spec = ObjectCreate::new(name, data);
            spec.labels = key_value_map("label", &label)?;
            spec.driver = drv.as_deref().map(driver);
            spec.templating = template_driver.as_deref().map(driver);
            println!("{}", c.secret_create_with(&spec).await?);
        }
        SecretCommand::Ls(flags) => {
            let list = c
                .secret_list(&Filters::parse(&flags.filter)?.pairs())
                .await?;
            print_objects(&list, &flags, true)?;
        }
        SecretCommand::Inspect { secrets } => {
            let mut out = Vec::new();
            for s in secrets {
                out.push(c.secret_inspect(&s).await?);
            }
            print_json(&out)?;
        }
        SecretCommand::Rm { secrets } => {
            remove_each(secrets, |s| async move { c.secret_remove(&s).await }).await?;
        }
    }
    Ok(())
}

async fn config(c: &Client, cmd: ConfigCommand) -> CliResult {
    match cmd {
        ConfigCommand::Create {
            label,
            template_driver,
            name,
            file,
        } => {
            let mut spec = ObjectCreate::new(name, read_data("config", &file, MAX_CONFIG_DATA)?);
            spec.labels = key_value_map("label", &label)?;
            spec.templating = template_driver.as_deref().map(driver);
            println!("{}", c.config_create_with(&spec).await?);
        }
        ConfigCommand::Ls(flags) => {
            let list = c
                .config_list(&Filters::parse(&flags.filter)?.pairs())
                .await?;
            print_objects(&list, &flags, false)?;
        }
        ConfigCommand::Inspect { configs } => {
            let mut out = Vec::new();
            for s in configs {
                out.push(c.config_inspect(&s).await?);
            }
            print_json(&out)?;
        }
        ConfigCommand::Rm { configs } => {
            remove_each(configs, |s| async move { c.config_remove(&s).await }).await?;
        }
    }
    Ok(())
}

/// `docker network ls` table: NETWORK ID (12 characters unless `--no-trunc`), NAME, DRIVER,
/// SCOPE, sorted by name.
pub(crate) fn network_table(list: &[swarm_client::models::Network], no_trunc: bool) -> String {
    let mut rows = vec![
        ["NETWORK ID", "NAME", "DRIVER", "SCOPE"]
            .map(String::from)
            .to_vec(),
    ];
    let mut sorted: Vec<_> = list.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    for n in sorted {
        rows.push(vec![
            net_id(&n.id, no_trunc).to_owned(),
            n.name.clone(),
            n.driver.clone(),
            n.scope.clone(),
        ]);
    }
    render_table(&rows)
}

fn net_id(id: &str, no_trunc: bool) -> &str {
    if no_trunc {
        id
    } else {
        id.get(..12).unwrap_or(id)
    }
}

async fn network(c: &Client, cmd: NetworkCommand) -> CliResult {
    match cmd {
        NetworkCommand::Create {
            driver,
            attachable,
            internal,
            label,
            opt,
            subnet,
            ipam_driver,
            name,
        } => {
            let mut spec = NetworkCreate::new(name, driver);
            spec.attachable = attachable;
            spec.internal = internal;
            spec.labels = key_value_map("label", &label)?;
            spec.options = key_value_map("opt", &opt)?;
            if !subnet.is_empty() || ipam_driver != "default" {
                let mut ipam = Ipam::default();
                ipam.driver = ipam_driver;
                ipam.config = subnet.into_iter().map(IpamConfig::subnet).collect();
                spec.ipam = Some(ipam);
            }
            println!("{}", c.network_create_with(&spec).await?);
        }
        NetworkCommand::Ls {
            list: flags,
            no_trunc,
        } => {
            let list = c
                .network_list(&Filters::parse(&flags.filter)?.pairs())
                .await?;
            if flags.quiet {
                for n in &list {
                    println!("{}", net_id(&n.id, no_trunc));
                }
            } else if flags.format == "json" {
                print_json(&list)?;
            } else if flags.format == "table" {
                print!("{}", network_table(&list, no_trunc));
            } else {
                return Err(
                    format!("unknown --format {:?}: use table or json", flags.format).into(),
                );
            }
        }
        NetworkCommand::Inspect { networks } => {
            let mut out = Vec::new();
            for n in networks {
                out.push(c.network_inspect(&n).await?);
            }
            print_json(&out)?;
        }
        NetworkCommand::Rm { networks } => {
            remove_each(networks, |n| async move { c.network_remove(&n).await }).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_have_dockers_columns() {
        let list: Vec<SwarmObject> = serde_json::from_value(serde_json::json!([
            {"ID": "b2", "CreatedAt": "2024-01-01T00:00:00Z", "UpdatedAt": "2024-01-01T00:00:30Z",
             "Spec": {"Name": "zeta", "Labels": {}}},
            {"ID": "a1", "CreatedAt": "2024-01-01T00:00:00Z", "UpdatedAt": "bad",
             "Spec": {"Name": "alpha", "Labels": {}, "Driver": {"Name": "vault"}}}
        ]))
        .unwrap();
        let now = Timestamp::parse("2024-01-01T00:01:00Z")
            .unwrap()
            .to_system_time();
        let t = object_table(&list, true, now);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(
            lines[0].split_whitespace().collect::<Vec<_>>(),
            ["ID", "NAME", "DRIVER", "CREATED", "UPDATED"]
        );
        assert!(
            lines[1].starts_with("a1") && lines[1].contains("vault"),
            "{t}"
        );
        assert!(
            lines[1].contains("About a minute ago") && lines[1].ends_with("bad"),
            "{t}"
        );
        assert!(lines[2].ends_with("30 seconds ago"), "{t}");
        let t = object_table(&list, false, now);
        assert!(!t.contains("DRIVER") && t.starts_with("ID "), "{t}");

        let nets: Vec<swarm_client::models::Network> = serde_json::from_value(serde_json::json!([
            {"Name": "web", "Id": "0123456789abcdef", "Driver": "overlay", "Scope": "swarm"},
            {"Name": "host", "Id": "fedcba9876543210", "Driver": "host", "Scope": "local"}
        ]))
        .unwrap();
        let t = network_table(&nets, false);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(
            lines[0], "NETWORK ID     NAME   DRIVER    SCOPE",
            "docker's header and widths"
        );
        assert_eq!(lines[1], "fedcba987654   host   host      local");
        assert!(network_table(&nets, true).contains("0123456789abcdef"));
    }

    #[test]
    fn object_data_is_bounded_by_the_swarms_limits() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'x'; MAX_SECRET_DATA + 1]).unwrap();
        let big = big.to_str().unwrap();
        let e = read_data("secret", big, MAX_SECRET_DATA).unwrap_err();
        assert!(
            e.to_string().contains("the 511999 bytes a swarm secret"),
            "{e}"
        );
        // A config holds more than a secret.
        assert_eq!(
            read_data("config", big, MAX_CONFIG_DATA).unwrap().len(),
            MAX_SECRET_DATA + 1
        );
        let at = dir.path().join("at");
        std::fs::write(&at, vec![b'x'; MAX_SECRET_DATA]).unwrap();
        let at = at.to_str().unwrap();
        assert_eq!(
            read_data("secret", at, MAX_SECRET_DATA).unwrap().len(),
            MAX_SECRET_DATA
        );
        let ok = dir.path().join("ok");
        std::fs::write(&ok, b"data").unwrap();
        assert_eq!(
            read_data("config", ok.to_str().unwrap(), MAX_CONFIG_DATA).unwrap(),
            b"data"
        );
        let e = read_data("config", "/nonexistent/x", MAX_CONFIG_DATA).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/x"), "{e}");
    }
}
