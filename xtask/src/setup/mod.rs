//! What every command stands on: the workspace root, running child
//! commands, the processes a build leaves behind, and what this machine
//! must have (Debian packages, the Python environment, the pinned tools,
//! the environment stamp).
pub mod debian;
pub mod python;
pub mod stamp;
pub mod tools;

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context, Result};

/// The workspace root: xtask lives in `<root>/xtask`.
pub fn workspace_root() -> Result<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("xtask has no parent folder")?
        .to_path_buf();
    anyhow::ensure!(
        root.join("book.toml").is_file(),
        "no book.toml in {}",
        root.display()
    );
    Ok(root)
}

/// Makes xtask a child subreaper: whatever a snippet, the supervisor or
/// mdbook orphans is re-parented to us, so [`fail_on_leftovers`] finds it.
pub fn become_subreaper() -> Result<()> {
    nix::sys::prctl::set_child_subreaper(true).context("prctl(PR_SET_CHILD_SUBREAPER)")
}

/// Kills and reaps whatever is still running below us; an error lists it.
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

/// Whether two files hold the same bytes.
pub fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) if x.len() == y.len() && y.is_file() => {
            matches!((std::fs::read(a), std::fs::read(b)), (Ok(p), Ok(q)) if p == q)
        }
        _ => false,
    }
}
