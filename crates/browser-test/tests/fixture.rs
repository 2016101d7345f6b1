//! Every browser check must report what is wrong with the broken fixture
//! book (xtask/tests/fixtures/broken-book, see its README) and nothing about
//! its correct pages, and leave no process running.
//!
//! Ignored by a plain `cargo test`: it needs Debian's chromium and
//! chromium-driver and the pinned mdbook, which `cargo xtask test` (and
//! `cargo xtask browser`) install, then run it with
//! `RSP_MDBOOK=<mdbook> cargo test -p browser-test --test fixture -- --ignored`.
use std::path::{Path, PathBuf};
use std::process::Command;

use browser_test::{driver, run, Config, THEMES};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf()
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

/// Our children that are still alive (not zombies), as "pid (comm)".
fn live_children() -> Vec<String> {
    supervisor::reap::children()
        .into_iter()
        .filter(|(_, state, _)| *state != 'Z')
        .map(|(pid, _, comm)| format!("{pid} ({comm})"))
        .collect()
}

#[test]
#[ignore = "needs chromium, chromium-driver and the pinned mdbook: run by `cargo xtask test`"]
fn every_browser_check_reports_the_broken_fixture_book() {
    let mdbook = std::env::var_os("RSP_MDBOOK")
        .expect("set RSP_MDBOOK to the pinned mdbook (cargo xtask test does)");
    let root = std::env::temp_dir().join(format!("rsp-browser-fixture-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    copy_dir(&workspace().join("xtask/tests/fixtures/broken-book"), &root);
    for file in ["rsp.css", "strings.js", "lang.js"] {
        std::fs::copy(workspace().join("theme").join(file), root.join(file)).unwrap();
    }
    let out = Command::new(&mdbook)
        .arg("build")
        .arg(&root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let cfg = Config {
        book: root.join("book"),
        out: root.join("out"),
        root: root.clone(),
        edition: String::new(),
        lang: "en".into(),
        // No translation is built, but theme/lang.js links every page to
        // its twin in zh-TW/ all the same.
        twins: vec!["zh-TW/".into()],
        label: Some("Output".into()),
        // The fixture has no zombie: the search check must say so.
        searches: vec![("zombie".into(), "part/good.html".into())],
        shot_page: Some("part/good.html".into()),
        picture_page: Some("part/good.html".into()),
        chromium: driver::CHROMIUM.into(),
        chromedriver: driver::CHROMEDRIVER.into(),
    };
    let report = run(&cfg).unwrap();
    let problems = report.problems.join("\n");
    let has = |needle: &str| {
        assert!(
            report.problems.iter().any(|p| p.contains(needle)),
            "no problem mentions `{needle}`; all problems:\n{problems}"
        )
    };
    has("part/broken.html: console error: ");
    has("rspFixtureUndefinedFunction");
    has("part/broken.html: output block 1 (snippet `broken`) is empty");
    has("part/broken.html: no non-empty output block on this chapter");
    has("part/broken.html: output block 1 (snippet `broken`) has no environment stamp");
    has("part/broken.html: 1 playground Run button(s)");
    has("part/silent.html: no non-empty output block on this chapter");
    has("part/broken.html: <html lang=\"xx\">, expected \"en\"");
    has("part/broken.html: output block labels [\"Outptu\"], expected only \"Output\"");
    has("part/silent.html: no language switcher link to http://127.0.0.1:");
    has("search: typing `zombie` found 0 result(s), the first not on part/good.html");
    has("part/broken.html: a picture's words are not in the page's language: pic.key-busy: blockd in a call");
    has("part/broken.html: 1 picture(s) drawn less than 100 px wide");
    for good in ["introduction.html", "part/good.html", "theme switch"] {
        assert!(
            !report.problems.iter().any(|p| p.starts_with(good)),
            "a correct page was reported: {good}\n{problems}"
        );
    }
    assert_eq!(report.pages, 5, "intro, good, broken, silent, print");
    // A screenshot per theme, one as printed, and the timeline in two themes.
    assert_eq!(report.screenshots.len(), THEMES.len() + 1 + 2);
    for shot in &report.screenshots {
        let png = std::fs::read(shot).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{}", shot.display());
        // IHDR: width and height, big-endian, at bytes 16..24.
        let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
        assert_eq!(
            (w, h),
            (driver::WIDTH, driver::HEIGHT),
            "{}",
            shot.display()
        );
    }
    let left = live_children();
    assert!(left.is_empty(), "still running: {left:?}");
    std::fs::remove_dir_all(&root).unwrap();
}
