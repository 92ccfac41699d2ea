//! Removing secrets from URLs before they go into errors or logs.

use url::Url;

/// Query parameter names (lower case) whose values are treated as secrets.
const SECRET_PARAMS: &[&str] = &[
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "password",
    "passwd",
    "secret",
    "client_secret",
    "signature",
    "sig",
    "key",
    "apikey",
    "api_key",
    "auth",
    "authorization",
    "credential",
    "credentials",
    "session",
    // distribution's signed upload state: whoever has it can continue the upload
    "_state",
];

/// Whether a query parameter name looks like it carries a secret.
fn is_secret_param(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_PARAMS.contains(&lower.as_str())
        || lower.starts_with("x-amz-")
        || lower.starts_with("x-goog-")
        || lower.contains("token")
        || lower.contains("secret")
        || lower.contains("signature")
        || lower.contains("password")
}

/// Formats a URL for errors and logs: user info is removed, the values of secret-looking query
/// parameters (`token`, `password`, `X-Amz-Signature`, …) are replaced by `<redacted>`, and the
/// fragment is dropped.
///
/// ```
/// let url = url::Url::parse("https://user:pw@example.com/v2/?token=abc&n=1").unwrap();
/// assert_eq!(
///     sdk_core::redact::endpoint_string(&url),
///     "https://example.com/v2/?token=<redacted>&n=1"
/// );
/// ```
#[must_use]
pub fn endpoint_string(url: &Url) -> String {
    let mut out = String::new();
    out.push_str(url.scheme());
    out.push_str("://");
    if let Some(host) = url.host_str() {
        out.push_str(host);
    }
    if let Some(port) = url.port() {
        out.push(':');
        out.push_str(&port.to_string());
    }
    out.push_str(url.path());
    if let Some(query) = url.query() {
        out.push('?');
        let parts: Vec<String> = query
            .split('&')
            .map(|pair| {
                let name = pair.split('=').next().unwrap_or("");
                let decoded = url::form_urlencoded::parse(name.as_bytes())
                    .next()
                    .map(|(k, _)| k.into_owned())
                    .unwrap_or_default();
                if is_secret_param(&decoded) && pair.contains('=') {
                    format!("{name}=<redacted>")
                } else {
                    pair.to_owned()
                }
            })
            .collect();
        out.push_str(&parts.join("&"));
    }
    out
}

/// Redacts an arbitrary endpoint-like input string: when it parses as a URL the result of
/// [`endpoint_string`], otherwise anything between `://` and an `@` is removed.
#[must_use]
pub fn redact_input(input: &str) -> String {
    if let Ok(url) = Url::parse(input)
        && url.has_host()
    {
        return endpoint_string(&url);
    }
    match (input.find("://"), input.rfind('@')) {
        (Some(start), Some(at)) if at > start => {
            format!("{}<redacted>@{}", &input[..start + 3], &input[at + 1..])
        }
        _ => input.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_userinfo_and_secret_params() {
        let url = Url::parse(
            "https://bob:hunter2@s3.example:9000/blob?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA&digest=sha256%3Aab&access_token=zzTOKzz#frag",
        )
        .unwrap();
        let s = endpoint_string(&url);
        assert_eq!(
            s,
            "https://s3.example:9000/blob?X-Amz-Signature=<redacted>&X-Amz-Credential=<redacted>&digest=sha256%3Aab&access_token=<redacted>"
        );
        for secret in ["bob", "hunter2", "deadbeef", "AKIA", "zzTOKzz", "frag"] {
            assert!(!s.contains(secret), "{secret} leaked in {s}");
        }
    }

    #[test]
    fn keeps_plain_urls() {
        let url = Url::parse("http://127.0.0.1:5000/v2/_catalog?n=10&last=a").unwrap();
        assert_eq!(
            endpoint_string(&url),
            "http://127.0.0.1:5000/v2/_catalog?n=10&last=a"
        );
    }

    #[test]
    fn redact_input_handles_unparsable() {
        assert_eq!(redact_input("tcp://u:p@[bad"), "tcp://<redacted>@[bad");
        assert_eq!(redact_input("nonsense"), "nonsense");
        assert!(!redact_input("https://u:pw@host:1/").contains("pw"));
    }
}
