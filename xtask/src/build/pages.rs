//! Checks of a build: mdbook-cmdrun drops a directive's exit status and
//! stderr, and `mdbook build` exits 0 whatever a directive did, so the
//! supervisor's records and the pages themselves are inspected.
use std::path::Path;
use std::sync::LazyLock;

use anyhow::Result;
use regex::Regex;

use crate::chapters::Chapter;

static TAGS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<[^>]+>").expect("a valid pattern"));

pub fn page_problems(book: &Path, chapters: &[Chapter]) -> Result<Vec<String>> {
    let error = Regex::new(r"(?s)<strong>(supervisor error|cmdrun error)</strong>:(.*?)</p>")?;
    let mut problems = Vec::new();
    for ch in chapters.iter().filter(|c| !c.directives.is_empty()) {
        let page = ch.html(book);
        let Ok(html) = std::fs::read_to_string(&page) else {
            problems.push(format!(
                "{}: no page {} was built",
                ch.shown(),
                page.display()
            ));
            continue;
        };
        for e in error.captures_iter(&html) {
            let text = TAGS.replace_all(&e[2], "");
            let first = text.trim().lines().next().unwrap_or_default().to_string();
            problems.push(format!(
                "{}: {}: {}",
                ch.shown(),
                &e[1],
                crate::html::unescape(&first)
            ));
        }
        let blocks = crate::html::block_ranges(&html);
        let outputs: Vec<_> = blocks
            .iter()
            .map(|b| crate::html::output(&html[b.clone()]).trim().to_string())
            .collect();
        // A `--markdown` directive's output is the page's own Markdown.
        let directives = ch
            .directives
            .iter()
            .filter(|d| !crate::chapters::parse_args(d).is_ok_and(|a| a.markdown))
            .count();
        if outputs.len() != directives {
            problems.push(format!(
                "{}: {directives} output block(s) expected but {} on the page (did the supervisor fail to build?)",
                ch.shown(),
                outputs.len()
            ));
        }
        if outputs.iter().any(String::is_empty) {
            problems.push(format!("{}: an output block is empty", ch.shown()));
        }
        problems.extend(unshown_messages(ch, &outputs));
        let first = blocks.first().map_or(html.len(), |b| b.start);
        let code = code_lines(&html[..first]);
        if code > CODE_BEFORE_OUTPUT {
            problems.push(format!(
                "{}: {code} lines of code before the first output block (at most {CODE_BEFORE_OUTPUT}): show the regions that carry the note, the rest as hidden lines",
                ch.shown()
            ));
        }
    }
    Ok(problems)
}

/// How many lines of code a reader may scroll past before a page's first
/// output: a chapter shows the regions that carry the note first, with the
/// rest of the program a click away (hidden lines).
const CODE_BEFORE_OUTPUT: usize = 40;

/// The non-blank lines of the code blocks in `html` (a page up to its first
/// output block), hidden lines (mdBook's `<span class="boring">`) not counted.
fn code_lines(html: &str) -> usize {
    static PATTERNS: LazyLock<[Regex; 2]> = LazyLock::new(|| {
        [
            r"(?s)<pre[^>]*><code[^>]*>(.*?)</code></pre>",
            r#"(?s)<span class="boring">.*?</span>"#,
        ]
        .map(|p| Regex::new(p).expect("a valid pattern"))
    });
    let [code, hidden] = &*PATTERNS;
    code.captures_iter(html)
        .map(|c| {
            let shown = hidden.replace_all(&c[1], "");
            TAGS.replace_all(&shown, "")
                .lines()
                .filter(|l| !l.trim().is_empty())
                .count()
        })
        .sum()
}

/// A program's message quoted in prose (a code span starting `<slug>: `,
/// how the book's programs say what went wrong) that no output block of
/// the page shows: typed, not run.
fn unshown_messages(ch: &Chapter, outputs: &[String]) -> Vec<String> {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let prefix = format!("{}: ", ch.slug());
    let shown = |m: &str| {
        let squeeze = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let m = squeeze(m);
        outputs.iter().any(|o| squeeze(o).contains(&m))
    };
    let mut in_code_block = false;
    let mut out = Vec::new();
    for event in Parser::new(&ch.text) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => in_code_block = true,
            Event::End(TagEnd::CodeBlock) => in_code_block = false,
            Event::Code(code) if !in_code_block && code.starts_with(&prefix) && !shown(&code) => {
                out.push(format!(
                    "{}: quotes `{code}`, which no output block of the page shows: point at the block instead",
                    ch.shown()
                ));
            }
            _ => {}
        }
    }
    out
}

/// Every run that failed, from the build's records: the supervisor's
/// reason names the snippet and the chapter.
pub fn record_problems(records: &[supervisor::store::Record]) -> Vec<String> {
    records
        .iter()
        .filter_map(|r| {
            let why = r.block.error.as_ref()?;
            Some(why.lines().next().unwrap_or_default().to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chapters::Directive;

    fn chapter(directives: usize) -> Chapter {
        Chapter {
            rel: "processes/zombie.md".into(),
            text: String::new(),
            directives: (0..directives)
                .map(|i| Directive {
                    line: i + 1,
                    command: String::new(),
                })
                .collect(),
        }
    }

    /// Writes `html` as the built page of processes/zombie.md and checks it.
    fn check(html: &str, directives: usize) -> Result<()> {
        // Tests run in parallel: one folder per call.
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let root = std::env::temp_dir().join(format!(
            "xtask-checks-{}-{}",
            std::process::id(),
            CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        ));
        std::fs::create_dir_all(root.join("book/processes")).unwrap();
        std::fs::write(root.join("book/processes/zombie.html"), html).unwrap();
        let problems = page_problems(&root.join("book"), &[chapter(directives)]);
        std::fs::remove_dir_all(&root).unwrap();
        match problems? {
            p if p.is_empty() => Ok(()),
            p => anyhow::bail!("{p:?}"),
        }
    }

    const GOOD: &str = r#"<div class="rsp-run" data-snippet="zombie"><div class="rsp-run-head">x</div>
<pre><code class="language-text">spawned
</code></pre>
</div>"#;

    #[test]
    fn a_quoted_message_must_be_on_the_page() {
        let mut ch = chapter(1);
        ch.text =
            "It stops with `zombie: behaviour not\nseen: x`.\n\n```text\nzombie: in code\n```\n"
                .into();
        let shown = ["spawned\nzombie: behaviour not seen: x\n".to_string()];
        assert!(unshown_messages(&ch, &shown).is_empty());
        let problems = unshown_messages(&ch, &["spawned".to_string()]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("quotes `zombie: behaviour not seen: x`"));
    }

    #[test]
    fn code_before_the_first_output_counts_shown_lines_only() {
        let block = |lines: usize| {
            let shown = "x = 1\n\n".repeat(lines);
            format!(
                r#"<pre><code class="language-python"><span class="boring">hidden
</span>{shown}</code></pre>"#
            )
        };
        let before = format!("{}{}", block(30), block(10));
        assert_eq!(code_lines(&before), 40);
        let page = format!("{before}{GOOD}{}", block(99));
        check(&page, 1).unwrap();
        let page = format!("{}{}{GOOD}", block(30), block(11));
        let err = check(&page, 1).unwrap_err().to_string();
        assert!(
            err.contains("41 lines of code before the first output block"),
            "{err}"
        );
    }

    #[test]
    fn a_good_page_passes() {
        check(GOOD, 1).unwrap();
    }

    #[test]
    fn a_missing_block_an_empty_block_and_an_error_are_reported() {
        assert!(check(GOOD, 2).is_err(), "two directives, one block");
        let empty = GOOD.replace("spawned\n", "");
        assert!(check(&empty, 1).is_err(), "empty block");
        let failed =
            format!("{GOOD}<p><strong>supervisor error</strong>: snippet `zombie`: timed out</p>");
        assert!(check(&failed, 1).is_err(), "supervisor error");
        let cmdrun = format!("{GOOD}<p><strong>cmdrun error</strong>: Command was ended</p>");
        assert!(check(&cmdrun, 1).is_err(), "cmdrun error");
    }
}
