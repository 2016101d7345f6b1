//! "Your machine vs the book's": after an unchanged block ran, its output
//! beside the output the book's build recorded for the same program
//! (`target/outputs/<store>/`, written by the supervisor under `cargo
//! xtask build` or `serve`: `supervisor::store`), both masked with that
//! directive's `--vary` regexes, as a line diff, with the two environment
//! stamps.
//!
//! Which record is the block's: the code sent must be one of the snippet's
//! programs as the book has it (`src/main.rs`, `src/bin/<bin>.rs`, or
//! `python/<name>.py`; for Rust, mdBook's `// ANCHOR` lines and the page's
//! `extern crate` lines aside), else it was edited and nothing is compared.
//! Then the chapter's directives that run that program (same slug, bin or
//! Python name) as the page runs it: no program arguments, no strace, no
//! `--source`, not a Try it. The first of them is compared; when the book runs the
//! program only with arguments (process-group's experiments), the page
//! says so instead of comparing with one of them.
use std::path::Path;

pub use supervisor::diff::line_diff;
pub use supervisor::store::{mask, MASK};

use crate::wire::{Comparison, Job, Lang, Ran};

/// One of the book's recorded runs of a directive, as compared here.
#[derive(Debug, Clone, Default)]
pub struct BookRecord {
    /// Its place among the chapter's directives, and its text.
    pub index: usize,
    pub directive: String,
    /// The directive's arguments (the supervisor's command line).
    pub args: Vec<String>,
    pub vary: Vec<String>,
    /// The environment the book's run had (`about --line`).
    pub stamp: String,
    pub status: String,
    pub output: String,
    /// Why the book's run failed, if it did.
    pub error: Option<String>,
}

/// The book's records of `chapter` (`processes/zombie.md`) in `store`,
/// in the order they ran: the one place that reads the store.
pub fn book_records(store: &Path, chapter: &str) -> Vec<BookRecord> {
    let all = supervisor::store::all(store).unwrap_or_default();
    all.into_iter()
        .filter(|r| r.chapter.as_deref() == Some(chapter))
        .enumerate()
        .map(|(index, r)| BookRecord {
            index,
            directive: r.args.join(" "),
            args: r.args,
            vary: r.vary,
            stamp: r.stamp,
            status: r.block.status,
            output: r.block.output,
            error: r.block.error,
        })
        .collect()
}

/// Which of the snippet's programs the code is, unchanged: a Rust bin's
/// name, or the Python program's name.
fn unchanged_program(root: &Path, job: &Job) -> Option<String> {
    let dir = root.join("snippets").join(&job.slug);
    match &job.lang {
        Lang::Python { name } => {
            let book =
                std::fs::read_to_string(dir.join("python").join(format!("{name}.py"))).ok()?;
            (book.trim_end() == job.code.trim_end()).then(|| name.clone())
        }
        Lang::Rust => {
            let sent = rust_text(&job.code, true);
            let mut files = vec![(job.slug.clone(), dir.join("src").join("main.rs"))];
            if let Ok(rd) = std::fs::read_dir(dir.join("src").join("bin")) {
                for e in rd.flatten() {
                    let p = e.path();
                    if let (Some(stem), Some("rs")) = (
                        p.file_stem().and_then(|s| s.to_str()),
                        p.extension().and_then(|s| s.to_str()),
                    ) {
                        files.push((stem.to_string(), p.clone()));
                    }
                }
            }
            files.into_iter().find_map(|(bin, file)| {
                let book = std::fs::read_to_string(file).ok()?;
                (rust_text(&book, false) == sent).then_some(bin)
            })
        }
    }
}

/// A Rust program as compared: without mdBook's anchor lines (the page
/// never has them) and, for the page's code, the `extern crate` lines the
/// chapter adds for `mdbook test`; trailing blanks aside.
fn rust_text(code: &str, from_page: bool) -> String {
    let mut lines: Vec<&str> = code.lines().collect();
    if from_page {
        while lines.first().is_some_and(|l| {
            l.trim_start().starts_with("extern crate ") && l.trim_end().ends_with(';')
        }) {
            lines.remove(0);
        }
    }
    let kept: Vec<&str> = lines
        .into_iter()
        .filter(|l| {
            let t = l.trim_start();
            !(t.starts_with("// ANCHOR:") || t.starts_with("// ANCHOR_END:"))
        })
        .map(str::trim_end)
        .collect();
    kept.join("\n").trim_end().to_string()
}

/// What a traced run of `job` traces, and the book's trace of it.
pub fn trace_plan(root: &Path, store: &Path, job: &Job) -> supervisor::strace::page::Plan {
    let python = match &job.lang {
        Lang::Python { name } => Some(name.as_str()),
        Lang::Rust => None,
    };
    let unchanged = unchanged_program(root, job);
    let chapter = job.chapter.as_deref();
    supervisor::strace::page::plan(store, chapter, &job.slug, python, unchanged.as_deref())
}

fn parse_args(args: &[String]) -> Option<supervisor::Args> {
    use clap::Parser;
    supervisor::Args::try_parse_from(
        std::iter::once("supervisor".to_string()).chain(args.iter().cloned()),
    )
    .ok()
}

/// `text` with `<dir>/` taken out of every path that starts there.
fn relative(text: &str, dir: &str) -> String {
    let dir = dir.trim_end_matches('/');
    if dir.is_empty() {
        return text.to_string();
    }
    text.replace(&format!("{dir}/"), "")
}

/// The reader's stamp: the book's own `about --line`, run outside the
/// sandbox (it asks rustc its version, and the sandbox has no rustc on
/// PATH; it is the book's program, not the page's code).
pub fn your_stamp(root: &Path) -> String {
    let exe = supervisor::locate::target_dir(root).join("debug").join("about");
    match std::process::Command::new(&exe)
        .arg("--line")
        .current_dir(root)
        .stdin(std::process::Stdio::null())
        .output()
    {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        _ => format!("unknown ({} did not run: build the book first)", exe.display()),
    }
}

fn strip_expected(status: &str) -> &str {
    status.strip_suffix(" (expected)").unwrap_or(status)
}

/// The comparison for a job that ran, or None when its code was edited
/// (or the chapter has no records at all).
pub fn compare(
    root: &Path,
    store: &Path,
    chapter: &str,
    job: &Job,
    ran: &Ran,
) -> Option<Comparison> {
    let program = unchanged_program(root, job)?;
    let all = book_records(store, chapter);
    if all.is_empty() {
        return None;
    }
    let python = matches!(job.lang, Lang::Python { .. });
    let mut same_program = Vec::new();
    let mut with_args = Vec::new();
    for r in &all {
        let Some(a) = parse_args(&r.args) else {
            continue;
        };
        let runs_it = a.slug == job.slug
            && match &a.python {
                Some(n) => python && *n == program,
                None => !python && a.bin_name() == program,
            };
        if !runs_it
            || a.expect_compile_error.is_some()
            || a.source.is_some()
            || !a.strace.is_empty()
            || a.try_it
            || a.markdown
        {
            continue;
        }
        if a.snippet_args.is_empty() {
            same_program.push(r);
        } else {
            with_args.push(format!("`{}`", a.snippet_args.join(" ")));
        }
    }
    let mut c = Comparison {
        chapter: chapter.to_string(),
        your_status: ran.status.clone(),
        your_stamp: your_stamp(root),
        ..Comparison::default()
    };
    let Some(r) = same_program.first() else {
        // One statement per note: xtask's i18n check finds them there.
        if with_args.is_empty() {
            c.note = Some("the book does not run this program on this page".to_string());
        } else {
            let args = with_args.join(", ");
            c.note = Some(format!(
                "the book runs this program only with arguments ({args}), the page without: nothing to compare"
            ));
        }
        return Some(c);
    };
    if r.error.is_some() {
        c.note = Some("the book's own run of this program failed: nothing to compare".into());
        return Some(c);
    }
    c.directive = Some(r.directive.clone());
    c.index = Some(r.index);
    c.vary = r.vary.clone();
    c.book_status = r.status.clone();
    c.book_stamp = r.stamp.clone();
    if same_program.len() > 1 {
        let n = same_program.len();
        c.note = Some(format!(
            "the book runs this program {n} times on this page; compared with the first"
        ));
    }
    // Paths of the program (a Python traceback's) read from the root in
    // both: the book ran from its root, the page's run from its sandbox.
    let book = relative(&r.output, &root.to_string_lossy());
    let book = mask(&book, &r.vary).trim_end().to_string() + "\n";
    let yours = relative(&ran.output, &ran.dir);
    let yours = mask(&yours, &r.vary).trim_end().to_string() + "\n";
    c.diff = line_diff(&book, &yours);
    c.matches = c.diff.iter().all(|l| l.tag == "same")
        && strip_expected(&r.status) == strip_expected(&ran.status);
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_code_is_the_file_without_anchors_and_extern_lines() {
        let file = "// ANCHOR: all\nuse nix;\n// ANCHOR_END: all\nfn main() {}  \n\n";
        let page = "extern crate nix;\nuse nix;\nfn main() {}\n";
        assert_eq!(rust_text(file, false), rust_text(page, true));
        assert_ne!(rust_text(file, false), rust_text("use nix;\nfn main() { }\n", true));
    }

    #[test]
    fn masks_apply_every_vary() {
        assert_eq!(
            mask("pid 1234 at 0xff", &["\\d{3,}".into(), "0x[0-9a-f]+".into()]),
            "pid ‹varies› at ‹varies›"
        );
    }
}
