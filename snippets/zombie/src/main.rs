// A child that has exited but was never waited for is a zombie: the kernel
// keeps its pid and exit status until the parent reaps it.
use std::process::{Child, Command, ExitCode};

use nix::sys::signal::{signal, SigHandler, Signal};
use nix::sys::wait::{waitid, waitpid, Id, WaitPidFlag};
use nix::unistd::Pid;

// ANCHOR: state
/// The state letter from /proc/<pid>/stat (`R`, `S`, `Z`, ...), or None once
/// the pid is gone. The command name in field 2 may contain spaces and
/// parentheses, so split after the last ')'.
fn proc_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_comm = &stat[stat.rfind(')')? + 2..];
    after_comm.chars().next()
}
// ANCHOR_END: state

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("zombie: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let child = exited_but_not_waited_for()?;
    drop_then_reap(child)?;
    with_sigchld_ignored()
}

// ANCHOR: zombie
/// Spawns `true` and blocks until it has exited, without reaping it.
fn exited_but_not_waited_for() -> Result<Child, String> {
    let child = Command::new("true")
        .spawn()
        .map_err(|e| format!("spawn: {e}"))?;
    let pid = child.id();
    println!("spawned `true` as pid {pid}");

    // Block until the child has exited, but leave it unreaped (WNOWAIT):
    // no sleep, no race.
    let id = Id::Pid(Pid::from_raw(pid as i32));
    waitid(id, WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT)
        .map_err(|e| format!("waitid: {e}"))?;
    let state = proc_state(pid);
    println!("it has exited; /proc/{pid}/stat says state {state:?}");
    expect(
        state == Some('Z'),
        "an exited, unwaited child should be a zombie",
    )?;
    Ok(child)
}
// ANCHOR_END: zombie

// ANCHOR: drop
fn drop_then_reap(child: Child) -> Result<(), String> {
    let pid = child.id();
    drop(child); // std's Child has no Drop impl: nothing waits here
    let state = proc_state(pid);
    println!("after drop(child):            state {state:?}");
    expect(state == Some('Z'), "dropping Child should not reap it")?;

    let status = waitpid(Pid::from_raw(pid as i32), None)
        .map_err(|e| format!("waitpid: {e}"))?;
    println!("waitpid({pid}) -> {status:?}");
    let state = proc_state(pid);
    println!("after waitpid:                state {state:?}");
    expect(state.is_none(), "a reaped child should leave /proc")
}
// ANCHOR_END: drop

// ANCHOR: sig_ign
/// With SIGCHLD ignored, the kernel reaps children itself (POSIX.1-2001):
/// wait blocks until they are gone, then fails with ECHILD.
fn with_sigchld_ignored() -> Result<(), String> {
    // SAFETY: no handler is installed, only the disposition SIG_IGN.
    unsafe { signal(Signal::SIGCHLD, SigHandler::SigIgn) }
        .map_err(|e| format!("signal: {e}"))?;
    let child = Command::new("true")
        .spawn()
        .map_err(|e| format!("spawn: {e}"))?;
    let pid = child.id();
    let res = waitpid(Pid::from_raw(pid as i32), None);
    println!(
        "SIGCHLD ignored: waitpid({pid}) -> {res:?}, state {:?}",
        proc_state(pid)
    );
    expect(
        res == Err(nix::errno::Errno::ECHILD),
        "with SIG_IGN there is nothing to wait for",
    )?;
    // std's own wait meets the same: no status to collect.
    let mut child = Command::new("true")
        .spawn()
        .map_err(|e| format!("spawn: {e}"))?;
    let res = child.wait();
    println!("and std's Child::wait() -> {res:?}");
    expect(
        res.is_err_and(|e| e.raw_os_error() == Some(nix::libc::ECHILD)),
        "with SIG_IGN, Child::wait fails with ECHILD too",
    )
}
// ANCHOR_END: sig_ign

fn expect(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("behaviour not seen: {what}"))
    }
}
