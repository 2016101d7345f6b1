//! `cargo xtask browser`: the built book in headless Chromium (the
//! `browser-test` crate), after installing Debian's chromium and
//! chromium-driver if they are missing. Also runs the browser-test fixture
//! test, which proves each browser check reports a broken chapter.
//!
//! `cargo xtask screenshot` runs the same and copies the light-theme
//! screenshot to docs/screenshot.png, the picture in the README.
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::i18n;
use crate::setup::{self as procs, debian, tools};

/// The chapter every screenshot is of, and the one the README shows.
pub const SHOT_PAGE: &str = "processes/zombie.html";

/// Where the screenshots go.
pub fn out_dir(root: &Path) -> PathBuf {
    root.join("target").join("browser")
}

/// Debian's chromium and chromium-driver, installed when missing.
pub fn ensure_chromium() -> Result<()> {
    debian::ensure(debian::CHROMIUM)
}

/// The browser checks on book/ (built already), for the English edition
/// and each translation (po/i18n.toml), then the fixture test that shows
/// they catch a broken chapter. Nothing may be left running.
pub fn run(root: &Path) -> Result<()> {
    ensure_chromium()?;
    procs::become_subreaper()?;
    let editions = i18n::config::editions(root)?;
    let strings = i18n::strings::tables(root)?;
    let mut english = browser_test(root, &out_dir(root));
    for e in &editions {
        english.arg("--twin").arg(format!("{}/", e.dir));
    }
    if let Some(label) = strings.get("en").and_then(|t| t.get("block.label")) {
        english.arg("--label").arg(label);
    }
    run_browser_test("browser tests of book/", &mut english)?;
    for e in &editions {
        let mut cmd = browser_test(root, &out_dir(root).join(&e.dir));
        cmd.arg("--edition")
            .arg(format!("{}/", e.dir))
            .args(["--lang", &e.lang, "--twin", ""]);
        for (word, page) in &e.search {
            cmd.arg("--search").arg(format!("{word}={page}"));
        }
        if let Some(label) = strings.get(&e.lang).and_then(|t| t.get("block.label")) {
            cmd.arg("--label").arg(label);
        }
        run_browser_test(&format!("browser tests of book/{}/", e.dir), &mut cmd)?;
    }
    fixture_test(root)?;
    runner_test(root)
}

fn browser_test(root: &Path, out: &Path) -> std::process::Command {
    let mut cmd = procs::cargo();
    cmd.current_dir(root)
        .args(["run", "--quiet", "-p", "browser-test", "--", "--root"])
        .arg(root)
        .arg("--out")
        .arg(out)
        .args(["--shot", SHOT_PAGE]);
    cmd
}

fn run_browser_test(what: &str, cmd: &mut std::process::Command) -> Result<()> {
    let result = procs::run(what, cmd);
    procs::fail_on_leftovers(what)?;
    result
}

/// Edit-and-run in the browser (crates/runner/tests/browser.rs): book/
/// served by the local runner, a snippet edited on the page and run, once
/// with a changed string, once with a compile error.
pub fn runner_test(root: &Path) -> Result<()> {
    debian::ensure(debian::BUBBLEWRAP)?;
    let result = procs::run(
        "browser tests of edit-and-run",
        procs::cargo().current_dir(root).args([
            "test",
            "--quiet",
            "-p",
            "runner",
            "--test",
            "browser",
            "--",
            "--ignored",
        ]),
    );
    procs::fail_on_leftovers("the edit-and-run browser tests")?;
    result
}

/// `cargo test -p browser-test -- --ignored`: builds the broken fixture book
/// with the pinned mdbook and checks that every browser check reports it.
pub fn fixture_test(root: &Path) -> Result<()> {
    let tools = tools::ensure(root)?;
    let result = procs::run(
        "browser tests of the broken fixture book",
        procs::cargo()
            .current_dir(root)
            .args([
                "test",
                "--quiet",
                "-p",
                "browser-test",
                "--test",
                "fixture",
                "--",
                "--ignored",
            ])
            .env("RSP_MDBOOK", tools.join("mdbook")),
    );
    procs::fail_on_leftovers("the browser fixture test")?;
    result
}

/// `cargo xtask screenshot`: build, run the browser checks, and copy the
/// light-theme screenshot of the model chapter to docs/screenshot.png.
pub fn screenshot(root: &Path) -> Result<()> {
    crate::build::run(root)?;
    run(root)?;
    let stem = Path::new(SHOT_PAGE)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("page");
    let from = out_dir(root).join(format!("{stem}-light.png"));
    let to = root.join("docs").join("screenshot.png");
    std::fs::create_dir_all(root.join("docs")).context("creating docs/")?;
    std::fs::copy(&from, &to)
        .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    eprintln!("xtask: copied {} to {}", from.display(), to.display());
    Ok(())
}
