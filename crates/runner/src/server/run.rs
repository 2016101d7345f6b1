//! The run endpoint: the checks a run must pass (Origin, token, body, slug,
//! edition), one run at a time per page and a bounded queue, and the
//! streamed answer (chunked NDJSON, see `events.rs`).
use std::collections::HashSet;
use std::io::Write;
use std::sync::atomic::Ordering;

use serde::Deserialize;

use super::launch::{current_plan, machine_lock, run_code};
use super::{constant_time_eq, json_error, lock, Shared, TOKEN_HEADER};
use crate::events::Event;
use crate::http::{self, Request};
use crate::prepare::valid_slug;

/// The runs waiting for their turn, and the pages with a run in flight.
#[derive(Default)]
pub(super) struct Queue {
    waiting: usize,
    pages: HashSet<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RunRequest {
    slug: String,
    code: String,
    #[serde(default)]
    edition: Option<String>,
    /// A random id per page load: one run at a time per page.
    #[serde(default)]
    page: Option<String>,
}

/// Frees the page's slot and its place in the queue when a run ends.
struct Slot<'a> {
    s: &'a Shared,
    page: String,
    waiting: bool,
}

impl Slot<'_> {
    fn started(&mut self) {
        if self.waiting {
            self.waiting = false;
            lock(&self.s.queue).waiting -= 1;
        }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut q = lock(&self.s.queue);
        q.pages.remove(&self.page);
        if self.waiting {
            q.waiting -= 1;
        }
    }
}

/// Checks a run, queues it, and streams its events back as they come.
pub(super) fn run_request(s: &Shared, mut req: Request) {
    if let Some(origin) = req.header("Origin") {
        if !s.origins.iter().any(|o| o == origin) {
            let msg =
                format!("runs are only accepted from pages of this server, not from {origin}");
            return json_error(req, 403, &msg);
        }
    }
    if req.header("Sec-Fetch-Site") == Some("cross-site") {
        return json_error(req, 403, "runs are not accepted from other sites");
    }
    match req.header(TOKEN_HEADER) {
        None => {
            return json_error(
                req,
                403,
                "this run carries no token: only pages served by `cargo xtask serve` can run code",
            )
        }
        Some(t) if !constant_time_eq(t.as_bytes(), s.token.as_bytes()) => {
            return json_error(
                req,
                403,
                "wrong token: the runner was restarted since this page was loaded; reload the page",
            )
        }
        Some(_) => {}
    }
    let cap = s.cfg.body_cap;
    let too_big = format!(
        "the program is too large to run here (the limit is {} KiB)",
        cap / 1024
    );
    let body = match req.body(cap) {
        Ok(Some(b)) => b,
        Ok(None) => return json_error(req, 413, &too_big),
        Err(_) => return json_error(req, 400, "could not read the request body"),
    };
    let run: RunRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return json_error(req, 400, &format!("bad request: {e}")),
    };
    if !valid_slug(&run.slug)
        || !s
            .layout
            .root
            .join("snippets")
            .join(&run.slug)
            .join("Cargo.toml")
            .is_file()
    {
        let msg = format!("there is no snippet crate `snippets/{}`", run.slug);
        return json_error(req, 400, &msg);
    }
    let edition = run.edition.as_deref().unwrap_or("2021");
    if !["2015", "2018", "2021", "2024"].contains(&edition) {
        return json_error(req, 400, &format!("unknown Rust edition `{edition}`"));
    }
    if run.code.trim().is_empty() {
        return json_error(req, 400, "there is no code to run");
    }
    let page = match run.page {
        Some(p) if p.len() <= 64 && !p.is_empty() => p,
        Some(_) => return json_error(req, 400, "bad page id"),
        None => format!("anonymous-{}", s.next_id.fetch_add(1, Ordering::Relaxed)),
    };
    let ahead;
    {
        let mut q = lock(&s.queue);
        if q.pages.contains(&page) {
            drop(q);
            return json_error(
                req,
                409,
                "this page is already running a program: wait for it to end",
            );
        }
        if q.waiting >= s.cfg.queue {
            drop(q);
            return json_error(
                req,
                503,
                "the runner is busy with other runs; try again in a few seconds",
            );
        }
        ahead = q.pages.len();
        q.waiting += 1;
        q.pages.insert(page.clone());
    }
    let mut slot = Slot {
        s,
        page,
        waiting: true,
    };

    let Ok(mut w) = req.stream.try_clone() else {
        return;
    };
    let mut alive = http::write_head(
        &mut w,
        200,
        &[
            ("Content-Type", "application/x-ndjson; charset=utf-8"),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
            ("Transfer-Encoding", "chunked"),
        ],
        None,
    )
    .and_then(|()| w.flush())
    .is_ok();
    let mut send = |line: &str| -> bool {
        if !alive {
            return false;
        }
        let mut data = line.trim_end().as_bytes().to_vec();
        data.push(b'\n');
        alive = write!(w, "{:x}\r\n", data.len())
            .and_then(|()| w.write_all(&data))
            .and_then(|()| w.write_all(b"\r\n"))
            .and_then(|()| w.flush())
            .is_ok();
        alive
    };
    if ahead > 0 {
        send(&Event::Queued { ahead }.line());
    }
    match current_plan(s, &mut send) {
        Ok(plan) => {
            let _job = lock(&s.job);
            slot.started();
            let _machine = machine_lock(&s.layout);
            if let Err(e) = run_code(s, &plan, &run.slug, edition, &run.code, &mut send) {
                send(
                    &Event::Error {
                        message: format!("the runner failed: {e:#}"),
                    }
                    .line(),
                );
            }
        }
        Err(message) => {
            send(&Event::Error { message }.line());
        }
    }
    // Free the page's slot before the client can see the end and send again.
    drop(slot);
    let _ = w.write_all(b"0\r\n\r\n").and_then(|()| w.flush());
    http::close(req);
}
