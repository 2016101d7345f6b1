//! Edit-and-run in a real browser: the built book (book/) served by the
//! runner, opened in headless Chromium (the browser-test crate's driver)
//! through the link the runner prints, a snippet block edited by typing
//! into it, and its Run button pressed; the page without the link; and
//! pages loaded while 300 idle connections sit on the runner (the stall
//! that made us drop tiny_http: Chromium waited 20 s for a stylesheet
//! queued behind idle connections). Ignored by plain `cargo test` (it needs
//! chromium, chromedriver and a built book); `cargo xtask browser` (part of
//! `cargo xtask test`) runs it with `--ignored` after building the book and
//! installing them.
mod common;

use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use browser_test::driver::{self, Driver};
use common::{one_at_a_time, root, Runner};
use fantoccini::{Client, Locator};
use serde_json::{json, Value};

const PAGE: &str = "processes/zombie.html";

fn runner() -> Runner {
    let book = root().join("book");
    assert!(
        book.join(PAGE).is_file(),
        "no {PAGE} in {}: build the book first (cargo xtask build)",
        book.display()
    );
    Runner::start(|serve| {
        serve.args(["--timeout", "10", "--no-warm"]);
    })
}

/// Opens the chapter, selects `find` in the first snippet block's text (the
/// way a reader would drag over it), types `replace` over it, and presses
/// that block's Run button. Returns the result box's state, status line,
/// compiler output and program output once the run has ended.
async fn edit_and_run(
    c: &Client,
    url: &str,
    find: &str,
    replace: &str,
) -> (String, String, String, String) {
    c.goto(url).await.unwrap();
    c.wait()
        .for_element(Locator::Css("pre.rsp-editable .rsp-run-button"))
        .await
        .expect("no Run button on the page: is the runner's token in it?");
    let selected = c
        .execute(
            r#"
            const [find] = arguments;
            const code = document.querySelector('pre.rsp-editable > code');
            const at = code.textContent.indexOf(find);
            if (at < 0) return false;
            // highlight.js splits the text into many nodes: find the node
            // and offset of a position in the whole text.
            const point = (pos) => {
                const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
                for (let n = walker.nextNode(); n; n = walker.nextNode()) {
                    if (pos <= n.data.length) return [n, pos];
                    pos -= n.data.length;
                }
                return null;
            };
            const [sn, so] = point(at);
            const [en, eo] = point(at + find.length);
            code.focus();
            const r = document.createRange();
            r.setStart(sn, so);
            r.setEnd(en, eo);
            const sel = window.getSelection();
            sel.removeAllRanges();
            sel.addRange(r);
            return sel.toString() === find;
            "#,
            vec![json!(find)],
        )
        .await
        .unwrap();
    assert_eq!(selected, json!(true), "`{find}` is not in the first block");
    c.active_element()
        .await
        .unwrap()
        .send_keys(replace)
        .await
        .unwrap();
    let typed: Value = c
        .execute(
            "return document.querySelector('pre.rsp-editable > code').textContent;",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        typed.as_str().unwrap_or("").contains(replace),
        "typing did not reach the code: {typed}"
    );
    c.find(Locator::Css("pre.rsp-editable .rsp-run-button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let v = c
            .execute(
                r#"
                const box = document.querySelector('pre.rsp-editable + .rsp-result');
                if (!box) return null;
                return [box.getAttribute('data-state'),
                        box.querySelector('.rsp-result-status').textContent,
                        box.querySelector('.rsp-result-compile').textContent,
                        box.querySelector('.rsp-result-out').textContent];
                "#,
                vec![],
            )
            .await
            .unwrap();
        if let Some(a) = v.as_array() {
            let s = |i: usize| a[i].as_str().unwrap_or("").to_string();
            if s(0) != "running" {
                screenshot(c, &s(0)).await;
                return (s(0), s(1), s(2), s(3));
            }
        }
        assert!(Instant::now() < deadline, "the run never ended: {v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// For review: target/browser-runner/run-<state>.png, the block and its result.
async fn screenshot(c: &Client, state: &str) {
    let _ = c
        .execute(
            "document.querySelector('pre.rsp-editable + .rsp-result').scrollIntoView({block: 'end'});",
            vec![],
        )
        .await;
    if let Ok(png) = c.screenshot().await {
        let dir = root().join("target").join("browser-runner");
        let _ = std::fs::write(dir.join(format!("run-{state}.png")), png);
    }
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

/// Opens the printed link (it sets the cookie) unless `locked`, then runs
/// `check` with the chapter's URL.
fn in_browser(check: impl AsyncFnOnce(&Client, String)) {
    in_browser_with(false, |_| {}, check)
}

fn in_browser_with(
    locked: bool,
    before: impl FnOnce(&Runner),
    check: impl AsyncFnOnce(&Client, String),
) {
    let _serial = one_at_a_time();
    let server = runner();
    before(&server);
    let work = root().join("target").join("browser-runner");
    std::fs::create_dir_all(&work).unwrap();
    let d = Driver::start(Path::new(driver::CHROMEDRIVER), &work).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = d.session(Path::new(driver::CHROMIUM)).await.unwrap();
        let base = format!("http://127.0.0.1:{}", server.port);
        if !locked {
            c.goto(&format!("{base}/?token={}", server.token))
                .await
                .unwrap();
            let at = c.current_url().await.unwrap();
            assert_eq!(
                at.as_str(),
                format!("{base}/"),
                "the token stays in the address bar"
            );
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
    drop(d);
}

#[test]
#[ignore = "needs chromium, chromedriver and book/: run by cargo xtask browser"]
fn an_edited_printed_string_shows_in_the_output() {
    in_browser(async |c, url| {
        let (state, status, compile, out) =
            edit_and_run(c, &url, "spawned", "EDITED-IN-THE-BROWSER").await;
        assert_eq!(state, "ok", "{status}\n{compile}\n{out}");
        assert!(
            out.starts_with("EDITED-IN-THE-BROWSER `true` as pid "),
            "{out}"
        );
        assert!(out.contains("state Some('Z')"), "{out}");
        assert!(status.starts_with("exit status 0"), "{status}");
    });
}

#[test]
#[ignore = "needs chromium, chromedriver and book/: run by cargo xtask browser"]
fn a_compile_error_shows_rustc_s_message() {
    in_browser(async |c, url| {
        let (state, status, compile, out) = edit_and_run(c, &url, "let pid", "let pid: bool").await;
        assert_eq!(state, "compile-error", "{status}\n{out}");
        assert!(
            compile.contains("error[E0308]: mismatched types"),
            "{compile}"
        );
        assert!(
            compile.contains("expected `bool`, found `u32`"),
            "{compile}"
        );
        assert!(compile.contains("--> src/main.rs:"), "{compile}");
        assert!(out.is_empty(), "{out}");
    });
}

#[test]
#[ignore = "needs chromium, chromedriver and book/: run by cargo xtask browser"]
fn without_the_link_the_page_is_locked() {
    in_browser_with(
        true,
        |_| {},
        async |c, url| {
            c.goto(&url).await.unwrap();
            let text: Value = c
                .execute("return document.body.innerText;", vec![])
                .await
                .unwrap();
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
                c.goto(&url).await.unwrap();
                c.wait()
                    .for_element(Locator::Css("pre.rsp-editable .rsp-run-button"))
                    .await
                    .expect("no Run button on the page");
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
fn a_block_on_a_zh_tw_page_runs_and_the_runner_speaks_chinese() {
    in_browser(async |c, url| {
        let url = url.replace(PAGE, ZH_PAGE);
        let (state, status, compile, out) =
            edit_and_run(c, &url, "spawned", "EDITED-IN-THE-BROWSER").await;
        assert_eq!(state, "ok", "{status}\n{compile}\n{out}");
        assert!(
            out.starts_with("EDITED-IN-THE-BROWSER `true` as pid "),
            "{out}"
        );
        let lang: Value = c
            .execute("return document.documentElement.lang;", vec![])
            .await
            .unwrap();
        assert_eq!(lang, json!("zh-Hant-TW"));
        // The status line in theme/strings.js's zh-Hant-TW words around the
        // supervisor's own ("exit status 0", as in the output blocks).
        assert!(status.starts_with("exit status 0 · 執行 "), "{status}");
        assert!(status.ends_with(" · 在這台機器上"), "{status}");
        // The runner's messages (sent in English) as the page shows them.
        let shown: Value = c
            .execute(
                "return [rspRunnerText(arguments[0]), rspRunnerText(arguments[1]), rspRunnerText(arguments[2])];",
                vec![
                    json!("there is no snippet crate `snippets/x`"),
                    json!("exit status 137; the memory bound (256 MiB for all its processes) killed 1 process(es)"),
                    json!("an OS error nobody listed"),
                ],
            )
            .await
            .unwrap();
        assert_eq!(
            shown,
            json!([
                "沒有 `snippets/x` 這個 snippet crate",
                "exit status 137; 記憶體上限（所有 process 合計 256 MiB）kill 了 1 個 process",
                "an OS error nobody listed"
            ])
        );
        let (state, status, compile, _) = edit_and_run(c, &url, "let pid", "let pid: bool").await;
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
            runner::client::Client::new(([127, 0, 0, 1], port).into()).request(
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
        assert!(
            r.text().contains("<html lang=\"zh-Hant-TW\""),
            "{}",
            r.text()
        );
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
