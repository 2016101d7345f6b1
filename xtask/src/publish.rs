//! Replacing book/ with a finished build, file by file: only files whose
//! bytes changed are written (each to a temporary name, then renamed over
//! the old one), and files the new build lacks are removed. book/ itself
//! is never removed or renamed, so the runner serving it (and watching it
//! for live reload) never sees it missing or half-written, and a prose
//! edit touches a handful of files rather than the whole book.
use std::collections::HashSet;
use std::ffi::OsString;
use std::path::Path;

use anyhow::{Context, Result};

/// Makes `dest` hold exactly what `from` holds. Returns how many files were
/// written or removed.
pub fn sync(from: &Path, dest: &Path) -> Result<usize> {
    sync_keeping(from, dest, &[])
}

/// [`sync`], but the top-level entries named in `alone` are left as they
/// are in `dest`, whatever `from` holds (the translated editions' folders,
/// published on their own after the English pages). Each folder is synced
/// on a thread of its own (an edition is half the book's bytes).
pub fn sync_keeping(from: &Path, dest: &Path, alone: &[String]) -> Result<usize> {
    std::fs::create_dir_all(dest).with_context(|| format!("creating {}", dest.display()))?;
    let mut keep: HashSet<OsString> = alone.iter().map(OsString::from).collect();
    let mut dirs = Vec::new();
    let mut files = Vec::new();
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        if keep.contains(&name) {
            continue;
        }
        keep.insert(name.clone());
        if entry.file_type()?.is_dir() {
            dirs.push(name);
        } else {
            files.push(name);
        }
    }
    let changed = std::thread::scope(|s| -> Result<usize> {
        let threads: Vec<_> = dirs
            .iter()
            .map(|name| {
                let (src, dst) = (from.join(name), dest.join(name));
                s.spawn(move || -> Result<usize> {
                    if dst.is_file() {
                        std::fs::remove_file(&dst)?;
                    }
                    sync(&src, &dst)
                })
            })
            .collect();
        let mut changed = 0;
        for name in &files {
            changed += sync_file(&from.join(name), dest, name)?;
        }
        for t in threads {
            changed += t.join().map_err(|_| {
                anyhow::anyhow!("syncing a folder of {} panicked", dest.display())
            })??;
        }
        Ok(changed)
    })?;
    Ok(changed + remove_others(dest, &keep)?)
}

/// Copies the file `src` to `dest/name` unless that holds the same bytes:
/// to a temporary name, then renamed over the old one.
fn sync_file(src: &Path, dest: &Path, name: &OsString) -> Result<usize> {
    let dst = dest.join(name);
    if same_file(src, &dst) {
        return Ok(0);
    }
    if dst.is_dir() {
        std::fs::remove_dir_all(&dst)?;
    }
    let tmp = dest.join(format!(".{}.rsp-new", name.to_string_lossy()));
    std::fs::copy(src, &tmp).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &dst).with_context(|| format!("writing {}", dst.display()))?;
    Ok(1)
}

/// Removes what `dest` holds beyond `keep`; how many entries.
fn remove_others(dest: &Path, keep: &HashSet<OsString>) -> Result<usize> {
    let mut removed = 0;
    for entry in std::fs::read_dir(dest)? {
        let entry = entry?;
        if !keep.contains(&entry.file_name()) {
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                std::fs::remove_dir_all(&path)?;
            } else {
                std::fs::remove_file(&path)?;
            }
            removed += 1;
        }
    }
    Ok(removed)
}

/// Whether two files hold the same bytes.
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) if x.len() == y.len() && y.is_file() => {
            matches!((std::fs::read(a), std::fs::read(b)), (Ok(p), Ok(q)) if p == q)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_writes_what_changed_and_removes_what_is_gone() {
        let base = std::env::temp_dir().join(format!("xtask-publish-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let (from, dest) = (base.join("from"), base.join("dest"));
        std::fs::create_dir_all(from.join("part")).unwrap();
        std::fs::write(from.join("index.html"), "one").unwrap();
        std::fs::write(from.join("part/a.html"), "a").unwrap();
        assert_eq!(sync(&from, &dest).unwrap(), 2);
        assert_eq!(sync(&from, &dest).unwrap(), 0, "nothing changed");
        std::fs::write(from.join("index.html"), "two").unwrap();
        std::fs::remove_file(from.join("part/a.html")).unwrap();
        std::fs::create_dir_all(dest.join("old")).unwrap();
        assert_eq!(sync(&from, &dest).unwrap(), 3);
        assert_eq!(
            std::fs::read_to_string(dest.join("index.html")).unwrap(),
            "two"
        );
        assert!(!dest.join("part/a.html").exists() && !dest.join("old").exists());
        // An edition's folder is left alone, whether `from` has one or not.
        std::fs::create_dir_all(dest.join("zh-TW")).unwrap();
        std::fs::write(dest.join("zh-TW/index.html"), "served").unwrap();
        std::fs::create_dir_all(from.join("zh-TW")).unwrap();
        std::fs::write(from.join("zh-TW/index.html"), "older").unwrap();
        assert_eq!(sync_keeping(&from, &dest, &["zh-TW".into()]).unwrap(), 0);
        assert_eq!(
            std::fs::read_to_string(dest.join("zh-TW/index.html")).unwrap(),
            "served"
        );
        std::fs::remove_dir_all(&base).unwrap();
    }
}
