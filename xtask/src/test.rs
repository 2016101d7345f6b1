//! `cargo xtask test`: everything CI checks, in order, cheapest first.
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};

use anyhow::bail;
use mdbook::{Config, MDBook};

use crate::{actionlint, book, browser, drift, i18n, links, lint, plain, procs, python};

pub fn run(root: &Path) -> Result<()> {
    let started = Instant::now();
    // Before `cargo test`: the supervisor's tests run Python programs.
    python::ensure(root)?;
    let steps: [(&str, &dyn Fn() -> Result<()>); 13] = [
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
        ("actionlint (.github/workflows)", &|| actionlint::run(root)),
        ("translations (po/)", &|| i18n::check(root)),
        ("book build", &|| book::build(root).map(|_| ())),
        ("link check", &|| {
            links::run(&root.join("book"), &links::external_list(root))
        }),
        ("drift check (a second build)", &|| drift::run(root, true)),
        ("plain mdbook build (the pinned binaries)", &|| {
            plain::run(root)
        }),
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

/// `mdbook test`, in-process (the library's `MDBook::test`, what the
/// binary runs): rustdoc with `-L DIR` and no `--extern`, so DIR must hold
/// exactly one rlib per crate, and the deps are built from
/// crates/mdbook-deps into a target folder of their own.
pub fn mdbook_test(root: &Path) -> Result<()> {
    let target = root.join("target").join("mdbook-deps");
    procs::run(
        "building the deps for mdbook test",
        procs::cargo()
            .current_dir(root)
            .args(["build", "--quiet", "-p", "mdbook-deps", "--target-dir"])
            .arg(&target),
    )?;
    let deps = target.join("debug").join("deps");
    let mut config = Config::from_disk(root.join("book.toml")).context("reading book.toml")?;
    config.update_from_env();
    // cmdrun runs for the html renderer only; without its table mdbook
    // does not look for the binary.
    if let Some(table) = config
        .get_mut("preprocessor")
        .and_then(|p| p.as_table_mut())
    {
        table.remove("cmdrun");
    }
    let mut book = MDBook::load_with_config(root, config).context("loading the book")?;
    let Some(deps) = deps.to_str() else {
        bail!("{} is not UTF-8", deps.display());
    };
    book.test(vec![deps]).context("mdbook test")?;
    eprintln!("xtask: mdbook test: every Rust block of every chapter passed");
    Ok(())
}
