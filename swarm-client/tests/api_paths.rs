//! IDs and names given to the client (or returned by a server) always stay one path segment:
//! wiremock sees the percent-encoded segment, no query or extra segment can be smuggled in, and
//! values that a server would resolve as a dot segment are refused before any request is sent.

mod common;

use serde_json::json;
use swarm_client::models::NodeSpec;
use swarm_client::{Client, Error};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn server() -> (MockServer, Client) {
    common::wiremock().await
}

/// The path and query of the only request the server received.
async fn only_request(server: &MockServer) -> (String, Option<String>) {
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    (
        reqs[0].url.path().to_owned(),
        reqs[0].url.query().map(str::to_owned),
    )
}

fn object(id: &str) -> serde_json::Value {
    json!({"ID": id, "Version": {"Index": 3}, "CreatedAt": "2024-01-01T00:00:00Z",
           "Spec": {"Name": "x", "Labels": null}})
}

#[tokio::test]
async fn node_remove_cannot_smuggle_force() {
    let (server, client) = server().await;
    Mock::given(method("DELETE"))
        .and(path("/v1.41/nodes/N%3Fforce%3Dtrue"))
        .and(query_param("force", "false"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    client.node_remove("N?force=true", false).await.unwrap();
    let (p, q) = only_request(&server).await;
    assert_eq!(p, "/v1.41/nodes/N%3Fforce%3Dtrue");
    assert_eq!(q.as_deref(), Some("force=false"));
}

#[tokio::test]
async fn names_with_reserved_characters_are_percent_encoded() {
    let cases: &[(&str, &str)] = &[
        ("web#frag", "/v1.41/services/web%23frag"),
        ("a b%2e", "/v1.41/services/a%20b%252e"),
        ("caf\u{e9}", "/v1.41/services/caf%C3%A9"),
        ("x;y=1&z", "/v1.41/services/x%3By%3D1%26z"),
        ("Ok-1.2_3~", "/v1.41/services/Ok-1.2_3~"),
    ];
    for (name, want) in cases {
        let (server, client) = server().await;
        Mock::given(method("GET"))
            .and(path(*want))
            .respond_with(ResponseTemplate::new(404).set_body_json(json!({"message": "nope"})))
            .expect(1)
            .mount(&server)
            .await;
        let e = client.service_inspect(name).await.unwrap_err();
        assert!(e.is_not_found(), "{name:?}: {e}");
        let (p, q) = only_request(&server).await;
        assert_eq!(&p, want, "{name:?}");
        assert_eq!(q.as_deref(), Some("insertDefaults=false"), "{name:?}");
    }
}

#[tokio::test]
async fn every_id_taking_call_encodes_its_segment() {
    let (server, client) = server().await;
    let spec: NodeSpec = serde_json::from_value(json!({"Role": "worker"})).unwrap();
    for (m, p, body) in [
        (
            "GET",
            "/v1.41/nodes/n%3Fx",
            json!({"ID": "n1", "Version": {"Index": 1}}),
        ),
        ("POST", "/v1.41/nodes/n%3Fx/update", json!({})),
        ("GET", "/v1.41/tasks/t%3Fx", json!({"ID": "t1"})),
        ("GET", "/v1.41/secrets/s%3Fx", object("s1")),
        ("DELETE", "/v1.41/secrets/s%3Fx", json!({})),
        ("GET", "/v1.41/configs/c%3Fx", object("c1")),
        ("DELETE", "/v1.41/configs/c%3Fx", json!({})),
        ("DELETE", "/v1.41/networks/w%3Fx", json!({})),
        ("DELETE", "/v1.41/services/v%3Fx", json!({})),
        (
            "POST",
            "/v1.41/services/v%3Fx/update",
            json!({"Warnings": null}),
        ),
        (
            "GET",
            "/v1.41/distribution/127.0.0.1%3A5000/web%3A1/json",
            json!({"Descriptor": {"digest": "sha256:00"}}),
        ),
    ] {
        Mock::given(method(m))
            .and(path(p))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .expect(1)
            .mount(&server)
            .await;
    }
    client.node_inspect("n?x").await.unwrap();
    client.node_update_spec("n?x", 1, &spec).await.unwrap();
    client.task_inspect("t?x").await.unwrap();
    client.secret_inspect("s?x").await.unwrap();
    client.secret_remove("s?x").await.unwrap();
    client.config_inspect("c?x").await.unwrap();
    client.config_remove("c?x").await.unwrap();
    client.network_remove("w?x").await.unwrap();
    client.service_remove("v?x").await.unwrap();
    client
        .service_update_spec("v?x", 3, &json!({}), &Default::default())
        .await
        .unwrap();
    assert_eq!(
        client
            .distribution_digest("127.0.0.1:5000/web:1", None)
            .await
            .unwrap(),
        "sha256:00"
    );
    // Every query is the call's own.
    for r in server.received_requests().await.unwrap() {
        let q = r.url.query().unwrap_or("");
        assert!(
            [
                "",
                "insertDefaults=false",
                "version=1",
                "version=3",
                "force=false"
            ]
            .contains(&q),
            "{} {}?{q}",
            r.method,
            r.url.path()
        );
    }
}

#[tokio::test]
async fn dot_segments_and_slashes_are_refused_before_any_request() {
    // The catch-all of `common::wiremock` expects no request at all.
    let (_server, client) = server().await;
    for bad in [
        "..",
        ".",
        "",
        "../secrets/ID",
        "a/../b",
        "a/b",
        "/x",
        "%2e%2e",
        "%2E.",
        ".%2e",
        "%2e",
        "x%2Fy",
    ] {
        let errs = [
            client.service_remove(bad).await.unwrap_err(),
            client.service_inspect(bad).await.unwrap_err(),
            client.node_remove(bad, true).await.unwrap_err(),
            client.node_inspect(bad).await.map(|_| ()).unwrap_err(),
            client.secret_remove(bad).await.unwrap_err(),
            client.config_inspect(bad).await.map(|_| ()).unwrap_err(),
            client.network_remove(bad).await.unwrap_err(),
            client.task_inspect(bad).await.map(|_| ()).unwrap_err(),
        ];
        for e in errs {
            assert!(
                matches!(&e, Error::InvalidArgument { message, .. } if message.contains(&format!("{bad:?}"))),
                "{bad:?}: {e:?}"
            );
        }
    }
    // An image reference spans segments, but none of them may be a dot segment.
    for bad in [
        "../../secrets/x/..",
        "a//b",
        "127.0.0.1:5000/./x",
        "x/%2e%2e/y",
        "",
    ] {
        let e = client.distribution_digest(bad, None).await.unwrap_err();
        assert!(
            matches!(&e, Error::InvalidArgument { message, .. } if message.contains(&format!("{bad:?}"))),
            "{bad:?}: {e:?}"
        );
    }
}

#[tokio::test]
async fn an_exec_id_from_the_server_cannot_redirect_the_next_request() {
    let (server, client) = server().await;
    Mock::given(method("POST"))
        .and(path("/v1.41/containers/c1/exec"))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"Id": "../containers/c1/kill"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let e = client
        .exec("c1", &swarm_client::exec::ExecOptions::new(["true"]))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidArgument { message, .. } if message.contains("../containers/c1/kill")),
        "{e:?}"
    );
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn dockerd_decodes_the_encoded_segments() {
    // The image reference is sent as `127.0.0.1%3APORT/…/busybox%3Atag`: dockerd decodes it
    // and finds the image; a hostile name is just a name it does not know.
    let client = common::manager().await;
    let image = common::image();
    let digest = client.distribution_digest(&image, None).await.unwrap();
    assert!(digest.starts_with("sha256:"), "{digest}");
    let e = client.service_inspect("no such?x=1#y").await.unwrap_err();
    assert!(
        matches!(&e, Error::NotFound { message, .. } if message.contains("no such?x=1#y")),
        "{e:?}"
    );
    let e = client.node_remove("N?force=true", false).await.unwrap_err();
    assert!(
        matches!(&e, Error::NotFound { message, .. } if message.contains("N?force=true")),
        "{e:?}"
    );
}
