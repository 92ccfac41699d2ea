//! The error of every grammar in this crate, worded like the Go function it mirrors.

use crate::quote::{quote, time_quote};

/// Result of the grammars.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a text was refused. The `Display` texts are Go's own (the docker CLI prints them), so a
/// caller can pass them on unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `strconv.ParseBool` refused the input.
    #[error("strconv.ParseBool: parsing {}: invalid syntax", quote(input))]
    Bool {
        /// The input.
        input: String,
    },
    /// `strconv.ParseInt`/`ParseUint` refused the input.
    #[error("strconv.{func}: parsing {}: {}", quote(input), if *out_of_range { "value out of range" } else { "invalid syntax" })]
    Int {
        /// `ParseInt` or `ParseUint`.
        func: &'static str,
        /// The input.
        input: String,
        /// The number is well formed but does not fit (else: invalid syntax).
        out_of_range: bool,
    },
    /// `strconv.ParseFloat` refused the input.
    #[error("strconv.ParseFloat: parsing {}: {}", quote(input), if *out_of_range { "value out of range" } else { "invalid syntax" })]
    Float {
        /// The input.
        input: String,
        /// A well-formed number beyond `f64` (else: invalid syntax).
        out_of_range: bool,
    },
    /// `time.ParseDuration` refused the input.
    #[error("{0}")]
    Duration(#[from] DurationError),
    /// A CSV record that Go's `encoding/csv` refuses.
    #[error("{}", csv_text(*start_line, *line, *column, reason))]
    Csv {
        /// Line where the record starts (1-based); 0 with `line` 0 for an empty input (`EOF`).
        start_line: usize,
        /// Line of the error (1-based).
        line: usize,
        /// Column of the error (1-based, in bytes).
        column: usize,
        /// Go's reason text (`bare " in non-quoted-field`, `extraneous or missing " in
        /// quoted-field`, or `EOF`).
        reason: &'static str,
    },
    /// Shell words that do not close (a quote or a trailing backslash).
    #[error("{reason}")]
    Shell {
        /// What is unterminated, in the words of the splitter (`shlex`'s own texts for
        /// [`crate::shlex`]).
        reason: &'static str,
    },
    /// An env file docker refuses (the reason in docker's words).
    #[error("{reason}")]
    EnvFile {
        /// Why.
        reason: String,
    },
    /// A size `go-units` refuses (no number, or a negative one).
    #[error("invalid size: '{input}'")]
    Size {
        /// The input.
        input: String,
    },
    /// A CPU count docker's `opts.ParseCPUs` refuses.
    #[error("{}", if *too_precise { "value is too precise".to_owned() } else { format!("failed to parse {input} as a rational number") })]
    Cpus {
        /// The input.
        input: String,
        /// Finer than a nano CPU (else: not a rational number).
        too_precise: bool,
    },
    /// A size whose unit `go-units` does not know (`invalid suffix: 'x'`, lower-cased as
    /// go-units prints it).
    #[error("invalid suffix: '{suffix}'")]
    SizeSuffix {
        /// The suffix, lower-cased.
        suffix: String,
    },
}

impl Error {
    /// Whether this is the CSV reader's `EOF` (an empty record).
    #[must_use]
    pub fn is_csv_eof(&self) -> bool {
        matches!(self, Self::Csv { reason, .. } if *reason == "EOF")
    }
}

fn csv_text(start_line: usize, line: usize, column: usize, reason: &str) -> String {
    if line == 0 {
        reason.to_owned()
    } else if start_line == line {
        format!("parse error on line {line}, column {column}: {reason}")
    } else {
        format!(
            "record on line {start_line}; parse error on line {line}, column {column}: {reason}"
        )
    }
}

/// Why `time.ParseDuration` refused an input; `Display` is Go's text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DurationError {
    /// Malformed or out of range (`time: invalid duration "…"`).
    #[error("time: invalid duration {}", time_quote(input))]
    Invalid {
        /// The input.
        input: String,
    },
    /// A number without a unit (`time: missing unit in duration "…"`).
    #[error("time: missing unit in duration {}", time_quote(input))]
    MissingUnit {
        /// The input.
        input: String,
    },
    /// A unit Go does not know (`time: unknown unit "…" in duration "…"`).
    #[error(
        "time: unknown unit {} in duration {}",
        time_quote(unit),
        time_quote(input)
    )]
    UnknownUnit {
        /// The unit.
        unit: String,
        /// The input.
        input: String,
    },
}
