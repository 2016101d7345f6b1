//! The translation checks of `cargo xtask test`: `po/messages.pot` is what
//! the English book extracts to now; in every edition, each message of a
//! page the edition is complete for (po/i18n.toml) is translated and not
//! fuzzy, and no entry is left from English text that is gone. An English
//! change without its translation fails, naming the page and the message.
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use anyhow::Result;

use super::config::{self, Edition};
use super::extract::{self, Entry};
use super::{edition, strings};

/// What the checks found: `problems` fail, `notes` say what is still English.
#[derive(Debug, Default)]
pub struct Findings {
    pub problems: Vec<String>,
    pub notes: Vec<String>,
}

/// How many of a page's messages are done, in one edition.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub done: usize,
    pub fuzzy: usize,
    pub missing: usize,
}

/// Every check: the catalogs, then the theme's strings.
pub fn run(root: &Path) -> Result<Findings> {
    let mut f = run_catalogs(root)?;
    f.problems
        .extend(strings::problems(root, &config::editions(root)?)?);
    Ok(f)
}

/// The template and every edition's catalog.
pub fn run_catalogs(root: &Path) -> Result<Findings> {
    let fresh = extract::entries(&extract::catalog(root)?);
    let mut f = Findings::default();
    pot_is_current(root, &fresh, &mut f)?;
    for e in &config::editions(root)? {
        edition_is_complete(root, e, &fresh, &mut f)?;
    }
    Ok(f)
}

fn pot_is_current(root: &Path, fresh: &[Entry], f: &mut Findings) -> Result<()> {
    let pot = extract::pot_path(root);
    if !pot.is_file() {
        f.problems
            .push("po/messages.pot is missing: run `cargo xtask i18n update`".into());
        return Ok(());
    }
    let old = extract::entries(&edition::parse_po(&pot)?);
    if old == fresh {
        return Ok(());
    }
    let old_ids: BTreeSet<&str> = old.iter().map(|e| e.msgid.as_str()).collect();
    let new_ids: BTreeSet<&str> = fresh.iter().map(|e| e.msgid.as_str()).collect();
    let mut lines = Vec::new();
    for e in fresh.iter().filter(|e| !old_ids.contains(e.msgid.as_str())) {
        lines.push(format!(
            "new in {}: {}",
            e.pages.join(" "),
            extract::shown(&e.msgid)
        ));
    }
    for e in old.iter().filter(|e| !new_ids.contains(e.msgid.as_str())) {
        lines.push(format!(
            "gone from {}: {}",
            e.pages.join(" "),
            extract::shown(&e.msgid)
        ));
    }
    if lines.is_empty() {
        lines.push("references or order changed".into());
    }
    let shown = lines.len().min(8);
    f.problems.push(format!(
        "po/messages.pot is out of date with the English book ({} change(s); run `cargo xtask i18n update`):\n      {}{}",
        lines.len(),
        lines[..shown].join("\n      "),
        if lines.len() > shown { format!("\n      ... and {} more", lines.len() - shown) } else { String::new() }
    ));
    Ok(())
}

/// Checks one edition against the fresh messages; returns per-page counts.
pub fn edition_is_complete(
    root: &Path,
    e: &Edition,
    fresh: &[Entry],
    f: &mut Findings,
) -> Result<BTreeMap<String, Count>> {
    let po_name = format!("po/{}.po", e.po);
    let po = e.po_file(root);
    if !po.is_file() {
        f.problems.push(format!(
            "{po_name} is missing: run `cargo xtask i18n update`"
        ));
        return Ok(BTreeMap::new());
    }
    let catalog = edition::parse_po(&po)?;
    for m in catalog.messages().filter(|m| m.is_translated()) {
        let text = m.msgstr().unwrap_or_default();
        if emphasis_inside_a_word(text) {
            f.problems.push(format!(
                "{po_name}: emphasis inside a word (write **bold**, or put spaces around it: the translation step rewrites *x* as _x_, which Markdown does not allow inside a word): {}",
                extract::shown(text)
            ));
        }
    }
    // The terms and typography po/GLOSSARY.md settles (glossary.rs).
    let glossary = std::fs::read_to_string(root.join("po/GLOSSARY.md")).unwrap_or_default();
    let pairs: Vec<(String, String)> = catalog
        .messages()
        .filter(|m| m.is_translated() && !m.is_fuzzy())
        .map(|m| {
            (
                m.msgid().to_string(),
                m.msgstr().unwrap_or_default().to_string(),
            )
        })
        .collect();
    for p in super::glossary::problems(&glossary, &pairs) {
        f.problems.push(format!("{po_name}: {p}"));
    }
    // msgid -> (translated, fuzzy)
    let have: HashMap<&str, (bool, bool)> = catalog
        .messages()
        .map(|m| (m.msgid(), (m.is_translated(), m.is_fuzzy())))
        .collect();
    for page in e.listed() {
        if !root.join("src").join(page).is_file() {
            f.problems.push(format!(
                "po/i18n.toml lists src/{page} as complete in {}, but there is no such page",
                e.po
            ));
        }
    }
    let mut counts: BTreeMap<String, Count> = BTreeMap::new();
    for entry in fresh {
        let state = have.get(entry.msgid.as_str()).copied();
        for page in &entry.pages {
            let c = counts.entry(page.clone()).or_default();
            match state {
                Some((true, false)) => c.done += 1,
                Some((_, true)) => c.fuzzy += 1,
                _ => c.missing += 1,
            }
        }
        let Some(page) = entry.pages.iter().find(|p| e.requires(p)) else {
            continue;
        };
        let why = match state {
            Some((true, false)) => continue,
            Some((_, true)) => "fuzzy: the English changed since it was translated (update the translation, then remove the `#, fuzzy` line)",
            Some((false, false)) => "not translated",
            None => "not in the catalog: new or changed English (run `cargo xtask i18n update`, then translate it)",
        };
        f.problems.push(format!(
            "{po_name}: {page}: {why}: {}",
            extract::shown(&entry.msgid)
        ));
    }
    let fresh_ids: BTreeSet<&str> = fresh.iter().map(|e| e.msgid.as_str()).collect();
    let stale: Vec<&str> = catalog
        .messages()
        .map(|m| m.msgid())
        .filter(|id| !fresh_ids.contains(id))
        .collect();
    // Each named (the first few), so a reviewer can find them in the catalog.
    const NAMED: usize = 5;
    for id in stale.iter().take(NAMED) {
        f.problems.push(format!(
            "{po_name}: an entry for English text that is no longer in the book (run `cargo xtask i18n update`): {}",
            extract::shown(id)
        ));
    }
    if stale.len() > NAMED {
        f.problems.push(format!(
            "{po_name}: and {} more entries for English text that is no longer in the book",
            stale.len() - NAMED
        ));
    }
    let behind: Vec<String> = counts
        .iter()
        .filter(|(page, c)| !e.requires(page) && (c.missing + c.fuzzy) > 0)
        .map(|(page, c)| format!("{page} ({}/{})", c.done, c.done + c.fuzzy + c.missing))
        .collect();
    if !behind.is_empty() {
        f.notes.push(format!(
            "{}: {} page(s) not yet listed as complete in po/i18n.toml are shown partly in English: {}",
            e.po,
            behind.len(),
            behind.join(", ")
        ));
    }
    Ok(counts)
}

/// `但*不*收`: single-`*` (or `_` next to a CJK character) emphasis with a
/// letter on both sides. mdbook-i18n-helpers normalises `*x*` to `_x_`,
/// and CommonMark ignores `_` inside a word, so the reader would see the
/// underscores. `**x**` survives, and so does emphasis next to a space or
/// punctuation.
pub fn emphasis_inside_a_word(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    let cjk = |c: Option<char>| {
        c.is_some_and(|c| {
            ('\u{2e80}'..='\u{9fff}').contains(&c) || ('\u{f900}'..='\u{faff}').contains(&c)
        })
    };
    let mut in_code = false;
    for (i, &c) in chars.iter().enumerate() {
        if c == '`' {
            in_code = !in_code;
            continue;
        }
        if in_code || (c != '*' && c != '_') {
            continue;
        }
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        if prev == Some(c) || next == Some(c) || prev == Some('\\') {
            continue;
        }
        if word(prev) && word(next) && (c == '*' || cjk(prev) || cjk(next)) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emphasis_between_letters_is_caught() {
        assert!(emphasis_inside_a_word("等它結束但*不*收取"));
        assert!(emphasis_inside_a_word("但_不_收取"));
        assert!(!emphasis_inside_a_word("等它結束但**不**收取"));
        assert!(!emphasis_inside_a_word("變成了 *zombie*（殭屍）"));
        assert!(!emphasis_inside_a_word(
            "`SIG_IGN` 與 PR_SET_CHILD_SUBREAPER"
        ));
    }
}
