//! The output store: each directive's last run, kept as one JSON record in
//! the folder `RSP_STORE` names. mdbook-cmdrun runs every directive; the
//! supervisor it starts reads `RSP_STORE_MODE` to know what to do with it:
//!
//! - `fresh` (`cargo xtask build`, `test`, `drift`): run, record, print;
//! - `reuse` (`cargo xtask serve`): print the record whose inputs are
//!   unchanged, else as `fresh`;
//! - `replay` (a translated edition): print the record, never run.
//!
//! Without `RSP_STORE` (a plain `mdbook build`) nothing is kept. The
//! design is in docs/architecture.md.
use std::fs;
use std::hash::Hasher;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::render::Block;

pub const DIR_ENV: &str = "RSP_STORE";
pub const MODE_ENV: &str = "RSP_STORE_MODE";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Fresh,
    Reuse,
    Replay,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Fresh => "fresh",
            Mode::Reuse => "reuse",
            Mode::Replay => "replay",
        }
    }

    fn parse(s: &str) -> Option<Mode> {
        [Mode::Fresh, Mode::Reuse, Mode::Replay]
            .into_iter()
            .find(|m| m.name() == s)
    }
}

/// One directive's run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The folder cmdrun ran the directive in, relative to the root (`src/processes`).
    pub cwd: String,
    /// The chapter, relative to src/ (`processes/zombie.md`), when the
    /// folder holds `<slug>.md`.
    pub chapter: Option<String>,
    /// The supervisor's arguments, as the shell split the directive.
    pub args: Vec<String>,
    /// The directive's `--vary` regexes: what may differ between two runs.
    pub vary: Vec<String>,
    /// A digest of everything the run read (see [`inputs`]); `reuse` keeps
    /// a record while it holds.
    pub inputs: String,
    /// Unix time of the run, in seconds, and how long it took.
    pub ran_at: u64,
    pub took_ms: f64,
    pub stamp: String,
    pub block: Block,
    /// What was printed for the page.
    pub markdown: String,
}

impl Record {
    pub fn failed(&self) -> bool {
        self.block.error.is_some()
    }
}

/// The store a run was asked to use.
#[derive(Debug, Clone)]
pub struct Store {
    pub dir: PathBuf,
    pub mode: Mode,
}

impl Store {
    /// From `RSP_STORE` and `RSP_STORE_MODE` (default `fresh`); `None`
    /// without a store. A mode that is not one of the three is an error.
    pub fn from_env() -> Result<Option<Store>, String> {
        let Some(dir) = std::env::var_os(DIR_ENV).filter(|d| !d.is_empty()) else {
            return Ok(None);
        };
        let mode = match std::env::var(MODE_ENV) {
            Ok(m) => Mode::parse(&m)
                .ok_or_else(|| format!("{MODE_ENV}={m}: not fresh, reuse or replay"))?,
            Err(_) => Mode::Fresh,
        };
        Ok(Some(Store {
            dir: PathBuf::from(dir),
            mode,
        }))
    }

    /// The record of the directive `args` run in `cwd` (relative to the root).
    pub fn path(&self, cwd: &str, args: &[String]) -> PathBuf {
        let mut h = fnv::FnvHasher::default();
        h.write(cwd.as_bytes());
        for a in args {
            h.write(&[0]);
            h.write(a.as_bytes());
        }
        let slug = args.first().map(String::as_str).unwrap_or("none");
        let slug: String = slug
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        self.dir
            .join(cwd.replace('/', "_"))
            .join(format!("{slug}-{:016x}.json", h.finish()))
    }

    pub fn load(&self, cwd: &str, args: &[String]) -> Option<Record> {
        read(&self.path(cwd, args)).ok()
    }

    /// Writes the record whole or not at all (a rename over the old one).
    pub fn save(&self, r: &Record) -> Result<(), String> {
        let path = self.path(&r.cwd, &r.args);
        let dir = path.parent().unwrap_or(&self.dir);
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let text = serde_json::to_string_pretty(r).map_err(|e| e.to_string())?;
        fs::File::create(&tmp)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .and_then(|()| fs::rename(&tmp, &path))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}

pub fn read(path: &Path) -> Result<Record, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: not a record: {e}", path.display()))
}

/// Every record in a store folder, ordered by folder and by when it ran.
pub fn all(dir: &Path) -> Result<Vec<Record>, String> {
    let mut out = files(dir)
        .iter()
        .map(|p| read(p))
        .collect::<Result<Vec<_>, _>>()?;
    out.sort_by(|a, b| (&a.cwd, a.ran_at).cmp(&(&b.cwd, b.ran_at)));
    Ok(out)
}

/// The slug a record file is named by (`Store::path`'s
/// `<slug>-<hash>.json`: the hash holds no `-`).
pub fn slug_of(file: &Path) -> Option<&str> {
    let name = file.file_stem()?.to_str()?;
    Some(name.rsplit_once('-')?.0)
}

/// The record files of a store folder.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for folder in fs::read_dir(dir).into_iter().flatten().flatten() {
        for f in fs::read_dir(folder.path()).into_iter().flatten().flatten() {
            if f.path().extension().is_some_and(|e| e == "json") {
                out.push(f.path());
            }
        }
    }
    out.sort();
    out
}

/// A digest of what a run of `args` reads: the arguments and folder, the
/// stamp, the supervisor itself, every file of the snippet crate (not its
/// target/), the executables it may run, and the Python environment. Files
/// count by size, mtime and inode: cheap enough to take for every directive
/// of every rebuild while serving, and cargo rewrites an executable it
/// rebuilds.
pub fn inputs(root: &Path, cwd: &str, args: &[String], stamp: &str, exes: &[PathBuf]) -> String {
    let mut h = fnv::FnvHasher::default();
    for part in [cwd, stamp]
        .into_iter()
        .chain(args.iter().map(String::as_str))
    {
        h.write(part.as_bytes());
        h.write(&[0]);
    }
    let mut files = Vec::new();
    if let Ok(me) = std::env::current_exe() {
        files.push(me);
    }
    files.extend(exes.iter().cloned());
    if let Some(slug) = args.first() {
        walk(&root.join("snippets").join(slug), &mut files);
    }
    files.push(root.join(crate::python::LOCK));
    for f in &files {
        h.write(f.as_os_str().as_encoded_bytes());
        if let Ok(m) = fs::metadata(f) {
            for n in [m.len() as i64, m.mtime(), m.mtime_nsec(), m.ino() as i64] {
                h.write_i64(n);
            }
        }
    }
    format!("{:016x}", h.finish())
}

/// What a `--vary` match is replaced with when two runs are compared (the
/// drift check, the runner's "matches the book").
pub const MASK: &str = "‹varies›";

/// `text` with every match of each `--vary` regex replaced by [`MASK`]:
/// each regex is matched against the text as it is (so one regex does not
/// hide another's match), and overlapping matches become one mask. A regex
/// that does not compile masks nothing: the lint reports it.
pub fn mask(text: &str, vary: &[String]) -> String {
    let mut spans: Vec<(usize, usize)> = vary
        .iter()
        .filter_map(|v| regex::Regex::new(v).ok())
        .flat_map(|re| {
            re.find_iter(text)
                .filter(|m| !m.is_empty())
                .map(|m| (m.start(), m.end()))
                .collect::<Vec<_>>()
        })
        .collect();
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end) in spans {
        if end <= at {
            continue;
        }
        if start > at {
            out.push_str(&text[at..start]);
            out.push_str(MASK);
        } else if at == 0 && start == 0 {
            out.push_str(MASK);
        }
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().unwrap_or_default().to_string_lossy();
        if name == "target" || name.starts_with('.') || name == "__pycache__" {
            continue;
        }
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(cwd: &str, args: &[&str]) -> Record {
        Record {
            cwd: cwd.into(),
            chapter: Some("processes/zombie.md".into()),
            args: args.iter().map(|s| s.to_string()).collect(),
            vary: vec![],
            inputs: "0".into(),
            ran_at: 1,
            took_ms: 2.0,
            stamp: "Linux".into(),
            block: Block {
                slug: "zombie".into(),
                command: "cargo run -q -p zombie".into(),
                status: "exit status 0".into(),
                output: "pid 12".into(),
                error: None,
                pictures: vec![],
            },
            markdown: "<div>".into(),
        }
    }

    #[test]
    fn a_record_file_names_its_slug_whole() {
        let store = Store {
            dir: "store".into(),
            mode: Mode::Fresh,
        };
        let path = |slug: &str| store.path("src/production", &[slug.to_string()]);
        assert_eq!(slug_of(&path("kill-tree")), Some("kill-tree"));
        assert_eq!(slug_of(&path("kill")), Some("kill"));
    }

    #[test]
    fn a_record_is_found_by_its_folder_and_arguments() {
        let dir = std::env::temp_dir().join(format!("rsp-store-{}", std::process::id()));
        let store = Store {
            dir: dir.clone(),
            mode: Mode::Fresh,
        };
        let r = record("src/processes", &["zombie", "--vary", "\\d+"]);
        store.save(&r).unwrap();
        assert_eq!(store.load("src/processes", &r.args), Some(r.clone()));
        assert_eq!(store.load("src/objects", &r.args), None);
        assert_eq!(store.load("src/processes", &r.args[..1]), None);
        assert_eq!(all(&dir).unwrap(), vec![r]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn masks_see_the_text_as_it_is() {
        let vary = [
            r" *\d{3,}".to_string(),
            r"its parent: \d+ \(\S+\)".to_string(),
        ];
        assert_eq!(
            mask("pid=1234, its parent: 5678 (supervisor)", &vary),
            "pid=‹varies›, ‹varies›"
        );
        assert_eq!(
            mask("1234 at 0xff", &[r"\d+".into(), "0x[0-9a-f]+".into()]),
            "‹varies› at ‹varies›"
        );
        assert_eq!(mask("none", &[r"\d+".into()]), "none");
    }

    #[test]
    fn arguments_are_not_joined_ambiguously() {
        let store = Store {
            dir: "/s".into(),
            mode: Mode::Fresh,
        };
        let a = store.path("src", &["a b".into()]);
        let b = store.path("src", &["a".into(), "b".into()]);
        assert_ne!(a, b);
        assert!(a.starts_with("/s/src"), "{}", a.display());
    }
}
