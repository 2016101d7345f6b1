//! The prebuilt workspace (`prepare.rs`) as the server holds it: prepared
//! once at start, then again only when a file watcher (notify) sees the
//! root's Cargo.toml or Cargo.lock or a snippet's Cargo.toml change. Runs
//! read the held plan; none re-checks the workspace. Preparing takes the
//! queue's turn, so no compile runs against a half-built workspace.
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

use super::App;
use crate::events::Event;
use crate::prepare::{prepare, Plan};
use crate::run::compile;
use crate::sandbox::Kind;

#[derive(Clone)]
pub enum PlanState {
    Preparing,
    Ready(Arc<Plan>),
    Failed(String),
}

pub struct Holder(Mutex<PlanState>, std::sync::atomic::AtomicU64);

impl Holder {
    pub fn new() -> Holder {
        Holder(Mutex::new(PlanState::Preparing), Default::default())
    }

    /// How many times the workspace was prepared (for /__rsp/health).
    pub fn prepared(&self) -> u64 {
        self.1.load(Ordering::SeqCst)
    }

    pub fn current(&self) -> PlanState {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn set(&self, s: PlanState) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = s;
    }
}

impl Default for Holder {
    fn default() -> Self {
        Holder::new()
    }
}

/// Prepares (holding the turn) and stores the result.
async fn prepare_now(app: &Arc<App>) -> Option<Arc<Plan>> {
    let _turn = app.queue.exclusive().await;
    app.plan.set(PlanState::Preparing);
    let layout = app.layout.clone();
    let result = tokio::task::spawn_blocking(move || prepare(&layout)).await;
    app.plan.1.fetch_add(1, Ordering::SeqCst);
    match result {
        Ok(Ok(p)) => {
            let p = Arc::new(p);
            eprintln!("runner: workspace ready ({})", p.link.describe());
            app.plan.set(PlanState::Ready(Arc::clone(&p)));
            Some(p)
        }
        Ok(Err(e)) => {
            let msg = format!("{e:#}");
            eprintln!("runner: could not prepare the workspace: {msg}");
            app.plan.set(PlanState::Failed(msg));
            None
        }
        Err(e) => {
            app.plan.set(PlanState::Failed(e.to_string()));
            None
        }
    }
}

/// Compiles every snippet once in a compile sandbox, so the first edit of
/// each is incremental.
async fn warm(app: &Arc<App>, plan: &Plan) {
    let started = Instant::now();
    for slug in app.layout.slugs() {
        let main = app
            .layout
            .root
            .join("snippets")
            .join(&slug)
            .join("src/main.rs");
        let Ok(code) = std::fs::read_to_string(&main) else {
            continue;
        };
        let _turn = app.queue.exclusive().await;
        // This compile rewrites the snippet's one executable.
        app.compiled.forget(&slug);
        let kind = Kind::Compile { slug: slug.clone() };
        let Ok(mut sb) = app.pool.fresh(&kind) else {
            continue;
        };
        let spec = compile::spec(&sb, plan, &slug, "2021", &code, app.cfg.compile_timeout);
        if sb.send(&spec).await.is_ok() {
            while let Some(line) = sb.next_line().await {
                if serde_json::from_str::<Event>(&line).is_ok_and(|e| e.is_final()) {
                    break;
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

fn is_manifest(p: &Path, root: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str());
    match p.parent() {
        Some(dir) if dir == root => matches!(name, Some("Cargo.toml" | "Cargo.lock")),
        Some(dir) => name == Some("Cargo.toml") && dir.parent() == Some(&root.join("snippets")),
        None => false,
    }
}

/// Start-up: prepare, warm, then re-prepare whenever a manifest changes.
pub fn start(app: Arc<App>) {
    tokio::spawn(async move {
        if let Some(plan) = prepare_now(&app).await {
            if app.cfg.warm {
                warm(&app, &plan).await;
            }
        }
        app.ready.store(true, Ordering::SeqCst);
        let root = app.layout.root.clone();
        let (tx, mut rx) = mpsc::unbounded_channel::<()>();
        let watch_root = root.clone();
        let watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            if let Ok(ev) = res {
                // cargo reads them when it prepares: only changes count.
                if super::reload::changes(&ev.kind)
                    && ev.paths.iter().any(|p| is_manifest(p, &watch_root))
                {
                    let _ = tx.send(());
                }
            }
        });
        let Ok(mut watcher) = watcher else {
            eprintln!(
                "runner: cannot watch the Cargo.toml files: restart the runner after changing one"
            );
            return;
        };
        let watched = watcher
            .watch(&root, RecursiveMode::NonRecursive)
            .and_then(|()| watcher.watch(&root.join("snippets"), RecursiveMode::Recursive));
        if let Err(e) = watched {
            eprintln!("runner: cannot watch the Cargo.toml files ({e}): restart the runner after changing one");
            return;
        }
        while rx.recv().await.is_some() {
            while let Ok(Some(())) =
                tokio::time::timeout(Duration::from_millis(500), rx.recv()).await
            {}
            eprintln!("runner: a Cargo.toml changed: preparing the workspace again");
            prepare_now(&app).await;
        }
        drop(watcher);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_manifests_count() {
        let r = Path::new("/r");
        assert!(is_manifest(Path::new("/r/Cargo.toml"), r));
        assert!(is_manifest(Path::new("/r/Cargo.lock"), r));
        assert!(is_manifest(Path::new("/r/snippets/zombie/Cargo.toml"), r));
        assert!(!is_manifest(Path::new("/r/snippets/zombie/src/main.rs"), r));
        assert!(!is_manifest(
            Path::new("/r/snippets/zombie/x/Cargo.toml"),
            r
        ));
        assert!(!is_manifest(Path::new("/r/target/Cargo.toml"), r));
    }
}
