//! Building and serving the book with the pinned tools.
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::{chapters, checks, lint, procs, python, stamp, tools};

/// `cargo xtask build`: lint, compile every snippet once, run mdbook build
/// (which runs every directive through the supervisor), then check the pages
/// and that nothing is left running. Returns how long it took.
pub fn build(root: &Path) -> Result<Duration> {
    let tools = tools::ensure(root)?;
    python::ensure(root)?;
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
        .envs(supervisor_env(root))
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

/// `cargo xtask serve`: build once (so errors show up front), then serve
/// book/ on 127.0.0.1 through the local runner (crates/runner), which also
/// compiles and runs the code a reader edits on a page. `mdbook watch`
/// rebuilds book/ when a chapter, snippet or theme file changes (the
/// supervisor rebuilds a changed snippet), and the runner reloads open pages.
pub fn serve(root: &Path, port: u16) -> Result<()> {
    if let Err(e) = build(root) {
        eprintln!("xtask: the first build failed; serving anyway so you can see the page: {e:#}");
    }
    let tools = tools::ensure(root)?;
    procs::run(
        "building the runner",
        procs::cargo()
            .current_dir(root)
            .args(["build", "--quiet", "-p", "runner"]),
    )?;
    crate::debian::runner_sandbox();
    procs::become_subreaper()?;
    let mut watch = tools.mdbook();
    watch
        .current_dir(root)
        .arg("watch")
        .envs(supervisor_env(root));
    // Rebuilt pages keep the environment stamp under each output block.
    if let Ok(stamp) = stamp::line(root) {
        watch.env(supervisor::render::STAMP_ENV, stamp);
    }
    let mut watch = die_with_us(&mut watch)
        .spawn()
        .context("starting mdbook watch")?;
    let mut runner = std::process::Command::new(
        supervisor::locate::target_dir(root)
            .join("debug")
            .join("runner"),
    );
    runner
        .current_dir(root)
        .arg("serve")
        .arg("--root")
        .arg(root)
        .args(["--port", &port.to_string()]);
    let result = procs::run("the runner", die_with_us(&mut runner));
    let _ = watch.kill();
    let _ = watch.wait();
    procs::fail_on_leftovers("cargo xtask serve")?;
    result
}

/// RSP_SUPERVISOR for the directives: the supervisor binary just built, run
/// directly instead of through `cargo run` (~70 ms each). Left unset, so the
/// directive falls back to `cargo run`, when the binary is missing or its
/// path would not survive the shell's word splitting.
fn supervisor_env(root: &Path) -> Option<(&'static str, std::path::PathBuf)> {
    let exe = supervisor::locate::target_dir(root)
        .join("debug")
        .join("supervisor");
    let plain = exe.to_str().is_some_and(|p| {
        p.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+".contains(c))
    });
    (plain && exe.is_file()).then_some((supervisor::locate::SUPERVISOR_ENV, exe))
}

/// Makes `cmd`'s process get SIGTERM when xtask dies, however it dies
/// (Ctrl-C reaches the whole group anyway; a `kill` of xtask alone does not).
fn die_with_us(cmd: &mut std::process::Command) -> &mut std::process::Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGTERM)
                .map_err(std::io::Error::from)
        });
    }
    cmd
}
