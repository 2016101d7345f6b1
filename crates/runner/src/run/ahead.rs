//! Programs compiled ahead of their run. While the reader pauses typing, the
//! page sends its block's program to be compiled (`POST /__rsp/compile`,
//! [`handle`]); a Run of exactly that program then starts it without
//! compiling again, so the output follows the click by milliseconds where
//! rustc takes a tenth of a second. A run's own compile is remembered the
//! same way, so running a program twice compiles it once.
//!
//! One entry per snippet, because its executable has one place (rustc's
//! incremental cache needs the same output path): the last successful
//! compile, with the code and edition it was of, the workspace preparation
//! it was compiled against, and the executable's size, mtime and inode when
//! rustc had written it. Any compile of the snippet since (another edit, the
//! warm start) rewrites the file, so the entry no longer matches and the run
//! compiles. A compile sandbox writes only rustc's output there, and runs
//! copy the file into their own sandbox, so a program that matches is the
//! one compiled from that code.
use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::queue::Ticket;
use super::request::{self, refuse, Job};
use super::stream::{self, Events};
use super::{compile, ready_plan};
use crate::events::Event;
use crate::sandbox::Kind;
use crate::server::App;

/// What a compile is of: the code, its edition, the workspace preparation.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Source {
    code: String,
    edition: String,
    prepared: u64,
}

/// An executable file as rustc left it: size, mtime (ns), inode.
type Stat = (u64, i128, u64);

fn stat(exe: &Path) -> Option<Stat> {
    let m = std::fs::metadata(exe).ok()?;
    Some((
        m.len(),
        i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
        m.ino(),
    ))
}

struct Entry {
    source: Source,
    stat: Stat,
    /// The `compiled` event as it was sent: rustc's time, its warnings.
    event: Event,
}

/// The last successful compile of each snippet.
#[derive(Default)]
pub struct Compiled {
    entries: Mutex<HashMap<String, Entry>>,
}

impl Compiled {
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records that `exe` was just built from the job's code (`event`: the
    /// successful `compiled` event sent for it).
    pub fn remember(&self, job: &Job, prepared: u64, exe: &Path, event: &Event) {
        let Some(stat) = stat(exe) else { return };
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
            },
        );
    }

    /// Forgets the snippet's entry: a compile of it is about to rewrite `exe`.
    pub fn forget(&self, slug: &str) {
        self.entries().remove(slug);
    }

    /// The `compiled` event to send (marked `ahead`) when `exe` is still
    /// what was built from exactly the job's code, against this workspace.
    pub fn lookup(&self, job: &Job, prepared: u64, exe: &Path) -> Option<Event> {
        let entries = self.entries();
        let e = entries.get(&job.slug)?;
        let same = e.source.code == job.code
            && e.source.edition == job.edition
            && e.source.prepared == prepared;
        if !same || stat(exe) != Some(e.stat) {
            return None;
        }
        match e.event.clone() {
            Event::Compiled {
                ok: true,
                output,
                ms,
                ansi,
                diagnostics,
                ..
            } => Some(Event::Compiled {
                ok: true,
                output,
                ms,
                ansi,
                diagnostics,
                ahead: true,
            }),
            _ => None,
        }
    }
}

/// `POST /__rsp/compile`: the same request as a run (and the same checks);
/// the answer streams the `compiling` and `compiled` events and nothing
/// runs. One at a time per page, beside its run; compiles and runs of all
/// pages take the server's one turn in arrival order.
pub async fn handle(State(app): State<Arc<App>>, req: Request) -> Response {
    let job = match request::read(&app, req).await {
        Ok(j) => j,
        Err(r) => return r.into_response(),
    };
    if job.python_file().is_some() {
        return refuse(StatusCode::BAD_REQUEST, "a Python program is not compiled").into_response();
    }
    let (ticket, _) = match app.queue.admit(&format!("{}\u{0}ahead", job.page)) {
        Ok(t) => t,
        Err(r) => return r.into_response(),
    };
    let (events, response) = stream::channel();
    tokio::spawn(async move {
        go(&app, &job, ticket, &events).await;
        drop(events);
    });
    response
}

async fn go(app: &App, job: &Job, mut ticket: Ticket, ev: &Events) {
    let turn = tokio::select! {
        t = ticket.turn() => t,
        _ = ev.closed() => return,
    };
    let Some(plan) = ready_plan(app, ev).await else {
        return;
    };
    let prepared = app.plan.prepared();
    let exe = app.pool.isolation().host_exe(&job.slug);
    if let Some(done) = app.compiled.lookup(job, prepared, &exe) {
        let _ = ev.send(&done).await;
        return;
    }
    let sb = match app.pool.take(&Kind::Compile {
        slug: job.slug.clone(),
    }) {
        Ok(sb) => sb,
        Err(e) => {
            let _ = ev
                .send(&Event::Error {
                    message: format!("the runner could not start a sandbox: {e:#}"),
                })
                .await;
            return;
        }
    };
    app.compiled.forget(&job.slug);
    if let Ok((exe, event)) = compile::compile(sb, &plan, job, app, ev).await {
        app.compiled.remember(job, prepared, &exe, &event);
    }
    app.pool.refill(Kind::Compile {
        slug: job.slug.clone(),
    });
    drop(turn);
    drop(ticket);
}
