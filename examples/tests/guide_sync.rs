//! The guide's complete test files are real tests: each ```rust block of a guide page that is a
//! whole file (it starts with `//!`) must equal, byte for byte, the file under examples/tests/
//! that the text names just before it.

use std::path::Path;

/// Checks every whole-file block of `docs/guide/{page}` against its file; returns the files.
fn whole_file_blocks_equal_their_files(page: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let text = std::fs::read_to_string(root.join("docs/guide").join(page)).expect(page);
    let mut checked = Vec::new();
    let mut rest = text.as_str();
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
            "{name} differs from its block in docs/guide/{page}: update both"
        );
        checked.push(name.to_owned());
    }
    checked.sort();
    checked
}

#[test]
fn guide_test_blocks_equal_their_files() {
    let checked = whole_file_blocks_equal_their_files("testing.md");
    assert_eq!(
        checked,
        [
            "examples/tests/guide_automation.rs",
            "examples/tests/guide_credential_helper.rs"
        ]
    );
}

#[test]
fn flags_guide_program_equals_its_file() {
    let checked = whole_file_blocks_equal_their_files("flags.md");
    assert_eq!(checked, ["examples/tests/guide_flags.rs"]);
}

#[test]
fn lb_watcher_guide_program_equals_its_file() {
    let checked = whole_file_blocks_equal_their_files("lb-watcher.md");
    assert_eq!(checked, ["examples/tests/guide_lb_watcher.rs"]);
}
