//! docker's repeated `key=value` command-line arguments, read with the docker CLI's own rules, so
//! a program that takes docker's arguments sends what docker would:
//!
//! - `--filter key=value` of the `ls`/`ps`/`prune` commands: [`Filters`] (docker's
//!   `opts.FilterOpt`), for [`Client::service_list`](crate::Client::service_list),
//!   [`Client::secret_list`](crate::Client::secret_list), [`ListOptions::filter`](crate::images::ListOptions::filter)
//!   and the other list calls;
//! - `--label`, `--opt`, `--driver-opt` and the other `key=value` lists that become a map of a
//!   spec: [`key_value_map`] (docker's `opts.ConvertKVStringsToMap`), for
//!   [`ObjectCreate::labels`](crate::configs::ObjectCreate::labels),
//!   [`NetworkCreate::options`](crate::networks::NetworkCreate::options) and the like.
//!
//! A bad word is an [`ArgError`] naming the flag and the word, in docker's words.

use std::collections::BTreeMap;

/// A `key=value` argument docker would refuse (or one it would pass on to fail in the daemon
/// with a less useful message): the flag and the word as given.
///
/// `Display` is the docker CLI's line: `invalid argument "x" for "--filter" flag: bad format of
/// filter (expected name=value)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ArgError {
    /// A `--filter` word without `=`.
    #[error(
        "invalid argument {} for {} flag: bad format of filter (expected name=value)",
        sdk_grammar::go::quote(word),
        sdk_grammar::go::quote(&format!("--{flag}"))
    )]
    FilterFormat {
        /// The flag without its dashes (`filter`).
        flag: String,
        /// The word as given.
        word: String,
    },
    /// Nothing before the `=` (`=x`; for a filter, only blanks).
    #[error(
        "invalid argument {} for {} flag: empty key",
        sdk_grammar::go::quote(word),
        sdk_grammar::go::quote(&format!("--{flag}"))
    )]
    EmptyKey {
        /// The flag without its dashes (`label`, `opt`, `filter`).
        flag: String,
        /// The word as given.
        word: String,
    },
}

/// The `--filter key=value` arguments of a docker `ls`, `ps` or `prune` command, read as the
/// docker CLI reads them (`opts.FilterOpt.Set`): split at the first `=` (the value may hold
/// more, as in `label=app=web`), the key lower-cased, key and value trimmed of blanks; an empty
/// argument adds nothing. A word without `=` or with nothing before it is an [`ArgError`].
///
/// The pairs go to the list calls as they are:
///
/// ```
/// use swarm_client::args::Filters;
///
/// let f = Filters::parse(["label=app=web", " Name = web "])?;
/// assert_eq!(f.pairs(), [("label", "app=web"), ("name", "web")]);
/// // c.secret_list(&f.pairs()).await? sends filters={"label":["app=web"],"name":["web"]}
///
/// let e = Filters::parse(["name"]).unwrap_err();
/// assert_eq!(
///     e.to_string(),
///     r#"invalid argument "name" for "--filter" flag: bad format of filter (expected name=value)"#
/// );
/// # Ok::<(), swarm_client::args::ArgError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    pairs: Vec<(String, String)>,
}

impl Filters {
    /// No filter.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads `--filter` arguments (each the word after one `--filter`), in order.
    ///
    /// ```
    /// let f = swarm_client::args::Filters::parse(["desired-state=running", ""])?;
    /// assert_eq!(f.len(), 1, "an empty argument adds nothing, as in docker");
    /// # Ok::<(), swarm_client::args::ArgError>(())
    /// ```
    ///
    /// # Errors
    /// [`ArgError::FilterFormat`] for a word without `=`, [`ArgError::EmptyKey`] for a word
    /// with only blanks before its `=`.
    pub fn parse<I, S>(args: I) -> Result<Self, ArgError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut out = Self::new();
        for a in args {
            let word = a.as_ref();
            if word.is_empty() {
                continue;
            }
            let Some((k, v)) = word.split_once('=') else {
                return Err(ArgError::FilterFormat {
                    flag: "filter".to_owned(),
                    word: word.to_owned(),
                });
            };
            // Go's strings.TrimSpace: Unicode white space, as `char::is_whitespace`.
            let key = k.trim().to_lowercase();
            if key.is_empty() {
                return Err(ArgError::EmptyKey {
                    flag: "filter".to_owned(),
                    word: word.to_owned(),
                });
            }
            out.pairs.push((key, v.trim().to_owned()));
        }
        Ok(out)
    }

    /// Adds `key=value` as given (no trimming, no lower-casing).
    ///
    /// ```
    /// let f = swarm_client::args::Filters::new().with("name", "web").with("label", "tier");
    /// assert_eq!(f.pairs(), [("name", "web"), ("label", "tier")]);
    /// ```
    #[must_use]
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.pairs.push((key.into(), value.into()));
        self
    }

    /// The `(key, value)` pairs in the order given, the form the list calls take.
    ///
    /// ```no_run
    /// # async fn f(c: &swarm_client::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let f = swarm_client::args::Filters::parse(["label=app=web"])?;
    /// for s in c.service_list(&f.pairs()).await? {
    ///     println!("{}", s.id);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn pairs(&self) -> Vec<(&str, &str)> {
        self.iter().collect()
    }

    /// The `(key, value)` pairs in the order given.
    ///
    /// ```
    /// use swarm_client::images::ListOptions;
    ///
    /// let f = swarm_client::args::Filters::parse(["dangling=true"])?;
    /// let mut opts = ListOptions::new();
    /// for (k, v) in f.iter() {
    ///     opts = opts.filter(k, v);
    /// }
    /// # Ok::<(), swarm_client::args::ArgError>(())
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// How many pairs there are.
    ///
    /// ```
    /// assert_eq!(swarm_client::args::Filters::parse(["a=1", "a=2"])?.len(), 2);
    /// # Ok::<(), swarm_client::args::ArgError>(())
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// True when there is no pair (the list calls then send no `filters`).
    ///
    /// ```
    /// assert!(swarm_client::args::Filters::parse([""])?.is_empty());
    /// # Ok::<(), swarm_client::args::ArgError>(())
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

/// `key=value` as docker's `opts.ConvertKVStringsToMap` splits it: at the first `=`; a word
/// without `=` is a key with an empty value.
pub(crate) fn split_key_value(word: &str) -> (&str, &str) {
    word.split_once('=').unwrap_or((word, ""))
}

/// Reads the words of a repeated `key=value` flag (`--label`, `--opt`, `--driver-opt`, …) into
/// the map docker sends (`opts.ConvertKVStringsToMap`): split at the first `=` (`d=e=f` is key
/// `d`, value `e=f`), a word without `=` is a key with an empty value, a later word replaces an
/// earlier one with the same key. `flag` (without dashes) names the flag in the error.
///
/// ```
/// use swarm_client::args::{ArgError, key_value_map};
///
/// let labels = key_value_map("label", ["app=web", "tier", "expr=a=b"])?;
/// assert_eq!(labels["app"], "web");
/// assert_eq!(labels["tier"], "");
/// assert_eq!(labels["expr"], "a=b");
///
/// let e = key_value_map("opt", ["=1"]).unwrap_err();
/// assert_eq!(e, ArgError::EmptyKey { flag: "opt".into(), word: "=1".into() });
/// assert_eq!(e.to_string(), r#"invalid argument "=1" for "--opt" flag: empty key"#);
/// # Ok::<(), ArgError>(())
/// ```
///
/// # Errors
/// [`ArgError::EmptyKey`] for a word with nothing before its `=` (or an empty word): docker
/// refuses such a label (`invalid label '=1': empty name`), and a driver option without a name
/// means nothing to the driver.
pub fn key_value_map<I, S>(flag: &str, words: I) -> Result<BTreeMap<String, String>, ArgError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out = BTreeMap::new();
    for w in words {
        let word = w.as_ref();
        let (k, v) = split_key_value(word);
        if k.is_empty() {
            return Err(ArgError::EmptyKey {
                flag: flag.to_owned(),
                word: word.to_owned(),
            });
        }
        out.insert(k.to_owned(), v.to_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_follow_dockers_filter_opt() {
        let f =
            Filters::parse(["label=app=web", " NAME = Web ", "", "id=", "label=app=web"]).unwrap();
        assert_eq!(
            f.pairs(),
            [
                ("label", "app=web"),
                ("name", "Web"),
                ("id", ""),
                ("label", "app=web")
            ],
            "split at the first '=', key lower-cased, both trimmed, empty words skipped"
        );
        assert_eq!(f.len(), 4);
        assert!(!f.is_empty());
        assert!(Filters::parse(Vec::<String>::new()).unwrap().is_empty());
    }

    #[test]
    fn bad_filters_name_the_flag_and_word() {
        for (word, want) in [
            (
                "name",
                ArgError::FilterFormat {
                    flag: "filter".into(),
                    word: "name".into(),
                },
            ),
            (
                "=web",
                ArgError::EmptyKey {
                    flag: "filter".into(),
                    word: "=web".into(),
                },
            ),
            (
                "  =web",
                ArgError::EmptyKey {
                    flag: "filter".into(),
                    word: "  =web".into(),
                },
            ),
        ] {
            // A bad word fails the whole list, wherever it is.
            assert_eq!(
                Filters::parse(["name=a", word]).unwrap_err(),
                want,
                "{word:?}"
            );
        }
        assert_eq!(
            Filters::parse(["x"]).unwrap_err().to_string(),
            r#"invalid argument "x" for "--filter" flag: bad format of filter (expected name=value)"#
        );
        // Go's %q quoting of the word.
        assert_eq!(
            Filters::parse(["a\"b"]).unwrap_err().to_string(),
            r#"invalid argument "a\"b" for "--filter" flag: bad format of filter (expected name=value)"#
        );
    }

    #[test]
    fn built_filters_are_kept_as_given() {
        let f = Filters::new().with("Name", " x ");
        assert_eq!(f.pairs(), [("Name", " x ")]);
        assert_eq!(f.iter().count(), 1);
    }

    #[test]
    fn key_values_follow_convert_kv_strings_to_map() {
        let m = key_value_map("label", ["a=b", "c", "d=e=f", "a=again", "g=", " h = i "]).unwrap();
        let want: BTreeMap<String, String> = [
            ("a", "again"),
            ("c", ""),
            ("d", "e=f"),
            ("g", ""),
            (" h ", " i "),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(m, want);
        assert!(key_value_map("opt", Vec::<&str>::new()).unwrap().is_empty());
    }

    #[test]
    fn empty_keys_are_refused_naming_the_flag() {
        for word in ["=x", "=", ""] {
            let e = key_value_map("driver-opt", ["ok=1", word]).unwrap_err();
            assert_eq!(
                e,
                ArgError::EmptyKey {
                    flag: "driver-opt".into(),
                    word: word.into()
                }
            );
            assert!(
                e.to_string().starts_with(&format!(
                    "invalid argument {word:?} for \"--driver-opt\" flag"
                )),
                "{e}"
            );
        }
    }
}
