//! Newline-delimited reading (the `/events` stream): one pass over the bytes, and a limit on the
//! length of a line so a server cannot make us buffer without end.

use bytes::BytesMut;

/// A buffer that yields complete lines. Each byte is examined once: the scan resumes where the
/// previous one stopped instead of starting over with every chunk.
#[derive(Debug)]
pub(crate) struct Lines {
    buf: BytesMut,
    /// How many bytes at the start of `buf` are known to hold no newline.
    scanned: usize,
    max: usize,
}

/// A line (or the unterminated rest of the stream) longer than the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LineTooLong;

impl Lines {
    /// Lines of at most `max` bytes (newline not counted).
    pub(crate) fn new(max: usize) -> Self {
        Self {
            buf: BytesMut::new(),
            scanned: 0,
            max,
        }
    }

    /// Appends received bytes.
    pub(crate) fn push(&mut self, chunk: &[u8]) {
        self.buf.extend_from_slice(chunk);
    }

    /// The next complete line with its newline, `None` until one is complete. After
    /// `Err(LineTooLong)` the buffer is useless; stop reading.
    pub(crate) fn next_line(&mut self) -> Result<Option<BytesMut>, LineTooLong> {
        match self.buf[self.scanned..].iter().position(|b| *b == b'\n') {
            Some(i) => {
                let end = self.scanned + i;
                self.scanned = 0;
                if end > self.max {
                    return Err(LineTooLong);
                }
                Ok(Some(self.buf.split_to(end + 1)))
            }
            None => {
                self.scanned = self.buf.len();
                if self.buf.len() > self.max {
                    return Err(LineTooLong);
                }
                Ok(None)
            }
        }
    }

    /// What is left after the last newline (at the end of the stream).
    pub(crate) fn rest(&mut self) -> BytesMut {
        self.scanned = 0;
        self.buf.split()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_anywhere_and_respect_the_limit() {
        let all = b"ab\n\ncdef\nlast";
        for cut in 0..all.len() {
            let mut l = Lines::new(4);
            let mut got = Vec::new();
            l.push(&all[..cut]);
            while let Some(x) = l.next_line().unwrap() {
                got.push(x.to_vec());
            }
            l.push(&all[cut..]);
            while let Some(x) = l.next_line().unwrap() {
                got.push(x.to_vec());
            }
            assert_eq!(got, [&b"ab\n"[..], b"\n", b"cdef\n"], "cut {cut}");
            assert_eq!(&l.rest()[..], b"last");
        }
        // Five bytes without a newline, complete or not, are over a limit of four.
        let mut l = Lines::new(4);
        l.push(b"abcde");
        assert_eq!(l.next_line(), Err(LineTooLong));
        let mut l = Lines::new(4);
        l.push(b"abcde\nx\n");
        assert_eq!(l.next_line(), Err(LineTooLong));
    }
}
