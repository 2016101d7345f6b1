//! Helpers for the snippets' integration tests (a dev-dependency only).
//!
//! - [`run`] runs a binary and returns its status, stdout and stderr as text;
//!   [`run_ok`] also asserts it succeeded and returns the stdout lines;
//!   `run_denying` and `run_ok_denying` set `RSP_DENY` first.
//! - [`rustc_error_codes`] compiles one file the way the supervisor's
//!   `--expect-compile-error` does and returns the `EXXXX` codes rustc gave.
//! - [`assert_rejects`] is the usual test: this file must fail with this code;
//!   [`assert_warns`]: this file must compile, with this lint's warning.
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::sync::atomic::{AtomicU32, Ordering};

/// Runs `exe` with `args`, stdin closed; returns (status, stdout, stderr).
/// Panics if the program cannot be started at all.
pub fn run(exe: impl AsRef<OsStr>, args: &[&str]) -> (ExitStatus, String, String) {
    run_denying(exe, args, None)
}

/// [`run`] with `RSP_DENY` set to `deny`, or cleared: the snippet acts as
/// if the kernel refused that (a namespace, cgroups), as an unprivileged
/// sandbox would.
pub fn run_denying(
    exe: impl AsRef<OsStr>,
    args: &[&str],
    deny: Option<&str>,
) -> (ExitStatus, String, String) {
    let exe = exe.as_ref();
    let mut cmd = Command::new(exe);
    cmd.args(args)
        .stdin(std::process::Stdio::null())
        .env_remove("RSP_DENY");
    if let Some(what) = deny {
        cmd.env("RSP_DENY", what);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.to_string_lossy()));
    (
        out.status,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `exe` with `args`, asserts it succeeded (showing its output if not)
/// and returns its stdout lines: what most snippet tests start with.
pub fn run_ok(exe: impl AsRef<OsStr>, args: &[&str]) -> Vec<String> {
    run_ok_denying(exe, args, None)
}

/// [`run_ok`] with `RSP_DENY` as in [`run_denying`].
pub fn run_ok_denying(exe: impl AsRef<OsStr>, args: &[&str], deny: Option<&str>) -> Vec<String> {
    let (status, stdout, stderr) = run_denying(exe, args, deny);
    assert!(status.success(), "{status}\n{stdout}{stderr}");
    stdout.lines().map(String::from).collect()
}

/// `compile_fail/<name>.rs` of the crate whose tests call this
/// (pass `env!("CARGO_MANIFEST_DIR")`).
pub fn compile_fail_file(manifest_dir: &str, name: &str) -> PathBuf {
    Path::new(manifest_dir)
        .join("compile_fail")
        .join(format!("{name}.rs"))
}

/// `lint/<name>.rs` of the crate whose tests call this: a file rustc
/// accepts with a warning (the supervisor's `--expect-warning`).
pub fn lint_file(manifest_dir: &str, name: &str) -> PathBuf {
    Path::new(manifest_dir)
        .join("lint")
        .join(format!("{name}.rs"))
}

/// Asserts that rustc accepts `path` and warns with `lint` (e.g.
/// `"unconditional_recursion"`); returns rustc's message.
pub fn assert_warns(path: impl AsRef<Path>, lint: &str) -> String {
    let path = path.as_ref();
    let r = rustc(path);
    if let Err(why) = supervisor::compile::check_warning(r.status.code(), &r.stderr, lint) {
        panic!("{}: {why}:\n{}", path.display(), r.stderr);
    }
    r.stderr
}

/// What rustc said about one file.
#[derive(Debug)]
pub struct Rustc {
    pub status: ExitStatus,
    /// rustc's diagnostics (stderr), without colours.
    pub stderr: String,
}

impl Rustc {
    /// The distinct error codes, in the order rustc first reported them.
    pub fn error_codes(&self) -> Vec<String> {
        error_codes_in(&self.stderr)
    }
}

/// Compiles `path` exactly as the supervisor's `--expect-compile-error`
/// and `--expect-warning` do (`supervisor::compile::rustc_in`): from the
/// workspace root, naming the file relative to it (a file outside a
/// workspace: from its own folder), with output into a fresh temporary
/// folder that is removed again.
pub fn rustc(path: impl AsRef<Path>) -> Rustc {
    let path = path.as_ref();
    assert!(path.is_file(), "no file {}", path.display());
    let (dir, file) = match (path.parent(), path.file_name()) {
        (Some(dir), Some(file)) => (dir, Path::new(file)),
        _ => panic!("{} is not a file in a folder", path.display()),
    };
    let root = supervisor::locate::workspace_root(dir);
    let (dir, file) = match root.as_deref().map(|r| (r, path.strip_prefix(r))) {
        Some((root, Ok(rel))) => (root, rel),
        _ => (dir, file),
    };
    let out_dir = fresh_dir();
    let out = supervisor::compile::rustc_in(dir, file, &out_dir).output();
    let _ = std::fs::remove_dir_all(&out_dir);
    let out = out.unwrap_or_else(|e| panic!("cannot run rustc: {e}"));
    Rustc {
        status: out.status,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The error codes rustc reports for `path`; empty if it compiles.
pub fn rustc_error_codes(path: impl AsRef<Path>) -> Vec<String> {
    rustc(path).error_codes()
}

/// Asserts that rustc rejects `path` and that `code` (e.g. `"E0046"`) is
/// among its errors; returns rustc's message for further checks.
pub fn assert_rejects(path: impl AsRef<Path>, code: &str) -> String {
    let path = path.as_ref();
    let r = rustc(path);
    assert!(
        !r.status.success(),
        "{} compiled, but should fail with {code}",
        path.display()
    );
    assert!(
        r.error_codes().iter().any(|c| c == code),
        "{} failed without {code}:\n{}",
        path.display(),
        r.stderr
    );
    r.stderr
}

/// The distinct codes of `error[EXXXX]` headers in rustc's human output.
pub fn error_codes_in(diagnostics: &str) -> Vec<String> {
    let mut codes: Vec<String> = Vec::new();
    for (i, _) in diagnostics.match_indices("error[E") {
        let code = &diagnostics[i + "error[".len()..];
        let Some(end) = code.find(']') else { continue };
        let code = &code[..end];
        let well_formed = code.len() == 5 && code[1..].bytes().all(|b| b.is_ascii_digit());
        if well_formed && !codes.iter().any(|c| c == code) {
            codes.push(code.to_string());
        }
    }
    codes
}

fn fresh_dir() -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "snippet-support-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Removes its folder when dropped, also when a test panics.
    struct TempDir(PathBuf);
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// Writes `src` to a fresh folder, runs `f` on the file, removes the folder.
    fn with_file<T>(src: &str, f: impl FnOnce(&Path) -> T) -> T {
        let dir = TempDir(fresh_dir());
        let file = dir.0.join("snippet.rs");
        std::fs::write(&file, src).unwrap();
        f(&file)
    }

    #[test]
    fn finds_the_codes_rustc_reports() {
        let codes = with_file(
            "fn main() { let x: u8 = \"no\"; let y: u8 = \"no\"; undefined(); }\n",
            |f| rustc_error_codes(f),
        );
        // Two E0308 and one E0425: each code once, in rustc's order.
        let mut sorted = codes.clone();
        sorted.sort();
        assert_eq!(sorted, ["E0308", "E0425"], "{codes:?}");
    }

    #[test]
    fn a_good_file_has_no_codes() {
        let r = with_file("fn main() {}\n", |f| rustc(f));
        assert!(r.status.success(), "{}", r.stderr);
        assert!(r.error_codes().is_empty());
    }

    #[test]
    fn assert_rejects_returns_the_message() {
        let msg = with_file("fn main() { let x: u8 = \"no\"; }\n", |f| {
            assert_rejects(f, "E0308")
        });
        assert!(msg.contains("mismatched types"), "{msg}");
    }

    #[test]
    #[should_panic(expected = "failed without E0046")]
    fn assert_rejects_wants_the_right_code() {
        with_file("fn main() { let x: u8 = \"no\"; }\n", |f| {
            assert_rejects(f, "E0046")
        });
    }

    #[test]
    fn assert_warns_wants_the_warning() {
        let src = "fn f() -> u32 { f() }\nfn main() { let _ = f as fn() -> u32; }\n";
        let msg = with_file(src, |f| assert_warns(f, "unconditional_recursion"));
        assert!(msg.contains("cannot return without recursing"), "{msg}");
    }

    #[test]
    fn parses_only_well_formed_headers() {
        let text = "error[E0277]: a\nerror[E12]: b\nerror: c\nerror[E0277]: d\nerror[E0038]: e";
        assert_eq!(error_codes_in(text), ["E0277", "E0038"]);
    }

    #[test]
    fn run_returns_status_and_both_streams() {
        let (status, out, err) = run("sh", &["-c", "echo out; echo err >&2; exit 3"]);
        assert_eq!(status.code(), Some(3));
        assert_eq!(out, "out\n");
        assert_eq!(err, "err\n");
    }
}
