//! Every `--mount` string nfs-mount renders parses with swarm-client's full `--mount` grammar
//! (`MountSpec`, which follows the docker CLI) into the same volume options, target, source,
//! nocopy and read-only flags.

use std::collections::BTreeMap;
use std::net::IpAddr;

use nfs_mount::{NfsMount, NfsVolume};
use swarm_client::mount::{MountSpec, MountType};

fn check(m: &NfsMount) {
    let text = m.to_string();
    let spec: MountSpec = text
        .parse()
        .unwrap_or_else(|e| panic!("MountSpec rejects {text}: {e}"));
    let mnt = spec.mount();
    assert_eq!(mnt.r#type, MountType::Volume, "{text}");
    assert_eq!(mnt.target, m.target(), "{text}");
    assert_eq!(mnt.source, m.source().unwrap_or(""), "{text}");
    assert_eq!(mnt.read_only, m.read_only(), "{text}");
    let vo = mnt.volume_options.as_ref().expect("volume options");
    assert_eq!(vo.no_copy, m.volume_nocopy(), "{text}");
    let driver = vo.driver_config.as_ref().expect("driver config");
    assert!(driver.name.is_empty() || driver.name == "local", "{text}");
    let ours: BTreeMap<String, String> = m
        .volume()
        .driver_opts()
        .as_slice()
        .iter()
        .cloned()
        .collect();
    assert_eq!(driver.options, ours, "{text}");
}

#[test]
fn seed_mounts_parse_the_same_with_mount_spec() {
    for s in [
        "type=volume,volume-opt=o=addr=192.168.1.220,volume-opt=device=:/www,volume-opt=type=nfs,source=nfs_nginx,target=/usr/share/nginx/html/,volume-nocopy=true",
        "type=volume,volume-opt=o=addr=192.168.1.220,volume-opt=device=:/www/nginx,volume-opt=type=nfs,source=nfs_nginx_lb,target=/etc/nginx/,volume-nocopy=true",
    ] {
        let m: NfsMount = s.parse().expect("seed parses");
        assert_eq!(m.to_string(), s);
        check(&m);
    }
}

#[test]
fn every_rendered_mount_parses_the_same_with_mount_spec() {
    let addrs = ["192.168.1.220", "fd00::20", "10.0.0.5"];
    let paths = ["/www", "/my share", "/a,b", "/q\"uote", "/w/nginx"];
    let options = [
        "",
        "nfsvers=4",
        "nfsvers=4.1,hard,timeo=600,retrans=2,noatime",
        "vers=3,proto=tcp,nolock,sec=krb5p:krb5i:sys",
        "nfsvers=4.2,proto=tcp6,nconnect=4,x-custom=\"q\"",
        "soft,softreval,lookupcache=pos,actimeo=30,xprtsec=tls,ro",
    ];
    let targets = ["/data", "/mnt/my share", "/c,d"];
    let mut n = 0;
    for (i, addr) in addrs.iter().enumerate() {
        for (j, path) in paths.iter().enumerate() {
            for (k, opts) in options.iter().enumerate() {
                let ip: IpAddr = addr.parse().expect("ip");
                let vol = NfsVolume::builder(ip, *path)
                    .options_str(opts)
                    .build()
                    .expect("volume");
                let mut b = NfsMount::builder(vol, targets[(i + j + k) % targets.len()])
                    .volume_nocopy((i + k) % 2 == 0)
                    .read_only((j + k) % 3 == 0);
                if k % 2 == 1 {
                    b = b.source(format!("nfs_{i}_{j}_{k}"));
                }
                check(&b.build().expect("mount"));
                n += 1;
            }
        }
    }
    assert_eq!(n, 90);
}
