//! `cargo xtask new SLUG --part PART --title TITLE`: a chapter, its snippet
//! crate with a test, and its SUMMARY entry, all named after the slug.
use std::path::Path;

use anyhow::{bail, Context, Result};

#[derive(clap::Args)]
pub struct NewArgs {
    /// The note's slug: chapter file, crate and test name (e.g. `pidfd`).
    pub slug: String,
    /// The part (folder under src/).
    #[arg(long, value_parser = ["processes", "objects", "memory-io", "errors"])]
    pub part: String,
    /// The chapter's title in SUMMARY.md.
    #[arg(long)]
    pub title: String,
}

/// Part folder -> its heading in SUMMARY.md.
const PARTS: [(&str, &str); 4] = [
    ("processes", "# Processes"),
    ("objects", "# Objects and traits"),
    ("memory-io", "# Memory and I/O"),
    ("errors", "# Errors"),
];

const TEMPLATES: [(&str, &str); 4] = [
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
        "src/{part}/{slug}.md",
        include_str!("../templates/chapter.md"),
    ),
];

pub fn run(root: &Path, a: &NewArgs) -> Result<()> {
    let valid = a
        .slug
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase())
        && a.slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        bail!(
            "slug `{}` must be lowercase letters, digits and '-', starting with a letter",
            a.slug
        );
    }
    if root.join("snippets").join(&a.slug).exists() {
        bail!("snippets/{} already exists", a.slug);
    }
    let fill = |s: &str| {
        s.replace("{slug}", &a.slug)
            .replace("{part}", &a.part)
            .replace("{title}", &a.title)
    };
    let summary_path = root.join("src/SUMMARY.md");
    let summary = std::fs::read_to_string(&summary_path).context("reading src/SUMMARY.md")?;
    let summary = add_entry(
        &summary,
        &a.part,
        &format!("- [{}]({}/{}.md)", a.title, a.part, a.slug),
    )?;
    for (path, text) in TEMPLATES {
        let path = root.join(fill(path));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(&path, fill(text)).with_context(|| format!("writing {}", path.display()))?;
        eprintln!(
            "xtask: created {}",
            path.strip_prefix(root).unwrap_or(&path).display()
        );
    }
    std::fs::write(&summary_path, summary).context("writing src/SUMMARY.md")?;
    eprintln!(
        "xtask: added it to src/SUMMARY.md; now edit the files above and run `cargo xtask test`"
    );
    Ok(())
}

/// Inserts `entry` after the last list item of the part's section.
fn add_entry(summary: &str, part: &str, entry: &str) -> Result<String> {
    let heading = PARTS
        .iter()
        .find(|(p, _)| *p == part)
        .map(|(_, h)| *h)
        .context("unknown part")?;
    let lines: Vec<&str> = summary.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim() == heading)
        .with_context(|| format!("no `{heading}` in SUMMARY.md"))?;
    let end = lines[start + 1..]
        .iter()
        .position(|l| l.starts_with("# "))
        .map_or(lines.len(), |i| start + 1 + i);
    let last_item = (start..end)
        .rev()
        .find(|&i| lines[i].starts_with("- ["))
        .unwrap_or(start);
    let mut out: Vec<&str> = lines[..=last_item].to_vec();
    if last_item == start {
        out.push("");
    }
    out.push(entry);
    out.extend(&lines[last_item + 1..]);
    Ok(out.join("\n") + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_go_at_the_end_of_their_part() {
        let s =
            "# Summary\n\n# Processes\n\n- [A](processes/a.md)\n\n# Errors\n\n- [E](errors/e.md)\n";
        let out = add_entry(s, "processes", "- [B](processes/b.md)").unwrap();
        assert_eq!(out, "# Summary\n\n# Processes\n\n- [A](processes/a.md)\n- [B](processes/b.md)\n\n# Errors\n\n- [E](errors/e.md)\n");
        assert!(add_entry(s, "objects", "- [x](objects/x.md)").is_err());
    }
}
