//! The guide's complete test files are real tests: each ```rust block of
//! docs/guide/testing.md that is a whole file (it starts with `//!`) must equal, byte for byte,
//! the file under examples/tests/ that the text names just before it.

use std::path::Path;

#[test]
fn guide_test_blocks_equal_their_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let page = std::fs::read_to_string(root.join("docs/guide/testing.md")).expect("testing.md");
    let mut checked = Vec::new();
    let mut rest = page.as_str();
    while let Some(start) = rest.find("```rust\n") {
        let before = &rest[..start];
        let body_start = start + "```rust\n".len();
        let len = rest[body_start..].find("```").expect("closed block");
        let block = &rest[body_start..body_start + len];
        rest = &rest[body_start + len + 3..];
        if !block.starts_with("//!") {
            continue; // a fragment, not a whole file
        }
        let name = before
            .rmatch_indices("examples/tests/")
            .next()
            .map(|(i, _)| &before[i..])
            .and_then(|s| s.split('`').next())
            .unwrap_or_else(|| panic!("no examples/tests/ file named before block:\n{block}"));
        let file =
            std::fs::read_to_string(root.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            file == block,
            "{name} differs from its block in docs/guide/testing.md: update both"
        );
        checked.push(name.to_owned());
    }
    checked.sort();
    assert_eq!(
        checked,
        [
            "examples/tests/guide_automation.rs",
            "examples/tests/guide_credential_helper.rs"
        ]
    );
}
