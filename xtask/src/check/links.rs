//! `cargo xtask links`: every internal link and `#anchor` in the built HTML
//! resolves. External links are listed in target/external-links.txt and
//! counted, never fetched (the build machines have no network, and a link
//! check that fails when a far site is down is noise).
//!
//! It reads what mdbook wrote, so it also sees links that mdbook rewrote
//! (`.md` to `.html`, print.html's), the sidebar (toc.html), and `src`/`href`
//! of scripts, styles and images.
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context, Result};
use regex::Regex;

/// Where the external links are listed.
pub fn external_list(root: &Path) -> PathBuf {
    root.join("target").join("external-links.txt")
}

pub struct Report {
    /// `page: broken link `href`: why`, sorted.
    pub broken: Vec<String>,
    /// External URL -> the pages that link to it.
    pub external: BTreeMap<String, Vec<String>>,
    pub internal: usize,
    pub pages: usize,
}

/// Checks the book in `book` and writes the external links to `list`.
pub fn run(book: &Path, list: &Path) -> Result<()> {
    let report = check(book)?;
    write_external(&report, list)?;
    eprintln!(
        "xtask: links: {} internal links in {} pages resolve{}; {} external links listed in {} (not fetched)",
        report.internal - report.broken.len(),
        report.pages,
        if report.broken.is_empty() { "" } else { " except those below" },
        report.external.len(),
        list.display()
    );
    if report.broken.is_empty() {
        return Ok(());
    }
    for b in &report.broken {
        eprintln!("  {b}");
    }
    bail!(
        "{} broken internal link(s), listed above",
        report.broken.len()
    )
}

pub fn write_external(report: &Report, list: &Path) -> Result<()> {
    let mut text = format!(
        "# External links in the built book ({}), with the pages linking to them. Not fetched.\n",
        report.external.len()
    );
    for (url, pages) in &report.external {
        text.push_str(&format!("{url}\t{}\n", pages.join(" ")));
    }
    if let Some(dir) = list.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(list, text).with_context(|| format!("writing {}", list.display()))
}

pub fn check(book: &Path) -> Result<Report> {
    let mut files = Vec::new();
    collect_html(book, &mut files)?;
    files.sort();
    anyhow::ensure!(!files.is_empty(), "no HTML files in {}", book.display());
    let code = Regex::new(r"(?s)<pre\b[^>]*>.*?</pre>|<code\b[^>]*>.*?</code>")?;
    let attr = Regex::new(r#"\s(?:href|src)\s*=\s*"([^"]*)""#)?;
    let base_re = Regex::new(r#"<base\s+href="([^"]*)""#)?;
    let id_re = Regex::new(r#"\s(?:id|name)\s*=\s*"([^"]*)""#)?;
    let mut ids: HashMap<PathBuf, HashSet<String>> = HashMap::new();
    let mut report = Report {
        broken: Vec::new(),
        external: BTreeMap::new(),
        internal: 0,
        pages: files.len(),
    };
    for file in &files {
        let html =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let shown = rel(book, file);
        let base = base_re
            .captures(&html)
            .map(|c| c[1].to_string())
            .filter(|b| b.starts_with('/'));
        let text = code.replace_all(&html, "");
        for c in attr.captures_iter(&text) {
            let href = unescape(&c[1]);
            let href = href.trim();
            if href.is_empty() || href.starts_with("javascript:") || href.starts_with("data:") {
                continue;
            }
            if is_external(href) {
                let pages = report.external.entry(href.to_string()).or_default();
                if !pages.contains(&shown) {
                    pages.push(shown.clone());
                }
                continue;
            }
            report.internal += 1;
            if let Err(why) = resolve(book, file, base.as_deref(), href, &mut ids, &id_re) {
                report
                    .broken
                    .push(format!("{shown}: broken link `{href}`: {why}"));
            }
        }
    }
    report.broken.sort();
    report.broken.dedup();
    Ok(report)
}

fn is_external(href: &str) -> bool {
    href.starts_with("//")
        || href.split_once(':').is_some_and(|(scheme, _)| {
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        })
}

/// Where `href` on `page` leads, checked: the file exists inside the book
/// and, for a `#fragment` into an HTML page, an element has that id.
fn resolve(
    book: &Path,
    page: &Path,
    base: Option<&str>,
    href: &str,
    ids: &mut HashMap<PathBuf, HashSet<String>>,
    id_re: &Regex,
) -> Result<(), String> {
    let (path, fragment) = match href.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (href, None),
    };
    let path = path.split('?').next().unwrap_or_default();
    let path = percent_decode(path).ok_or("bad percent-encoding")?;
    let target = if path.is_empty() {
        page.to_path_buf()
    } else if let Some(abs) = path.strip_prefix('/') {
        book.join(abs)
    } else {
        let dir = match base {
            Some(b) => book.join(b.trim_start_matches('/')),
            None => page.parent().unwrap_or(book).to_path_buf(),
        };
        dir.join(&path)
    };
    let mut target = normalize(&target).ok_or("climbs out of the book")?;
    if !target.starts_with(book) {
        return Err("points outside the book".into());
    }
    if target.is_dir() {
        target = target.join("index.html");
    }
    if !target.is_file() {
        return Err(format!("no file {}", rel(book, &target)));
    }
    let Some(fragment) = fragment.filter(|f| !f.is_empty()) else {
        return Ok(());
    };
    if target.extension().is_none_or(|e| e != "html") {
        return Ok(());
    }
    let fragment = percent_decode(fragment).ok_or("bad percent-encoding in the fragment")?;
    let known = match ids.get(&target) {
        Some(k) => k,
        None => {
            let html = std::fs::read_to_string(&target).map_err(|e| e.to_string())?;
            let set = id_re
                .captures_iter(&html)
                .map(|c| unescape(&c[1]))
                .collect();
            ids.entry(target.clone()).or_insert(set)
        }
    };
    if known.contains(&fragment) {
        Ok(())
    } else {
        Err(format!("no id `{fragment}` in {}", rel(book, &target)))
    }
}

/// `a/b/../c` -> `a/c` without touching the file system; None above the root.
fn normalize(p: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    Some(out)
}

fn rel(book: &Path, p: &Path) -> String {
    p.strip_prefix(book)
        .unwrap_or(p)
        .to_string_lossy()
        .into_owned()
}

fn collect_html(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            collect_html(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "html") {
            out.push(path);
        }
    }
    Ok(())
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(s.get(i + 1..i + 3)?, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book(files: &[(&str, &str)]) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("rsp-links-{}-{}", std::process::id(), files.len()));
        let _ = std::fs::remove_dir_all(&dir);
        for (name, text) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    #[test]
    fn finds_missing_files_and_anchors_and_lists_external_links() {
        let dir = book(&[
            (
                "index.html",
                r#"<a href="part/a.html#top">a</a> <a href="https://man7.org/x.html">m</a> <link href="theme/x.css">"#,
            ),
            (
                "part/a.html",
                r##"<h1 id="top">A</h1><a href="../index.html">i</a> <a href="#nope">n</a> <a href="b%20c.html">s</a> <a href="../../out.html">o</a><pre><code><a href="ignored.html"></code></pre>"##,
            ),
            ("part/b c.html", "<p>b</p>"),
        ]);
        let r = check(&dir).unwrap();
        assert_eq!(
            r.broken,
            [
                "index.html: broken link `theme/x.css`: no file theme/x.css",
                "part/a.html: broken link `#nope`: no id `nope` in part/a.html",
                "part/a.html: broken link `../../out.html`: points outside the book",
            ]
        );
        assert_eq!(
            r.external.keys().collect::<Vec<_>>(),
            ["https://man7.org/x.html"]
        );
        assert_eq!(r.internal, 6);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
