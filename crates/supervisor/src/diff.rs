//! A book's text beside a reader's, line by line, after both were masked
//! with the directive's `--vary` ([`crate::store::mask`]): what the local
//! runner shows under an unchanged block, for its output and for its trace.
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::store::MASK;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    /// `same`, `book` (only in the book's), `yours` (only in the reader's).
    pub tag: String,
    pub text: String,
}

/// A line of the book's masked text, as a pattern: each part the book
/// declares variable may be anything in the reader's line (a pid is 16310
/// in the book and 3 in the page's sandbox, whose pid namespace is new).
#[derive(Debug)]
struct BookLine {
    text: String,
    pattern: Option<Regex>,
}

#[derive(Debug)]
struct YourLine(String);

impl PartialEq<BookLine> for YourLine {
    fn eq(&self, book: &BookLine) -> bool {
        match &book.pattern {
            Some(re) => re.is_match(&self.0),
            None => self.0 == book.text,
        }
    }
}

fn book_line(text: &str) -> BookLine {
    let pattern = text.contains(MASK).then(|| {
        let parts: Vec<String> = text.split(MASK).map(regex::escape).collect();
        Regex::new(&format!("^{}$", parts.join(".*?"))).ok()
    });
    BookLine {
        text: text.to_string(),
        pattern: pattern.flatten(),
    }
}

/// The two masked texts line by line: `same` (shown as the book has it),
/// `book` (only in the book's), `yours` (only in the reader's).
pub fn line_diff(book: &str, yours: &str) -> Vec<DiffLine> {
    use similar::algorithms::{myers, Capture, Replace};
    use similar::DiffOp;
    let old: Vec<BookLine> = book.lines().map(book_line).collect();
    let new: Vec<YourLine> = yours.lines().map(|l| YourLine(l.to_string())).collect();
    let mut hook = Replace::new(Capture::new());
    // Capture never fails (its error type is Infallible).
    let _ = myers::diff(&mut hook, &old, 0..old.len(), &new, 0..new.len());
    let line = |tag: &str, text: &str| DiffLine {
        tag: tag.to_string(),
        text: text.to_string(),
    };
    let mut out = Vec::new();
    for op in hook.into_inner().into_ops() {
        let (book_lines, your_lines, same) = match op {
            DiffOp::Equal { old_index, len, .. } => (old_index..old_index + len, 0..0, true),
            DiffOp::Delete {
                old_index, old_len, ..
            } => (old_index..old_index + old_len, 0..0, false),
            DiffOp::Insert {
                new_index, new_len, ..
            } => (0..0, new_index..new_index + new_len, false),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => (
                old_index..old_index + old_len,
                new_index..new_index + new_len,
                false,
            ),
        };
        for i in book_lines {
            out.push(line(if same { "same" } else { "book" }, &old[i].text));
        }
        for j in your_lines {
            out.push(line("yours", &new[j].0));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::mask;

    #[test]
    fn a_masked_part_may_be_anything_in_the_readers_line() {
        let book = mask("spawned pid 16310\nstate Z\nuid 0\n", &["\\d{3,}".into()]);
        let diff = line_diff(&book, "spawned pid 3\nstate Z\nuid 65534\n");
        let tags: Vec<(&str, &str)> = diff
            .iter()
            .map(|l| (l.tag.as_str(), l.text.as_str()))
            .collect();
        assert_eq!(
            tags,
            [
                ("same", "spawned pid ‹varies›"),
                ("same", "state Z"),
                ("book", "uid 0"),
                ("yours", "uid 65534"),
            ]
        );
        // Only the masked part is free: the text around it must be the same.
        assert_eq!(
            line_diff(&book, "spawned PID 3\nstate Z\nuid 0\n")[0].tag,
            "book"
        );
    }
}
