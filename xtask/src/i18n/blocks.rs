//! Both editions of one build must show the same outputs: every output
//! block (`<div class="rsp-run ...">` to its closing tag: command, status,
//! output and stamp) of a translated page is byte-identical to the English
//! page's. The theme translates the block's labels in the browser
//! (theme/lang.js), so the HTML need not differ.
use std::path::{Path, PathBuf};

use super::anchors;
use crate::chapters::Chapter;
use crate::html::blocks;

/// Compares every chapter's blocks and heading ids (and print.html's) in
/// `book` and in `book/<dir>`, adding a problem for each page and block
/// that differs; returns how many blocks are the same. The pages are read
/// and compared in two halves, one per core (both editions' pages are
/// some 20 MB).
pub fn check(book: &Path, dir: &str, chapters: &[Chapter], problems: &mut Vec<String>) -> usize {
    let mut pages: Vec<PathBuf> = chapters
        .iter()
        .map(|c| c.rel.with_extension("html"))
        .filter(|p| p != Path::new("SUMMARY.html"))
        .collect();
    pages.push("print.html".into());
    let (first, second) = pages.split_at(pages.len() / 2);
    let (a, b) = std::thread::scope(|s| {
        let other = s.spawn(|| check_pages(book, dir, second));
        let mine = check_pages(book, dir, first);
        (mine, other.join())
    });
    let b = b.unwrap_or_else(|_| (0, vec!["comparing the editions' pages panicked".into()]));
    problems.extend(a.1);
    problems.extend(b.1);
    a.0 + b.0
}

/// [`check`] of some pages: how many blocks are the same, and the problems.
fn check_pages(book: &Path, dir: &str, pages: &[PathBuf]) -> (usize, Vec<String>) {
    let (mut count, mut problems) = (0, Vec::new());
    for page in pages {
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        let en = read(&book.join(page));
        let tr = read(&book.join(dir).join(page));
        if anchors::page_ids(&en) != anchors::page_ids(&tr) {
            problems.push(format!(
                "{}: its headings' ids are not the English page's (links to #sections would break)",
                page.display()
            ));
        }
        let (a, b) = (blocks(&en), blocks(&tr));
        if a.len() != b.len() {
            problems.push(format!(
                "{}: {} output block(s) in English, {} in {dir}/",
                page.display(),
                a.len(),
                b.len()
            ));
            continue;
        }
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            if x == y {
                count += 1;
            } else {
                problems.push(format!(
                    "{}: output block {} differs between book/ and book/{dir}/ (one run must show the same in both)",
                    page.display(),
                    i + 1
                ));
            }
        }
    }
    (count, problems)
}
