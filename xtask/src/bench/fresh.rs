//! `cargo xtask bench fresh`: what a new reader waits for. A fresh clone of
//! this repository's HEAD (its own target/, an empty `RSP_TOOLS_DIR` and
//! `RSP_PYTHON_DIR`: the book's Python environment is made again too), then
//! `cargo xtask serve`, timed from the start of the command to the first
//! page served. Each run compiles the whole of what serving needs; cargo's
//! and pip's download caches are kept, as a reader's would be after the
//! first download.
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::edits::{free_port, Served};
use super::{load, stats};

const TARGET: f64 = 150.0;

pub fn run(root: &Path, runs: usize) -> Result<()> {
    anyhow::ensure!(runs >= 1, "--runs must be at least 1");
    let dirty = Command::new("git")
        .current_dir(root)
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()?;
    if !dirty.stdout.is_empty() {
        eprintln!("xtask: bench fresh: note: uncommitted changes are not in the clone");
    }
    let mut times = Vec::new();
    for i in 0..runs {
        let t = one(root, i)?;
        eprintln!(
            "xtask: bench fresh: run {}/{runs}: served after {t:.1} s (load {})",
            i + 1,
            load()
        );
        times.push(t);
    }
    let (m, min, max) = stats(times);
    println!(
        "fresh clone, empty tool cache -> book served: median {m:.1} s (min {min:.1}, max {max:.1}) over {runs} runs; target <= {TARGET} s; load at the end {}",
        load()
    );
    if m > TARGET {
        bail!("median fresh-clone serve {m:.1} s is over the {TARGET} s target");
    }
    Ok(())
}

fn one(root: &Path, i: usize) -> Result<f64> {
    let base = std::env::temp_dir().join(format!("rsp-bench-fresh-{}-{i}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let (clone, tools, python) = (base.join("clone"), base.join("tools"), base.join("python"));
    std::fs::create_dir_all(&tools)?;
    std::fs::create_dir_all(&python)?;
    crate::setup::run(
        "git clone",
        Command::new("git")
            .arg("clone")
            .arg("--quiet")
            .arg(root)
            .arg(&clone),
    )?;
    let port = free_port()?;
    let log = base.join("serve.log");
    let stderr = std::fs::File::create(&log).context("creating the clone's log")?;
    let start = Instant::now();
    let mut child = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .current_dir(&clone)
        .args(["xtask", "serve", "--port", &port.to_string()])
        .env("RSP_TOOLS_DIR", &tools)
        .env(supervisor::python::DIR_ENV, &python)
        .env_remove("CARGO_TARGET_DIR")
        .stdout(Stdio::piped())
        .stderr(stderr)
        .process_group(0)
        .spawn()
        .context("starting cargo xtask serve in the clone")?;
    let limit = Duration::from_secs(900);
    let served = Served::from_link(&mut child, limit).and_then(|s| {
        s.wait_for("/index.html", limit, |b| {
            b.contains("Rust Systems Playground")
        })
    });
    let took = start.elapsed().as_secs_f64();
    let _ = nix::sys::signal::killpg(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    );
    let _ = child.wait();
    // Why the clone failed (a full disk, a compile error) is in its log.
    let said = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&base);
    served.with_context(|| {
        let lines: Vec<&str> = said.lines().collect();
        let tail = lines[lines.len().saturating_sub(15)..].join("\n");
        format!("the clone's cargo xtask serve said, last:\n{tail}")
    })?;
    Ok(took)
}
