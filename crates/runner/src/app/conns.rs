//! Connections: each one a task running hyper's HTTP/1 server (as axum's
//! serve-with-hyper example does; axum::serve has neither a header-read
//! timeout nor a connection cap), so none waits behind another. hyper
//! answers malformed requests itself: 400, or 431 for a head over
//! `HEAD_CAP` or with more than `MAX_HEADERS` headers. Limits, none of which
//! an unauthenticated client can use to lock pages out:
//! - a request head must arrive within `HEADER_TIMEOUT`, which is also how
//!   long a kept-alive connection may sit idle;
//! - at most `MAX_CONNECTIONS` at once; when a new one would pass that, the
//!   connection idle the longest (no request in flight) is closed to make
//!   room, so a flood of idle connections only evicts itself (a run's or
//!   an event stream's connection is never idle: `events.rs` caps those);
//! - a write that makes no progress for `WRITE_TIMEOUT` closes the
//!   connection (a client that stopped reading).
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::Router;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::time::Sleep;
use tower::ServiceExt;

pub const MAX_CONNECTIONS: usize = 256;
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// The request line and headers together.
pub const HEAD_CAP: usize = 16 * 1024;
pub const MAX_HEADERS: usize = 64;

/// One open connection, as the cap sees it.
struct Conn {
    /// Requests whose response is still being sent.
    active: AtomicUsize,
    /// When it last became idle.
    idle_since: Mutex<Instant>,
    close: Notify,
}

#[derive(Default)]
struct Table {
    next: u64,
    open: HashMap<u64, Arc<Conn>>,
}

impl Table {
    /// Makes room for one more: closes the longest-idle connection. False
    /// when every connection is busy.
    fn make_room(&mut self) -> bool {
        if self.open.len() < MAX_CONNECTIONS {
            return true;
        }
        let victim = self
            .open
            .iter()
            .filter(|(_, c)| c.active.load(Ordering::SeqCst) == 0)
            .min_by_key(|(_, c)| *c.idle_since.lock().unwrap_or_else(|p| p.into_inner()))
            .map(|(id, _)| *id);
        match victim.and_then(|id| self.open.remove(&id)) {
            Some(c) => {
                c.close.notify_one();
                true
            }
            None => false,
        }
    }
}

/// Counts a request as in flight until its response body is dropped.
struct Busy(Arc<Conn>);

impl Busy {
    fn new(c: &Arc<Conn>) -> Busy {
        c.active.fetch_add(1, Ordering::SeqCst);
        Busy(Arc::clone(c))
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        *self.0.idle_since.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
        self.0.active.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A response body that keeps its connection busy while it lives.
struct Tracked {
    inner: Body,
    _busy: Busy,
}

impl hyper::body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A stream whose writes fail after `WRITE_TIMEOUT` without progress.
struct WriteTimeout {
    io: TcpStream,
    stalled: Option<Pin<Box<Sleep>>>,
}

impl WriteTimeout {
    fn check<T>(&mut self, cx: &mut Context<'_>, r: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        match r {
            Poll::Ready(r) => {
                self.stalled = None;
                Poll::Ready(r)
            }
            Poll::Pending => {
                let sleep =
                    self.stalled.get_or_insert_with(|| Box::pin(tokio::time::sleep(WRITE_TIMEOUT)));
                match sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(io::ErrorKind::TimedOut.into())),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl AsyncRead for WriteTimeout {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl AsyncWrite for WriteTimeout {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        let r = Pin::new(&mut me.io).poll_write(cx, buf);
        me.check(cx, r)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let me = self.get_mut();
        let r = Pin::new(&mut me.io).poll_flush(cx);
        me.check(cx, r)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// Accepts and serves connections until `shutdown` resolves.
pub async fn serve(listener: TcpListener, router: Router, shutdown: impl Future<Output = ()>) {
    let table = Arc::new(Mutex::new(Table::default()));
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((s, _)) => s,
                // Out of file descriptors, say: let some connections end.
                Err(_) => { tokio::time::sleep(Duration::from_millis(50)).await; continue; }
            },
            _ = &mut shutdown => return,
        };
        let conn = Arc::new(Conn {
            active: AtomicUsize::new(0),
            idle_since: Mutex::new(Instant::now()),
            close: Notify::new(),
        });
        let id = {
            let mut t = table.lock().unwrap_or_else(|p| p.into_inner());
            if !t.make_room() {
                continue; // every connection busy: drop this one
            }
            t.next += 1;
            let id = t.next;
            t.open.insert(id, Arc::clone(&conn));
            id
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let table = Arc::clone(&table);
        tokio::spawn(async move {
            let c = Arc::clone(&conn);
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let busy = Busy::new(&c);
                let router = router.clone();
                async move {
                    let resp = router.oneshot(req.map(Body::new)).await?;
                    Ok::<_, std::convert::Infallible>(
                        resp.map(|inner| Tracked { inner, _busy: busy }),
                    )
                }
            });
            let io = TokioIo::new(WriteTimeout { io: stream, stalled: None });
            let served = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .max_buf_size(HEAD_CAP.max(8192))
                .max_headers(MAX_HEADERS)
                .serve_connection(io, service);
            tokio::select! {
                _ = served => {}
                _ = conn.close.notified() => {}
            }
            table.lock().unwrap_or_else(|p| p.into_inner()).open.remove(&id);
        });
    }
}
