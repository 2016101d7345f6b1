//! `--python`: the note's own program, under the same supervision as a Rust
//! snippet. Each test makes a small workspace holding the fixture
//! `tests/fixtures/misbehave.py` as `snippets/fixture/python/misbehave.py`
//! and runs it with Debian's interpreter (`--exe`), so no venv is needed.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::survivors;

const PYTHON: &str = "/usr/bin/python3";

fn workspace(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rsp-sv-py-{name}-{}", std::process::id()));
    let py = dir.join("snippets/fixture/python");
    std::fs::create_dir_all(&py).unwrap();
    std::fs::create_dir_all(dir.join("snippets/fixture/src")).unwrap();
    std::fs::write(dir.join("Cargo.toml"), "[workspace]\n").unwrap();
    std::fs::write(dir.join("snippets/fixture/Cargo.toml"), "[package]\n").unwrap();
    std::fs::create_dir_all(dir.join("python")).unwrap();
    std::fs::write(dir.join("python/requirements.lock"), "# empty\n").unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/misbehave.py"),
        py.join("misbehave.py"),
    )
    .unwrap();
    dir
}

fn run(mode: &str, extra: &[&str]) -> (String, Output, Vec<String>) {
    let dir = workspace(mode);
    let token = format!("rsp-py-test-{mode}-{}", std::process::id());
    let out = Command::new(env!("CARGO_BIN_EXE_supervisor"))
        .current_dir(&dir)
        .args(["fixture", "--python", "misbehave", "--exe", PYTHON])
        .args(["--timeout", "2"])
        .args(extra)
        .args(["--", mode, &token])
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let md = String::from_utf8_lossy(&out.stdout).into_owned();
    (md, out, survivors(&token))
}

#[test]
fn the_block_names_the_file_and_keeps_the_order() {
    let (md, out, _) = run("ok", &[]);
    assert!(out.status.success(), "{md}");
    assert!(
        md.contains("$ python3 snippets/fixture/python/misbehave.py ok rsp-py-test-ok-"),
        "{md}"
    );
    assert!(
        md.contains("misbehave: ok\nto stderr, after stdout\n"),
        "{md}"
    );
}

#[test]
fn python3_is_found_on_the_path_as_a_reader_types_it() {
    let (md, out, _) = run("whoami", &[]);
    assert!(out.status.success(), "{md}");
    assert!(md.contains("argv[0] python3\n"), "{md}");
    assert!(md.contains("PATH starts with /usr/bin\n"), "{md}");
    assert!(md.contains("sys.executable /usr/bin/python3\n"), "{md}");
}

#[test]
fn an_uncaught_exception_is_exit_1_and_passes_only_when_declared() {
    let (md, out, _) = run("raise", &[]);
    assert_eq!(out.status.code(), Some(1), "{md}");
    assert!(md.contains("exited with status 1"), "{md}");
    assert!(md.contains("RuntimeError: on purpose"), "{md}");
    // Python makes the script's path absolute (3.9+): the traceback would
    // name the workspace's folder, which the block shows as the clone's.
    assert!(
        md.contains("File \"‹clone›/snippets/fixture/python/misbehave.py\", line 20, in <module>"),
        "{md}"
    );
    assert!(!md.contains("File \"/tmp/"), "{md}");

    let (md, out, _) = run("raise", &["--expect-exit", "1"]);
    assert!(out.status.success(), "{md}");
    assert!(md.contains("exit status 1 (expected)"), "{md}");
}

#[test]
fn a_hanging_program_is_killed_and_a_daemon_is_found() {
    let (md, out, left) = run("hang", &[]);
    assert_eq!(out.status.code(), Some(1), "{md}");
    assert!(md.contains("timed out after 2 s"), "{md}");
    assert!(left.is_empty(), "left running: {left:?}");

    let (md, out, left) = run("daemonize", &[]);
    assert_eq!(out.status.code(), Some(1), "{md}");
    assert!(md.contains("killed 1 left running"), "{md}");
    assert!(left.is_empty(), "left running: {left:?}");
}

#[test]
fn a_missing_venv_is_an_error_naming_the_snippet_and_what_to_run() {
    let dir = workspace("novenv");
    let out = Command::new(env!("CARGO_BIN_EXE_supervisor"))
        .current_dir(&dir)
        .args(["fixture", "--python", "misbehave", "--", "ok"])
        .env("RSP_PYTHON_DIR", dir.join("no-venvs-here"))
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let md = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{md}");
    assert!(md.contains("snippet `fixture`"), "{md}");
    assert!(md.contains("no Python environment at"), "{md}");
    assert!(md.contains("`cargo xtask tools` creates it"), "{md}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("supervisor: snippet `fixture`"), "{err}");

    let dir = workspace("nofile");
    let out = Command::new(env!("CARGO_BIN_EXE_supervisor"))
        .current_dir(&dir)
        .args(["fixture", "--python", "nope", "--exe", PYTHON])
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.contains("no snippets/fixture/python/nope.py"), "{md}");
}
