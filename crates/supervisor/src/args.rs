//! Command line of the supervisor. xtask's directive lint parses directives
//! with this same definition, so the book cannot hold an option we ignore.
use std::time::Duration;

use clap::Parser;

/// Run one snippet crate and print its output as a Markdown block.
///
/// Used from chapters as
/// `<!-- cmdrun ${RSP_SUPERVISOR:-cargo run -q -p supervisor --} SLUG [OPTIONS] [-- ARGS] -->`.
#[derive(Debug, Clone, Parser)]
#[command(name = "supervisor", version)]
#[command(group(clap::ArgGroup::new("compiler").args(["expect_compile_error", "expect_warning"])))]
pub struct Args {
    /// The snippet crate, `snippets/<SLUG>`; also the chapter's file name.
    pub slug: String,

    /// Which binary of the crate to run (default: the one named like the crate).
    #[arg(long)]
    pub bin: Option<String>,

    /// Seconds before the snippet and everything it started are killed.
    #[arg(long, default_value_t = 10.0, value_parser = parse_timeout)]
    pub timeout: f64,

    /// The point of the chapter is this exit code (e.g. 101 for a panic).
    #[arg(long, conflicts_with_all = ["expect_signal", "expect_compile_error", "expect_warning"])]
    pub expect_exit: Option<i32>,

    /// The point of the chapter is death by this signal (e.g. SIGABRT).
    #[arg(long, value_parser = parse_signal, conflicts_with_all = ["expect_compile_error", "expect_warning"])]
    pub expect_signal: Option<nix::sys::signal::Signal>,

    /// Compile `compile_fail/<SOURCE>.rs` with rustc and expect this error code.
    #[arg(long, requires = "source", value_parser = parse_error_code)]
    pub expect_compile_error: Option<String>,

    /// Compile `lint/<SOURCE>.rs` with rustc and expect it to compile with
    /// this lint's warning (e.g. `unconditional_recursion`).
    #[arg(long, requires = "source", value_parser = parse_lint_name)]
    pub expect_warning: Option<String>,

    /// The file (without `.rs`) under the crate's `compile_fail/` for
    /// --expect-compile-error, or under its `lint/` for --expect-warning.
    #[arg(long, requires = "compiler")]
    pub source: Option<String>,

    /// A regex matching output that differs from run to run (pids, addresses,
    /// timings); the drift check masks it before comparing two builds.
    #[arg(long, value_parser = parse_regex)]
    pub vary: Vec<String>,

    /// Run the note's Python program `snippets/<SLUG>/python/<PYTHON>.py`
    /// with the book's venv (see python.rs) instead of the crate.
    #[arg(long, value_parser = parse_python_name, conflicts_with_all = ["bin", "expect_compile_error", "expect_warning"])]
    pub python: Option<String>,

    /// Show the program's system calls instead of its output: each value is
    /// one `strace -e` expression (`trace=wait4,waitid`, `signal=none`).
    #[arg(long, conflicts_with_all = ["expect_compile_error", "expect_warning"])]
    pub strace: Vec<String>,

    /// With --strace, show only the trace lines this regex matches, as
    /// shown (`P1  openat(...)`), e.g. to leave out the interpreter's
    /// start-up calls.
    #[arg(long, requires = "strace", value_parser = parse_regex)]
    pub strace_grep: Option<String>,

    /// With --strace, draw the run's processes under the trace: a lane
    /// each, who started, signalled and reaped whom (crate::picture).
    #[arg(long, requires = "strace")]
    pub timeline: bool,

    /// Draw a chart above the output of the table it prints: `COLUMN` (a
    /// bar per row) or `MID,LOW,HIGH` (a dot on a range), then `:UNIT`
    /// and `:log` as needed, e.g. `median,min,max:ms:log`. Repeatable.
    #[arg(long, value_parser = crate::picture::plot::parse_spec, conflicts_with_all = ["strace", "markdown", "try_it", "expect_compile_error", "expect_warning"])]
    pub plot: Vec<String>,

    /// Run the chapter's Try it: the edit of `snippets/<SLUG>/try-it.toml`,
    /// made in a copy, which must end and print as that file says.
    #[arg(long, conflicts_with_all = ["bin", "python", "strace", "expect_exit", "expect_signal", "expect_compile_error", "expect_warning"])]
    pub try_it: bool,

    /// The program prints Markdown, spliced into the page as it is: an
    /// index the book makes of its own runs (it reads the output store,
    /// so every record but those of its own slug is among its inputs).
    #[arg(long, conflicts_with_all = ["python", "strace", "try_it", "expect_compile_error", "expect_warning"])]
    pub markdown: bool,

    /// Run this executable instead of building the crate (for the supervisor's
    /// own tests; with --python, the interpreter).
    #[arg(long, hide = true)]
    pub exe: Option<std::path::PathBuf>,

    /// Arguments passed to the snippet.
    #[arg(last = true)]
    pub snippet_args: Vec<String>,
}

impl Args {
    pub fn timeout(&self) -> Duration {
        Duration::from_secs_f64(self.timeout)
    }

    /// `snippets/<slug>/python/<name>.py` for --python, relative to the root.
    pub fn python_file(&self) -> Option<String> {
        let name = self.python.as_deref()?;
        Some(format!("snippets/{}/python/{name}.py", self.slug))
    }

    /// `compile_fail/NAME.rs` or `lint/NAME.rs` in the snippet crate: the
    /// file rustc compiles for this directive, if it is a compiler run.
    pub fn source_file(&self) -> Option<String> {
        let name = self.source.as_ref()?;
        let dir = match (&self.expect_compile_error, &self.expect_warning) {
            (Some(_), _) => "compile_fail",
            (None, Some(_)) => "lint",
            (None, None) => return None,
        };
        Some(format!("{dir}/{name}.rs"))
    }

    /// The binary run for this directive.
    pub fn bin_name(&self) -> &str {
        self.bin.as_deref().unwrap_or(&self.slug)
    }
}

fn parse_timeout(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(t) if t > 0.0 && t <= 600.0 => Ok(t),
        _ => Err(format!("`{s}` is not a number of seconds in (0, 600]")),
    }
}

fn parse_signal(s: &str) -> Result<nix::sys::signal::Signal, String> {
    let name = if s.starts_with("SIG") {
        s.to_string()
    } else {
        format!("SIG{s}")
    };
    name.parse()
        .map_err(|_| format!("`{s}` is not a signal name like SIGABRT"))
}

fn parse_regex(s: &str) -> Result<String, String> {
    regex::Regex::new(s)
        .map(|_| s.to_string())
        .map_err(|e| format!("`{s}` is not a regex: {e}"))
}

fn parse_python_name(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && !s.ends_with(".py")
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "`{s}` is not a program name like subprocess_wait (the file python/<name>.py, without .py)"
        ))
    }
}

fn parse_lint_name(s: &str) -> Result<String, String> {
    let ok = !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "`{s}` is not a rustc lint name like unconditional_recursion"
        ))
    }
}

fn parse_error_code(s: &str) -> Result<String, String> {
    let ok = s.len() == 5 && s.starts_with('E') && s[1..].chars().all(|c| c.is_ascii_digit());
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!("`{s}` is not a rustc error code like E0046"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_directive() {
        let a = Args::try_parse_from([
            "supervisor",
            "zombie",
            "--timeout",
            "3",
            "--expect-signal",
            "ABRT",
            "--",
            "-x",
        ])
        .unwrap();
        assert_eq!(a.slug, "zombie");
        assert_eq!(a.timeout(), Duration::from_secs(3));
        assert_eq!(a.expect_signal, Some(nix::sys::signal::Signal::SIGABRT));
        assert_eq!(a.snippet_args, ["-x"]);
    }

    #[test]
    fn a_python_directive_names_its_file() {
        let a = Args::try_parse_from([
            "supervisor",
            "zombie",
            "--python",
            "subprocess_wait",
            "--expect-exit",
            "1",
        ])
        .unwrap();
        assert_eq!(
            a.python_file().as_deref(),
            Some("snippets/zombie/python/subprocess_wait.py")
        );
    }

    #[test]
    fn rejects_bad_values() {
        for bad in [
            vec!["supervisor", "z", "--timeout", "0"],
            vec!["supervisor", "z", "--expect-signal", "SIGNOPE"],
            vec![
                "supervisor",
                "z",
                "--expect-compile-error",
                "E46",
                "--source",
                "x",
            ],
            vec!["supervisor", "z", "--expect-compile-error", "E0046"],
            vec!["supervisor", "z", "--expect-warning", "dead_code"],
            vec!["supervisor", "z", "--source", "x"],
            vec![
                "supervisor",
                "z",
                "--expect-warning",
                "Dead-Code",
                "--source",
                "x",
            ],
            vec![
                "supervisor",
                "z",
                "--expect-warning",
                "dead_code",
                "--expect-exit",
                "0",
                "--source",
                "x",
            ],
            vec![
                "supervisor",
                "z",
                "--expect-exit",
                "1",
                "--expect-signal",
                "SIGABRT",
            ],
            vec!["supervisor", "z", "--python", "wait.py"],
            vec!["supervisor", "z", "--python", "../x"],
            vec!["supervisor", "z", "--python", "w", "--bin", "w"],
        ] {
            assert!(Args::try_parse_from(&bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn the_source_file_depends_on_what_is_expected() {
        let parse = |extra: &[&str]| {
            let argv = ["supervisor", "z"].iter().chain(extra).copied();
            Args::try_parse_from(argv.collect::<Vec<_>>()).unwrap()
        };
        let error = parse(&["--expect-compile-error", "E0046", "--source", "x"]);
        assert_eq!(error.source_file().as_deref(), Some("compile_fail/x.rs"));
        let warning = parse(&["--expect-warning", "dead_code", "--source", "y"]);
        assert_eq!(warning.source_file().as_deref(), Some("lint/y.rs"));
        assert_eq!(parse(&[]).source_file(), None);
    }
}
