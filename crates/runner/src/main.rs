//! `runner serve`, and `runner job` (what runs in a sandbox).
//!
//! `cargo xtask serve` starts `runner serve --root <root> --port <port>
//! [--store <dir>]` with its stdin a pipe: each line `reload` means book/
//! was republished (open pages are told to reload; the prebuilt workspace
//! is prepared again if a Cargo.toml or Cargo.lock changed); the pipe's end
//! means xtask is gone: the runner ends every run, reaps every sandbox,
//! removes its cgroups and unmounts what it mounted, and exits 0. SIGINT
//! and SIGTERM do the same. The first line on stdout holds the link.
#![deny(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "runner",
    about = "Edit and run the book's snippets on this machine"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve the built book on 127.0.0.1 and run the code its pages send.
    Serve {
        /// The book's workspace (default: found from the current folder).
        #[arg(long)]
        root: Option<PathBuf>,
        /// The built book (default: <root>/book).
        #[arg(long)]
        book: Option<PathBuf>,
        /// 0 picks a free port; the address is the first line printed.
        #[arg(long, default_value_t = 3000)]
        port: u16,
        /// Seconds a program may run before it and all it started are killed.
        #[arg(long, default_value_t = 10)]
        timeout: u64,
        /// Runs that may wait for their turn before new ones are refused.
        #[arg(long, default_value_t = 4)]
        queue: usize,
        /// Do not compile every snippet once at start.
        #[arg(long)]
        no_warm: bool,
        /// auto: the best isolation this machine allows, stated at start;
        /// require: refuse to start without bubblewrap's namespaces;
        /// off: no namespaces and no cgroup (only to measure what they cost).
        #[arg(long, value_enum, default_value = "auto")]
        sandbox: runner::sandbox::Mode,
        /// Memory bound of a run (all its processes together), in MiB.
        #[arg(long, default_value_t = 512)]
        memory_mib: u64,
        /// Task (process and thread) bound of a run.
        #[arg(long, default_value_t = 64)]
        tasks: u64,
        /// The size of a run's /tmp, in MiB.
        #[arg(long, default_value_t = 256)]
        tmp_mib: u64,
        /// What compiles keep on disk per snippet (incremental folder and
        /// executable), in MiB.
        #[arg(long, default_value_t = 256)]
        cache_mib: u64,
        /// The output store an unchanged block's run is compared with: a
        /// name under target/outputs/ (build: `cargo xtask build`; serve:
        /// what `cargo xtask serve` shows) or a folder.
        #[arg(long, default_value = "build")]
        store: PathBuf,
    },
    /// One compile or run, inside a sandbox (reads its job on stdin).
    #[command(hide = true)]
    Job,
}

/// The workspace root, absolute: cargo and the sandboxes are started in
/// other folders (`--root .` failed with "manifest path ./target/... does
/// not exist").
fn root(given: Option<PathBuf>) -> Result<PathBuf> {
    match given {
        Some(r) => r
            .canonicalize()
            .with_context(|| format!("--root {}", r.display())),
        None => {
            let cwd = std::env::current_dir()?;
            supervisor::locate::workspace_root(&cwd)
                .context("no workspace (Cargo.toml and snippets/) above this folder; pass --root")
        }
    }
}

fn main() -> ExitCode {
    // Nothing the runner inherited (a jobserver's pipe, an IDE's
    // descriptors) reaches anything it starts.
    if let Err(e) = runner::job::close_above_2() {
        eprintln!("runner: error: close_range: {e}");
        return ExitCode::FAILURE;
    }
    let cli = Cli::parse();
    if let Cmd::Job = cli.command {
        return runner::job::main();
    }
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("runner: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cmd: Cmd) -> Result<()> {
    match cmd {
        Cmd::Serve {
            root: r,
            book,
            port,
            timeout,
            queue,
            no_warm,
            sandbox,
            memory_mib,
            store,
            tasks,
            tmp_mib,
            cache_mib,
        } => {
            tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
                .with_writer(std::io::stderr)
                .init();
            let root = root(r)?;
            let mut cfg = runner::app::Config::new(&root);
            cfg.store = store;
            if let Some(b) = book {
                cfg.book = b;
            }
            cfg.port = port;
            cfg.run_timeout = Duration::from_secs(timeout.clamp(1, 600));
            cfg.queue = queue;
            cfg.warm = !no_warm;
            cfg.sandbox = sandbox;
            cfg.budget.run.memory = memory_mib.clamp(16, 1 << 20) << 20;
            cfg.budget.run.tasks = tasks.clamp(8, 1 << 16);
            cfg.budget.tmp_bytes = tmp_mib.clamp(8, 1 << 16) << 20;
            cfg.budget.cache_bytes = cache_mib.clamp(1, 1 << 20) << 20;
            runner::app::serve(cfg)
        }
        Cmd::Job => Ok(()),
    }
}
