//! A translated heading keeps the English page's anchor: before a chapter
//! is translated, each of its headings gets the id mdBook gives it in the
//! English page (`## Why {#why}`), worked out from the English Markdown
//! with mdBook's own functions, so the English page need not exist yet. The heading's text, the message, is
//! unchanged, so translation still finds it, and `#why` links (from pages
//! in either language, from print.html, from the language switcher) reach
//! the same section in every edition, translated or not.
use std::sync::LazyLock;

use anyhow::{bail, Result};
use regex::Regex;

// The patterns, compiled once: they run on every page of every build.
// mdBook's own (hbs_renderer.rs, `build_header_links`).
static HEADING_HTML: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"<h(\d)(?: id="([^"]+)")?(?: class="([^"]+)")?>(.*?)</h\d>"#)
        .expect("a valid regex")
});
static PAGE_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"<h[1-6] id="([^"]+)""#).expect("a valid regex"));
static ATX_HEADING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^ {0,3}#{1,6}(\s|$)").expect("a valid regex"));
static PRINT_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r##"<h([1-6]) id="([^"]+)"((?: class="[^"]+")?)><a class="header" href="#([^"]+)">"##,
    )
    .expect("a valid regex")
});

/// The heading ids mdBook gives the page rendered from `markdown`, in
/// order: its renderer (`build_header_links`) takes each `<hN>` of the
/// rendered HTML, keeps an id the heading names, and gives the others
/// `unique_id_from_content` of their HTML. `smart` is the book's
/// `smart-punctuation` (it changes `--` and quotes, so the ids).
pub fn english_ids(markdown: &str, smart: bool) -> Vec<String> {
    ids_of_html(&mdbook::utils::render_markdown(markdown, smart))
}

/// The ids mdBook's renderer gives the headings of a rendered page body.
pub fn ids_of_html(html: &str) -> Vec<String> {
    let mut counter = std::collections::HashMap::new();
    HEADING_HTML
        .captures_iter(html)
        .map(|c| match c.get(2) {
            Some(id) => id.as_str().to_string(),
            None => mdbook::utils::unique_id_from_content(&c[4], &mut counter),
        })
        .collect()
}

/// The ids of a built page's headings (`<h2 id="why">`; the template's own
/// headings carry none), to compare two editions' pages.
pub fn page_ids(html: &str) -> Vec<String> {
    PAGE_ID
        .captures_iter(html)
        .map(|c| c[1].to_string())
        .collect()
}

/// Appends ` {#id}` to each ATX heading of `markdown` outside fenced code,
/// in order; a heading that names its id already keeps it.
pub fn pin(markdown: &str, ids: &[String], page: &str) -> Result<String> {
    let heading = &*ATX_HEADING;
    let mut out = String::with_capacity(markdown.len() + ids.len() * 16);
    let mut fence: Option<&str> = None;
    let mut next = ids.iter();
    for line in markdown.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let trimmed = body.trim_start();
        if let Some(f) = fence {
            if trimmed.starts_with(f) {
                fence = None;
            }
        } else if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = Some(&trimmed[..3]);
        } else if heading.is_match(body) {
            let Some(id) = next.next() else {
                bail!("{page}: more headings than the English page has ids");
            };
            if !body.trim_end().ends_with('}') {
                out.push_str(body.trim_end());
                out.push_str(&format!(" {{#{id}}}"));
                out.push_str(&line[body.len()..]);
                continue;
            }
        }
        out.push_str(line);
    }
    if next.next().is_some() {
        bail!("{page}: fewer headings than the English page has ids");
    }
    Ok(out)
}

/// Rewrites each heading id of the translated print page `html` (and its
/// self-link) to the English print page's at the same place; `None` when
/// the two pages do not have the same number of headings.
pub fn align_print(html: &str, english: &str) -> Option<String> {
    let re = &*PRINT_HEADING;
    let theirs: Vec<String> = re
        .captures_iter(english)
        .map(|c| c[2].to_string())
        .collect();
    if theirs.len() != re.captures_iter(html).count() {
        return None;
    }
    let mut ids = theirs.iter();
    let out = re.replace_all(html, |c: &regex::Captures<'_>| {
        let id = ids.next().map_or(&c[2], String::as_str);
        format!(
            r##"<h{} id="{id}"{}><a class="header" href="#{id}">"##,
            &c[1], &c[3]
        )
    });
    Some(out.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_get_the_english_ids_code_does_not() {
        let md = "# Zombies\n\n## Why\n\n```sh\n# not a heading\n```\n\n## Own {#mine}\n";
        let ids = ["zombies".to_string(), "why".into(), "mine".into()];
        assert_eq!(
            pin(md, &ids, "p").unwrap(),
            "# Zombies {#zombies}\n\n## Why {#why}\n\n```sh\n# not a heading\n```\n\n## Own {#mine}\n"
        );
        assert!(pin(md, &ids[..2], "p").is_err());
        assert_eq!(
            page_ids(r##"<h1 class="menu-title">T</h1><h2 id="why"><a href="#why">Why</a></h2>"##),
            ["why"]
        );
    }

    #[test]
    fn the_print_page_takes_the_english_ids() {
        let h = |id: &str| format!(r##"<h2 id="{id}"><a class="header" href="#{id}">x</a></h2>"##);
        let en = format!("{}<p>a</p>{}", h("why"), h("why-1"));
        let zh = format!("{}<p>甲</p>{}", h("why"), h("why"));
        assert_eq!(
            align_print(&zh, &en).unwrap(),
            format!("{}<p>甲</p>{}", h("why"), h("why-1"))
        );
        assert_eq!(align_print(&h("why"), &en), None);
    }

    #[test]
    fn ids_are_mdbooks() {
        let md = "# The `wait` call\n\n## Why -- really?\n\n## Why -- really?\n\n## Own {#mine}\n";
        assert_eq!(
            english_ids(md, false),
            ["the-wait-call", "why----really", "why----really-1", "mine"]
        );
        assert_eq!(english_ids(md, true)[1], "why--really");
    }
}
