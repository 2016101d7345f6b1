//! The built book in a real browser: headless Chromium driven through
//! chromedriver (WebDriver) with fantoccini, the pages served from a static
//! server on 127.0.0.1.
//!
//! [`run`] visits every chapter listed in `src/SUMMARY.md` and `print.html`
//! and reports, per page: console errors, missing or empty output blocks,
//! blocks without the environment stamp, a playground "Run" button, text
//! in an output block whose contrast is below WCAG AA (4.5:1), the wrong
//! `<html lang>`, a language switcher that does not lead to the same page
//! in each other edition, and output-block labels not in the page's
//! language. It then checks the search box (each word must find its page
//! first) and the theme switcher, and writes screenshots of one chapter in
//! every theme (and as printed), and of a timeline drawn from a run in a
//! light and a dark theme, for review. Pictures' words must be in the
//! page's language, and their text is held to the same contrast. One run
//! checks one edition: the
//! English book at the root of `book`, or a translation in a folder of it.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod driver;
pub mod server;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use fantoccini::{Client, Locator};
use serde_json::{json, Value};

use driver::Driver;
use server::Server;

/// mdBook's themes, light first.
pub const THEMES: [&str; 5] = ["light", "rust", "coal", "navy", "ayu"];

/// The whole run must end within this, or it is stopped and reported.
const DEADLINE: Duration = Duration::from_secs(120);

/// One page the summary links to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Relative to the book folder, e.g. `processes/zombie.html`.
    pub html: String,
    pub title: String,
    /// A numbered chapter, or any page whose source runs a snippet, must
    /// show at least one non-empty output block.
    pub expects_output: bool,
}

pub struct Config {
    /// Holds `src/SUMMARY.md`.
    pub root: PathBuf,
    /// The built book (served as the site's root).
    pub book: PathBuf,
    /// The edition checked: its folder in `book` (`zh-TW/`), or "" for the
    /// English one at the root.
    pub edition: String,
    /// The `<html lang>` its pages must have (`en`, `zh-Hant-TW`).
    pub lang: String,
    /// The other editions' folders: each page must link to its twin there.
    pub twins: Vec<String>,
    /// The text every output block's label must show, if checked.
    pub label: Option<String>,
    /// Screenshots and logs go here.
    pub out: PathBuf,
    /// Words the search box must find, each with the page (relative to the
    /// edition) its first result must be on.
    pub searches: Vec<(String, String)>,
    /// The chapter to take screenshots of (default: the first with output).
    pub shot_page: Option<String>,
    /// A chapter whose first timeline is shot in a light and a dark theme.
    pub picture_page: Option<String>,
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

#[derive(Debug, Default)]
pub struct Report {
    /// `page: what is wrong`, one per problem.
    pub problems: Vec<String>,
    pub pages: usize,
    pub blocks: usize,
    pub screenshots: Vec<PathBuf>,
}

/// The pages `src/SUMMARY.md` links to, in order, then `print.html`.
pub fn pages(root: &Path) -> Result<Vec<Page>> {
    let src = root.join("src");
    let summary = std::fs::read_to_string(src.join("SUMMARY.md"))
        .with_context(|| format!("reading {}", src.join("SUMMARY.md").display()))?;
    let mut out = Vec::new();
    for line in summary.lines() {
        let t = line.trim_start();
        let numbered = t.starts_with("- ") || t.starts_with("* ");
        let Some(open) = t.find('[') else { continue };
        let Some(mid) = t[open..].find("](").map(|i| open + i) else {
            continue;
        };
        let Some(close) = t[mid..].find(')').map(|i| mid + i) else {
            continue;
        };
        let target = t[mid + 2..close].trim();
        if target.is_empty() {
            continue; // a draft chapter: no page yet
        }
        let text = std::fs::read_to_string(src.join(target)).unwrap_or_default();
        out.push(Page {
            html: Path::new(target)
                .with_extension("html")
                .to_string_lossy()
                .into_owned(),
            title: t[open + 1..mid].to_string(),
            // A `--markdown` directive's output is the page's own text.
            expects_output: numbered
                || text
                    .lines()
                    .any(|l| l.contains("<!-- cmdrun ") && !l.contains(" --markdown")),
        });
    }
    if out.iter().any(|p| p.expects_output) {
        out.push(Page {
            html: "print.html".into(),
            title: "the whole book, for printing".into(),
            expects_output: true,
        });
    }
    Ok(out)
}

/// Runs every check; the browser, its driver and the server are gone when
/// this returns, whatever happened.
pub fn run(cfg: &Config) -> Result<Report> {
    for exe in [&cfg.chromium, &cfg.chromedriver] {
        if !exe.is_file() {
            bail!(
                "{} is missing: install Debian's chromium and chromium-driver",
                exe.display()
            );
        }
    }
    let pages = pages(&cfg.root)?;
    std::fs::create_dir_all(&cfg.out).with_context(|| format!("creating {}", cfg.out.display()))?;
    let server = Server::start(&cfg.book)?;
    let driver = Driver::start(&cfg.chromedriver, &cfg.out)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let result = rt.block_on(async {
        let client = driver.session(&cfg.chromium).await?;
        let checked =
            tokio::time::timeout(DEADLINE, check_all(&client, &server, cfg, &pages)).await;
        // End the session (Chromium exits) before the guards kill what is left.
        let _ = client.close().await;
        match checked {
            Ok(r) => r,
            Err(_) => bail!("the browser checks took more than {} s", DEADLINE.as_secs()),
        }
    });
    drop(rt);
    drop(driver);
    drop(server);
    result
}

async fn check_all(
    client: &Client,
    server: &Server,
    cfg: &Config,
    pages: &[Page],
) -> Result<Report> {
    let mut report = Report::default();
    let started = Instant::now();
    // The viewport itself (the window size includes no browser chrome in
    // headless mode, but pin it anyway): screenshots are exactly this size.
    driver::cdp(
        client,
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": driver::WIDTH, "height": driver::HEIGHT, "deviceScaleFactor": 1, "mobile": false }),
    )
    .await?;
    set_theme(client, server, "light").await?;
    // Each page in the light theme.
    let mut kinds: Vec<(String, Vec<String>)> = Vec::new();
    for page in pages {
        let found = check_page(client, server, cfg, page, &mut report).await?;
        if page.html != "print.html" {
            kinds.push((page.html.clone(), found));
        }
        report.pages += 1;
    }
    eprintln!(
        "browser-test: {} pages, {} output blocks checked in {:.1} s",
        report.pages,
        report.blocks,
        started.elapsed().as_secs_f64()
    );

    for (word, page) in &cfg.searches {
        check_search(client, server, cfg, word, page, &mut report).await?;
    }
    check_theme_switch(client, server, cfg, pages, &mut report).await?;

    // Every theme: contrast of each kind of block, and screenshots of one chapter.
    let shot = cfg.shot_page.clone().or_else(|| {
        pages
            .iter()
            .find(|p| p.expects_output && p.html != "print.html")
            .map(|p| p.html.clone())
    });
    // The chosen chapter first, then a page for each kind of block
    // (`rsp-run-ok`, `rsp-run-expected`, ...) it does not show.
    let mut theme_pages: Vec<String> = shot.iter().cloned().collect();
    let covered = |chosen: &[String], kind: &String| {
        kinds
            .iter()
            .any(|(p, k)| chosen.contains(p) && k.contains(kind))
    };
    for (page, page_kinds) in &kinds {
        if page_kinds.iter().any(|k| !covered(&theme_pages, k)) {
            theme_pages.push(page.clone());
        }
    }
    for theme in THEMES {
        set_theme(client, server, theme).await?;
        for (i, page) in theme_pages.iter().enumerate() {
            client
                .goto(&server.url(&format!("{}{page}", cfg.edition)))
                .await?;
            for c in contrast(client).await? {
                report.problems.push(format!("{page} ({theme} theme): {c}"));
            }
            // The chosen chapter, and one page per kind of block, for review.
            scroll_to_first_block(client).await?;
            let path = cfg.out.join(format!("{}-{theme}.png", stem(page)));
            save_screenshot(client, &path).await?;
            if i == 0 && shot.is_some() {
                report.screenshots.push(path);
            }
        }
    }
    // A timeline (crates/supervisor/src/picture) in a light and a dark
    // theme, for review.
    if let Some(page) = &cfg.picture_page {
        for theme in ["light", "navy"] {
            set_theme(client, server, theme).await?;
            client
                .goto(&server.url(&format!("{}{page}", cfg.edition)))
                .await?;
            let found = client
                .execute(
                    "const f = document.querySelector('#content .rsp-pic-timeline'); \
                     if (f) f.scrollIntoView({block: 'center'}); return !!f;",
                    vec![],
                )
                .await
                .context("scrolling to a timeline")?;
            if found != Value::Bool(true) {
                report
                    .problems
                    .push(format!("{}{page}: no timeline to show", cfg.edition));
                break;
            }
            let path = cfg.out.join(format!("timeline-{theme}.png"));
            save_screenshot(client, &path).await?;
            report.screenshots.push(path);
        }
    }
    set_theme(client, server, "light").await?;
    if let Some(page) = &shot {
        // As printed: print.html with print styles, every block on it, in
        // the light theme (a printer drops the dark themes' backgrounds).
        // The screenshot shows the chosen chapter's first block.
        client
            .goto(&server.url(&format!("{}{page}", cfg.edition)))
            .await?;
        let snippet = client
            .execute(
                "const b = document.querySelector('#content .rsp-run'); return b ? b.dataset.snippet : '';",
                vec![],
            )
            .await?;
        driver::cdp(
            client,
            "Emulation.setEmulatedMedia",
            json!({ "media": "print" }),
        )
        .await?;
        client
            .goto(&server.url(&format!("{}print.html", cfg.edition)))
            .await?;
        for c in contrast(client).await? {
            report.problems.push(format!("print.html (print): {c}"));
        }
        client
            .execute(
                "const b = document.querySelector(`#content .rsp-run[data-snippet=\"${arguments[0]}\"]`) \
                    || document.querySelector('#content .rsp-run'); \
                 if (b) b.scrollIntoView({block: 'center'});",
                vec![snippet],
            )
            .await
            .context("scrolling print.html")?;
        let path = cfg.out.join(format!("{}-print.png", stem(page)));
        save_screenshot(client, &path).await?;
        report.screenshots.push(path);
        driver::cdp(client, "Emulation.setEmulatedMedia", json!({ "media": "" })).await?;
    }
    // Anything logged late (after a page's own check) still counts.
    for (level, msg) in driver::browser_log(client).await? {
        if level == "SEVERE" {
            report
                .problems
                .push(format!("console error late in the run: {msg}"));
        }
    }
    eprintln!(
        "browser-test: all checks done in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(report)
}

fn stem(page: &str) -> String {
    Path::new(page)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "page".into())
}

/// Loads one page and checks it; returns the kinds of output block on it
/// (`rsp-run-ok`, `rsp-run-expected`, ...).
async fn check_page(
    client: &Client,
    server: &Server,
    cfg: &Config,
    page: &Page,
    report: &mut Report,
) -> Result<Vec<String>> {
    let at = &format!("{}{}", cfg.edition, page.html);
    client
        .goto(&server.url(at))
        .await
        .with_context(|| format!("loading {at}"))?;
    let info = client
        .execute(
            r#"
            const blocks = Array.from(document.querySelectorAll('#content .rsp-run')).map(b => {
                const code = b.querySelector('pre code');
                const stamp = b.querySelector('.rsp-stamp');
                return {
                    text: code ? code.textContent : null,
                    kind: Array.from(b.classList).filter(c => c.startsWith('rsp-run-')).join(' '),
                    snippet: b.dataset.snippet || '',
                    stamp: stamp ? stamp.textContent.trim() : '',
                };
            });
            const run = document.querySelectorAll(
                '#content button.play-button, #content .fa-play, #content .play-button').length;
            const switches = Array.from(document.querySelectorAll('#menu-bar a.rsp-lang-switch'))
                .map(a => a.href);
            const labels = Array.from(new Set(Array.from(
                document.querySelectorAll('#content .rsp-run-label')).map(l => l.textContent.trim())));
            // A picture's words, each as theme/lang.js should have put it.
            const words = Array.from(document.querySelectorAll('#content .rsp-pic [data-rsp-t]'))
                .filter(el => el.textContent !== window.rspT(el.dataset.rspT,
                    JSON.parse(el.dataset.rspArgs || 'null')))
                .map(el => el.dataset.rspT + ': ' + el.textContent.slice(0, 40));
            const pictures = Array.from(document.querySelectorAll('#content .rsp-pic svg'))
                .filter(svg => svg.getBoundingClientRect().width < 100).length;
            return { blocks, run, switches, labels, words, pictures, lang: document.documentElement.lang,
                     title: document.title, main: !!document.querySelector('#content main') };
            "#,
            vec![],
        )
        .await
        .with_context(|| format!("inspecting {at}"))?;
    let mut kinds = Vec::new();
    if !info["main"].as_bool().unwrap_or(false) {
        report.problems.push(format!(
            "{at}: not an mdBook page (no #content main): did it load?"
        ));
    }
    let blocks = info["blocks"].as_array().cloned().unwrap_or_default();
    report.blocks += blocks.len();
    let mut non_empty = 0;
    for (i, b) in blocks.iter().enumerate() {
        let name = format!(
            "output block {} (snippet `{}`)",
            i + 1,
            b["snippet"].as_str().unwrap_or("")
        );
        match b["text"].as_str() {
            None => report
                .problems
                .push(format!("{at}: {name} has no <pre><code>")),
            Some(t) if t.trim().is_empty() => {
                report.problems.push(format!("{at}: {name} is empty"))
            }
            Some(_) => non_empty += 1,
        }
        if b["stamp"].as_str().unwrap_or_default().is_empty() {
            report.problems.push(format!(
                "{at}: {name} has no environment stamp (build with `cargo xtask build`)"
            ));
        }
        kinds.push(b["kind"].as_str().unwrap_or_default().to_string());
    }
    if page.expects_output && non_empty == 0 {
        report
            .problems
            .push(format!("{at}: no non-empty output block on this chapter"));
    }
    let lang = info["lang"].as_str().unwrap_or_default();
    if lang != cfg.lang {
        report.problems.push(format!(
            "{at}: <html lang=\"{lang}\">, expected \"{}\"",
            cfg.lang
        ));
    }
    let switches = strings(&info["switches"]);
    for twin in &cfg.twins {
        let want = server.url(&format!("{twin}{}", page.html));
        if !switches.contains(&want) {
            report.problems.push(format!(
                "{at}: no language switcher link to {want} (the same page in {}); links: {switches:?}",
                if twin.is_empty() { "the English edition" } else { twin.as_str() }
            ));
        }
    }
    if let Some(label) = &cfg.label {
        let labels = strings(&info["labels"]);
        if labels.iter().any(|l| l != label) {
            report.problems.push(format!(
                "{at}: output block labels {labels:?}, expected only \"{label}\""
            ));
        }
    }
    for w in strings(&info["words"]) {
        report.problems.push(format!(
            "{at}: a picture's words are not in the page's language: {w}"
        ));
    }
    if info["pictures"].as_u64().unwrap_or(0) > 0 {
        report.problems.push(format!(
            "{at}: {} picture(s) drawn less than 100 px wide",
            info["pictures"]
        ));
    }
    let run = info["run"].as_u64().unwrap_or(0);
    if run > 0 {
        report.problems.push(format!(
            "{at}: {run} playground Run button(s): play.rust-lang.org cannot run this book's code"
        ));
    }
    for c in contrast(client).await? {
        report.problems.push(format!("{at}: {c}"));
    }
    for (level, msg) in driver::browser_log(client).await? {
        if level == "SEVERE" {
            report.problems.push(format!("{at}: console error: {msg}"));
        }
    }
    Ok(kinds)
}

/// Text in output blocks whose contrast with what is behind it is below
/// WCAG AA (4.5:1), computed from the styles the browser applied (opacity
/// and translucent backgrounds included).
async fn contrast(client: &Client) -> Result<Vec<String>> {
    let v = client
        .execute(
            r#"
            const parse = s => {
                const m = s.match(/rgba?\(([^)]+)\)/);
                if (!m) return null;
                const p = m[1].split(/[\s,\/]+/).filter(x => x).map(parseFloat);
                return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
            };
            const over = (top, under) => ({
                r: top.r * top.a + under.r * (1 - top.a),
                g: top.g * top.a + under.g * (1 - top.a),
                b: top.b * top.a + under.b * (1 - top.a), a: 1 });
            const background = el => {
                const layers = [];
                for (let e = el; e; e = e.parentElement) {
                    const c = parse(getComputedStyle(e).backgroundColor);
                    if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
                }
                let out = { r: 255, g: 255, b: 255, a: 1 };
                for (let i = layers.length - 1; i >= 0; i--) out = over(layers[i], out);
                return out;
            };
            const opacity = el => {
                let o = 1;
                for (let e = el; e; e = e.parentElement) o *= parseFloat(getComputedStyle(e).opacity);
                return o;
            };
            const lum = c => {
                const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
                return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
            };
            const ratio = (a, b) => {
                const [x, y] = [lum(a), lum(b)];
                return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
            };
            const bad = [];
            const sel = '.rsp-run-label, .rsp-run-cmd, .rsp-run-status, .rsp-run pre code, .rsp-stamp p, .rsp-stamp a, .rsp-run > p, .rsp-pic text, .rsp-pic figcaption, .rsp-pic li';
            document.querySelectorAll('#content ' + sel.split(', ').join(', #content ')).forEach(el => {
                if (!el.textContent.trim() || el.getClientRects().length === 0) return;
                const bg = background(el);
                // SVG text is painted with its fill.
                const fg = parse(el instanceof SVGElement ? getComputedStyle(el).fill : getComputedStyle(el).color);
                const text = over({ ...fg, a: fg.a * opacity(el) }, bg);
                const r = ratio(text, bg);
                if (r < 4.5) {
                    const cls = el.className || el.tagName.toLowerCase();
                    bad.push(`contrast ${r.toFixed(2)}:1 < 4.5:1 for ${cls} "${el.textContent.trim().slice(0, 30)}"`);
                }
            });
            return Array.from(new Set(bad));
            "#,
            vec![],
        )
        .await
        .context("measuring contrast")?;
    Ok(strings(&v))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Sets mdBook's stored theme and loads a page so it applies.
async fn set_theme(client: &Client, server: &Server, theme: &str) -> Result<()> {
    client.goto(&server.url("index.html")).await?;
    client
        .execute(
            // The sidebar stays open, as a reader on a wide screen sees it.
            "localStorage.setItem('mdbook-theme', arguments[0]); localStorage.setItem('mdbook-sidebar', 'visible');",
            vec![json!(theme)],
        )
        .await
        .context("setting the theme")?;
    // The page above was loaded only for its origin; drop what it logged
    // (its own errors are checked with the pages).
    driver::browser_log(client).await?;
    Ok(())
}

async fn scroll_to_first_block(client: &Client) -> Result<()> {
    client
        .execute(
            // Centred, so the code above it shows too.
            "const b = document.querySelector('#content .rsp-run-expected, #content .rsp-run-failed') \
                || document.querySelector('#content .rsp-run'); \
             if (b) b.scrollIntoView({block: 'center'});",
            vec![],
        )
        .await
        .context("scrolling to the first output block")?;
    Ok(())
}

async fn save_screenshot(client: &Client, path: &Path) -> Result<()> {
    // Let fonts settle so the picture shows the real typefaces.
    client
        .execute_async(
            "const done = arguments[arguments.length - 1]; document.fonts.ready.then(() => done(true));",
            vec![],
        )
        .await
        .context("waiting for fonts")?;
    let png = client.screenshot().await.context("taking a screenshot")?;
    std::fs::write(path, png).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Types the word into mdBook's search box, as a reader would, and waits
/// for the results: the first must link to the expected page.
async fn check_search(
    client: &Client,
    server: &Server,
    cfg: &Config,
    word: &str,
    page: &str,
    report: &mut Report,
) -> Result<()> {
    client
        .goto(&server.url(&format!("{}index.html", cfg.edition)))
        .await?;
    client
        .find(Locator::Id("search-toggle"))
        .await
        .context("finding the search button")?
        .click()
        .await
        .context("opening the search bar")?;
    let bar = client
        .wait()
        .at_most(Duration::from_secs(5))
        .for_element(Locator::Id("searchbar"))
        .await
        .context("waiting for the search bar")?;
    bar.send_keys(word)
        .await
        .context("typing into the search bar")?;
    let deadline = Instant::now() + Duration::from_secs(5);
    // Done when the header says how many results there are (or none).
    let links = loop {
        let v = client
            .execute(
                "return { done: document.getElementById('searchresults-header').textContent.trim() !== '', \
                          header: document.getElementById('searchresults-header').textContent, \
                          links: Array.from(document.querySelectorAll('#searchresults a')).map(a => a.getAttribute('href')) };",
                vec![],
            )
            .await?;
        if v["done"] == Value::Bool(true) || Instant::now() > deadline {
            // A translated edition says how many results in its language
            // (theme/lang.js rewrites mdBook's English header).
            let header = v["header"].as_str().unwrap_or_default();
            if cfg.lang != "en" && header.contains("search result") {
                report.problems.push(format!(
                    "search in {}: the results header is in English: {header:?}",
                    cfg.edition
                ));
            }
            break strings(&v["links"]);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let on_page = |l: &String| l.split(['?', '#']).next() == Some(page);
    if !links.first().is_some_and(on_page) {
        report.problems.push(format!(
            "search{}: typing `{word}` found {} result(s), the first not on {page}: {:?}",
            if cfg.edition.is_empty() {
                String::new()
            } else {
                format!(" in {}", cfg.edition)
            },
            links.len(),
            links.iter().take(5).collect::<Vec<_>>()
        ));
    }
    for (level, msg) in driver::browser_log(client).await? {
        if level == "SEVERE" {
            report
                .problems
                .push(format!("search: console error: {msg}"));
        }
    }
    Ok(())
}

/// Clicks the theme menu like a reader and checks each theme applies (the
/// class on <html>, the stored choice, a different background).
async fn check_theme_switch(
    client: &Client,
    server: &Server,
    cfg: &Config,
    pages: &[Page],
    report: &mut Report,
) -> Result<()> {
    let page = pages
        .iter()
        .find(|p| p.expects_output && p.html != "print.html")
        .map_or("index.html", |p| p.html.as_str());
    client
        .goto(&server.url(&format!("{}{page}", cfg.edition)))
        .await?;
    let mut backgrounds = Vec::new();
    for theme in THEMES.iter().rev() {
        // The menu stays open after a choice; open it when it is closed.
        let open = client
            .execute("return getComputedStyle(document.getElementById('theme-list')).display !== 'none';", vec![])
            .await?;
        if open != Value::Bool(true) {
            client
                .find(Locator::Id("theme-toggle"))
                .await?
                .click()
                .await
                .context("opening the theme menu")?;
        }
        let button = client
            .wait()
            .at_most(Duration::from_secs(5))
            .for_element(Locator::Css(&format!("#theme-list button#{theme}")))
            .await
            .with_context(|| format!("finding the {theme} button"))?;
        button
            .click()
            .await
            .with_context(|| format!("choosing {theme}"))?;
        let v = client
            .execute(
                "return { cls: document.documentElement.className, stored: localStorage.getItem('mdbook-theme'), bg: getComputedStyle(document.documentElement).getPropertyValue('--bg').trim() };",
                vec![],
            )
            .await?;
        let cls = v["cls"].as_str().unwrap_or_default();
        if !cls.split_whitespace().any(|c| c == *theme) || v["stored"].as_str() != Some(theme) {
            report.problems.push(format!(
                "theme switch: after choosing {theme}, <html class=\"{cls}\"> and stored {:?}",
                v["stored"]
            ));
        }
        backgrounds.push(v["bg"].as_str().unwrap_or_default().to_string());
    }
    backgrounds.sort();
    backgrounds.dedup();
    if backgrounds.len() != THEMES.len() {
        report.problems.push(format!(
            "theme switch: {} themes gave only {} different backgrounds",
            THEMES.len(),
            backgrounds.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_come_from_the_summary() {
        let dir = std::env::temp_dir().join(format!("rsp-pages-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("src/part")).unwrap();
        std::fs::write(
            dir.join("src/SUMMARY.md"),
            "# Summary\n\n[Intro](intro.md)\n\n# Part\n\n- [A](part/a.md)\n- [Draft]()\n\n---\n\n[About](about.md)\n",
        )
        .unwrap();
        std::fs::write(dir.join("src/about.md"), "# About\n\n<!-- cmdrun x -->\n").unwrap();
        let got = pages(&dir).unwrap();
        let names: Vec<(&str, bool)> = got
            .iter()
            .map(|p| (p.html.as_str(), p.expects_output))
            .collect();
        assert_eq!(
            names,
            [
                ("intro.html", false),
                ("part/a.html", true),
                ("about.html", true),
                ("print.html", true)
            ]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
