//! Real-server tests of configs, secrets and networks on the swarm of scripts/test: what a
//! service task sees of a config and a secret, removal while in use, overlay networks. Every
//! object is removed by a Drop guard, even when a test fails.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{ObjectGuard, ServiceGuard, httpd_spec, image, manager, unique};
use serde_json::json;
use swarm_client::converge::WaitOptions;
use swarm_client::services::{CreateOptions, LogsOptions};
use swarm_client::stream::collect;

fn labels(test: &str) -> BTreeMap<String, String> {
    [("dockwright.test".to_owned(), test.to_owned())].into()
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn config_and_secret_reach_the_task() {
    let c = manager().await;
    let cname = unique("cfg");
    let sname = unique("sec");
    let _gc = ObjectGuard::new("config", &cname);
    let _gs = ObjectGuard::new("secret", &sname);
    let cfg = c
        .config_create(
            &cname,
            b"upstream lb { server 127.0.0.1:1; }\n",
            &labels("cfg"),
        )
        .await
        .unwrap();
    let sec = c
        .secret_create(&sname, b"s3cr3t-value\n", &labels("sec"))
        .await
        .unwrap();

    // List, inspect and the exact-name lookup.
    let listed = c.config_list(&[("name", &cname)]).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, cfg);
    assert_eq!(listed[0].spec.labels, labels("cfg"));
    assert_eq!(c.config_inspect(&cfg).await.unwrap().spec.name, cname);
    assert_eq!(c.config_id(&cname).await.unwrap(), cfg);
    assert_eq!(c.secret_id(&sname).await.unwrap(), sec);
    assert!(
        c.secret_list(&[("label", "dockwright.test=sec")])
            .await
            .unwrap()
            .iter()
            .any(|s| s.id == sec)
    );
    assert!(
        c.secret_id(&format!("{sname}-nope"))
            .await
            .unwrap_err()
            .is_not_found()
    );
    // A second object with the same name is a typed conflict.
    let err = c
        .config_create(&cname, b"x", &BTreeMap::new())
        .await
        .unwrap_err();
    assert!(
        matches!(err, swarm_client::Error::Conflict { .. }),
        "{err:?}"
    );

    // A task sees both files.
    let name = unique("cfgsvc");
    let _svc = ServiceGuard::new(&name);
    let mut spec = httpd_spec(&name, &image(), 1);
    let cs = &mut spec["TaskTemplate"]["ContainerSpec"];
    cs["Command"] = json!([
        "sh",
        "-c",
        "cat /etc/lb.conf /run/secrets/db; exec sleep 3600"
    ]);
    cs["Configs"] = json!([{"ConfigID": cfg, "ConfigName": cname,
        "File": {"Name": "/etc/lb.conf", "UID": "0", "GID": "0", "Mode": 0o444}}]);
    cs["Secrets"] = json!([{"SecretID": sec, "SecretName": sname,
        "File": {"Name": "db", "UID": "0", "GID": "0", "Mode": 0o400}}]);
    let created = c
        .service_create(&spec, &CreateOptions::new())
        .await
        .unwrap();
    c.wait_converged(
        &created.id,
        WaitOptions::new()
            .window(Duration::from_millis(300))
            .timeout(Duration::from_secs(60)),
    )
    .await
    .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let out = collect(
            c.service_logs(&created.id, &LogsOptions::new().tail("all"))
                .await
                .unwrap(),
        )
        .await
        .unwrap();
        let text = out.stdout_str();
        if text.contains("upstream lb { server 127.0.0.1:1; }") && text.contains("s3cr3t-value") {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "logs: {text:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // In use: removal is refused with a typed error; after the service is gone it works.
    let err = c.config_remove(&cfg).await.unwrap_err();
    assert!(
        matches!(
            err,
            swarm_client::Error::Conflict { .. } | swarm_client::Error::Api { .. }
        ) && err.to_string().contains("in use"),
        "{err:?}"
    );
    c.service_remove(&created.id).await.unwrap();
    c.config_remove(&cfg).await.unwrap();
    c.secret_remove(&sec).await.unwrap();
    assert!(c.config_inspect(&cfg).await.unwrap_err().is_not_found());
    assert!(c.secret_inspect(&sec).await.unwrap_err().is_not_found());
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn overlay_network_create_list_remove() {
    // Only stored: nothing attaches to it, so no traffic ever uses its (private) subnet.
    let c = manager().await;
    let name = unique("net");
    let _g = ObjectGuard::new("network", &name);
    let id = c
        .network_create(&name, "overlay", true, &labels("net"))
        .await
        .unwrap();
    let listed = c.network_list(&[("name", &name)]).await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].id, id);
    // dockerd lists the network at once but fills Driver only once the swarm allocator has
    // processed it; wait for that (bounded) rather than assert on the in-between moment.
    let mut driver = listed[0].driver.clone();
    for _ in 0..50 {
        if !driver.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        driver = c.network_list(&[("name", &name)]).await.unwrap()[0]
            .driver
            .clone();
    }
    assert_eq!(driver, "overlay");
    // Name → ID as the CLI's --network lookup; "host" is attachable too; bad names never leave.
    assert_eq!(c.network_id(&name).await.unwrap(), id);
    assert_eq!(c.network_id(&id).await.unwrap(), id);
    assert!(!c.network_id("host").await.unwrap().is_empty());
    assert!(
        c.network_id(&unique("absent-net"))
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(matches!(
        c.network_id("../services").await.unwrap_err(),
        swarm_client::Error::InvalidArgument { .. }
    ));
    let err = c
        .network_create(&name, "overlay", true, &BTreeMap::new())
        .await
        .unwrap_err();
    assert!(
        matches!(err, swarm_client::Error::Conflict { .. }),
        "{err:?}"
    );
    c.network_remove(&id).await.unwrap();
    assert!(c.network_list(&[("name", &name)]).await.unwrap().is_empty());
    assert!(c.network_remove(&id).await.unwrap_err().is_not_found());
}
