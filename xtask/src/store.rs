//! The output store: every directive's run of one build, kept as data in
//! `target/outputs/<name>/` (`build`: the last `cargo xtask build`, `drift`:
//! its second build, `serve`: what `cargo xtask serve` shows). One JSON file
//! per directive, `<chapter without .md>/<NN>-<slug>.json` (NN: the
//! directive's place on the page, from 01), and `store.json` about the
//! build. Pages are rendered from these records (src/directives.rs); the
//! drift check compares two stores; a translated edition renders from the
//! same records without running anything (`directives::Mode::Replay`); the
//! runner can compare a reader's run with `Record::block` and `Record::vary`.
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use supervisor::render::Block;

/// What a record's run depends on. A record is reused (only by `serve`)
/// when all of it is unchanged: the directive, the supervisor, the
/// snippet's binary and sources, and the machine and toolchain (the stamp).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Key {
    /// The chapter, relative to src/, e.g. `processes/zombie.md`.
    pub chapter: String,
    /// Everything between `cmdrun ` and `-->`, trimmed.
    pub directive: String,
    /// How many identical directives come before it in the chapter.
    pub occurrence: usize,
    /// sha256 of the supervisor binary.
    pub supervisor: String,
    /// sha256 of the snippet binary the directive runs (none for a
    /// compile-error directive, or when it was not built).
    pub binary: Option<String>,
    /// sha256 of every file of the snippet crate (`snippets/<slug>/`, its
    /// Python programs included) and of `python/requirements.lock`.
    pub source: String,
    /// The environment stamp (`about --line`): kernel, distribution,
    /// rustc, glibc, file system, CPUs, date.
    pub stamp: String,
}

impl Key {
    pub fn digest(&self) -> String {
        crate::hash::text(&serde_json::to_string(self).unwrap_or_default())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub chapter: String,
    /// The directive's place among the chapter's directives, from 1.
    pub index: usize,
    /// Its line in the chapter's source.
    pub line: usize,
    pub directive: String,
    /// The supervisor's arguments (empty for a directive of another form,
    /// which is run as mdbook-cmdrun runs it and kept as Markdown only).
    pub args: Vec<String>,
    pub slug: Option<String>,
    /// The directive's `--vary` regexes: what may differ between runs.
    pub vary: Vec<String>,
    pub key: Option<Key>,
    pub key_digest: Option<String>,
    /// When it ran (RFC 3339, UTC), and how long the supervisor took.
    pub ran_at: String,
    pub elapsed_ms: f64,
    /// Taken over from an earlier serve rebuild instead of run again.
    pub reused: bool,
    /// The run as the supervisor reported it: command, how it ended, the
    /// output (stdout and stderr interleaved, capped), the error if any.
    pub block: Option<Block>,
    /// `rsp-run-ok`, `rsp-run-expected` or `rsp-run-failed`; `shell` for
    /// a directive of another form.
    pub kind: String,
    /// The output with every `--vary` match replaced by `‹varies›`.
    pub masked: Option<String>,
    /// The Markdown the directive was replaced with on the page.
    pub markdown: String,
}

impl Record {
    /// A record of `directive`, the `index`th of `chapter`, with nothing run yet.
    pub fn new(chapter: &str, index: usize, directive: &str) -> Record {
        Record {
            chapter: chapter.to_string(),
            index,
            line: 0,
            directive: directive.to_string(),
            args: Vec::new(),
            slug: None,
            vary: Vec::new(),
            key: None,
            key_digest: None,
            ran_at: String::new(),
            elapsed_ms: 0.0,
            reused: false,
            block: None,
            kind: String::new(),
            masked: None,
            markdown: String::new(),
        }
    }

    /// `processes/zombie/01-zombie.json`.
    pub fn file_name(&self) -> PathBuf {
        let stem = Path::new(&self.chapter).with_extension("");
        let slug = self.slug.as_deref().unwrap_or("shell");
        stem.join(format!("{:02}-{slug}.json", self.index))
    }

    pub fn failed(&self) -> bool {
        self.block.as_ref().is_some_and(|b| b.error.is_some())
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Meta {
    /// `fresh` (every directive run), `reuse` (serve) or `replay`.
    pub mode: String,
    pub started_at: String,
    pub stamp: String,
    pub records: usize,
    pub ran: usize,
    pub reused: usize,
    /// The directives' own run time, added up.
    pub run_ms: f64,
}

#[derive(Debug, Clone, Default)]
pub struct Store {
    pub meta: Meta,
    pub records: Vec<Record>,
}

pub fn dir(root: &Path, name: &str) -> PathBuf {
    supervisor::locate::target_dir(root)
        .join("outputs")
        .join(name)
}

impl Store {
    pub fn new(mode: &str, started_at: String, stamp: &str, records: Vec<Record>) -> Store {
        let ran: Vec<&Record> = records.iter().filter(|r| !r.reused).collect();
        let meta = Meta {
            mode: mode.to_string(),
            started_at,
            stamp: stamp.to_string(),
            records: records.len(),
            ran: ran.len(),
            reused: records.len() - ran.len(),
            run_ms: ran.iter().fold(0.0, |t, r| t + r.elapsed_ms),
        };
        Store { meta, records }
    }

    /// Writes the store to `target/outputs/<name>/`, replacing what was there.
    pub fn save(&self, root: &Path, name: &str) -> Result<PathBuf> {
        let dest = dir(root, name);
        let tmp = dest.with_extension("new");
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        for r in &self.records {
            let file = tmp.join(r.file_name());
            if let Some(parent) = file.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&file, serde_json::to_string_pretty(r)? + "\n")
                .with_context(|| format!("writing {}", file.display()))?;
        }
        std::fs::write(
            tmp.join("store.json"),
            serde_json::to_string_pretty(&self.meta)? + "\n",
        )?;
        let _ = std::fs::remove_dir_all(&dest);
        std::fs::rename(&tmp, &dest).with_context(|| format!("renaming to {}", dest.display()))?;
        Ok(dest)
    }

    /// Reads `target/outputs/<name>/`, records in chapter and page order.
    pub fn load(root: &Path, name: &str) -> Result<Store> {
        let dir = dir(root, name);
        let meta_file = dir.join("store.json");
        let meta: Meta = serde_json::from_str(
            &std::fs::read_to_string(&meta_file)
                .with_context(|| format!("reading {}", meta_file.display()))?,
        )
        .with_context(|| format!("parsing {}", meta_file.display()))?;
        let mut files = Vec::new();
        json_files(&dir, &mut files)?;
        let mut records = Vec::new();
        for f in files.iter().filter(|f| !f.ends_with("store.json")) {
            let text =
                std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
            let r: Record =
                serde_json::from_str(&text).with_context(|| format!("parsing {}", f.display()))?;
            records.push(r);
        }
        records.sort_by(|a, b| (&a.chapter, a.index).cmp(&(&b.chapter, b.index)));
        Ok(Store { meta, records })
    }

    /// The record of a chapter's `index`th directive (from 1).
    pub fn get(&self, chapter: &str, index: usize) -> Option<&Record> {
        self.records
            .iter()
            .find(|r| r.chapter == chapter && r.index == index)
    }

    /// Records that may be reused, by key digest: not failed ones, which
    /// are always run again.
    pub fn reusable(&self) -> HashMap<String, Record> {
        self.records
            .iter()
            .filter(|r| !r.failed())
            .filter_map(|r| Some((r.key_digest.clone()?, r.clone())))
            .collect()
    }
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            json_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(())
}
