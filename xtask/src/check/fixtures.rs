//! The checks of `cargo xtask test` against a broken book: the fixture in
//! xtask/tests/fixtures/broken-book (see its README), built with the pinned
//! mdbook library, in-process. Each check must report what is wrong with
//! `part/broken.md`, and nothing about the pages that are right.
use std::path::{Path, PathBuf};

use super::drift::{self, Outputs};
use super::links;
use crate::build::pages;
use crate::chapters;

fn workspace() -> PathBuf {
    crate::setup::workspace_root().unwrap()
}

/// A fresh copy of the fixture (with the real theme/rsp.css) in a temp dir.
fn fixture_copy(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rsp-fixture-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&workspace().join("xtask/tests/fixtures/broken-book"), &dir);
    for file in ["rsp.css", "strings.js", "lang.js"] {
        std::fs::copy(workspace().join("theme").join(file), dir.join(file)).unwrap();
    }
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// `mdbook build <root> -d <dest>`, with the library.
fn build(root: &Path, dest: &Path) {
    let mut book = mdbook::MDBook::load(root).unwrap();
    book.config.build.build_dir = dest.to_path_buf();
    book.build().unwrap();
}

#[test]
fn the_link_check_reports_the_broken_links_and_lists_external_ones() {
    let root = fixture_copy("links");
    build(&root, &root.join("book"));
    let report = links::check(&root.join("book")).unwrap();
    let mentions = |page: &str| report.broken.iter().filter(|b| b.starts_with(page)).count();
    assert!(
        report.broken.contains(
            &"part/broken.html: broken link `missing.html`: no file part/missing.html".to_string()
        ),
        "{:#?}",
        report.broken
    );
    assert!(
        report.broken.contains(
            &"part/broken.html: broken link `good.html#no-such-heading`: no id `no-such-heading` in part/good.html"
                .to_string()
        ),
        "{:#?}",
        report.broken
    );
    // print.html has the same two links; nothing else is broken.
    assert_eq!(mentions("part/broken.html"), 2, "{:#?}", report.broken);
    assert_eq!(
        report.broken.len() - mentions("print.html"),
        2,
        "{:#?}",
        report.broken
    );
    assert!(
        report
            .external
            .contains_key("https://man7.org/linux/man-pages/man2/wait.2.html"),
        "{:?}",
        report.external.keys()
    );
    let list = root.join("external-links.txt");
    links::write_external(&report, &list).unwrap();
    let text = std::fs::read_to_string(&list).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("https://man7.org/linux/man-pages/man2/wait.2.html\t"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("introduction.html"), "{line}");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn the_page_check_reports_the_empty_output_block_and_the_code_before_it() {
    let root = fixture_copy("pages");
    build(&root, &root.join("book"));
    let chapters = chapters::load(&root).unwrap();
    let problems = pages::page_problems(&root.join("book"), &chapters).unwrap();
    // good.md shows 2 lines of shown.py's 104 before its output: the rest
    // are hidden lines, which do not count.
    assert_eq!(
        problems,
        [
            "src/part/broken.md: an output block is empty",
            "src/part/broken.md: 41 lines of code before the first output block (at most 40): show the regions that carry the note, the rest as hidden lines"
        ],
        "{problems:#?}"
    );
    std::fs::remove_dir_all(&root).unwrap();
}

/// The records of one run of `part/good.md`'s directive that printed `output`.
fn records(d: &chapters::Directive, output: &str) -> Vec<supervisor::store::Record> {
    let args = chapters::parse_args(d).unwrap();
    vec![supervisor::store::Record {
        cwd: "src/part".into(),
        chapter: Some("part/good.md".into()),
        args: shlex::split(d.command.strip_prefix(chapters::PREFIX).unwrap()).unwrap(),
        vary: args.vary,
        inputs: String::new(),
        ran_at: 0,
        took_ms: 0.0,
        stamp: String::new(),
        block: supervisor::render::Block {
            slug: args.slug,
            command: "cargo run -q -p good".into(),
            status: "exit status 0".into(),
            output: output.into(),
            error: None,
            pictures: vec![],
        },
        markdown: String::new(),
    }]
}

#[test]
fn the_drift_check_reports_a_changed_output_but_not_a_varying_one() {
    let root = fixture_copy("drift");
    let chapters = chapters::load(&root).unwrap();
    let good = chapters
        .iter()
        .find(|c| c.rel == Path::new("part/good.md"))
        .unwrap();
    // The first run printed what the fixture's page shows.
    build(&root, &root.join("book"));
    let html = std::fs::read_to_string(good.html(&root.join("book"))).unwrap();
    let printed: String = crate::html::blocks(&html)
        .into_iter()
        .map(crate::html::output)
        .collect();
    assert!(printed.contains("pid 4242\nstate Z"), "{printed}");
    let first = Outputs::from_records(&records(&good.directives[0], &printed));

    // Only the pid changes, and the directive says `--vary "\d{3,}"`.
    let pid = printed.replace("pid 4242", "pid 5151");
    let second = Outputs::from_records(&records(&good.directives[0], &pid));
    assert_eq!(drift::compare(&first, &second), Vec::<String>::new());

    // The state letter changes too: drift.
    let state = pid.replace("state Z", "state R");
    let third = Outputs::from_records(&records(&good.directives[0], &state));
    let problems = drift::compare(&first, &third);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].starts_with("src/part/good.md: good --vary")
            && problems[0]
                .ends_with("      spawned pid ‹varies›\n    - state Z\n    + state R\n      done"),
        "{}",
        problems[0]
    );
    std::fs::remove_dir_all(&root).unwrap();
}
