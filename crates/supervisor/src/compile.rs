//! `--expect-compile-error`: the chapter's point is that rustc refuses some
//! code. We really run rustc on `snippets/<slug>/compile_fail/<source>.rs` and
//! show what it prints.
use std::path::Path;
use std::process::Command;

/// The rustc command for `compile_fail/<source>.rs` of a snippet, run in the
/// snippet's folder so messages name the file as `compile_fail/<source>.rs`.
pub fn rustc_command(snippet_dir: &Path, source: &str, out_dir: &Path) -> Command {
    rustc_in(
        snippet_dir,
        Path::new(&format!("compile_fail/{source}.rs")),
        out_dir,
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_the_declared_code() {
        assert!(check(Some(1), "error[E0046]: missing", "E0046").is_ok());
        assert!(check(Some(1), "error[E0277]: x", "E0046").is_err());
        assert!(check(Some(0), "", "E0046").is_err());
    }
}
