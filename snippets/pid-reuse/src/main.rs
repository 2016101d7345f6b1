// In production: pids are reused. Once a process is reaped its pid is free,
// and the kernel hands it to the next process that needs one when its
// counter comes round. A pidfile keeps a number: a `kill` by that number
// later hits whatever has it now. A pidfd keeps the process: once that
// process is gone, it answers ESRCH and signals nobody.
//
// The kernel's counter goes round pid_max, tens of thousands of processes
// on a real machine. To see the wrap in a handful, the program runs as PID 1
// of a new pid namespace whose pid_max it sets to 310. Sync: waits on the
// processes it starts, no sleeps.
use std::process::{Command, ExitCode, ExitStatus, Stdio};

use nix::errno::Errno;
use nix::libc;
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::waitpid;
use nix::unistd::{fork, getpid, ForkResult, Pid};

const ROLE: &str = "PID_REUSE_ROLE";
/// `RSP_DENY=pid-namespace`: act as if the kernel refused the namespace (the
/// tests use it).
const DENY: &str = "RSP_DENY";
/// The namespace's pid_max: pids go 1, 2, ... up to 309, and then, as on any
/// machine once the counter passes 300, round again from 300.
const PID_MAX: i32 = 310;
/// Where the counter is moved before the worker starts.
const LAST_PID: i32 = 299;

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
        Ok("init") => init(),
        _ => runtime(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::NotPossible(why)) => {
            println!("pid-reuse: not possible here: {why}");
            ExitCode::SUCCESS
        }
        Err(Error::Failed(why)) => {
            eprintln!("pid-reuse: {why}");
            ExitCode::FAILURE
        }
    }
}

// ANCHOR: runtime
/// Outside: a new pid namespace for our next child, which is its PID 1.
fn runtime() -> Result<(), Error> {
    let mut flags = libc::CLONE_NEWPID;
    // Without CAP_SYS_ADMIN, a user namespace too, as rootless containers
    // do; see own_user_namespace.
    let user_ns = !has_cap_sys_admin();
    // Our ids, read before the unshare: inside, unmapped, they read 65534.
    let ids = (nix::unistd::geteuid(), nix::unistd::getegid());
    if user_ns {
        flags |= libc::CLONE_NEWUSER;
    }
    // SAFETY: unshare(2) changes only this process's namespaces.
    let denied = std::env::var(DENY).as_deref() == Ok("pid-namespace");
    if denied || unsafe { libc::unshare(flags) } != 0 {
        let e = if denied { Errno::EPERM } else { Errno::last() };
        return Err(Error::NotPossible(format!(
            "unshare(CLONE_NEWPID): {e}; a pid namespace needs CAP_SYS_ADMIN"
        )));
    }
    if user_ns {
        own_user_namespace(ids)?;
    }
    let status = Command::new(std::env::current_exe()?)
        .env(ROLE, "init")
        .status()?;
    println!("[runtime] PID 1 of the namespace {}", how(status));
    expect(status.success(), "PID 1 should end well")
}
// ANCHOR_END: runtime

/// Maps uid and gid 0 of the new user namespace to ours, so that PID 1
/// runs as root there, with the capabilities over its namespace that
/// writing pid_max takes (an unmapped process has none after its exec).
fn own_user_namespace(
    (uid, gid): (nix::unistd::Uid, nix::unistd::Gid),
) -> Result<(), Error> {
    let write = |file: &str, text: String| {
        std::fs::write(format!("/proc/self/{file}"), text).map_err(|e| {
            Error::NotPossible(format!("a user namespace: {file}: {e}"))
        })
    };
    write("uid_map", format!("0 {uid} 1"))?;
    write("setgroups", "deny".to_string())?;
    write("gid_map", format!("0 {gid} 1"))
}

/// Inside: PID 1 of the new namespace, where nothing else runs.
fn init() -> Result<(), Error> {
    expect(getpid().as_raw() == 1, "the init should be PID 1")?;
    make_small()?;
    let (pidfile, pidfd) = worker()?;
    let stranger = lap(pidfile)?;
    signal_both(pidfile, &pidfd, stranger)
}

// ANCHOR: small
/// Makes this namespace small: pid_max 310, so that the counter comes round
/// after 309; and puts the counter at 299 (ns_last_pid, the knob
/// checkpoint/restore tools use), which spares the run 298 throwaway
/// processes.
fn make_small() -> Result<(), Error> {
    // Before Linux 6.14 there is one pid_max for the whole machine, which
    // this write would lower: never try it there.
    let release = nix::sys::utsname::uname()?
        .release()
        .to_string_lossy()
        .into_owned();
    let mut v = release
        .split(|c: char| !c.is_ascii_digit())
        .map(|n| n.parse());
    let version: (u32, u32) =
        (v.next().unwrap_or(Ok(0))?, v.next().unwrap_or(Ok(0))?);
    if version < (6, 14) {
        return Err(Error::NotPossible(format!(
            "a pid_max of its own for a pid namespace needs Linux 6.14 ({release})"
        )));
    }
    let write = |file: &str, value: i32| {
        std::fs::write(format!("/proc/sys/kernel/{file}"), value.to_string())
            .map_err(|e| Error::NotPossible(format!("writing {file}: {e}")))
    };
    write("pid_max", PID_MAX)?;
    write("ns_last_pid", LAST_PID)?;
    println!("[init]    PID 1 of a new pid namespace; its pid_max: {PID_MAX}");
    Ok(())
}
// ANCHOR_END: small

// ANCHOR: worker
/// Starts the worker, keeps its pid as a pidfile would, and a pidfd; then
/// lets it exit and reaps it.
fn worker() -> Result<(i32, Pidfd), Error> {
    let mut worker = Command::new("cat").stdin(Stdio::piped()).spawn()?;
    let pidfile = worker.id() as i32;
    // Our child, not yet reaped: this pid can only be that process.
    let pidfd = Pidfd::open(pidfile)?;
    println!("[init]    the worker (cat): pid {pidfile}, kept in a pidfile");
    drop(worker.stdin.take()); // cat reads end of file and exits
    let status = worker.wait()?;
    println!(
        "[init]    the worker {}; reaped: pid {pidfile} is free",
        how(status)
    );
    Ok((pidfile, pidfd))
}
// ANCHOR_END: worker

// ANCHOR: lap
/// Other processes come and go until the counter comes round, then one
/// more starts: a stranger, which the kernel gives the first free pid.
fn lap(pidfile: i32) -> Result<std::process::Child, Error> {
    let mut used = Vec::new();
    while used.last() != Some(&(PID_MAX - 1)) && used.len() < PID_MAX as usize {
        used.push(short_lived()?);
    }
    let (first, last) = (used[0], used[used.len() - 1]);
    println!(
        "[init]    {} short-lived processes: pids {first} to {last}",
        used.len()
    );
    let stranger = Command::new("cat").stdin(Stdio::piped()).spawn()?;
    let pid = stranger.id() as i32;
    println!("[init]    a new process, a stranger (cat): pid {pid}");
    expect(
        pid == pidfile,
        &format!(
            "the stranger should get the worker's pid, {pidfile}; it got {pid}"
        ),
    )?;
    Ok(stranger)
}
// ANCHOR_END: lap

/// A process that exits at once, reaped: it uses one pid.
fn short_lived() -> Result<i32, Error> {
    // SAFETY: this process has one thread; the child only calls _exit.
    match unsafe { fork() }? {
        ForkResult::Child => unsafe { libc::_exit(0) },
        ForkResult::Parent { child } => {
            waitpid(child, None)?;
            Ok(child.as_raw())
        }
    }
}

// ANCHOR: signal
/// SIGTERM to the worker twice: through its pidfd, then by the pidfile's
/// number.
fn signal_both(
    pidfile: i32,
    pidfd: &Pidfd,
    mut stranger: std::process::Child,
) -> Result<(), Error> {
    let by_pidfd = pidfd.send(Signal::SIGTERM);
    println!(
        "[init]    pidfd_send_signal(the worker's pidfd, SIGTERM): {}",
        result(by_pidfd)
    );
    let by_number = kill(Pid::from_raw(pidfile), Signal::SIGTERM);
    println!("[init]    kill({pidfile}, SIGTERM): {}", result(by_number));
    let status = stranger.wait()?;
    println!("[init]    the stranger {}", how(status));
    expect(
        by_pidfd == Err(Errno::ESRCH) && by_number.is_ok(),
        "the pidfd should find nobody, the number the stranger",
    )?;
    expect(
        how(status) == "was killed by SIGTERM",
        "the kill by number should end the stranger",
    )
}
// ANCHOR_END: signal

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

fn result(r: Result<(), Errno>) -> String {
    match r {
        Ok(()) => "0, delivered".to_string(),
        Err(e) => format!("-1 {e}"),
    }
}

/// A process's file descriptor: signals reach that process only.
struct Pidfd(std::os::fd::OwnedFd);

impl Pidfd {
    fn open(pid: i32) -> Result<Pidfd, Errno> {
        use std::os::fd::FromRawFd;
        // SAFETY: pidfd_open(pid, flags) returns a new fd or -1.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        if fd < 0 {
            return Err(Errno::last());
        }
        // SAFETY: a fresh fd that nobody else owns.
        Ok(Pidfd(unsafe {
            std::os::fd::OwnedFd::from_raw_fd(fd as i32)
        }))
    }

    fn send(&self, sig: Signal) -> Result<(), Errno> {
        use std::os::fd::AsRawFd;
        // SAFETY: pidfd_send_signal(pidfd, sig, info = NULL, flags = 0).
        let r = unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.0.as_raw_fd(),
                sig as libc::c_int,
                std::ptr::null::<libc::siginfo_t>(),
                0,
            )
        };
        if r < 0 {
            return Err(Errno::last());
        }
        Ok(())
    }
}

fn how(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal().map(Signal::try_from)) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(Ok(sig))) => format!("was killed by {sig}"),
        _ => format!("{status}"),
    }
}

fn expect(ok: bool, what: &str) -> Result<(), Error> {
    if ok {
        Ok(())
    } else {
        Err(Error::Failed(format!("behaviour not seen: {what}")))
    }
}
