//! `--try-it`: a chapter's "Try it", kept as data in
//! `snippets/<slug>/try-it.toml`: edits of one file of the snippet (each an
//! exact text, found once, and what replaces it) and what the edited
//! program must then do. The supervisor makes the edit in a copy and runs
//! it; the block it prints carries the edit, so a served page's "Try it"
//! button can make it in the reader's editor.
//!
//! A Rust edit is built in `target/try-it/`, a workspace of its own holding
//! a copy of each snippet crate that has a Try it (the book's workspace
//! settings and lock, its own target folder so no binary of the book's is
//! replaced). Files are written only when their bytes change, so cargo
//! finds an unchanged copy fresh.
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub const FILE: &str = "try-it.toml";

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct TryIt {
    /// The file edited, relative to the snippet crate (`src/main.rs`,
    /// `python/subprocess_wait.py`).
    pub file: String,
    /// The binary to run, for a Rust edit (default: the crate's own).
    pub bin: Option<String>,
    /// How the edited program must end, and what it must print.
    pub expect_exit: Option<i32>,
    pub expect_signal: Option<String>,
    pub expect_output: String,
    /// The edits, made in order.
    pub edit: Vec<Edit>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edit {
    /// Text the file holds exactly once, and what it becomes.
    pub find: String,
    pub replace: String,
}

impl TryIt {
    pub fn load(root: &Path, slug: &str) -> Result<TryIt, String> {
        let path = root.join("snippets").join(slug).join(FILE);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("no Try it: snippets/{slug}/{FILE}: {e}"))?;
        toml::from_str(&text).map_err(|e| format!("snippets/{slug}/{FILE}: {e}"))
    }

    /// The Python program's name when the edit is of one (`python/NAME.py`).
    pub fn python(&self) -> Option<&str> {
        self.file.strip_prefix("python/")?.strip_suffix(".py")
    }

    /// `text` with the edits made; an error unless each `find` is there once.
    pub fn apply(&self, text: &str) -> Result<String, String> {
        let mut text = text.to_string();
        for e in &self.edit {
            match text.matches(&e.find).count() {
                1 => text = text.replacen(&e.find, &e.replace, 1),
                n => {
                    return Err(format!(
                        "the Try it edit needs `{}` once in {}; it is there {n} times",
                        e.find, self.file
                    ))
                }
            }
        }
        Ok(text)
    }
}

/// `target/try-it/`.
pub fn dir(root: &Path) -> PathBuf {
    crate::locate::target_dir(root).join("try-it")
}

/// Writes the Try it workspace: every snippet crate with a Try it, copied
/// and edited. Returns the slugs it holds.
pub fn prepare(root: &Path) -> Result<Vec<String>, String> {
    let ws = dir(root);
    let mut slugs = Vec::new();
    let snippets = root.join("snippets");
    let entries = std::fs::read_dir(&snippets).map_err(|e| format!("reading snippets/: {e}"))?;
    for e in entries.flatten() {
        let slug = e.file_name().to_string_lossy().into_owned();
        if !e.path().join(FILE).is_file() || !e.path().join("Cargo.toml").is_file() {
            continue;
        }
        let t = TryIt::load(root, &slug)?;
        let file = e.path().join(&t.file);
        let text = std::fs::read_to_string(&file)
            .map_err(|err| format!("snippets/{slug}/{}: {err}", t.file))?;
        // The edited file is written as edited, once: a copy of the
        // original first would make cargo rebuild every edit every time.
        let edited = (file, t.apply(&text)?);
        copy_dir(&e.path(), &ws.join(&slug), &edited)?;
        slugs.push(slug);
    }
    slugs.sort();
    write_if_changed(&ws.join("Cargo.toml"), manifest(root, &slugs)?.as_bytes())?;
    // The book's lock, when it is newer than the copy cargo keeps pruned.
    let (lock, copy) = (root.join("Cargo.lock"), ws.join("Cargo.lock"));
    let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if mtime(&copy) < mtime(&lock) {
        std::fs::copy(&lock, &copy).map_err(|e| format!("{}: {e}", copy.display()))?;
    }
    Ok(slugs)
}

/// The workspace's manifest: the book's workspace settings, profiles and
/// lints (unused code allowed), with its path dependencies made absolute.
fn manifest(root: &Path, members: &[String]) -> Result<String, String> {
    let text =
        std::fs::read_to_string(root.join("Cargo.toml")).map_err(|e| format!("Cargo.toml: {e}"))?;
    let book: toml::Table = toml::from_str(&text).map_err(|e| format!("Cargo.toml: {e}"))?;
    let mut ws = book
        .get("workspace")
        .and_then(|w| w.as_table())
        .cloned()
        .unwrap_or_default();
    ws.insert("members".into(), members.to_vec().into());
    if let Some(deps) = ws.get_mut("dependencies").and_then(|d| d.as_table_mut()) {
        for (_, dep) in deps.iter_mut() {
            if let Some(path) = dep.get_mut("path") {
                let abs = root.join(path.as_str().unwrap_or_default());
                *path = abs.to_string_lossy().into_owned().into();
            }
        }
    }
    // An edit often leaves something unused: not the reader's concern.
    let lints = ws
        .entry("lints")
        .or_insert_with(|| toml::Table::new().into());
    if let Some(rust) = lints
        .as_table_mut()
        .map(|l| l.entry("rust").or_insert_with(|| toml::Table::new().into()))
        .and_then(|r| r.as_table_mut())
    {
        rust.insert(
            "unused".into(),
            toml::toml! { level = "allow" priority = -2 }.into(),
        );
    }
    let mut out = toml::Table::new();
    out.insert("workspace".into(), ws.into());
    if let Some(p) = book.get("profile") {
        out.insert("profile".into(), p.clone());
    }
    let head = "# Written by the supervisor (crates/supervisor/src/try_it.rs): the\n\
                # snippets with a Try it, edited. Do not edit.\n";
    Ok(format!(
        "{head}{}",
        toml::to_string(&out).map_err(|e| e.to_string())?
    ))
}

/// The edited program, built: `cargo build` in the Try it workspace.
pub fn build(root: &Path, slug: &str, bin: &str) -> Result<PathBuf, String> {
    let ws = dir(root);
    crate::locate::cargo_build(&ws.join("Cargo.toml"), slug, bin)?;
    Ok(ws.join("target").join("debug").join(bin))
}

/// `from` copied into `to`, file by file where bytes differ, but the file
/// `edited.0`, whose content is `edited.1`.
fn copy_dir(from: &Path, to: &Path, edited: &(PathBuf, String)) -> Result<(), String> {
    let entries = std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?;
    for e in entries.flatten() {
        let name = e.file_name();
        let n = name.to_string_lossy();
        if n == "target" || n.starts_with('.') || n == "__pycache__" {
            continue;
        }
        let (src, dst) = (e.path(), to.join(&name));
        if src.is_dir() {
            copy_dir(&src, &dst, edited)?;
        } else if src == edited.0 {
            write_if_changed(&dst, edited.1.as_bytes())?;
        } else {
            let bytes = std::fs::read(&src).map_err(|err| format!("{}: {err}", src.display()))?;
            write_if_changed(&dst, &bytes)?;
        }
    }
    Ok(())
}

fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if std::fs::read(path).ok().as_deref() == Some(bytes) {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(find: &str) -> TryIt {
        TryIt {
            file: "src/main.rs".into(),
            edit: vec![Edit {
                find: find.into(),
                replace: "".into(),
            }],
            bin: None,
            expect_exit: Some(1),
            expect_signal: None,
            expect_output: "x".into(),
        }
    }

    #[test]
    fn the_edit_needs_its_text_exactly_once() {
        assert_eq!(t(" | B").apply("A | B | C").unwrap(), "A | C");
        assert!(t("X").apply("A").unwrap_err().contains("0 times"));
        assert!(t("A").apply("A A").unwrap_err().contains("2 times"));
        let mut two = t("A");
        two.edit.push(Edit {
            find: "B".into(),
            replace: "A".into(),
        });
        assert_eq!(two.apply("AB").unwrap(), "A", "in order");
    }

    #[test]
    fn a_python_edit_names_its_program() {
        let mut p = t("x");
        p.file = "python/subprocess_wait.py".into();
        assert_eq!(p.python(), Some("subprocess_wait"));
        assert_eq!(t("x").python(), None);
    }
}
