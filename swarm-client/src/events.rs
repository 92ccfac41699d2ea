//! The `/events` stream as typed async events.

use futures_util::{Stream, StreamExt};
use reqwest::Method;

use crate::client::{Client, Req, filters_json};
use crate::error::{Error, Result};
use crate::lines::Lines;
use crate::models::Event;

/// The longest event line accepted: 1 MiB (dockerd's events are a few hundred bytes; a service
/// event carries its name and a few attributes). A longer line ends the stream with
/// [`Error::TooLarge`].
pub const MAX_EVENT_LINE: usize = 1024 * 1024;

/// Filters and time range of [`Client::events`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
#[must_use]
pub struct EventFilter {
    pairs: Vec<(&'static str, String)>,
    since: Option<String>,
    until: Option<String>,
}

impl EventFilter {
    /// All events from now on.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only this object type (`service`, `node`, `container`, `config`, …); repeatable.
    pub fn kind(mut self, t: impl Into<String>) -> Self {
        self.pairs.push(("type", t.into()));
        self
    }

    /// Only this action (`create`, `update`, `start`, `die`, …); repeatable.
    pub fn event(mut self, e: impl Into<String>) -> Self {
        self.pairs.push(("event", e.into()));
        self
    }

    /// Only objects with this label (`key` or `key=value`).
    pub fn label(mut self, l: impl Into<String>) -> Self {
        self.pairs.push(("label", l.into()));
        self
    }

    /// Only this service (ID or name).
    pub fn service(mut self, s: impl Into<String>) -> Self {
        self.pairs.push(("service", s.into()));
        self
    }

    /// Only this container.
    pub fn container(mut self, c: impl Into<String>) -> Self {
        self.pairs.push(("container", c.into()));
        self
    }

    /// Only this node.
    pub fn node(mut self, n: impl Into<String>) -> Self {
        self.pairs.push(("node", n.into()));
        self
    }

    /// Events since (Unix time or duration), replaying history.
    pub fn since(mut self, s: impl Into<String>) -> Self {
        self.since = Some(s.into());
        self
    }

    /// Stop at (Unix time or duration).
    pub fn until(mut self, s: impl Into<String>) -> Self {
        self.until = Some(s.into());
        self
    }

    /// Whether an end time is set (the stream then ends by itself).
    pub(crate) fn has_until(&self) -> bool {
        self.until.is_some()
    }

    fn query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        if !self.pairs.is_empty() {
            let pairs: Vec<(&str, &str)> =
                self.pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            q.push(("filters", filters_json(&pairs)));
        }
        if let Some(s) = &self.since {
            q.push(("since", s.clone()));
        }
        if let Some(u) = &self.until {
            q.push(("until", u.clone()));
        }
        q
    }
}

/// A boxed stream of events.
pub type EventStream = std::pin::Pin<Box<dyn Stream<Item = Result<Event>> + Send>>;

impl Client {
    /// Opens `GET /events` and decodes its newline-delimited JSON into [`Event`]s. The stream runs
    /// until the daemon closes it (or `until` is reached).
    ///
    /// # Errors
    /// API errors on open; decode/transport errors as stream items.
    pub async fn events(&self, filter: &EventFilter) -> Result<EventStream> {
        let req = Req::new(Method::GET, "/events")
            .query(&filter.query())
            .streaming();
        let endpoint = req.endpoint();
        let resp = self.call(req).await?;
        Ok(decode_lines(
            Box::pin(resp.bytes_stream()),
            endpoint,
            MAX_EVENT_LINE,
        ))
    }
}

pub(crate) type ByteStream =
    std::pin::Pin<Box<dyn Stream<Item = std::result::Result<bytes::Bytes, reqwest::Error>> + Send>>;

/// Decodes newline-delimited JSON events from `body`, lines of at most `max_line` bytes.
pub(crate) fn decode_lines(body: ByteStream, endpoint: String, max_line: usize) -> EventStream {
    let state = (body, Lines::new(max_line), endpoint, false);
    Box::pin(futures_util::stream::unfold(
        state,
        move |(mut body, mut lines, endpoint, done)| async move {
            if done {
                return None;
            }
            let decode = |line: &[u8], endpoint: &String| {
                serde_json::from_slice::<Event>(line).map_err(|source| Error::Decode {
                    endpoint: endpoint.clone(),
                    source,
                })
            };
            loop {
                match lines.next_line() {
                    Ok(Some(line)) => {
                        let line = line.trim_ascii();
                        if line.is_empty() {
                            continue;
                        }
                        let item = decode(line, &endpoint);
                        return Some((item, (body, lines, endpoint, false)));
                    }
                    Ok(None) => {}
                    Err(_) => {
                        let e = Error::TooLarge {
                            endpoint: endpoint.clone(),
                            what: "event line",
                            limit: max_line as u64,
                        };
                        return Some((Err(e), (body, lines, endpoint, true)));
                    }
                }
                match body.next().await {
                    Some(Ok(chunk)) => lines.push(&chunk),
                    Some(Err(source)) => {
                        let e = Error::Http {
                            endpoint: endpoint.clone(),
                            source: source.without_url(),
                        };
                        return Some((Err(e), (body, lines, endpoint, true)));
                    }
                    None => {
                        let rest = lines.rest();
                        let rest = rest.trim_ascii();
                        if rest.is_empty() {
                            return None;
                        }
                        let item = decode(rest, &endpoint);
                        return Some((item, (body, lines, endpoint, true)));
                    }
                }
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::EventType;

    #[tokio::test]
    async fn a_long_line_in_small_chunks_is_scanned_once() {
        // A 900 KiB event line (under the line limit) in 64-byte chunks: rescanning the buffer
        // from its start for each chunk would compare ~6·10⁹ bytes; one pass compares 10⁶.
        let pad = "a".repeat(900 * 1024);
        let line = format!(
            r#"{{"Type":"service","Action":"update","Actor":{{"ID":"s1","Attributes":{{"pad":"{pad}"}}}},"time":1}}"#
        );
        let mut all = line.into_bytes();
        all.push(b'\n');
        let chunks: Vec<std::result::Result<bytes::Bytes, reqwest::Error>> = all
            .chunks(64)
            .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
            .collect();
        let s = decode_lines(
            Box::pin(futures_util::stream::iter(chunks)),
            "GET /events".into(),
            MAX_EVENT_LINE,
        );
        let t = std::time::Instant::now();
        let evs: Vec<Event> = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            s.map(|e| e.unwrap()).collect(),
        )
        .await
        .expect("decoding one long line took over 5 s");
        assert_eq!(evs.len(), 1);
        assert_eq!(evs[0].actor.attributes["pad"].len(), 900 * 1024);
        assert!(t.elapsed() < std::time::Duration::from_secs(5));
    }

    #[tokio::test]
    async fn decodes_split_lines() {
        let a = br#"{"Type":"service","Action":"update","Actor":{"ID":"s1","Attributes":{"name":"web"}},"scope":"swarm","time":1,"timeNano":1000}"#;
        let b = br#"{"Type":"teleporter","Action":"beam","Actor":{"ID":"x"},"time":2}"#;
        let mut all = a.to_vec();
        all.push(b'\n');
        all.extend_from_slice(b);
        all.push(b'\n');
        let chunks: Vec<std::result::Result<bytes::Bytes, reqwest::Error>> = all
            .chunks(7)
            .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
            .collect();
        let s = decode_lines(
            Box::pin(futures_util::stream::iter(chunks)),
            "GET /events".into(),
            MAX_EVENT_LINE,
        );
        let evs: Vec<Event> = s.map(|e| e.unwrap()).collect().await;
        assert_eq!(evs.len(), 2);
        assert_eq!(evs[0].kind, EventType::Service);
        assert_eq!(evs[0].actor.attributes["name"], "web");
        assert_eq!(evs[1].kind, EventType::Unknown("teleporter".into()));
    }
}
