//! The UI strings the theme adds to a page (theme/strings.js): one table
//! per edition, keyed by `<html lang>`. Every edition must have every key
//! of the English table, the English output-block labels must be the ones
//! crates/supervisor/src/render.rs writes (theme/lang.js finds them by
//! that text), every key the theme's scripts (theme/*.js, *.hbs) ask for
//! must exist, the `pic.` entries must be the words the supervisor's
//! pictures write, and the
//! `runner.` entries must be exactly the messages crates/runner sends to
//! the page (`runner_messages`), so a new message gets its translation.
use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use regex::Regex;

use super::config::Edition;

pub const FILE: &str = "theme/strings.js";

/// `{lang: {key: text}}`, from the JSON object the file assigns.
pub fn tables(root: &Path) -> Result<BTreeMap<String, BTreeMap<String, String>>> {
    let file = root.join(FILE);
    let text =
        std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    // The object after `window.rspStrings =` (the comments above it hold braces).
    let start = text
        .find("window.rspStrings")
        .and_then(|at| text[at..].find('{').map(|i| at + i));
    let end = text.rfind('}');
    let (Some(start), Some(end)) = (start, end) else {
        anyhow::bail!("{FILE} holds no object");
    };
    serde_json::from_str(&text[start..=end])
        .with_context(|| format!("{FILE}: the object it assigns must be JSON"))
}

pub fn problems(root: &Path, editions: &[Edition]) -> Result<Vec<String>> {
    let tables = tables(root)?;
    let mut out = Vec::new();
    let Some(en) = tables.get("en") else {
        return Ok(vec![format!("{FILE}: no `en` table")]);
    };
    for e in editions {
        let Some(t) = tables.get(&e.lang) else {
            out.push(format!("{FILE}: no `{}` table for po/{}.po", e.lang, e.po));
            continue;
        };
        for key in en.keys() {
            match t.get(key) {
                Some(v) if !v.trim().is_empty() || key == "edition.dir" => {}
                _ => out.push(format!("{FILE}: `{}` has no `{key}`", e.lang)),
            }
        }
        for key in t.keys().filter(|k| !en.contains_key(*k)) {
            out.push(format!(
                "{FILE}: `{}` has `{key}`, which `en` has not",
                e.lang
            ));
        }
        if t.get("edition.dir").map(String::as_str) != Some(&format!("{}/", e.dir)) {
            out.push(format!(
                "{FILE}: `{}` edition.dir must be \"{}/\" (po/i18n.toml)",
                e.lang, e.dir
            ));
        }
    }
    let render = std::fs::read_to_string(root.join("crates/supervisor/src/render.rs"))
        .context("reading crates/supervisor/src/render.rs")?;
    for (key, text) in en.iter().filter(|(k, _)| k.starts_with("block.")) {
        if !render.contains(text.trim()) {
            out.push(format!(
                "{FILE}: en `{key}` is \"{text}\", which crates/supervisor/src/render.rs does not write"
            ));
        }
    }
    out.extend(picture_problems(en));
    out.extend(runner_problems(root, en)?);
    let call = Regex::new(r#"\brspT\(\s*'([^']+)'"#)?;
    let mut scripts: Vec<String> = std::fs::read_dir(root.join("theme"))
        .context("reading theme/")?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| (n.ends_with(".js") && n != "strings.js") || n.ends_with(".hbs"))
        .map(|n| format!("theme/{n}"))
        .collect();
    scripts.sort();
    for name in &scripts {
        let text = std::fs::read_to_string(root.join(name)).unwrap_or_default();
        for c in call.captures_iter(&text) {
            if !en.contains_key(&c[1]) {
                out.push(format!("{name}: rspT('{}') has no entry in {FILE}", &c[1]));
            }
        }
    }
    Ok(out)
}

/// The `pic.` entries are the words of the supervisor's pictures
/// (`supervisor::picture::STRINGS`), each with the English it writes.
fn picture_problems(en: &BTreeMap<String, String>) -> Vec<String> {
    let written: BTreeMap<&str, &str> = supervisor::picture::STRINGS.iter().copied().collect();
    let mut out = Vec::new();
    for (key, text) in &written {
        match en.get(*key) {
            Some(t) if t == text => {}
            Some(t) => out.push(format!(
                "{FILE}: en `{key}` is \"{t}\", and crates/supervisor/src/picture writes \"{text}\""
            )),
            None => out.push(format!(
                "{FILE}: no `{key}` (\"{text}\"), a word crates/supervisor/src/picture writes: add it to every table"
            )),
        }
    }
    for key in en
        .keys()
        .filter(|k| k.starts_with("pic.") && !written.contains_key(k.as_str()))
    {
        out.push(format!(
            "{FILE}: `{key}` is not a word crates/supervisor/src/picture writes (changed or gone?)"
        ));
    }
    out
}

/// A message with every `{...}` (Rust's `{e:#}`, `{}`, or the table's
/// `{detail}`) as `{}`: how a table entry and a runner message compare.
fn shape(text: &str) -> String {
    static HOLE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    HOLE.get_or_init(|| Regex::new(r"\{[^{}]*\}").expect("a valid regex"))
        .replace_all(text, "{}")
        .into_owned()
}

/// The messages the runner sends to a page, in its sources' words: the
/// first string of each error and preparing event, refusal, ending note,
/// stop reason and comparison note (compare.rs), and of a run's own errors (`map_err` in run/), in
/// crates/runner/src outside its tests and benchmarks.
pub fn runner_messages(root: &Path) -> Result<std::collections::BTreeSet<String>> {
    let string = r#"\s*(?:format!\(\s*)?"((?:[^"\\]|\\.)*)""#;
    let site = Regex::new(&format!(
        r#"(?:Event::(?:Error|Preparing)\s*\{{\s*message:|refuse\(\s*StatusCode::\w+,|\b(?:stop|note)\s*=\s*Some\(|\bn\.push\(|let mut message\s*=){string}"#
    ))?;
    let in_run = Regex::new(&format!(r#"map_err\(\|e\|{string}"#))?;
    let mut out = std::collections::BTreeSet::new();
    let mut files = vec![root.join("crates/runner/src")];
    while let Some(p) = files.pop() {
        if p.is_dir() {
            for e in std::fs::read_dir(&p).with_context(|| format!("reading {}", p.display()))? {
                files.push(e?.path());
            }
            continue;
        }
        if p.extension().is_none_or(|x| x != "rs") || p.ends_with("bench.rs") {
            continue;
        }
        let text =
            std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let run = p.parent().is_some_and(|d| d.ends_with("run"));
        let found = site
            .captures_iter(code)
            .chain(in_run.captures_iter(code).filter(|_| run));
        for c in found {
            let m = shape(&c[1].replace("\\\"", "\""));
            // A message that is all filled in (`{e:#}`) has no words to translate.
            if m.chars().any(char::is_alphabetic) {
                out.insert(m);
            }
        }
    }
    Ok(out)
}

/// Every message of `runner_messages` has a `runner.` entry, and every
/// entry is one of them.
fn runner_problems(root: &Path, en: &BTreeMap<String, String>) -> Result<Vec<String>> {
    let sent = runner_messages(root)?;
    let table: BTreeMap<String, &str> = en
        .iter()
        .filter(|(k, _)| k.starts_with("runner."))
        .map(|(k, v)| (shape(v), k.as_str()))
        .collect();
    let mut out = Vec::new();
    for m in sent.iter().filter(|m| !table.contains_key(*m)) {
        out.push(format!(
            "{FILE}: crates/runner sends \"{m}\" to the page, which has no `runner.` entry (add one to every table; {{name}} for each {{}})"
        ));
    }
    for (m, key) in table.iter().filter(|(m, _)| !sent.contains(*m)) {
        out.push(format!(
            "{FILE}: `{key}` is \"{m}\", which crates/runner does not send (changed or gone?)"
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_compare_by_their_words() {
        assert_eq!(
            shape("cannot run rustc ({}): {e:#}"),
            "cannot run rustc ({}): {}"
        );
        assert_eq!(
            shape("cannot run rustc ({path}): {detail}"),
            shape("cannot run rustc ({}): {e}")
        );
    }

    #[test]
    fn every_word_of_the_pictures_has_its_entry() {
        let root = crate::setup::workspace_root().unwrap();
        let en = &tables(&root).unwrap()["en"];
        assert_eq!(picture_problems(en), Vec::<String>::new());
        let mut changed = en.clone();
        changed.insert("pic.zombie".into(), "undead".into());
        changed.insert("pic.gone".into(), "x".into());
        changed.remove("pic.reaps");
        assert_eq!(picture_problems(&changed).len(), 3);
    }

    #[test]
    fn every_runner_message_has_its_entry() {
        let root = crate::setup::workspace_root().unwrap();
        let sent = runner_messages(&root).unwrap();
        assert!(sent.contains("there is no code to run"), "{sent:#?}");
        assert!(
            sent.contains("the runner's workspace does not build: {}"),
            "{sent:#?}"
        );
        let en = &tables(&root).unwrap()["en"];
        assert_eq!(runner_problems(&root, en).unwrap(), Vec::<String>::new());
    }
}
