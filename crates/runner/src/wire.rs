//! What crosses a boundary, as data only: a run the page asks for ([`Job`]),
//! the spec a sandboxed job is handed ([`JobSpec`]), and what comes back to
//! the page, one JSON object per line ([`Event`], with rustc's
//! [`Diagnostic`]s and the [`Comparison`] with the book's output). Every
//! other module may use these; this one uses none of them.
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
pub use supervisor::diff::DiffLine;

/// A run as the stages see it, checked (`run/request.rs`).
#[derive(Debug, Clone)]
pub struct Job {
    pub slug: String,
    pub edition: String,
    pub code: String,
    /// A random id per page load: one run at a time per page.
    pub page: String,
    pub lang: Lang,
    /// The page's chapter (`processes/zombie.md`): where the book's own
    /// output of an unchanged block is looked for.
    pub chapter: Option<String>,
    /// "Run with trace": under strace, as the chapter traces the program.
    pub trace: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lang {
    Rust,
    /// One of the snippet's programs, `snippets/<slug>/python/<name>.py`.
    Python {
        name: String,
    },
}

/// What a run that ended printed and how, for the comparison.
#[derive(Debug, Clone)]
pub struct Ran {
    pub output: String,
    pub status: String,
    /// The folder the program ran from as it saw it (`/rsp/bin`).
    pub dir: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Waiting behind `ahead` other runs (one run at a time on the machine).
    Queued {
        ahead: usize,
    },
    /// The prebuilt workspace is being built or refreshed.
    Preparing {
        message: String,
    },
    Compiling,
    /// rustc finished: its output without colours, with them (`ansi`), and
    /// each error and warning with its line in the program sent.
    Compiled {
        ok: bool,
        output: String,
        ms: u64,
        ansi: String,
        diagnostics: Vec<Diagnostic>,
    },
    /// A piece of the program's stdout and stderr, in the order written.
    Output {
        text: String,
    },
    /// The program ended; `status` in the supervisor's words.
    Exit {
        status: String,
        code: Option<i32>,
        signal: Option<String>,
        timed_out: bool,
        /// Output bytes beyond the cap, counted and dropped.
        dropped: u64,
        /// Processes left when the main one ended, killed ("pid (comm)").
        killed: Vec<String>,
        ms: u64,
    },
    /// The run could not go on; `message` says why, for the page.
    Error {
        message: String,
    },
    /// After the exit of an unchanged block: its output beside the book's.
    /// Sent by the server, never by a job.
    Compare(Box<Comparison>),
    /// strace's files of a traced run, (pid, text): sent by a job, never to the page.
    Straced {
        files: Vec<(i32, String)>,
    },
    /// A traced run's calls and timeline, before its exit: sent by the server.
    Trace(Box<supervisor::strace::page::Report>),
}

/// One error or warning of rustc, as the page shows it on a line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// `error`, `warning`, `note`, `help`.
    pub level: String,
    pub message: String,
    /// `E0308`, when rustc gives one.
    pub code: Option<String>,
    /// The primary span in the program sent (1-based, as rustc counts).
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub label: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub chapter: String,
    /// The directive compared with (its text, and its place on the page).
    pub directive: Option<String>,
    pub index: Option<usize>,
    /// Why there is nothing to compare, or what to know about it.
    pub note: Option<String>,
    pub matches: bool,
    pub book_status: String,
    pub your_status: String,
    pub book_stamp: String,
    pub your_stamp: String,
    pub vary: Vec<String>,
    /// Masked lines: `same`, `book` (only in the book's), `yours`.
    pub diff: Vec<DiffLine>,
}

/// One job for a sandbox, one JSON line on its stdin.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum JobSpec {
    Compile(CompileSpec),
    Run(RunSpec),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompileSpec {
    pub rustc: PathBuf,
    pub args: Vec<String>,
    /// rustc runs here and reads `src/main.rs`, which the job writes.
    pub cwd: PathBuf,
    pub source: String,
    pub env: Vec<(String, String)>,
    pub timeout_ms: u64,
    pub limits: Rlimits,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunSpec {
    pub exe: PathBuf,
    /// argv[0]: the snippet's name, as `cargo run` would show it.
    pub arg0: String,
    /// The rest of argv (a Python run: the program's path).
    #[serde(default)]
    pub args: Vec<String>,
    pub cwd: PathBuf,
    pub env: Vec<(String, String)>,
    pub timeout_ms: u64,
    pub output_cap: usize,
    pub limits: Rlimits,
    /// Run under strace: the folder of its files, its `-e` expressions.
    #[serde(default)]
    pub trace: Option<(PathBuf, Vec<String>)>,
}

/// Per-process limits the job sets on rustc or the program. The cgroup
/// bounds the whole tree; these bound each process.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rlimits {
    /// RLIMIT_AS, bytes of address space.
    pub address_space: u64,
    /// RLIMIT_CPU, seconds (SIGXCPU, then SIGKILL one second on).
    pub cpu_secs: u64,
    /// RLIMIT_FSIZE: the largest file it can write.
    pub file_size: u64,
    /// RLIMIT_NOFILE.
    pub open_files: u64,
    /// RLIMIT_NPROC, only without a cgroup: tasks of the (real) user,
    /// counting those it already has.
    pub nproc: Option<u64>,
}
