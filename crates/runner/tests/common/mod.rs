//! What the runner's integration tests share: the workspace, one runner at
//! a time, `runner serve` started on a free port with the sandbox required,
//! a client that talks to it as a page does, raw TCP for what a page would
//! never send, and the check that no process of a run is left.
#![allow(dead_code)] // each test file uses a part

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use runner::Event;
use runner_client::client::{parse_first_line, run_body, Client, Timed};

/// The book's workspace, two folders above this crate.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).unwrap().to_path_buf()
}

/// One server at a time: each run takes a whole core or two.
pub fn one_at_a_time() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

/// A `runner serve` process, killed and reaped when dropped.
pub struct Runner {
    child: Child,
    pub port: u16,
    pub token: String,
}

impl Runner {
    /// Starts `runner serve` for the workspace on a free port, with the
    /// sandbox required and the arguments `more` adds, and reads the port
    /// and the token from its first line.
    pub fn start(more: impl FnOnce(&mut Command)) -> Runner {
        let mut serve = Command::new(env!("CARGO_BIN_EXE_runner"));
        serve.arg("serve").arg("--root").arg(root());
        more(&mut serve);
        if !serve.get_args().any(|a| a == "--sandbox") {
            serve.args(["--sandbox", "require"]);
        }
        let mut child = serve
            .args(["--port", "0"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let (port, token) = parse_first_line(&line).unwrap_or_else(|| {
            let _ = child.kill();
            panic!("no link in {line:?} (is bubblewrap installed? cargo xtask test installs it)")
        });
        Runner { child, port, token }
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Tells the server a book was republished (a `reload` line).
    pub fn reload(&mut self) {
        let stdin = self.child.stdin.as_mut().expect("the runner's stdin");
        stdin.write_all(b"reload\n").unwrap();
        stdin.flush().unwrap();
    }

    /// Stops the server as xtask would (the end of its stdin: it ends its
    /// sandboxes, removes its cgroups and exits 0), SIGKILL if it has not
    /// gone in 20 s, and reaps it (again when dropped: a no-op). The exit
    /// status, when it went by itself.
    pub fn stop(&mut self) -> Option<std::process::ExitStatus> {
        drop(self.child.stdin.take());
        let start = Instant::now();
        loop {
            match self.child.try_wait() {
                Ok(Some(st)) => return Some(st),
                Ok(None) if start.elapsed() < Duration::from_secs(20) => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => break,
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        None
    }

    /// Kills the server at once (no clean-up of its own).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A runner on a one-page book with a 2 s timeout, ready, and a client.
pub struct Server {
    pub runner: Runner,
    pub client: Client,
    pub token: String,
    pub origin: String,
    pub book: PathBuf,
    _serial: MutexGuard<'static, ()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.runner.stop();
        let _ = std::fs::remove_dir_all(&self.book);
        // With the server gone, nothing of its sandboxes may be left.
        let start = Instant::now();
        let owner = self.runner.pid();
        loop {
            let left = sandboxed_processes(owner);
            if left.is_empty() {
                break;
            }
            if start.elapsed() > Duration::from_secs(5) {
                if !std::thread::panicking() {
                    panic!("left running after the server stopped: {left:?}");
                }
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A server whose programs may run 2 s.
pub fn server() -> Server {
    server_with(2, |_| {})
}

/// A server whose programs may run `timeout` seconds, with more arguments.
pub fn server_with(timeout: u64, more: impl FnOnce(&mut Command)) -> Server {
    let serial = one_at_a_time();
    let book = std::env::temp_dir().join(format!(
        "rsp-runner-test-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&book).unwrap();
    std::fs::write(
        book.join("index.html"),
        "<!DOCTYPE html><html><head><title>t</title></head><body>book</body></html>",
    )
    .unwrap();
    std::fs::write(book.join("style.css"), "body { color: black }\n").unwrap();
    let runner = Runner::start(|serve| {
        serve.arg("--book").arg(&book).args(["--timeout", &timeout.to_string(), "--no-warm"]);
        more(serve);
    });
    let port = runner.port;
    let token = runner.token.clone();
    let client = Client::new(runner.addr()).with_token(&token);
    wait_ready(&client);
    Server {
        runner,
        client,
        token,
        origin: format!("http://127.0.0.1:{port}"),
        book,
        _serial: serial,
    }
}

/// Waits until the runner says it is ready (its workspace prepared, its
/// warm compiles done), for up to 15 minutes.
pub fn wait_ready(c: &Client) {
    let start = Instant::now();
    while !c
        .request("GET", "/__rsp/health", &[], b"")
        .is_ok_and(|h| h.text().contains("\"ready\":true"))
    {
        assert!(start.elapsed() < Duration::from_secs(900), "the runner never got ready");
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl Server {
    /// What the runner says it got: `sandbox`, `cgroup`, `user`.
    pub fn isolation(&self, key: &str) -> String {
        let h = self.client.request("GET", "/__rsp/health", &[], b"").unwrap();
        let v: serde_json::Value = serde_json::from_slice(&h.body).unwrap();
        v["isolation"][key].as_str().unwrap_or("?").to_string()
    }

    /// Whether the runner has a cgroup per run. As root on this project's
    /// machines it must (this fails otherwise); an ordinary user without a
    /// delegated cgroup has none, and the runner says so at start.
    pub fn has_cgroup(&self) -> bool {
        let cg = self.isolation("cgroup");
        if nix::unistd::geteuid().is_root() {
            assert_ne!(cg, "none", "root gets a cgroup per run here");
        }
        if cg == "none" {
            eprintln!(
                "no cgroup for this user (the runner says so at start): no whole-run bound to test"
            );
        }
        cg != "none"
    }

    pub fn run(&self, slug: &str, code: &str) -> (u16, Vec<Timed>) {
        self.run_as("test-page", slug, code)
    }

    pub fn run_as(&self, page: &str, slug: &str, code: &str) -> (u16, Vec<Timed>) {
        let body = run_body(slug, code, page);
        let body = match traced() {
            true => body.replacen('{', "{\"trace\":true,", 1),
            false => body,
        };
        self.client.run(Some(&self.token), Some(&self.origin), &body).unwrap()
    }

    /// A run of `code` as the zombie block, under strace.
    pub fn run_traced(&self, code: &str) -> (u16, Vec<Timed>) {
        let body =
            serde_json::json!({ "slug": "zombie", "code": code, "page": "traced", "trace": true });
        self.client.run(Some(&self.token), Some(&self.origin), &body.to_string()).unwrap()
    }

    /// The server answers, and no program of a run is left.
    pub fn assert_healthy(&self) {
        let r = self.client.request("GET", "/__rsp/health", &[], b"").unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        let left = programs(self.runner.pid());
        assert!(left.is_empty(), "left running: {left:?}");
    }

    /// A raw request on a new connection: the status line's code, or
    /// None when the server closed without one.
    pub fn raw(&self, request: &[u8]) -> Option<u16> {
        raw_status(self.runner.addr(), request)
    }

    /// The body of a run request, raw.
    pub fn raw_run(&self, body: &str) -> Vec<u8> {
        format!(
            "POST /__rsp/run HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nX-RSP-Token: {}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.runner.port,
            self.token,
            body.len()
        )
        .into_bytes()
    }
}

/// `RSP_TEST_TRACE=1`: every run of [`Server::run`] under strace, as "Run
/// with trace" runs it. The program then sees two things more: strace, its
/// parent, and strace's folder in its /tmp (`.rsp-strace`).
pub fn traced() -> bool {
    std::env::var_os("RSP_TEST_TRACE").is_some()
}

/// Sends `request` on a new connection and reads the status code.
pub fn raw_status(addr: SocketAddr, request: &[u8]) -> Option<u16> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    // The server may answer and close before it has read everything.
    let _ = s.write_all(request);
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(2).any(|w| w == b"\r\n") {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let line = String::from_utf8_lossy(&head).into_owned();
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The parent of `pid`, from /proc/<pid>/stat (the fields after the
/// command name follow its last ')').
pub fn ppid(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.get(stat.rfind(')')? + 2..)?.split(' ').nth(1)?.parse().ok()
}

/// The loop devices still holding runner `pid`'s /tmp image once the
/// kernel has had up to 10 s to free them (it does so after the image's
/// last mount, in the runner's own mount namespace, is gone).
pub fn loop_devices_left(pid: u32) -> Vec<String> {
    let image = format!("target/runner/run-{pid}/tmp.img");
    let held = || -> Vec<String> {
        let devices = std::fs::read_dir("/sys/block").into_iter().flatten().flatten();
        devices
            .filter(|e| {
                let file = std::fs::read_to_string(e.path().join("loop/backing_file"));
                file.is_ok_and(|f| f.contains(&image))
            })
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect()
    };
    let start = Instant::now();
    loop {
        let left = held();
        if left.is_empty() || start.elapsed() > Duration::from_secs(10) {
            return left;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether process `pid` belongs to a sandbox of the runner `owner`: it,
/// or one of its ancestors, is that runner's bwrap or job (they carry
/// `RSP_RUNNER=<owner>` on their command line or in their environment).
/// Other runners on the machine (your `cargo xtask serve`) do not count.
fn owned_by(pid: i32, owner: u32) -> bool {
    let in_cmdline = format!("RSP_RUNNER\0{owner}\0").into_bytes();
    let in_environ = format!("RSP_RUNNER={owner}\0").into_bytes();
    let has = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    let mut p = pid;
    for _ in 0..64 {
        let proc = format!("/proc/{p}");
        let cmdline = std::fs::read(format!("{proc}/cmdline")).unwrap_or_default();
        let environ = std::fs::read(format!("{proc}/environ")).unwrap_or_default();
        if has(&cmdline, &in_cmdline) || has(&environ, &in_environ) {
            return true;
        }
        let ppid = ppid(p).unwrap_or(0);
        if ppid <= 1 {
            return false;
        }
        p = ppid;
    }
    false
}

/// Every process of a sandbox of runner `owner`: one whose executable is
/// a path inside a sandbox (the job /rsp/runner, rustc /toolchain/..., a
/// program /rsp/bin/...; the host sees them under their in-sandbox paths),
/// or a bwrap about to start a job.
pub fn sandboxed_processes(owner: u32) -> Vec<String> {
    let mut found = processes(owner, |exe| {
        exe.starts_with("/rsp/") || exe.starts_with("/toolchain/") || exe.starts_with("/tmp/rsp/")
    });
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        if cmdline.starts_with(b"/usr/bin/bwrap\0")
            && cmdline.windows(16).any(|w| w == b"/rsp/runner\0job\0")
            && owned_by(pid, owner)
        {
            found.push(format!("{} bwrap of a sandbox", e.path().display()));
        }
    }
    found
}

/// Programs of runs of runner `owner` (not the jobs standing by).
pub fn programs(owner: u32) -> Vec<String> {
    processes(owner, |exe| exe.starts_with("/rsp/bin/") || exe.starts_with("/toolchain/"))
}

fn processes(owner: u32, pick: impl Fn(&Path) -> bool) -> Vec<String> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        let p = e.path();
        let exe = std::fs::read_link(p.join("exe")).unwrap_or_default();
        if pick(&exe) && owned_by(pid, owner) {
            found.push(format!("{} {}", p.display(), exe.display()));
        }
    }
    found
}

/// Processes named `comm` (a test program names itself to be found).
pub fn named(comm: &str) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let pid = e.file_name().to_str()?.parse::<i32>().ok()?;
            let c = std::fs::read_to_string(e.path().join("comm")).ok()?;
            (c.trim_end() == comm).then_some(pid)
        })
        .collect()
}

pub fn output(events: &[Timed]) -> String {
    events
        .iter()
        .filter_map(|t| match &t.event {
            Event::Output { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

pub fn exit(events: &[Timed]) -> &Event {
    let last = &events.last().expect("no events").event;
    assert!(
        matches!(last, Event::Exit { .. }),
        "last event is not an exit: {:?}",
        events.iter().map(|t| &t.event).collect::<Vec<_>>()
    );
    last
}

pub fn error(events: &[Timed]) -> String {
    match &events.last().expect("no events").event {
        Event::Error { message } => message.clone(),
        e => panic!("expected an error, got {e:?}"),
    }
}

/// What rustc said, for a run that did not compile.
pub fn compile_error(events: &[Timed]) -> String {
    match &events.last().expect("no events").event {
        Event::Compiled { ok: false, output, .. } => output.clone(),
        e => panic!(
            "expected a failed compile, got {e:?} after {:?}",
            events.iter().map(|t| &t.event).collect::<Vec<_>>()
        ),
    }
}

/// The status line of a finished run.
pub fn status(events: &[Timed]) -> String {
    match exit(events) {
        Event::Exit { status, .. } => status.clone(),
        _ => unreachable!(),
    }
}
