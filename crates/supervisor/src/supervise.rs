//! Running one command as a snippet: own process group, stdout and stderr on
//! one pipe (so their order is kept), a deadline, capped output, and a kill-all
//! of whatever it leaves behind.
use std::io::{self, Read};
use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

use crate::reap::{kill_all_descendants, Leftover};

pub struct Limits {
    pub timeout: Duration,
    /// Bytes of output kept; the rest is counted and dropped.
    pub output_cap: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(10),
            output_cap: 64 * 1024,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Exited(i32),
    Signaled(Signal),
    TimedOut,
}

#[derive(Debug)]
pub struct Outcome {
    pub ending: Ending,
    /// stdout and stderr interleaved as written, at most `output_cap` bytes.
    pub output: Vec<u8>,
    /// Bytes beyond the cap.
    pub dropped: u64,
    /// Processes still running after the main process ended (or timed out).
    pub leftovers: Vec<Leftover>,
    pub elapsed: Duration,
}

/// Runs `cmd` to completion or deadline and leaves no descendant behind.
/// Makes the calling process a child subreaper for good: call it from a
/// process of its own (the supervisor binary), never from a threaded test.
pub fn supervise(cmd: Command, limits: &Limits) -> io::Result<Outcome> {
    supervise_streaming(cmd, limits, |_| {})
}

/// [`supervise`], also handing each piece of output to `on_output` as soon as
/// it is read (from another thread), up to the cap: what the local runner
/// (crates/runner) streams to the page while the snippet runs. The last call
/// has returned when this function returns (unless a pipe end escaped the
/// snippet's tree: then output after the 2 s grace is not waited for).
pub fn supervise_streaming(
    mut cmd: Command,
    limits: &Limits,
    on_output: impl FnMut(&[u8]) + Send + 'static,
) -> io::Result<Outcome> {
    nix::sys::prctl::set_child_subreaper(true)?;
    let (reader, writer) = io::pipe()?;
    cmd.stdin(Stdio::null())
        .stdout(writer.try_clone()?)
        .stderr(writer)
        .process_group(0);
    // The reader thread first: a snippet that forks until a task limit
    // stops it must not leave us unable to start a thread to read it.
    let cap = limits.output_cap;
    let (tx, rx) = mpsc::channel();
    thread::Builder::new().spawn(move || {
        let _ = tx.send(collect(reader, cap, on_output));
    })?;
    let start = Instant::now();
    let child = cmd.spawn();
    // The Command holds our copies of the pipe's write end; drop them so the
    // reader sees EOF once every process of the snippet is gone (or at
    // once, if it did not start).
    drop(cmd);
    let mut child = child?;

    let pid = child.id() as i32;
    let finished = wait_exit(pid, limits.timeout)?;
    if !finished {
        // Kill the group first: the snippet and all that stayed in its group.
        let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    }
    let status = child.wait()?;
    let elapsed = start.elapsed();
    let leftovers = kill_all_descendants();
    let ending = match (finished, status.code(), status.signal()) {
        (false, _, _) => Ending::TimedOut,
        (true, Some(code), _) => Ending::Exited(code),
        (true, None, Some(sig)) => {
            Ending::Signaled(Signal::try_from(sig).unwrap_or(Signal::SIGKILL))
        }
        (true, None, None) => Ending::Exited(-1),
    };
    // Every writer is dead now; the reader ends at EOF. The bound is only a
    // guard against a pipe end smuggled out of the tree.
    let (output, dropped) = rx.recv_timeout(Duration::from_secs(2)).unwrap_or_default();
    Ok(Outcome {
        ending,
        output,
        dropped,
        leftovers,
        elapsed,
    })
}

/// Waits until `pid` exits (true) or the timeout passes (false), on a pidfd.
fn wait_exit(pid: i32, timeout: Duration) -> io::Result<bool> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just gave us this fd and nobody else owns it.
    let pidfd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let ms = PollTimeout::try_from(left.as_millis().min(i32::MAX as u128) as i32)
            .unwrap_or(PollTimeout::MAX);
        let mut fds = [PollFd::new(pidfd.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, ms) {
            Ok(0) if left.is_zero() => return Ok(false),
            Ok(0) => continue,
            Ok(_) => return Ok(true),
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

fn collect(mut r: impl Read, cap: usize, mut on_output: impl FnMut(&[u8])) -> (Vec<u8>, u64) {
    let mut kept = Vec::new();
    let mut dropped = 0u64;
    let mut buf = [0u8; 16 * 1024];
    loop {
        match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let room = cap.saturating_sub(kept.len()).min(n);
                kept.extend_from_slice(&buf[..room]);
                if room > 0 {
                    on_output(&buf[..room]);
                }
                dropped += (n - room) as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    (kept, dropped)
}
