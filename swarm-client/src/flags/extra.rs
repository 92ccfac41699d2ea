//! A program's own flags parsed along docker's: the merged table and their values.

use super::error::FlagsError;
use super::pflag::{self, Positionals};
use super::table::FlagDef;
use super::values as v;

/// Parses `args` by pflag's rules against docker's `table` plus a program's `extra` flags:
/// docker's flags go to `set` (`None`: a flag `set` does not handle), the extra ones are
/// collected. What was set before an error stays set (see `CreateFlags::parse_partial`).
pub(crate) fn parse_args(
    table: &[FlagDef],
    extra: &[FlagDef],
    args: &[String],
    interspersed: bool,
    mut set: impl FnMut(&'static str, &str) -> Option<Result<(), String>>,
) -> (ExtraValues, Result<Positionals, FlagsError>) {
    let mut extras = ExtraValues::default();
    let table = match with_extra(table, extra) {
        Ok(t) => t,
        Err(e) => return (extras, Err(e)),
    };
    let rest = pflag::parse(&table, args, interspersed, |f, value| {
        if let Some(x) = extra.iter().find(|x| x.name == f.name) {
            let value = if x.is_bool() {
                v::boolean(value)?.to_string()
            } else {
                value.to_owned()
            };
            extras.push(x.name, value);
            return Ok(());
        }
        set(f.name, value).unwrap_or_else(|| Err(format!("flag --{} is not handled", f.name)))
    });
    (extras, rest)
}

/// docker's table with `extra` added, sorted by name.
///
/// # Errors
/// [`FlagsError::Rejected`] (`flag redefined: NAME`, pflag's words) when an extra flag has
/// the name or shorthand of another.
pub(crate) fn with_extra(table: &[FlagDef], extra: &[FlagDef]) -> Result<Vec<FlagDef>, FlagsError> {
    let mut all: Vec<FlagDef> = table.to_vec();
    for f in extra {
        if all
            .iter()
            .any(|g| g.name == f.name || (f.short.is_some() && g.short == f.short))
        {
            return Err(FlagsError::Rejected(format!("flag redefined: {}", f.name)));
        }
        all.push(*f);
    }
    all.sort_by(|a, b| a.name.cmp(b.name));
    Ok(all)
}

/// The values of a program's own flags, parsed along docker's ([`CreateFlags::parse_with`](super::CreateFlags::parse_with),
/// [`UpdateFlags::parse_with`](super::UpdateFlags::parse_with)): each occurrence in order (`true`/`false` for a boolean).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtraValues(Vec<(&'static str, String)>);

impl ExtraValues {
    /// The last value given for `name`.
    #[must_use]
    pub fn last(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value given for `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the boolean flag `name` was given and last set to true.
    #[must_use]
    pub fn is_true(&self, name: &str) -> bool {
        self.last(name) == Some("true")
    }

    pub(crate) fn push(&mut self, name: &'static str, value: String) {
        self.0.push((name, value));
    }
}
