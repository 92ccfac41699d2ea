//! Every read from the daemon is bounded: JSON replies (with and without Content-Length), error
//! bodies, event lines, log/exec frames. Over a limit the client stops reading and returns a
//! typed error; nothing past the limit is buffered.

mod common;

use std::time::Duration;

use common::raw::{Script, Then};
use futures_util::StreamExt as _;
use serde_json::json;
use swarm_client::exec::ExecOptions;
use swarm_client::{ApiVersion, Client, Error};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MIB: usize = 1024 * 1024;

async fn server() -> (MockServer, Client) {
    common::wiremock().await
}

fn client_of(endpoint: &str) -> Client {
    Client::builder(endpoint)
        .api_version(ApiVersion::MIN)
        .retry(sdk_core::RetryPolicy::none())
        .build()
        .unwrap()
}

fn too_large(e: &Error, want: &str) -> bool {
    matches!(e, Error::TooLarge { what, .. } if *what == want)
}

#[tokio::test]
async fn a_json_reply_over_16_mib_is_refused_by_its_length() {
    let (server, client) = server().await;
    let mut body = b"[\"".to_vec();
    body.resize(16 * MIB + 10, b'x');
    body.extend_from_slice(b"\"]");
    Mock::given(method("GET"))
        .and(path("/v1.41/services"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/json")
                .set_body_bytes(body),
        )
        .expect(1)
        .mount(&server)
        .await;
    let e = client.service_list(&[]).await.unwrap_err();
    assert!(too_large(&e, "reply body"), "{e:?}");
    assert!(e.to_string().contains("16777216"), "{e}");
}

#[tokio::test]
async fn a_chunked_reply_without_length_stops_at_the_limit() {
    // An endless chunked body: the read must stop near 16 MiB, not run out of memory.
    let chunk = {
        let data = vec![b' '; 64 * 1024];
        let mut c = format!("{:x}\r\n", data.len()).into_bytes();
        c.extend_from_slice(&data);
        c.extend_from_slice(b"\r\n");
        c
    };
    let endpoint = common::raw::start(move |_, _| {
        Script::head(
            "Content-Type: application/json\r\nTransfer-Encoding: chunked",
            b"1\r\n[\r\n",
            Then::Endless(chunk.clone()),
        )
    })
    .await;
    let client = client_of(&endpoint);
    let e = tokio::time::timeout(Duration::from_secs(60), client.service_list(&[]))
        .await
        .expect("the endless reply was read without end")
        .unwrap_err();
    assert!(too_large(&e, "reply body"), "{e:?}");
}

#[tokio::test]
async fn error_bodies_are_read_up_to_64_kib() {
    let (server, client) = server().await;
    let body = "boom ".repeat(MIB); // 5 MiB
    Mock::given(method("DELETE"))
        .and(path("/v1.41/services/web"))
        .respond_with(ResponseTemplate::new(500).set_body_string(body))
        .expect(1)
        .mount(&server)
        .await;
    let e = client.service_remove("web").await.unwrap_err();
    match &e {
        Error::Api {
            status, message, ..
        } => {
            assert_eq!(*status, 500);
            assert!(message.starts_with("boom boom"), "{}", &message[..40]);
            assert!(message.len() <= 64 * 1024 + 64, "{} bytes", message.len());
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_event_line_over_1_mib_is_refused() {
    let (server, client) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1.41/events"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'{'; 2 * MIB]))
        .expect(1)
        .mount(&server)
        .await;
    let mut events = client
        .events(&swarm_client::events::EventFilter::new())
        .await
        .unwrap();
    let e = events.next().await.unwrap().unwrap_err();
    assert!(too_large(&e, "event line"), "{e:?}");
    assert!(
        events.next().await.is_none(),
        "the stream goes on after the error"
    );
}

/// An exec whose output is `frames`, with exit code 0.
async fn exec_server(frames: Vec<u8>) -> (MockServer, Client) {
    let (server, client) = server().await;
    Mock::given(method("POST"))
        .and(path("/v1.41/containers/c1/exec"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"Id": "e1"})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.41/exec/e1/start"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/vnd.docker.multiplexed-stream")
                .set_body_bytes(frames),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.41/exec/e1/json"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"Running": false, "ExitCode": 0})),
        )
        .mount(&server)
        .await;
    (server, client)
}

fn frame(kind: u8, len: u32, data: &[u8]) -> Vec<u8> {
    let mut f = vec![kind, 0, 0, 0];
    f.extend_from_slice(&len.to_be_bytes());
    f.extend_from_slice(data);
    f
}

#[tokio::test]
async fn exec_frames_over_1_mib_are_refused() {
    // A header announcing 4 GiB: refused at the header, nothing more is awaited.
    let (_s, client) = exec_server(frame(1, u32::MAX, b"abc")).await;
    let e = client
        .exec("c1", &ExecOptions::new(["x"]))
        .await
        .unwrap_err();
    assert!(too_large(&e, "stream frame"), "{e:?}");
    // One byte over the limit, sent in full.
    let big = vec![b'y'; MIB + 1];
    let (_s, client) = exec_server(frame(1, u32::try_from(big.len()).unwrap(), &big)).await;
    let e = client
        .exec("c1", &ExecOptions::new(["x"]))
        .await
        .unwrap_err();
    assert!(too_large(&e, "stream frame"), "{e:?}");
    // Exactly at the limit: fine.
    let ok = vec![b'z'; MIB];
    let (_s, client) = exec_server(frame(2, u32::try_from(ok.len()).unwrap(), &ok)).await;
    let r = client.exec("c1", &ExecOptions::new(["x"])).await.unwrap();
    assert_eq!(r.output.stderr.len(), MIB);
    assert_eq!(r.exit_code, 0);
}

#[tokio::test]
async fn exec_output_is_collected_up_to_its_limit() {
    let mut frames = Vec::new();
    for kind in [1, 2, 1] {
        frames.extend(frame(kind, 1000, &[b'o'; 1000]));
    }
    let (_s, client) = exec_server(frames).await;
    let e = client
        .exec("c1", &ExecOptions::new(["x"]).max_output(2500))
        .await
        .unwrap_err();
    assert!(too_large(&e, "exec output"), "{e:?}");
    let r = client
        .exec("c1", &ExecOptions::new(["x"]).max_output(3000))
        .await
        .unwrap();
    assert_eq!((r.output.stdout.len(), r.output.stderr.len()), (2000, 1000));
}

#[tokio::test]
async fn engine_error_bodies_go_through_the_shared_decoder_and_lose_echoed_secrets() {
    // A daemon (or a proxy in front of it) that echoes a credential back in its error: the
    // Engine client decodes errors with sdk-core's one decoder, which redacts it.
    let (server, client) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1.41/services/web"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({
            "message": "proxy refused Authorization: Bearer s3cr3t-token-value for web"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let e = client.service_inspect("web").await.unwrap_err();
    let text = format!("{e} {e:?}");
    assert!(!text.contains("s3cr3t-token-value"), "{text}");
    assert!(text.contains("Bearer <redacted>"), "{text}");
    assert!(matches!(e, Error::Api { status: 500, .. }), "{e:?}");
}
