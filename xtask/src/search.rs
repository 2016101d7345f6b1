//! The search index, without the programs' hidden lines. Every Rust block
//! carries its whole program as hidden lines (`# use ...`, shown by "Show
//! hidden lines"), and mdBook 0.4 indexes them like any other text: they
//! were three quarters of each edition's 2.3 MB index, search results
//! quoted code the page hides, and building the index was half the HTML
//! render's time. mdBook has no setting for it, so the page render indexes
//! no chapter ([`index_nothing`]: it still writes the search bar and its
//! scripts), and [`Index::make`] makes the index with mdBook's own code
//! from the book with those lines removed, beside the page render: a
//! render into a scratch folder, with a page template that writes nothing,
//! of which only the index is kept. Plain `mdbook build` indexes the hidden
//! lines, as before.
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result};
use mdbook::book::{Book, BookItem};
use mdbook::renderer::{HtmlHandlebars, RenderContext, Renderer};
use mdbook::Config;
use pulldown_cmark::{CodeBlockKind, Event, Tag, TagEnd};

/// The index as mdBook 0.4.52 writes it (no searchindex.json).
const INDEX_FILE: &str = "searchindex.js";

/// Whether the book has a search bar (mdBook's default: yes).
pub fn enabled(config: &Config) -> bool {
    config
        .html_config()
        .and_then(|h| h.search)
        .is_none_or(|s| s.enable)
}

/// Makes mdBook's page render index no chapter: every chapter's path starts
/// with the empty path (`[output.html.search.chapter] "" = { enable =
/// false }`).
pub fn index_nothing(config: &mut Config) -> Result<()> {
    let off = HashMap::from([("enable", false)]);
    config.set("output.html.search.chapter", HashMap::from([("", off)]))?;
    Ok(())
}

/// `content` without the lines mdBook hides in its Rust blocks: in a code
/// block whose language is `rust`, a line that is `#` or `# ...` after its
/// indentation (`#!`, `#[` and `##` lines are shown; mdBook's
/// `hide_lines_rust`). Parsed as mdBook parses it, so the blocks are the ones
/// it renders.
pub fn without_hidden_lines(content: &str) -> String {
    let mut hidden = Vec::new();
    let mut in_rust = false;
    for (event, range) in mdbook::utils::new_cmark_parser(content, false).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                in_rust =
                    info.split(|c: char| c == ',' || c.is_whitespace()).next() == Some("rust");
            }
            Event::End(TagEnd::CodeBlock) => in_rust = false,
            Event::Text(_) if in_rust => hidden.push(range),
            _ => {}
        }
    }
    let mut out = String::with_capacity(content.len());
    let mut at = 0;
    for range in hidden {
        out.push_str(&content[at..range.start]);
        for line in content[range.clone()].split_inclusive('\n') {
            let rest = line.trim_start().trim_end_matches(['\n', '\r']);
            let is_hidden = rest == "#" || rest.starts_with("# ");
            if !is_hidden {
                out.push_str(line);
            }
        }
        at = range.end;
    }
    out.push_str(&content[at..]);
    out
}

/// A scratch folder of this process's own for [`Index::make`]
/// (`target/search-index/<pid>-<n>`). Those of processes that are gone (a
/// build killed mid-render) are removed.
pub fn scratch_dir(root: &Path) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = supervisor::locate::target_dir(root).join("search-index");
    for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let pid = name.split('-').next().unwrap_or_default();
        if !pid.is_empty() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
    dir.join(format!("{}-{n}", std::process::id()))
}

/// An index made in a scratch folder, to be put into the rendered book
/// once mdBook's page render (which writes an empty one) is done. The
/// folder goes with it.
pub struct Index {
    scratch: PathBuf,
}

impl Index {
    /// mdBook's search index of `book` without its hidden lines, in
    /// `scratch` (emptied first). `config` is the page render's before
    /// [`index_nothing`]: its chapters to index, boosts, teaser length.
    pub fn make(root: &Path, mut book: Book, config: &Config, scratch: PathBuf) -> Result<Index> {
        book.for_each_mut(|item| {
            if let BookItem::Chapter(ch) = item {
                ch.content = without_hidden_lines(&ch.content);
            }
        });
        let index = Index { scratch };
        let theme = index.scratch.join("theme");
        let _ = std::fs::remove_dir_all(&index.scratch);
        // Pages that are empty, no fonts: only the index is wanted of this render.
        std::fs::create_dir_all(theme.join("fonts"))
            .with_context(|| format!("creating {}", theme.display()))?;
        std::fs::write(theme.join("fonts/fonts.css"), "")?;
        std::fs::write(theme.join("index.hbs"), "")?;
        let mut config = config.clone();
        for (key, value) in [
            (
                "output.html.theme",
                toml::Value::from(theme.to_string_lossy().as_ref()),
            ),
            ("output.html.print.enable", false.into()),
            ("output.html.playground.editable", false.into()),
            ("output.html.additional-css", toml::Value::Array(Vec::new())),
            ("output.html.additional-js", toml::Value::Array(Vec::new())),
            (
                "output.html.redirect",
                toml::Value::Table(Default::default()),
            ),
            (
                "output.html.search.chapter",
                toml::Value::Table(Default::default()),
            ),
        ] {
            config.set(key, value)?;
        }
        let rc = RenderContext::new(root, book, config, index.scratch.join("out"));
        HtmlHandlebars::new()
            .render(&rc)
            .context("mdbook could not make the search index")?;
        Ok(index)
    }

    /// Copies the index over the one mdBook's page render wrote in `dest`.
    pub fn put_into(self, dest: &Path) -> Result<()> {
        let from = self.scratch.join("out").join(INDEX_FILE);
        std::fs::copy(&from, dest.join(INDEX_FILE))
            .with_context(|| format!("copying {} into {}", from.display(), dest.display()))?;
        Ok(())
    }
}

impl Drop for Index {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

/// What is wrong with the search index in `book`, if anything: it is
/// missing, or it holds the programs' hidden lines. `extern crate nix;` is
/// a hidden line of every chapter whose program uses nix, and nowhere else.
pub fn problem(book: &Path) -> Option<String> {
    let file = book.join(INDEX_FILE);
    match std::fs::read_to_string(&file) {
        Err(e) => Some(format!("no search index {}: {e}", file.display())),
        Ok(index) if index.contains("extern crate nix") => Some(format!(
            "{} indexes the programs' hidden lines (`# extern crate nix;`)",
            file.display()
        )),
        Ok(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_lines_mdbook_hides_in_rust_blocks_are_removed() {
        let md = "# Title\n\nText.\n\n```rust\n# extern crate nix;\n#\n#[derive(Debug)]\n#![allow(unused)]\n## shown\nfn main() {\n    # hidden indented\n    println!(\"hi\");\n}\n```\n\n```python\n# a comment\nprint(1)\n```\n\n```rust,ignore\n# hidden\nshown();\n```\n\n```console\n# ls\n```\n\n# Another\n";
        let want = "# Title\n\nText.\n\n```rust\n#[derive(Debug)]\n#![allow(unused)]\n## shown\nfn main() {\n    println!(\"hi\");\n}\n```\n\n```python\n# a comment\nprint(1)\n```\n\n```rust,ignore\nshown();\n```\n\n```console\n# ls\n```\n\n# Another\n";
        assert_eq!(without_hidden_lines(md), want);
    }

    #[test]
    fn the_check_finds_a_missing_index_and_hidden_lines_in_it() {
        let dir = std::env::temp_dir().join(format!("xtask-search-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert!(problem(&dir).unwrap().starts_with("no search index"));
        // As mdBook indexes a chapter's hidden lines.
        std::fs::write(
            dir.join(INDEX_FILE),
            r##"{"body":"# extern crate nix;\n# use nix::unistd;"}"##,
        )
        .unwrap();
        assert!(problem(&dir).unwrap().contains("hidden lines"));
        std::fs::write(dir.join(INDEX_FILE), r#"{"body":"fn main() {}"}"#).unwrap();
        assert_eq!(problem(&dir), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_gone_process_s_scratch_folder_is_removed() {
        let root = std::env::temp_dir().join(format!("xtask-scratch-{}", std::process::id()));
        let dir = supervisor::locate::target_dir(&root).join("search-index");
        let gone = dir.join("4194305-0");
        std::fs::create_dir_all(&gone).unwrap();
        let mine = scratch_dir(&root);
        assert!(!gone.exists(), "no pid is over 4194304");
        assert_eq!(mine.parent(), Some(dir.as_path()));
        assert!(mine
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(&format!("{}-", std::process::id())));
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn the_page_render_indexes_nothing_and_the_index_render_everything() {
        let mut c = Config::default();
        assert!(enabled(&c));
        index_nothing(&mut c).unwrap();
        let s = c.html_config().unwrap().search.unwrap();
        assert_eq!(s.chapter[""].enable, Some(false));
        assert!(enabled(&c));
    }
}
