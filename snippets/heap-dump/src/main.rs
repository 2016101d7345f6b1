// A Rust process has no object heap to walk: a value is bytes at an address,
// with no type tag a runtime could list. What can be seen of a live process
// is what its allocator counts (here a #[global_allocator] of our own), what
// glibc's malloc keeps (mallinfo2, malloc_info), and what the kernel shows
// from outside (/proc/<pid>/smaps_rollup and maps, process_vm_readv).
//
// The program plays both parts. Run plainly, it is the observer: it starts
// itself again as the target (HEAP_DUMP_ROLE=target), which allocates 10 000
// known strings and prints a heap table whenever it receives SIGUSR1.
use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, IoSliceMut};
use std::os::fd::{AsFd, BorrowedFd, IntoRawFd, OwnedFd};
use std::os::unix::fs::FileExt;
use std::process::{Child, ChildStdout, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering::Relaxed};
use std::sync::{Barrier, Mutex};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::libc;
use nix::sys::signal::{
    kill, sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal,
};
use nix::sys::uio::{process_vm_readv, RemoteIoVec};
use nix::unistd::Pid;

/// How many known strings the target allocates, each with capacity 64.
const KNOWN: usize = 10_000;
/// The one whose address the target reports.
const PROBE: usize = 4242;
/// What every known string starts with.
const MARK: &str = "known object #";

fn known_text(i: usize) -> String {
    format!("{MARK}{i:05}: written by the target")
}

// ANCHOR: allocator
/// Size classes of the table: up to 16, 32, ... 4096 bytes, up to 128 KiB
/// (glibc's default mmap threshold), and larger.
const LIMITS: [usize; 11] = [
    16,
    32,
    64,
    128,
    256,
    512,
    1024,
    2048,
    4096,
    128 << 10,
    usize::MAX,
];
const CLASSES: usize = LIMITS.len();

static LIVE_COUNT: [AtomicUsize; CLASSES] =
    [const { AtomicUsize::new(0) }; CLASSES];
static LIVE_BYTES: [AtomicUsize; CLASSES] =
    [const { AtomicUsize::new(0) }; CLASSES];

fn class(size: usize) -> usize {
    LIMITS
        .iter()
        .position(|&l| size <= l)
        .unwrap_or(CLASSES - 1)
}

fn count(size: usize, up: bool) {
    let c = class(size);
    if up {
        LIVE_COUNT[c].fetch_add(1, Relaxed);
        LIVE_BYTES[c].fetch_add(size, Relaxed);
    } else {
        LIVE_COUNT[c].fetch_sub(1, Relaxed);
        LIVE_BYTES[c].fetch_sub(size, Relaxed);
    }
}

/// The system allocator (glibc's malloc), counting live blocks per class.
struct Counting;

// SAFETY: every call is passed on to System unchanged; only counters change.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is System's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size(), true);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as above.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            count(layout.size(), true);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) };
        count(layout.size(), false);
    }
    unsafe fn realloc(
        &self,
        ptr: *mut u8,
        layout: Layout,
        new_size: usize,
    ) -> *mut u8 {
        // SAFETY: as above.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(layout.size(), false);
            count(new_size, true);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;
// ANCHOR_END: allocator

#[derive(Clone, Copy, Default)]
struct Snapshot {
    count: [usize; CLASSES],
    bytes: [usize; CLASSES],
}

/// Reads the counters; allocates nothing.
fn snapshot() -> Snapshot {
    let mut s = Snapshot::default();
    for c in 0..CLASSES {
        s.count[c] = LIVE_COUNT[c].load(Relaxed);
        s.bytes[c] = LIVE_BYTES[c].load(Relaxed);
    }
    s
}

fn main() -> ExitCode {
    let target =
        std::env::var_os("HEAP_DUMP_ROLE").is_some_and(|r| r == "target");
    let result = if target { target_main() } else { observer() };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("heap-dump: {e}");
            ExitCode::FAILURE
        }
    }
}

// ---------------------------------------------------------------- target

/// Write end of the self-pipe that the SIGUSR1 handler writes to.
static WAKE_FD: AtomicI32 = AtomicI32::new(-1);
/// The counters just before the known objects were allocated.
static BASELINE: Mutex<Option<Snapshot>> = Mutex::new(None);
/// The dump thread and main meet here once the thread is up.
static STARTED: Barrier = Barrier::new(2);

// ANCHOR: handler
/// Runs in whatever thread the signal interrupts, maybe inside malloc: it may
/// only call async-signal-safe functions. It writes one byte to a pipe.
extern "C" fn on_sigusr1(_: libc::c_int) {
    let saved = Errno::last_raw();
    let fd = WAKE_FD.load(Relaxed);
    // SAFETY: write(2) is async-signal-safe; the buffer is a local byte.
    unsafe { libc::write(fd, [1u8].as_ptr().cast(), 1) };
    Errno::set_raw(saved);
}

/// The dump thread: blocks on the self-pipe, prints a dump per byte.
fn dump_thread(wake: OwnedFd) {
    STARTED.wait();
    let mut byte = [0u8; 1];
    loop {
        match nix::unistd::read(wake.as_fd(), &mut byte) {
            Ok(1) => {}
            Err(Errno::EINTR) => continue,
            _ => return,
        }
        // First the counters, before this thread allocates anything.
        let now = snapshot();
        // SAFETY: mallinfo2 only reads malloc's state.
        let glibc = unsafe { libc::mallinfo2() };
        let base = BASELINE
            .lock()
            .map(|b| b.unwrap_or_default())
            .unwrap_or_default();
        print!("{}", dump(&now, &base, &glibc));
    }
}
// ANCHOR_END: handler

fn target_main() -> Result<(), String> {
    println!("target: pid {} started", std::process::id());
    start_dump_thread()?;
    let known = allocate_known()?;

    // Wait for EOF on stdin, into a stack buffer: nothing allocated here
    // may land between the baseline and a dump.
    // (std::io::stdin() would allocate its 8 KiB buffer right here.)
    // SAFETY: fd 0 stays open for the life of the process.
    let stdin = unsafe { BorrowedFd::borrow_raw(libc::STDIN_FILENO) };
    let mut buf = [0u8; 64];
    loop {
        match nix::unistd::read(stdin, &mut buf) {
            Ok(0) => break,
            Ok(_) | Err(Errno::EINTR) => continue,
            Err(e) => return Err(format!("read stdin: {e}")),
        }
    }
    drop(known);
    let base = BASELINE
        .lock()
        .map(|b| b.unwrap_or_default())
        .unwrap_or_default();
    let c64 = class(64);
    let after = snapshot().count[c64] as i64 - base.count[c64] as i64;
    println!(
        "target: stdin closed; dropped the strings; \
         class <= 64 since the baseline: {after:+} allocs"
    );
    Ok(())
}

// ANCHOR: target
/// SIGUSR1 wakes the dump thread: the handler, a self-pipe, the thread.
fn start_dump_thread() -> Result<(), String> {
    let (wake_rx, wake_tx) =
        nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(|e| e.to_string())?;
    WAKE_FD.store(wake_tx.into_raw_fd(), Relaxed); // kept open until exit
    let action = SigAction::new(
        SigHandler::Handler(on_sigusr1),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    // SAFETY: the handler only calls write(2) and touches errno.
    unsafe { sigaction(Signal::SIGUSR1, &action) }
        .map_err(|e| format!("sigaction: {e}"))?;
    std::thread::spawn(move || dump_thread(wake_rx));
    STARTED.wait();
    Ok(())
}

/// The baseline, then the known strings; says where #4242 is.
fn allocate_known() -> Result<Vec<String>, String> {
    *BASELINE.lock().map_err(|_| "poisoned")? = Some(snapshot());
    let mut known: Vec<String> = Vec::with_capacity(KNOWN);
    for i in 0..KNOWN {
        let mut s = String::with_capacity(64);
        write!(s, "{MARK}{i:05}: written by the target")
            .map_err(|e| e.to_string())?;
        known.push(s);
    }
    let probe = &known[PROBE];
    // SAFETY: the pointer came from malloc (through System) and is live.
    let usable = unsafe {
        libc::malloc_usable_size(probe.as_ptr() as *mut libc::c_void)
    };
    println!(
        "target: ready: {KNOWN} strings of capacity {}; \
         #{PROBE} is {} bytes at {:#x} (malloc_usable_size {usable})",
        probe.capacity(),
        probe.len(),
        probe.as_ptr() as usize
    );
    Ok(known)
}
// ANCHOR_END: target

// ANCHOR: dump
/// The heap table, then glibc's own view of the same process.
fn dump(now: &Snapshot, base: &Snapshot, glibc: &libc::mallinfo2) -> String {
    let mut out =
        String::from("size class  new since the baseline    (live now)\n");
    let mut rows: Vec<(String, [i64; 4])> = Vec::new();
    for (c, limit) in LIMITS.iter().enumerate() {
        let name = match *limit {
            usize::MAX => "> 128 KiB".to_string(),
            l if l >= 1024 => format!("<= {} KiB", l >> 10),
            l => format!("<= {l}"),
        };
        let (count, bytes) = (now.count[c] as i64, now.bytes[c] as i64);
        let new = [count - base.count[c] as i64, bytes - base.bytes[c] as i64];
        rows.push((name, [new[0], new[1], count, bytes]));
    }
    let total = rows
        .iter()
        .fold([0; 4], |t, (_, r)| [0, 1, 2, 3].map(|i| t[i] + r[i]));
    // Only the classes that gained or lost blocks since the baseline.
    let classes = rows.len();
    rows.retain(|(_, [n, b, ..])| *n != 0 || *b != 0);
    let hidden = classes - rows.len();
    rows.push(("total".to_string(), total));
    for (name, [n, b, count, bytes]) in rows {
        let _ = writeln!(
            out,
            "{name:<10} {n:>+7} allocs {b:>+9} B    \
             (live now: {count} allocs, {bytes} B)"
        );
    }
    let _ = writeln!(
        out,
        "({hidden} of the {classes} size classes have no new blocks: not shown)"
    );
    let _ = writeln!(
        out,
        "glibc mallinfo2: arena={} uordblks={} fordblks={} hblks={} hblkhd={}",
        glibc.arena, glibc.uordblks, glibc.fordblks, glibc.hblks, glibc.hblkhd
    );
    match malloc_info_xml() {
        Ok(xml) => {
            let heaps = xml.matches("<heap nr=").count();
            let totals = &xml[xml.rfind("</heap>").map_or(0, |i| i + 7)..];
            let _ = writeln!(
                out,
                "glibc malloc_info: {} bytes of XML, \
                 {heaps} <heap> elements (arenas); its totals:",
                xml.len()
            );
            for line in totals.lines().map(str::trim) {
                if line.starts_with("<total") || line.starts_with("<system") {
                    let _ = writeln!(out, "  {line}");
                }
            }
        }
        Err(e) => {
            let _ = writeln!(out, "glibc malloc_info: {e}");
        }
    }
    out.push_str("end of dump\n");
    out
}

/// malloc_info(3) writes XML to a FILE*; open_memstream gives one that
/// writes into a malloc'd buffer.
fn malloc_info_xml() -> Result<String, String> {
    let mut ptr: *mut libc::c_char = std::ptr::null_mut();
    let mut size: libc::size_t = 0;
    // SAFETY: ptr and size outlive the stream, which is closed below.
    let stream = unsafe { libc::open_memstream(&mut ptr, &mut size) };
    if stream.is_null() {
        return Err(format!("open_memstream: {}", Errno::last()));
    }
    // SAFETY: stream is a valid FILE*; fclose flushes and sets ptr and size.
    let rc = unsafe { libc::malloc_info(0, stream) };
    // SAFETY: as above; the stream is not used after this.
    unsafe { libc::fclose(stream) };
    let xml = if ptr.is_null() {
        String::new()
    } else {
        // SAFETY: open_memstream's buffer holds `size` bytes (plus a NUL).
        let bytes =
            unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), size) };
        let xml = String::from_utf8_lossy(bytes).into_owned();
        // SAFETY: the buffer was allocated by the C library for us to free.
        unsafe { libc::free(ptr.cast()) };
        xml
    };
    if rc != 0 {
        return Err(format!("malloc_info: {}", Errno::last()));
    }
    Ok(xml)
}
// ANCHOR_END: dump

// -------------------------------------------------------------- observer

/// The target process: killed and reaped if the observer returns early.
struct Target {
    child: Child,
    out: BufReader<ChildStdout>,
    reaped: bool,
}

impl Target {
    /// Relays the target's lines, indented, until one starts with `until`.
    fn relay(&mut self, until: &str) -> Result<Vec<String>, String> {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            match self.out.read_line(&mut line) {
                Ok(0) => {
                    return Err(format!(
                        "target's output ended before {until:?}"
                    ))
                }
                Ok(_) => {}
                Err(e) => return Err(format!("reading the target: {e}")),
            }
            let line = line.trim_end().to_string();
            println!("  {line}");
            let done = line.trim_start().starts_with(until);
            lines.push(line);
            if done {
                return Ok(lines);
            }
        }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        if !self.reaped {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn observer() -> Result<(), String> {
    let (mut target, addr, len) = start_target()?;
    let pid = Pid::from_raw(target.child.id() as i32);
    dump_on_signal(&mut target, pid)?;
    let heap = view_from_outside(pid, addr)?;
    read_from_outside(pid, addr, len, heap)?;
    read_proc_mem(pid, addr, len)?;
    who_read_whom(pid);
    let_it_exit(target)
}

// ANCHOR: spawn
/// Starts the target with pipes on stdin and stdout, and waits for its
/// "ready" line: returns it with #4242's address and length.
fn start_target() -> Result<(Target, usize, usize), String> {
    let exe =
        std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let mut child = Command::new(exe)
        .env("HEAP_DUMP_ROLE", "target")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn: {e}"))?;
    let out = BufReader::new(child.stdout.take().ok_or("no stdout pipe")?);
    let mut target = Target {
        child,
        out,
        reaped: false,
    };
    println!(
        "observer: started the target, pid {}; it says:",
        target.child.id()
    );
    let ready = target.relay("target: ready")?;
    let (addr, len) = parse_ready(ready.last().map_or("", |l| l.as_str()))?;
    Ok((target, addr, len))
}
// ANCHOR_END: spawn

// ANCHOR: signal
/// SIGUSR1, then the dump the target's thread prints, checked against
/// what the observer knows the target allocated.
fn dump_on_signal(target: &mut Target, pid: Pid) -> Result<(), String> {
    println!("observer: kill(target, SIGUSR1); its dump thread prints:");
    kill(pid, Signal::SIGUSR1).map_err(|e| format!("kill: {e}"))?;
    let dump = target.relay("end of dump")?;
    let row64 = dump.iter().find(|l| l.trim_start().starts_with("<= 64 "));
    expect(
        row64.is_some_and(|l| l.contains("+10000 allocs   +640000 B")),
        "the dump should count 10000 new 64-byte blocks",
    )?;
    let in_use = field(&dump, "uordblks=");
    expect(
        in_use >= KNOWN * 80 && field(&dump, "hblks=") >= 1,
        "glibc should hold >= 10000 x 80 bytes in use and >= 1 mmapped chunk",
    )
}
// ANCHOR_END: signal

// ANCHOR: proc
/// The kernel's view: smaps_rollup, and the [heap] mapping in smaps.
/// Returns [heap]'s address range.
fn view_from_outside(pid: Pid, addr: usize) -> Result<(usize, usize), String> {
    let proc = format!("/proc/{pid}");
    let rollup = std::fs::read_to_string(format!("{proc}/smaps_rollup"))
        .map_err(|e| format!("smaps_rollup: {e}"))?;
    let kb = |text: &str, key: &str| -> usize {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())
            .unwrap_or(0)
    };
    println!(
        "observer: /proc/<target>/smaps_rollup: \
         Rss {} kB, Pss {} kB, Anonymous {} kB",
        kb(&rollup, "Rss:"),
        kb(&rollup, "Pss:"),
        kb(&rollup, "Anonymous:")
    );
    let smaps = std::fs::read_to_string(format!("{proc}/smaps"))
        .map_err(|e| format!("smaps: {e}"))?;
    let heap_at = smaps
        .find("[heap]")
        .ok_or("the target has no [heap] mapping")?;
    let header = smaps[..heap_at].lines().last().unwrap_or_default();
    let (start, end) = parse_range(header)?;
    let heap_rss = kb(&smaps[heap_at..], "Rss:");
    println!(
        "observer: [heap] is {start:#x}-{end:#x} \
         ({} kB, Rss {heap_rss} kB); #{PROBE} {} in it",
        (end - start) >> 10,
        if (start..end).contains(&addr) {
            "lies"
        } else {
            "does NOT lie"
        }
    );
    expect(
        (start..end).contains(&addr) && heap_rss * 1024 >= KNOWN * 80,
        "the known strings should live in [heap], which should hold them",
    )?;
    Ok((start, end))
}
// ANCHOR_END: proc

// ANCHOR: vm_readv
/// process_vm_readv: string #4242, then all of [heap], then address 0.
fn read_from_outside(
    pid: Pid,
    addr: usize,
    len: usize,
    (start, end): (usize, usize),
) -> Result<(), String> {
    let mut buf = vec![0u8; len];
    let remote = [RemoteIoVec { base: addr, len }];
    let n = process_vm_readv(pid, &mut [IoSliceMut::new(&mut buf)], &remote)
        .map_err(|e| format!("process_vm_readv: {e}"))?;
    let text = String::from_utf8_lossy(&buf[..n]);
    println!(
        "observer: process_vm_readv(target, {addr:#x}, {len}) -> {text:?}"
    );
    expect(
        text == known_text(PROBE),
        "the bytes read should be string #4242",
    )?;

    // The whole [heap], in one call: count the known strings from outside.
    let mut heap = vec![0u8; end - start];
    let remote = [RemoteIoVec {
        base: start,
        len: end - start,
    }];
    let n = process_vm_readv(pid, &mut [IoSliceMut::new(&mut heap)], &remote)
        .map_err(|e| format!("process_vm_readv([heap]): {e}"))?;
    let found = heap[..n]
        .windows(MARK.len())
        .filter(|w| *w == MARK.as_bytes())
        .count();
    println!(
        "observer: read all {n} bytes of [heap] the same way: \
         {found} strings start with {MARK:?}"
    );
    expect(found == KNOWN, "10000 known strings in the target's [heap]")?;
    let err = process_vm_readv(
        pid,
        &mut [IoSliceMut::new(&mut buf)],
        &[RemoteIoVec { base: 0, len }],
    );
    println!("observer: process_vm_readv(target, 0x0, {len}) -> {err:?}");
    Ok(())
}
// ANCHOR_END: vm_readv

// ANCHOR: proc_mem
/// The same bytes through a file: /proc/<pid>/mem, read at the address.
fn read_proc_mem(pid: Pid, addr: usize, len: usize) -> Result<(), String> {
    let mut again = vec![0u8; len];
    std::fs::File::open(format!("/proc/{pid}/mem"))
        .and_then(|mem| mem.read_exact_at(&mut again, addr as u64))
        .map_err(|e| format!("/proc/<target>/mem: {e}"))?;
    let same = again == known_text(PROBE).as_bytes();
    println!(
        "observer: pread(/proc/<target>/mem, {addr:#x}) -> same bytes: {same}"
    );
    expect(same, "/proc/<pid>/mem should show the same string")
}
// ANCHOR_END: proc_mem

// ANCHOR: access
/// Who read whom, and what the Yama security module allows, if present.
fn who_read_whom(pid: Pid) {
    // The real uid: the first of the four on the Uid: line.
    let uid = |p: &str| -> String {
        let status = std::fs::read_to_string(format!("{p}/status"));
        let status = status.unwrap_or_default();
        let line = status.lines().find_map(|l| l.strip_prefix("Uid:"));
        let real = line.and_then(|u| u.split_whitespace().next());
        real.unwrap_or("?").to_string()
    };
    let yama = std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "absent (no Yama LSM)".into());
    println!(
        "observer: uid {} read the memory of uid {}, its child; \
         Yama ptrace_scope: {yama}",
        uid("/proc/self"),
        uid(&format!("/proc/{pid}"))
    );
}
// ANCHOR_END: access

// ANCHOR: exit
/// Closing the target's stdin is its signal to free the strings and exit.
fn let_it_exit(mut target: Target) -> Result<(), String> {
    let proc = format!("/proc/{}", target.child.id());
    println!("observer: closed the target's stdin; it says:");
    drop(target.child.stdin.take());
    target.relay("target: stdin closed")?;
    let status = target.child.wait().map_err(|e| format!("wait: {e}"))?;
    target.reaped = true;
    let gone = !std::path::Path::new(&proc).exists();
    println!("observer: wait -> {status}; /proc/<target> gone: {gone}");
    expect(
        status.success() && gone,
        "the target should exit 0 and be reaped",
    )
}
// ANCHOR_END: exit

/// "... #4242 is 42 bytes at 0x55d0... (...)" -> (address, length).
fn parse_ready(line: &str) -> Result<(usize, usize), String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "at").ok_or("no address")?;
    let addr =
        usize::from_str_radix(words[at + 1].trim_start_matches("0x"), 16)
            .map_err(|e| format!("address: {e}"))?;
    let len = words[at - 2].parse().map_err(|e| format!("length: {e}"))?;
    Ok((addr, len))
}

/// "55d0c1a2b000-55d0c1b4c000 rw-p ..." -> (start, end).
fn parse_range(header: &str) -> Result<(usize, usize), String> {
    let range = header.split_whitespace().next().unwrap_or_default();
    let (a, b) = range.split_once('-').ok_or("no range")?;
    let hex = |s: &str| usize::from_str_radix(s, 16).map_err(|e| e.to_string());
    Ok((hex(a)?, hex(b)?))
}

/// The number after `key` in the dump (`uordblks=812345`), or 0.
fn field(dump: &[String], key: &str) -> usize {
    dump.iter()
        .find_map(|l| l.split_whitespace().find_map(|w| w.strip_prefix(key)))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn expect(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("behaviour not seen: {what}"))
    }
}
