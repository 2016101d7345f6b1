//! `cargo xtask drift`: two builds in a row print the same outputs, apart
//! from what a directive declares variable with `--vary REGEX` (pids,
//! addresses, timings). An output that changes otherwise means the chapter's
//! prose can be contradicted by the next build: the check fails and shows
//! the lines that differ. It compares the two builds' output stores: how
//! each run ended, its output and what its pictures show, masked.
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Context, Result};
use supervisor::store::{self, mask, MASK};

use crate::build::{self, Kind};
use crate::setup;

/// Per directive (`src/processes/zombie.md: zombie --vary ...`), how its
/// run ended, its output and its pictures' text, masked with its `--vary`
/// regexes.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outputs(pub BTreeMap<String, String>);

/// `cargo xtask drift`: two fresh builds, compared.
pub fn run(root: &Path) -> Result<()> {
    build::compile(root, &build::book_packages(root)?)?;
    second_build(root, "drift-first")?;
    compare_stores(root, "drift-first")
}

/// After `cargo xtask build` (in `cargo xtask test`): one more build,
/// compared with it.
pub fn compare_with_build(root: &Path) -> Result<()> {
    compare_stores(root, "build")
}

fn second_build(root: &Path, name: &str) -> Result<()> {
    setup::become_subreaper()?;
    let built = build::build(root, name, Kind::Fresh);
    setup::fail_on_leftovers("the drift build")?;
    let built = built?;
    anyhow::ensure!(
        built.problems.is_empty(),
        "the build for the drift check failed: {}",
        built.problems.join("; ")
    );
    Ok(())
}

fn compare_stores(root: &Path, first: &str) -> Result<()> {
    second_build(root, "drift")?;
    let outputs = |name: &str| -> Result<Outputs> {
        let dir = supervisor::locate::target_dir(root)
            .join("outputs")
            .join(name);
        Ok(Outputs::from_records(
            &store::all(&dir).map_err(anyhow::Error::msg)?,
        ))
    };
    let (first, second) = (outputs(first)?, outputs("drift")?);
    let dir = supervisor::locate::target_dir(root).join("drift");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(dir.join("first.txt"), first.dump())?;
    std::fs::write(dir.join("second.txt"), second.dump())?;
    let problems = compare(&first, &second);
    if problems.is_empty() {
        eprintln!(
            "xtask: drift: {} outputs are the same in two builds (after --vary masks)",
            first.0.len()
        );
        return Ok(());
    }
    for p in &problems {
        eprintln!("{p}");
    }
    bail!(
        "{} output(s) changed between two builds without a --vary that covers it (both, masked: {})",
        problems.len(),
        dir.display()
    )
}

impl Outputs {
    pub fn from_records(records: &[store::Record]) -> Outputs {
        let mut out = Outputs::default();
        for r in records {
            let place = r
                .chapter
                .as_deref()
                .map_or(r.cwd.clone(), |c| format!("src/{c}"));
            let key = format!("{place}: {}", r.args.join(" "));
            let mut text = format!("[{}]\n{}", r.block.status, mask(&r.block.output, &r.vary));
            // A picture by what it shows (its text: pids as labels, no
            // times), masked as the output is; its coordinates may move.
            for p in &r.block.pictures {
                let _ = write!(text, "\n[picture]\n{}", mask(&p.text, &r.vary));
            }
            out.0.insert(key, text);
        }
        out
    }

    pub fn dump(&self) -> String {
        let mut s = String::new();
        for (key, text) in &self.0 {
            let _ = writeln!(s, "== {key}\n{}", text.trim_end());
        }
        s
    }
}

/// One message per directive whose output differs, with a line diff.
pub fn compare(first: &Outputs, second: &Outputs) -> Vec<String> {
    let mut problems = Vec::new();
    let keys: std::collections::BTreeSet<&String> = first.0.keys().chain(second.0.keys()).collect();
    for key in keys {
        match (first.0.get(key), second.0.get(key)) {
            (Some(a), Some(b)) if a != b => problems.push(format!(
                "{key}: the output differs between two builds (- first, + second; {MASK} is --vary):\n{}",
                diff(a, b)
            )),
            (Some(_), None) => problems.push(format!("{key}: run by the first build only")),
            (None, Some(_)) => problems.push(format!("{key}: run by the second build only")),
            _ => {}
        }
    }
    problems
}

/// The changed lines with one line of context.
pub fn diff(a: &str, b: &str) -> String {
    let d = similar::TextDiff::from_lines(a, b);
    let mut out = String::new();
    for group in d.grouped_ops(1) {
        for op in group {
            for change in d.iter_changes(&op) {
                let sign = match change.tag() {
                    similar::ChangeTag::Delete => '-',
                    similar::ChangeTag::Insert => '+',
                    similar::ChangeTag::Equal => ' ',
                };
                let _ = write!(out, "    {sign} {change}");
                if change.missing_newline() {
                    out.push('\n');
                }
            }
        }
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outputs(text: &str) -> Outputs {
        Outputs(
            [(
                "src/p/a.md: a".to_string(),
                mask(text, &[r"\d{3,}".to_string()]),
            )]
            .into(),
        )
    }

    #[test]
    fn masked_parts_may_change_the_rest_may_not() {
        let one = outputs("pid 1234\nstate Z\nend");
        assert!(compare(&one, &outputs("pid 5678\nstate Z\nend")).is_empty());
        let problems = compare(&one, &outputs("pid 9999\nstate R\nend"));
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].ends_with(":\n      pid ‹varies›\n    - state Z\n    + state R\n      end"),
            "{}",
            problems[0]
        );
        assert!(problems[0].starts_with("src/p/a.md: a: the output differs"));
    }

    fn record(picture: &str, svg: &str) -> store::Record {
        store::Record {
            cwd: "src/p".into(),
            chapter: Some("p/a.md".into()),
            args: vec!["a".into(), "--timeline".into()],
            vary: vec![r"0x[0-9a-f]+".into()],
            inputs: String::new(),
            ran_at: 0,
            took_ms: 0.0,
            stamp: String::new(),
            block: supervisor::render::Block {
                slug: "a".into(),
                command: "strace ...".into(),
                status: "exit status 0".into(),
                output: "P1  vfork() = P2".into(),
                error: None,
                pictures: vec![supervisor::picture::Picture {
                    text: picture.into(),
                    html: svg.into(),
                    above: false,
                }],
            },
            markdown: String::new(),
        }
    }

    #[test]
    fn pictures_compare_by_what_they_show() {
        let one =
            Outputs::from_records(&[record("P1: starts P2 (vfork) at 0x1f", "<svg y=\"12\">")]);
        let moved =
            Outputs::from_records(&[record("P1: starts P2 (vfork) at 0x2e", "<svg y=\"34\">")]);
        assert!(compare(&one, &moved).is_empty());
        let other =
            Outputs::from_records(&[record("P1: starts P2 (clone3) at 0x1f", "<svg y=\"12\">")]);
        let problems = compare(&one, &other);
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].contains("+ P1: starts P2 (clone3)"),
            "{}",
            problems[0]
        );
    }

    #[test]
    fn diff_shows_changed_lines_with_context() {
        let d = diff("a\nb\nc\nd\ne", "a\nb\nX\nd\ne");
        assert_eq!(d, "      b\n    - c\n    + X\n      d");
    }
}
