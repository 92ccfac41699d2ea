//! Temp files renamed into place: what `blobs` (verified downloads) and `image` (layout
//! writes) share. A leaf module: it imports nothing from the crate.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A temp file in a given directory that is removed on drop unless persisted (renamed into
/// place). Only the name is chosen here; the caller creates the file.
#[derive(Debug)]
pub(crate) struct TempFile {
    path: PathBuf,
    done: bool,
}

impl TempFile {
    /// A fresh name in `dir` (unique per process, call and time).
    pub(crate) fn new(dir: &Path) -> Self {
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = dir.join(format!(".tmp-{}-{n}-{nanos}", std::process::id()));
        Self { path, done: false }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the file to `dest`.
    ///
    /// # Errors
    /// The rename's I/O error (the temp file is then removed on drop).
    pub(crate) fn persist(mut self, dest: &Path) -> std::io::Result<()> {
        std::fs::rename(&self.path, dest)?;
        self.done = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
