//! `cargo xtask build`: compile the snippets, render the book (src/render.rs)
//! with every directive run fresh and the translated editions beside it,
//! check it, and only then copy it over book/ file by file.
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::directives::Mode;
use crate::hash::Hashes;
use crate::render::{self, Render};
use crate::store::Store;
use crate::{chapters, checks, i18n, lint, procs, profile, publish, python, stamp};

/// The packages a book build needs compiled: the supervisor and every
/// snippet crate (not the runner, the browser tests or mdbook-deps).
pub fn book_packages(root: &Path) -> Result<Vec<String>> {
    let mut p = vec!["supervisor".to_string()];
    let dir = root.join("snippets");
    let mut slugs = Vec::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.join("Cargo.toml").is_file() {
            if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
                slugs.push(name.to_string());
            }
        }
    }
    slugs.sort();
    p.extend(slugs);
    Ok(p)
}

/// `cargo build --bins` of these packages, quietly. xtask is always in the
/// selection (already built: nothing to do for it), so cargo unifies
/// features as for `cargo run -p xtask` and reuses what that compiled.
/// Whether cargo ran (it is not when nothing it reads changed).
pub fn compile(root: &Path, packages: &[String]) -> Result<bool> {
    let inputs = crate::compiled::inputs(root, packages);
    if crate::compiled::unchanged(root, &inputs) {
        return Ok(false);
    }
    let mut cmd = procs::cargo();
    cmd.current_dir(root)
        .args(["build", "--quiet", "--bins", "-p", "xtask"]);
    for p in packages {
        cmd.args(["-p", p]);
    }
    procs::run("building the snippets", &mut cmd)?;
    crate::compiled::record(root, &inputs);
    Ok(true)
}

/// What `cargo xtask build` did.
pub struct Built {
    pub took: Duration,
    pub store: Store,
    /// The CPU time of xtask itself (not of the runs), for the bench.
    pub own_cpu: f64,
}

/// `cargo xtask build`: compile the supervisor and every snippet, render
/// the book with every directive run fresh (never a kept record), check
/// the lint, the pages, the records and that nothing is left running; only
/// then replace book/ with the new pages. The records go to
/// `target/outputs/build/`.
///
/// What needs no output is done while the directives run, each on a
/// thread of its own at a lower priority: the lint (but for the
/// directives' form, checked before anything runs), and loading and
/// translating the other editions. The editions' HTML renders beside the
/// English HTML; the English pages are checked, and the records saved,
/// while the editions are moved into place and checked.
pub fn build(root: &Path) -> Result<Built> {
    python::ensure(root)?;
    let (start, cpu) = (Instant::now(), profile::own_cpu());
    let chapters = chapters::load(root)?;
    let forms = lint::forms(&chapters);
    if !forms.is_empty() {
        for p in &forms {
            eprintln!("  {p}");
        }
        bail!(
            "{} directive(s) not of the book's form, listed above; nothing ran",
            forms.len()
        );
    }
    let packages = book_packages(root)?;
    // The stamp is taken while the binaries are checked, and again if
    // cargo had to build (it may have rebuilt the `about` snippet).
    let (compiled, early) = std::thread::scope(|s| {
        let stamp = s.spawn(|| stamp::line(root));
        (compile(root, &packages), stamp.join())
    });
    let stamp = match (compiled?, early) {
        (false, Ok(Ok(line))) => line,
        _ => stamp::line(root)?,
    };
    profile::note("compile check, stamp", start);
    procs::become_subreaper()?;
    let staging = staging_dir(root, "build");
    let hashes = Arc::new(Hashes::load(&Hashes::cache_file(root)));
    let mut r = for_build(staging.clone(), stamp);
    r.hashes = Arc::clone(&hashes);
    r.alongside = i18n::editions_alongside(root, &staging)?;
    let (linted, rendered) = std::thread::scope(|s| {
        let lint = s.spawn(|| {
            procs::lower_priority();
            lint::check(root, &chapters)
        });
        let rendered = render::render(root, r);
        (lint.join(), rendered)
    });
    let linted = match linted {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(format!("{e:#}")),
        Err(_) => Some("the lint panicked".to_string()),
    };
    let leftovers = procs::fail_on_leftovers("the book build");
    let mut rendered = match rendered {
        Ok(r) => r,
        // The render joined the work beside it before it returned.
        Err(e) => {
            let also: Vec<String> = [leftovers.err().map(|e| format!("{e:#}")), linted]
                .into_iter()
                .flatten()
                .collect();
            return match also.is_empty() {
                true => Err(e),
                false => Err(e.context(also.join("; "))),
            };
        }
    };
    let english = Instant::now();
    let editions = rendered.alongside.take();
    let store = &rendered.store;
    let mut problems = std::mem::take(&mut rendered.problems);
    problems.extend(leftovers.err().map(|e| format!("{e:#}")));
    problems.extend(linted);
    // Every problem is collected, none ends the build early: the editions'
    // thread is always joined, and all that went wrong is listed.
    std::thread::scope(|s| {
        // The records are written while the pages are checked.
        let saved = s.spawn(|| -> Result<()> {
            store.save(root, "build")?;
            hashes.save(&Hashes::cache_file(root))
        });
        match checks::page_problems(&staging, &chapters) {
            Ok(p) => problems.extend(p),
            Err(e) => problems.push(format!("checking the pages: {e:#}")),
        }
        problems.extend(checks::record_problems(store));
        profile::note("English pages checked", english);
        // The translated editions, rendered from this render's records
        // beside the English HTML (nothing runs again) and checked beside
        // the English pages.
        if let Some(editions) = editions {
            let waited = Instant::now();
            match editions.join() {
                Ok(p) => problems.extend(p),
                Err(e) => problems.push(format!("{e:#}")),
            }
            profile::note("waited for the editions' checks", waited);
        }
        match saved.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => problems.push(format!("saving the records: {e:#}")),
            Err(_) => problems.push("saving the records panicked".to_string()),
        }
    });
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("  {p}");
        }
        bail!(
            "{} problem(s) in the built book, listed above; book/ was not replaced (the failed build is in {})",
            problems.len(),
            staging.display()
        );
    }
    let synced = Instant::now();
    publish::sync(&staging, &root.join("book"))?;
    profile::note("book/ synced", synced);
    let took = start.elapsed();
    let own_cpu = profile::own_cpu() - cpu;
    eprintln!(
        "xtask: built the book into book/ in {:.2} s ({} directives run, {:.2} s of it theirs)",
        took.as_secs_f64(),
        rendered.store.meta.ran,
        rendered.store.meta.run_ms / 1e3
    );
    Ok(Built {
        took,
        store: rendered.store,
        own_cpu,
    })
}

/// How `cargo xtask build` (so `test` and `drift` too) renders: every
/// directive run, whatever records exist.
pub fn for_build(dest: PathBuf, stamp: String) -> Render {
    Render::new(dest, Mode::Fresh, stamp)
}

pub fn staging_dir(root: &Path, name: &str) -> PathBuf {
    supervisor::locate::target_dir(root)
        .join("book-staging")
        .join(name)
}
