//! `cargo xtask new SLUG --part PART --title TITLE`: a whole chapter from
//! xtask/templates/, every file named after the slug: the page, the snippet
//! crate and its test, the Python program and its test, the Try it, and
//! the SUMMARY entry.
use std::path::Path;

use anyhow::{bail, Context, Result};

#[derive(clap::Args)]
pub struct NewArgs {
    /// The chapter's slug: its file, crate and test names (e.g. `exec-keeps`).
    pub slug: String,
    /// The part: a folder under src/ (`processes`, `objects`, …).
    #[arg(long)]
    pub part: String,
    /// The chapter's title in SUMMARY.md.
    #[arg(long)]
    pub title: String,
    /// A new part's heading in SUMMARY.md, when src/PART/ has no chapter yet.
    #[arg(long)]
    pub part_title: Option<String>,
}

/// Each file, its path with `{slug}`, `{part}` and `{python}` to fill in.
const TEMPLATES: [(&str, &str); 7] = [
    (
        "src/{part}/{slug}.md",
        include_str!("../templates/chapter.md"),
    ),
    (
        "snippets/{slug}/Cargo.toml",
        include_str!("../templates/Cargo.toml"),
    ),
    (
        "snippets/{slug}/src/main.rs",
        include_str!("../templates/main.rs"),
    ),
    (
        "snippets/{slug}/tests/{slug}.rs",
        include_str!("../templates/test.rs"),
    ),
    (
        "snippets/{slug}/python/{python}.py",
        include_str!("../templates/note.py"),
    ),
    (
        "snippets/{slug}/python/test_{python}.py",
        include_str!("../templates/test_note.py"),
    ),
    (
        "snippets/{slug}/try-it.toml",
        include_str!("../templates/try-it.toml"),
    ),
];

pub fn run(root: &Path, a: &NewArgs) -> Result<()> {
    let valid = |s: &str| {
        s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    if !valid(&a.slug) || !valid(&a.part) {
        bail!("a slug and a part are lowercase letters, digits and '-', starting with a letter");
    }
    if root.join("snippets").join(&a.slug).exists() {
        bail!("snippets/{} already exists", a.slug);
    }
    let summary_path = root.join("src/SUMMARY.md");
    let summary = std::fs::read_to_string(&summary_path).context("reading src/SUMMARY.md")?;
    let summary = add_entry(&summary, a)?;
    for (path, text) in TEMPLATES {
        let path = root.join(fill(path, a));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(&path, fill(text, a))
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!(
            "xtask: created {}",
            path.strip_prefix(root).unwrap_or(&path).display()
        );
    }
    std::fs::write(&summary_path, summary).context("writing src/SUMMARY.md")?;
    for theme in TWIN_TABLES {
        let path = root.join(theme);
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {theme}"))?;
        std::fs::write(&path, add_twin_row(&text, &a.part, &a.slug)?)
            .with_context(|| format!("writing {theme}"))?;
    }
    eprintln!(
        "xtask: added it to src/SUMMARY.md. Next:
  1. write the programs (snippets/{slug}/src/main.rs, python/{python}.py) and their tests;
  2. write the page, src/{part}/{slug}.md, and the edit of snippets/{slug}/try-it.toml;
  3. `cargo xtask serve` to see it, `cargo xtask check {slug}` to check it;
  4. `cargo xtask i18n update`, then translate its messages in po/zh-TW.po (TRANSLATIONS.md).",
        slug = a.slug,
        part = a.part,
        python = python_name(&a.slug)
    );
    Ok(())
}

/// The templates whose table of pages gives each page its twin's link
/// (handlebars has no string functions to make `x.html` of `x.md`).
const TWIN_TABLES: [&str; 2] = ["theme/head.hbs", "theme/header.hbs"];

/// A row for `src/<part>/<slug>.md` in a twin table, before the pages
/// after the parts.
fn add_twin_row(text: &str, part: &str, slug: &str) -> Result<String> {
    let before = r#"{{#if (eq path "about.md")}}"#;
    anyhow::ensure!(
        text.contains(before),
        "no row for about.md to add a page before"
    );
    let row = format!(r#"{{{{#if (eq path "{part}/{slug}.md")}}}}{part}/{slug}.html{{{{/if}}}}"#);
    Ok(text.replacen(before, &format!("{row}{before}"), 1))
}

/// The Python program's name: the slug with `_` for `-`.
fn python_name(slug: &str) -> String {
    slug.replace('-', "_")
}

fn fill(s: &str, a: &NewArgs) -> String {
    s.replace("{slug}", &a.slug)
        .replace("{part}", &a.part)
        .replace("{python}", &python_name(&a.slug))
        .replace("{title}", &a.title)
}

/// SUMMARY.md with the chapter's entry after the last chapter of its part
/// (the part whose entries link into `<part>/`), or, with `--part-title`,
/// in a new part before the pages after the parts.
fn add_entry(summary: &str, a: &NewArgs) -> Result<String> {
    let entry = format!("- [{}]({}/{}.md)", a.title, a.part, a.slug);
    let lines: Vec<&str> = summary.lines().collect();
    let in_part =
        |l: &&str| l.trim_start().starts_with("- [") && l.contains(&format!("]({}/", a.part));
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    match (lines.iter().rposition(in_part), &a.part_title) {
        (Some(last), None) => out.insert(last + 1, entry),
        (Some(_), Some(_)) => bail!("src/{}/ is a part already: drop --part-title", a.part),
        (None, None) => bail!(
            "no chapter of SUMMARY.md is in src/{}/: give the new part's heading with --part-title",
            a.part
        ),
        (None, Some(title)) => {
            // Before the separator that starts the pages after the parts.
            let at = lines
                .iter()
                .rposition(|l| l.trim() == "---")
                .unwrap_or(lines.len());
            let part = [format!("# {title}"), String::new(), entry, String::new()];
            out.splice(at..at, part);
        }
    }
    Ok(out.join("\n") + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(part: &str, part_title: Option<&str>) -> NewArgs {
        NewArgs {
            slug: "b".into(),
            part: part.into(),
            title: "B".into(),
            part_title: part_title.map(String::from),
        }
    }

    const SUMMARY: &str =
        "# Summary\n\n# Processes\n\n- [A](processes/a.md)\n\n# Errors\n\n- [E](errors/e.md)\n\n---\n\n[About](about.md)\n";

    #[test]
    fn entries_go_at_the_end_of_their_part() {
        let out = add_entry(SUMMARY, &args("processes", None)).unwrap();
        assert!(
            out.contains("- [A](processes/a.md)\n- [B](processes/b.md)\n\n# Errors"),
            "{out}"
        );
        assert!(add_entry(SUMMARY, &args("objects", None)).is_err());
        assert!(add_entry(SUMMARY, &args("processes", Some("P"))).is_err());
        let new = add_entry(SUMMARY, &args("production", Some("In production"))).unwrap();
        assert!(
            new.contains(
                "- [E](errors/e.md)\n\n# In production\n\n- [B](production/b.md)\n\n---\n"
            ),
            "{new}"
        );
    }

    /// A scaffolded chapter, in a copy of this book, holds every part the
    /// lint requires: nothing of it is reported.
    #[test]
    fn the_scaffold_passes_the_lint() {
        let root = crate::setup::workspace_root().unwrap();
        let copy = std::env::temp_dir().join(format!("xtask-new-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&copy);
        for dir in ["src", "snippets", "theme"] {
            copy_dir(&root.join(dir), &copy.join(dir));
        }
        let a = NewArgs {
            slug: "exec-keeps".into(),
            part: "processes".into(),
            title: "What exec keeps".into(),
            part_title: None,
        };
        run(&copy, &a).unwrap();
        let chapters = crate::chapters::load(&copy).unwrap();
        let problems = crate::lint::problems(&copy, &chapters);
        let mine: Vec<&String> = problems
            .iter()
            .filter(|p| p.contains("exec-keeps") || p.contains("exec_keeps"))
            .collect();
        std::fs::remove_dir_all(&copy).unwrap();
        assert!(mine.is_empty(), "{mine:#?}");
    }

    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap().flatten() {
            let name = e.file_name();
            if name == "target" {
                continue;
            }
            if e.path().is_dir() {
                copy_dir(&e.path(), &to.join(&name));
            } else {
                std::fs::copy(e.path(), to.join(&name)).unwrap();
            }
        }
    }
}
