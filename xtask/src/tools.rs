//! The pinned book tools (versions in tools.toml), installed with
//! `cargo install --locked` into a versioned cache folder outside the clone
//! and always run by path: a user's own global mdbook is never touched.
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

#[derive(Deserialize)]
struct Pins {
    mdbook: String,
    #[serde(rename = "mdbook-cmdrun")]
    mdbook_cmdrun: String,
    #[serde(rename = "mdbook-i18n-helpers")]
    mdbook_i18n_helpers: String,
}

pub struct Tools {
    pub bin_dir: PathBuf,
    pub mdbook: PathBuf,
}

impl Tools {
    /// A PATH with our tools first, so mdbook finds our mdbook-cmdrun.
    pub fn path_env(&self) -> std::ffi::OsString {
        let mut dirs = vec![self.bin_dir.clone()];
        dirs.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        std::env::join_paths(dirs).unwrap_or_default()
    }

    pub fn mdbook(&self) -> Command {
        let mut cmd = Command::new(&self.mdbook);
        cmd.env("PATH", self.path_env());
        cmd
    }
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

/// Installs what is missing or at another version; returns where they are.
pub fn ensure(root: &Path) -> Result<Tools> {
    let file = root.join("tools.toml");
    let text =
        std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let pins: Pins =
        toml::from_str(&text).with_context(|| format!("parsing {}", file.display()))?;
    let dir = cache_home()?.join(format!(
        "mdbook-{}_mdbook-cmdrun-{}",
        pins.mdbook, pins.mdbook_cmdrun
    ));
    let bin_dir = dir.join("bin");
    // (crate, version, one of its binaries)
    for (name, version, bin) in [
        ("mdbook", &pins.mdbook, "mdbook"),
        ("mdbook-cmdrun", &pins.mdbook_cmdrun, "mdbook-cmdrun"),
        // mdbook-gettext, for a plain `mdbook build` of a translation.
        (
            "mdbook-i18n-helpers",
            &pins.mdbook_i18n_helpers,
            "mdbook-gettext",
        ),
    ] {
        let exe = bin_dir.join(bin);
        if exe.is_file() && installed_version(&dir, name).as_deref() == Some(version.as_str()) {
            continue;
        }
        eprintln!(
            "xtask: installing {name} {version} into {} (once per version; a few minutes)",
            dir.display()
        );
        let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .args(["install", "--locked", "--force", "--root"])
            .arg(&dir)
            .args([name, "--version", &format!("={version}")])
            .status()
            .with_context(|| format!("running cargo install {name}"))?;
        if !status.success() {
            bail!("cargo install {name} {version} failed ({status})");
        }
        match installed_version(&dir, name) {
            Some(v) if v == *version && exe.is_file() => {}
            other => bail!(
                "{} has {name} {other:?} after install, expected {version}",
                dir.display()
            ),
        }
    }
    Ok(Tools {
        mdbook: bin_dir.join("mdbook"),
        bin_dir,
    })
}

/// `tools.toml`'s version of `name`, for the check that xtask links the
/// same mdbook and mdbook-i18n-helpers it installs.
#[cfg(test)]
pub fn pinned(root: &Path, name: &str) -> Option<String> {
    let text = std::fs::read_to_string(root.join("tools.toml")).ok()?;
    let table: toml::Table = toml::from_str(&text).ok()?;
    table.get(name)?.as_str().map(String::from)
}

/// The version cargo recorded for `name` in `<root>/.crates.toml`, whose
/// keys read `"mdbook-cmdrun 0.7.3 (registry+...)"`. (mdbook-cmdrun has no
/// `--version` flag, so this is the one way that works for both tools.)
fn installed_version(root: &Path, name: &str) -> Option<String> {
    let text = std::fs::read_to_string(root.join(".crates.toml")).ok()?;
    text.lines().find_map(|line| {
        let mut words = line.trim_start_matches('"').split(' ');
        (words.next()? == name).then(|| words.next().map(String::from))?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xtask/Cargo.toml pins the libraries with `=`: the same versions.
    #[test]
    fn the_linked_libraries_are_the_pinned_tools() {
        let root = crate::root::workspace_root().unwrap();
        let read = |p: &str| -> toml::Table {
            toml::from_str(&std::fs::read_to_string(root.join(p)).unwrap()).unwrap()
        };
        let (manifest, workspace) = (read("xtask/Cargo.toml"), read("Cargo.toml"));
        for name in ["mdbook", "mdbook-i18n-helpers"] {
            let mut dep = &manifest["dependencies"][name];
            if dep.get("workspace").and_then(|w| w.as_bool()) == Some(true) {
                dep = &workspace["workspace"]["dependencies"][name];
            }
            let req = dep
                .as_str()
                .or_else(|| dep.get("version").and_then(|v| v.as_str()))
                .unwrap();
            assert_eq!(
                Some(req.trim_start_matches('=').to_string()),
                pinned(&root, name),
                "xtask/Cargo.toml's {name} must be `={{tools.toml's}}`"
            );
            assert!(req.starts_with('='), "{name}: pin it with `=`");
        }
    }
}
