//! A small HTTP/1.1 client for the runner's own tests and bench: it talks to
//! the server the way a page does (token read from a served page, a run
//! streamed back as chunked NDJSON), and times each event as it arrives.
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::events::Event;
use crate::server::{RUN_PATH, TOKEN_HEADER, TOKEN_META};

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One event of a run and when it arrived, counted from the request.
pub struct Timed {
    pub event: Event,
    pub at: Duration,
}

pub struct Client {
    pub addr: SocketAddr,
    /// The Host header sent (default `127.0.0.1:PORT`).
    pub host: String,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Client {
        Client {
            host: format!("127.0.0.1:{}", addr.port()),
            addr,
        }
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<BufReader<TcpStream>> {
        let mut s = TcpStream::connect(self.addr).context("connecting to the runner")?;
        s.set_read_timeout(Some(Duration::from_secs(120)))?;
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.host,
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        s.write_all(head.as_bytes())?;
        // A server may answer (413) before reading a large body and close.
        let _ = s.write_all(body);
        Ok(BufReader::new(s))
    }

    /// A whole request and response.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Reply> {
        let mut r = self.send(method, path, headers, body)?;
        let (status, headers) = read_head(&mut r)?;
        let body = read_body(&mut r, &headers)?;
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    /// The token from the meta tag of the page at `/`.
    pub fn token(&self) -> Result<String> {
        let page = self.request("GET", "/", &[], b"")?.text();
        let key = format!("<meta name=\"{TOKEN_META}\" content=\"");
        let at = page.find(&key).context("no runner token in the page")? + key.len();
        let end = page[at..].find('"').context("unterminated token")?;
        Ok(page[at..at + end].to_string())
    }

    /// A run: the status, and the events as they came (empty unless 200).
    /// `body` is the JSON request; on a status other than 200 the error text
    /// is returned in `Err`'s place as `Ok((status, [Error]))`.
    pub fn run(
        &self,
        token: Option<&str>,
        origin: Option<&str>,
        body: &str,
    ) -> Result<(u16, Vec<Timed>)> {
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(t) = token {
            headers.push((TOKEN_HEADER, t));
        }
        if let Some(o) = origin {
            headers.push(("Origin", o));
        }
        let start = Instant::now();
        let mut r = self.send("POST", RUN_PATH, &headers, body.as_bytes())?;
        let (status, head) = read_head(&mut r)?;
        if status != 200 {
            let body = read_body(&mut r, &head)?;
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let message = v["error"].as_str().unwrap_or("").to_string();
            return Ok((
                status,
                vec![Timed {
                    event: Event::Error { message },
                    at: start.elapsed(),
                }],
            ));
        }
        let mut events = Vec::new();
        let mut line = Vec::new();
        while let Some(chunk) = read_chunk(&mut r)? {
            for b in chunk {
                if b == b'\n' {
                    let event = serde_json::from_slice(&line).with_context(|| {
                        format!("bad event line {}", String::from_utf8_lossy(&line))
                    })?;
                    events.push(Timed {
                        event,
                        at: start.elapsed(),
                    });
                    line.clear();
                } else {
                    line.push(b);
                }
            }
        }
        Ok((status, events))
    }
}

/// The JSON body of a run request.
pub fn run_body(slug: &str, code: &str, page: &str) -> String {
    serde_json::json!({ "slug": slug, "code": code, "edition": "2021", "page": page }).to_string()
}

fn read_head(r: &mut impl BufRead) -> Result<(u16, Vec<(String, String)>)> {
    let mut line = String::new();
    r.read_line(&mut line)?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("bad status line {line:?}"))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            bail!("the connection closed in the headers");
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    Ok((status, headers))
}

fn is_chunked(headers: &[(String, String)]) -> bool {
    headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"))
}

/// The rest of a response body, chunked or read to the end.
fn read_body(r: &mut impl BufRead, headers: &[(String, String)]) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    if is_chunked(headers) {
        while let Some(chunk) = read_chunk(r)? {
            body.extend(chunk);
        }
    } else {
        r.read_to_end(&mut body)?;
    }
    Ok(body)
}

fn read_chunk(r: &mut impl BufRead) -> Result<Option<Vec<u8>>> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
        .with_context(|| format!("bad chunk size {line:?}"))?;
    if size == 0 {
        return Ok(None);
    }
    let mut buf = vec![0; size + 2];
    r.read_exact(&mut buf)?;
    buf.truncate(size);
    Ok(Some(buf))
}
