//! `po/i18n.toml`: the translated editions and how complete each one is.
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    edition: Vec<Edition>,
}

/// One translated edition of the book.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edition {
    /// The catalog's name: `po/<po>.po` (`zh-TW`).
    pub po: String,
    /// `<html lang>` of its pages and the key of its table in theme/strings.js (`zh-Hant-TW`).
    pub lang: String,
    /// Built into `book/<dir>/`.
    pub dir: String,
    /// The book's description (`<meta name="description">`) in this language.
    pub description: String,
    /// The pages (relative to src/) every message of which must be
    /// translated, or `"all"`.
    pub complete: Complete,
    /// Words the browser test searches for in this edition, each with the
    /// page (relative to the edition) whose section must be the first result.
    #[serde(default)]
    pub search: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Complete {
    /// Only the word `all` is accepted.
    All(AllWord),
    Pages(BTreeSet<String>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AllWord {
    All,
}

impl Edition {
    pub fn po_file(&self, root: &Path) -> PathBuf {
        root.join("po").join(format!("{}.po", self.po))
    }

    /// Must every message of `page` (`src/processes/zombie.md`, or
    /// `processes/zombie.md`) be translated?
    pub fn requires(&self, page: &str) -> bool {
        let page = page.strip_prefix("src/").unwrap_or(page);
        match &self.complete {
            Complete::All(_) => true,
            Complete::Pages(pages) => pages.contains(page),
        }
    }

    /// The listed pages (empty for `all`).
    pub fn listed(&self) -> Vec<&str> {
        match &self.complete {
            Complete::All(_) => Vec::new(),
            Complete::Pages(p) => p.iter().map(String::as_str).collect(),
        }
    }

    pub fn is_all(&self) -> bool {
        matches!(self.complete, Complete::All(_))
    }
}

pub fn path(root: &Path) -> PathBuf {
    root.join("po").join("i18n.toml")
}

/// The editions in `po/i18n.toml`; none when the file is missing.
pub fn editions(root: &Path) -> Result<Vec<Edition>> {
    let file = path(root);
    if !file.is_file() {
        return Ok(Vec::new());
    }
    let text =
        std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let parsed: File =
        toml::from_str(&text).with_context(|| format!("parsing {}", file.display()))?;
    Ok(parsed.edition)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_of_pages_or_all() {
        let f: File = toml::from_str(
            r#"
            [[edition]]
            po = "zh-TW"
            lang = "zh-Hant-TW"
            dir = "zh-TW"
            description = "x"
            complete = ["SUMMARY.md", "processes/zombie.md"]
            "#,
        )
        .unwrap();
        let e = &f.edition[0];
        assert!(e.requires("src/processes/zombie.md") && e.requires("SUMMARY.md"));
        assert!(!e.requires("src/about.md"));
        let all: File = toml::from_str(
            "[[edition]]\npo = \"zh-TW\"\nlang = \"zh-Hant-TW\"\ndir = \"zh-TW\"\ndescription = \"x\"\ncomplete = \"all\"\n",
        )
        .unwrap();
        assert!(all.edition[0].requires("src/about.md"));
        assert!(toml::from_str::<File>(
            "[[edition]]\npo = \"zh-TW\"\nlang = \"l\"\ndir = \"d\"\ndescription = \"x\"\ncomplete = \"most\"\n"
        )
        .is_err());
    }
}
