//! The run as data: with `RSP_SUPERVISOR_JSON=1` the supervisor prints its
//! [`Block`] as one JSON object instead of Markdown. `cargo xtask build`
//! and `serve` ask for it, keep it in their output store (xtask/src/store.rs)
//! and render the page from it with [`crate::render::render_with`], the
//! same function that makes the Markdown a plain `mdbook build` splices in.
use crate::render::Block;

/// Set (to anything but empty or `0`) to get JSON on stdout.
pub const JSON_ENV: &str = "RSP_SUPERVISOR_JSON";

pub fn wanted() -> bool {
    std::env::var_os(JSON_ENV).is_some_and(|v| !v.is_empty() && v != "0")
}

pub fn to_json(b: &Block) -> String {
    // A Block is strings only: serialising cannot fail.
    serde_json::to_string(b).unwrap_or_default() + "\n"
}

pub fn from_json(text: &str) -> Result<Block, String> {
    serde_json::from_str(text.trim()).map_err(|e| format!("not a supervisor record: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_survives_the_round_trip() {
        let b = Block {
            slug: "zombie".into(),
            command: "cargo run -q -p zombie".into(),
            status: "exit status 0".into(),
            output: "pid 12\n\"quoted\" ` \u{1b}[0m".into(),
            error: Some("snippet `zombie`: x".into()),
        };
        assert_eq!(from_json(&to_json(&b)).unwrap(), b);
        assert!(from_json("**supervisor error**").is_err());
    }
}
