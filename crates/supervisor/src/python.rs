//! The book's Python environment: a venv made from Debian's interpreter and
//! `python/requirements.lock`, in a cache folder named after both. xtask
//! creates it (xtask/src/python.rs); the supervisor only finds it, so a plain
//! `mdbook build` after `cargo xtask tools` runs the same interpreter.
use std::hash::Hasher;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The interpreter every venv is made from. Not `python3` from PATH, which
/// may be a pyenv shim of another build.
pub const BASE_PYTHON: &str = "/usr/bin/python3";

/// The lock, relative to the workspace root.
pub const LOCK: &str = "python/requirements.lock";

/// Overrides the folder that holds the venvs (like RSP_TOOLS_DIR for the tools).
pub const DIR_ENV: &str = "RSP_PYTHON_DIR";

/// Written into a venv once everything in the lock is installed: a folder
/// without it is half made and is never used.
pub const READY_FILE: &str = "rsp-ready";

/// `$RSP_PYTHON_DIR`, else `$XDG_CACHE_HOME/rust-systems-playground/python`,
/// else `~/.cache/rust-systems-playground/python`.
pub fn cache_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os(DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let base = match std::env::var_os("XDG_CACHE_HOME") {
        Some(x) if !x.is_empty() => PathBuf::from(x),
        _ => PathBuf::from(std::env::var_os("HOME").ok_or("HOME is not set")?).join(".cache"),
    };
    Ok(base.join("rust-systems-playground").join("python"))
}

/// The base interpreter's `sys.version` (e.g. `3.11.2 (main, ...) [GCC 12.2.0]`):
/// a rebuilt Debian package changes it, and then the venv is made anew.
pub fn base_version() -> Result<String, String> {
    let out = Command::new(BASE_PYTHON)
        .args(["-I", "-S", "-c", "import sys; print(sys.version)"])
        .output()
        .map_err(|e| format!("cannot run {BASE_PYTHON}: {e} (Debian's python3 package)"))?;
    let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || v.is_empty() {
        return Err(format!("{BASE_PYTHON} could not say its version"));
    }
    Ok(v)
}

/// Where the venv for this lock and this interpreter lives:
/// `<cache>/py<X.Y.Z>-<16 hex digits of FNV-1a over the lock and sys.version>`.
pub fn venv_dir(root: &Path) -> Result<PathBuf, String> {
    let lock = std::fs::read(root.join(LOCK)).map_err(|e| format!("cannot read {LOCK}: {e}"))?;
    let version = base_version()?;
    Ok(cache_dir()?.join(folder_name(&lock, &version)))
}

/// The folder's name. FNV-1a is fixed by its definition, so the name is the
/// same for every build of xtask and the supervisor (std's hasher is not).
pub fn folder_name(lock: &[u8], version: &str) -> String {
    let mut h = fnv::FnvHasher::default();
    h.write(lock);
    h.write(&[0]);
    h.write(version.as_bytes());
    let short = version.split_whitespace().next().unwrap_or("unknown");
    format!("py{short}-{:016x}", h.finish())
}

/// The venv's interpreter, if the venv is complete.
pub fn interpreter(root: &Path) -> Result<PathBuf, String> {
    let dir = venv_dir(root)?;
    let python = dir.join("bin").join("python");
    if !dir.join(READY_FILE).is_file() || !python.is_file() {
        return Err(format!(
            "no Python environment at {} for {LOCK}; `cargo xtask tools` creates it",
            dir.display()
        ));
    }
    Ok(python)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_folder_changes_with_the_lock_and_the_interpreter() {
        let v = "3.11.2 (main, Mar 13 2023, 12:18:29) [GCC 12.2.0]";
        let a = folder_name(b"attrs==1\n", v);
        assert!(
            a.starts_with("py3.11.2-") && a.len() == "py3.11.2-".len() + 16,
            "{a}"
        );
        assert_eq!(a, folder_name(b"attrs==1\n", v));
        assert_ne!(a, folder_name(b"attrs==2\n", v));
        assert_ne!(a, folder_name(b"attrs==1\n", "3.11.2 (main, Apr 1 2025)"));
    }

    #[test]
    fn fnv_is_the_published_function() {
        // FNV-1a 64 of "a" (from the FNV reference test vectors).
        let mut h = fnv::FnvHasher::default();
        h.write(b"a");
        assert_eq!(h.finish(), 0xaf63dc4c8601ec8c);
    }
}
