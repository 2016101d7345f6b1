//! Prose must not state facts about the machine that built the book (its
//! kernel release, CPU count, glibc or rustc version, file system, user):
//! those come from a run, in an output block or the environment stamp, and
//! are different on the reader's machine. A version in the man-page sense
//! ("Linux 5.3 added pidfd_open", "since glibc 2.36") is history, not a
//! fact about this machine, and is fine.
//!
//! The rule, per sentence of prose (code blocks, HTML and link targets
//! left out):
//! - a number of cores or CPUs ("a 2-core machine", "4 CPUs") is always a
//!   machine fact;
//! - a version, file system, distribution or user ("Linux 6.18", "ext4",
//!   "Debian 12", "is root") is one when the sentence points at this
//!   machine ("this kernel", "the build machine", "here", ...), unless a
//!   word of history comes right before it ("since", "before", "added in").
use std::sync::LazyLock;

use regex::Regex;

use crate::chapters::Chapter;

/// Words that point at the machine the book was built on.
static DEICTIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(this|the build(ing)?|our|the current|the running) (kernel|machine|system|host|computer|box|vm|virtual machine|builder|build|distribution|toolchain|compiler|cpu)s?\b|\bthese machines\b|\bthe machine that builds\b|\bthe builder\b|\bhere\b",
    )
    .expect("valid regex")
});

/// A fact that is true of one machine, named in prose.
static FACT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        \b(?:Linux|kernel|glibc|libc|rustc|Rust|cargo|Debian|Ubuntu|Fedora|Python|gcc|clang)\ v?\d+(?:\.\d+)*\b
        | \b(?:ext[234]|xfs|btrfs|zfs|overlayfs)\b
        | \b(?:is|are|runs\ as|running\ as|ran\ as|as)\ root\b
        | \b\d+(?:\.\d+)?\ ?(?:GiB|GB)\ of\ (?:RAM|memory)\b
        ",
    )
    .expect("valid regex")
});

/// A count of processors: always about one machine.
static CPUS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(\d+|one|two|four|eight|sixteen)[- ](cores?|cpus?|vcpus?|processors)\b")
        .expect("valid regex")
});

/// A word of history right before a version: "since Linux 6.1".
static HISTORY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(since|before|until|till|after|from|in|added in|introduced in|as of|prior to|older than|newer than|up to|pre|post)\s*\(?$",
    )
    .expect("valid regex")
});

/// Link targets and bare URLs: their version numbers name documents.
static URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\]\([^)]*\)|https?://\S+").expect("valid regex"));

/// One problem per sentence that states a machine fact.
pub fn problems(ch: &Chapter) -> Vec<String> {
    let mut out = Vec::new();
    for (line, sentence) in sentences(&ch.text) {
        if let Some(fact) = machine_fact(&sentence) {
            out.push(format!(
                "{}:{line}: states a fact about the build machine ({fact:?}); \
                 the reader's machine differs: point at the environment stamp \
                 or an output line instead",
                ch.shown()
            ));
        }
    }
    out
}

/// The phrase that makes `sentence` a statement about the build machine.
fn machine_fact(sentence: &str) -> Option<String> {
    if let Some(m) = CPUS.find(sentence) {
        return Some(m.as_str().to_string());
    }
    DEICTIC.find(sentence)?;
    FACT.find_iter(sentence)
        .find(|m| !HISTORY.is_match(&sentence[..m.start()]))
        .map(|m| m.as_str().to_string())
}

/// The prose of a chapter as sentences, each with the line it starts on:
/// fenced code, HTML comments and lines of HTML are left out, and so are
/// link targets and URLs.
fn sentences(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut paragraph: Vec<(usize, String)> = Vec::new();
    let mut fence: Option<&str> = None;
    let mut in_comment = false;
    let flush = |paragraph: &mut Vec<(usize, String)>, out: &mut Vec<(usize, String)>| {
        split_sentences(paragraph, out);
        paragraph.clear();
    };
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if let Some(f) = fence {
            if t.starts_with(f) {
                fence = None;
            }
            continue;
        }
        if t.starts_with("```") || t.starts_with("~~~") {
            flush(&mut paragraph, &mut out);
            fence = Some(&t[..3]);
            continue;
        }
        if in_comment || t.starts_with("<!--") {
            in_comment = !line.contains("-->");
            continue;
        }
        if t.is_empty() || t.starts_with('<') || t.starts_with('#') {
            flush(&mut paragraph, &mut out);
            if t.starts_with('#') {
                paragraph.push((i + 1, t.trim_start_matches('#').to_string()));
                flush(&mut paragraph, &mut out);
            }
            continue;
        }
        paragraph.push((i + 1, URL.replace_all(line, "]").replace('`', "")));
    }
    flush(&mut paragraph, &mut out);
    out
}

/// Splits a paragraph (its lines, numbered) at sentence ends.
fn split_sentences(paragraph: &[(usize, String)], out: &mut Vec<(usize, String)>) {
    let mut current = String::new();
    let mut start = 0;
    for (n, line) in paragraph {
        for word in line.split_whitespace() {
            if current.is_empty() {
                start = *n;
            } else {
                current.push(' ');
            }
            current.push_str(word);
            let ends = word.ends_with(['.', '!', '?', ':', ';'])
                && !["e.g.", "i.e.", "etc.", "vs."].contains(&word);
            if ends {
                out.push((start, std::mem::take(&mut current)));
            }
        }
    }
    if !current.is_empty() {
        out.push((start, current));
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::chapters;

    fn fact(s: &str) -> Option<String> {
        machine_fact(s)
    }

    #[test]
    fn history_in_the_man_page_sense_is_fine() {
        for ok in [
            "Linux 5.3 added pidfd_open.",
            "pidfd_open(2) (Linux 5.3) returns a file descriptor for a process.",
            "Since Linux 6.1, the alignment can be queried with statx.",
            "before Linux 6.6 open with O_DIRECT failed there",
            "glibc has had a wrapper since 2.36, and the libc crate has none.",
            "ext4 reports the block device's values.",
            "here the trait method wins",
            "A process running as nobody cannot read root's files.",
            "this book's own snippet supervisor is a subreaper.",
            "On a 4096-byte sector disk the read fails.",
        ] {
            assert_eq!(fact(ok), None, "{ok}");
        }
    }

    #[test]
    fn facts_about_this_machine_are_found() {
        for (bad, found) in [
            (
                "Its line shows what this kernel (Linux 6.18) did with it.",
                "Linux 6.18",
            ),
            ("The build ran on a 2-core virtual machine.", "2-core"),
            (
                "Here the observer is root and the target's parent.",
                "is root",
            ),
            ("The build machine runs Debian 12.", "Debian 12"),
            ("This machine has 2 CPUs", "2 CPUs"),
            ("rustc 1.95.0 compiled this build.", "rustc 1.95.0"),
            ("the temp dir here is on ext4", "ext4"),
            (
                "The kernel here, since it is Linux 6.18, accepts it.",
                "Linux 6.18",
            ),
        ] {
            assert_eq!(fact(bad).as_deref(), Some(found), "{bad}");
        }
    }

    #[test]
    fn code_comments_and_links_are_not_prose() {
        let text = "# T\n\n```text\nthis kernel is Linux 6.18\n```\n\n<!-- this machine: 2 CPUs -->\n\n\
                    See [the lint](https://rust-lang.github.io/rust-clippy/rust-1.95.0/index.html) here.\n";
        assert!(sentences(text)
            .iter()
            .all(|(_, s)| machine_fact(s).is_none()));
        let lines: Vec<usize> = sentences("a\n\nb c.\nd here,\nLinux 6.18 e.\n")
            .iter()
            .map(|(n, _)| *n)
            .collect();
        assert_eq!(lines, [1, 3, 4]);
    }

    /// The fixture chapter states each kind of fact once, and a chapter of
    /// history states none: the lint must report exactly the first.
    #[test]
    fn the_fixture_chapter_fails_the_lint() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/machine-facts");
        let chapters = chapters::load(&root).unwrap();
        let found: Vec<String> = chapters.iter().flat_map(problems).collect();
        let at: Vec<&str> = found
            .iter()
            .map(|p| p.split(": states").next().unwrap())
            .collect();
        assert_eq!(
            at,
            [
                "src/part/facts.md:5",
                "src/part/facts.md:6",
                "src/part/facts.md:8",
                "src/part/facts.md:11",
                "src/part/facts.md:13",
            ],
            "{found:#?}"
        );
        assert!(found[0].contains("(\"Linux 6.18\")"), "{}", found[0]);
        assert!(Path::new(&root).join("src/part/history.md").is_file());
    }
}
