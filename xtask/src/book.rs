//! Building the book in-process with the mdbook library and our `cmdrun`
//! preprocessor (src/directives.rs), into a staging folder that is copied
//! over book/ file by file once it is complete.
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use mdbook::preprocess::{IndexPreprocessor, LinkPreprocessor, Preprocessor};
use mdbook::renderer::{HtmlHandlebars, RenderContext, Renderer};
use mdbook::{Config, MDBook};

use crate::directives::{Directives, Mode, Settings};
use crate::hash::Hashes;
use crate::store::Store;
use crate::{chapters, checks, i18n, lint, procs, publish, python, stamp};

/// A change to book.toml's configuration before the book is loaded.
pub type ConfigEdit = Box<dyn FnOnce(&mut Config)>;

/// Work run on a thread of its own beside the HTML rendering, once the
/// directives have run, from their records (the translated editions).
pub type Alongside = Box<dyn FnOnce(Store) -> Result<Box<dyn std::any::Any + Send>> + Send>;

/// What one render needs besides the book's sources.
pub struct Render {
    /// Where the HTML goes (a staging folder; see [`publish::sync`]).
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
    /// Run beside the HTML rendering; its result is `Rendered::alongside`.
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
    /// What `Render::alongside` returned.
    pub alongside: Option<Box<dyn std::any::Any + Send>>,
}

/// Renders the book at `root` as `mdbook build` would, with our directive
/// preprocessor in mdbook-cmdrun's place (before `index` and `links`, as
/// mdbook orders `cmdrun` by name). This is the function a second language
/// calls with `Mode::Replay(store)` and its gettext preprocessor in `before`.
pub fn render(root: &Path, r: Render) -> Result<Rendered> {
    let started = Instant::now();
    let started_at = crate::directives::now();
    let mode_name = match r.mode {
        Mode::Fresh => "fresh",
        Mode::Reuse(_) => "reuse",
        Mode::Replay(_) => "replay",
    };
    let mut config = Config::from_disk(root.join("book.toml"))
        .with_context(|| format!("reading {}", root.join("book.toml").display()))?;
    config.update_from_env();
    // Our preprocessors take cmdrun's and gettext's places (the latter in
    // `before`, for a translation); mdbook would otherwise run the
    // mdbook-cmdrun and mdbook-gettext binaries. Default preprocessors are
    // added below, in order.
    if let Some(table) = config
        .get_mut("preprocessor")
        .and_then(|p| p.as_table_mut())
    {
        table.remove("cmdrun");
        table.remove("gettext");
    }
    config.build.use_default_preprocessors = false;
    config.build.build_dir = r.dest.clone();
    if let Some(f) = r.config {
        f(&mut config);
    }
    let directives = Directives::new(Settings {
        root: root.to_path_buf(),
        supervisor: r.supervisor.unwrap_or_else(|| supervisor_exe(root)),
        stamp: r.stamp.clone(),
        mode: r.mode,
        say_when: r.say_when,
        not_prebuilt: r.not_prebuilt,
        hashes: r.hashes,
    });
    let mut book = MDBook::load_with_config(root, config).context("loading the book")?;
    for p in r.before {
        book.with_preprocessor(Boxed(p));
    }
    book.with_preprocessor(directives.clone())
        .with_preprocessor(IndexPreprocessor::new())
        .with_preprocessor(LinkPreprocessor::new());
    // What `book.build()` does for our one renderer, split so that the
    // records exist before the HTML is rendered.
    let html = HtmlHandlebars::new();
    let (preprocessed, _) = book
        .preprocess_book(&html)
        .context("mdbook could not build the book")?;
    let store = Store::new(mode_name, started_at, &r.stamp, directives.records());
    // mdbook also passes on the context's chapter_titles, which only its
    // own code can set (none of our preprocessors does).
    let rc = RenderContext::new(
        book.root.clone(),
        preprocessed,
        book.config.clone(),
        book.build_dir_for(html.name()),
    );
    let (rendered, alongside) = std::thread::scope(|s| {
        let side = r.alongside.map(|f| {
            let store = store.clone();
            s.spawn(move || f(store))
        });
        let rendered = html.render(&rc);
        (rendered, side.map(|h| h.join()))
    });
    rendered.context("mdbook could not build the book: rendering failed")?;
    let alongside = match alongside {
        None => None,
        Some(Ok(result)) => Some(result?),
        Some(Err(_)) => bail!("the work beside the HTML rendering panicked"),
    };
    if std::env::var_os("RSP_PROFILE").is_some() {
        // A replay runs nothing: its records' times are the English runs'.
        let ran: f64 = match mode_name {
            "replay" => 0.0,
            _ => directives.records().iter().map(|r| r.elapsed_ms).sum(),
        };
        eprintln!(
            "  render beyond runs: {:.3}",
            started.elapsed().as_secs_f64() - ran / 1e3
        );
    }
    Ok(Rendered {
        store,
        problems: directives.problems(),
        alongside,
    })
}

/// Renders the book into `dest` from the records of `store` (a finished
/// build's, e.g. `Store::load(root, "build")`), running nothing: one run,
/// a second language. `before` runs ahead of the directives (the gettext
/// preprocessor); `config` can set `book.language` and the like. Every
/// directive must have its record, at the same chapter and place with the
/// same text; any that does not is in `Rendered::problems` and its block
/// says so.
pub fn render_from_store(
    root: &Path,
    store: Store,
    dest: PathBuf,
    before: Vec<Box<dyn Preprocessor>>,
    config: Option<ConfigEdit>,
) -> Result<Rendered> {
    let stamp = store.meta.stamp.clone();
    // A replay of a serve render (`reuse`) says when each block ran, as it did.
    let say_when = store.meta.mode == "reuse";
    let mut r = Render::new(dest, Mode::Replay(store), stamp);
    r.say_when = say_when;
    r.before = before;
    r.config = config;
    render(root, r)
}

/// A boxed preprocessor, which `with_preprocessor` does not take as it is.
struct Boxed(Box<dyn Preprocessor>);

impl Preprocessor for Boxed {
    fn name(&self) -> &str {
        self.0.name()
    }
    fn run(
        &self,
        ctx: &mdbook::preprocess::PreprocessorContext,
        book: mdbook::book::Book,
    ) -> Result<mdbook::book::Book> {
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

/// The packages a book build needs compiled: the supervisor and every
/// snippet crate (not the runner, the browser tests or mdbook-deps).
pub fn book_packages(root: &Path) -> Result<Vec<String>> {
    let mut p = vec!["supervisor".to_string()];
    let dir = root.join("snippets");
    let mut slugs = Vec::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.join("Cargo.toml").is_file() {
            if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
                slugs.push(name.to_string());
            }
        }
    }
    slugs.sort();
    p.extend(slugs);
    Ok(p)
}

/// `cargo build --bins` of these packages, quietly. xtask is always in the
/// selection (already built: nothing to do for it), so cargo unifies
/// features as for `cargo run -p xtask` and reuses what that compiled.
pub fn compile(root: &Path, packages: &[String]) -> Result<()> {
    let inputs = crate::compiled::inputs(root, packages);
    if crate::compiled::unchanged(root, &inputs) {
        return Ok(());
    }
    let mut cmd = procs::cargo();
    cmd.current_dir(root)
        .args(["build", "--quiet", "--bins", "-p", "xtask"]);
    for p in packages {
        cmd.args(["-p", p]);
    }
    procs::run("building the snippets", &mut cmd)?;
    crate::compiled::record(root, &inputs);
    Ok(())
}

/// What `cargo xtask build` did.
pub struct Built {
    pub took: Duration,
    pub store: Store,
}

/// `cargo xtask build`: lint, compile the supervisor and every snippet,
/// render the book with every directive run fresh (never a kept record),
/// check the pages, the records and that nothing is left running; only
/// then replace book/ with the new pages. The records go to
/// `target/outputs/build/`.
pub fn build(root: &Path) -> Result<Built> {
    python::ensure(root)?;
    let start = Instant::now();
    let t = |what: &str| {
        if std::env::var_os("RSP_PROFILE").is_some() {
            eprintln!("  {what}: {:.3}", start.elapsed().as_secs_f64());
        }
    };
    // The lint reads the chapters while cargo checks the binaries: neither
    // needs the other, and the lint was a third of a warm build's own time.
    let (linted, compiled) = std::thread::scope(|s| {
        let lint = s.spawn(|| lint::run(root));
        let compiled = book_packages(root).and_then(|p| compile(root, &p));
        (lint.join(), compiled)
    });
    linted.map_err(|_| anyhow::anyhow!("the lint panicked"))??;
    compiled?;
    t("lint and compile");
    let stamp = stamp::line(root)?;
    t("stamp");
    procs::become_subreaper()?;
    let staging = staging_dir(root, "build");
    let hashes = Arc::new(Hashes::load(&Hashes::cache_file(root)));
    let mut r = for_build(staging.clone(), stamp);
    r.hashes = Arc::clone(&hashes);
    r.alongside = i18n::editions_alongside(root, &staging)?;
    let rendered = render(root, r);
    procs::fail_on_leftovers("the book build")?;
    let rendered = rendered?;
    t("render");
    rendered.store.save(root, "build")?;
    hashes.save(&Hashes::cache_file(root))?;
    t("save");
    let chapters = chapters::load(root)?;
    let mut problems = rendered.problems;
    problems.extend(checks::page_problems(&staging, &chapters)?);
    problems.extend(checks::record_problems(&rendered.store));
    // The translated editions, rendered from this render's records beside
    // the English HTML: nothing runs again.
    if let Some(editions) = rendered.alongside {
        problems.extend(i18n::finish_editions(editions, &staging, &chapters)?);
    }
    t("editions");
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("  {p}");
        }
        bail!(
            "{} problem(s) in the built book, listed above; book/ was not replaced (the failed build is in {})",
            problems.len(),
            staging.display()
        );
    }
    t("checks");
    publish::sync(&staging, &root.join("book"))?;
    t("sync");
    let took = start.elapsed();
    eprintln!(
        "xtask: built the book into book/ in {:.2} s ({} directives run, {:.2} s of it theirs)",
        took.as_secs_f64(),
        rendered.store.meta.ran,
        rendered.store.meta.run_ms / 1e3
    );
    Ok(Built {
        took,
        store: rendered.store,
    })
}

/// How `cargo xtask build` (so `test` and `drift` too) renders: every
/// directive run, whatever records exist.
pub fn for_build(dest: PathBuf, stamp: String) -> Render {
    Render::new(dest, Mode::Fresh, stamp)
}

pub fn staging_dir(root: &Path, name: &str) -> PathBuf {
    supervisor::locate::target_dir(root)
        .join("book-staging")
        .join(name)
}
