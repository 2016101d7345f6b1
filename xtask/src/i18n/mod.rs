//! The translated editions (issue 14): the gettext workflow of
//! mdbook-i18n-helpers, in-process.
//!
//! - `po/messages.pot`: every message of the English book (`extract`).
//! - `po/<lang>.po`: one catalog per edition, listed in `po/i18n.toml`
//!   (`config`) with the pages it is complete for.
//! - `cargo xtask build` and `serve` render each edition into `book/<dir>/`
//!   with the English one, from the English render's output store
//!   (`edition`: nothing runs twice), and check that their output blocks
//!   are byte-identical (`blocks`).
//! - `cargo xtask i18n check` (a step of `cargo xtask test`): the template is
//!   current and every complete page fully translated (`check`), and the
//!   theme's UI strings exist in every edition (`strings`).
//! - `cargo xtask i18n update`: re-extract, then msgmerge each catalog.
mod anchors;
mod blocks;
pub mod check;
pub mod config;
pub mod edition;
pub mod extract;
pub mod glossary;
pub mod strings;
#[cfg(test)]
mod tests;
pub mod twins;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc::Receiver;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::chapters::Chapter;
use crate::render::{self, Told};
use crate::store::Store;
use crate::{checks, debian, procs};

#[derive(clap::Subcommand)]
pub enum I18nCommand {
    /// After changing the English text: re-extract po/messages.pot and
    /// merge it into every po/<lang>.po (changed messages become fuzzy).
    Update,
    /// Check the template is current and the complete pages are translated.
    Check,
}

pub fn run(root: &Path, cmd: &I18nCommand) -> Result<()> {
    match cmd {
        I18nCommand::Update => update(root),
        I18nCommand::Check => check(root),
    }
}

/// Every edition of po/i18n.toml, loaded and translated to render into
/// `<english>/<dir>/` (needs no output: `cargo xtask serve` does it while
/// the English pages render).
pub fn load_editions(root: &Path, english: &Path) -> Result<Vec<Loading>> {
    load(root, config::editions(root)?, |e| english.join(&e.dir))
}

/// `editions` loaded and translated, each to render into `dest(edition)`.
fn load(
    root: &Path,
    editions: Vec<config::Edition>,
    dest: impl Fn(&config::Edition) -> PathBuf,
) -> Result<Vec<Loading>> {
    let mut loaded = Vec::new();
    for e in editions {
        let started = Instant::now();
        let l = edition::load(root, &e, dest(&e))
            .with_context(|| format!("loading the {} edition", e.po))?;
        loaded.push((e, l, started));
    }
    Ok(loaded)
}

/// An edition loaded, and when its loading started.
pub type Loading = (config::Edition, edition::Loaded, Instant);

/// Renders the `loaded` editions ([`load_editions`]) from the records of
/// the English render in `english` (a staging folder), then checks their
/// pages as the English ones are checked, and their output blocks and
/// heading ids against the English pages. Returns the problems found.
pub fn render_editions(
    root: &Path,
    loaded: Vec<Loading>,
    store: &Store,
    english: &Path,
    chapters: &[Chapter],
) -> Result<Vec<String>> {
    let mut renders = Vec::new();
    for (e, l, started) in loaded {
        renders.push(render_edition(root, e, l, store, started)?);
    }
    check_editions(renders, english, chapters)
}

/// Each rendered edition, in `<english>/<dir>/`, checked.
fn check_editions(
    renders: Vec<EditionRender>,
    english: &Path,
    chapters: &[Chapter],
) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    for r in renders {
        problems.extend(check_edition(r, english, chapters)?);
    }
    Ok(problems)
}

/// What `cargo xtask build` hands to `render::render` to run on a thread
/// of its own: every edition loaded and translated while the English
/// directives run (on a thread at a lower priority, which ends before the
/// HTML); then, with their records, rendered into a folder of its own
/// beside `english` while the English HTML renders (each render is a
/// core's work; the English render empties its folder first); then, once
/// the English pages are there, moved into `<english>/<dir>/` and checked
/// against them while the English pages are checked. Its result is the
/// problems found. None without editions.
pub fn editions_alongside(root: &Path, english: &Path) -> Result<Option<render::Alongside>> {
    let editions = config::editions(root)?;
    if editions.is_empty() {
        return Ok(None);
    }
    let (root, english) = (root.to_path_buf(), english.to_path_buf());
    Ok(Some(Box::new(move |told: Receiver<Told>| {
        let loading = {
            let (root, english) = (root.clone(), english.clone());
            std::thread::spawn(move || {
                procs::lower_priority();
                load(&root, editions, |e| aside(&english, e))
            })
        };
        let records = told.recv();
        let loaded = loading
            .join()
            .map_err(|_| anyhow::anyhow!("loading the editions panicked"))??;
        let Ok(Told::Records(store)) = records else {
            bail!("the English render ended before its directives ran");
        };
        let mut renders = Vec::new();
        for (e, l, started) in loaded {
            renders.push(render_edition(&root, e, l, &store, started)?);
        }
        let Ok(Told::Pages) = told.recv() else {
            bail!("the English render ended before its pages were written");
        };
        for r in &renders {
            let (from, to) = (aside(&english, &r.edition), english.join(&r.edition.dir));
            let _ = std::fs::remove_dir_all(&to);
            std::fs::rename(&from, &to)
                .with_context(|| format!("moving {} to {}", from.display(), to.display()))?;
        }
        check_editions(renders, &english, &crate::chapters::load(&root)?)
    })))
}

/// Where an edition is rendered beside the English staging folder.
fn aside(english: &Path, e: &config::Edition) -> std::path::PathBuf {
    let name = english.file_name().unwrap_or_default().to_string_lossy();
    english.with_file_name(format!("{name}-{}", e.dir))
}

/// One edition's render: which, its problems and how long it took.
pub struct EditionRender {
    edition: config::Edition,
    problems: Vec<String>,
    took: f64,
}

fn render_edition(
    root: &Path,
    e: config::Edition,
    loaded: edition::Loaded,
    store: &Store,
    started: Instant,
) -> Result<EditionRender> {
    let rendered = edition::finish(root, loaded, store.clone())
        .with_context(|| format!("rendering the {} edition", e.po))?;
    Ok(EditionRender {
        edition: e,
        problems: rendered.problems,
        took: started.elapsed().as_secs_f64(),
    })
}

/// An edition's pages, in `<english>/<dir>/`, checked as the English ones
/// are and against them (output blocks, print.html's heading ids).
fn check_edition(r: EditionRender, english: &Path, chapters: &[Chapter]) -> Result<Vec<String>> {
    let e = &r.edition;
    let dest = english.join(&e.dir);
    let mut found = r.problems;
    found.extend(align_print(english, &dest)?);
    found.extend(checks::page_problems(&dest, chapters)?);
    let same = blocks::check(english, &e.dir, chapters, &mut found);
    if std::env::var_os("RSP_PROFILE").is_some() || !found.is_empty() {
        eprintln!(
            "xtask: the {} edition rendered in {:.2} s ({same} output blocks identical to English)",
            e.po, r.took
        );
    }
    Ok(found
        .into_iter()
        .map(|p| format!("{}/: {p}", e.dir))
        .collect())
}

/// The translated print.html with the English one's heading ids
/// (`anchors::align_print`); a problem when they cannot be matched.
fn align_print(english: &Path, edition: &Path) -> Result<Option<String>> {
    let (en, tr) = (english.join("print.html"), edition.join("print.html"));
    let read =
        |p: &Path| std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()));
    match anchors::align_print(&read(&tr)?, &read(&en)?) {
        Some(html) => {
            std::fs::write(&tr, html).with_context(|| format!("writing {}", tr.display()))?;
            Ok(None)
        }
        None => Ok(Some(
            "print.html: not the same number of headings as the English print page".into(),
        )),
    }
}

/// `cargo xtask i18n check`.
pub fn check(root: &Path) -> Result<()> {
    let found = check::run(root)?;
    for n in &found.notes {
        eprintln!("xtask: i18n: {n}");
    }
    if found.problems.is_empty() {
        let editions = config::editions(root)?;
        let names: Vec<String> = editions
            .iter()
            .map(|e| {
                if e.is_all() {
                    format!("{}: every page", e.po)
                } else {
                    format!("{}: {} complete page(s)", e.po, e.listed().len())
                }
            })
            .collect();
        eprintln!(
            "xtask: i18n: po/messages.pot is current; translations complete ({})",
            names.join("; ")
        );
        return Ok(());
    }
    for p in &found.problems {
        eprintln!("  {p}");
    }
    bail!(
        "{} translation problem(s), listed above (CONTRIBUTING.md, \"Translations\")",
        found.problems.len()
    )
}

/// `cargo xtask i18n update`: the template from the English book, then
/// `msgmerge --update --previous` into each catalog (msginit for a new one).
pub fn update(root: &Path) -> Result<()> {
    debian::ensure(debian::GETTEXT)?;
    let catalog = extract::catalog(root)?;
    let pot = extract::pot_path(root);
    let unchanged =
        pot.is_file() && extract::entries(&edition::parse_po(&pot)?) == extract::entries(&catalog);
    if unchanged {
        eprintln!("xtask: i18n: po/messages.pot is already current");
    } else {
        polib::po_file::write(&catalog, &pot)
            .with_context(|| format!("writing {}", pot.display()))?;
        eprintln!(
            "xtask: i18n: wrote po/messages.pot ({} messages)",
            catalog.count()
        );
    }
    for e in config::editions(root)? {
        let po = e.po_file(root);
        if po.is_file() {
            procs::run(
                &format!("msgmerge into po/{}.po", e.po),
                Command::new("msgmerge")
                    .args(["--quiet", "--update", "--backup=none", "--previous"])
                    .arg(&po)
                    .arg(&pot),
            )?;
        } else {
            procs::run(
                &format!("msginit of po/{}.po", e.po),
                Command::new("msginit")
                    .arg("--no-translator")
                    .arg(format!("--locale={}.UTF-8", e.po.replace('-', "_")))
                    .arg("--input")
                    .arg(&pot)
                    .arg("--output-file")
                    .arg(&po),
            )?;
        }
    }
    let found = check::run(root)?;
    for n in &found.notes {
        eprintln!("xtask: i18n: {n}");
    }
    for p in &found.problems {
        eprintln!("  {p}");
    }
    if found.problems.is_empty() {
        eprintln!("xtask: i18n: every complete page is translated");
    } else {
        eprintln!(
            "xtask: i18n: {} message(s) to translate or review (above): edit po/<lang>.po, then `cargo xtask i18n check`",
            found.problems.len()
        );
    }
    Ok(())
}
