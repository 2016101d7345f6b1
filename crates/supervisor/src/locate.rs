//! Where things are: the workspace, a snippet crate, its chapter, its binary.
use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root: the nearest ancestor of `start` holding both a
/// `Cargo.toml` and a `snippets/` folder (cmdrun runs us in a chapter's folder).
pub fn workspace_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|d| d.join("Cargo.toml").is_file() && d.join("snippets").is_dir())
        .map(Path::to_path_buf)
}

/// The chapter that called us, for error messages: `<cwd>/<slug>.md`, shown
/// relative to the workspace root.
pub fn chapter(root: &Path, cwd: &Path, slug: &str) -> Option<PathBuf> {
    let file = cwd.join(format!("{slug}.md"));
    if !file.is_file() {
        return None;
    }
    Some(
        file.strip_prefix(root)
            .map(Path::to_path_buf)
            .unwrap_or(file),
    )
}

pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|t| if t.is_relative() { root.join(t) } else { t })
        .unwrap_or_else(|| root.join("target"))
}

/// Directives run `${RSP_SUPERVISOR:-cargo run -q -p supervisor --}`: xtask
/// sets this to the supervisor binary it has built (see xtask/src/build/mod.rs).
pub const SUPERVISOR_ENV: &str = "RSP_SUPERVISOR";

/// `cargo xtask build` compiles every snippet first and sets this, so the
/// book build does not pay for one `cargo build` per directive.
pub const PREBUILT_ENV: &str = "RSP_SNIPPETS_PREBUILT";

/// The executables a directive may run (for the output store's key).
pub fn executables(root: &Path, args: &crate::Args) -> Vec<PathBuf> {
    match &args.exe {
        Some(exe) => vec![exe.clone()],
        None => vec![target_dir(root).join("debug").join(args.bin_name())],
    }
}

/// Builds the snippet's binary unless xtask already did (and no source of
/// the crate is newer: a serve rebuild whose compile failed must show
/// cargo's errors, not run the old binary); returns the path of the
/// executable, or cargo's error output.
pub fn build_snippet(root: &Path, slug: &str, bin: &str) -> Result<PathBuf, String> {
    let exe = target_dir(root).join("debug").join(bin);
    if prebuilt(&exe, root, slug) {
        return Ok(exe);
    }
    cargo_build(&root.join("Cargo.toml"), slug, bin)?;
    Ok(exe)
}

/// `cargo build -p SLUG --bin BIN` of the workspace `manifest`, quietly;
/// cargo's error output if it fails.
pub fn cargo_build(manifest: &Path, slug: &str, bin: &str) -> Result<(), String> {
    let out = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args([
            "build", "--quiet", "--color", "never", "-p", slug, "--bin", bin,
        ])
        .arg("--manifest-path")
        .arg(manifest)
        .output()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    match out.status.success() {
        true => Ok(()),
        false => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
    }
}

/// Whether xtask built the snippets and `exe` is newer than `slug`'s
/// manifest and every file under its `src/`.
pub fn prebuilt(exe: &Path, root: &Path, slug: &str) -> bool {
    let krate = root.join("snippets").join(slug);
    std::env::var_os(PREBUILT_ENV).is_some()
        && newer_than(exe, &[krate.join("Cargo.toml"), krate.join("src")])
}

/// Whether `exe` exists and is newer than every file of `sources` (files
/// or folders; one that does not exist counts as old).
pub fn newer_than(exe: &Path, sources: &[PathBuf]) -> bool {
    fn newest(p: &Path) -> Option<std::time::SystemTime> {
        let m = std::fs::metadata(p).ok()?;
        let mut t = m.modified().ok()?;
        if m.is_dir() {
            for e in std::fs::read_dir(p).ok()?.flatten() {
                t = t.max(newest(&e.path())?);
            }
        }
        Some(t)
    }
    let built = std::fs::metadata(exe).and_then(|m| m.modified()).ok();
    let sources = sources
        .iter()
        .map(|p| newest(p).unwrap_or(std::time::UNIX_EPOCH))
        .max();
    matches!((built, sources), (Some(b), Some(s)) if b >= s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_workspace_from_a_chapter_folder() {
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        let root = workspace_root(&here.join("src")).unwrap();
        assert!(root.join("snippets").is_dir());
        assert!(here.starts_with(&root));
    }
}
