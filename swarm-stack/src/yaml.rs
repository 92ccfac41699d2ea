//! YAML read as docker's compose loader reads it (go-yaml v3 decoding into `any`).
//!
//! saphyr-parser does the YAML 1.2 syntax (events with scalar styles, anchors and aliases); this
//! module builds the value tree with go-yaml v3's rules on top of it, because those, not YAML
//! 1.2's core schema, decide what a compose value is:
//! - plain scalars resolve as go-yaml v3 resolves them: `true`/`True`/`TRUE` (not `yes`, `on`)
//!   are booleans, `~`/`null`/empty are null, integers go through Go's `ParseInt(s, 0, 64)` after
//!   removing `_` (so `0440` is octal 288, `0x1F` hex, `0b101` binary, `0o17` octal), then
//!   `ParseUint`, then YAML-style floats (`08` is the float 8); quoted and block scalars are
//!   always strings;
//! - `<<` merge keys take a mapping, an alias of one, or a list of them: keys written in the
//!   mapping win, then earlier merged mappings win over later ones;
//! - a key twice in one mapping is an error (`mapping key "a" already defined at line 2`);
//! - only the first document counts; the top level must be a mapping; keys must be strings.
//!
//! Aliases are expanded; the expansion is bounded ([`MAX_NODES`]) so a "billion laughs" file is
//! refused instead of exhausting memory.

use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

use saphyr_parser::{Event, Parser, ScalarStyle, Tag};

/// At most this many nodes after alias expansion (go-yaml refuses "excessive aliasing" too).
pub const MAX_NODES: usize = 1_000_000;

/// A compose value, typed as go-yaml v3 types values decoded into Go's `any`.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`, `~`, empty.
    Null,
    /// `true` / `false` (and their `True`/`TRUE` spellings).
    Bool(bool),
    /// An integer that fits `i64`.
    Int(i64),
    /// An integer above `i64::MAX` (Go's `uint64` branch).
    Uint(u64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Self>),
    /// A mapping with string keys.
    Map(BTreeMap<String, Self>),
}

impl Value {
    /// The JSON-schema type name docker's validator sees for this value.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool(_) => "boolean",
            Self::Int(_) | Self::Uint(_) => "integer",
            Self::Float(f) if f.fract() == 0.0 && f.is_finite() => "integer",
            Self::Float(_) => "number",
            Self::Str(_) => "string",
            Self::Seq(_) => "array",
            Self::Map(_) => "object",
        }
    }

    /// The value as Go's `fmt.Sprint` prints it (how docker turns numbers in labels,
    /// environment and options into strings); `None` for sequences and mappings.
    #[must_use]
    pub fn go_string(&self) -> Option<String> {
        Some(match self {
            Self::Null => "<nil>".to_owned(),
            Self::Bool(b) => b.to_string(),
            Self::Int(i) => i.to_string(),
            Self::Uint(u) => u.to_string(),
            Self::Float(f) => sdk_grammar::go::format_float(*f),
            Self::Str(s) => s.clone(),
            Self::Seq(_) | Self::Map(_) => return None,
        })
    }

    /// The string, if this is one.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The mapping, if this is one.
    #[must_use]
    pub fn as_map(&self) -> Option<&BTreeMap<String, Self>> {
        match self {
            Self::Map(m) => Some(m),
            _ => None,
        }
    }
}

/// Why a file is not YAML docker would read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum YamlError {
    /// A syntax error (line is 1-based).
    #[error("yaml: line {line}: {message}")]
    Syntax {
        /// Line of the error.
        line: usize,
        /// What the parser said.
        message: String,
    },
    /// A key appears twice in one mapping.
    #[error(
        "yaml: unmarshal errors:\n  line {line}: mapping key \"{key}\" already defined at line {first}"
    )]
    DuplicateKey {
        /// The key.
        key: String,
        /// Line of the second occurrence.
        line: usize,
        /// Line of the first.
        first: usize,
    },
    /// A `<<` merge key whose value is not a mapping or a list of mappings.
    #[error("yaml: map merge requires map or sequence of maps as the value (line {line})")]
    MergeNotMap {
        /// Line of the merge key.
        line: usize,
    },
    /// An alias to an anchor that was not defined before it.
    #[error("yaml: line {line}: unknown anchor referenced")]
    UnknownAnchor {
        /// Line of the alias.
        line: usize,
    },
    /// A mapping key that is not a string (docker fails on it when it validates).
    #[error("yaml: line {line}: mapping key {key} is not a string")]
    NonStringKey {
        /// The key as written.
        key: String,
        /// Line of the key.
        line: usize,
    },
    /// An explicit tag whose value does not fit it (`!!int abc`).
    #[error("yaml: line {line}: cannot decode {found} `{value}` as a {tag}")]
    BadTag {
        /// The tag.
        tag: String,
        /// What the value resolves to.
        found: String,
        /// The value.
        value: String,
        /// Line.
        line: usize,
    },
    /// Aliases expand to more than [`MAX_NODES`] nodes.
    #[error("yaml: document contains excessive aliasing")]
    ExcessiveAliasing,
    /// The document is empty or its top level is not a mapping.
    #[error("top-level object must be a mapping")]
    TopLevelNotMapping,
}

/// A parsed node before go-yaml's decoding rules are applied.
#[derive(Debug)]
enum Node {
    Scalar {
        value: String,
        style: ScalarStyle,
        tag: Option<Tag>,
        line: usize,
    },
    Seq(Vec<Rc<Self>>),
    Map(Vec<(Rc<Self>, Rc<Self>)>),
    Alias(Rc<Self>),
}

impl Node {
    /// The node an alias points to (aliases of aliases do not exist: anchors name nodes).
    fn target(self: &Rc<Self>) -> Rc<Self> {
        match &**self {
            Self::Alias(t) => t.clone(),
            _ => self.clone(),
        }
    }
}

/// Reads a compose file as docker does (`loader.ParseYAML`): the first document, a mapping.
///
/// # Errors
/// [`YamlError`] for syntax errors, duplicate keys, bad merges, non-string keys, excessive
/// aliasing, or a top level that is not a mapping.
pub fn parse(text: &str) -> Result<BTreeMap<String, Value>, YamlError> {
    let root = build(text)?;
    let Some(root) = root else {
        return Err(YamlError::TopLevelNotMapping);
    };
    let mut budget = MAX_NODES;
    match decode(&root, &mut budget)? {
        Value::Map(m) => Ok(m),
        _ => Err(YamlError::TopLevelNotMapping),
    }
}

enum Frame {
    Seq(Vec<Rc<Node>>, usize),
    Map(Vec<(Rc<Node>, Rc<Node>)>, Option<Rc<Node>>, usize),
}

/// Builds the node tree of the first document.
fn build(text: &str) -> Result<Option<Rc<Node>>, YamlError> {
    let mut parser = Parser::new_from_str(text);
    let mut anchors: BTreeMap<usize, Rc<Node>> = BTreeMap::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Rc<Node>> = None;
    let mut in_doc = false;
    while let Some(ev) = parser.next_event() {
        let (ev, span) = ev.map_err(|e| YamlError::Syntax {
            line: e.marker().line(),
            message: e.info().to_owned(),
        })?;
        let line = span.start.line();
        let node = match ev {
            Event::DocumentStart(_) => {
                in_doc = true;
                continue;
            }
            Event::DocumentEnd => {
                // Only the first document counts (yaml.Unmarshal).
                if in_doc {
                    return Ok(root);
                }
                continue;
            }
            Event::StreamEnd => break,
            Event::Scalar(value, style, anchor, tag) => {
                let n = Rc::new(Node::Scalar {
                    value: value.into_owned(),
                    style,
                    tag: tag.map(std::borrow::Cow::into_owned),
                    line,
                });
                if anchor > 0 {
                    anchors.insert(anchor, n.clone());
                }
                n
            }
            Event::Alias(id) => {
                let t = anchors
                    .get(&id)
                    .cloned()
                    .ok_or(YamlError::UnknownAnchor { line })?;
                Rc::new(Node::Alias(t))
            }
            Event::SequenceStart(anchor, _) => {
                stack.push(Frame::Seq(Vec::new(), anchor));
                continue;
            }
            Event::MappingStart(anchor, _) => {
                stack.push(Frame::Map(Vec::new(), None, anchor));
                continue;
            }
            Event::SequenceEnd => {
                let Some(Frame::Seq(items, anchor)) = stack.pop() else {
                    return Err(YamlError::Syntax {
                        line,
                        message: "unbalanced sequence".into(),
                    });
                };
                let n = Rc::new(Node::Seq(items));
                if anchor > 0 {
                    anchors.insert(anchor, n.clone());
                }
                n
            }
            Event::MappingEnd => {
                let Some(Frame::Map(pairs, _, anchor)) = stack.pop() else {
                    return Err(YamlError::Syntax {
                        line,
                        message: "unbalanced mapping".into(),
                    });
                };
                let n = Rc::new(Node::Map(pairs));
                if anchor > 0 {
                    anchors.insert(anchor, n.clone());
                }
                n
            }
            Event::Nothing | Event::StreamStart => continue,
        };
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq(items, _)) => items.push(node),
            Some(Frame::Map(pairs, key, _)) => match key.take() {
                None => *key = Some(node),
                Some(k) => pairs.push((k, node)),
            },
        }
    }
    Ok(root)
}

fn is_merge_key(n: &Node) -> bool {
    matches!(n, Node::Scalar { value, tag, .. } if value == "<<"
        && tag.as_ref().is_none_or(|t| t.handle == "!" && t.suffix.is_empty()
            || t.handle == "!!" && t.suffix == "merge"
            || t.handle == "tag:yaml.org,2002:" && t.suffix == "merge"))
}

fn take(budget: &mut usize) -> Result<(), YamlError> {
    *budget = budget.checked_sub(1).ok_or(YamlError::ExcessiveAliasing)?;
    Ok(())
}

fn decode(node: &Rc<Node>, budget: &mut usize) -> Result<Value, YamlError> {
    take(budget)?;
    match &**node {
        Node::Alias(t) => decode(t, budget),
        Node::Scalar {
            value,
            style,
            tag,
            line,
        } => scalar(value, *style, tag.as_ref(), *line),
        Node::Seq(items) => items
            .iter()
            .map(|i| decode(i, budget))
            .collect::<Result<_, _>>()
            .map(Value::Seq),
        Node::Map(pairs) => {
            let mut out = BTreeMap::new();
            decode_map_into(pairs, &mut out, None, budget)?;
            Ok(Value::Map(out))
        }
    }
}

/// Decodes `pairs` into `out`. With `merged` (a merge in progress), keys already set are skipped
/// and recorded, as go-yaml's `mergedFields` does.
fn decode_map_into(
    pairs: &[(Rc<Node>, Rc<Node>)],
    out: &mut BTreeMap<String, Value>,
    mut merged: Option<&mut BTreeMap<String, ()>>,
    budget: &mut usize,
) -> Result<(), YamlError> {
    // Duplicate keys: go-yaml compares the raw text of scalar keys.
    for (i, (ki, _)) in pairs.iter().enumerate() {
        if let Node::Scalar {
            value: vi,
            line: li,
            ..
        } = &*ki.target()
        {
            for (kj, _) in &pairs[i + 1..] {
                if let Node::Scalar {
                    value: vj,
                    line: lj,
                    ..
                } = &*kj.target()
                    && vi == vj
                {
                    return Err(YamlError::DuplicateKey {
                        key: vi.clone(),
                        line: *lj,
                        first: *li,
                    });
                }
            }
        }
    }
    let mut merge_node = None;
    for (k, v) in pairs {
        let kt = k.target();
        if is_merge_key(&kt) {
            merge_node = Some((v.clone(), kt.clone()));
            continue;
        }
        take(budget)?;
        let key = key_string(&kt)?;
        if let Some(m) = merged.as_deref_mut() {
            if m.contains_key(&key) {
                continue;
            }
            m.insert(key.clone(), ());
        }
        let value = decode(v, budget)?;
        out.insert(key, value);
    }
    if let Some((mv, mk)) = merge_node {
        let line = match &*mk {
            Node::Scalar { line, .. } => *line,
            _ => 0,
        };
        let mut fields: BTreeMap<String, ()> = match merged {
            Some(m) => std::mem::take(m),
            None => out.keys().map(|k| (k.clone(), ())).collect(),
        };
        let target = mv.target();
        match &*target {
            Node::Map(p) => decode_map_into(p, out, Some(&mut fields), budget)?,
            Node::Seq(items) => {
                for item in items {
                    match &*item.target() {
                        Node::Map(p) => decode_map_into(p, out, Some(&mut fields), budget)?,
                        _ => return Err(YamlError::MergeNotMap { line }),
                    }
                }
            }
            _ => return Err(YamlError::MergeNotMap { line }),
        }
    }
    Ok(())
}

fn key_string(k: &Rc<Node>) -> Result<String, YamlError> {
    match &**k {
        Node::Scalar {
            value,
            style,
            tag,
            line,
        } => match scalar(value, *style, tag.as_ref(), *line)? {
            Value::Str(s) => Ok(s),
            _ => Err(YamlError::NonStringKey {
                key: value.clone(),
                line: *line,
            }),
        },
        Node::Alias(t) => key_string(t),
        Node::Seq(_) | Node::Map(_) => Err(YamlError::NonStringKey {
            key: "(a collection)".into(),
            line: 0,
        }),
    }
}

/// The short name of a core tag (`!!int`), or `None` for a tag go-yaml does not resolve.
fn core_tag(tag: &Tag) -> Option<&str> {
    if tag.handle == "!!" || tag.handle == "tag:yaml.org,2002:" {
        Some(tag.suffix.as_str())
    } else {
        None
    }
}

fn scalar(
    value: &str,
    style: ScalarStyle,
    tag: Option<&Tag>,
    line: usize,
) -> Result<Value, YamlError> {
    let quoted = !matches!(style, ScalarStyle::Plain);
    match tag.map(core_tag) {
        // No tag: quoted and block scalars are strings, plain ones resolve.
        None if quoted => Ok(Value::Str(value.to_owned())),
        None => Ok(resolve_plain(value)),
        // A local or unknown tag: go-yaml keeps the text.
        Some(None) => Ok(Value::Str(value.to_owned())),
        Some(Some(t)) => {
            let resolved = resolve_plain(value);
            let ok = match (t, &resolved) {
                ("str" | "timestamp", _) => return Ok(Value::Str(value.to_owned())),
                ("binary", _) => {
                    use base64_lite::decode;
                    return decode(value)
                        .map(|b| Value::Str(String::from_utf8_lossy(&b).into_owned()))
                        .ok_or_else(|| YamlError::BadTag {
                            tag: "!!binary".into(),
                            found: "!!str".into(),
                            value: value.to_owned(),
                            line,
                        });
                }
                ("int", Value::Int(_) | Value::Uint(_))
                | ("float", Value::Float(_))
                | ("bool", Value::Bool(_))
                | ("null", Value::Null) => true,
                ("float", Value::Int(i)) => return Ok(Value::Float(*i as f64)),
                ("seq" | "map" | "merge", _) => true,
                _ => false,
            };
            if ok {
                Ok(resolved)
            } else {
                Err(YamlError::BadTag {
                    tag: format!("!!{t}"),
                    found: format!(
                        "!!{}",
                        match resolved {
                            Value::Null => "null",
                            Value::Bool(_) => "bool",
                            Value::Int(_) | Value::Uint(_) => "int",
                            Value::Float(_) => "float",
                            _ => "str",
                        }
                    ),
                    value: value.to_owned(),
                    line,
                })
            }
        }
    }
}

/// go-yaml v3's `resolve` for an untagged plain scalar.
#[must_use]
pub fn resolve_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        _ => {}
    }
    let first = s.as_bytes()[0];
    if first == b'.' {
        return if yaml_style_float(s) {
            sdk_grammar::go::parse_float(s).map_or_else(|_| Value::Str(s.to_owned()), Value::Float)
        } else {
            Value::Str(s.to_owned())
        };
    }
    if !(first.is_ascii_digit() || first == b'+' || first == b'-') {
        return Value::Str(s.to_owned());
    }
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    if let Ok(i) = sdk_grammar::go::parse_int(&plain, 0, 64) {
        return Value::Int(i);
    }
    if let Ok(u) = sdk_grammar::go::parse_uint(&plain, 0, 64) {
        return Value::Uint(u);
    }
    if yaml_style_float(&plain)
        && let Ok(f) = sdk_grammar::go::parse_float(&plain)
    {
        return Value::Float(f);
    }
    for (prefix, radix, neg) in [
        ("0b", 2, false),
        ("-0b", 2, true),
        ("0o", 8, false),
        ("-0o", 8, true),
    ] {
        if let Some(digits) = plain.strip_prefix(prefix) {
            if !digits.is_empty()
                && let Ok(u) = u64::from_str_radix(digits, radix)
            {
                if neg {
                    if let Some(i) = i64::try_from(u)
                        .ok()
                        .map(|i| -i)
                        .or((u == 1 << 63).then_some(i64::MIN))
                    {
                        return Value::Int(i);
                    }
                } else {
                    return i64::try_from(u).map_or(Value::Uint(u), Value::Int);
                }
            }
            break;
        }
    }
    Value::Str(s.to_owned())
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.go_string() {
            Some(s) => f.write_str(&s),
            None => write!(f, "{self:?}"),
        }
    }
}

/// The standard base64 alphabet, for `!!binary` (rare in compose files; not worth a crate).
mod base64_lite {
    pub(super) fn decode(s: &str) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let mut acc = 0u32;
        let mut bits = 0;
        for c in s.bytes().filter(|c| !c.is_ascii_whitespace()) {
            let v = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                b'=' => break,
                _ => return None,
            };
            acc = (acc << 6) | u32::from(v);
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Value {
        parse(&format!("k: {text}\n")).unwrap().remove("k").unwrap()
    }

    #[test]
    fn scalars_resolve_as_go_yaml_v3() {
        assert_eq!(one("0440"), Value::Int(0o440));
        assert_eq!(one("0o440"), Value::Int(0o440));
        assert_eq!(one("0x1F"), Value::Int(31));
        assert_eq!(one("0b101"), Value::Int(5));
        assert_eq!(one("1_000"), Value::Int(1000));
        assert_eq!(one("08"), Value::Float(8.0));
        assert_eq!(one("+12"), Value::Int(12));
        assert_eq!(one("-0b11"), Value::Int(-3));
        assert_eq!(one("1.5"), Value::Float(1.5));
        assert_eq!(one("1e3"), Value::Float(1000.0));
        assert_eq!(one(".5"), Value::Float(0.5));
        assert_eq!(one("18446744073709551615"), Value::Uint(u64::MAX));
        assert_eq!(one("yes"), Value::Str("yes".into()));
        assert_eq!(one("on"), Value::Str("on".into()));
        assert_eq!(one("True"), Value::Bool(true));
        assert_eq!(one("FALSE"), Value::Bool(false));
        assert_eq!(one("~"), Value::Null);
        assert_eq!(one(""), Value::Null);
        assert_eq!(one("'0440'"), Value::Str("0440".into()));
        assert_eq!(one("\"true\""), Value::Str("true".into()));
        assert_eq!(one("2001-12-14"), Value::Str("2001-12-14".into()));
        assert_eq!(one("1.2.3"), Value::Str("1.2.3".into()));
        assert_eq!(one("!!str 12"), Value::Str("12".into()));
        assert_eq!(one("!!float 12"), Value::Float(12.0));
        assert!(matches!(
            parse("k: !!int abc\n"),
            Err(YamlError::BadTag { .. })
        ));
        assert_eq!(one(".inf"), Value::Float(f64::INFINITY));
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let doc = "\
x-base: &base
  a: 1
  b: 2
x-more: &more
  b: 3
  c: 4
s:
  <<: [*base, *more]
  a: 9
t: *base
";
        let m = parse(doc).unwrap();
        let s = m["s"].as_map().unwrap();
        assert_eq!(s["a"], Value::Int(9), "explicit keys win");
        assert_eq!(s["b"], Value::Int(2), "earlier merged maps win");
        assert_eq!(s["c"], Value::Int(4));
        assert_eq!(m["t"], m["x-base"]);
        let single = parse("b: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n").unwrap();
        assert_eq!(single["c"].as_map().unwrap().len(), 2);
    }

    #[test]
    fn refusals() {
        assert_eq!(
            parse("a: 1\nb: 2\na: 3\n"),
            Err(YamlError::DuplicateKey {
                key: "a".into(),
                line: 3,
                first: 1
            })
        );
        assert!(matches!(
            parse("a: &x 1\nb:\n  <<: *x\n"),
            Err(YamlError::MergeNotMap { .. })
        ));
        assert_eq!(parse(""), Err(YamlError::TopLevelNotMapping));
        assert_eq!(parse("- a\n"), Err(YamlError::TopLevelNotMapping));
        assert!(matches!(
            parse("80: x\n"),
            Err(YamlError::NonStringKey { .. })
        ));
        assert!(matches!(parse("a: [1\n"), Err(YamlError::Syntax { .. })));
        assert!(matches!(
            parse("a: *nope\n"),
            Err(YamlError::UnknownAnchor { .. }) | Err(YamlError::Syntax { .. })
        ));
    }

    #[test]
    fn billion_laughs_is_refused() {
        let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let p = i - 1;
            doc.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        assert_eq!(parse(&doc), Err(YamlError::ExcessiveAliasing));
    }

    #[test]
    fn only_the_first_document_counts() {
        let m = parse("a: 1\n---\nb: 2\n").unwrap();
        assert!(m.contains_key("a") && !m.contains_key("b"));
    }

    proptest::proptest! {
        #[test]
        fn integers_and_octals_resolve_as_go(i in proptest::prelude::any::<i64>(), o in 0u32..0o7777) {
            proptest::prop_assert_eq!(one(&i.to_string()), Value::Int(i));
            // a leading 0 is octal, as go-yaml v3 reads `mode: 0440`
            proptest::prop_assert_eq!(one(&format!("0{o:o}")), Value::Int(i64::from(o)));
            // quoted, it stays text
            proptest::prop_assert_eq!(one(&format!("'{i}'")), Value::Str(i.to_string()));
        }

        #[test]
        fn plain_words_are_strings(w in "[a-z][a-z0-9_-]{0,12}") {
            let expected = match w.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" => Value::Null,
                _ => Value::Str(w.clone()),
            };
            proptest::prop_assert_eq!(one(&w), expected);
        }
    }

    #[test]
    fn go_fmt_of_floats() {
        assert_eq!(one("1.0").go_string().unwrap(), "1");
        assert_eq!(one("1e6").go_string().unwrap(), "1e+06");
        assert_eq!(one("0.5").go_string().unwrap(), "0.5");
        assert_eq!(one("100000.0").go_string().unwrap(), "100000");
    }
}
