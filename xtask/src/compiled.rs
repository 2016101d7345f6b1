//! Skipping a `cargo build` that would do nothing. With xtask in the
//! selection (see `book::compile`) cargo's own no-op check looks at some
//! 300 units, a few tenths of a second of every warm build. This records,
//! after each successful build, everything that build depended on as seen
//! from outside: name, size and mtime of every file of the workspace's
//! manifests and lock, of `crates/` and `snippets/` (not their target/),
//! of the executables in target/debug/, the toolchain (its rustc, see
//! `toolchain`) and the environment cargo reads. While all of it is unchanged, cargo is not run.
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};

fn file(path: &Path, h: &mut Sha256) {
    if let Ok(m) = std::fs::metadata(path) {
        h.update(path.to_string_lossy().as_bytes());
        h.update(m.len().to_le_bytes());
        h.update(m.mtime().to_le_bytes());
        h.update(m.mtime_nsec().to_le_bytes());
        h.update(m.ino().to_le_bytes());
    }
}

fn tree(dir: &Path, h: &mut Sha256) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        if e.file_name() == "target" {
            continue;
        }
        match e.file_type() {
            Ok(t) if t.is_dir() => tree(&p, h),
            Ok(_) => file(&p, h),
            Err(_) => {}
        }
    }
}

/// The toolchain cargo builds with. Run by rustup's cargo (`cargo xtask`;
/// rustup sets `RUSTUP_TOOLCHAIN`), `CARGO` is the toolchain's own cargo,
/// not the proxy, and it runs the rustc beside it: that rustc and the
/// compiler library beside it are the toolchain, and their names, sizes
/// and mtimes say which (an update rewrites them). That is a few stat
/// calls where `rustc -vV` through rustup's proxy took 20 ms of every warm
/// build. Otherwise (another cargo runs whatever rustc is on PATH), or
/// with `RUSTC` set, `rustc -vV`. `None` if neither answers.
fn toolchain(root: &Path, h: &mut Sha256) -> Option<()> {
    let bin = std::env::var_os("CARGO")
        .filter(|_| std::env::var_os("RUSTC").is_none())
        .filter(|_| std::env::var_os("RUSTUP_TOOLCHAIN").is_some())
        .map(std::path::PathBuf::from)
        .and_then(|cargo| Some(cargo.parent()?.to_path_buf()))
        .filter(|bin| bin.join("rustc").is_file());
    if let Some(bin) = bin {
        file(&bin.join("rustc"), h);
        let lib = bin.with_file_name("lib");
        let mut drivers: Vec<_> = std::fs::read_dir(&lib)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("librustc_driver"))
            })
            .collect();
        drivers.sort();
        drivers.iter().for_each(|d| file(d, h));
        return Some(());
    }
    let rustc = Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
        .arg("-vV")
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    h.update(&rustc.stdout);
    Some(())
}

/// What a build of `packages` reads: toolchain, environment, sources.
/// `None` if the toolchain cannot be asked.
pub fn inputs(root: &Path, packages: &[String]) -> Option<String> {
    let mut h = Sha256::new();
    h.update(packages.join(" ").as_bytes());
    toolchain(root, &mut h)?;
    for var in [
        "RUSTC",
        "RUSTC_WRAPPER",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "RUSTUP_TOOLCHAIN",
        "CARGO_BUILD_TARGET",
        "CARGO_PROFILE_DEV_OPT_LEVEL",
    ] {
        h.update(var.as_bytes());
        h.update(std::env::var(var).unwrap_or_default().as_bytes());
    }
    for f in [
        "Cargo.toml",
        "Cargo.lock",
        ".cargo/config.toml",
        "rust-toolchain",
        "rust-toolchain.toml",
    ] {
        file(&root.join(f), &mut h);
    }
    tree(&root.join("crates"), &mut h);
    tree(&root.join("snippets"), &mut h);
    Some(crate::hash::hex(h.finalize()))
}

/// The inputs and the executables in target/debug/ now.
fn fingerprint(inputs: &str, root: &Path) -> String {
    let mut h = Sha256::new();
    h.update(inputs.as_bytes());
    let bins = supervisor::locate::target_dir(root).join("debug");
    if let Ok(rd) = std::fs::read_dir(&bins) {
        let mut files: Vec<_> = rd
            .flatten()
            // The executables: cargo rewrites the `.d` files beside them
            // on every call, even one that builds nothing.
            .filter(|e| {
                e.metadata()
                    .is_ok_and(|m| m.is_file() && m.mode() & 0o111 != 0)
            })
            .map(|e| e.path())
            .collect();
        files.sort();
        for f in files {
            file(&f, &mut h);
        }
    }
    crate::hash::hex(h.finalize())
}

fn stamp_file(root: &Path) -> std::path::PathBuf {
    supervisor::locate::target_dir(root)
        .join("outputs")
        .join("compiled.sha256")
}

/// Whether the last successful build read these inputs and left the
/// binaries as they are now.
pub fn unchanged(root: &Path, inputs: &Option<String>) -> bool {
    match inputs {
        Some(i) => std::fs::read_to_string(stamp_file(root))
            .is_ok_and(|s| s.trim() == fingerprint(i, root)),
        None => false,
    }
}

/// Records a successful build of the `inputs` taken before it started (a
/// file edited during the build makes the next check differ).
pub fn record(root: &Path, inputs: &Option<String>) {
    if let Some(i) = inputs {
        let fp = fingerprint(i, root);
        let f = stamp_file(root);
        if let Some(dir) = f.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = std::fs::write(f, fp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edited_snippet_or_another_selection_changes_the_inputs() {
        let root = std::env::temp_dir().join(format!("xtask-compiled-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("snippets/a/src")).unwrap();
        std::fs::write(root.join("Cargo.toml"), "[workspace]\n").unwrap();
        std::fs::write(root.join("snippets/a/src/main.rs"), "fn main() {}").unwrap();
        let p = ["a".to_string()];
        let one = inputs(&root, &p).unwrap();
        assert_eq!(inputs(&root, &p).unwrap(), one);
        assert_ne!(inputs(&root, &["b".to_string()]).unwrap(), one);
        std::fs::write(root.join("snippets/a/src/main.rs"), "fn main() { }").unwrap();
        assert_ne!(inputs(&root, &p).unwrap(), one);
        let i = Some(one);
        record(&root, &i);
        assert!(unchanged(&root, &i));
        std::fs::create_dir_all(root.join("target/debug")).unwrap();
        std::fs::write(root.join("target/debug/a.d"), "x").unwrap();
        assert!(unchanged(&root, &i), "cargo's dep-info is not a binary");
        std::fs::write(root.join("target/debug/a"), "x").unwrap();
        std::fs::set_permissions(
            root.join("target/debug/a"),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        assert!(!unchanged(&root, &i), "a binary changed");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
