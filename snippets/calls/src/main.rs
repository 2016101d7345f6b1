// The book's index of what it runs: every system call its strace blocks
// show, and every prctl option, /proc file and signal in those blocks and in
// its programs, each linked to the chapters that run it. It reads the
// records of the build that runs it (the output store, RSP_STORE) and the
// programs under snippets/, and prints Markdown for the page
// (`supervisor --markdown`): `calls syscalls|prctl|proc|signals`.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use regex::Regex;

/// What an entry is found in: a chapter (its path under src/), and whether
/// a strace block of it shows the entry (then the link goes to its traces).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Place {
    chapter: String,
    traced: bool,
}

/// Each kind of entry: name -> where it appears.
#[derive(Debug, Default)]
struct Index {
    syscalls: BTreeMap<String, BTreeSet<Place>>,
    prctl: BTreeMap<String, BTreeSet<Place>>,
    proc: BTreeMap<String, BTreeSet<Place>>,
    signals: BTreeMap<String, BTreeSet<Place>>,
}

struct Patterns {
    syscall: Regex,
    prctl: Regex,
    proc: Regex,
    pid: Regex,
    tid: Regex,
    signal: Regex,
}

impl Patterns {
    fn new() -> Patterns {
        let re = |s: &str| Regex::new(s).expect("a fixed regex");
        Patterns {
            // A traced call: `P1  wait4(P2, ...` (the supervisor's labels).
            syscall: re(r"(?m)^P\d+ +([a-z_][a-z0-9_]*)\("),
            prctl: re(r"\bPR_[A-Z][A-Z_]+\b"),
            proc: re(r"/proc/[A-Za-z0-9_{}<>./-]+"),
            // A pid, or what stands for one, as the second part of a path.
            pid: re(
                r"^/proc/(?:\d+|P\d+|self|thread-self|\{[^}]*\}|<[^>]*>)(/|$)",
            ),
            tid: re(r"/task/(?:\d+|P\d+|\{[^}]*\})(/|$)"),
            signal: re(
                r"\bSIG(?:ABRT|ALRM|BUS|CHLD|CONT|FPE|HUP|ILL|INT|IO|KILL|PIPE|PROF|PWR|QUIT|SEGV|STKFLT|STOP|SYS|TERM|TRAP|TSTP|TTIN|TTOU|URG|USR1|USR2|VTALRM|WINCH|XCPU|XFSZ)\b",
            ),
        }
    }

    /// `/proc/1234/stat`, `/proc/self/stat`, `/proc/{pid}/stat` ->
    /// `/proc/<pid>/stat`, a thread's id likewise `<tid>`; None for a path
    /// a program makes from a name (`/proc/sys/kernel/{file}`).
    fn proc_file(&self, path: &str) -> Option<String> {
        // strace's `decode-fds=path` writes `3</proc/…>`.
        let path = path.trim_end_matches(['.', '/', '-', '>']);
        let path = self.pid.replace(path, "/proc/<pid>$1");
        let path = self.tid.replace(&path, "/task/<tid>$1");
        (!path.contains('{')).then(|| path.into_owned())
    }
}

impl Index {
    /// What one text names (a trace, `traced`, or a program's source).
    fn add_text(
        &mut self,
        p: &Patterns,
        chapter: &str,
        text: &str,
        traced: bool,
    ) {
        let place = || Place {
            chapter: chapter.to_string(),
            traced,
        };
        if traced {
            for c in p.syscall.captures_iter(text) {
                self.syscalls
                    .entry(c[1].to_string())
                    .or_default()
                    .insert(place());
            }
        }
        for m in p.prctl.find_iter(text) {
            self.prctl
                .entry(m.as_str().to_string())
                .or_default()
                .insert(place());
        }
        for m in p.proc.find_iter(text) {
            match p.proc_file(m.as_str()) {
                Some(file) if file.len() > "/proc/".len() => {
                    self.proc.entry(file).or_default().insert(place());
                }
                _ => {}
            }
        }
        for m in p.signal.find_iter(text) {
            self.signals
                .entry(m.as_str().to_string())
                .or_default()
                .insert(place());
        }
    }
}

fn main() -> ExitCode {
    let kind = std::env::args().nth(1).unwrap_or_default();
    match run(&kind) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("calls: {e}");
            ExitCode::FAILURE
        }
    }
}

/// One kind of entry, or (no argument) every kind under its name.
fn run(kind: &str) -> Result<(), String> {
    const KINDS: [&str; 4] = ["syscalls", "prctl", "proc", "signals"];
    let root = std::env::current_dir().map_err(|e| e.to_string())?;
    let store = std::env::var_os("RSP_STORE").map(PathBuf::from);
    let index = index(&root, store.as_deref())?;
    let kinds: Vec<&str> = match kind {
        "" => KINDS.to_vec(),
        k if KINDS.contains(&k) => vec![k],
        _ => {
            return Err(format!(
                "`{kind}`: say syscalls, prctl, proc or signals"
            ))
        }
    };
    if store.is_none() {
        println!("*(Made from the records of `cargo xtask build`; a plain `mdbook build` keeps none, so only the programs are read.)*\n");
    }
    let all = kinds.len() > 1;
    for kind in kinds {
        if all {
            println!("\n{kind}:\n");
        }
        let entries = match kind {
            "syscalls" => &index.syscalls,
            "prctl" => &index.prctl,
            "proc" => &index.proc,
            _ => &index.signals,
        };
        for (name, places) in entries {
            println!("- {}: {}", shown(kind, name), links(places));
        }
    }
    Ok(())
}

/// The index of the book at `root`: the traces in the store's records,
/// the programs' sources.
fn index(root: &Path, store: Option<&Path>) -> Result<Index, String> {
    let p = Patterns::new();
    let mut index = Index::default();
    let mut chapters = BTreeMap::new();
    for r in store.map(records).transpose()?.unwrap_or_default() {
        let Some(chapter) = r["chapter"].as_str() else {
            continue;
        };
        let args: Vec<&str> = r["args"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a.as_str())
            .collect();
        let traced = args.contains(&"--strace");
        let output = r["block"]["output"].as_str().unwrap_or_default();
        index.add_text(&p, chapter, output, traced);
        if let Some(slug) = args.first() {
            chapters.insert(slug.to_string(), chapter.to_string());
        }
    }
    // Without records (a plain `mdbook build`), the chapters named after
    // their snippets.
    for (slug, chapter) in pages(&root.join("src")) {
        chapters.entry(slug).or_insert(chapter);
    }
    for (slug, chapter) in chapters {
        if slug == "calls" || slug == "about" {
            continue;
        }
        for file in sources(&root.join("snippets").join(&slug)) {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| format!("{}: {e}", file.display()))?;
            index.add_text(&p, &chapter, &text, false);
        }
    }
    Ok(index)
}

/// The chapters in src/'s part folders, by slug: `zombie` ->
/// `processes/zombie.md`.
fn pages(src: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for part in std::fs::read_dir(src).into_iter().flatten().flatten() {
        for page in std::fs::read_dir(part.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = page.file_name().to_string_lossy().into_owned();
            if let Some(slug) = name.strip_suffix(".md") {
                let part = part.file_name().to_string_lossy().into_owned();
                out.push((slug.to_string(), format!("{part}/{name}")));
            }
        }
    }
    out
}

/// The records of the store folder (one JSON file a directive, in a folder
/// per chapter folder), sorted by file name.
fn records(store: &Path) -> Result<Vec<serde_json::Value>, String> {
    let mut files = Vec::new();
    for folder in std::fs::read_dir(store)
        .map_err(|e| format!("{}: {e}", store.display()))?
        .flatten()
    {
        for f in std::fs::read_dir(folder.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            if f.path().extension().is_some_and(|e| e == "json") {
                files.push(f.path());
            }
        }
    }
    files.sort();
    files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f)
                .map_err(|e| format!("{}: {e}", f.display()))?;
            serde_json::from_str(&text)
                .map_err(|e| format!("{}: {e}", f.display()))
        })
        .collect()
}

/// The snippet's programs: Rust and Python sources, not its tests.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !["target", "tests"].contains(&name.as_str()) {
                out.extend(sources(&path));
            }
        } else if (name.ends_with(".rs") || name.ends_with(".py"))
            && !name.starts_with("test_")
        {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// A system call links to its man page; the rest are code.
fn shown(kind: &str, name: &str) -> String {
    match kind {
        "syscalls" => format!(
            "[`{name}`](https://man7.org/linux/man-pages/man2/{name}.2.html)"
        ),
        _ => format!("`{name}`"),
    }
}

/// The chapters, by their slugs; a trace's link goes to its section.
fn links(places: &BTreeSet<Place>) -> String {
    let mut seen = BTreeMap::new();
    for p in places {
        let traced = seen.entry(p.chapter.as_str()).or_insert(false);
        *traced |= p.traced;
    }
    seen.iter()
        .map(|(chapter, traced)| {
            let slug = Path::new(chapter)
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy();
            let anchor = if *traced { "#the-system-calls" } else { "" };
            format!("[{slug}]({chapter}{anchor})")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_traced_call_gets_an_entry_linked_to_its_traces() {
        let p = Patterns::new();
        let mut index = Index::default();
        let trace = "P1  clone3({flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD}, 88) = P2\n\
                     P1  pidfd_send_signal(3, SIGTERM, NULL, 0) = 0\n\
                     P2  +++ killed by SIGKILL +++\n";
        index.add_text(&p, "processes/process-group.md", trace, true);
        assert!(index.syscalls.contains_key("pidfd_send_signal"));
        assert!(index.syscalls.contains_key("clone3"));
        assert_eq!(
            index.signals.keys().collect::<Vec<_>>(),
            ["SIGCHLD", "SIGKILL", "SIGTERM"]
        );
        assert_eq!(
            links(&index.syscalls["pidfd_send_signal"]),
            "[process-group](processes/process-group.md#the-system-calls)"
        );
        // A program's text names files and signals, never system calls.
        index.add_text(
            &p,
            "processes/zombie.md",
            "fs::read(\"/proc/self/stat\") // wait4(",
            false,
        );
        assert!(!index.syscalls.contains_key("wait4"));
        assert!(index.proc.contains_key("/proc/<pid>/stat"));
    }

    #[test]
    fn pids_in_proc_paths_are_one_entry() {
        let p = Patterns::new();
        for path in [
            "/proc/1234/stat",
            "/proc/self/stat",
            "/proc/{pid}/stat",
            "/proc/P2/stat.",
        ] {
            assert_eq!(
                p.proc_file(path).unwrap(),
                "/proc/<pid>/stat",
                "{path}"
            );
        }
        let file = |path: &str| p.proc_file(path);
        assert_eq!(
            file("/proc/sys/kernel/pid_max>").unwrap(),
            "/proc/sys/kernel/pid_max"
        );
        assert_eq!(file("/proc/self").unwrap(), "/proc/<pid>");
        assert_eq!(
            file("/proc/{pid}/task/{tid}/children").unwrap(),
            "/proc/<pid>/task/<tid>/children"
        );
        assert_eq!(file("/proc/sys/kernel/{file}"), None);
    }
}
