//! `cargo xtask serve`: build, start the runner (crates/runner: it serves
//! book/ on 127.0.0.1 and runs the code a reader edits), then rebuild
//! whenever the book's sources change. Rebuilds reuse every record whose
//! inputs are unchanged (`supervisor::store`), so a prose edit runs
//! nothing and a snippet edit re-runs that snippet's directives. The
//! runner reads a line `reload` on its stdin after each publish (its pages
//! reload), and stops when its stdin closes.
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result};
use notify::{EventKind, RecursiveMode, Watcher};

use super::{book_packages, build, compile, publish, Kind};
use crate::setup::{self, debian, python};

/// What the book is made of, relative to the root.
const WATCHED: [&str; 5] = ["src", "snippets", "theme", "po", "book.toml"];

/// An editor's save is often a write, a rename and a chmod: one rebuild.
const QUIET: Duration = Duration::from_millis(50);

enum Event {
    Changed(Vec<PathBuf>),
    RunnerExited(std::io::Result<std::process::ExitStatus>),
}

pub fn serve(root: &Path, port: u16) -> Result<()> {
    if let Err(e) = crate::lint::run(root) {
        eprintln!("xtask: serve: {e:#}; serving anyway");
    }
    debian::runner_sandbox();
    // One cargo for all that serving needs, so a fresh clone compiles it
    // in parallel, while the Python environment is made.
    let mut packages = book_packages(root)?;
    // xtask (built already) in the selection: cargo unifies the runner's
    // dependencies' features with xtask's and reuses what that compiled.
    packages.extend(["runner".into(), "xtask".into()]);
    let (venv, compiled) = std::thread::scope(|s| {
        let venv = s.spawn(|| python::ensure(root));
        (venv.join(), compile(root, &packages))
    });
    if let Ok(Err(e)) = venv {
        eprintln!("xtask: serve: {e:#}; the Python blocks will say so");
    }
    if compiled.is_err() {
        // The pages show cargo's errors for the snippet that does not build.
        compile(root, &["supervisor".into(), "runner".into()])?;
    }
    setup::become_subreaper()?;
    rebuild(root, None)?;

    let (tx, rx) = mpsc::channel();
    let mut runner = start_runner(root, port)?;
    let mut stdin = runner.stdin.take().context("the runner's stdin")?;
    let runner_pid = runner.id() as i32;
    let exited = tx.clone();
    std::thread::spawn(move || {
        let _ = exited.send(Event::RunnerExited(runner.wait()));
    });
    let _watcher = watch(root, tx)?;
    loop {
        match rx.recv() {
            Ok(Event::Changed(mut paths)) => {
                // Whatever else arrives meanwhile joins the same rebuild.
                while let Ok(Event::Changed(more)) = rx.recv_timeout(QUIET) {
                    paths.extend(more);
                }
                let slugs = changed_snippets(root, &paths);
                match rebuild(root, Some(&slugs)) {
                    Ok(()) => reload(&mut stdin),
                    Err(e) => eprintln!("xtask: serve: the rebuild failed: {e:#}"),
                }
                kill_strays(runner_pid);
            }
            Ok(Event::RunnerExited(status)) => {
                let status = status.context("waiting for the runner")?;
                anyhow::ensure!(status.success(), "the runner stopped ({status})");
                return Ok(());
            }
            Err(_) => return Ok(()),
        }
    }
}

/// Compiles `slugs` (every snippet when `None`), builds both editions
/// reusing what is unchanged, and publishes them even when a run failed:
/// the page shows the failure.
fn rebuild(root: &Path, slugs: Option<&[String]>) -> Result<()> {
    let packages = match slugs {
        Some(s) => s.to_vec(),
        None => book_packages(root)?,
    };
    if !packages.is_empty() {
        if let Err(e) = compile(root, &packages) {
            eprintln!("xtask: serve: {e:#}; the page shows cargo's errors");
        }
    }
    let built = build(root, "serve", Kind::Reuse)?;
    publish::publish(&built.pages, &root.join("book"))?;
    eprintln!(
        "xtask: serve: built in {:.2} s: {} output(s) run ({:.2} s of it theirs), {} reused",
        built.took.as_secs_f64(),
        built.ran,
        built.runs.as_secs_f64(),
        built.reused
    );
    for p in &built.problems {
        eprintln!("  {p}");
    }
    Ok(())
}

fn start_runner(root: &Path, port: u16) -> Result<Child> {
    let exe = supervisor::locate::target_dir(root)
        .join("debug")
        .join("runner");
    let mut cmd = Command::new(exe);
    cmd.current_dir(root)
        .arg("serve")
        .arg("--root")
        .arg(root)
        .args(["--port", &port.to_string()])
        // A reader's unchanged run is compared with what this book shows.
        .args(["--store", "serve"])
        .stdin(Stdio::piped());
    cmd.spawn().context("starting the runner")
}

/// Tells the runner that book/ changed; a runner gone is told nothing.
fn reload(stdin: &mut ChildStdin) {
    let _ = writeln!(stdin, "reload").and_then(|()| stdin.flush());
}

/// One watcher over what the book is made of. Reads are not changes: the
/// runner reads the snippets' sources.
fn watch(root: &Path, tx: mpsc::Sender<Event>) -> Result<notify::RecommendedWatcher> {
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        if let Ok(e) = res {
            if matches!(
                e.kind,
                EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
            ) && !e.paths.iter().all(|p| noise(p))
            {
                let _ = tx.send(Event::Changed(e.paths));
            }
        }
    })
    .context("starting the file watcher")?;
    for name in WATCHED {
        let p = root.join(name);
        if p.exists() {
            watcher
                .watch(&p, RecursiveMode::Recursive)
                .with_context(|| format!("watching {}", p.display()))?;
        }
    }
    Ok(watcher)
}

/// A snippet's own target/, an editor's swap or backup file.
fn noise(p: &Path) -> bool {
    p.components().any(|c| {
        let c = c.as_os_str().to_string_lossy();
        c == "target" || c == "__pycache__" || c.starts_with('.') || c.ends_with('~')
    })
}

/// The snippet crates these changed paths belong to.
fn changed_snippets(root: &Path, paths: &[PathBuf]) -> Vec<String> {
    let mut slugs: Vec<String> = paths
        .iter()
        .filter(|p| !noise(p))
        .filter_map(|p| {
            let mut parts = p.strip_prefix(root.join("snippets")).ok()?.components();
            let slug = parts.next()?.as_os_str().to_str()?;
            root.join("snippets")
                .join(slug)
                .join("Cargo.toml")
                .is_file()
                .then(|| slug.to_string())
        })
        .collect();
    slugs.sort();
    slugs.dedup();
    slugs
}

/// Kills and reaps any child but the runner: a process a rebuild left
/// re-parented to us (each supervisor reaps its own snippet's tree).
fn kill_strays(runner: i32) {
    use nix::sys::signal::{kill, Signal};
    use nix::unistd::Pid;
    for (pid, state, comm) in supervisor::reap::children() {
        if pid == runner {
            continue;
        }
        if state != 'Z' {
            eprintln!("xtask: serve: killed {pid} ({comm}), left running by a rebuild");
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
        let _ = nix::sys::wait::waitpid(Pid::from_raw(pid), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_changes_are_told_from_the_rest() {
        let root = crate::setup::workspace_root().unwrap();
        let p = |s: &str| root.join(s);
        assert!(changed_snippets(&root, &[p("src/processes/zombie.md")]).is_empty());
        assert_eq!(
            changed_snippets(
                &root,
                &[
                    p("snippets/zombie/src/main.rs"),
                    p("snippets/zombie/tests/zombie.rs")
                ]
            ),
            ["zombie"]
        );
        assert!(noise(&p("src/processes/.zombie.md.swp")));
        assert!(noise(&p("snippets/zombie/target/x")));
        assert!(!noise(&p("po/zh-TW.po")));
    }
}
