//! The parent-death snippet: PR_SET_PDEATHSIG fires when the thread that
//! started the child returns, while the parent process runs on; a child
//! started from the main thread, one reading a pipe and one polling a
//! pidfd all notice only the parent's death, and the observer, a
//! subreaper, reaps them.

#[test]
fn the_parent_death_signal_follows_the_thread() {
    let lines =
        snippet_support::run_ok(env!("CARGO_BIN_EXE_parent-death"), &[]);
    let at = lines
        .iter()
        .position(|l| l.starts_with("== the thread that started A returns"))
        .unwrap();
    assert_eq!(
        &lines[at + 1..at + 5],
        [
            "[parent]   A: killed by SIGTERM",
            "[observer] ping: B: still running, no signal",
            "[observer] ping: C: still running, no end of file",
            "[observer] ping: D: still running, the pidfd is not readable",
        ]
    );
}

#[test]
fn a_pipe_and_a_pidfd_notice_the_death_of_the_process() {
    let lines =
        snippet_support::run_ok(env!("CARGO_BIN_EXE_parent-death"), &[]);
    let at = lines
        .iter()
        .position(|l| l.starts_with("== the parent is killed"))
        .unwrap();
    assert_eq!(
        &lines[at + 1..],
        [
            "[observer] the parent: killed by SIGKILL",
            "[child]    C: end of file on the pipe: the parent is gone",
            "[child]    D: the parent's pidfd is readable: the parent is gone",
            "[observer] B: killed by SIGTERM, reaped by the observer",
            "[observer] C: exited with status 0, reaped by the observer",
            "[observer] D: exited with status 0, reaped by the observer",
        ]
    );
}
