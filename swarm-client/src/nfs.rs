//! NFS volumes of `nfs-mount` as Engine API mounts (feature `nfs`): the typed way from an
//! [`nfs_mount::NfsMount`] to the [`Mount`] `docker service create --mount '…'` sends, without
//! writing the `--mount` text and parsing it back.
//!
//! ```
//! use nfs_mount::{NfsMount, NfsVolume};
//! use swarm_client::mount::{Mount, MountSpec};
//!
//! let volume = NfsVolume::builder("192.168.1.220".parse().unwrap(), "/www")
//!     .options_str("nfsvers=4.1")
//!     .build()?;
//! let nfs = NfsMount::builder(volume, "/usr/share/nginx/html")
//!     .source("nfs_nginx")
//!     .volume_nocopy(true)
//!     .build()?;
//! let mount = Mount::from(&nfs);
//! let driver = mount.volume_options.as_ref().unwrap().driver_config.as_ref().unwrap();
//! assert_eq!(driver.options["type"], "nfs");
//! assert_eq!(driver.options["device"], ":/www");
//! // The same as the docker CLI's reading of the --mount text:
//! assert_eq!(MountSpec::try_from(&nfs)?, nfs.to_string().parse::<MountSpec>()?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use nfs_mount::{NfsMount, NfsVolume};

use crate::mount::{Driver, Mount, MountError, MountSpec, MountType, VolumeOptions};

impl From<&NfsVolume> for Driver {
    /// The volume's driver options (`type`, `o`, `device`) with the default driver (no
    /// `volume-driver=`, as the docker CLI leaves it).
    fn from(v: &NfsVolume) -> Self {
        Self {
            name: String::new(),
            options: v.driver_opts().into_vec().into_iter().collect(),
            ..Self::default()
        }
    }
}

impl From<&NfsMount> for Mount {
    /// A `volume` mount of the NFS volume, as the docker CLI builds it from the mount's
    /// `--mount` text.
    fn from(m: &NfsMount) -> Self {
        Self {
            r#type: MountType::Volume,
            source: m.source().unwrap_or_default().to_owned(),
            target: m.target().to_owned(),
            read_only: m.read_only(),
            volume_options: Some(VolumeOptions {
                no_copy: m.volume_nocopy(),
                driver_config: Some(Driver::from(m.volume())),
                ..VolumeOptions::default()
            }),
            ..Self::default()
        }
    }
}

impl TryFrom<&NfsMount> for MountSpec {
    type Error = MountError;

    /// The mount as a checked `--mount` value.
    ///
    /// # Errors
    /// The docker CLI's reason when it would refuse the mount (e.g. a relative target).
    fn try_from(m: &NfsMount) -> Result<Self, Self::Error> {
        Self::try_from(Mount::from(m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nfs_mount::NfsVolume;

    fn volume(addr: &str, path: &str, opts: &str) -> NfsVolume {
        let b = NfsVolume::builder(addr.parse().unwrap(), path);
        let b = if opts.is_empty() {
            b
        } else {
            b.options_str(opts)
        };
        b.build().unwrap()
    }

    #[test]
    fn typed_conversion_equals_the_cli_reading_of_the_text() {
        let cases = [
            (
                "192.168.1.220",
                "/www",
                "",
                Some("nfs_nginx"),
                "/usr/share/nginx/html/",
                true,
                false,
            ),
            (
                "192.168.1.220",
                "/www/nginx",
                "",
                Some("nfs_nginx_lb"),
                "/etc/nginx/",
                true,
                false,
            ),
            (
                "10.0.0.5",
                "/export/a b",
                "nfsvers=4.1,hard,timeo=600",
                None,
                "/data",
                false,
                true,
            ),
            (
                "fd00::5",
                "/srv",
                "nfsvers=3,proto=tcp,rsize=1048576",
                Some("v"),
                "/v",
                true,
                true,
            ),
            (
                "127.0.0.1",
                "/x",
                "ro,nolock",
                Some("x"),
                "/mnt/x",
                false,
                false,
            ),
        ];
        for (addr, path, opts, source, target, nocopy, ro) in cases {
            let mut b = NfsMount::builder(volume(addr, path, opts), target)
                .volume_nocopy(nocopy)
                .read_only(ro);
            if let Some(s) = source {
                b = b.source(s);
            }
            let nfs = b.build().unwrap();
            let typed = MountSpec::try_from(&nfs).unwrap();
            let parsed: MountSpec = nfs.to_string().parse().unwrap();
            assert_eq!(typed, parsed, "{nfs}");
            assert_eq!(
                serde_json::to_value(Mount::from(&nfs)).unwrap(),
                serde_json::to_value(Mount::from(parsed)).unwrap()
            );
        }
    }
}
