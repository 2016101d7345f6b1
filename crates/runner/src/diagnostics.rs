//! rustc's JSON diagnostics (`--error-format=json
//! --json=diagnostic-rendered-ansi`), read by the compile job: each error
//! and warning with the line and column of its primary span in
//! `src/main.rs` (the page maps those to the lines the reader sees), and
//! rustc's own rendering, with its colours (ANSI escapes, which the page
//! turns into styled text, never into HTML) and without them.
use serde::Deserialize;

use crate::wire::Diagnostic;

/// What a compile printed, split up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// As rustc prints it in a terminal without colours.
    pub plain: String,
    /// The same with rustc's ANSI colours.
    pub ansi: String,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Deserialize)]
struct Raw {
    #[serde(rename = "$message_type")]
    message_type: Option<String>,
    message: String,
    code: Option<RawCode>,
    level: String,
    #[serde(default)]
    spans: Vec<RawSpan>,
    rendered: Option<String>,
}

#[derive(Deserialize)]
struct RawCode {
    code: String,
}

#[derive(Deserialize)]
struct RawSpan {
    file_name: String,
    line_start: usize,
    line_end: usize,
    column_start: usize,
    column_end: usize,
    is_primary: bool,
    label: Option<String>,
}

/// Removes ANSI escape sequences (CSI ... final byte).
pub fn strip_ansi(s: &str) -> String {
    static CSI: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new("\x1b\\[[^@-~]*[@-~]").expect("a valid regex")
    });
    CSI.replace_all(s, "").into_owned()
}

/// Splits rustc's output: JSON diagnostic lines become diagnostics and
/// rendered text; any other line (the linker's, a crash) is kept as it is.
pub fn parse(output: &str, file: &str) -> Parsed {
    let mut p = Parsed::default();
    for line in output.split_inclusive('\n') {
        let raw = line
            .trim_start()
            .starts_with('{')
            .then(|| serde_json::from_str::<Raw>(line.trim()).ok())
            .flatten()
            .filter(|r| r.message_type.as_deref().unwrap_or("diagnostic") == "diagnostic");
        let Some(raw) = raw else {
            p.plain.push_str(line);
            p.ansi.push_str(line);
            continue;
        };
        if let Some(r) = &raw.rendered {
            p.ansi.push_str(r);
            p.plain.push_str(&strip_ansi(r));
        }
        if let Some(s) = raw.spans.iter().find(|s| s.is_primary && s.file_name == file) {
            p.diagnostics.push(Diagnostic {
                level: raw.level.clone(),
                message: raw.message.clone(),
                code: raw.code.as_ref().map(|c| c.code.clone()),
                line: s.line_start,
                column: s.column_start,
                end_line: s.line_end,
                end_column: s.column_end,
                label: s.label.clone(),
            });
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    const E0308: &str = r#"{"$message_type":"diagnostic","message":"mismatched types","code":{"code":"E0308","explanation":"..."},"level":"error","spans":[{"file_name":"src/main.rs","byte_start":29,"byte_end":35,"line_start":2,"line_end":2,"column_start":18,"column_end":24,"is_primary":true,"text":[],"label":"expected `u32`, found `&str`","suggested_replacement":null,"suggestion_applicability":null,"expansion":null}],"children":[],"rendered":"\u001b[0m\u001b[1m\u001b[38;5;9merror[E0308]\u001b[0m: mismatched types\n"}"#;

    #[test]
    fn a_diagnostic_gets_its_line_and_both_renderings() {
        let out = format!("{E0308}\nerror: linking with `cc` failed\n");
        let p = parse(&out, "src/main.rs");
        assert_eq!(p.diagnostics.len(), 1);
        let d = &p.diagnostics[0];
        assert_eq!((d.line, d.column, d.level.as_str()), (2, 18, "error"));
        assert_eq!(d.code.as_deref(), Some("E0308"));
        assert_eq!(p.plain, "error[E0308]: mismatched types\nerror: linking with `cc` failed\n");
        assert!(p.ansi.starts_with("\u{1b}[0m\u{1b}[1m"), "{:?}", p.ansi);
    }

    #[test]
    fn ansi_is_stripped_whole() {
        assert_eq!(strip_ansi("\u{1b}[1m\u{1b}[38;5;12m-->\u{1b}[0m x"), "--> x");
    }
}
