//! `runner job`: the process inside a sandbox (pid 1 of its namespaces). It
//! waits for one [`JobSpec`] line on stdin, compiles with rustc or runs the
//! program (under strace when asked) under the snippet supervisor
//! (timeout, output cap, its own process group, a kill-all of what it
//! leaves; it makes its caller a subreaper, so never the server), and
//! prints [`Event`] lines as things happen. If its stdin closes first, it
//! kills everything it started.
use std::io::{BufRead, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nix::sys::signal::{signal, SigHandler, Signal};
use supervisor::{supervise, supervise_streaming, Ending, Limits, Outcome};

use crate::wire::{CompileSpec, Event, JobSpec, Rlimits, RunSpec};

/// Bytes of compiler output kept (a 256 KiB source can make a lot of errors).
pub const COMPILER_OUTPUT_CAP: usize = 128 * 1024;

/// An event as one line of JSON.
pub fn line(e: &Event) -> String {
    let s = serde_json::to_string(e).unwrap_or_else(|_| {
        r#"{"event":"error","message":"could not encode an event"}"#.to_string()
    });
    s + "\n"
}

fn emit(e: &Event) {
    let mut out = std::io::stdout().lock();
    // The server may be gone: we still finish and clean up.
    let _ = out.write_all(line(e).as_bytes());
    let _ = out.flush();
}

pub fn main() -> ExitCode {
    // The program runs as the same user: it must not be able to ptrace us
    // or write our memory to forge events.
    // SAFETY: prctl with integer arguments.
    unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) };
    for sig in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP, Signal::SIGPIPE] {
        // SAFETY: SigIgn installs no handler code.
        let _ = unsafe { signal(sig, SigHandler::SigIgn) };
    }
    let mut stdin = std::io::BufReader::new(std::io::stdin());
    let mut line = String::new();
    match stdin.read_line(&mut line) {
        Ok(0) | Err(_) => return ExitCode::SUCCESS,
        Ok(_) => {}
    }
    // The server closed our stdin: kill all we started, then go (as a
    // subreaper, the whole tree is our children by then).
    let _ = nix::sys::prctl::set_child_subreaper(true);
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut stdin, &mut std::io::sink());
        supervisor::reap::kill_all_descendants();
        std::process::exit(3)
    });
    let spec: JobSpec = match serde_json::from_str(&line) {
        Ok(s) => s,
        Err(e) => {
            emit(&Event::Error { message: format!("runner job: bad job description: {e}") });
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
        emit(&Event::Error { message: format!("cannot write the source for rustc: {e}") });
        return;
    }
    emit(&Event::Compiling);
    let mut cmd = Command::new(&c.rustc);
    cmd.args(&c.args).current_dir(&c.cwd).env_clear().envs(c.env.iter().map(|(k, v)| (k, v)));
    apply(&c.limits, &mut cmd);
    let limits =
        Limits { timeout: Duration::from_millis(c.timeout_ms), output_cap: COMPILER_OUTPUT_CAP };
    match supervise(cmd, &limits) {
        Ok(o) => {
            let parsed = crate::diagnostics::parse(&text(&o.output, o.dropped), "src/main.rs");
            let (mut output, mut ansi) = (parsed.plain, parsed.ansi);
            let mut note = String::new();
            let ok = match o.ending {
                Ending::Exited(0) => true,
                Ending::Exited(_) => false,
                Ending::TimedOut => {
                    note = format!("\n[runner: rustc was stopped after {} s]", c.timeout_ms / 1000);
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
            });
        }
        Err(e) => emit(&Event::Error {
            message: format!("cannot run rustc ({}): {e}", c.rustc.display()),
        }),
    }
}

fn run(r: &RunSpec) {
    let limits = Limits { timeout: Duration::from_millis(r.timeout_ms), output_cap: r.output_cap };
    // Output arrives in pieces that may cut a UTF-8 character in two: keep
    // the unfinished tail for the next piece.
    let pending = Arc::new(Mutex::new(Vec::<u8>::new()));
    let mut cmd = Command::new(&r.exe);
    cmd.arg0(&r.arg0);
    if let Some((dir, exprs)) = &r.trace {
        // strace passes the program's path on as its argv[0]. A folder
        // that could not be made: strace says so in the output.
        let _ = std::fs::create_dir(dir);
        cmd = supervisor::strace::command(&dir.join("trace"), exprs);
        cmd.arg("--").arg(&r.exe);
    }
    cmd.args(&r.args).current_dir(&r.cwd).env_clear().envs(r.env.iter().map(|(k, v)| (k, v)));
    apply(&r.limits, &mut cmd);
    let tail = Arc::clone(&pending);
    let result = supervise_streaming(cmd, &limits, move |chunk| {
        let mut buf = tail.lock().unwrap_or_else(|p| p.into_inner());
        buf.extend_from_slice(chunk);
        let text = take_text(&mut buf);
        if !text.is_empty() {
            emit(&Event::Output { text });
        }
    });
    let rest = std::mem::take(&mut *pending.lock().unwrap_or_else(|p| p.into_inner()));
    if !rest.is_empty() {
        emit(&Event::Output { text: String::from_utf8_lossy(&rest).into_owned() });
    }
    // Every traced process is gone: none can change the files now.
    if let Some((dir, _)) = &r.trace {
        let files = supervisor::strace::collect(dir, supervisor::strace::page::FILES_CAP);
        let _ = std::fs::remove_dir_all(dir);
        emit(&Event::Straced { files });
    }
    match result {
        Ok(o) => emit(&exit_event(&o, r.timeout_ms)),
        Err(e) => emit(&Event::Error { message: format!("cannot start the program: {e}") }),
    }
}

/// Sets `limits` in the child between fork and exec, with the default
/// signal dispositions a shell would give (the job ignores some), no
/// descriptor but 0-2 past its exec, and no way to gain privileges.
fn apply(limits: &Rlimits, cmd: &mut Command) {
    let mut set = vec![
        (libc::RLIMIT_AS, limits.address_space, limits.address_space),
        (libc::RLIMIT_CPU, limits.cpu_secs, limits.cpu_secs + 1),
        (libc::RLIMIT_FSIZE, limits.file_size, limits.file_size),
        (libc::RLIMIT_NOFILE, limits.open_files, limits.open_files),
        (libc::RLIMIT_CORE, 0, 0),
    ];
    if let Some(n) = limits.nproc {
        set.push((libc::RLIMIT_NPROC, n, n));
    }
    // SAFETY: between fork and exec only async-signal-safe system calls on
    // values computed before the fork (`set` is only read).
    unsafe {
        cmd.pre_exec(move || {
            for sig in 1..32 {
                if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                    libc::signal(sig, libc::SIG_DFL);
                }
            }
            for &(resource, soft, hard) in &set {
                let lim =
                    libc::rlimit { rlim_cur: soft as libc::rlim_t, rlim_max: hard as libc::rlim_t };
                if libc::setrlimit(resource, &lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            close_above_2()?;
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Marks every descriptor above 2 close-on-exec: whatever the process was
/// handed, its exec passes on none of it.
pub fn close_above_2() -> std::io::Result<()> {
    // SAFETY: close_range takes plain integers.
    let r =
        unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, libc::CLOSE_RANGE_CLOEXEC) };
    if r != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
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
        Ending::TimedOut => {
            (format!("timed out after {} s", timeout_ms as f64 / 1000.0), None, None)
        }
    };
    Event::Exit {
        status,
        code,
        signal,
        timed_out: o.ending == Ending::TimedOut,
        dropped: o.dropped,
        killed: o.leftovers.iter().map(|l| format!("{} ({})", l.pid, l.comm)).collect(),
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
                open_files: 1,
                nproc: None,
            },
            trace: None,
        });
        let json = serde_json::to_string(&spec).unwrap();
        assert!(json.starts_with(r#"{"stage":"run","#), "{json}");
    }

    #[test]
    fn a_trace_is_an_event_of_its_own_and_a_spec_may_leave_it_out() {
        let r = supervisor::strace::page::report(&Default::default(), &[], "/rsp/bin");
        let json = line(&Event::Trace(Box::new(r)));
        assert!(json.starts_with(r#"{"event":"trace","exprs":[],"#), "{json}");
        let files = line(&Event::Straced { files: vec![(3, "x".into())] });
        assert_eq!(files, "{\"event\":\"straced\",\"files\":[[3,\"x\"]]}\n");
        let untraced = r#"{"stage":"run","exe":"x","arg0":"x","cwd":"/tmp","env":[],"timeout_ms":1,"output_cap":1,"limits":{"address_space":1,"cpu_secs":1,"file_size":1,"open_files":1,"nproc":null}}"#;
        let spec: JobSpec = serde_json::from_str(untraced).unwrap();
        assert!(matches!(spec, JobSpec::Run(RunSpec { trace: None, .. })));
    }
}
