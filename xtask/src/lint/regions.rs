//! The code a chapter shows comes from `// ANCHOR:` regions of its
//! snippet, and mdBook (0.4.52, and 0.5 too) includes a region exactly as
//! it stands in the file: it does not remove the region's indentation. So
//! a Rust region must start at column 0 (whole items: functions, types),
//! must not hold a comment that rustfmt left hanging at the column of the
//! line above's trailing comment, and every region a Rust file marks must
//! be shown somewhere, or its marks are noise in the code a reader edits.
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::chapters::Chapter;

/// `{{#include path:anchor}}` or `{{#rustdoc_include path:anchor}}` on a
/// line of its own: (path as written, anchor).
fn includes(text: &str) -> Vec<(String, Option<String>)> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            let inner = l
                .strip_prefix("{{#rustdoc_include ")
                .or_else(|| l.strip_prefix("{{#include "))?
                .strip_suffix("}}")?;
            Some(match inner.rsplit_once(':') {
                Some((path, anchor))
                    if !anchor.is_empty()
                        && anchor
                            .chars()
                            .all(|c| c.is_alphanumeric() || c == '_' || c == '-') =>
                {
                    (path.to_string(), Some(anchor.to_string()))
                }
                _ => (inner.to_string(), None),
            })
        })
        .collect()
}

/// The anchor name on an `ANCHOR:` (or `ANCHOR_END:`) line, as mdBook
/// matches it.
fn anchor_on(line: &str, mark: &str) -> Option<String> {
    let at = line.find(mark)? + mark.len();
    let name: String = line[at..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// The lines of region `anchor` (numbered from 1), as mdBook takes them:
/// between the marks, without any other anchor's marks.
fn region(source: &str, anchor: &str) -> Option<Vec<(usize, String)>> {
    let mut out = Vec::new();
    let mut inside = false;
    for (i, line) in source.lines().enumerate() {
        if inside {
            if anchor_on(line, "ANCHOR_END:").as_deref() == Some(anchor) {
                return Some(out);
            }
            if anchor_on(line, "ANCHOR:").is_none() && anchor_on(line, "ANCHOR_END:").is_none() {
                out.push((i + 1, line.to_string()));
            }
        } else if anchor_on(line, "ANCHOR:").as_deref() == Some(anchor) {
            inside = true;
        }
    }
    None
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Where a line's trailing `//` comment starts, if it has code before it.
fn trailing_comment(line: &str) -> Option<usize> {
    let at = line.find("//")?;
    let before = &line[..at];
    // Not inside a string literal (an odd number of quotes before it).
    let quotes = before.matches('"').count() - before.matches("\\\"").count();
    (!before.trim().is_empty() && quotes.is_multiple_of(2)).then_some(at)
}

/// What is wrong with one included region.
fn region_problems(
    shown: &str,
    file: &str,
    anchor: &str,
    lines: &[(usize, String)],
) -> Vec<String> {
    let mut out = Vec::new();
    let least = lines
        .iter()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(_, l)| indent(l))
        .min()
        .unwrap_or(0);
    if least > 0 {
        out.push(format!(
            "{shown}: region `{anchor}` of {file} is indented by {least} spaces, and mdBook shows it so; \
             make the region whole items (a function) that start at column 0"
        ));
    }
    for pair in lines.windows(2) {
        let ((_, code), (n, next)) = (&pair[0], &pair[1]);
        let Some(col) = trailing_comment(code) else {
            continue;
        };
        if next.trim_start().starts_with("//") && indent(next) == col && col > indent(code) + 4 {
            out.push(format!(
                "{file}:{n}: a comment left hanging under the trailing comment of the line above \
                 (shown in {shown}, region `{anchor}`); put both comments on lines of their own"
            ));
        }
    }
    out
}

/// Checks every included region of every chapter, and that every region a
/// snippet marks is included somewhere.
pub fn problems(root: &Path, chapters: &[Chapter]) -> Vec<String> {
    let mut out = Vec::new();
    let mut used: BTreeSet<(PathBuf, String)> = BTreeSet::new();
    for ch in chapters {
        let dir = root.join("src").join(&ch.rel);
        let dir = dir.parent().unwrap_or(root);
        for (path, anchor) in includes(&ch.text) {
            let Some(anchor) = anchor else { continue };
            let file = normalize(&dir.join(&path));
            let shown = file
                .strip_prefix(root)
                .unwrap_or(&file)
                .display()
                .to_string();
            used.insert((file.clone(), anchor.clone()));
            let Ok(source) = std::fs::read_to_string(&file) else {
                out.push(format!(
                    "{}: includes {path}, which does not exist",
                    ch.shown()
                ));
                continue;
            };
            match region(&source, &anchor) {
                None => out.push(format!("{}: no region `{anchor}` in {shown}", ch.shown())),
                // Rust regions only: the notes' Python programs keep the
                // seed's shape (issue 12), methods and all.
                Some(lines) if file.extension().is_some_and(|e| e == "rs") => {
                    out.extend(region_problems(&ch.shown(), &shown, &anchor, &lines))
                }
                Some(_) => {}
            }
        }
    }
    for file in snippet_sources(&root.join("snippets")) {
        let Ok(source) = std::fs::read_to_string(&file) else {
            continue;
        };
        let file = normalize(&file);
        for (i, line) in source.lines().enumerate() {
            if let Some(anchor) = anchor_on(line, "ANCHOR:") {
                if !used.contains(&(file.clone(), anchor.clone())) {
                    out.push(format!(
                        "{}:{}: region `{anchor}` is never included in a chapter; include it or remove its marks",
                        file.strip_prefix(root).unwrap_or(&file).display(),
                        i + 1
                    ));
                }
            }
        }
    }
    out
}

/// `a/b/../c` -> `a/c`, without touching the file system.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// Every `.rs` file under snippets/, but not build output.
fn snippet_sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() && p.file_name().is_some_and(|n| n != "target") {
            out.extend(snippet_sources(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn includes_are_read_with_and_without_anchors() {
        let text = "```rust\n# extern crate nix;\n{{#rustdoc_include ../../snippets/z/src/main.rs:zombie}}\n```\n{{#include ../../snippets/z/compile_fail/x.rs}}\n";
        assert_eq!(
            includes(text),
            [
                (
                    "../../snippets/z/src/main.rs".to_string(),
                    Some("zombie".to_string())
                ),
                ("../../snippets/z/compile_fail/x.rs".to_string(), None),
            ]
        );
    }

    #[test]
    fn regions_are_taken_as_mdbook_takes_them() {
        let src = "// ANCHOR: a\nfn f() {\n    // ANCHOR: b\n    g();\n    // ANCHOR_END: b\n}\n// ANCHOR_END: a\n";
        let a: Vec<String> = region(src, "a")
            .unwrap()
            .into_iter()
            .map(|(_, l)| l)
            .collect();
        assert_eq!(a, ["fn f() {", "    g();", "}"]);
        let b = region(src, "b").unwrap();
        assert_eq!(b, [(4, "    g();".to_string())]);
        assert!(region(src, "c").is_none());
    }

    #[test]
    fn an_indented_region_and_a_hanging_comment_are_found() {
        let lines = |v: &[&str]| -> Vec<(usize, String)> {
            v.iter()
                .enumerate()
                .map(|(i, l)| (i + 1, l.to_string()))
                .collect()
        };
        let indented = lines(&["    let x = 1;", "", "    g(x);"]);
        let found = region_problems("src/p/c.md", "snippets/c/src/main.rs", "r", &indented);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("indented by 4 spaces"), "{found:?}");
        let hanging = lines(&[
            "fn f() {",
            "    drop(cmd); // our copies of the slave",
            "               // ANCHOR-free comment hanging here",
            "}",
        ]);
        let found = region_problems("src/p/c.md", "snippets/c/src/main.rs", "r", &hanging);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("snippets/c/src/main.rs:3: a comment left hanging"),
            "{found:?}"
        );
        let fine = lines(&["fn f() {", "    g(); // why", "    // next step", "}"]);
        assert!(region_problems("c", "f", "r", &fine).is_empty());
    }
}
