//! Entry points for the fuzz targets (`fuzz/` in the repository) into parsers of Engine
//! replies that are not public. Not a public API: compiled only with the `fuzzing` feature,
//! hidden from the docs, and may change in any release.

use futures_util::{FutureExt, StreamExt};

use crate::error::Result;
use crate::models::Event;

/// What the `/events` stream decoder makes of a body arriving in these chunks, with lines of
/// at most `max_line` bytes (the client uses `events::MAX_EVENT_LINE`): every item up to the
/// end of the stream or its first error.
#[must_use]
pub fn event_lines(chunks: &[&[u8]], max_line: usize) -> Vec<Result<Event>> {
    let items: Vec<std::result::Result<bytes::Bytes, reqwest::Error>> = chunks
        .iter()
        .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
        .collect();
    let stream = crate::events::decode_lines(
        Box::pin(futures_util::stream::iter(items)),
        "GET /events".into(),
        max_line,
    );
    stream
        .collect::<Vec<_>>()
        .now_or_never()
        .expect("the body stream is always ready")
}
