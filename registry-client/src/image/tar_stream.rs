//! Reading a tar as it streams in (a `docker save` straight from the daemon): one entry at a
//! time, its data read in chunks, nothing seekable needed. ustar, GNU long names (`L`/`K`) and
//! PAX headers (`path`, `linkpath`, `size`) are understood; checksums are verified.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt};

/// Longest long-name or PAX record accepted (a save's names are short).
const MAX_META: u64 = 1024 * 1024;

/// What a tar entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EntryKind {
    File,
    Dir,
    Symlink(String),
    HardLink(String),
    Other,
}

/// One entry's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntryHeader {
    /// The path, normalised: no leading `./`, no trailing `/`.
    pub(crate) name: String,
    pub(crate) kind: EntryKind,
    /// Bytes of data that follow.
    pub(crate) size: u64,
}

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// A tar read front to back from an `AsyncRead`.
pub(crate) struct TarStream<R> {
    r: R,
    /// Data bytes of the current entry not read yet.
    left: u64,
    /// Padding after the current entry's data.
    pad: u64,
    done: bool,
}

fn octal(field: &[u8]) -> io::Result<u64> {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        // GNU base-256.
        let mut v: u64 = u64::from(field[0] & 0x7f);
        for b in &field[1..] {
            v = v
                .checked_mul(256)
                .and_then(|v| v.checked_add(u64::from(*b)))
                .ok_or_else(|| bad("tar number overflows"))?;
        }
        return Ok(v);
    }
    let s: Vec<u8> = field
        .iter()
        .copied()
        .take_while(|b| *b != 0)
        .filter(|b| *b != b' ')
        .collect();
    if s.is_empty() {
        return Ok(0);
    }
    let s = std::str::from_utf8(&s).map_err(|_| bad("tar number is not ASCII"))?;
    u64::from_str_radix(s, 8).map_err(|_| bad(format!("bad tar number {s:?}")))
}

fn cstr(field: &[u8]) -> String {
    let end = field.iter().position(|b| *b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

/// An archive member's path as one name: no empty or `.` segments, `..` applied (never above
/// the root). Shared by every reader of `docker save` archives in this crate.
pub(crate) fn normalise(name: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in name.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    parts.join("/")
}

/// PAX records `LEN key=value\n`: the ones this reader uses.
fn pax(data: &[u8]) -> io::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let sp = rest
            .iter()
            .position(|b| *b == b' ')
            .ok_or_else(|| bad("bad PAX record"))?;
        let len: usize = std::str::from_utf8(&rest[..sp])
            .ok()
            .and_then(|s| s.parse().ok())
            .filter(|l| *l > sp && *l <= rest.len())
            .ok_or_else(|| bad("bad PAX record length"))?;
        let rec = &rest[sp + 1..len];
        let rec = rec.strip_suffix(b"\n").unwrap_or(rec);
        if let Some(eq) = rec.iter().position(|b| *b == b'=') {
            out.push((
                String::from_utf8_lossy(&rec[..eq]).into_owned(),
                String::from_utf8_lossy(&rec[eq + 1..]).into_owned(),
            ));
        }
        rest = &rest[len..];
    }
    Ok(out)
}

impl<R: AsyncRead + Unpin> TarStream<R> {
    pub(crate) fn new(r: R) -> Self {
        Self {
            r,
            left: 0,
            pad: 0,
            done: false,
        }
    }

    async fn skip(&mut self, mut n: u64) -> io::Result<()> {
        let mut buf = vec![0u8; 64 * 1024];
        while n > 0 {
            let want = usize::try_from(n.min(buf.len() as u64)).unwrap_or(buf.len());
            let got = self.r.read(&mut buf[..want]).await?;
            if got == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "tar stream ended inside an entry",
                ));
            }
            n -= got as u64;
        }
        Ok(())
    }

    async fn block(&mut self) -> io::Result<Option<[u8; 512]>> {
        let mut b = [0u8; 512];
        let mut got = 0;
        while got < 512 {
            let n = self.r.read(&mut b[got..]).await?;
            if n == 0 {
                if got == 0 {
                    return Ok(None);
                }
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "tar stream ended inside a header",
                ));
            }
            got += n;
        }
        Ok(Some(b))
    }

    async fn read_meta(&mut self, size: u64) -> io::Result<Vec<u8>> {
        if size > MAX_META {
            return Err(bad(format!("tar metadata entry of {size} bytes")));
        }
        let mut v = vec![0u8; usize::try_from(size).unwrap_or(0)];
        self.r.read_exact(&mut v).await?;
        self.skip((512 - size % 512) % 512).await?;
        Ok(v)
    }

    /// The next entry's header, after skipping what is left of the current entry; `None` at
    /// the end of the archive.
    ///
    /// # Errors
    /// I/O errors of the source; `InvalidData` for a malformed header; `UnexpectedEof` for a
    /// stream that ends early.
    pub(crate) async fn next_entry(&mut self) -> io::Result<Option<EntryHeader>> {
        if self.done {
            return Ok(None);
        }
        let rest = self.left + self.pad;
        self.left = 0;
        self.pad = 0;
        self.skip(rest).await?;
        let mut long_name: Option<String> = None;
        let mut long_link: Option<String> = None;
        let mut pax_size: Option<u64> = None;
        loop {
            let Some(h) = self.block().await? else {
                // No end-of-archive blocks: docker always writes them, but be lenient.
                self.done = true;
                return Ok(None);
            };
            if h.iter().all(|b| *b == 0) {
                self.done = true;
                return Ok(None);
            }
            let sum = octal(&h[148..156])?;
            let mut calc: u64 = h.iter().map(|b| u64::from(*b)).sum();
            calc = calc - h[148..156].iter().map(|b| u64::from(*b)).sum::<u64>() + 8 * 32;
            if sum != calc {
                return Err(bad("tar header checksum mismatch"));
            }
            let size = octal(&h[124..136])?;
            let kind = h[156];
            match kind {
                b'L' => {
                    long_name = Some(cstr(&self.read_meta(size).await?));
                    continue;
                }
                b'K' => {
                    long_link = Some(cstr(&self.read_meta(size).await?));
                    continue;
                }
                b'x' => {
                    for (k, v) in pax(&self.read_meta(size).await?)? {
                        match k.as_str() {
                            "path" => long_name = Some(v),
                            "linkpath" => long_link = Some(v),
                            "size" => {
                                pax_size = Some(v.parse().map_err(|_| bad("bad PAX size"))?);
                            }
                            _ => {}
                        }
                    }
                    continue;
                }
                b'g' => {
                    self.read_meta(size).await?;
                    continue;
                }
                _ => {}
            }
            let mut name = cstr(&h[0..100]);
            if &h[257..262] == b"ustar" {
                let prefix = cstr(&h[345..500]);
                if !prefix.is_empty() {
                    name = format!("{prefix}/{name}");
                }
            }
            let name = normalise(&long_name.take().unwrap_or(name));
            let link = long_link.take().unwrap_or_else(|| cstr(&h[157..257]));
            let size = pax_size.take().unwrap_or(size);
            let kind = match kind {
                b'0' | 0 | b'7' => EntryKind::File,
                b'5' => EntryKind::Dir,
                b'2' => EntryKind::Symlink(link),
                b'1' => EntryKind::HardLink(link),
                _ => EntryKind::Other,
            };
            let size = match kind {
                EntryKind::File | EntryKind::Other => size,
                _ => 0,
            };
            self.left = size;
            self.pad = (512 - size % 512) % 512;
            return Ok(Some(EntryHeader { name, kind, size }));
        }
    }

    /// Reads the current entry's data into `buf`; 0 at its end.
    ///
    /// # Errors
    /// I/O errors; `UnexpectedEof` when the stream ends inside the entry.
    pub(crate) async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let want = usize::try_from(self.left.min(buf.len() as u64)).unwrap_or(buf.len());
        let n = self.r.read(&mut buf[..want]).await?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "tar stream ended inside an entry",
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }

    /// The current entry's whole data, refused above `limit` bytes.
    ///
    /// # Errors
    /// `InvalidData` above the limit; as [`TarStream::read`].
    pub(crate) async fn read_all(&mut self, limit: u64) -> io::Result<Vec<u8>> {
        if self.left > limit {
            return Err(bad(format!(
                "entry of {} bytes is larger than {limit}",
                self.left
            )));
        }
        let mut v = vec![0u8; usize::try_from(self.left).unwrap_or(0)];
        self.r.read_exact(&mut v).await?;
        self.left = 0;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive() -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut add = |name: &str, data: &[u8]| {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, data).unwrap();
        };
        add("abc/VERSION", b"1.0");
        add("abc/layer.tar", &vec![7u8; 70_000]);
        add(&format!("{}/long", "d".repeat(150)), b"long");
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        b.append_link(&mut h, "def/layer.tar", "../abc/layer.tar")
            .unwrap();
        b.into_inner().unwrap()
    }

    #[tokio::test]
    async fn reads_entries_skipping_unread_data_in_tiny_reads() {
        let bytes = archive();
        // A reader that hands out 7 bytes at a time.
        let (mut w, r) = tokio::io::duplex(7);
        tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            w.write_all(&bytes).await.unwrap();
        });
        let mut t = TarStream::new(r);
        let e = t.next_entry().await.unwrap().unwrap();
        assert_eq!((e.name.as_str(), e.size), ("abc/VERSION", 3));
        assert_eq!(t.read_all(10).await.unwrap(), b"1.0");
        let e = t.next_entry().await.unwrap().unwrap();
        assert_eq!(e.name, "abc/layer.tar");
        let mut buf = [0u8; 1000];
        assert!(t.read(&mut buf).await.unwrap() > 0);
        // The rest of the layer is skipped.
        let e = t.next_entry().await.unwrap().unwrap();
        assert_eq!(e.name, format!("{}/long", "d".repeat(150)));
        let e = t.next_entry().await.unwrap().unwrap();
        assert_eq!(e.kind, EntryKind::Symlink("../abc/layer.tar".into()));
        assert!(t.next_entry().await.unwrap().is_none());
    }

    #[tokio::test]
    async fn truncated_and_corrupt_streams_are_errors() {
        let bytes = archive();
        let mut t = TarStream::new(&bytes[..600]);
        t.next_entry().await.unwrap();
        let e = t.next_entry().await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        let mut corrupt = bytes.clone();
        corrupt[10] ^= 1;
        let e = TarStream::new(corrupt.as_slice())
            .next_entry()
            .await
            .unwrap_err();
        assert!(e.to_string().contains("checksum"), "{e}");
    }
}
