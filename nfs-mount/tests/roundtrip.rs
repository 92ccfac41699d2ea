//! Property tests: every form parses what it renders, keeps the bytes of what it parsed, and
//! renders idempotently.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use nfs_mount::{
    DriverOpts, ExportEntry, FsType, FstabEntry, MountCommand, NfsMount, NfsOptions, NfsVolume,
};
use proptest::prelude::*;

fn ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<u32>().prop_map(|n| IpAddr::V4(Ipv4Addr::from(n))),
        any::<u128>().prop_map(|n| IpAddr::V6(Ipv6Addr::from(n))),
    ]
}

fn opt(s: impl Strategy<Value = String>) -> impl Strategy<Value = Option<String>> {
    proptest::option::of(s)
}

/// An option list with at most one option per setting (so no conflicts), shuffled.
fn options_text() -> impl Strategy<Value = String> {
    const SWITCHES: [&str; 12] = [
        "intr",
        "softreval",
        "lock",
        "ac",
        "cto",
        "fsc",
        "sharecache",
        "resvport",
        "rdirplus",
        "acl",
        "migration",
        "trunkdiscovery",
    ];
    let switch = proptest::sample::select(&SWITCHES[..])
        .prop_flat_map(|s| prop_oneof![Just(s.to_owned()), Just(format!("no{s}"))]);
    let vers = (
        prop_oneof![Just("vers"), Just("nfsvers")],
        prop_oneof![Just("3"), Just("4"), Just("4.0"), Just("4.1"), Just("4.2")],
    )
        .prop_map(|(k, v)| format!("{k}={v}"));
    let slots = (
        (
            opt(vers),
            opt(
                prop_oneof![Just("tcp"), Just("rdma"), Just("tcp6"), Just("rdma6")]
                    .prop_map(|p| format!("proto={p}")),
            ),
            opt((0u32..=65535).prop_map(|n| format!("port={n}"))),
            opt((1024u32..=1_048_576).prop_map(|n| format!("rsize={n}"))),
            opt((1024u32..=1_048_576).prop_map(|n| format!("wsize={n}"))),
            opt((1u32..).prop_map(|n| format!("timeo={n}"))),
            opt(any::<u32>().prop_map(|n| format!("retrans={n}"))),
            opt(prop_oneof![Just("hard"), Just("soft"), Just("softerr")].prop_map(str::to_owned)),
        ),
        (
            opt(proptest::collection::vec(
                prop_oneof![
                    Just("sys"),
                    Just("krb5"),
                    Just("krb5i"),
                    Just("krb5p"),
                    Just("none")
                ],
                1..4,
            )
            .prop_map(|v| format!("sec={}", v.join(":")))),
            opt(
                prop_oneof![Just("none"), Just("all"), Just("flock"), Just("posix")]
                    .prop_map(|v| format!("local_lock={v}")),
            ),
            opt(
                prop_oneof![Just("all"), Just("none"), Just("pos"), Just("positive")]
                    .prop_map(|v| format!("lookupcache={v}")),
            ),
            opt((1u8..=16).prop_map(|n| format!("nconnect={n}"))),
            opt((1u8..=16).prop_map(|n| format!("max_connect={n}"))),
            opt(ip().prop_map(|i| format!("clientaddr={i}"))),
            opt(prop_oneof![Just("none"), Just("tls"), Just("mtls")]
                .prop_map(|v| format!("xprtsec={v}"))),
            opt(switch),
        ),
        (
            opt(prop_oneof![Just("rw"), Just("ro")].prop_map(str::to_owned)),
            opt(
                prop_oneof![Just("noatime"), Just("nofail"), Just("_netdev")]
                    .prop_map(str::to_owned),
            ),
            opt("x-[a-z]{1,6}(=[a-z0-9.\"=]{0,6})?"),
            opt((0u32..=600).prop_map(|n| format!("actimeo={n}"))),
            opt((1u8..=3).prop_map(|n| format!("mountvers={n}"))),
        ),
    );
    slots
        .prop_map(|(a, b, c)| {
            let mut v: Vec<String> = Vec::new();
            v.extend(
                [a.0, a.1, a.2, a.3, a.4, a.5, a.6, a.7]
                    .into_iter()
                    .flatten(),
            );
            v.extend(
                [b.0, b.1, b.2, b.3, b.4, b.5, b.6, b.7]
                    .into_iter()
                    .flatten(),
            );
            v.extend([c.0, c.1, c.2, c.3, c.4].into_iter().flatten());
            v
        })
        .prop_shuffle()
        .prop_map(|v| v.join(","))
}

fn path() -> impl Strategy<Value = String> {
    "/[a-zA-Z0-9 _.,\"\\\\/-]{0,16}"
}

fn volume() -> impl Strategy<Value = NfsVolume> {
    (ip(), path(), options_text(), any::<bool>()).prop_map(|(ip, p, o, v4)| {
        NfsVolume::builder(ip, p)
            .options_str(o)
            .fs_type(if v4 { FsType::Nfs4 } else { FsType::Nfs })
            .build()
            .expect("generated volumes are valid")
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn options_keep_bytes_and_round_trip(text in options_text()) {
        let o: NfsOptions = text.parse().unwrap();
        prop_assert_eq!(o.to_string(), text.clone());
        prop_assert_eq!(o.to_string().parse::<NfsOptions>().unwrap(), o.clone());
        let serde: NfsOptions = serde_json::from_str(&serde_json::to_string(&o).unwrap()).unwrap();
        prop_assert_eq!(serde, o);
    }

    #[test]
    fn built_options_put_addr_first(addr in ip(), text in options_text()) {
        let o = NfsOptions::builder().options_str(text).addr(addr).build().unwrap();
        let prefix = format!("addr={addr}");
        prop_assert!(o.to_string().starts_with(&prefix));
        prop_assert_eq!(o.to_string().parse::<NfsOptions>().unwrap(), o);
    }

    #[test]
    fn driver_opts_json_and_volume_create_round_trip(v in volume()) {
        let opts = v.driver_opts();
        let keys: Vec<&str> = opts.as_slice().iter().map(|(k, _)| k.as_str()).collect();
        prop_assert_eq!(keys, ["type", "o", "device"]);
        prop_assert_eq!(NfsVolume::try_from(opts.clone()).unwrap(), v.clone());
        prop_assert_eq!(serde_json::to_string(&v).unwrap(), v.to_json());
        prop_assert_eq!(serde_json::from_str::<NfsVolume>(&v.to_json()).unwrap(), v.clone());
        let back: DriverOpts = serde_json::from_str(&v.to_json()).unwrap();
        prop_assert_eq!(back, opts);
        let args = v.volume_create_args("vol");
        let (name, back) = NfsVolume::from_volume_create_args(&args).unwrap();
        prop_assert_eq!(name, "vol");
        prop_assert_eq!(back.volume_create_args("vol"), args);
        prop_assert_eq!(back, v.clone());
    }

    #[test]
    fn compose_yaml_round_trips(v in volume(), name in "[a-z][a-z0-9_.-]{0,20}") {
        let text = v.compose_yaml(&name);
        let (n, back) = NfsVolume::from_compose_yaml(&text).unwrap();
        prop_assert_eq!(&n, &name);
        prop_assert_eq!(back.compose_yaml(&name), text);
        prop_assert_eq!(back, v);
    }

    #[test]
    fn compose_yaml_never_panics(text in "[ a-z:#'\"\\\n_=,/.{}*-]{0,80}") {
        let _ = NfsVolume::from_compose_yaml(&text);
    }

    #[test]
    fn reordered_driver_opts_keep_their_order(v in volume(), order in Just([0usize, 1, 2]).prop_shuffle()) {
        let pairs = v.driver_opts().into_vec();
        let shuffled = DriverOpts::from_pairs(order.iter().map(|&i| pairs[i].clone()));
        let p = NfsVolume::try_from(shuffled.clone()).unwrap();
        prop_assert_eq!(p.driver_opts(), shuffled);
        prop_assert_eq!(p.volume_name("x").unwrap(), v.volume_name("x").unwrap());
    }

    #[test]
    fn mount_strings_round_trip(
        v in volume(),
        source in proptest::option::of("[a-zA-Z0-9][a-zA-Z0-9_.,\"-]{0,10}"),
        target in path(),
        nocopy in any::<bool>(),
        ro in any::<bool>(),
    ) {
        let mut b = NfsMount::builder(v.clone(), target.clone()).volume_nocopy(nocopy).read_only(ro);
        if let Some(s) = &source {
            b = b.source(s.clone());
        }
        let m = b.build().unwrap();
        let text = m.to_string();
        prop_assert!(!text.contains(' ') || target.contains(' ') || v.path().contains(' ') || v.options().to_string().contains(' '));
        let back: NfsMount = text.parse().unwrap();
        prop_assert_eq!(back.to_string(), text);
        prop_assert_eq!(&back, &m);
        prop_assert_eq!(back.volume(), &v);
        prop_assert_eq!(back.source(), source.as_deref());
        prop_assert_eq!(back.target(), target.as_str());
        prop_assert_eq!((back.volume_nocopy(), back.read_only()), (nocopy, ro));
    }

    #[test]
    fn fstab_and_mount_round_trip(v in volume(), mp in path(), seps in proptest::collection::vec("[ \t]{1,3}", 5)) {
        let e = v.fstab_entry(&mp).unwrap();
        let text = e.to_string();
        let back: FstabEntry = text.parse().unwrap();
        prop_assert_eq!(back.to_string(), text.clone());
        prop_assert_eq!(&back, &e);
        prop_assert_eq!(back.to_volume().unwrap(), v.clone());
        // the same line with other separators keeps them
        let fields: Vec<&str> = text.split(' ').collect();
        let mut line = fields[0].to_owned();
        for (f, s) in fields[1..].iter().zip(&seps) {
            line.push_str(s);
            line.push_str(f);
        }
        prop_assert_eq!(line.parse::<FstabEntry>().unwrap().to_string(), line);
        let m = v.mount_command(&mp).unwrap();
        let parsed = MountCommand::from_args(&m.args()).unwrap();
        prop_assert_eq!(parsed.args(), m.args());
        prop_assert_eq!(&parsed, &m);
        // and as a shell command line
        let line = m.to_string();
        let back: MountCommand = line.parse().unwrap();
        prop_assert_eq!(&back, &m);
        prop_assert_eq!(back.to_string(), line);
        prop_assert_eq!(parsed.to_volume().unwrap(), v);
    }

    #[test]
    fn export_lines_round_trip(
        p in "/[a-zA-Z0-9 _.\\\\/-]{0,12}",
        quoted in any::<bool>(),
        lead in "[ \t]{0,2}",
        trail in "[ \t]{0,2}",
        clients in proptest::collection::vec(
            (
                prop_oneof![
                    Just("*".to_owned()),
                    Just("@trusted".to_owned()),
                    Just("*.example.com".to_owned()),
                    Just("host-1.lan".to_owned()),
                    (any::<u32>(), 0u8..=32).prop_map(|(a, l)| format!("{}/{l}", Ipv4Addr::from(a))),
                    (any::<u128>(), 0u8..=128).prop_map(|(a, l)| format!("{}/{l}", Ipv6Addr::from(a))),
                    any::<u32>().prop_map(|a| format!("{}/255.255.0.0", Ipv4Addr::from(a))),
                ],
                proptest::option::of(
                    proptest::sample::subsequence(
                        vec!["rw", "sync", "no_subtree_check", "insecure", "no_root_squash", "all_squash",
                             "anonuid=1000", "anongid=0", "fsid=root", "sec=krb5p:sys", "crossmnt",
                             "nohide", "mp=/x", "refer=/a@h1+h2", "unknown=1"],
                        0..6,
                    ),
                ),
                "[ \t]{1,3}",
            ),
            1..4,
        ),
    ) {
        let path_text = if quoted {
            format!("\"{p}\"")
        } else {
            p.replace('\\', "\\134").replace(' ', "\\040")
        };
        let mut line = format!("{lead}{path_text}");
        for (host, opts, sep) in &clients {
            line.push_str(sep);
            line.push_str(host);
            if let Some(o) = opts {
                line.push('(');
                line.push_str(&o.join(","));
                line.push(')');
            }
        }
        line.push_str(&trail);
        let e: ExportEntry = line.parse().unwrap_or_else(|err| panic!("{line:?}: {err}"));
        prop_assert_eq!(e.to_string(), line.clone());
        prop_assert_eq!(e.to_string().parse::<ExportEntry>().unwrap(), e.clone());
        prop_assert_eq!(e.clients().len(), clients.len());
        prop_assert_eq!(e.path().as_str(), p.as_str());
        let serde: ExportEntry = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        prop_assert_eq!(serde, e);
    }
}
