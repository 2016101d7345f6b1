//! Pictures drawn from a block's own run, on every build: the timeline of
//! a traced run's processes (`--timeline`: [`trace`] reads strace's files,
//! [`timeline`] draws them) and charts of a table the program printed
//! (`--plot`: [`plot`]).
//!
//! Each is inline SVG in a `<figure>` inside the output block, so cmdrun
//! splices it and a translated edition replays the same bytes. Colours are
//! classes (theme/rsp.css sets them per mdBook theme); the few words are
//! English marked with `data-rsp-t` (a key of [`STRINGS`]), which
//! theme/lang.js swaps for the page's language from theme/strings.js.
//! A picture's `text` (pids as labels, no times) is its text alternative
//! and what the drift check compares.
use std::fmt::Write;

use serde::{Deserialize, Serialize};

pub mod plot;
pub mod timeline;
pub mod trace;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Picture {
    /// What it shows, in English words, one line per lane or row.
    pub text: String,
    /// The `<figure>`, one HTML block without blank lines.
    pub html: String,
    /// Drawn above the output (a chart over its table), else under it (a
    /// timeline under its trace).
    #[serde(default)]
    pub above: bool,
}

/// The words pictures carry, in English: theme/strings.js must have each
/// key with this text (`cargo xtask i18n check`), and a translation of it.
pub const STRINGS: &[(&str, &str)] = &[
    ("pic.timeline", "The run's processes in time: a lane each, time going down, one row per event, drawn from the trace above."),
    ("pic.timeline-title", "Timeline of the run's processes: {lanes}"),
    ("pic.plot", "Drawn from the table below, made by the same run: {columns}."),
    ("pic.plot-title", "Chart of the table's {columns}"),
    ("pic.log", "A log scale: each step is ten times the one before."),
    ("pic.in-words", "The timeline in words"),
    ("pic.key-start", "starts a process"),
    ("pic.key-thread", "a thread"),
    ("pic.key-signal", "a signal, sent and delivered"),
    ("pic.key-reap", "a wait that reaps"),
    ("pic.key-zombie", "zombie: exited, not yet reaped"),
    ("pic.key-busy", "blocked in a call"),
    ("pic.key-group", "a new process group"),
    ("pic.zombie", "zombie"),
    ("pic.starts", "starts {child} ({call})"),
    ("pic.starts-thread", "starts thread {child} ({call})"),
    ("pic.runs", "runs {program}"),
    ("pic.session", "leads a new session and process group ({call})"),
    ("pic.group", "leads a new process group ({call})"),
    ("pic.joins", "joins the process group of {leader} ({call})"),
    ("pic.sends", "sends {signal} to {to}"),
    ("pic.sends-group", "sends {signal} to the process group of {leader}: {to}"),
    ("pic.gets", "gets {signal} from {from}"),
    ("pic.gets-anon", "gets {signal}"),
    ("pic.reaps", "reaps {child} ({call})"),
    ("pic.exits", "exits with {code}"),
    ("pic.killed", "killed by {signal}"),
    ("pic.zombie-until", "a zombie until {parent} reaps it"),
    ("pic.more", "and {n} more events, not drawn"),
];

/// No arguments, for [`english`] and [`words`].
pub const NONE: &[(&str, &str)] = &[];

/// The English of `key`, its `{name}`s filled from `args`.
pub fn english<S: AsRef<str>>(key: &str, args: &[(&str, S)]) -> String {
    let mut text = (STRINGS.iter().find(|(k, _)| *k == key))
        .map_or(key, |(_, t)| t)
        .to_string();
    for (name, value) in args {
        text = text.replace(&format!("{{{name}}}"), value.as_ref());
    }
    text
}

/// A lane's item ([`trace::Item`]) in English: a key's words, or a call.
pub fn say(key: &str, args: &[(&str, String)]) -> String {
    match key {
        "" => args.iter().map(|(_, t)| t.as_str()).collect(),
        k => english(k, args),
    }
}

/// `<tag data-rsp-t=key data-rsp-args=...>English</tag>`: theme/lang.js
/// puts the page's language in.
pub fn words<S: AsRef<str>>(tag: &str, attrs: &str, key: &str, args: &[(&str, S)]) -> String {
    let mut json = serde_json::Map::new();
    for (name, value) in args {
        json.insert(name.to_string(), value.as_ref().into());
    }
    let mut s = format!("<{tag}{attrs} data-rsp-t=\"{key}\"");
    if !args.is_empty() {
        let _ = write!(
            s,
            " data-rsp-args=\"{}\"",
            esc(&serde_json::Value::Object(json).to_string())
        );
    }
    let _ = write!(s, ">{}</{tag}>", esc(&english(key, args)));
    s
}

/// Text for HTML and SVG.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An `<svg>` being written, in its own units (CSS pixels at full width).
pub struct Svg {
    out: String,
}

/// Average advance of one character at the pictures' 11px monospace.
pub const CHAR: f64 = 6.7;

impl Svg {
    /// `title` is the accessible name (`words` of a key).
    pub fn new(width: f64, height: f64, title: &str) -> Svg {
        let mut out = format!(
            "<svg viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\">",
            w = n(width),
            h = n(height)
        );
        out.push_str(title);
        Svg { out }
    }

    /// `<tag class="class" name="value" .../>`.
    fn el(&mut self, tag: &str, class: &str, attrs: &[(&str, f64)]) {
        let _ = write!(self.out, "<{tag} class=\"{class}\"");
        for (name, v) in attrs {
            let _ = write!(self.out, " {name}=\"{}\"", n(*v));
        }
        self.out.push_str("/>");
    }

    pub fn line(&mut self, class: &str, x1: f64, y1: f64, x2: f64, y2: f64) {
        let ends = [("x1", x1), ("y1", y1), ("x2", x2), ("y2", y2)];
        self.el("line", class, &ends);
    }

    pub fn rect(&mut self, class: &str, x: f64, y: f64, w: f64, h: f64) {
        let size = [("width", w.max(0.0)), ("height", h.max(0.0))];
        self.el("rect", class, &[("x", x), ("y", y), size[0], size[1]]);
    }

    pub fn circle(&mut self, class: &str, x: f64, y: f64, r: f64) {
        self.el("circle", class, &[("cx", x), ("cy", y), ("r", r)]);
    }

    /// A filled polygon through `points`.
    pub fn polygon(&mut self, class: &str, points: &[(f64, f64)]) {
        let p: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{},{}", n(*x), n(*y)))
            .collect();
        let _ = write!(
            self.out,
            "<polygon class=\"{class}\" points=\"{}\"/>",
            p.join(" ")
        );
    }

    /// A line from (x1, y1) with an arrowhead at (x2, y2).
    pub fn arrow(&mut self, class: &str, x1: f64, y1: f64, x2: f64, y2: f64) {
        let (dx, dy) = (x2 - x1, y2 - y1);
        let len = (dx * dx + dy * dy).sqrt().max(1.0);
        let (ux, uy) = (dx / len, dy / len);
        let (bx, by) = (x2 - 7.0 * ux, y2 - 7.0 * uy);
        self.line(class, x1, y1, bx, by);
        let head = [
            (x2, y2),
            (bx - 3.5 * uy, by + 3.5 * ux),
            (bx + 3.5 * uy, by - 3.5 * ux),
        ];
        self.polygon(&format!("{class} rsp-pic-head"), &head);
    }

    /// Text at (x, y), its baseline; `anchor` is start, middle or end.
    pub fn text(&mut self, class: &str, x: f64, y: f64, anchor: &str, text: &str) {
        let (x, y, text) = (n(x), n(y), esc(text));
        let _ = write!(
            self.out,
            "<text class=\"{class}\" x=\"{x}\" y=\"{y}\" text-anchor=\"{anchor}\">{text}</text>"
        );
    }

    /// Marked-up text (from [`words`]) at (x, y).
    pub fn raw(&mut self, markup: &str) {
        self.out.push_str(markup);
    }

    pub fn finish(mut self) -> String {
        self.out.push_str("</svg>");
        self.out
    }
}

/// A coordinate, short: one decimal at most.
fn n(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

/// The figure: the picture, then a caption of HTML (no blank lines, so
/// Markdown keeps it one HTML block).
pub fn figure(kind: &str, svg: &str, caption: &str) -> String {
    format!(
        "<figure class=\"rsp-pic rsp-pic-{kind}\"><div class=\"rsp-pic-scroll\">{svg}</div><figcaption>{caption}</figcaption></figure>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_carry_their_key_and_arguments() {
        assert_eq!(
            words("span", "", "pic.sends", &[("signal", "SIGTERM"), ("to", "P2")]),
            "<span data-rsp-t=\"pic.sends\" data-rsp-args=\"{&quot;signal&quot;:&quot;SIGTERM&quot;,&quot;to&quot;:&quot;P2&quot;}\">sends SIGTERM to P2</span>"
        );
        assert_eq!(
            words("title", "", "pic.in-words", NONE),
            "<title data-rsp-t=\"pic.in-words\">The timeline in words</title>"
        );
    }

    #[test]
    fn coordinates_are_short() {
        assert_eq!(n(12.0), "12");
        assert_eq!(n(12.345), "12.3");
        assert_eq!(n(-0.04), "0");
    }
}
