//! Real-server tests: the docker CLI and dockerd accept every `--mount` string and every set
//! of driver options nfs-mount renders, and store exactly the options of our typed value.
//! Nothing is mounted and no NFS server is contacted: services have `--replicas 0` and an
//! image that does not exist, volumes are only created.

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use nfs_mount::{NfsMount, NfsVolume};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run scripts/test (it starts the real servers)")
    })
}

fn docker(args: &[&str]) -> std::process::Output {
    let host = env("DOCKWRIGHT_TEST_DOCKER_HOST");
    Command::new("docker")
        .arg("-H")
        .arg(host)
        .args(args)
        .output()
        .expect("run the docker CLI")
}

fn docker_ok(args: &[&str]) -> String {
    let out = docker(args);
    assert!(
        out.status.success(),
        "docker {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{prefix}-{}-{nanos:x}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Removes a service or volume when dropped, even when the test fails.
struct Guard {
    kind: &'static str,
    name: String,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = docker(&[self.kind, "rm", &self.name]);
    }
}

fn map(opts: &nfs_mount::DriverOpts) -> BTreeMap<String, String> {
    opts.as_slice().iter().cloned().collect()
}

/// The mounts under test: the seed's two, and built ones covering quoting, IPv6, nfs4, paths
/// with spaces and commas, quotes inside options, readonly, no source.
fn mounts() -> Vec<NfsMount> {
    let ip = |s: &str| s.parse().expect("ip");
    let mut v: Vec<NfsMount> = [
        "type=volume,volume-opt=o=addr=192.168.1.220,volume-opt=device=:/www,volume-opt=type=nfs,source=nfs_nginx,target=/usr/share/nginx/html/,volume-nocopy=true",
        "type=volume,volume-opt=o=addr=192.168.1.220,volume-opt=device=:/www/nginx,volume-opt=type=nfs,source=nfs_nginx_lb,target=/etc/nginx/,volume-nocopy=true",
    ]
    .iter()
    .map(|s| s.parse().expect("seed parses"))
    .collect();
    let built = [
        (
            "192.168.1.220",
            "/www",
            "nfsvers=4",
            "/data",
            Some("nfs_a"),
            true,
            false,
        ),
        (
            "192.168.1.220",
            "/www",
            "nfsvers=4.1,hard,timeo=600,retrans=2,noatime",
            "/data",
            Some("nfs_b"),
            false,
            false,
        ),
        (
            "fd00::20",
            "/export/web",
            "nfsvers=4.2,proto=tcp6,nconnect=4",
            "/srv",
            Some("nfs_c"),
            true,
            true,
        ),
        (
            "10.0.0.5",
            "/my share",
            "vers=3,proto=tcp,nolock,sec=krb5p:krb5i:sys",
            "/mnt/my share",
            None,
            false,
            false,
        ),
        (
            "10.0.0.5",
            "/a,b",
            "nfsvers=4,rsize=1048576,wsize=1048576,x-custom=\"q\"",
            "/c",
            Some("nfs_d"),
            true,
            false,
        ),
        (
            "192.168.1.220",
            "/www",
            "soft,softreval,lookupcache=pos,actimeo=30,xprtsec=tls",
            "/e",
            Some("nfs_e"),
            false,
            true,
        ),
        (
            "192.168.1.220",
            "/www",
            "",
            "/f",
            Some("nfs_f"),
            true,
            false,
        ),
        (
            "172.16.0.9",
            "/p",
            "nfsvers=4,local_lock=flock,noresvport,nocto,rw",
            "/g",
            Some("nfs_g"),
            true,
            false,
        ),
    ];
    for (addr, path, opts, target, source, nocopy, ro) in built {
        let vol = NfsVolume::builder(ip(addr), path)
            .options_str(opts)
            .build()
            .expect("volume builds");
        let mut b = NfsMount::builder(vol, target)
            .volume_nocopy(nocopy)
            .read_only(ro);
        if let Some(s) = source {
            b = b.source(s);
        }
        v.push(b.build().expect("mount builds"));
    }
    v
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn service_create_accepts_every_mount_string_and_stores_our_options() {
    let registry = env("DOCKWRIGHT_TEST_REGISTRY");
    let image = format!("{registry}/absent/nginx");
    for m in mounts() {
        let text = m.to_string();
        let name = unique("nfs");
        let _guard = Guard {
            kind: "service",
            name: name.clone(),
        };
        docker_ok(&[
            "service",
            "create",
            "-d",
            "--no-resolve-image",
            "--replicas",
            "0",
            "--mount",
            &text,
            "--name",
            &name,
            &image,
        ]);
        let out = docker_ok(&[
            "service",
            "inspect",
            &name,
            "--format",
            "{{json .Spec.TaskTemplate.ContainerSpec.Mounts}}",
        ]);
        let mounts: serde_json::Value = serde_json::from_str(&out).expect("mounts JSON");
        let mnt = &mounts[0];
        assert_eq!(mounts.as_array().map(Vec::len), Some(1), "{text}: {out}");
        assert_eq!(mnt["Type"], "volume", "{text}");
        assert_eq!(mnt["Target"], m.target(), "{text}");
        assert_eq!(
            mnt["Source"].as_str().filter(|s| !s.is_empty()),
            m.source(),
            "{text}"
        );
        assert_eq!(
            mnt["ReadOnly"].as_bool().unwrap_or(false),
            m.read_only(),
            "{text}"
        );
        let vo = &mnt["VolumeOptions"];
        assert_eq!(
            vo["NoCopy"].as_bool().unwrap_or(false),
            m.volume_nocopy(),
            "{text}"
        );
        let stored: BTreeMap<String, String> =
            serde_json::from_value(vo["DriverConfig"]["Options"].clone()).expect("options map");
        assert_eq!(stored, map(&m.volume().driver_opts()), "{text}");
        // what dockerd stored reads back as the same typed volume
        let back = NfsVolume::try_from(nfs_mount::DriverOpts::from_pairs(
            m.volume()
                .driver_opts()
                .as_slice()
                .iter()
                .map(|(k, _)| (k.clone(), stored[k].clone())),
        ))
        .expect("stored options parse");
        assert_eq!(&back, m.volume(), "{text}");
    }
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn volume_create_stores_exactly_our_driver_options() {
    for m in mounts() {
        let v = m.volume();
        let name = unique(&v.volume_name("nfs").expect("name"));
        let _guard = Guard {
            kind: "volume",
            name: name.clone(),
        };
        let args = v.volume_create_args(&name);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(docker_ok(&args).trim(), name);
        let out = docker_ok(&["volume", "inspect", &name, "--format", "{{json .}}"]);
        let j: serde_json::Value = serde_json::from_str(&out).expect("inspect JSON");
        assert_eq!(j["Driver"], "local");
        let stored: BTreeMap<String, String> =
            serde_json::from_value(j["Options"].clone()).expect("options map");
        assert_eq!(stored, map(&v.driver_opts()), "{name}");
    }
}

#[test]
#[ignore = "needs real servers: run scripts/test"]
fn dockerd_rejects_what_nfs_mount_rejects_as_driver_options() {
    // A key the local driver does not know is refused by dockerd too.
    let name = unique("nfs-bad");
    let _guard = Guard {
        kind: "volume",
        name: name.clone(),
    };
    let out = docker(&[
        "volume", "create", "--driver", "local", "--opt", "bogus=1", "--opt", "type=nfs", &name,
    ]);
    assert!(!out.status.success());
    let ours = NfsVolume::try_from(nfs_mount::DriverOpts::from_pairs([
        ("bogus", "1"),
        ("type", "nfs"),
    ]));
    assert_eq!(
        ours,
        Err(nfs_mount::Error::UnknownDriverOption {
            key: "bogus".into()
        })
    );
}
