//! Tags list with `Link` pagination (`n`, `last`) and the catalog.

use crate::auth::Scope;
use crate::client::Client;
use crate::error::{Error, Result, redact_url};
use crate::reference::Reference;
use crate::request::Req;
use reqwest::Method;
use reqwest::header;
use url::Url;

/// Pages are followed at most this many times (a loop guard).
const MAX_PAGES: usize = 10_000;

#[derive(serde::Deserialize)]
struct TagList {
    #[serde(default)]
    tags: Option<Vec<String>>,
}

#[derive(serde::Deserialize)]
struct Catalog {
    #[serde(default)]
    repositories: Option<Vec<String>>,
}

/// The `rel="next"` target of a `Link` header, resolved against `base`.
pub(crate) fn next_link(value: &str, base: &Url) -> Option<Url> {
    for part in value.split(',') {
        let part = part.trim();
        let (target, params) = part.split_once(';').unwrap_or((part, ""));
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let is_next = params.split(';').any(|p| {
            let p = p.trim().replace(' ', "");
            p.eq_ignore_ascii_case("rel=\"next\"") || p.eq_ignore_ascii_case("rel=next")
        });
        if is_next {
            return base.join(target).ok();
        }
    }
    None
}

impl Client {
    /// Lists a repository's tags, following `Link` pages; `page_size` sets `n`.
    ///
    /// # Errors
    /// API errors (`NAME_UNKNOWN`…), bad JSON, a `Link` to another host,
    /// [`Error::TooLarge`] when the pages together exceed the list limit
    /// ([`crate::ClientBuilder::list_limit`]), [`Error::Timeout`] when the registry stalls.
    pub async fn list_tags(&self, repo: &Reference, page_size: Option<u32>) -> Result<Vec<String>> {
        let mut url = self.repo_url(repo.api_host(), repo.path(), "tags/list")?;
        if let Some(n) = page_size {
            url.query_pairs_mut().append_pair("n", &n.to_string());
        }
        let items = self
            .paginate(repo.api_host(), url, vec![Scope::pull(repo.path())], |b| {
                serde_json::from_slice::<TagList>(b).map(|t| t.tags.unwrap_or_default())
            })
            .await?;
        Ok(items)
    }

    /// Lists the registry's repositories (`/v2/_catalog`), following `Link` pages.
    ///
    /// # Errors
    /// API errors (many registries deny the catalog), bad JSON, [`Error::TooLarge`] and
    /// [`Error::Timeout`] as for [`Client::list_tags`].
    pub async fn catalog(&self, registry: &str, page_size: Option<u32>) -> Result<Vec<String>> {
        let mut url = self
            .base_url(registry)?
            .join("v2/_catalog")
            .expect("static path");
        if let Some(n) = page_size {
            url.query_pairs_mut().append_pair("n", &n.to_string());
        }
        self.paginate(registry, url, vec![Scope::catalog()], |b| {
            serde_json::from_slice::<Catalog>(b).map(|c| c.repositories.unwrap_or_default())
        })
        .await
    }

    async fn paginate(
        &self,
        registry: &str,
        first: Url,
        scopes: Vec<Scope>,
        parse: impl Fn(&[u8]) -> serde_json::Result<Vec<String>>,
    ) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let mut next = Some(first.clone());
        let mut pages = 0;
        // One budget for the whole listing: each page may use what the earlier ones left.
        let limit = self.inner.list_limit;
        let mut left = limit;
        while let Some(url) = next.take() {
            pages += 1;
            if pages > MAX_PAGES {
                return Err(Error::protocol(&redact_url(&first), "too many pages"));
            }
            if url.origin() != first.origin() {
                return Err(Error::protocol(
                    &redact_url(&first),
                    "Link points to another host",
                ));
            }
            let req = Req::new(Method::GET, registry, url, scopes.clone());
            let resp = self.send(&req).await?;
            let endpoint = redact_url(resp.url());
            next = resp
                .headers()
                .get(header::LINK)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| next_link(v, resp.url()));
            let body = sdk_core::body::read_limited(resp, left, self.inner.idle)
                .await
                .map_err(|e| match Error::body("tags/catalog list", &endpoint, e) {
                    Error::TooLarge { what, endpoint, .. } => Error::TooLarge {
                        what,
                        endpoint,
                        limit,
                    },
                    other => other,
                })?;
            left -= body.len() as u64;
            out.extend(parse(&body).map_err(|e| Error::Json {
                what: "tags/catalog page",
                source: e,
            })?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header() {
        let base = Url::parse("http://r:5000/v2/a/tags/list?n=2").unwrap();
        let n = next_link(r#"</v2/a/tags/list?n=2&last=b>; rel="next""#, &base).unwrap();
        assert_eq!(n.as_str(), "http://r:5000/v2/a/tags/list?n=2&last=b");
        let n = next_link(
            r#"<http://x/prev>; rel="prev", </v2/a/tags/list?last=c>; rel=next"#,
            &base,
        )
        .unwrap();
        assert_eq!(n.query(), Some("last=c"));
        assert!(next_link(r#"</x>; rel="prev""#, &base).is_none());
        assert!(next_link("garbage", &base).is_none());
    }
}
