//! `--try-it`: the edited program must end and print as try-it.toml says,
//! else the run fails (and so the build). The program is the misbehaving
//! fixture (`--exe`, for the supervisor's own tests), in a workspace of its
//! own with a snippet whose Try it says what it must do.
use std::path::PathBuf;
use std::process::Output;

fn run(expect: &str) -> (Output, String) {
    // Tests run at once: a folder each.
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let root = std::env::temp_dir().join(format!("rsp-try-it-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let snippet = root.join("snippets/fixture");
    std::fs::create_dir_all(snippet.join("src")).unwrap();
    std::fs::write(root.join("Cargo.toml"), "[workspace]\n").unwrap();
    std::fs::write(
        snippet.join("Cargo.toml"),
        "[package]\nname = \"fixture\"\n",
    )
    .unwrap();
    std::fs::write(snippet.join("src/main.rs"), "fn main() { edited() }\n").unwrap();
    std::fs::write(
        snippet.join("try-it.toml"),
        format!("file = \"src/main.rs\"\n{expect}\n[[edit]]\nfind = \"edited\"\nreplace = \"x\"\n"),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_supervisor"))
        .args([
            "fixture",
            "--try-it",
            "--exe",
            env!("CARGO_BIN_EXE_misbehave"),
        ])
        .args(["--", "ok", "rsp-try-it-test"])
        .current_dir(&root)
        .env_remove("RSP_STORE")
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(PathBuf::from(&root));
    let md = String::from_utf8_lossy(&out.stdout).into_owned();
    (out, md)
}

#[test]
fn an_edit_that_does_what_the_file_says_passes() {
    let (out, md) = run("expect-exit = 0\nexpect-output = \"misbehave: ok\"");
    assert!(out.status.success(), "{md}");
    assert!(
        md.starts_with("<details class=\"rsp-try\" data-edits=\""),
        "{md}"
    );
    assert!(md.contains("exit status 0 (expected)"), "{md}");
}

#[test]
fn an_edit_that_no_longer_fails_fails_the_run() {
    let (out, md) = run("expect-exit = 1\nexpect-output = \"misbehave: ok\"");
    assert_eq!(out.status.code(), Some(1), "{md}");
    assert!(md.contains("expected exit status 1"), "{md}");
    let (out, md) = run("expect-exit = 0\nexpect-output = \"behaviour not seen\"");
    assert_eq!(out.status.code(), Some(1), "{md}");
    assert!(md.contains("no longer prints `behaviour not seen`"), "{md}");
}
