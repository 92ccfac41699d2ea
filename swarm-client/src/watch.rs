//! A `/events` stream that survives: it reconnects when the daemon closes the stream or
//! restarts, asks for the events it missed with a `since` checkpoint, drops the ones it already
//! delivered, and tells its consumer when to reconcile.
//!
//! The plain [`Client::events`] stream ends when the connection does. Long-running automation
//! (a load-balancer watcher, a convergence wait) wants one that does not:
//!
//! ```no_run
//! # async fn demo(client: swarm_client::Client) -> swarm_client::Result<()> {
//! use futures_util::StreamExt;
//! use swarm_client::events::EventFilter;
//! use swarm_client::watch::{WatchEvent, WatchOptions};
//!
//! let mut events = client.watch_events(EventFilter::new().kind("service"), WatchOptions::new());
//! while let Some(item) = events.next().await {
//!     match item? {
//!         WatchEvent::Event(ev) => println!("{} {}", ev.action, ev.actor.id),
//!         // Events may have been lost while disconnected (a restarted daemon replays none):
//!         // read the state again.
//!         WatchEvent::Connected { resumed: true } => println!("reconnected: resync"),
//!         WatchEvent::Connected { resumed: false } => {}
//!         WatchEvent::Disconnected { error, retry_in } => {
//!             eprintln!("events lost ({error}); retrying in {retry_in:?}")
//!         }
//!         _ => {}
//!     }
//! }
//! # Ok(())
//! # }
//! ```

use std::collections::HashSet;
use std::time::Duration;

use futures_util::{Stream, StreamExt};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::events::{EventFilter, EventStream};
use crate::models::Event;

/// What [`Client::watch_events`] yields.
#[derive(Debug)]
#[non_exhaustive]
pub enum WatchEvent {
    /// The stream is open. `resumed` is false the first time; after a reconnect it is true and
    /// the daemon was asked for every event since the last one delivered — but a daemon that
    /// restarted has none to replay, so a consumer that keeps state should read it again.
    Connected {
        /// Whether this is a reconnect.
        resumed: bool,
    },
    /// An event, in the daemon's order, never delivered twice across reconnects.
    Event(Event),
    /// The stream was lost (closed by the daemon, a transport error, the daemon down); the
    /// next connection attempt starts after `retry_in`.
    Disconnected {
        /// Why.
        error: Error,
        /// The delay before the next attempt.
        retry_in: Duration,
    },
}

/// Settings of [`Client::watch_events`].
#[derive(Debug, Clone)]
#[non_exhaustive]
#[must_use]
pub struct WatchOptions {
    since: Option<String>,
    min_backoff: Duration,
    max_backoff: Duration,
    max_attempts: Option<u32>,
}

impl Default for WatchOptions {
    fn default() -> Self {
        Self {
            since: None,
            min_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            max_attempts: None,
        }
    }
}

impl WatchOptions {
    /// From now on; reconnect after 100 ms, doubling up to 5 s, forever.
    pub fn new() -> Self {
        Self::default()
    }

    /// Start from this point in the daemon's history (Unix time or duration, as
    /// [`EventFilter::since`] takes it) instead of now.
    pub fn since(mut self, since: impl Into<String>) -> Self {
        self.since = Some(since.into());
        self
    }

    /// The first reconnect delay and the cap it doubles up to.
    pub fn backoff(mut self, min: Duration, max: Duration) -> Self {
        self.min_backoff = min;
        self.max_backoff = max.max(min);
        self
    }

    /// Give up after this many failed connection attempts in a row (the stream then yields
    /// the last error and ends). Default: never give up.
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = Some(n);
        self
    }
}

/// The event stream of [`Client::watch_events`].
pub type WatchStream = std::pin::Pin<Box<dyn Stream<Item = Result<WatchEvent>> + Send>>;

/// The position reached: the newest event's `timeNano` and the events seen at exactly that
/// time (the daemon's `since` is inclusive, so they come again after a reconnect).
#[derive(Debug, Default)]
struct Checkpoint {
    time_nano: Option<i64>,
    at_time: HashSet<String>,
}

impl Checkpoint {
    fn key(ev: &Event) -> String {
        format!(
            "{}\u{0}{}\u{0}{}\u{0}{}",
            ev.kind,
            ev.action,
            ev.actor.id,
            serde_json::to_string(&ev.actor.attributes).unwrap_or_default()
        )
    }

    /// Whether `ev` is new; records it.
    fn admit(&mut self, ev: &Event) -> bool {
        let t = ev.time_nano;
        match self.time_nano {
            Some(cur) if t < cur => false,
            Some(cur) if t == cur => self.at_time.insert(Self::key(ev)),
            _ => {
                self.time_nano = Some(t);
                self.at_time.clear();
                self.at_time.insert(Self::key(ev));
                true
            }
        }
    }

    /// The `since` argument that replays from this point (`secs.nanos`).
    fn since(&self) -> Option<String> {
        let t = self.time_nano?;
        Some(format!(
            "{}.{:09}",
            t.div_euclid(1_000_000_000),
            t.rem_euclid(1_000_000_000)
        ))
    }
}

struct State {
    client: Client,
    filter: EventFilter,
    opts: WatchOptions,
    stream: Option<EventStream>,
    checkpoint: Checkpoint,
    connected_once: bool,
    failures: u32,
    sleep: Option<Duration>,
    done: bool,
}

impl State {
    fn backoff(&self) -> Duration {
        let shift = self.failures.min(16);
        self.opts
            .min_backoff
            .saturating_mul(1u32 << shift)
            .min(self.opts.max_backoff)
    }

    /// A lost stream: the item to yield (or the end when the attempts are used up).
    fn lost(&mut self, error: Error) -> Result<WatchEvent> {
        self.stream = None;
        let retry_in = self.backoff();
        self.failures = self.failures.saturating_add(1);
        if self
            .opts
            .max_attempts
            .is_some_and(|max| self.failures >= max)
        {
            self.done = true;
            return Err(error);
        }
        self.sleep = Some(retry_in);
        Ok(WatchEvent::Disconnected { error, retry_in })
    }

    async fn next(&mut self) -> Option<Result<WatchEvent>> {
        if self.done {
            return None;
        }
        loop {
            let Some(stream) = self.stream.as_mut() else {
                if let Some(d) = self.sleep.take() {
                    tokio::time::sleep(d).await;
                }
                let since = self.checkpoint.since().or_else(|| self.opts.since.clone());
                let filter = match since {
                    Some(s) => self.filter.clone().since(s),
                    None => self.filter.clone(),
                };
                return Some(match self.client.events(&filter).await {
                    Ok(s) => {
                        self.stream = Some(s);
                        self.failures = 0;
                        let resumed = self.connected_once;
                        self.connected_once = true;
                        Ok(WatchEvent::Connected { resumed })
                    }
                    Err(e) if !e.is_transient() => {
                        self.done = true;
                        Err(e)
                    }
                    Err(e) => self.lost(e),
                });
            };
            match stream.next().await {
                Some(Ok(ev)) => {
                    if self.checkpoint.admit(&ev) {
                        return Some(Ok(WatchEvent::Event(ev)));
                    }
                }
                Some(Err(e)) => return Some(self.lost(e)),
                None if self.filter.has_until() => {
                    self.done = true;
                    return None;
                }
                None => {
                    let closed = Error::Stream {
                        endpoint: "GET /events".into(),
                        message: "the daemon closed the event stream".into(),
                    };
                    return Some(self.lost(closed));
                }
            }
        }
    }
}

impl Client {
    /// `GET /events` that reconnects: after the daemon closes the stream, a transport error
    /// or a daemon restart it opens the stream again (backing off as [`WatchOptions`] says),
    /// with `since` set to the last event it delivered, and never delivers an event twice.
    /// Each (re)connection is reported as [`WatchEvent::Connected`], each loss as
    /// [`WatchEvent::Disconnected`].
    ///
    /// The stream is silent while nothing happens and runs until it is dropped (or the
    /// filter's `until` is reached). It connects on the first poll.
    ///
    /// # Errors
    /// As items: an error the daemon will answer the same way again (e.g. a bad filter, HTTP
    /// 400) ends the stream; with [`WatchOptions::max_attempts`], the last connection error
    /// ends it once the attempts are used up.
    pub fn watch_events(&self, filter: EventFilter, opts: WatchOptions) -> WatchStream {
        let state = State {
            client: self.clone(),
            filter,
            opts,
            stream: None,
            checkpoint: Checkpoint::default(),
            connected_once: false,
            failures: 0,
            sleep: None,
            done: false,
        };
        Box::pin(futures_util::stream::unfold(state, |mut st| async move {
            let item = st.next().await?;
            Some((item, st))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: &str, action: &str, t: i64) -> Event {
        serde_json::from_value(serde_json::json!({
            "Type": "service", "Action": action, "Actor": {"ID": id, "Attributes": {}},
            "time": t / 1_000_000_000, "timeNano": t
        }))
        .unwrap()
    }

    #[test]
    fn checkpoint_drops_replays_and_formats_since() {
        let mut c = Checkpoint::default();
        assert_eq!(c.since(), None);
        assert!(c.admit(&ev("a", "create", 1_500_000_000_123)));
        assert!(c.admit(&ev("b", "create", 1_500_000_000_123)));
        assert_eq!(c.since().as_deref(), Some("1500.000000123"));
        // replayed after a reconnect: the same two, then an older one
        assert!(!c.admit(&ev("a", "create", 1_500_000_000_123)));
        assert!(!c.admit(&ev("b", "create", 1_500_000_000_123)));
        assert!(!c.admit(&ev("z", "update", 1_000)));
        // same time, another event: new
        assert!(c.admit(&ev("a", "update", 1_500_000_000_123)));
        assert!(c.admit(&ev("c", "remove", 1_600_000_000_000)));
        assert_eq!(c.since().as_deref(), Some("1600.000000000"));
    }
}
