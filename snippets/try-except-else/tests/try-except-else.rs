//! The try-except-else snippet: the order of try/else/except/finally in each
//! case, the error from `?` and from the else branch reaching the caller, and
//! the finally guard running while a panic unwinds into catch_unwind, and
//! not at all when std::process::exit ends the process or when the panic
//! aborts (a build with panic=abort).
use snippet_support::run;

#[test]
fn every_case_runs_its_branches_in_order() {
    let (status, out, err) = run(env!("CARGO_BIN_EXE_try-except-else"), &[]);
    assert!(status.success(), "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "Case 1: no error in try",
            "  try",
            "  else: got 42",
            "  finally",
            "Case 2: an error in try",
            "  try",
            "  except: boom",
            "  finally",
            "Case 3: no except; ? passes the error up",
            "  try",
            "  finally",
            "  the caller got Err(\"boom\")",
            "Case 4: an error in else",
            "  try",
            "  else: validating",
            "  the caller got Err(\"42 is too big\")",
            "Case 5: a panic in try, stopped by catch_unwind",
            "  try",
            "  finally (while unwinding)",
            "  catch_unwind gave Err(\"index out of bounds: the len is 3 but the index is 3\")",
        ]
    );
}

#[test]
fn the_panic_is_reported_by_the_hook_before_it_is_caught() {
    let (status, _out, err) = run(env!("CARGO_BIN_EXE_try-except-else"), &[]);
    assert!(status.success());
    assert!(err.contains("thread 'main'"), "{err}");
    assert!(err.contains("panicked at"), "{err}");
    assert!(
        err.contains("index out of bounds: the len is 3 but the index is 3"),
        "{err}"
    );
}

#[test]
fn process_exit_skips_the_guard() {
    let (status, out, err) =
        snippet_support::run(env!("CARGO_BIN_EXE_try-except-else"), &["exit"]);
    assert_eq!(status.code(), Some(3), "{out}{err}");
    assert_eq!(out, "  try\n  std::process::exit(3)\n", "no finally: {err}");
}

#[test]
fn with_panic_abort_neither_the_guard_nor_catch_unwind_runs() {
    let (status, out, err) = run(env!("CARGO_BIN_EXE_panic-abort"), &[]);
    assert!(status.success(), "{out}{err}");
    assert!(out.contains("Case 5: a panic in try"), "{out}");
    assert!(
        out.contains("panicked at snippets/try-except-else/src/main.rs:"),
        "{out}"
    );
    assert!(!out.contains("finally"), "{out}");
    assert!(!out.contains("catch_unwind gave"), "{out}");
    assert!(out.ends_with("-> killed by SIGABRT\n"), "{out}");
}
