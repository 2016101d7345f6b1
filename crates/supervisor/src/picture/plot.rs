//! `--plot SPEC`: a chart of the table the program printed, drawn from the
//! same run. SPEC names the table's columns and, after colons, options:
//!
//! - `median,min,max:ms:log`: a row's median as a dot on the line from
//!   its min to its max, in ms, on a log scale;
//! - `wake-ups in 50 ms`: a bar per row.
//!
//! The table is the first whose header (columns split by two spaces or
//! more) has every named column; its cells are right-aligned under the
//! header's words (the last column takes the rest of the line), and it
//! ends at the first line whose first named cell is not a number. A
//! column's unit is the spec's, else what follows the numbers (`28.3 ms`).
use std::fmt::Write;

use super::{figure, words, Picture, Svg, CHAR, NONE};

#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    /// One column (bars) or three: the dot, the low and high ends.
    pub columns: Vec<String>,
    pub unit: Option<String>,
    pub log: bool,
}

/// For clap: the spec, checked.
pub fn parse_spec(s: &str) -> Result<String, String> {
    spec(s).map(|_| s.to_string())
}

pub fn spec(s: &str) -> Result<Spec, String> {
    let mut parts = s.split(':').map(str::trim);
    let columns: Vec<String> = parts
        .next()
        .unwrap_or_default()
        .split(',')
        .map(|c| c.trim().into())
        .collect();
    let mut spec = Spec {
        columns,
        unit: None,
        log: false,
    };
    for o in parts {
        match o {
            "log" => spec.log = true,
            "" => return Err(format!("`{s}`: an empty option")),
            u => spec.unit = Some(u.into()),
        }
    }
    if spec.columns.iter().any(String::is_empty) || ![1, 3].contains(&spec.columns.len()) {
        return Err(format!(
            "`{s}`: name one column (`best rate`) or three (`median,min,max`), then `:UNIT` or `:log`"
        ));
    }
    Ok(spec)
}

/// A table's rows: each one's label and the named columns' cells.
type Rows = Vec<(String, Vec<String>)>;

fn table(output: &str, names: &[String]) -> Result<Rows, String> {
    let lines: Vec<&str> = output.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let header = columns(line);
        let find = |n: &String| header.iter().position(|(h, _)| h == n);
        let Some(wanted) = names.iter().map(find).collect::<Option<Vec<usize>>>() else {
            continue;
        };
        let ends: Vec<usize> = header.iter().map(|(_, end)| *end).collect();
        let mut rows = Vec::new();
        for cells in lines[i + 1..].iter().map_while(|row| cells(row, &ends)) {
            let picked: Vec<String> = wanted.iter().map(|&k| cells[k].clone()).collect();
            if number(&picked[0]).is_none() {
                break;
            }
            rows.push((cells[0].clone(), picked));
        }
        if rows.is_empty() {
            return Err(format!("the table under `{}` has no rows", line.trim()));
        }
        return Ok(rows);
    }
    let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    Err(format!(
        "no table in the output has the columns {}",
        names.join(", ")
    ))
}

/// A header's words, each with the byte where it ends.
fn columns(line: &str) -> Vec<(String, usize)> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut start = None;
    for i in 0..=b.len() {
        let gap = i == b.len() || (b[i] == b' ' && b.get(i + 1).is_none_or(|c| *c == b' '));
        match start {
            Some(s) if gap => {
                out.push((line[s..i].to_string(), i));
                start = None;
            }
            None if !gap && b[i] != b' ' => start = Some(i),
            _ => {}
        }
    }
    out
}

/// A row's cells under a header that ends its columns at `ends`: the label
/// is what is left of the first value, two spaces or more before it.
fn cells(row: &str, ends: &[usize]) -> Option<Vec<String>> {
    let at = |i: usize| {
        (0..=i.min(row.len()))
            .rev()
            .find(|&i| row.is_char_boundary(i))
            .unwrap_or(0)
    };
    let first = &row[..at(*ends.get(1)?)];
    let split = first.trim_end().rfind("  ")?;
    let mut out = vec![
        first[..split].trim().to_string(),
        first[split..].trim().to_string(),
    ];
    for k in 2..ends.len() {
        let end = if k + 1 == ends.len() {
            row.len()
        } else {
            at(ends[k])
        };
        out.push(row[at(ends[k - 1])..end].trim().to_string());
    }
    Some(out)
}

/// `28.3` of `28.3 ms`, with the unit.
fn number(cell: &str) -> Option<(f64, &str)> {
    let end = cell
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .unwrap_or(cell.len());
    Some((cell[..end].parse().ok()?, cell[end..].trim()))
}

const W: f64 = 640.0;
const ROW: f64 = 28.0;

/// The charts `specs` ask for, of the table in `output`, in one figure.
pub fn draw(specs: &[String], output: &str) -> Result<Picture, String> {
    let (mut text, mut svgs, mut names, mut log) =
        (String::new(), String::new(), Vec::new(), false);
    for spec_text in specs {
        let spec = spec(spec_text)?;
        let rows = table(output, &spec.columns).map_err(|e| format!("--plot {spec_text}: {e}"))?;
        let unit = spec.unit.clone().or_else(|| {
            let u = number(&rows[0].1[0])?.1;
            (!u.is_empty()).then(|| u.to_string())
        });
        // What the chart shows, cell by cell, as the table printed them.
        let _ = write!(text, "plot {}", spec.columns.join(", "));
        if let Some(u) = &unit {
            let _ = write!(text, " ({u}{})", if spec.log { ", log" } else { "" });
        }
        text += ":\n";
        for (label, cells) in &rows {
            let _ = writeln!(text, "{label}: {}", cells.join(", "));
        }
        svgs += &chart(&spec, &rows, unit);
        names.push(spec.columns.join(", "));
        log |= spec.log;
    }
    let mut caption = words("span", "", "pic.plot", &[("columns", names.join("; "))]);
    if log {
        caption += " ";
        caption += &words("span", "", "pic.log", NONE);
    }
    Ok(Picture {
        text,
        html: figure("plot", &svgs, &caption),
        above: true,
    })
}

fn chart(spec: &Spec, rows: &Rows, unit: Option<String>) -> String {
    let value = |c: &String| number(c).map_or(f64::NAN, |(v, _)| v);
    let names = spec.columns.join(", ");
    let values: Vec<f64> = rows
        .iter()
        .flat_map(|(_, c)| c.iter().map(value))
        .filter(|v| v.is_finite())
        .collect();
    let axis = Axis::new(&values, spec.log);
    let longest = rows
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0);
    let (left, right) = (20.0 + longest as f64 * CHAR, W - 10.0 - 12.0 * CHAR);
    let top = if spec.columns.len() == 3 { 34.0 } else { 10.0 };
    let bottom = top + rows.len() as f64 * ROW;
    let title = words("title", "", "pic.plot-title", &[("columns", &names)]);
    let mut s = Svg::new(W, bottom + 44.0, &title);
    let px = |v: f64| left + axis.at(v) * (right - left);
    for &v in &axis.ticks {
        s.line("rsp-pl-grid", px(v), top - 4.0, px(v), bottom + 4.0);
        s.text("rsp-pl-tick", px(v), bottom + 17.0, "middle", &shown(v));
    }
    s.line("rsp-pl-axis", left, bottom + 4.0, right, bottom + 4.0);
    let mut what = match &spec.columns[..] {
        [mid, low, high] => format!("{mid} ({low} \u{2026} {high})"),
        _ => names.clone(),
    };
    what += &unit.map(|u| format!(", {u}")).unwrap_or_default();
    s.text(
        "rsp-pl-label",
        (left + right) / 2.0,
        bottom + 36.0,
        "middle",
        &what,
    );
    if let [mid, low, high] = &spec.columns[..] {
        // The legend, in the table's own words.
        s.circle("rsp-pl-mid", left + 4.0, 14.0, 4.0);
        s.text("rsp-pl-label", left + 12.0, 18.0, "start", mid);
        let rx = left + 12.0 + (mid.chars().count() as f64 + 3.0) * CHAR;
        s.line("rsp-pl-range", rx, 14.0, rx + 22.0, 14.0);
        s.text(
            "rsp-pl-label",
            rx + 28.0,
            18.0,
            "start",
            &format!("{low} \u{2026} {high}"),
        );
    }
    for (i, (label, cells)) in rows.iter().enumerate() {
        let y = top + (i as f64 + 0.5) * ROW;
        s.text("rsp-pl-label", left - 10.0, y + 4.0, "end", label);
        // The dot's or the bar's own number, as the table printed it.
        match cells.iter().map(value).collect::<Vec<f64>>()[..] {
            [mid, low, high] => {
                s.line("rsp-pl-range", px(low), y, px(high), y);
                for at in [low, high] {
                    s.line("rsp-pl-range", px(at), y - 5.0, px(at), y + 5.0);
                }
                s.circle("rsp-pl-mid", px(mid), y, 4.5);
                s.text("rsp-pl-value", px(mid), y - 8.0, "middle", &cells[0]);
            }
            [v, ..] => {
                s.rect("rsp-pl-bar", left, y - 7.0, px(v) - left, 14.0);
                s.text("rsp-pl-value", px(v) + 6.0, y + 4.0, "start", &cells[0]);
            }
            [] => {}
        }
    }
    s.finish()
}

/// An axis: its ticks, from 0 to a round number over the greatest value,
/// or on a log scale from the decade under the least to the one over.
struct Axis {
    ticks: Vec<f64>,
    log: bool,
}

impl Axis {
    fn new(values: &[f64], log: bool) -> Axis {
        let max = values.iter().copied().fold(f64::MIN_POSITIVE, f64::max);
        let ticks = if log {
            let min = values
                .iter()
                .copied()
                .filter(|v| *v > 0.0)
                .fold(max, f64::min);
            let lo = min.log10().floor() as i32;
            (lo..=(max.log10().ceil() as i32).max(lo + 1))
                .map(|e| 10f64.powi(e))
                .collect()
        } else {
            // 1, 2 or 5 times a power of ten, about a fifth of the greatest.
            let p = 10f64.powf((max / 5.0).log10().floor());
            let step = [1.0, 2.0, 5.0, 10.0]
                .map(|m| m * p)
                .into_iter()
                .find(|s| *s >= max / 5.0)
                .unwrap_or(p);
            (0..=(max / step).ceil() as i32)
                .map(|i| i as f64 * step)
                .collect()
        };
        Axis { ticks, log }
    }

    /// Where `v` is, from 0 (the first tick) to 1 (the last).
    fn at(&self, v: f64) -> f64 {
        let f = |x: f64| {
            if self.log {
                x.max(self.ticks[0]).log10()
            } else {
                x
            }
        };
        let (lo, hi) = (f(self.ticks[0]), f(self.ticks[self.ticks.len() - 1]));
        let at = (f(v) - lo) / (hi - lo);
        if at.is_finite() {
            at.clamp(0.0, 1.0)
        } else {
            0.0
        }
    }
}

/// `0.01`, `2`, `20000`: as few digits as the number needs.
fn shown(v: f64) -> String {
    let s = format!("{v:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BENCH: &str = "file: 64 MiB in the temp dir; reads of 1 MiB; each way 5 times\n\
write + fsync: 41.2 ms\n\
way of reading                best    median     worst   best rate  in page cache after\n\
buffered, cold             28.3 ms   39.7 ms  127.2 ms  2262 MiB/s  16384 pages\n\
buffered, warm              4.7 ms    7.9 ms    8.8 ms 13602 MiB/s  16384 pages\n\
O_DIRECT                   50.5 ms   55.7 ms   67.2 ms  1266 MiB/s  0 pages\n";

    const LATENCY: &str = "to the parent's first reading after it noticed the exit, in ms\n\
method                 runs    median       min       max  wake-ups in 50 ms\n\
try_wait, sleep 1 ms     15     0.650     0.113     1.112                 47\n\
try_wait, sleep 100 ms    5    49.685     9.931    89.927                  2\n\
pidfd + poll             15     0.102     0.083     0.164                  1\n\
(wake-ups: try_wait() calls, or poll() returns, while one child ran 50 ms)\n";

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_printed_table_is_read_by_its_header() {
        let rows = table(BENCH, &names(&["median", "best", "worst", "best rate"])).unwrap();
        assert_eq!(
            rows[1],
            (
                "buffered, warm".to_string(),
                names(&["7.9 ms", "4.7 ms", "8.8 ms", "13602 MiB/s"])
            )
        );
        assert_eq!(rows.len(), 3);
        let rows = table(LATENCY, &names(&["wake-ups in 50 ms", "median"])).unwrap();
        let rows: Vec<(&str, &str)> = rows
            .iter()
            .map(|(l, c)| (l.as_str(), c[0].as_str()))
            .collect();
        assert_eq!(
            rows,
            [
                ("try_wait, sleep 1 ms", "47"),
                ("try_wait, sleep 100 ms", "2"),
                ("pidfd + poll", "1")
            ]
        );
        assert!(table(LATENCY, &names(&["mean"]))
            .unwrap_err()
            .contains("`mean`"));
    }

    #[test]
    fn specs_name_one_column_or_three() {
        assert_eq!(
            spec("median,min,max:ms:log").unwrap(),
            Spec {
                columns: names(&["median", "min", "max"]),
                unit: Some("ms".into()),
                log: true
            }
        );
        assert_eq!(spec("best rate").unwrap().columns, ["best rate"]);
        for bad in ["a,b", "", "a::log", "a,,b"] {
            assert!(spec(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_chart_of_ranges_on_a_log_scale() {
        let p = draw(&names(&["median,min,max:ms:log"]), LATENCY).unwrap();
        assert_eq!(
            p.text,
            "plot median, min, max (ms, log):\n\
             try_wait, sleep 1 ms: 0.650, 0.113, 1.112\n\
             try_wait, sleep 100 ms: 49.685, 9.931, 89.927\n\
             pidfd + poll: 0.102, 0.083, 0.164\n"
        );
        for part in [
            ">0.01</text>",
            ">100</text>",
            ">median (min \u{2026} max), ms</text>",
            "data-rsp-t=\"pic.log\"",
        ] {
            assert!(p.html.contains(part), "{part} in {}", p.html);
        }
        let bars = draw(&names(&["best rate"]), BENCH).unwrap();
        assert!(
            bars.html.contains(">best rate, MiB/s</text>"),
            "{}",
            bars.html
        );
        assert!(bars.html.contains(">15000</text>"), "{}", bars.html);
    }
}
