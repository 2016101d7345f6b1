//! `cargo xtask lint`: every directive has the one allowed form and names a
//! real snippet; names match across layers; chapters follow the template and
//! never paste code.
use std::path::Path;

use anyhow::{bail, Result};

use crate::chapters::{self, Chapter};

/// The chapter template (CONTRIBUTING.md), in order.
pub const SECTIONS: [&str; 5] = [
    "## The note",
    "## The Rust program",
    "## What it printed",
    "## Why",
    "## Going further",
];

pub fn run(root: &Path) -> Result<()> {
    let chapters = chapters::load(root)?;
    let problems = problems(root, &chapters);
    if problems.is_empty() {
        let n: usize = chapters.iter().map(|c| c.directives.len()).sum();
        eprintln!(
            "xtask: lint: {n} directives in {} chapters are well-formed",
            chapters.len()
        );
        return Ok(());
    }
    for p in &problems {
        eprintln!("  {p}");
    }
    bail!("lint found {} problem(s), listed above", problems.len())
}

pub fn problems(root: &Path, chapters: &[Chapter]) -> Vec<String> {
    let mut out = Vec::new();
    let summary = chapters.iter().find(|c| c.rel == Path::new("SUMMARY.md"));
    for ch in chapters {
        for d in &ch.directives {
            let at = format!("{}:{}", ch.shown(), d.line);
            match chapters::parse_args(d) {
                Err(e) => out.push(format!("{at}: bad cmdrun directive: {e}")),
                Ok(args) => out.extend(
                    check_args(root, ch, &args)
                        .into_iter()
                        .map(|e| format!("{at}: {e}")),
                ),
            }
        }
        if !ch.directives.is_empty() {
            out.extend(check_sections(ch));
            if let Some(s) = summary {
                if !s.text.contains(&format!("]({})", ch.rel.display())) {
                    out.push(format!("{}: not linked from src/SUMMARY.md", ch.shown()));
                }
            }
        }
        out.extend(check_code_blocks(ch));
    }
    out.extend(check_snippets(root, chapters));
    out
}

fn check_args(root: &Path, ch: &Chapter, a: &supervisor::Args) -> Vec<String> {
    let mut out = Vec::new();
    if a.slug != ch.slug() {
        out.push(format!(
            "runs snippet `{}`, but this chapter's snippet is `{}` (names match across layers)",
            a.slug,
            ch.slug()
        ));
    }
    let dir = root.join("snippets").join(&a.slug);
    if !dir.join("Cargo.toml").is_file() {
        out.push(format!("no snippet crate snippets/{}/", a.slug));
        return out;
    }
    if let Some(bin) = &a.bin {
        if !dir.join("src/bin").join(format!("{bin}.rs")).is_file() && bin != &a.slug {
            out.push(format!(
                "--bin {bin}: no snippets/{}/src/bin/{bin}.rs",
                a.slug
            ));
        }
    }
    if let Some(src) = &a.source {
        if !dir.join("compile_fail").join(format!("{src}.rs")).is_file() {
            out.push(format!(
                "--source {src}: no snippets/{}/compile_fail/{src}.rs",
                a.slug
            ));
        }
    }
    if a.exe.is_some() {
        out.push("--exe is for the supervisor's own tests, not for chapters".into());
    }
    out
}

fn check_sections(ch: &Chapter) -> Vec<String> {
    let heads: Vec<&str> = ch.text.lines().filter(|l| l.starts_with("## ")).collect();
    let found: Vec<&str> = heads
        .iter()
        .copied()
        .filter(|h| SECTIONS.contains(h))
        .collect();
    if found == SECTIONS {
        return Vec::new();
    }
    vec![format!(
        "{}: sections must include, in this order: {} (found {:?})",
        ch.shown(),
        SECTIONS.join(" / "),
        found
    )]
}

/// Rust code in a chapter comes from snippets/ by include, never pasted:
/// a ```rust block may hold only hidden `# ` lines and `{{#include}}`s.
fn check_code_blocks(ch: &Chapter) -> Vec<String> {
    let mut out = Vec::new();
    // None: outside a fence; Some(true): in a Rust fence not yet reported.
    let mut fence: Option<bool> = None;
    for (i, line) in ch.text.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with("```") {
            fence = match fence {
                Some(_) => None,
                None => Some(t.trim_start_matches('`').starts_with("rust")),
            };
            continue;
        }
        let allowed = t.is_empty() || t == "#" || t.starts_with("# ") || t.starts_with("{{#");
        if fence == Some(true) && !allowed {
            out.push(format!(
                "{}:{}: code pasted into a chapter; include it from snippets/ with {{{{#rustdoc_include}}}}",
                ch.shown(),
                i + 1
            ));
            fence = Some(false); // one message per block
        }
    }
    out
}

/// Every snippet crate has a chapter that runs it and a test file named after it.
fn check_snippets(root: &Path, chapters: &[Chapter]) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir(root.join("snippets")) else {
        return vec!["no snippets/ folder".into()];
    };
    let mut slugs: Vec<String> = dir
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    slugs.sort();
    for slug in slugs {
        let runs = chapters
            .iter()
            .any(|c| c.slug() == slug && !c.directives.is_empty());
        if !runs {
            out.push(format!(
                "snippets/{slug}/: no chapter src/<part>/{slug}.md runs it"
            ));
        }
        if !root
            .join("snippets")
            .join(&slug)
            .join("tests")
            .join(format!("{slug}.rs"))
            .is_file()
        {
            out.push(format!(
                "snippets/{slug}/: missing its test file tests/{slug}.rs"
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chapters::Directive;

    fn chapter(rel: &str, text: &str, command: &str) -> Chapter {
        Chapter {
            rel: rel.into(),
            text: text.into(),
            directives: vec![Directive {
                line: 3,
                command: command.into(),
            }],
        }
    }

    fn root() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
    }

    #[test]
    fn the_model_chapter_form_is_accepted() {
        let ch = chapter(
            "processes/zombie.md",
            "",
            "cargo run -q -p supervisor -- zombie --vary \"\\d+\"",
        );
        let args = chapters::parse_args(&ch.directives[0]).unwrap();
        assert!(check_args(root(), &ch, &args).is_empty());
    }

    #[test]
    fn other_forms_and_mismatched_names_are_rejected() {
        let raw = chapter("processes/zombie.md", "", "cargo run -p zombie");
        assert!(chapters::parse_args(&raw.directives[0])
            .unwrap_err()
            .contains("must start"));
        let bad_opt = chapter(
            "processes/zombie.md",
            "",
            "cargo run -q -p supervisor -- zombie --timeout never",
        );
        assert!(chapters::parse_args(&bad_opt.directives[0]).is_err());
        let other = chapter(
            "processes/other.md",
            "",
            "cargo run -q -p supervisor -- zombie",
        );
        let args = chapters::parse_args(&other.directives[0]).unwrap();
        assert!(check_args(root(), &other, &args)[0].contains("names match across layers"));
    }

    #[test]
    fn pasted_code_and_missing_sections_are_found() {
        let text = "# T\n## The note\n```rust\n# extern crate nix;\n{{#rustdoc_include a.rs:x}}\n```\n```rust\nfn main() {}\n```\n```text\nfree text\n```\n";
        let ch = chapter("processes/zombie.md", text, "");
        let pasted = check_code_blocks(&ch);
        assert_eq!(pasted.len(), 1, "{pasted:?}");
        assert!(
            pasted[0].starts_with("src/processes/zombie.md:8:"),
            "{pasted:?}"
        );
        assert_eq!(check_sections(&ch).len(), 1);
    }
}
