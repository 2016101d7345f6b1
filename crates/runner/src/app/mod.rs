//! `runner serve`: the app's state and its router, on 127.0.0.1 only, for
//! the browser that opened the link printed at start (SECURITY.md says what
//! each layer defends). The parts:
//!
//! - `conns.rs`: accepting connections (limits, a cap that evicts idle ones);
//! - `auth.rs`: Host check, the token link, the cookie, the 403 page;
//! - `book.rs`: the book's files, the token in pages;
//! - `events.rs`: live reload streams;
//! - `run/` (beside this module): the runs, stage by stage.
//!
//! Requests are logged with tower-http's TraceLayer when `RUST_LOG` asks
//! (e.g. `RUST_LOG=tower_http=debug`).
pub mod auth;
pub mod book;
pub mod conns;
pub mod events;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tokio::io::AsyncBufReadExt;
use tower_http::trace::TraceLayer;

use crate::prepare::Layout;
use crate::run::request::{self, Gate};
use crate::run::{plan, RunConfig, Runs};
use crate::sandbox::{Budget, HostPaths, Isolation, Mode};

pub const RUN_PATH: &str = "/__rsp/run";
pub const PROJECT_PATH: &str = "/__rsp/project";
pub const EVENTS_PATH: &str = "/__rsp/events";
pub const HEALTH_PATH: &str = "/__rsp/health";
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
    /// Runs waiting (on the whole server) before new ones are refused.
    pub queue: usize,
    /// Compile every snippet once at start, so the first edit is incremental.
    pub warm: bool,
    pub sandbox: Mode,
    pub budget: Budget,
    /// The book's records an unchanged block is compared with: a name
    /// under `target/outputs/` or a folder.
    pub store: PathBuf,
}

impl Config {
    pub fn new(root: &Path) -> Config {
        Config {
            root: root.to_path_buf(),
            book: root.join("book"),
            port: 3000,
            run_timeout: Duration::from_secs(10),
            queue: 4,
            warm: true,
            sandbox: Mode::Auto,
            budget: Budget::default(),
            store: PathBuf::from("build"),
        }
    }

    fn store_dir(&self) -> PathBuf {
        if self.store.components().count() == 1 && self.store.is_relative() {
            let target = supervisor::locate::target_dir(&self.root);
            target.join("outputs").join(&self.store)
        } else {
            self.store.clone()
        }
    }
}

/// What every request handler shares.
pub struct App {
    pub runs: Arc<Runs>,
    pub gate: Gate,
    pub port: u16,
    /// `rsp-runner-<port>`: cookies are not kept apart by port.
    pub cookie: String,
    pub hosts: [String; 2],
    pub book: PathBuf,
    pub files: book::Files,
    pub streams: events::Streams,
}

/// A random token, hex, from the kernel's generator.
pub fn new_token() -> Result<String> {
    let mut buf = [0u8; 16];
    getrandom::fill(&mut buf).context("getrandom")?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

async fn health(State(app): State<Arc<App>>) -> impl IntoResponse {
    let body = serde_json::json!({
        "ok": true,
        "ready": app.runs.ready.load(Ordering::SeqCst),
        "prepared": app.runs.plan.prepared(),
        "isolation": app.runs.iso.summary(),
    });
    ([(header::CACHE_CONTROL, "no-store")], axum::Json(body))
}

async fn run(State(app): State<Arc<App>>, req: Request) -> Response {
    let job = request::read_body(&app.gate, req).await.and_then(|b| {
        let anonymous = || format!("anonymous-{}", app.runs.next_id());
        request::job(b, &app.runs.iso.host.layout, anonymous)
    });
    match job.and_then(|j| app.runs.start(j)) {
        Ok(r) => r,
        Err(r) => r.into_response(),
    }
}

/// `POST /__rsp/project`: the program as a Cargo project (`project.rs`).
async fn project(State(app): State<Arc<App>>, req: Request) -> Response {
    let job = request::read_body(&app.gate, req)
        .await
        .and_then(|b| request::job(b, &app.runs.iso.host.layout, String::new));
    let job = match job {
        Ok(j) => j,
        Err(r) => return r.into_response(),
    };
    let root = app.runs.iso.host.layout.root.clone();
    let made = tokio::task::spawn_blocking(move || crate::project::archive(&root, &job)).await;
    match made {
        Ok(Ok((name, bytes))) => (
            [
                (header::CONTENT_TYPE, "application/gzip".to_string()),
                (header::CACHE_CONTROL, "no-store".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        Ok(Err(e)) => request::refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("could not make the project: {e:#}"),
        )
        .into_response(),
        Err(e) => request::refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route(HEALTH_PATH, get(health))
        .route(RUN_PATH, post(run))
        .route(PROJECT_PATH, post(project))
        .route(EVENTS_PATH, get(events::events))
        .fallback(book::serve)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&app),
            auth::guard,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(app)
}

/// Reads the runner's stdin (see `main.rs`): each `reload` line tells open
/// pages to reload; returns at EOF.
async fn read_stdin(app: Arc<App>) {
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if line.trim() == "reload" {
            app.streams.reload();
            app.runs.tasks.spawn(plan::reload(Arc::clone(&app.runs)));
        }
    }
}

/// stdin's end, SIGINT (Ctrl-C) or SIGTERM.
async fn stopped(app: Arc<App>) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return read_stdin(app).await;
    };
    tokio::select! {
        _ = read_stdin(app) => {}
        _ = int.recv() => {}
        _ = term.recv() => {}
    }
}

/// Runs the server until stdin ends or a signal says to stop; then ends
/// every run, reaps every sandbox and takes down what it set up.
pub fn serve(cfg: Config) -> Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", cfg.port)).with_context(|| {
        format!(
            "cannot listen on 127.0.0.1:{} (is another `cargo xtask serve` running? try --port)",
            cfg.port
        )
    })?;
    listener.set_nonblocking(true)?;
    let port = listener.local_addr()?.port();
    let host = HostPaths {
        layout: Layout::new(&cfg.root),
        toolchain: crate::prepare::find_sysroot()?,
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
    let runs = Runs::new(
        iso,
        RunConfig {
            run_timeout: cfg.run_timeout,
            compile_timeout: Duration::from_secs(60),
            output_cap: supervisor::Limits::default().output_cap,
            store: cfg.store_dir(),
        },
        cfg.queue,
    );
    let served = rt.block_on(async {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let app = Arc::new(App {
            hosts: [format!("127.0.0.1:{port}"), format!("localhost:{port}")],
            gate: Gate {
                token,
                origins: [
                    format!("http://127.0.0.1:{port}"),
                    format!("http://localhost:{port}"),
                ],
                body_cap: 256 * 1024,
            },
            cookie: format!("rsp-runner-{port}"),
            port,
            files: book::Files::new(&cfg.book),
            book: cfg.book.clone(),
            streams: events::Streams::new(),
            runs: Arc::clone(&runs),
        });
        runs.tasks.spawn(plan::start(Arc::clone(&runs), cfg.warm));
        conns::serve(
            listener,
            router(Arc::clone(&app)),
            stopped(Arc::clone(&app)),
        )
        .await;
        app.streams.end_all();
        runs.shut_down().await;
        anyhow::Ok(())
    });
    rt.shutdown_timeout(Duration::from_secs(3));
    runs.iso.remove();
    served
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
