//! "Run with trace": the program runs under strace in its own sandbox, and
//! the trace and its timeline come back before the exit, compared with the
//! book's trace of that program when the code is the book's.
mod common;

use std::path::{Path, PathBuf};

use common::{exit, output, root, server_with, Server};
use runner::Event;
use supervisor::render::Block;
use supervisor::store::{Mode, Record, Store};
use supervisor::strace::page::{Report, DEFAULT};

const CHAPTER: &str = "processes/zombie.md";
/// The chapter's traced directive of the Rust program.
const DIRECTIVE: &str = "zombie --strace trace=vfork,clone,clone3,wait4,waitid --strace signal=none --timeline --vary 0x[0-9a-f]+";

/// A store holding one record: the chapter's traced run of the Rust
/// program, with `trace` as its output.
fn store(dir: &Path, trace: &str) {
    let _ = std::fs::remove_dir_all(dir);
    let args: Vec<String> = DIRECTIVE.split(' ').map(String::from).collect();
    let block = Block {
        slug: "zombie".into(),
        command: String::new(),
        status: "exit status 0".into(),
        output: trace.into(),
        error: None,
        pictures: Vec::new(),
    };
    let r = Record {
        cwd: "src/processes".into(),
        chapter: Some(CHAPTER.into()),
        vary: vec!["0x[0-9a-f]+".into()],
        args,
        inputs: String::new(),
        ran_at: 0,
        took_ms: 0.0,
        stamp: String::new(),
        block,
        markdown: String::new(),
    };
    Store { dir: dir.to_path_buf(), mode: Mode::Fresh }.save(&r).unwrap();
}

/// Runs `code` as the zombie block with trace; the events and the report.
fn traced(
    s: &Server,
    code: &str,
    chapter: Option<&str>,
) -> (Vec<runner_client::client::Timed>, Report) {
    let mut body =
        serde_json::json!({ "slug": "zombie", "code": code, "page": "trace-test", "trace": true });
    if let Some(c) = chapter {
        body["chapter"] = c.into();
    }
    let (st, events) = s.client.run(Some(&s.token), Some(&s.origin), &body.to_string()).unwrap();
    assert_eq!(st, 200, "{events:?}");
    let at = events.iter().position(|t| matches!(t.event, Event::Exit { .. }));
    let report = match at.and_then(|i| events.get(i.checked_sub(1)?)).map(|t| &t.event) {
        Some(Event::Trace(r)) => (**r).clone(),
        _ => panic!("no trace just before the exit: {events:?}"),
    };
    // The job's own event never reaches the page.
    assert!(!events.iter().any(|t| matches!(t.event, Event::Straced { .. })));
    (events, report)
}

fn store_dir() -> PathBuf {
    std::env::temp_dir().join(format!("rsp-trace-store-{}", std::process::id()))
}

#[test]
fn an_edited_block_runs_under_the_chapters_strace_and_its_timeline_comes_back() {
    let dir = store_dir();
    store(&dir, "P1  wait4(P2) = P2\n");
    let s = server_with(10, |c| {
        c.arg("--store").arg(&dir);
    });
    let book = std::fs::read_to_string(root().join("snippets/zombie/src/main.rs")).unwrap();
    let code = book.replacen("spawned", "TRACED", 1);
    let (events, r) = traced(&s, &code, Some(CHAPTER));
    // The program's own output still streams, and it ends as untraced.
    assert!(output(&events).starts_with("TRACED `true` as pid "), "{}", output(&events));
    assert!(matches!(exit(&events), Event::Exit { code: Some(0), .. }), "{events:?}");
    assert_eq!(r.exprs, ["trace=vfork,clone,clone3,wait4,waitid", "signal=none"]);
    assert_eq!(r.directive.as_deref(), Some(DIRECTIVE));
    assert_eq!(r.compared, "edited");
    assert!(r.text.starts_with("P1  clone3({flags=CLONE_VM|CLONE_VFORK"), "{}", r.text);
    assert!(r.text.contains("P1  waitid(P_PID, P2, {si_signo=SIGCHLD"), "{}", r.text);
    assert!(r
        .text
        .contains("P1  wait4(P2, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = P2"));
    assert!(r.html.starts_with("<figure class=\"rsp-pic rsp-pic-timeline\">"), "{}", r.html);
    assert!(r.html.contains(">reaps P2 (wait4)</span>"), "{}", r.html);
    // strace's files went with the run: the next run's /tmp is empty.
    let (_, events) = s.run(
        "zombie",
        "fn main() { println!(\"{}\", std::fs::read_dir(\"/tmp\").unwrap().count()); }",
    );
    assert_eq!(output(&events), "0\n");
    s.assert_healthy();
    drop(s);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unchanged_block_is_compared_with_the_books_trace() {
    let dir = store_dir().with_extension("unchanged");
    store(&dir, "P1  clone3({flags=CLONE_VM|CLONE_VFORK, stack=0x1}, 88) = P2\n");
    let s = server_with(10, |c| {
        c.arg("--store").arg(&dir);
    });
    let book = std::fs::read_to_string(root().join("snippets/zombie/src/main.rs")).unwrap();
    // Another trace than the book's: the difference, masked.
    let (_, r) = traced(&s, &book, Some(CHAPTER));
    assert_eq!(r.compared, "differs", "{r:#?}");
    assert_eq!(r.vary, ["0x[0-9a-f]+"]);
    let book_lines: Vec<&str> =
        r.diff.iter().filter(|l| l.tag == "book").map(|l| l.text.as_str()).collect();
    assert_eq!(book_lines, ["P1  clone3({flags=CLONE_VM|CLONE_VFORK, stack=‹varies›}, 88) = P2"]);
    assert!(r.diff.iter().any(|l| l.tag == "yours" && l.text.contains("wait4(P2")), "{r:#?}");
    // The book's trace made where this one was: the same, its addresses aside.
    store(&dir, &r.text);
    let (_, again) = traced(&s, &book, Some(CHAPTER));
    assert_eq!(again.compared, "match", "{:#?}", again.diff);
    s.assert_healthy();
    drop(s);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn without_a_traced_run_in_the_chapter_the_default_calls_are_traced() {
    let s = server_with(10, |_| {});
    let code = "fn main() {\n    let st = std::process::Command::new(\"true\").status().unwrap();\n    println!(\"{st}\");\n}\n";
    let (events, r) = traced(&s, code, None);
    assert_eq!(output(&events), "exit status: 0\n");
    assert_eq!(
        (r.exprs, r.directive, r.compared.as_str()),
        (vec![DEFAULT.to_string()], None, "edited")
    );
    assert!(r.text.contains("P1  execve(\"/rsp/bin/zombie\""), "{}", r.text);
    assert!(r.text.contains("P2  execve(\"/usr/bin/true\""), "{}", r.text);
    assert!(r.text.contains("P1  wait4(P2"), "{}", r.text);
    assert!(r.text.contains("P2  exit_group(0)"), "{}", r.text);
    assert!(r.html.contains(">runs true</span>"), "{}", r.html);
    s.assert_healthy();
}

#[test]
fn what_a_program_leaves_where_strace_writes_is_read_as_text_and_bounded() {
    let s = server_with(10, |_| {});
    // A FIFO and a link among strace's files, and a file far over the cap.
    let code = r#"
extern crate nix;
fn main() {
    let dir = std::path::Path::new("/tmp/.rsp-strace");
    nix::unistd::mkfifo(&dir.join("trace.99"), nix::sys::stat::Mode::S_IRWXU).unwrap();
    std::os::unix::fs::symlink("/proc/1/environ", dir.join("trace.98")).unwrap();
    std::fs::write(dir.join("trace.97"), "1.0 <b>x</b>() = 0 <0.1>\n".repeat(100_000)).unwrap();
    println!("planted");
}
"#;
    let (st, events) = s.run_traced(code);
    assert_eq!(st, 200);
    assert_eq!(output(&events), "planted\n");
    assert!(matches!(exit(&events), Event::Exit { code: Some(0), .. }), "{events:?}");
    let r = events.iter().find_map(|t| match &t.event {
        Event::Trace(r) => Some(r),
        _ => None,
    });
    let r = r.expect("a trace");
    assert!(!r.text.contains("RSP_RUNNER"), "the job's environment: {}", r.text);
    assert!(r.text.len() <= supervisor::strace::CAP + 100, "{}", r.text.len());
    assert!(r.text.contains("  <b>x</b>()"), "as text");
    assert!(!r.html.contains("<b>"), "as text in the picture");
    // Its folder made a link elsewhere: nothing is read through it.
    let code = r#"
fn main() {
    std::fs::remove_dir_all("/tmp/.rsp-strace").unwrap();
    std::os::unix::fs::symlink("/proc/1", "/tmp/.rsp-strace").unwrap();
    println!("moved");
}
"#;
    let (_, events) = s.run_traced(code);
    assert_eq!(output(&events), "moved\n");
    let text = events.iter().find_map(|t| match &t.event {
        Event::Trace(r) => Some(r.text.clone()),
        _ => None,
    });
    assert_eq!(text.as_deref(), Some(""), "{events:?}");
    let (_, events) = s.run(
        "zombie",
        "fn main() { println!(\"{}\", std::fs::read_dir(\"/tmp\").unwrap().count()); }",
    );
    assert_eq!(output(&events), if common::traced() { "1\n" } else { "0\n" });
    s.assert_healthy();
}

#[test]
fn a_python_program_runs_with_trace_too() {
    let s = server_with(10, |_| {});
    let file = root().join("snippets/zombie/python/subprocess_wait.py");
    let code = std::fs::read_to_string(file).unwrap() + "\n# edited\n";
    let body = serde_json::json!({
        "slug": "zombie", "code": code, "page": "trace-test", "lang": "python",
        "file": "subprocess_wait", "trace": true,
    });
    let (st, events) = s.client.run(Some(&s.token), Some(&s.origin), &body.to_string()).unwrap();
    assert_eq!(st, 200, "{events:?}");
    assert!(matches!(exit(&events), Event::Exit { code: Some(0), .. }), "{events:?}");
    let r = events.iter().find_map(|t| match &t.event {
        Event::Trace(r) => Some(r),
        _ => None,
    });
    let text = &r.expect("a trace").text;
    assert!(text.contains("P1  execve(\"/rsp/venv/bin/python\""), "{text}");
    assert!(text.contains("P1  vfork()"), "{text}");
    assert!(text.contains("P1  wait4(P2, "), "{text}");
    s.assert_healthy();
}
