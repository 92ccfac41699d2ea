//! Parallel gzip of a byte stream (pigz's idea): the input is cut into blocks, each block is
//! compressed into a complete gzip member on a blocking thread, several at once, and the
//! members are emitted in order. A concatenation of gzip members is one valid gzip file (RFC
//! 1952 §2.2): Go's `compress/gzip` (dockerd, containerd, skopeo), `unpigz` and `gzip -d` read
//! it whole. Memory is bounded by `workers` blocks in and out.
//!
//! A block that does not compress (already-compressed files, random data) is not run through
//! deflate at all: three samples of it are, and when they do not shrink by
//! [`INCOMPRESSIBLE`] the block is written as stored deflate blocks (framing and a CRC-32: a
//! memory copy instead of several CPU-seconds per GiB), as zstd does with such blocks.
//!
//! For the same bytes, block size and level the output is the same, so the digest of a layer
//! compressed twice is the same too.

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use std::io::Write;

/// Size of the blocks compressed independently: 1 MiB (the deflate window is 32 KiB, so the
/// ratio lost at block edges is negligible).
pub(crate) const BLOCK: usize = 1024 * 1024;

/// Samples that compress to more than this share of their size mark a block as incompressible.
const INCOMPRESSIBLE: f64 = 0.97;
/// Size of each of the three samples.
const SAMPLE: usize = 16 * 1024;

/// Whether deflate at `level` is unlikely to shrink `block`: its start, middle and end samples
/// do not shrink below [`INCOMPRESSIBLE`].
fn incompressible(block: &[u8], level: u32) -> std::io::Result<bool> {
    if block.len() < 4 * SAMPLE {
        return Ok(false);
    }
    let mid = block.len() / 2 - SAMPLE / 2;
    let mut enc = flate2::write::DeflateEncoder::new(
        Vec::with_capacity(3 * SAMPLE + 64),
        flate2::Compression::new(level),
    );
    for at in [0, mid, block.len() - SAMPLE] {
        enc.write_all(&block[at..at + SAMPLE])?;
    }
    let out = enc.finish()?;
    Ok(out.len() as f64 > INCOMPRESSIBLE * (3 * SAMPLE) as f64)
}

/// `block` as a gzip member of stored deflate blocks (RFC 1951 §3.2.4), header as
/// [`flate2::GzBuilder`] writes it.
fn stored_member(block: &[u8]) -> Bytes {
    const MAX: usize = 65_535;
    let mut out = Vec::with_capacity(block.len() + block.len() / MAX * 5 + 5 + 18);
    out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    if block.is_empty() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    let mut pieces = block.chunks(MAX).peekable();
    while let Some(piece) = pieces.next() {
        out.push(u8::from(pieces.peek().is_none()));
        // `chunks(MAX)`: every piece fits in 16 bits.
        let len = u16::try_from(piece.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(piece);
    }
    let mut crc = flate2::Crc::new();
    crc.update(block);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    // ISIZE is the size modulo 2^32 (blocks are 1 MiB).
    out.extend_from_slice(&((block.len() as u64 & 0xffff_ffff) as u32).to_le_bytes());
    out.into()
}

/// Compresses one block into a gzip member (mtime 0, no name: the same bytes give the same
/// member); stored when it would not shrink.
fn member(block: &[u8], level: u32) -> std::io::Result<Bytes> {
    if incompressible(block, level)? {
        return Ok(stored_member(block));
    }
    let mut enc = flate2::GzBuilder::new().write(
        Vec::with_capacity(block.len() / 2 + 64),
        flate2::Compression::new(level),
    );
    enc.write_all(block)?;
    Ok(enc.finish()?.into())
}

/// Regroups a stream of chunks into blocks of exactly [`BLOCK`] bytes (the last may be
/// shorter), so that the output does not depend on how the input was cut.
fn blocks<S, E>(input: S) -> impl Stream<Item = Result<Bytes, E>> + Send
where
    S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
    E: Send,
{
    futures_util::stream::unfold(
        (input, BytesMut::with_capacity(BLOCK), false),
        |(mut input, mut buf, done)| async move {
            if done {
                return None;
            }
            loop {
                if buf.len() >= BLOCK {
                    let block = buf.split_to(BLOCK).freeze();
                    return Some((Ok(block), (input, buf, false)));
                }
                match input.next().await {
                    Some(Ok(chunk)) => buf.extend_from_slice(&chunk),
                    Some(Err(e)) => return Some((Err(e), (input, buf, true))),
                    None => {
                        if buf.is_empty() {
                            return None;
                        }
                        let last = buf.split().freeze();
                        return Some((Ok(last), (input, buf, true)));
                    }
                }
            }
        },
    )
}

/// Gzips `input` with `workers` blocks compressed at once, in order. An input error ends the
/// output with that error; a compression failure (out of memory) with `io_err` of it.
pub(crate) fn gzip<S, E>(
    input: S,
    level: u32,
    workers: usize,
    io_err: fn(std::io::Error) -> E,
) -> impl Stream<Item = Result<Bytes, E>> + Send
where
    S: Stream<Item = Result<Bytes, E>> + Send + Unpin + 'static,
    E: Send + 'static,
{
    blocks(input)
        .map(move |block| async move {
            let block = block?;
            tokio::task::spawn_blocking(move || member(&block, level))
                .await
                .map_err(|e| io_err(std::io::Error::other(e)))?
                .map_err(io_err)
        })
        .buffered(workers.max(1))
}

/// The number of compression threads to use: the machine's parallelism.
pub(crate) fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn random(n: usize, seed: u64) -> Vec<u8> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    fn gunzip(gz: &[u8]) -> Vec<u8> {
        let mut back = Vec::new();
        flate2::read::MultiGzDecoder::new(gz)
            .read_to_end(&mut back)
            .unwrap();
        back
    }

    #[test]
    fn incompressible_blocks_are_stored_and_read_back() {
        for n in [0, 1, 65_535, 65_536, 200_000, BLOCK] {
            let data = random(n, n as u64 + 3);
            let gz = stored_member(&data);
            assert_eq!(gunzip(&gz), data, "{n} bytes");
            assert_eq!(
                gz.len(),
                n + n.div_ceil(65_535).max(1) * 5 + 18,
                "{n} bytes"
            );
        }
        let noise = random(BLOCK, 9);
        assert!(incompressible(&noise, 1).unwrap());
        let m = member(&noise, 1).unwrap();
        assert_eq!(m, stored_member(&noise), "random data is stored");
        // Text, or noise with a compressible middle, goes through deflate.
        let text: Vec<u8> = b"GET /index.html HTTP/1.1\r\n".repeat(BLOCK / 26);
        assert!(!incompressible(&text, 1).unwrap());
        let mut mixed = noise.clone();
        mixed[BLOCK / 4..3 * BLOCK / 4].fill(b'a');
        assert!(!incompressible(&mixed, 1).unwrap());
        let m = member(&mixed, 1).unwrap();
        assert!(m.len() < BLOCK * 3 / 4, "{}", m.len());
        assert_eq!(gunzip(&m), mixed);
    }

    #[tokio::test]
    async fn members_concatenate_to_one_gzip_stream_independent_of_input_cuts() {
        let data: Vec<u8> = (0..(3 * BLOCK + 12345))
            .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[1] % 7)
            .collect();
        let mut outputs = Vec::new();
        for cut in [1000, 65536, 3 * BLOCK + 12345] {
            let chunks: Vec<Result<Bytes, std::io::Error>> = data
                .chunks(cut)
                .map(|c| Ok(Bytes::copy_from_slice(c)))
                .collect();
            let out: Vec<Bytes> = gzip(futures_util::stream::iter(chunks), 1, 2, |e| e)
                .map(|r| r.unwrap())
                .collect()
                .await;
            assert_eq!(out.len(), 4, "one member per block");
            let all: Vec<u8> = out.concat();
            let mut back = Vec::new();
            flate2::read::MultiGzDecoder::new(all.as_slice())
                .read_to_end(&mut back)
                .unwrap();
            assert_eq!(back, data);
            assert!(all.len() < data.len() / 2, "compressible data shrank");
            outputs.push(all);
        }
        assert!(
            outputs.windows(2).all(|w| w[0] == w[1]),
            "same bytes whatever the cuts"
        );
        // An input error comes through.
        let bad = futures_util::stream::iter(vec![
            Ok(Bytes::from_static(b"abc")),
            Err(std::io::Error::other("source failed")),
        ]);
        let r: Vec<Result<Bytes, std::io::Error>> = gzip(bad, 1, 2, |e| e).collect().await;
        assert!(r.iter().any(Result::is_err));
    }
}
