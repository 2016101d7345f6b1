//! The supervisor against snippets that misbehave: each run must end in
//! bounded time, say what happened, and leave nothing running.
use std::process::{Command, Output};
use std::time::{Duration, Instant};

mod common;
use common::survivors;

/// Runs `supervisor fixture --exe misbehave -- MODE TOKEN` and returns its
/// output, elapsed time, and the processes still carrying TOKEN afterwards.
fn run(mode: &str, extra: &[&str]) -> (Output, Duration, Vec<String>) {
    let token = format!("rsp-test-{mode}-{}", std::process::id());
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_supervisor"))
        .args([
            "fixture",
            "--exe",
            env!("CARGO_BIN_EXE_misbehave"),
            "--timeout",
            "1",
        ])
        .args(extra)
        .args(["--", mode, &token])
        .output()
        .unwrap();
    (out, start.elapsed(), survivors(&token))
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn a_good_run_keeps_stdout_and_stderr_in_order() {
    let (out, _, left) = run("ok", &[]);
    let md = stdout(&out);
    assert!(out.status.success(), "{md}");
    assert!(
        md.contains("misbehave: ok\nto stderr, after stdout\n"),
        "{md}"
    );
    assert!(md.contains("exit status 0"), "{md}");
    assert!(left.is_empty());
}

#[test]
fn a_hanging_snippet_is_killed_at_its_timeout() {
    let (out, took, left) = run("hang", &[]);
    let md = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{md}");
    assert!(
        md.contains("**supervisor error**: snippet `fixture`"),
        "{md}"
    );
    assert!(md.contains("timed out after 1 s"), "{md}");
    assert!(
        md.contains("misbehave: hang"),
        "output before the hang is kept: {md}"
    );
    assert!(took < Duration::from_secs(6), "took {took:?}");
    assert!(left.is_empty(), "left running: {left:?}");
}

#[test]
fn a_daemon_that_escaped_with_setsid_is_found_and_killed() {
    let (out, took, left) = run("daemonize", &[]);
    let md = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{md}");
    assert!(
        md.contains("left processes running after it ended; killed 1 left running"),
        "{md}"
    );
    assert!(took < Duration::from_secs(6), "took {took:?}");
    assert!(left.is_empty(), "left running: {left:?}");
}

#[test]
fn a_tree_of_64_processes_is_killed_on_timeout() {
    let (out, took, left) = run("fork-bomb-lite", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(took < Duration::from_secs(6), "took {took:?}");
    assert!(left.is_empty(), "left running: {left:?}");
}

#[test]
fn a_panic_is_a_failure_unless_expected() {
    let (out, _, _) = run("panic", &[]);
    let md = stdout(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(md.contains("exited with status 101"), "{md}");
    assert!(md.contains("panicked") && md.contains("on purpose"), "{md}");

    let (out, _, _) = run("panic", &["--expect-exit", "101"]);
    let md = stdout(&out);
    assert!(out.status.success(), "{md}");
    assert!(md.contains("exit status 101 (expected)"), "{md}");
}

#[test]
fn a_stack_overflow_is_sigabrt_with_rusts_message() {
    let (out, _, left) = run("overflow", &["--expect-signal", "SIGABRT"]);
    let md = stdout(&out);
    assert!(out.status.success(), "{md}");
    assert!(md.contains("has overflowed its stack"), "{md}");
    assert!(md.contains("killed by SIGABRT (expected)"), "{md}");
    assert!(left.is_empty());

    let (out, _, _) = run("overflow", &[]);
    assert!(stdout(&out).contains("killed by SIGABRT"));
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn ten_megabytes_of_output_are_cut_with_a_note() {
    let (out, took, _) = run("flood", &[]);
    let md = stdout(&out);
    assert!(
        out.status.success(),
        "{}",
        &md[md.len().saturating_sub(300)..]
    );
    assert!(
        md.contains("[supervisor: output cut at 65536 bytes;"),
        "{}",
        &md[md.len() - 300..]
    );
    assert!(md.len() < 70 * 1024, "page block is {} bytes", md.len());
    assert!(took < Duration::from_secs(6), "took {took:?}");
}

#[test]
fn an_unknown_snippet_names_itself() {
    let out = Command::new(env!("CARGO_BIN_EXE_supervisor"))
        .arg("no-such-snippet")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("snippet `no-such-snippet`"));
    assert!(stdout(&out).contains("no snippet crate at snippets/no-such-snippet/"));
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with("supervisor: snippet `no-such-snippet`")
    );
}
