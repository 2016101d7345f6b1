//! A translated edition: book.toml as the edition's, and its gettext
//! step. `build::render` runs it first, so headings keep their English
//! anchors, then mdbook-i18n-helpers' `translate_book` translates prose,
//! headings and SUMMARY titles (a message missing from the catalog, or
//! fuzzy, stays English); then the directives are replayed (an output
//! block is never seen by the translation) and the code is included,
//! untranslated.
use std::path::Path;

use anyhow::{anyhow, Context, Result};
use mdbook::book::{Book, BookItem};
use mdbook::preprocess::{Preprocessor, PreprocessorContext};
use mdbook::Config;
use polib::catalog::Catalog;

use super::anchors;
use super::config::Edition;

/// book.toml, as this edition's: its `<html lang>` and description, its
/// 404 page linking from its own root, "Suggest an edit" opening its catalog.
pub fn configure(config: &mut Config, e: &Edition) {
    config.book.language = Some(e.lang.clone());
    config.book.description = Some(e.description.clone());
    let site = config
        .get("output.html.site-url")
        .and_then(|v| v.as_str())
        .unwrap_or("/")
        .trim_end_matches('/')
        .to_string();
    let edit = config
        .get("output.html.edit-url-template")
        .and_then(|v| v.as_str())
        .map(|url| url.replace("{path}", &format!("po/{}.po", e.po)));
    // Setting a string cannot fail (it is serialised to TOML as it is).
    let _ = config.set("output.html.site-url", format!("{site}/{}/", e.dir));
    if let Some(edit) = edit {
        let _ = config.set("output.html.edit-url-template", edit);
    }
}

/// mdbook-i18n-helpers' gettext step, with the catalog given: its own
/// preprocessor reads `po/<book.language>.po`, and our `book.language` is
/// the `<html lang>` tag (`zh-Hant-TW`), not the catalog's name.
pub struct Translate {
    catalog: Catalog,
}

impl Translate {
    /// Parses the catalog now, so a broken one fails before anything renders.
    pub fn new(root: &Path, e: &Edition) -> Result<Translate> {
        let mut catalog = parse_po(&e.po_file(root))?;
        // SUMMARY titles reach preprocessors without their formatting.
        mdbook_i18n_helpers::gettext::add_stripped_summary_translations(&mut catalog);
        Ok(Translate { catalog })
    }
}

impl Preprocessor for Translate {
    fn name(&self) -> &str {
        "gettext"
    }

    fn run(&self, ctx: &PreprocessorContext, mut book: Book) -> Result<Book> {
        let smart = ctx
            .config
            .html_config()
            .unwrap_or_default()
            .smart_punctuation();
        let mut failed = None;
        book.for_each_mut(|item| {
            let BookItem::Chapter(ch) = item else { return };
            let Some(path) = &ch.path else { return };
            // Still English here: the ids mdBook gives the English page.
            let ids = anchors::english_ids(&ch.content, smart);
            match anchors::pin(&ch.content, &ids, &format!("src/{}", path.display())) {
                Ok(text) => ch.content = text,
                Err(e) => {
                    failed.get_or_insert(e);
                }
            }
        });
        if let Some(e) = failed {
            return Err(e);
        }
        mdbook_i18n_helpers::gettext::translate_book(&self.catalog, &mut book)?;
        Ok(book)
    }
}

/// The catalog in `po`. polib panics on a header without one of these
/// fields, so they are checked first.
pub fn parse_po(po: &Path) -> Result<Catalog> {
    let text = std::fs::read_to_string(po).with_context(|| format!("reading {}", po.display()))?;
    let header = text.split("\n\n").next().unwrap_or_default();
    for field in [
        "Project-Id-Version",
        "POT-Creation-Date",
        "PO-Revision-Date",
        "Language-Team",
        "MIME-Version",
        "Content-Type",
        "Content-Transfer-Encoding",
        "Language",
        "Plural-Forms",
    ] {
        if !header.contains(&format!("\"{field}:")) {
            anyhow::bail!(
                "{}: the header (the first entry, msgid \"\") has no `{field}:` line",
                po.display()
            );
        }
    }
    polib::po_file::parse(po)
        .map_err(|e| anyhow!("{e}"))
        .with_context(|| format!("parsing {}", po.display()))
}
