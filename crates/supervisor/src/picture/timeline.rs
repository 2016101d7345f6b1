//! A [`Timeline`] drawn: a lane per process (a column, P1 first), time
//! going down, one row per event in the order they happened (evenly
//! spaced: the order is the story; the durations are the scheduler's).
//! A new process is an arrow from its parent, a signal an arrow from the
//! sender to where it was delivered, a reap a dashed arrow from the child
//! to the parent; between a child's exit and its reap its lane is a
//! zombie's band. A lane's colour is its process group; a wide pale bar
//! is a call the process was blocked in while other things happened.
use std::fmt::Write;

use super::trace::{Timeline, What};
use super::{esc, figure, words, Picture, Svg, CHAR, NONE};

/// Rows drawn at most; the text lists every event.
const MAX_ROWS: usize = 120;
const PAD: f64 = 10.0;
const HEAD: f64 = 26.0;
const ROW: f64 = 22.0;

pub fn draw(tl: &Timeline) -> Picture {
    let mut shown = tl.clone();
    shown.events.truncate(MAX_ROWS);
    let (svg, keys) = svg(&shown);
    let mut caption = words("span", "", "pic.timeline", NONE);
    let more = tl.events.len() - shown.events.len();
    if more > 0 {
        caption += " ";
        caption += &words("span", "", "pic.more", &[("n", more.to_string())]);
    }
    caption += "<span class=\"rsp-pic-keys\">";
    for key in keys {
        let _ = write!(
            caption,
            "<span class=\"rsp-key\"><span class=\"rsp-key-{key}\"></span>{}</span>",
            words("span", "", &format!("pic.key-{key}"), NONE)
        );
    }
    caption += "</span><details class=\"rsp-pic-text\">";
    caption += &words("summary", "", "pic.in-words", NONE);
    caption += "<ul>";
    for (lane, items) in tl.lines().iter().enumerate() {
        let _ = write!(caption, "<li><code>{}</code>: ", tl.lanes[lane].label);
        for (i, (key, args)) in items.iter().enumerate() {
            caption += if i > 0 { "; " } else { "" };
            caption += &match *key {
                "" => format!("<code>{}</code>", esc(&super::say(key, args))),
                k => words("span", "", k, args),
            };
        }
        caption += "</li>";
    }
    caption += "</ul></details>";
    Picture {
        text: tl.text(),
        html: figure("timeline", &svg, &caption),
        above: false,
    }
}

fn y(row: usize) -> f64 {
    HEAD + 14.0 + row as f64 * ROW
}

/// The words beside an event's mark, if any.
fn label(tl: &Timeline, what: &What) -> Option<String> {
    let lane = |l: &usize| tl.lanes[*l].label.as_str();
    Some(match what {
        What::Start(_, call) | What::Reap(_, call) | What::Call(call) => call.clone(),
        What::Exec(program) => program.clone(),
        What::Group(leader, true) => format!("setsid, pgid {}", lane(leader)),
        What::Group(leader, false) => format!("setpgid, pgid {}", lane(leader)),
        What::Send(signal, _, Some(g)) => format!("{signal} \u{2192} pgid {}", lane(g)),
        What::Send(signal, ..) | What::Killed(signal) => signal.clone(),
        What::Exit(code) => format!("exit {code}"),
        What::Deliver(..) => return None,
    })
}

/// The SVG, and the keys of the legend it needs.
fn svg(tl: &Timeline) -> (String, Vec<&'static str>) {
    let n = tl.lanes.len();
    let lw = (600.0 / n.max(1) as f64).clamp(84.0, 130.0);
    let x = |lane: usize| PAD + lane as f64 * lw + 16.0;
    let ev = &tl.events;
    let last = y(ev.len().saturating_sub(1));
    // Room on the right for the last lanes' labels.
    let right = ev.iter().fold(PAD + n as f64 * lw, |r, e| {
        let len = label(tl, &e.what).map_or(0, |l| l.chars().count());
        r.max(x(e.lane) + 9.0 + len as f64 * CHAR + PAD)
    });
    let mut keys = Vec::new();
    let names: Vec<&str> = tl.lanes.iter().map(|l| l.label.as_str()).collect();
    let title = words(
        "title",
        "",
        "pic.timeline-title",
        &[("lanes", names.join(", "))],
    );
    let mut s = Svg::new(right, last + ROW, &title);

    // Zombie bands and blocked calls first: the lanes are drawn over them.
    for lane in 0..n {
        let Some((a, b)) = tl.zombie(lane) else {
            continue;
        };
        s.rect("rsp-tl-zombie", x(lane) - 5.0, y(a), 10.0, y(b) - y(a));
        if b - a >= 2 {
            let at = format!(
                " class=\"rsp-tl-muted\" x=\"{}\" y=\"{}\"",
                x(lane) + 9.0,
                y((a + b) / 2) + 4.0
            );
            s.raw(&words("text", &at, "pic.zombie", NONE));
        }
        key(&mut keys, "zombie");
    }
    for e in ev {
        let Some((from, to)) = e.busy else { continue };
        let (Some(a), Some(b)) = (
            ev.iter().position(|o| o.t >= from),
            ev.iter().rposition(|o| o.t <= to),
        ) else {
            continue;
        };
        // Drawn when something else happened meanwhile.
        if b > a && ev[a..=b].iter().any(|o| o.lane != e.lane) {
            s.rect(
                "rsp-tl-busy",
                x(e.lane) - 5.0,
                y(a) - 4.0,
                10.0,
                y(b) - y(a) + 8.0,
            );
            key(&mut keys, "busy");
        }
    }

    // Each lane, in segments: a process group's colour from where it joined.
    let mut leaders: Vec<usize> = Vec::new();
    let mut open: Vec<Option<(f64, usize)>> = vec![None; n];
    let mut segments: Vec<(usize, f64, f64, usize)> = Vec::new();
    for (lane, l) in tl.lanes.iter().enumerate() {
        s.text("rsp-tl-head", x(lane), 16.0, "middle", &l.label);
        if l.parent.is_none() {
            let first = ev.iter().position(|e| e.lane == lane).filter(|_| lane > 0);
            open[lane] = Some((first.map_or(HEAD, |r| y(r) - ROW / 2.0), 0));
        }
        if l.thread {
            key(&mut keys, "thread");
        }
    }
    for (row, e) in ev.iter().enumerate() {
        let (lane, at) = match e.what {
            What::Start(child, _) => (child, Some(open[e.lane].map_or(0, |o| o.1))),
            What::Group(leader, _) => {
                if !leaders.contains(&leader) {
                    leaders.push(leader);
                }
                key(&mut keys, "group");
                (
                    e.lane,
                    leaders.iter().position(|l| *l == leader).map(|i| i % 3 + 1),
                )
            }
            What::Exit(_) | What::Killed(_) => (e.lane, None),
            _ => continue,
        };
        if let Some((from, colour)) = open[lane].take() {
            segments.push((lane, from, y(row), colour));
        }
        open[lane] = at.map(|colour| (y(row), colour));
    }
    for (lane, o) in open.iter().enumerate() {
        if let Some((from, colour)) = o {
            segments.push((lane, *from, last + ROW / 2.0, *colour));
        }
    }
    for &(lane, from, to, colour) in &segments {
        if from > HEAD {
            s.line("rsp-tl-guide", x(lane), HEAD - 4.0, x(lane), from);
        }
        let thread = if tl.lanes[lane].thread {
            " rsp-tl-thread"
        } else {
            ""
        };
        s.line(
            &format!("rsp-tl-lane rsp-tl-g{colour}{thread}"),
            x(lane),
            from,
            x(lane),
            to,
        );
    }

    // The events, a row each.
    let mut arrived = Vec::new();
    for (row, e) in ev.iter().enumerate() {
        let (lx, ly) = (x(e.lane), y(row));
        let toward = |to: f64, gap: f64| to - gap * (to - lx).signum();
        let class = match &e.what {
            What::Start(child, _) => {
                s.circle("rsp-tl-start", lx, ly, 2.5);
                s.arrow("rsp-tl-start", lx, ly, toward(x(*child), 3.0), ly);
                key(&mut keys, "start");
                "rsp-tl-label".to_string()
            }
            What::Exec(_) | What::Group(..) => {
                let seg = segments
                    .iter()
                    .find(|g| g.0 == e.lane && (g.1 - ly).abs() < 0.1);
                let colour = seg.map_or(0, |g| g.3);
                s.rect(
                    &format!("rsp-tl-mark rsp-tl-g{colour}"),
                    lx - 3.5,
                    ly - 3.5,
                    7.0,
                    7.0,
                );
                format!("rsp-tl-g{colour}")
            }
            What::Send(signal, to, _) => {
                for &target in to.iter().filter(|&&t| t != e.lane) {
                    // To where it was delivered, or killed.
                    let hit = (ev.iter().enumerate().skip(row + 1)).find(|(_, d)| {
                        d.lane == target
                            && matches!(&d.what, What::Deliver(s, _) | What::Killed(s) if s == signal)
                    });
                    arrived.extend(hit.map(|(r, _)| r));
                    let ty = hit.map_or(ly, |(r, _)| y(r));
                    s.arrow("rsp-tl-signal", lx, ly, toward(x(target), 4.0), ty);
                }
                key(&mut keys, "signal");
                "rsp-tl-signal".into()
            }
            What::Deliver(signal, _) => {
                let diamond = [
                    (lx, ly - 4.5),
                    (lx + 4.5, ly),
                    (lx, ly + 4.5),
                    (lx - 4.5, ly),
                ];
                s.polygon("rsp-tl-signal", &diamond);
                if !arrived.contains(&row) {
                    s.text("rsp-tl-signal", lx + 9.0, ly + 4.0, "start", signal);
                }
                key(&mut keys, "signal");
                "rsp-tl-signal".into()
            }
            What::Reap(child, _) => {
                let cx = x(*child);
                s.arrow("rsp-tl-reap", cx, ly, lx + 3.0 * (cx - lx).signum(), ly);
                key(&mut keys, "reap");
                "rsp-tl-reap".into()
            }
            What::Call(_) => {
                s.line("rsp-tl-call", lx - 4.0, ly, lx + 4.0, ly);
                "rsp-tl-muted".into()
            }
            What::Exit(_) => {
                s.line("rsp-tl-end", lx - 6.0, ly, lx + 6.0, ly);
                "rsp-tl-label".into()
            }
            What::Killed(_) => {
                s.line("rsp-tl-signal", lx - 4.0, ly - 4.0, lx + 4.0, ly + 4.0);
                s.line("rsp-tl-signal", lx - 4.0, ly + 4.0, lx + 4.0, ly - 4.0);
                key(&mut keys, "signal");
                "rsp-tl-signal".into()
            }
        };
        if let Some(l) = label(tl, &e.what) {
            // An arrow's words sit on it, the others beside the mark.
            let arrow = matches!(e.what, What::Start(..) | What::Send(..) | What::Reap(..));
            s.text(
                &class,
                lx + 9.0,
                if arrow { ly - 4.0 } else { ly + 4.0 },
                "start",
                &l,
            );
        }
    }
    // The legend in the order a reader meets them.
    let order = [
        "start", "thread", "group", "signal", "busy", "zombie", "reap",
    ];
    keys.sort_by_key(|k| order.iter().position(|o| o == k));
    (s.finish(), keys)
}

fn key(keys: &mut Vec<&'static str>, k: &'static str) {
    if !keys.contains(&k) {
        keys.push(k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::picture::trace;

    #[test]
    fn the_picture_has_a_lane_and_a_mark_for_each() {
        let t = vec![
            (
                1,
                "1.0 vfork() = 2 <0.5>\n\
                 1.6 wait4(2, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 2 <0.1>\n\
                 1.8 +++ exited with 0 +++\n"
                    .to_string(),
            ),
            (
                2,
                "1.1 kill(1, SIGUSR1) = 0 <0.001>\n1.5 +++ exited with 3 +++\n".to_string(),
            ),
        ];
        let p = draw(&trace::read(&t, None));
        assert!(
            p.html
                .starts_with("<figure class=\"rsp-pic rsp-pic-timeline\">"),
            "{}",
            p.html
        );
        assert!(!p.html.contains("\n\n"), "one HTML block");
        for part in [
            ">P1</text>",
            ">P2</text>",
            ">vfork</text>",
            ">exit 3</text>",
            "class=\"rsp-tl-zombie\"",
            "class=\"rsp-tl-reap\"",
            "data-rsp-t=\"pic.key-zombie\"",
            "<li><code>P2</code>: <span data-rsp-t=\"pic.sends\"",
        ] {
            assert!(p.html.contains(part), "{part} in {}", p.html);
        }
        assert_eq!(
            p.text,
            "P1: starts P2 (vfork); reaps P2 (wait4); exits with 0\n\
             P2: sends SIGUSR1 to P1; exits with 3; a zombie until P1 reaps it\n"
        );
    }
}
