//! Per-process limits the job sets on rustc and on the program between fork
//! and exec. The cgroup bounds the whole tree; these bound each process
//! (CPU time, file size, no core files) and are the memory and process
//! bound of last resort when the machine gives no cgroup.
use std::os::unix::process::CommandExt;
use std::process::Command;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rlimits {
    /// RLIMIT_AS, bytes of address space of one process.
    pub address_space: u64,
    /// RLIMIT_CPU, seconds of CPU time (SIGXCPU, then SIGKILL one second on).
    pub cpu_secs: u64,
    /// RLIMIT_FSIZE: the largest file it can write.
    pub file_size: u64,
    /// RLIMIT_NPROC, only without a cgroup: processes of the (real) user,
    /// counting those it already has.
    pub nproc: Option<u64>,
}

/// Processes the program may start on top of what its user already runs,
/// when there is no cgroup to count its tasks.
pub const EXTRA_PROCESSES: u64 = 64;

impl Rlimits {
    /// Sets the limits in the child, and gives it the default signal
    /// dispositions a shell would (the job ignores some signals).
    pub fn apply(&self, cmd: &mut Command) {
        let limits = [
            (libc::RLIMIT_AS, self.address_space, self.address_space),
            (libc::RLIMIT_CPU, self.cpu_secs, self.cpu_secs + 1),
            (libc::RLIMIT_FSIZE, self.file_size, self.file_size),
            (libc::RLIMIT_CORE, 0, 0),
        ];
        let nproc = self.nproc;
        // SAFETY: between fork and exec we only make async-signal-safe
        // system calls (signal, setrlimit, prctl) on values computed before
        // the fork.
        unsafe {
            cmd.pre_exec(move || {
                for sig in 1..32 {
                    if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                        libc::signal(sig, libc::SIG_DFL);
                    }
                }
                let set = |resource, soft: u64, hard: u64| {
                    let lim = libc::rlimit {
                        rlim_cur: soft as libc::rlim_t,
                        rlim_max: hard as libc::rlim_t,
                    };
                    if libc::setrlimit(resource, &lim) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                };
                for (resource, soft, hard) in limits {
                    set(resource, soft, hard)?;
                }
                if let Some(n) = nproc {
                    set(libc::RLIMIT_NPROC, n, n)?;
                }
                // No setuid program can give it more rights.
                if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
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
