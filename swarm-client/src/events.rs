//! The `/events` stream as typed async events.

use bytes::BytesMut;
use futures_util::{Stream, StreamExt};
use reqwest::Method;

use crate::client::{Client, Req, filters_json};
use crate::error::{Error, Result};
use crate::models::Event;

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
        Ok(decode_lines(Box::pin(resp.bytes_stream()), endpoint))
    }
}

type ByteStream =
    std::pin::Pin<Box<dyn Stream<Item = std::result::Result<bytes::Bytes, reqwest::Error>> + Send>>;

fn decode_lines(body: ByteStream, endpoint: String) -> EventStream {
    let state = (body, BytesMut::new(), endpoint, false);
    Box::pin(futures_util::stream::unfold(
        state,
        |(mut body, mut buf, endpoint, done)| async move {
            if done {
                return None;
            }
            loop {
                if let Some(pos) = buf.iter().position(|b| *b == b'\n') {
                    let line = buf.split_to(pos + 1);
                    let line = line.trim_ascii();
                    if line.is_empty() {
                        continue;
                    }
                    let item =
                        serde_json::from_slice::<Event>(line).map_err(|source| Error::Decode {
                            endpoint: endpoint.clone(),
                            source,
                        });
                    return Some((item, (body, buf, endpoint, false)));
                }
                match body.next().await {
                    Some(Ok(chunk)) => buf.extend_from_slice(&chunk),
                    Some(Err(source)) => {
                        let e = Error::Http {
                            endpoint: endpoint.clone(),
                            source: source.without_url(),
                        };
                        return Some((Err(e), (body, buf, endpoint, true)));
                    }
                    None => {
                        let rest = buf.split();
                        let rest = rest.trim_ascii();
                        if rest.is_empty() {
                            return None;
                        }
                        let item =
                            serde_json::from_slice::<Event>(rest).map_err(|source| Error::Decode {
                                endpoint: endpoint.clone(),
                                source,
                            });
                        return Some((item, (body, buf, endpoint, true)));
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
        );
        let evs: Vec<Event> = s.map(|e| e.unwrap()).collect().await;
        assert_eq!(evs.len(), 2);
        assert_eq!(evs[0].kind, EventType::Service);
        assert_eq!(evs[0].actor.attributes["name"], "web");
        assert_eq!(evs[1].kind, EventType::Unknown("teleporter".into()));
    }
}
