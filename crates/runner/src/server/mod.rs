//! `runner serve`: the book from `book/` and the run endpoint, on
//! 127.0.0.1 only, for the browser that opened the link printed at start
//! (see SECURITY.md for what each layer defends). The parts:
//!
//! - `conns.rs`: accepting connections (hyper's HTTP/1 with header-read
//!   timeout, header and size limits, a cap on connections that evicts idle
//!   ones first, a write timeout);
//! - `auth.rs`: Host check, the token link, the cookie, the 403 page;
//! - `book.rs`: the book's files (tower-http's ServeDir), the token in pages;
//! - `reload.rs`: live reload, server-sent events when `book/` was rebuilt;
//! - `plan.rs`: the prebuilt workspace, prepared at start and again when a
//!   Cargo.toml changes (a file watcher), and the warm compiles;
//! - `run/` (beside this module): the run endpoint, stage by stage.
pub mod auth;
pub mod book;
pub mod conns;
pub mod plan;
pub mod reload;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::watch;

use crate::prepare::Layout;
use crate::run::queue::Queue;
use crate::sandbox::pool::Pool;
use crate::sandbox::{Budget, HostPaths, Isolation, Mode};

pub const RUN_PATH: &str = "/__rsp/run";
/// A program compiled ahead of its run (`run/ahead.rs`).
pub const COMPILE_PATH: &str = "/__rsp/compile";
pub const PROJECT_PATH: &str = "/__rsp/project";
pub const EVENTS_PATH: &str = "/__rsp/events";
pub const HEALTH_PATH: &str = "/__rsp/health";
pub const TOKEN_HEADER: &str = "X-RSP-Token";
pub const TOKEN_META: &str = "rsp-runner-token";
/// The query parameter of the link printed at start.
pub const TOKEN_PARAM: &str = "token";

#[derive(Debug, Clone)]
pub struct Config {
    /// The book's workspace root.
    pub root: PathBuf,
    /// The built book (mdbook's output folder).
    pub book: PathBuf,
    /// 0: any free port (printed on stdout).
    pub port: u16,
    pub run_timeout: Duration,
    pub compile_timeout: Duration,
    /// Runs waiting (on the whole server) before new ones are refused.
    pub queue: usize,
    pub body_cap: usize,
    pub output_cap: usize,
    /// Compile every snippet once at start, so the first edit is incremental.
    pub warm: bool,
    pub sandbox: Mode,
    pub budget: Budget,
    /// The output store whose records an unchanged block is compared with
    /// (`target/outputs/<name>`: `build` for `cargo xtask build`, `serve`
    /// for the book `cargo xtask serve` shows), or a folder.
    pub store: PathBuf,
}

impl Config {
    pub fn new(root: &Path) -> Config {
        Config {
            root: root.to_path_buf(),
            book: root.join("book"),
            port: 3000,
            run_timeout: Duration::from_secs(10),
            compile_timeout: Duration::from_secs(60),
            queue: 4,
            body_cap: 256 * 1024,
            output_cap: supervisor::Limits::default().output_cap,
            warm: true,
            sandbox: Mode::Auto,
            budget: Budget::default(),
            store: PathBuf::from("build"),
        }
    }

    /// The store's folder: a name under `target/outputs/`, or a path.
    pub fn store_dir(&self) -> PathBuf {
        if self.store.components().count() == 1 && self.store.is_relative() {
            supervisor::locate::target_dir(&self.root)
                .join("outputs")
                .join(&self.store)
        } else {
            self.store.clone()
        }
    }
}

/// What every request handler shares.
pub struct App {
    pub cfg: Config,
    pub layout: Layout,
    pub token: String,
    pub port: u16,
    /// `rsp-runner-<port>`: cookies are not kept apart by port.
    pub cookie: String,
    pub hosts: [String; 2],
    pub origins: [String; 2],
    pub queue: Arc<Queue>,
    pub pool: Arc<Pool>,
    pub plan: plan::Holder,
    pub book_version: watch::Receiver<u64>,
    /// The start-up preparation and warm compiles are done.
    pub ready: AtomicBool,
    pub files: book::Files,
    /// The last successful compile of each snippet (`run/ahead.rs`).
    pub compiled: Arc<crate::run::ahead::Compiled>,
    ids: AtomicU64,
}

impl App {
    pub fn next_id(&self) -> u64 {
        self.ids.fetch_add(1, Ordering::Relaxed)
    }
}

/// A random token, hex, from the kernel's generator.
pub fn new_token() -> Result<String> {
    let mut buf = [0u8; 16];
    let mut got = 0;
    while got < buf.len() {
        // SAFETY: writes at most the remaining length into our buffer.
        let n = unsafe { libc::getrandom(buf[got..].as_mut_ptr().cast(), buf.len() - got, 0) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(e).context("getrandom");
            }
            continue;
        }
        got += n as usize;
    }
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

async fn health(State(app): State<Arc<App>>) -> impl IntoResponse {
    let ready = app.ready.load(Ordering::SeqCst);
    let mut body = serde_json::json!({
        "ok": true,
        "ready": ready,
        "prepared": app.plan.prepared(),
    });
    body["isolation"] = app.pool.isolation().summary();
    (
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        axum::Json(body),
    )
}

fn router(app: Arc<App>) -> Router {
    Router::new()
        .route(HEALTH_PATH, get(health))
        .route(RUN_PATH, post(crate::run::handle))
        .route(COMPILE_PATH, post(crate::run::ahead::handle))
        .route(PROJECT_PATH, post(crate::project::handle))
        .route(EVENTS_PATH, get(reload::events))
        .fallback(book::serve)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&app),
            auth::guard,
        ))
        .with_state(app)
}

/// Runs the server until SIGINT or SIGTERM.
pub fn serve(cfg: Config) -> Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", cfg.port)).with_context(|| {
        format!(
            "cannot listen on 127.0.0.1:{} (is another `cargo xtask serve` running? try --port)",
            cfg.port
        )
    })?;
    listener.set_nonblocking(true)?;
    let port = listener.local_addr()?.port();
    let layout = Layout::new(&cfg.root);
    let toolchain = crate::prepare::find_sysroot()?;
    let host = HostPaths {
        layout: layout.clone(),
        toolchain,
        runner: std::env::current_exe().context("finding the runner's own executable")?,
    };
    let iso = Isolation::detect(cfg.sandbox, host, cfg.budget)?;
    let token = new_token()?;
    // The first line: tests, the bench and xtask read the port from it.
    println!(
        "runner: serving {} with edit-and-run on http://127.0.0.1:{port}/?{TOKEN_PARAM}={token} (open this link; Ctrl-C to stop)",
        cfg.book.display()
    );
    for line in iso.statement() {
        eprintln!("runner: {line}");
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let iso = Arc::new(iso);
        let pool = Pool::new(Arc::clone(&iso));
        let (book_tx, book_rx) = watch::channel(0u64);
        let app = Arc::new(App {
            hosts: [format!("127.0.0.1:{port}"), format!("localhost:{port}")],
            origins: [
                format!("http://127.0.0.1:{port}"),
                format!("http://localhost:{port}"),
            ],
            cookie: format!("rsp-runner-{port}"),
            token,
            port,
            queue: Queue::new(cfg.queue),
            pool: Arc::clone(&pool),
            plan: plan::Holder::new(),
            book_version: book_rx,
            ready: AtomicBool::new(false),
            files: book::Files::new(&cfg.book),
            compiled: Arc::new(crate::run::ahead::Compiled::new(
                layout.runs().join(format!("{}-kept", std::process::id())),
            )),
            ids: AtomicU64::new(1),
            layout,
            cfg,
        });
        pool.refill(crate::sandbox::Kind::Run);
        plan::start(Arc::clone(&app));
        reload::watch_book(app.cfg.book.clone(), book_tx);
        conns::serve(listener, router(Arc::clone(&app)), shutdown()).await;
        pool.drain().await;
        app.compiled.remove_all();
        anyhow::Ok(iso)
    })
    .map(|iso| {
        // Runs still in flight are dropped with the runtime: their
        // sandboxes are killed and their groups removed as they go.
        rt.shutdown_timeout(Duration::from_secs(3));
        if let Some(c) = &iso.cgroups {
            c.remove();
        }
    })
}

/// SIGINT (Ctrl-C) or SIGTERM (xtask going away).
async fn shutdown() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = int.recv() => {}
        _ = term.recv() => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_hex() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
    }
}
