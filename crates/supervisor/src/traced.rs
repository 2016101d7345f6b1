//! `--strace EXPR`: run the program (Rust or Python) under
//! `strace -ff -q -o trace -e EXPR ...` and show the system calls instead of
//! the program's output. One file per process, or per thread (`-ff`), keeps
//! each one's calls whole and in order, whatever the scheduler did between
//! them; they are shown one after another, in the order they were made
//! (pid order, read round the wrap at `pid_max`), each line headed
//! by a label (P1, P2, ...) that also replaces the pid wherever it appears,
//! so two builds, and the Python and the Rust trace, line up. A call a
//! signal interrupted and the kernel restarted is shown once, as it ended.
//!
//! The program runs as it does untraced, with the same environment (a
//! Python program's PATH starts with the venv's `bin/`, see run_python.rs),
//! and the header is what a reader types at the top of the clone to get
//! the same files and print them (`rm -f trace.*; strace ... >/dev/null;`
//! then `grep -H ... trace.*`), each line after its file's name,
//! `trace.<pid>`, which the block turns into the process's label.
//!
//! strace also writes each line's time and each call's duration (`-ttt
//! -T`), for `--timeline` (crate::picture): they are taken off before
//! anything else reads the lines, which are then what the header prints.
use std::path::{Path, PathBuf};
use std::process::Command;

use supervisor::picture::trace::{self as timed, replace_pids};
use supervisor::render::Block;
use supervisor::{locate, supervise, Args, Limits, Outcome};

use super::{block, judge, text};

pub const STRACE: &str = "/usr/bin/strace";

/// Most of a trace's bytes that are kept (like the output cap).
const CAP: usize = 64 * 1024;

/// Runs `cmd` under strace; `shown` is the traced program as a reader types
/// it at the root (`python3 snippets/...`, `target/debug/zombie`).
pub fn run(args: &Args, root: &Path, cmd: Command, limits: &Limits, shown: &str) -> Block {
    let header = header(args, shown);
    let fail = |why: String| {
        let mut b = block(args, "not run", String::new(), Err(why));
        b.command = header.clone();
        b
    };
    if !Path::new(STRACE).is_file() {
        return fail(format!(
            "{STRACE} is missing (Debian's strace; `cargo xtask build` installs it)"
        ));
    }
    let dir = locate::target_dir(root)
        .join("supervisor")
        .join("strace")
        .join(format!("{}-{}", args.slug, std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        return fail(format!("cannot create {}: {e}", dir.display()));
    }
    let traced = wrap(&cmd, args, root, &dir.join("trace"));
    let result = supervise(traced, limits);
    let grep = args
        .strace_grep
        .as_deref()
        .and_then(|re| regex::Regex::new(re).ok());
    let with_times = collect(&dir);
    let trace = timed::untimed(&with_times);
    let _ = std::fs::remove_dir_all(&dir);
    let mut b = match result {
        Ok(outcome) => {
            let (status, verdict) = judge(args, &outcome);
            let output = shown_output(&trace, grep.as_ref(), &outcome, verdict.is_err());
            block(
                args,
                &status,
                supervisor::render::mask_paths(&output, root),
                verdict,
            )
        }
        Err(e) => block(
            args,
            "not run",
            String::new(),
            Err(format!("cannot run {STRACE}: {e}")),
        ),
    };
    if args.timeline && b.error.is_none() {
        let timeline = timed::read(&with_times, grep.as_ref());
        b.pictures
            .push(supervisor::picture::timeline::draw(&timeline));
    }
    b.command = header;
    b
}

/// `rm -f trace.*; strace -ff -q -o trace -e EXPR... PROGRAM ARGS >/dev/null;
/// grep -H [-E REGEX | ''] trace.*`: the files of an earlier run removed,
/// the program's own output dropped (the block shows the trace), and each
/// process's lines printed after its file's name.
fn header(args: &Args, shown: &str) -> String {
    let mut h = String::from("rm -f trace.*; strace -ff -q -o trace");
    for e in &args.strace {
        h.push_str(&format!(" -e {}", shell_word(e)));
    }
    h.push(' ');
    h.push_str(shown);
    h.push_str(" >/dev/null; grep -H ");
    match &args.strace_grep {
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

/// The same program, environment and folder, under strace. A program
/// inside the clone is named as the header names it, relative to the root
/// (strace passes that name on as argv[0], as `cargo run` does); `python3`
/// is looked up on the PATH the program gets.
fn wrap(cmd: &Command, args: &Args, root: &Path, out: &Path) -> Command {
    let mut t = Command::new(STRACE);
    t.args(["-ff", "-q", "-ttt", "-T", "-o"]).arg(out);
    for e in &args.strace {
        t.arg("-e").arg(e);
    }
    let program = Path::new(cmd.get_program());
    let program = match program.strip_prefix(root) {
        Ok(rel) if rel.parent() == Some(Path::new("")) => Path::new(".").join(rel),
        Ok(rel) => rel.to_path_buf(),
        Err(_) => program.to_path_buf(),
    };
    t.arg("--").arg(program).args(cmd.get_args());
    if let Some(dir) = cmd.get_current_dir() {
        t.current_dir(dir);
    }
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => t.env(k, v),
            None => t.env_remove(k),
        };
    }
    t
}

/// What strace wrote: every `trace.<pid>` file, in the order the processes
/// were made.
fn collect(dir: &Path) -> Vec<(i32, String)> {
    let mut files: Vec<(i32, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let path = e.ok()?.path();
            let pid = path.extension()?.to_str()?.parse().ok()?;
            Some((pid, path))
        })
        .collect();
    files.sort();
    let pids: Vec<i32> = files.iter().map(|(pid, _)| *pid).collect();
    files.rotate_left(first_made(&pids, pid_max()));
    files
        .into_iter()
        .map(|(pid, path)| (pid, std::fs::read_to_string(path).unwrap_or_default()))
        .collect()
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

/// The trace, relabelled; after a failure, also the program's own output.
fn shown_output(
    trace: &[(i32, String)],
    grep: Option<&regex::Regex>,
    o: &Outcome,
    failed: bool,
) -> String {
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
    if failed {
        s.push_str("\n[supervisor: the program's own output]\n");
        s.push_str(&text(o));
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
    let interrupted = line.contains("= ? ERESTART");
    let name = |l: &str| l.split('(').next().unwrap_or("").to_string();
    let next = rest
        .iter()
        .find(|l| !l.starts_with("--- ") && !l.starts_with("+++ "));
    interrupted && next.is_some_and(|n| name(n) == name(line) || n.starts_with("restart_syscall("))
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
        let a = <Args as clap::Parser>::try_parse_from([
            "supervisor",
            "zombie",
            "--strace",
            "trace=wait4,waitid",
            "--strace",
            "signal=none",
            "--strace-grep",
            "wait4|waitid",
        ])
        .unwrap();
        assert_eq!(
            header(&a, "target/debug/zombie"),
            "rm -f trace.*; strace -ff -q -o trace -e trace=wait4,waitid -e signal=none target/debug/zombie >/dev/null; grep -H -E 'wait4|waitid' trace.*"
        );
        let a = <Args as clap::Parser>::try_parse_from([
            "supervisor",
            "zombie",
            "--strace",
            "trace=wait4",
        ])
        .unwrap();
        assert_eq!(
            header(&a, "python3 snippets/zombie/python/subprocess_wait.py"),
            "rm -f trace.*; strace -ff -q -o trace -e trace=wait4 python3 snippets/zombie/python/subprocess_wait.py >/dev/null; grep -H '' trace.*"
        );
    }
}
