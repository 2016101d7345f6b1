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

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "runner", about = "Edit and run the book's snippets on this machine")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve the built book on 127.0.0.1 and run the code its pages send.
    Serve(runner::app::Config),
    /// One compile or run, inside a sandbox (reads its job on stdin).
    #[command(hide = true)]
    Job,
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
        Cmd::Serve(cfg) => {
            // The request log, on with RUST_LOG (e.g. tower_http=debug).
            tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
                .with_writer(std::io::stderr)
                .init();
            runner::app::serve(cfg)
        }
        Cmd::Job => Ok(()),
    }
}
