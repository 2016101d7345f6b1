// Note 13: is the child still running? Python's Popen.poll() returns None
// while it runs; Rust's Child::try_wait() returns Ok(None). With `-- pidfd`:
// wait for the exit on a pidfd instead of polling.
//
// The child runs until its stdin is closed, so "still running" is
// deterministic: it cannot exit before the parent closes the pipe.
use std::io::{Read, Write};
use std::os::fd::{AsFd, FromRawFd, OwnedFd, RawFd};
use std::process::{Child, Command, ExitCode, ExitStatus, Stdio};
use std::time::Duration;

use nix::errno::Errno;
use nix::libc;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

const ROLE: &str = "POLL_CHILD_ROLE";
const POLL_EVERY: Duration = Duration::from_millis(50);
const CLOSE_AFTER: u32 = 3;

fn main() -> ExitCode {
    if std::env::var_os(ROLE).is_some() {
        // The child: say it has started, read stdin until EOF, then exit
        // with status 3.
        let mut out = std::io::stdout();
        let _ = out.write_all(b"+").and_then(|()| out.flush());
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        return ExitCode::from(3);
    }
    let result = match std::env::args().nth(1).as_deref() {
        None => polling(),
        Some("pidfd") => with_pidfd(),
        Some(other) => Err(format!("unknown argument {other:?}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("poll-child: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Starts the child and waits until it says it has started. Rust's
/// runtime checks the three standard descriptors before `main`; a parent
/// that closed the pipe before that check would make it see stdin hung up
/// (POLLHUP in the strace below) in some runs and not in others.
fn spawn_child() -> Result<Child, String> {
    let exe =
        std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let mut child = Command::new(exe)
        .env(ROLE, "child")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn: {e}"))?;
    let mut started = [0u8; 1];
    child
        .stdout
        .as_mut()
        .ok_or("the child has no stdout")?
        .read_exact(&mut started)
        .map_err(|e| format!("the child did not say it started: {e}"))?;
    Ok(child)
}

fn polling() -> Result<(), String> {
    let mut child = spawn_child()?;
    let pid = child.id();
    println!("spawned pid={pid}: it runs until its stdin is closed");
    let (status, polls) = poll_until_exit(&mut child)?;
    expect(polls > CLOSE_AFTER, "Ok(None) until the pipe was closed")?;
    expect(status.code() == Some(3), "the child exits with status 3")?;
    ask_again(&mut child, status)
}

// ANCHOR: poll
/// Polls with `try_wait` every POLL_EVERY, and closes the child's stdin
/// after the third poll. Returns the status and the number of polls.
fn poll_until_exit(child: &mut Child) -> Result<(ExitStatus, u32), String> {
    let mut stdin = child.stdin.take(); // dropping it closes the pipe
    let mut polls = 0;
    let status = loop {
        polls += 1;
        match child.try_wait().map_err(|e| format!("try_wait: {e}"))? {
            Some(status) => break status,
            None if polls <= CLOSE_AFTER => {
                println!("poll {polls}: try_wait() = Ok(None): still running")
            }
            None => {} // exiting, but not yet a zombie we can reap
        }
        if polls == CLOSE_AFTER {
            drop(stdin.take());
            println!(
                "closed its stdin: the child reads EOF and exits with status 3"
            );
        }
        // The polling interval, like the note's 1 s.
        std::thread::sleep(POLL_EVERY);
    };
    println!(
        "then: try_wait() = Ok(Some({status:?})), code() = {:?}",
        status.code()
    );
    Ok((status, polls))
}
// ANCHOR_END: poll

// ANCHOR: again
/// Once `try_wait` has returned the status: ask again, and look at /proc.
fn ask_again(child: &mut Child, status: ExitStatus) -> Result<(), String> {
    let pid = child.id();
    let again = child.try_wait().map_err(|e| format!("try_wait: {e}"))?;
    let gone = !std::path::Path::new(&format!("/proc/{pid}")).exists();
    println!("try_wait() again = Ok({again:?}): the status is kept");
    println!("pid={pid} in /proc: {} (the first Some reaped it)", !gone);
    expect(again == Some(status), "try_wait repeats the status")?;
    expect(gone, "try_wait reaps the child")
}
// ANCHOR_END: again

fn with_pidfd() -> Result<(), String> {
    let mut child = spawn_child()?;
    println!(
        "spawned pid={}: it runs until its stdin is closed",
        child.id()
    );
    let (before, after, status) = wait_on_pidfd(&mut child)?;
    expect(!before, "a running child's pidfd is not readable")?;
    expect(after, "the pidfd is readable after the exit")?;
    expect(
        status.and_then(|s| s.code()) == Some(3),
        "a readable pidfd means try_wait has the status",
    )
}

// ANCHOR: pidfd
/// Is the pidfd readable while the child runs, and after it exits? Then
/// `try_wait`, which must have the status at once.
fn wait_on_pidfd(
    child: &mut Child,
) -> Result<(bool, bool, Option<ExitStatus>), String> {
    let pidfd =
        pidfd_open(child.id()).map_err(|e| format!("pidfd_open: {e}"))?;
    let readable = |timeout: PollTimeout| -> Result<bool, String> {
        let mut fds = [PollFd::new(pidfd.as_fd(), PollFlags::POLLIN)];
        loop {
            match poll(&mut fds, timeout) {
                Ok(n) => return Ok(n > 0),
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(format!("poll: {e}")),
            }
        }
    };
    let before = readable(PollTimeout::ZERO)?;
    println!("poll(pidfd, timeout 0) -> readable: {before} (still running)");

    drop(child.stdin.take());
    println!("closed its stdin");
    let after = readable(PollTimeout::NONE)?; // sleeps until the exit: no loop
    println!("poll(pidfd, no timeout) -> readable: {after} (it has exited)");
    let status = child.try_wait().map_err(|e| format!("try_wait: {e}"))?;
    println!("try_wait() = Ok({status:?}) at once");
    Ok((before, after, status))
}
// ANCHOR_END: pidfd

// ANCHOR: pidfd_open
/// pidfd_open(2). glibc has a wrapper since 2.36, but neither the libc
/// crate nor nix binds it, so this is the system call itself, which works
/// with any C library on Linux 5.3 and later.
fn pidfd_open(pid: u32) -> std::io::Result<OwnedFd> {
    // SAFETY: pidfd_open(pid, flags) returns a new fd or -1.
    let fd =
        unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a fresh fd that nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}
// ANCHOR_END: pidfd_open

fn expect(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("behaviour not seen: {what}"))
    }
}
