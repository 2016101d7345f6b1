//! The HTTP side against other local processes and bad clients: nothing
//! without the token, malformed requests answered, floods of idle
//! connections, clients that leave or never read.
mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{named, output, programs, raw_status, server, server_with};
use runner_client::client::{run_body, Client};

#[test]
fn nothing_is_served_without_the_token() {
    let s = server();
    let anon = Client::new(s.runner.addr());
    for path in ["/", "/index.html", "/style.css", "/nope", "/__rsp/events"] {
        let r = anon.request("GET", path, &[], b"").unwrap();
        assert_eq!(r.status, 403, "{path}");
        let text = r.text();
        assert!(!text.contains(&s.token), "{path}: the token in {text}");
        assert!(text.contains("cargo xtask serve"), "{path}: {text}");
        assert!(text.contains("/?token=…"), "{path}: {text}");
    }
    // A wrong token, and a right one in a POST, open nothing.
    let wrong = anon.request("GET", "/?token=00", &[], b"").unwrap();
    assert_eq!(wrong.status, 403);
    assert!(!wrong.text().contains(&s.token));
    // Health is open, and says nothing secret.
    let h = anon.request("GET", "/__rsp/health", &[], b"").unwrap();
    assert_eq!(h.status, 200);
    assert!(!h.text().contains(&s.token));

    // The printed link: a cookie, and the same page without the token.
    let link =
        anon.request("GET", &format!("/index.html?a=1&token={}", s.token), &[], b"").unwrap();
    assert_eq!(link.status, 303);
    assert_eq!(link.header("location"), Some("/index.html?a=1"));
    let cookie = link.header("set-cookie").unwrap().to_string();
    let name = format!("rsp-runner-{}=", s.runner.port);
    assert!(cookie.starts_with(&format!("{name}{}", s.token)), "{cookie}");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    let pair = cookie.split(';').next().unwrap();
    let page = anon.request("GET", "/", &[("cookie", pair)], b"").unwrap();
    assert_eq!(page.status, 200);
    assert!(page
        .text()
        .contains(&format!("<meta name=\"rsp-runner-token\" content=\"{}\">", s.token)));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let css = anon.request("GET", "/style.css", &[("cookie", pair)], b"").unwrap();
    assert_eq!(css.status, 200);
    assert!(css.header("content-type").unwrap().starts_with("text/css"));
    // A cookie for another start does nothing.
    let old = format!("{name}{}", "0".repeat(32));
    let r = anon.request("GET", "/", &[("cookie", &old)], b"").unwrap();
    assert_eq!(r.status, 403);
    // The cookie alone does not run code: runs need X-RSP-Token.
    let (st, _) =
        anon.run(None, Some(&s.origin), &run_body("zombie", "fn main() {}", "p")).unwrap();
    assert_eq!(st, 403);
    s.assert_healthy();
}

#[test]
fn malformed_requests_get_4xx_answers() {
    let s = server();
    let host = format!("Host: 127.0.0.1:{}\r\n", s.runner.port);
    let token = format!("X-RSP-Token: {}\r\n", s.token);
    let body = run_body("zombie", "fn main() {}", "p");
    let chunked = format!(
        "POST /__rsp/run HTTP/1.1\r\n{host}{token}Content-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
        body.len()
    );
    let big_header =
        format!("GET / HTTP/1.1\r\n{host}{token}X-Big: {}\r\n\r\n", "a".repeat(40 * 1024));
    let many: String = (0..65).map(|i| format!("X-H{i}: {i}\r\n")).collect();
    let many_headers = format!("GET / HTTP/1.1\r\n{host}{token}{many}\r\n");
    let bad_length =
        format!("POST /__rsp/run HTTP/1.1\r\n{host}{token}Content-Length: abc\r\n\r\n{body}");
    let not_http = "\x16\x03\x01\x02\x00\x01\x00\x01\x03\x03 hello\r\n\r\n".to_string();
    for (what, req) in [
        ("a chunked run", chunked),
        ("a 40 KB header", big_header),
        ("65 headers", many_headers),
        ("a bad Content-Length", bad_length),
        ("not HTTP", not_http),
    ] {
        let status = s.raw(req.as_bytes());
        assert!(status.is_some_and(|c| (400..500).contains(&c)), "{what}: {status:?}");
    }
    s.assert_healthy();
}

#[test]
fn three_hundred_idle_connections_leave_a_real_page_served() {
    let s = server();
    let addr = s.runner.addr();
    let mut idle = Vec::new();
    for i in 0..300 {
        let mut c = TcpStream::connect(addr).unwrap();
        // Some say nothing, some start a request and stop (slowloris).
        if i % 3 == 0 {
            let _ = c.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        }
        idle.push(c);
    }
    let start = Instant::now();
    let page = s.client.request("GET", "/", &[], b"").unwrap();
    assert_eq!(page.status, 200);
    assert!(page.text().contains("book"));
    assert!(start.elapsed() < Duration::from_secs(3), "the page took {:?}", start.elapsed());
    // The oldest idle connections made room: they were closed.
    let mut closed = 0;
    for c in idle.iter_mut().take(20) {
        c.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        let mut b = [0u8; 1];
        if matches!(c.read(&mut b), Ok(0) | Err(_)) {
            closed += 1;
        }
    }
    assert!(closed > 0, "no idle connection was closed to make room");
    drop(idle);
    s.assert_healthy();
}

#[test]
fn two_hundred_and_fifty_six_event_streams_leave_a_page_served() {
    let s = server();
    let addr = s.runner.addr();
    let mut streams = Vec::new();
    for _ in 0..256 {
        let mut c = TcpStream::connect(addr).unwrap();
        write!(
            c,
            "GET /__rsp/events HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nX-RSP-Token: {}\r\n\r\n",
            s.runner.port, s.token
        )
        .unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut head = [0u8; 512];
        assert!(c.read(&mut head).unwrap() > 0, "no answer to a stream");
        streams.push(c);
    }
    let start = Instant::now();
    let page = s.client.request("GET", "/", &[], b"").unwrap();
    assert_eq!(page.status, 200);
    assert!(start.elapsed() < Duration::from_secs(5), "{:?}", start.elapsed());
    // The oldest streams were ended (their pages' EventSource reconnects);
    // the newest are open.
    let ended = |c: &mut TcpStream| {
        c.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
        let mut got = Vec::new();
        let mut b = [0u8; 256];
        loop {
            match c.read(&mut b) {
                Ok(0) => return true,
                // A chunked body's last chunk ends the stream.
                Ok(n) => got.extend_from_slice(&b[..n]),
                Err(_) => return String::from_utf8_lossy(&got).contains("0\r\n\r\n"),
            }
        }
    };
    assert!(ended(&mut streams[0]), "the oldest stream is still open");
    assert!(!ended(streams.last_mut().unwrap()), "the newest stream was ended");
    drop(streams);
    s.assert_healthy();
}

#[test]
fn the_token_link_redirects_to_this_server_only() {
    let s = server();
    for (path, location) in [
        ("/\\evil.example/", "/evil.example/"),
        ("//evil.example/", "/evil.example/"),
        ("/\\/evil.example/", "/evil.example/"),
    ] {
        let mut c = TcpStream::connect(s.runner.addr()).unwrap();
        write!(
            c,
            "GET {path}?token={} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            s.token, s.runner.port
        )
        .unwrap();
        let mut answer = String::new();
        c.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 303"), "{path}: {answer}");
        assert!(answer.contains(&format!("location: {location}\r\n")), "{path}: {answer}");
        for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(answer.contains(attr), "{attr}: {answer}");
        }
    }
    s.assert_healthy();
}

/// Sends a run on a raw connection and reads until `until` is in what
/// came back (or gives up after 60 s); returns the open connection.
fn raw_run_until(s: &common::Server, code: &str, page: &str, until: &str) -> TcpStream {
    let mut c = TcpStream::connect(s.runner.addr()).unwrap();
    c.write_all(&s.raw_run(&run_body("zombie", code, page))).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&got).contains(until) {
        match c.read(&mut buf) {
            Ok(0) | Err(_) => {
                panic!("the run ended before {until:?}: {}", String::from_utf8_lossy(&got))
            }
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    c
}

/// A program that names itself `comm`, starts a child, says "ready" and
/// waits forever.
fn waits_forever(comm: &str) -> String {
    format!(
        r#"
extern crate nix;
fn main() {{
    nix::sys::prctl::set_name(&std::ffi::CString::new("{comm}").unwrap()).unwrap();
    // SAFETY: the child only sleeps.
    if let nix::unistd::ForkResult::Child = unsafe {{ nix::unistd::fork() }}.unwrap() {{
        loop {{ std::thread::sleep(std::time::Duration::from_secs(1)); }}
    }}
    println!("ready");
    loop {{ std::thread::sleep(std::time::Duration::from_secs(1)); }}
}}
"#
    )
}

#[test]
fn closing_the_connection_kills_the_program_within_a_second() {
    let s = server_with(30, |_| {});
    let comm = format!("rspclose{}", std::process::id() % 10000);
    let c = raw_run_until(&s, &waits_forever(&comm), "close-page", "ready");
    let running = named(&comm);
    assert_eq!(running.len(), 2, "the program and its child: {running:?}");
    drop(c);
    let closed = Instant::now();
    while !named(&comm).is_empty() {
        assert!(
            closed.elapsed() < Duration::from_secs(1),
            "still running 1 s after the connection closed: {:?}",
            named(&comm)
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    s.assert_healthy();
}

#[test]
fn a_queued_run_of_a_gone_client_never_starts() {
    let s = server_with(30, |_| {});
    let first = format!("rspfirst{}", std::process::id() % 10000);
    let queued = format!("rspqueue{}", std::process::id() % 10000);
    let a = raw_run_until(&s, &waits_forever(&first), "page-a", "ready");
    // B queues behind A, then goes.
    let b = raw_run_until(&s, &waits_forever(&queued), "page-b", "queued");
    drop(b);
    std::thread::sleep(Duration::from_millis(300));
    drop(a);
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(3) {
        assert!(named(&queued).is_empty(), "the gone client's run started");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(named(&first).is_empty());
    s.assert_healthy();
}

#[test]
fn a_client_that_never_reads_does_not_hold_up_another_page() {
    let s = server();
    let loud = "fn main() {\n    let line = \"x\".repeat(1023);\n    for _ in 0..10 * 1024 {\n        println!(\"{line}\");\n    }\n}\n";
    let quick = "fn main() { println!(\"quick\"); }\n";
    // What both take with readers that read (and warm caches).
    let t = Instant::now();
    let (st, _) = s.run_as("page-a", "zombie", loud);
    assert_eq!(st, 200);
    let loud_takes = t.elapsed();
    let t = Instant::now();
    let (st, events) = s.run_as("page-b", "zombie", quick);
    assert_eq!(st, 200);
    assert_eq!(output(&events), "quick\n");
    let quick_takes = t.elapsed();

    // A sends the loud run and never reads a byte of the answer.
    let mut a = TcpStream::connect(s.runner.addr()).unwrap();
    a.write_all(&s.raw_run(&run_body("zombie", loud, "page-a"))).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let t = Instant::now();
    let (st, events) = s.run_as("page-b", "zombie", quick);
    let took = t.elapsed();
    assert_eq!(st, 200);
    assert_eq!(output(&events), "quick\n");
    assert!(
        took < loud_takes + quick_takes + Duration::from_secs(1),
        "B took {took:?} behind a client that does not read (alone: A {loud_takes:?}, B {quick_takes:?})"
    );
    drop(a);
    s.assert_healthy();
}

#[test]
fn live_reload_tells_open_pages() {
    let mut s = server();
    let mut c = TcpStream::connect(s.runner.addr()).unwrap();
    write!(
        c,
        "GET /__rsp/events HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nX-RSP-Token: {}\r\n\r\n",
        s.runner.port, s.token
    )
    .unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut got = Vec::new();
    let read_until = |c: &mut TcpStream, got: &mut Vec<u8>, what: &str| {
        let mut buf = [0u8; 1024];
        while !String::from_utf8_lossy(got).contains(what) {
            match c.read(&mut buf) {
                Ok(0) | Err(_) => panic!("no {what:?} in {}", String::from_utf8_lossy(got)),
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    read_until(&mut c, &mut got, "rsp live reload");
    assert!(String::from_utf8_lossy(&got).contains("text/event-stream"));
    // Serving pages reads the book's files: that is not a rebuild.
    for _ in 0..5 {
        assert_eq!(s.client.request("GET", "/", &[], b"").unwrap().status, 200);
        s.client.request("GET", "/style.css", &[], b"").unwrap();
    }
    c.set_read_timeout(Some(Duration::from_millis(1500))).unwrap();
    let mut buf = [0u8; 1024];
    if let Ok(n) = c.read(&mut buf) {
        got.extend_from_slice(&buf[..n]);
    }
    assert!(
        !String::from_utf8_lossy(&got).contains("event: reload"),
        "reading pages made a reload: {}",
        String::from_utf8_lossy(&got)
    );
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // A rebuild: the book's files change, and xtask says so on stdin.
    std::fs::write(
        s.book.join("index.html"),
        "<!DOCTYPE html><html><head></head><body>rebuilt</body></html>",
    )
    .unwrap();
    s.runner.reload();
    read_until(&mut c, &mut got, "event: reload");
    let page = s.client.request("GET", "/", &[], b"").unwrap();
    assert!(page.text().contains("rebuilt"));
    s.assert_healthy();
}

#[test]
fn the_book_is_served_from_its_folder_only() {
    let s = server();
    let secret = s.book.parent().unwrap().join(format!("rsp-outside-{}", std::process::id()));
    std::fs::write(&secret, "outside the book").unwrap();
    let name = secret.file_name().unwrap().to_string_lossy().into_owned();
    for path in [format!("/../{name}"), format!("/%2e%2e/{name}"), format!("/..%2f{name}")] {
        let st = raw_status(
            s.runner.addr(),
            format!(
                "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nX-RSP-Token: {}\r\nConnection: close\r\n\r\n",
                s.runner.port, s.token
            )
            .as_bytes(),
        );
        assert!(st.is_some_and(|c| c == 404 || c == 400), "{path}: {st:?}");
    }
    let missing = s.client.request("GET", "/nope.html", &[], b"").unwrap();
    assert_eq!(missing.status, 404);
    let _ = std::fs::remove_file(&secret);
    assert!(programs(s.runner.pid()).is_empty());
    s.assert_healthy();
}
