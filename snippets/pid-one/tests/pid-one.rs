//! The pid-one snippet: under a PID 1 that never reaps, the orphaned jobs
//! pile up as zombies, SIGTERM without a handler is ignored, and SIGKILL
//! ends the namespace with its zombies; under an init that reaps, no
//! zombies, and SIGTERM reaches the app; a PID 1 that ignores SIGCHLD has
//! no zombies and no statuses. Without a pid namespace, it says so.

fn run(args: &[&str], deny: Option<&str>) -> Vec<String> {
    snippet_support::run_ok_denying(env!("CARGO_BIN_EXE_pid-one"), args, deny)
}

fn find<'a>(lines: &'a [String], prefix: &str) -> Vec<&'a str> {
    lines
        .iter()
        .filter(|l| l.starts_with(prefix))
        .map(String::as_str)
        .collect()
}

#[test]
fn a_pid_1_that_never_reaps_collects_the_orphans_as_zombies() {
    let lines = run(&[], None);
    assert_eq!(lines[2], "[app]     getpid() = 1", "{lines:#?}");
    let counts = find(&lines, "[runtime] zombies under PID 1: ");
    assert_eq!(counts.len(), 6, "{lines:#?}");
    // Pids in a fresh namespace are handed out from 1 up: the worker of
    // each request takes one, its three jobs the next three.
    assert_eq!(
        &counts[..3],
        [
            "[runtime] zombies under PID 1: 3 (pids 3 4 5)",
            "[runtime] zombies under PID 1: 6 (pids 3 4 5 7 8 9)",
            "[runtime] zombies under PID 1: 9 (pids 3 4 5 7 8 9 11 12 13)",
        ]
    );
}

#[test]
fn pid_1_ignores_sigterm_without_a_handler_but_not_sigkill() {
    let lines = run(&[], None);
    let at = lines
        .iter()
        .position(|l| l.starts_with("[runtime] SIGTERM to PID 1, which"))
        .unwrap();
    assert_eq!(
        &lines[at..at + 4],
        [
            "[runtime] SIGTERM to PID 1, which has a handler: false",
            "[runtime] then a ping: \"pong\"; still running: true",
            "[runtime] SIGKILL to PID 1: killed by SIGKILL",
            "[runtime] its zombies, asked through pidfds: gone (ESRCH): 9 of 9",
        ]
    );
}

#[test]
fn an_init_that_reaps_leaves_no_zombies_and_forwards_sigterm() {
    let lines = run(&[], None);
    let at = lines.iter().position(|l| l.starts_with("== 2.")).unwrap();
    let after = &lines[at..];
    assert_eq!(after[2], "[app]     getpid() = 2; PID 1 is the init");
    assert_eq!(
        find(after, "[init]    reaped "),
        [
            "[init]    reaped 4 5 6",
            "[init]    reaped 8 9 10",
            "[init]    reaped 12 13 14"
        ]
    );
    assert_eq!(
        find(after, "[runtime] zombies under PID 1: "),
        ["[runtime] zombies under PID 1: 0"; 3]
    );
    assert_eq!(
        &after[after.len() - 3..],
        [
            "[init]    forwarded SIGTERM to the app",
            "[init]    the app: killed by SIGTERM",
            "[runtime] SIGTERM to PID 1: exited with status 143",
        ]
    );
}

#[test]
fn a_pid_1_that_ignores_sigchld_has_no_zombies_and_no_statuses() {
    let lines = run(&["sig-ign"], None);
    assert_eq!(
        &lines[2..],
        [
            "[app]     request 1: waiting for the worker: \
             No child processes (os error 10)",
            "[runtime] zombies under PID 1: 0",
        ]
    );
}

#[test]
fn without_a_pid_namespace_it_says_so_and_exits_0() {
    let lines = run(&[], Some("pid-namespace"));
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(
        lines[1].starts_with("pid-one: not possible here: clone3(")
            && lines[1].contains("failed: EPERM"),
        "{}",
        lines[1]
    );
}
