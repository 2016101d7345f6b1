//! `cargo xtask bench`: warm-build time of the whole book (target: median
//! <= 5 s on the 2-core build machines), and no process left behind by any
//! of the builds (each build checks that itself).
//!
//! `cargo xtask bench runner`: edit -> compile -> first output of a nix-using
//! snippet through the local runner's HTTP endpoint (target: median <= 0.3 s),
//! beside `cargo build` of the same edit and the built program run directly.
//! The measuring is `runner bench` (crates/runner/src/bench.rs).
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Result};

use crate::{book, procs};

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum What {
    /// Warm builds of the whole book.
    Book,
    /// An edit run through the local runner of `cargo xtask serve`.
    Runner,
}

const TARGET: Duration = Duration::from_secs(5);

pub fn run(root: &Path, builds: usize) -> Result<()> {
    anyhow::ensure!(builds >= 1, "--builds must be at least 1");
    eprintln!("xtask: bench: one build to warm up, then {builds} timed warm builds");
    book::build(root)?;
    let mut times = Vec::with_capacity(builds);
    for i in 0..builds {
        let t = book::build(root)?;
        eprintln!(
            "xtask: bench: build {}/{builds}: {:.2} s",
            i + 1,
            t.as_secs_f64()
        );
        times.push(t);
    }
    times.sort();
    let median = times[times.len() / 2];
    let (min, max) = (times[0], times[times.len() - 1]);
    println!(
        "warm build: median {:.2} s, min {:.2} s, max {:.2} s over {builds} builds; none left a process running",
        median.as_secs_f64(),
        min.as_secs_f64(),
        max.as_secs_f64()
    );
    if median > TARGET {
        bail!(
            "median warm build {:.2} s is over the {} s target",
            median.as_secs_f64(),
            TARGET.as_secs()
        );
    }
    Ok(())
}

/// `cargo xtask bench runner`: builds the runner and runs `runner bench`.
pub fn runner(root: &Path, runs: usize) -> Result<()> {
    anyhow::ensure!(runs >= 10, "--runs must be at least 10");
    // The figure that counts is the sandboxed one.
    crate::debian::ensure(crate::debian::BUBBLEWRAP)?;
    procs::run(
        "building the runner",
        procs::cargo()
            .current_dir(root)
            .args(["build", "--quiet", "-p", "runner"]),
    )?;
    procs::become_subreaper()?;
    let exe = supervisor::locate::target_dir(root)
        .join("debug")
        .join("runner");
    let result = procs::run(
        "runner bench",
        Command::new(exe)
            .current_dir(root)
            .arg("bench")
            .arg("--root")
            .arg(root)
            .args(["--runs", &runs.to_string()]),
    );
    procs::fail_on_leftovers("runner bench")?;
    result
}
