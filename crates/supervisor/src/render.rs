//! The Markdown a directive is replaced with. The classes are styled by
//! theme/rsp.css; xtask checks built pages for `rsp-run` blocks and for
//! `supervisor error`.
use std::fmt::Write;

/// Marker xtask looks for in built pages.
pub const ERROR_MARKER: &str = "supervisor error";

pub struct Block {
    pub slug: String,
    /// The command a reader can type from the repository root.
    pub command: String,
    /// How it ended, in words ("exit status 0", "killed by SIGABRT (expected)").
    pub status: String,
    pub output: String,
    /// Set when the run failed; the one-line reason naming snippet and chapter.
    pub error: Option<String>,
}

pub fn render(b: &Block) -> String {
    let class = if b.error.is_some() {
        "rsp-run rsp-run-failed"
    } else {
        "rsp-run"
    };
    let mut md = String::new();
    // One HTML line, a blank line, then Markdown: CommonMark ends an HTML block
    // at a blank line, so the fence below is still parsed as code.
    let _ = writeln!(
        md,
        "<div class=\"{class}\" data-snippet=\"{}\" data-status=\"{}\"><div class=\"rsp-run-head\"><span class=\"rsp-run-label\">Output</span> <code class=\"rsp-run-cmd\">$ {}</code> <span class=\"rsp-run-status\">{}</span></div>",
        escape(&b.slug),
        escape(&b.status),
        escape(&b.command),
        escape(&b.status),
    );
    md.push('\n');
    if let Some(err) = &b.error {
        let _ = writeln!(md, "**{ERROR_MARKER}**: {}\n", escape(err));
    }
    let fence = "`".repeat(longest_backtick_run(&b.output).max(2) + 1);
    let _ = writeln!(
        md,
        "{fence}text\n{}\n{fence}\n\n</div>",
        b.output.trim_end()
    );
    md
}

fn longest_backtick_run(s: &str) -> usize {
    s.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(output: &str, error: Option<&str>) -> String {
        render(&Block {
            slug: "zombie".into(),
            command: "cargo run -p zombie".into(),
            status: "exit status 0".into(),
            output: output.into(),
            error: error.map(String::from),
        })
    }

    #[test]
    fn output_with_backticks_gets_a_longer_fence() {
        let md = block("a ``` b", None);
        assert!(md.contains("````text\na ``` b\n````"), "{md}");
    }

    #[test]
    fn errors_carry_the_marker_and_escape_html() {
        let md = block("x", Some("snippet `zombie`: <boom>"));
        assert!(
            md.contains("**supervisor error**: snippet `zombie`: &lt;boom&gt;"),
            "{md}"
        );
        assert!(md.starts_with("<div class=\"rsp-run rsp-run-failed\""));
    }
}
