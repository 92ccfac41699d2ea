//! Bearer tokens: fetching from the token endpoint and a cache keyed by registry and scope.

use crate::auth::Scope;
use crate::error::{Error, Result, redact_url};
use crate::request::{api_error, basic_header};
use sdk_core::Credentials;
use sdk_core::body::{Activity, send_with_idle};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use url::Url;

/// Tokens live 60 s when the endpoint does not say (distribution's token spec default).
const DEFAULT_EXPIRES_IN: u64 = 60;
/// Tokens are dropped this long before they expire.
const EXPIRY_MARGIN: Duration = Duration::from_secs(5);
/// A token is kept at most a day, whatever `expires_in` says (a hostile `u64::MAX` included).
const MAX_EXPIRES_IN: u64 = 24 * 60 * 60;
/// A token reply is read up to 1 MiB.
pub(crate) const TOKEN_REPLY_LIMIT: u64 = 1024 * 1024;

/// A bearer token and when it expires.
pub(crate) struct Token {
    pub(crate) token: String,
    pub(crate) expires_at: Instant,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

type ScopedToken = (Vec<Scope>, Token);

/// Tokens keyed by (registry, scopes); a token is reused for any request whose scopes it covers.
#[derive(Debug, Default)]
pub(crate) struct TokenCache {
    map: Mutex<HashMap<String, Vec<ScopedToken>>>,
}

impl TokenCache {
    pub(crate) fn get(&self, registry: &str, scopes: &[Scope]) -> Option<String> {
        let mut map = self.map.lock().expect("token cache lock");
        let list = map.get_mut(registry)?;
        let now = Instant::now();
        list.retain(|(_, t)| t.expires_at > now + EXPIRY_MARGIN);
        list.iter()
            .find(|(have, _)| {
                scopes
                    .iter()
                    .all(|want| have.iter().any(|h| h.covers(want)))
            })
            .map(|(_, t)| t.token.clone())
    }

    pub(crate) fn insert(&self, registry: &str, scopes: &[Scope], token: Token) {
        let mut map = self.map.lock().expect("token cache lock");
        let list = map.entry(registry.to_owned()).or_default();
        list.retain(|(s, _)| s.as_slice() != scopes);
        list.push((scopes.to_vec(), token));
    }

    /// Drops every token that covers any of `scopes` (after a 401).
    pub(crate) fn invalidate(&self, registry: &str, scopes: &[Scope]) {
        let mut map = self.map.lock().expect("token cache lock");
        if let Some(list) = map.get_mut(registry) {
            list.retain(|(have, _)| !scopes.iter().any(|w| have.iter().any(|h| h.covers(w))));
        }
    }
}

#[derive(serde::Deserialize)]
struct TokenResponse {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// Gets a token: OAuth2 POST (`grant_type=refresh_token`) with an identity token, otherwise
/// GET with `service` and `scope` (Basic-authenticated when there are credentials). The
/// reply must start within `idle` and keep moving; it is read up to 1 MiB.
pub(crate) async fn fetch_token(
    http: &reqwest::Client,
    realm: &Url,
    service: Option<&str>,
    scopes: &[Scope],
    creds: Option<&Credentials>,
    idle: Duration,
) -> Result<Token> {
    let endpoint = redact_url(realm);
    let scope_strs: Vec<String> = scopes.iter().map(ToString::to_string).collect();
    tracing::debug!(
        realm = %endpoint,
        scope = %scope_strs.join(" "),
        grant = match creds {
            Some(Credentials::IdentityToken { .. }) => "refresh_token",
            Some(Credentials::Basic { .. }) => "basic",
            _ => "anonymous",
        },
        "fetching bearer token"
    );
    let resp = match creds {
        Some(Credentials::IdentityToken { token: refresh, .. }) => {
            let mut form: Vec<(&str, &str)> = vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh.expose_secret()),
                ("client_id", "dockwright"),
            ];
            if let Some(s) = service {
                form.push(("service", s));
            }
            let joined = scope_strs.join(" ");
            if !joined.is_empty() {
                form.push(("scope", &joined));
            }
            let body = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form)
                .finish();
            let post = http
                .post(realm.clone())
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(body);
            send_with_idle(post, idle, &Activity::new()).await
        }
        other => {
            let mut u = realm.clone();
            {
                let mut q = u.query_pairs_mut();
                if let Some(s) = service {
                    q.append_pair("service", s);
                }
                for s in &scope_strs {
                    q.append_pair("scope", s);
                }
            }
            let mut rb = http.get(u);
            if let Some(Credentials::Basic { username, password }) = other {
                let mut v = reqwest::header::HeaderValue::from_str(&basic_header(
                    username,
                    password.expose_secret(),
                ))
                .map_err(|_| Error::Invalid {
                    what: "credentials",
                    reason: "contain characters not allowed in an HTTP header".into(),
                })?;
                v.set_sensitive(true);
                rb = rb.header(reqwest::header::AUTHORIZATION, v);
            }
            send_with_idle(rb, idle, &Activity::new()).await
        }
    }
    .map_err(|e| Error::body("token reply", &endpoint, e))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(api_error(resp, "GET", &endpoint, idle).await);
    }
    let body = sdk_core::body::read_limited(resp, TOKEN_REPLY_LIMIT, idle)
        .await
        .map_err(|e| Error::body("token reply", &endpoint, e))?;
    let (token, lifetime) = parse_token_reply(&body, &endpoint)?;
    let now = Instant::now();
    Ok(Token {
        token,
        expires_at: now.checked_add(lifetime).unwrap_or(now),
    })
}

/// Reads a token reply: the token (`token`, else `access_token`) and how long it may be used
/// (`expires_in`, 60 s when absent or 0, at most a day).
///
/// # Errors
/// [`Error::Token`] for a reply that is not the expected JSON (reported by position: serde's
/// messages may quote a token) or has no token.
pub(crate) fn parse_token_reply(body: &[u8], endpoint: &str) -> Result<(String, Duration)> {
    let parsed: TokenResponse = serde_json::from_slice(body).map_err(|e| Error::Token {
        endpoint: endpoint.to_owned(),
        // Position only: serde's "invalid type" messages quote the value, which may be a token.
        reason: format!("bad JSON (line {}, column {})", e.line(), e.column()),
    })?;
    let token = parsed
        .token
        .or(parsed.access_token)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::Token {
            endpoint: endpoint.to_owned(),
            reason: "no token in the answer".into(),
        })?;
    let secs = parsed
        .expires_in
        .filter(|s| *s > 0)
        .unwrap_or(DEFAULT_EXPIRES_IN)
        .min(MAX_EXPIRES_IN);
    Ok((token, Duration::from_secs(secs)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok(s: &str, secs: u64) -> Token {
        Token {
            token: s.into(),
            expires_at: Instant::now() + Duration::from_secs(secs),
        }
    }

    #[test]
    fn cache_by_scope_and_expiry() {
        let c = TokenCache::default();
        c.insert("r", &[Scope::push("a")], tok("push-a", 300));
        c.insert("r", &[Scope::pull("b")], tok("pull-b", 1));
        assert_eq!(c.get("r", &[Scope::pull("a")]).as_deref(), Some("push-a"));
        assert_eq!(c.get("r", &[Scope::push("a")]).as_deref(), Some("push-a"));
        // expires within the margin: dropped
        assert_eq!(c.get("r", &[Scope::pull("b")]), None);
        assert_eq!(c.get("r", &[Scope::push("c")]), None);
        assert_eq!(c.get("other", &[Scope::pull("a")]), None);
        c.invalidate("r", &[Scope::pull("a")]);
        assert_eq!(c.get("r", &[Scope::pull("a")]), None);
        assert!(!format!("{:?}", tok("sekrit", 9)).contains("sekrit"));
    }
}
