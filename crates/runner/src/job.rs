//! `runner job`: the process inside a sandbox (pid 1 of its namespaces). It
//! waits for one [`JobSpec`] line on stdin, compiles with rustc or runs the
//! program under the snippet supervisor (timeout, output cap, its own
//! process group, a kill-all of what it leaves), and prints [`Event`] lines
//! on stdout as things happen. The supervisor makes its caller a child
//! subreaper and reaps every child, which is why this is a process of its
//! own and never the server. If its stdin closes before it is done (the
//! server ended the run or died) it kills everything it started and exits.
use std::io::{BufRead, Write};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nix::sys::signal::{signal, SigHandler, Signal};
use serde::{Deserialize, Serialize};
use supervisor::{supervise, supervise_streaming, Ending, Limits, Outcome};

use crate::events::Event;
use crate::sandbox::rlimits::Rlimits;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum JobSpec {
    Compile(CompileSpec),
    Run(RunSpec),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompileSpec {
    pub rustc: PathBuf,
    pub args: Vec<String>,
    /// rustc runs here and reads `src/main.rs`, which the job writes.
    pub cwd: PathBuf,
    pub source: String,
    pub env: Vec<(String, String)>,
    pub timeout_ms: u64,
    pub limits: Rlimits,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunSpec {
    pub exe: PathBuf,
    /// argv[0]: the snippet's name, as `cargo run` would show it.
    pub arg0: String,
    /// The rest of argv (a Python run: the program's path).
    #[serde(default)]
    pub args: Vec<String>,
    pub cwd: PathBuf,
    pub env: Vec<(String, String)>,
    pub timeout_ms: u64,
    pub output_cap: usize,
    pub limits: Rlimits,
}

/// Bytes of compiler output kept (a 256 KiB source can make a lot of errors).
pub const COMPILER_OUTPUT_CAP: usize = 128 * 1024;

fn emit(e: &Event) {
    let mut out = std::io::stdout().lock();
    // The server may be gone: we still finish and clean up.
    let _ = out.write_all(e.line().as_bytes());
    let _ = out.flush();
}

/// Our descendants, from /proc (ppid chains down from us).
fn descendants() -> Vec<i32> {
    let me = std::process::id() as i32;
    let parent_of: Vec<(i32, i32)> = crate::procs::all()
        .into_iter()
        .filter_map(|p| Some((p, crate::procs::ppid(p)?)))
        .collect();
    let mut found = vec![me];
    let mut i = 0;
    while i < found.len() {
        let p = found[i];
        found.extend(parent_of.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    found.remove(0);
    found
}

/// The server closed our stdin: kill all we started, then go.
fn cancel() -> ! {
    for _ in 0..100 {
        let left = descendants();
        if left.is_empty() {
            break;
        }
        for pid in left {
            // SAFETY: kill() on a pid of our own tree.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    std::process::exit(3)
}

pub fn main() -> ExitCode {
    // The program runs as the same user: it must not be able to ptrace us
    // or write our memory to forge events.
    // SAFETY: prctl with integer arguments.
    unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) };
    for sig in [
        Signal::SIGINT,
        Signal::SIGTERM,
        Signal::SIGHUP,
        Signal::SIGPIPE,
    ] {
        // SAFETY: SigIgn installs no handler code.
        let _ = unsafe { signal(sig, SigHandler::SigIgn) };
    }
    let mut stdin = std::io::BufReader::new(std::io::stdin());
    let mut line = String::new();
    match stdin.read_line(&mut line) {
        Ok(0) | Err(_) => return ExitCode::SUCCESS,
        Ok(_) => {}
    }
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut stdin, &mut std::io::sink());
        cancel()
    });
    let spec: JobSpec = match serde_json::from_str(&line) {
        Ok(s) => s,
        Err(e) => {
            emit(&Event::Error {
                message: format!("runner job: bad job description: {e}"),
            });
            return ExitCode::from(2);
        }
    };
    match &spec {
        JobSpec::Compile(c) => compile(c),
        JobSpec::Run(r) => run(r),
    }
    ExitCode::SUCCESS
}

fn compile(c: &CompileSpec) {
    let src = c.cwd.join("src");
    if let Err(e) =
        std::fs::create_dir_all(&src).and_then(|()| std::fs::write(src.join("main.rs"), &c.source))
    {
        emit(&Event::Error {
            message: format!("cannot write the source for rustc: {e}"),
        });
        return;
    }
    emit(&Event::Compiling);
    let mut cmd = Command::new(&c.rustc);
    cmd.args(&c.args)
        .current_dir(&c.cwd)
        .env_clear()
        .envs(c.env.iter().map(|(k, v)| (k, v)));
    c.limits.apply(&mut cmd);
    let limits = Limits {
        timeout: Duration::from_millis(c.timeout_ms),
        output_cap: COMPILER_OUTPUT_CAP,
    };
    match supervise(cmd, &limits) {
        Ok(o) => {
            let parsed = crate::diagnostics::parse(&text(&o.output, o.dropped), "src/main.rs");
            let (mut output, mut ansi) = (parsed.plain, parsed.ansi);
            let mut note = String::new();
            let ok = match o.ending {
                Ending::Exited(0) => true,
                Ending::Exited(_) => false,
                Ending::TimedOut => {
                    note = format!(
                        "\n[runner: rustc was stopped after {} s]",
                        c.timeout_ms / 1000
                    );
                    false
                }
                Ending::Signaled(s) => {
                    note = format!("\n[runner: rustc was killed by {s}]");
                    false
                }
            };
            output.push_str(&note);
            ansi.push_str(&note);
            emit(&Event::Compiled {
                ok,
                output,
                ms: o.elapsed.as_millis() as u64,
                ansi,
                diagnostics: parsed.diagnostics,
                kept: None,
            });
        }
        Err(e) => emit(&Event::Error {
            message: format!("cannot run rustc ({}): {e}", c.rustc.display()),
        }),
    }
}

/// Starts of a program refused with ETXTBSY tried again, 10 ms apart. The
/// server copies the program into the sandbox; if another of its threads
/// forked to start a sandbox while the copy was open for writing, the
/// child holds that descriptor until its exec, and the kernel refuses to
/// execute a file open for writing. Nothing says when that child has
/// exec'd, so the start is tried again, for up to half a second.
const BUSY_TRIES: u32 = 50;

/// `start()`, tried again while it fails with ETXTBSY (at most `tries`
/// more times, `pause` apart).
fn retry_busy<T>(
    tries: u32,
    pause: Duration,
    mut start: impl FnMut() -> std::io::Result<T>,
) -> std::io::Result<T> {
    let mut left = tries;
    loop {
        match start() {
            Err(e) if e.raw_os_error() == Some(nix::errno::Errno::ETXTBSY as i32) && left > 0 => {
                left -= 1;
                std::thread::sleep(pause);
            }
            other => return other,
        }
    }
}

fn run(r: &RunSpec) {
    let limits = Limits {
        timeout: Duration::from_millis(r.timeout_ms),
        output_cap: r.output_cap,
    };
    // Output arrives in pieces that may cut a UTF-8 character in two: keep
    // the unfinished tail for the next piece.
    let pending = Arc::new(Mutex::new(Vec::<u8>::new()));
    let result = retry_busy(BUSY_TRIES, Duration::from_millis(10), || {
        let mut cmd = Command::new(&r.exe);
        cmd.arg0(&r.arg0)
            .args(&r.args)
            .current_dir(&r.cwd)
            .env_clear()
            .envs(r.env.iter().map(|(k, v)| (k, v)));
        r.limits.apply(&mut cmd);
        let tail = Arc::clone(&pending);
        supervise_streaming(cmd, &limits, move |chunk| {
            let mut buf = tail.lock().unwrap_or_else(|p| p.into_inner());
            buf.extend_from_slice(chunk);
            let text = take_text(&mut buf);
            if !text.is_empty() {
                emit(&Event::Output { text });
            }
        })
    });
    let rest = std::mem::take(&mut *pending.lock().unwrap_or_else(|p| p.into_inner()));
    if !rest.is_empty() {
        emit(&Event::Output {
            text: String::from_utf8_lossy(&rest).into_owned(),
        });
    }
    match result {
        Ok(o) => emit(&exit_event(&o, r.timeout_ms)),
        Err(e) => emit(&Event::Error {
            message: format!("cannot start the program: {e}"),
        }),
    }
}

/// Takes the longest prefix of `buf` that is text (invalid bytes replaced),
/// leaving an unfinished UTF-8 sequence at the end in `buf`.
fn take_text(buf: &mut Vec<u8>) -> String {
    let cut = match std::str::from_utf8(buf) {
        Ok(_) => buf.len(),
        Err(e) if e.error_len().is_none() => e.valid_up_to(),
        Err(_) => buf.len(),
    };
    let text = String::from_utf8_lossy(&buf[..cut]).into_owned();
    buf.drain(..cut);
    text
}

fn exit_event(o: &Outcome, timeout_ms: u64) -> Event {
    let (status, code, signal) = match o.ending {
        Ending::Exited(c) => (format!("exit status {c}"), Some(c), None),
        Ending::Signaled(s) => {
            let why = match s {
                Signal::SIGXCPU => " (CPU time limit)",
                Signal::SIGXFSZ => " (file size limit)",
                _ => "",
            };
            (format!("killed by {s}{why}"), None, Some(s.to_string()))
        }
        Ending::TimedOut => (
            format!("timed out after {} s", timeout_ms as f64 / 1000.0),
            None,
            None,
        ),
    };
    Event::Exit {
        status,
        code,
        signal,
        timed_out: o.ending == Ending::TimedOut,
        dropped: o.dropped,
        killed: o
            .leftovers
            .iter()
            .map(|l| format!("{} ({})", l.pid, l.comm))
            .collect(),
        ms: o.elapsed.as_millis() as u64,
    }
}

fn text(bytes: &[u8], dropped: u64) -> String {
    let mut s = String::from_utf8_lossy(bytes).into_owned();
    if dropped > 0 {
        s.push_str(&format!(
            "\n[runner: output cut at {} bytes; {dropped} more bytes dropped]",
            bytes.len()
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_program_still_open_for_writing_is_started_once_it_is_closed() {
        // The race as it happens: a descriptor for writing the program is
        // still open (here, ours) when it is started. The first start is
        // refused; the writer is closed then, and the start tried again.
        let dir = std::env::temp_dir().join(format!("runner-busy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let exe = dir.join("true");
        std::fs::copy("/bin/true", &exe).unwrap();
        let mut writer = Some(std::fs::OpenOptions::new().write(true).open(&exe).unwrap());
        let mut refused = 0;
        let status = retry_busy(3, Duration::ZERO, || {
            let r = Command::new(&exe).status();
            if r.is_err() {
                refused += 1;
                writer.take();
            }
            r
        })
        .unwrap();
        assert!(status.success());
        assert_eq!(refused, 1, "the open writer did not make the start fail");
        // And it gives up: a writer that stays open.
        let _stays = std::fs::OpenOptions::new().write(true).open(&exe).unwrap();
        let mut starts = 0;
        let e = retry_busy(2, Duration::ZERO, || {
            starts += 1;
            Command::new(&exe).status()
        })
        .unwrap_err();
        assert_eq!(e.raw_os_error(), Some(nix::errno::Errno::ETXTBSY as i32));
        assert_eq!(starts, 3);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn split_characters_wait_for_their_end() {
        let mut buf = "é".as_bytes()[..1].to_vec();
        assert_eq!(take_text(&mut buf), "");
        buf.extend_from_slice(&"é".as_bytes()[1..]);
        buf.extend_from_slice(b"x");
        assert_eq!(take_text(&mut buf), "éx");
        assert!(buf.is_empty());
        let mut bad = vec![b'a', 0xff, b'b'];
        assert_eq!(take_text(&mut bad), "a\u{fffd}b");
    }

    #[test]
    fn specs_say_their_stage() {
        let spec = JobSpec::Run(RunSpec {
            exe: "/rsp/bin/x".into(),
            arg0: "x".into(),
            args: vec![],
            cwd: "/tmp".into(),
            env: vec![],
            timeout_ms: 1,
            output_cap: 1,
            limits: Rlimits {
                address_space: 1,
                cpu_secs: 1,
                file_size: 1,
                nproc: None,
            },
        });
        let json = serde_json::to_string(&spec).unwrap();
        assert!(json.starts_with(r#"{"stage":"run","#), "{json}");
    }
}
