//! The prebuilt workspace (`prepare.rs`) as the server holds it: prepared
//! once at start, then again when `cargo xtask serve` says the book was
//! republished (`reload` on the runner's stdin) and the root's Cargo.toml
//! or Cargo.lock or a snippet's Cargo.toml changed since. Runs read the
//! held plan. Preparing takes the queue's turn, so no compile runs against
//! a half-built workspace.
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::queue::Queue;
use crate::prepare::{prepare, Layout, Plan};

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

impl Holder {
    /// Prepares (holding the turn) and stores the result.
    pub async fn prepare(&self, queue: &Queue, layout: &Layout) -> Option<Arc<Plan>> {
        let _turn = queue.exclusive().await;
        self.set(PlanState::Preparing);
        let l = layout.clone();
        let result = tokio::task::spawn_blocking(move || {
            let before = manifests(&l);
            prepare(&l).map(|p| (p, before))
        })
        .await;
        self.prepared.fetch_add(1, Ordering::SeqCst);
        match result {
            Ok(Ok((p, fingerprint))) => {
                self.manifests.store(fingerprint, Ordering::SeqCst);
                let p = Arc::new(p);
                eprintln!("runner: workspace ready");
                self.set(PlanState::Ready(Arc::clone(&p)));
                Some(p)
            }
            Ok(Err(e)) => {
                let msg = format!("{e:#}");
                eprintln!("runner: could not prepare the workspace: {msg}");
                self.set(PlanState::Failed(msg));
                None
            }
            Err(e) => {
                self.set(PlanState::Failed(e.to_string()));
                None
            }
        }
    }

    /// Whether a manifest changed since the last preparation.
    pub async fn changed(&self, layout: &Layout) -> bool {
        let l = layout.clone();
        let now = tokio::task::spawn_blocking(move || manifests(&l)).await.unwrap_or(0);
        now != self.manifests.load(Ordering::SeqCst)
    }
}
