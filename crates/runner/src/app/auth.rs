//! Who may use the runner, checked on every request before anything else:
//!
//! 1. `Host` must be `127.0.0.1:PORT` or `localhost:PORT` (DNS rebinding);
//! 2. `/__rsp/health` is open (it says only whether the runner is up and
//!    ready, which anyone on the machine can see from the listening port);
//! 3. the link printed at start, `/?token=T`, sets an HttpOnly,
//!    SameSite=Strict cookie and redirects (303) to the same URL without
//!    the token, so it leaves the address bar and the history;
//! 4. every other request needs that cookie, or the token in `X-RSP-Token`
//!    (scripts and tests); without: 403 and a page saying where the link is;
//! 5. a run or a download (`run/request.rs`) always needs `X-RSP-Token`:
//!    the cookie alone does not run code.
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use crate::run::request::{Gate, TOKEN_HEADER};

pub const RUN_PATH: &str = "/__rsp/run";
pub const PROJECT_PATH: &str = "/__rsp/project";
pub const HEALTH_PATH: &str = "/__rsp/health";
/// The query parameter of the link printed at start.
pub const TOKEN_PARAM: &str = "token";

/// What the check needs.
pub struct Guard {
    pub gate: Gate,
    /// `127.0.0.1:PORT` and `localhost:PORT`.
    pub hosts: [String; 2],
    /// `rsp-runner-<port>`: cookies are not kept apart by port.
    pub cookie: String,
    pub port: u16,
}

/// Splits `token=...` out of a query; returns (token, the rest).
fn take_token(query: &str) -> (Option<&str>, String) {
    let mut token = None;
    let mut rest = Vec::new();
    for part in query.split('&').filter(|p| !p.is_empty()) {
        match part.split_once('=') {
            Some((TOKEN_PARAM, v)) => token = Some(v),
            _ => rest.push(part),
        }
    }
    (token, rest.join("&"))
}

/// A page in English and, below it, in Traditional Chinese (the book's
/// zh-TW edition is served here too; these pages carry no script, so
/// theme/strings.js cannot translate them).
fn page(status: StatusCode, title: &str, text: &str, zh: (&str, &str)) -> Response {
    let (zh_title, zh_text) = zh;
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <style>body{{font-family:sans-serif;max-width:40em;margin:3em auto;line-height:1.5}}\
         code{{background:#eee;padding:0 .2em}}</style></head>\
         <body><h1>{title}</h1>{text}\
         <hr><section lang=\"zh-Hant-TW\"><h1>{zh_title}</h1>{zh_text}</section></body></html>\n"
    );
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")],
        html,
    )
        .into_response()
}

/// The page for a request without the cookie or the token. It never holds
/// the token; it says where the link with it is.
fn locked(app: &Guard) -> Response {
    page(
        StatusCode::FORBIDDEN,
        "Open the link from your terminal",
        &format!(
            "<p>This is the local runner of <em>Rust Systems Playground</em>. It serves the book \
             and runs code only for the browser that opened the link it printed when it started: \
             look in the terminal where <code>cargo xtask serve</code> runs for a line with \
             <code>http://127.0.0.1:{}/?token=…</code> and open that link.</p>\
             <p>The token changes at every start, so an old link or tab needs the new one.</p>",
            app.port
        ),
        (
            "請開啟終端機裡的連結",
            &format!(
                "<p>這是 <em>Rust Systems Playground</em> 的本機 runner。它只為開啟過它啟動時印出的連結的瀏覽器提供本書並執行程式：\
                 請在執行 <code>cargo xtask serve</code> 的終端機裡找到含有 \
                 <code>http://127.0.0.1:{}/?token=…</code> 的那一行，開啟那個連結。</p>\
                 <p>token 每次啟動都會改變，所以舊的連結或分頁需要新的連結。</p>",
                app.port
            ),
        ),
    )
}

fn json(status: StatusCode, message: &str) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(serde_json::json!({ "error": message })),
    )
        .into_response()
}

/// Headers on every answer: no sniffing, no referrer (no URL of ours leaks
/// to a link's site), never framed by another page.
fn harden(mut r: Response) -> Response {
    let h = r.headers_mut();
    for (k, v) in [
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
        ("content-security-policy", "frame-ancestors 'none'"),
    ] {
        h.insert(k, HeaderValue::from_static(v));
    }
    r
}

/// The path with one leading slash: `//host` would be a link to another
/// site, and browsers read `\` in a URL as `/`.
fn same_site_path(path: &str) -> String {
    format!("/{}", path.replace('\\', "/").trim_start_matches('/'))
}

pub async fn guard(State(app): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    harden(check(&app, req, next).await)
}

async fn check(app: &Guard, req: Request, next: Next) -> Response {
    let h = req.headers();
    let host_ok = h
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|host| app.hosts.iter().any(|x| x == host));
    if !host_ok {
        return json(
            StatusCode::FORBIDDEN,
            &format!(
                "this server answers only to Host {} or {} (DNS rebinding protection)",
                app.hosts[0], app.hosts[1]
            ),
        );
    }
    let path = req.uri().path().to_string();
    // Open: health; runs and downloads check their own token (run/request.rs).
    if path == HEALTH_PATH || path == RUN_PATH || path == PROJECT_PATH {
        return next.run(req).await;
    }
    let query = req.uri().query().unwrap_or("");
    let (given, rest) = take_token(query);
    if let Some(given) = given {
        if !(req.method() == Method::GET || req.method() == Method::HEAD) {
            return locked(app);
        }
        if !app.gate.token_matches(given.as_bytes()) {
            return page(
                StatusCode::FORBIDDEN,
                "This link is from another start",
                "<p>The token in this link is not the one the runner printed when it started \
                 this time (it changes at every start). Open the link in the terminal where \
                 <code>cargo xtask serve</code> runs.</p>",
                (
                    "這個連結來自另一次啟動",
                    "<p>這個連結裡的 token 不是 runner 這次啟動時印出的那一個（每次啟動都會改變）。\
                     請開啟執行 <code>cargo xtask serve</code> 的終端機裡的連結。</p>",
                ),
            );
        }
        let clean = same_site_path(&path);
        let location = if rest.is_empty() { clean } else { format!("{clean}?{rest}") };
        let set = Cookie::build((app.cookie.clone(), app.gate.token.clone()))
            .http_only(true)
            .same_site(SameSite::Strict)
            .path("/")
            .build()
            .to_string();
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::SEE_OTHER;
        if let (Ok(loc), Ok(set)) = (HeaderValue::from_str(&location), HeaderValue::from_str(&set))
        {
            r.headers_mut().insert(header::LOCATION, loc);
            r.headers_mut().insert(header::SET_COOKIE, set);
        }
        r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return r;
    }
    let by_cookie = CookieJar::from_headers(h)
        .get(&app.cookie)
        .is_some_and(|c| app.gate.token_matches(c.value().as_bytes()));
    let by_header = h.get(TOKEN_HEADER).is_some_and(|v| app.gate.token_matches(v.as_bytes()));
    if !(by_cookie || by_header) {
        return locked(app);
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_leaves_the_query() {
        assert_eq!(take_token("token=abc"), (Some("abc"), String::new()));
        assert_eq!(take_token("a=1&token=abc&b=2"), (Some("abc"), "a=1&b=2".to_string()));
        assert_eq!(take_token("a=1"), (None, "a=1".to_string()));
    }

    #[test]
    fn redirects_stay_on_this_server() {
        for (path, clean) in
            [("/\\evil.example/", "/evil.example/"), ("//evil.example", "/evil.example")]
        {
            assert_eq!(same_site_path(path), clean);
        }
    }
}
