//! Building and serving the book with the pinned tools.
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::{chapters, checks, lint, procs, stamp, tools};

/// `cargo xtask build`: lint, compile every snippet once, run mdbook build
/// (which runs every directive through the supervisor), then check the pages
/// and that nothing is left running. Returns how long it took.
pub fn build(root: &Path) -> Result<Duration> {
    let tools = tools::ensure(root)?;
    let start = Instant::now();
    lint::run(root)?;
    procs::run(
        "building the snippets",
        procs::cargo()
            .current_dir(root)
            .args(["build", "--quiet", "--workspace", "--bins"]),
    )?;
    let stamp = stamp::line(root)?;
    procs::become_subreaper()?;
    let out = tools
        .mdbook()
        .arg("build")
        .current_dir(root)
        .env(supervisor::locate::PREBUILT_ENV, "1")
        .env(supervisor::render::STAMP_ENV, &stamp)
        .output()
        .context("running mdbook build")?;
    procs::fail_on_leftovers("mdbook build")?;
    if !out.status.success() {
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
        bail!("mdbook build failed ({})", out.status);
    }
    checks::pages(root, &chapters::load(root)?)?;
    let took = start.elapsed();
    eprintln!(
        "xtask: built the book into book/ in {:.2} s",
        took.as_secs_f64()
    );
    Ok(took)
}

/// `cargo xtask serve`: build once (so errors show up front), then serve on
/// localhost. The supervisor rebuilds a snippet that changed while serving.
pub fn serve(root: &Path, port: u16) -> Result<()> {
    if let Err(e) = build(root) {
        eprintln!("xtask: the first build failed; serving anyway so you can see the page: {e:#}");
    }
    let tools = tools::ensure(root)?;
    eprintln!("xtask: serving on http://127.0.0.1:{port}/ (Ctrl-C to stop)");
    let port = port.to_string();
    let result = procs::run(
        "mdbook serve",
        tools.mdbook().current_dir(root).args([
            "serve",
            "--hostname",
            "127.0.0.1",
            "--port",
            &port,
        ]),
    );
    procs::fail_on_leftovers("mdbook serve")?;
    result
}
