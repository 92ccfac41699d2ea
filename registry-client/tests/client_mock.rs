//! wiremock tests of the registry client: auth dance, retries, uploads, digests, limits, redirects,
//! pagination. Every test has a catch-all 500 so an unexpected request fails loudly.

use registry_client::digest::Digest;
use registry_client::reference::Reference;
use registry_client::{Client, Credentials, Error, ErrorCode, RetryPolicy};
use std::time::{Duration, Instant};
use wiremock::matchers::{any, header, method, path, query_param};
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

struct NoAuthorization;
impl Match for NoAuthorization {
    fn matches(&self, r: &Request) -> bool {
        !r.headers.contains_key("authorization")
    }
}

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

fn fast_retry() -> RetryPolicy {
    RetryPolicy::new()
        .with_max_attempts(3)
        .with_base_delay(Duration::from_millis(10))
        .with_max_delay(Duration::from_secs(3))
}

async fn open_ping(s: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/v2/"))
        .respond_with(ResponseTemplate::new(200))
        .mount(s)
        .await;
}

const MANIFEST: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;

fn bearer_challenge(s: &MockServer) -> String {
    format!(
        r#"Bearer realm="{}/token",service="mock-registry""#,
        s.uri()
    )
}

#[tokio::test]
async fn docker_hub_like_token_flow_checks_scopes_and_caches() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("WWW-Authenticate", bearer_challenge(&s).as_str()),
        )
        .expect(1)
        .mount(&s)
        .await;
    // dXNlcjpwYXNz = user:pass
    Mock::given(method("GET"))
        .and(path("/token"))
        .and(query_param("service", "mock-registry"))
        .and(query_param("scope", "repository:team/app:pull"))
        .and(header("authorization", "Basic dXNlcjpwYXNz"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(r#"{"token":"T-pull","expires_in":300}"#),
        )
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/team/app/manifests/v1"))
        .and(header("authorization", "Bearer T-pull"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                .set_body_string(MANIFEST),
        )
        .expect(2)
        .mount(&s)
        .await;
    let c = Client::builder()
        .credentials(&host(&s), Credentials::basic("user", "pass"))
        .build()
        .unwrap();
    let r = reference(&s, "team/app:v1");
    let m = c.get_manifest(&r).await.unwrap();
    assert_eq!(m.bytes, MANIFEST.as_bytes());
    assert_eq!(m.digest, Digest::sha256_of(MANIFEST.as_bytes()));
    // second call: cached token, no new ping or token request (expect(1) above)
    c.get_manifest(&r).await.unwrap();
}

#[tokio::test]
async fn expired_token_rechallenges_once_with_wider_scope() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("WWW-Authenticate", bearer_challenge(&s).as_str()),
        )
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/token"))
        .and(query_param("scope", "repository:team/app:pull,push"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"access_token":"T-old"}"#))
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/token"))
        .and(query_param("scope", "repository:team/app:pull,push"))
        .and(query_param("scope", "repository:other/base:pull"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"token":"T-new"}"#))
        .expect(1)
        .with_priority(2)
        .mount(&s)
        .await;
    // the old token is refused with a challenge that asks for more scope
    let wider = format!(
        r#"Bearer realm="{}/token",service="mock-registry",scope="repository:team/app:pull,push repository:other/base:pull",error="invalid_token""#,
        s.uri()
    );
    Mock::given(method("PUT"))
        .and(path("/v2/team/app/manifests/v1"))
        .and(header("authorization", "Bearer T-old"))
        .respond_with(ResponseTemplate::new(401).insert_header("WWW-Authenticate", wider.as_str()))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v2/team/app/manifests/v1"))
        .and(header("authorization", "Bearer T-new"))
        .and(header(
            "content-type",
            "application/vnd.oci.image.manifest.v1+json",
        ))
        .respond_with(ResponseTemplate::new(201))
        .expect(1)
        .mount(&s)
        .await;
    let c = Client::builder().build().unwrap();
    let m =
        registry_client::manifests::RawManifest::from_bytes(MANIFEST.as_bytes().to_vec()).unwrap();
    let d = c
        .put_manifest(&reference(&s, "team/app:v1"), &m)
        .await
        .unwrap();
    assert_eq!(d, Digest::sha256_of(MANIFEST.as_bytes()));
}

#[tokio::test]
async fn a_second_401_is_an_error_not_a_loop() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("WWW-Authenticate", bearer_challenge(&s).as_str()),
        )
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"token":"T"}"#))
        .expect(2)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/team/app/tags/list"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("WWW-Authenticate", bearer_challenge(&s).as_str())
                .set_body_string(
                    r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
                ),
        )
        .expect(2)
        .mount(&s)
        .await;
    let c = Client::builder().build().unwrap();
    let err = c
        .list_tags(&reference(&s, "team/app"), None)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert!(err.has_code(&ErrorCode::Unauthorized), "{err}");
}

#[tokio::test]
async fn too_many_requests_waits_for_retry_after() {
    let s = server().await;
    open_ping(&s).await;
    Mock::given(method("GET"))
        .and(path("/v2/team/app/tags/list"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .set_body_string(
                    r#"{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}"#,
                ),
        )
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/team/app/tags/list"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(r#"{"name":"team/app","tags":["a"]}"#),
        )
        .expect(1)
        .with_priority(2)
        .mount(&s)
        .await;
    let c = Client::builder().retry(fast_retry()).build().unwrap();
    let t0 = Instant::now();
    let tags = c.list_tags(&reference(&s, "team/app"), None).await.unwrap();
    assert_eq!(tags, ["a"]);
    assert!(
        t0.elapsed() >= Duration::from_millis(950),
        "{:?}",
        t0.elapsed()
    );
}

#[tokio::test]
async fn too_many_requests_gives_typed_error_when_retries_run_out() {
    let s = server().await;
    open_ping(&s).await;
    Mock::given(method("GET"))
        .and(path("/v2/team/app/tags/list"))
        .respond_with(
            ResponseTemplate::new(429).set_body_string(
                r#"{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}"#,
            ),
        )
        .expect(3)
        .mount(&s)
        .await;
    let c = Client::builder().retry(fast_retry()).build().unwrap();
    let err = c
        .list_tags(&reference(&s, "team/app"), None)
        .await
        .unwrap_err();
    assert!(err.has_code(&ErrorCode::TooManyRequests), "{err}");
    assert!(err.to_string().contains("slow down"), "{err}");
}

#[tokio::test]
async fn chunked_upload_resumes_from_upload_status_after_a_5xx() {
    let s = server().await;
    open_ping(&s).await;
    let data: Vec<u8> = (0..25u8).collect();
    let digest = Digest::sha256_of(&data);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("blob");
    std::fs::write(&file, &data).unwrap();
    Mock::given(method("HEAD"))
        .and(path(format!("/v2/team/app/blobs/{digest}")))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/team/app/blobs/uploads/"))
        .respond_with(
            ResponseTemplate::new(202)
                .insert_header("Location", "/v2/team/app/blobs/uploads/u1?state=a")
                .insert_header("OCI-Chunk-Min-Length", "10"),
        )
        .expect(1)
        .mount(&s)
        .await;
    let patch = |range: &'static str, status: u16, n: u64| {
        Mock::given(method("PATCH"))
            .and(path("/v2/team/app/blobs/uploads/u1"))
            .and(header("content-range", range))
            .respond_with(
                ResponseTemplate::new(status)
                    .insert_header("Location", "/v2/team/app/blobs/uploads/u1?state=b"),
            )
            .expect(n)
    };
    patch("0-9", 202, 1).mount(&s).await;
    patch("10-19", 500, 1).mount(&s).await;
    patch("15-24", 202, 1).mount(&s).await;
    // the registry kept 15 bytes of the failed chunk
    Mock::given(method("GET"))
        .and(path("/v2/team/app/blobs/uploads/u1"))
        .respond_with(
            ResponseTemplate::new(204)
                .insert_header("Range", "0-14")
                .insert_header("Location", "/v2/team/app/blobs/uploads/u1?state=c"),
        )
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v2/team/app/blobs/uploads/u1"))
        .and(query_param("digest", digest.as_str()))
        .respond_with(ResponseTemplate::new(201))
        .expect(1)
        .mount(&s)
        .await;
    // chunk size 4 is raised to the registry's minimum of 10
    let c = Client::builder()
        .chunk_size(4)
        .retry(fast_retry())
        .build()
        .unwrap();
    let sent = c
        .push_blob_file(&reference(&s, "team/app"), &digest, &file, 0, 25)
        .await
        .unwrap();
    assert!(sent);
    let bodies: Vec<(String, Vec<u8>)> = s
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.method.as_str() == "PATCH")
        .map(|r| {
            (
                r.headers["content-range"].to_str().unwrap().to_owned(),
                r.body,
            )
        })
        .collect();
    assert_eq!(bodies[2], ("15-24".to_owned(), data[15..25].to_vec()));
}

#[tokio::test]
async fn monolithic_upload_streams_the_file_and_skips_present_blobs() {
    let s = server().await;
    open_ping(&s).await;
    let data = vec![7u8; 3 * 1024 * 1024 + 5];
    let digest = Digest::sha256_of(&data);
    let present = Digest::sha256_of(b"present");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("blob");
    std::fs::write(&file, &data).unwrap();
    Mock::given(method("HEAD"))
        .and(path(format!("/v2/team/app/blobs/{digest}")))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("HEAD"))
        .and(path(format!("/v2/team/app/blobs/{present}")))
        .respond_with(ResponseTemplate::new(200).insert_header("Content-Length", "7"))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/team/app/blobs/uploads/"))
        .respond_with(
            ResponseTemplate::new(202)
                .insert_header("Location", "/v2/team/app/blobs/uploads/u9?_state=x"),
        )
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v2/team/app/blobs/uploads/u9"))
        .and(query_param("_state", "x"))
        .and(query_param("digest", digest.as_str()))
        .and(header("content-length", data.len().to_string().as_str()))
        .respond_with(ResponseTemplate::new(201))
        .expect(1)
        .mount(&s)
        .await;
    let c = Client::builder().build().unwrap();
    let r = reference(&s, "team/app");
    assert!(
        c.push_blob_file(&r, &digest, &file, 0, data.len() as u64)
            .await
            .unwrap()
    );
    assert!(!c.push_blob_file(&r, &present, &file, 0, 7).await.unwrap());
    let put = s
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.method.as_str() == "PUT")
        .unwrap();
    assert_eq!(put.body, data);
}

#[tokio::test]
async fn wrong_blob_digest_from_the_server_is_rejected_and_no_file_is_left() {
    let s = server().await;
    open_ping(&s).await;
    let want = Digest::sha256_of(b"the real content");
    Mock::given(method("GET"))
        .and(path(format!("/v2/team/app/blobs/{want}")))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"tampered content".to_vec()))
        .expect(2)
        .mount(&s)
        .await;
    let c = Client::builder().build().unwrap();
    let r = reference(&s, "team/app");
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("blob");
    let err = c.blob_to_file(&r, &want, None, &target).await.unwrap_err();
    assert!(matches!(err, Error::DigestMismatch { .. }), "{err}");
    assert!(!target.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "temp file left behind"
    );
    // as a stream: the (single) chunk is never handed over, only the error
    use futures_util::StreamExt;
    let mut st = c.blob_stream(&r, &want, None).await.unwrap();
    let first = st.next().await.unwrap();
    assert!(matches!(first, Err(Error::DigestMismatch { .. })));
}

#[tokio::test]
async fn wrong_manifest_digest_is_rejected() {
    let s = server().await;
    open_ping(&s).await;
    let asked = Digest::sha256_of(b"{}");
    Mock::given(method("GET"))
        .and(path(format!("/v2/team/app/manifests/{asked}")))
        .respond_with(ResponseTemplate::new(200).set_body_string(MANIFEST))
        .expect(1)
        .mount(&s)
        .await;
    // a tag whose Docker-Content-Digest disagrees with the body
    Mock::given(method("GET"))
        .and(path("/v2/team/app/manifests/v1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Docker-Content-Digest", asked.as_str())
                .set_body_string(MANIFEST),
        )
        .expect(1)
        .mount(&s)
        .await;
    let c = Client::builder().build().unwrap();
    let r = reference(&s, &format!("team/app@{asked}"));
    assert!(matches!(
        c.get_manifest(&r).await,
        Err(Error::DigestMismatch { .. })
    ));
    let r = reference(&s, "team/app:v1");
    assert!(matches!(
        c.get_manifest(&r).await,
        Err(Error::DigestMismatch { .. })
    ));
}

#[tokio::test]
async fn a_20_mib_manifest_is_refused() {
    let s = server().await;
    open_ping(&s).await;
    let mut big = String::from(r#"{"schemaVersion":2,"layers":[],"pad":""#);
    big.push_str(&"x".repeat(20 * 1024 * 1024));
    big.push_str("\"}");
    Mock::given(method("GET"))
        .and(path("/v2/team/app/manifests/big"))
        .respond_with(ResponseTemplate::new(200).set_body_string(big))
        .expect(1)
        .mount(&s)
        .await;
    let c = Client::builder().build().unwrap();
    let err = c
        .get_manifest(&reference(&s, "team/app:big"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::ManifestTooLarge { limit } if limit == 4 * 1024 * 1024),
        "{err}"
    );
}

#[tokio::test]
async fn cross_host_blob_redirect_does_not_carry_authorization() {
    let s = server().await;
    let storage = server().await;
    let content = b"layer bytes from storage".to_vec();
    let digest = Digest::sha256_of(&content);
    Mock::given(method("GET"))
        .and(path("/v2/"))
        .respond_with(
            ResponseTemplate::new(401).insert_header("WWW-Authenticate", r#"Basic realm="reg""#),
        )
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v2/team/app/blobs/{digest}")))
        .and(header("authorization", "Basic dXNlcjpwYXNz"))
        .respond_with(ResponseTemplate::new(307).insert_header(
            "Location",
            format!("{}/bucket/obj?sig=abc", storage.uri()).as_str(),
        ))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/bucket/obj"))
        .and(query_param("sig", "abc"))
        .and(NoAuthorization)
        .respond_with(ResponseTemplate::new(200).set_body_bytes(content.clone()))
        .expect(1)
        .mount(&storage)
        .await;
    let c = Client::builder()
        .credentials(&host(&s), Credentials::basic("user", "pass"))
        .build()
        .unwrap();
    let got = c
        .blob_bytes(&reference(&s, "team/app"), &digest, 1024)
        .await
        .unwrap();
    assert_eq!(got, content);
}

#[tokio::test]
async fn tags_follow_link_pagination() {
    let s = server().await;
    open_ping(&s).await;
    Mock::given(method("GET"))
        .and(path("/v2/team/app/tags/list"))
        .and(query_param("n", "2"))
        .and(query_param("last", "b"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(r#"{"name":"team/app","tags":["c"]}"#),
        )
        .expect(1)
        .with_priority(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/team/app/tags/list"))
        .and(query_param("n", "2"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Link", r#"</v2/team/app/tags/list?n=2&last=b>; rel="next""#)
                .set_body_string(r#"{"name":"team/app","tags":["a","b"]}"#),
        )
        .expect(1)
        .with_priority(2)
        .mount(&s)
        .await;
    let c = Client::builder().build().unwrap();
    let tags = c
        .list_tags(&reference(&s, "team/app"), Some(2))
        .await
        .unwrap();
    assert_eq!(tags, ["a", "b", "c"]);
}

#[tokio::test]
async fn api_errors_are_typed_and_keep_status_and_endpoint() {
    let s = server().await;
    open_ping(&s).await;
    Mock::given(method("GET"))
        .and(path("/v2/team/app/manifests/nope"))
        .respond_with(ResponseTemplate::new(404).set_body_string(
            r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"nope"}}]}"#,
        ))
        .expect(1)
        .mount(&s)
        .await;
    let c = Client::builder().build().unwrap();
    let err = c
        .get_manifest(&reference(&s, "team/app:nope"))
        .await
        .unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.status, 404);
    assert_eq!(api.errors[0].code, ErrorCode::ManifestUnknown);
    assert!(
        api.endpoint.ends_with("/v2/team/app/manifests/nope"),
        "{}",
        api.endpoint
    );
}

#[tokio::test]
async fn mount_falls_back_when_registry_answers_202() {
    let s = server().await;
    open_ping(&s).await;
    let d = Digest::sha256_of(b"x");
    Mock::given(method("POST"))
        .and(path("/v2/team/app/blobs/uploads/"))
        .and(query_param("mount", d.as_str()))
        .and(query_param("from", "team/base"))
        .respond_with(ResponseTemplate::new(201))
        .expect(1)
        .with_priority(1)
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/team/other/blobs/uploads/"))
        .and(query_param("mount", d.as_str()))
        .respond_with(
            ResponseTemplate::new(202).insert_header("Location", "/v2/team/other/blobs/uploads/z"),
        )
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v2/team/other/blobs/uploads/z"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&s)
        .await;
    let c = Client::builder().build().unwrap();
    let from = reference(&s, "team/base");
    assert!(
        c.mount_blob(&reference(&s, "team/app"), &d, &from)
            .await
            .unwrap()
    );
    assert!(
        !c.mount_blob(&reference(&s, "team/other"), &d, &from)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn secrets_do_not_appear_in_errors_or_debug() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("WWW-Authenticate", bearer_challenge(&s).as_str()),
        )
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_string(r#"{"errors":[{"code":"UNAUTHORIZED","message":"bad creds"}]}"#),
        )
        .mount(&s)
        .await;
    let c = Client::builder()
        .credentials(&host(&s), Credentials::basic("user", "s3cr3t-pw"))
        .build()
        .unwrap();
    let err = c
        .list_tags(&reference(&s, "team/app"), None)
        .await
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains("s3cr3t-pw") && !text.contains("dXNlcjpzM2NyM3QtcHc"),
        "{text}"
    );
    assert!(!format!("{c:?}").contains("s3cr3t-pw"));
}
