//! The small text grammars the dockwright crates share, each written once.
//!
//! A pure crate without I/O or async dependencies, so the pure crates (`nfs-mount`,
//! `lb-config`) can use it as well as the clients:
//!
//! - [`go`]: Go's `strconv.ParseBool`, `strconv.ParseUint`/`ParseInt` with base prefixes,
//!   `strconv.ParseFloat` (decimal, 64 and 32 bits), `math/big.Rat.SetString`,
//!   `net.ParseIP` with Go's printing, `time.ParseDuration`, `strconv.Quote` and
//!   `path/filepath.Clean`, with Go's error texts (the docker CLI prints them).
//! - [`csv`]: one record as Go's `encoding/csv` reader reads it (the docker CLI's `--mount`,
//!   `--publish`, `--secret`, `--network` values) and the field writer for the reverse.
//! - [`envfile`]: docker's env files (`--env-file`, compose `env_file`).
//! - [`shell`]: POSIX shell words without expansions (`mount …` and `docker volume create …`
//!   lines) and quoting for them.
//! - [`shlex`]: `github.com/google/shlex`, which the docker CLI uses for `--entrypoint` and
//!   compose files use for `command`/`entrypoint` strings.
//! - [`units`]: `github.com/docker/go-units` sizes (`64m`, `1.5GiB`).
//! - [`registry`]: registry host names as the docker CLI normalises them.
//! - [`media_types`]: the OCI and Docker media types.
//!
//! ```
//! use sdk_grammar::{csv, go, shlex};
//!
//! assert_eq!(go::parse_duration("1m30s"), Ok(90_000_000_000));
//! assert_eq!(
//!     go::parse_duration("10").unwrap_err().to_string(),
//!     "time: missing unit in duration \"10\""
//! );
//! assert_eq!(go::parse_bool("T"), Ok(true));
//! let fields = csv::read_record(r#"type=volume,"volume-opt=o=addr=10.0.0.1,ro""#)?;
//! assert_eq!(fields[1].value, "volume-opt=o=addr=10.0.0.1,ro");
//! assert_eq!(shlex::split(r#"sh -c "echo hi""#)?, ["sh", "-c", "echo hi"]);
//! # Ok::<(), sdk_grammar::Error>(())
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;
mod quote;

pub mod csv;
pub mod envfile;
pub mod go;
pub mod media_types;
pub mod registry;
pub mod shell;
pub mod shlex;
pub mod units;

pub use error::{DurationError, Error, Result};

/// The README's example, compiled (and run) as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
