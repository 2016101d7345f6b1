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
use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use crate::http::{self, Request};
use anyhow::{Context, Result};
use serde::Deserialize;

use crate::events::Event;
use crate::job::{CompileSpec, JobSpec, RunSpec};
use crate::limits::Sandbox;
use crate::prepare::{prepare, valid_slug, Layout, Plan};

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

enum PlanState {
    Preparing,
    Ready(Arc<Plan>),
    Failed,
}

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

#[derive(Default)]
struct Queue {
    waiting: usize,
    pages: HashSet<String>,
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
    std::thread::spawn(move || start_up(&s));
    let s = Arc::clone(&shared);
    std::thread::spawn(move || watch_book(&s));

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

/// Prepares the workspace, then compiles every snippet once (warm caches).
fn start_up(s: &Shared) {
    let result = prepare(&s.layout);
    let plan = match result {
        Ok(p) => {
            let p = Arc::new(p);
            *lock(&s.plan) = PlanState::Ready(Arc::clone(&p));
            Some(p)
        }
        Err(e) => {
            eprintln!("runner: could not prepare the workspace: {e:#}");
            *lock(&s.plan) = PlanState::Failed;
            None
        }
    };
    s.plan_changed.notify_all();
    if let (Some(plan), true) = (plan, s.cfg.warm) {
        let started = Instant::now();
        for slug in s.layout.slugs() {
            let main = s
                .layout
                .root
                .join("snippets")
                .join(&slug)
                .join("src/main.rs");
            let Ok(code) = std::fs::read_to_string(&main) else {
                continue;
            };
            let _job = lock(&s.job);
            let _machine = machine_lock(&s.layout);
            let _ = compile_only(s, &plan, &slug, &code);
        }
        eprintln!(
            "runner: compiled every snippet once in {:.1} s; runs are incremental now",
            started.elapsed().as_secs_f64()
        );
    }
    *lock(&s.warm_done) = true;
}

fn compile_only(s: &Shared, plan: &Plan, slug: &str, code: &str) -> Result<()> {
    let spec = JobSpec {
        compile: Some(compile_spec(s, plan, slug, "2021", code)?),
        run: None,
    };
    run_job(s, &spec, &mut |_| true).map(|_| ())
}

/// Where a snippet's program is built: always the same path, because rustc's
/// incremental cache is only reused for the same output file (a new name
/// per run costs about 0.1 s). Jobs run one at a time on the machine.
fn exe_path(l: &Layout, slug: &str) -> PathBuf {
    l.out().join(slug).join(slug)
}

/// Writes the code where rustc will read it; the compile half of a job.
fn compile_spec(
    s: &Shared,
    plan: &Plan,
    slug: &str,
    edition: &str,
    code: &str,
) -> Result<CompileSpec> {
    let dir = s.layout.edit(slug);
    let exe = exe_path(&s.layout, slug);
    std::fs::create_dir_all(dir.join("src"))?;
    if let Some(out) = exe.parent() {
        std::fs::create_dir_all(out)?;
    }
    std::fs::write(dir.join("src/main.rs"), code)?;
    Ok(CompileSpec {
        rustc: plan.rustc.clone(),
        args: plan
            .rustc_args(&s.layout, slug, edition, &exe)
            .into_iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        cwd: dir,
        timeout_ms: s.cfg.compile_timeout.as_millis() as u64,
    })
}

/// An exclusive flock on target/runner/job.lock while a job runs.
fn machine_lock(l: &Layout) -> Option<File> {
    std::fs::create_dir_all(&l.dir).ok()?;
    let f = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(l.dir.join("job.lock"))
        .ok()?;
    // SAFETY: flock on a file descriptor we own; blocks until we hold it.
    while unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
        if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return None;
        }
    }
    Some(f)
}

/// Starts `runner job`, hands it the spec and passes each event line to
/// `send` (false: the client is gone; the job is still read to its end so it
/// can finish and clean up). Returns whether a final event was seen.
fn run_job(s: &Shared, spec: &JobSpec, send: &mut dyn FnMut(&str) -> bool) -> Result<bool> {
    let mut child = Command::new(&s.cfg.job_exe)
        .arg("job")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {} job", s.cfg.job_exe.display()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(serde_json::to_string(spec)?.as_bytes())?;
    }
    let mut final_seen = false;
    let mut alive = true;
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if serde_json::from_str::<Event>(&line).is_ok_and(|e| e.is_final()) {
                final_seen = true;
            }
            if alive {
                alive = send(&line);
            }
        }
    }
    let status = child.wait()?;
    if !final_seen && alive {
        send(
            Event::Error {
                message: format!("the runner's job process ended early ({status})"),
            }
            .line()
            .trim_end(),
        );
    }
    Ok(final_seen)
}

fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.header(name)
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
    if !header(&req, "Host").is_some_and(|host| s.hosts.iter().any(|h| h == host)) {
        let msg = format!(
            "this server answers only to Host {} or {} (DNS rebinding protection)",
            s.hosts[0], s.hosts[1]
        );
        return json_error(req, 403, &msg);
    }
    let path = req.path().to_string();
    match (req.method.as_str(), path.as_str()) {
        ("POST", RUN_PATH) => run_request(s, req),
        (_, RUN_PATH) => json_error(req, 405, "use POST"),
        ("GET", EVENTS_PATH) => events(s, req),
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
        ("GET" | "HEAD", _) => static_file(s, req, &path),
        _ => json_error(req, 405, "method not allowed"),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RunRequest {
    slug: String,
    code: String,
    #[serde(default)]
    edition: Option<String>,
    /// A random id per page load: one run at a time per page.
    #[serde(default)]
    page: Option<String>,
}

/// Frees the page's slot and its place in the queue when a run ends.
struct Slot<'a> {
    s: &'a Shared,
    page: String,
    waiting: bool,
}

impl Slot<'_> {
    fn started(&mut self) {
        if self.waiting {
            self.waiting = false;
            lock(&self.s.queue).waiting -= 1;
        }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut q = lock(&self.s.queue);
        q.pages.remove(&self.page);
        if self.waiting {
            q.waiting -= 1;
        }
    }
}

fn run_request(s: &Shared, mut req: Request) {
    if let Some(origin) = header(&req, "Origin") {
        if !s.origins.iter().any(|o| o == origin) {
            let msg =
                format!("runs are only accepted from pages of this server, not from {origin}");
            return json_error(req, 403, &msg);
        }
    }
    if header(&req, "Sec-Fetch-Site") == Some("cross-site") {
        return json_error(req, 403, "runs are not accepted from other sites");
    }
    match header(&req, TOKEN_HEADER) {
        None => {
            return json_error(
                req,
                403,
                "this run carries no token: only pages served by `cargo xtask serve` can run code",
            )
        }
        Some(t) if !constant_time_eq(t.as_bytes(), s.token.as_bytes()) => {
            return json_error(
                req,
                403,
                "wrong token: the runner was restarted since this page was loaded; reload the page",
            )
        }
        Some(_) => {}
    }
    let cap = s.cfg.body_cap;
    let too_big = format!(
        "the program is too large to run here (the limit is {} KiB)",
        cap / 1024
    );
    let body = match req.body(cap) {
        Ok(Some(b)) => b,
        Ok(None) => return json_error(req, 413, &too_big),
        Err(_) => return json_error(req, 400, "could not read the request body"),
    };
    let run: RunRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return json_error(req, 400, &format!("bad request: {e}")),
    };
    if !valid_slug(&run.slug)
        || !s
            .layout
            .root
            .join("snippets")
            .join(&run.slug)
            .join("Cargo.toml")
            .is_file()
    {
        let msg = format!("there is no snippet crate `snippets/{}`", run.slug);
        return json_error(req, 400, &msg);
    }
    let edition = run.edition.as_deref().unwrap_or("2021");
    if !["2015", "2018", "2021", "2024"].contains(&edition) {
        return json_error(req, 400, &format!("unknown Rust edition `{edition}`"));
    }
    if run.code.trim().is_empty() {
        return json_error(req, 400, "there is no code to run");
    }
    let page = match run.page {
        Some(p) if p.len() <= 64 && !p.is_empty() => p,
        Some(_) => return json_error(req, 400, "bad page id"),
        None => format!("anonymous-{}", s.next_id.fetch_add(1, Ordering::Relaxed)),
    };
    let ahead;
    {
        let mut q = lock(&s.queue);
        if q.pages.contains(&page) {
            drop(q);
            return json_error(
                req,
                409,
                "this page is already running a program: wait for it to end",
            );
        }
        if q.waiting >= s.cfg.queue {
            drop(q);
            return json_error(
                req,
                503,
                "the runner is busy with other runs; try again in a few seconds",
            );
        }
        ahead = q.pages.len();
        q.waiting += 1;
        q.pages.insert(page.clone());
    }
    let mut slot = Slot {
        s,
        page,
        waiting: true,
    };

    let Ok(mut w) = req.stream.try_clone() else {
        return;
    };
    let mut alive = http::write_head(
        &mut w,
        200,
        &[
            ("Content-Type", "application/x-ndjson; charset=utf-8"),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
            ("Transfer-Encoding", "chunked"),
        ],
        None,
    )
    .and_then(|()| w.flush())
    .is_ok();
    let mut send = |line: &str| -> bool {
        if !alive {
            return false;
        }
        let mut data = line.trim_end().as_bytes().to_vec();
        data.push(b'\n');
        alive = write!(w, "{:x}\r\n", data.len())
            .and_then(|()| w.write_all(&data))
            .and_then(|()| w.write_all(b"\r\n"))
            .and_then(|()| w.flush())
            .is_ok();
        alive
    };
    if ahead > 0 {
        send(&Event::Queued { ahead }.line());
    }
    match current_plan(s, &mut send) {
        Ok(plan) => {
            let _job = lock(&s.job);
            slot.started();
            let _machine = machine_lock(&s.layout);
            if let Err(e) = run_code(s, &plan, &run.slug, edition, &run.code, &mut send) {
                send(
                    &Event::Error {
                        message: format!("the runner failed: {e:#}"),
                    }
                    .line(),
                );
            }
        }
        Err(message) => {
            send(&Event::Error { message }.line());
        }
    }
    // Free the page's slot before the client can see the end and send again.
    drop(slot);
    let _ = w.write_all(b"0\r\n\r\n").and_then(|()| w.flush());
    http::close(req);
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The plan, prepared again if a Cargo.toml changed since.
fn current_plan(s: &Shared, send: &mut dyn FnMut(&str) -> bool) -> Result<Arc<Plan>, String> {
    let mut told = false;
    let mut state = lock(&s.plan);
    loop {
        match &*state {
            PlanState::Preparing => {
                if !told {
                    told = true;
                    send(&Event::Preparing {
                        message: "preparing the runner's workspace (the first time, cargo builds nix: about a minute)".into(),
                    }
                    .line());
                }
                state = s
                    .plan_changed
                    .wait(state)
                    .unwrap_or_else(|p| p.into_inner());
            }
            PlanState::Ready(p) if p.is_current(&s.layout) => return Ok(Arc::clone(p)),
            PlanState::Ready(_) | PlanState::Failed => {
                *state = PlanState::Preparing;
                drop(state);
                send(
                    &Event::Preparing {
                        message: "a Cargo.toml changed: rebuilding the runner's workspace".into(),
                    }
                    .line(),
                );
                let result = {
                    let _job = lock(&s.job);
                    let _machine = machine_lock(&s.layout);
                    prepare(&s.layout)
                };
                let mut st = lock(&s.plan);
                let out = match result {
                    Ok(p) => {
                        let p = Arc::new(p);
                        *st = PlanState::Ready(Arc::clone(&p));
                        Ok(p)
                    }
                    Err(e) => {
                        let msg = format!("{e:#}");
                        *st = PlanState::Failed;
                        Err(format!("the runner's workspace does not build: {msg}"))
                    }
                };
                s.plan_changed.notify_all();
                return out;
            }
        }
    }
}

fn run_code(
    s: &Shared,
    plan: &Plan,
    slug: &str,
    edition: &str,
    code: &str,
    send: &mut dyn FnMut(&str) -> bool,
) -> Result<()> {
    let id = format!(
        "{slug}-{}-{}",
        std::process::id(),
        s.next_id.fetch_add(1, Ordering::Relaxed)
    );
    let exe = exe_path(&s.layout, slug);
    let cwd = s.layout.jobs().join(&id);
    let timeout_secs = s.cfg.run_timeout.as_secs().max(1);
    let sandbox = Sandbox::for_snippet(timeout_secs);
    std::fs::create_dir_all(&cwd)?;
    if let Some((uid, gid)) = sandbox.user {
        nix::unistd::chown(
            &cwd,
            Some(nix::unistd::Uid::from_raw(uid)),
            Some(nix::unistd::Gid::from_raw(gid)),
        )?;
    }
    let mut env = vec![
        ("HOME".to_string(), cwd.to_string_lossy().into_owned()),
        ("LANG".to_string(), "C.UTF-8".to_string()),
        ("RUST_BACKTRACE".to_string(), "0".to_string()),
        ("RSP_SNIPPET".to_string(), slug.to_string()),
    ];
    if let Some(path) = std::env::var_os("PATH") {
        env.push(("PATH".into(), path.to_string_lossy().into_owned()));
    }
    let spec = JobSpec {
        compile: Some(compile_spec(s, plan, slug, edition, code)?),
        run: Some(RunSpec {
            exe: exe.clone(),
            arg0: slug.to_string(),
            cwd: cwd.clone(),
            env,
            timeout_ms: s.cfg.run_timeout.as_millis() as u64,
            output_cap: s.cfg.output_cap,
            sandbox,
        }),
    };
    let result = run_job(s, &spec, send);
    let _ = std::fs::remove_dir_all(&cwd);
    result.map(|_| ())
}

/// Server-sent events: `reload` when the book in `book/` was rebuilt
/// (by `mdbook watch`). This replaces mdbook serve's live reload.
fn events(s: &Shared, req: Request) {
    if let Some(origin) = header(&req, "Origin") {
        if !s.origins.iter().any(|o| o == origin) {
            return json_error(req, 403, "not from this server's pages");
        }
    }
    let mut w = &req.stream;
    let head = [
        ("Content-Type", "text/event-stream"),
        ("Cache-Control", "no-store"),
        ("Transfer-Encoding", "chunked"),
    ];
    if http::write_head(&mut w, 200, &head, None).is_err() {
        return;
    }
    let mut send = |text: &str| -> bool {
        write!(w, "{:x}\r\n{text}\r\n", text.len())
            .and_then(|()| w.flush())
            .is_ok()
    };
    if !send(": rsp live reload\n\n") {
        return;
    }
    let mut seen = *lock(&s.book_version);
    loop {
        let guard = lock(&s.book_version);
        let (guard, _) = s
            .book_changed
            .wait_timeout_while(guard, Duration::from_secs(15), |v| *v == seen)
            .unwrap_or_else(|p| p.into_inner());
        let now = *guard;
        drop(guard);
        let ok = if now != seen {
            seen = now;
            send(&format!("event: reload\ndata: {now}\n\n"))
        } else {
            send(": ping\n\n")
        };
        if !ok {
            return;
        }
    }
}

/// Polls book/ and bumps the version once a rebuild has settled.
fn watch_book(s: &Shared) {
    let mut last = book_stamp(&s.cfg.book);
    let mut changed = false;
    loop {
        std::thread::sleep(Duration::from_millis(400));
        let now = book_stamp(&s.cfg.book);
        if now != last {
            last = now;
            changed = true;
        } else if changed && s.cfg.book.join("index.html").is_file() {
            changed = false;
            *lock(&s.book_version) += 1;
            s.book_changed.notify_all();
        }
    }
}

fn book_stamp(dir: &Path) -> (usize, Option<SystemTime>) {
    fn walk(dir: &Path, n: &mut usize, newest: &mut Option<SystemTime>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let Ok(m) = e.metadata() else { continue };
            if m.is_dir() {
                walk(&e.path(), n, newest);
            } else {
                *n += 1;
                if let Ok(t) = m.modified() {
                    *newest = (*newest).max(Some(t));
                }
            }
        }
    }
    let (mut n, mut newest) = (0, None);
    walk(dir, &mut n, &mut newest);
    (n, newest)
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "eot" => "application/vnd.ms-fontobject",
        "txt" | "md" => "text/plain; charset=utf-8",
        "xml" => "application/xml",
        _ => "application/octet-stream",
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The file under `book` that a URL path names, if it is one.
fn resolve(book: &Path, url_path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(url_path)?;
    let mut file = book.to_path_buf();
    for part in decoded.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            p if p.contains('\0') || p.contains('\\') => return None,
            p => file.push(p),
        }
    }
    if file.is_dir() {
        file.push("index.html");
    }
    let canon = file.canonicalize().ok()?;
    let root = book.canonicalize().ok()?;
    (canon.starts_with(&root) && canon.is_file()).then_some(canon)
}

/// Adds the runner's token and the snippet list to a page's head.
pub fn inject(html: &str, token: &str, slugs: &[String]) -> String {
    let meta = format!(
        "<meta name=\"{TOKEN_META}\" content=\"{token}\"><meta name=\"rsp-runner-slugs\" content=\"{}\">",
        slugs.join(" ")
    );
    match html.find("<head>") {
        Some(i) => {
            let at = i + "<head>".len();
            format!("{}{meta}{}", &html[..at], &html[at..])
        }
        None => format!("{meta}{html}"),
    }
}

fn static_file(s: &Shared, req: Request, path: &str) {
    let (file, status) = match resolve(&s.cfg.book, path) {
        Some(f) => (f, 200),
        None => match resolve(&s.cfg.book, "/404.html") {
            Some(f) => (f, 404),
            None => {
                let msg = format!("not found; is the book built in {}?", s.cfg.book.display());
                return json_error(req, 404, &msg);
            }
        },
    };
    let Ok(bytes) = std::fs::read(&file) else {
        return json_error(req, 404, "not found");
    };
    let ctype = content_type(&file);
    let (body, cache) = if ctype.starts_with("text/html") {
        let html = String::from_utf8_lossy(&bytes);
        let body = inject(&html, &s.token, &s.layout.slugs()).into_bytes();
        // The token is in the page: never keep it in a cache.
        (body, "no-store")
    } else {
        (bytes, "no-cache")
    };
    http::respond(
        req,
        status,
        &[
            ("Content-Type", ctype),
            ("Cache-Control", cache),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
        ],
        &body,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_goes_first_in_head() {
        let html = "<!DOCTYPE html><html><head><meta charset=\"UTF-8\"></head></html>";
        let out = inject(html, "abc", &["zombie".into(), "o-direct".into()]);
        assert!(out.starts_with(
            "<!DOCTYPE html><html><head><meta name=\"rsp-runner-token\" content=\"abc\"><meta name=\"rsp-runner-slugs\" content=\"zombie o-direct\"><meta charset"
        ), "{out}");
    }

    #[test]
    fn paths_stay_inside_the_book() {
        let dir = std::env::temp_dir().join(format!("rsp-runner-resolve-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("book/sub")).unwrap();
        std::fs::write(dir.join("book/index.html"), "i").unwrap();
        std::fs::write(dir.join("book/sub/a b.html"), "a").unwrap();
        std::fs::write(dir.join("secret"), "s").unwrap();
        let book = dir.join("book");
        assert!(resolve(&book, "/").unwrap().ends_with("index.html"));
        assert!(resolve(&book, "/sub/a%20b.html").is_some());
        for bad in [
            "/../secret",
            "/%2e%2e/secret",
            "/sub/../../secret",
            "/nope.html",
            "/%zz",
        ] {
            assert!(resolve(&book, bad).is_none(), "{bad}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

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
