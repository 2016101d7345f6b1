//! `--strace EXPR`: run the program (Rust or Python) under strace
//! (`supervisor::strace`: how it is run, read back and relabelled) and
//! show the system calls instead of the program's output.
//!
//! The program runs as it does untraced, with the same environment (a
//! Python program's PATH starts with the venv's `bin/`, see run_python.rs),
//! and the header is what a reader types at the top of the clone to get
//! the same files and print them (`strace::header`). With `--timeline`,
//! the same files, with their times, are drawn (crate::picture).
use std::path::Path;
use std::process::Command;

use supervisor::picture::trace as timed;
use supervisor::render::Block;
use supervisor::strace::{self, STRACE};
use supervisor::{locate, supervise, Args, Limits, Outcome};

use super::{block, judge, text};

/// Runs `cmd` under strace; `shown` is the traced program as a reader types
/// it at the root (`python3 snippets/...`, `target/debug/zombie`).
pub fn run(args: &Args, root: &Path, cmd: Command, limits: &Limits, shown: &str) -> Block {
    let header = strace::header(&args.strace, args.strace_grep.as_deref(), shown);
    let fail = |why: String| {
        let mut b = block(args, "not run", String::new(), Err(why));
        b.command = header.clone();
        b
    };
    if !Path::new(STRACE).is_file() {
        return fail(format!(
            "{STRACE} is missing (Debian's strace; `cargo xtask build` installs it)"
        ));
    }
    let dir = locate::target_dir(root)
        .join("supervisor")
        .join("strace")
        .join(format!("{}-{}", args.slug, std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        return fail(format!("cannot create {}: {e}", dir.display()));
    }
    let traced = wrap(&cmd, args, root, &dir.join("trace"));
    let result = supervise(traced, limits);
    let grep = args
        .strace_grep
        .as_deref()
        .and_then(|re| regex::Regex::new(re).ok());
    let with_times = strace::collect(&dir, usize::MAX);
    let trace = timed::untimed(&with_times);
    let _ = std::fs::remove_dir_all(&dir);
    let mut b = match result {
        Ok(outcome) => {
            let (status, verdict) = judge(args, &outcome);
            let output = shown_output(&trace, grep.as_ref(), &outcome, verdict.is_err());
            block(
                args,
                &status,
                supervisor::render::mask_paths(&output, root),
                verdict,
            )
        }
        Err(e) => block(
            args,
            "not run",
            String::new(),
            Err(format!("cannot run {STRACE}: {e}")),
        ),
    };
    if args.timeline && b.error.is_none() {
        let timeline = timed::read(&with_times, grep.as_ref());
        b.pictures
            .push(supervisor::picture::timeline::draw(&timeline));
    }
    b.command = header;
    b
}

/// The same program, environment and folder, under strace. A program
/// inside the clone is named as the header names it, relative to the root
/// (strace passes that name on as argv[0], as `cargo run` does); `python3`
/// is looked up on the PATH the program gets.
fn wrap(cmd: &Command, args: &Args, root: &Path, out: &Path) -> Command {
    let mut t = strace::command(out, &args.strace);
    let program = Path::new(cmd.get_program());
    let program = match program.strip_prefix(root) {
        Ok(rel) if rel.parent() == Some(Path::new("")) => Path::new(".").join(rel),
        Ok(rel) => rel.to_path_buf(),
        Err(_) => program.to_path_buf(),
    };
    t.arg("--").arg(program).args(cmd.get_args());
    if let Some(dir) = cmd.get_current_dir() {
        t.current_dir(dir);
    }
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => t.env(k, v),
            None => t.env_remove(k),
        };
    }
    t
}

/// The trace as shown; after a failure, also the program's own output.
fn shown_output(
    trace: &[(i32, String)],
    grep: Option<&regex::Regex>,
    o: &Outcome,
    failed: bool,
) -> String {
    let mut s = strace::shown(trace, grep);
    if failed {
        s.push_str("\n[supervisor: the program's own output]\n");
        s.push_str(&text(o));
    }
    s
}
