//! The environment stamp under every output block: computed once per build
//! by the `about` snippet (`about --line`, the same program the "About this
//! build" page runs) and handed to every supervisor run in
//! `supervisor::render::STAMP_ENV`, so a directive pays nothing for it.
use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

/// Runs the already built `target/debug/about --line`.
pub fn line(root: &Path) -> Result<String> {
    let exe = supervisor::locate::target_dir(root)
        .join("debug")
        .join("about");
    let out = Command::new(&exe)
        .arg("--line")
        .current_dir(root)
        .output()
        .with_context(|| format!("running {} --line", exe.display()))?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || text.is_empty() {
        bail!(
            "`{} --line` failed ({}): {}",
            exe.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(text)
}
