//! `--mount` / `--publish` grammar tables (expected JSON and reasons taken from docker CLI 28.2.2)
//! and round-trip properties.

use proptest::prelude::*;
use serde_json::{Value, json};
use swarm_client::mount::MountSpec;
use swarm_client::port::PortSpec;
use swarm_client::spec::ServiceSpec;

fn mount_json(s: &str) -> Value {
    serde_json::to_value(
        s.parse::<MountSpec>()
            .unwrap_or_else(|e| panic!("{s}: {e}")),
    )
    .unwrap()
}

#[test]
fn mount_accepts_like_the_cli() {
    let table: Vec<(&str, Value)> = vec![
        (
            "type=volume,volume-opt=o=addr=192.168.1.220,volume-opt=device=:/www,volume-opt=type=nfs,source=nfs_nginx,target=/usr/share/nginx/html/,volume-nocopy=true",
            json!({"Type":"volume","Source":"nfs_nginx","Target":"/usr/share/nginx/html/",
                   "VolumeOptions":{"NoCopy":true,"DriverConfig":{"Options":{"device":":/www","o":"addr=192.168.1.220","type":"nfs"}}}}),
        ),
        (
            "\"volume-opt=o=addr=127.0.0.1,nfsvers=4\",target=/x",
            json!({"Type":"volume","Target":"/x","VolumeOptions":{"DriverConfig":{"Options":{"o":"addr=127.0.0.1,nfsvers=4"}}}}),
        ),
        ("target=/x", json!({"Type":"volume","Target":"/x"})),
        (
            "dst=/x,ro",
            json!({"Type":"volume","Target":"/x","ReadOnly":true}),
        ),
        (
            "destination=/x,readonly=0",
            json!({"Type":"volume","Target":"/x"}),
        ),
        (
            "Target=/x,RO=T",
            json!({"Type":"volume","Target":"/x","ReadOnly":true}),
        ),
        (
            "TYPE=BIND,src=/a,dst=/b,bind-propagation=RSHARED",
            json!({"Type":"bind","Source":"/a","Target":"/b","BindOptions":{"Propagation":"rshared"}}),
        ),
        (
            "type=bind,src=/a,dst=/b,bind-recursive=enabled",
            json!({"Type":"bind","Source":"/a","Target":"/b"}),
        ),
        (
            "type=bind,src=/a,dst=/b,bind-recursive=disabled",
            json!({"Type":"bind","Source":"/a","Target":"/b","BindOptions":{"NonRecursive":true}}),
        ),
        (
            "type=bind,src=/a,dst=/b,bind-nonrecursive",
            json!({"Type":"bind","Source":"/a","Target":"/b","BindOptions":{"NonRecursive":true}}),
        ),
        (
            "type=bind,src=/a,dst=/b,ro,bind-recursive=writable",
            json!({"Type":"bind","Source":"/a","Target":"/b","ReadOnly":true,"BindOptions":{"ReadOnlyNonRecursive":true}}),
        ),
        (
            "type=bind,src=/a,dst=/b,ro,bind-recursive=readonly,bind-propagation=rprivate",
            json!({"Type":"bind","Source":"/a","Target":"/b","ReadOnly":true,"BindOptions":{"Propagation":"rprivate","ReadOnlyForceRecursive":true}}),
        ),
        (
            "target=/x,volume-nocopy",
            json!({"Type":"volume","Target":"/x","VolumeOptions":{"NoCopy":true,"DriverConfig":{}}}),
        ),
        (
            "target=/x,volume-label=a=b=c,volume-label==x,volume-driver=local,volume-subpath=sub",
            json!({"Type":"volume","Target":"/x","VolumeOptions":{"Labels":{"a":"b=c"},"Subpath":"sub","DriverConfig":{"Name":"local"}}}),
        ),
        (
            "type=tmpfs,target=/t,tmpfs-size=64m,tmpfs-mode=1777",
            json!({"Type":"tmpfs","Target":"/t","TmpfsOptions":{"SizeBytes":67_108_864,"Mode":1023}}),
        ),
        (
            "type=tmpfs,target=/t,tmpfs-size=1.5KiB",
            json!({"Type":"tmpfs","Target":"/t","TmpfsOptions":{"SizeBytes":1536}}),
        ),
        (
            "type=image,source=busybox,target=/i,image-subpath=bin",
            json!({"Type":"image","Source":"busybox","Target":"/i","ImageOptions":{"Subpath":"bin"}}),
        ),
        ("type=foo,target=/x", json!({"Type":"foo","Target":"/x"})),
        (
            "target=/x,consistency=CACHED",
            json!({"Type":"volume","Target":"/x","Consistency":"cached"}),
        ),
        (
            "target=/x\ntype=bind",
            json!({"Type":"volume","Target":"/x"}),
        ),
        ("target=/x,source=", json!({"Type":"volume","Target":"/x"})),
    ];
    for (input, want) in table {
        assert_eq!(mount_json(input), want, "{input}");
    }
}

#[test]
fn mount_relative_source_is_made_absolute_like_the_cli() {
    let cwd = std::env::current_dir().unwrap();
    let m: MountSpec = "type=bind,source=./data/../www,target=/w".parse().unwrap();
    assert_eq!(m.mount().source, format!("{}/www", cwd.display()));
    // docker 28.2's MountOpt resolves every relative source that starts with `.`.
    let parent = cwd.parent().unwrap_or(&cwd);
    let m: MountSpec = "type=bind,source=../www,target=/w".parse().unwrap();
    let want = if parent == std::path::Path::new("/") {
        "/www".to_owned()
    } else {
        format!("{}/www", parent.display())
    };
    assert_eq!(m.mount().source, want);
    let m: MountSpec = "type=bind,source=.hidden,target=/w".parse().unwrap();
    assert_eq!(m.mount().source, format!("{}/.hidden", cwd.display()));
    // Other relative sources (volume names) are kept.
    let m: MountSpec = "source=data,target=/w".parse().unwrap();
    assert_eq!(m.mount().source, "data");
}

#[test]
fn publish_short_form_ignores_what_follows_a_second_slash_like_go_connections() {
    for (input, target, published, proto) in [
        ("80/udp/x", 80, 0, "udp"),
        ("8080:80/tcp/", 80, 8080, "tcp"),
        ("8080:80/", 80, 8080, "tcp"),
        ("8080:80//udp", 80, 8080, "tcp"),
        ("53/UDP", 53, 0, "udp"),
    ] {
        let p: PortSpec = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
        let c = &p.configs()[0];
        assert_eq!(
            (
                c.target_port,
                c.published_port,
                c.protocol.as_ref().map(|p| p.as_str())
            ),
            (target, published, Some(proto)),
            "{input}"
        );
    }
    // The protocol error keeps the case as written; the port is checked first, as in Go.
    assert_eq!(
        "80/XYZ".parse::<PortSpec>().unwrap_err().to_string(),
        "invalid proto: XYZ"
    );
    assert_eq!(
        "abc/xyz".parse::<PortSpec>().unwrap_err().to_string(),
        "invalid containerPort: abc"
    );
}

/// Rejections with the docker CLI 28.2.2's reason texts (captured from `docker service create`).
pub const MOUNT_REJECTS: &[(&str, &str)] = &[
    ("", "EOF"),
    (
        "type=bind,src=/a,dst=/b,bind-create-host-path",
        "invalid field 'bind-create-host-path' must be a key=value pair",
    ),
    (
        "type=bind,source=/a,target=/b,bind-recursive=readonly,ro",
        "option 'bind-recursive=readonly' requires 'bind-propagation=rprivate' to be specified in conjunction",
    ),
    ("type=,target=/x", "type is required"),
    ("a,b", "invalid field 'a' must be a key=value pair"),
    (
        "\"a,b",
        "parse error on line 1, column 5: extraneous or missing \" in quoted-field",
    ),
    ("target=/x,ro=yes", "invalid value for ro: yes"),
    (
        "target=/x,\"a\"\"b\"",
        "invalid field 'a\"b' must be a key=value pair",
    ),
    (
        "target=/x,a\"b",
        "parse error on line 1, column 12: bare \" in non-quoted-field",
    ),
    (
        "type=bind,target=/x,bind-recursive=enabled,volume-nocopy",
        "cannot mix 'volume-*' options with mount type 'bind'",
    ),
    (
        "target=/x,tmpfs-size=1k",
        "cannot mix 'tmpfs-*' options with mount type 'volume'",
    ),
    (
        "type=tmpfs,target=/x,tmpfs-size=-1",
        "invalid value for tmpfs-size: -1",
    ),
    (
        "type=tmpfs,target=/x,tmpfs-mode=9",
        "invalid value for tmpfs-mode: 9",
    ),
    (
        "type=tmpfs,target=/x,tmpfs-mode=0o7",
        "invalid value for tmpfs-mode: 0o7",
    ),
    (
        "target=/x,volume-nocopy=maybe",
        "invalid value for volume-nocopy: maybe",
    ),
    (
        "target=/x,bind-nonrecursive=maybe",
        "invalid value for bind-nonrecursive: maybe",
    ),
    (
        "type=bind,target=/x,bind-recursive=foo",
        "invalid value for bind-recursive: foo (must be \"enabled\", \"disabled\", \"writable\", or \"readonly\")",
    ),
    ("source=/x", "target is required"),
    (
        "type=bind,target=/x,bind-recursive=writable",
        "option 'bind-recursive=writable' requires 'readonly' to be specified in conjunction",
    ),
    (
        "type=bind,target=/x,bind-recursive=readonly",
        "option 'bind-recursive=readonly' requires 'readonly' to be specified in conjunction",
    ),
    ("target=/x,Foo=bar", "unexpected key 'foo' in 'Foo=bar'"),
    (
        "target=/x,FOO",
        "invalid field 'FOO' must be a key=value pair",
    ),
    (
        "\"a\nb\"c",
        "record on line 1; parse error on line 2, column 2: extraneous or missing \" in quoted-field",
    ),
];

#[test]
fn mount_rejects_like_the_cli() {
    for (input, reason) in MOUNT_REJECTS {
        let err = input.parse::<MountSpec>().expect_err(input);
        assert_eq!(err.to_string(), *reason, "{input:?}");
    }
}

fn port_json(s: &str) -> Value {
    serde_json::to_value(s.parse::<PortSpec>().unwrap_or_else(|e| panic!("{s}: {e}"))).unwrap()
}

#[test]
fn publish_accepts_like_the_cli() {
    let t = |target: u32, published: u32, proto: &str, mode: &str| {
        let mut v = json!({"Protocol": proto, "PublishMode": mode});
        if target != 0 {
            v["TargetPort"] = json!(target);
        }
        if published != 0 {
            v["PublishedPort"] = json!(published);
        }
        v
    };
    let table: Vec<(&str, Value)> = vec![
        (
            "mode=host,target=80,published=8080",
            json!([t(80, 8080, "tcp", "host")]),
        ),
        ("TARGET=80,Mode=HOST", json!([t(80, 0, "tcp", "host")])),
        (
            "protocol=udp,target=53,published=53",
            json!([t(53, 53, "udp", "ingress")]),
        ),
        ("target=080", json!([t(80, 0, "tcp", "ingress")])),
        ("target=80,target=81", json!([t(81, 0, "tcp", "ingress")])),
        ("80", json!([t(80, 0, "tcp", "ingress")])),
        ("0", json!([t(0, 0, "tcp", "ingress")])),
        ("8080:80", json!([t(80, 8080, "tcp", "ingress")])),
        ("8080:80/UDP", json!([t(80, 8080, "udp", "ingress")])),
        ("8080:80/", json!([t(80, 8080, "tcp", "ingress")])),
        (":80", json!([t(80, 0, "tcp", "ingress")])),
        (
            "8000-8002:80-82",
            json!([
                t(80, 8000, "tcp", "ingress"),
                t(81, 8001, "tcp", "ingress"),
                t(82, 8002, "tcp", "ingress")
            ]),
        ),
        (
            "8000-8002:80/sctp",
            json!([
                t(80, 8000, "sctp", "ingress"),
                t(80, 8001, "sctp", "ingress"),
                t(80, 8002, "sctp", "ingress")
            ]),
        ),
        (
            "80-81",
            json!([t(80, 0, "tcp", "ingress"), t(81, 0, "tcp", "ingress")]),
        ),
        ("80-80:80", json!([t(80, 80, "tcp", "ingress")])),
    ];
    for (input, want) in table {
        assert_eq!(port_json(input), want, "{input}");
    }
}

/// Rejections with the docker CLI 28.2.2's reason texts (captured from `docker service create`).
pub const PUBLISH_REJECTS: &[(&str, &str)] = &[
    ("127.0.0.1:8080:80", "hostip is not supported"),
    ("0.0.0.0:8080:80", "hostip is not supported"),
    ("[::1]:80:80", "hostip is not supported"),
    (
        "8000-8003:80-82",
        "invalid ranges specified for container and host Ports: 80-82 and 8000-8003",
    ),
    (
        "80:80-82",
        "invalid ranges specified for container and host Ports: 80-82 and 80",
    ),
    ("abc", "invalid containerPort: abc"),
    ("8080:abc", "invalid containerPort: abc"),
    ("70000:80", "invalid hostPort: 70000"),
    ("80/xyz", "invalid proto: xyz"),
    ("", "no port specified: <empty>"),
    ("80-", "invalid containerPort: 80-"),
    ("-80", "invalid containerPort: -80"),
    ("82-80", "invalid containerPort: 82-80"),
    ("+80", "invalid containerPort: +80"),
    ("+80:80", "invalid hostPort: +80"),
    ("0x50", "invalid containerPort: 0x50"),
    (" 80", "invalid containerPort:  80"),
    ("1.2.3.4:80", "invalid hostPort: 1.2.3.4"),
    ("80:80:80:80", "invalid IP address: 80:80"),
    ("::80:80", "invalid IP address: :"),
    (
        "[::1:80:80",
        "invalid IP address [::1: address [::1:: missing ']' in address",
    ),
    ("a=", "invalid containerPort: a="),
    ("target=-1", "invalid containerPort: target=-1"),
    ("target= 80", "invalid containerPort: target= 80"),
    ("mode=host", "missing mandatory field 'target'"),
    ("target=0", "missing mandatory field 'target'"),
    (
        "target=80,published=x",
        "invalid published port (x): value must be an integer: invalid syntax",
    ),
    (
        "target=80,published=",
        "invalid published port (): value must be an integer: invalid syntax",
    ),
    (
        "target=70000",
        "invalid target port (70000): value must be an integer: value out of range",
    ),
    (
        "published=70000,target=80",
        "invalid published port (70000): value must be an integer: value out of range",
    ),
    (
        "mode=foo,target=80",
        "invalid publish mode value (foo): must be either 'ingress' or 'host'",
    ),
    (
        "target=80,published=8080,mode=host junk",
        "invalid publish mode value (host junk): must be either 'ingress' or 'host'",
    ),
    ("protocol=xyz,target=80", "invalid protocol value 'xyz'"),
    ("target=80,protocol=", "invalid protocol value ''"),
    ("target=80,foo=1", "invalid field key: foo"),
    ("a=b", "invalid field key: a"),
    ("target=80,x", "invalid field: x"),
    ("X,target=80", "invalid field: X"),
    ("=1,target=80", "invalid field: =1"),
    ("8080:80,a=b", "invalid field: 8080:80"),
    (
        "target=80,protocol=\"tcp,mode=ingress\"",
        "parse error on line 1, column 20: bare \" in non-quoted-field",
    ),
];

#[test]
fn publish_rejects_like_the_cli() {
    for (input, reason) in PUBLISH_REJECTS {
        let err = input.parse::<PortSpec>().expect_err(input);
        assert_eq!(err.to_string(), *reason, "{input:?}");
    }
}

#[test]
fn serde_goes_through_the_parser() {
    let m: MountSpec = serde_json::from_value(json!("target=/x,ro")).unwrap();
    assert!(m.mount().read_only);
    let back: MountSpec = serde_json::from_value(serde_json::to_value(&m).unwrap()).unwrap();
    assert_eq!(back, m);
    // JSON that no --mount string produces is refused.
    assert!(
        serde_json::from_value::<MountSpec>(
            json!({"Type":"bind","Target":"/x","VolumeOptions":{}})
        )
        .is_err()
    );
    assert!(serde_json::from_value::<MountSpec>(json!("source=/x")).is_err());
    let p: PortSpec = serde_json::from_value(json!("8000-8001:80-81")).unwrap();
    let back: PortSpec = serde_json::from_value(serde_json::to_value(&p).unwrap()).unwrap();
    assert_eq!(back, p);
    assert!(
        serde_json::from_value::<PortSpec>(
            json!([{"TargetPort":80,"PublishedPort":1},{"TargetPort":90,"PublishedPort":1}])
        )
        .is_err()
    );
}

#[test]
fn spec_tolerates_unknown_fields_and_values() {
    let raw = json!({"Name":"a","Labels":null,"Future":{"x":1},
        "TaskTemplate":{"ContainerSpec":{"Image":"i","Privileges":{"NoNewPrivileges":true},
            "Mounts":[{"Type":"quantum","Target":"/q"}]},
            "RestartPolicy":{"Condition":"sometimes"},"ForceUpdate":0},
        "Mode":{"Replicated":{"Replicas":2}},
        "UpdateConfig":{"Parallelism":1,"FailureAction":"explode","Order":"random","MaxFailureRatio":0}});
    let spec: ServiceSpec = serde_json::from_value(raw.clone()).unwrap();
    let out = serde_json::to_value(&spec).unwrap();
    assert_eq!(out["Future"], raw["Future"]);
    assert_eq!(
        out["TaskTemplate"]["ContainerSpec"]["Privileges"],
        raw["TaskTemplate"]["ContainerSpec"]["Privileges"]
    );
    assert_eq!(
        out["TaskTemplate"]["ContainerSpec"]["Mounts"][0]["Type"],
        "quantum"
    );
    assert_eq!(
        out["TaskTemplate"]["RestartPolicy"]["Condition"],
        "sometimes"
    );
    assert_eq!(out["UpdateConfig"]["FailureAction"], "explode");
    assert_eq!(out["Labels"], json!({}));
}

#[test]
fn builder_matches_the_cli_defaults() {
    let spec = ServiceSpec::builder("s", "127.0.0.1:5000/absent/x:latest")
        .build()
        .unwrap();
    assert_eq!(
        serde_json::to_value(&spec).unwrap(),
        json!({"Name":"s","Labels":{},"TaskTemplate":{"ContainerSpec":{"Image":"127.0.0.1:5000/absent/x:latest","Init":false,"DNSConfig":{}},
            "Resources":{"Limits":{},"Reservations":{}},"Placement":{},"ForceUpdate":0},
            "Mode":{"Replicated":{}},"EndpointSpec":{"Mode":"vip"}})
    );
    let err = ServiceSpec::builder("s", "i")
        .global()
        .replicas(2)
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "replicas can only be used with replicated or replicated-job mode"
    );
    assert!(ServiceSpec::builder("s", "").build().is_err());
    let spec = ServiceSpec::builder("s", "i")
        .replicas(3)
        .env("PORT=81{{.Task.Slot}}")
        .network("host")
        .publish("mode=host,target=80,published=8080".parse().unwrap())
        .max_replicas_per_node(1)
        .build()
        .unwrap();
    let v = serde_json::to_value(&spec).unwrap();
    assert_eq!(v["Mode"]["Replicated"]["Replicas"], 3);
    assert_eq!(
        v["TaskTemplate"]["ContainerSpec"]["Env"][0],
        "PORT=81{{.Task.Slot}}"
    );
    assert_eq!(v["TaskTemplate"]["Networks"][0]["Target"], "host");
    assert_eq!(v["TaskTemplate"]["Placement"]["MaxReplicas"], 1);
    assert_eq!(v["EndpointSpec"]["Ports"][0]["PublishMode"], "host");
}

fn field_value() -> impl Strategy<Value = String> {
    // Values with the characters that need CSV quoting.
    proptest::string::string_regex("[a-zA-Z0-9/:.=,\" _\n-]{0,12}").unwrap()
}

fn mount_input() -> impl Strategy<Value = String> {
    let volume = (
        field_value(),
        field_value(),
        proptest::collection::vec((r"[a-z]{1,5}", field_value()), 0..3),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(src, target, opts, nocopy, ro)| {
            let mut fields = vec![format!("source={src}"), format!("target=/{target}")];
            fields.extend(opts.iter().map(|(k, v)| format!("volume-opt={k}={v}")));
            if nocopy {
                fields.push("volume-nocopy".into());
            }
            if ro {
                fields.push("ro".into());
            }
            fields
        });
    let bind = (
        field_value(),
        prop::sample::select(vec!["", "rprivate", "shared"]),
        0..3u8,
    )
        .prop_map(|(src, prop, rec)| {
            let mut f = vec![
                "type=bind".to_owned(),
                format!("src=/{src}"),
                "dst=/b".into(),
                "ro".into(),
            ];
            if !prop.is_empty() {
                f.push(format!("bind-propagation={prop}"));
            }
            match rec {
                1 => f.push("bind-recursive=disabled".into()),
                2 => f.push("bind-recursive=writable".into()),
                _ => {}
            }
            f
        });
    let tmpfs = (0u64..1 << 40, 0u32..0o7777).prop_map(|(size, mode)| {
        vec![
            "type=tmpfs".into(),
            "target=/t".into(),
            format!("tmpfs-size={size}"),
            format!("tmpfs-mode={mode:o}"),
        ]
    });
    prop_oneof![volume, bind, tmpfs].prop_map(|fields| {
        fields
            .iter()
            .map(|f| {
                if f.contains([',', '"', '\n']) {
                    format!("\"{}\"", f.replace('"', "\"\""))
                } else {
                    f.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    })
}

proptest! {
    #[test]
    fn mount_display_round_trips(input in mount_input()) {
        let m: MountSpec = input.parse().unwrap();
        let shown = m.to_string();
        let back: MountSpec = shown.parse().unwrap();
        prop_assert_eq!(&back, &m);
        prop_assert_eq!(back.to_string(), shown);
    }

    #[test]
    fn mount_parser_never_panics(input in "\\PC{0,40}") {
        if let Ok(m) = input.parse::<MountSpec>() {
            prop_assert_eq!(m.to_string().parse::<MountSpec>().unwrap(), m);
        }
    }

    #[test]
    fn port_display_round_trips(
        target in 1u32..60000, n in 0u32..4, published in 0u32..60000,
        proto in prop::sample::select(vec!["tcp", "udp", "sctp"]),
        form in 0u8..4,
    ) {
        let input = match form {
            0 => format!("target={target},published={published},protocol={proto},mode=host"),
            1 => format!("{}-{}/{proto}", target, target + n),
            2 => format!("{}-{}:{}-{}/{proto}", published, published + n, target, target + n),
            _ => format!("{}-{}:{target}/{proto}", published, published + n),
        };
        let p: PortSpec = input.parse().unwrap();
        let shown = p.to_string();
        let back: PortSpec = shown.parse().unwrap();
        prop_assert_eq!(&back, &p);
        prop_assert_eq!(back.to_string(), shown);
    }

    #[test]
    fn port_parser_never_panics(input in "\\PC{0,30}") {
        if let Ok(p) = input.parse::<PortSpec>() {
            prop_assert_eq!(p.to_string().parse::<PortSpec>().unwrap(), p);
        }
    }
}
