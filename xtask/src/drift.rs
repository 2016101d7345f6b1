//! `cargo xtask drift`: two builds in a row print the same outputs, apart
//! from what a directive declares variable with `--vary REGEX` (pids,
//! addresses, timings). An output that changes otherwise means the chapter's
//! prose can be contradicted by the next build: the check fails and shows
//! the lines that differ. It compares the two builds' output stores
//! (`target/outputs/drift/{first,second}/`): how each run ended and its
//! output, masked.
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Context, Result};
use regex::Regex;

use crate::store::Store;
use crate::text::{find_all, find_from};

/// What varying text is replaced with before comparing.
pub const MASK: &str = "‹varies›";

/// Per chapter (`src/processes/zombie.md`), its output blocks in page order,
/// each masked with its directive's `--vary` regexes.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outputs(pub BTreeMap<String, Vec<String>>);

/// `cargo xtask drift` (`built`: a fresh build just made
/// `target/outputs/build/`, as in `cargo xtask test`; otherwise build first).
/// Builds again and compares the two builds' output stores.
pub fn run(root: &Path, built: bool) -> Result<()> {
    let first = match built {
        true => Store::load(root, "build")?,
        false => crate::book::build(root)?.store,
    };
    let second = crate::book::build(root)?.store;
    first.save(root, "drift/first")?;
    second.save(root, "drift/second")?;
    let (first, second) = (Outputs::from_store(&first), Outputs::from_store(&second));
    let dir = root.join("target").join("drift");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(dir.join("first.txt"), first.dump())?;
    std::fs::write(dir.join("second.txt"), second.dump())?;
    let problems = compare(&first, &second);
    let blocks: usize = first.0.values().map(Vec::len).sum();
    if problems.is_empty() {
        eprintln!(
            "xtask: drift: {blocks} outputs in {} chapters are the same in two builds (after --vary masks)",
            first.0.len()
        );
        return Ok(());
    }
    for p in &problems {
        eprintln!("{p}");
    }
    bail!(
        "{} output(s) changed between two builds without a --vary that covers it (both builds, masked: {}; the stores: {})",
        problems.len(),
        dir.display(),
        crate::store::dir(root, "drift").display()
    )
}

impl Outputs {
    /// Per chapter, each directive's run as compared: how it ended, then
    /// its output with the `--vary` parts masked.
    pub fn from_store(store: &Store) -> Outputs {
        let mut out = Outputs::default();
        for r in &store.records {
            let text = match (&r.block, &r.masked) {
                (Some(b), Some(m)) => format!("[{}]\n{m}", b.status),
                (Some(b), None) => format!("[{}]\n{}", b.status, mask_with(&b.output, &r.vary)),
                (None, _) => r.markdown.clone(),
            };
            out.0
                .entry(format!("src/{}", r.chapter))
                .or_default()
                .push(text);
        }
        out
    }
}

/// The text of each output block (`<div class="rsp-run...">`'s
/// `<pre><code>`), unescaped.
pub fn blocks(html: &str) -> Vec<String> {
    block_spans(html)
        .into_iter()
        .map(|(a, b)| unescape(&html[a..b]))
        .collect()
}

/// Where each output block's code text is in the page.
pub fn block_spans(html: &str) -> Vec<(usize, usize)> {
    // A block's class list starts with `rsp-run`; its parts (`rsp-run-head`)
    // and its footer (`rsp-stamp`) are not blocks.
    const OPEN: &str = "<div class=\"rsp-run";
    let starts = find_all(html, OPEN)
        .map(|i| i + OPEN.len())
        .filter(|&i| matches!(html.as_bytes().get(i), Some(b' ' | b'"')));
    starts
        .filter_map(|i| {
            let start = find_from(html, "<pre><code", i)? + "<pre>".len();
            let open = find_from(html, ">", start)? + 1;
            let end = find_from(html, "</code></pre>", start)?;
            Some((open, end))
        })
        .collect()
}

/// `text` with every match of each regex replaced by [`MASK`] (a regex
/// that does not compile masks nothing: the lint reports it).
pub fn mask_with(text: &str, vary: &[String]) -> String {
    let res: Vec<Regex> = vary.iter().filter_map(|v| Regex::new(v).ok()).collect();
    mask(text, &res)
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
    pub fn dump(&self) -> String {
        let mut s = String::new();
        for (ch, blocks) in &self.0 {
            for (i, b) in blocks.iter().enumerate() {
                let _ = writeln!(s, "== {ch} block {}\n{}", i + 1, b.trim_end());
            }
        }
        s
    }
}

pub fn unescape(s: &str) -> String {
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
