//! The translated editions: the gettext workflow of mdbook-i18n-helpers,
//! in-process (docs/translations.md).
//!
//! - `po/messages.pot`: every message of the English book (`extract`).
//! - `po/<lang>.po`: one catalog per edition, listed in `po/i18n.toml`
//!   (`config`) with the pages it is complete for.
//! - `cargo xtask build` and `serve` render each edition into `book/<dir>/`
//!   (`edition`: its configuration and gettext step; the directives are
//!   replayed from the English run) and check that their output blocks
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

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::chapters::Chapter;
use crate::setup::{self as procs, debian};

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

/// An edition's pages, in `<english>/<dir>/`, checked against the English
/// ones: the same output blocks, print.html's heading ids.
pub fn check_edition(
    e: &config::Edition,
    english: &Path,
    chapters: &[Chapter],
) -> Result<Vec<String>> {
    let dest = english.join(&e.dir);
    let mut found = Vec::new();
    found.extend(align_print(english, &dest)?);
    blocks::check(english, &e.dir, chapters, &mut found);
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
        "{} translation problem(s), listed above (TRANSLATIONS.md)",
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
