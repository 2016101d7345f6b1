//! `cargo xtask build`, and each rebuild of `cargo xtask serve`: one path
//! from directive to page (docs/architecture.md).
//!
//! 1. one `cargo build` of the supervisor and every snippet;
//! 2. the English edition rendered in-process by mdBook with
//!    mdbook-cmdrun's own preprocessor, which runs every directive through
//!    the shell; the supervisor keeps each run in the output store
//!    (`supervisor::store`, told by the environment set here how);
//! 3. each translated edition rendered the same way, its directives
//!    replayed from the store, so its output blocks are the English bytes;
//! 4. the records, the pages and the translations checked;
//! 5. the pages published to book/ (by the caller).
pub mod pages;
pub mod publish;
pub mod render;
pub mod serve;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use supervisor::store::{self, Mode};

use crate::chapters;
use crate::i18n;
use crate::setup::{self, python, stamp};

/// What a build does with the outputs it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Every directive run afresh into an empty store (`build`, `test`, `drift`).
    Fresh,
    /// A record whose inputs are unchanged is reused (`serve`).
    Reuse,
}

/// What one build made.
pub struct Built {
    /// The pages: English at the top, each edition in its folder.
    pub pages: PathBuf,
    pub took: Duration,
    /// Directives run by this build, and their own time added up.
    pub ran: usize,
    pub runs: Duration,
    pub reused: usize,
    /// Failed runs, broken pages, missing translations: the book is
    /// complete, but `cargo xtask build` will not publish it.
    pub problems: Vec<String>,
}

/// The packages a book needs compiled: the supervisor and every snippet crate.
pub fn book_packages(root: &Path) -> Result<Vec<String>> {
    let mut p = vec!["supervisor".to_string()];
    p.extend(chapters::snippet_slugs(root)?);
    Ok(p)
}

/// `cargo build --bins` of `packages`, quietly, and of the chapters' Try
/// it edits (`supervisor::try_it`) in their own workspace, at the same time
/// (two cargos, two target folders: each waits on its own no-op check).
/// xtask is in the selection (already built: nothing to do for it), so
/// cargo unifies features as for `cargo run -p xtask` and reuses what that
/// compiled.
pub fn compile(root: &Path, packages: &[String]) -> Result<()> {
    let mut cmd = setup::cargo();
    cmd.current_dir(root)
        .args(["build", "--quiet", "--bins", "-p", "xtask"]);
    for p in packages {
        cmd.args(["-p", p]);
    }
    let try_it = || -> Result<()> {
        supervisor::try_it::prepare(root).map_err(anyhow::Error::msg)?;
        setup::run(
            "building the Try it edits",
            setup::cargo()
                .current_dir(root)
                .args(["build", "--quiet", "--bins", "--manifest-path"])
                .arg(supervisor::try_it::dir(root).join("Cargo.toml")),
        )
    };
    let (snippets, edits) = std::thread::scope(|s| {
        let edits = s.spawn(try_it);
        (setup::run("building the snippets", &mut cmd), edits.join())
    });
    snippets?;
    edits.map_err(|_| anyhow::anyhow!("building the Try it edits panicked"))?
}

/// Builds the book into `target/book-staging/<name>/` with its outputs in
/// `target/outputs/<name>/`. The snippets must be compiled already.
pub fn build(root: &Path, name: &str, kind: Kind) -> Result<Built> {
    let started = Instant::now();
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // The pages beside book/, on its file system (see `publish`).
    let staging = root.join("target").join("book-staging");
    let target = supervisor::locate::target_dir(root);
    let (pages, store_dir) = (staging.join(name), target.join("outputs").join(name));
    if kind == Kind::Fresh {
        // Nothing of an earlier build can reach these pages.
        remove_dir(&store_dir)?;
    }
    let stamp = stamp::line(root)?;
    let supervisor = target.join("debug").join("supervisor");
    // The environment mdbook-cmdrun hands to the shell, and so to the
    // supervisor: which supervisor, that the snippets are built, the
    // stamp, and the store.
    std::env::set_var(supervisor::locate::SUPERVISOR_ENV, &supervisor);
    std::env::set_var(supervisor::locate::PREBUILT_ENV, "1");
    std::env::set_var(supervisor::render::STAMP_ENV, &stamp);
    std::env::set_var(store::DIR_ENV, &store_dir);
    let mode = match kind {
        Kind::Fresh => Mode::Fresh,
        Kind::Reuse => Mode::Reuse,
    };
    std::env::set_var(store::MODE_ENV, mode.name());
    python::ensure(root)?;
    let chapters = chapters::load(root)?;
    let editions = i18n::config::editions(root)?;
    // The translations need no output: checked while the English runs.
    let (english, translations) = std::thread::scope(|s| {
        let translations = s.spawn(|| i18n::check::run(root));
        let english = render::preprocess(root, &pages, None);
        (english, translations.join())
    });
    let english = english.context("rendering the English edition")?;
    let mut problems = match translations {
        Ok(Ok(found)) => found.problems,
        Ok(Err(e)) => vec![format!("checking the translations: {e:#}")],
        Err(_) => vec!["checking the translations panicked".into()],
    };
    // The English pages render while each edition replays the records
    // into a folder beside them (the renderer empties its folder first).
    std::env::set_var(store::MODE_ENV, Mode::Replay.name());
    let aside = |e: &i18n::config::Edition| staging.join(format!("{name}-{}", e.dir));
    std::thread::scope(|s| -> Result<()> {
        let html = s.spawn(|| english.html());
        let translated: Result<()> = editions.iter().try_for_each(|e| {
            render::preprocess(root, &aside(e), Some(e))
                .and_then(render::Preprocessed::html)
                .with_context(|| format!("rendering the {} edition", e.po))
        });
        html.join()
            .map_err(|_| anyhow::anyhow!("rendering the English pages panicked"))??;
        translated
    })?;
    for e in &editions {
        let dest = pages.join(&e.dir);
        std::fs::rename(aside(e), &dest)
            .with_context(|| format!("moving the {} edition into {}", e.po, dest.display()))?;
        problems.extend(pages::page_problems(&dest, &chapters)?);
        problems.extend(i18n::check_edition(e, &pages, &chapters)?);
    }
    problems.extend(pages::page_problems(&pages, &chapters)?);
    problems.extend(i18n::twins::check(&pages, &chapters, &editions));
    let records = store::all(&store_dir).map_err(anyhow::Error::msg)?;
    problems.extend(pages::record_problems(&records));
    let fresh: Vec<_> = records.iter().filter(|r| r.ran_at >= since).collect();
    Ok(Built {
        pages,
        took: started.elapsed(),
        ran: fresh.len(),
        runs: Duration::from_secs_f64(fresh.iter().map(|r| r.took_ms).sum::<f64>() / 1e3),
        reused: records.len() - fresh.len(),
        problems,
    })
}

/// `cargo xtask build`: the lint, the snippets compiled, every directive
/// run afresh, and book/ replaced only when nothing is wrong.
pub fn run(root: &Path) -> Result<Built> {
    let packages = book_packages(root)?;
    let (linted, compiled) = std::thread::scope(|s| {
        let lint = s.spawn(|| crate::lint::run(root));
        (lint.join(), compile(root, &packages))
    });
    // Only directives of the book's one form may reach the shell.
    linted.map_err(|_| anyhow::anyhow!("the lint panicked"))??;
    compiled?;
    setup::become_subreaper()?;
    let built = build(root, "build", Kind::Fresh);
    // Whatever the build did, nothing it started may still run.
    let left = setup::fail_on_leftovers("the book build");
    let built = built?;
    let mut problems = built.problems.clone();
    problems.extend(left.err().map(|e| format!("{e:#}")));
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("  {p}");
        }
        anyhow::bail!(
            "{} problem(s) in the built book, listed above; book/ was not replaced (the pages are in {})",
            problems.len(),
            built.pages.display()
        );
    }
    publish::publish(&built.pages, &root.join("book"))?;
    eprintln!(
        "xtask: built the book into book/ in {:.2} s ({} directives run, {:.2} s of it theirs)",
        built.took.as_secs_f64(),
        built.ran,
        built.runs.as_secs_f64()
    );
    Ok(built)
}

fn remove_dir(dir: &Path) -> Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("removing {}", dir.display()))
        }
        _ => Ok(()),
    }
}
