//! The kill-tree snippet: killpg misses a daemon that called setsid(), the
//! cgroup catches it (cgroup.kill, or the v1 freezer); a stop sends SIGTERM,
//! waits, and SIGKILLs what is left, and each process ends as its handling
//! of SIGTERM says. Without cgroups, it says so and exits 0.

fn run(args: &[&str], deny: Option<&str>) -> Vec<String> {
    snippet_support::run_ok_denying(env!("CARGO_BIN_EXE_kill-tree"), args, deny)
}

/// The lines after the header that starts with `header`, up to the next.
fn section<'a>(lines: &'a [String], header: &str) -> &'a [String] {
    let start = lines
        .iter()
        .position(|l| l.starts_with(header))
        .unwrap_or_else(|| panic!("no {header:?} in {lines:#?}"));
    let len = lines[start + 1..]
        .iter()
        .position(|l| l.starts_with("== "))
        .unwrap_or(lines.len() - start - 1);
    &lines[start + 1..start + 1 + len]
}

fn assert_escape_and_catch(lines: &[String], how: &str) {
    let one = section(lines, "== 1. killpg");
    assert_eq!(
        one,
        [
            "[manager] service: leads its own process group: true",
            "[manager] worker:  in the service's group: true",
            "[manager] daemon:  a session and group of its own: true",
            "[manager] cgroup.procs lists 3 pids",
            "[manager] service: killed by SIGKILL; worker: killed by SIGKILL",
            "[manager] daemon: answers a ping: true, parent: the manager; \
             cgroup.procs lists 1 pid",
        ]
    );
    let two = section(lines, &format!("== 2. {how}"));
    assert_eq!(
        two,
        [
            "[manager] cgroup.procs empty; daemon: killed by SIGKILL",
            "[manager] rmdir: the cgroup is gone: true",
        ]
    );
}

#[test]
fn killpg_misses_the_daemon_and_cgroup_kill_catches_it() {
    assert_escape_and_catch(&run(&[], None), "echo 1 > cgroup.kill");
}

#[test]
fn a_stop_kills_what_sigterm_did_not_end() {
    let lines = run(&[], None);
    let all = section(&lines, "== 3. SIGTERM to every process");
    assert!(all[0].starts_with("[manager] SIGTERM to 3 of 3 processes"));
    assert!(all[0].ends_with("1 left: cgroup.kill"), "{}", all[0]);
    assert_eq!(
        &all[1..],
        [
            "[service] said \"got SIGTERM, shutting down\"; exited with status 0",
            "[worker]  said \"got SIGTERM, finishing the current job\"; \
             killed by SIGKILL",
            "[daemon]  said \"got SIGTERM, shutting down\"; exited with status 0",
        ]
    );
    let main = section(&lines, "== 4. SIGTERM to the main process only");
    assert!(main[0].ends_with("2 left: cgroup.kill"), "{}", main[0]);
    assert_eq!(
        &main[1..],
        [
            "[service] said \"got SIGTERM, shutting down\"; exited with status 0",
            "[worker]  said nothing; killed by SIGKILL",
            "[daemon]  said nothing; killed by SIGKILL",
        ]
    );
}

#[test]
fn the_v1_freezer_catches_it_too() {
    let lines = run(&["v1"], None);
    assert_escape_and_catch(&lines, "the v1 freezer");
    assert!(!lines.iter().any(|l| l.starts_with("== 3.")));
}

#[test]
fn without_cgroup_v2_the_freezer_steps_in() {
    let lines = run(&[], Some("cgroup-v2"));
    assert_eq!(
        lines[0],
        "kill-tree: no cgroup v2 with cgroup.kill: RSP_DENY=cgroup-v2"
    );
    assert_escape_and_catch(&lines, "the v1 freezer");
}

#[test]
fn without_cgroups_it_says_so_and_exits_0() {
    let lines = run(&[], Some("cgroups"));
    assert_eq!(
        lines.last().unwrap(),
        "kill-tree: not possible here: RSP_DENY=cgroups"
    );
}
