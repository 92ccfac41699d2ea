//! Logging in through a credential helper, against the fakes (`registry-client/mock`).

use registry_client::mock::{MockRegistry, write_credential_helper};
use registry_client::reference::Reference;
use registry_client::{Client, DockerConfig, RetryPolicy};
use sdk_core::CredentialSource;

#[tokio::test]
async fn login_through_a_credential_helper_and_survive_a_503() {
    let registry = MockRegistry::builder()
        .basic_auth("john", "s3cret")
        .start()
        .await;
    let host = registry.host();

    // A docker-credential-test script that knows one entry; config.json points at it.
    let dir = tempfile::tempdir().unwrap();
    write_credential_helper(dir.path(), "test", &[(host.as_str(), "john", "s3cret")]).unwrap();
    let text = format!(r#"{{"credHelpers": {{"{host}": "test"}}}}"#);
    let config = DockerConfig::parse(dir.path().join("config.json"), &text)
        .unwrap()
        .with_helper_dir(dir.path()); // instead of putting dir on PATH
    let (creds, source) = config.credentials_for(&host).unwrap();
    assert_eq!(source, CredentialSource::Helper("test".into()));
    assert_eq!(creds.username(), Some("john"));
    let log = std::fs::read_to_string(dir.path().join("docker-credential-test.log")).unwrap();
    assert_eq!(log.lines().collect::<Vec<_>>(), [format!("get {host}")]);

    let client = Client::builder()
        .docker_config(config)
        .retry(RetryPolicy::new().with_max_attempts(3))
        .build()
        .unwrap();
    registry.fail_nth_with_retry_after(1, 503, 0); // the next request fails once
    client.ping(&host).await.expect("retried after the 503");

    let r: Reference = format!("{host}/dev1johndoe/nginx:latest").parse().unwrap();
    let err = client
        .get_manifest(&r)
        .await
        .expect_err("nothing pushed yet");
    assert!(
        err.to_string().contains("MANIFEST_UNKNOWN") || err.to_string().contains("not found"),
        "{err}"
    );

    // Every request was recorded, with the Authorization header redacted.
    let reqs = registry.requests();
    assert_eq!(
        reqs.iter().filter(|q| q.path == "/v2/").count(),
        3,
        "{reqs:?}"
    );
    assert!(
        reqs.iter()
            .filter_map(|q| q.header("authorization"))
            .all(|h| !h.contains("s3cret"))
    );
}
