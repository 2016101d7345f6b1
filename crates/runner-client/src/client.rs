//! The runner's tests and bench talk to it through this client, the way
//! a page does: the token in `X-RSP-Token` (as the page's script sends it),
//! a run streamed back as NDJSON and timed event by event. It is hyper's
//! client (hyper-util), driven by a small runtime of its own so that tests
//! can stay plain functions.
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use runner::app::RUN_PATH;
use runner::run::request::TOKEN_HEADER;
use runner::Event;

pub struct Reply {
    pub status: u16,
    /// Names in lowercase.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One event of a run and when it arrived, counted from the request.
#[derive(Debug, Clone)]
pub struct Timed {
    pub event: Event,
    pub at: Duration,
}

pub struct Client {
    pub addr: SocketAddr,
    /// The Host header sent (default `127.0.0.1:PORT`).
    pub host: String,
    /// Sent as `X-RSP-Token` on page requests (runs take theirs apiece).
    pub token: Option<String>,
    rt: tokio::runtime::Runtime,
    http: hyper_util::client::legacy::Client<HttpConnector, Full<Bytes>>,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Client {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("a tokio runtime for the client: {e}"));
        let http = {
            let _in = rt.enter();
            hyper_util::client::legacy::Client::builder(TokioExecutor::new())
                .pool_max_idle_per_host(0)
                .build_http()
        };
        Client {
            host: format!("127.0.0.1:{}", addr.port()),
            addr,
            token: None,
            rt,
            http,
        }
    }

    /// The same client, sending page requests with `token`.
    pub fn with_token(mut self, token: &str) -> Client {
        self.token = Some(token.to_string());
        self
    }

    fn build(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<hyper::Request<Full<Bytes>>> {
        let mut b = hyper::Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr))
            .header("host", &self.host);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        Ok(b.body(Full::new(Bytes::copy_from_slice(body)))?)
    }

    /// A whole request and response. Page requests carry `self.token`.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Reply> {
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        if let Some(t) = &self.token {
            all.push((TOKEN_HEADER, t));
        }
        let req = self.build(method, path, &all, body)?;
        self.rt.block_on(async {
            let resp = tokio::time::timeout(Duration::from_secs(120), self.http.request(req))
                .await
                .context("no answer in 120 s")?
                .context("talking to the runner")?;
            let status = resp.status().as_u16();
            let headers = resp
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let body = resp.into_body().collect().await?.to_bytes().to_vec();
            Ok(Reply {
                status,
                headers,
                body,
            })
        })
    }

    /// A run: the status, and the events as they came. On a status other
    /// than 200 the refusal's sentence comes back as one Error event.
    pub fn run(
        &self,
        token: Option<&str>,
        origin: Option<&str>,
        body: &str,
    ) -> Result<(u16, Vec<Timed>)> {
        self.events(RUN_PATH, token, origin, body)
    }

    fn events(
        &self,
        path: &str,
        token: Option<&str>,
        origin: Option<&str>,
        body: &str,
    ) -> Result<(u16, Vec<Timed>)> {
        let mut headers = vec![("content-type", "application/json")];
        if let Some(t) = token {
            headers.push((TOKEN_HEADER, t));
        }
        if let Some(o) = origin {
            headers.push(("origin", o));
        }
        let req = self.build("POST", path, &headers, body.as_bytes())?;
        self.rt.block_on(async {
            let start = Instant::now();
            let resp = self.http.request(req).await.context("sending the run")?;
            let status = resp.status().as_u16();
            let mut body = resp.into_body();
            if status != 200 {
                let bytes = body.collect().await?.to_bytes();
                let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
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
            while let Some(frame) = tokio::time::timeout(Duration::from_secs(120), body.frame())
                .await
                .context("the run sent nothing for 120 s")?
            {
                let Ok(data) = frame?.into_data() else {
                    continue;
                };
                for &b in data.iter() {
                    if b != b'\n' {
                        line.push(b);
                        continue;
                    }
                    if !line.is_empty() {
                        let event = serde_json::from_slice(&line).with_context(|| {
                            format!("bad event line {}", String::from_utf8_lossy(&line))
                        })?;
                        events.push(Timed {
                            event,
                            at: start.elapsed(),
                        });
                    }
                    line.clear();
                }
            }
            Ok((status, events))
        })
    }
}

/// The JSON body of a run request.
pub fn run_body(slug: &str, code: &str, page: &str) -> String {
    serde_json::json!({ "slug": slug, "code": code, "edition": "2021", "page": page }).to_string()
}

/// Reads the port and the token from `runner serve`'s first line.
pub fn parse_first_line(line: &str) -> Option<(u16, String)> {
    let rest = line.split("http://127.0.0.1:").nth(1)?;
    let (port, rest) = rest.split_once('/')?;
    let token = rest
        .strip_prefix("?token=")?
        .split(|c: char| !c.is_ascii_hexdigit())
        .next()?;
    Some((port.parse().ok()?, token.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_line_gives_port_and_token() {
        let line = "runner: serving /b with edit-and-run on http://127.0.0.1:4321/?token=ab12 (open this link; Ctrl-C to stop)";
        assert_eq!(parse_first_line(line), Some((4321, "ab12".into())));
        assert_eq!(parse_first_line("nothing"), None);
    }
}
