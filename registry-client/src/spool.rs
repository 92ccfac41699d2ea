//! A layer's bytes between the one reader of a stream and that layer's upload: kept in memory
//! up to a limit, spilled beyond it to an unlinked temp file, so the reader can go on to the
//! next layer while this one still uploads. The spilled bytes are read back once, in order,
//! while they are still in the page cache; the disk they take is bounded by a [`DiskBudget`]
//! shared by all the spools of a push (when it is spent, the writer waits for an upload to
//! finish). A writer dropped before [`SpoolWriter::finish`] makes the reader fail: a cut
//! stream never becomes a complete-looking blob.

use std::collections::VecDeque;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::{Bytes, BytesMut};
use tokio::sync::Notify;

use crate::temp_file::TempFile;

/// Largest piece read back from a spill file at once.
const READ_BACK: usize = 1024 * 1024;

/// Disk a set of spools may fill together.
#[derive(Debug)]
pub(crate) struct DiskBudget {
    limit: u64,
    dir: PathBuf,
    used: Mutex<u64>,
    freed: Notify,
}

impl DiskBudget {
    /// At most `limit` bytes in temp files under `dir` (0: never spill).
    pub(crate) fn new(limit: u64, dir: PathBuf) -> Arc<Self> {
        Arc::new(Self {
            limit,
            dir,
            used: Mutex::new(0),
            freed: Notify::new(),
        })
    }

    fn take(&self, n: u64) -> bool {
        let mut used = lock(&self.used);
        if *used + n > self.limit {
            return false;
        }
        *used += n;
        true
    }

    fn give_back(&self, n: u64) {
        if n == 0 {
            return;
        }
        let mut used = lock(&self.used);
        *used = used.saturating_sub(n);
        drop(used);
        self.freed.notify_waiters();
        self.freed.notify_one();
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[derive(Debug, Default)]
struct State {
    mem: VecDeque<Bytes>,
    mem_bytes: usize,
    file: Option<Arc<File>>,
    /// Bytes written to the file, and read back from it.
    written: u64,
    read: u64,
    ended: bool,
    writer_gone: bool,
    reader_gone: bool,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    /// Writer → reader: data, the end, or the writer gone.
    readable: Notify,
    /// Reader → writer: memory drained, or the reader gone.
    writable: Notify,
    mem_limit: usize,
    budget: Arc<DiskBudget>,
}

/// Why a chunk could not be spooled.
#[derive(Debug)]
pub(crate) enum SpoolError {
    /// The reader is gone (its upload failed: its error says why).
    Closed,
    /// The spill file could not be created or written.
    Io(std::io::Error),
}

enum Place {
    Memory,
    File(Arc<File>, u64),
    Wait,
}

/// The writing end (the stream's reader).
#[derive(Debug)]
pub(crate) struct SpoolWriter {
    shared: Arc<Shared>,
}

/// The reading end (the upload).
#[derive(Debug)]
pub(crate) struct SpoolReader {
    shared: Arc<Shared>,
}

/// A spool holding up to `mem_limit` bytes in memory, spilling within `budget`.
pub(crate) fn spool(mem_limit: usize, budget: Arc<DiskBudget>) -> (SpoolWriter, SpoolReader) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State::default()),
        readable: Notify::new(),
        writable: Notify::new(),
        mem_limit: mem_limit.max(1),
        budget,
    });
    (
        SpoolWriter {
            shared: Arc::clone(&shared),
        },
        SpoolReader { shared },
    )
}

impl SpoolWriter {
    /// Appends `chunk`: to memory while there is room and nothing was spilled, else to the
    /// spill file while the budget allows, else waits for either.
    pub(crate) async fn send(&mut self, chunk: Bytes) -> Result<(), SpoolError> {
        loop {
            let writable = self.shared.writable.notified();
            let freed = self.shared.budget.freed.notified();
            tokio::pin!(writable, freed);
            writable.as_mut().enable();
            freed.as_mut().enable();
            match self.place(&chunk)? {
                Place::Memory => return Ok(()),
                Place::File(file, at) => return self.spill(chunk, file, at).await,
                Place::Wait => {
                    tokio::select! {
                        () = writable => {}
                        () = freed => {}
                    }
                }
            }
        }
    }

    /// Where `chunk` goes, decided under the lock (memory is filled right here).
    fn place(&self, chunk: &Bytes) -> Result<Place, SpoolError> {
        let len = chunk.len();
        let mut st = lock(&self.shared.state);
        if st.reader_gone {
            return Err(SpoolError::Closed);
        }
        if st.file.is_none() && (st.mem_bytes + len <= self.shared.mem_limit || st.mem.is_empty()) {
            st.mem_bytes += len;
            st.mem.push_back(chunk.clone());
            drop(st);
            self.shared.readable.notify_one();
            return Ok(Place::Memory);
        }
        if !self.shared.budget.take(len as u64) {
            return Ok(Place::Wait);
        }
        let file = match &st.file {
            Some(f) => Arc::clone(f),
            None => match unlinked_file(&self.shared.budget.dir) {
                Ok(f) => {
                    let f = Arc::new(f);
                    st.file = Some(Arc::clone(&f));
                    f
                }
                Err(e) => {
                    drop(st);
                    self.shared.budget.give_back(len as u64);
                    return Err(SpoolError::Io(e));
                }
            },
        };
        Ok(Place::File(file, st.written))
    }

    /// Writes `chunk` at `at` of the spill file (its budget already taken).
    async fn spill(&self, chunk: Bytes, file: Arc<File>, at: u64) -> Result<(), SpoolError> {
        let len = chunk.len() as u64;
        let written = tokio::task::spawn_blocking(move || file.write_all_at(&chunk, at)).await;
        let written = match written {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        };
        if let Err(e) = written {
            self.shared.budget.give_back(len);
            return Err(SpoolError::Io(e));
        }
        let gone = {
            let mut st = lock(&self.shared.state);
            if !st.reader_gone {
                st.written += len;
            }
            st.reader_gone
        };
        if gone {
            // The reader gave back what was written before it went; this too.
            self.shared.budget.give_back(len);
            return Err(SpoolError::Closed);
        }
        self.shared.readable.notify_one();
        Ok(())
    }

    /// Marks the end of the data: the reader ends cleanly after the last byte.
    pub(crate) fn finish(self) {
        lock(&self.shared.state).ended = true;
        self.shared.readable.notify_one();
    }
}

impl Drop for SpoolWriter {
    fn drop(&mut self) {
        lock(&self.shared.state).writer_gone = true;
        self.shared.readable.notify_one();
    }
}

impl SpoolReader {
    /// The next piece, in order; `None` at the end; an error when the writer went away
    /// before the end, or the spill file could not be read.
    pub(crate) async fn next(&mut self) -> Option<std::io::Result<Bytes>> {
        loop {
            let readable = self.shared.readable.notified();
            tokio::pin!(readable);
            readable.as_mut().enable();
            match self.step() {
                Step::Ready(item) => return item,
                Step::ReadBack(file, at, n) => {
                    let got = tokio::task::spawn_blocking(move || {
                        let mut buf = BytesMut::zeroed(n);
                        file.read_exact_at(&mut buf, at).map(|()| buf.freeze())
                    })
                    .await;
                    let got = match got {
                        Ok(r) => r,
                        Err(e) => Err(std::io::Error::other(e)),
                    };
                    if got.is_ok() {
                        lock(&self.shared.state).read += n as u64;
                    }
                    return Some(got);
                }
                Step::Wait => readable.await,
            }
        }
    }

    /// What `next` does now, decided under the lock.
    fn step(&self) -> Step {
        let mut st = lock(&self.shared.state);
        if let Some(b) = st.mem.pop_front() {
            st.mem_bytes -= b.len();
            drop(st);
            self.shared.writable.notify_one();
            return Step::Ready(Some(Ok(b)));
        }
        if st.read < st.written
            && let Some(file) = &st.file
        {
            let at = st.read;
            let n = usize::try_from(st.written - at).map_or(READ_BACK, |n| n.min(READ_BACK));
            return Step::ReadBack(Arc::clone(file), at, n);
        }
        if st.ended {
            return Step::Ready(None);
        }
        if st.writer_gone {
            return Step::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the stream ended inside a layer",
            ))));
        }
        Step::Wait
    }
}

enum Step {
    Ready(Option<std::io::Result<Bytes>>),
    ReadBack(Arc<File>, u64, usize),
    Wait,
}

impl Drop for SpoolReader {
    fn drop(&mut self) {
        let mut st = lock(&self.shared.state);
        st.reader_gone = true;
        st.mem.clear();
        st.mem_bytes = 0;
        // The file is closed (and its space freed) when the last handle goes.
        st.file = None;
        let spilled = st.written;
        drop(st);
        self.shared.budget.give_back(spilled);
        self.shared.writable.notify_one();
    }
}

/// A new file in `dir`, already unlinked: it disappears with its last handle, whatever happens.
fn unlinked_file(dir: &std::path::Path) -> std::io::Result<File> {
    let name = TempFile::new(dir);
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(name.path())?;
    // `name` removes the path on drop.
    drop(name);
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(n: usize, size: usize) -> Vec<Bytes> {
        (0..n)
            .map(|i| Bytes::from(vec![(i % 251) as u8; size]))
            .collect()
    }

    async fn drain(mut r: SpoolReader) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(b) = r.next().await {
            out.extend_from_slice(&b?);
        }
        Ok(out)
    }

    #[tokio::test]
    async fn spills_in_order_and_frees_the_budget() {
        let dir = tempfile::tempdir().unwrap();
        let budget = DiskBudget::new(1 << 30, dir.path().to_owned());
        let (mut w, r) = spool(3 * 1000, Arc::clone(&budget));
        let data = chunks(20, 1000);
        // Nobody reads while everything is written: the rest spills.
        for c in &data {
            w.send(c.clone()).await.unwrap();
        }
        w.finish();
        assert!(*lock(&budget.used) >= 17 * 1000, "spilled to disk");
        let got = drain(r).await.unwrap();
        assert_eq!(got, data.concat());
        assert_eq!(*lock(&budget.used), 0, "budget given back");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "unlinked"
        );
    }

    #[tokio::test]
    async fn a_writer_dropped_early_fails_the_reader() {
        let dir = tempfile::tempdir().unwrap();
        let budget = DiskBudget::new(1 << 20, dir.path().to_owned());
        let (mut w, r) = spool(1000, budget);
        for c in chunks(5, 1000) {
            w.send(c).await.unwrap();
        }
        drop(w);
        let err = drain(r).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    }

    #[tokio::test]
    async fn no_budget_means_backpressure_not_loss() {
        let dir = tempfile::tempdir().unwrap();
        let budget = DiskBudget::new(0, dir.path().to_owned());
        let (mut w, r) = spool(2000, budget);
        let data = chunks(50, 1000);
        let reader = tokio::spawn(drain(r));
        for c in &data {
            w.send(c.clone()).await.unwrap();
        }
        w.finish();
        assert_eq!(reader.await.unwrap().unwrap(), data.concat());
    }

    #[tokio::test]
    async fn a_full_budget_waits_for_another_spool_to_finish() {
        let dir = tempfile::tempdir().unwrap();
        let budget = DiskBudget::new(5000, dir.path().to_owned());
        let (mut w1, r1) = spool(1000, Arc::clone(&budget));
        for c in chunks(6, 1000) {
            w1.send(c).await.unwrap();
        }
        w1.finish();
        // The budget is spent: the second spool's writer blocks until r1 is drained and dropped.
        let (mut w2, r2) = spool(1000, Arc::clone(&budget));
        w2.send(Bytes::from(vec![1u8; 1000])).await.unwrap();
        let blocked = tokio::time::timeout(
            std::time::Duration::from_millis(100),
            w2.send(Bytes::from(vec![2u8; 1000])),
        )
        .await;
        assert!(blocked.is_err(), "waits while the budget is spent");
        assert_eq!(drain(r1).await.unwrap().len(), 6000);
        w2.send(Bytes::from(vec![2u8; 1000])).await.unwrap();
        w2.finish();
        assert_eq!(drain(r2).await.unwrap().len(), 2000);
    }

    #[tokio::test]
    async fn a_gone_reader_closes_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let budget = DiskBudget::new(0, dir.path().to_owned());
        let (mut w, r) = spool(1000, budget);
        drop(r);
        assert!(matches!(
            w.send(Bytes::from_static(b"x")).await,
            Err(SpoolError::Closed)
        ));
    }
}
