//! The drop-recursion snippets: Drop order for a built value, no Drop for a
//! half-built one, E0509 for moving a field out, and the runaway Deref that
//! dies of a stack overflow.
use std::os::unix::process::ExitStatusExt;

use snippet_support::{assert_rejects, compile_fail_file, run};

#[test]
fn drop_runs_only_for_the_fully_built_value() {
    let (status, out, err) = run(env!("CARGO_BIN_EXE_drop-recursion"), &[]);
    assert!(status.success(), "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "Conn::new(false), then the Conn goes out of scope:",
            "  open hello",
            "  open world",
            "  drop Conn (it sees hello and world)",
            "  drop Part hello",
            "  drop Part world",
            "Conn::new(true), which fails at `world`:",
            "  open hello",
            "  drop Part hello",
            "  -> Err(\"cannot open world\")",
        ]
    );
}

#[test]
fn moving_a_field_out_of_a_drop_type_is_e0509() {
    let msg = assert_rejects(
        compile_fail_file(env!("CARGO_MANIFEST_DIR"), "move_out_of_drop"),
        "E0509",
    );
    assert!(msg.contains("which implements the `Drop` trait"), "{msg}");
}

#[test]
fn a_deref_that_reenters_itself_overflows_the_stack() {
    let (status, out, err) = run(env!("CARGO_BIN_EXE_runaway-deref"), &[]);
    assert_eq!(
        status.signal(),
        Some(6),
        "not SIGABRT: {status:?}\n{out}{err}"
    );
    assert_eq!(
        out, "hello world (len 11, through Deref)\nCall drop\n",
        "drop must start and never finish"
    );
    assert!(err.contains("thread 'main'"), "{err}");
    assert!(err.contains("has overflowed its stack"), "{err}");
    assert!(err.contains("fatal runtime error: stack overflow"), "{err}");
}
