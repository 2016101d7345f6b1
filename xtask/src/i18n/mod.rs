//! The translated editions (issue 14): the gettext workflow of
//! mdbook-i18n-helpers, in-process.
//!
//! - `po/messages.pot`: every message of the English book (`extract`).
//! - `po/<lang>.po`: one catalog per edition, listed in `po/i18n.toml`
//!   (`config`) with the pages it is complete for.
//! - `cargo xtask build` builds each edition into `book/<dir>/` after the
//!   English one (`edition`), from the same run's outputs (`record`), and
//!   checks that their output blocks are byte-identical (`blocks`).
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
pub mod record;
pub mod strings;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::chapters::Chapter;
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

/// Builds every edition of po/i18n.toml after the English build, then
/// checks its pages as the English ones are checked, and its output blocks
/// against the English ones.
pub fn build_all(root: &Path, chapters: &[Chapter]) -> Result<()> {
    for e in config::editions(root)? {
        let started = std::time::Instant::now();
        edition::build(root, &e)?;
        let book = root.join("book");
        let problems = checks::page_problems(&book.join(&e.dir), chapters)?;
        if !problems.is_empty() {
            for p in &problems {
                eprintln!("  book/{}/: {p}", e.dir);
            }
            bail!(
                "{} problem(s) in book/{}/, listed above",
                problems.len(),
                e.dir
            );
        }
        let same = blocks::check(&book, &e.dir, chapters)?;
        eprintln!(
            "xtask: built the {} edition into book/{}/ in {:.2} s ({same} output blocks identical to book/'s)",
            e.po,
            e.dir,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
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
