// In production, the heap dump note's attach, asked the other way round:
// who may attach to a live process? pyrasite and heaptrack -p attach with
// gdb, that is PTRACE_ATTACH; py-spy-style profilers read the target's
// memory with process_vm_readv. Both pass the kernel's ptrace access check.
// Each case runs a target and a tracer with the ids and capabilities it
// names, and tries both calls for real.
//
// The processes are forks of this program that change their own ids (no
// exec, so nothing depends on who may read this program's file). Sync is by
// pipes: a target says when it is ready, a tracer reports what it saw.
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::process::ExitCode;

use nix::errno::Errno;
use nix::libc;
use nix::sys::prctl;
use nix::sys::ptrace;
use nix::sys::signal::{kill, Signal};
use nix::sys::uio::{process_vm_readv, RemoteIoVec};
use nix::sys::wait::{waitpid, WaitPidFlag};
use nix::unistd::{fork, geteuid, pipe, setgroups, setresgid, setresuid};
use nix::unistd::{ForkResult, Gid, Pid, Uid};

/// Two user ids no login uses here; nothing needs them to exist.
const ALICE: u32 = 61001;
const BOB: u32 = 61002;
const CAP_SYS_PTRACE: u32 = 19;
/// What a reader finds at the same address in the target: every process
/// here is a fork of this one, so the address is the same in all of them.
static MARKER: [u8; 16] = *b"who may read me?";
/// `RSP_DENY=root` acts as if the program were not root, `=user-namespace`
/// as if user namespaces were off (what a sandbox allows); the tests use it.
const DENY: &str = "RSP_DENY";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("ptrace-attach: {why}");
            ExitCode::FAILURE
        }
    }
}

// ANCHOR: cases
/// Who traces.
#[derive(Clone, Copy)]
enum Tracer {
    /// A process of this uid, no capabilities.
    User(u32),
    /// Root with every capability but CAP_SYS_PTRACE.
    RootWithoutPtrace,
    /// This uid, with CAP_SYS_PTRACE and nothing else.
    UserWithPtrace(u32),
    /// This uid, root of a user namespace of its own (all capabilities
    /// there, none outside).
    UserNsRoot(u32),
}

/// Whom.
#[derive(Clone, Copy, PartialEq)]
enum Whom {
    Alice,
    /// Alice's process, after prctl(PR_SET_DUMPABLE, 0).
    AliceUndumpable,
    /// Alice's process, which another tracer has attached to already.
    AliceTraced,
    Bob,
    /// A child the tracer starts itself, inside its user namespace.
    OwnChild,
}

use Tracer::*;
use Whom::*;

/// A case: who traces whom, and the classic rules' answer, (attach, read).
type Case = (Tracer, Whom, (bool, bool));

/// Both allowed, or neither.
const YES: (bool, bool) = (true, true);
const NO: (bool, bool) = (false, false);

const CASES: [Case; 9] = [
    (User(ALICE), Alice, YES),
    (User(BOB), Alice, NO),
    (User(ALICE), AliceUndumpable, NO),
    (RootWithoutPtrace, Alice, NO),
    (UserWithPtrace(BOB), AliceUndumpable, YES),
    (User(ALICE), AliceTraced, (false, true)),
    (UserNsRoot(BOB), Alice, NO),
    (UserNsRoot(BOB), Bob, NO),
    (UserNsRoot(BOB), OwnChild, YES),
];
// ANCHOR_END: cases

fn run() -> Result<(), String> {
    let yama = yama_scope();
    describe_yama(yama);
    if !geteuid().is_root() || std::env::var(DENY).as_deref() == Ok("root") {
        println!(
            "ptrace-attach: not possible here: each case runs processes of \
             other users, which needs root (CAP_SETUID)"
        );
        return Ok(());
    }
    println!(
        "attach: PTRACE_ATTACH, as gdb for pyrasite-shell and heaptrack -p"
    );
    println!("read:   process_vm_readv, as py-spy reads a live interpreter");
    let head = "tracer -> target (alice: uid 61001, bob: 61002)";
    println!("{head:48} {:8} read", "attach");
    let mut wrong = Vec::new();
    for (i, case) in CASES.iter().enumerate() {
        let seen = try_case(case)?;
        let shown = match &seen {
            Ok((attach, read)) => format!("{attach:8} {read}"),
            Err(why) => format!("not possible here: {why}"),
        };
        let label = label(i, case);
        println!("{label:48} {shown}");
        if let Ok((attach, read)) = seen {
            if (attach == "allowed", read == "allowed") != expected(case, yama)
            {
                wrong.push(label);
            }
        }
    }
    match wrong.is_empty() {
        true => Ok(()),
        false => Err(format!("behaviour not seen in: {}", wrong.join("; "))),
    }
}

// ANCHOR: yama
/// Yama's setting, if the kernel has the Yama LSM: 0 classic, 1
/// restricted (ancestors only), 2 CAP_SYS_PTRACE only, 3 no attach at all.
fn yama_scope() -> Option<u8> {
    let path = "/proc/sys/kernel/yama/ptrace_scope";
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Whether Yama lets `case` through, on top of the classic rules.
fn yama_allows(case: &Case, scope: Option<u8>) -> bool {
    let (tracer, whom, _) = *case;
    // Only case 9's tracer is its target's ancestor; none is named by its
    // target with PR_SET_PTRACER. CAP_SYS_PTRACE counts in the target's
    // user namespace: case 5, and case 9, whose child lives in the
    // namespace its tracer has every capability in.
    let ancestor = whom == OwnChild;
    let cap = matches!(tracer, UserWithPtrace(_)) || whom == OwnChild;
    match scope {
        None | Some(0) => true,
        Some(1) => ancestor || cap,
        Some(2) => cap,
        Some(_) => false,
    }
}
// ANCHOR_END: yama

/// "3. alice -> alice, dumpable 0": case `i`, as the table shows it.
fn label(i: usize, (tracer, whom, _): &Case) -> String {
    let name = |uid: &u32| if *uid == ALICE { "alice" } else { "bob" };
    let who = match tracer {
        User(uid) => name(uid).to_string(),
        RootWithoutPtrace => "root without CAP_SYS_PTRACE".to_string(),
        UserWithPtrace(uid) => format!("{} with CAP_SYS_PTRACE", name(uid)),
        UserNsRoot(uid) => format!("{}, root of a user namespace", name(uid)),
    };
    let whom = match whom {
        Alice => "alice",
        AliceUndumpable => "alice, dumpable 0",
        AliceTraced => "alice, traced by another",
        Bob => "bob",
        OwnChild => "its child",
    };
    format!("{}. {who} -> {whom}", i + 1)
}

fn expected(case: &Case, scope: Option<u8>) -> (bool, bool) {
    let yama = yama_allows(case, scope);
    (case.2 .0 && yama, case.2 .1 && yama)
}

fn describe_yama(scope: Option<u8>) {
    let path = "/proc/sys/kernel/yama/ptrace_scope";
    match scope {
        None => println!("Yama: {path} is absent: no Yama LSM"),
        Some(s) => println!("Yama: {path} is {s}"),
    }
    // What scope 1, the "restricted" setting, would refuse on top.
    let stricter: Vec<String> = (0..CASES.len())
        .filter(|&i| expected(&CASES[i], Some(1)) != expected(&CASES[i], scope))
        .map(|i| (i + 1).to_string())
        .collect();
    if !stricter.is_empty() {
        println!(
            "Yama at ptrace_scope 1 would also refuse cases {}",
            stricter.join(", ")
        );
    }
}

// ---------------------------------------------------------- one case

/// Runs one case: its target, then its tracer (and the first tracer of
/// case 6). Ok(Err(why)) when the machine does not allow the setup.
fn try_case(case: &Case) -> Result<Result<(String, String), String>, String> {
    let (tracer, whom, _) = *case;
    let target = match whom {
        Alice | AliceTraced => Some(Target::start(ALICE, true)?),
        AliceUndumpable => Some(Target::start(ALICE, false)?),
        Bob => Some(Target::start(BOB, true)?),
        OwnChild => None,
    };
    let pid = target.as_ref().map(|t| t.pid);
    let holder = match (whom, pid) {
        (AliceTraced, Some(pid)) => Some(Holder::attach(pid)?),
        _ => None,
    };
    let report = in_child(|| trace(tracer, pid))?;
    drop(holder);
    drop(target);
    Ok(match report.split_once(' ') {
        Some(("ok", rest)) => {
            let (a, r) = rest.split_once(' ').unwrap_or((rest, ""));
            Ok((a.to_string(), r.to_string()))
        }
        _ => Err(report),
    })
}

// ANCHOR: target
/// A target: a process of `uid`, dumpable or not, that waits until it is
/// dropped.
struct Target {
    pid: Pid,
    _hold: OwnedFd,
}

impl Target {
    /// A process of this process's own ids: a plain fork that waits.
    fn start_here() -> Result<Target, String> {
        Target::spawn(|| Ok(()))
    }

    fn start(uid: u32, dumpable: bool) -> Result<Target, String> {
        Target::spawn(|| {
            become_user(uid)?;
            prctl::set_dumpable(dumpable).map_err(err)?;
            Ok(())
        })
    }

    /// Forks a process that runs `setup`, says whether it worked, waits.
    fn spawn(
        setup: impl FnOnce() -> Result<(), String>,
    ) -> Result<Target, String> {
        let (ready_r, ready_w) = pipe().map_err(err)?;
        let (hold_r, hold_w) = pipe().map_err(err)?;
        let (ready, hold) = (ready_w.as_raw_fd(), hold_r.as_raw_fd());
        let pid = forked(|| {
            let ok = setup().is_ok();
            let _ = raw_file(ready).write_all(if ok { b"y" } else { b"n" });
            let _ = raw_file(hold).read(&mut [0u8; 1]); // until killed
        })?;
        drop((ready_w, hold_r));
        let mut ready = [0u8; 1];
        File::from(ready_r).read_exact(&mut ready).map_err(err)?;
        let target = Target { pid, _hold: hold_w };
        match &ready {
            b"y" => Ok(target),
            _ => Err("the target could not change its ids".into()),
        }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = kill(self.pid, Signal::SIGKILL);
        let _ = waitpid(self.pid, None);
    }
}
// ANCHOR_END: target

// ANCHOR: tracer
/// Becomes the tracer `how` says (ids, capabilities, user namespace).
fn become_tracer(how: Tracer) -> Result<(), String> {
    match how {
        Tracer::User(uid) => become_user(uid),
        Tracer::RootWithoutPtrace => {
            let all = capabilities()?;
            set_capabilities(all & !(1 << CAP_SYS_PTRACE))
        }
        Tracer::UserWithPtrace(uid) => {
            // Keep the permitted set across the change of uid, then make
            // CAP_SYS_PTRACE the only capability, permitted and effective.
            prctl::set_keepcaps(true).map_err(err)?;
            become_user(uid)?;
            set_capabilities(1 << CAP_SYS_PTRACE)
        }
        Tracer::UserNsRoot(uid) => {
            become_user(uid)?;
            if std::env::var(DENY).as_deref() == Ok("user-namespace") {
                return Err("unshare(CLONE_NEWUSER): EPERM".into());
            }
            // SAFETY: unshare(2) changes only this process's namespaces.
            if unsafe { libc::unshare(libc::CLONE_NEWUSER) } != 0 {
                return Err(format!(
                    "unshare(CLONE_NEWUSER): {}",
                    Errno::last()
                ));
            }
            // uid 0 in the namespace is `uid` outside; setgroups must be
            // denied before an unprivileged process may map its gid.
            let write = |f: &str, s: String| {
                std::fs::write(format!("/proc/self/{f}"), s)
            };
            write("uid_map", format!("0 {uid} 1")).map_err(err)?;
            write("setgroups", "deny".into()).map_err(err)?;
            write("gid_map", format!("0 {uid} 1")).map_err(err)?;
            match capabilities()? & (1 << CAP_SYS_PTRACE) {
                0 => Err("no CAP_SYS_PTRACE in the new namespace".into()),
                _ => Ok(()),
            }
        }
    }
}
// ANCHOR_END: tracer

// ANCHOR: attach
/// In the tracer: PTRACE_ATTACH (then wait for the stop and detach, as gdb
/// does when it lets go), and a process_vm_readv of MARKER.
fn trace(how: Tracer, target: Option<Pid>) -> String {
    if let Err(why) = become_tracer(how) {
        return why;
    }
    // Case 9: a target of our own, started inside the user namespace.
    let own = match target {
        Some(_) => None,
        None => match Target::start_here() {
            Ok(t) => Some(t),
            Err(why) => return why,
        },
    };
    let Some(target) = target.or(own.as_ref().map(|t| t.pid)) else {
        return "no target".into();
    };
    let attach = match ptrace::attach(target) {
        Ok(()) => {
            let _ = waitpid(target, Some(WaitPidFlag::__WALL));
            let _ = ptrace::detach(target, None);
            "allowed".to_string()
        }
        Err(e) => format!("{e:?}"),
    };
    let mut buf = [0u8; MARKER.len()];
    let local = &mut [std::io::IoSliceMut::new(&mut buf)];
    let remote = [RemoteIoVec {
        base: MARKER.as_ptr() as usize,
        len: MARKER.len(),
    }];
    let read = match process_vm_readv(target, local, &remote) {
        Ok(n) if n == MARKER.len() && buf == MARKER => "allowed".to_string(),
        Ok(_) => "other bytes".to_string(),
        Err(e) => format!("{e:?}"),
    };
    format!("ok {attach} {read}")
}
// ANCHOR_END: attach

/// Case 6's first tracer: attached to the target until dropped.
struct Holder {
    pid: Pid,
    _release: OwnedFd,
}

impl Holder {
    fn attach(target: Pid) -> Result<Holder, String> {
        let (ready_r, ready_w) = pipe().map_err(err)?;
        let (release_r, release_w) = pipe().map_err(err)?;
        let (ready, release) = (ready_w.as_raw_fd(), release_r.as_raw_fd());
        let pid = forked(|| {
            let ok =
                become_user(ALICE).is_ok() && ptrace::attach(target).is_ok();
            if ok {
                let _ = waitpid(target, Some(WaitPidFlag::__WALL));
            }
            let _ = raw_file(ready).write_all(if ok { b"y" } else { b"n" });
            // Until killed: its death detaches it.
            let _ = raw_file(release).read(&mut [0u8; 1]);
        })?;
        drop((ready_w, release_r));
        let mut ready = [0u8; 1];
        File::from(ready_r).read_exact(&mut ready).map_err(err)?;
        let holder = Holder {
            pid,
            _release: release_w,
        };
        match &ready {
            b"y" => Ok(holder),
            _ => Err("the first tracer could not attach".into()),
        }
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = kill(self.pid, Signal::SIGKILL);
        let _ = waitpid(self.pid, None);
    }
}

// ------------------------------------------------------------- helpers

/// Runs `f` in a forked child that then exits; returns the child's pid.
fn forked(f: impl FnOnce()) -> Result<Pid, String> {
    // SAFETY: this program has one thread; the child runs `f` and exits
    // without returning into the parent's code.
    match unsafe { fork() }.map_err(err)? {
        ForkResult::Child => {
            f();
            // SAFETY: ends the child at once: no destructors, no atexit.
            unsafe { libc::_exit(0) }
        }
        ForkResult::Parent { child } => Ok(child),
    }
}

/// Runs `f` in a forked child and returns what it wrote: its report.
fn in_child(f: impl FnOnce() -> String) -> Result<String, String> {
    let (r, w) = pipe().map_err(err)?;
    let report = w.as_raw_fd();
    let pid = forked(|| {
        let _ = raw_file(report).write_all(f().as_bytes());
    })?;
    drop(w);
    let mut report = String::new();
    File::from(r).read_to_string(&mut report).map_err(err)?;
    waitpid(pid, None).map_err(err)?;
    Ok(report)
}

/// The child's view of a pipe end the parent made before the fork.
fn raw_file(fd: RawFd) -> std::mem::ManuallyDrop<File> {
    // SAFETY: the fd was open in the parent at the fork, so it is open in
    // the child; ManuallyDrop: the child exits without closing anything.
    std::mem::ManuallyDrop::new(unsafe { File::from_raw_fd(fd) })
}

/// All ids to `uid` (and the group of the same number), no extra groups;
/// then dumpable, as a program this user started would be.
fn become_user(uid: u32) -> Result<(), String> {
    setgroups(&[]).map_err(err)?;
    let gid = Gid::from_raw(uid);
    setresgid(gid, gid, gid).map_err(err)?;
    let uid = Uid::from_raw(uid);
    setresuid(uid, uid, uid).map_err(err)?;
    // A change of uid makes a process undumpable (its /proc files then
    // belong to root); an exec of a program it may read undoes that.
    prctl::set_dumpable(true).map_err(err)
}

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

const CAP_VERSION_3: u32 = 0x2008_0522;

/// This process's effective capabilities, as a 64-bit mask.
fn capabilities() -> Result<u64, String> {
    let mut header = CapHeader {
        version: CAP_VERSION_3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: capget(2) fills two CapData for version 3.
    let r = unsafe {
        libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr())
    };
    if r != 0 {
        return Err(format!("capget: {}", Errno::last()));
    }
    Ok(data[0].effective as u64 | (data[1].effective as u64) << 32)
}

/// Sets the effective and permitted capabilities to `mask`.
fn set_capabilities(mask: u64) -> Result<(), String> {
    let mut header = CapHeader {
        version: CAP_VERSION_3,
        pid: 0,
    };
    let data = [mask as u32, (mask >> 32) as u32].map(|m| CapData {
        effective: m,
        permitted: m,
        inheritable: 0,
    });
    // SAFETY: capset(2) reads two CapData for version 3.
    let r =
        unsafe { libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()) };
    if r != 0 {
        return Err(format!("capset: {}", Errno::last()));
    }
    Ok(())
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}
