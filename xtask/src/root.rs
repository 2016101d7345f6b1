//! The workspace root: xtask lives in <root>/xtask.
use std::path::PathBuf;

use anyhow::{Context, Result};

pub fn workspace_root() -> Result<PathBuf> {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    let root = manifest
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
