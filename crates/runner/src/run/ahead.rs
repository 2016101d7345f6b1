//! Programs compiled ahead of their run. While the reader pauses typing (or
//! points at Run), the page sends its block's program to be compiled
//! (`POST /__rsp/compile`, [`handle`]); a Run of exactly that program then
//! starts it without compiling again, so the output follows the click by
//! milliseconds where rustc takes a tenth of a second. A run's own compile
//! is kept the same way, so running a program twice compiles it once.
//!
//! The runner keeps, per snippet, its last successful compile: the code and
//! edition it was of, the workspace preparation it was compiled against,
//! and a copy of the executable in a folder of the server's own
//! (`target/runner/runs/<pid>-kept/`, 0700; no sandbox binds it; removed
//! when the server stops), made as
//! soon as rustc is done, with the copy's size, mtime, ctime and inode. A
//! run of exactly that code copies that file into its run sandbox. The
//! compile sandboxes' output folder is theirs to write (and, as `nobody`,
//! any other `nobody` process's), so nothing is ever run from it later than
//! the compile that wrote it.
use std::collections::{HashMap, HashSet};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::request::{self, refuse, Job};
use super::stream::{self, Events};
use super::{compile, ready_plan};
use crate::events::{Event, Kept};
use crate::sandbox::Kind;
use crate::server::App;

/// rustc's time limit for a compile ahead (a run's own compile has the
/// server's `--compile-timeout`): code that is slow to compile is compiled
/// by its run, and no compile ahead keeps a run waiting longer than this.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// What a compile is of: the code, its edition, the workspace preparation.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Source {
    code: String,
    edition: String,
    prepared: u64,
}

/// A file as it was written: size, mtime and ctime (ns), inode.
type Stat = (u64, i128, i128, u64);

fn stat(file: &Path) -> Option<Stat> {
    let m = std::fs::metadata(file).ok()?;
    let ns = |s: i64, n: i64| i128::from(s) * 1_000_000_000 + i128::from(n);
    Some((
        m.len(),
        ns(m.mtime(), m.mtime_nsec()),
        ns(m.ctime(), m.ctime_nsec()),
        m.ino(),
    ))
}

struct Entry {
    source: Source,
    stat: Stat,
    /// The `compiled` event as it was sent: rustc's time, its warnings.
    event: Event,
    by: Kept,
}

/// The last successful compile of each snippet, and the pages with a
/// compile ahead under way.
pub struct Compiled {
    /// Where the kept executables are, one per snippet.
    dir: PathBuf,
    entries: Mutex<HashMap<String, Entry>>,
    pages: Mutex<HashSet<String>>,
}

impl Compiled {
    /// Keeps executables in `dir` (made when first needed, 0700).
    pub fn new(dir: PathBuf) -> Compiled {
        Compiled {
            dir,
            entries: Mutex::default(),
            pages: Mutex::default(),
        }
    }

    /// Removes the kept executables: the server is stopping. (A server
    /// killed outright leaves them; the next start removes them with the
    /// other folders of runs.)
    pub fn remove_all(&self) {
        self.entries().clear();
        let _ = std::fs::remove_dir_all(&self.dir);
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn kept(&self, slug: &str) -> PathBuf {
        self.dir.join(slug)
    }

    /// Keeps a copy of `exe`, just built from the job's code (`event`: the
    /// successful `compiled` event sent for it; `by`: what compiled it).
    pub fn remember(&self, job: &Job, prepared: u64, exe: &Path, event: &Event, by: Kept) {
        use std::os::unix::fs::DirBuilderExt;
        self.forget(&job.slug);
        let kept = self.kept(&job.slug);
        let tmp = self.dir.join(format!(".{}.new", job.slug));
        let copied = std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .and_then(|()| std::fs::copy(exe, &tmp))
            .and_then(|_| std::fs::rename(&tmp, &kept));
        let Some(stat) = copied.ok().and_then(|()| stat(&kept)) else {
            let _ = std::fs::remove_file(&tmp);
            return;
        };
        let source = Source {
            code: job.code.clone(),
            edition: job.edition.clone(),
            prepared,
        };
        self.entries().insert(
            job.slug.clone(),
            Entry {
                source,
                stat,
                event: event.clone(),
                by,
            },
        );
    }

    /// Forgets the snippet's kept compile.
    pub fn forget(&self, slug: &str) {
        self.entries().remove(slug);
    }

    /// The kept executable and the `compiled` event to send (saying what
    /// compiled it), when the snippet's kept compile is of exactly the
    /// job's code, against this workspace, and its copy is as it was made.
    pub fn lookup(&self, job: &Job, prepared: u64) -> Option<(PathBuf, Event)> {
        let entries = self.entries();
        let e = entries.get(&job.slug)?;
        let same = e.source.code == job.code
            && e.source.edition == job.edition
            && e.source.prepared == prepared;
        let kept = self.kept(&job.slug);
        if !same || stat(&kept) != Some(e.stat) {
            return None;
        }
        let mut event = e.event.clone();
        match &mut event {
            Event::Compiled {
                ok: true, kept: by, ..
            } => *by = Some(e.by),
            _ => return None,
        }
        Some((kept, event))
    }

    /// Marks a page as compiling ahead, unless it is already.
    fn start(self: &Arc<Self>, page: &str) -> Option<PageGuard> {
        let mut pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        pages.insert(page.to_string()).then(|| PageGuard {
            compiled: Arc::clone(self),
            page: page.to_string(),
        })
    }
}

/// A page's compile ahead under way; dropped when it ends.
struct PageGuard {
    compiled: Arc<Compiled>,
    page: String,
}

impl Drop for PageGuard {
    fn drop(&mut self) {
        let mut pages = self
            .compiled
            .pages
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        pages.remove(&self.page);
    }
}

/// `POST /__rsp/compile`: the same request as a run (and the same checks);
/// the answer streams the `compiling` and `compiled` events and nothing
/// runs. It takes the server's turn only when nothing holds it or waits for
/// it, so it never makes a run wait in line nor takes a place there; one at
/// a time per page; rustc stopped after [`TIMEOUT`]. When it cannot have the
/// turn, or the page has a compile ahead under way, nothing is done: 204 No
/// Content, not an error (the page's Run will compile; a browser logs every
/// 4xx answer to its console, and a page that points at Run as a run starts
/// meets this often).
pub async fn handle(State(app): State<Arc<App>>, req: Request) -> Response {
    let job = match request::read(&app, req).await {
        Ok(j) => j,
        Err(r) => return r.into_response(),
    };
    if job.python_file().is_some() {
        return refuse(StatusCode::BAD_REQUEST, "a Python program is not compiled").into_response();
    }
    let Some(page) = app.compiled.start(&job.page) else {
        return StatusCode::NO_CONTENT.into_response();
    };
    let Some(turn) = app.queue.try_turn() else {
        return StatusCode::NO_CONTENT.into_response();
    };
    let (events, response) = stream::channel();
    tokio::spawn(async move {
        go(&app, &job, &events).await;
        drop(turn);
        drop(page);
        drop(events);
    });
    response
}

async fn go(app: &App, job: &Job, ev: &Events) {
    let Some(plan) = ready_plan(app, ev).await else {
        return;
    };
    let prepared = app.plan.prepared();
    if let Some((_, done)) = app.compiled.lookup(job, prepared) {
        let _ = ev.send(&done).await;
        return;
    }
    let kind = Kind::Compile {
        slug: job.slug.clone(),
    };
    let sb = match app.pool.take(&kind) {
        Ok(sb) => sb,
        Err(e) => return super::no_sandbox(e, ev).await,
    };
    let timeout = TIMEOUT.min(app.cfg.compile_timeout);
    if let Ok((exe, event)) = compile::compile(sb, &plan, job, app, ev, timeout).await {
        app.compiled
            .remember(job, prepared, &exe, &event, Kept::Ahead);
    }
    app.pool.refill(kind);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::request::Lang;

    fn job(code: &str) -> Job {
        Job {
            slug: "zombie".into(),
            edition: "2021".into(),
            code: code.into(),
            page: "p".into(),
            lang: Lang::Rust,
            chapter: None,
        }
    }

    fn ok() -> Event {
        Event::Compiled {
            ok: true,
            output: "warning: x".into(),
            ms: 99,
            ansi: String::new(),
            diagnostics: Vec::new(),
            kept: None,
        }
    }

    #[test]
    fn only_exactly_the_kept_code_and_an_untouched_copy_match() {
        let dir = std::env::temp_dir().join(format!("runner-ahead-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let built = dir.join("built");
        std::fs::write(&built, b"program A").unwrap();
        let c = Compiled::new(dir.join("kept"));
        c.remember(&job("A"), 1, &built, &ok(), Kept::Ahead);
        // The sandbox's output may change after: the kept copy does not.
        std::fs::write(&built, b"program X").unwrap();
        let (kept, event) = c.lookup(&job("A"), 1).unwrap();
        assert_eq!(std::fs::read(&kept).unwrap(), b"program A");
        assert!(
            matches!(
                event,
                Event::Compiled {
                    ok: true,
                    ms: 99,
                    kept: Some(Kept::Ahead),
                    ..
                }
            ),
            "{event:?}"
        );
        assert!(c.lookup(&job("A "), 1).is_none(), "other code");
        assert!(c.lookup(&job("A"), 2).is_none(), "another workspace");
        // A copy rewritten (same size, a day older) is not used.
        let mtime = std::fs::metadata(&kept).unwrap().modified().unwrap();
        std::fs::write(&kept, b"program B").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&kept)
            .unwrap()
            .set_modified(mtime - Duration::from_secs(86_400))
            .unwrap();
        assert!(c.lookup(&job("A"), 1).is_none(), "a rewritten copy");
        c.remember(&job("A"), 1, &built, &ok(), Kept::EarlierRun);
        assert!(c.lookup(&job("A"), 1).is_some());
        c.forget("zombie");
        assert!(c.lookup(&job("A"), 1).is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
