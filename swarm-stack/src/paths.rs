//! Go's `path/filepath` as the compose loader uses it on Linux: `Join` (which cleans) and the
//! absolute-path checks (Unix and Windows forms, since a Windows client may deploy too).

/// Go's `filepath.Clean` for `/`-separated paths (sdk-grammar's).
#[must_use]
pub(crate) fn clean(p: &str) -> String {
    sdk_grammar::go::clean_path(p)
}

/// `absPath(workingDir, p)`: `p` when absolute (unchanged, not cleaned), else
/// `filepath.Join(workingDir, p)`.
#[must_use]
pub(crate) fn abs(working_dir: &str, p: &str) -> String {
    if p.starts_with('/') {
        return p.to_owned();
    }
    let joined = match (working_dir.is_empty(), p.is_empty()) {
        (true, true) => return String::new(),
        (true, false) => p.to_owned(),
        (false, true) => working_dir.to_owned(),
        (false, false) => format!("{working_dir}/{p}"),
    };
    clean(&joined)
}

fn is_slash(c: u8) -> bool {
    c == b'\\' || c == b'/'
}

/// `path.IsAbs(p) || isAbs(p)` of the loader: a Unix path, or a Windows drive or UNC path.
#[must_use]
pub(crate) fn is_abs_any(p: &str) -> bool {
    if p.starts_with('/') {
        return true;
    }
    let b = p.as_bytes();
    let l = volume_name_len(b);
    l > 0 && b.get(l).is_some_and(|&c| is_slash(c))
}

fn volume_name_len(b: &[u8]) -> usize {
    if b.len() < 2 {
        return 0;
    }
    if b[1] == b':' && b[0].is_ascii_alphabetic() {
        return 2;
    }
    let l = b.len();
    if l >= 5 && is_slash(b[0]) && is_slash(b[1]) && !is_slash(b[2]) && b[2] != b'.' {
        let mut n = 3;
        while n < l - 1 {
            if is_slash(b[n]) {
                n += 1;
                if !is_slash(b[n]) {
                    if b[n] == b'.' {
                        break;
                    }
                    while n < l && !is_slash(b[n]) {
                        n += 1;
                    }
                    return n;
                }
                break;
            }
            n += 1;
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_and_clean_like_go() {
        assert_eq!(abs("/srv/app", "./data"), "/srv/app/data");
        assert_eq!(abs("/srv/app", "../x/./y//z"), "/srv/x/y/z");
        assert_eq!(abs("/srv/app", "/etc//x"), "/etc//x");
        assert_eq!(abs("/srv/app", ""), "/srv/app");
        assert_eq!(clean("a/../.."), "..");
        assert_eq!(clean("/../a"), "/a");
        assert!(is_abs_any("C:\\data") && is_abs_any("c:/x") && is_abs_any("\\\\srv\\share\\x"));
        assert!(!is_abs_any("data") && !is_abs_any("C:"));
    }
}
