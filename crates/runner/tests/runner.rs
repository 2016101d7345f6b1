//! The runner against misbehaving code and requests, through HTTP as a page
//! would send them: every case gets its error, nothing is left running, and
//! the server still answers. The attacks on the sandbox are in sandbox.rs,
//! those on the HTTP side in http.rs.
mod common;

use std::os::unix::ffi::OsStringExt;
use std::os::unix::process::CommandExt;
use std::time::{Duration, Instant};

use common::{error, exit, output, root, server};
use runner::Event;
use runner_client::client::{run_body, Client};

#[test]
fn an_edited_snippet_runs_with_nix_and_streams_its_output() {
    let s = server();
    let src = std::fs::read_to_string(root().join("snippets/zombie/src/main.rs")).unwrap();
    let code = format!(
        "extern crate nix;\n{}",
        src.replacen("println!(\"spawned", "println!(\"EDITED spawned", 1)
    );
    let (status, events) = s.run("zombie", &code);
    assert_eq!(status, 200);
    assert!(matches!(events[0].event, Event::Compiling), "{:?}", events[0].event);
    assert!(events.iter().any(|t| matches!(t.event, Event::Compiled { ok: true, .. })));
    let out = output(&events);
    assert!(out.starts_with("EDITED spawned `true` as pid "), "{out}");
    assert!(out.contains("state Some('Z')"), "{out}");
    match exit(&events) {
        Event::Exit { code, killed, .. } => {
            assert_eq!(*code, Some(0));
            assert!(killed.is_empty());
        }
        _ => unreachable!(),
    }
    s.assert_healthy();
}

#[test]
fn the_program_gets_default_signal_dispositions_and_a_plain_user() {
    let s = server();
    // The job ignores SIGTERM so Ctrl-C cannot orphan a program; the program
    // itself must not inherit that.
    let code = r#"extern crate nix;
use nix::sys::signal::{kill, Signal};
fn main() {
    println!("uid {}", nix::unistd::getuid());
    kill(nix::unistd::getpid(), Signal::SIGTERM).unwrap();
    println!("still alive");
}
"#;
    let (status, events) = s.run("zombie", code);
    assert_eq!(status, 200);
    let out = output(&events);
    assert!(!out.contains("still alive"), "{out}");
    // The runner's own uid when it is root (inside and out), else nobody
    // inside its user namespace.
    let uid = match s.isolation("user").as_str() {
        "self" => "65534".to_string(),
        u => u.to_string(),
    };
    assert!(out.starts_with(&format!("uid {uid}\n")), "{out}");
    match exit(&events) {
        Event::Exit { signal, .. } => assert_eq!(signal.as_deref(), Some("SIGTERM")),
        _ => unreachable!(),
    }
    s.assert_healthy();
}

#[test]
fn a_compile_error_comes_back_as_rustc_prints_it() {
    let s = server();
    let code = "fn main() {\n    let n: u32 = \"four\";\n    println!(\"{n}\");\n}\n";
    let (status, events) = s.run("zombie", code);
    assert_eq!(status, 200);
    let last = &events.last().unwrap().event;
    let Event::Compiled { ok: false, output, .. } = last else {
        panic!("expected a failed compile, got {last:?}");
    };
    assert!(output.contains("error[E0308]: mismatched types"), "{output}");
    assert!(output.contains("--> src/main.rs:2:18"), "{output}");
    assert!(output.contains("expected `u32`, found `&str`"), "{output}");
    s.assert_healthy();
}

#[test]
fn an_infinite_loop_is_stopped_at_the_timeout_after_streaming() {
    let s = server();
    let code = "fn main() {\n    println!(\"looping\");\n    loop { std::hint::spin_loop(); }\n}\n";
    let (status, events) = s.run("zombie", code);
    assert_eq!(status, 200);
    let first = events.iter().find(|t| matches!(t.event, Event::Output { .. })).expect("no output");
    let end = events.last().unwrap();
    match exit(&events) {
        Event::Exit { timed_out, status, .. } => {
            assert!(timed_out, "{status}");
            assert_eq!(status, "timed out after 2 s");
        }
        _ => unreachable!(),
    }
    // Streamed: the line arrived while the program was still running.
    assert!(
        end.at - first.at > Duration::from_millis(1500),
        "output at {:?}, end at {:?}",
        first.at,
        end.at
    );
    assert_eq!(output(&events), "looping\n");
    s.assert_healthy();
}

#[test]
fn a_fork_bomb_is_contained_and_cleaned_up() {
    let s = server();
    let code = r#"extern crate nix;
fn main() {
    println!("forking");
    loop {
        // SAFETY: the child only loops and forks again.
        let _ = unsafe { nix::unistd::fork() };
    }
}
"#;
    let (status, events) = s.run("zombie", code);
    assert_eq!(status, 200);
    assert!(output(&events).starts_with("forking"));
    // Contained: the supervisor ended it at the 2 s timeout, on its own
    // clock, and nothing of it is left (assert_healthy). No wall-clock bound
    // on the whole request: that would time the compile and the machine's
    // load too, and fail a loaded build for nothing the runner did.
    match exit(&events) {
        Event::Exit { timed_out, ms, .. } => {
            assert!(*timed_out);
            assert!(*ms >= 2_000, "ended after {ms} ms, before its timeout");
        }
        _ => unreachable!(),
    }
    s.assert_healthy();
}

#[test]
fn ten_megabytes_of_output_are_cut_at_the_cap() {
    let s = server();
    let code = "fn main() {\n    let line = \"x\".repeat(1023);\n    for _ in 0..10 * 1024 {\n        println!(\"{line}\");\n    }\n}\n";
    let (status, events) = s.run("zombie", code);
    assert_eq!(status, 200);
    let out = output(&events);
    assert_eq!(out.len(), 64 * 1024);
    match exit(&events) {
        Event::Exit { code, dropped, .. } => {
            assert_eq!(*code, Some(0));
            assert_eq!(*dropped, 10 * 1024 * 1024 - 64 * 1024);
        }
        _ => unreachable!(),
    }
    s.assert_healthy();
}

#[test]
fn a_megabyte_of_source_is_refused() {
    let s = server();
    let code = format!("fn main() {{}}\n// {}\n", "x".repeat(1024 * 1024));
    let (status, events) = s.run("zombie", &code);
    assert_eq!(status, 413);
    assert!(error(&events).contains("too large"), "{}", error(&events));
    s.assert_healthy();
}

#[test]
fn runs_need_the_token_of_this_start() {
    let s = server();
    let body = run_body("zombie", "fn main() {}", "p");
    let (status, events) = s.client.run(None, Some(&s.origin), &body).unwrap();
    assert_eq!(status, 403);
    assert!(error(&events).contains("no token"), "{}", error(&events));
    let wrong = "0".repeat(32);
    let (status, events) = s.client.run(Some(&wrong), Some(&s.origin), &body).unwrap();
    assert_eq!(status, 403);
    assert!(error(&events).contains("wrong token"), "{}", error(&events));
    s.assert_healthy();
}

#[test]
fn foreign_origins_and_hosts_are_refused() {
    let s = server();
    let body = run_body("zombie", "fn main() {}", "p");
    let (status, events) =
        s.client.run(Some(&s.token), Some("http://evil.example"), &body).unwrap();
    assert_eq!(status, 403);
    assert!(error(&events).contains("http://evil.example"));
    // DNS rebinding: the right address under another name.
    let mut rebound = Client::new(s.client.addr).with_token(&s.token);
    rebound.host = format!("evil.example:{}", s.client.addr.port());
    let page = rebound.request("GET", "/", &[], b"").unwrap();
    assert_eq!(page.status, 403);
    assert!(!page.text().contains(&s.token));
    let (status, _) = rebound.run(Some(&s.token), None, &body).unwrap();
    assert_eq!(status, 403);
    s.assert_healthy();
}

#[test]
fn bad_requests_get_clear_errors() {
    let s = server();
    let t = Some(s.token.as_str());
    let o = Some(s.origin.as_str());
    let (status, e) = s.client.run(t, o, "{not json").unwrap();
    assert_eq!(status, 400);
    assert!(error(&e).starts_with("bad request"), "{}", error(&e));
    let (status, e) = s.client.run(t, o, &run_body("../../etc", "fn main() {}", "p")).unwrap();
    assert_eq!(status, 400);
    assert!(error(&e).contains("no snippet crate"), "{}", error(&e));
    let (status, e) = s.client.run(t, o, &run_body("zombie", "  ", "p")).unwrap();
    assert_eq!(status, 400);
    assert!(error(&e).contains("no code"), "{}", error(&e));
    let r = s.client.request("GET", "/__rsp/run", &[], b"").unwrap();
    assert_eq!(r.status, 405);
    s.assert_healthy();
}

#[test]
fn one_run_at_a_time_per_page() {
    let s = server();
    let code = "fn main() {\n    println!(\"busy\");\n    loop { std::hint::spin_loop(); }\n}\n";
    std::thread::scope(|scope| {
        let long = scope.spawn(|| s.run("zombie", code));
        // Let the first run take its slot, then try a second from the same page.
        std::thread::sleep(Duration::from_millis(500));
        let start = Instant::now();
        loop {
            let (status, events) = s.run("zombie", "fn main() {}");
            if status == 409 {
                assert!(error(&events).contains("already running"));
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(20), "never got 409");
            std::thread::sleep(Duration::from_millis(50));
        }
        let (status, events) = long.join().unwrap();
        assert_eq!(status, 200);
        assert!(matches!(exit(&events), Event::Exit { timed_out: true, .. }));
    });
    s.assert_healthy();
}

/// `prepared` from the health endpoint: how many times the workspace was built.
fn prepared(s: &common::Server) -> u64 {
    let h = s.client.request("GET", "/__rsp/health", &[], b"").unwrap();
    let v: serde_json::Value = serde_json::from_slice(&h.body).unwrap();
    v["prepared"].as_u64().unwrap()
}

/// Puts a file's text back when dropped.
struct Restore(std::path::PathBuf, String);

impl Drop for Restore {
    fn drop(&mut self) {
        std::fs::write(&self.0, &self.1).unwrap();
    }
}

#[test]
fn a_changed_cargo_toml_prepares_the_workspace_once_more() {
    let mut s = server();
    assert_eq!(prepared(&s), 1);
    let wait_for = |s: &common::Server, n: u64| {
        let start = Instant::now();
        while prepared(s) < n {
            assert!(start.elapsed() < Duration::from_secs(120), "never prepared again");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    // A republished book with the same manifests: nothing to prepare.
    s.runner.reload();
    let (st, events) = s.run("zombie", "fn main() { println!(\"before\"); }\n");
    assert_eq!((st, output(&events).as_str()), (200, "before\n"));
    assert_eq!(prepared(&s), 1);
    // A snippet's Cargo.toml changed (a comment added), then put back.
    let manifest = root().join("snippets/zombie/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let restore = Restore(manifest.clone(), text.clone());
    std::fs::write(&manifest, format!("{text}# changed by a test\n")).unwrap();
    s.runner.reload();
    wait_for(&s, 2);
    drop(restore);
    s.runner.reload();
    wait_for(&s, 3);
    let (st, events) = s.run("zombie", "fn main() { println!(\"after\"); }\n");
    assert_eq!(st, 200);
    assert_eq!(output(&events), "after\n");
    assert_eq!(prepared(&s), 3);
    s.assert_healthy();
}

#[test]
fn warm_start_compiles_every_snippet_before_it_is_ready() {
    let _serial = common::one_at_a_time();
    let book = std::env::temp_dir().join(format!("rsp-runner-warm-{}", std::process::id()));
    std::fs::create_dir_all(&book).unwrap();
    let mut r = common::Runner::start(|serve| {
        serve.arg("--book").arg(&book);
    });
    let cache = root().join(format!("target/runner/run-{}/cache", r.pid()));
    common::wait_ready(&Client::new(r.addr()));
    for e in std::fs::read_dir(root().join("snippets")).unwrap().flatten() {
        if e.path().join("Cargo.toml").is_file() {
            let slug = e.file_name().to_string_lossy().into_owned();
            assert!(
                cache.join("out").join(&slug).join(&slug).is_file(),
                "{slug} was not compiled at start"
            );
        }
    }
    r.stop();
    let _ = std::fs::remove_dir_all(&book);
}

#[test]
fn without_the_sandbox_it_still_runs_and_says_so() {
    // `--sandbox off` is what a machine without bubblewrap gets (and the
    // bench's baseline): no namespaces, no cgroup, as nobody when root.
    let s = common::server_with(2, |serve| {
        serve.args(["--sandbox", "off"]);
    });
    assert_eq!(s.isolation("sandbox"), "none");
    assert_eq!(s.isolation("cgroup"), "none");
    let code = "extern crate nix;\nfn main() { println!(\"uid {}\", nix::unistd::getuid()); }\n";
    let (st, events) = s.run("zombie", code);
    assert_eq!(st, 200);
    let out = output(&events);
    if nix::unistd::geteuid().is_root() {
        let uid = s.isolation("user");
        assert_eq!(out, format!("uid {uid}\n"), "root runs code as its own uid even so");
    } else {
        assert_eq!(out, format!("uid {}\n", nix::unistd::getuid()));
    }
    s.assert_healthy();
}

#[test]
fn a_runner_killed_outright_is_cleaned_up_by_the_next() {
    let _serial = common::one_at_a_time();
    let book = std::env::temp_dir().join(format!("rsp-runner-kill-{}", std::process::id()));
    std::fs::create_dir_all(&book).unwrap();
    let start = |book: &std::path::Path| {
        let r = common::Runner::start(|serve| {
            serve.arg("--book").arg(book).arg("--no-warm");
        });
        let c = Client::new(r.addr());
        common::wait_ready(&c);
        (r, c)
    };
    let (mut a, c) = start(&book);
    let cgroup =
        c.request("GET", "/__rsp/health", &[], b"").unwrap().text().contains("\"cgroup\":\"v1\"");
    let pid = a.pid();
    a.kill();
    // Its /tmp was mounted in its own mount namespace: it went with it.
    assert_eq!(common::loop_devices_left(pid), Vec::<String>::new());
    // Whatever a killed runner leaves in its cgroups (here a stand-in,
    // moved into one of them) the next runner kills.
    let stale = std::fs::read_dir("/sys/fs/cgroup/pids")
        .into_iter()
        .flatten()
        .flatten()
        .find(|e| e.file_name().to_string_lossy() == format!("rsp-runner-{pid}"))
        .map(|e| e.path());
    let mut stand_in = None;
    if let (true, Some(dir)) = (cgroup, stale) {
        // A sandbox's group the killed runner had when it went.
        let group = dir.join("stale");
        std::fs::create_dir(&group).unwrap();
        let child = std::process::Command::new("sleep").arg("600").spawn().unwrap();
        std::fs::write(group.join("cgroup.procs"), child.id().to_string()).unwrap();
        stand_in = Some(child);
    }
    if nix::unistd::geteuid().is_root() {
        assert!(stand_in.is_some(), "root has cgroups here: the stand-in was not placed");
    }
    let (mut b, _) = start(&book);
    // Its folder is gone too.
    let state = root().join(format!("target/runner/run-{pid}"));
    assert!(!state.exists(), "{} is left", state.display());
    if let Some(mut child) = stand_in {
        let t = Instant::now();
        while child.try_wait().unwrap().is_none() {
            assert!(t.elapsed() < Duration::from_secs(5), "the next runner left it");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    b.stop();
    let mut left = common::sandboxed_processes(pid);
    left.extend(common::sandboxed_processes(b.pid()));
    assert!(left.is_empty(), "{left:?}");
    let _ = std::fs::remove_dir_all(&book);
}

#[test]
fn two_runners_on_one_workspace_keep_apart() {
    // Each has its own uid, caches, /tmp and groups: neither disturbs the other.
    let _serial = common::one_at_a_time();
    let book = std::env::temp_dir().join(format!("rsp-runner-two-{}", std::process::id()));
    std::fs::create_dir_all(&book).unwrap();
    let start = || {
        let r = common::Runner::start(|serve| {
            serve.arg("--book").arg(&book).arg("--no-warm");
        });
        let c = Client::new(r.addr()).with_token(&r.token);
        common::wait_ready(&c);
        (r, c)
    };
    let (a, ca) = start();
    let (b, cb) = start();
    for i in 0..2 {
        for (r, c) in [(&a, &ca), (&b, &cb)] {
            let code = format!(
                "fn main() {{ std::fs::write(\"/tmp/x\", \"{i}\").unwrap(); println!(\"{i}\"); }}"
            );
            let origin = format!("http://127.0.0.1:{}", r.port);
            let (st, events) =
                c.run(Some(&r.token), Some(&origin), &run_body("zombie", &code, "p")).unwrap();
            assert_eq!((st, output(&events)), (200, format!("{i}\n")), "{:?}", events);
        }
    }
    drop((a, b));
    let _ = std::fs::remove_dir_all(&book);
}

#[test]
fn a_killed_runners_groups_go_whichever_cgroup_the_next_starts_in() {
    // Two terminals are two cgroups (a session's scope, a service): the
    // runner makes its groups below its own, so the next runner, started
    // in another, did not find what the killed one left.
    let _serial = common::one_at_a_time();
    let own = std::fs::read_to_string("/proc/self/cgroup").unwrap();
    let Some(own) = own.lines().find_map(|l| l.split_once(":memory:").map(|(_, p)| p.to_string()))
    else {
        eprintln!("no cgroup v1 memory hierarchy here");
        return;
    };
    let own = std::path::Path::new("/sys/fs/cgroup/memory").join(own.trim_start_matches('/'));
    if !nix::unistd::geteuid().is_root() || !own.join("cgroup.procs").exists() {
        eprintln!("not root, or no cgroup v1 memory group of ours: nothing to test");
        return;
    }
    let book = std::env::temp_dir().join(format!("rsp-runner-cg-{}", std::process::id()));
    std::fs::create_dir_all(&book).unwrap();
    let terminals: Vec<_> = ["a", "b"]
        .map(|t| own.join(format!("rsp-test-terminal-{t}-{}", std::process::id())))
        .into_iter()
        .collect();
    let start = |terminal: &std::path::Path| {
        let procs =
            std::ffi::CString::new(terminal.join("cgroup.procs").into_os_string().into_vec())
                .unwrap();
        let r = common::Runner::start(|serve| {
            serve.arg("--book").arg(&book).arg("--no-warm");
            // SAFETY: open, write and close between fork and exec.
            unsafe {
                serve.pre_exec(move || {
                    let fd = libc::open(procs.as_ptr(), libc::O_WRONLY);
                    let ok = fd >= 0 && libc::write(fd, b"0".as_ptr().cast(), 1) == 1;
                    libc::close(fd);
                    if ok {
                        Ok(())
                    } else {
                        Err(std::io::Error::last_os_error())
                    }
                });
            }
        });
        common::wait_ready(&Client::new(r.addr()));
        r
    };
    for t in &terminals {
        std::fs::create_dir_all(t).unwrap();
    }
    let mut a = start(&terminals[0]);
    let left = terminals[0].join(format!("rsp-runner-{}", a.pid()));
    assert!(left.exists(), "{} was not made", left.display());
    a.kill();
    let mut b = start(&terminals[1]);
    let gone = !left.exists();
    b.stop();
    for t in &terminals {
        let _ = std::fs::remove_dir(t.join(format!("rsp-runner-{}", b.pid())));
        let _ = std::fs::remove_dir(&left);
        std::fs::remove_dir(t).unwrap();
    }
    let _ = std::fs::remove_dir_all(&book);
    assert!(gone, "{} is left", left.display());
}
