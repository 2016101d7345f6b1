//! Stage: the sandboxed run. The program runs in a run sandbox (started
//! while rustc worked) under the job's supervisor (timeout, output cap, a
//! kill-all of what it leaves) inside its cgroup's bounds. Its output
//! streams to the page as it comes; the exit event says how it ended, and
//! what the bounds did. The job shares the sandbox with the program, so
//! its lines are checked like input: only output, exit and error events
//! (and strace's files, for a run with trace), no more output than the cap.
use std::time::Duration;

use tokio::time::Instant;

use super::stream::{Events, Gone};
use crate::sandbox::cgroup::{Bounds, Usage};
use crate::sandbox::{Sandbox, View};
use crate::wire::{Event, JobSpec, Ran, Rlimits, RunSpec};
use supervisor::strace::page::{report, Plan};

/// Descriptors a program may have open.
pub const OPEN_FILES: u64 = 256;

/// A Rust program's run (`python`: the Python program's path under the
/// bin folder, run by the venv's interpreter from that folder, so its path
/// reads as in the book, unbuffered: stdout and stderr in the order
/// written). `nproc`: the process bound when there is no cgroup.
pub fn spec(
    view: &View,
    slug: &str,
    python: Option<&str>,
    timeout: Duration,
    output_cap: usize,
    nproc: Option<u64>,
) -> Result<JobSpec, String> {
    let (bin, tmp) = (view.at("/rsp/bin"), view.at("/tmp"));
    let mut r = RunSpec {
        exe: bin.join(slug),
        arg0: slug.to_string(),
        args: Vec::new(),
        cwd: tmp.clone(),
        env: vec![
            ("PATH".into(), "/usr/bin:/bin".into()),
            ("HOME".into(), tmp.to_string_lossy().into_owned()),
            ("TMPDIR".into(), tmp.to_string_lossy().into_owned()),
            ("LANG".into(), "C.UTF-8".into()),
            ("RUST_BACKTRACE".into(), "0".into()),
            ("RSP_SNIPPET".into(), slug.into()),
        ],
        timeout_ms: timeout.as_millis() as u64,
        output_cap,
        limits: Rlimits {
            address_space: 1 << 30,
            cpu_secs: timeout.as_secs() + 1,
            file_size: 64 << 20,
            open_files: OPEN_FILES,
            nproc,
        },
        trace: None,
    };
    if let Some(file) = python {
        if !view.0.iter().any(|(i, _)| *i == "/rsp/venv") {
            return Err("there is no Python environment for the runner: `cargo xtask serve` makes it (python/requirements.lock)".into());
        }
        r.exe = view.at("/rsp/venv").join("bin").join("python");
        // A path, not `python3`: Python finds its venv (pyvenv.cfg) from
        // argv[0], and a bare name would be looked up on PATH (/usr/bin).
        r.arg0 = r.exe.to_string_lossy().into_owned();
        r.args = vec![file.to_string()];
        r.cwd = bin;
        r.env.push(("PYTHONUNBUFFERED".into(), "1".into()));
        r.env.push(("PYTHONDONTWRITEBYTECODE".into(), "1".into()));
    }
    Ok(JobSpec::Run(r))
}

/// `spec` under strace with `exprs`, its files in the run's own /tmp.
pub fn traced(mut spec: JobSpec, view: &View, exprs: Option<Vec<String>>) -> JobSpec {
    if let JobSpec::Run(r) = &mut spec {
        r.trace = exprs.map(|e| (view.at("/tmp").join(".rsp-strace"), e));
    }
    spec
}

/// What the bounds did, for the page.
fn notes(usage: &Usage, b: Bounds) -> Vec<String> {
    let mut n = Vec::new();
    if usage.oom_kills > 0 {
        n.push(format!(
            "the memory bound ({} MiB for all its processes) killed {} process(es)",
            b.memory >> 20,
            usage.oom_kills
        ));
    }
    if usage.forks_refused > 0 {
        n.push(format!(
            "the task bound ({} for all its processes) refused {} fork(s)",
            b.tasks, usage.forks_refused
        ));
    }
    n
}

/// Runs `spec` in `sb` and streams its events (and, traced per `plan`, the
/// trace before the exit). Returns what it printed when it ended with an
/// exit event. The sandbox is finished here.
pub async fn execute(
    mut sb: Sandbox,
    spec: &JobSpec,
    ev: &Events,
    bounds: Bounds,
    plan: Option<&Plan>,
) -> Option<Ran> {
    let (timeout, cap) = match spec {
        JobSpec::Run(r) => (Duration::from_millis(r.timeout_ms), r.output_cap + 4096),
        JobSpec::Compile(_) => (Duration::ZERO, 0),
    };
    if let Err(e) = sb.send(spec).await {
        sb.finish().await;
        let e = Event::Error { message: format!("the runner could not start a sandbox: {e:#}") };
        let _ = ev.send(&e).await;
        return None;
    }
    let mut printed = String::new();
    let dir = sb.view.at("/rsp/bin").to_string_lossy().into_owned();
    let deadline = Instant::now() + timeout + Duration::from_secs(3);
    let mut sent = 0usize;
    let mut last: Option<Event> = None;
    let mut stop: Option<String> = None;
    let mut gone = None;
    let mut traced = None;
    loop {
        let line = tokio::select! {
            l = sb.next_line() => l,
            _ = tokio::time::sleep_until(deadline) => {
                stop = Some("the program's supervisor did not end it at its timeout: the runner killed it".into());
                break;
            }
            _ = ev.closed() => { gone = Some(Gone::Left); break; }
        };
        let Some(line) = line else { break };
        match serde_json::from_str::<Event>(&line) {
            Ok(Event::Output { text }) => {
                sent += text.len();
                if sent > cap {
                    stop =
                        Some("the sandbox sent more output than its cap: the run was ended".into());
                    break;
                }
                printed.push_str(&text);
                if let Err(g) = ev.send(&Event::Output { text }).await {
                    gone = Some(g);
                    break;
                }
            }
            Ok(e @ (Event::Exit { .. } | Event::Error { .. })) => {
                last = Some(e);
                break;
            }
            Ok(Event::Straced { files }) if plan.is_some() => traced = Some(files),
            _ => {}
        }
    }
    let usage = sb.finish().await;
    match gone {
        Some(Gone::Left) => return None,
        Some(Gone::NotReading) => {
            ev.try_send(&Event::Error {
                message: "the page stopped reading the output: the run was ended".into(),
            });
            return None;
        }
        None => {}
    }
    let notes = notes(&usage, bounds);
    let last = match (last, stop) {
        (_, Some(message)) => Event::Error { message },
        (
            Some(Event::Exit { mut status, code, signal, timed_out, dropped, mut killed, ms }),
            None,
        ) => {
            for n in notes {
                status.push_str(&format!("; {n}"));
            }
            killed.truncate(64);
            Event::Exit { status, code, signal, timed_out, dropped, killed, ms }
        }
        (Some(e), None) => e,
        (None, None) => {
            let mut message = "the program's sandbox ended without an exit status".to_string();
            for n in notes {
                message.push_str(&format!("; {n}"));
            }
            Event::Error { message }
        }
    };
    if let (Some(plan), Some(files)) = (plan, traced) {
        let r = tokio::task::block_in_place(|| report(plan, &files, &dir));
        ev.send(&Event::Trace(Box::new(r))).await.ok()?;
    }
    let ran = match &last {
        Event::Exit { status, .. } => Some(Ran { output: printed, status: status.clone(), dir }),
        _ => None,
    };
    ev.send(&last).await.ok()?;
    ran
}
