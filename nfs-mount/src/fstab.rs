//! fstab(5) lines and mount(8) arguments for NFS.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::options::{NfsOption, NfsOptions};
use crate::text::{
    check_absolute, check_no_control, number, octal_escape, octal_unescape, shell_quote,
    shell_split, split_ws,
};
use crate::volume::{Device, FsType, NfsVolume, check_parts};

/// Splits a volume into the `server:/path` device and options without `addr=`, as mount(8)
/// and fstab want them (when the device already names a server, both are kept as they are).
fn server_form(v: &NfsVolume) -> (Device, NfsOptions) {
    match (v.device().host(), v.options().addr()) {
        (None, Some(addr)) => (
            Device::with_addr(addr, v.path()).unwrap_or_else(|_| v.device().clone()),
            v.options().without_addr(),
        ),
        _ => (v.device().clone(), v.options().clone()),
    }
}

/// The reverse of [`server_form`]: `IP:/path` + options → `:/path` + `addr=IP,…`.
fn volume_form(fs_type: FsType, device: &Device, options: &NfsOptions) -> Result<NfsVolume> {
    let host = device.host().ok_or_else(|| Error::MissingAddr {
        device: device.to_string(),
    })?;
    let addr = device.host_ip().ok_or_else(|| Error::NotAnIpAddress {
        option: "device host".to_owned(),
        value: host.to_owned(),
    })?;
    let rest = options.retain(|o| !matches!(o, NfsOption::Generic(g) if g == "defaults"));
    NfsVolume::from_parts(fs_type, rest.with_addr_first(addr), device.without_host())
}

/// One fstab(5) line for an NFS mount: `server:/path /mnt nfs opts 0 0`.
///
/// Spaces, tabs, newlines and backslashes in the device and mount point are written
/// `\040`, `\011`, `\012`, `\134` (other escapes are [`Error::InvalidEscape`]). Four to six
/// fields; the separators of a parsed line are kept, so parse → render gives the same bytes.
/// The device must name a server or the options hold `addr=` ([`Error::MissingAddr`]);
/// the type is `nfs`/`nfs4`; the mount point is absolute.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FstabEntry {
    device: Device,
    mountpoint: String,
    fs_type: FsType,
    options: NfsOptions,
    dump: Option<u32>,
    pass: Option<u32>,
    seps: Vec<String>,
}

impl FstabEntry {
    /// An entry with single-space separators and `0 0`; empty options are written `defaults`.
    ///
    /// # Errors
    /// [`Error::RelativePath`] for a relative mount point, [`Error::InvalidCharacter`] for
    /// control characters other than tab and newline, [`Error::MissingAddr`].
    pub fn new(
        device: Device,
        mountpoint: &str,
        fs_type: FsType,
        options: NfsOptions,
    ) -> Result<Self> {
        let options = if options.is_empty() {
            "defaults".parse()?
        } else {
            options
        };
        let e = Self {
            device,
            mountpoint: mountpoint.to_owned(),
            fs_type,
            options,
            dump: Some(0),
            pass: Some(0),
            seps: vec![
                String::new(),
                " ".into(),
                " ".into(),
                " ".into(),
                " ".into(),
                " ".into(),
                String::new(),
            ],
        };
        e.to_string().parse()
    }

    /// The device (`server:/path`).
    #[must_use]
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The mount point (unescaped).
    #[must_use]
    pub fn mountpoint(&self) -> &str {
        &self.mountpoint
    }

    /// The file system type.
    #[must_use]
    pub fn fs_type(&self) -> FsType {
        self.fs_type
    }

    /// The options.
    #[must_use]
    pub fn options(&self) -> &NfsOptions {
        &self.options
    }

    /// The dump field (5th), if present.
    #[must_use]
    pub fn dump(&self) -> Option<u32> {
        self.dump
    }

    /// The fsck pass field (6th), if present.
    #[must_use]
    pub fn pass(&self) -> Option<u32> {
        self.pass
    }

    /// The Docker volume this line describes: the device's server (an IP literal) becomes
    /// `addr=` first in the options, the device becomes `:/path`; a lone `defaults` is dropped.
    ///
    /// # Errors
    /// [`Error::NotAnIpAddress`] when the server is a host name (resolve it first).
    pub fn to_volume(&self) -> Result<NfsVolume> {
        volume_form(self.fs_type, &self.device, &self.options)
    }
}

impl NfsVolume {
    /// The fstab line mounting this volume on `mountpoint` (`addr=` moves into the device).
    ///
    /// # Errors
    /// As [`FstabEntry::new`].
    pub fn fstab_entry(&self, mountpoint: &str) -> Result<FstabEntry> {
        let (device, options) = server_form(self);
        FstabEntry::new(device, mountpoint, self.fs_type(), options)
    }

    /// The mount(8) command mounting this volume on `dir` (`addr=` moves into the device).
    ///
    /// # Errors
    /// [`Error::RelativePath`] for a relative `dir`.
    pub fn mount_command(&self, dir: &str) -> Result<MountCommand> {
        let (device, options) = server_form(self);
        MountCommand::new(self.fs_type(), options, device, dir)
    }
}

impl FromStr for FstabEntry {
    type Err = Error;

    fn from_str(line: &str) -> Result<Self> {
        check_no_control("fstab line", line)?;
        let (tokens, seps) = split_ws(line);
        if !(4..=6).contains(&tokens.len()) {
            return Err(Error::FstabFields {
                line: line.to_owned(),
                found: tokens.len(),
            });
        }
        let device: Device = octal_unescape("fstab device", tokens[0])?.parse()?;
        let mountpoint = octal_unescape("fstab mount point", tokens[1])?;
        check_absolute("mount point", &mountpoint)?;
        let fs_type: FsType = tokens[2].parse()?;
        let options: NfsOptions = tokens[3].parse()?;
        let num = |i: usize, what: &str| -> Result<Option<u32>> {
            tokens
                .get(i)
                .map(|t| number(what, t, 0, u64::from(u32::MAX)).map(|n| n as u32))
                .transpose()
        };
        let dump = num(4, "fstab dump")?;
        let pass = num(5, "fstab pass")?;
        check_parts(fs_type, &device, &options)?;
        Ok(Self {
            device,
            mountpoint,
            fs_type,
            options,
            dump,
            pass,
            seps,
        })
    }
}

impl fmt::Display for FstabEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut fields = vec![
            octal_escape(&self.device.to_string()),
            octal_escape(&self.mountpoint),
            self.fs_type.to_string(),
            self.options.to_string(),
        ];
        if let Some(d) = self.dump {
            fields.push(d.to_string());
        }
        if let Some(p) = self.pass {
            fields.push(p.to_string());
        }
        let sep = |i: usize| self.seps.get(i).map_or(" ", String::as_str);
        let mut out = String::new();
        out.push_str(self.seps.first().map_or("", String::as_str));
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                out.push_str(sep(i));
            }
            out.push_str(field);
        }
        out.push_str(self.seps.get(fields.len()).map_or("", String::as_str));
        f.write_str(&out)
    }
}

impl TryFrom<String> for FstabEntry {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

impl From<FstabEntry> for String {
    fn from(e: FstabEntry) -> Self {
        e.to_string()
    }
}

/// `mount -t nfs -o OPTIONS server:/path DIR` as an argument vector.
///
/// [`args`](Self::args) renders `["mount", "-t", TYPE, "-o", OPTIONS, DEVICE, DIR]` (no `-o`
/// pair when there are no options). [`from_args`](Self::from_args) reads that shape with or
/// without the leading `mount`, with `-t`/`--types`, `-o`/`--options` in any order before or
/// between the two positional arguments.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MountCommand {
    fs_type: FsType,
    options: NfsOptions,
    device: Device,
    dir: String,
}

impl MountCommand {
    /// A mount command.
    ///
    /// # Errors
    /// [`Error::RelativePath`] for a relative `dir`, [`Error::MissingAddr`] when neither the
    /// device nor the options name the server.
    pub fn new(fs_type: FsType, options: NfsOptions, device: Device, dir: &str) -> Result<Self> {
        check_absolute("mount point", dir)?;
        check_no_control("mount point", dir)?;
        check_parts(fs_type, &device, &options)?;
        Ok(Self {
            fs_type,
            options,
            device,
            dir: dir.to_owned(),
        })
    }

    /// The argument vector, starting with `mount`.
    #[must_use]
    pub fn args(&self) -> Vec<String> {
        let mut a = vec![
            "mount".to_owned(),
            "-t".to_owned(),
            self.fs_type.to_string(),
        ];
        if !self.options.is_empty() {
            a.push("-o".to_owned());
            a.push(self.options.to_string());
        }
        a.push(self.device.to_string());
        a.push(self.dir.clone());
        a
    }

    /// Reads an argument vector (see the type's docs).
    ///
    /// # Errors
    /// [`Error::MountArgs`] for other flags, a missing `-t`, or not exactly two positional
    /// arguments; option and device rules as elsewhere.
    pub fn from_args<S: AsRef<str>>(args: &[S]) -> Result<Self> {
        let all: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
        let err = |reason| Error::MountArgs {
            args: all.join(" "),
            reason,
        };
        let mut it = all.iter().copied().peekable();
        if it.peek() == Some(&"mount") {
            it.next();
        }
        let (mut fs_type, mut options, mut pos) = (None, None, Vec::new());
        while let Some(a) = it.next() {
            match a {
                "-t" | "--types" | "-o" | "--options" => {
                    let v = it.next().ok_or_else(|| err("flag without a value"))?;
                    if matches!(a, "-t" | "--types") {
                        if fs_type.replace(v.parse::<FsType>()?).is_some() {
                            return Err(err("-t given twice"));
                        }
                    } else if options.replace(v.parse::<NfsOptions>()?).is_some() {
                        return Err(err("-o given twice"));
                    }
                }
                f if f.starts_with('-') => return Err(err("unsupported flag")),
                p => pos.push(p),
            }
        }
        let fs_type = fs_type.ok_or_else(|| err("missing -t nfs|nfs4"))?;
        let [device, dir] = pos[..] else {
            return Err(err("expected exactly a device and a directory"));
        };
        Self::new(fs_type, options.unwrap_or_default(), device.parse()?, dir)
    }

    /// The file system type.
    #[must_use]
    pub fn fs_type(&self) -> FsType {
        self.fs_type
    }

    /// The options.
    #[must_use]
    pub fn options(&self) -> &NfsOptions {
        &self.options
    }

    /// The device.
    #[must_use]
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The mount point.
    #[must_use]
    pub fn dir(&self) -> &str {
        &self.dir
    }

    /// The Docker volume this command mounts (see [`FstabEntry::to_volume`]).
    ///
    /// # Errors
    /// [`Error::NotAnIpAddress`] when the server is a host name.
    pub fn to_volume(&self) -> Result<NfsVolume> {
        volume_form(self.fs_type, &self.device, &self.options)
    }
}

/// The command line for a POSIX shell: [`MountCommand::args`] joined by spaces, each word that
/// holds anything but `[A-Za-z0-9_./:,=@%+-]` in single quotes (`'` as `'\''`).
///
/// ```
/// use nfs_mount::MountCommand;
/// let m: MountCommand = "mount -t nfs -o addr=192.168.1.220,nfsvers=4 :/www '/mnt/my www'".parse()?;
/// assert_eq!(m.dir(), "/mnt/my www");
/// assert_eq!(m.to_string(), "mount -t nfs -o addr=192.168.1.220,nfsvers=4 :/www '/mnt/my www'");
/// # Ok::<(), nfs_mount::Error>(())
/// ```
impl fmt::Display for MountCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.args().iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(&shell_quote(a))?;
        }
        Ok(())
    }
}

/// Reads a shell command line: words split on blanks, with single quotes, double quotes
/// (where `\` escapes `"`, `\`, `$` and `` ` ``) and backslash escapes; no expansions.
/// Then as [`MountCommand::from_args`].
impl FromStr for MountCommand {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let words = shell_split(s).map_err(|reason| Error::MountArgs {
            args: s.to_owned(),
            reason,
        })?;
        Self::from_args(&words)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fstab_lines_round_trip() {
        for s in [
            "192.168.1.220:/www /mnt/www nfs rw,nfsvers=4 0 0",
            "192.168.1.220:/www\t/mnt/www\tnfs4\tdefaults",
            "srv:/my\\040share /mnt/a\\011b\\134c nfs hard,_netdev 0 2 ",
            "  [fe80::1]:/p /m nfs addr=fe80::1 1",
            ":/www /mnt nfs addr=10.0.0.1",
        ] {
            let e: FstabEntry = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(e.to_string(), s);
        }
        let e: FstabEntry = "srv:/my\\040share /mnt/a\\011b nfs hard 0 2"
            .parse()
            .unwrap();
        assert_eq!(e.device().path(), "/my share");
        assert_eq!(e.mountpoint(), "/mnt/a\tb");
        assert_eq!((e.dump(), e.pass()), (Some(0), Some(2)));
    }

    #[test]
    fn mount_command_lines() {
        let m: MountCommand =
            "mount -t nfs4 -o 'addr=10.0.0.1,sec=krb5' \"srv:/my \\\"share\\\"\" /mnt/it\\'s"
                .parse()
                .unwrap();
        assert_eq!(m.device().path(), "/my \"share\"");
        assert_eq!(m.dir(), "/mnt/it's");
        assert_eq!(
            m.to_string(),
            "mount -t nfs4 -o addr=10.0.0.1,sec=krb5 'srv:/my \"share\"' '/mnt/it'\\''s'"
        );
        assert_eq!(m.to_string().parse::<MountCommand>().unwrap(), m);
        // Blanks of any kind and a leading `mount` are optional.
        let n: MountCommand = "  -t nfs\t:/www  /mnt -o addr=10.0.0.1 ".parse().unwrap();
        assert_eq!(n.dir(), "/mnt");
        for (bad, reason) in [
            ("mount -t nfs 'a:/b /c", "unterminated single quote"),
            ("mount -t nfs \"a:/b /c", "unterminated double quote"),
            ("mount -t nfs a:/b /c \\", "a trailing backslash"),
        ] {
            match bad.parse::<MountCommand>() {
                Err(Error::MountArgs { reason: r, .. }) => assert_eq!(r, reason, "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert!(matches!(
            "mount -t nfs a:/b c".parse::<MountCommand>(),
            Err(Error::RelativePath { .. })
        ));
    }

    #[test]
    fn fstab_errors() {
        let e = |s: &str| s.parse::<FstabEntry>().unwrap_err();
        assert_eq!(
            e("a:/b /c nfs"),
            Error::FstabFields {
                line: "a:/b /c nfs".into(),
                found: 3
            }
        );
        assert_eq!(
            e("a:/b /c nfs rw 0 0 0"),
            Error::FstabFields {
                line: "a:/b /c nfs rw 0 0 0".into(),
                found: 7
            }
        );
        assert_eq!(
            e("a:/b /c nfs4 proto=udp6"),
            Error::UdpWithV4 {
                proto: "udp6".into(),
                version: "4".into()
            }
        );
        assert_eq!(
            "mount -t nfs4 -o proto=udp a:/b /c"
                .parse::<MountCommand>()
                .unwrap_err(),
            Error::UdpWithV4 {
                proto: "udp".into(),
                version: "4".into()
            }
        );
        assert_eq!(
            e("a:/b /c ext4 rw"),
            Error::NotNfs {
                value: "ext4".into()
            }
        );
        assert_eq!(
            e("a:/b c nfs rw"),
            Error::RelativePath {
                what: "mount point",
                value: "c".into()
            }
        );
        assert_eq!(
            e("a:/b\\101 /c nfs rw"),
            Error::InvalidEscape {
                what: "fstab device",
                value: "a:/b\\101".into()
            }
        );
        assert_eq!(
            e(":/b /c nfs rw"),
            Error::MissingAddr {
                device: ":/b".into()
            }
        );
        assert_eq!(
            e("a:/b /c nfs rw x"),
            Error::InvalidNumber {
                option: "fstab dump".into(),
                value: "x".into()
            }
        );
        assert_eq!(
            e("/b /c nfs rw"),
            Error::DeviceWithoutColon { value: "/b".into() }
        );
    }

    #[test]
    fn volume_to_fstab_and_mount_and_back() {
        let v = NfsVolume::builder("192.168.1.220".parse().unwrap(), "/www/my files")
            .options_str("nfsvers=4.1,hard")
            .build()
            .unwrap();
        let f = v.fstab_entry("/mnt/www").unwrap();
        assert_eq!(
            f.to_string(),
            "192.168.1.220:/www/my\\040files /mnt/www nfs nfsvers=4.1,hard 0 0"
        );
        assert_eq!(f.to_volume().unwrap(), v);
        let m = v.mount_command("/mnt/www").unwrap();
        assert_eq!(
            m.args(),
            [
                "mount",
                "-t",
                "nfs",
                "-o",
                "nfsvers=4.1,hard",
                "192.168.1.220:/www/my files",
                "/mnt/www"
            ]
        );
        assert_eq!(MountCommand::from_args(&m.args()).unwrap(), m);
        assert_eq!(m.to_volume().unwrap(), v);
        let plain = NfsVolume::new("::1".parse().unwrap(), "/p").unwrap();
        assert_eq!(
            plain.fstab_entry("/m").unwrap().to_string(),
            "[::1]:/p /m nfs defaults 0 0"
        );
        assert_eq!(plain.fstab_entry("/m").unwrap().to_volume().unwrap(), plain);
        assert_eq!(
            plain.mount_command("/m").unwrap().args(),
            ["mount", "-t", "nfs", "[::1]:/p", "/m"]
        );
        let named: FstabEntry = "nfs.example.com:/p /m nfs rw".parse().unwrap();
        assert_eq!(
            named.to_volume(),
            Err(Error::NotAnIpAddress {
                option: "device host".into(),
                value: "nfs.example.com".into()
            })
        );
    }

    #[test]
    fn mount_args_errors() {
        let e = |a: &[&str]| MountCommand::from_args(a).unwrap_err();
        assert!(matches!(
            e(&["mount", "-o", "rw", "a:/b", "/c"]),
            Error::MountArgs {
                reason: "missing -t nfs|nfs4",
                ..
            }
        ));
        assert!(matches!(
            e(&["mount", "-t", "nfs", "-v", "a:/b", "/c"]),
            Error::MountArgs {
                reason: "unsupported flag",
                ..
            }
        ));
        assert!(matches!(
            e(&["mount", "-t", "nfs", "a:/b"]),
            Error::MountArgs {
                reason: "expected exactly a device and a directory",
                ..
            }
        ));
        assert!(matches!(
            e(&["mount", "-t"]),
            Error::MountArgs {
                reason: "flag without a value",
                ..
            }
        ));
        assert_eq!(
            e(&["-t", "nfs", "-o", "hard,soft", "a:/b", "/c"]),
            Error::ConflictingOptions {
                first: "hard".into(),
                second: "soft".into()
            }
        );
        assert_eq!(
            MountCommand::from_args(&["a:/b", "--types", "nfs4", "/c", "--options", "ro"])
                .unwrap()
                .args(),
            ["mount", "-t", "nfs4", "-o", "ro", "a:/b", "/c"]
        );
    }
}
