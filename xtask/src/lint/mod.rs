//! `cargo xtask lint`: every directive has the one allowed form and names a
//! real snippet; names match across layers; chapters follow the template
//! (a "Try it" included), never paste code, show only whole, unindented
//! regions of their snippets, and never state facts about the build machine.
mod facts;
mod python;
mod regions;

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
    check(root, &chapters::load(root)?)
}

/// The lint of chapters loaded already.
pub fn check(root: &Path, chapters: &[Chapter]) -> Result<()> {
    let problems = problems(root, chapters);
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
        if in_part(ch) {
            out.extend(check_sections(ch));
            out.extend(check_try_it(root, ch));
        }
        if !ch.directives.is_empty() {
            if let Some(s) = summary {
                if !s.text.contains(&format!("]({})", ch.rel.display())) {
                    out.push(format!("{}: not linked from src/SUMMARY.md", ch.shown()));
                }
            }
        }
        out.extend(check_code_blocks(ch));
        out.extend(check_compile_fail(ch));
        out.extend(python::check_chapter(root, ch));
        out.extend(python::check_note(root, ch));
        if ch.rel != Path::new("SUMMARY.md") {
            out.extend(facts::problems(ch));
        }
    }
    out.extend(check_snippets(root, chapters));
    out.extend(regions::problems(root, chapters));
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
    if let (Some(src), Some(file)) = (&a.source, a.source_file()) {
        if !dir.join(&file).is_file() {
            out.push(format!("--source {src}: no snippets/{}/{file}", a.slug));
        }
    }
    if a.exe.is_some() {
        out.push("--exe is for the supervisor's own tests, not for chapters".into());
    }
    out
}

/// The template is for the notes, which live in a part folder
/// (`src/<part>/<slug>.md`); pages at the top of src/ (the introduction,
/// "About this build") have their own shape, directive or not.
fn in_part(ch: &Chapter) -> bool {
    ch.rel.components().count() > 1
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

/// Every note has a "Try it" under "What it printed": an edit, kept as
/// data in `snippets/<slug>/try-it.toml`, whose run (`--try-it`) the
/// section shows.
pub const TRY_IT: &str = "### Try it";

fn check_try_it(root: &Path, ch: &Chapter) -> Vec<String> {
    let heads: Vec<&str> = ch
        .text
        .lines()
        .filter(|l| l.starts_with("## ") || *l == TRY_IT)
        .collect();
    let printed = heads.iter().position(|h| *h == "## What it printed");
    let try_it = heads.iter().position(|h| *h == TRY_IT);
    if !matches!((printed, try_it), (Some(p), Some(t)) if t == p + 1) {
        return vec![format!(
            "{}: needs a `{TRY_IT}` section right after `## What it printed`: an edit to make in \
             the block, and what the edited program then does",
            ch.shown()
        )];
    }
    let start = ch.text.find(TRY_IT).unwrap_or_default();
    let end = ch.text[start..]
        .find("\n## ")
        .map_or(ch.text.len(), |e| start + e);
    let runs_it = ch
        .directives
        .iter()
        .filter(|d| chapters::parse_args(d).is_ok_and(|a| a.try_it))
        .any(|d| {
            let at = ch
                .text
                .lines()
                .take(d.line - 1)
                .map(|l| l.len() + 1)
                .sum::<usize>();
            (start..end).contains(&at)
        });
    let mut out = Vec::new();
    if !runs_it {
        out.push(format!(
            "{}: its `{TRY_IT}` runs no `--try-it` directive, so the page would quote the edit's result instead of showing it",
            ch.shown()
        ));
    }
    let data = root
        .join("snippets")
        .join(ch.slug())
        .join(supervisor::try_it::FILE);
    if !data.is_file() {
        out.push(format!(
            "{}: no snippets/{}/{}: the Try it's edit and what it must do",
            ch.shown(),
            ch.slug(),
            supervisor::try_it::FILE
        ));
    } else if let Err(e) = supervisor::try_it::TryIt::load(root, ch.slug()) {
        out.push(format!("{}: {e}", ch.shown()));
    }
    out
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

/// Stable rustdoc checks only that a `compile_fail` block fails, not its
/// error code. So each such block must name a code and include a file that a
/// directive in the same chapter really compiles expecting that code.
fn check_compile_fail(ch: &Chapter) -> Vec<String> {
    let expected: Vec<(String, String)> = ch
        .directives
        .iter()
        .filter_map(|d| chapters::parse_args(d).ok())
        .filter_map(|a| Some((a.expect_compile_error?, a.source?)))
        .collect();
    let mut out = Vec::new();
    let lines: Vec<&str> = ch.text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let Some(info) = line.trim_start().strip_prefix("```rust") else {
            continue;
        };
        let words: Vec<&str> = info.split(',').map(str::trim).collect();
        if !words.contains(&"compile_fail") {
            continue;
        }
        let at = format!("{}:{}", ch.shown(), i + 1);
        let Some(code) = words
            .iter()
            .find(|w| w.len() == 5 && w.starts_with('E'))
            .map(|w| w.to_string())
        else {
            out.push(format!(
                "{at}: a compile_fail block must carry its error code, e.g. compile_fail,E0046"
            ));
            continue;
        };
        let source = lines.get(i + 1).and_then(|l| {
            let file = l.trim().strip_prefix("{{#include ")?.strip_suffix("}}")?;
            let name = file.rsplit_once("/compile_fail/")?.1.strip_suffix(".rs")?;
            Some(name.to_string())
        });
        match source {
            None => out.push(format!("{at}: a compile_fail block must include a file from snippets/<slug>/compile_fail/")),
            Some(name) if !expected.contains(&(code.clone(), name.clone())) => out.push(format!(
                "{at}: no directive in this chapter runs `--expect-compile-error {code} --source {name}`, so nothing checks the code"
            )),
            Some(_) => {}
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
        out.extend(python::check_snippet(root, &slug));
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
            "${RSP_SUPERVISOR:-cargo run -q -p supervisor --} zombie --vary \"\\d+\"",
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
            "${RSP_SUPERVISOR:-cargo run -q -p supervisor --} zombie --timeout never",
        );
        assert!(chapters::parse_args(&bad_opt.directives[0]).is_err());
        let other = chapter(
            "processes/other.md",
            "",
            "${RSP_SUPERVISOR:-cargo run -q -p supervisor --} zombie",
        );
        let args = chapters::parse_args(&other.directives[0]).unwrap();
        assert!(check_args(root(), &other, &args)[0].contains("names match across layers"));
    }

    #[test]
    fn compile_fail_blocks_need_a_code_and_a_directive_that_checks_it() {
        let block = "```rust,compile_fail,E0046\n{{#include ../../snippets/zombie/compile_fail/missing.rs}}\n```\n";
        let checked =
            "${RSP_SUPERVISOR:-cargo run -q -p supervisor --} zombie --expect-compile-error E0046 --source missing";
        assert!(check_compile_fail(&chapter("processes/zombie.md", block, checked)).is_empty());
        let wrong_code =
            "${RSP_SUPERVISOR:-cargo run -q -p supervisor --} zombie --expect-compile-error E0277 --source missing";
        assert_eq!(
            check_compile_fail(&chapter("processes/zombie.md", block, wrong_code)).len(),
            1
        );
        let no_code = block.replace(",E0046", "");
        let found = check_compile_fail(&chapter("processes/zombie.md", &no_code, checked));
        assert!(found[0].contains("must carry its error code"), "{found:?}");
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

#[cfg(test)]
mod template_tests {
    use std::path::PathBuf;

    use super::*;
    use crate::chapters::Directive;

    fn chapter(rel: &str, text: &str) -> Chapter {
        let directives = text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.starts_with("<!-- cmdrun "))
            .map(|(i, l)| Directive {
                line: i + 1,
                command: l
                    .trim_start_matches("<!-- cmdrun ")
                    .trim_end_matches("-->")
                    .trim()
                    .to_string(),
            })
            .collect();
        Chapter {
            rel: PathBuf::from(rel),
            text: text.to_string(),
            directives,
        }
    }

    const DIRECTIVE: &str =
        "<!-- cmdrun ${RSP_SUPERVISOR:-cargo run -q -p supervisor --} about -->";

    #[test]
    fn the_template_applies_to_chapters_in_a_part_folder() {
        let text = format!("# Title\n\n{DIRECTIVE}\n");
        let part = chapter("processes/about.md", &text);
        let problems = check_sections(&part);
        assert!(in_part(&part));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("## The note / ## The Rust program"));
        // The same page at the top of src/ is not a note.
        assert!(!in_part(&chapter("about.md", &text)));
        assert!(!in_part(&chapter("introduction.md", "# Introduction\n")));
    }

    #[test]
    fn a_note_needs_its_try_it_after_the_output_and_run() {
        let root = crate::setup::workspace_root().unwrap();
        let run =
            "<!-- cmdrun ${RSP_SUPERVISOR:-cargo run -q -p supervisor --} zombie --try-it -->";
        let check = |text: &str| check_try_it(&root, &chapter("processes/zombie.md", text));
        let ok = format!("## What it printed\n\nout\n\n### Try it\n\nedit\n\n{run}\n\n## Why\n");
        assert!(check(&ok).is_empty(), "{:?}", check(&ok));
        let missing = "## What it printed\n\nout\n\n## Why\n";
        assert_eq!(check(missing).len(), 1);
        let late = format!("## What it printed\n\n## Why\n\n### Try it\n\n{run}\n");
        assert_eq!(check(&late).len(), 1);
        let quoted = "## What it printed\n\nout\n\n### Try it\n\nIt says `zombie: x`.\n\n## Why\n";
        assert!(check(quoted)[0].contains("runs no `--try-it` directive"));
        let elsewhere = check_try_it(&root, &chapter("processes/none.md", &ok));
        assert!(
            elsewhere
                .iter()
                .any(|p| p.contains("no snippets/none/try-it.toml")),
            "{elsewhere:?}"
        );
    }

    #[test]
    fn a_top_level_page_with_a_directive_is_still_checked() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let summary = chapter("SUMMARY.md", "# Summary\n\n[Intro](introduction.md)\n");
        let bad = chapter(
            "about.md",
            "# About\n\n<!-- cmdrun ${RSP_SUPERVISOR:-cargo run -q -p supervisor --} nope -->\n",
        );
        let problems = problems(root, &[summary, bad]);
        let joined = problems.join("\n");
        assert!(
            joined.contains("src/about.md:3: runs snippet `nope`"),
            "{joined}"
        );
        assert!(
            joined.contains("src/about.md: not linked from src/SUMMARY.md"),
            "{joined}"
        );
        assert!(!joined.contains("sections must include"), "{joined}");
    }
}
