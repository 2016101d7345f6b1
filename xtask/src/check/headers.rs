//! An output block's header is a command a reader can type at the top of a
//! clone (with the book's Python environment first on `PATH`, as the
//! introduction says) to print that block, apart from what the directive
//! declares variable. This check types a sample of them, as printed: each
//! chapter's first Rust and first Python block of the last build, and a
//! compiler's where the chapter has one, and compares what they print and
//! how they end with the build's records. Traced blocks and Try its are left
//! out: a trace's header prints strace's files, which the supervisor
//! relabels, and a Try it's header is typed after the edit.
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use anyhow::{bail, Result};
use supervisor::render::{mask_paths, Block};
use supervisor::store::{mask, Record};
use supervisor::{supervise, Ending, Limits};

use crate::setup::{self, python};

pub fn run(root: &Path) -> Result<()> {
    let venv = python::ensure(root)?;
    let store = supervisor::locate::target_dir(root).join("outputs/build");
    let records = supervisor::store::all(&store).map_err(anyhow::Error::msg)?;
    anyhow::ensure!(
        !records.is_empty(),
        "no records in {}: build first",
        store.display()
    );
    let mut path = vec![venv.join("bin")];
    path.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let path = std::env::join_paths(path)?;
    setup::become_subreaper()?;
    let sample = sample(&records);
    let mut problems = Vec::new();
    for r in &sample {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(&r.block.command)
            .current_dir(root)
            .env("PATH", &path)
            .env("RUST_BACKTRACE", "0");
        problems.extend(compare(root, r, cmd));
    }
    setup::fail_on_leftovers("the header check")?;
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("{p}");
        }
        bail!("{} header(s) do not print their block", problems.len());
    }
    eprintln!(
        "xtask: headers: {} block headers, typed as printed, print their blocks",
        sample.len()
    );
    Ok(())
}

/// Per chapter, the first Rust run, the first Python run and the first
/// compiler run whose header a reader types as it is.
fn sample(records: &[Record]) -> Vec<&Record> {
    let mut taken = BTreeSet::new();
    let mut out = Vec::new();
    let mut sorted: Vec<&Record> = records.iter().collect();
    sorted.sort_by(|a, b| (&a.chapter, &a.args).cmp(&(&b.chapter, &b.args)));
    for r in sorted {
        let (Some(chapter), Some(kind)) = (&r.chapter, kind(r)) else {
            continue;
        };
        if taken.insert((chapter.clone(), kind)) {
            out.push(r);
        }
    }
    out
}

fn kind(r: &Record) -> Option<&'static str> {
    let has = |flag: &str| r.args.iter().any(|a| a == flag);
    if ["--strace", "--try-it", "--markdown", "--expect-warning"]
        .iter()
        .any(|f| has(f))
        || r.block.error.is_some()
    {
        return None;
    }
    Some(match (has("--python"), has("--expect-compile-error")) {
        (true, _) => "python",
        (_, true) => "rustc",
        _ => "rust",
    })
}

/// What typing `r`'s header printed, against the record: a problem, if any.
fn compare(root: &Path, r: &Record, cmd: Command) -> Option<String> {
    let at = format!(
        "src/{}: `{}`",
        r.chapter.as_deref().unwrap_or("?"),
        r.block.command
    );
    let limits = Limits {
        timeout: std::time::Duration::from_secs(60),
        ..Limits::default()
    };
    let outcome = match supervise(cmd, &limits) {
        Ok(o) => o,
        Err(e) => return Some(format!("{at}: could not run: {e}")),
    };
    let typed = String::from_utf8_lossy(&outcome.output);
    let seen = |text: &str| mask(&mask_paths(text.trim_end(), root), &r.vary);
    if let Some(why) = ending_differs(&r.block, outcome.ending) {
        return Some(format!("{at}: {why}"));
    }
    let (book, yours) = (seen(&r.block.output), seen(&typed));
    (book != yours).then(|| {
        format!(
            "{at}: prints something else than its block (- block, + typed):\n{}",
            super::drift::diff(&book, &yours)
        )
    })
}

/// Whether `ending` is not how the block says its program ended.
fn ending_differs(b: &Block, ending: Ending) -> Option<String> {
    let status = b.status.trim_end_matches(" (expected)");
    let typed = match ending {
        Ending::Exited(c) => format!("exit status {c}"),
        Ending::Signaled(s) => format!("killed by {s}"),
        Ending::TimedOut => "timed out".into(),
    };
    let same = match status.strip_prefix("rustc: ") {
        // A compiler's block says which error; the command fails.
        Some(_) => matches!(ending, Ending::Exited(c) if c != 0),
        None => typed == status,
    };
    (!same).then(|| format!("ends with {typed}, its block says {}", b.status))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(command: &str, output: &str) -> Record {
        Record {
            cwd: "src/processes".into(),
            chapter: Some("processes/zombie.md".into()),
            args: vec!["zombie".into(), "--vary".into(), "\\d{3,}".into()],
            vary: vec!["\\d{3,}".into()],
            inputs: String::new(),
            ran_at: 0,
            took_ms: 0.0,
            stamp: String::new(),
            block: Block {
                slug: "zombie".into(),
                command: command.into(),
                status: "exit status 0".into(),
                output: output.into(),
                error: None,
                pictures: vec![],
            },
            markdown: String::new(),
        }
    }

    fn check(r: &Record) -> Option<String> {
        let root = crate::setup::workspace_root().unwrap();
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(&r.block.command).current_dir(&root);
        compare(&root, r, cmd)
    }

    #[test]
    fn a_true_header_passes_and_a_false_one_fails() {
        assert_eq!(check(&record("echo pid 1234", "pid 5678\n")), None);
        let false_header = check(&record("echo pid 1234; echo extra", "pid 5678\n")).unwrap();
        assert!(false_header.contains("+ extra"), "{false_header}");
        let wrong_ending = check(&record("echo pid 1234; exit 3", "pid 1\n")).unwrap();
        assert!(
            wrong_ending.contains("ends with exit status 3"),
            "{wrong_ending}"
        );
    }

    #[test]
    fn the_sample_is_one_of_each_kind_per_chapter() {
        let mut traced = record("strace …", "x");
        traced.args.push("--strace".into());
        let rust = record("cargo run -q -p zombie", "x");
        let mut second = record("cargo run -q -p zombie -- more", "x");
        second.args.push("more".into());
        let all = [traced, second.clone(), rust.clone()];
        let picked: Vec<&str> = sample(&all)
            .iter()
            .map(|r| r.block.command.as_str())
            .collect();
        assert_eq!(picked, ["cargo run -q -p zombie"]);
    }
}
