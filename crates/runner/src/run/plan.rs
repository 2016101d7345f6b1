//! The prebuilt workspace (`prepare.rs`) as the server holds it: prepared
//! once at start, then again when `cargo xtask serve` says the book was
//! republished (`reload` on the runner's stdin) and the root's Cargo.toml
//! or Cargo.lock or a snippet's Cargo.toml changed since. Runs read the
//! held plan. Preparing takes the queue's turn, so no compile runs against
//! a half-built workspace.
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::Runs;
use crate::prepare::{prepare, Layout, Plan};
use crate::sandbox::Kind;

#[derive(Clone)]
pub enum PlanState {
    Preparing,
    Ready(Arc<Plan>),
    Failed(String),
}

#[derive(Default)]
pub struct Holder {
    state: Mutex<Option<PlanState>>,
    /// How many times the workspace was prepared (for /__rsp/health).
    prepared: AtomicU64,
    /// The manifests' fingerprint at the last preparation.
    manifests: AtomicU64,
}

impl Holder {
    pub fn prepared(&self) -> u64 {
        self.prepared.load(Ordering::SeqCst)
    }

    pub fn current(&self) -> PlanState {
        let s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.clone().unwrap_or(PlanState::Preparing)
    }

    fn set(&self, s: PlanState) {
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = Some(s);
    }
}

/// A hash of what the workspace is prepared from: the root's Cargo.toml
/// and Cargo.lock and each snippet's Cargo.toml.
fn manifests(l: &Layout) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let mut files = vec![l.root.join("Cargo.toml"), l.root.join("Cargo.lock")];
    files.extend(l.slugs().iter().map(|s| l.root.join("snippets").join(s).join("Cargo.toml")));
    for f in files {
        f.hash(&mut h);
        std::fs::read(&f).unwrap_or_default().hash(&mut h);
    }
    h.finish()
}

/// Prepares (holding the turn) and stores the result.
async fn prepare_now(runs: &Runs) -> Option<Arc<Plan>> {
    let _turn = runs.queue.exclusive().await;
    runs.plan.set(PlanState::Preparing);
    let layout = runs.iso.host.layout.clone();
    let result = tokio::task::spawn_blocking(move || {
        let before = manifests(&layout);
        prepare(&layout).map(|p| (p, before))
    })
    .await;
    runs.plan.prepared.fetch_add(1, Ordering::SeqCst);
    match result {
        Ok(Ok((p, fingerprint))) => {
            runs.plan.manifests.store(fingerprint, Ordering::SeqCst);
            let p = Arc::new(p);
            eprintln!("runner: workspace ready");
            runs.plan.set(PlanState::Ready(Arc::clone(&p)));
            Some(p)
        }
        Ok(Err(e)) => {
            let msg = format!("{e:#}");
            eprintln!("runner: could not prepare the workspace: {msg}");
            runs.plan.set(PlanState::Failed(msg));
            None
        }
        Err(e) => {
            runs.plan.set(PlanState::Failed(e.to_string()));
            None
        }
    }
}

/// Compiles every snippet once in a compile sandbox, so the first edit of
/// each is incremental.
async fn warm(runs: &Runs, plan: &Plan) {
    let started = Instant::now();
    let l = &runs.iso.host.layout;
    for slug in l.slugs() {
        let main = l.root.join("snippets").join(&slug).join("src/main.rs");
        let Ok(code) = std::fs::read_to_string(&main) else {
            continue;
        };
        let _turn = runs.queue.exclusive().await;
        if runs.stop.is_cancelled() {
            return;
        }
        let kind = Kind::Compile { slug: slug.clone() };
        let Ok(mut sb) = runs.iso.start(&kind, runs.next_id()).await else {
            continue;
        };
        let spec =
            super::compile::spec(&sb.view, plan, &slug, "2021", &code, runs.cfg.compile_timeout);
        if sb.send(&spec).await.is_ok() {
            loop {
                tokio::select! {
                    line = sb.next_line() => match line {
                        Some(l) if !l.contains(r#""event":"compiled""#) => continue,
                        _ => break,
                    },
                    _ = runs.stop.cancelled() => break,
                }
            }
        }
        sb.finish().await;
    }
    eprintln!(
        "runner: compiled every snippet once in {:.1} s; runs are incremental now",
        started.elapsed().as_secs_f64()
    );
}

/// Start-up: prepare, then warm.
pub async fn start(runs: Arc<Runs>, warm_up: bool) {
    if let Some(plan) = prepare_now(&runs).await {
        if warm_up {
            warm(&runs, &plan).await;
        }
    }
    runs.ready.store(true, Ordering::SeqCst);
}

/// After the book was republished: prepares again if a manifest changed.
pub async fn reload(runs: Arc<Runs>) {
    let l = runs.iso.host.layout.clone();
    let now = tokio::task::spawn_blocking(move || manifests(&l)).await.unwrap_or(0);
    if runs.ready.load(Ordering::SeqCst) && now != runs.plan.manifests.load(Ordering::SeqCst) {
        eprintln!("runner: a Cargo.toml changed: preparing the workspace again");
        prepare_now(&runs).await;
    }
}
