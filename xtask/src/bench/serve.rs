//! `cargo xtask bench serve`: edits while `cargo xtask serve` runs (the
//! real command, started as a child on a free port), timed from the write
//! of the file to the served page showing the change.
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::edits::{free_port, Edit, Lines, Served};
use super::{load, stats};

const PROSE_TARGET: f64 = 1.0;
const SNIPPET_MARGIN: f64 = 1.5;
/// The chapter edited, its page, and the snippet whose output it shows.
const CHAPTER: &str = "src/processes/zombie.md";
const PAGE: &str = "/processes/zombie.html";
const SNIPPET: &str = "snippets/zombie/src/main.rs";

pub fn run(root: &Path, runs: usize) -> Result<()> {
    anyhow::ensure!(runs >= 5, "--runs must be at least 5");
    let port = free_port()?;
    let mut child = Command::new(std::env::current_exe()?)
        .current_dir(root)
        .args(["serve", "--port", &port.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .context("starting cargo xtask serve")?;
    let lines = Lines::of(&mut child, "  serve| ");
    let result = Served::from_link(&mut child, Duration::from_secs(900))
        .and_then(|served| edits(root, &served, runs, &lines));
    // The serve and its runner (which dies with it) stop here, however it went.
    let _ = nix::sys::signal::killpg(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    );
    let _ = child.wait();
    result
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn edits(root: &Path, served: &Served, runs: usize, lines: &Lines) -> Result<()> {
    served.wait_for("/index.html", Duration::from_secs(900), |_| true)?;
    eprintln!("xtask: bench serve: load {}", load());
    let page = |marker: String| move |body: &str| body.contains(&marker);

    let chapter = Edit::new(&root.join(CHAPTER))?;
    let mut prose = Vec::new();
    for i in 0..runs {
        let marker = format!("rsp-bench-prose-{}-{i}", std::process::id());
        lines.drain();
        let t = Instant::now();
        chapter.write(&format!(
            "{}\nA sentence for the bench: {marker}.\n",
            chapter.original()
        ))?;
        served.wait_for(PAGE, Duration::from_secs(30), page(marker))?;
        let took = t.elapsed().as_secs_f64();
        eprintln!(
            "xtask: bench serve: prose edit {}/{runs}: {took:.3} s",
            i + 1
        );
        prose.push(took);
        lines.wait(&["xtask: serve: built"], Duration::from_secs(30))?;
    }
    drop(chapter);
    lines.wait(&["xtask: serve: built"], Duration::from_secs(30))?;

    let snippet = Edit::new(&root.join(SNIPPET))?;
    let needle = "println!(\"spawned ";
    if !snippet.original().contains(needle) {
        bail!("{SNIPPET} has no `{needle}` to edit");
    }
    let (mut latency, mut own, mut over) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..runs {
        let marker = format!("rsp-bench-run-{}-{i}", std::process::id());
        lines.drain();
        let (t, since) = (Instant::now(), unix_now());
        snippet.write(&snippet.original().replacen(
            needle,
            &format!("println!(\"{marker} spawned "),
            1,
        ))?;
        // The marker must be in an output block, not only in the code listing.
        let m = marker.clone();
        served.wait_for(PAGE, Duration::from_secs(60), move |body| {
            crate::html::blocks(body).iter().any(|b| b.contains(&m))
        })?;
        let took = t.elapsed().as_secs_f64();
        lines.wait(&["xtask: serve: built"], Duration::from_secs(30))?;
        let store = supervisor::locate::target_dir(root).join("outputs/serve");
        let run: f64 = supervisor::store::all(&store)
            .map_err(anyhow::Error::msg)?
            .iter()
            .filter(|r| r.chapter.as_deref() == Some("processes/zombie.md") && r.ran_at >= since)
            .map(|r| r.took_ms / 1e3)
            .sum();
        eprintln!(
            "xtask: bench serve: snippet edit {}/{runs}: {took:.3} s, of which the block's own run {run:.3} s",
            i + 1
        );
        latency.push(took);
        own.push(run);
        over.push(took - run);
    }
    drop(snippet);
    let _ = lines.wait(&["xtask: serve: built"], Duration::from_secs(60));
    let _ = served.get(PAGE);

    let (pm, pmin, pmax) = stats(prose);
    let (sm, smin, smax) = stats(latency);
    let (om, _, _) = stats(own);
    let (xm, _, xmax) = stats(over);
    println!(
        "serve: prose edit -> served page: median {pm:.3} s (min {pmin:.3}, max {pmax:.3}; target <= {PROSE_TARGET} s); snippet edit -> re-run block served: median {sm:.3} s (min {smin:.3}, max {smax:.3}), its own run median {om:.3} s, beyond it median {xm:.3} s (max {xmax:.3}; target <= {SNIPPET_MARGIN} s); {runs} edits each; load at the end {}",
        load()
    );
    if pm > PROSE_TARGET {
        bail!("median prose edit {pm:.3} s is over the {PROSE_TARGET} s target");
    }
    if xm > SNIPPET_MARGIN {
        bail!(
            "median snippet edit beyond its run, {xm:.3} s, is over the {SNIPPET_MARGIN} s target"
        );
    }
    Ok(())
}
