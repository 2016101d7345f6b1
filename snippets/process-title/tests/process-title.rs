//! The process-title snippet: comm truncated to 15 bytes, cmdline untouched,
//! a thread's own comm, and argv[0] chosen by the caller of exec.

fn run() -> Vec<String> {
    snippet_support::run_ok(env!("CARGO_BIN_EXE_process-title"), &[])
}

#[test]
fn a_long_name_is_cut_to_15_bytes_and_cmdline_is_untouched() {
    let lines = run();
    let find = |p: &str| {
        lines
            .iter()
            .find(|l| l.starts_with(p))
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(
        find("comm after:"),
        "comm after:   \"my_rust_process\" (15 bytes + NUL = 16)"
    );
    assert_eq!(find("PR_GET_NAME:"), "PR_GET_NAME:  \"my_rust_process\"");
    assert!(find("cmdline:").contains("(untouched)"));
    assert!(!find("cmdline:").contains("my_rust_process"));
}

#[test]
fn ps_shows_comm_and_args_separately() {
    let lines = run();
    let ps = lines.iter().find(|l| l.starts_with("ps -o")).unwrap();
    if !ps.contains("not available") {
        assert!(ps.contains("my_rust_process"), "{ps}");
    }
}

#[test]
fn threads_and_exec_name_themselves() {
    let lines = run();
    assert!(lines
        .iter()
        .any(|l| l.ends_with("its comm is \"worker-thread-w\"")));
    assert!(lines.iter().any(|l| l.ends_with(
        "comm \"process-title\", cmdline [\"any-argv0-you-like\"]"
    )));
}
