//! Building a translated edition in-process: mdbook's own HTML renderer on
//! the book as translated from `po/<lang>.po`, with each directive replaced
//! by the English build's output (never run again).
//!
//! The preprocessors run in this order: translate (mdbook-i18n-helpers'
//! `translate_book`: prose, headings and SUMMARY titles; a message missing
//! from the catalog, or fuzzy, stays English), then the directives (so an
//! output block is never seen by the translation), then mdbook's `links`
//! (the `{{#rustdoc_include}}` code, untranslated) and `index`. Headings
//! keep their English anchors (`anchors`).
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;

use anyhow::{anyhow, Context, Result};
use mdbook::book::{Book, BookItem};
use mdbook::preprocess::{IndexPreprocessor, LinkPreprocessor, Preprocessor, PreprocessorContext};
use mdbook::MDBook;
use polib::catalog::Catalog;

use super::config::Edition;
use super::{anchors, record};

/// Builds `edition` into `book/<dir>/`; book/ must hold this build's English
/// edition (and target/i18n/outputs/ its outputs).
pub fn build(root: &Path, edition: &Edition) -> Result<()> {
    let po = edition.po_file(root);
    // Parsed here, so a broken catalog fails before anything is built.
    parse_po(&po)?;
    let mut config = mdbook::Config::from_disk(root.join("book.toml"))
        .map_err(|e| anyhow!("{e:#}"))
        .context("reading book.toml")?;
    config.update_from_env();
    config.book.language = Some(edition.lang.clone());
    config.book.description = Some(edition.description.clone());
    config.build.build_dir = Path::new("book").join(&edition.dir);
    // Our own list below replaces book.toml's (gettext, cmdrun) and the defaults.
    config.build.use_default_preprocessors = false;
    if let Some(table) = config
        .get_mut("preprocessor")
        .and_then(|v| v.as_table_mut())
    {
        table.clear();
    }
    let set = |config: &mut mdbook::Config, key: &str, value: String| {
        config.set(key, value).map_err(|e| anyhow!("{e:#}"))
    };
    // 404.html links from the edition's own root.
    let site = config
        .get("output.html.site-url")
        .and_then(|v| v.as_str())
        .unwrap_or("/")
        .trim_end_matches('/')
        .to_string();
    set(
        &mut config,
        "output.html.site-url",
        format!("{site}/{}/", edition.dir),
    )?;
    // "Suggest an edit" on a translated page means its catalog.
    if let Some(url) = config
        .get("output.html.edit-url-template")
        .and_then(|v| v.as_str())
        .map(String::from)
    {
        set(
            &mut config,
            "output.html.edit-url-template",
            url.replace("{path}", &format!("po/{}.po", edition.po)),
        )?;
    }
    let mut book = MDBook::load_with_config(root, config)
        .map_err(|e| anyhow!("{e:#}"))
        .context("loading the book")?;
    book.with_preprocessor(Translate {
        po,
        english: root.join("book"),
    })
    .with_preprocessor(Replay {
        root: root.to_path_buf(),
    })
    .with_preprocessor(LinkPreprocessor::new())
    .with_preprocessor(IndexPreprocessor::new());
    book.build()
        .map_err(|e| anyhow!("{e:#}"))
        .with_context(|| format!("building the {} edition", edition.po))
}

/// mdbook-i18n-helpers' gettext preprocessor, with the catalog given: its
/// own reads `po/<book.language>.po`, and our `book.language` is the
/// `<html lang>` tag (`zh-Hant-TW`), not the catalog's name.
struct Translate {
    po: std::path::PathBuf,
    /// The English edition of this build, whose heading ids the translated
    /// headings keep (`anchors`).
    english: std::path::PathBuf,
}

impl Preprocessor for Translate {
    fn name(&self) -> &str {
        "gettext"
    }

    fn run(&self, _ctx: &PreprocessorContext, mut book: Book) -> mdbook::errors::Result<Book> {
        let mut catalog = parse_po(&self.po)?;
        let mut failed = None;
        book.for_each_mut(|item| {
            let BookItem::Chapter(ch) = item else { return };
            let Some(path) = &ch.path else { return };
            let page = self.english.join(path.with_extension("html"));
            let html = std::fs::read_to_string(&page).unwrap_or_default();
            let ids = anchors::english_ids(&html);
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
        // SUMMARY titles reach preprocessors without their formatting.
        mdbook_i18n_helpers::gettext::add_stripped_summary_translations(&mut catalog);
        mdbook_i18n_helpers::gettext::translate_book(&catalog, &mut book)?;
        Ok(book)
    }
}

/// The directives, replaced with the English build's outputs.
struct Replay {
    root: std::path::PathBuf,
}

impl Preprocessor for Replay {
    fn name(&self) -> &str {
        "cmdrun"
    }

    fn supports_renderer(&self, renderer: &str) -> bool {
        renderer == "html"
    }

    fn run(&self, _ctx: &PreprocessorContext, mut book: Book) -> mdbook::errors::Result<Book> {
        let seen = RefCell::new(HashMap::new());
        let mut failed = None;
        book.for_each_mut(|item| {
            let BookItem::Chapter(ch) = item else { return };
            let Some(path) = ch.path.clone() else { return };
            if failed.is_some() {
                return;
            }
            match record::replay(&self.root, &path, &ch.content, &mut seen.borrow_mut()) {
                Ok(text) => ch.content = text,
                Err(e) => failed = Some(e),
            }
        });
        match failed {
            Some(e) => Err(e),
            None => Ok(book),
        }
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
