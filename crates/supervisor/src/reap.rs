//! Finding and killing everything a snippet left behind. The supervisor is a
//! child subreaper, so every orphan in the snippet's tree, also one that
//! called setsid() and double-forked, becomes our child and shows up here.
use std::fs;

use nix::errno::Errno;
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

/// A process found alive after the snippet's main process had ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    pub pid: i32,
    pub comm: String,
}

/// Our direct children as (pid, state letter, comm) from /proc/<pid>/stat.
pub fn children() -> Vec<(i32, char, String)> {
    let me = std::process::id().to_string();
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| {
            let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // comm may hold spaces and parentheses: split at the last ')'.
            let open = stat.find('(')?;
            let close = stat.rfind(')')?;
            let mut rest = stat.get(close + 2..)?.split(' ');
            let state = rest.next()?.chars().next()?;
            let ppid = rest.next()?;
            (ppid == me).then(|| (pid, state, stat[open + 1..close].to_string()))
        })
        .collect()
}

/// Kills (SIGKILL) and reaps every descendant. Returns the ones that were still
/// running (not zombies) when first seen: what the snippet failed to clean up.
pub fn kill_all_descendants() -> Vec<Leftover> {
    let mut running = Vec::new();
    loop {
        for (pid, state, comm) in children() {
            if state != 'Z' && !running.iter().any(|l: &Leftover| l.pid == pid) {
                running.push(Leftover { pid, comm });
            }
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
        // Reap one child (blocking: all known children were just sent SIGKILL).
        // A reaped parent's children were re-parented to us before it became
        // reapable, so the next scan sees them; ECHILD means the tree is empty.
        match waitpid(None, Some(WaitPidFlag::__WALL)) {
            Err(Errno::ECHILD) => return running,
            Err(Errno::EINTR) | Ok(_) => {}
            Err(_) => return running,
        }
        // Then every other child that is already dead, before scanning /proc
        // again: a scan reads every process's stat file on the machine, and
        // one scan per reaped child made a tree of a hundred processes (a
        // fork bomb) take seconds to clean up, tens of seconds under load.
        loop {
            match waitpid(None, Some(WaitPidFlag::__WALL | WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::StillAlive) | Err(_) => break,
                Ok(_) => {}
            }
        }
    }
}
