//! Rendering one edition of the book in-process with the mdbook library
//! and our `cmdrun` preprocessor (src/directives.rs) in mdbook-cmdrun's
//! place, in three steps:
//!
//! 1. [`load`]: book.toml and the chapters, through the preprocessors that
//!    come before the directives (a translation's gettext);
//! 2. the directives (run, reused or replayed), then mdbook's `index` and
//!    `links`, as mdbook orders `cmdrun` before them by name;
//! 3. mdBook's HTML renderer.
//!
//! Step 1 needs no output, so a second edition is loaded and translated on
//! a thread of its own while the English directives run (`Render::alongside`),
//! and only steps 2 (a replay: nothing runs) and 3 wait for their records.
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Instant;

use anyhow::{anyhow, Context, Result};
use mdbook::book::Book;
use mdbook::preprocess::{IndexPreprocessor, LinkPreprocessor, Preprocessor, PreprocessorContext};
use mdbook::renderer::{HtmlHandlebars, RenderContext, Renderer};
use mdbook::{Config, MDBook};

use crate::directives::{Directives, Mode, Settings};
use crate::hash::Hashes;
use crate::store::Store;
use crate::{profile, search};

/// A change to book.toml's configuration before the book is loaded.
pub type ConfigEdit = Box<dyn FnOnce(&mut Config) + Send>;

/// Work on a thread of its own from the start of a render: it may prepare
/// while the directives run (load and translate the other editions), and
/// is told, in this order, what it may wait for. If the render fails, the
/// channel closes instead. Its result: the problems it found.
pub type Alongside = Box<dyn FnOnce(mpsc::Receiver<Told>) -> Result<Vec<String>> + Send>;

/// What a render tells the work beside it.
pub enum Told {
    /// The directives are done: their records.
    Records(Store),
    /// The HTML is in `Render::dest`.
    Pages,
}

/// What one render needs besides the book's sources.
pub struct Render {
    /// Where the HTML goes (a staging folder; see [`crate::publish::sync`]).
    pub dest: PathBuf,
    pub mode: Mode,
    pub say_when: bool,
    pub stamp: String,
    /// The supervisor to run (default: the workspace's target/debug/supervisor).
    pub supervisor: Option<PathBuf>,
    pub not_prebuilt: HashSet<String>,
    pub hashes: Arc<Hashes>,
    /// Preprocessors run before the directives (a translation: gettext).
    pub before: Vec<Box<dyn Preprocessor>>,
    /// A last change to book.toml's configuration (a language, say).
    pub config: Option<ConfigEdit>,
    /// Started before anything else; its result is `Rendered::alongside`.
    pub alongside: Option<Alongside>,
}

impl Render {
    pub fn new(dest: PathBuf, mode: Mode, stamp: String) -> Render {
        Render {
            dest,
            mode,
            say_when: false,
            stamp,
            supervisor: None,
            not_prebuilt: HashSet::new(),
            hashes: Arc::default(),
            before: Vec::new(),
            config: None,
            alongside: None,
        }
    }
}

/// The result of one render: its records, and problems beyond failed runs.
pub struct Rendered {
    pub store: Store,
    pub problems: Vec<String>,
    /// `Render::alongside`, maybe still at work: join it when its result
    /// is needed (the English pages can be checked meanwhile).
    pub alongside: Option<Pending>,
}

/// The thread of a `Render::alongside`.
pub struct Pending(JoinHandle<Result<Vec<String>>>);

impl Pending {
    pub fn join(self) -> Result<Vec<String>> {
        self.0
            .join()
            .map_err(|_| anyhow!("the work beside the render panicked"))?
    }
}

/// A book loaded and through the preprocessors before the directives.
pub struct Loaded {
    root: PathBuf,
    book: Book,
    ctx: PreprocessorContext,
    dest: PathBuf,
}

/// Step 1: book.toml (with `config` applied, rendering into `dest`) and the
/// chapters, through `before`. Our preprocessors take cmdrun's and
/// gettext's places; mdbook would otherwise run the mdbook-cmdrun and
/// mdbook-gettext binaries.
pub fn load(
    root: &Path,
    dest: &Path,
    before: Vec<Box<dyn Preprocessor>>,
    config: Option<ConfigEdit>,
) -> Result<Loaded> {
    let mut cfg = Config::from_disk(root.join("book.toml"))
        .with_context(|| format!("reading {}", root.join("book.toml").display()))?;
    cfg.update_from_env();
    if let Some(table) = cfg.get_mut("preprocessor").and_then(|p| p.as_table_mut()) {
        table.remove("cmdrun");
        table.remove("gettext");
    }
    // mdbook's own `index` and `links` run in step 2, after the directives.
    cfg.build.use_default_preprocessors = false;
    cfg.build.build_dir = dest.to_path_buf();
    if let Some(f) = config {
        f(&mut cfg);
    }
    let mut book = MDBook::load_with_config(root, cfg).context("loading the book")?;
    for p in before {
        book.with_preprocessor(Boxed(p));
    }
    let (preprocessed, ctx) = book
        .preprocess_book(&HtmlHandlebars::new())
        .context("mdbook could not build the book")?;
    Ok(Loaded {
        root: book.root.clone(),
        book: preprocessed,
        ctx,
        dest: book.build_dir_for("html"),
    })
}

/// Steps 2 and 3 for a loaded book: the directives by `settings`, then
/// `index`, `links` and the HTML. `tell` gets the records as soon as the
/// directives are done, before the HTML is rendered, then word of the HTML.
pub fn finish(
    loaded: Loaded,
    settings: Settings,
    tell: Option<mpsc::Sender<Told>>,
) -> Result<(Store, Vec<String>)> {
    let started = Instant::now();
    let started_at = crate::directives::now();
    let mode = settings.mode.name();
    let stamp = settings.stamp.clone();
    let directives = Directives::new(settings);
    let Loaded {
        root,
        book,
        ctx,
        dest,
    } = loaded;
    directives.run_ahead(&ctx, &book);
    let book = directives.run(&ctx, book);
    directives.stop_ahead();
    let book = IndexPreprocessor::new().run(&ctx, book?)?;
    let book = LinkPreprocessor::new().run(&ctx, book)?;
    let store = Store::new(mode, started_at, &stamp, directives.records());
    profile::beyond_runs(
        &format!("{mode}: directives, index, links"),
        started,
        &store,
    );
    // The receiver may have failed already; its join says why.
    let told = |t: Told| {
        if let Some(tx) = &tell {
            let _ = tx.send(t);
        }
    };
    told(Told::Records(store.clone()));
    // mdbook also passes on the context's chapter_titles, which only its
    // own code can set (none of our preprocessors does).
    let html = Instant::now();
    let mut config = ctx.config;
    // The search index is made beside the pages (search.rs), and put in
    // after them: mdBook's page render writes an empty one.
    let index = search::enabled(&config).then(|| {
        let (config, book, root) = (config.clone(), book.clone(), root.clone());
        std::thread::spawn(move || {
            let scratch = search::scratch_dir(&root);
            search::Index::make(&root, book, &config, scratch)
        })
    });
    if index.is_some() {
        search::index_nothing(&mut config)?;
    }
    let rc = RenderContext::new(&root, book, config, &dest);
    let pages = HtmlHandlebars::new()
        .render(&rc)
        .context("mdbook could not build the book: rendering failed");
    profile::note(&format!("{mode}: HTML pages"), html);
    // Joined whatever the pages did: its scratch folder goes with it.
    let index = index
        .map(|t| {
            t.join()
                .map_err(|_| anyhow!("making the search index panicked"))
        })
        .transpose()?;
    pages?;
    if let Some(index) = index {
        index?.put_into(&dest)?;
        profile::note(&format!("{mode}: HTML and search index"), html);
    }
    told(Told::Pages);
    Ok((store, directives.problems()))
}

/// Renders the book at `root` as `mdbook build` would: [`load`], then
/// [`finish`], with `Render::alongside` on a thread of its own from the
/// start.
pub fn render(root: &Path, r: Render) -> Result<Rendered> {
    let (tx, rx) = mpsc::channel();
    let alongside = r
        .alongside
        .map(|f| Pending(std::thread::spawn(move || f(rx))));
    let settings = Settings {
        root: root.to_path_buf(),
        supervisor: r.supervisor.unwrap_or_else(|| supervisor_exe(root)),
        stamp: r.stamp,
        mode: r.mode,
        say_when: r.say_when,
        not_prebuilt: r.not_prebuilt,
        hashes: r.hashes,
    };
    let done = load(root, &r.dest, r.before, r.config).and_then(|l| finish(l, settings, Some(tx)));
    match done {
        Ok((store, problems)) => Ok(Rendered {
            store,
            problems,
            alongside,
        }),
        Err(e) => {
            // Its channel is closed: it ends, and leaves nothing behind.
            if let Some(a) = alongside {
                let _ = a.join();
            }
            Err(e)
        }
    }
}

/// The settings of a render that runs nothing: every block from `store`
/// (a finished render's, e.g. `Store::load(root, "build")`), by chapter and
/// place, with the same directive text; any that has no record is in the
/// problems and its block says so.
pub fn replay(root: &Path, store: Store) -> Settings {
    let stamp = store.meta.stamp.clone();
    // A replay of a serve render (`reuse`) says when each block ran, as it did.
    let say_when = store.meta.mode == "reuse";
    Settings {
        root: root.to_path_buf(),
        supervisor: supervisor_exe(root),
        stamp,
        mode: Mode::Replay(store),
        say_when,
        not_prebuilt: HashSet::new(),
        hashes: Arc::default(),
    }
}

/// Renders the book into `dest` from the records of `store`, running
/// nothing: one run, a second language. `before` runs ahead of the
/// directives (the gettext preprocessor); `config` can set `book.language`
/// and the like. (The tests' shortcut: the editions call [`load`] and
/// [`finish`] apart, to load while the English directives run.)
#[cfg(test)]
pub fn render_from_store(
    root: &Path,
    store: Store,
    dest: PathBuf,
    before: Vec<Box<dyn Preprocessor>>,
    config: Option<ConfigEdit>,
) -> Result<(Store, Vec<String>)> {
    let loaded = load(root, &dest, before, config)?;
    finish(loaded, replay(root, store), None)
}

/// A boxed preprocessor, which `with_preprocessor` does not take as it is.
struct Boxed(Box<dyn Preprocessor>);

impl Preprocessor for Boxed {
    fn name(&self) -> &str {
        self.0.name()
    }
    fn run(&self, ctx: &PreprocessorContext, book: Book) -> Result<Book> {
        self.0.run(ctx, book)
    }
    fn supports_renderer(&self, renderer: &str) -> bool {
        self.0.supports_renderer(renderer)
    }
}

pub fn supervisor_exe(root: &Path) -> PathBuf {
    supervisor::locate::target_dir(root)
        .join("debug")
        .join("supervisor")
}
