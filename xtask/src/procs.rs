//! Running child commands, and catching processes a build leaves behind.
//! xtask makes itself a child subreaper, so anything a snippet, the
//! supervisor or mdbook orphans is re-parented to us and can be found.
use std::process::Command;

use anyhow::{bail, Context, Result};

pub fn become_subreaper() -> Result<()> {
    nix::sys::prctl::set_child_subreaper(true).context("prctl(PR_SET_CHILD_SUBREAPER)")
}

/// Kills whatever is still running below us; an error lists it.
pub fn fail_on_leftovers(during: &str) -> Result<()> {
    let left = supervisor::reap::kill_all_descendants();
    if left.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = left
        .iter()
        .map(|l| format!("{} ({})", l.pid, l.comm))
        .collect();
    bail!(
        "{during} left {} process(es) running, now killed: {}",
        left.len(),
        list.join(", ")
    )
}

/// Lowers the calling thread's scheduling priority (nice 10; on Linux
/// the nice value is per thread): for what a build does beside the
/// snippets' runs, so that a snippet that measures something (poll-child's
/// latencies) wins a contended core. A thread cannot raise it back
/// without privileges, so only threads that end before the HTML renders
/// call this. Best effort: a refusal changes nothing else.
pub fn lower_priority() {
    // SAFETY: setpriority with integer arguments; `who` 0 is this thread.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}

/// Runs `cmd` with inherited output; an error names `what`.
pub fn run(what: &str, cmd: &mut Command) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("{what}: could not start {:?}", cmd.get_program()))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Makes `cmd`'s process get SIGTERM when xtask dies, however it dies
/// (Ctrl-C reaches the whole group anyway; a `kill` of xtask alone does not).
pub fn die_with_us(cmd: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGTERM)
                .map_err(std::io::Error::from)
        });
    }
    cmd
}
