//! The UI strings the theme adds to a page (theme/strings.js): one table
//! per edition, keyed by `<html lang>`. Every edition must have every key
//! of the English table, the English output-block labels must be the ones
//! crates/supervisor/src/render.rs writes (theme/lang.js finds them by
//! that text), and every key the theme's scripts (theme/*.js, *.hbs) ask
//! for must exist.
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
    let (start, end) = (text.find('{'), text.rfind('}'));
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
