//! wiremock tests of configs, secrets and networks: each states exactly what it expects, with a
//! catch-all 500 so an unexpected request fails loudly.

mod common;

use std::collections::BTreeMap;

use serde_json::json;
use swarm_client::{Client, Error};
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn server() -> (MockServer, Client) {
    common::wiremock().await
}

fn labels() -> BTreeMap<String, String> {
    [("app".to_owned(), "lb".to_owned())].into()
}

fn objects(names: &[&str]) -> serde_json::Value {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            json!({"ID": format!("id{i}"), "Version": {"Index": 3}, "CreatedAt": "2024-01-01T00:00:00Z",
                   "Spec": {"Name": n, "Labels": null}})
        })
        .collect()
}

#[tokio::test]
async fn config_create_sends_name_labels_and_base64_data() {
    let (server, client) = server().await;
    Mock::given(method("POST"))
        .and(path("/v1.41/configs/create"))
        .and(body_json(
            json!({"Name": "nginx.conf", "Labels": {"app": "lb"}, "Data": "dXNlciByb290Ow=="}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"ID": "cfg1"})))
        .expect(1)
        .mount(&server)
        .await;
    let id = client
        .config_create("nginx.conf", b"user root;", &labels())
        .await
        .unwrap();
    assert_eq!(id, "cfg1");
}

#[tokio::test]
async fn secret_create_conflict_is_typed_and_never_shows_the_data() {
    let (server, client) = server().await;
    Mock::given(method("POST"))
        .and(path("/v1.41/secrets/create"))
        .and(body_json(
            json!({"Name": "db", "Labels": {}, "Data": "aHVudGVyMg=="}),
        ))
        .respond_with(ResponseTemplate::new(409).set_body_json(json!({
            "message": "rpc error: code = AlreadyExists desc = secret db already exists"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let err = client
        .secret_create("db", b"hunter2", &BTreeMap::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err:?}");
    assert!(err.to_string().contains("already exists"), "{err}");
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(
            !text.contains("hunter2") && !text.contains("aHVudGVyMg"),
            "{text}"
        );
    }
}

/// Data over the swarm's limit is refused before anything is sent (the catch-all answers 500
/// and expects no request); data at the limit is sent.
#[tokio::test]
async fn data_over_the_swarm_limit_is_never_sent() {
    use swarm_client::configs::{MAX_CONFIG_DATA, ObjectCreate};
    use swarm_client::secrets::MAX_SECRET_DATA;
    let (server, client) = server().await;
    for kind in ["configs", "secrets"] {
        Mock::given(method("POST"))
            .and(path(format!("/v1.41/{kind}/create")))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({"ID": kind})))
            .expect(2)
            .mount(&server)
            .await;
    }
    let big_secret = vec![b's'; MAX_SECRET_DATA + 1];
    let big_config = vec![b'c'; MAX_CONFIG_DATA + 1];
    let errors = [
        client
            .secret_create("db", &big_secret, &BTreeMap::new())
            .await
            .unwrap_err(),
        client
            .secret_create_with(&ObjectCreate::new("db", big_secret.clone()))
            .await
            .unwrap_err(),
        client
            .config_create("nginx.conf", &big_config, &labels())
            .await
            .unwrap_err(),
        client
            .config_create_with(&ObjectCreate::new("nginx.conf", big_config.clone()))
            .await
            .unwrap_err(),
    ];
    for (e, (k, n, len, lim)) in errors.iter().zip([
        ("secret", "db", MAX_SECRET_DATA + 1, MAX_SECRET_DATA),
        ("secret", "db", MAX_SECRET_DATA + 1, MAX_SECRET_DATA),
        ("config", "nginx.conf", MAX_CONFIG_DATA + 1, MAX_CONFIG_DATA),
        ("config", "nginx.conf", MAX_CONFIG_DATA + 1, MAX_CONFIG_DATA),
    ]) {
        assert!(
            matches!(e, Error::DataTooLarge { kind, name, len: l, limit }
                if *kind == k && name == n && *l == len && *limit == lim),
            "{e:?}"
        );
    }
    assert_eq!(
        client
            .secret_create("db", &big_secret[1..], &BTreeMap::new())
            .await
            .unwrap(),
        "secrets"
    );
    assert_eq!(
        client
            .secret_create_with(&ObjectCreate::new("db", &big_secret[1..]))
            .await
            .unwrap(),
        "secrets"
    );
    assert_eq!(
        client
            .config_create("nginx.conf", &big_config[1..], &labels())
            .await
            .unwrap(),
        "configs"
    );
    assert_eq!(
        client
            .config_create_with(&ObjectCreate::new("nginx.conf", &big_config[1..]))
            .await
            .unwrap(),
        "configs"
    );
}

#[tokio::test]
async fn list_inspect_and_remove_use_their_own_paths() {
    let (server, client) = server().await;
    for kind in ["configs", "secrets"] {
        Mock::given(method("GET"))
            .and(path(format!("/v1.41/{kind}")))
            .and(query_param("filters", r#"{"label":["app=lb"]}"#))
            .respond_with(ResponseTemplate::new(200).set_body_json(objects(&["a", "b"])))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(format!("/v1.41/{kind}/id1")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(objects(&["b"])[0].clone())
                    .insert_header("content-type", "application/json"),
            )
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("DELETE"))
            .and(path(format!("/v1.41/{kind}/id1")))
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("DELETE"))
            .and(path(format!("/v1.41/{kind}/gone")))
            .respond_with(
                ResponseTemplate::new(404).set_body_json(json!({"message": "not found: gone"})),
            )
            .expect(1)
            .mount(&server)
            .await;
    }
    let filters = [("label", "app=lb")];
    let configs = client.config_list(&filters).await.unwrap();
    let secrets = client.secret_list(&filters).await.unwrap();
    for list in [&configs, &secrets] {
        assert_eq!(
            list.iter()
                .map(|o| o.spec.name.as_str())
                .collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert!(list[0].spec.labels.is_empty());
    }
    assert_eq!(client.config_inspect("id1").await.unwrap().spec.name, "b");
    assert_eq!(client.secret_inspect("id1").await.unwrap().version.index, 3);
    client.config_remove("id1").await.unwrap();
    client.secret_remove("id1").await.unwrap();
    assert!(
        client
            .config_remove("gone")
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(
        client
            .secret_remove("gone")
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn id_lookup_takes_the_exact_name_only() {
    let (server, client) = server().await;
    // The daemon's name filter matches prefixes: "web" also lists "web2".
    Mock::given(method("GET"))
        .and(path("/v1.41/configs"))
        .and(query_param("filters", r#"{"name":["web"]}"#))
        .respond_with(ResponseTemplate::new(200).set_body_json(objects(&["web2", "web"])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.41/secrets"))
        .and(query_param("filters", r#"{"name":["web"]}"#))
        .respond_with(ResponseTemplate::new(200).set_body_json(objects(&["web2"])))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(client.config_id("web").await.unwrap(), "id1");
    let err = client.secret_id("web").await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(err.to_string().contains("secret not found: web"), "{err}");
}

#[tokio::test]
async fn networks_list_create_and_remove() {
    let (server, client) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1.41/networks"))
        .and(query_param("filters", r#"{"driver":["overlay"]}"#))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"Name": "ingress", "Id": "n1", "Driver": "overlay", "Scope": "swarm", "Ingress": true,
             "Labels": null, "FutureField": 1}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.41/networks/create"))
        .and(body_json(
            json!({"Name": "backend", "Driver": "overlay", "Attachable": true,
                              "Labels": {"app": "lb"}, "CheckDuplicate": true}),
        ))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"Id": "net9", "Warning": ""})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1.41/networks/net9"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let list = client.network_list(&[("driver", "overlay")]).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0].name.as_str(), list[0].id.as_str()),
        ("ingress", "n1")
    );
    let id = client
        .network_create("backend", "overlay", true, &labels())
        .await
        .unwrap();
    assert_eq!(id, "net9");
    client.network_remove(&id).await.unwrap();
}
