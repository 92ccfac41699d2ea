//! `.dockerignore`: reading the file and matching paths exactly as the docker CLI does (moby's
//! `patternmatcher` v0.6 and `ignorefile`, which docker 28 uses), quirks included:
//!
//! - lines starting with `#` are comments; whitespace is trimmed; patterns are cleaned like Go's
//!   `filepath.Clean` and a leading `/` is dropped; `!` makes an exception;
//! - `*` and `?` never match `/`; `**` matches any number of directories (also none);
//!   `[a-z]` classes and `\` escapes as in Go's regexp; a pattern that matches a directory
//!   excludes everything under it unless a later `!` pattern takes some of it back;
//! - the last matching pattern wins.
//!
//! ```
//! use swarm_client::dockerignore::{PatternMatcher, read_patterns};
//!
//! let patterns = read_patterns("# build output\n/target\n*.log\n!keep.log\ndocs/**/*.tmp\n")?;
//! assert_eq!(patterns, ["target", "*.log", "!keep.log", "docs/**/*.tmp"]);
//! let pm = PatternMatcher::new(&patterns)?;
//! assert!(pm.matches_or_parent_matches("target/debug/app"));
//! assert!(pm.matches_or_parent_matches("build.log"));
//! assert!(!pm.matches_or_parent_matches("keep.log"));
//! assert!(pm.matches_or_parent_matches("docs/a/b/x.tmp"));
//! assert!(!pm.matches_or_parent_matches("src/main.rs"));
//! # Ok::<(), swarm_client::dockerignore::PatternError>(())
//! ```

use std::fmt;

/// A `.dockerignore` line docker refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PatternError {
    /// A pattern that is not valid (Go's `filepath.ErrBadPattern`: an unclosed `[`, a `\` at
    /// the end, an empty class).
    #[error("syntax error in pattern {0:?}")]
    BadPattern(String),
    /// `!` alone.
    #[error("illegal exclusion pattern: \"!\"")]
    LoneExclusion,
    /// A line longer than Go's scanner accepts (64 KiB).
    #[error(".dockerignore line {line} is longer than 65536 bytes")]
    LineTooLong {
        /// 1-based line number.
        line: usize,
    },
}

/// Reads a `.dockerignore` like moby's `ignorefile.ReadAll`: the patterns in order, `!`
/// exceptions kept as `!pattern`.
///
/// # Errors
/// [`PatternError::LineTooLong`] for a line over 64 KiB (Go's `bufio.Scanner` limit).
pub fn read_patterns(text: &str) -> Result<Vec<String>, PatternError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        // bufio.ScanLines drops one trailing `\r`.
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.len() >= 64 * 1024 {
            return Err(PatternError::LineTooLong { line: i + 1 });
        }
        if line.starts_with('#') {
            continue;
        }
        let mut pattern = go_trim_space(line);
        if pattern.is_empty() {
            continue;
        }
        let invert = pattern.starts_with('!');
        if invert {
            pattern = go_trim_space(&pattern[1..]);
        }
        let mut p = pattern.to_owned();
        if !p.is_empty() {
            p = go_clean(&p);
            if p.len() > 1 && p.starts_with('/') {
                p.remove(0);
            }
        }
        out.push(if invert { format!("!{p}") } else { p });
    }
    Ok(out)
}

/// Go's `strings.TrimSpace` (ASCII and Unicode white space).
fn go_trim_space(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace())
}

/// Go's `path.Clean` (`filepath.Clean` on Unix): the shortest equivalent path.
#[must_use]
pub fn go_clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_owned();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

/// One element of a compiled pattern (the regexp patternmatcher builds, as a token list).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// A literal character.
    Lit(char),
    /// `?`: one character but `/`.
    One,
    /// `*`: any run of characters without `/`.
    Star,
    /// `**/` (or `**` before more pattern): `(.*/)?`.
    AnyDirs,
    /// `**` at the end: `.*`.
    Rest,
    /// A regexp character class.
    Class(Class),
    /// A `^` outside a class: the start of the text (so only at the start can it match).
    Begin,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Class {
    negated: bool,
    ranges: Vec<(char, char)>,
}

impl Class {
    fn matches(&self, c: char) -> bool {
        self.ranges.iter().any(|(lo, hi)| *lo <= c && c <= *hi) != self.negated
    }
}

/// How a pattern matches (patternmatcher's match types).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Matcher {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Tokens(Vec<Tok>),
}

/// One cleaned `.dockerignore` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    cleaned: String,
    exclusion: bool,
    matcher: Matcher,
}

impl Pattern {
    /// Whether this is a `!` exception.
    #[must_use]
    pub fn is_exclusion(&self) -> bool {
        self.exclusion
    }

    /// The cleaned pattern without its `!`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.cleaned
    }

    fn matches(&self, path: &str) -> bool {
        match &self.matcher {
            Matcher::Exact(p) => path == p,
            Matcher::Prefix(p) => path.starts_with(p.as_str()),
            Matcher::Suffix(s) => {
                path.ends_with(s.as_str()) || (s.starts_with('/') && path == &s[1..])
            }
            Matcher::Tokens(toks) => match_tokens(toks, &path.chars().collect::<Vec<_>>()),
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.exclusion {
            f.write_str("!")?;
        }
        f.write_str(&self.cleaned)
    }
}

/// Compiles a cleaned pattern like patternmatcher's `Pattern.compile` (with `/` separators).
fn compile(pattern: &str) -> Result<Matcher, PatternError> {
    let bad = || PatternError::BadPattern(pattern.to_owned());
    let chars: Vec<char> = pattern.chars().collect();
    let mut toks = Vec::new();
    let mut kind = 0u8; // 0 exact, 1 prefix, 2 suffix, 3 regexp
    let mut i = 0;
    let mut n = 0; // iteration counter (patternmatcher's `i`)
    while i < chars.len() {
        let ch = chars[i];
        i += 1;
        if ch == '*' {
            if chars.get(i) == Some(&'*') {
                i += 1;
                if chars.get(i) == Some(&'/') {
                    i += 1;
                }
                if i >= chars.len() {
                    if kind == 0 {
                        kind = 1;
                    } else {
                        toks.push(Tok::Rest);
                        kind = 3;
                    }
                } else {
                    toks.push(Tok::AnyDirs);
                    kind = 3;
                }
                if n == 0 {
                    kind = 2;
                }
            } else {
                toks.push(Tok::Star);
                kind = 3;
            }
        } else if ch == '?' {
            toks.push(Tok::One);
            kind = 3;
        } else if ch == '\\' {
            match chars.get(i) {
                Some(&next) => {
                    i += 1;
                    toks.push(escape(next).ok_or_else(bad)?);
                    kind = 3;
                }
                None => toks.push(Tok::Lit('\\')),
            }
        } else if ch == '[' {
            let (class, used) = parse_class(&chars[i..]).ok_or_else(bad)?;
            i += used;
            toks.push(Tok::Class(class));
            kind = 3;
        } else if ch == ']' {
            toks.push(Tok::Lit(']'));
            kind = 3;
        } else if ch == '^' {
            toks.push(Tok::Begin);
        } else {
            toks.push(Tok::Lit(ch));
        }
        n += 1;
    }
    // Without a wildcard the pattern is compared as text (a `^` in it is just a character).
    Ok(match kind {
        0 => Matcher::Exact(pattern.to_owned()),
        1 => Matcher::Prefix(pattern[..pattern.len() - 2].to_owned()),
        2 => Matcher::Suffix(pattern[2..].to_owned()),
        _ => Matcher::Tokens(toks),
    })
}

/// A regexp escape `\c` outside a class: Perl classes, or the literal character.
fn escape(c: char) -> Option<Tok> {
    let perl = |negated: bool, ranges: &[(char, char)]| {
        Some(Tok::Class(Class {
            negated,
            ranges: ranges.to_vec(),
        }))
    };
    const DIGIT: &[(char, char)] = &[('0', '9')];
    const WORD: &[(char, char)] = &[('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')];
    const SPACE: &[(char, char)] = &[('\t', '\n'), ('\x0c', '\r'), (' ', ' ')];
    match c {
        'd' => perl(false, DIGIT),
        'D' => perl(true, DIGIT),
        'w' => perl(false, WORD),
        'W' => perl(true, WORD),
        's' => perl(false, SPACE),
        'S' => perl(true, SPACE),
        'n' => Some(Tok::Lit('\n')),
        't' => Some(Tok::Lit('\t')),
        'r' => Some(Tok::Lit('\r')),
        'f' => Some(Tok::Lit('\x0c')),
        'v' => Some(Tok::Lit('\x0b')),
        'a' => Some(Tok::Lit('\x07')),
        // Go's regexp has more (`\b`, `\pL`, `\x41`, …); a .dockerignore has no use for them.
        c if c.is_ascii_alphanumeric() => None,
        c => Some(Tok::Lit(c)),
    }
}

/// Parses a regexp class after its `[`; the class and the characters used (with the `]`).
fn parse_class(chars: &[char]) -> Option<(Class, usize)> {
    let mut i = 0;
    let mut negated = false;
    if chars.first() == Some(&'^') {
        negated = true;
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let c = *chars.get(i)?;
        if c == ']' && !first {
            return Some((Class { negated, ranges }, i + 1));
        }
        first = false;
        let (lo, used) = class_char(&chars[i..])?;
        i += used;
        if chars.get(i) == Some(&'-') && chars.get(i + 1).is_some_and(|c| *c != ']') {
            let (hi, used) = class_char(&chars[i + 1..])?;
            if hi < lo {
                return None;
            }
            i += 1 + used;
            ranges.push((lo, hi));
        } else {
            ranges.push((lo, lo));
        }
    }
}

fn class_char(chars: &[char]) -> Option<(char, usize)> {
    match chars.first()? {
        '\\' => {
            let c = *chars.get(1)?;
            (!c.is_ascii_alphanumeric()).then_some((c, 2))
        }
        c => Some((*c, 1)),
    }
}

/// Matches a whole path against tokens (anchored both ends), in O(tokens × chars).
fn match_tokens(toks: &[Tok], s: &[char]) -> bool {
    // reach[j]: the tokens so far can match exactly s[..j].
    let mut reach = vec![false; s.len() + 1];
    reach[0] = true;
    for tok in toks {
        let mut next = vec![false; s.len() + 1];
        for j in 0..=s.len() {
            if !reach[j] {
                continue;
            }
            match tok {
                Tok::Lit(c) => {
                    if s.get(j) == Some(c) {
                        next[j + 1] = true;
                    }
                }
                Tok::One => {
                    if s.get(j).is_some_and(|c| *c != '/') {
                        next[j + 1] = true;
                    }
                }
                Tok::Class(class) => {
                    if s.get(j).is_some_and(|c| class.matches(*c)) {
                        next[j + 1] = true;
                    }
                }
                Tok::Begin => {
                    if j == 0 {
                        next[0] = true;
                    }
                }
                Tok::Star => {
                    let mut k = j;
                    next[k] = true;
                    while k < s.len() && s[k] != '/' {
                        k += 1;
                        next[k] = true;
                    }
                }
                Tok::Rest => {
                    for n in next.iter_mut().skip(j) {
                        *n = true;
                    }
                }
                Tok::AnyDirs => {
                    next[j] = true;
                    for k in j..s.len() {
                        if s[k] == '/' {
                            next[k + 1] = true;
                        }
                    }
                }
            }
        }
        reach = next;
    }
    reach[s.len()]
}

/// Checks a pattern's syntax like Go's `filepath.Match(pattern, ".")` does (patternmatcher
/// calls it for exactly that).
fn validate_glob(pattern: &str) -> bool {
    let b = pattern.as_bytes();
    let mut rest = b;
    while !rest.is_empty() {
        while rest.first() == Some(&b'*') {
            rest = &rest[1..];
        }
        // scanChunk
        let mut inrange = false;
        let mut i = 0;
        while i < rest.len() {
            match rest[i] {
                b'\\' if i + 1 < rest.len() => i += 1,
                b'[' => inrange = true,
                b']' => inrange = false,
                b'*' if !inrange => break,
                _ => {}
            }
            i += 1;
        }
        if !valid_chunk(&rest[..i]) {
            return false;
        }
        rest = &rest[i..];
    }
    true
}

/// Go's `matchChunk` syntax checks on one chunk.
fn valid_chunk(mut chunk: &[u8]) -> bool {
    while let Some(&c) = chunk.first() {
        match c {
            b'[' => {
                chunk = &chunk[1..];
                if chunk.first() == Some(&b'^') {
                    chunk = &chunk[1..];
                }
                let mut nrange = 0;
                loop {
                    if chunk.first() == Some(&b']') && nrange > 0 {
                        chunk = &chunk[1..];
                        break;
                    }
                    let Some(next) = get_esc(chunk) else {
                        return false;
                    };
                    chunk = next;
                    if chunk.first() == Some(&b'-') {
                        let Some(next) = get_esc(&chunk[1..]) else {
                            return false;
                        };
                        chunk = next;
                    }
                    nrange += 1;
                }
            }
            b'\\' => {
                chunk = &chunk[1..];
                if chunk.is_empty() {
                    return false;
                }
                chunk = &chunk[utf8_len(chunk)..];
            }
            _ => chunk = &chunk[1..],
        }
    }
    true
}

/// Go's `getEsc`: one (possibly escaped) class character; the rest, which must not be empty.
fn get_esc(mut chunk: &[u8]) -> Option<&[u8]> {
    match chunk.first() {
        None | Some(b'-' | b']') => return None,
        Some(b'\\') => {
            chunk = &chunk[1..];
            if chunk.is_empty() {
                return None;
            }
        }
        _ => {}
    }
    let n = utf8_len(chunk);
    let rest = &chunk[n..];
    (!rest.is_empty()).then_some(rest)
}

fn utf8_len(b: &[u8]) -> usize {
    match b.first() {
        Some(c) if *c >= 0xF0 => 4,
        Some(c) if *c >= 0xE0 => 3,
        Some(c) if *c >= 0xC0 => 2,
        _ => 1,
    }
    .min(b.len())
}

/// Per-pattern match results of a directory, handed to its children
/// ([`PatternMatcher::matches_using_parent_results`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchInfo {
    parent_matched: Vec<bool>,
}

/// The patterns of a `.dockerignore`, compiled (moby's `patternmatcher.PatternMatcher`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatternMatcher {
    patterns: Vec<Pattern>,
    exclusions: bool,
}

impl PatternMatcher {
    /// Compiles patterns (as [`read_patterns`] returns them): trimmed, cleaned, empty ones
    /// skipped.
    ///
    /// # Errors
    /// [`PatternError::LoneExclusion`] for `!`; [`PatternError::BadPattern`] for a pattern Go's
    /// `filepath.Match` or regexp would refuse.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<Self, PatternError> {
        let mut pm = Self::default();
        for p in patterns {
            let p = go_trim_space(p.as_ref());
            if p.is_empty() {
                continue;
            }
            let mut p = go_clean(p);
            let mut exclusion = false;
            if let Some(rest) = p.strip_prefix('!') {
                if rest.is_empty() {
                    return Err(PatternError::LoneExclusion);
                }
                exclusion = true;
                pm.exclusions = true;
                p = rest.to_owned();
            }
            if !validate_glob(&p) {
                return Err(PatternError::BadPattern(p));
            }
            let matcher = compile(&p)?;
            pm.patterns.push(Pattern {
                cleaned: p,
                exclusion,
                matcher,
            });
        }
        Ok(pm)
    }

    /// Whether any pattern is a `!` exception.
    #[must_use]
    pub fn exclusions(&self) -> bool {
        self.exclusions
    }

    /// The compiled patterns, in order.
    #[must_use]
    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }

    /// Whether `file` (slash-separated, relative to the context) is excluded: it or one of
    /// its parent directories matches, and no later exception takes it back.
    #[must_use]
    pub fn matches_or_parent_matches(&self, file: &str) -> bool {
        let mut matched = false;
        let parent = parent_dir(file);
        let parent_dirs: Vec<&str> = parent.split('/').collect();
        for p in &self.patterns {
            if p.exclusion != matched {
                continue;
            }
            let mut m = p.matches(file);
            if !m && parent != "." {
                for i in 0..parent_dirs.len() {
                    if p.matches(&parent_dirs[..=i].join("/")) {
                        m = true;
                        break;
                    }
                }
            }
            if m {
                matched = !p.exclusion;
            }
        }
        matched
    }

    /// patternmatcher's deprecated `Matches` (checks only the parent directory as deep as the
    /// pattern), which the docker CLI still uses to decide whether the Dockerfile and
    /// `.dockerignore` must be taken back with `!`.
    #[must_use]
    pub fn matches_single_parent(&self, file: &str) -> bool {
        let mut matched = false;
        let parent = parent_dir(file);
        let parent_dirs: Vec<&str> = parent.split('/').collect();
        for p in &self.patterns {
            if p.exclusion != matched {
                continue;
            }
            let mut m = p.matches(file);
            let depth = p.cleaned.split('/').count();
            if !m && parent != "." && depth <= parent_dirs.len() {
                m = p.matches(&parent_dirs[..depth].join("/"));
            }
            if m {
                matched = !p.exclusion;
            }
        }
        matched
    }

    /// Matches `file` using its parent directory's results (the walk of the build context):
    /// whether it is excluded, and its own results for its children.
    #[must_use]
    pub fn matches_using_parent_results(
        &self,
        file: &str,
        parent: &MatchInfo,
    ) -> (bool, MatchInfo) {
        let parent_matched = &parent.parent_matched;
        let mut matched = false;
        let mut info = MatchInfo {
            parent_matched: vec![false; self.patterns.len()],
        };
        for (i, p) in self.patterns.iter().enumerate() {
            let mut m = parent_matched.get(i).copied().unwrap_or(false);
            if !m {
                if p.exclusion != matched {
                    continue;
                }
                m = p.matches(file);
                if !m && parent_matched.is_empty() {
                    let parent_path = parent_dir(file);
                    if parent_path != "." {
                        let dirs: Vec<&str> = parent_path.split('/').collect();
                        for k in 0..dirs.len() {
                            if p.matches(&dirs[..=k].join("/")) {
                                m = true;
                                break;
                            }
                        }
                    }
                }
            }
            info.parent_matched[i] = m;
            if m {
                matched = !p.exclusion;
            }
        }
        (matched, info)
    }
}

/// Go's `filepath.Dir` for a relative, clean path.
fn parent_dir(file: &str) -> String {
    match file.rfind('/') {
        Some(i) => go_clean(&file[..i]),
        None => ".".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pm(p: &[&str]) -> PatternMatcher {
        PatternMatcher::new(p).unwrap()
    }

    #[test]
    fn clean_like_go() {
        for (i, o) in [
            ("", "."),
            ("a//b/./c/..", "a/b"),
            ("/../x", "/x"),
            ("../../a", "../../a"),
            ("a/../..", ".."),
            ("./", "."),
            ("/", "/"),
        ] {
            assert_eq!(go_clean(i), o, "{i}");
        }
    }

    #[test]
    fn reads_like_ignorefile() {
        let p =
            read_patterns("\u{feff}# c\n  /a/b/  \n\n! c \r\n!/d/../e\n #not a comment\n").unwrap();
        assert_eq!(p, ["a/b", "!c", "!e", "#not a comment"]);
        assert!(matches!(
            read_patterns(&"x".repeat(70_000)),
            Err(PatternError::LineTooLong { line: 1 })
        ));
    }

    #[test]
    fn patternmatcher_cases() {
        // (pattern, path, matches) from moby/patternmatcher's TestMatches and its quirks.
        let cases: &[(&str, &str, bool)] = &[
            ("**", "file", true),
            ("**", "file/", true),
            ("**/", "file", true),
            ("**/", "file/", true),
            ("dir/**", "dir/file", true),
            ("dir/**", "dir/dir2/file", true),
            ("dir/**", "dir2/file", false),
            ("**/dir", "dir", true),
            ("**/dir", "dir/file", false),
            ("**/dir2/*", "dir/dir2/file", true),
            ("**/dir2/*", "dir/dir2/file/", true),
            ("**/dir2/**", "dir/dir2/dir3/file", true),
            ("**file", "file", true),
            ("**file", "dir/file", true),
            ("**/file", "dir/file", true),
            ("**file", "dir/dir/file", true),
            ("**/file", "dir/dir/file", true),
            ("**/file*", "dir/dir/file", true),
            ("**/file*", "dir/dir/file.txt", true),
            ("**/file*txt", "dir/dir/file.txt", true),
            ("**/file*.txt", "dir/dir/file.txt", true),
            ("**/file*.txt*", "dir/dir/file.txt", true),
            ("**/**/*.txt", "dir/dir/file.txt", true),
            ("**/**/*.txt2", "dir/dir/file.txt", false),
            ("**/*.txt", "file.txt", true),
            ("**/**/*.txt", "file.txt", true),
            ("a**/*.txt", "a/file.txt", true),
            ("a**/*.txt", "a/dir/file.txt", true),
            ("a**/*.txt", "a/dir/dir/file.txt", true),
            ("a/*.txt", "a/dir/file.txt", false),
            ("a/*.txt", "a/file.txt", true),
            ("a/*.txt**", "a/file.txt", true),
            ("a[b-d]e", "ae", false),
            ("a[b-d]e", "ace", true),
            ("a[b-d]e", "aae", false),
            ("a[^b-d]e", "aze", true),
            (".*", ".foo", true),
            (".*", "foo", false),
            ("abc.def", "abcdef", false),
            ("abc.def", "abc.def", true),
            ("abc.def", "abcZdef", false),
            ("abc?def", "abcZdef", true),
            ("abc?def", "abcdef", false),
            ("a\\\\", "a\\", true),
            ("**/foo/bar", "foo/bar", true),
            ("**/foo/bar", "dir/foo/bar", true),
            ("**/foo/bar", "dir/dir2/foo/bar", true),
            ("abc/**", "abc", false),
            ("abc/**", "abc/def", true),
            ("abc/**", "abc/def/ghi", true),
            ("**/.foo", ".foo", true),
            ("**/.foo", "bar.foo", false),
            ("a(b)c/def", "a(b)c/def", true),
            ("a(b)c/def", "a(b)c/xyz", false),
            ("a.|)$(}+{bc", "a.|)$(}+{bc", true),
            (
                "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
                "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
                true,
            ),
            (
                "dist/*.whl",
                "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
                true,
            ),
            // Go regexp quirks: `[!a]` is a class of `!` and `a`; `^` outside a class anchors.
            ("[!a]bc", "xbc", false),
            ("[!a]bc", "!bc", true),
            ("^abc", "^abc", true),
            ("^abc", "abc", false),
            ("^a*", "abc", true),
            ("a^bc", "a^bc", true),
            ("a^b*", "a^bc", false),
            ("a\\d", "a7", true),
        ];
        for (p, path, want) in cases {
            let m = pm(&[p]);
            // moby's table runs through `Matches`, which cleans the path first.
            assert_eq!(
                m.patterns[0].matches(&go_clean(path)),
                *want,
                "pattern {p:?} on {path:?}"
            );
        }
    }

    #[test]
    fn bad_patterns_are_refused() {
        for p in ["[", "a[", "[]", "[^]", "a\\", "[a-", "[z-a]x"] {
            assert!(
                PatternMatcher::new(&[p]).is_err(),
                "{p:?} should be refused"
            );
        }
        assert_eq!(
            PatternMatcher::new(&["!"]).unwrap_err(),
            PatternError::LoneExclusion
        );
        assert!(PatternMatcher::new(&["a]b", "\\[x"]).is_ok());
    }

    #[test]
    fn exceptions_and_parents() {
        let m = pm(&["docs", "!docs/README.md", "*.tmp", "!keep.tmp"]);
        assert!(m.matches_or_parent_matches("docs/a.md"));
        assert!(!m.matches_or_parent_matches("docs/README.md"));
        assert!(m.matches_or_parent_matches("x.tmp"));
        assert!(!m.matches_or_parent_matches("keep.tmp"));
        // The walk's incremental form agrees with the whole-path form.
        let (dir, info) = m.matches_using_parent_results("docs", &MatchInfo::default());
        assert!(dir);
        let (f, _) = m.matches_using_parent_results("docs/README.md", &info);
        assert!(!f);
        let (f, _) = m.matches_using_parent_results("docs/a.md", &info);
        assert!(f);
        // The CLI's single-parent check looks at the parent only as deep as the pattern.
        let m = pm(&["**/c"]);
        assert!(m.matches_single_parent("x/c/Dockerfile"));
        assert!(!m.matches_single_parent("a/b/c/Dockerfile"));
        assert!(m.matches_or_parent_matches("a/b/c/Dockerfile"));
    }
}
