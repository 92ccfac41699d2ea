//! [`Directive`]: any nginx directive, kept as written. Unknown directives in parsed configs are
//! stored as these and rendered back, never dropped.

use crate::error::Result;
use crate::validate::check_word;
use std::fmt::Write as _;

/// One nginx directive: a name, its arguments, and for block directives the directives inside.
///
/// Arguments are stored unquoted; rendering quotes those that need it, so an argument can never
/// inject another directive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Directive {
    name: String,
    args: Vec<String>,
    block: Option<Vec<Self>>,
}

impl Directive {
    /// A simple directive `name arg…;`.
    ///
    /// # Errors
    /// [`crate::Error::UnsafeValue`] when the name is not a bare word.
    pub fn new<I, S>(name: &str, args: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        check_word("directive name", name)?;
        Ok(Self {
            name: name.to_owned(),
            args: args.into_iter().map(Into::into).collect(),
            block: None,
        })
    }

    /// A block directive `name arg… { children }`.
    ///
    /// # Errors
    /// [`crate::Error::UnsafeValue`] when the name is not a bare word.
    pub fn block<I, S>(name: &str, args: I, children: Vec<Self>) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut d = Self::new(name, args)?;
        d.block = Some(children);
        Ok(d)
    }

    pub(crate) fn raw(name: String, args: Vec<String>, block: Option<Vec<Self>>) -> Self {
        Self { name, args, block }
    }

    /// The directive name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The arguments, unquoted.
    #[must_use]
    pub fn args(&self) -> &[String] {
        &self.args
    }

    /// The directives inside the block, for block directives.
    #[must_use]
    pub fn children(&self) -> Option<&[Self]> {
        self.block.as_deref()
    }

    pub(crate) fn into_parts(self) -> (String, Vec<String>, Option<Vec<Self>>) {
        (self.name, self.args, self.block)
    }

    /// Renders this directive at `depth` levels of 4-space indentation, ending with a newline.
    pub(crate) fn render_into(&self, out: &mut String, depth: usize) {
        indent(out, depth);
        push_arg(out, &self.name);
        for a in &self.args {
            out.push(' ');
            push_arg(out, a);
        }
        match &self.block {
            None => out.push_str(";\n"),
            Some(children) => {
                out.push_str(" {\n");
                for c in children {
                    c.render_into(out, depth + 1);
                }
                indent(out, depth);
                out.push_str("}\n");
            }
        }
    }
}

impl std::fmt::Display for Directive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut s = String::new();
        self.render_into(&mut s, 0);
        f.write_str(&s)
    }
}

pub(crate) fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("    ");
    }
}

/// Writes one argument, quoted when it is empty or holds characters nginx treats specially.
pub(crate) fn push_arg(out: &mut String, arg: &str) {
    let needs = arg.is_empty()
        || arg.chars().any(|c| {
            matches!(c, ';' | '{' | '}' | '"' | '\'' | '#' | '\\')
                || c.is_whitespace()
                || c.is_control()
        })
        || arg.starts_with('$') && arg.len() > 1 && arg[1..].starts_with('{');
    if !needs {
        out.push_str(arg);
        return;
    }
    let q = if arg.contains('\'') && !arg.contains('"') {
        '"'
    } else if arg.contains('"') {
        '\''
    } else {
        '"'
    };
    out.push(q);
    for c in arg.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c == q => {
                let _ = write!(out, "\\{c}");
            }
            c => out.push(c),
        }
    }
    out.push(q);
}
