//! A traced run's processes and what happened to them, from the files of
//! `strace -ff -ttt -T` (one per process or thread, in the order they were
//! made, as traced.rs collects them): lanes labelled P1, P2, ... as the
//! block labels them, and the events that make the story, in time order.
//!
//! strace writes each line's time (`-ttt`) and each call's duration
//! (`-T`) for this only: [`untimed`] gives back the lines the header's
//! command prints. A call's effect is placed where it happens: a new
//! process at the call's entry (a vfork parent stays in the call until the
//! child execs), a reap when the wait returns, a signal when it is sent.
use std::collections::HashMap;

use regex::Regex;

#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    pub lanes: Vec<Lane>,
    /// In time order.
    pub events: Vec<Event>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lane {
    pub label: String,
    /// Whose clone, fork or vfork started it, if traced.
    pub parent: Option<usize>,
    pub thread: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub lane: usize,
    /// Seconds (the clock strace read); only the order is drawn.
    pub t: f64,
    /// A call's entry and return, when strace timed it.
    pub busy: Option<(f64, f64)>,
    pub what: What,
}

/// Lanes are indexes into [`Timeline::lanes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    /// A new lane, and the call that made it (`vfork`, `clone3`).
    Start(usize, String),
    /// `execve`: the program's file name.
    Exec(String),
    /// The lane leads a new group (its own) or joins another lane's; `true`
    /// for a new session too (`setsid`).
    Group(usize, bool),
    /// A signal, the lanes it reaches, and the group's leader when it was
    /// sent to a group.
    Send(String, Vec<usize>, Option<usize>),
    /// A signal delivered, and who sent it.
    Deliver(String, Option<usize>),
    /// A wait that reaped a lane, and the call (`wait4`).
    Reap(usize, String),
    /// Any other call the block shows, with its error (`wait4 ECHILD`).
    Call(String),
    Exit(i32),
    Killed(String),
}

/// Every line of `trace` as the untimed strace would print it.
pub fn untimed(trace: &[(i32, String)]) -> Vec<(i32, String)> {
    let strip = |text: &str| {
        text.lines()
            .map(|l| split(l).2.to_string() + "\n")
            .collect()
    };
    trace
        .iter()
        .map(|(pid, text)| (*pid, strip(text)))
        .collect()
}

/// `1700000000.123456 call(...) = 0 <0.000012>` -> time, duration, line.
fn split(line: &str) -> (Option<f64>, Option<f64>, &str) {
    let (t, rest) = match line.split_once(' ') {
        Some((t, rest)) if is_seconds(t) => (t.parse().ok(), rest),
        _ => (None, line),
    };
    let timed = rest.strip_suffix('>').and_then(|r| r.rsplit_once(" <"));
    match timed.filter(|(_, d)| is_seconds(d)) {
        Some((body, d)) => (t, d.parse().ok(), body),
        None => (t, None, rest),
    }
}

fn is_seconds(s: &str) -> bool {
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    s.split_once('.')
        .is_some_and(|(a, b)| digits(a) && digits(b))
}

/// Replaces every whole number equal to a pid (not part of a longer number,
/// a hex literal or a word) by its label.
pub fn replace_pids(line: &str, labels: &[(String, String)]) -> String {
    let mut out = String::with_capacity(line.len());
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() && (i == 0 || !is_word(bytes[i - 1])) {
            let end = (i..bytes.len())
                .find(|&j| !bytes[j].is_ascii_digit())
                .unwrap_or(bytes.len());
            let number = &line[i..end];
            let whole = end == bytes.len() || !is_word(bytes[end]);
            match labels.iter().find(|(pid, _)| whole && pid == number) {
                Some((_, label)) => out.push_str(label),
                None => out.push_str(number),
            }
            i = end;
        } else {
            let c = line[i..].chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.'
}

/// The timeline of `trace`. A call that is not about processes counts if
/// `grep` (the block's `--strace-grep`) keeps its line as shown.
pub fn read(trace: &[(i32, String)], grep: Option<&Regex>) -> Timeline {
    let labels: Vec<(String, String)> = (trace.iter().enumerate())
        .map(|(i, (pid, _))| (pid.to_string(), format!("P{}", i + 1)))
        .collect();
    let mut lanes: Vec<Lane> = (labels.iter())
        .map(|(_, label)| Lane {
            label: label.clone(),
            parent: None,
            thread: false,
        })
        .collect();
    let index: HashMap<i32, usize> = (trace.iter().enumerate())
        .map(|(i, (p, _))| (*p, i))
        .collect();
    let mut events = Vec::new();
    for (lane, (_, text)) in trace.iter().enumerate() {
        // A pidfd names its process: pidfd_send_signal(4, ...).
        let mut pidfds = HashMap::new();
        for line in text.lines() {
            let (Some(t), took, body) = split(line) else {
                continue;
            };
            let shown = || format!("{}  {}", labels[lane].1, replace_pids(body, &labels));
            let kept = || grep.is_none_or(|re| re.is_match(&shown()));
            let Some(what) = event(body, &index, &mut pidfds, lane, &kept) else {
                continue;
            };
            if let What::Start(child, _) = what {
                lanes[child].parent = Some(lane);
                lanes[child].thread = body.contains("CLONE_THREAD");
            }
            // A new process exists from the call's entry, a signal is sent
            // then; the rest happens when the call returns.
            let at_entry = matches!(what, What::Start(..) | What::Send(..) | What::Group(..));
            let busy = took.map(|d| (t, t + d));
            let t = busy.filter(|_| !at_entry).map_or(t, |(_, end)| end);
            events.push(Event {
                lane,
                t,
                busy,
                what,
            });
        }
    }
    // strace may write a child's death after its parent's wait returned:
    // the reap comes after it.
    let mut ended = vec![f64::MIN; lanes.len()];
    for e in events
        .iter()
        .filter(|e| matches!(e.what, What::Exit(_) | What::Killed(_)))
    {
        ended[e.lane] = e.t;
    }
    for e in &mut events {
        if let What::Reap(child, _) = e.what {
            e.t = e.t.max(ended[child]);
        }
    }
    // Stable: a lane's own events keep their order.
    let reap = |e: &Event| matches!(e.what, What::Reap(..));
    events.sort_by(|a, b| a.t.total_cmp(&b.t).then(reap(a).cmp(&reap(b))));
    groups(&lanes, &mut events);
    Timeline { lanes, events }
}

/// One line's event, if it is one.
fn event(
    body: &str,
    index: &HashMap<i32, usize>,
    pidfds: &mut HashMap<i64, usize>,
    lane: usize,
    kept: &dyn Fn() -> bool,
) -> Option<What> {
    let lane_of = |n: i64| i32::try_from(n).ok().and_then(|p| index.get(&p).copied());
    let word = |s: &str| s.split(' ').next().unwrap_or("").to_string();
    if let Some(rest) = body.strip_prefix("+++ ") {
        return match rest.strip_prefix("exited with ") {
            Some(code) => Some(What::Exit(word(code).parse().ok()?)),
            None => Some(What::Killed(word(rest.strip_prefix("killed by ")?))),
        };
    }
    if let Some(rest) = body.strip_prefix("--- ").filter(|r| r.starts_with("SIG")) {
        return Some(What::Deliver(
            word(rest),
            field(rest, "si_pid=").and_then(lane_of),
        ));
    }
    let (call, result) = body.rsplit_once(" = ")?;
    let (name, args) = call.trim_end().split_once('(')?;
    let args = args.strip_suffix(')').unwrap_or(args);
    // Interrupted (`= ? ERESTARTSYS`): shown once, as it ended.
    if name.is_empty() || name.starts_with('?') || result.starts_with('?') {
        return None;
    }
    let value = leading_int(result);
    let error = result.strip_prefix("-1 ").map(word);
    let arg = |i: usize| args.split(", ").nth(i).and_then(leading_int);
    let call = || match &error {
        Some(e) => format!("{name} {e}"),
        None => name.to_string(),
    };
    Some(match (name, &error) {
        ("clone" | "clone3" | "fork" | "vfork", _) => What::Start(value.and_then(lane_of)?, call()),
        ("execve" | "execveat", None) => {
            let path = args.split('"').nth(1).unwrap_or(name);
            What::Exec(path.rsplit('/').next().unwrap_or(path).to_string())
        }
        ("setsid", None) => What::Group(lane, true),
        ("setpgid", None) => {
            let who = arg(0).filter(|&p| p != 0).and_then(lane_of).unwrap_or(lane);
            let leader = arg(1).filter(|&p| p != 0).and_then(lane_of).unwrap_or(who);
            // Another process moved: not this lane's to draw.
            (who == lane).then_some(What::Group(leader, false))?
        }
        ("kill" | "tkill" | "tgkill" | "pidfd_send_signal" | "rt_sigqueueinfo", None) => {
            let at = usize::from(name == "tgkill");
            let (target, signal) = (arg(at)?, args.split(", ").nth(at + 1)?.trim().to_string());
            match name {
                _ if signal == "0" => return None, // a probe, not a signal
                "pidfd_send_signal" => What::Send(signal, vec![*pidfds.get(&target)?], None),
                // Its members are known in time order only: see `groups`.
                "kill" if target < 0 => What::Send(signal, Vec::new(), Some(lane_of(-target)?)),
                _ => What::Send(signal, vec![lane_of(target)?], None),
            }
        }
        ("wait4" | "waitpid" | "waitid", None) => {
            let reaped = match name {
                "waitid" if args.contains("WNOWAIT") => None,
                "waitid" => field(args, "si_pid="),
                _ => value,
            };
            match reaped.filter(|&p| p > 0).and_then(lane_of) {
                Some(child) => What::Reap(child, call()),
                None => kept().then(|| What::Call(call()))?,
            }
        }
        _ => {
            if let (Some(fd), Some(target), "pidfd_open") = (value, arg(0).and_then(lane_of), name)
            {
                pidfds.insert(fd, target);
            }
            kept().then(|| What::Call(call()))?
        }
    })
}

/// The number after `key` (`si_pid=`).
fn field(text: &str, key: &str) -> Option<i64> {
    let at = text.find(key)? + key.len();
    leading_int(&text[at..])
}

/// `-42` of `-42<anon_inode:...>`, `4` of `4 ([...])`.
fn leading_int(s: &str) -> Option<i64> {
    let s = s.trim_start();
    let end = (s.char_indices())
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && c == '-')))
        .map_or(s.len(), |(i, _)| i);
    s[..end].parse().ok()
}

/// Who is in which process group when: a child starts in its parent's,
/// `setsid` and `setpgid` move it; a signal to a group reaches the members
/// then alive.
fn groups(lanes: &[Lane], events: &mut [Event]) {
    // None: the group the run started in.
    let mut group: Vec<Option<usize>> = vec![None; lanes.len()];
    let mut alive: Vec<bool> = lanes.iter().map(|l| l.parent.is_none()).collect();
    for e in events.iter_mut() {
        match &mut e.what {
            What::Start(child, _) => {
                group[*child] = group[e.lane];
                alive[*child] = true;
            }
            What::Group(leader, _) => group[e.lane] = Some(*leader),
            What::Send(_, to, Some(g)) => {
                let member = |l: &usize| alive[*l] && !lanes[*l].thread && group[*l] == Some(*g);
                *to = (0..lanes.len()).filter(member).collect();
            }
            What::Exit(_) | What::Killed(_) => alive[e.lane] = false,
            _ => {}
        }
    }
}

/// What a lane's line says of one event: a key of [`super::STRINGS`] and
/// its arguments, or `""` and a call's words (code, not translated).
pub type Item = (&'static str, Vec<(&'static str, String)>);

impl Timeline {
    /// The rows of `lane`'s exit and of its reap, if both are seen.
    pub fn zombie(&self, lane: usize) -> Option<(usize, usize)> {
        let ev = &self.events;
        let end = ev
            .iter()
            .position(|e| e.lane == lane && matches!(e.what, What::Exit(_) | What::Killed(_)))?;
        let reap = ev
            .iter()
            .position(|e| matches!(e.what, What::Reap(c, _) if c == lane))?;
        (reap >= end).then_some((end, reap))
    }

    /// Each lane's story, `starts P2 (vfork); ...`, an item per event.
    pub fn lines(&self) -> Vec<Vec<Item>> {
        let label = |l: &usize| self.lanes[*l].label.clone();
        let list = |v: &[usize]| v.iter().map(label).collect::<Vec<_>>().join(", ");
        let mut out = Vec::new();
        for lane in 0..self.lanes.len() {
            let mut items: Vec<Item> = Vec::new();
            for e in self.events.iter().filter(|e| e.lane == lane) {
                items.push(match &e.what {
                    What::Start(c, call) if self.lanes[*c].thread => (
                        "pic.starts-thread",
                        vec![("child", label(c)), ("call", call.clone())],
                    ),
                    What::Start(c, call) => (
                        "pic.starts",
                        vec![("child", label(c)), ("call", call.clone())],
                    ),
                    What::Exec(program) => ("pic.runs", vec![("program", program.clone())]),
                    What::Group(l, true) if *l == lane => {
                        ("pic.session", vec![("call", "setsid".into())])
                    }
                    What::Group(l, _) if *l == lane => {
                        ("pic.group", vec![("call", "setpgid".into())])
                    }
                    What::Group(l, _) => (
                        "pic.joins",
                        vec![("leader", label(l)), ("call", "setpgid".into())],
                    ),
                    What::Send(signal, to, Some(g)) => (
                        "pic.sends-group",
                        vec![
                            ("signal", signal.clone()),
                            ("leader", label(g)),
                            ("to", list(to)),
                        ],
                    ),
                    What::Send(signal, to, None) => (
                        "pic.sends",
                        vec![("signal", signal.clone()), ("to", list(to))],
                    ),
                    What::Deliver(signal, Some(f)) => (
                        "pic.gets",
                        vec![("signal", signal.clone()), ("from", label(f))],
                    ),
                    What::Deliver(signal, None) => {
                        ("pic.gets-anon", vec![("signal", signal.clone())])
                    }
                    What::Reap(c, call) => (
                        "pic.reaps",
                        vec![("child", label(c)), ("call", call.clone())],
                    ),
                    What::Call(call) => ("", vec![("", call.clone())]),
                    What::Exit(code) => ("pic.exits", vec![("code", code.to_string())]),
                    What::Killed(signal) => ("pic.killed", vec![("signal", signal.clone())]),
                });
            }
            if let Some((_, reap)) = self.zombie(lane) {
                items.push((
                    "pic.zombie-until",
                    vec![("parent", label(&self.events[reap].lane))],
                ));
            }
            out.push(items);
        }
        out
    }

    /// [`Timeline::lines`] in English, a line per lane: the text
    /// alternative, and what the drift check compares.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for (lane, items) in self.lines().iter().enumerate() {
            let words: Vec<String> = items
                .iter()
                .map(|(key, args)| super::say(key, args))
                .collect();
            s += &format!("{}: {}\n", self.lanes[lane].label, words.join("; "));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Python monitor of process-group's experiment 3 (the leader in a
    /// new session, SIGTERM to its group), with a `ps` run between, as
    /// `strace -ff -ttt -T` wrote it.
    fn experiment() -> Vec<(i32, String)> {
        vec![
            (
                700,
                "10.000100 vfork()                      = 701 <0.000900>\n\
                 10.001000 pidfd_open(702, 0)           = 4 <0.000010>\n\
                 10.002000 kill(-701, SIGTERM)          = 0 <0.000010>\n\
                 10.002100 wait4(701, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGTERM}], 0, NULL) = 701 <0.000800>\n\
                 10.003000 vfork()                      = 703 <0.000500>\n\
                 10.003600 wait4(703, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 703 <0.002000>\n\
                 10.006000 +++ exited with 0 +++\n"
                    .into(),
            ),
            (
                701,
                "10.000200 setsid()                     = 701 <0.000005>\n\
                 10.000950 vfork()                      = 702 <0.000100>\n\
                 10.001100 wait4(702, 0x7ffd, WNOHANG, NULL) = 0 <0.000004>\n\
                 10.002050 --- SIGTERM {si_signo=SIGTERM, si_code=SI_USER, si_pid=700, si_uid=0} ---\n\
                 10.002500 +++ killed by SIGTERM +++\n"
                    .into(),
            ),
            (
                702,
                "10.002060 --- SIGTERM {si_signo=SIGTERM, si_code=SI_USER, si_pid=700, si_uid=0} ---\n\
                 10.002700 +++ exited with 0 +++\n"
                    .into(),
            ),
            (703, "10.003500 +++ exited with 0 +++\n".into()),
        ]
    }

    #[test]
    fn a_trace_becomes_lanes_and_events() {
        let tl = read(&experiment(), None);
        let lanes: Vec<(&str, Option<usize>)> = tl
            .lanes
            .iter()
            .map(|l| (l.label.as_str(), l.parent))
            .collect();
        assert_eq!(
            lanes,
            [
                ("P1", None),
                ("P2", Some(0)),
                ("P3", Some(1)),
                ("P4", Some(0))
            ]
        );
        let got: Vec<(usize, What)> = tl.events.iter().map(|e| (e.lane, e.what.clone())).collect();
        let (vfork, wait4, term) = (
            || "vfork".to_string(),
            || "wait4".to_string(),
            || "SIGTERM".to_string(),
        );
        use What::*;
        assert_eq!(
            got,
            [
                (0, Start(1, vfork())),
                (1, Group(1, true)),
                (1, Start(2, vfork())),
                (0, Call("pidfd_open".into())),
                (1, Call(wait4())),
                // The group's members when it was sent: the leader and its child.
                (0, Send(term(), vec![1, 2], Some(1))),
                (1, Deliver(term(), Some(0))),
                (2, Deliver(term(), Some(0))),
                (1, Killed(term())),
                (2, Exit(0)),
                // When wait4 returned, not when it was called.
                (0, Reap(1, wait4())),
                (0, Start(3, vfork())),
                (3, Exit(0)),
                (0, Reap(3, wait4())),
                (0, Exit(0)),
            ]
        );
        // Exit to reap: events 8 to 10 for P2, 12 to 13 for P4; P3's
        // parent died, and whoever reaped it is not in the trace.
        assert_eq!(tl.zombie(1), Some((8, 10)));
        assert_eq!(tl.zombie(3), Some((12, 13)));
        assert_eq!(tl.zombie(2), None);
        assert_eq!(
            tl.text(),
            "P1: starts P2 (vfork); pidfd_open; sends SIGTERM to the process group of P2: P2, P3; reaps P2 (wait4); starts P4 (vfork); reaps P4 (wait4); exits with 0\n\
             P2: leads a new session and process group (setsid); starts P3 (vfork); wait4; gets SIGTERM from P1; killed by SIGTERM; a zombie until P1 reaps it\n\
             P3: gets SIGTERM from P1; exits with 0\n\
             P4: exits with 0; a zombie until P1 reaps it\n"
        );
    }

    #[test]
    fn a_reap_comes_after_the_exit_strace_reported_late() {
        // The wait returned at 2.0; strace wrote the child's death at 2.0 too.
        let trace = vec![
            (
                3,
                "1.0 vfork() = 4 <0.1>\n\
                 1.5 wait4(4, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 4 <0.5>\n\
                 3.0 +++ exited with 0 +++\n"
                    .into(),
            ),
            (4, "2.0 +++ exited with 0 +++\n".into()),
        ];
        let tl = read(&trace, None);
        assert_eq!(tl.zombie(1), Some((1, 2)));
        assert_eq!(tl.events[2].what, What::Reap(1, "wait4".into()));
    }

    #[test]
    fn a_grep_keeps_the_other_calls_it_shows() {
        let grep = Regex::new("P2  wait4").unwrap();
        let tl = read(&experiment(), Some(&grep));
        let calls: Vec<usize> = (tl.events.iter())
            .filter(|e| matches!(e.what, What::Call(_)))
            .map(|e| e.lane)
            .collect();
        assert_eq!(calls, [1], "only P2's wait4 WNOHANG");
        // Processes, signals and reaps are drawn whatever the grep.
        assert_eq!(tl.events.len(), 14);
    }

    #[test]
    fn times_are_taken_off_as_strace_would_print() {
        let trace = vec![(
            9,
            "1.5 kill(10, SIGKILL)                    = 0 <0.000010>\n\
             2.25 read(3<anon_inode:[signalfd]>, \"x\", 1) = 1 <1.000000>\n\
             3.0 +++ exited with 0 +++\n"
                .to_string(),
        )];
        assert_eq!(
            untimed(&trace)[0].1,
            "kill(10, SIGKILL)                    = 0\n\
             read(3<anon_inode:[signalfd]>, \"x\", 1) = 1\n\
             +++ exited with 0 +++\n"
        );
    }

    #[test]
    fn a_thread_a_pidfd_and_a_failed_wait() {
        let trace = vec![
            (
                50,
                "1.0 clone3({flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD}, 88) = 51 <0.1>\n\
                 1.2 pidfd_open(51, 0) = 4<anon_inode:[pidfd]> <0.000001>\n\
                 1.3 pidfd_send_signal(4<anon_inode:[pidfd]>, SIGTERM, NULL, 0) = 0 <0.000001>\n\
                 1.5 wait4(51, 0x7ffc, 0, NULL) = -1 ECHILD (No child processes) <0.000001>\n\
                 1.6 +++ exited with 0 +++\n"
                    .into(),
            ),
            (
                51,
                "1.1 clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM}, 88) = 52 <0.1>\n\
                 1.4 +++ exited with 0 +++\n"
                    .into(),
            ),
            (52, "1.35 +++ exited with 0 +++\n".into()),
        ];
        let tl = read(&trace, None);
        assert!(tl.lanes[2].thread && !tl.lanes[1].thread);
        let text = tl.text();
        assert!(
            text.starts_with("P1: starts P2 (clone3); pidfd_open; sends SIGTERM to P2; wait4 ECHILD; exits with 0\n"),
            "{text}"
        );
        assert!(
            text.contains("P2: starts thread P3 (clone3); exits with 0\n"),
            "{text}"
        );
    }
}
