//! The lint's Python rules: a chapter shows a note's Python program only by
//! including it from `snippets/<slug>/python/`, every included program is
//! run by a `--python` directive of the same chapter (so its output on the
//! page is real), and every program folder has its pytest file.
use std::path::Path;

use crate::chapters::{self, Chapter};

/// Problems in one chapter's ```python blocks and `--python` directives.
pub fn check_chapter(root: &Path, ch: &Chapter) -> Vec<String> {
    let run: Vec<String> = ch
        .directives
        .iter()
        .filter_map(|d| chapters::parse_args(d).ok()?.python)
        .collect();
    let mut out = Vec::new();
    for d in &ch.directives {
        let Ok(args) = chapters::parse_args(d) else {
            continue;
        };
        if let Some(file) = args.python_file() {
            if !root.join(&file).is_file() {
                out.push(format!("{}:{}: --python: no {file}", ch.shown(), d.line));
            }
        }
    }
    let mut in_python = false;
    let mut reported = false;
    for (i, line) in ch.text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with("```") {
            in_python = !in_python && t.trim_start_matches('`').starts_with("python");
            reported = false;
            continue;
        }
        if !in_python || t.is_empty() {
            continue;
        }
        let at = format!("{}:{}", ch.shown(), i + 1);
        match included_program(t) {
            None if !reported => {
                out.push(format!(
                    "{at}: Python pasted into a chapter; include it from snippets/<slug>/python/ with {{{{#include}}}}"
                ));
                reported = true;
            }
            None => {}
            Some((slug, _)) if slug != ch.slug() => out.push(format!(
                "{at}: includes snippets/{slug}/python/, but this chapter's snippet is `{}`",
                ch.slug()
            )),
            Some((_, name)) if !run.contains(&name) => out.push(format!(
                "{at}: no directive in this chapter runs `--python {name}`, so the page would show code without its output"
            )),
            Some((slug, name)) if !t.contains(".py:") && has_anchors(root, &slug, &name) => {
                out.push(format!(
                    "{at}: includes all of {name}.py, whose ANCHOR lines mdBook would show; include an anchor, or drop the anchors"
                ))
            }
            Some(_) => {}
        }
    }
    out
}

/// `{{#include ../../snippets/<slug>/python/<name>.py[:anchor]}}` (or
/// `{{#rustdoc_include …:anchor}}`, the region shown and the rest of the
/// program as hidden lines) -> (slug, name).
fn included_program(line: &str) -> Option<(String, String)> {
    let file = line
        .strip_prefix("{{#include ")
        .or_else(|| line.strip_prefix("{{#rustdoc_include "))?
        .strip_suffix("}}")?;
    let file = file.split(':').next()?;
    let (before, name) = file.rsplit_once("/python/")?;
    let slug = before.rsplit('/').next()?;
    let name = name.strip_suffix(".py")?;
    Some((slug.to_string(), name.to_string()))
}

fn has_anchors(root: &Path, slug: &str, name: &str) -> bool {
    let file = root.join(format!("snippets/{slug}/python/{name}.py"));
    std::fs::read_to_string(file).is_ok_and(|t| t.contains("ANCHOR:"))
}

/// A note whose snippet has a `python/` folder shows its program's output
/// under "## The note": a `--python` directive in that section.
pub fn check_note(root: &Path, ch: &Chapter) -> Vec<String> {
    if ch.rel.components().count() < 2
        || !root
            .join("snippets")
            .join(ch.slug())
            .join("python")
            .is_dir()
    {
        return Vec::new();
    }
    let lines: Vec<&str> = ch.text.lines().collect();
    let start = lines.iter().position(|l| *l == "## The note");
    let end = start.and_then(|s| {
        (s + 1..lines.len())
            .find(|&i| lines[i].starts_with("## "))
            .or(Some(lines.len()))
    });
    let runs = match (start, end) {
        (Some(s), Some(e)) => ch.directives.iter().any(|d| {
            d.line > s && d.line <= e && chapters::parse_args(d).is_ok_and(|a| a.python.is_some())
        }),
        _ => false,
    };
    if runs {
        return Vec::new();
    }
    vec![format!(
        "{}: \"## The note\" has no --python directive, though snippets/{}/python/ exists",
        ch.shown(),
        ch.slug()
    )]
}

/// A snippet with a `python/` folder has its tests in `python/test_<slug>.py`
/// (the slug with `_` for `-`, as Python module names go).
pub fn check_snippet(root: &Path, slug: &str) -> Vec<String> {
    let dir = root.join("snippets").join(slug).join("python");
    if !dir.is_dir() {
        return Vec::new();
    }
    let test = format!("test_{}.py", slug.replace('-', "_"));
    if dir.join(&test).is_file() {
        return Vec::new();
    }
    vec![format!(
        "snippets/{slug}/python/: missing its test file python/{test}"
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chapters::Directive;

    fn chapter(text: &str, command: &str) -> Chapter {
        Chapter {
            rel: "processes/zombie.md".into(),
            text: text.into(),
            directives: vec![Directive {
                line: 1,
                command: command.into(),
            }],
        }
    }

    fn root() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
    }

    const RUN: &str =
        "${RSP_SUPERVISOR:-cargo run -q -p supervisor --} zombie --python subprocess_wait";
    const BLOCK: &str =
        "```python\n{{#rustdoc_include ../../snippets/zombie/python/subprocess_wait.py:cases}}\n```\n";

    #[test]
    fn an_included_program_with_its_directive_passes() {
        assert_eq!(
            check_chapter(root(), &chapter(BLOCK, RUN)),
            Vec::<String>::new()
        );
    }

    #[test]
    fn pasted_python_and_a_program_without_output_are_found() {
        let pasted = chapter("```python\nimport os\nprint(1)\n```\n", RUN);
        let found = check_chapter(root(), &pasted);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("Python pasted"), "{found:?}");

        let unrun = chapter(
            BLOCK,
            "${RSP_SUPERVISOR:-cargo run -q -p supervisor --} zombie",
        );
        let found = check_chapter(root(), &unrun);
        assert!(
            found[0].contains("runs `--python subprocess_wait`"),
            "{found:?}"
        );

        let missing = chapter(
            "",
            "${RSP_SUPERVISOR:-cargo run -q -p supervisor --} zombie --python nope",
        );
        let found = check_chapter(root(), &missing);
        assert!(
            found[0].contains("no snippets/zombie/python/nope.py"),
            "{found:?}"
        );
    }

    #[test]
    fn a_whole_file_with_anchors_is_found() {
        let text = "```python\n{{#include ../../snippets/set-update/python/set_update.py}}\n```\n";
        let ch = Chapter {
            rel: "objects/set-update.md".into(),
            text: text.into(),
            directives: vec![Directive {
                line: 1,
                command: "${RSP_SUPERVISOR:-cargo run -q -p supervisor --} set-update --python set_update".into(),
            }],
        };
        let found = check_chapter(root(), &ch);
        assert!(
            found[0].contains("whose ANCHOR lines mdBook would show"),
            "{found:?}"
        );
    }

    #[test]
    fn the_note_section_runs_the_program() {
        let text = "# Z\n## The note\n\n<!-- cmdrun x -->\n## The Rust program\n";
        let mut ch = chapter(text, RUN);
        ch.directives[0].line = 4;
        assert!(check_note(root(), &ch).is_empty());
        ch.directives[0].line = 6;
        assert!(check_note(root(), &ch)[0].contains("has no --python directive"));
    }

    #[test]
    fn every_program_folder_has_its_tests() {
        assert!(check_snippet(root(), "zombie").is_empty());
        assert!(check_snippet(root(), "no-such-snippet").is_empty());
    }
}
