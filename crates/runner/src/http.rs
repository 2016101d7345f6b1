//! The little HTTP/1.1 the runner needs, on std's TcpListener: one thread
//! per connection, one request per connection (`Connection: close`), the
//! request head parsed by `httparse` (hyper's parser). We tried tiny_http
//! first: its thread pool can leave a new connection queued behind idle
//! keep-alive ones, and Chromium then waited 20 s for a stylesheet. With one
//! request per connection nothing waits behind anything.
use std::io::{self, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

/// The most a request head may take.
const HEAD_CAP: usize = 32 * 1024;

pub struct Request {
    pub method: String,
    /// The request target as sent, e.g. `/processes/zombie.html?x`.
    pub target: String,
    pub headers: Vec<(String, String)>,
    /// Declared by Content-Length (chunked request bodies are refused).
    pub body_len: usize,
    /// What follows the head: the body, then nothing (one request per connection).
    body: io::Chain<io::Cursor<Vec<u8>>, BufReader<TcpStream>>,
    pub stream: TcpStream,
}

pub enum ReadError {
    /// Not HTTP, or a head we do not take: answer 400 with this.
    Bad(&'static str),
    Io(io::Error),
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The path part of the target.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("/")
    }

    /// The body, if it is at most `cap` bytes (`None`: larger).
    pub fn body(&mut self, cap: usize) -> io::Result<Option<Vec<u8>>> {
        if self.body_len > cap {
            return Ok(None);
        }
        let mut buf = vec![0; self.body_len];
        self.body.read_exact(&mut buf)?;
        Ok(Some(buf))
    }
}

/// Reads one request head from a new connection.
pub fn read_request(stream: TcpStream) -> Result<Request, ReadError> {
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(ReadError::Io)?;
    let mut reader = BufReader::new(stream.try_clone().map_err(ReadError::Io)?);
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 4096];
    loop {
        let n = reader.read(&mut buf).map_err(ReadError::Io)?;
        if n == 0 {
            return Err(ReadError::Io(io::ErrorKind::UnexpectedEof.into()));
        }
        head.extend_from_slice(&buf[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(&head) {
            Ok(httparse::Status::Complete(used)) => {
                let headers: Vec<(String, String)> = req
                    .headers
                    .iter()
                    .map(|h| {
                        (
                            h.name.to_string(),
                            String::from_utf8_lossy(h.value).into_owned(),
                        )
                    })
                    .collect();
                let get = |name: &str| {
                    headers
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(name))
                        .map(|(_, v)| v.trim().to_string())
                };
                if get("Transfer-Encoding").is_some() {
                    return Err(ReadError::Bad("chunked request bodies are not accepted"));
                }
                let body_len = match get("Content-Length") {
                    None => 0,
                    Some(v) => v
                        .parse()
                        .map_err(|_| ReadError::Bad("bad Content-Length"))?,
                };
                let method = req.method.unwrap_or("GET").to_string();
                let target = req.path.unwrap_or("/").to_string();
                let rest = head[used..].to_vec();
                return Ok(Request {
                    method,
                    target,
                    headers,
                    body_len,
                    body: io::Cursor::new(rest).chain(reader),
                    stream,
                });
            }
            Ok(httparse::Status::Partial) if head.len() < HEAD_CAP => continue,
            Ok(httparse::Status::Partial) => return Err(ReadError::Bad("request head too large")),
            Err(_) => return Err(ReadError::Bad("not an HTTP request")),
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Payload Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// The status line and headers; `length` None means the body runs to the
/// end of the connection (streams).
pub fn write_head(
    w: &mut impl Write,
    status: u16,
    headers: &[(&str, &str)],
    length: Option<usize>,
) -> io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\nConnection: close\r\n",
        reason(status)
    );
    if let Some(n) = length {
        head.push_str(&format!("Content-Length: {n}\r\n"));
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    w.write_all(head.as_bytes())
}

/// A whole response, then the connection is closed.
pub fn respond(req: Request, status: u16, headers: &[(&str, &str)], body: &[u8]) {
    let mut s = &req.stream;
    let head_only = req.method == "HEAD";
    let ok = write_head(&mut s, status, headers, Some(body.len()))
        .and_then(|()| if head_only { Ok(()) } else { s.write_all(body) })
        .and_then(|()| s.flush());
    if ok.is_ok() {
        close(req);
    }
}

/// Closes after the response is sent. A body we did not read (a refused
/// upload) is read and dropped first, a little of it at most: closing with
/// unread data makes the kernel send a reset, and the client could lose
/// our answer.
pub fn close(mut req: Request) {
    let _ = req.stream.shutdown(Shutdown::Write);
    let _ = req
        .stream
        .set_read_timeout(Some(Duration::from_millis(500)));
    let mut sink = [0u8; 16 * 1024];
    let mut left: usize = 4 << 20;
    let until = std::time::Instant::now() + Duration::from_secs(2);
    while left > 0 && std::time::Instant::now() < until {
        match req.body.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => left = left.saturating_sub(n),
        }
    }
}
