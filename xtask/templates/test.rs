//! Asserts what the {slug} chapter claims, line by line.
use std::process::Command;

#[test]
fn shows_the_behaviour() {
    let out = Command::new(env!("CARGO_BIN_EXE_{slug}")).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.starts_with("hello from pid "), "{text}");
}
