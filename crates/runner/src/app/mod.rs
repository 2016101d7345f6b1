//! `runner serve`: the app's state and its router, on 127.0.0.1 only, for
//! the browser that opened the link printed at start (SECURITY.md says what
//! each layer defends): `conns.rs` accepts connections, `auth.rs` checks
//! Host, token and cookie, `book.rs` serves the book, `events.rs` the live
//! reload streams, `run/` the runs. tower-http's TraceLayer logs requests
//! when `RUST_LOG` asks (e.g. `RUST_LOG=tower_http=debug`).
pub mod auth;
pub mod book;
pub mod conns;
pub mod events;

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::extract::{FromRef, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tokio::io::AsyncBufReadExt;
use tower_http::trace::TraceLayer;

use crate::prepare::Layout;
use crate::run::request::{self, Gate};
use crate::run::{RunConfig, Runs};
use crate::sandbox::{Budget, HostPaths, Isolation, Mode};
use auth::Guard;

pub use auth::{HEALTH_PATH, PROJECT_PATH, RUN_PATH, TOKEN_PARAM};
pub use book::TOKEN_META;
pub const EVENTS_PATH: &str = "/__rsp/events";

/// `runner serve`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// The book's workspace (default: found from the current folder).
    #[arg(long)]
    pub root: Option<PathBuf>,
    /// The built book (default: <root>/book).
    #[arg(long)]
    pub book: Option<PathBuf>,
    /// 0 picks a free port; the address is the first line printed.
    #[arg(long, default_value_t = 3000)]
    pub port: u16,
    /// Seconds a program may run before it and all it started are killed.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub timeout: u64,
    /// Runs that may wait for their turn before new ones are refused.
    #[arg(long, default_value_t = 4)]
    pub queue: usize,
    /// Do not compile every snippet once at start.
    #[arg(long)]
    pub no_warm: bool,
    /// auto: the best isolation this machine allows, stated at start;
    /// require: refuse to start without bubblewrap's namespaces;
    /// off: no namespaces and no cgroup (only to measure what they cost).
    #[arg(long, value_enum, default_value = "auto")]
    pub sandbox: Mode,
    /// Memory bound of a run (all its processes together), in MiB.
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u64).range(16..=1 << 20))]
    pub memory_mib: u64,
    /// Task (process and thread) bound of a run.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(8..=1 << 16))]
    pub tasks: u64,
    /// The size of a run's /tmp, in MiB.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u64).range(8..=1 << 16))]
    pub tmp_mib: u64,
    /// What compiles keep on disk per snippet (incremental folder and
    /// executable), in MiB.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=1 << 20))]
    pub cache_mib: u64,
    /// The output store an unchanged block's run is compared with: a
    /// name under target/outputs/ (build: `cargo xtask build`; serve:
    /// what `cargo xtask serve` shows) or a folder.
    #[arg(long, default_value = "build")]
    pub store: PathBuf,
}

/// What every request handler shares.
#[derive(Clone)]
pub struct App {
    pub runs: Arc<Runs>,
    pub guard: Arc<Guard>,
    pub files: Arc<book::Files>,
    pub streams: Arc<events::Streams>,
}

impl FromRef<App> for Arc<book::Files> {
    fn from_ref(app: &App) -> Self {
        Arc::clone(&app.files)
    }
}

impl FromRef<App> for Arc<events::Streams> {
    fn from_ref(app: &App) -> Self {
        Arc::clone(&app.streams)
    }
}

/// A random token, hex, from the kernel's generator.
pub fn new_token() -> Result<String> {
    let mut buf = [0u8; 16];
    getrandom::fill(&mut buf).context("getrandom")?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

async fn health(State(app): State<App>) -> impl IntoResponse {
    let body = serde_json::json!({
        "ok": true,
        "ready": app.runs.ready.load(Ordering::SeqCst),
        "prepared": app.runs.plan.prepared(),
        "isolation": app.runs.iso.summary(),
    });
    ([(header::CACHE_CONTROL, "no-store")], axum::Json(body))
}

async fn run(State(app): State<App>, req: Request) -> Response {
    let job = request::read_body(&app.guard.gate, req).await.and_then(|b| {
        let anonymous = || format!("anonymous-{}", app.runs.next_id());
        request::job(b, &app.runs.iso.host.layout, anonymous)
    });
    match job.and_then(|j| app.runs.start(j)) {
        Ok(r) => r,
        Err(r) => r.into_response(),
    }
}

/// `POST /__rsp/project`: the program as a Cargo project (`project.rs`).
async fn project(State(app): State<App>, req: Request) -> Response {
    let job = request::read_body(&app.guard.gate, req)
        .await
        .and_then(|b| request::job(b, &app.runs.iso.host.layout, String::new));
    let job = match job {
        Ok(j) => j,
        Err(r) => return r.into_response(),
    };
    let root = app.runs.iso.host.layout.root.clone();
    let made = tokio::task::spawn_blocking(move || crate::project::archive(&root, &job)).await;
    match made.map_err(anyhow::Error::from).and_then(|r| r) {
        Ok((name, bytes)) => (
            [
                (header::CONTENT_TYPE, "application/gzip".to_string()),
                (header::CACHE_CONTROL, "no-store".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => request::refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("could not make the project: {e:#}"),
        )
        .into_response(),
    }
}

pub fn router(app: App) -> Router {
    Router::new()
        .route(HEALTH_PATH, get(health))
        .route(RUN_PATH, post(run))
        .route(PROJECT_PATH, post(project))
        .route(EVENTS_PATH, get(events::events))
        .fallback(book::serve)
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&app.guard), auth::guard))
        .layer(TraceLayer::new_for_http())
        .with_state(app)
}

/// Reads the runner's stdin (see `main.rs`): each `reload` line tells open
/// pages to reload; returns at EOF.
async fn read_stdin(app: App) {
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if line.trim() == "reload" {
            app.streams.reload();
            app.runs.tasks.spawn(Arc::clone(&app.runs).reload());
        }
    }
}

/// stdin's end, SIGINT (Ctrl-C) or SIGTERM.
async fn stopped(app: App) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut int), Ok(mut term)) =
        (signal(SignalKind::interrupt()), signal(SignalKind::terminate()))
    else {
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
    let root = match cfg.root {
        // Absolute: cargo and the sandboxes are started in other folders.
        Some(r) => r.canonicalize().with_context(|| format!("--root {}", r.display()))?,
        None => supervisor::locate::workspace_root(&std::env::current_dir()?)
            .context("no workspace (Cargo.toml and snippets/) above this folder; pass --root")?,
    };
    let book = cfg.book.unwrap_or_else(|| root.join("book"));
    let store = match cfg.store.components().count() == 1 && cfg.store.is_relative() {
        true => supervisor::locate::target_dir(&root).join("outputs").join(&cfg.store),
        false => cfg.store,
    };
    let mut budget = Budget::default();
    budget.run.memory = cfg.memory_mib << 20;
    budget.run.tasks = cfg.tasks;
    budget.tmp_bytes = cfg.tmp_mib << 20;
    budget.cache_bytes = cfg.cache_mib << 20;
    let listener = TcpListener::bind(("127.0.0.1", cfg.port)).with_context(|| {
        format!(
            "cannot listen on 127.0.0.1:{} (is another `cargo xtask serve` running? try --port)",
            cfg.port
        )
    })?;
    listener.set_nonblocking(true)?;
    let port = listener.local_addr()?.port();
    let host = HostPaths {
        layout: Layout::new(&root),
        toolchain: crate::prepare::find_sysroot()?,
        runner: std::env::current_exe().context("finding the runner's own executable")?,
    };
    let iso = Isolation::detect(cfg.sandbox, host, budget)?;
    let token = new_token()?;
    // The first line: tests, the bench and xtask read the port from it.
    println!(
        "runner: serving {} with edit-and-run on http://127.0.0.1:{port}/?{TOKEN_PARAM}={token} (open this link; Ctrl-C to stop)",
        book.display()
    );
    for line in iso.statement() {
        eprintln!("runner: {line}");
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let runs = Runs::new(
        iso,
        RunConfig {
            run_timeout: Duration::from_secs(cfg.timeout),
            compile_timeout: Duration::from_secs(60),
            output_cap: supervisor::Limits::default().output_cap,
            store,
        },
        cfg.queue,
    );
    let served = rt.block_on(async {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let origins = [format!("http://127.0.0.1:{port}"), format!("http://localhost:{port}")];
        let layout = runs.iso.host.layout.clone();
        let app = App {
            files: Arc::new(book::Files::new(book, token.clone(), layout)),
            streams: Arc::new(events::Streams::new(origins.clone())),
            guard: Arc::new(Guard {
                gate: Gate { token, origins, body_cap: 256 * 1024 },
                hosts: [format!("127.0.0.1:{port}"), format!("localhost:{port}")],
                cookie: format!("rsp-runner-{port}"),
                port,
            }),
            runs: Arc::clone(&runs),
        };
        runs.tasks.spawn(Arc::clone(&runs).start_up(!cfg.no_warm));
        conns::serve(listener, router(app.clone()), stopped(app.clone())).await;
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
