//! A run, one module per stage: `request.rs` (the request becomes a checked
//! [`Job`], or a 4xx with a sentence the page shows), `queue.rs` (a place in
//! line, then the turn), `compile.rs` (rustc in a compile sandbox against
//! the workspace `plan.rs` holds, while the run sandbox starts),
//! `execute.rs` (the program in the run sandbox), `stream.rs` (the events
//! to the page as NDJSON). Every stage watches the client and the server's
//! stop: when either goes, it ends its sandbox (every process killed and
//! reaped). The server waits for every run task before it exits.
pub mod compile;
pub mod execute;
pub mod plan;
pub mod queue;
pub mod request;
pub mod stream;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::response::Response;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::compare;
use crate::prepare::Plan;
use crate::sandbox::{Isolation, Kind, Sandbox};
use crate::wire::{Event, Job, Lang, Ran};
use plan::PlanState;
use queue::{Queue, Ticket};
use request::Refusal;
use stream::Events;

/// What runs are told at start.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub run_timeout: Duration,
    pub compile_timeout: Duration,
    pub output_cap: usize,
    /// The folder of the book's records an unchanged block is compared with.
    pub store: PathBuf,
}

/// The runs of one server: the sandboxes, the line, the workspace.
pub struct Runs {
    pub iso: Isolation,
    pub queue: Arc<Queue>,
    pub plan: plan::Holder,
    pub cfg: RunConfig,
    /// The start-up preparation and warm compiles are done.
    pub ready: AtomicBool,
    /// Every run's task, which the server waits for before it exits.
    pub tasks: TaskTracker,
    /// Cancelled when the server stops.
    pub stop: CancellationToken,
    ids: AtomicU64,
}

/// The path the book shows for a Python program, relative to the root.
pub fn python_file(job: &Job) -> Option<String> {
    match &job.lang {
        Lang::Python { name } => Some(format!("snippets/{}/python/{name}.py", job.slug)),
        Lang::Rust => None,
    }
}

impl Runs {
    pub fn new(iso: Isolation, cfg: RunConfig, queue: usize) -> Arc<Runs> {
        Arc::new(Runs {
            iso,
            queue: Queue::new(queue),
            plan: plan::Holder::default(),
            cfg,
            ready: AtomicBool::new(false),
            tasks: TaskTracker::new(),
            stop: CancellationToken::new(),
            ids: AtomicU64::new(1),
        })
    }

    pub fn next_id(&self) -> u64 {
        self.ids.fetch_add(1, Ordering::Relaxed)
    }

    /// A place in line for `job`; the run goes on in a task of its own
    /// while the response streams its events.
    pub fn start(self: &Arc<Self>, job: Job) -> Result<Response, Refusal> {
        let (ticket, ahead) = self.queue.admit(&job.page)?;
        let (events, response) = stream::channel(self.stop.clone());
        let runs = Arc::clone(self);
        self.tasks.spawn(async move {
            runs.go(&job, ticket, ahead, &events).await;
        });
        Ok(response)
    }

    /// Start-up: prepares the workspace, then compiles every snippet once
    /// (`warm`), so the first edit of each is incremental.
    pub async fn start_up(self: Arc<Self>, warm: bool) {
        let l = &self.iso.host.layout;
        if let (Some(plan), true) = (self.plan.prepare(&self.queue, l).await, warm) {
            let started = std::time::Instant::now();
            for slug in l.slugs().into_iter().take_while(|_| !self.stop.is_cancelled()) {
                let main = l.root.join("snippets").join(&slug).join("src/main.rs");
                if let Ok(code) = std::fs::read_to_string(&main) {
                    let _turn = self.queue.exclusive().await;
                    self.warm(&plan, &slug, &code).await;
                }
            }
            let s = started.elapsed().as_secs_f64();
            eprintln!("runner: compiled every snippet once in {s:.1} s; runs are incremental now");
        }
        self.ready.store(true, Ordering::SeqCst);
    }

    async fn warm(&self, plan: &Plan, slug: &str, code: &str) {
        let kind = Kind::Compile { slug: slug.into() };
        let Ok(mut sb) = self.iso.start(&kind, self.next_id()).await else { return };
        let spec = compile::spec(&sb.view, plan, slug, "2021", code, self.cfg.compile_timeout);
        if sb.send(&spec).await.is_ok() {
            loop {
                tokio::select! {
                    line = sb.next_line() => match line {
                        Some(l) if !l.contains(r#""event":"compiled""#) => continue,
                        _ => break,
                    },
                    _ = self.stop.cancelled() => break,
                }
            }
        }
        sb.finish().await;
    }

    /// After the book was republished: prepares again if a manifest changed.
    pub async fn reload(self: Arc<Self>) {
        let l = &self.iso.host.layout;
        if self.ready.load(Ordering::SeqCst) && self.plan.changed(l).await {
            eprintln!("runner: a Cargo.toml changed: preparing the workspace again");
            self.plan.prepare(&self.queue, l).await;
        }
    }

    /// Ends every run (as if its client left) and waits until all their
    /// sandboxes are gone.
    pub async fn shut_down(&self) {
        self.stop.cancel();
        self.tasks.close();
        self.tasks.wait().await;
    }

    async fn go(&self, job: &Job, mut ticket: Ticket, ahead: usize, ev: &Events) {
        if ahead > 0 && ev.send(&Event::Queued { ahead }).await.is_err() {
            return;
        }
        if matches!(self.plan.current(), PlanState::Preparing) {
            let e = Event::Preparing { message: "preparing the runner's workspace (the first time, cargo builds nix: about a minute)".into() };
            if ev.send(&e).await.is_err() {
                return;
            }
        }
        let _turn = tokio::select! {
            t = ticket.turn() => t,
            _ = ev.closed() => return,
        };
        let plan = match self.plan.current() {
            PlanState::Ready(p) => p,
            PlanState::Failed(m) => {
                let e =
                    Event::Error { message: format!("the runner's workspace does not build: {m}") };
                return self.send(ev, e).await;
            }
            PlanState::Preparing => {
                let e = Event::Error { message: "the runner's workspace is not ready".into() };
                return self.send(ev, e).await;
            }
        };
        let ran = match python_file(job) {
            Some(file) => self.python(job, file, ev).await,
            None => self.rust(&plan, job, ev).await,
        };
        if let (Some(ran), Some(chapter)) = (ran, job.chapter.clone()) {
            let (root, store, job) =
                (self.iso.host.layout.root.clone(), self.cfg.store.clone(), job.clone());
            let found = tokio::task::spawn_blocking(move || {
                compare::compare(&root, &store, &chapter, &job, &ran)
            })
            .await
            .ok()
            .flatten();
            if let Some(c) = found {
                let _ = ev.send(&Event::Compare(Box::new(c))).await;
            }
        }
        // Still our turn: no sandbox of this snippet is alive.
        tokio::task::block_in_place(|| self.iso.bound_cache(&job.slug));
    }

    async fn send(&self, ev: &Events, e: Event) {
        let _ = ev.send(&e).await;
    }

    /// Without a cgroup, RLIMIT_NPROC is the process bound (per user).
    fn nproc(&self) -> Option<u64> {
        self.iso.cgroups.is_none().then(|| {
            let uid = self.iso.user.unwrap_or_else(|| nix::unistd::getuid().as_raw());
            tasks_of(uid) + 64
        })
    }

    async fn python(&self, job: &Job, file: String, ev: &Events) -> Option<Ran> {
        let kind = Kind::Python { file: file.clone(), code: job.code.clone() };
        match self.iso.start(&kind, self.next_id()).await {
            Ok(sb) => self.execute(sb, job, Some(&file), ev).await,
            Err(e) => self.no_sandbox(e, ev).await,
        }
    }

    /// Compiles, while the run sandbox starts, and runs.
    async fn rust(&self, plan: &Plan, job: &Job, ev: &Events) -> Option<Ran> {
        let kind = Kind::Compile { slug: job.slug.clone() };
        let compile_sb = match self.iso.start(&kind, self.next_id()).await {
            Ok(sb) => sb,
            Err(e) => return self.no_sandbox(e, ev).await,
        };
        let (view, timeout) = (&compile_sb.view, self.cfg.compile_timeout);
        let spec = compile::spec(view, plan, &job.slug, &job.edition, &job.code, timeout);
        let run = Kind::Run { slug: job.slug.clone() };
        let (built, run_sb) = tokio::join!(
            compile::compile(compile_sb, &spec, ev, self.iso.budget.compile.memory),
            self.iso.start(&run, self.next_id())
        );
        match run_sb {
            Ok(sb) if built => self.execute(sb, job, None, ev).await,
            Ok(sb) => {
                sb.finish().await;
                None
            }
            Err(e) if built => self.no_sandbox(e, ev).await,
            Err(_) => None,
        }
    }

    async fn execute(&self, sb: Sandbox, job: &Job, py: Option<&str>, ev: &Events) -> Option<Ran> {
        let (c, nproc, root) = (&self.cfg, self.nproc(), &self.iso.host.layout.root);
        let trace = (job.trace)
            .then(|| tokio::task::block_in_place(|| compare::trace_plan(root, &c.store, job)));
        let exprs = trace.as_ref().map(|t| t.exprs.clone());
        match execute::spec(&sb.view, &job.slug, py, c.run_timeout, c.output_cap, nproc) {
            Ok(spec) => {
                let spec = execute::traced(spec, &sb.view, exprs);
                execute::execute(sb, &spec, ev, self.iso.budget.run, trace.as_ref()).await
            }
            Err(message) => {
                sb.finish().await;
                self.send(ev, Event::Error { message }).await;
                None
            }
        }
    }

    /// Tells the page the runner could not start a sandbox.
    async fn no_sandbox(&self, e: anyhow::Error, ev: &Events) -> Option<Ran> {
        let e = Event::Error { message: format!("the runner could not start a sandbox: {e:#}") };
        self.send(ev, e).await;
        None
    }
}

/// How many tasks (threads: what RLIMIT_NPROC counts) `uid` has now.
fn tasks_of(uid: u32) -> u64 {
    let mut n = 0;
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(status) = std::fs::read_to_string(e.path().join("status")) else {
            continue;
        };
        let field = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse::<u64>().ok())
        };
        if field("Uid:") == Some(uid as u64) {
            n += field("Threads:").unwrap_or(1);
        }
    }
    n
}
