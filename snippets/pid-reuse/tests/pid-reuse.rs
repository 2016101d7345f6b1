//! The pid-reuse snippet: in a namespace whose pid_max is 310, the reaped
//! worker's pid 300 goes to a stranger once the counter comes round; kill by
//! the number hits the stranger, the worker's pidfd answers ESRCH. Without a
//! pid namespace, it says so and exits 0.

fn run(deny: Option<&str>) -> Vec<String> {
    snippet_support::run_ok_denying(env!("CARGO_BIN_EXE_pid-reuse"), &[], deny)
}

#[test]
fn the_pidfile_s_number_hits_a_stranger_and_the_pidfd_nobody() {
    let lines = run(None);
    assert_eq!(
        lines,
        [
            "[init]    PID 1 of a new pid namespace; its pid_max: 310",
            "[init]    the worker (cat): pid 300, kept in a pidfile",
            "[init]    the worker exited with status 0; reaped: pid 300 is free",
            "[init]    9 short-lived processes: pids 301 to 309",
            "[init]    a new process, a stranger (cat): pid 300",
            "[init]    pidfd_send_signal(the worker's pidfd, SIGTERM): \
             -1 ESRCH: No such process",
            "[init]    kill(300, SIGTERM): 0, delivered",
            "[init]    the stranger was killed by SIGTERM",
            "[runtime] PID 1 of the namespace exited with status 0",
        ]
    );
}

#[test]
fn without_a_pid_namespace_it_says_so_and_exits_0() {
    let lines = run(Some("pid-namespace"));
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(
        lines[0].starts_with(
            "pid-reuse: not possible here: unshare(CLONE_NEWPID): EPERM"
        ),
        "{}",
        lines[0]
    );
}
