//! Public-API tests of the pure model: builders, rules, parser, rendering, round trips.

use lb_config::{
    AccessLog, Config, Directive, Error, Location, Method, NginxConf, Server, ServerAddr, Upstream,
    UpstreamServer, Zone,
};
use proptest::prelude::*;

mod common;
use common::{ISSUE_EXAMPLE, KEPT_DIRECTIVES, arb_addr, arb_upstream};

fn addr(s: &str) -> ServerAddr {
    s.parse().unwrap()
}

#[test]
fn issue_example_parses_and_renders_byte_for_byte() {
    let conf: Config = ISSUE_EXAMPLE.parse().unwrap();
    let up = &conf.upstreams()[0];
    assert_eq!(up.name(), "loadbalance");
    assert_eq!(up.method(), &Method::LeastConn);
    assert_eq!(up.servers().len(), 3);
    let s = &conf.servers()[0];
    assert!(
        matches!(s.access_log(), Some(AccessLog::Path { path, format: Some(f), .. })
        if path == "/var/log/nginx/access_lb.log" && f == "main")
    );
    assert_eq!(s.locations()[0].proxy_pass().unwrap().host(), "loadbalance");
    assert_eq!(conf.render(), ISSUE_EXAMPLE);
}

#[test]
fn hand_written_messy_config_normalises() {
    let messy = "# balancer\nupstream   loadbalance{server 192.168.1.193 ;server 192.168.1.157;\n\
                 \tleast_conn;  server \"192.168.1.160\";server 192.168.1.157; # dup\n}\n\
                 server{access_log '/var/log/nginx/access_lb.log' main;location /{proxy_pass http://loadbalance;}}";
    let conf: Config = messy.parse().unwrap();
    assert_eq!(conf.render(), ISSUE_EXAMPLE);
}

#[test]
fn unknown_directives_are_kept() {
    let text = KEPT_DIRECTIVES;
    let conf: Config = text.parse().unwrap();
    assert_eq!(conf.extra()[0].name(), "map");
    assert_eq!(conf.upstreams()[0].extra()[0].name(), "keepalive_timeout");
    assert_eq!(conf.servers()[0].extra()[0].name(), "client_max_body_size");
    assert_eq!(
        conf.servers()[0].locations()[1].headers()[1],
        ("Connection".to_owned(), String::new())
    );
    assert_eq!(conf.render(), text);
}

#[test]
fn rendering_is_deterministic_sorted_deduplicated() {
    let a = Upstream::builder("lb")
        .method(Method::LeastConn)
        .server(addr("10.0.0.3"))
        .server(addr("10.0.0.1:80"))
        .server(addr("10.0.0.3"))
        .build()
        .unwrap();
    let b = Upstream::builder("lb")
        .server(addr("10.0.0.1:80"))
        .server(addr("10.0.0.3"))
        .method(Method::LeastConn)
        .build()
        .unwrap();
    assert_eq!(a, b);
    assert_eq!(a.to_string(), b.to_string());
    assert_eq!(
        a.to_string(),
        "upstream lb {\n    least_conn;\n    server 10.0.0.1:80;\n    server 10.0.0.3;\n}\n"
    );
}

#[test]
fn rules_each_give_a_distinct_typed_error() {
    let backup = || "10.0.0.1 backup".parse::<UpstreamServer>().unwrap();
    let cases: Vec<(Result<Upstream, Error>, Error)> = vec![
        (
            Upstream::builder("lb").build(),
            Error::EmptyUpstream {
                upstream: "lb".into(),
            },
        ),
        (
            Upstream::builder("lb")
                .method(Method::IpHash)
                .server_entry(backup())
                .build(),
            Error::BackupNotSupported {
                upstream: "lb".into(),
                method: "ip_hash".into(),
                server: "10.0.0.1".into(),
            },
        ),
        (
            Upstream::builder("lb")
                .method(Method::hash("$remote_addr", true).unwrap())
                .server_entry(backup())
                .build(),
            Error::BackupNotSupported {
                upstream: "lb".into(),
                method: "hash $remote_addr consistent".into(),
                server: "10.0.0.1".into(),
            },
        ),
        (
            Upstream::builder("lb")
                .method(Method::Random {
                    two: true,
                    least_conn: false,
                })
                .server_entry(backup())
                .build(),
            Error::BackupNotSupported {
                upstream: "lb".into(),
                method: "random two".into(),
                server: "10.0.0.1".into(),
            },
        ),
        (
            Upstream::builder("lb")
                .server_entry(
                    UpstreamServer::builder(addr("app.internal"))
                        .resolve(true)
                        .build()
                        .unwrap(),
                )
                .build(),
            Error::ResolveWithoutZone {
                upstream: "lb".into(),
                server: "app.internal".into(),
            },
        ),
        (
            Upstream::builder("lb")
                .server(addr("10.0.0.1"))
                .server_entry("10.0.0.1 weight=2".parse().unwrap())
                .build(),
            Error::ConflictingServer {
                upstream: "lb".into(),
                server: "10.0.0.1".into(),
            },
        ),
        (
            Upstream::builder("lb")
                .server_entry(backup())
                .server_entry("10.0.0.2 backup".parse().unwrap())
                .build(),
            Error::OnlyBackupServers {
                upstream: "lb".into(),
            },
        ),
        (
            "upstream lb {\n    server 10.0.0.1 backup;\n}\n".parse(),
            Error::OnlyBackupServers {
                upstream: "lb".into(),
            },
        ),
        (
            Upstream::builder("lb")
                .server(addr("10.0.0.1"))
                .keepalive(0)
                .build(),
            Error::InvalidValue {
                what: "keepalive",
                value: "0".into(),
                reason: "must be at least 1 (idle connections cached per worker)".into(),
            },
        ),
    ];
    for (got, want) in cases {
        assert_eq!(got.unwrap_err(), want);
    }
    assert_eq!(
        UpstreamServer::builder(addr("10.0.0.1")).weight(0).build(),
        Err(Error::ZeroWeight {
            server: "10.0.0.1".into()
        })
    );
    assert_eq!(
        "10.0.0.1 weight=0".parse::<UpstreamServer>(),
        Err(Error::ZeroWeight {
            server: "10.0.0.1".into()
        })
    );
    // nginx keeps fail_timeout in whole seconds and refuses `ms` there.
    for t in ["500ms", "1s500ms"] {
        assert!(
            matches!(
                UpstreamServer::builder(addr("10.0.0.1"))
                    .fail_timeout(t)
                    .build(),
                Err(Error::InvalidValue {
                    what: "fail_timeout",
                    ..
                })
            ),
            "{t}"
        );
    }
    assert!(matches!(
        "10.0.0.1 fail_timeout=500ms".parse::<UpstreamServer>(),
        Err(Error::InvalidValue {
            what: "fail_timeout",
            ..
        })
    ));
    assert_eq!(
        "::1".parse::<ServerAddr>(),
        Err(Error::UnbracketedIpv6 {
            value: "::1".into()
        })
    );
    // A method that cannot have backups is named first, as nginx does.
    assert!(matches!(
        Upstream::builder("lb")
            .method(Method::IpHash)
            .server_entry(backup())
            .build(),
        Err(Error::BackupNotSupported { .. })
    ));
    // backup is fine with round robin and least_conn beside a primary server; resolve is fine
    // with a zone.
    assert!(
        Upstream::builder("lb")
            .method(Method::LeastConn)
            .server_entry(backup())
            .server(addr("10.0.0.2"))
            .build()
            .is_ok()
    );
    assert!(
        Upstream::builder("lb")
            .zone(Zone::new("lb", Some("64k")).unwrap())
            .server_entry("app.internal resolve".parse().unwrap())
            .build()
            .is_ok()
    );
}

#[test]
fn injection_characters_are_rejected_everywhere() {
    for bad in [
        "lb;", "l{b", "l}b", "l\"b", "l'b", "l#b", "l b", "l\nb", "l\tb", "", "l\\b",
    ] {
        let e = Upstream::builder(bad)
            .server(addr("10.0.0.1"))
            .build()
            .unwrap_err();
        assert!(
            matches!(&e, Error::UnsafeValue { what: "upstream name", value, .. } if value == bad),
            "{bad:?}: {e}"
        );
        assert!(
            AccessLog::path(&format!("/tmp/a{bad}"), None).is_err() || bad.is_empty(),
            "{bad:?}"
        );
        assert!(
            Method::hash(&format!("$k{bad}"), false).is_err() || bad.is_empty(),
            "{bad:?}"
        );
        assert!(Zone::new(bad, None).is_err(), "{bad:?}");
        assert!(
            Location::builder("/")
                .proxy_pass_upstream(bad)
                .build()
                .is_err(),
            "{bad:?}"
        );
        assert!(
            Server::builder().server_name(bad).build().is_err(),
            "{bad:?}"
        );
        assert!(AccessLog::path("/tmp/a.log", Some(bad)).is_err(), "{bad:?}");
    }
    let e = AccessLog::path("/tmp/a.log; root /etc", None).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid access_log path \"/tmp/a.log; root /etc\": contains ';', which would end the directive"
    );
}

#[test]
fn full_conf_defines_main_and_rejects_undefined_formats() {
    let conf: Config = ISSUE_EXAMPLE.parse().unwrap();
    let full = NginxConf::builder(conf.clone())
        .main_directive(Directive::new("worker_processes", ["1"]).unwrap())
        .events_directive(Directive::new("worker_connections", ["64"]).unwrap())
        .build()
        .unwrap();
    let text = full.render();
    assert!(text.starts_with("worker_processes 1;\nevents {\n    worker_connections 64;\n}\nhttp {\n    log_format main "), "{text}");
    let back: NginxConf = text.parse().unwrap();
    assert_eq!(back, full);
    assert_eq!(back.render(), text);

    let custom = "server {\n    access_log /tmp/x.log fancy;\n}\n"
        .parse::<Config>()
        .unwrap();
    assert_eq!(
        NginxConf::builder(custom).build(),
        Err(Error::UndefinedLogFormat {
            path: "/tmp/x.log".into(),
            format: "fancy".into()
        })
    );
}

#[test]
fn parse_errors_name_the_line() {
    assert!(matches!(
        "upstream lb {\n    server 10.0.0.1\n}".parse::<Config>(),
        Err(Error::Parse { line: 3, .. })
    ));
    assert!(matches!(
        "upstream lb {\n    least_conn;\n    ip_hash;\n    server a;\n}".parse::<Config>(),
        Err(Error::DuplicateDirective { .. })
    ));
    assert!(matches!(
        "upstream lb {\n    server a weight=x;\n}".parse::<Config>(),
        Err(Error::InvalidValue { .. })
    ));
    assert!(matches!(
        "upstream lb {\n    server a bogus;\n}".parse::<Config>(),
        Err(Error::InvalidValue { .. })
    ));
    assert!(matches!(
        "upstream lb {\n    random three;\n    server a;\n}".parse::<Config>(),
        Err(Error::InvalidValue { .. })
    ));
}

#[test]
fn methods_parse_and_display() {
    for m in [
        "least_conn",
        "ip_hash",
        "hash $request_uri",
        "hash $remote_addr consistent",
        "random",
        "random two",
        "random two least_conn",
    ] {
        assert_eq!(m.parse::<Method>().unwrap().to_string(), m);
    }
    assert_eq!("round_robin".parse::<Method>().unwrap(), Method::RoundRobin);
    assert!("hash".parse::<Method>().is_err());
    assert!("fastest".parse::<Method>().is_err());
}

proptest! {
    #[test]
    fn upstream_render_parse_render_is_stable(up in arb_upstream(false)) {
        let text = up.to_string();
        let back: Upstream = text.parse().unwrap();
        prop_assert_eq!(&back, &up);
        prop_assert_eq!(back.to_string(), text);
    }

    #[test]
    fn server_addr_round_trips(a in arb_addr(false)) {
        let text = a.to_string();
        prop_assert_eq!(text.parse::<ServerAddr>().unwrap(), a);
    }

    #[test]
    fn parser_never_panics(s in "[ -~\\n]{0,200}") {
        let _ = s.parse::<Config>();
        let _ = s.parse::<NginxConf>();
    }

    #[test]
    fn raw_directive_args_cannot_inject(arg in "[ -~\\n]{0,40}") {
        let d = Directive::new("add_header", ["X-Test", arg.as_str()]).unwrap();
        let back = lb_config::parse_directives(&d.to_string()).unwrap();
        prop_assert_eq!(back, vec![d]);
    }
}
