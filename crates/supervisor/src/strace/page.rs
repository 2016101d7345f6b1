//! "Run with trace" on a page the local runner serves (crates/runner): a
//! block's program, as the reader left it, run under strace in its sandbox
//! and shown as the book shows a traced run: the relabelled trace, the
//! timeline under it, and, when the code is the book's, beside the book's
//! own trace of the same program.
//!
//! What is traced is what the chapter traces for that program: the `-e`
//! expressions and `--strace-grep` of its traced directive. A chapter that
//! traces nothing for it gets [`DEFAULT`], the calls that make, change,
//! signal and collect processes.
use std::path::Path;

use clap::Parser;
use serde::{Deserialize, Serialize};

use crate::diff::{line_diff, DiffLine};
use crate::picture::{timeline, trace};
use crate::store::{self, mask};
use crate::Args;

/// What is traced when the chapter traces nothing for the program.
pub const DEFAULT: &str = "trace=clone,clone3,fork,vfork,execve,setsid,setpgid,kill,tgkill,pidfd_open,pidfd_send_signal,wait4,waitid,exit_group";

/// Masked in both traces when they are compared, besides the book's
/// `--vary`s: a sandbox runs as a uid of its own, never the book's.
pub const SANDBOX_UID: &str = "si_uid=[0-9]+";

/// Most bytes of strace's files read back (with their times): what a
/// shown trace of [`super::CAP`] takes, and room for a line of JSON.
pub const FILES_CAP: usize = 128 * 1024;

/// How a traced run of one block is traced, and what it is compared with.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// strace's `-e` expressions.
    pub exprs: Vec<String>,
    /// The lines shown (the directive's `--strace-grep`).
    pub grep: Option<String>,
    /// The chapter's directive they come from; None: [`DEFAULT`].
    pub directive: Option<String>,
    /// Whether the code sent is the book's.
    pub unchanged: bool,
    /// The book's trace of this run (the same program, without arguments,
    /// and the book's run went well) and its `--vary`s.
    pub book: Option<(String, Vec<String>)>,
}

/// The plan for `slug`'s program in `chapter` (its records in `store`):
/// `python`, a Python program's name; `unchanged`, the program the code
/// is when it is one of the snippet's as the book has it (a Rust bin's
/// name, or the Python program's).
pub fn plan(
    store: &Path,
    chapter: Option<&str>,
    slug: &str,
    python: Option<&str>,
    unchanged: Option<&str>,
) -> Plan {
    let program = unchanged.or(python).unwrap_or(slug);
    let records = chapter.map_or_else(Vec::new, |c| {
        let all = store::all(store).unwrap_or_default();
        all.into_iter()
            .filter(|r| r.chapter.as_deref() == Some(c))
            .collect()
    });
    let traced: Vec<(Args, store::Record)> = records
        .into_iter()
        .filter_map(|r| {
            let words = std::iter::once("supervisor".to_string()).chain(r.args.iter().cloned());
            let a = Args::try_parse_from(words).ok()?;
            let runs_it = match (&a.python, python) {
                (Some(name), Some(_)) => name == program,
                (None, None) => a.bin_name() == program,
                _ => false,
            };
            let plain = !a.try_it && a.source.is_none();
            (a.slug == slug && runs_it && plain && !a.strace.is_empty()).then_some((a, r))
        })
        .collect();
    let chosen = (traced.iter().find(|(a, _)| a.snippet_args.is_empty())).or(traced.first());
    let Some((a, r)) = chosen else {
        return Plan {
            exprs: vec![DEFAULT.to_string()],
            unchanged: unchanged.is_some(),
            ..Plan::default()
        };
    };
    let same_run = unchanged.is_some() && a.snippet_args.is_empty() && !r.failed();
    Plan {
        exprs: a.strace.clone(),
        grep: a.strace_grep.clone(),
        directive: Some(r.args.join(" ")),
        unchanged: unchanged.is_some(),
        book: same_run.then(|| (r.block.output.clone(), r.vary.clone())),
    }
}

/// What the page gets of a traced run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub exprs: Vec<String>,
    pub grep: Option<String>,
    /// The chapter's directive they come from; None: [`DEFAULT`].
    pub directive: Option<String>,
    /// The trace as the book's blocks show one.
    pub text: String,
    /// The timeline's `<figure>`, or empty when strace wrote nothing.
    /// Every word of the trace in it is escaped ([`crate::picture::esc`]).
    pub html: String,
    /// Beside the book's trace: `match`, `differs`, `edited` (the code is
    /// not the book's) or `none` (the book has no trace of this run).
    pub compared: String,
    /// Masked with the book's `--vary`s: `same`, `book`, `yours` lines.
    pub diff: Vec<DiffLine>,
    pub vary: Vec<String>,
}

/// The report of a run traced per `plan`, from strace's files (with their
/// times, as [`super::collect`] reads them); `dir` is the folder the
/// program ran from as it saw it, taken out of paths when compared.
pub fn report(plan: &Plan, files: &[(i32, String)], dir: &str) -> Report {
    let grep = (plan.grep.as_deref()).and_then(|g| regex::Regex::new(g).ok());
    let text = super::shown(&trace::untimed(files), grep.as_ref());
    let tl = trace::read(files, grep.as_ref());
    let html = match tl.lanes.is_empty() {
        true => String::new(),
        false => timeline::draw(&tl).html,
    };
    let mut r = Report {
        exprs: plan.exprs.clone(),
        grep: plan.grep.clone(),
        directive: plan.directive.clone(),
        text,
        html,
        compared: "none".into(),
        diff: Vec::new(),
        vary: Vec::new(),
    };
    match &plan.book {
        _ if !plan.unchanged => r.compared = "edited".into(),
        None => {}
        Some((book, vary)) => {
            let dir = format!("{}/", dir.trim_end_matches('/'));
            let yours = if dir.len() > 1 {
                r.text.replace(&dir, "")
            } else {
                r.text.clone()
            };
            let all = [vary.as_slice(), &[SANDBOX_UID.to_string()]].concat();
            let masked = |t: &str| mask(t, &all).trim_end().to_string() + "\n";
            r.diff = line_diff(&masked(book), &masked(&yours));
            let same = r.diff.iter().all(|l| l.tag == "same");
            r.compared = if same { "match" } else { "differs" }.into();
            r.vary = vary.clone();
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::Block;
    use crate::store::Record;

    fn record(chapter: &str, args: &str, output: &str) -> Record {
        let args: Vec<String> = args.split(' ').map(String::from).collect();
        let vary = (args.iter().zip(&args[1..]))
            .filter(|(k, _)| *k == "--vary")
            .map(|(_, v)| v.clone())
            .collect();
        Record {
            cwd: "src/processes".into(),
            chapter: Some(chapter.into()),
            args,
            vary,
            inputs: String::new(),
            ran_at: 0,
            took_ms: 0.0,
            stamp: String::new(),
            block: Block {
                slug: "zombie".into(),
                command: String::new(),
                status: "exit status 0".into(),
                output: output.into(),
                error: None,
                pictures: Vec::new(),
            },
            markdown: String::new(),
        }
    }

    fn store_of(records: &[Record]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "rsp-trace-plan-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let s = store::Store {
            dir: dir.clone(),
            mode: store::Mode::Fresh,
        };
        for r in records {
            s.save(r).unwrap();
        }
        dir
    }

    const BOOK: &str = "P1  waitid(P_PID, P2, {si_pid=P2, si_uid=0}, WEXITED|WNOWAIT, NULL) = 0\n\
                        P1  wait4(P2, 0x7ffce1566744, 0, NULL)      = P2\n";

    /// strace's files of the same run, in a sandbox: pids 3 and 4.
    fn files(wait: &str) -> Vec<(i32, String)> {
        vec![
            (
                3,
                format!(
                    "1.0 clone3({{flags=CLONE_VM|CLONE_VFORK}}, 88) = 4 <0.1>\n\
                     1.3 waitid(P_PID, 4, {{si_pid=4, si_uid=2106674855}}, WEXITED|WNOWAIT, NULL) = 0 <0.1>\n\
                     1.5 {wait}(4, 0x7ffd00000001, 0, NULL) = 4 <0.1>\n\
                     1.6 +++ exited with 0 +++\n"
                ),
            ),
            (4, "1.2 +++ exited with 0 +++\n".to_string()),
        ]
    }

    #[test]
    fn the_chapters_traced_run_of_the_program_is_the_plan() {
        let ch = "processes/zombie.md";
        let dir = store_of(&[
            record(ch, "zombie --vary \\d{3,}", "out\n"),
            record(ch, "zombie --python subprocess_wait --strace trace=vfork", "py\n"),
            record(ch, "zombie --strace trace=clone3,wait4,waitid --strace signal=none --strace-grep wait --vary 0x[0-9a-f]+", BOOK),
            record("other.md", "zombie --strace trace=read", "x\n"),
        ]);
        let p = plan(&dir, Some(ch), "zombie", None, Some("zombie"));
        assert_eq!(p.exprs, ["trace=clone3,wait4,waitid", "signal=none"]);
        assert_eq!(p.grep.as_deref(), Some("wait"));
        assert!(p
            .directive
            .as_deref()
            .unwrap()
            .starts_with("zombie --strace"));
        assert_eq!(
            p.book,
            Some((BOOK.to_string(), vec!["0x[0-9a-f]+".to_string()]))
        );
        // Edited: the same calls traced, nothing to compare with.
        let edited = plan(&dir, Some(ch), "zombie", None, None);
        assert_eq!(
            (edited.exprs.len(), edited.book, edited.unchanged),
            (2, None, false)
        );
        // The Python program's own directive.
        let py = plan(&dir, Some(ch), "zombie", Some("subprocess_wait"), None);
        assert_eq!(py.exprs, ["trace=vfork"]);
        // No traced run of it in the chapter (or no chapter): the default set.
        for p in [
            plan(&dir, Some("other.md"), "zombie", Some("x"), None),
            plan(&dir, None, "zombie", None, None),
        ] {
            assert_eq!((p.exprs, p.directive), (vec![DEFAULT.to_string()], None));
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_unchanged_run_is_compared_masked_and_an_edited_one_is_not() {
        let plan = Plan {
            exprs: vec!["trace=clone3,wait4,waitid".into()],
            grep: Some("wait".into()),
            directive: Some("zombie --strace ...".into()),
            unchanged: true,
            book: Some((BOOK.into(), vec!["0x[0-9a-f]+".into()])),
        };
        let r = report(&plan, &files("wait4"), "/rsp/bin");
        let yours = BOOK.replace("0x7ffce1566744", "0x7ffd00000001");
        assert_eq!(r.text, yours.replace("si_uid=0", "si_uid=2106674855"));
        // The address masked by the book's --vary, the sandbox's uid always.
        assert_eq!(r.compared, "match", "{:#?}", r.diff);
        assert_eq!(r.vary, ["0x[0-9a-f]+"]);
        assert!(r
            .html
            .starts_with("<figure class=\"rsp-pic rsp-pic-timeline\">"));
        assert!(
            r.html.contains("reaps P2 (wait4)") || r.html.contains("&quot;wait4&quot;"),
            "{}",
            r.html
        );
        let r = report(&plan, &files("waitpid"), "/rsp/bin");
        assert_eq!(r.compared, "differs");
        assert!(
            r.diff
                .iter()
                .any(|l| l.tag == "book" && l.text.contains("wait4(P2")),
            "{:#?}",
            r.diff
        );
        let edited = Plan {
            unchanged: false,
            book: None,
            ..plan
        };
        assert_eq!(
            report(&edited, &files("wait4"), "/rsp/bin").compared,
            "edited"
        );
    }

    #[test]
    fn a_hostile_trace_comes_out_as_text() {
        // A program may write what it likes where strace writes.
        let files = vec![(
            3,
            "1.0 execve(\"/tmp/<img src=x onerror=alert(1)>\", [], []) = 0 <0.1>\n\
             1.1 <script>alert(1)</script>(\"&\") = 0 <0.1>\n\
             1.2 +++ killed by SIG<b>\"x\" +++\n"
                .to_string(),
        )];
        let r = report(
            &Plan {
                exprs: vec![DEFAULT.into()],
                ..Plan::default()
            },
            &files,
            "/rsp/bin",
        );
        assert!(!r.html.is_empty());
        for bad in ["<img", "<script", "<b>", "\"x\""] {
            assert!(!r.html.contains(bad), "{bad} in {}", r.html);
        }
        assert!(
            r.html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{}",
            r.html
        );
    }
}
