//! The book's Python environment: a venv made from Debian's /usr/bin/python3,
//! with exactly what `python/requirements.lock` pins (by hash), in a cache
//! folder named after the lock and the interpreter (supervisor::python, so
//! the supervisor finds the same one). Made once, then reused; a changed
//! lock or a rebuilt interpreter gets a new folder.
use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use supervisor::python::{self as py, BASE_PYTHON, LOCK, READY_FILE};

use super::debian;
use crate::setup as procs;

/// `cargo xtask python ...`
#[derive(clap::Subcommand)]
pub enum What {
    /// Create the venv if needed and print its folder (its `bin/` holds `python3`).
    Path,
    /// Run the pytest tests of snippets/*/python/.
    Test,
    /// Re-lock python/requirements.lock from python/requirements.in
    /// (pip-compile): keeps the pinned versions unless --upgrade.
    Lock {
        /// Move every package to its newest version.
        #[arg(long)]
        upgrade: bool,
    },
}

pub fn run(root: &Path, what: &What) -> Result<()> {
    match what {
        What::Path => {
            println!("{}", ensure(root)?.display());
            Ok(())
        }
        What::Test => pytest(root, None),
        What::Lock { upgrade } => lock(root, *upgrade),
    }
}

/// Makes the venv unless a complete one is there; returns its folder.
pub fn ensure(root: &Path) -> Result<PathBuf> {
    debian::ensure(debian::PYTHON)?;
    let dir = py::venv_dir(root).map_err(|e| anyhow!(e))?;
    if dir.join(READY_FILE).is_file() {
        return Ok(dir);
    }
    let parent = dir.parent().context("the venv folder has no parent")?;
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    // One maker at a time (two checkouts building at once); the second one
    // finds the venv ready when it gets the lock.
    let _lock = lock_file(&parent.join(".lock"))?;
    if dir.join(READY_FILE).is_file() {
        return Ok(dir);
    }
    let started = Instant::now();
    eprintln!(
        "xtask: creating the Python environment {} from {BASE_PYTHON} and {LOCK} (once per lock)",
        dir.display()
    );
    if dir.exists() {
        // Half made by a run that was stopped: start again.
        std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    procs::run(
        "python3 -m venv",
        Command::new(BASE_PYTHON).args(["-m", "venv"]).arg(&dir),
    )?;
    let python = dir.join("bin").join("python");
    procs::run(
        "pip install --require-hashes",
        Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "--no-input"])
            .args([
                "--disable-pip-version-check",
                "--require-hashes",
                "--no-deps",
            ])
            .arg("-r")
            .arg(root.join(LOCK)),
    )?;
    // --no-deps trusts the lock to be complete; pip check proves it.
    let check = Command::new(&python)
        .args(["-m", "pip", "check", "--disable-pip-version-check"])
        .output()
        .context("running pip check")?;
    if !check.status.success() {
        bail!(
            "pip check: {LOCK} is not complete (add what is missing to python/requirements.in and re-lock): {}",
            String::from_utf8_lossy(&check.stdout).trim()
        );
    }
    let version = py::base_version().map_err(|e| anyhow!(e))?;
    std::fs::write(
        dir.join(READY_FILE),
        format!("{LOCK} installed into a venv of {BASE_PYTHON} {version}\n"),
    )?;
    eprintln!(
        "xtask: Python environment ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(dir)
}

/// An exclusive flock held until the file is dropped.
fn lock_file(path: &Path) -> Result<File> {
    let f = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    // SAFETY: flock on a descriptor we own; it blocks until we hold the lock.
    while unsafe { nix::libc::flock(f.as_raw_fd(), nix::libc::LOCK_EX) } != 0 {
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e).with_context(|| format!("locking {}", path.display()));
        }
    }
    Ok(f)
}

/// pytest over snippets/*/python/ with the venv's interpreter. Each test
/// runs its note's program as the book does, so this is a child subreaper
/// check too: nothing may be left running.
/// The pytest tests of every snippet's Python programs, or of one snippet's.
pub fn pytest(root: &Path, slug: Option<&str>) -> Result<()> {
    let dir = ensure(root)?;
    procs::become_subreaper()?;
    let mut cmd = Command::new(dir.join("bin").join("python"));
    cmd.current_dir(root)
        .args(["-m", "pytest", "-c", "python/pytest.ini", "--rootdir", "."])
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env_remove("PYTHONPATH");
    if let Some(slug) = slug {
        let tests = root.join("snippets").join(slug).join("python");
        if !tests.is_dir() {
            eprintln!("xtask: snippets/{slug}/ has no Python programs");
            return Ok(());
        }
        cmd.arg(tests);
    }
    let result = procs::run("pytest", &mut cmd);
    procs::fail_on_leftovers("pytest")?;
    result
}

/// pip-compile, as the lock's header records it, from the venv's own pip-tools.
fn lock(root: &Path, upgrade: bool) -> Result<()> {
    let dir = ensure(root)?;
    let status = Command::new(dir.join("bin").join("pip-compile"))
        .current_dir(root)
        .args([
            "--quiet",
            "--generate-hashes",
            "--allow-unsafe",
            "--strip-extras",
            "--no-emit-find-links",
            "--no-emit-index-url",
        ])
        .args(upgrade.then_some("--upgrade"))
        .args([
            "--output-file=python/requirements.lock",
            "python/requirements.in",
        ])
        .status()
        .context("running pip-compile")?;
    if !status.success() {
        bail!("pip-compile failed ({status})");
    }
    eprintln!("xtask: wrote {LOCK}; the next build makes a venv for it");
    Ok(())
}
