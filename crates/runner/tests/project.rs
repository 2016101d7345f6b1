//! "Download as a Cargo project": the archive the page gets builds and runs
//! with `cargo run` in a temporary folder, outside the book's workspace,
//! with nix, libc and memmap2 at the book's exact versions (offline: the
//! crates are in cargo's cache). The project's target folder is kept under
//! target/ so a second run of this test does not compile nix again.
mod common;

use std::io::Read;
use std::process::Command;

use common::{root, server};

fn unpack(bytes: &[u8], into: &std::path::Path) -> Vec<String> {
    let mut names = Vec::new();
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    for entry in ar.entries().unwrap() {
        let mut e = entry.unwrap();
        let path = e.path().unwrap().into_owned();
        names.push(path.to_string_lossy().into_owned());
        let dest = into.join(&path);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        let mut text = Vec::new();
        e.read_to_end(&mut text).unwrap();
        std::fs::write(dest, text).unwrap();
    }
    names.sort();
    names
}

fn download(s: &common::Server, body: serde_json::Value) -> Vec<u8> {
    let body = body.to_string();
    let r = s
        .client
        .request(
            "POST",
            "/__rsp/project",
            &[
                ("content-type", "application/json"),
                ("x-rsp-token", &s.token),
                ("origin", &s.origin),
            ],
            body.as_bytes(),
        )
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    r.body.to_vec()
}

#[test]
fn a_downloaded_project_builds_and_runs_with_cargo_run() {
    let s = server();
    let book = std::fs::read_to_string(root().join("snippets/zombie/src/main.rs")).unwrap();
    // As the page sends it: the chapter's hidden `extern crate` line, and an edit.
    let code = format!("extern crate nix;\n{}", book.replace("spawned", "DOWNLOADED"));
    let bytes = download(&s, serde_json::json!({ "slug": "zombie", "code": code }));
    let dir = std::env::temp_dir().join(format!("rsp-project-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let names = unpack(&bytes, &dir);
    assert_eq!(
        names,
        ["zombie/Cargo.lock", "zombie/Cargo.toml", "zombie/README.md", "zombie/src/main.rs"]
    );
    let manifest = std::fs::read_to_string(dir.join("zombie/Cargo.toml")).unwrap();
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).unwrap();
    for krate in ["nix", "libc", "memmap2"] {
        let at = lock.find(&format!("name = \"{krate}\"\nversion = \"")).unwrap();
        let version = lock[at..].split('"').nth(3).unwrap();
        assert!(
            manifest.contains(&format!("version = \"={version}\"")),
            "{krate} {version} not pinned:\n{manifest}"
        );
    }
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["run", "--offline", "--quiet"])
        .current_dir(dir.join("zombie"))
        .env("CARGO_TARGET_DIR", root().join("target/project-test"))
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}\n{text}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("DOWNLOADED"), "{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_python_download_has_the_program_and_the_pinned_requirements() {
    let s = server();
    let bytes = download(
        &s,
        serde_json::json!({ "slug": "zombie", "code": "print('hi')\n", "lang": "python", "file": "subprocess_wait" }),
    );
    let dir = std::env::temp_dir().join(format!("rsp-project-py-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let names = unpack(&bytes, &dir);
    assert_eq!(
        names,
        [
            "subprocess_wait/README.md",
            "subprocess_wait/requirements.txt",
            "subprocess_wait/subprocess_wait.py"
        ]
    );
    let req = std::fs::read_to_string(dir.join("subprocess_wait/requirements.txt")).unwrap();
    assert!(req.contains("--hash=sha256:"), "{req}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_download_needs_the_token_like_a_run() {
    let s = server();
    let anonymous = runner_client::client::Client::new(s.runner.addr());
    let r = anonymous
        .request(
            "POST",
            "/__rsp/project",
            &[("content-type", "application/json"), ("origin", &s.origin)],
            br#"{"slug":"zombie","code":"fn main(){}"}"#,
        )
        .unwrap();
    assert_eq!(r.status, 403, "{}", r.text());
}
