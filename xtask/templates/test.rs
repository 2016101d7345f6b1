//! Asserts what the {slug} chapter claims, line by line.

#[test]
fn shows_the_behaviour() {
    let lines = snippet_support::run_ok(env!("CARGO_BIN_EXE_{slug}"), &[]);
    assert!(lines[0].starts_with("hello from pid "), "{lines:?}");
}
