// How long after a child exits does the parent notice, and how often does
// the parent wake up meanwhile? try_wait() with a sleep of 1, 10 or 100 ms
// between polls, against one poll() on a pidfd.
//
// Each run: spawn a child, wait for its "ready" byte, then start waiting for
// its exit and, from a helper thread, close its stdin at an offset spread
// evenly over one polling period (so the exit falls at every phase of the
// polling loop). The child reads CLOCK_MONOTONIC, sends the reading back
// down its stdout and calls _exit. Latency = the parent's reading right
// after it noticed the exit minus the child's reading.
use std::io::{Read, Write};
use std::os::fd::{AsFd, FromRawFd, OwnedFd, RawFd};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::libc;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

const ROLE: &str = "EXIT_LATENCY_ROLE";

#[derive(Clone, Copy)]
enum Method {
    TryWait(Duration),
    Pidfd,
}

/// The methods, with run counts chosen so that everything takes about 1 s
/// (a 100 ms polling run costs about 100 ms).
const PLAN: [(Method, usize); 4] = [
    (Method::TryWait(Duration::from_millis(1)), 15),
    (Method::TryWait(Duration::from_millis(10)), 15),
    (Method::TryWait(Duration::from_millis(100)), 5),
    (Method::Pidfd, 15),
];
/// One more run per method, with a child that lives this long, to count
/// the wake-ups.
const LIFETIME: Duration = Duration::from_millis(50);

struct Sample {
    latency: Duration,
    wakeups: u32,
}

fn main() -> ExitCode {
    if std::env::var_os(ROLE).is_some() {
        child();
    }
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("poll-child: {e}");
            ExitCode::FAILURE
        }
    }
}

/// CLOCK_MONOTONIC in nanoseconds: the same clock in parent and child.
fn now_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn child() -> ! {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(b"r").and_then(|()| out.flush());
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    let t = now_ns();
    let _ = out.write_all(&t.to_ne_bytes()).and_then(|()| out.flush());
    // SAFETY: _exit ends the process at once; nothing to clean up.
    unsafe { libc::_exit(0) }
}

struct Row {
    name: String,
    latencies: Vec<Duration>, // sorted
    wakeups: Vec<u32>,        // every run's, the LIFETIME run's last
}

fn run() -> Result<(), String> {
    let exe =
        std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let start = Instant::now();
    let mut rows = Vec::new();
    let mut children = 0;
    for (method, runs) in PLAN {
        // The phase does not matter for a pidfd; spread it over 1 ms anyway.
        let (name, period) = match method {
            Method::TryWait(p) => {
                (format!("try_wait, sleep {} ms", p.as_millis()), p)
            }
            Method::Pidfd => {
                ("pidfd + poll".to_string(), Duration::from_millis(1))
            }
        };
        let mut latencies = Vec::new();
        let mut wakeups = Vec::new();
        for k in 0..runs {
            let offset = period.mul_f64((k as f64 + 0.5) / runs as f64);
            let s = one_run(&exe, method, offset)?;
            latencies.push(s.latency);
            wakeups.push(s.wakeups);
        }
        wakeups.push(one_run(&exe, method, LIFETIME)?.wakeups);
        children += runs + 1;
        latencies.sort();
        rows.push(Row {
            name,
            latencies,
            wakeups,
        });
    }
    let total = start.elapsed();

    println!(
        "latency: from the child's last CLOCK_MONOTONIC reading before _exit"
    );
    println!("to the parent's first reading after it noticed the exit, in ms");
    println!(
        "{:<22} {:>4}  {:>8}  {:>8}  {:>8}  {:>17}",
        "method", "runs", "median", "min", "max", "wake-ups in 50 ms"
    );
    for r in &rows {
        let l = &r.latencies;
        println!(
            "{:<22} {:>4}  {:>8.3}  {:>8.3}  {:>8.3}  {:>17}",
            r.name,
            l.len(),
            ms(l[l.len() / 2]),
            ms(l[0]),
            ms(l[l.len() - 1]),
            r.wakeups.last().copied().unwrap_or_default(),
        );
    }
    println!(
        "(wake-ups: try_wait() calls, or poll() returns, \
         while one child ran 50 ms)"
    );
    println!(
        "{children} children in {:.2} s on {} CPUs",
        total.as_secs_f64(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    // Checked on every build: what holds by construction. A blocking poll
    // on a pidfd returns once, when the child has exited.
    let pidfd_runs = &rows[3].wakeups;
    expect(
        pidfd_runs.iter().all(|&w| w == 1),
        "a pidfd wait wakes up once per exit",
    )?;
    println!(
        "checked: the pidfd wait woke up once per exit, in all {} runs",
        pidfd_runs.len()
    );
    // Reported, not checked: what timing noise on a busy machine can
    // reorder (an oversleeping 1 ms poll, a late wake-up of the pidfd
    // waiter), so that a failure would say nothing about the code.
    let median = |i: usize| rows[i].latencies[rows[i].latencies.len() / 2];
    let in_50ms =
        |i: usize| rows[i].wakeups.last().copied().unwrap_or_default();
    let yes = |b: bool| if b { "yes" } else { "no" };
    println!("seen in this run, not checked (noise can reorder them):");
    println!(
        "  the shorter the polling interval, the more wake-ups: {}",
        yes(in_50ms(0) > in_50ms(1) && in_50ms(1) > in_50ms(3))
    );
    println!(
        "  polling every 100 ms noticed later than a pidfd and 1 ms polling: {}",
        yes(median(2) > median(3) && median(2) > median(0))
    );
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

// ANCHOR: measure
fn one_run(
    exe: &std::path::Path,
    method: Method,
    offset: Duration,
) -> Result<Sample, String> {
    let mut child = Command::new(exe)
        .env(ROLE, "child")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn: {e}"))?;
    let mut from_child = child.stdout.take().ok_or("no stdout")?;
    let stdin = child.stdin.take().ok_or("no stdin")?;
    from_child
        .read_exact(&mut [0u8; 1])
        .map_err(|e| format!("ready: {e}"))?;
    let pidfd =
        pidfd_open(child.id()).map_err(|e| format!("pidfd_open: {e}"))?;

    // The exit is triggered at `offset` into the wait: that sleep sets up
    // the experiment, it does not synchronise anything.
    let trigger = std::thread::spawn(move || {
        std::thread::sleep(offset);
        drop(stdin);
    });
    let mut wakeups = 0;
    match method {
        Method::TryWait(period) => loop {
            wakeups += 1;
            if child
                .try_wait()
                .map_err(|e| format!("try_wait: {e}"))?
                .is_some()
            {
                break;
            }
            std::thread::sleep(period);
        },
        Method::Pidfd => loop {
            wakeups += 1;
            let mut fds = [PollFd::new(pidfd.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, PollTimeout::NONE) {
                Ok(_) => break,
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(format!("poll: {e}")),
            }
        },
    }
    let noticed = now_ns();
    child.wait().map_err(|e| format!("wait: {e}"))?; // reaps it (pidfd case)
    trigger.join().map_err(|_| "trigger thread panicked")?;
    let mut t = [0u8; 8];
    from_child
        .read_exact(&mut t)
        .map_err(|e| format!("child's timestamp: {e}"))?;
    let exited = u64::from_ne_bytes(t);
    Ok(Sample {
        latency: Duration::from_nanos(noticed.saturating_sub(exited)),
        wakeups,
    })
}
// ANCHOR_END: measure

/// pidfd_open(2) as a system call: see the main program.
fn pidfd_open(pid: u32) -> std::io::Result<OwnedFd> {
    // SAFETY: pidfd_open(pid, flags) returns a new fd or -1.
    let fd =
        unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a fresh fd that nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

fn expect(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("behaviour not seen: {what}"))
    }
}
