//! Sandboxes started ahead of need: starting one (namespaces, mounts, the
//! job's own start) takes 10-20 ms, which an edit should not wait for. The
//! pool keeps one run sandbox and one compile sandbox for the snippet last
//! compiled (readers edit one chapter at a time) standing by; a request
//! takes it and a new one is started behind it. A sandbox is used once.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Result;

use super::{Isolation, Kind, Sandbox};

pub struct Pool {
    iso: Arc<Isolation>,
    next: AtomicU64,
    compile: Mutex<Option<Sandbox>>,
    run: Mutex<Option<Sandbox>>,
}

impl Pool {
    pub fn new(iso: Arc<Isolation>) -> Arc<Pool> {
        Arc::new(Pool {
            iso,
            next: AtomicU64::new(1),
            compile: Mutex::new(None),
            run: Mutex::new(None),
        })
    }

    pub fn isolation(&self) -> &Isolation {
        &self.iso
    }

    fn slot(&self, kind: &Kind) -> &Mutex<Option<Sandbox>> {
        match kind {
            Kind::Compile { .. } => &self.compile,
            Kind::Run => &self.run,
        }
    }

    /// A sandbox of `kind`: the one standing by if it fits and still
    /// waits, else a new one. Call `refill` once the run is over (not at
    /// once: starting one now would take CPU from the compile).
    pub fn take(self: &Arc<Self>, kind: &Kind) -> Result<Sandbox> {
        let ready = self
            .slot(kind)
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let got = match ready {
            Some(s) if s.kind == *kind && s.alive() => s,
            other => {
                if let Some(stale) = other {
                    tokio::spawn(stale.finish());
                }
                self.fresh(kind)?
            }
        };
        Ok(got)
    }

    /// A new sandbox of `kind`, not from the pool.
    pub fn fresh(&self, kind: &Kind) -> Result<Sandbox> {
        self.iso
            .start(kind, self.next.fetch_add(1, Ordering::Relaxed))
    }

    /// Starts a sandbox of `kind` to stand by (in the background).
    pub fn refill(self: &Arc<Self>, kind: Kind) {
        let pool = Arc::clone(self);
        tokio::spawn(async move {
            match pool.fresh(&kind) {
                Ok(s) => {
                    let old = pool
                        .slot(&kind)
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .replace(s);
                    if let Some(old) = old {
                        old.finish().await;
                    }
                }
                Err(e) => eprintln!("runner: could not start a sandbox to stand by: {e:#}"),
            }
        });
    }

    /// Ends the sandboxes standing by (at shutdown).
    pub async fn drain(&self) {
        let c = self
            .compile
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let r = self.run.lock().unwrap_or_else(|p| p.into_inner()).take();
        for s in [c, r].into_iter().flatten() {
            s.finish().await;
        }
    }
}
