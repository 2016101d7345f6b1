//! The book's chapters and their cmdrun directives, read from src/, and
//! the snippet crates.
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The one form of directive this book allows: the shell runs the
/// supervisor xtask built (`$RSP_SUPERVISOR`), or `cargo run` builds it
/// for a plain `mdbook build`; the remainder is the supervisor's arguments.
pub const PREFIX: &str = "${RSP_SUPERVISOR:-cargo run -q -p supervisor --} ";

pub struct Chapter {
    /// Relative to src/, e.g. `processes/zombie.md`.
    pub rel: PathBuf,
    pub text: String,
    pub directives: Vec<Directive>,
}

pub struct Directive {
    pub line: usize,
    /// Everything between `cmdrun ` and `-->`.
    pub command: String,
}

impl Chapter {
    pub fn slug(&self) -> &str {
        self.rel
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
    }

    /// `src/processes/zombie.md`, for messages.
    pub fn shown(&self) -> String {
        format!("src/{}", self.rel.display())
    }

    /// The page mdbook renders it to, e.g. `book/processes/zombie.html`.
    pub fn html(&self, book_dir: &Path) -> PathBuf {
        book_dir.join(self.rel.with_extension("html"))
    }
}

/// Every Markdown file under src/, sorted, with its directives.
pub fn load(root: &Path) -> Result<Vec<Chapter>> {
    let src = root.join("src");
    let mut files = Vec::new();
    collect(&src, &mut files)?;
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let directives = text
                .lines()
                .enumerate()
                .filter_map(|(i, line)| {
                    Some(Directive {
                        line: i + 1,
                        command: directive(line)?,
                    })
                })
                .collect();
            let rel = path.strip_prefix(&src).unwrap_or(&path).to_path_buf();
            Ok(Chapter {
                rel,
                text,
                directives,
            })
        })
        .collect()
}

/// The command of a cmdrun directive on this line: an HTML comment whose
/// text starts with `cmdrun` (the lint wants it alone on its line), up to
/// `-->` (or the line's end when the comment is not closed).
fn directive(line: &str) -> Option<String> {
    let at = line.find("<!--")?;
    let rest = line[at + 4..]
        .trim_start_matches(' ')
        .strip_prefix("cmdrun")?;
    let end = rest.find("-->").unwrap_or(rest.len());
    Some(rest[..end].trim().to_string())
}

/// The snippet crates: folders of snippets/ with a Cargo.toml, sorted.
pub fn snippet_slugs(root: &Path) -> Result<Vec<String>> {
    let dir = root.join("snippets");
    let mut slugs = Vec::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.join("Cargo.toml").is_file() {
            if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
                slugs.push(name.to_string());
            }
        }
    }
    slugs.sort();
    Ok(slugs)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "md") {
            out.push(path);
        }
    }
    Ok(())
}

/// The supervisor arguments of a directive, parsed as the supervisor parses them.
pub fn parse_args(d: &Directive) -> Result<supervisor::Args, String> {
    let rest = d.command.strip_prefix(PREFIX).ok_or_else(|| {
        format!(
            "a directive must start `cmdrun {PREFIX}`; found `cmdrun {}`",
            d.command
        )
    })?;
    let words = shlex::split(rest).ok_or("unbalanced quotes")?;
    let argv = std::iter::once("supervisor".to_string()).chain(words);
    <supervisor::Args as clap::Parser>::try_parse_from(argv).map_err(|e| {
        let msg = e.to_string();
        msg.lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches("error: ")
            .to_string()
    })
}
