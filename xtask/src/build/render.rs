//! One edition of the book, rendered in-process as `mdbook build` renders
//! it: mdBook's library, with the preprocessors book.toml names linked in
//! (mdbook-cmdrun's `CmdRun`, and for a translation the gettext step of
//! mdbook-i18n-helpers) instead of started as binaries, in the order
//! `mdbook build` runs them: gettext, cmdrun, index, links. Then mdBook's
//! HTML renderer, which a build may run on a thread of its own.
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use mdbook::book::Book;
use mdbook::preprocess::{IndexPreprocessor, LinkPreprocessor};
use mdbook::renderer::{HtmlHandlebars, RenderContext, Renderer};
use mdbook::{Config, MDBook};

use crate::i18n::config::Edition;
use crate::i18n::edition::{self, Translate};

/// A book through its preprocessors: every directive has run.
pub struct Preprocessed {
    root: PathBuf,
    config: Config,
    dest: PathBuf,
    content: Book,
}

/// Loads the book at `root` (the process's working folder: cmdrun runs
/// each directive in its chapter's folder, relative to it) to render into
/// `dest`, in English or as `edition`, and runs its preprocessors.
pub fn preprocess(root: &Path, dest: &Path, edition: Option<&Edition>) -> Result<Preprocessed> {
    let mut config = config(root)?;
    config.build.use_default_preprocessors = false;
    config.build.build_dir = dest.to_path_buf();
    if let Some(e) = edition {
        edition::configure(&mut config, e);
    }
    let mut book = MDBook::load_with_config(root, config).context("loading the book")?;
    if let Some(e) = edition {
        book.with_preprocessor(Translate::new(root, e)?);
    }
    book.with_preprocessor(mdbook_cmdrun::CmdRun)
        .with_preprocessor(IndexPreprocessor::new())
        .with_preprocessor(LinkPreprocessor::new());
    let (content, _) = book
        .preprocess_book(&HtmlHandlebars::new())
        .context("mdbook could not build the book")?;
    Ok(Preprocessed {
        dest: book.build_dir_for("html"),
        root: book.root,
        config: book.config,
        content,
    })
}

/// book.toml (and `MDBOOK_*` settings), without the tables of the
/// preprocessors we link in: mdbook would look for their binaries.
pub fn config(root: &Path) -> Result<Config> {
    let file = root.join("book.toml");
    let mut config =
        Config::from_disk(&file).with_context(|| format!("reading {}", file.display()))?;
    config.update_from_env();
    if let Some(table) = config
        .get_mut("preprocessor")
        .and_then(|p| p.as_table_mut())
    {
        table.remove("cmdrun");
        table.remove("gettext");
    }
    Ok(config)
}

impl Preprocessed {
    /// mdBook's HTML renderer, into the folder given to [`preprocess`]
    /// (which it empties first).
    pub fn html(self) -> Result<()> {
        let ctx = RenderContext::new(self.root, self.content, self.config, self.dest);
        HtmlHandlebars::new()
            .render(&ctx)
            .context("mdbook could not build the book: rendering failed")
    }
}
