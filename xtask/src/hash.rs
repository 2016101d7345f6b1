//! Content hashes (sha256, hex) for the output store's keys. Each file's
//! hash is remembered with its size, mtime and inode, so the serve loop
//! rehashes only the files that changed since the last rebuild.
use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

#[derive(Default)]
pub struct Hashes {
    seen: Mutex<HashMap<PathBuf, (Stat, String)>>,
}

#[derive(Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Stat {
    len: u64,
    mtime_ns: i128,
    ino: u64,
}

pub fn hex(digest: impl AsRef<[u8]>) -> String {
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

pub fn text(s: &str) -> String {
    hex(Sha256::digest(s.as_bytes()))
}

impl Hashes {
    /// The hashes remembered in `file` by [`Hashes::save`] (none if it is
    /// missing or unreadable). A file whose size, mtime or inode changed
    /// is hashed again, so this is as good as hashing everything.
    pub fn load(file: &Path) -> Hashes {
        let seen: Vec<(PathBuf, Stat, String)> = std::fs::read(file)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        Hashes {
            seen: Mutex::new(seen.into_iter().map(|(p, s, h)| (p, (s, h))).collect()),
        }
    }

    pub fn save(&self, file: &Path) -> Result<()> {
        let seen: Vec<(PathBuf, Stat, String)> = match self.seen.lock() {
            Ok(s) => s
                .iter()
                .map(|(p, (s, h))| (p.clone(), *s, h.clone()))
                .collect(),
            Err(_) => return Ok(()),
        };
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = file.with_extension("new");
        std::fs::write(&tmp, serde_json::to_vec(&seen)?)?;
        std::fs::rename(&tmp, file).with_context(|| format!("writing {}", file.display()))
    }

    /// Where the build and serve loops keep their hashes between runs.
    pub fn cache_file(root: &Path) -> PathBuf {
        supervisor::locate::target_dir(root)
            .join("outputs")
            .join("file-hashes.json")
    }

    /// The hash of one file's bytes.
    pub fn file(&self, path: &Path) -> Result<String> {
        let meta =
            std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
        let stat = Stat {
            len: meta.len(),
            mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
            ino: meta.ino(),
        };
        if let Ok(seen) = self.seen.lock() {
            if let Some((s, h)) = seen.get(path) {
                if *s == stat {
                    return Ok(h.clone());
                }
            }
        }
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let h = hex(Sha256::digest(&bytes));
        if let Ok(mut seen) = self.seen.lock() {
            seen.insert(path.to_path_buf(), (stat, h.clone()));
        }
        Ok(h)
    }

    /// One hash for every file under `dir` (names and contents, in sorted
    /// order), skipping `target/` and dot-files such as editors' swap files.
    pub fn tree(&self, dir: &Path) -> Result<String> {
        let mut files = Vec::new();
        walk(dir, &mut files)?;
        files.sort();
        let mut all = Sha256::new();
        for f in files {
            let rel = f.strip_prefix(dir).unwrap_or(&f);
            all.update(rel.to_string_lossy().as_bytes());
            all.update([0]);
            all.update(self.file(&f)?.as_bytes());
            all.update([0]);
        }
        Ok(hex(all.finalize()))
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name == "target" || name.ends_with('~') {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(&entry.path(), out)?;
        } else if kind.is_file() {
            out.push(entry.path());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_hash_follows_names_and_contents_and_skips_swap_files() {
        let dir = std::env::temp_dir().join(format!("xtask-hash-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(dir.join("src/main.rs"), "fn main() {}").unwrap();
        let h = Hashes::default();
        let one = h.tree(&dir).unwrap();
        std::fs::write(dir.join("src/.main.rs.swp"), "x").unwrap();
        std::fs::create_dir_all(dir.join("target")).unwrap();
        std::fs::write(dir.join("target/x"), "x").unwrap();
        assert_eq!(h.tree(&dir).unwrap(), one);
        std::fs::write(dir.join("src/main.rs"), "fn main() { }").unwrap();
        let two = h.tree(&dir).unwrap();
        assert_ne!(two, one);
        std::fs::rename(dir.join("src/main.rs"), dir.join("src/lib.rs")).unwrap();
        assert_ne!(h.tree(&dir).unwrap(), two);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
