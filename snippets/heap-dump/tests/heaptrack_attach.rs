//! heaptrack-attach: heaptrack, attached from outside to a running Rust
//! process that does nothing to help, records the 10 000 strings it is
//! asked to make, from the line that makes them, and nothing leaked.

#[test]
fn heaptrack_sees_the_strings_from_outside() {
    let lines =
        snippet_support::run_ok(env!("CARGO_BIN_EXE_heaptrack-attach"), &[]);
    let text = lines.join("\n");
    assert!(lines[1].starts_with("ptrace: attacher uid "), "{text}");
    assert!(
        text.contains("target, asked to alloc: allocated 10000"),
        "{text}"
    );
    assert!(
        text.contains("10000 calls with 640.00K peak consumption from:"),
        "{text}"
    );
    assert!(
        text.contains("at snippets/heap-dump/src/bin/heaptrack-attach.rs:"),
        "the call site is in the target's own source: {text}"
    );
    assert!(text.contains("total memory leaked: 0B"), "{text}");
}
