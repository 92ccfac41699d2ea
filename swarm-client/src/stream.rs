//! Decoding of the Engine API's multiplexed stdout/stderr streams (logs, exec, attach).
//!
//! Each frame is an 8-byte header `[stream, 0, 0, 0, size (u32 big endian)]` followed by `size`
//! bytes; stream 0 is stdin, 1 stdout, 2 stderr. A TTY stream is raw bytes without frames.

use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use futures_util::{Stream, StreamExt};

use crate::error::{Error, Result};

/// The largest frame accepted: 1 MiB. dockerd copies container output through 32 KiB buffers
/// and writes each read as one frame (moby's `stdcopy` writer), so its frames stay within
/// 32 KiB; the limit leaves room and bounds what a header can make us wait for and buffer (the
/// size field can announce 4 GiB). A larger frame is an error ([`Error::TooLarge`] from the
/// streams of this crate).
pub const MAX_FRAME: usize = 1024 * 1024;

/// Which standard stream a frame belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StreamKind {
    /// stdin (echoed).
    Stdin,
    /// stdout (also everything in raw/TTY mode).
    Stdout,
    /// stderr.
    Stderr,
}

/// One decoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Which stream.
    pub kind: StreamKind,
    /// The bytes.
    pub data: Bytes,
}

/// An incremental decoder: push bytes in, take frames out.
#[derive(Debug, Default)]
pub struct Demux {
    buf: BytesMut,
    raw: bool,
}

impl Demux {
    /// A decoder of framed (multiplexed) streams.
    #[must_use]
    pub fn multiplexed() -> Self {
        Self::default()
    }

    /// A decoder of raw (TTY) streams: every chunk is stdout.
    #[must_use]
    pub fn raw() -> Self {
        Self {
            buf: BytesMut::new(),
            raw: true,
        }
    }

    /// Appends received bytes.
    pub fn push(&mut self, chunk: &[u8]) {
        self.buf.extend_from_slice(chunk);
    }

    /// The size the header at the front announces, once the whole header is in (framed mode).
    pub(crate) fn declared_len(&self) -> Option<usize> {
        (!self.raw && self.buf.len() >= 8).then(|| {
            u32::from_be_bytes([self.buf[4], self.buf[5], self.buf[6], self.buf[7]]) as usize
        })
    }

    /// The next complete frame, if any.
    ///
    /// # Errors
    /// A header with an unknown stream type (the message says which byte), or announcing a
    /// frame larger than [`MAX_FRAME`].
    pub fn next_frame(&mut self) -> std::result::Result<Option<Frame>, String> {
        if self.raw {
            if self.buf.is_empty() {
                return Ok(None);
            }
            let data = self.buf.split().freeze();
            return Ok(Some(Frame {
                kind: StreamKind::Stdout,
                data,
            }));
        }
        if self.buf.len() < 8 {
            return Ok(None);
        }
        let kind = match self.buf[0] {
            0 => StreamKind::Stdin,
            1 => StreamKind::Stdout,
            2 => StreamKind::Stderr,
            b => return Err(format!("unknown stream type {b} in frame header")),
        };
        let size =
            u32::from_be_bytes([self.buf[4], self.buf[5], self.buf[6], self.buf[7]]) as usize;
        if size > MAX_FRAME {
            return Err(format!(
                "frame of {size} bytes is larger than the limit of {MAX_FRAME} bytes"
            ));
        }
        if self.buf.len() < 8 + size {
            return Ok(None);
        }
        self.buf.advance(8);
        let data = self.buf.split_to(size).freeze();
        Ok(Some(Frame { kind, data }))
    }

    /// Checks that no partial frame is left at the end of the stream.
    ///
    /// # Errors
    /// The number of bytes of a truncated frame.
    pub fn finish(&self) -> std::result::Result<(), String> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "stream ended inside a frame ({} bytes left)",
                self.buf.len()
            ))
        }
    }
}

/// A boxed stream of frames.
pub type FrameStream = std::pin::Pin<Box<dyn Stream<Item = Result<Frame>> + Send>>;

/// Decodes a response body into frames; with `idle`, fails with [`Error::Timeout`] when the body
/// stays silent that long (for output that ends: exec, logs without follow; a follow stream is
/// healthy while silent and gets `None`).
pub(crate) fn frames_idle(
    resp: reqwest::Response,
    endpoint: String,
    raw: bool,
    idle: Option<Duration>,
) -> FrameStream {
    let body = resp.bytes_stream();
    let demux = if raw {
        Demux::raw()
    } else {
        Demux::multiplexed()
    };
    let state = (Box::pin(body), demux, endpoint, false);
    Box::pin(futures_util::stream::unfold(
        state,
        move |(mut body, mut demux, endpoint, done)| async move {
            if done {
                return None;
            }
            loop {
                if demux.declared_len().is_some_and(|n| n > MAX_FRAME) {
                    let e = Error::TooLarge {
                        endpoint: endpoint.clone(),
                        what: "stream frame",
                        limit: MAX_FRAME as u64,
                    };
                    return Some((Err(e), (body, demux, endpoint, true)));
                }
                match demux.next_frame() {
                    Ok(Some(f)) => return Some((Ok(f), (body, demux, endpoint, false))),
                    Ok(None) => {}
                    Err(message) => {
                        let e = Error::Stream {
                            endpoint: endpoint.clone(),
                            message,
                        };
                        return Some((Err(e), (body, demux, endpoint, true)));
                    }
                }
                let next = match idle {
                    None => body.next().await,
                    Some(idle) => match tokio::time::timeout(idle, body.next()).await {
                        Ok(next) => next,
                        Err(_) => {
                            let e = Error::Timeout {
                                what: format!("{endpoint} sent nothing for {idle:?}"),
                                after: idle,
                            };
                            return Some((Err(e), (body, demux, endpoint, true)));
                        }
                    },
                };
                match next {
                    Some(Ok(chunk)) => demux.push(&chunk),
                    Some(Err(source)) => {
                        let e = Error::Http {
                            endpoint: endpoint.clone(),
                            source: source.without_url(),
                        };
                        return Some((Err(e), (body, demux, endpoint, true)));
                    }
                    None => {
                        return match demux.finish() {
                            Ok(()) => None,
                            Err(message) => {
                                let e = Error::Stream {
                                    endpoint: endpoint.clone(),
                                    message,
                                };
                                Some((Err(e), (body, demux, endpoint, true)))
                            }
                        };
                    }
                }
            }
        },
    ))
}

/// Collected output of a finished stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Output {
    /// stdout bytes.
    pub stdout: Vec<u8>,
    /// stderr bytes.
    pub stderr: Vec<u8>,
}

impl Output {
    /// stdout as (lossy) UTF-8.
    #[must_use]
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// stderr as (lossy) UTF-8.
    #[must_use]
    pub fn stderr_str(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// Reads a frame stream to its end.
///
/// # Errors
/// The first error of the stream.
pub async fn collect(s: FrameStream) -> Result<Output> {
    collect_bounded(s, usize::MAX, "").await
}

/// [`collect`] that stops with [`Error::TooLarge`] once stdout and stderr together exceed `max`
/// bytes.
pub(crate) async fn collect_bounded(
    mut s: FrameStream,
    max: usize,
    endpoint: &str,
) -> Result<Output> {
    let mut out = Output::default();
    while let Some(f) = s.next().await {
        let f = f?;
        if out.stdout.len() + out.stderr.len() + f.data.len() > max {
            return Err(Error::TooLarge {
                endpoint: endpoint.to_owned(),
                what: "exec output",
                limit: max as u64,
            });
        }
        match f.kind {
            StreamKind::Stderr => out.stderr.extend_from_slice(&f.data),
            _ => out.stdout.extend_from_slice(&f.data),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(kind: u8, data: &[u8]) -> Vec<u8> {
        let mut v = vec![kind, 0, 0, 0];
        v.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn demux_split_anywhere() {
        let mut all = frame(1, b"hello\n");
        all.extend(frame(2, b"oops\n"));
        all.extend(frame(1, b""));
        for cut in 0..all.len() {
            let mut d = Demux::multiplexed();
            let mut got = Vec::new();
            d.push(&all[..cut]);
            while let Some(f) = d.next_frame().unwrap() {
                got.push(f);
            }
            d.push(&all[cut..]);
            while let Some(f) = d.next_frame().unwrap() {
                got.push(f);
            }
            d.finish().unwrap();
            assert_eq!(got.len(), 3, "cut {cut}");
            assert_eq!(got[0].kind, StreamKind::Stdout);
            assert_eq!(&got[1].data[..], b"oops\n");
            assert_eq!(got[1].kind, StreamKind::Stderr);
        }
    }

    #[test]
    fn demux_rejects_bad_header_and_truncation() {
        let mut d = Demux::multiplexed();
        d.push(&[7, 0, 0, 0, 0, 0, 0, 1, b'x']);
        assert!(
            d.next_frame()
                .unwrap_err()
                .contains("unknown stream type 7")
        );
        let mut d = Demux::multiplexed();
        d.push(&frame(1, b"hello")[..10]);
        assert!(d.next_frame().unwrap().is_none());
        assert!(d.finish().is_err());
    }

    #[test]
    fn demux_refuses_frames_over_the_limit_from_the_header_alone() {
        let mut d = Demux::multiplexed();
        d.push(&[1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
        assert_eq!(d.declared_len(), Some(u32::MAX as usize));
        assert!(
            d.next_frame()
                .unwrap_err()
                .contains("larger than the limit")
        );
        let mut d = Demux::multiplexed();
        d.push(&frame(1, &vec![b'x'; MAX_FRAME]));
        assert_eq!(d.next_frame().unwrap().unwrap().data.len(), MAX_FRAME);
    }

    #[test]
    fn raw_mode_is_stdout() {
        let mut d = Demux::raw();
        d.push(b"\x01abc");
        let f = d.next_frame().unwrap().unwrap();
        assert_eq!(f.kind, StreamKind::Stdout);
        assert_eq!(&f.data[..], b"\x01abc");
    }
}
