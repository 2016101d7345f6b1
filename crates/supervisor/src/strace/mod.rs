//! strace as the book runs it, for the supervisor's `--strace` and the
//! local runner's "Run with trace" ([`page`]): `strace -ff -q -ttt -T -o
//! DIR/trace -e EXPR... -- PROGRAM`, one file per process, or per thread
//! (`-ff`), which keeps each one's calls whole and in order, whatever the
//! scheduler did between them. They are read back in the order the
//! processes were made (pid order, read round the wrap at `pid_max`) and
//! shown one after another, each line headed by a label (P1, P2, ...) that
//! also replaces the pid wherever it appears, so two builds, the Python
//! and the Rust trace, and a reader's run line up. A call a signal
//! interrupted and the kernel restarted is shown once, as it ended.
//!
//! strace also writes each line's time and each call's duration (`-ttt
//! -T`), for the timeline (crate::picture): [`crate::picture::trace::untimed`]
//! takes them off before anything else reads the lines.
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::picture::trace::replace_pids;

pub mod page;

pub const STRACE: &str = "/usr/bin/strace";

/// Most of a shown trace's bytes that are kept (like the output cap).
pub const CAP: usize = 64 * 1024;

/// `strace -ff -q -ttt -T -o OUT -e EXPR...`: the caller adds `--`, the
/// program and its arguments.
pub fn command(out: &Path, exprs: &[String]) -> Command {
    let mut t = Command::new(STRACE);
    t.args(["-ff", "-q", "-ttt", "-T", "-o"]).arg(out);
    for e in exprs {
        t.arg("-e").arg(e);
    }
    t
}

/// `rm -f trace.*; strace -ff -q -o trace -e EXPR... PROGRAM ARGS >/dev/null;
/// grep -H [-E REGEX | ''] trace.*`: what a reader types at the top of the
/// clone to get the same files and print them, the files of an earlier run
/// removed, the program's own output dropped, and each process's lines
/// printed after its file's name (`trace.<pid>`, which the block turns
/// into the process's label).
pub fn header(exprs: &[String], grep: Option<&str>, shown: &str) -> String {
    let mut h = String::from("rm -f trace.*; strace -ff -q -o trace");
    for e in exprs {
        h.push_str(&format!(" -e {}", shell_word(e)));
    }
    h.push(' ');
    h.push_str(shown);
    h.push_str(" >/dev/null; grep -H ");
    match grep {
        Some(re) => h.push_str(&format!("-E {}", shell_word(re))),
        None => h.push_str("''"),
    }
    h.push_str(" trace.*");
    h
}

fn shell_word(s: &str) -> String {
    let plain = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "=,_-./:!%".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// What strace wrote in `dir`: every `trace.<pid>` file, in the order the
/// processes were made, at most `cap` bytes of them in all (the last one
/// read cut at a line's end). Read once every traced process is gone: only
/// plain files count (not a FIFO or a link a traced program left there).
pub fn collect(dir: &Path, cap: usize) -> Vec<(i32, String)> {
    let real_dir = std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir());
    let mut files: Vec<(i32, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter(|_| real_dir)
        .filter_map(|e| {
            let e = e.ok()?;
            let path = e.path();
            let pid = path.extension()?.to_str()?.parse().ok()?;
            let name = e.file_name();
            let plain = e.file_type().ok()?.is_file() && name.to_str()?.starts_with("trace.");
            plain.then_some((pid, path))
        })
        .collect();
    files.sort();
    let pids: Vec<i32> = files.iter().map(|(pid, _)| *pid).collect();
    files.rotate_left(first_made(&pids, pid_max()));
    let mut room = cap;
    let mut out = Vec::new();
    for (pid, path) in files {
        let text = std::fs::read(path).unwrap_or_default();
        let mut text = String::from_utf8_lossy(&text).into_owned();
        if text.len() > room {
            let end = text[..room].rfind('\n').map_or(0, |i| i + 1);
            text.truncate(end);
            room = 0;
        }
        room -= text.len().min(room);
        out.push((pid, text));
        if room == 0 {
            break;
        }
    }
    out
}

/// The kernel's largest pid plus one, after which pids start again from the
/// bottom (32768 on some machines: a build's processes pass it often).
fn pid_max() -> i32 {
    std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(1 << 22)
}

/// Where the oldest of `sorted` pids is. The kernel hands pids out in
/// increasing order, wrapping at `pid_max`, so one run's pids sit on a short
/// arc of that circle: it starts after the widest gap between neighbours.
fn first_made(sorted: &[i32], pid_max: i32) -> usize {
    let n = sorted.len();
    if n < 2 {
        return 0;
    }
    let gap = |i: usize| (sorted[(i + 1) % n] - sorted[i]).rem_euclid(pid_max);
    let widest = (0..n).max_by_key(|&i| (gap(i), std::cmp::Reverse(i)));
    widest.map_or(0, |i| (i + 1) % n)
}

/// The (untimed) trace as a block shows it: [`relabel`]led, cut at [`CAP`].
pub fn shown(trace: &[(i32, String)], grep: Option<&regex::Regex>) -> String {
    let mut s = relabel(trace, grep);
    if s.len() > CAP {
        let mut end = CAP;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        let dropped = s.len() - end;
        s.truncate(end);
        s.push_str(&format!(
            "\n[supervisor: trace cut at {end} bytes; {dropped} more bytes dropped]"
        ));
    }
    s
}

/// Each process's lines headed by its label, each pid replaced by its label;
/// of those, the ones `grep` matches (so it may name `P1`). Labels count
/// every process, shown or not.
pub fn relabel(trace: &[(i32, String)], grep: Option<&regex::Regex>) -> String {
    let labels: Vec<(String, String)> = trace
        .iter()
        .enumerate()
        .map(|(i, (pid, _))| (pid.to_string(), format!("P{}", i + 1)))
        .collect();
    let mut out = String::new();
    for ((_, text), (_, label)) in trace.iter().zip(&labels) {
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if restarted(line, &lines[i + 1..]) || undecoded(line, &lines[i + 1..]) {
                continue;
            }
            let line = format!("{label}  {}", align(&replace_pids(line, &labels)));
            if grep.is_none_or(|re| re.is_match(&line)) {
                out.push_str(&line);
                out.push('\n');
            }
        }
    }
    out
}

/// Whether `line` is a call a signal interrupted and the kernel restarted
/// (`= ? ERESTARTSYS`, ...): the program never saw it, and whether a signal
/// came mid-call is the scheduler's choice, so it is left out when the
/// process's next call is the same one again (or `restart_syscall`). An
/// interrupted call that was not restarted (EINTR for the program) stays.
fn restarted(line: &str, rest: &[&str]) -> bool {
    if !line.contains("= ? ERESTART") {
        return false;
    }
    let name = |l: &str| l.split('(').next().unwrap_or("").to_string();
    let next = rest
        .iter()
        .find(|l| !l.starts_with("--- ") && !l.starts_with("+++ "));
    next.is_some_and(|n| name(n) == name(line) || n.starts_with("restart_syscall("))
}

/// Whether `line` is a call strace could not name (`???( <unfinished
/// ...>`) because the process was killed as it entered it: the next thing
/// strace says of it is its death. Whether a SIGKILL lands at a call's
/// entry or between calls is the scheduler's choice (seen in one build of
/// two), and the program never made the call, so the line is left out.
fn undecoded(line: &str, rest: &[&str]) -> bool {
    line.starts_with("???(")
        && line.ends_with("<unfinished ...>")
        && rest.first().is_some_and(|n| n.starts_with("+++ killed by"))
}

/// strace pads a call to column 40 before its ` = result`; a label is
/// shorter than the pid it replaced, so pad again, or the padding would
/// change with the number of digits of this run's pids.
fn align(line: &str) -> String {
    const COLUMN: usize = 40;
    let Some(at) = line.find(") ").filter(|&i| {
        let rest = line[i + 1..].trim_start_matches(' ');
        rest.starts_with("= ")
    }) else {
        return line.to_string();
    };
    let call = &line[..=at];
    let rest = line[at + 1..].trim_start_matches(' ');
    let pad = COLUMN.saturating_sub(call.chars().count()).max(1);
    format!("{call}{}{rest}", " ".repeat(pad))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pids_become_labels_in_pid_order() {
        let trace = vec![
            (
                4100,
                "vfork()                                 = 4102\n\
                 wait4(4102, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 4102\n"
                    .to_string(),
            ),
            (4102, "+++ exited with 0 +++\n".to_string()),
        ];
        let vfork = format!("P1  vfork(){}= P2\n", " ".repeat(33));
        let wait = "P1  wait4(P2, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = P2\n";
        assert_eq!(
            relabel(&trace, None),
            format!("{vfork}{wait}P2  +++ exited with 0 +++\n")
        );
        let grep = regex::Regex::new("wait4|P2  ").unwrap();
        assert_eq!(
            relabel(&trace, Some(&grep)),
            format!("{wait}P2  +++ exited with 0 +++\n")
        );
    }

    #[test]
    fn a_call_the_kernel_restarted_is_shown_once() {
        let trace = vec![(
            700,
            "wait4(701, 0x7ffd2c1c, 0, NULL)         = ? ERESTARTSYS (To be restarted if SA_RESTART is set)\n\
             --- SIGCHLD {si_signo=SIGCHLD} ---\n\
             wait4(701, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}], 0, NULL) = 701\n\
             read(3, 0x7ffd, 1)                      = ? ERESTARTSYS (To be restarted if SA_RESTART is set)\n\
             --- SIGINT {si_signo=SIGINT} ---\n\
             write(1, \"x\", 1)                        = 1\n"
                .to_string(),
        )];
        let shown = relabel(&trace, None);
        assert_eq!(shown.matches("wait4(").count(), 1, "{shown}");
        assert!(shown.contains("WTERMSIG(s) == SIGKILL"), "{shown}");
        // Not restarted: the program saw EINTR, so the line stays.
        assert!(shown.contains("read(3, 0x7ffd, 1)"), "{shown}");
    }

    #[test]
    fn a_call_killed_before_strace_could_name_it_is_left_out() {
        let trace = vec![
            (
                800,
                "kill(-801, SIGKILL)                     = 0\n".to_string(),
            ),
            (
                802,
                "???( <unfinished ...>\n+++ killed by SIGKILL +++\n".to_string(),
            ),
            (
                803,
                "???( <unfinished ...>\nwrite(1, \"x\", 1) = 1\n".to_string(),
            ),
        ];
        let shown = relabel(&trace, None);
        assert!(!shown.contains("P2  ???("), "{shown}");
        assert!(shown.contains("P2  +++ killed by SIGKILL +++"), "{shown}");
        // Not followed by its death: strace's line stays as it was.
        assert!(shown.contains("P3  ???( <unfinished ...>"), "{shown}");
    }

    #[test]
    fn the_oldest_process_comes_first_across_the_pid_wrap() {
        assert_eq!(first_made(&[], 32768), 0);
        assert_eq!(first_made(&[500], 32768), 0);
        assert_eq!(first_made(&[4100, 4102, 4105], 32768), 0);
        // 32760 and 32765 were made before the wrap, 301 and 310 after it.
        assert_eq!(first_made(&[301, 310, 32760, 32765], 32768), 2);
        let mut pids = vec![301, 310, 32760, 32765];
        let first = first_made(&pids, 32768);
        pids.rotate_left(first);
        assert_eq!(pids, [32760, 32765, 301, 310]);
    }

    #[test]
    fn results_stay_in_strace_column_whatever_the_pids() {
        assert_eq!(
            align("kill(P2, SIGKILL)                     = 0"),
            format!("kill(P2, SIGKILL){}= 0", " ".repeat(23))
        );
        assert_eq!(
            align("kill(P2, SIGKILL) = 0"),
            align("kill(P2, SIGKILL)     = 0")
        );
        let long = "wait4(P2, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = P2";
        assert_eq!(align(long), long);
        assert_eq!(align("+++ exited with 0 +++"), "+++ exited with 0 +++");
    }

    #[test]
    fn only_whole_numbers_are_pids() {
        let labels = vec![("123".to_string(), "P1".to_string())];
        assert_eq!(
            replace_pids("kill(123, SIGTERM) 1234 x123 0.123 /proc/123/stat", &labels),
            "kill(P1, SIGTERM) 1234 x123 0.123 /proc/P1/stat"
        );
    }

    #[test]
    fn the_header_quotes_what_the_shell_would_split() {
        let exprs = ["trace=wait4,waitid".to_string(), "signal=none".to_string()];
        assert_eq!(
            header(&exprs, Some("wait4|waitid"), "target/debug/zombie"),
            "rm -f trace.*; strace -ff -q -o trace -e trace=wait4,waitid -e signal=none target/debug/zombie >/dev/null; grep -H -E 'wait4|waitid' trace.*"
        );
        assert_eq!(
            header(
                &exprs[..1],
                None,
                "python3 snippets/zombie/python/subprocess_wait.py"
            ),
            "rm -f trace.*; strace -ff -q -o trace -e trace=wait4,waitid python3 snippets/zombie/python/subprocess_wait.py >/dev/null; grep -H '' trace.*"
        );
    }

    #[test]
    fn only_plain_trace_files_are_read_and_no_more_than_the_cap() {
        let dir = std::env::temp_dir().join(format!("rsp-strace-collect-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("trace.7"), "a() = 0\nb() = 0\n").unwrap();
        std::fs::write(dir.join("trace.9"), "c() = 0\n").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.join("trace.8")).unwrap();
        nix::unistd::mkfifo(&dir.join("trace.10"), nix::sys::stat::Mode::S_IRWXU).unwrap();
        std::fs::write(dir.join("other.11"), "x\n").unwrap();
        let all = collect(&dir, 1 << 20);
        assert_eq!(
            all,
            [(7, "a() = 0\nb() = 0\n".into()), (9, "c() = 0\n".into())]
        );
        // Cut at a line's end, and nothing read past the cap.
        assert_eq!(collect(&dir, 10), [(7, "a() = 0\n".to_string())]);
        std::fs::remove_dir_all(&dir).unwrap();
        // A folder that is a link is not followed.
        std::os::unix::fs::symlink("/proc/self", &dir).unwrap();
        assert_eq!(collect(&dir, 1 << 20), []);
        std::fs::remove_file(&dir).unwrap();
    }
}
