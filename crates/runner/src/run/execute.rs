//! Stage: the sandboxed run. The program is copied into a run sandbox that
//! was started while rustc worked, and runs there under the job's
//! supervisor (timeout, output cap, a kill-all of what it leaves) inside
//! its cgroup's bounds. Its output streams to the page as it comes; the
//! exit event says how it ended, and what the bounds did. The job shares
//! the sandbox with the program, so its lines are checked like input: only
//! output, exit and error events, no more output than the cap.
use std::path::Path;
use std::time::Duration;

use tokio::time::Instant;

use super::request::Job;
use super::stream::{Events, Gone};
use crate::events::Event;
use crate::job::{JobSpec, RunSpec};
use crate::sandbox::rlimits::{tasks_of, Rlimits, EXTRA_PROCESSES};
use crate::sandbox::{over_disk_bound, Sandbox, Usage};
use crate::server::App;

/// The program's fixed environment.
pub fn program_env(sb: &Sandbox, slug: &str) -> Vec<(String, String)> {
    let tmp = sb.view.tmp.to_string_lossy().into_owned();
    vec![
        ("PATH".into(), "/usr/bin:/bin".into()),
        ("HOME".into(), tmp.clone()),
        ("TMPDIR".into(), tmp),
        ("LANG".into(), "C.UTF-8".into()),
        ("RUST_BACKTRACE".into(), "0".into()),
        ("RSP_SNIPPET".into(), slug.into()),
    ]
}

/// What a run that ended printed and how it ended, for `compare.rs`.
#[derive(Debug, Clone)]
pub struct Ran {
    pub output: String,
    pub status: String,
    /// The folder the program ran from as the program saw it (`/rsp/bin`
    /// in a sandbox): the book's runs print the book's root there.
    pub dir: String,
}

/// A Python program's run: the venv's interpreter on the program, from the
/// folder that holds `snippets/<slug>/python/<name>.py` (so its path reads
/// as in the book), unbuffered (stdout and stderr in the order written).
pub fn python_spec(sb: &Sandbox, app: &App, job: &Job, file: &str) -> Result<JobSpec, String> {
    let venv = sb
        .view
        .venv
        .clone()
        .ok_or_else(|| "there is no Python environment for the runner: `cargo xtask serve` makes it (python/requirements.lock)".to_string())?;
    let JobSpec::Run(mut r) = spec(sb, app, &job.slug) else {
        unreachable!("spec() makes a run")
    };
    r.exe = venv.join("bin").join("python");
    // A path, not `python3`: Python finds its venv (pyvenv.cfg) from
    // argv[0], and a bare name would be looked up on PATH (/usr/bin).
    r.arg0 = r.exe.to_string_lossy().into_owned();
    r.args = vec![file.to_string()];
    r.cwd = sb.view.bin.clone();
    r.env.push(("PYTHONUNBUFFERED".into(), "1".into()));
    r.env.push(("PYTHONDONTWRITEBYTECODE".into(), "1".into()));
    Ok(JobSpec::Run(r))
}

pub fn spec(sb: &Sandbox, app: &App, slug: &str) -> JobSpec {
    let iso = app.pool.isolation();
    // Without a cgroup, RLIMIT_NPROC is the process bound (per user).
    let nproc = iso.cgroups.is_none().then(|| {
        let uid = iso
            .drop_to
            .map_or_else(|| nix::unistd::getuid().as_raw(), |(u, _)| u);
        tasks_of(uid) + EXTRA_PROCESSES
    });
    JobSpec::Run(RunSpec {
        exe: sb.view.bin.join(slug),
        arg0: slug.to_string(),
        args: Vec::new(),
        cwd: sb.view.tmp.clone(),
        env: program_env(sb, slug),
        timeout_ms: app.cfg.run_timeout.as_millis() as u64,
        output_cap: app.cfg.output_cap,
        limits: Rlimits {
            address_space: 1 << 30,
            cpu_secs: app.cfg.run_timeout.as_secs() + 1,
            file_size: 64 << 20,
            nproc,
        },
    })
}

/// What the bounds did, for the page.
fn notes(usage: &Usage, app: &App) -> Vec<String> {
    let b = app.pool.isolation().budget.run;
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

/// Runs the program built at `exe` (a host path), or the job's Python
/// program, and streams its events. Returns what it printed when it ended
/// with an exit event.
pub async fn execute(
    mut sb: Sandbox,
    exe: Option<&Path>,
    job: &Job,
    app: &App,
    ev: &Events,
) -> Option<Ran> {
    let prepared = async {
        let bin = sb.host_bin.clone().ok_or("no bin folder")?;
        let spec = match (exe, job.python_file()) {
            (_, Some(file)) => {
                let dest = bin.join(&file);
                if let Some(dir) = dest.parent() {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| format!("making the program's folder: {e}"))?;
                }
                std::fs::write(&dest, &job.code)
                    .map_err(|e| format!("writing the program into its sandbox: {e}"))?;
                python_spec(&sb, app, job, &file)?
            }
            (Some(exe), None) => {
                // A few MiB: quicker done here than handed to a thread.
                std::fs::copy(exe, bin.join(&job.slug))
                    .map_err(|e| format!("copying the program into its sandbox: {e}"))?;
                spec(&sb, app, &job.slug)
            }
            (None, None) => return Err("nothing to run".to_string()),
        };
        sb.send(&spec).await.map_err(|e| format!("{e:#}"))
    }
    .await;
    if let Err(message) = prepared {
        sb.finish().await;
        let _ = ev.send(&Event::Error { message }).await;
        return None;
    }
    let mut printed = String::new();
    let sb_dir = sb.view.bin.to_string_lossy().into_owned();
    let deadline = Instant::now() + app.cfg.run_timeout + Duration::from_secs(3);
    let cap = app.cfg.output_cap + 4096;
    let disk = app.pool.isolation().budget.disk;
    let tmp = sb.host_tmp.clone();
    // The run's /tmp is on disk: a watchdog ends the run when it holds too much.
    let over_disk = async move {
        let Some(tmp) = tmp else {
            return std::future::pending().await;
        };
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let dir = tmp.clone();
            let over = tokio::task::spawn_blocking(move || over_disk_bound(&dir, disk))
                .await
                .unwrap_or(false);
            if over {
                return;
            }
        }
    };
    tokio::pin!(over_disk);
    let mut sent = 0usize;
    let mut last: Option<Event> = None;
    let mut stop: Option<String> = None;
    let mut gone = None;
    loop {
        let line = tokio::select! {
            l = sb.next_line() => l,
            _ = tokio::time::sleep_until(deadline) => {
                stop = Some("the program's supervisor did not end it at its timeout: the runner killed it".into());
                break;
            }
            _ = ev.closed() => { gone = Some(Gone::Left); break; }
            _ = &mut over_disk => {
                stop = Some(format!(
                    "the program put more than {} MiB or {} files in /tmp: the run was ended",
                    disk.bytes >> 20,
                    disk.entries
                ));
                break;
            }
        };
        let Some(line) = line else { break };
        let Ok(event) = serde_json::from_str::<Event>(&line) else {
            continue;
        };
        match event {
            Event::Output { ref text } => {
                sent += text.len();
                if sent > cap {
                    stop =
                        Some("the sandbox sent more output than its cap: the run was ended".into());
                    break;
                }
                printed.push_str(text);
                if let Err(g) = ev.send(&event).await {
                    gone = Some(g);
                    break;
                }
            }
            Event::Exit { .. } | Event::Error { .. } => {
                last = Some(event);
                break;
            }
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
    let notes = notes(&usage, app);
    let last = match (last, stop) {
        (_, Some(message)) => Event::Error { message },
        (
            Some(Event::Exit {
                mut status,
                code,
                signal,
                timed_out,
                dropped,
                mut killed,
                ms,
            }),
            None,
        ) => {
            for n in notes {
                status.push_str(&format!("; {n}"));
            }
            killed.truncate(64);
            Event::Exit {
                status,
                code,
                signal,
                timed_out,
                dropped,
                killed,
                ms,
            }
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
    let ran = match &last {
        Event::Exit { status, .. } => Some(Ran {
            output: printed,
            status: status.clone(),
            dir: sb_dir,
        }),
        _ => None,
    };
    ev.send(&last).await.ok()?;
    ran
}
