//! `POST /__rsp/run`: one run, in one direction, one module per stage:
//!
//! 1. `request.rs`: the request becomes a validated [`request::Job`] (or a
//!    4xx with a sentence the page shows);
//! 2. `queue.rs`: a place in line (409 for a page that already runs, 503
//!    when the line is full), then the turn; a run whose client left while
//!    waiting never starts;
//! 3. `compile.rs`: rustc in a compile sandbox (`sandbox/`), against the
//!    prebuilt plan the server holds (`server/plan.rs`), unless `ahead.rs`
//!    has the program compiled already (`POST /__rsp/compile`, sent by the
//!    page while the reader pauses typing, or an earlier run);
//! 4. `execute.rs`: the program in a run sandbox, started while rustc worked;
//! 5. `stream.rs`: the events, streamed to the page as NDJSON lines.
//!
//! Every stage watches the client: when it goes, the stage kills its
//! sandbox (all its processes, through the pid namespace and the cgroup)
//! and the run ends.
pub mod ahead;
pub mod compile;
pub mod execute;
pub mod queue;
pub mod request;
pub mod stream;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};

use crate::events::{Event, Kept};
use crate::prepare::Plan;
use crate::sandbox::Kind;
use crate::server::plan::PlanState;
use crate::server::App;
use queue::Ticket;
use request::Job;
use stream::Events;

/// The handler: checks, a place in line, then the run streams on in a task
/// of its own while the response is already on its way.
pub async fn handle(State(app): State<Arc<App>>, req: Request) -> Response {
    let job = match request::read(&app, req).await {
        Ok(j) => j,
        Err(r) => return r.into_response(),
    };
    let (ticket, ahead) = match app.queue.admit(&job.page) {
        Ok(t) => t,
        Err(r) => return r.into_response(),
    };
    let (events, response) = stream::channel();
    tokio::spawn(async move {
        go(&app, &job, ticket, ahead, &events).await;
        // `ticket` was dropped inside: the page may run again before it
        // sees the end of this stream (when `events` goes here).
        drop(events);
    });
    response
}

/// After a run that ended with an exit status: when the code is the
/// book's own, its output beside the book's (`compare.rs`).
async fn compare_and_send(app: &App, job: &Job, ran: Option<execute::Ran>, ev: &Events) {
    let (Some(ran), Some(chapter)) = (ran, job.chapter.clone()) else {
        return;
    };
    let root = app.layout.root.clone();
    let store = app.cfg.store_dir();
    let job = job.clone();
    let found = tokio::task::spawn_blocking(move || {
        crate::compare::compare(&root, &store, &chapter, &job, &ran)
    })
    .await
    .ok()
    .flatten();
    if let Some(c) = found {
        let _ = ev.send(&Event::Compare(Box::new(c))).await;
    }
}

/// The prepared workspace, once the turn is ours; when there is none, the
/// page is told why.
async fn ready_plan(app: &App, ev: &Events) -> Option<Arc<Plan>> {
    let why = match app.plan.current() {
        PlanState::Ready(p) => return Some(p),
        PlanState::Failed(message) => Event::Error {
            message: format!("the runner's workspace does not build: {message}"),
        },
        PlanState::Preparing => Event::Error {
            message: "the runner's workspace is not ready".into(),
        },
    };
    let _ = ev.send(&why).await;
    None
}

async fn go(app: &App, job: &Job, mut ticket: Ticket, ahead: usize, ev: &Events) {
    if ahead > 0 && ev.send(&Event::Queued { ahead }).await.is_err() {
        return;
    }
    if matches!(app.plan.current(), PlanState::Preparing)
        && ev
            .send(&Event::Preparing {
                message: "preparing the runner's workspace (the first time, cargo builds nix: about a minute)".into(),
            })
            .await
            .is_err()
    {
        return;
    }
    let turn = tokio::select! {
        t = ticket.turn() => t,
        _ = ev.closed() => return,
    };
    let Some(plan) = ready_plan(app, ev).await else {
        return;
    };
    match job.python_file() {
        // Python: nothing to compile; the run sandbox sees the venv.
        Some(_) => python(app, job, ev).await,
        None => rust(app, &plan, job, ev).await,
    }
    drop(turn);
    drop(ticket);
}

/// Tells the page the runner could not start a sandbox.
async fn no_sandbox(e: anyhow::Error, ev: &Events) {
    let _ = ev
        .send(&Event::Error {
            message: format!("the runner could not start a sandbox: {e:#}"),
        })
        .await;
}

async fn python(app: &App, job: &Job, ev: &Events) {
    match app.pool.take(&Kind::Run) {
        Ok(run_sb) => {
            let ran = execute::execute(run_sb, None, job, app, ev).await;
            compare_and_send(app, job, ran, ev).await;
        }
        Err(e) => no_sandbox(e, ev).await,
    }
    app.pool.refill(Kind::Run);
}

/// Compiles (unless the program was compiled ahead) and runs.
async fn rust(app: &App, plan: &Plan, job: &Job, ev: &Events) {
    let prepared = app.plan.prepared();
    let kind = Kind::Compile {
        slug: job.slug.clone(),
    };
    let run_sb = match app.pool.take(&Kind::Run) {
        Ok(sb) => sb,
        Err(e) => return no_sandbox(e, ev).await,
    };
    let exe = match app.compiled.lookup(job, prepared) {
        Some((kept, done)) => ev.send(&done).await.ok().map(|()| kept),
        None => match app.pool.take(&kind) {
            Ok(compile_sb) => {
                let timeout = app.cfg.compile_timeout;
                let compiled = compile::compile(compile_sb, plan, job, app, ev, timeout).await;
                // Sandboxes for the next edit (of this snippet, most likely).
                app.pool.refill(kind);
                compiled.ok().map(|(exe, event)| {
                    app.compiled
                        .remember(job, prepared, &exe, &event, Kept::EarlierRun);
                    exe
                })
            }
            Err(e) => {
                no_sandbox(e, ev).await;
                None
            }
        },
    };
    match exe {
        Some(exe) => {
            let ran = execute::execute(run_sb, Some(&exe), job, app, ev).await;
            compare_and_send(app, job, ran, ev).await;
        }
        None => {
            tokio::spawn(run_sb.finish());
        }
    }
    app.pool.refill(Kind::Run);
}
