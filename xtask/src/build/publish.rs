//! Publishing a finished build: its folder and book/ change places in one
//! `renameat2(RENAME_EXCHANGE)`, so whoever reads book/ (the runner serving
//! it, a browser) sees the old book or the new one, never half of each nor
//! none. The old pages are left in the build's folder, which the next
//! build empties.
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use anyhow::{Context, Result};

/// Makes `pages` the new `book`.
pub fn publish(pages: &Path, book: &Path) -> Result<()> {
    if !book.exists() {
        return std::fs::rename(pages, book)
            .with_context(|| format!("moving {} to {}", pages.display(), book.display()));
    }
    let c = |p: &Path| CString::new(p.as_os_str().as_bytes()).context("a path with a NUL");
    let (from, to) = (c(pages)?, c(book)?);
    // SAFETY: two NUL-terminated paths that live across the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error())
            .with_context(|| format!("exchanging {} and {}", pages.display(), book.display()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_new_pages_take_the_old_ones_place() {
        let base = std::env::temp_dir().join(format!("xtask-publish-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let (pages, book) = (base.join("pages"), base.join("book"));
        std::fs::create_dir_all(&pages).unwrap();
        std::fs::write(pages.join("index.html"), "one").unwrap();
        publish(&pages, &book).unwrap();
        assert_eq!(
            std::fs::read_to_string(book.join("index.html")).unwrap(),
            "one"
        );
        std::fs::create_dir_all(&pages).unwrap();
        std::fs::write(pages.join("index.html"), "two").unwrap();
        publish(&pages, &book).unwrap();
        assert_eq!(
            std::fs::read_to_string(book.join("index.html")).unwrap(),
            "two"
        );
        assert_eq!(
            std::fs::read_to_string(pages.join("index.html")).unwrap(),
            "one"
        );
        std::fs::remove_dir_all(&base).unwrap();
    }
}
