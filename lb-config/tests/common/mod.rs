//! Shared by the test crates (`model.rs`, `real_nginx.rs`): the hand-written configs the model
//! tests parse and render, and the proptest strategies, so what the pure tests render is also
//! what the real-nginx tests give to `nginx -t`.

use lb_config::{Method, ServerAddr, Upstream, UpstreamServer, Zone};
use proptest::prelude::*;

/// The issue's hand-written example (its log path is moved into a temp dir for `nginx -t`).
pub(crate) const ISSUE_EXAMPLE: &str = "upstream loadbalance {
    least_conn;
    server 192.168.1.157;
    server 192.168.1.160;
    server 192.168.1.193;
}
server {
    access_log /var/log/nginx/access_lb.log main;
    location / {
        proxy_pass http://loadbalance;
    }
}
";

/// A config full of directives the model does not know, kept and rendered byte for byte.
pub(crate) const KEPT_DIRECTIVES: &str = "map $http_upgrade $connection_upgrade {\n    default upgrade;\n    \"\" close;\n}\n\
    upstream u {\n    hash $request_uri consistent;\n    zone u 64k;\n    server 127.0.0.1:81 weight=2 max_conns=10 max_fails=3 fail_timeout=10s;\n    server [::1]:82 down;\n    keepalive 16;\n    keepalive_timeout 60s;\n}\n\
    server {\n    listen 127.0.0.1:8080 default_server;\n    server_name lb.example.com;\n    client_max_body_size 10m;\n    location = /health {\n        return 200 \"ok\\n\";\n    }\n    location / {\n        proxy_pass http://u;\n        proxy_set_header Host $host;\n        proxy_set_header Connection \"\";\n        proxy_http_version 1.1;\n    }\n}\n";

/// Server addresses: IPv4, IPv6, hostnames, unix sockets, with and without ports. With
/// `for_nginx` every hostname is `localhost`: `nginx -t` resolves hostnames, and made-up names
/// would fail with "host not found", which says nothing about our rendering.
pub(crate) fn arb_addr(for_nginx: bool) -> impl Strategy<Value = ServerAddr> {
    let host = if for_nginx {
        Just("localhost".to_owned()).boxed()
    } else {
        "[a-z][a-z0-9-]{0,10}[a-z0-9](\\.[a-z]{2,5}){0,2}".boxed()
    };
    prop_oneof![
        (any::<[u8; 4]>(), proptest::option::of(1u16..))
            .prop_map(|(o, p)| ServerAddr::ip(std::net::Ipv4Addr::from(o).into(), p)),
        (any::<[u16; 8]>(), proptest::option::of(1u16..))
            .prop_map(|(o, p)| ServerAddr::ip(std::net::Ipv6Addr::from(o).into(), p)),
        (host, proptest::option::of(1u16..)).prop_map(|(h, p)| match p {
            Some(p) => format!("{h}:{p}").parse().unwrap(),
            None => h.parse().unwrap(),
        }),
        "/[a-z]{1,8}(/[a-z0-9.]{1,8}){0,2}".prop_map(|p| format!("unix:{p}").parse().unwrap()),
    ]
}

/// Every balancing method. With `for_nginx` hash keys are variables nginx defines (`nginx -t`
/// rejects an unknown `$name`): fixed ones and the `$http_*`/`$arg_*`/`$cookie_*` families.
fn arb_method(for_nginx: bool) -> impl Strategy<Value = Method> {
    let key = if for_nginx {
        prop_oneof![
            Just("$remote_addr".to_owned()),
            Just("$request_uri".to_owned()),
            "\\$(http|arg|cookie)_[a-z][a-z_]{0,10}",
        ]
        .boxed()
    } else {
        "\\$[a-z_]{1,12}".boxed()
    };
    prop_oneof![
        Just(Method::RoundRobin),
        Just(Method::LeastConn),
        Just(Method::IpHash),
        (key, any::<bool>()).prop_map(|(k, c)| Method::hash(&k, c).unwrap()),
        (any::<bool>(), any::<bool>()).prop_map(|(two, lc)| Method::Random {
            two,
            least_conn: two && lc
        }),
    ]
}

prop_compose! {
    fn arb_server(backup_ok: bool, resolve_ok: bool, for_nginx: bool)(
        a in arb_addr(for_nginx),
        w in proptest::option::of(1u32..100),
        mc in proptest::option::of(0u32..1000),
        mf in proptest::option::of(0u32..10),
        ft in proptest::option::of("[0-9]{1,3}(s|m|h|d)?|[1-9]m[1-5]?[0-9]s"),
        b in any::<bool>(),
        d in any::<bool>(),
        r in any::<bool>(),
    ) -> UpstreamServer {
        let mut s = UpstreamServer::builder(a).backup(b && backup_ok).down(d).resolve(r && resolve_ok);
        if let Some(w) = w { s = s.weight(w); }
        if let Some(n) = mc { s = s.max_conns(n); }
        if let Some(n) = mf { s = s.max_fails(n); }
        if let Some(t) = ft { s = s.fail_timeout(t); }
        s.build().unwrap()
    }
}

/// Upstreams our builder accepts (generated values it rejects, e.g. conflicting servers or only
/// backups, are dropped). With `for_nginx` they suit `nginx -t` here (see [`arb_addr`],
/// [`arb_method`]) and have no `resolve`: nginx 1.22 rejects it (it needs nginx >= 1.27.3).
pub(crate) fn arb_upstream(for_nginx: bool) -> impl Strategy<Value = Upstream> {
    (
        arb_method(for_nginx),
        any::<bool>(),
        proptest::option::of(1u32..64),
        "[a-z][a-z0-9_]{0,12}",
    )
        .prop_flat_map(move |(m, zone, ka, name)| {
            let backup_ok = m.supports_backup();
            let resolve_ok = zone && !for_nginx;
            proptest::collection::vec(arb_server(backup_ok, resolve_ok, for_nginx), 1..8).prop_map(
                move |servers| {
                    let mut b = Upstream::builder(name.clone()).method(m.clone());
                    if zone {
                        b = b.zone(Zone::new(&name, Some("64k")).unwrap());
                    }
                    if let Some(k) = ka {
                        b = b.keepalive(k);
                    }
                    for s in servers {
                        b = b.server_entry(s);
                    }
                    b.build()
                },
            )
        })
        .prop_filter_map("rejected by the builder", Result::ok)
}
