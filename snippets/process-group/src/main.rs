// Note 12: a monitor starts a leader, the leader starts a child. Who does a
// signal reach: the leader only (kill), or the leader's whole process group
// (killpg)? And where does the child go when its parent dies?
//
// One executable plays the three roles; the role comes from an environment
// variable. Synchronisation is by pipes, a signalfd and pidfds: no sleeps.
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitCode, ExitStatus, Stdio};

use nix::errno::Errno;
use nix::fcntl::{fcntl, FcntlArg, FdFlag};
use nix::libc;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::prctl;
use nix::sys::signal::{kill, killpg, SigSet, Signal};
use nix::sys::signalfd::SignalFd;
use nix::sys::wait::{waitid, Id, WaitPidFlag, WaitStatus};
use nix::unistd::{getpgrp, getpid, getppid, getsid, Pid};

const ROLE: &str = "PROCESS_GROUP_ROLE";

fn main() -> ExitCode {
    let result = match std::env::var(ROLE).as_deref() {
        Ok("leader") => leader(),
        Ok("child") => child(),
        _ => monitor(std::env::args().nth(1).as_deref()),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("process-group: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A process's ids, as the kernel sees them.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Ids {
    pid: i32,
    ppid: i32,
    pgid: i32,
    sid: i32,
}

fn my_ids() -> Ids {
    Ids {
        pid: getpid().as_raw(),
        ppid: getppid().as_raw(),
        pgid: getpgrp().as_raw(),
        sid: getsid(None).map_or(-1, Pid::as_raw),
    }
}

/// "pid=.. ppid=.. pgid=.. sid=..: parent X, Y's group, Z's session".
fn describe(me: &Ids, monitor: &Ids, leader: Option<i32>) -> String {
    let parent = if me.ppid == monitor.pid {
        "monitor"
    } else if Some(me.ppid) == leader {
        "leader"
    } else {
        "neither monitor nor leader"
    };
    let group = if me.pgid == monitor.pgid {
        "monitor's group"
    } else if me.pgid == me.pid {
        "its own new group"
    } else if Some(me.pgid) == leader {
        "leader's group"
    } else {
        "another group"
    };
    let session = if me.sid == monitor.sid {
        "monitor's session"
    } else if me.sid == me.pid {
        "its own new session"
    } else {
        "another session"
    };
    format!(
        "pid={} ppid={} pgid={} sid={}: parent {parent}, {group}, {session}",
        me.pid, me.ppid, me.pgid, me.sid
    )
}

// ---------------------------------------------------------------- the child

fn child() -> Result<ExitCode, String> {
    let monitor = monitor_from_env()?;
    let leader = env_i32("PG_LEADER")?;
    let ready_fd = env_i32("PG_READY_FD")?;
    handle_sigterm(&monitor, leader, ready_fd)
}

// ANCHOR: child
/// The child: "installs a SIGTERM handler", says it is ready, and waits.
fn handle_sigterm(
    monitor: &Ids,
    leader: i32,
    ready_fd: i32,
) -> Result<ExitCode, String> {
    // Block SIGTERM and receive it as data on a signalfd, so the reaction
    // (println!) runs in normal code, not in an async-signal context.
    let mut term = SigSet::empty();
    term.add(Signal::SIGTERM);
    term.thread_block()
        .map_err(|e| format!("sigprocmask: {e}"))?;
    let signals = SignalFd::new(&term).map_err(|e| format!("signalfd: {e}"))?;

    let me = my_ids();
    let deathsig = match prctl::get_pdeathsig() {
        Ok(Some(sig)) => format!("; PR_SET_PDEATHSIG={sig}"),
        _ => String::new(),
    };
    println!(
        "[child]   {}; SIGTERM handler ready{deathsig}",
        describe(&me, monitor, Some(leader))
    );
    // Tell the monitor we are ready, then close our end of the pipe.
    // SAFETY: the fd number comes from our parent, which left it open for us.
    let mut ready =
        std::fs::File::from(unsafe { OwnedFd::from_raw_fd(ready_fd) });
    writeln!(ready, "ready {}", me.pid)
        .map_err(|e| format!("ready pipe: {e}"))?;
    drop(ready);

    // Wait for SIGTERM, or for EOF on stdin: the monitor is gone, leave.
    loop {
        let stdin = std::io::stdin();
        let mut fds = [
            PollFd::new(signals.as_fd(), PollFlags::POLLIN),
            PollFd::new(stdin.as_fd(), PollFlags::POLLIN),
        ];
        match poll(&mut fds, PollTimeout::NONE) {
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(format!("poll: {e}")),
            Ok(_) => {}
        }
        if let Ok(Some(info)) = signals.read_signal() {
            let from = info.ssi_pid as i32;
            let who = if from == monitor.pid {
                "the monitor"
            } else if from == leader {
                "the leader, as it died"
            } else {
                "someone else"
            };
            println!(
                "[child]   got signal {} from pid={from} ({who}), exiting",
                info.ssi_signo
            );
            return Ok(ExitCode::SUCCESS);
        }
        if fds[1].any().unwrap_or(false) {
            return Ok(ExitCode::from(2));
        }
    }
}
// ANCHOR_END: child

// --------------------------------------------------------------- the leader

fn leader() -> Result<ExitCode, String> {
    let monitor = monitor_from_env()?;
    let ready_fd = env_i32("PG_READY_FD")?;
    let me = my_ids();
    println!("[leader]  {}", describe(&me, &monitor, None));
    let pdeathsig = std::env::var_os("PG_PDEATHSIG").is_some();
    let child = spawn_child(&me, pdeathsig)?;
    // The ready pipe is the child's business now.
    // SAFETY: our inherited copy of the fd, closed exactly once.
    drop(unsafe { OwnedFd::from_raw_fd(ready_fd) });

    // Block until killed. We never wait for the child: its fate is the point.
    // EOF on stdin means the monitor is gone, and then we leave too.
    let _ = std::io::stdin().read(&mut [0u8; 1]);
    drop(child);
    Ok(ExitCode::from(2))
}

// ANCHOR: leader
/// The leader starts the child; with `pdeathsig`, the child asks the kernel
/// for SIGTERM when the leader dies.
fn spawn_child(me: &Ids, pdeathsig: bool) -> Result<Child, String> {
    let mut cmd =
        Command::new(std::env::current_exe().map_err(|e| e.to_string())?);
    cmd.env(ROLE, "child").env("PG_LEADER", me.pid.to_string());
    if pdeathsig {
        let parent = getpid();
        // SAFETY: runs in the forked child before exec; prctl and getppid are
        // plain system calls (async-signal-safe), and nothing is allocated.
        unsafe {
            cmd.pre_exec(move || {
                prctl::set_pdeathsig(Signal::SIGTERM)?;
                // Had the leader died before the prctl, no signal would
                // ever come (PR_SET_PDEATHSIG(2const)): check for that.
                if getppid() != parent {
                    return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
                }
                Ok(())
            });
        }
    }
    cmd.spawn().map_err(|e| format!("spawn child: {e}"))
}
// ANCHOR_END: leader

// -------------------------------------------------------------- the monitor

#[derive(Clone, Copy)]
struct Experiment {
    title: &'static str,
    new_group: bool,
    pdeathsig: bool,
    killpg: bool,
    /// What the monitor sends, to the leader or to its group.
    signal: Signal,
    /// The child should outlive the leader.
    survives: bool,
}

fn monitor(arg: Option<&str>) -> Result<ExitCode, String> {
    let exp1 = Experiment {
        title: "experiment 1: leader in the monitor's group; \
                kill(leader, SIGKILL)",
        new_group: false,
        pdeathsig: false,
        killpg: false,
        signal: Signal::SIGKILL,
        survives: true,
    };
    let experiments = match arg {
        None => vec![
            exp1,
            Experiment {
                title: "experiment 2: leader in a new group \
                        (process_group(0)); kill(leader, SIGKILL)",
                new_group: true,
                ..exp1
            },
            Experiment {
                title: "experiment 3: leader in a new group; \
                        killpg(leader's group, SIGTERM)",
                new_group: true,
                killpg: true,
                signal: Signal::SIGTERM,
                survives: false,
                ..exp1
            },
            Experiment {
                title: "experiment 3 again: killpg(leader's group, SIGKILL)",
                new_group: true,
                killpg: true,
                survives: false,
                ..exp1
            },
        ],
        Some("no-subreaper") => vec![Experiment {
            title: "experiment 1 again, but the monitor is not a subreaper",
            ..exp1
        }],
        Some("pdeathsig") => vec![Experiment {
            title: "experiment 1 again, \
                    but the child asks for PR_SET_PDEATHSIG=SIGTERM",
            pdeathsig: true,
            survives: false,
            ..exp1
        }],
        Some(other) => return Err(format!("unknown argument {other:?}")),
    };

    let subreaper = arg != Some("no-subreaper");
    become_subreaper(subreaper)?;
    let me = my_ids();
    println!(
        "[monitor] pid={} pgid={} sid={}: {}",
        me.pid,
        me.pgid,
        me.sid,
        if subreaper {
            "a child subreaper (PR_SET_CHILD_SUBREAPER)"
        } else {
            "not a subreaper"
        }
    );
    for e in &experiments {
        println!("== {}", e.title);
        run(&me, e, subreaper)?;
    }
    Ok(ExitCode::SUCCESS)
}

// ANCHOR: subreaper
/// Orphans go to the nearest living ancestor that is a "child subreaper",
/// else to init. The monitor makes itself one, so the orphan lands here.
fn become_subreaper(on: bool) -> Result<(), String> {
    prctl::set_child_subreaper(on).map_err(|e| format!("prctl: {e}"))
}
// ANCHOR_END: subreaper

/// The leader, and the child once we know it. Dropping it (on an error path)
/// kills and reaps whatever is left, so nothing outlives the monitor.
struct Tree {
    leader: Child,
    child: Option<Pidfd>,
}

impl Drop for Tree {
    fn drop(&mut self) {
        if let Some(c) = &self.child {
            if c.send(Signal::SIGKILL).is_ok() {
                let _ = c.wait_exit(5_000);
                let _ = c.reap();
            }
        }
        let _ = self.leader.kill();
        let _ = self.leader.wait();
    }
}

/// One experiment: start, signal, see what is left, clean up.
fn run(me: &Ids, e: &Experiment, subreaper: bool) -> Result<(), String> {
    let (mut tree, child_pid) = start_leader(me, e)?;
    check_groups(me, e, tree.leader.id() as i32, child_pid)?;
    let leader_status = signal_leader(&mut tree, e)?;
    let leader_died = format!("killed by {}", e.signal);
    let child = tree.child.as_ref().ok_or("no child")?;

    if !e.survives {
        // It should be on its way out: wait for its exit on the pidfd.
        let exited = child.wait_exit(5_000)?;
        println!(
            "[monitor] leader: {}",
            how(leader_status.signal(), leader_status.code())
        );
        expect(exited, "the child should have exited")?;
        let status = child.reap()?;
        println!("[monitor] child: {status}");
        // SIGTERM reaches the child's "handler", which prints and exits;
        // SIGKILL ends it before it can run any code at all.
        let want = if e.killpg && e.signal == Signal::SIGKILL {
            "killed by SIGKILL"
        } else {
            "exited with status 0"
        };
        expect(status == want, "the child should end as the signal says")?;
        expect(
            how(leader_status.signal(), leader_status.code()) == leader_died,
            "the leader should die of the signal sent",
        )?;
        tree.child = None;
        return Ok(());
    }

    println!(
        "[monitor] leader: {}",
        how(leader_status.signal(), leader_status.code())
    );
    let (running, ppid) = find_orphan(me, child, child_pid)?;
    expect(running, "the child should outlive the leader")?;
    expect(
        how(leader_status.signal(), leader_status.code()) == leader_died,
        "the leader should die of the signal sent",
    )?;
    expect(
        (ppid == me.pid) == subreaper && ppid != tree.leader.id() as i32,
        "the orphan goes to the subreaper (or elsewhere if none)",
    )?;

    let status = kill_orphan(child)?;
    if subreaper {
        expect(
            status == "exited with status 0",
            "our adopted child should exit after its message",
        )?;
    } else {
        expect(
            status.contains("ECHILD"),
            "without the subreaper flag, the orphan is not ours to reap",
        )?;
    }
    tree.child = None;
    Ok(())
}

// ANCHOR: spawn
/// Starts the leader (in a new group if asked) and blocks on the ready pipe
/// until the child is in place; returns them and the child's pid.
fn start_leader(me: &Ids, e: &Experiment) -> Result<(Tree, i32), String> {
    let (ready_r, ready_w) =
        std::io::pipe().map_err(|e| format!("pipe: {e}"))?;
    // The write end must survive exec into the leader and then the child.
    fcntl(&ready_w, FcntlArg::F_SETFD(FdFlag::empty()))
        .map_err(|e| format!("fcntl: {e}"))?;
    let mut cmd =
        Command::new(std::env::current_exe().map_err(|e| e.to_string())?);
    cmd.env(ROLE, "leader")
        .env("PG_MONITOR", format!("{} {} {}", me.pid, me.pgid, me.sid))
        .env("PG_READY_FD", ready_w.as_raw_fd().to_string())
        .stdin(Stdio::piped()); // closed when we exit: a lifeline for both
    if e.new_group {
        cmd.process_group(0); // setpgid(0, 0) in the child before exec
    }
    if e.pdeathsig {
        cmd.env("PG_PDEATHSIG", "1");
    }
    let leader = cmd.spawn().map_err(|e| format!("spawn leader: {e}"))?;
    drop(ready_w);
    let mut tree = Tree {
        leader,
        child: None,
    };

    // Block until the child has its SIGTERM handler in place, and until the
    // leader has closed its copy of the pipe, which it does once its spawn
    // of the child has returned: then neither is in the middle of starting.
    let mut ready = BufReader::new(ready_r);
    let mut line = String::new();
    ready
        .read_line(&mut line)
        .map_err(|e| format!("ready pipe: {e}"))?;
    let mut rest = String::new();
    ready
        .read_to_string(&mut rest)
        .map_err(|e| format!("ready pipe: {e}"))?;
    let child_pid: i32 = line
        .strip_prefix("ready ")
        .and_then(|p| p.trim().parse().ok())
        .ok_or_else(|| {
            format!("no ready line from the child (got {line:?})")
        })?;
    tree.child =
        Some(Pidfd::open(child_pid).map_err(|e| format!("pidfd_open: {e}"))?);
    Ok((tree, child_pid))
}
// ANCHOR_END: spawn

// ANCHOR: signal
/// The one step that differs between the experiments: `kill` or `killpg`.
fn signal_leader(
    tree: &mut Tree,
    e: &Experiment,
) -> Result<ExitStatus, String> {
    let leader_pid = Pid::from_raw(tree.leader.id() as i32);
    if e.killpg {
        println!(
            "[monitor] killpg(pgid={leader_pid}, {}): the leader's whole group",
            e.signal
        );
        killpg(leader_pid, e.signal).map_err(|e| format!("killpg: {e}"))?;
    } else {
        println!(
            "[monitor] kill(pid={leader_pid}, {}): the leader only",
            e.signal
        );
        kill(leader_pid, e.signal).map_err(|e| format!("kill: {e}"))?;
    }
    tree.leader.wait().map_err(|e| format!("wait: {e}"))
}
// ANCHOR_END: signal

// ANCHOR: orphan
/// Whether the child still runs (its pidfd is not readable) and who its
/// parent is now, from /proc/<pid>/stat.
fn find_orphan(
    me: &Ids,
    child: &Pidfd,
    child_pid: i32,
) -> Result<(bool, i32), String> {
    let running = !child.wait_exit(0)?;
    let ppid = proc_ppid(child_pid)?;
    let parent = if ppid == me.pid {
        "the monitor, the subreaper it was re-parented to".to_string()
    } else if ppid == me.ppid {
        format!("{}, the monitor's parent", proc_comm(ppid))
    } else if ppid == 1 {
        format!("{}, init", proc_comm(ppid))
    } else {
        format!("{}, an ancestor subreaper", proc_comm(ppid))
    };
    println!(
        "[monitor] child: {}, ppid={ppid} ({parent})",
        if running { "still running" } else { "gone" }
    );
    Ok((running, ppid))
}
// ANCHOR_END: orphan

// ANCHOR: cleanup
/// Like the note's `kill <pid>`, but through the pidfd: no pid reuse race.
/// Returns how the child ended, as far as the monitor can tell.
fn kill_orphan(child: &Pidfd) -> Result<String, String> {
    println!("[monitor] cleanup: pidfd_send_signal(child, SIGTERM)");
    child
        .send(Signal::SIGTERM)
        .map_err(|e| format!("pidfd_send_signal: {e}"))?;
    expect(child.wait_exit(5_000)?, "the child should exit on SIGTERM")?;
    let status = child.reap()?;
    println!("[monitor] child: {status}");
    Ok(status)
}
// ANCHOR_END: cleanup

// ANCHOR: pidfd
/// A pidfd: a file descriptor for one process, immune to pid reuse.
struct Pidfd(OwnedFd);

impl Pidfd {
    fn open(pid: i32) -> std::io::Result<Pidfd> {
        // SAFETY: pidfd_open(pid, flags) returns a new fd or -1.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: a fresh fd that nobody else owns.
        Ok(Pidfd(unsafe { OwnedFd::from_raw_fd(fd as RawFd) }))
    }

    fn send(&self, sig: Signal) -> std::io::Result<()> {
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
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }

    /// True once the process has exited: the pidfd polls readable.
    fn wait_exit(&self, timeout_ms: u16) -> Result<bool, String> {
        let fd: BorrowedFd<'_> = self.0.as_fd();
        loop {
            let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
            match poll(&mut fds, PollTimeout::from(timeout_ms)) {
                Ok(n) => return Ok(n > 0),
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(format!("poll(pidfd): {e}")),
            }
        }
    }

    /// waitid(P_PIDFD): only works if the process is (now) our child.
    fn reap(&self) -> Result<String, String> {
        match waitid(Id::PIDFd(self.0.as_fd()), WaitPidFlag::WEXITED) {
            Ok(WaitStatus::Exited(_, code)) => Ok(how(None, Some(code))),
            Ok(WaitStatus::Signaled(_, sig, _)) => {
                Ok(how(Some(sig as i32), None))
            }
            Ok(other) => Ok(format!("{other:?}")),
            Err(Errno::ECHILD) => Ok("exited; waitid(P_PIDFD) -> ECHILD: \
                 not the monitor's child, its new parent reaps it"
                .into()),
            Err(e) => Err(format!("waitid: {e}")),
        }
    }
}
// ANCHOR_END: pidfd

fn how(signal: Option<i32>, code: Option<i32>) -> String {
    match (signal, code) {
        (Some(s), _) => match Signal::try_from(s) {
            Ok(sig) => format!("killed by {sig}"),
            Err(_) => format!("killed by signal {s}"),
        },
        (None, Some(c)) => format!("exited with status {c}"),
        (None, None) => "ended".into(),
    }
}

/// Field 4 of /proc/<pid>/stat, after the parenthesised command name.
/// Where the leader and the child sit, from the kernel's side: with a new
/// group, the leader leads it (its pid is the group's id) and the child,
/// which inherited it, is in it; without, both are in the monitor's group.
/// And the session is always the monitor's (`process_group` is no setsid).
fn check_groups(
    me: &Ids,
    e: &Experiment,
    leader: i32,
    child: i32,
) -> Result<(), String> {
    let (leader_pgid, leader_sid) = proc_pgid_sid(leader)?;
    let (child_pgid, child_sid) = proc_pgid_sid(child)?;
    let group = if e.new_group { leader } else { me.pgid };
    expect(
        leader_pgid == group && child_pgid == group,
        if e.new_group {
            "the leader leads a new group, and the child is in it"
        } else {
            "the leader and the child are in the monitor's group"
        },
    )?;
    expect(
        leader_sid == me.sid && child_sid == me.sid,
        "both stay in the monitor's session",
    )
}

/// Fields 5 and 6 of /proc/<pid>/stat: the process group and the session.
fn proc_pgid_sid(pid: i32) -> Result<(i32, i32), String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_err(|e| format!("/proc/{pid}/stat: {e}"))?;
    let fields: Vec<i32> = stat
        .rfind(')')
        .map(|i| stat[i + 2..].split(' ').skip(2).take(2))
        .into_iter()
        .flatten()
        .filter_map(|f| f.parse().ok())
        .collect();
    match fields[..] {
        [pgid, sid] => Ok((pgid, sid)),
        _ => Err(format!("cannot parse /proc/{pid}/stat")),
    }
}

fn proc_ppid(pid: i32) -> Result<i32, String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_err(|e| format!("/proc/{pid}/stat: {e}"))?;
    stat.rfind(')')
        .and_then(|i| stat[i + 2..].split(' ').nth(1))
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| format!("cannot parse /proc/{pid}/stat"))
}

fn proc_comm(pid: i32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|c| c.trim_end().to_string())
        .unwrap_or_else(|_| "?".into())
}

fn monitor_from_env() -> Result<Ids, String> {
    let v = std::env::var("PG_MONITOR").map_err(|_| "PG_MONITOR not set")?;
    let n: Vec<i32> = v.split(' ').filter_map(|x| x.parse().ok()).collect();
    match n[..] {
        [pid, pgid, sid] => Ok(Ids {
            pid,
            ppid: 0,
            pgid,
            sid,
        }),
        _ => Err(format!("bad PG_MONITOR {v:?}")),
    }
}

fn env_i32(name: &str) -> Result<i32, String> {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("{name} not set"))
}

fn expect(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("behaviour not seen: {what}"))
    }
}
