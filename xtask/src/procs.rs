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
