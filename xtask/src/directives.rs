//! The `cmdrun` preprocessor of our in-process builds. It finds directives
//! exactly as mdbook-cmdrun 0.7.3 does (its two regexes, in its order, at
//! its place before `links`), so a plain `mdbook build` with the installed
//! mdbook-cmdrun makes the same pages (`cargo xtask test` checks that,
//! src/plain.rs). A directive of the book's one form (`chapters::PREFIX`)
//! runs the supervisor directly with `RSP_SUPERVISOR_JSON=1`, and the
//! block on the page is rendered from the record it returns, with the same
//! function the supervisor uses for cmdrun; any other directive is handed
//! to mdbook-cmdrun's own `run_cmdrun`. Every run becomes a `store::Record`.
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Instant;

use anyhow::Result;
use mdbook::book::{Book, BookItem, Chapter};
use mdbook::preprocess::{Preprocessor, PreprocessorContext};
use regex::{Captures, Regex};
use supervisor::render::{render_with, Block, Footer};

use crate::ahead::{Ahead, Place, Planned, Ran};
use crate::chapters::PREFIX;
use crate::hash::Hashes;
use crate::store::{Key, Record, Store};

/// How a build gets its outputs.
pub enum Mode {
    /// Run every directive (`cargo xtask build`, `test`, `drift`).
    Fresh,
    /// Reuse the record of every directive whose key did not change, by
    /// key digest (`cargo xtask serve`); run the rest.
    Reuse(HashMap<String, Record>),
    /// Run nothing: every directive's block comes from this store, by
    /// chapter and place, and must be there with the same directive text
    /// (a second language rendered from one build's runs: the zh-TW
    /// edition, src/i18n/edition.rs; tested in src/store_tests.rs).
    Replay(Store),
}

impl Mode {
    /// As the store records it: `fresh`, `reuse` or `replay`.
    pub fn name(&self) -> &'static str {
        match self {
            Mode::Fresh => "fresh",
            Mode::Reuse(_) => "reuse",
            Mode::Replay(_) => "replay",
        }
    }
}

pub struct Settings {
    pub root: PathBuf,
    pub supervisor: PathBuf,
    pub stamp: String,
    pub mode: Mode,
    /// Blocks say when they ran ("at 14:02:31") instead of "when the book
    /// was built": pages of `cargo xtask serve`, where records are reused.
    pub say_when: bool,
    /// Snippets whose binary is not fresh (their `cargo build` failed): the
    /// supervisor builds them itself and shows cargo's errors.
    pub not_prebuilt: HashSet<String>,
    pub hashes: Arc<Hashes>,
}

/// The preprocessor. Clones share the records, taken with [`Directives::records`].
#[derive(Clone)]
pub struct Directives {
    settings: Arc<Settings>,
    records: Arc<Mutex<Vec<Record>>>,
    problems: Arc<Mutex<Vec<String>>>,
    /// A fresh render's runs, made ahead on a thread of their own.
    ahead: Arc<Mutex<Option<Arc<Ahead>>>>,
}

/// mdbook-cmdrun 0.7.3's two patterns: a directive that ends its line
/// first (replaced by the output as printed), then any left (inline:
/// replaced by the output without trailing white space).
const NEWLINE: &str = r"<!--[ ]*cmdrun (.*?)-->\r?\n";
const INLINE: &str = r"<!--[ ]*cmdrun (.*?)-->";

static NEWLINE_RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(NEWLINE).expect("a valid regex"));
static INLINE_RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(INLINE).expect("a valid regex"));

/// Replaces each directive of `content` by what `one` returns for it
/// (its command, line, whether inline), in mdbook-cmdrun's order: the
/// directives that end their line, then the rest.
fn scan(content: &str, mut one: impl FnMut(&str, usize, bool) -> String) -> String {
    let line =
        |text: &str, c: &Captures| text[..c.get(0).map_or(0, |m| m.start())].lines().count() + 1;
    let first = NEWLINE_RE
        .replace_all(content, |c: &Captures| one(&c[1], line(content, c), false))
        .into_owned();
    INLINE_RE
        .replace_all(&first, |c: &Captures| one(&c[1], line(&first, c), true))
        .into_owned()
}

/// The chapters of `items` in the order `Book::for_each_mut` visits them
/// (a chapter's sub-chapters before it).
fn in_preprocessor_order<'a>(items: &'a [BookItem], out: &mut Vec<&'a Chapter>) {
    for item in items {
        if let BookItem::Chapter(ch) = item {
            in_preprocessor_order(&ch.sub_items, out);
            out.push(ch);
        }
    }
}

/// The folder a chapter's directives run in (cmdrun's working directory).
fn chapter_dir(src: &Path, rel: &Path) -> PathBuf {
    src.join(rel)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// A supervised directive's arguments and slug (empty when they do not
/// parse: the supervisor then says what is wrong).
pub fn words_and_args(rest: &str) -> (Vec<String>, Option<supervisor::Args>) {
    let words = shlex::split(rest).unwrap_or_default();
    let args = <supervisor::Args as clap::Parser>::try_parse_from(
        std::iter::once("supervisor".to_string()).chain(words.iter().cloned()),
    )
    .ok();
    (words, args)
}

impl Directives {
    pub fn new(settings: Settings) -> Directives {
        Directives {
            settings: Arc::new(settings),
            records: Arc::default(),
            problems: Arc::default(),
            ahead: Arc::default(),
        }
    }

    /// In a fresh render, starts running every supervised directive of
    /// `book` ahead of the preprocessor ([`Ahead`]), in the order it will
    /// ask for them. Nothing to do when records may be reused or replayed.
    pub fn run_ahead(&self, ctx: &PreprocessorContext, book: &Book) {
        if !matches!(self.settings.mode, Mode::Fresh) {
            return;
        }
        let src = ctx.root.join(&ctx.config.book.src);
        let mut chapters = Vec::new();
        in_preprocessor_order(&book.sections, &mut chapters);
        let mut plan = Vec::new();
        for ch in chapters {
            let Some(rel) = &ch.path else { continue };
            let chapter = rel.to_string_lossy().into_owned();
            let mut seen: HashMap<String, usize> = HashMap::new();
            scan(&ch.content, |command, _, _| {
                let directive = command.trim().to_string();
                let occurrence = seen.entry(directive.clone()).or_default();
                let place = (chapter.clone(), directive.clone(), *occurrence);
                *occurrence += 1;
                if let Some(rest) = directive.strip_prefix(PREFIX.trim_end()) {
                    plan.push(Planned {
                        place,
                        cwd: chapter_dir(&src, rel),
                        rest: rest.to_string(),
                    });
                }
                String::new()
            });
        }
        if let Ok(mut a) = self.ahead.lock() {
            *a = Some(Arc::new(Ahead::start(Arc::clone(&self.settings), plan)));
        }
    }

    /// Stops the runs ahead, if any, after the one under way, and waits for
    /// it (when no `ran_ahead` still holds them).
    pub fn stop_ahead(&self) {
        let ahead = self.ahead.lock().ok().and_then(|mut a| a.take());
        drop(ahead);
    }

    fn ran_ahead(&self, place: &Place) -> Option<Ran> {
        // Not holding the lock while waiting for the run.
        let ahead = self.ahead.lock().ok()?.clone()?;
        ahead.take(place)
    }

    /// This build's records, in chapter and page order.
    pub fn records(&self) -> Vec<Record> {
        let mut r = self.records.lock().map(|r| r.clone()).unwrap_or_default();
        r.sort_by(|a, b| (&a.chapter, a.index).cmp(&(&b.chapter, b.index)));
        r
    }

    /// What went wrong beyond a failed run (a replay without its record).
    pub fn problems(&self) -> Vec<String> {
        self.problems.lock().map(|p| p.clone()).unwrap_or_default()
    }

    fn chapter(&self, src: &Path, rel: &Path, content: &str) -> String {
        let mut page = Page {
            d: self,
            chapter: rel.to_string_lossy().into_owned(),
            cwd: chapter_dir(src, rel),
            index: 0,
            seen: HashMap::new(),
        };
        scan(content, |command, line, inline| {
            page.one(command, line, inline)
        })
    }
}

impl Preprocessor for Directives {
    fn name(&self) -> &str {
        "cmdrun"
    }

    fn supports_renderer(&self, renderer: &str) -> bool {
        renderer == "html"
    }

    fn run(&self, ctx: &PreprocessorContext, mut book: Book) -> Result<Book> {
        let src = ctx.root.join(&ctx.config.book.src);
        book.for_each_mut(|item| {
            if let BookItem::Chapter(ch) = item {
                if let Some(rel) = ch.path.clone() {
                    ch.content = self.chapter(&src, &rel, &ch.content);
                }
            }
        });
        Ok(book)
    }
}

/// One chapter being processed.
struct Page<'a> {
    d: &'a Directives,
    chapter: String,
    cwd: PathBuf,
    index: usize,
    seen: HashMap<String, usize>,
}

impl Page<'_> {
    /// The Markdown that replaces one directive (`command`: what cmdrun
    /// would hand to `sh -c`).
    fn one(&mut self, command: &str, line: usize, inline: bool) -> String {
        self.index += 1;
        let directive = command.trim().to_string();
        let occurrence = self.seen.entry(directive.clone()).or_default();
        let occ = *occurrence;
        *occurrence += 1;
        let mut record = match directive.strip_prefix(PREFIX.trim_end()) {
            Some(rest) => self.supervised(&directive, rest, occ),
            None => self.shell(command, &directive, inline),
        };
        record.chapter.clone_from(&self.chapter);
        record.index = self.index;
        record.line = line;
        let md = if inline {
            record.markdown.trim_end().to_string()
        } else {
            record.markdown.clone()
        };
        if let Ok(mut all) = self.d.records.lock() {
            all.push(record);
        }
        md
    }

    fn problem(&self, what: String) {
        if let Ok(mut p) = self.d.problems.lock() {
            p.push(format!(
                "src/{}: directive {}: {what}",
                self.chapter, self.index
            ));
        }
    }

    /// The record kept for this place, when replaying.
    fn replayed(&self, directive: &str) -> Option<Record> {
        let Mode::Replay(store) = &self.d.settings.mode else {
            return None;
        };
        match store.get(&self.chapter, self.index) {
            Some(r) if r.directive == directive => Some(r.clone()),
            Some(r) => {
                self.problem(format!(
                    "the store's record is of another directive (`{}`)",
                    r.directive
                ));
                None
            }
            None => {
                self.problem("no record in the store".into());
                None
            }
        }
    }

    /// A directive of another form: run as mdbook-cmdrun runs it.
    fn shell(&self, command: &str, directive: &str, inline: bool) -> Record {
        if let Mode::Replay(_) = self.d.settings.mode {
            return self.replayed(directive).unwrap_or_else(|| {
                let mut r = Record::new("", 0, directive);
                r.markdown =
                    format!("**cmdrun error**: no record in the store for 'cmdrun {command}'");
                r
            });
        }
        let start = Instant::now();
        let ran_at = now();
        let cwd = self.cwd.to_string_lossy().into_owned();
        let markdown = mdbook_cmdrun::CmdRun::run_cmdrun(command.to_string(), &cwd, inline)
            .unwrap_or_else(|e| format!("**cmdrun error**: {e:#} in 'cmdrun {command}'"));
        Record {
            directive: directive.to_string(),
            ran_at,
            elapsed_ms: start.elapsed().as_secs_f64() * 1e3,
            kind: "shell".into(),
            markdown,
            ..Record::new("", 0, "")
        }
    }

    fn supervised(&self, directive: &str, rest: &str, occurrence: usize) -> Record {
        let s = &self.d.settings;
        if let Mode::Replay(_) = s.mode {
            // The record has all it needs; the arguments are parsed (clap:
            // a third of a replay's own time) only to name a missing one.
            let mut r = self.replayed(directive).unwrap_or_else(|| {
                let (_, args) = words_and_args(rest);
                let mut r = Record::new("", 0, directive);
                r.block = Some(Block {
                    slug: args.map(|a| a.slug).unwrap_or_default(),
                    command: String::new(),
                    status: "not run".into(),
                    output: String::new(),
                    error: Some(format!(
                        "chapter src/{}: directive {} has no record in the store",
                        self.chapter, self.index
                    )),
                });
                r
            });
            let at = Some(r.ran_at.as_str()).filter(|a| !a.is_empty());
            r.markdown = self.markdown(r.block.as_ref(), &r.key, at);
            return r;
        }
        let (words, args) = words_and_args(rest);
        let slug = args.as_ref().map(|a| a.slug.clone());
        let vary = args.as_ref().map(|a| a.vary.clone()).unwrap_or_default();
        let key = args
            .as_ref()
            .and_then(|a| self.key(a, directive, occurrence).ok());
        let digest = key.as_ref().map(Key::digest);
        if let (Mode::Reuse(old), Some(d)) = (&s.mode, &digest) {
            if let Some(old) = old.get(d) {
                let mut r = old.clone();
                r.reused = true;
                r.markdown = self.markdown(r.block.as_ref(), &r.key, Some(&r.ran_at));
                return r;
            }
        }
        let place = (self.chapter.clone(), directive.to_string(), occurrence);
        let (block, ran_at, elapsed_ms) = match self.d.ran_ahead(&place) {
            Some(r) => (r.block, r.ran_at, r.elapsed_ms),
            None => {
                let ran_at = now();
                let start = Instant::now();
                let slug = slug.as_deref().unwrap_or_default();
                let block = run_supervisor(s, &self.cwd, &self.chapter, &words, slug);
                (block, ran_at, start.elapsed().as_secs_f64() * 1e3)
            }
        };
        let masked = crate::drift::mask_with(&block.output, &vary);
        let markdown = self.markdown(Some(&block), &key, Some(&ran_at));
        Record {
            directive: directive.to_string(),
            args: words,
            slug,
            vary,
            key_digest: digest,
            key,
            ran_at,
            elapsed_ms,
            kind: supervisor::render::kind(&block).to_string(),
            masked: Some(masked),
            block: Some(block),
            markdown,
            ..Record::new("", 0, "")
        }
    }

    fn key(&self, a: &supervisor::Args, directive: &str, occurrence: usize) -> Result<Key> {
        let s = &self.d.settings;
        let target = supervisor::locate::target_dir(&s.root).join("debug");
        let exe = a.exe.clone().unwrap_or_else(|| target.join(a.bin_name()));
        let binary = match a.expect_compile_error {
            None if exe.is_file() => Some(s.hashes.file(&exe)?),
            _ => None,
        };
        let crate_dir = s.root.join("snippets").join(&a.slug);
        let mut source = if crate_dir.is_dir() {
            s.hashes.tree(&crate_dir)?
        } else {
            String::new()
        };
        // The Python packages a `--python` run imports.
        let lock = s.root.join(supervisor::python::LOCK);
        if lock.is_file() {
            source = crate::hash::text(&format!("{source} {}", s.hashes.file(&lock)?));
        }
        Ok(Key {
            chapter: self.chapter.clone(),
            directive: directive.to_string(),
            occurrence,
            supervisor: s.hashes.file(&s.supervisor)?,
            binary,
            source,
            stamp: s.stamp.clone(),
        })
    }

    /// The block as the supervisor renders it for cmdrun, with the footer
    /// for this build.
    fn markdown(&self, block: Option<&Block>, key: &Option<Key>, ran_at: Option<&str>) -> String {
        let Some(block) = block else {
            return String::new();
        };
        let s = &self.d.settings;
        let stamp = key.as_ref().map_or(s.stamp.as_str(), |k| k.stamp.as_str());
        let mut footer = Footer::for_block(&block.slug, stamp, Some(&s.root), &self.cwd);
        if let (Some(f), true, Some(at)) = (footer.as_mut(), s.say_when, ran_at) {
            f.ran = Some(when(at));
        }
        render_with(block, footer.as_ref())
    }
}

/// Runs the supervisor with a directive's arguments, in the chapter's
/// folder as cmdrun would, and reads the record it prints.
pub fn run_supervisor(
    s: &Settings,
    cwd: &Path,
    chapter: &str,
    words: &[String],
    slug: &str,
) -> Block {
    Started::new(s, cwd, chapter, words, slug).finish()
}

/// A supervisor started for a directive, its record not read yet. Dropped
/// unread (a panic between the two), it kills and reaps the supervisor.
pub struct Started {
    child: Option<std::io::Result<std::process::Child>>,
    supervisor: PathBuf,
    slug: String,
    command: String,
    chapter: String,
}

impl Started {
    pub fn new(s: &Settings, cwd: &Path, chapter: &str, words: &[String], slug: &str) -> Started {
        let mut cmd = Command::new(&s.supervisor);
        cmd.args(words)
            .current_dir(cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env(supervisor::record::JSON_ENV, "1")
            .env(supervisor::render::STAMP_ENV, &s.stamp);
        if !s.not_prebuilt.contains(slug) {
            cmd.env(supervisor::locate::PREBUILT_ENV, "1");
        }
        Started {
            child: Some(cmd.spawn()),
            supervisor: s.supervisor.clone(),
            slug: slug.to_string(),
            command: words.join(" "),
            chapter: chapter.to_string(),
        }
    }

    /// Waits for the supervisor and reads its record.
    pub fn finish(mut self) -> Block {
        let failed = |why: String| Block {
            slug: self.slug.clone(),
            command: self.command.clone(),
            status: "not run".into(),
            output: String::new(),
            error: Some(format!(
                "snippet `{}` (chapter src/{}): {why}",
                self.slug, self.chapter
            )),
        };
        let child = self.child.take().unwrap_or_else(|| {
            Err(std::io::Error::other(
                "the supervisor's record was read already",
            ))
        });
        match child.and_then(|c| c.wait_with_output()) {
            Err(e) => failed(format!("cannot run {}: {e}", self.supervisor.display())),
            Ok(out) => supervisor::record::from_json(&String::from_utf8_lossy(&out.stdout))
                .unwrap_or_else(|e| {
                    let stderr = String::from_utf8_lossy(&out.stderr);
                    failed(format!(
                        "the supervisor ({}) gave no record: {e}: {}",
                        out.status,
                        stderr.trim()
                    ))
                }),
        }
    }
}

impl Drop for Started {
    fn drop(&mut self) {
        if let Some(Ok(mut c)) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// "at 14:02:31" (local time), or "on 2026-12-01 at 14:02:31" when it was
/// not today.
fn when(rfc3339: &str) -> String {
    let Ok(t) = chrono::DateTime::parse_from_rfc3339(rfc3339) else {
        return format!("at {rfc3339}");
    };
    let local = t.with_timezone(&chrono::Local);
    if local.date_naive() == chrono::Local::now().date_naive() {
        format!("at {}", local.format("%H:%M:%S"))
    } else {
        format!(
            "on {} at {}",
            local.format("%Y-%m-%d"),
            local.format("%H:%M:%S")
        )
    }
}
