//! Parallel gzip of a byte stream (pigz's idea): the input is cut into blocks, each block is
//! compressed into a complete gzip member on a blocking thread, several at once, and the
//! members are emitted in order. A concatenation of gzip members is one valid gzip file (RFC
//! 1952 §2.2): Go's `compress/gzip` (dockerd, containerd, skopeo), `unpigz` and `gzip -d` read
//! it whole. Memory is bounded by `workers` blocks in and out.
//!
//! For the same bytes, block size and level the output is the same, so the digest of a layer
//! compressed twice is the same too.

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use std::io::Write;

/// Size of the blocks compressed independently: 1 MiB (the deflate window is 32 KiB, so the
/// ratio lost at block edges is negligible).
pub(crate) const BLOCK: usize = 1024 * 1024;

/// Compresses one block into a gzip member (mtime 0, no name: the same bytes give the same
/// member).
fn member(block: &[u8], level: u32) -> std::io::Result<Bytes> {
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
