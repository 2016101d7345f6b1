//! The answer to a run: events as NDJSON lines (`wire.rs`), streamed as
//! they happen. The stages write into a bounded channel; the response body
//! reads it. When the client goes (its connection closes, hyper drops the
//! body) or the server stops, every stage sees `closed()` and ends its
//! sandbox; when the client stays but stops reading, a send that waits
//! longer than `STALL` ends the run: nobody waits on a reader that does
//! not read.
use std::convert::Infallible;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::job::line;
use crate::wire::Event;

/// Events a run may have waiting for its reader.
const CAPACITY: usize = 256;
/// How long a send may wait for the reader before the run is ended.
pub const STALL: Duration = Duration::from_secs(1);

/// Why a run cannot go on sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gone {
    /// The connection closed (the page was closed or reloaded).
    Left,
    /// The client stopped reading for longer than `STALL`.
    NotReading,
}

/// The stages' end of a run's answer.
pub struct Events {
    tx: mpsc::Sender<Bytes>,
    /// Cancelled when the server stops: every run ends as if its client left.
    stop: CancellationToken,
}

impl Events {
    /// Sends one event, waiting at most `STALL` for room.
    pub async fn send(&self, e: &Event) -> Result<(), Gone> {
        if self.stop.is_cancelled() {
            return Err(Gone::Left);
        }
        match tokio::time::timeout(STALL, self.tx.send(Bytes::from(line(e)))).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Gone::Left),
            Err(_) => Err(Gone::NotReading),
        }
    }

    /// Sends without waiting: for the last words of a run that ends.
    pub fn try_send(&self, e: &Event) {
        let _ = self.tx.try_send(Bytes::from(line(e)));
    }

    /// Resolves when the client is gone or the server stops.
    pub async fn closed(&self) {
        tokio::select! {
            _ = self.tx.closed() => {}
            _ = self.stop.cancelled() => {}
        }
    }
}

/// A run's event channel and the response that streams it.
pub fn channel(stop: CancellationToken) -> (Events, Response) {
    let (tx, rx) = mpsc::channel::<Bytes>(CAPACITY);
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        let line = rx.recv().await?;
        Some((Ok::<Bytes, Infallible>(line), rx))
    });
    let response = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/x-ndjson; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Body::from_stream(stream),
    )
        .into_response();
    (Events { tx, stop }, response)
}
