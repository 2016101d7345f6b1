//! Python blocks run in the same sandbox as the Rust programs (issue 12,
//! point 4): the book's venv and Debian's python3 read-only, no network, no
//! secrets, nothing left in /tmp; and the run is compared with the book's
//! record when the program is unchanged.
mod common;

use common::{exit, output, root, server, Server};
use runner::Event;

/// Runs `code` as the snippet's Python program `name`.
fn run_python(s: &Server, slug: &str, name: &str, code: &str, chapter: Option<&str>) -> Vec<Event> {
    let mut body = serde_json::json!({
        "slug": slug, "code": code, "page": "python-test", "lang": "python", "file": name,
    });
    if let Some(c) = chapter {
        body["chapter"] = c.into();
    }
    let (status, events) =
        s.client.run(Some(&s.token), Some(&s.origin), &body.to_string()).unwrap();
    assert_eq!(status, 200, "{events:?}");
    events.into_iter().map(|t| t.event).collect()
}

fn timed(events: Vec<Event>) -> Vec<runner_client::client::Timed> {
    events
        .into_iter()
        .map(|event| runner_client::client::Timed { at: std::time::Duration::ZERO, event })
        .collect()
}

#[test]
fn a_python_program_runs_with_the_books_venv() {
    let s = server();
    let code = "import sys, attrs\nprint('python', sys.version_info[:2] >= (3, 11), 'attrs', bool(attrs.__version__))\nprint(sys.executable)\n";
    let events = timed(run_python(&s, "derive", "attrs_define", code, None));
    let out = output(&events);
    assert!(out.starts_with("python True attrs True\n"), "{out}");
    assert!(matches!(exit(&events), Event::Exit { code: Some(0), .. }), "{events:?}");
    s.assert_healthy();
}

#[test]
fn a_python_run_is_sandboxed() {
    let s = server();
    let code = r#"
import os, socket
try:
    open("/etc/shadow").read()
    print("shadow: read")
except OSError as e:
    print("shadow:", type(e).__name__)
try:
    socket.create_connection(("127.0.0.1", int(os.environ.get("PORT", "22"))), timeout=1)
    print("network: connected")
except OSError as e:
    print("network:", type(e).__name__, e.errno)
print("uid", os.getuid())
print("tmp at start", len(os.listdir("/tmp")))
open("/tmp/left-behind", "w").write("x")
print("home", os.path.exists(os.path.expanduser("~root/.cargo")))
"#;
    let events = timed(run_python(&s, "zombie", "subprocess_wait", code, None));
    let out = output(&events);
    assert!(out.contains("shadow: FileNotFoundError\n"), "{out}");
    // No socket but Unix ones: EAFNOSUPPORT.
    assert!(out.contains("network: OSError 97\n"), "{out}");
    let uid = match s.isolation("user").as_str() {
        "self" => "65534".to_string(),
        u => u.to_string(),
    };
    assert!(out.contains(&format!("uid {uid}\n")), "{out}");
    assert!(out.contains("tmp at start 0\n"), "{out}");
    assert!(out.contains("home False\n"), "{out}");
    let again = timed(run_python(
        &s,
        "zombie",
        "subprocess_wait",
        "import os\nprint(os.path.exists('/tmp/left-behind'))\n",
        None,
    ));
    assert_eq!(output(&again), "False\n");
    s.assert_healthy();
}

#[test]
fn an_uncaught_exception_is_its_traceback_and_exit_status_1() {
    let s = server();
    let code = "print('before')\nraise ValueError('from the page')\n";
    let events = timed(run_python(&s, "zombie", "subprocess_wait", code, None));
    let out = output(&events);
    assert!(
        out.contains("/snippets/zombie/python/subprocess_wait.py\", line 2"),
        "the path ends as in the book: {out}"
    );
    assert!(out.contains("ValueError: from the page"), "{out}");
    assert!(matches!(exit(&events), Event::Exit { code: Some(1), .. }), "{events:?}");
    s.assert_healthy();
}

#[test]
fn an_unchanged_python_program_is_compared_with_the_book() {
    let s = server();
    let chapter = "objects/set-update.md";
    if !root().join("target/outputs/build/src_objects").is_dir() {
        eprintln!("no build records (cargo xtask build): nothing to compare with");
        return;
    }
    let code =
        std::fs::read_to_string(root().join("snippets/set-update/python/set_update.py")).unwrap();
    let events = run_python(&s, "set-update", "set_update", &code, Some(chapter));
    let Some(Event::Compare(c)) = events.last() else {
        panic!("no comparison: {events:?}");
    };
    assert!(c.matches, "{c:?}");
    assert!(c.directive.as_deref().unwrap_or("").contains("--python set_update"), "{c:?}");
    s.assert_healthy();
}
