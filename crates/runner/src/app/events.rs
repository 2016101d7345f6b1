//! Live reload: when `cargo xtask serve` has republished the book it writes
//! `reload` on the runner's stdin, and `/__rsp/events` tells every open
//! page, as server-sent events (axum's Sse). At most `MAX_STREAMS` streams
//! are open at once: a new one ends the oldest (a page's EventSource
//! reconnects by itself), so open streams never hold every connection.
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

pub const MAX_STREAMS: usize = 32;

pub struct Streams {
    /// `http://127.0.0.1:PORT` and `http://localhost:PORT`.
    pub origins: [String; 2],
    version: watch::Sender<u64>,
    /// The newest streams' ends (those of streams already closed too:
    /// cancelling them does nothing).
    open: Mutex<VecDeque<CancellationToken>>,
}

impl Streams {
    pub fn new(origins: [String; 2]) -> Streams {
        Streams { origins, version: watch::channel(0).0, open: Mutex::default() }
    }

    /// Tells every open page to reload.
    pub fn reload(&self) {
        self.version.send_modify(|v| *v += 1);
    }
}

pub async fn events(State(streams): State<Arc<Streams>>, h: HeaderMap) -> Response {
    if let Some(origin) = h.get(header::ORIGIN) {
        if !streams.origins.iter().any(|o| o == origin) {
            return (StatusCode::FORBIDDEN, "not from this server's pages\n").into_response();
        }
    }
    let end = CancellationToken::new();
    {
        let mut open = streams.open.lock().unwrap_or_else(|p| p.into_inner());
        open.push_back(end.clone());
        while open.len() > MAX_STREAMS {
            open.pop_front().inspect(CancellationToken::cancel);
        }
    }
    let mut rx = streams.version.subscribe();
    rx.mark_unchanged();
    let first = futures_util::stream::once(async {
        Ok::<Event, Infallible>(Event::default().comment("rsp live reload"))
    });
    let reloads = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.changed().await.ok()?;
        let v = *rx.borrow_and_update();
        let e = Event::default().event("reload").data(v.to_string());
        Some((Ok::<Event, Infallible>(e), rx))
    });
    Sse::new(first.chain(reloads).take_until(end.cancelled_owned()))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)).text("ping"))
        .into_response()
}
