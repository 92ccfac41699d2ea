//! Hostile servers and bad input (issue 11): credentials stay with their own origin and realm,
//! nothing hangs, nothing panics, nothing is lost. Each test fails on the code before its fix.
//!
//! wiremock for what it can express, and a tiny scripted TCP server (`RawServer`) for what it
//! cannot: replies that stop mid-body and connections dropped before any reply.

use registry_client::reference::Reference;
use registry_client::{Client, Credentials, DockerConfig};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn server() -> MockServer {
    let s = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500).set_body_string("unexpected request"))
        .with_priority(u8::MAX)
        .mount(&s)
        .await;
    s
}

fn host(s: &MockServer) -> String {
    s.uri().trim_start_matches("http://").to_owned()
}

fn reference(s: &MockServer, rest: &str) -> Reference {
    Reference::parse(&format!("{}/{rest}", host(s))).unwrap()
}

/// The Debug of a builder and a client holding a docker config shows no secret of it.
#[test]
fn client_debug_never_shows_the_docker_configs_secrets() {
    let cfg = DockerConfig::parse(
        "/home/u/.docker/config.json",
        r#"{"auths": {
            "reg.example": {"auth": "dXNlcjpBVVRILVNFQ1JFVA=="},
            "tok.example": {"identitytoken": "IDENTITY-SECRET"},
            "bear.example": {"registrytoken": "REGISTRY-SECRET"},
            "pw.example": {"username": "carol", "password": "PASSWORD-SECRET"}}}"#,
    )
    .unwrap();
    let builder = Client::builder()
        .docker_config(cfg)
        .credentials("r.example", Credentials::basic("u", "EXPLICIT-SECRET"));
    let shown_builder = format!("{builder:?} {builder:#?}");
    let client = builder.build().unwrap();
    let shown_client = format!("{client:?} {client:#?}");
    for shown in [shown_builder, shown_client] {
        for secret in [
            "dXNlcjpBVVRILVNFQ1JFVA==",
            "IDENTITY-SECRET",
            "REGISTRY-SECRET",
            "PASSWORD-SECRET",
            "EXPLICIT-SECRET",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("/home/u/.docker/config.json"), "{shown}");
    }
}

/// Error replies go through sdk-core's one decoder: the registry form, the Engine form
/// (`{"message":…}`, what proxies in front of registries often send) and text all give a
/// message, cleaned of anything that looks like a credential.
#[tokio::test]
async fn error_replies_in_every_form_give_a_clean_message() {
    use wiremock::matchers::{method, path};
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&s)
        .await;
    let cases = [
        (
            "engine",
            403,
            r#"{"message":"blocked by policy for Authorization: Bearer LEAKED-TOKEN"}"#,
            "blocked by policy",
        ),
        (
            "text",
            502,
            "upstream down; retry at https://x.example/?token=LEAKED-TOKEN",
            "upstream down",
        ),
        (
            "registry",
            404,
            r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#,
            "MANIFEST_UNKNOWN (manifest unknown)",
        ),
    ];
    for (repo, status, body, _) in &cases {
        Mock::given(method("GET"))
            .and(path(format!("/v2/team/{repo}/manifests/1")))
            .respond_with(ResponseTemplate::new(*status).set_body_string(*body))
            .mount(&s)
            .await;
    }
    let c = Client::builder()
        .retry(registry_client::RetryPolicy::none())
        .build()
        .unwrap();
    for (repo, status, _, shown) in cases {
        let err = c
            .get_manifest(&reference(&s, &format!("team/{repo}:1")))
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(status));
        let text = err.to_string();
        assert!(text.contains(shown), "{repo}: {text}");
        assert!(
            !format!("{text} {err:?}").contains("LEAKED-TOKEN"),
            "{repo}: {err:?}"
        );
    }
}
