//! `supervisor SLUG [OPTIONS] [-- ARGS]`: see the crate docs. Prints the
//! Markdown block on stdout (what cmdrun splices in) and, on failure, a
//! one-line reason on stderr too; exits 1 when the run failed, 2 on bad usage.
#![deny(clippy::unwrap_used)]

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use clap::Parser;

// The binary's own: `--python` and `--strace` runs (they use block/judge/text below).
mod run_python;
mod traced;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use supervisor::render::{render, render_with, Block, Footer, STAMP_ENV};
use supervisor::store::{self, Mode, Record, Store};
use supervisor::try_it::{self, TryIt};
use supervisor::{compile, locate, supervise, Args, Ending, Limits, Outcome};

fn main() -> ExitCode {
    let args = Args::parse();
    // The directive's words, as the record's name: the shell split them.
    let words: Vec<String> = std::env::args().skip(1).collect();
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let root = locate::workspace_root(&cwd);
    let chapter = root
        .as_deref()
        .and_then(|r| locate::chapter(r, &cwd, &args.slug));
    let place = match &chapter {
        Some(ch) => format!("snippet `{}` (chapter {})", args.slug, ch.display()),
        None => format!("snippet `{}` (run from {})", args.slug, cwd.display()),
    };
    let store = match Store::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("supervisor: {place}: {e}");
            return ExitCode::from(2);
        }
    };
    let (Some(root), Some(store)) = (root.clone(), store) else {
        let block = failed(place, run_or_say(&args, root.as_deref()));
        return print(
            &page(&args, root.as_deref(), render(&block), &block),
            &block,
        );
    };
    let rel = |p: &Path| p.strip_prefix(&root).unwrap_or(p).display().to_string();
    let cwd_rel = rel(&cwd);
    let stamp = std::env::var(STAMP_ENV).unwrap_or_default();
    let mut exes = locate::executables(&root, &args);
    if args.markdown {
        // Every record but the appendix's own, which change with each of its runs.
        let own = store.path(&cwd_rel, &words);
        let own = store::slug_of(&own);
        let others = store::files(&store.dir).into_iter();
        exes.extend(others.filter(|f| store::slug_of(f) != own));
    }
    let inputs = || store::inputs(&root, &cwd_rel, &words, &stamp, &exes);
    match (store.mode, store.load(&cwd_rel, &words)) {
        (Mode::Replay, Some(r)) => return print(&r.markdown, &r.block),
        (Mode::Reuse, Some(r)) if r.inputs == inputs() => return print(&r.markdown, &r.block),
        (Mode::Replay, None) => {
            let why = format!(
                "no record of this directive in {} (a replay runs nothing: did the English build run it?)",
                store.dir.display()
            );
            let block = failed(place, block(&args, "not run", String::new(), Err(why)));
            return print(&render(&block), &block);
        }
        _ => {}
    }
    let inputs = inputs();
    let started = Instant::now();
    let block = failed(place, run(&args, &root));
    let took_ms = started.elapsed().as_secs_f64() * 1e3;
    let ran_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut footer = Footer::for_block(&args.slug, &stamp, Some(&root), &cwd);
    if let (Some(f), Mode::Reuse) = (footer.as_mut(), store.mode) {
        f.ran = Some(supervisor::render::local_time(ran_at));
    }
    let record = Record {
        cwd: cwd_rel,
        chapter: chapter.map(|c| rel(&c).trim_start_matches("src/").to_string()),
        args: words,
        vary: args.vary.clone(),
        inputs,
        ran_at,
        took_ms,
        stamp,
        markdown: page(
            &args,
            Some(&root),
            render_with(&block, footer.as_ref()),
            &block,
        ),
        block,
    };
    if let Err(e) = store.save(&record) {
        eprintln!("supervisor: {}: {e}", record.block.slug);
        return ExitCode::from(1);
    }
    print(&record.markdown, &record.block)
}

/// The block as the page shows it: a Try it's, collapsed, carries its
/// edits; a `--markdown` program's output is the Markdown, unless it failed.
fn page(args: &Args, root: Option<&Path>, markdown: String, block: &Block) -> String {
    if args.markdown && block.error.is_none() {
        return block.output.clone();
    }
    match root
        .filter(|_| args.try_it)
        .map(|r| TryIt::load(r, &args.slug))
    {
        Some(Ok(t)) => supervisor::render::try_it(&markdown, &t.edit),
        _ => markdown,
    }
}

/// A run without a store: the workspace is needed to find the snippet.
fn run_or_say(args: &Args, root: Option<&Path>) -> Block {
    match root {
        Some(root) => run(args, root),
        None => block(
            args,
            "not run",
            String::new(),
            Err("no workspace (Cargo.toml and snippets/) above this folder".into()),
        ),
    }
}

/// The block with its error, if any, naming the snippet and the chapter,
/// and said on stderr too.
fn failed(place: String, mut block: Block) -> Block {
    if let Some(why) = block.error.take() {
        let why = format!("{place}: {why}");
        eprintln!("supervisor: {}", why.lines().next().unwrap_or_default());
        block.error = Some(why);
    }
    block
}

/// Prints the page's Markdown; the exit status says whether the run failed.
fn print(markdown: &str, block: &Block) -> ExitCode {
    print!("{markdown}");
    match block.error {
        Some(_) => ExitCode::from(1),
        None => ExitCode::SUCCESS,
    }
}

/// The block of the run, with the charts `--plot` asks for.
fn run(args: &Args, root: &Path) -> Block {
    let mut b = run_block(args, root);
    if !args.plot.is_empty() && b.error.is_none() {
        match supervisor::picture::plot::draw(&args.plot, &b.output) {
            Ok(p) => b.pictures.push(p),
            Err(e) => b.error = Some(e),
        }
    }
    b
}

fn run_block(args: &Args, root: &Path) -> Block {
    let snippet_dir = root.join("snippets").join(&args.slug);
    if args.exe.is_none() && !snippet_dir.join("Cargo.toml").is_file() {
        let why = format!("no snippet crate at snippets/{}/", args.slug);
        return block(args, "not run", String::new(), Err(why));
    }
    let limits = Limits {
        timeout: args.timeout(),
        ..Limits::default()
    };
    if args.source_file().is_some() {
        return run_rustc(args, root, &limits);
    }
    if args.python.is_some() {
        return run_python::run(args, root, &limits);
    }
    if args.try_it {
        return try_it(args, root, &limits);
    }
    let exe = match &args.exe {
        Some(exe) => exe.clone(),
        None => match locate::build_snippet(root, &args.slug, args.bin_name()) {
            Ok(exe) => exe,
            Err(e) => return does_not_build(args, e),
        },
    };
    run_rust(args, root, &exe, &limits, false)
}

fn does_not_build(args: &Args, cargo: String) -> Block {
    block(
        args,
        "does not build",
        cargo,
        Err("does not build (cargo's errors below)".into()),
    )
}

/// Runs `exe`, exactly as the page's `cargo run -q -p <slug>` does when
/// typed at the workspace root: the same argv[0] and the same working folder.
fn run_rust(args: &Args, root: &Path, exe: &Path, limits: &Limits, clean: bool) -> Block {
    let shown = root.join("target").join("debug").join(args.bin_name());
    let mut cmd = Command::new(exe);
    if clean {
        // A fixed environment: an edit may print what follows argv in
        // memory, the first environment string, which is the builder's.
        cmd.env_clear()
            .env("LANG", "C.UTF-8")
            .env("PATH", "/usr/local/bin:/usr/bin:/bin");
    }
    cmd.arg0(cargo_run_arg0(&shown, root))
        .args(&args.snippet_args)
        .current_dir(root)
        .env("RUST_BACKTRACE", "0")
        .env("RSP_SNIPPET", &args.slug);
    if !args.strace.is_empty() {
        let mut shown = format!("target/debug/{}", args.bin_name());
        for a in &args.snippet_args {
            shown.push(' ');
            shown.push_str(a);
        }
        return traced::run(args, root, cmd, limits, &shown);
    }
    supervised(args, cmd, limits, exe)
}

/// `--try-it`: the edit of try-it.toml, built in the Try it workspace and
/// run as the book's program is; it must end and print as the file says.
fn try_it(args: &Args, root: &Path, limits: &Limits) -> Block {
    let fail = |why: String| {
        let why = format!("Try it (snippets/{}/{}): {why}", args.slug, try_it::FILE);
        block(args, "not run", String::new(), Err(why))
    };
    let t = match TryIt::load(root, &args.slug) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    if t.python().is_some() {
        return fail("an edit of a Python program is not run yet: edit the Rust one".into());
    }
    let mut a = args.clone();
    a.bin = t.bin.clone();
    a.expect_exit = t.expect_exit;
    if let Some(s) = &t.expect_signal {
        match format!("SIG{}", s.trim_start_matches("SIG")).parse() {
            Ok(sig) => a.expect_signal = Some(sig),
            Err(_) => return fail(format!("expect-signal = {s}: not a signal name")),
        }
    }
    let exe = try_it::dir(root)
        .join("target")
        .join("debug")
        .join(a.bin_name());
    let exe = args.exe.clone().unwrap_or(exe);
    let data = root.join("snippets").join(&a.slug).join(try_it::FILE);
    let built = args.exe.is_some()
        || (locate::prebuilt(&exe, root, &a.slug) && locate::newer_than(&exe, &[data]));
    if !built {
        if let Err(e) = try_it::prepare(root) {
            return fail(e);
        }
        if let Err(e) = try_it::build(root, &a.slug, a.bin_name()) {
            return does_not_build(&a, e);
        }
    }
    let mut b = run_rust(&a, root, &exe, limits, true);
    if b.error.is_none() && !b.output.contains(&t.expect_output) {
        b.error = Some(format!(
            "Try it (snippets/{}/{}): the edited program no longer prints `{}`",
            args.slug,
            try_it::FILE,
            t.expect_output
        ));
    }
    b
}

/// `cmd` run under the supervisor's limits, judged against what the
/// directive expects; `program` names it if it cannot start.
fn supervised(args: &Args, cmd: Command, limits: &Limits, program: &Path) -> Block {
    match supervise(cmd, limits) {
        Ok(outcome) => {
            let (status, verdict) = judge(args, &outcome);
            block(args, &status, text(&outcome), verdict)
        }
        Err(e) => block(
            args,
            "not run",
            String::new(),
            Err(format!("cannot run {}: {e}", program.display())),
        ),
    }
}

/// How `cargo run` names the program in argv[0]: its path relative to the
/// folder cargo was started in (the workspace root here) when it is inside
/// it, `target/debug/zombie`, else the absolute path.
fn cargo_run_arg0(exe: &Path, root: &Path) -> PathBuf {
    match exe.strip_prefix(root) {
        Ok(rel) if rel.parent() == Some(Path::new("")) => Path::new(".").join(rel),
        Ok(rel) => rel.to_path_buf(),
        Err(_) => exe.to_path_buf(),
    }
}

/// `--expect-compile-error` or `--expect-warning`: rustc on the snippet's
/// `compile_fail/` or `lint/` file, which must fail with the code, or
/// compile with the warning.
fn run_rustc(args: &Args, root: &Path, limits: &Limits) -> Block {
    let file = args.source_file().unwrap_or_default();
    let out_dir = locate::target_dir(root).join("supervisor").join(&args.slug);
    if let Err(e) = std::fs::create_dir_all(&out_dir) {
        return block(
            args,
            "not run",
            String::new(),
            Err(format!("cannot create {}: {e}", out_dir.display())),
        );
    }
    if !root.join("snippets").join(&args.slug).join(&file).is_file() {
        let why = format!("no file snippets/{}/{file}", args.slug);
        return block(args, "not run", String::new(), Err(why));
    }
    let cmd = compile::rustc_command(root, &args.slug, &file, &out_dir);
    match supervise(cmd, limits) {
        Ok(o) => {
            let output = text(&o);
            let (status, verdict) = match (&args.expect_compile_error, &args.expect_warning) {
                (Some(code), _) => (
                    format!("rustc: error[{code}] (expected)"),
                    match o.ending {
                        Ending::Exited(c) => compile::check(Some(c), &output, code),
                        e => Err(rustc_ended(e, args)),
                    },
                ),
                (None, Some(lint)) => (
                    format!("rustc: warning {lint} (expected)"),
                    match o.ending {
                        Ending::Exited(c) => compile::check_warning(Some(c), &output, lint),
                        e => Err(rustc_ended(e, args)),
                    },
                ),
                (None, None) => ("not run".into(), Err("no compiler run asked for".into())),
            };
            block(args, &status, output, verdict)
        }
        Err(e) => block(
            args,
            "not run",
            String::new(),
            Err(format!("cannot run rustc: {e}")),
        ),
    }
}

fn rustc_ended(e: Ending, args: &Args) -> String {
    match e {
        Ending::TimedOut => format!("rustc timed out after {} s", args.timeout),
        Ending::Signaled(s) => format!("rustc was killed by {s}"),
        Ending::Exited(c) => format!("rustc exited with status {c}"),
    }
}

fn block(args: &Args, status: &str, output: String, verdict: Result<(), String>) -> Block {
    // An empty block tells the reader nothing; treat it as a failure.
    let verdict = verdict.and_then(|()| match output.trim().is_empty() {
        true => Err("printed nothing".to_string()),
        false => Ok(()),
    });
    Block {
        slug: args.slug.clone(),
        command: shown_command(args),
        status: status.to_string(),
        output,
        error: verdict.err(),
        pictures: Vec::new(),
    }
}

/// Status words for the page, and whether the run shows what the chapter says.
fn judge(args: &Args, o: &Outcome) -> (String, Result<(), String>) {
    let left = if o.leftovers.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = o
            .leftovers
            .iter()
            .map(|l| format!("{} ({})", l.pid, l.comm))
            .collect();
        format!(
            "; killed {} left running: {}",
            o.leftovers.len(),
            list.join(", ")
        )
    };
    let (status, verdict) = match (o.ending, args.expect_exit, args.expect_signal) {
        (Ending::TimedOut, _, _) => (
            "timed out".to_string(),
            Err(format!("timed out after {} s{left}", args.timeout)),
        ),
        (Ending::Exited(c), Some(want), _) if c == want => {
            (format!("exit status {c} (expected)"), Ok(()))
        }
        (Ending::Signaled(s), _, Some(want)) if s == want => {
            (format!("killed by {s} (expected)"), Ok(()))
        }
        (Ending::Exited(0), None, None) => ("exit status 0".to_string(), Ok(())),
        (Ending::Exited(c), _, _) => (
            format!("exit status {c}"),
            Err(format!("exited with status {c}{}", expected(args))),
        ),
        (Ending::Signaled(s), _, _) => (
            format!("killed by {s}"),
            Err(format!("killed by {s}{}", expected(args))),
        ),
    };
    match verdict {
        Ok(()) if !o.leftovers.is_empty() => (
            status,
            Err(format!("left processes running after it ended{left}")),
        ),
        v => (status, v),
    }
}

fn expected(args: &Args) -> String {
    match (args.expect_exit, args.expect_signal) {
        (Some(c), _) => format!(", expected exit status {c}"),
        (_, Some(s)) => format!(", expected death by {s}"),
        _ => String::new(),
    }
}

fn text(o: &Outcome) -> String {
    let mut s = String::from_utf8_lossy(&o.output).into_owned();
    if o.dropped > 0 {
        let kept = o.output.len();
        s.push_str(&format!(
            "\n[supervisor: output cut at {kept} bytes; {} more bytes dropped]",
            o.dropped
        ));
    }
    s
}

/// What a reader can type at the repository root to see the same thing:
/// the run above execs the program as this command would.
fn shown_command(args: &Args) -> String {
    if let Some(shown) = run_python::shown_command(args) {
        return shown;
    }
    if let Some(file) = args.source_file() {
        return compile::shown_rustc(&args.slug, &file);
    }
    let mut c = format!("cargo run -q -p {}", args.slug);
    if let Some(bin) = &args.bin {
        c.push_str(&format!(" --bin {bin}"));
    }
    if !args.snippet_args.is_empty() {
        c.push_str(" -- ");
        c.push_str(&args.snippet_args.join(" "));
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argv0_is_what_cargo_run_passes_from_the_root() {
        let root = Path::new("/w");
        assert_eq!(
            cargo_run_arg0(Path::new("/w/target/debug/zombie"), root),
            Path::new("target/debug/zombie")
        );
        assert_eq!(
            cargo_run_arg0(Path::new("/elsewhere/debug/zombie"), root),
            Path::new("/elsewhere/debug/zombie")
        );
        assert_eq!(
            cargo_run_arg0(Path::new("/w/zombie"), root),
            Path::new("./zombie")
        );
    }
}
