//! The translation check against the fixture book
//! (xtask/tests/fixtures/i18n-book, see its README): every kind of missing,
//! fuzzy or stale translation is reported, naming its page and message.
use std::path::{Path, PathBuf};

use super::{check, extract};

fn fixture() -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "rsp-i18n-fixture-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    copy(
        &crate::setup::workspace_root()
            .unwrap()
            .join("xtask/tests/fixtures/i18n-book"),
        &dir,
    );
    dir
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.path().is_dir() {
            copy(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

fn write_pot(root: &Path) {
    let catalog = extract::catalog(root).unwrap();
    polib::po_file::write(&catalog, &extract::pot_path(root)).unwrap();
}

#[test]
fn every_missing_fuzzy_or_stale_translation_is_named() {
    let root = fixture();
    write_pot(&root);
    let f = check::run_catalogs(&root).unwrap();
    let p = "po/zh-TW.po: src/introduction.md:";
    assert_eq!(
        f.problems,
        [
            format!("{p} fuzzy: the English changed since it was translated (update the translation, then remove the `#, fuzzy` line): \"A paragraph whose English changed after it was translated.\""),
            format!("{p} not translated: \"A paragraph with an empty translation.\""),
            format!("{p} not in the catalog: new or changed English (run `cargo xtask i18n update`, then translate it): \"A paragraph nobody translated.\""),
            "po/zh-TW.po: an entry for English text that is no longer in the book (run `cargo xtask i18n update`): \"A paragraph the book no longer has.\"".to_string(),
        ],
        "{:#?}",
        f.problems
    );
    assert_eq!(
        f.notes,
        ["zh-TW: 1 page(s) not yet listed as complete in po/i18n.toml are shown partly in English: src/part/page.md (1/2)"]
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn an_english_edit_without_its_translation_fails() {
    let root = fixture();
    write_pot(&root);
    let intro = root.join("src/introduction.md");
    let text = std::fs::read_to_string(&intro).unwrap();
    std::fs::write(
        &intro,
        text.replace("A translated paragraph.", "A translated paragraph, edited."),
    )
    .unwrap();
    let f = check::run_catalogs(&root).unwrap();
    let has = |needle: &str| {
        assert!(
            f.problems.iter().any(|p| p.contains(needle)),
            "no problem says `{needle}`:\n{:#?}",
            f.problems
        )
    };
    has("po/messages.pot is out of date with the English book (2 change(s); run `cargo xtask i18n update`):\n      new in src/introduction.md: \"A translated paragraph, edited.\"\n      gone from src/introduction.md: \"A translated paragraph.\"");
    has("po/zh-TW.po: src/introduction.md: not in the catalog: new or changed English (run `cargo xtask i18n update`, then translate it): \"A translated paragraph, edited.\"");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_page_outside_the_list_is_not_required_until_the_list_says_all() {
    let root = fixture();
    write_pot(&root);
    let conf = root.join("po/i18n.toml");
    let text = std::fs::read_to_string(&conf).unwrap();
    std::fs::write(
        &conf,
        text.replace(
            "complete = [\"SUMMARY.md\", \"introduction.md\"]",
            "complete = \"all\"",
        ),
    )
    .unwrap();
    let f = check::run_catalogs(&root).unwrap();
    assert!(
        f.problems.iter().any(|p| p.contains(
            "src/part/page.md: not in the catalog: new or changed English (run `cargo xtask i18n update`, then translate it): \"This page is not complete in zh-TW: its paragraph stays English.\""
        )),
        "{:#?}",
        f.problems
    );
    assert!(f.notes.is_empty(), "{:#?}", f.notes);
    std::fs::remove_dir_all(&root).unwrap();
}
