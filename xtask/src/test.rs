//! `cargo xtask test`: everything CI checks, in order, cheapest first.
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::{book, browser, drift, links, lint, procs, python, tools};

pub fn run(root: &Path) -> Result<()> {
    let started = Instant::now();
    // Before `cargo test`, whose fixture tests build a book with the pinned mdbook.
    tools::ensure(root)?;
    python::ensure(root)?;
    let steps: [(&str, &dyn Fn() -> Result<()>); 10] = [
        ("cargo fmt --check", &|| {
            procs::run(
                "cargo fmt",
                procs::cargo()
                    .current_dir(root)
                    .args(["fmt", "--all", "--", "--check"]),
            )
        }),
        ("cargo clippy -D warnings", &|| {
            procs::run(
                "cargo clippy",
                procs::cargo().current_dir(root).args([
                    "clippy",
                    "--quiet",
                    "--workspace",
                    "--all-targets",
                    "--",
                    "-D",
                    "warnings",
                ]),
            )
        }),
        ("cargo test --workspace", &|| {
            // The runner's tests require its sandbox.
            crate::debian::ensure(crate::debian::BUBBLEWRAP)?;
            procs::run(
                "cargo test",
                procs::cargo()
                    .current_dir(root)
                    .args(["test", "--workspace"]),
            )
        }),
        ("pytest (snippets/*/python)", &|| python::pytest(root)),
        ("directive lint", &|| lint::run(root)),
        ("book build", &|| book::build(root).map(|_| ())),
        ("link check", &|| {
            links::run(&root.join("book"), &links::external_list(root))
        }),
        ("drift check (a second build)", &|| drift::run(root, true)),
        ("browser tests (headless Chromium)", &|| browser::run(root)),
        ("mdbook test", &|| mdbook_test(root)),
    ];
    for (i, (name, step)) in steps.iter().enumerate() {
        eprintln!("\nxtask: [{}/{}] {name}", i + 1, steps.len());
        let t = Instant::now();
        step().with_context(|| format!("step `{name}` failed"))?;
        eprintln!(
            "xtask: [{}/{}] {name}: ok in {:.1} s",
            i + 1,
            steps.len(),
            t.elapsed().as_secs_f64()
        );
    }
    eprintln!(
        "\nxtask: all {} checks passed in {:.0} s",
        steps.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `mdbook test` runs rustdoc with `-L DIR` and no `--extern`: DIR must hold
/// exactly one rlib per crate, so the deps are built from crates/mdbook-deps
/// into a target folder of their own.
pub fn mdbook_test(root: &Path) -> Result<()> {
    let tools = tools::ensure(root)?;
    let target = root.join("target").join("mdbook-deps");
    procs::run(
        "building the deps for mdbook test",
        procs::cargo()
            .current_dir(root)
            .args(["build", "--quiet", "-p", "mdbook-deps", "--target-dir"])
            .arg(&target),
    )?;
    let deps = target.join("debug").join("deps");
    procs::run(
        "mdbook test",
        tools
            .mdbook()
            .current_dir(root)
            .arg("test")
            .arg("-L")
            .arg(&deps),
    )
}
