//! Compiles ahead of a run (`POST /__rsp/compile`, `src/run/ahead.rs`): a
//! Run of exactly the program compiled ahead starts it without compiling
//! again; any other program, or the same one after another compile of the
//! snippet, is compiled; a compile ahead runs nothing and takes a run's
//! checks.
mod common;

use common::{compile_error, error, output, root, server};
use runner::client::{run_body, Timed};
use runner::Event;

/// The zombie program with its first printed string changed, as a page
/// sends it (the chapter's hidden `extern crate nix;` first).
fn edited(mark: &str) -> String {
    let src = std::fs::read_to_string(root().join("snippets/zombie/src/main.rs")).unwrap();
    format!(
        "extern crate nix;\n{}",
        src.replacen(
            "println!(\"spawned",
            &format!("println!(\"{mark} spawned"),
            1
        )
    )
}

/// The `compiled` event of a run or a compile: (ok, ahead).
fn compiled(events: &[Timed]) -> Option<(bool, bool)> {
    events.iter().find_map(|t| match t.event {
        Event::Compiled { ok, ahead, .. } => Some((ok, ahead)),
        _ => None,
    })
}

#[test]
fn a_run_of_the_program_compiled_ahead_does_not_compile_it_again() {
    let s = server();
    let (status, events) = s.compile_ahead("zombie", &edited("AHEAD"));
    assert_eq!(status, 200);
    assert!(matches!(events[0].event, Event::Compiling), "{events:?}");
    assert_eq!(compiled(&events), Some((true, false)));
    assert!(
        !events
            .iter()
            .any(|t| matches!(t.event, Event::Output { .. } | Event::Exit { .. })),
        "a compile ahead runs nothing: {events:?}"
    );
    // The same program: started at once, the compile said to be ahead.
    let (status, events) = s.run("zombie", &edited("AHEAD"));
    assert_eq!(status, 200);
    assert!(
        !events.iter().any(|t| matches!(t.event, Event::Compiling)),
        "{events:?}"
    );
    assert_eq!(compiled(&events), Some((true, true)));
    assert!(
        output(&events).starts_with("AHEAD spawned"),
        "{}",
        output(&events)
    );
    // Run again: compiled by the run before, not again.
    let (_, events) = s.run("zombie", &edited("AHEAD"));
    assert_eq!(compiled(&events), Some((true, true)));
    // Another program of the snippet is compiled; then the first is no
    // longer the executable, so it is compiled again too.
    let (_, events) = s.run("zombie", &edited("OTHER"));
    assert_eq!(compiled(&events), Some((true, false)));
    assert!(
        output(&events).starts_with("OTHER spawned"),
        "{}",
        output(&events)
    );
    let (_, events) = s.run("zombie", &edited("AHEAD"));
    assert_eq!(compiled(&events), Some((true, false)));
    assert!(
        output(&events).starts_with("AHEAD spawned"),
        "{}",
        output(&events)
    );
    s.assert_healthy();
}

#[test]
fn a_compile_error_ahead_is_not_kept_and_python_is_not_compiled() {
    let s = server();
    let broken = edited("BROKEN").replacen(
        "fn main()",
        "fn main() { let x: u8 = \"no\"; }\nfn other()",
        1,
    );
    let (status, events) = s.compile_ahead("zombie", &broken);
    assert_eq!(status, 200);
    assert!(compile_error(&events).contains("E0308"), "{events:?}");
    // The run compiles it again, and fails again, as rustc says.
    let (_, events) = s.run("zombie", &broken);
    assert_eq!(compiled(&events), Some((false, false)));
    let body = serde_json::json!({
        "slug": "zombie", "code": "print(1)\n", "page": "p",
        "lang": "python", "file": "subprocess_wait"
    })
    .to_string();
    let (status, events) = s
        .client
        .compile(Some(&s.token), Some(&s.origin), &body)
        .unwrap();
    assert_eq!(status, 400);
    assert!(error(&events).contains("not compiled"), "{events:?}");
    s.assert_healthy();
}

#[test]
fn a_compile_ahead_needs_the_token_and_one_of_our_pages() {
    let s = server();
    let body = run_body("zombie", &edited("X"), "p");
    let (status, _) = s.client.compile(None, Some(&s.origin), &body).unwrap();
    assert_eq!(status, 403);
    let (status, _) = s
        .client
        .compile(
            Some("0123456789abcdef0123456789abcdef"),
            Some(&s.origin),
            &body,
        )
        .unwrap();
    assert_eq!(status, 403);
    let (status, _) = s
        .client
        .compile(Some(&s.token), Some("http://evil.example"), &body)
        .unwrap();
    assert_eq!(status, 403);
    s.assert_healthy();
}
