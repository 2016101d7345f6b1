//! The poll-child snippet: try_wait() is Ok(None) while the child runs and
//! Ok(Some(status)) afterwards, repeatedly; a pidfd is not readable while
//! the child runs and readable after it exits; the benchmark's table.
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

#[test]
fn try_wait_is_none_while_running_then_the_status_again_and_again() {
    let lines = run(env!("CARGO_BIN_EXE_poll-child"), &[]);
    assert_eq!(lines.len(), 8, "{lines:#?}");
    for (i, line) in lines[1..4].iter().enumerate() {
        assert_eq!(
            *line,
            format!("poll {}: try_wait() = Ok(None): still running", i + 1)
        );
    }
    assert!(lines[4].starts_with("closed its stdin"));
    assert_eq!(
        lines[5],
        "then: try_wait() = Ok(Some(ExitStatus(unix_wait_status(768)))), code() = Some(3)"
    );
    assert!(lines[6].starts_with(
        "try_wait() again = Ok(Some(ExitStatus(unix_wait_status(768))))"
    ));
    assert!(
        lines[7].ends_with(" in /proc: false (the first Some reaped it)"),
        "{}",
        lines[7]
    );
}

#[test]
fn a_pidfd_becomes_readable_when_the_child_exits() {
    let lines = run(env!("CARGO_BIN_EXE_poll-child"), &["pidfd"]);
    assert_eq!(
        lines[1..],
        [
            "poll(pidfd, timeout 0) -> readable: false (still running)",
            "closed its stdin",
            "poll(pidfd, no timeout) -> readable: true (it has exited)",
            "try_wait() = Ok(Some(ExitStatus(unix_wait_status(768)))) at once",
        ]
    );
}

#[test]
fn the_benchmark_checks_what_holds_by_construction_and_reports_the_rest() {
    let lines = run(env!("CARGO_BIN_EXE_exit-latency"), &[]);
    let row = |name: &str| -> Vec<f64> {
        let line = lines
            .iter()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no row {name} in {lines:#?}"));
        line[name.len()..]
            .split_whitespace()
            .map(|x| x.parse().unwrap())
            .collect()
    };
    // runs, median, min, max, wake-ups in 50 ms: only what noise cannot
    // change is asserted (the orderings are reported by the program).
    for name in [
        "try_wait, sleep 1 ms",
        "try_wait, sleep 10 ms",
        "try_wait, sleep 100 ms",
        "pidfd + poll",
    ] {
        let r = row(name);
        assert_eq!(r.len(), 5, "{lines:#?}");
        assert!(r[2] <= r[1] && r[1] <= r[3], "{name}: {r:?}");
        assert!(r[4] >= 1.0, "{name}: {r:?}");
    }
    assert_eq!(row("pidfd + poll")[4], 1.0, "a pidfd wakes up once");
    assert!(
        lines.iter().any(|l| l
            == "checked: the pidfd wait woke up once per exit, in all 16 runs"),
        "{lines:#?}"
    );
    let reported: Vec<&String> = lines
        .iter()
        .filter(|l| l.ends_with(": yes") || l.ends_with(": no"))
        .collect();
    assert_eq!(reported.len(), 2, "{lines:#?}");
}
