//! Live reload: a file watcher (notify) on `book/` bumps a version once a
//! rebuild has settled, and `/__rsp/events` tells every open page, as
//! server-sent events (axum's Sse). This replaces `mdbook serve`'s reload.
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use notify::{RecursiveMode, Watcher};
use tokio::sync::{mpsc, watch};

use super::App;

/// Quiet time after the last change before pages reload.
const SETTLE: Duration = Duration::from_millis(300);

pub async fn events(State(app): State<Arc<App>>, h: HeaderMap) -> Response {
    if let Some(origin) = h.get(header::ORIGIN) {
        if !app.origins.iter().any(|o| o == origin) {
            return (StatusCode::FORBIDDEN, "not from this server's pages\n").into_response();
        }
    }
    let mut rx = app.book_version.clone();
    rx.mark_unchanged();
    let first = futures_util::stream::once(async {
        Ok::<Event, Infallible>(Event::default().comment("rsp live reload"))
    });
    let reloads = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.changed().await.ok()?;
        let v = *rx.borrow_and_update();
        Some((
            Ok::<Event, Infallible>(Event::default().event("reload").data(v.to_string())),
            rx,
        ))
    });
    use futures_util::StreamExt;
    Sse::new(first.chain(reloads))
        .keep_alive(
            KeepAlive::new()
                .interval(Duration::from_secs(15))
                .text("ping"),
        )
        .into_response()
}

/// Whether an event is a change (not a read: inotify reports opens too).
pub fn changes(kind: &notify::EventKind) -> bool {
    use notify::event::{AccessKind, AccessMode, EventKind};
    match kind {
        EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_) => true,
        // A file written and closed.
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        _ => false,
    }
}

/// Watches `book` and bumps `version` when a rebuild has settled (and the
/// book has its index page again).
pub fn watch_book(book: PathBuf, version: watch::Sender<u64>) {
    let _ = std::fs::create_dir_all(&book);
    let (tx, mut rx) = mpsc::unbounded_channel::<()>();
    let watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        // Writes only: inotify also reports every read (each page we serve).
        if res.is_ok_and(|e| changes(&e.kind)) {
            let _ = tx.send(());
        }
    });
    let mut watcher = match watcher {
        Ok(w) => w,
        Err(e) => {
            eprintln!("runner: no live reload (cannot watch files: {e})");
            return;
        }
    };
    if let Err(e) = watcher.watch(&book, RecursiveMode::Recursive) {
        eprintln!(
            "runner: no live reload (cannot watch {}: {e})",
            book.display()
        );
        return;
    }
    tokio::spawn(async move {
        let _watcher = watcher;
        while rx.recv().await.is_some() {
            // Wait for the rebuild to go quiet.
            while let Ok(Some(())) = tokio::time::timeout(SETTLE, rx.recv()).await {}
            if book.join("index.html").is_file() {
                version.send_modify(|v| *v += 1);
            }
        }
    });
}
