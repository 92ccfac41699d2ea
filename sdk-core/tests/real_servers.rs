//! sdk-core against the real servers `scripts/test` starts (a dockerd, an htpasswd registry).

use sdk_core::{CredentialSource, Credentials, DockerConfig, Endpoint, Idempotent, Transport};
use std::os::unix::fs::PermissionsExt as _;

fn env(name: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| {
            panic!("{name} is not set: run scripts/test (it starts the real servers)")
        })
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn ping_and_version_over_the_dockerd_unix_socket() {
    let endpoint: Endpoint = env("DOCKWRIGHT_TEST_DOCKER_HOST").parse().unwrap();
    assert!(endpoint.unix_socket().is_some(), "expected a unix:// host");
    let transport = Transport::builder(endpoint).build().unwrap();

    let ping = transport.url("/_ping").unwrap();
    let resp = transport
        .send(|c| c.get(ping.clone()), Idempotent::ByMethod)
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().contains_key("api-version"));
    assert_eq!(resp.text().await.unwrap(), "OK");

    let version = transport.url("/version").unwrap();
    let resp = transport
        .send(|c| c.get(version.clone()), Idempotent::ByMethod)
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    let api = body["ApiVersion"].as_str().expect("ApiVersion in /version");
    assert!(api.starts_with("1."), "{api}");
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn htpasswd_registry_with_credentials_from_a_cred_helper() {
    let registry = env("DOCKWRIGHT_TEST_AUTH_REGISTRY");
    let user = env("DOCKWRIGHT_TEST_REGISTRY_USER");
    let password = env("DOCKWRIGHT_TEST_REGISTRY_PASSWORD");

    // A config dir whose config.json sends this registry to docker-credential-dwreal, a script
    // that answers the protocol's `get` with the test credentials for exactly this server.
    let dir = tempfile::tempdir().unwrap();
    let helper = dir.path().join("docker-credential-dwreal");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\n[ \"$1\" = get ] || exit 2\nread -r url\n[ \"$url\" = '{registry}' ] || {{ echo 'credentials not found in native keychain'; exit 1; }}\nprintf '%s' '{{\"ServerURL\":\"{registry}\",\"Username\":\"{user}\",\"Secret\":\"{password}\"}}'\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config_path = dir.path().join("config.json");
    std::fs::write(
        &config_path,
        format!(r#"{{"credHelpers": {{"{registry}": "dwreal"}}}}"#),
    )
    .unwrap();

    let config = DockerConfig::load_from(&config_path)
        .unwrap()
        .with_helper_dir(dir.path());
    let (creds, source) = config.credentials_for(&registry).unwrap();
    assert_eq!(source, CredentialSource::Helper("dwreal".into()));
    let Credentials::Basic {
        username,
        password: secret,
    } = creds
    else {
        panic!("expected basic credentials, got {creds:?}");
    };
    assert_eq!(username, user);

    let endpoint: Endpoint = format!("http://{registry}").parse().unwrap();
    let transport = Transport::builder(endpoint).build().unwrap();
    let url = transport.url("/v2/").unwrap();

    let resp = transport
        .send(|c| c.get(url.clone()), Idempotent::ByMethod)
        .await
        .unwrap();
    assert_eq!(resp.status(), 401, "anonymous /v2/ must be refused");
    let challenge = resp.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.starts_with("Basic"), "{challenge}");

    let resp = transport
        .send(
            |c| {
                c.get(url.clone())
                    .basic_auth(&username, Some(secret.expose_secret()))
            },
            Idempotent::ByMethod,
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    // And a wrong password is refused (the 200 above is not a fluke of the server).
    let resp = transport
        .send(
            |c| c.get(url.clone()).basic_auth(&username, Some("wrong")),
            Idempotent::ByMethod,
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

/// An `openssl s_server` requiring client certificates, stopped on drop.
struct TlsServer {
    child: std::process::Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn openssl(dir: &std::path::Path, args: &[&str]) {
    let out = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is needed: run scripts/test (it installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate (ca.pem, cert.pem,
/// key.pem: the DOCKER_CERT_PATH layout), and a TLS server that demands the client certificate.
fn start_tls_server() -> TlsServer {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut args = vec!["req", "-x509"];
    args.extend(ec);
    args.extend([
        "-keyout",
        "ca-key.pem",
        "-out",
        "ca.pem",
        "-days",
        "1",
        "-subj",
        "/CN=dw-sdk-test-ca",
    ]);
    openssl(d, &args);
    std::fs::write(d.join("server.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    std::fs::write(d.join("client.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
    for (name, key, ext) in [
        ("server", "server-key.pem", "server.ext"),
        ("cert", "key.pem", "client.ext"),
    ] {
        let csr = format!("{name}.csr");
        let mut args = vec!["req"];
        args.extend(ec);
        args.extend(["-keyout", key, "-out", &csr, "-subj", "/CN=127.0.0.1"]);
        openssl(d, &args);
        let pem = format!("{name}.pem");
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca-key.pem",
                "-CAcreateserial",
                "-out",
                &pem,
                "-days",
                "1",
                "-extfile",
                ext,
            ],
        );
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new("openssl")
        .args([
            "s_server",
            "-accept",
            &format!("127.0.0.1:{port}"),
            "-cert",
            "server.pem",
            "-key",
            "server-key.pem",
            "-CAfile",
            "ca.pem",
            "-Verify",
            "1",
            "-www",
            "-quiet",
        ])
        .current_dir(d)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("openssl s_server");
    let server = TlsServer { child, port, dir };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return server;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("openssl s_server did not start");
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn tls_with_docker_cert_path_and_certs_d() {
    use sdk_core::{ClientOptions, Error, RetryPolicy, TlsConfig, registry_http_client};
    let server = start_tls_server();
    let certs = server.dir.path();
    let host = format!("tcp://127.0.0.1:{}", server.port);
    let lookup = |k: &str| match k {
        "DOCKER_HOST" => Some(host.clone()),
        "DOCKER_TLS_VERIFY" => Some("1".to_owned()),
        "DOCKER_CERT_PATH" => Some(certs.display().to_string()),
        _ => None,
    };
    let endpoint = Endpoint::from_env_with(lookup).unwrap();
    assert!(endpoint.is_tls());
    let transport = Transport::builder(endpoint.clone())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let url = transport.url("/").unwrap();
    assert_eq!(url.scheme(), "https");
    let resp = transport
        .send(|c| c.get(url.clone()), Idempotent::ByMethod)
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("s_server"));
    // openssl s_server serves one connection at a time: close the pooled one.
    drop(transport);

    // Without the client certificate the server refuses the handshake.
    let no_client = Transport::builder(endpoint.clone())
        .tls(TlsConfig::new().ca_file(certs.join("ca.pem")))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let err = no_client
        .send(
            |c| {
                c.get(url.clone())
                    .timeout(std::time::Duration::from_secs(10))
            },
            Idempotent::ByMethod,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Connect { .. } | Error::Request { .. }),
        "{err:?}"
    );
    // Without our CA the server's certificate is not trusted.
    let no_ca = Transport::builder(endpoint)
        .tls(TlsConfig::new().client_identity(certs.join("cert.pem"), certs.join("key.pem")))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let err = no_ca
        .send(
            |c| {
                c.get(url.clone())
                    .timeout(std::time::Duration::from_secs(10))
            },
            Idempotent::ByMethod,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Connect { .. } | Error::Request { .. }),
        "{err:?}"
    );

    // The same material in dockerd's certs.d layout for a registry client.
    let root = tempfile::tempdir().unwrap();
    let reg = format!("127.0.0.1:{}", server.port);
    let dir = root.path().join(&reg);
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(certs.join("ca.pem"), dir.join("ca.crt")).unwrap();
    std::fs::copy(certs.join("cert.pem"), dir.join("client.cert")).unwrap();
    std::fs::copy(certs.join("key.pem"), dir.join("client.key")).unwrap();
    let client = registry_http_client(&reg, &ClientOptions::new().certs_dir(root.path())).unwrap();
    let resp = client.get(format!("https://{reg}/")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    drop(resp);
    drop(client); // s_server serves one connection at a time

    // TLS is verified by default: without the CA in certs.d the registry is not trusted.
    let empty = tempfile::tempdir().unwrap();
    let client = registry_http_client(&reg, &ClientOptions::new().certs_dir(empty.path())).unwrap();
    let err = client
        .get(format!("https://{reg}/"))
        .timeout(std::time::Duration::from_secs(10))
        .send()
        .await
        .unwrap_err();
    let chain = format!("{err:?}");
    assert!(
        !err.is_timeout() && chain.contains("UnknownIssuer"),
        "{chain}"
    );
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn docker_tls_without_verify_skips_only_the_server_check() {
    use sdk_core::{Error, RetryPolicy};
    let server = start_tls_server();
    // A cert path with the client certificate but no CA the server's certificate chains to.
    let certs = tempfile::tempdir().unwrap();
    for f in ["cert.pem", "key.pem"] {
        std::fs::copy(server.dir.path().join(f), certs.path().join(f)).unwrap();
    }
    let host = format!("tcp://127.0.0.1:{}", server.port);
    let path = certs.path().display().to_string();
    let get = |verify_var: &'static str| {
        let endpoint = Endpoint::from_env_with(|k| match k {
            "DOCKER_HOST" => Some(host.clone()),
            "DOCKER_CERT_PATH" => Some(path.clone()),
            k if k == verify_var => Some("1".to_owned()),
            _ => None,
        })
        .unwrap();
        async move {
            let transport = Transport::builder(endpoint)
                .retry(RetryPolicy::none())
                .build()
                .unwrap();
            let url = transport.url("/").unwrap();
            let r = transport
                .send(
                    |c| {
                        c.get(url.clone())
                            .timeout(std::time::Duration::from_secs(10))
                    },
                    Idempotent::ByMethod,
                )
                .await;
            match r {
                Ok(resp) => Ok((resp.status().as_u16(), resp.text().await.unwrap())),
                Err(e) => Err(e),
            }
        }
    };
    // DOCKER_TLS: the unknown CA does not matter, the client certificate is still presented
    // (the server demands it).
    let (status, body) = get("DOCKER_TLS").await.unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("s_server"), "{body}");
    // DOCKER_TLS_VERIFY with the same files: the server is not trusted.
    let err = get("DOCKER_TLS_VERIFY").await.unwrap_err();
    assert!(
        matches!(err, Error::Connect { .. } | Error::Request { .. }),
        "{err:?}"
    );
}
