//! The process-group snippet: kill(SIGKILL) reaches the leader only and the
//! child survives (re-parented to the subreaper), killpg() reaches the child
//! too, whose handler runs for SIGTERM and never for SIGKILL;
//! PR_SET_PDEATHSIG kills the child with its parent; without the subreaper
//! flag the orphan goes elsewhere; the terminal signals the foreground job.
use std::process::Command;

fn run(bin: &str, args: &[&str]) -> Vec<String> {
    let out = Command::new(bin).args(args).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines().map(String::from).collect()
}

fn main_bin(args: &[&str]) -> Vec<String> {
    run(env!("CARGO_BIN_EXE_process-group"), args)
}

/// The number after `key=` in `line`.
fn num(line: &str, key: &str) -> i32 {
    let at = line
        .find(&format!("{key}="))
        .unwrap_or_else(|| panic!("{key}= in {line}"));
    line[at + key.len() + 1..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

/// The lines of one experiment: from its "== " header to the next.
fn section<'a>(lines: &'a [String], header: &str) -> &'a [String] {
    let start = lines
        .iter()
        .position(|l| l.starts_with("== ") && l.contains(header))
        .unwrap_or_else(|| panic!("no section {header:?} in {lines:#?}"));
    let len = lines[start + 1..]
        .iter()
        .position(|l| l.starts_with("== "))
        .unwrap_or(lines.len() - start - 1);
    &lines[start + 1..start + 1 + len]
}

fn find<'a>(lines: &'a [String], prefix: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line {prefix:?} in {lines:#?}"))
}

#[test]
fn kill_reaches_the_leader_only_and_the_child_is_adopted_by_the_monitor() {
    let lines = main_bin(&[]);
    assert!(lines[0].ends_with("a child subreaper (PR_SET_CHILD_SUBREAPER)"));
    let monitor = num(&lines[0], "pid");
    for (header, group) in [
        ("experiment 1:", "monitor's group"),
        ("experiment 2:", "its own new group"),
    ] {
        let s = section(&lines, header);
        assert_eq!(s.len(), 8, "{s:#?}");
        let leader = find(s, "[leader]");
        assert!(
            leader.contains(&format!("parent monitor, {group}")),
            "{leader}"
        );
        assert!(find(s, "[child]").ends_with("SIGTERM handler ready"));
        assert!(
            find(s, "[monitor] kill(").ends_with(", SIGKILL): the leader only")
        );
        assert_eq!(
            find(s, "[monitor] leader:"),
            "[monitor] leader: killed by SIGKILL"
        );
        let orphan = find(s, "[monitor] child: still running");
        assert_eq!(num(orphan, "ppid"), monitor, "{orphan}");
        let got = find(s, "[child]   got signal");
        assert!(
            got.starts_with("[child]   got signal 15 from pid="),
            "{got}"
        );
        assert_eq!(num(got, "pid"), monitor);
        assert_eq!(s[7], "[monitor] child: exited with status 0");
    }
}

#[test]
fn killpg_reaches_the_child_too() {
    let lines = main_bin(&[]);
    let monitor = num(&lines[0], "pid");
    let s = section(&lines, "experiment 3:");
    assert_eq!(s.len(), 6, "{s:#?}");
    let leader = num(find(s, "[leader]"), "pid");
    assert!(find(s, "[leader]").contains("its own new group"));
    assert!(find(s, "[child]").contains("parent leader, leader's group"));
    assert_eq!(
        s[2],
        format!("[monitor] killpg(pgid={leader}, SIGTERM): the leader's whole group")
    );
    assert_eq!(
        s[3],
        format!(
            "[child]   got signal 15 from pid={monitor} (the monitor), exiting"
        )
    );
    assert_eq!(s[4], "[monitor] leader: killed by SIGTERM");
    assert_eq!(s[5], "[monitor] child: exited with status 0");
}

#[test]
fn killpg_with_sigkill_gives_the_child_no_chance_to_print() {
    let lines = main_bin(&[]);
    let s = section(&lines, "experiment 3 again");
    assert_eq!(s.len(), 5, "{s:#?}");
    let leader = num(find(s, "[leader]"), "pid");
    assert_eq!(
        s[2],
        format!("[monitor] killpg(pgid={leader}, SIGKILL): the leader's whole group")
    );
    assert_eq!(s[3], "[monitor] leader: killed by SIGKILL");
    assert_eq!(s[4], "[monitor] child: killed by SIGKILL");
    assert!(!s.iter().any(|l| l.contains("got signal")), "{s:#?}");
}

#[test]
fn pdeathsig_kills_the_child_with_its_parent() {
    let lines = main_bin(&["pdeathsig"]);
    let s = section(&lines, "PR_SET_PDEATHSIG");
    let leader = num(find(s, "[leader]"), "pid");
    assert!(find(s, "[child]").ends_with("PR_SET_PDEATHSIG=SIGTERM"));
    assert_eq!(
        find(s, "[child]   got"),
        format!("[child]   got signal 15 from pid={leader} (the leader, as it died), exiting")
    );
    assert_eq!(
        find(s, "[monitor] leader:"),
        "[monitor] leader: killed by SIGKILL"
    );
    assert_eq!(s.last().unwrap(), "[monitor] child: exited with status 0");
}

#[test]
fn without_the_subreaper_flag_the_orphan_goes_elsewhere() {
    let lines = main_bin(&["no-subreaper"]);
    assert!(lines[0].ends_with("not a subreaper"));
    let monitor = num(&lines[0], "pid");
    let orphan = find(&lines, "[monitor] child: still running");
    assert_ne!(num(orphan, "ppid"), monitor, "{orphan}");
    assert!(lines.last().unwrap().contains("ECHILD"), "{lines:#?}");
}

#[test]
fn the_terminal_signals_the_foreground_job_only() {
    let lines = run(env!("CARGO_BIN_EXE_job-control"), &[]);
    let text = lines.join("\n");
    let after_ctrl_c = section(&lines, "^C typed");
    assert_eq!(
        after_ctrl_c,
        [
            "A1 SIGINT from the kernel",
            "A2 SIGINT from the kernel",
            "-- marker: the monitor sends SIGUSR1 to B1 and to the shell",
            "B1 SIGUSR1 from the monitor",
            "shell SIGUSR1 from the monitor",
        ],
        "{text}"
    );
    let after_hangup = section(&lines, "hang-up");
    assert_eq!(
        after_hangup,
        [
            "shell (the session leader): killed by SIGHUP",
            "A1 SIGHUP from the kernel",
            "A2 SIGHUP from the kernel",
            "-- marker: the monitor sends SIGUSR1 to B1",
            "B1 SIGUSR1 from the monitor",
        ],
        "{text}"
    );
    assert_eq!(lines.last().unwrap(), "A1, A2, B1: exited with status 0");
}
