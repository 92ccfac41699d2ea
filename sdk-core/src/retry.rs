//! Retrying failed requests: exponential backoff with jitter, `Retry-After`, idempotency rules.

use crate::{Error, Result};
use http::{Method, StatusCode};
use std::future::Future;
use std::time::{Duration, SystemTime};

/// When and how often to retry a request.
///
/// Retried: connection errors, timeouts and the statuses 408, 429, 500, 502, 503, 504 — only for
/// idempotent requests (GET, HEAD, PUT, DELETE, OPTIONS, TRACE, or requests the caller marks
/// safe). Never retried: any other status (400, 401, 403, 404 …). The delay before retry `n`
/// (1-based) is `base_delay · 2^(n-1)`, capped at `max_delay`, with "equal jitter" (a random
/// value between half and all of it); a `Retry-After` header (seconds or HTTP date) replaces it,
/// capped at `max_delay`. Sleeping uses `tokio::time::sleep`, so tests can pause the clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl RetryPolicy {
    /// The defaults: 4 attempts, 200 ms base delay, 10 s maximum delay, jitter on.
    #[must_use]
    pub fn new() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            jitter: true,
        }
    }

    /// One attempt, no retries.
    #[must_use]
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::new()
        }
    }

    /// Sets the maximum number of attempts, the first included (0 is treated as 1).
    #[must_use]
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the delay before the first retry.
    #[must_use]
    pub fn with_base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// Sets the cap on any delay, `Retry-After` included.
    #[must_use]
    pub fn with_max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// Turns jitter on or off (off gives exact exponential delays).
    #[must_use]
    pub fn with_jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// The maximum number of attempts.
    #[must_use]
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The delay before the first retry.
    #[must_use]
    pub fn base_delay(&self) -> Duration {
        self.base_delay
    }

    /// The cap on any delay.
    #[must_use]
    pub fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// Whether a method is idempotent by default.
    #[must_use]
    pub fn is_idempotent_method(method: &Method) -> bool {
        matches!(
            *method,
            Method::GET
                | Method::HEAD
                | Method::PUT
                | Method::DELETE
                | Method::OPTIONS
                | Method::TRACE
        )
    }

    /// Whether a status is worth retrying (408, 429, 500, 502, 503, 504).
    #[must_use]
    pub fn is_retryable_status(status: StatusCode) -> bool {
        matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
    }

    /// Whether a transport error is worth retrying: connection failures, timeouts, and failures
    /// while sending the request. Body and decode errors are not.
    #[must_use]
    pub fn is_retryable_error(err: &reqwest::Error) -> bool {
        err.is_connect() || err.is_timeout() || (err.is_request() && !err.is_builder())
    }

    /// The backoff before retry number `retry` (1-based), jitter applied.
    #[must_use]
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(30);
        let delay = self
            .base_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay);
        if self.jitter && !delay.is_zero() {
            let half = delay / 2;
            let extra = fastrand::u64(0..=u64::try_from(half.as_nanos()).unwrap_or(u64::MAX));
            half + Duration::from_nanos(extra)
        } else {
            delay
        }
    }

    /// The delay a response's `Retry-After` header asks for (seconds or HTTP date), capped at
    /// `max_delay`; `None` when absent or unparsable.
    #[must_use]
    pub fn retry_after(&self, headers: &http::HeaderMap) -> Option<Duration> {
        Self::parse_retry_after(headers).map(|d| d.min(self.max_delay))
    }

    /// The `Retry-After` header as sent (seconds or an HTTP date; a past date is zero), not
    /// capped: what an error reports to the caller. `None` when absent or unreadable.
    #[must_use]
    pub fn parse_retry_after(headers: &http::HeaderMap) -> Option<Duration> {
        let value = headers
            .get(http::header::RETRY_AFTER)?
            .to_str()
            .ok()?
            .trim();
        if let Ok(secs) = value.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        let when = httpdate::parse_http_date(value).ok()?;
        Some(
            when.duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO),
        )
    }

    /// Runs `attempt` until it gives a final answer: a response whose status is not retryable
    /// (of any status, 4xx/5xx included), a retryable one after the last attempt, or an error.
    /// Nothing is retried unless `idempotent` is true.
    ///
    /// # Errors
    /// The last transport error, classified by [`Error::from_reqwest`] (URL stripped).
    pub async fn run<F, Fut>(&self, idempotent: bool, mut attempt: F) -> Result<reqwest::Response>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<reqwest::Response, reqwest::Error>>,
    {
        let mut n = 1u32;
        loop {
            let result = attempt().await;
            let can_retry = idempotent && n < self.max_attempts;
            let delay = match &result {
                Ok(resp) => {
                    tracing::debug!(attempt = n, status = resp.status().as_u16(), "HTTP attempt");
                    (can_retry && Self::is_retryable_status(resp.status())).then(|| {
                        self.retry_after(resp.headers())
                            .unwrap_or_else(|| self.backoff(n))
                    })
                }
                Err(err) => {
                    tracing::debug!(
                        attempt = n,
                        connect = err.is_connect(),
                        timeout = err.is_timeout(),
                        "HTTP attempt failed"
                    );
                    (can_retry && Self::is_retryable_error(err)).then(|| self.backoff(n))
                }
            };
            match delay {
                None => return result.map_err(Error::from_reqwest),
                Some(delay) => {
                    tracing::info!(
                        attempt = n,
                        max_attempts = self.max_attempts,
                        delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                        "retrying HTTP request"
                    );
                    drop(result);
                    tokio::time::sleep(delay).await;
                    n += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        let p = RetryPolicy::new().with_jitter(false);
        assert_eq!(p.backoff(1), Duration::from_millis(200));
        assert_eq!(p.backoff(2), Duration::from_millis(400));
        assert_eq!(p.backoff(3), Duration::from_millis(800));
        assert_eq!(p.backoff(40), Duration::from_secs(10));
        let j = RetryPolicy::new();
        for _ in 0..100 {
            let d = j.backoff(3);
            assert!(
                d >= Duration::from_millis(400) && d <= Duration::from_millis(800),
                "{d:?}"
            );
        }
    }

    #[test]
    fn retry_after_forms() {
        let p = RetryPolicy::new();
        let mut h = http::HeaderMap::new();
        assert_eq!(p.retry_after(&h), None);
        h.insert("retry-after", "3".parse().unwrap());
        assert_eq!(p.retry_after(&h), Some(Duration::from_secs(3)));
        h.insert("retry-after", "3600".parse().unwrap());
        assert_eq!(p.retry_after(&h), Some(Duration::from_secs(10)));
        let when = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(5));
        h.insert("retry-after", when.parse().unwrap());
        let d = p.retry_after(&h).unwrap();
        assert!(
            d > Duration::from_secs(3) && d <= Duration::from_secs(5),
            "{d:?}"
        );
        h.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(p.retry_after(&h), Some(Duration::ZERO));
        h.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(p.retry_after(&h), None);
    }

    #[test]
    fn classification() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(RetryPolicy::is_retryable_status(
                StatusCode::from_u16(s).unwrap()
            ));
        }
        for s in [200, 301, 400, 401, 403, 404, 409, 501, 505] {
            assert!(!RetryPolicy::is_retryable_status(
                StatusCode::from_u16(s).unwrap()
            ));
        }
        assert!(RetryPolicy::is_idempotent_method(&Method::PUT));
        assert!(!RetryPolicy::is_idempotent_method(&Method::POST));
        assert!(!RetryPolicy::is_idempotent_method(&Method::PATCH));
        assert_eq!(RetryPolicy::none().max_attempts(), 1);
        assert_eq!(RetryPolicy::new().with_max_attempts(0).max_attempts(), 1);
    }
}
