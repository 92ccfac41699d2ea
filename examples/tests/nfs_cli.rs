//! Black-box tests of `dockwright nfs …`.

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dockwright"))
        .args(args)
        .output()
        .expect("run dockwright")
}

fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "dockwright {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

fn fails(args: &[&str]) -> String {
    let out = run(args);
    assert!(!out.status.success(), "dockwright {args:?} should fail");
    assert!(out.stdout.is_empty(), "no stdout on failure");
    let err = String::from_utf8(out.stderr).expect("utf-8 stderr");
    assert_eq!(err.trim_end().lines().count(), 1, "one-line error: {err}");
    err
}

fn json(args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&ok(args)).expect("JSON output")
}

const SEED: &str = "type=volume,volume-opt=o=addr=192.168.1.220,volume-opt=device=:/www,volume-opt=type=nfs,source=nfs_nginx,target=/usr/share/nginx/html/,volume-nocopy=true";

#[test]
fn volume_opts_prints_ordered_driver_json() {
    assert_eq!(
        ok(&[
            "nfs",
            "volume-opts",
            "--addr",
            "192.168.1.220",
            "--path",
            "/www",
            "-o",
            "nfsvers=4,rw"
        ]),
        "{\"type\":\"nfs\",\"o\":\"addr=192.168.1.220,nfsvers=4,rw\",\"device\":\":/www\"}\n"
    );
    assert_eq!(
        ok(&[
            "nfs",
            "volume-opts",
            "--addr",
            "::1",
            "--path",
            "/w w",
            "--type",
            "nfs4"
        ]),
        "{\"type\":\"nfs4\",\"o\":\"addr=::1\",\"device\":\":/w w\"}\n"
    );
}

#[test]
fn addr_host_names_are_resolved_by_the_cli() {
    // localhost resolves through /etc/hosts; IPv4 is preferred.
    assert_eq!(
        ok(&[
            "nfs",
            "volume-opts",
            "--addr",
            "localhost",
            "--path",
            "/www"
        ]),
        "{\"type\":\"nfs\",\"o\":\"addr=127.0.0.1\",\"device\":\":/www\"}\n"
    );
}

#[test]
fn mount_string_quotes_the_o_field() {
    let s = ok(&[
        "nfs",
        "mount-string",
        "--addr",
        "192.168.1.220",
        "--path",
        "/www",
        "-o",
        "nfsvers=4,hard",
        "--source",
        "nfs_nginx",
        "--target",
        "/usr/share/nginx/html",
        "--nocopy",
    ]);
    assert_eq!(
        s,
        "type=volume,source=nfs_nginx,target=/usr/share/nginx/html,volume-opt=type=nfs,\"volume-opt=o=addr=192.168.1.220,nfsvers=4,hard\",volume-opt=device=:/www,volume-nocopy=true\n"
    );
    // and it parses back to the same volume
    let j = json(&["nfs", "parse", s.trim_end()]);
    assert_eq!(j["form"], "mount_string");
    assert_eq!(j["text"], s.trim_end());
    assert_eq!(
        j["volume"]["driver_opts"]["o"],
        "addr=192.168.1.220,nfsvers=4,hard"
    );
    assert_eq!(j["volume_nocopy"], true);
}

#[test]
fn fstab_and_volume_name_and_volume_create() {
    assert_eq!(
        ok(&[
            "nfs",
            "fstab",
            "--addr",
            "192.168.1.220",
            "--path",
            "/my www",
            "-o",
            "nfsvers=4.1",
            "--mountpoint",
            "/mnt/www"
        ]),
        "192.168.1.220:/my\\040www /mnt/www nfs nfsvers=4.1 0 0\n"
    );
    let a = ok(&[
        "nfs",
        "volume-name",
        "--addr",
        "192.168.1.220",
        "--path",
        "/www",
        "--prefix",
        "web",
    ]);
    let b = ok(&[
        "nfs",
        "volume-name",
        "--addr",
        "192.168.1.220",
        "--path",
        "/www",
        "-o",
        "nfsvers=4",
        "--prefix",
        "web",
    ]);
    assert!(a.starts_with("web-") && b.starts_with("web-"));
    assert_ne!(a, b);
    let args = ok(&[
        "nfs",
        "volume-create",
        "--addr",
        "10.1.1.1",
        "--path",
        "/www",
        "--name",
        "v1",
    ]);
    assert_eq!(
        args,
        "volume\ncreate\n--driver\nlocal\n--opt\ntype=nfs\n--opt\no=addr=10.1.1.1\n--opt\ndevice=:/www\nv1\n"
    );
}

#[test]
fn parse_recognises_every_form() {
    let j = json(&["nfs", "parse", SEED]);
    assert_eq!(j["form"], "mount_string");
    assert_eq!(j["text"], SEED);
    assert_eq!(j["source"], "nfs_nginx");
    assert_eq!(j["target"], "/usr/share/nginx/html/");
    assert_eq!(j["volume"]["driver_opts"]["device"], ":/www");
    assert_eq!(
        j["volume"]["driver_opts_json"],
        "{\"o\":\"addr=192.168.1.220\",\"device\":\":/www\",\"type\":\"nfs\"}"
    );

    let j = json(&[
        "nfs",
        "parse",
        "/www/nginx\t192.168.1.0/24(rw,sync,no_subtree_check)",
    ]);
    assert_eq!(j["form"], "export");
    assert_eq!(
        j["text"],
        "/www/nginx\t192.168.1.0/24(rw,sync,no_subtree_check)"
    );
    assert_eq!(j["clients"][0]["kind"], "network");
    assert_eq!(j["volume_nocopy_recommended"], true);

    let j = json(&["nfs", "parse", "192.168.1.220:/www /mnt nfs nfsvers=4 0 0"]);
    assert_eq!(j["form"], "fstab");
    assert_eq!(
        j["volume"]["driver_opts_json"],
        "{\"type\":\"nfs\",\"o\":\"addr=192.168.1.220,nfsvers=4\",\"device\":\":/www\"}"
    );

    let j = json(&[
        "nfs",
        "parse",
        "{\"type\":\"nfs\",\"o\":\"addr=10.0.0.1,nfsvers=4.2\",\"device\":\":/x\"}",
    ]);
    assert_eq!(j["form"], "driver_opts");
    assert_eq!(j["options"]["version"], "4.2");

    let j = json(&["nfs", "parse", "mount -t nfs -o nfsvers=3 10.0.0.1:/x /mnt"]);
    assert_eq!(j["form"], "mount_command");
    assert_eq!(j["volume"]["driver_opts"]["o"], "addr=10.0.0.1,nfsvers=3");

    let j = json(&[
        "nfs",
        "parse",
        "volume create --driver local --opt type=nfs --opt o=addr=10.0.0.1 --opt device=:/x v",
    ]);
    assert_eq!(j["form"], "volume_create");
    assert_eq!(j["name"], "v");

    // Command lines are split as a shell would: quoted words keep their spaces.
    let j = json(&[
        "nfs",
        "parse",
        "mount -t nfs -o nfsvers=4 '10.0.0.1:/my share' \"/mnt/my dir\"",
    ]);
    assert_eq!(j["form"], "mount_command");
    assert_eq!(j["dir"], "/mnt/my dir");
    assert_eq!(j["volume"]["driver_opts"]["device"], ":/my share");
    let j = json(&[
        "nfs",
        "parse",
        "docker volume create --opt type=nfs --opt 'o=addr=10.0.0.1,nfsvers=4' --opt \"device=:/a b\" v",
    ]);
    assert_eq!(j["form"], "volume_create");
    assert_eq!(j["driver_opts"]["device"], ":/a b");
    let j = json(&[
        "nfs",
        "parse",
        "nfs_nginx:\n  driver: local\n  driver_opts:\n    type: nfs\n    o: \"addr=192.168.1.220\"\n    device: \":/www\"\n",
    ]);
    assert_eq!(j["form"], "compose");
    assert_eq!(j["name"], "nfs_nginx");
    assert_eq!(j["driver_opts"]["device"], ":/www");
    let e = fails(&["nfs", "parse", "mount -t nfs 'unterminated /mnt"]);
    assert!(e.contains("mount arguments"), "{e}");

    let j = json(&["nfs", "parse", "[fe80::1]:/p"]);
    assert_eq!(
        (j["form"].as_str(), j["host"].as_str()),
        (Some("device"), Some("fe80::1"))
    );

    let j = json(&["nfs", "parse", "addr=192.168.1.220,nfsvers=4.1,x-custom=1"]);
    assert_eq!(j["form"], "options");
    assert_eq!(j["options"][2], "x-custom=1");
}

#[test]
fn export_builds_and_parses() {
    assert_eq!(
        ok(&[
            "nfs",
            "export",
            "--path",
            "/www",
            "--client",
            "192.168.1.0/24",
            "-o",
            "rw,sync,no_subtree_check"
        ]),
        "/www 192.168.1.0/24(rw,sync,no_subtree_check)\n"
    );
    assert_eq!(
        ok(&[
            "nfs", "export", "--path", "/my www", "--quote", "--client", "*", "--client", "@ops"
        ]),
        "\"/my www\" * @ops\n"
    );
    let j = json(&[
        "nfs",
        "export",
        "--parse",
        "/www 192.168.1.0/24(rw,no_root_squash)",
    ]);
    assert_eq!(j["squashes_root"], false);
}

#[test]
fn bad_input_fails_with_one_line_naming_the_problem() {
    let e = fails(&[
        "nfs",
        "volume-opts",
        "--addr",
        "192.168.1.220",
        "--path",
        "/www",
        "-o",
        "nfsvers=4,proto=udp",
    ]);
    assert!(e.contains("proto=udp") && e.contains('4'), "{e}");
    let e = fails(&[
        "nfs",
        "volume-opts",
        "--addr",
        "192.168.1.220",
        "--path",
        "www",
    ]);
    assert!(e.contains("\"www\""), "{e}");
    let e = fails(&[
        "nfs",
        "volume-opts",
        "--addr",
        "192.168.1.220",
        "--path",
        "/www",
        "-o",
        "nconnect=17",
    ]);
    assert!(e.contains("17") && e.contains("1..=16"), "{e}");
    let e = fails(&["nfs", "parse", "/www 192.168.1.0/24 (rw)"]);
    assert!(e.contains("(rw)") && e.contains("world"), "{e}");
    let e = fails(&[
        "nfs",
        "parse",
        "type=volume,volume-opt=o=addr=1.2.3.4,nfsvers=4,target=/t",
    ]);
    assert!(e.contains("nfsvers=4"), "{e}");
    let e = fails(&["nfs", "parse", "addr=nfs.example.com"]);
    assert!(e.contains("nfs.example.com"), "{e}");
    let e = fails(&[
        "nfs",
        "export",
        "--path",
        "/www",
        "--client",
        "10.0.0.0/33",
        "-o",
        "rw",
    ]);
    assert!(e.contains("10.0.0.0/33"), "{e}");
}
