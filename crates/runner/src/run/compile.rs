//! Stage: the sandboxed compile. rustc runs in a compile sandbox against
//! the prebuilt rlibs with the snippet's incremental folder, as the
//! sandboxes' user, with a fixed environment (PATH, LANG, TMPDIR:
//! `option_env!` and `env!` see nothing of the server's), under its
//! cgroup's memory and task bound and the job's timeout. Its events
//! (compiling, compiled) go to the page. The executable stays where rustc
//! wrote it; the run sandbox shows that folder read-only, so the server
//! never opens a file the compile could have replaced.
use std::time::Duration;

use tokio::time::Instant;

use super::stream::Events;
use crate::prepare::Plan;
use crate::sandbox::{Sandbox, View};
use crate::wire::{CompileSpec, Event, JobSpec, Rlimits};

pub fn spec(
    view: &View,
    plan: &Plan,
    slug: &str,
    edition: &str,
    code: &str,
    timeout: Duration,
) -> JobSpec {
    let [deps, incr, out] = ["/deps", "/incr", "/out"].map(|p| view.at(p));
    JobSpec::Compile(CompileSpec {
        rustc: view.at("/toolchain").join("bin").join("rustc"),
        args: plan.rustc_args([&deps, &incr, &out], slug, edition),
        cwd: view.at("/build"),
        source: code.to_string(),
        // No HOME: `env!("HOME")` is an error.
        env: vec![
            ("PATH".into(), "/usr/bin:/bin".into()),
            ("LANG".into(), "C.UTF-8".into()),
            ("TMPDIR".into(), view.at("/tmp").to_string_lossy().into_owned()),
        ],
        timeout_ms: timeout.as_millis() as u64,
        limits: Rlimits {
            // rustc reserves a lot of address space it never touches; the
            // cgroup bounds what it really takes.
            address_space: 8 << 30,
            cpu_secs: timeout.as_secs() * 2 + 1,
            file_size: 256 << 20,
            open_files: 1024,
            nproc: None,
        },
    })
}

/// Compiles per `spec` and finishes the sandbox (no process of the compile
/// is left when this returns). True when it built and the page was told.
pub async fn compile(mut sb: Sandbox, spec: &JobSpec, ev: &Events, memory: u64) -> bool {
    let timeout = match spec {
        JobSpec::Compile(c) => Duration::from_millis(c.timeout_ms),
        JobSpec::Run(_) => Duration::ZERO,
    };
    if let Err(e) = sb.send(spec).await {
        sb.finish().await;
        let e = Event::Error { message: format!("the compile sandbox did not start: {e:#}") };
        let _ = ev.send(&e).await;
        return false;
    }
    let deadline = Instant::now() + timeout + Duration::from_secs(5);
    let mut last = None;
    let mut gone = false;
    loop {
        let line = tokio::select! {
            l = sb.next_line() => l,
            _ = tokio::time::sleep_until(deadline) => {
                last = Some(Event::Error { message: "rustc did not end at its timeout".into() });
                break;
            }
            _ = ev.closed() => { gone = true; break; }
        };
        let Some(line) = line else { break };
        match serde_json::from_str::<Event>(&line) {
            Ok(e @ Event::Compiling) if ev.send(&e).await.is_err() => {
                gone = true;
                break;
            }
            Ok(e @ (Event::Compiled { .. } | Event::Error { .. })) => {
                last = Some(e);
                break;
            }
            // Anything else is not the compile job's to say.
            _ => {}
        }
    }
    let usage = sb.finish().await;
    if gone {
        return false;
    }
    let last = match last {
        Some(Event::Compiled { ok: false, mut output, mut ansi, ms, diagnostics }) => {
            if usage.oom_kills > 0 {
                let note = format!(
                    "\n[runner: rustc went over the compile's memory bound ({} MiB)]",
                    memory >> 20
                );
                output.push_str(&note);
                ansi.push_str(&note);
            }
            Event::Compiled { ok: false, output, ansi, ms, diagnostics }
        }
        Some(e) => e,
        None => Event::Error { message: "the compile sandbox ended without a result".into() },
    };
    let ok = matches!(last, Event::Compiled { ok: true, .. });
    ev.send(&last).await.is_ok() && ok
}
