//! Many runs, then nothing left behind. This test process is a child
//! subreaper, as `cargo xtask serve` is: a sandbox process whose parent
//! died before reaping it would become our child and stay a zombie here.
//! It is a test binary of its own, so that no other test's orphans come
//! to it.
mod common;

use std::time::{Duration, Instant};

use common::{output, server};

/// Our children and the runner's that are zombies, and every process of
/// `uid`, as "pid name state".
fn left(runner: u32, uid: &str) -> Vec<String> {
    let mut found = Vec::new();
    let me = std::process::id() as i32;
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let status = std::fs::read_to_string(e.path().join("status")).unwrap_or_default();
        let field = |k: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(k))
                .map(|v| v.split_whitespace().next().unwrap_or("").to_string())
                .unwrap_or_default()
        };
        let parent = common::ppid(pid).unwrap_or(0);
        let zombie = field("State:") == "Z" && (parent == me || parent == runner as i32);
        if zombie || field("Uid:") == uid {
            found.push(format!("{pid} {} {}", field("Name:"), field("State:")));
        }
    }
    found
}

/// Descriptors, threads and resident KiB of the runner.
fn footprint(pid: u32) -> (usize, u64, u64) {
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap().count();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |k: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(k))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    (fds, field("Threads:"), field("VmRSS:"))
}

#[test]
fn a_hundred_and_fifty_runs_leave_no_zombie_and_no_process() {
    soak(false);
}

/// The same under strace ("Run with trace"): one more process in each
/// sandbox, its files in the run's /tmp, and the trace sent back.
#[test]
fn a_hundred_and_fifty_traced_runs_leave_nothing_either() {
    soak(true);
}

fn soak(traced: bool) {
    nix::sys::prctl::set_child_subreaper(true).unwrap();
    let s = server();
    let uid = s.isolation("user");
    let zombie =
        std::fs::read_to_string(common::root().join("snippets/zombie/src/main.rs")).unwrap();
    let pid = s.runner.pid();
    let mut before = None;
    for i in 0..150 {
        // 100 runs of one program, 50 of a new one each.
        let code = if i % 3 == 2 {
            zombie.replacen("println!(\"", &format!("println!(\"[{i}] "), 1)
        } else {
            zombie.clone()
        };
        let (st, events) = if traced { s.run_traced(&code) } else { s.run("zombie", &code) };
        assert_eq!(st, 200);
        let trace = events.iter().find_map(|t| match &t.event {
            runner::Event::Trace(r) => Some(r.text.as_str()),
            _ => None,
        });
        assert_eq!(trace.is_some_and(|t| t.contains("P1  wait4(P2")), traced, "run {i}: {trace:?}");
        assert!(
            matches!(common::exit(&events), runner::Event::Exit { code: Some(0), .. }),
            "run {i}: {}",
            output(&events)
        );
        if i == 9 {
            before = Some(footprint(pid));
        }
    }
    // Each sandbox is awaited before its run's answer ends; give the last
    // one's bwrap a moment all the same.
    let start = Instant::now();
    while !left(pid, &uid).is_empty() && start.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(left(pid, &uid), Vec::<String>::new());
    let (fds0, threads0, rss0) = before.unwrap();
    let (fds, threads, rss) = footprint(pid);
    assert!(fds <= fds0 + 4, "descriptors {fds0} -> {fds}");
    assert!(threads <= threads0 + 4, "threads {threads0} -> {threads}");
    assert!(rss <= rss0 + 16 * 1024, "resident {rss0} KiB -> {rss} KiB");
    s.assert_healthy();
    // Stopped by the end of its stdin: exits 0, nothing of it left: no
    // process, no cgroup, no mount.
    let mut s = s;
    assert!(s.runner.stop().is_some_and(|st| st.success()));
    assert_eq!(left(pid, &uid), Vec::<String>::new());
    let name = format!("rsp-runner-{pid}");
    let mut todo = vec![std::path::PathBuf::from("/sys/fs/cgroup")];
    for _ in 0..4 {
        let mut next = Vec::new();
        for d in todo.drain(..) {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                assert_ne!(e.file_name().to_string_lossy(), name, "left in {}", d.display());
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    next.push(e.path());
                }
            }
        }
        todo = next;
    }
    assert_eq!(common::loop_devices_left(pid), Vec::<String>::new());
    let state = common::root().join(format!("target/runner/run-{pid}"));
    assert!(!state.exists(), "{} is left", state.display());
}
