//! `--expect-compile-error`: the chapter's point is that rustc refuses some
//! code. We really run rustc on `snippets/<slug>/compile_fail/<source>.rs` and
//! show what it prints. `--expect-warning`: rustc accepts
//! `snippets/<slug>/lint/<source>.rs`, with a lint's warning.
use std::path::Path;
use std::process::Command;

/// The rustc command for `file` of a snippet (`compile_fail/<source>.rs` or
/// `lint/<source>.rs`), run from the workspace root on
/// `snippets/<slug>/<file>`: the command the page shows, so rustc's messages
/// name the file as a reader who types it there would see.
pub fn rustc_command(root: &Path, slug: &str, file: &str, out_dir: &Path) -> Command {
    rustc_in(root, &Path::new("snippets").join(slug).join(file), out_dir)
}

/// What the page shows for [`rustc_command`]: the same call without the
/// options that change nothing in rustc's messages (`--color never`, where
/// the metadata goes).
pub fn shown_rustc(slug: &str, file: &str) -> String {
    format!("rustc --edition 2021 snippets/{slug}/{file}")
}

/// rustc on `file` (relative to `dir`, where it runs) as a binary crate of
/// edition 2021. Only metadata is emitted, into `out_dir`: type errors are
/// all found before code generation. The snippets' tests use this too
/// (through snippet-support), so they check exactly what the book shows.
pub fn rustc_in(dir: &Path, file: &Path, out_dir: &Path) -> Command {
    let mut cmd = Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()));
    cmd.current_dir(dir)
        .args([
            "--edition",
            "2021",
            "--color",
            "never",
            "--crate-type",
            "bin",
        ])
        .args(["--emit", "metadata", "--out-dir"])
        .arg(out_dir)
        .arg(file);
    cmd
}

/// Why a compile-fail run does not show what the chapter says, if it does not.
pub fn check(exit_code: Option<i32>, output: &str, code: &str) -> Result<(), String> {
    if exit_code == Some(0) {
        return Err(format!(
            "expected rustc error {code}, but the code compiled"
        ));
    }
    if !output.contains(&format!("error[{code}]")) {
        return Err(format!(
            "expected rustc error {code}, rustc reported other errors"
        ));
    }
    Ok(())
}

/// Why a run expecting a lint's warning does not show it, if it does not:
/// rustc must accept the file and name the lint as a warning
/// (`#[warn(NAME)]` on by default, or the file's own `warn(NAME)`).
pub fn check_warning(exit_code: Option<i32>, output: &str, lint: &str) -> Result<(), String> {
    if exit_code != Some(0) {
        return Err(format!(
            "expected rustc to accept the file with warning {lint}, but it failed"
        ));
    }
    if !output.contains("warning") || !output.contains(&format!("warn({lint})")) {
        return Err(format!(
            "expected rustc warning {lint}, rustc printed other messages"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_the_declared_warning_and_a_success() {
        let out = "warning: function cannot return without recursing\n  = note: `#[warn(unconditional_recursion)]` on by default";
        assert!(check_warning(Some(0), out, "unconditional_recursion").is_ok());
        assert!(check_warning(Some(1), out, "unconditional_recursion").is_err());
        assert!(check_warning(Some(0), out, "dead_code").is_err());
        assert!(check_warning(Some(0), "", "unconditional_recursion").is_err());
    }

    #[test]
    fn needs_the_declared_code() {
        assert!(check(Some(1), "error[E0046]: missing", "E0046").is_ok());
        assert!(check(Some(1), "error[E0277]: x", "E0046").is_err());
        assert!(check(Some(0), "", "E0046").is_err());
    }
}
