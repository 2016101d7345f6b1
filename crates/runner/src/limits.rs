//! Resource limits for code sent from the page, set in the child between
//! fork and exec. The supervisor already gives a wall-clock timeout, its own
//! process group, a kill-all of its descendants and an output cap; these
//! bound what the program can take from the machine meanwhile.
use std::os::unix::process::CommandExt;
use std::process::Command;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sandbox {
    /// Run as this uid/gid (set when the runner is root: `nobody`), so that
    /// RLIMIT_NPROC binds (it does not bind root) and the code cannot touch
    /// root's files.
    pub user: Option<(u32, u32)>,
    /// RLIMIT_AS, bytes of address space.
    pub address_space: u64,
    /// RLIMIT_CPU, seconds of CPU time (SIGXCPU, then SIGKILL one second on).
    pub cpu_secs: u64,
    /// RLIMIT_NPROC: processes (threads) of the user, counting those it
    /// already has: a fork bomb stops at this many.
    pub nproc: u64,
    /// RLIMIT_FSIZE: the largest file it can write.
    pub file_size: u64,
}

/// Processes the snippet may start on top of what its user already runs.
pub const EXTRA_PROCESSES: u64 = 128;

impl Sandbox {
    /// Limits for a snippet run: as `nobody` when we are root.
    pub fn for_snippet(timeout_secs: u64) -> Sandbox {
        let user = nix::unistd::geteuid().is_root().then(nobody);
        let uid = user.map_or_else(|| nix::unistd::getuid().as_raw(), |(u, _)| u);
        Sandbox {
            user,
            address_space: 1 << 30,
            cpu_secs: timeout_secs + 1,
            nproc: tasks_of(uid) + EXTRA_PROCESSES,
            file_size: 64 << 20,
        }
    }

    /// Limits for rustc on the page's code: our own user, more memory, and
    /// no process limit (rustc and the linker start a few).
    pub fn for_rustc(timeout_secs: u64) -> Sandbox {
        Sandbox {
            user: None,
            address_space: 8 << 30,
            cpu_secs: timeout_secs * 2 + 1,
            nproc: u64::MAX,
            file_size: 1 << 30,
        }
    }

    pub fn apply(&self, cmd: &mut Command) {
        if let Some((uid, gid)) = self.user {
            // std drops supplementary groups (setgroups) before setuid when root.
            cmd.uid(uid).gid(gid);
        }
        let limits = [
            (libc::RLIMIT_AS, self.address_space, self.address_space),
            (libc::RLIMIT_CPU, self.cpu_secs, self.cpu_secs + 1),
            (libc::RLIMIT_NPROC, self.nproc, self.nproc),
            (libc::RLIMIT_FSIZE, self.file_size, self.file_size),
            (libc::RLIMIT_CORE, 0, 0),
        ];
        // SAFETY: between fork and exec we only make async-signal-safe
        // system calls (signal, setrlimit, prctl) on values computed before
        // the fork.
        unsafe {
            cmd.pre_exec(move || {
                // The job ignores SIGINT, SIGTERM and SIGHUP (see job.rs), and
                // ignored signals are inherited across exec: give the program
                // the default dispositions a shell would.
                for sig in 1..32 {
                    if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                        libc::signal(sig, libc::SIG_DFL);
                    }
                }
                for (resource, soft, hard) in limits {
                    if soft == u64::MAX {
                        continue;
                    }
                    let lim = libc::rlimit {
                        rlim_cur: soft as libc::rlim_t,
                        rlim_max: hard as libc::rlim_t,
                    };
                    if libc::setrlimit(resource, &lim) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                // No setuid program (sudo, su, ping) can give it more rights.
                if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
}

/// `nobody`'s uid and gid (65534 if the name is unknown).
pub fn nobody() -> (u32, u32) {
    match nix::unistd::User::from_name("nobody") {
        Ok(Some(u)) => (u.uid.as_raw(), u.gid.as_raw()),
        _ => (65534, 65534),
    }
}

/// How many tasks (threads: what RLIMIT_NPROC counts) `uid` has now.
pub fn tasks_of(uid: u32) -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let mut n = 0;
    for e in dir.flatten() {
        let name = e.file_name();
        if !name
            .to_str()
            .is_some_and(|s| s.bytes().all(|b| b.is_ascii_digit()))
        {
            continue;
        }
        let Ok(status) = std::fs::read_to_string(e.path().join("status")) else {
            continue;
        };
        let field = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse::<u64>().ok())
        };
        if field("Uid:") == Some(uid as u64) {
            n += field("Threads:").unwrap_or(1);
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_our_own_threads() {
        let me = nix::unistd::getuid().as_raw();
        assert!(tasks_of(me) >= 1);
    }
}
