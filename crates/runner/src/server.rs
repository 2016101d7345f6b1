//! `runner serve`: serves the built book from `book/` on 127.0.0.1 and runs
//! the code a page sends.
//!
//! Security, for a server that compiles and runs what it is sent:
//! - it listens on 127.0.0.1 only;
//! - a random token is made at every start and written into each HTML page
//!   it serves (`<meta name="rsp-runner-token">`); every run must carry it in
//!   the `X-RSP-Token` header. Another site cannot read our pages (same-origin
//!   policy), so it cannot learn the token, and the custom header makes a
//!   cross-site request need a CORS preflight we never grant;
//! - every request must name us in `Host` (`127.0.0.1:PORT` or
//!   `localhost:PORT`), which defeats DNS rebinding, and a run's `Origin`, if
//!   any, must be one of those two;
//! - bodies are capped, one run at a time per page, a bounded queue;
//! - the job compiles and runs under the supervisor with rlimits, as `nobody`
//!   when we are root (see `limits.rs`).
//!
//! The parts: `run.rs` the run endpoint and its queue, `launch.rs` the
//! `runner job` processes a run starts, `reload.rs` live reload, `files.rs`
//! the book's files and the token in every page.
mod files;
mod launch;
mod reload;
mod run;

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::{Context, Result};

use crate::http::{self, Request};
use crate::prepare::Layout;
use launch::PlanState;
use run::Queue;

pub const RUN_PATH: &str = "/__rsp/run";
pub const EVENTS_PATH: &str = "/__rsp/events";
pub const HEALTH_PATH: &str = "/__rsp/health";
pub const TOKEN_HEADER: &str = "X-RSP-Token";
pub const TOKEN_META: &str = "rsp-runner-token";
/// Connections served at once.
const MAX_CONNECTIONS: u64 = 256;

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
    /// The `runner` executable, started as `runner job` for every run.
    pub job_exe: PathBuf,
    /// Compile every snippet once at start, so the first edit is incremental.
    pub warm: bool,
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
            job_exe: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("runner")),
            warm: true,
        }
    }
}

/// What the threads of every connection share; the parts below use it.
struct Shared {
    cfg: Config,
    layout: Layout,
    token: String,
    hosts: [String; 2],
    origins: [String; 2],
    plan: Mutex<PlanState>,
    plan_changed: Condvar,
    /// Whether the start-up preparation and warm compiles are done.
    warm_done: Mutex<bool>,
    /// One job at a time in this server (2 cores); a file lock makes it one
    /// at a time on the machine, also across servers.
    job: Mutex<()>,
    queue: Mutex<Queue>,
    book_version: Mutex<u64>,
    book_changed: Condvar,
    next_id: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
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

/// Compares a run's token without telling, through the time taken, how much
/// of it was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Runs the server until the process is stopped.
pub fn serve(cfg: Config) -> Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", cfg.port)).with_context(|| {
        format!(
            "cannot listen on 127.0.0.1:{} (is another `cargo xtask serve` running? try --port)",
            cfg.port
        )
    })?;
    let port = listener.local_addr()?.port();
    let layout = Layout::new(&cfg.root);
    let shared = Arc::new(Shared {
        hosts: [format!("127.0.0.1:{port}"), format!("localhost:{port}")],
        origins: [
            format!("http://127.0.0.1:{port}"),
            format!("http://localhost:{port}"),
        ],
        token: new_token()?,
        layout,
        plan: Mutex::new(PlanState::Preparing),
        plan_changed: Condvar::new(),
        warm_done: Mutex::new(false),
        job: Mutex::new(()),
        queue: Mutex::new(Queue::default()),
        book_version: Mutex::new(0),
        book_changed: Condvar::new(),
        next_id: AtomicU64::new(1),
        cfg,
    });
    println!(
        "runner: serving {} on http://127.0.0.1:{port}/ with edit-and-run (Ctrl-C to stop)",
        shared.cfg.book.display()
    );
    let _ = std::io::stdout().flush();

    let s = Arc::clone(&shared);
    std::thread::spawn(move || launch::start_up(&s));
    let s = Arc::clone(&shared);
    std::thread::spawn(move || reload::watch_book(&s));

    let open = Arc::new(AtomicU64::new(0));
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        let s = Arc::clone(&shared);
        let open = Arc::clone(&open);
        // A page opens a few dozen connections; a flood gets refused.
        if open.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            open.fetch_sub(1, Ordering::SeqCst);
            continue;
        }
        std::thread::spawn(move || {
            match http::read_request(conn) {
                Ok(req) => handle(&s, req),
                Err(http::ReadError::Bad(why)) => {
                    eprintln!("runner: refused a request: {why}");
                }
                Err(http::ReadError::Io(_)) => {}
            }
            open.fetch_sub(1, Ordering::SeqCst);
        });
    }
    Ok(())
}

fn json_error(req: Request, status: u16, message: &str) {
    let body = serde_json::json!({ "error": message }).to_string();
    http::respond(
        req,
        status,
        &[
            ("Content-Type", "application/json"),
            ("Cache-Control", "no-store"),
        ],
        body.as_bytes(),
    );
}

fn handle(s: &Shared, req: Request) {
    if std::env::var_os("RSP_RUNNER_LOG").is_some() {
        eprintln!("runner: {} {}", req.method, req.target);
    }
    if !req
        .header("Host")
        .is_some_and(|host| s.hosts.iter().any(|h| h == host))
    {
        let msg = format!(
            "this server answers only to Host {} or {} (DNS rebinding protection)",
            s.hosts[0], s.hosts[1]
        );
        return json_error(req, 403, &msg);
    }
    let path = req.path().to_string();
    match (req.method.as_str(), path.as_str()) {
        ("POST", RUN_PATH) => run::run_request(s, req),
        (_, RUN_PATH) => json_error(req, 405, "use POST"),
        ("GET", EVENTS_PATH) => reload::events(s, req),
        ("GET", HEALTH_PATH) => {
            let ready = *lock(&s.warm_done);
            let body = serde_json::json!({ "ok": true, "ready": ready }).to_string();
            http::respond(
                req,
                200,
                &[
                    ("Content-Type", "application/json"),
                    ("Cache-Control", "no-store"),
                ],
                body.as_bytes(),
            );
        }
        ("GET" | "HEAD", _) => files::static_file(s, req, &path),
        _ => json_error(req, 405, "method not allowed"),
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
        assert!(constant_time_eq(a.as_bytes(), a.clone().as_bytes()));
        assert!(!constant_time_eq(a.as_bytes(), b.as_bytes()));
    }
}
