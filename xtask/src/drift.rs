//! `cargo xtask drift`: two builds in a row print the same outputs, apart
//! from what a directive declares variable with `--vary REGEX` (pids,
//! addresses, timings). An output that changes otherwise means the chapter's
//! prose can be contradicted by the next build: the check fails and shows
//! the lines that differ.
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Context, Result};
use regex::Regex;

use crate::chapters::{self, Chapter};

/// What varying text is replaced with before comparing.
pub const MASK: &str = "‹varies›";

/// Per chapter (`src/processes/zombie.md`), its output blocks in page order,
/// each masked with its directive's `--vary` regexes.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outputs(pub BTreeMap<String, Vec<String>>);

/// `cargo xtask drift` (`built`: book/ is a fresh build already, as in
/// `cargo xtask test`; otherwise build it first).
pub fn run(root: &Path, built: bool) -> Result<()> {
    if !built {
        crate::book::build(root)?;
    }
    let chapters = chapters::load(root)?;
    let book = root.join("book");
    let first = outputs(&book, &chapters)?;
    crate::book::build(root)?;
    let second = outputs(&book, &chapters)?;
    let dir = root.join("target").join("drift");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(dir.join("first.txt"), first.dump())?;
    std::fs::write(dir.join("second.txt"), second.dump())?;
    let problems = compare(&first, &second);
    let blocks: usize = first.0.values().map(Vec::len).sum();
    if problems.is_empty() {
        eprintln!(
            "xtask: drift: {blocks} output blocks in {} chapters are the same in two builds (after --vary masks)",
            first.0.len()
        );
        return Ok(());
    }
    for p in &problems {
        eprintln!("{p}");
    }
    bail!(
        "{} output block(s) changed between two builds without a --vary that covers it (both builds, masked: {})",
        problems.len(),
        dir.display()
    )
}

/// Reads the output blocks of every chapter that has directives from the
/// built pages, masking each with its directive's `--vary` regexes.
pub fn outputs(book: &Path, chapters: &[Chapter]) -> Result<Outputs> {
    let mut out = Outputs::default();
    for ch in chapters.iter().filter(|c| !c.directives.is_empty()) {
        let page = ch.html(book);
        let html = std::fs::read_to_string(&page)
            .with_context(|| format!("reading {}", page.display()))?;
        let varies: Vec<Vec<Regex>> = ch
            .directives
            .iter()
            .map(|d| {
                let vary = chapters::parse_args(d).map(|a| a.vary).unwrap_or_default();
                vary.iter().filter_map(|v| Regex::new(v).ok()).collect()
            })
            .collect();
        let blocks = blocks(&html)
            .into_iter()
            .enumerate()
            .map(|(i, text)| mask(&text, varies.get(i).map_or(&[][..], Vec::as_slice)))
            .collect();
        out.0.insert(ch.shown(), blocks);
    }
    Ok(out)
}

/// The text of each output block (`<div class="rsp-run...">`'s
/// `<pre><code>`), unescaped.
pub fn blocks(html: &str) -> Vec<String> {
    // A block's class list starts with `rsp-run`; its parts (`rsp-run-head`)
    // and its footer (`rsp-stamp`) are not blocks.
    let starts = html
        .match_indices("<div class=\"rsp-run")
        .map(|(i, m)| i + m.len())
        .filter(|&i| matches!(html.as_bytes().get(i), Some(b' ' | b'"')));
    starts
        .filter_map(|i| {
            let rest = &html[i..];
            let start = rest.find("<pre><code")? + "<pre>".len();
            let body = &rest[start..];
            let open = body.find('>')? + 1;
            let end = body.find("</code></pre>")?;
            Some(unescape(&body[open..end]))
        })
        .collect()
}

fn mask(text: &str, vary: &[Regex]) -> String {
    vary.iter().fold(text.to_string(), |t, re| {
        re.replace_all(&t, MASK).into_owned()
    })
}

/// One message per block that differs, with a line diff.
pub fn compare(first: &Outputs, second: &Outputs) -> Vec<String> {
    let mut problems = Vec::new();
    let chapters: std::collections::BTreeSet<&String> =
        first.0.keys().chain(second.0.keys()).collect();
    for ch in chapters {
        let (a, b) = (first.0.get(ch), second.0.get(ch));
        let (a, b) = (
            a.map_or(&[][..], Vec::as_slice),
            b.map_or(&[][..], Vec::as_slice),
        );
        if a.len() != b.len() {
            problems.push(format!(
                "{ch}: {} output block(s) in the first build, {} in the second",
                a.len(),
                b.len()
            ));
            continue;
        }
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            if x != y {
                problems.push(format!(
                    "{ch}: output block {} differs between two builds (- first, + second; {MASK} is --vary):\n{}",
                    i + 1,
                    diff(x, y)
                ));
            }
        }
    }
    problems
}

/// A line diff (longest common subsequence), changed lines only, with one
/// line of context.
pub fn diff(a: &str, b: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut lines: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            lines.push((' ', a[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            lines.push(('-', a[i]));
            i += 1;
        } else {
            lines.push(('+', b[j]));
            j += 1;
        }
    }
    let changed: Vec<bool> = lines.iter().map(|(k, _)| *k != ' ').collect();
    let mut out = String::new();
    for (idx, (kind, line)) in lines.iter().enumerate() {
        let near = (idx.saturating_sub(1)..=(idx + 1).min(lines.len() - 1)).any(|k| changed[k]);
        if near {
            let _ = writeln!(out, "    {kind} {line}");
        }
    }
    out.trim_end().to_string()
}

impl Outputs {
    fn dump(&self) -> String {
        let mut s = String::new();
        for (ch, blocks) in &self.0 {
            for (i, b) in blocks.iter().enumerate() {
                let _ = writeln!(s, "== {ch} block {}\n{}", i + 1, b.trim_end());
            }
        }
        s
    }
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(outputs: &[&str]) -> String {
        outputs
            .iter()
            .map(|o| {
                format!(
                    "<div class=\"rsp-run rsp-run-ok\" data-snippet=\"s\"><div class=\"rsp-run-head\"><code class=\"rsp-run-cmd\">$ x</code></div>\n<pre><code class=\"language-text\">{o}</code></pre>\n</div>"
                )
            })
            .collect()
    }

    #[test]
    fn blocks_are_the_pre_code_of_each_output_block() {
        assert_eq!(blocks(&page(&["a &lt;b&gt;\n", "c"])), ["a <b>\n", "c"]);
    }

    #[test]
    fn masked_parts_may_change_the_rest_may_not() {
        let vary = [Regex::new(r"\d{3,}").unwrap()];
        let one = Outputs(
            [(
                "src/p/a.md".to_string(),
                vec![mask("pid 1234\nstate Z\nend", &vary)],
            )]
            .into(),
        );
        let two = Outputs(
            [(
                "src/p/a.md".to_string(),
                vec![mask("pid 5678\nstate Z\nend", &vary)],
            )]
            .into(),
        );
        assert!(compare(&one, &two).is_empty());
        let three = Outputs(
            [(
                "src/p/a.md".to_string(),
                vec![mask("pid 9999\nstate R\nend", &vary)],
            )]
            .into(),
        );
        let problems = compare(&one, &three);
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].ends_with(":\n      pid ‹varies›\n    - state Z\n    + state R\n      end"),
            "{}",
            problems[0]
        );
        assert!(problems[0].contains("src/p/a.md: output block 1 differs"));
    }

    #[test]
    fn diff_shows_changed_lines_with_context() {
        let d = diff("a\nb\nc\nd\ne", "a\nb\nX\nd\ne");
        assert_eq!(d, "      b\n    - c\n    + X\n      d");
    }
}
