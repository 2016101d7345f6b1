//! `cargo xtask serve`: build once, start the runner (crates/runner, which
//! serves book/ on 127.0.0.1, reloads open pages when book/ changes and runs
//! the code a reader edits), then rebuild in-process whenever a chapter,
//! snippet, theme file or book.toml changes. Rebuilds reuse the record of
//! every directive whose key (directive, supervisor, snippet binary and
//! sources, environment stamp) did not change, so a prose edit runs
//! nothing and a snippet edit re-runs only that snippet's directives. Each
//! block says when it ran. The records are in `target/outputs/serve/`,
//! also reused by the next `cargo xtask serve`. The translated editions
//! (po/i18n.toml) are loaded and translated while the English pages are
//! made, and rendered from each rebuild's records after the English pages
//! are published, so an English page is not kept waiting; a change to a
//! catalog (po/) re-renders only the editions.
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use notify_debouncer_mini::notify::RecursiveMode;

use crate::book;
use crate::directives::Mode;
use crate::hash::Hashes;
use crate::render::{self, Render};
use crate::store::Store;
use crate::{chapters, checks, i18n, lint, procs, publish, python, stamp};

/// How long the tree must be quiet before a rebuild starts: an editor's
/// save is often a write, a rename and a chmod.
const QUIET: Duration = Duration::from_millis(40);

enum Event {
    Changed(Vec<PathBuf>),
    WatchError(String),
    RunnerExited(std::io::Result<std::process::ExitStatus>),
}

/// What survives from one rebuild to the next.
pub struct Loop {
    root: PathBuf,
    hashes: Arc<Hashes>,
    previous: Store,
    /// Snippets whose last `cargo build` failed.
    not_prebuilt: HashSet<String>,
}

/// What one rebuild did.
pub struct Rebuilt {
    /// Until the English pages were published.
    pub took: Duration,
    /// Then the translated editions.
    pub editions: Duration,
    pub ran: usize,
    pub reused: usize,
    pub run_ms: f64,
    pub problems: Vec<String>,
}

impl Loop {
    /// Starts from the records of the last serve, if any.
    pub fn new(root: &Path) -> Loop {
        Loop {
            root: root.to_path_buf(),
            hashes: Arc::new(Hashes::load(&Hashes::cache_file(root))),
            previous: Store::load(root, "serve").unwrap_or_default(),
            not_prebuilt: HashSet::new(),
        }
    }

    /// Compiles the snippets in `changed` (all of them when `None`), then
    /// renders the book reusing what did not change, and publishes it to
    /// book/ even when a run failed (the page shows the failure).
    pub fn rebuild(&mut self, changed: Option<&[String]>) -> Result<Rebuilt> {
        let start = Instant::now();
        let all = book::book_packages(&self.root)?;
        let slugs: Vec<String> = match changed {
            Some(c) => c.to_vec(),
            None => all.iter().skip(1).cloned().collect(),
        };
        if !slugs.is_empty() {
            let mut packages = slugs.clone();
            if changed.is_none() {
                packages.insert(0, "supervisor".into());
            }
            match book::compile(&self.root, &packages) {
                Ok(_) => slugs.iter().for_each(|s| {
                    self.not_prebuilt.remove(s);
                }),
                Err(e) => {
                    eprintln!("xtask: serve: {e:#}; the pages show cargo's errors");
                    self.not_prebuilt.extend(slugs.iter().cloned());
                }
            }
        }
        let stamp = stamp::line(&self.root)?;
        let staging = book::staging_dir(&self.root, "serve");
        let mut r = Render::new(
            staging.clone(),
            Mode::Reuse(self.previous.reusable()),
            stamp,
        );
        r.say_when = true;
        r.not_prebuilt = self.not_prebuilt.clone();
        r.hashes = Arc::clone(&self.hashes);
        // The editions are loaded and translated (they need no output) on a
        // core of their own while the English pages are made, from the
        // sources the English render reads (after the compile, not before).
        let loading = {
            let (root, staging) = (self.root.clone(), staging.clone());
            std::thread::spawn(move || i18n::load_editions(&root, &staging))
        };
        let loaded = || {
            loading
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("loading the editions panicked")))
        };
        let rendered = match render::render(&self.root, r) {
            Ok(r) => r,
            Err(e) => {
                let _ = loaded();
                return Err(e);
            }
        };
        let mut problems = rendered.problems;
        problems.extend(checks::record_problems(&rendered.store));
        problems.extend(checks::page_problems(
            &staging,
            &chapters::load(&self.root)?,
        )?);
        let editions = edition_dirs(&self.root);
        publish::sync_keeping(&staging, &self.root.join("book"), &editions)?;
        rendered.store.save(&self.root, "serve")?;
        self.hashes.save(&Hashes::cache_file(&self.root))?;
        let meta = rendered.store.meta.clone();
        self.previous = rendered.store;
        let english = start.elapsed();
        problems.extend(self.render_editions(loaded())?);
        Ok(Rebuilt {
            took: english,
            editions: start.elapsed() - english,
            ran: meta.ran,
            reused: meta.reused,
            run_ms: meta.run_ms,
            problems,
        })
    }

    /// Renders the translated editions from the last rebuild's records into
    /// the staging folder (beside its English pages) and publishes each to
    /// book/<dir>/. A catalog that does not parse is a problem reported,
    /// not the end of the serve: the English pages stay served.
    pub fn rebuild_editions(&mut self) -> Result<Vec<String>> {
        let staging = book::staging_dir(&self.root, "serve");
        let loaded = i18n::load_editions(&self.root, &staging);
        self.render_editions(loaded)
    }

    /// Renders editions loaded already (or says why they could not be).
    fn render_editions(&mut self, loaded: Result<Vec<i18n::Loading>>) -> Result<Vec<String>> {
        let staging = book::staging_dir(&self.root, "serve");
        let chapters = chapters::load(&self.root)?;
        let rendered = loaded.and_then(|l| {
            i18n::render_editions(&self.root, l, &self.previous, &staging, &chapters)
        });
        let problems = match rendered {
            Ok(p) => p,
            Err(e) => return Ok(vec![format!("{e:#}")]),
        };
        for dir in edition_dirs(&self.root) {
            let from = staging.join(&dir);
            if from.is_dir() {
                publish::sync(&from, &self.root.join("book").join(&dir))?;
            }
        }
        Ok(problems)
    }
}

fn report(what: &str, r: &Result<Rebuilt>) {
    match r {
        Ok(r) => {
            eprintln!(
                "xtask: serve: {what} in {:.2} s: {} output(s) run ({:.2} s of it theirs), {} reused; translations {:.2} s more",
                r.took.as_secs_f64(),
                r.ran,
                r.run_ms / 1e3,
                r.reused,
                r.editions.as_secs_f64()
            );
            for p in &r.problems {
                eprintln!("  {p}");
            }
        }
        Err(e) => eprintln!("xtask: serve: {what} failed: {e:#}"),
    }
}

pub fn serve(root: &Path, port: u16) -> Result<()> {
    if let Err(e) = lint::run(root) {
        eprintln!("xtask: serve: {e:#}; serving anyway");
    }
    // One cargo for everything the first page needs, so a fresh clone
    // compiles it all in parallel (not the browser tests or mdbook-deps),
    // while the Python environment is made (mostly waiting on pip).
    let mut first = book::book_packages(root)?;
    first.push("runner".into());
    let mut lp = Loop::new(root);
    let (venv, compiled) = std::thread::scope(|s| {
        let venv = s.spawn(|| python::ensure(root));
        let compiled = book::compile(root, &first);
        (venv.join(), compiled)
    });
    match venv {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => eprintln!("xtask: serve: {e:#}; the Python blocks will say so"),
        Err(_) => eprintln!("xtask: serve: making the Python environment panicked"),
    }
    if compiled.is_err() {
        book::compile(root, &["supervisor".into(), "runner".into()])?;
        eprintln!("xtask: serve: a snippet does not build; its block shows cargo's errors");
        lp.not_prebuilt
            .extend(book::book_packages(root)?.into_iter().skip(1));
    }
    procs::become_subreaper()?;
    let r = lp.rebuild(Some(&[]));
    report("built the book", &r);
    r?;

    crate::debian::runner_sandbox();
    let (tx, rx) = mpsc::channel();
    let mut runner = runner_command(root, port)
        .spawn()
        .context("starting the runner")?;
    let runner_pid = runner.id() as i32;
    let mut reload = runner.stdin.take();
    let tx_runner = tx.clone();
    std::thread::spawn(move || {
        let _ = tx_runner.send(Event::RunnerExited(runner.wait()));
    });
    let _watcher = watch(root, tx)?;
    let mut seen = fingerprint(root);
    let result = loop {
        match rx.recv() {
            Ok(Event::Changed(mut paths)) => {
                // Take whatever else arrived meanwhile into the same rebuild.
                while let Ok(Event::Changed(more)) = rx.recv_timeout(Duration::from_millis(5)) {
                    paths.extend(more);
                }
                let Some(slugs) = relevant(root, &paths) else {
                    continue;
                };
                // inotify also reports reads (the runner's warm-up reads
                // every snippet): rebuild only when a file really changed.
                let now = fingerprint(root);
                if now == seen {
                    continue;
                }
                let catalogs = only_catalogs(root, &seen, &now);
                seen = now;
                if catalogs {
                    let started = Instant::now();
                    match lp.rebuild_editions() {
                        Ok(problems) => {
                            eprintln!(
                                "xtask: serve: re-rendered the translations in {:.2} s",
                                started.elapsed().as_secs_f64()
                            );
                            for p in &problems {
                                eprintln!("  {p}");
                            }
                        }
                        Err(e) => eprintln!("xtask: serve: the translations failed: {e:#}"),
                    }
                    if let Some(stdin) = reload.as_mut() {
                        let _ = std::io::Write::write_all(stdin, b"reload\n");
                    }
                    continue;
                }
                let r = lp.rebuild(Some(&slugs));
                report("rebuilt", &r);
                if let Some(stdin) = reload.as_mut() {
                    let _ = std::io::Write::write_all(stdin, b"reload\n");
                }
                kill_strays(runner_pid);
            }
            Ok(Event::WatchError(e)) => eprintln!("xtask: serve: watching: {e}"),
            Ok(Event::RunnerExited(status)) => {
                break match status {
                    Ok(s) if s.success() => Ok(()),
                    Ok(s) => Err(anyhow::anyhow!("the runner stopped ({s})")),
                    Err(e) => Err(anyhow::anyhow!("waiting for the runner: {e}")),
                };
            }
            Err(_) => break Ok(()),
        }
    };
    procs::fail_on_leftovers("cargo xtask serve")?;
    result
}

fn runner_command(root: &Path, port: u16) -> std::process::Command {
    let mut runner = std::process::Command::new(
        supervisor::locate::target_dir(root)
            .join("debug")
            .join("runner"),
    );
    runner
        .current_dir(root)
        .arg("serve")
        .arg("--root")
        .arg(root)
        .args(["--port", &port.to_string()])
        // Compare readers' runs with the records of the book it serves.
        .args(["--store", "serve"])
        // A `reload` line after each publish; its end stops the runner.
        .stdin(std::process::Stdio::piped());
    procs::die_with_us(&mut runner);
    runner
}

/// Watches what the book is made of: src/, snippets/, theme/, po/, book.toml.
fn watch(
    root: &Path,
    tx: mpsc::Sender<Event>,
) -> Result<notify_debouncer_mini::Debouncer<notify_debouncer_mini::notify::RecommendedWatcher>> {
    let mut debouncer = notify_debouncer_mini::new_debouncer(
        QUIET,
        move |res: notify_debouncer_mini::DebounceEventResult| {
            let ev = match res {
                Ok(events) => Event::Changed(
                    events
                        .into_iter()
                        .map(|e: notify_debouncer_mini::DebouncedEvent| e.path)
                        .collect(),
                ),
                Err(e) => Event::WatchError(format!("{e:?}")),
            };
            let _ = tx.send(ev);
        },
    )
    .context("starting the file watcher")?;
    for (path, mode) in [
        ("src", RecursiveMode::Recursive),
        ("snippets", RecursiveMode::Recursive),
        ("theme", RecursiveMode::Recursive),
        ("po", RecursiveMode::Recursive),
        ("book.toml", RecursiveMode::NonRecursive),
    ] {
        let p = root.join(path);
        if p.exists() {
            debouncer
                .watcher()
                .watch(&p, mode)
                .with_context(|| format!("watching {}", p.display()))?;
        }
    }
    Ok(debouncer)
}

/// A file's name, size and mtime.
type Stat = (PathBuf, u64, i64, i64);

/// Name, size and mtime of every file the book is made of.
fn fingerprint(root: &Path) -> Vec<Stat> {
    use std::os::unix::fs::MetadataExt;
    fn walk(dir: &Path, out: &mut Vec<Stat>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            if name == "target" {
                continue;
            }
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                walk(&e.path(), out);
            } else {
                out.push((e.path(), meta.len(), meta.mtime(), meta.mtime_nsec()));
            }
        }
    }
    let mut out = Vec::new();
    for d in ["src", "snippets", "theme", "po"] {
        walk(&root.join(d), &mut out);
    }
    if let Ok(meta) = std::fs::metadata(root.join("book.toml")) {
        out.push((
            root.join("book.toml"),
            meta.len(),
            meta.mtime(),
            meta.mtime_nsec(),
        ));
    }
    out.sort();
    out
}

/// The snippets to compile for these changed paths (empty: prose or theme
/// only), or `None` when nothing the book is made of changed (swap files,
/// a snippet's own target/).
fn relevant(root: &Path, paths: &[PathBuf]) -> Option<Vec<String>> {
    let mut slugs = Vec::new();
    let mut any = false;
    for p in paths {
        let Ok(rel) = p.strip_prefix(root) else {
            continue;
        };
        let noise = rel.components().any(|c| {
            let c = c.as_os_str().to_string_lossy();
            c == "target" || c.starts_with('.') || c.ends_with('~')
        });
        if noise {
            continue;
        }
        any = true;
        let mut parts = rel.components();
        if parts.next().is_some_and(|c| c.as_os_str() == "snippets") {
            if let Some(slug) = parts.next() {
                let slug = slug.as_os_str().to_string_lossy().into_owned();
                if root
                    .join("snippets")
                    .join(&slug)
                    .join("Cargo.toml")
                    .is_file()
                    && !slugs.contains(&slug)
                {
                    slugs.push(slug);
                }
            }
        }
    }
    any.then_some(slugs)
}

/// The translated editions' folders under book/ (po/i18n.toml).
fn edition_dirs(root: &Path) -> Vec<String> {
    i18n::config::editions(root)
        .unwrap_or_default()
        .into_iter()
        .map(|e| e.dir)
        .collect()
}

/// Whether every file that changed between two fingerprints is a catalog
/// (po/): then only the translated editions need rendering again. (The
/// watcher's paths cannot tell: inotify reports reads too, and a batch
/// often holds every file a rebuild read.)
fn only_catalogs(root: &Path, before: &[Stat], now: &[Stat]) -> bool {
    let (a, b): (HashSet<&Stat>, HashSet<&Stat>) = (before.iter().collect(), now.iter().collect());
    let mut changed = a.symmetric_difference(&b).peekable();
    changed.peek().is_some() && changed.all(|s| s.0.starts_with(root.join("po")))
}

/// Kills and reaps any child but the runner: a process a rebuild left
/// re-parented to us (each supervisor reaps its own snippet's tree).
fn kill_strays(runner: i32) {
    use nix::sys::signal::{kill, Signal};
    use nix::unistd::Pid;
    for (pid, state, comm) in supervisor::reap::children() {
        if pid == runner {
            continue;
        }
        if state != 'Z' {
            eprintln!("xtask: serve: killed {pid} ({comm}), left running by a rebuild");
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
        let _ = nix::sys::wait::waitpid(Pid::from_raw(pid), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_theme_and_snippet_changes_are_told_apart() {
        let root = crate::root::workspace_root().unwrap();
        let p = |s: &str| root.join(s);
        assert_eq!(
            relevant(&root, &[p("src/processes/zombie.md")]),
            Some(vec![])
        );
        assert_eq!(
            relevant(
                &root,
                &[p("snippets/zombie/src/main.rs"), p("src/about.md")]
            ),
            Some(vec!["zombie".to_string()])
        );
        assert_eq!(relevant(&root, &[p("src/processes/.zombie.md.swp")]), None);
        assert_eq!(relevant(&root, &[p("snippets/zombie/target/x")]), None);
        let stat = |path: &str, mtime: i64| (p(path), 1, mtime, 0);
        let before = [stat("po/zh-TW.po", 1), stat("src/about.md", 1)];
        let po = [stat("po/zh-TW.po", 2), stat("src/about.md", 1)];
        let both = [stat("po/zh-TW.po", 2), stat("src/about.md", 2)];
        assert!(only_catalogs(&root, &before, &po));
        assert!(!only_catalogs(&root, &before, &both));
        assert!(!only_catalogs(&root, &before, &before));
    }
}
