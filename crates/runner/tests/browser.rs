//! Edit-and-run in a real browser: the built book (book/) served by the
//! runner, opened in headless Chromium (the browser-test crate's driver)
//! through the link the runner prints. A block is an Ace editor
//! (theme/rsp-editor.js): text is selected through Ace's API and replaced
//! by typing real keys into it, Run is pressed or Ctrl+Enter typed. Also
//! the page without the link, and pages loaded while 300 idle connections
//! sit on the runner (the stall that made us drop tiny_http). Ignored by
//! plain `cargo test` (it needs chromium, chromedriver and a built book);
//! `cargo xtask browser` (part of `cargo xtask test`) runs it with
//! `--ignored` after building the book and installing them. Screenshots
//! for review: target/browser-runner/*.png.
mod common;

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use browser_test::driver::{self, Driver};
use common::{one_at_a_time, root, Runner};
use fantoccini::{Client, Locator};
use serde_json::{json, Value};

const PAGE: &str = "processes/zombie.html";
/// The chapter's first Rust block (the `zombie` anchor of the snippet).
const RUST: &str = "pre.rsp-editable:has(> code[data-lang=rust])";

fn book_ready() {
    let book = root().join("book");
    assert!(
        book.join(PAGE).is_file(),
        "no {PAGE} in {}: build the book first (cargo xtask build)",
        book.display()
    );
}

fn work_dir() -> PathBuf {
    let work = root().join("target").join("browser-runner");
    std::fs::create_dir_all(&work).unwrap();
    work
}

async fn js(c: &Client, script: &str, args: Vec<Value>) -> Value {
    c.execute(script, args).await.unwrap()
}

/// Opens the chapter and waits for its editors.
async fn open(c: &Client, url: &str) {
    c.goto(url).await.unwrap();
    c.wait()
        .for_element(Locator::Css(&format!("{RUST} .rsp-run-button")))
        .await
        .expect("no Run button on the page: is the runner's token in it?");
}

/// The first Rust block's editor text.
async fn text(c: &Client) -> String {
    let v = js(
        c,
        &format!("return ace.edit(document.querySelector('{RUST} .ace_editor')).getValue();"),
        vec![],
    )
    .await;
    v.as_str().unwrap_or_default().to_string()
}

/// Selects `find` in the first Rust block (as a reader dragging over it
/// would) and types `replace` over it with real key events. Returns the
/// editor row (0-based) the text is on.
async fn type_over(c: &Client, find: &str, replace: &str) -> u64 {
    let row = js(
        c,
        &format!(
            r#"
            const [find] = arguments;
            const ed = ace.edit(document.querySelector('{RUST} .ace_editor'));
            ed.focus();
            ed.moveCursorTo(0, 0);
            const r = ed.find(find, {{ wrap: true, caseSensitive: true }});
            return r ? r.start.row : -1;
            "#
        ),
        vec![json!(find)],
    )
    .await;
    let row = row.as_i64().unwrap_or(-1);
    assert!(row >= 0, "`{find}` is not in the first Rust block");
    c.active_element().await.unwrap().send_keys(replace).await.unwrap();
    let typed = text(c).await;
    assert!(typed.contains(replace), "typing did not reach the editor: {typed}");
    row as u64
}

/// Ctrl+Enter in the focused editor (WebDriver: Control down, Enter, all
/// modifiers up).
async fn ctrl_enter(c: &Client) {
    c.active_element().await.unwrap().send_keys("\u{E009}\u{E007}\u{E000}").await.unwrap();
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .click()
        .await
        .unwrap();
}

/// The first Rust block's result once its answer has ended (the
/// comparison included): state, status line, compiler text, output.
/// Clicks the Rust block's Run button and waits for a run that ended well;
/// its status line and output.
async fn run_ok(c: &Client) -> (String, String) {
    click(c, &format!("{RUST} .rsp-run-button")).await;
    let (state, status, compile, out) = result(c).await;
    assert_eq!(state, "ok", "{status}\n{compile}\n{out}");
    (status, out)
}

async fn result(c: &Client) -> (String, String, String, String) {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let v = js(
            c,
            &format!(
                r#"
                const box = document.querySelector('{RUST} + .rsp-result');
                if (!box || !box.hasAttribute('data-done')) return null;
                return [box.getAttribute('data-state'),
                        box.querySelector('.rsp-result-status').textContent,
                        box.querySelector('.rsp-result-compile').textContent,
                        box.querySelector('.rsp-result-out').textContent];
                "#
            ),
            vec![],
        )
        .await;
        if let Some(a) = v.as_array() {
            let s = |i: usize| a[i].as_str().unwrap_or("").to_string();
            return (s(0), s(1), s(2), s(3));
        }
        assert!(Instant::now() < deadline, "the run never ended");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// target/browser-runner/<name>.png: the first Rust block from its top,
/// with its result below (in a window tall enough for both).
async fn screenshot(c: &Client, name: &str) {
    let _ = c.set_window_size(driver::WIDTH, 1500).await;
    let _ = c
        .execute(
            &format!(
                "const p = document.querySelector('{RUST}');\
                 window.scrollTo(0, p.getBoundingClientRect().top + window.scrollY - 60);"
            ),
            vec![],
        )
        .await;
    if let Ok(png) = c.screenshot().await {
        let _ = std::fs::write(work_dir().join(format!("{name}.png")), png);
    }
    let _ = c.set_window_size(driver::WIDTH, driver::HEIGHT).await;
}

async fn console_errors(c: &Client) -> Vec<String> {
    driver::browser_log(c)
        .await
        .unwrap()
        .into_iter()
        .filter(|(level, _)| level == "SEVERE")
        .map(|(_, m)| m)
        .collect()
}

/// Opens the printed link (it sets the cookie), then runs `check` with the
/// chapter's URL.
fn in_browser(check: impl AsyncFnOnce(&Client, String)) {
    in_browser_with(false, |_| {}, |_| {}, check)
}

/// The same with a runner started with more arguments, the link opened
/// unless `locked`, and `before` called with the runner first.
fn in_browser_with(
    locked: bool,
    args: impl FnOnce(&mut std::process::Command),
    before: impl FnOnce(&Runner),
    check: impl AsyncFnOnce(&Client, String),
) {
    book_ready();
    let _serial = one_at_a_time();
    let server = Runner::start(|serve| {
        serve.args(["--timeout", "10", "--no-warm"]);
        args(serve);
    });
    before(&server);
    let work = work_dir();
    let d = Driver::start(Path::new(driver::CHROMEDRIVER), &work).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let c = d.session(Path::new(driver::CHROMIUM)).await.unwrap();
        let base = format!("http://127.0.0.1:{}", server.port);
        if !locked {
            c.goto(&format!("{base}/?token={}", server.token)).await.unwrap();
            let at = c.current_url().await.unwrap();
            assert_eq!(at.as_str(), format!("{base}/"), "the token stays in the address bar");
        }
        check(&c, format!("{base}/{PAGE}")).await;
        let mut errors = console_errors(&c).await;
        let _ = c.close().await;
        if locked {
            // The locked page itself is a 403: Chromium logs that.
            errors.retain(|e| !e.contains("status of 403"));
        }
        assert!(errors.is_empty(), "console errors: {errors:?}");
    });
    // The runner first, stopped as xtask stops it (it ends its sandboxes,
    // removes its cgroups, folder and mount): the driver then kills
    // whatever is left below this process, a runner included.
    drop(server);
    drop(d);
}

/// What the page knows of the first Rust block's edit: (the block has the
/// `rsp-edited` class, the "edited" badge shows, the stored value).
async fn edit_state(c: &Client) -> (bool, bool, Value) {
    let v = js(
        c,
        &format!(
            r#"
            const pre = document.querySelector('{RUST}');
            const badge = pre.querySelector('.rsp-edited-badge');
            const stored = localStorage.getItem('rsp-edit/v1/processes/zombie.md/rust-0');
            return [pre.classList.contains('rsp-edited'),
                    getComputedStyle(badge).display !== 'none',
                    stored ? JSON.parse(stored) : null];
            "#
        ),
        vec![],
    )
    .await;
    (v[0].as_bool().unwrap_or(false), v[1].as_bool().unwrap_or(false), v[2].clone())
}

/// Waits for the edit's save (it waits for 250 ms of quiet typing).
async fn wait_saved(c: &Client, marker: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, _, stored) = edit_state(c).await;
        if stored["text"].as_str().is_some_and(|t| t.contains(marker)) {
            return;
        }
        if Instant::now() > deadline {
            let keys = js(
                c,
                "return [Object.keys(localStorage), window.path_to_root, location.pathname];",
                vec![],
            )
            .await;
            panic!("the edit was never stored: {stored} (storage: {keys})");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[test]
#[ignore = "needs chromium, chromedriver and book/: run by cargo xtask browser"]
fn an_edit_survives_navigating_away_and_back() {
    in_browser(async |c, url| {
        open(c, &url).await;
        let book = text(c).await;
        assert!(!book.contains("extern crate"), "the editor shows the hidden lines: {book}");
        assert!(!edit_state(c).await.0);
        type_over(c, "spawned", "KEPT-EDIT").await;
        let (edited, badge, _) = edit_state(c).await;
        assert!(edited && badge, "the block is not marked as edited");
        // Away at once (the save waits for 250 ms of quiet, and is written
        // when the page goes) by the sidebar link to the next chapter, back
        // by history.
        click(c, "mdbook-sidebar-scrollbox a[href$=\"poll-child.html\"]").await;
        let deadline = Instant::now() + Duration::from_secs(20);
        while c.current_url().await.unwrap().as_str().ends_with(PAGE) {
            assert!(Instant::now() < deadline, "the next-chapter link did not leave the page");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        c.back().await.unwrap();
        open(c, &url).await;
        let kept = text(c).await;
        assert_eq!(kept, book.replace("spawned", "KEPT-EDIT"));
        let (edited, badge, _) = edit_state(c).await;
        assert!(edited && badge, "the kept edit is not marked as edited");
        // The chapter's other blocks are the book's.
        let others =
            js(c, "return document.querySelectorAll('pre.rsp-edited').length;", vec![]).await;
        assert_eq!(others, json!(1));
        // And a reload keeps it too; the edit runs as the reader sees it.
        c.refresh().await.unwrap();
        open(c, &url).await;
        assert_eq!(text(c).await, kept);
        let (_, out) = run_ok(c).await;
        assert!(out.starts_with("KEPT-EDIT `true` as pid "), "{out}");
        assert!(out.contains("state Some('Z')"), "{out}");
    });
}

#[test]
#[ignore = "needs chromium, chromedriver and book/: run by cargo xtask browser"]
fn reset_restores_the_book_s_code() {
    in_browser(async |c, url| {
        open(c, &url).await;
        let book = text(c).await;
        type_over(c, "spawned", "TO-BE-RESET").await;
        wait_saved(c, "TO-BE-RESET").await;
        click(c, &format!("{RUST} .rsp-reset-button")).await;
        assert_eq!(text(c).await, book);
        let (edited, badge, stored) = edit_state(c).await;
        assert!(!edited && !badge, "still marked as edited after reset");
        assert_eq!(stored, Value::Null, "the edit is still stored");
        c.refresh().await.unwrap();
        open(c, &url).await;
        assert_eq!(text(c).await, book);
        assert!(!edit_state(c).await.0);
    });
}

#[test]
#[ignore = "needs chromium, chromedriver and book/: run by cargo xtask browser"]
fn an_edit_of_an_older_book_is_announced_not_mixed() {
    in_browser(async |c, url| {
        open(c, &url).await;
        let book = text(c).await;
        // An edit stored from a book whose hidden lines differed: another
        // source hash, and its own hidden lines.
        let old_hidden = "extern crate nix;\nfn exited_but_not_waited_for() -> Result<std::process::Child, String> { Err(\"OLD-BOOK\".into()) }";
        js(
            c,
            r#"
            const [hidden] = arguments;
            localStorage.setItem('rsp-edit/v1/processes/zombie.md/rust-0', JSON.stringify({
                text: 'fn main() {\n    println!("{:?}", exited_but_not_waited_for().err());\n}',
                anchors: [0], source: '00000000', at: 0,
                runs: [{ before: 0, lines: hidden.split('\n') }]
            }));
            "#,
            vec![json!(old_hidden)],
        )
        .await;
        c.refresh().await.unwrap();
        open(c, &url).await;
        // The book's new code, and a notice; nothing mixed.
        assert_eq!(text(c).await, book);
        let notice = js(
            c,
            &format!("const n = document.querySelector('{RUST}').previousElementSibling; return n && n.classList.contains('rsp-notice') ? n.textContent : null;"),
            vec![],
        )
        .await;
        assert!(notice.as_str().unwrap_or("").contains("changed since you edited it"), "{notice}");
        // "Use my edit": the old program whole, hidden lines included.
        click(c, ".rsp-notice .rsp-notice-mine").await;
        assert!(text(c).await.starts_with("fn main() {"));
        assert!(edit_state(c).await.0);
        let (_, out) = run_ok(c).await;
        assert_eq!(out, "Some(\"OLD-BOOK\")\n");
    });
}

#[test]
#[ignore = "needs chromium, chromedriver and book/: run by cargo xtask browser"]
fn ctrl_enter_runs_the_block() {
    in_browser(async |c, url| {
        open(c, &url).await;
        type_over(c, "spawned", "RUN-BY-KEYBOARD").await;
        ctrl_enter(c).await;
        let (state, status, compile, out) = result(c).await;
        assert_eq!(state, "ok", "{status}\n{compile}\n{out}");
        assert!(out.starts_with("RUN-BY-KEYBOARD `true` as pid "), "{out}");
        assert!(status.starts_with("exit status 0"), "{status}");
        // Tab indents in the editor (to the next 4-column stop, with
        // spaces) and does not leave it.
        let before = text(c).await;
        c.active_element().await.unwrap().send_keys("\u{E004}").await.unwrap();
        let after = text(c).await;
        let added = after.len() as i64 - before.len() as i64;
        assert!((1..=4).contains(&added), "Tab did not indent:\n{after}");
        assert_eq!(after.replace(' ', ""), before.replace(' ', ""));
        let inside = js(
            c,
            &format!("return document.querySelector('{RUST}').contains(document.activeElement);"),
            vec![],
        )
        .await;
        assert_eq!(inside, json!(true), "Tab left the editor");
    });
}

#[test]
#[ignore = "needs chromium, chromedriver and book/: run by cargo xtask browser"]
fn a_type_error_is_marked_on_the_line_the_reader_sees() {
    in_browser(async |c, url| {
        open(c, &url).await;
        let row = type_over(c, "let pid = child", "let pid: bool = child").await;
        click(c, &format!("{RUST} .rsp-run-button")).await;
        let (state, status, compile, out) = result(c).await;
        assert_eq!(state, "compile-error", "{status}\n{out}");
        // rustc's full text below, with its colours as styled spans.
        assert!(compile.contains("error[E0308]: mismatched types"), "{compile}");
        assert!(compile.contains("expected `bool`, found `u32`"), "{compile}");
        let coloured = js(
            c,
            &format!("return document.querySelectorAll('{RUST} + .rsp-result .rsp-result-compile span[class*=rsp-ansi-fg]').length;"),
            vec![],
        )
        .await;
        assert!(coloured.as_u64().unwrap_or(0) > 0, "rustc's colours are gone");
        // On the editor's row of the edited line: Ace's annotation (the
        // gutter marker) and the message widget under it.
        let marks = js(
            c,
            &format!(
                r#"
                const pre = document.querySelector('{RUST}');
                const ed = ace.edit(pre.querySelector('.ace_editor'));
                const gutter = Array.from(pre.querySelectorAll('.ace_gutter-cell.ace_error'))
                    .map(g => g.textContent.trim());
                return [ed.session.getAnnotations().filter(a => a.type === 'error').map(a => a.row),
                        gutter,
                        Array.from(pre.querySelectorAll('.rsp-diag.rsp-diag-error')).map(d => d.textContent),
                        Array.from(pre.nextElementSibling.querySelectorAll('.rsp-result-diags li')).map(l => l.textContent)];
                "#
            ),
            vec![],
        )
        .await;
        // The first error is the edited line's; the uses of `pid` below it
        // are errors too, on their own (visible) lines. The gutter numbers
        // rows with their lines in the whole program, as rustc does.
        let line = compile
            .split("--> src/main.rs:")
            .nth(1)
            .and_then(|t| t.split(':').next())
            .unwrap_or_default()
            .to_string();
        assert_eq!(marks[0][0], json!(row), "{marks}");
        assert_eq!(marks[1][0], json!(line), "{marks}\n{compile}");
        assert_eq!(marks[0].as_array().map(Vec::len), marks[1].as_array().map(Vec::len));
        let widget = marks[2][0].as_str().unwrap_or("");
        assert!(
            widget.contains("mismatched types") && widget.contains("expected `bool`, found `u32`"),
            "{marks}"
        );
        let listed = marks[3][0].as_str().unwrap_or("");
        assert!(listed.starts_with(&format!("line {line} ")), "{marks}");
        assert!(!listed.contains("hidden"), "{marks}");
        screenshot(c, "edited-with-error").await;
        assert!(out.is_empty(), "{out}");
    });
}

/// A chapter's Try it button (theme/rsp-try.js) makes the edit of its
/// snippets/<slug>/try-it.toml in the block's editor; run, the program
/// then ends and says what the Try it's block, made by the build, shows.
#[test]
#[ignore = "needs chromium, chromedriver and book/: run by cargo xtask browser"]
fn the_try_it_button_makes_the_edit_and_the_run_shows_its_failure() {
    in_browser(async |c, url| {
        open(c, &url).await;
        assert!(text(c).await.contains(" | WaitPidFlag::WNOWAIT"));
        click(c, ".rsp-try-button").await;
        let edited = text(c).await;
        assert!(!edited.contains("WaitPidFlag::WNOWAIT"), "{edited}");
        click(c, &format!("{RUST} .rsp-run-button")).await;
        let (_, status, compile, out) = result(c).await;
        let message = "zombie: behaviour not seen: an exited, unwaited child should be a zombie";
        assert!(out.contains(message), "{status}\n{compile}\n{out}");
        assert!(status.contains("exit status 1"), "{status}");
        let book =
            js(c, "return document.querySelector('details.rsp-try pre').textContent;", vec![])
                .await;
        assert!(book.as_str().unwrap_or_default().contains(message), "{book}");
        screenshot(c, "try-it").await;
    });
}

#[test]
#[ignore = "needs chromium, chromedriver and book/: run by cargo xtask browser"]
fn an_unchanged_run_matches_the_book() {
    assert!(
        root().join("target/outputs/build/src_processes").is_dir(),
        "no build records: cargo xtask build"
    );
    in_browser(async |c, url| {
        open(c, &url).await;
        let (_, out) = run_ok(c).await;
        let v = js(
            c,
            &format!(
                r#"
                const cmp = document.querySelector('{RUST} + .rsp-result .rsp-compare');
                return [cmp.getAttribute('data-state'), cmp.querySelector('.rsp-compare-head').textContent,
                        Array.from(cmp.querySelectorAll('.rsp-compare-stamps dd')).map(d => d.textContent)];
                "#
            ),
            vec![],
        )
        .await;
        assert_eq!(v[0], json!("match"), "{v}\n{out}");
        assert!(v[1].as_str().unwrap_or("").starts_with("Matches the book"), "{v}");
        let stamps = v[2].as_array().cloned().unwrap_or_default();
        assert_eq!(stamps.len(), 2, "{v}");
        for s in &stamps {
            assert!(s.as_str().unwrap_or("").contains("Linux"), "{v}");
        }
        screenshot(c, "matches-the-book").await;
    });
}

/// "Run with trace" on an edited block: the program runs under strace in
/// its sandbox, and under its output come the calls the chapter traces for
/// it, the trace, and the timeline of this run, with its `wait4` and
/// `waitid`; on the zh-TW page the timeline speaks Chinese (theme/lang.js).
#[test]
#[ignore = "needs chromium, chromedriver and book/: run by cargo xtask browser"]
fn an_edited_block_run_with_trace_shows_its_waits_in_the_timeline() {
    in_browser(async |c, url| {
        open(c, &url).await;
        type_over(c, "spawned", "TRACED").await;
        click(c, &format!("{RUST} .rsp-trace-button")).await;
        let (state, status, compile, out) = result(c).await;
        assert_eq!(state, "ok", "{status}\n{compile}\n{out}");
        assert!(out.starts_with("TRACED `true` as pid "), "{out}");
        let trace = format!(
            r#"
            const t = document.querySelector('{RUST} + .rsp-result .rsp-trace');
            const fig = t.querySelector('figure.rsp-pic-timeline');
            return [t.querySelector('.rsp-trace-head').textContent,
                    t.querySelector('.rsp-trace-text').textContent,
                    fig ? Array.from(fig.querySelectorAll('svg text')).map(e => e.textContent) : [],
                    fig ? fig.querySelector('figcaption').textContent : '',
                    t.querySelector('.rsp-compare').getAttribute('data-state')];
            "#
        );
        let v = js(c, &trace, vec![]).await;
        let head = v[0].as_str().unwrap_or("");
        assert!(head.contains("strace -f -e trace=") && head.contains("wait4"), "{v}");
        let text = v[1].as_str().unwrap_or("");
        assert!(text.contains("P1  wait4(P2, "), "{v}");
        let words: Vec<&str> =
            v[2].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        assert!(words.contains(&"wait4") && words.contains(&"waitid"), "the timeline: {words:?}");
        assert!(words.contains(&"P2"), "{words:?}");
        assert!(v[3].as_str().unwrap_or("").contains("reaps P2 (wait4)"), "{v}");
        // Edited: not compared with the book's trace, and said so.
        assert_eq!(v[4], json!("edited"), "{v}");
        screenshot(c, "run-with-trace").await;
        // The same on the zh-TW page: the figure's words in Chinese.
        open(c, &url.replace(PAGE, ZH_PAGE)).await;
        click(c, &format!("{RUST} .rsp-trace-button")).await;
        let (state, status, ..) = result(c).await;
        assert_eq!(state, "ok", "{status}");
        let v = js(c, &trace, vec![]).await;
        let caption = v[3].as_str().unwrap_or("");
        assert!(caption.contains("回收 P2（wait4）"), "{v}");
        assert!(v[0].as_str().unwrap_or("").starts_with("這次執行的系統呼叫"), "{v}");
    });
}

/// "Run with trace" on the book's own block: its trace beside the book's
/// traced run of the same program, and the same calls.
#[test]
#[ignore = "needs chromium, chromedriver and book/: run by cargo xtask browser"]
fn an_unchanged_block_run_with_trace_matches_the_books_trace() {
    assert!(
        root().join("target/outputs/build/src_processes").is_dir(),
        "no build records: cargo xtask build"
    );
    in_browser(async |c, url| {
        open(c, &url).await;
        click(c, &format!("{RUST} .rsp-trace-button")).await;
        let (state, status, ..) = result(c).await;
        assert_eq!(state, "ok", "{status}");
        let v = js(
            c,
            &format!(
                r#"
                const cmp = document.querySelector('{RUST} + .rsp-result .rsp-trace .rsp-compare');
                return [cmp.getAttribute('data-state'), cmp.textContent];
                "#
            ),
            vec![],
        )
        .await;
        assert_eq!(v[0], json!("match"), "{v}");
        assert!(v[1].as_str().unwrap_or("").starts_with("Matches the book"), "{v}");
    });
}

/// A store whose record of the chapter's unchanged run printed `from`
/// where the program prints `to`, on a machine with 64 CPUs: what a book
/// built elsewhere would say.
fn altered_store(from: &str, to: &str) -> PathBuf {
    let store = work_dir().join(format!("store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&store);
    let src = root().join("target/outputs/build/src_processes");
    let dst = store.join("src_processes");
    std::fs::create_dir_all(&dst).unwrap();
    let mut altered = false;
    for e in std::fs::read_dir(&src).unwrap().flatten() {
        let mut rec: Value =
            serde_json::from_str(&std::fs::read_to_string(e.path()).unwrap()).unwrap();
        if rec["args"] == json!(["zombie", "--vary", "\\d{3,}"]) {
            let out = rec["block"]["output"].as_str().unwrap_or("").to_string();
            assert!(out.contains(from), "{out}");
            rec["block"]["output"] = json!(out.replace(from, to));
            let stamp = rec["stamp"].as_str().unwrap_or("").to_string();
            assert!(stamp.contains(" · 2 CPUs"), "{stamp}");
            rec["stamp"] = json!(stamp.replace(" · 2 CPUs", " · 64 CPUs"));
            altered = true;
        }
        std::fs::write(dst.join(e.file_name()), rec.to_string()).unwrap();
    }
    assert!(altered, "no record of `zombie --vary` in {}", src.display());
    store
}

#[test]
#[ignore = "needs chromium, chromedriver and book/: run by cargo xtask browser"]
fn a_different_recorded_output_is_shown_highlighted() {
    let store = altered_store("state None\nSIGCHLD", "state Some('X')\nSIGCHLD");
    let arg = store.clone();
    in_browser_with(
        false,
        move |serve| {
            serve.arg("--store").arg(arg);
        },
        |_| {},
        async |c, url| {
            open(c, &url).await;
            run_ok(c).await;
            let v = js(
                c,
                &format!(
                    r#"
                    const cmp = document.querySelector('{RUST} + .rsp-result .rsp-compare');
                    const bg = e => e ? getComputedStyle(e).backgroundColor : null;
                    const book = Array.from(cmp.querySelectorAll('.rsp-diff-book'));
                    const yours = Array.from(cmp.querySelectorAll('.rsp-diff-yours'));
                    const marks = dd => Array.from(dd.querySelectorAll('mark.rsp-stamp-differs')).map(m => m.textContent);
                    const dds = cmp.querySelectorAll('.rsp-compare-stamps dd');
                    return [cmp.getAttribute('data-state'),
                            book.map(e => e.textContent), yours.map(e => e.textContent),
                            bg(book[0]), bg(yours[0]), bg(cmp.querySelector('.rsp-diff-same')),
                            marks(dds[0]), marks(dds[1])];
                    "#
                ),
                vec![],
            )
            .await;
            assert_eq!(v[0], json!("differs"), "{v}");
            assert_eq!(v[1], json!(["- after waitpid:                state Some('X')"]), "{v}");
            assert_eq!(v[2], json!(["+ after waitpid:                state None"]), "{v}");
            let clear = |x: &Value| x.is_null() || x == "rgba(0, 0, 0, 0)";
            assert!(!clear(&v[3]) && !clear(&v[4]), "not highlighted: {v}");
            assert_ne!(v[3], v[4], "both sides look the same: {v}");
            assert!(clear(&v[5]), "unchanged lines are highlighted: {v}");
            // The stamps side by side, the parts that differ marked.
            assert_eq!(v[6], json!(["64 CPUs"]), "{v}");
            assert_eq!(v[7], json!(["2 CPUs"]), "{v}");
            screenshot(c, "differs-from-the-book").await;
            // The same in a dark theme (the reader's choice, kept by mdBook).
            js(c, "localStorage.setItem('mdbook-theme', 'navy');", vec![]).await;
            c.refresh().await.unwrap();
            open(c, &url).await;
            click(c, &format!("{RUST} .rsp-run-button")).await;
            result(c).await;
            screenshot(c, "differs-from-the-book-navy").await;
        },
    );
    let _ = std::fs::remove_dir_all(store);
}

#[test]
#[ignore = "needs chromium, chromedriver and book/: run by cargo xtask browser"]
fn a_python_block_is_edited_and_run_in_the_sandbox() {
    in_browser(async |c, url| {
        open(c, &url).await;
        let v = js(
            c,
            r#"
            const pre = document.querySelector('pre.rsp-editable:has(> code[data-lang=python])');
            const ed = ace.edit(pre.querySelector('.ace_editor'));
            ed.session.insert({ row: 0, column: 0 }, 'print("EDITED PYTHON")\n');
            pre.querySelector('.rsp-run-button').click();
            return ed.session.getMode().$id;
            "#,
            vec![],
        )
        .await;
        assert_eq!(v, json!("ace/mode/python"));
        let deadline = Instant::now() + Duration::from_secs(60);
        let out = loop {
            let v = js(
                c,
                r#"
                const box = document.querySelector('pre.rsp-editable:has(> code[data-lang=python]) + .rsp-result');
                return box && box.hasAttribute('data-done')
                    ? [box.getAttribute('data-state'), box.querySelector('.rsp-result-out').textContent] : null;
                "#,
                vec![],
            )
            .await;
            if !v.is_null() {
                break v;
            }
            assert!(Instant::now() < deadline, "the Python run never ended");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(out[0], json!("ok"), "{out}");
        let text = out[1].as_str().unwrap_or("");
        assert!(text.starts_with("EDITED PYTHON\npid: "), "{text}");
        assert!(text.contains("exists: True (state Z)"), "{text}");
        let _ = c.set_window_size(driver::WIDTH, 1100).await;
        js(
            c,
            "const p = document.querySelector('pre.rsp-editable:has(> code[data-lang=python])');\
             window.scrollTo(0, p.getBoundingClientRect().top + window.scrollY - 60);",
            vec![],
        )
        .await;
        if let Ok(png) = c.screenshot().await {
            let _ = std::fs::write(work_dir().join("python-edited-and-run.png"), png);
        }
    });
}

#[test]
#[ignore = "needs chromium, chromedriver and book/: run by cargo xtask browser"]
fn without_the_link_the_page_is_locked() {
    in_browser_with(
        true,
        |_| {},
        |_| {},
        async |c, url| {
            c.goto(&url).await.unwrap();
            let text: Value = c.execute("return document.body.innerText;", vec![]).await.unwrap();
            let text = text.as_str().unwrap_or("").to_string();
            assert!(text.contains("Open the link from your terminal"), "{text}");
            // And in Chinese, for the zh-TW edition's readers.
            assert!(text.contains("請開啟終端機裡的連結"), "{text}");
            assert!(text.contains("cargo xtask serve"), "{text}");
            let source = c.source().await.unwrap();
            assert!(!source.contains("rsp-runner-token"), "{source}");
            assert!(c.find(Locator::Css(".rsp-run-button")).await.is_err());
        },
    );
}

#[test]
#[ignore = "needs chromium, chromedriver and book/: run by cargo xtask browser"]
fn pages_load_at_once_beside_300_idle_connections() {
    let mut idle: Vec<TcpStream> = Vec::new();
    in_browser_with(
        false,
        |_| {},
        |server| {
            for _ in 0..300 {
                idle.push(TcpStream::connect(("127.0.0.1", server.port)).unwrap());
            }
        },
        async |c, url| {
            // Three loads: the later ones reuse Chromium's kept-alive
            // connections and open new ones beside ours.
            for i in 0..3 {
                let start = Instant::now();
                open(c, &url).await;
                let styled: Value = c
                    .execute(
                        r#"
                        const sheets = Array.from(document.styleSheets);
                        return sheets.length > 3 && sheets.every(s => {
                            try { return s.cssRules.length >= 0; } catch (e) { return false; }
                        });
                        "#,
                        vec![],
                    )
                    .await
                    .unwrap();
                assert_eq!(styled, json!(true), "load {i}: stylesheets missing");
                let took = start.elapsed();
                assert!(
                    took < Duration::from_secs(5),
                    "load {i} took {took:?} beside 300 idle connections"
                );
            }
        },
    );
    drop(idle);
}

/// The zh-TW edition's twin of PAGE (po/i18n.toml's `dir`).
const ZH_PAGE: &str = "zh-TW/processes/zombie.html";

#[test]
#[ignore = "needs chromium, chromedriver and book/: run by cargo xtask browser"]
fn a_zh_tw_page_speaks_chinese_and_keeps_the_same_edits() {
    in_browser(async |c, url| {
        open(c, &url).await;
        type_over(c, "spawned", "BOTH-EDITIONS").await;
        let url = url.replace(PAGE, ZH_PAGE);
        open(c, &url).await;
        assert!(text(c).await.contains("BOTH-EDITIONS"), "the edit is not in the zh-TW page");
        let v = js(
            c,
            &format!(
                r#"
                const pre = document.querySelector('{RUST}');
                return [document.documentElement.lang,
                        pre.querySelector('.rsp-run-button').title,
                        pre.querySelector('.rsp-edited-badge').textContent];
                "#
            ),
            vec![],
        )
        .await;
        assert_eq!(v, json!(["zh-Hant-TW", "在這台機器上執行這段程式（Ctrl-Enter）", "已修改"]));
        let (status, out) = run_ok(c).await;
        assert!(out.starts_with("BOTH-EDITIONS `true` as pid "), "{out}");
        // The status line in theme/strings.js's zh-Hant-TW words around the
        // supervisor's own ("exit status 0", as in the output blocks).
        assert!(status.starts_with("exit status 0 · 執行耗時 "), "{status}");
        assert!(status.ends_with(" · 在這台機器上"), "{status}");
        // The runner's messages (sent in English) as the page shows them.
        let shown = js(
            c,
            "return [rspRunnerText(arguments[0]), rspRunnerText(arguments[1]), rspRunnerText(arguments[2])];",
            vec![
                json!("there is no snippet crate `snippets/x`"),
                json!("exit status 137; the memory bound (256 MiB for all its processes) killed 1 process(es)"),
                json!("an OS error nobody listed"),
            ],
        )
        .await;
        assert_eq!(
            shown,
            json!([
                "沒有 `snippets/x` 這個 snippet crate",
                "exit status 137; 記憶體上限（所有 process 合計 256 MiB）kill 了 1 個 process",
                "an OS error nobody listed"
            ])
        );
        type_over(c, "let pid = child", "let pid: bool = child").await;
        click(c, &format!("{RUST} .rsp-run-button")).await;
        let (state, status, compile, _) = result(c).await;
        assert_eq!(state, "compile-error", "{status}");
        assert!(status.starts_with("無法編譯"), "{status}");
        assert!(compile.contains("error[E0308]"), "{compile}");
        // A missing page under /zh-TW/ is the edition's own 404 page (asked
        // outside the browser, which would log the 404 as a console error).
        let port: u16 = url
            .trim_start_matches("http://127.0.0.1:")
            .split('/')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap();
        let token = url_token(c).await;
        // The client blocks: not on this runtime's thread.
        let r = std::thread::spawn(move || {
            runner_client::client::Client::new(([127, 0, 0, 1], port).into()).request(
                "GET",
                "/zh-TW/no-such-page.html",
                &[("x-rsp-token", &token)],
                b"",
            )
        })
        .join()
        .unwrap()
        .unwrap();
        assert_eq!(r.status, 404);
        assert!(r.text().contains("<html lang=\"zh-Hant-TW\""), "{}", r.text());
    });
}

/// The runner's token, as the page it served carries it.
async fn url_token(c: &Client) -> String {
    let v: Value = c
        .execute(
            "return document.querySelector('meta[name=\"rsp-runner-token\"]').content;",
            vec![],
        )
        .await
        .unwrap();
    v.as_str().unwrap_or_default().to_string()
}
