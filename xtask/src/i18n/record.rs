//! INTERIM, until the output store of issue 15 lands: how the translated
//! editions show the English build's outputs without running anything again.
//!
//! During the English `mdbook build`, every directive calls
//! `xtask record-output <supervisor args>` (through `RSP_SUPERVISOR`), which
//! runs the real supervisor, passes its Markdown block through to cmdrun
//! unchanged, and keeps a copy in `target/i18n/outputs/`, named after the
//! chapter folder and the arguments (and a counter, should the same
//! directive appear twice in one folder). A translated edition's build then
//! replaces each directive with that copy, exactly as cmdrun replaced it in
//! the English build, so both editions render the same bytes from one run.
//! The store of issue 15 replaces this module: replay from its records.
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use regex::{Captures, Regex};

use crate::chapters::PREFIX;

/// The folder of the copies; `RSP_RECORD_DIR` for the wrapper.
pub const DIR_ENV: &str = "RSP_RECORD_DIR";
/// The supervisor the wrapper runs.
pub const SUPERVISOR_ENV: &str = "RSP_RECORD_SUPERVISOR";

pub fn dir(root: &Path) -> PathBuf {
    root.join("target").join("i18n").join("outputs")
}

/// Empties the folder for a new build.
pub fn reset(root: &Path) -> Result<PathBuf> {
    let d = dir(root);
    if d.exists() {
        std::fs::remove_dir_all(&d).with_context(|| format!("removing {}", d.display()))?;
    }
    std::fs::create_dir_all(&d).with_context(|| format!("creating {}", d.display()))?;
    Ok(d)
}

/// A directive's name in the folder: FNV-1a of the chapter folder (relative
/// to the root, `src/processes`) and the arguments, NUL-separated.
fn key(folder: &str, args: &[String]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in std::iter::once(folder).chain(args.iter().map(String::as_str)) {
        for b in part.bytes().chain([0]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// `xtask record-output ARGS...`: run the supervisor, record, pass through.
pub fn record_output(args: &[String]) -> Result<std::process::ExitCode> {
    let dir = PathBuf::from(std::env::var_os(DIR_ENV).context("RSP_RECORD_DIR is not set")?);
    let supervisor =
        std::env::var_os(SUPERVISOR_ENV).context("RSP_RECORD_SUPERVISOR is not set")?;
    let cwd = std::env::current_dir().context("the current folder")?;
    let root = supervisor::locate::workspace_root(&cwd)
        .with_context(|| format!("no workspace above {}", cwd.display()))?;
    let folder = cwd
        .strip_prefix(&root)
        .unwrap_or(&cwd)
        .to_string_lossy()
        .into_owned();
    let out = Command::new(&supervisor)
        .args(args)
        .stdin(std::process::Stdio::inherit())
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("running {}", Path::new(&supervisor).display()))?;
    let stem = key(&folder, args);
    let mut n = 0;
    loop {
        let f = dir.join(format!("{stem}-{n}.md"));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&f)
        {
            Ok(mut file) => {
                file.write_all(&out.stdout)
                    .with_context(|| format!("writing {}", f.display()))?;
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => n += 1,
            Err(e) => return Err(e).with_context(|| format!("creating {}", f.display())),
        }
    }
    std::io::stdout()
        .write_all(&out.stdout)
        .context("writing the block")?;
    Ok(match out.status.code() {
        Some(0) => std::process::ExitCode::SUCCESS,
        Some(c) => std::process::ExitCode::from(u8::try_from(c).unwrap_or(1)),
        None => std::process::ExitCode::FAILURE,
    })
}

/// The `RSP_SUPERVISOR` value that records: xtask as `cargo build
/// --workspace --bins` has just built it (not our own path: that build
/// may have replaced the running binary), then the subcommand.
pub fn wrapper_command(root: &Path) -> Result<String> {
    let exe = supervisor::locate::target_dir(root)
        .join("debug")
        .join("xtask");
    if !exe.is_file() {
        bail!(
            "{} is missing (cargo build --workspace --bins builds it)",
            exe.display()
        );
    }
    let exe = exe
        .to_str()
        .context("xtask's path is not UTF-8")?
        .to_string();
    let plain = exe
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+".contains(c));
    if !plain {
        bail!("xtask's path {exe} would not survive the directive's word splitting");
    }
    Ok(format!("{exe} record-output"))
}

/// Replaces the directives of one chapter (`chapter`: relative to src/)
/// with the recorded blocks, as cmdrun does: first each directive that ends
/// its line (the newline goes too), then any left inside a line (trailing
/// whitespace trimmed). `seen` counts repeated directives across the book.
pub fn replay(
    root: &Path,
    chapter: &Path,
    content: &str,
    seen: &mut HashMap<String, usize>,
) -> Result<String> {
    let folder = Path::new("src")
        .join(chapter.parent().unwrap_or(Path::new("")))
        .to_string_lossy()
        .trim_end_matches('/')
        .to_string();
    let newline = Regex::new(r"<!--[ ]*cmdrun (.*?)-->\r?\n")?;
    let inline = Regex::new(r"<!--[ ]*cmdrun (.*?)-->")?;
    let mut err = None;
    let mut one = |caps: &Captures, trim: bool| -> String {
        match recorded(root, &folder, &caps[1], seen) {
            Ok(block) if trim => block.trim_end().to_string(),
            Ok(block) => block,
            Err(e) => {
                err.get_or_insert(e.context(format!("src/{}", chapter.display())));
                String::new()
            }
        }
    };
    let once = newline
        .replace_all(content, |c: &Captures| one(c, false))
        .into_owned();
    let twice = inline
        .replace_all(&once, |c: &Captures| one(c, true))
        .into_owned();
    match err {
        Some(e) => Err(e),
        None => Ok(twice),
    }
}

fn recorded(
    root: &Path,
    folder: &str,
    command: &str,
    seen: &mut HashMap<String, usize>,
) -> Result<String> {
    let rest = command
        .trim()
        .strip_prefix(PREFIX)
        .with_context(|| format!("a directive must start `cmdrun {PREFIX}`: `cmdrun {command}`"))?;
    let args = shlex::split(rest).with_context(|| format!("unbalanced quotes in `{command}`"))?;
    let stem = key(folder, &args);
    let n = seen.entry(stem.clone()).or_default();
    let file = dir(root).join(format!("{stem}-{n}.md"));
    *n += 1;
    let bytes = std::fs::read(&file).with_context(|| {
        format!(
            "no recorded output of `{}` in {} (the English edition must be built first, in the same build)",
            command.trim(),
            file.display()
        )
    })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_separates_folder_and_arguments() {
        let a = key("src/p", &["zombie".into(), "--vary".into()]);
        assert_eq!(a, key("src/p", &["zombie".into(), "--vary".into()]));
        assert_ne!(a, key("src/p", &["zombie--vary".into()]));
        assert_ne!(a, key("src/q", &["zombie".into(), "--vary".into()]));
    }

    #[test]
    fn replay_puts_the_recorded_block_where_cmdrun_put_it() {
        let root = std::env::temp_dir().join(format!("rsp-replay-{}", std::process::id()));
        let dir = dir(&root);
        std::fs::create_dir_all(&dir).unwrap();
        let args: Vec<String> = vec!["zombie".into(), "--vary".into(), r"\d{3,}".into()];
        std::fs::write(
            dir.join(format!("{}-0.md", key("src/processes", &args))),
            "BLOCK\n",
        )
        .unwrap();
        let text = format!("a\n<!-- cmdrun {PREFIX}zombie --vary \"\\d{{3,}}\" -->\nb\n");
        let mut seen = HashMap::new();
        let out = replay(&root, Path::new("processes/zombie.md"), &text, &mut seen).unwrap();
        assert_eq!(out, "a\nBLOCK\nb\n");
        // A second copy of the same directive has no record of its own.
        let err = replay(&root, Path::new("processes/zombie.md"), &text, &mut seen).unwrap_err();
        assert!(format!("{err:#}").contains("no recorded output"), "{err:#}");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
