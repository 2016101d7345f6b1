//! Substring search over built pages with memchr's vectorised finder
//! (compiled at opt-level 3 for the regex crates): the page checks scan
//! every page of both editions on every build, some 20 MB, and xtask's own
//! code, `str::find` included, is compiled at opt-level 0.

/// Where `needle` first occurs in `hay` at or after `from`.
pub fn find_from(hay: &str, needle: &str, from: usize) -> Option<usize> {
    memchr::memmem::find(hay.as_bytes().get(from..)?, needle.as_bytes()).map(|i| i + from)
}

/// Where each `needle` starts in `hay` (not overlapping).
pub fn find_all<'a>(hay: &'a str, needle: &'a str) -> impl Iterator<Item = usize> + 'a {
    memchr::memmem::find_iter(hay.as_bytes(), needle.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_as_str_find_does() {
        let h = "<div><div>é</div></div>";
        assert_eq!(find_from(h, "<div", 0), h.find("<div"));
        assert_eq!(find_from(h, "<div", 1), Some(5));
        assert_eq!(find_from(h, "</div>", 12), Some(12));
        assert_eq!(find_from(h, "</div>", 13), Some(18));
        assert_eq!(find_from(h, "x", 0), None);
        assert_eq!(find_from(h, "<div", 99), None);
        assert_eq!(find_all(h, "div").collect::<Vec<_>>(), [1, 6, 14, 20]);
    }
}
