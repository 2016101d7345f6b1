// In production, the process groups note one level up: a service whose
// worker starts a daemon that calls setsid(). killpg on the service's group
// misses the daemon; a cgroup holds every process the service ever started,
// whatever group or session it moved to, and `cgroup.kill` ends them all.
// That is how systemd stops a unit (KillMode=control-group) and how a
// container runtime stops a container. Then the stop itself: SIGTERM, a
// grace period, SIGKILL, and who printed and who was cut off.
//
// One executable plays the manager (the main program) and the service's
// three processes, chosen by an environment variable. Sync is by the pipe
// the processes report on, pidfds and cgroup.events; the grace period is a
// poll timeout, and nothing printed depends on how long anything took.
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, Write};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::{fcntl, FcntlArg, FdFlag, OFlag};
use nix::libc;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::prctl;
use nix::sys::signal::{kill, killpg, SigSet, Signal};
use nix::sys::signalfd::SignalFd;
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{getpgrp, getpid, getsid, pipe2, setsid, Pid};

const ROLE: &str = "KILL_TREE_ROLE";
/// The descriptor of the pipe the tree reports on, inherited down the tree.
const REPORT_FD: &str = "KILL_TREE_REPORT_FD";
/// `RSP_DENY=cgroup-v2` acts as if there were no cgroup v2 with
/// `cgroup.kill`, `RSP_DENY=cgroups` as if no cgroup could be made (what an
/// unprivileged sandbox allows); the tests use both.
const DENY: &str = "RSP_DENY";
/// How long a stop waits after SIGTERM before SIGKILL.
const GRACE: Duration = Duration::from_secs(1);
/// Bounds a wait that should end at once: not a sync, a guard.
const BOUND: Duration = Duration::from_secs(5);
/// The service's tree, in the order each starts the next.
const ROLES: [&str; 3] = ["service", "worker", "daemon"];

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
        Ok(role) if ROLES.contains(&role) => member(role),
        _ => manager(std::env::args().nth(1).as_deref()),
    };
    match result {
        Ok(code) => code,
        Err(Error::NotPossible(why)) => {
            println!("kill-tree: not possible here: {why}");
            ExitCode::SUCCESS
        }
        Err(Error::Failed(why)) => {
            eprintln!("kill-tree: {why}");
            ExitCode::FAILURE
        }
    }
}

// ------------------------------------------------------------ the manager

fn manager(arg: Option<&str>) -> Result<ExitCode, Error> {
    // Orphans of the tree (the daemon, once the worker is gone) come to us.
    prctl::set_child_subreaper(true)?;
    match arg {
        None => match Group::create(Kind::V2, 1) {
            Ok(group) => {
                escape_and_catch(group)?;
                stop(Group::create(Kind::V2, 2)?, KillMode::ControlGroup)?;
                stop(Group::create(Kind::V2, 3)?, KillMode::Mixed)?;
            }
            // No cgroup v2 here: the v1 freezer can still catch the daemon.
            Err(Error::NotPossible(why)) => {
                println!("kill-tree: no cgroup v2 with cgroup.kill: {why}");
                println!("kill-tree: the v1 freezer instead; no stops");
                escape_and_catch(Group::create(Kind::V1Freezer, 1)?)?;
            }
            Err(e) => return Err(e),
        },
        Some("v1") => escape_and_catch(Group::create(Kind::V1Freezer, 1)?)?,
        Some(other) => {
            return Err(failed(format!("unknown argument {other:?}")))
        }
    }
    Ok(ExitCode::SUCCESS)
}

// ANCHOR: escape
/// killpg on the service's group, then the cgroup.
fn escape_and_catch(group: Group) -> Result<(), Error> {
    println!("== 1. killpg(service's group, SIGKILL)");
    let mut tree = start_tree(&group)?;
    let (service, worker, daemon) = (tree.pid(0), tree.pid(1), tree.pid(2));
    describe(&tree);
    println!("[manager] cgroup.procs lists {} pids", group.procs()?.len());
    killpg(Pid::from_raw(service), Signal::SIGKILL)?;
    // The service is our child; once it is reaped, the worker is too.
    let s = how(waitpid(Pid::from_raw(service), None)?);
    let w = how(waitpid(Pid::from_raw(worker), None)?);
    println!("[manager] service: {s}; worker: {w}");
    let running = tree.ping(2)?;
    let parent = match parent_of(daemon)? == getpid().as_raw() {
        true => "the manager",
        false => "another",
    };
    let left = group.procs()?;
    println!(
        "[manager] daemon: answers a ping: {running}, parent: {parent}; \
         cgroup.procs lists {} pid",
        left.len()
    );
    expect(
        running && left == [daemon],
        "the daemon, in a session of its own, should survive killpg",
    )?;

    println!("== 2. {}", group.kind.how_it_kills());
    let ended = kill_all(&group)?;
    let d = ended
        .iter()
        .find(|(pid, _)| *pid == daemon)
        .map(|&(_, s)| how(s));
    let d = d.unwrap_or_else(|| "not seen".into());
    println!("[manager] cgroup.procs empty; daemon: {d}");
    tree.members.clear();
    let dir = group.dir.clone();
    drop(group);
    println!("[manager] rmdir: the cgroup is gone: {}", !dir.exists());
    expect(
        d == "killed by SIGKILL",
        "the cgroup should catch the daemon",
    )
}
// ANCHOR_END: escape

/// Where each process of the tree is, by its ids.
fn describe(tree: &Tree) {
    let [service, worker, daemon] = [0, 1, 2].map(|i| &tree.members[i]);
    let lead = service.pgid == service.pid;
    let same = worker.pgid == service.pgid;
    let alone = daemon.sid == daemon.pid && daemon.pgid == daemon.pid;
    println!("[manager] service: leads its own process group: {lead}");
    println!("[manager] worker:  in the service's group: {same}");
    println!("[manager] daemon:  a session and group of its own: {alone}");
}

// ANCHOR: stop
#[derive(Clone, Copy, PartialEq)]
enum KillMode {
    /// systemd's KillMode=control-group: SIGTERM to every process.
    ControlGroup,
    /// KillMode=mixed, or a container's stop: SIGTERM to the main
    /// process only; SIGKILL to the rest once it has exited.
    Mixed,
}

/// A stop: SIGTERM, a grace period (until everything it was sent to has
/// exited, at most GRACE), then SIGKILL to what is left, by the cgroup.
fn stop(group: Group, mode: KillMode) -> Result<(), Error> {
    println!("== {}, then SIGKILL", mode.title());
    let mut tree = start_tree(&group)?;
    let targets = match mode {
        KillMode::ControlGroup => group.procs()?,
        KillMode::Mixed => vec![tree.pid(0)],
    };
    for pid in &targets {
        kill(Pid::from_raw(*pid), Signal::SIGTERM)?;
    }
    let _ = match mode {
        KillMode::ControlGroup => wait_empty(&group, GRACE)?,
        KillMode::Mixed => tree.members[0].pidfd.exited(GRACE)?,
    };
    let left = group.procs()?.len();
    println!(
        "[manager] SIGTERM to {} of {} processes; once the wait is over, \
         {left} left: cgroup.kill",
        targets.len(),
        ROLES.len()
    );
    let ended = kill_all(&group)?;
    let said = tree.said()?;
    tree.members.clear();
    let mut outcome = Vec::new();
    for (i, role) in ROLES.iter().enumerate() {
        let pid = tree.pids[i];
        let end = ended.iter().find(|(p, _)| *p == pid).map(|&(_, s)| how(s));
        let words = said.iter().find(|(r, _)| r == role).map(|(_, w)| w);
        let words = words.map_or("nothing".into(), |w| format!("{w:?}"));
        let who = format!("[{role}]");
        println!("{who:9} said {words}; {}", end.as_deref().unwrap_or("?"));
        outcome.push((words != "nothing", end));
    }
    expect(
        outcome == expected(mode),
        "each process should end as its SIGTERM handling says",
    )
}
// ANCHOR_END: stop

/// Per role: whether it printed, and how it ended.
fn expected(mode: KillMode) -> Vec<(bool, Option<String>)> {
    let ok = Some("exited with status 0".to_string());
    let cut = Some("killed by SIGKILL".to_string());
    match mode {
        KillMode::ControlGroup => {
            vec![(true, ok.clone()), (true, cut), (true, ok)]
        }
        KillMode::Mixed => vec![(true, ok), (false, cut.clone()), (false, cut)],
    }
}

impl KillMode {
    fn title(self) -> &'static str {
        match self {
            KillMode::ControlGroup => {
                "3. SIGTERM to every process of the cgroup"
            }
            KillMode::Mixed => "4. SIGTERM to the main process only",
        }
    }
}

// ------------------------------------------------------------- the tree

/// One process of the tree, as it reported itself.
struct Member {
    pid: i32,
    pgid: i32,
    sid: i32,
    pidfd: Pidfd,
}

/// The service's tree: its processes, and the pipe they report on. On an
/// early return, dropping it kills and reaps them all.
struct Tree {
    members: Vec<Member>,
    pids: Vec<i32>,
    reports: BufReader<File>,
}

impl Drop for Tree {
    fn drop(&mut self) {
        for m in &self.members {
            let _ = m.pidfd.send(Signal::SIGKILL);
        }
        if !self.members.is_empty() {
            reap_all();
        }
    }
}

// ANCHOR: start
/// Starts the service in a process group of its own and in the cgroup:
/// the child writes "0" (itself) to cgroup.procs before it executes
/// the service, so everything the service starts is born in the cgroup.
/// Then waits until the three processes have reported.
fn start_tree(group: &Group) -> Result<Tree, Error> {
    let procs = group.open("cgroup.procs")?;
    let (r, w) = pipe2(OFlag::O_CLOEXEC)?;
    // The write end goes down the tree: not close-on-exec.
    fcntl(&w, FcntlArg::F_SETFD(FdFlag::empty()))?;
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.env(ROLE, "service")
        .env(REPORT_FD, w.as_raw_fd().to_string())
        .process_group(0);
    let fd = procs.as_raw_fd();
    // SAFETY: write(2) is async-signal-safe; `procs` outlives spawn().
    unsafe { cmd.pre_exec(move || join(fd)) };
    cmd.spawn()?;
    drop(w); // ours: the tree has its copies
    let mut tree = Tree {
        members: Vec::new(),
        pids: vec![0; ROLES.len()],
        reports: BufReader::new(File::from(r)),
    };
    tree.read_ready()?;
    Ok(tree)
}
// ANCHOR_END: start

impl Tree {
    fn pid(&self, i: usize) -> i32 {
        self.pids[i]
    }

    /// Whether member `i` is alive: SIGUSR1 asks it to answer on the pipe.
    /// A process that was sent SIGKILL never runs its code again, and its
    /// pidfd turns readable when it is gone: whichever comes first decides.
    fn ping(&mut self, i: usize) -> Result<bool, Error> {
        match kill(Pid::from_raw(self.pids[i]), Signal::SIGUSR1) {
            Ok(()) | Err(Errno::ESRCH) => {}
            Err(e) => return Err(e.into()),
        }
        let alive = format!("{}: alive", ROLES[i]);
        if !self.reports.buffer().is_empty() {
            return Ok(self.line()? == alive);
        }
        let pidfd = self.members[i].pidfd.0.as_fd();
        let reports = self.reports.get_ref().as_fd();
        let mut fds = [
            PollFd::new(reports, PollFlags::POLLIN),
            PollFd::new(pidfd, PollFlags::POLLIN),
        ];
        if poll(&mut fds, timeout(BOUND))? == 0 {
            return Err(failed("no answer to the ping, and no exit"));
        }
        if fds[1].any().unwrap_or(false) {
            return Ok(false);
        }
        // The pipe can end (its last writer, the member, gone) before the
        // member's pidfd says it exited: that is no answer either.
        match self.line() {
            Ok(line) => Ok(line == alive),
            Err(_) if self.reports.fill_buf()?.is_empty() => {
                let pidfd = self.members[i].pidfd.0.as_fd();
                let mut fds = [PollFd::new(pidfd, PollFlags::POLLIN)];
                match poll(&mut fds, timeout(BOUND))? {
                    0 => Err(failed(
                        "the report pipe ended, and the member did not exit",
                    )),
                    _ => Ok(false),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// The three "ready" lines, in whatever order they came.
    fn read_ready(&mut self) -> Result<(), Error> {
        let mut found: Vec<Option<Member>> =
            (0..ROLES.len()).map(|_| None).collect();
        while found.iter().any(Option::is_none) {
            let line = self.line()?;
            let f: Vec<&str> = line.split(' ').collect();
            let (Some(&"ready"), Some(i)) = (
                f.first(),
                f.get(1).and_then(|r| ROLES.iter().position(|x| x == r)),
            ) else {
                return Err(failed(format!("unexpected report {line:?}")));
            };
            let num = |k: usize| -> Result<i32, Error> {
                Ok(f.get(k).ok_or_else(|| failed("short report"))?.parse()?)
            };
            let pid = num(2)?;
            found[i] = Some(Member {
                pid,
                pgid: num(3)?,
                sid: num(4)?,
                pidfd: Pidfd::open(pid)?,
            });
            self.pids[i] = pid;
        }
        self.members = found.into_iter().flatten().collect();
        Ok(())
    }

    /// One line from the report pipe, waiting at most BOUND for it.
    fn line(&mut self) -> Result<String, Error> {
        if !self.reports.buffer().contains(&b'\n') {
            let fd = self.reports.get_ref().as_fd();
            let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
            if poll(&mut fds, timeout(BOUND))? == 0 {
                return Err(failed("the tree did not report"));
            }
        }
        let mut line = String::new();
        if self.reports.read_line(&mut line)? == 0 {
            return Err(failed("the tree's reports ended early"));
        }
        Ok(line.trim_end().to_string())
    }

    /// Everything the tree said after "ready", by role. Called once every
    /// process is gone: the pipe then ends, as nobody holds its write end.
    fn said(&mut self) -> Result<Vec<(String, String)>, Error> {
        let mut rest = String::new();
        self.reports.read_to_string(&mut rest)?;
        let lines = rest.lines().filter_map(|l| l.split_once(": "));
        Ok(lines.map(|(r, w)| (r.to_string(), w.to_string())).collect())
    }
}

/// What the child runs before exec: "0" in cgroup.procs moves the writer.
fn join(procs: RawFd) -> std::io::Result<()> {
    // SAFETY: write(2) on a descriptor the parent opened; a static buffer.
    let n = unsafe { libc::write(procs, b"0".as_ptr().cast(), 1) };
    match n {
        1 => Ok(()),
        _ => Err(std::io::Error::last_os_error()),
    }
}

// ---------------------------------------------------------- the service

// ANCHOR: member
/// One process of the service's tree: the service starts the worker, and
/// the worker starts the daemon in a session of its own, as a program that
/// detaches itself does. Each blocks SIGTERM (and SIGUSR1, a ping) and
/// reads them from a signalfd, reports on the pipe, and on SIGTERM says so:
/// the service and the daemon then exit; the worker goes on "finishing the
/// job", which never ends.
fn member(role: &str) -> Result<ExitCode, Error> {
    let mut handled = SigSet::empty();
    handled.add(Signal::SIGTERM);
    handled.add(Signal::SIGUSR1);
    handled.thread_block()?;
    let signals = SignalFd::new(&handled)?;
    let mut report = inherited_report_pipe()?;
    let i = ROLES.iter().position(|r| *r == role).unwrap_or(0);
    if let Some(next) = ROLES.get(i + 1) {
        let mut cmd = Command::new(std::env::current_exe()?);
        cmd.env(ROLE, next);
        if *next == "daemon" {
            // SAFETY: setsid(2) is async-signal-safe; nothing is allocated.
            unsafe { cmd.pre_exec(|| Ok(setsid().map(drop)?)) };
        }
        cmd.spawn()?; // never waited for: its fate is the point
    }
    let ids = format!("{} {} {}", getpid(), getpgrp(), getsid(None)?);
    say(&mut report, &format!("ready {role} {ids}"))?;
    // SIGUSR1 is the manager's "are you alive?"; SIGTERM ends the wait.
    while next_signal(&signals)? == Signal::SIGUSR1 {
        say(&mut report, &format!("{role}: alive"))?;
    }
    if role == "worker" {
        say(
            &mut report,
            "worker: got SIGTERM, finishing the current job",
        )?;
        loop {
            signals.read_signal()?; // the job never ends
        }
    }
    say(&mut report, &format!("{role}: got SIGTERM, shutting down"))?;
    Ok(ExitCode::SUCCESS)
}
// ANCHOR_END: member

/// Blocks until a signal of the signalfd's set comes, and names it.
fn next_signal(signals: &SignalFd) -> Result<Signal, Error> {
    loop {
        if let Some(info) = signals.read_signal()? {
            return Ok(Signal::try_from(info.ssi_signo as i32)?);
        }
    }
}

fn inherited_report_pipe() -> Result<File, Error> {
    let fd: RawFd = std::env::var(REPORT_FD)?.parse()?;
    // SAFETY: our parent left this descriptor open for the tree.
    Ok(unsafe { File::from_raw_fd(fd) })
}

/// One line in one write(2): the tree shares the pipe, and a write of
/// less than PIPE_BUF bytes is never interleaved with another.
fn say(report: &mut File, line: &str) -> Result<(), Error> {
    Ok(report.write_all(format!("{line}\n").as_bytes())?)
}

// ------------------------------------------------------------ the cgroup

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    V2,
    V1Freezer,
}

impl Kind {
    fn how_it_kills(self) -> &'static str {
        match self {
            Kind::V2 => "echo 1 > cgroup.kill",
            Kind::V1Freezer => "the v1 freezer: freeze, SIGKILL each, thaw",
        }
    }
}

// ANCHOR: group
/// A cgroup of our own, below the one we run in; its name holds our pid
/// (two builds may run this program at once). Dropping it kills what is
/// still in it and removes it.
struct Group {
    kind: Kind,
    dir: PathBuf,
}

impl Drop for Group {
    fn drop(&mut self) {
        if self.procs().map_or(true, |p| !p.is_empty()) {
            let _ = kill_all(self);
        }
        let _ = std::fs::remove_dir(&self.dir);
    }
}
// ANCHOR_END: group

impl Group {
    fn create(kind: Kind, number: u32) -> Result<Group, Error> {
        let (mount, own) = where_cgroups_are(kind)?;
        let name = format!("kill-tree-{}-{number}", getpid());
        let dir = mount.join(own.trim_start_matches('/')).join(name);
        match std::fs::create_dir(&dir) {
            Ok(()) => {}
            Err(e) => {
                return Err(Error::NotPossible(format!(
                    "cannot create {}: {e}",
                    dir.display()
                )))
            }
        }
        let group = Group { kind, dir };
        if kind == Kind::V2 && !group.dir.join("cgroup.kill").exists() {
            return Err(Error::NotPossible(
                "this cgroup v2 has no cgroup.kill (Linux 5.14 added it)"
                    .into(),
            ));
        }
        Ok(group)
    }

    fn open(&self, file: &str) -> Result<File, Error> {
        Ok(OpenOptions::new().write(true).open(self.dir.join(file))?)
    }

    fn write(&self, file: &str, what: &str) -> Result<(), Error> {
        Ok(self.open(file)?.write_all(what.as_bytes())?)
    }

    /// The pids in cgroup.procs: every process of the group, any session
    /// (sorted: the file's order is the kernel's, not a promise).
    fn procs(&self) -> Result<Vec<i32>, Error> {
        let text = std::fs::read_to_string(self.dir.join("cgroup.procs"))?;
        let mut pids: Vec<i32> =
            text.lines().filter_map(|l| l.parse().ok()).collect();
        pids.sort_unstable();
        Ok(pids)
    }
}

// ANCHOR: kill
/// Kills every process of the group and reaps them: cgroup.kill on v2;
/// on v1, freeze (nothing can fork), SIGKILL each, thaw, until empty.
fn kill_all(group: &Group) -> Result<Vec<(i32, WaitStatus)>, Error> {
    let mut ended = Vec::new();
    match group.kind {
        Kind::V2 => {
            group.write("cgroup.kill", "1")?;
            expect(wait_empty(group, BOUND)?, "cgroup.kill empties it")?;
            ended.extend(reap_all());
        }
        Kind::V1Freezer => loop {
            group.write("freezer.state", "FROZEN")?;
            let pids = group.procs()?;
            for pid in &pids {
                let _ = kill(Pid::from_raw(*pid), Signal::SIGKILL);
            }
            group.write("freezer.state", "THAWED")?;
            if pids.is_empty() {
                break;
            }
            ended.extend(reap_all());
        },
    }
    Ok(ended)
}
// ANCHOR_END: kill

// ANCHOR: events
/// Waits until cgroup.events says "populated 0", at most `limit`. The
/// kernel marks the file changed (POLLPRI) when that line changes.
fn wait_empty(group: &Group, limit: Duration) -> Result<bool, Error> {
    let mut events = File::open(group.dir.join("cgroup.events"))?;
    let deadline = Instant::now() + limit;
    loop {
        let mut text = String::new();
        events.rewind()?;
        events.read_to_string(&mut text)?;
        if text.lines().any(|l| l == "populated 0") {
            return Ok(true);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let mut fds = [PollFd::new(events.as_fd(), PollFlags::POLLPRI)];
        match poll(&mut fds, timeout(left)) {
            Ok(0) if left.is_zero() => return Ok(false),
            Ok(_) | Err(Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}
// ANCHOR_END: events

/// Where this kind of cgroup is mounted, and the group we run in there:
/// from /proc/self/mountinfo and /proc/self/cgroup.
fn where_cgroups_are(kind: Kind) -> Result<(PathBuf, String), Error> {
    let denied = std::env::var(DENY).unwrap_or_default();
    if denied == "cgroups" || (denied == "cgroup-v2" && kind == Kind::V2) {
        return Err(Error::NotPossible(format!("{DENY}={denied}")));
    }
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo")?;
    let mount = mountinfo.lines().find_map(|line| {
        let (left, right) = line.split_once(" - ")?;
        let mut r = right.split(' ');
        let (fstype, _source, options) = (r.next()?, r.next()?, r.next()?);
        let found = match kind {
            Kind::V2 => fstype == "cgroup2",
            Kind::V1Freezer => {
                fstype == "cgroup" && options.split(',').any(|o| o == "freezer")
            }
        };
        found.then(|| PathBuf::from(left.split(' ').nth(4).unwrap_or("")))
    });
    let what = match kind {
        Kind::V2 => "cgroup v2",
        Kind::V1Freezer => "cgroup v1 freezer",
    };
    let mount = mount
        .ok_or_else(|| Error::NotPossible(format!("no {what} mounted")))?;
    let cgroup = std::fs::read_to_string("/proc/self/cgroup")?;
    let own = cgroup.lines().find_map(|line| {
        let mut f = line.splitn(3, ':');
        let (_, controllers, path) = (f.next()?, f.next()?, f.next()?);
        let found = match kind {
            Kind::V2 => controllers.is_empty(),
            Kind::V1Freezer => controllers.split(',').any(|c| c == "freezer"),
        };
        found.then(|| path.to_string())
    });
    let own = own
        .ok_or_else(|| Error::NotPossible(format!("not in a {what} group")))?;
    Ok((mount, own))
}

// ------------------------------------------------------------- helpers

/// Reaps every child until there is none: the tree's processes all end up
/// ours (we are a subreaper), so this collects the whole tree.
fn reap_all() -> Vec<(i32, WaitStatus)> {
    let mut ended = Vec::new();
    loop {
        match waitpid(None, Some(WaitPidFlag::__WALL)) {
            Ok(status) => {
                if let Some(pid) = status.pid() {
                    ended.push((pid.as_raw(), status));
                }
            }
            Err(Errno::EINTR) => continue,
            Err(_) => return ended,
        }
    }
}

fn parent_of(pid: i32) -> Result<i32, Error> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after = &stat[stat.rfind(')').unwrap_or(0) + 2..];
    Ok(after.split(' ').nth(1).unwrap_or("0").parse()?)
}

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

    fn send(&self, sig: Signal) -> Result<(), Errno> {
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

    /// Whether the process exits within `limit`: the pidfd polls readable.
    fn exited(&self, limit: Duration) -> Result<bool, Errno> {
        let mut fds = [PollFd::new(self.0.as_fd(), PollFlags::POLLIN)];
        loop {
            match poll(&mut fds, timeout(limit)) {
                Err(Errno::EINTR) => continue,
                r => return Ok(r? > 0),
            }
        }
    }
}

fn timeout(d: Duration) -> PollTimeout {
    PollTimeout::try_from(d.as_millis().min(i32::MAX as u128) as i32)
        .unwrap_or(PollTimeout::MAX)
}

fn how(status: WaitStatus) -> String {
    match status {
        WaitStatus::Exited(_, code) => format!("exited with status {code}"),
        WaitStatus::Signaled(_, sig, _) => format!("killed by {sig}"),
        other => format!("{other:?}"),
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
