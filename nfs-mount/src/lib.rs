//! NFS mount options (nfs(5)) and exports (exports(5)): typed, rendered for Docker volumes,
//! `--mount` strings, fstab and mount(8), parsed back.
//!
//! A pure crate: it takes values and returns values and does no I/O (no name resolution
//! either: `addr=` takes IP literals; resolve names in the caller).
//!
//! - [`NfsOptions`]: the nfs(5) options, v3 and v4, typed with their ranges; unknown options
//!   kept in place.
//! - [`NfsVolume`]: a Docker `local`-driver NFS volume: [`DriverOpts`] (`type`, `o`,
//!   `device`), JSON, `docker volume create` arguments, a Compose volume, a volume name that
//!   changes with the options.
//! - [`NfsMount`]: the `--mount` CSV string of `docker service create` (the `o=` field is
//!   quoted when it holds commas).
//! - [`FstabEntry`] and [`MountCommand`]: fstab(5) lines and mount(8) arguments.
//! - [`ExportEntry`]: exports(5) lines; [`volume_nocopy_recommended`].
//!
//! Every type parses what it renders and keeps the order and spelling of what it parsed, so
//! `parse(s).to_string() == s` for every accepted `s`; values built in code render in a
//! canonical order (`type`, `o`, `device`; `addr=` first in `o`).
//!
//! # Quick start
//!
//! ```
//! use nfs_mount::{ExportEntry, NfsMount, NfsVolume, volume_nocopy_recommended};
//!
//! # fn main() -> Result<(), nfs_mount::Error> {
//! let export: ExportEntry = "/www 192.168.1.0/24(rw,sync,no_subtree_check)".parse()?;
//! let volume = NfsVolume::builder("192.168.1.220".parse().unwrap(), "/www")
//!     .options_str("nfsvers=4.1,hard")
//!     .build()?;
//! assert_eq!(
//!     volume.to_json(),
//!     r#"{"type":"nfs","o":"addr=192.168.1.220,nfsvers=4.1,hard","device":":/www"}"#
//! );
//! let mount = NfsMount::builder(volume.clone(), "/usr/share/nginx/html")
//!     .source(volume.volume_name("nfs_nginx")?)
//!     .volume_nocopy(volume_nocopy_recommended(&export))
//!     .build()?;
//! // The o= field holds commas, so the whole field is quoted.
//! assert!(mount.to_string().contains(r#","volume-opt=o=addr=192.168.1.220,nfsvers=4.1,hard","#));
//! assert_eq!(mount.to_string().parse::<NfsMount>()?, mount);
//! assert_eq!(
//!     volume.fstab_entry("/mnt/www")?.to_string(),
//!     "192.168.1.220:/www /mnt/www nfs nfsvers=4.1,hard 0 0"
//! );
//!
//! // The docker CLI's form from the seed parses and renders byte for byte.
//! let seed = "type=volume,volume-opt=o=addr=192.168.1.220,volume-opt=device=:/www,\
//!             volume-opt=type=nfs,source=nfs_nginx,target=/usr/share/nginx/html/,volume-nocopy=true";
//! assert_eq!(seed.parse::<NfsMount>()?.to_string(), seed);
//! # Ok(())
//! # }
//! ```
//!
//! # The day-5 NFS steps
//!
//! The server side (`/etc/exports`, then `exportfs -a`), the volume dockerd creates on each
//! node, and the mount John runs by hand to edit the load balancer's config:
//!
//! ```
//! use nfs_mount::{ExportEntry, MountCommand, NfsMount, NfsVolume};
//!
//! # fn main() -> Result<(), nfs_mount::Error> {
//! // /etc/exports on the Alpine NFS server.
//! let exports = [
//!     ExportEntry::builder("/www/nginx")
//!         .client("192.168.1.0/24", "rw,sync,no_subtree_check")
//!         .build()?,
//!     ExportEntry::builder("/www")
//!         .client("192.168.1.0/24", "rw,sync,no_subtree_check")
//!         .build()?,
//! ];
//! assert_eq!(exports[0].to_string(), "/www/nginx 192.168.1.0/24(rw,sync,no_subtree_check)");
//! assert!(exports[1].squashes_root()); // root_squash is the default
//!
//! // The load balancer's volume: `docker volume create` arguments for one node …
//! let conf = NfsVolume::new("192.168.1.220".parse().unwrap(), "/www/nginx")?;
//! let args = conf.volume_create_args("nfs_nginx_lb");
//! assert!(args.iter().any(|a| a == "device=:/www/nginx"));
//!
//! // … and the `--mount` of `docker service create --name swarm_nginx_lb`.
//! let lb = NfsMount::builder(conf.clone(), "/etc/nginx/")
//!     .source("nfs_nginx_lb")
//!     .volume_nocopy(true)
//!     .build()?;
//! assert_eq!(
//!     lb.to_string(),
//!     "type=volume,source=nfs_nginx_lb,target=/etc/nginx/,volume-opt=type=nfs,\
//!      volume-opt=o=addr=192.168.1.220,volume-opt=device=:/www/nginx,volume-nocopy=true"
//! );
//!
//! // sudo mount -t nfs 192.168.1.220:/www /home/john/www (mount points are absolute)
//! let www = NfsVolume::new("192.168.1.220".parse().unwrap(), "/www")?;
//! let mount: MountCommand = www.mount_command("/home/john/www")?;
//! assert_eq!(mount.args(), ["mount", "-t", "nfs", "192.168.1.220:/www", "/home/john/www"]);
//! assert_eq!(MountCommand::from_args(&mount.args())?, mount);
//! # let _ = args;
//! # Ok(())
//! # }
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;
mod export;
mod fstab;
mod mount;
mod options;
mod text;
mod volume;

pub use error::{Error, Result};
pub use export::{
    ClientSpec, ExportClient, ExportEntry, ExportEntryBuilder, ExportFlag, ExportOption,
    ExportOptions, ExportPath, Fsid, Prefix, volume_nocopy_recommended,
};
pub use fstab::{FstabEntry, MountCommand};
pub use mount::{NfsMount, NfsMountBuilder};
pub use options::{
    LocalLock, LookupCache, NfsOption, NfsOptions, NfsOptionsBuilder, NfsVersion, Proto, Recovery,
    SecFlavor, Switch, VersKey, Xprtsec,
};
pub use volume::{Device, DriverOpts, FsType, NfsVolume, NfsVolumeBuilder};

/// The README's example, compiled (and run) as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
