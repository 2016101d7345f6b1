//! A run request becomes a validated [`Job`], or a refusal with a sentence
//! the page shows: it must come from one of our pages (Origin, Sec-Fetch-Site),
//! carry this start's token in `X-RSP-Token` (a cookie is not enough for a
//! run), and have a JSON body `{slug, code, page, edition, lang, file,
//! chapter, trace}` of a known size (Content-Length, at most `body_cap`), naming a
//! snippet crate we have (and for Python, one of its programs).
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::prepare::{valid_slug, Layout};
use crate::wire::{Job, Lang};

pub const TOKEN_HEADER: &str = "X-RSP-Token";

/// What a request that takes code must show.
#[derive(Clone)]
pub struct Gate {
    /// This start's token.
    pub token: String,
    /// `http://127.0.0.1:PORT` and `http://localhost:PORT`.
    pub origins: [String; 2],
    pub body_cap: usize,
}

impl Gate {
    /// Compares without telling, through the time taken, how much was right.
    pub fn token_matches(&self, given: &[u8]) -> bool {
        given.ct_eq(self.token.as_bytes()).into()
    }
}

/// A Python program's name as the page may send it: `subprocess_wait`.
pub fn valid_python_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// A chapter as the page may send it: `processes/zombie.md`.
pub fn valid_chapter(s: &str) -> bool {
    s.len() <= 200
        && s.ends_with(".md")
        && s.split('/').all(|part| {
            !part.is_empty()
                && !part.starts_with('.')
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        })
}

/// A run's (or a download's) JSON body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunBody {
    slug: String,
    code: String,
    edition: Option<String>,
    page: Option<String>,
    /// `rust` (the default) or `python`.
    lang: Option<String>,
    /// For Python: the program's name in `snippets/<slug>/python/`.
    file: Option<String>,
    chapter: Option<String>,
    trace: Option<bool>,
}

/// A refused request: status and the page's sentence, as `{"error": ...}`.
#[derive(Debug)]
pub struct Refusal {
    pub status: StatusCode,
    pub message: String,
}

pub fn refuse(status: StatusCode, message: impl Into<String>) -> Refusal {
    Refusal { status, message: message.into() }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (
            self.status,
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(serde_json::json!({ "error": self.message })),
        )
            .into_response()
    }
}

/// How long the body of a run may take to arrive.
const BODY_TIMEOUT: Duration = Duration::from_secs(10);

fn origin_and_token(gate: &Gate, h: &HeaderMap) -> Result<(), Refusal> {
    if let Some(origin) = h.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("?");
        if !gate.origins.iter().any(|o| o == origin) {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                format!("runs are only accepted from pages of this server, not from {origin}"),
            ));
        }
    }
    if h.get("sec-fetch-site").is_some_and(|v| v == "cross-site") {
        return Err(refuse(StatusCode::FORBIDDEN, "runs are not accepted from other sites"));
    }
    match h.get(TOKEN_HEADER) {
        None => Err(refuse(
            StatusCode::FORBIDDEN,
            "this run carries no token: only pages served by `cargo xtask serve` can run code",
        )),
        Some(t) if !gate.token_matches(t.as_bytes()) => Err(refuse(
            StatusCode::FORBIDDEN,
            "wrong token: the runner was restarted since this page was loaded; reload the page",
        )),
        Some(_) => Ok(()),
    }
}

/// The checks every endpoint that takes code makes (runs, downloads):
/// origin and token, then a JSON body of a known, bounded size.
pub async fn read_body(gate: &Gate, req: Request) -> Result<RunBody, Refusal> {
    let h = req.headers();
    origin_and_token(gate, h)?;
    if h.contains_key(header::TRANSFER_ENCODING) {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "send the program with a Content-Length (chunked bodies are not accepted)",
        ));
    }
    let cap = gate.body_cap;
    let too_big = || {
        refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the program is too large to run here (the limit is {} KiB)", cap / 1024),
        )
    };
    let len: usize = match h.get(header::CONTENT_LENGTH) {
        None => {
            return Err(refuse(
                StatusCode::LENGTH_REQUIRED,
                "send the program with a Content-Length",
            ))
        }
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| refuse(StatusCode::BAD_REQUEST, "bad Content-Length"))?,
    };
    if len > cap {
        return Err(too_big());
    }
    let body: Body = req.into_body();
    let bytes = match tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, cap)).await {
        Err(_) => {
            return Err(refuse(
                StatusCode::REQUEST_TIMEOUT,
                "the request body did not arrive in time",
            ))
        }
        Ok(Err(_)) => return Err(too_big()),
        Ok(Ok(b)) => b,
    };
    serde_json::from_slice(&bytes)
        .map_err(|e| refuse(StatusCode::BAD_REQUEST, format!("bad request: {e}")))
}

/// Checks a run request's body and makes it a job (`anonymous`: the page
/// id of a request that sends none).
pub fn job(run: RunBody, l: &Layout, anonymous: impl FnOnce() -> String) -> Result<Job, Refusal> {
    if !valid_slug(&run.slug) || !l.slugs().contains(&run.slug) {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            format!("there is no snippet crate `snippets/{}`", run.slug),
        ));
    }
    let edition = run.edition.unwrap_or_else(|| "2021".into());
    if !["2015", "2018", "2021", "2024"].contains(&edition.as_str()) {
        return Err(refuse(StatusCode::BAD_REQUEST, format!("unknown Rust edition `{edition}`")));
    }
    if run.code.trim().is_empty() {
        return Err(refuse(StatusCode::BAD_REQUEST, "there is no code to run"));
    }
    let page = match run.page {
        Some(p) if !p.is_empty() && p.len() <= 64 => p,
        Some(_) => return Err(refuse(StatusCode::BAD_REQUEST, "bad page id")),
        None => anonymous(),
    };
    let lang = match (run.lang.as_deref().unwrap_or("rust"), run.file) {
        ("rust", None) => Lang::Rust,
        ("python", Some(name)) if valid_python_name(&name) => {
            let file = format!("snippets/{}/python/{name}.py", run.slug);
            if !l.root.join(&file).is_file() {
                return Err(refuse(
                    StatusCode::BAD_REQUEST,
                    format!("there is no Python program `{file}`"),
                ));
            }
            Lang::Python { name }
        }
        ("python", _) => {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "a Python run names its program (`file`: the name in snippets/<slug>/python/)",
            ))
        }
        (other, _) => {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                format!("unknown language `{other}` (rust or python)"),
            ))
        }
    };
    let chapter = match run.chapter {
        Some(c) if valid_chapter(&c) => Some(c),
        Some(_) => return Err(refuse(StatusCode::BAD_REQUEST, "bad chapter")),
        None => None,
    };
    let trace = run.trace.unwrap_or(false);
    Ok(Job { slug: run.slug, edition, code: run.code, page, lang, chapter, trace })
}
