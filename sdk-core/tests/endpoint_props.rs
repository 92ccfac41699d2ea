//! Property tests of the `Endpoint` grammar: display is canonical and re-parses to itself, and no
//! input makes the parser panic.

use proptest::prelude::*;
use sdk_core::Endpoint;

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u8..=255, 0u8..=255, 0u8..=255, 1u8..=254)
            .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
        "[a-z][a-z0-9-]{0,10}(\\.[a-z][a-z0-9]{0,6}){0,2}",
        Just("[::1]".to_owned()),
    ]
}

fn endpoint_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "(/[a-zA-Z0-9._-]{1,12}){1,4}".prop_map(|p| format!("unix://{p}")),
        (host(), 1u16..).prop_map(|(h, p)| format!("tcp://{h}:{p}")),
        (
            prop_oneof![Just("http"), Just("https")],
            host(),
            proptest::option::of(1u16..)
        )
            .prop_map(|(s, h, p)| match p {
                Some(p) => format!("{s}://{h}:{p}"),
                None => format!("{s}://{h}"),
            }),
    ]
}

proptest! {
    #[test]
    fn display_reparses_to_the_same_endpoint(text in endpoint_text()) {
        let e: Endpoint = text.parse().unwrap_or_else(|err| panic!("{text}: {err}"));
        let shown = e.to_string();
        let again: Endpoint = shown.parse().unwrap_or_else(|err| panic!("{shown}: {err}"));
        prop_assert_eq!(again.to_string(), shown.clone());
        prop_assert_eq!(again.base_url(), e.base_url());
    }

    #[test]
    fn arbitrary_input_never_panics(text in "\\PC{0,64}") {
        let _ = text.parse::<Endpoint>();
    }

    #[test]
    fn unix_prefix_required_for_paths(path in "(/[a-z0-9]{1,8}){1,3}") {
        prop_assert!(path.parse::<Endpoint>().is_err());
        let e: Endpoint = format!("unix://{path}").parse().unwrap();
        prop_assert_eq!(e.unix_socket().map(|p| p.display().to_string()), Some(path));
    }
}
