//! Live reload: `watch_book` notices when `mdbook watch` has rebuilt `book/`
//! and `events` tells every open page, as server-sent events.
use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime};

use super::{json_error, lock, Shared};
use crate::http::{self, Request};

/// Server-sent events: `reload` when the book in `book/` was rebuilt
/// (by `mdbook watch`). This replaces mdbook serve's live reload.
pub(super) fn events(s: &Shared, req: Request) {
    if let Some(origin) = req.header("Origin") {
        if !s.origins.iter().any(|o| o == origin) {
            return json_error(req, 403, "not from this server's pages");
        }
    }
    let mut w = &req.stream;
    let head = [
        ("Content-Type", "text/event-stream"),
        ("Cache-Control", "no-store"),
        ("Transfer-Encoding", "chunked"),
    ];
    if http::write_head(&mut w, 200, &head, None).is_err() {
        return;
    }
    let mut send = |text: &str| -> bool {
        write!(w, "{:x}\r\n{text}\r\n", text.len())
            .and_then(|()| w.flush())
            .is_ok()
    };
    if !send(": rsp live reload\n\n") {
        return;
    }
    let mut seen = *lock(&s.book_version);
    loop {
        let guard = lock(&s.book_version);
        let (guard, _) = s
            .book_changed
            .wait_timeout_while(guard, Duration::from_secs(15), |v| *v == seen)
            .unwrap_or_else(|p| p.into_inner());
        let now = *guard;
        drop(guard);
        let ok = if now != seen {
            seen = now;
            send(&format!("event: reload\ndata: {now}\n\n"))
        } else {
            send(": ping\n\n")
        };
        if !ok {
            return;
        }
    }
}

/// Polls book/ and bumps the version once a rebuild has settled.
pub(super) fn watch_book(s: &Shared) {
    let mut last = book_stamp(&s.cfg.book);
    let mut changed = false;
    loop {
        std::thread::sleep(Duration::from_millis(400));
        let now = book_stamp(&s.cfg.book);
        if now != last {
            last = now;
            changed = true;
        } else if changed && s.cfg.book.join("index.html").is_file() {
            changed = false;
            *lock(&s.book_version) += 1;
            s.book_changed.notify_all();
        }
    }
}

fn book_stamp(dir: &Path) -> (usize, Option<SystemTime>) {
    fn walk(dir: &Path, n: &mut usize, newest: &mut Option<SystemTime>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let Ok(m) = e.metadata() else { continue };
            if m.is_dir() {
                walk(&e.path(), n, newest);
            } else {
                *n += 1;
                if let Ok(t) = m.modified() {
                    *newest = (*newest).max(Some(t));
                }
            }
        }
    }
    let (mut n, mut newest) = (0, None);
    walk(dir, &mut n, &mut newest);
    (n, newest)
}
