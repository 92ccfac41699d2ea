//! The crate's error type: one variant per rule, each naming the bad value.

/// Everything that can be wrong with an NFS option list, device, volume, `--mount` string,
/// fstab line, mount(8) argument list or exports(5) line.
///
/// Errors are values (`Clone`, `PartialEq`, `Eq`) so tests can compare them exactly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An option list has an empty element (`a,,b`, a leading or trailing comma).
    #[error("empty option in option list {list:?}")]
    EmptyOption {
        /// The whole option list.
        list: String,
    },
    /// A number is not plain decimal digits (no sign, no leading zeros, no spaces).
    #[error("option {option:?}: {value:?} is not a plain decimal number")]
    InvalidNumber {
        /// The option (or field) name.
        option: String,
        /// The bad value.
        value: String,
    },
    /// A number is outside the range nfs(5) or exports(5) allows.
    #[error("option {option:?}: {value} is out of range {min}..={max}")]
    OutOfRange {
        /// The option name.
        option: String,
        /// The bad value.
        value: String,
        /// Smallest allowed value.
        min: u64,
        /// Largest allowed value.
        max: u64,
    },
    /// A value is not one of the words the option takes.
    #[error("option {option:?}: invalid value {value:?}, expected {expected}")]
    InvalidValue {
        /// The option name.
        option: String,
        /// The bad value.
        value: String,
        /// What the option takes.
        expected: &'static str,
    },
    /// An option that takes a value was given without one (`rsize`, `sec=`).
    #[error("option {option:?} needs a value")]
    MissingValue {
        /// The option name.
        option: String,
    },
    /// A flag option was given a value (`hard=1`).
    #[error("option {option:?} takes no value, got {value:?}")]
    UnexpectedValue {
        /// The option name.
        option: String,
        /// The value given.
        value: String,
    },
    /// `addr=` or `clientaddr=` holds something that is not an IP literal (e.g. a host name).
    /// The crate does no I/O: resolve names before calling it.
    #[error(
        "option {option:?}: {value:?} is not an IP address (resolve host names before calling nfs-mount)"
    )]
    NotAnIpAddress {
        /// The option name (`addr`, `clientaddr`) or `device host`.
        option: String,
        /// The bad value.
        value: String,
    },
    /// UDP was asked for together with NFS version 4 (v4 requires TCP or RDMA).
    #[error("proto={proto} is UDP, which NFS version {version} does not support")]
    UdpWithV4 {
        /// The `proto=` value.
        proto: String,
        /// The NFS version.
        version: String,
    },
    /// `minorversion=` was given with NFS version 2 or 3.
    #[error("minorversion={minor} needs NFS version 4, not {version}")]
    MinorVersionNeedsV4 {
        /// The minor version.
        minor: u8,
        /// The NFS version given.
        version: String,
    },
    /// The same setting appears twice with different values (`hard,soft`, `rw,ro`,
    /// `nfsvers=3,vers=4`). The kernel silently keeps the last one; this crate refuses, since
    /// that almost always hides a mistake. Exact repeats (`rw,rw`) are accepted and kept.
    #[error("conflicting options {first:?} and {second:?}")]
    ConflictingOptions {
        /// The first occurrence.
        first: String,
        /// The later, different occurrence.
        second: String,
    },
    /// A character that cannot appear in this place (whitespace or a comma in an option,
    /// a control character, a newline in a path, …).
    #[error("invalid character {ch:?} in {what} {value:?}")]
    InvalidCharacter {
        /// What was being read.
        what: &'static str,
        /// The bad value.
        value: String,
        /// The offending character.
        ch: char,
    },
    /// A device has no `:` (valid forms: `:/www`, `host:/www`, `[v6]:/p`).
    #[error("device {value:?} has no ':' (expected host:/path, [ipv6]:/path or :/path)")]
    DeviceWithoutColon {
        /// The bad device.
        value: String,
    },
    /// A path that must be absolute is not.
    #[error("{what} {value:?} must be an absolute path starting with '/'")]
    RelativePath {
        /// What the path is (export path, mount point, target).
        what: &'static str,
        /// The bad path.
        value: String,
    },
    /// A host in a device is neither an IP literal nor a valid host name.
    #[error(
        "invalid host {value:?} in device (a host name or IP literal; IPv6 in brackets: [addr]:/path)"
    )]
    InvalidHost {
        /// The bad host.
        value: String,
    },
    /// A device with no server part (`:/www`) and no `addr=` option: nothing says where the
    /// server is.
    #[error("device {device:?} names no server and the options have no addr=")]
    MissingAddr {
        /// The device.
        device: String,
    },
    /// A Docker local-driver option key other than `type`, `o`, `device`.
    #[error("driver option {key:?} is not one of type, o, device")]
    UnknownDriverOption {
        /// The bad key.
        key: String,
    },
    /// A key or field given twice.
    #[error("{what} {key:?} given twice")]
    Duplicate {
        /// What kind of key (driver option, --mount field, …).
        what: &'static str,
        /// The repeated key.
        key: String,
    },
    /// Something required is missing.
    #[error("missing {what}")]
    Missing {
        /// What is missing.
        what: &'static str,
    },
    /// A file system type other than `nfs` / `nfs4`.
    #[error("file system type {value:?} is not nfs or nfs4")]
    NotNfs {
        /// The bad type.
        value: String,
    },
    /// A `--mount` string that is not a volume mount (`type=bind`, …).
    #[error("--mount type {value:?}: NFS volumes need type=volume")]
    NotVolumeMount {
        /// The bad type.
        value: String,
    },
    /// A `--mount` field nfs-mount does not handle or that is malformed.
    #[error("--mount field {field:?}: {reason}")]
    InvalidMountField {
        /// The field as written.
        field: String,
        /// Why it is rejected.
        reason: &'static str,
    },
    /// A `volume-driver=` other than `local` (NFS volumes use the local driver).
    #[error("volume-driver={value:?}: NFS volumes use the local driver")]
    NotLocalDriver {
        /// The driver given.
        value: String,
    },
    /// Malformed CSV in a `--mount` string (quotes as the docker CLI's encoding/csv reads them).
    #[error("--mount CSV {input:?}: {reason}")]
    Csv {
        /// The whole input.
        input: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A boolean that Go's `strconv.ParseBool` would not accept.
    #[error("{field}: {value:?} is not a boolean (true, false, 1, 0, …)")]
    InvalidBool {
        /// The field name.
        field: String,
        /// The bad value.
        value: String,
    },
    /// A backslash escape that fstab(5)/exports(5) paths do not use here.
    #[error(
        "invalid escape in {what} {value:?}: only \\040 (space), \\011 (tab), \\012 (newline), \\134 (backslash) are accepted"
    )]
    InvalidEscape {
        /// What was being read.
        what: &'static str,
        /// The bad text.
        value: String,
    },
    /// An fstab line without 4 to 6 fields.
    #[error("fstab line {line:?}: expected 4 to 6 whitespace-separated fields, found {found}")]
    FstabFields {
        /// The line.
        line: String,
        /// How many fields were found.
        found: usize,
    },
    /// mount(8) arguments nfs-mount cannot read.
    #[error("mount arguments {args:?}: {reason}")]
    MountArgs {
        /// The arguments joined by spaces.
        args: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A Compose volume entry nfs-mount cannot read.
    #[error("compose volume, line {line}: {reason}")]
    ComposeYaml {
        /// The 1-based line number.
        line: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// `docker volume create` arguments nfs-mount cannot read.
    #[error("docker volume create arguments {args:?}: {reason}")]
    VolumeCreateArgs {
        /// The arguments joined by spaces.
        args: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// An exports(5) path that is empty, unterminated or not absolute.
    #[error("export path {value:?}: {reason}")]
    InvalidExportPath {
        /// The bad path text.
        value: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// An exports(5) client that is not a host, wildcard, `@netgroup`, IP network or `*`.
    #[error("export client {value:?}: {reason}")]
    InvalidClient {
        /// The bad client text.
        value: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// An option list in parentheses not attached to a client (`host (rw)`): exports(5) would
    /// apply it to the whole world. Write `host(rw)` or, if meant, `*(rw)`.
    #[error(
        "options {token:?} are not attached to a client: exports(5) would apply them to the world; write host(opts) with no space, or *(opts)"
    )]
    OptionsWithoutClient {
        /// The detached token.
        token: String,
    },
    /// A security flavor other than sys, krb5, krb5i, krb5p, none.
    #[error("unknown security flavor {value:?} (expected sys, krb5, krb5i, krb5p, none)")]
    UnknownSecFlavor {
        /// The bad flavor.
        value: String,
    },
    /// A volume name prefix Docker would reject (`[a-zA-Z0-9][a-zA-Z0-9_.-]*`).
    #[error("volume name prefix {value:?}: must match [a-zA-Z0-9][a-zA-Z0-9_.-]*")]
    InvalidVolumeName {
        /// The bad prefix.
        value: String,
    },
    /// Input in none of the forms `nfs parse` knows.
    #[error(
        "{input:?} is not an NFS option list, device, driver options, --mount string, fstab line, mount command or exports line"
    )]
    UnknownForm {
        /// The input.
        input: String,
    },
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
