//! The book's files from `book/`, served by tower-http's ServeDir (paths
//! kept inside the folder, content types, ranges, conditional requests) with
//! the book's 404 page. Every HTML page gets the run token and the snippet
//! list in its `<head>` as it is sent (`theme/rsp-run.js` reads them), and is
//! never cached: only a browser that passed `auth.rs` ever sees one.
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use crate::prepare::Layout;

pub const TOKEN_META: &str = "rsp-runner-token";

/// The largest page we add the token to (print.html is the biggest).
const HTML_CAP: usize = 64 << 20;

type Dir = ServeDir<tower_http::set_status::SetStatus<ServeFile>>;

/// The book's folder, its files' service, and what pages get.
pub struct Files {
    dir: Dir,
    pub book: PathBuf,
    pub token: String,
    /// Where the snippet list comes from.
    pub layout: Layout,
}

impl Files {
    pub fn new(book: PathBuf, token: String, layout: Layout) -> Files {
        let dir = ServeDir::new(&book)
            .append_index_html_on_directories(true)
            .not_found_service(ServeFile::new(book.join("404.html")));
        Files { dir, book, token, layout }
    }
}

/// Adds the runner's token and the snippet list to a page's head.
fn inject(html: &str, token: &str, slugs: &[String]) -> String {
    let meta = format!(
        "<meta name=\"{TOKEN_META}\" content=\"{token}\"><meta name=\"rsp-runner-slugs\" content=\"{}\">",
        slugs.join(" ")
    );
    match html.contains("<head>") {
        true => html.replacen("<head>", &format!("<head>{meta}"), 1),
        false => format!("{meta}{html}"),
    }
}

pub async fn serve(State(app): State<Arc<Files>>, req: Request) -> Response {
    if !(req.method() == Method::GET || req.method() == Method::HEAD) {
        return (StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n").into_response();
    }
    let head = req.method() == Method::HEAD;
    let edition_404 = edition_not_found(&app.book, req.uri().path());
    let Ok(resp) = app.dir.clone().oneshot(req).await.map_err(|e: Infallible| e);
    let status = resp.status();
    let html = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    if status == StatusCode::NOT_FOUND && !html {
        return (
            StatusCode::NOT_FOUND,
            format!(
                "not found; is the book built in {}? (cargo xtask build)\n",
                app.book.display()
            ),
        )
            .into_response();
    }
    let (mut parts, body) = resp.into_parts();
    if !html || !(status.is_success() || status == StatusCode::NOT_FOUND) {
        parts.headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        return Response::from_parts(parts, Body::new(body));
    }
    // A page: the token goes in, and the page is never stored anywhere.
    for h in [header::ETAG, header::LAST_MODIFIED, header::CONTENT_LENGTH] {
        parts.headers.remove(h);
    }
    parts.headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if head {
        return Response::from_parts(parts, Body::empty());
    }
    let Ok(mut bytes) = axum::body::to_bytes(Body::new(body), HTML_CAP).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "page too large\n").into_response();
    };
    if status == StatusCode::NOT_FOUND {
        if let Some(page) = edition_404.and_then(|p| std::fs::read(p).ok()) {
            bytes = page.into();
        }
    }
    let page = inject(&String::from_utf8_lossy(&bytes), &app.token, &app.layout.slugs());
    Response::from_parts(parts, Body::from(page))
}

/// The 404 page of a translated edition (`book/zh-TW/404.html`, in its
/// language, linking from its own root) for a path under that edition's
/// folder; the book's own 404 page serves the rest.
fn edition_not_found(book: &Path, path: &str) -> Option<std::path::PathBuf> {
    let (first, _) = path.trim_start_matches('/').split_once('/')?;
    let ok = !first.is_empty()
        && first.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let page = book.join(first).join("404.html");
    (ok && page.is_file()).then_some(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edition_s_missing_page_gets_its_own_404() {
        let book = std::env::temp_dir().join(format!("runner-404-{}", std::process::id()));
        std::fs::create_dir_all(book.join("zh-TW")).unwrap();
        std::fs::write(book.join("zh-TW/404.html"), "找不到").unwrap();
        assert_eq!(edition_not_found(&book, "/zh-TW/nope.html"), Some(book.join("zh-TW/404.html")));
        assert_eq!(edition_not_found(&book, "/processes/nope.html"), None);
        assert_eq!(edition_not_found(&book, "/nope.html"), None);
        assert_eq!(edition_not_found(&book, "/../zh-TW/x"), None);
        std::fs::remove_dir_all(&book).unwrap();
    }

    #[test]
    fn the_token_goes_first_in_head() {
        let html = "<!DOCTYPE html><html><head><meta charset=\"UTF-8\"></head></html>";
        let out = inject(html, "abc", &["zombie".into(), "o-direct".into()]);
        assert!(out.starts_with(
            "<!DOCTYPE html><html><head><meta name=\"rsp-runner-token\" content=\"abc\"><meta name=\"rsp-runner-slugs\" content=\"zombie o-direct\"><meta charset"
        ), "{out}");
    }
}
