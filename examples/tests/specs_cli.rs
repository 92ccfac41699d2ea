//! `dockwright mount parse` / `dockwright publish parse`: JSON on stdout, the docker CLI's reason
//! on stderr with a non-zero exit for rejected values.

use std::process::Command;

fn dockwright(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dockwright"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn mount_parse_prints_the_engine_json() {
    let (ok, out, err) = dockwright(&[
        "mount",
        "parse",
        "type=volume,volume-opt=o=addr=192.168.1.220,volume-opt=device=:/www,volume-opt=type=nfs,source=nfs_nginx,target=/usr/share/nginx/html/,volume-nocopy=true",
    ]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"Type":"volume","Source":"nfs_nginx","Target":"/usr/share/nginx/html/",
            "VolumeOptions":{"NoCopy":true,"DriverConfig":{"Options":{"device":":/www","o":"addr=192.168.1.220","type":"nfs"}}}})
    );
}

#[test]
fn mount_parse_rejects_with_the_cli_reason() {
    let (ok, out, err) = dockwright(&[
        "mount",
        "parse",
        "type=bind,source=/a,volume-nocopy,target=/b",
    ]);
    assert!(!ok);
    assert!(out.is_empty());
    assert!(
        err.contains("cannot mix 'volume-*' options with mount type 'bind'"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn publish_parse_prints_the_port_list() {
    let (ok, out, err) = dockwright(&["publish", "parse", "mode=host,target=80,published=8080"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v,
        serde_json::json!([{"Protocol":"tcp","TargetPort":80,"PublishedPort":8080,"PublishMode":"host"}])
    );
    let (ok, out, _) = dockwright(&["publish", "parse", "8000-8001:80-81/udp"]);
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert_eq!(v[1]["PublishedPort"], 8001);
}

#[test]
fn publish_parse_rejects_with_the_cli_reason() {
    let (ok, _, err) = dockwright(&["publish", "parse", "127.0.0.1:8080:80"]);
    assert!(!ok);
    assert!(err.contains("hostip is not supported"), "{err}");
}
