//! `runner job`: one run, in a process of its own. The server starts it for
//! every run because `supervisor::supervise` makes the calling process a
//! child subreaper and `kill_all_descendants` reaps *all* its children: that
//! must not be the server. The job reads a [`JobSpec`] on stdin, compiles
//! with rustc and runs the program, both under the supervisor, and prints
//! [`Event`] lines on stdout as things happen.
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nix::sys::signal::{signal, SigHandler, Signal};
use serde::{Deserialize, Serialize};
use supervisor::{supervise, supervise_streaming, Ending, Limits, Outcome};

use crate::events::Event;
use crate::limits::Sandbox;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobSpec {
    pub compile: Option<CompileSpec>,
    pub run: Option<RunSpec>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompileSpec {
    pub rustc: PathBuf,
    pub args: Vec<String>,
    pub cwd: PathBuf,
    pub timeout_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunSpec {
    pub exe: PathBuf,
    /// argv[0]: the snippet's name, as `cargo run` would show it.
    pub arg0: String,
    pub cwd: PathBuf,
    pub env: Vec<(String, String)>,
    pub timeout_ms: u64,
    pub output_cap: usize,
    pub sandbox: Sandbox,
}

/// Bytes of compiler output kept (a 256 KiB source can make a lot of errors).
const COMPILER_OUTPUT_CAP: usize = 128 * 1024;

fn emit(e: &Event) {
    let mut out = std::io::stdout().lock();
    // The server may be gone (the page closed): we still finish and clean up.
    let _ = out.write_all(e.line().as_bytes());
    let _ = out.flush();
}

pub fn main() -> ExitCode {
    // Ctrl-C on `cargo xtask serve` reaches the whole foreground group. The
    // snippet is in a group of its own and would not hear it, so the job stays
    // until the supervisor has killed and reaped it (at most its timeout).
    for sig in [
        Signal::SIGINT,
        Signal::SIGTERM,
        Signal::SIGHUP,
        Signal::SIGPIPE,
    ] {
        // SAFETY: SigIgn installs no handler code.
        let _ = unsafe { signal(sig, SigHandler::SigIgn) };
    }
    let mut input = String::new();
    let spec: JobSpec = match std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| e.to_string())
        .and_then(|_| serde_json::from_str(&input).map_err(|e| e.to_string()))
    {
        Ok(s) => s,
        Err(e) => {
            emit(&Event::Error {
                message: format!("runner job: bad job description: {e}"),
            });
            return ExitCode::from(2);
        }
    };
    if let Some(c) = &spec.compile {
        if !compile(c) {
            return ExitCode::SUCCESS;
        }
    }
    if let Some(r) = &spec.run {
        run(r);
    }
    ExitCode::SUCCESS
}

/// Whether it compiled.
fn compile(c: &CompileSpec) -> bool {
    emit(&Event::Compiling);
    let mut cmd = Command::new(&c.rustc);
    cmd.args(&c.args).current_dir(&c.cwd);
    Sandbox::for_rustc(c.timeout_ms / 1000 + 1).apply(&mut cmd);
    let limits = Limits {
        timeout: Duration::from_millis(c.timeout_ms),
        output_cap: COMPILER_OUTPUT_CAP,
    };
    match supervise(cmd, &limits) {
        Ok(o) => {
            let mut output = text(&o.output, o.dropped);
            let ok = match o.ending {
                Ending::Exited(0) => true,
                Ending::Exited(_) => false,
                Ending::TimedOut => {
                    output.push_str(&format!(
                        "\n[runner: rustc was stopped after {} s]",
                        c.timeout_ms / 1000
                    ));
                    false
                }
                Ending::Signaled(s) => {
                    output.push_str(&format!("\n[runner: rustc was killed by {s}]"));
                    false
                }
            };
            emit(&Event::Compiled {
                ok,
                output,
                ms: o.elapsed.as_millis() as u64,
            });
            ok
        }
        Err(e) => {
            emit(&Event::Error {
                message: format!("cannot run rustc ({}): {e}", c.rustc.display()),
            });
            false
        }
    }
}

fn run(r: &RunSpec) {
    let mut cmd = Command::new(&r.exe);
    cmd.arg0(&r.arg0)
        .current_dir(&r.cwd)
        .env_clear()
        .envs(r.env.iter().map(|(k, v)| (k, v)));
    r.sandbox.apply(&mut cmd);
    let limits = Limits {
        timeout: Duration::from_millis(r.timeout_ms),
        output_cap: r.output_cap,
    };
    // Output arrives in pieces that may cut a UTF-8 character in two: keep
    // the unfinished tail for the next piece.
    let pending = Arc::new(Mutex::new(Vec::<u8>::new()));
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
}
