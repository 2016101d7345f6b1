//! A translated heading keeps the English page's anchor: before a chapter
//! is translated, each of its headings gets the id mdBook gave it in the
//! English page (`## Why {#why}`). The heading's text, the message, is
//! unchanged, so translation still finds it, and `#why` links (from pages
//! in either language, from print.html, from the language switcher) reach
//! the same section in every edition, translated or not.
use anyhow::{bail, Result};
use regex::Regex;

/// The heading ids of an English page, in order (`<h2 id="why">`; the
/// template's own headings carry none).
pub fn english_ids(html: &str) -> Vec<String> {
    let re = Regex::new(r#"<h[1-6] id="([^"]+)""#).expect("a valid regex");
    re.captures_iter(html).map(|c| c[1].to_string()).collect()
}

/// Appends ` {#id}` to each ATX heading of `markdown` outside fenced code,
/// in order; a heading that names its id already keeps it.
pub fn pin(markdown: &str, ids: &[String], page: &str) -> Result<String> {
    let heading = Regex::new(r"^ {0,3}#{1,6}(\s|$)").expect("a valid regex");
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
            english_ids(
                r##"<h1 class="menu-title">T</h1><h2 id="why"><a href="#why">Why</a></h2>"##
            ),
            ["why"]
        );
    }
}
