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

/// `/v2/` answers 401 with the Bearer challenge of [`bearer_challenge`].
async fn bearer_ping(s: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/v2/"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("WWW-Authenticate", bearer_challenge(s).as_str()),
        )
        .mount(s)
        .await;
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
    bearer_ping(&s).await;
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
    bearer_ping(&s).await;
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
    bearer_ping(&s).await;
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

#[tokio::test]
async fn blob_exists_reports_the_size_from_the_head_reply() {
    let s = server().await;
    open_ping(&s).await;
    let data = vec![7u8; 1234];
    let d = Digest::sha256_of(&data);
    Mock::given(method("HEAD"))
        .and(path(format!("/v2/team/app/blobs/{d}")))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Docker-Content-Digest", d.as_str())
                .set_body_bytes(data.clone()),
        )
        .mount(&s)
        .await;
    let missing = Digest::sha256_of(b"missing");
    Mock::given(method("HEAD"))
        .and(path(format!("/v2/team/app/blobs/{missing}")))
        .respond_with(ResponseTemplate::new(404))
        .mount(&s)
        .await;
    let c = Client::builder().build().unwrap();
    let r = reference(&s, "team/app");
    assert_eq!(c.blob_exists(&r, &d).await.unwrap(), Some(1234));
    assert_eq!(c.blob_exists(&r, &missing).await.unwrap(), None);
}

#[cfg(feature = "mock")]
#[tokio::test]
async fn a_dropped_blob_download_resumes_with_range_from_the_bytes_received() {
    use registry_client::mock::MockRegistry;
    let reg = MockRegistry::start().await;
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let d: Digest = reg.put_blob("resume/app", data.clone()).parse().unwrap();
    let c = Client::builder().retry(fast_retry()).build().unwrap();
    let r = Reference::parse(&format!("{}/resume/app", reg.host())).unwrap();
    c.ping(&reg.host()).await.unwrap(); // so that the next request is the blob GET
    reg.clear_requests();
    reg.drop_connection_nth(1);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("blob");
    let n = c
        .blob_to_file(&r, &d, Some(data.len() as u64), &out)
        .await
        .unwrap();
    assert_eq!(n, data.len() as u64);
    assert_eq!(std::fs::read(&out).unwrap(), data);
    let gets: Vec<_> = reg
        .requests()
        .into_iter()
        .filter(|q| q.method == "GET" && q.path.contains("/blobs/"))
        .collect();
    assert_eq!(gets.len(), 2, "{gets:?}");
    let range = gets[1]
        .headers
        .iter()
        .find(|(k, _)| k == "range")
        .map(|(_, v)| v.clone())
        .expect("the second GET carries Range");
    let from: u64 = range
        .strip_prefix("bytes=")
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("bad Range {range:?}"));
    assert!(
        from > 0 && from < data.len() as u64,
        "resumed from {from}, not from the start"
    );
    // only the blob is left in the directory (no temp file)
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[tokio::test]
async fn identity_token_uses_the_oauth2_refresh_token_post() {
    use wiremock::matchers::body_string_contains;
    let s = server().await;
    bearer_ping(&s).await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string_contains("grant_type=refresh_token"))
        .and(body_string_contains("refresh_token=id-tok-123"))
        .and(body_string_contains("service=mock-registry"))
        .and(body_string_contains("scope=repository%3Ateam%2Fapp%3Apull"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"{"access_token":"A-from-refresh","expires_in":300}"#),
        )
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/team/app/manifests/v1"))
        .and(header("authorization", "Bearer A-from-refresh"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                .set_body_string(MANIFEST),
        )
        .expect(1)
        .mount(&s)
        .await;
    let creds = Credentials::IdentityToken {
        username: Some("john".into()),
        token: "id-tok-123".into(),
    };
    let c = Client::builder()
        .credentials(&host(&s), creds)
        .build()
        .unwrap();
    let m = c.get_manifest(&reference(&s, "team/app:v1")).await.unwrap();
    assert_eq!(m.bytes, MANIFEST.as_bytes());
    assert!(!format!("{c:?}").contains("id-tok-123"));
}

#[tokio::test]
async fn catalog_follows_link_pages() {
    let s = server().await;
    open_ping(&s).await;
    Mock::given(method("GET"))
        .and(path("/v2/_catalog"))
        .and(query_param("last", "b/two"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"repositories":["c/three"]}"#))
        .with_priority(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/_catalog"))
        .and(query_param("n", "2"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Link", r#"</v2/_catalog?n=2&last=b%2Ftwo>; rel="next""#)
                .set_body_string(r#"{"repositories":["a/one","b/two"]}"#),
        )
        .with_priority(2)
        .mount(&s)
        .await;
    let c = Client::builder().build().unwrap();
    let repos = c.catalog(&host(&s), Some(2)).await.unwrap();
    assert_eq!(repos, ["a/one", "b/two", "c/three"]);
}

/// An index for linux/amd64 and linux/arm64/v8, each image with its own config.
async fn mount_index(s: &MockServer) -> (Digest, Digest) {
    let mut children = Vec::new();
    for (arch, variant) in [("amd64", ""), ("arm64", "v8")] {
        let config = format!(r#"{{"architecture":"{arch}","os":"linux"}}"#);
        let cd = Digest::sha256_of(config.as_bytes());
        Mock::given(method("GET"))
            .and(path(format!("/v2/team/multi/blobs/{cd}")))
            .respond_with(ResponseTemplate::new(200).set_body_string(config.clone()))
            .mount(s)
            .await;
        let m = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{cd}","size":{}}},"layers":[]}}"#,
            config.len()
        );
        let md = Digest::sha256_of(m.as_bytes());
        Mock::given(method("GET"))
            .and(path(format!("/v2/team/multi/manifests/{md}")))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                    .set_body_string(m.clone()),
            )
            .mount(s)
            .await;
        let variant = if variant.is_empty() {
            String::new()
        } else {
            format!(r#","variant":"{variant}""#)
        };
        children.push((
            md.clone(),
            format!(
                r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{md}","size":{},"platform":{{"os":"linux","architecture":"{arch}"{variant}}}}}"#,
                m.len()
            ),
        ));
    }
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{},{}]}}"#,
        children[0].1, children[1].1
    );
    Mock::given(method("GET"))
        .and(path("/v2/team/multi/manifests/v1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Content-Type", "application/vnd.oci.image.index.v1+json")
                .set_body_string(index),
        )
        .mount(s)
        .await;
    (children[0].0.clone(), children[1].0.clone())
}

#[tokio::test]
async fn pull_selects_the_platform_from_a_multi_platform_index() {
    use registry_client::pull::Platform;
    let s = server().await;
    open_ping(&s).await;
    let (amd64, arm64) = mount_index(&s).await;
    let c = Client::builder().build().unwrap();
    let r = reference(&s, "team/multi:v1");
    let dir = tempfile::tempdir().unwrap();
    let arm: Platform = "linux/arm64/v8".parse().unwrap();
    let rep = c.pull(&r, dir.path(), Some(&arm)).await.unwrap();
    assert_eq!(rep.digest, arm64);
    let layout = registry_client::image::OciLayout::open(dir.path()).unwrap();
    let img = layout.image(Some("v1")).unwrap();
    assert_eq!(img.manifest.digest, arm64);
    assert!(
        std::fs::read_to_string(&img.config.path)
            .unwrap()
            .contains("arm64")
    );
    // default: linux/amd64
    let dir2 = tempfile::tempdir().unwrap();
    assert_eq!(c.pull(&r, dir2.path(), None).await.unwrap().digest, amd64);
    // a platform the index lacks is a typed error naming what is there
    let err = c
        .pull(&r, dir2.path(), Some(&"linux/s390x".parse().unwrap()))
        .await
        .unwrap_err();
    match err {
        Error::PlatformNotFound {
            platform,
            available,
        } => {
            assert_eq!(platform, "linux/s390x");
            assert!(available.contains("linux/arm64"), "{available}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn push_blob_bytes_uses_one_post_or_finishes_a_202_with_put() {
    let s = server().await;
    open_ping(&s).await;
    let data = bytes::Bytes::from_static(b"small config blob");
    let d = Digest::sha256_of(&data);
    Mock::given(method("POST"))
        .and(path("/v2/team/one/blobs/uploads/"))
        .and(query_param("digest", d.as_str()))
        .and(wiremock::matchers::body_bytes(data.to_vec()))
        .respond_with(ResponseTemplate::new(201))
        .expect(1)
        .mount(&s)
        .await;
    // a registry that ignores ?digest= on POST and opens a session instead
    Mock::given(method("POST"))
        .and(path("/v2/team/two/blobs/uploads/"))
        .respond_with(
            ResponseTemplate::new(202)
                .insert_header("Location", "/v2/team/two/blobs/uploads/u1?_state=x"),
        )
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v2/team/two/blobs/uploads/u1"))
        .and(query_param("_state", "x"))
        .and(query_param("digest", d.as_str()))
        .and(wiremock::matchers::body_bytes(data.to_vec()))
        .respond_with(ResponseTemplate::new(201))
        .expect(1)
        .mount(&s)
        .await;
    let c = Client::builder().build().unwrap();
    c.push_blob_bytes(&reference(&s, "team/one"), &d, data.clone())
        .await
        .unwrap();
    c.push_blob_bytes(&reference(&s, "team/two"), &d, data)
        .await
        .unwrap();
}

#[tokio::test]
async fn pushing_something_that_is_no_image_is_a_typed_error_before_any_request() {
    use registry_client::image::ImageError;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.json"), "{}").unwrap();
    let not_tar = dir.path().join("file.tar");
    std::fs::write(&not_tar, [0x1f, 0x8b, 0, 0]).unwrap();
    // port 9 (discard) on loopback: any request would fail with a transport error instead
    let c = Client::builder().build().unwrap();
    let r = Reference::parse("127.0.0.1:9/team/app:v1").unwrap();
    for (source, want) in [
        (dir.path(), "no oci-layout file"),
        (not_tar.as_path(), "gzip"),
    ] {
        let err = c.push(source, &r).await.unwrap_err();
        let Error::Image(inner) = &err else {
            panic!("{err:?}")
        };
        let image_err = inner.downcast_ref::<ImageError>().expect("an ImageError");
        assert!(
            matches!(image_err, ImageError::InvalidLayout(m) if m.contains(want)),
            "{image_err:?}"
        );
    }
}
