//! What the serve and fresh benches share: a minimal HTTP GET against the
//! local server, a file edit that is undone however the bench ends, a free
//! port, and a child whose stderr lines can be waited for.
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// `GET path` on 127.0.0.1:port: the status code and the body.
pub fn get(port: u16, path: &str) -> Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let code = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .context("no HTTP status")?;
    // The runner answers with Content-Length; a chunked answer would still
    // contain what we look for.
    Ok((code, body.to_string()))
}

/// Polls until `pred(body)` holds for the page, or `limit` passes.
pub fn wait_for(
    port: u16,
    path: &str,
    limit: Duration,
    pred: impl Fn(&str) -> bool,
) -> Result<Duration> {
    let start = Instant::now();
    loop {
        if let Ok((200, body)) = get(port, path) {
            if pred(&body) {
                return Ok(start.elapsed());
            }
        }
        if start.elapsed() > limit {
            bail!("{path} on port {port} did not show the change within {limit:?}");
        }
        super::nap();
    }
}

pub fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind(("127.0.0.1", 0))?
        .local_addr()?
        .port())
}

/// A file put back as it was when this is dropped.
pub struct Edit {
    path: PathBuf,
    original: String,
}

impl Edit {
    pub fn new(path: &Path) -> Result<Edit> {
        let original =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Ok(Edit {
            path: path.to_path_buf(),
            original,
        })
    }

    pub fn original(&self) -> &str {
        &self.original
    }

    pub fn write(&self, text: &str) -> Result<()> {
        std::fs::write(&self.path, text).with_context(|| format!("writing {}", self.path.display()))
    }
}

impl Drop for Edit {
    fn drop(&mut self) {
        let _ = std::fs::write(&self.path, &self.original);
    }
}

/// The lines a child writes on stderr, echoed with a prefix, for waiting on.
pub struct Lines {
    rx: mpsc::Receiver<String>,
}

impl Lines {
    pub fn of(child: &mut Child, prefix: &'static str) -> Lines {
        let (tx, rx) = mpsc::channel();
        if let Some(err) = child.stderr.take() {
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines().map_while(Result::ok) {
                    eprintln!("{prefix}{line}");
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Lines { rx }
    }

    /// Waits for a line containing one of `needles`; returns it.
    pub fn wait(&self, needles: &[&str], limit: Duration) -> Result<String> {
        let end = Instant::now() + limit;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(l) if needles.iter().any(|n| l.contains(n)) => return Ok(l),
                Ok(_) => {}
                Err(_) => bail!("no line with {needles:?} within {limit:?}"),
            }
        }
    }

    /// Drops what was printed so far.
    pub fn drain(&self) {
        while self.rx.try_recv().is_ok() {}
    }
}
