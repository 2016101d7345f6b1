//! Every built page links to the same page in every edition without
//! JavaScript (theme/head.hbs, theme/header.hbs): a
//! `<link rel="alternate" hreflang="…" href="…">` per edition, itself
//! included, and a plain `<a class="rsp-lang-switch" hreflang="…">` to each
//! other edition's twin, which theme/lang.js only moves into the menu bar.
//! A pure function of one page's HTML, for the page checks of a build.

/// An edition as the pages name it: its `hreflang` (the `<html lang>` of
/// its pages) and its folder below the English book (`""`, `"zh-TW/"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edition<'a> {
    pub lang: &'a str,
    pub dir: &'a str,
}

/// What `html`, the page `page` (its path below its edition's root, e.g.
/// `processes/zombie.html`) of the edition in `dir`, lacks of its links to
/// `editions` (every edition, English first).
pub fn problems(page: &str, html: &str, dir: &str, editions: &[Edition<'_>]) -> Vec<String> {
    let links = tags(html, "link");
    let anchors = tags(html, "a");
    let mut out = Vec::new();
    for e in editions {
        let href = twin_href(page, dir, e.dir);
        let has_link = links.iter().any(|t| {
            attr(t, "rel") == Some("alternate")
                && attr(t, "hreflang") == Some(e.lang)
                && attr(t, "href") == Some(href.as_str())
        });
        if !has_link {
            out.push(format!(
                "{dir}{page}: no <link rel=\"alternate\" hreflang=\"{}\" href=\"{href}\">",
                e.lang
            ));
        }
        if e.dir == dir {
            continue;
        }
        let has_a = anchors.iter().any(|t| {
            attr(t, "class").is_some_and(|c| c.split(' ').any(|c| c == "rsp-lang-switch"))
                && attr(t, "hreflang") == Some(e.lang)
                && attr(t, "href") == Some(href.as_str())
        });
        if !has_a {
            out.push(format!(
                "{dir}{page}: no <a class=\"rsp-lang-switch\" hreflang=\"{}\" href=\"{href}\"> to its twin",
                e.lang
            ));
        }
    }
    out
}

/// Every page of every edition built in `book` (English at its top, the
/// editions of po/i18n.toml in their folders): the chapters, the index,
/// print.html and the 404 page.
pub fn check(
    book: &std::path::Path,
    chapters: &[crate::chapters::Chapter],
    editions: &[super::config::Edition],
) -> Vec<String> {
    let dirs: Vec<String> = editions.iter().map(|e| format!("{}/", e.dir)).collect();
    let mut all = vec![Edition {
        lang: "en",
        dir: "",
    }];
    all.extend(
        editions
            .iter()
            .zip(&dirs)
            .map(|(e, dir)| Edition { lang: &e.lang, dir }),
    );
    let mut pages: Vec<String> = chapters
        .iter()
        .filter(|c| c.rel != std::path::Path::new("SUMMARY.md"))
        .map(|c| c.rel.with_extension("html").to_string_lossy().into_owned())
        .collect();
    pages.extend(["index.html", "print.html", "404.html"].map(String::from));
    pages.sort();
    pages.dedup();
    let mut out = Vec::new();
    for e in &all {
        for page in &pages {
            match std::fs::read_to_string(book.join(e.dir).join(page)) {
                Ok(html) => out.extend(problems(page, &html, e.dir, &all)),
                Err(err) => out.push(format!("{}{page}: {err}", e.dir)),
            }
        }
    }
    out
}

/// The link from `page` of the edition in `from` to the same page of the
/// edition in `to`: up to the edition's root for itself, else up to the
/// English root and down into `to`.
pub fn twin_href(page: &str, from: &str, to: &str) -> String {
    let depth = |p: &str| p.split('/').filter(|s| !s.is_empty()).count();
    let up = page.matches('/').count();
    if from == to {
        return format!("{}{page}", "../".repeat(up));
    }
    format!("{}{to}{page}", "../".repeat(up + depth(from)))
}

/// The opening tags `<name …>` in `html`, as their attribute text.
fn tags<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<{name} ");
    html.match_indices(&open)
        .filter_map(|(at, _)| {
            let rest = &html[at + open.len()..];
            rest.find('>').map(|end| &rest[..end])
        })
        .collect()
}

/// The value of `name="…"` in a tag's attribute text.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!("{name}=\"");
    let mut from = 0;
    while let Some(at) = tag[from..].find(&key) {
        let start = from + at;
        // A whole attribute name, not the end of a longer one (data-rel=).
        let whole = start == 0 || tag[..start].ends_with(char::is_whitespace);
        let value = &tag[start + key.len()..];
        if whole {
            return value.find('"').map(|end| &value[..end]);
        }
        from = start + key.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const EDITIONS: [Edition<'static>; 2] = [
        Edition {
            lang: "en",
            dir: "",
        },
        Edition {
            lang: "zh-Hant-TW",
            dir: "zh-TW/",
        },
    ];

    fn page(links: &[(&str, &str)], a: Option<(&str, &str)>) -> String {
        let mut html = String::from("<html><head>\n");
        for (lang, href) in links {
            html.push_str(&format!(
                "<link rel=\"alternate\" hreflang=\"{lang}\" href=\"{href}\">\n"
            ));
        }
        html.push_str("</head><body>\n");
        if let Some((lang, href)) = a {
            html.push_str(&format!(
                "<a class=\"rsp-lang-switch rsp-lang-static\" hreflang=\"{lang}\" lang=\"{lang}\" href=\"{href}\">x</a>\n"
            ));
        }
        html + "</body></html>"
    }

    #[test]
    fn the_twin_is_up_to_the_root_and_down() {
        assert_eq!(
            twin_href("processes/zombie.html", "", "zh-TW/"),
            "../zh-TW/processes/zombie.html"
        );
        assert_eq!(
            twin_href("processes/zombie.html", "zh-TW/", ""),
            "../../processes/zombie.html"
        );
        assert_eq!(twin_href("about.html", "zh-TW/", "zh-TW/"), "about.html");
        assert_eq!(
            twin_href("processes/zombie.html", "zh-TW/", "zh-TW/"),
            "../processes/zombie.html"
        );
        assert_eq!(twin_href("index.html", "", ""), "index.html");
    }

    #[test]
    fn a_page_with_both_links_passes_and_one_without_is_named() {
        let good = page(
            &[
                ("en", "../processes/zombie.html"),
                ("zh-Hant-TW", "../zh-TW/processes/zombie.html"),
            ],
            Some(("zh-Hant-TW", "../zh-TW/processes/zombie.html")),
        );
        assert!(problems("processes/zombie.html", &good, "", &EDITIONS).is_empty());

        let zh = page(
            &[
                ("en", "../../processes/zombie.html"),
                ("zh-Hant-TW", "../processes/zombie.html"),
            ],
            Some(("en", "../../processes/zombie.html")),
        );
        assert!(problems("processes/zombie.html", &zh, "zh-TW/", &EDITIONS).is_empty());

        let bare = page(&[("en", "../processes/zombie.html")], None);
        let found = problems("processes/zombie.html", &bare, "", &EDITIONS);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].contains("hreflang=\"zh-Hant-TW\" href=\"../zh-TW/processes/zombie.html\">")
        );
        assert!(found[1].contains("to its twin"), "{found:?}");
    }

    #[test]
    fn a_link_to_the_wrong_page_does_not_count() {
        let wrong = page(
            &[
                ("en", "../processes/zombie.html"),
                ("zh-Hant-TW", "../zh-TW/"),
            ],
            Some(("zh-Hant-TW", "../zh-TW/")),
        );
        assert_eq!(
            problems("processes/zombie.html", &wrong, "", &EDITIONS).len(),
            2
        );
    }
}
