//! `cargo xtask plain`: the book built by a reader's plain `mdbook build`
//! with the pinned binaries (`cargo xtask tools`), mdbook-cmdrun running
//! each directive through `sh`, must have the same pages as book/ from
//! `cargo xtask build`, apart from what the directives' `--vary` regexes
//! mask. It is what proves our in-process preprocessor (src/directives.rs)
//! and the real mdbook-cmdrun make the same book. The stamp is handed down
//! as `cargo xtask build` does, so the footers can be compared too, and so
//! is the supervisor already built (`RSP_SUPERVISOR`, with the snippets
//! prebuilt): without it each directive's `cargo run -p supervisor` would
//! compile the supervisor and snippets again with other features, a minute
//! and a half of CI for a shell's `${VAR:-default}`.
use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::{chapters, drift, procs, stamp, tools};

pub fn run(root: &Path) -> Result<()> {
    let tools = tools::ensure(root)?;
    let stamp = stamp::line(root)?;
    let dest = supervisor::locate::target_dir(root).join("plain-book");
    let exe = crate::render::supervisor_exe(root);
    // The shell splits `$RSP_SUPERVISOR` into words: use it only when that is harmless.
    let plain_path = exe.to_str().is_some_and(|p| {
        p.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+".contains(c))
    });
    procs::become_subreaper()?;
    let mut cmd = tools.mdbook();
    if plain_path {
        cmd.env(supervisor::locate::SUPERVISOR_ENV, &exe)
            .env(supervisor::locate::PREBUILT_ENV, "1");
    }
    let out = cmd
        .current_dir(root)
        .arg("build")
        .arg("-d")
        .arg(&dest)
        .env(supervisor::render::STAMP_ENV, &stamp)
        .output()
        .context("running the pinned mdbook build")?;
    procs::fail_on_leftovers("the plain mdbook build")?;
    if !out.status.success() {
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
        bail!("plain mdbook build failed ({})", out.status);
    }
    let problems = compare(&root.join("book"), &dest, &chapters::load(root)?)?;
    if problems.is_empty() {
        eprintln!(
            "xtask: plain: `mdbook build` with the pinned binaries made the same pages as book/ (after --vary masks)"
        );
        return Ok(());
    }
    for p in &problems {
        eprintln!("{p}");
    }
    bail!(
        "{} page(s) of the plain mdbook build ({}) differ from book/",
        problems.len(),
        dest.display()
    )
}

/// One message per chapter page that differs between the two books, with
/// a line diff of the pages, each output block masked.
pub fn compare(ours: &Path, plain: &Path, chapters: &[chapters::Chapter]) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    for ch in chapters.iter().filter(|c| c.rel != Path::new("SUMMARY.md")) {
        let varies: Vec<Vec<String>> = ch
            .directives
            .iter()
            .map(|d| chapters::parse_args(d).map(|a| a.vary).unwrap_or_default())
            .collect();
        let read = |book: &Path| -> Result<String> {
            let page = ch.html(book);
            let html = std::fs::read_to_string(&page)
                .with_context(|| format!("reading {}", page.display()))?;
            Ok(masked_page(&html, &varies))
        };
        let (a, b) = (read(ours)?, read(plain)?);
        if a != b {
            problems.push(format!(
                "{}: the plain build's page differs (- ours, + plain):\n{}",
                ch.shown(),
                drift::diff(&a, &b)
            ));
        }
    }
    Ok(problems)
}

/// The page with each output block's text masked by its directive's regexes.
fn masked_page(html: &str, varies: &[Vec<String>]) -> String {
    let mut out = String::with_capacity(html.len());
    let mut at = 0;
    for (i, (a, b)) in drift::block_spans(html).into_iter().enumerate() {
        out.push_str(&html[at..a]);
        let vary = varies.get(i).map_or(&[][..], Vec::as_slice);
        out.push_str(&drift::mask_with(&drift::unescape(&html[a..b]), vary));
        at = b;
    }
    out.push_str(&html[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(before: &str, output: &str) -> String {
        format!("<p>{before}</p><div class=\"rsp-run rsp-run-ok\"><div class=\"rsp-run-head\">x</div>\n<pre><code class=\"language-text\">{output}</code></pre>\n</div>")
    }

    #[test]
    fn pages_differ_only_where_a_vary_allows() {
        let vary = vec![vec![r"\d{3,}".to_string()]];
        let a = masked_page(&page("Prose.", "pid 1234 &amp; state Z"), &vary);
        assert_eq!(
            a,
            masked_page(&page("Prose.", "pid 5678 &amp; state Z"), &vary)
        );
        assert!(a.contains("pid ‹varies› & state Z"), "{a}");
        assert_ne!(
            a,
            masked_page(&page("Prose.", "pid 5678 &amp; state R"), &vary)
        );
        assert_ne!(
            a,
            masked_page(&page("Other prose.", "pid 1234 &amp; state Z"), &vary)
        );
    }
}
