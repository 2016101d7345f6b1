//! A run request becomes a validated [`Job`], or a refusal with a sentence
//! the page shows: it must come from one of our pages (Origin, Sec-Fetch-Site),
//! carry this start's token in `X-RSP-Token` (a cookie is not enough for a
//! run), and have a JSON body `{slug, code, page, edition}` of a known size
//! (Content-Length, at most `body_cap`), naming a snippet crate we have.
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::prepare::valid_slug;
use crate::server::{auth, App, TOKEN_HEADER};

/// A run as the stages see it.
#[derive(Debug, Clone)]
pub struct Job {
    pub slug: String,
    pub edition: String,
    pub code: String,
    /// A random id per page load: one run at a time per page.
    pub page: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body_ {
    slug: String,
    code: String,
    #[serde(default)]
    edition: Option<String>,
    #[serde(default)]
    page: Option<String>,
}

/// A refused request: status and the page's sentence, as `{"error": ...}`.
#[derive(Debug)]
pub struct Refusal {
    pub status: StatusCode,
    pub message: String,
}

pub fn refuse(status: StatusCode, message: impl Into<String>) -> Refusal {
    Refusal {
        status,
        message: message.into(),
    }
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

fn origin_and_token(app: &App, h: &HeaderMap) -> Result<(), Refusal> {
    if let Some(origin) = h.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("?");
        if !app.origins.iter().any(|o| o == origin) {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                format!("runs are only accepted from pages of this server, not from {origin}"),
            ));
        }
    }
    if h.get("sec-fetch-site").is_some_and(|v| v == "cross-site") {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "runs are not accepted from other sites",
        ));
    }
    match h.get(TOKEN_HEADER) {
        None => Err(refuse(
            StatusCode::FORBIDDEN,
            "this run carries no token: only pages served by `cargo xtask serve` can run code",
        )),
        Some(t) if !auth::token_matches(app, t.as_bytes()) => Err(refuse(
            StatusCode::FORBIDDEN,
            "wrong token: the runner was restarted since this page was loaded; reload the page",
        )),
        Some(_) => Ok(()),
    }
}

/// Checks a run request and reads its body into a job.
pub async fn read(app: &App, req: Request) -> Result<Job, Refusal> {
    let h = req.headers();
    origin_and_token(app, h)?;
    if h.contains_key(header::TRANSFER_ENCODING) {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "send the program with a Content-Length (chunked bodies are not accepted)",
        ));
    }
    let cap = app.cfg.body_cap;
    let too_big = || {
        refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the program is too large to run here (the limit is {} KiB)",
                cap / 1024
            ),
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
    let run: Body_ = serde_json::from_slice(&bytes)
        .map_err(|e| refuse(StatusCode::BAD_REQUEST, format!("bad request: {e}")))?;
    if !valid_slug(&run.slug) || !app.layout.slugs().contains(&run.slug) {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            format!("there is no snippet crate `snippets/{}`", run.slug),
        ));
    }
    let edition = run.edition.unwrap_or_else(|| "2021".into());
    if !["2015", "2018", "2021", "2024"].contains(&edition.as_str()) {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            format!("unknown Rust edition `{edition}`"),
        ));
    }
    if run.code.trim().is_empty() {
        return Err(refuse(StatusCode::BAD_REQUEST, "there is no code to run"));
    }
    let page = match run.page {
        Some(p) if !p.is_empty() && p.len() <= 64 => p,
        Some(_) => return Err(refuse(StatusCode::BAD_REQUEST, "bad page id")),
        None => format!("anonymous-{}", app.next_id()),
    };
    Ok(Job {
        slug: run.slug,
        edition,
        code: run.code,
        page,
    })
}
