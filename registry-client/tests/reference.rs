//! Normalisation and reject tables for `Reference` (cases from distribution/reference's
//! reference_test.go and normalize_test.go, adapted to `ParseNormalizedNamed`), plus proptest
//! round trips.

use proptest::prelude::*;
use registry_client::digest::{Digest, DigestError};
use registry_client::reference::{Reference, ReferenceError};

const H64: &str = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

/// (input, domain, path, tag, digest, familiar, canonical)
#[allow(clippy::type_complexity)]
fn accepted() -> Vec<(
    String,
    &'static str,
    String,
    Option<&'static str>,
    Option<String>,
    String,
    String,
)> {
    let d = format!("sha256:{H64}");
    let d512 = format!("sha512:{H64}{H64}");
    let long = format!("{}a", "a/".repeat(127));
    vec![
        (
            "nginx_lb".into(),
            "docker.io",
            "library/nginx_lb".into(),
            None,
            None,
            "nginx_lb".into(),
            "docker.io/library/nginx_lb:latest".into(),
        ),
        (
            "dev1johndoe/nginx_lb".into(),
            "docker.io",
            "dev1johndoe/nginx_lb".into(),
            None,
            None,
            "dev1johndoe/nginx_lb".into(),
            "docker.io/dev1johndoe/nginx_lb:latest".into(),
        ),
        (
            "localhost:5000/foo:tag".into(),
            "localhost:5000",
            "foo".into(),
            Some("tag"),
            None,
            "localhost:5000/foo:tag".into(),
            "localhost:5000/foo:tag".into(),
        ),
        (
            "test_com".into(),
            "docker.io",
            "library/test_com".into(),
            None,
            None,
            "test_com".into(),
            "docker.io/library/test_com:latest".into(),
        ),
        (
            "test.com:tag".into(),
            "docker.io",
            "library/test.com".into(),
            Some("tag"),
            None,
            "test.com:tag".into(),
            "docker.io/library/test.com:tag".into(),
        ),
        (
            "test.com:5000".into(),
            "docker.io",
            "library/test.com".into(),
            Some("5000"),
            None,
            "test.com:5000".into(),
            "docker.io/library/test.com:5000".into(),
        ),
        (
            "test.com/repo:tag".into(),
            "test.com",
            "repo".into(),
            Some("tag"),
            None,
            "test.com/repo:tag".into(),
            "test.com/repo:tag".into(),
        ),
        (
            "test:5000/repo".into(),
            "test:5000",
            "repo".into(),
            None,
            None,
            "test:5000/repo".into(),
            "test:5000/repo:latest".into(),
        ),
        (
            format!("test:5000/repo@{d}"),
            "test:5000",
            "repo".into(),
            None,
            Some(d.clone()),
            format!("test:5000/repo@{d}"),
            format!("test:5000/repo@{d}"),
        ),
        (
            format!("test:5000/repo:tag@{d}"),
            "test:5000",
            "repo".into(),
            Some("tag"),
            Some(d.clone()),
            format!("test:5000/repo:tag@{d}"),
            format!("test:5000/repo:tag@{d}"),
        ),
        (
            "lowercase:Uppercase".into(),
            "docker.io",
            "library/lowercase".into(),
            Some("Uppercase"),
            None,
            "lowercase:Uppercase".into(),
            "docker.io/library/lowercase:Uppercase".into(),
        ),
        (
            format!("{long}:tag-puts-this-over-max"),
            "docker.io",
            long.clone(),
            Some("tag-puts-this-over-max"),
            None,
            format!("{long}:tag-puts-this-over-max"),
            format!("docker.io/{long}:tag-puts-this-over-max"),
        ),
        (
            "sub-dom1.foo.com/bar/baz/quux:some-long-tag".into(),
            "sub-dom1.foo.com",
            "bar/baz/quux".into(),
            Some("some-long-tag"),
            None,
            "sub-dom1.foo.com/bar/baz/quux:some-long-tag".into(),
            "sub-dom1.foo.com/bar/baz/quux:some-long-tag".into(),
        ),
        (
            "b.gcr.io/test.example.com/my-app:test.example.com".into(),
            "b.gcr.io",
            "test.example.com/my-app".into(),
            Some("test.example.com"),
            None,
            "b.gcr.io/test.example.com/my-app:test.example.com".into(),
            "b.gcr.io/test.example.com/my-app:test.example.com".into(),
        ),
        (
            format!("xn--7o8h.com/myimage:xn--7o8h.com@{d512}"),
            "xn--7o8h.com",
            "myimage".into(),
            Some("xn--7o8h.com"),
            Some(d512.clone()),
            format!("xn--7o8h.com/myimage:xn--7o8h.com@{d512}"),
            format!("xn--7o8h.com/myimage:xn--7o8h.com@{d512}"),
        ),
        (
            "foo/foo_bar.com:8080".into(),
            "docker.io",
            "foo/foo_bar.com".into(),
            Some("8080"),
            None,
            "foo/foo_bar.com:8080".into(),
            "docker.io/foo/foo_bar.com:8080".into(),
        ),
        (
            "192.168.1.1:5000/repo:5050".into(),
            "192.168.1.1:5000",
            "repo".into(),
            Some("5050"),
            None,
            "192.168.1.1:5000/repo:5050".into(),
            "192.168.1.1:5000/repo:5050".into(),
        ),
        (
            "[2001:db8::1]/repo".into(),
            "[2001:db8::1]",
            "repo".into(),
            None,
            None,
            "[2001:db8::1]/repo".into(),
            "[2001:db8::1]/repo:latest".into(),
        ),
        (
            "[::1]:5000/foo".into(),
            "[::1]:5000",
            "foo".into(),
            None,
            None,
            "[::1]:5000/foo".into(),
            "[::1]:5000/foo:latest".into(),
        ),
        (
            "[2001:db8:1:2:3:4:5:6]/repo:tag".into(),
            "[2001:db8:1:2:3:4:5:6]",
            "repo".into(),
            Some("tag"),
            None,
            "[2001:db8:1:2:3:4:5:6]/repo:tag".into(),
            "[2001:db8:1:2:3:4:5:6]/repo:tag".into(),
        ),
        (
            "index.docker.io/foo".into(),
            "docker.io",
            "library/foo".into(),
            None,
            None,
            "foo".into(),
            "docker.io/library/foo:latest".into(),
        ),
        (
            "index.docker.io/user/foo:1".into(),
            "docker.io",
            "user/foo".into(),
            Some("1"),
            None,
            "user/foo:1".into(),
            "docker.io/user/foo:1".into(),
        ),
        (
            "docker.io/library/foo/bar".into(),
            "docker.io",
            "library/foo/bar".into(),
            None,
            None,
            "library/foo/bar".into(),
            "docker.io/library/foo/bar:latest".into(),
        ),
        (
            "docker.io/foo".into(),
            "docker.io",
            "library/foo".into(),
            None,
            None,
            "foo".into(),
            "docker.io/library/foo:latest".into(),
        ),
        (
            "localhost/foo".into(),
            "localhost",
            "foo".into(),
            None,
            None,
            "localhost/foo".into(),
            "localhost/foo:latest".into(),
        ),
        (
            // Bare "localhost" is a name on Docker Hub (docker's FIXME).
            "localhost:5000".into(),
            "docker.io",
            "library/localhost".into(),
            Some("5000"),
            None,
            "localhost:5000".into(),
            "docker.io/library/localhost:5000".into(),
        ),
        (
            // An uppercase first component is taken as a domain.
            "Uppercase/lowercase:tag".into(),
            "Uppercase",
            "lowercase".into(),
            Some("tag"),
            None,
            "Uppercase/lowercase:tag".into(),
            "Uppercase/lowercase:tag".into(),
        ),
        (
            "127.0.0.1:5000/regref/busybox@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".into(),
            "127.0.0.1:5000",
            "regref/busybox".into(),
            None,
            Some("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".into()),
            "127.0.0.1:5000/regref/busybox@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".into(),
            "127.0.0.1:5000/regref/busybox@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".into(),
        ),
        (
            "a__b---c_d/f:_".into(),
            "docker.io",
            "a__b---c_d/f".into(),
            Some("_"),
            None,
            "a__b---c_d/f:_".into(),
            "docker.io/a__b---c_d/f:_".into(),
        ),
    ]
}

#[test]
fn normalisation_table() {
    for (input, domain, path, tag, digest, familiar, canonical) in accepted() {
        let r: Reference = input
            .parse()
            .unwrap_or_else(|e| panic!("{input} rejected: {e}"));
        assert_eq!(r.domain(), domain, "domain of {input}");
        assert_eq!(r.path(), path, "path of {input}");
        assert_eq!(r.name(), format!("{domain}/{path}"), "name of {input}");
        assert_eq!(r.tag(), tag, "tag of {input}");
        assert_eq!(
            r.digest().map(ToString::to_string),
            digest,
            "digest of {input}"
        );
        assert_eq!(r.familiar(), familiar, "familiar of {input}");
        assert_eq!(r.canonical(), canonical, "canonical of {input}");
        let again: Reference = r.to_string().parse().unwrap();
        assert_eq!(again, r, "round trip of {input}");
        let from_canonical: Reference = r.canonical().parse().unwrap();
        assert_eq!(from_canonical.canonical(), r.canonical());
    }
}

#[test]
fn reject_table() {
    let d = format!("sha256:{H64}");
    let too_long = format!("{}a:tag", "a/".repeat(128));
    let cases: Vec<(String, ReferenceError)> = vec![
        ("".into(), ReferenceError::InvalidFormat),
        (":justtag".into(), ReferenceError::InvalidFormat),
        (format!("@{d}"), ReferenceError::InvalidFormat),
        (
            "repo@sha256:ffffffffffffffffffffffffffffffffff".into(),
            ReferenceError::InvalidDigest(DigestError::InvalidLength),
        ),
        (
            format!("validname@invaliddigest:{H64}"),
            ReferenceError::InvalidDigest(DigestError::Unsupported),
        ),
        (
            format!("validname@sha256:{}", H64.to_uppercase()),
            ReferenceError::InvalidDigest(DigestError::InvalidFormat),
        ),
        ("repo@sha256:abc".into(), ReferenceError::InvalidFormat),
        (
            "Uppercase:tag".into(),
            ReferenceError::RemoteNameNotLowercase("library/Uppercase".into()),
        ),
        (
            "test:5000/Uppercase/lowercase:tag".into(),
            ReferenceError::RemoteNameNotLowercase("Uppercase/lowercase".into()),
        ),
        (
            "docker.io/Foo".into(),
            ReferenceError::RemoteNameNotLowercase("library/Foo".into()),
        ),
        ("Foo_bar/x".into(), ReferenceError::NameContainsUppercase),
        (too_long, ReferenceError::NameTooLong { length: 257 }),
        ("a".repeat(250), ReferenceError::NameTooLong { length: 258 }),
        ("aa/asdf$$^/aa".into(), ReferenceError::InvalidFormat),
        ("[2001:db8::1]".into(), ReferenceError::InvalidFormat),
        ("[2001:db8::1]:5000".into(), ReferenceError::InvalidFormat),
        ("[2001:db8::1]:tag".into(), ReferenceError::InvalidFormat),
        (
            "[fe80::1%eth0]:5000/repo".into(),
            ReferenceError::InvalidFormat,
        ),
        (
            "[fe80::1%@invalidzone]:5000/repo".into(),
            ReferenceError::InvalidFormat,
        ),
        (H64.into(), ReferenceError::HexIdentifier(H64.into())),
        ("foo:".into(), ReferenceError::InvalidFormat),
        ("foo@".into(), ReferenceError::InvalidFormat),
        ("foo:bar:baz".into(), ReferenceError::InvalidFormat),
        ("foo//bar".into(), ReferenceError::InvalidFormat),
        ("foo/".into(), ReferenceError::InvalidFormat),
        ("-foo".into(), ReferenceError::InvalidFormat),
        ("foo:bar/baz".into(), ReferenceError::InvalidFormat),
        (
            format!("foo:{}", "a".repeat(129)),
            ReferenceError::InvalidFormat,
        ),
        ("foo bar".into(), ReferenceError::InvalidFormat),
        ("föo".into(), ReferenceError::InvalidFormat),
        (format!("a@{d}@{d}"), ReferenceError::InvalidFormat),
    ];
    for (input, want) in cases {
        assert_eq!(Reference::parse(&input), Err(want), "{input}");
    }
}

#[test]
fn error_texts_are_dockers() {
    assert_eq!(
        Reference::parse("Uppercase:tag").unwrap_err().to_string(),
        "invalid reference format: repository name (library/Uppercase) must be lowercase"
    );
    assert_eq!(
        Reference::parse("Foo_bar/x").unwrap_err().to_string(),
        "invalid reference format: repository name must be lowercase"
    );
    assert_eq!(
        Reference::parse("aa/asdf$$^/aa").unwrap_err().to_string(),
        "invalid reference format"
    );
    assert_eq!(
        Reference::parse(H64).unwrap_err().to_string(),
        format!("invalid repository name ({H64}), cannot specify 64-byte hexadecimal strings")
    );
    assert_eq!(
        Reference::parse(&"a".repeat(250)).unwrap_err().to_string(),
        "repository name must not be more than 255 characters"
    );
}

#[test]
fn with_tag_and_digest() {
    let r: Reference = "test.com:8000/foo".parse().unwrap();
    let t = r.with_tag("TAG5").unwrap();
    assert_eq!(t.to_string(), "test.com:8000/foo:TAG5");
    let d: Digest = format!("sha256:{H64}").parse().unwrap();
    let td = t.with_digest(d.clone());
    assert_eq!(
        td.to_string(),
        format!("test.com:8000/foo:TAG5@sha256:{H64}")
    );
    assert_eq!(td.manifest_reference(), d.to_string());
    assert_eq!(td.without_digest().manifest_reference(), "TAG5");
    assert_eq!(r.manifest_reference(), "latest");
    assert_eq!(
        td.without_tag().to_string(),
        format!("test.com:8000/foo@sha256:{H64}")
    );
    assert_eq!(r.with_tag("-bad"), Err(ReferenceError::InvalidTag));
    assert_eq!(r.with_tag(""), Err(ReferenceError::InvalidTag));
}

#[test]
fn api_host() {
    let hub: Reference = "nginx".parse().unwrap();
    assert!(hub.is_docker_hub());
    assert_eq!(hub.api_host(), "registry-1.docker.io");
    let local: Reference = "127.0.0.1:5000/x".parse().unwrap();
    assert_eq!(local.api_host(), "127.0.0.1:5000");
    assert!(!local.is_docker_hub());
}

#[test]
fn serde_through_parser() {
    let r: Reference = serde_json::from_str("\"nginx_lb\"").unwrap();
    assert_eq!(
        serde_json::to_string(&r).unwrap(),
        "\"docker.io/library/nginx_lb\""
    );
    let err = serde_json::from_str::<Reference>("\"Bad:tag\"").unwrap_err();
    assert!(err.to_string().contains("must be lowercase"), "{err}");
}

/// The docker corner case: a `.`-containing first component that is not a valid host stays in
/// the path with an empty domain (distribution/reference behaves the same).
#[test]
fn invalid_host_first_component_is_kept_as_path() {
    let r: Reference = "foo_bar.com/x".parse().unwrap();
    assert_eq!(r.domain(), "");
    assert_eq!(r.path(), "foo_bar.com/x");
    assert_eq!(r.name(), "foo_bar.com/x");
    assert_eq!(r.familiar(), "foo_bar.com/x");
    assert_eq!(r.canonical(), "foo_bar.com/x:latest");
    assert_eq!(r.to_string().parse::<Reference>().unwrap(), r);
}

fn path_component() -> impl Strategy<Value = String> {
    "[a-z0-9]{1,4}((\\.|_|__|-{1,3})[a-z0-9]{1,4}){0,2}"
}

fn domain() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("docker.io".to_owned())),
        Just(Some("index.docker.io".to_owned())),
        Just(Some("localhost".to_owned())),
        "[a-z0-9]{1,5}(\\.[a-z0-9]{1,5}){1,2}(:[0-9]{1,5})?".prop_map(Some),
        "[a-z]{1,5}:[0-9]{1,5}".prop_map(Some),
        "\\[[0-9a-f]{0,4}:[0-9a-f:]{0,8}\\](:[0-9]{1,5})?".prop_map(Some),
    ]
}

fn reference_string() -> impl Strategy<Value = String> {
    (
        domain(),
        proptest::collection::vec(path_component(), 1..4),
        proptest::option::of("[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}"),
        proptest::option::of("[0-9a-f]{64}"),
    )
        .prop_map(|(d, p, t, g)| {
            let mut s = String::new();
            if let Some(d) = d {
                s.push_str(&d);
                s.push('/');
            }
            s.push_str(&p.join("/"));
            if let Some(t) = t {
                s.push(':');
                s.push_str(&t);
            }
            if let Some(g) = g {
                s.push_str("@sha256:");
                s.push_str(&g);
            }
            s
        })
}

proptest! {
    #[test]
    fn generated_references_round_trip(s in reference_string()) {
        let r: Reference = s.parse().map_err(|e| TestCaseError::fail(format!("{s}: {e}")))?;
        let shown = r.to_string();
        let again: Reference = shown.parse().unwrap();
        prop_assert_eq!(&again, &r);
        prop_assert_eq!(again.to_string(), shown);
        // The familiar form is lossy in docker too when a Hub path starts with a
        // domain-like component (`docker.io/a.b/c` shows as `a.b/c`); elsewhere it round trips.
        let familiar = r.familiar();
        let first = familiar.split('/').next().unwrap_or_default();
        if !r.is_docker_hub() || !(first.contains(['.', ':']) || first == "localhost") {
            let fam: Reference = familiar.parse().unwrap();
            prop_assert_eq!(fam, r.clone());
        }
        prop_assert!(r.canonical().starts_with(&r.name()));
    }

    #[test]
    fn arbitrary_strings_never_panic_and_round_trip(s in "[a-zA-Z0-9:/@._\\[\\]-]{0,40}") {
        if let Ok(r) = s.parse::<Reference>() {
            let shown = r.to_string();
            let again: Reference = shown.parse().unwrap();
            prop_assert_eq!(&again, &r);
            prop_assert_eq!(again.to_string(), shown);
        }
    }

    #[test]
    fn any_unicode_input_is_a_result_not_a_panic(s in "\\PC{0,60}") {
        let _ = s.parse::<Reference>();
        let _ = s.parse::<Digest>();
    }
}
