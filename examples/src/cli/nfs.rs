//! `dockwright nfs …`: NFS volume options, `--mount` strings, fstab lines and exports
//! (nfs-mount).
//!
//! The crate takes IP addresses only; a host name given to `--addr` is resolved here, in the
//! CLI, with the system resolver (`std::net::ToSocketAddrs`), IPv4 preferred.

use std::net::{IpAddr, ToSocketAddrs};

use clap::{Args, Subcommand};
use nfs_mount::{
    Device, DriverOpts, ExportEntry, FsType, FstabEntry, MountCommand, NfsMount, NfsOptions,
    NfsVolume,
};
use serde_json::{Value, json};

use super::{CliResult, print_json};

/// Commands of this area.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// NFS volume options, --mount strings, fstab lines and exports.
    #[command(subcommand)]
    Nfs(NfsCommand),
}

/// Where the volume is: server, export path, options.
#[derive(Debug, Args)]
pub struct VolumeArgs {
    /// NFS server: an IP address, or a host name resolved by the CLI.
    #[arg(long)]
    pub addr: String,
    /// Export path on the server (e.g. /www).
    #[arg(long)]
    pub path: String,
    /// Mount options after addr= (e.g. nfsvers=4,rw).
    #[arg(short = 'o', long = "options", default_value = "")]
    pub options: String,
    /// File system type: nfs or nfs4.
    #[arg(long = "type", default_value = "nfs")]
    pub fs_type: String,
}

/// Subcommands of `nfs`.
#[derive(Debug, Subcommand)]
pub enum NfsCommand {
    /// Print the local driver's options as JSON: {"type":"nfs","o":"addr=…","device":":/www"}.
    VolumeOpts {
        /// The volume.
        #[command(flatten)]
        volume: VolumeArgs,
    },
    /// Print a `--mount` value for `docker service create`.
    MountString {
        /// The volume.
        #[command(flatten)]
        volume: VolumeArgs,
        /// Volume name (source=).
        #[arg(long)]
        source: Option<String>,
        /// Path in the container (target=).
        #[arg(long)]
        target: String,
        /// Add volume-nocopy=true.
        #[arg(long)]
        nocopy: bool,
        /// Add readonly=true.
        #[arg(long)]
        readonly: bool,
    },
    /// Print an fstab line.
    Fstab {
        /// The volume.
        #[command(flatten)]
        volume: VolumeArgs,
        /// Mount point on the client.
        #[arg(long)]
        mountpoint: String,
    },
    /// Print `docker volume create` arguments, one per line.
    VolumeCreate {
        /// The volume.
        #[command(flatten)]
        volume: VolumeArgs,
        /// Volume name; default: a name derived from --prefix and the options.
        #[arg(long)]
        name: Option<String>,
        /// Prefix of the derived name.
        #[arg(long, default_value = "nfs")]
        prefix: String,
    },
    /// Print a volume name that changes when the options change.
    VolumeName {
        /// The volume.
        #[command(flatten)]
        volume: VolumeArgs,
        /// Name prefix.
        #[arg(long)]
        prefix: String,
    },
    /// Parse any form (options, device, driver-options JSON, a Compose volume, --mount string, fstab line,
    /// `mount …` command, `docker volume create …`, exports line) and print it as JSON.
    Parse {
        /// The text to parse.
        input: String,
    },
    /// Print an exports(5) line, or parse one with --parse.
    Export {
        /// Exported path.
        #[arg(long, required_unless_present = "parse")]
        path: Option<String>,
        /// Client (host, IP/len, *.domain, @netgroup, *); repeatable.
        #[arg(long = "client")]
        clients: Vec<String>,
        /// Options for every client (e.g. rw,sync,no_subtree_check).
        #[arg(short = 'o', long = "options")]
        options: Option<String>,
        /// Write the path in double quotes.
        #[arg(long)]
        quote: bool,
        /// Parse this exports line instead and print JSON.
        #[arg(long, conflicts_with_all = ["path", "clients", "options", "quote"])]
        parse: Option<String>,
    },
}

/// Resolves `--addr`: an IP literal as is, else the first address of the name (IPv4 first).
fn resolve(addr: &str) -> CliResult<IpAddr> {
    if let Ok(ip) = addr.parse::<IpAddr>() {
        return Ok(ip);
    }
    let addrs: Vec<IpAddr> = (addr, 0)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve --addr {addr:?}: {e}"))?
        .map(|s| s.ip())
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addrs.first())
        .copied()
        .ok_or_else(|| format!("--addr {addr:?} resolves to no address").into())
}

fn volume(v: &VolumeArgs) -> CliResult<NfsVolume> {
    Ok(NfsVolume::builder(resolve(&v.addr)?, v.path.clone())
        .fs_type(v.fs_type.parse::<FsType>()?)
        .options_str(&v.options)
        .build()?)
}

fn options_json(o: &NfsOptions) -> Value {
    json!({
        "text": o.to_string(),
        "options": o.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "addr": o.addr().map(|a| a.to_string()),
        "version": o.version().map(|v| v.to_string()),
        "proto": o.proto().map(|p| p.to_string()),
        "read_only": o.is_read_only(),
    })
}

fn device_json(d: &Device) -> Value {
    json!({ "text": d.to_string(), "host": d.host(), "path": d.path() })
}

fn volume_json(v: &NfsVolume) -> Value {
    json!({
        "driver_opts": serde_json::to_value(v.driver_opts()).unwrap_or(Value::Null),
        "driver_opts_json": v.to_json(),
        "type": v.fs_type().as_str(),
        "addr": v.addr().map(|a| a.to_string()),
        "path": v.path(),
        "device": device_json(v.device()),
        "options": options_json(v.options()),
    })
}

fn export_json(e: &ExportEntry) -> Value {
    json!({
        "form": "export",
        "text": e.to_string(),
        "path": e.path().as_str(),
        "defaults": e.defaults().map(ToString::to_string),
        "clients": e.clients().iter().map(|c| json!({
            "host": c.host(),
            "kind": match c.spec() {
                nfs_mount::ClientSpec::World => "world",
                nfs_mount::ClientSpec::Host(_) => "host",
                nfs_mount::ClientSpec::Wildcard(_) => "wildcard",
                nfs_mount::ClientSpec::Netgroup(_) => "netgroup",
                nfs_mount::ClientSpec::Network { .. } => "network",
            },
            "options": c.options().map(|o| o.iter().map(ToString::to_string).collect::<Vec<_>>()),
        })).collect::<Vec<_>>(),
        "squashes_root": e.squashes_root(),
        "volume_nocopy_recommended": nfs_mount::volume_nocopy_recommended(e),
    })
}

/// Recognises the form of `input` and parses it.
fn parse_any(input: &str) -> CliResult<Value> {
    let t = input.trim_start();
    if t.starts_with('{') {
        let opts: DriverOpts = serde_json::from_str(t)?;
        let v = NfsVolume::try_from(opts)?;
        let mut j = volume_json(&v);
        j["form"] = json!("driver_opts");
        return Ok(j);
    }
    if t.contains("driver_opts:") {
        let (name, v) = NfsVolume::from_compose_yaml(input)?;
        let mut j = volume_json(&v);
        j["form"] = json!("compose");
        j["name"] = json!(name);
        return Ok(j);
    }
    let words: Vec<&str> = t.split_whitespace().collect();
    if words.first() == Some(&"mount") {
        // Split as a shell would: quoted paths may hold spaces.
        let m: MountCommand = t.parse()?;
        return Ok(json!({
            "form": "mount_command",
            "args": m.args(),
            "type": m.fs_type().as_str(),
            "device": device_json(m.device()),
            "dir": m.dir(),
            "options": options_json(m.options()),
            "volume": m.to_volume().ok().map(|v| volume_json(&v)),
        }));
    }
    if matches!(words.first(), Some(&"docker" | &"volume")) {
        let (name, v) = NfsVolume::from_volume_create_command(t)?;
        let mut j = volume_json(&v);
        j["form"] = json!("volume_create");
        j["name"] = json!(name);
        return Ok(j);
    }
    if t.starts_with(['/', '"']) {
        return Ok(export_json(&input.parse::<ExportEntry>()?));
    }
    let lower = t.to_ascii_lowercase();
    if lower.contains("volume-opt") || lower.starts_with("type=") || lower.contains("target=") {
        let m: NfsMount = input.parse()?;
        return Ok(json!({
            "form": "mount_string",
            "text": m.to_string(),
            "source": m.source(),
            "target": m.target(),
            "volume_nocopy": m.volume_nocopy(),
            "read_only": m.read_only(),
            "volume": volume_json(m.volume()),
        }));
    }
    if words.len() > 1 {
        let e: FstabEntry = input.parse()?;
        return Ok(json!({
            "form": "fstab",
            "text": e.to_string(),
            "device": device_json(e.device()),
            "mountpoint": e.mountpoint(),
            "type": e.fs_type().as_str(),
            "options": options_json(e.options()),
            "dump": e.dump(),
            "pass": e.pass(),
            "volume": e.to_volume().ok().map(|v| volume_json(&v)),
        }));
    }
    if t.contains(':') && !t.contains('=') {
        let d: Device = input.parse()?;
        let mut j = device_json(&d);
        j["form"] = json!("device");
        return Ok(j);
    }
    let o: NfsOptions = input.parse()?;
    let mut j = options_json(&o);
    j["form"] = json!("options");
    Ok(j)
}

/// Runs a command of this area.
///
/// # Errors
/// Bad input (typed nfs-mount errors), an `--addr` name that does not resolve.
pub async fn run(cmd: Command) -> CliResult {
    let Command::Nfs(cmd) = cmd;
    match cmd {
        NfsCommand::VolumeOpts { volume: v } => println!("{}", volume(&v)?.to_json()),
        NfsCommand::MountString {
            volume: v,
            source,
            target,
            nocopy,
            readonly,
        } => {
            let mut b = NfsMount::builder(volume(&v)?, target)
                .volume_nocopy(nocopy)
                .read_only(readonly);
            if let Some(s) = source {
                b = b.source(s);
            }
            println!("{}", b.build()?);
        }
        NfsCommand::Fstab {
            volume: v,
            mountpoint,
        } => println!("{}", volume(&v)?.fstab_entry(&mountpoint)?),
        NfsCommand::VolumeCreate {
            volume: v,
            name,
            prefix,
        } => {
            let vol = volume(&v)?;
            let name = match name {
                Some(n) => n,
                None => vol.volume_name(&prefix)?,
            };
            for a in vol.volume_create_args(&name) {
                println!("{a}");
            }
        }
        NfsCommand::VolumeName { volume: v, prefix } => {
            println!("{}", volume(&v)?.volume_name(&prefix)?);
        }
        NfsCommand::Parse { input } => print_json(&parse_any(&input)?)?,
        NfsCommand::Export {
            path,
            clients,
            options,
            quote,
            parse,
        } => {
            if let Some(line) = parse {
                return print_json(&export_json(&line.parse::<ExportEntry>()?));
            }
            let Some(path) = path else {
                return Err("--path is required".into());
            };
            if clients.is_empty() {
                return Err("at least one --client is required (use '*' for everyone)".into());
            }
            let mut b = ExportEntry::builder(path).quote_path(quote);
            for c in clients {
                b = match &options {
                    Some(o) => b.client(c, o.clone()),
                    None => b.client_without_options(c),
                };
            }
            println!("{}", b.build()?);
        }
    }
    Ok(())
}
