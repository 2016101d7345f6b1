//! Starting `runner job` processes: the prepared workspace (the plan) they
//! compile against, the locks that keep them one at a time, and the specs of
//! a compile or a run. The server never compiles or runs code itself.
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};

use super::{lock, Shared};
use crate::events::Event;
use crate::job::{CompileSpec, JobSpec, RunSpec};
use crate::limits::Sandbox;
use crate::prepare::{prepare, Layout, Plan};

/// The prebuilt workspace, as the start-up thread and the runs see it.
pub(super) enum PlanState {
    Preparing,
    Ready(Arc<Plan>),
    Failed,
}

/// Prepares the workspace, then compiles every snippet once (warm caches).
pub(super) fn start_up(s: &Shared) {
    let result = prepare(&s.layout);
    let plan = match result {
        Ok(p) => {
            let p = Arc::new(p);
            *lock(&s.plan) = PlanState::Ready(Arc::clone(&p));
            Some(p)
        }
        Err(e) => {
            eprintln!("runner: could not prepare the workspace: {e:#}");
            *lock(&s.plan) = PlanState::Failed;
            None
        }
    };
    s.plan_changed.notify_all();
    if let (Some(plan), true) = (plan, s.cfg.warm) {
        let started = Instant::now();
        for slug in s.layout.slugs() {
            let main = s
                .layout
                .root
                .join("snippets")
                .join(&slug)
                .join("src/main.rs");
            let Ok(code) = std::fs::read_to_string(&main) else {
                continue;
            };
            let _job = lock(&s.job);
            let _machine = machine_lock(&s.layout);
            let _ = compile_only(s, &plan, &slug, &code);
        }
        eprintln!(
            "runner: compiled every snippet once in {:.1} s; runs are incremental now",
            started.elapsed().as_secs_f64()
        );
    }
    *lock(&s.warm_done) = true;
}

fn compile_only(s: &Shared, plan: &Plan, slug: &str, code: &str) -> Result<()> {
    let spec = JobSpec {
        compile: Some(compile_spec(s, plan, slug, "2021", code)?),
        run: None,
    };
    run_job(s, &spec, &mut |_| true).map(|_| ())
}

/// Where a snippet's program is built: always the same path, because rustc's
/// incremental cache is only reused for the same output file (a new name
/// per run costs about 0.1 s). Jobs run one at a time on the machine.
fn exe_path(l: &Layout, slug: &str) -> PathBuf {
    l.out().join(slug).join(slug)
}

/// Writes the code where rustc will read it; the compile half of a job.
fn compile_spec(
    s: &Shared,
    plan: &Plan,
    slug: &str,
    edition: &str,
    code: &str,
) -> Result<CompileSpec> {
    let dir = s.layout.edit(slug);
    let exe = exe_path(&s.layout, slug);
    std::fs::create_dir_all(dir.join("src"))?;
    if let Some(out) = exe.parent() {
        std::fs::create_dir_all(out)?;
    }
    std::fs::write(dir.join("src/main.rs"), code)?;
    Ok(CompileSpec {
        rustc: plan.rustc.clone(),
        args: plan
            .rustc_args(&s.layout, slug, edition, &exe)
            .into_iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        cwd: dir,
        timeout_ms: s.cfg.compile_timeout.as_millis() as u64,
    })
}

/// An exclusive flock on target/runner/job.lock while a job runs.
pub(super) fn machine_lock(l: &Layout) -> Option<File> {
    std::fs::create_dir_all(&l.dir).ok()?;
    let f = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(l.dir.join("job.lock"))
        .ok()?;
    // SAFETY: flock on a file descriptor we own; blocks until we hold it.
    while unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
        if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return None;
        }
    }
    Some(f)
}

/// Starts `runner job`, hands it the spec and passes each event line to
/// `send` (false: the client is gone; the job is still read to its end so it
/// can finish and clean up). Returns whether a final event was seen.
fn run_job(s: &Shared, spec: &JobSpec, send: &mut dyn FnMut(&str) -> bool) -> Result<bool> {
    let mut child = Command::new(&s.cfg.job_exe)
        .arg("job")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {} job", s.cfg.job_exe.display()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(serde_json::to_string(spec)?.as_bytes())?;
    }
    let mut final_seen = false;
    let mut alive = true;
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if serde_json::from_str::<Event>(&line).is_ok_and(|e| e.is_final()) {
                final_seen = true;
            }
            if alive {
                alive = send(&line);
            }
        }
    }
    let status = child.wait()?;
    if !final_seen && alive {
        send(
            Event::Error {
                message: format!("the runner's job process ended early ({status})"),
            }
            .line()
            .trim_end(),
        );
    }
    Ok(final_seen)
}

/// The plan, prepared again if a Cargo.toml changed since.
pub(super) fn current_plan(
    s: &Shared,
    send: &mut dyn FnMut(&str) -> bool,
) -> Result<Arc<Plan>, String> {
    let mut told = false;
    let mut state = lock(&s.plan);
    loop {
        match &*state {
            PlanState::Preparing => {
                if !told {
                    told = true;
                    send(&Event::Preparing {
                        message: "preparing the runner's workspace (the first time, cargo builds nix: about a minute)".into(),
                    }
                    .line());
                }
                state = s
                    .plan_changed
                    .wait(state)
                    .unwrap_or_else(|p| p.into_inner());
            }
            PlanState::Ready(p) if p.is_current(&s.layout) => return Ok(Arc::clone(p)),
            PlanState::Ready(_) | PlanState::Failed => {
                *state = PlanState::Preparing;
                drop(state);
                send(
                    &Event::Preparing {
                        message: "a Cargo.toml changed: rebuilding the runner's workspace".into(),
                    }
                    .line(),
                );
                let result = {
                    let _job = lock(&s.job);
                    let _machine = machine_lock(&s.layout);
                    prepare(&s.layout)
                };
                let mut st = lock(&s.plan);
                let out = match result {
                    Ok(p) => {
                        let p = Arc::new(p);
                        *st = PlanState::Ready(Arc::clone(&p));
                        Ok(p)
                    }
                    Err(e) => {
                        let msg = format!("{e:#}");
                        *st = PlanState::Failed;
                        Err(format!("the runner's workspace does not build: {msg}"))
                    }
                };
                s.plan_changed.notify_all();
                return out;
            }
        }
    }
}

/// Compiles and runs one edit in a job, in a fresh folder removed afterwards.
pub(super) fn run_code(
    s: &Shared,
    plan: &Plan,
    slug: &str,
    edition: &str,
    code: &str,
    send: &mut dyn FnMut(&str) -> bool,
) -> Result<()> {
    let id = format!(
        "{slug}-{}-{}",
        std::process::id(),
        s.next_id.fetch_add(1, Ordering::Relaxed)
    );
    let exe = exe_path(&s.layout, slug);
    let cwd = s.layout.jobs().join(&id);
    let timeout_secs = s.cfg.run_timeout.as_secs().max(1);
    let sandbox = Sandbox::for_snippet(timeout_secs);
    std::fs::create_dir_all(&cwd)?;
    if let Some((uid, gid)) = sandbox.user {
        nix::unistd::chown(
            &cwd,
            Some(nix::unistd::Uid::from_raw(uid)),
            Some(nix::unistd::Gid::from_raw(gid)),
        )?;
    }
    let mut env = vec![
        ("HOME".to_string(), cwd.to_string_lossy().into_owned()),
        ("LANG".to_string(), "C.UTF-8".to_string()),
        ("RUST_BACKTRACE".to_string(), "0".to_string()),
        ("RSP_SNIPPET".to_string(), slug.to_string()),
    ];
    if let Some(path) = std::env::var_os("PATH") {
        env.push(("PATH".into(), path.to_string_lossy().into_owned()));
    }
    let spec = JobSpec {
        compile: Some(compile_spec(s, plan, slug, edition, code)?),
        run: Some(RunSpec {
            exe: exe.clone(),
            arg0: slug.to_string(),
            cwd: cwd.clone(),
            env,
            timeout_ms: s.cfg.run_timeout.as_millis() as u64,
            output_cap: s.cfg.output_cap,
            sandbox,
        }),
    };
    let result = run_job(s, &spec, send);
    let _ = std::fs::remove_dir_all(&cwd);
    result.map(|_| ())
}
