//! The build context of `docker build DIR`: the tar the docker CLI sends, made the same way.
//!
//! Like docker 28's CLI (classic builder): the Dockerfile is `Dockerfile` (or `dockerfile`)
//! in the context unless `-f` names another; `.dockerignore` is read with its rules
//! ([`crate::dockerignore`]); the Dockerfile and `.dockerignore` are always sent (the daemon
//! drops them again when the patterns exclude them); the directory is walked in name order and
//! every file not excluded is archived with its mode, its modification time in whole seconds,
//! owner `0:0` and no user or group names; a directory excluded by a pattern that a later `!`
//! exception reaches into is walked but not itself archived; hard links are archived as links
//! to the first name; sockets are skipped. A Dockerfile outside the context is added under a
//! random `.dockerfile.*` name, which `.dockerignore` then lists, as the CLI does.
//!
//! Not done: the `security.capability` extended attribute docker copies into the tar
//! (reading xattrs needs a system call std does not offer).
//!
//! ```no_run
//! use swarm_client::build_context::BuildContext;
//! # fn main() -> swarm_client::Result<()> {
//! let ctx = BuildContext::from_dir("web", None)?;
//! println!("Dockerfile: {}", ctx.dockerfile());
//! for path in ctx.paths() {
//!     println!("sent: {path}");
//! }
//! ctx.write_tar(std::fs::File::create("/tmp/context.tar").expect("file"))?;
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::fs::Metadata;
use std::io::{Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::Stream;

use crate::dockerignore::{MatchInfo, PatternMatcher, read_patterns};
use crate::error::{Error, Result};

/// The name the docker CLI looks for when `-f` is not given.
pub const DEFAULT_DOCKERFILE: &str = "Dockerfile";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    File { size: u64 },
    Dir,
    Symlink(PathBuf),
    HardLink(String),
    Fifo,
    Char { major: u64, minor: u64 },
    Block { major: u64, minor: u64 },
}

#[derive(Debug, Clone)]
struct Entry {
    /// The tar name (slash-separated, relative, no trailing slash).
    name: String,
    path: PathBuf,
    kind: Kind,
    mode: u32,
    mtime: i64,
}

/// A build context ready to send: what the docker CLI would put in the tar, in its order.
#[derive(Debug, Clone)]
pub struct BuildContext {
    root: PathBuf,
    dockerfile: String,
    entries: Vec<Entry>,
    /// A Dockerfile from outside the context: its random name in the tar and its bytes.
    outside: Option<(String, Vec<u8>)>,
    /// `.dockerignore` as sent, when it had to be changed (outside Dockerfile).
    dockerignore: Option<Vec<u8>>,
}

fn io_err<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |source| Error::Io {
        what,
        path: path.to_owned(),
        source,
    }
}

fn refuse(path: &Path, message: impl Into<String>) -> Error {
    Error::BuildContext {
        path: path.to_owned(),
        message: message.into(),
    }
}

/// A random `.dockerfile.` name like the CLI's (20 hex characters).
fn random_dockerfile_name() -> String {
    use std::fmt::Write as _;
    use std::hash::BuildHasher;
    let mut out = String::from(".dockerfile.");
    let mut n = 0u64;
    while out.len() < 12 + 20 {
        let h = std::collections::hash_map::RandomState::new().hash_one((n, std::process::id()));
        let _ = write!(out, "{h:016x}");
        n += 1;
    }
    out.truncate(12 + 20);
    out
}

/// Linux's `major`/`minor` of a device number.
fn dev_parts(rdev: u64) -> (u64, u64) {
    let major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & !0xfff);
    let minor = (rdev & 0xff) | ((rdev >> 12) & !0xff);
    (major, minor)
}

impl BuildContext {
    /// Prepares the context of `docker build [-f DOCKERFILE] DIR`: resolves the directory
    /// (symlinks followed) and the Dockerfile (`-f` is relative to the current directory, like
    /// the CLI's), reads `.dockerignore`, checks every file that will be sent is readable, and
    /// lists what goes into the tar. Nothing is read beyond metadata until the tar is written.
    ///
    /// # Errors
    /// [`Error::BuildContext`] when the directory or the Dockerfile is missing, the context is
    /// not a directory, a `.dockerignore` pattern is invalid, or a file cannot be read (in the
    /// CLI's words); [`Error::Io`] for other I/O failures.
    pub fn from_dir(dir: impl AsRef<Path>, dockerfile: Option<&Path>) -> Result<Self> {
        let given = dir.as_ref();
        let root = std::fs::canonicalize(given).map_err(|e| {
            refuse(
                given,
                format!("unable to prepare context: path {:?} not found: {e}", given),
            )
        })?;
        if !root.is_dir() {
            return Err(refuse(
                &root,
                format!("context must be a directory: {}", root.display()),
            ));
        }
        let abs_dockerfile = match dockerfile {
            Some(f) => {
                let abs = std::path::absolute(f).map_err(io_err("resolve", f))?;
                std::fs::canonicalize(&abs).map_err(|_| {
                    refuse(
                        f,
                        format!("Cannot locate Dockerfile: {:?}", abs.display().to_string()),
                    )
                })?
            }
            None => {
                let mut p = root.join(DEFAULT_DOCKERFILE);
                if !p.exists() && root.join("dockerfile").exists() {
                    p = root.join("dockerfile");
                }
                std::fs::canonicalize(&p).map_err(|_| {
                    refuse(
                        &root,
                        format!("Cannot locate Dockerfile: {:?}", p.display().to_string()),
                    )
                })?
            }
        };
        let rel = pathdiff(&abs_dockerfile, &root);
        let ignore_path = root.join(".dockerignore");
        let (mut patterns, ignore_text) = match std::fs::read_to_string(&ignore_path) {
            Ok(text) => {
                let p = read_patterns(&text).map_err(|e| {
                    refuse(&ignore_path, format!("error reading .dockerignore: {e}"))
                })?;
                (p, Some(text))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Vec::new(), None),
            Err(e) => return Err(io_err("read", &ignore_path)(e)),
        };
        let pm = PatternMatcher::new(&patterns)
            .map_err(|e| refuse(&ignore_path, format!("error checking context: {e}")))?;
        validate(&root, &pm)?;
        let outside = rel.starts_with("../") || rel == "..";
        // TrimBuildFilesFromExcludes: keep .dockerignore and the Dockerfile in the tar.
        if pm.matches_single_parent(".dockerignore") {
            patterns.push("!.dockerignore".to_owned());
        }
        if !outside && pm.matches_single_parent(&rel) {
            patterns.push(format!("!{rel}"));
        }
        let pm = PatternMatcher::new(&patterns)
            .map_err(|e| refuse(&ignore_path, format!("error checking context: {e}")))?;
        let entries = walk(&root, &pm)?;
        let mut ctx = Self {
            root,
            dockerfile: rel,
            entries,
            outside: None,
            dockerignore: None,
        };
        if outside {
            let bytes = std::fs::read(&abs_dockerfile).map_err(io_err("read", &abs_dockerfile))?;
            let name = random_dockerfile_name();
            let mut ignore = ignore_text.unwrap_or_else(|| ".dockerignore".to_owned());
            ignore.push('\n');
            ignore.push_str(&name);
            ignore.push('\n');
            ctx.dockerignore = Some(ignore.into_bytes());
            ctx.dockerfile.clone_from(&name);
            ctx.outside = Some((name, bytes));
        }
        Ok(ctx)
    }

    /// The context directory (absolute, symlinks resolved).
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The Dockerfile's name inside the context, as sent in the `dockerfile` parameter.
    #[must_use]
    pub fn dockerfile(&self) -> &str {
        &self.dockerfile
    }

    /// The paths the tar holds, in order (directories without their trailing `/`).
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.entries
            .iter()
            .map(|e| e.name.as_str())
            .chain(self.outside.iter().map(|(n, _)| n.as_str()))
    }

    /// Writes the tar to `w` (blocking file reads).
    ///
    /// # Errors
    /// [`Error::Io`] when a file cannot be read or `w` fails; [`Error::BuildContext`] when a
    /// file changed size since [`BuildContext::from_dir`] (the tar would be corrupt).
    pub fn write_tar<W: Write>(&self, w: W) -> Result<()> {
        let mut b = tar::Builder::new(w);
        b.mode(tar::HeaderMode::Complete);
        let tar_err = |source: std::io::Error| Error::Io {
            what: "write the build context",
            path: PathBuf::from("tar"),
            source,
        };
        let mut ignore_done = false;
        for e in &self.entries {
            let mut h = tar::Header::new_ustar();
            h.set_mode(e.mode);
            h.set_uid(0);
            h.set_gid(0);
            h.set_mtime(u64::try_from(e.mtime).unwrap_or(0));
            match &e.kind {
                Kind::File { size } => {
                    if e.name == ".dockerignore"
                        && let Some(patched) = &self.dockerignore
                    {
                        ignore_done = true;
                        h.set_entry_type(tar::EntryType::Regular);
                        h.set_size(patched.len() as u64);
                        b.append_data(&mut h, &e.name, patched.as_slice())
                            .map_err(tar_err)?;
                        continue;
                    }
                    h.set_entry_type(tar::EntryType::Regular);
                    h.set_size(*size);
                    let f = std::fs::File::open(&e.path).map_err(io_err("read", &e.path))?;
                    let mut r = SizedReader {
                        inner: f,
                        left: *size,
                        path: &e.path,
                    };
                    b.append_data(&mut h, &e.name, &mut r).map_err(|err| {
                        match err.get_ref().and_then(|i| i.downcast_ref::<ChangedSize>()) {
                            Some(_) => refuse(&e.path, "the file changed size while being sent"),
                            None => Error::Io {
                                what: "read",
                                path: e.path.clone(),
                                source: err,
                            },
                        }
                    })?;
                }
                Kind::Dir => {
                    h.set_entry_type(tar::EntryType::Directory);
                    h.set_size(0);
                    b.append_data(&mut h, format!("{}/", e.name), std::io::empty())
                        .map_err(tar_err)?;
                }
                Kind::Symlink(target) => {
                    h.set_entry_type(tar::EntryType::Symlink);
                    h.set_size(0);
                    b.append_link(&mut h, &e.name, target).map_err(tar_err)?;
                }
                Kind::HardLink(first) => {
                    h.set_entry_type(tar::EntryType::Link);
                    h.set_size(0);
                    b.append_link(&mut h, &e.name, first).map_err(tar_err)?;
                }
                Kind::Fifo | Kind::Char { .. } | Kind::Block { .. } => {
                    let (t, dev) = match &e.kind {
                        Kind::Fifo => (tar::EntryType::Fifo, None),
                        Kind::Char { major, minor } => {
                            (tar::EntryType::Char, Some((*major, *minor)))
                        }
                        Kind::Block { major, minor } => {
                            (tar::EntryType::Block, Some((*major, *minor)))
                        }
                        _ => unreachable!("matched above"),
                    };
                    h.set_entry_type(t);
                    h.set_size(0);
                    if let Some((ma, mi)) = dev {
                        h.set_device_major(u32::try_from(ma).unwrap_or(0))
                            .map_err(tar_err)?;
                        h.set_device_minor(u32::try_from(mi).unwrap_or(0))
                            .map_err(tar_err)?;
                    }
                    b.append_data(&mut h, &e.name, std::io::empty())
                        .map_err(tar_err)?;
                }
            }
        }
        if let Some(patched) = self.dockerignore.as_ref().filter(|_| !ignore_done) {
            let mut h = tar::Header::new_ustar();
            h.set_mode(0o600);
            h.set_mtime(0);
            h.set_entry_type(tar::EntryType::Regular);
            h.set_size(patched.len() as u64);
            b.append_data(&mut h, ".dockerignore", patched.as_slice())
                .map_err(tar_err)?;
        }
        if let Some((name, bytes)) = &self.outside {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let mut h = tar::Header::new_ustar();
            h.set_mode(0o600);
            h.set_mtime(now);
            h.set_entry_type(tar::EntryType::Regular);
            h.set_size(bytes.len() as u64);
            b.append_data(&mut h, name, bytes.as_slice())
                .map_err(tar_err)?;
        }
        b.into_inner().map_err(tar_err)?.flush().map_err(tar_err)?;
        Ok(())
    }

    /// The tar as a stream of chunks, written on a blocking thread as it is read (at most a
    /// few MiB ahead of the reader); an error ends the stream.
    pub fn into_stream(
        self,
    ) -> impl Stream<Item = std::result::Result<Bytes, Error>> + Send + 'static {
        let (tx, rx) = tokio::sync::mpsc::channel::<std::result::Result<Bytes, Error>>(8);
        tokio::task::spawn_blocking(move || {
            let w = ChannelWriter {
                tx: tx.clone(),
                buf: Vec::with_capacity(CHUNK),
            };
            if let Err(e) = self.write_tar(w) {
                let _ = tx.blocking_send(Err(e));
            }
        });
        futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        })
    }
}

const CHUNK: usize = 256 * 1024;

/// Sends written bytes in chunks into a channel (a closed receiver fails the write).
struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<std::result::Result<Bytes, Error>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "build cancelled"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// A file size that changed between listing and sending.
#[derive(Debug)]
struct ChangedSize;

impl std::fmt::Display for ChangedSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("file changed size")
    }
}

impl std::error::Error for ChangedSize {}

/// Reads exactly `left` bytes of a file: fewer is an error (the tar would be corrupt), more
/// are not read.
struct SizedReader<'a> {
    inner: std::fs::File,
    left: u64,
    path: &'a Path,
}

impl Read for SizedReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let want = usize::try_from(self.left)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            let _ = self.path;
            return Err(std::io::Error::other(ChangedSize));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// `path` relative to `base` with `/` separators (`..` segments when outside).
fn pathdiff(path: &Path, base: &Path) -> String {
    let p: Vec<_> = path.components().collect();
    let b: Vec<_> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = vec!["..".to_owned(); b.len() - common];
    parts.extend(
        p[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

/// Directory entries sorted by name (bytes), like Go's `os.ReadDir`.
fn read_dir_sorted(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| match e.kind() {
        std::io::ErrorKind::PermissionDenied => {
            refuse(dir, format!("can't stat '{}'", dir.display()))
        }
        _ => io_err("list", dir)(e),
    })? {
        let entry = entry.map_err(io_err("list", dir))?;
        out.push((
            entry.file_name().to_string_lossy().into_owned(),
            entry.path(),
        ));
    }
    out.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    Ok(out)
}

/// `ValidateContextDirectory`: every file that is not excluded must be readable.
fn validate(root: &Path, pm: &PatternMatcher) -> Result<()> {
    let mut stack = vec![(String::new(), root.to_owned())];
    while let Some((rel_dir, dir)) = stack.pop() {
        for (name, path) in read_dir_sorted(&dir)?.into_iter().rev() {
            let rel = if rel_dir.is_empty() {
                name
            } else {
                format!("{rel_dir}/{name}")
            };
            let meta = std::fs::symlink_metadata(&path).map_err(|_| {
                refuse(
                    &path,
                    format!(
                        "file ('{}') not found or excluded by .dockerignore",
                        path.display()
                    ),
                )
            })?;
            if pm.matches_or_parent_matches(&rel) {
                continue;
            }
            let ft = meta.file_type();
            if ft.is_symlink() || ft.is_fifo() {
                continue;
            }
            if ft.is_dir() {
                stack.push((rel, path));
            } else if let Err(e) = std::fs::File::open(&path)
                && e.kind() == std::io::ErrorKind::PermissionDenied
            {
                return Err(refuse(
                    &path,
                    format!(
                        "error checking context: no permission to read from '{}'",
                        path.display()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// `Tarballer.Do`'s walk with include `.`: what goes into the tar, in order.
fn walk(root: &Path, pm: &PatternMatcher) -> Result<Vec<Entry>> {
    struct Walker<'a> {
        pm: &'a PatternMatcher,
        out: Vec<Entry>,
        parents: Vec<(String, MatchInfo)>,
        inodes: HashMap<(u64, u64), String>,
    }
    impl Walker<'_> {
        fn visit(&mut self, rel_dir: &str, dir: &Path) -> Result<()> {
            for (name, path) in read_dir_sorted(dir)? {
                let rel = if rel_dir.is_empty() {
                    name
                } else {
                    format!("{rel_dir}/{name}")
                };
                let Ok(meta) = std::fs::symlink_metadata(&path) else {
                    continue; // docker logs and goes on
                };
                while let Some((last, _)) = self.parents.last() {
                    if rel.starts_with(&format!("{last}/")) {
                        break;
                    }
                    self.parents.pop();
                }
                let parent_info = self
                    .parents
                    .last()
                    .map(|(_, i)| i.clone())
                    .unwrap_or_default();
                let (skip, info) = self.pm.matches_using_parent_results(&rel, &parent_info);
                let is_dir = meta.is_dir();
                if is_dir {
                    self.parents.push((rel.clone(), info));
                }
                if skip {
                    if !is_dir {
                        continue;
                    }
                    if !self.pm.exclusions() {
                        continue;
                    }
                    let dir_slash = format!("{rel}/");
                    let reached = self.pm.patterns().iter().any(|p| {
                        p.is_exclusion() && format!("{}/", p.as_str()).starts_with(&dir_slash)
                    });
                    if reached {
                        // Walked, but not archived itself.
                        self.visit(&rel, &path)?;
                    }
                    continue;
                }
                if let Some(kind) = self.kind(&rel, &path, &meta)? {
                    self.out.push(Entry {
                        name: rel.clone(),
                        path: path.clone(),
                        kind,
                        mode: meta.mode() & 0o7777,
                        mtime: meta.mtime(),
                    });
                }
                if is_dir {
                    self.visit(&rel, &path)?;
                }
            }
            Ok(())
        }

        fn kind(&mut self, rel: &str, path: &Path, meta: &Metadata) -> Result<Option<Kind>> {
            let ft = meta.file_type();
            Ok(Some(if ft.is_dir() {
                Kind::Dir
            } else if ft.is_symlink() {
                Kind::Symlink(std::fs::read_link(path).map_err(io_err("read", path))?)
            } else if ft.is_file() {
                if meta.nlink() > 1 {
                    let key = (meta.dev(), meta.ino());
                    if let Some(first) = self.inodes.get(&key) {
                        return Ok(Some(Kind::HardLink(first.clone())));
                    }
                    self.inodes.insert(key, rel.to_owned());
                }
                Kind::File { size: meta.len() }
            } else if ft.is_fifo() {
                Kind::Fifo
            } else if ft.is_char_device() {
                let (major, minor) = dev_parts(meta.rdev());
                Kind::Char { major, minor }
            } else if ft.is_block_device() {
                let (major, minor) = dev_parts(meta.rdev());
                Kind::Block { major, minor }
            } else {
                // Sockets: Go's tar refuses them; docker logs and skips.
                return Ok(None);
            }))
        }
    }
    let mut w = Walker {
        pm,
        out: Vec::new(),
        parents: Vec::new(),
        inodes: HashMap::new(),
    };
    w.visit("", root)?;
    Ok(w.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for (p, content) in files {
            let path = d.path().join(p);
            if p.ends_with('/') {
                std::fs::create_dir_all(&path).unwrap();
            } else {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, content).unwrap();
            }
        }
        d
    }

    fn names(tar: &[u8]) -> Vec<String> {
        let mut a = tar::Archive::new(tar);
        a.entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                assert_eq!(e.header().uid().unwrap(), 0);
                String::from_utf8_lossy(&e.path_bytes()).into_owned()
            })
            .collect()
    }

    #[test]
    fn dockerignore_rules_and_build_files_always_sent() {
        let d = tree(&[
            ("Dockerfile", "FROM scratch\n"),
            (".dockerignore", "*\n!src\n!docs/keep.md\nsrc/*.tmp\n"),
            ("src/a.rs", "a"),
            ("src/b.tmp", "b"),
            ("docs/keep.md", "k"),
            ("docs/drop.md", "d"),
            ("target/x", "x"),
        ]);
        let ctx = BuildContext::from_dir(d.path(), None).unwrap();
        assert_eq!(ctx.dockerfile(), "Dockerfile");
        let mut tar = Vec::new();
        ctx.write_tar(&mut tar).unwrap();
        // `docs` is excluded but an exception reaches into it: walked, not archived.
        assert_eq!(
            names(&tar),
            [
                ".dockerignore",
                "Dockerfile",
                "docs/keep.md",
                "src/",
                "src/a.rs"
            ]
        );
        assert_eq!(
            ctx.paths().collect::<Vec<_>>(),
            [
                ".dockerignore",
                "Dockerfile",
                "docs/keep.md",
                "src",
                "src/a.rs"
            ]
        );
    }

    #[test]
    fn outside_dockerfile_gets_a_random_name_listed_in_dockerignore() {
        let d = tree(&[
            ("ctx/a", "a"),
            ("Dockerfile.dev", "FROM scratch\nCOPY a /\n"),
        ]);
        let ctx =
            BuildContext::from_dir(d.path().join("ctx"), Some(&d.path().join("Dockerfile.dev")))
                .unwrap();
        assert!(
            ctx.dockerfile().starts_with(".dockerfile."),
            "{}",
            ctx.dockerfile()
        );
        assert_eq!(ctx.dockerfile().len(), 32);
        let mut tar = Vec::new();
        ctx.write_tar(&mut tar).unwrap();
        let mut a = tar::Archive::new(tar.as_slice());
        let mut seen = Vec::new();
        for e in a.entries().unwrap() {
            let mut e = e.unwrap();
            let name = String::from_utf8_lossy(&e.path_bytes()).into_owned();
            let mut s = String::new();
            e.read_to_string(&mut s).unwrap();
            if name == ".dockerignore" {
                assert_eq!(s, format!(".dockerignore\n{}\n", ctx.dockerfile()));
            }
            if name == ctx.dockerfile() {
                assert_eq!(s, "FROM scratch\nCOPY a /\n");
            }
            seen.push(name);
        }
        assert_eq!(seen.len(), 3, "{seen:?}");
    }

    #[test]
    fn missing_dockerfile_and_bad_patterns_are_typed_errors() {
        let d = tree(&[("a", "a")]);
        let e = BuildContext::from_dir(d.path(), None).unwrap_err();
        assert!(e.to_string().contains("Cannot locate Dockerfile"), "{e}");
        let d = tree(&[("Dockerfile", "FROM scratch\n"), (".dockerignore", "a[\n")]);
        let e = BuildContext::from_dir(d.path(), None).unwrap_err();
        assert!(e.to_string().contains("syntax error in pattern"), "{e}");
        let e = BuildContext::from_dir(d.path().join("nope"), None).unwrap_err();
        assert!(matches!(e, Error::BuildContext { .. }), "{e}");
    }

    #[test]
    fn lowercase_dockerfile_and_hard_links() {
        let d = tree(&[("dockerfile", "FROM scratch\n"), ("a", "a")]);
        std::fs::hard_link(d.path().join("a"), d.path().join("b")).unwrap();
        let ctx = BuildContext::from_dir(d.path(), None).unwrap();
        assert_eq!(ctx.dockerfile(), "dockerfile");
        let mut tar = Vec::new();
        ctx.write_tar(&mut tar).unwrap();
        let mut a = tar::Archive::new(tar.as_slice());
        let kinds: Vec<(String, tar::EntryType)> = a
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    String::from_utf8_lossy(&e.path_bytes()).into_owned(),
                    e.header().entry_type(),
                )
            })
            .collect();
        assert_eq!(kinds[1], ("b".to_owned(), tar::EntryType::Link));
    }
}
