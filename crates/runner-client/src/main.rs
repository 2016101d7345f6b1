//! `runner-bench`: `cargo xtask bench runner` (see `bench.rs`).
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "runner-bench",
    about = "Time edit -> first output through the runner"
)]
struct Cli {
    /// The book's workspace.
    #[arg(long)]
    root: PathBuf,
    /// A snippet that uses nix.
    #[arg(long, default_value = "zombie")]
    slug: String,
    #[arg(long, default_value_t = 15)]
    runs: usize,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = match cli.root.canonicalize() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("runner-bench: --root {}: {e}", cli.root.display());
            return ExitCode::FAILURE;
        }
    };
    match runner_client::bench::run(&root, &cli.slug, cli.runs) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("runner-bench: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
