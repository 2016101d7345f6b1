//! What the checks read in built pages: the output blocks the supervisor
//! writes (crates/supervisor/src/render.rs), found in mdBook's HTML.

/// Each output block of a page (`<div class="rsp-run ...">` to its own
/// closing tag: command, status, output and stamp), in page order.
pub fn blocks(html: &str) -> Vec<&str> {
    block_ranges(html).into_iter().map(|r| &html[r]).collect()
}

/// Where [`blocks`] are in the page: byte ranges of `html`.
pub fn block_ranges(html: &str) -> Vec<std::ops::Range<usize>> {
    const OPEN: &str = "<div class=\"rsp-run";
    let find = |pat: &str, from: usize| html.get(from..)?.find(pat).map(|i| i + from);
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = find(OPEN, from) {
        let after = i + OPEN.len();
        // Only the block itself, not its parts (`rsp-run-head`).
        if !matches!(html.as_bytes().get(after), Some(b' ' | b'"')) {
            from = after;
            continue;
        }
        let (mut depth, mut at) = (0usize, i);
        let end = loop {
            match (find("<div", at), find("</div>", at)) {
                (Some(o), Some(c)) if o < c => {
                    depth += 1;
                    at = o + 4;
                }
                (_, Some(c)) => {
                    depth -= 1;
                    at = c + "</div>".len();
                    if depth == 0 {
                        break Some(at);
                    }
                }
                _ => break None,
            }
        };
        let Some(end) = end else { break };
        out.push(i..end);
        from = end;
    }
    out
}

/// The output a block shows: its `<pre><code>`'s text, unescaped (not the
/// command's `<code>` in its head).
pub fn output(block: &str) -> String {
    let text = block
        .find("<pre><code")
        .and_then(|i| {
            let i = i + "<pre><code".len();
            let open = i + block[i..].find('>')? + 1;
            let end = open + block[open..].find("</code></pre>")?;
            Some(&block[open..end])
        })
        .unwrap_or_default();
    unescape(text)
}

pub fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_ends_at_its_own_closing_tag() {
        let html = r#"<p>x</p><div class="rsp-run rsp-run-ok" data-snippet="z"><div class="rsp-run-head">h</div>
<pre><code class="language-text">a &lt;b&gt;
</code></pre>
<div class="rsp-stamp"><p>s</p></div>
</div><p>after</p><div class="rsp-run">two</div>"#;
        let b = blocks(html);
        assert_eq!(b.len(), 2);
        assert!(b[0].starts_with("<div class=\"rsp-run rsp-run-ok\""));
        assert!(b[0].ends_with("<div class=\"rsp-stamp\"><p>s</p></div>\n</div>"));
        assert_eq!(b[1], "<div class=\"rsp-run\">two</div>");
        assert_eq!(output(b[0]), "a <b>\n");
        assert_eq!(output(b[1]), "");
    }
}
