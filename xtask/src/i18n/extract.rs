//! The English book's messages, extracted in-process with
//! mdbook-i18n-helpers (what `mdbook-xgettext` does), from the sources as
//! written: no preprocessor has run, so neither the code that
//! `{{#rustdoc_include}}` pulls in nor any output block is in them, and a
//! `<!-- cmdrun ... -->` directive on a line of its own is an HTML block,
//! which the extractor skips.
use std::path::Path;

use anyhow::{anyhow, Context, Result};
use mdbook::renderer::RenderContext;
use mdbook::MDBook;
use polib::catalog::Catalog;

/// Where the template lives.
pub fn pot_path(root: &Path) -> std::path::PathBuf {
    root.join("po").join("messages.pot")
}

/// Every message of the English book, references without line numbers
/// (`src/processes/zombie.md`), so that an edit elsewhere in a chapter does
/// not touch every entry after it.
pub fn catalog(root: &Path) -> Result<Catalog> {
    let mut book = MDBook::load(root)
        .map_err(|e| anyhow!("{e:#}"))
        .with_context(|| format!("loading the book in {}", root.display()))?;
    book.config
        .set("output.xgettext.granularity", 0)
        .map_err(|e| anyhow!("{e:#}"))?;
    let ctx = RenderContext::new(
        root,
        book.book.clone(),
        book.config.clone(),
        root.join("po"),
    );
    let mut catalogs =
        mdbook_i18n_helpers::xgettext::create_catalogs(&ctx, std::fs::read_to_string)
            .map_err(|e| anyhow!("{e:#}"))
            .context("extracting the messages")?;
    anyhow::ensure!(
        catalogs.len() == 1,
        "expected one catalog, got {}",
        catalogs.len()
    );
    let (_, mut catalog) = catalogs.drain().next().context("no catalog")?;
    let links: Vec<String> = catalog
        .messages()
        .filter(|m| is_a_link_directive(m.msgid()))
        .map(|m| m.msgid().to_string())
        .collect();
    for id in links {
        catalog.delete_message(None, &id, None);
    }
    Ok(catalog)
}

/// `#include ../../snippets/zombie/python/subprocess_wait.py}}`: in a
/// ```` ```python ```` block, the extractor takes mdBook's
/// `{{#include …}}` for a comment (it parses code blocks with syntect to
/// find comments and strings). It is not text, and a translation of it
/// would break the include, so it is not a message.
fn is_a_link_directive(msgid: &str) -> bool {
    let line = msgid.trim();
    ["#include ", "#rustdoc_include ", "#playground ", "#title "]
        .iter()
        .any(|p| line.starts_with(p))
        && line.ends_with("}}")
        && !line.contains('\n')
}

/// A message as the checks compare it: text, references, extracted comment.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub msgid: String,
    /// The pages it comes from (`src/about.md`), in order.
    pub pages: Vec<String>,
    pub comment: String,
}

pub fn entries(catalog: &Catalog) -> Vec<Entry> {
    catalog
        .messages()
        .map(|m| Entry {
            msgid: m.msgid().to_string(),
            pages: pages(m.source()),
            comment: m.comments().to_string(),
        })
        .collect()
}

/// `src/a.md src/b.md:12` -> the files, without line numbers.
pub fn pages(source: &str) -> Vec<String> {
    source
        .split_whitespace()
        .map(|s| match s.rsplit_once(':') {
            Some((file, line)) if line.chars().all(|c| c.is_ascii_digit()) => file.to_string(),
            _ => s.to_string(),
        })
        .collect()
}

/// The first line of a message, shortened, for error messages.
pub fn shown(msgid: &str) -> String {
    let first = msgid.lines().next().unwrap_or_default();
    let mut out: String = first.chars().take(70).collect();
    if out.len() < first.len() || msgid.lines().nth(1).is_some() {
        out.push('…');
    }
    format!("\"{out}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_include_line_is_not_a_message() {
        assert!(is_a_link_directive(
            "#include ../../snippets/zombie/python/subprocess_wait.py}}\n"
        ));
        assert!(is_a_link_directive("#rustdoc_include ../../a.rs:swapped}}"));
        assert!(!is_a_link_directive("# include this}}"));
        assert!(!is_a_link_directive("#include <stdio.h>"));
    }

    #[test]
    fn pages_drop_line_numbers() {
        assert_eq!(
            pages("src/SUMMARY.md:3\nsrc/a.md src/c.md"),
            ["src/SUMMARY.md", "src/a.md", "src/c.md"]
        );
    }

    #[test]
    fn shown_is_the_first_line_cut() {
        assert_eq!(shown("one\ntwo"), "\"one…\"");
        assert_eq!(shown(&"x".repeat(80)).chars().count(), 73);
    }
}
