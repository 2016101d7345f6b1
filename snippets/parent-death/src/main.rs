// In production: a child that should not outlive its parent. The parent
// starts four children that each learn of its death another way: two ask
// for PR_SET_PDEATHSIG, one started from a thread that then returns, one
// from the main thread; one reads a pipe whose write end only the parent
// holds; one polls a pidfd of the parent. The thread returns first, then
// the parent is killed: who heard what, when?
//
// One executable plays the observer (the main program, a child subreaper),
// the parent and the children, chosen by an environment variable. Sync is
// by pipes, pidfds and signals: the children report on a pipe, and a ping
// (one byte each on another pipe) asks who is still there.
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;

use nix::errno::Errno;
use nix::fcntl::{fcntl, FcntlArg, FdFlag, OFlag};
use nix::libc;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::prctl;
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{getpid, getppid, pipe2, Pid};

const ROLE: &str = "PARENT_DEATH_ROLE";
/// "<report fd> <ping fd>": the pipes every process of the tree inherits.
const FDS: &str = "PARENT_DEATH_FDS";
/// The parent's pid, as the children expect to see it from getppid().
const PARENT: &str = "PARENT_DEATH_PARENT";
/// Bounds a wait that should end at once: not a sync, a guard.
const BOUND_MS: u16 = 5_000;

/// The four children, by how each learns of the parent's death.
const CHILDREN: [(&str, &str); 4] = [
    ("A", "PR_SET_PDEATHSIG=SIGTERM, started from a thread"),
    (
        "B",
        "PR_SET_PDEATHSIG=SIGTERM, started from the main thread",
    ),
    ("C", "reads a pipe whose write end only the parent holds"),
    ("D", "polls a pidfd of the parent"),
];

fn main() -> ExitCode {
    let result = match std::env::var(ROLE).as_deref() {
        Ok("parent") => parent(),
        Ok(kind) if CHILDREN.iter().any(|(k, _)| *k == kind) => child(kind),
        _ => observer(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("parent-death: {why}");
            ExitCode::FAILURE
        }
    }
}

// ------------------------------------------------------------ the observer

fn observer() -> Result<(), String> {
    // The parent's orphans come to us when it dies: we can reap them.
    prctl::set_child_subreaper(true).map_err(|e| format!("prctl: {e}"))?;
    let mut tree = Tree::start()?;
    println!("[observer] the parent started four children:");
    for (kind, how) in CHILDREN {
        println!("[observer]   {kind}: {how}");
    }

    println!("== the thread that started A returns; the parent lives on");
    tree.send("end the thread")?;
    let a = tree.line()?;
    println!("[parent]   {a}");
    const FOLLOWS: &str =
        "PR_SET_PDEATHSIG follows the thread: A dies, B, C and D live";
    // Before the ping: a live A would take one of the three pings' bytes.
    expect(a == "A: killed by SIGTERM", FOLLOWS)?;
    let alive = ping(&mut tree, &["B", "C", "D"])?;
    for line in &alive {
        println!("[observer] ping: {line}");
    }
    expect(alive.len() == 3, FOLLOWS)?;

    println!("== the parent is killed (SIGKILL)");
    let status = tree.kill_parent()?;
    println!("[observer] the parent: {}", how(status));
    let mut said = vec![tree.line()?, tree.line()?];
    said.sort();
    for line in &said {
        println!("[child]    {line}");
    }
    for kind in ["B", "C", "D"] {
        // The parent's orphans are ours now: we are a subreaper.
        let end = how(waitpid(tree.pid(kind), None).map_err(err)?);
        println!("[observer] {kind}: {end}, reaped by the observer");
        let want = match kind {
            "B" => "killed by SIGTERM",
            _ => "exited with status 0",
        };
        expect(end == want, "each child notices the parent's death")?;
    }
    expect(
        said[0].starts_with("C: end of file") && said[1].starts_with("D: the"),
        "C and D say how they noticed",
    )?;
    tree.parent = None;
    Ok(())
}

/// The parent and its four children, seen from the observer. Dropping it
/// on an early return kills the parent and every child it knows of.
struct Tree {
    parent: Option<Child>,
    commands: File,
    reports: BufReader<File>,
    ping: File,
    pids: Vec<(String, Pid)>,
}

impl Drop for Tree {
    fn drop(&mut self) {
        if let Some(parent) = &mut self.parent {
            for (_, pid) in &self.pids {
                let _ = kill(*pid, Signal::SIGKILL);
            }
            let _ = parent.kill();
            reap_all();
        }
    }
}

impl Tree {
    fn start() -> Result<Tree, String> {
        let (report_r, report_w) = pipe2(OFlag::O_CLOEXEC).map_err(err)?;
        let (ping_r, ping_w) = pipe2(OFlag::O_CLOEXEC).map_err(err)?;
        // These two go down the tree: not close-on-exec.
        for fd in [&report_w, &ping_r] {
            fcntl(fd, FcntlArg::F_SETFD(FdFlag::empty())).map_err(err)?;
        }
        let fds = format!("{} {}", report_w.as_raw_fd(), ping_r.as_raw_fd());
        let mut parent = Command::new(std::env::current_exe().map_err(err)?)
            .env(ROLE, "parent")
            .env(FDS, fds)
            .stdin(Stdio::piped())
            .spawn()
            .map_err(|e| format!("spawn the parent: {e}"))?;
        drop((report_w, ping_r)); // the tree has its copies
        let commands =
            parent.stdin.take().map(|s| File::from(OwnedFd::from(s)));
        let mut tree = Tree {
            parent: Some(parent),
            commands: commands.ok_or("no stdin for the parent")?,
            reports: BufReader::new(File::from(report_r)),
            ping: File::from(ping_w),
            pids: Vec::new(),
        };
        // "pids A=.. B=.. C=.. D=.." and each child's "ready", in the order
        // the processes happened to write them.
        let mut ready = 0;
        while ready < CHILDREN.len() || tree.pids.is_empty() {
            let line = tree.line()?;
            let Some(pids) = line.strip_prefix("pids ") else {
                expect(line.ends_with(" ready"), "every child gets ready")?;
                ready += 1;
                continue;
            };
            for word in pids.split(' ') {
                let (kind, pid) =
                    word.split_once('=').ok_or("bad pids line")?;
                let pid = Pid::from_raw(pid.parse().map_err(err)?);
                tree.pids.push((kind.to_string(), pid));
            }
        }
        Ok(tree)
    }

    fn pid(&self, kind: &str) -> Pid {
        let found = self.pids.iter().find(|(k, _)| k == kind);
        found.map_or(Pid::from_raw(0), |(_, p)| *p)
    }

    fn send(&mut self, command: &str) -> Result<(), String> {
        writeln!(self.commands, "{command}").map_err(err)
    }

    /// One report line, waiting at most twice BOUND_MS for it: the parent
    /// may itself wait BOUND_MS for a child before it reports.
    fn line(&mut self) -> Result<String, String> {
        if !self.reports.buffer().contains(&b'\n') {
            let fd = self.reports.get_ref().as_fd();
            let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
            if poll(&mut fds, PollTimeout::from(2 * BOUND_MS)).map_err(err)?
                == 0
            {
                return Err("no report from the tree".into());
            }
        }
        let mut line = String::new();
        if self.reports.read_line(&mut line).map_err(err)? == 0 {
            return Err("the tree's reports ended early".into());
        }
        Ok(line.trim_end().to_string())
    }

    fn kill_parent(&mut self) -> Result<WaitStatus, String> {
        let parent = self.parent.as_ref().ok_or("no parent")?;
        let pid = Pid::from_raw(parent.id() as i32);
        kill(pid, Signal::SIGKILL).map_err(err)?;
        waitpid(pid, None).map_err(err)
    }
}

// ANCHOR: ping
/// One byte per child on the ping pipe: each of `kinds` that is still
/// running reads one and answers with what it watches. A child that had
/// noticed anything would have said so and exited instead.
fn ping(tree: &mut Tree, kinds: &[&str]) -> Result<Vec<String>, String> {
    tree.ping.write_all(&vec![b'?'; kinds.len()]).map_err(err)?;
    let mut answers = Vec::new();
    for _ in kinds {
        answers.push(tree.line()?);
    }
    answers.sort();
    Ok(answers)
}
// ANCHOR_END: ping

// -------------------------------------------------------------- the parent

// ANCHOR: parent
/// The parent: A from a thread, the others from the main thread. It keeps
/// the write end of C's stdin, and answers the observer's commands.
fn parent() -> Result<(), String> {
    let mut report = inherited(0)?;
    let (end_tx, end_rx) = mpsc::channel::<()>();
    let (a_tx, a_rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        let _ = a_tx.send(spawn_child("A", true, Stdio::null()));
        // The thread lives until the observer says so, then returns.
        let _ = end_rx.recv();
    });
    let a = a_rx.recv().map_err(err)??;
    let b = spawn_child("B", true, Stdio::null())?;
    let (pipe_r, _pipe_w) = std::io::pipe().map_err(err)?;
    let c = spawn_child("C", false, Stdio::from(pipe_r))?;
    let d = spawn_child("D", false, Stdio::null())?;
    let pids = format!("A={} B={} C={} D={}", a.id(), b.id(), c.id(), d.id());
    say(&mut report, &format!("pids {pids}"))?;

    for command in std::io::stdin().lines() {
        if command.map_err(err)? == "end the thread" {
            end_tx.send(()).map_err(err)?;
            thread.join().map_err(|_| "the thread panicked")?;
            let a_died = wait_exit(&a, BOUND_MS)?;
            say(&mut report, &format!("A: {a_died}"))?;
            break;
        }
    }
    // Until the observer kills us.
    std::io::stdin().read_to_end(&mut Vec::new()).map_err(err)?;
    Ok(())
}
// ANCHOR_END: parent

// ANCHOR: pdeathsig
/// Starts child `kind`; with `pdeathsig`, the child asks the kernel for
/// SIGTERM when its parent dies, and checks that it is not already too
/// late (the parent already gone: no signal would ever come).
fn spawn_child(
    kind: &str,
    pdeathsig: bool,
    stdin: Stdio,
) -> Result<Child, String> {
    let parent = getpid();
    let mut cmd = Command::new(std::env::current_exe().map_err(err)?);
    cmd.env(ROLE, kind)
        .env(PARENT, parent.to_string())
        .stdin(stdin);
    if pdeathsig {
        // SAFETY: prctl(2) and getppid(2) are async-signal-safe system
        // calls; nothing is allocated between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                prctl::set_pdeathsig(Signal::SIGTERM)?;
                if getppid() != parent {
                    return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
                }
                Ok(())
            });
        }
    }
    cmd.spawn().map_err(|e| format!("spawn {kind}: {e}"))
}
// ANCHOR_END: pdeathsig

// ------------------------------------------------------------ the children

// ANCHOR: watch
/// What C and D watch: C its stdin, a pipe that ends when the last write
/// end is closed, which the kernel does for the parent as it dies; D a
/// pidfd of the parent, readable once the parent has exited. A and B
/// watch nothing: SIGTERM, if it comes, ends them.
fn watched(kind: &str) -> Result<Option<OwnedFd>, String> {
    match kind {
        "C" => Ok(Some(
            std::io::stdin().as_fd().try_clone_to_owned().map_err(err)?,
        )),
        "D" => {
            let parent: i32 =
                std::env::var(PARENT).map_err(err)?.parse().map_err(err)?;
            let pidfd = pidfd_open(parent).map_err(err)?;
            // Opened by pid: if the parent had died already, the pid could
            // name another process. Still our parent now, so it is ours.
            expect(getppid().as_raw() == parent, "the parent is alive")?;
            Ok(Some(pidfd))
        }
        _ => Ok(None),
    }
}
// ANCHOR_END: watch

/// A child: reports ready, then waits for what it watches, or for one ping.
fn child(kind: &str) -> Result<(), String> {
    let mut report = inherited(0)?;
    let ping = inherited(1)?;
    let watched = watched(kind)?;
    say(&mut report, &format!("{kind} ready"))?;
    let mut pinged = false;
    loop {
        let mut fds = Vec::new();
        if let Some(w) = &watched {
            fds.push(PollFd::new(w.as_fd(), PollFlags::POLLIN));
        }
        if !pinged {
            fds.push(PollFd::new(ping.as_fd(), PollFlags::POLLIN));
        }
        match poll(&mut fds, PollTimeout::NONE) {
            Err(Errno::EINTR) => continue,
            r => r.map_err(err)?,
        };
        let ready: Vec<bool> =
            fds.iter().map(|f| f.any().unwrap_or(false)).collect();
        if watched.is_some() && ready[0] {
            let what = match kind {
                "C" => "end of file on the pipe",
                _ => "the parent's pidfd is readable",
            };
            say(&mut report, &format!("{kind}: {what}: the parent is gone"))?;
            return Ok(());
        }
        if !pinged && ready[ready.len() - 1] {
            // Exactly one byte: the observer wrote one per child.
            (&ping).read_exact(&mut [0u8; 1]).map_err(err)?;
            let still = match kind {
                "A" | "B" => "no signal",
                "C" => "no end of file",
                _ => "the pidfd is not readable",
            };
            say(&mut report, &format!("{kind}: still running, {still}"))?;
            pinged = true;
        }
    }
}

// ------------------------------------------------------------- helpers

/// The inherited pipe end number `i` of FDS (0: report, 1: ping).
fn inherited(i: usize) -> Result<File, String> {
    let fds = std::env::var(FDS).map_err(err)?;
    let fd: RawFd = fds
        .split(' ')
        .nth(i)
        .ok_or("FDS is short")?
        .parse()
        .map_err(err)?;
    // SAFETY: the observer left these open for the tree; owned once here.
    Ok(unsafe { File::from_raw_fd(fd) })
}

/// One line in one write(2): the tree shares the pipe.
fn say(report: &mut File, line: &str) -> Result<(), String> {
    report
        .write_all(format!("{line}\n").as_bytes())
        .map_err(err)
}

fn pidfd_open(pid: i32) -> Result<OwnedFd, Errno> {
    // SAFETY: pidfd_open(pid, flags) returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(Errno::last());
    }
    // SAFETY: a fresh fd that nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// How `child` ended, if it does within `limit_ms`; a pidfd says when.
fn wait_exit(child: &Child, limit_ms: u16) -> Result<String, String> {
    let pid = child.id() as i32;
    let pidfd = pidfd_open(pid).map_err(err)?;
    let mut fds = [PollFd::new(pidfd.as_fd(), PollFlags::POLLIN)];
    if poll(&mut fds, PollTimeout::from(limit_ms)).map_err(err)? == 0 {
        return Ok(format!("still running after {limit_ms} ms"));
    }
    Ok(how(waitpid(Pid::from_raw(pid), None).map_err(err)?))
}

/// Reaps every child until there is none left.
fn reap_all() -> Vec<WaitStatus> {
    let mut ended = Vec::new();
    loop {
        match waitpid(None, None) {
            Ok(status) => ended.push(status),
            Err(Errno::EINTR) => continue,
            Err(_) => return ended,
        }
    }
}

fn how(status: WaitStatus) -> String {
    match status {
        WaitStatus::Exited(_, code) => format!("exited with status {code}"),
        WaitStatus::Signaled(_, sig, _) => format!("killed by {sig}"),
        other => format!("{other:?}"),
    }
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn expect(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("behaviour not seen: {what}"))
    }
}
