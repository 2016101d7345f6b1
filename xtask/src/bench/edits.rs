//! What the serve and fresh benches share: GETs against the served book
//! with the runner's token, a file edit that is undone however the bench ends, a free
//! port, and a child whose stderr lines can be waited for.
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use runner_client::client::Client;

/// The served book as a page sees it: the runner's own client, with the
/// token from the link `runner serve` prints first (pages are locked
/// without it).
pub struct Served {
    client: Client,
}

impl Served {
    /// Waits for the runner's link on `child`'s stdout (which must be
    /// piped), then keeps reading it so that the child never blocks on it.
    pub fn from_link(child: &mut Child, limit: Duration) -> Result<Served> {
        let out = child
            .stdout
            .take()
            .context("the server's stdout is not piped")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if let (Some(found), Some(tx)) =
                    (runner_client::client::parse_first_line(&line), tx.take())
                {
                    let _ = tx.send(found);
                }
            }
        });
        let (port, token) = rx
            .recv_timeout(limit)
            .with_context(|| format!("the runner printed no link within {limit:?}"))?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        Ok(Served {
            client: Client::new(addr).with_token(&token),
        })
    }

    /// `GET path`: the status code and the body.
    pub fn get(&self, path: &str) -> Result<(u16, String)> {
        let reply = self.client.request("GET", path, &[], b"")?;
        Ok((reply.status, reply.text()))
    }

    /// Polls until `pred(body)` holds for the page, or `limit` passes.
    pub fn wait_for(
        &self,
        path: &str,
        limit: Duration,
        pred: impl Fn(&str) -> bool,
    ) -> Result<Duration> {
        let start = Instant::now();
        loop {
            if let Ok((200, body)) = self.get(path) {
                if pred(&body) {
                    return Ok(start.elapsed());
                }
            }
            if start.elapsed() > limit {
                bail!("{path} did not show the change within {limit:?}");
            }
            super::nap();
        }
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
