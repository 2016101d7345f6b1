//! The pinned book tools as binaries, for readers who want plain `mdbook
//! build` / `serve` / `test` (and mdbook-i18n-helpers' `mdbook-xgettext`
//! and `mdbook-gettext` for the zh-TW edition). Their versions live in one
//! place, the workspace Cargo.toml (`=` pins), where xtask links them as
//! libraries; `cargo xtask tools` builds the binaries from that same lock and
//! compiled dependencies (`cargo build -p mdbook --bin mdbook`, seconds
//! once xtask is built, where `cargo install`s took minutes) and copies
//! them into a versioned cache folder outside the clone. A user's own
//! global mdbook is never touched.
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// The pinned packages, each with the binaries built from it.
pub const TOOLS: [(&str, &[&str]); 3] = [
    ("mdbook", &["mdbook"]),
    ("mdbook-cmdrun", &["mdbook-cmdrun"]),
    (
        "mdbook-i18n-helpers",
        &["mdbook-xgettext", "mdbook-gettext"],
    ),
];

/// Every binary of [`TOOLS`].
fn binaries() -> impl Iterator<Item = (&'static str, &'static str)> {
    TOOLS
        .iter()
        .flat_map(|(package, bins)| bins.iter().map(move |b| (*package, *b)))
}

fn cache_home() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("RSP_TOOLS_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let base = match std::env::var_os("XDG_CACHE_HOME") {
        Some(x) if !x.is_empty() => PathBuf::from(x),
        _ => PathBuf::from(std::env::var_os("HOME").context("HOME is not set")?).join(".cache"),
    };
    Ok(base.join("rust-systems-playground").join("tools"))
}

/// The `=` pin of `name` in the workspace Cargo.toml's
/// `[workspace.dependencies]`, without the `=`.
pub fn pin(root: &Path, name: &str) -> Result<String> {
    let file = root.join("Cargo.toml");
    let text =
        std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let doc: toml::Table =
        toml::from_str(&text).with_context(|| format!("parsing {}", file.display()))?;
    let dep = doc
        .get("workspace")
        .and_then(|w| w.get("dependencies"))
        .and_then(|d| d.get(name));
    let req = match dep {
        Some(toml::Value::String(v)) => Some(v.as_str()),
        Some(t) => t.get("version").and_then(toml::Value::as_str),
        None => None,
    };
    match req.and_then(|r| r.strip_prefix('=')) {
        Some(v) => Ok(v.trim().to_string()),
        None => bail!(
            "{}: [workspace.dependencies] {name} must be an exact `=` pin",
            file.display()
        ),
    }
}

/// Builds the binaries if needed and copies them into the tools folder
/// (one per set of pinned versions); returns that folder.
pub fn ensure(root: &Path) -> Result<PathBuf> {
    let mut versions = Vec::new();
    for (package, _) in TOOLS {
        versions.push(format!("{package}-{}", pin(root, package)?));
    }
    let bin_dir = cache_home()?.join(versions.join("_")).join("bin");
    let mut cmd = crate::setup::cargo();
    // With xtask in the selection, as everywhere: the same features, so the
    // libraries xtask links are reused and only the binaries are new.
    cmd.current_dir(root)
        .args(["build", "--quiet", "-p", "xtask", "--bin", "xtask"]);
    for (package, bins) in TOOLS {
        cmd.args(["-p", package]);
        for b in bins {
            cmd.args(["--bin", b]);
        }
    }
    crate::setup::run(
        "building the pinned mdbook, mdbook-cmdrun and mdbook-i18n-helpers",
        &mut cmd,
    )?;
    std::fs::create_dir_all(&bin_dir).with_context(|| format!("creating {}", bin_dir.display()))?;
    let built = supervisor::locate::target_dir(root).join("debug");
    for (_, t) in binaries() {
        let (from, to) = (built.join(t), bin_dir.join(t));
        if !crate::setup::same_file(&from, &to) {
            let tmp = bin_dir.join(format!(".{t}.new"));
            std::fs::copy(&from, &tmp)
                .with_context(|| format!("copying {} to {}", from.display(), tmp.display()))?;
            std::fs::rename(&tmp, &to)?;
        }
    }
    Ok(bin_dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pins are what Cargo.lock holds, and the lock holds one mdbook:
    /// mdbook-cmdrun's and mdbook-i18n-helpers' own dependency is the same
    /// compile as xtask's.
    #[test]
    fn the_pins_are_the_locked_versions_and_there_is_one_mdbook() {
        let root = crate::setup::workspace_root().unwrap();
        let lock: toml::Table =
            toml::from_str(&std::fs::read_to_string(root.join("Cargo.lock")).unwrap()).unwrap();
        let packages = lock["package"].as_array().unwrap();
        for (t, _) in TOOLS {
            let versions: Vec<&str> = packages
                .iter()
                .filter(|p| p["name"].as_str() == Some(t))
                .map(|p| p["version"].as_str().unwrap())
                .collect();
            assert_eq!(versions, [pin(&root, t).unwrap()], "{t} in Cargo.lock");
        }
    }
}
