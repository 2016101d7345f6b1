//! `cargo xtask bench`: warm-build time of the whole book (target: median
//! <= 5 s on the 2-core build machines), and no process left behind by any
//! of the builds (each build checks that itself).
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Result};

use crate::book;

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
