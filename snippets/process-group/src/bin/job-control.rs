// Why shells put each job in a process group: the terminal signals a whole
// group, the foreground one. A monitor opens a pseudo-terminal, starts a
// mini "shell" as session leader with that terminal, and the shell starts
// job A (two processes, one group, foreground) and job B (background).
// Then: ^C on the terminal, and a hang-up.
//
// Every process reports the signals it receives as lines on one pipe; the
// monitor prints them in a fixed order. No sleeps: pipes, signalfds, waits.
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitCode, ExitStatus, Stdio};

use nix::errno::Errno;
use nix::fcntl::{fcntl, FcntlArg, FdFlag};
use nix::libc;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::prctl;
use nix::sys::signal::{kill, SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{getpgrp, getpid, getsid, setsid, Pid};

const ROLE: &str = "JOB_CONTROL_ROLE";

fn main() -> ExitCode {
    let result = match std::env::var(ROLE).as_deref() {
        Ok("shell") => shell(),
        Ok(name) if name.starts_with("job ") => listen(&name[4..], true),
        _ => monitor(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("job-control: {e}");
            ExitCode::FAILURE
        }
    }
}

// ----------------------------------------------------------------- the shell

// ANCHOR: shell
/// Runs as session leader with the pty as controlling terminal (stdin).
fn shell() -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let job = |name: &str, group: i32| {
        let mut cmd = Command::new(&exe);
        cmd.env(ROLE, format!("job {name}")).process_group(group);
        cmd.spawn().map_err(|e| format!("spawn {name}: {e}"))
    };
    // A pipeline like `a | b` is one job: both processes in one group.
    // process_group(0) is setpgid(0, 0): a new group, pgid = A1's pid;
    // process_group(A1) is setpgid(0, A1): join A1's group.
    let a1 = job("A1", 0)?;
    let a2 = job("A2", a1.id() as i32)?;
    // Job B, "started in the background": a group of its own.
    let b1 = job("B1", 0)?;
    // Job A takes the terminal: it becomes the foreground group.
    // SAFETY: tcsetpgrp(fd, pgrp) on our own stdin.
    if unsafe { libc::tcsetpgrp(0, a1.id() as i32) } != 0 {
        return Err(format!("tcsetpgrp: {}", Errno::last()));
    }
    // SAFETY: tcgetpgrp(fd) on our own stdin.
    let fg = unsafe { libc::tcgetpgrp(0) };
    println!(
        "shell ready pid={} sid={} fg={fg} A1={} A2={} B1={}",
        getpid(),
        getsid(None).map_or(-1, Pid::as_raw),
        a1.id(),
        a2.id(),
        b1.id()
    );
    // Like an interactive shell, ours survives ^C but not a hang-up.
    listen("shell", false)
}
// ANCHOR_END: shell

// ------------------------------------------------------- shell and the jobs

/// Reports every signal received ("A1 SIGINT from the kernel") on stdout
/// until SIGTERM (or until the monitor's lifeline pipe closes). SIGHUP is
/// left fatal for the shell (`catch_hup == false`).
fn listen(name: &str, catch_hup: bool) -> Result<(), String> {
    let mut mask = SigSet::empty();
    for s in [Signal::SIGINT, Signal::SIGUSR1, Signal::SIGTERM] {
        mask.add(s);
    }
    if catch_hup {
        mask.add(Signal::SIGHUP);
    }
    mask.thread_block()
        .map_err(|e| format!("sigprocmask: {e}"))?;
    let signals = SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK)
        .map_err(|e| format!("signalfd: {e}"))?;
    let lifeline = env_i32("JC_LIFELINE_FD")?;
    let monitor = env_i32("JC_MONITOR")?;
    // SAFETY: the monitor left this fd open for its descendants.
    let lifeline = unsafe { std::os::fd::BorrowedFd::borrow_raw(lifeline) };
    if name != "shell" {
        println!("{name} ready pid={} pgid={}", getpid(), getpgrp());
    }
    loop {
        let mut fds = [
            PollFd::new(signals.as_fd(), PollFlags::POLLIN),
            PollFd::new(lifeline, PollFlags::POLLIN),
        ];
        match poll(&mut fds, PollTimeout::NONE) {
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(format!("poll: {e}")),
            Ok(_) => {}
        }
        if fds[1].any().unwrap_or(false) {
            return Ok(()); // the monitor is gone
        }
        // Take everything pending, and report the SIGUSR1 marker last: it
        // is a fence, whatever order the kernel hands signals out in.
        let mut got = Vec::new();
        while let Ok(Some(info)) = signals.read_signal() {
            got.push((info.ssi_signo as i32, info.ssi_pid as i32));
        }
        got.sort_by_key(|&(signo, _)| signo == libc::SIGUSR1);
        for (signo, from) in got {
            let sig = Signal::try_from(signo).map_err(|e| e.to_string())?;
            let from = match from {
                0 => "the kernel".to_string(),
                p if p == monitor => "the monitor".to_string(),
                p => format!("pid={p}"),
            };
            println!("{name} {sig} from {from}");
            if sig == Signal::SIGTERM {
                return Ok(());
            }
        }
    }
}

fn env_i32(name: &str) -> Result<i32, String> {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("{name} not set"))
}

// --------------------------------------------------------------- the monitor

/// Lines from the report pipe, with a guard against waiting forever.
struct Reports(BufReader<std::io::PipeReader>);

impl Reports {
    fn next(&mut self) -> Result<String, String> {
        if self.0.buffer().is_empty() {
            let fd = self.0.get_ref().as_fd();
            let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
            if poll(&mut fds, PollTimeout::from(5_000u16)) == Ok(0) {
                return Err("no report within 5 s".into());
            }
        }
        let mut line = String::new();
        match self.0.read_line(&mut line) {
            Ok(0) => Err("report pipe closed".into()),
            Ok(_) => Ok(line.trim_end().to_string()),
            Err(e) => Err(format!("report pipe: {e}")),
        }
    }

    /// Reads until every line of `want` has arrived; returns all lines read.
    fn until(&mut self, want: &[&str]) -> Result<Vec<String>, String> {
        let mut missing: BTreeSet<&str> = want.iter().copied().collect();
        let mut seen = Vec::new();
        while !missing.is_empty() {
            let line = self.next()?;
            missing.remove(line.as_str());
            seen.push(line);
        }
        Ok(seen)
    }
}

fn monitor() -> Result<(), String> {
    // Orphaned jobs come back to us when the shell dies.
    prctl::set_child_subreaper(true).map_err(|e| format!("prctl: {e}"))?;
    let (master, slave) = open_pty()?;
    let (report_r, report_w) =
        std::io::pipe().map_err(|e| format!("pipe: {e}"))?;
    let (lifeline_r, lifeline_w) =
        std::io::pipe().map_err(|e| format!("pipe: {e}"))?;
    fcntl(&lifeline_r, FcntlArg::F_SETFD(FdFlag::empty()))
        .map_err(|e| format!("fcntl: {e}"))?;
    let mut shell = start_shell(slave, report_w, &lifeline_r)?;
    drop(lifeline_r);

    let mut reports = Reports(BufReader::new(report_r));
    let mut pids = Vec::new();
    let result = demo(&mut reports, master, &mut shell, &mut pids);

    // Clean up, also after an error: SIGKILL whatever is left and reap it.
    let _ = shell.kill();
    let _ = shell.wait();
    drop(lifeline_w);
    for pid in pids {
        let _ = kill(pid, Signal::SIGKILL);
        let _ = waitpid(pid, None);
    }
    result
}

// ANCHOR: pty
/// A pseudo-terminal: the master is the "keyboard and screen" side, the
/// slave the terminal that the shell and its jobs have.
fn open_pty() -> Result<(OwnedFd, std::fs::File), String> {
    // SAFETY: plain libc calls on a descriptor we own; ptsname_r writes at
    // most buf.len() bytes.
    let (master, slave_path) = unsafe {
        let fd =
            libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        if fd < 0 {
            return Err(format!("posix_openpt: {}", Errno::last()));
        }
        let master = OwnedFd::from_raw_fd(fd);
        let mut buf = [0 as libc::c_char; 128];
        if libc::grantpt(fd) != 0
            || libc::unlockpt(fd) != 0
            || libc::ptsname_r(fd, buf.as_mut_ptr(), buf.len()) != 0
        {
            return Err(format!("grantpt/unlockpt/ptsname: {}", Errno::last()));
        }
        let path = std::ffi::CStr::from_ptr(buf.as_ptr()).to_string_lossy();
        (master, path.into_owned())
    };
    let slave = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY)
        .open(&slave_path)
        .map_err(|e| format!("{slave_path}: {e}"))?;
    Ok((master, slave))
}
// ANCHOR_END: pty

// ANCHOR: session
/// Starts the shell as the leader of a new session, with the pty as its
/// controlling terminal and stdin, and the report pipe as its stdout.
fn start_shell(
    slave: std::fs::File,
    report_w: std::io::PipeWriter,
    lifeline_r: &std::io::PipeReader,
) -> Result<std::process::Child, String> {
    let mut cmd =
        Command::new(std::env::current_exe().map_err(|e| e.to_string())?);
    cmd.env(ROLE, "shell")
        .env("JC_LIFELINE_FD", lifeline_r.as_raw_fd().to_string())
        .env("JC_MONITOR", getpid().to_string())
        .stdin(Stdio::from(slave))
        .stdout(Stdio::from(report_w));
    // SAFETY: setsid and ioctl are async-signal-safe system calls.
    unsafe {
        cmd.pre_exec(|| {
            // A new session, with no controlling terminal yet...
            setsid()?;
            // ...until stdin, the pty, becomes it.
            if libc::ioctl(0, libc::TIOCSCTTY, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    // `cmd`, dropped on return, holds our copies of the slave and of the
    // report pipe's write end: only the shell and its jobs keep them.
    cmd.spawn().map_err(|e| format!("spawn shell: {e}"))
}
// ANCHOR_END: session

fn field(line: &str, key: &str) -> Option<i32> {
    line.split(' ')
        .find_map(|w| w.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
}

fn demo(
    reports: &mut Reports,
    master: OwnedFd,
    shell: &mut std::process::Child,
    pids: &mut Vec<Pid>,
) -> Result<(), String> {
    // Wait for the shell's line and the three jobs' "ready" lines.
    let mut ready = Vec::new();
    while ready.len() < 4 {
        let line = reports.next()?;
        let name = line.split(' ').next().unwrap_or_default().to_string();
        if !["shell", "A1", "A2", "B1"].contains(&name.as_str()) {
            return Err(format!("unexpected report {line:?}"));
        }
        ready.push((name, line));
    }
    ready.sort_by_key(|(name, _)| {
        ["shell", "A1", "A2", "B1"].iter().position(|n| n == name)
    });
    let get = |who: &str, key: &str| -> Result<i32, String> {
        ready
            .iter()
            .find(|(n, _)| n == who)
            .and_then(|(_, l)| field(l, key))
            .ok_or(format!("no {key} for {who}"))
    };
    let shell_pid = shell.id() as i32;
    let (a1, a2, b1) =
        (get("A1", "pid")?, get("A2", "pid")?, get("B1", "pid")?);
    pids.extend([a1, a2, b1].map(Pid::from_raw));
    let (pg_a, pg_a2, pg_b) =
        (get("A1", "pgid")?, get("A2", "pgid")?, get("B1", "pgid")?);
    let fg = get("shell", "fg")?;
    println!(
        "[shell] pid={shell_pid} sid={}: session leader, \
         the pty is its controlling terminal",
        get("shell", "sid")?
    );
    println!(
        "[job A] A1 pid={a1}, A2 pid={a2}, both pgid={pg_a}: \
         the foreground group (tcgetpgrp)"
    );
    println!("[job B] B1 pid={b1}, pgid={pg_b}: a background group");
    expect(
        get("shell", "sid")? == shell_pid
            && pg_a == a1
            && pg_a2 == pg_a
            && pg_b == b1
            && fg == pg_a,
        "the shell should lead the session, job A own the foreground",
    )?;

    let mut keyboard = std::fs::File::from(master);
    let (got, marker) = type_ctrl_c(reports, &mut keyboard, b1, shell_pid)?;
    expect(
        got.len() == 2 && marker.len() == 2,
        "^C should reach the foreground group only",
    )?;
    let (status, got, marker) = hang_up(reports, keyboard, shell, b1)?;
    let hup = status.signal() == Some(libc::SIGHUP);
    expect(
        hup && got.len() == 2 && marker.len() == 1,
        "a hang-up kills the session leader, then SIGHUPs the foreground",
    )?;

    println!(
        "== cleanup: SIGTERM to A1, A2, B1 \
         (orphans, now the monitor's children)"
    );
    let mut statuses = Vec::new();
    for pid in [a1, a2, b1] {
        let pid = Pid::from_raw(pid);
        kill(pid, Signal::SIGTERM).map_err(|e| format!("kill: {e}"))?;
        statuses.push(waitpid(pid, None).map_err(|e| format!("waitpid: {e}"))?);
    }
    pids.clear();
    let got = reports.until(&[
        "A1 SIGTERM from the monitor",
        "A2 SIGTERM from the monitor",
        "B1 SIGTERM from the monitor",
    ])?;
    let all_zero = statuses
        .iter()
        .all(|s| matches!(s, WaitStatus::Exited(_, 0)));
    println!(
        "A1, A2, B1: {}",
        if all_zero {
            "exited with status 0"
        } else {
            "did not all exit with status 0"
        }
    );
    expect(
        got.len() == 3 && all_zero,
        "the jobs should exit on SIGTERM",
    )
}

// ANCHOR: ctrl_c
/// Types ^C on the terminal, then sends the marker to B1 and the shell.
/// Returns the reports after ^C and after the marker.
fn type_ctrl_c(
    reports: &mut Reports,
    keyboard: &mut std::fs::File,
    b1: i32,
    shell_pid: i32,
) -> Result<(Vec<String>, Vec<String>), String> {
    println!(
        "== ^C typed on the terminal (byte 0x03 written to the pty master)"
    );
    keyboard
        .write_all(b"\x03")
        .map_err(|e| format!("write: {e}"))?;
    let got = reports
        .until(&["A1 SIGINT from the kernel", "A2 SIGINT from the kernel"])?;
    show(&got);
    println!("-- marker: the monitor sends SIGUSR1 to B1 and to the shell");
    kill(Pid::from_raw(b1), Signal::SIGUSR1)
        .map_err(|e| format!("kill: {e}"))?;
    kill(Pid::from_raw(shell_pid), Signal::SIGUSR1)
        .map_err(|e| format!("kill: {e}"))?;
    let marker = reports.until(&[
        "B1 SIGUSR1 from the monitor",
        "shell SIGUSR1 from the monitor",
    ])?;
    show(&marker);
    Ok((got, marker))
}
// ANCHOR_END: ctrl_c

// ANCHOR: hangup
/// Hangs up by closing the master side, waits for the shell, then sends
/// the marker to B1. Returns the shell's status and the reports.
fn hang_up(
    reports: &mut Reports,
    keyboard: std::fs::File,
    shell: &mut std::process::Child,
    b1: i32,
) -> Result<(ExitStatus, Vec<String>, Vec<String>), String> {
    println!("== hang-up: the pty master is closed");
    drop(keyboard);
    let status = shell.wait().map_err(|e| format!("wait: {e}"))?;
    let how = match status.signal().map(Signal::try_from) {
        Some(Ok(sig)) => format!("killed by {sig}"),
        _ => format!("{status}"),
    };
    println!("shell (the session leader): {how}");
    let got = reports
        .until(&["A1 SIGHUP from the kernel", "A2 SIGHUP from the kernel"])?;
    show(&got);
    println!("-- marker: the monitor sends SIGUSR1 to B1");
    kill(Pid::from_raw(b1), Signal::SIGUSR1)
        .map_err(|e| format!("kill: {e}"))?;
    let marker = reports.until(&["B1 SIGUSR1 from the monitor"])?;
    show(&marker);
    Ok((status, got, marker))
}
// ANCHOR_END: hangup

/// Prints reports in a fixed order (they arrive in any order).
fn show(lines: &[String]) {
    let mut lines = lines.to_vec();
    lines.sort();
    for l in lines {
        println!("{l}");
    }
}

fn expect(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("behaviour not seen: {what}"))
    }
}
