//! What `po/GLOSSARY.md` settles, checked on a catalog: a term the glossary
//! has chosen a form for is not written another way, and Chinese prose
//! keeps its typography. Pure functions of the glossary's text and the
//! catalog's (msgid, msgstr) pairs, so they are tested without a book.
//!
//! The glossary's table under [`RULES_HEADING`] lists the forms the check
//! refuses, one a row: `| not | write | except in |`. `not` is refused
//! anywhere in a translation's prose (code spans, link targets and HTML
//! tags left out) unless it is part of one of the `except in` strings
//! (separated by `、`), which are longer words that merely contain it
//! (`一行程式` holds 行程 but means "a one-line program").

/// The heading of the glossary's table of refused forms.
pub const RULES_HEADING: &str = "## Forms the check refuses";

/// One refused form and what the glossary writes instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub not: String,
    pub write: String,
    pub except: Vec<String>,
}

/// The rules of the table under [`RULES_HEADING`] (none if it is missing).
pub fn rules(glossary: &str) -> Vec<Rule> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in glossary.lines() {
        if line.starts_with("## ") {
            inside = line.trim_end() == RULES_HEADING;
            continue;
        }
        let line = line.trim();
        if !inside || !line.starts_with('|') {
            continue;
        }
        let cells: Vec<String> = line
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().trim_matches('`').to_string())
            .collect();
        let Some(not) = cells.first().filter(|c| !c.is_empty()) else {
            continue;
        };
        // The header row and the `| --- |` line.
        if not == "not" || not.chars().all(|c| c == '-' || c == ':') {
            continue;
        }
        out.push(Rule {
            not: not.clone(),
            write: cells.get(1).cloned().unwrap_or_default(),
            except: cells
                .get(2)
                .map(|c| {
                    c.split('、')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default(),
        });
    }
    out
}

/// Every problem in `pairs` (msgid, msgstr; an empty msgstr is not
/// translated and is skipped): refused forms, then typography.
pub fn problems(glossary: &str, pairs: &[(String, String)]) -> Vec<String> {
    let rules = rules(glossary);
    let mut out = Vec::new();
    for (id, text) in pairs.iter().filter(|(_, s)| !s.is_empty()) {
        let prose = prose(text);
        for r in &rules {
            if refused(&prose, r) {
                out.push(format!(
                    "{}: 「{}」, where po/GLOSSARY.md writes 「{}」",
                    super::extract::shown(id),
                    r.not,
                    r.write
                ));
            }
        }
        for t in typography(&prose) {
            out.push(format!("{}: {t}", super::extract::shown(id)));
        }
    }
    out
}

/// Whether `prose` holds `r.not` outside every `r.except` word.
fn refused(prose: &str, r: &Rule) -> bool {
    prose.match_indices(&r.not).any(|(at, _)| {
        !r.except.iter().any(|word| {
            // `word` holds `not` at some offset; is this occurrence that one?
            word.match_indices(&r.not)
                .any(|(inner, _)| at >= inner && prose[at - inner..].starts_with(word.as_str()))
        })
    })
}

/// The Chinese typography of one translation's prose: no half-width space
/// after full-width punctuation (after a closing `**` either: write
/// `**收**。如` rather than `**收。** 如`, which CommonMark would not
/// close), and full-width parentheses around Chinese text.
pub fn typography(prose: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = prose.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !"。，、：；！？）」』".contains(c) {
            continue;
        }
        let mut j = i + 1;
        while chars.get(j) == Some(&'*') {
            j += 1;
        }
        if chars.get(j) == Some(&' ') {
            // Code and links left out of the prose show as `…`.
            let around: String = chars[i.saturating_sub(6)..(j + 4).min(chars.len())]
                .iter()
                .map(|&c| if c == '\u{fffc}' { '…' } else { c })
                .collect();
            out.push(format!(
                "a half-width space after 「{c}」 in 「{around}」 (full-width punctuation needs none)"
            ));
        }
    }
    let mut depth_start = None;
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '(' => depth_start = Some(i),
            ')' => {
                if let Some(s) = depth_start.take() {
                    let inside: String = chars[s + 1..i].iter().collect();
                    if inside.chars().any(is_cjk) {
                        out.push(format!(
                            "half-width parentheses around Chinese text: 「({inside})」 (write （…）)"
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// A CJK ideograph (the unified blocks and the compatibility ones).
pub fn is_cjk(c: char) -> bool {
    ('\u{3400}'..='\u{9fff}').contains(&c) || ('\u{f900}'..='\u{faff}').contains(&c)
}

/// `text` without what is not prose: code spans (`…`), link targets
/// (`](…)`) and HTML tags, each replaced by one space-free marker so that
/// the words around them stay apart.
pub fn prose(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let skip_to = match c {
            '`' => {
                let ticks = rest.len() - rest.trim_start_matches('`').len();
                let fence = &rest[..ticks];
                rest[ticks..].find(fence).map(|end| ticks + end + ticks)
            }
            ']' if rest[1..].starts_with('(') => rest.find(')').map(|end| end + 1),
            '<' if rest[1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '/') => {
                rest.find('>').map(|end| end + 1)
            }
            _ => None,
        };
        match skip_to {
            Some(n) => {
                out.push('\u{fffc}');
                rest = &rest[n..];
            }
            None => {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const GLOSSARY: &str = "# zh-TW glossary\n\n## Translated\n\n| English | zh-TW | not |\n| --- | --- | --- |\n| caller | 呼叫端 | 呼叫者 |\n\n## Forms the check refuses\n\n| not | write | except in |\n| --- | --- | --- |\n| 呼叫者 | 呼叫端 | |\n| 行程 | process | 一行程式、行程式碼 |\n| `旗標` | flag | |\n\n## Typography\n\n| a | b | c |\n";

    fn pair(s: &str) -> Vec<(String, String)> {
        vec![("The caller".to_string(), s.to_string())]
    }

    #[test]
    fn the_rules_are_the_rows_of_their_table() {
        let r = rules(GLOSSARY);
        assert_eq!(r.len(), 3, "{r:?}");
        assert_eq!(r[0].not, "呼叫者");
        assert_eq!(r[0].write, "呼叫端");
        assert_eq!(r[1].except, ["一行程式", "行程式碼"]);
        assert_eq!(r[2].not, "旗標");
        assert!(rules("# no table here\n| a | b |\n").is_empty());
    }

    #[test]
    fn a_refused_form_is_found_outside_code_and_its_exceptions() {
        let found = problems(GLOSSARY, &pair("由呼叫者決定"));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("「呼叫者」, where po/GLOSSARY.md writes 「呼叫端」"),
            "{found:?}"
        );
        assert!(problems(GLOSSARY, &pair("由呼叫端決定")).is_empty());
        // In code, a link target or an exception word it is not prose.
        assert!(problems(GLOSSARY, &pair("見 `呼叫者` 與 [這裡](a/呼叫者.md)")).is_empty());
        assert!(problems(GLOSSARY, &pair("一行程式就夠了")).is_empty());
        assert_eq!(problems(GLOSSARY, &pair("一行程式，另一個行程")).len(), 1);
        // Untranslated entries are not checked.
        assert!(problems(GLOSSARY, &pair("")).is_empty());
    }

    #[test]
    fn a_space_after_full_width_punctuation_is_found() {
        assert_eq!(typography("回收。 如果").len(), 1);
        assert_eq!(typography("**讓 kernel 來回收。** 如果").len(), 1);
        assert_eq!(typography("解構子（destructor） 一節").len(), 1);
        assert!(typography("**讓 kernel 來回收**。如果").is_empty());
        assert!(typography("回收，然後 `wait` 它").is_empty());
        assert!(typography("call it. Then").is_empty());
    }

    #[test]
    fn half_width_parentheses_around_chinese_are_found() {
        assert_eq!(typography("需要 (雜湊方法) 才行").len(), 1);
        assert!(typography("需要（雜湊方法）才行").is_empty());
        assert!(typography("見 wait(2) 與 `f(x)`").is_empty());
        // A link target is not prose, so its parentheses are not checked.
        assert!(problems(GLOSSARY, &pair("[殭屍](zombie.md)")).is_empty());
    }

    #[test]
    fn prose_leaves_out_code_links_and_tags() {
        let p = prose("a `b` c ``d`e`` f [g](h.md) <i class=\"x\">j</i> 1 < 2");
        assert!(
            !p.contains('b') && !p.contains('d') && !p.contains("h.md"),
            "{p}"
        );
        assert!(!p.contains("class"), "{p}");
        assert!(
            p.contains('g') && p.contains('j') && p.contains("1 < 2"),
            "{p}"
        );
    }
}
