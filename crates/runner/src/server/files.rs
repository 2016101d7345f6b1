//! The book's files, served from `book/`: the path a URL names (never outside
//! the book), its content type, and the token added to every HTML page.
use std::path::{Path, PathBuf};

use super::{json_error, Shared, TOKEN_META};
use crate::http::{self, Request};

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "eot" => "application/vnd.ms-fontobject",
        "txt" | "md" => "text/plain; charset=utf-8",
        "xml" => "application/xml",
        _ => "application/octet-stream",
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The file under `book` that a URL path names, if it is one.
fn resolve(book: &Path, url_path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(url_path)?;
    let mut file = book.to_path_buf();
    for part in decoded.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            p if p.contains('\0') || p.contains('\\') => return None,
            p => file.push(p),
        }
    }
    if file.is_dir() {
        file.push("index.html");
    }
    let canon = file.canonicalize().ok()?;
    let root = book.canonicalize().ok()?;
    (canon.starts_with(&root) && canon.is_file()).then_some(canon)
}

/// Adds the runner's token and the snippet list to a page's head.
fn inject(html: &str, token: &str, slugs: &[String]) -> String {
    let meta = format!(
        "<meta name=\"{TOKEN_META}\" content=\"{token}\"><meta name=\"rsp-runner-slugs\" content=\"{}\">",
        slugs.join(" ")
    );
    match html.find("<head>") {
        Some(i) => {
            let at = i + "<head>".len();
            format!("{}{meta}{}", &html[..at], &html[at..])
        }
        None => format!("{meta}{html}"),
    }
}

/// Answers with the file a path names, or the book's 404 page.
pub(super) fn static_file(s: &Shared, req: Request, path: &str) {
    let (file, status) = match resolve(&s.cfg.book, path) {
        Some(f) => (f, 200),
        None => match resolve(&s.cfg.book, "/404.html") {
            Some(f) => (f, 404),
            None => {
                let msg = format!("not found; is the book built in {}?", s.cfg.book.display());
                return json_error(req, 404, &msg);
            }
        },
    };
    let Ok(bytes) = std::fs::read(&file) else {
        return json_error(req, 404, "not found");
    };
    let ctype = content_type(&file);
    let (body, cache) = if ctype.starts_with("text/html") {
        let html = String::from_utf8_lossy(&bytes);
        let body = inject(&html, &s.token, &s.layout.slugs()).into_bytes();
        // The token is in the page: never keep it in a cache.
        (body, "no-store")
    } else {
        (bytes, "no-cache")
    };
    http::respond(
        req,
        status,
        &[
            ("Content-Type", ctype),
            ("Cache-Control", cache),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
        ],
        &body,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_goes_first_in_head() {
        let html = "<!DOCTYPE html><html><head><meta charset=\"UTF-8\"></head></html>";
        let out = inject(html, "abc", &["zombie".into(), "o-direct".into()]);
        assert!(out.starts_with(
            "<!DOCTYPE html><html><head><meta name=\"rsp-runner-token\" content=\"abc\"><meta name=\"rsp-runner-slugs\" content=\"zombie o-direct\"><meta charset"
        ), "{out}");
    }

    #[test]
    fn paths_stay_inside_the_book() {
        let dir = std::env::temp_dir().join(format!("rsp-runner-resolve-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("book/sub")).unwrap();
        std::fs::write(dir.join("book/index.html"), "i").unwrap();
        std::fs::write(dir.join("book/sub/a b.html"), "a").unwrap();
        std::fs::write(dir.join("secret"), "s").unwrap();
        let book = dir.join("book");
        assert!(resolve(&book, "/").unwrap().ends_with("index.html"));
        assert!(resolve(&book, "/sub/a%20b.html").is_some());
        for bad in [
            "/../secret",
            "/%2e%2e/secret",
            "/sub/../../secret",
            "/nope.html",
            "/%zz",
        ] {
            assert!(resolve(&book, bad).is_none(), "{bad}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
