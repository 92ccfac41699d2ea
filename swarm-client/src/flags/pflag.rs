//! The command-line grammar of spf13/pflag 1.0.6 (what cobra and the docker CLI parse with).
//!
//! - `--flag value`, `--flag=value`; `-f value`, `-fvalue`, `-f=value`; boolean flags take no
//!   value (`--tty`, `-t`), or one after `=` only (`--tty=false`, `-t=false`); short booleans
//!   group (`-dq`), and the last of a group may take a value (`-de A=1`).
//! - `--` ends the flags; a lone `-` and the empty string are positional arguments.
//! - Interspersed (the default, `docker service update`): flags may follow positional
//!   arguments. Not interspersed (`docker service create`): the first positional argument ends
//!   the flags, everything after it is positional.
//! - Every occurrence of a flag is handed to the caller's `set` in order, so repeatable flags
//!   accumulate and a value error is reported for the occurrence that has it.
//! - Errors carry pflag's texts: `unknown flag: --x`, `unknown shorthand flag: 'x' in -x`,
//!   `flag needs an argument: --name`, `flag needs an argument: 'e' in -e`,
//!   `bad flag syntax: ---x`, `invalid argument "x" for "--replicas" flag: …`.

use super::FlagsError;
use super::table::FlagDef;

/// What [`parse`] found besides the flags.
#[derive(Debug, Default)]
pub(crate) struct Positionals {
    /// Positional arguments, in order.
    pub(crate) args: Vec<String>,
}

/// Parses `args` against `table`, calling `set(flag, value)` for every flag occurrence (the
/// value of a boolean flag without `=` is `"true"`).
///
/// `--help` and `-h` (docker's own help flag) stop with [`FlagsError::Help`].
pub(crate) fn parse<F>(
    table: &[FlagDef],
    args: &[String],
    interspersed: bool,
    mut set: F,
) -> Result<Positionals, FlagsError>
where
    F: FnMut(&FlagDef, &str) -> Result<(), String>,
{
    let mut out = Positionals::default();
    let mut i = 0;
    while i < args.len() {
        let s = &args[i];
        i += 1;
        if s.len() < 2 || !s.starts_with('-') {
            if !interspersed {
                out.args.push(s.clone());
                out.args.extend(args[i..].iter().cloned());
                return Ok(out);
            }
            out.args.push(s.clone());
            continue;
        }
        if let Some(name) = s.strip_prefix("--") {
            if name.is_empty() {
                out.args.extend(args[i..].iter().cloned());
                return Ok(out);
            }
            i = long(table, s, name, args, i, &mut set)?;
        } else {
            i = short(table, s, args, i, &mut set)?;
        }
    }
    Ok(out)
}

/// The flag display of pflag's value errors: `-e, --env` or `--name`.
fn display(flag: &FlagDef) -> String {
    match flag.short {
        Some(c) => format!("-{c}, --{}", flag.name),
        None => format!("--{}", flag.name),
    }
}

fn apply<F>(flag: &FlagDef, value: &str, set: &mut F) -> Result<(), FlagsError>
where
    F: FnMut(&FlagDef, &str) -> Result<(), String>,
{
    set(flag, value).map_err(|reason| FlagsError::InvalidArgument {
        value: value.to_owned(),
        flag: display(flag),
        reason,
    })
}

/// `--name[=value]`; returns the index of the next argument.
fn long<F>(
    table: &[FlagDef],
    arg: &str,
    name: &str,
    args: &[String],
    mut next: usize,
    set: &mut F,
) -> Result<usize, FlagsError>
where
    F: FnMut(&FlagDef, &str) -> Result<(), String>,
{
    if name.starts_with(['-', '=']) {
        return Err(FlagsError::BadSyntax(arg.to_owned()));
    }
    let (name, inline) = match name.split_once('=') {
        Some((n, v)) => (n, Some(v)),
        None => (name, None),
    };
    let Some(flag) = table.iter().find(|f| f.name == name) else {
        if name == "help" {
            return Err(FlagsError::Help);
        }
        return Err(FlagsError::UnknownFlag(name.to_owned()));
    };
    let value = if let Some(v) = inline {
        v.to_owned()
    } else if flag.is_bool() {
        "true".to_owned()
    } else if let Some(v) = args.get(next) {
        next += 1;
        v.clone()
    } else {
        return Err(FlagsError::NeedsArgument(arg.to_owned()));
    };
    apply(flag, &value, set)?;
    Ok(next)
}

/// `-abc`, `-fvalue`, `-f=value`, `-f value`; returns the index of the next argument.
fn short<F>(
    table: &[FlagDef],
    arg: &str,
    args: &[String],
    mut next: usize,
    set: &mut F,
) -> Result<usize, FlagsError>
where
    F: FnMut(&FlagDef, &str) -> Result<(), String>,
{
    // pflag walks bytes; an argument is valid UTF-8 here, and only ASCII letters are
    // shorthands, so a non-ASCII byte is reported as the character it starts.
    let mut rest = &arg[1..];
    while !rest.is_empty() {
        let c = rest.chars().next().unwrap_or_default();
        let after = &rest[c.len_utf8()..];
        let Some(flag) = table.iter().find(|f| f.short == Some(c)) else {
            if c == 'h' {
                return Err(FlagsError::Help);
            }
            return Err(FlagsError::UnknownShorthand {
                shorthand: c,
                group: rest.to_owned(),
            });
        };
        // pflag: `-f=value` needs something after the `=` (`-e=` is `-e` with value `=`, and
        // `-t=` is `-t` followed by an unknown shorthand `=`).
        let value = if let Some(v) = after.strip_prefix('=').filter(|v| !v.is_empty()) {
            let v = v.to_owned();
            rest = "";
            v
        } else if flag.is_bool() {
            rest = after;
            "true".to_owned()
        } else if !after.is_empty() {
            let v = after.to_owned();
            rest = "";
            v
        } else if let Some(v) = args.get(next) {
            next += 1;
            rest = "";
            v.clone()
        } else {
            return Err(FlagsError::ShortNeedsArgument {
                shorthand: c,
                group: rest.to_owned(),
            });
        };
        apply(flag, &value, set)?;
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::table::{CREATE, UPDATE};

    /// The `(flag, value)` occurrences and the positional arguments.
    type Run = (Vec<(String, String)>, Vec<String>);

    fn run(table: &[FlagDef], interspersed: bool, args: &[&str]) -> Result<Run, FlagsError> {
        let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        let mut seen = Vec::new();
        let p = parse(table, &args, interspersed, |f, v| {
            if v == "bad" {
                return Err("no good".into());
            }
            seen.push((f.name.to_owned(), v.to_owned()));
            Ok(())
        })?;
        Ok((seen, p.args))
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn long_short_grouped_and_inline_values() {
        let (seen, args) = run(
            CREATE,
            false,
            &[
                "--name",
                "web",
                "--replicas=3",
                "-eA=1",
                "-e",
                "B=2",
                "-dt",
                "-qe=C",
                "--tty=false",
                "-t=0",
                "img",
                "--replicas",
                "9",
            ],
        )
        .unwrap();
        assert_eq!(
            seen,
            pairs(&[
                ("name", "web"),
                ("replicas", "3"),
                ("env", "A=1"),
                ("env", "B=2"),
                ("detach", "true"),
                ("tty", "true"),
                ("quiet", "true"),
                ("env", "C"),
                ("tty", "false"),
                ("tty", "0"),
            ])
        );
        let (seen, _) = run(CREATE, false, &["-e=", "img"]).unwrap();
        assert_eq!(seen, pairs(&[("env", "=")]));
        // Not interspersed: the image ends the flags, the rest is the command.
        assert_eq!(args, ["img", "--replicas", "9"]);
    }

    #[test]
    fn booleans_take_no_separate_value() {
        // `--tty false`: `false` is the image, like the docker CLI.
        let (seen, args) = run(CREATE, false, &["--tty", "false", "x"]).unwrap();
        assert_eq!(seen, pairs(&[("tty", "true")]));
        assert_eq!(args, ["false", "x"]);
    }

    #[test]
    fn double_dash_dash_and_empty_are_positional() {
        let (_, args) = run(CREATE, false, &["-d", "--", "--name", "x"]).unwrap();
        assert_eq!(args, ["--name", "x"]);
        let (_, args) = run(CREATE, false, &["-", "--name", "x"]).unwrap();
        assert_eq!(args, ["-", "--name", "x"]);
        let (seen, args) = run(UPDATE, true, &["svc", "--replicas", "2", "", "-d"]).unwrap();
        assert_eq!(seen, pairs(&[("replicas", "2"), ("detach", "true")]));
        assert_eq!(args, ["svc", ""]);
        let (_, args) = run(UPDATE, true, &["--", "-d"]).unwrap();
        assert_eq!(args, ["-d"]);
    }

    #[test]
    fn errors_carry_pflag_texts() {
        let e = |args: &[&str]| run(CREATE, false, args).unwrap_err().to_string();
        assert_eq!(e(&["--bogus", "x"]), "unknown flag: --bogus");
        assert_eq!(e(&["--bogus=1"]), "unknown flag: --bogus");
        assert_eq!(e(&["-Z", "x"]), "unknown shorthand flag: 'Z' in -Z");
        assert_eq!(e(&["-dZq"]), "unknown shorthand flag: 'Z' in -Zq");
        assert_eq!(e(&["--name"]), "flag needs an argument: --name");
        assert_eq!(e(&["-de"]), "flag needs an argument: 'e' in -e");
        assert_eq!(e(&["---x"]), "bad flag syntax: ---x");
        assert_eq!(e(&["--=x"]), "bad flag syntax: --=x");
        assert_eq!(e(&["-t="]), "unknown shorthand flag: '=' in -=");
        assert_eq!(
            e(&["-e", "bad"]),
            "invalid argument \"bad\" for \"-e, --env\" flag: no good"
        );
        assert_eq!(
            e(&["--replicas=bad"]),
            "invalid argument \"bad\" for \"--replicas\" flag: no good"
        );
        assert!(matches!(
            run(CREATE, false, &["--help"]),
            Err(FlagsError::Help)
        ));
        assert!(matches!(
            run(CREATE, false, &["-dh"]),
            Err(FlagsError::Help)
        ));
        // Update flags are unknown to create and the other way round.
        assert_eq!(e(&["--env-add", "A=1"]), "unknown flag: --env-add");
        assert_eq!(
            run(UPDATE, true, &["--env", "A=1"])
                .unwrap_err()
                .to_string(),
            "unknown flag: --env"
        );
    }
}
