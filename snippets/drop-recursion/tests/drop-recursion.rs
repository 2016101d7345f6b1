//! The drop-recursion snippets: Drop order for a built value, no Drop for a
//! half-built one, E0509 for moving a field out, the runaway Deref that
//! dies of a stack overflow (in the main thread, or in a thread with a big
//! stack), the lint that finds the unconditional case and not this one, and
//! a panic in drop during a panic, which aborts.
use std::os::unix::process::ExitStatusExt;
use std::path::Path;

use snippet_support::{
    assert_rejects, assert_warns, compile_fail_file, lint_file, run,
};

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

#[test]
fn a_bigger_stack_only_delays_the_overflow_and_it_aborts_the_process() {
    let (status, out, err) =
        run(env!("CARGO_BIN_EXE_runaway-deref"), &["thread"]);
    assert_eq!(
        status.signal(),
        Some(6),
        "not SIGABRT: {status:?}\n{out}{err}"
    );
    assert_eq!(
        out,
        "main: starting thread 'big-stack' with a 64 MiB stack\n\
         hello world (len 11, through Deref)\nCall drop\n"
    );
    assert!(err.contains("thread 'big-stack'"), "{err}");
    assert!(err.contains("has overflowed its stack"), "{err}");
    assert!(!err.contains("behaviour not seen"), "{err}");
}

#[test]
fn the_lint_finds_a_deref_that_always_recurses_but_not_the_conditional_one() {
    let msg = assert_warns(
        lint_file(env!("CARGO_MANIFEST_DIR"), "always_trim"),
        "unconditional_recursion",
    );
    assert!(
        msg.contains("function cannot return without recursing"),
        "{msg}"
    );
    let runaway =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bin/runaway-deref.rs");
    let r = snippet_support::rustc(&runaway);
    assert!(r.status.success(), "{}", r.stderr);
    assert!(
        !r.stderr.contains("unconditional_recursion"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_panic_in_drop_during_a_panic_aborts_past_catch_unwind() {
    let (status, out, err) = run(env!("CARGO_BIN_EXE_drop-panic"), &[]);
    assert_eq!(
        status.signal(),
        Some(6),
        "not SIGABRT: {status:?}\n{out}{err}"
    );
    assert_eq!(out, "drop: called while a panic unwinds: true\n");
    let hooks: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("panic hook:"))
        .collect();
    assert_eq!(hooks.len(), 3, "{err}");
    for msg in [
        "the first panic",
        "a panic in drop",
        "panic in a destructor during cleanup",
    ] {
        assert!(err.contains(msg), "{msg} missing from {err}");
    }
    assert!(
        err.contains("thread caused non-unwinding panic. aborting."),
        "{err}"
    );
    assert!(!err.contains("behaviour not seen"), "{err}");
}
