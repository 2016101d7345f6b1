//! Compiles ahead of a run (`POST /__rsp/compile`, `src/run/ahead.rs`): a
//! Run of exactly the program compiled ahead starts it without compiling
//! again; any other program, or the same one after another compile of the
//! snippet, is compiled; a compile ahead runs nothing, takes a run's checks,
//! and never waits for the turn a run holds or waits for.
mod common;

use std::time::{Duration, Instant};

use common::{compile_error, error, output, root, server};
use runner::client::{run_body, Timed};
use runner::{Event, Kept};

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

/// The `compiled` event of a run or a compile: (ok, what compiled it if
/// not this request).
fn compiled(events: &[Timed]) -> Option<(bool, Option<Kept>)> {
    events.iter().find_map(|t| match t.event {
        Event::Compiled { ok, kept, .. } => Some((ok, kept)),
        _ => None,
    })
}

#[test]
fn a_run_of_the_program_compiled_ahead_does_not_compile_it_again() {
    let s = server();
    let (status, events) = s.compile_ahead("zombie", &edited("AHEAD"));
    assert_eq!(status, 200);
    assert!(matches!(events[0].event, Event::Compiling), "{events:?}");
    assert_eq!(compiled(&events), Some((true, None)));
    assert!(
        !events
            .iter()
            .any(|t| matches!(t.event, Event::Output { .. } | Event::Exit { .. })),
        "a compile ahead runs nothing: {events:?}"
    );
    // The same program: started at once, said to be compiled ahead.
    let (status, events) = s.run("zombie", &edited("AHEAD"));
    assert_eq!(status, 200);
    assert!(
        !events.iter().any(|t| matches!(t.event, Event::Compiling)),
        "{events:?}"
    );
    assert_eq!(compiled(&events), Some((true, Some(Kept::Ahead))));
    assert!(
        output(&events).starts_with("AHEAD spawned"),
        "{}",
        output(&events)
    );
    let (_, events) = s.run("zombie", &edited("AHEAD"));
    assert_eq!(compiled(&events), Some((true, Some(Kept::Ahead))));
    // Another program of the snippet is compiled, and kept for its next
    // run; the first is compiled again.
    let (_, events) = s.run("zombie", &edited("OTHER"));
    assert_eq!(compiled(&events), Some((true, None)));
    assert!(
        output(&events).starts_with("OTHER spawned"),
        "{}",
        output(&events)
    );
    let (_, events) = s.run("zombie", &edited("OTHER"));
    assert_eq!(compiled(&events), Some((true, Some(Kept::EarlierRun))));
    let (_, events) = s.run("zombie", &edited("AHEAD"));
    assert_eq!(compiled(&events), Some((true, None)));
    assert!(
        output(&events).starts_with("AHEAD spawned"),
        "{}",
        output(&events)
    );
    s.assert_healthy();
    // The kept executables go with the server.
    let mut s = s;
    let kept = root()
        .join("target/runner/runs")
        .join(format!("{}-kept", s.runner.pid()));
    assert!(kept.is_dir(), "{}", kept.display());
    s.runner.stop();
    assert!(!kept.exists(), "{} is left", kept.display());
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
    assert_eq!(compiled(&events), Some((false, None)));
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

#[test]
fn a_compile_ahead_is_refused_while_a_run_holds_the_turn() {
    let s = server();
    let looping = "fn main() { println!(\"looping\"); loop { std::hint::spin_loop(); } }\n";
    std::thread::scope(|t| {
        let run = t.spawn(|| s.run_as("other-page", "zombie", looping));
        // Until the run has the turn (or waits for it), a compile ahead may
        // still get it; from then on it is refused at once, never queued.
        let deadline = Instant::now() + Duration::from_secs(120);
        let refused = loop {
            let started = Instant::now();
            let (status, events) = s.compile_ahead("zombie", &edited("WAITING"));
            if status == 204 {
                // Nothing done, nothing said.
                assert!(
                    !events
                        .iter()
                        .any(|t| matches!(t.event, Event::Compiling | Event::Compiled { .. })),
                    "{events:?}"
                );
                break started.elapsed();
            }
            assert_eq!(status, 200, "{events:?}");
            assert!(Instant::now() < deadline, "the run never held the turn");
        };
        assert!(
            refused < Duration::from_secs(1),
            "refused after {refused:?}"
        );
        let (status, events) = run.join().unwrap();
        assert_eq!(status, 200);
        assert!(output(&events).starts_with("looping"), "{events:?}");
    });
    s.assert_healthy();
}
