// In production: a program started as PID 1 of a new pid namespace, the way
// a container runtime starts a container's command. PID 1 inherits every
// orphan of its namespace, so a PID 1 that never waits collects zombies; and
// the kernel drops a signal sent to PID 1 that PID 1 has no handler for. An
// init that reaps and forwards signals (tini, `docker run --init`) fixes
// both.
//
// One executable plays every role, chosen by an environment variable: the
// runtime (outside the namespace), the app, a minimal init, and the app's
// worker. Sync is by pipes and pidfds, never by sleeping.
use std::ffi::{CStr, CString};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode};

use nix::errno::Errno;
use nix::fcntl::{fcntl, FcntlArg, FdFlag, OFlag};
use nix::libc;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{kill, signal, SigHandler, SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::SignalFd;
use nix::sys::wait::{waitid, waitpid, Id, WaitPidFlag, WaitStatus};
use nix::unistd::{getpid, pipe2, Pid};

const ROLE: &str = "PID_ONE_ROLE";
/// Set for the app when it should ignore SIGCHLD (`-- sig-ign`).
const SIG_IGN: &str = "PID_ONE_SIG_IGN";
/// The two descriptors PID 1 inherits: "<commands> <answers>".
const FDS: &str = "PID_ONE_FDS";
/// `RSP_DENY=pid-namespace`: act as if the kernel refused the namespace, as
/// an unprivileged sandbox would (the tests use it).
const DENY: &str = "RSP_DENY";
/// How long the runtime waits for an answer before it calls the run broken.
/// Not a sync: every answer comes at once; this only bounds a broken run.
const ANSWER_MS: u16 = 5_000;
/// Requests the app serves; each leaves three orphaned jobs behind.
const REQUESTS: usize = 3;

enum Error {
    /// The machine does not allow it: say so, and let the book build.
    NotPossible(String),
    /// The behaviour is absent, or something broke.
    Failed(String),
}

impl<E: std::fmt::Display> From<E> for Error {
    fn from(e: E) -> Error {
        Error::Failed(e.to_string())
    }
}

fn main() -> ExitCode {
    let result = match std::env::var(ROLE).as_deref() {
        Ok("app") => app(),
        Ok("init") => init(),
        Ok("worker") => worker(),
        _ => runtime(std::env::args().nth(1).as_deref())
            .map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(Error::NotPossible(why)) => {
            println!("pid-one: not possible here: {why}");
            ExitCode::SUCCESS
        }
        Err(Error::Failed(why)) => {
            eprintln!("pid-one: {why}");
            ExitCode::FAILURE
        }
    }
}

// ------------------------------------------------------------- the runtime

fn runtime(arg: Option<&str>) -> Result<(), Error> {
    match arg {
        None => {
            never_reaps()?;
            under_an_init()
        }
        Some("sig-ign") => ignores_sigchld(),
        Some(other) => Err(failed(format!("unknown argument {other:?}"))),
    }
}

fn never_reaps() -> Result<(), Error> {
    println!("== 1. the app is PID 1 of a new pid namespace, and never reaps");
    let mut c = Container::start("app", false)?;
    let pid = c.answer()?;
    println!("[app]     getpid() = {}", pid.trim_start_matches("pid "));
    expect(
        pid == "pid 1",
        "the app should be PID 1 in its new namespace",
    )?;
    let mut zombies = Vec::new();
    for request in 1..=REQUESTS {
        c.send("request")?;
        let done = c.answer()?;
        zombies = zombies_under(c.pid);
        println!("[app]     request {request}: {done}");
        println!(
            "[runtime] zombies under PID 1: {} (pids {})",
            zombies.len(),
            ns_pids(&zombies)
        );
        expect(
            zombies.len() == 3 * request,
            "every orphaned job should stay a zombie under PID 1",
        )?;
    }
    ignored_sigterm(&mut c)?;
    kill_namespace(c, &zombies)
}

fn under_an_init() -> Result<(), Error> {
    println!("== 2. the same app under an init that reaps and forwards");
    let mut c = Container::start("init", false)?;
    let pid = c.answer()?;
    println!(
        "[app]     getpid() = {}; PID 1 is the init",
        pid.trim_start_matches("pid ")
    );
    for request in 1..=REQUESTS {
        c.send("request")?;
        let (done, reaped) = answer_and_reaps(&mut c)?;
        let zombies = zombies_under(c.pid);
        println!("[app]     request {request}: {done}");
        println!("[init]    reaped {}", reaped.join(" "));
        println!("[runtime] zombies under PID 1: {}", zombies.len());
        expect(zombies.is_empty(), "an init that reaps leaves no zombies")?;
    }
    forwarded_sigterm(c)
}

// ANCHOR: sig_ign
/// A PID 1 that sets SIGCHLD to SIG_IGN: the kernel reaps its children
/// for it, orphans included, but then its own wait for the worker fails.
fn ignores_sigchld() -> Result<(), Error> {
    println!("== 3. the app is PID 1 and ignores SIGCHLD");
    let mut c = Container::start("app", true)?;
    c.answer()?;
    c.send("request")?;
    let done = c.answer()?;
    let zombies = zombies_under(c.pid);
    println!("[app]     request 1: {done}");
    println!("[runtime] zombies under PID 1: {}", zombies.len());
    expect(
        zombies.is_empty() && done.contains("(os error 10)"),
        "with SIGCHLD ignored no zombies, and waiting fails with ECHILD",
    )
}
// ANCHOR_END: sig_ign

/// After a request under the init: the app's answer, and the three jobs
/// the init reaped (their order depends on the scheduler, so sorted).
fn answer_and_reaps(c: &mut Container) -> Result<(String, Vec<String>), Error> {
    let mut done = None;
    let mut reaped = Vec::new();
    while done.is_none() || reaped.len() < 3 {
        let a = c.answer()?;
        match a.strip_prefix("reaped ") {
            Some(pid) => reaped.push(pid.to_string()),
            None => done = Some(a),
        }
    }
    reaped.sort_by_key(|p| p.parse::<i32>().unwrap_or(0));
    Ok((done.unwrap_or_default(), reaped))
}

// ANCHOR: sigterm
/// SIGTERM to a PID 1 that has no handler for it: the kernel drops it.
/// PID 1 answering a ping sent after the signal shows it is still running.
fn ignored_sigterm(c: &mut Container) -> Result<(), Error> {
    let handler = catches(c.pid, Signal::SIGTERM)?;
    c.pidfd.send(Some(Signal::SIGTERM))?;
    c.send("ping")?;
    let pong = c.answer()?;
    let running = !c.pidfd.exited()?;
    println!("[runtime] SIGTERM to PID 1, which has a handler: {handler}");
    println!("[runtime] then a ping: {pong:?}; still running: {running}");
    expect(
        !handler && pong == "pong" && running,
        "PID 1 should ignore a SIGTERM it has no handler for",
    )
}
// ANCHOR_END: sigterm

// ANCHOR: sigkill
/// SIGKILL from outside is the one signal PID 1 cannot refuse, and its
/// death ends every process of the namespace, zombies included.
fn kill_namespace(
    mut c: Container,
    zombies: &[(i32, i32)],
) -> Result<(), Error> {
    // A zombie's pid is not reused until it is reaped: safe to open.
    let zombies = zombies
        .iter()
        .map(|&(outside, _)| Pidfd::open(outside))
        .collect::<Result<Vec<_>, _>>()?;
    c.pidfd.send(Some(Signal::SIGKILL))?;
    let status = c.reap()?;
    let gone = zombies
        .iter()
        .filter(|z| z.send(None) == Err(Errno::ESRCH))
        .count();
    println!("[runtime] SIGKILL to PID 1: {status}");
    println!(
        "[runtime] its zombies, asked through pidfds: gone (ESRCH): {gone} of {}",
        zombies.len()
    );
    expect(
        status == "killed by SIGKILL" && gone == zombies.len(),
        "PID 1's death should end its whole namespace",
    )
}
// ANCHOR_END: sigkill

/// Under the init, SIGTERM reaches the app, which is not PID 1 and has no
/// handler: it dies, and the init exits with its status, 128 + 15.
fn forwarded_sigterm(mut c: Container) -> Result<(), Error> {
    c.pidfd.send(Some(Signal::SIGTERM))?;
    let forwarded = c.answer()?;
    println!("[init]    {forwarded}");
    // A ping: once the app is dead nobody reads it (EPIPE: expected).
    let _ = c.send("ping");
    let app = c.answer()?;
    let who = if app == "pong" { "[app]  " } else { "[init] " };
    println!("{who}   {app}");
    expect(
        app != "pong",
        "the forwarded SIGTERM should end the app, but it answered a ping: \
         is SIGTERM blocked in it?",
    )?;
    let status = c.reap()?;
    println!("[runtime] SIGTERM to PID 1: {status}");
    expect(
        app == "the app: killed by SIGTERM"
            && status == "exited with status 143",
        "the init should forward SIGTERM and exit with the app's status",
    )
}

// ANCHOR: container
/// PID 1 of a new pid namespace, seen from outside: its pid out here, a
/// pidfd, a pipe to send it commands and one to read its answers.
struct Container {
    pid: i32,
    pidfd: Pidfd,
    commands: File,
    answers: BufReader<File>,
    reaped: bool,
}

impl Drop for Container {
    /// On every early return: SIGKILL to PID 1 ends the whole namespace.
    fn drop(&mut self) {
        if !self.reaped {
            let _ = self.pidfd.send(Some(Signal::SIGKILL));
            let _ =
                waitid(Id::PIDFd(self.pidfd.0.as_fd()), WaitPidFlag::WEXITED);
        }
    }
}
// ANCHOR_END: container

impl Container {
    /// Starts this program, in `role`, as PID 1 of a new pid namespace.
    fn start(role: &str, sig_ign: bool) -> Result<Container, Error> {
        let (cmd_r, cmd_w) = pipe2(OFlag::O_CLOEXEC)?;
        let (ans_r, ans_w) = pipe2(OFlag::O_CLOEXEC)?;
        let exe = cstring(std::env::current_exe()?.as_os_str().as_bytes())?;
        let argv0 = std::env::args_os().next().unwrap_or_default();
        let mut env = Vec::new();
        for (k, v) in std::env::vars_os() {
            if k != ROLE && k != FDS && k != SIG_IGN {
                env.push(cstring([k.as_bytes(), b"=", v.as_bytes()].concat())?);
            }
        }
        env.push(cstring(format!("{ROLE}={role}"))?);
        if sig_ign {
            env.push(cstring(format!("{SIG_IGN}=1"))?);
        }
        let fds = [cmd_r.as_raw_fd(), ans_w.as_raw_fd()];
        env.push(cstring(format!("{FDS}={} {}", fds[0], fds[1]))?);
        // Without CAP_SYS_ADMIN, a user namespace too, as rootless
        // containers do.
        let mut flags = libc::CLONE_NEWPID as u64;
        let mut names = "CLONE_NEWPID";
        if !has_cap_sys_admin() {
            flags |= libc::CLONE_NEWUSER as u64;
            names = "CLONE_NEWPID|CLONE_NEWUSER";
        }
        let cloned = match std::env::var(DENY).as_deref() {
            Ok("pid-namespace") => Err(Errno::EPERM),
            _ => clone_pid1(
                &exe,
                &[cstring(argv0.as_bytes())?],
                &env,
                fds,
                flags,
            ),
        };
        let (pid, pidfd) = cloned.map_err(|e| {
            Error::NotPossible(format!(
                "clone3({names}) failed: {e}; a new pid namespace needs \
                 CAP_SYS_ADMIN, or user namespaces allowed to this user"
            ))
        })?;
        println!("[runtime] clone3({names}) started the {role} as PID 1");
        // The child has its own copies of these two ends.
        drop((cmd_r, ans_w));
        Ok(Container {
            pid,
            pidfd,
            commands: File::from(cmd_w),
            answers: BufReader::new(File::from(ans_r)),
            reaped: false,
        })
    }

    fn send(&mut self, command: &str) -> Result<(), Error> {
        Ok(writeln!(self.commands, "{command}")?)
    }

    /// The next line PID 1 (or a process under it) wrote.
    fn answer(&mut self) -> Result<String, Error> {
        if !self.answers.buffer().contains(&b'\n') {
            let fd = self.answers.get_ref().as_fd();
            let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
            if poll(&mut fds, PollTimeout::from(ANSWER_MS))? == 0 {
                return Err(failed("PID 1 did not answer"));
            }
        }
        let mut line = String::new();
        if self.answers.read_line(&mut line)? == 0 {
            return Err(failed("PID 1's answers ended: it is gone"));
        }
        Ok(line.trim_end().to_string())
    }

    fn reap(&mut self) -> Result<String, Error> {
        let status =
            waitid(Id::PIDFd(self.pidfd.0.as_fd()), WaitPidFlag::WEXITED)?;
        self.reaped = true;
        Ok(how(status))
    }
}

// ANCHOR: clone
/// clone3(2)'s arguments, up to `tls` (CLONE_ARGS_SIZE_VER0).
#[repr(C)]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
}

/// Starts `exe` as PID 1 of a new pid namespace. std's `Command` cannot: a
/// new pid namespace is asked for by the call that makes the process. So,
/// clone3 used like fork (no stack given), which also returns a pidfd.
fn clone_pid1(
    exe: &CStr,
    argv: &[CString],
    env: &[CString],
    keep: [RawFd; 2],
    flags: u64,
) -> Result<(i32, Pidfd), Errno> {
    // Made before the clone: until execve, the child makes system calls only.
    let argv: Vec<*const libc::c_char> = argv
        .iter()
        .map(|a| a.as_ptr())
        .chain([std::ptr::null()])
        .collect();
    let envp: Vec<*const libc::c_char> = env
        .iter()
        .map(|e| e.as_ptr())
        .chain([std::ptr::null()])
        .collect();
    let mut pidfd: RawFd = -1;
    let args = CloneArgs {
        flags: flags | libc::CLONE_PIDFD as u64,
        pidfd: &mut pidfd as *mut RawFd as u64,
        exit_signal: libc::SIGCHLD as u64,
        ..CloneArgs::default()
    };
    let size = std::mem::size_of::<CloneArgs>();
    // SAFETY: clone3 with no stack forks this (single-threaded) process;
    // `args` and what it points to outlive the call.
    let pid = unsafe { libc::syscall(libc::SYS_clone3, &args, size) };
    if pid == 0 {
        // The child, PID 1 of the new namespace: keep the two pipe ends
        // open across execve (they were made close-on-exec), then exec.
        // SAFETY: system calls only, on pointers made before the clone.
        unsafe {
            for fd in keep {
                libc::fcntl(fd, libc::F_SETFD, 0);
            }
            libc::execve(exe.as_ptr(), argv.as_ptr(), envp.as_ptr());
            libc::_exit(127);
        }
    }
    if pid < 0 {
        return Err(Errno::last());
    }
    // SAFETY: clone3 stored a new pidfd that nobody else owns.
    Ok((pid as i32, Pidfd(unsafe { OwnedFd::from_raw_fd(pidfd) })))
}
// ANCHOR_END: clone

// ANCHOR: count
/// The zombies whose parent is `parent` (a pid out here), from /proc as
/// `ps` reads it: each with its pid out here and its pid in its namespace.
fn zombies_under(parent: i32) -> Vec<(i32, i32)> {
    let mut found = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return found;
    };
    for pid in dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()) {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        else {
            continue;
        };
        // The name in field 2 may hold spaces and ')': split after the last.
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        let mut fields = stat[close + 2..].split(' ');
        let (state, ppid) = (fields.next(), fields.next());
        if state == Some("Z") && ppid == Some(&parent.to_string()) {
            found.push((pid, ns_pid(pid).unwrap_or(pid)));
        }
    }
    found.sort_by_key(|&(_, inside)| inside);
    found
}

/// The last pid on the `NSpid:` line of /proc/<pid>/status: the process's
/// pid in the innermost namespace it belongs to.
fn ns_pid(pid: i32) -> Option<i32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("NSpid:"))?;
    line.split_whitespace().last()?.parse().ok()
}
// ANCHOR_END: count

fn ns_pids(zombies: &[(i32, i32)]) -> String {
    let pids: Vec<String> =
        zombies.iter().map(|(_, p)| p.to_string()).collect();
    pids.join(" ")
}

/// Whether /proc/<pid>/status lists `sig` as caught: a handler installed.
fn catches(pid: i32, sig: Signal) -> Result<bool, Error> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let mask = status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .ok_or_else(|| failed("no SigCgt line in /proc/<pid>/status"))?;
    let mask = u64::from_str_radix(mask.trim(), 16)?;
    Ok(mask & (1 << (sig as i32 - 1)) != 0)
}

// ------------------------------------------------- inside the namespace

// ANCHOR: app
/// The container's command: for each request it runs a worker and waits
/// for it, as a service calls `subprocess.run`. It never waits for anything
/// it did not start, and it has no signal handlers.
fn app() -> Result<ExitCode, Error> {
    if std::env::var_os(SIG_IGN).is_some() {
        // SAFETY: a disposition, no handler (`-- sig-ign` only).
        unsafe { signal(Signal::SIGCHLD, SigHandler::SigIgn)? };
    }
    let (commands, mut answers) = inherited()?;
    say(&mut answers, format!("pid {}", getpid()))?;
    for line in commands.lines() {
        let answer = match line?.as_str() {
            "request" => {
                let mut worker = Command::new(std::env::current_exe()?);
                match worker.env(ROLE, "worker").status() {
                    Ok(status) => format!("the worker {}", how_std(status)),
                    Err(e) => format!("waiting for the worker: {e}"),
                }
            }
            "ping" => "pong".to_string(),
            other => return Err(failed(format!("unknown command {other:?}"))),
        };
        say(&mut answers, answer)?;
    }
    // The runtime closed the pipe: it is gone, so leave too.
    Ok(ExitCode::SUCCESS)
}
// ANCHOR_END: app

// ANCHOR: worker
/// Starts three background jobs and exits without reaping them, like
/// `job &` in a shell script. It waits until they have exited (WNOWAIT
/// leaves them zombies) only so that the runtime's count is exact.
fn worker() -> Result<ExitCode, Error> {
    // An ignored SIGCHLD is inherited across exec: undo it, so that the
    // jobs stay waitable whatever the app did.
    // SAFETY: a disposition, no handler.
    unsafe { signal(Signal::SIGCHLD, SigHandler::SigDfl)? };
    let mut jobs = Vec::new();
    for _ in 0..3 {
        jobs.push(Command::new("true").spawn()?);
    }
    for job in &jobs {
        let job = Id::Pid(Pid::from_raw(job.id() as i32));
        waitid(job, WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT)?;
    }
    // Exiting now orphans the three zombies: the kernel gives them to PID 1.
    Ok(ExitCode::SUCCESS)
}
// ANCHOR_END: worker

// ANCHOR: init
/// A minimal init, what tini adds: it starts the app, forwards the signals
/// it gets to it, reaps every child (orphans it never started too), and
/// exits with the app's status.
fn init() -> Result<ExitCode, Error> {
    let mut signals = SigSet::empty();
    for sig in [Signal::SIGCHLD, Signal::SIGTERM, Signal::SIGINT] {
        signals.add(sig);
    }
    let before = signals.thread_swap_mask(SigmaskHow::SIG_BLOCK)?;
    let signalfd = SignalFd::new(&signals)?;
    let mut app = Command::new(std::env::current_exe()?);
    app.env(ROLE, "app");
    // A child inherits the signal mask (std keeps it too): give the app
    // back the mask the init started with, or it would block SIGTERM.
    // SAFETY: sigprocmask is async-signal-safe; nothing is allocated.
    unsafe { app.pre_exec(move || Ok(before.thread_set_mask()?)) };
    let app = app.spawn()?;
    let app = Pid::from_raw(app.id() as i32);
    let (commands, mut answers) = inherited()?;
    drop(commands); // the app's to read
    loop {
        let Some(info) = signalfd.read_signal()? else {
            continue;
        };
        let sig = Signal::try_from(info.ssi_signo as i32)?;
        if sig != Signal::SIGCHLD {
            kill(app, sig)?;
            say(&mut answers, format!("forwarded {sig} to the app"))?;
            continue;
        }
        // One SIGCHLD may stand for several children: reap all that ended.
        loop {
            match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::StillAlive) | Err(Errno::ECHILD) => break,
                Ok(status) if status.pid() == Some(app) => {
                    say(&mut answers, format!("the app: {}", how(status)))?;
                    return Ok(ExitCode::from(exit_code(status)));
                }
                Ok(status) => match status.pid() {
                    Some(pid) => say(&mut answers, format!("reaped {pid}"))?,
                    None => continue,
                },
                Err(e) => return Err(e.into()),
            }
        }
    }
}
// ANCHOR_END: init

/// One line in one write(2): the app and the init share the pipe, and a
/// write of less than PIPE_BUF bytes is never interleaved with another.
fn say(answers: &mut File, line: String) -> Result<(), Error> {
    Ok(answers.write_all(format!("{line}\n").as_bytes())?)
}

/// The pipe ends PID 1 inherited, made close-on-exec again so that the
/// processes it starts do not hold them.
fn inherited() -> Result<(BufReader<File>, File), Error> {
    let fds = std::env::var(FDS)?;
    let fds: Vec<RawFd> = fds
        .split(' ')
        .map(|f| f.parse())
        .collect::<Result<_, _>>()?;
    let [commands, answers] = fds[..] else {
        return Err(failed(format!("{FDS} should name two descriptors")));
    };
    for fd in [commands, answers] {
        // SAFETY: the runtime left these open for us, and only us.
        let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
        fcntl(fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC))?;
    }
    // SAFETY: as above; each is owned once from here on.
    let (commands, answers) =
        unsafe { (File::from_raw_fd(commands), File::from_raw_fd(answers)) };
    Ok((BufReader::new(commands), answers))
}

// ------------------------------------------------------------- helpers

/// A process's file descriptor: signals and waits reach that process only.
struct Pidfd(OwnedFd);

impl Pidfd {
    fn open(pid: i32) -> Result<Pidfd, Errno> {
        // SAFETY: pidfd_open(pid, flags) returns a new fd or -1.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        if fd < 0 {
            return Err(Errno::last());
        }
        // SAFETY: a fresh fd that nobody else owns.
        Ok(Pidfd(unsafe { OwnedFd::from_raw_fd(fd as RawFd) }))
    }

    /// pidfd_send_signal(2); `None` sends nothing, only checks.
    fn send(&self, sig: Option<Signal>) -> Result<(), Errno> {
        let sig = sig.map_or(0, |s| s as libc::c_int);
        // SAFETY: pidfd_send_signal(pidfd, sig, info = NULL, flags = 0).
        let r = unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.0.as_raw_fd(),
                sig,
                std::ptr::null::<libc::siginfo_t>(),
                0,
            )
        };
        if r < 0 {
            return Err(Errno::last());
        }
        Ok(())
    }

    /// Whether the process has exited now: the pidfd polls readable.
    fn exited(&self) -> Result<bool, Errno> {
        let mut fds = [PollFd::new(self.0.as_fd(), PollFlags::POLLIN)];
        Ok(poll(&mut fds, PollTimeout::ZERO)? > 0)
    }
}

/// Whether this process has CAP_SYS_ADMIN (bit 21 of CapEff in
/// /proc/self/status): what a new pid namespace needs, unless a new user
/// namespace comes with it. Root in a container often lacks it.
fn has_cap_sys_admin() -> bool {
    let status =
        std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let eff = status.lines().find_map(|l| l.strip_prefix("CapEff:"));
    let eff = eff.and_then(|m| u64::from_str_radix(m.trim(), 16).ok());
    eff.is_some_and(|m| m & (1 << 21) != 0)
}

fn cstring(s: impl AsRef<[u8]>) -> Result<CString, Error> {
    Ok(CString::new(s.as_ref())?)
}

fn how(status: WaitStatus) -> String {
    match status {
        WaitStatus::Exited(_, code) => format!("exited with status {code}"),
        WaitStatus::Signaled(_, sig, _) => format!("killed by {sig}"),
        other => format!("{other:?}"),
    }
}

fn how_std(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(sig)) => match Signal::try_from(sig) {
            Ok(sig) => format!("killed by {sig}"),
            Err(_) => format!("killed by signal {sig}"),
        },
        _ => format!("{status}"),
    }
}

/// The exit status a shell would show: the code, or 128 + the signal.
fn exit_code(status: WaitStatus) -> u8 {
    match status {
        WaitStatus::Exited(_, code) => code as u8,
        WaitStatus::Signaled(_, sig, _) => 128 + sig as u8,
        _ => 1,
    }
}

fn failed(why: impl Into<String>) -> Error {
    Error::Failed(why.into())
}

fn expect(ok: bool, what: &str) -> Result<(), Error> {
    if ok {
        Ok(())
    } else {
        Err(failed(format!("behaviour not seen: {what}")))
    }
}
