//! `cargo xtask bench [book|serve|fresh|runner]`: the speed targets, as
//! medians; each fails when its target is missed. Figures are wall time on
//! whatever else the machine is doing: look at `uptime` first.
//!
//! - `book`: warm `cargo xtask build` (nothing changed), split into the
//!   directives' own run time and the rest; target: the rest <= 1.0 s.
//! - `serve`: a running `cargo xtask serve`; a prose edit -> the served page
//!   has it (target <= 1.0 s), and a snippet edit -> its block re-run and
//!   the served page has it (target <= the block's own run time + 1.5 s).
//! - `fresh`: a fresh clone, an empty tool cache (`RSP_TOOLS_DIR`), no
//!   target/ -> `cargo xtask serve` serves the book; target <= 150 s.
//! - `runner`: edit -> first output through the runner (`runner-bench`).
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Result};

use crate::build;
use crate::setup::{self as procs, debian};

mod edits;
mod fresh;
mod serve;

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum What {
    /// Warm builds of the whole book.
    Book,
    /// Edits while `cargo xtask serve` runs.
    Serve,
    /// A fresh clone to the first served page.
    Fresh,
    /// An edit run through the local runner of `cargo xtask serve`.
    Runner,
}

pub fn run(root: &Path, what: What, runs: Option<usize>) -> Result<()> {
    match what {
        What::Book => warm(root, runs.unwrap_or(10)),
        What::Serve => serve::run(root, runs.unwrap_or(7)),
        What::Fresh => fresh::run(root, runs.unwrap_or(5)),
        What::Runner => runner(root, runs.unwrap_or(15)),
    }
}

/// Median, min and max.
pub fn stats(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => (f64::NAN, f64::NAN, f64::NAN),
        n => (v[n / 2], v[0], v[n - 1]),
    }
}

pub fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split(' ').take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

const REST_TARGET: f64 = 1.0;

/// Warm `cargo xtask build`s, timed whole (the lint and cargo's no-op
/// check included), minus the directives' own run time.
fn warm(root: &Path, builds: usize) -> Result<()> {
    anyhow::ensure!(builds >= 5, "--runs must be at least 5");
    eprintln!(
        "xtask: bench book: one build to warm up, then {builds} timed warm builds (load {})",
        load()
    );
    build::run(root)?;
    let (mut total, mut theirs, mut rest) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..builds {
        let t = std::time::Instant::now();
        let b = build::run(root)?;
        let (t, s) = (t.elapsed().as_secs_f64(), b.runs.as_secs_f64());
        eprintln!(
            "xtask: bench book: build {}/{builds}: {t:.2} s, directives {s:.2} s, rest {:.2} s",
            i + 1,
            t - s
        );
        total.push(t);
        theirs.push(s);
        rest.push(t - s);
    }
    let (tm, tmin, tmax) = stats(total);
    let (sm, _, _) = stats(theirs);
    let (rm, rmin, rmax) = stats(rest);
    println!(
        "warm build: median {tm:.2} s (min {tmin:.2}, max {tmax:.2}) over {builds} builds; the directives' own runs median {sm:.2} s; the rest median {rm:.2} s (min {rmin:.2}, max {rmax:.2}; target <= {REST_TARGET} s); load at the end {}",
        load()
    );
    if rm > REST_TARGET {
        bail!("the median time beyond the directives' runs, {rm:.2} s, is over the {REST_TARGET} s target");
    }
    Ok(())
}

/// `cargo xtask bench runner`: builds the runner and runs `runner-bench`.
fn runner(root: &Path, runs: usize) -> Result<()> {
    anyhow::ensure!(runs >= 10, "--runs must be at least 10");
    // The figure that counts is the sandboxed one.
    debian::ensure(debian::BUBBLEWRAP)?;
    procs::run(
        "building the runner",
        procs::cargo().current_dir(root).args([
            "build",
            "--quiet",
            "-p",
            "runner",
            "-p",
            "runner-client",
        ]),
    )?;
    procs::become_subreaper()?;
    let exe = supervisor::locate::target_dir(root)
        .join("debug")
        .join("runner-bench");
    let result = procs::run(
        "runner bench",
        Command::new(exe)
            .current_dir(root)
            .arg("--root")
            .arg(root)
            .args(["--runs", &runs.to_string()]),
    );
    procs::fail_on_leftovers("runner bench")?;
    result
}

/// Sleeps a little between polls.
pub fn nap() {
    std::thread::sleep(Duration::from_millis(10));
}
