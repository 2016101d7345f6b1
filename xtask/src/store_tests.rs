//! The output store end to end, on a tiny book in a temp folder whose
//! "supervisor" is a script that counts its runs: `cargo xtask build`'s
//! render never uses a kept record, serve's reuses one exactly while its
//! key holds, and a replay renders from a store without running anything.
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use crate::book;
use crate::directives::Mode;
use crate::render::{self, Render};
use crate::store::Store;

const DIRECTIVE: &str =
    "<!-- cmdrun ${RSP_SUPERVISOR:-cargo run -q -p supervisor --} tiny --vary \"\\d+\" -->";

struct Tiny {
    root: PathBuf,
}

impl Tiny {
    fn new(name: &str) -> Tiny {
        let root = std::env::temp_dir().join(format!("xtask-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let w = |rel: &str, text: &str| {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        w("Cargo.toml", "[workspace]\n");
        w(
            "book.toml",
            "[book]\ntitle = \"Tiny\"\nsrc = \"src\"\n\n[preprocessor.cmdrun]\n",
        );
        w("src/SUMMARY.md", "# Summary\n\n- [Tiny](part/tiny.md)\n");
        w(
            "src/part/tiny.md",
            &format!("# Tiny\n\nProse.\n\n{DIRECTIVE}\n"),
        );
        w("snippets/tiny/Cargo.toml", "[package]\nname = \"tiny\"\n");
        w("snippets/tiny/src/main.rs", "fn main() {}\n");
        // Prints a record whose output counts the runs so far.
        let count = root.join("count");
        w(
            "fake-supervisor",
            &format!(
                "#!/bin/sh\nn=$(cat '{c}' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '{c}'\n\
                 printf '{{\"slug\":\"tiny\",\"command\":\"cargo run -q -p tiny\",\"status\":\"exit status 0\",\"output\":\"run %s\\\\n\",\"error\":null}}\\n' $n\n",
                c = count.display()
            ),
        );
        let exe = root.join("fake-supervisor");
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        Tiny { root }
    }

    fn runs(&self) -> usize {
        std::fs::read_to_string(self.root.join("count"))
            .map(|s| s.trim().parse().unwrap())
            .unwrap_or(0)
    }

    fn render(&self, mut r: Render) -> (Store, String) {
        r.supervisor = Some(self.root.join("fake-supervisor"));
        let dest = r.dest.clone();
        let rendered = render::render(&self.root, r).unwrap();
        assert_eq!(rendered.problems, Vec::<String>::new());
        let page = std::fs::read_to_string(dest.join("part/tiny.html")).unwrap();
        (rendered.store, page)
    }

    fn dest(&self) -> PathBuf {
        self.root.join("out")
    }

    fn serve(&self, previous: &Store, stamp: &str) -> (Store, String) {
        let mut r = Render::new(self.dest(), Mode::Reuse(previous.reusable()), stamp.into());
        r.say_when = true;
        self.render(r)
    }

    fn edit(&self, rel: &str, text: &str) {
        std::fs::write(self.root.join(rel), text).unwrap();
    }
}

impl Drop for Tiny {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn output(page: &str) -> String {
    crate::drift::blocks(page).concat()
}

#[test]
fn the_build_never_uses_a_kept_record_and_serve_reuses_one_only_while_its_key_holds() {
    let t = Tiny::new("keys");
    let stamp = "Linux 6.1 · rustc 1.95.0 · 2026-12-01";
    let (first, page) = t.render(book::for_build(t.dest(), stamp.into()));
    assert_eq!((t.runs(), output(&page).as_str()), (1, "run 1\n"));
    assert!(page.contains("Ran when the book was built"), "{page}");
    let rec = &first.records[0];
    assert_eq!(
        (rec.index, rec.line, rec.slug.as_deref()),
        (1, 5, Some("tiny"))
    );
    assert_eq!(rec.masked.as_deref(), Some("run ‹varies›\n"));
    first.save(&t.root, "build").unwrap();
    first.save(&t.root, "serve").unwrap();

    // A prose edit: the record is reused, and the block says when it ran.
    t.edit(
        "src/part/tiny.md",
        &format!("# Tiny\n\nOther prose.\n\n{DIRECTIVE}\n"),
    );
    let (second, page) = t.serve(&first, stamp);
    assert_eq!((t.runs(), output(&page).as_str()), (1, "run 1\n"));
    assert!(
        second.records[0].reused && page.contains("Ran at "),
        "{page}"
    );

    // The build runs again although a record with the same key is kept.
    let (third, page) = t.render(book::for_build(t.dest(), stamp.into()));
    assert_eq!((t.runs(), output(&page).as_str()), (2, "run 2\n"));
    assert!(!third.records[0].reused);
    assert_eq!(third.records[0].key_digest, first.records[0].key_digest);

    // Another machine or toolchain (the stamp), or an edited snippet: run.
    let (_, page) = t.serve(&second, "Linux 6.2 · rustc 1.96.0 · 2026-12-01");
    assert_eq!(output(&page), "run 3\n");
    t.edit("snippets/tiny/src/main.rs", "fn main() { println!(); }\n");
    let (_, page) = t.serve(&second, stamp);
    assert_eq!(output(&page), "run 4\n");
}

#[test]
fn a_replay_renders_from_the_store_without_running_anything() {
    let t = Tiny::new("replay");
    let stamp = "Linux 6.1 · 2026-12-01";
    let (store, built) = t.render(book::for_build(t.dest(), stamp.into()));
    let saved = store.save(&t.root, "build").unwrap();
    assert!(saved.join("part/tiny/01-tiny.json").is_file());
    let loaded = Store::load(&t.root, "build").unwrap();
    let other = t.root.join("other-language");
    let (_, problems) = render::render_from_store(
        &t.root,
        loaded,
        other.clone(),
        Vec::new(),
        Some(Box::new(|c: &mut mdbook::Config| {
            c.book.language = Some("zh-TW".into())
        })),
    )
    .unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let page = std::fs::read_to_string(other.join("part/tiny.html")).unwrap();
    assert_eq!(t.runs(), 1);
    assert_eq!(output(&page), output(&built));
    assert!(page.contains("lang=\"zh-TW\""), "{page}");

    // A directive the store has no record of is a problem, not a run.
    t.edit(
        "src/part/tiny.md",
        &format!(
            "# Tiny\n\n{DIRECTIVE}\n\n{}\n",
            DIRECTIVE.replace("tiny", "tiny --timeout 3")
        ),
    );
    let mut r = Render::new(
        t.dest(),
        Mode::Replay(Store::load(&t.root, "build").unwrap()),
        stamp.into(),
    );
    r.supervisor = Some(t.root.join("fake-supervisor"));
    let rendered = render::render(&t.root, r).unwrap();
    assert_eq!(t.runs(), 1);
    assert_eq!(
        rendered.problems,
        ["src/part/tiny.md: directive 2: no record in the store"]
    );
}

#[test]
fn a_fresh_render_runs_each_directive_once_ahead_in_page_order() {
    let t = Tiny::new("ahead");
    let other = DIRECTIVE.replace("tiny", "tiny --timeout 3");
    // Two identical directives, one other, and a sub-chapter: mdbook's
    // preprocessors see a sub-chapter before its parent.
    t.edit(
        "src/SUMMARY.md",
        "# Summary\n\n- [Tiny](part/tiny.md)\n  - [Sub](part/sub.md)\n",
    );
    t.edit(
        "src/part/tiny.md",
        &format!("# Tiny\n\n{DIRECTIVE}\n\n{other}\n\n{DIRECTIVE}\n"),
    );
    t.edit("src/part/sub.md", &format!("# Sub\n\n{DIRECTIVE}\n"));
    let stamp = "Linux 6.1 · 2026-12-01";
    let (store, page) = t.render(book::for_build(t.dest(), stamp.into()));
    assert_eq!(t.runs(), 4, "each directive ran once");
    // The runs were made in the order the preprocessor took them.
    let sub = std::fs::read_to_string(t.dest().join("part/sub.html")).unwrap();
    assert_eq!(output(&sub), "run 1\n");
    assert_eq!(output(&page), "run 2\nrun 3\nrun 4\n");
    let outputs: Vec<_> = store
        .records
        .iter()
        .map(|r| {
            (
                r.chapter.as_str(),
                r.index,
                r.block.as_ref().unwrap().output.as_str(),
            )
        })
        .collect();
    assert_eq!(
        outputs,
        [
            ("part/sub.md", 1, "run 1\n"),
            ("part/tiny.md", 1, "run 2\n"),
            ("part/tiny.md", 2, "run 3\n"),
            ("part/tiny.md", 3, "run 4\n"),
        ]
    );
    assert!(store.records.iter().all(|r| r.elapsed_ms > 0.0));
}
