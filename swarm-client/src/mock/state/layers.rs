//! The build context as the fake builder sees it (the tar's files, `.dockerignore` and the
//! Dockerfile dropped when `.dockerignore` excludes them) and the layers `COPY`/`ADD` make of
//! it.

use std::collections::BTreeMap;
use std::io::Read;

use bytes::Bytes;

use super::dockerfile::{Instr, clean, exec_form, glob, subst, words};
use super::images::LayerRecord;

/// A file of the context.
#[derive(Debug, Clone)]
pub(super) struct CtxEntry {
    pub(super) kind: tar::EntryType,
    pub(super) mode: u32,
    pub(super) mtime: u64,
    pub(super) link: Option<String>,
    pub(super) data: Bytes,
}

/// Reads the context tar; the daemon drops `.dockerignore` and the Dockerfile when
/// `.dockerignore` excludes them.
pub(super) fn read_context(bytes: &[u8]) -> Result<BTreeMap<String, CtxEntry>, String> {
    let mut out = BTreeMap::new();
    let mut a = tar::Archive::new(bytes);
    let entries = a
        .entries()
        .map_err(|e| format!("failed to read the build context: {e}"))?;
    for e in entries {
        let mut e = e.map_err(|e| format!("failed to read the build context: {e}"))?;
        let path = clean(&e.path().map_err(|e| e.to_string())?.to_string_lossy());
        if path == "." {
            continue;
        }
        let h = e.header();
        let kind = h.entry_type();
        let mode = h.mode().unwrap_or(0o644);
        let mtime = h.mtime().unwrap_or(0);
        let link = e
            .link_name()
            .ok()
            .flatten()
            .map(|l| l.to_string_lossy().into_owned());
        let mut data = Vec::new();
        if kind.is_file() {
            e.read_to_end(&mut data)
                .map_err(|e| format!("failed to read the build context: {e}"))?;
        }
        out.insert(
            path,
            CtxEntry {
                kind,
                mode,
                mtime,
                link,
                data: Bytes::from(data),
            },
        );
    }
    Ok(out)
}

/// A layer tar of `files` (`(path in the image, entry)`), parents first.
pub(super) fn layer_of(files: &BTreeMap<String, CtxEntry>) -> LayerRecord {
    let mut b = tar::Builder::new(Vec::new());
    for (path, e) in files {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(e.kind);
        h.set_mode(e.mode);
        h.set_mtime(e.mtime);
        h.set_uid(0);
        h.set_gid(0);
        h.set_size(if e.kind.is_file() {
            e.data.len() as u64
        } else {
            0
        });
        let name = if e.kind.is_dir() {
            format!("{path}/")
        } else {
            path.clone()
        };
        let _ = match (&e.link, e.kind) {
            (Some(l), tar::EntryType::Symlink | tar::EntryType::Link) => {
                b.append_link(&mut h, &name, l)
            }
            _ => b.append_data(&mut h, &name, &e.data[..]),
        };
    }
    LayerRecord::new(Bytes::from(b.into_inner().unwrap_or_default()))
}

/// The layer of a `COPY`/`ADD`: the named context files at the destination.
pub(super) fn copy_layer(
    ins: &Instr,
    vars: &BTreeMap<String, String>,
    ctx: &BTreeMap<String, CtxEntry>,
    workdir: &str,
) -> Result<LayerRecord, String> {
    let mut args = exec_form(&ins.args).unwrap_or_else(|| words(&ins.args));
    args.retain(|a| !(a.starts_with("--chown=") || a.starts_with("--chmod=")));
    if args.iter().any(|a| a.starts_with("--from=")) {
        return Err(format!(
            "{} failed: --from is not supported by the fake daemon",
            ins.cmd
        ));
    }
    if args.len() < 2 {
        return Err(format!("{} requires at least two arguments", ins.cmd));
    }
    let args: Vec<String> = args.iter().map(|a| subst(a, vars)).collect();
    let (dest, srcs) = args.split_last().unwrap_or((&args[0], &[]));
    let dest_abs = if dest.starts_with('/') {
        dest.clone()
    } else {
        format!("{}/{dest}", workdir.trim_end_matches('/'))
    };
    let dest_dir_form = dest.ends_with('/') || srcs.len() > 1;
    let dest_clean = clean(dest_abs.trim_start_matches('/'));
    let mut files: BTreeMap<String, CtxEntry> = BTreeMap::new();
    let join = |base: &str, rel: &str| {
        if base == "." {
            rel.to_owned()
        } else {
            format!("{base}/{rel}")
        }
    };
    for src in srcs {
        let pat = clean(src);
        let hits: Vec<&String> = if pat == "." {
            vec![]
        } else {
            ctx.keys().filter(|k| glob(&pat, k)).collect()
        };
        if pat != "." && hits.is_empty() {
            return Err(format!(
                "{} failed: file not found in build context or excluded by .dockerignore: stat {src}: file does not exist",
                ins.cmd
            ));
        }
        let dirs: Vec<String> = if pat == "." {
            vec![".".to_owned()]
        } else {
            hits.iter()
                .filter(|h| ctx[h.as_str()].kind.is_dir())
                .map(|h| (*h).clone())
                .collect()
        };
        for h in hits.iter().filter(|h| !ctx[h.as_str()].kind.is_dir()) {
            let target = if dest_dir_form || hits.len() > 1 {
                let base = h.rsplit('/').next().unwrap_or(h);
                join(&dest_clean, base)
            } else {
                dest_clean.clone()
            };
            files.insert(target, ctx[h.as_str()].clone());
        }
        for d in dirs {
            for (k, e) in ctx {
                let rel = if d == "." {
                    Some(k.as_str())
                } else {
                    k.strip_prefix(&format!("{d}/"))
                };
                if let Some(rel) = rel {
                    files.insert(join(&dest_clean, rel), e.clone());
                }
            }
        }
    }
    // The destination directory and its parents.
    let mut parents = Vec::new();
    let mut p = if dest_dir_form
        || srcs
            .iter()
            .any(|s| clean(s) == "." || ctx.get(&clean(s)).is_some_and(|e| e.kind.is_dir()))
    {
        dest_clean.clone()
    } else {
        dest_clean
            .rsplit_once('/')
            .map(|(d, _)| d.to_owned())
            .unwrap_or_else(|| ".".to_owned())
    };
    while p != "." && !p.is_empty() {
        parents.push(p.clone());
        p = p
            .rsplit_once('/')
            .map(|(d, _)| d.to_owned())
            .unwrap_or_else(|| ".".to_owned());
    }
    for d in parents {
        files.entry(d).or_insert(CtxEntry {
            kind: tar::EntryType::Directory,
            mode: 0o755,
            mtime: 0,
            link: None,
            data: Bytes::new(),
        });
    }
    Ok(layer_of(&files))
}
