//! The Markdown a directive is replaced with. The classes are styled by
//! theme/rsp.css; xtask checks built pages for `rsp-run` blocks and for
//! `supervisor error`.
use std::fmt::Write;
use std::path::Path;

/// Marker xtask looks for in built pages.
pub const ERROR_MARKER: &str = "supervisor error";

/// The one-line environment stamp (`about --line`) that `cargo xtask build`
/// computes once per build and passes down; when it is unset (plain
/// `mdbook build`), blocks get no footer.
pub const STAMP_ENV: &str = "RSP_STAMP";

/// The snippet of the "About this build" page (`src/about.md`), which the
/// footer links to.
pub const ABOUT_SLUG: &str = "about";

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Block {
    pub slug: String,
    /// The command a reader can type from the repository root.
    pub command: String,
    /// How it ended, in words ("exit status 0", "killed by SIGABRT (expected)").
    pub status: String,
    pub output: String,
    /// Set when the run failed; the one-line reason naming snippet and chapter.
    pub error: Option<String>,
    /// Drawn from this run (`--timeline`, `--plot`): see crate::picture.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pictures: Vec<crate::picture::Picture>,
}

/// The footer under a block: where it ran, and a link to the page that
/// explains the stamp, relative to the chapter (`../about.md`).
pub struct Footer {
    pub stamp: String,
    pub about: Option<String>,
    /// When the block's run happened, for a page served from kept records
    /// (`cargo xtask serve`: "at 14:02:31"); `None` in a build, where every
    /// block ran when the book was built.
    pub ran: Option<String>,
}

impl Footer {
    /// The stamp (from [`STAMP_ENV`]), with the link computed from the
    /// chapter folder cmdrun runs us in (`<root>/src/<part>`).
    pub fn new(stamp: &str, root: Option<&Path>, cwd: &Path) -> Option<Footer> {
        let stamp = stamp.trim();
        if stamp.is_empty() {
            return None;
        }
        let about = root
            .and_then(|r| cwd.strip_prefix(r.join("src")).ok())
            .map(|rel| "../".repeat(rel.components().count()) + "about.md");
        Some(Footer {
            stamp: stamp.to_string(),
            about,
            ran: None,
        })
    }

    /// The footer of `slug`'s block run in `cwd`, as [`render`] makes it:
    /// the "About this build" page does not link to itself.
    pub fn for_block(slug: &str, stamp: &str, root: Option<&Path>, cwd: &Path) -> Option<Footer> {
        let mut footer = Footer::new(stamp, root, cwd);
        if let Some(f) = footer.as_mut().filter(|_| slug == ABOUT_SLUG) {
            f.about = None; // the page would link to itself
        }
        footer
    }
}

/// What a block shows for the folder of the clone that built the book
/// (Python makes a script's path absolute in a traceback).
pub const CLONE: &str = "‹clone›";

/// What a block shows for the builder's home folder.
pub const HOME: &str = "~";

/// `text` as a block may show it: the builder's checkout and home folders
/// are nobody else's, so the clone's root becomes [`CLONE`] and the home
/// folder [`HOME`] (a reader's own run prints their folders there).
pub fn mask_paths(text: &str, root: &Path) -> String {
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    mask_paths_with(text, root, home.as_deref())
}

/// [`mask_paths`] with the home folder given.
pub fn mask_paths_with(text: &str, root: &Path, home: Option<&Path>) -> String {
    let mut out = text.to_string();
    let folders = [(Some(root), CLONE), (home, HOME)];
    for (folder, shown) in folders {
        let Some(folder) = folder.and_then(Path::to_str) else {
            continue;
        };
        let folder = folder.trim_end_matches('/');
        // `/` or a relative path would match far too much.
        if folder.len() < 2 || !folder.starts_with('/') {
            continue;
        }
        out = replace_folder(&out, folder, shown);
    }
    out
}

/// `folder` replaced where it is a whole path or the start of one (followed
/// by `/`, a quote, a space or the end), not inside a longer name.
fn replace_folder(text: &str, folder: &str, shown: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(folder) {
        let after = &rest[at + folder.len()..];
        let whole = after
            .chars()
            .next()
            .is_none_or(|c| !(c.is_alphanumeric() || "_-.".contains(c)));
        out.push_str(&rest[..at]);
        out.push_str(if whole { shown } else { folder });
        rest = after;
    }
    out.push_str(rest);
    out
}

/// [`render_with`] and the footer from the environment.
pub fn render(b: &Block) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    let root = crate::locate::workspace_root(&cwd);
    let stamp = std::env::var(STAMP_ENV).unwrap_or_default();
    let footer = Footer::for_block(&b.slug, &stamp, root.as_deref(), &cwd);
    render_with(b, footer.as_ref())
}

/// How the run ended, for the theme: a plain success, the outcome the
/// chapter is about (an expected exit code, signal or compiler error), or a
/// failure.
pub fn kind(b: &Block) -> &'static str {
    if b.error.is_some() {
        "rsp-run-failed"
    } else if b.status.ends_with("(expected)") {
        "rsp-run-expected"
    } else {
        "rsp-run-ok"
    }
}

pub fn render_with(b: &Block, footer: Option<&Footer>) -> String {
    let mut md = String::new();
    // One HTML line, a blank line, then Markdown: CommonMark ends an HTML block
    // at a blank line, so the fence below is still parsed as code.
    let _ = writeln!(
        md,
        "<div class=\"rsp-run {}\" data-snippet=\"{}\" data-status=\"{}\"><div class=\"rsp-run-head\"><span class=\"rsp-run-label\">Output</span> <code class=\"rsp-run-cmd\">$ {}</code> <span class=\"rsp-run-status\" title=\"how the program ended\">{}</span></div>",
        kind(b),
        escape(&b.slug),
        escape(&b.status),
        escape(&b.command),
        escape(&b.status),
    );
    md.push('\n');
    if let Some(err) = &b.error {
        let _ = writeln!(md, "**{ERROR_MARKER}**: {}\n", escape(err));
    }
    let fence = "`".repeat(longest_backtick_run(&b.output).max(2) + 1);
    for p in b.pictures.iter().filter(|p| p.above) {
        let _ = writeln!(md, "{}\n", p.html);
    }
    let _ = writeln!(md, "{fence}text\n{}\n{fence}\n", b.output.trim_end());
    for p in b.pictures.iter().filter(|p| !p.above) {
        let _ = writeln!(md, "{}\n", p.html);
    }
    if let Some(f) = footer {
        // Markdown, not HTML, so mdbook rewrites the link for every page and
        // for print.html.
        let about = match &f.about {
            Some(link) => format!(" ([about this build]({link}))"),
            None => String::new(),
        };
        let when = match &f.ran {
            Some(at) => format!("Ran {}", escape_markdown(at)),
            None => "Ran when the book was built".to_string(),
        };
        let _ = writeln!(
            md,
            "<div class=\"rsp-stamp\">\n\n{when}: {}{about}\n\n</div>\n",
            escape_markdown(f.stamp.lines().next().unwrap_or_default())
        );
    }
    md.push_str("</div>\n");
    md
}

/// "at 14:02:31", local time, for a block served from a kept record.
pub fn local_time(unix: u64) -> String {
    let t = unix as libc::time_t;
    // SAFETY: localtime_r only writes into the struct we own.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    if unsafe { libc::localtime_r(&t, &mut tm) }.is_null() {
        return format!("at {unix}");
    }
    format!("at {:02}:{:02}:{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec)
}

/// A Try it's block: collapsed under a summary (theme/lang.js translates
/// it), carrying its edits for a served page's "Try it" button.
pub fn try_it(markdown: &str, edits: &[crate::try_it::Edit]) -> String {
    let edits = serde_json::to_string(edits).unwrap_or_default();
    format!(
        "<details class=\"rsp-try\" data-edits=\"{}\"><summary>What the edited program says</summary>\n\n{markdown}\n</details>\n",
        escape(&edits)
    )
}

fn longest_backtick_run(s: &str) -> usize {
    s.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Text that Markdown must show as it is (the stamp comes from os-release,
/// uname and rustc, which could hold `*` or `[`).
fn escape_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '!' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '&' => out.push_str("&amp;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(output: &str, error: Option<&str>) -> String {
        render(&Block {
            slug: "zombie".into(),
            command: "cargo run -p zombie".into(),
            status: "exit status 0".into(),
            output: output.into(),
            error: error.map(String::from),
            pictures: vec![],
        })
    }

    #[test]
    fn output_with_backticks_gets_a_longer_fence() {
        let md = block("a ``` b", None);
        assert!(md.contains("````text\na ``` b\n````"), "{md}");
    }

    #[test]
    fn errors_carry_the_marker_and_escape_html() {
        let md = block("x", Some("snippet `zombie`: <boom>"));
        assert!(
            md.contains("**supervisor error**: snippet `zombie`: &lt;boom&gt;"),
            "{md}"
        );
        assert!(md.starts_with("<div class=\"rsp-run rsp-run-failed\""));
    }

    fn expected_signal() -> Block {
        Block {
            slug: "drop-recursion".into(),
            command: "cargo run -q -p drop-recursion".into(),
            status: "killed by SIGABRT (expected)".into(),
            output: "thread 'main' has overflowed its stack".into(),
            error: None,
            pictures: vec![],
        }
    }

    #[test]
    fn the_status_kind_is_a_class() {
        let md = render_with(&expected_signal(), None);
        assert!(
            md.starts_with("<div class=\"rsp-run rsp-run-expected\" data-snippet=\"drop-recursion\" data-status=\"killed by SIGABRT (expected)\">"),
            "{md}"
        );
        let ok = Block {
            status: "exit status 0".into(),
            ..expected_signal()
        };
        assert!(render_with(&ok, None).starts_with("<div class=\"rsp-run rsp-run-ok\""));
    }

    #[test]
    fn the_footer_carries_the_stamp_and_a_relative_link() {
        let footer = Footer {
            stamp: "Linux 6.1 (x86_64) · Debian_12 · rustc 1.95.0".into(),
            about: Some("../about.md".into()),
            ran: None,
        };
        let md = render_with(&expected_signal(), Some(&footer));
        assert!(
            md.ends_with("```\n\n<div class=\"rsp-stamp\">\n\nRan when the book was built: Linux 6.1 (x86\\_64) · Debian\\_12 · rustc 1.95.0 ([about this build](../about.md))\n\n</div>\n\n</div>\n"),
            "{md}"
        );
        assert!(!render_with(&expected_signal(), None).contains("rsp-stamp"));
        let served = Footer {
            ran: Some("at 14:02:31".into()),
            ..footer
        };
        assert!(render_with(&expected_signal(), Some(&served))
            .contains("\n\nRan at 14:02:31: Linux 6.1 (x86\\_64)"));
    }

    #[test]
    fn the_link_to_the_about_page_climbs_out_of_the_part_folder() {
        let root = Path::new("/w");
        let footer = |cwd: &str| Footer::new("Linux 6.1\n", Some(root), Path::new(cwd)).unwrap();
        assert_eq!(
            footer("/w/src/processes").about.as_deref(),
            Some("../about.md")
        );
        assert_eq!(footer("/w/src").about.as_deref(), Some("about.md"));
        assert_eq!(footer("/tmp").about, None);
        assert_eq!(footer("/tmp").stamp, "Linux 6.1");
        assert!(Footer::new(" ", Some(root), Path::new("/w/src")).is_none());
    }

    #[test]
    fn the_builders_folders_are_masked() {
        let root = Path::new("/home/ann/src/rsp");
        let home = Some(Path::new("/home/ann"));
        let tb = "  File \"/home/ann/src/rsp/snippets/a/python/a.py\", line 3\n\
                  /home/ann/.cache/x/bin/python3 /home/ann/src/rsp-old /home/annex\n";
        assert_eq!(
            mask_paths_with(tb, root, home),
            "  File \"‹clone›/snippets/a/python/a.py\", line 3\n\
             ~/.cache/x/bin/python3 ~/src/rsp-old /home/annex\n"
        );
        assert_eq!(mask_paths_with("/x/y", Path::new("/"), None), "/x/y");
        assert_eq!(
            mask_paths_with("at /w", Path::new("/w/"), None),
            "at ‹clone›"
        );
    }
}
