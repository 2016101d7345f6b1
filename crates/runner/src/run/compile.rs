//! Stage: the sandboxed compile. rustc runs in a compile sandbox against
//! the prebuilt rlibs with the snippet's incremental cache, as `nobody`,
//! with a fixed environment (PATH, LANG, TMPDIR: `option_env!` and `env!`
//! see nothing of the server's), under its cgroup's memory and task bound
//! and the job's timeout. Its events (compiling, compiled) go to the page.
use std::path::PathBuf;
use std::time::Duration;

use tokio::time::Instant;

use super::request::Job;
use super::stream::{Events, Gone};
use crate::events::Event;
use crate::job::{CompileSpec, JobSpec};
use crate::prepare::Plan;
use crate::sandbox::cgroup::Bounds;
use crate::sandbox::rlimits::Rlimits;
use crate::sandbox::Sandbox;
use crate::server::App;

/// How a stage ended when it did not hand on.
#[derive(Debug)]
pub enum Stop {
    /// The page was told why (a compile error, a refusal, a failure).
    Told,
    Gone(Gone),
}

/// rustc's fixed environment. No HOME: `env!("HOME")` is an error.
pub fn rustc_env(tmp: &std::path::Path) -> Vec<(String, String)> {
    vec![
        ("PATH".into(), "/usr/bin:/bin".into()),
        ("LANG".into(), "C.UTF-8".into()),
        ("TMPDIR".into(), tmp.to_string_lossy().into_owned()),
    ]
}

pub fn spec(
    sb: &Sandbox,
    plan: &Plan,
    slug: &str,
    edition: &str,
    code: &str,
    timeout: Duration,
) -> JobSpec {
    JobSpec::Compile(CompileSpec {
        rustc: plan.rustc(&sb.view),
        args: plan.rustc_args(&sb.view, slug, edition),
        cwd: sb.view.build.clone(),
        source: code.to_string(),
        env: rustc_env(&sb.view.tmp),
        timeout_ms: timeout.as_millis() as u64,
        limits: Rlimits {
            // rustc reserves a lot of address space it never touches; the
            // cgroup bounds what it really takes.
            address_space: 8 << 30,
            cpu_secs: timeout.as_secs() * 2 + 1,
            file_size: 256 << 20,
            nproc: None,
        },
    })
}

fn mib(b: Bounds) -> u64 {
    b.memory >> 20
}

/// Compiles the job's code, stopping rustc after `timeout`; the host path
/// of the executable when it built, and the `compiled` event sent. The
/// sandbox is finished here (in the background when it built).
pub async fn compile(
    mut sb: Sandbox,
    plan: &Plan,
    job: &Job,
    app: &App,
    ev: &Events,
    timeout: Duration,
) -> Result<(PathBuf, Event), Stop> {
    let spec = spec(&sb, plan, &job.slug, &job.edition, &job.code, timeout);
    if let Err(e) = sb.send(&spec).await {
        let _ = ev
            .send(&Event::Error {
                message: format!("the compile sandbox did not start: {e:#}"),
            })
            .await;
        sb.finish().await;
        return Err(Stop::Told);
    }
    let deadline = Instant::now() + timeout + Duration::from_secs(5);
    let mut result: Result<(PathBuf, Event), Stop> = Err(Stop::Told);
    let mut told = false;
    loop {
        let line = tokio::select! {
            l = sb.next_line() => l,
            _ = tokio::time::sleep_until(deadline) => {
                let _ = ev.send(&Event::Error { message: "rustc did not end at its timeout".into() }).await;
                told = true;
                break;
            }
            _ = ev.closed() => { result = Err(Stop::Gone(Gone::Left)); told = true; break; }
        };
        let Some(line) = line else { break };
        let Ok(mut event) = serde_json::from_str::<Event>(&line) else {
            continue;
        };
        match event {
            Event::Compiling => {
                if let Err(g) = ev.send(&event).await {
                    result = Err(Stop::Gone(g));
                    told = true;
                    break;
                }
            }
            Event::Compiled { ok: true, .. } => {
                tokio::spawn(sb.finish());
                return match ev.send(&event).await {
                    Ok(()) => Ok((app.pool.isolation().host_exe(&job.slug), event)),
                    Err(g) => Err(Stop::Gone(g)),
                };
            }
            Event::Compiled {
                ref mut output,
                ref mut ansi,
                ..
            } => {
                let usage = sb.finish().await;
                if usage.oom_kills > 0 {
                    let note = format!(
                        "\n[runner: rustc went over the compile's memory bound ({} MiB)]",
                        mib(app.pool.isolation().budget.compile)
                    );
                    output.push_str(&note);
                    ansi.push_str(&note);
                }
                let _ = ev.send(&event).await;
                return Err(Stop::Told);
            }
            Event::Error { .. } => {
                let _ = ev.send(&event).await;
                told = true;
                break;
            }
            // Anything else is not the compile job's to say.
            _ => {}
        }
    }
    if !told {
        let _ = ev
            .send(&Event::Error {
                message: "the compile sandbox ended without a result".into(),
            })
            .await;
    }
    sb.finish().await;
    result
}
